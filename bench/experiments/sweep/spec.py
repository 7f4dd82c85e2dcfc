"""A sweep described in one TOML file: what every run shares, the grid of what varies, the
seeds, and where the runs execute. Expanding it gives one cell per grid point × seed, each a
resolved configuration whose run folder follows from its hash and seed (or the one-line reason
the combination cannot train).

    [sweep]
    name = "generators"               # default: the file's stem
    seeds = [0, 1, 2]
    runs = "runs/sweeps"              # cells go to <runs>/<name>/<run id>
    leaderboard = "results/leaderboard.csv"

    [base]                            # compose() options every cell shares
    recipe = "pix2pix"
    steps = 2000
    set = ["run.sample_every=500"]

    [grid]                            # every combination is a cell
    generator = ["unet", "resnet"]
    "generator.ngf" = [32, 64]        # any --set key, with a list of values

    [executor]
    name = "local"                    # local | slurm | submitit-local
    processes = 2
"""

from __future__ import annotations

import itertools
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from derainbench.config import ExperimentConfig
from derainbench.config.toml_text import toml_value
from derainbench.errors import ConfigError, DerainBenchError
from derainbench.experiments.check import check
from derainbench.experiments.compose import compose
from derainbench.training.runfolder import default_run_id, safe_name

#: Grid axes that replace a whole component (any other axis is a ``section.key`` override).
COMPONENT_AXES = ("recipe", "generator", "discriminator", "objective")
#: ``[base]`` keys: the options of :func:`derainbench.compose`.
BASE_KEYS = ("recipe", "generator", "discriminator", "objective", "train_data", "test_data",
             "validation_data", "val_fraction", "steps", "batch_size", "crop", "device",
             "workers", "set", "drop_terms")  # fmt: skip
EXECUTORS = ("local", "slurm", "submitit-local")
SLURM_KEYS = ("partition", "time_min", "gpus_per_task", "cpus_per_task", "mem_gb",
              "array_parallelism", "sbatch")  # fmt: skip


@dataclass(frozen=True)
class ExecutorSpec:
    """Where cells run: ``local`` processes, or SLURM job arrays through submitit (``slurm``),
    or submitit's local executor, to try a SLURM sweep without a cluster."""

    name: str = "local"
    #: local: runs at once (default: one per GPU, else one per CPU core).
    processes: int | None = None
    #: slurm / submitit-local: partition, time_min, gpus_per_task, cpus_per_task, mem_gb,
    #: array_parallelism, and sbatch (a table of extra #SBATCH options).
    slurm: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SweepSpec:
    """A parsed sweep file."""

    name: str
    path: Path
    seeds: tuple[int, ...]
    runs: Path
    leaderboard: Path | None
    base: Mapping[str, Any]
    grid: Mapping[str, tuple[Any, ...]]
    executor: ExecutorSpec

    @property
    def root(self) -> Path:
        """The folder of the sweep's runs (and of its submitit logs)."""
        return self.runs / self.name


@dataclass(frozen=True)
class Cell:
    """One grid point × seed: its axis values, and its configuration and run folder, or why it
    cannot train."""

    point: Mapping[str, Any]
    seed: int
    config: ExperimentConfig | None = None
    run_dir: Path | None = None
    refused: str = ""
    #: An earlier cell of the same configuration: its run stands for this one.
    same_as: str = ""
    #: Extra leaderboard columns of the cell's row (an ablation's id, say).
    columns: Mapping[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        axes = ", ".join(f"{k}={v}" for k, v in self.point.items()) or "base"
        return f"{axes}, seed {self.seed}"


def _unknown(keys: Any, allowed: tuple[str, ...], where: str) -> None:
    unknown = sorted(set(keys) - set(allowed))
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(unknown)}; known: "
                          f"{', '.join(allowed)}")  # fmt: skip


def load_sweep(path: Path | str) -> SweepSpec:
    """Read and check a sweep file (not the cells: see :func:`expand`)."""
    path = Path(path)
    if not path.is_file():
        raise DerainBenchError(f"no sweep file {path}")
    try:
        tables = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path} is not valid TOML: {error}") from None
    _unknown(tables, ("sweep", "base", "grid", "executor"), str(path))
    sweep = tables.get("sweep", {})
    _unknown(sweep, ("name", "seeds", "runs", "leaderboard"), "[sweep]")
    base = dict(tables.get("base", {}))
    _unknown(base, BASE_KEYS, "[base]")
    grid = tables.get("grid", {})
    for axis, values in grid.items():
        if not isinstance(values, list) or not values:
            raise ConfigError(f"[grid] {axis} must be a non-empty list of values")
        if axis not in COMPONENT_AXES and "." not in axis:
            raise ConfigError(
                f"[grid] {axis}: an axis is one of {', '.join(COMPONENT_AXES)} or a "
                f'section.key to set (e.g. "generator.ngf")'
            )
        if axis.startswith("run.") or axis == "train.seed":
            # Run settings and the seed are not part of a configuration's identity: cells
            # differing only there would share one run folder.
            raise ConfigError(f"[grid] {axis}: sweep seeds with [sweep] seeds; run settings "
                              f"(run.*) belong in [base] set")  # fmt: skip
    executor = dict(tables.get("executor", {}))
    _unknown(executor, ("name", "processes", "slurm"), "[executor]")
    name = executor.get("name", "local")
    if name not in EXECUTORS:
        raise ConfigError(f"[executor] name '{name}': choose {', '.join(EXECUTORS)}")
    slurm = dict(executor.get("slurm", {}))
    _unknown(slurm, SLURM_KEYS, "[executor.slurm]")
    seeds = sweep.get("seeds", [0])
    if not isinstance(seeds, list) or not seeds or not all(isinstance(s, int) for s in seeds):
        raise ConfigError("[sweep] seeds must be a non-empty list of integers")
    processes = executor.get("processes")
    if processes is not None and (not isinstance(processes, int) or processes < 1):
        raise ConfigError(f"[executor] processes must be a positive integer (got {processes})")
    leaderboard = sweep.get("leaderboard")
    return SweepSpec(
        name=safe_name(str(sweep.get("name", path.stem))),
        path=path,
        seeds=tuple(seeds),
        runs=Path(sweep.get("runs", Path("runs") / "sweeps")),
        leaderboard=Path(leaderboard) if leaderboard else None,
        base=base,
        grid={axis: tuple(values) for axis, values in grid.items()},
        executor=ExecutorSpec(name, processes, slurm),
    )


def _compose_cell(spec: SweepSpec, point: Mapping[str, Any], seed: int) -> ExperimentConfig:
    options = {k: v for k, v in spec.base.items() if k not in ("set", "drop_terms")}
    options |= {axis: value for axis, value in point.items() if axis in COMPONENT_AXES}
    overrides = [*spec.base.get("set", ())]
    overrides += [f"{axis}={toml_value(value)}" for axis, value in point.items()
                  if axis not in COMPONENT_AXES]  # fmt: skip
    recipe = options.pop("recipe", "pix2pix")
    return compose(recipe, seed=seed, overrides=overrides,
                   drop_terms=spec.base.get("drop_terms", ()), **options)  # fmt: skip


def expand(spec: SweepSpec, check_combinations: bool = True) -> list[Cell]:
    """Every grid point × seed, in grid order then seed order: resolved and (with
    ``check_combinations``) built once without training, so that a combination that cannot
    train is listed with its reason instead of failing as a job."""
    axes = list(spec.grid)
    cells: list[Cell] = []
    seen: dict[Path, str] = {}
    checked: dict[str, str] = {}  # configuration hash → its refusal ("" when it can train)
    for values in itertools.product(*spec.grid.values()):
        point = dict(zip(axes, values, strict=True))
        for seed in spec.seeds:
            try:
                config = _compose_cell(spec, point, seed)
                key = config.hash  # the seed is not part of it: one check per grid point
                if check_combinations and key not in checked:
                    try:
                        check(config, dry_step=False)
                        checked[key] = ""
                    except DerainBenchError as error:
                        checked[key] = str(error)
                if checked.get(key):
                    raise DerainBenchError(checked[key])
            except DerainBenchError as error:
                cells.append(Cell(point, seed, refused=str(error)))
                continue
            run_dir = spec.root / default_run_id(config)
            cell = Cell(point, seed, config, run_dir, same_as=seen.get(run_dir, ""))
            seen.setdefault(run_dir, cell.label)
            cells.append(cell)
    return cells
