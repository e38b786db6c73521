"""Properties of the model's parts that hold before any training: what they can represent."""

from __future__ import annotations

import numpy as np
import torch

from azur.embedded import world
from azur.embedded.model import FrameDecoder, FrameFeatures


def _frame(shape: str, x: float, y: float, radius: float = 0.15) -> torch.Tensor:
    scene = world.Scene("yellow", "blue", shape, "right", x, y, radius, 0.0)
    return torch.from_numpy(world.render([scene], np.zeros((1, 1), np.float32))[0])


def test_shape_features_follow_the_object_wherever_it_is():
    torch.manual_seed(0)
    features = FrameFeatures(32, shape=16)
    # Whole-pixel moves, one of them across the wrapped edge: the same star must read the same.
    stars = torch.cat([_frame("star", 8.5 / 32, 10.5 / 32), _frame("star", 30.5 / 32, 1.5 / 32)])
    square = _frame("square", 8.5 / 32, 10.5 / 32)
    with torch.no_grad():
        read = features(torch.cat([stars, square]))[:, -16:]  # the shape features close the feature vector
    moved = (read[0] - read[1]).abs().max().item()
    other_shape = (read[0] - read[2]).abs().max().item()
    assert moved < 1e-4
    assert other_shape > 100 * max(moved, 1e-6)


def test_decoder_outline_keeps_a_one_pixel_edge_at_any_resolution():
    torch.manual_seed(0)
    decoder = FrameDecoder(latent_dim=8, resolution=32, harmonics=12)
    with torch.no_grad():  # white object on black, so the frame is the alpha mask
        decoder.colours.weight.zero_()
        decoder.colours.bias.copy_(torch.tensor([0.5, 0.5, 0.5, -0.5, -0.5, -0.5]))
    z = torch.zeros(1, 8)
    widths = []
    for resolution in (32, 256):
        with torch.no_grad():
            frame = decoder(z, torch.zeros(1, 1), resolution=resolution)[0, 0, ..., 0]
        row = frame[resolution // 2]
        edge_pixels = int(((row > 0.05) & (row < 0.95)).sum())
        assert edge_pixels <= 4, (resolution, edge_pixels)  # two edges, a pixel or two each
        widths.append(row.sum().item() / resolution)  # the object's width in canvas units
    assert abs(widths[0] - widths[1]) < 1.5 / 32
    assert 0.1 < widths[0] < 0.5  # a disc of about the initial radius (0.135), not nothing or everything
