"""C2PA credentials: the installation's PKI, manifests read back by c2pa.Reader, tampering, WebM sidecars."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import c2pa
import numpy as np
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from azur.media.encode import EncodeOptions, VideoWriter
from azur.provenance import c2pa as credentials
from azur.provenance.identity import load_installation

from .conftest import make_marked


def small_video(path: Path) -> Path:
    with VideoWriter(path, 64, 64, 24, EncodeOptions(container=path.suffix.lstrip("."))) as writer:
        for i in range(24):
            writer.write(np.full((64, 64, 3), i * 8, np.uint8))
    return path


def test_installation_pki_is_made_once(tmp_path: Path) -> None:
    installation = load_installation(tmp_path)
    assert load_installation(tmp_path) == installation
    creds = credentials.ensure_credentials(installation)
    first = creds.chain_pem
    assert credentials.ensure_credentials(installation).chain_pem == first
    leaf, ca = x509.load_pem_x509_certificates(first)
    assert leaf.issuer == ca.subject
    assert leaf.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    eku = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert ExtendedKeyUsageOID.EMAIL_PROTECTION in eku
    assert oct((installation.folder / "signer.key.pem").stat().st_mode & 0o777) == "0o600"


def test_manifest_read_back_by_c2pa_reader(marked_mp4, settings) -> None:
    with c2pa.Reader(str(marked_mp4.path)) as reader:
        store = json.loads(reader.json())
        assert reader.get_validation_state() == "Valid"  # valid signature; the CA is not a public anchor
    manifest = store["manifests"][store["active_manifest"]]
    assert manifest["claim_generator_info"][0]["name"] == "Azur"
    actions = next(a for a in manifest["assertions"] if a["label"].startswith("c2pa.actions"))["data"]["actions"]
    created = next(a for a in actions if a["action"] == "c2pa.created")
    assert created["digitalSourceType"].endswith("/trainedAlgorithmicMedia")
    assert created["softwareAgent"]["name"] == "Azur"
    generation = next(a for a in manifest["assertions"] if a["label"] == credentials.AZUR_ASSERTION)["data"]
    assert generation["video_id"] == marked_mp4.video_id
    assert generation["model"] == "test-synthetic"
    assert generation["created_at"].endswith("Z")

    ours = credentials.read_manifest(marked_mp4.path, trust_anchor=settings.home / "provenance" / "ca.cert.pem")
    assert (ours.status, ours.trusted, ours.errors) == ("valid", True, ())


def test_tampered_mp4_is_invalid(marked_mp4, tmp_path: Path) -> None:
    data = bytearray(marked_mp4.path.read_bytes())
    data[-200] ^= 0xFF  # a byte of coded video
    tampered = tmp_path / "tampered.mp4"
    tampered.write_bytes(data)
    report = credentials.read_manifest(tampered)
    assert report.status == "invalid"
    assert any("mismatch" in e for e in report.errors)


def test_webm_gets_a_sidecar(settings, synthetic_model, tmp_path: Path) -> None:
    result = make_marked(settings, synthetic_model, tmp_path / "clip.webm", container="webm", seconds=1,
                         size="854x480")
    assert result.sidecar_path == tmp_path / "clip.webm.c2pa"
    report = credentials.read_manifest(result.path)
    assert (report.status, report.source) == ("valid", "sidecar")
    assert report.azur["video_id"] == result.video_id
    # Change the video: the sidecar's recorded hash no longer matches.
    other = small_video(tmp_path / "other.webm")
    shutil.copy(result.sidecar_path, tmp_path / "other.webm.c2pa")
    assert credentials.read_manifest(other).status == "invalid"


def test_unsigned_file_has_no_manifest(tmp_path: Path) -> None:
    assert credentials.read_manifest(small_video(tmp_path / "plain.mp4")).status == "missing"
