"""The leaderboard: one CSV row per (run, test set, protocol), appended under a file lock.

Rows are only ever appended by ``derain-bench eval``; nothing rewrites a value. When a newer
version adds a column, the file is rewritten once with the union of columns (old rows get empty
cells), under the same lock, atomically.
"""

from __future__ import annotations

import csv
import io
import json
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

# What `derain-bench leaderboard` shows by default (the CSV keeps everything).
SUMMARY_COLUMNS = [
    "run_id",
    "generator",
    "discriminator",
    "test_data",
    "protocol",
    "n_images",
    "psnr",
    "ssim",
    "seed",
    "steps",
    "g_params",
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


def to_markdown(frame: pd.DataFrame) -> str:
    """A GitHub-flavoured Markdown table."""
    cells = frame.astype(object).where(frame.notna(), "").astype(str)
    lines = ["| " + " | ".join(map(str, frame.columns)) + " |"]
    lines.append("| " + " | ".join("---" for _ in frame.columns) + " |")
    lines += ["| " + " | ".join(row) + " |" for row in cells.itertuples(index=False)]
    return "\n".join(lines) + "\n"


_LATEX_SPECIAL = {c: f"\\{c}" for c in "&%$#_{}"} | {"~": r"\textasciitilde{}", "±": r"$\pm$"}


def to_latex(frame: pd.DataFrame) -> str:
    """A booktabs LaTeX tabular (needs \\usepackage{booktabs})."""

    def cell(value: object) -> str:
        text = "" if pd.isna(value) else str(value)
        return "".join(_LATEX_SPECIAL.get(c, c) for c in text)

    lines = [r"\begin{tabular}{" + "l" * len(frame.columns) + "}", r"\toprule"]
    lines.append(" & ".join(cell(c) for c in frame.columns) + r" \\")
    lines.append(r"\midrule")
    lines += [" & ".join(cell(v) for v in row) + r" \\" for row in frame.itertuples(index=False)]
    lines += [r"\bottomrule", r"\end{tabular}"]
    return "\n".join(lines) + "\n"


def export(frame: pd.DataFrame, fmt: str) -> str:
    """The table as ``md``, ``latex``, ``csv`` or ``json`` text."""
    if fmt == "md":
        return to_markdown(frame)
    if fmt == "latex":
        return to_latex(frame)
    if fmt == "csv":
        buffer = io.StringIO()
        frame.to_csv(buffer, index=False)
        return buffer.getvalue()
    if fmt == "json":
        return json.dumps(json.loads(frame.to_json(orient="records")), indent=2) + "\n"
    raise DerainBenchError(f"unknown format '{fmt}'; choose table, md, latex, csv or json")
