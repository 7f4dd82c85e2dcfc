"""The `deraindrop` protocol against the authors' tools: NumPy's cast, OpenCV's luma, skimage."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from derainbench.metrics.deraindrop import crop_to_four, opencv_luma, truncating_uint8
from derainbench.registries import PROTOCOLS

# Colours where OpenCV's fixed-point luma differs from round(0.299 R + 0.587 G + 0.114 B),
# with the value cv2.cvtColor(..., COLOR_BGR2YCR_CB) gives (OpenCV 5.0).
OPENCV_LUMA = {
    (63, 167, 181): 137,
    (161, 187, 128): 172,
    (127, 30, 201): 79,
    (73, 10, 200): 51,
    (8, 255, 109): 164,
    (219, 52, 171): 116,
}


def _rgb(colours) -> torch.Tensor:
    return torch.tensor(list(colours), dtype=torch.uint8).T.reshape(1, 3, 1, -1)


def test_luma_is_opencvs_fixed_point_one() -> None:
    got = opencv_luma(_rgb(OPENCV_LUMA)).flatten().tolist()
    assert got == list(OPENCV_LUMA.values())
    generator = torch.Generator().manual_seed(0)
    rgb = torch.randint(0, 256, (1, 3, 64, 64), dtype=torch.uint8, generator=generator)
    weights = torch.tensor([0.299, 0.587, 0.114], dtype=torch.float64).view(1, 3, 1, 1)
    rounded = torch.floor((rgb.double() * weights).sum(1, keepdim=True) + 0.5)
    assert (opencv_luma(rgb) - rounded).abs().max() <= 1


def test_the_cast_truncates_and_wraps_like_numpy() -> None:
    values = torch.tensor([-0.01, 0.0, 0.5, 0.999, 1.0, 1.2, -1.0, 2.0])
    expected = np.array(values.numpy() * np.float32(255.0), dtype="uint8")  # the authors' cast
    assert truncating_uint8(values).numpy().tolist() == expected.tolist()
    assert truncating_uint8(values).tolist() == [254, 0, 127, 254, 255, 50, 1, 254]
    generator = torch.Generator().manual_seed(1)
    noisy = torch.rand(1, 3, 16, 16, generator=generator) * 2 - 0.5
    expected = np.array(noisy.numpy() * np.float32(255.0), dtype="uint8")
    assert np.array_equal(truncating_uint8(noisy).numpy(), expected)


def authors_scores(pred: torch.Tensor, clean: torch.Tensor) -> tuple[float, float]:
    """DeRaindrop's predict.py + metrics.py on one image, with NumPy and scikit-image."""
    out = pred[0].permute(1, 2, 0).numpy()
    gt = np.rint(clean[0].permute(1, 2, 0).numpy() * 255).astype(np.uint8)
    rows, cols = (gt.shape[0] // 4) * 4, (gt.shape[1] // 4) * 4
    out, gt = out[:rows, :cols], gt[:rows, :cols]
    result = np.array(out * np.float32(255.0), dtype="uint8")

    def luma(rgb: np.ndarray) -> np.ndarray:
        r, g, b = (rgb[..., k].astype(np.int64) for k in range(3))
        return ((4899 * r + 9617 * g + 1868 * b + 8192) >> 14).astype(np.uint8)

    y_out, y_gt = luma(result), luma(gt)
    return peak_signal_noise_ratio(y_out, y_gt), structural_similarity(y_out, y_gt)


def test_protocol_matches_the_authors_script() -> None:
    generator = torch.Generator().manual_seed(2)
    clean = torch.randint(0, 256, (2, 3, 37, 50), generator=generator).float() / 255
    smooth = torch.nn.functional.avg_pool2d(clean, 3, stride=1, padding=1)
    # Out-of-range outputs, as the unclamped generator produces, to exercise the wrap.
    pred = smooth + 0.05 * torch.randn(2, 3, 37, 50, generator=generator)
    protocol = PROTOCOLS.create("deraindrop")
    scores = protocol.evaluate(pred, clean)
    assert protocol.columns == ("psnr", "ssim")
    for index in range(2):
        psnr, ssim = authors_scores(pred[index : index + 1], clean[index : index + 1])
        assert scores["psnr"][index].item() == pytest.approx(psnr, abs=1e-10)
        assert scores["ssim"][index].item() == pytest.approx(ssim, abs=1e-10)


def test_crop_keeps_the_top_left_multiple_of_four() -> None:
    image = torch.rand(1, 3, 481, 722)
    assert crop_to_four(image).shape[-2:] == (480, 720)
    assert torch.equal(crop_to_four(image), image[..., :480, :720])


def test_protocol_refuses_images_of_different_sizes() -> None:
    from derainbench.errors import DerainBenchError

    with pytest.raises(DerainBenchError, match="differs from target shape"):
        PROTOCOLS.create("deraindrop").evaluate(torch.rand(1, 3, 16, 16), torch.rand(1, 3, 16, 20))
