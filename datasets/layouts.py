"""Recognise how a deraining set is laid out on disk, and list its (rainy, clean) file pairs.

Layouts, tried in this order: Raindrop (``data/`` ↔ ``gt/``, ``12_rain`` ↔ ``12_clean``), Rain1400
(``rainy_image/{i}_{k}`` ↔ ``ground_truth/{i}``), Rain13K (``input/`` ↔ ``target/``), Rain100L/H
(``rain/`` ↔ ``norain/``, or ``rain-001`` ↔ ``norain-001`` in one folder), other folder pairs
matched by stem, a pair-list file (``pairs.csv`` / ``pairs.txt``, or the file itself), and a
folder of side-by-side images (Rain800: clean | rainy). Missing partners are collected, not
raised, so ``data check`` can report them all; the dataset raises them.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from torch import Tensor

from derainbench.datasets.image_io import IMAGE_SUFFIXES
from derainbench.errors import DataError

# (rainy, clean) sub-folder names and the layout they mean, tried in order (case-insensitive).
FOLDER_LAYOUTS: tuple[tuple[str, str, str], ...] = (
    ("data", "gt", "raindrop"),
    ("rainy_image", "ground_truth", "rain1400"),
    ("input", "target", "rain13k"),
    ("rain", "norain", "rain100"),
    ("rainy", "clean", "folders"),
    ("input", "gt", "folders"),
    ("lq", "gt", "folders"),
    ("rain", "gt", "folders"),
    ("rainy", "gt", "folders"),
    ("input", "groundtruth", "folders"),
)
LAYOUTS: tuple[tuple[str, str], ...] = tuple((r, c) for r, c, _ in FOLDER_LAYOUTS)
# Generic folder pairs: exactly one sub-folder named with a word of each list.
_RAINY_WORDS = ("rain", "input", "degraded", "lq", "low")
_CLEAN_WORDS = ("clean", "gt", "target", "ground", "truth", "norain", "label", "hq", "sharp")
PAIR_LIST_NAMES = ("pairs.csv", "pairs.txt")
RAINDROP_SPLITS = ("train", "test_a", "test_b")
FLAT_RAINY, FLAT_CLEAN = "rain-", "norain-"
LAYOUT_TITLES = {
    "raindrop": "Raindrop (data/{i}_rain ↔ gt/{i}_clean)",
    "rain1400": "Rain1400 (rainy_image/{i}_{k} ↔ ground_truth/{i}, 14 rainy per clean)",
    "rain13k": "Rain13K / MPRNet test sets (input/ ↔ target/, same names)",
    "rain100": "Rain100L/H (rain-{i} ↔ norain-{i})",
    "folders": "two folders matched by file stem",
    "pair-list": "a pair-list file (rainy, clean per line)",
    "side-by-side": "Rain800 side-by-side images (clean | rainy)",
}


@dataclass
class Layout:
    """A recognised layout and its pairs; problems are listed, not raised."""

    kind: str
    root: Path
    rainy_dir: Path
    clean_dir: Path
    pairs: list[tuple[Path, Path]]
    missing: list[str] = field(default_factory=list)  # rainy files without a clean partner
    unused: list[str] = field(default_factory=list)  # clean files without a rainy partner
    list_file: Path | None = None
    side_by_side: bool = False

    @property
    def title(self) -> str:
        """What the layout is, in words."""
        return LAYOUT_TITLES[self.kind]

    def info(self) -> dict[str, Any]:
        """A JSON-able summary (for describe() and ``data check --json``)."""
        return {"layout": self.kind, "pairs": len(self.pairs)}


def pair_key(stem: str) -> str:
    """The name a pair shares: '12_rain'/'12_clean' → '12', 'rain-001'/'norain-001' → '001'."""
    for suffix in ("_rain", "_clean"):
        if stem.endswith(suffix) and len(stem) > len(suffix):
            stem = stem[: -len(suffix)]
            break
    for prefix in (FLAT_CLEAN, FLAT_RAINY):  # "norain-" first: it ends with "rain-"
        if stem.startswith(prefix) and len(stem) > len(prefix):
            return stem[len(prefix) :]
    return stem


def rain1400_key(stem: str) -> str:
    """Rain1400's rainy '12_3' (clean image 12, rain type 3) → '12'."""
    return re.sub(r"_\d+$", "", stem)


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


def subfolders(root: Path) -> dict[str, Path]:
    """Visible sub-folders by lower-case name (an exact lower-case name wins over 'GT')."""
    found: dict[str, Path] = {}
    for entry in sorted(root.iterdir()):
        if entry.name.startswith(".") or not entry.is_dir():
            continue
        if entry.name == entry.name.lower() or entry.name.lower() not in found:
            found[entry.name.lower()] = entry
    return found


def _folder_pair(root: Path) -> tuple[Path, Path, str] | None:
    folders = subfolders(root)
    for rainy, clean, kind in FOLDER_LAYOUTS:
        if rainy in folders and clean in folders:
            return folders[rainy], folders[clean], kind
    clean_like = [f for n, f in folders.items() if any(w in n for w in _CLEAN_WORDS)]
    rainy_like = [
        f for n, f in folders.items() if any(w in n for w in _RAINY_WORDS) and f not in clean_like
    ]
    if len(rainy_like) == 1 and len(clean_like) == 1:
        return rainy_like[0], clean_like[0], "folders"
    return None


def detect(root: Path) -> str | None:
    """The layout kind of ``root`` without listing its pairs, or None."""
    if root.is_file():
        return "pair-list"
    found = _folder_pair(root)
    if found is not None:
        return found[2]
    if list_images(root, FLAT_RAINY) and list_images(root, FLAT_CLEAN):
        return "rain100"
    if any((root / name).is_file() for name in PAIR_LIST_NAMES):
        return "pair-list"
    images = list_images(root)
    # Named like halves of pairs (12_rain, rain-001): partners are missing, not side by side.
    if images and not any(pair_key(p.stem) != p.stem for p in images):
        return "side-by-side"
    return None


def is_raindrop_root(root: Path) -> bool:
    """A folder holding Raindrop's split folders (train, test_a, test_b) rather than pairs."""
    folders = subfolders(root)
    return sum(name in folders for name in RAINDROP_SPLITS) >= 2


def split_folders(root: Path) -> list[Path]:
    """Sub-folders of ``root`` that each hold a dataset (e.g. Raindrop's train, test_a, test_b)."""
    return [f for f in subfolders(root).values() if _folder_pair(f) or detect(f) is not None]


def find_layout(root: Path) -> Layout:
    """The layout of the dataset at ``root`` (a folder, or a pair-list file) with its pairs."""
    kind = detect(root)
    if kind is None:
        raise DataError(unknown_layout_message(root))
    if kind == "pair-list":
        lists = [root / name for name in PAIR_LIST_NAMES if (root / name).is_file()]
        return read_pair_list(root if root.is_file() else lists[0])
    if kind == "side-by-side":
        return side_by_side_layout(root)
    if kind == "rain100" and _folder_pair(root) is None:
        return _match(kind, root, root, root, FLAT_RAINY, FLAT_CLEAN)
    rainy_dir, clean_dir, kind = _folder_pair(root)  # type: ignore[misc]
    return _match(kind, root, rainy_dir, clean_dir, "", "")


def side_by_side_layout(root: Path) -> Layout:
    """Every image in ``root`` as one side-by-side pair (Rain800: clean | rainy)."""
    files = sorted(list_images(root), key=lambda p: natural_key(p.name)) if root.is_dir() else []
    if not files:
        raise DataError(f"no side-by-side images in {root}")
    return Layout("side-by-side", root, root, root, [(f, f) for f in files], side_by_side=True)


def split_side_by_side(image: Tensor) -> tuple[Tensor, Tensor]:
    """(rainy, clean) halves of a clean | rainy image (an odd middle column is dropped)."""
    half = image.shape[2] // 2
    return image[:, :, image.shape[2] - half :], image[:, :, :half]


def _match(
    kind: str, root: Path, rainy_dir: Path, clean_dir: Path, rainy_prefix: str, clean_prefix: str
) -> Layout:
    rainy_key = rain1400_key if kind == "rain1400" else pair_key
    rainy = _by_key(list_images(rainy_dir, rainy_prefix), rainy_dir, pair_key, unique=True)
    clean = _by_key(list_images(clean_dir, clean_prefix), clean_dir, pair_key, unique=True)
    partner = {key: rainy_key(path.stem) for key, path in rainy.items()}
    order = sorted(rainy, key=natural_key)
    missing = [rainy[k].name for k in order if partner[k] not in clean]
    used = {partner[k] for k in rainy}
    unused = [clean[k].name for k in sorted(clean, key=natural_key) if k not in used]
    pairs = [(rainy[k], clean[partner[k]]) for k in order if partner[k] in clean]
    return Layout(kind, root, rainy_dir, clean_dir, pairs, missing, unused)


def _by_key(files: list[Path], folder: Path, key: Any, unique: bool) -> dict[str, Path]:
    if not files:
        suffixes = ", ".join(sorted(IMAGE_SUFFIXES))
        raise DataError(f"no images in {folder} (looked for {suffixes})")
    found: dict[str, Path] = {}
    for path in files:
        name = key(path.stem)
        if name in found and unique:
            raise DataError(
                f"{found[name].name} and {path.name} in {folder} both pair as '{name}'; "
                f"remove one of them"
            )
        found[name] = path
    return found


def read_pair_list(list_file: Path) -> Layout:
    """Pairs from a CSV or TXT file: two paths per line (rainy, clean), relative to its folder.

    Blank lines and lines starting with '#' are skipped, as is a header row ('rainy,clean').
    TXT separates the two paths by whitespace; CSV by a comma (quote paths that hold commas).
    """
    try:
        text = list_file.read_text()
    except (OSError, UnicodeDecodeError) as error:
        raise DataError(f"cannot read pair list {list_file}: {error}") from None
    lines = [(n, line) for n, line in enumerate(text.splitlines(), 1)]
    lines = [(n, line) for n, line in lines if line.strip() and not line.lstrip().startswith("#")]
    if list_file.suffix.lower() == ".csv":
        rows = [(n, [f.strip() for f in next(csv.reader([line]))]) for n, line in lines]
    else:
        rows = [(n, line.split()) for n, line in lines]
    base = list_file.parent
    pairs, missing = [], []
    for position, (number, fields) in enumerate(rows):
        if len(fields) != 2:
            raise DataError(f"{list_file} line {number}: expected two paths, got {len(fields)}")
        if position == 0 and not any(Path(f).suffix.lower() in IMAGE_SUFFIXES for f in fields):
            continue  # a header row
        rainy, clean = (base / f for f in fields)
        absent = [str(p.relative_to(base)) for p in (rainy, clean) if not p.is_file()]
        if absent:
            missing.extend(absent)
        else:
            pairs.append((rainy, clean))
    if not pairs and not missing:
        raise DataError(f"pair list {list_file} names no pairs")
    return Layout("pair-list", list_file, base, base, pairs, missing, list_file=list_file)


def unknown_layout_message(root: Path) -> str:
    """Why no layout was recognised in ``root``, in one line, with a hint where there is one."""
    folders = list(subfolders(root).values())
    if is_raindrop_root(root):
        names = ", ".join(str(f) for f in folders if f.name.lower() in RAINDROP_SPLITS)
        return f"{root} is the root of the Raindrop set, not one split: name one of {names}"
    looked = ", ".join(f"{rainy}/{clean}" for rainy, clean in LAYOUTS)
    present = ", ".join(sorted(f.name for f in folders)) or "none"
    message = (
        f"no rainy/clean sub-folders recognised in {root}: looked for {looked} "
        f"(or rain-*/norain-* files, a pairs.csv/pairs.txt list, or side-by-side images); "
        f"its sub-folders: {present}"
    )
    nested = [f.name for f in folders if detect(f) is not None]
    if nested:
        message += f"; did you mean {', '.join(str(root / n) for n in nested[:5])}?"
    return message
