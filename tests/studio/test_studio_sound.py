"""The studio's sound controls in a real Chromium against a real ``azur serve``: a video with voice-over,
music and effects, played with its sound, in English and French, and a voice-over too long refused."""

from __future__ import annotations

import io
import os

import av
import httpx
import pytest

from tests.studio.test_studio import DOCS, browser, open_studio, studio_server, wait_done  # noqa: F401

pytestmark = pytest.mark.slow


def test_a_video_with_voiceover_music_and_effects_from_the_studio(browser, studio_server):  # noqa: F811
    key = studio_server.add_user("sound-user", plan="plus")
    context, page = open_studio(browser, studio_server, key)
    page.get_by_role("textbox", name="Prompt").fill("a blue square moving left on a white background")
    page.get_by_label("Duration (seconds)").fill("2")
    page.locator("#size").select_option("854x480")
    page.get_by_role("textbox", name="Voice-over (optional text read aloud)").fill("The square slides away.")
    page.get_by_label("Voice", exact=True).select_option("female")
    page.get_by_label("Music", exact=True).select_option("playful")
    page.get_by_label("Sound effects from the picture").check()
    if os.environ.get("AZUR_STUDIO_SCREENSHOT"):
        DOCS.mkdir(exist_ok=True)
        page.locator("#compose").screenshot(path=str(DOCS / "studio-sound.png"))
    page.get_by_role("button", name="Generate").click()
    card = page.locator("li.video").first
    card.wait_for()
    wait_done(page, card)
    assert "AI sound: voice-over, music, effects" in card.inner_text()

    # The browser plays it, sound included: it decodes an audio track as long as the picture.
    card.get_by_role("button", name="Play").click()
    video = card.locator("video")
    video.wait_for()
    page.wait_for_function("(v) => v.readyState >= 3", arg=video.element_handle(), timeout=30_000)
    assert abs(video.evaluate("v => v.duration") - 2.0) < 0.15
    video_id = card.get_attribute("data-id") or studio_server.client(key).videos.list().data[0].id
    data = httpx.get(f"{studio_server.url}/v1/videos/{video_id}/content",
                     headers={"Authorization": f"Bearer {key}"}, timeout=30).content
    with av.open(io.BytesIO(data)) as container:
        audio = container.streams.audio[0]
        assert audio.codec_context.name == "aac" and float(audio.duration * audio.time_base) == pytest.approx(2.0)
    context.close()


def test_french_sound_controls_and_a_voiceover_too_long(browser, studio_server):  # noqa: F811
    key = studio_server.add_user("son", plan="plus")
    context, page = open_studio(browser, studio_server, key, locale="fr-FR")
    assert page.locator("#sound legend").inner_text() == "Son"
    assert page.get_by_label("Musique", exact=True).is_visible()
    assert "Joyeuse" in page.get_by_label("Musique", exact=True).inner_text()
    page.get_by_role("textbox", name="Description").fill("une étoile verte qui monte sur un fond noir")
    page.get_by_label("Durée (secondes)").fill("1")
    page.get_by_role("textbox", name="Voix off (texte lu à voix haute, facultatif)").fill(
        "Une étoile verte monte lentement dans le ciel noir, bien plus longtemps qu'une seconde.")
    page.get_by_label("Langue de la voix off").select_option("fr")
    page.get_by_role("button", name="Générer").click()
    error = page.locator("#compose-error")
    error.wait_for(state="visible")
    assert "voice-over takes" in error.inner_text() and "1 s video" in error.inner_text()
    assert page.locator("li.video").count() == 0
    context.close()
