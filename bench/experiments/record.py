"""The leaderboard row of one evaluation: what was measured, how, on what, at what cost, and
where the result came from. The experiment runner alone writes rows."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from derainbench.datasets.base import PairedDataset
from derainbench.datasets.build import dataset_label
from derainbench.datasets.describe import compact_info, spec_info
from derainbench.devices import device_name
from derainbench.evaluation.baselines import RAINY_INPUT
from derainbench.evaluation.evaluate import Evaluation, EvaluationOptions
from derainbench.experiments.provenance import git_commit, versions
from derainbench.metrics.scores import score_columns
from derainbench.training.trained import TrainedRun

DIGITS = 6  # stored precision of score means (views round to each score's digits)
KEY_LENGTH = 16


def row_identity(
    trained: TrainedRun,
    evaluation: Evaluation,
    test_label: str,
    protocol: str,
    mode: str,
    options: EvaluationOptions,
) -> dict[str, Any]:
    """What one measurement is: a run (configuration hash and seed), a checkpoint, a test set
    (by content), a protocol, a generator mode and the evaluation's options. Two evaluations
    with the same identity are one row; ``row_key`` is its hash."""
    identity = {
        "run_id": trained.run.run_id,
        "config_hash": trained.config_hash,
        "seed": trained.config.train.seed,
        "checkpoint": trained.label,
        "test_data": test_label,
        "test_set_id": evaluation.test_set_id,
        "targets_id": evaluation.targets_id,
        "protocol": protocol,
        "g_mode": mode,
    }
    options_part = {
        "lpips": options.lpips,
        "extras": sorted(options.extras),
        "columns": {k: str(v) for k, v in sorted(options.columns.items())},
    }
    keyed = {k: v for k, v in identity.items() if k not in ("run_id", "test_data", "targets_id")}
    text = json.dumps({**keyed, **options_part}, sort_keys=True, default=str)
    identity["row_key"] = hashlib.sha256(text.encode()).hexdigest()[:KEY_LENGTH]
    return identity


def leaderboard_row(
    trained: TrainedRun,
    evaluation: Evaluation,
    test_set: PairedDataset,
    identity: dict[str, Any],
    device: Any,
    cells: dict[str, Any],
    columns: dict[str, Any],
) -> dict[str, Any]:
    """One row: the run's identity and components, the data, the protocol and mode, every score
    mean, the costs, and provenance (precision, device, versions, git commit)."""
    config = trained.config
    fast = trained.state.get("acceleration", {})
    train_spec = config.data.train
    # PSNR and SSIM first (the columns every row has), then LPIPS and the extra scores.
    lead = [s.name for s in score_columns(evaluation.means) if s.source == "protocol"]
    rest = [name for name in evaluation.means if name not in lead]
    return {
        "time": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "run_id": trained.run.run_id,
        "config_hash": trained.config_hash,
        "recipe": config.recipe.name,
        "generator": config.generator.name,
        "discriminator": config.discriminator.name,
        "objective": config.objective.name,
        "terms": "+".join(f"{t.weight:g}*{t.name}" for t in config.terms),
        "train_data": dataset_label(train_spec.name, train_spec.options) if train_spec else "",
        "test_data": identity["test_data"],
        # What the data were (SynthDrop: renderer version, preset, parameters), as compact JSON.
        "data_info": compact_info(test_set),
        "train_data_info": spec_info(train_spec.name, train_spec.options) if train_spec else "",
        # Where the attention loss's rain masks came from (the dataset's, or a rule on pairs).
        "train_masks": trained.state.get("masks", ""),
        "protocol": identity["protocol"],
        "g_mode": identity["g_mode"],
        "n_images": len(evaluation.per_image),
        **{name: round(evaluation.means[name], DIGITS) for name in lead},
        "seed": config.train.seed,
        "steps": trained.step,
        "g_params": trained.state["parameters"]["generator"],
        "d_params": trained.state["parameters"]["discriminator"],
        "train_seconds": round(trained.state.get("train_seconds", 0.0), 2),
        "eval_seconds": round(evaluation.seconds, 2),
        **{name: round(evaluation.means[name], DIGITS) for name in rest},
        **cells,
        # What the run used on its device (older checkpoints: what was configured).
        "precision": fast.get("precision", config.run.precision),
        "channels_last": fast.get("channels_last", ""),
        "compile": fast.get("compile", False),
        "device": device_name(device),
        # Processes (torchrun ranks) that trained it, at its last checkpoint.
        "train_processes": trained.state.get("processes", 1),
        "versions": versions(),
        "git_commit": git_commit(),
        "test_set_id": identity["test_set_id"],
        "checkpoint": identity["checkpoint"],
        "row_key": identity["row_key"],
        **columns,
    }


def input_row_key(test_set_id: str, protocol: str, options: EvaluationOptions) -> str:
    """The row key of the rainy input's score on a test set under a protocol (with the same
    extra scores as the rows beside it)."""
    keyed = {"run": RAINY_INPUT, "test_set_id": test_set_id, "protocol": protocol,
             "lpips": options.lpips, "extras": sorted(options.extras)}  # fmt: skip
    text = json.dumps(keyed, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:KEY_LENGTH]


def input_row(
    evaluation: Evaluation,
    test_set: PairedDataset,
    test_label: str,
    protocol: str,
    row_key: str,
    cells: dict[str, Any],
) -> dict[str, Any]:
    """The row of the untouched rainy input: what doing nothing scores, for every view's
    context. No components, seed, steps or costs."""
    lead = [s.name for s in score_columns(evaluation.means) if s.source == "protocol"]
    rest = [name for name in evaluation.means if name not in lead]
    return {
        "time": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "run_id": RAINY_INPUT,
        "config_hash": RAINY_INPUT,
        "recipe": RAINY_INPUT,
        "test_data": test_label,
        "data_info": compact_info(test_set),
        "protocol": protocol,
        "g_mode": "",
        "n_images": len(evaluation.per_image),
        **{name: round(evaluation.means[name], DIGITS) for name in lead},
        **{name: round(evaluation.means[name], DIGITS) for name in rest},
        **{k: v for k, v in cells.items() if k.endswith("_note")},
        "versions": versions(),
        "git_commit": git_commit(),
        "test_set_id": evaluation.test_set_id,
        "row_key": row_key,
    }
