"""Where finished files live, behind one interface: :class:`~azur.storage.base.Storage`.

``local.py`` keeps them in a directory (the default, ``$AZUR_HOME/files``); ``s3.py`` in an S3-compatible
object store (``storage_url = "s3://BUCKET/PREFIX"``), which every machine of a fleet shares. Build one
with :func:`make_storage`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from azur.config import Settings
    from azur.storage.base import Storage


def make_storage(settings: Settings) -> Storage:
    """The storage that settings name: ``storage_url`` (s3://... or a directory), else ``storage_dir``."""
    from azur.storage.local import LocalStorage

    url = settings.storage_url
    if url and url.startswith("s3://"):
        from azur.storage.s3 import S3Storage, parse_s3_url

        bucket, prefix = parse_s3_url(url)
        return S3Storage(bucket, prefix, endpoint_url=settings.s3_endpoint_url, region=settings.s3_region,
                         multipart_bytes=settings.s3_multipart_mb * 1024 * 1024)
    return LocalStorage(Path(url).expanduser() if url else settings.resolved_storage_dir)
