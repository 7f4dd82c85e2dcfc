"""Reflect padding to a size multiple and cropping back."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from derainbench.imaging import crop_to, pad_to_multiple


@pytest.mark.parametrize(
    ("height", "width", "multiple"),
    [(37, 53, 4), (37, 53, 8), (64, 64, 16), (37, 53, 256), (100, 100, 256), (1, 5, 4), (5, 1, 3)],
)
def test_pad_reaches_the_multiple_and_crop_restores_the_original(
    height: int, width: int, multiple: int
) -> None:
    image = torch.rand(2, 3, height, width)
    padded, size = pad_to_multiple(image, multiple)
    assert size == (height, width)
    assert padded.shape[:2] == (2, 3)
    assert padded.shape[-2] % multiple == 0 and padded.shape[-1] % multiple == 0
    assert height <= padded.shape[-2] < height + multiple
    assert width <= padded.shape[-1] < width + multiple
    restored = crop_to(padded, size)
    assert torch.equal(restored, image)


@pytest.mark.parametrize(("height", "width", "multiple"), [(37, 53, 4), (37, 53, 16), (30, 31, 8)])
def test_small_padding_equals_torch_reflect(height: int, width: int, multiple: int) -> None:
    image = torch.rand(1, 3, height, width)
    padded, _ = pad_to_multiple(image, multiple)
    pad_bottom = padded.shape[-2] - height
    pad_right = padded.shape[-1] - width
    expected = F.pad(image, (0, pad_right, 0, pad_bottom), mode="reflect")
    assert torch.equal(padded, expected)


@pytest.mark.parametrize(("height", "width", "multiple"), [(37, 53, 256), (3, 2, 64), (100, 7, 32)])
def test_padding_larger_than_the_image_is_a_repeated_reflection(
    height: int, width: int, multiple: int
) -> None:
    image = torch.rand(1, 2, height, width, dtype=torch.float64)
    padded, _ = pad_to_multiple(image, multiple)
    pad_bottom = padded.shape[-2] - height
    pad_right = padded.shape[-1] - width
    # numpy's "reflect" mode reflects again and again when the pad exceeds the side.
    expected = np.pad(image.numpy(), ((0, 0), (0, 0), (0, pad_bottom), (0, pad_right)), "reflect")
    np.testing.assert_array_equal(padded.numpy(), expected)


def test_reflection_values_by_hand() -> None:
    row = torch.tensor([0.0, 1.0, 2.0]).view(1, 1, 1, 3)
    padded, _ = pad_to_multiple(row, 8)
    assert padded.shape == (1, 1, 8, 8)
    # Mirror about the last column without repeating it, then back again: period 2·(3−1).
    assert padded[0, 0, 0].tolist() == [0.0, 1.0, 2.0, 1.0, 0.0, 1.0, 2.0, 1.0]
    # A single row has nothing to mirror: it repeats downwards.
    assert torch.equal(padded[0, 0], padded[0, 0, :1].expand(8, 8))


def test_padding_keeps_dtype_and_device() -> None:
    image = torch.randint(0, 256, (1, 3, 9, 10), dtype=torch.uint8)
    padded, _ = pad_to_multiple(image, 4)
    assert padded.dtype == torch.uint8 and padded.device == image.device


@pytest.mark.parametrize("multiple", [1, 0, -3])
def test_multiple_of_one_or_less_is_a_no_op(multiple: int) -> None:
    image = torch.rand(1, 3, 37, 53)
    padded, size = pad_to_multiple(image, multiple)
    assert padded is image
    assert size == (37, 53)


def test_already_a_multiple_is_unchanged() -> None:
    image = torch.rand(1, 3, 32, 48)
    padded, size = pad_to_multiple(image, 16)
    assert torch.equal(padded, image) and size == (32, 48)


def test_crop_to_a_larger_size_is_refused() -> None:
    with pytest.raises(ValueError):
        crop_to(torch.rand(1, 3, 8, 8), (9, 8))
