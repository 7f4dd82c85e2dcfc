"""The leaderboard store: one CSV row per evaluation, written under a file lock.

A row that carries a ``row_key`` (the identity of what was measured: run, checkpoint, test set
content, protocol, options) replaces an earlier row with the same key instead of joining it as
a duplicate, so re-evaluating or resuming a finished run never counts one measurement twice.
Every write keeps the file whole: appends are flushed line by line, rewrites (a replaced row, a
new column) go through a temporary file and an atomic rename, and a line torn by a killed writer
is dropped (with a warning) before anything is joined onto it. Reading skips torn or foreign
lines with a warning instead of failing, and works in folders where no lock can be created.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
from filelock import FileLock

from derainbench.errors import DerainBenchError

DEFAULT_PATH = Path("results") / "leaderboard.csv"
ENV_VARIABLE = "DERAINBENCH_LEADERBOARD"
KEY = "row_key"

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
    "test_set_id",
    "checkpoint",
    KEY,
]


class LeaderboardWarning(UserWarning):
    """A leaderboard line was skipped or dropped (torn by a killed writer, or foreign)."""


def default_path() -> Path:
    """``$DERAINBENCH_LEADERBOARD`` or results/leaderboard.csv."""
    return Path(os.environ.get(ENV_VARIABLE, DEFAULT_PATH))


def check_path(path: Path) -> None:
    """A leaderboard path must name a file: a folder in its place is one line."""
    if path.is_dir():
        raise DerainBenchError(f"leaderboard {path} is a folder; name a CSV file")
    if path.parent.exists() and not path.parent.is_dir():
        raise DerainBenchError(f"leaderboard {path}: {path.parent} is a file, not a folder")


def _lock(path: Path) -> FileLock:
    return FileLock(str(path) + ".lock", timeout=120)


@contextlib.contextmanager
def _reading_lock(path: Path) -> Iterator[None]:
    """The writers' lock, or none where it cannot be created (a read-only folder): readers never
    see a half-written file anyway (rewrites are atomic, torn lines are skipped)."""
    lock = _lock(path)
    try:
        lock.acquire()
    except OSError:
        yield
        return
    try:
        yield
    finally:
        lock.release()


def _parse(text: str, path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """Header and rows of CSV text; rows of the wrong width are skipped with one warning."""
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if not header:
        return [], []
    rows, skipped = [], []
    for line, cells in enumerate(reader, start=2):
        if len(cells) == len(header):
            rows.append(dict(zip(header, cells, strict=True)))
        elif cells:
            skipped.append(line)
    if skipped:
        shown = ", ".join(map(str, skipped[:5])) + (" ..." if len(skipped) > 5 else "")
        warnings.warn(
            f"{path}: skipped {len(skipped)} torn or foreign line(s) ({shown})",
            LeaderboardWarning,
            stacklevel=3,
        )
    return header, rows


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise DerainBenchError(f"{path} is not a text CSV file (not UTF-8)") from None
    except OSError as error:
        raise DerainBenchError(f"cannot read leaderboard {path}: {error.strerror}") from None


def _drop_torn_tail(path: Path) -> None:
    """A killed writer can leave a last line without its newline: drop it, never join onto it."""
    with path.open("rb") as stream:
        stream.seek(0, os.SEEK_END)
        if stream.tell() == 0:
            return
        stream.seek(-1, os.SEEK_END)
        if stream.read(1) == b"\n":
            return
        stream.seek(0)
        data = stream.read()
    keep = data[: data.rfind(b"\n") + 1]
    warnings.warn(
        f"{path}: dropped a torn last line (a writer was killed mid-row)",
        LeaderboardWarning,
        stacklevel=3,
    )
    _atomic_write(path, keep)


def _atomic_write(path: Path, data: bytes) -> None:
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _rewrite(path: Path, header: list[str], rows: list[dict[str, Any]]) -> None:
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    _atomic_write(path, buffer.getvalue().encode("utf-8"))


def append_row(path: Path, row: dict[str, Any]) -> str:
    """Add one row (safe when several processes write at once); a row whose ``row_key``
    is already there replaces it. Returns "appended" or "replaced"."""
    check_path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        lock = _lock(path)
        lock.acquire()
    except OSError as error:
        raise DerainBenchError(f"cannot write leaderboard {path}: {error.strerror}") from None
    try:
        exists = path.is_file() and path.stat().st_size > 0
        if exists:
            _drop_torn_tail(path)
        header, rows = _parse(_read_text(path), path) if exists else ([], [])
        header = header or list(COLUMNS)
        new_columns = [k for k in row if k not in header]
        key = row.get(KEY)
        same = [i for i, old in enumerate(rows) if key is not None and old.get(KEY) == str(key)]
        if exists and not same and not new_columns:
            with path.open("a", newline="", encoding="utf-8") as stream:
                csv.DictWriter(stream, fieldnames=header, lineterminator="\n").writerow(row)
                stream.flush()
                os.fsync(stream.fileno())
            return "appended"
        # A replaced row or a new column: the whole file, rewritten atomically.
        rows = [old for i, old in enumerate(rows) if i not in same[1:]]
        if same:
            rows[same[0]] = row
        else:
            rows.append(row)
        _rewrite(path, header + new_columns, rows)
        return "replaced" if same else "appended"
    finally:
        lock.release()


def read_leaderboard(path: Path) -> pd.DataFrame:
    """The leaderboard as a DataFrame: torn or foreign lines skipped with a warning, rows with
    the same ``row_key`` (written by an older version) counted once, the last kept."""
    check_path(path)
    if not path.is_file():
        raise DerainBenchError(f"no leaderboard at {path} (run `derain-bench eval` to create it)")
    with _reading_lock(path):
        text = _read_text(path)
    header, rows = _parse(text, path)
    if not header:
        raise DerainBenchError(f"leaderboard {path} is empty")
    if "run_id" not in header or not ({"psnr", "ssim"} & set(header)):
        raise DerainBenchError(
            f"{path} is not a derainbench leaderboard (its header has no run_id and scores)"
        )
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    frame = pd.read_csv(io.StringIO(buffer.getvalue()))
    if KEY in frame:
        keyed = frame[KEY].notna()
        frame = pd.concat(
            [frame[~keyed], frame[keyed].drop_duplicates(KEY, keep="last")]
        ).sort_index()
    return frame
