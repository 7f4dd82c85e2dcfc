"""Score a generator on full-size test images under a named protocol, image by image.

Every test pair is restored at its native size (reflect-padded to the model's size multiple and
cropped back), quantised to 8 bits by rounding, and scored; optional columns come from LPIPS
(only with its local trunk) and the extra scores of the score registry, and the cost columns
from one measurement at the test resolution.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import torch
from rich.console import Console
from rich.progress import Progress
from torch import Tensor

from derainbench.contracts import Generator
from derainbench.datasets.base import PairedDataset
from derainbench.datasets.image_io import text_safe
from derainbench.errors import DerainBenchError
from derainbench.evaluation.costs import inference_cost
from derainbench.evaluation.restore import generator_mode, restore
from derainbench.imaging import to_uint8
from derainbench.registries import PROTOCOLS


@dataclass
class Evaluation:
    """Per-image values and their means for one (generator, test set, protocol, mode), and
    the identity of the test set by content: the same pairs give the same id wherever they
    live and however their folder is typed."""

    per_image: pd.DataFrame
    means: dict[str, float]
    seconds: float
    test_set_id: str = ""
    targets_id: str = ""


ID_LENGTH = 16  # hex digits of SHA-256 kept: 64 bits, readable in a table


class ContentId:
    """SHA-256 over named 8-bit images, in order: what a test set *is*, not where it is."""

    def __init__(self) -> None:
        self._hash = hashlib.sha256()

    def add(self, name: str, *images: Tensor) -> None:
        self._hash.update(text_safe(name).encode("utf-8") + b"\0")
        for image in images:
            pixels = to_uint8(image).cpu().contiguous()
            self._hash.update(repr(tuple(pixels.shape)).encode() + pixels.numpy().tobytes())

    def hexdigest(self) -> str:
        return self._hash.hexdigest()[:ID_LENGTH]


#: An extra per-image column: its name and a scorer of (restored, clean) → (B,) values.
ExtraScorer = tuple[str, Callable[[Tensor, Tensor], Tensor]]


@dataclass(frozen=True, kw_only=True)
class EvaluationOptions:
    """What an evaluation adds to PSNR/SSIM: LPIPS, extra scores, cost columns, custom columns."""

    lpips: str | None = "alex"  # LPIPS network, or None for no LPIPS column
    lpips_weights: str | None = None  # the trunk's file, if not in the usual places
    require_lpips: bool = False  # a missing trunk is an error instead of an empty cell
    extras: tuple[str, ...] = ()  # extra score names (`derain-bench list scores`)
    costs: bool = True  # MACs, latency and memory at the test resolution
    columns: dict[str, Any] = field(default_factory=dict)  # e.g. an ablation id


def device_of(module: torch.nn.Module) -> torch.device:
    """The device a module's weights are on (the CPU for a module without any)."""
    for tensor in (*module.parameters(), *module.buffers()):
        return tensor.device
    return torch.device("cpu")


def extra_scorers(
    options: EvaluationOptions, device: torch.device
) -> tuple[list[ExtraScorer], dict[str, Any]]:
    """The extra per-image scorers, and the cells that explain a missing one."""
    from derainbench.metrics.extras import extra_scorer
    from derainbench.metrics.lpips_metric import try_lpips

    scorers: list[ExtraScorer] = [(name, extra_scorer(name)) for name in options.extras]
    notes: dict[str, Any] = {}
    if options.lpips is not None:
        metric, reason = try_lpips(options.lpips, options.lpips_weights, options.require_lpips)
        column = f"lpips_{options.lpips}"
        if metric is None:
            notes |= {column: None, f"{column}_note": reason}
        else:
            scorers.append((column, metric.to(device)))
    return scorers, notes


def evaluate_generator(
    generator: Generator,
    dataset: PairedDataset,
    protocol_name: str,
    mode: str = "eval",
    console: Console | None = None,
    extras: Sequence[ExtraScorer] = (),
) -> Evaluation:
    """Restore every test pair at full size and score it with the protocol (and the extras)."""
    protocol = PROTOCOLS.create(protocol_name)
    device = device_of(generator)
    rows: list[dict[str, Any]] = []
    names = dataset.pair_names()
    pairs_id, targets_id = ContentId(), ContentId()
    start = time.perf_counter()
    with (
        generator_mode(generator, mode),
        Progress(console=console or Console(stderr=True), transient=True) as progress,
    ):
        task = progress.add_task("evaluate", total=len(dataset))
        for index in range(len(dataset)):
            rainy, clean = dataset.load_pair(index)
            pairs_id.add(names[index], rainy, clean)
            targets_id.add(names[index], clean)
            restored = restore(generator, rainy[None].to(device)).image
            values = protocol.evaluate(restored.cpu(), clean[None])
            row = {"image": text_safe(names[index]), "height": rainy.shape[-2]}
            row["width"] = rainy.shape[-1]
            row |= {column: float(v[0]) for column, v in values.items()}
            for name, scorer in extras:
                row[name] = float(scorer(restored, clean[None].to(device))[0])
            rows.append(row)
            progress.advance(task)
    seconds = time.perf_counter() - start
    if not rows:
        raise DerainBenchError("the test set is empty")
    frame = pd.DataFrame(rows)
    columns = [*protocol.columns, *(name for name, _ in extras)]
    means = {column: float(frame[column].mean()) for column in columns}
    return Evaluation(frame, means, seconds, pairs_id.hexdigest(), targets_id.hexdigest())


def score_test_set(
    generator: Generator,
    dataset: PairedDataset,
    protocol: str,
    mode: str = "eval",
    options: EvaluationOptions | None = None,
    console: Console | None = None,
) -> tuple[Evaluation, dict[str, Any]]:
    """:func:`evaluate_generator` with the options' extra scores and cost columns; also returns
    the extra cells (LPIPS notes, costs) a leaderboard row records."""
    options = options or EvaluationOptions()
    extras, cells = extra_scorers(options, device_of(generator))
    result = evaluate_generator(generator, dataset, protocol, mode, console, extras)
    if options.costs:
        height, width = dataset.load_pair(0)[0].shape[-2:]
        cost = inference_cost(generator, height, width)
        memory = cost.peak_memory_mb
        cells |= {
            "g_macs": cost.macs,
            "latency_ms": round(cost.latency_ms, 3),
            "peak_memory_mb": None if memory is None else round(memory, 1),
            "cost_size": f"{height}x{width}",
        }
    return result, cells
