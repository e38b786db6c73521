"""Which sound a request gets when it names none: the plan's default, else the operator's; a source's own."""

from __future__ import annotations

import pytest

from azur.api.audio_option import resolve
from azur.api.errors import ApiError
from azur.config import PlanSettings, Settings
from azur.db.models import User
from azur.engine.request import make_request
from azur.sound.spec import SILENT, parse_audio

REQUEST = make_request("a red ball", seconds=2, size="480x480", seed=1)


def settings_with(plan_default=None, operator_default="none") -> Settings:  # noqa: ANN001
    plans = {"free": PlanSettings(name="Free", videos_per_month=10, max_seconds=5, max_resolution=480,
                                  default_audio=plan_default)}
    return Settings(plans=plans, sound={"default_audio": operator_default})


def test_defaults_plan_first_then_operator_then_silence() -> None:
    user = User(name="u", plan="free")
    assert resolve(settings_with(), user, None, REQUEST) == SILENT
    operator = {"music": {"mood": "calm"}}
    assert resolve(settings_with(operator_default=operator), user, None, REQUEST) == parse_audio(operator)
    plan = {"effects": True}
    assert resolve(settings_with(plan, operator), user, None, REQUEST) == parse_audio(plan)
    # What the request says wins, "none" included; a source's sound is kept over the defaults.
    assert resolve(settings_with(plan, operator), user, "none", REQUEST) == SILENT
    kept = parse_audio({"music": "sad"})
    assert resolve(settings_with(plan, operator), user, None, REQUEST, inherited=kept) == kept


def test_a_voiceover_too_long_for_the_clip_is_a_400() -> None:
    with pytest.raises(ApiError) as caught:
        resolve(settings_with(), User(name="u", plan="free"), {"voiceover": "Far too many words for two seconds "
                                                               "of video, however fast one reads them."}, REQUEST)
    assert caught.value.status == 400 and caught.value.param == "audio.voiceover.text"
