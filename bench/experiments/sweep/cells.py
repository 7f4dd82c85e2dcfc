"""One sweep cell as a job, and what a cell's folder says about it.

A job trains and evaluates its cell through the experiment runner (resuming what an earlier
attempt left) and writes ``sweep-cell.json`` into the run folder when it ends: done (with its
scores) or failed (with the one-line reason). Running is told by the run folder's training
lock, so a status never needs the executor that started the job.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout
from rich.console import Console

from derainbench.config import ExperimentConfig
from derainbench.errors import DerainBenchError
from derainbench.evaluation.evaluate import EvaluationOptions
from derainbench.experiments.runner import run_experiment
from derainbench.training.stopping import TrainingInterruptedError

STATE_FILE = "sweep-cell.json"
STATUSES = ("done", "running", "submitted", "failed", "pending", "refused", "duplicate")


def write_state(run_dir: Path, status: str, **details: Any) -> None:
    """Record how a job ended (atomically: a status never reads half a file)."""
    run_dir.mkdir(parents=True, exist_ok=True)
    temporary = run_dir / f".{STATE_FILE}.tmp"
    temporary.write_text(json.dumps({"status": status, **details}, sort_keys=True) + "\n",
                         encoding="utf-8")  # fmt: skip
    os.replace(temporary, run_dir / STATE_FILE)


def read_state(run_dir: Path) -> dict[str, Any]:
    """What the last job of a cell recorded ({} when none has ended)."""
    try:
        return json.loads((run_dir / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}


def run_cell(
    config: ExperimentConfig,
    run_dir: Path,
    leaderboard: Path | None,
    threads: int | None = None,
    columns: Mapping[str, Any] | None = None,
    record: bool = True,
) -> dict[str, Any]:
    """A job: train and evaluate one cell (its row with the extra ``columns``, unless not
    ``record``ed); its scores, or its failure, also written to the run folder. A stop by a
    signal is not a failure: the checkpoint stays and the next attempt continues from it."""
    if threads is not None:
        import torch

        torch.set_num_threads(threads)
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / STATE_FILE).unlink(missing_ok=True)  # this attempt's ending replaces the last
    with (run_dir / "console.log").open("a", encoding="utf-8") as stream:
        console = Console(file=stream, width=120, force_terminal=False)
        try:
            result = run_experiment(
                config, run_dir=run_dir, resume=True, leaderboard=leaderboard, record=record,
                options=EvaluationOptions(columns=dict(columns or {})), skip_if_recorded=True,
                console=console,
            )  # fmt: skip
        except TrainingInterruptedError:
            raise
        except DerainBenchError as error:
            write_state(run_dir, "failed", error=str(error))
            return {"status": "failed", "error": str(error)}
        except Exception as error:  # a bug or a crash: still one line in the status
            line = f"{type(error).__name__}: {error}".splitlines()[0]
            write_state(run_dir, "failed", error=line)
            raise
    means = result.evaluation.means if result.evaluation is not None else {}
    scores = {k: v for k, v in means.items() if v == v}  # NaN (an empty LPIPS) left out
    write_state(run_dir, "done", scores=scores, steps=result.training.steps)
    return {"status": "done", "scores": scores}


@dataclass(frozen=True)
class CellStatus:
    """A cell's state and a short detail (scores, the failure's line, progress)."""

    status: str
    detail: str = ""


def _training_now(run_dir: Path) -> bool:
    lock = run_dir / ".train.lock"
    if not lock.exists():
        return False
    probe = FileLock(str(lock), timeout=0)
    try:
        probe.acquire()
    except Timeout:
        return True  # a trainer holds it
    except OSError:
        return False  # cannot tell (a read-only folder): not claimed as running
    probe.release()
    return False


def _progress(run_dir: Path, total: int) -> str:
    """ "step N/TOTAL" from the last line of log.csv, or "" before the first log."""
    try:
        lines = (run_dir / "log.csv").read_text(encoding="utf-8").splitlines()
        step = int(lines[-1].split(",")[0]) if len(lines) > 1 else 0
    except (OSError, ValueError):
        return ""
    return f"step {step}/{total}" if step else ""


def cell_status(run_dir: Path, total_steps: int) -> CellStatus:
    """What a run folder says: done, running (its training lock is held), submitted (to a
    queue, not started), failed or pending (with its progress if an earlier attempt was
    interrupted)."""
    if _training_now(run_dir):
        return CellStatus("running", _progress(run_dir, total_steps))
    state = read_state(run_dir)
    if state.get("status") == "done":
        scores = state.get("scores", {})
        return CellStatus("done", "  ".join(f"{k} {v:.4f}" for k, v in sorted(scores.items())))
    if state.get("status") == "failed":
        return CellStatus("failed", str(state.get("error", "")))
    if state.get("status") == "submitted":
        return CellStatus("submitted", f"job {state.get('job', '?')}, not started yet")
    progress = _progress(run_dir, total_steps)
    return CellStatus("pending", f"interrupted at {progress}" if progress else "")
