"""The shipped networks' forward passes in NumPy, so that generating needs no PyTorch.

PyTorch is what trains the embedded model (`train.py`, `model.py`); a user who only generates gets these
mirror images of the same layers, reading the same weights (`weights/model.npz`, fp16, written by
`save_weights` at the end of training). Each class follows its torch twin line for line (same names, same
order of operations) so that a change to one is easy to carry to the other; `tests/embedded/test_infer.py`
builds both from one set of weights and checks they agree to float32 rounding.

Everything here is float32 and batched like the torch modules; nothing is learned, nothing keeps state
between calls, so one loaded model serves any number of threads.
"""

from __future__ import annotations

import io
import math
import zipfile
from pathlib import Path

import numpy as np

Weights = dict[str, np.ndarray]
WEIGHTS_FILE = "model.npz"  # in a weights folder, beside config.json and vocab.json


# --- weights files -----------------------------------------------------------------------------------------

def save_weights(arrays: Weights, path: Path) -> None:
    """Write arrays to an .npz that `np.load` reads, byte-identical for identical arrays.

    `np.savez` stamps each member with the current time, so two trainings of the same weights gave two
    different files; here every member gets a fixed date, and members are written in sorted order.
    """
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(arrays):
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.ascontiguousarray(arrays[name]), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, buffer.getvalue())


def load_weights(path: Path) -> Weights:
    """Every array of an .npz written by `save_weights`, as float32 (they are stored as fp16)."""
    with np.load(path, allow_pickle=False) as data:
        return {name: data[name].astype(np.float32) for name in data.files}


def subset(weights: Weights, prefix: str) -> Weights:
    """The arrays under `prefix.` with the prefix removed (one module's state dict)."""
    start = len(prefix) + 1
    return {name[start:]: value for name, value in weights.items() if name.startswith(prefix + ".")}


# --- layers ------------------------------------------------------------------------------------------------

def linear(x: np.ndarray, w: Weights, name: str) -> np.ndarray:
    return x @ w[f"{name}.weight"].T + w[f"{name}.bias"]


def silu(x: np.ndarray) -> np.ndarray:
    return x / (1.0 + np.exp(-x))


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))  # no overflow warning for the very negative logits far from objects


def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    shifted = np.exp(x - x.max(axis=axis, keepdims=True))
    return shifted / shifted.sum(axis=axis, keepdims=True)


def layer_norm(x: np.ndarray, weight: np.ndarray | None = None, bias: np.ndarray | None = None) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    out = (x - mean) / np.sqrt(var + 1e-5)
    if weight is not None:
        out = out * weight + bias
    return out


def mlp(x: np.ndarray, w: Weights, name: str, final_silu: bool = False) -> np.ndarray:
    """nn.Sequential(Linear, SiLU, Linear[, SiLU]) stored as `name.0` and `name.2`."""
    out = linear(silu(linear(x, w, f"{name}.0")), w, f"{name}.2")
    return silu(out) if final_silu else out


# --- coordinates (the same values as model.pixel_centres and friends) ---------------------------------------

def pixel_centres(resolution: int) -> np.ndarray:
    """(R*R, 2) x, y of the pixel centres in canvas units, row-major like the frames."""
    axis = (np.arange(resolution, dtype=np.float32) + 0.5) / resolution
    y, x = np.meshgrid(axis, axis, indexing="ij")
    return np.stack([x.reshape(-1), y.reshape(-1)], axis=1)


def wrapped(offset: np.ndarray) -> np.ndarray:
    """Offsets on the torus taken to their shortest form, in [-1/2, 1/2)."""
    return np.mod(offset + 0.5, 1.0) - 0.5


def coordinate_planes(resolution: int) -> np.ndarray:
    """(4, R, R): cos/sin of 2 pi x and of 2 pi y at the pixel centres."""
    grid = pixel_centres(resolution)
    angles_x, angles_y = 2 * math.pi * grid[:, :1], 2 * math.pi * grid[:, 1:]
    features = np.concatenate([np.cos(angles_x), np.sin(angles_x), np.cos(angles_y), np.sin(angles_y)], axis=1)
    return features.T.reshape(4, resolution, resolution).astype(np.float32)


def time_features(t: np.ndarray, count: int = 4) -> np.ndarray:
    """(N,) times -> (N, 2*count + 1), as model.time_features."""
    k = np.arange(1, count + 1, dtype=np.float32)
    angles = np.float32(math.pi) * t[:, None] * k
    return np.concatenate([t[:, None], np.cos(angles), np.sin(angles)], axis=1).astype(np.float32)


# --- the networks ------------------------------------------------------------------------------------------

class TextEncoder:
    """text.TextEncoder's inference: tokens -> per-attribute probabilities (B, 26)."""

    def __init__(self, w: Weights, layers: int, heads: int = 4):
        self.w = w
        self.layers = layers
        self.heads = heads
        self.width = w["position"].shape[1]
        self.head_count = sum(1 for name in w if name.startswith("heads.") and name.endswith(".weight"))

    def _attention(self, x: np.ndarray, pad: np.ndarray, prefix: str) -> np.ndarray:
        b, n, d = x.shape
        qkv = x @ self.w[f"{prefix}.in_proj_weight"].T + self.w[f"{prefix}.in_proj_bias"]
        q, k, v = (part.reshape(b, n, self.heads, d // self.heads).transpose(0, 2, 1, 3) for part in np.split(qkv, 3, -1))
        scores = q @ k.transpose(0, 1, 3, 2) / math.sqrt(d // self.heads)
        scores = np.where(pad[:, None, None, :], -np.inf, scores)
        out = (softmax(scores) @ v).transpose(0, 2, 1, 3).reshape(b, n, d)
        return linear(out, self.w, f"{prefix}.out_proj")

    def features(self, tokens) -> np.ndarray:
        w = self.w
        piece_mask = (tokens.pieces > 0).astype(np.float32)
        pieces = (w["piece_embedding.weight"][tokens.pieces] * piece_mask[..., None]).sum(2)
        pieces = pieces / np.maximum(piece_mask.sum(2, keepdims=True), 1)
        x = w["word_embedding.weight"][tokens.word] + w["stem_embedding.weight"][tokens.stem] + pieces
        x = x + w["position"][: x.shape[1]]
        pad = ~tokens.mask
        pad[:, 0] = False
        for i in range(self.layers):  # nn.TransformerEncoderLayer, norm_first, ReLU, eval mode
            p = f"transformer.layers.{i}"
            x = x + self._attention(layer_norm(x, w[f"{p}.norm1.weight"], w[f"{p}.norm1.bias"]), pad, f"{p}.self_attn")
            hidden = np.maximum(linear(layer_norm(x, w[f"{p}.norm2.weight"], w[f"{p}.norm2.bias"]), w, f"{p}.linear1"), 0)
            x = x + linear(hidden, w, f"{p}.linear2")
        x = layer_norm(x, w["norm.weight"], w["norm.bias"])
        scores = np.einsum("bld,ad->bal", x, w["queries"]) / math.sqrt(self.width)
        scores = np.where(pad[:, None, :], -np.inf, scores)
        pooled = np.einsum("bal,bld->bad", softmax(scores), x)
        return np.concatenate(
            [softmax(linear(pooled[:, i], w, f"heads.{i}")) for i in range(self.head_count)], axis=1
        ).astype(np.float32)


class FrameFeatures:
    """model.FrameFeatures: frames (B, R, R, 3) -> (B, 7K + C + 1 [+ S]) keypoints, colours, size, shape."""

    SHAPE_FREQUENCIES = 3

    def __init__(self, w: Weights, resolution: int, keypoints: int = 8):
        self.w = w
        self.keypoints = keypoints
        self.resolution = resolution
        self.coords = coordinate_planes(resolution)
        self.half_coords = coordinate_planes(resolution // 2).reshape(4, -1)
        self.grid = pixel_centres(resolution)
        self.has_shape = "shape_mlp.0.weight" in w

    def _conv_stride2_circular(self, x: np.ndarray) -> np.ndarray:
        """Conv2d(3x3, stride 2, padding 1, circular) as one matrix product over gathered patches."""
        weight, bias = self.w["convs.0.weight"], self.w["convs.0.bias"]
        b, c, r, _ = x.shape
        padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)), mode="wrap")
        out = r // 2
        patches = np.stack(
            [padded[:, :, dy : dy + 2 * out : 2, dx : dx + 2 * out : 2] for dy in range(3) for dx in range(3)], axis=2
        )  # (B, C, 9, R/2, R/2), tap order matches weight (C, 3, 3) flattened
        patches = patches.reshape(b, c * 9, out * out)
        return np.einsum("ok,bkp->bop", weight.reshape(weight.shape[0], -1), patches) + bias[:, None]

    def __call__(self, frames: np.ndarray) -> np.ndarray:
        images = frames.transpose(0, 3, 1, 2).astype(np.float32)
        b = images.shape[0]
        flat = images.reshape(b, 3, -1)
        # torch.median returns the lower of the two middle values of an even count, not their mean.
        median = np.sort(flat, axis=2)[:, :, (flat.shape[2] - 1) // 2][:, :, None, None]
        offset = images - median
        contrast = np.sqrt((offset**2).sum(1, keepdims=True))
        coords = np.broadcast_to(self.coords, (b, *self.coords.shape))
        x = silu(self._conv_stride2_circular(np.concatenate([images, offset, contrast, coords], axis=1)))
        for name in ("convs.2", "convs.4"):  # 1x1 convolutions
            weight = self.w[f"{name}.weight"][:, :, 0, 0]
            x = np.einsum("oc,bcp->bop", weight, x) + self.w[f"{name}.bias"][:, None]
            if name == "convs.2":
                x = silu(x)
        maps = x  # (B, K+C, R*R/4)
        attention = softmax(maps[:, : self.keypoints], -1)
        points = np.einsum("bkp,cp->bkc", attention, self.half_coords).reshape(b, -1)
        r = self.resolution
        small = images.reshape(b, 3, r // 2, 2, r // 2, 2).mean((3, 5)).reshape(b, 3, -1)
        colours = np.einsum("bkp,bcp->bkc", attention, small).reshape(b, -1)
        on_object = sigmoid((contrast - 0.1) * 40).reshape(b, -1)
        area = on_object.mean(1, keepdims=True)
        parts = [points, colours, maps[:, self.keypoints :].mean(-1), np.log(area + 1e-3)]
        if self.has_shape:
            parts.append(self._shape(on_object, area))
        return np.concatenate(parts, axis=1).astype(np.float32)

    def _shape(self, on_object: np.ndarray, area: np.ndarray) -> np.ndarray:
        angles = 2 * math.pi * self.grid
        weight = on_object / np.maximum(on_object.sum(1, keepdims=True), 1e-3)
        centre = np.arctan2(weight @ np.sin(angles), weight @ np.cos(angles)) / (2 * math.pi)
        offset = wrapped(self.grid[None] - centre[:, None])
        offset = offset / np.sqrt(area[:, None] + 1e-3)
        k = np.arange(1, self.SHAPE_FREQUENCIES + 1, dtype=np.float32)
        waves = (offset[..., None] * k).reshape(*offset.shape[:2], -1)
        features = mlp(np.concatenate([offset, np.cos(waves), np.sin(waves)], axis=-1), self.w, "shape_mlp")
        return np.einsum("bp,bps->bs", weight, features)


class ImageEncoder:
    """model.ImageEncoder: a conditioning frame (B, R, R, 3) -> (B, F)."""

    def __init__(self, w: Weights, resolution: int):
        self.frame_features = FrameFeatures(subset(w, "frame_features"), resolution)
        self.w = w

    def __call__(self, image: np.ndarray) -> np.ndarray:
        return mlp(self.frame_features(image), self.w, "mlp")


class LatentPrior:
    """model.LatentPrior: the flow's velocity, FiLM-conditioned on text and image features."""

    def __init__(self, w: Weights):
        self.w = w
        self.blocks = sum(1 for name in w if name.startswith("films.") and name.endswith(".weight"))

    def condition(self, text: np.ndarray | None, image: np.ndarray | None, batch: int) -> np.ndarray:
        c_text = mlp(text, self.w, "text") if text is not None else np.broadcast_to(self.w["null_text"], (batch, len(self.w["null_text"])))
        c_image = linear(image, self.w, "image") if image is not None else np.broadcast_to(self.w["null_image"], (batch, len(self.w["null_image"])))
        return (c_text + c_image).astype(np.float32)

    def __call__(self, x: np.ndarray, tau: np.ndarray, condition: np.ndarray) -> np.ndarray:
        c = silu(condition + mlp(time_features(tau), self.w, "tau"))
        h = linear(x, self.w, "inp")
        for i in range(self.blocks):
            scale, shift = np.split(linear(c, self.w, f"films.{i}"), 2, axis=1)
            h = h + mlp(layer_norm(h) * (1 + scale) + shift, self.w, f"mlps.{i}")
        return linear(h, self.w, "out")


class FrameDecoder:
    """model.FrameDecoder's inference, split in two so that the stage can place the object itself.

    `appearance(z, t)` is what the latent says at each time: the path of the object (unbounded x, y and the
    log-scale, in canvas units where the canvas side is 1), its two colours, the per-pixel code and the
    outline coefficients. `paint(appearance, grid, placement, resolution)` draws it on any set of pixel
    centres. `__call__` is the two together on the model's own square canvas, as the torch module does.
    """

    def __init__(self, w: Weights, resolution: int, frequencies: int = 3):
        self.w = w
        self.resolution = resolution
        self.frequencies = frequencies
        self.harmonics = (w["outline.weight"].shape[0] - 1) // 2 if "outline.weight" in w else 0

    def appearance(self, z: np.ndarray, t: np.ndarray) -> dict[str, np.ndarray]:
        """z (B, Z), t (B, N) -> arrays of (B*N, ...): placement (x, y, log-scale), colours, code, outline."""
        b, n = t.shape
        h = mlp(np.concatenate([np.repeat(z, n, 0), time_features(t.reshape(-1))], axis=1), self.w, "hyper", final_silu=True)
        path = np.repeat(mlp(z, self.w, "path"), n, 0)
        tt = t.reshape(-1, 1)
        line = np.concatenate([path[:, 0:2] + path[:, 2:4] * tt, path[:, 4:5] + path[:, 5:6] * (tt - 0.5)], axis=1)
        out = {
            "placement": (line + linear(h, self.w, "place")).astype(np.float32),
            "colours": (linear(h, self.w, "colours") + 0.5).astype(np.float32),
            "code": linear(h, self.w, "code").astype(np.float32),
        }
        if self.harmonics:
            out["outline"] = linear(h, self.w, "outline").astype(np.float32)
        return out

    def outline_radius(self, appearance: dict[str, np.ndarray], angles: int = 72) -> np.ndarray:
        """(M,) the object's largest radius over all directions, in canvas units (what must fit in a frame)."""
        log_radius = appearance["placement"][:, 2:3]
        if self.harmonics:
            angle = np.linspace(-math.pi, math.pi, angles, endpoint=False, dtype=np.float32)
            k = np.arange(1, self.harmonics + 1, dtype=np.float32)
            waves = np.concatenate([np.cos(angle[:, None] * k), np.sin(angle[:, None] * k)], axis=1)  # (A, 2H)
            coefficients = appearance["outline"]
            log_radius = log_radius + coefficients[:, :1] + coefficients[:, 1:] @ waves.T
        return np.exp(log_radius).max(axis=1)

    def paint(
        self, appearance: dict[str, np.ndarray], grid: np.ndarray, placement: np.ndarray, resolution: int,
        wrap: bool = True, parts: bool = False,
    ) -> np.ndarray | tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(M, P, 3) colours at pixel centres `grid` (P, 2), or (M, P, 2) one set per object, for M objects at
        `placement` (M, 3).

        wrap=True is the model's own torus canvas (what it was trained on). wrap=False draws on an open plane:
        the outline uses the true distance, so nothing reappears on the far side, and the per-pixel network,
        which only ever saw offsets inside the torus's half-width, gets them clamped there (far pixels look
        like the farthest pixels it knows: background). `resolution` is pixels per canvas unit; it sets the
        edge's width (one pixel), as in training. parts: also return the coverage alpha (M, P, 1) and the
        per-pixel network's residual colour (M, P, 3) that the frame includes.
        """
        raw = (grid if grid.ndim == 3 else grid[None]) - placement[:, None, :2]  # (M, P, 2)
        offset = wrapped(raw) if wrap else np.clip(raw, -0.5, 0.5)
        scaled = offset / np.exp(placement[:, None, 2:3])
        k = np.arange(1, self.frequencies + 1, dtype=np.float32)
        angles = (2 * math.pi * offset[..., None] * k).reshape(*offset.shape[:2], -1)
        local = np.concatenate([scaled, np.cos(angles), np.sin(angles)], axis=-1).astype(np.float32)
        x = silu(linear(local, self.w, "pixel_in") + appearance["code"][:, None])
        for i in (0, 1):
            x = silu(linear(x, self.w, f"hidden.{i}"))
        out = linear(x, self.w, "out")
        logit = out[..., 0]
        if self.harmonics:
            outline_offset = raw if not wrap else offset
            distance = np.sqrt((outline_offset**2).sum(-1))
            angle = np.arctan2(outline_offset[..., 1], outline_offset[..., 0])
            kh = np.arange(1, self.harmonics + 1, dtype=np.float32)
            coefficients = appearance["outline"]
            harmonic = angle[..., None] * kh  # (M, P, H)
            log_radius = (
                placement[:, None, 2] + coefficients[:, None, 0]
                + np.einsum("mph,mh->mp", np.cos(harmonic), coefficients[:, 1 : 1 + self.harmonics])
                + np.einsum("mph,mh->mp", np.sin(harmonic), coefficients[:, 1 + self.harmonics :])
            )
            logit = logit + 4.0 * resolution * (np.exp(log_radius) - distance)
        alpha = sigmoid(logit)[..., None]
        colours = appearance["colours"]
        residual = 0.1 * out[..., 1:]
        frames = (alpha * colours[:, None, :3] + (1 - alpha) * colours[:, None, 3:] + residual).astype(np.float32)
        return (frames, alpha, residual) if parts else frames

    def __call__(self, z: np.ndarray, t: np.ndarray, resolution: int | None = None) -> np.ndarray:
        """D(z, t) on the square canvas: (B, N, R, R, 3), like the torch module."""
        b, n = t.shape
        r = resolution or self.resolution
        look = self.appearance(z, t)
        frames = self.paint(look, pixel_centres(r), look["placement"], r)
        return frames.reshape(b, n, r, r, 3)
