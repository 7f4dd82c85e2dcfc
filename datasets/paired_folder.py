"""A folder of paired (rainy, clean) images, in the layouts the real deraining sets ship with."""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import Any

from torch import Tensor

from derainbench.datasets.base import PairedDataset
from derainbench.datasets.image_io import IMAGE_SUFFIXES, image_size, load_rgb
from derainbench.datasets.transforms import format_size, top_left_crop
from derainbench.errors import DataError
from derainbench.registries import DATASETS

logger = logging.getLogger("derainbench.data")

# (rainy, clean) sub-folder names, tried in this order (matched case-insensitively).
LAYOUTS: tuple[tuple[str, str], ...] = (
    ("data", "gt"),  # Raindrop
    ("rainy", "clean"),
    ("input", "target"),  # Rain13K and the MPRNet / Restormer test sets
    ("rain", "norain"),  # Rain100L/H mirrors
    ("input", "gt"),
    ("lq", "gt"),
    ("rain", "gt"),
)
# Rain100L/H as first released: rain-001.png and norain-001.png side by side in one folder.
_FLAT_RAINY, _FLAT_CLEAN = "rain-", "norain-"
_MAX_LISTED = 5


def pair_key(stem: str) -> str:
    """The name a pair shares: '12_rain'/'12_clean' → '12', 'rain-001'/'norain-001' → '001'."""
    for suffix in ("_rain", "_clean"):
        if stem.endswith(suffix) and len(stem) > len(suffix):
            stem = stem[: -len(suffix)]
            break
    for prefix in (_FLAT_CLEAN, _FLAT_RAINY):  # "norain-" first: it ends with "rain-"
        if stem.startswith(prefix) and len(stem) > len(prefix):
            return stem[len(prefix) :]
    return stem


def natural_key(text: str) -> list[Any]:
    """Sort '2' before '10', as the sets number their files."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", text)]


def list_images(folder: Path, prefix: str = "") -> list[Path]:
    """Image files directly in ``folder`` (hidden files and other suffixes are skipped)."""
    return sorted(
        entry
        for entry in folder.iterdir()
        if entry.suffix.lower() in IMAGE_SUFFIXES
        and not entry.name.startswith(".")  # also macOS "._x.png" shadows and our temp files
        and entry.name.startswith(prefix)
        and entry.is_file()
    )


def _subfolders(root: Path) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for entry in sorted(root.iterdir()):
        if entry.name.startswith(".") or not entry.is_dir():
            continue
        if entry.name == entry.name.lower() or entry.name.lower() not in found:
            found[entry.name.lower()] = entry  # an exact lower-case name wins over "GT"
    return found


def detect_layout(root: Path) -> tuple[Path, Path, str] | None:
    """(rainy folder, clean folder, rainy-file prefix) of a dataset root, or None."""
    folders = _subfolders(root)
    for rainy, clean in LAYOUTS:
        if rainy in folders and clean in folders:
            return folders[rainy], folders[clean], ""
    if list_images(root, _FLAT_RAINY) and list_images(root, _FLAT_CLEAN):
        return root, root, _FLAT_RAINY
    return None


class PairedFolder(PairedDataset):
    """Pairs from ``root/<rainy>/`` and ``root/<clean>/``, matched by file stem."""

    def __init__(
        self,
        root: str | os.PathLike[str],
        crop: int | tuple[int, int] | None = None,
        flip: bool = False,
        name: str | None = None,
    ) -> None:
        root = Path(root).expanduser()
        if not root.is_dir():
            what = "is not a folder" if root.exists() else "does not exist"
            raise DataError(f"dataset folder {root} {what}")
        self.root = Path(os.path.abspath(root))  # not resolve(): keep the symlinks the user gave
        super().__init__(name or f"{self.root.parent.name}/{self.root.name}", crop, flip)
        layout = detect_layout(self.root)
        if layout is None:
            raise DataError(_unknown_layout_message(self.root))
        self.rainy_dir, self.clean_dir, prefix = layout
        self.pairs = _match_pairs(self.rainy_dir, self.clean_dir, prefix)
        self._names = [rainy.name for rainy, _ in self.pairs]
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
        rainy, clean = load_rgb(rainy_path), load_rgb(clean_path)
        height = min(self.sizes[index][0], rainy.shape[1], clean.shape[1])
        width = min(self.sizes[index][1], rainy.shape[2], clean.shape[2])
        return top_left_crop(rainy, height, width), top_left_crop(clean, height, width)

    def verify(self) -> list[tuple[tuple[int, int], tuple[int, int]]]:
        """Read every file's header; (rainy size, clean size) per pair, DataError on a bad one."""
        return [(image_size(rainy), image_size(clean)) for rainy, clean in self.pairs]

    def describe(self) -> dict[str, Any]:
        """Name, pair count, root and the sub-folders used."""
        info = super().describe()
        info.update(
            root=str(self.root),
            rainy=os.path.relpath(self.rainy_dir, self.root),
            clean=os.path.relpath(self.clean_dir, self.root),
        )
        return info

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


def _match_pairs(rainy_dir: Path, clean_dir: Path, prefix: str) -> list[tuple[Path, Path]]:
    clean_prefix = _FLAT_CLEAN if prefix else ""
    rainy = _by_key(list_images(rainy_dir, prefix), rainy_dir)
    clean = _by_key(list_images(clean_dir, clean_prefix), clean_dir)
    missing = sorted((key for key in rainy if key not in clean), key=natural_key)
    if missing:
        names = _listing([rainy[key].name for key in missing])
        count = _count(len(missing), "rainy image has", "rainy images have")
        raise DataError(f"{count} no clean partner in {clean_dir}: {names}")
    unused = sorted((key for key in clean if key not in rainy), key=natural_key)
    if unused:
        count = _count(len(unused), "clean image", "clean images")
        logger.warning(
            "%s in %s without a rainy partner ignored: %s",
            count,
            clean_dir,
            _listing([clean[key].name for key in unused]),
        )
    return [(rainy[key], clean[key]) for key in sorted(rainy, key=natural_key)]


def _by_key(files: list[Path], folder: Path) -> dict[str, Path]:
    if not files:
        suffixes = ", ".join(sorted(IMAGE_SUFFIXES))
        raise DataError(f"no images in {folder} (looked for {suffixes})")
    found: dict[str, Path] = {}
    for path in files:
        key = pair_key(path.stem)
        if key in found:
            raise DataError(
                f"{found[key].name} and {path.name} in {folder} both pair as '{key}'; "
                f"remove one of them"
            )
        found[key] = path
    return found


def _unknown_layout_message(root: Path) -> str:
    looked = ", ".join(f"{rainy}/{clean}" for rainy, clean in LAYOUTS)
    folders = list(_subfolders(root).values())
    present = ", ".join(sorted(f.name for f in folders)) or "none"
    message = (
        f"no rainy/clean sub-folders recognised in {root}: looked for {looked} "
        f"(or rain-*/norain-* files); its sub-folders: {present}"
    )
    nested = [f.name for f in folders if detect_layout(f) is not None]
    if nested:
        message += f"; did you mean {', '.join(str(root / n) for n in nested[:_MAX_LISTED])}?"
    return message


def _listing(names: list[str]) -> str:
    shown = ", ".join(names[:_MAX_LISTED])
    return shown + (", ..." if len(names) > _MAX_LISTED else "")


def _count(number: int, singular: str, plural: str) -> str:
    return f"{number} {singular if number == 1 else plural}"


@DATASETS.register(
    "paired-folder",
    description="A folder of (rainy, clean) image pairs matched by file name (Raindrop, "
    "Rain100L/H, Rain13K and generic layouts)",
    provides=(),
    layout="root/{data,gt}/ (Raindrop: 12_rain.png ↔ 12_clean.png), or rainy/clean, "
    "input/target, rain/norain, input/gt, lq/gt, rain/gt; or rain-001.png ↔ norain-001.png",
)
def paired_folder(root: str, crop: int | None = None, flip: bool = False) -> PairedFolder:
    """Pairs read from ``root`` (layout auto-detected), optionally random-cropped and flipped."""
    return PairedFolder(root, crop=crop, flip=flip)
