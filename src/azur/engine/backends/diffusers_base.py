"""What every open-weight (Hugging Face diffusers) backend shares: loading, memory, speed, windows.

A :class:`DiffusersBackend` is built from a catalog :class:`~azur.engine.catalog.ModelSpec` (a local
diffusers folder, never a download) and runs one family of pipelines; the family modules (``wan.py``,
``ltx.py``, ``ltx2.py``, ``cogvideox.py``) say only what differs: their defaults (:class:`FamilyDefaults`), which
pipeline classes to load, and how to continue a clip from given frames. The steps of one clip:

1. plan: the asked size and duration become a native size and windows (:mod:`azur.engine.longclip`);
2. each window runs the pipeline, reporting progress per denoising step through diffusers'
   ``callback_on_step_end``; a window after the first, and a window given a first frame, is conditioned
   on frames (an image-to-video pipeline where the model has one, else the frames' latents are written
   into the denoised latents at every step: temporal in-painting);
3. the native frames are brought to 24 fps and the asked size, frame by frame (``longclip.conform``).

Memory profiles (``memory``, ``dtype``, ``quantize``, ``vae_tiling``/``vae_slicing``) and speed switches
(``cache``, ``compile``) come from :class:`~azur.config.ModelOptions`. Offloading and compilation need a
CUDA GPU: on a CPU the model simply runs in float32 and a note says which settings were not applied.

What this module does not know: whether a checkpoint is any good at a size or length other than its
native one (the defaults follow the model cards), or how fast the real models run; ``bench/`` measures that.
"""

from __future__ import annotations

import resource
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from azur.config import ModelOptions, Settings
from azur.engine.backend import Clip, ModelInfo, ProgressFn, no_progress
from azur.engine.catalog import ModelSpec, effective_options
from azur.engine.longclip import (
    FrameRule,
    WindowPlan,
    conform,
    native_frames_needed,
    native_size,
    plan_windows,
)
from azur.engine.presets import MIN_CACHED_STEPS, SamplingPreset, cache_allowed, make_scheduler, model_presets
from azur.engine.request import InvalidRequest, VideoRequest

# A style preset becomes a few words at the end of the prompt (the embedded model draws styles itself).
STYLE_SUFFIXES = {
    "flat": "flat 2D vector animation",
    "cartoon": "cartoon with bold outlines",
    "soft": "soft painterly lighting",
}
MAX_SECONDS = 60  # windowed extension has no hard limit; the configured max_seconds applies first
# Share of a window's progress given to denoising; the VAE decode takes the rest.
DENOISE_SHARE = 0.9


class BackendUnavailable(RuntimeError):
    """A model cannot be loaded as configured (a missing package, a setting that needs a GPU)."""


@dataclass(frozen=True)
class FamilyDefaults:
    """A family's native constraints and sampling defaults (from the model cards). Options override the
    ones that are not structural: fps, area, max_frames, steps, guidance and the rest."""

    family: str
    description: str
    fps: int  # native frame rate
    frame_rule: FrameRule  # frame counts the pipeline accepts
    size_multiple: int  # VAE downscale x transformer patch
    area: int  # native pixels per frame
    max_frames: int  # longest window
    steps: int
    guidance: float
    max_sequence_length: int
    negative_prompt: str
    cache: str = "first_block"  # step caching, on by default at a conservative threshold
    cache_threshold: float = 0.05
    overlap_frames: int = 1  # frames each window continues from
    distilled_steps: int = 8
    fp32_components: tuple[str, ...] = ()  # components kept in float32 whatever the dtype (Wan's VAE)
    sound: bool = False  # the family makes a soundtrack with the video (LTX-2)
    first_frame: bool = True  # can start from a given image (and so continue windows)


@dataclass
class Resolved:
    """The effective settings of one loaded model: family defaults with the options applied."""

    steps: int
    guidance: float
    negative_prompt: str
    fps: int
    area: int
    max_frames: int
    overlap: int
    max_sequence_length: int
    apply_style: bool = True
    extra_call: dict[str, Any] = field(default_factory=dict)  # family-specific pipeline arguments


def resolve(defaults: FamilyDefaults, options: ModelOptions) -> Resolved:
    distilled = bool(options.distilled)
    steps = options.steps or (defaults.distilled_steps if distilled else defaults.steps)
    if options.guidance is not None:
        guidance = options.guidance
    else:
        guidance = 1.0 if distilled else defaults.guidance
    return Resolved(
        steps=steps,
        guidance=guidance,
        negative_prompt=defaults.negative_prompt if options.negative_prompt is None else options.negative_prompt,
        fps=options.fps or defaults.fps,
        area=options.area or defaults.area,
        max_frames=options.max_frames or defaults.max_frames,
        overlap=options.overlap_frames or defaults.overlap_frames,
        max_sequence_length=options.max_sequence_length or defaults.max_sequence_length,
        apply_style=options.styles is not False,
    )


def peak_memory_bytes(device: str) -> int:
    """Peak GPU memory allocated since the last reset on CUDA; the process's peak RSS on a CPU."""
    if device == "cuda":
        import torch

        return int(torch.cuda.max_memory_allocated())
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)  # macOS reports bytes, Linux KiB


class TransformerCallCounter:
    """Counts transformer evaluations during generation, to measure step caching.

    ``calls`` counts forward passes of the whole transformer (one per step, per guidance branch where
    the pipeline runs them separately); ``full`` counts those in which the last block really ran. Step
    caches (FirstBlockCache, MagCache) skip the remaining blocks, so ``full < calls`` shows their saving.
    """

    def __init__(self, transformer: Any) -> None:
        self.calls = 0
        self.full = 0
        blocks = _transformer_blocks(transformer)
        # A leaf inside the last block runs only when the block is not skipped by a cache hook.
        probe = next((m for m in blocks[-1].modules() if not list(m.children())), blocks[-1]) if blocks else None
        self._handles = [transformer.register_forward_pre_hook(self._on_call)]
        if probe is not None:
            self._handles.append(probe.register_forward_pre_hook(self._on_full))

    def _on_call(self, module: Any, args: Any) -> None:
        self.calls += 1

    def _on_full(self, module: Any, args: Any) -> None:
        self.full += 1

    def reset(self) -> None:
        self.calls = self.full = 0

    def close(self) -> None:
        for handle in self._handles:
            handle.remove()


def _transformer_blocks(transformer: Any) -> list[Any]:
    import torch

    for name in ("blocks", "transformer_blocks"):
        blocks = getattr(transformer, name, None)
        if isinstance(blocks, torch.nn.ModuleList) and len(blocks):
            return list(blocks)
    return []


class DiffusersBackend:
    """One model from a local diffusers folder. Subclasses set :attr:`defaults` and the family hooks."""

    defaults: FamilyDefaults
    i2v_classes: tuple[str, ...] = ()  # pipeline classes that take an image (model_index _class_name)

    def __init__(self, spec: ModelSpec, settings: Settings | None = None) -> None:
        if settings is None:
            from azur.config import get_settings

            settings = get_settings()
        self.spec = spec
        self.options = effective_options(spec, settings)
        self.resolved = resolve(self.defaults, self.options)
        self.presets = model_presets(self.defaults, self.options)
        self.sampling = self.presets["standard"]  # the preset of the request being made
        self.is_i2v = spec.pipeline_class in self.i2v_classes
        self.info = describe(spec)
        self.load_notes: list[str] = []
        self.load_stats: dict[str, float] = {}
        started = time.perf_counter()
        self.device = self._pick_device()
        self.pipe = self._load()
        self._apply_loras()  # before offloading hooks and compilation wrap the transformer
        self._apply_memory_profile()
        from azur.engine import parallel

        if parallel.in_group():
            # Before compilation: the parallel attention is what gets compiled.
            self.load_notes.append(parallel.enable_context_parallel(self.pipe.transformer))
        self._apply_speedups()
        self.load_stats["load_s"] = time.perf_counter() - started

    # ---- loading -------------------------------------------------------------------------------------

    def pipeline_class(self) -> type:
        """The diffusers class that loads this folder (the family picks by ``spec.pipeline_class``)."""
        raise NotImplementedError

    def _pick_device(self) -> str:
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"  # a group's rank has set its own current GPU

    def _dtype(self) -> Any:
        import torch

        choice = self.options.dtype or "auto"
        if choice == "auto":
            choice = "bf16" if self.device == "cuda" else "fp32"
        if self.device == "cpu" and choice != "fp32":
            self.load_notes.append(f"dtype {choice} asked, but a CPU runs float32 here")
            choice = "fp32"
        return {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": torch.float32}[choice]

    def _quantization(self, dtype: Any) -> Any:
        """diffusers' on-the-fly quantisation of the transformer (bitsandbytes; CUDA only)."""
        kind = self.options.quantize or "none"
        if kind in ("none", "fp8_layerwise"):
            return None
        if self.device != "cuda":
            raise BackendUnavailable(f"quantize = '{kind}' needs a CUDA GPU (bitsandbytes); this machine has none.")
        try:
            import bitsandbytes  # noqa: F401
        except ImportError:
            raise BackendUnavailable(f"quantize = '{kind}' needs bitsandbytes: pip install bitsandbytes") from None
        from diffusers.quantizers import PipelineQuantizationConfig

        if kind == "int8":
            backend, kwargs = "bitsandbytes_8bit", {"load_in_8bit": True}
        else:
            backend = "bitsandbytes_4bit"
            kwargs = {"load_in_4bit": True, "bnb_4bit_quant_type": "nf4", "bnb_4bit_compute_dtype": dtype}
        return PipelineQuantizationConfig(quant_backend=backend, quant_kwargs=kwargs, components_to_quantize=["transformer"])

    def _load(self) -> Any:
        import torch

        dtype = self._dtype()
        dtypes: dict[str, Any] = {"default": dtype}
        for name in self.defaults.fp32_components:
            dtypes[name] = torch.float32  # e.g. Wan's VAE: the model card decodes in float32
        kwargs: dict[str, Any] = {"dtype": dtypes, "local_files_only": True}
        quantization = self._quantization(dtype)
        if quantization is not None:
            kwargs["quantization_config"] = quantization
        self.dtype = dtype
        # Azur reports progress itself; diffusers' and transformers' own bars would garble the CLI's.
        import diffusers.utils.logging
        import transformers.utils.logging

        diffusers.utils.logging.disable_progress_bar()
        transformers.utils.logging.disable_progress_bar()
        pipe = self.pipeline_class().from_pretrained(str(self.spec.path), **kwargs)
        pipe.set_progress_bar_config(disable=True)
        return pipe

    def _apply_loras(self) -> None:
        from azur.engine.loras import LoraSwitch

        if self.spec.loras:
            both = getattr(self.pipe, "transformer_2", None) is not None
            self.lora_switch: LoraSwitch | None = LoraSwitch(self.pipe, self.spec.loras, both_transformers=both)
            self.load_notes += [f"LoRA {lora.name} fused at scale {lora.scale:g}" for lora in self.spec.loras if lora.fixed]
        else:
            self.lora_switch = None

    def select_loras(self, request: VideoRequest) -> list[str]:
        """Activate the adapters ``request`` names (only the model's registered choices); returns notes."""
        from azur.engine.loras import InvalidLora, check_choices

        try:
            check_choices(request.loras, self.spec.loras, self.spec.name)
        except InvalidLora as exc:
            raise InvalidRequest("loras", str(exc)) from None
        if self.lora_switch is None:
            return []
        active = self.lora_switch.select(request.loras)
        return [f"LoRA {name} at scale {scale:g}" for name, scale in active]

    def _apply_memory_profile(self) -> None:
        import torch

        pipe, options = self.pipe, self.options
        if options.quantize == "fp8_layerwise":
            # Weights stored in float8, each layer upcast when it runs: about half the transformer's memory.
            pipe.transformer.enable_layerwise_casting(storage_dtype=torch.float8_e4m3fn, compute_dtype=self.dtype)
        if options.vae_tiling:
            pipe.vae.enable_tiling()
        if options.vae_slicing:
            pipe.vae.enable_slicing()
        profile = options.memory or "gpu"
        if self.device != "cuda":
            if options.memory not in (None, "gpu"):
                self.load_notes.append(f"memory profile '{profile}' needs a CUDA GPU; running on the CPU")
            return  # loaded on the CPU already
        if profile == "gpu":
            pipe.to("cuda")
        elif profile == "model_offload":
            pipe.enable_model_cpu_offload()
        elif profile == "sequential_offload":
            pipe.enable_sequential_cpu_offload()
        elif profile == "group_offload":
            from diffusers.hooks import apply_group_offloading

            onload, offload = torch.device("cuda"), torch.device("cpu")
            # The transformer streams its leaves in (overlapping transfer and compute); the encoders go in
            # groups of blocks; the VAE is small enough to stay on the GPU.
            pipe.transformer.enable_group_offload(
                onload_device=onload, offload_device=offload, offload_type="leaf_level", use_stream=True
            )
            for name in ("text_encoder", "image_encoder"):
                module = getattr(pipe, name, None)
                if module is not None:
                    apply_group_offloading(
                        module, onload_device=onload, offload_device=offload, offload_type="block_level",
                        num_blocks_per_group=4,
                    )
            pipe.vae.to("cuda")

    def _apply_speedups(self) -> None:
        cache = self.options.cache or self.defaults.cache
        if self.options.distilled and self.options.cache is None:
            cache = "none"  # a few-step model changes too much between steps to reuse them
        threshold = self.options.cache_threshold or self.defaults.cache_threshold
        if cache == "mag" and not self.options.mag_ratios:
            raise BackendUnavailable(
                f"cache = 'mag' for model '{self.spec.name}' needs mag_ratios calibrated for this checkpoint "
                "(bench/step_cache.py --calibrate prints them); or use cache = 'first_block'."
            )
        self.cache_kind, self.cache_threshold = cache, threshold
        self.cache_on_steps: int | None = None  # the step count the cache is enabled for; None: off
        self._set_cache(self.presets["standard"].steps)
        self.cache = cache if self.cache_on_steps is not None else "none"
        if cache != "none" and self.cache_on_steps is None:
            self.load_notes.append(
                f"step cache '{cache}' off: {self.presets['standard'].steps} steps is too few to reuse any"
            )
        compile_it = self.options.compile if self.options.compile is not None else self.device == "cuda"
        self.compiled = False
        if compile_it:
            if self.device != "cuda":
                self.load_notes.append("compile needs a CUDA GPU here; running eagerly")
            else:
                # Regional compilation: the repeated block is compiled once and reused, so the first clip
                # waits seconds rather than minutes; fullgraph off because cache hooks break the graph.
                self.pipe.transformer.compile_repeated_blocks(fullgraph=False)
                self.compiled = True

    def _set_cache(self, steps: int) -> bool:
        """Enable the configured step cache for a run of ``steps`` steps, or disable it below
        :data:`~azur.engine.presets.MIN_CACHED_STEPS`; True when it is on."""
        if self.cache_kind == "none":
            return False
        wanted = steps if cache_allowed(steps) else None
        if wanted == self.cache_on_steps:
            return wanted is not None
        transformer = self.pipe.transformer
        if self.cache_on_steps is not None:
            transformer.disable_cache()
        if wanted is not None:
            if self.cache_kind == "first_block":
                from diffusers.hooks import FirstBlockCacheConfig

                transformer.enable_cache(FirstBlockCacheConfig(threshold=self.cache_threshold))
            else:
                from diffusers.hooks import MagCacheConfig

                # MagCache's calibration is per step count: it is set again whenever the count changes.
                transformer.enable_cache(MagCacheConfig(
                    threshold=self.cache_threshold, num_inference_steps=steps, mag_ratios=self.options.mag_ratios,
                ))
        self.cache_on_steps = wanted
        return wanted is not None

    def use_preset(self, request: VideoRequest) -> list[str]:
        """Set the sampling (steps, guidance, shift, scheduler, cache) for ``request``'s quality; returns notes."""
        quality = request.quality or "standard"
        preset: SamplingPreset = self.presets[quality]
        self.sampling = preset
        if not hasattr(self, "checkpoint_scheduler"):
            self.checkpoint_scheduler = self.pipe.scheduler  # "default" always means this one
        scheduler = make_scheduler(self.checkpoint_scheduler, preset)
        for pipe in (self.pipe, getattr(self, "_image_pipe", None)):
            if pipe is not None and pipe.scheduler is not scheduler:
                pipe.scheduler = scheduler
        notes = []
        if request.quality is not None:
            notes.append(f"quality {quality}: {preset.steps} steps, guidance {preset.guidance:g}"
                         + (f", shift {preset.shift:g}" if preset.shift is not None else ""))
            if self.options.distilled and quality != "standard":
                notes.append(f"{self.spec.name} is distilled for {preset.steps} steps: every quality uses them")
        cached = self._set_cache(preset.steps)
        if self.cache_kind != "none" and not cached:
            notes.append(f"step cache off for {preset.steps} steps (fewer than the {MIN_CACHED_STEPS} a cache needs)")
        return notes

    @property
    def size_multiple(self) -> int:
        """Frame sides are multiples of this (the family's; a family may read it from the loaded model)."""
        return self.defaults.size_multiple

    # ---- the request -------------------------------------------------------------------------------

    def plan(self, request: VideoRequest) -> WindowPlan:
        """Native size and windows for ``request`` (see :mod:`azur.engine.longclip`)."""
        d, s = self.defaults, self.resolved
        size = native_size(request.size, s.area, self.size_multiple)
        needed = native_frames_needed(request.frame_count, request.fps, s.fps)
        windows, overlap = plan_windows(needed, rule=d.frame_rule, max_frames=s.max_frames, overlap=s.overlap)
        return WindowPlan(size, s.fps, needed, windows, overlap)

    def prompt_for(self, request: VideoRequest) -> str:
        suffix = STYLE_SUFFIXES.get(request.style) if self.resolved.apply_style else None
        return f"{request.prompt}, {suffix}" if suffix else request.prompt

    def check(self, request: VideoRequest) -> list[str]:
        notes = []
        plan = self.plan(request)
        if len(plan.windows) > 1:
            notes.append(
                f"{request.seconds:g} s is longer than one {self.spec.name} window "
                f"({self.resolved.max_frames} frames at {plan.native_fps} fps): made in {len(plan.windows)} "
                "windows, each continuing from the last frame of the one before"
            )
        # The text encoder reads max_sequence_length tokens; the pipeline drops the rest with only a log line.
        tokenizer = getattr(self.pipe, "tokenizer", None)
        if tokenizer is not None:
            count = len(tokenizer(self.prompt_for(request))["input_ids"])
            limit = self.resolved.max_sequence_length
            if count > limit:
                notes.append(f"The prompt is {count} tokens long; {self.spec.name} reads the first {limit} "
                             "and did not use the rest.")
        return notes

    def generate(self, request: VideoRequest, progress: ProgressFn = no_progress) -> Clip:
        import torch

        if self.is_i2v and request.first_frame is None:
            raise InvalidRequest(
                "input_reference",
                f"Model '{self.spec.name}' is an image-to-video model: give a first frame (input_reference / --image).",
            )
        from azur.engine import parallel

        if parallel.in_group() and parallel.rank() == 0:
            parallel.share_request(request)  # every rank of the group runs this clip with us
        lora_notes = self.select_loras(request) + self.use_preset(request)
        plan = self.plan(request)
        prompt = self.prompt_for(request)
        if self.device == "cuda":
            torch.cuda.reset_peak_memory_stats()
        started = time.perf_counter()
        frames: list[np.ndarray] = []
        steps_done = 0
        windows = len(plan.windows)
        for index, count in enumerate(plan.windows):
            if index == 0:
                condition = None
                if request.first_frame is not None:
                    from azur.engine.longclip import resize_cover

                    condition = resize_cover(request.first_frame, plan.native_size)[None]
            else:
                condition = np.stack(frames[-plan.overlap:])

            def on_step(step: int, total: int, index: int = index) -> None:
                nonlocal steps_done
                steps_done += 1
                window_label = f" (window {index + 1}/{windows})" if windows > 1 else ""
                progress((index + DENOISE_SHARE * step / total) / windows, f"step {step}/{total}{window_label}")

            generator = torch.Generator("cpu").manual_seed((request.seed + index) % 2**63)
            video = self.run_window(prompt, count, plan.native_size, generator, condition, on_step)
            if index > 0:
                video = video[plan.overlap:]  # the frames it continued from, made again
            frames.extend(video)
            progress((index + 1) / windows, "decoded" + (f" window {index + 1}/{windows}" if windows > 1 else ""))
        model_s = time.perf_counter() - started
        peak = peak_memory_bytes(self.device)
        stats = {
            "model_s": model_s,
            "peak_memory_bytes": float(peak),
            "windows": float(windows),
            "native_frames": float(len(frames)),
            "denoising_steps": float(steps_done),
            **self.load_stats,
        }
        where = "GPU allocated" if self.device == "cuda" else "process RSS"
        notes = self.check(request) + self.load_notes + lora_notes + [
            f"{self.spec.name}: {len(frames)} frames at {plan.native_size[0]}x{plan.native_size[1]}, "
            f"{plan.native_fps} fps, {self.sampling.steps} steps in {model_s:.1f} s on {self.device}; "
            f"peak memory {peak / 2**30:.2f} GB ({where})"
        ]
        out = conform(
            frames, native_fps=plan.native_fps, out_frames=request.frame_count, out_fps=request.fps, size=request.size
        )
        return Clip(frames=out, frame_count=request.frame_count, fps=request.fps, notes=notes, stats=stats)

    # ---- one window ----------------------------------------------------------------------------------

    def call_arguments(self, prompt: str, frames: int, size: tuple[int, int], generator: Any) -> dict[str, Any]:
        """Pipeline arguments common to the families; a family adds its own."""
        s = self.resolved
        return {
            "prompt": prompt,
            "negative_prompt": s.negative_prompt or None,
            "height": size[1],
            "width": size[0],
            "num_frames": frames,
            "num_inference_steps": self.sampling.steps,
            "guidance_scale": self.sampling.guidance,
            "generator": generator,
            "max_sequence_length": s.max_sequence_length,
            "output_type": "np",
            **s.extra_call,
        }

    def run_window(
        self,
        prompt: str,
        frames: int,
        size: tuple[int, int],
        generator: Any,
        condition: np.ndarray | None,
        on_step: Callable[[int, int], None],
    ) -> np.ndarray:
        """Generate one window of ``frames`` frames at ``size`` as uint8 (F, H, W, 3). ``condition`` holds
        frames (uint8, at ``size``) the window must start with, or None."""
        import torch

        pipe, arguments = self.pipe, self.call_arguments(prompt, frames, size, generator)
        if condition is not None and self.image_pipeline() is not None:
            from PIL import Image

            pipe = self.image_pipeline()
            arguments["image"] = Image.fromarray(condition[-1])
            inpaint = None
        elif condition is not None:
            inpaint = self.latent_inpainter(condition, frames, generator)
        else:
            inpaint = None

        def callback(pipeline: Any, step: int, timestep: Any, tensors: dict[str, Any]) -> dict[str, Any]:
            if inpaint is not None:
                tensors["latents"] = inpaint(pipeline, step, tensors["latents"])
            on_step(step + 1, pipeline.num_timesteps)
            return tensors

        arguments["callback_on_step_end"] = callback
        arguments["callback_on_step_end_tensor_inputs"] = ["latents"]
        with torch.inference_mode():
            video = self.window_frames(pipe(**arguments))  # (F, H, W, 3) float in [0, 1]
        return (np.clip(video, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)

    def window_frames(self, output: Any) -> np.ndarray:
        """The frames of one window from the pipeline's ``output``; a family whose pipeline makes more than
        frames (LTX-2's soundtrack) keeps the rest here."""
        return output.frames[0]

    def image_pipeline(self) -> Any:
        """The pipeline that starts from an image, when the model has one (else latent in-painting)."""
        return self.pipe if self.is_i2v else None

    def latent_inpainter(
        self, condition: np.ndarray, frames: int, generator: Any
    ) -> Callable[[Any, int, Any], Any]:
        """A step hook that keeps the window's first latent frames on ``condition``. Families without an
        image-to-video pipeline implement it (temporal in-painting, as in SDEdit/RePaint)."""
        raise NotImplementedError(f"{self.defaults.family} cannot continue from frames")


def to_video_tensor(frames: np.ndarray, dtype: Any, device: Any) -> Any:
    """uint8 (F, H, W, 3) frames as a (1, 3, F, H, W) tensor in [-1, 1], what diffusers' VAEs encode."""
    import torch

    video = torch.from_numpy(np.array(frames, copy=True)).to(device=device, dtype=torch.float32)
    video = video.permute(3, 0, 1, 2).unsqueeze(0) / 127.5 - 1.0
    return video.to(dtype)


def build_backend(spec: ModelSpec, settings: Settings | None = None) -> DiffusersBackend:
    """The backend for a catalog entry, by family. Raises :class:`BackendUnavailable` when diffusers is
    not installed."""
    try:
        import diffusers  # noqa: F401
        import torch  # noqa: F401
    except ImportError:
        raise BackendUnavailable(
            f"Model '{spec.name}' needs the diffusers extra: pip install 'azur[diffusers]'"
        ) from None
    if spec.family == "wan":
        from azur.engine.backends.wan import WanBackend as cls
    elif spec.family == "ltx":
        from azur.engine.backends.ltx import LTXBackend as cls
    elif spec.family == "ltx2":
        from azur.engine.backends.ltx2 import LTX2Backend as cls
    elif spec.family == "cogvideox":
        from azur.engine.backends.cogvideox import CogVideoXBackend as cls
    elif spec.family == "skyreels":
        from azur.engine.backends.skyreels import SkyReelsBackend as cls
    else:
        raise BackendUnavailable(f"Unknown family '{spec.family}' for model '{spec.name}'.")
    return cls(spec, settings)


def family_defaults(family: str) -> FamilyDefaults:
    """A family's defaults; importing a family module does not import diffusers."""
    if family == "wan":
        from azur.engine.backends.wan import DEFAULTS
    elif family == "ltx":
        from azur.engine.backends.ltx import DEFAULTS
    elif family == "ltx2":
        from azur.engine.backends.ltx2 import DEFAULTS
    elif family == "cogvideox":
        from azur.engine.backends.cogvideox import DEFAULTS
    elif family == "skyreels":
        from azur.engine.backends.skyreels import DEFAULTS
    else:
        raise BackendUnavailable(f"Unknown family '{family}'.")
    return DEFAULTS


def describe(spec: ModelSpec) -> ModelInfo:
    """What ``GET /v1/models`` shows for a catalog entry, without loading it."""
    from azur.config import get_settings
    from azur.engine.known_models import LICENCES, known_model

    defaults = family_defaults(spec.family)
    options = effective_options(spec, get_settings())
    licence_id = spec.source.get("licence")
    if licence_id is None:
        known = known_model(spec.source.get("repo_id", "")) if spec.source else None
        licence_id = known.licence if known else None
    licence = LICENCES[licence_id].to_json() if licence_id in LICENCES else (
        {"id": licence_id, "name": licence_id, "url": "", "excludes_eu": False, "commercial": "unknown",
         "restrictions": ["a licence Azur does not know: read it"]} if licence_id else None)
    resolved = resolve(defaults, options)
    return ModelInfo(
        name=spec.name,
        family=spec.family,
        description=f"{defaults.description} ({spec.pipeline_class or 'diffusers'}, {spec.path.name})",
        max_seconds=MAX_SECONDS,
        supports_first_frame=defaults.first_frame,
        sound=defaults.sound,
        licence=licence,
        presets={quality: preset.to_json() for quality, preset in model_presets(defaults, options).items()},
        loras=[{"name": lora.name, "scale": lora.scale} for lora in spec.loras if not lora.fixed],
        native={"fps": resolved.fps, "max_frames": resolved.max_frames, "area": resolved.area},
    )
