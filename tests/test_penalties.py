"""WGAN and hinge objectives, the gradient penalty (computable by hand), refusals, the NaN guard."""

from __future__ import annotations

import math

import pytest
import torch
from typer.testing import CliRunner

from derainbench.cli import app
from derainbench.config import ExperimentConfig
from derainbench.contracts import Discriminator, Judgement
from derainbench.errors import DerainBenchError, IncompatibleComponentsError
from derainbench.experiments.compose import compose
from derainbench.losses.gradient_penalty import GradientPenalty
from derainbench.registries import OBJECTIVES, PENALTIES
from derainbench.training.checkpoint import load_checkpoint
from derainbench.training.components import build_components
from derainbench.training.loop import train
from derainbench.training.step import NonFiniteLossError
from tests.conftest import edited

pytestmark = pytest.mark.filterwarnings("ignore:vgg19 with RANDOM weights")

TINY_DEBLURGAN = [
    "generator.ngf=4",
    "generator.n_blocks=1",
    "discriminator.ndf=4",
    "discriminator.n_layers=2",
    'terms.0.weights="random-for-tests"',
    "data.train.n=4",
    "data.train.size=40",
    "data.test.n=2",
    "data.test.size=32",
    "run.log_every=1",
    "run.sample_every=1000",
    "run.checkpoint_every=2",
]


def tiny_deblurgan(*overrides: str, steps: int = 4) -> ExperimentConfig:
    """The deblurgan recipe at toy size (5 critic steps, WGAN-GP, content loss on a random VGG)."""
    return compose(
        "deblurgan",
        train_data="toyrain-sk:train",
        test_data="toyrain-sk:test",
        steps=steps,
        batch_size=2,
        crop=32,
        device="cpu",
        overrides=[*TINY_DEBLURGAN, *overrides],
    )


class LinearCritic(Discriminator):
    """D(x) = Σ w·x per sample: its input gradient is w, so every penalty is known by hand."""

    def __init__(self, weight: torch.Tensor, conditional: bool = False) -> None:
        super().__init__()
        self.conditional = conditional
        self.weight = torch.nn.Parameter(weight)
        self.seen: list[torch.Tensor] = []

    def forward(self, x: torch.Tensor) -> Judgement:
        self.seen.append(x.detach().clone())
        return Judgement(logits=(x * self.weight).flatten(1).sum(1, keepdim=True))


def test_wgan_and_hinge_objectives_by_hand() -> None:
    real, fake = torch.tensor([[2.0], [0.5]]), torch.tensor([[-0.5], [1.5]])
    wgan, hinge = OBJECTIVES.create("wgan"), OBJECTIVES.create("hinge")
    assert wgan.discriminator_loss(real, fake).item() == pytest.approx(0.5 - 1.25)
    assert wgan.generator_loss(fake).item() == pytest.approx(-0.5)
    # relu(1 - real) = (0, 0.5), relu(1 + fake) = (0.5, 2.5)
    assert hinge.discriminator_loss(real, fake).item() == pytest.approx(0.25 + 1.5)
    assert hinge.generator_loss(fake).item() == pytest.approx(-0.5)


def test_paper_penalty_on_a_linear_critic_is_the_norm_of_its_weight() -> None:
    torch.manual_seed(0)
    weight = torch.randn(1, 3, 4, 4) * 0.3
    critic = LinearCritic(weight.clone())
    value = PENALTIES.create("gradient-penalty")(
        critic, torch.rand(5, 3, 4, 4), torch.rand(5, 3, 4, 4)
    )
    norm = weight.norm().item()
    assert value.item() == pytest.approx((norm - 1) ** 2, rel=1e-5)
    value.backward()  # the penalty trains the critic: d/dw (‖w‖ − 1)² = 2 (‖w‖ − 1) w / ‖w‖
    torch.testing.assert_close(critic.weight.grad, 2 * (norm - 1) * weight / norm)


def test_deblurgan_penalty_takes_the_norm_over_channels_per_pixel() -> None:
    torch.manual_seed(0)
    weight = torch.randn(1, 3, 4, 4)
    critic = LinearCritic(weight)
    penalty = PENALTIES.create("gradient-penalty", variant="deblurgan")
    value = penalty(critic, torch.rand(5, 3, 4, 4), torch.rand(5, 3, 4, 4))
    per_pixel = weight[0].norm(dim=0)  # 4×4 norms over the 3 channels
    assert value.item() == pytest.approx(((per_pixel - 1) ** 2).mean().item(), rel=1e-5)
    paper = PENALTIES.create("gradient-penalty")(
        critic, torch.rand(5, 3, 4, 4), torch.rand(5, 3, 4, 4)
    )
    assert paper.item() != pytest.approx(value.item(), rel=1e-3)


@pytest.mark.parametrize(("variant", "distinct"), [("paper", True), ("deblurgan", False)])
def test_interpolation_factor_per_sample_or_per_batch(variant: str, distinct: bool) -> None:
    torch.manual_seed(1)
    critic = LinearCritic(torch.randn(1, 3, 2, 2))
    real, fake = torch.ones(6, 3, 2, 2), torch.zeros(6, 3, 2, 2)
    PENALTIES.create("gradient-penalty", variant=variant)(critic, real, fake)
    (interpolates,) = critic.seen
    alpha = interpolates.flatten(1)  # real 1, fake 0: the interpolate IS α, constant per sample
    assert torch.allclose(alpha, alpha[:, :1].expand_as(alpha))
    assert bool((alpha[:, 0] - alpha[0, 0]).abs().max() > 1e-3) is distinct
    assert ((alpha > 0) & (alpha < 1)).all()


def test_conditional_critic_is_penalised_on_its_image_argument_only() -> None:
    weight = torch.zeros(1, 6, 2, 2)
    weight[:, :3] = 5.0  # large weights on the condition (rainy) channels...
    weight[:, 3:] = 0.5 / math.sqrt(12)  # ...and an image gradient of norm 0.5
    critic = LinearCritic(weight, conditional=True)
    rainy = torch.rand(3, 3, 2, 2)
    real = torch.cat([rainy, torch.rand(3, 3, 2, 2)], 1)
    fake = torch.cat([rainy, torch.rand(3, 3, 2, 2)], 1)
    value = PENALTIES.create("gradient-penalty")(critic, real, fake)
    assert value.item() == pytest.approx(0.25, rel=1e-5)  # (0.5 − 1)²
    assert torch.equal(critic.seen[0][:, :3], rainy)  # the condition is not interpolated


def test_penalty_is_float32_under_bf16_autocast() -> None:
    torch.manual_seed(0)
    critic = LinearCritic(torch.randn(1, 3, 4, 4) * 0.1)
    real, fake = torch.rand(2, 3, 4, 4), torch.rand(2, 3, 4, 4)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        value = GradientPenalty()(critic, real.bfloat16(), fake.bfloat16())
    assert value.dtype == torch.float32
    assert critic.seen[0].dtype == torch.float32
    expected = (critic.weight.detach().norm() - 1) ** 2
    assert value.item() == pytest.approx(expected.item(), rel=1e-5)


def test_unknown_variant_is_refused() -> None:
    with pytest.raises(DerainBenchError, match="unknown gradient-penalty variant 'wgan'"):
        PENALTIES.create("gradient-penalty", variant="wgan")


def _refusal(config: ExperimentConfig) -> str:
    config = edited(config, terms=[{"name": "l1", "weight": 1.0}])  # no VGG: the check is the point
    with pytest.raises(IncompatibleComponentsError) as error:
        build_components(config, frozenset())
    return str(error.value)


def test_wgan_without_a_gradient_penalty_is_refused() -> None:
    config = edited(tiny_deblurgan(), penalties=[])
    assert _refusal(config) == (
        "objective 'wgan' needs a Lipschitz constraint: add penalty 'gradient-penalty'"
    )
    config = edited(config, penalties=[{"name": "r1", "weight": 1.0}])  # R1 does not bound it
    assert "needs a Lipschitz constraint" in _refusal(config)


def test_gradient_penalty_with_a_batchnorm_discriminator_is_refused() -> None:
    config = tiny_deblurgan("discriminator.norm=batch")
    assert _refusal(config) == (
        "penalty 'gradient-penalty' needs per-sample gradient norms, which discriminator 'critic' "
        "mixes across the batch with BatchNorm; choose a discriminator without BatchNorm, such as "
        "patchgan with norm 'instance'"
    )


def test_deblurgan_recipe_trains_five_critic_steps_per_generator_step(tmp_path) -> None:
    result = train(tiny_deblurgan(steps=2), tmp_path / "run")
    state = load_checkpoint(result.run.root)
    assert state["step"] == 2
    # Adam counts its updates: 5 critic updates per generator update.
    d_steps = {float(s["step"]) for s in state["optimizers"]["discriminator"]["state"].values()}
    g_steps = {float(s["step"]) for s in state["optimizers"]["generator"]["state"].values()}
    assert d_steps == {10.0} and g_steps == {2.0}
    header = result.run.log_path.read_text().splitlines()[0]
    assert {"d_adv", "d_gradient-penalty", "g_adv", "g_content"} <= set(header.split(","))


def _nan_penalty_at(call: int, monkeypatch) -> None:
    real_forward = GradientPenalty.forward
    calls = {"n": 0}

    def poisoned(self, *args):
        calls["n"] += 1
        value = real_forward(self, *args)
        return value * float("nan") if calls["n"] == call else value

    monkeypatch.setattr(GradientPenalty, "forward", poisoned)


def test_nan_penalty_stops_the_run_and_keeps_the_last_checkpoint(tmp_path, monkeypatch) -> None:
    _nan_penalty_at(12, monkeypatch)  # 5 critic updates per step: call 12 is in step 3
    with pytest.raises(NonFiniteLossError, match="loss 'gradient-penalty' became nan at step 3"):
        train(tiny_deblurgan(steps=4), tmp_path / "run")
    state = load_checkpoint(tmp_path / "run")
    assert state["step"] == 2
    for network in ("generator", "discriminator"):
        assert all(
            torch.isfinite(v).all() for v in state[network].values() if v.is_floating_point()
        )


def test_nan_loss_exits_the_cli_with_one_line(tmp_path, monkeypatch) -> None:
    _nan_penalty_at(3, monkeypatch)
    args = ["train", "--recipe", "deblurgan", "--train-data", "toyrain-sk:train",
            "--test-data", "toyrain-sk:test", "--steps", "2", "--batch-size", "2", "--crop", "32",
            "--device", "cpu", "--run-dir", str(tmp_path / "run")]  # fmt: skip
    for item in TINY_DEBLURGAN:
        args += ["--set", item]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    lines = [line for line in result.stderr.splitlines() if line.strip().startswith("error:")]
    assert lines == ["error: loss 'gradient-penalty' became nan at step 1"]
