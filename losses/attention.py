"""Attentive GAN's attention terms: the generator's attention loss and the discriminator's map loss.

The raindrop mask M of the attention loss comes either from the dataset (``mask_source =
"dataset"``, the default: SynthDrop's exact soft mask, or a paired folder's ``mask_rule``), or
from the pair itself (``"pair"``): the paper's rule, |rainy − clean| above a threshold, with the
channel rule and optional morphology of :func:`derainbench.datasets.masks.raindrop_mask`,
computed per batch on the training crop, so that any paired dataset can train the attention.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from derainbench.contracts import ATTENTION, D_ATTENTION, MASK
from derainbench.datasets.masks import MASK_RULES, raindrop_mask
from derainbench.errors import DerainBenchError
from derainbench.losses.base import DISCRIMINATOR, LossTerm, TermInputs
from derainbench.registries import TERMS

MASK_SOURCES = ("pair", "dataset")


class AttentionTerm(LossTerm):
    """Σ_t θ^(N−t) · MSE(A_t, M) over the N attention maps: later steps weigh more."""

    def __init__(
        self,
        theta: float = 0.8,
        mask_source: str = "dataset",
        mask_rule: str = "max",
        mask_threshold: float = 30.0,
        mask_morphology: bool = False,
    ) -> None:
        super().__init__()
        if mask_source not in MASK_SOURCES:
            raise DerainBenchError(
                f"attention: mask_source must be 'pair' or 'dataset' (got '{mask_source}')"
            )
        if mask_rule not in MASK_RULES:
            raise DerainBenchError(
                f"attention: unknown mask_rule '{mask_rule}'; choose {', '.join(MASK_RULES)}"
            )
        self.theta = theta
        self.mask_source = mask_source
        self.mask_rule = mask_rule
        self.threshold = mask_threshold / 255.0  # given in 8-bit levels, as the paper states it
        self.morphology = mask_morphology
        self.needs = frozenset({ATTENTION, MASK} if mask_source == "dataset" else {ATTENTION})

    def mask(self, inputs: TermInputs) -> Tensor:
        """M for this batch, (B, 1, H, W)."""
        if self.mask_source == "dataset":
            if inputs.mask is None:
                raise DerainBenchError("attention: mask_source is 'dataset' but the batch has none")
            return inputs.mask.to(inputs.clean.dtype)
        with torch.no_grad():
            return raindrop_mask(
                inputs.rainy, inputs.clean, self.threshold, self.mask_rule, self.morphology
            )

    def forward(self, inputs: TermInputs) -> Tensor:
        maps = inputs.restoration.attention
        if not maps:
            raise DerainBenchError("attention: the generator returned no attention maps")
        target = self.mask(inputs)
        steps = len(maps)
        total = maps[0].new_zeros((), dtype=torch.float32)
        for t, attention in enumerate(maps, start=1):
            total = total + self.theta ** (steps - t) * F.mse_loss(attention.float(), target)
        return total


@TERMS.register(
    "attention",
    needs=(ATTENTION, MASK),
    player="generator",
    description="Σ θ^(N−t)·MSE(A_t, M): each step's attention map against the raindrop mask",
    paper="Qian et al., CVPR 2018 (N = 4, θ = 0.8)",
    notes=(
        "mask M: the dataset's (mask_source 'dataset') or from the pair (mask_source 'pair': "
        "mask_rule, mask_threshold in 8-bit levels, mask_morphology)",
    ),
    test_kwargs={"mask_source": "pair"},
)
def attention(
    theta: float = 0.8,
    mask_source: str = "dataset",
    mask_rule: str = "max",
    mask_threshold: float = 30.0,
    mask_morphology: bool = False,
) -> AttentionTerm:
    """Attention loss; with ``mask_source='dataset'`` (default) it needs masks from the dataset,
    with ``'pair'`` it derives them from each (rainy, clean) batch."""
    return AttentionTerm(theta, mask_source, mask_rule, mask_threshold, mask_morphology)


def resized_to(x: Tensor, like: Tensor) -> Tensor:
    """``x`` resized (bilinear) to the spatial size of ``like``, untouched when they agree."""
    if x.shape[-2:] == like.shape[-2:]:
        return x
    return F.interpolate(x, size=like.shape[-2:], mode="bilinear", align_corners=False)


class AttentionMapTerm(LossTerm):
    """MSE(D_map(O), A_N) + MSE(D_map(T), 0): the discriminator's map should find what the
    generator attended to on restored images, and nothing on clean ones.

    A_N is resized to the discriminator map's size if they differ (both derainbench attentive
    discriminators keep the full resolution, so normally nothing is resized).
    """

    needs = frozenset({D_ATTENTION, ATTENTION})
    player = DISCRIMINATOR

    def forward(self, inputs: TermInputs) -> Tensor:
        fake, real = inputs.judgement, inputs.real_judgement
        maps = inputs.restoration.attention
        if fake is None or real is None or fake.attention is None or real.attention is None:
            raise DerainBenchError("attention-map: the discriminator returned no attention map")
        if not maps:
            raise DerainBenchError("attention-map: the generator returned no attention maps")
        target = resized_to(maps[-1].detach().float(), fake.attention)
        fake_map, real_map = fake.attention.float(), real.attention.float()
        return F.mse_loss(fake_map, target) + F.mse_loss(real_map, torch.zeros_like(real_map))


@TERMS.register(
    "attention-map",
    needs=(D_ATTENTION, ATTENTION),
    player="discriminator",
    description="discriminator side: MSE(D_map(restored), A_N) + MSE(D_map(clean), 0)",
    paper="Qian et al., CVPR 2018 (γ = 0.05)",
)
def attention_map() -> AttentionMapTerm:
    """The discriminator's map loss L_map of Attentive GAN (weight γ in the recipe)."""
    return AttentionMapTerm()
