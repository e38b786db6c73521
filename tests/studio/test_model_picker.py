"""The studio's model picker in real Chromium: it lists the server's models (GET /v1/models), says what the
chosen one is (licence, first frame, length), offers its quality presets and LoRAs, and a video made
with them runs on that model. The models are the built-in one and a tiny random Wan with a tiny LoRA."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.conftest import AzurServer
from tests.studio.test_studio import browser, open_studio, wait_done  # noqa: F401 - the browser fixture

sys.path.insert(0, str(Path(__file__).parents[1] / "engine"))
import tiny_pipelines  # noqa: E402 - tests/engine's builders of tiny diffusers pipelines

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def picker_server(tmp_path_factory):
    root = tmp_path_factory.mktemp("picker")
    wan = tiny_pipelines.build_wan(root / "wan")
    lora = tiny_pipelines.build_wan_lora(root / "sketch")
    srv = AzurServer(root / "home", env={"HF_HUB_OFFLINE": "1"})
    srv.home.mkdir(parents=True)
    srv.cli("models", "add", "tiny-wan", "--family", "wan", "--path", str(wan), "--option", "steps=3",
            "--option", "area=1024", "--option", "max_frames=9", "--option", "max_sequence_length=16",
            "--lora-choice", f"sketch={lora}")
    srv.start()
    yield srv
    srv.stop()


def test_pick_a_model_its_quality_and_lora(browser, picker_server):  # noqa: F811 - the fixture
    key = picker_server.add_user("picker", plan="pro")
    context, page = open_studio(browser, picker_server, key)
    page.wait_for_function("() => document.getElementById('compose').dataset.models === '2'")
    assert page.locator("#model option").evaluate_all("os => os.map(o => o.value)") == ["azur-tiny", "tiny-wan"]
    # The built-in model: no presets, no LoRAs, its licence named.
    assert page.get_by_label("Model").input_value() == "azur-tiny"
    assert page.locator("#quality-field").is_hidden() and page.locator("#lora-field").is_hidden()
    assert "Licence: Apache 2.0" in page.locator("#model-info").inner_text()

    page.get_by_label("Model").select_option("tiny-wan")
    assert page.locator("#quality-field").is_visible() and page.locator("#lora-field").is_visible()
    qualities = page.locator("#quality option").evaluate_all("os => os.map(o => o.textContent)")
    assert qualities == ["Draft · 2 steps", "Standard · 3 steps", "High · 5 steps"]
    info = page.locator("#model-info").inner_text()
    assert "not recorded" in info and "can start from an image" in info and "up to 20 s" in info
    page.get_by_label("Quality").select_option("draft")
    page.get_by_label("LoRA (style adapter)").select_option("sketch")
    page.get_by_role("textbox", name="Prompt").fill("a red ball bounces on a blue floor")
    page.get_by_label("Duration (seconds)").fill("1")
    page.locator("#size").select_option("480x480")
    with page.expect_request(lambda r: r.url.endswith("/v1/videos") and r.method == "POST") as sent:
        page.get_by_role("button", name="Generate").click()
    body = sent.value.post_data
    for field, value in (("model", "tiny-wan"), ("quality", "draft"), ("lora", "sketch")):
        assert f'name="{field}"\r\n\r\n{value}\r\n' in body, body
    card = page.locator("li.video").first
    card.wait_for()
    wait_done(page, card, timeout_ms=600_000)
    video = picker_server.client(key).videos.list().data[0]
    assert video.model == "tiny-wan"
    assert "LoRA sketch · Draft" in card.locator(".meta").inner_text()  # the card says how it was made

    # French: the same picker, translated.
    page.locator("#lang").select_option("fr")
    assert page.locator("#quality option").first.text_content() == "Brouillon · 2 étapes"
    assert page.locator("#lora option").first.text_content() == "Aucun"
    context.close()
