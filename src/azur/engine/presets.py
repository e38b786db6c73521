"""Sampling presets: what ``quality: draft | standard | high`` means for one model.

A preset is the number of denoising steps, the guidance scale, the flow-matching shift and the scheduler.
Each open-weight model gets three, derived from its family's defaults (the model cards' settings are
"standard"; "draft" takes 40% of the steps, "high" 1.5 times), unless the model declares its own with
``--option 'presets={"draft": {"steps": 4, "guidance": 1.0}}'``. A distilled checkpoint or a distillation
LoRA (``distilled = true``: FastWan's 3-step DMD, lightx2v's 4-step LoRA, LTX's 8-step distilled) has one
setting it was trained for, so all three of its presets are that setting, and a note says so.

Step caches (FirstBlockCache, MagCache) reuse a block's output when it changed little since the last step;
with fewer than :data:`MIN_CACHED_STEPS` steps every step changes the picture a lot, so a cache there only
costs quality (MagCache's calibration is for one step count anyway). They are switched off for such runs,
with a note.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from azur.config import ModelOptions
from azur.engine.request import QUALITIES

MIN_CACHED_STEPS = 10
SCHEDULERS = ("default", "euler", "unipc")  # default: the one saved with the checkpoint


@dataclass(frozen=True)
class SamplingPreset:
    steps: int
    guidance: float
    shift: float | None = None  # None: the checkpoint scheduler's own
    scheduler: str = "default"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def model_presets(defaults: Any, options: ModelOptions) -> dict[str, SamplingPreset]:
    """The three presets of a model with family ``defaults`` (a FamilyDefaults) and ``options``."""
    distilled = bool(options.distilled)
    steps = options.steps or (defaults.distilled_steps if distilled else defaults.steps)
    guidance = options.guidance if options.guidance is not None else (1.0 if distilled else defaults.guidance)
    scheduler = options.scheduler or "default"
    standard = SamplingPreset(steps, guidance, options.shift, scheduler)
    if distilled:
        presets = dict.fromkeys(QUALITIES, standard)
    else:
        presets = {
            "draft": SamplingPreset(max(1, math.ceil(steps * 0.4)), guidance, options.shift, scheduler),
            "standard": standard,
            "high": SamplingPreset(min(200, math.ceil(steps * 1.5)), guidance, options.shift, scheduler),
        }
    for quality, declared in (options.presets or {}).items():
        base = presets[quality]
        presets[quality] = SamplingPreset(
            steps=declared.steps or base.steps,
            guidance=base.guidance if declared.guidance is None else declared.guidance,
            shift=base.shift if declared.shift is None else declared.shift,
            scheduler=declared.scheduler or base.scheduler,
        )
    return presets


def cache_allowed(steps: int) -> bool:
    return steps >= MIN_CACHED_STEPS


def make_scheduler(current: Any, preset: SamplingPreset) -> Any:
    """The scheduler ``preset`` asks for, built from the checkpoint's ``current`` one (same config) with
    the preset's shift; ``current`` itself when nothing changes."""
    from diffusers import FlowMatchEulerDiscreteScheduler, UniPCMultistepScheduler

    kind = preset.scheduler
    if kind == "default":
        kind = "unipc" if isinstance(current, UniPCMultistepScheduler) else (
            "euler" if isinstance(current, FlowMatchEulerDiscreteScheduler) else "other")
    if kind == "other":
        return current  # e.g. CogVideoX's DDIM: no shift to set
    if kind == "euler":
        shift = preset.shift if preset.shift is not None else current.config.get("shift", 1.0)
        if isinstance(current, FlowMatchEulerDiscreteScheduler) and current.config.get("shift") == shift:
            return current
        return FlowMatchEulerDiscreteScheduler.from_config(current.config, shift=shift)
    shift = preset.shift if preset.shift is not None else current.config.get("flow_shift", 3.0)
    if isinstance(current, UniPCMultistepScheduler) and current.config.get("flow_shift") == shift:
        return current
    return UniPCMultistepScheduler.from_config(
        current.config, flow_shift=shift, use_flow_sigmas=True, prediction_type="flow_prediction"
    )
