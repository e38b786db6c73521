"""A webhook receiver for tests: a real HTTP server on 127.0.0.1 that records what it is sent.

``answers`` are the statuses of the next requests, in order (200 once they run out). With ``hold`` set,
each request waits (without answering) until the test clears it: a deliverer can be killed mid-request.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float


class Receiver:
    def __init__(self) -> None:
        self.received: list[Received] = []
        self.answers: list[int] = []
        self.hold = threading.Event()  # set: requests wait until it is cleared
        self.arrived = threading.Event()  # set when any request arrives
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                with receiver._lock:
                    receiver.received.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()},
                                                      body, time.time()))
                    status = receiver.answers.pop(0) if receiver.answers else 200
                receiver.arrived.set()
                while receiver.hold.is_set():
                    time.sleep(0.05)
                self.send_response(status)
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args) -> None:  # quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, count: int, timeout: float = 30) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.received) >= count:
                    return list(self.received)
            time.sleep(0.05)
        raise AssertionError(f"expected {count} requests within {timeout} s, got {len(self.received)}")

    def close(self) -> None:
        self.hold.clear()
        self.server.shutdown()
        self.server.server_close()
