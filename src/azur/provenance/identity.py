"""This installation's identity: a random id made on first use and kept under the data directory.

The id names the installation in C2PA manifests and (as a 16-bit tag) in the watermark, so that
``azur verify`` can say "made by this installation" rather than only "made by some Azur installation".
Everything lives in ``$home/provenance/``; deleting that folder gives the installation a new identity
(and new signing keys: see :mod:`azur.provenance.c2pa`). With a database (``azur serve``, workers), the
identity is the database's (:func:`shared_installation`), so every machine of a fleet is one installation;
the files here then mirror it.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from azur.provenance.watermark import installation_tag

if TYPE_CHECKING:
    from azur.config import Settings
    from azur.db.session import Database

PROVENANCE_DIR = "provenance"
IDENTITY_FILE = "installation.json"
CA_CERT_FILE = "ca.cert.pem"  # the trust anchor `azur verify` uses


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


class ForeignSigningKey(RuntimeError):
    """This machine's signing key is not the installation's: its videos would not verify as made here."""


def shared_installation(settings: Settings, db: Database) -> Installation:
    """The installation every machine of a fleet signs and watermarks as, kept in the database.

    The first machine to start records its identity there (its id; its CA certificate, from the configured
    signing secret or the key files it makes). Every machine then mirrors the database's id and CA (public
    material) into ``$home/provenance/``, where the pipeline, ``azur verify`` and exports read them, so a
    worker with an empty AZUR_HOME marks its videos as the same installation."""
    from sqlalchemy.exc import IntegrityError

    from azur.db.models import InstallationRecord
    from azur.provenance.c2pa import configured_credentials, ensure_credentials

    folder = provenance_dir(settings.home)
    folder.mkdir(parents=True, exist_ok=True)
    with _folder_lock(folder):
        with db.session() as session:
            row = session.get(InstallationRecord, 1)
        if row is None:
            local = load_installation(settings.home)
            anchor = None
            if settings.provenance.c2pa:
                anchor = (configured_credentials(settings.provenance) or ensure_credentials(local)).anchor_pem
            try:
                with db.session() as session:
                    session.add(InstallationRecord(id=1, installation_id=local.id, ca_cert_pem=anchor,
                                                   created_at=time.time()))
            except IntegrityError:  # another machine recorded its identity first: that one stands
                pass
            with db.session() as session:
                row = session.get(InstallationRecord, 1)
        _mirror(folder / IDENTITY_FILE, json.dumps({"installation_id": row.installation_id}) + "\n")
        if row.ca_cert_pem:
            _mirror(folder / CA_CERT_FILE, row.ca_cert_pem)
    return Installation(id=row.installation_id, folder=folder)


def check_signing_key(settings: Settings, installation: Installation, db: Database) -> None:
    """Before a worker takes jobs: its signing key (the configured secret, else ``$home/provenance``'s)
    must chain to the installation's CA. Raises :class:`ForeignSigningKey` naming what to set."""
    from azur.db.models import InstallationRecord
    from azur.provenance.c2pa import configured_credentials, local_credentials

    if not settings.provenance.c2pa:
        return
    with db.session() as session:
        row = session.get(InstallationRecord, 1)
    expected = row.ca_cert_pem if row is not None else None
    credentials = configured_credentials(settings.provenance) or local_credentials(installation)
    if expected is None or (credentials is not None and credentials.anchor_pem.strip() == expected.strip()):
        return
    where = "has no signing key" if credentials is None else "has a signing key of another installation"
    raise ForeignSigningKey(
        f"This machine {where}: its videos would not verify as installation {installation.id}. Give it the "
        "installation's key as a secret: AZUR_PROVENANCE__KEY_FILE and AZUR_PROVENANCE__CERT_FILE (copies of "
        "signer.key.pem and signer.chain.pem from $AZUR_HOME/provenance on the first machine), or "
        "AZUR_PROVENANCE__KEY_PEM and AZUR_PROVENANCE__CERT_PEM."
    )


def _mirror(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically, unless it is already there."""
    if path.is_file() and path.read_text() == text:
        return
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


@contextmanager
def _folder_lock(folder: Path) -> Iterator[None]:
    """Processes of one machine (a server and its worker processes) make the key files one at a time."""
    import fcntl

    with open(folder / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
