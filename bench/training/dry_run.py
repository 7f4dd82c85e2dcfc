"""One real training step on a tiny batch at the configured crop, thrown away: every failure
that training would meet at step 1 (a crop the network cannot take, an option that builds an
empty layer, a plug-in that breaks the contract) is met here instead, before a run starts."""

from __future__ import annotations

import dataclasses

import torch

from derainbench.config import ExperimentConfig
from derainbench.datasets.base import PairedDataset
from derainbench.devices import resolve_device
from derainbench.errors import DerainBenchError
from derainbench.training.acceleration import acceleration, make_optimizers, place
from derainbench.training.components import Components
from derainbench.training.loop import step_settings
from derainbench.training.precision import Precision
from derainbench.training.step import first_non_finite, train_step

#: Pairs in the dry step's batch (two, so that batch statistics exist), at most the run's batch.
DRY_BATCH = 2


def dry_step(config: ExperimentConfig, parts: Components, train_set: PairedDataset) -> None:
    """Run one generator and one discriminator update of ``parts`` on the first pairs of
    ``train_set``; any failure becomes one line naming what failed. ``parts`` is changed."""
    device = resolve_device(config.run.device)
    count = min(config.train.batch_size, DRY_BATCH, len(train_set))
    samples = [train_set[(index, index)] for index in range(count)]
    batch = {
        key: torch.stack([s[key] for s in samples]).to(device)
        for key, value in samples[0].items()
        if isinstance(value, torch.Tensor)
    }
    fast = acceleration(config, device)
    place(parts, device, fast)
    settings = dataclasses.replace(step_settings(config), d_steps=1)
    try:
        losses = train_step(
            parts,
            make_optimizers(parts, config, fast),
            settings,
            Precision(fast.precision, device),
            batch["rainy"].contiguous(memory_format=fast.memory_format),
            batch["clean"].contiguous(memory_format=fast.memory_format),
            1,
            batch.get("mask"),
        )
        error = first_non_finite([(1, losses)])
        if error is not None:
            raise error
    except DerainBenchError:
        raise
    except (RuntimeError, ValueError, IndexError) as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        crop = config.train.crop
        raise DerainBenchError(
            f"one training step of generator '{config.generator.name}' with discriminator "
            f"'{config.discriminator.name}' on {count}×{crop}×{crop} crops fails: {reason}"
        ) from None
