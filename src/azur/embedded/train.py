"""Training of the embedded model, deterministic from a seed: `train(TrainConfig(), seed=0, out_dir=...)`.

Three stages, each on data drawn fresh from the procedural world (`world.py`), so nothing is downloaded:

1. text encoder, supervised by the scene attributes (cross-entropy per attribute), then frozen;
2. clip autoencoder: ClipEncoder(8 frames) -> z -> FrameDecoder(z, t) at random times t, plain reconstruction;
3. latent prior: a rectified flow over standardised z, conditioned on the frozen text features and on the
   window's first frame (through an ImageEncoder trained with it).

Output folder: `model.npz` (fp16 weights of every module + latent statistics, read by `infer.py`), `config.json` (the resolved config),
`vocab.json` (words the model was trained on, for `unknown_words`) and `training_log.json` (loss curves, CPU
minutes). `python -m azur.embedded.train --out DIR` runs it from a shell.
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from torch.nn import functional as F

from azur.embedded import world
from azur.embedded.model import ClipEncoder, FrameDecoder, ImageEncoder, LatentPrior, TextEncoder
from azur.embedded.infer import WEIGHTS_FILE, save_weights
from azur.embedded.text import tokenize
from azur.embedded.train_config import TrainConfig


Progress = Callable[[str], None]


# The shipped modules, built from the config the same way when training and when loading weights (the
# state dicts only fit modules of the shape their config describes).
def make_text_encoder(config: TrainConfig) -> TextEncoder:
    return TextEncoder(config.text_width, config.text_layers)


def make_decoder(config: TrainConfig) -> FrameDecoder:
    return FrameDecoder(
        config.latent_dim, config.resolution, config.decoder_width, config.decoder_frequencies,
        harmonics=config.decoder_harmonics,
    )


def make_image_encoder(config: TrainConfig) -> ImageEncoder:
    return ImageEncoder(config.resolution, config.image_features, shape=config.encoder_shape)


def make_prior(config: TrainConfig, text_features: int) -> LatentPrior:
    return LatentPrior(config.latent_dim, text_features, config.image_features, config.prior_width, config.prior_blocks)


def make_shape_probe(config: TrainConfig) -> torch.nn.Linear:
    """Linear read-out of the shape from a window latent: trained with the autoencoder so that the latent
    carries the shape (shape_weight), shipped so the sampler can check which shape a latent will draw."""
    return torch.nn.Linear(config.latent_dim, len(world.SHAPES))


def _cosine(step: int, total: int, floor: float) -> float:
    return floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * step / max(total, 1)))


def _training_caption(scene: world.Scene, rng: np.random.Generator, config: TrainConfig) -> str:
    text = world.caption(scene, rng, "en" if rng.random() < 0.5 else "fr", "train")
    if "," in text and rng.random() < config.clause_swap:
        parts = [p.strip() for p in text.split(",")]
        rng.shuffle(parts)
        text = ", ".join(parts)
    if rng.random() < config.junk_word:
        words = text.split()
        words.insert(int(rng.integers(len(words) + 1)), _made_up_word(rng, config))
        text = " ".join(words)
    return text


@functools.cache
def _fillers() -> tuple[list[str], frozenset[str]]:
    known = world.grammar_words()
    return sorted(w for w in world.filler_words() if len(w) >= 3), frozenset(known)


def _made_up_word(rng: np.random.Generator, config: TrainConfig) -> str:
    """A word no caption contains: the head of one filler word and the tail of another, or random letters.

    Only training-caption fillers are spliced: pieces of held-out words must stay unseen.
    """
    fillers, known = _fillers()
    if rng.random() < config.junk_spliced:
        a, b = fillers[rng.integers(len(fillers))], fillers[rng.integers(len(fillers))]
        word = a[: rng.integers(2, len(a) + 1)] + b[rng.integers(0, len(b) - 1) :]
        if word not in known:
            return word
    return "".join(chr(97 + int(c)) for c in rng.integers(0, 26, rng.integers(3, 9)))


def _labels(scenes: list[world.Scene]) -> list[torch.Tensor]:
    return [
        torch.tensor([values.index(getattr(s, name)) for s in scenes]) for name, values in world.ATTRIBUTES.items()
    ]


def train_text_encoder(config: TrainConfig, rng: np.random.Generator, log: Progress) -> tuple[TextEncoder, list]:
    encoder = make_text_encoder(config)
    optimiser = torch.optim.AdamW(encoder.parameters(), lr=config.text_lr, weight_decay=0.01)
    curve = []
    for step in range(config.text_steps):
        for group in optimiser.param_groups:
            group["lr"] = config.text_lr * _cosine(step, config.text_steps, 0.1)
        scenes = [world.sample_scene(rng) for _ in range(config.text_batch)]
        tokens = tokenize([_training_caption(s, rng, config) for s in scenes])
        logits, _ = encoder(tokens, config.word_dropout, config.piece_dropout)
        loss = sum(F.cross_entropy(lg, y) for lg, y in zip(logits, _labels(scenes)))
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        if step % config.log_every == 0 or step == config.text_steps - 1:
            curve.append((step, round(loss.item(), 4)))
            log(f"text   step {step:5d}  loss {loss.item():.4f}")
    encoder.eval()
    return encoder.requires_grad_(False), curve


def _render_batch(scenes: list[world.Scene], times: np.ndarray, resolution: int) -> torch.Tensor:
    return torch.from_numpy(world.render(scenes, times, resolution))


def train_autoencoder(
    config: TrainConfig, rng: np.random.Generator, log: Progress
) -> tuple[ClipEncoder, FrameDecoder, torch.nn.Linear | None, list]:
    encoder = ClipEncoder(
        config.clip_frames, config.latent_dim, config.resolution, config.encoder_width, shape=config.encoder_shape
    )
    decoder = make_decoder(config)
    params = list(encoder.parameters()) + list(decoder.parameters())
    probe = make_shape_probe(config) if config.shape_weight > 0 else None
    if probe is not None:
        params += list(probe.parameters())
    optimiser = torch.optim.Adam(params, lr=config.ae_lr)
    clip_times = np.tile(world.clip_times(config.clip_frames), (config.ae_batch, 1))
    curve = []
    for step in range(config.ae_steps):
        for group in optimiser.param_groups:
            group["lr"] = config.ae_lr * _cosine(step, config.ae_steps, 0.05)
        scenes = [world.sample_scene(rng) for _ in range(config.ae_batch)]
        times = rng.random((config.ae_batch, config.ae_times)).astype(np.float32)
        frames = _render_batch(scenes, np.concatenate([clip_times, times], axis=1), config.resolution)
        clip, target = frames[:, : config.clip_frames], frames[:, config.clip_frames :]
        mean, log_var = encoder(clip)
        z = mean + torch.randn_like(mean) * (0.5 * log_var).exp()
        background = torch.from_numpy(world.PALETTE[[world.COLORS.index(s.background_color) for s in scenes]])
        on_object = ((target - background[:, None, None, None]).abs().sum(-1) > 0.05).float()
        if config.shape_margin > 0:
            size = 2 * config.shape_margin + 1
            on_object = F.max_pool2d(on_object, size, stride=1, padding=config.shape_margin)
        on_object = on_object.flatten(2)
        # Half the supervised pixels on the object, half anywhere: the object is what is hard to learn and
        # covers ~5% of the frame; evaluating a subset of pixels also makes a step several times cheaper.
        chance = 1.0 / on_object.shape[-1] + on_object / on_object.sum(-1, keepdim=True).clamp(min=1)
        pixels = torch.multinomial(chance.flatten(0, 1), config.ae_pixels, replacement=True)
        pixels = pixels.reshape(config.ae_batch, config.ae_times, -1)
        output, placement = decoder(z, torch.from_numpy(times), pixels=pixels, return_placement=True)
        target = torch.gather(target.flatten(2, 3), 2, pixels[..., None].expand(-1, -1, -1, 3))
        reconstruction = ((output - target) ** 2).mean()
        # Placement supervision (see FrameDecoder): periodic loss on the centre, squared error on log radius.
        true_x, true_y, true_radius = (torch.from_numpy(a).float() for a in world.trajectories(scenes, times))
        centre_error = 2 - torch.cos(2 * math.pi * (placement[..., 0] - true_x)) - torch.cos(
            2 * math.pi * (placement[..., 1] - true_y))
        size_error = (placement[..., 2] - true_radius.log()) ** 2
        object_rgb = torch.from_numpy(world.PALETTE[[world.COLORS.index(s.object_color) for s in scenes]])
        colour_error = (placement[..., 3:6] - object_rgb[:, None]) ** 2 + (placement[..., 6:9] - background[:, None]) ** 2
        placement_loss = centre_error.mean() + config.size_weight * size_error.mean() + colour_error.mean()
        kl = 0.5 * (mean**2 + log_var.exp() - 1 - log_var).sum(1).mean()
        loss = reconstruction + config.kl_weight * kl + config.placement_weight * placement_loss
        if probe is not None:
            shapes = torch.tensor([world.SHAPES.index(s.shape) for s in scenes])
            loss = loss + config.shape_weight * F.cross_entropy(probe(mean), shapes)
        optimiser.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimiser.step()
        if step % config.log_every == 0 or step == config.ae_steps - 1:
            curve.append((step, round(reconstruction.item(), 5), round(placement_loss.item(), 5), round(kl.item(), 2)))
            log(f"ae     step {step:5d}  recon {reconstruction.item():.5f}  "
                f"placement {placement_loss.item():.5f}  kl {kl.item():.1f}")
    encoder.eval()
    decoder.eval()
    if probe is not None:
        probe.eval().requires_grad_(False)
    return encoder.requires_grad_(False), decoder.requires_grad_(False), probe, curve


@dataclass
class LatentBank:
    """Scenes encoded once: z means (N, Z), first frames (N, R, R, 3) uint8, text features of 2 captions each."""

    z: torch.Tensor
    first_frames: torch.Tensor
    decoded_frames: torch.Tensor  # (N, R, R, 3) uint8: D(z, 0), the first frame as the decoder draws it
    text: torch.Tensor  # (N, 2, text_features): one English and one French caption
    # (N,) True where a growing/shrinking scene starts near its size clamp, so it barely changes size. Such
    # a window only makes sense as a continuation: the prior sees it with its first frame, never from text
    # alone (when it did, one text-only "growing" sample in five barely grew).
    clamped: torch.Tensor


def build_bank(
    config: TrainConfig, rng: np.random.Generator, encoder: ClipEncoder, decoder: FrameDecoder,
    text_encoder: TextEncoder,
) -> LatentBank:
    zs, firsts, decodeds, texts, clamped = [], [], [], [], []
    chunk = 512
    times = world.clip_times(config.clip_frames)
    with torch.no_grad():
        for start in range(0, config.prior_bank, chunk):
            n = min(chunk, config.prior_bank - start)
            scenes = [world.sample_scene(rng) for _ in range(n)]
            clip = _render_batch(scenes, np.tile(times, (n, 1)), config.resolution)
            z = encoder(clip)[0]
            zs.append(z)
            firsts.append((clip[:, 0] * 255).round().to(torch.uint8))
            decoded = decoder(z, torch.zeros(n, 1))[:, 0].clamp(0, 1)
            decodeds.append((decoded * 255).round().to(torch.uint8))
            captions = [_training_caption(s, rng, config) for s in scenes for _ in range(2)]
            texts.append(text_encoder.features(tokenize(captions)).reshape(n, 2, -1))
            _, _, radius = world.trajectories(scenes, np.tile(np.array([0.0, 1.0], dtype=np.float32), (n, 1)))
            change = np.abs(np.log(radius[:, 1] / radius[:, 0]))
            sizing = np.array([s.motion in ("growing", "shrinking") for s in scenes])
            clamped.append(torch.from_numpy(sizing & (change < 0.5 * np.array([s.speed for s in scenes]))))
    return LatentBank(torch.cat(zs), torch.cat(firsts), torch.cat(decodeds), torch.cat(texts), torch.cat(clamped))


def train_prior(
    config: TrainConfig, rng: np.random.Generator, bank: LatentBank, text_features: int, log: Progress
) -> tuple[LatentPrior, ImageEncoder, torch.Tensor, torch.Tensor, list]:
    z_mean, z_std = bank.z.mean(0), bank.z.std(0).clamp(min=1e-3)
    target_all = (bank.z - z_mean) / z_std
    prior = make_prior(config, text_features)
    image_encoder = make_image_encoder(config)
    params = list(prior.parameters()) + list(image_encoder.parameters())
    optimiser = torch.optim.AdamW(params, lr=config.prior_lr, weight_decay=0.01)
    generator = torch.Generator().manual_seed(int(rng.integers(2**31)))
    curve = []
    n = len(target_all)
    for step in range(config.prior_steps):
        for group in optimiser.param_groups:
            group["lr"] = config.prior_lr * _cosine(step, config.prior_steps, 0.05)
        index = torch.randint(n, (config.prior_batch,), generator=generator)
        which = torch.randint(2, (config.prior_batch,), generator=generator)
        target = target_all[index]
        text = bank.text[index, which]
        frames = bank.first_frames[index]
        if config.decoded_frames > 0:
            soft = torch.rand(config.prior_batch, generator=generator) < config.decoded_frames
            frames = torch.where(soft[:, None, None, None], bank.decoded_frames[index], frames)
        image = image_encoder(frames.float() / 255)
        drop_text = torch.rand(config.prior_batch, generator=generator) < config.caption_dropout
        drop_image = torch.rand(config.prior_batch, generator=generator) < config.frame_dropout
        drop_image &= ~bank.clamped[index]
        condition = prior.condition(text, image, config.prior_batch, drop_text, drop_image)
        noise = torch.randn(target.shape, generator=generator)
        # Flow times biased to the middle (logit-normal), where the velocity is hardest to predict.
        tau = torch.sigmoid(torch.randn(config.prior_batch, generator=generator))
        x = (1 - tau[:, None]) * noise + tau[:, None] * target
        loss = F.mse_loss(prior(x, tau, condition), target - noise)
        optimiser.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimiser.step()
        if step % config.log_every == 0 or step == config.prior_steps - 1:
            curve.append((step, round(loss.item(), 4)))
            log(f"prior  step {step:5d}  loss {loss.item():.4f}")
    prior.eval()
    image_encoder.eval()
    return prior, image_encoder, z_mean, z_std, curve


def _stage_rng(seed: np.random.SeedSequence) -> np.random.Generator:
    """A stage's own random streams (numpy's, and torch's global one for initialisations and dropout).

    Each stage starts from its own seed, so that changing one stage (more text steps, another caption
    augmentation) leaves the draws of the stages after it as they were: when they shared one stream, a text
    change moved the autoencoder onto other batches, and the autoencoder is sensitive to them (2 of 5 runs
    of one configuration stalled on an early plateau).
    """
    torch.manual_seed(int(seed.generate_state(1, dtype=np.uint64)[0] >> 1))
    return np.random.default_rng(seed)


def train(config: TrainConfig, *, seed: int, out_dir: Path, progress: Progress | None = None) -> dict:
    """Train all stages and write the weights folder. Returns the training log (also saved as JSON).

    seed: drives every random draw (scenes, captions, initialisations, dropout); same seed, same thread
    count, same torch version -> the same weights. progress: receives one line per logged step.
    """
    log = progress or (lambda line: None)
    torch.set_num_threads(config.threads)
    stage_seeds = np.random.SeedSequence(seed).spawn(3)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    cpu_start, wall_start = time.process_time(), time.time()
    stage_minutes = {}

    def mark(name: str, since: float) -> float:
        now = time.process_time()
        stage_minutes[name] = round((now - since) / 60, 2)
        log(f"{name}: {stage_minutes[name]} CPU minutes")
        return now

    t = time.process_time()
    text_encoder, text_curve = train_text_encoder(config, _stage_rng(stage_seeds[0]), log)
    t = mark("text", t)
    clip_encoder, decoder, shape_probe, ae_curve = train_autoencoder(config, _stage_rng(stage_seeds[1]), log)
    t = mark("autoencoder", t)
    rng = _stage_rng(stage_seeds[2])
    bank = build_bank(config, rng, clip_encoder, decoder, text_encoder)
    prior, image_encoder, z_mean, z_std, prior_curve = train_prior(config, rng, bank, text_encoder.feature_size, log)
    mark("prior", t)

    # One flat .npz (fp16 weights, fp32 latent statistics): what `infer.py` reads without PyTorch.
    arrays = {}
    modules = {"text_encoder": text_encoder, "decoder": decoder, "image_encoder": image_encoder, "prior": prior}
    if shape_probe is not None:
        modules["shape_probe"] = shape_probe
    for name, module in modules.items():
        for key, value in module.state_dict().items():
            arrays[f"{name}.{key}"] = value.half().numpy()
    arrays["z_mean"], arrays["z_std"] = z_mean.float().numpy(), z_std.float().numpy()
    save_weights(arrays, out_dir / WEIGHTS_FILE)
    (out_dir / "config.json").write_text(json.dumps(asdict(config), indent=2) + "\n")
    (out_dir / "vocab.json").write_text(json.dumps(sorted(world.grammar_words())) + "\n")
    record = {
        "seed": seed,
        "torch": torch.__version__,
        "cpu_minutes": round((time.process_time() - cpu_start) / 60, 2),
        "wall_minutes": round((time.time() - wall_start) / 60, 2),
        "stage_cpu_minutes": stage_minutes,
        "loss_curves": {"text": text_curve, "autoencoder": ae_curve, "prior": prior_curve},
    }
    (out_dir / "training_log.json").write_text(json.dumps(record, indent=1) + "\n")
    log(f"done: {record['cpu_minutes']} CPU minutes, {record['wall_minutes']} wall minutes -> {out_dir}")
    return record


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Train the embedded tiny text-to-video model.")
    parser.add_argument("--out", type=Path, required=True, help="folder for the weights")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tiny", action="store_true", help="the seconds-long test preset")
    args = parser.parse_args(argv)
    config = TrainConfig.tiny() if args.tiny else TrainConfig()
    train(config, seed=args.seed, out_dir=args.out, progress=lambda line: print(line, flush=True))


if __name__ == "__main__":
    main()
