"""The embedded model as the engine uses it: prompt (+ optional first frame) -> frames.

    >>> from azur.embedded.sample import TinyVideoModel
    >>> model = TinyVideoModel.load()                       # shipped weights, azur/embedded/weights
    >>> frames = model.generate("une étoile verte qui monte sur un fond noir", seconds=4, fps=24, seed=0)
    >>> frames.shape                                        # (96, 32, 32, 3) float32 in [0, 1]

Pipeline: text encoder -> features; rectified-flow prior (Euler steps, classifier-free guidance on the
caption) -> window latent z; decoder D(z, t) -> the frame at each output time. Clips longer than one window
are generated window by window, each window's prior conditioned on the last frame of the previous one (and
the caption), so the object keeps its colour, shape and place. Each window draws a few latents and keeps the
one whose shape read-out agrees with the caption (a soft last frame alone let shapes drift over 20 s).

What it does not know: anything outside its world (one object of 8 colours and 4 shapes, 6 motions, plain
backgrounds). Other words are ignored; `unknown_words` lists them so the caller can say so.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from PIL import Image

from azur.embedded import text as text_module
from azur.embedded.model import FrameDecoder, ImageEncoder, LatentPrior
from azur.embedded.text import FEATURE_SLICES, TextEncoder, tokenize
from azur.embedded.train import (
    TrainConfig, make_decoder, make_image_encoder, make_prior, make_shape_probe, make_text_encoder,
)
from azur.embedded.world import ATTRIBUTES, PALETTE

WEIGHTS_DIR = Path(__file__).parent / "weights"


class TinyVideoModel:
    """Loaded weights plus the sampling loop. Build it with `load()`; it holds ~10 MB and is thread-safe to read."""

    def __init__(
        self, config: TrainConfig, text_encoder: TextEncoder, decoder: FrameDecoder, image_encoder: ImageEncoder,
        prior: LatentPrior, z_mean: torch.Tensor, z_std: torch.Tensor, vocabulary: set[str],
        shape_probe: torch.nn.Linear | None = None,
    ):
        self.config = config
        self.resolution: int = config.resolution
        self.window_seconds: float = config.window_seconds
        self.text_encoder = text_encoder
        self.decoder = decoder
        self.image_encoder = image_encoder
        self.prior = prior
        self.z_mean = z_mean
        self.z_std = z_std
        self.vocabulary = vocabulary
        self.shape_probe = shape_probe
        # Gradient steps matching the first window's first frame to a given first_frame (see _refine_to_frame).
        self.refine_steps = 10
        self.refine_lr = 0.05
        # Share of a window that overlaps the next one (cross-faded); the rest is new video per window.
        self.overlap = 0.25
        # Latents drawn per window when the weights carry a shape probe; the one whose shape read-out agrees
        # best with the caption's is kept (see _pick_by_shape).
        self.candidates = 8

    @classmethod
    def load(cls, weights_dir: Path | None = None) -> "TinyVideoModel":
        """Load a weights folder written by `train.train` (default: the shipped one).

        Raises FileNotFoundError when the folder lacks model.pt, config.json or vocab.json.
        """
        folder = Path(weights_dir) if weights_dir is not None else WEIGHTS_DIR
        for name in ("model.pt", "config.json", "vocab.json"):
            if not (folder / name).is_file():
                raise FileNotFoundError(f"{folder / name} is missing; train weights with `azur train`")
        config = TrainConfig.from_dict(json.loads((folder / "config.json").read_text()))
        state = torch.load(folder / "model.pt", map_location="cpu", weights_only=True)
        text_encoder = make_text_encoder(config)
        decoder = make_decoder(config)
        image_encoder = make_image_encoder(config)
        prior = make_prior(config, text_encoder.feature_size)
        for name, module in (("text_encoder", text_encoder), ("decoder", decoder),
                             ("image_encoder", image_encoder), ("prior", prior)):
            module.load_state_dict({k: v.float() for k, v in state[name].items()})
            module.eval().requires_grad_(False)
        shape_probe = None
        if "shape_probe" in state:  # none in weights trained with shape_weight 0 or before the probe was saved
            shape_probe = make_shape_probe(config)
            shape_probe.load_state_dict({k: v.float() for k, v in state["shape_probe"].items()})
            shape_probe.eval().requires_grad_(False)
        vocabulary = set(json.loads((folder / "vocab.json").read_text()))
        return cls(config, text_encoder, decoder, image_encoder, prior,
                   state["z_mean"].float(), state["z_std"].float(), vocabulary, shape_probe)

    def unknown_words(self, prompt: str) -> list[str]:
        """Words of the prompt (lowercased, accents removed) that the model was never trained on."""
        return text_module.unknown_words(prompt, self.vocabulary)

    def understood(self, prompt: str) -> dict[str, str]:
        """What the model reads in the prompt: object colour, background colour, shape, motion (with the
        background it picks when the prompt names none, see `_text_features`)."""
        features = self._text_features(prompt)
        return {name: values[int(features[0, FEATURE_SLICES[name]].argmax())] for name, values in ATTRIBUTES.items()}

    def _text_features(self, prompt: str) -> torch.Tensor:
        """The prior's conditioning: the attribute probabilities the text encoder reads in the prompt.

        Training captions always name a background, so for a prompt that names none ("une étoile jaune qui
        grandit") the encoder reads the object's colour as the background's too, a scene the world never
        has: the prior then drew a yellow background with a green star. Such a reading is taken as "no
        background named" and the background becomes the palette colour farthest from the object's (white
        behind red, black behind white), a contrasting default like a person would pick.
        """
        features = self.text_encoder.features(tokenize([prompt]))
        background = FEATURE_SLICES["background_color"]
        obj = int(features[0, FEATURE_SLICES["object_color"]].argmax())
        if obj == int(features[0, background].argmax()):
            distance = np.linalg.norm(PALETTE - PALETTE[obj], axis=1)
            features = features.clone()
            features[0, background] = 0.0
            features[0, background.start + int(distance.argmax())] = 1.0
        return features

    # --- sampling -----------------------------------------------------------------------------------------

    def _prepare_frame(self, image: np.ndarray) -> torch.Tensor:
        array = np.asarray(image)
        if array.ndim != 3 or array.shape[2] != 3:
            raise ValueError(f"first_frame must be an H x W x 3 array, got shape {array.shape}")
        if array.dtype != np.uint8:
            if not np.issubdtype(array.dtype, np.floating):
                raise ValueError(f"first_frame must be uint8 or float in [0, 1], got dtype {array.dtype}")
            array = (np.clip(array, 0, 1) * 255).round().astype(np.uint8)
        if array.shape[:2] != (self.resolution, self.resolution):
            # BOX averages every source pixel: a downscaled photo keeps its colours instead of aliasing.
            array = np.asarray(Image.fromarray(array).resize((self.resolution, self.resolution), Image.BOX))
        return torch.from_numpy(array.astype(np.float32) / 255)[None]

    def _sample_latent(
        self, text: torch.Tensor, frame: torch.Tensor | None, generator: torch.Generator, count: int = 1
    ) -> torch.Tensor:
        """`count` window latents (count, latent_dim), each from its own starting noise: Euler integration of
        the guided flow from noise (tau=0) to data (tau=1)."""
        image = self.image_encoder(frame) if frame is not None else None
        steps, guidance = self.config.sample_steps, self.config.guidance
        condition = self.prior.condition(text, image, 1).expand(count, -1)
        if guidance != 1.0:  # guidance is on the caption only; at 1 the unconditioned pass cancels out
            condition = torch.cat([condition, self.prior.condition(None, image, 1).expand(count, -1)])
        x = torch.randn(count, self.config.latent_dim, generator=generator) * self.config.sample_temperature
        for i in range(steps):
            tau = torch.full((len(condition),), i / steps)
            v = self.prior(x.repeat(len(condition) // count, 1), tau, condition)
            if guidance != 1.0:
                v_cond, v_uncond = v.chunk(2)
                v = v_uncond + guidance * (v_cond - v_uncond)
            x = x + v / steps
        return x * self.z_std + self.z_mean

    def _pick_by_shape(self, z: torch.Tensor, text: torch.Tensor) -> torch.Tensor:
        """Of candidate latents z (n, latent_dim), the one whose shape read-out (the linear probe trained with
        the autoencoder) is nearest the shape the caption names: least cross-entropy against the text
        encoder's shape probabilities, so a caption naming no shape leaves the choice nearly free.

        Why: a window conditioned on the previous window's soft frame could read a small square as a circle
        and keep drawing circles; the latent itself says which shape the decoder will draw.
        """
        if len(z) == 1:
            return z
        wanted = text[0, FEATURE_SLICES["shape"]]
        disagreement = -(self.shape_probe(z).log_softmax(-1) * wanted).sum(-1)
        return z[int(disagreement.argmin())][None]

    def _refine_to_frame(self, z: torch.Tensor, frame: torch.Tensor) -> torch.Tensor:
        """A few gradient steps on z so that the window's first frame D(z, 0) matches the conditioning frame.

        The prior places the object from the frame's features only approximately (a pixel or two). Matching
        D(z, 0) to the given image makes the clip start from it; the steps are few and small, so the motion
        sampled from the prior stays (like reconstruction guidance).
        """
        z = z.clone().requires_grad_(True)
        optimiser = torch.optim.Adam([z], lr=self.refine_lr)
        zero = torch.zeros(1, 1)
        with torch.enable_grad():
            for _ in range(self.refine_steps):
                loss = ((self.decoder(z, zero)[0, 0] - frame[0]) ** 2).mean()
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
        return z.detach()

    @torch.no_grad()
    def generate(
        self, prompt: str, *, seconds: float, fps: int, seed: int,
        first_frame: np.ndarray | None = None, progress: Callable[[float], None] | None = None,
    ) -> np.ndarray:
        """Frames for the prompt: float32 (round(seconds*fps), R, R, 3) in [0, 1].

        seed: same seed, same frames (for a given torch version and thread count). first_frame: H x W x 3 uint8
        (or float in [0, 1]) of any size; the clip starts from it. progress: called with fractions 0..1.
        Raises ValueError for a non-positive length or fps, or a malformed first_frame.
        """
        if seconds <= 0 or fps <= 0:
            raise ValueError(f"seconds and fps must be positive, got seconds={seconds}, fps={fps}")
        total = round(seconds * fps)
        if total < 1:
            raise ValueError(f"seconds*fps must give at least one frame, got {seconds}*{fps}")
        generator = torch.Generator().manual_seed(int(seed))
        text = self._text_features(prompt)
        frame = self._prepare_frame(first_frame) if first_frame is not None else None

        # 1. Windows overlap: window k spans global time [k*stride, k*stride + 1] (in window lengths) and is
        #    conditioned on the previous window's frame at the start of that span. Frames in an overlap are a
        #    cross-fade of the two windows, so a small mismatch in where the prior puts the object shows as a
        #    short blend instead of a jump (measured: jumps 6-9x the median frame-to-frame change without).
        stride = 1.0 - self.overlap
        clock = np.arange(total, dtype=np.float64) / fps / self.window_seconds
        windows = max(1, math.ceil((clock[-1] - 1) / stride - 1e-9) + 1)  # the last one must reach clock[-1]
        out = np.zeros((total, self.resolution, self.resolution, 3), dtype=np.float32)
        weight_sum = np.zeros(total, dtype=np.float32)

        # 2. Window by window: sample z conditioned on the caption and the previous window's frame.
        for k in range(windows):
            count = self.candidates if self.shape_probe is not None else 1
            z = self._pick_by_shape(self._sample_latent(text, frame, generator, count), text)
            if k == 0 and first_frame is not None and self.refine_steps > 0:
                # Only for the caller's image: on chained windows it made colours drift (measured, 0.7 -> 0.3
                # of 8 s clips keeping their colour), as z chased the blur of the model's own last frame.
                z = self._refine_to_frame(z, frame)
            local = clock - k * stride
            index = np.nonzero((local >= 0) & ((local <= 1) | (k == windows - 1)))[0]
            if k < windows - 1:
                index = index[local[index] < 1]
            # Fade-in over the overlap (except the first window), fade-out over the next one's (except the last).
            fade = np.ones(len(index), dtype=np.float32)
            if k > 0:
                fade = np.minimum(fade, local[index] / self.overlap)
            if k < windows - 1:
                fade = np.minimum(fade, (1 - local[index]) / self.overlap)
            fade = np.clip(fade, 1e-3, 1).astype(np.float32)
            times = torch.from_numpy(np.append(np.clip(local[index], 0, None), stride).astype(np.float32))[None]
            decoded = self.decoder(z, times)[0].clamp(0, 1)
            out[index] += fade[:, None, None, None] * decoded[:-1].numpy()
            weight_sum[index] += fade
            frame = decoded[-1:]  # t = stride: where the next window starts from
            if progress is not None:
                progress((k + 1) / windows)
        out /= weight_sum[:, None, None, None]
        return out
