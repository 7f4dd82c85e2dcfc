"""``derain-bench compare``: is B better than A on the same test images, beyond noise?"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Annotated

import typer

from derainbench.cli.app import command, console
from derainbench.cli.options import AsJson, Checkpoint


@command("compare")
def compare_command(
    a: Annotated[Path, typer.Argument(help="Run folder (or per-image CSV) A, the baseline.")],
    b: Annotated[Path, typer.Argument(help="Run folder (or per-image CSV) B.")],
    metric: Annotated[
        str, typer.Option("--metric", help="Score column (`derain-bench list scores`).")
    ] = "psnr",
    protocol: Annotated[str, typer.Option("--protocol", help="Metric protocol.")] = "y-matlab",
    test: Annotated[
        str | None, typer.Option("--test", help="Test set label, if a run has several.")
    ] = None,
    checkpoint: Checkpoint = "last",
    method: Annotated[
        str, typer.Option("--method", help="bootstrap (paired, 10,000 resamples) or wilcoxon.")
    ] = "bootstrap",
    as_json: AsJson = False,
) -> None:
    """Paired test of B − A over the same test images, with a 95 % interval.

    Reads the per-image CSVs that `derain-bench eval` wrote in each run folder.
    """
    import derainbench as db

    result = db.compare(
        a, b, metric=metric, protocol=protocol, test=test, method=method, checkpoint=checkpoint
    )
    if as_json:
        console.print_json(json.dumps({"a": str(a), "b": str(b), **dataclasses.asdict(result)}))
        return
    from derainbench.metrics.scores import get_score

    better = get_score(metric).direction
    console.print(
        f"{metric} ({protocol}, {result.n_images} images, {better}): A {result.mean_a:.4f}, "
        f"B {result.mean_b:.4f}\nB − A = {result.difference:+.4f}  95 % CI "
        f"[{result.low:+.4f}, {result.high:+.4f}]  p = {result.p_value:.4g} ({result.method}); "
        f"B better on {result.b_better} of {result.n_images} images"
    )
