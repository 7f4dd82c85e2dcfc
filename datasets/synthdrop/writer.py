"""Write SynthDrop-SK to disk in the Raindrop layout, and a contact sheet a person can judge.

A written split folder holds ``data/{i}_rain.png``, ``gt/{i}_clean.png``, ``mask/{i}_mask.png``
(the exact soft mask M, 8-bit) and ``synthdrop.json`` (name, renderer version, preset, parameters,
seed, split, backgrounds, one record per sample), written last: its presence means complete.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from PIL import Image
from torch import Tensor

from derainbench.datasets.image_io import save_png
from derainbench.datasets.output import output_folder
from derainbench.datasets.synthdrop.backgrounds import BUILTIN
from derainbench.datasets.synthdrop.dataset import (
    SYNTHDROP_NAME,
    background_names,
    check_options,
    describe_parameters,
    parse_size,
    render_samples,
)
from derainbench.datasets.synthdrop.presets import (
    DEFAULT_PRESET,
    REFERENCE_HEIGHT,
    RENDERER_VERSION,
)
from derainbench.errors import DataError
from derainbench.imaging import from_uint8

INFO_NAME = "synthdrop.json"
_FOLDERS = {"rainy": ("data", "rain"), "clean": ("gt", "clean"), "soft_mask": ("mask", "mask")}
_PREVIEW_TILE_WIDTH = 360


def synth_info(
    n: int, size: tuple[int, int], preset: str, seed: int, split: str, streaks: str,
    backgrounds: str = BUILTIN,
) -> dict[str, Any]:  # fmt: skip
    """What ``synthdrop.json`` records about a written set (without the per-sample records)."""
    return {
        "name": SYNTHDROP_NAME,
        "version": RENDERER_VERSION,
        "preset": preset,
        "streaks": streaks,
        "parameters": describe_parameters(preset, streaks),
        "seed": seed,
        "split": split,
        "background_source": backgrounds,
        "backgrounds": background_names(split, backgrounds),
        "n": n,
        "size": list(size),
        "scene_height": REFERENCE_HEIGHT,
        "masks": "mask/{i}_mask.png: the exact soft mask M (8-bit); threshold rule: max over "
        "channels of |rainy - clean| > 30/255",
    }


def write_synthdrop(
    out: str | os.PathLike[str],
    n: int,
    size: int | str | tuple[int, int] = 256,
    preset: str = DEFAULT_PRESET,
    seed: int = 0,
    split: str = "train",
    streaks: str = "none",
    device: str | torch.device = "cpu",
    batch: int | None = None,
    progress: Callable[[int], None] | None = None,
    backgrounds: str = BUILTIN,
) -> bool:
    """Render ``n`` samples into ``out``; False when an identical complete set is already there.

    On the CPU samples are rendered one at a time, so the files hold exactly the bytes of the
    in-memory dataset; on a GPU in batches (equal within 1e-4 before rounding to 8 bits).
    """
    out = Path(out)
    check_options(split, preset, streaks, backgrounds)
    size = parse_size(size)
    if n < 1:
        raise DataError(f"--n must be at least 1 (writing {out})")
    output_folder(out)
    info = synth_info(n, size, preset, seed, split, streaks, backgrounds)
    if _is_complete(out, info):
        return False
    ours = (out / INFO_NAME).exists() or any((out / f).is_dir() for f, _ in _FOLDERS.values())
    if out.is_dir() and any(out.iterdir()) and not ours:
        raise DataError(f"{out} is not empty and holds no SynthDrop set; choose another --out")
    (out / INFO_NAME).unlink(missing_ok=True)  # written last: its presence means complete
    for folder, _ in _FOLDERS.values():
        for old in (out / folder).glob("*.png"):
            old.unlink()  # a smaller rewrite must not keep the files of an earlier, larger set
    device = torch.device(device)
    batch = batch or (1 if device.type == "cpu" else 16)
    records = []
    for start in range(0, n, batch):
        indices = list(range(start, min(n, start + batch)))
        samples = render_samples(
            split, indices, size, seed, preset, streaks, device=device, backgrounds=backgrounds
        )
        for sample in samples:
            i = sample["record"]["index"]
            for key, (folder, suffix) in _FOLDERS.items():
                path = out / folder / f"{i}_{suffix}.png"
                if key == "soft_mask":
                    save_grey_png(sample[key], path)
                else:
                    save_png(from_uint8(sample[key]), path)
            records.append(sample["record"])
        if progress is not None:
            progress(len(indices))
    info["samples"] = records
    temp = out / f".{INFO_NAME}.tmp"
    temp.write_text(json.dumps(info, indent=1) + "\n")
    os.replace(temp, out / INFO_NAME)
    return True


def save_grey_png(image: Tensor, path: Path) -> Path:
    """Write a uint8 (1, H, W) image as an 8-bit grey PNG, atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}.tmp")
    try:
        with open(temp, "xb") as file:
            Image.fromarray(image[0].numpy(), mode="L").save(file, format="PNG")
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)
    return path


def _is_complete(out: Path, info: dict[str, Any]) -> bool:
    try:
        written = json.loads((out / INFO_NAME).read_text())
    except (OSError, ValueError):
        return False
    if any(written.get(key) != value for key, value in info.items()):
        return False
    return all(len(list((out / f).glob("*.png"))) == info["n"] for f, _ in _FOLDERS.values())


def write_preview(
    path: str | os.PathLike[str],
    rows: int = 6,
    size: int | str | tuple[int, int] = (480, 720),
    preset: str = DEFAULT_PRESET,
    seed: int = 0,
    split: str | None = None,
    streaks: str = "none",
    device: str | torch.device = "cpu",
) -> Path:
    """A contact sheet: clean | rainy | soft mask | thresholded mask, one sample per row.

    Rows alternate train and held-out test samples (or come from ``split``); the last row adds
    streaks (``streaks``, or heavy ones when none are asked for).
    """
    size = parse_size(size)
    splits = [split] if split else ["train", "test"]
    for name in splits:
        check_options(name, preset, streaks)
    tiles = []
    for row in range(rows):
        row_split = splits[row % len(splits)]
        row_streaks = streaks if row < rows - 1 or streaks != "none" else "heavy"
        index = row // len(splits)
        (sample,) = render_samples(
            row_split, [index], size, seed, preset, row_streaks, device=device
        )
        images = [sample["clean"], sample["rainy"], sample["soft_mask"], sample["mask"]]
        tiles.append(torch.cat([from_uint8(x).expand(3, -1, -1) for x in images], 2))
    sheet = torch.cat(tiles, 1)
    factor = min(1.0, _PREVIEW_TILE_WIDTH / size[1])
    if factor < 1:
        sheet = F.interpolate(sheet[None], scale_factor=factor, mode="area")[0]
    return save_png(sheet, Path(path))
