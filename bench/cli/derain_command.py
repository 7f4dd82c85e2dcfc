"""``derain-bench derain``: restore image files or folders with a trained generator."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress

from derainbench.cli.app import command, console, err_console
from derainbench.cli.options import Device, TrainMode
from derainbench.errors import DataError, DerainBenchError


def collect_images(inputs: list[Path]) -> list[Path]:
    """Image files named directly or found (not recursively) in named folders, in order."""
    from derainbench.datasets.image_io import IMAGE_SUFFIXES

    found: list[Path] = []
    for item in inputs:
        if item.is_dir():
            files = sorted(p for p in item.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
            if not files:
                raise DataError(f"no images in folder {item}")
            found += files
        elif item.is_file():
            found.append(item)
        else:
            raise DataError(f"no such file or folder: {item}")
    return found


@command("derain")
def derain_command(
    checkpoint: Annotated[Path, typer.Argument(help="A run folder or a checkpoint file (.pt).")],
    inputs: Annotated[list[Path], typer.Argument(help="Image files and/or folders of images.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the restored PNGs.")] = Path(
        "derained"
    ),
    train_mode: TrainMode = False,
    device: Device = "auto",
    attention: Annotated[
        bool,
        typer.Option(
            "--attention",
            help="Also write each recurrent step's attention map as a heat-map overlay on the "
            "input: OUT/attention/NAME_step1.png ... (attentive generators only).",
        ),
    ] = False,
) -> None:
    """Restore images at their native size and write one PNG per input into --out."""
    from derainbench.contracts import ATTENTION
    from derainbench.datasets.image_io import load_rgb, save_png
    from derainbench.evaluation.attention_view import attention_overlays
    from derainbench.evaluation.evaluate import load_run_generator
    from derainbench.evaluation.restore import generator_mode, restore

    files = collect_images(inputs)
    generator, state = load_run_generator(checkpoint, device)
    if attention and ATTENTION not in generator.provides:
        raise DerainBenchError(
            f"--attention: generator '{state['config']['generator']['name']}' of this run "
            f"produces no attention maps"
        )
    target = next(generator.parameters()).device
    stems = [f.stem for f in files]
    if len(set(stems)) != len(stems):
        raise DataError("two inputs share a file name; restore them into separate --out folders")
    with (
        generator_mode(generator, "train" if train_mode else "eval"),
        Progress(console=err_console, transient=True) as progress,
    ):
        task = progress.add_task("derain", total=len(files))
        for path in files:
            rainy = load_rgb(path)[None].to(target)
            restored = restore(generator, rainy)
            save_png(restored.image[0].cpu(), out / f"{path.stem}.png")
            if attention:
                overlays = attention_overlays(rainy, restored.attention or [])
                for step, overlay in enumerate(overlays, start=1):
                    save_png(overlay[0].cpu(), out / "attention" / f"{path.stem}_step{step}.png")
            progress.advance(task)
    console.print(f"{len(files)} restored image(s) written to {out}")
