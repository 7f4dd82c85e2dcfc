"""The resolved configuration of an experiment as typed, keyword-only records.

A run records exactly this: which components with which options, how they are optimised and
trained, on what data, how it is evaluated, and run settings that do not change what is learnt.
Every section is a frozen dataclass; :meth:`ExperimentConfig.to_dict` gives the plain TOML
tables that a run folder's ``config.toml`` and checkpoint hold, and ``from_dict`` reads them
back, refusing an unknown key with its close matches and a value of the wrong type with the key's
name.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from derainbench.config.typed_tables import choice, positive
from derainbench.errors import ConfigError

NO_DISCRIMINATOR = "none"
SCHEDULES = ("constant", "constant-then-linear")
PRECISIONS = ("auto", "fp32", "bf16", "fp16")
GENERATOR_MODES = ("eval", "train")

# Sections and keys that do not change what is learnt: left out of the configuration hash.
# The test data and the protocol belong to an evaluation, recorded on its own leaderboard row.
UNHASHED_SECTIONS = ("run", "eval")
UNHASHED_KEYS = {
    ("train", "seed"),
    ("recipe", "description"),
    ("recipe", "deviations"),
    ("data", "test"),
    ("data", "validation"),
}


@dataclass(frozen=True, kw_only=True)
class RecipeSection:
    """Where a configuration came from: the recipe's name, paper and written deviations."""

    name: str = "custom"
    paper: str = ""
    description: str = ""
    deviations: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name}
        if self.paper:
            out["paper"] = self.paper
        if self.description:
            out["description"] = self.description
        if self.deviations:
            out["deviations"] = list(self.deviations)
        return out


@dataclass(frozen=True, kw_only=True)
class ComponentSpec:
    """A registered component by name, with every builder option (defaults filled in)."""

    name: str
    options: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, **copy.deepcopy(dict(self.options))}


@dataclass(frozen=True, kw_only=True)
class WeightedSpec(ComponentSpec):
    """A loss term or penalty: a component and its weight in its player's loss."""

    weight: float = 1.0

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "weight": self.weight}


@dataclass(frozen=True, kw_only=True)
class ObjectiveSpec(ComponentSpec):
    """The adversarial objective and the weights of its generator and discriminator losses."""

    generator_weight: float = 1.0
    discriminator_weight: float = 1.0

    def to_dict(self) -> dict[str, Any]:
        return {
            **super().to_dict(),
            "generator_weight": self.generator_weight,
            "discriminator_weight": self.discriminator_weight,
        }


@dataclass(frozen=True, kw_only=True)
class OptimizerSettings:
    """Adam for each network, and the learning-rate schedule over the run's steps."""

    generator_lr: float = 2e-4
    discriminator_lr: float = 2e-4
    betas: tuple[float, ...] = (0.5, 0.999)
    schedule: str = "constant"
    #: Fraction of the steps after which "constant-then-linear" starts its decay to zero.
    decay_start: float = 0.5
    #: The generator's rate during a warm-up (the train.adversarial_start steps on the loss
    #: terms alone); 0: generator_lr throughout. From the adversarial start on, generator_lr
    #: and the schedule apply.
    warmup_generator_lr: float = 0.0

    def __post_init__(self) -> None:
        if self.warmup_generator_lr < 0:
            raise ConfigError(
                f"optimizer.warmup_generator_lr must not be negative "
                f"(got {self.warmup_generator_lr})"
            )
        if len(self.betas) != 2 or not all(0.0 <= b < 1.0 for b in self.betas):
            raise ConfigError(f"optimizer.betas must be two numbers in [0, 1) (got {self.betas})")
        for key in ("generator_lr", "discriminator_lr"):
            if not getattr(self, key) > 0:
                raise ConfigError(f"optimizer.{key} must be positive (got {getattr(self, key)})")
        choice("optimizer.schedule", self.schedule, SCHEDULES)
        if not 0.0 <= self.decay_start <= 1.0:
            raise ConfigError(f"optimizer.decay_start must be in [0, 1] (got {self.decay_start})")

    def to_dict(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "betas": list(self.betas)}


@dataclass(frozen=True, kw_only=True)
class TrainSettings:
    """How long and on what crops the generator learns."""

    steps: int = 1000
    batch_size: int = 1
    crop: int = 256
    flip: bool = True
    seed: int = 0
    #: Discriminator (critic) updates per generator update; DeblurGAN uses 5.
    d_steps: int = 1
    #: With several critic updates: restore the batch again before each one after the first.
    regenerate_fake: bool = False
    #: Decay of the exponential moving average of the generator's weights, kept beside them
    #: and evaluated as the "ema" checkpoint (0: none). Warmed up: early steps average less.
    ema_decay: float = 0.999
    #: The first step at which the adversarial game runs: before it, the generator learns from
    #: its loss terms alone and the discriminator waits (a pixel-loss warm-up, as ESRGAN
    #: pre-trains its generator). 0: adversarial from the first step, as the papers train.
    adversarial_start: int = 0

    def __post_init__(self) -> None:
        if self.adversarial_start < 0:
            raise ConfigError(
                f"train.adversarial_start must not be negative (got {self.adversarial_start})"
            )
        if not 0.0 <= self.ema_decay < 1.0:
            raise ConfigError(f"train.ema_decay must be in [0, 1) (got {self.ema_decay})")
        # Zero steps describes a run made elsewhere (imported weights); training refuses it.
        if self.steps < 0:
            raise ConfigError(f"train.steps must not be negative (got {self.steps})")
        for key in ("batch_size", "d_steps", "crop"):
            positive(f"train.{key}", getattr(self, key))

    def check_trainable(self) -> None:
        """Refuse a configuration with nothing to train."""
        positive("train.steps", self.steps)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


DATA_SPLITS = ("train", "validation", "test")


@dataclass(frozen=True, kw_only=True)
class DataSpecs:
    """The training, validation and test datasets (any may be absent: imported weights have
    none; without validation data no best checkpoint is kept)."""

    train: ComponentSpec | None = None
    validation: ComponentSpec | None = None
    test: ComponentSpec | None = None

    def to_dict(self) -> dict[str, Any]:
        return {split: spec.to_dict() for split in DATA_SPLITS if (spec := getattr(self, split))}


@dataclass(frozen=True, kw_only=True)
class EvalSettings:
    """How the run is evaluated by default: the metric protocol and the generator's mode."""

    protocol: str = "y-matlab"
    generator_mode: str = "eval"

    def __post_init__(self) -> None:
        choice("eval.generator_mode", self.generator_mode, GENERATOR_MODES)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True, kw_only=True)
class RunSettings:
    """Where and how the run executes; none of it changes what is learnt (not hashed)."""

    device: str = "auto"
    #: Forward precision: "auto" is bf16 where the device computes it natively, else fp32.
    precision: str = "auto"
    #: Networks and inputs in channels-last memory layout: "auto" uses it on CUDA GPUs, where
    #: convolutions are faster so, and not on CPUs, where it measured slower for two of the
    #: three recipes (results/profile.csv).
    channels_last: bool | str = "auto"
    #: torch.compile the generator and discriminator (slow to start, faster per step).
    compile: bool = False
    #: Recompute the generator's activations in the backward pass instead of keeping them
    #: (less memory for about one more forward pass; generators that support it).
    activation_checkpointing: bool = False
    #: Under torchrun on GPUs: BatchNorm statistics over the global batch (torch's
    #: SyncBatchNorm) instead of each process's share of it.
    sync_batchnorm: bool = False
    #: Data-loader workers, or "auto" (none on a CPU, up to 8 on a GPU).
    workers: int | str = "auto"
    log_every: int = 10
    sample_every: int = 500
    checkpoint_every: int = 500
    #: Score the validation data every this many steps (and at the end).
    validate_every: int = 500
    #: The validation score (a registered score, its direction from the registry) whose best
    #: value selects checkpoints/best.pt.
    best: str = "psnr"
    #: TensorBoard event files in RUN/tensorboard (losses, rates, validation, sample grids).
    tensorboard: bool = True
    #: Plug-in modules the run's components come from, loaded again by eval and derain.
    plugins: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        choice("run.precision", self.precision, PRECISIONS)
        if isinstance(self.channels_last, str) and self.channels_last != "auto":
            raise ConfigError(
                f"run.channels_last must be true, false or 'auto' (got {self.channels_last!r})"
            )
        for key in ("log_every", "sample_every", "checkpoint_every", "validate_every"):
            positive(f"run.{key}", getattr(self, key))
        if isinstance(self.workers, str) and self.workers != "auto":
            raise ConfigError(f"run.workers must be 'auto' or an integer (got {self.workers!r})")
        if isinstance(self.workers, int) and self.workers < 0:
            raise ConfigError(f"run.workers must not be negative (got {self.workers})")

    def to_dict(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "plugins": list(self.plugins)}


SECTIONS = (
    "recipe",
    "generator",
    "discriminator",
    "objective",
    "terms",
    "penalties",
    "optimizer",
    "train",
    "data",
    "eval",
    "run",
    "source",
)


@dataclass(frozen=True, kw_only=True)
class ExperimentConfig:
    """Everything that defines one run, resolved: build it with :func:`derainbench.compose`."""

    recipe: RecipeSection = field(default_factory=RecipeSection)
    generator: ComponentSpec
    discriminator: ComponentSpec = field(
        default_factory=lambda: ComponentSpec(name=NO_DISCRIMINATOR)
    )
    objective: ObjectiveSpec = field(default_factory=lambda: ObjectiveSpec(name="vanilla"))
    terms: tuple[WeightedSpec, ...] = ()
    penalties: tuple[WeightedSpec, ...] = ()
    optimizer: OptimizerSettings = field(default_factory=OptimizerSettings)
    train: TrainSettings = field(default_factory=TrainSettings)
    data: DataSpecs = field(default_factory=DataSpecs)
    eval: EvalSettings = field(default_factory=EvalSettings)
    run: RunSettings = field(default_factory=RunSettings)
    #: For a run made from an original's released weights: the file and its SHA-256.
    source: Mapping[str, Any] | None = None

    @property
    def has_discriminator(self) -> bool:
        return self.discriminator.name != NO_DISCRIMINATOR

    def to_dict(self) -> dict[str, Any]:
        """Plain TOML tables, in the order ``config.toml`` shows them."""
        out: dict[str, Any] = {
            "recipe": self.recipe.to_dict(),
            "generator": self.generator.to_dict(),
            "discriminator": self.discriminator.to_dict(),
            "objective": self.objective.to_dict(),
            "optimizer": self.optimizer.to_dict(),
            "train": self.train.to_dict(),
            "data": self.data.to_dict(),
            "eval": self.eval.to_dict(),
            "run": self.run.to_dict(),
            "terms": [t.to_dict() for t in self.terms],
            "penalties": [p.to_dict() for p in self.penalties],
        }
        if self.source is not None:
            out["source"] = copy.deepcopy(dict(self.source))
        return out

    @property
    def hash(self) -> str:
        """SHA-256 (hex) of what shapes the result; run settings and the seed are left out."""
        return config_hash(self.to_dict())

    def replaced(self, **sections: Any) -> ExperimentConfig:
        """A copy with some settings changed: ``replaced(train={"seed": 3})``."""
        changes = {}
        for name, values in sections.items():
            current = getattr(self, name)
            changes[name] = dataclasses.replace(current, **values)
        return dataclasses.replace(self, **changes)


def differences(
    old: Mapping[str, Any], new: Mapping[str, Any], prefix: str = ""
) -> list[tuple[str, Any, Any]]:
    """(key path, old value, new value) of every key where two configurations' tables differ."""
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        found = []
        for key in [*old, *(k for k in new if k not in old)]:
            path = f"{prefix}.{key}" if prefix else str(key)
            found += differences(old.get(key), new.get(key), path)
        return found
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        pairs = enumerate(zip(old, new, strict=True))
        return [d for i, (a, b) in pairs for d in differences(a, b, f"{prefix}.{i}")]
    return [] if old == new else [(prefix, old, new)]


def config_hash(config: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of a configuration's tables, without run settings, seed and test data."""
    semantic = {k: v for k, v in config.items() if k not in UNHASHED_SECTIONS}
    semantic = copy.deepcopy(semantic)
    for section, key in UNHASHED_KEYS:
        semantic.get(section, {}).pop(key, None)
    text = json.dumps(semantic, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()
