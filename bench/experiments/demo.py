"""What ``derain-bench demo`` trains: the three paper recipes at a scale two CPU cores finish
in minutes, and what it does when pretrained VGG weights are not on the machine."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from derainbench.models.pretrained import MissingWeightsError
from derainbench.registries import TERMS


@dataclass(frozen=True)
class DemoRun:
    """One recipe at demo scale: its architecture narrowed, its losses and objective unchanged."""

    recipe: str
    overrides: tuple[str, ...]
    steps: int
    batch_size: int
    crop: int
    #: Loss terms that need pretrained weights → what stands in when the weights are absent
    #: (None: the term is dropped). Every substitution is printed and shows in the `terms` column.
    without_weights: dict[str, dict[str, Any] | None] = field(default_factory=dict)


DEMO_RUNS: tuple[DemoRun, ...] = (
    DemoRun(
        "pix2pix",
        ("generator.ngf=32", "generator.num_downs=7", "discriminator.ndf=32"),
        steps=300,
        batch_size=4,
        crop=128,
    ),
    DemoRun(
        "attentive-gan",
        ("generator.width=0.25", "discriminator.width=0.25"),
        steps=150,
        batch_size=2,
        crop=96,
        without_weights={"perceptual": None},
    ),
    DemoRun(
        "deblurgan",
        ("generator.ngf=16", "generator.n_blocks=4", "discriminator.ndf=16"),
        steps=150,
        batch_size=2,
        crop=96,
        # The content loss's role (keeping the restoration close to the target) taken by L1 as
        # pix2pix measures it, at the same weight.
        without_weights={"content": {"name": "l1", "weight": 100.0, "signed_range": True}},
    ),
)

DEMO_SEEDS = (0, 1)


def substitute_missing_weights(
    config: dict[str, Any], run: DemoRun
) -> tuple[dict[str, Any], list[str]]:
    """The recipe with terms whose weights are absent replaced as ``run`` says; and the notes."""
    config = copy.deepcopy(config)
    terms, notes = [], []
    for term in config.get("terms", []):
        if term["name"] not in run.without_weights:
            terms.append(term)
            continue
        options = {k: v for k, v in term.items() if k not in ("name", "weight")}
        try:
            TERMS.create(term["name"], **options)
            terms.append(term)
        except MissingWeightsError as error:
            replacement = run.without_weights[term["name"]]
            what = f"replaced by {replacement['name']}" if replacement else "dropped"
            notes.append(f"{run.recipe}: loss term '{term['name']}' {what} ({error})")
            if replacement is not None:
                terms.append(dict(replacement))
    config["terms"] = terms
    return config, notes
