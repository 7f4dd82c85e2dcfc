"""Named metric protocols: how 8-bit images become the numbers on a leaderboard row.

A protocol fixes the quantisation, the channel(s) the metrics see and the metrics themselves, so
that a PSNR is only ever compared with PSNRs of the same protocol. Adding one is one more small
builder registered in :data:`derainbench.registries.PROTOCOLS`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from types import MappingProxyType

import torch
from torch import Tensor

from derainbench.errors import DerainBenchError
from derainbench.imaging import to_uint8
from derainbench.metrics.color import rgb_to_y_matlab
from derainbench.metrics.psnr import psnr
from derainbench.metrics.ssim import ssim
from derainbench.registries import PROTOCOLS

DEFAULT_PROTOCOL = "y-matlab"

#: A metric on two prepared images of one shape: ``(pred, target, data_range) -> (B,)``.
Scorer = Callable[[Tensor, Tensor, float], Tensor]

_PSNR_SSIM: Mapping[str, Scorer] = MappingProxyType({"psnr": psnr, "ssim": ssim})


@dataclass(frozen=True)
class MetricProtocol:
    """A named way to score restored images against targets, one value per image and column."""

    name: str
    description: str
    #: uint8 RGB (B,3,H,W) → the float64 images the scorers see (e.g. the Y channel).
    channels: Callable[[Tensor], Tensor]
    #: Data range of what ``channels`` returns (255 for the 0..255 scale).
    data_range: float = 255.0
    scorers: Mapping[str, Scorer] = field(default_factory=lambda: _PSNR_SSIM)
    #: float [0,1] → uint8, as a paper would have saved PNGs (round, never truncate).
    quantize: Callable[[Tensor], Tensor] = to_uint8

    @property
    def columns(self) -> tuple[str, ...]:
        """Names of the values :meth:`evaluate` returns, in order."""
        return tuple(self.scorers)

    def evaluate(self, pred: Tensor, target: Tensor) -> dict[str, Tensor]:
        """Score float [0,1] RGB (B,3,H,W) images: column → float64 (B,) on the input's device."""
        self.check_inputs(pred, target)
        return self.score(self.quantize(pred), self.quantize(target))

    def check_inputs(self, pred: Tensor, target: Tensor) -> None:
        """Refuse, in one line, anything but two float RGB batches of exactly one shape."""
        for role, image in (("prediction", pred), ("target", target)):
            if image.ndim != 4 or image.shape[1] != 3 or not image.is_floating_point():
                raise DerainBenchError(
                    f"metric protocol '{self.name}' expects float RGB images (B, 3, H, W) in "
                    f"[0, 1]; the {role} is {image.dtype} of shape {tuple(image.shape)}"
                )
        if pred.shape != target.shape:
            raise DerainBenchError(
                f"prediction shape {tuple(pred.shape)} differs from target shape "
                f"{tuple(target.shape)}; metrics compare images of exactly one size (no resizing)"
            )

    def score(self, pred_uint8: Tensor, target_uint8: Tensor) -> dict[str, Tensor]:
        """Every column on 8-bit RGB images, through the protocol's channels."""
        pred_seen = self.channels(pred_uint8)
        target_seen = self.channels(target_uint8)
        return {
            column: scorer(pred_seen, target_seen, self.data_range).to(torch.float64)
            for column, scorer in self.scorers.items()
        }


@PROTOCOLS.register(
    "y-matlab",
    description="PSNR and SSIM on MATLAB's rounded Y of the 8-bit images (the default)",
    paper="MATLAB rgb2ycbcr + Wang et al. 2004 ssim_index, as in most Rain100L/H and "
    "Test100/1200/2800 tables",
    y_channel="round(16 + (65.481 R + 128.553 G + 24.966 B)/255) on uint8",
    ssim="11×11 Gaussian σ 1.5, K1 0.01, K2 0.03, L 255, valid window, no downsampling",
)
def y_matlab() -> MetricProtocol:
    """PSNR and SSIM on MATLAB's rounded Y of the 8-bit images (the default protocol)."""
    return MetricProtocol(
        name="y-matlab",
        description="PSNR and SSIM on MATLAB's rounded Y of the 8-bit images",
        channels=partial(rgb_to_y_matlab, rounded=True),
        data_range=255.0,
    )


@PROTOCOLS.register(
    "y-float",
    description="PSNR and SSIM on MATLAB's Y of the 8-bit images, not rounded (BasicSR)",
    paper="BasicSR calculate_psnr/ssim with test_y_channel=True",
    y_channel="16 + (65.481 R + 128.553 G + 24.966 B)/255 on uint8, unrounded",
    ssim="11×11 Gaussian σ 1.5, K1 0.01, K2 0.03, L 255, valid window, no downsampling",
)
def y_float() -> MetricProtocol:
    """PSNR and SSIM on the unrounded MATLAB Y (0.135 dB from y-matlab on average)."""
    return MetricProtocol(
        name="y-float",
        description="PSNR and SSIM on MATLAB's unrounded Y of the 8-bit images",
        channels=partial(rgb_to_y_matlab, rounded=False),
        data_range=255.0,
    )


def _rgb_channels(rgb_uint8: Tensor) -> Tensor:
    return rgb_uint8.to(torch.float64)


@PROTOCOLS.register(
    "rgb",
    description="PSNR over all three channels, SSIM as the mean of per-channel SSIM",
    paper="BasicSR on RGB; skimage with gaussian_weights=True, sigma=1.5, "
    "use_sample_covariance=False, channel_axis",
    y_channel="none (R, G, B)",
    ssim="11×11 Gaussian σ 1.5 per channel, K1 0.01, K2 0.03, L 255, valid window",
)
def rgb() -> MetricProtocol:
    """PSNR and SSIM on the three colour channels of the 8-bit images."""
    return MetricProtocol(
        name="rgb",
        description="PSNR over R, G, B; SSIM averaged over the channels",
        channels=_rgb_channels,
        data_range=255.0,
    )
