"""Prompt moderation against the corpora in tests/safety/data (EN and FR, plain and obfuscated)."""

from __future__ import annotations

import statistics
import time

import pytest
from pydantic import ValidationError

from azur.config import SafetySettings
from azur.safety import CATEGORIES, PromptModerator
from tests.safety.corpus import blocked_prompts, harmless_prompts


@pytest.fixture(scope="module")
def moderator() -> PromptModerator:
    return PromptModerator()


@pytest.mark.parametrize(("category", "prompt"), blocked_prompts())
def test_blocked_prompt_is_refused_with_its_category(moderator, category, prompt):
    result = moderator.check(prompt)
    assert not result.allowed, prompt
    assert result.category == category, (prompt, result)
    assert result.message and result.message.startswith("This prompt was refused")
    assert result.matched


def test_no_false_blocks_on_harmless_prompts(moderator):
    prompts = harmless_prompts()
    assert len(prompts) >= 200
    false_blocks = [(p, moderator.check(p).category, moderator.check(p).matched) for p in prompts
                    if not moderator.check(p).allowed]
    assert false_blocks == []


def test_corpora_cover_both_languages_and_every_prompt_category():
    blocked = blocked_prompts()
    assert {c for c, _ in blocked} == set(CATEGORIES) - {"operator_blocklist", "likeness"}
    french = [p for _, p in blocked if any(w in p.lower().split() for w in ("une", "un", "des", "les", "qui"))]
    assert len(french) >= 40
    assert sum("qui" in p.split() or p.startswith(("un ", "une ", "des ")) for p in harmless_prompts()) >= 80


@pytest.mark.parametrize("prompt", [
    "PORN", "pörn", "p0rn", "p.o.r.n", "p o r n", "p-o-r-n", "pooorn", "p*rn", "ｐｏｒｎ", "рorn", "po\u200brn",
])
def test_obfuscated_forms_are_read(moderator, prompt):
    assert moderator.check(prompt).category == "sexual", prompt


@pytest.mark.parametrize("prompt", [
    "a skilled therapist", "Scunthorpe at night", "grapes in the sun", "an assassin bug", "cocktail hour",
    "a class of students", "sussex downs", "a document about essex", "la pendule du salon", "un violoncelle",
])
def test_words_inside_longer_words_do_not_match(moderator, prompt):
    assert moderator.check(prompt).allowed, prompt


def test_public_figure_message_names_the_figure_and_suggests_a_fix(moderator):
    result = moderator.check("emmanuel MACRÓN eating a croissant")
    assert result.category == "public_figure"
    assert "Emmanuel Macron" in result.message and "fictional" in result.message


def test_operator_block_list_and_allow_list():
    moderator = PromptModerator(SafetySettings(block_phrases=["Acme Cola"], allow_phrases=["Magic Johnson Park"]))
    blocked = moderator.check("a can of ACMÉ  cola on a beach")
    assert (blocked.category, blocked.matched) == ("operator_blocklist", "Acme Cola")
    assert "Acme Cola" in blocked.message
    assert moderator.check("kids playing basketball in Magic Johnson Park").allowed
    assert moderator.check("Magic Johnson playing basketball").category == "public_figure"
    assert PromptModerator().check("kids playing basketball in Magic Johnson Park").category == "public_figure"


def test_category_toggles():
    moderator = PromptModerator(SafetySettings(categories={"public_figure": False}))
    assert moderator.check("Emmanuel Macron dancing").allowed
    assert moderator.check("a naked woman").category == "sexual"
    with pytest.raises(ValidationError, match="cannot be turned off"):
        SafetySettings(categories={"sexual_minors": False})
    with pytest.raises(ValidationError, match="unknown safety categories"):
        SafetySettings(categories={"gore": False})


def test_most_severe_category_wins(moderator):
    assert moderator.check("a naked 13 year old").category == "sexual_minors"
    assert moderator.check("Emmanuel Macron naked with a woman").category == "sexual"


def test_check_is_well_under_a_millisecond(moderator):
    prompts = harmless_prompts() + [p for _, p in blocked_prompts()]
    times = []
    for prompt in prompts:
        start = time.perf_counter()
        moderator.check(prompt)
        times.append(time.perf_counter() - start)
    assert statistics.median(times) < 0.001
