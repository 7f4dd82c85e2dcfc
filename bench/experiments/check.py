"""Check an experiment without training: build every component and the data as training
would, and take one throw-away training step on a tiny batch, so that an impossible combination
is refused before any work (``derain-bench check``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from derainbench.config import ExperimentConfig
from derainbench.contracts import count_parameters
from derainbench.training.components import (
    build_components,
    build_test_set,
    build_training_set,
    build_validation_set,
)
from derainbench.training.dry_run import dry_step as run_dry_step
from derainbench.training.runfolder import default_run_id


@dataclass(frozen=True)
class CheckReport:
    """What would train: the run's folder and hash, the data, the networks' sizes, the terms'
    needs, the penalties and the critic steps."""

    run_dir: str
    config_hash: str
    train_pairs: int
    #: Validation pairs scored during training (0: none, so no best checkpoint).
    validation_pairs: int
    #: Where the attention loss's masks come from ("" when no term uses masks).
    masks: str
    generator: str
    generator_parameters: int
    discriminator: str
    discriminator_parameters: int
    conditional: bool
    objective: str
    terms: dict[str, list[str]]
    penalties: list[str]
    d_steps: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def check(
    config: ExperimentConfig, run_dir: Path | str | None = None, dry_step: bool = True
) -> CheckReport:
    """Build the data and components of ``config`` and, with ``dry_step``, run one training
    step on a tiny batch at the configured crop; anything that would fail raises one line."""
    train_set = build_training_set(config)
    if config.data.test is not None:
        build_test_set(config)  # the test data must be usable too
    validation_set = build_validation_set(config)
    parts = build_components(config, train_set.provides)
    has_masks = "mask" in train_set.provides
    masks = "; ".join(
        dict.fromkeys(d for t in parts.terms if (d := t.module.mask_description(has_masks)))
    )
    parameters = count_parameters(parts.generator), count_parameters(parts.discriminator)
    if dry_step:
        run_dry_step(config, parts, train_set)
    return CheckReport(
        run_dir=str(run_dir or Path("runs") / default_run_id(config)),
        config_hash=config.hash,
        train_pairs=len(train_set),
        validation_pairs=len(validation_set) if validation_set is not None else 0,
        masks=masks,
        generator=config.generator.name,
        generator_parameters=parameters[0],
        discriminator=config.discriminator.name,
        discriminator_parameters=parameters[1],
        conditional=bool(parts.discriminator and parts.discriminator.conditional),
        objective=config.objective.name,
        terms={t.name: sorted(t.module.needs) for t in parts.terms},
        penalties=[p.name for p in parts.penalties],
        d_steps=config.train.d_steps,
    )
