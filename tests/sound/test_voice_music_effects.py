"""The three sources of sound, each measured on its own waveform."""

from __future__ import annotations

import numpy as np
import pytest

from azur.engine.backend import ObjectPath
from azur.sound import effects, music, voice
from azur.sound.spec import Music, Voiceover

RATE = 48000


def dominant_hz(mono: np.ndarray, rate: int = RATE) -> float:
    spectrum = np.abs(np.fft.rfft(mono * np.hanning(len(mono))))
    return float(np.argmax(spectrum) * rate / len(mono))


# --- voice-over ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "language"), [("A red ball rolls to the right.", "en"),
                                                ("Une balle rouge roule vers la droite.", "fr")])
def test_speech_is_read_in_english_and_french(text: str, language: str) -> None:
    speech = voice.speak(Voiceover(text, language=language))
    assert speech.rate == RATE and speech.channels == 1
    assert 1.0 < speech.seconds < 4.0  # seven words at a natural rate
    # Speech energy sits in the voice band (100 Hz - 4 kHz), not in hiss or hum.
    spectrum = np.abs(np.fft.rfft(speech.samples[0])) ** 2
    hz = np.fft.rfftfreq(speech.samples.shape[1], 1 / RATE)
    assert spectrum[(hz > 100) & (hz < 4000)].sum() > 0.8 * spectrum.sum()


def test_speed_and_voice_change_the_reading() -> None:
    text = "The blue square grows slowly on a white background."
    normal, fast = voice.speak(Voiceover(text)), voice.speak(Voiceover(text, speed=1.5))
    assert fast.seconds < 0.8 * normal.seconds
    female = voice.speak(Voiceover(text, voice="female"))
    assert not np.array_equal(female.samples[:, :1000], normal.samples[:, :1000])


def test_a_voiceover_too_long_for_the_clip_is_refused_with_the_numbers() -> None:
    long = Voiceover("This sentence is much too long to be read aloud within a single second of video.")
    with pytest.raises(voice.VoiceoverTooLong) as caught:
        voice.check_fits(long, 2.0)
    assert caught.value.param == "audio.voiceover.text"
    assert "2 s video has room for 1.8 s" in caught.value.message
    assert voice.check_fits(Voiceover("Hello."), 2.0) < 1.8


# --- music ---------------------------------------------------------------------------------------------

def test_same_seed_same_music_and_another_seed_another() -> None:
    spec = Music("happy", 0.7)
    first = music.render(music.compose(spec, 11), 6.0).samples
    again = music.render(music.compose(spec, 11), 6.0).samples
    other = music.render(music.compose(spec, 12), 6.0).samples
    assert np.array_equal(first, again)
    assert np.abs(first - other).mean() > 0.1 * np.abs(first).mean()


def test_the_mood_sets_key_tempo_and_colours() -> None:
    calm, happy = music.compose(Music("calm"), 5), music.compose(Music("joyeux"), 5)
    assert 68 <= calm.tempo <= 82 and 108 <= happy.tempo <= 126
    assert music.MOODS["calm"].colours != music.MOODS["happy"].colours
    assert {music.compose(Music("calm"), seed).root for seed in range(12)} != {calm.root}  # the seed picks the key


def test_a_score_rendered_in_two_parts_is_the_score_rendered_whole() -> None:
    score = music.compose(Music("epic", 0.9), 4)
    whole = music.render(score, 8.0).samples
    later = music.render(score, 3.0, start=5.0).samples
    assert np.allclose(whole[:, 5 * RATE:], later, atol=1e-6)


def test_looping_music_wraps_round_without_a_click() -> None:
    score = music.compose(Music("playful", 0.8), 9, loop_seconds=5.0)
    assert (5.0 * score.tempo / 60) == pytest.approx(round(5.0 * score.tempo / 60))  # a whole number of beats
    looped = music.render(score, 5.0, loop=True).samples
    twice = np.concatenate([looped, looped], axis=1)
    steps = np.abs(np.diff(twice[0]))
    join = looped.shape[1] - 1
    assert steps[join] <= np.percentile(steps, 99.5)


# --- effects -------------------------------------------------------------------------------------------

def path(x, y, size, fps: int = 24) -> ObjectPath:
    return ObjectPath(np.asarray(x, float), np.asarray(y, float), np.asarray(size, float), fps)


def test_pitch_follows_height_and_pan_follows_position() -> None:
    n = 96
    rising = path(np.linspace(0.1, 0.9, n), np.linspace(0.9, 0.1, n), np.full(n, 0.1))
    sound = effects.object_sound(rising, 4.0).samples
    mono = sound.mean(axis=0)
    start, end = mono[RATE // 4: RATE // 2], mono[-RATE // 2: -RATE // 4]
    assert dominant_hz(end) > 2.2 * dominant_hz(start)  # y 0.85 -> 0.15 of the frame: 1.4 octaves (2.6x)
    left_then, right_then = np.abs(sound[:, : RATE]).mean(axis=1)
    left_later, right_later = np.abs(sound[:, -RATE:]).mean(axis=1)
    assert left_then > 2 * right_then and right_later > 2 * left_later


def test_level_follows_size() -> None:
    n = 96
    growing = path(np.full(n, 0.5), np.full(n, 0.5), np.linspace(0.03, 0.3, n))
    sound = effects.object_sound(growing, 4.0).samples
    assert np.abs(sound[:, -RATE:]).mean() > 3 * np.abs(sound[:, : RATE]).mean()


def test_an_accent_marks_a_change_of_motion() -> None:
    n = 96  # right for 2 s, then back left: one turn at 2 s
    x = np.concatenate([np.linspace(0.2, 0.8, n // 2), np.linspace(0.8, 0.2, n // 2)])
    bounce = path(x, np.full(n, 0.5), np.full(n, 0.1))
    assert [round(t, 1) for t in effects.accent_times(bounce)] == [2.0]
    steady = path(np.linspace(0.2, 0.8, n), np.full(n, 0.5), np.full(n, 0.1))
    assert effects.accent_times(steady) == []


def test_ambience_comes_from_the_prompt_words() -> None:
    assert effects.ambience_kind("Une plage au coucher du soleil, des vagues") == "sea"
    assert effects.ambience_kind("heavy rain on a window") == "rain"
    assert effects.ambience("a red ball on a blue background", 2.0, seed=1) is None
    bed = effects.ambience("wind in the mountains", 2.0, seed=1)
    assert bed is not None and bed.samples.shape == (2, 2 * RATE) and 0 < np.abs(bed.samples).max() < 0.5
