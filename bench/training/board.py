"""TensorBoard event files for a run (``RUN/tensorboard``): losses and learning rates at log
steps, validation scores, and the labelled sample grids. ``tensorboard --logdir runs`` shows
every run at once; the CSV logs stay the record."""

from __future__ import annotations

from pathlib import Path

import torch


class Board:
    """A SummaryWriter, or nothing when TensorBoard is off."""

    def __init__(self, folder: Path, enabled: bool, resume_step: int) -> None:
        self._writer = None
        if enabled:
            from torch.utils.tensorboard import SummaryWriter

            # purge_step: events a killed run wrote after its last checkpoint are dropped.
            self._writer = SummaryWriter(str(folder), purge_step=resume_step + 1)

    def scalars(self, values: dict[str, float], step: int, group: str) -> None:
        if self._writer is None:
            return
        for name, value in values.items():
            self._writer.add_scalar(f"{group}/{name}", value, step)

    def image(self, name: str, image: torch.Tensor, step: int) -> None:
        """A (3, H, W) image in [0, 1]."""
        if self._writer is not None:
            self._writer.add_image(name, image.clamp(0, 1), step)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
