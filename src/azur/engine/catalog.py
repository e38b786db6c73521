"""The catalog of installed open-weight models: which names exist, their family, folder and options.

The API server, the CLI and every GPU worker must agree on it, so it lives in the database they share
(table ``installed_models``; :class:`DatabaseModelCatalog`). Earlier versions kept a JSON file per data
directory, ``$AZUR_HOME/models.json``: it is imported once (:func:`import_json_catalog`) and renamed.

A model is added from a local diffusers folder (``save_pretrained`` layout: ``model_index.json`` plus one
sub-folder per component). Nothing is ever downloaded: the folder must already hold the weights. A model of
the family ``openai-videos`` is instead a remote engine: an OpenAI-style ``/v1/videos`` server at ``url``
(:mod:`azur.engine.backends.remote`).
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from pydantic import ValidationError
from sqlalchemy import delete, select

from azur.config import ModelOptions, RemoteEngineOptions, Settings
from azur.db.session import Database
from azur.engine.loras import InvalidLora, LoraSpec, validate_loras

# The diffusers pipeline classes each family accepts, read from ``_class_name`` in model_index.json.
FAMILY_PIPELINES: dict[str, tuple[str, ...]] = {
    "wan": ("WanPipeline", "WanImageToVideoPipeline"),
    "ltx": ("LTXPipeline", "LTXImageToVideoPipeline", "LTXConditionPipeline"),
    "ltx2": ("LTX2Pipeline", "LTX2ImageToVideoPipeline"),
    "cogvideox": ("CogVideoXPipeline", "CogVideoXImageToVideoPipeline"),
    "skyreels": ("SkyReelsV2DiffusionForcingPipeline",),
}
REMOTE_FAMILY = "openai-videos"  # a remote OpenAI-style video server, not a local folder
FAMILIES = (*FAMILY_PIPELINES, REMOTE_FAMILY)
LEGACY_FILE = "models.json"  # the catalog file of earlier versions, imported once
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
    # Where the weights came from when pulled from the Hub: repo_id, revision, commit, licence (its id).
    source: dict[str, Any] = field(default_factory=dict)
    loras: tuple[LoraSpec, ...] = ()  # fixed adapters (fused at load) and choices a request may name

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
            path=Path(data["path"]) if data.get("path") else None,
            options=dict(data.get("options") or {}),
            pipeline_class=data.get("pipeline_class", ""),
            url=data.get("url"),
            api_key=data.get("api_key"),
            remote_model=data.get("remote_model"),
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
    return ModelSpec(spec.name, spec.family, path, options, class_name, source=dict(spec.source), loras=loras)


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


class DatabaseModelCatalog:
    """The catalog as rows of ``installed_models`` in Azur's database, which every machine of a fleet
    shares (the API, the CLI, GPU workers elsewhere). Each change is one short transaction."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def add(self, spec: ModelSpec, *, replace: bool = False) -> ModelSpec:
        from azur.db.models import InstalledModel

        spec = validate_spec(spec)
        with self.db.session() as session:
            row = session.get(InstalledModel, spec.name, with_for_update=True)
            if row is not None and not replace:
                raise InvalidModel(
                    f"A model named '{spec.name}' is already installed "
                    f"({row.spec.get('path') or row.spec.get('url')}); "
                    "remove it first or use --replace."
                )
            if row is None:
                session.add(InstalledModel(name=spec.name, family=spec.family, spec=spec.to_json(),
                                           updated_at=time.time()))
            else:
                row.family, row.spec, row.updated_at = spec.family, spec.to_json(), time.time()
        return spec

    def list(self) -> list[ModelSpec]:
        from azur.db.models import InstalledModel

        with self.db.session() as session:
            rows = session.scalars(select(InstalledModel).order_by(InstalledModel.name)).all()
            return [ModelSpec.from_json(row.spec) for row in rows]

    def get(self, name: str) -> ModelSpec | None:
        from azur.db.models import InstalledModel

        with self.db.session() as session:
            row = session.get(InstalledModel, name)
            return None if row is None else ModelSpec.from_json(row.spec)

    def remove(self, name: str) -> bool:
        from azur.db.models import InstalledModel

        with self.db.session() as session:
            return session.execute(delete(InstalledModel).where(InstalledModel.name == name)).rowcount == 1


def import_json_catalog(path: Path, catalog: DatabaseModelCatalog) -> int:
    """Move the entries of a JSON catalog file (``$AZUR_HOME/models.json``, where Azur kept models before
    they moved to the database) into ``catalog``, once: the file is then renamed ``models.json.imported``.
    A name already in the database keeps its row. Returns how many entries were added."""
    from azur.db.models import InstalledModel

    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return 0
    except ValueError as exc:
        raise InvalidModel(f"The model catalog {path} is not valid JSON ({exc}); fix or delete it.") from None
    added = 0
    with catalog.db.session() as session:
        for entry in data.get("models", []):
            spec = ModelSpec.from_json(entry)  # as recorded then: its folder may be on another machine now
            if session.get(InstalledModel, spec.name) is None:
                session.add(InstalledModel(name=spec.name, family=spec.family, spec=spec.to_json(),
                                           updated_at=time.time()))
                added += 1
    os.replace(path, path.with_name(path.name + ".imported"))
    return added


_databases: dict[str, Database] = {}
_databases_lock = threading.Lock()


def open_catalog(settings: Settings | None = None) -> ModelCatalog:
    """The catalog in the configured database; a ``models.json`` left in ``$AZUR_HOME`` is imported first."""
    from azur.db.session import open_database

    if settings is None:
        from azur.config import get_settings

        settings = get_settings()
    url = settings.resolved_database_url
    with _databases_lock:  # one engine per database and process (the registry asks on every look-up)
        if url not in _databases:
            _databases[url] = open_database(url)
        catalog = DatabaseModelCatalog(_databases[url])
    legacy = settings.home / LEGACY_FILE
    if legacy.is_file():
        import_json_catalog(legacy, catalog)
    return catalog


def installed_specs(settings: Settings | None = None) -> list[ModelSpec]:
    """Every installed model, for the backend registry. A SQLite database that does not exist yet holds
    none: it is not made just to be read (``azur generate`` on a fresh machine stays database-free)."""
    from sqlalchemy.engine import make_url

    if settings is None:
        from azur.config import get_settings

        settings = get_settings()
    url = make_url(settings.resolved_database_url)
    if (url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:"
            and not Path(url.database).exists() and not (settings.home / LEGACY_FILE).is_file()):
        return []
    return open_catalog(settings).list()


def effective_options(spec: ModelSpec, settings: Settings | None = None) -> ModelOptions:
    """The spec's options with the configuration file's ``[models.NAME]`` section applied on top."""
    merged = dict(spec.options)
    if settings is not None and spec.name in settings.models:
        merged.update(settings.models[spec.name].model_dump(exclude_none=True))
    return ModelOptions.model_validate(merged)
