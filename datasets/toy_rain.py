"""ToyRain-SK: simple synthetic rain streaks on the photos shipped in the scikit-image wheel.

An offline, deterministic stand-in for the demo and tests; never a substitute for the real sets.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import math
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch import Tensor

from derainbench.datasets.base import PairedDataset
from derainbench.datasets.image_io import save_png
from derainbench.errors import DataError
from derainbench.imaging import from_uint8, to_uint8
from derainbench.registries import DATASETS

TOY_RAIN_NAME = "ToyRain-SK"
TOY_RAIN_VERSION = "0.1"
# Split by photo so that no test scene is seen in training; the two motorcycle views are one
# stereo scene, so they stay together.
TRAIN_BACKGROUNDS = ("astronaut.png", "motorcycle_left.png", "motorcycle_right.png", "ihc.png")
TRAIN_BACKGROUNDS += ("hubble_deep_field.jpg", "retina.jpg", "color.png")
TEST_BACKGROUNDS = ("chelsea.png", "coffee.png", "rocket.jpg")
_BACKGROUNDS = {"train": list(TRAIN_BACKGROUNDS), "test": list(TEST_BACKGROUNDS)}


def sample_seed(seed: int, split: str, index: int) -> int:
    """A fixed 64-bit hash of (base seed, split, index): the same on every machine and run."""
    digest = hashlib.blake2b(f"{TOY_RAIN_NAME}/{seed}/{split}/{index}".encode(), digest_size=8)
    return int.from_bytes(digest.digest(), "little")


@lru_cache(maxsize=16)
def load_background(file: str, size: int) -> Tensor:
    """A scikit-image photo with its shorter side resized to 2 × size; read, never downloaded."""
    # find_spec, not `import skimage.data`: that module's fetchers may reach for the network.
    folder = Path(importlib.util.find_spec("skimage").origin).parent / "data"
    photo = Image.open(folder / file).convert("RGB")  # the decoded copy; Pillow closes the file
    scale = 2 * size / min(photo.size)
    shape = (max(size, round(photo.width * scale)), max(size, round(photo.height * scale)))
    photo = photo.resize(shape, Image.Resampling.LANCZOS)  # antialiased, integer arithmetic
    return from_uint8(torch.from_numpy(np.asarray(photo).copy()).permute(2, 0, 1))


def render_streaks(
    clean: Tensor,
    generator: torch.Generator,
    density: float = 0.004,
    length: int = 24,
    angle: float | None = None,
) -> tuple[Tensor, Tensor]:
    """Rain streaks screened over ``clean`` (3, H, W): (rainy, streak mask (1, H, W))."""
    _, height, width = clean.shape
    if angle is None:
        angle = (2 * float(torch.rand((), generator=generator)) - 1) * 20
    hits = torch.rand(height, width, generator=generator) < density
    brightness = 0.35 + 0.55 * torch.rand(height, width, generator=generator)
    # The streak: a line tilted `angle` degrees from vertical, fading at both ends, ~1.4 px wide.
    radius, theta = length // 2 + 2, math.radians(angle)
    coords = torch.arange(-radius, radius + 1, dtype=torch.float64)
    y, x = torch.meshgrid(coords, coords, indexing="ij")
    along = (y * math.cos(theta) - x * math.sin(theta)) / (length / 2)
    across = x * math.cos(theta) + y * math.sin(theta)
    taper = torch.cos(along.clamp(-1, 1) * math.pi / 2) ** 2
    kernel = taper * torch.exp(-0.5 * (across / 0.6) ** 2)
    # Quantised to 1/256 so that last-bit differences of exp/cos between CPUs vanish.
    kernel = (torch.round(kernel * 256) / 256).to(torch.float32)
    seeds = F.pad((hits * brightness)[None, None], (radius,) * 4)[0, 0]
    # Shifted adds over the kernel's non-zero taps (a sparse convolution) in a fixed order: exact
    # float32 element-wise arithmetic gives the same bytes on every machine, unlike conv2d.
    layer = torch.zeros(height, width)
    for dy, dx in torch.nonzero(kernel).tolist():
        layer += kernel[dy, dx] * seeds[dy : dy + height, dx : dx + width]
    mask = layer.clamp(0, 1)[None]
    return 1 - (1 - clean) * (1 - mask), mask


def render_sample(split: str, index: int, size: int = 128, seed: int = 0) -> dict[str, Any]:
    """Sample ``index`` of a split: 8-bit-exact rainy/clean crops, mask and the parameters used."""
    backgrounds = _BACKGROUNDS[split]
    g = torch.Generator().manual_seed(sample_seed(seed, split, index))
    background = backgrounds[int(torch.randint(len(backgrounds), (1,), generator=g))]
    photo = load_background(background, size)
    top = int(torch.randint(photo.shape[1] - size + 1, (1,), generator=g))
    left = int(torch.randint(photo.shape[2] - size + 1, (1,), generator=g))
    clean = photo[:, top : top + size, left : left + size]
    density = 0.002 + 0.004 * float(torch.rand((), generator=g))
    length = round(size * (0.12 + 0.18 * float(torch.rand((), generator=g))))
    angle = (2 * float(torch.rand((), generator=g)) - 1) * 20
    rainy, mask = render_streaks(clean, g, density, length, angle)
    params = {"background": background, "top": top, "left": left, "length": length}
    params |= {"density": round(density, 6), "angle": round(angle, 4)}
    # Rounded to 8 bits here, so the in-memory set equals the PNGs write_toy_rain_set saves.
    return {"rainy": from_uint8(to_uint8(rainy)), "clean": clean.clone(), "mask": mask, **params}


def write_toy_rain_set(
    out_dir: str | os.PathLike[str], n_train: int, n_test: int, size: int = 128, seed: int = 0
) -> Path:
    """Write train/ and test/ in the Raindrop layout (data/{i}_rain.png, gt/{i}_clean.png)."""
    out = Path(out_dir)
    if size < 8 or n_train < 0 or n_test < 0:
        raise DataError(f"{TOY_RAIN_NAME}: need size >= 8 and counts >= 0 (writing {out})")
    counts = {"train": n_train, "test": n_test}
    info: dict[str, Any] = {"name": TOY_RAIN_NAME, "version": TOY_RAIN_VERSION, "seed": seed}
    info |= {"size": size, "pairs": counts, "backgrounds": _BACKGROUNDS}
    if _is_complete(out, info):
        return out
    (out / "info.json").unlink(missing_ok=True)  # written last: its presence means complete
    info["samples"] = {}
    for split, count in counts.items():
        # A full rewrite: PNGs of an earlier, larger set would otherwise join this one.
        for old in [*out.glob(f"{split}/data/*.png"), *out.glob(f"{split}/gt/*.png")]:
            old.unlink()
        records = []
        for i in range(count):
            sample = render_sample(split, i, size, seed)
            save_png(sample["rainy"], out / split / "data" / f"{i}_rain.png")
            save_png(sample["clean"], out / split / "gt" / f"{i}_clean.png")
            records.append({k: v for k, v in sample.items() if not isinstance(v, Tensor)})
        info["samples"][split] = records
    (out / "README.txt").write_text(
        f"{TOY_RAIN_NAME} v{TOY_RAIN_VERSION}: toy rain streaks on scikit-image photos, split by "
        "photo (details in info.json). For demos and tests; never report it as a real benchmark.\n"
    )
    temp = out / ".info.json.tmp"
    temp.write_text(json.dumps(info, indent=1) + "\n")
    os.replace(temp, out / "info.json")
    return out


def _is_complete(out: Path, info: dict[str, Any]) -> bool:
    try:
        written = json.loads((out / "info.json").read_text())
    except (OSError, ValueError):
        return False
    pairs = info["pairs"].items()
    files = all(len([*out.glob(f"{s}/{d}/*.png")]) == n for s, n in pairs for d in ("data", "gt"))
    return files and all(written.get(key) == value for key, value in info.items())


class ToyRainSet(PairedDataset):
    """The ToyRain-SK samples rendered in memory, lazily, cached per index."""

    def __init__(self, split: str, n: int, size: int, seed: int, crop: int | None, flip: bool):
        if split not in _BACKGROUNDS:
            raise DataError(f"unknown {TOY_RAIN_NAME} split '{split}'; choose train or test")
        super().__init__(f"{TOY_RAIN_NAME} v{TOY_RAIN_VERSION} {split}", crop, flip)
        if self.crop is not None and max(self.crop) > size:
            raise DataError(f"{self.name}: crop {crop} is larger than the {size} px samples")
        self.split, self.n, self.size, self.seed = split, n, size, seed
        self.params = {"version": TOY_RAIN_VERSION, "split": split, "size": size, "seed": seed}
        self._cache: dict[int, tuple[Tensor, Tensor]] = {}

    def __len__(self) -> int:
        return self.n

    def pair_names(self) -> list[str]:
        return [f"{i}_rain.png" for i in range(self.n)]

    def load_pair(self, index: int) -> tuple[Tensor, Tensor]:
        if index not in self._cache:
            sample = render_sample(self.split, index, self.size, self.seed)
            self._cache[index] = (sample["rainy"], sample["clean"])
        rainy, clean = self._cache[index]
        return rainy.clone(), clean.clone()  # callers may edit in place; the cache must not change

    def describe(self) -> dict[str, Any]:
        """Name, version, split, size, seed and the background photos used."""
        return {**super().describe(), **self.params, "backgrounds": list(_BACKGROUNDS[self.split])}


@DATASETS.register(
    "toyrain-sk",
    provides=(),
    layout="in memory (write_toy_rain_set: Raindrop layout)",
    description=f"{TOY_RAIN_NAME} v{TOY_RAIN_VERSION}: toy rain streaks on scikit-image photos",
)
def toyrain_sk(
    split: str = "train",
    n: int = 32,
    size: int = 128,
    seed: int = 0,
    crop: int | None = None,
    flip: bool = False,
) -> PairedDataset:
    """ToyRain-SK pairs rendered in memory; the same samples write_toy_rain_set writes."""
    return ToyRainSet(split, n=n, size=size, seed=seed, crop=crop, flip=flip)
