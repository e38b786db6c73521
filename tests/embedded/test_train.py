"""The training path, on the tiny preset: it runs, the losses fall, the folder it writes loads and samples."""

from __future__ import annotations

import json

import numpy as np

from azur.embedded.sample import TinyVideoModel
from azur.embedded.train import TrainConfig, train


def test_tiny_training_learns_and_writes_a_loadable_folder(tmp_path):
    config = TrainConfig.tiny()
    lines: list[str] = []
    record = train(config, seed=0, out_dir=tmp_path, progress=lines.append)
    curves = record["loss_curves"]
    assert curves["text"][-1][1] < curves["text"][0][1]
    assert curves["autoencoder"][-1][1] < curves["autoencoder"][0][1]
    assert curves["prior"][-1][1] < curves["prior"][0][1]
    assert any(line.startswith("done:") for line in lines)
    assert json.loads((tmp_path / "config.json").read_text()) == TrainConfig.tiny().__dict__
    assert json.loads((tmp_path / "training_log.json").read_text())["cpu_minutes"] >= 0

    model = TinyVideoModel.load(tmp_path)
    frames = model.generate("a red ball moving right", seconds=1.0, fps=8, seed=0)
    assert frames.shape == (8, config.resolution, config.resolution, 3)
    assert np.isfinite(frames).all() and frames.min() >= 0 and frames.max() <= 1


def test_training_is_deterministic_for_a_seed(tmp_path):
    config = TrainConfig.tiny()
    config.text_steps = config.ae_steps = config.prior_steps = 5
    train(config, seed=3, out_dir=tmp_path / "a")
    train(config, seed=3, out_dir=tmp_path / "b")
    # The weights file itself is byte-identical: same arrays, and no time stamp in the archive.
    assert (tmp_path / "a" / "model.npz").read_bytes() == (tmp_path / "b" / "model.npz").read_bytes()


def test_made_up_words_are_never_words_of_a_caption():
    from azur.embedded import world
    from azur.embedded.train import _made_up_word

    rng = np.random.default_rng(0)
    made_up = [_made_up_word(rng, TrainConfig()) for _ in range(2000)]
    assert not set(made_up) & world.grammar_words()
    fillers = world.filler_words()
    assert sum(any(w.startswith(f[:2]) for f in fillers) for w in made_up) > 800  # about half are spliced


def test_shipped_weights_were_trained_with_the_default_config():
    # `azur train` (TrainConfig defaults, seed 0) must be the recipe of the weights in the package.
    from dataclasses import asdict

    from azur.embedded.sample import WEIGHTS_DIR

    assert json.loads((WEIGHTS_DIR / "config.json").read_text()) == asdict(TrainConfig())
    assert json.loads((WEIGHTS_DIR / "training_log.json").read_text())["seed"] == 0
