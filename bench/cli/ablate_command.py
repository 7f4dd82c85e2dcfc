"""``derain-bench ablate``: a one-factor-at-a-time ablation of a recipe, trained and tabulated."""

from __future__ import annotations

import datetime as dt
import json
import secrets
from pathlib import Path
from typing import Annotated

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
    RecipeName,
    Steps,
    TestData,
    TrainData,
)
from derainbench.errors import DerainBenchError
from derainbench.reporting.leaderboard import default_path


def parse_seeds(text: str) -> list[int]:
    """'0,1,2' → [0, 1, 2]; seeds must be distinct integers."""
    try:
        seeds = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise DerainBenchError(
            f"--seeds must be integers separated by commas (got '{text}')"
        ) from None
    if not seeds or len(set(seeds)) != len(seeds):
        raise DerainBenchError(f"--seeds must name distinct integers (got '{text}')")
    return seeds


@command("ablate")
def ablate_command(
    recipe: RecipeName = "attentive-gan",
    design: Annotated[
        str | None,
        typer.Option(
            "--design",
            help="Named design: default (every component + 1-4 steps), components, steps, none. "
            "Default: 'default', or 'none' when --factor is given.",
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
) -> None:
    """Train every variant of a one-factor-at-a-time design with the same budget and seeds.

    Each variant is the full model with one change; loss terms whose needs a change removes are
    dropped (and the table says so). Every run is evaluated and appends a leaderboard row tagged
    `ablation = ID/VARIANT`; the table gives each variant's PSNR and SSIM and their differences
    to the full model, paired by seed (mean ± 95 % t-interval with several seeds).
    """
    from derainbench.cli.train_command import build_config
    from derainbench.experiments.ablation import FULL, design_variants, plan
    from derainbench.experiments.ablation_runner import (
        AblationRun,
        run_variants,
        summarise,
        summary_table,
    )
    from derainbench.training.components import build_components, build_dataset

    seed_list = parse_seeds(seeds)
    base = build_config(
        recipe, train_data=train_data, test_data=test_data, steps=steps, batch_size=batch_size,
        crop=crop, seed=seed_list[0], device=device, overrides=overrides, drop_terms=drop_terms,
    )  # fmt: skip
    if "test" not in base["data"]:
        raise DerainBenchError("no test data: pass --test-data (the recipe names none)")
    train_set = build_dataset(base["data"]["train"], base["train"]["crop"], base["train"]["flip"])
    provides = frozenset(getattr(train_set, "provides", frozenset()))
    build_components(base, provides)  # the full model must be valid: it is every reference
    variants = design_variants(design, factors or [], base)
    if only:
        wanted = {name.strip() for name in only.split(",")} | {FULL}
        unknown = sorted(wanted - {v.name for v in variants})
        if unknown:
            known = ", ".join(v.name for v in variants)
            raise DerainBenchError(f"--only: no variant {', '.join(unknown)}; variants: {known}")
        variants = [v for v in variants if v.name in wanted]
    planned = plan(base, variants, provides)
    if dry_run:
        _print_plan(planned, as_json)
        return

    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    ablation_id = f"{base['recipe']['name']}-{stamp}-{secrets.token_hex(2)}"
    ablation = AblationRun(
        ablation_id, out / ablation_id, seed_list, leaderboard or default_path(), device
    )
    runs = run_variants(planned, ablation, err_console)
    summary = summarise(planned, runs)
    ablation.root.mkdir(parents=True, exist_ok=True)
    runs.to_csv(ablation.root / "runs.csv", index=False)
    summary.to_csv(ablation.root / "ablation.csv", index=False)
    if as_json:
        console.print_json(summary.to_json(orient="records"))
        return
    title = f"ablation {ablation_id}: {len(seed_list)} seed(s), {base['train']['steps']} steps"
    console.print(summary_table(summary, title))
    console.print(f"table: {ablation.root / 'ablation.csv'}; leaderboard: {ablation.leaderboard}")


def _print_plan(planned: list, as_json: bool) -> None:
    records = [
        {
            "variant": p.name,
            "description": p.variant.description,
            "status": "impossible" if p.error else (f"= {p.same_as}" if p.same_as else "trains"),
            "notes": p.error or "; ".join(p.notes),
            "terms": [t["name"] for t in p.config["terms"]] if p.config else [],
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
