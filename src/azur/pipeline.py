"""The production line of one video: engine → media → provenance, with progress all along.

Provenance (issue 4) runs here, for every video, whoever asked: the invisible watermark goes into each
frame's luma inside the encoder, the optional visible label onto each frame before it, and the C2PA
credentials are signed into the finished file (a ``.c2pa`` sidecar for WebM) after the final mux.

Both ``azur generate`` and the job workers call :func:`make_video`, so a video made from the command line
and one made through the API go through exactly the same steps. Nothing here knows of HTTP, the database
or storage: the caller hands in a request and a path and gets the finished file and its stills back.

Sound (issue 18): with a :class:`~azur.sound.mix.SoundPlan` the clip gets a soundtrack mixed for it
(voice-over, music, effects that follow the embedded model's object) before encoding; a model that makes its
own sound keeps it, under Azur's voice-over and music. Without a plan, a model's own sound is muxed as is.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from azur.config import Settings, get_settings
from azur.engine.backend import Clip, ProgressFn, get_backend
from azur.engine.request import VideoRequest
from azur.media.audio import Audio, AudioSource
from azur.media.encode import EncodeOptions, VideoWriter
from azur.media.images import spaced_indices, spritesheet, thumbnail
from azur.provenance.c2pa import GenerationInfo, ensure_credentials, sign_c2pa
from azur.provenance.identity import load_installation
from azur.provenance.visible import VisibleMark
from azur.provenance.watermark import WatermarkEmbedder, WatermarkPayload
from azur.sound.mix import Segment, SoundPlan, Soundtrack, make_soundtrack

# Called with overall progress 0..1 and the current stage ("sampling", "encoding", "finishing").
PipelineProgress = Callable[[float, str], None]

# Makes the frames of a video: the backend's clip by default; a storyboard, a loop, a blend or a stitched
# extension hand in their own (azur.engine.compose, azur.storyboard.render), built on the same backends.
ClipSource = Callable[[ProgressFn], Clip]

SPRITESHEET_FRAMES = 16


@dataclass
class VideoResult:
    path: Path
    frame_count: int
    width: int
    height: int
    fps: int
    seconds: float
    thumbnail: bytes  # WebP still of the middle frame
    spritesheet: bytes  # JPEG grid of evenly spaced frames
    notes: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    # Provenance: what marks the file carries.
    video_id: str = ""
    watermark_payload: str | None = None  # "<installation tag>:<video ref>" (hex), None when off
    c2pa_signed: bool = False
    sidecar_path: Path | None = None  # the WebM's .c2pa manifest
    visible_mark: bool = False
    soundtrack: Soundtrack | None = None  # the mixed sound, when Azur made one


def _never_back(report: PipelineProgress) -> PipelineProgress:
    """``report`` that never goes back: a clip made of shots reports each shot's model work while its
    frames are being encoded, so the two counts interleave. Every call still reaches ``report`` (with the
    highest value so far): that is where a worker notices a deleted job, even in the middle of a shot."""
    highest = [0.0]

    def forward(fraction: float, stage: str) -> None:
        highest[0] = max(highest[0], fraction)
        report(highest[0], stage)

    return forward


def _after(lead: Audio, rest: Audio) -> Audio:
    """``lead`` then ``rest``, in ``rest``'s rate and channels. A lead of another rate is left out (silence in
    its place): resampling a source's finished track is not worth a second lossy pass."""
    samples = lead.samples
    if samples.shape[0] != rest.channels:
        samples = np.repeat(samples[:1], rest.channels, axis=0)
    if lead.rate != rest.rate:
        samples = np.zeros((rest.channels, round(lead.seconds * rest.rate)), np.float32)
    return Audio(np.concatenate([samples, rest.samples], axis=1).astype(np.float32), rest.rate)


def new_video_id() -> str:
    """A fresh video id: ``video_`` + 32 lowercase hex digits."""
    return f"video_{uuid.uuid4().hex}"


def make_video(
    request: VideoRequest,
    out_path: str | Path,
    *,
    video_id: str | None = None,
    progress: PipelineProgress | None = None,
    encode: EncodeOptions = EncodeOptions(),
    settings: Settings | None = None,
    audio: AudioSource | None = None,
    sound: SoundPlan | None = None,
    visible_mark: bool | None = None,
    clip_source: ClipSource | None = None,
) -> VideoResult:
    """Generate ``request`` into ``out_path`` (MP4 or WebM), marked as ``settings.provenance`` says.

    ``video_id``: the id the watermark and manifest carry (``video_`` + 32 hex; a new one when None).
    ``audio``: a ready soundtrack (WAV path or :class:`~azur.media.audio.Audio`), muxed as is.
    ``sound``: the sound to make for this clip (ignored when ``audio`` is given); a silent plan, like None,
    leaves a silent model's video silent.
    ``visible_mark``: force the visible "AI" label on or off (None: ``settings.provenance.visible_mark``).
    ``clip_source``: makes the frames instead of ``request``'s backend (``request`` still gives the size,
    the model named in the credentials and the progress split); its clip's chapters go into the file.
    Raises the backend's, encoder's and signer's errors, and ``VoiceoverTooLong`` when the voice-over does
    not fit the clip; a failed run leaves no file behind."""
    report = _never_back(progress or (lambda fraction, stage: None))
    out_path = Path(out_path)
    settings = settings or get_settings()
    marks = settings.provenance
    video_id = video_id or new_video_id()
    installation = load_installation(settings.home) if (marks.watermark or marks.c2pa) else None
    backend = get_backend(request.model)
    # Share of the progress bar given to the model's own work; the rest goes to encoding frames.
    model_share = 0.3 if backend.info.family == "embedded" else 0.85
    started = time.perf_counter()
    make_clip = clip_source or (lambda backend_progress: backend.generate(request, backend_progress))
    clip = make_clip(lambda f, stage: report(model_share * f, stage))
    generated = time.perf_counter()
    soundtrack = None
    lead_seconds = clip.lead.seconds if clip.lead is not None else 0.0
    if audio is None and sound is not None and not sound.audio.silent:
        report(model_share, "sound")
        segment = Segment(seconds=clip.frame_count / clip.fps - lead_seconds, audio=sound.audio, prompt=request.prompt,
                          seed=request.seed, scene=clip.scene, own_sound=clip.audio)
        soundtrack = make_soundtrack([segment], loop=sound.loop, continues=sound.continues)
        audio = soundtrack.audio if clip.lead is None else _after(clip.lead, soundtrack.audio)
    elif audio is None and clip.lead is not None:  # the source's sound, then silence
        audio = _after(clip.lead, Audio(np.zeros((clip.lead.channels, round((clip.frame_count / clip.fps - lead_seconds)
                                                                             * clip.lead.rate)), np.float32),
                                        clip.lead.rate))
    elif audio is None and clip.audio is not None:
        audio = clip.audio
    sounded = time.perf_counter()

    keep = set(spaced_indices(clip.frame_count, SPRITESHEET_FRAMES))
    middle = clip.frame_count // 2
    embedder = None
    if marks.watermark and installation is not None:
        payload = WatermarkPayload.for_video(installation.id, video_id)
        embedder = WatermarkEmbedder(payload, request.width, request.height)
    show_label = marks.visible_mark if visible_mark is None else visible_mark
    label = VisibleMark(request.width, request.height, marks.visible_mark_language) if show_label else None
    kept: dict[int, np.ndarray] = {}
    with VideoWriter(
        out_path, request.width, request.height, clip.fps, encode,
        audio=audio, luma_filter=embedder.apply_luma if embedder else None, chapters=clip.chapters,
    ) as writer:
        for i, frame in enumerate(clip.frames):
            if label is not None:
                frame = label.apply(frame)
            writer.write(frame)
            if i in keep or i == middle:
                kept[i] = frame
            # Encoding ends at 97%: signing and the stills come after, and progress never goes back.
            report(model_share + (0.97 - model_share) * (i + 1) / clip.frame_count, "encoding")
        frames_written = writer.frames_written
    encoded = time.perf_counter()

    sidecar = None
    if marks.c2pa and installation is not None:
        report(0.975, "signing")
        info = GenerationInfo(video_id=video_id, model=request.model, installation_id=installation.id,
                              audio=tuple(soundtrack.parts) if soundtrack is not None else ())
        try:
            sidecar = sign_c2pa(out_path, info, ensure_credentials(installation, marks))
        except BaseException:
            out_path.unlink(missing_ok=True)  # an unsigned file must not pass for a finished one
            raise
    signed = time.perf_counter()

    report(0.98, "finishing")
    still = thumbnail(kept[middle])
    sheet = spritesheet([kept[i] for i in sorted(keep)])
    report(1.0, "done")
    return VideoResult(
        path=out_path,
        frame_count=frames_written,
        width=request.width,
        height=request.height,
        fps=clip.fps,
        seconds=frames_written / clip.fps,
        thumbnail=still,
        spritesheet=sheet,
        notes=clip.notes,
        timings={
            "model_s": generated - started,
            "sound_s": sounded - generated,
            "encode_s": encoded - sounded,
            "sign_s": signed - encoded,
            "total_s": time.perf_counter() - started,
        },
        video_id=video_id,
        watermark_payload=embedder.payload.text if embedder else None,
        c2pa_signed=bool(marks.c2pa and installation is not None),
        sidecar_path=sidecar,
        visible_mark=label is not None,
        soundtrack=soundtrack,
    )
