"""Checking a video file for Azur's marks: the C2PA manifest and the invisible watermark.

One function, :func:`verify_file`, serves ``azur verify`` and ``POST /v1/verify``. Verdicts:

* exit code 0: the file carries Azur's watermark, or a valid C2PA manifest made by Azur;
* exit code 1: neither (a video Azur did not make, or one whose marks were destroyed);
* exit code 2: the file cannot be read as a video.

The manifest verdict tells apart a **valid** manifest, a **tampered** one (present, but its signature or hashes
fail: the file was edited after signing), and a **stripped** one (no manifest, yet the watermark is there: the
credentials were removed, e.g. by a re-upload).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from azur.config import Settings
from azur.media.read import UnreadableVideo, iter_frames, probe_video
from azur.provenance import watermark
from azur.provenance.c2pa import ManifestReport, read_manifest
from azur.provenance.identity import load_installation, provenance_dir

# Looks a watermark's video reference (10 hex digits) up in the caller's database.
FindVideo = Callable[[str], dict | None]


@dataclass
class VerifyReport:
    path: str
    readable: bool
    error: str | None = None
    manifest: ManifestReport | None = None
    manifest_verdict: str = "missing"  # valid | tampered | stripped | missing | foreign
    watermark: watermark.WatermarkReading | None = None
    made_here: bool | None = None  # watermark's installation tag (or manifest) matches this installation
    video: dict | None = None  # the matching video in this installation's database, when found
    notes: list[str] = field(default_factory=list)

    @property
    def watermark_found(self) -> bool:
        return bool(self.watermark and self.watermark.found)

    @property
    def manifest_valid_azur(self) -> bool:
        return bool(self.manifest and self.manifest.status == "valid" and self.manifest.is_azur)

    @property
    def exit_code(self) -> int:
        if not self.readable:
            return 2
        return 0 if (self.watermark_found or self.manifest_valid_azur) else 1

    @property
    def verdict(self) -> str:
        if not self.readable:
            return "unreadable"
        return "azur" if self.exit_code == 0 else "not_found"

    def to_dict(self) -> dict:
        return {
            "path": self.path,
            "verdict": self.verdict,
            "exit_code": self.exit_code,
            "error": self.error,
            "c2pa": {"verdict": self.manifest_verdict, **(self.manifest.to_dict() if self.manifest else {})},
            "watermark": self.watermark.to_dict() if self.watermark else None,
            "made_by_this_installation": self.made_here,
            "video": self.video,
            "notes": list(self.notes),
        }


def verify_file(path: Path, *, settings: Settings, find_video: FindVideo | None = None) -> VerifyReport:
    """Look for Azur's marks in ``path``. Never raises for a bad file: it says so in the report (exit 2)."""
    path = Path(path)
    report = VerifyReport(path=str(path), readable=True)
    try:
        info = probe_video(path, settings.media)
    except (UnreadableVideo, FileNotFoundError, PermissionError, IsADirectoryError) as exc:
        report.readable, report.error = False, _message(exc, path)
        return report
    installation = load_installation(settings.home, create=False)
    trust_anchor = provenance_dir(settings.home) / "ca.cert.pem"

    # 1. C2PA credentials (embedded, or a sidecar next to a WebM).
    report.manifest = read_manifest(path, trust_anchor=trust_anchor)

    # 2. The watermark: a vote over up to MAX_FRAMES frames spread over the whole video.
    every = max(1, info.frame_count // watermark.MAX_FRAMES) if info.frame_count else 1
    accumulator = watermark.WatermarkAccumulator()
    try:
        for gray in iter_frames(path, format="gray", size=(watermark.WORK, watermark.WORK), every=every,
                                interpolation="AREA", limits=settings.media):
            accumulator.add_work_frame(gray)
    except UnreadableVideo as exc:
        if accumulator.frames == 0:
            report.readable, report.error = False, str(exc)
            return report
        report.notes.append(f"decoding stopped early: {exc}")
    report.watermark = accumulator.read()

    # 3. Verdicts and the database look-up.
    manifest = report.manifest
    if manifest.status == "valid":
        report.manifest_verdict = "valid" if manifest.is_azur else "foreign"
    elif manifest.status == "invalid":
        report.manifest_verdict = "tampered"
    else:
        report.manifest_verdict = "stripped" if report.watermark_found else "missing"
    if report.manifest_verdict == "stripped":
        report.notes.append("manifest missing, watermark present: the content credentials were removed")
    if report.manifest_verdict == "tampered":
        report.notes.append("the manifest does not match the file: it was changed after Azur signed it")
    payload = report.watermark.payload
    if installation is not None:
        if payload is not None:
            report.made_here = payload.installation_tag == installation.tag
        elif report.manifest_valid_azur:
            report.made_here = (manifest.azur or {}).get("installation_id") == installation.id
    if payload is not None and report.made_here is False:
        report.notes.append("watermarked by another Azur installation")
    if find_video is not None and payload is not None and report.made_here:
        report.video = find_video(payload.video_ref)
    return report


def _message(exc: BaseException, path: Path) -> str:
    if isinstance(exc, FileNotFoundError):
        return f"No such file: {path}"
    if isinstance(exc, IsADirectoryError):
        return f"{path} is a folder, not a video"
    if isinstance(exc, PermissionError):
        return f"Cannot open {path}: permission denied"
    return str(exc)
