"""``derain-bench data synth`` and ``derain-bench data check``: make and inspect datasets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from derainbench.cli.app import app, console, err_console, sub_command
from derainbench.cli.options import AsJson, Device
from derainbench.errors import DataError, DerainBenchError

if TYPE_CHECKING:
    from derainbench.datasets.check import CheckReport

data_app = typer.Typer(
    help="Render the built-in SynthDrop-SK set, and check dataset folders (layout, partners, "
    "sizes, unreadable files, manifest).",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)
app.add_typer(data_app, name="data")
_LISTED = 5


def _progress(label: str) -> Progress:
    return Progress(
        TextColumn(f"[bold]{label}[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
    )


@sub_command(data_app, "synth")
def synth_command(
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Folder to write (Raindrop layout: data/, gt/, mask/)."),
    ] = None,
    preset: Annotated[
        str, typer.Option("--preset", help="Raindrops: light, medium or large.")
    ] = "medium",
    n: Annotated[int, typer.Option("--n", help="Pairs to render.")] = 64,
    size: Annotated[str, typer.Option("--size", help="Sample size, N or HxW (e.g. 480x720).")] = (
        "256"
    ),
    seed: Annotated[int, typer.Option("--seed", help="Base seed: sample i is fixed by it.")] = 0,
    split: Annotated[
        str | None,
        typer.Option(
            "--split",
            help="train, test (held-out photos) or test-seen (training photos, other samples). "
            "Default: train; the preview alternates train and test.",
        ),
    ] = None,
    streaks: Annotated[
        str, typer.Option("--streaks", help="Rain streaks under the drops: none, light, heavy.")
    ] = "none",
    backgrounds: Annotated[
        str,
        typer.Option(
            "--backgrounds",
            help="What the drops fall over: builtin (train/val: dead-leaves scenes and the "
            "training photos; test: held-out photos), photos, dead-leaves, or a folder of your "
            "own clean photos.",
        ),
    ] = "builtin",
    preview: Annotated[
        Path | None,
        typer.Option(
            "--preview",
            help="Write a contact sheet (clean | rainy | soft mask | thresholded mask) to this "
            "PNG; its last row adds streaks. Renders at --size when given as HxW, else 480x720.",
        ),
    ] = None,
    device: Device = "cpu",
) -> None:
    """Render SynthDrop-SK: raindrops on the photos shipped with scikit-image.

    Writes `--out` in the Raindrop layout (`data/{i}_rain.png`, `gt/{i}_clean.png`, soft masks in
    `mask/`, parameters in `synthdrop.json`), readable by `--train-data`/`--test-data`. The same
    seed gives the same bytes on every run.
    """
    from derainbench.datasets.synthdrop.writer import write_preview, write_synthdrop
    from derainbench.devices import resolve_device

    if out is None and preview is None:
        raise DerainBenchError("nothing to do: pass --out DIR and/or --preview FILE.png")
    torch_device = resolve_device(device)
    if out is not None:
        with _progress("render") as progress:
            task = progress.add_task("render", total=n)
            wrote = write_synthdrop(
                out,
                n,
                size,
                preset,
                seed,
                split or "train",
                streaks,
                torch_device,
                progress=lambda k: progress.advance(task, k),
                backgrounds=backgrounds,
            )
        verb = "wrote" if wrote else "already complete:"
        console.print(f"{verb} {n} SynthDrop-SK pairs ({preset}, {split or 'train'}) in {out}")
    if preview is not None:
        preview_size = size if "x" in size.lower() else "480x720"
        path = write_preview(
            preview, 6, preview_size, preset, seed, split, streaks, device=torch_device
        )
        console.print(f"preview: {path}")


@sub_command(data_app, "check")
def check_command(
    folder: Annotated[
        Path, typer.Argument(help="Dataset folder (a split, or a root such as Raindrop's).")
    ],
    write_manifest: Annotated[
        bool,
        typer.Option("--write-manifest", help="Write FOLDER/manifest.json (files + SHA-256)."),
    ] = False,
    verify_manifest: Annotated[
        bool,
        typer.Option("--verify-manifest", help="Fail if files differ from FOLDER/manifest.json."),
    ] = False,
    as_json: AsJson = False,
) -> None:
    """Report the layout found, pair counts, missing partners, size mismatches, unreadable files.

    Exits with status 2 when a partner is missing, a file cannot be read, or the manifest does
    not match.
    """
    from derainbench.datasets import check, manifest

    if write_manifest and verify_manifest:
        raise DerainBenchError("choose one of --write-manifest and --verify-manifest")
    with _progress("check") as progress:
        task = progress.add_task("check", total=check.count_files(folder) if folder.exists() else 0)
        report = check.check_dataset(folder, progress=lambda k: progress.advance(task, k))
    result = report.as_dict()
    verified = None
    if write_manifest:
        result["manifest"] = str(manifest.write_manifest(folder))
    if verify_manifest:
        verified = manifest.verify_manifest(folder)
        result["manifest_check"] = {"ok": verified.ok, **verified.__dict__}
    if as_json:
        console.print_json(json.dumps(result))
    else:
        _print_report(report)
        if write_manifest:
            console.print(f"manifest written: {result['manifest']}")
        if verified is not None and verified.ok:
            console.print(f"manifest verified: {folder / manifest.MANIFEST_NAME}")
    if verified is not None and not verified.ok:
        raise DataError(f"{folder} does not match its manifest: {verified.summary()}")
    if not report.ok:
        raise DataError(report.problems())  # each part names its folder


def _print_report(report: CheckReport) -> None:
    for split in report.splits:
        if split.error:
            console.print(f"[bold]{split.path}[/]: [red]{split.error}[/]", highlight=False)
            continue
        console.print(f"[bold]{split.path}[/]: {split.title}: {split.pairs} pairs", highlight=False)
        for label, items in (
            ("missing partners", split.missing),
            ("unreadable files", split.unreadable),
            ("size mismatches (cropped top-left when loaded)", split.size_mismatches),
            ("clean images without a rainy partner (ignored)", split.unused),
        ):
            if items:
                shown = ", ".join(items[:_LISTED]) + (", ..." if len(items) > _LISTED else "")
                console.print(f"  {len(items)} {label}: {shown}", highlight=False)
