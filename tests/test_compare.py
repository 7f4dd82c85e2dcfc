"""Paired comparison of two evaluations over the same images."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from derainbench.cli import app
from derainbench.errors import DerainBenchError
from derainbench.reporting.comparison import compare


def frames(offset: float, n: int = 40, noise: float = 0.3):
    rng = np.random.default_rng(1)
    base = rng.normal(30, 2, n)
    a = pd.DataFrame({"image": [f"{i}.png" for i in range(n)], "psnr": base})
    b = a.assign(psnr=base + offset + rng.normal(0, noise, n))
    return a, b


@pytest.mark.parametrize("method", ["bootstrap", "wilcoxon"])
def test_a_real_improvement_is_detected(method) -> None:
    a, b = frames(offset=0.5)
    result = compare(a, b, method=method)
    assert result.difference == pytest.approx((b.psnr - a.psnr).mean())
    assert result.low > 0 and result.p_value < 0.001
    assert result.b_better > 35


@pytest.mark.parametrize("method", ["bootstrap", "wilcoxon"])
def test_no_difference_is_not_called_significant(method) -> None:
    a, b = frames(offset=0.0)
    result = compare(a, b, method=method)
    assert result.low < 0 < result.high and result.p_value > 0.05


def test_pairing_is_by_image_not_by_row_order() -> None:
    a, b = frames(offset=1.0, noise=0.0)
    result = compare(a, b.iloc[::-1].reset_index(drop=True))
    assert result.difference == pytest.approx(1.0) and result.low == pytest.approx(1.0)


def test_different_test_sets_are_refused() -> None:
    a, b = frames(offset=0.0)
    with pytest.raises(DerainBenchError, match="different images"):
        compare(a, b.assign(image=b.image.str.replace("1", "x")))


def test_cli_reads_per_image_csvs(tmp_path) -> None:
    a, b = frames(offset=0.5)
    for name, frame in (("a", a), ("b", b)):
        folder = tmp_path / name / "eval"
        folder.mkdir(parents=True)
        frame.to_csv(folder / "set_test__y-matlab__eval.csv", index=False)
    result = CliRunner().invoke(
        app, ["compare", str(tmp_path / "a"), str(tmp_path / "b"), "--json"]
    )
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["n_images"] == 40 and report["difference"] > 0.3
    result = CliRunner().invoke(app, ["compare", str(tmp_path / "a"), str(tmp_path / "nowhere")])
    assert result.exit_code == 2 and "has no evaluations" in result.stderr
