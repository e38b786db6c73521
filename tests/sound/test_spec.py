"""The audio option: what is accepted, how it is stored, and what each refusal names."""

from __future__ import annotations

import pytest

from azur.engine.request import InvalidRequest
from azur.sound.spec import SILENT, AudioSpec, Music, Voiceover, parse_audio


def test_full_option_round_trips_through_its_stored_form() -> None:
    spec = parse_audio({"voiceover": {"text": "  Hello   there ", "language": "FR", "voice": "female", "speed": 1.2},
                        "music": {"mood": "Épique", "intensity": 0.8}, "effects": True})
    assert spec == AudioSpec(Voiceover("Hello there", "fr", "female", 1.2), Music("épique", 0.8), True)
    assert parse_audio(spec.to_json()) == spec


def test_multipart_text_values_are_read_as_the_client_sends_them() -> None:
    # The official client sends extra_body as form fields: every value is text.
    spec = parse_audio({"voiceover": {"text": "Hi", "speed": "1.25"}, "music": {"mood": "calm", "intensity": "0.3"},
                        "effects": "false"})
    assert spec.voiceover.speed == 1.25 and spec.music.intensity == 0.3 and spec.effects is False


@pytest.mark.parametrize("value", [None, "none", {}, {"effects": False}])
def test_silence(value) -> None:
    assert parse_audio(value) == SILENT and SILENT.to_json() == "none"


@pytest.mark.parametrize(("value", "param", "words"), [
    ("loud", "audio", "none"),
    ({"music": {"mood": "jazzy"}}, "audio.music.mood", "calm, happy"),
    ({"music": {"mood": "calm", "intensity": 2}}, "audio.music.intensity", "0 to 1"),
    ({"music": {"mood": "calm", "intensity": True}}, "audio.music.intensity", "number"),
    ({"voiceover": {"text": "hi", "language": "de"}}, "audio.voiceover.language", "en, fr"),
    ({"voiceover": {"text": "hi", "voice": "robot"}}, "audio.voiceover.voice", "default, male, female"),
    ({"voiceover": {"text": "hi", "speed": 3}}, "audio.voiceover.speed", "0.75 to 1.5"),
    ({"voiceover": {"text": "hi", "speed": "1e3"}}, "audio.voiceover.speed", "number"),
    ({"voiceover": {"text": "a\x00b"}}, "audio.voiceover.text", "U+0000"),
    ({"voiceover": {"text": "x" * 1001}}, "audio.voiceover.text", "at most 1000"),
    ({"voiceover": {"language": "en"}}, "audio.voiceover.text", "needs a text"),
    ({"effects": "yes"}, "audio.effects", "true or false"),
    ({"sfx": True}, "audio.sfx", "voiceover, music, effects"),
])
def test_refusals_name_the_value_and_what_is_allowed(value, param, words) -> None:
    with pytest.raises(InvalidRequest) as caught:
        parse_audio(value)
    assert caught.value.param == param
    assert words in caught.value.message
