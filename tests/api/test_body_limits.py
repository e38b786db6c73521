"""Request bodies are counted as they stream and refused with 413 as soon as they pass their limit: chunked or
not, whatever their content type, also when Content-Length lies; the server stops reading, its memory stays
flat, and it keeps serving other clients. Bodies are sent over raw sockets, so that the test knows exactly
how many bytes had left the client when the answer came."""

from __future__ import annotations

import json
import select
import socket
import time
from dataclasses import dataclass

import httpx
import openai
import pytest
from tests.conftest import AzurServer, assert_openai_error

pytestmark = pytest.mark.slow

MB = 1024 * 1024
UPLOAD_LIMIT = 2 * MB
# What may be in flight when the server answers: loopback socket buffers on both sides (a few MB at most).
SLACK = 16 * MB
BOUNDARY = "azurtestboundary"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = AzurServer(tmp_path_factory.mktemp("azur-home"), workers=0,
                     env={"AZUR_SERVER__MAX_UPLOAD_BYTES": str(UPLOAD_LIMIT)})
    yield srv.start()
    srv.stop()


@pytest.fixture(scope="module")
def key(server) -> str:
    return server.add_user("bodies")


@pytest.fixture(scope="module")
def queued_id(server, key) -> str:
    """A video of the caller's (queued: no workers), so that its remix route gets as far as reading the body."""
    response = httpx.post(server.url + "/v1/videos", json={"prompt": "a red ball", "seconds": "1", "size": "480x480"},
                          headers={"Authorization": f"Bearer {key}"}, timeout=30)
    return response.json()["id"]


def peak_rss_mb(server: AzurServer) -> int:
    """The high-water mark of the real `azur serve` process's resident memory."""
    with open(f"/proc/{server.process.pid}/status") as status:
        return next(int(line.split()[1]) // 1024 for line in status if line.startswith("VmHWM"))


@dataclass
class Sent:
    sent: int  # body bytes that had left the client when the server answered or hung up
    status: int | None
    headers: dict[str, str]
    body: bytes

    def error(self) -> dict:
        response = httpx.Response(self.status or 0, headers=self.headers, content=self.body)
        return assert_openai_error(response, 413, code="request_too_large")


def stream_body(server: AzurServer, path: str, *, total: int, content_type: str, key: str | None = None,
                prefix: bytes = b"", chunked: bool = True, content_length: int | None = None,
                chunk: int = 256 * 1024) -> Sent:
    """Send a body of ``total`` bytes (``prefix`` then zeros), chunked or with ``content_length``, stopping as
    soon as the server answers or hangs up; then read its answer."""
    head = [f"POST {path} HTTP/1.1", f"Host: 127.0.0.1:{server.port}", f"Content-Type: {content_type}"]
    if key:
        head.append(f"Authorization: Bearer {key}")
    head.append("Transfer-Encoding: chunked" if chunked else f"Content-Length: {content_length}")
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
    sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
    sock.setblocking(False)
    queued, sent, pending = 0, 0, b""  # sent: bytes written to the socket (the body, and chunk framing)
    block = b"\0" * chunk
    try:
        while queued < total or pending:
            readable, writable, _ = select.select([sock], [sock], [], 10)
            if readable:
                break  # the server has answered (or hung up)
            if not writable:
                continue
            if not pending:
                size = min(chunk, total - queued)
                data = (prefix + block)[:size] if queued == 0 else block[:size]
                queued += size
                pending = (f"{len(data):x}\r\n".encode() + data + b"\r\n") if chunked else data
            n = sock.send(pending)
            sent += n
            pending = pending[n:]
        else:
            if chunked:
                sock.send(b"0\r\n\r\n")
    except (BrokenPipeError, ConnectionResetError):
        pass
    sock.setblocking(True)
    raw = b""
    try:
        while True:
            data = sock.recv(65536)
            if not data:
                break
            raw += data
            if b"\r\n\r\n" in raw:
                header_text, _, rest = raw.partition(b"\r\n\r\n")
                headers = dict(line.split(": ", 1) for line in header_text.decode().split("\r\n")[1:])
                length = int({k.lower(): v for k, v in headers.items()}.get("content-length", -1))
                if 0 <= length <= len(rest):
                    break
    except (ConnectionResetError, TimeoutError):
        pass
    finally:
        sock.close()
    if not raw:
        return Sent(sent, None, {}, b"")
    header_text, _, body = raw.partition(b"\r\n\r\n")
    lines = header_text.decode().split("\r\n")
    headers = {k.lower(): v for k, v in (line.split(": ", 1) for line in lines[1:])}
    return Sent(sent, int(lines[0].split()[1]), headers, body)


def multipart_head(field: str = "input_reference", filename: str = "big.png") -> bytes:
    return (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"prompt\"\r\n\r\na red ball\r\n"
            f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{filename}\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\n").encode()


def still_serving(server: AzurServer, key: str) -> None:
    assert httpx.get(server.url + "/healthz", timeout=10).status_code == 200
    response = httpx.post(server.url + "/v1/videos", json={"prompt": "a blue square", "seconds": "1", "size": "480x480"},
                          headers={"Authorization": f"Bearer {key}"}, timeout=30)
    assert response.status_code == 200, response.text


def test_chunked_multipart_upload_is_cut_off_at_the_limit(server, key):
    still_serving(server, key)  # warm the create path before measuring
    before = peak_rss_mb(server)
    started = time.monotonic()
    result = stream_body(server, "/v1/videos", total=500 * MB, key=key, prefix=multipart_head(),
                         content_type=f"multipart/form-data; boundary={BOUNDARY}")
    result.error()
    assert result.headers.get("connection") == "close"
    assert result.sent < UPLOAD_LIMIT + SLACK, f"the client sent {result.sent / MB:.0f} MB before the 413"
    assert time.monotonic() - started < 30
    assert peak_rss_mb(server) - before < 100
    still_serving(server, key)


@pytest.mark.parametrize(
    ("path", "content_type", "limit"),
    [
        ("/v1/videos", "application/json", UPLOAD_LIMIT * 4 // 3),  # input_reference may be a data URL
        ("/v1/videos/{queued}/remix", "application/json", 256 * 1024),
        ("/v1/verify", "application/octet-stream", 256 * 1024),
        ("/v1/videos", "text/plain", 256 * 1024),
        ("/v1/no-such-route", "application/json", 256 * 1024),
    ],
)
def test_chunked_bodies_of_every_type_are_cut_off(server, key, queued_id, path, content_type, limit):
    path = path.format(queued=queued_id)
    result = stream_body(server, path, total=200 * MB, key=key, content_type=content_type, prefix=b'{"prompt": "')
    # Where no route reads the body (the 404), the server discards it up to the limit, then refuses it too.
    assert result.status == 413 and "limit" in result.error()["message"]
    assert result.headers.get("connection") == "close"
    assert result.sent < limit + SLACK, f"the client sent {result.sent / MB:.0f} MB before the answer"
    still_serving(server, key)


def test_declared_length_over_the_limit_is_refused_before_the_body(server, key):
    for path, content_type, length in [
        ("/v1/videos", f"multipart/form-data; boundary={BOUNDARY}", UPLOAD_LIMIT + 65 * 1024 + 1),
        ("/v1/videos/video_0/remix", "application/json", 256 * 1024 + 1),
        ("/v1/verify", "application/octet-stream", 10 * 1024 * MB),
    ]:
        result = stream_body(server, path, total=50 * MB, key=key, chunked=False, content_length=length,
                             content_type=content_type)
        assert str(length) in result.error()["message"]
        assert result.sent < SLACK
    still_serving(server, key)


def test_body_longer_than_its_content_length_is_never_read_past_it(server, key):
    before = peak_rss_mb(server)
    prefix = json.dumps({"prompt": "a red ball"}).encode()
    result = stream_body(server, "/v1/videos", total=300 * MB, key=key, chunked=False, content_length=len(prefix),
                         content_type="application/json", prefix=prefix)
    # The declared body is a valid request; the rest is not HTTP, and the server hangs up on it.
    assert result.status == 200, result.body
    assert result.sent < SLACK, f"the client sent {result.sent / MB:.0f} MB"
    assert peak_rss_mb(server) - before < 100
    still_serving(server, key)


def test_bodies_under_the_limit_still_work(server, key):
    image = json.dumps({"prompt": "x", "input_reference": {"image_url": "data:image/png;base64," + "A" * (MB // 2)}})
    response = httpx.post(server.url + "/v1/videos", content=image, timeout=30,
                          headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    assert_openai_error(response, 400, code="invalid_image", param="input_reference")  # read whole, then judged

    def chunks():  # chunked, under the limit
        yield b'{"prompt": "a green star", '
        yield b'"seconds": "1", "size": "480x480"}'

    response = httpx.post(server.url + "/v1/videos", content=chunks(), timeout=30,
                          headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    assert response.status_code == 200, response.text


def test_official_client_gets_the_413_without_sending_everything(server, key):
    client = server.client(key)
    started = time.monotonic()
    with pytest.raises(openai.APIStatusError) as caught:
        client.videos.create(prompt="x", input_reference=("big.png", b"\0" * (50 * MB), "image/png"))
    error = assert_openai_error(caught.value, 413, code="request_too_large")
    assert "limit" in error["message"]
    assert time.monotonic() - started < 10
