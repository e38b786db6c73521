"""The moderation model as the second line of a real ``azur serve``, against a real local HTTP server
speaking each protocol (tests/safety/moderation_server.py; the real guard models cannot run here): what the
word rules miss is refused with Azur's envelope and category, the rules still answer first, and a model
that cannot answer refuses every create (fail closed) or is skipped and audited (fail open)."""

from __future__ import annotations

import openai
import pytest

from tests.conftest import AzurServer, assert_openai_error
from tests.safety.moderation_server import ModerationServer

pytestmark = pytest.mark.slow

SHORT = {"seconds": "1", "size": "480x480"}


def serve_with(home, guard: ModerationServer, *, fail_closed: bool, timeout: float = 5.0) -> AzurServer:
    return AzurServer(home, workers=0, env={
        "AZUR_SAFETY__MODEL__URL": guard.url, "AZUR_SAFETY__MODEL__KIND": guard.kind,
        "AZUR_SAFETY__MODEL__MODEL": "guard-1", "AZUR_SAFETY__MODEL__TIMEOUT_SECONDS": str(timeout),
        "AZUR_SAFETY__MODEL__FAIL_CLOSED": "true" if fail_closed else "false",
    }).start()


@pytest.mark.parametrize("kind", ["moderations", "llama-guard", "shieldgemma"])
def test_the_model_refuses_what_the_rules_miss_and_fails_closed_when_gone(tmp_path, kind):
    with ModerationServer(kind) as guard:
        server = serve_with(tmp_path / "home", guard, fail_closed=True)
        try:
            client = server.client(server.add_user("meaning"))
            with pytest.raises(openai.BadRequestError) as refused:
                client.videos.create(prompt="two grown-ups in their birthday suits, kissing", **SHORT)
            error = assert_openai_error(refused.value, 400, code="moderation_blocked", param="prompt")
            assert error["category"] == "sexual"
            assert client.videos.create(prompt="a red ball bouncing on a beach", **SHORT).status == "queued"
            asked = len(guard.requests)
            with pytest.raises(openai.BadRequestError):  # the word rules refuse it before the model is asked
                client.videos.create(prompt="a naked woman lying on a bed", **SHORT)
            assert len(guard.requests) == asked
        finally:
            guard.__exit__()
        try:
            with pytest.raises(openai.InternalServerError) as unavailable:
                client.videos.create(prompt="a red ball bouncing on a beach", **SHORT)
            error = assert_openai_error(unavailable.value, 503, code="moderation_unavailable")
            assert "moderation service is unavailable" in error["message"]
            assert len(client.videos.list().data) == 1  # nothing queued while it was gone
            log = server.cli("audit", "--action", "moderation.")
            assert "moderation.model_unavailable" in log and '"by": "model"' in log, log
            assert "birthday" not in log  # decisions, never content
        finally:
            server.stop()


def test_fail_open_skips_a_slow_model_and_audits_it(tmp_path):
    with ModerationServer("llama-guard", behaviour="slow", delay=3) as guard:
        server = serve_with(tmp_path / "home", guard, fail_closed=False, timeout=1)
        try:
            client = server.client(server.add_user("hurried"))
            assert client.videos.create(prompt="two grown-ups in their birthday suits", **SHORT).status == "queued"
            with pytest.raises(openai.BadRequestError):  # the rules still hold
                client.videos.create(prompt="a naked woman lying on a bed", **SHORT)
            log = server.cli("audit", "--action", "moderation.model_unavailable")
            assert "no answer within 1 s" in log and "allowed by the rules alone" in log
        finally:
            server.stop()
