"""Sample grids a person can look at: one row per image, columns rainy | restored | clean
(| the attention map of each recurrent step, for generators that have them), under a header
naming the columns and the step, with each restoration's PSNR written on it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont
from torch import Tensor
from torchvision.utils import make_grid

from derainbench.contracts import Generator
from derainbench.datasets.image_io import save_png
from derainbench.evaluation.restore import generator_mode, restore
from derainbench.imaging import from_uint8, to_uint8
from derainbench.metrics.psnr import psnr

PADDING = 2
HEADER = 14  # px of the title band


def center_crop_batch(images: Tensor, size: int) -> Tensor:
    """The central ``size``×``size`` window (or the whole side when it is smaller)."""
    h, w = images.shape[-2:]
    th, tw = min(h, size), min(w, size)
    top, left = (h - th) // 2, (w - tw) // 2
    return images[..., top : top + th, left : left + tw]


def _label(grid: Tensor, titles: list[str], tile: int, notes: list[str], step: int) -> Tensor:
    """The grid with a header of column titles (and the step), and a note on each row's
    restoration; a (3, H, W) float image."""
    picture = Image.fromarray(to_uint8(grid).permute(1, 2, 0).numpy(), mode="RGB")
    labelled = Image.new("RGB", (picture.width, picture.height + HEADER), (255, 255, 255))
    labelled.paste(picture, (0, HEADER))
    draw = ImageDraw.Draw(labelled)
    font = ImageFont.load_default()
    for column, title in enumerate(titles):
        text = title if column else f"{title} · step {step}"
        draw.text((column * (tile + PADDING) + PADDING + 2, 1), text, fill=(0, 0, 0), font=font)
    for row, note in enumerate(notes):
        x = (tile + PADDING) + PADDING + 2  # on the restored column
        y = HEADER + row * (tile + PADDING) + PADDING + 2
        box = draw.textbbox((x, y), note, font=font)
        draw.rectangle(box, fill=(0, 0, 0))
        draw.text((x, y), note, fill=(255, 255, 0), font=font)
    array = np.asarray(labelled).copy()
    return from_uint8(torch.from_numpy(array).permute(2, 0, 1))


def save_sample_grid(
    generator: Generator, rainy: Tensor, clean: Tensor, path: Path, step: int = 0
) -> Tensor:
    """Restore ``rainy`` in eval mode and write the labelled grid (rainy | restored | clean |
    one attention heat map per recurrent step) as a PNG; returns the grid."""
    from derainbench.evaluation.attention_view import attention_overlays

    with generator_mode(generator, "eval"):
        restored = restore(generator, rainy)
    image = restored.image.clamp(0, 1)
    columns = [rainy, image, clean]
    overlays = attention_overlays(rainy, restored.attention or [])
    columns += overlays
    titles = ["rainy", "restored", "clean", *(f"attention {t + 1}" for t in range(len(overlays)))]
    scores = psnr(to_uint8(image).float(), to_uint8(clean).float(), 255.0)
    notes = [f"{value:.2f} dB" for value in scores.tolist()]
    rows = torch.stack(columns, dim=1).flatten(0, 1)
    grid = make_grid(rows.cpu().float(), nrow=len(columns), padding=PADDING, pad_value=1.0)
    labelled = _label(grid, titles, rainy.shape[-1], notes, step)
    save_png(labelled, path)
    return labelled
