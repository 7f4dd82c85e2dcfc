"""Score images restored elsewhere (a paper's released results, another toolbox) against ground
truth, pairing files by name, under any metric protocol."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from derainbench.datasets.image_io import load_rgb
from derainbench.datasets.paired_folder import list_images, natural_key, pair_key
from derainbench.errors import DataError
from derainbench.registries import PROTOCOLS


@dataclass
class Scores:
    """Per-image values (one column per protocol and metric) and their means."""

    per_image: pd.DataFrame
    means: dict[str, float]


def match_files(predictions: Path, ground_truth: Path) -> list[tuple[str, Path, Path]]:
    """(key, prediction, target) by shared stem; Raindrop/Rain100 suffixes are ignored."""
    for folder in (predictions, ground_truth):
        if not folder.is_dir():
            raise DataError(f"not a folder: {folder}")
    targets = {pair_key(p.stem): p for p in list_images(ground_truth)}
    preds = {pair_key(p.stem): p for p in list_images(predictions)}
    if not preds:
        raise DataError(f"no images in {predictions}")
    missing = sorted(set(preds) - set(targets), key=natural_key)
    if missing:
        shown = ", ".join(preds[k].name for k in missing[:5])
        raise DataError(
            f"{len(missing)} prediction(s) have no ground truth in {ground_truth}: {shown}"
        )
    return [(k, preds[k], targets[k]) for k in sorted(preds, key=natural_key)]


def score_folders(
    predictions: Path | str, ground_truth: Path | str, protocols: Sequence[str] = ("y-matlab",)
) -> Scores:
    """Score every prediction against its target; sizes must match exactly (no resizing)."""
    predictions, ground_truth = Path(predictions), Path(ground_truth)
    scorers = [PROTOCOLS.create(name) for name in protocols]
    rows = []
    for key, pred_path, target_path in match_files(predictions, ground_truth):
        pred, target = load_rgb(pred_path), load_rgb(target_path)
        if pred.shape != target.shape:
            raise DataError(
                f"{pred_path.name} is {pred.shape[1]}x{pred.shape[2]} but {target_path.name} is "
                f"{target.shape[1]}x{target.shape[2]}: metrics compare same-size images, "
                f"nothing is resized"
            )
        row: dict[str, object] = {"image": key, "height": pred.shape[1], "width": pred.shape[2]}
        for protocol in scorers:
            values = protocol.evaluate(pred[None], target[None])
            for column, value in values.items():
                row[f"{column}_{protocol.name}" if len(scorers) > 1 else column] = float(value[0])
        rows.append(row)
    frame = pd.DataFrame(rows)
    metric_columns = [c for c in frame.columns if c not in ("image", "height", "width")]
    return Scores(frame, {c: float(frame[c].mean()) for c in metric_columns})
