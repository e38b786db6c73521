"""The web studio in a real headless Chromium (Debian's package) driven by Playwright, against a real
``azur serve`` with the real model: sign in, generate, watch progress, play, remix, delete, French, errors."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import AzurServer

from playwright import sync_api as playwright_api  # noqa: E402 - the dev extra installs it
pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.fixture(scope="module")
def studio_server(tmp_path_factory):
    srv = AzurServer(tmp_path_factory.mktemp("studio-home")).start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is not installed (apt-get install chromium); .ci/run installs it")
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def open_studio(browser, server, key: str, *, locale: str = "en-GB", width: int = 1280):
    context = browser.new_context(locale=locale, viewport={"width": width, "height": 900})
    page = context.new_page()
    page.goto(server.url + "/")
    page.get_by_label(page.locator("label[for=api-key]").inner_text()).fill(key)
    page.locator("#signin-form button[type=submit]").click()
    page.locator("#workspace").wait_for(state="visible")
    page.locator("#plan").wait_for(state="visible")  # the plan is loaded: the composer offers what it allows
    page.locator("#workspace[data-ready=true]").wait_for(state="attached")  # and the library: nothing moves focus
    return context, page


def wait_done(page, card, timeout_ms: int = 120_000) -> None:
    page.wait_for_function("(el) => el.dataset.status === 'completed' || el.dataset.status === 'failed'",
                           arg=card.element_handle(), timeout=timeout_ms)
    assert card.get_attribute("data-status") == "completed", card.inner_text()


def test_sign_in_generate_watch_play_remix_and_delete(browser, studio_server):
    key = studio_server.add_user("studio-user", plan="plus")
    context, page = open_studio(browser, studio_server, key)
    # The composer offers only what the Plus plan allows (720p at most).
    sizes = page.locator("#size option").evaluate_all("os => os.map(o => o.value)")
    assert "1280x720" in sizes and "1920x1080" not in sizes
    page.get_by_role("textbox", name="Prompt").fill("a red ball moving right on a blue background")
    page.get_by_label("Duration (seconds)").fill("2")
    page.locator("#size").select_option("854x480")
    page.get_by_role("button", name="Generate").click()

    card = page.locator("li.video").first
    card.wait_for()
    # Live progress: the card shows the job's state and a moving bar before it is done.
    seen = set()
    for _ in range(600):
        # Status and bar read in one step in the page: read apart, the job could finish in between and the
        # bar's element be gone before its value was read.
        status, value = card.evaluate("c => [c.dataset.status, c.querySelector('progress')?.value ?? null]")
        seen.add(status)
        if status == "in_progress" and value is not None and float(value) > 0:
            seen.add("moving")
        if status in ("completed", "failed"):
            break
        page.wait_for_timeout(100)
    wait_done(page, card)
    assert {"in_progress", "moving"} <= seen or "queued" in seen, seen
    assert "AI-generated" in card.inner_text()

    card.get_by_role("button", name="Play").click()
    video = card.locator("video")
    video.wait_for()
    page.wait_for_function("(v) => v.readyState >= 3", arg=video.element_handle(), timeout=30_000)
    duration = video.evaluate("v => v.duration")
    assert abs(duration - 2.0) < 0.15, duration
    if os.environ.get("AZUR_STUDIO_SCREENSHOT"):
        DOCS.mkdir(exist_ok=True)
        page.screenshot(path=str(DOCS / "studio.png"), full_page=False)

    # Remix: a new card with the new prompt, made from the same options.
    card.get_by_role("button", name="Remix").click()
    page.locator("#dialog-prompt").fill("a green star moving right on a blue background")
    page.locator("#dialog-ok").click()
    remix = page.locator("li.video").first
    page.wait_for_function("() => document.querySelectorAll('li.video').length === 2")
    assert "green star" in remix.inner_text()
    wait_done(page, remix)

    # Delete with confirmation: cancelling keeps it, confirming removes it here and on the server.
    remix.get_by_role("button", name="Delete").click()
    page.locator("#delete-dialog button[value=cancel]").click()
    assert page.locator("li.video").count() == 2
    remix.get_by_role("button", name="Delete").click()
    page.locator("#delete-ok").click()
    page.wait_for_function("() => document.querySelectorAll('li.video').length === 1")
    assert len(studio_server.client(key).videos.list().data) == 1

    # Sign out forgets the key.
    page.get_by_role("button", name="Sign out").click()
    assert page.locator("#signin").is_visible()
    assert page.evaluate("sessionStorage.getItem('azur.key')") is None
    context.close()


def test_french_interface_and_plan_errors_shown_next_to_the_form(browser, studio_server):
    key = studio_server.add_user("utilisatrice", plan="free")
    context, page = open_studio(browser, studio_server, key, locale="fr-FR")
    assert page.get_by_role("button", name="Générer").is_visible()
    assert page.locator("html").get_attribute("lang") == "fr"
    assert "Forfait: Free" in page.locator("#plan").inner_text()
    page.get_by_role("textbox", name="Description").fill("une étoile verte qui monte sur un fond noir")
    page.get_by_label("Durée (secondes)").fill("12")  # Free allows 5 s
    page.get_by_role("button", name="Générer").click()
    error = page.locator("#compose-error")
    error.wait_for(state="visible")
    assert "Free allows up to 5 s" in error.inner_text()
    # The language switch changes the labels at once.
    page.locator("#lang").select_option("en")
    assert page.get_by_role("button", name="Generate").is_visible()
    context.close()


def test_wrong_key_is_refused_and_phone_width_has_no_sideways_scroll(browser, studio_server):
    context = browser.new_context(locale="en-US", viewport={"width": 375, "height": 740})
    page = context.new_page()
    page.goto(studio_server.url + "/")
    page.locator("#api-key").fill("sk-azur-not-a-real-key")
    page.locator("#signin-form button[type=submit]").click()
    page.locator("#signin-error").wait_for(state="visible")
    assert "not accepted" in page.locator("#signin-error").inner_text()
    key = studio_server.add_user("phone-user", plan="plus")
    page.locator("#api-key").fill(key)
    page.locator("#signin-form button[type=submit]").click()
    page.locator("#workspace").wait_for(state="visible")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    # Everything in the composer can be reached with the keyboard and has a label.
    for control in ("prompt", "seconds", "size", "style", "seed", "image"):
        assert page.locator(f"label[for={control}]").count() == 1
    context.close()


def test_a_field_filled_while_the_library_loads_keeps_its_focus_and_value(browser, studio_server):
    """The library comes last after sign-in; a person already typing a duration must not have the focus moved
    to the prompt under their fingers (what they type next would land there)."""
    key = studio_server.add_user("early-typist", plan="plus")
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    held = []
    page.route("**/v1/videos?limit=12*", lambda route: held.append(route))  # the library's first page waits
    page.goto(studio_server.url + "/")
    page.locator("#api-key").fill(key)
    page.locator("#signin-form button[type=submit]").click()
    while not held:  # the library is asked for last: the plan, models and characters are in
        page.wait_for_timeout(50)
    page.get_by_label("Duration (seconds)").fill("3")
    held[0].continue_()
    page.locator("#workspace[data-ready=true]").wait_for(state="attached")
    page.keyboard.type("0")  # the next key goes where the person is typing
    assert page.evaluate("document.activeElement.id") == "seconds"
    assert page.get_by_label("Duration (seconds)").input_value() == "30"
    assert page.get_by_role("textbox", name="Prompt").input_value() == ""
    context.close()


def watch_for_violations(context, server) -> tuple[list[str], list[str]]:
    """Lists that fill with the page's Content-Security-Policy violations and its requests to any other
    origin than the server's (a CDN, a font service)."""
    violations: list[str] = []
    foreign: list[str] = []
    context.on("console", lambda message: violations.append(message.text)
               if "Content Security Policy" in message.text else None)
    context.on("request", lambda request: foreign.append(request.url)
               if not request.url.startswith((server.url, "blob:", "data:")) else None)
    context.expose_function("reportViolation", lambda text: violations.append(text))
    context.add_init_script("document.addEventListener('securitypolicyviolation', "
                            "e => window.reportViolation(`${e.violatedDirective} ${e.blockedURI}`))")
    return violations, foreign


def test_studio_and_api_docs_work_under_their_content_security_policy(browser, studio_server):
    key = studio_server.add_user("csp-user", plan="plus")
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    violations, foreign = watch_for_violations(context, studio_server)
    page = context.new_page()
    response = page.goto(studio_server.url + "/")
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    page.locator("#api-key").fill(key)
    page.locator("#signin-form button[type=submit]").click()
    page.locator("#workspace[data-ready=true]").wait_for(state="attached")
    # Generate, then play: the thumbnail and the video arrive as blob: URLs, which the policy allows.
    page.get_by_role("textbox", name="Prompt").fill("a red ball moving right on a blue background")
    page.get_by_label("Duration (seconds)").fill("1")
    page.locator("#size").select_option("854x480")
    page.get_by_role("button", name="Generate").click()
    card = page.locator("li.video").first
    card.wait_for()
    wait_done(page, card)
    page.locator("li.video img").first.wait_for()
    card.get_by_role("button", name="Play").click()
    page.wait_for_function("(v) => v.readyState >= 2", arg=card.locator("video").element_handle(), timeout=30_000)

    # Swagger UI: its own bundle, started by its one inline script (allowed by hash), lists the operations.
    page.goto(studio_server.url + "/docs")
    page.locator(".opblock-summary-path").first.wait_for(timeout=30_000)
    assert page.locator(".opblock-summary-path", has_text="/v1/videos").count() >= 1
    page.locator(".opblock-summary-path", has_text="/v1/usage").first.click()  # opens; the UI is alive
    page.get_by_role("button", name="Try it out").first.wait_for(timeout=10_000)
    assert violations == [], violations
    assert foreign == [], foreign
    context.close()


def test_the_plan_meter_stays_hidden_until_sign_in(browser, studio_server):
    """The `hidden` attribute must win over the stylesheet's `display: flex` of the plan meter."""
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(studio_server.url + "/")
    page.locator("#api-key").wait_for()
    assert page.locator("#plan").evaluate("p => getComputedStyle(p).display") == "none"
    assert not page.locator("#plan").is_visible() and not page.locator("#plan-meter").is_visible()
    context.close()


def test_an_empty_prompt_is_explained_and_size_labels_fit_their_menu(browser, studio_server):
    key = studio_server.add_user("label-user", plan="pro")
    for width, locale in ((1280, "en-GB"), (375, "fr-FR"), (900, "en-GB"), (700, "fr-FR"), (1100, "fr-FR")):
        context, page = open_studio(browser, studio_server, key, locale=locale, width=width)
        page.locator("#generate").click()
        error = page.locator("#compose-error")
        error.wait_for(state="visible")
        expected = "Describe the video first" if locale == "en-GB" else "Décrivez d'abord la vidéo"
        assert error.inner_text().startswith(expected) and "?" not in error.inner_text()
        # Every option's label, in the select's own font, fits the select's text box (its width less its
        # padding and the arrow); measured in the page, so it is what Chromium draws.
        overflowing = page.locator("#size").evaluate("""s => {
            const style = getComputedStyle(s);
            const ctx = document.createElement('canvas').getContext('2d');
            ctx.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
            const room = s.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight) - 20;
            return [...s.options].map(o => [o.text, ctx.measureText(o.text).width, room])
                                 .filter(([, w, r]) => w > r);
        }""")
        assert overflowing == [], (width, overflowing)
        assert page.locator("#size option").count() == 11
        context.close()


@pytest.fixture(scope="module")
def hooks_server(tmp_path_factory, receiver):
    env = {"AZUR_OUTBOUND__ALLOWED_NETWORKS": '["127.0.0.0/8"]', "AZUR_OUTBOUND__ALLOWED_PORTS": f"[{receiver.port}]",
           "AZUR_WEBHOOKS__POLL_SECONDS": "0.1"}
    srv = AzurServer(tmp_path_factory.mktemp("studio-hooks-home"), env=env).start()
    yield srv
    srv.stop()


def test_webhooks_page_adds_an_endpoint_sends_a_test_and_shows_deliveries(browser, hooks_server, receiver):
    import openai

    key = hooks_server.add_user("hooks-user", plan="plus")
    context, page = open_studio(browser, hooks_server, key)
    page.get_by_role("button", name="Webhooks").click()
    page.locator("#webhooks-page").wait_for(state="visible")
    assert not page.locator("#videos-page").is_visible()
    page.locator("#webhooks-empty").wait_for(state="visible")

    page.get_by_label("Address (URL)").fill(receiver.url)
    page.get_by_role("button", name="Add endpoint").click()
    secret = page.locator("#webhook-secret-value")
    secret.wait_for(state="visible")
    signing_secret = secret.inner_text().strip()
    assert signing_secret.startswith("whsec_")
    endpoint = page.locator("li.endpoint").first
    endpoint.wait_for()
    assert receiver.url in endpoint.inner_text() and "Video done, Video failed" in endpoint.inner_text()
    assert signing_secret not in endpoint.inner_text()  # only the hint is shown again

    before = len(receiver.received)
    endpoint.get_by_role("button", name="Send a test").click()
    page.locator("li.endpoint .result").wait_for()
    assert "answered HTTP 200" in page.locator("li.endpoint .result").inner_text()
    request = receiver.wait_for(before + 1)[before]
    event = openai.OpenAI(api_key="unused", webhook_secret=signing_secret).webhooks.unwrap(request.body, request.headers)
    assert event.type == "video.completed"

    page.locator("li.endpoint").first.get_by_role("button", name="Deliveries").click()
    row = page.locator("table.deliveries tbody tr").first
    row.wait_for()
    assert row.get_attribute("data-status") == "delivered" and "Video done" in row.inner_text()
    if os.environ.get("AZUR_STUDIO_SCREENSHOT"):
        page.screenshot(path=os.environ["AZUR_STUDIO_SCREENSHOT"], full_page=True)

    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("li.endpoint").first.get_by_role("button", name="Delete").click()
    page.locator("#webhooks-empty").wait_for(state="visible")
    assert hooks_server.client(key).webhooks.list().data == []
    page.get_by_role("button", name="Videos").click()
    assert page.locator("#compose").is_visible()
    context.close()
