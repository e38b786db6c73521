"""The guard on user-chosen URLs, against a real HTTP server on the loopback."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator

import pytest

from azur.config import OutboundSettings
from azur.outbound import BlockedURL, FetchFailed, check_url, request


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802
        if self.path == "/redirect-private":
            self.send_response(302)
            self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
            self.end_headers()
            return
        if self.path == "/redirect-local":
            self.send_response(302)
            self.send_header("Location", "/hello")
            self.end_headers()
            return
        body = b"x" * 5000 if self.path == "/big" else f"hello {self.headers['Host']}".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()




@pytest.mark.parametrize("url", [
    "http://127.0.0.1/", "http://localhost/x", "http://10.1.2.3/", "http://192.168.0.1/", "http://[::1]/",
    "http://169.254.169.254/latest/meta-data/", "http://0.0.0.0/", "http://[::ffff:127.0.0.1]/",
    "http://2130706433/",  # 127.0.0.1 written as one number
])
def test_private_and_reserved_targets_are_refused_by_default(url: str) -> None:
    with pytest.raises((BlockedURL, FetchFailed)) as raised:
        check_url(url, OutboundSettings())
    if "2130706433" not in url:  # a bare number may not resolve at all here: refused either way
        assert raised.type is BlockedURL


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.org/", "http://user:pw@example.org/",
                                 "http://example.org:22/", "gopher://x/"])
def test_schemes_credentials_and_ports_are_refused(url: str) -> None:
    with pytest.raises(BlockedURL):
        check_url(url, OutboundSettings())


def test_an_allowed_network_is_reached_and_keeps_its_host_header(server: str) -> None:
    port = server.rsplit(":", 1)[1]
    settings = OutboundSettings(allowed_networks=["127.0.0.0/8"], allowed_ports=[int(port)])
    response, body = request("GET", f"http://localhost:{port}/hello", settings)
    assert response.status_code == 200
    assert body == f"hello localhost:{port}".encode()  # connected to the checked IP, Host kept


def test_a_redirect_to_a_private_address_is_refused(server: str) -> None:
    port = int(server.rsplit(":", 1)[1])
    settings = OutboundSettings(allowed_networks=["127.0.0.0/8"], allowed_ports=[port, 80])
    with pytest.raises(BlockedURL, match="169.254.169.254"):
        request("GET", f"{server}/redirect-private", settings)
    _, body = request("GET", f"{server}/redirect-local", settings)
    assert body.startswith(b"hello")


def test_an_answer_over_the_byte_limit_fails(server: str) -> None:
    port = int(server.rsplit(":", 1)[1])
    settings = OutboundSettings(allowed_networks=["127.0.0.0/8"], allowed_ports=[port])
    with pytest.raises(FetchFailed, match="larger than 1000 bytes"):
        request("GET", f"{server}/big", settings, max_bytes=1000)


def test_an_unreachable_target_fails_within_the_timeout() -> None:
    settings = OutboundSettings(allowed_networks=["127.0.0.0/8"], allowed_ports=[9])
    with pytest.raises(FetchFailed):
        request("GET", "http://127.0.0.1:9/", settings, timeout=2)
