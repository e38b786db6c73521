"""`verify_file` and `azur verify` on real files: exit codes 0/1/2, stripped vs tampered, the DB look-up."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from azur.config import ProvenanceSettings, Settings
from azur.media import synthetic
from azur.media.encode import EncodeOptions, VideoWriter
from azur.media.read import first_frame
from azur.media.transcode import transcode
from azur.provenance.verify import verify_file
from azur.provenance.visible import VisibleMark

from .conftest import make_marked

AZUR = str(Path(sys.executable).parent / "azur")


def foreign_video(path: Path) -> Path:
    with VideoWriter(path, 640, 360, 24, EncodeOptions()) as writer:
        for frame in synthetic.clip("footage", 640, 360, 48, seed=11):
            writer.write(frame)
    return path


def test_find_video_gets_the_reference(marked_mp4, settings) -> None:
    asked = []
    report = verify_file(marked_mp4.path, settings=settings, find_video=lambda ref: asked.append(ref) or {"id": ref})
    assert asked == ["3f3f3f3f3f"]
    assert report.video == {"id": "3f3f3f3f3f"}
    assert report.manifest_verdict == "valid" and report.manifest.trusted
    json.dumps(report.to_dict())  # the API returns it as is


def test_tampered_manifest_is_told_apart(marked_mp4, settings, tmp_path: Path) -> None:
    data = bytearray(marked_mp4.path.read_bytes())
    data[-200] ^= 0xFF
    tampered = tmp_path / "tampered.mp4"
    tampered.write_bytes(data)
    report = verify_file(tampered, settings=settings)
    assert report.manifest_verdict == "tampered"
    assert report.watermark.found and report.exit_code == 0


def test_other_installation(marked_mp4, tmp_path: Path) -> None:
    elsewhere = Settings(home=tmp_path / "other-home")
    verify_file(foreign_video(tmp_path / "x.mp4"), settings=elsewhere)  # no identity is made by verifying
    assert not (tmp_path / "other-home" / "provenance").exists()
    from azur.provenance.identity import load_installation

    load_installation(elsewhere.home)
    report = verify_file(marked_mp4.path, settings=elsewhere)
    assert report.exit_code == 0 and report.made_here is False
    assert report.manifest.status == "valid" and not report.manifest.trusted
    assert "another Azur installation" in " ".join(report.notes)


def test_provenance_off(synthetic_model, tmp_path: Path) -> None:
    bare = Settings(home=tmp_path, provenance=ProvenanceSettings(c2pa=False, watermark=False))
    result = make_marked(bare, synthetic_model, tmp_path / "bare.mp4", seconds=1, size="854x480")
    assert (result.c2pa_signed, result.watermark_payload) == (False, None)
    assert verify_file(result.path, settings=bare).exit_code == 1


def test_visible_mark(synthetic_model, tmp_path: Path) -> None:
    labelled = Settings(home=tmp_path, provenance=ProvenanceSettings(visible_mark=True, visible_mark_language="fr"))
    result = make_marked(labelled, synthetic_model, tmp_path / "label.mp4", seconds=1, size="854x480")
    assert result.visible_mark
    mark = VisibleMark(854, 480, "fr")
    x0, y0, x1, y1 = mark.box
    assert mark.text == "Généré par IA" and x1 > 800 and y1 > 440
    plain = np.zeros((480, 854, 3), np.uint8)
    plain[:] = 128
    drawn = mark.apply(plain.copy()).astype(int)
    assert (drawn[y0:y1, x0:x1] != 128).mean() > 0.5 and (drawn[:y0] == 128).all()
    # The same video without the label differs from it in the corner only.
    unlabelled = Settings(home=tmp_path, provenance=ProvenanceSettings(visible_mark=False))
    bare = make_marked(unlabelled, synthetic_model, tmp_path / "bare.mp4", seconds=1, size="854x480")
    with_label, without = first_frame(result.path).astype(int), first_frame(bare.path).astype(int)
    in_box = np.abs(with_label[y0:y1, x0:x1] - without[y0:y1, x0:x1]).mean()
    outside = np.abs(with_label[: y0 - 8] - without[: y0 - 8]).mean()
    assert in_box > 10 and outside < 3, (in_box, outside)
    assert verify_file(result.path, settings=labelled).exit_code == 0


def _cli(path: Path, home: Path, *extra: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "AZUR_HOME": str(home)}
    env.pop("AZUR_CONFIG", None)
    return subprocess.run([AZUR, "verify", str(path), *extra], capture_output=True, text=True, env=env, timeout=120)


def test_cli_exit_codes(marked_mp4, settings, tmp_path: Path) -> None:
    stripped = transcode(marked_mp4.path, tmp_path / "reupload.mp4", crf=28, size=(854, 480))
    done = _cli(stripped, settings.home)
    assert done.returncode == 0, done.stderr
    assert "manifest missing, watermark present" in done.stderr + done.stdout
    assert "this installation" in done.stderr + done.stdout

    done = _cli(marked_mp4.path, settings.home, "--json")
    assert done.returncode == 0
    report = json.loads(done.stdout)
    assert report["c2pa"]["verdict"] == "valid" and report["watermark"]["video_ref"] == "3f3f3f3f3f"

    assert _cli(foreign_video(tmp_path / "foreign.mp4"), settings.home).returncode == 1

    junk = tmp_path / "junk.mp4"
    junk.write_bytes(os.urandom(5000))
    done = _cli(junk, settings.home)
    assert done.returncode == 2 and "Cannot read" in done.stderr
    assert _cli(tmp_path / "missing.mp4", settings.home).returncode == 2
