"""Cost columns: multiply-accumulates counted by hand, latency and memory measured sanely."""

from __future__ import annotations

import pytest
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


def _layer_formula(model: nn.Module, *inputs: torch.Tensor) -> int:
    """MACs by the per-layer formula (convolutions, transposed convolutions, linear layers):
    what the cost columns counted before torch's flop counter, the reference for CNNs."""
    total = 0

    def hook(module: nn.Module, args: tuple[torch.Tensor, ...], output: torch.Tensor) -> None:
        nonlocal total
        if isinstance(module, nn.ConvTranspose2d):
            kernel = module.kernel_size[0] * module.kernel_size[1]
            total += args[0].numel() * (module.out_channels // module.groups) * kernel
        elif isinstance(module, nn.Conv2d):
            kernel = module.kernel_size[0] * module.kernel_size[1]
            total += output.numel() * (module.in_channels // module.groups) * kernel
        elif isinstance(module, nn.Linear):
            total += output.numel() * module.in_features

    hooks = [m.register_forward_hook(hook) for m in model.modules()]
    with torch.no_grad():
        model(*inputs)
    for handle in hooks:
        handle.remove()
    return total


@pytest.mark.parametrize(
    ("name", "options", "size"),
    [("unet", {"num_downs": 6}, 64), ("resnet", {}, 64), ("attentive", {}, 48)],
)
def test_the_three_families_count_as_their_layers_say(name: str, options: dict, size: int) -> None:
    generator = derainbench.create_generator(name, **options).eval()
    image = torch.rand(1, 3, size, size)
    assert count_macs(generator, image) == _layer_formula(generator, image)


def test_attention_matrix_products_are_counted() -> None:
    class Attention(nn.Module):
        def __init__(self, dim: int) -> None:
            super().__init__()
            self.qkv, self.out = nn.Linear(dim, 3 * dim), nn.Linear(dim, dim)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            q, k, v = self.qkv(x).chunk(3, dim=-1)
            weights = (q @ k.transpose(-2, -1)).softmax(-1)
            return self.out(weights @ v)

    tokens, dim = 16, 8
    by_hand = (tokens * dim * 3 * dim  # q, k, v projections
               + tokens * tokens * dim  # q · kᵀ
               + tokens * tokens * dim  # weights · v
               + tokens * dim * dim)  # output projection  # fmt: skip
    block = Attention(dim)
    x = torch.rand(1, tokens, dim)
    assert count_macs(block, x) == by_hand
    assert _layer_formula(block, x) < by_hand  # what per-layer hooks would have missed


def test_inference_cost_counts_the_padded_size_and_restores_the_mode() -> None:
    generator = derainbench.create_generator("unet", num_downs=5, ngf=4).train()
    cost = inference_cost(generator, 40, 50, warmup=1, runs=3)
    padded = count_macs(generator.eval(), torch.rand(1, 3, 64, 64))
    assert cost.macs == padded  # 40×50 is padded to 64×64, the size the U-Net really sees
    assert cost.latency_ms > 0 and cost.peak_memory_mb is None  # CPU: no per-model memory
    generator.train()
    inference_cost(generator, 32, 32, warmup=0, runs=1)
    assert generator.training
