"""The qualitative figure: the same test images across runs, labelled with per-image PSNR under
the runs' protocol, the zoomed region where the rain is, and one-line refusals."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from PIL import Image
from typer.testing import CliRunner

import derainbench as db
from derainbench.cli import app
from derainbench.errors import DerainBenchError
from derainbench.experiments import figure as figure_module
from derainbench.experiments.run_set import run_labels
from derainbench.registries import DATASETS, PROTOCOLS
from derainbench.reporting.comparison_figure import inset_corner, zoom_region
from tests.conftest import tiny_config


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    root = tmp_path_factory.mktemp("runs")
    runs = []
    for seed in (0, 1):
        config = tiny_config("run.tensorboard=false", steps=2, seed=seed)
        runs.append(db.run(config, run_dir=root / f"s{seed}", evaluate=False).run_dir)
    return runs


def test_the_zoomed_region_is_where_the_rain_changed_the_image() -> None:
    clean = torch.full((3, 64, 96), 0.5)
    rainy = clean.clone()
    rainy[:, 40:52, 70:82] = 1.0  # one drop, lower right
    top, left, side = zoom_region(rainy, clean)
    assert side == 16
    assert top <= 40 and top + side >= 52 and left <= 70 and left + side >= 82
    # The inset goes to the opposite corner (upper left), never over the region.
    x, y, _, height = inset_corner(top, left, side, 64, 96)
    assert (x, y) == (0.0, 1 - height)


def test_runs_that_read_alike_are_told_apart_by_seed() -> None:
    class Run:
        def __init__(self, recipe: str, seed: int) -> None:
            self.config = tiny_config(seed=seed)
            self.config_hash = self.config.hash
            object.__setattr__(self.config.recipe, "name", recipe)

    labels = run_labels([Run("pix2pix", 0), Run("pix2pix", 1)])  # type: ignore[list-item]
    assert labels == ["pix2pix s0", "pix2pix s1"]
    assert figure_module._spread(3, 10) == [0, 4, 9] and figure_module._spread(5, 2) == [0, 1]


def test_the_figure_has_a_column_per_run_and_scores_under_the_protocol(
    two_runs: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    drawn = {}

    def capture(rows, columns, out, title):
        drawn.update(rows=rows, columns=columns, title=title)
        return real(rows, columns, out, title)

    real = figure_module.draw_comparison
    monkeypatch.setattr(figure_module, "draw_comparison", capture)
    out = db.figure(two_runs, tmp_path / "fig.png", images=2, device="cpu")
    assert drawn["columns"] == ["rainy input", "pix2pix s0", "pix2pix s1", "clean"]
    protocol = PROTOCOLS.create("y-matlab")
    for row in drawn["rows"]:
        rainy, *restored, clean = row.panels
        expected = [protocol.evaluate(p[None], clean[None])["psnr"].item()
                    for p in (rainy, *restored)]  # fmt: skip
        assert row.captions[:-1] == [f"{value:.2f} dB" for value in expected]
        assert row.best == max(range(3), key=lambda k: expected[k])  # the input included
    with Image.open(out) as image:
        assert image.width > image.height  # four columns, two rows


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--out", "fig.jpg"], "the figure is written as a .png file"),
        (["--images", "0"], "--images must be at least 1"),
        (["--checkpoint", "best"], "has no best checkpoint"),
    ],
)
def test_bad_figure_requests_are_one_line(
    two_runs: list[Path], tmp_path: Path, args: list[str], message: str
) -> None:
    result = CliRunner().invoke(
        app, ["figure", *map(str, two_runs), "--device", "cpu", *args], catch_exceptions=False
    )
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output


def test_runs_with_different_test_data_need_one_named(two_runs: list[Path], tmp_path) -> None:
    other = tiny_config("run.tensorboard=false", "data.test.n=2", steps=1)
    elsewhere = db.run(other, run_dir=tmp_path / "other", evaluate=False).run_dir
    with pytest.raises(DerainBenchError, match="pass --test-data"):
        db.figure([two_runs[0], elsewhere], tmp_path / "fig.png", device="cpu")
    db.figure([two_runs[0], elsewhere], tmp_path / "fig.png", images=1, device="cpu",
              test_data="toyrain-sk:test")  # fmt: skip
    assert (tmp_path / "fig.png").is_file()


def test_the_attention_strip_shows_mask_and_every_step(tmp_path, monkeypatch) -> None:
    from tests.test_attentive_losses import tiny_attentive

    run = db.run(tiny_attentive("run.tensorboard=false", "generator.recurrent_steps=3"),
                 run_dir=tmp_path / "attentive", evaluate=False).run_dir  # fmt: skip
    drawn = {}
    real = figure_module.draw_attention_strip

    def capture(rows, out, title):
        drawn["rows"] = rows
        return real(rows, out, title)

    monkeypatch.setattr(figure_module, "draw_attention_strip", capture)
    out = db.attention_strip(run, tmp_path / "strip.png", images=2, device="cpu")
    assert out.is_file()
    test_set = DATASETS.create("synthdrop-sk", split="test", n=2, size=36)
    for row in drawn["rows"]:
        assert len(row.maps) == 3 and all(m.shape == row.mask.shape for m in row.maps)
        index = test_set.pair_names().index(row.name)
        rainy, clean = test_set.load_pair(index)
        assert torch.equal(row.mask, test_set.load_mask(index, rainy, clean))


def test_the_attention_strip_needs_an_attentive_run(two_runs, tmp_path) -> None:
    with pytest.raises(DerainBenchError, match="produces no attention maps"):
        db.attention_strip(two_runs[0], tmp_path / "strip.png", device="cpu")
    result = CliRunner().invoke(app, ["figure", str(two_runs[0]), "--attention",
                                      str(two_runs[1])])  # fmt: skip
    assert result.exit_code == 2 and "--attention draws one run" in result.output
