"""C2PA content credentials: this installation's signing keys, signing a finished video, reading one back.

Keys: on first use each installation makes its own small PKI under ``$home/provenance/``: a CA (P-256, 10
years) and a signing leaf it issues (P-256, 2 years) with what c2pa-python insists on offline (see FACTS.md,
"C2PA"): BasicConstraints ca=False, KeyUsage digitalSignature, ExtendedKeyUsage emailProtection, subject and
authority key identifiers. No time-stamp authority is used, so a manifest's validity rests on the leaf's dates.

Signing happens after the final mux (any later remux breaks the hash). MP4 gets the manifest embedded;
WebM, which the library cannot embed into, gets a sidecar ``<file>.c2pa`` with the manifest store, bound to
the WebM's bytes by a SHA-256 recorded in its assertions (checked by :func:`read_manifest`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import c2pa
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

import azur
from azur.provenance.identity import Installation

SIDECAR_SUFFIX = ".c2pa"
AZUR_ASSERTION = "org.azur.generation"  # our own assertion: installation, video id, model, file hash (WebM)
TRAINED_ALGORITHMIC_MEDIA = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
_CA_FILES = ("ca.key.pem", "ca.cert.pem")
_LEAF_FILES = ("signer.key.pem", "signer.chain.pem")


@dataclass(frozen=True)
class Credentials:
    """Paths of this installation's signing material."""

    key: Path  # the leaf's private key (PEM)
    chain: Path  # leaf certificate then CA certificate (PEM)
    ca_cert: Path  # the CA certificate alone: the trust anchor for "signed by this installation"


def ensure_credentials(installation: Installation) -> Credentials:
    """This installation's signing key and certificate chain, made on first use."""
    folder = installation.folder
    ca_key_path, ca_cert_path = (folder / name for name in _CA_FILES)
    key_path, chain_path = (folder / name for name in _LEAF_FILES)
    if not (ca_cert_path.is_file() and key_path.is_file() and chain_path.is_file()):
        _make_pki(installation, ca_key_path, ca_cert_path, key_path, chain_path)
    return Credentials(key=key_path, chain=chain_path, ca_cert=ca_cert_path)


def _make_pki(installation: Installation, ca_key_path: Path, ca_cert_path: Path, key_path: Path, chain_path: Path) -> None:
    now = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=5)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Azur installation"),
        x509.NameAttribute(NameOID.COMMON_NAME, f"Azur CA {installation.id[:12]}"),
    ])
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(cert_sign=True), critical=True)
        .add_extension(ca_ski, critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Azur installation"),
            x509.NameAttribute(NameOID.COMMON_NAME, f"Azur {installation.id}"),
        ]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=730))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(cert_sign=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    _write_private(ca_key_path, _private_pem(ca_key))
    _write_private(key_path, _private_pem(key))
    ca_cert_path.write_bytes(ca_cert.public_bytes(pem))
    chain_path.write_bytes(leaf.public_bytes(pem) + ca_cert.public_bytes(pem))


def _key_usage(*, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not cert_sign, content_commitment=False, key_encipherment=False,
        data_encipherment=False, key_agreement=False, key_cert_sign=cert_sign, crl_sign=cert_sign,
        encipher_only=False, decipher_only=False,
    )


def _private_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


# --- Signing -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GenerationInfo:
    """What the manifest says about how the video was made."""

    video_id: str
    model: str
    installation_id: str
    created_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc))
    title: str = "Azur video"
    audio: tuple[str, ...] = ()  # the soundtrack's generated parts ("voiceover", "music", ...); () when silent


def manifest_definition(info: GenerationInfo, *, file_sha256: str | None = None) -> dict:
    """The manifest JSON handed to ``c2pa.Builder``."""
    when = info.created_at.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z")
    generation = {
        "video_id": info.video_id,
        "model": info.model,
        "installation_id": info.installation_id,
        "created_at": when,
    }
    if file_sha256 is not None:
        generation["file_sha256"] = file_sha256
    created_parameters: dict = {"model": info.model}
    if info.audio:
        # The soundtrack is AI-generated too (issue 18): say so, and which parts, in the created action
        # itself and in Azur's own assertion.
        generation["audio"] = {"ai_generated": True, "parts": list(info.audio)}
        created_parameters["audio"] = {"ai_generated": True, "parts": list(info.audio),
                                       "description": "AI-generated soundtrack: " + ", ".join(info.audio)}
    return {
        "claim_generator_info": [{"name": "Azur", "version": azur.__version__}],
        "title": info.title,
        "assertions": [
            {
                "label": "c2pa.actions.v2",
                "data": {
                    "actions": [
                        {
                            "action": "c2pa.created",
                            "when": when,
                            "digitalSourceType": TRAINED_ALGORITHMIC_MEDIA,
                            "softwareAgent": {"name": "Azur", "version": azur.__version__},
                            "parameters": created_parameters,
                        }
                    ]
                },
            },
            {"label": AZUR_ASSERTION, "data": generation},
        ],
    }


def _signer(credentials: Credentials) -> c2pa.Signer:
    info = c2pa.C2paSignerInfo(
        alg=b"es256",
        sign_cert=credentials.chain.read_bytes(),
        private_key=credentials.key.read_bytes(),
        ta_url=None,
    )
    return c2pa.Signer.from_info(info)


def sign_c2pa(path: Path, info: GenerationInfo, credentials: Credentials) -> Path | None:
    """Sign ``path`` in place (MP4: embedded manifest) or next to it (WebM: returns the sidecar's path).

    Raises :class:`c2pa.C2paError` if the library refuses.
    """
    path = Path(path)
    kind = path.suffix.lower()
    if kind == ".webm":
        digest = _sha256(path)
        definition = manifest_definition(info, file_sha256=digest)
        sidecar = path.with_name(path.name + SIDECAR_SUFFIX)
        with c2pa.Builder(definition) as builder, _signer(credentials) as signer:
            builder.set_no_embed()
            # The library signs only formats it knows; the manifest store it returns is independent of the
            # asset bytes we feed it here, and binds to the WebM through the hash recorded above.
            import io

            manifest = builder.sign(signer, "image/png", io.BytesIO(_stand_in_png()), io.BytesIO())
        sidecar.write_bytes(manifest)
        return sidecar
    definition = manifest_definition(info)
    tmp = path.with_name(f".{path.name}.signing{path.suffix}")
    try:
        with c2pa.Builder(definition) as builder, _signer(credentials) as signer:
            builder.sign_file(path, tmp, signer)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return None


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _stand_in_png() -> bytes:
    """A 1x1 PNG: the stand-in asset c2pa-python signs and reads for a WebM sidecar (see sign_c2pa)."""
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (1, 1)).save(buf, format="PNG")
    return buf.getvalue()


# --- Reading -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ManifestReport:
    """What a file's C2PA credentials say.

    ``status``: "valid" (signature and hashes check out), "invalid" (present but tampered or broken),
    "missing" (no manifest at all). ``trusted``: signed by this installation's CA.
    """

    status: str
    source: str | None = None  # "embedded" or "sidecar"
    trusted: bool = False
    validation_state: str | None = None
    errors: tuple[str, ...] = ()
    generator: str | None = None
    digital_source_type: str | None = None
    azur: dict | None = None  # our org.azur.generation assertion
    signer: str | None = None

    @property
    def is_azur(self) -> bool:
        return self.azur is not None

    def to_dict(self) -> dict:
        return {
            "status": self.status,
            "source": self.source,
            "trusted_by_this_installation": self.trusted,
            "validation_state": self.validation_state,
            "errors": list(self.errors),
            "generator": self.generator,
            "digital_source_type": self.digital_source_type,
            "signer": self.signer,
            "azur": self.azur,
        }


def _context(trust_anchor: Path | None) -> c2pa.Context | None:
    if trust_anchor is None or not trust_anchor.is_file():
        return None
    settings = c2pa.Settings.from_json(json.dumps({
        "verify": {"verify_trust": True},
        "trust": {"trust_anchors": trust_anchor.read_text()},
    }))
    return c2pa.Context(settings)


def read_manifest(path: Path, *, trust_anchor: Path | None = None) -> ManifestReport:
    """Read and validate the C2PA credentials of ``path`` (embedded, or a ``.c2pa`` sidecar next to it)."""
    path = Path(path)
    sidecar = path.with_name(path.name + SIDECAR_SUFFIX)
    try:
        if sidecar.is_file():
            return _read_sidecar(path, sidecar, trust_anchor)
        reader = c2pa.Reader.try_create(str(path), context=_context(trust_anchor))
    except c2pa.C2paError as exc:
        return ManifestReport("invalid", "embedded", errors=(f"{exc.__class__.__name__}: {exc}",))
    if reader is None:
        return ManifestReport("missing")
    with reader:
        return _report(json.loads(reader.json()), "embedded")


def _read_sidecar(path: Path, sidecar: Path, trust_anchor: Path | None) -> ManifestReport:
    import io

    with c2pa.Reader("image/png", io.BytesIO(_stand_in_png()), sidecar.read_bytes(), context=_context(trust_anchor)) as r:
        report = _report(json.loads(r.json()), "sidecar")
    expected = (report.azur or {}).get("file_sha256")
    if report.status == "valid" and expected != _sha256(path):
        return _replace(report, status="invalid", errors=report.errors + ("the video's bytes do not match the sidecar's hash",))
    return report


def _replace(report: ManifestReport, **changes: object) -> ManifestReport:
    from dataclasses import replace

    return replace(report, **changes)  # type: ignore[arg-type]


def _report(store: dict, source: str) -> ManifestReport:
    state = store.get("validation_state")
    active = store.get("manifests", {}).get(store.get("active_manifest") or "", {})
    errors: list[str] = []
    results = store.get("validation_results") or {}
    # "signingCredential.untrusted" only says the CA is not a trust anchor here: that is `trusted`, not an error.
    items = list((results.get("activeManifest") or {}).get("failure", []) or []) + list(store.get("validation_status") or [])
    for item in items:
        code = item.get("code", "")
        text = f"{code}: {item.get('explanation', '')}".strip()
        if code and code != "signingCredential.untrusted" and text not in errors:
            errors.append(text)
    generator = None
    for g in active.get("claim_generator_info") or []:
        generator = f"{g.get('name')} {g.get('version', '')}".strip()
        break
    source_type, azur_data = None, None
    for assertion in active.get("assertions") or []:
        if assertion.get("label", "").startswith("c2pa.actions"):
            for action in assertion.get("data", {}).get("actions", []):
                if action.get("action") == "c2pa.created":
                    source_type = action.get("digitalSourceType")
        if assertion.get("label") == AZUR_ASSERTION:
            azur_data = assertion.get("data")
    signer = (active.get("signature_info") or {}).get("common_name")
    if state in ("Valid", "Trusted") and not errors:
        status = "valid"
    else:
        status = "invalid"
    return ManifestReport(
        status=status,
        source=source,
        trusted=state == "Trusted",
        validation_state=state,
        errors=tuple(errors),
        generator=generator,
        digital_source_type=source_type,
        azur=azur_data,
        signer=signer,
    )
