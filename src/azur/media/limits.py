"""Opening untrusted images and videos within limits: measured from their headers before anything is
decoded, and held again while decoding, since headers can lie.

A small file can declare a huge picture: an 88 KB PNG of 9500x9500 decodes to 270 MB, a 200 KB H.264 file
of 8192x8192 makes FFmpeg allocate over 150 MB just to probe it, and a 1.4 KB MP4 whose sample tables claim
50 million frames costs 1.7 GB while FFmpeg opens it. So every image or video that a user sends,
names, or hands to the CLI is opened here, by :func:`load_image` and :func:`open_video`, against
:class:`~azur.config.MediaLimits`; anything over them, or not readable at all, raises :class:`UnreadableImage` /
:class:`UnreadableVideo` (which the API answers as 400 ``invalid_image`` / ``invalid_video``).
"""

from __future__ import annotations

import io
import os
import struct
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import av
import numpy as np
from PIL import Image, UnidentifiedImageError

from azur.config import MediaLimits

DEFAULT_LIMITS = MediaLimits()

# Pillow warns from ~89 Mpx on and refuses from ~179 Mpx on, inside Image.open. The budget checked below is
# far lower; its warning would only print a second, vaguer message (on the CLI's stderr, say).
warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)

# Formats Pillow may use for uploads. Its other plugins (EPS runs Ghostscript, TIFF and PSD have had their
# share of decoder bugs) are more surface than a first frame needs.
IMAGE_FORMATS = ("PNG", "JPEG", "WEBP", "GIF", "BMP")

# FFmpeg's own cap on the pixels of a decoded picture (AVCodecContext.max_pixels), applied to the trial
# decoding of avformat_find_stream_info as well as to ours. Decoders check it on the picture padded to their
# stride (up to 64 columns) and macroblocks (up to 16 rows), hence the slack beyond max_video_pixels.
_PADDING = 128

# Frame threads each hold their own pictures; more threads than this buys little speed on one clip.
DECODER_THREADS = 4

# MP4/MOV sample tables may declare a sample count without the bytes to back it (a constant sample size),
# and FFmpeg's demuxer allocates an index entry for each while opening the file: a 1.4 KB file declaring
# 50 million samples costs 1.7 GB. Samples of all tracks together may number this many times the frames
# allowed (audio packets outnumber video frames about two to one).
SAMPLES_PER_FRAME = 16
_ISO_CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"moof", b"traf", b"mvex", b"edts"}
_DATA_HANDLERS = {b"alis", b"url ", b"rsrc"}  # QuickTime's data references, not a kind of track
_ISO_MAX_BOXES = 100_000  # a real file has hundreds; millions of empty boxes would only cost us time


class UnreadableImage(ValueError):
    """The bytes or file are not an image Azur can read, or declare more pixels than it accepts."""


class UnreadableVideo(ValueError):
    """The bytes or file are not a video Azur can read, or declare more than it accepts."""


def load_image(source: bytes | str | Path, limits: MediaLimits = DEFAULT_LIMITS) -> np.ndarray:
    """Decode an image (PNG, JPEG, WebP, GIF, BMP; the first frame of an animation) into an RGB uint8 array,
    after checking its declared size against ``limits``. Raises :class:`UnreadableImage`."""
    name = "the upload" if isinstance(source, bytes) else Path(source).name
    try:
        data = source if isinstance(source, bytes) else Path(source).read_bytes()
    except OSError as exc:
        raise UnreadableImage(f"Cannot read {name} ({exc.strerror or exc.__class__.__name__}).") from None
    try:
        # Image.open reads only the header: nothing is decoded before load().
        with Image.open(io.BytesIO(data), formats=IMAGE_FORMATS) as img:
            check_image_size(img.size, limits)
            img.load()
            return np.asarray(img if img.mode == "RGB" else img.convert("RGB"))
    except UnreadableImage:
        raise
    except Image.DecompressionBombError:  # Pillow's own cap, hit in open() by sizes far past ours
        raise UnreadableImage(f"The image declares more than {limits.max_image_pixels} pixels, "
                              "the most accepted (e.g. 4096x4096).") from None
    except UnidentifiedImageError:
        raise UnreadableImage(f"Cannot read {name} as an image; accepted formats: {', '.join(IMAGE_FORMATS)}.") from None
    except Exception as exc:  # noqa: BLE001 - a decoder fed hostile bytes can raise anything (truncated, bomb, ...)
        raise UnreadableImage(f"Cannot read {name} as an image ({exc.__class__.__name__}).") from None


def check_image_size(size: tuple[int, int], limits: MediaLimits = DEFAULT_LIMITS) -> None:
    width, height = size
    if width < 1 or height < 1 or width * height > limits.max_image_pixels:
        raise UnreadableImage(f"The image is {width}x{height} pixels; at most {limits.max_image_pixels} pixels "
                              f"(e.g. 4096x4096) are accepted.")


def open_video(source: bytes | str | Path, limits: MediaLimits = DEFAULT_LIMITS) -> av.container.InputContainer:
    """Open a video for reading, with FFmpeg's decoders capped at ``limits``, after checking what its headers
    declare (frame size, frame count, duration). Raises :class:`UnreadableVideo` (or FileNotFoundError)."""
    name = "the upload" if isinstance(source, bytes) else Path(source).name  # never a server path in an answer
    if not isinstance(source, bytes) and not Path(source).is_file():
        raise FileNotFoundError(2, "No such file", str(source))
    cap = {"max_pixels": str(limits.max_video_pixels + _PADDING * limits.max_video_side)}
    try:
        with io.BytesIO(source) if isinstance(source, bytes) else open(source, "rb") as file:
            check_sample_tables(file, limits)
    except OSError as exc:
        raise UnreadableVideo(f"Cannot read {name} ({exc.strerror or exc.__class__.__name__}).") from None
    try:
        container = av.open(io.BytesIO(source) if isinstance(source, bytes) else str(source), options=cap)
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        raise UnreadableVideo(f"Cannot read {name} as a video ({exc.__class__.__name__}).") from None
    try:
        if not container.streams.video:
            raise UnreadableVideo(f"{name} has no video track.")
        stream = container.streams.video[0]
        if stream.codec_context is None:
            raise UnreadableVideo(f"{name} is in a video codec Azur cannot decode.")
        check_video_header(stream.codec_context.width, stream.codec_context.height, stream.frames,
                           declared_seconds(container, stream), limits)
        stream.codec_context.options = dict(cap)
        stream.codec_context.thread_count = min(DECODER_THREADS, os.cpu_count() or 1)
    except BaseException:
        container.close()
        raise
    return container


def check_sample_tables(file: BinaryIO, limits: MediaLimits = DEFAULT_LIMITS) -> None:
    """Refuse an MP4/MOV whose sample tables declare more samples than ``limits`` allow, reading only box
    headers and counts (see SAMPLES_PER_FRAME). Every file is walked as FFmpeg's MOV demuxer would, from its
    first byte, whatever it starts with (FFmpeg's probe accepts many first boxes); other formats hold no
    sample tables to find."""
    file.seek(0, io.SEEK_END)
    size = file.tell()
    budget = limits.max_video_frames * SAMPLES_PER_FRAME
    total = 0
    for track in _iso_tracks(file, 0, size, [0]):
        total += track
        if total > budget:
            raise UnreadableVideo(f"The video's sample tables declare over {budget} samples; at most "
                                  f"{limits.max_video_frames} frames are accepted.")


def _iso_boxes(file: BinaryIO, start: int, end: int, seen: list[int]) -> Iterator[tuple[bytes, int, int]]:
    """(type, payload start, box end) of the boxes between ``start`` and ``end``; ``seen`` counts them all."""
    offset = start
    while offset + 8 <= end:
        seen[0] += 1
        if seen[0] > _ISO_MAX_BOXES:
            raise UnreadableVideo(f"The video holds more than {_ISO_MAX_BOXES} boxes.")
        file.seek(offset)
        header = file.read(8)
        if len(header) < 8:
            return
        length, kind = struct.unpack(">I4s", header)
        body = offset + 8
        if length == 1:
            large = file.read(8)
            if len(large) < 8:
                return
            length, body = struct.unpack(">Q", large)[0], offset + 16
        elif length == 0:
            length = end - offset
        if length < body - offset:
            return  # a broken box: FFmpeg will say so
        yield kind, body, min(end, offset + length)
        offset += length


def _iso_tracks(file: BinaryIO, start: int, end: int, seen: list[int], depth: int = 0) -> Iterator[int]:
    """For each track (trak) and fragment run (trun), the samples FFmpeg will index."""
    if depth > 8:
        return
    for kind, body, box_end in _iso_boxes(file, start, end, seen):
        if kind == b"trak":
            yield _indexed_samples(file, body, box_end, seen)
        elif kind == b"cmov":  # a zlib-compressed moov: its tables cannot be counted without inflating them
            raise UnreadableVideo("Compressed QuickTime headers (cmov) are not accepted.")
        elif kind == b"trun":
            file.seek(body + 4)  # version and flags
            yield _uint32(file)
        elif kind in _ISO_CONTAINERS:
            yield from _iso_tracks(file, body, box_end, seen, depth + 1)


def _indexed_samples(file: BinaryIO, start: int, end: int, seen: list[int]) -> int:
    # Like FFmpeg, the last sample-size and time-to-sample boxes of a track count; every handler box is kept,
    # since any of them may set the track's kind.
    handlers: set[bytes] = set()
    sizes = times = None

    def walk(begin: int, stop: int, depth: int) -> None:
        nonlocal sizes, times
        for kind, body, box_end in _iso_boxes(file, begin, stop, seen):
            if kind == b"hdlr":
                file.seek(body + 8)  # version/flags, pre-defined
                handlers.add(file.read(4))
            elif kind in (b"stsz", b"stz2"):
                sizes = body
            elif kind == b"stts":
                times = body
            elif kind in _ISO_CONTAINERS and depth < 6:
                walk(body, box_end, depth + 1)

    walk(start, end, 0)
    if sizes is None:
        return 0
    file.seek(sizes + 8)  # version/flags, then the sample size (stsz) or field size (stz2)
    samples = _uint32(file)
    if times is not None and handlers - _DATA_HANDLERS == {b"soun"}:
        file.seek(times + 4)
        entries, _count, delta = _uint32(file), _uint32(file), _uint32(file)
        if entries == 1 and delta == 1:
            return 0  # uncompressed audio: FFmpeg indexes it a chunk at a time (chunks are real bytes)
    return samples


def _uint32(file: BinaryIO) -> int:
    data = file.read(4)
    return struct.unpack(">I", data)[0] if len(data) == 4 else 0


def declared_seconds(container: av.container.InputContainer, stream: av.VideoStream) -> float:
    """The duration the stream (else the container) declares; 0.0 when neither does."""
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / av.time_base
    return 0.0


def check_video_header(width: int, height: int, frames: int, seconds: float,
                       limits: MediaLimits = DEFAULT_LIMITS) -> None:
    if width < 1 or height < 1:
        raise UnreadableVideo("The video declares no frame size.")
    if max(width, height) > limits.max_video_side or width * height > limits.max_video_pixels:
        raise UnreadableVideo(f"The video is {width}x{height}; at most {limits.max_video_side} pixels a side and "
                              f"{limits.max_video_pixels} pixels a frame (e.g. 3840x2160) are accepted.")
    if frames > limits.max_video_frames:
        raise UnreadableVideo(f"The video has {frames} frames; at most {limits.max_video_frames} are accepted.")
    if seconds > limits.max_video_seconds:
        raise UnreadableVideo(f"The video lasts {seconds:.0f} s; at most {limits.max_video_seconds:.0f} s are accepted.")


def decode_within(container: av.container.InputContainer, stream: av.VideoStream,
                  limits: MediaLimits = DEFAULT_LIMITS) -> Iterator[av.VideoFrame]:
    """``container.decode(stream)``, stopped with :class:`UnreadableVideo` once the frames decoded pass the
    limits that the header was checked against (a header can understate its frame count or duration)."""
    count = 0
    start = None  # streams need not start at 0 (MPEG-TS captures often start hours in)
    try:
        for frame in container.decode(stream):
            count += 1
            if count > limits.max_video_frames:
                raise UnreadableVideo(f"The video holds more than {limits.max_video_frames} frames.")
            if frame.time is not None:
                start = frame.time if start is None else min(start, frame.time)
                if frame.time - start > limits.max_video_seconds:
                    raise UnreadableVideo(f"The video lasts more than {limits.max_video_seconds:.0f} s.")
            if max(frame.width, frame.height) > limits.max_video_side:
                raise UnreadableVideo(f"A frame of the video is {frame.width}x{frame.height}, over the limit.")
            yield frame
    except av.error.FFmpegError as exc:
        raise UnreadableVideo(f"The video is damaged and cannot be decoded ({exc.__class__.__name__}).") from None
