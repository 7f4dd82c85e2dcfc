"""SynthDrop-SK: adherent raindrops rendered over backgrounds that can teach.

A proxy for relative comparisons, ablations, demos and tests, never a substitute for the real sets.
Training (and validation) samples are rendered over procedural dead-leaves scenes mixed with the
training photos shipped inside scikit-image; ``test`` is always the held-out photos, ``test-seen``
the training photos with other crops and drops (see :mod:`.backgrounds` for the other sources).
Sample i of seed s depends on (s, i, split) alone, through :func:`derainbench.seeding.derive_seed`,
so it is the same bytes in every process, worker and order.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor

from derainbench.datasets.base import PairedDataset
from derainbench.datasets.masks import raindrop_mask
from derainbench.datasets.synthdrop.backgrounds import (
    BUILTIN,
    DEAD_LEAVES,
    PHOTO_EVERY,
    PHOTOS,
    TEST_BACKGROUNDS,
    TRAIN_BACKGROUNDS,
    check_backgrounds,
    folder_photos,
    load_background,
)
from derainbench.datasets.synthdrop.compose import render, reproducible
from derainbench.datasets.synthdrop.dead_leaves import DEAD_LEAVES_VERSION, dead_leaves
from derainbench.datasets.synthdrop.presets import (
    DEFAULT_PRESET,
    REFERENCE_HEIGHT,
    RENDERER_VERSION,
    get_preset,
)
from derainbench.datasets.synthdrop.streaks import get_streak_preset
from derainbench.datasets.transforms import format_size
from derainbench.errors import DataError
from derainbench.imaging import from_uint8, to_uint8
from derainbench.registries import DATASETS
from derainbench.seeding import derive_seed

SYNTHDROP_NAME = "SynthDrop-SK"
SPLITS: dict[str, tuple[str, ...]] = {
    "train": TRAIN_BACKGROUNDS,
    "val": TRAIN_BACKGROUNDS,  # the training distribution, other samples: for validation
    "test": TEST_BACKGROUNDS,  # held-out backgrounds
    "test-seen": TRAIN_BACKGROUNDS,  # seen backgrounds, other crops and drops
}
SPLIT_CODES = {"train": 1, "test": 2, "test-seen": 3, "val": 4}
#: Splits whose builtin backgrounds are mostly dead-leaves scenes (the others: photos only).
LEARNING_SPLITS = ("train", "val")
MASK_MODES = ("soft", "threshold")
STREAK_CHOICES = ("none", "light", "heavy")


def parse_size(size: int | str | Sequence[int]) -> tuple[int, int]:
    """(height, width) from 256, '256', '480x720' (HxW) or [480, 720]."""
    if isinstance(size, str):
        match = re.fullmatch(r"\s*(\d+)\s*(?:[xX×]\s*(\d+))?\s*", size)
        if match is None:
            raise DataError(f"size '{size}' is not N or HxW (e.g. 256 or 480x720)")
        height, width = int(match[1]), int(match[2] or match[1])
    elif isinstance(size, int):
        height = width = size
    else:
        height, width = (int(v) for v in size)
    if min(height, width) < 8:
        raise DataError(
            f"SynthDrop samples must be at least 8x8 px, got {format_size(height, width)}"
        )
    return height, width


def check_options(split: str, preset: str, streaks: str, backgrounds: str = BUILTIN) -> None:
    """DataError for an unknown split, drop preset, streak preset or background source."""
    if split not in SPLITS:
        raise DataError(f"unknown {SYNTHDROP_NAME} split '{split}'; choose {', '.join(SPLITS)}")
    get_preset(preset)
    if streaks != "none":
        get_streak_preset(streaks)
    check_backgrounds(backgrounds)


def background(
    split: str, backgrounds: str, index: int, seed: int, height: int, width: int,
    scene_height: int, generator: torch.Generator,
) -> tuple[Tensor, dict[str, Any]]:  # fmt: skip
    """The clean scene (3, height, width) of sample ``index`` and how it was chosen."""
    photos = SPLITS[split]
    if backgrounds == DEAD_LEAVES or (
        backgrounds == BUILTIN and split in LEARNING_SPLITS and index % PHOTO_EVERY != 3
    ):
        scene_seed = derive_seed(seed, 0xD1EAF)
        scene = dead_leaves(height, width, scene_seed)
        return scene, {"background": f"dead-leaves v{DEAD_LEAVES_VERSION}", "scene": scene_seed}
    if backgrounds == BUILTIN and split in LEARNING_SPLITS:
        file = photos[(index // PHOTO_EVERY) % len(photos)]  # every photo equally often
    elif backgrounds in (BUILTIN, PHOTOS):
        file = photos[index % len(photos)]
    else:
        files = folder_photos(backgrounds)
        file = files[index % len(files)]
    photo = load_background(file, max(height, scene_height), width)
    top = int(torch.randint(photo.shape[1] - height + 1, (), generator=generator))
    left = int(torch.randint(photo.shape[2] - width + 1, (), generator=generator))
    scene = photo[:, top : top + height, left : left + width]
    return scene, {"background": file, "top": top, "left": left}


def background_names(split: str, backgrounds: str) -> list[str]:
    """What a split's samples are rendered over, for the records of data and results."""
    if backgrounds == DEAD_LEAVES:
        return [f"dead-leaves v{DEAD_LEAVES_VERSION}"]
    if backgrounds == BUILTIN and split in LEARNING_SPLITS:
        return [f"dead-leaves v{DEAD_LEAVES_VERSION} (3 of 4 samples)", *SPLITS[split]]
    if backgrounds in (BUILTIN, PHOTOS):
        return list(SPLITS[split])
    return [f"{backgrounds} ({len(folder_photos(backgrounds))} images)"]


def sample_seed(seed: int, split: str, index: int) -> int:
    """The seed of sample ``index`` of ``split``: a fixed hash, the same on every machine."""
    return derive_seed(seed, index, SPLIT_CODES[split])


def describe_parameters(preset: str, streaks: str) -> dict[str, Any]:
    """The renderer's parameters as recorded with every result."""
    params: dict[str, Any] = {"drops": get_preset(preset).parameters()}
    if streaks != "none":
        params["streaks"] = get_streak_preset(streaks).parameters()
    return params


def render_samples(
    split: str,
    indices: Sequence[int],
    size: int | str | Sequence[int] = 256,
    seed: int = 0,
    preset: str = DEFAULT_PRESET,
    streaks: str = "none",
    scene_height: int = REFERENCE_HEIGHT,
    device: str | torch.device = "cpu",
    backgrounds: str = BUILTIN,
) -> list[dict[str, Any]]:
    """Samples of a split, rendered as one batch on ``device``, rounded to 8 bits.

    Each dict holds uint8 tensors ``rainy``, ``clean`` (3, H, W), ``soft_mask``, ``mask``
    (1, H, W; the thresholded mask of the rounded pair) and a JSON-able ``record``.
    """
    check_options(split, preset, streaks, backgrounds)
    with reproducible(torch.device(device)):
        return _render_samples(
            split, indices, parse_size(size), seed, preset, streaks, scene_height, device,
            backgrounds,
        )  # fmt: skip


def _render_samples(
    split: str,
    indices: Sequence[int],
    size: tuple[int, int],
    seed: int,
    preset: str,
    streaks: str,
    scene_height: int,
    device: str | torch.device,
    backgrounds: str = BUILTIN,
) -> list[dict[str, Any]]:
    height, width = size
    cleans, records = [], []
    for index in indices:
        seed_i = sample_seed(seed, split, index)
        generator = torch.Generator().manual_seed(seed_i)
        scene, record = background(
            split, backgrounds, index, seed_i, height, width, scene_height, generator
        )
        cleans.append(scene)
        records.append({"index": index, "seed": seed_i, **record})
    # A crop of a scene at least scene_height px high: drops keep their size in any crop.
    scale = max(height, scene_height) / REFERENCE_HEIGHT
    seeds = [r["seed"] for r in records]
    batch = torch.stack(cleans).to(device)
    rendering = render(batch, seeds, preset, streaks=streaks, scale=scale)
    rainy = to_uint8(rendering.rainy).cpu()
    soft = to_uint8(rendering.soft_mask).cpu()
    clean8 = to_uint8(batch).cpu()
    mask = raindrop_mask(from_uint8(rainy), from_uint8(clean8)).to(torch.uint8)
    return [
        {"rainy": rainy[i], "clean": clean8[i], "soft_mask": soft[i], "mask": mask[i] * 255}
        | {"record": records[i]}
        for i in range(len(records))
    ]


class SynthDropSet(PairedDataset):
    """SynthDrop-SK rendered on the fly (in data-loader workers), cached per index as 8-bit."""

    def __init__(
        self,
        split: str = "train",
        n: int = 64,
        size: int | str | Sequence[int] = 256,
        seed: int = 0,
        preset: str = DEFAULT_PRESET,
        streaks: str = "none",
        mask: str = "soft",
        scene_height: int = REFERENCE_HEIGHT,
        crop: int | None = None,
        flip: bool = False,
        cache_size: int = 512,
        backgrounds: str = BUILTIN,
    ) -> None:
        check_options(split, preset, streaks, backgrounds)
        self.backgrounds = backgrounds
        if mask not in MASK_MODES:
            raise DataError(f"unknown {SYNTHDROP_NAME} mask '{mask}'; choose soft or threshold")
        super().__init__(f"{SYNTHDROP_NAME} v{RENDERER_VERSION} {split}", crop, flip)
        self.size = parse_size(size)
        if self.crop is not None and (self.crop[0] > self.size[0] or self.crop[1] > self.size[1]):
            raise DataError(
                f"{self.name}: crop {format_size(*self.crop)} is larger than the "
                f"{format_size(*self.size)} samples"
            )
        if n < 1:
            raise DataError(f"{self.name}: n must be at least 1, got {n}")
        self.provides = frozenset({"mask"})
        self.split, self.n, self.seed, self.preset = split, int(n), int(seed), preset
        self.streaks, self.mask_mode, self.scene_height = streaks, mask, int(scene_height)
        self.cache_size = max(1, cache_size)  # ≥ 1: load_pair and load_mask share one render
        self._cache: OrderedDict[int, dict[str, Any]] = OrderedDict()
        self.render_device = torch.device("cpu")

    def render_on(self, device: Any) -> bool:
        """Render on ``device`` (a GPU: many times the CPU's renders per second; the bytes then
        agree with the CPU's within one 8-bit level), in the process that trains."""
        self.render_device = torch.device(device)
        self._cache.clear()
        return True

    def __len__(self) -> int:
        return self.n

    def pair_names(self) -> list[str]:
        return [f"{i}_rain.png" for i in range(self.n)]

    def sample(self, index: int) -> dict[str, Any]:
        """The rendered sample ``index`` (uint8 tensors and its record), from the cache if there."""
        if index in self._cache:
            self._cache.move_to_end(index)
            return self._cache[index]
        (sample,) = render_samples(
            self.split,
            [index],
            self.size,
            self.seed,
            self.preset,
            self.streaks,
            self.scene_height,
            device=self.render_device,
            backgrounds=self.backgrounds,
        )
        sample = {k: v.cpu() if isinstance(v, Tensor) else v for k, v in sample.items()}
        self._cache[index] = sample
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
        return sample

    def load_pair(self, index: int) -> tuple[Tensor, Tensor]:
        sample = self.sample(index)
        return from_uint8(sample["rainy"]), from_uint8(sample["clean"])

    def load_mask(self, index: int, rainy: Tensor, clean: Tensor) -> Tensor:
        """The exact soft mask M (default) or the thresholded one, as chosen by ``mask``."""
        key = "soft_mask" if self.mask_mode == "soft" else "mask"
        return from_uint8(self.sample(index)[key])

    def describe(self) -> dict[str, Any]:
        """Name, renderer version, preset and parameters, split, backgrounds, size and seed."""
        return {
            **super().describe(),
            "dataset": SYNTHDROP_NAME,
            "version": RENDERER_VERSION,
            "preset": self.preset,
            "streaks": self.streaks,
            "parameters": describe_parameters(self.preset, self.streaks),
            "split": self.split,
            "backgrounds": background_names(self.split, self.backgrounds),
            "size": list(self.size),
            "scene_height": self.scene_height,
            "seed": self.seed,
            "mask": self.mask_mode,
        }


@DATASETS.register(
    "synthdrop-sk",
    provides=("mask",),
    layout="in memory, rendered on the fly (`derain-bench data synth`: Raindrop layout on disk)",
    description=f"{SYNTHDROP_NAME} v{RENDERER_VERSION}: adherent raindrops (refraction, soft "
    "edges, dark rims) over dead-leaves scenes and scikit-image photos; tested on held-out photos",
)
def synthdrop_sk(
    split: str = "train",
    n: int = 64,
    size: int | str = 256,
    seed: int = 0,
    preset: str = DEFAULT_PRESET,
    streaks: str = "none",
    mask: str = "soft",
    backgrounds: str = BUILTIN,
    crop: int | None = None,
    flip: bool = False,
) -> PairedDataset:
    """SynthDrop-SK pairs rendered in memory; the same samples ``data synth`` writes.
    ``backgrounds``: builtin (dead leaves and photos to train on, held-out photos to test on),
    photos, dead-leaves, or a folder of your own clean photos."""
    return SynthDropSet(
        split, n, size, seed, preset, streaks, mask, crop=crop, flip=flip, backgrounds=backgrounds
    )
