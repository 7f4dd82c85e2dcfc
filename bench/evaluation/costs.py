"""What a model costs: multiply-accumulates, inference latency and peak memory."""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

import torch
from torch import Tensor, nn
from torch.utils.flop_counter import FlopCounterMode

from derainbench.contracts import Generator
from derainbench.evaluation.restore import generator_mode, restore


def count_macs(model: nn.Module, *inputs: Tensor) -> int:
    """Multiply-accumulates of one forward pass: half the floating-point operations torch's own
    counter (``torch.utils.flop_counter``) finds in the operators the model calls, so that
    convolutions, linear layers and the matrix products of attention blocks (any plug-in
    transformer) all count. Normalisations, activations and additions are not counted."""
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(*inputs)
    return counter.get_total_flops() // 2


@dataclass
class InferenceCost:
    """Cost of restoring one image of a given size at batch 1, in eval mode."""

    macs: int
    latency_ms: float  # median of the timed runs
    peak_memory_mb: float | None  # CUDA only: CPU allocations are not tracked per model
    height: int
    width: int


def _synchronise(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def inference_cost(
    generator: Generator, height: int, width: int, warmup: int = 2, runs: int = 5
) -> InferenceCost:
    """MACs at the padded size the model really sees, median latency after warm-up, peak memory."""
    parameter = next(iter(generator.parameters()), None)
    device = parameter.device if parameter is not None else torch.device("cpu")
    rainy = torch.rand(1, 3, height, width, device=device)
    with generator_mode(generator, "eval"):
        multiple = generator.multiple_of
        padded = torch.zeros(
            1, 3, -(-height // multiple) * multiple, -(-width // multiple) * multiple, device=device
        )
        macs = count_macs(generator, padded)
        for _ in range(warmup):
            restore(generator, rainy)
        if device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(device)
        timings = []
        for _ in range(runs):
            _synchronise(device)
            start = time.perf_counter()
            restore(generator, rainy)
            _synchronise(device)
            timings.append((time.perf_counter() - start) * 1000.0)
        peak = torch.cuda.max_memory_allocated(device) / 2**20 if device.type == "cuda" else None
    return InferenceCost(macs, statistics.median(timings), peak, height, width)
