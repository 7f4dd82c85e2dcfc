"""The common shape of every paired deraining dataset."""

from __future__ import annotations

import abc
import operator
from pathlib import Path
from typing import Any

import torch
from torch import Tensor
from torch.utils.data import Dataset

from derainbench.datasets.masks import raindrop_mask
from derainbench.datasets.transforms import as_size, paired_hflip, paired_random_crop

Sample = dict[str, Any]


class PairedDataset(Dataset, abc.ABC):
    """(rainy, clean) pairs; items are ``{"rainy", "clean", "name"}`` dicts of (3, H, W) tensors,
    plus ``"mask"`` (1, H, W) when ``provides`` contains "mask".

    An item is addressed by ``index`` or ``(index, sample_seed)``. The seed alone decides the
    random crop and flip, so a resumed run or another worker order yields the same samples.
    """

    name: str = "paired"
    provides: frozenset[str] = frozenset()  # extra fields beyond rainy/clean, e.g. "mask"
    crop: tuple[int, int] | None = None
    flip: bool = False

    def __init__(
        self, name: str, crop: int | tuple[int, int] | None = None, flip: bool = False
    ) -> None:
        self.name = name
        self.crop = None if crop is None else as_size(crop)
        self.flip = bool(flip)

    @abc.abstractmethod
    def __len__(self) -> int:
        """Number of pairs."""

    @abc.abstractmethod
    def pair_names(self) -> list[str]:
        """One name per pair (e.g. the rainy file's name), in index order."""

    @abc.abstractmethod
    def load_pair(self, index: int) -> tuple[Tensor, Tensor]:
        """The full-size (rainy, clean) pair at ``index``, both of the same size."""

    def load_mask(self, index: int, rainy: Tensor, clean: Tensor) -> Tensor:
        """The raindrop mask (1, H, W) of full-size pair ``index``: by default derived from it."""
        return raindrop_mask(rainy, clean)

    def __getitem__(self, key: int | tuple[int, int]) -> Sample:
        """Load pair ``index`` and augment it with randomness drawn from ``sample_seed``."""
        if isinstance(key, tuple):
            index, seed = operator.index(key[0]), operator.index(key[1])
        else:
            index, seed = operator.index(key), None
        size = len(self)
        if not -size <= index < size:
            raise IndexError(f"pair {index} out of range for {self.name} ({size} pairs)")
        index %= size
        sample_seed = index if seed is None else seed
        rainy, clean = self.load_pair(index)
        # The mask rides along with the rainy image: one window, one flip, the same random draws
        # as without a mask.
        if "mask" in self.provides:
            rainy = torch.cat([rainy, self.load_mask(index, rainy, clean)])
        if self.crop is not None or self.flip:
            generator = torch.Generator().manual_seed(sample_seed)
            if self.crop is not None:
                rainy, clean = paired_random_crop(rainy, clean, self.crop, generator)
            if self.flip:
                rainy, clean = paired_hflip(rainy, clean, generator)
        # contiguous: a crop is a view that would keep the whole image alive in the batch
        sample = {
            "rainy": rainy[:3].contiguous(),
            "clean": clean.contiguous(),
            "name": self.pair_names()[index],
        }
        if "mask" in self.provides:
            sample["mask"] = rainy[3:].contiguous()
        return sample

    def render_on(self, device: Any) -> bool:
        """Render samples on ``device`` (a GPU) if this dataset renders them; True if it will.
        Data read from files ignores this."""
        return False

    def files(self) -> list[Path]:
        """The files on disk this dataset reads (none for data rendered in memory)."""
        return []

    def describe(self) -> dict[str, Any]:
        """What a run's config and leaderboard record about this dataset."""
        return {
            "name": self.name,
            "pairs": len(self),
            "crop": list(self.crop) if self.crop is not None else None,
            "flip": self.flip,
        }

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, pairs={len(self)})"
