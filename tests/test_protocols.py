"""Every metric protocol against an independent float64 reference on committed image pairs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from derainbench.registries import PROTOCOLS

PAIRS = sorted((Path(__file__).parent / "data" / "metric_pairs").glob("*_gt.png"))


def _load(path: Path) -> np.ndarray:
    return np.array(Image.open(path).convert("RGB"))


def _matlab_y(rgb: np.ndarray, rounded: bool) -> np.ndarray:
    # MATLAB rgb2ycbcr on uint8, written independently in NumPy (same order of operations, so
    # that the rare exact .5 ties round the same way).
    r, g, b = (rgb[..., i].astype(np.float64) for i in range(3))
    y = (65.481 / 255) * r + (128.553 / 255) * g
    y = y + (24.966 / 255) * b + 16.0
    return np.floor(y + 0.5) if rounded else y


def _gaussian_ssim(a: np.ndarray, b: np.ndarray, channel_axis: int | None = None) -> float:
    return structural_similarity(
        a, b, gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
        data_range=255, channel_axis=channel_axis,
    )  # fmt: skip


def reference(protocol: str, pred: np.ndarray, gt: np.ndarray) -> tuple[float, float]:
    if protocol in ("y-matlab", "y-float"):
        rounded = protocol == "y-matlab"
        yp, yg = _matlab_y(pred, rounded), _matlab_y(gt, rounded)
        return peak_signal_noise_ratio(yg, yp, data_range=255), _gaussian_ssim(yp, yg)
    p, g = pred.astype(np.float64), gt.astype(np.float64)
    return peak_signal_noise_ratio(g, p, data_range=255), _gaussian_ssim(p, g, channel_axis=2)


@pytest.mark.parametrize("protocol", ["y-matlab", "y-float", "rgb"])
@pytest.mark.parametrize("gt_path", PAIRS, ids=lambda p: p.name.removesuffix("_gt.png"))
def test_protocol_matches_the_reference(protocol: str, gt_path: Path) -> None:
    gt = _load(gt_path)
    pred = _load(gt_path.with_name(gt_path.name.replace("_gt", "_pred")))
    as_tensor = lambda a: torch.from_numpy(a).permute(2, 0, 1)[None].float() / 255.0  # noqa: E731
    values = PROTOCOLS.create(protocol).evaluate(as_tensor(pred), as_tensor(gt))
    expected_psnr, expected_ssim = reference(protocol, pred, gt)
    assert values["psnr"].item() == pytest.approx(expected_psnr, abs=1e-4)
    assert values["ssim"].item() == pytest.approx(expected_ssim, abs=1e-5)


def test_committed_pairs_cover_odd_sizes_and_both_kinds_of_content() -> None:
    shapes = {p.name: _load(p).shape[:2] for p in PAIRS}
    assert len(PAIRS) >= 4
    assert any(h % 2 and w % 2 for h, w in shapes.values())


def test_y_conventions_differ_by_a_fraction_of_a_decibel_at_moderate_psnr() -> None:
    path = next(p for p in PAIRS if p.name.startswith("textured"))
    gt, pred = _load(path), _load(path.with_name(path.name.replace("_gt", "_pred")))
    as_tensor = lambda a: torch.from_numpy(a).permute(2, 0, 1)[None].float() / 255.0  # noqa: E731
    rounded = PROTOCOLS.create("y-matlab").evaluate(as_tensor(pred), as_tensor(gt))["psnr"]
    unrounded = PROTOCOLS.create("y-float").evaluate(as_tensor(pred), as_tensor(gt))["psnr"]
    assert 0 < abs(rounded - unrounded).item() < 0.6
