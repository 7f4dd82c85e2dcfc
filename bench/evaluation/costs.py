"""What a model costs: multiply-accumulates, inference latency and peak memory."""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from derainbench.contracts import Generator
from derainbench.evaluation.restore import generator_mode, restore


def count_macs(model: nn.Module, *inputs: Tensor) -> int:
    """Multiply-accumulates of one forward pass, over convolutions, transposed convolutions and
    linear layers (normalisations, activations and additions are not counted)."""
    total = 0

    def conv(module: nn.Conv2d, args: tuple[Tensor, ...], output: Tensor) -> None:
        nonlocal total
        kernel = module.kernel_size[0] * module.kernel_size[1]
        total += output.numel() * (module.in_channels // module.groups) * kernel

    def transposed(module: nn.ConvTranspose2d, args: tuple[Tensor, ...], output: Tensor) -> None:
        nonlocal total
        kernel = module.kernel_size[0] * module.kernel_size[1]
        total += args[0].numel() * (module.out_channels // module.groups) * kernel

    def linear(module: nn.Linear, args: tuple[Tensor, ...], output: Tensor) -> None:
        nonlocal total
        total += output.numel() * module.in_features

    hooks = []
    for module in model.modules():
        if isinstance(module, nn.Conv2d):
            hooks.append(module.register_forward_hook(conv))
        elif isinstance(module, nn.ConvTranspose2d):
            hooks.append(module.register_forward_hook(transposed))
        elif isinstance(module, nn.Linear):
            hooks.append(module.register_forward_hook(linear))
    try:
        with torch.no_grad():
            model(*inputs)
    finally:
        for hook in hooks:
            hook.remove()
    return total


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
