"""Several trained runs seen together: a short label for each, and the test set they share."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from derainbench.config import ComponentSpec
from derainbench.datasets.build import dataset_label
from derainbench.errors import DerainBenchError
from derainbench.experiments.compose import data_spec
from derainbench.training.trained import TrainedRun


def run_labels(runs: Sequence[TrainedRun]) -> list[str]:
    """A short name per run: its recipe, with the seed and then the configuration hash added
    where two runs would otherwise read the same."""
    labels = [run.config.recipe.name for run in runs]
    for extra in (lambda r: f"s{r.config.train.seed}", lambda r: r.config_hash[:8]):
        repeated = {label for label, count in Counter(labels).items() if count > 1}
        labels = [f"{label} {extra(run)}" if label in repeated else label
                  for label, run in zip(labels, runs, strict=True)]  # fmt: skip
    return labels


def shared_test_spec(
    trained: Sequence[TrainedRun], test_data: str | dict[str, Any] | None
) -> ComponentSpec:
    """``test_data`` as a dataset spec, or the runs' own test data, which must be one set."""
    if test_data is not None:
        table = data_spec(test_data)
        return ComponentSpec(name=table.pop("name"), options=table)
    specs = [run.config.data.test for run in trained]
    if any(s is None for s in specs):
        raise DerainBenchError("a run names no test data: pass --test-data")
    distinct = {repr(sorted(s.to_dict().items())): s for s in specs if s is not None}
    if len(distinct) > 1:
        shown = sorted(f"{dataset_label(s.name, s.options)} {dict(s.options)}"
                       for s in distinct.values())  # fmt: skip
        raise DerainBenchError(
            f"the runs were trained for different test data ({', '.join(shown)}): pass "
            f"--test-data to compare them on the same images"
        )
    return next(iter(distinct.values()))
