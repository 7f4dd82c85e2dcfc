"""``derain-bench report``: one HTML page from a leaderboard, a sweep or a list of runs."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path

from derainbench.errors import DerainBenchError
from derainbench.evaluation.baselines import RAINY_INPUT
from derainbench.experiments.figure import comparison_figure
from derainbench.experiments.sweep.spec import expand, load_sweep
from derainbench.experiments.sweep.status import sweep_status
from derainbench.reporting.curves import plot_validation_curves, read_validation_curves
from derainbench.reporting.html_report import ReportSection, write_report
from derainbench.reporting.leaderboard import default_path, read_leaderboard
from derainbench.reporting.plots import plot_quality_vs_cost
from derainbench.reporting.views import (
    aggregate_seeds,
    leaderboard_view,
    with_rainy_input,
    with_weights,
)
from derainbench.training.runfolder import RunFolder
from derainbench.training.trained import stored_configuration

#: Columns of the qualitative figure at most (one per configuration, first seed).
FIGURE_RUNS = 6


def _sweep_runs(spec_path: Path | str) -> tuple[list[Path], Path | None]:
    """A sweep's finished run folders and its leaderboard."""
    spec = load_sweep(spec_path)
    done = [Path(r.run_dir) for r in sweep_status(expand(spec)) if r.status == "done"]
    if not done:
        raise DerainBenchError(f"sweep {spec_path} has no finished cell to report on")
    return done, spec.leaderboard


def _first_seed_per_configuration(runs: Sequence[Path]) -> list[Path]:
    chosen: dict[str, Path] = {}
    for run in runs:
        chosen.setdefault(stored_configuration(run).hash, run)
    return list(chosen.values())[:FIGURE_RUNS]


def make_report(
    out: Path | str,
    *,
    runs: Sequence[Path | str] = (),
    leaderboard: Path | str | None = None,
    sweep: Path | str | None = None,
    where: Sequence[str] = (),
    checkpoint: str | None = None,
    images: int = 3,
    device: str = "auto",
) -> Path:
    """Write one self-contained HTML page: the leaderboard's configurations (with the rainy
    input), quality against cost, the runs' validation curves, the qualitative figure and each
    run's configuration. ``runs`` (or a ``sweep``'s finished cells) narrow the tables to those
    runs; ``checkpoint`` (last, best or ema) to those weights."""
    out = Path(out)
    if out.suffix.lower() not in (".html", ".htm"):
        raise DerainBenchError(f"--out {out}: the report is written as an .html file")
    run_dirs = [Path(r) for r in runs]
    for run in run_dirs:
        if not RunFolder(run).config_path.is_file():
            raise DerainBenchError(f"{run} is not a run folder (no config.toml)")
    if sweep is not None:
        swept, sweep_board = _sweep_runs(sweep)
        run_dirs += swept
        leaderboard = leaderboard or sweep_board
    board = Path(leaderboard) if leaderboard is not None else default_path()
    frame = with_weights(read_leaderboard(board))
    if run_dirs:
        names = {RAINY_INPUT, *(run.name for run in run_dirs)}
        frame = frame[frame["run_id"].astype(str).isin(names)]
    where = [*where, *([f"weights={checkpoint}"] if checkpoint else [])]
    table = leaderboard_view(frame, "configs", where)
    if table.empty:
        raise DerainBenchError(f"no leaderboard rows in {board} for these runs and filters")
    # Columns with one value in every row say what the whole table is about: a line, not a
    # column (a long test-set path would otherwise squeeze the scores).
    shared = [c for c in ("test_data", "protocol", "g_mode", "weights")
              if c in table and table[c].astype(str).replace("", None).nunique() == 1]  # fmt: skip
    about = "; ".join(f"{c}: {table[c].astype(str).replace('', None).dropna().iloc[0]}"
                      for c in shared)  # fmt: skip
    shown = table.drop(columns=shared)
    shown.attrs = table.attrs
    sections = [ReportSection(
        "Leaderboard",
        note=f"{board} ({about}): configurations with mean ± 95 % CI over seeds; the shaded "
             "row is the untouched rainy input, psnr_vs_input the margin to it; the best model "
             "per score in bold.",
        table=shown,
    )]  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="derainbench-report-") as scratch:
        work = Path(scratch)
        configs = aggregate_seeds(with_rainy_input(frame, where))
        try:
            sections.append(ReportSection(
                "Quality against cost", note="dashed: the rainy input",
                image=plot_quality_vs_cost(configs, work / "cost.png"),
            ))  # fmt: skip
        except DerainBenchError as error:  # no cost columns (rows scored with --no-costs)
            sections.append(ReportSection("Quality against cost", note=str(error)))
        if run_dirs:
            sections += _run_sections(run_dirs, work, checkpoint, images, device)
        return write_report(f"derainbench report: {board.name}", sections, out)


def _run_sections(
    runs: list[Path], work: Path, checkpoint: str | None, images: int, device: str
) -> list[ReportSection]:
    sections = []
    labelled = []
    for run in runs:
        config = stored_configuration(run)
        labels = {"recipe": config.recipe.name, "variant": config.hash[:8],
                  "seed": config.train.seed,
                  "adversarial_start": config.train.adversarial_start}  # fmt: skip
        labelled.append((labels, run))
    curves = read_validation_curves(labelled)
    if not curves.empty:
        weights = checkpoint if checkpoint == "ema" and "ema_psnr" in curves else ""
        sections.append(ReportSection(
            "Validation during training",
            note="validation PSNR against steps per configuration (thin: seeds, thick: mean); "
                 "dashed: the rainy input; dotted: the start of the adversarial game",
            image=plot_validation_curves(curves, work / "curves.png", line="variant",
                                         weights=weights),
        ))  # fmt: skip
    try:
        figure = comparison_figure(_first_seed_per_configuration(runs), work / "figure.png",
                                   images=images, checkpoint=checkpoint or "last",
                                   device=device)  # fmt: skip
        sections.append(ReportSection(
            "Qualitative comparison",
            note="the same test images restored by the first seed of each configuration; PSNR "
                 "per image, the best in bold; the boxed region is zoomed in every panel",
            image=figure,
        ))  # fmt: skip
    except DerainBenchError as error:  # e.g. runs on different test sets
        sections.append(ReportSection("Qualitative comparison", note=str(error)))
    sections.append(ReportSection(
        "Configurations",
        note="each run's resolved configuration (config.toml)",
        blocks=[(run.name, RunFolder(run).config_path.read_text(encoding="utf-8"))
                for run in runs],
    ))  # fmt: skip
    return sections
