"""The DeblurGAN critic (Kupyn et al., CVPR 2018): pix2pix's PatchGAN on the restored image alone.

The same layer sequence as :class:`PatchDiscriminator` (reused, not copied), unconditional (3
input channels), InstanceNorm without affine so that every conv has a bias, no sigmoid: 2,764,737
parameters at ndf 64 with 3 layers. The original computes its padding as ceil((4 - 1) / 2), which
is 1 under the Python 2 the authors ran (integer division) and 2 under Python 3; ``padding=1``
(the default, and the paper's PatchGAN) gives a 30×30 map for 256 px, ``padding=2`` reproduces
the code run under Python 3 (35×35).
"""

from __future__ import annotations

from derainbench.errors import DerainBenchError
from derainbench.models.discriminators.patchgan import PatchDiscriminator
from derainbench.models.layers import init_normal, require_sizes
from derainbench.registries import DISCRIMINATORS


@DISCRIMINATORS.register(
    "critic",
    paper="Kupyn et al., DeblurGAN: Blind Motion Deblurring Using Conditional Adversarial "
    "Networks, CVPR 2018",
    family="deblurgan",
    native_range="[-1, 1]",
    channel_order="RGB",
    conditional=False,
    outputs=("logits: B×1×h×w patches (30×30 at 256 px; 35×35 with padding 2)",),
    provides=(),
    description="DeblurGAN WGAN-GP critic: unconditional PatchGAN, InstanceNorm",
    test_kwargs={"ndf": 4, "n_layers": 2},
)
def critic(
    ndf: int = 64,
    n_layers: int = 3,
    norm: str = "instance",
    padding: int = 1,
    init_gain: float = 0.02,
) -> PatchDiscriminator:
    """DeblurGAN critic (2,764,737 parameters at the defaults); ``padding=2`` = under Python 3."""
    if padding not in (1, 2):
        raise DerainBenchError(f"critic padding must be 1 or 2 (got {padding})")
    require_sizes("critic", ndf=ndf, n_layers=n_layers)
    model = PatchDiscriminator(3, ndf, n_layers, norm, conditional=False, padding=padding)
    init_normal(model, init_gain)
    return model
