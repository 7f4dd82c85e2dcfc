"""The full matrix: every generator × discriminator × objective either trains one step or is
refused before training in one sentence (parametrised over the registries, as timm tests every
model). "wgan-gp" is objective 'wgan' with penalty 'gradient-penalty'. A new component joins the
matrix by registering itself with tiny ``test_kwargs``."""

from __future__ import annotations

import json
from typing import Any

import pytest
import torch
from torch import nn

from derainbench.config import ExperimentConfig, resolve
from derainbench.datasets.build import build_dataset
from derainbench.errors import IncompatibleComponentsError
from derainbench.registries import DISCRIMINATORS, GENERATORS
from derainbench.registry import Registry
from derainbench.training.components import build_components
from derainbench.training.precision import Precision
from derainbench.training.step import Optimizers, StepSettings, train_step

CROP = 32
OBJECTIVES_UNDER_TEST: dict[str, tuple[str, list[dict[str, Any]]]] = {
    "vanilla": ("vanilla", []),
    "lsgan": ("lsgan", []),
    "hinge": ("hinge", []),
    "wgan-gp": ("wgan", [{"name": "gradient-penalty", "weight": 10.0}]),
}


def _tiny(registry: Registry, name: str) -> dict[str, Any]:
    return {"name": name, **registry.get(name).info.test_kwargs}


def matrix_config(generator: str, discriminator: str, objective: str) -> ExperimentConfig:
    """One combination at toy size: tiny widths, 32-px crops of toy rain, L1 as the only term."""
    objective_name, penalties = OBJECTIVES_UNDER_TEST[objective]
    no_gan = discriminator == "none"
    return resolve(
        {
            "recipe": {"name": "matrix"},
            "generator": _tiny(GENERATORS, generator),
            "discriminator": {"name": "none"} if no_gan else _tiny(DISCRIMINATORS, discriminator),
            "objective": {"name": objective_name},
            "penalties": [dict(p) for p in penalties],
            "terms": [{"name": "l1", "weight": 10.0}],
            "train": {"steps": 1, "batch_size": 2, "crop": CROP, "flip": False},
            "data": {"train": {"name": "toyrain-sk", "split": "train", "n": 2, "size": 40}},
            "run": {"device": "cpu"},
        }
    )


def expected_refusal(config: ExperimentConfig) -> str | None:
    """The rule a combination breaks, if any: the matrix's specification, stated independently."""
    penalties = [p.name for p in config.penalties]
    if not config.has_discriminator:
        return "regularises a discriminator, but the recipe has none" if penalties else None
    discriminator = DISCRIMINATORS.create(config.discriminator.name, **config.discriminator.options)
    if "gradient-penalty" in penalties and any(
        isinstance(m, nn.modules.batchnorm._BatchNorm) for m in discriminator.modules()
    ):
        return "mixes across the batch with BatchNorm"
    size = discriminator.input_size  # a fixed side (flattening FC), if any
    if size is not None and size != CROP:
        return f"takes only {size}×{size} inputs"
    return None


@pytest.fixture(scope="module")
def batch() -> dict[str, torch.Tensor]:
    config = matrix_config("unet", "none", "vanilla")
    spec = config.data.train
    dataset = build_dataset(spec.name, spec.options, crop=CROP, flip=False)
    samples = [dataset[i] for i in range(2)]
    tensors = [key for key, value in samples[0].items() if isinstance(value, torch.Tensor)]
    return {key: torch.stack([s[key] for s in samples]) for key in tensors}


def _snapshot(module: nn.Module | None) -> list[torch.Tensor]:
    return [] if module is None else [p.detach().clone() for p in module.parameters()]


def _learnt(before: list[torch.Tensor], module: nn.Module) -> list[bool]:
    """Per parameter tensor (in registration order): did the step change it?"""
    return [not torch.equal(b, a) for b, a in zip(before, module.parameters(), strict=True)]


@pytest.mark.parametrize("objective", list(OBJECTIVES_UNDER_TEST))
@pytest.mark.parametrize("discriminator", [*DISCRIMINATORS.names(), "none"])
@pytest.mark.parametrize("generator", GENERATORS.names())
def test_combination_trains_one_step_or_is_refused(
    generator: str, discriminator: str, objective: str, batch: dict[str, torch.Tensor]
) -> None:
    torch.manual_seed(0)
    config = matrix_config(generator, discriminator, objective)
    refusal = expected_refusal(config)
    if refusal is not None:
        with pytest.raises(IncompatibleComponentsError) as error:
            build_components(config, frozenset())
        message = str(error.value)
        assert refusal in message
        assert "\n" not in message and ". " not in message.rstrip(".")  # one sentence
        return

    parts = build_components(config, frozenset())
    d = parts.discriminator
    seen_channels: set[int] = set()
    if d is not None:
        d.register_forward_pre_hook(lambda _, args: seen_channels.add(args[0].shape[1]))
    g_before, d_before = _snapshot(parts.generator), _snapshot(d)
    optimizers = Optimizers(
        torch.optim.Adam(parts.generator.parameters(), lr=1e-3, betas=(0.5, 0.999)),
        None if d is None else torch.optim.Adam(d.parameters(), lr=1e-3, betas=(0.5, 0.999)),
    )
    losses = train_step(
        parts,
        optimizers,
        StepSettings(),
        Precision("fp32", torch.device("cpu")),
        batch["rainy"],
        batch["clean"],
        step=1,
        mask=batch.get("mask"),
    ).as_floats()
    assert all(torch.isfinite(torch.tensor(v)) for v in losses.values()), losses
    # The input-side parameters (registered first) learnt: the gradient crossed the whole
    # network. Not every tensor must change: at 32 px some taps see only padding, WGAN and hinge
    # give the last bias a zero gradient, and auxiliary heads no term reads get none.
    assert _learnt(g_before, parts.generator)[0]
    if d is None:
        assert "d" not in losses and "g_adv" not in losses  # the generator's terms alone
        return
    assert {"d", "g_adv"} <= set(losses)
    assert _learnt(d_before, d)[0]
    # Fed according to the registry's metadata: cat(rainy, image) if conditional, else the image.
    conditional = DISCRIMINATORS.get(discriminator).info.conditional
    assert seen_channels == {6 if conditional else 3}


def _cli(*args: str) -> tuple[int, str, str]:
    from typer.testing import CliRunner

    from derainbench.cli import app

    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.filterwarnings("ignore:vgg19 with RANDOM weights")
def test_check_prints_parameter_counts_and_needs_like_a_dry_run() -> None:
    args = ["--recipe", "deblurgan", "--set", 'terms.0.weights="random-for-tests"', "--json"]
    code, out, err = _cli("check", *args)
    assert code == 0, err
    record = json.loads(out)
    assert record["generator_parameters"] == 11_378_179
    assert record["discriminator_parameters"] == 2_764_737
    assert record["conditional"] is False
    assert record["terms"] == {"content": []}
    assert record["penalties"] == ["gradient-penalty"] and record["d_steps"] == 5
    assert json.loads(_cli("train", "--dry-run", *args)[1]) == record


def test_check_refuses_an_impossible_combination_in_one_line() -> None:
    code, _, err = _cli("check", "--discriminator", "critic", "--objective", "wgan")
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2
    assert lines == [
        "error: objective 'wgan' needs a Lipschitz constraint: add penalty 'gradient-penalty'"
    ]
