"""Audio tracks for Azur's videos: load a waveform (WAV or any file PyAV reads, or a numpy array), encode it
into the video's container (AAC in MP4, Opus in WebM) in step with the frames, and decode it back.

Voice-over, music and effects are made by :mod:`azur.sound`; this is the plumbing they use.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

AUDIO_CODECS = {"mp4": "aac", "webm": "libopus"}
AUDIO_RATES = {"mp4": 48000, "webm": 48000}
AUDIO_BITRATE = 128_000


class UnreadableAudio(ValueError):
    """The file is not audio Azur can read."""


@dataclass(frozen=True)
class Audio:
    """A waveform: ``samples`` is (channels, n) float32 in [-1, 1]; ``rate`` in Hz."""

    samples: np.ndarray
    rate: int

    @property
    def channels(self) -> int:
        return int(self.samples.shape[0])

    @property
    def seconds(self) -> float:
        return self.samples.shape[1] / self.rate

    @classmethod
    def from_array(cls, samples: np.ndarray, rate: int) -> Audio:
        """``samples``: (n,) mono or (channels, n); float in [-1, 1] or int16."""
        array = np.asarray(samples)
        if array.ndim == 1:
            array = array[None, :]
        if array.ndim != 2 or array.shape[0] not in (1, 2):
            raise ValueError(f"audio must be (n,) or (channels, n) with 1 or 2 channels, got shape {array.shape}")
        if array.dtype == np.int16:
            array = array.astype(np.float32) / 32768.0
        return cls(np.ascontiguousarray(array, dtype=np.float32), int(rate))


AudioSource = Audio | str | Path


def load_audio(source: AudioSource) -> Audio:
    """An :class:`Audio` from a file (WAV, MP3, AAC, Opus, ... or a video's audio track) or an Audio as is.
    Raises :class:`UnreadableAudio`."""
    if isinstance(source, Audio):
        return source
    path = Path(source)
    if not path.is_file():
        raise FileNotFoundError(2, "No such file", str(path))
    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                raise UnreadableAudio(f"{path} has no audio track")
            stream = container.streams.audio[0]
            channels = min(2, stream.codec_context.channels or 1)
            layout = "stereo" if channels == 2 else "mono"
            resampler = av.AudioResampler(format="fltp", layout=layout, rate=stream.rate)
            chunks = []
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray())
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray())
            rate = stream.rate
            # AAC pads its last frame; the stream's duration says where the sound ends, as a player cuts it.
            declared = round(float(stream.duration * stream.time_base) * rate) if stream.duration else None
    except (av.error.FFmpegError, UnicodeDecodeError) as exc:
        raise UnreadableAudio(f"Cannot read {path} as audio ({exc.__class__.__name__}).") from None
    samples = np.concatenate(chunks, axis=1) if chunks else np.zeros((channels, 0), np.float32)
    if declared is not None and 0 < declared < samples.shape[1]:
        samples = samples[:, :declared]
    return Audio(samples.astype(np.float32), rate)


def decode_audio(path: str | Path) -> Audio:
    """The first audio track of a media file (the same as :func:`load_audio` on a path)."""
    return load_audio(Path(path))


class AudioTrackEncoder:
    """Encodes one waveform into an output container, a slice at a time (so audio interleaves with video)."""

    def __init__(self, container: av.container.OutputContainer, audio: Audio, kind: str):
        self._out = container
        rate = AUDIO_RATES[kind]
        layout = "stereo" if audio.channels == 2 else "mono"
        self.stream = container.add_stream(AUDIO_CODECS[kind], rate=rate)
        self.stream.layout = layout
        self.stream.bit_rate = AUDIO_BITRATE
        self._resampler = av.AudioResampler(format=self.stream.format.name, layout=layout, rate=rate)
        self._audio = audio
        self._done = 0  # source samples already handed to the encoder
        self._pts = 0

    def encode_until(self, seconds: float) -> None:
        """Encode the source up to ``seconds``."""
        end = min(self._audio.samples.shape[1], round(seconds * self._audio.rate))
        if end > self._done:
            chunk = np.ascontiguousarray(self._audio.samples[:, self._done : end])
            frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout=self.stream.layout.name)
            frame.sample_rate = self._audio.rate
            self._done = end
            for out in self._resampler.resample(frame):
                self._encode(out)

    def finish(self, seconds: float) -> None:
        """Encode up to ``seconds`` (the video's end: longer audio is cut there) and flush the encoder."""
        self.encode_until(seconds)
        for out in self._resampler.resample(None):
            self._encode(out)
        for packet in self.stream.encode(None):
            self._out.mux(packet)

    def _encode(self, frame: av.AudioFrame) -> None:
        frame.pts = self._pts
        self._pts += frame.samples
        for packet in self.stream.encode(frame):
            self._out.mux(packet)
