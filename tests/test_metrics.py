"""The y-matlab metric protocol against golden values and an independent float64 reference."""

from __future__ import annotations

import functools
import warnings

import numpy as np
import pytest
import torch
from skimage import data as skdata
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from derainbench.errors import DerainBenchError
from derainbench.metrics.color import rgb_to_y_matlab
from derainbench.metrics.protocols import DEFAULT_PROTOCOL, MetricProtocol, y_matlab
from derainbench.metrics.psnr import psnr
from derainbench.metrics.ssim import gaussian_window, ssim

PSNR_TOL = 1e-4  # dB
SSIM_TOL = 1e-5


# -- independent references -----------------------------------------------------------------------
def reference_y(rgb: np.ndarray) -> np.ndarray:
    """MATLAB's rounded Y in exact integer arithmetic (round half up); rgb is uint8 (..., 3)."""
    rgb = rgb.astype(np.int64)
    # 255000 · (16 + (65.481 R + 128.553 G + 24.966 B)/255), exactly, plus half a unit.
    numerator = 65481 * rgb[..., 0] + 128553 * rgb[..., 1] + 24966 * rgb[..., 2]
    return ((numerator + 16 * 255000 + 127500) // 255000).astype(np.float64)


def is_tie(rgb: np.ndarray) -> np.ndarray:
    """Colours whose exact Y ends in .5: float rounding noise decides them, in MATLAB too."""
    rgb = rgb.astype(np.int64)
    numerator = 65481 * rgb[..., 0] + 128553 * rgb[..., 1] + 24966 * rgb[..., 2]
    return numerator % 255000 == 127500


def reference_metrics(pred_y: np.ndarray, target_y: np.ndarray) -> tuple[float, float]:
    """scikit-image PSNR and Wang-style SSIM (Gaussian σ 1.5, population covariance) in float64."""
    value_psnr = peak_signal_noise_ratio(target_y, pred_y, data_range=255)
    value_ssim = structural_similarity(
        target_y,
        pred_y,
        gaussian_weights=True,
        sigma=1.5,
        use_sample_covariance=False,
        data_range=255,
    )
    return float(value_psnr), float(value_ssim)


# -- test images ----------------------------------------------------------------------------------
@functools.cache
def photo(name: str) -> np.ndarray:
    """A real RGB photograph shipped with scikit-image, uint8 (H, W, 3)."""
    return getattr(skdata, name)()


def photo_crop(name: str, height: int, width: int, top: int, left: int) -> np.ndarray:
    return photo(name)[top : top + height, left : left + width].copy()


def noisy(image: np.ndarray, sigma: float, seed: int) -> np.ndarray:
    """``image`` plus Gaussian noise of ``sigma`` grey levels, rounded and clipped to uint8."""
    rng = np.random.default_rng(seed)
    out = image.astype(np.float64) + rng.normal(0.0, sigma, image.shape)
    return np.clip(np.round(out), 0, 255).astype(np.uint8)


def blurred(image: np.ndarray) -> np.ndarray:
    """A 3×3 box blur (edges replicated): a smooth, plausible restoration error."""
    padded = np.pad(image.astype(np.float64), ((1, 1), (1, 1), (0, 0)), mode="edge")
    height, width = image.shape[:2]
    total = sum(padded[dy : dy + height, dx : dx + width] for dy in range(3) for dx in range(3))
    return np.clip(np.round(total / 9.0), 0, 255).astype(np.uint8)


def random_image(height: int, width: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)


def pairs() -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(id, prediction, target) uint8 RGB pairs: odd and even sizes, smooth and textured."""
    cases = []
    for name, (h, w, top, left) in {
        "astronaut": (37, 53, 100, 180),
        "coffee": (64, 64, 200, 300),
        "chelsea": (128, 96, 50, 120),
    }.items():
        target = photo_crop(name, h, w, top, left)
        for sigma in (1.0, 5.0, 20.0):
            cases.append((f"{name}-{h}x{w}-noise{sigma:g}", noisy(target, sigma, seed=h), target))
        cases.append((f"{name}-{h}x{w}-blur", blurred(target), target))
    cases.append(("random-11x11", random_image(11, 11, 1), random_image(11, 11, 2)))
    cases.append(("random-12x40", random_image(12, 40, 3), random_image(12, 40, 4)))
    texture = random_image(41, 33, 5)
    cases.append(("texture-41x33-noise3", noisy(texture, 3.0, seed=6), texture))
    return cases


PAIRS = pairs()
PAIR_IDS = [case[0] for case in PAIRS]


def to_tensor_uint8(rgb: np.ndarray) -> torch.Tensor:
    """uint8 (H, W, 3) → uint8 (1, 3, H, W)."""
    return torch.from_numpy(rgb).permute(2, 0, 1).unsqueeze(0).contiguous()


def to_tensor_float(rgb: np.ndarray) -> torch.Tensor:
    """uint8 (H, W, 3) → float32 (1, 3, H, W) in [0, 1], as a model's output would be."""
    return to_tensor_uint8(rgb).float() / 255.0


# -- the Y channel --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("rgb", "expected"),
    [
        ((255, 255, 255), 235),
        ((0, 0, 0), 16),
        ((255, 0, 0), 81),
        ((0, 255, 0), 145),
        ((0, 0, 255), 41),
    ],
)
def test_y_matlab_golden_values(rgb: tuple[int, int, int], expected: int) -> None:
    image = torch.tensor(rgb, dtype=torch.uint8).view(1, 3, 1, 1)
    y = rgb_to_y_matlab(image)
    assert y.dtype == torch.float64
    assert y.shape == (1, 1, 1, 1)
    assert y.item() == expected


def test_y_unrounded_keeps_the_fraction() -> None:
    primaries = torch.tensor([[255, 0, 0], [0, 255, 0], [0, 0, 255]], dtype=torch.uint8)
    y = rgb_to_y_matlab(primaries.T.reshape(1, 3, 1, 3), rounded=False).flatten()
    expected = torch.tensor([16 + 65.481, 16 + 128.553, 16 + 24.966], dtype=torch.float64)
    torch.testing.assert_close(y, expected, rtol=0, atol=1e-12)


def test_y_matches_exact_integer_reference_over_many_colours() -> None:
    red, green = np.meshgrid(np.arange(256), np.arange(256), indexing="ij")
    for blue in (0, 1, 77, 128, 254, 255):
        rgb = np.stack([red, green, np.full_like(red, blue)], axis=-1).astype(np.uint8)
        ours = rgb_to_y_matlab(to_tensor_uint8(rgb))[0, 0].numpy()
        expected = reference_y(rgb)
        ties = is_tie(rgb)
        np.testing.assert_array_equal(ours[~ties], expected[~ties])
        # On an exact .5 the float arithmetic (MATLAB's too) may land either side.
        assert np.all((ours[ties] == expected[ties]) | (ours[ties] == expected[ties] - 1))


def test_y_rejects_float_input() -> None:
    with pytest.raises(DerainBenchError):
        rgb_to_y_matlab(torch.rand(1, 3, 4, 4))


# -- PSNR and SSIM against scikit-image -----------------------------------------------------------
@pytest.mark.parametrize(("case", "pred", "target"), PAIRS, ids=PAIR_IDS)
def test_psnr_and_ssim_match_skimage_on_y(case: str, pred: np.ndarray, target: np.ndarray) -> None:
    pred_y = rgb_to_y_matlab(to_tensor_uint8(pred))
    target_y = rgb_to_y_matlab(to_tensor_uint8(target))
    expected_psnr, expected_ssim = reference_metrics(pred_y[0, 0].numpy(), target_y[0, 0].numpy())
    ours_psnr = psnr(pred_y, target_y, data_range=255.0)
    ours_ssim = ssim(pred_y, target_y, data_range=255.0)
    assert ours_psnr.shape == ours_ssim.shape == (1,)
    assert ours_psnr.dtype == ours_ssim.dtype == torch.float64
    assert ours_psnr.item() == pytest.approx(expected_psnr, abs=PSNR_TOL)
    assert ours_ssim.item() == pytest.approx(expected_ssim, abs=SSIM_TOL)


@pytest.mark.parametrize(("case", "pred", "target"), PAIRS, ids=PAIR_IDS)
def test_protocol_end_to_end_matches_reference(
    case: str, pred: np.ndarray, target: np.ndarray
) -> None:
    """Float images in, numbers out, against a reference that shares no code with the package."""
    assert not is_tie(pred).any() and not is_tie(target).any(), "pick test data without Y ties"
    result = y_matlab().evaluate(to_tensor_float(pred), to_tensor_float(target))
    expected_psnr, expected_ssim = reference_metrics(reference_y(pred), reference_y(target))
    assert result["psnr"].item() == pytest.approx(expected_psnr, abs=PSNR_TOL)
    assert result["ssim"].item() == pytest.approx(expected_ssim, abs=SSIM_TOL)


def test_ssim_over_channels_is_the_mean_of_per_channel_ssim() -> None:
    target = photo_crop("astronaut", 40, 45, 200, 200)
    pred = noisy(target, 8.0, seed=9)
    x = to_tensor_uint8(pred).double() / 255.0
    y = to_tensor_uint8(target).double() / 255.0
    expected = structural_similarity(
        target / 255.0,
        pred / 255.0,
        gaussian_weights=True,
        sigma=1.5,
        use_sample_covariance=False,
        data_range=1.0,
        channel_axis=-1,
    )
    assert ssim(x, y, data_range=1.0).item() == pytest.approx(expected, abs=SSIM_TOL)


def test_gaussian_window_is_normalised_and_symmetric() -> None:
    window = gaussian_window()
    assert window.shape == (11,)
    assert window.sum().item() == pytest.approx(1.0, abs=1e-15)
    torch.testing.assert_close(window, window.flip(0), rtol=0, atol=0)
    assert window.argmax().item() == 5


# -- per image, never pooled ----------------------------------------------------------------------
def test_batch_gives_per_image_values_equal_to_each_alone() -> None:
    first_target = photo_crop("coffee", 64, 64, 200, 300)
    second_target = photo_crop("chelsea", 64, 64, 50, 120)
    first_pred = noisy(first_target, 2.0, seed=1)
    second_pred = noisy(second_target, 15.0, seed=2)
    protocol = y_matlab()
    batch = protocol.evaluate(
        torch.cat([to_tensor_float(first_pred), to_tensor_float(second_pred)]),
        torch.cat([to_tensor_float(first_target), to_tensor_float(second_target)]),
    )
    alone = [
        protocol.evaluate(to_tensor_float(p), to_tensor_float(t))
        for p, t in ((first_pred, first_target), (second_pred, second_target))
    ]
    for column in protocol.columns:
        assert batch[column].shape == (2,)
        assert batch[column][0].item() != pytest.approx(batch[column][1].item(), abs=1e-3)
        for index in range(2):
            assert batch[column][index].item() == pytest.approx(
                alone[index][column].item(), abs=1e-12
            )


# -- quantisation ---------------------------------------------------------------------------------
@pytest.mark.parametrize("offset", [-0.4999, 0.4999])
def test_quantisation_rounds_rather_than_truncates(offset: float) -> None:
    target_uint8 = to_tensor_uint8(photo_crop("astronaut", 37, 53, 100, 180))
    # Keep away from 0 and 255 so that the offset is never clamped.
    target_uint8 = target_uint8.clamp(1, 254)
    target = target_uint8.double() / 255.0
    pred = (target_uint8.double() + offset) / 255.0
    # Truncation would move (a negative offset) every pixel by one grey level: the test bites.
    if offset < 0:
        assert not torch.equal((pred * 255.0).to(torch.uint8), target_uint8)
    result = y_matlab().evaluate(pred.float(), target.float())
    assert result["psnr"].item() == float("inf")
    assert result["ssim"].item() == pytest.approx(1.0, abs=1e-12)


def test_half_a_grey_level_and_more_is_a_different_image() -> None:
    target_uint8 = to_tensor_uint8(photo_crop("astronaut", 37, 53, 100, 180)).clamp(1, 254)
    pred = (target_uint8.double() + 0.5001) / 255.0
    result = y_matlab().evaluate(pred.float(), target_uint8.float() / 255.0)
    assert np.isfinite(result["psnr"].item())


# -- edge cases and errors ------------------------------------------------------------------------
def test_identical_images_give_infinite_psnr_and_unit_ssim() -> None:
    image = to_tensor_float(photo_crop("coffee", 64, 64, 200, 300))
    result = y_matlab().evaluate(image, image.clone())
    assert result["psnr"].item() == float("inf")
    assert result["ssim"].item() == pytest.approx(1.0, abs=1e-12)


def test_shape_mismatch_is_a_one_line_error() -> None:
    with pytest.raises(DerainBenchError) as error:
        y_matlab().evaluate(torch.rand(1, 3, 32, 32), torch.rand(1, 3, 32, 30))
    message = str(error.value)
    assert "\n" not in message
    assert "(1, 3, 32, 32)" in message and "(1, 3, 32, 30)" in message


def test_non_float_or_non_rgb_input_is_refused() -> None:
    with pytest.raises(DerainBenchError):
        y_matlab().evaluate(torch.zeros(1, 3, 16, 16, dtype=torch.uint8), torch.rand(1, 3, 16, 16))
    with pytest.raises(DerainBenchError):
        y_matlab().evaluate(torch.rand(1, 1, 16, 16), torch.rand(1, 1, 16, 16))


def test_ssim_refuses_images_smaller_than_the_window() -> None:
    image = torch.rand(1, 1, 10, 40, dtype=torch.float64)
    with pytest.raises(DerainBenchError) as error:
        ssim(image, image, data_range=1.0)
    assert "\n" not in str(error.value)


# -- registration ---------------------------------------------------------------------------------
def test_default_protocol_is_registered() -> None:
    from derainbench.plugins import PluginWarning
    from derainbench.registries import PROTOCOLS

    # Other components' import problems are their own tests' business.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PluginWarning)
        assert DEFAULT_PROTOCOL == "y-matlab"
        assert DEFAULT_PROTOCOL in PROTOCOLS.names()
        protocol = PROTOCOLS.create(DEFAULT_PROTOCOL)
        info = PROTOCOLS.get(DEFAULT_PROTOCOL).info
    assert isinstance(protocol, MetricProtocol)
    assert protocol.name == DEFAULT_PROTOCOL
    assert protocol.columns == ("psnr", "ssim")
    assert info.description and info.paper and info.y_channel and info.ssim


def test_fast_ssim_matches_the_float64_reference_over_a_wide_range() -> None:
    from derainbench.metrics.ssim import ssim_reference

    generator = torch.Generator().manual_seed(0)
    base = torch.rand(3, 1, 70, 90, generator=generator, dtype=torch.float64) * 255
    noisy = (base + torch.randn(base.shape, generator=generator, dtype=torch.float64) * 20).clamp(
        0, 255
    )
    fast = ssim(noisy, base, data_range=255.0)
    exact = ssim_reference(noisy, base, data_range=255.0)
    assert (fast - exact).abs().max().item() < 1e-6
