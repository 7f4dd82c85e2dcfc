"""Getting the data to the training loop: loader workers, the device and memory layout of a
batch, the fixed preview images of the sample grids, and data errors as one line."""

from __future__ import annotations

import os
from typing import Any

import torch
from rich.console import Console

from derainbench.datasets.base import PairedDataset
from derainbench.datasets.decoded_cache import check_decodable
from derainbench.errors import DataError
from derainbench.training.acceleration import Acceleration
from derainbench.training.samples import center_crop_batch

PREVIEW_IMAGES = 4
PREVIEW_SIZE = 256


def loader_workers(setting: int | str, device: torch.device) -> int:
    """``auto``: none on a CPU (loading would compete with training for the same cores), and
    up to 8 on a GPU so that decoding and rendering keep the device busy."""
    if setting != "auto":
        return int(setting)
    return 0 if device.type == "cpu" else max(1, min(8, (os.cpu_count() or 2) - 1))


def preview_batch(dataset: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """A fixed handful of full images, centre-cropped to one common size, for sample grids."""
    pairs = [dataset.load_pair(i) for i in range(min(PREVIEW_IMAGES, len(dataset)))]
    side = min(PREVIEW_SIZE, *(min(r.shape[-2:]) for r, _ in pairs))
    rainy = torch.stack([center_crop_batch(r, side) for r, _ in pairs])
    clean = torch.stack([center_crop_batch(c, side) for _, c in pairs])
    return rainy, clean


def to_device(tensor: torch.Tensor, device: torch.device, fast: Acceleration) -> torch.Tensor:
    """A batch tensor on the device in the networks' memory layout (4-D ones)."""
    layout = fast.memory_format if tensor.ndim == 4 else torch.preserve_format
    return tensor.to(device, non_blocking=True, memory_format=layout)


def check_files(console: Console, *datasets: PairedDataset) -> None:
    """Decode every training and test file once now (cached across runs): a bad file is one
    line before step 1, not a crash hours in."""
    files = list(dict.fromkeys(path for dataset in datasets for path in dataset.files()))
    if not files:
        return
    with console.status(f"decoding {len(files)} image files once before training"):
        decoded, cached = check_decodable(files)
    if decoded:
        console.print(f"{decoded} image files decode ({cached} known from earlier runs)")


def worker_error(error: DataError) -> DataError:
    """A data-loader worker's error as its own one line (torch appends the worker traceback)."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    if len(lines) > 1 and lines[0].startswith("Caught "):
        return DataError(lines[-1].split("Error: ", 1)[-1])
    return error
