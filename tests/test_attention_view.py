"""Attention you can see: heat-map overlays in sample grids and from `derain --attention`."""

from __future__ import annotations

import pytest
import torch
from PIL import Image
from typer.testing import CliRunner

import derainbench
from derainbench.cli import app
from derainbench.datasets.image_io import save_png
from derainbench.errors import DerainBenchError
from derainbench.evaluation.attention_view import attention_overlays, jet
from derainbench.training.loop import train
from derainbench.training.samples import HEADER, save_sample_grid
from tests.conftest import tiny_config
from tests.test_attentive_losses import tiny_attentive


def test_jet_runs_from_blue_through_green_to_red() -> None:
    values = torch.tensor([0.0, 0.5, 1.0]).view(1, 1, 1, 3)
    colours = jet(values)[0, :, 0].T.tolist()
    assert colours == [[0.0, 0.0, 0.5], [0.5, 1.0, 0.5], [0.5, 0.0, 0.0]]


def test_one_overlay_per_step_clipped_or_stretched() -> None:
    image = torch.full((2, 3, 8, 8), 0.2)
    maps = [torch.full((2, 1, 8, 8), -3.0), torch.full((2, 1, 8, 8), 7.0)]
    maps[1][..., 0, 0] = 0.5
    overlays = attention_overlays(image, maps, alpha=1.0)
    assert len(overlays) == 2 and all(o.shape == (2, 3, 8, 8) for o in overlays)
    # Clipped: −3 is the colour of 0 and 7 the colour of 1, everywhere.
    assert torch.allclose(overlays[0], jet(torch.zeros(2, 1, 8, 8)))
    assert torch.allclose(overlays[1][..., 1, 1], jet(torch.ones(2, 1, 1, 1))[..., 0, 0])
    stretched = attention_overlays(image, maps, alpha=1.0, scale="minmax")
    assert torch.allclose(stretched[0], jet(torch.zeros(2, 1, 8, 8)))  # the minimum of both
    half = attention_overlays(image, maps, alpha=0.5)[0]
    assert torch.allclose(half, 0.5 * image + 0.5 * jet(torch.zeros(2, 1, 8, 8)))
    with pytest.raises(DerainBenchError, match="unknown attention scale 'log'"):
        attention_overlays(image, maps, scale="log")


@pytest.mark.parametrize(("steps", "columns"), [(3, 6), (0, 3)])
def test_sample_grid_gains_one_column_per_attention_map(tmp_path, steps, columns) -> None:
    torch.manual_seed(0)
    generator = derainbench.create_generator("attentive", recurrent_steps=steps, width=0.125)
    rainy, clean = torch.rand(2, 3, 16, 20), torch.rand(2, 3, 16, 20)
    grid = save_sample_grid(generator, rainy, clean, tmp_path / "grid.png", step=7)
    width, height = Image.open(tmp_path / "grid.png").size
    # One tile per column, and a band above the grid for the column titles and the step.
    assert (width, height) == (2 + columns * (20 + 2), HEADER + 2 + 2 * (16 + 2))
    assert grid.shape == (3, height, width)
    band = grid[:, :HEADER]
    assert (band < 0.5).any(), "the title band holds text"


def test_derain_writes_attention_overlays(tmp_path) -> None:
    train(tiny_attentive(steps=1), tmp_path / "run")
    images = tmp_path / "images"
    for name, side in (("a", 36), ("b", 30)):  # 30 is no multiple of 4: padded and cropped back
        save_png(torch.rand(3, side, side + 4), images / f"{name}.png")
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["derain", str(tmp_path / "run"), str(images), "--out", str(out), "--attention"]
    )
    assert result.exit_code == 0, result.stderr
    for name, side in (("a", 36), ("b", 30)):
        assert Image.open(out / f"{name}.png").size == (side + 4, side)
        for step in (1, 2, 3, 4):
            overlay = Image.open(out / "attention" / f"{name}_step{step}.png")
            assert overlay.size == (side + 4, side)


def test_derain_attention_with_a_generator_without_attention_is_one_line(tmp_path) -> None:
    train(tiny_config(steps=1), tmp_path / "run")
    save_png(torch.rand(3, 32, 32), tmp_path / "images" / "a.png")
    result = CliRunner().invoke(
        app, ["derain", str(tmp_path / "run"), str(tmp_path / "images"), "--attention"]
    )
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "error: --attention: generator 'unet' of this run produces no attention maps"
    )
