"""`derain-bench score`: other methods' outputs scored against ground truth, paired by name."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from derainbench.cli import app
from tests.test_protocols import PAIRS, _load, reference


@pytest.fixture
def folders(tmp_path: Path) -> tuple[Path, Path]:
    preds, gts = tmp_path / "preds", tmp_path / "gt"
    preds.mkdir(), gts.mkdir()
    for index, gt in enumerate(PAIRS):
        # Raindrop naming on the ground-truth side, bare numbers on the prediction side.
        shutil.copy(gt, gts / f"{index}_clean.png")
        shutil.copy(gt.with_name(gt.name.replace("_gt", "_pred")), preds / f"{index}.png")
    return preds, gts


def test_scores_match_the_reference_per_image(folders, tmp_path) -> None:
    preds, gts = folders
    result = CliRunner().invoke(
        app, ["score", str(preds), str(gts), "--protocol", "y-matlab", "--protocol", "rgb",
              "--json", "--csv", str(tmp_path / "s.csv")],
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["n_images"] == len(PAIRS)
    for record in report["per_image"]:
        gt = PAIRS[int(record["image"])]
        pred = _load(gt.with_name(gt.name.replace("_gt", "_pred")))
        for protocol in ("y-matlab", "rgb"):
            psnr, ssim = reference(protocol, pred, _load(gt))
            assert record[f"psnr_{protocol}"] == pytest.approx(psnr, abs=1e-4)
            assert record[f"ssim_{protocol}"] == pytest.approx(ssim, abs=1e-5)
    assert (tmp_path / "s.csv").read_text().startswith("image,height,width,psnr_y-matlab")


def test_size_mismatch_and_missing_ground_truth_are_one_line(folders) -> None:
    preds, gts = folders
    Image.new("RGB", (10, 10)).save(preds / "0.png")
    result = CliRunner().invoke(app, ["score", str(preds), str(gts)])
    assert result.exit_code == 2
    assert "nothing is resized" in result.stderr and len(result.stderr.splitlines()) == 1
    (preds / "0.png").unlink()
    Image.new("RGB", (10, 10)).save(preds / "99.png")
    result = CliRunner().invoke(app, ["score", str(preds), str(gts)])
    assert result.exit_code == 2 and "99.png" in result.stderr
