"""A proposed storyboard from a paragraph or a short script (English or French).

Deterministic rules, so the same text always gives the same draft:

1. **Scenes.** A script's scene headings (``INT. KITCHEN - NIGHT``, ``EXT.``, ``SCENE 2``, ``SCÈNE 3``) start a
   scene; in plain prose a blank line does.
2. **Beats.** Each sentence of action, and each line of dialogue (``NAME: text``), is a beat: one shot.
3. **Lengths from the text.** Action reads at about 3 words a second, dialogue is spoken at about 2.5; a
   shot lasts between 2 and 8 seconds, in whole seconds.
4. **Establishing and cutaway shots.** Each scene opens on a wide establishing shot of its place (from the
   heading, else from the first "in the ..." / "dans la ..." phrase); where the scene then changes, a short
   cutaway (a close-up of the last thing named) bridges the two, and the new scene comes in with a crossfade.
   A beat that goes on from the one before ("then", "still", "puis", "toujours") continues its last frame.

An operator may instead point :func:`draft_storyboard` at an OpenAI-compatible chat model
(``[storyboard.chat]``); its answer is checked like any storyboard, and the rules take over if it fails.
The draft is only a proposal: its shots are checked by :mod:`azur.storyboard.shots` when a video is made.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from azur.config import StoryboardChatSettings

WORDS_PER_SECOND = {"action": 3.0, "dialogue": 2.5}
MIN_SHOT_SECONDS, MAX_SHOT_SECONDS = 2, 8
ESTABLISHING_SECONDS, CUTAWAY_SECONDS = 3, 2

_HEADING = re.compile(r"^\s*(?:(INT|EXT|INT\./EXT|I/E)\.?\s+(?P<place>.+)|(?:SCENE|SCÈNE)\s+\d+\s*[:.-]?\s*(?P<title>.*))$",
                      re.IGNORECASE)
_DIALOGUE = re.compile(r"^\s*(?P<name>[A-ZÀ-Ý][A-ZÀ-Ý' -]{1,30})\s*:\s*(?P<line>.+)$")
_SENTENCE = re.compile(r"(?<=[.!?…])\s+")
_WORD = re.compile(r"[\wÀ-ÿ'’-]+")
_FRENCH = {"le", "la", "les", "un", "une", "des", "et", "est", "dans", "sur", "avec", "puis", "il", "elle", "du",
           "au", "aux", "qui", "pas", "nuit", "jour", "se", "sa", "son", "ses"}
_ENGLISH = {"the", "a", "an", "and", "is", "in", "on", "with", "then", "he", "she", "of", "to", "at", "it",
            "his", "her", "night", "day", "into"}
_CONTINUES = {"en": ("then ", "still ", "keeps ", "continues ", "meanwhile "),
              "fr": ("puis ", "toujours ", "continue ", "ensuite ", "pendant ce temps ")}
_PLACE = {"en": re.compile(r"\b(?:in|at|on|inside|outside|near)\s+(?P<place>(?:the|a|an)\s+[\wÀ-ÿ' -]+?)(?=[,.;!?]|$| where| as| while| with| and)",
                           re.IGNORECASE),
          "fr": re.compile(r"\b(?:dans|sur|à|au|devant|près de)\s+(?P<place>(?:le|la|les|l'|un|une)\s*[\wÀ-ÿ' -]+?)(?=[,.;!?]|$| où| pendant| tandis| avec| et)",
                           re.IGNORECASE)}
_THING = {"en": re.compile(r"\b(?P<thing>(?:the|a|an|his|her|their)\s+[\wÀ-ÿ'-]+(?:\s+[\wÀ-ÿ'-]+)?)", re.IGNORECASE),
          "fr": re.compile(r"\b(?P<thing>(?:le|la|les|un|une|des|son|sa|ses|l')\s*[\wÀ-ÿ'-]+(?:\s+[\wÀ-ÿ'-]+)?)",
                           re.IGNORECASE)}
_WORDS = {
    "en": {"establishing": "Wide establishing shot: {place}", "cutaway": "Cutaway: close-up of {thing}",
           "says": "{name} says: {line}", "day": "by day", "night": "at night", "the": "the "},
    "fr": {"establishing": "Plan d'ensemble : {place}", "cutaway": "Plan de coupe : gros plan sur {thing}",
           "says": "{name} dit : {line}", "day": "de jour", "night": "de nuit", "the": ""},
}
_TIMES = {"DAY": "day", "JOUR": "day", "NIGHT": "night", "NUIT": "night"}


@dataclass
class Draft:
    """A proposed storyboard: shots as the API takes them, the script's language, where it came from
    ("rules" or "chat"), and notes for the user (e.g. that it is longer than the server allows)."""

    shots: list[dict[str, Any]]
    language: str
    source: str = "rules"
    notes: list[str] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return float(sum(s["seconds"] for s in self.shots))

    def as_json(self) -> dict[str, Any]:
        return {"object": "storyboard.draft", "storyboard": self.shots, "seconds": self.seconds,
                "language": self.language, "source": self.source, "notes": self.notes}


class DraftError(ValueError):
    """The script cannot be drafted (empty, too long)."""


def detect_language(text: str) -> str:
    """"fr" or "en", by counting each language's commonest words (ties go to English)."""
    words = [w.lower() for w in _WORD.findall(text)]
    french = sum(w in _FRENCH for w in words) + sum(ch in "éèêàçù" for ch in text.lower()) * 0.5
    english = sum(w in _ENGLISH for w in words)
    return "fr" if french > english else "en"


def draft_storyboard(script: str, *, language: str | None = None, max_chars: int = 8000,
                     max_shots: int = 12, max_seconds: int = 20, chat: StoryboardChatSettings | None = None) -> Draft:
    """Propose a storyboard for ``script``. ``language``: "en" or "fr" (None: detected). ``chat``: an
    operator's chat model to ask first (None or unset: the rules only). Raises :class:`DraftError`."""
    text = script.strip() if isinstance(script, str) else ""
    if not text:
        raise DraftError("The script is empty: write a paragraph or a few scenes.")
    if len(text) > max_chars:
        raise DraftError(f"The script has {len(text)} characters; at most {max_chars}.")
    language = language or detect_language(text)
    if language not in _WORDS:
        raise DraftError(f"Unknown language {language!r}: en or fr.")
    draft = None
    if chat is not None and chat.url and chat.model:
        from azur.storyboard.chat import ask_chat_model

        draft, problem = ask_chat_model(chat, text, language, max_shots=max_shots, max_seconds=max_seconds)
        if draft is None:
            draft = _by_rules(text, language)
            draft.notes.append(f"The chat model's draft was not usable ({problem}); these shots follow Azur's rules.")
    draft = draft or _by_rules(text, language)
    if len(draft.shots) > max_shots:
        draft.notes.append(f"The script gave {len(draft.shots)} shots; a storyboard holds at most {max_shots}: "
                           f"the first {max_shots} are kept.")
        draft.shots = draft.shots[:max_shots]
    if draft.seconds > max_seconds:
        draft.notes.append(f"The draft lasts {draft.seconds:g} s; this server makes at most {max_seconds} s: "
                           "shorten or remove shots before making it.")
    return draft


def _by_rules(text: str, language: str) -> Draft:
    words = _WORDS[language]
    scenes = _scenes(text)
    shots: list[dict[str, Any]] = []
    for number, (heading, beats) in enumerate(scenes):
        if number > 0 and shots:  # the scene changes: a cutaway bridges, the new place fades in
            thing = _last_thing(scenes[number - 1][1], language)
            if thing:
                shots.append(_shot(words["cutaway"].format(thing=thing), CUTAWAY_SECONDS, "cut"))
        place = _place_of(heading, beats, language)
        if place:
            shots.append(_shot(words["establishing"].format(place=place), ESTABLISHING_SECONDS,
                               "crossfade" if shots else "cut"))
        previous_beat = False
        for beat in beats:
            spoken = _DIALOGUE.match(beat)
            if spoken:
                prompt = words["says"].format(name=spoken["name"].strip().title(), line=spoken["line"].strip())
                seconds = _seconds_for(spoken["line"], "dialogue")
            else:
                prompt, seconds = beat, _seconds_for(beat, "action")
            goes_on = previous_beat and beat.lower().startswith(_CONTINUES[language])
            shots.append(_shot(prompt, seconds, "continue" if goes_on else "cut"))
            previous_beat = True
    return Draft(shots=shots, language=language)


def _shot(prompt: str, seconds: int, transition: str) -> dict[str, Any]:
    return {"prompt": prompt, "seconds": seconds, "transition": transition}


def _seconds_for(text: str, kind: str) -> int:
    count = len(_WORD.findall(text))
    return int(min(MAX_SHOT_SECONDS, max(MIN_SHOT_SECONDS, round(count / WORDS_PER_SECOND[kind]))))


def _scenes(text: str) -> list[tuple[str | None, list[str]]]:
    """(heading, beats) for each scene: a script's headings start scenes, else blank lines do."""
    lines = text.splitlines()
    if not any(_HEADING.match(line) for line in lines):
        return [(None, beats) for block in re.split(r"\n\s*\n", text) if (beats := _beats(block.splitlines()))]
    scenes: list[tuple[str | None, list[str]]] = []
    heading: str | None = None
    paragraph: list[str] = []
    for line in lines:
        match = _HEADING.match(line)
        if match:
            if heading is not None or paragraph:
                scenes.append((heading, _beats(paragraph)))
            heading, paragraph = (match["place"] or match["title"] or "").strip() or None, []
        elif line.strip():
            paragraph.append(line)
    scenes.append((heading, _beats(paragraph)))
    return [scene for scene in scenes if scene[0] or scene[1]]


def _beats(lines: list[str]) -> list[str]:
    beats: list[str] = []
    prose: list[str] = []
    for line in lines:
        if _DIALOGUE.match(line):
            beats.extend(_sentences(" ".join(prose)))
            prose.clear()
            beats.append(line.strip())
        else:
            prose.append(line.strip())
    beats.extend(_sentences(" ".join(prose)))
    return beats


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(text) if _WORD.search(s)]


def _place_of(heading: str | None, beats: list[str], language: str) -> str | None:
    if heading:
        place, _, time = heading.partition(" - ")
        when = _TIMES.get(time.strip().upper())
        place = _WORDS[language]["the"] + place.strip().rstrip(".").lower()
        return f"{place} {_WORDS[language][when]}" if when else place
    for beat in beats[:1]:
        found = _PLACE[language].search(beat)
        if found:
            return found["place"].strip()
    return None


def _last_thing(beats: list[str], language: str) -> str | None:
    """The last thing an action beat of the scene names: a determiner and its word, or its two words when
    they end the sentence ("the great lamp."), where an adjective is likely."""
    for beat in reversed(beats):
        if _DIALOGUE.match(beat):
            continue
        things = list(_THING[language].finditer(beat))
        if things:
            last = things[-1]
            words = last["thing"].split()
            ends = not _WORD.search(beat[last.end():])
            return " ".join(words if ends else words[:2])
    return None


def parse_chat_answer(content: str) -> list[dict[str, Any]]:
    """The shots in a chat model's answer: a JSON list (or {"storyboard": [...]}), code fences allowed."""
    text = content.strip()
    fenced = re.search(r"```(?:json)?\s*(.*?)```", text, re.DOTALL)
    if fenced:
        text = fenced.group(1)
    data = json.loads(text)
    if isinstance(data, dict):
        data = data.get("storyboard") or data.get("shots")
    if not isinstance(data, list):
        raise ValueError("the answer is not a list of shots")
    return data
