"""How fast derainbench trains and restores, beside the original code at the same configuration.

For a recipe or any combination: images per second of the full GAN step (every discriminator
update and the generator update, losses included) and of inference, and peak memory, at one
size and batch on one device, in derainbench's precision, memory layout and compilation, timed
side by side in the same process with the original networks' eager float32 code
(:mod:`derainbench.benchmarks.originals.steps`); plus SynthDrop's renders per second at that
size. ``derain-bench profile`` prints it and adds it to ``results/profile.csv``.

Timing: one warm-up call of each, then ``repeats`` rounds that call each in turn (so that load on
a shared machine falls on both alike); the median. Feature networks (VGG) have random weights
when the pretrained files are absent: the cost is the same. A U-Net deeper than the size allows
is made as deep as it can be (pix2pix's own ``unet_128`` at 128 px), for both, and said.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch
from rich.console import Console

from derainbench.benchmarks.memory import peak_memory_mb
from derainbench.benchmarks.originals.steps import NoOriginal, original_work
from derainbench.benchmarks.results_csv import merge_rows
from derainbench.config import ExperimentConfig, resolve
from derainbench.devices import device_name, resolve_device
from derainbench.errors import DerainBenchError
from derainbench.evaluation.restore import generator_mode, restore
from derainbench.models.pretrained import MissingWeightsError
from derainbench.registries import TERMS
from derainbench.training.acceleration import acceleration, make_optimizers, place
from derainbench.training.components import build_components
from derainbench.training.loop import step_settings
from derainbench.training.precision import Precision
from derainbench.training.step import train_step

DEFAULT_CSV = Path("results") / "profile.csv"
MODES = ("train", "infer")
FIELDS = [
    "recipe", "generator", "discriminator", "objective", "mode", "device", "device_name",
    "precision", "channels_last", "compile", "size", "batch", "images_per_second",
    "original_images_per_second", "speedup", "seconds", "original_seconds", "peak_memory_mb",
    "original_peak_memory_mb", "memory_measure", "renders_per_second", "repeats", "threads",
    "torch", "notes", "date",
]  # fmt: skip
KEY = ["recipe", "generator", "discriminator", "mode", "device_name", "precision",
       "channels_last", "compile", "size", "batch"]  # fmt: skip

Work = Callable[[], object]


def _device_label(device: torch.device) -> str:
    """The GPU's name, or the CPU's model (what the numbers are a property of)."""
    from derainbench.benchmarks.render_speed import cpu_name

    return device_name(device) if device.type == "cuda" else cpu_name()


def fit_to_size(config: ExperimentConfig, size: int) -> tuple[ExperimentConfig, list[str]]:
    """``config`` at training crops of ``size``: a U-Net as deep as the size allows; a network
    that cannot take the size is one line."""
    notes: list[str] = []
    tables = config.to_dict()
    tables["train"]["crop"] = size
    generator = tables["generator"]
    if generator["name"] == "unet" and size % 2 ** generator["num_downs"]:
        depth = int(math.log2(size & -size))  # the largest power of two dividing the size
        if depth < 5:
            raise DerainBenchError(f"a U-Net needs sides that are multiples of 32, not {size}")
        notes.append(f"generator.num_downs={depth} (unet_{2**depth}) to fit {size} px")
        generator["num_downs"] = depth
    for term in tables["terms"]:
        for option in ("weights", "vgg_weights"):
            if option in term and _missing_weights(term, option):
                term[option] = "random-for-tests"
                notes.append(f"{term['name']}: random VGG weights (no local file; same cost)")
    return resolve(tables), notes


def _missing_weights(term: dict[str, Any], option: str) -> bool:
    options = {k: v for k, v in term.items() if k not in ("name", "weight")}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            TERMS.create(term["name"], **options)
    except MissingWeightsError:
        return True
    return False


def _synchronised(work: Work, device: torch.device) -> Work:
    def run() -> None:
        work()
        if device.type == "cuda":
            torch.cuda.synchronize(device)

    return run


def time_side_by_side(
    works: dict[str, Work], repeats: int, warmup: int, device: torch.device
) -> dict[str, float]:
    """Median seconds per call of each piece of work, calls interleaved round by round."""
    calls = {name: _synchronised(work, device) for name, work in works.items()}
    for _ in range(warmup):
        for call in calls.values():
            call()
    seconds: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(repeats):
        for name, call in calls.items():
            start = time.perf_counter()
            call()
            seconds[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in seconds.items()}


def renders_per_second(size: int, device: torch.device, count: int = 4) -> float:
    """SynthDrop renders per second at ``size`` on ``device`` (the medium preset)."""
    from derainbench.datasets.synthdrop.dataset import render_samples

    render_samples("train", [0], size, device=device)  # warm-up: backgrounds, kernels
    start = time.perf_counter()
    render_samples("train", list(range(1, count + 1)), size, device=device)
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return count / (time.perf_counter() - start)


def profile(
    config: ExperimentConfig,
    *,
    size: int = 128,
    batch: int = 1,
    device: str = "auto",
    repeats: int = 5,
    warmup: int = 1,
    modes: Sequence[str] = MODES,
    original: bool = True,
    renders: bool = True,
    console: Console | None = None,
) -> list[dict[str, Any]]:
    """One record per mode: derainbench's and the original's images per second, their ratio,
    peak memory, renders per second (``config``'s run settings choose precision, layout and
    compilation)."""
    unknown = [m for m in modes if m not in MODES]
    if unknown or not modes:
        raise DerainBenchError(f"--mode must be train and/or infer (got {', '.join(unknown)})")
    if size < 8 or batch < 1 or repeats < 1 or warmup < 0:
        raise DerainBenchError("profile needs --size ≥ 8, --batch ≥ 1, --repeats ≥ 1")
    console = console or Console(stderr=True)
    torch_device = resolve_device(device)
    config, notes = fit_to_size(config.replaced(run={"device": str(torch_device)}), size)
    generator_seed = torch.Generator().manual_seed(0)
    rainy = torch.rand(batch, 3, size, size, generator=generator_seed).to(torch_device)
    clean = torch.rand(batch, 3, size, size, generator=generator_seed).to(torch_device)
    mask = (torch.rand(batch, 1, size, size, generator=generator_seed) > 0.9).float()
    mask = mask.to(torch_device)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the random-trunk warning: its cost is the real one's
        parts = build_components(config, frozenset({"mask"}))
    fast = acceleration(config, torch_device)
    place(parts, torch_device, fast)
    optimizers = make_optimizers(parts, config, fast)
    precision = Precision(fast.precision, torch_device)
    settings = step_settings(config)
    x = rainy.contiguous(memory_format=fast.memory_format)
    y = clean.contiguous(memory_format=fast.memory_format)

    def ours_train() -> object:
        return train_step(parts, optimizers, settings, precision, x, y, 1, mask)

    def ours_infer() -> object:
        with generator_mode(parts.generator, "eval"), precision.autocast():
            return restore(parts.generator, x)

    theirs = None
    if original:
        try:
            theirs = original_work(config, rainy, clean, mask)
        except NoOriginal as reason:
            notes.append(f"no original to compare with: {reason}")
    console.print(
        f"profiling {config.recipe.name} ({config.generator.name} / {config.discriminator.name})"
        f" at {size}×{size}, batch {batch}, on {_device_label(torch_device)}, {fast.precision}"
        f"{', channels-last' if fast.channels_last else ''}{', compiled' if fast.compile else ''}",
        highlight=False,
    )
    rate = renders_per_second(size, torch_device) if renders else math.nan
    records = []
    for mode in modes:
        works: dict[str, Work] = {"ours": ours_train if mode == "train" else ours_infer}
        if theirs is not None:
            works["original"] = theirs.train_step if mode == "train" else theirs.inference
        seconds = time_side_by_side(works, repeats, warmup, torch_device)
        memory = {name: peak_memory_mb(work, torch_device) for name, work in works.items()}
        ours_rate = batch / seconds["ours"]
        their_rate = batch / seconds["original"] if "original" in seconds else math.nan
        records.append(
            {
                "recipe": config.recipe.name,
                "generator": config.generator.name,
                "discriminator": config.discriminator.name,
                "objective": config.objective.name,
                "mode": mode,
                "device": torch_device.type,
                "device_name": _device_label(torch_device),
                "precision": fast.precision,
                "channels_last": fast.channels_last,
                "compile": fast.compile,
                "size": size,
                "batch": batch,
                "images_per_second": round(ours_rate, 4),
                "original_images_per_second": round(their_rate, 4),
                "speedup": round(ours_rate / their_rate, 3),
                "seconds": round(seconds["ours"], 4),
                "original_seconds": round(seconds.get("original", math.nan), 4),
                "peak_memory_mb": round(memory["ours"][0], 1),
                "original_peak_memory_mb": round(memory.get("original", (math.nan,))[0], 1),
                "memory_measure": memory["ours"][1],
                "renders_per_second": round(rate, 2),
                "repeats": repeats,
                "threads": torch.get_num_threads(),
                "torch": torch.__version__,
                "notes": "; ".join(notes),
                "date": dt.date.today().isoformat(),
            }
        )
    return records


def write_records(records: list[dict[str, Any]], path: Path = DEFAULT_CSV) -> Path:
    """Add ``records`` to the profile CSV, replacing earlier ones of the same configuration and
    machine."""
    merge_rows(path, records, FIELDS, KEY)
    return path
