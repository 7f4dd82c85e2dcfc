"""``derain-bench ablate``: a one-factor-at-a-time ablation of a recipe, trained and tabulated."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.table import Table

from derainbench.cli.app import command, console, err_console
from derainbench.cli.options import (
    BatchSize,
    Crop,
    Device,
    DropTerms,
    LeaderboardPath,
    Overrides,
    Steps,
    TestData,
    TrainData,
    ValFraction,
    ValidationData,
)


@command("ablate")
def ablate_command(
    recipe: Annotated[
        str | None,
        typer.Option(
            "--recipe", "-r", help="Shipped recipe name or a TOML file (default: attentive-gan)."
        ),
    ] = None,
    design: Annotated[
        str | None,
        typer.Option(
            "--design",
            help="A design the recipe declares in its [ablation] table (`derain-bench info "
            "RECIPE` lists them; 'none' is the full model alone). Default: the recipe's default "
            "design, or 'none' when --factor is given.",
        ),
    ] = None,
    factors: Annotated[
        list[str] | None,
        typer.Option(
            "--factor",
            "-f",
            help="KEY=V1,V2: one variant per value, e.g. recurrent_steps=1,2,3 or "
            "discriminator.attention_map=false. Repeatable.",
        ),
    ] = None,
    only: Annotated[
        str | None,
        typer.Option("--only", help="Run only these variants (comma-separated; 'full' always)."),
    ] = None,
    seeds: Annotated[
        str, typer.Option("--seeds", help="Seeds, comma-separated; every variant runs each.")
    ] = "0",
    steps: Steps = None,
    batch_size: BatchSize = None,
    crop: Crop = None,
    train_data: TrainData = None,
    test_data: TestData = None,
    validation_data: ValidationData = None,
    val_fraction: ValFraction = None,
    overrides: Overrides = None,
    drop_terms: DropTerms = None,
    out: Annotated[Path, typer.Option("--out", help="Parent folder of ablation folders.")] = Path(
        "runs"
    )
    / "ablations",
    leaderboard: LeaderboardPath = None,
    device: Device = "auto",
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the variants and their changes, train none.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the table as JSON.")] = False,
    processes: Annotated[
        int,
        typer.Option(
            "--processes",
            min=1,
            help="Runs (variant × seed) trained side by side, each in its own process (one per "
            "GPU, or sharing the CPU's cores).",
        ),
    ] = 1,
) -> None:
    """Train every variant of a one-factor-at-a-time design with the same budget and seeds.

    Each variant is the full model with one change, as the recipe's [ablation] table declares;
    loss terms whose needs a change removes are dropped (and the table says so). Every run is
    evaluated and appends a leaderboard row tagged `ablation = ID/VARIANT`; the table gives each
    variant's PSNR and SSIM and their differences to the full model, paired by seed (mean ± 95 %
    t-interval with several seeds). The ablation's folder follows from what it trains:
    rerunning it skips finished runs and resumes interrupted ones.
    """
    import derainbench as db
    from derainbench.experiments.ablation_study import parse_seeds

    seed_list = parse_seeds(seeds)
    ablation = db.plan_ablation(
        recipe or "attentive-gan", design=design, factors=factors or [],
        only=[n for n in (only or "").split(",") if n.strip()], seed=seed_list[0],
        train_data=train_data, test_data=test_data, validation_data=validation_data,
        val_fraction=val_fraction, steps=steps, batch_size=batch_size,
        crop=crop, device=device, overrides=overrides or [], drop_terms=drop_terms or [],
    )  # fmt: skip
    if dry_run:
        _print_plan(ablation.variants, as_json)
        return
    result = db.run_ablation(
        ablation, seed_list, out=out, leaderboard=leaderboard, processes=processes,
        console=err_console,
    )  # fmt: skip
    if as_json:
        console.print_json(result.summary.to_json(orient="records"))
        return
    title = (
        f"ablation {result.ablation_id}: {len(seed_list)} seed(s), "
        f"{ablation.base.train.steps} steps"
    )
    console.print(summary_table(result.summary, title))
    console.print(f"table: {result.root / 'ablation.csv'}; leaderboard: {result.leaderboard}")


def _cell(mean: Any, half_width: Any, digits: int, signed: bool) -> str:
    if mean is None or (isinstance(mean, float) and math.isnan(mean)):
        return "—"
    text = f"{mean:+.{digits}f}" if signed else f"{mean:.{digits}f}"
    if half_width is not None and not math.isnan(half_width):
        text += f" ± {half_width:.{digits}f}"
    return text


def summary_table(summary: pd.DataFrame, title: str) -> Table:
    """Absolute scores and their differences to the full model, at each score's digits."""
    from derainbench.experiments.ablation_study import SCORES
    from derainbench.metrics.scores import get_score

    scores = [get_score(name) for name in SCORES]
    table = Table(title=title, title_justify="left")
    table.add_column("variant", style="bold")
    for score in scores:
        table.add_column(score.name.upper(), justify="right")
    for score in scores:
        table.add_column(f"Δ {score.name.upper()} vs full", justify="right")
    table.add_column("seeds", justify="right")
    table.add_column("status / notes")
    for row in summary.to_dict("records"):
        cells = [row["variant"]]
        for score in scores:
            mean, half = row.get(f"{score.name}_mean"), row.get(f"{score.name}_ci95")
            cells.append(_cell(mean, half, score.digits, False))
        for score in scores:
            mean, half = row.get(f"delta_{score.name}_mean"), row.get(f"delta_{score.name}_ci95")
            cells.append(_cell(mean, half, score.digits, True))
        n = row.get("n_seeds")
        cells.append("" if n is None or (isinstance(n, float) and math.isnan(n)) else str(int(n)))
        cells.append(row["status"] + (f": {row['notes']}" if row.get("notes") else ""))
        table.add_row(*cells)
    return table


def _print_plan(planned: list, as_json: bool) -> None:
    records = [
        {
            "variant": p.name,
            "description": p.variant.description,
            "status": "impossible" if p.error else (f"= {p.same_as}" if p.same_as else "trains"),
            "notes": p.error or "; ".join(p.notes),
            "terms": [t.name for t in p.config.terms] if p.config else [],
        }
        for p in planned
    ]
    if as_json:
        console.print_json(json.dumps(records))
        return
    columns = ("variant", "description", "status", "terms", "notes")
    table = Table(title="ablation design (dry run)", title_justify="left")
    for column in columns:
        table.add_column(column)
    for record in records:
        table.add_row(*(", ".join(record[c]) if c == "terms" else record[c] for c in columns))
    console.print(table)
