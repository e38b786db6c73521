"""``input_reference`` in every form of OpenAI's spec, through the official client against a real server:
``{"image_url": "https://..."}`` fetched by the server only where the operator allows it, through the
outbound guard (a loopback image server allowed by ``allowed_networks``; a private address refused, also
behind a redirect), with what the bytes are read from the bytes, never from the Content-Type; and
``{"file_id": "file-..."}``, the caller's own upload to ``/v1/files``."""

from __future__ import annotations

import base64
import io
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import av
import numpy as np
import openai
import pytest

from tests.conftest import AzurServer, assert_openai_error, png_bytes

SHORT = {"seconds": "1", "size": "480x480"}


def by_url(url: str) -> dict:
    """``**by_url(url)`` as the official client can send it: its ``create`` takes only
    files there (3.57 raises on a dict), so the object goes in ``extra_body``, sent as multipart
    ``input_reference[image_url]``."""
    return {"input_reference": openai.omit, "extra_body": {"input_reference": {"image_url": url}}}


def picture() -> np.ndarray:
    image = np.zeros((480, 480, 3), np.uint8)
    image[:, :240] = (250, 20, 20)
    image[:, 240:] = (20, 250, 20)
    return image


class ImageServer:
    """A web server on loopback: the image (sent as text/plain), text sent as image/png, a large image, and a
    redirect to a private address. It records the paths it was asked for."""

    def __init__(self) -> None:
        routes = {
            "/start.png": (200, "text/plain", png_bytes(picture())),
            "/fake.png": (200, "image/png", b"<html>not an image</html>"),
            "/large.png": (200, "image/png", png_bytes(np.random.default_rng(0).integers(0, 255, (600, 600, 3),
                                                                                         np.uint8))),
            "/missing.png": (404, "text/plain", b"not found"),
        }
        asked = self.asked = []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                asked.append(self.path)
                if self.path == "/elsewhere":
                    self.send_response(302)
                    self.send_header("Location", "http://10.1.2.3/start.png")
                    self.end_headers()
                    return
                status, kind, body = routes.get(self.path, (404, "text/plain", b"no"))
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


@pytest.fixture(scope="module")
def images():
    web = ImageServer()
    yield web
    web.httpd.shutdown()


@pytest.fixture(scope="module")
def fetching(tmp_path_factory, images):
    """A server whose operator allows fetching image URLs, with the loopback image server allowed."""
    env = {"AZUR_OUTBOUND__FETCH_IMAGE_URLS": "true", "AZUR_OUTBOUND__ALLOWED_NETWORKS": '["127.0.0.0/8"]',
           "AZUR_OUTBOUND__ALLOWED_PORTS": f"[{images.port}]", "AZUR_SERVER__MAX_UPLOAD_BYTES": "500000"}
    srv = AzurServer(tmp_path_factory.mktemp("fetching-home"), env=env).start()
    yield srv
    srv.stop()


def test_an_image_url_is_fetched_and_becomes_the_first_frame(fetching, images):
    client = fetching.client(fetching.add_user("web"))
    video = client.videos.create_and_poll(prompt="a circle", **by_url(images.url("/start.png")),
                                          poll_interval_ms=200, **SHORT)
    assert video.status == "completed", video.error
    with av.open(io.BytesIO(client.videos.download_content(video.id).content)) as container:
        first = next(container.decode(video=0)).to_ndarray(format="rgb24").astype(int)
    assert np.abs(first - picture()).mean() < 12
    assert "/start.png" in images.asked


@pytest.mark.parametrize(("path", "code"), [
    ("/fake.png", "invalid_image"),  # "image/png" said the header; the bytes say otherwise
    ("/large.png", "image_url_unreachable"),  # past the upload limit: not read to the end
    ("/missing.png", "image_url_unreachable"),
    ("/elsewhere", "url_not_allowed"),  # a redirect to a private address is checked like the first URL
])
def test_bad_image_urls_are_refused(fetching, images, path, code):
    client = fetching.client(fetching.add_user(f"web-{path.strip('/').replace('.', '-')}"))
    with pytest.raises(openai.BadRequestError) as refused:
        client.videos.create(prompt="a circle", **by_url(images.url(path)), **SHORT)
    assert_openai_error(refused.value, 400, code=code, param="input_reference")
    assert client.videos.list().data == []


@pytest.mark.parametrize("url", ["http://10.1.2.3/start.png", "http://169.254.169.254/latest/meta-data",
                                 "http://[::1]:8080/x.png", "file:///etc/passwd"])
def test_private_and_non_web_targets_are_refused_before_any_connection(fetching, url):
    client = fetching.client(fetching.add_user(f"ssrf-{abs(hash(url))}"))
    with pytest.raises(openai.BadRequestError) as refused:
        client.videos.create(prompt="a circle", **by_url(url), **SHORT)
    assert_openai_error(refused.value, 400, code="url_not_allowed", param="input_reference")


def test_a_server_that_does_not_fetch_says_so_and_asks_nothing(client, images):
    before = len(images.asked)
    with pytest.raises(openai.BadRequestError) as refused:
        client.videos.create(prompt="a circle", **by_url(images.url("/start.png")), **SHORT)
    assert_openai_error(refused.value, 400, code="image_url_not_fetched", param="input_reference")
    assert len(images.asked) == before
    # A data URL is always taken.
    data_url = "data:image/png;base64," + base64.b64encode(png_bytes(picture())).decode()
    assert client.videos.create(prompt="a circle", **by_url(data_url), **SHORT).status == "queued"


def first_frame_of(client: openai.OpenAI, video_id: str) -> np.ndarray:
    with av.open(io.BytesIO(client.videos.download_content(video_id).content)) as container:
        return next(container.decode(video=0)).to_ndarray(format="rgb24").astype(int)


def by_file(file_id: str) -> dict:
    return {"input_reference": openai.omit, "extra_body": {"input_reference": {"file_id": file_id}}}


def test_a_file_id_of_the_callers_own_image_is_the_first_frame(server, client):
    uploaded = client.files.create(file=("start.png", png_bytes(picture()), "image/png"), purpose="vision")
    video = client.videos.create_and_poll(prompt="a circle", **by_file(uploaded.id), poll_interval_ms=200, **SHORT)
    assert video.status == "completed", video.error
    assert np.abs(first_frame_of(client, video.id) - picture()).mean() < 12

    # Another user's file is not theirs to use (404, as an unknown id); a file of another purpose is refused.
    stranger = server.client(server.add_user("file-stranger"))
    with pytest.raises(openai.NotFoundError) as hidden:
        stranger.videos.create(prompt="a circle", **by_file(uploaded.id), **SHORT)
    assert_openai_error(hidden.value, 404, param="input_reference")
    batch_file = client.files.create(file=("lines.jsonl", b'{"custom_id": "a"}\n', "application/jsonl"),
                                     purpose="batch")
    with pytest.raises(openai.BadRequestError) as wrong:
        client.videos.create(prompt="a circle", **by_file(batch_file.id), **SHORT)
    assert_openai_error(wrong.value, 400, code="invalid_file", param="input_reference")
    text = client.files.create(file=("notes.png", b"just words", "image/png"), purpose="user_data")
    with pytest.raises(openai.BadRequestError) as not_image:
        client.videos.create(prompt="a circle", **by_file(text.id), **SHORT)
    assert_openai_error(not_image.value, 400, code="invalid_image", param="input_reference")
