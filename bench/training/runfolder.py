"""The folder of one training run and what lives in it.

RUN/config.toml          the resolved configuration (with its hash in a header line)
RUN/log.csv              losses and learning rates per logged step
RUN/validation.csv       validation scores (and the generator average's) every validate_every
RUN/tensorboard/         TensorBoard events: losses, rates, validation, sample grids
RUN/samples/step_N.png   rainy | restored | clean grids
RUN/checkpoints/last.pt  the latest checkpoint (written atomically), with the weight average
RUN/checkpoints/best.pt  the generator at its best validation score
RUN/eval/*.csv           per-image evaluation results, one per (test set, protocol, mode)

This module is the one place that spells the layout.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import re
import tempfile
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from derainbench.config import ExperimentConfig, resolve, to_toml
from derainbench.errors import DerainBenchError
from derainbench.plugins import load_plugin

CHECKPOINT_NAME = "last.pt"
BEST_NAME = "best.pt"


def default_run_id(config: ExperimentConfig) -> str:
    """A readable, stable name: recipe-generator-discriminator-hash8-sSEED."""
    parts = [
        config.recipe.name,
        config.generator.name,
        config.discriminator.name,
        config.hash[:8],
        f"s{config.train.seed}",
    ]
    return safe_name("-".join(parts))


def safe_name(text: str) -> str:
    """``text`` with anything but letters, digits, ``-_.`` replaced, for file names."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text)


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
        return self.root / "checkpoints" / CHECKPOINT_NAME

    @property
    def best_checkpoint_path(self) -> Path:
        return self.root / "checkpoints" / BEST_NAME

    @property
    def validation_path(self) -> Path:
        return self.root / "validation.csv"

    @property
    def tensorboard_dir(self) -> Path:
        return self.root / "tensorboard"

    @property
    def lock_path(self) -> Path:
        return self.root / ".train.lock"

    def prepare(self) -> list[Path]:
        """Create the folder (a file in its place is one line); the folders it created."""
        if self.root.exists() and not self.root.is_dir():
            raise DerainBenchError(f"run folder {self.root} is a file, not a folder")
        created = [p for p in (self.root, *self.root.parents) if not p.exists()]
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            message = f"cannot create run folder {self.root}: {error.strerror}"
            raise DerainBenchError(message) from None
        return created

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the folder for one training process: a second one is refused, not interleaved."""
        lock = FileLock(str(self.lock_path), timeout=0)
        try:
            lock.acquire()
        except Timeout:
            raise DerainBenchError(
                f"{self.root} is being trained by another process; wait for it to finish or "
                f"choose another --run-dir"
            ) from None
        except OSError as error:
            raise DerainBenchError(
                f"cannot lock run folder {self.root}: {error.strerror}"
            ) from None
        try:
            yield
        finally:
            lock.release()

    def remove_if_empty(self, created: list[Path]) -> None:
        """Remove the folders :meth:`prepare` created, if they hold nothing but the lock file."""
        if not created:
            return
        self.lock_path.unlink(missing_ok=True)
        with contextlib.suppress(OSError):  # not empty: something was written, keep it
            for folder in created:
                folder.rmdir()

    def remove_orphans(self) -> list[Path]:
        """Delete the temporary files a killed checkpoint write left behind; the removed ones."""
        folder = self.checkpoint_path.parent
        orphans = sorted(folder.glob(".*.pt.*")) if folder.is_dir() else []
        for orphan in orphans:
            orphan.unlink(missing_ok=True)
        return orphans

    @property
    def samples_dir(self) -> Path:
        return self.root / "samples"

    @property
    def eval_dir(self) -> Path:
        return self.root / "eval"

    def sample_path(self, step: int) -> Path:
        return self.samples_dir / f"step_{step:07d}.png"

    def per_image_csv(
        self, test_label: str, protocol: str, mode: str, checkpoint: str, content_id: str
    ) -> Path:
        """Where an evaluation's per-image values go: one file per test set (by content: two
        sets with one label do not overwrite each other), protocol, mode and checkpoint."""
        name = f"{safe_name(test_label)}__{protocol}__{mode}__{checkpoint}__{content_id[:8]}.csv"
        return self.eval_dir / name

    def write_evaluation(self, path: Path, frame: Any, identity: dict[str, Any]) -> None:
        """An evaluation's per-image CSV and, beside it, what it measured (``.json``), each
        written whole or not at all."""
        text = json.dumps(identity, indent=2, sort_keys=True, ensure_ascii=True) + "\n"
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            _write_atomic(path, frame.to_csv(index=False).encode("utf-8"))
            _write_atomic(path.with_suffix(".json"), text.encode("utf-8"))
        except OSError as error:
            message = f"cannot write the evaluation into {path.parent}: {error.strerror}"
            raise DerainBenchError(message) from None

    def find_per_image_csv(
        self, test_label: str | None, protocol: str, mode: str, checkpoint: str = "last"
    ) -> Path:
        """The one per-image CSV for (protocol, mode, checkpoint), on ``test_label`` if given."""
        if not self.eval_dir.is_dir():
            raise DerainBenchError(
                f"{self.root} has no evaluations (run `derain-bench eval` first)"
            )
        found = set(self.eval_dir.glob(f"*__{protocol}__{mode}__{checkpoint}__*.csv"))
        if checkpoint == "last":  # runs evaluated by earlier versions: no checkpoint named
            found |= set(self.eval_dir.glob(f"*__{protocol}__{mode}.csv"))
        found = sorted(found)
        if test_label is not None:
            found = [p for p in found if p.name.startswith(f"{safe_name(test_label)}__")]
        if len(found) != 1:
            names = ", ".join(p.name for p in self.eval_dir.glob("*.csv")) or "none"
            what = "no" if not found else "several"
            raise DerainBenchError(
                f"{what} {protocol}/{mode}/{checkpoint} evaluations in {self.eval_dir} "
                f"({names}); name one with --test"
            )
        return found[0]

    def read_config(self) -> ExperimentConfig:
        """The configuration in config.toml (its plug-ins loaded), checked as a recipe is."""
        try:
            tables = tomllib.loads(self.config_path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            message = f"{self.config_path} is not a readable configuration: {error}"
            raise DerainBenchError(message) from None
        for plugin in tables.get("run", {}).get("plugins", []):
            load_plugin(plugin)
        return resolve(tables)

    def write_config(self, config: ExperimentConfig) -> None:
        """The resolved configuration as TOML, its hash in a header line."""
        self.root.mkdir(parents=True, exist_ok=True)
        header = f"# resolved configuration of run {self.run_id}\n# config_hash = {config.hash}\n"
        self.config_path.write_text(header + to_toml(config.to_dict()), encoding="utf-8")


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
        new = [key for key in row if key not in self.columns]
        if new:
            # Losses that start later (the adversarial ones after a warm-up) widen the table;
            # earlier rows keep empty cells in the new columns.
            with self.path.open(newline="", encoding="utf-8") as stream:
                rows = list(csv.DictReader(stream))
            at = self.columns.index("seconds") if "seconds" in self.columns else len(self.columns)
            self.columns[at:at] = new
            self._write_all(rows)
        with self.path.open("a", newline="", encoding="utf-8") as stream:
            writer = csv.DictWriter(stream, fieldnames=self.columns, extrasaction="ignore")
            writer.writerow(row)


def _write_atomic(path: Path, data: bytes) -> None:
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def read_identity(per_image_csv: Path) -> dict[str, Any]:
    """What a per-image CSV measured (its ``.json`` companion), or {} for an older or foreign
    CSV (a ``derain-bench score`` output, say)."""
    companion = per_image_csv.with_suffix(".json")
    try:
        return json.loads(companion.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
