"""Hostile media built by the tests: small files that declare huge pictures or lie about their length."""

from __future__ import annotations

import io
import struct
import zlib

import av


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def forged_png(width: int, height: int, *, rows: int | None = None) -> bytes:
    """A greyscale PNG whose IHDR (valid CRC) declares ``width`` x ``height``; its IDAT holds ``rows`` rows of
    black (all of them by default), which zlib shrinks about a thousandfold: 9500x9500 is ~88 KB."""
    rows = height if rows is None else rows
    compressor = zlib.compressobj(9)
    row = b"\0" * (width + 1)  # filter byte + one byte a pixel
    block = row * max(1, (1 << 22) // len(row))
    parts, left = [], rows
    while left > 0:
        n = min(left, len(block) // len(row))
        parts.append(compressor.compress(block[: n * len(row)]))
        left -= n
    parts.append(compressor.flush())
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", b"".join(parts)) + _chunk(b"IEND", b"")


def sample_table_bomb(samples: int) -> bytes:
    """A one-frame MP4 (~1.4 KB) whose sample tables claim ``samples`` frames of one byte each: no bytes back
    them, yet FFmpeg's demuxer indexes every one when opening the file (50 million: 1.7 GB)."""
    data = bytearray(h264_video(64, 64, frames=1))

    def box(kind: bytes) -> int:
        return data.index(kind) + 4  # the box's payload, after its size and type

    stsz, stsc, stts = box(b"stsz"), box(b"stsc"), box(b"stts")
    data[stsz + 4:stsz + 12] = struct.pack(">II", 1, samples)  # constant size 1, sample count
    data[stsc + 12:stsc + 16] = struct.pack(">I", samples)  # first entry's samples per chunk
    data[stts + 8:stts + 12] = struct.pack(">I", samples)  # first entry's sample count
    return bytes(data)


def fragment_run_bomb(samples: int) -> bytes:
    """A fragmented MP4 (~1.7 KB) whose fragment run (trun) claims ``samples`` samples that take no bytes (no
    per-sample fields: each takes the defaults); FFmpeg indexes them all (20 million: 700 MB)."""
    buf = io.BytesIO()
    with av.open(buf, "w", format="mp4", options={"movflags": "frag_keyframe+empty_moov"}) as out:
        stream = out.add_stream("libx264", rate=24)
        stream.width, stream.height, stream.pix_fmt = 64, 64, "yuv420p"
        frame = av.VideoFrame(64, 64, "yuv420p")
        for plane in frame.planes:
            plane.update(bytes(plane.buffer_size))
        for i in range(3):
            frame.pts = i
            out.mux(stream.encode(frame))
        out.mux(stream.encode())
    data = bytearray(buf.getvalue())
    trun = data.index(b"trun") + 4
    flags = struct.unpack(">I", data[trun:trun + 4])[0] & 0x000005  # keep data offset and first-sample flags
    data[trun:trun + 8] = struct.pack(">II", flags, samples)
    return bytes(data)


def h264_video(width: int, height: int, frames: int = 3, *, container: str = "mp4", first_pts: int = 0) -> bytes:
    """A black H.264 clip at the lowest quality, at 24 fps from ``first_pts``: 8192x8192 x 3 frames is ~200 KB."""
    buf = io.BytesIO()
    with av.open(buf, "w", format=container) as out:
        stream = out.add_stream("libx264", rate=24)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"crf": "51", "preset": "ultrafast"}
        frame = av.VideoFrame(width, height, "yuv420p")
        for plane in frame.planes:
            plane.update(bytes(plane.buffer_size))
        for i in range(frames):
            frame.pts = first_pts + i
            out.mux(stream.encode(frame))
        out.mux(stream.encode())
    return buf.getvalue()
