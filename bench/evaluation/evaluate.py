"""Evaluation: full-size test images, a named metric protocol, per-image CSV, a leaderboard row."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from rich.console import Console
from rich.progress import Progress
from torch import Tensor

from derainbench.config import config_hash
from derainbench.contracts import Generator
from derainbench.devices import device_name, resolve_device
from derainbench.errors import DerainBenchError
from derainbench.evaluation.costs import inference_cost
from derainbench.evaluation.restore import generator_mode, restore
from derainbench.experiments.provenance import git_commit, versions
from derainbench.plugins import load_plugin
from derainbench.registries import PROTOCOLS
from derainbench.reporting.leaderboard import append_row
from derainbench.training.checkpoint import load_checkpoint
from derainbench.training.components import build_dataset, build_generator
from derainbench.training.runfolder import RunFolder


@dataclass
class Evaluation:
    """Per-image values and their means for one (generator, test set, protocol, mode)."""

    per_image: pd.DataFrame
    means: dict[str, float]
    seconds: float


def dataset_label(spec: dict[str, Any]) -> str:
    """A short, stable description of a dataset spec for tables: name:split or name:root."""
    detail = spec.get("split") or spec.get("root") or ""
    return f"{spec['name']}:{detail}" if detail else spec["name"]


#: An extra per-image column: its name and a scorer of (restored, clean) → (B,) values.
ExtraScorer = tuple[str, Callable[[Tensor, Tensor], Tensor]]


def evaluate_generator(
    generator: Generator,
    dataset: Any,
    protocol_name: str,
    mode: str = "eval",
    console: Console | None = None,
    extras: Sequence[ExtraScorer] = (),
) -> Evaluation:
    """Restore every test pair at full size and score it with the protocol (and the extras)."""
    protocol = PROTOCOLS.create(protocol_name)
    device = _device_of(generator)
    rows: list[dict[str, Any]] = []
    names = dataset.pair_names()
    start = time.perf_counter()
    with (
        generator_mode(generator, mode),
        Progress(console=console or Console(stderr=True), transient=True) as progress,
    ):
        task = progress.add_task("evaluate", total=len(dataset))
        for index in range(len(dataset)):
            rainy, clean = dataset.load_pair(index)
            restored = restore(generator, rainy[None].to(device)).image
            values = protocol.evaluate(restored.cpu(), clean[None])
            row = {"image": names[index], "height": rainy.shape[-2], "width": rainy.shape[-1]}
            row |= {column: float(v[0]) for column, v in values.items()}
            for name, scorer in extras:
                row[name] = float(scorer(restored, clean[None].to(device))[0])
            rows.append(row)
            progress.advance(task)
    seconds = time.perf_counter() - start
    if not rows:
        raise DerainBenchError("the test set is empty")
    frame = pd.DataFrame(rows)
    columns = [*protocol.columns, *(name for name, _ in extras)]
    means = {column: float(frame[column].mean()) for column in columns}
    return Evaluation(frame, means, seconds)


@dataclass
class EvaluationOptions:
    """What an evaluation adds to PSNR/SSIM: LPIPS, extra metrics, cost columns, custom columns."""

    lpips: str | None = "alex"  # LPIPS network, or None for no LPIPS column
    lpips_weights: str | None = None  # the trunk's file, if not in the usual places
    require_lpips: bool = False  # a missing trunk is an error instead of an empty cell
    extras: tuple[str, ...] = ()  # names from derainbench.metrics.extras
    costs: bool = True  # MACs, latency and memory at the test resolution
    columns: dict[str, Any] = field(default_factory=dict)  # e.g. an ablation id


def _extra_scorers(
    options: EvaluationOptions, device: Any
) -> tuple[list[ExtraScorer], dict[str, Any]]:
    """The extra per-image scorers, and the leaderboard cells that explain a missing one."""
    from derainbench.metrics.extras import extra_scorer
    from derainbench.metrics.lpips_metric import try_lpips

    scorers: list[ExtraScorer] = [(name, extra_scorer(name)) for name in options.extras]
    notes: dict[str, Any] = {}
    if options.lpips is not None:
        metric, reason = try_lpips(options.lpips, options.lpips_weights, options.require_lpips)
        column = f"lpips_{options.lpips}"
        if metric is None:
            notes |= {column: None, f"{column}_note": reason}
        else:
            scorers.append((column, metric.to(device)))
    return scorers, notes


def _device_of(module: Generator) -> Any:
    for tensor in (*module.parameters(), *module.buffers()):
        return tensor.device
    return "cpu"


def load_run_generator(checkpoint: Path | str, device: str = "auto") -> tuple[Generator, dict]:
    """The generator of a checkpoint (file or run folder) and the checkpoint itself."""
    state = load_checkpoint(checkpoint)
    for plugin in state["config"]["run"].get("plugins", []):
        load_plugin(plugin)
    generator = build_generator(state["config"]["generator"])
    generator.load_state_dict(state["generator"])
    return generator.to(resolve_device(device)), state


def evaluate_run(
    checkpoint: Path | str,
    test_spec: dict[str, Any] | None = None,
    protocol: str | None = None,
    mode: str | None = None,
    leaderboard: Path | None = None,
    device: str = "auto",
    console: Console | None = None,
    options: EvaluationOptions | None = None,
) -> tuple[Evaluation, dict[str, Any]]:
    """Evaluate a run's generator, write its per-image CSV and append one leaderboard row."""
    options = options or EvaluationOptions()
    generator, state = load_run_generator(checkpoint, device)
    config = state["config"]
    test_spec = test_spec or config["data"].get("test")
    if test_spec is None:
        raise DerainBenchError("no test data: pass --test-data (the run's recipe names none)")
    protocol = protocol or config["eval"]["protocol"]
    mode = mode or config["eval"]["generator_mode"]
    dataset = build_dataset(test_spec)
    extras, extra_columns = _extra_scorers(options, _device_of(generator))
    result = evaluate_generator(generator, dataset, protocol, mode, console, extras)
    if options.costs:
        height, width = dataset.load_pair(0)[0].shape[-2:]
        cost = inference_cost(generator, height, width)
        memory = cost.peak_memory_mb
        extra_columns |= {
            "g_macs": cost.macs,
            "latency_ms": round(cost.latency_ms, 3),
            "peak_memory_mb": None if memory is None else round(memory, 1),
            "cost_size": f"{height}x{width}",
        }

    checkpoint_path = Path(checkpoint)
    run = RunFolder(checkpoint_path if checkpoint_path.is_dir() else checkpoint_path.parent.parent)
    label = dataset_label(test_spec)
    safe_label = "".join(c if c.isalnum() or c in "-_." else "_" for c in label)
    per_image_path = run.eval_dir / f"{safe_label}__{protocol}__{mode}.csv"
    per_image_path.parent.mkdir(parents=True, exist_ok=True)
    result.per_image.to_csv(per_image_path, index=False)

    from derainbench.datasets.describe import compact_info, spec_info

    row_keys = ("psnr", "ssim")
    row = {
        "time": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "run_id": run.run_id,
        "config_hash": state.get("config_hash") or config_hash(config),
        "recipe": config["recipe"]["name"],
        "generator": config["generator"]["name"],
        "discriminator": config["discriminator"]["name"],
        "objective": config["objective"]["name"],
        "terms": "+".join(f"{t['weight']:g}*{t['name']}" for t in config["terms"]),
        "train_data": dataset_label(config["data"]["train"]),
        "test_data": label,
        # What the data were (SynthDrop: renderer version, preset, parameters), as compact JSON.
        "data_info": compact_info(dataset),
        "train_data_info": spec_info(config["data"]["train"]),
        "protocol": protocol,
        "g_mode": mode,
        "n_images": len(result.per_image),
        **{column: round(result.means[column], 6) for column in row_keys if column in result.means},
        "seed": config["train"]["seed"],
        "steps": state["step"],
        "g_params": state["parameters"]["generator"],
        "d_params": state["parameters"]["discriminator"],
        "train_seconds": round(state.get("train_seconds", 0.0), 2),
        "eval_seconds": round(result.seconds, 2),
        **{name: round(value, 6) for name, value in result.means.items() if name not in row_keys},
        **extra_columns,
        "precision": config["run"].get("precision", "fp32"),
        "device": device_name(_device_of(generator)),
        "versions": versions(),
        "git_commit": git_commit(),
        **options.columns,
    }
    if leaderboard is not None:
        append_row(leaderboard, row)
    row["per_image_csv"] = str(per_image_path)
    return result, row
