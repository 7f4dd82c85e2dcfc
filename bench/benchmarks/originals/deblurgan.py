"""The DeblurGAN networks written in the ORIGINAL's module layout, for parity tests.

Written for these tests from shared/reference/architectures.md and the public structure of
KupynOrest/DeblurGAN @ 39e8a4b (``ResnetGenerator``, ``ResnetBlock``, ``NLayerDiscriminator``):
one flat ``model`` Sequential (keys ``model.N...``), blocks with a ``conv_block`` Sequential,
in-place ReLUs, InstanceNorm without affine, inputs and outputs in [-1, 1].
"""

from __future__ import annotations

import torch
from torch import nn


def _instance_norm(channels: int) -> nn.Module:
    return nn.InstanceNorm2d(channels, affine=False)


class OriginalResnetBlock(nn.Module):
    def __init__(self, dim: int, dropout: bool) -> None:
        super().__init__()
        seq = [nn.ReflectionPad2d(1), nn.Conv2d(dim, dim, 3), _instance_norm(dim), nn.ReLU(True)]
        if dropout:
            seq.append(nn.Dropout(0.5))
        seq += [nn.ReflectionPad2d(1), nn.Conv2d(dim, dim, 3), _instance_norm(dim)]
        self.conv_block = nn.Sequential(*seq)

    def forward(self, x):
        return x + self.conv_block(x)


class OriginalResnetGenerator(nn.Module):
    def __init__(self, ngf=64, n_blocks=9, dropout=True, learn_residual=True):
        super().__init__()
        self.learn_residual = learn_residual
        seq = [nn.ReflectionPad2d(3), nn.Conv2d(3, ngf, 7), _instance_norm(ngf), nn.ReLU(True)]
        for mult in (1, 2):
            seq += [nn.Conv2d(ngf * mult, ngf * mult * 2, 3, stride=2, padding=1),
                    _instance_norm(ngf * mult * 2), nn.ReLU(True)]  # fmt: skip
        seq += [OriginalResnetBlock(ngf * 4, dropout) for _ in range(n_blocks)]
        for mult in (4, 2):
            seq += [nn.ConvTranspose2d(ngf * mult, ngf * mult // 2, 3, stride=2, padding=1,
                                       output_padding=1),
                    _instance_norm(ngf * mult // 2), nn.ReLU(True)]  # fmt: skip
        seq += [nn.ReflectionPad2d(3), nn.Conv2d(ngf, 3, 7), nn.Tanh()]
        self.model = nn.Sequential(*seq)

    def forward(self, x):
        out = self.model(x)
        if self.learn_residual:
            out = torch.clamp(x + out, min=-1, max=1)
        return out


class OriginalCritic(nn.Module):
    """NLayerDiscriminator on 3 channels with InstanceNorm; ``padding`` 1 (Python 2) or 2 (3)."""

    def __init__(self, ndf=64, n_layers=3, padding=1):
        super().__init__()
        seq = [nn.Conv2d(3, ndf, 4, 2, padding), nn.LeakyReLU(0.2, True)]
        mult = 1
        for n in range(1, n_layers):
            prev, mult = mult, min(2**n, 8)
            seq += [nn.Conv2d(ndf * prev, ndf * mult, 4, 2, padding),
                    _instance_norm(ndf * mult), nn.LeakyReLU(0.2, True)]  # fmt: skip
        prev, mult = mult, min(2**n_layers, 8)
        seq += [nn.Conv2d(ndf * prev, ndf * mult, 4, 1, padding),
                _instance_norm(ndf * mult), nn.LeakyReLU(0.2, True)]  # fmt: skip
        seq += [nn.Conv2d(ndf * mult, 1, 4, 1, padding)]
        self.model = nn.Sequential(*seq)

    def forward(self, x):
        return self.model(x)


def with_pytorch03_instance_norm_statistics(
    module: nn.Module, state: dict[str, torch.Tensor]
) -> dict[str, torch.Tensor]:
    """``state`` as PyTorch 0.3 saved it: every InstanceNorm carried (unused) running stats."""
    saved: dict[str, torch.Tensor] = {}
    norms = {name for name, m in module.named_modules() if isinstance(m, nn.InstanceNorm2d)}
    owners = sorted(norms | {k.rsplit(".", 1)[0] for k in state}, key=_module_order)
    for owner in owners:
        for key, value in state.items():
            if key.rsplit(".", 1)[0] == owner:
                saved[key] = value
        if owner in norms:
            channels = module.get_submodule(owner).num_features
            saved[f"{owner}.running_mean"] = torch.zeros(channels)
            saved[f"{owner}.running_var"] = torch.ones(channels)
    return saved


def _module_order(name: str) -> tuple[int, ...]:
    return tuple(int(p) if p.isdigit() else -1 for p in name.split("."))
