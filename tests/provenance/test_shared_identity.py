"""One installation across machines: the first records its id and CA in the database; another machine,
with an empty AZUR_HOME and the signing key given as a secret, makes videos that verify as the same
installation; a machine without the key, or with another installation's, is refused before any job."""

from __future__ import annotations

import shutil

import pytest

from azur.config import Settings
from azur.db.session import open_database
from azur.engine.request import make_request
from azur.pipeline import make_video
from azur.provenance.c2pa import SigningKeyError, configured_credentials
from azur.provenance.identity import ForeignSigningKey, check_signing_key, shared_installation
from azur.provenance.verify import verify_file
from tests.accounts.conftest import database_url  # noqa: F401 - fixture


def machine(tmp_path, name: str, database_url: str, **provenance) -> Settings:  # noqa: F811
    return Settings(home=tmp_path / name, database_url=database_url,
                    provenance={"visible_mark": False, **provenance})


def test_a_worker_with_an_empty_home_signs_as_the_installation(tmp_path, database_url):  # noqa: F811
    db = open_database(database_url)
    first = machine(tmp_path, "api", database_url)
    installation = shared_installation(first, db)
    secret = tmp_path / "secret"  # what an operator puts in a Kubernetes Secret
    secret.mkdir()
    for name in ("signer.key.pem", "signer.chain.pem"):
        shutil.copy(installation.folder / name, secret / name)

    worker = machine(tmp_path, "worker", database_url, key_file=str(secret / "signer.key.pem"),
                     cert_file=str(secret / "signer.chain.pem"))
    same = shared_installation(worker, db)
    assert same.id == installation.id and same.folder == tmp_path / "worker" / "provenance"
    check_signing_key(worker, same, db)  # passes
    assert not (same.folder / "signer.key.pem").exists()  # the key stays in the secret, not in the home
    request = make_request("a red ball moving right", seconds=1, size="480x480", seed=3)
    made = make_video(request, tmp_path / "made.mp4", settings=worker)

    # The first machine (its own home) verifies the worker's video as its own, C2PA trusted.
    report = verify_file(made.path, settings=first)
    assert report.made_here is True
    assert report.manifest.status == "valid" and report.manifest.trusted
    assert report.manifest.azur["installation_id"] == installation.id

    # The same key in environment variables instead of files.
    env_worker = machine(tmp_path, "worker-env", database_url,
                         key_pem=(secret / "signer.key.pem").read_text(),
                         cert_pem=(secret / "signer.chain.pem").read_text())
    check_signing_key(env_worker, shared_installation(env_worker, db), db)
    db.dispose()


def test_a_worker_without_the_installations_key_is_refused(tmp_path, database_url):  # noqa: F811
    db = open_database(database_url)
    installation = shared_installation(machine(tmp_path, "api", database_url), db)

    bare = machine(tmp_path, "bare", database_url)
    with pytest.raises(ForeignSigningKey, match="has no signing key.*AZUR_PROVENANCE__KEY_FILE"):
        check_signing_key(bare, shared_installation(bare, db), db)

    # A machine that once ran on its own has keys, but of another installation.
    other_db = open_database(f"sqlite:///{tmp_path / 'other.db'}")
    elsewhere = shared_installation(machine(tmp_path, "elsewhere", f"sqlite:///{tmp_path / 'other.db'}"), other_db)
    other_db.dispose()
    foreign = machine(tmp_path, "foreign", database_url, key_file=str(elsewhere.folder / "signer.key.pem"),
                      cert_file=str(elsewhere.folder / "signer.chain.pem"))
    with pytest.raises(ForeignSigningKey, match="signing key of another installation"):
        check_signing_key(foreign, shared_installation(foreign, db), db)

    mismatched = machine(tmp_path, "mismatched", database_url, key_file=str(elsewhere.folder / "signer.key.pem"),
                         cert_file=str(installation.folder / "signer.chain.pem"))
    with pytest.raises(SigningKeyError, match="does not match the first certificate"):
        configured_credentials(mismatched.provenance)
    half = machine(tmp_path, "half", database_url, key_file=str(installation.folder / "signer.key.pem"))
    with pytest.raises(SigningKeyError, match="Set both"):
        configured_credentials(half.provenance)
    db.dispose()


def test_azur_worker_without_the_key_stops_with_one_line(tmp_path):
    import os
    import subprocess

    from tests.conftest import AZUR

    url = f"sqlite:///{tmp_path / 'shared.db'}"
    db = open_database(url)
    shared_installation(machine(tmp_path, "api", url), db)
    db.dispose()
    env = {**os.environ, "AZUR_HOME": str(tmp_path / "gpu-box"), "AZUR_DATABASE_URL": url}
    env.pop("AZUR_CONFIG", None)
    run = subprocess.run([AZUR, "worker"], env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 2
    last = run.stderr.strip().splitlines()[-1]  # after the worker's start-up log lines
    assert last.startswith("azur: This machine has no signing key") and "Traceback" not in run.stderr
    assert "AZUR_PROVENANCE__KEY_FILE" in last
