"""The leaderboard: one CSV row per (run, test set, protocol), appended under a file lock.

Rows are only ever appended by ``derain-bench eval``; nothing rewrites a value. When a newer
version adds a column, the file is rewritten once with the union of columns (old rows get empty
cells), under the same lock, atomically.
"""

from __future__ import annotations

import csv
import os
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
from filelock import FileLock

from derainbench.errors import DerainBenchError

DEFAULT_PATH = Path("results") / "leaderboard.csv"
ENV_VARIABLE = "DERAINBENCH_LEADERBOARD"

COLUMNS = [
    "time",
    "run_id",
    "config_hash",
    "recipe",
    "generator",
    "discriminator",
    "objective",
    "terms",
    "train_data",
    "test_data",
    "protocol",
    "g_mode",
    "n_images",
    "psnr",
    "ssim",
    "lpips_alex",
    "lpips_alex_note",
    "seed",
    "steps",
    "g_params",
    "d_params",
    "g_macs",
    "latency_ms",
    "peak_memory_mb",
    "cost_size",
    "train_seconds",
    "eval_seconds",
    "precision",
    "device",
    "versions",
    "git_commit",
    "data_info",
    "train_data_info",
]


def default_path() -> Path:
    """``$DERAINBENCH_LEADERBOARD`` or results/leaderboard.csv."""
    return Path(os.environ.get(ENV_VARIABLE, DEFAULT_PATH))


def _lock(path: Path) -> FileLock:
    return FileLock(str(path) + ".lock", timeout=120)


def append_row(path: Path, row: dict[str, Any]) -> None:
    """Append one row; safe when several processes append at once."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with _lock(path):
        header = _read_header(path)
        if header is None:
            header = COLUMNS + [k for k in row if k not in COLUMNS]
            _rewrite(path, header, [])
        elif any(k not in header for k in row):
            header = header + [k for k in row if k not in header]
            with path.open(newline="", encoding="utf-8") as stream:
                rows = list(csv.DictReader(stream))
            _rewrite(path, header, rows)
        with path.open("a", newline="", encoding="utf-8") as stream:
            csv.DictWriter(stream, fieldnames=header, extrasaction="raise").writerow(row)
            stream.flush()
            os.fsync(stream.fileno())


def _read_header(path: Path) -> list[str] | None:
    if not path.exists() or path.stat().st_size == 0:
        return None
    with path.open(newline="", encoding="utf-8") as stream:
        return next(csv.reader(stream), None)


def _rewrite(path: Path, header: list[str], rows: list[dict[str, str]]) -> None:
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(handle, "w", newline="", encoding="utf-8") as stream:
        writer = csv.DictWriter(stream, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)
    os.replace(temporary, path)


def read_leaderboard(path: Path) -> pd.DataFrame:
    """The leaderboard as a DataFrame (an error if the file does not exist)."""
    if not path.is_file():
        raise DerainBenchError(f"no leaderboard at {path} (run `derain-bench eval` to create it)")
    with _lock(path):
        return pd.read_csv(path)
