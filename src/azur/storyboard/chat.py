"""Drafting a storyboard with an operator's OpenAI-compatible chat model (``[storyboard.chat]``).

The URL is the operator's own configuration, not a user's choice, so it is called directly (not through
:mod:`azur.outbound`, which guards URLs users pick). The answer is checked as any storyboard is; anything
unusable is reported back so that :func:`azur.storyboard.draft.draft_storyboard` falls back to its rules.
"""

from __future__ import annotations

import httpx

from azur.config import StoryboardChatSettings
from azur.engine.request import InvalidRequest
from azur.storyboard.draft import Draft, parse_chat_answer
from azur.storyboard.shots import parse_storyboard

INSTRUCTIONS = (
    "You are a film director's assistant. Turn the user's script into a storyboard: one shot per beat, a wide "
    "establishing shot where a scene starts, a short cutaway where a scene changes. Answer with JSON only: a "
    "list of shots, each {{\"prompt\": a visual description, \"seconds\": whole seconds from 2 to 8, "
    "\"transition\": \"cut\" | \"crossfade\" | \"continue\"}}. The first shot is a cut. Write the prompts in "
    "{language}. At most {max_shots} shots, {max_seconds} seconds in all."
)
LANGUAGES = {"en": "English", "fr": "French"}


def ask_chat_model(chat: StoryboardChatSettings, script: str, language: str, *, max_shots: int,
                   max_seconds: int) -> tuple[Draft | None, str]:
    """(the model's draft, "") or (None, what went wrong)."""
    system = INSTRUCTIONS.format(language=LANGUAGES[language], max_shots=max_shots, max_seconds=max_seconds)
    headers = {"Authorization": f"Bearer {chat.api_key}"} if chat.api_key else {}
    body = {"model": chat.model, "temperature": 0,
            "messages": [{"role": "system", "content": system}, {"role": "user", "content": script}]}
    try:
        answer = httpx.post(chat.url.rstrip("/") + "/chat/completions", json=body, headers=headers,  # type: ignore[union-attr]
                            timeout=chat.timeout_seconds)
        answer.raise_for_status()
        content = answer.json()["choices"][0]["message"]["content"]
        items = parse_chat_answer(content)
        # Checked as a video's storyboard would be, but against a generous length: the length note is the
        # draft's, as with the rules.
        shots = parse_storyboard(items, max_shots=max(max_shots, len(items)), max_seconds=10_000, fps=24)
    except httpx.HTTPError as exc:
        return None, f"{type(exc).__name__}: {exc}"
    except (KeyError, IndexError, TypeError, ValueError) as exc:  # InvalidRequest is a ValueError
        reason = exc.message if isinstance(exc, InvalidRequest) else str(exc) or type(exc).__name__
        return None, f"unexpected answer: {reason}"
    drafted = [{"prompt": s.prompt, "seconds": int(s.seconds) if s.seconds.is_integer() else s.seconds,
                "transition": s.transition} for s in shots]
    return Draft(shots=drafted, language=language, source="chat"), ""
