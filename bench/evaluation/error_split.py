"""Where a restoration's error lies: on the pixels the rain changed, or on the pixels it did not.

A mean PSNR says how far a restoration is from the clean image, not why. Splitting the squared
error of every pixel by the pair's rain mask answers the question a model that loses to its own
input raises: did it fail to remove the rain, or did it damage what the rain never touched? Pixels
are split by :func:`raindrop_mask` (the ``max`` rule: any channel differs from the clean image by
more than ``threshold``); restorations are rounded to 8 bits first, as the metric protocols do.
Values are in 8-bit grey levels (0–255), pooled over every pixel of every image, so a large image
weighs more than a small one.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from derainbench.datasets.masks import MAX_THRESHOLD, raindrop_mask
from derainbench.imaging import to_uint8


@dataclass
class ErrorTally:
    """Squared-error sums and pixel counts over the rain and the clear pixels of a test set."""

    rain_pixels: int = 0
    clear_pixels: int = 0
    rain_sse_input: float = 0.0
    rain_sse_output: float = 0.0
    clear_sse_input: float = 0.0
    clear_sse_output: float = 0.0
    rain_shift_sum: float = 0.0  # Σ (output − clean) over the rain pixels' channels
    clear_shift_sum: float = 0.0  # the same over the clear pixels' channels

    def add(
        self, rainy: Tensor, restored: Tensor, clean: Tensor, threshold: float = MAX_THRESHOLD
    ) -> None:
        """Count one (3, H, W) pair in [0, 1] and its restoration."""
        rain = raindrop_mask(rainy, clean, threshold)[0].bool()
        levels = [to_uint8(image).to(torch.float64) for image in (rainy, restored, clean)]
        rainy_levels, restored_levels, clean_levels = levels
        error_input = (rainy_levels - clean_levels) ** 2
        error_output = (restored_levels - clean_levels) ** 2
        clear = ~rain
        self.rain_pixels += int(rain.sum())
        self.clear_pixels += int(clear.sum())
        self.rain_sse_input += float(error_input[:, rain].sum())
        self.rain_sse_output += float(error_output[:, rain].sum())
        self.clear_sse_input += float(error_input[:, clear].sum())
        self.clear_sse_output += float(error_output[:, clear].sum())
        change = restored_levels - clean_levels
        self.rain_shift_sum += float(change[:, rain].sum())
        self.clear_shift_sum += float(change[:, clear].sum())

    def summary(self) -> dict[str, float]:
        """rain_share (of all pixels); rain_error_removed (the share of the rain pixels' squared
        error the restoration removed; negative when it added error); the RMSE of the rain and
        of the clear pixels before and after; rain_shift and clear_shift (the output's mean
        signed difference from the clean image there: for the input, what the rain did)."""
        total = self.rain_pixels + self.clear_pixels
        rain_channels, clear_channels = 3 * self.rain_pixels, 3 * self.clear_pixels
        nan = float("nan")
        removed = 1.0 - self.rain_sse_output / self.rain_sse_input if self.rain_sse_input else nan
        return {
            "rain_share": self.rain_pixels / total if total else nan,
            "rain_error_removed": removed,
            "rain_rmse_input": _root(self.rain_sse_input, rain_channels),
            "rain_rmse_output": _root(self.rain_sse_output, rain_channels),
            "rain_shift": self.rain_shift_sum / rain_channels if rain_channels else nan,
            "clear_rmse_input": _root(self.clear_sse_input, clear_channels),
            "clear_rmse_output": _root(self.clear_sse_output, clear_channels),
            "clear_shift": self.clear_shift_sum / clear_channels if clear_channels else nan,
        }


def _root(sse: float, count: int) -> float:
    return (sse / count) ** 0.5 if count else float("nan")
