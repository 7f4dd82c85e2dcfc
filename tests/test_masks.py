"""The binary raindrop mask derived from a pair, under each documented rule."""

from __future__ import annotations

import pytest
import torch

from derainbench.datasets.masks import SUM_THRESHOLD, close_then_open, raindrop_mask
from derainbench.errors import DerainBenchError


def _pair(levels: list[tuple[int, int, int]]) -> tuple[torch.Tensor, torch.Tensor]:
    """A 1×N clean image of mid-grey and a rainy one offset by the given 8-bit levels per pixel."""
    clean = torch.full((3, 1, len(levels)), 100 / 255)
    offsets = torch.tensor(levels, dtype=torch.float32).T[:, None, :] / 255
    return clean + offsets, clean


def test_max_rule_is_strictly_above_30_levels_in_any_channel() -> None:
    rainy, clean = _pair([(30, 0, 0), (31, 0, 0), (0, 0, -31), (20, 20, 20)])
    mask = raindrop_mask(rainy, clean)
    assert mask.shape == (1, 1, 4) and mask.dtype == torch.float32
    assert mask.flatten().tolist() == [0, 1, 1, 0]


def test_sum_rule_reproduces_the_tf_port_at_35_levels() -> None:
    rainy, clean = _pair([(12, 12, 11), (12, 12, 10), (30, 0, 0), (-20, 0, 20)])
    mask = raindrop_mask(rainy, clean, threshold=SUM_THRESHOLD, rule="sum")
    assert mask.flatten().tolist() == [1, 0, 0, 1]


def test_gray_rule_uses_luma_so_opposite_colour_shifts_can_cancel() -> None:
    rainy, clean = _pair([(40, 40, 40), (0, 60, 0), (100, -51, 0), (0, 0, 100)])
    mask = raindrop_mask(rainy, clean, rule="gray")
    # luma offsets: 40, 35.2, 0.0, 11.4 levels
    assert mask.flatten().tolist() == [1, 1, 0, 0]


def test_batched_input_gives_a_batched_mask() -> None:
    rainy = torch.rand(2, 3, 8, 9)
    mask = raindrop_mask(rainy, rainy.clone())
    assert mask.shape == (2, 1, 8, 9) and not mask.any()


def test_morphology_fills_holes_and_removes_specks() -> None:
    mask = torch.zeros(1, 20, 20)
    mask[:, 2:12, 2:12] = 1
    mask[:, 6, 6] = 0  # a pin-hole inside a drop
    mask[:, 17, 17] = 1  # an isolated speck of sensor noise
    cleaned = close_then_open(mask, 3)
    assert cleaned[0, 6, 6] == 1 and cleaned[0, 17, 17] == 0
    assert torch.equal(cleaned[:, 2:12, 2:12], torch.ones(1, 10, 10))
    clean = torch.zeros(3, 20, 20)
    assert torch.equal(raindrop_mask(clean + mask, clean, morphology=True, kernel=3), cleaned)


def test_bad_arguments_are_one_line_errors() -> None:
    image = torch.zeros(3, 4, 4)
    with pytest.raises(DerainBenchError, match="unknown mask rule 'mean'"):
        raindrop_mask(image, image, rule="mean")
    with pytest.raises(DerainBenchError, match="one shape"):
        raindrop_mask(image, torch.zeros(3, 4, 5))
    with pytest.raises(DerainBenchError, match="odd kernel"):
        close_then_open(torch.zeros(1, 4, 4), 4)
