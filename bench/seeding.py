"""Seeds derived by a fixed integer hash, so that random draws do not depend on process or order."""

from __future__ import annotations

import random

import numpy as np
import torch

_MASK64 = (1 << 64) - 1


def splitmix64(value: int) -> int:
    """One step of the splitmix64 generator: a well-mixed 64-bit hash of ``value``."""
    z = (value + 0x9E3779B97F4A7C15) & _MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    return z ^ (z >> 31)


def derive_seed(*parts: int) -> int:
    """A 63-bit seed from several integers (base seed, epoch, position...)."""
    state = 0
    for part in parts:
        state = splitmix64(state ^ (part & _MASK64))
    return state >> 1  # torch.Generator.manual_seed wants a value that fits in int64


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch (all devices) from one integer."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
