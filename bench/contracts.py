"""What every generator and discriminator promises, so that they are interchangeable.

Outside a model, images are float RGB tensors in [0, 1] of shape (B, 3, H, W). A model whose
original works in another range or channel order converts inside its own forward pass.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

# What a component can produce beyond the restored image / the logits. Loss terms name these
# in their ``needs``; see :mod:`derainbench.losses.compat`.
ATTENTION = "attention"  # generator: per-step attention maps, each B×1×H×W
PYRAMID = "pyramid"  # generator: coarse-to-fine side outputs
D_ATTENTION = "d_attention"  # discriminator: its attention map
MASK = "mask"  # dataset: a rain mask for each pair


@dataclass
class Restoration:
    """A generator's output: the restored image and optional auxiliary outputs."""

    image: Tensor
    attention: list[Tensor] | None = None
    pyramid: list[Tensor] | None = None


@dataclass
class Judgement:
    """A discriminator's output: raw logits (B×1 or B×1×h×w, never a sigmoid), optional map."""

    logits: Tensor
    attention: Tensor | None = None


class Generator(nn.Module):
    """Base class of generators: ``forward(rainy) -> Restoration`` with RGB in [0, 1]."""

    #: Input height and width must be multiples of this; evaluation pads (reflect) and crops back.
    multiple_of: int = 1
    #: Auxiliary outputs this instance produces (a subset of {ATTENTION, PYRAMID}).
    provides: frozenset[str] = frozenset()
    #: Whether :meth:`set_activation_checkpointing` trades compute for memory in this model.
    supports_activation_checkpointing: bool = False

    def set_activation_checkpointing(self, enabled: bool) -> None:
        """Recompute activations in the backward pass instead of keeping them (if supported)."""
        if enabled:
            raise NotImplementedError(f"{type(self).__name__} has no activation checkpointing")

    def forward(self, rainy: Tensor) -> Restoration:  # pragma: no cover - abstract
        raise NotImplementedError


class Discriminator(nn.Module):
    """Base class of discriminators: ``forward(x) -> Judgement``.

    A conditional discriminator receives ``cat(rainy, image)`` (6 channels), an unconditional one
    the image alone; the training loop reads :attr:`conditional` and feeds it accordingly.
    """

    conditional: bool = False
    provides: frozenset[str] = frozenset()
    #: The only input side a fixed-size layer (a flattening FC) accepts; None: any size. A
    #: training crop of another size is refused before training.
    input_size: int | None = None

    def forward(self, x: Tensor) -> Judgement:  # pragma: no cover - abstract
        raise NotImplementedError


def discriminator_input(discriminator: Discriminator, rainy: Tensor, image: Tensor) -> Tensor:
    """What ``discriminator`` sees of a (rainy, image) pair, according to its metadata."""
    return torch.cat([rainy, image], dim=1) if discriminator.conditional else image


def to_signed(x: Tensor) -> Tensor:
    """[0, 1] → [-1, 1], the range of the pix2pix and DeblurGAN originals."""
    return x * 2.0 - 1.0


def from_signed(x: Tensor) -> Tensor:
    """[-1, 1] → [0, 1]."""
    return (x + 1.0) * 0.5


def count_parameters(module: nn.Module | None) -> int:
    """Number of parameters (buffers such as BatchNorm statistics not counted)."""
    return 0 if module is None else sum(p.numel() for p in module.parameters())
