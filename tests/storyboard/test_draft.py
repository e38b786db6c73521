"""Storyboard drafts from a script: Azur's rules (EN/FR), the API, the CLI, and an operator's chat model
(a real HTTP stand-in on loopback that answers like an OpenAI-compatible chat server)."""

from __future__ import annotations

import json
import os
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from azur.config import StoryboardChatSettings
from azur.storyboard.draft import detect_language, draft_storyboard
from azur.storyboard.shots import parse_storyboard
from tests.conftest import AZUR, assert_openai_error

SCRIPT = """INT. LIGHTHOUSE - NIGHT
The keeper climbs the spiral stairs with a lantern. He reaches the top and looks at the sea.
KEEPER: Another storm is coming tonight, I can feel it in the wind.
Then he lights the great lamp.

EXT. BEACH - DAY
A girl runs along the shore with her red kite."""

FRENCH = """Une petite fille joue dans le jardin avec un ballon rouge. Puis elle court vers la maison.

Dans la cuisine, sa grand-mère prépare une tarte aux pommes pendant que la pluie tombe doucement."""


def test_a_script_gives_one_shot_per_beat_with_establishing_and_cutaway_shots():
    draft = draft_storyboard(SCRIPT)
    prompts = [s["prompt"] for s in draft.shots]
    assert prompts == [
        "Wide establishing shot: the lighthouse at night",
        "The keeper climbs the spiral stairs with a lantern.",
        "He reaches the top and looks at the sea.",
        "Keeper says: Another storm is coming tonight, I can feel it in the wind.",
        "Then he lights the great lamp.",
        "Cutaway: close-up of the great lamp",
        "Wide establishing shot: the beach by day",
        "A girl runs along the shore with her red kite.",
    ]
    assert [s["transition"] for s in draft.shots] == ["cut", "cut", "cut", "cut", "continue", "cut", "crossfade", "cut"]
    seconds = [s["seconds"] for s in draft.shots]
    assert seconds[3] > seconds[4]  # a long line of dialogue holds longer than a short action
    assert all(2 <= s <= 8 for s in seconds) and draft.language == "en" and draft.source == "rules"
    assert draft_storyboard(SCRIPT).shots == draft.shots  # the same text, the same draft
    # What a draft proposes is a storyboard the server takes as it is.
    assert len(parse_storyboard(draft.shots, max_shots=12, max_seconds=60, fps=24)) == 8


def test_french_prose_paragraphs_are_scenes():
    draft = draft_storyboard(FRENCH)
    assert draft.language == "fr" and detect_language(SCRIPT) == "en"
    prompts = [s["prompt"] for s in draft.shots]
    assert prompts[0] == "Plan d'ensemble : le jardin"
    assert "Plan de coupe : gros plan sur la maison" in prompts
    assert "Plan d'ensemble : la cuisine" in prompts
    assert draft.shots[2]["transition"] == "continue"  # "Puis elle court..."


def test_a_draft_longer_than_the_server_allows_says_so():
    draft = draft_storyboard(SCRIPT, max_seconds=10, max_shots=5)
    assert len(draft.shots) == 5
    assert any("at most 5" in n for n in draft.notes) and any("at most 10 s" in n for n in draft.notes)


class ChatStandIn:
    """An OpenAI-compatible chat server on loopback: answers ``content`` and records the requests."""

    def __init__(self, content: str) -> None:
        self.content, self.requests = content, []
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                stand_in.requests.append((self.path, self.headers.get("Authorization"), body))
                answer = json.dumps({"id": "chatcmpl-1", "object": "chat.completion", "model": body["model"],
                                     "choices": [{"index": 0, "finish_reason": "stop",
                                                  "message": {"role": "assistant", "content": stand_in.content}}]})
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(answer.encode())

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/v1"

    def close(self) -> None:
        self.server.shutdown()


@pytest.fixture
def chat_model():
    shots = [{"prompt": "Wide shot of a stormy sea at night", "seconds": 3, "transition": "cut"},
             {"prompt": "The keeper lights the lamp", "seconds": 4, "transition": "crossfade"}]
    stand_in = ChatStandIn("```json\n" + json.dumps(shots) + "\n```")
    yield stand_in
    stand_in.close()


def test_an_operators_chat_model_drafts_when_configured(chat_model):
    chat = StoryboardChatSettings(url=chat_model.url, model="director-7b", api_key="sk-local")
    draft = draft_storyboard(SCRIPT, chat=chat)
    assert draft.source == "chat" and [s["prompt"] for s in draft.shots][1] == "The keeper lights the lamp"
    path, authorization, body = chat_model.requests[0]
    assert path == "/v1/chat/completions" and authorization == "Bearer sk-local"
    assert body["model"] == "director-7b" and body["messages"][1]["content"] == SCRIPT.strip()


def test_an_unusable_chat_answer_falls_back_to_the_rules(chat_model):
    chat_model.content = "Sure! Here is your storyboard: a lighthouse, then a beach."
    draft = draft_storyboard(SCRIPT, chat=StoryboardChatSettings(url=chat_model.url, model="m"))
    assert draft.source == "rules" and len(draft.shots) == 8
    assert any("not usable (unexpected answer" in n for n in draft.notes), draft.notes


def test_the_cli_drafts_with_the_configured_chat_model(tmp_path, chat_model):
    script = tmp_path / "script.txt"
    script.write_text(SCRIPT, encoding="utf-8")
    env = {**os.environ, "AZUR_HOME": str(tmp_path), "AZUR_STORYBOARD__CHAT__URL": chat_model.url,
           "AZUR_STORYBOARD__CHAT__MODEL": "director-7b"}
    result = subprocess.run([AZUR, "storyboard", "draft", str(script)], env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)[0]["prompt"] == "Wide shot of a stormy sea at night"
    env.pop("AZUR_STORYBOARD__CHAT__URL")
    out = tmp_path / "shots.json"
    result = subprocess.run([AZUR, "storyboard", "draft", str(script), "-o", str(out)], env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and len(json.loads(out.read_text())) == 8
    missing = subprocess.run([AZUR, "storyboard", "draft", str(tmp_path / "nope.txt")], env=env,
                             capture_output=True, text=True, timeout=60)
    assert missing.returncode == 2 and missing.stderr.strip().count("\n") == 0 and "nope.txt" in missing.stderr


@pytest.mark.slow
def test_the_api_drafts_a_storyboard(server, client):
    draft = client.post("/storyboards/draft", cast_to=httpx.Response, body={"script": SCRIPT}).json()
    assert draft["object"] == "storyboard.draft" and draft["language"] == "en" and draft["source"] == "rules"
    assert draft["storyboard"] == draft_storyboard(SCRIPT).shots and draft["seconds"] == 24
    french = client.post("/storyboards/draft", cast_to=httpx.Response, body={"script": FRENCH}).json()
    assert french["language"] == "fr"
    with pytest.raises(Exception) as caught:
        client.post("/storyboards/draft", cast_to=httpx.Response, body={"script": "  "})
    assert_openai_error(caught.value, 400, param="script")
    anonymous = httpx.post(server.url + "/v1/storyboards/draft", json={"script": SCRIPT})
    assert_openai_error(anonymous, 401)
