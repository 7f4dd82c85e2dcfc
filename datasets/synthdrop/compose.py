"""Compose rendered drops onto the scene: I = (1 − M)·B + R with the soft mask M = G∗κ.

κ is the drops' anti-aliased footprint, C the colour seen through them (sampled from a Gaussian
pyramid of the scene at the refracted position, blurred as much as the drop shrinks it), G the
camera's defocus blur and R = G∗(κ·C). Outside the blurred footprint M = R = 0 exactly, so the
rainy image equals the scene there, bit for bit.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from derainbench.datasets.masks import raindrop_mask
from derainbench.datasets.synthdrop.drops import DropPixels, evaluate_drops
from derainbench.datasets.synthdrop.presets import (
    DEFAULT_PRESET,
    REFERENCE_HEIGHT,
    DropLayout,
    DropPreset,
    sample_layout,
)
from derainbench.datasets.synthdrop.streaks import render_streaks
from derainbench.errors import DerainBenchError
from derainbench.seeding import derive_seed

_DROPS, _STREAKS = 1, 2  # sub-seed tags: drops and streaks draw from independent generators
_MERGE_SOFTNESS = 0.5  # px of surface height: where drops overlap, the highest surface wins
_BINOMIAL = (1 / 16, 4 / 16, 6 / 16, 4 / 16, 1 / 16)


@dataclass
class Rendering:
    """A rendered batch: rainy (B, 3, H, W), soft mask M and thresholded mask (B, 1, H, W)."""

    rainy: Tensor
    soft_mask: Tensor
    mask: Tensor


@contextlib.contextmanager
def reproducible(device: torch.device) -> Iterator[None]:
    """CPU: one intra-op thread (a data-loader worker's setting), so bytes never depend on how
    many threads the calling process uses. CUDA: full-precision, deterministic convolutions
    (TF32 would cost ~1e-3 and break the 1e-4 agreement with the CPU)."""
    if device.type == "cuda":
        with torch.backends.cudnn.flags(
            enabled=True, benchmark=False, deterministic=True, allow_tf32=False
        ):
            yield
        return
    threads = torch.get_num_threads()
    if threads == 1:
        yield
        return
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def render(
    clean: Tensor,
    seeds: Sequence[int],
    preset: str | DropPreset = DEFAULT_PRESET,
    device: str | torch.device | None = None,
    streaks: str | None = None,
    scale: float | None = None,
) -> Rendering:
    """Raindrops (and optionally streaks, underneath) on a batch ``clean`` (B, 3, H, W) in [0, 1].

    Image b's drops depend on ``seeds[b]`` alone. Runs on ``device`` (default: clean's device);
    sizes are for a 480-px-high scene times ``scale`` (default: H / 480).
    """
    if clean.ndim != 4 or clean.shape[1] != 3:
        raise DerainBenchError(f"render needs a (B, 3, H, W) batch, got {tuple(clean.shape)}")
    if len(seeds) != clean.shape[0]:
        raise DerainBenchError(f"render got {len(seeds)} seeds for {clean.shape[0]} images")
    clean = clean.to(device=device or clean.device, dtype=torch.float32)
    _, _, height, width = clean.shape
    scale = height / REFERENCE_HEIGHT if scale is None else float(scale)
    with reproducible(clean.device), torch.no_grad():
        scene = clean
        if streaks not in (None, "none"):
            tags = [derive_seed(s, _STREAKS) for s in seeds]
            scene = render_streaks(clean, tags, streaks, scale)
        layouts = [
            sample_layout(derive_seed(s, _DROPS), height, width, preset, scale) for s in seeds
        ]
        soft_mask, rainy = compose(scene, DropLayout.concat(layouts))
        return Rendering(rainy, soft_mask, raindrop_mask(rainy, clean))


def compose(scene: Tensor, layout: DropLayout) -> tuple[Tensor, Tensor]:
    """(soft mask (B, 1, H, W), rainy (B, 3, H, W)) of the drops of ``layout`` over ``scene``."""
    batch, _, height, width = scene.shape
    device = scene.device
    radii = torch.ceil(3 * layout.defocus).long()
    margin = int(radii.max())
    pixels = evaluate_drops(layout, height, width, margin, device)
    pyramid = gaussian_pyramid(scene, _levels(height, width))
    top = len(pyramid) - 1
    colour = _sample_levels(pyramid, pixels.image, pixels.source_x, pixels.source_y, pixels.level)
    # What the water averages the scene to around the drop: the coarsest level at its centre.
    centre_x, centre_y = (c.to(device=device, dtype=torch.float32) for c in (layout.cx, layout.cy))
    drop_image = layout.image.to(device)
    mean = _sample(pyramid[top], drop_image, centre_x / 2**top, centre_y / 2**top)[pixels.drop]
    t = pixels.transmission[:, None]
    colour = pixels.shade[:, None] * (t * colour + (1 - t) * mean) + pixels.glow[:, None]

    canvas = _merge(pixels, colour.clamp(0.0, 1.0), batch, height + 2 * margin, width + 2 * margin)
    blurred = _defocus(canvas, layout.defocus, margin)
    soft_mask, reflected = blurred[:, :1], blurred[:, 1:]
    rainy = ((1 - soft_mask) * scene + reflected).clamp(0.0, 1.0)
    return soft_mask.clamp(0.0, 1.0), rainy


def _levels(height: int, width: int) -> int:
    """Pyramid levels below full size, down to a coarsest level about 8 px on its short side."""
    return max(0, min(7, int(math.log2(min(height, width) / 8))))


def gaussian_pyramid(image: Tensor, levels: int) -> list[Tensor]:
    """[image, blurred and halved, …]: ``levels`` + 1 tensors (B, C, H/2^k, W/2^k)."""
    kernel = torch.tensor(_BINOMIAL, dtype=image.dtype, device=image.device)
    channels = image.shape[1]
    out = [image]
    for _ in range(levels):
        x = F.pad(out[-1], (2, 2, 2, 2), mode="replicate")
        x = F.conv2d(x, kernel.view(1, 1, 1, 5).expand(channels, 1, 1, 5), groups=channels)
        x = F.conv2d(x, kernel.view(1, 1, 5, 1).expand(channels, 1, 5, 1), groups=channels)
        out.append(x[:, :, ::2, ::2].contiguous())
    return out


def _reflect(coord: Tensor, size: int) -> Tensor:
    """Mirror coordinates into [0, size − 1]: refracted rays often land outside the frame."""
    if size == 1:
        return torch.zeros_like(coord)
    period = 2 * (size - 1)
    folded = torch.remainder(coord, period)
    return torch.where(folded > size - 1, period - folded, folded)


def _sample(level: Tensor, image: Tensor, x: Tensor, y: Tensor) -> Tensor:
    """Bilinear samples (P, C) of ``level`` (B, C, h, w) at pixel coordinates, per batch index."""
    _, channels, h, w = level.shape
    x, y = _reflect(x, w), _reflect(y, h)
    x0 = torch.floor(x).clamp(max=max(w - 2, 0))
    y0 = torch.floor(y).clamp(max=max(h - 2, 0))
    fx, fy = (x - x0)[:, None], (y - y0)[:, None]
    x0, y0 = x0.long(), y0.long()
    x1, y1 = (x0 + 1).clamp(max=w - 1), (y0 + 1).clamp(max=h - 1)
    flat = level.permute(0, 2, 3, 1).reshape(-1, channels)
    base = image * (h * w)

    def at(yy: Tensor, xx: Tensor) -> Tensor:
        return flat[base + yy * w + xx]

    top = at(y0, x0) * (1 - fx) + at(y0, x1) * fx
    bottom = at(y1, x0) * (1 - fx) + at(y1, x1) * fx
    return top * (1 - fy) + bottom * fy


def _sample_levels(
    pyramid: list[Tensor], image: Tensor, x: Tensor, y: Tensor, level: Tensor
) -> Tensor:
    """Trilinear samples: a per-pixel (fractional) pyramid level, the two nearest levels blended."""
    level = level.clamp(0.0, len(pyramid) - 1.0)
    out = torch.zeros(len(x), pyramid[0].shape[1], dtype=pyramid[0].dtype, device=x.device)
    for k, tensor in enumerate(pyramid):
        weight = (1 - (level - k).abs()).clamp(min=0.0)
        chosen = torch.nonzero(weight > 0).flatten()
        if len(chosen):
            values = _sample(tensor, image[chosen], x[chosen] / 2**k, y[chosen] / 2**k)
            out.index_add_(0, chosen, weight[chosen, None] * values)
    return out


def _merge(pixels: DropPixels, colour: Tensor, batch: int, height: int, width: int) -> Tensor:
    """(B, 4, H, W) canvas of κ and κ·C; overlapping drops blend by a soft max of their heights."""
    size = batch * height * width
    device = colour.device
    top = torch.zeros(size, device=device).scatter_reduce(
        0, pixels.index, pixels.height, reduce="amax", include_self=True
    )
    # Continuous in the heights (unlike a hard arg-max), so CPU and GPU rounding cannot flip
    # which drop is seen at a pixel where two surfaces meet.
    weight = pixels.kappa * torch.exp((pixels.height - top[pixels.index]) / _MERGE_SOFTNESS)
    sums = torch.zeros(size, 5, device=device)
    values = torch.cat(
        [weight[:, None], (weight * pixels.kappa)[:, None], weight[:, None] * colour], 1
    )
    sums.index_add_(0, pixels.index, values)
    total = sums[:, :1]
    safe = torch.where(total > 0, total, torch.ones_like(total))
    kappa = torch.where(total > 0, sums[:, 1:2] / safe, torch.zeros_like(total))
    seen = torch.where(total > 0, sums[:, 2:] / safe, torch.zeros_like(sums[:, 2:]))
    canvas = torch.cat([kappa, kappa * seen], 1)
    return canvas.view(batch, height, width, 4).permute(0, 3, 1, 2)


def _defocus(canvas: Tensor, sigma: Tensor, margin: int) -> Tensor:
    """Per-image Gaussian blur of the margin-padded canvas, cropped back to the image."""
    batch, channels = canvas.shape[:2]
    taps = torch.arange(-margin, margin + 1, dtype=torch.float64)
    kernels = torch.exp(-0.5 * (taps[None] / sigma[:, None]) ** 2)
    # Cut at each image's own 3σ: beyond its halo the rainy image must equal the scene exactly.
    kernels = kernels * (taps[None].abs() <= torch.ceil(3 * sigma[:, None]))
    kernels = kernels / kernels.sum(1, keepdim=True)
    kernels = kernels.to(device=canvas.device, dtype=canvas.dtype).repeat_interleave(channels, 0)
    x = canvas.reshape(1, batch * channels, *canvas.shape[2:])
    groups = batch * channels
    x = F.conv2d(x, kernels.view(groups, 1, 1, -1), groups=groups)
    x = F.conv2d(x, kernels.view(groups, 1, -1, 1), groups=groups)
    return x.view(batch, channels, *x.shape[2:])
