"""The one experiment runner: compose → train → evaluate → record.

``train``, ``demo``, ``ablate`` (and sweeps) call :func:`run_experiment`; ``eval`` calls
:func:`evaluate_run`. Nothing else writes a leaderboard row.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console

from derainbench.config import ComponentSpec, ExperimentConfig
from derainbench.datasets.base import PairedDataset
from derainbench.datasets.build import dataset_label
from derainbench.evaluation.baselines import InputAsOutput
from derainbench.evaluation.evaluate import (
    Evaluation,
    EvaluationOptions,
    device_of,
    score_test_set,
)
from derainbench.experiments.compose import data_spec
from derainbench.experiments.record import input_row, input_row_key, leaderboard_row, row_identity
from derainbench.reporting.leaderboard import append_row, default_path, read_leaderboard
from derainbench.training.components import build_test_set
from derainbench.training.loop import TrainResult, train
from derainbench.training.runfolder import default_run_id
from derainbench.training.trained import TrainedRun, load_run_generator, read_run


@dataclass
class EvaluationRecord:
    """One evaluation of a run: per-image values and means, its row, and where they went."""

    evaluation: Evaluation
    row: dict[str, Any]
    per_image_csv: Path
    leaderboard: Path | None

    @property
    def means(self) -> dict[str, float]:
        return self.evaluation.means


@dataclass
class ExperimentResult:
    """A trained run and, when it was evaluated, its evaluation."""

    training: TrainResult
    evaluation: EvaluationRecord | None

    @property
    def run_dir(self) -> Path:
        return self.training.run.root


def _board(leaderboard: Path | str | None, record: bool) -> Path | None:
    if not record:
        return None
    return Path(leaderboard) if leaderboard is not None else default_path()


def _already_recorded(board: Path, row: dict[str, Any]) -> bool:
    if not board.is_file():
        return False
    frame = read_leaderboard(board)
    return "row_key" in frame and bool((frame["row_key"].astype(str) == row["row_key"]).any())


def evaluate_run(
    run: Path | str | TrainedRun,
    *,
    checkpoint: str = "last",
    test_data: str | dict[str, Any] | None = None,
    protocol: str | None = None,
    mode: str | None = None,
    device: str = "auto",
    leaderboard: Path | str | None = None,
    record: bool = True,
    options: EvaluationOptions | None = None,
    skip_if_recorded: bool = False,
    console: Console | None = None,
) -> EvaluationRecord:
    """Evaluate a run's generator (``checkpoint``: last, best or ema) on full-size test images
    (the run's test data unless ``test_data``), write its per-image CSV into the run folder,
    and append one row to the leaderboard (default: $DERAINBENCH_LEADERBOARD or
    results/leaderboard.csv), and once per test set and protocol the rainy input's row, unless
    ``record`` is False or, with ``skip_if_recorded``, an identical row is already there."""
    trained = run if isinstance(run, TrainedRun) else read_run(run, checkpoint)
    config = trained.config
    spec = None
    if test_data is not None:
        table = data_spec(test_data)
        spec = ComponentSpec(name=table.pop("name"), options=table)
    test_spec = spec or config.data.test
    test_set = build_test_set(config, spec)
    protocol = protocol or config.eval.protocol
    mode = mode or config.eval.generator_mode
    options = options or EvaluationOptions()
    generator = load_run_generator(trained, device)
    evaluation, cells = score_test_set(generator, test_set, protocol, mode, options, console)

    assert test_spec is not None  # build_test_set refused a missing one
    label = dataset_label(test_spec.name, test_spec.options)
    identity = row_identity(trained, evaluation, label, protocol, mode, options)
    per_image_csv = trained.run.per_image_csv(
        label, protocol, mode, trained.which, evaluation.test_set_id
    )
    trained.run.write_evaluation(per_image_csv, evaluation.per_image, identity)

    row = leaderboard_row(
        trained, evaluation, test_set, identity, device_of(generator), cells, options.columns
    )
    board = _board(leaderboard, record)
    if board is not None and skip_if_recorded and _already_recorded(board, row):
        board = None
    if board is not None:
        append_row(board, row)  # replaces a row of the same measurement
        _record_rainy_input(board, test_set, label, protocol, options, evaluation, console)
    return EvaluationRecord(evaluation, row, per_image_csv, board)


def _record_rainy_input(
    board: Path,
    test_set: PairedDataset,
    label: str,
    protocol: str,
    options: EvaluationOptions,
    scored: Evaluation,
    console: Console | None,
) -> None:
    """Score the untouched rainy input on this test set and protocol, once per leaderboard:
    every view shows it beside the models (doing nothing is the first baseline)."""
    key = input_row_key(scored.test_set_id, protocol, options)
    if _already_recorded(board, {"row_key": key}):
        return
    plain = dataclasses.replace(options, costs=False, columns={})
    evaluation, cells = score_test_set(InputAsOutput(), test_set, protocol, "eval", plain, console)
    append_row(board, input_row(evaluation, test_set, label, protocol, key, cells))


def run_experiment(
    config: ExperimentConfig,
    *,
    run_dir: Path | str | None = None,
    runs_root: Path | str = "runs",
    resume: bool = False,
    evaluate: bool = True,
    leaderboard: Path | str | None = None,
    record: bool = True,
    options: EvaluationOptions | None = None,
    skip_if_recorded: bool = False,
    checkpoint: str = "last",
    console: Console | None = None,
) -> ExperimentResult:
    """Train ``config`` into ``run_dir`` (default: RUNS_ROOT/<run id>), then, when it names
    test data and ``evaluate`` is set, evaluate its ``checkpoint`` (last, best or ema) and
    record the row. With ``resume``, an interrupted run continues from its checkpoint and a
    finished one is reused as it is."""
    folder = Path(run_dir) if run_dir is not None else Path(runs_root) / default_run_id(config)
    training = train(config, folder, resume=resume, console=console)
    evaluation = None
    # Under torchrun the other processes are done: rank 0 alone evaluates and records.
    if evaluate and training.main and training.config.data.test is not None:
        evaluation = evaluate_run(
            folder,
            checkpoint=checkpoint,
            device=training.config.run.device,
            leaderboard=leaderboard,
            record=record,
            options=options,
            skip_if_recorded=skip_if_recorded,
            console=console,
        )
    return ExperimentResult(training, evaluation)
