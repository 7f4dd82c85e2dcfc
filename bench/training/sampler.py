"""Which training sample each step sees, as a pure function of (seed, step).

Because the order and the per-sample random crop are derived from the seed and the position
alone, a resumed run sees exactly the samples the uninterrupted run would have seen, whatever the
number of data-loader workers.
"""

from __future__ import annotations

from collections.abc import Iterator

import torch
from torch.utils.data import Sampler

from derainbench.seeding import derive_seed


class StepSampler(Sampler[tuple[int, int]]):
    """Yields ``(index, sample_seed)`` keys for steps ``start_step`` … ``total_steps - 1``."""

    def __init__(
        self, num_items: int, batch_size: int, seed: int, start_step: int, total_steps: int
    ) -> None:
        self.num_items = num_items
        self.batch_size = batch_size
        self.seed = seed
        self.start_step = start_step
        self.total_steps = total_steps
        self._epoch_order: tuple[int, torch.Tensor] | None = None

    def __len__(self) -> int:
        return max(self.total_steps - self.start_step, 0) * self.batch_size

    def key(self, position: int) -> tuple[int, int]:
        """The sample at a global position (step · batch_size + slot): a shuffled pass per epoch."""
        epoch, offset = divmod(position, self.num_items)
        if self._epoch_order is None or self._epoch_order[0] != epoch:
            generator = torch.Generator().manual_seed(derive_seed(self.seed, epoch))
            self._epoch_order = (epoch, torch.randperm(self.num_items, generator=generator))
        return int(self._epoch_order[1][offset]), derive_seed(self.seed, epoch, position)

    def __iter__(self) -> Iterator[tuple[int, int]]:
        first = self.start_step * self.batch_size
        for position in range(first, self.total_steps * self.batch_size):
            yield self.key(position)
