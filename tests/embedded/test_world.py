"""The procedural world: rendering and the caption grammar."""

from __future__ import annotations

import numpy as np

from azur.embedded import world


def test_render_draws_the_object_on_the_background():
    scene = world.Scene("red", "blue", "circle", "right", x=0.5, y=0.5, radius=0.15, speed=0.3)
    frames = world.render([scene], world.clip_times(8)[None])[0]
    assert frames.shape == (8, 32, 32, 3) and frames.dtype == np.float32
    red, blue = world.PALETTE[world.COLORS.index("red")], world.PALETTE[world.COLORS.index("blue")]
    np.testing.assert_allclose(frames[0, 16, 16], red, atol=1e-6)  # centre of the ball
    np.testing.assert_allclose(frames[0, 2, 2], blue, atol=1e-6)  # a corner, far from it
    # Moving right: the red mass shifts right between the first and last frame.
    columns = (np.abs(frames - red).sum(-1) < 0.1).sum(1)  # (T, W) red pixels per column
    centre = (columns * np.arange(32)).sum(1) / columns.sum(1)
    assert centre[-1] - centre[0] > 0.25 * 32


def test_positions_wrap_around_the_canvas():
    scene = world.Scene("white", "black", "square", "left", x=0.02, y=0.5, radius=0.12, speed=0.3)
    frame = world.render([scene], np.array([[0.0]]))[0, 0]
    white = np.abs(frame - 1).sum(-1) < 0.2
    assert white[:, :4].any() and white[:, -4:].any(), "an object on the left edge shows on both edges"


def test_growing_clamps_at_the_maximum_size():
    scene = world.Scene("white", "black", "circle", "growing", x=0.5, y=0.5, radius=world.MAX_RADIUS, speed=0.8)
    assert scene.state_at(1.0)[2] == world.MAX_RADIUS


def test_object_and_background_colours_differ():
    rng = np.random.default_rng(1)
    assert all(s.object_color != s.background_color for s in (world.sample_scene(rng) for _ in range(500)))


def test_french_captions_agree_in_gender():
    rng = np.random.default_rng(2)
    star = world.Scene("green", "black", "star", "up", 0.5, 0.5, 0.15, 0.3)
    triangle = world.Scene("green", "black", "triangle", "up", 0.5, 0.5, 0.15, 0.3)  # "triangle" is masculine
    for _ in range(50):
        star_text = world.caption(star, rng, "fr").lower()
        assert "étoile verte" in star_text or "étoile de couleur verte" in star_text
        triangle_words = world.caption(triangle, rng, "fr").split()
        assert "vert" in triangle_words and "verte" not in triangle_words


def test_training_captions_never_use_held_out_phrasings():
    rng = np.random.default_rng(3)
    held_out_markers = ("rightwards", "leftwards", "there is", "il y a", "on voit", "back drop", "remonte", "toward ")
    train = [world.caption(world.sample_scene(rng), rng, lang) for _ in range(1500) for lang in ("en", "fr")]
    assert not [c for c in train if any(m in c.lower() for m in held_out_markers)]
    evaluation = [world.caption(world.sample_scene(rng), rng, lang, "eval") for _ in range(300) for lang in ("en", "fr")]
    assert sum(any(m in c.lower() for m in held_out_markers) for c in evaluation) > 100


def test_training_word_list_is_what_training_captions_contain():
    from azur.embedded.text import words

    rng = np.random.default_rng(4)
    seen = {w for _ in range(3000) for lang in ("en", "fr")
            for w in words(world.caption(world.sample_scene(rng), rng, lang))}
    train_words = world.grammar_words("train")
    assert seen <= train_words
    assert {"leftwards", "remonte", "tiny", "drop"} <= world.grammar_words() - train_words
    fillers = world.filler_words()
    assert {"background", "fond", "qui", "with"} & fillers and fillers <= train_words
    assert not fillers & {"red", "rouge", "star", "etoile", "up", "haut", "growing", "grossit", "bigger"}
