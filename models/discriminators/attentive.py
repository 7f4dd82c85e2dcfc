"""The Attentive GAN discriminator (Qian et al., CVPR 2018), in two variants.

The published code (rui1996/DeRaindrop ``Discriminator``) cannot run: its forward pass applies
the 128→64 stride-4 conv twice (the second call gets 64 channels), and its fully connected layer
is sized for 14×14 features, i.e. square inputs of 219–234 px. derainbench ships

- ``attentive-faithful``: the published layers with the duplicate call removed, for 224×224
  inputs (7,737,746 parameters, the original's outputs for the same weights once fixed);
- ``attentive``: the same trunk with global average pooling before the two linear layers, so it
  takes any size (the variant the combination matrix uses).

Both return logits (the original ends in a sigmoid, which the objectives apply themselves) and
the attention map (a 5×5 conv, no activation) by which the features are multiplied; with
``attention_map=False`` neither the map nor the multiplication exists: the paper's plain
discriminator. Both are unconditional; the trunk sees the image in [0, 1] as the original does.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping

import torch.nn.functional as F
from torch import Tensor, nn

from derainbench.contracts import D_ATTENTION, Discriminator, Judgement
from derainbench.errors import DerainBenchError
from derainbench.models.generators.attentive_blocks import scaled
from derainbench.models.layers import require_sizes
from derainbench.registries import DISCRIMINATORS

FAITHFUL_SIZE = 224
_TRUNK = (8, 16, 64, 128, 128, 128)  # six 5×5 stride-1 convs


def reduced_side(side: int) -> int:
    """Side of the feature map after the two 5×5 stride-4 convs (padding 1)."""
    for _ in range(2):
        side = (side + 2 - 5) // 4 + 1
    return side


class AttentiveDiscriminator(Discriminator):
    """Six 5×5 convs → attention map × features → two stride-4 convs → two linear layers."""

    conditional = False

    def __init__(
        self,
        attention_map: bool = True,
        width: float = 1.0,
        input_size: int | None = None,
    ) -> None:
        super().__init__()
        channels = [3, *(scaled(c, width) for c in _TRUNK)]
        self.trunk = nn.ModuleList(
            nn.Conv2d(a, b, 5, 1, 2) for a, b in itertools.pairwise(channels)
        )
        self.to_map = nn.Conv2d(channels[-1], 1, 5, 1, 2) if attention_map else None
        c64, c32 = scaled(64, width), scaled(32, width)
        self.reduce = nn.ModuleList(
            [nn.Conv2d(channels[-1], c64, 5, 4, 1), nn.Conv2d(c64, c32, 5, 4, 1)]
        )
        # None: global average pooling (any size); a side: the original's flatten for that size.
        self.input_size = input_size
        flat = c32 if input_size is None else c32 * reduced_side(input_size) ** 2
        hidden = scaled(1024, width)
        self.fc = nn.Sequential(nn.Linear(flat, hidden), nn.Linear(hidden, 1))  # no nonlinearity
        self.provides = frozenset({D_ATTENTION} if attention_map else ())

    def forward(self, x: Tensor) -> Judgement:
        height, width = x.shape[-2:]
        side = reduced_side(self.input_size) if self.input_size is not None else None
        if side is not None and (reduced_side(height), reduced_side(width)) != (side, side):
            # Checked up front: the flatten would otherwise fail deep inside with a shape error.
            raise DerainBenchError(
                f"attentive-faithful takes {self.input_size}×{self.input_size} inputs (its fully "
                f"connected layer is sized for them), got {height}×{width}; set "
                f"train.crop = {self.input_size} or use the any-size 'attentive' discriminator"
            )
        for conv in self.trunk:
            x = F.relu(conv(x))
        attention = None
        if self.to_map is not None:
            attention = self.to_map(x)
            x = x * attention
        for conv in self.reduce:
            x = F.relu(conv(x))
        x = x.mean(dim=(2, 3)) if self.input_size is None else x.flatten(1)
        return Judgement(logits=self.fc(x), attention=attention)


_METADATA = {
    "paper": "Qian et al., Attentive Generative Adversarial Network for Raindrop Removal from "
    "a Single Image, CVPR 2018",
    "family": "attentive-gan",
    "native_range": "[0, 1]",
    "channel_order": "RGB",
    "conditional": False,
    "provides": (D_ATTENTION,),
}


@DISCRIMINATORS.register(
    "attentive",
    **_METADATA,
    outputs=("logits: B×1", "attention: B×1×H×W (when attention_map)"),
    description="Attentive GAN discriminator, fully convolutional (global average pooling): "
    "any input size",
    test_kwargs={"width": 0.125},
)
def attentive(attention_map: bool = True, width: float = 1.0) -> AttentiveDiscriminator:
    """Attentive discriminator for any input size (global average pooling before the FC)."""
    require_sizes("attentive", minimum=1 / 64, width=width)
    return AttentiveDiscriminator(attention_map=attention_map, width=width)


@DISCRIMINATORS.register(
    "attentive-faithful",
    **_METADATA,
    outputs=("logits: B×1", "attention: B×1×224×224 (when attention_map)"),
    input_size=FAITHFUL_SIZE,
    description="Attentive GAN discriminator as published (duplicated conv removed): 224×224 "
    "inputs, 7,737,746 parameters",
    test_kwargs={"width": 0.125, "input_size": 64},
)
def attentive_faithful(
    attention_map: bool = True, width: float = 1.0, input_size: int = FAITHFUL_SIZE
) -> AttentiveDiscriminator:
    """The published attentive discriminator, fixed, for ``input_size`` squares (224)."""
    if reduced_side(input_size) < 1:
        raise DerainBenchError(f"attentive-faithful: input_size {input_size} is too small")
    require_sizes("attentive-faithful", minimum=1 / 64, width=width)
    return AttentiveDiscriminator(attention_map=attention_map, width=width, input_size=input_size)


#: The original's module prefixes → ours.
ORIGINAL_PREFIXES: dict[str, str] = {
    **{f"conv{k}.0": f"trunk.{k - 1}" for k in range(1, 7)},
    "conv_mask.0": "to_map",
    "conv7.0": "reduce.0",
    "conv8.0": "reduce.1",
    "fc.0": "fc.0",
    "fc.1": "fc.1",
}


def convert_original_discriminator(original: Mapping[str, Tensor]) -> dict[str, Tensor]:
    """Our state dict from DeRaindrop ``Discriminator`` weights (BGR input channels → RGB)."""
    original = {k.removeprefix("module."): v for k, v in original.items()}
    converted = {}
    for old, new in ORIGINAL_PREFIXES.items():
        for kind in ("weight", "bias"):
            tensor = original[f"{old}.{kind}"].detach().clone()
            if old == "conv1.0" and kind == "weight":
                tensor = tensor.flip(1)  # the trunk's first conv sees the image: BGR → RGB
            converted[f"{new}.{kind}"] = tensor
    return converted
