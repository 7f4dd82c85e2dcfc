"""Validation during training: the run's protocol on its validation data every
``run.validate_every`` steps, written to ``validation.csv`` (and TensorBoard), with the
generator of the best score so far kept as ``checkpoints/best.pt``."""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console

from derainbench.contracts import Generator
from derainbench.datasets.base import PairedDataset
from derainbench.errors import ConfigError
from derainbench.evaluation.baselines import InputAsOutput
from derainbench.evaluation.evaluate import evaluate_generator
from derainbench.registries import SCORES


@dataclass
class Best:
    """The best validation score so far: which score, its value, at which step."""

    criterion: str
    higher_is_better: bool
    value: float = math.nan
    step: int = 0

    def improved_by(self, value: float) -> bool:
        if math.isnan(value):
            return False
        if math.isnan(self.value):
            return True
        return value > self.value if self.higher_is_better else value < self.value

    def state_dict(self) -> dict[str, Any]:
        return {"criterion": self.criterion, "value": self.value, "step": self.step}


@dataclass
class Validator:
    """Scores generators on the validation data and remembers the best."""

    dataset: PairedDataset
    protocol: str
    best: Best
    path: Path
    console: Console
    history: list[dict[str, float]] = field(default_factory=list)
    #: The untouched rainy input's scores on the same data: the level a curve must beat.
    input_scores: dict[str, float] | None = None

    @classmethod
    def create(
        cls, dataset: PairedDataset, protocol: str, criterion: str, path: Path, console: Console
    ) -> Validator:
        if criterion not in SCORES:
            raise ConfigError(
                f"run.best: '{criterion}' is not a score; choose one of {', '.join(SCORES.names())}"
            )
        higher = SCORES.get(criterion).info.higher_is_better
        return cls(dataset, protocol, Best(criterion, higher), path, console)

    def score(self, generator: Generator, prefix: str = "") -> dict[str, float]:
        """The protocol's mean scores of ``generator`` (eval mode, full validation images)."""
        means = evaluate_generator(
            generator, self.dataset, self.protocol, "eval", self.console
        ).means
        return {f"{prefix}{name}": value for name, value in means.items()}

    def input_level(self) -> dict[str, float]:
        """The rainy input's scores on the validation data (computed once)."""
        if self.input_scores is None:
            self.input_scores = self.score(InputAsOutput(), prefix="input_")
        return self.input_scores

    def record(self, step: int, scores: dict[str, float], seconds: float) -> bool:
        """Append a row to validation.csv (with the input's level beside the scores); True
        when the criterion improved at this step."""
        scores_and_input = {**scores, **self.input_level()}
        row = {"step": step, **{k: round(v, 6) for k, v in scores_and_input.items()}}
        row["seconds"] = seconds
        self.history.append(row)
        new = not self.path.exists()
        with self.path.open("a", newline="", encoding="utf-8") as stream:
            writer = csv.DictWriter(stream, fieldnames=list(row))
            if new:
                writer.writeheader()
            writer.writerow(row)
        value = scores.get(self.best.criterion, math.nan)
        if self.best.improved_by(value):
            self.best.value, self.best.step = value, step
            return True
        return False

    def restore(self, state: dict[str, Any] | None, resume_step: int) -> None:
        """Continue after a resume: the best so far, and validation.csv up to the checkpoint."""
        if state:
            self.best.value, self.best.step = float(state["value"]), int(state["step"])
        if not self.path.exists():
            return
        with self.path.open(newline="", encoding="utf-8") as stream:
            reader = csv.DictReader(stream)
            fields = reader.fieldnames or []
            rows = [r for r in reader if int(r["step"]) <= resume_step]
        with self.path.open("w", newline="", encoding="utf-8") as stream:
            writer = csv.DictWriter(stream, fieldnames=fields)
            writer.writeheader()
            writer.writerows(rows)
