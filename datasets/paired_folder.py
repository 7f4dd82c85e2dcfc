"""A folder of paired (rainy, clean) images, in the layouts the real deraining sets ship with."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

from torch import Tensor

from derainbench.datasets.base import PairedDataset
from derainbench.datasets.image_io import image_size, load_rgb
from derainbench.datasets.layouts import (
    LAYOUTS,
    Layout,
    find_layout,
    list_images,
    natural_key,
    pair_key,
    side_by_side_layout,
    split_side_by_side,
)
from derainbench.datasets.masks import MASK_RULES, SUM_THRESHOLD, raindrop_mask
from derainbench.datasets.splits import DEFAULT_SALT, in_validation, refuse_test_folder
from derainbench.datasets.transforms import format_size, top_left_crop
from derainbench.errors import DataError
from derainbench.registries import DATASETS

__all__ = ["LAYOUTS", "PairedFolder", "list_images", "natural_key", "pair_key"]

logger = logging.getLogger("derainbench.data")

SYNTHETIC_INFO = "synthdrop.json"  # written by `derain-bench data synth`; travels with results
MASK_FOLDER = "mask"  # soft masks `data synth` writes: mask/{i}_mask.png
_MAX_LISTED = 5
_SUBSETS = ("all", "train", "val")


class PairedFolder(PairedDataset):
    """Pairs from a dataset folder (or a pair-list file), its layout recognised automatically.

    ``mask_rule`` adds a ``"mask"`` to each sample: derived from the pair by a rule of
    :mod:`~derainbench.datasets.masks`, or ``"file"`` for the ``mask/{i}_mask.png`` files that
    SynthDrop writes. ``val_fraction`` carves a validation share out of a TRAINING folder by a
    salted hash of file names; ``subset`` picks ``"train"`` (the rest) or ``"val"``.
    """

    def __init__(
        self,
        root: str | os.PathLike[str],
        crop: int | tuple[int, int] | None = None,
        flip: bool = False,
        name: str | None = None,
        mask_rule: str | None = None,
        val_fraction: float = 0.0,
        subset: str | None = None,
        salt: str = DEFAULT_SALT,
        layout: str | None = None,
    ) -> None:
        root = Path(root).expanduser()
        if not root.exists():
            raise DataError(f"dataset folder {root} does not exist")
        if not root.is_dir() and root.suffix.lower() not in (".csv", ".txt"):
            raise DataError(f"dataset folder {root} is not a folder (nor a .csv/.txt pair list)")
        self.root = Path(os.path.abspath(root))  # not resolve(): keep the symlinks the user gave
        super().__init__(name or f"{self.root.parent.name}/{self.root.name}", crop, flip)
        if layout == "side-by-side":
            found = side_by_side_layout(self.root)
        else:
            found = find_layout(self.root)
        if layout is not None and found.kind != layout:
            raise DataError(f"expected the {layout} layout in {self.root}, found {found.title}")
        _refuse_missing(found)
        _note_unused(found)
        self.layout = found
        self.rainy_dir, self.clean_dir = found.rainy_dir, found.clean_dir
        self.subset, self.val_fraction, self.salt = "all", float(val_fraction), salt
        self.pairs = self._select(found.pairs, subset)
        self._names = [self._pair_name(rainy) for rainy, _ in self.pairs]
        self.mask_rule = _check_mask_rule(mask_rule, self.root)
        if self.mask_rule is not None:
            self.provides = frozenset({"mask"})
        self.synthetic = _synthetic_info(self.root)
        self.sizes = self._common_sizes(self.verify())
        if self.crop is not None:
            self._check_crop_fits()

    def __len__(self) -> int:
        return len(self.pairs)

    def pair_names(self) -> list[str]:
        return self._names

    def load_pair(self, index: int) -> tuple[Tensor, Tensor]:
        """Decode pair ``index``, cropped top-left to the size both images share."""
        rainy_path, clean_path = self.pairs[index]
        if self.layout.side_by_side:
            rainy, clean = split_side_by_side(load_rgb(rainy_path))
        else:
            rainy, clean = load_rgb(rainy_path), load_rgb(clean_path)
        height = min(self.sizes[index][0], rainy.shape[1], clean.shape[1])
        width = min(self.sizes[index][1], rainy.shape[2], clean.shape[2])
        return top_left_crop(rainy, height, width), top_left_crop(clean, height, width)

    def load_mask(self, index: int, rainy: Tensor, clean: Tensor) -> Tensor:
        """The mask of pair ``index``: read from mask/ (rule "file") or derived by the rule."""
        if self.mask_rule == "file":
            key = pair_key(self.pairs[index][0].stem)
            mask = load_rgb(self.root / MASK_FOLDER / f"{key}_mask.png")[:1]
            return top_left_crop(mask, rainy.shape[1], rainy.shape[2])
        threshold = SUM_THRESHOLD if self.mask_rule == "sum" else 30 / 255
        return raindrop_mask(rainy, clean, threshold, rule=self.mask_rule or "max")

    def verify(self) -> list[tuple[tuple[int, int], tuple[int, int]]]:
        """Read every file's header; (rainy size, clean size) per pair, DataError on a bad one."""
        if self.layout.side_by_side:
            return [_half_size(rainy) for rainy, _ in self.pairs]
        return [(image_size(rainy), image_size(clean)) for rainy, clean in self.pairs]

    def files(self) -> list[Path]:
        """Every file the pairs (and their mask files) are read from, each once."""
        found = [path for pair in self.pairs for path in pair]
        if self.mask_rule == "file":
            found += [
                self.root / MASK_FOLDER / f"{pair_key(r.stem)}_mask.png" for r, _ in self.pairs
            ]
        return list(dict.fromkeys(found))

    def describe(self) -> dict[str, Any]:
        """Name, pair count, root, layout and sub-folders; SynthDrop's parameters when present."""
        info = super().describe()
        info.update(root=str(self.root), layout=self.layout.kind)
        if self.root.is_dir():
            info.update(
                rainy=os.path.relpath(self.rainy_dir, self.root),
                clean=os.path.relpath(self.clean_dir, self.root),
            )
        if self.mask_rule is not None:
            info["mask_rule"] = self.mask_rule
        if self.val_fraction > 0:
            info.update(subset=self.subset, val_fraction=self.val_fraction, val_salt=self.salt)
        if self.synthetic:
            info["synthetic"] = f"{self.synthetic.get('name')} v{self.synthetic.get('version')}"
            keys = ("version", "preset", "parameters", "seed", "split", "background_source",
                    "backgrounds", "streaks")  # fmt: skip
            info.update({k: self.synthetic[k] for k in keys if k in self.synthetic})
        return info

    def _pair_name(self, rainy: Path) -> str:
        if self.layout.kind == "pair-list":
            return rainy.relative_to(self.layout.rainy_dir).as_posix()
        return rainy.name

    def _select(
        self, pairs: list[tuple[Path, Path]], subset: str | None
    ) -> list[tuple[Path, Path]]:
        if self.val_fraction <= 0:
            if subset not in (None, "all"):
                raise DataError(f"subset '{subset}' of {self.root} needs val_fraction > 0")
            return pairs
        refuse_test_folder(self.root)
        self.subset = subset or "train"
        if self.subset not in _SUBSETS:
            raise DataError(f"unknown subset '{subset}'; choose {', '.join(_SUBSETS)}")
        if not 0 < self.val_fraction < 1:
            raise DataError(f"val_fraction must be in (0, 1), got {self.val_fraction}")
        if self.subset == "all":
            return pairs
        want_val = self.subset == "val"
        chosen = [
            (rainy, clean)
            for rainy, clean in pairs
            if in_validation(self._pair_name(rainy), self.val_fraction, self.salt) == want_val
        ]
        if not chosen:
            raise DataError(
                f"the {self.subset} subset of {self.root} is empty "
                f"(val_fraction {self.val_fraction} of {len(pairs)} pairs)"
            )
        return chosen

    def _common_sizes(
        self, sizes: list[tuple[tuple[int, int], tuple[int, int]]]
    ) -> list[tuple[int, int]]:
        common = []
        for (rainy_path, clean_path), (rainy_hw, clean_hw) in zip(self.pairs, sizes, strict=True):
            shared = (min(rainy_hw[0], clean_hw[0]), min(rainy_hw[1], clean_hw[1]))
            if rainy_hw != clean_hw:
                # Raindrop has a few 481- or 721-px images; its authors cropped top-left too.
                logger.warning(
                    "pair %s / %s differs in size (rainy %dx%d, clean %dx%d); both cropped "
                    "top-left to %s",
                    rainy_path,
                    clean_path.name,
                    *rainy_hw,
                    *clean_hw,
                    format_size(*shared),
                )
            common.append(shared)
        return common

    def _check_crop_fits(self) -> None:
        assert self.crop is not None
        too_small = [
            index
            for index, (height, width) in enumerate(self.sizes)
            if height < self.crop[0] or width < self.crop[1]
        ]
        if too_small:
            smallest = min(too_small, key=lambda i: self.sizes[i][0] * self.sizes[i][1])
            count = _count(len(too_small), "pair is", "pairs are")
            raise DataError(
                f"crop {format_size(*self.crop)} does not fit: {count} smaller, the smallest "
                f"is {self.pairs[smallest][0]} at {format_size(*self.sizes[smallest])}"
            )


def _refuse_missing(layout: Layout) -> None:
    if not layout.missing:
        return
    names = _listing(layout.missing)
    if layout.kind == "pair-list":
        count = _count(len(layout.missing), "file named", "files named")
        raise DataError(f"{count} in {layout.list_file} do not exist: {names}")
    count = _count(len(layout.missing), "rainy image has", "rainy images have")
    raise DataError(f"{count} no clean partner in {layout.clean_dir}: {names}")


def _note_unused(layout: Layout) -> None:
    if layout.unused:
        logger.warning(
            "%s in %s without a rainy partner ignored: %s",
            _count(len(layout.unused), "clean image", "clean images"),
            layout.clean_dir,
            _listing(layout.unused),
        )
    if layout.side_by_side:
        logger.info(
            "%s in %s read as side-by-side pairs (clean | rainy, the Rain800 layout)",
            _count(len(layout.pairs), "image", "images"),
            layout.root,
        )


def _check_mask_rule(rule: str | None, root: Path) -> str | None:
    if rule is None or rule in MASK_RULES:
        return rule
    if rule == "file":
        if not (root / MASK_FOLDER).is_dir():
            raise DataError(f"mask_rule 'file' needs the folder {root / MASK_FOLDER}")
        return rule
    raise DataError(f"unknown mask_rule '{rule}'; choose {', '.join([*MASK_RULES, 'file'])}")


def _synthetic_info(root: Path) -> dict[str, Any]:
    path = root / SYNTHETIC_INFO
    if not path.is_file():
        return {}
    try:
        return dict(json.loads(path.read_text()))
    except (OSError, ValueError, TypeError) as error:
        raise DataError(f"cannot read {path}: {type(error).__name__}: {error}") from None


def _half_size(path: Path) -> tuple[tuple[int, int], tuple[int, int]]:
    height, width = image_size(path)
    if width < 2:
        raise DataError(f"side-by-side image {path} is {width} px wide: nothing to split")
    return (height, width // 2), (height, width // 2)


def _listing(names: list[str]) -> str:
    shown = ", ".join(names[:_MAX_LISTED])
    return shown + (", ..." if len(names) > _MAX_LISTED else "")


def _count(number: int, singular: str, plural: str) -> str:
    return f"{number} {singular if number == 1 else plural}"


@DATASETS.register(
    "paired-folder",
    description="A folder of (rainy, clean) image pairs, layout auto-detected (Raindrop, Rain1400, "
    "Rain13K, Rain100L/H, Rain800 side-by-side, folders by stem, pair lists)",
    provides=(),
    layout="root/{data,gt}/ (Raindrop: 12_rain.png ↔ 12_clean.png), rainy_image/ground_truth "
    "(Rain1400), input/target, rain/norain, rainy/clean, lq/gt…; rain-001.png ↔ norain-001.png; "
    "pairs.csv/pairs.txt; a folder of side-by-side images",
)
def paired_folder(
    root: str,
    crop: int | None = None,
    flip: bool = False,
    mask_rule: str | None = None,
    val_fraction: float = 0.0,
    subset: str | None = None,
) -> PairedFolder:
    """Pairs read from ``root`` (layout auto-detected), optionally random-cropped and flipped."""
    return PairedFolder(
        root, crop=crop, flip=flip, mask_rule=mask_rule, val_fraction=val_fraction, subset=subset
    )
