"""Raindrop geometry and optics: each drop a small lens over the pixels it covers.

A drop is a spherical cap (contact radius r, contact angle θ) with, for large drops, a taller
outline, a lower apex (gravity) and a mildly wavy contact line. Its surface slope α refracts the
camera ray by δ = asin(n sin α) − α towards the apex, so the pixel shows the scene at
x + f·tan δ·û: an inverted, shrunk view. Beyond the critical slope the ray is totally reflected
(a dark band). Drops are evaluated in square patches grouped by size, so the cost scales with the
drops' area, never with drop count × image size.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

from derainbench.datasets.synthdrop.presets import HARMONICS, DropLayout

WATER_INDEX = 1.333
CRITICAL_SLOPE = math.asin(1 / WATER_INDEX)  # ≈ 48.6°: total internal reflection beyond
MAX_DEVIATION = math.radians(60.0)
_TIR_WIDTH = math.radians(8.0)  # the dark band fades in over this much slope
_HIGHLIGHT_WIDTH = 0.05  # radians of ray deviation: the refracted image of a small light
_GLINT_WIDTH = 0.035  # radians of surface tilt: the light's reflection off the top surface
_EPS = 1e-12


@dataclass
class DropPixels:
    """The pixels covered by drops (κ > 0), flat; several entries per pixel where drops overlap."""

    index: Tensor  # position in the margin-padded canvas of the batch, (B, H + 2m, W + 2m) flat
    image: Tensor  # batch index
    drop: Tensor  # drop index in the layout
    kappa: Tensor  # anti-aliased footprint in [0, 1]
    height: Tensor  # surface height, px: where drops overlap, the highest surface wins
    source_x: Tensor  # where in the scene the refracted ray lands, px
    source_y: Tensor
    level: Tensor  # pyramid level to sample at: the blur the drop's shrinking calls for
    shade: Tensor  # multiplicative darkening: rim and total-internal-reflection band
    glow: Tensor  # additive light: highlight and glint
    transmission: Tensor  # contrast kept


def _patch_sizes(need: Tensor) -> Tensor:
    """Each drop's patch side: the smallest of 8, 12, 16, 24, … that holds ``need`` px."""
    steps = torch.ceil(torch.log(need.clamp(min=8.0) / 8.0) / math.log(1.5) - 1e-9)
    sizes = torch.round(8.0 * 1.5 ** steps.clamp(min=0))
    return sizes + sizes % 2


def evaluate_drops(
    layout: DropLayout, height: int, width: int, margin: int, device: torch.device
) -> DropPixels:
    """Geometry and optics of every drop on its patch, kept where the drop covers a pixel."""
    extent = layout.radius * (1 + layout.wave.sum(1)) / layout.aspect  # half-height, the larger
    sizes = _patch_sizes(2 * extent + 8)
    parts = [
        _evaluate_bin(
            layout, torch.nonzero(sizes == s).flatten(), int(s), (height, width), margin, device
        )
        for s in torch.unique(sizes).tolist()
    ]
    fields = DropPixels.__dataclass_fields__
    if not parts:
        integer = ("index", "image", "drop")
        return DropPixels(
            **{
                name: torch.zeros(0, device=device, dtype=torch.long if name in integer else None)
                for name in fields
            }
        )
    return DropPixels(**{name: torch.cat([getattr(p, name) for p in parts]) for name in fields})


def _evaluate_bin(
    layout: DropLayout,
    drops: Tensor,
    size: int,
    shape: tuple[int, int],
    margin: int,
    device: torch.device,
) -> DropPixels:
    height, width = shape
    f32 = {"dtype": torch.float32, "device": device}

    def per_drop(values: Tensor) -> Tensor:
        return values[drops].to(**f32).view(-1, 1, 1)

    def per_image(values: Tensor) -> Tensor:
        return values[layout.image[drops]].to(**f32).view(-1, 1, 1)

    cx, cy, r = per_drop(layout.cx), per_drop(layout.cy), per_drop(layout.radius)
    left = (torch.floor(layout.cx[drops]) - size // 2 + 1).to(**f32).view(-1, 1, 1)
    top = (torch.floor(layout.cy[drops]) - size // 2 + 1).to(**f32).view(-1, 1, 1)
    offsets = torch.arange(size, **f32)
    x_px = (left + offsets.view(1, 1, -1)).expand(-1, size, -1)
    y_px = (top + offsets.view(1, -1, 1)).expand(-1, -1, size)

    with torch.inference_mode(False), torch.enable_grad():
        # Relative coordinates as autograd leaves: the surface gradient is exact, not a difference.
        u = (x_px - cx).detach().requires_grad_(True)
        v = (y_px - cy).detach().requires_grad_(True)
        rho, surface = _surface(u, v, r, layout, drops, f32)
        grad_x, grad_y = torch.autograd.grad(surface.sum(), (u, v))
    rho, surface = rho.detach(), surface.detach()

    slope_tan = torch.sqrt(grad_x**2 + grad_y**2)
    slope = torch.atan(slope_tan)
    sin_slope = slope_tan / torch.sqrt(1 + slope_tan**2)
    deviation = (torch.asin((WATER_INDEX * sin_slope).clamp(max=1.0)) - slope).clamp(
        0.0, MAX_DEVIATION
    )
    # û: uphill, towards the apex; the ray bends that way and the scene appears upside down.
    inv = 1.0 / slope_tan.clamp(min=1e-8)
    ux, uy = grad_x * inv, grad_y * inv
    shift = per_image(layout.focal) * torch.tan(deviation)
    source_x, source_y = x_px + shift * ux, y_px + shift * uy

    # How much the drop shrinks the scene here: the larger singular value of the mapping's
    # Jacobian (the surface is continued past the contact line, so edge pixels differ sanely).
    dxdy, dxdx = torch.gradient(source_x, dim=(1, 2))
    dydy, dydx = torch.gradient(source_y, dim=(1, 2))
    frob = dxdx**2 + dxdy**2 + dydx**2 + dydy**2
    det = dxdx * dydy - dxdy * dydx
    shrink = torch.sqrt(0.5 * (frob + torch.sqrt((frob**2 - 4 * det**2).clamp(min=0.0))))
    level = torch.log2(shrink.clamp(min=1.0)) + per_image(layout.inner_blur)

    inside = rho.clamp(max=1.0)
    rim = 1 - per_drop(layout.rim_strength) * inside ** per_drop(layout.rim_exponent)
    tir = ((slope - CRITICAL_SLOPE) / _TIR_WIDTH + 0.5).clamp(0.0, 1.0)
    tir = tir * tir * (3 - 2 * tir)  # smoothstep
    # The band is darkest at the bottom (û points up there), where light from above cannot enter.
    tir = tir * (0.75 - 0.25 * uy)
    shade = rim * (1 - per_drop(layout.tir_darkness) * tir)

    light = layout.light[layout.image[drops]].to(**f32)
    lx, ly = light[:, 0].view(-1, 1, 1), light[:, 1].view(-1, 1, 1)
    # The light seen through the drop (a refracted highlight, on its lower part) and reflected
    # off its top surface (a small glint on its upper part, where the surface faces the light).
    through = ((deviation * ux - lx) ** 2 + (deviation * uy - ly) ** 2) / (2 * _HIGHLIGHT_WIDTH**2)
    glint = ((-slope * ux - lx / 2) ** 2 + (-slope * uy - ly / 2) ** 2) / (2 * _GLINT_WIDTH**2)
    glow = per_image(layout.highlight) * (torch.exp(-through) + 0.7 * torch.exp(-glint))

    # Anti-aliased footprint: ~1 px ramp across the contact line.
    kappa = (0.5 + (1 - rho) * r * per_drop(layout.aspect)).clamp(0.0, 1.0)
    keep = (
        (kappa > 0)
        & (x_px >= -margin)
        & (x_px < width + margin)
        & (y_px >= -margin)
        & (y_px < height + margin)
    )
    image = layout.image[drops].to(device).view(-1, 1, 1).expand_as(keep)[keep]
    row, col = y_px[keep].long() + margin, x_px[keep].long() + margin
    canvas_w, canvas_h = width + 2 * margin, height + 2 * margin
    drop_ids = drops.to(device).view(-1, 1, 1).expand_as(keep)[keep]
    return DropPixels(
        index=(image * canvas_h + row) * canvas_w + col,
        image=image,
        drop=drop_ids,
        kappa=kappa[keep],
        height=surface.clamp(min=0.0)[keep],
        source_x=source_x[keep],
        source_y=source_y[keep],
        level=level[keep],
        shade=shade[keep],
        glow=glow[keep],
        transmission=per_drop(layout.transmission).expand_as(keep)[keep],
    )


def _surface(
    u: Tensor, v: Tensor, r: Tensor, layout: DropLayout, drops: Tensor, f32: dict
) -> tuple[Tensor, Tensor]:
    """(normalised radius ρ, height in px) of the drop surface at offsets (u, v) from its centre."""

    def per_drop(values: Tensor) -> Tensor:
        return values[drops].to(**f32).view(-1, 1, 1)

    x = u / r
    y = v * per_drop(layout.aspect) / r
    d2 = x * x + y * y
    d = torch.sqrt(d2 + _EPS)
    cos1, sin1 = x / d, y / d
    # Wavy contact line: harmonics 2–5 of the polar angle, faded out towards the apex (d → 0) so
    # that the height contours near the top stay round (no star-shaped highlight).
    wave = torch.zeros_like(d)
    cos_k, sin_k = cos1, sin1
    amplitudes = layout.wave[drops].to(**f32)
    phases = layout.wave_phase[drops].to(**f32)
    for k in range(2, HARMONICS[-1] + 1):
        cos_k, sin_k = cos_k * cos1 - sin_k * sin1, sin_k * cos1 + cos_k * sin1
        if k in HARMONICS:
            j = HARMONICS.index(k)
            a, phase = amplitudes[:, j].view(-1, 1, 1), phases[:, j].view(-1, 1, 1)
            wave = wave + a * (cos_k * torch.cos(phase) - sin_k * torch.sin(phase))
    d4 = d2 * d2
    rho0 = d / (1 + wave * 2 * d4 / (1 + d4))
    px, py = cos1 * rho0, sin1 * rho0
    # Gravity: the apex sits lower than the centre, so contours crowd into the lower half. ρ is
    # the radius of the circle, centred between apex and centre, that passes through the point.
    s = per_drop(layout.apex_shift)
    qy = py - s
    qa = qy * s
    rho = (qa + torch.sqrt(qa * qa + (1 - s * s) * (px * px + qy * qy) + _EPS)) / (1 - s * s)
    # Spherical cap: h(ρ) = r(√(1/sin²θ − ρ²) − cot θ), continued a little past the contact line.
    theta = per_drop(layout.contact)
    inv_sin2 = 1 / torch.sin(theta) ** 2
    limit = 1 + 0.5 * (torch.sqrt(inv_sin2) - 1)
    rho_c = torch.minimum(rho, limit)
    surface = r * (torch.sqrt(inv_sin2 - rho_c * rho_c) - 1 / torch.tan(theta))
    return rho, surface
