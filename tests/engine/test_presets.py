"""Quality presets per model (steps, guidance, shift, scheduler), few-step distilled settings, and step
caches switched off where a run has too few steps for them — on the tiny Wan pipeline."""

from __future__ import annotations

import pytest

from azur.engine.backend import get_backend
from azur.engine.backends.diffusers_base import TransformerCallCounter
from azur.engine.request import InvalidRequest, make_request


def run(name: str, **options):
    request = make_request("a red ball bounces on a blue floor", model=name, seed=3, seconds=1, size="480x480", **options)
    stages: list[str] = []
    clip = get_backend(name).generate(request, lambda fraction, stage: stages.append(stage))
    list(clip.frames)
    totals = {stage.split()[1].split("/")[1] for stage in stages if stage.startswith("step ")}
    return clip, totals


def test_quality_maps_to_the_models_steps(installed):
    name = installed("wan", steps=10, max_frames=17)  # one window per clip
    backend = get_backend(name)
    assert {q: p.steps for q, p in backend.presets.items()} == {"draft": 4, "standard": 10, "high": 15}
    for quality, steps in (("draft", "4"), (None, "10"), ("high", "15")):
        clip, totals = run(name, **({"quality": quality} if quality else {}))
        assert totals == {steps}
        assert f"{steps} steps in" in " ".join(clip.notes)
    with pytest.raises(InvalidRequest, match="draft, standard, high"):
        make_request("a cat", quality="ultra")


def test_a_distilled_model_keeps_its_few_steps_at_every_quality(installed):
    name = installed("wan", steps=None, distilled=True, shift=5.0, scheduler="euler", max_frames=17)
    backend = get_backend(name)
    assert {p.steps for p in backend.presets.values()} == {8} and backend.presets["high"].guidance == 1.0
    clip, totals = run(name, quality="high")
    assert totals == {"8"} and any("distilled for 8 steps" in note for note in clip.notes)
    assert backend.pipe.scheduler.config.shift == 5.0


def test_a_model_declares_its_own_preset_and_scheduler(installed):
    name = installed("wan", max_frames=17, presets={"draft": {"steps": 3, "guidance": 1.0, "shift": 8.0, "scheduler": "unipc"}})
    backend = get_backend(name)
    run(name, quality="draft")
    assert type(backend.pipe.scheduler).__name__ == "UniPCMultistepScheduler"
    assert backend.pipe.scheduler.config.flow_shift == 8.0
    run(name)
    assert type(backend.pipe.scheduler).__name__ == "FlowMatchEulerDiscreteScheduler"  # standard: the checkpoint's


def test_step_cache_is_off_for_few_step_runs_and_on_again_after(installed):
    name = installed("wan", steps=20, cache="first_block", cache_threshold=1.0, max_frames=17)
    backend = get_backend(name)
    counter = TransformerCallCounter(backend.pipe.transformer)
    try:
        clip, _ = run(name, quality="draft")  # 8 steps
        assert counter.calls == counter.full == 16
        assert any("step cache off for 8 steps" in note for note in clip.notes)
        counter.reset()
        run(name)  # 20 steps: cached again
        assert counter.calls == 40 and counter.full < 40
    finally:
        counter.close()
    few = get_backend(installed("wan", steps=6, cache="first_block"))
    assert few.cache == "none" and any("too few" in note for note in few.load_notes)


def test_the_cli_takes_quality_and_lora_and_refuses_what_the_model_lacks(installed, tmp_path, monkeypatch, capsys):
    import sys

    from azur.cli.main import run

    name = installed("wan", steps=5, max_frames=17)

    def azur(*args):
        monkeypatch.setattr(sys, "argv", ["azur", *args])
        with pytest.raises(SystemExit) as exit_info:
            run()
        return exit_info.value.code or 0, capsys.readouterr().err

    base = ["generate", "a red ball", "--model", name, "--seconds", "1", "--size", "480x480"]
    code, err = azur(*base, "--quality", "draft", "--output", str(tmp_path / "a.mp4"))
    assert code == 0, err
    assert "quality draft: 2 steps" in " ".join(err.split())
    code, err = azur(*base, "--lora", "sketch", "--output", str(tmp_path / "b.mp4"))
    assert code == 2 and "has no LoRA 'sketch'. Its LoRAs: none." in err and err.count("\n") == 1
    code, err = azur("generate", "a cat", "--quality", "high", "--output", str(tmp_path / "c.mp4"))
    assert code == 2 and "Model 'azur-tiny' has no quality presets" in err
