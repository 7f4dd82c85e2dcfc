"""``derain-bench report``: one self-contained HTML page (nothing fetched, no script) with the
leaderboard and the rainy input, the plots, the figure and the configurations; rendered by a
real headless browser with no console errors."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import derainbench as db
from derainbench.errors import DerainBenchError
from tests.conftest import tiny_config


@pytest.fixture(scope="module")
def reported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path], Path]:
    root = tmp_path_factory.mktemp("report")
    board = root / "board.csv"
    runs = []
    for seed in (0, 1):
        config = tiny_config("run.tensorboard=false", steps=2, seed=seed)
        runs.append(db.run(config, run_dir=root / f"s{seed}", leaderboard=board).run_dir)
    out = db.report(root / "report.html", runs=runs, leaderboard=board, device="cpu")
    return out, runs, board


def test_the_page_is_self_contained_and_holds_every_part(reported) -> None:
    out, runs, _ = reported
    page = out.read_text(encoding="utf-8")
    assert "<script" not in page and not re.search(r'(src|href)="(https?:)?//', page)
    images = re.findall(r'<img alt="([^"]+)" src="data:image/png;base64,', page)
    assert images == ["Quality against cost", "Qualitative comparison"]
    assert "<tr class=input><td>rainy-input</td>" in page  # doing nothing, shaded
    assert page.count("<td>pix2pix</td>") == 1  # the two seeds pooled into one configuration
    for run in runs:  # every run's configuration, as written in its folder
        assert f"<summary>{run.name}</summary>" in page
    assert "[generator]" in page


def test_a_report_needs_rows_and_an_html_name(reported, tmp_path) -> None:
    _, runs, board = reported
    with pytest.raises(DerainBenchError, match="written as an .html file"):
        db.report(tmp_path / "report.pdf", runs=runs, leaderboard=board)
    with pytest.raises(DerainBenchError, match="no leaderboard rows"):
        db.report(tmp_path / "r.html", runs=runs, leaderboard=board, where=["recipe=none"])
    with pytest.raises(DerainBenchError, match="is not a run folder"):
        db.report(tmp_path / "r.html", runs=[tmp_path], leaderboard=board)


def _chromium() -> str:
    """A headless Chromium: on the PATH, or installed from Debian's packages when this machine
    can (root and apt-get); otherwise the test is skipped with the reason."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if path := shutil.which(name):
            return path
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        pytest.skip("no Chromium on this machine, and no apt-get as root to install it")
    installed = subprocess.run(
        ["apt-get", "install", "-y", "--no-install-recommends", "chromium"],
        capture_output=True, text=True, timeout=900,
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
    )  # fmt: skip
    if installed.returncode != 0 or shutil.which("chromium") is None:
        pytest.skip(f"Chromium could not be installed: {installed.stderr.strip()[-200:]}")
    return str(shutil.which("chromium"))


def test_a_real_browser_renders_the_page_without_console_errors(reported, tmp_path) -> None:
    out, _, _ = reported
    browser = _chromium()
    shot = tmp_path / "report.png"
    rendered = subprocess.run(
        [browser, "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         "--window-size=1200,2400", "--enable-logging=stderr", "--v=0",
         f"--screenshot={shot}", out.resolve().as_uri()],
        capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert rendered.returncode == 0, rendered.stderr[-2000:]
    console = [line for line in rendered.stderr.splitlines() if "CONSOLE" in line]
    assert console == [], console
    pixels = np.asarray(Image.open(shot).convert("L"), dtype=np.float32)
    assert pixels.shape == (2400, 1200)
    assert pixels.std() > 20  # text, tables and plots, not a blank or an error page


def test_a_sweep_is_reported_from_its_finished_cells(tmp_path) -> None:
    from tests.test_sweep import sweep_file

    spec = sweep_file(tmp_path, '"generator.ngf" = [4, 8]', seeds="[0]")
    with pytest.raises(DerainBenchError, match="has no finished cell"):
        db.report(tmp_path / "empty.html", sweep=spec)
    spec_text = Path(spec).read_text(encoding="utf-8").replace("processes = 2", "processes = 1")
    Path(spec).write_text(spec_text, encoding="utf-8")
    db.sweep(spec)
    page = db.report(tmp_path / "sweep.html", sweep=spec, device="cpu").read_text("utf-8")
    assert page.count("<td>pix2pix</td>") == 2  # the two grid points, each a configuration
    assert "<tr class=input>" in page and page.count("<details>") == 2
