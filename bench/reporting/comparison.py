"""Paired comparison of two evaluations over the same test images."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from derainbench.errors import DerainBenchError
from derainbench.training.runfolder import RunFolder, read_identity

METHODS = ("bootstrap", "wilcoxon")


@dataclass
class Comparison:
    """B − A on one metric: the mean paired difference, its interval and a p-value."""

    metric: str
    n_images: int
    mean_a: float
    mean_b: float
    difference: float
    low: float
    high: float
    p_value: float
    method: str
    b_better: int  # images on which B is better


def per_image_csv(
    source: Path, test: str | None, protocol: str, mode: str = "eval", checkpoint: str = "last"
) -> Path:
    """The per-image CSV of a run folder for (test set, protocol, mode, checkpoint), or
    ``source`` itself."""
    if source.is_file():
        return source
    return RunFolder(source).find_per_image_csv(test, protocol, mode, checkpoint)


def compare_runs(
    a: Path | str,
    b: Path | str,
    metric: str = "psnr",
    protocol: str = "y-matlab",
    test: str | None = None,
    method: str = "bootstrap",
    mode: str = "eval",
    checkpoint: str = "last",
) -> Comparison:
    """Paired test of B − A on ``metric``, from the per-image CSVs of two run folders (or the
    CSV files themselves) evaluated under ``protocol`` on the same test images."""
    paths = [per_image_csv(Path(p), test, protocol, mode, checkpoint) for p in (a, b)]
    check_same_measurement(paths[0], paths[1])
    frames = [read_per_image(path) for path in paths]
    return compare(frames[0], frames[1], metric=metric, method=method)


def read_per_image(path: Path) -> pd.DataFrame:
    """A per-image CSV (of ``eval`` or ``score``); anything else is one line."""
    try:
        frame = pd.read_csv(path)
    except (OSError, ValueError, UnicodeDecodeError) as error:
        raise DerainBenchError(f"cannot read {path} as a per-image CSV: {error}") from None
    if "image" not in frame:
        raise DerainBenchError(f"{path} is not a per-image CSV (it has no 'image' column)")
    return frame


def check_same_measurement(a: Path, b: Path) -> None:
    """Refuse a paired test of evaluations on different test sets or under different protocols;
    images that merely share names do not make the same test set."""
    first, second = read_identity(a), read_identity(b)
    for key, what in (("test_set_id", "test sets"), ("targets_id", "ground truths")):
        if first.get(key) and second.get(key):
            if first[key] != second[key]:
                raise DerainBenchError(
                    f"A and B were evaluated on different {what} ({first.get('test_data', a)} "
                    f"[{first[key]}] and {second.get('test_data', b)} [{second[key]}]); a "
                    f"paired test needs the same images"
                )
            break
    protocols = first.get("protocol"), second.get("protocol")
    if all(protocols) and protocols[0] != protocols[1]:
        raise DerainBenchError(
            f"A was scored under protocol '{protocols[0]}' and B under '{protocols[1]}'; "
            f"their numbers are not comparable"
        )


def compare(
    a: pd.DataFrame,
    b: pd.DataFrame,
    metric: str = "psnr",
    method: str = "bootstrap",
    level: float = 0.95,
    resamples: int = 10_000,
    seed: int = 0,
) -> Comparison:
    """Paired difference B − A over the images both evaluated (they must be the same images)."""
    if method not in METHODS:
        raise DerainBenchError(f"unknown method '{method}'; choose bootstrap or wilcoxon")
    for frame, name in ((a, "A"), (b, "B")):
        if metric not in frame:
            columns = [c for c in frame.columns if c not in ("image", "height", "width")]
            raise DerainBenchError(
                f"evaluation {name} has no '{metric}' column; choose one of "
                f"{', '.join(columns) or 'none'} with --metric"
            )
    if set(a["image"]) != set(b["image"]):
        only = sorted(set(a["image"]) ^ set(b["image"]))[:5]
        raise DerainBenchError(
            f"A and B were evaluated on different images (e.g. {', '.join(map(str, only))}); "
            f"a paired test needs the same test set"
        )
    joined = a[["image", metric]].merge(b[["image", metric]], on="image", suffixes=("_a", "_b"))
    diff = (joined[f"{metric}_b"] - joined[f"{metric}_a"]).to_numpy(dtype=np.float64)
    if not np.isfinite(diff).all():
        raise DerainBenchError(f"'{metric}' has infinite values (identical images?)")
    mean = float(diff.mean())
    if method == "bootstrap":
        rng = np.random.default_rng(seed)
        means = diff[rng.integers(0, len(diff), size=(resamples, len(diff)))].mean(axis=1)
        low, high = np.quantile(means, [(1 - level) / 2, (1 + level) / 2])
        # Two-sided bootstrap p-value for "no difference": how often the resampled mean
        # falls on the other side of zero, doubled.
        p_value = min(1.0, 2 * min((means <= 0).mean(), (means >= 0).mean()))
    else:
        result = stats.wilcoxon(diff) if np.any(diff != 0) else None
        p_value = 1.0 if result is None else float(result.pvalue)
        half = stats.t.ppf((1 + level) / 2, len(diff) - 1) * diff.std(ddof=1) / np.sqrt(len(diff))
        low, high = mean - half, mean + half
    return Comparison(
        metric, len(diff), float(joined[f"{metric}_a"].mean()), float(joined[f"{metric}_b"].mean()),
        mean, float(low), float(high), float(p_value), method, int((diff > 0).sum()),
    )  # fmt: skip
