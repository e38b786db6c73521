"""LoRA adapters on the tiny Wan pipeline, made with peft: a fixed one is fused at load and changes the
clip with its scale; a choice is switched per request without reloading the base model; a request may
name only the adapters the operator registered."""

from __future__ import annotations

import sys

import numpy as np
import pytest
import tiny_pipelines

from azur.cli.main import run
from azur.engine.backend import get_backend
from azur.engine.catalog import InvalidModel, ModelSpec, open_catalog
from azur.engine.loras import LoraSpec
from azur.engine.request import InvalidRequest, make_request
from conftest import TINY_OPTIONS


@pytest.fixture(scope="module")
def loras(tmp_path_factory):
    root = tmp_path_factory.mktemp("loras")
    return {"a": tiny_pipelines.build_wan_lora(root / "a", seed=1), "b": tiny_pipelines.build_wan_lora(root / "b", seed=2)}


def clip(name: str, **options) -> np.ndarray:
    request = make_request("a red ball bounces on a blue floor", model=name, seed=3, seconds=1, size="480x480", **options)
    return np.stack(list(get_backend(name).generate(request).frames)).astype(float)


def install(tiny_models, name: str, *loras: LoraSpec) -> str:
    open_catalog().add(ModelSpec(name, "wan", tiny_models["wan"], TINY_OPTIONS["wan"], loras=loras), replace=True)
    return name


def test_a_fixed_lora_is_fused_and_its_scale_matters(azur_home, tiny_models, loras):
    base = clip(install(tiny_models, "plain"))
    full = clip(install(tiny_models, "full", LoraSpec("a", loras["a"], 1.0)))
    half = clip(install(tiny_models, "half", LoraSpec("a", loras["a"], 0.5)))
    zero = clip(install(tiny_models, "zero", LoraSpec("a", loras["a"], 0.0)))
    # Mean changes in grey levels (of 255) over every pixel of 24 frames; the tiny random model's frames
    # are nearly flat, so its changes are small but far above rounding (scale 0 below shows rounding).
    assert np.abs(full - base).mean() > 0.25 and np.abs(half - base).mean() > 0.1
    assert np.abs(full - half).mean() > 0.1
    assert np.abs(zero - base).max() <= 1  # scale 0 fused is the base model (rounding aside)
    backend = get_backend("full")
    assert not backend.pipe.get_list_adapters()  # fused: no adapter layers left to run at each step
    assert "LoRA a fused at scale 1" in backend.load_notes


def test_a_request_picks_a_registered_lora_and_it_is_swapped_without_reloading(azur_home, tiny_models, loras):
    base = clip(install(tiny_models, "plain"))
    name = install(tiny_models, "menu", LoraSpec("a", loras["a"], 1.0, fixed=False),
                   LoraSpec("b", loras["b"], 1.0, fixed=False))
    backend = get_backend(name)
    transformer = backend.pipe.transformer
    assert np.abs(clip(name) - base).max() <= 1  # no LoRA asked: the adapters are off
    with_a = clip(name, loras="a")
    with_b = clip(name, loras=[{"name": "b"}])
    with_a_half = clip(name, loras=[{"name": "a", "scale": 0.5}])
    assert np.abs(with_a - base).mean() > 0.25 and np.abs(with_b - with_a).mean() > 0.25
    assert np.abs(with_a_half - with_a).mean() > 0.1
    assert np.abs(clip(name, loras="a") - with_a).max() == 0  # back to the same adapter: the same clip
    assert np.abs(clip(name) - base).max() <= 1
    assert get_backend(name) is backend and backend.pipe.transformer is transformer  # never reloaded
    request = make_request("a cat", model=name, seconds=1, size="480x480", loras="a")
    assert "LoRA a at scale 1" in backend.generate(request).notes


def test_only_registered_loras_may_be_asked_for(azur_home, tiny_models, loras):
    name = install(tiny_models, "menu", LoraSpec("a", loras["a"], 1.0, fixed=False), LoraSpec("f", loras["b"], 1.0))
    for asked, message in (("b", "has no LoRA 'b'. Its LoRAs: a."), ("f", "has no LoRA 'f'"),
                           (str(loras["a"] / "pytorch_lora_weights.safetensors"), "registered LoRA's name")):
        with pytest.raises(InvalidRequest, match=message):
            clip(name, loras=asked)
    with pytest.raises(InvalidRequest, match="out of range"):
        clip(name, loras=[{"name": "a", "scale": 9}])
    with pytest.raises(InvalidRequest, match="expected a number"):
        make_request("a cat", loras=[{"name": "a", "scale": "x"}])
    with pytest.raises(InvalidModel, match="does not exist"):
        install(tiny_models, "broken", LoraSpec("x", loras["a"] / "missing.safetensors"))


def test_cli_registers_fixed_and_optional_loras(azur_home, tiny_models, loras, monkeypatch, capsys):
    def azur(*args):
        monkeypatch.setattr(sys, "argv", ["azur", *args])
        with pytest.raises(SystemExit) as exit_info:
            run()
        return exit_info.value.code or 0, capsys.readouterr().err

    code, err = azur("models", "add", "styled", "--family", "wan", "--path", str(tiny_models["wan"]),
                     "--lora", f"{loras['a']}:0.7", "--lora-choice", f"sketch={loras['b']}")
    assert code == 0, err
    assert "LoRA a x0.7 (fused)" in err and "LoRA sketch x1 (on request)" in err
    spec = open_catalog().get("styled")
    assert [(lo.name, lo.scale, lo.fixed) for lo in spec.loras] == [("a", 0.7, True), ("sketch", 1.0, False)]
    code, err = azur("models", "add", "bad", "--family", "wan", "--path", str(tiny_models["wan"]),
                     "--lora-choice", str(loras["b"]))
    assert code == 2 and "expected NAME=PATH[:SCALE]" in err and err.count("\n") == 1
