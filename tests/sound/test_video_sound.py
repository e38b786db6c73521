"""Videos with sound, made by the real pipeline and read back from the files as a player would."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from azur.config import Settings
from azur.engine.backend import Clip, ModelInfo, register_backend, unregister_backend
from azur.engine.request import VideoRequest, make_request
from azur.media.audio import Audio, decode_audio
from azur.media.encode import EncodeOptions
from azur.media.read import probe_video
from azur.pipeline import make_video
from azur.provenance.c2pa import read_manifest
from azur.sound.mix import Continuation, Segment, SoundPlan, loudness
from azur.sound.spec import parse_audio

pytestmark = pytest.mark.slow  # each test encodes a few short videos

PROMPT = "a red ball moving up on a blue background"
FULL = parse_audio({"voiceover": {"text": "A red ball rises."}, "music": {"mood": "calm", "intensity": 0.6},
                    "effects": True})


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home")


def make(settings: Settings, path: Path, spec=FULL, *, seconds: float = 2.5, seed: int = 4, continues=None,
         container: str = "mp4"):  # noqa: ANN201
    request = make_request(PROMPT, seconds=seconds, size="480x480", seed=seed)
    return make_video(request, path, settings=settings, sound=SoundPlan(spec, continues=continues),
                      encode=EncodeOptions(container=container))


def stream_info(path: Path) -> tuple[str, float, float]:
    with av.open(str(path)) as container:
        audio, video = container.streams.audio[0], container.streams.video[0]
        return (audio.codec_context.name, float(audio.duration * audio.time_base),
                float(video.duration * video.time_base))


def test_a_video_with_voiceover_music_and_effects(settings: Settings, tmp_path: Path) -> None:
    result = make(settings, tmp_path / "full.mp4")
    codec, audio_seconds, video_seconds = stream_info(result.path)
    assert codec == "aac" and video_seconds == 2.5 and audio_seconds == pytest.approx(video_seconds, abs=1e-3)
    sound = decode_audio(result.path)
    assert sound.rate == 48000 and sound.channels == 2
    assert sound.samples.shape[1] == pytest.approx(2.5 * 48000, abs=1)
    assert loudness(sound.samples.astype(np.float64), sound.rate) == pytest.approx(-16.0, abs=1.0)
    assert np.abs(sound.samples).max() < 1.0  # nothing clipped after AAC
    assert result.soundtrack.parts == ["voiceover", "music", "effects"]
    # The manifest says the sound is AI-generated too.
    manifest = read_manifest(result.path)
    assert manifest.status == "valid" and manifest.azur["audio"] == {
        "ai_generated": True, "parts": ["voiceover", "music", "effects"]}


def test_speech_energy_sits_where_the_voiceover_was_placed(settings: Settings, tmp_path: Path) -> None:
    spec = parse_audio({"voiceover": {"text": "Look up.", "language": "en"}})
    result = make(settings, tmp_path / "voice.mp4", spec, seconds=3)
    (start, end), = result.soundtrack.voice_spans
    sound = decode_audio(result.path).samples.astype(np.float64)
    window = 480  # 10 ms
    rms = np.sqrt((sound.mean(axis=0)[: sound.shape[1] // window * window].reshape(-1, window) ** 2).mean(axis=1))
    times = (np.arange(len(rms)) + 0.5) * window / 48000
    speaking = times[rms > 0.1 * rms.max()]
    assert speaking.min() == pytest.approx(start, abs=0.1) and speaking.max() == pytest.approx(end, abs=0.15)
    assert rms[(times < start - 0.1) | (times > end + 0.15)].max() < 0.01 * rms.max()


def test_same_seed_same_sound_and_the_stills_do_not_change(settings: Settings, tmp_path: Path) -> None:
    first = make(settings, tmp_path / "a.mp4")
    again = make(settings, tmp_path / "b.mp4")
    other = make(settings, tmp_path / "c.mp4", seed=5)
    a, b, c = (decode_audio(r.path).samples for r in (first, again, other))
    assert np.array_equal(a, b)  # bit-identical decoded PCM
    assert not np.allclose(a, c, atol=1e-3)
    silent = make_video(make_request(PROMPT, seconds=2.5, size="480x480", seed=4), tmp_path / "silent.mp4",
                        settings=settings)
    assert probe_video(silent.path).audio_codec is None
    assert (first.thumbnail, first.spritesheet) == (silent.thumbnail, silent.spritesheet)


def test_webm_carries_opus(settings: Settings, tmp_path: Path) -> None:
    result = make(settings, tmp_path / "full.webm", container="webm")
    assert probe_video(result.path).audio_codec == "opus"
    sound = decode_audio(result.path)
    assert sound.seconds == pytest.approx(2.5, abs=0.03)
    assert loudness(sound.samples.astype(np.float64), sound.rate) == pytest.approx(-16.0, abs=1.0)


def test_an_extension_carries_the_sound_on_without_a_click(settings: Settings, tmp_path: Path) -> None:
    music = parse_audio({"music": {"mood": "happy", "intensity": 0.7}, "effects": True})
    source = make(settings, tmp_path / "source.mp4", music, seconds=3)
    previous = Segment(3.0, music, prompt=PROMPT, seed=4)
    extension = make(settings, tmp_path / "more.mp4", music, seconds=2, seed=9,
                     continues=Continuation(previous))
    before, after = decode_audio(source.path).samples, decode_audio(extension.path).samples
    assert before.shape[1] == 3 * 48000 and after.shape[1] == 2 * 48000
    joined = np.concatenate([before[:, -48000:], after[:, :48000]], axis=1).astype(np.float64)
    steps = np.abs(np.diff(joined, axis=1)).max(axis=0)
    assert steps[47999] < np.percentile(steps, 99.9)  # the join is no louder a step than the music's own
    level = [np.sqrt((part ** 2).mean()) for part in (before[:, -24000:], after[:, :24000])]
    assert level[1] == pytest.approx(level[0], rel=0.3)  # no gap, no jump in level


class HummingModel:
    """A video model that makes its own sound (as LTX-2 does): grey frames and a 1 kHz hum."""

    info = ModelInfo(name="humming", family="test", description="frames and a hum", max_seconds=10,
                     supports_first_frame=False)

    def check(self, request: VideoRequest) -> list[str]:
        return []

    def generate(self, request: VideoRequest, progress=None) -> Clip:  # noqa: ANN001
        count = request.frame_count
        t = np.arange(count * 16000 // request.fps) / 16000
        hum = Audio.from_array((0.2 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32), 16000)
        frames = (np.full((request.height, request.width, 3), 90, np.uint8) for _ in range(count))
        return Clip(frames=frames, frame_count=count, fps=request.fps, audio=hum)


@pytest.fixture
def humming():
    register_backend("humming", HummingModel)
    yield "humming"
    unregister_backend("humming")


def hum_level(samples: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(samples.mean(axis=0)[-24000:]))
    hz = np.fft.rfftfreq(24000, 1 / 48000)
    return float(spectrum[(hz > 990) & (hz < 1010)].max() / np.median(spectrum[(hz > 500) & (hz < 2000)]))


def test_a_model_with_its_own_sound_keeps_it_under_azurs(settings: Settings, tmp_path: Path, humming: str) -> None:
    request = make_request("a grey room", seconds=2, size="480x480", seed=1, model=humming)
    as_made = make_video(request, tmp_path / "own.mp4", settings=settings)
    assert as_made.soundtrack is None and hum_level(decode_audio(as_made.path).samples) > 20
    spec = parse_audio({"voiceover": {"text": "Hear it hum."}, "music": {"mood": "tense"}, "effects": True})
    mixed = make_video(request, tmp_path / "mixed.mp4", settings=settings, sound=SoundPlan(spec))
    assert mixed.soundtrack.parts == ["voiceover", "music", "own_sound"]  # its effects are its own sound
    sound = decode_audio(mixed.path).samples
    assert hum_level(sound) > 5
    assert loudness(sound.astype(np.float64)) == pytest.approx(-16.0, abs=1.0)
