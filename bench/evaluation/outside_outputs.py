"""Score images restored elsewhere (a paper's released results, another toolbox) against ground
truth, pairing files by name, under any metric protocol."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from derainbench.datasets.image_io import load_rgb, text_safe
from derainbench.datasets.paired_folder import list_images, natural_key, pair_key
from derainbench.errors import DataError
from derainbench.evaluation.evaluate import ContentId
from derainbench.registries import PROTOCOLS


@dataclass
class Scores:
    """Per-image values (one column per protocol and metric), their means, and what was
    scored: the protocols, the ground-truth folder and its content id."""

    per_image: pd.DataFrame
    means: dict[str, float]
    protocols: tuple[str, ...] = ()
    ground_truth: str = ""
    targets_id: str = ""

    def write_csv(self, path: Path | str) -> Path:
        """The per-image values as CSV and, beside it (``.json``), what they measured, so that
        ``compare`` can refuse to pair them with scores of other images or protocols."""
        path = Path(path)
        if path.is_dir():
            raise DataError(f"--csv {path} is a folder; name a CSV file")
        path.parent.mkdir(parents=True, exist_ok=True)
        self.per_image.to_csv(path, index=False)
        identity = {"test_data": self.ground_truth, "targets_id": self.targets_id}
        if len(self.protocols) == 1:
            identity["protocol"] = self.protocols[0]
        path.with_suffix(".json").write_text(json.dumps(identity, indent=2) + "\n")
        return path


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
    targets = ContentId()
    for key, pred_path, target_path in match_files(predictions, ground_truth):
        pred, target = load_rgb(pred_path), load_rgb(target_path)
        targets.add(key, target)
        if pred.shape != target.shape:
            raise DataError(
                f"{pred_path.name} is {pred.shape[1]}x{pred.shape[2]} but {target_path.name} is "
                f"{target.shape[1]}x{target.shape[2]}: metrics compare same-size images, "
                f"nothing is resized"
            )
        row: dict[str, object] = {
            "image": text_safe(key),
            "height": pred.shape[1],
            "width": pred.shape[2],
        }
        for protocol in scorers:
            values = protocol.evaluate(pred[None], target[None])
            for column, value in values.items():
                row[f"{column}_{protocol.name}" if len(scorers) > 1 else column] = float(value[0])
        rows.append(row)
    frame = pd.DataFrame(rows)
    metric_columns = [c for c in frame.columns if c not in ("image", "height", "width")]
    means = {c: float(frame[c].mean()) for c in metric_columns}
    return Scores(frame, means, tuple(protocols), text_safe(str(ground_truth)), targets.hexdigest())
