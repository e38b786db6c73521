"""SkyReels-V2 (Skywork) diffusion forcing through diffusers: long videos from text in one call.

Diffusion forcing denoises frames at different noise levels, so the pipeline itself extends a video block
after block: it makes ``base_num_frames`` (97) frames, then continues from the last ``overlap_history``
(17) frames, until ``num_frames``; Azur therefore gives it a whole clip (up to 20 s at 24 fps) as one
window instead of chaining windows itself. The model is Wan-shaped (UMT5 text encoder, Wan VAE: 4k+1
frames, sides in multiples of 16), at 544p / 24 fps, 30 steps, guidance 6, shift 8 (model card).

What it does not do here: start from a given image (its image-to-video variant is a separate pipeline
and checkpoint), asynchronous ``ar_step`` scheduling (slower; the synchronous mode is used).
"""

from __future__ import annotations

from typing import Any

from azur.engine.backends.diffusers_base import DiffusersBackend, FamilyDefaults
from azur.engine.backends.wan import NEGATIVE_PROMPT
from azur.engine.longclip import FrameRule
from azur.engine.request import InvalidRequest, VideoRequest

BASE_FRAMES = 97  # frames the model makes in one block (its training length)
OVERLAP_FRAMES = 17  # frames each further block continues from

DEFAULTS = FamilyDefaults(
    family="skyreels",
    description="SkyReels-V2 diffusion forcing: long text-to-video in one pass, 544p at 24 fps",
    fps=24,
    frame_rule=FrameRule(4),
    size_multiple=16,
    area=960 * 544,
    max_frames=24 * 20 + 1,  # the pipeline extends itself; one Azur window covers the longest clip
    steps=30,
    guidance=6.0,
    max_sequence_length=512,
    negative_prompt=NEGATIVE_PROMPT,
    cache="none",  # its per-frame noise levels change the blocks' input at every step
    fp32_components=("vae",),
    first_frame=False,
)


class SkyReelsBackend(DiffusersBackend):
    defaults = DEFAULTS

    def pipeline_class(self) -> type:
        from diffusers import SkyReelsV2DiffusionForcingPipeline

        return SkyReelsV2DiffusionForcingPipeline

    def generate(self, request: VideoRequest, *args: Any, **kwargs: Any) -> Any:
        if request.first_frame is not None:
            raise InvalidRequest(
                "input_reference", f"Model '{self.spec.name}' makes videos from text only: it takes no first frame."
            )
        return super().generate(request, *args, **kwargs)

    def call_arguments(self, prompt: str, frames: int, size: tuple[int, int], generator: Any) -> dict[str, Any]:
        arguments = super().call_arguments(prompt, frames, size, generator)
        base = min(BASE_FRAMES, frames, self.resolved.max_frames)
        base -= (base - 1) % 4  # a valid Wan frame count
        arguments.update(base_num_frames=base, fps=self.resolved.fps)
        if frames > base:
            overlap = min(OVERLAP_FRAMES, base - 4)
            arguments.update(overlap_history=overlap - (overlap - 1) % 4, addnoise_condition=20)
        return arguments
