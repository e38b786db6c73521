"""Tokenizer and the shipped text encoder: prompts in English and French read as the right attributes."""

from __future__ import annotations

import pytest

from azur.embedded import world
from azur.embedded.text import stem, tokenize, unknown_words, words


def test_words_are_lowercased_without_accents_and_split_on_apostrophes():
    assert words("Une ÉTOILE qui s'élève, vers l'arrière-plan!") == [
        "une", "etoile", "qui", "s", "eleve", "vers", "l", "arriere", "plan"]


def test_tokenize_pads_and_keeps_word_pieces():
    tokens = tokenize(["a red ball", "une étoile verte qui monte"])
    assert tokens.word.shape == (2, 5) and tokens.mask.sum().item() == 8
    assert (tokens.pieces[0, 0] > 0).sum() == 1  # "<a>" is one 3-letter piece
    assert tokenize([""]).word.shape == (1, 1)


def test_word_forms_share_a_stem_and_short_words_stay_whole():
    for forms in (["rightwards", "rightward", "right"], ["upwards", "up"], ["growing", "grows"],
                  ["montant", "monte", "montent"], ["grandit", "grandissant", "grande", "grand"],
                  ["petite", "petit"], ["rapetisse", "rapetissant"], ["triangle", "triangular", "triangulaire"],
                  ["remonte", "monte", "remontant"], ["redescend", "descend"], ["retrecit", "retrecissant"]):
        assert len({stem(w) for w in forms}) == 1, forms
    assert stem("red") == "red" and stem("bleu") == "bleu" and stem("up") == "up" and stem("rest") == "rest"
    tokens = tokenize(["rightwards", "right"])
    assert tokens.stem[0, 0] == tokens.stem[1, 0] and tokens.word[0, 0] != tokens.word[1, 0]


def test_unknown_words_are_reported():
    known = world.grammar_words()
    assert unknown_words("a red ball moving right zorglub", known) == ["zorglub"]
    assert unknown_words("Une étoile verte qui monte sur un fond noir", known) == []


def test_shipped_model_reports_unknown_words(shipped_model):
    assert shipped_model.unknown_words("a red ball moving right zorglub") == ["zorglub"]
    # "quickly" is read by the stage (stage.SPEED_WORDS); "bouncing" by nothing.
    assert shipped_model.unknown_words("a purple box bouncing quickly") == ["bouncing"]


# Phrasings written by hand, not by the grammar (the examples among them).
READ_CASES = [
    ("a red ball moving right on a blue background", ("red", "blue", "circle", "right")),
    ("one yellow star drifting leftward over a plain purple background", ("yellow", "purple", "star", "left")),
    ("une étoile verte qui monte sur un fond noir", ("green", "black", "star", "up")),
    ("un carré jaune qui grossit sur fond violet", ("yellow", "purple", "square", "growing")),
    ("On a white backdrop, a black triangle sinks.", ("black", "white", "triangle", "down")),
    ("la boule blanche rétrécit devant un fond orange", ("white", "orange", "circle", "shrinking")),
    ("green background with an orange box going to the left", ("orange", "green", "square", "left")),
    ("une balle violette se déplaçant vers la droite sur fond jaune", ("purple", "yellow", "circle", "right")),
]


@pytest.mark.parametrize(("prompt", "expected"), READ_CASES)
def test_shipped_text_encoder_reads_the_attributes(shipped_model, prompt, expected):
    read = shipped_model.understood(prompt)
    assert (read["object_color"], read["background_color"], read["shape"], read["motion"]) == expected
