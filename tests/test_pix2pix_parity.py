"""pix2pix, faithfully: the originals' parameter counts and the originals' outputs."""

from __future__ import annotations

import pytest
import torch

import derainbench
from derainbench.benchmarks.originals.pix2pix import OriginalPatchGAN, OriginalUnet
from derainbench.contracts import count_parameters
from derainbench.errors import DerainBenchError
from derainbench.models.discriminators.patchgan import convert_original_patchgan
from derainbench.models.generators.unet import convert_original_unet


def _randomise_batchnorm(module: torch.nn.Module, seed: int) -> None:
    """Non-trivial running statistics, so that eval mode is actually compared."""
    generator = torch.Generator().manual_seed(seed)
    for m in module.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.copy_(torch.randn(m.num_features, generator=generator) * 0.1)
            m.running_var.copy_(torch.rand(m.num_features, generator=generator) + 0.5)


def test_parameter_counts_at_the_paper_configurations() -> None:
    generator = derainbench.create_generator("unet")
    discriminator = derainbench.create_discriminator("patchgan")
    assert count_parameters(generator) == 54_413_955
    assert sum(b.numel() for b in generator.buffers()) == 9_869
    assert count_parameters(discriminator) == 2_768_705
    assert generator.multiple_of == 256
    assert discriminator.conditional


def test_patchgan_gives_a_30x30_logit_map_for_256_pixels() -> None:
    discriminator = derainbench.create_discriminator("patchgan").eval()
    with torch.no_grad():
        logits = discriminator(torch.rand(1, 6, 256, 256)).logits
    assert logits.shape == (1, 1, 30, 30)


@pytest.mark.parametrize(("num_downs", "ngf", "side"), [(5, 4, 64), (6, 8, 128)])
def test_unet_outputs_match_the_original(num_downs: int, ngf: int, side: int) -> None:
    torch.manual_seed(0)
    original = OriginalUnet(num_downs=num_downs, ngf=ngf)
    _randomise_batchnorm(original, 1)
    ours = derainbench.create_generator("unet", num_downs=num_downs, ngf=ngf)
    ours.load_state_dict(convert_original_unet(ours, original.state_dict()))
    x = torch.rand(2, 3, side, side)
    with torch.no_grad():
        # Eval mode (derainbench's default for testing).
        expected = original.eval()(x * 2 - 1)
        got = ours.eval()(x).image * 2 - 1
        torch.testing.assert_close(got, expected, atol=1e-5, rtol=0)
        # Train mode (the original's test-time default): batch statistics and dropout, with the
        # same random stream, give the same outputs.
        torch.manual_seed(7)
        expected = original.train()(x * 2 - 1)
        torch.manual_seed(7)
        got = ours.train()(x).image * 2 - 1
        torch.testing.assert_close(got, expected, atol=1e-5, rtol=0)


def test_unet_matches_the_original_at_the_paper_configuration() -> None:
    torch.manual_seed(0)
    original = OriginalUnet()
    _randomise_batchnorm(original, 2)
    ours = derainbench.create_generator("unet")
    ours.load_state_dict(convert_original_unet(ours, original.state_dict()))
    x = torch.rand(1, 3, 256, 256)
    with torch.no_grad():
        expected = original.eval()(x * 2 - 1)
        got = ours.eval()(x).image * 2 - 1
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=0)


def test_patchgan_outputs_match_the_original() -> None:
    torch.manual_seed(0)
    original = OriginalPatchGAN(input_nc=6, ndf=16, n_layers=3)
    _randomise_batchnorm(original, 3)
    ours = derainbench.create_discriminator("patchgan", ndf=16)
    ours.load_state_dict(convert_original_patchgan(ours, original.state_dict()))
    rainy, image = torch.rand(2, 3, 64, 64), torch.rand(2, 3, 64, 64)
    with torch.no_grad():
        expected = original.eval()(torch.cat([rainy, image], 1) * 2 - 1)
        got = ours.eval()(torch.cat([rainy, image], 1)).logits
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=0)


def test_weights_of_another_configuration_are_refused() -> None:
    original = OriginalUnet(num_downs=6, ngf=8)
    ours = derainbench.create_generator("unet", num_downs=6, ngf=4)
    with pytest.raises(DerainBenchError, match="does not fit"):
        convert_original_unet(ours, original.state_dict())


def test_paper_initialisation_is_normal_002() -> None:
    torch.manual_seed(0)
    generator = derainbench.create_generator("unet")
    conv, up_conv = generator.net.down[0], generator.net.up[1]
    assert conv.weight.std().item() == pytest.approx(0.02, rel=0.02)
    assert conv.bias is None  # followed by BatchNorm, as in the original
    assert up_conv.bias is not None and up_conv.bias.abs().max().item() == 0.0


@pytest.mark.parametrize(("num_downs", "ngf"), [(8, 64), (6, 8)])
def test_pix2pix_importer_reads_the_configuration_from_the_weights(num_downs, ngf) -> None:
    from derainbench.models.original_weights import importer

    torch.manual_seed(0)
    original = OriginalUnet(num_downs=num_downs, ngf=ngf).eval()
    imported = importer("pix2pix")({f"module.{k}": v for k, v in original.state_dict().items()})
    assert imported.generator == "unet"
    assert imported.options == {"num_downs": num_downs, "ngf": ngf}
    ours = derainbench.create_generator("unet", **imported.options)
    ours.load_state_dict(imported.state_dict)
    x = torch.rand(1, 3, 2**num_downs, 2**num_downs)
    with torch.no_grad():
        torch.testing.assert_close(
            ours.eval()(x).image * 2 - 1, original(x * 2 - 1), atol=1e-5, rtol=0
        )


def test_unknown_importer_names_the_known_ones() -> None:
    from derainbench.errors import UnknownNameError
    from derainbench.models.original_weights import importer

    with pytest.raises(UnknownNameError, match="no importer for 'caffe'; known: .*pix2pix"):
        importer("caffe")


def test_learned_residual_adds_the_input_to_the_unet_output() -> None:
    # Off at the defaults (pix2pix has no global skip); on, the output is clamp(x + U-Net(x)).
    torch.manual_seed(0)
    plain = derainbench.create_generator("unet", num_downs=5, ngf=4).eval()
    residual = derainbench.create_generator("unet", num_downs=5, ngf=4, learn_residual=True)
    residual.load_state_dict(plain.state_dict())
    assert not derainbench.create_generator("unet", num_downs=5, ngf=4).learn_residual
    x = torch.rand(1, 3, 32, 32)
    with torch.no_grad():
        branch = plain(x).image * 2 - 1
        expected = torch.clamp(x * 2 - 1 + branch, -1, 1)
        torch.testing.assert_close(residual.eval()(x).image * 2 - 1, expected)
