"""Encoding, audio muxing and reading back, with real files (PyAV encoders and decoders)."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from azur.media.audio import Audio, decode_audio
from azur.media.encode import EncodeOptions, VideoWriter
from azur.media.images import load_image, spritesheet, thumbnail
from azur.media.read import UnreadableVideo, first_frame, iter_frames, last_frame, probe_video
from azur.media.transcode import transcode

W, H, FPS = 320, 180, 24


def grey_frames(n: int) -> list[np.ndarray]:
    """Frames whose grey level says their index (10, 20, ...): easy to recognise after a lossy encode."""
    return [np.full((H, W, 3), 10 + (10 * i) % 240, np.uint8) for i in range(n)]


def write(path: Path, frames: list[np.ndarray], **kw) -> Path:
    container = path.suffix.lstrip(".")
    with VideoWriter(path, W, H, FPS, EncodeOptions(container=container), **kw) as writer:
        for frame in frames:
            writer.write(frame)
    return path


@pytest.mark.parametrize("container, codec", [("mp4", "h264"), ("webm", "vp9")])
def test_encode_and_probe(tmp_path: Path, container: str, codec: str) -> None:
    path = write(tmp_path / f"clip.{container}", grey_frames(20))
    info = probe_video(path)
    assert (info.width, info.height, info.video_codec, info.audio_codec) == (W, H, codec, None)
    assert info.fps == pytest.approx(FPS)
    with av.open(str(path)) as c:
        assert c.streams.video[0].codec_context.pix_fmt == "yuv420p"
    assert len(list(iter_frames(path))) == 20


def test_mp4_is_faststart(tmp_path: Path) -> None:
    data = write(tmp_path / "clip.mp4", grey_frames(5)).read_bytes()
    assert 0 < data.find(b"moov") < data.find(b"mdat")


def test_first_and_last_frame(tmp_path: Path) -> None:
    path = write(tmp_path / "clip.mp4", grey_frames(20))
    assert abs(int(first_frame(path).mean()) - 10) <= 2
    assert abs(int(last_frame(path).mean()) - 200) <= 2
    assert first_frame(path.read_bytes()).shape == (H, W, 3)  # uploads arrive as bytes


def test_last_frame_of_long_video_seeks(tmp_path: Path) -> None:
    frames = [np.full((H, W, 3), (i * 3) % 250, np.uint8) for i in range(24 * 5)]
    path = write(tmp_path / "long.mp4", frames)
    assert abs(int(last_frame(path).mean()) - int(frames[-1].mean())) <= 2


@pytest.mark.parametrize("container, codec", [("mp4", "aac"), ("webm", "opus")])
def test_audio_track_round_trip(tmp_path: Path, container: str, codec: str) -> None:
    rate, seconds = 44100, 2.0
    t = np.arange(int(rate * seconds)) / rate
    tone = 0.5 * np.sin(2 * np.pi * 440 * t).astype(np.float32)
    path = write(tmp_path / f"talk.{container}", grey_frames(24), audio=Audio.from_array(tone, rate))
    info = probe_video(path)
    assert info.audio_codec == codec
    back = decode_audio(path)
    assert back.seconds == pytest.approx(1.0, abs=0.1)  # cut at the video's end (24 frames = 1 s)
    mono = back.samples.mean(axis=0)
    spectrum = np.abs(np.fft.rfft(mono[back.rate // 10 : back.rate // 10 + back.rate // 2]))
    peak_hz = np.argmax(spectrum) * back.rate / (back.rate // 2)
    assert peak_hz == pytest.approx(440, abs=10)


def test_audio_from_wav_file(tmp_path: Path) -> None:
    wav = tmp_path / "music.wav"
    with av.open(str(wav), "w") as out:
        stream = out.add_stream("pcm_s16le", rate=16000, layout="mono")
        samples = (np.sin(np.arange(16000) / 10) * 8000).astype(np.int16)[None, :]
        frame = av.AudioFrame.from_ndarray(samples, format="s16", layout="mono")
        frame.sample_rate = 16000
        for packet in stream.encode(frame):
            out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    path = write(tmp_path / "with_wav.mp4", grey_frames(12), audio=wav)
    assert probe_video(path).audio_codec == "aac"
    assert decode_audio(path).seconds == pytest.approx(0.5, abs=0.1)


def test_thumbnail_and_spritesheet() -> None:
    frames = grey_frames(8)
    thumb = load_image(thumbnail(frames[0], max_side=128))
    assert thumb.shape[1] == 128
    sheet = load_image(spritesheet(frames, columns=4, tile_width=64))
    assert sheet.shape[:2] == (2 * 36, 4 * 64)


def test_transcode_crop_resize_cut(tmp_path: Path) -> None:
    path = write(tmp_path / "clip.mp4", grey_frames(48))
    out = transcode(path, tmp_path / "out.mp4", crf=30, size=(160, 90), crop=(0.05, 0, 0, 0.05),
                    start_seconds=0.5, end_seconds=0.5)
    info = probe_video(out)
    assert (info.width, info.height) == (160, 90)
    assert len(list(iter_frames(out))) == 24


def test_unreadable_video(tmp_path: Path) -> None:
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"not a video at all" * 100)
    with pytest.raises(UnreadableVideo):
        probe_video(junk)
    with pytest.raises(FileNotFoundError):
        probe_video(tmp_path / "missing.mp4")
