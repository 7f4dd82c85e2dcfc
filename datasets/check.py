"""``data check``: what a dataset folder holds and what is wrong with it, without stopping at the
first problem (the dataset itself refuses at the first one)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from derainbench.datasets.image_io import load_rgb
from derainbench.datasets.layouts import (
    detect,
    find_layout,
    is_raindrop_root,
    split_folders,
    unknown_layout_message,
)
from derainbench.errors import DataError


@dataclass
class SplitReport:
    """One dataset folder (or pair list): its layout, pairs and problems."""

    path: str
    layout: str | None = None
    title: str = ""
    pairs: int = 0
    missing: list[str] = field(default_factory=list)  # rainy files without a clean partner
    unused: list[str] = field(default_factory=list)  # clean files without a rainy partner
    size_mismatches: list[str] = field(default_factory=list)  # cropped top-left when loaded
    unreadable: list[str] = field(default_factory=list)  # "file: reason"
    error: str | None = None  # why no layout could be read at all

    @property
    def ok(self) -> bool:
        """No error, no missing partner, no unreadable file (size mismatches are only notices)."""
        return self.error is None and not self.missing and not self.unreadable


@dataclass
class CheckReport:
    """The splits found under a root (one, or Raindrop's train / test_a / test_b)."""

    root: str
    splits: list[SplitReport]

    @property
    def ok(self) -> bool:
        """True when every split is usable as it is."""
        return all(split.ok for split in self.splits)

    def as_dict(self) -> dict[str, Any]:
        """JSON-able form, with ``ok`` flags."""
        splits = [{**asdict(s), "ok": s.ok} for s in self.splits]
        return {"root": self.root, "ok": self.ok, "splits": splits}

    def problems(self) -> str:
        """One line summing up what is wrong (empty when nothing is)."""
        parts = []
        for split in self.splits:
            if split.error:
                parts.append(f"{split.path}: {split.error}")
                continue
            if split.missing:
                parts.append(f"{split.path}: {len(split.missing)} missing partner(s)")
            if split.unreadable:
                parts.append(f"{split.path}: {len(split.unreadable)} unreadable file(s)")
        return "; ".join(parts)


def dataset_roots(root: Path) -> list[Path]:
    """The dataset folders to check under ``root``: itself, or its splits (a Raindrop root)."""
    if root.is_dir() and (is_raindrop_root(root) or detect(root) is None):
        nested = split_folders(root)
        if nested:
            return nested
    return [root]


def check_dataset(root: str | Path, progress: Callable[[int], None] | None = None) -> CheckReport:
    """Check every split under ``root``: layout, pairs, partners, sizes, readable files."""
    root = Path(root)
    if not root.exists():
        raise DataError(f"dataset folder {root} does not exist")
    return CheckReport(str(root), [check_split(p, progress) for p in dataset_roots(root)])


def count_files(root: Path) -> int:
    """How many image files a check of ``root`` decodes (for a progress bar)."""
    total = 0
    for split in dataset_roots(root):
        try:
            layout = find_layout(split)
        except DataError:
            continue
        total += len({p for pair in layout.pairs for p in pair})
    return total


def check_split(path: Path, progress: Callable[[int], None] | None = None) -> SplitReport:
    """Decode every file of one dataset folder, collecting what is wrong."""
    report = SplitReport(str(path))
    if path.is_dir() and detect(path) is None:
        report.error = unknown_layout_message(path)
        return report
    try:
        layout = find_layout(path)
    except DataError as error:
        report.error = str(error)
        return report
    report.layout, report.title, report.pairs = layout.kind, layout.title, len(layout.pairs)
    report.missing, report.unused = list(layout.missing), list(layout.unused)
    sizes: dict[Path, tuple[int, int] | None] = {}
    for file in dict.fromkeys(p for pair in layout.pairs for p in pair):  # Rain1400: once each
        try:
            image = load_rgb(file)
            sizes[file] = (image.shape[1], image.shape[2])
        except DataError as error:
            sizes[file] = None
            report.unreadable.append(str(error).removeprefix("cannot read image "))
        if progress is not None:
            progress(1)
    if layout.side_by_side:
        odd = [f.name for f, _ in layout.pairs if (s := sizes[f]) is not None and s[1] % 2]
        report.size_mismatches = [f"{name}: odd width, middle column dropped" for name in odd]
        return report
    for rainy, clean in layout.pairs:
        rainy_hw, clean_hw = sizes[rainy], sizes[clean]
        if rainy_hw is not None and clean_hw is not None and rainy_hw != clean_hw:
            report.size_mismatches.append(
                f"{rainy.name} {rainy_hw[0]}x{rainy_hw[1]} vs {clean.name} "
                f"{clean_hw[0]}x{clean_hw[1]} (HxW)"
            )
    return report
