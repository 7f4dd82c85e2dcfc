"""The Python API: what the command line does, as functions (``import derainbench as db``).

    config = db.compose("pix2pix", train_data="toyrain-sk:train", steps=20)
    result = db.run(config)                  # train → evaluate → leaderboard row
    db.leaderboard(view="configs")           # seeds pooled: mean ± 95 % CI

Every command of ``derain-bench`` calls one of these.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from rich.console import Console

from derainbench.config import ExperimentConfig
from derainbench.evaluation.evaluate import EvaluationOptions
from derainbench.evaluation.outside_outputs import score_folders
from derainbench.experiments.ablation_study import AblationResult, plan_ablation, run_ablation
from derainbench.experiments.check import CheckReport, check
from derainbench.experiments.compose import compose
from derainbench.experiments.demo import run_demo
from derainbench.experiments.derain import derain_images
from derainbench.experiments.error_split import error_split
from derainbench.experiments.figure import attention_strip, comparison_figure
from derainbench.experiments.plugin_check import ContractReport, check_plugin
from derainbench.experiments.report import make_report
from derainbench.experiments.runner import (
    EvaluationRecord,
    ExperimentResult,
    evaluate_run,
    run_experiment,
)
from derainbench.experiments.sweep.execute import SweepLaunch, launch
from derainbench.experiments.sweep.spec import Cell, expand, load_sweep
from derainbench.experiments.sweep.status import CellReport
from derainbench.experiments.sweep.status import sweep_status as status_of
from derainbench.reporting.comparison import compare_runs
from derainbench.reporting.export import export
from derainbench.reporting.leaderboard import default_path, read_leaderboard
from derainbench.reporting.views import leaderboard_view
from derainbench.training.imported import import_weights
from derainbench.training.loop import TrainResult
from derainbench.training.loop import train as train_into
from derainbench.training.runfolder import default_run_id
from derainbench.training.trained import stored_configuration


def train(
    config: ExperimentConfig,
    run_dir: Path | str | None = None,
    *,
    runs_root: Path | str = "runs",
    resume: bool = False,
    console: Console | None = None,
) -> TrainResult:
    """Train only (no evaluation) into ``run_dir`` (default: RUNS_ROOT/<run id>)."""
    folder = Path(run_dir) if run_dir is not None else Path(runs_root) / default_run_id(config)
    return train_into(config, folder, resume=resume, console=console)


def resume(
    run_dir: Path | str,
    *,
    steps: int | None = None,
    device: str | None = None,
    workers: int | str | None = None,
    evaluate: bool = True,
    leaderboard: Path | str | None = None,
    record: bool = True,
    console: Console | None = None,
) -> ExperimentResult:
    """Continue a run with the configuration it started with (its checkpoint's, or, before the
    first checkpoint, its config.toml's); then evaluate it and record its row, as :func:`run`.

    ``steps`` beyond the original extends the run (the learning-rate schedule then runs over the
    new total); ``device`` and ``workers`` move it. Nothing else can change: a different
    experiment is a new run.
    """
    config = stored_configuration(run_dir)
    if steps is not None:
        config = config.replaced(train={"steps": steps})
    for key, value in (("device", device), ("workers", workers)):
        if value is not None:
            config = config.replaced(run={key: value})
    return run_experiment(
        config,
        run_dir=run_dir,
        resume=True,
        evaluate=evaluate,
        leaderboard=leaderboard,
        record=record,
        console=console,
    )


def leaderboard(
    path: Path | str | None = None,
    *,
    view: str = "configs",
    where: Sequence[str] = (),
    sort: str = "psnr",
    all_columns: bool = False,
    formatted: bool = False,
) -> pd.DataFrame:
    """The leaderboard as a table: configurations with seeds pooled (``view="configs"``:
    mean, std and 95 % CI per score) or one row per evaluation (``"runs"``), best first."""
    frame = read_leaderboard(Path(path) if path is not None else default_path())
    return leaderboard_view(frame, view, where, sort, all_columns, formatted)


def ablate(
    recipe: str = "attentive-gan",
    seeds: Sequence[int] = (0,),
    *,
    design: str | None = None,
    factors: Sequence[str] = (),
    only: Sequence[str] = (),
    out: Path | str = Path("runs") / "ablations",
    leaderboard: Path | str | None = None,
    processes: int | None = 1,
    console: Console | None = None,
    **compose_options: Any,
) -> AblationResult:
    """A one-factor-at-a-time ablation of ``recipe``: every variant × seed trained, evaluated,
    recorded, and the differences to the full model tabulated, paired by seed."""
    plan = plan_ablation(
        recipe, design=design, factors=factors, only=only, seed=seeds[0], **compose_options
    )
    return run_ablation(
        plan, seeds, out=out, leaderboard=leaderboard, processes=processes, console=console
    )


def sweep(
    spec: Path | str,
    *,
    wait: bool | None = None,
    resubmit: bool = False,
    on_result: Callable[[Cell, dict[str, Any]], None] | None = None,
) -> tuple[list[Cell], SweepLaunch]:
    """Expand a sweep file into its cells and run (or submit) every cell that is not done:
    rerunning a sweep skips finished cells and resumes interrupted ones. ``wait`` (for submitted
    jobs) defaults to waiting, except for a SLURM sweep, which returns once submitted."""
    parsed = load_sweep(spec)
    cells = expand(parsed)
    if wait is None:
        wait = parsed.executor.name != "slurm"
    return cells, launch(parsed, cells, wait=wait, resubmit=resubmit, on_result=on_result)


def sweep_status(spec: Path | str) -> list[CellReport]:
    """Every cell of a sweep file and its state: done, running, submitted, failed (with the
    failure's line), pending, refused (with the reason) or a duplicate."""
    parsed = load_sweep(spec)
    return status_of(expand(parsed))


# Functions whose own signature is the API.
run = run_experiment
evaluate = evaluate_run
score = score_folders
compare = compare_runs
derain = derain_images
figure = comparison_figure
demo = run_demo
report = make_report

__all__ = [
    "CheckReport",
    "ContractReport",
    "EvaluationOptions",
    "EvaluationRecord",
    "ExperimentConfig",
    "ExperimentResult",
    "ablate",
    "attention_strip",
    "check",
    "check_plugin",
    "compare",
    "compose",
    "demo",
    "derain",
    "error_split",
    "evaluate",
    "export",
    "figure",
    "import_weights",
    "leaderboard",
    "plan_ablation",
    "report",
    "resume",
    "run",
    "run_ablation",
    "score",
    "sweep",
    "sweep_status",
    "train",
]
