"""SynthDrop's presets and the random drop layout of one image, drawn from one seed on the CPU.

All sizes are for a 480-px-high scene and are multiplied by ``scale`` (scene height / 480). Every
random draw comes from a CPU ``torch.Generator`` seeded with the image's seed, in a fixed order, so
a layout is the same on every device and in every process.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from derainbench.errors import DerainBenchError

RENDERER_VERSION = "1.0"
REFERENCE_HEIGHT = 480
HARMONICS = (2, 3, 4, 5)  # outline waviness of large drops
_CHUNK = 128  # drops drawn per round until the coverage target is met
_MAX_DROPS = 3000


@dataclass(frozen=True)
class DropPreset:
    """The distributions one preset draws a drop layout from (ranges are uniform unless noted)."""

    name: str
    coverage: tuple[float, float] = (0.08, 0.30)  # total drop area / image area
    radius: tuple[float, float] = (3.5, 40.0)  # contact radius, truncated power law r^-power
    power: float = 2.3
    large_probability: float = 0.35  # chance of one to three extra large drops
    large_count: tuple[int, int] = (1, 3)
    large_radius: tuple[float, float] = (40.0, 70.0)
    contact_angle: tuple[float, float] = (25.0, 65.0)  # image mean, degrees
    contact_jitter: float = 8.0  # ± per drop, degrees
    field_of_view: tuple[float, float] = (50.0, 70.0)  # horizontal, degrees
    defocus: tuple[float, float] = (1.2, 4.0)  # Gaussian sigma of the drops' blur, px
    rim_strength: tuple[float, float] = (0.25, 0.65)
    rim_exponent: tuple[float, float] = (2.0, 4.0)
    transmission: tuple[float, float] = (0.85, 0.98)  # contrast kept by the water
    tir_darkness: tuple[float, float] = (0.45, 0.8)  # total-internal-reflection band
    inner_blur: tuple[float, float] = (0.6, 1.6)  # extra pyramid levels inside drops
    highlight_probability: float = 0.5
    highlight: tuple[float, float] = (0.25, 0.6)
    light_elevation: tuple[float, float] = (8.0, 30.0)  # degrees above the view axis

    def parameters(self) -> dict[str, Any]:
        """The preset as plain JSON-able values (recorded with every result)."""
        return {
            k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(self).items()
        }


PRESETS: dict[str, DropPreset] = {
    "light": DropPreset("light", coverage=(0.05, 0.12), radius=(3.5, 30.0), large_probability=0.0),
    "medium": DropPreset("medium"),
    "large": DropPreset(
        "large",
        coverage=(0.15, 0.35),
        radius=(4.0, 50.0),
        power=1.8,
        large_probability=0.6,
        large_radius=(45.0, 80.0),
    ),
}
DEFAULT_PRESET = "medium"


def get_preset(preset: str | DropPreset) -> DropPreset:
    """A preset by name (light, medium, large), or the given one."""
    if isinstance(preset, DropPreset):
        return preset
    if preset not in PRESETS:
        raise DerainBenchError(f"unknown raindrop preset '{preset}'; choose {', '.join(PRESETS)}")
    return PRESETS[preset]


@dataclass
class DropLayout:
    """Drops of a batch: per-drop tensors (N,) or (N, k), per-image tensors (B,); CPU float64."""

    image: Tensor  # which image of the batch each drop lies on (int64)
    cx: Tensor
    cy: Tensor
    radius: Tensor  # horizontal contact radius, px
    aspect: Tensor  # width / height of the outline (<= 1: taller than wide)
    contact: Tensor  # contact angle, radians
    apex_shift: Tensor  # apex moved down by this fraction of the radius: a steeper lower half
    wave: Tensor  # (N, len(HARMONICS)) outline amplitudes
    wave_phase: Tensor  # (N, len(HARMONICS))
    rim_strength: Tensor
    rim_exponent: Tensor
    transmission: Tensor
    tir_darkness: Tensor
    focal: Tensor  # per image: focal length, px
    defocus: Tensor  # per image: sigma, px
    inner_blur: Tensor  # per image
    highlight: Tensor  # per image: intensity, 0 for none
    light: Tensor  # per image: (2,) direction of the light source as a deviation, radians

    @staticmethod
    def concat(layouts: list[DropLayout]) -> DropLayout:
        """One layout for a batch: image indices renumbered in order."""
        fields = {}
        for field in dataclasses.fields(DropLayout):
            parts = [getattr(layout, field.name) for layout in layouts]
            if field.name == "image":
                parts = [torch.full_like(p, i) for i, p in enumerate(parts)]
            fields[field.name] = torch.cat(parts)
        return DropLayout(**fields)


def _uniform(g: torch.Generator, bounds: tuple[float, float], n: int | None = None) -> Tensor:
    low, high = bounds
    draw = torch.rand(() if n is None else (n,), generator=g, dtype=torch.float64)
    return low + (high - low) * draw


def _power_law(g: torch.Generator, bounds: tuple[float, float], power: float, n: int) -> Tensor:
    """Inverse-CDF draws from p(r) ∝ r^-power on [low, high]."""
    low, high = bounds
    u = torch.rand(n, generator=g, dtype=torch.float64)
    e = 1.0 - power
    if abs(e) < 1e-9:
        return low * (high / low) ** u
    return (low**e + u * (high**e - low**e)) ** (1.0 / e)


def sample_layout(
    seed: int, height: int, width: int, preset: str | DropPreset = DEFAULT_PRESET, scale: float = 1
) -> DropLayout:
    """The drops of one image of ``height`` × ``width`` px, from ``seed`` alone."""
    p = get_preset(preset)
    g = torch.Generator().manual_seed(seed)
    coverage = float(_uniform(g, p.coverage))
    contact_mean = float(_uniform(g, p.contact_angle))
    fov = math.radians(float(_uniform(g, p.field_of_view)))
    # The focal length of a 480 × 720 frame at this scale: crops keep the optics of their scene.
    focal = 360.0 * scale / math.tan(fov / 2)
    defocus = max(0.5, float(_uniform(g, p.defocus)) * scale)
    inner_blur = float(_uniform(g, p.inner_blur))
    has_highlight = (
        float(torch.rand((), generator=g, dtype=torch.float64)) < p.highlight_probability
    )
    highlight = float(_uniform(g, p.highlight)) if has_highlight else 0.0
    elevation = math.radians(float(_uniform(g, p.light_elevation)))
    azimuth = math.radians(float(_uniform(g, (-20.0, 20.0))))
    # Image y points down: a light above deviates rays upwards (negative y).
    light = torch.tensor([[elevation * math.sin(azimuth), -elevation * math.cos(azimuth)]])

    radii = torch.zeros(0, dtype=torch.float64)
    if float(torch.rand((), generator=g, dtype=torch.float64)) < p.large_probability:
        count = int(torch.randint(p.large_count[0], p.large_count[1] + 1, (), generator=g))
        radii = _uniform(g, p.large_radius, count)
    target = coverage * height * width
    area = 0.0  # the large drops come on top of the coverage target
    while area < target and len(radii) < _MAX_DROPS:
        chunk = _power_law(g, p.radius, p.power, _CHUNK)
        cumulative = area + torch.cumsum(math.pi * (chunk * scale) ** 2, 0)
        take = int((cumulative < target).sum()) + 1  # the drop that reaches the target counts
        radii = torch.cat([radii, chunk[:take]])
        area = float(cumulative[min(take, _CHUNK) - 1])
    radii = radii[:_MAX_DROPS] * scale
    n = len(radii)

    # Centres may lie slightly outside the frame, as on a real window.
    cx = _uniform(g, (0.0, 1.0), n) * (width + radii) - radii / 2
    cy = _uniform(g, (0.0, 1.0), n) * (height + radii) - radii / 2
    # 0 for small drops, 1 for large ones: only large drops sag, stretch and wobble.
    size = ((radii / scale - 8.0) / 32.0).clamp(0.0, 1.0)
    aspect = 1.0 - size * _uniform(g, (0.0, 0.15), n)
    contact = torch.deg2rad(
        (contact_mean + _uniform(g, (-p.contact_jitter, p.contact_jitter), n)).clamp(15.0, 75.0)
    )
    apex_shift = 0.03 + size * _uniform(g, (0.04, 0.15), n)
    k = torch.tensor(HARMONICS, dtype=torch.float64)
    wave = size[:, None] * torch.rand(n, len(HARMONICS), generator=g, dtype=torch.float64)
    wave = wave * 0.05 / (k - 1)
    wave_phase = 2 * math.pi * torch.rand(n, len(HARMONICS), generator=g, dtype=torch.float64)
    return DropLayout(
        image=torch.zeros(n, dtype=torch.int64),
        cx=cx,
        cy=cy,
        radius=radii,
        aspect=aspect,
        contact=contact,
        apex_shift=apex_shift,
        wave=wave,
        wave_phase=wave_phase,
        rim_strength=_uniform(g, p.rim_strength, n),
        rim_exponent=_uniform(g, p.rim_exponent, n),
        transmission=_uniform(g, p.transmission, n),
        tir_darkness=_uniform(g, p.tir_darkness, n),
        focal=torch.tensor([focal], dtype=torch.float64),
        defocus=torch.tensor([defocus], dtype=torch.float64),
        inner_blur=torch.tensor([inner_blur], dtype=torch.float64),
        highlight=torch.tensor([highlight], dtype=torch.float64),
        light=light.to(torch.float64),
    )
