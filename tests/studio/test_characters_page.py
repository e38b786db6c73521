"""The studio's characters page in a real Chromium against a real ``azur serve``: create a character from
an image, see its look, pick it for a generation (the video shows it, judged from its pixels), French,
errors, delete."""

from __future__ import annotations

import io
import os

import av
import httpx
import pytest

from azur.embedded.delivered import judge_delivered
from tests.api.test_characters import drawn
from tests.conftest import png_bytes
from tests.studio.test_studio import browser, open_studio, studio_server, wait_done  # noqa: F401 - fixtures

pytestmark = pytest.mark.slow


def test_create_pick_and_delete_a_character(browser, studio_server, tmp_path):  # noqa: F811 - fixtures
    key = studio_server.add_user("caster", plan="plus")
    context, page = open_studio(browser, studio_server, key)
    section = page.locator("#characters")
    assert section.get_by_role("heading", name="Characters").is_visible()
    assert page.locator("#character-field").is_hidden()  # nothing to pick yet

    # A missing picture is said next to the form, and nothing is created.
    section.get_by_label("Name", exact=True).fill("Rex")
    page.get_by_role("button", name="Create character").click()
    page.locator("#character-error").wait_for(state="visible")
    assert "picture" in page.locator("#character-error").inner_text()

    section.get_by_label("Picture", exact=True).set_input_files(
        {"name": "rex.png", "mimeType": "image/png", "buffer": png_bytes(drawn("red", "star", "white"))})
    page.get_by_role("button", name="Create character").click()
    item = section.locator("li.character")
    item.wait_for()
    assert "Rex" in item.inner_text() and "red star" in item.inner_text()
    assert page.get_by_role("img", name="red star").is_visible()  # the swatch, drawn on a canvas

    # Picked for a generation: the clip shows the character whatever the prompt's colour and shape.
    assert page.locator("#character-field").is_visible()
    page.get_by_label("Character", exact=True).select_option(label="Rex")
    page.get_by_role("textbox", name="Prompt").fill("a blue circle moving right on a yellow background")
    page.get_by_label("Duration (seconds)").fill("2")
    page.locator("#size").select_option("854x480")
    page.get_by_role("button", name="Generate").click()
    card = page.locator("li.video").first
    card.wait_for()
    wait_done(page, card)
    assert "with Rex" in card.locator(".meta").inner_text()  # the card says whom it shows
    client = studio_server.client(key)
    video_id = card.get_attribute("data-id")
    with av.open(io.BytesIO(client.videos.download_content(video_id).content)) as container:
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    assert frames[0].shape == (480, 854, 3)
    verdict = judge_delivered(frames)
    assert (verdict.object_color, verdict.shape, verdict.background_color) == ("red", "star", "yellow")
    section.scroll_into_view_if_needed()
    page.screenshot(path=str(tmp_path / "characters-en.png"), full_page=True)
    if os.environ.get("AZUR_STUDIO_SCREENSHOT"):
        page.screenshot(path=os.environ["AZUR_STUDIO_SCREENSHOT"] + "-characters.png", full_page=True)

    # French: the page and the look in French (the colour agrees with "étoile").
    page.locator("#lang").select_option("fr")
    assert section.get_by_role("heading", name="Personnages").is_visible()
    assert "étoile rouge" in item.inner_text()
    assert page.get_by_role("button", name="Créer le personnage").is_visible()

    # Delete: gone here and on the server; the picker goes too.
    item.get_by_role("button", name="Supprimer Rex").click()
    page.wait_for_function("() => document.querySelectorAll('li.character').length === 0")
    assert page.locator("#characters-empty").is_visible() and page.locator("#character-field").is_hidden()
    listed = httpx.get(studio_server.url + "/v1/videos/characters", headers={"Authorization": f"Bearer {key}"})
    assert listed.json()["data"] == []
    context.close()
