"""Text side of the embedded model: an English + French tokenizer and a small attribute-supervised encoder.

Tokenizer: lowercase, accents stripped ("étoile" -> "etoile"), split into words; each word is a hashed
whole-word id, a hashed stem id (one English or French inflection stripped: "rightwards", "rightward" and
"right" share the stem "right"; "montant", "montent" and "monte" share "mont") and hashed 3-letter pieces of
"<word>". Pieces alone did not carry unseen word forms: the first shipped model read "cruising rightwards"
as "up" (motion read right in 93% of held-out prompts); the stem is the same id for every form of a word.
Hashing (crc32, stable across runs and machines) means there is no vocabulary file to keep in sync with the
weights; the list of words the model was trained on is kept separately, only to tell users which of their
words it does not know (`unknown_words`).

Encoder (`model.TextEncoder` for training, `infer.TextEncoder` for generating): embeddings -> 2-layer transformer -> one learned-query attention pool per scene attribute -> a
classification head per attribute. It is pretrained with cross-entropy on the attributes the world knows
(FACTS.md: learning the text through the video loss alone did not work at this budget), then frozen; its
softmax outputs and pooled features condition the video prior.
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from dataclasses import dataclass

import numpy as np

from azur.embedded.world import ATTRIBUTES

WORD_BUCKETS = 2048  # hashed whole-word ids; collisions are harmless at a vocabulary of a few hundred words
PIECE_BUCKETS = 4096  # hashed 3-letter pieces
MAX_WORDS = 32  # longer prompts are truncated (captions of this world are 4-20 words)
MAX_PIECES = 16  # pieces per word; a 14-letter word has 14 pieces with its two boundary marks


def normalize(text: str) -> str:
    """Lowercase with accents removed, so "Étoile" and "etoile" are the same word."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def words(text: str) -> list[str]:
    """The words of a prompt after normalisation; punctuation, apostrophes and hyphens split words."""
    return re.findall(r"[a-z0-9]+", normalize(text))


# Inflections stripped by `stem`, longest first; English and French together (the prompt's language is not
# known). One suffix at most, and a stem keeps at least 3 letters (2 before "ward": "upwards" -> "up"; 4
# before "it", so that "petit" stays whole like the stem of "petite"), so short words stay whole. "le", "ular"
# and "ulaire" join a noun in -le to its adjective ("triangle", "triangular", "triangulaire" -> "triang"):
# without them the encoder read "triangular shape" as a circle (shape read right in 88% of eval prompts).
SUFFIXES = ("wards", "ward", "ulaire", "ular", "issant", "issent", "issait", "isse", "ing", "ant", "ent", "ait",
            "ed", "es", "er", "ly", "le", "it", "e", "s")


def stem(word: str) -> str:
    """A crude, predictable stem of a normalised word (no dictionary): "growing" -> "grow", "grandit" -> "grand".

    A long word starting with "re" + consonant loses the prefix first: French marks a repeated movement with it
    ("remonte", "redescend"); without that the encoder read "remonte" as growing or shrinking. Short words
    ("red", "rest") stay whole.
    """
    if len(word) >= 7 and word.startswith("re") and word[2] not in "aeiouy":
        word = word[2:]
    for suffix in SUFFIXES:
        shortest = 2 if suffix.startswith("ward") else 4 if suffix == "it" else 3
        if word.endswith(suffix) and len(word) - len(suffix) >= shortest:
            return word[: -len(suffix)]
    return word


def _hash(kind: str, piece: str, buckets: int) -> int:
    # Bucket 0 is padding, so ids are 1..buckets-1.
    return zlib.crc32(f"{kind}:{piece}".encode()) % (buckets - 1) + 1


@dataclass
class Tokens:
    """A batch of tokenised prompts. word and stem: (B, L) ids, pieces: (B, L, P) ids, mask: (B, L) True on words."""

    word: np.ndarray
    stem: np.ndarray
    pieces: np.ndarray
    mask: np.ndarray


def tokenize(prompts: list[str]) -> Tokens:
    """Tokenise prompts; an empty prompt gets one padding position so the encoder still runs."""
    tokenised = [words(p)[:MAX_WORDS] for p in prompts]
    length = max(1, max((len(t) for t in tokenised), default=1))
    word = np.zeros((len(prompts), length), dtype=np.int64)
    stems = np.zeros((len(prompts), length), dtype=np.int64)
    pieces = np.zeros((len(prompts), length, MAX_PIECES), dtype=np.int64)
    for i, ws in enumerate(tokenised):
        for j, w in enumerate(ws):
            word[i, j] = _hash("w", w, WORD_BUCKETS)
            stems[i, j] = _hash("s", stem(w), WORD_BUCKETS)
            padded = f"<{w}>"
            grams = [padded[k : k + 3] for k in range(len(padded) - 2)][:MAX_PIECES]
            pieces[i, j, : len(grams)] = [_hash("p", g, PIECE_BUCKETS) for g in grams]
    return Tokens(word=word, stem=stems, pieces=pieces, mask=word > 0)


def _feature_slices() -> dict[str, slice]:
    slices, start = {}, 0
    for name, values in ATTRIBUTES.items():
        slices[name] = slice(start, start + len(values))
        start += len(values)
    return slices


# Where each attribute's probabilities sit in `TextEncoder.features` (concatenated in ATTRIBUTES order).
FEATURE_SLICES: dict[str, slice] = _feature_slices()


def unknown_words(prompt: str, known: set[str]) -> list[str]:
    """Words of the prompt outside `known` (normalised), in prompt order, without repeats."""
    seen: list[str] = []
    for w in words(prompt):
        if w not in known and w not in seen and not w.isdigit():
            seen.append(w)
    return seen
