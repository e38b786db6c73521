"""A stand-in for the Hugging Face Hub's HTTP API on loopback, serving local folders as model repos.

The Hub cannot be reached from the tests, so this serves the few endpoints ``huggingface_hub``'s
``snapshot_download`` calls (repo info, the recursive tree listing, ``resolve`` with HEAD and ranged GET),
in the shapes the Hub answers them, so that the real client code runs: its cache layout, its progress
bars, its retries and ranged resumption. It is written for these tests, not a general Hub: no auth, no
xet, one branch (main) and one commit per repo. ``requests`` records what was asked (method, path, Range header), so a test can
see what was downloaded and from which byte; ``drop_after`` cuts a file's first transfer after that many
bytes, as a flaky network would; ``fail`` answers 500 to a file's GET
(its HEAD still answers) until removed from it.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse


@dataclass
class Repo:
    folder: Path
    card: dict[str, Any] = field(default_factory=dict)  # the model card's metadata (license, license_name...)
    declared_sizes: dict[str, int] = field(default_factory=dict)  # sizes the metadata claims, not the real ones

    @property
    def sha(self) -> str:
        digest = hashlib.sha1()
        for path in self.files():
            digest.update(path.encode())
            digest.update((self.folder / path).read_bytes())
        return digest.hexdigest()

    def files(self) -> list[str]:
        return sorted(str(p.relative_to(self.folder)) for p in self.folder.rglob("*") if p.is_file())


class FakeHub:
    def __init__(self) -> None:
        self.repos: dict[str, Repo] = {}
        self.requests: list[tuple[str, str, str | None]] = []
        self.drop_after: dict[str, int] = {}  # file name → bytes sent before the first transfer is cut
        self.fail: set[str] = set()  # file names answered with 500
        hub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_HEAD(self) -> None:
                hub._handle(self, head=True)

            def do_GET(self) -> None:
                hub._handle(self, head=False)

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # a client closing a connection early is expected here (dropped transfers, retries)

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeHub:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()

    def add(self, repo_id: str, folder: Path, **kwargs: Any) -> Repo:
        self.repos[repo_id] = Repo(Path(folder), **kwargs)
        return self.repos[repo_id]

    def downloads(self) -> list[tuple[str, str | None]]:
        """(file, Range header) of each GET of a file's content."""
        return [(path.split("/resolve/", 1)[1].split("/", 1)[1], rng) for method, path, rng in self.requests
                if method == "GET" and "/resolve/" in path]

    # ---- the endpoints ---------------------------------------------------------------------------------

    def _handle(self, request: BaseHTTPRequestHandler, *, head: bool) -> None:
        path = unquote(urlparse(request.path).path)
        self.requests.append(("HEAD" if head else "GET", path, request.headers.get("Range")))
        parts = path.strip("/").split("/")
        if parts[:2] == ["api", "models"] and len(parts) >= 6:
            repo = self.repos.get("/".join(parts[2:4]))
            if repo is None:
                return self._json(request, 404, {"error": "Repository not found"}, {"X-Error-Code": "RepoNotFound"})
            if parts[4] in ("revision", "tree") and parts[5] not in ("main", repo.sha):
                return self._json(request, 404, {"error": "Invalid rev id"}, {"X-Error-Code": "RevisionNotFound"})
            if parts[4] == "revision":
                return self._json(request, 200, {
                    "id": "/".join(parts[2:4]), "modelId": "/".join(parts[2:4]), "sha": repo.sha, "private": False,
                    "gated": False, "disabled": False, "cardData": repo.card, "tags": [],
                    "siblings": [{"rfilename": f} for f in repo.files()],
                })
            if parts[4] == "tree":
                return self._json(request, 200, [
                    {"type": "file", "path": f, "oid": hashlib.sha1((repo.folder / f).read_bytes()).hexdigest(),
                     "size": repo.declared_sizes.get(f, (repo.folder / f).stat().st_size)}
                    for f in repo.files()
                ])
        if "resolve" in parts:
            at = parts.index("resolve")
            repo = self.repos.get("/".join(parts[:at]))
            name = "/".join(parts[at + 2:])
            if repo is None or not (repo.folder / name).is_file():
                return self._json(request, 404, {"error": "Entry not found"}, {"X-Error-Code": "EntryNotFound"})
            if name in self.fail and not head:
                return self._json(request, 500, {"error": "Internal error"})
            return self._file(request, repo, name, head=head)
        return self._json(request, 404, {"error": "not found"})

    def _json(self, request: BaseHTTPRequestHandler, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        body = json.dumps(payload).encode()
        request.send_response(status)
        request.send_header("Content-Type", "application/json")
        request.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            request.send_header(key, value)
        request.end_headers()
        request.wfile.write(body)

    def _file(self, request: BaseHTTPRequestHandler, repo: Repo, name: str, *, head: bool) -> None:
        data = (repo.folder / name).read_bytes()
        start = 0
        rng = request.headers.get("Range")
        if rng and rng.startswith("bytes="):
            start = int(rng[6:].split("-")[0])
        request.send_response(206 if start else 200)
        request.send_header("X-Repo-Commit", repo.sha)
        request.send_header("ETag", f'"{hashlib.sha256(data).hexdigest()}"')
        request.send_header("Content-Length", str(len(data) - start))
        if name in repo.declared_sizes:
            request.send_header("X-Linked-Size", str(repo.declared_sizes[name]))  # the Hub's size of an LFS file
        if start:
            request.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        request.end_headers()
        if head:
            return
        body = data[start:]
        cut = self.drop_after.pop(name, None)
        if cut is not None:
            request.wfile.write(body[:cut])
            request.wfile.flush()
            request.close_connection = True
            import socket

            request.connection.shutdown(socket.SHUT_RDWR)  # the transfer stops short of Content-Length
            return
        request.wfile.write(body)
