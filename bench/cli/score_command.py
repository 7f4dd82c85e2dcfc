"""``derain-bench score``: score restored images made by any method against the ground truth."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from derainbench.cli.app import command, console
from derainbench.cli.options import AsJson


@command("score")
def score_command(
    predictions: Annotated[Path, typer.Argument(help="Folder of restored images.")],
    ground_truth: Annotated[Path, typer.Argument(help="Folder of clean targets.")],
    protocol: Annotated[
        list[str] | None,
        typer.Option("--protocol", help="Metric protocol; repeat for several (default y-matlab)."),
    ] = None,
    csv: Annotated[
        Path | None, typer.Option("--csv", help="Write the per-image values to this CSV.")
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Score images restored elsewhere against the ground truth, pairing files by name.

    Names pair by stem, ignoring Raindrop's _rain/_clean and Rain100's rain-/norain- parts.
    Images are rounded to 8 bits as saved PNGs would be and never resized.
    """
    import derainbench as db

    protocols = protocol or ["y-matlab"]
    scores = db.score(predictions, ground_truth, protocols)
    if csv is not None:
        scores.write_csv(csv)
    if as_json:
        records = json.loads(scores.per_image.to_json(orient="records"))
        console.print_json(
            json.dumps({"protocols": protocols, "n_images": len(records), "means": scores.means,
                        "per_image": records})
        )  # fmt: skip
        return
    means = "  ".join(f"{k} {v:.4f}" for k, v in scores.means.items())
    console.print(f"{len(scores.per_image)} images ({', '.join(protocols)}): {means}")
    if csv is not None:
        console.print(f"per-image values: {csv}")
