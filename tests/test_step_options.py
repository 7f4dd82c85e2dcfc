"""Critic steps, regenerated fakes, discriminator-side terms, penalties, mixed precision."""

from __future__ import annotations

import pytest
import torch

from derainbench.contracts import Discriminator, Judgement
from derainbench.errors import DerainBenchError, IncompatibleComponentsError
from derainbench.losses.base import DISCRIMINATOR, LossTerm, TermInputs
from derainbench.registries import PENALTIES, TERMS
from derainbench.training.components import build_components
from derainbench.training.loop import train
from derainbench.training.precision import Precision
from derainbench.training.step import Optimizers, StepSettings, train_step
from tests.conftest import edited, tiny_config, with_term


def _step(config, settings: StepSettings, precision: str = "fp32"):
    parts = build_components(config, frozenset())
    counts = {"g_forward": 0, "d_update": 0}
    parts.generator.register_forward_hook(
        lambda *_: counts.__setitem__("g_forward", counts["g_forward"] + 1)
    )
    d_opt = torch.optim.Adam(parts.discriminator.parameters(), lr=1e-3)
    d_opt.register_step_post_hook(lambda *_: counts.__setitem__("d_update", counts["d_update"] + 1))
    optimizers = Optimizers(torch.optim.Adam(parts.generator.parameters(), lr=1e-3), d_opt)
    rainy, clean = torch.rand(2, 3, 32, 32), torch.rand(2, 3, 32, 32)
    losses = train_step(
        parts, optimizers, settings, Precision(precision, torch.device("cpu")), rainy, clean, 1
    )
    return losses.as_floats(), counts


@pytest.mark.parametrize(("regenerate", "forwards"), [(False, 1), (True, 3)])
def test_several_critic_steps_per_generator_step(regenerate: bool, forwards: int) -> None:
    losses, counts = _step(tiny_config(), StepSettings(d_steps=3, regenerate_fake=regenerate))
    assert counts == {"g_forward": forwards, "d_update": 3}
    assert {"d", "g"} <= set(losses)


def test_bf16_autocast_trains_with_finite_float32_losses() -> None:
    losses, _ = _step(tiny_config(), StepSettings(), precision="bf16")
    assert all(torch.isfinite(torch.tensor(v)) for v in losses.values())


def test_fp16_on_cpu_is_refused_in_one_line() -> None:
    with pytest.raises(DerainBenchError, match="fp16 needs a CUDA GPU"):
        Precision("fp16", torch.device("cpu"))


class RealnessGap(LossTerm):
    """A discriminator-side term: the mean gap between fake and real logits."""

    player = DISCRIMINATOR

    def forward(self, inputs: TermInputs) -> torch.Tensor:
        assert inputs.real_judgement is not None and inputs.judgement is not None
        assert not inputs.restoration.image.requires_grad  # the D step sees a detached image
        return (inputs.judgement.logits.mean() - inputs.real_judgement.logits.mean()).abs()


def test_discriminator_side_terms_join_the_discriminator_loss(registry_snapshot) -> None:
    TERMS.register("gap", player="discriminator")(RealnessGap)
    config = tiny_config()
    config = with_term(config, **{"name": "gap", "weight": 2.0})
    losses, _ = _step(config, StepSettings())
    assert "d_gap" in losses and "g_gap" not in losses
    assert losses["d"] == pytest.approx(losses["d_adv"] + losses["d_gap"], rel=1e-5)


def test_discriminator_term_without_discriminator_is_refused(tmp_path, registry_snapshot) -> None:
    TERMS.register("gap", player="discriminator")(RealnessGap)
    config = tiny_config(discriminator="none")
    config = with_term(config, **{"name": "gap", "weight": 1.0})
    with pytest.raises(IncompatibleComponentsError, match="'gap' is a discriminator loss"):
        train(config, tmp_path / "run")


def test_penalty_joins_the_discriminator_loss_and_is_recorded(tmp_path) -> None:
    config = tiny_config("run.log_every=1", steps=2)
    config = edited(config, penalties=[{"name": "r1", "weight": 5.0}])
    result = train(config, tmp_path / "run")
    header = result.run.log_path.read_text().splitlines()[0]
    assert "d_r1" in header


def test_penalty_without_discriminator_is_refused(tmp_path) -> None:
    config = tiny_config(discriminator="none")
    config = edited(config, penalties=[{"name": "r1", "weight": 1.0}])
    with pytest.raises(IncompatibleComponentsError, match="penalty 'r1'.*has none"):
        train(config, tmp_path / "run")


class LinearCritic(Discriminator):
    """D(x) = Σ w·x: its input gradient is w for every sample, so penalties are known by hand."""

    def __init__(self, weight: torch.Tensor) -> None:
        super().__init__()
        self.weight = torch.nn.Parameter(weight)

    def forward(self, x: torch.Tensor) -> Judgement:
        return Judgement(logits=(x * self.weight).flatten(1).sum(1, keepdim=True))


def test_r1_penalty_on_a_linear_critic() -> None:
    weight = torch.randn(1, 3, 4, 4)
    critic = LinearCritic(weight)
    real, fake = torch.rand(5, 3, 4, 4), torch.rand(5, 3, 4, 4)
    value = PENALTIES.create("r1")(critic, real, fake)
    assert value.item() == pytest.approx(0.5 * weight.pow(2).sum().item(), rel=1e-5)
    value.backward()  # differentiable with respect to the critic's parameters
    torch.testing.assert_close(critic.weight.grad, weight, rtol=1e-5, atol=1e-6)


def test_a_warm_up_trains_the_generator_alone_until_the_adversarial_start(tmp_path) -> None:
    """train.adversarial_start=N: steps 1..N learn from the loss terms alone (the discriminator
    neither judges nor learns), at optimizer.warmup_generator_lr; from step N+1 the game runs
    at the recipe's rates."""
    run = tmp_path / "run"
    warm = ("train.adversarial_start=2", "optimizer.warmup_generator_lr=1e-3")
    train(tiny_config(*warm, "optimizer.schedule=constant", "run.log_every=1", steps=4), run)
    rows = (run / "log.csv").read_text().splitlines()
    header = rows[0].split(",")
    logged = [dict(zip(header, line.split(","), strict=True)) for line in rows[1:]]
    assert [r["step"] for r in logged] == ["1", "2", "3", "4"]
    assert [bool(r["d_adv"]) for r in logged] == [False, False, True, True]
    assert [bool(r["g_adv"]) for r in logged] == [False, False, True, True]
    assert all(r["g_l1"] for r in logged)
    # The warm-up at its own rate, then the recipe's (pix2pix: 2e-4).
    assert [float(r["lr"]) for r in logged] == pytest.approx([1e-3, 1e-3, 2e-4, 2e-4])


def test_a_warm_up_step_leaves_the_discriminator_untouched() -> None:
    config = tiny_config()
    parts = build_components(config, frozenset())
    before = [p.detach().clone() for p in parts.discriminator.parameters()]
    optimizers = Optimizers(
        torch.optim.Adam(parts.generator.parameters(), lr=1e-3),
        torch.optim.Adam(parts.discriminator.parameters(), lr=1e-3),
    )
    rainy, clean = torch.rand(2, 3, 32, 32), torch.rand(2, 3, 32, 32)
    precision = Precision("fp32", torch.device("cpu"))
    losses = train_step(
        parts, optimizers, StepSettings(), precision, rainy, clean, 1, adversarial=False
    )
    assert set(losses.as_floats()) == {"g_l1", "g"}
    assert all(
        torch.equal(a, b) for a, b in zip(before, parts.discriminator.parameters(), strict=True)
    )
    train_step(parts, optimizers, StepSettings(), precision, rainy, clean, 2)
    assert not all(
        torch.equal(a, b) for a, b in zip(before, parts.discriminator.parameters(), strict=True)
    )


def test_a_negative_adversarial_start_is_refused() -> None:
    with pytest.raises(DerainBenchError, match="train.adversarial_start must not be negative"):
        tiny_config("train.adversarial_start=-1")
    with pytest.raises(DerainBenchError, match="optimizer.warmup_generator_lr must not be neg"):
        tiny_config("optimizer.warmup_generator_lr=-1e-3")
