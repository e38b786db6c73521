"""The NumPy inference (what generating runs) computes what the PyTorch modules (what training made) compute."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")  # the light install has no torch; this test belongs to the full one

from azur.embedded import infer, world  # noqa: E402
from azur.embedded.sample import WEIGHTS_DIR  # noqa: E402
from azur.embedded.text import tokenize  # noqa: E402
from azur.embedded.train import (  # noqa: E402
    TrainConfig, make_decoder, make_image_encoder, make_prior, make_shape_probe, make_text_encoder,
)

import json  # noqa: E402


@pytest.fixture(scope="module")
def shipped():
    """The shipped weights, loaded both ways."""
    config = TrainConfig.from_dict(json.loads((WEIGHTS_DIR / "config.json").read_text()))
    weights = infer.load_weights(WEIGHTS_DIR / infer.WEIGHTS_FILE)
    modules = {
        "text_encoder": make_text_encoder(config), "decoder": make_decoder(config),
        "image_encoder": make_image_encoder(config), "shape_probe": make_shape_probe(config),
    }
    modules["prior"] = make_prior(config, modules["text_encoder"].feature_size)
    for name, module in modules.items():
        module.load_state_dict({k: torch.from_numpy(v) for k, v in infer.subset(weights, name).items()})
        module.eval().requires_grad_(False)
    return config, weights, modules


def test_text_encoder_agrees(shipped):
    config, weights, modules = shipped
    prompts = ["a red ball moving right on a blue background", "une étoile verte qui monte sur un fond noir",
               "", "square", "purple triangle shrinking, white backdrop, slowly"]
    tokens = tokenize(prompts)
    expected = modules["text_encoder"].features(tokens).numpy()
    got = infer.TextEncoder(infer.subset(weights, "text_encoder"), config.text_layers).features(tokens)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, atol=2e-5)


def test_image_encoder_and_prior_agree(shipped):
    config, weights, modules = shipped
    rng = np.random.default_rng(0)
    scenes = [world.sample_scene(rng) for _ in range(6)]
    frames = world.render(scenes, np.zeros((6, 1), np.float32), config.resolution)[:, 0]
    image = infer.ImageEncoder(infer.subset(weights, "image_encoder"), config.resolution)(frames)
    np.testing.assert_allclose(image, modules["image_encoder"](torch.from_numpy(frames)).numpy(), atol=1e-4)

    prior = infer.LatentPrior(infer.subset(weights, "prior"))
    text = rng.random((6, 26)).astype(np.float32)
    x = rng.standard_normal((6, config.latent_dim)).astype(np.float32)
    tau = rng.random(6).astype(np.float32)
    for t_in, i_in in ((text, image), (None, image), (text, None)):
        condition = prior.condition(t_in, i_in, 6)
        expected_condition = modules["prior"].condition(
            None if t_in is None else torch.from_numpy(t_in), None if i_in is None else torch.from_numpy(i_in), 6
        )
        np.testing.assert_allclose(condition, expected_condition.numpy(), atol=1e-4)
        expected = modules["prior"](torch.from_numpy(x), torch.from_numpy(tau), expected_condition).numpy()
        np.testing.assert_allclose(prior(x, tau, condition), expected, atol=1e-4)


def test_decoder_agrees(shipped):
    config, weights, modules = shipped
    rng = np.random.default_rng(1)
    z = rng.standard_normal((3, config.latent_dim)).astype(np.float32)
    t = np.linspace(0, 1, 5, dtype=np.float32)[None].repeat(3, 0)
    decoder = infer.FrameDecoder(infer.subset(weights, "decoder"), config.resolution, config.decoder_frequencies)
    got = decoder(z, t)
    expected = modules["decoder"](torch.from_numpy(z), torch.from_numpy(t)).numpy()
    assert got.shape == (3, 5, config.resolution, config.resolution, 3)
    np.testing.assert_allclose(got, expected, atol=1e-4)


def test_weights_file_is_reproducible(tmp_path):
    arrays = {"b": np.arange(6, dtype=np.float16).reshape(2, 3), "a": np.ones(4, np.float32)}
    infer.save_weights(arrays, tmp_path / "one.npz")
    infer.save_weights(dict(reversed(list(arrays.items()))), tmp_path / "two.npz")
    assert (tmp_path / "one.npz").read_bytes() == (tmp_path / "two.npz").read_bytes()
    loaded = infer.load_weights(tmp_path / "one.npz")
    np.testing.assert_array_equal(loaded["b"], arrays["b"].astype(np.float32))
