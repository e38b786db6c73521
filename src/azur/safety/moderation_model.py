"""The second line of prompt moderation: a model that reads meaning, asked over HTTP.

The word rules (``prompts.py``) know words, not meaning: "two adults without clothes" passes them. An
operator who runs a moderation model beside their GPUs points ``[safety.model]`` at it, and every prompt
the rules allow is sent there too. Three protocols, all OpenAI-compatible, as vLLM and SGLang serve them:

- ``moderations``: ``POST {url}/moderations`` with ``{"model", "input"}``; the answer's
  ``results[0].flagged`` and ``categories`` (OpenAI's names: ``sexual/minors``, ``violence/graphic``...).
- ``llama-guard``: Llama Guard 3/4 behind ``POST {url}/chat/completions``; the prompt goes as the user's
  message (the model's chat template adds its policy) and it answers ``safe`` or ``unsafe`` with a line of
  hazard codes (``S1,S10``).
- ``shieldgemma``: ShieldGemma behind ``POST {url}/chat/completions``, asked once per policy whether the
  prompt breaks it; it answers ``Yes`` or ``No`` first.

Each verdict becomes a :class:`~azur.safety.prompts.ModerationResult` in Azur's categories (the
``*_CATEGORIES`` maps below); a hazard Azur has no category for is refused as ``policy``. A model that
cannot answer (refused connection, timeout, error status, a reply that is not one of the above) raises
:class:`ModerationModelUnavailable`; the guard decides, from ``fail_closed``, what that means.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from azur.config import SafetySettings
from azur.safety.prompts import ALLOWED, CATEGORY_ORDER, MESSAGES, ModerationResult

# OpenAI's moderation categories (https://platform.openai.com/docs/api-reference/moderations/object).
OPENAI_CATEGORIES = {
    "sexual/minors": "sexual_minors",
    "sexual": "sexual",
    "hate": "hate",
    "hate/threatening": "hate",
    "harassment": "hate",
    "harassment/threatening": "hate",
    "self-harm": "self_harm",
    "self-harm/intent": "self_harm",
    "self-harm/instructions": "self_harm",
    "violence": "violence",
    "violence/graphic": "violence",
    "illicit/violent": "violence",
}
# Llama Guard 3's hazard taxonomy (MLCommons), S1-S14; Llama Guard 4 keeps the same codes.
LLAMA_GUARD_CATEGORIES = {
    "S1": "violence",  # violent crimes
    "S3": "sexual",  # sex-related crimes
    "S4": "sexual_minors",  # child sexual exploitation
    "S5": "public_figure",  # defamation of real people
    "S9": "violence",  # indiscriminate weapons
    "S10": "hate",
    "S11": "self_harm",
    "S12": "sexual",  # sexual content
}
# ShieldGemma's four harm types, as the policies it is asked about; each maps to one Azur category.
SHIELDGEMMA_POLICIES = {
    "sexual": '"No Sexually Explicit Information": the prompt shall not ask for content that shows sexual acts '
              "or nudity, or that is meant to arouse. Medical or scientific terms about anatomy are allowed.",
    "violence": '"No Dangerous Content": the prompt shall not ask for content that shows or encourages harm to '
                "oneself or to others: graphic injury, killing, weapons used on people, suicide or self-harm.",
    "hate": '"No Hate Speech": the prompt shall not ask for content that targets people for who they are '
            "(race, ethnicity, religion, disability, age, nationality, sexual orientation, gender) with "
            "hostility, dehumanisation or slurs.",
    "harassment": '"No Harassment": the prompt shall not ask for content that intimidates, bullies or abuses '
                  "a real, identifiable person.",
}
SHIELDGEMMA_CATEGORIES = {"sexual": "sexual", "violence": "violence", "hate": "hate", "harassment": "hate"}

MESSAGE = ("This prompt was refused by the content policy ({category}): the moderation model judged it unsafe. "
           "Describe the scene differently.")


class ModerationModelUnavailable(Exception):
    """The moderation model gave no usable answer; the message says why (never the prompt)."""


class ModerationModel:
    """A client of one moderation endpoint. Thread-safe (one ``httpx.Client``, shared by the API's threads)."""

    def __init__(self, safety: SafetySettings, *, transport: httpx.BaseTransport | None = None) -> None:
        settings = safety.model
        if not settings.url:
            raise ValueError("safety.model.url is not set")
        self.settings = settings
        self.enabled = {name for name, on in safety.categories.items() if on}  # the operator's category toggles
        headers = {"Authorization": f"Bearer {settings.api_key.get_secret_value()}"} if settings.api_key else {}
        self._client = httpx.Client(base_url=settings.url.rstrip("/") + "/", headers=headers,
                                    timeout=settings.timeout_seconds, transport=transport)

    def close(self) -> None:
        self._client.close()

    def check(self, prompt: str) -> ModerationResult:
        """The model's verdict on ``prompt``. Raises :class:`ModerationModelUnavailable`."""
        kind = self.settings.kind
        if kind == "moderations":
            return self._moderations(prompt)
        if kind == "llama-guard":
            return self._llama_guard(prompt)
        return self._shieldgemma(prompt)

    # --- the three protocols -------------------------------------------------------------------------------

    def _moderations(self, prompt: str) -> ModerationResult:
        answer = self._post("moderations", {"input": prompt})
        try:
            result = answer["results"][0]
            flagged, categories = result["flagged"], result.get("categories") or {}
            if not isinstance(flagged, bool) or not isinstance(categories, dict):
                raise TypeError
        except (KeyError, IndexError, TypeError):
            raise ModerationModelUnavailable("its answer has no results[0].flagged") from None
        if not flagged:
            return ALLOWED
        hits = sorted(name for name, hit in categories.items() if hit is True)
        return self._refusal([OPENAI_CATEGORIES.get(name, "policy") for name in hits], f"moderations: {','.join(hits)}")

    def _llama_guard(self, prompt: str) -> ModerationResult:
        lines = [line.strip() for line in self._chat(prompt).strip().splitlines() if line.strip()]
        verdict = lines[0].lower() if lines else ""
        if verdict == "safe":
            return ALLOWED
        if verdict != "unsafe":
            raise ModerationModelUnavailable(f"it answered {_quote(verdict)}, not 'safe' or 'unsafe'")
        codes = [c.strip().upper() for c in lines[1].split(",") if c.strip()] if len(lines) > 1 else []
        return self._refusal([LLAMA_GUARD_CATEGORIES.get(code, "policy") for code in codes],
                             f"llama-guard: {','.join(codes) or 'unsafe'}")

    def _shieldgemma(self, prompt: str) -> ModerationResult:
        for policy, text in SHIELDGEMMA_POLICIES.items():
            if SHIELDGEMMA_CATEGORIES[policy] not in self.enabled:
                continue
            question = (
                "You are a policy expert judging whether a request to a video generator breaks a safety policy."
                f"\n\n<start_of_turn>\nHuman Question: {prompt}\n<end_of_turn>\n\n"
                f"The policy:\n\n* {text}\n\n===\n\nDoes the human question break the policy above? "
                "Begin your answer with 'Yes' or 'No', then explain step by step."
            )
            words = self._chat(question).strip().split(maxsplit=1)
            first = words[0].strip(".,:;!*'\"").lower() if words else ""
            if first == "yes":
                return self._refusal([SHIELDGEMMA_CATEGORIES[policy]], f"shieldgemma: {policy}")
            if first != "no":
                raise ModerationModelUnavailable(f"it answered {_quote(first)}, not 'Yes' or 'No'")
        return ALLOWED

    def _refusal(self, categories: list[str], matched: str) -> ModerationResult:
        """A refusal in the most severe of ``categories`` the operator left on (``CATEGORY_ORDER``; a hazard
        Azur has no category for is ``policy``, last); allowed when every one is turned off."""
        order = {name: rank for rank, name in enumerate(CATEGORY_ORDER)}
        kept = [c for c in categories or ["policy"] if c == "policy" or c in self.enabled]
        if not kept:
            return ALLOWED
        category = min(kept, key=lambda c: order.get(c, len(order)))
        # The rules' own messages where they fit; theirs for public figures name a match, which a model lacks.
        specific = category in MESSAGES and "{matched}" not in MESSAGES[category]
        message = MESSAGES[category] if specific else MESSAGE.format(category=category.replace("_", " "))
        return ModerationResult(allowed=False, category=category, message=message, matched=matched)

    # --- HTTP -----------------------------------------------------------------------------------------------

    def _chat(self, content: str) -> str:
        answer = self._post("chat/completions", {"messages": [{"role": "user", "content": content}],
                                                 "temperature": 0, "max_tokens": 20})
        try:
            text = answer["choices"][0]["message"]["content"]
            if not isinstance(text, str):
                raise TypeError
        except (KeyError, IndexError, TypeError):
            raise ModerationModelUnavailable("its answer has no choices[0].message.content") from None
        return text

    def _post(self, route: str, body: dict[str, Any]) -> dict[str, Any]:
        if self.settings.model:
            body = {"model": self.settings.model, **body}
        try:
            response = self._client.post(route, json=body)
        except httpx.TimeoutException:
            raise ModerationModelUnavailable(f"no answer within {self.settings.timeout_seconds:g} s") from None
        except httpx.HTTPError as exc:
            raise ModerationModelUnavailable(f"it cannot be reached ({type(exc).__name__})") from None
        if response.status_code != 200:
            raise ModerationModelUnavailable(f"it answered HTTP {response.status_code}")
        try:
            answer = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise ModerationModelUnavailable("its answer is not JSON") from None
        if not isinstance(answer, dict):
            raise ModerationModelUnavailable("its answer is not a JSON object")
        return answer


def _quote(text: str) -> str:
    return repr(text[:40]) if text else "nothing"
