"""Text side of the embedded model: an English + French tokenizer and a small attribute-supervised encoder.

Tokenizer: lowercase, accents stripped ("étoile" -> "etoile"), split into words; each word is a hashed
whole-word id, a hashed stem id (one English or French inflection stripped: "rightwards", "rightward" and
"right" share the stem "right"; "montant", "montent" and "monte" share "mont") and hashed 3-letter pieces of
"<word>". Pieces alone did not carry unseen word forms: the first shipped model read "cruising rightwards"
as "up" (motion read right in 93% of held-out prompts); the stem is the same id for every form of a word.
Hashing (crc32, stable across runs and machines) means there is no vocabulary file to keep in sync with the
weights; the list of words the model was trained on is kept separately, only to tell users which of their
words it does not know (`unknown_words`).

Encoder: embeddings -> 2-layer transformer -> one learned-query attention pool per scene attribute -> a
classification head per attribute. It is pretrained with cross-entropy on the attributes the world knows
(FACTS.md: learning the text through the video loss alone did not work at this budget), then frozen; its
softmax outputs and pooled features condition the video prior.
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from dataclasses import dataclass

import torch
from torch import nn

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

    word: torch.Tensor
    stem: torch.Tensor
    pieces: torch.Tensor
    mask: torch.Tensor


def tokenize(prompts: list[str]) -> Tokens:
    """Tokenise prompts; an empty prompt gets one padding position so the encoder still runs."""
    tokenised = [words(p)[:MAX_WORDS] for p in prompts]
    length = max(1, max((len(t) for t in tokenised), default=1))
    word = torch.zeros(len(prompts), length, dtype=torch.long)
    stems = torch.zeros(len(prompts), length, dtype=torch.long)
    pieces = torch.zeros(len(prompts), length, MAX_PIECES, dtype=torch.long)
    for i, ws in enumerate(tokenised):
        for j, w in enumerate(ws):
            word[i, j] = _hash("w", w, WORD_BUCKETS)
            stems[i, j] = _hash("s", stem(w), WORD_BUCKETS)
            padded = f"<{w}>"
            grams = [padded[k : k + 3] for k in range(len(padded) - 2)][:MAX_PIECES]
            pieces[i, j, : len(grams)] = torch.tensor([_hash("p", g, PIECE_BUCKETS) for g in grams])
    return Tokens(word=word, stem=stems, pieces=pieces, mask=word > 0)


class TextEncoder(nn.Module):
    """Prompt -> per-attribute logits and pooled features.

    `features()` is what conditions the video prior: the softmax of each attribute head (which object
    colour, which background colour, ...), nothing else. The first shipped prior also read the four pooled
    vectors; they carry the phrasing as well as the meaning, and on held-out phrasings that the encoder read
    right the prior still drew a weak growth: replacing those prompts by a canonical sentence with the same
    attributes raised judged motion from 75% to 90%. The probabilities are the same whatever the phrasing.
    """

    def __init__(self, width: int = 96, layers: int = 2, heads: int = 4):
        super().__init__()
        self.width = width
        # Near-zero init: an unseen word's whole-word embedding then adds little noise to its pieces'.
        self.word_embedding = nn.Embedding(WORD_BUCKETS, width, padding_idx=0)
        self.piece_embedding = nn.Embedding(PIECE_BUCKETS, width, padding_idx=0)
        self.stem_embedding = nn.Embedding(WORD_BUCKETS, width, padding_idx=0)
        nn.init.normal_(self.word_embedding.weight, std=0.02)
        nn.init.normal_(self.stem_embedding.weight, std=0.02)
        nn.init.normal_(self.piece_embedding.weight, std=0.02)
        self.position = nn.Parameter(torch.zeros(MAX_WORDS, width))
        nn.init.normal_(self.position, std=0.02)
        block = nn.TransformerEncoderLayer(width, heads, 2 * width, dropout=0.1, batch_first=True, norm_first=True)
        self.transformer = nn.TransformerEncoder(block, layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(width)
        # One learned query per attribute: the "background" pool learns to look at the word after "fond"/"on a".
        self.queries = nn.Parameter(torch.randn(len(ATTRIBUTES), width) * 0.1)
        self.heads = nn.ModuleList(nn.Linear(width, len(values)) for values in ATTRIBUTES.values())

    @property
    def feature_size(self) -> int:
        return sum(len(v) for v in ATTRIBUTES.values())

    def forward(
        self, tokens: Tokens, word_dropout: float = 0.0, piece_dropout: float = 0.0
    ) -> tuple[list[torch.Tensor], torch.Tensor]:
        """Returns (logits per attribute, pooled (B, A, width)). Dropouts are for training robustness."""
        word = self.word_embedding(tokens.word)
        stems = self.stem_embedding(tokens.stem)
        if word_dropout > 0:
            # Dropped independently, so the encoder learns to read a word from its stem or its pieces alone.
            word = word * (torch.rand(word.shape[:2]) >= word_dropout).unsqueeze(-1)
            stems = stems * (torch.rand(stems.shape[:2]) >= word_dropout / 2).unsqueeze(-1)
        piece_mask = (tokens.pieces > 0).float()
        if piece_dropout > 0:
            piece_mask = piece_mask * (torch.rand(piece_mask.shape) >= piece_dropout)
        pieces = (self.piece_embedding(tokens.pieces) * piece_mask.unsqueeze(-1)).sum(2)
        pieces = pieces / piece_mask.sum(2, keepdim=True).clamp(min=1)
        x = word + stems + pieces + self.position[: word.shape[1]]
        pad = ~tokens.mask
        pad[:, 0] = False  # an empty prompt must still attend to something
        x = self.norm(self.transformer(x, src_key_padding_mask=pad))
        scores = torch.einsum("bld,ad->bal", x, self.queries) / self.width**0.5
        scores = scores.masked_fill(pad.unsqueeze(1), float("-inf"))
        pooled = torch.einsum("bal,bld->bad", scores.softmax(-1), x)
        logits = [head(pooled[:, i]) for i, head in enumerate(self.heads)]
        return logits, pooled

    def features(self, tokens: Tokens) -> torch.Tensor:
        logits, _ = self(tokens)
        return torch.cat([lg.softmax(-1) for lg in logits], dim=1)


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
