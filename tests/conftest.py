"""Shared fixtures: a real ``azur serve`` process on loopback, its users, and the official client.

Servers run the real app, the real SQLite database and the real ``azur-tiny`` model; tests talk to them
only through the official ``openai`` client (or plain HTTP where the client cannot send what is tested).
"""

from __future__ import annotations

import io
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np
import openai
import pytest
from PIL import Image

AZUR = str(Path(sys.executable).parent / "azur")
# Short leases and fast polling keep recovery and progress observable within a test's time.
TEST_ENV = {
    "AZUR_QUEUE__LEASE_SECONDS": "3",
    "AZUR_QUEUE__HEARTBEAT_SECONDS": "0.5",
    "AZUR_QUEUE__POLL_SECONDS": "0.2",
    "AZUR_QUEUE__PROGRESS_SECONDS": "0.1",
    "AZUR_SERVER__POLL_AFTER_MS": "200",
}


def png_bytes(image: np.ndarray) -> bytes:
    """An RGB array as the bytes of a PNG file, as a client uploads a picture."""
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG")
    return buffer.getvalue()


def plain_png(width: int, height: int, colour: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    """A PNG of one colour: a picture that passes every check an upload makes."""
    return png_bytes(np.full((height, width, 3), colour, np.uint8))


@pytest.fixture(autouse=True, scope="session")
def _own_data_directory(tmp_path_factory):
    """No test reads or writes the real data directory (``~/.local/share/azur``): a database left there by
    another checkout or version of Azur would otherwise decide what in-process tests see (its migrations,
    its installation identity)."""
    from azur.config import get_settings

    previous = os.environ.get("AZUR_HOME")
    os.environ["AZUR_HOME"] = str(tmp_path_factory.mktemp("azur-home-default"))
    get_settings.cache_clear()
    yield
    if previous is None:
        os.environ.pop("AZUR_HOME", None)
    else:
        os.environ["AZUR_HOME"] = previous
    get_settings.cache_clear()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class AzurServer:
    """``azur serve`` in its own process group, with its own AZUR_HOME."""

    def __init__(self, home: Path, *, workers: int = 1, env: dict[str, str] | None = None) -> None:
        self.home = home
        self.workers = workers
        self.port = free_port()
        # The server's own home always wins (a caller's env built from os.environ carries the tests' default).
        self.env = {**os.environ, **TEST_ENV, **(env or {}), "AZUR_HOME": str(home)}
        self.env.pop("AZUR_CONFIG", None)
        self.process: subprocess.Popen | None = None
        self.log = home / "serve.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 90) -> AzurServer:
        self.home.mkdir(parents=True, exist_ok=True)
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [AZUR, "serve", "--port", str(self.port), "--workers", str(self.workers), "--log-level", "warning"],
                env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"azur serve exited: {self.log.read_text()[-3000:]}")
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"azur serve did not start: {self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()
        self.process = None

    def kill(self) -> None:
        """SIGKILL the server and everything it started, like a crash of the machine."""
        if self.process:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
        self.process = None

    def cli(self, *args: str) -> str:
        result = subprocess.run([AZUR, *args], env=self.env, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        return result.stdout

    def add_user(self, name: str, plan: str = "pro") -> str:
        """Create a user and return their API key."""
        return self.cli("users", "add", name, "--plan", plan).strip().splitlines()[-1]

    def client(self, api_key: str) -> openai.OpenAI:
        return openai.OpenAI(base_url=self.url + "/v1", api_key=api_key, max_retries=0, timeout=60)


def pytest_configure(config: pytest.Config) -> None:
    # The client marks its videos methods deprecated (OpenAI's hosted API closed): that is why Azur exists.
    config.addinivalue_line("filterwarnings", "ignore:The Sora API is scheduled:DeprecationWarning")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """One server with one worker, shared by a test module."""
    srv = AzurServer(tmp_path_factory.mktemp("azur-home")).start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def receiver():
    """A webhook receiver on 127.0.0.1 that records what it is sent (tests/webhooks/receiver.py)."""
    from tests.webhooks.receiver import Receiver

    server = Receiver()
    yield server
    server.close()


@pytest.fixture(scope="module")
def alice_key(server) -> str:
    return server.add_user("alice")


@pytest.fixture(scope="module")
def client(server, alice_key) -> openai.OpenAI:
    return server.client(alice_key)


def assert_openai_error(error: openai.APIStatusError | httpx.Response, status: int, *, code: str | None = None,
                        param: str | None = None) -> dict:
    """The one check of every error path: status, and exactly OpenAI's envelope."""
    response = error.response if isinstance(error, openai.APIStatusError) else error
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}, body
    # Exactly OpenAI's four fields; a moderation refusal adds its documented "category".
    extra = {"category"} if body["error"].get("code") == "moderation_blocked" else set()
    assert set(body["error"]) == {"message", "type", "param", "code"} | extra, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert isinstance(body["error"]["type"], str)
    if code is not None:
        assert body["error"]["code"] == code, body
    if param is not None:
        assert body["error"]["param"] == param, body
    return body["error"]
