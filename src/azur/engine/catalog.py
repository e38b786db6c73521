"""The catalog of installed open-weight models: which names exist, their family, folder and options.

The API server, the CLI and every GPU worker must agree on it, so it lives in one shared place. For now
that is a JSON file, ``$AZUR_HOME/models.json``, rewritten atomically (a temporary file renamed over the
old one) so a reader never sees half a file; :class:`ModelCatalog` is the small interface a database-backed
catalog will implement later, with the same validation (:func:`validate_spec`).

A model is added from a local diffusers folder (``save_pretrained`` layout: ``model_index.json`` plus one
sub-folder per component). Nothing is ever downloaded: the folder must already hold the weights. A model of
the family ``openai-videos`` is instead a remote engine: an OpenAI-style ``/v1/videos`` server at ``url``
(:mod:`azur.engine.backends.remote`).
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from pydantic import ValidationError

from azur.config import ModelOptions, RemoteEngineOptions, Settings

# The diffusers pipeline classes each family accepts, read from ``_class_name`` in model_index.json.
FAMILY_PIPELINES: dict[str, tuple[str, ...]] = {
    "wan": ("WanPipeline", "WanImageToVideoPipeline"),
    "ltx": ("LTXPipeline", "LTXImageToVideoPipeline", "LTXConditionPipeline"),
    "cogvideox": ("CogVideoXPipeline", "CogVideoXImageToVideoPipeline"),
}
REMOTE_FAMILY = "openai-videos"  # a remote OpenAI-style video server, not a local folder
FAMILIES = (*FAMILY_PIPELINES, REMOTE_FAMILY)
RESERVED_NAMES = ("azur-tiny",)  # built-in backends; a catalog entry may not shadow them
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


class InvalidModel(ValueError):
    """A model cannot be added as given; the message names the bad value and what is allowed."""


@dataclass(frozen=True)
class ModelSpec:
    """One installed model. ``options`` are :class:`~azur.config.ModelOptions` fields (a remote engine's:
    :class:`~azur.config.RemoteEngineOptions`), set ones only.

    A local model has a ``path``; a remote engine (``family == "openai-videos"``) has a ``url`` instead, the
    base URL of its API as the OpenAI client takes it (``http://gpu-1:30000/v1``), an optional ``api_key``
    and the ``remote_model`` name it is asked for."""

    name: str
    family: str
    path: Path | None
    options: dict[str, Any] = field(default_factory=dict)
    pipeline_class: str = ""  # ``_class_name`` from model_index.json, recorded at add time
    url: str | None = None
    api_key: str | None = field(default=None, repr=False)  # never shown by `azur models list` or the API
    remote_model: str | None = None

    @property
    def is_remote(self) -> bool:
        return self.family == REMOTE_FAMILY

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": self.name,
            "family": self.family,
            "path": str(self.path) if self.path is not None else None,
            "options": self.options,
            "pipeline_class": self.pipeline_class,
        }
        if self.is_remote:
            data.update(url=self.url, api_key=self.api_key, remote_model=self.remote_model)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ModelSpec:
        return cls(
            name=data["name"],
            family=data["family"],
            path=Path(data["path"]) if data.get("path") else None,
            options=dict(data.get("options") or {}),
            pipeline_class=data.get("pipeline_class", ""),
            url=data.get("url"),
            api_key=data.get("api_key"),
            remote_model=data.get("remote_model"),
        )


class ModelCatalog(Protocol):
    """Where installed models are recorded. Implementations validate with :func:`validate_spec`."""

    def add(self, spec: ModelSpec, *, replace: bool = False) -> ModelSpec:
        """Record ``spec`` (validated); raises :class:`InvalidModel`, also when the name is taken and not
        ``replace``. Returns the spec as stored (absolute path, pipeline class filled in)."""
        ...

    def list(self) -> list[ModelSpec]:
        """All models, sorted by name."""
        ...

    def get(self, name: str) -> ModelSpec | None: ...

    def remove(self, name: str) -> bool:
        """Forget ``name`` (the weights stay on disk); False when it was not there."""
        ...


def read_model_index(path: Path) -> dict[str, Any]:
    """The parsed ``model_index.json`` of a diffusers folder; raises :class:`InvalidModel`."""
    if not path.is_dir():
        raise InvalidModel(f"The model folder {path} does not exist or is not a folder.")
    index = path / "model_index.json"
    if not index.is_file():
        raise InvalidModel(
            f"{path} is not a diffusers model folder: it has no model_index.json "
            "(download the '-Diffusers' version of the checkpoint, or save it with save_pretrained)."
        )
    try:
        data = json.loads(index.read_text())
    except (OSError, ValueError) as exc:
        raise InvalidModel(f"Cannot read {index}: {exc}.") from None
    if not isinstance(data, dict) or not isinstance(data.get("_class_name"), str):
        raise InvalidModel(f"{index} has no _class_name: it is not a diffusers pipeline folder.")
    return data


def parse_options(options: Mapping[str, Any], *, where: str = "options",
                  schema: type[ModelOptions] | type[RemoteEngineOptions] = ModelOptions) -> dict[str, Any]:
    """Check ``options`` against ``schema``; returns the set ones. Raises :class:`InvalidModel`."""
    try:
        parsed = schema.model_validate(dict(options))
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            key = ".".join(str(p) for p in error["loc"]) or "?"
            if error["type"] == "extra_forbidden":
                allowed = ", ".join(schema.model_fields)
                problems.append(f"unknown option '{key}' (allowed: {allowed})")
            else:
                problems.append(f"option '{key}': {error['msg']} (got {error.get('input')!r})")
        raise InvalidModel(f"Invalid {where}: " + "; ".join(problems) + ".") from None
    return parsed.model_dump(exclude_none=True, exclude_unset=schema is RemoteEngineOptions)


def validate_spec(spec: ModelSpec) -> ModelSpec:
    """Check a spec before it is recorded: a valid name, a known family, a diffusers folder whose pipeline
    class belongs to that family, and known options. Returns it with an absolute path and the pipeline class.
    Raises :class:`InvalidModel`."""
    if not _NAME.match(spec.name):
        raise InvalidModel(
            f"Invalid model name '{spec.name}': use 1-64 lowercase letters, digits, '.', '_' or '-', "
            "starting with a letter or digit."
        )
    if spec.name in RESERVED_NAMES:
        raise InvalidModel(f"The name '{spec.name}' is built in; choose another one.")
    if spec.family == REMOTE_FAMILY:
        return validate_remote_spec(spec)
    if spec.family not in FAMILY_PIPELINES:
        raise InvalidModel(f"Unknown family '{spec.family}'. Known families: {', '.join(FAMILIES)}.")
    if spec.path is None:
        raise InvalidModel(f"A '{spec.family}' model needs --path: the local diffusers folder of its weights.")
    if spec.url is not None:
        raise InvalidModel(f"--url is for remote engines (--family {REMOTE_FAMILY}), not '{spec.family}' models.")
    path = spec.path.expanduser().resolve()
    class_name = read_model_index(path)["_class_name"]
    allowed = FAMILY_PIPELINES[spec.family]
    if class_name not in allowed:
        owner = next((f for f, classes in FAMILY_PIPELINES.items() if class_name in classes), None)
        hint = f" It looks like a '{owner}' model: use --family {owner}." if owner else ""
        raise InvalidModel(
            f"{path} holds a {class_name}, not a '{spec.family}' pipeline ({', '.join(allowed)}).{hint}"
        )
    options = parse_options(spec.options)
    return ModelSpec(spec.name, spec.family, path, options, class_name)


def validate_remote_spec(spec: ModelSpec) -> ModelSpec:
    """Check a remote engine's entry: an http(s) base URL, no local path, options of
    :class:`~azur.config.RemoteEngineOptions`. Raises :class:`InvalidModel`."""
    from urllib.parse import urlsplit

    if spec.path is not None:
        raise InvalidModel(f"A remote engine (--family {REMOTE_FAMILY}) has a --url, not a --path.")
    url = (spec.url or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidModel(
            f"Invalid --url {url!r}: expected the http(s) base URL of an OpenAI-style video API, "
            "e.g. http://gpu-1:30000/v1."
        )
    options = parse_options(spec.options, schema=RemoteEngineOptions)
    return ModelSpec(spec.name, spec.family, None, options, "", url=url.rstrip("/"),
                     api_key=spec.api_key or None, remote_model=spec.remote_model or None)


class JsonModelCatalog:
    """The catalog as one JSON file: ``{"models": [ModelSpec.to_json(), ...]}``, written atomically."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    def _read(self) -> dict[str, ModelSpec]:
        try:
            data = json.loads(self.path.read_text())
        except FileNotFoundError:
            return {}
        except ValueError as exc:
            raise InvalidModel(f"The model catalog {self.path} is not valid JSON ({exc}); fix or delete it.") from None
        return {entry["name"]: ModelSpec.from_json(entry) for entry in data.get("models", [])}

    def _write(self, specs: dict[str, ModelSpec]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        payload = {"models": [specs[name].to_json() for name in sorted(specs)]}
        fd, tmp = tempfile.mkstemp(prefix=".models.", suffix=".json", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w") as f:
                json.dump(payload, f, indent=2)
                f.write("\n")
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)  # atomic on POSIX and Windows: readers see the old or the new file
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def add(self, spec: ModelSpec, *, replace: bool = False) -> ModelSpec:
        spec = validate_spec(spec)
        with self._lock:
            specs = self._read()
            if spec.name in specs and not replace:
                raise InvalidModel(
                    f"A model named '{spec.name}' is already installed "
                    f"({specs[spec.name].path or specs[spec.name].url}); "
                    "remove it first or use --replace."
                )
            specs[spec.name] = spec
            self._write(specs)
        return spec

    def list(self) -> list[ModelSpec]:
        specs = self._read()
        return [specs[name] for name in sorted(specs)]

    def get(self, name: str) -> ModelSpec | None:
        return self._read().get(name)

    def remove(self, name: str) -> bool:
        with self._lock:
            specs = self._read()
            if specs.pop(name, None) is None:
                return False
            self._write(specs)
        return True


def open_catalog(settings: Settings | None = None) -> ModelCatalog:
    """The catalog the configured Azur home uses (today: ``$AZUR_HOME/models.json``)."""
    if settings is None:
        from azur.config import get_settings

        settings = get_settings()
    return JsonModelCatalog(settings.home / "models.json")


def effective_options(spec: ModelSpec, settings: Settings | None = None) -> ModelOptions:
    """The spec's options with the configuration file's ``[models.NAME]`` section applied on top."""
    merged = dict(spec.options)
    if settings is not None and spec.name in settings.models:
        merged.update(settings.models[spec.name].model_dump(exclude_none=True))
    return ModelOptions.model_validate(merged)
