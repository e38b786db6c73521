"""The moderation model client against a real local HTTP server speaking each protocol (the real Llama
Guard, ShieldGemma or moderation service cannot run here): verdicts mapped to Azur's categories, and every
way an answer can fail reported as unavailable."""

from __future__ import annotations

import time

import pytest

from azur.config import SafetySettings
from azur.safety import PromptModerator
from azur.safety.moderation_model import ModerationModel, ModerationModelUnavailable
from tests.safety.moderation_server import ModerationServer

KINDS = ["moderations", "llama-guard", "shieldgemma"]
PARAPHRASES = [("two grown-ups in their birthday suits on a sofa", "sexual"),
               ("a crowd cheering as a man is kicked until he stops moving", "violence")]


def client_for(server: ModerationServer, **options) -> ModerationModel:
    categories = options.pop("categories", {})
    model = {"url": server.url, "kind": server.kind, "model": "guard-1", "api_key": "sk-guard", **options}
    return ModerationModel(SafetySettings(model=model, categories=categories))


@pytest.mark.parametrize("kind", KINDS)
def test_meaning_the_word_rules_miss_is_refused_in_azurs_category(kind):
    with ModerationServer(kind) as server:
        model = client_for(server)
        assert model.check("a red ball bouncing on a beach").allowed
        for prompt, category in PARAPHRASES:
            assert PromptModerator().check(prompt).allowed  # the word rules see nothing wrong
            refused = model.check(prompt)
            assert (refused.allowed, refused.category) == (False, category)
            assert refused.message.startswith("This prompt was refused")
        request = server.requests[0]
        assert request["path"] == ("/v1/moderations" if kind == "moderations" else "/v1/chat/completions")
        assert request["authorization"] == "Bearer sk-guard" and request["body"]["model"] == "guard-1"


@pytest.mark.parametrize("kind", ["moderations", "llama-guard"])
def test_the_most_severe_category_wins_and_unknown_hazards_are_policy(kind):
    with ModerationServer(kind) as server:
        model = client_for(server)
        assert model.check("a cartoon of a kid and a grown man undressing together").category == "sexual_minors"
        assert model.check("a perfect copy of a famous studio's mouse mascot").category == "policy"


def test_shieldgemma_is_asked_one_policy_at_a_time():
    with ModerationServer("shieldgemma") as server:
        assert client_for(server).check("a red ball").allowed
        questions = server.prompts_seen()
        assert len(questions) == 4 and all("a red ball" in q for q in questions)
        assert all(q.count('"No ') == 1 for q in questions)


def test_a_category_the_operator_turned_off_is_not_refused():
    with ModerationServer("llama-guard") as server:
        model = client_for(server, categories={"violence": False})
        assert model.check("a crowd cheering as a man is kicked until he stops moving").allowed
        assert not model.check("two grown-ups in their birthday suits").allowed


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("behaviour", "reason"), [("error", "HTTP 500"), ("garbled", "answer"),
                                                   ("slow", "no answer within 0.5 s")])
def test_an_answer_that_cannot_be_used_is_reported(kind, behaviour, reason):
    with ModerationServer(kind, behaviour=behaviour) as server:
        model = client_for(server, timeout_seconds=0.5)
        started = time.monotonic()
        with pytest.raises(ModerationModelUnavailable, match=reason):
            model.check("a red ball")
        assert time.monotonic() - started < 2.5


def test_a_server_that_is_gone_is_reported():
    with ModerationServer("moderations") as server:
        model = client_for(server)
    with pytest.raises(ModerationModelUnavailable, match="cannot be reached"):
        model.check("a red ball")
