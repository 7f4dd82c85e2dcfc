"""The PatchGAN discriminator of pix2pix (Isola et al., CVPR 2017), as the authors' code defines it.

Faithful to ``NLayerDiscriminator``: 2,768,705 parameters at the paper configuration
(conditional, ndf 64, 3 layers, BatchNorm), a 70×70 receptive field and a 30×30 logit map for a
256×256 input. It sees images in [-1, 1] as the original does, converting at its boundary, and
returns logits (no sigmoid).
"""

from __future__ import annotations

from collections.abc import Mapping

from torch import Tensor, nn

from derainbench.contracts import Discriminator, Judgement, to_signed
from derainbench.models.layers import conv_bias_needed, init_normal, norm_layer, require_sizes
from derainbench.models.original_weights import convert_in_order
from derainbench.registries import DISCRIMINATORS


class PatchDiscriminator(Discriminator):
    """A stack of 4×4 convs whose output is one logit per overlapping image patch."""

    def __init__(
        self,
        in_channels: int,
        ndf: int = 64,
        n_layers: int = 3,
        norm: str = "batch",
        conditional: bool = True,
        padding: int = 1,
    ) -> None:
        super().__init__()
        self.conditional = conditional
        bias = conv_bias_needed(norm)
        make_norm = norm_layer(norm)
        layers: list[nn.Module] = [
            nn.Conv2d(in_channels, ndf, 4, 2, padding),
            nn.LeakyReLU(0.2),
        ]
        width = ndf
        for n in range(1, n_layers + 1):
            # The last of these keeps the resolution (stride 1), the others halve it.
            stride = 2 if n < n_layers else 1
            next_width = ndf * min(2**n, 8)
            layers += [
                nn.Conv2d(width, next_width, 4, stride, padding, bias=bias),
                make_norm(next_width),
                nn.LeakyReLU(0.2),
            ]
            width = next_width
        layers.append(nn.Conv2d(width, 1, 4, 1, padding))
        self.layers = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Judgement:
        return Judgement(logits=self.layers(to_signed(x)))


@DISCRIMINATORS.register(
    "patchgan",
    paper="Isola et al., Image-to-Image Translation with Conditional Adversarial Networks, "
    "CVPR 2017",
    family="pix2pix",
    native_range="[-1, 1]",
    channel_order="RGB",
    conditional=True,
    outputs=("logits: B×1×h×w patches (30×30 at 256 px)",),
    provides=(),
    description="pix2pix PatchGAN, 70×70 receptive field at the defaults",
    test_kwargs={"ndf": 4, "n_layers": 2},
)
def patchgan(
    ndf: int = 64,
    n_layers: int = 3,
    norm: str = "batch",
    conditional: bool = True,
    init_gain: float = 0.02,
) -> PatchDiscriminator:
    """pix2pix PatchGAN (70×70 receptive field at the defaults: 2,768,705 parameters)."""
    require_sizes("patchgan", ndf=ndf, n_layers=n_layers)
    in_channels = 6 if conditional else 3
    model = PatchDiscriminator(in_channels, ndf, n_layers, norm, conditional)
    init_normal(model, init_gain)
    return model


def convert_original_patchgan(
    model: PatchDiscriminator, original: Mapping[str, Tensor]
) -> dict[str, Tensor]:
    """A state dict for ``model`` from pix2pix's ``NLayerDiscriminator`` weights."""
    original = {k.removeprefix("module."): v for k, v in original.items()}
    return convert_in_order(original, model.state_dict(), "pix2pix PatchGAN")
