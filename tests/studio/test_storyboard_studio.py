"""The studio's storyboard editor, loop toggle and blend action, in a real Chromium against a real
``azur serve``: cards drafted from a script, reordered by drag and by keyboard, lengths, transitions and
images set, one video made of the shots; a looped video; a blend of two videos; French labels."""

from __future__ import annotations

import io
import os

import av
import numpy as np
import pytest
from PIL import Image

from tests.studio.test_studio import DOCS, browser, open_studio, studio_server, wait_done  # noqa: F401

pytestmark = pytest.mark.slow

SCRIPT = """INT. LIGHTHOUSE - NIGHT
The keeper climbs the spiral stairs. He lights the great lamp.

EXT. BEACH - DAY
A girl runs along the shore with her red kite."""


def shot_prompts(page) -> list[str]:
    return page.locator("#shots .shot-prompt").evaluate_all("els => els.map(e => e.value)")


def test_draft_then_reorder_by_keyboard_and_drag_and_edit_the_cards(browser, studio_server, tmp_path):  # noqa: F811
    key = studio_server.add_user("storyboarder", plan="pro")
    context, page = open_studio(browser, studio_server, key)
    page.locator(".draft summary").click()
    page.get_by_label("Script").fill(SCRIPT)
    page.get_by_role("button", name="Propose shots").click()
    page.wait_for_function("() => document.querySelectorAll('#shots li.shot').length === 6")
    assert shot_prompts(page) == [
        "Wide establishing shot: the lighthouse at night", "The keeper climbs the spiral stairs.",
        "He lights the great lamp.", "Cutaway: close-up of the great lamp",
        "Wide establishing shot: the beach by day", "A girl runs along the shore with her red kite."]
    assert page.get_by_label("Transition into shot 5").input_value() == "crossfade"
    assert "6 shots" in page.locator("#storyboard-total").inner_text()

    # Keyboard: the focused card moves with the arrow keys, and keeps the focus.
    cards = page.locator("#shots li.shot")
    cards.nth(1).focus()
    page.keyboard.press("ArrowLeft")
    assert shot_prompts(page)[:2] == ["The keeper climbs the spiral stairs.",
                                      "Wide establishing shot: the lighthouse at night"]
    assert page.evaluate("document.activeElement.dataset.index") == "0"
    # Drag and drop: the last card dropped on the first takes its place.
    cards.nth(5).locator(".shot-head").drag_to(cards.nth(0).locator(".shot-head"))
    assert shot_prompts(page)[0] == "A girl runs along the shore with her red kite."
    # The first shot can only cut; lengths, transitions and images are set on the card.
    assert page.get_by_label("Transition into shot 1").input_value() == "cut"
    page.get_by_label("Seconds of shot 2").fill("8")
    page.get_by_label("Transition into shot 3").select_option("continue")
    image = np.zeros((64, 64, 3), np.uint8)
    image[:] = (200, 40, 40)
    Image.fromarray(image).save(tmp_path / "red.png")
    page.get_by_label("Image of shot 4").set_input_files(str(tmp_path / "red.png"))
    page.wait_for_function("() => document.querySelectorAll('#shots .shot-hint')[3].textContent.includes('red.png')")
    page.get_by_label("Character of shot 2").fill("Keeper")
    assert page.locator("#storyboard-total").inner_text() == "6 shots · 21 s in all"
    if os.environ.get("AZUR_STUDIO_SCREENSHOT"):
        DOCS.mkdir(exist_ok=True)
        page.locator("#storyboard-section").screenshot(path=str(DOCS / "studio-storyboard.png"))
    # Over the plan's 20 s: the server's refusal is shown beside the editor.
    page.get_by_role("button", name="Make the video").click()
    page.locator("#storyboard-error").wait_for(state="visible")
    assert "at most 20 s" in page.locator("#storyboard-error").inner_text()

    # French: the editor's labels follow the language switch.
    page.locator("#lang").select_option("fr")
    assert page.get_by_role("button", name="Ajouter un plan").is_visible()
    assert page.get_by_label("Transition vers le plan 2").is_visible()
    context.close()


def test_make_a_storyboard_video_a_looped_video_and_a_blend(browser, studio_server, tmp_path):  # noqa: F811
    key = studio_server.add_user("storyteller", plan="pro")
    client = studio_server.client(key)
    context, page = open_studio(browser, studio_server, key)
    page.locator("#size").select_option("480x480")
    for prompt in ("a red circle moving right on a blue background", "a green square moving up on a black background"):
        page.get_by_role("button", name="Add a shot").click()
        page.locator("#shots .shot-prompt").last.fill(prompt)
        page.locator("#shots .shot-seconds").last.fill("1")
    page.get_by_label("Transition into shot 2").select_option("crossfade")
    green = np.zeros((480, 480, 3), np.uint8)
    green[:] = (30, 160, 60)
    Image.fromarray(green).save(tmp_path / "green.png")
    page.get_by_label("Image of shot 2").set_input_files(str(tmp_path / "green.png"))
    page.wait_for_function("() => document.querySelectorAll('#shots .shot-hint')[1].textContent.includes('green.png')")
    page.get_by_label("Title").fill("Two shapes")
    page.get_by_role("button", name="Make the video").click()
    card = page.locator("li.video").first
    card.wait_for()
    wait_done(page, card)
    assert "2 shots" in card.inner_text() and "2 s" in card.inner_text()
    video = client.videos.list().data[0]
    assert [(s["transition"], s["has_image"]) for s in video.model_extra["storyboard"]] == [
        ("cut", False), ("crossfade", True)]
    with av.open(io.BytesIO(client.videos.download_content(video.id).content)) as container:
        assert len(container.chapters()) == 2

    # Loop: the toggle beside the composer.
    page.get_by_role("textbox", name="Prompt", exact=True).fill("a green square moving up on a black background")
    page.get_by_label("Duration (seconds)").fill("1")
    page.get_by_label("Loop: the end flows back into the start").check()
    page.get_by_role("button", name="Generate").click()
    page.wait_for_function("() => document.querySelectorAll('li.video').length === 2")
    looped = page.locator("li.video").first
    wait_done(page, looped)
    assert "loop" in looped.inner_text()
    assert client.videos.list().data[0].model_extra["loop"] is True

    # Blend: from the looped video into the storyboard video.
    looped.get_by_role("button", name="Blend").click()
    page.locator("#blend-target").select_option(video.id)
    page.locator("#blend-ok").click()
    page.wait_for_function("() => document.querySelectorAll('li.video').length === 3")
    blend = page.locator("li.video").first
    wait_done(page, blend)
    assert "2 s" in blend.inner_text()

    # A storyboard video opens again in the editor.
    page.locator("li.video", has_text="2 shots").get_by_role("button", name="Edit storyboard").click()
    assert shot_prompts(page) == ["a red circle moving right on a blue background",
                                  "a green square moving up on a black background"]
    # With the image its second shot started from: made again, the new video has it too.
    page.wait_for_function("() => document.querySelectorAll('#shots .shot-hint')[1].textContent.includes('shot-2.png')")
    assert "shot-1.png" not in page.locator("#shots .shot-hint").first.inner_text()
    page.get_by_role("button", name="Make the video").click()
    page.wait_for_function("() => document.querySelectorAll('li.video').length === 4")
    again = page.locator("li.video").first
    wait_done(page, again)
    assert [s["has_image"] for s in client.videos.list().data[0].model_extra["storyboard"]] == [False, True]
    if os.environ.get("AZUR_STUDIO_SCREENSHOT"):
        page.screenshot(path=str(DOCS / "studio-storyboard-page.png"), full_page=True)
    context.close()
