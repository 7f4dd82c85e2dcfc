"""Every registered component honours its contract (parametrised over the registries, as timm
tests every model): a new component is tested by registering it."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from derainbench.contracts import (
    ATTENTION,
    MASK,
    PYRAMID,
    Discriminator,
    Generator,
    Judgement,
    Restoration,
)
from derainbench.losses.base import LossTerm, Objective, TermInputs
from derainbench.registries import DISCRIMINATORS, GENERATORS, OBJECTIVES, PENALTIES, TERMS


def _tiny(registry, name):
    return registry.create(name, **registry.get(name).info.test_kwargs)


@pytest.mark.parametrize("name", GENERATORS.names())
def test_generator_contract(name: str) -> None:
    torch.manual_seed(0)
    generator = _tiny(GENERATORS, name)
    assert isinstance(generator, Generator)
    side = max(generator.multiple_of, 8)
    rainy = torch.rand(2, 3, side, side + generator.multiple_of, requires_grad=True)
    out = generator(rainy)
    assert isinstance(out, Restoration)
    assert out.image.shape == rainy.shape
    assert out.image.dtype == torch.float32
    # Every parameter shapes some output (side outputs only feed auxiliary losses).
    auxiliary = [*(out.pyramid or []), *(out.attention or [])]
    (out.image.mean() + sum(x.mean() for x in auxiliary)).backward()
    grads = [p.grad for p in generator.parameters()]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)
    assert any(g.abs().sum() > 0 for g in grads)
    if "attention" in generator.provides:
        assert out.attention and all(a.shape[1] == 1 for a in out.attention)
    else:
        assert out.attention is None


@pytest.mark.parametrize("name", GENERATORS.names())
def test_generator_eval_mode_is_deterministic(name: str) -> None:
    generator = _tiny(GENERATORS, name).eval()
    side = max(generator.multiple_of, 8)
    rainy = torch.rand(1, 3, side, side)
    with torch.no_grad():
        assert torch.equal(generator(rainy).image, generator(rainy).image)


@pytest.mark.parametrize("name", DISCRIMINATORS.names())
def test_discriminator_contract(name: str) -> None:
    torch.manual_seed(0)
    discriminator = _tiny(DISCRIMINATORS, name)
    assert isinstance(discriminator, Discriminator)
    channels = 6 if discriminator.conditional else 3
    x = torch.rand(2, channels, 64, 64, requires_grad=True)
    out = discriminator(x)
    assert isinstance(out, Judgement)
    assert out.logits.shape[:2] == (2, 1)
    # Logits, not probabilities: a sigmoid output could never leave [0, 1].
    assert out.logits.dtype == torch.float32
    out.logits.mean().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()


@pytest.mark.parametrize("name", OBJECTIVES.names())
def test_objective_prefers_correct_verdicts(name: str) -> None:
    objective = OBJECTIVES.create(name)
    assert isinstance(objective, Objective)
    confident = torch.full((4, 1, 3, 3), 3.0)
    # The discriminator loss is lower when it calls real "real" and fake "fake"...
    right = objective.discriminator_loss(real=confident, fake=-confident)
    wrong = objective.discriminator_loss(real=-confident, fake=confident)
    assert right < wrong
    # ...and the generator loss is lower when its fakes are taken for real.
    assert objective.generator_loss(confident) < objective.generator_loss(-confident)


def _term_inputs(needs: frozenset[str], clean: torch.Tensor, restored: torch.Tensor) -> TermInputs:
    """Inputs carrying what a term needs; each auxiliary output derives from ``restored`` and
    equals its target when ``restored`` is ``clean`` (rainy = clean: an empty mask)."""
    difference = (restored - clean).mean(1, keepdim=True)
    restoration = Restoration(
        image=restored,
        attention=[difference, difference] if ATTENTION in needs else None,
        pyramid=[F.interpolate(restored, scale_factor=s, mode="area") for s in (0.25, 0.5)]
        if PYRAMID in needs
        else None,
    )
    mask = torch.zeros_like(difference) if MASK in needs else None
    return TermInputs(clean, clean, restoration, mask=mask)


@pytest.mark.parametrize("name", TERMS.names())
def test_loss_term_contract(name: str) -> None:
    term = _tiny(TERMS, name)
    assert isinstance(term, LossTerm)
    clean = torch.rand(2, 3, 16, 16)
    restored = (clean + 0.1 * torch.randn_like(clean)).requires_grad_()
    if term.player == "discriminator":
        # A discriminator-side term trains the discriminator: its gradient reaches D's outputs.
        fake = Judgement(torch.zeros(2, 1, requires_grad=True), torch.rand(2, 1, 16, 16))
        real = Judgement(torch.zeros(2, 1, requires_grad=True), torch.rand(2, 1, 16, 16))
        for judgement in (fake, real):
            judgement.attention.requires_grad_()
        inputs = _term_inputs(term.needs, clean, restored.detach())
        inputs.judgement, inputs.real_judgement = fake, real
        value = term(inputs)
        assert value.ndim == 0 and value.item() >= 0
        value.backward()
        grads = [t.grad for j in (fake, real) for t in (j.logits, j.attention)]
        assert any(g is not None and g.abs().sum() > 0 for g in grads)
        return
    same = _term_inputs(term.needs, clean, clean.clone())
    assert term(same).item() == pytest.approx(0.0, abs=1e-7)
    value = term(_term_inputs(term.needs, clean, restored))
    assert value.ndim == 0 and value.item() > 0
    value.backward()
    assert restored.grad is not None and restored.grad.abs().sum() > 0


def test_vanilla_objective_matches_binary_cross_entropy() -> None:
    objective = OBJECTIVES.create("vanilla")
    logit = torch.tensor([[0.3]])
    expected = -torch.log(torch.sigmoid(logit)) - torch.log(1 - torch.sigmoid(-logit))
    assert objective.discriminator_loss(logit, -logit).item() == pytest.approx(
        expected.item(), rel=1e-6
    )


def test_lsgan_objective_is_squared_distance_to_labels() -> None:
    objective = OBJECTIVES.create("lsgan")
    real, fake = torch.tensor([0.5]), torch.tensor([0.25])
    assert objective.discriminator_loss(real, fake).item() == pytest.approx(0.25 + 0.0625)
    assert objective.generator_loss(fake).item() == pytest.approx(0.5625)


def test_l1_in_signed_range_is_twice_the_unit_range() -> None:
    clean = torch.zeros(1, 3, 4, 4)
    restored = Restoration(image=torch.full((1, 3, 4, 4), 0.25))
    inputs = TermInputs(clean, clean, restored)
    assert TERMS.create("l1")(inputs).item() == pytest.approx(0.25)
    assert TERMS.create("l1", signed_range=True)(inputs).item() == pytest.approx(0.5)


def test_mse_is_the_squared_error_and_four_times_it_in_signed_range() -> None:
    clean = torch.zeros(1, 3, 4, 4)
    image = torch.full((1, 3, 4, 4), 0.25)
    image[..., 0, 0] = 0.5  # one pixel off by more: squared, not absolute, error
    inputs = TermInputs(clean, clean, Restoration(image=image))
    expected = (15 * 0.25**2 + 0.5**2) / 16
    assert TERMS.create("mse")(inputs).item() == pytest.approx(expected)
    assert TERMS.create("mse", signed_range=True)(inputs).item() == pytest.approx(4 * expected)


@pytest.mark.parametrize("name", PENALTIES.names())
def test_penalty_contract(name: str) -> None:
    torch.manual_seed(0)
    discriminator = DISCRIMINATORS.create("patchgan", ndf=4, n_layers=2, norm="instance")
    real, fake = torch.rand(2, 6, 32, 32), torch.rand(2, 6, 32, 32)
    value = _tiny(PENALTIES, name)(discriminator, real, fake)
    assert value.ndim == 0 and value.dtype == torch.float32
    assert torch.isfinite(value) and value.item() >= 0
    value.backward()
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in discriminator.parameters())


def test_saturating_generator_loss_is_log_one_minus_d() -> None:
    logit = torch.tensor([[0.7]])
    value = OBJECTIVES.create("vanilla", saturating=True).generator_loss(logit)
    assert value.item() == pytest.approx(torch.log(1 - torch.sigmoid(logit)).item(), rel=1e-6)
