"""What a browser or an attacker sees of the server besides the API: security headers, the docs' assets,
server paths in messages, and how failed authentications are slowed. Against a real ``azur serve``."""

from __future__ import annotations

import re
import time

import httpx
import pytest
from tests.conftest import AzurServer, assert_openai_error

pytestmark = pytest.mark.slow

WINDOW_SECONDS = 4
ALLOWED_FAILURES = 3


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = AzurServer(tmp_path_factory.mktemp("surface-home"), workers=0,
                     env={"AZUR_SERVER__AUTH_FAILURES_ALLOWED": str(ALLOWED_FAILURES),
                          "AZUR_SERVER__AUTH_FAILURE_WINDOW_SECONDS": str(WINDOW_SECONDS)})
    yield srv.start()
    srv.stop()


@pytest.fixture(scope="module")
def key(server) -> str:
    return server.add_user("surface")


def csp_directives(response: httpx.Response) -> dict[str, list[str]]:
    policy = response.headers.get("content-security-policy", "")
    return {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}


@pytest.mark.parametrize("path", ["/", "/docs"])
def test_html_pages_carry_the_security_headers(server, path):
    response = httpx.get(server.url + path)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    csp = csp_directives(response)
    assert csp["frame-ancestors"] == ["'none'"] and csp["object-src"] == ["'none'"]
    # Scripts only from the server itself: no CDN, no inline script except one allowed by its hash.
    assert all(source == "'self'" or source.startswith("'sha256-") for source in csp["script-src"]), csp
    assert csp["default-src"] == ["'self'"] and csp["connect-src"] == ["'self'"]
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"


def test_every_response_is_nosniff(server, key):
    for response in (httpx.get(server.url + "/healthz"), httpx.get(server.url + "/openapi.json"),
                     httpx.get(server.url + "/studio/app.js"), httpx.get(server.url + "/v1/videos"),
                     httpx.get(server.url + "/no/such/route"),
                     httpx.get(server.url + "/v1/usage", headers={"Authorization": f"Bearer {key}"})):
        assert response.headers.get("x-content-type-options") == "nosniff", response.url


def test_docs_load_their_assets_from_the_server_itself(server):
    path = "/docs"
    page = httpx.get(server.url + path).text
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert assets, page
    for asset in assets:
        assert asset.startswith("/"), f"{path} loads {asset} from elsewhere"
        response = httpx.get(server.url + asset)
        assert response.status_code == 200 and len(response.content) > 1000, asset
    assert "cdn" not in page.lower() and "googleapis" not in page
    # ReDoc is not served: it would need inline styles allowed, and it fetches its logo from a CDN.
    assert_openai_error(httpx.get(server.url + "/redoc"), 404)


def test_the_swagger_ui_script_hash_matches_its_inline_script(server):
    import base64
    import hashlib

    response = httpx.get(server.url + "/docs")
    (script,) = re.findall(r"<script>(.*?)</script>", response.text, re.DOTALL)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in csp_directives(response)["script-src"]


def test_error_messages_show_no_server_paths(server, key):
    headers = {"Authorization": f"Bearer {key}"}
    response = httpx.post(server.url + "/v1/verify", headers=headers, timeout=30,
                          files={"file": ("clip.mp4", b"\x00\x00\x00\x18ftypmp42 damaged", "video/mp4")})
    assert response.status_code == 200, response.text
    assert response.json()["verdict"] == "unreadable"
    text = response.text
    assert str(server.home) not in text and "/tmp/" not in text and "azur-verify-" not in text, text
    assert "clip.mp4" in text  # the client's own name is what the report shows


def wrong(server, address: str, key: str = "sk-azur-not-a-real-key") -> httpx.Response:
    return httpx.get(server.url + "/v1/usage", headers={"Authorization": f"Bearer {key}", "X-Forwarded-For": address})


def test_repeated_failed_authentications_are_slowed(server, key):
    address = "198.51.100.7"  # uvicorn trusts X-Forwarded-For from loopback, as from a local reverse proxy
    for _ in range(ALLOWED_FAILURES):
        assert_openai_error(wrong(server, address), 401, code="invalid_api_key")
    started = time.monotonic()
    blocked = wrong(server, address)
    assert_openai_error(blocked, 429, code="rate_limit_exceeded")
    assert 1 <= int(blocked.headers["retry-after"]) <= WINDOW_SECONDS
    # Even the right key waits: a guesser must not learn which guess was right.
    assert_openai_error(wrong(server, address, key), 429, code="rate_limit_exceeded")
    # Another address is not held back.
    assert wrong(server, "198.51.100.8", key).status_code == 200
    # Once the window has passed, the right key works again.
    time.sleep(max(0.0, WINDOW_SECONDS + 0.3 - (time.monotonic() - started)))
    assert wrong(server, address, key).status_code == 200


def test_successful_authentications_do_not_count(server, key):
    address = "198.51.100.9"
    for _ in range(20):
        assert wrong(server, address, key).status_code == 200
    for _ in range(ALLOWED_FAILURES):
        assert wrong(server, address).status_code == 401
    assert wrong(server, address).status_code == 429


def test_requests_without_a_key_do_not_count(server, key):
    address = "198.51.100.10"
    for _ in range(ALLOWED_FAILURES * 3):
        response = httpx.get(server.url + "/v1/usage", headers={"X-Forwarded-For": address})
        assert_openai_error(response, 401)
    assert wrong(server, address, key).status_code == 200


def test_a_failed_video_shows_no_server_path(tmp_path):
    """A job that fails on the server's disk (here a file where the videos folder should be) fails with an
    exception naming the absolute path; the client sees the failure without it."""
    import sqlite3

    srv = AzurServer(tmp_path / "home", env={"AZUR_QUEUE__MAX_ATTEMPTS": "1"})
    (tmp_path / "home" / "files").mkdir(parents=True)
    (tmp_path / "home" / "files" / "videos").write_text("not a folder")
    srv.start()
    try:
        client = srv.client(srv.add_user("unlucky"))
        video = client.videos.create_and_poll(prompt="a red ball moving right", seconds="1", size="480x480",
                                              poll_interval_ms=200)
        assert video.status == "failed", video
        with sqlite3.connect(tmp_path / "home" / "azur.db") as db:
            (stored,) = db.execute("SELECT error_message FROM videos WHERE id = ?", (video.id,)).fetchone()
        assert "Not a directory" in stored, stored  # storage errors name the key, never the server's path...
        shown = client.videos.retrieve(video.id).error.message
        assert str(tmp_path) not in shown and "/files/" not in shown, shown  # ...nor does what the client sees
        assert "Not a directory" in shown  # the reason stays
    finally:
        srv.stop()
