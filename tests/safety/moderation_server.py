"""A stand-in for an operator's moderation model: a real HTTP server on 127.0.0.1 that speaks the three
protocols Azur's client knows (OpenAI's ``/v1/moderations``, Llama Guard and ShieldGemma behind
``/v1/chat/completions``), as vLLM or SGLang would serve them.

The real models cannot run here, so its judgement is a table: a prompt containing one of ``HAZARDS``' phrases
is unsafe, in that hazard's words for each protocol. Everything else is what the wire carries: routes, JSON
bodies, status codes, headers, timing. ``behaviour`` makes it fail the ways a real one can: ``slow`` (answers
after ``delay`` seconds), ``garbled`` (a 200 that is not the protocol), ``error`` (HTTP 500).
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# phrase -> (OpenAI categories flagged, Llama Guard codes, the ShieldGemma policy it breaks)
HAZARDS = {
    "two grown-ups in their birthday suits": (["sexual"], "S12", "sexual"),
    "a man is kicked until he stops moving": (["violence", "violence/graphic"], "S1", "violence"),
    "a cartoon of a kid and a grown man undressing together": (["sexual", "sexual/minors"], "S4,S12", "sexual"),
    "a perfect copy of a famous studio's mouse mascot": (["illicit"], "S8", None),
}
OPENAI_NAMES = ["sexual", "sexual/minors", "hate", "hate/threatening", "harassment", "harassment/threatening",
                "self-harm", "self-harm/intent", "self-harm/instructions", "violence", "violence/graphic",
                "illicit", "illicit/violent"]


class ModerationServer:
    def __init__(self, kind: str, *, behaviour: str = "normal", delay: float = 1.5) -> None:
        self.kind = kind
        self.behaviour = behaviour
        self.delay = delay
        self.requests: list[dict] = []  # what Azur sent: path, authorization header, JSON body
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                server.requests.append({"path": self.path, "authorization": self.headers.get("Authorization"),
                                        "body": body})
                status, answer = server.answer(self.path, body)
                data = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up waiting: what "slow" tests
                    pass

            def log_message(self, *args) -> None:  # noqa: ANN002
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def __enter__(self) -> ModerationServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:  # noqa: ANN002
        self.httpd.shutdown()
        self.httpd.server_close()

    def prompts_seen(self) -> list[str]:
        """The texts Azur asked about (the whole ShieldGemma question for that protocol)."""
        return [r["body"].get("input") or r["body"]["messages"][0]["content"] for r in self.requests]

    def answer(self, path: str, body: dict) -> tuple[int, dict | bytes]:
        if self.behaviour == "slow":
            time.sleep(self.delay)
        if self.behaviour == "error":
            return 500, {"error": {"message": "CUDA out of memory"}}
        if self.behaviour == "garbled":
            return 200, b"<html>502 Bad Gateway</html>" if self.kind == "moderations" else self._chat("maybe?")
        if self.kind == "moderations":
            if path != "/v1/moderations":
                return 404, {"error": {"message": f"no route {path}"}}
            flagged = self._hazard(body["input"])
            categories = {name: name in (flagged[0] if flagged else []) for name in OPENAI_NAMES}
            return 200, {"id": "modr-1", "model": body.get("model", "omni-moderation-latest"),
                         "results": [{"flagged": bool(flagged), "categories": categories,
                                      "category_scores": {n: 0.9 if v else 0.01 for n, v in categories.items()}}]}
        if path != "/v1/chat/completions":
            return 404, {"error": {"message": f"no route {path}"}}
        text = body["messages"][0]["content"]
        hazard = self._hazard(text)
        if self.kind == "llama-guard":
            return 200, self._chat(f"\n\nunsafe\n{hazard[1]}" if hazard else "\n\nsafe")
        # ShieldGemma is asked one policy at a time: "Yes" only for the policy the hazard breaks.
        broken = hazard is not None and hazard[2] is not None and f'"No {self._policy_title(hazard[2])}' in text
        return 200, self._chat("Yes, the question asks for" if broken else "No. The question is fine.")

    @staticmethod
    def _policy_title(policy: str) -> str:
        return {"sexual": "Sexually Explicit", "violence": "Dangerous Content", "hate": "Hate Speech",
                "harassment": "Harassment"}[policy]

    @staticmethod
    def _hazard(text: str) -> tuple | None:
        return next((hazard for phrase, hazard in HAZARDS.items() if phrase in text), None)

    @staticmethod
    def _chat(content: str) -> dict:
        return {"id": "chatcmpl-1", "object": "chat.completion",
                "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                             "finish_reason": "stop"}]}
