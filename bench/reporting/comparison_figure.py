"""The qualitative figure of deraining papers: the same test images across methods, one row per
image (rainy | each method | clean), each panel labelled with its PSNR, and the same region
zoomed in every panel so that differences too small to see at full size can be compared."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch.nn.functional as F
from torch import Tensor

PANEL_INCHES = 2.6
INSET_SHARE = 0.42  # of a panel's width and height
BOX_COLOUR = "#ffd000"


@dataclass
class FigureRow:
    """One test image: its panels (float RGB (3, H, W) in [0, 1]) and their labels."""

    name: str
    panels: list[Tensor]
    #: Under each panel: its score (e.g. "24.12 dB"), or a word for the clean image.
    captions: list[str]
    #: The index of the panel whose score is best (bold), if any.
    best: int | None = None


def zoom_region(rainy: Tensor, clean: Tensor, share: float = 0.25) -> tuple[int, int, int]:
    """The square (top, left, side) of ``share`` of the shorter side where the rain changed the
    image most: the region a reader should look at."""
    height, width = rainy.shape[-2:]
    side = max(8, int(min(height, width) * share))
    difference = (rainy - clean).abs().mean(0, keepdim=True)[None]
    energy = F.avg_pool2d(difference, side, stride=max(1, side // 4))
    index = int(energy.flatten().argmax())
    columns = energy.shape[-1]
    top, left = (index // columns) * max(1, side // 4), (index % columns) * max(1, side // 4)
    return min(top, height - side), min(left, width - side), side


def inset_corner(
    top: int, left: int, side: int, height: int, width: int
) -> tuple[float, float, float, float]:
    """Where the zoomed inset goes, in axes fractions (x, y, w, h; y from the bottom): the
    corner diagonally away from the zoomed region, so that it never hides it."""
    right_half = left + side / 2 > width / 2
    lower_half = top + side / 2 > height / 2
    x = 0.0 if right_half else 1 - INSET_SHARE
    y = 1 - INSET_SHARE if lower_half else 0.0
    return (x, y, INSET_SHARE, INSET_SHARE)


def _as_image(tensor: Tensor) -> np.ndarray:
    """(H, W, 3) for matplotlib."""
    return tensor.detach().float().clamp(0, 1).permute(1, 2, 0).cpu().numpy()


def draw_comparison(
    rows: list[FigureRow], columns: list[str], out: Path, title: str | None = None
) -> Path:
    """Draw the figure into ``out`` (PNG): a column per panel kind, a row per image."""
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    out.parent.mkdir(parents=True, exist_ok=True)
    ratio = max(r.panels[0].shape[-2] / r.panels[0].shape[-1] for r in rows)
    figure, axes = plt.subplots(
        len(rows),
        len(columns),
        figsize=(PANEL_INCHES * len(columns), PANEL_INCHES * ratio * len(rows) + 0.6),
        squeeze=False,
    )
    for row_index, row in enumerate(rows):
        top, left, side = zoom_region(row.panels[0], row.panels[-1])
        corner = inset_corner(top, left, side, *row.panels[0].shape[-2:])
        for column, (panel, caption) in enumerate(zip(row.panels, row.captions, strict=True)):
            ax = axes[row_index][column]
            ax.imshow(_as_image(panel), interpolation="nearest")
            ax.add_patch(Rectangle((left - 0.5, top - 0.5), side, side, fill=False,
                                   edgecolor=BOX_COLOUR, linewidth=1.2))  # fmt: skip
            inset = ax.inset_axes(corner)
            inset.imshow(_as_image(panel[:, top : top + side, left : left + side]),
                         interpolation="nearest")  # fmt: skip
            inset.set_xticks([])
            inset.set_yticks([])
            for spine in inset.spines.values():
                spine.set_edgecolor(BOX_COLOUR)
                spine.set_linewidth(1.5)
            ax.set_xticks([])
            ax.set_yticks([])
            weight = "bold" if column == row.best else "normal"
            ax.set_xlabel(caption, fontsize=9, fontweight=weight)
            if row_index == 0:
                ax.set_title(columns[column], fontsize=10)
            if column == 0:
                ax.set_ylabel(row.name, fontsize=8)
    if title:
        figure.suptitle(title, fontsize=10)
    figure.tight_layout()
    figure.savefig(out, dpi=110)
    plt.close(figure)
    return out


@dataclass
class AttentionRow:
    """One test image for the attention strip: the images and the maps (each (1, H, W))."""

    name: str
    rainy: Tensor
    mask: Tensor
    maps: list[Tensor]
    restored: Tensor
    clean: Tensor
    caption: str  # under the restored panel (its PSNR)


def draw_attention_strip(rows: list[AttentionRow], out: Path, title: str | None = None) -> Path:
    """rainy | mask | A1…AN | restored | clean per row; the mask and every map in one colour
    scale (0 to 1, the mask's range the attention loss pulls the maps towards) with one
    colorbar, so that steps and images compare."""
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    steps = max(len(row.maps) for row in rows)
    columns = ["rainy input", "rain mask", *(f"A{t + 1}" for t in range(steps)), "restored",
               "clean"]  # fmt: skip
    ratio = rows[0].rainy.shape[-2] / rows[0].rainy.shape[-1]
    figure, axes = plt.subplots(
        len(rows), len(columns),
        figsize=(2.1 * len(columns) + 0.8, 2.1 * ratio * len(rows) + 0.6), squeeze=False,
    )  # fmt: skip
    shown = None
    for r, row in enumerate(rows):
        panels: list[tuple[Tensor, bool]] = [(row.rainy, False), (row.mask, True)]
        panels += [(m, True) for m in row.maps] + [(row.restored, False), (row.clean, False)]
        for c, (panel, is_map) in enumerate(panels):
            ax = axes[r][c]
            if is_map:
                shown = ax.imshow(panel[0].detach().float().cpu().numpy(), cmap="viridis",
                                  vmin=0.0, vmax=1.0, interpolation="nearest")  # fmt: skip
            else:
                ax.imshow(_as_image(panel), interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if r == 0:
                ax.set_title(columns[c], fontsize=9)
        axes[r][len(columns) - 2].set_xlabel(row.caption, fontsize=8)
        axes[r][0].set_ylabel(row.name, fontsize=8)
    if shown is not None:
        figure.colorbar(shown, ax=axes, fraction=0.02, pad=0.01,
                        label="attention / mask (clipped to [0, 1])")  # fmt: skip
    if title:
        figure.suptitle(title, fontsize=10)
    out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out, dpi=110, bbox_inches="tight")
    plt.close(figure)
    return out
