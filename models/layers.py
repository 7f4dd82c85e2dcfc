"""Layer choices shared by the model families: normalisation and the originals' initialisation."""

from __future__ import annotations

from collections.abc import Callable

from torch import nn

from derainbench.errors import DerainBenchError

NORMS = ("batch", "instance", "none")


def norm_layer(kind: str) -> Callable[[int], nn.Module]:
    """A constructor for the named normalisation, as pix2pix's ``get_norm_layer`` defines them."""
    if kind == "batch":
        return lambda channels: nn.BatchNorm2d(channels, affine=True, track_running_stats=True)
    if kind == "instance":
        return lambda channels: nn.InstanceNorm2d(channels, affine=False, track_running_stats=False)
    if kind == "none":
        return lambda channels: nn.Identity()
    raise DerainBenchError(f"unknown norm '{kind}'; choose one of {', '.join(NORMS)}")


def require_sizes(component: str, minimum: float = 1, **sizes: float) -> None:
    """Refuse, in one line, a width, depth or count below ``minimum`` (an empty layer)."""
    for name, value in sizes.items():
        if value < minimum:
            raise DerainBenchError(f"{component}: {name} must be at least {minimum} (got {value})")


def conv_bias_needed(kind: str) -> bool:
    """Convs followed by BatchNorm carry no bias in the originals (the norm's shift replaces it)."""
    return kind != "batch"


def init_normal(module: nn.Module, gain: float = 0.02) -> None:
    """pix2pix / DeblurGAN initialisation: conv and linear weights N(0, gain), biases 0,
    BatchNorm weights N(1, gain), BatchNorm biases 0."""
    for m in module.modules():
        if isinstance(m, nn.Conv2d | nn.ConvTranspose2d | nn.Linear):
            nn.init.normal_(m.weight, 0.0, gain)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d) and m.affine:
            nn.init.normal_(m.weight, 1.0, gain)
            nn.init.zeros_(m.bias)
