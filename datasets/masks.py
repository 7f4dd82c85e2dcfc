"""The binary raindrop mask of a (rainy, clean) pair, as the real-data protocols derive it.

Rules (images in [0, 1]; ``threshold`` on the same scale):

- ``"max"`` (default; DeRaindrop, Qian et al.): max over channels of |I − B| > threshold, 30/255.
- ``"sum"`` (the TensorFlow port, attentive-gan-derainnet): the sum over the three (BGR) channels of
  |I − B| >= threshold; that port uses 35 on 0–255 images, so pass ``threshold=SUM_THRESHOLD``
  (35/255) to reproduce it (the channel order does not change a sum).
- ``"gray"``: |gray(I) − gray(B)| > threshold with ITU-R BT.601 luma (what OpenCV's grey uses).

A difference of exactly the threshold in 8-bit levels stays out for the strict rules and in for
"sum", as in the originals; a small tolerance keeps that true despite float rounding.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from derainbench.errors import DerainBenchError

MAX_THRESHOLD = 30 / 255
SUM_THRESHOLD = 35 / 255
MASK_RULES: tuple[str, ...] = ("max", "sum", "gray")
_LUMA = (0.299, 0.587, 0.114)
# Below half an 8-bit level: decides ties between k/255 values without moving any real threshold.
_TOLERANCE = 1e-6


def raindrop_mask(
    rainy: Tensor,
    clean: Tensor,
    threshold: float = MAX_THRESHOLD,
    rule: str = "max",
    morphology: bool = False,
    kernel: int = 5,
) -> Tensor:
    """A float 0/1 mask (1, H, W), or (B, 1, H, W) for batches: where rainy differs from clean."""
    if rule not in MASK_RULES:
        raise DerainBenchError(f"unknown mask rule '{rule}'; choose one of {', '.join(MASK_RULES)}")
    if rainy.shape != clean.shape or rainy.ndim not in (3, 4) or rainy.shape[-3] != 3:
        raise DerainBenchError(
            f"raindrop_mask needs two RGB images of one shape, (3, H, W) or (B, 3, H, W); got "
            f"{tuple(rainy.shape)} and {tuple(clean.shape)}"
        )
    dtype = rainy.dtype if rainy.is_floating_point() else torch.float32
    rainy, clean = rainy.to(dtype), clean.to(dtype)
    if rule == "max":
        mask = (rainy - clean).abs().amax(dim=-3, keepdim=True) > threshold + _TOLERANCE
    elif rule == "sum":
        mask = (rainy - clean).abs().sum(dim=-3, keepdim=True) >= threshold - _TOLERANCE
    else:
        luma = torch.tensor(_LUMA, dtype=dtype, device=rainy.device).view(3, 1, 1)
        diff = ((rainy - clean) * luma).sum(dim=-3, keepdim=True).abs()
        mask = diff > threshold + _TOLERANCE
    mask = mask.to(dtype)
    if morphology:
        mask = close_then_open(mask, kernel)
    return mask


def close_then_open(mask: Tensor, kernel: int = 5) -> Tensor:
    """Fill pin-holes (closing), then remove specks (opening) with a square kernel (odd side)."""
    if kernel < 1 or kernel % 2 == 0:
        raise DerainBenchError(f"mask morphology needs an odd kernel size >= 1, got {kernel}")
    batched = mask if mask.ndim == 4 else mask[None]
    closed = _erode(_dilate(batched, kernel), kernel)
    opened = _dilate(_erode(closed, kernel), kernel)
    return opened if mask.ndim == 4 else opened[0]


def _dilate(mask: Tensor, kernel: int) -> Tensor:
    # max_pool2d pads with -inf, so the border neither grows nor shrinks the mask spuriously.
    return F.max_pool2d(mask, kernel, stride=1, padding=kernel // 2)


def _erode(mask: Tensor, kernel: int) -> Tensor:
    return -F.max_pool2d(-mask, kernel, stride=1, padding=kernel // 2)
