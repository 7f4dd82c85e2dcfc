"""Cost columns: multiply-accumulates counted by hand, latency and memory measured sanely."""

from __future__ import annotations

import torch
from torch import nn

import derainbench
from derainbench.evaluation.costs import count_macs, inference_cost


def test_macs_of_known_layers() -> None:
    model = nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1),  # 8·16·16 outputs × 3·9
        nn.ConvTranspose2d(8, 4, 4, stride=2, padding=1),  # 8·16·16 inputs × 4·16
        nn.Conv2d(4, 4, 3, padding=1, groups=4),  # 4·32·32 outputs × 1·9
        nn.Flatten(),
        nn.Linear(4 * 32 * 32, 10),  # 10 × 4096
    )
    expected = 8 * 16 * 16 * 27 + 8 * 16 * 16 * 64 + 4 * 32 * 32 * 9 + 10 * 4096
    assert count_macs(model, torch.rand(1, 3, 16, 16)) == expected


def test_inference_cost_counts_the_padded_size_and_restores_the_mode() -> None:
    generator = derainbench.create_generator("unet", num_downs=5, ngf=4).train()
    cost = inference_cost(generator, 40, 50, warmup=1, runs=3)
    padded = count_macs(generator.eval(), torch.rand(1, 3, 64, 64))
    assert cost.macs == padded  # 40×50 is padded to 64×64, the size the U-Net really sees
    assert cost.latency_ms > 0 and cost.peak_memory_mb is None  # CPU: no per-model memory
    generator.train()
    inference_cost(generator, 32, 32, warmup=0, runs=1)
    assert generator.training
