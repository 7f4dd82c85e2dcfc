"""``derain-bench train``: train any registered combination from a recipe plus overrides."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from derainbench.cli.app import PLUGINS, command, console, err_console
from derainbench.cli.options import (
    AsJson,
    BatchSize,
    Crop,
    Device,
    DiscriminatorName,
    DropTerms,
    GeneratorName,
    LeaderboardPath,
    ObjectiveName,
    Overrides,
    RecipeName,
    Steps,
    TestData,
    TrainData,
    data_spec,
)
from derainbench.config import (
    apply_override,
    config_hash,
    load_recipe,
    resolve,
    set_component,
)
from derainbench.contracts import count_parameters
from derainbench.reporting.leaderboard import default_path
from derainbench.training.runfolder import RunFolder, default_run_id


def build_config(
    recipe: str | dict[str, Any],
    generator: str | None = None,
    discriminator: str | None = None,
    objective: str | None = None,
    train_data: str | None = None,
    test_data: str | None = None,
    steps: int | None = None,
    batch_size: int | None = None,
    crop: int | None = None,
    seed: int | None = None,
    device: str | None = None,
    workers: int | None = None,
    overrides: list[str] | None = None,
    drop_terms: list[str] | None = None,
) -> dict[str, Any]:
    """A resolved configuration from a recipe (name, file or dict), the command-line shortcuts
    and ``--set`` items."""
    config = load_recipe(recipe) if isinstance(recipe, str) else copy.deepcopy(recipe)
    set_component(config, "generator", generator)
    set_component(config, "discriminator", discriminator)
    if objective is not None:
        config.setdefault("objective", {})["name"] = objective
    data = config.setdefault("data", {})
    if train_data is not None:
        data["train"] = data_spec(train_data)
    if test_data is not None:
        data["test"] = data_spec(test_data)
    for section, key, value in (
        ("train", "steps", steps),
        ("train", "batch_size", batch_size),
        ("train", "crop", crop),
        ("train", "seed", seed),
        ("run", "device", device),
        ("run", "workers", workers),
    ):
        if value is not None:
            config.setdefault(section, {})[key] = value
    drop_loss_terms(config, drop_terms or [])
    for item in overrides or []:
        apply_override(config, item)
    config.setdefault("run", {})["plugins"] = list(PLUGINS)
    if "train" not in config.get("data", {}):
        from derainbench.errors import DerainBenchError

        raise DerainBenchError("no training data: pass --train-data (the recipe names none)")
    return resolve(config)


def drop_loss_terms(config: dict[str, Any], names: list[str]) -> None:
    """Remove the named loss terms from a recipe (the resolved configuration records it)."""
    from derainbench.errors import DerainBenchError

    present = [t["name"] for t in config.get("terms", [])]
    unknown = [name for name in names if name not in present]
    if unknown:
        raise DerainBenchError(
            f"--drop-term {', '.join(unknown)}: the recipe's loss terms are "
            f"{', '.join(present) or 'none'}"
        )
    config["terms"] = [t for t in config.get("terms", []) if t["name"] not in names]


@command("train")
def train_command(
    recipe: RecipeName = "pix2pix",
    generator: GeneratorName = None,
    discriminator: DiscriminatorName = None,
    objective: ObjectiveName = None,
    train_data: TrainData = None,
    test_data: TestData = None,
    steps: Steps = None,
    batch_size: BatchSize = None,
    crop: Crop = None,
    seed: Annotated[
        int | None, typer.Option("--seed", help="Seeds initialisation, sampling and crops.")
    ] = None,
    device: Device = "auto",
    workers: Annotated[
        int | None, typer.Option("--workers", help="Data-loader worker processes.")
    ] = None,
    overrides: Overrides = None,
    drop_terms: DropTerms = None,
    run_dir: Annotated[
        Path | None, typer.Option("--run-dir", help="Run folder (default: RUNS/<run id>).")
    ] = None,
    runs_root: Annotated[Path, typer.Option("--runs", help="Parent of run folders.")] = Path(
        "runs"
    ),
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue the run in --run-dir from its checkpoint.")
    ] = False,
    evaluate: Annotated[
        bool, typer.Option("--eval/--no-eval", help="Evaluate on the test data when done.")
    ] = True,
    leaderboard: LeaderboardPath = None,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Check the combination, print what would train, stop."),
    ] = False,
    as_json: AsJson = False,
) -> None:
    """Train any generator × discriminator × objective × loss terms, then evaluate it.

    The recipe supplies every choice; options and --set override them. The run folder holds the
    resolved configuration (with its hash), a CSV log, sample grids and an atomic checkpoint;
    an interrupted run continues with --resume.
    """
    from derainbench.training.loop import existing_run_state, train

    if resume and run_dir is not None and existing_run_state(RunFolder(run_dir)) is not None:
        config = existing_run_state(RunFolder(run_dir))["config"]
        config["run"]["device"] = device
    else:
        config = build_config(
            recipe, generator, discriminator, objective, train_data, test_data, steps,
            batch_size, crop, seed, device, workers, overrides, drop_terms,
        )  # fmt: skip
    digest = config_hash(config)
    run_dir = run_dir or runs_root / default_run_id(config, digest)
    if dry_run:
        _print_dry_run(config, digest, run_dir, as_json)
        return
    result = train(config, run_dir, resume=resume, console=err_console)
    summary: dict[str, Any] = {
        "run_dir": str(result.run.root),
        "config_hash": result.config_hash,
        "steps": result.steps,
        "train_seconds": round(result.train_seconds, 2),
    }
    if evaluate and "test" in result.config["data"]:
        from derainbench.evaluation.evaluate import evaluate_run

        board = leaderboard or default_path()
        evaluation, _ = evaluate_run(result.run.root, leaderboard=board, device=device)
        summary.update(evaluation.means, leaderboard=str(board))
    if as_json:
        console.print_json(json.dumps(summary))
    else:
        console.print(
            ", ".join(f"{k}: {v:.4f}" if isinstance(v, float) else f"{k}: {v}"
                      for k, v in summary.items())
        )  # fmt: skip


def _print_dry_run(config: dict[str, Any], digest: str, run_dir: Path, as_json: bool) -> None:
    from derainbench.training.components import build_components, build_dataset

    train = config["train"]
    train_set = build_dataset(config["data"]["train"], train["crop"], train["flip"])
    if "test" in config["data"]:
        build_dataset(config["data"]["test"])  # the test data must be usable too
    parts = build_components(config, frozenset(getattr(train_set, "provides", frozenset())))
    record = {
        "run_dir": str(run_dir),
        "config_hash": digest,
        "train_pairs": len(train_set),
        "generator": config["generator"]["name"],
        "generator_parameters": count_parameters(parts.generator),
        "discriminator": config["discriminator"]["name"],
        "discriminator_parameters": count_parameters(parts.discriminator),
        "conditional": bool(parts.discriminator and parts.discriminator.conditional),
        "objective": config["objective"]["name"],
        "terms": {t.name: sorted(t.module.needs) for t in parts.terms},
        "penalties": [p.name for p in parts.penalties],
        "d_steps": train["d_steps"],
    }
    if as_json:
        console.print_json(json.dumps(record))
        return
    table = Table(show_header=False, title="dry run: the combination is valid")
    for key, value in record.items():
        shown = f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else value
        table.add_row(key, str(shown))
    console.print(table)


__all__ = ["build_config", "train_command"]
