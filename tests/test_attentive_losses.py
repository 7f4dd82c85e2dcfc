"""Attentive GAN's losses: the formulas, their needs, the VGG weights policy, one training step."""

from __future__ import annotations

import hashlib

import pytest
import torch
import torch.nn.functional as F

from derainbench.config import ExperimentConfig
from derainbench.contracts import Judgement, Restoration
from derainbench.errors import DerainBenchError, IncompatibleComponentsError
from derainbench.experiments.compose import compose
from derainbench.losses.base import TermInputs
from derainbench.models import vgg_features
from derainbench.models.pretrained import MissingWeightsError, WeightsFile
from derainbench.registries import TERMS
from derainbench.training.components import build_components
from derainbench.training.loop import train

# The attentive-gan recipe at toy size: a training step in well under a second.
TINY_ATTENTIVE = [
    "generator.width=0.125",
    "discriminator.width=0.125",
    "terms.2.vgg_weights=random-for-tests",
    "data.train.n=4",
    "data.train.size=40",
    "data.test.n=2",
    "data.test.size=36",
    "run.sample_every=1000",
    "run.checkpoint_every=1000",
]


def tiny_attentive(*overrides: str, steps: int = 1, **options) -> ExperimentConfig:
    """The resolved attentive-gan recipe at toy size on in-memory SynthDrop."""
    options = {"steps": steps, "batch_size": 2, "crop": 32, "device": "cpu", **options}
    return compose("attentive-gan", overrides=[*TINY_ATTENTIVE, *overrides], **options)


def test_attention_loss_weights_later_steps_more() -> None:
    term = TERMS.create("attention", mask_source="dataset")
    maps = [torch.full((1, 1, 4, 4), float(t)) for t in (1, 2, 3, 4)]
    mask = torch.zeros(1, 1, 4, 4)
    clean = torch.zeros(1, 3, 4, 4)
    inputs = TermInputs(clean, clean, Restoration(clean, attention=maps), mask=mask)
    expected = 0.8**3 * 1 + 0.8**2 * 4 + 0.8 * 9 + 1.0 * 16
    assert term(inputs).item() == pytest.approx(expected)


def test_attention_loss_derives_the_mask_from_the_pair() -> None:
    clean = torch.full((1, 3, 4, 4), 0.5)
    rainy = clean.clone()
    rainy[..., 0, 0] += 31 / 255  # above the 30-level threshold: a raindrop pixel
    rainy[..., 1, 1] += 29 / 255  # below it
    term = TERMS.create("attention", mask_source="pair", theta=0.8)
    assert term.needs == {"attention"}
    expected_mask = torch.zeros(1, 1, 4, 4)
    expected_mask[..., 0, 0] = 1
    inputs = TermInputs(rainy, clean, Restoration(clean, attention=[expected_mask]))
    assert term(inputs).item() == 0.0
    loose = TERMS.create("attention", mask_source="pair", mask_threshold=20)
    assert loose(inputs).item() == pytest.approx(1 / 16)  # now (1, 1) is a drop pixel too


def test_a_dataset_without_masks_trains_with_masks_from_the_pairs() -> None:
    config = tiny_attentive(train_data="toyrain-sk:train", test_data="toyrain-sk:test")
    parts = build_components(config, frozenset())  # the recipe's default: auto
    (attention,) = [t.module for t in parts.terms if t.name == "attention"]
    assert attention.mask_description(False).startswith("from each pair: |rainy − clean| max")
    assert attention.mask_description(True) == "the dataset's masks"
    # Requiring the dataset's masks on such data is refused, in one sentence.
    config = tiny_attentive(
        "terms.0.mask_source=dataset", train_data="toyrain-sk:train", test_data="toyrain-sk:test"
    )
    with pytest.raises(IncompatibleComponentsError) as error:
        build_components(config, frozenset())
    assert str(error.value) == (
        "loss term 'attention' needs rain masks, which dataset 'toyrain-sk' does not produce"
    )


def test_the_attentive_recipe_trains_on_a_raindrop_folder_without_masks(tmp_path) -> None:
    from derainbench.datasets.toy_rain import write_toy_rain_set
    from derainbench.experiments.runner import run_experiment

    data = write_toy_rain_set(tmp_path / "Raindrop", n_train=4, n_test=2, size=40)  # data/ gt/
    assert not (data / "train" / "mask").exists()
    overrides = [o for o in TINY_ATTENTIVE if not o.startswith("data.")]
    config = compose(
        "attentive-gan", train_data=str(data / "train"), test_data=str(data / "test"),
        steps=1, batch_size=2, crop=32, device="cpu", overrides=overrides,
    )  # fmt: skip
    result = run_experiment(config, run_dir=tmp_path / "run", leaderboard=tmp_path / "b.csv")
    assert result.training.steps == 1
    assert result.evaluation.row["train_masks"].startswith("from each pair: |rainy − clean|")


def test_an_attention_loss_with_the_unet_generator_is_refused_in_one_sentence() -> None:
    overrides = [o for o in TINY_ATTENTIVE if not o.startswith("generator.")]
    config = compose(
        "attentive-gan",
        generator="unet",
        crop=32,
        overrides=[*overrides, "generator.num_downs=5", "generator.ngf=4"],
    )
    with pytest.raises(IncompatibleComponentsError) as error:
        build_components(config, frozenset({"mask"}))
    message = str(error.value)
    assert message == (
        "loss term 'attention' needs attention maps, which generator 'unet' does not produce"
    )


def test_map_loss_needs_an_attentive_discriminator() -> None:
    config = tiny_attentive("discriminator.attention_map=false")
    with pytest.raises(IncompatibleComponentsError, match="'attention-map' needs an attention map"):
        build_components(config, frozenset({"mask"}))


def test_map_loss_pulls_the_fake_map_to_the_attention_and_the_real_map_to_zero() -> None:
    term = TERMS.create("attention-map")
    assert term.player == "discriminator"
    attention = torch.rand(2, 1, 8, 8)
    fake_map, real_map = torch.rand(2, 1, 8, 8), torch.rand(2, 1, 8, 8)
    clean = torch.rand(2, 3, 8, 8)
    inputs = TermInputs(
        clean,
        clean,
        Restoration(clean, attention=[torch.zeros_like(attention), attention]),
        judgement=Judgement(torch.zeros(2, 1), fake_map),
        real_judgement=Judgement(torch.zeros(2, 1), real_map),
    )
    expected = F.mse_loss(fake_map, attention) + real_map.square().mean()
    assert term(inputs).item() == pytest.approx(expected.item())
    # A smaller discriminator map: the generator's final map is resized to it.
    inputs.judgement = Judgement(torch.zeros(2, 1), torch.zeros(2, 1, 4, 4))
    inputs.real_judgement = Judgement(torch.zeros(2, 1), torch.zeros(2, 1, 4, 4))
    inputs.restoration = Restoration(clean, attention=[torch.ones(2, 1, 8, 8)])
    assert term(inputs).item() == pytest.approx(1.0)


def test_multiscale_loss_compares_each_output_with_the_target_at_its_size() -> None:
    clean = torch.rand(1, 3, 16, 16)
    quarter = F.avg_pool2d(clean, 4) + 0.1
    half = F.avg_pool2d(clean, 2) + 0.2
    image = clean + 0.3
    inputs = TermInputs(clean, clean, Restoration(image, pyramid=[quarter, half]))
    value = TERMS.create("multiscale")(inputs).item()
    assert value == pytest.approx(0.6 * 0.01 + 0.8 * 0.04 + 1.0 * 0.09, rel=1e-5)
    with pytest.raises(DerainBenchError, match="2 weights for 3 outputs"):
        TERMS.create("multiscale", weights=[1.0, 1.0])(inputs)


def test_perceptual_loss_without_vgg_weights_is_one_clear_error(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.delenv("DERAINBENCH_VGG16_WEIGHTS", raising=False)
    with pytest.raises(MissingWeightsError) as error:
        TERMS.create("perceptual")
    message = str(error.value)
    assert message.startswith("perceptual loss: ")
    assert "vgg16-397923af.pth not found" in message
    assert str(tmp_path / "torch" / "hub" / "checkpoints") in message
    assert "DERAINBENCH_VGG16_WEIGHTS" in message and "\n" not in message
    # The same error stops a run before it trains (the recipe's perceptual term, real weights).
    config = compose("attentive-gan", steps=1, crop=32, device="cpu")
    with pytest.raises(MissingWeightsError, match="perceptual loss: .*vgg16-397923af.pth"):
        build_components(config, frozenset({"mask"}))


def test_perceptual_loss_reads_weights_by_the_real_loading_code(tmp_path, monkeypatch) -> None:
    import torchvision

    torch.manual_seed(5)
    reference = torchvision.models.vgg16(weights=None).eval()
    staging = tmp_path / "staging.pth"
    torch.save({f"features.{k}": v for k, v in reference.features.state_dict().items()}, staging)
    prefix = hashlib.sha256(staging.read_bytes()).hexdigest()[:8]
    spec = WeightsFile(f"vgg16-{prefix}.pth", prefix, "TEST_VGG16", "test VGG16")
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    spec.hub_path().parent.mkdir(parents=True)
    staging.rename(spec.hub_path())
    monkeypatch.setitem(vgg_features.ARCHITECTURES, "vgg16", spec)
    term = TERMS.create("perceptual", layers=["relu1_2", "relu2_2"])
    clean, restored = torch.rand(1, 3, 16, 16), torch.rand(1, 3, 16, 16)
    mean = torch.tensor(vgg_features.IMAGENET_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(vgg_features.IMAGENET_STD).view(1, 3, 1, 1)
    x, y = (restored - mean) / std, (clean - mean) / std
    with torch.no_grad():  # relu1_2 and relu2_2 are modules 3 and 8 of torchvision's VGG16
        expected = sum(
            0.5 * F.mse_loss(reference.features[:end](x), reference.features[:end](y))
            for end in (4, 9)
        )
    value = term(TermInputs(clean, clean, Restoration(restored)))
    assert value.item() == pytest.approx(expected.item(), rel=1e-5)


def test_the_attentive_recipe_trains_a_step_and_its_map_loss_reaches_the_discriminator(
    tmp_path,
) -> None:
    config = tiny_attentive(steps=2)
    assert config.objective.generator_weight == 0.01 and config.objective.options["saturating"]
    result = train(config, tmp_path / "run")
    log = (tmp_path / "run" / "log.csv").read_text().splitlines()
    header = log[0].split(",")
    for column in ("g_attention", "g_multiscale", "g_perceptual", "d_attention-map", "g_adv"):
        assert column in header
    assert result.steps == 2
