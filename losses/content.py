"""DeblurGAN's content loss: MSE between VGG19 features of the restored and the clean image.

The features are those of conv3_3 before its ReLU (index 14 of torchvision's ``vgg19.features``,
where the original cuts the trunk). VGG19 weights follow the offline policy of
:mod:`derainbench.models.pretrained`: a user path, ``$DERAINBENCH_VGG19_WEIGHTS`` or the torch hub
cache, hash-checked and loaded strictly; nothing is downloaded, and a missing file is one error.

``input_convention="imagenet"`` (the default) normalises [0, 1] images with ImageNet's mean and
std, the inputs VGG19 was trained on. ``"signed"`` reproduces the original, which feeds [-1, 1]
images without that normalisation; the ``deblurgan`` recipe uses it so that its weight of 100
means what it means in the paper.
"""

from __future__ import annotations

import os

import torch
import torch.nn.functional as F
from torch import Tensor

from derainbench.losses.base import LossTerm, TermInputs
from derainbench.registries import TERMS


class ContentTerm(LossTerm):
    """Mean squared error between one VGG19 layer's features of the restoration and the target."""

    def __init__(
        self,
        layer: str = "conv3_3",
        weights: str | os.PathLike | None = None,
        input_convention: str = "imagenet",
    ) -> None:
        super().__init__()
        from derainbench.models.vgg_features import VGGFeatures

        self.layer = layer
        self.features = VGGFeatures("vgg19", (layer,), weights, input_convention)

    def forward(self, inputs: TermInputs) -> Tensor:
        restored = self.features(inputs.restoration.image.float())[self.layer]
        with torch.no_grad():  # the target's features are a constant, as in the original
            target = self.features(inputs.clean.float())[self.layer]
        return F.mse_loss(restored, target)


@TERMS.register(
    "content",
    needs=(),
    player="generator",
    description="MSE of VGG19 conv3_3 features (before ReLU), DeblurGAN's content loss",
    paper="Kupyn et al., CVPR 2018 (λ = 100)",
    pretrained="VGG19 vgg19-dcbb9e9d.pth: weights path, $DERAINBENCH_VGG19_WEIGHTS, or the torch "
    "hub cache; never downloaded",
    test_kwargs={"weights": "random-for-tests"},
)
def content(
    layer: str = "conv3_3",
    weights: str | None = None,
    input_convention: str = "imagenet",
) -> ContentTerm:
    """VGG19 content loss; ``weights``: a local file (else the environment variable, hub cache)."""
    return ContentTerm(layer=layer, weights=weights, input_convention=input_convention)
