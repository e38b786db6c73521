"""Real storage faults for tests, as root: an immutable folder (``chattr +i``: even root cannot remove what
is inside) and a tiny file system that fills up (a tmpfs mounted for the test). Tests skip, saying why,
where the machine cannot make them."""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest


@contextlib.contextmanager
def immutable(folder: Path) -> Iterator[None]:
    """While inside, nothing in ``folder`` can be removed or added, by anyone."""
    made = subprocess.run(["chattr", "+i", str(folder)], capture_output=True, text=True)
    if made.returncode != 0:
        pytest.skip(f"chattr +i does not work here: {made.stderr.strip()}")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(folder)], check=True)


@contextlib.contextmanager
def tiny_disk(mount_point: Path, size_kib: int) -> Iterator[Path]:
    """A tmpfs of ``size_kib`` KiB mounted at ``mount_point``, unmounted afterwards."""
    mount_point.mkdir(parents=True, exist_ok=True)
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_kib}k", "tmpfs", str(mount_point)],
                          capture_output=True, text=True)
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {made.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=True)


def fill(disk: Path, leave_bytes: int) -> None:
    """Fill ``disk`` until about ``leave_bytes`` stay free (rounded down to the file system's blocks)."""
    stats = os.statvfs(disk)
    free = stats.f_bavail * stats.f_frsize
    block = stats.f_frsize
    keep = (leave_bytes // block) * block
    with open(disk / "filler", "wb") as out:
        out.write(b"\0" * max(0, free - keep))
    stats = os.statvfs(disk)
    assert stats.f_bavail * stats.f_frsize == keep, (stats.f_bavail * stats.f_frsize, keep)


def free_bytes(disk: Path) -> int:
    stats = os.statvfs(disk)
    return stats.f_bavail * stats.f_frsize


def files_under(root: Path) -> list[str]:
    """Every file under ``root``, as paths relative to it (sorted)."""
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
