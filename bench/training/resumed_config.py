"""What a resumed run continues with: its stored configuration, on the asked run settings and
length; any other change is refused, since it would make the run a different experiment."""

from __future__ import annotations

import dataclasses

from derainbench.config import ExperimentConfig
from derainbench.config.schema import differences
from derainbench.errors import ConfigError
from derainbench.training.runfolder import RunFolder


def continued(
    stored: ExperimentConfig, asked: ExperimentConfig, done: int, run: RunFolder
) -> ExperimentConfig:
    """The configuration a resumed run continues with: the one it started with, on the asked
    run settings (device, workers...), extended to the asked number of steps.

    Anything else that differs would make the run a different experiment, and is refused.
    Extending recomputes the learning-rate schedule over the new total from the current step
    on (exact for ``constant``; a ``constant-then-linear`` run that had begun its decay returns
    to the rate the longer schedule gives at its step).
    """
    stored_tables, asked_tables = stored.to_dict(), asked.to_dict()
    for tables in (stored_tables, asked_tables):
        tables.pop("run")
        tables["train"].pop("steps")
    changed = differences(stored_tables, asked_tables)
    if changed:
        key, old, new = changed[0]
        raise ConfigError(
            f"{run.root} continues with the configuration it started with; {key} would change "
            f"it ({old!r} → {new!r}): start another run in another --run-dir"
        )
    if asked.train.steps < done:
        raise ConfigError(
            f"{run.root} has already taken {done} steps; --steps {asked.train.steps} cannot "
            f"shorten it"
        )
    return dataclasses.replace(
        stored, train=dataclasses.replace(stored.train, steps=asked.train.steps), run=asked.run
    )
