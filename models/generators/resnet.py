"""The DeblurGAN ResNet generator (Kupyn et al., CVPR 2018), as the authors' code defines it.

Faithful to KupynOrest/DeblurGAN @ 39e8a4b ``ResnetGenerator`` (the layout its released weights
fit): same layers, 11,378,179 parameters at ngf 64 with 9 blocks, and the same outputs for the same
weights. The original works on RGB in [-1, 1]; this module converts at its boundary. With
``learn_residual`` (the authors' setting) the output is clamp(input + branch, -1, 1).
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import Tensor, nn

from derainbench.contracts import Generator, Restoration, from_signed, to_signed
from derainbench.errors import DerainBenchError
from derainbench.models.layers import (
    NORMS,
    conv_bias_needed,
    init_normal,
    norm_layer,
    require_sizes,
)
from derainbench.models.original_weights import (
    ImportedGenerator,
    convert_in_order,
    register_importer,
)
from derainbench.registries import GENERATORS


class ResnetBlock(nn.Module):
    """Reflect-pad, 3×3 conv, norm, ReLU, [dropout], reflect-pad, 3×3 conv, norm; plus the input."""

    def __init__(self, channels: int, norm: str, dropout: bool) -> None:
        super().__init__()
        bias = conv_bias_needed(norm)
        make_norm = norm_layer(norm)
        layers: list[nn.Module] = [
            nn.ReflectionPad2d(1),
            nn.Conv2d(channels, channels, 3, bias=bias),
            make_norm(channels),
            nn.ReLU(),
        ]
        if dropout:
            layers.append(nn.Dropout(0.5))
        layers += [nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3, bias=bias)]
        layers.append(make_norm(channels))
        self.body = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        return x + self.body(x)  # no activation after the sum, as in the original


class ResnetGenerator(Generator):
    """7×7 stem, two stride-2 downs, ``n_blocks`` residual blocks at 4·ngf, two ups, 7×7 out."""

    multiple_of = 4

    def __init__(
        self,
        ngf: int = 64,
        n_blocks: int = 9,
        norm: str = "instance",
        dropout: bool = True,
        learn_residual: bool = True,
    ) -> None:
        super().__init__()
        if n_blocks < 0:
            raise DerainBenchError(f"resnet needs n_blocks >= 0 (got {n_blocks})")
        if norm not in NORMS:
            raise DerainBenchError(f"resnet: unknown norm '{norm}'; choose one of {NORMS}")
        self.learn_residual = learn_residual
        bias = conv_bias_needed(norm)
        make_norm = norm_layer(norm)
        self.stem = nn.Sequential(
            nn.ReflectionPad2d(3), nn.Conv2d(3, ngf, 7, bias=bias), make_norm(ngf), nn.ReLU()
        )
        down: list[nn.Module] = []
        for width in (ngf, ngf * 2):
            down += [nn.Conv2d(width, width * 2, 3, 2, 1, bias=bias), make_norm(width * 2)]
            down.append(nn.ReLU())
        self.down = nn.Sequential(*down)
        self.blocks = nn.Sequential(*(ResnetBlock(ngf * 4, norm, dropout) for _ in range(n_blocks)))
        up: list[nn.Module] = []
        for width in (ngf * 4, ngf * 2):
            up.append(nn.ConvTranspose2d(width, width // 2, 3, 2, 1, output_padding=1, bias=bias))
            up += [make_norm(width // 2), nn.ReLU()]
        self.up = nn.Sequential(*up)
        # The last conv has a bias whatever the norm, as in the original.
        self.head = nn.Sequential(nn.ReflectionPad2d(3), nn.Conv2d(ngf, 3, 7), nn.Tanh())

    def forward(self, rainy: Tensor) -> Restoration:
        x = to_signed(rainy)
        y = self.head(self.up(self.blocks(self.down(self.stem(x)))))
        if self.learn_residual:
            y = torch.clamp(x + y, -1.0, 1.0)
        return Restoration(image=from_signed(y))


@GENERATORS.register(
    "resnet",
    paper="Kupyn et al., DeblurGAN: Blind Motion Deblurring Using Conditional Adversarial "
    "Networks, CVPR 2018",
    family="deblurgan",
    native_range="[-1, 1]",
    channel_order="RGB",
    multiple_of=4,
    outputs=("image",),
    provides=(),
    description="DeblurGAN ResNet generator (9 blocks, learned residual at the defaults)",
    test_kwargs={"ngf": 4, "n_blocks": 2},
)
def resnet(
    ngf: int = 64,
    n_blocks: int = 9,
    norm: str = "instance",
    dropout: bool = True,
    learn_residual: bool = True,
    init_gain: float = 0.02,
) -> ResnetGenerator:
    """DeblurGAN ResNet generator (ngf 64, 9 blocks at the defaults: 11,378,179 parameters)."""
    require_sizes("resnet", ngf=ngf)
    require_sizes("resnet", minimum=0, n_blocks=n_blocks)
    model = ResnetGenerator(ngf, n_blocks, norm, dropout, learn_residual)
    init_normal(model, init_gain)
    return model


@register_importer("deblurgan")
def import_deblurgan(original: Mapping[str, Tensor]) -> ImportedGenerator:
    """DeblurGAN's released generator (2018 ``ResnetGenerator`` layout) → ``resnet``.

    The width, block count, norm and dropout are read from the weights; ``learn_residual`` cannot
    be, and is taken as True: the authors trained and tested with ``--learn_residual``.
    """
    original = {k.removeprefix("module."): v for k, v in original.items()}
    if "model.1.weight" not in original or not any(".conv_block." in k for k in original):
        raise DerainBenchError(
            "these are not DeblurGAN ResnetGenerator weights (no model.1 / conv_block keys)"
        )
    norm = "batch" if "model.2.weight" in original else "instance"
    if norm == "instance":
        # PyTorch 0.3 kept running statistics in InstanceNorm layers but never used them (0.4
        # stopped tracking them); the released file may carry them, and they mean nothing.
        original = {k: v for k, v in original.items() if not _is_statistic(k)}
    blocks = {k.split(".")[1] for k in original if ".conv_block." in k}
    options = {
        "ngf": int(original["model.1.weight"].shape[0]),
        "n_blocks": len(blocks),
        "norm": norm,
        # With dropout the block's second conv is conv_block.6, without it conv_block.5.
        "dropout": any(".conv_block.6." in k for k in original),
        "learn_residual": True,
    }
    model = resnet(**options)
    return ImportedGenerator(
        "resnet",
        options,
        convert_original_resnet(model, original),
        "DeblurGAN ResnetGenerator weights (learn_residual assumed, as the authors tested)",
    )


def _is_statistic(key: str) -> bool:
    return key.rsplit(".", 1)[-1] in ("running_mean", "running_var", "num_batches_tracked")


def convert_original_resnet(
    model: ResnetGenerator, original: Mapping[str, Tensor]
) -> dict[str, Tensor]:
    """A state dict for ``model`` from DeblurGAN ``ResnetGenerator`` weights (``model.N...``)."""
    original = {k.removeprefix("module."): v for k, v in original.items()}
    # The original's keys are in module order already; sort numerically to be safe with files
    # whose dict order was lost (model.10 must come after model.9).
    ordered = dict(sorted(original.items(), key=lambda item: _numeric_key(item[0])))
    return convert_in_order(ordered, model.state_dict(), "DeblurGAN ResNet generator")


def _numeric_key(key: str) -> tuple:
    kinds = ("weight", "bias", "running_mean", "running_var", "num_batches_tracked")
    parts = key.split(".")
    numbers = tuple(int(p) if p.isdigit() else -1 for p in parts[:-1])
    last = parts[-1]
    return (*numbers, kinds.index(last) if last in kinds else len(kinds))
