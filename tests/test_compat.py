"""Impossible combinations are refused before training, in one sentence."""

from __future__ import annotations

import pytest
import torch

from derainbench.contracts import ATTENTION, D_ATTENTION, MASK
from derainbench.errors import IncompatibleComponentsError
from derainbench.losses.base import LossTerm, TermInputs
from derainbench.registries import TERMS
from derainbench.training.loop import train
from tests.conftest import tiny_config, with_term


class NeedsEverything(LossTerm):
    def __init__(self, need: str = ATTENTION) -> None:
        super().__init__()
        self.needs = frozenset({need})

    def forward(self, inputs: TermInputs) -> torch.Tensor:  # pragma: no cover - never trained
        raise AssertionError("a term whose needs are unmet must never run")


@pytest.fixture
def needy_term(registry_snapshot):
    TERMS.register("needy", needs=("configurable",))(NeedsEverything)
    return "needy"


@pytest.mark.parametrize(
    ("need", "sentence"),
    [
        (
            ATTENTION,
            "loss term 'needy' needs attention maps, which generator 'unet' does not produce",
        ),
        (
            D_ATTENTION,
            "loss term 'needy' needs an attention map, which discriminator 'patchgan' "
            "does not produce",
        ),
        (MASK, "loss term 'needy' needs rain masks, which dataset 'toyrain-sk' does not produce"),
    ],
)
def test_unmet_need_is_refused_before_training(tmp_path, needy_term, need, sentence) -> None:
    config = tiny_config()
    config = with_term(config, **{"name": needy_term, "need": need, "weight": 1.0})
    with pytest.raises(IncompatibleComponentsError) as error:
        train(config, tmp_path / "run")
    assert str(error.value) == sentence
    assert not (tmp_path / "run" / "checkpoints").exists()  # nothing was trained


def test_need_of_a_missing_discriminator_names_it(tmp_path, needy_term) -> None:
    config = tiny_config(discriminator="none")
    config = with_term(config, **{"name": needy_term, "need": D_ATTENTION, "weight": 1.0})
    with pytest.raises(IncompatibleComponentsError, match="the recipe has no discriminator"):
        train(config, tmp_path / "run")


def test_an_impossible_combination_is_named_before_missing_weights(tmp_path, monkeypatch) -> None:
    """attentive-gan's perceptual loss needs VGG16 weights; with U-Net the combination itself is
    impossible, which is what the user must hear first."""
    from derainbench.experiments.compose import compose
    from derainbench.training.components import build_components

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "no-weights"))
    monkeypatch.delenv("DERAINBENCH_VGG16_WEIGHTS", raising=False)
    config = compose("attentive-gan", generator="unet", train_data="synthdrop-sk:train")
    with pytest.raises(IncompatibleComponentsError) as error:
        build_components(config, frozenset({MASK}))
    assert str(error.value) == (
        "loss term 'attention' needs attention maps, which generator 'unet' does not produce"
    )
