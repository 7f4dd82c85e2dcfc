"""``derain-bench profile``: training and inference speed and memory, beside the original code."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from derainbench.cli.app import command, console, err_console
from derainbench.cli.options import (
    AsJson,
    DiscriminatorName,
    DropTerms,
    GeneratorName,
    ObjectiveName,
    Overrides,
    RecipeName,
)


@command("profile")
def profile_command(
    recipe: RecipeName = None,
    generator: GeneratorName = None,
    discriminator: DiscriminatorName = None,
    objective: ObjectiveName = None,
    overrides: Overrides = None,
    drop_terms: DropTerms = None,
    size: Annotated[int, typer.Option("--size", help="Side of the square images, px.")] = 128,
    batch: Annotated[int, typer.Option("--batch", "-b", help="Images per step.")] = 1,
    device: Annotated[
        str, typer.Option("--device", help="auto (a CUDA GPU if there is one), cpu, cuda:N.")
    ] = "auto",
    precision: Annotated[
        str,
        typer.Option(
            "--precision", help="auto (bf16 where native, else fp32), fp32, bf16 or fp16."
        ),
    ] = "auto",
    channels_last: Annotated[
        bool | None,
        typer.Option(
            "--channels-last/--no-channels-last",
            help="Channels-last memory layout (default: the run setting, on for CUDA).",
        ),
    ] = None,
    compile_: Annotated[
        bool, typer.Option("--compile", help="torch.compile the networks (slow to start).")
    ] = False,
    modes: Annotated[
        list[str] | None, typer.Option("--mode", help="train and/or infer (default: both).")
    ] = None,
    repeats: Annotated[int, typer.Option("--repeats", help="Timed rounds (the median).")] = 5,
    warmup: Annotated[int, typer.Option("--warmup", help="Untimed calls first.")] = 1,
    threads: Annotated[
        int | None, typer.Option("--threads", help="CPU threads for torch (default: torch's).")
    ] = None,
    original: Annotated[
        bool, typer.Option("--original/--no-original", help="Time the original code beside.")
    ] = True,
    csv: Annotated[
        Path | None,
        typer.Option("--csv", help="Add the records to this CSV (default: results/profile.csv)."),
    ] = None,
    no_csv: Annotated[bool, typer.Option("--no-csv", help="Write no CSV.")] = False,
    as_json: AsJson = False,
) -> None:
    """Images per second of the full GAN step (every discriminator update and the generator
    update) and of inference, and peak memory, beside the original networks' eager float32
    code at the same configuration, timed side by side in this process.

    The recipe's own networks and losses at --size and --batch, in the chosen precision and
    layout; SynthDrop's renders per second at that size too. Records go to
    results/profile.csv (one per configuration and machine, the latest kept).
    """
    import torch

    import derainbench as db
    from derainbench.benchmarks.profile import DEFAULT_CSV, write_records

    if threads is not None:
        torch.set_num_threads(threads)
    settings = [f"run.precision={precision}", f"run.compile={'true' if compile_ else 'false'}"]
    if channels_last is not None:
        settings.append(f"run.channels_last={'true' if channels_last else 'false'}")
    config = db.compose(
        recipe or "pix2pix", generator=generator, discriminator=discriminator, objective=objective,
        train_data="toyrain-sk:train", overrides=[*(overrides or []), *settings],
        drop_terms=drop_terms or [], crop=size,
    )  # fmt: skip
    records = db.profile(
        config, size=size, batch=batch, device=device, repeats=repeats, warmup=warmup,
        modes=modes or ["train", "infer"], original=original, console=err_console,
    )  # fmt: skip
    path = None if no_csv else write_records(records, csv or DEFAULT_CSV)
    if as_json:
        console.print_json(json.dumps(records))
        return
    table = Table(title=f"profile: {records[0]['recipe']} at {size}×{size}, batch {batch}")
    for column in ("mode", "precision", "images/s", "original images/s", "speedup",
                   "added MiB", "original added MiB"):  # fmt: skip
        table.add_column(column, justify="right" if column != "mode" else "left")
    for r in records:
        table.add_row(
            r["mode"], r["precision"], f"{r['images_per_second']:.3f}",
            f"{r['original_images_per_second']:.3f}", f"{r['speedup']:.2f}×",
            f"{r['peak_memory_mb']:.0f}", f"{r['original_peak_memory_mb']:.0f}",
        )  # fmt: skip
    console.print(table)
    console.print(
        f"SynthDrop renders {records[0]['renders_per_second']:.1f}/s at {size} px; "
        f"{records[0]['notes'] or 'no notes'}" + (f"; records in {path}" if path else ""),
        highlight=False,
    )
