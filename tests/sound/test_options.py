"""What a video row stores about its sound, and the plan a worker reads back, extensions of extensions included."""

from __future__ import annotations

import numpy as np
import pytest

from azur.config import Settings
from azur.sound import options
from azur.sound.mix import RATE, Segment, make_soundtrack
from azur.sound.spec import SILENT, parse_audio

MUSIC = parse_audio({"music": {"mood": "calm", "intensity": 0.4}, "effects": True})


def test_a_silent_video_stores_nothing_and_gets_no_plan() -> None:
    assert options.stored(SILENT) == {} and options.plan_of(None) is None and options.plan_of({}) is None


def test_the_stored_sound_comes_back_as_the_plan() -> None:
    spec = parse_audio({"voiceover": {"text": "Bonjour.", "language": "fr"}, "music": "sad"})
    plan = options.plan_of(options.stored(spec))
    assert plan.audio == spec and plan.continues is None and plan.loop is False
    assert options.plan_of({**options.stored(spec), "loop": True}).loop is True


def test_an_extension_of_an_extension_keeps_one_score_going() -> None:
    # A 3 s source, a 2 s extension of it, then a 2 s extension of that: what the rows store chains them.
    first = options.stored(MUSIC)
    second = options.stored(MUSIC, options.continuation_from(first, seconds=3.0, prompt="p", seed=1))
    third = options.continuation_from(second, seconds=2.0, prompt="p", seed=2)
    assert third.score_start == 3.0  # the second clip started 3 s into the first clip's score
    assert third.previous.audio.music.seed == 1  # ... which is the first clip's (seed 1), not its own (seed 2)
    tail = make_soundtrack([Segment(2.0, MUSIC, seed=3)], continues=third)
    whole = make_soundtrack([Segment(7.0, MUSIC, seed=1)])
    assert tail.score_start == 5.0
    a, b = tail.audio.samples[:, RATE:].ravel(), whole.audio.samples[:, 6 * RATE:].ravel()
    assert np.corrcoef(a, b)[0, 1] > 0.95


def test_operator_and_plan_defaults_are_checked_when_the_settings_load() -> None:
    settings = Settings(sound={"default_audio": {"music": {"mood": "calme"}}})
    assert parse_audio(settings.sound.default_audio).music.mood == "calme"
    with pytest.raises(ValueError, match="Unknown mood"):
        Settings(sound={"default_audio": {"music": {"mood": "loud"}}})
    with pytest.raises(ValueError, match="cannot hold a voice-over"):
        Settings(sound={"default_audio": {"voiceover": "Hello"}})
