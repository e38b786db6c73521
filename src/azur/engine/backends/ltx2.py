"""LTX-2 (Lightricks) through diffusers: video with its own soundtrack, made together by one transformer.

Like LTX-Video it makes 8k+1 frames, sides in multiples of 32, and takes the frame rate as an input (24 fps
here); the default window is 121 frames (5 s), as in diffusers' examples. Its text encoder is Gemma 3 and
reads up to 1024 tokens. The sampling follows the LTX-2 model card as understood here: 40 steps at
guidance 4 on both the picture and the sound, plain classifier-free guidance (no spatio-temporal or
modality-isolation guidance, each of which costs one more transformer pass per step), and the LTX-2.0
timestep conditioning (``use_cross_timestep`` is LTX-2.3's, recognised by its per-modality text
projections). Step caching is off: diffusers' caches do not know LTX-2's audio-video blocks.

The clip's sound is the pipeline's waveform (its vocoder's, at the vocoder's sample rate), trimmed or
padded to exactly the clip's length. A clip longer than one window is made window by window as for the
other families: each window continues the picture from the last frame of the one before (through
``LTX2ImageToVideoPipeline``, built with ``from_pipe``: the same weights, no second copy), and that
repeated frame is dropped. The soundtrack of a window cannot be continued that way, so each window makes
its own, placed on the clip's timeline where its frames are, and two windows' sounds cross-fade over the
frames they share (equal power: the two are unrelated sounds). A note says so, since a sound that spans a
join (a voice, a melody) will not carry across it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from azur.engine.backend import Clip, ProgressFn, no_progress
from azur.engine.backends.diffusers_base import FamilyDefaults
from azur.engine.backends.ltx import LTXBackend
from azur.engine.longclip import FrameRule
from azur.engine.request import VideoRequest

DEFAULTS = FamilyDefaults(
    family="ltx2",
    description="LTX-2: text and image to video with its own soundtrack, 24 fps, English prompts",
    fps=24,
    frame_rule=FrameRule(8),
    size_multiple=32,
    area=768 * 512,
    max_frames=121,
    steps=40,
    guidance=4.0,
    max_sequence_length=1024,
    negative_prompt="worst quality, inconsistent motion, blurry, jittery, distorted",
    cache="none",
    sound=True,
)


class LTX2Backend(LTXBackend):
    """LTX's way of driving its two pipelines (frame rate, decode options, the image pipeline from the same
    components), with LTX-2's pipelines and its soundtrack."""

    defaults = DEFAULTS
    i2v_classes = ("LTX2ImageToVideoPipeline",)

    def pipeline_classes(self) -> tuple[type, type]:
        from diffusers import LTX2ImageToVideoPipeline, LTX2Pipeline

        return LTX2Pipeline, LTX2ImageToVideoPipeline

    @property
    def sample_rate(self) -> int:
        """The rate of the vocoder's waveform (24 kHz for LTX-2)."""
        vocoder = self.pipe.vocoder.config
        return int(vocoder.get("output_sampling_rate") or self.pipe.audio_vae.config.sample_rate)

    def _apply_memory_profile(self) -> None:
        super()._apply_memory_profile()
        if self.device == "cuda" and self.options.memory == "group_offload":
            # The shared profile streams the transformer and the text encoder and keeps the VAE on the GPU;
            # LTX-2's text connectors, audio VAE and vocoder must be there too (untested on a GPU here).
            for name in ("connectors", "audio_vae", "vocoder"):
                getattr(self.pipe, name).to("cuda")

    def call_arguments(self, prompt: str, frames: int, size: tuple[int, int], generator: Any) -> dict[str, Any]:
        arguments = super().call_arguments(prompt, frames, size, generator)
        guidance = self.sampling.guidance
        arguments.update(
            audio_guidance_scale=guidance,
            # The pipeline's defaults are LTX-2.3's: rescaled guidance and two extra guidance passes.
            guidance_rescale=0.0,
            audio_guidance_rescale=0.0,
            stg_scale=0.0,
            audio_stg_scale=0.0,
            modality_scale=1.0,
            audio_modality_scale=1.0,
            use_cross_timestep=bool(self.pipe.connectors.config.get("per_modality_projections", False)),
        )
        return arguments

    def window_frames(self, output: Any) -> np.ndarray:
        sound = output.audio[0]  # (channels, samples), a tensor whatever the output_type
        self._window_sounds.append(sound.float().cpu().numpy() if hasattr(sound, "cpu") else np.asarray(sound))
        return output.frames[0]

    def generate(self, request: VideoRequest, progress: ProgressFn = no_progress) -> Clip:
        from azur.media.audio import Audio

        self._window_sounds: list[np.ndarray] = []
        clip = super().generate(request, progress)
        plan = self.plan(request)
        rate = self.sample_rate
        sound = join_window_sounds(self._window_sounds, plan.windows, plan.overlap, plan.native_fps, rate)
        # Output frame j shows native time j / fps (longclip.conform): the sound keeps the native timeline.
        length = round(request.frame_count * rate / request.fps)
        clip.audio = Audio.from_array(np.clip(fit_length(sound, length), -1.0, 1.0), rate)  # Audio's range
        if len(plan.windows) > 1:
            clip.notes.append(
                f"{self.spec.name} made the sound of each of its {len(plan.windows)} windows separately; "
                "they cross-fade where the windows meet"
            )
        return clip


def fit_length(samples: np.ndarray, length: int) -> np.ndarray:
    """``samples`` (channels, n) cut or padded with silence to exactly ``length`` samples. The vocoder's
    waveform is a few milliseconds off the frames' duration (its latents are rounded to whole steps)."""
    if samples.shape[1] >= length:
        return samples[:, :length]
    return np.pad(samples, ((0, 0), (0, length - samples.shape[1])))


def join_window_sounds(
    sounds: Sequence[np.ndarray], windows: Sequence[int], overlap: int, fps: float, rate: int
) -> np.ndarray:
    """One waveform (channels, n) from the windows' own sounds, each placed where its frames are.

    Window ``i`` shows ``windows[i]`` frames, the first ``overlap`` of them (after the first window) the
    same moments as the last frames of the window before; over those moments the earlier sound fades out
    and the later one fades in, at equal power. ``sounds[i]`` is fitted to its window's duration first."""
    if len(sounds) != len(windows):
        raise ValueError(f"{len(sounds)} sounds for {len(windows)} windows")
    joined = fit_length(sounds[0], round(windows[0] * rate / fps))
    start_frame = 0
    for count, sound, previous in zip(windows[1:], sounds[1:], windows[:-1], strict=True):
        start_frame += previous - overlap
        start = round(start_frame * rate / fps)
        end = round((start_frame + count) * rate / fps)
        piece = fit_length(sound, end - start)
        shared = joined.shape[1] - start
        ramp = (np.arange(shared) + 0.5) / max(shared, 1) * (math.pi / 2)
        mixed = joined[:, start:] * np.cos(ramp) + piece[:, :shared] * np.sin(ramp)
        joined = np.concatenate([joined[:, :start], mixed, piece[:, shared:]], axis=1)
    return joined.astype(np.float32)
