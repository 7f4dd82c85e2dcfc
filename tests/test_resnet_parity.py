"""DeblurGAN, faithfully: the originals' parameter counts and outputs, and its weights imported."""

from __future__ import annotations

import pytest
import torch

import derainbench
from derainbench.benchmarks.originals.deblurgan import (
    OriginalCritic,
    OriginalResnetGenerator,
    with_pytorch03_instance_norm_statistics,
)
from derainbench.contracts import count_parameters
from derainbench.errors import DerainBenchError
from derainbench.models.discriminators.patchgan import convert_original_patchgan
from derainbench.models.generators.resnet import convert_original_resnet
from derainbench.models.original_weights import importer


def test_parameter_counts_at_the_paper_configurations() -> None:
    generator = derainbench.create_generator("resnet")
    critic = derainbench.create_discriminator("critic")
    assert count_parameters(generator) == 11_378_179
    assert count_parameters(critic) == 2_764_737
    assert generator.multiple_of == 4
    assert not critic.conditional
    assert count_parameters(OriginalResnetGenerator()) == 11_378_179


@pytest.mark.parametrize(("padding", "side"), [(1, 30), (2, 35)])
def test_critic_patch_map_for_256_pixels(padding: int, side: int) -> None:
    critic = derainbench.create_discriminator("critic", padding=padding).eval()
    with torch.no_grad():
        assert critic(torch.rand(1, 3, 256, 256)).logits.shape == (1, 1, side, side)


@pytest.mark.parametrize(
    ("ngf", "n_blocks", "dropout", "side"), [(8, 3, True, 32), (4, 2, False, 24)]
)
def test_resnet_outputs_match_the_original(ngf, n_blocks, dropout, side) -> None:
    torch.manual_seed(0)
    original = OriginalResnetGenerator(ngf, n_blocks, dropout)
    ours = derainbench.create_generator("resnet", ngf=ngf, n_blocks=n_blocks, dropout=dropout)
    ours.load_state_dict(convert_original_resnet(ours, original.state_dict()))
    x = torch.rand(2, 3, side, side + 8)
    with torch.no_grad():
        expected = original.eval()(x * 2 - 1)
        got = ours.eval()(x).image * 2 - 1
        torch.testing.assert_close(got, expected, atol=1e-5, rtol=0)
        # Train mode: dropout with the same random stream gives the same outputs.
        torch.manual_seed(5)
        expected = original.train()(x * 2 - 1)
        torch.manual_seed(5)
        got = ours.train()(x).image * 2 - 1
        torch.testing.assert_close(got, expected, atol=1e-5, rtol=0)


def test_learned_residual_is_clamped_input_plus_branch() -> None:
    torch.manual_seed(0)
    with_residual = derainbench.create_generator("resnet", ngf=4, n_blocks=1).eval()
    plain = derainbench.create_generator("resnet", ngf=4, n_blocks=1, learn_residual=False)
    plain.load_state_dict(with_residual.state_dict())
    x = torch.rand(1, 3, 16, 16)
    with torch.no_grad():
        branch = plain.eval()(x).image * 2 - 1
        expected = torch.clamp(x * 2 - 1 + branch, -1, 1)
        torch.testing.assert_close(with_residual(x).image * 2 - 1, expected)


@pytest.mark.parametrize("padding", [1, 2])
def test_critic_outputs_match_the_original(padding: int) -> None:
    torch.manual_seed(0)
    original = OriginalCritic(ndf=8, n_layers=3, padding=padding).eval()
    ours = derainbench.create_discriminator("critic", ndf=8, padding=padding).eval()
    ours.load_state_dict(convert_original_patchgan(ours, original.state_dict()))
    image = torch.rand(2, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(ours(image).logits, original(image * 2 - 1), atol=1e-5, rtol=0)


@pytest.mark.parametrize("dropout", [True, False])
def test_deblurgan_importer_reads_the_configuration_from_2018_weights(dropout: bool) -> None:
    torch.manual_seed(0)
    original = OriginalResnetGenerator(ngf=8, n_blocks=4, dropout=dropout).eval()
    # As released: a PyTorch 0.3 file, whose InstanceNorm layers carried unused running stats.
    released = with_pytorch03_instance_norm_statistics(original, original.state_dict())
    assert "model.2.running_mean" in released
    imported = importer("deblurgan")(released)
    assert imported.generator == "resnet"
    assert imported.options == {
        "ngf": 8, "n_blocks": 4, "norm": "instance", "dropout": dropout, "learn_residual": True
    }  # fmt: skip
    ours = derainbench.create_generator("resnet", **imported.options).eval()
    ours.load_state_dict(imported.state_dict)
    x = torch.rand(1, 3, 28, 20)
    with torch.no_grad():
        torch.testing.assert_close(ours(x).image * 2 - 1, original(x * 2 - 1), atol=1e-5, rtol=0)


def test_the_paper_configuration_imports_and_matches() -> None:
    torch.manual_seed(0)
    original = OriginalResnetGenerator().eval()
    imported = importer("deblurgan")(original.state_dict())
    ours = derainbench.create_generator("resnet", **imported.options).eval()
    ours.load_state_dict(imported.state_dict)
    x = torch.rand(1, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(ours(x).image * 2 - 1, original(x * 2 - 1), atol=1e-4, rtol=0)


def test_other_weights_are_refused_by_the_deblurgan_importer() -> None:
    from derainbench.benchmarks.originals.pix2pix import OriginalUnet

    with pytest.raises(DerainBenchError, match="not DeblurGAN ResnetGenerator weights"):
        importer("deblurgan")(OriginalUnet(num_downs=5, ngf=4).state_dict())


def test_paper_initialisation_is_normal_002() -> None:
    torch.manual_seed(0)
    generator = derainbench.create_generator("resnet")
    conv = generator.blocks[0].body[1]
    assert conv.weight.std().item() == pytest.approx(0.02, rel=0.02)
    assert conv.bias is not None and conv.bias.abs().max().item() == 0.0  # InstanceNorm: bias
