"""CogVideoX (Zhipu AI / THUDM) through diffusers: 2B and 5B text-to-video, 5B image-to-video, 1.5.

CogVideoX 2B/5B make 4k+1 frames (49 at most) at 8 fps, 720x480, sides in multiples of 16; CogVideoX 1.5
makes up to 81 frames at 16 fps around 1360x768 (set ``fps = 16``, ``max_frames = 81``,
``area = 1044480``). Its text encoder is T5 with a fixed prompt length (the transformer's
``max_text_seq_length``, 226): English prompts read best; others pass through untouched.

Text-to-video folders continue a clip by temporal in-painting (as Wan does, with the DDIM-style noise of
CogVideoX's schedulers); image-to-video folders continue from the last frame through their own pipeline.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from azur.engine.backends.diffusers_base import (
    DiffusersBackend,
    FamilyDefaults,
    to_video_tensor,
)
from azur.engine.backends.wan import module_device
from azur.engine.longclip import FrameRule

DEFAULTS = FamilyDefaults(
    family="cogvideox",
    description="CogVideoX: text and image to video, English prompts",
    fps=8,
    frame_rule=FrameRule(4),
    size_multiple=16,
    area=720 * 480,
    max_frames=49,
    steps=50,
    guidance=6.0,
    max_sequence_length=226,
    negative_prompt="",
)


class CogVideoXBackend(DiffusersBackend):
    defaults = DEFAULTS
    i2v_classes = ("CogVideoXImageToVideoPipeline",)

    def pipeline_class(self) -> type:
        from diffusers import CogVideoXImageToVideoPipeline, CogVideoXPipeline

        return CogVideoXImageToVideoPipeline if self.is_i2v else CogVideoXPipeline

    def _load(self) -> Any:
        pipe = super()._load()
        # The text length is part of the transformer's positional embedding: it cannot be chosen.
        self.resolved.max_sequence_length = pipe.transformer.config.max_text_seq_length
        return pipe

    def call_arguments(self, prompt: str, frames: int, size: tuple[int, int], generator: Any) -> dict[str, Any]:
        arguments = super().call_arguments(prompt, frames, size, generator)
        arguments["use_dynamic_cfg"] = self.resolved.guidance > 1.0  # the model cards' setting
        return arguments

    def latent_inpainter(self, condition: np.ndarray, frames: int, generator: Any) -> Callable[[Any, int, Any], Any]:
        import torch

        pipe = self.pipe
        vae = pipe.vae
        with torch.inference_mode():
            video = to_video_tensor(condition, vae.dtype, module_device(vae, pipe))
            latent = vae.encode(video).latent_dist.sample(generator) * vae.config.scaling_factor
        target = latent.permute(0, 2, 1, 3, 4).float()  # the pipeline's layout: (B, F, C, H, W)
        count = target.shape[1]
        # CogVideoX 1.5 pads the latent frames at the front to a multiple of its temporal patch.
        latent_frames = (frames - 1) // pipe.vae_scale_factor_temporal + 1
        patch_t = pipe.transformer.config.patch_size_t
        pad = (patch_t - latent_frames % patch_t) % patch_t if patch_t else 0
        noise = torch.randn(target.shape, generator=generator, dtype=torch.float32).to(target.device)

        def inpaint(pipeline: Any, step: int, latents: Any) -> Any:
            timesteps = pipeline.scheduler.timesteps
            if step + 1 < len(timesteps):
                mixed = pipeline.scheduler.add_noise(target, noise, timesteps[step + 1 : step + 2])
            else:
                mixed = target
            latents[:, pad : pad + count] = mixed.to(device=latents.device, dtype=latents.dtype)
            return latents

        return inpaint
