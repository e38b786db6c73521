"""Remote engines: a video made by another OpenAI-style ``/v1/videos`` server, finished by Azur.

SGLang-Diffusion (``sglang serve``), vLLM-Omni (``vllm serve --omni``) and Azur itself answer OpenAI's Videos
API on their GPU nodes. This backend sends the job there, polls it, downloads the MP4 and hands its frames,
conformed to the asked size, frame rate and length, to :func:`azur.pipeline.make_video` like any model's
frames: output moderation, watermark, C2PA, stills and storage apply as for a local model, under Azur's own
video id (the remote's id is only kept in a note).

Wire contract (``openai-python``'s ``resources/videos.py``): ``POST {url}/videos`` (JSON) answers a video
object with an ``id``; ``GET {url}/videos/{id}`` until ``status`` is ``completed`` or ``failed`` (waiting as
long as the ``openai-poll-after-ms`` header says); ``GET {url}/videos/{id}/content`` is the MP4;
``DELETE {url}/videos/{id}`` removes the remote's copy, or cancels a job Azur gives up on.

Failures: 429, 5xx and connection errors are retried with exponential backoff (a ``Retry-After`` header
wins), ``max_retries`` times per request; past that the attempt fails with ``remote_unavailable`` and the
job queue retries the job. A job the remote reports ``failed``, a request it refuses (other 4xx), or a job
still unfinished after ``timeout_seconds`` ends the video ``failed`` with the remote's own message.

The URL is the operator's (``azur models add``), not a user's: requests go out with plain httpx, not
through :mod:`azur.outbound`'s guard.
"""

from __future__ import annotations

import email.utils
import shutil
import tempfile
import time
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from azur.config import RemoteEngineOptions, Settings, get_settings
from azur.engine.backend import Clip, GenerationFailed, ModelInfo, ProgressFn, no_progress
from azur.engine.catalog import ModelSpec
from azur.engine.longclip import conform
from azur.engine.request import InvalidRequest, VideoRequest, size_text

MAX_SECONDS = 60  # the configured max_seconds applies first; the remote refuses what it cannot make
RETRYABLE_STATUSES = frozenset({408, 409, 425, 429, 500, 502, 503, 504})
REMOTE_SHARE = 0.9  # of the backend's progress: the remote's own progress; the download takes the rest
WAIT_SLICE = 0.25  # longest sleep between two progress calls, so a cancelled job stops within it


def describe(spec: ModelSpec) -> ModelInfo:
    """What ``GET /v1/models`` and ``azur models list`` show; the API key never appears."""
    target = f"{spec.remote_model} at {spec.url}" if spec.remote_model else str(spec.url)
    return ModelInfo(name=spec.name, family=spec.family, description=f"remote engine: {target}",
                     max_seconds=MAX_SECONDS, supports_first_frame=False)


class RemoteVideoBackend:
    """The :class:`~azur.engine.backend.Backend` for one ``openai-videos`` catalog entry.

    ``transport``: an httpx transport to use instead of the network (tests of a transport, not of this class).
    """

    def __init__(self, spec: ModelSpec, settings: Settings | None = None,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.spec = spec
        self.settings = settings or get_settings()
        self.options = RemoteEngineOptions.model_validate(spec.options)
        self.info = describe(spec)
        headers = {"Authorization": f"Bearer {spec.api_key}"} if spec.api_key else {}
        self.client = httpx.Client(base_url=f"{spec.url}/", headers=headers, transport=transport,
                                   timeout=self.options.request_timeout_seconds, follow_redirects=True)

    def check(self, request: VideoRequest) -> list[str]:
        return []

    # ---- the request ---------------------------------------------------------------------------------

    def create_body(self, request: VideoRequest) -> dict[str, Any]:
        """The JSON of ``POST /videos`` for ``request``: OpenAI's fields, then the extra ones configured."""
        o = self.options
        fps = o.fps or request.fps
        body: dict[str, Any] = {
            "prompt": request.prompt,
            "seconds": f"{request.seconds:g}",
            "size": o.size or size_text(request.size),
        }
        if self.spec.remote_model:
            body["model"] = self.spec.remote_model
        width, height = (int(v) for v in body["size"].split("x"))
        derived = {"width": width, "height": height, "num_frames": max(1, round(request.seconds * fps)),
                   "seed": request.seed, "style": request.style}
        body.update({name: derived[name] for name in o.send})
        extras = {"num_inference_steps": o.num_inference_steps, "guidance_scale": o.guidance_scale,
                  "negative_prompt": o.negative_prompt, "fps": o.fps}
        body.update({k: v for k, v in extras.items() if v is not None})
        return body

    def generate(self, request: VideoRequest, progress: ProgressFn = no_progress) -> Clip:
        if request.first_frame is not None:
            raise InvalidRequest(
                "input_reference",
                f"Model '{self.spec.name}' is a remote engine that takes text only: no input_reference, "
                "extension or edit.",
            )
        deadline = time.monotonic() + self.options.timeout_seconds
        started = time.perf_counter()
        progress(0.0, "sending to the remote engine")
        created = self._json(self._send("POST", "videos", deadline, progress, json=self.create_body(request)))
        remote_id = created.get("id")
        if not isinstance(remote_id, str) or not remote_id:
            raise GenerationFailed("remote_failed", f"{self._who()} answered no video id: {str(created)[:200]}",
                                   retry=True)
        downloaded = False
        folder = tempfile.mkdtemp(prefix="azur-remote-")
        try:
            self._wait(remote_id, created, deadline, progress)
            path = Path(folder) / "remote.mp4"
            self._download(remote_id, path, deadline, progress)
            downloaded = True
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        finally:
            if self.options.delete_remote or not downloaded:
                self._delete_quietly(remote_id)
        try:
            frames, clip_notes = self._frames(path, request)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        model_s = time.perf_counter() - started
        notes = [f"{self.spec.name}: made by the remote engine at {self.spec.url} as {remote_id} "
                 f"in {model_s:.1f} s", *clip_notes]
        return Clip(frames=_removing_after(frames, folder), frame_count=request.frame_count, fps=request.fps,
                    notes=notes, stats={"model_s": model_s})

    # ---- the remote job ------------------------------------------------------------------------------

    def _wait(self, remote_id: str, video: dict[str, Any], deadline: float, progress: ProgressFn) -> None:
        """Poll until the remote job completes; raises :class:`GenerationFailed` when it fails or is late."""
        delay = self.options.poll_seconds
        while True:
            status = video.get("status")
            if status == "completed":
                return
            if status == "failed":
                error = video.get("error") or {}
                message = error.get("message") if isinstance(error, dict) else str(error)
                code = error.get("code") if isinstance(error, dict) else None
                raise GenerationFailed(
                    "remote_failed",
                    f"{self._who()} failed the video: {message or 'no reason given'}" + (f" ({code})" if code else ""),
                    retry=False,
                )
            if status not in ("queued", "in_progress"):
                raise GenerationFailed("remote_failed", f"{self._who()} answered an unknown status {status!r}.",
                                       retry=True)
            remote_progress = video.get("progress")
            fraction = REMOTE_SHARE * min(max(float(remote_progress or 0), 0.0), 100.0) / 100
            self._sleep(delay, deadline, progress, fraction, f"remote {status}")
            response = self._send("GET", f"videos/{remote_id}", deadline, progress)
            video = self._json(response)
            delay = _poll_after(response) or self.options.poll_seconds

    def _download(self, remote_id: str, path: Path, deadline: float, progress: ProgressFn) -> None:
        for attempt in range(self.options.max_retries + 1):
            self._check_deadline(deadline)
            try:
                with self.client.stream("GET", f"videos/{remote_id}/content") as response:
                    if response.status_code == 200:
                        with path.open("wb") as f:
                            for chunk in response.iter_bytes():
                                f.write(chunk)
                                progress(REMOTE_SHARE, "downloading")
                        progress(1.0, "downloaded")
                        return
                    response.read()
                    retry_after = self._verdict(response)
            except httpx.TransportError as exc:
                retry_after = None
                if attempt == self.options.max_retries:
                    raise self._unavailable(f"{type(exc).__name__} while downloading") from None
            else:
                if attempt == self.options.max_retries:
                    raise self._unavailable(f"HTTP {response.status_code} while downloading")
            self._sleep(self._backoff(attempt, retry_after), deadline, progress, REMOTE_SHARE, "retrying download")

    def _send(self, method: str, url: str, deadline: float, progress: ProgressFn, **kwargs: Any) -> httpx.Response:
        """One request with retries on 429, 5xx and connection errors; other answers above 399 fail the video."""
        for attempt in range(self.options.max_retries + 1):
            self._check_deadline(deadline)
            try:
                response = self.client.request(method, url, **kwargs)
            except httpx.TransportError as exc:
                if attempt == self.options.max_retries:
                    raise self._unavailable(f"{type(exc).__name__}: {exc}") from None
                retry_after = None
            else:
                if response.status_code < 400:
                    return response
                retry_after = self._verdict(response)
                if attempt == self.options.max_retries:
                    raise self._unavailable(f"HTTP {response.status_code}: {_error_message(response)}")
            self._sleep(self._backoff(attempt, retry_after), deadline, progress, 0.0, "remote busy, retrying")
        raise AssertionError("unreachable")

    def _verdict(self, response: httpx.Response) -> float | None:
        """For a retryable answer, its Retry-After (seconds, None when absent); raises for the others."""
        if response.status_code in RETRYABLE_STATUSES:
            return _retry_after(response)
        raise GenerationFailed(
            "remote_rejected",
            f"{self._who()} refused the video (HTTP {response.status_code}): {_error_message(response)}",
            retry=False,
        )

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        wait = retry_after if retry_after is not None else 0.5 * 2**attempt
        return min(max(wait, 0.0), self.options.max_backoff_seconds)

    def _sleep(self, seconds: float, deadline: float, progress: ProgressFn, fraction: float, stage: str) -> None:
        """Wait ``seconds`` (never past the deadline), calling ``progress`` often: it raises when the job was
        cancelled or the worker is stopping, which must not wait for the remote."""
        end = min(time.monotonic() + seconds, deadline)
        while True:
            progress(fraction, stage)
            left = end - time.monotonic()
            if left <= 0:
                break
            time.sleep(min(WAIT_SLICE, left))
        self._check_deadline(deadline)

    def _check_deadline(self, deadline: float) -> None:
        if time.monotonic() >= deadline:
            raise GenerationFailed(
                "remote_timeout",
                f"{self._who()} did not deliver the video within {self.options.timeout_seconds:g} s; "
                "the remote job was cancelled.",
                retry=False,
            )

    def _delete_quietly(self, remote_id: str) -> None:
        try:
            self.client.delete(f"videos/{remote_id}", timeout=min(5.0, self.options.request_timeout_seconds))
        except httpx.HTTPError:
            pass  # the remote's own retention removes it later

    def _unavailable(self, what: str) -> GenerationFailed:
        return GenerationFailed(
            "remote_unavailable",
            f"{self._who()} could not be reached after {self.options.max_retries + 1} tries ({what}).",
            retry=True,
        )

    def _who(self) -> str:
        return f"The remote engine of model '{self.spec.name}' ({self.spec.url})"

    def _json(self, response: httpx.Response) -> dict[str, Any]:
        try:
            data = response.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise GenerationFailed("remote_failed", f"{self._who()} answered something that is not a video object "
                                                    f"(HTTP {response.status_code}).", retry=True)
        return data

    # ---- the frames ----------------------------------------------------------------------------------

    def _frames(self, path: Path, request: VideoRequest) -> tuple[Iterator[np.ndarray], list[str]]:
        """The downloaded video's frames conformed to the request: size (cover + crop), frame rate and count."""
        from azur.media.limits import UnreadableVideo
        from azur.media.read import iter_frames, probe_video

        try:
            info = probe_video(path, self.settings.media)
        except UnreadableVideo as exc:
            raise GenerationFailed("remote_failed", f"{self._who()} sent a video Azur cannot read: {exc}",
                                   retry=True) from None
        notes = []
        if (info.width, info.height) != request.size:
            notes.append(f"{self.spec.name}: the remote made {info.width}x{info.height}; scaled to "
                         f"{size_text(request.size)}")
        if abs(info.seconds - request.seconds) > 0.5:
            notes.append(f"{self.spec.name}: the remote made {info.seconds:.1f} s of the {request.seconds:g} s asked")
        # The remote's clip is stretched to the asked length (a remote that rounds 4 s to 81 frames at 16 fps
        # still fills exactly 4 s): output frame j shows the frame at j / out_fps of the stretched clip.
        native_fps = max(info.frame_count, 1) / request.seconds
        frames = conform(iter_frames(path, limits=self.settings.media), native_fps=native_fps,
                         out_frames=request.frame_count, out_fps=request.fps, size=request.size)
        return frames, notes


def _removing_after(frames: Iterator[np.ndarray], folder: str) -> Iterator[np.ndarray]:
    """Yield ``frames``, then remove ``folder`` (the downloaded file), also when the consumer stops early or
    never starts (the encoder failed to open: the generator is dropped unstarted)."""

    def generate() -> Iterator[np.ndarray]:
        try:
            yield from frames
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    iterator = generate()
    weakref.finalize(iterator, shutil.rmtree, folder, True)
    return iterator


def _poll_after(response: httpx.Response) -> float | None:
    value = response.headers.get("openai-poll-after-ms")
    try:
        return max(0.0, float(value)) / 1000 if value is not None else None
    except ValueError:
        return None


def _retry_after(response: httpx.Response) -> float | None:
    """``Retry-After`` (or ``retry-after-ms``) in seconds: a number, or an HTTP date."""
    value = response.headers.get("retry-after-ms")
    if value is not None:
        try:
            return float(value) / 1000
        except ValueError:
            pass
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _error_message(response: httpx.Response) -> str:
    """The remote's own words: OpenAI's error envelope's message, else the start of the body."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:300].strip() or response.reason_phrase
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])
        if isinstance(body.get("detail"), str):
            return body["detail"]
    return str(body)[:300]
