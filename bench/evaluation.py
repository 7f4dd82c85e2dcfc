"""Evaluation: full-size test images, a named metric protocol, per-image CSV, a leaderboard row."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from rich.console import Console
from rich.progress import Progress

from derainbench.checkpoint import load_checkpoint
from derainbench.config import config_hash
from derainbench.contracts import Generator
from derainbench.devices import device_name, resolve_device
from derainbench.errors import DerainBenchError
from derainbench.leaderboard import append_row
from derainbench.plugins import load_plugin
from derainbench.provenance import git_commit, versions
from derainbench.registries import METRICS
from derainbench.restore import generator_mode, restore
from derainbench.runfolder import RunFolder
from derainbench.training.components import build_dataset, build_generator


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


def evaluate_generator(
    generator: Generator,
    dataset: Any,
    protocol_name: str,
    mode: str = "eval",
    console: Console | None = None,
) -> Evaluation:
    """Restore every test pair at full size and score it with the named protocol."""
    protocol = METRICS.create(protocol_name)
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
            restored = restore(generator, rainy[None].to(device)).image.cpu()
            values = protocol.evaluate(restored, clean[None])
            rows.append(
                {
                    "image": names[index],
                    "height": rainy.shape[-2],
                    "width": rainy.shape[-1],
                    **{column: float(v[0]) for column, v in values.items()},
                }
            )
            progress.advance(task)
    seconds = time.perf_counter() - start
    if not rows:
        raise DerainBenchError("the test set is empty")
    frame = pd.DataFrame(rows)
    means = {column: float(frame[column].mean()) for column in protocol.columns}
    return Evaluation(frame, means, seconds)


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
) -> tuple[Evaluation, dict[str, Any]]:
    """Evaluate a run's generator, write its per-image CSV and append one leaderboard row."""
    generator, state = load_run_generator(checkpoint, device)
    config = state["config"]
    test_spec = test_spec or config["data"].get("test")
    if test_spec is None:
        raise DerainBenchError("no test data: pass --test-data (the run's recipe names none)")
    protocol = protocol or config["eval"]["protocol"]
    mode = mode or config["eval"]["generator_mode"]
    dataset = build_dataset(test_spec)
    result = evaluate_generator(generator, dataset, protocol, mode, console)

    checkpoint_path = Path(checkpoint)
    run = RunFolder(checkpoint_path if checkpoint_path.is_dir() else checkpoint_path.parent.parent)
    label = dataset_label(test_spec)
    safe_label = "".join(c if c.isalnum() or c in "-_." else "_" for c in label)
    per_image_path = run.eval_dir / f"{safe_label}__{protocol}__{mode}.csv"
    per_image_path.parent.mkdir(parents=True, exist_ok=True)
    result.per_image.to_csv(per_image_path, index=False)

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
        "protocol": protocol,
        "g_mode": mode,
        "n_images": len(result.per_image),
        **{column: round(value, 6) for column, value in result.means.items()},
        "seed": config["train"]["seed"],
        "steps": state["step"],
        "g_params": state["parameters"]["generator"],
        "d_params": state["parameters"]["discriminator"],
        "train_seconds": round(state.get("train_seconds", 0.0), 2),
        "eval_seconds": round(result.seconds, 2),
        "device": device_name(_device_of(generator)),
        "versions": versions(),
        "git_commit": git_commit(),
    }
    if leaderboard is not None:
        append_row(leaderboard, row)
    row["per_image_csv"] = str(per_image_path)
    return result, row
