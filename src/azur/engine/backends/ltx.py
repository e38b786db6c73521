"""LTX-Video (Lightricks) through diffusers, including its distilled few-step checkpoints.

LTX makes 8k+1 frames, sides in multiples of 32, at 24 fps (it takes the frame rate as an input), up to
257 frames per window (the default window is 161, as in the model card's examples). Its text encoder is
T5: it reads English best; other languages pass through untouched.

LTX has an image-to-video pipeline built from the very same components, so a first frame and every
window after the first go through ``LTXImageToVideoPipeline`` (shared weights, no second copy in memory).
Distilled checkpoints (0.9.7/0.9.8 "distilled"): set ``distilled = true`` for 8 steps at guidance 1, and
``decode_timestep = 0.05``, ``decode_noise_scale = 0.025`` as their model cards do.
"""

from __future__ import annotations

from typing import Any

from azur.engine.backends.diffusers_base import DiffusersBackend, FamilyDefaults
from azur.engine.longclip import FrameRule

DEFAULTS = FamilyDefaults(
    family="ltx",
    description="LTX-Video: fast text and image to video (distilled checkpoints: 8 steps), English prompts",
    fps=24,
    frame_rule=FrameRule(8),
    size_multiple=32,
    area=768 * 512,
    max_frames=161,
    steps=50,
    guidance=3.0,
    max_sequence_length=128,
    negative_prompt="worst quality, inconsistent motion, blurry, jittery, distorted",
)


class LTXBackend(DiffusersBackend):
    defaults = DEFAULTS
    i2v_classes = ("LTXImageToVideoPipeline",)

    def pipeline_classes(self) -> tuple[type, type]:
        """(text-to-video, image-to-video): one set of components, two pipelines."""
        from diffusers import LTXImageToVideoPipeline, LTXPipeline

        # LTXConditionPipeline folders hold the same components; Azur drives them as LTXPipeline.
        return LTXPipeline, LTXImageToVideoPipeline

    def pipeline_class(self) -> type:
        text, image = self.pipeline_classes()
        return image if self.is_i2v else text

    def call_arguments(self, prompt: str, frames: int, size: tuple[int, int], generator: Any) -> dict[str, Any]:
        arguments = super().call_arguments(prompt, frames, size, generator)
        arguments["frame_rate"] = self.resolved.fps
        if self.options.decode_timestep is not None:
            arguments["decode_timestep"] = self.options.decode_timestep
        if self.options.decode_noise_scale is not None:
            arguments["decode_noise_scale"] = self.options.decode_noise_scale
        return arguments

    def image_pipeline(self) -> Any:
        if self.is_i2v:
            return self.pipe
        if getattr(self, "_image_pipe", None) is None:
            self._image_pipe = self.pipeline_classes()[1].from_pipe(self.pipe)  # the same weights, no copy
            self._image_pipe.set_progress_bar_config(disable=True)  # Azur reports progress itself
        return self._image_pipe
