"""The wheel installs one namespace, derainbench, and nothing named models/losses/datasets."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SUBPACKAGES = [
    "derainbench",
    "derainbench/benchmarks",
    "derainbench/benchmarks/originals",
    "derainbench/cli",
    "derainbench/config",
    "derainbench/evaluation",
    "derainbench/experiments",
    "derainbench/metrics",
    "derainbench/recipes",
    "derainbench/reporting",
    "derainbench/training",
    "derainbench/models",
    "derainbench/models/generators",
    "derainbench/models/discriminators",
    "derainbench/losses",
    "derainbench/datasets",
    "derainbench/datasets/synthdrop",
]


def source_packages() -> set[str]:
    """Every folder of the source tree that holds an __init__.py, as an installed path."""
    mapping = {"bench": "derainbench", "models": "derainbench/models",
               "losses": "derainbench/losses", "datasets": "derainbench/datasets"}  # fmt: skip
    found = set()
    for top, installed in mapping.items():
        for init in (REPO / top).rglob("__init__.py"):
            relative = init.parent.relative_to(REPO / top).as_posix()
            found.add(installed if relative == "." else f"{installed}/{relative}")
    return found


def test_wheel_holds_every_subpackage_under_one_namespace(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(tmp_path), str(REPO)],
        check=True, capture_output=True, cwd=tmp_path,
    )  # fmt: skip
    wheel = next(tmp_path.glob("derainbench-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    packages = {n.rsplit("/", 1)[0] for n in names if n.endswith("/__init__.py")}
    assert set(SUBPACKAGES) <= packages
    assert source_packages() <= packages, "a source package is missing from pyproject"
    top_level = {n.split("/", 1)[0] for n in names if "/" in n}
    assert top_level == {"derainbench", wheel.name.split("-py3")[0] + ".dist-info"}
    assert "derainbench/recipes/pix2pix.toml" in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert (
        "derain-bench = derainbench.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()
    )
