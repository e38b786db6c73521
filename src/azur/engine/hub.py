"""Weights from the Hugging Face Hub: look a repository up, check the disk, download it, say what it is.

``azur models pull`` is the only caller; serving never downloads (models load with ``local_files_only``).
Everything goes through ``huggingface_hub`` and its cache, so the usual variables apply: ``HF_TOKEN`` (gated
and private repositories), ``HF_ENDPOINT`` (a mirror), ``HF_HOME`` / ``HF_HUB_CACHE`` (where the files go),
``HF_HUB_OFFLINE=1`` (use the cache only). A pulled model is installed from its snapshot folder in that cache.

Resuming: ``huggingface_hub`` resumes by itself. A transfer cut mid-file is retried from the byte where it
stopped (an HTTP Range request, up to five times); a pull interrupted outright (Ctrl+C, a crash, a failed
file) keeps every file that had finished, so the next ``pull`` fetches only the rest. With huggingface_hub 2.x
the file that was in flight starts again from zero in that case: it keeps no partial file between runs.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from azur.engine.known_models import Licence, licence_for

# Head room left on the disk after a download: the cache's lock files and a model loaded next to it.
DISK_MARGIN_BYTES = 1 << 30


class PullError(Exception):
    """A pull cannot go on; the message says why and what to do (one line)."""


@dataclass(frozen=True)
class PullPlan:
    """What a pull would do, found before downloading anything."""

    repo_id: str
    revision: str
    commit: str | None  # None when the Hub could not be asked (offline) and the cache is used
    files: int
    total_bytes: int  # the whole snapshot
    download_bytes: int  # what is not in the cache yet
    licence: Licence | None  # from the model card; None when offline
    cached_folder: Path | None = None  # set when offline and the snapshot is complete in the cache
    card: dict[str, Any] = field(default_factory=dict)


def hub_cache(cache_dir: Path | None = None) -> Path:
    """The cache folder in use: ``cache_dir``, else huggingface_hub's (``HF_HUB_CACHE`` / ``HF_HOME``)."""
    from huggingface_hub import constants

    return Path(cache_dir or constants.HF_HUB_CACHE).expanduser()


def is_offline() -> bool:
    from huggingface_hub import constants

    return bool(constants.HF_HUB_OFFLINE)


def plan_pull(repo_id: str, revision: str | None = None, *, cache_dir: Path | None = None) -> PullPlan:
    """Ask the Hub what ``repo_id`` at ``revision`` holds (file sizes, licence) and what the cache lacks.
    Offline, the cache alone answers. Raises :class:`PullError`."""
    from huggingface_hub import HfApi, snapshot_download

    revision = revision or "main"
    cache = hub_cache(cache_dir)
    if is_offline():
        try:
            folder = snapshot_download(repo_id, revision=revision, cache_dir=cache, local_files_only=True)
        except Exception as exc:  # noqa: BLE001 - every failure here means "not in the cache"
            raise PullError(
                f"{repo_id} ({revision}) is not in the Hugging Face cache {cache} and HF_HUB_OFFLINE is set: "
                f"unset it to download ({type(exc).__name__})."
            ) from None
        return PullPlan(repo_id, revision, None, 0, 0, 0, None, Path(folder))
    from huggingface_hub.utils import are_progress_bars_disabled, disable_progress_bars, enable_progress_bars

    quiet_already = are_progress_bars_disabled()
    disable_progress_bars()  # the dry run's "fetching" bar would suggest a download
    try:
        info = HfApi().model_info(repo_id, revision=revision)
        entries = snapshot_download(repo_id, revision=info.sha or revision, cache_dir=cache, dry_run=True)
    except Exception as exc:  # noqa: BLE001 - translated into one line below
        raise PullError(describe_hub_error(exc, repo_id, revision)) from None
    finally:
        if not quiet_already:
            enable_progress_bars()
    card = dict(info.card_data.to_dict()) if info.card_data is not None else {}
    return PullPlan(
        repo_id=repo_id,
        revision=revision,
        commit=info.sha,
        files=len(entries),
        total_bytes=sum(e.file_size or 0 for e in entries),
        download_bytes=sum(e.file_size or 0 for e in entries if e.will_download),
        licence=licence_for(card),
        card=card,
    )


def pipeline_class(plan: PullPlan, *, cache_dir: Path | None = None) -> str:
    """``_class_name`` of the repository's model_index.json, fetched alone (a few hundred bytes) so that a
    repository Azur cannot run is refused before gigabytes are downloaded. Raises :class:`PullError`."""
    import json

    from huggingface_hub import hf_hub_download

    if plan.cached_folder is not None:
        index = plan.cached_folder / "model_index.json"
    else:
        try:
            index = Path(hf_hub_download(plan.repo_id, "model_index.json", revision=plan.commit or plan.revision,
                                         cache_dir=hub_cache(cache_dir)))
        except Exception as exc:  # noqa: BLE001 - translated into one line below
            from huggingface_hub import errors

            if isinstance(exc, errors.EntryNotFoundError):
                raise PullError(
                    f"{plan.repo_id} is not a diffusers pipeline (it has no model_index.json): look for its "
                    "'-Diffusers' version."
                ) from None
            raise PullError(describe_hub_error(exc, plan.repo_id, plan.revision)) from None
    try:
        name = json.loads(index.read_text()).get("_class_name")
    except (OSError, ValueError, AttributeError):
        name = None
    if not isinstance(name, str):
        raise PullError(f"{plan.repo_id}'s model_index.json names no pipeline class.")
    return name


def check_free_disk(plan: PullPlan, cache_dir: Path | None = None) -> int:
    """Raise :class:`PullError` when the download would not fit on the cache's disk with a margin; returns
    the free bytes."""
    folder = hub_cache(cache_dir)
    probe = folder
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent  # the cache folder may not exist yet: measure the disk it will be on
    free = shutil.disk_usage(probe).free
    needed = plan.download_bytes + DISK_MARGIN_BYTES
    if plan.download_bytes and needed > free:
        raise PullError(
            f"{plan.repo_id} needs {gigabytes(plan.download_bytes)} more on the disk of {folder}, which has "
            f"{gigabytes(free)} free (and {gigabytes(DISK_MARGIN_BYTES)} is kept spare): free some space or "
            "point HF_HUB_CACHE (or --cache-dir) at a larger disk."
        )
    return free


def download(plan: PullPlan, *, cache_dir: Path | None = None) -> Path:
    """Fetch the snapshot ``plan`` describes (only what the cache lacks), with huggingface_hub's progress
    bars on stderr; returns the snapshot folder. Raises :class:`PullError`."""
    from huggingface_hub import snapshot_download

    if plan.cached_folder is not None:
        return plan.cached_folder
    try:
        # By the branch or tag asked, not the commit found: huggingface_hub then records the ref in the
        # cache, so an offline pull of the same revision finds the snapshot.
        folder = snapshot_download(plan.repo_id, revision=plan.revision, cache_dir=hub_cache(cache_dir))
    except Exception as exc:  # noqa: BLE001 - translated into one line below
        raise PullError(
            describe_hub_error(exc, plan.repo_id, plan.revision)
            + " Files that finished are kept: run the same pull again to fetch the rest."
        ) from None
    return Path(folder)


def describe_hub_error(exc: Exception, repo_id: str, revision: str) -> str:
    """One line for what went wrong talking to the Hub."""
    from huggingface_hub import errors

    if isinstance(exc, errors.GatedRepoError):
        return (f"{repo_id} is gated: accept its terms on huggingface.co, then set HF_TOKEN to a token of that "
                "account.")
    if isinstance(exc, errors.RepositoryNotFoundError):
        return f"No model repository '{repo_id}' on the Hub (or it is private: set HF_TOKEN)."
    if isinstance(exc, errors.RevisionNotFoundError):
        return f"{repo_id} has no revision '{revision}'."
    if isinstance(exc, errors.HfHubHTTPError):
        status = exc.response.status_code if exc.response is not None else "?"
        return f"The Hub answered HTTP {status} for {repo_id}."
    if isinstance(exc, OSError) and exc.errno is not None:
        return f"Cannot write the download: {exc.strerror or exc}."
    return f"Cannot reach the Hub for {repo_id} ({type(exc).__name__}: {exc})."


def gigabytes(count: int) -> str:
    return f"{count / 1e9:.2f} GB" if count >= 1e7 else f"{count / 1e6:.2f} MB"
