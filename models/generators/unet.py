"""The pix2pix U-Net generator (Isola et al., CVPR 2017), as the authors' code defines it.

Faithful to junyanz/pytorch-CycleGAN-and-pix2pix ``UnetGenerator``: same layers, same parameter
count (54,413,955 for ``unet_256``) and the same outputs for the same weights. The original works
on RGB in [-1, 1]; this module converts from and to the package's [0, 1] at its boundary.
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


class UNetLevel(nn.Module):
    """One level of the U-Net: down-sample, the inner levels, up-sample, then the skip."""

    def __init__(
        self,
        outer_channels: int,
        inner_channels: int,
        inner: UNetLevel | None = None,
        in_channels: int | None = None,
        outermost: bool = False,
        norm: str = "batch",
        dropout: bool = False,
    ) -> None:
        super().__init__()
        self.outermost = outermost
        innermost = inner is None
        bias = conv_bias_needed(norm)
        make_norm = norm_layer(norm)
        down_conv = nn.Conv2d(in_channels or outer_channels, inner_channels, 4, 2, 1, bias=bias)
        # Inner levels return cat(skip, output), so the level above sees twice the channels.
        up_in = inner_channels if innermost else inner_channels * 2
        self.act = nn.Identity() if outermost else nn.LeakyReLU(0.2)
        if outermost:
            self.down = nn.Sequential(down_conv)
            up = [nn.ReLU(), nn.ConvTranspose2d(up_in, outer_channels, 4, 2, 1), nn.Tanh()]
        else:
            # The innermost level has no norm on its down path.
            self.down = (
                nn.Sequential(down_conv)
                if innermost
                else nn.Sequential(down_conv, make_norm(inner_channels))
            )
            up = [
                nn.ReLU(),
                nn.ConvTranspose2d(up_in, outer_channels, 4, 2, 1, bias=bias),
                make_norm(outer_channels),
            ]
            if dropout:
                up.append(nn.Dropout(0.5))
        self.inner = inner
        self.up = nn.Sequential(*up)

    def forward(self, x: Tensor) -> Tensor:
        # The original applies this LeakyReLU in place, so its skip carries LeakyReLU(x) rather
        # than x; we reproduce that explicitly (without the in-place write) to match its outputs.
        x = self.act(x)
        y = self.down(x)
        if self.inner is not None:
            y = self.inner(y)
        y = self.up(y)
        return y if self.outermost else torch.cat([x, y], dim=1)


class UNetGenerator(Generator):
    """pix2pix U-Net: ``num_downs`` levels, 4×4 stride-2 convs, skips concatenated."""

    def __init__(
        self,
        num_downs: int = 8,
        ngf: int = 64,
        norm: str = "batch",
        dropout: bool = True,
        in_channels: int = 3,
        out_channels: int = 3,
        learn_residual: bool = False,
    ) -> None:
        super().__init__()
        if num_downs < 5:
            raise DerainBenchError(f"unet needs num_downs >= 5 (got {num_downs})")
        if norm not in NORMS:
            raise DerainBenchError(f"unet: unknown norm '{norm}'; choose one of {NORMS}")
        self.multiple_of = 2**num_downs
        level = UNetLevel(ngf * 8, ngf * 8, norm=norm)  # innermost, 1×1 at the bottleneck
        for _ in range(num_downs - 5):
            level = UNetLevel(ngf * 8, ngf * 8, level, norm=norm, dropout=dropout)
        level = UNetLevel(ngf * 4, ngf * 8, level, norm=norm)
        level = UNetLevel(ngf * 2, ngf * 4, level, norm=norm)
        level = UNetLevel(ngf, ngf * 2, level, norm=norm)
        self.net = UNetLevel(out_channels, ngf, level, in_channels, outermost=True, norm=norm)
        self.learn_residual = learn_residual

    def forward(self, rainy: Tensor) -> Restoration:
        x = to_signed(rainy)
        y = self.net(x)
        if self.learn_residual:
            # Not in pix2pix: the DeblurGAN generator's global skip, for short training plans.
            y = torch.clamp(x + y, -1.0, 1.0)
        return Restoration(image=from_signed(y))


@GENERATORS.register(
    "unet",
    paper="Isola et al., Image-to-Image Translation with Conditional Adversarial Networks, "
    "CVPR 2017",
    family="pix2pix",
    native_range="[-1, 1]",
    channel_order="RGB",
    multiple_of=256,
    multiple_of_rule="2^num_downs",
    outputs=("image",),
    provides=(),
    description="pix2pix U-Net (unet_256 at the defaults)",
    test_kwargs={"num_downs": 5, "ngf": 4},
)
def unet(
    num_downs: int = 8,
    ngf: int = 64,
    norm: str = "batch",
    dropout: bool = True,
    init_gain: float = 0.02,
    learn_residual: bool = False,
) -> UNetGenerator:
    """pix2pix U-Net generator (``unet_256`` at the defaults: 54,413,955 parameters).

    ``learn_residual`` (not in pix2pix; off at the defaults) adds the input to the output, as
    DeblurGAN's generator does: the network then starts near the identity and learns a
    correction. (pix2pix's demo plan does not use it: under L1 the residual barely moved.)"""
    require_sizes("unet", num_downs=num_downs, ngf=ngf)
    model = UNetGenerator(
        num_downs=num_downs, ngf=ngf, norm=norm, dropout=dropout, learn_residual=learn_residual
    )
    init_normal(model, init_gain)
    return model


@register_importer("pix2pix")
def import_pix2pix(original: Mapping[str, Tensor]) -> ImportedGenerator:
    """pix2pix ``latest_net_G.pth`` (unet_256, BatchNorm, dropout) → the ``unet`` generator."""
    original = {k.removeprefix("module."): v for k, v in original.items()}
    if "model.model.0.weight" not in original:
        raise DerainBenchError("these are not pix2pix UnetGenerator weights (no model.model.0)")
    ngf = int(original["model.model.0.weight"].shape[0])
    options = {"num_downs": _count_levels(original), "ngf": ngf}
    model = unet(**options)
    return ImportedGenerator(
        "unet", options, convert_original_unet(model, original), "pix2pix UnetGenerator weights"
    )


def _count_levels(original: Mapping[str, Tensor]) -> int:
    # Each level nests one more "model." in the original's key names (plus the outer wrapper).
    return max(key.count("model.") for key in original) - 1


def convert_original_unet(
    model: UNetGenerator, original: Mapping[str, Tensor]
) -> dict[str, Tensor]:
    """A state dict for ``model`` from pix2pix UnetGenerator weights (latest_net_G.pth)."""
    original = {k.removeprefix("module."): v for k, v in original.items()}
    return convert_in_order(original, model.state_dict(), "pix2pix U-Net")
