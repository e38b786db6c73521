"""How fast each open-weight family runs, measured without downloading any weights.

Speed does not depend on the weights' values, so each family's transformer and VAE are built from their
published configurations (the ``config.json`` of the diffusers checkpoints, copied below) with random
weights; the text encoder is replaced by random embeddings of its output shape (its cost, one pass per
prompt, is not counted). For each family, size and option it times:

- seconds per denoising step (two transformer passes with classifier-free guidance, one without),
- the VAE decode of the whole clip,
- end to end = steps x seconds per step + decode (5 s of video at the family's native frame rate),
- peak memory (GPU allocated on CUDA; the process's peak RSS on a CPU).

Options: ``bf16`` (the baseline on a GPU; float32 on a CPU, where bfloat16 is slow), ``fp8`` (weights stored in float8, upcast per layer),
``compile`` (torch.compile of the repeated blocks, GPU only), ``few-step`` (a distilled preset: 4 steps, no
guidance), and ``cp2`` (context parallelism over 2 GPUs: run it under ``torchrun --nproc-per-node 2``).
Step caches are not timed: how many blocks they skip depends on the real weights (random weights change
a lot between steps), so their speed-up can only be measured on a real checkpoint (bench/step_cache.py).

    python bench/gpu_speed.py --smoke                   # CPU, reduced sizes: checks the harness
    python bench/gpu_speed.py --families wan2.1-1.3b --sizes 480p --options bf16,few-step,compile
    python bench/gpu_speed.py --json results.json       # full size: needs a GPU (an H100/H200 for 720p 5B)
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import sys
import time
from dataclasses import dataclass, field
from typing import Any

# Published configurations (diffusers checkpoints' transformer/config.json and vae/config.json).
WAN21_13B = dict(  # Wan-AI/Wan2.1-T2V-1.3B-Diffusers
    patch_size=(1, 2, 2), num_attention_heads=12, attention_head_dim=128, in_channels=16, out_channels=16,
    text_dim=4096, freq_dim=256, ffn_dim=8960, num_layers=30, cross_attn_norm=True, qk_norm="rms_norm_across_heads",
    eps=1e-6, added_kv_proj_dim=None, rope_max_seq_len=1024,
)
WAN21_VAE = dict(base_dim=96, z_dim=16, dim_mult=[1, 2, 4, 4], num_res_blocks=2, temperal_downsample=[False, True, True])
WAN22_5B = dict(  # Wan-AI/Wan2.2-TI2V-5B-Diffusers
    patch_size=(1, 2, 2), num_attention_heads=24, attention_head_dim=128, in_channels=48, out_channels=48,
    text_dim=4096, freq_dim=256, ffn_dim=14336, num_layers=30, cross_attn_norm=True, qk_norm="rms_norm_across_heads",
    eps=1e-6, added_kv_proj_dim=None, rope_max_seq_len=1024,
)
WAN22_VAE = dict(  # the Wan 2.2 VAE: 16x spatial compression, 48 latent channels, 2x2 patchified pixels
    base_dim=160, decoder_base_dim=256, z_dim=48, dim_mult=[1, 2, 4, 4], num_res_blocks=2,
    temperal_downsample=[False, True, True], is_residual=True, in_channels=12, out_channels=12, patch_size=2,
    scale_factor_spatial=16, scale_factor_temporal=4, latents_mean=[0.0] * 48, latents_std=[1.0] * 48,
)
LTX_2B = dict(  # Lightricks/LTX-Video (0.9.x 2B): the class defaults are its published config
    in_channels=128, out_channels=128, patch_size=1, patch_size_t=1, num_attention_heads=32, attention_head_dim=64,
    cross_attention_dim=2048, num_layers=28, caption_channels=4096,
)
LTX_VAE: dict[str, Any] = {}  # AutoencoderKLLTXVideo's defaults: the 0.9.0 VAE (32x spatial, 8x temporal)


@dataclass(frozen=True)
class Family:
    transformer: str
    transformer_config: dict
    vae: str
    vae_config: dict
    latent_channels: int
    spatial: int  # pixels per latent pixel
    temporal: int  # frames per latent frame (the first frame alone)
    fps: int
    text_dim: int
    text_tokens: int
    steps: int  # the model card's steps
    sizes: dict[str, tuple[int, int]] = field(default_factory=dict)  # name → (width, height)


FAMILIES = {
    "wan2.1-1.3b": Family("WanTransformer3DModel", WAN21_13B, "AutoencoderKLWan", WAN21_VAE, 16, 8, 4, 16, 4096, 512, 50,
                          {"480p": (832, 480), "720p": (1280, 720)}),
    "wan2.2-5b": Family("WanTransformer3DModel", WAN22_5B, "AutoencoderKLWan", WAN22_VAE, 48, 16, 4, 24, 4096, 512, 50,
                        {"480p": (832, 480), "720p": (1280, 704)}),
    "ltx-2b": Family("LTXVideoTransformer3DModel", LTX_2B, "AutoencoderKLLTXVideo", LTX_VAE, 128, 32, 8, 24, 4096, 128, 50,
                     {"480p": (832, 480), "720p": (1280, 704)}),
}
OPTIONS = ("bf16", "fp8", "compile", "few-step", "cp2")
FEW_STEPS = 4


def smoke_config(family: Family) -> Family:
    """The same architecture cut down for a CPU: 2 blocks, a quarter of the heads and feed-forward width, and
    a VAE a quarter as wide. Its numbers check the harness; they say nothing about a GPU."""
    t = dict(family.transformer_config)
    t["num_layers"] = 2
    t["num_attention_heads"] = max(1, t["num_attention_heads"] // 4)
    if "ffn_dim" in t:
        t["ffn_dim"] //= 4
    if family.transformer.startswith("LTX"):
        t["cross_attention_dim"] = t["num_attention_heads"] * t["attention_head_dim"]
    v = dict(family.vae_config)
    if family.vae == "AutoencoderKLWan":
        v["base_dim"] = v.get("base_dim", 96) // 4
        if v.get("decoder_base_dim"):
            v["decoder_base_dim"] //= 4
    else:
        v.update(block_out_channels=(32, 64, 128, 128), decoder_block_out_channels=(32, 64, 128, 128))
    return Family(family.transformer, t, family.vae, v, family.latent_channels, family.spatial, family.temporal,
                  family.fps, family.text_dim, 16, 4, {"smoke": (96, 64)})


def peak_bytes(device: str) -> int:
    import torch

    if device == "cuda":
        return int(torch.cuda.max_memory_allocated())
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)


def sync(device: str) -> None:
    import torch

    if device == "cuda":
        torch.cuda.synchronize()


def build(family: Family, option: str, device: str, dtype: Any) -> tuple[Any, Any]:
    import diffusers
    import torch

    diffusers.utils.logging.set_verbosity_error()
    torch.manual_seed(0)
    with torch.device(device):
        transformer = getattr(diffusers, family.transformer)(**family.transformer_config).to(dtype).eval()
        vae = getattr(diffusers, family.vae)(**family.vae_config).to(torch.float32 if family.vae == "AutoencoderKLWan"
                                                                      else dtype).eval()
    # As from_pretrained(dtype=...) does: the modules the model keeps in float32 (Wan's norms, time embedding).
    keep = getattr(transformer, "_keep_in_fp32_modules", None) or []
    for name, module in transformer.named_modules():
        if any(part in keep for part in name.split(".")):
            module.to(torch.float32)
    if option == "fp8":
        transformer.enable_layerwise_casting(storage_dtype=torch.float8_e4m3fn, compute_dtype=dtype)
    if option == "compile":
        transformer.compile_repeated_blocks(fullgraph=True)
    if option == "cp2":
        from diffusers import ContextParallelConfig

        transformer.enable_parallelism(config=ContextParallelConfig(ulysses_degree=2))
    return transformer, vae


def transformer_inputs(family: Family, frames: int, size: tuple[int, int], device: str, dtype: Any) -> dict:
    import torch

    latent_frames = (frames - 1) // family.temporal + 1
    height, width = size[1] // family.spatial, size[0] // family.spatial
    text = torch.randn(1, family.text_tokens, family.text_dim, device=device, dtype=dtype)  # the text encoder's output
    timestep = torch.tensor([500.0], device=device)
    if family.transformer == "WanTransformer3DModel":
        latents = torch.randn(1, family.latent_channels, latent_frames, height, width, device=device, dtype=dtype)
        return {"hidden_states": latents, "timestep": timestep, "encoder_hidden_states": text, "return_dict": False}
    latents = torch.randn(1, latent_frames * height * width, family.latent_channels, device=device, dtype=dtype)
    return {
        "hidden_states": latents, "timestep": timestep, "encoder_hidden_states": text,
        "encoder_attention_mask": torch.ones(1, family.text_tokens, device=device), "num_frames": latent_frames,
        "height": height, "width": width, "rope_interpolation_scale": (family.temporal / family.fps, family.spatial,
                                                                       family.spatial), "return_dict": False,
    }


def latent_video(family: Family, frames: int, size: tuple[int, int], device: str, dtype: Any) -> Any:
    import torch

    latent_frames = (frames - 1) // family.temporal + 1
    shape = (1, family.latent_channels, latent_frames, size[1] // family.spatial, size[0] // family.spatial)
    return torch.randn(shape, device=device, dtype=dtype)


def measure(name: str, family: Family, size_name: str, option: str, device: str, repeats: int) -> dict[str, Any]:
    import torch

    dtype = torch.bfloat16 if device == "cuda" else torch.float32
    size = family.sizes[size_name]
    frames = (5 * family.fps // family.temporal) * family.temporal + 1  # 5 s, a valid frame count (4k+1, 8k+1)
    if size_name == "smoke":
        frames = family.temporal * 2 + 1
    if device == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
    transformer, vae = build(family, option, device, dtype)
    inputs = transformer_inputs(family, frames, size, device, dtype)
    passes = 1 if option == "few-step" else 2  # conditional and unconditional with guidance
    steps = FEW_STEPS if option == "few-step" else family.steps
    with torch.inference_mode():
        for _ in range(1 if option != "compile" else 2):  # warm-up (compilation happens here)
            transformer(**inputs)
        sync(device)
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            for _ in range(passes):
                transformer(**inputs)
            sync(device)
            times.append(time.perf_counter() - started)
        step_s = sorted(times)[len(times) // 2]
        latents = latent_video(family, frames, size, device, vae.dtype)
        started = time.perf_counter()
        vae.decode(latents, return_dict=False)
        sync(device)
        decode_s = time.perf_counter() - started
    peak = peak_bytes(device)
    del transformer, vae, inputs, latents
    gc.collect()
    return {
        "family": name, "size": f"{size_name} ({size[0]}x{size[1]}, {frames} frames)", "option": option,
        "steps": steps, "step_s": step_s, "decode_s": decode_s, "end_to_end_s": steps * step_s + decode_s,
        "peak_gb": peak / 1e9, "device": device, "dtype": str(dtype).removeprefix("torch."),
    }


def print_table(rows: list[dict[str, Any]], device_name: str) -> None:
    print(f"\nAzur GPU speed, random weights, {device_name}")
    header = f"{'family':<12} {'size':<32} {'option':<9} {'dtype':<8} {'steps':>5} {'s/step':>8} {'decode s':>9} {'total s':>9} {'peak GB':>8}"
    print(header)
    print("-" * len(header))
    for r in rows:
        if "error" in r:
            print(f"{r['family']:<12} {r['size']:<32} {r['option']:<9} {'':<8} {r['error']}")
            continue
        print(f"{r['family']:<12} {r['size']:<32} {r['option']:<9} {r['dtype']:<8} {r['steps']:>5} {r['step_s']:>8.3f} "
              f"{r['decode_s']:>9.2f} {r['end_to_end_s']:>9.1f} {r['peak_gb']:>8.2f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="reduced sizes on the CPU (checks the harness)")
    parser.add_argument("--families", default=",".join(FAMILIES), help=f"comma-separated: {', '.join(FAMILIES)}")
    parser.add_argument("--sizes", default="480p,720p")
    parser.add_argument("--options", default="bf16,fp8,compile,few-step", help=f"comma-separated: {', '.join(OPTIONS)}")
    parser.add_argument("--repeats", type=int, default=3, help="timed steps per measurement (the median is kept)")
    parser.add_argument("--json", help="also write the rows to this file")
    args = parser.parse_args(argv)

    import torch

    device = "cuda" if torch.cuda.is_available() and not args.smoke else "cpu"
    if "cp2" in args.options and device == "cuda":
        import os

        import torch.distributed as dist

        if int(os.environ.get("WORLD_SIZE", "1")) != 2:
            print("cp2 runs under torchrun --nproc-per-node 2.", file=sys.stderr)
            return 2
        torch.cuda.set_device(int(os.environ["LOCAL_RANK"]))
        dist.init_process_group("nccl")
    if device == "cpu" and not args.smoke:
        print("No CUDA GPU: full sizes need one. Run with --smoke for the reduced CPU check.", file=sys.stderr)
        return 2
    families = [f.strip() for f in args.families.split(",") if f.strip()]
    options = [o.strip() for o in args.options.split(",") if o.strip()]
    for value, allowed, what in ((families, FAMILIES, "family"), (options, OPTIONS, "option")):
        unknown = [v for v in value if v not in allowed]
        if unknown:
            print(f"Unknown {what} {unknown[0]!r}; allowed: {', '.join(allowed)}.", file=sys.stderr)
            return 2
    rows = []
    for name in families:
        family = smoke_config(FAMILIES[name]) if args.smoke else FAMILIES[name]
        sizes = ["smoke"] if args.smoke else [s.strip() for s in args.sizes.split(",")]
        for size_name in sizes:
            for option in options:
                if device == "cpu" and option in ("compile", "cp2"):
                    rows.append({"family": name, "size": size_name, "option": option, "error": "needs CUDA GPUs"})
                    continue
                try:
                    rows.append(measure(name, family, size_name, option, device, args.repeats))
                except Exception as exc:  # noqa: BLE001 - one failed row must not hide the others
                    rows.append({"family": name, "size": size_name, "option": option,
                                 "error": f"{type(exc).__name__}: {str(exc)[:120]}"})
    device_name = torch.cuda.get_device_name() if device == "cuda" else "CPU (smoke: 2 blocks, 1/4 width)"
    print_table(rows, device_name)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"device": device_name, "rows": rows}, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
