"""Attentive GAN's attention terms: the generator's attention loss and the discriminator's map loss.

The raindrop mask M of the attention loss comes from the dataset when it has one (SynthDrop's
exact soft mask, or a paired folder's ``mask_rule``), and otherwise from the pair itself: the
paper's rule, |rainy − clean| above a threshold (30 of 255 levels, max over channels, by
default), with the options of :func:`derainbench.datasets.masks.raindrop_mask`, computed per
batch on the training crop, so that any paired dataset (a Raindrop folder) trains the attention.
``mask_source`` = "auto" (that default), "dataset" (require the dataset's) or "pair" (always
derive it).
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

MASK_SOURCES = ("auto", "pair", "dataset")


class AttentionTerm(LossTerm):
    """Σ_t θ^(N−t) · MSE(A_t, M) over the N attention maps: later steps weigh more."""

    def __init__(
        self,
        theta: float = 0.8,
        mask_source: str = "auto",
        mask_rule: str = "max",
        mask_threshold: float = 30.0,
        mask_morphology: bool = False,
    ) -> None:
        super().__init__()
        if mask_source not in MASK_SOURCES:
            raise DerainBenchError(
                f"attention: mask_source must be one of {', '.join(MASK_SOURCES)} "
                f"(got '{mask_source}')"
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

    def mask_description(self, dataset_has_masks: bool) -> str:
        """Where M comes from for a dataset with or without masks, in words for the records."""
        if self.mask_source == "dataset" or (self.mask_source == "auto" and dataset_has_masks):
            return "the dataset's masks"
        rule = {"max": "max over channels", "sum": "sum over channels", "gray": "grey level"}
        level = f"{self.threshold * 255:g}/255"
        closing = ", 5×5 close and open" if self.morphology else ""
        channels = rule.get(self.mask_rule, self.mask_rule)
        return f"from each pair: |rainy − clean| {channels} > {level}{closing}"

    def mask(self, inputs: TermInputs) -> Tensor:
        """M for this batch, (B, 1, H, W)."""
        if self.mask_source == "dataset" and inputs.mask is None:
            raise DerainBenchError("attention: mask_source is 'dataset' but the batch has none")
        if self.mask_source != "pair" and inputs.mask is not None:
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
    needs=(ATTENTION,),
    player="generator",
    description="Σ θ^(N−t)·MSE(A_t, M): each step's attention map against the raindrop mask",
    paper="Qian et al., CVPR 2018 (N = 4, θ = 0.8)",
    notes=(
        "mask M: the dataset's when it has one, else from each pair by mask_rule and "
        "mask_threshold (8-bit levels); mask_source 'dataset' or 'pair' forces one of them",
    ),
    test_kwargs={"mask_source": "pair"},
)
def attention(
    theta: float = 0.8,
    mask_source: str = "auto",
    mask_rule: str = "max",
    mask_threshold: float = 30.0,
    mask_morphology: bool = False,
) -> AttentionTerm:
    """Attention loss; M is the dataset's mask when it has one, else derived from each pair
    (``mask_source='dataset'`` requires the dataset's, ``'pair'`` always derives it)."""
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
