"""The studio's batch panel in a real headless Chromium against a real ``azur serve`` with a worker: a CSV
of prompts becomes a batch whose progress shows until it ends, its videos join the library, and its
results and errors can be downloaded; in English and French."""

from __future__ import annotations

import json
import os

import pytest

from tests.conftest import AzurServer
from tests.studio.test_studio import DOCS, browser, open_studio  # noqa: F401 - browser is a fixture

pytestmark = pytest.mark.slow

CSV = (
    'prompt,seconds,custom_id\n'
    '"a red ball, moving right on a blue background",1,first\n'
    'a green star on a black background,,second\n'
    'a yellow square on a white background,1,third\n'
    'a purple circle,30,fourth\n'
)


@pytest.fixture(scope="module")
def batch_server(tmp_path_factory):
    srv = AzurServer(tmp_path_factory.mktemp("studio-batches"), env={"AZUR_BATCHES__POLL_SECONDS": "0.2"}).start()
    yield srv
    srv.stop()


def test_csv_batch_shows_progress_fills_the_library_and_gives_its_files(browser, batch_server, tmp_path):  # noqa: F811
    key = batch_server.add_user("batch-studio", plan="plus")
    context, page = open_studio(browser, batch_server, key)
    page.get_by_label("Duration (seconds)").fill("1")  # the default for lines without seconds
    page.locator("#size").select_option("480x480")
    page.get_by_label("File (JSONL or CSV)").set_input_files(
        files=[{"name": "prompts.csv", "mimeType": "text/csv", "buffer": CSV.encode()}])
    page.get_by_role("button", name="Start the batch").click()

    row = page.locator("li.batch").first
    row.wait_for()
    seen = set()
    for _ in range(1800):
        status = row.get_attribute("data-status")
        if status == "in_progress" and status not in seen:
            page.screenshot(path=str(tmp_path / "batch-running.png"), full_page=True)
        seen.add(status)
        if status in ("completed", "failed", "cancelled", "expired"):
            break
        page.wait_for_timeout(100)
    assert row.get_attribute("data-status") == "completed", row.inner_text()
    assert "in_progress" in seen, seen
    assert "3 done · 1 failed · 4 requests" in row.inner_text()
    page.wait_for_function("() => document.querySelector('#plan-text').textContent.startsWith('3 of 50')")
    # The batch's videos joined the library (the second line took the composer's 1 s and 480x480).
    page.wait_for_function("() => document.querySelectorAll('li.video').length === 3")
    library = page.locator("#library").inner_text()
    assert "a red ball, moving right" in library and "a green star" in library
    assert page.locator("li.video .meta").all_inner_texts() == ["480x480 · 1 s · azur-tiny"] * 3
    if os.environ.get("AZUR_STUDIO_SCREENSHOT"):
        DOCS.mkdir(exist_ok=True)
        page.screenshot(path=str(DOCS / "studio-batch.png"), full_page=False)
    page.screenshot(path=str(tmp_path / "batch.png"), full_page=True)

    with page.expect_download() as download:
        row.get_by_role("button", name="Errors").click()
    [error_line] = [json.loads(line) for line in open(download.value.path()).read().splitlines()]
    assert error_line["custom_id"] == "fourth" and error_line["response"]["status_code"] == 400
    with page.expect_download() as download:
        row.get_by_role("button", name="Results").click()
    results = [json.loads(line) for line in open(download.value.path()).read().splitlines()]
    assert [r["custom_id"] for r in results] == ["first", "second", "third"]

    page.locator("#lang").select_option("fr")
    assert "3 terminées · 1 en échec · 4 requêtes" in row.inner_text() and "Terminé" in row.inner_text()
    assert page.get_by_role("button", name="Lancer le lot").is_visible()
    context.close()


def test_an_unreadable_file_is_refused_before_upload(browser, batch_server):  # noqa: F811
    key = batch_server.add_user("batch-bad-file", plan="plus")
    context, page = open_studio(browser, batch_server, key)
    page.get_by_label("File (JSONL or CSV)").set_input_files(
        files=[{"name": "r.jsonl", "mimeType": "application/jsonl", "buffer": b'{"prompt": "a ball"}\n{oops\n'}])
    page.get_by_role("button", name="Start the batch").click()
    error = page.locator("#batch-error")
    error.wait_for(state="visible")
    assert "cannot be read (line 2)" in error.inner_text()
    assert batch_server.client(key).files.list().data == []
    context.close()
