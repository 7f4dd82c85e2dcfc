"""A discriminator family on any timm backbone: how an outside model zoo plugs in.

The backbone's feature extractor (``timm.create_model(..., features_only=True)``) turns the
ImageNet-normalised input into feature maps; a head on one stage (the last by default) gives the
logits: ``head="patch"``, a 1×1 conv giving one logit per feature-map position (B×1×h×w), or
``head="global"``, average pooling and a linear layer (B×1). Weights are random, or read from a
LOCAL file the user names (``pretrained_weights``, read with ``weights_only=True``); nothing is
ever downloaded. For a conditional discriminator (6 input channels) the stem conv of 3-channel
weights is adapted by timm's ``adapt_input_conv`` (repeated and rescaled).
"""

from __future__ import annotations

import os

import torch
from torch import Tensor, nn

from derainbench.contracts import Discriminator, Judgement
from derainbench.errors import DerainBenchError
from derainbench.models.weight_files import read_state_dict
from derainbench.registries import DISCRIMINATORS

HEADS = ("patch", "global")


class TimmDiscriminator(Discriminator):
    """A timm feature extractor plus a patch or global logit head."""

    def __init__(
        self,
        backbone: nn.Module,
        head: str,
        conditional: bool,
        mean: tuple[float, ...],
        std: tuple[float, ...],
    ) -> None:
        super().__init__()
        self.conditional = conditional
        self.backbone = backbone
        channels = backbone.feature_info.channels()[-1]
        self.global_head = head == "global"
        self.head = nn.Linear(channels, 1) if self.global_head else nn.Conv2d(channels, 1, 1)
        # Both halves of a conditional input (rainy, image) are normalised alike.
        repeat = 2 if conditional else 1
        self.register_buffer("mean", torch.tensor(mean * repeat).view(1, -1, 1, 1))
        self.register_buffer("std", torch.tensor(std * repeat).view(1, -1, 1, 1))

    def forward(self, x: Tensor) -> Judgement:
        features = self.backbone((x - self.mean) / self.std)[-1]
        if self.global_head:
            return Judgement(logits=self.head(features.mean(dim=(2, 3))))
        return Judgement(logits=self.head(features))


def load_local_backbone_weights(
    backbone: nn.Module, path: str | os.PathLike, first_conv: str | None
) -> None:
    """Load a local timm/torchvision checkpoint into ``backbone``, checking every tensor."""
    from timm.models import adapt_input_conv

    state = read_state_dict(path, "timm backbone weights")
    target = backbone.state_dict()
    stem = f"{first_conv}.weight" if first_conv else None
    if stem in state and stem in target and state[stem].shape[1] != target[stem].shape[1]:
        state[stem] = adapt_input_conv(target[stem].shape[1], state[stem])
    missing = [k for k in target if k not in state]
    if missing:
        raise DerainBenchError(
            f"{path} lacks {len(missing)} of the backbone's {len(target)} tensors (first: "
            f"'{missing[0]}'); is it a checkpoint of this backbone?"
        )
    for key, value in target.items():
        if tuple(state[key].shape) != tuple(value.shape):
            raise DerainBenchError(
                f"{path}: '{key}' is {tuple(state[key].shape)} where the backbone has "
                f"{tuple(value.shape)}; is it a checkpoint of this backbone?"
            )
    # Tensors beyond the features (the classifier) are left out; the rest must load exactly.
    backbone.load_state_dict({k: state[k] for k in target}, strict=True)


@DISCRIMINATORS.register(
    "timm",
    paper="any timm backbone (Wightman, PyTorch Image Models) with a patch or global head",
    family="timm",
    native_range="ImageNet-normalised [0, 1]",
    channel_order="RGB",
    conditional=True,
    outputs=("logits: B×1×h×w (head 'patch') or B×1 (head 'global')",),
    provides=(),
    description="features of any timm backbone + a patch or global head (resnet18 by default)",
    # timm's own tiny ResNet; at 32-px test crops the last stage is 1×1, where BatchNorm over a
    # batch of 2 outputs ±1 whatever its input, so tests read the stride-16 stage instead.
    test_kwargs={"backbone": "test_resnet", "feature_index": -2},
)
def timm_discriminator(
    backbone: str = "resnet18",
    head: str = "patch",
    conditional: bool = True,
    feature_index: int = -1,
    pretrained_weights: str | None = None,
) -> TimmDiscriminator:
    """A timm backbone's features + a logit head; random weights unless a local file is named."""
    import timm  # heavy: imported only when this discriminator is built

    if head not in HEADS:
        raise DerainBenchError(f"timm discriminator head must be one of {HEADS} (got '{head}')")
    if not timm.is_model(backbone):
        raise DerainBenchError(
            f"timm has no model '{backbone}'; see timm.list_models() for the names"
        )
    try:
        features = timm.create_model(
            backbone,
            pretrained=False,
            features_only=True,
            in_chans=6 if conditional else 3,
            out_indices=(feature_index,),
        )
    except (RuntimeError, ValueError, IndexError, AttributeError) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise DerainBenchError(
            f"timm backbone '{backbone}' has no usable features: {reason}"
        ) from None
    config = getattr(features, "pretrained_cfg", None) or {}
    if pretrained_weights is not None:
        load_local_backbone_weights(features, pretrained_weights, config.get("first_conv"))
    mean = tuple(config.get("mean", (0.485, 0.456, 0.406)))
    std = tuple(config.get("std", (0.229, 0.224, 0.225)))
    return TimmDiscriminator(features, head, conditional, mean, std)
