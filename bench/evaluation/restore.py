"""Running a generator on images of any size: reflect-pad to its size multiple, crop back."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch
from torch import Tensor

from derainbench.contracts import Generator, Restoration
from derainbench.errors import DerainBenchError
from derainbench.imaging import crop_to, pad_to_multiple

GENERATOR_MODES = ("eval", "train")


@contextlib.contextmanager
def generator_mode(generator: Generator, mode: str) -> Iterator[Generator]:
    """Put the generator in ``eval`` mode (deterministic: dropout off, BatchNorm running
    statistics) or ``train`` mode (the pix2pix original's test-time behaviour), then restore."""
    if mode not in GENERATOR_MODES:
        raise DerainBenchError(f"unknown generator mode '{mode}'; choose eval or train")
    was_training = generator.training
    generator.train(mode == "train")
    try:
        yield generator
    finally:
        generator.train(was_training)


@torch.no_grad()
def restore(generator: Generator, rainy: Tensor) -> Restoration:
    """Restore a (B, 3, H, W) batch at its native size; auxiliary maps are cropped back too."""
    padded, size = pad_to_multiple(rainy, generator.multiple_of)
    result = generator(padded)
    return Restoration(
        image=crop_to(result.image, size),
        attention=[crop_to(a, size) for a in result.attention] if result.attention else None,
        pyramid=result.pyramid,
    )
