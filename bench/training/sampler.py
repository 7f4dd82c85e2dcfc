"""Which training sample each step sees, as a pure function of (seed, step).

Because the order and the per-sample random crop are derived from the seed and the position
alone, a resumed run sees exactly the samples the uninterrupted run would have seen, whatever the
number of data-loader workers. Under torchrun each rank takes its own contiguous slice of every
global batch, so N ranks together see exactly the samples (and crops) of one process.
"""

from __future__ import annotations

from collections.abc import Iterator

import torch
from torch.utils.data import Sampler

from derainbench.seeding import derive_seed


class StepSampler(Sampler[tuple[int, int]]):
    """Yields ``(index, sample_seed)`` keys for steps ``start_step`` … ``total_steps - 1``: the
    whole global batch of each step, or with ``ranks`` > 1 this ``rank``'s slice of it."""

    def __init__(
        self,
        num_items: int,
        batch_size: int,
        seed: int,
        start_step: int,
        total_steps: int,
        rank: int = 0,
        ranks: int = 1,
    ) -> None:
        if batch_size % ranks:
            raise ValueError(f"a batch of {batch_size} does not split over {ranks} ranks")
        self.num_items = num_items
        self.batch_size = batch_size
        self.seed = seed
        self.start_step = start_step
        self.total_steps = total_steps
        self.local_batch = batch_size // ranks
        self.first_slot = rank * self.local_batch
        self._epoch_order: tuple[int, torch.Tensor] | None = None

    def __len__(self) -> int:
        return max(self.total_steps - self.start_step, 0) * self.local_batch

    def key(self, position: int) -> tuple[int, int]:
        """The sample at a global position (step · batch_size + slot): a shuffled pass per epoch."""
        epoch, offset = divmod(position, self.num_items)
        if self._epoch_order is None or self._epoch_order[0] != epoch:
            generator = torch.Generator().manual_seed(derive_seed(self.seed, epoch))
            self._epoch_order = (epoch, torch.randperm(self.num_items, generator=generator))
        return int(self._epoch_order[1][offset]), derive_seed(self.seed, epoch, position)

    def __iter__(self) -> Iterator[tuple[int, int]]:
        for step in range(self.start_step, self.total_steps):
            first = step * self.batch_size + self.first_slot
            for position in range(first, first + self.local_batch):
                yield self.key(position)
