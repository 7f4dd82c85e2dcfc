"""``derain-bench train``: train any registered combination from a recipe plus overrides."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from derainbench.cli.app import command, console, err_console
from derainbench.cli.options import (
    AsJson,
    BatchSize,
    Crop,
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
    ValFraction,
    ValidationData,
)
from derainbench.cli.tables import print_check_report
from derainbench.errors import DerainBenchError


def resumed_recipe(run_dir: Path) -> str | dict[str, Any]:
    """What a resumed run's options apply to when --recipe is not given: its shipped recipe by
    name (as the command that started it read it), else its stored configuration."""
    from derainbench.registries import RECIPES
    from derainbench.training.trained import stored_configuration

    stored = stored_configuration(run_dir)
    return stored.recipe.name if stored.recipe.name in RECIPES else stored.to_dict()


@command("train")
def train_command(
    recipe: RecipeName = None,
    generator: GeneratorName = None,
    discriminator: DiscriminatorName = None,
    objective: ObjectiveName = None,
    train_data: TrainData = None,
    test_data: TestData = None,
    validation_data: ValidationData = None,
    val_fraction: ValFraction = None,
    steps: Steps = None,
    batch_size: BatchSize = None,
    crop: Crop = None,
    seed: Annotated[
        int | None, typer.Option("--seed", help="Seeds initialisation, sampling and crops.")
    ] = None,
    device: Annotated[
        str | None,
        typer.Option(
            "--device",
            help="auto (a CUDA GPU if there is one), cpu, cuda or cuda:N. With --resume: moves "
            "the run (default: where it was).",
        ),
    ] = None,
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
        bool,
        typer.Option(
            "--resume",
            help="Continue the run in --run-dir with the configuration it started with (its "
            "checkpoint's, or its config.toml's). Only --steps (more steps extend it), --device "
            "and --workers may be given with it.",
        ),
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

    Several GPUs or processes: torchrun --nproc_per_node=N -m derainbench train ... trains one
    run with DistributedDataParallel; --batch-size is then the global batch (N must divide it).
    """
    import derainbench as db

    if resume and run_dir is None:
        raise DerainBenchError("--resume needs --run-dir: the run folder to continue")
    shaping = [recipe, generator, discriminator, objective, train_data, test_data, batch_size,
               crop, seed, overrides, drop_terms, validation_data, val_fraction]  # fmt: skip
    if resume and not any(shaping):
        result = db.resume(
            run_dir, steps=steps, device=device, workers=workers, evaluate=evaluate,
            leaderboard=leaderboard, console=err_console,
        )  # fmt: skip
    else:
        # With --resume, the same options again are fine; one that changes the run is refused
        # (by the training loop, naming the configuration key).
        base = recipe or (resumed_recipe(run_dir) if resume else "pix2pix")
        config = db.compose(
            base, generator=generator, discriminator=discriminator,
            objective=objective, train_data=train_data, test_data=test_data,
            validation_data=validation_data, val_fraction=val_fraction, steps=steps,
            batch_size=batch_size, crop=crop, seed=seed, device=device or "auto",
            workers=workers, overrides=overrides or [], drop_terms=drop_terms or [],
        )  # fmt: skip
        if dry_run:
            print_check_report(db.check(config, run_dir), as_json)
            return
        result = db.run(
            config, run_dir=run_dir, runs_root=runs_root, resume=resume, evaluate=evaluate,
            leaderboard=leaderboard, console=err_console,
        )  # fmt: skip
    training = result.training
    if not training.main:
        return  # under torchrun, rank 0 reports for all processes
    summary: dict[str, Any] = {
        "run_dir": str(result.run_dir),
        "config_hash": training.config_hash,
        "steps": training.steps,
        "train_seconds": round(training.train_seconds, 2),
    }
    if result.evaluation is not None:
        summary.update(result.evaluation.means, leaderboard=str(result.evaluation.leaderboard))
    if as_json:
        console.print_json(json.dumps(summary))
    else:
        console.print(
            ", ".join(f"{k}: {v:.4f}" if isinstance(v, float) else f"{k}: {v}"
                      for k, v in summary.items())
        )  # fmt: skip
