"""Typed settings, in one place.

Values come from (highest first): keyword arguments, ``AZUR_*`` environment variables, a TOML file
(``AZUR_CONFIG``, else ``$AZUR_HOME/azur.toml`` when it exists), then the defaults below. Nothing here is
built at import time: call :func:`get_settings` (cached) or construct :class:`Settings` in tests.
"""

from __future__ import annotations

import os
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any

import platformdirs
from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict


def default_home() -> Path:
    """The per-user data directory used when AZUR_HOME is not set."""
    return Path(platformdirs.user_data_dir("azur", appauthor=False))


class ProvenanceSettings(BaseModel):
    """How every video is marked as AI-generated."""

    c2pa: bool = True  # sign C2PA content credentials into every MP4 (sidecar for WebM)
    watermark: bool = True  # invisible watermark in the pixels, read back by `azur verify`
    visible_mark: bool = False  # a small "AI" / "Généré par IA" label in a corner
    visible_mark_language: str = "en"  # "en" or "fr"


class ServerSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1  # job workers started inside `azur serve` (0: only external `azur worker`s)
    poll_after_ms: int = 1000  # sent as the openai-poll-after-ms header while a job is running
    max_upload_bytes: int = 20 * 1024 * 1024  # larger input_reference uploads answer 413


class QueueSettings(BaseModel):
    lease_seconds: float = 60.0  # a claimed job whose worker stops heart-beating is reclaimed after this
    heartbeat_seconds: float = 5.0  # how often a running worker renews its lease
    max_attempts: int = 3  # a job that fails (or loses its worker) this many times ends `failed`
    poll_seconds: float = 0.5  # how often an idle worker looks for work


class Settings(BaseSettings):
    """Azur's settings. Environment: ``AZUR_<FIELD>``, nested with ``__`` (``AZUR_SERVER__PORT=9000``)."""

    model_config = SettingsConfigDict(env_prefix="AZUR_", env_nested_delimiter="__", extra="ignore")

    home: Path = Field(default_factory=default_home)  # data directory: database, files, keys
    database_url: str | None = None  # default: sqlite:///$home/azur.db
    storage_dir: Path | None = None  # default: $home/files
    default_model: str = "azur-tiny"  # the backend used when a request names none
    fps: int = 24  # output frame rate of every video
    max_seconds: int = 20  # the longest video a request may ask for (plans may allow less)
    video_retention_days: int = 30  # finished videos expire after this (expires_at in the API)
    provenance: ProvenanceSettings = Field(default_factory=ProvenanceSettings)
    server: ServerSettings = Field(default_factory=ServerSettings)
    queue: QueueSettings = Field(default_factory=QueueSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _TomlSource(settings_cls))

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.home / 'azur.db'}"

    @property
    def resolved_storage_dir(self) -> Path:
        return self.storage_dir or self.home / "files"


class _TomlSource(PydanticBaseSettingsSource):
    """Reads the optional TOML file; a missing default file is fine, a missing named one is an error."""

    def __call__(self) -> dict[str, Any]:
        named = os.environ.get("AZUR_CONFIG")
        if named:
            path = Path(named)
            if not path.is_file():
                raise FileNotFoundError(f"AZUR_CONFIG names {path}, which does not exist")
        else:
            home = Path(os.environ.get("AZUR_HOME") or default_home())
            path = home / "azur.toml"
            if not path.is_file():
                return {}
        with path.open("rb") as f:
            return tomllib.load(f)

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # unused: __call__ returns the whole mapping


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
