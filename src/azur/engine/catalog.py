"""The catalog of installed open-weight models: which names exist, their family, folder and options.

The API server, the CLI and every GPU worker must agree on it, so it lives in one shared place. For now
that is a JSON file, ``$AZUR_HOME/models.json``, rewritten atomically (a temporary file renamed over the
old one) so a reader never sees half a file; :class:`ModelCatalog` is the small interface a database-backed
catalog will implement later, with the same validation (:func:`validate_spec`).

A model is added from a local diffusers folder (``save_pretrained`` layout: ``model_index.json`` plus one
sub-folder per component). Nothing is ever downloaded: the folder must already hold the weights.
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

from azur.config import ModelOptions, Settings
from azur.engine.loras import InvalidLora, LoraSpec, validate_loras

# The diffusers pipeline classes each family accepts, read from ``_class_name`` in model_index.json.
FAMILY_PIPELINES: dict[str, tuple[str, ...]] = {
    "wan": ("WanPipeline", "WanImageToVideoPipeline"),
    "ltx": ("LTXPipeline", "LTXImageToVideoPipeline", "LTXConditionPipeline"),
    "cogvideox": ("CogVideoXPipeline", "CogVideoXImageToVideoPipeline"),
    "skyreels": ("SkyReelsV2DiffusionForcingPipeline",),
}
RESERVED_NAMES = ("azur-tiny",)  # built-in backends; a catalog entry may not shadow them
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


class InvalidModel(ValueError):
    """A model cannot be added as given; the message names the bad value and what is allowed."""


@dataclass(frozen=True)
class ModelSpec:
    """One installed model. ``options`` are :class:`~azur.config.ModelOptions` fields, set ones only."""

    name: str
    family: str
    path: Path
    options: dict[str, Any] = field(default_factory=dict)
    pipeline_class: str = ""  # ``_class_name`` from model_index.json, recorded at add time
    # Where the weights came from when pulled from the Hub: repo_id, revision, commit, licence (its id).
    source: dict[str, Any] = field(default_factory=dict)
    loras: tuple[LoraSpec, ...] = ()  # fixed adapters (fused at load) and choices a request may name

    def to_json(self) -> dict[str, Any]:
        data = {
            "name": self.name,
            "family": self.family,
            "path": str(self.path),
            "options": self.options,
            "pipeline_class": self.pipeline_class,
        }
        if self.source:
            data["source"] = self.source
        if self.loras:
            data["loras"] = [lora.to_json() for lora in self.loras]
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ModelSpec:
        return cls(
            name=data["name"],
            family=data["family"],
            path=Path(data["path"]),
            options=dict(data.get("options") or {}),
            pipeline_class=data.get("pipeline_class", ""),
            source=dict(data.get("source") or {}),
            loras=tuple(LoraSpec.from_json(entry) for entry in data.get("loras") or ()),
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


def family_for_pipeline(class_name: str) -> str | None:
    """The family whose pipelines include ``class_name`` (``_class_name`` of model_index.json), or None."""
    return next((family for family, classes in FAMILY_PIPELINES.items() if class_name in classes), None)


def parse_options(options: Mapping[str, Any], *, where: str = "options") -> dict[str, Any]:
    """Check ``options`` against :class:`ModelOptions`; returns the set ones. Raises :class:`InvalidModel`."""
    try:
        parsed = ModelOptions.model_validate(dict(options))
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            key = ".".join(str(p) for p in error["loc"]) or "?"
            if error["type"] == "extra_forbidden":
                allowed = ", ".join(ModelOptions.model_fields)
                problems.append(f"unknown option '{key}' (allowed: {allowed})")
            else:
                problems.append(f"option '{key}': {error['msg']} (got {error.get('input')!r})")
        raise InvalidModel(f"Invalid {where}: " + "; ".join(problems) + ".") from None
    return parsed.model_dump(exclude_none=True)


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
    if spec.family not in FAMILY_PIPELINES:
        raise InvalidModel(f"Unknown family '{spec.family}'. Known families: {', '.join(FAMILY_PIPELINES)}.")
    path = spec.path.expanduser().resolve()
    class_name = read_model_index(path)["_class_name"]
    allowed = FAMILY_PIPELINES[spec.family]
    if class_name not in allowed:
        owner = family_for_pipeline(class_name)
        hint = f" It looks like a '{owner}' model: use --family {owner}." if owner else ""
        raise InvalidModel(
            f"{path} holds a {class_name}, not a '{spec.family}' pipeline ({', '.join(allowed)}).{hint}"
        )
    options = parse_options(spec.options)
    try:
        loras = tuple(validate_loras(spec.loras))
    except InvalidLora as exc:
        raise InvalidModel(str(exc)) from None
    return ModelSpec(spec.name, spec.family, path, options, class_name, dict(spec.source), loras)


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
                    f"A model named '{spec.name}' is already installed ({specs[spec.name].path}); "
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
