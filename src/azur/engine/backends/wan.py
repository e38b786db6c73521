"""Wan 2.1 and 2.2 (Alibaba) through diffusers: text-to-video (2.1 1.3B and 14B; 2.2 TI2V-5B and A14B) and
image-to-video (2.1 14B 480P/720P).

Wan 2.2 needs nothing of its own here: its folders are ``WanPipeline`` ones. TI2V-5B has a VAE that
compresses 16x (sides in multiples of 32) and per-token timesteps (``expand_timesteps``), and runs at 24 fps
(install it with ``fps = 24``, ``area = 901120``: ``azur models pull wan2.2-5b`` sets them). A14B holds two
experts, ``transformer`` for the noisy first steps and ``transformer_2`` for the rest; the pipeline hands
over at ``boundary_ratio`` (model_index.json), both stay loaded (offloading moves them as needed).

Wan makes 4k+1 frames at 16 fps, sides in multiples of 16, at most 81 frames (5 s) per window; its text
encoder (UMT5) reads Chinese, English and many other languages, so prompts pass through untouched. The
folder's ``model_index.json`` says which pipeline it is: ``WanPipeline`` (text-to-video) or
``WanImageToVideoPipeline`` (needs a first frame; windows continue from the last frame through it).

A text-to-video folder has no image pipeline, so a first frame, and each window after the first, is
imposed by temporal in-painting: the given frames are VAE-encoded (Wan's VAE is causal, so one frame is
exactly one latent frame) and written, noised to the current noise level, over the first latent frames
after every denoising step; the model fills in the rest consistently with them.
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
from azur.engine.longclip import FrameRule

# The model card's negative prompt, shortened (Wan reads it in any language; these are its usual faults).
NEGATIVE_PROMPT = (
    "bright colors, overexposed, static, blurred details, subtitles, worst quality, low quality, JPEG artifacts, "
    "ugly, deformed, extra fingers, poorly drawn hands, poorly drawn face, fused fingers, messy background, "
    "walking backwards"
)

DEFAULTS = FamilyDefaults(
    family="wan",
    description="Wan 2.1: text and image to video, prompts in Chinese, English and other languages",
    fps=16,
    frame_rule=FrameRule(4),
    size_multiple=16,
    area=832 * 480,  # 480p; set area = 921600 (1280x720) for the 14B 720P checkpoints
    max_frames=81,
    steps=50,
    guidance=5.0,
    max_sequence_length=512,
    negative_prompt=NEGATIVE_PROMPT,
    fp32_components=("vae", "image_encoder"),  # the model card decodes and encodes images in float32
)


class WanBackend(DiffusersBackend):
    defaults = DEFAULTS
    i2v_classes = ("WanImageToVideoPipeline",)

    def pipeline_class(self) -> type:
        from diffusers import WanImageToVideoPipeline, WanPipeline

        return WanImageToVideoPipeline if self.is_i2v else WanPipeline

    @property
    def size_multiple(self) -> int:
        """VAE compression x patch: 16 for Wan 2.1 and the A14B experts, 32 for Wan 2.2 TI2V-5B's VAE."""
        patch = self.pipe.transformer.config.patch_size[1]
        return int(self.pipe.vae_scale_factor_spatial) * int(patch)

    def latent_inpainter(self, condition: np.ndarray, frames: int, generator: Any) -> Callable[[Any, int, Any], Any]:
        import torch

        vae = self.pipe.vae
        device = module_device(vae, self.pipe)
        with torch.inference_mode():
            video = to_video_tensor(condition, vae.dtype, device)
            latent = vae.encode(video).latent_dist.mode().float()
        # The pipeline denoises normalised latents: (z - mean) / std per channel (see WanPipeline's decode).
        mean = torch.tensor(vae.config.latents_mean, dtype=torch.float32, device=latent.device).view(1, -1, 1, 1, 1)
        std = torch.tensor(vae.config.latents_std, dtype=torch.float32, device=latent.device).view(1, -1, 1, 1, 1)
        target = (latent - mean) / std
        return flow_inpainter(target, generator, frame_axis=2)


def flow_inpainter(target: Any, generator: Any, *, frame_axis: int) -> Callable[[Any, int, Any], Any]:
    """For flow-matching schedulers (x_sigma = (1 - sigma) x0 + sigma noise): after step ``i`` the latents
    sit at ``sigmas[i + 1]``; put the target frames there, with one fixed noise draw."""
    import torch

    noise = torch.randn(target.shape, generator=generator, dtype=torch.float32).to(target.device)
    count = target.shape[frame_axis]

    def inpaint(pipeline: Any, step: int, latents: Any) -> Any:
        sigmas = pipeline.scheduler.sigmas
        sigma = float(sigmas[step + 1]) if step + 1 < len(sigmas) else 0.0
        mixed = ((1.0 - sigma) * target + sigma * noise).to(device=latents.device, dtype=latents.dtype)
        index = [slice(None)] * latents.ndim
        index[frame_axis] = slice(0, count)
        latents[tuple(index)] = mixed
        return latents

    return inpaint


def module_device(module: Any, pipe: Any) -> Any:
    """Where a component's weights are now (offloaded ones report the pipeline's execution device)."""
    import torch

    try:
        device = next(module.parameters()).device
    except StopIteration:
        device = torch.device("cpu")
    return pipe._execution_device if device.type == "meta" else device
