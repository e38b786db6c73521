"""`azur` as a user runs it, through pipes: a bad output path is refused before any generation with one line
that names the reason (exit 2, no traceback), and messages are not broken mid-sentence when nobody's
terminal is there to wrap them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

AZUR = str(Path(sys.executable).parent / "azur")


def azur(home: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    env["AZUR_HOME"] = str(home)
    return subprocess.run([AZUR, *args], env=env, capture_output=True, text=True, timeout=timeout)


def refused(home: Path, output: str | Path) -> str:
    """Run `azur generate ... -o output`; assert it was refused in one line; return that line."""
    run = azur(home, "generate", "a red ball moving right on a blue background", "-s", "1", "--size", "480x480",
               "-o", str(output))
    lines = run.stderr.strip().splitlines()
    assert run.returncode == 2 and run.stdout == "", run
    assert len(lines) == 1 and lines[0].startswith("azur: "), run.stderr
    assert "Traceback" not in run.stderr and "Generating" not in run.stderr  # refused before any generation
    return lines[0]


def test_special_and_unwritable_paths_are_refused_before_generation(tmp_path):
    home = tmp_path / "home"
    assert refused(home, "/sys/x.mp4") == "azur: Permission denied: /sys/x.mp4 (cannot write the output there)"
    assert refused(home, "/proc/x.mp4") == (
        "azur: No such file or directory: /proc/x.mp4 (cannot write the output there)")
    fifo = tmp_path / "pipe.mp4"  # opening it for writing would wait forever for a reader
    os.mkfifo(fifo)
    assert refused(home, fifo) == f"azur: {fifo} is not a regular file: choose a file name in a normal folder."


def test_folders_missing_folders_and_unknown_extensions_are_named(tmp_path):
    home = tmp_path / "home"
    folder = tmp_path / "videos.mp4"
    folder.mkdir()
    assert refused(home, folder) == f"azur: {folder} is a folder: give a file name, e.g. {folder / 'video.mp4'}."
    assert refused(home, tmp_path / "missing" / "x.mp4") == f"azur: The folder {tmp_path / 'missing'} does not exist."
    assert refused(home, tmp_path / "x.avi") == "azur: Output must end in .mp4 or .webm, got 'x.avi'."
    assert not (tmp_path / "x.avi").exists()


def test_an_immutable_file_and_a_read_only_mount_are_refused(tmp_path):
    home = tmp_path / "home"
    locked = tmp_path / "locked.mp4"
    locked.write_bytes(b"keep me")
    if subprocess.run(["chattr", "+i", str(locked)], capture_output=True).returncode != 0:
        pytest.skip("chattr +i is not allowed here")
    try:
        # Root ignores permission bits, not the immutable flag.
        assert refused(home, locked) == f"azur: Operation not permitted: {locked} (cannot write the output there)"
    finally:
        subprocess.run(["chattr", "-i", str(locked)], check=True)
    assert locked.read_bytes() == b"keep me"

    source, mount = tmp_path / "source", tmp_path / "read-only"
    source.mkdir()
    mount.mkdir()
    if subprocess.run(["mount", "--bind", "-o", "ro", str(source), str(mount)], capture_output=True).returncode:
        pytest.skip("read-only bind mounts are not allowed here")
    try:
        target = mount / "x.mp4"
        assert refused(home, target) == f"azur: Read-only file system: {target} (cannot write the output there)"
    finally:
        subprocess.run(["umount", str(mount)], check=True)


def test_messages_are_whole_lines_when_piped(tmp_path):
    # A deep output path makes the summary line far longer than the 80 columns Rich assumed off a terminal.
    out = tmp_path / ("a-long-folder-name-" * 4) / "red-ball.mp4"
    out.parent.mkdir()
    run = azur(tmp_path / "home", "generate", "a red ball moving right on a blue background zorblat", "-s", "1",
               "--size", "480x480", "--seed", "3", "-o", str(out))
    assert run.returncode == 0, run.stderr
    lines = run.stderr.splitlines()
    note = [line for line in lines if line.startswith("note:")]
    wrote = [line for line in lines if line.startswith("wrote ")]
    assert note == ["note: Words the model does not know (ignored): zorblat"]
    assert len(wrote) == 1 and str(out) in wrote[0] and wrote[0].endswith(" s"), run.stderr
    assert "seed 3" in wrote[0] and "480x480" in wrote[0]
