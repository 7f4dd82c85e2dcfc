"""The README's code runs as written: the Python API example end to end, the model snippet as
a registered component that honours the contract."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[1]


def python_block_after(heading: str) -> str:
    """The first ```python block of the README section ``heading``."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]
    match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert match is not None, f"no Python block under '{heading}'"
    return match.group(1)


def test_the_python_api_example_runs_as_written(tmp_path) -> None:
    code = python_block_after("Python API")
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.splitlines()
    assert "generator parameters" in result.stdout
    assert any("'psnr'" in line for line in lines)  # the two evaluations' means
    assert "p_value=" in result.stdout  # the paired comparison
    assert "l1-only" in result.stdout and "gan" in result.stdout  # the leaderboard rows
    assert not any(tmp_path.iterdir()), "the example writes into a folder of its own"


def test_the_model_snippet_registers_a_working_generator(registry_snapshot) -> None:
    from derainbench.contracts import Generator, Restoration
    from derainbench.registries import GENERATORS

    namespace: dict = {"__name__": "readme_my_net"}
    exec(python_block_after("Adding a model"), namespace)  # the README's own code
    generator = GENERATORS.create("my-net", **GENERATORS.get("my-net").info.test_kwargs)
    assert isinstance(generator, Generator) and generator.multiple_of == 4
    out = generator(torch.rand(1, 3, 8, 12))
    assert isinstance(out, Restoration) and out.image.shape == (1, 3, 8, 12)
