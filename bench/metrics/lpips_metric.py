"""LPIPS (Zhang et al., CVPR 2018) under the offline weights policy, never with a random trunk.

The ``lpips`` package ships only its small linear layers; the AlexNet / VGG16 trunk is
torchvision's ImageNet file, which it would download. Here the package builds its network with
an empty trunk (so nothing is downloaded) and the trunk is then filled, strictly, from the
hash-checked local file found by :mod:`derainbench.models.pretrained`. When that file is absent
the column stays empty with the reason: a number from a random trunk would look plausible and
mean nothing.
"""

from __future__ import annotations

import os
import warnings

import torch
from torch import Tensor, nn

from derainbench.errors import DerainBenchError
from derainbench.imaging import from_uint8, to_uint8
from derainbench.models.pretrained import ALEXNET, VGG16, MissingWeightsError, WeightsFile
from derainbench.models.pretrained import load_weights as load_checked_weights

TRUNKS: dict[str, WeightsFile] = {"alex": ALEXNET, "vgg": VGG16}
#: Which torchvision ``features`` index each of lpips' trunk modules wraps (its own numbering).
_FEATURE_PREFIX = "net.slice"


def _trunk_state_dict(model: nn.Module, torchvision_state: dict[str, Tensor]) -> dict[str, Tensor]:
    """Map torchvision's ``features.N.*`` keys onto lpips' ``net.sliceK.N.*`` keys."""
    mapped = {}
    for key in model.state_dict():
        if not key.startswith(_FEATURE_PREFIX):
            continue
        index_and_name = key.split(".", 3)[2:]  # ["N", "weight"]
        source = f"features.{'.'.join(index_and_name)}"
        if source not in torchvision_state:
            raise DerainBenchError(f"the trunk weights have no {source} (needed for {key})")
        mapped[key] = torchvision_state[source]
    return mapped


class LPIPSMetric(nn.Module):
    """LPIPS distance per image (B,) for RGB images in [0, 1] (lower is better)."""

    def __init__(self, net: str = "alex", weights: str | os.PathLike | None = None) -> None:
        super().__init__()
        import lpips  # heavy: imported only when LPIPS is computed

        if net not in TRUNKS:
            raise DerainBenchError(f"unknown LPIPS network '{net}'; choose alex or vgg")
        state = load_checked_weights(TRUNKS[net], weights)  # raises MissingWeightsError
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torchvision's deprecation notice for `pretrained`
            # Empty trunk here; it is filled from the checked file right below.
            model = lpips.LPIPS(net=net, pretrained=True, pnet_rand=True, verbose=False)
        trunk = _trunk_state_dict(model, state)
        missing, unexpected = model.load_state_dict(trunk, strict=False)
        not_loaded = [k for k in missing if k.startswith(_FEATURE_PREFIX)]
        if not_loaded or unexpected:
            raise DerainBenchError(f"LPIPS trunk did not load: {not_loaded or unexpected}")
        self.net = net
        self.model = model.eval()
        for parameter in self.model.parameters():
            parameter.requires_grad_(False)

    @torch.no_grad()
    def forward(self, pred: Tensor, target: Tensor) -> Tensor:
        # Scored on the 8-bit images, like every other metric of a protocol.
        pred, target = from_uint8(to_uint8(pred)), from_uint8(to_uint8(target))
        distance = self.model(pred, target, normalize=True)  # normalize: [0, 1] → [-1, 1]
        return distance.flatten(1).mean(1).to(torch.float64)


_WARNED: set[str] = set()


def try_lpips(
    net: str = "alex", weights: str | os.PathLike | None = None, required: bool = False
) -> tuple[LPIPSMetric | None, str]:
    """The metric, or None and the reason it is unavailable (warned once per network).

    ``required`` turns a missing trunk into an error (``--require-lpips``).
    """
    try:
        return LPIPSMetric(net, weights), ""
    except MissingWeightsError as error:
        if required:
            raise
        if net not in _WARNED:
            _WARNED.add(net)
            warnings.warn(f"LPIPS left empty: {error}", stacklevel=2)
        return None, f"no {TRUNKS[net].name}"
