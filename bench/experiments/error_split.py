"""``derain-bench errors``: where each run's test error lies, on the rain or on the clear pixels."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from rich.console import Console
from rich.progress import Progress

from derainbench.datasets.masks import MAX_THRESHOLD
from derainbench.errors import DerainBenchError
from derainbench.evaluation.error_split import ErrorTally
from derainbench.evaluation.restore import generator_mode, restore
from derainbench.experiments.run_set import run_labels, shared_test_spec
from derainbench.training.components import build_test_set
from derainbench.training.trained import load_run_generator, read_run

INPUT_LABEL = "rainy input"


def error_split(
    runs: Sequence[Path | str],
    *,
    checkpoint: str = "last",
    test_data: str | dict[str, Any] | None = None,
    threshold: float = MAX_THRESHOLD,
    device: str = "auto",
    console: Console | None = None,
) -> pd.DataFrame:
    """One row per run, and a first row for the untouched rainy input, of
    :meth:`ErrorTally.summary` over the test set (the runs' own, which must be one set, or
    ``test_data``), each run's generator in its recipe's evaluation mode."""
    if not runs:
        raise DerainBenchError("errors needs at least one run folder")
    if not 0.0 <= threshold < 1.0:
        raise DerainBenchError(f"the rain threshold must be in [0, 255) grey levels (got "
                               f"{threshold * 255:g})")  # fmt: skip
    trained = [read_run(run, checkpoint) for run in runs]
    test_set = build_test_set(trained[0].config, shared_test_spec(trained, test_data))
    pairs = [test_set.load_pair(index) for index in range(len(test_set))]
    if not pairs:
        raise DerainBenchError("the test set is empty")
    untouched = ErrorTally()
    for rainy, clean in pairs:
        untouched.add(rainy, rainy, clean, threshold)
    rows = [{"run": INPUT_LABEL, **untouched.summary()}]
    with Progress(console=console or Console(stderr=True), transient=True) as progress:
        task = progress.add_task("restore", total=len(trained) * len(pairs))
        for label, run in zip(run_labels(trained), trained, strict=True):
            generator = load_run_generator(run, device)
            target = next(generator.parameters()).device
            tally = ErrorTally()
            with generator_mode(generator, run.config.eval.generator_mode):
                for rainy, clean in pairs:
                    restored = restore(generator, rainy[None].to(target)).image[0].cpu()
                    tally.add(rainy, restored, clean, threshold)
                    progress.advance(task)
            rows.append({"run": label, "run_dir": str(run.run.root), **tally.summary()})
    return pd.DataFrame(rows)
