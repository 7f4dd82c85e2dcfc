"""The folder of one training run and what lives in it.

RUN/config.toml          the resolved configuration (with its hash in a header line)
RUN/log.csv              losses and learning rates per logged step
RUN/samples/step_N.png   rainy | restored | clean grids
RUN/checkpoints/last.pt  the latest checkpoint (written atomically)
RUN/eval/*.csv           per-image evaluation results
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from derainbench.config import to_toml


def default_run_id(config: dict[str, Any], config_hash: str) -> str:
    """A readable, stable name: recipe-generator-discriminator-hash8-sSEED."""
    parts = [
        config["recipe"]["name"],
        config["generator"]["name"],
        config["discriminator"]["name"],
        config_hash[:8],
        f"s{config['train']['seed']}",
    ]
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", "-".join(parts))


@dataclass(frozen=True)
class RunFolder:
    """Paths inside a run folder."""

    root: Path

    @property
    def run_id(self) -> str:
        return self.root.name

    @property
    def config_path(self) -> Path:
        return self.root / "config.toml"

    @property
    def log_path(self) -> Path:
        return self.root / "log.csv"

    @property
    def checkpoint_path(self) -> Path:
        return self.root / "checkpoints" / "last.pt"

    @property
    def samples_dir(self) -> Path:
        return self.root / "samples"

    @property
    def eval_dir(self) -> Path:
        return self.root / "eval"

    def sample_path(self, step: int) -> Path:
        return self.samples_dir / f"step_{step:07d}.png"

    def write_config(self, config: dict[str, Any], config_hash: str) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        header = f"# resolved configuration of run {self.run_id}\n# config_hash = {config_hash}\n"
        self.config_path.write_text(header + to_toml(config), encoding="utf-8")


class LossLog:
    """Appends one CSV row per logged step; on resume, drops rows past the checkpoint."""

    def __init__(self, path: Path, resume_step: int) -> None:
        self.path = path
        self.columns: list[str] | None = None
        rows: list[dict[str, str]] = []
        if path.exists():
            with path.open(newline="", encoding="utf-8") as stream:
                reader = csv.DictReader(stream)
                self.columns = list(reader.fieldnames or []) or None
                rows = [r for r in reader if int(r["step"]) <= resume_step]
        if resume_step == 0:
            rows, self.columns = [], None
        if self.columns is not None:
            self._write_all(rows)

    def _write_all(self, rows: list[dict[str, str]]) -> None:
        assert self.columns is not None
        with self.path.open("w", newline="", encoding="utf-8") as stream:
            writer = csv.DictWriter(stream, fieldnames=self.columns)
            writer.writeheader()
            writer.writerows(rows)

    def append(self, row: dict[str, float | int]) -> None:
        if self.columns is None:
            self.columns = list(row)
            self._write_all([])
        with self.path.open("a", newline="", encoding="utf-8") as stream:
            writer = csv.DictWriter(stream, fieldnames=self.columns, extrasaction="ignore")
            writer.writerow(row)
