"""Restore image files with a trained run's generator (``derain-bench derain``)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.progress import Progress

from derainbench.contracts import ATTENTION
from derainbench.datasets.image_io import IMAGE_SUFFIXES, load_rgb, save_png
from derainbench.errors import DataError, DerainBenchError
from derainbench.evaluation.attention_view import attention_overlays
from derainbench.evaluation.restore import generator_mode, restore
from derainbench.training.trained import load_run_generator, read_run


def collect_images(inputs: Sequence[Path]) -> list[Path]:
    """Image files named directly or found (not recursively) in named folders, in order."""
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


def derain_images(
    run: Path | str,
    inputs: Sequence[Path | str],
    out: Path | str = "derained",
    *,
    checkpoint: str = "last",
    mode: str = "eval",
    device: str = "auto",
    attention: bool = False,
    console: Console | None = None,
) -> list[Path]:
    """Restore every input image at its native size into ``out/NAME.png`` (and, with
    ``attention``, each step's attention map as a heat-map overlay); the written files."""
    files = collect_images([Path(p) for p in inputs])
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise DataError(f"--out {out} is a file; name a folder for the restored images")
    blocking = next((p for p in out.parents if p.exists() and not p.is_dir()), None)
    if blocking is not None:
        raise DataError(f"--out {out}: {blocking} is a file, not a folder")
    trained = read_run(run, checkpoint)
    generator = load_run_generator(trained, device)
    if attention and ATTENTION not in generator.provides:
        raise DerainBenchError(
            f"--attention: generator '{trained.config.generator.name}' of this run "
            f"produces no attention maps"
        )
    target = next(generator.parameters()).device
    stems = [f.stem for f in files]
    if len(set(stems)) != len(stems):
        raise DataError("two inputs share a file name; restore them into separate --out folders")
    written = []
    with (
        generator_mode(generator, mode),
        Progress(console=console or Console(stderr=True), transient=True) as progress,
    ):
        task = progress.add_task("derain", total=len(files))
        for path in files:
            rainy = load_rgb(path)[None].to(target)
            restored = restore(generator, rainy)
            written.append(out / f"{path.stem}.png")
            save_png(restored.image[0].cpu(), written[-1])
            if attention:
                overlays = attention_overlays(rainy, restored.attention or [])
                for step, overlay in enumerate(overlays, start=1):
                    save_png(overlay[0].cpu(), out / "attention" / f"{path.stem}_step{step}.png")
            progress.advance(task)
    return written
