"""``azur.characters.apply`` on each kind of model, run for real: the embedded model is given the look and no
first frame; image-conditioned diffusers models (tiny random pipelines) start from the character's picture,
and an image-to-video model that refuses a request without a first frame runs with a character."""

from __future__ import annotations

import numpy as np
import pytest

from azur.characters import Casting, apply
from azur.engine.backend import get_backend
from azur.engine.request import InvalidRequest, Look, make_request

PROMPT = "Rex bounces on a blue floor"


def rex() -> Casting:
    picture = np.zeros((480, 854, 3), np.uint8)
    picture[:, :, 0] = 230  # a red picture: easy to find again in the first frames
    return Casting(id="char_" + "0" * 32, name="Rex", look=Look("Rex", "red", "star", 0.2), reference=picture)


def test_the_embedded_model_gets_the_look_and_no_first_frame(azur_home):
    request = apply(make_request(PROMPT, seed=1), rex())
    assert request.look == rex().look and request.first_frame is None


def test_an_image_to_video_model_starts_from_the_character_picture(installed):
    name = installed("wan-i2v")
    plain = make_request(PROMPT, model=name, seconds=1, size="854x480", seed=3)
    with pytest.raises(InvalidRequest, match="image-to-video"):
        get_backend(name).generate(plain)
    request = apply(plain, rex())
    assert np.array_equal(request.first_frame, rex().reference)
    frames = list(get_backend(name).generate(request).frames)
    assert len(frames) == 24 and frames[0].shape == (480, 854, 3)


def test_a_text_to_video_model_with_first_frames_starts_near_the_character(installed):
    name = installed("wan")
    plain = make_request(PROMPT, model=name, seconds=1, size="854x480", seed=3)
    start = next(iter(get_backend(name).generate(apply(plain, rex())).frames)).astype(int)
    start_plain = next(iter(get_backend(name).generate(plain).frames)).astype(int)
    assert np.abs(start - rex().reference).mean() < np.abs(start_plain - rex().reference).mean()
    # A request's own first frame wins over the character's picture.
    own = np.full((480, 854, 3), 40, np.uint8)
    assert np.array_equal(apply(plain.with_changes(first_frame=own), rex()).first_frame, own)
