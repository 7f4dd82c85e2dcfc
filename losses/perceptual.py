"""Attentive GAN's perceptual loss: MSE between frozen ImageNet-VGG16 features of output and target.

The authors' helper (DeRaindrop ``models/vgg_init.py``) collects relu1_1, relu1_2, relu2_1 and
relu2_2 of torchvision's VGG16; how they combined them is unknown (their training code was never
released). derainbench averages the per-layer MSEs with equal weights, so the term's weight means
the same whatever the number of layers, and feeds the trunk ImageNet-normalised RGB: both are
documented guesses. The weights follow the offline policy of
:mod:`derainbench.models.pretrained`: a user path, ``$DERAINBENCH_VGG16_WEIGHTS``, then the torch
hub cache, hash-checked, strict; never downloaded, never silently random.
"""

from __future__ import annotations

import functools

import torch
import torch.nn.functional as F
from torch import Tensor

from derainbench.errors import DerainBenchError
from derainbench.losses.base import LossTerm, TermInputs
from derainbench.models.pretrained import MissingWeightsError, find_weights
from derainbench.models.vgg_features import ARCHITECTURES, RANDOM_FOR_TESTS, VGGFeatures
from derainbench.registries import TERMS

AUTHORS_LAYERS = ("relu1_1", "relu1_2", "relu2_1", "relu2_2")


def frozen_trunk(
    architecture: str, layers: tuple[str, ...], weights: str | None, input_convention: str
) -> VGGFeatures:
    """The VGG features for these options, found by the offline policy and shared in-process."""
    if weights != RANDOM_FOR_TESTS:
        if architecture not in ARCHITECTURES:
            raise DerainBenchError(
                f"perceptual: unknown VGG '{architecture}'; choose vgg16 or vgg19"
            )
        try:
            weights = str(find_weights(ARCHITECTURES[architecture], weights))
        except MissingWeightsError as error:
            raise MissingWeightsError(f"perceptual loss: {error}") from None
    return _shared_trunk(architecture, layers, weights, input_convention)


@functools.lru_cache(maxsize=4)
def _shared_trunk(
    architecture: str, layers: tuple[str, ...], weights: str, input_convention: str
) -> VGGFeatures:
    # Keyed by the file found, not the option given. The trunk is read-only, and an ablation
    # would otherwise build one per variant and read 528 MB of weights each time.
    return VGGFeatures(architecture, layers, weights, input_convention)


class PerceptualTerm(LossTerm):
    """Σ_l w_l · MSE(φ_l(O), φ_l(T)) over the chosen VGG layers (equal weights summing to 1)."""

    def __init__(
        self,
        layers: tuple[str, ...] = AUTHORS_LAYERS,
        layer_weights: tuple[float, ...] | None = None,
        vgg_weights: str | None = None,
        architecture: str = "vgg16",
        input_convention: str = "imagenet",
    ) -> None:
        super().__init__()
        if not layers:
            raise DerainBenchError("perceptual: name at least one VGG layer")
        if layer_weights is not None and len(layer_weights) != len(layers):
            raise DerainBenchError(
                f"perceptual: {len(layer_weights)} layer_weights for {len(layers)} layers"
            )
        self.layers = tuple(layers)
        self.layer_weights = (
            tuple(float(w) for w in layer_weights)
            if layer_weights is not None
            else (1.0 / len(layers),) * len(layers)
        )
        features = frozen_trunk(architecture, self.layers, vgg_weights, input_convention)
        # Kept out of this module's parameters and state dict: a frozen, shared extractor.
        self._features = [features]

    def features(self, image: Tensor) -> dict[str, Tensor]:
        extractor = self._features[0]
        if extractor.mean.device != image.device:
            # The training loop moves networks, not loss terms, to the device.
            extractor.to(image.device)
        return extractor(image.float())

    def forward(self, inputs: TermInputs) -> Tensor:
        output = self.features(inputs.restoration.image)
        with torch.no_grad():
            target = self.features(inputs.clean)
        total = inputs.clean.new_zeros((), dtype=torch.float32)
        for layer, weight in zip(self.layers, self.layer_weights, strict=True):
            total = total + weight * F.mse_loss(output[layer], target[layer])
        return total


@TERMS.register(
    "perceptual",
    needs=(),
    player="generator",
    description="MSE of frozen ImageNet VGG16 features (relu1_1, relu1_2, relu2_1, relu2_2 by "
    "default, equally weighted)",
    paper="Qian et al., CVPR 2018 (layers from the authors' vgg_init.py helper)",
    pretrained="VGG16 vgg16-397923af.pth: vgg_weights path, $DERAINBENCH_VGG16_WEIGHTS, or the "
    "torch hub cache; never downloaded",
    test_kwargs={"vgg_weights": "random-for-tests", "layers": ["relu1_1", "relu2_1"]},
)
def perceptual(
    layers: list[str] | None = None,
    layer_weights: list[float] | None = None,
    vgg_weights: str | None = None,
    architecture: str = "vgg16",
    input_convention: str = "imagenet",
) -> PerceptualTerm:
    """Perceptual loss on frozen VGG features; ``layers`` None = the authors' four layers."""
    return PerceptualTerm(
        tuple(layers) if layers is not None else AUTHORS_LAYERS,
        tuple(layer_weights) if layer_weights is not None else None,
        vgg_weights,
        architecture,
        input_convention,
    )
