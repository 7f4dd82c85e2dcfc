"""Dead-leaves backgrounds: an unlimited, seeded supply of natural-looking scenes to train on.

The dead-leaves model (Lee, Mumford & Huang, 2001) stacks opaque discs whose radii follow a power
law (density ∝ r⁻³), so that it has the scale invariance and occlusion edges of natural images;
restoration networks trained on such images transfer to photographs (Baradad et al., NeurIPS
2021; Achddou et al., 2021). Each disc here is flat, shaded by a linear gradient, striped or
grainy, the scene is slightly defocused, and sample i of seed s is the same image everywhere.

Version 2 adds what photographs have and a frame covered by discs several times over never
shows: large smooth areas (sky, walls, a table top). The backdrop behind the discs is a smooth
gradient between two shades of one colour, and the number of discs varies from scene to scene
(log-uniformly), so that some scenes are mostly backdrop with a few objects in front and others
are cluttered. Version 1 (a flat backdrop under 800 discs, every scene cluttered) taught models
trained on it to repaint smooth skies with blotches: on the SynthDrop test photos of a dark sky,
their output scored several dB below the rainy input.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

DEAD_LEAVES_VERSION = "2"
# Discs per scene, drawn log-uniformly: 800 cover a frame about four times over (the last discs
# decide what is seen); 16 leave most of it to the backdrop.
MIN_DISCS, MAX_DISCS = 16, 800
ALPHA = 3.0  # radius density ∝ r^-ALPHA: scale invariance for ALPHA = 3
TEXTURES = ("flat", "gradient", "stripes", "grain")
TEXTURE_ODDS = (0.4, 0.3, 0.15, 0.15)


def _radii(count: int, r_min: float, r_max: float, generator: torch.Generator) -> Tensor:
    """Power-law radii by inverse transform sampling."""
    u = torch.rand(count, generator=generator)
    a, b = r_min ** (1 - ALPHA), r_max ** (1 - ALPHA)
    return (a + u * (b - a)) ** (1 / (1 - ALPHA))


def _colours(count: int, generator: torch.Generator) -> Tensor:
    """(count, 3) colours with the muted saturation and spread of brightness of outdoor scenes."""
    hue = torch.rand(count, generator=generator) * 6.0
    saturation = torch.rand(count, generator=generator) ** 1.5 * 0.75
    # A triangular spread of brightness (mid-tones most common), from the seeded generator only.
    value = 0.12 + 0.83 * torch.rand(2, count, generator=generator).mean(dim=0)
    # HSV → RGB, vectorised
    k = (torch.tensor([5.0, 3.0, 1.0])[None, :] + hue[:, None]) % 6.0
    weight = torch.clamp(torch.minimum(k, 4.0 - k), 0.0, 1.0)
    return value[:, None] * (1.0 - saturation[:, None] * weight)


def dead_leaves(height: int, width: int, seed: int) -> Tensor:
    """A (3, height, width) dead-leaves scene in [0, 1], a pure function of the seed."""
    generator = torch.Generator().manual_seed(seed)
    side = min(height, width)
    spread = math.log(MAX_DISCS / MIN_DISCS)
    discs = round(MIN_DISCS * math.exp(spread * float(torch.rand((), generator=generator))))
    radius = _radii(discs, max(2.0, side / 64), 0.5 * side, generator)
    centre_y = torch.rand(discs, generator=generator) * (height + 2 * radius) - radius
    centre_x = torch.rand(discs, generator=generator) * (width + 2 * radius) - radius
    colour = _colours(discs, generator)
    odds = torch.tensor(TEXTURE_ODDS)
    texture = torch.multinomial(odds, discs, replacement=True, generator=generator)
    angle = torch.rand(discs, generator=generator) * 2 * math.pi
    strength = 0.05 + 0.2 * torch.rand(discs, generator=generator)
    period = 2.0 + radius * torch.rand(discs, generator=generator)
    backdrop = _backdrop(height, width, colour[0], generator)
    # The last disc covering a pixel is the one seen (later discs lie on top); each disc is
    # painted inside its bounding box only.
    ys = torch.arange(height, dtype=torch.float32)[:, None]
    xs = torch.arange(width, dtype=torch.float32)[None, :]
    top = torch.zeros(height, width, dtype=torch.long)  # disc 0 is the backdrop: covers all
    discs = zip(centre_y.tolist(), centre_x.tolist(), radius.tolist(), strict=True)
    for k, (cy, cx, r) in enumerate(discs):
        y0, y1 = max(0, math.floor(cy - r)), min(height, math.ceil(cy + r) + 1)
        x0, x1 = max(0, math.floor(cx - r)), min(width, math.ceil(cx + r) + 1)
        if k == 0 or y0 >= y1 or x0 >= x1:
            continue
        inside = (ys[y0:y1] - cy) ** 2 + (xs[:, x0:x1] - cx) ** 2 <= r * r
        top[y0:y1, x0:x1][inside] = k
    # Each pixel shaded by its disc's texture, from the disc's own parameters.
    dy, dx = ys - centre_y[top], xs - centre_x[top]
    along = (dx * torch.cos(angle[top]) + dy * torch.sin(angle[top])) / radius[top].clamp_min(1.0)
    shade = torch.zeros(height, width)
    kind = texture[top]
    shade = torch.where(kind == 1, strength[top] * along.clamp(-1, 1), shade)
    stripes = strength[top] * torch.sin(2 * math.pi * along * radius[top] / period[top])
    shade = torch.where(kind == 2, stripes, shade)
    grain = torch.randn(height, width, generator=generator) * strength[top] * 0.5
    shade = torch.where(kind == 3, grain, shade)
    image = (colour[top].permute(2, 0, 1) + shade[None]).clamp(0.0, 1.0)
    image = torch.where(top[None] == 0, backdrop, image)
    # A slight defocus, as a camera focused on the window glass sees the scene behind it.
    sigma = 0.5 + 0.7 * float(torch.rand((), generator=generator))
    return _blur(image, sigma)


def _backdrop(height: int, width: int, colour: Tensor, generator: torch.Generator) -> Tensor:
    """(3, height, width): a smooth gradient, in a random direction, from ``colour`` to a
    lighter or darker shade of it, as a sky or a lit wall is."""
    angle = float(torch.rand((), generator=generator)) * 2 * math.pi
    factor = 0.55 + 0.9 * float(torch.rand((), generator=generator))  # the far end's brightness
    ys = torch.linspace(-0.5, 0.5, height)[:, None]
    xs = torch.linspace(-0.5, 0.5, width)[None, :]
    along = (xs * math.cos(angle) + ys * math.sin(angle)).clamp(-0.5, 0.5) + 0.5  # 0 … 1
    scale = 1.0 + (factor - 1.0) * along
    return (colour[:, None, None] * scale[None]).clamp(0.0, 1.0)


def _blur(image: Tensor, sigma: float) -> Tensor:
    radius = max(1, math.ceil(2.5 * sigma))
    taps = torch.arange(-radius, radius + 1, dtype=torch.float32)
    kernel = torch.exp(-(taps**2) / (2 * sigma**2))
    kernel = kernel / kernel.sum()
    x = F.pad(image[None], (radius, radius, radius, radius), mode="reflect")
    x = F.conv2d(x, kernel.view(1, 1, 1, -1).repeat(3, 1, 1, 1), groups=3)
    x = F.conv2d(x, kernel.view(1, 1, -1, 1).repeat(3, 1, 1, 1), groups=3)
    return x[0].clamp(0.0, 1.0)
