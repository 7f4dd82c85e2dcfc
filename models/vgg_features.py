"""Frozen VGG feature extractors for perceptual and content losses, with named layers.

Layers are named as in the papers (``conv3_3``, ``relu2_2``...). The trunk's weights follow the
offline policy of :mod:`derainbench.models.pretrained`; the only alternative is a seeded random
trunk that must be asked for by name (``weights="random-for-tests"``) and exists for tests.
"""

from __future__ import annotations

import os
import warnings

import torch
from torch import Tensor, nn

from derainbench.errors import DerainBenchError
from derainbench.models.pretrained import VGG16, VGG19, load_weights

RANDOM_FOR_TESTS = "random-for-tests"
ARCHITECTURES = {"vgg16": VGG16, "vgg19": VGG19}
_CONFIGS = {"vgg16": "D", "vgg19": "E"}  # torchvision's names for the two layer lists
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
INPUT_CONVENTIONS = ("imagenet", "signed")


def layer_names(features: nn.Sequential) -> list[str]:
    """Paper names for each module of a torchvision VGG ``features`` stack."""
    names, block, conv = [], 1, 0
    for module in features:
        if isinstance(module, nn.Conv2d):
            conv += 1
            names.append(f"conv{block}_{conv}")
        elif isinstance(module, nn.ReLU):
            names.append(f"relu{block}_{conv}")
        else:  # max pooling ends a block
            names.append(f"pool{block}")
            block, conv = block + 1, 0
    return names


class VGGFeatures(nn.Module):
    """The activations of chosen layers of a frozen VGG, for images in [0, 1]."""

    def __init__(
        self,
        architecture: str = "vgg16",
        layers: tuple[str, ...] = ("relu1_1", "relu1_2", "relu2_1", "relu2_2"),
        weights: str | os.PathLike | None = None,
        input_convention: str = "imagenet",
        seed: int = 0,
    ) -> None:
        super().__init__()
        from torchvision.models import vgg  # heavy: imported only when a VGG loss is built

        if architecture not in ARCHITECTURES:
            raise DerainBenchError(f"unknown VGG '{architecture}'; choose vgg16 or vgg19")
        if input_convention not in INPUT_CONVENTIONS:
            raise DerainBenchError(f"input_convention must be one of {INPUT_CONVENTIONS}")
        # Only the convolutional trunk: the classifier (over 100 M parameters) is never used.
        features = vgg.make_layers(vgg.cfgs[_CONFIGS[architecture]], batch_norm=False)
        if weights == RANDOM_FOR_TESTS:
            warnings.warn(
                f"{architecture} with RANDOM weights (seed {seed}): for tests only, the loss "
                f"means nothing",
                stacklevel=2,
            )
            generator = torch.Generator().manual_seed(seed)
            with torch.no_grad():
                for parameter in features.parameters():
                    parameter.copy_(torch.randn(parameter.shape, generator=generator) * 0.05)
        else:
            # Only the convolutional trunk is used; it must match exactly (strict).
            state = load_weights(ARCHITECTURES[architecture], weights)
            trunk = {
                k.removeprefix("features."): v
                for k, v in state.items()
                if k.startswith("features.")
            }
            features.load_state_dict(trunk, strict=True)
        names = layer_names(features)
        unknown = [layer for layer in layers if layer not in names]
        if unknown:
            raise DerainBenchError(
                f"{architecture} has no layer {', '.join(unknown)}; layers: {', '.join(names)}"
            )
        last = max(names.index(layer) for layer in layers)
        self.trunk = features[: last + 1].eval()
        self.taps = {names.index(layer): layer for layer in layers}
        self.input_convention = input_convention
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1))
        for parameter in self.parameters():
            parameter.requires_grad_(False)

    def train(self, mode: bool = True) -> VGGFeatures:
        # Always frozen in eval mode, whatever the surrounding module does.
        super().train(False)
        return self

    def forward(self, image: Tensor) -> dict[str, Tensor]:
        if self.input_convention == "imagenet":
            x = (image - self.mean) / self.std
        else:  # DeblurGAN's original feeds [-1, 1] images without ImageNet normalisation
            x = image * 2.0 - 1.0
        taps: dict[str, Tensor] = {}
        for index, module in enumerate(self.trunk):
            x = module(x)
            if index in self.taps:
                # Copy: the next in-place ReLU would otherwise overwrite a tapped conv output.
                taps[self.taps[index]] = x.clone()
        return taps
