"""Attention maps a person can look at: heat maps blended over the image they were computed on.

Raw attention maps are unbounded (the original has no activation on them). By default values are
clipped to [0, 1], the range of the raindrop mask the attention loss pulls them towards, so that
colours mean the same across steps, images and models; ``scale="minmax"`` instead stretches each
image's maps (all steps together) to the full colour range, to see structure in untrained maps.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from derainbench.errors import DerainBenchError

SCALES = ("clip", "minmax")


def jet(values: Tensor) -> Tensor:
    """Values in [0, 1], shape (…, 1, H, W) → the 'jet' colours (…, 3, H, W): blue → red."""
    x = values.clamp(0.0, 1.0)
    channels = [(1.5 - (4 * x - offset).abs()).clamp(0.0, 1.0) for offset in (3.0, 2.0, 1.0)]
    return torch.cat(channels, dim=-3)


def _scaled(maps: Tensor, scale: str) -> Tensor:
    """(B, S, H, W) maps of S steps → [0, 1], clipped or stretched per image over all steps."""
    if scale == "clip":
        return maps.clamp(0.0, 1.0)
    if scale == "minmax":
        low = maps.amin(dim=(1, 2, 3), keepdim=True)
        high = maps.amax(dim=(1, 2, 3), keepdim=True)
        return (maps - low) / (high - low).clamp_min(1e-12)
    raise DerainBenchError(f"unknown attention scale '{scale}'; choose {' or '.join(SCALES)}")


def attention_overlays(
    image: Tensor, maps: list[Tensor], alpha: float = 0.5, scale: str = "clip"
) -> list[Tensor]:
    """One RGB overlay (B, 3, H, W) per step: ``(1 − alpha)·image + alpha·jet(map)``."""
    if not maps:
        return []
    stacked = torch.cat([m.detach().float() for m in maps], dim=1)  # (B, steps, h, w)
    if stacked.shape[-2:] != image.shape[-2:]:
        stacked = F.interpolate(stacked, size=image.shape[-2:], mode="bilinear")
    colours = jet(_scaled(stacked, scale).unsqueeze(2))  # (B, steps, 3, H, W)
    base = image.detach().float().clamp(0.0, 1.0)
    return [(1 - alpha) * base + alpha * colours[:, step] for step in range(len(maps))]
