"""Every leaderboard score in one registry: its column, which way is better and its digits.

Views, exports, sorting, plots, comparisons and ablation tables read these records instead of
spelling column names, so a new score (a piq metric, a plug-in's own) shows up everywhere by
registering once. PSNR and SSIM are computed by the metric protocols, LPIPS needs its local trunk
(:mod:`derainbench.metrics.lpips_metric`), and extra scores carry their own per-image function.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from torch import Tensor

from derainbench.errors import DerainBenchError
from derainbench.registries import SCORES

SOURCES = ("protocol", "lpips", "extra")

#: Per-image values, float64 (B,), of two float [0, 1] RGB batches (B, 3, H, W).
ScoreFunction = Callable[[Tensor, Tensor], Tensor]


@dataclass(frozen=True)
class Score:
    """A score column as people read it, and how an extra score is computed."""

    name: str
    higher_is_better: bool
    digits: int
    unit: str = ""
    source: str = "protocol"
    compute: ScoreFunction | None = None

    @property
    def label(self) -> str:
        """``PSNR (dB)``, ``LPIPS_ALEX``: for axes and table headers."""
        return self.name.upper() + (f" ({self.unit})" if self.unit else "")

    @property
    def direction(self) -> str:
        return "higher is better" if self.higher_is_better else "lower is better"

    def format(self, value: float) -> str:
        """The value at this score's digits; empty for a missing value."""
        return "" if value is None or math.isnan(value) else f"{value:.{self.digits}f}"


def register_score(
    name: str,
    *,
    higher_is_better: bool,
    digits: int,
    description: str,
    unit: str = "",
    source: str = "protocol",
    paper: str = "",
    compute: ScoreFunction | None = None,
) -> None:
    """Register a score column; the record and the built :class:`Score` come from one call."""
    if source not in SOURCES:
        raise DerainBenchError(f"score '{name}': source must be one of {', '.join(SOURCES)}")

    def builder() -> Score:
        return Score(name, higher_is_better, digits, unit, source, compute)

    builder.__doc__ = description
    builder.__module__ = compute.__module__ if compute is not None else __name__
    SCORES.register(
        name,
        higher_is_better=higher_is_better,
        digits=digits,
        unit=unit,
        source=source,
        description=description,
        paper=paper,
    )(builder)


def get_score(name: str) -> Score:
    """The registered score ``name`` (an unknown name: one line with close matches)."""
    return SCORES.create(name)


def score_columns(columns: Iterable[str]) -> list[Score]:
    """The registered scores among ``columns``: protocol scores, then LPIPS, then extras."""
    present = set(columns)
    scores = [get_score(name) for name in SCORES.names() if name in present]
    return sorted(scores, key=lambda s: (SOURCES.index(s.source), s.name))


register_score(
    "psnr",
    higher_is_better=True,
    digits=2,
    unit="dB",
    description="peak signal-to-noise ratio of the 8-bit images, per image, then averaged",
)
register_score(
    "ssim",
    higher_is_better=True,
    digits=4,
    description="structural similarity (the protocol says which window and channels)",
    paper="Wang et al., Image Quality Assessment: From Error Visibility to Structural "
    "Similarity, TIP 2004",
)
for _net, _trunk in (("alex", "AlexNet"), ("vgg", "VGG16")):
    register_score(
        f"lpips_{_net}",
        higher_is_better=False,
        digits=4,
        source="lpips",
        description=f"LPIPS distance with the {_trunk} trunk (local weights only)",
        paper="Zhang et al., The Unreasonable Effectiveness of Deep Features as a Perceptual "
        "Metric, CVPR 2018",
    )
