"""This installation's identity: a random id made on first use and kept under the data directory.

The id names the installation in C2PA manifests and (as a 16-bit tag) in the watermark, so that
``azur verify`` can say "made by this installation" rather than only "made by some Azur installation".
Everything lives in ``$home/provenance/``; deleting that folder gives the installation a new identity
(and new signing keys: see :mod:`azur.provenance.c2pa`).
"""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

from azur.provenance.watermark import installation_tag

PROVENANCE_DIR = "provenance"
IDENTITY_FILE = "installation.json"


@dataclass(frozen=True)
class Installation:
    id: str  # 32 lowercase hex digits
    folder: Path  # where keys and certificates live

    @property
    def tag(self) -> int:
        """The 16-bit tag carried by the watermark."""
        return installation_tag(self.id)


def provenance_dir(home: Path) -> Path:
    return Path(home) / PROVENANCE_DIR


def load_installation(home: Path, *, create: bool = True) -> Installation | None:
    """The installation's identity, made (atomically) on first use when ``create`` is true; else None if absent."""
    folder = provenance_dir(home)
    path = folder / IDENTITY_FILE
    if not path.is_file():
        if not create:
            return None
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".{IDENTITY_FILE}.{os.getpid()}.tmp"
        tmp.write_text(json.dumps({"installation_id": uuid.uuid4().hex}) + "\n")
        try:  # two processes starting at once: the first link wins, both read the winner
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
    data = json.loads(path.read_text())
    return Installation(id=str(data["installation_id"]), folder=folder)
