"""Rain streaks: sparse seeds stamped with a tapered line kernel, screened over the scene.

``light`` is Rain100L-like (one layer), ``heavy`` Rain100H-like (three to five layers at slightly
different angles, plus a haze veil). Streaks are rendered before drops, which then refract them.
All draws come from a CPU generator seeded per image; stamping is a sparse sum (index_add), so the
cost scales with the number of streaks, not with kernel size × image size.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from derainbench.errors import DerainBenchError

_KERNEL_FLOOR = 1e-3  # taps below this are dropped from the stamp


@dataclass(frozen=True)
class StreakPreset:
    """Distributions of one streak preset; lengths and widths for a 480-px-high scene."""

    name: str
    layers: tuple[int, int] = (1, 1)
    density: tuple[float, float] = (0.002, 0.006)  # seeds per pixel, per layer
    length: tuple[float, float] = (18.0, 45.0)  # px
    width: tuple[float, float] = (0.35, 1.2)  # Gaussian sigma across the streak, px
    angle: float = 25.0  # the rain's direction, degrees either side of vertical
    spread: float = 0.0  # per-layer deviation from it, degrees
    brightness: tuple[float, float] = (0.35, 0.9)
    haze: tuple[float, float] = (0.0, 0.0)  # veil opacity
    haze_level: tuple[float, float] = (0.75, 0.9)  # veil grey

    def parameters(self) -> dict[str, Any]:
        """The preset as plain JSON-able values."""
        return {
            k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(self).items()
        }


STREAK_PRESETS: dict[str, StreakPreset] = {
    "light": StreakPreset("light"),
    "heavy": StreakPreset(
        "heavy",
        layers=(3, 5),
        length=(25.0, 60.0),
        spread=6.0,
        density=(0.0015, 0.004),
        brightness=(0.2, 0.6),
        haze=(0.05, 0.15),
    ),
}


def get_streak_preset(preset: str | StreakPreset) -> StreakPreset:
    """A streak preset by name (light, heavy), or the given one."""
    if isinstance(preset, StreakPreset):
        return preset
    if preset not in STREAK_PRESETS:
        choices = ", ".join(["none", *STREAK_PRESETS])
        raise DerainBenchError(f"unknown streak preset '{preset}'; choose {choices}")
    return STREAK_PRESETS[preset]


def _uniform(g: torch.Generator, bounds: tuple[float, float]) -> float:
    return bounds[0] + (bounds[1] - bounds[0]) * float(
        torch.rand((), generator=g, dtype=torch.float64)
    )


def streak_kernel(length: float, width: float, angle: float) -> tuple[Tensor, Tensor, Tensor]:
    """(dy, dx, weight) taps of a line ``length`` px long, tilted ``angle`` degrees from vertical,
    fading to zero at both ends, with a Gaussian cross-section of sigma ``width``."""
    radius = math.ceil(length / 2 + 3 * width) + 1
    taps = torch.arange(-radius, radius + 1, dtype=torch.float64)
    y, x = torch.meshgrid(taps, taps, indexing="ij")
    theta = math.radians(angle)
    along = x * math.sin(theta) + y * math.cos(theta)
    across = x * math.cos(theta) - y * math.sin(theta)
    taper = torch.cos((along / (length / 2)).clamp(-1, 1) * math.pi / 2) ** 2
    weight = taper * torch.exp(-0.5 * (across / width) ** 2)
    keep = weight > _KERNEL_FLOOR
    return y[keep].long(), x[keep].long(), weight[keep]


def render_streaks(
    images: Tensor, seeds: Sequence[int], preset: str | StreakPreset = "light", scale: float = 1
) -> Tensor:
    """``images`` (B, 3, H, W) with rain streaks screened on; image b's streaks from seeds[b]."""
    p = get_streak_preset(preset)
    out = []
    for image, seed in zip(images, seeds, strict=True):
        out.append(_streak_one(image, torch.Generator().manual_seed(seed), p, scale))
    return torch.stack(out)


def _streak_one(image: Tensor, g: torch.Generator, p: StreakPreset, scale: float) -> Tensor:
    _, height, width = image.shape
    base_angle = _uniform(g, (-p.angle, p.angle))
    layers = int(torch.randint(p.layers[0], p.layers[1] + 1, (), generator=g))
    for _ in range(layers):
        angle = base_angle + _uniform(g, (-p.spread, p.spread))
        length = _uniform(g, p.length) * scale
        line_width = max(0.3, _uniform(g, p.width) * scale)
        density = _uniform(g, p.density)
        count = round(density * height * width)
        where = torch.randint(height * width, (count,), generator=g)
        strength = _uniform(g, p.brightness)
        brightness = strength * (0.4 + 0.6 * torch.rand(count, generator=g, dtype=torch.float64))
        layer = _stamp(where, brightness, streak_kernel(length, line_width, angle), height, width)
        # Screen blend: streaks brighten, never darken, and saturate gracefully at white.
        image = 1 - (1 - image) * (1 - layer.to(image.device, image.dtype))
    haze = _uniform(g, p.haze)
    grey = _uniform(g, p.haze_level)
    if haze > 0:
        image = (1 - haze) * image + haze * grey
    return image.clamp(0.0, 1.0)


def _stamp(
    where: Tensor,
    brightness: Tensor,
    kernel: tuple[Tensor, Tensor, Tensor],
    height: int,
    width: int,
) -> Tensor:
    """A (1, H, W) layer: the kernel added at each seed, scaled by its brightness (CPU, exact)."""
    dy, dx, weight = kernel
    pad = int(max(dy.abs().max(), dx.abs().max()))
    rows = (where // width)[:, None] + dy[None] + pad
    cols = (where % width)[:, None] + dx[None] + pad
    padded_w = width + 2 * pad
    values = (brightness[:, None] * weight[None]).to(torch.float32)
    canvas = torch.zeros((height + 2 * pad) * padded_w)
    canvas.index_add_(0, (rows * padded_w + cols).flatten(), values.flatten())
    canvas = canvas.view(height + 2 * pad, padded_w)[pad : pad + height, pad : pad + width]
    return canvas.clamp(0.0, 1.0)[None]
