"""The ``deraindrop`` protocol: the Attentive GAN authors' own evaluation (DeRaindrop predict.py).

What their script does, reproduced so that imported weights can be compared with Raindrop tables:

- output and ground truth are cropped top-left to multiples of 4 (``align_to_four``);
- the output becomes uint8 by ``np.array(out * 255, dtype='uint8')``: TRUNCATED, and values
  outside 0..255 WRAP around (−1.5 → 255, 300.2 → 44), as NumPy's cast does on x86; the ground
  truth is the 8-bit file itself (rounded back from our [0, 1] floats);
- Y is OpenCV's ``COLOR_BGR2YCR_CB`` luma in its fixed-point form,
  (4899 R + 9617 G + 1868 B + 2^13) >> 14, which equals round(0.299 R + 0.587 G + 0.114 B) except
  for 30,753 of the 2^24 colours (checked against OpenCV 5.0 for every colour);
- PSNR on that Y with data range 255; SSIM with scikit-image's defaults (``compare_ssim``): a 7×7
  uniform window, sample covariances (N/(N−1)), K1 0.01, K2 0.03, L 255, the mean over the
  windows that fit inside the image.

One difference remains: the authors ran the network on the cropped input, while derainbench
restores the full image (reflect-padded to the size multiple) and crops afterwards; they agree
whenever the image sides are already multiples of 4, as for every Raindrop test image (720×480).
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

import torch
import torch.nn.functional as F
from torch import Tensor

from derainbench.errors import DerainBenchError
from derainbench.imaging import to_uint8
from derainbench.metrics.protocols import MetricProtocol
from derainbench.metrics.psnr import psnr
from derainbench.registries import PROTOCOLS

WINDOW = 7
K1, K2 = 0.01, 0.03
# OpenCV's fixed-point BT.601 luma coefficients (R2Y, G2Y, B2Y; 14 fractional bits).
_LUMA_FIXED = (4899, 9617, 1868)
_SHIFT = 14


def truncating_uint8(image: Tensor) -> Tensor:
    """float [0,1] → uint8 as the authors' script casts: ×255 in float32, truncate, wrap mod 256."""
    scaled = image.detach().to(torch.float32) * 255.0
    scaled = torch.nan_to_num(scaled, nan=0.0, posinf=0.0, neginf=0.0)
    return scaled.trunc().to(torch.int64).remainder(256).to(torch.uint8)


def opencv_luma(rgb_uint8: Tensor) -> Tensor:
    """OpenCV's 8-bit luma of uint8 RGB (B,3,H,W), bit-exact, as float64 (B,1,H,W)."""
    if rgb_uint8.dtype != torch.uint8 or rgb_uint8.ndim != 4 or rgb_uint8.shape[1] != 3:
        raise DerainBenchError(
            f"opencv_luma expects uint8 RGB (B, 3, H, W), got {rgb_uint8.dtype} "
            f"{tuple(rgb_uint8.shape)}"
        )
    rgb = rgb_uint8.to(torch.int64)
    r, g, b = _LUMA_FIXED
    y = r * rgb[:, 0:1] + g * rgb[:, 1:2] + b * rgb[:, 2:3]
    return ((y + (1 << (_SHIFT - 1))) >> _SHIFT).to(torch.float64)


def ssim_uniform(pred: Tensor, target: Tensor, data_range: float) -> Tensor:
    """Per-image SSIM (B,) with scikit-image's defaults: 7×7 uniform window, sample covariance."""
    if pred.shape != target.shape or pred.ndim != 4:
        raise DerainBenchError(
            f"ssim needs two (B, C, H, W) images of one shape, got {tuple(pred.shape)} "
            f"and {tuple(target.shape)}"
        )
    if min(pred.shape[-2:]) < WINDOW:
        raise DerainBenchError(
            f"ssim needs images of at least {WINDOW}×{WINDOW} pixels, got "
            f"{pred.shape[-2]}×{pred.shape[-1]}"
        )
    x, y = pred.to(torch.float64), target.to(torch.float64)
    channels = x.shape[1]
    # The mean over each window that fits inside the image = skimage's filter then border crop.
    stats = F.avg_pool2d(torch.cat([x, y, x * x, y * y, x * y], dim=1), WINDOW, stride=1)
    mu_x, mu_y, xx, yy, xy = stats.split(channels, dim=1)
    unbiased = WINDOW**2 / (WINDOW**2 - 1)
    var_x = unbiased * (xx - mu_x * mu_x)
    var_y = unbiased * (yy - mu_y * mu_y)
    cov_xy = unbiased * (xy - mu_x * mu_y)
    c1, c2 = (K1 * data_range) ** 2, (K2 * data_range) ** 2
    ssim_map = ((2 * mu_x * mu_y + c1) * (2 * cov_xy + c2)) / (
        (mu_x * mu_x + mu_y * mu_y + c1) * (var_x + var_y + c2)
    )
    return ssim_map.flatten(1).mean(dim=1)


def crop_to_four(image: Tensor) -> Tensor:
    """The top-left window whose sides are multiples of 4 (the authors' ``align_to_four``)."""
    height, width = image.shape[-2:]
    return image[..., : height - height % 4, : width - width % 4]


@dataclass(frozen=True)
class DerainDropProtocol(MetricProtocol):
    """The authors' evaluation: crop to multiples of 4, truncating cast, OpenCV luma, skimage."""

    def evaluate(self, pred: Tensor, target: Tensor) -> dict[str, Tensor]:
        """Score float RGB (B,3,H,W) images as DeRaindrop's predict.py does: column → (B,)."""
        self.check_inputs(pred, target)
        # The restored image through the authors' cast, the target as its 8-bit file.
        return self.score(self.quantize(crop_to_four(pred)), to_uint8(crop_to_four(target)))


@PROTOCOLS.register(
    "deraindrop",
    description="the Attentive GAN authors' evaluation: OpenCV luma, skimage SSIM (7×7 uniform), "
    "crop to multiples of 4, truncating uint8 cast",
    paper="rui1996/DeRaindrop predict.py + metrics.py (Qian et al., CVPR 2018)",
    y_channel="OpenCV BGR2YCrCb luma: (4899 R + 9617 G + 1868 B + 8192) >> 14 on uint8",
    ssim="7×7 uniform window, sample covariance, K1 0.01, K2 0.03, L 255 (skimage defaults)",
)
def deraindrop() -> DerainDropProtocol:
    """PSNR and SSIM exactly as the DeRaindrop authors computed them (to compare with them)."""
    return DerainDropProtocol(
        name="deraindrop",
        description="PSNR and SSIM on OpenCV's luma after the authors' crop and truncating cast",
        channels=opencv_luma,
        data_range=255.0,
        scorers=MappingProxyType({"psnr": psnr, "ssim": ssim_uniform}),
        quantize=truncating_uint8,
    )
