"""Hostile inputs on every route, against a real ``azur serve`` (no workers: accepted jobs only queue).

Generated from lists of hostile values (huge numbers, long digit strings, deep nesting, invalid UTF-8 and
UTF-16 bodies, NUL and control characters, lone surrogates, booleans where numbers go, wrong types,
duplicate keys, empty bodies, long and path-like file names) crossed with every field of every body, as
JSON and as multipart, and with every query parameter, path id and the Authorization header. Every
request goes over one keep-alive connection: the test asserts that no answer is a 5xx, that every 4xx is
OpenAI's envelope, and that the server never closes the connection (a dropped connection is what an
unhandled exception did before) and never dies. The number of inputs tried is printed.
"""

from __future__ import annotations

import http.client
import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import quote

import httpx
import pytest
from tests.accounts.conftest import database_env
from tests.conftest import AzurServer

pytestmark = pytest.mark.slow

PROMPT = "a red ball moving right on a blue background"

# Raw JSON number texts: past 4,300 digits int() raises; 1e400 is a float overflow; an integer of 401
# digits fits int() but not float().
RAW_NUMBERS = ["1" + "0" * 400, "9" * 5000, "-" + "9" * 5000, "1e400", "-1e400", "1e-400", "0." + "0" * 5000 + "1",
               "1" * 40, "123456789012345678901234567890.5", "-0", "4.0", "1E2", "NaN", "Infinity", "-Infinity"]
# Raw JSON fragments for a field's value: deep nesting of arrays and objects, lone surrogates.
RAW_VALUES = [
    *("[" * n + "]" * n for n in (9, 100, 999, 5000, 100_000)),
    *('{"a":' * n + "1" + "}" * n for n in (9, 100, 5000)),
    '"\\ud800"', '"a\\udfffb"', '"\\u0000"', '"\\ud83d\\ude00"', '{"id": 1e999}', '{"\\ud800": 1}',
]
# Values as Python objects, sent as JSON (and, when they are strings or numbers, as form fields).
VALUES: list[object] = [
    True, False, None, [], {}, [[["deep"]]], {"id": None}, {"id": ["video_x"]}, {"image_url": 5},
    {"image_url": "data:image/png;base64," + "A" * 1000}, {"file_id": "file_1"}, 0, -1, 1, 2**63, -(2**63),
    2**64, 10**30, 4.5, -0.0, 1e308, 1e-308, 0.1,
    "", " ", "\t", "\n", "\x00", "a\x00b", "\x01\x02", "\x1b[31mred", "\x7f", "\u202e" + PROMPT, "\ufeff",
    "\u200b", "\u200b\u200b", "1_0", " 4", "4 ", "+4", "-4", "0x10", "4e0", "٣", "４", "Infinity", "NaN",
    "1" * 5000, "9" * 5000 + "x720", "1280x720 ", "1280X720", "1280x720\x00", "x" * 100_000,
    "../../../etc/passwd", "C:\\Windows\\win.ini", "%00", "video_" + "0" * 32, "video_../../x",
    "😀" * 1000, "a" * 32_000, "a" * 32_001, "true", "false", "null", "[]", "{}",
]
FILENAMES = ["a" * 300 + ".mp4", "a" * 5000 + ".mp4", "../../etc/passwd", "..\\..\\boot.ini", "a\x00b.mp4",
             "\u202egpj.mp4", "", ".", "..", "/", "x.", "😀.webm", "name with spaces.mov", "%2e%2e%2fa.mp4"]
GARBAGE_FILES = [b"", b"\x00" * 100, b"not a video at all", b"\x1aE\xdf\xa3" + b"\x00" * 64,
                 b"\x00\x00\x00\x18ftypmp42" + b"\xff" * 64]
CONTENT_TYPES = ["application/json", "application/json; charset=utf-16", "text/plain", "multipart/form-data",
                 "multipart/form-data; boundary=", "multipart/form-data; boundary=" + "x" * 100,
                 "application/x-www-form-urlencoded", "application/vnd.api+json", "", "image/png"]
RAW_BODIES = [b"", b" ", b"null", b"[]", b"1", b'"x"', b"{", b'{"prompt": "a"', b'{"prompt": "a",}',
              b'{"prompt": "a" /* c */}', b"\xff\xfe\x00\x00", b"\xef\xbb\xbf{}", b'{"prompt": "\xff"}',
              '{"prompt": "a ball"}'.encode("utf-16"), '{"prompt": "a ball"}'.encode("utf-16-be"),
              '{"prompt": "a ball"}'.encode("utf-32"), b'{"prompt": "a", "prompt": "b"}',
              b'{"prompt": "a", "seconds": 4, "seconds": "8"}', b"%ff%fe=%00&prompt=%ZZ", b"\x00" * 1000]
QUERY_VALUES = ["", "0", "-1", "101", "1_0", "+5", " 5", "5.0", "true", "1e3", "9" * 5000, "%00", "%ff%fe",
                "%ud800", "x" * 10_000, "video_" + "0" * 32, "asc", "desc", "video", "thumbnail", "%E2%80%AE"]
PATH_IDS = ["x", "video_" + "0" * 32, "video_" + "g" * 32, "video_" + "0" * 5000, "%00", "%ff%fe", "..%2F..%2Fetc",
            "%E2%80%AE", "video_%00" + "0" * 31, "😀", "%20", "a" * 8000, "1e400", "true"]
AUTH_HEADERS = ["Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer " + "x" * 8000, "Bearer sk-azur-" + "é" * 50,
                "Bearer sk-azur-\xff\xfe", "bearer sk-azur-wrong", "Bearer  sk-azur-wrong", "Token abc", "Bearer a b"]


@dataclass
class Outcome:
    tried: int = 0
    by_status: dict[int, int] | None = None


class KeepAliveClient:
    """Sends every request over one HTTP/1.1 connection and fails the test as soon as the server drops
    it or answers a 5xx or a 4xx that is not OpenAI's envelope."""

    def __init__(self, server: AzurServer, key: str) -> None:
        self.server = server
        self.key = key
        self.connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        self.connection.connect()
        self.local_address = self.connection.sock.getsockname()
        self.tried = 0
        self.by_status: dict[int, int] = {}

    def send(self, method: str, path: str, *, what: str, auth: str | None = "key", content: bytes | None = None,
             content_type: str | None = None, json_body: object = None, data: dict | None = None,
             files: list | None = None) -> int:
        if json_body is not None:
            content, content_type = json.dumps(json_body).encode(), "application/json"
        if data is not None or files is not None:
            built = httpx.Request(method, "http://x" + path, data=data, files=files)
            content, content_type = built.read(), built.headers["content-type"]
        headers = {"Host": f"127.0.0.1:{self.server.port}", "Content-Length": str(len(content or b""))}
        if content_type is not None:
            headers["Content-Type"] = content_type
        if auth == "key":
            headers["Authorization"] = f"Bearer {self.key}"
        elif auth is not None:
            headers["Authorization"] = auth
        try:
            self.connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
            for name, value in headers.items():
                self.connection.putheader(name, value.encode("latin-1"))
            self.connection.endheaders(content or b"")
            response = self.connection.getresponse()
            body = response.read()
        except (http.client.HTTPException, OSError) as exc:
            alive = self.server.process is not None and self.server.process.poll() is None
            pytest.fail(f"{what}: the connection broke ({exc!r}); server still running: {alive}")
        self.tried += 1
        self.by_status[response.status] = self.by_status.get(response.status, 0) + 1
        assert response.status < 500, f"{what}: {response.status} {body[:300]!r}"
        if response.status >= 400:
            assert_envelope(body, what)
        assert self.connection.sock is not None and self.connection.sock.getsockname() == self.local_address, \
            f"{what}: the server closed the connection ({response.status} {body[:200]!r})"
        return response.status


def assert_envelope(body: bytes, what: str) -> None:
    try:
        payload = json.loads(body)
    except ValueError:
        pytest.fail(f"{what}: an error that is not JSON: {body[:300]!r}")
    assert isinstance(payload, dict) and set(payload) == {"error"}, f"{what}: {payload!r:.300}"
    error = payload["error"]
    extra = {"category"} if error.get("code") == "moderation_blocked" else set()
    assert set(error) == {"message", "type", "param", "code"} | extra, f"{what}: {error!r:.300}"
    assert isinstance(error["message"], str) and error["message"], what
    assert len(error["message"]) <= 1000 and (error["param"] is None or len(error["param"]) <= 128), what


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def hostile_server(request, tmp_path_factory):
    # Wrong keys are part of the input here: the failed-authentication limit would soon answer 429 to all.
    env = {"AZUR_SERVER__AUTH_FAILURES_ALLOWED": "0", "AZUR_SERVER__MAX_UPLOAD_BYTES": "2000000"}
    env.update(database_env(request.param))  # PostgreSQL refuses what SQLite stores (a NUL in a text column)
    srv = AzurServer(tmp_path_factory.mktemp("hostile-home"), workers=0, env=env)
    srv.start()
    srv.key = srv.add_user("mallory")
    yield srv
    srv.stop()


def body_routes(video_id: str) -> dict[str, tuple[str, dict[str, object], list[str]]]:
    """Path, a valid base body and every field, for each route that reads a body."""
    return {
        "create": ("/v1/videos", {"prompt": PROMPT, "seconds": "1", "size": "480x480"},
                   ["prompt", "model", "seconds", "size", "seed", "style", "input_reference", "likeness_consent",
                    "character_ids"]),
        "extend": ("/v1/videos/extensions", {"prompt": PROMPT, "seconds": "1", "video": {"id": video_id}},
                   ["prompt", "seconds", "video", "seed", "style"]),
        "edit": ("/v1/videos/edits", {"prompt": PROMPT, "video": {"id": video_id}}, ["prompt", "video", "seed", "style"]),
        "remix": (f"/v1/videos/{video_id}/remix", {"prompt": PROMPT}, ["prompt", "seed", "style"]),
        "character": ("/v1/videos/characters", {"name": "Rex"}, ["name", "video", "image", "likeness_consent"]),
    }


def multipart(form: dict[str, str]) -> list:
    """``form`` as multipart text fields (httpx sends a file tuple without a name as a plain field)."""
    return [(key, (None, value)) for key, value in form.items()]


def hostile_requests(video_id: str) -> Iterator[tuple[str, dict]]:
    """(what, keyword arguments of KeepAliveClient.send) for every hostile input."""
    for route, (path, base, fields) in body_routes(video_id).items():
        for field in [*fields, "unknown_field", ""]:
            for value in VALUES:
                yield f"{route} json {field}={value!r:.60}", {"method": "POST", "path": path,
                                                               "json_body": {**base, field: value}}
                if isinstance(value, str | int | float) and not isinstance(value, bool):
                    form = {**{k: v for k, v in base.items() if not isinstance(v, dict)}, field: str(value)}
                    if "video" in base and field != "video":
                        form["video[id]"] = video_id
                    yield f"{route} form {field}={value!r:.60}", {"method": "POST", "path": path,
                                                                   "files": multipart(form)}
            prefix = json.dumps({k: v for k, v in base.items() if k != field})[:-1]
            separator = ", " if prefix != "{" else ""
            for raw in [*RAW_NUMBERS, *RAW_VALUES]:
                text = f'{prefix}{separator}"{field}": {raw}}}'
                yield f"{route} raw {field}={raw:.60}", {"method": "POST", "path": path, "content": text.encode(),
                                                          "content_type": "application/json"}
            # A file where text goes, and nested form keys.
            yield f"{route} file as {field}", {"method": "POST", "path": path, "data": {"prompt": PROMPT},
                                               "files": [(field or "x", ("a.txt", b"text", "text/plain"))]}
            for key in (f"{field}[a]", f"{field}[a][b][c][d]", f"{field}[]", f"{field}[" + "a" * 1000 + "]"):
                yield f"{route} form key {key:.60}", {"method": "POST", "path": path,
                                                       "files": multipart({"prompt": PROMPT, key: "1"})}
        for content_type in CONTENT_TYPES:
            for raw_body in RAW_BODIES:
                yield f"{route} body {content_type!r} {raw_body[:40]!r}", {
                    "method": "POST", "path": path, "content": raw_body, "content_type": content_type}
        # Duplicate form fields, too many fields, too many files.
        yield f"{route} duplicate form field", {"method": "POST", "path": path,
                                                 "files": [("prompt", (None, PROMPT)), ("prompt", (None, "a star"))]}
        yield f"{route} duplicate url-encoded field", {"method": "POST", "path": path,
                                                        "data": {"prompt": [PROMPT, "a green star"]}}
        yield f"{route} 200 fields", {"method": "POST", "path": path,
                                       "data": {"prompt": PROMPT, **{f"f{i}": "x" for i in range(200)}}}
        yield f"{route} 10 files", {"method": "POST", "path": path, "data": {"prompt": PROMPT},
                                     "files": [("input_reference", ("a.png", b"x", "image/png"))] * 10}
    # Uploads: every file name with every kind of garbage, as the image of a create, the video of an
    # extension or edit, and the file to verify.
    for name in FILENAMES:
        for garbage in GARBAGE_FILES:
            for path, field, extra in (("/v1/verify", "file", {}),
                                       ("/v1/videos", "input_reference", {"prompt": PROMPT}),
                                       ("/v1/videos/extensions", "video", {"prompt": PROMPT, "seconds": "1"}),
                                       ("/v1/videos/edits", "video", {"prompt": PROMPT}),
                                       ("/v1/videos/characters", "video", {"name": "Rex"})):
                yield f"{path} upload {name!r:.60} {garbage[:12]!r}", {
                    "method": "POST", "path": path, "data": extra, "files": [(field, (name, garbage, "video/mp4"))]}
    for value in (quote(v, safe="%") for v in QUERY_VALUES):
        for name in ("limit", "after", "order"):
            yield f"list {name}={value:.60}", {"method": "GET", "path": f"/v1/videos?{name}={value}"}
        yield f"list repeated limit={value:.60}", {"method": "GET", "path": f"/v1/videos?limit=5&limit={value}"}
        yield f"content variant={value:.60}", {"method": "GET", "path": f"/v1/videos/{video_id}/content?variant={value}"}
    for raw_id in PATH_IDS:
        segment = raw_id if "%" in raw_id else quote(raw_id, safe="")
        for method, template in (("GET", "/v1/videos/{}"), ("DELETE", "/v1/videos/{}"),
                                 ("GET", "/v1/videos/{}/content"), ("GET", "/v1/models/{}"),
                                 ("GET", "/v1/videos/characters/{}")):
            yield f"{method} {template} id={raw_id:.60}", {"method": method, "path": template.format(segment)}
        yield f"remix of id={raw_id:.60}", {"method": "POST", "path": f"/v1/videos/{segment}/remix",
                                            "json_body": {"prompt": PROMPT}}
    for header in AUTH_HEADERS:
        for method, path in (("GET", "/v1/videos"), ("GET", "/v1/usage"), ("POST", "/v1/videos"), ("GET", "/v1/me/export"),
                             ("POST", "/v1/verify"), ("GET", "/v1/models")):
            yield f"{method} {path} auth {header!r:.60}", {"method": method, "path": path, "auth": header,
                                                            "json_body": {"prompt": PROMPT}}


def test_hostile_inputs_get_4xx_envelopes_and_keep_the_connection(hostile_server, capsys):
    client = KeepAliveClient(hostile_server, hostile_server.key)
    queued = json.loads(httpx.post(hostile_server.url + "/v1/videos", headers={"Authorization": f"Bearer {hostile_server.key}"},
                                   json={"prompt": PROMPT, "seconds": "1", "size": "480x480"}, timeout=30).text)
    for what, request in hostile_requests(queued["id"]):
        client.send(what=what, **request)
    assert hostile_server.process.poll() is None, "the server died"
    # The connection that carried them all still serves an ordinary request.
    assert client.send("GET", "/v1/videos?limit=1", what="after all") == 200
    assert client.send("GET", f"/v1/videos/{queued['id']}", what="after all") == 200
    with capsys.disabled():
        print(f"\nhostile inputs tried: {client.tried}, answers by status: {dict(sorted(client.by_status.items()))}")
    assert client.tried > 3000


@pytest.mark.parametrize(("body", "param"), [
    ({"prompt": PROMPT, "seconds": True}, "seconds"),
    ({"prompt": PROMPT, "seconds": "1_0"}, "seconds"),
    ({"prompt": PROMPT, "seconds": " 4"}, "seconds"),
    ({"prompt": PROMPT, "seed": 7.0}, "seed"),
    ({"prompt": PROMPT, "seed": "+7"}, "seed"),
    ({"prompt": PROMPT, "size": "1280X720"}, "size"),
    ({"prompt": PROMPT, "likeness_consent": "yes"}, "likeness_consent"),
    ({"prompt": "\x00"}, "prompt"),
    ({"prompt": "a ball\x1b[2J"}, "prompt"),
    ({"prompt": "\u200b\u200b"}, "prompt"),
    ({"prompt": "x" * 32_001}, "prompt"),
])
def test_loose_values_are_refused_naming_the_field(hostile_server, body, param):
    response = httpx.post(hostile_server.url + "/v1/videos", json=body, timeout=30,
                          headers={"Authorization": f"Bearer {hostile_server.key}"})
    assert response.status_code == 400, response.text
    assert response.json()["error"]["param"] == param, response.text


def test_raw_huge_numbers_name_the_field(hostile_server):
    for field, raw in (("seconds", "1" + "0" * 400), ("seed", "9" * 5000), ("seconds", "1e400")):
        response = httpx.post(hostile_server.url + "/v1/videos", timeout=30,
                              content=f'{{"prompt": "{PROMPT}", "{field}": {raw}}}'.encode(),
                              headers={"Authorization": f"Bearer {hostile_server.key}", "Content-Type": "application/json"})
        assert response.status_code == 400, response.text
        assert response.json()["error"]["param"] == field, response.text


def test_a_prompt_of_32000_characters_with_line_breaks_is_accepted(hostile_server):
    prompt = (PROMPT + ".\n\t") * (32_000 // (len(PROMPT) + 3))
    response = httpx.post(hostile_server.url + "/v1/videos", json={"prompt": prompt, "seconds": "1", "size": "480x480"},
                          headers={"Authorization": f"Bearer {hostile_server.key}"}, timeout=30)
    assert response.status_code == 200, response.text


def test_verify_shows_only_the_file_name(hostile_server):
    response = httpx.post(hostile_server.url + "/v1/verify", timeout=30,
                          headers={"Authorization": f"Bearer {hostile_server.key}"},
                          files={"file": ("../../secret/" + "a" * 300 + ".mp4", b"not a video", "video/mp4")})
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["verdict"] == "unreadable"
    assert "/" not in report["path"] and len(report["path"]) <= 255
    assert "azur-verify" not in response.text and "/tmp" not in response.text, response.text


def test_an_unexpected_exception_answers_500_and_keeps_the_connection(tmp_path):
    """No input reaches one (above), so a fault is planted: a route that raises, in the real app served by
    uvicorn. The client gets the 500 envelope, and its keep-alive connection still serves the next request."""
    import threading

    import uvicorn

    from azur.api.app import create_app
    from azur.config import Settings
    from tests.conftest import free_port

    app = create_app(Settings(home=tmp_path), start_workers=False)

    @app.get("/planted-fault")
    def planted_fault() -> None:
        raise RuntimeError("a bug")

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="critical"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 60
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for path, status in (("/planted-fault", 500), ("/healthz", 200), ("/planted-fault", 500), ("/healthz", 200)):
            connection.request("GET", path)
            response = connection.getresponse()
            body = response.read()
            assert response.status == status, body
            assert connection.sock is not None, f"the server closed the connection after {path}"
        connection.request("GET", "/planted-fault")
        response = connection.getresponse()
        assert json.loads(response.read()) == {"error": {
            "message": "The server had an error while processing your request.", "type": "server_error",
            "param": None, "code": "internal_error"}}
    finally:
        server.should_exit = True
        thread.join(30)
