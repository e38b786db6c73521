"""The mix of a timeline: loudness, peaks, length, ducking, joins, and a model's own sound underneath."""

from __future__ import annotations

import numpy as np
import pytest

from azur.media.audio import Audio
from azur.sound.mix import RATE, Continuation, Segment, loudness, make_soundtrack, true_peak_dbtp
from azur.sound.spec import parse_audio

MUSIC = parse_audio({"music": {"mood": "happy", "intensity": 0.8}})
TALK = parse_audio({"voiceover": {"text": "The ball rolls on."}, "music": {"mood": "happy", "intensity": 0.8}})


def window_rms(samples: np.ndarray, start: float, end: float) -> float:
    part = samples[:, round(start * RATE): round(end * RATE)]
    return float(np.sqrt((part.astype(np.float64) ** 2).mean()))


def click_ratio(before: np.ndarray, after: np.ndarray) -> float:
    """The sample-to-sample step across a join, over the 99.9th percentile of steps around it (1 s each side):
    a click is a step far larger than the sound ever makes by itself."""
    joined = np.concatenate([before[:, -RATE:], after[:, :RATE]], axis=1).astype(np.float64)
    steps = np.abs(np.diff(joined, axis=1)).max(axis=0)
    return float(steps[RATE - 1] / np.percentile(steps, 99.9))


@pytest.mark.parametrize("spec", [MUSIC, TALK, parse_audio({"voiceover": {"text": "Only a voice."}})])
def test_loudness_peak_and_length(spec) -> None:
    track = make_soundtrack([Segment(3.5, spec, seed=2)])
    samples = track.audio.samples
    assert samples.shape == (2, round(3.5 * RATE))  # exactly the clip's length
    assert loudness(samples) == pytest.approx(-16.0, abs=0.3)
    assert true_peak_dbtp(samples) <= -1.0
    assert track.loudness_lufs == pytest.approx(loudness(samples), abs=1e-6)


def test_the_voice_ducks_the_music_and_sits_where_it_was_placed() -> None:
    track = make_soundtrack([Segment(6.0, TALK, seed=2)])
    (start, end), = track.voice_spans
    assert start == pytest.approx(0.4) and 1.0 < end - start < 2.5
    alone = make_soundtrack([Segment(6.0, MUSIC, seed=2)]).audio.samples
    with_voice = track.audio.samples
    # Where the voice speaks, the mix differs from the music alone by the speech; after it, by a level only.
    difference = with_voice / np.sqrt((with_voice ** 2).mean()) - alone / np.sqrt((alone ** 2).mean())
    inside, outside = window_rms(difference, start, end), window_rms(difference, end + 1.0, 6.0)
    assert inside > 3 * outside
    # And the music was ducked under it: the music's share (the mix minus speech) is quieter in the span.
    assert track.parts == ["voiceover", "music"]


def test_a_models_own_sound_stays_under_azurs_voice_and_music() -> None:
    t = np.arange(4 * 16000) / 16000
    own = Audio.from_array((0.3 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32), 16000)  # a 1 kHz "scene"
    track = make_soundtrack([Segment(4.0, TALK, seed=3, own_sound=own)])
    assert track.parts == ["voiceover", "music", "own_sound"]
    samples = track.audio.samples.mean(axis=0)
    spectrum = np.abs(np.fft.rfft(samples[-RATE:]))
    hz = np.fft.rfftfreq(RATE, 1 / RATE)
    tone = spectrum[(hz > 990) & (hz < 1010)].max()
    assert tone > 5 * np.median(spectrum[(hz > 500) & (hz < 2000)])  # the model's sound is still there
    assert loudness(track.audio.samples) == pytest.approx(-16.0, abs=0.5)


def test_an_extension_continues_the_music_with_no_click_and_no_step() -> None:
    source = Segment(4.0, MUSIC, prompt="a ball", seed=7)
    first = make_soundtrack([source])
    second = make_soundtrack([Segment(3.0, MUSIC, prompt="a ball", seed=99)], continues=Continuation(source))
    assert second.score_start == 4.0
    assert click_ratio(first.audio.samples, second.audio.samples) < 1.0
    # No level step: the last half second before the join and the first after it are as loud.
    level_before = window_rms(first.audio.samples, 3.5, 4.0)
    level_after = window_rms(second.audio.samples, 0.0, 0.5)
    assert level_after == pytest.approx(level_before, rel=0.25)
    # The extension's music is the source's score going on, not a new one (its own seed is not used).
    whole = make_soundtrack([Segment(7.0, MUSIC, seed=7)]).audio.samples
    a = second.audio.samples[:, RATE:2 * RATE].ravel()
    b = whole[:, 5 * RATE:6 * RATE].ravel()
    assert np.corrcoef(a, b)[0, 1] > 0.95


def test_a_timeline_of_shots_changes_music_with_a_crossfade() -> None:
    calm = parse_audio({"music": {"mood": "calm"}})
    track = make_soundtrack([Segment(3.0, MUSIC, seed=1), Segment(3.0, calm, seed=1)])
    samples = track.audio.samples
    assert samples.shape[1] == 6 * RATE
    assert loudness(samples) == pytest.approx(-16.0, abs=0.3)
    assert click_ratio(samples[:, : 3 * RATE], samples[:, 3 * RATE:]) < 1.0
    assert min(window_rms(samples, t, t + 0.1) for t in np.arange(2.5, 3.5, 0.1)) > 0.2 * window_rms(samples, 0, 6)


def test_effects_only_and_silence() -> None:
    ambience = make_soundtrack([Segment(2.0, parse_audio({"effects": True}), prompt="rain on the roof", seed=1)])
    assert ambience.parts == ["ambience"] and loudness(ambience.audio.samples) == pytest.approx(-16.0, abs=0.3)
    nothing = make_soundtrack([Segment(2.0, parse_audio({"effects": True}), prompt="a red square", seed=1)])
    assert nothing.parts == [] and not np.any(nothing.audio.samples)


def test_an_extension_with_other_music_fades_it_in_from_the_join() -> None:
    source = Segment(3.0, MUSIC, seed=7)
    first = make_soundtrack([source])
    dark = parse_audio({"music": {"mood": "sombre", "intensity": 0.3}})
    second = make_soundtrack([Segment(3.0, dark, seed=7)], continues=Continuation(source))
    assert second.score_start == 0.0  # a new score begins at the join
    assert click_ratio(first.audio.samples, second.audio.samples) < 1.0


def test_a_looping_video_loops_its_sound_without_a_click() -> None:
    track = make_soundtrack([Segment(4.0, MUSIC, seed=5)], loop=True).audio.samples
    assert track.shape[1] == 4 * RATE
    assert click_ratio(track, track) < 1.0  # the last sample flows into the first
    assert loudness(track) == pytest.approx(-16.0, abs=0.3)
