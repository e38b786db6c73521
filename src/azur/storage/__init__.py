"""Where finished files live, behind one interface: :class:`~azur.storage.base.Storage`.

``local.py`` keeps them in a directory (the default, ``$AZUR_HOME/files``); object storage (S3 and
friends) comes later behind the same protocol. Build one with :func:`make_storage`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from azur.config import Settings
    from azur.storage.base import Storage


def make_storage(settings: Settings) -> Storage:
    """The storage that settings name (only the local directory for now)."""
    from azur.storage.local import LocalStorage

    return LocalStorage(settings.resolved_storage_dir)
