"""The one seam between Azur and a video model.

A backend turns a :class:`~azur.engine.request.VideoRequest` into frames at exactly the asked size and
frame count. The embedded tiny model, diffusers families and remote GPU workers all sit behind this
protocol; the rest of Azur (media, provenance, jobs, API) never knows which one ran.

Backends are built by name through :func:`get_backend`, which caches them: a model is loaded once per
process, at first use, not at import time.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import numpy as np

from azur.engine.request import VideoRequest
from azur.media.audio import Audio

if TYPE_CHECKING:
    from azur.media.encode import Chapter

# Called with the fraction done (0..1) of the backend's own work, and a short stage name.
ProgressFn = Callable[[float, str], None]


def no_progress(fraction: float, stage: str) -> None:  # noqa: ARG001 - the default sink
    return None


@dataclass(frozen=True)
class ObjectPath:
    """Where a clip's main object is in each frame: its centre's ``x`` and ``y`` as fractions of the frame's
    width and height (y from the top) and its radius ``size`` as a fraction of the short side; (N,) each.
    Backends that know it (the embedded model draws the object where it placed it) hand it over so the
    sound effects can follow the object (azur.sound.effects)."""

    x: np.ndarray
    y: np.ndarray
    size: np.ndarray
    fps: int


@dataclass
class Clip:
    """Frames produced by a backend.

    ``frames`` yields ``frame_count`` arrays of shape (height, width, 3), uint8, in order. It is an
    iterator so that a 1080p, 20 s clip never has to sit in memory whole: the encoder pulls frames.
    """

    frames: Iterator[np.ndarray]
    frame_count: int
    fps: int
    notes: list[str] = field(default_factory=list)  # things the user should know (e.g. unknown words)
    stats: dict[str, float] = field(default_factory=dict)  # measurements: model_s, peak_memory_bytes, ...
    scene: ObjectPath | None = None  # where the object is, when the backend knows (the embedded model)
    audio: Audio | None = None  # the model's own sound, as long as the clip (models that make sound)
    chapters: list[Chapter] = field(default_factory=list)  # marks of a clip made of shots (a storyboard)
    # Sound already made for the first frames, kept as it is (a stitched extension's source). ``scene`` and
    # ``audio`` then describe the frames after it.
    lead: Audio | None = None


@dataclass(frozen=True)
class ModelInfo:
    """What ``GET /v1/models`` and ``azur models list`` show about a backend."""

    name: str
    family: str
    description: str
    max_seconds: int
    supports_first_frame: bool
    sound: bool = False  # the model makes its own soundtrack
    licence: dict | None = None  # known_models.Licence.to_json() of its weights
    presets: dict = field(default_factory=dict)  # quality → {steps, guidance, shift, scheduler}
    loras: list = field(default_factory=list)  # adapters a request may name: [{name, scale}]
    native: dict = field(default_factory=dict)  # {fps, max_frames, area}: one window at the native size
    # Draws a character's look (colour, shape, size) itself; other models are given its reference frame.
    draws_looks: bool = False


class Backend(Protocol):
    """A video model behind Azur's engine."""

    info: ModelInfo

    def check(self, request: VideoRequest) -> list[str]:
        """Notes about a request before it runs (e.g. words the model does not know); no heavy work."""
        ...

    def generate(self, request: VideoRequest, progress: ProgressFn = no_progress) -> Clip:
        """Make the clip. ``progress`` receives the fraction of the model's work done."""
        ...


class GenerationFailed(RuntimeError):
    """A backend's own verdict on a failed job, with the code and message the video object will show.

    ``retry``: another attempt may succeed (a remote engine unreachable or overloaded); False ends the video
    ``failed`` at once (the remote engine failed the job, or refused it)."""

    def __init__(self, code: str, message: str, *, retry: bool) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.retry = retry


class UnknownModel(LookupError):
    def __init__(self, name: str, known: list[str]) -> None:
        super().__init__(f"Unknown model '{name}'. Available models: {', '.join(known) or 'none'}.")
        self.name = name


BackendFactory = Callable[[], Backend]

_factories: dict[str, BackendFactory] = {}
_built: dict[str, Backend] = {}
_lock = threading.Lock()


def register_backend(name: str, factory: BackendFactory) -> None:
    """Make a backend available under ``name``; replaces (and unloads) any earlier one of that name."""
    with _lock:
        _factories[name] = factory
        _built.pop(name, None)


def unregister_backend(name: str) -> None:
    with _lock:
        _factories.pop(name, None)
        _built.pop(name, None)


def backend_names() -> list[str]:
    _register_builtins()
    return sorted(_factories)


def model_infos() -> list[ModelInfo]:
    """What each available model is, without loading any (for ``GET /v1/models``, ``azur models list``)."""
    _register_builtins()
    infos = []
    for name in sorted(_factories):
        if name in _built:
            infos.append(_built[name].info)
        elif name in _catalog_specs:
            infos.append(_describe_spec(_catalog_specs[name]))
        elif isinstance(getattr(_factories[name], "info", None), ModelInfo):
            infos.append(_factories[name].info)  # type: ignore[attr-defined]
        else:
            infos.append(ModelInfo(name=name, family="custom", description="", max_seconds=0,
                                   supports_first_frame=False))
    return infos


def model_info(name: str) -> ModelInfo:
    """What the model called ``name`` is, without loading it. Raises :class:`UnknownModel`."""
    for info in model_infos():
        if info.name == name:
            return info
    raise UnknownModel(name, backend_names())


def get_backend(name: str) -> Backend:
    """The backend called ``name``, built (loaded) on first use and kept for the process."""
    _register_builtins()
    with _lock:
        if name not in _built:
            factory = _factories.get(name)
            if factory is None:
                raise UnknownModel(name, sorted(_factories))
            _built[name] = factory()
        return _built[name]


def check_model_choices(request: VideoRequest) -> None:
    """Refuse a request's LoRAs and quality when its model does not offer them, without loading the model
    (the API checks this before accepting a job). Raises :class:`~azur.engine.request.InvalidRequest`."""
    from azur.engine.request import InvalidRequest

    if not request.loras and request.quality is None:
        return
    _register_builtins()
    spec = _catalog_specs.get(request.model)
    if spec is None:
        param = "loras" if request.loras else "quality"
        what = "LoRAs" if request.loras else "quality presets"
        raise InvalidRequest(param, f"Model '{request.model}' has no {what}: they are for open-weight models.")
    from azur.engine.loras import InvalidLora, check_choices

    try:
        check_choices(request.loras, spec.loras, spec.name)  # type: ignore[attr-defined]
    except InvalidLora as exc:
        raise InvalidRequest("loras", str(exc)) from None


# Catalog entries registered here, so a removed or changed entry is dropped on the next look-up.
_catalog_specs: dict[str, object] = {}


def _register_builtins() -> None:
    if "azur-tiny" not in _factories:
        from azur.engine.backends.embedded import EmbeddedBackend

        _factories.setdefault("azur-tiny", EmbeddedBackend)
    _sync_catalog()


def _describe_spec(spec: object) -> ModelInfo:
    from azur.engine.catalog import ModelSpec

    assert isinstance(spec, ModelSpec)
    if spec.is_remote:
        from azur.engine.backends.remote import describe as describe_remote

        return describe_remote(spec)
    from azur.engine.backends.diffusers_base import describe

    return describe(spec)


def _build_spec(spec: object) -> Backend:
    from azur.engine.catalog import ModelSpec

    assert isinstance(spec, ModelSpec)
    if spec.is_remote:
        from azur.engine.backends.remote import RemoteVideoBackend

        return RemoteVideoBackend(spec)
    from azur.engine.backends.diffusers_base import build_backend

    return build_backend(spec)


def _sync_catalog() -> None:
    """Register every model of the installed-model catalog (``azur models add``); re-read on each call, so
    a model added by another process (the CLI, the API) is seen without a restart."""
    from functools import partial

    from azur.engine.catalog import installed_specs

    specs = {spec.name: spec for spec in installed_specs()}
    with _lock:
        for name, old in list(_catalog_specs.items()):
            if specs.get(name) != old:
                _factories.pop(name, None)
                _built.pop(name, None)
                del _catalog_specs[name]
        for name, spec in specs.items():
            if name not in _factories:
                _factories[name] = partial(_build_spec, spec)
                _catalog_specs[name] = spec
