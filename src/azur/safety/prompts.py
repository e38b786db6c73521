"""Prompt moderation in English and French: a normalising word matcher with context rules, no model.

    >>> moderator = PromptModerator()
    >>> moderator.check("a red ball shooting across the sky").allowed
    True
    >>> moderator.check("k i l l the man").category
    'violence'

How a prompt is read (``_sequences``):
1. Homoglyphs (Cyrillic, Greek) become Latin letters, the text is case-folded, accents are stripped (NFKD),
   zero-width and other non-Latin characters drop out. French "râpé" (grated) is read as "grate" first, since
   without its accent it would read as an English word.
2. Inside a word that has letters, leetspeak becomes letters (0→o, 1→i or l, 3→e, 4→a, 5→s, 7→t, @→a,
   $→s, €→e, !→i); a ``*`` inside a word is tried as any letter against the lexicon ("p*rn").
3. Words are the letter runs; a run of three or more single letters ("k i l l", "k.i.l.l") is joined into one
   word; letters repeated three or more times are collapsed ("kiiiill"), and a doubled letter too when that
   gives a lexicon word ("kiill"). A second reading joins a chunk split by punctuation ("po.rn", "nu-de")
   when the joined word is a lexicon word; "l'enfant" stays two words.
Phrases are then matched on word boundaries only ("skill", "therapist", "Scunthorpe" contain nothing), after
removing the built-in harmless phrases (``lexicon.SAFE``) and the operator's allow list.

Rules, most severe first (``CATEGORY_ORDER``): any sexual term or sexualising word with a minor (a minor word
or an age under 18) is ``sexual_minors``; strong terms are refused as they are; ambiguous terms need a person
word within ``lexicon.CONTEXT_WINDOW`` words; hate needs a group word in a hostile construction or a slur;
public figures are matched by full name or a distinctive alias; the operator's block list last.

What it does not know: meaning. Paraphrases without any listed word ("grown-ups in their birthday suits") pass;
the output check on frames (``images.py``) is the second line for nudity, and an operator can add a moderation
model that reads meaning (``moderation_model.py``, ``[safety.model]``). Languages other than EN/FR are not read.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from azur.config import SafetySettings
from azur.safety import lexicon
from azur.safety.public_figures import public_figures

CATEGORY_ORDER = (
    "sexual_minors", "sexual", "hate", "violence", "self_harm", "public_figure", "operator_blocklist",
)

MESSAGES = {
    "sexual_minors": "This prompt was refused: it combines minors with sexual content or nudity, which Azur "
                     "never generates.",
    "sexual": "This prompt was refused: it asks for sexual content or nudity. Describe a scene without it.",
    "violence": "This prompt was refused: it describes graphic violence against people. Describe the scene "
                "without harm to anyone.",
    "hate": "This prompt was refused: it contains hateful language about a group of people. Rephrase it "
            "without slurs or hostility.",
    "self_harm": "This prompt was refused: it depicts suicide or self-harm. If you are struggling, please "
                 "reach out to someone you trust or a helpline (in France: 3114; in the EU: 112).",
    "public_figure": "This prompt was refused: it names a real public figure ({matched}). Describe a fictional "
                     "character instead.",
    "operator_blocklist": "This prompt was refused: it contains a phrase this service does not allow "
                          "(\"{matched}\"). Remove it and try again.",
}


@dataclass(frozen=True)
class ModerationResult:
    """The verdict on one prompt or image.

    allowed: True when nothing was found. category: one of the stable category strings (``CATEGORY_ORDER``
    and ``"likeness"``) when refused. message: plain language for the user. matched: the term that triggered
    the refusal, for the audit log only (never shown: it may be a slur).
    """

    allowed: bool
    category: str | None = None
    message: str | None = None
    matched: str | None = None


ALLOWED = ModerationResult(allowed=True)

# --- Normalisation ---------------------------------------------------------------------------------------

_HOMOGLYPHS = str.maketrans({
    # Cyrillic look-alikes
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p", "с": "c",
    "т": "t", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ї": "i", "ј": "j", "һ": "h", "ԁ": "d", "ո": "n",
    "А": "a", "В": "b", "Е": "e", "К": "k", "М": "m", "Н": "h", "О": "o", "Р": "p", "С": "c", "Т": "t",
    "У": "y", "Х": "x", "І": "i", "Ѕ": "s", "Ј": "j",
    # Greek look-alikes
    "α": "a", "β": "b", "ε": "e", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t", "υ": "u",
    "χ": "x", "Α": "a", "Β": "b", "Ε": "e", "Ι": "i", "Κ": "k", "Μ": "m", "Ν": "n", "Ο": "o", "Ρ": "p",
    "Τ": "t", "Χ": "x", "Υ": "y", "Ζ": "z", "Η": "h",
    # letters NFKD does not decompose
    "ß": "ss", "œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ø": "o", "Ø": "o", "ł": "l", "Ł": "l", "đ": "d",
    "ð": "d", "þ": "th", "ı": "i",
    # symbols that stand for letters, before the ASCII filter drops them
    "€": "e", "£": "l", "¢": "c", "¥": "y",
})
_LEET_I = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "9": "g",
                         "@": "a", "$": "s", "!": "i", "|": "l", "+": "t"})
_LEET_L = str.maketrans({"0": "o", "1": "l", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "9": "g",
                         "@": "a", "$": "s", "!": "i", "|": "l", "+": "t"})
_GRATE = re.compile(r"\br[âÂ]p(?:e|é|ée|és|ées|er|ent|es|ait|aient|ons|ez)\b")  # French "grate", not "rape"
_OUTER_PUNCT = ".,;:!?\"'()[]{}<>«»…“”‘’-_/"
_WORD = re.compile(r"[a-z]+|[0-9]+")
_LETTER = re.compile(r"[a-z]")
_TRIPLE = re.compile(r"(.)\1\1")
_REPEAT = re.compile(r"(.)\1+")
_AGE = re.compile(r"\b(\d{1,2})\s*-?\s*(?:years?|yrs?|y\.?o\b|ans?\b)")


def _fold(text: str) -> str:
    """Homoglyphs mapped, case-folded, accents stripped; what is left outside ASCII becomes a space."""
    text = _GRATE.sub("grate", text.translate(_HOMOGLYPHS).casefold())
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.replace("\u2019", "'")
    return "".join(c if c.isascii() else ("" if unicodedata.category(c) == "Cf" else " ") for c in text)


def _collapse(word: str) -> str:
    return _REPEAT.sub(r"\1", word)


def _join_single_letters(words: list[str]) -> list[str]:
    """Joins runs of three or more one-letter words ("k i l l" → "kill")."""
    out: list[str] = []
    run: list[str] = []
    for word in [*words, ""]:
        if len(word) == 1 and word.isalpha():
            run.append(word)
            continue
        out.extend(["".join(run)] if len(run) >= 3 else run)
        run = []
        if word:
            out.append(word)
    return out


def _pattern_words(phrase: str) -> tuple[str, ...]:
    """A lexicon or operator phrase as words; a trailing ``*`` marks the last word as a prefix."""
    star = phrase.strip().endswith("*")
    words = _join_single_letters(_WORD.findall(_fold(phrase.strip().rstrip("*"))))
    if star and words:
        words[-1] += "*"
    return tuple(words)


# --- Phrase index ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Entry:
    words: tuple[str, ...]
    kind: str  # strong | person | figure | block | safe | person_word | minor_word | sexualising | ...
    category: str | None
    label: str  # what is reported as `matched`


class _PhraseIndex:
    """Finds phrases on word boundaries; a word ending in ``*`` matches by prefix (at least 3 letters)."""

    def __init__(self) -> None:
        self._exact: dict[str, list[_Entry]] = {}
        self._prefix: dict[str, list[_Entry]] = {}

    def add(self, entry: _Entry) -> None:
        first = entry.words[0]
        if first.endswith("*"):
            if len(first) < 4:
                raise ValueError(f"prefix {first!r} is shorter than 3 letters")
            self._prefix.setdefault(first[:3], []).append(entry)
        else:
            self._exact.setdefault(first, []).append(entry)

    def has_prefix_of(self, word: str) -> bool:
        return any(_word_matches(e.words[0], word) for e in self._prefix.get(word[:3], ()))

    def find(self, words: list[str]) -> list[tuple[int, int, _Entry]]:
        found = []
        for i, word in enumerate(words):
            if not word:
                continue
            for entry in (*self._exact.get(word, ()), *self._prefix.get(word[:3], ())):
                n = len(entry.words)
                if i + n <= len(words) and all(
                    _word_matches(p, w) for p, w in zip(entry.words, words[i:i + n], strict=True)
                ):
                    found.append((i, i + n, entry))
        return found


def _word_matches(pattern: str, word: str) -> bool:
    return word.startswith(pattern[:-1]) if pattern.endswith("*") else word == pattern


# --- The moderator ---------------------------------------------------------------------------------------

class PromptModerator:
    """Checks prompts against the built-in lexicons and the operator's lists in ``settings``.

    Builds its normalised indexes once (a few milliseconds); ``check`` then takes well under a millisecond.
    """

    def __init__(self, settings: SafetySettings | None = None) -> None:
        self.settings = settings or SafetySettings()
        self._masks = _PhraseIndex()  # harmless phrases and the operator allow list, removed first
        self._terms = _PhraseIndex()
        vocabulary: set[str] = set()

        def add(index: _PhraseIndex, phrase: str, kind: str, category: str | None, label: str | None = None):
            words = _pattern_words(phrase)
            if not words:
                return
            index.add(_Entry(words, kind, category, label or phrase))
            vocabulary.update(w for w in words if not w.endswith("*"))

        for phrase in lexicon.SAFE:
            add(self._masks, phrase, "safe", None)
        for phrase in self.settings.allow_phrases:
            add(self._masks, phrase, "allow", None)
        for category, phrases in lexicon.STRONG.items():
            for phrase in phrases:
                add(self._terms, phrase, "strong", category)
        for category, phrases in lexicon.NEEDS_PERSON.items():
            for phrase in phrases:
                add(self._terms, phrase, "person", category)
        for phrase in lexicon.SEXUALISING:
            add(self._terms, phrase, "sexualising", "sexual_minors")
        for name, aliases in public_figures():
            for alias in aliases:
                add(self._terms, alias, "figure", "public_figure", name)
        for phrase in self.settings.block_phrases:
            add(self._terms, phrase, "block", "operator_blocklist")
        for kind, phrases in (
            ("person_word", lexicon.PERSON), ("minor_word", lexicon.MINOR), ("group", lexicon.GROUPS),
            ("descriptor", lexicon.HOSTILE_DESCRIPTORS), ("copula", lexicon.COPULAS),
            ("action", lexicon.HOSTILE_ACTIONS), ("age_word", lexicon.MINOR_AGE_WORDS),
        ):
            for phrase in phrases:
                add(self._terms, phrase, kind, None)
        self._vocabulary = vocabulary
        # "kiiill" / "kiill" → "kill": collapsed spelling → a lexicon word, for words of 4+ letters.
        self._by_collapsed = {}
        for word in sorted(vocabulary):
            if len(word) >= 4 and not word.isdigit():
                self._by_collapsed.setdefault(_collapse(word), word)
        # "p*rn" → "porn": single lexicon words by length, strong terms first.
        self._wildcard_words: dict[int, list[str]] = {}
        for phrases in (*lexicon.STRONG.values(), *lexicon.NEEDS_PERSON.values()):
            for phrase in phrases:
                words = _pattern_words(phrase)
                if len(words) == 1 and not words[0].endswith("*"):
                    self._wildcard_words.setdefault(len(words[0]), []).append(words[0])

    # ---- public -------------------------------------------------------------------------------------

    def check(self, prompt: str) -> ModerationResult:
        """The verdict on ``prompt``: allowed, or the most severe category found with a message."""
        folded = _fold(prompt)
        minor_age = any(0 < int(m.group(1)) < 18 for m in _AGE.finditer(folded))
        found: dict[str, str] = {}
        for words in self._sequences(folded):
            for category, matched in self._judge(words, minor_age):
                found.setdefault(category, matched)
        for category in CATEGORY_ORDER:
            if category in found and self.settings.categories.get(category, True):
                matched = found[category]
                return ModerationResult(
                    allowed=False, category=category, message=MESSAGES[category].format(matched=matched),
                    matched=matched,
                )
        return ALLOWED

    # ---- reading --------------------------------------------------------------------------------------

    def _sequences(self, folded: str) -> list[list[str]]:
        """The word sequences a prompt is read as (see the module docstring)."""
        chunks = [c.strip(_OUTER_PUNCT) for c in folded.split()]
        ambiguous_one = any(("1" in c or "|" in c) and _LETTER.search(c) for c in chunks)
        sequences = []
        for table in (_LEET_I, _LEET_L) if ambiguous_one else (_LEET_I,):
            pieces = [self._chunk_words(c, table) for c in chunks]
            sequences.append(self._tidy([w for chunk in pieces for w in chunk]))
            joined = [self._join_chunk(p) for p in pieces]
            if joined != pieces:
                sequences.append(self._tidy([w for chunk in joined for w in chunk]))
        return sequences

    def _join_chunk(self, pieces: list[str]) -> list[str]:
        """A chunk split by punctuation ("po.rn") as one word, when that word is a lexicon word."""
        if len(pieces) < 2:
            return pieces
        word = "".join(pieces)
        tidy = self._tidy([word])[0]
        if tidy in self._vocabulary or self._terms.has_prefix_of(tidy):
            return [word]
        return pieces

    def _chunk_words(self, chunk: str, table: dict[int, str]) -> list[str]:
        if len(chunk) == 1 and chunk.translate(table).isalpha():
            return [chunk.translate(table)]  # a lone "0" among spaced letters ("p 0 r n") is a letter
        if not _LETTER.search(chunk):
            return _WORD.findall(chunk)
        if "*" in chunk.strip("*"):
            guess = self._unmask(chunk.translate(table))
            if guess:
                return [guess]
        return _WORD.findall(chunk.translate(table))

    def _unmask(self, chunk: str) -> str | None:
        core = re.sub(r"[^a-z*]", "", chunk)
        pattern = re.compile(core.replace("*", "[a-z]"))
        return next((w for w in self._wildcard_words.get(len(core), ()) if pattern.fullmatch(w)), None)

    def _tidy(self, words: list[str]) -> list[str]:
        out = []
        for word in _join_single_letters(words):
            if word not in self._vocabulary and _REPEAT.search(word):
                collapsed = _collapse(word)
                word = self._by_collapsed.get(collapsed, collapsed if _TRIPLE.search(word) else word)
            out.append(word)
        return out

    # ---- judging --------------------------------------------------------------------------------------

    def _judge(self, words: list[str], minor_age: bool) -> list[tuple[str, str]]:
        """(category, matched) for everything found in one word sequence."""
        words = list(words)
        for start, end, _ in self._masks.find(words):
            words[start:end] = [""] * (end - start)
        matches = self._terms.find(words)
        at: dict[str, list[tuple[int, int, _Entry]]] = {}
        for match in matches:
            at.setdefault(match[2].kind, []).append(match)

        people = {s for s, _, _ in at.get("person_word", []) + at.get("minor_word", []) + at.get("group", [])}
        minor = minor_age or bool(at.get("minor_word")) or any(
            e < len(words) and words[e] in ("year", "years", "yo", "ans", "an") for _, e, _ in at.get("age_word", [])
        )
        hits: list[tuple[int, int, str, str]] = []
        sexual_terms = []
        for start, end, entry in at.get("strong", []) + at.get("person", []):
            if entry.category == "sexual":
                sexual_terms.append(entry.label)
            before = 0 if entry.label in lexicon.VICTIM_AFTER else lexicon.CONTEXT_WINDOW
            if entry.kind == "strong" or any(
                start - before <= p < end + lexicon.CONTEXT_WINDOW and not start <= p < end for p in people
            ):
                hits.append((start, end, entry.category, entry.label))
        for start, end, entry in at.get("figure", []) + at.get("block", []):
            hits.append((start, end, entry.category, entry.label))

        # A longer phrase decides over a shorter one inside it ("suicide bomber" is violence, not self-harm).
        hits = [h for h in hits if not any(
            o[0] <= h[0] and h[1] <= o[1] and (o[1] - o[0]) > (h[1] - h[0]) and o[2] != h[2] for o in hits
        )]
        results = [(category, label) for _, _, category, label in hits]
        sexualising = [e.label for _, _, e in at.get("sexualising", [])]
        if minor and (sexual_terms or sexualising):
            results.append(("sexual_minors", (sexual_terms or sexualising)[0]))
        results.extend(self._hate(at))
        return results

    @staticmethod
    def _hate(at: dict[str, list[tuple[int, int, _Entry]]]) -> list[tuple[str, str]]:
        """"GROUP are ... DESCRIPTOR" or "ACTION ... GROUP"."""
        groups = at.get("group", [])
        if not groups:
            return []
        copulas = [s for s, _, _ in at.get("copula", [])]
        for g_start, g_end, group in groups:
            for d_start, _, descriptor in at.get("descriptor", []):
                if 0 < d_start - g_end <= 3 and any(g_end <= c < d_start for c in copulas):
                    return [("hate", f"{group.label} ... {descriptor.label}")]
            for _, a_end, action in at.get("action", []):
                if 0 <= g_start - a_end <= 2:
                    return [("hate", f"{action.label} ... {group.label}")]
        return []
