"""Attentive GAN, faithfully: the originals' parameter counts and outputs; the ablation knobs."""

from __future__ import annotations

import json

import pytest
import torch
from PIL import Image
from typer.testing import CliRunner

import derainbench
from derainbench.benchmarks.originals.deraindrop import OriginalDiscriminator, OriginalGenerator
from derainbench.cli import app
from derainbench.contracts import ATTENTION, D_ATTENTION, PYRAMID, count_parameters
from derainbench.datasets.image_io import load_rgb, save_png
from derainbench.errors import DerainBenchError
from derainbench.models.discriminators.attentive import convert_original_discriminator
from derainbench.models.original_weights import importer
from tests.test_deraindrop_protocol import authors_scores


def test_generator_parameter_count_at_the_paper_configuration() -> None:
    generator = derainbench.create_generator("attentive")
    assert count_parameters(generator) == 6_244_362
    assert sum(1 for _ in generator.buffers()) == 0  # no normalisation layers anywhere
    assert generator.multiple_of == 4
    assert generator.provides == {ATTENTION, PYRAMID}
    # Per-module counts of architectures.md.
    assert count_parameters(generator.arn.stem) == 1_184
    assert count_parameters(generator.arn.blocks[0]) == 18_496
    assert count_parameters(generator.arn.cell.input_gate) == 18_464
    assert count_parameters(generator.arn.to_map) == 289
    assert count_parameters(generator.autoencoder.up1) == 524_416
    assert count_parameters(generator.autoencoder.side_quarter) == 6_915
    assert count_parameters(generator.autoencoder.output) == 867


def test_discriminator_parameter_counts() -> None:
    faithful = derainbench.create_discriminator("attentive-faithful")
    assert count_parameters(faithful) == 7_737_746
    assert count_parameters(faithful.fc[0]) == 6_423_552
    assert not faithful.conditional and faithful.provides == {D_ATTENTION}
    plain = derainbench.create_discriminator("attentive-faithful", attention_map=False)
    assert count_parameters(plain) == 7_737_746 - 3_201  # the map conv is gone
    assert plain.provides == frozenset()


def _randomised_original() -> OriginalGenerator:
    torch.manual_seed(0)
    original = OriginalGenerator().eval()
    with torch.no_grad():  # non-trivial biases, so a swapped channel cannot hide
        for name, parameter in original.named_parameters():
            if name.endswith("bias"):
                parameter.uniform_(-0.05, 0.05)
    return original


def test_imported_weights_reproduce_the_original_outputs() -> None:
    original = _randomised_original()
    imported = importer("deraindrop")({f"module.{k}": v for k, v in original.state_dict().items()})
    assert imported.generator == "attentive"
    ours = derainbench.create_generator("attentive", **imported.options).eval()
    ours.load_state_dict(imported.state_dict)
    rgb = torch.rand(2, 3, 36, 52)
    with torch.no_grad():
        masks, frame1, frame2, output = original(rgb.flip(1))  # the original reads BGR
        got = ours(rgb)
    assert len(got.attention) == 4
    for ours_map, their_map in zip(got.attention, masks, strict=True):
        torch.testing.assert_close(ours_map, their_map, atol=1e-5, rtol=0)
    torch.testing.assert_close(got.pyramid[0], frame1.flip(1), atol=1e-5, rtol=0)
    torch.testing.assert_close(got.pyramid[1], frame2.flip(1), atol=1e-5, rtol=0)
    torch.testing.assert_close(got.image, output.flip(1), atol=1e-5, rtol=0)
    assert got.pyramid[0].shape[-2:] == (9, 13) and got.pyramid[1].shape[-2:] == (18, 26)


def test_weights_that_are_not_deraindrop_are_refused_in_one_line() -> None:
    state = _randomised_original().state_dict()
    del state["conv_i.0.weight"]
    state["extra.weight"] = torch.zeros(1)
    with pytest.raises(DerainBenchError, match="missing conv_i.0.weight; unexpected extra") as info:
        importer("deraindrop")(state)
    assert "\n" not in str(info.value)


def test_faithful_discriminator_matches_the_fixed_original() -> None:
    torch.manual_seed(1)
    original = OriginalDiscriminator(published=False).eval()
    ours = derainbench.create_discriminator("attentive-faithful").eval()
    ours.load_state_dict(convert_original_discriminator(original.state_dict()))
    rgb = torch.rand(1, 3, 224, 224)
    with torch.no_grad():
        their_map, probability = original(rgb.flip(1))
        judgement = ours(rgb)
    torch.testing.assert_close(judgement.attention, their_map, atol=1e-5, rtol=0)
    # Ours returns logits; the original ends in a sigmoid.
    torch.testing.assert_close(torch.sigmoid(judgement.logits), probability, atol=1e-6, rtol=0)


def test_the_published_discriminator_cannot_run_and_ours_says_what_it_takes() -> None:
    with pytest.raises(RuntimeError):  # the duplicated 128→64 conv gets 64 channels
        OriginalDiscriminator(published=True)(torch.rand(1, 3, 224, 224))
    faithful = derainbench.create_discriminator("attentive-faithful", width=0.125)
    with pytest.raises(DerainBenchError, match="takes 224×224 inputs.*got 240×360"):
        faithful(torch.rand(1, 3, 240, 360))


def test_any_size_discriminator_takes_any_size_and_can_drop_its_map() -> None:
    torch.manual_seed(0)
    discriminator = derainbench.create_discriminator("attentive", width=0.125)
    for height, width in ((36, 52), (61, 29)):
        judgement = discriminator(torch.rand(2, 3, height, width))
        assert judgement.logits.shape == (2, 1)
        assert judgement.attention.shape == (2, 1, height, width)
    plain = derainbench.create_discriminator("attentive", width=0.125, attention_map=False)
    assert plain(torch.rand(1, 3, 32, 32)).attention is None
    assert plain.provides == frozenset()


def test_zero_steps_is_the_autoencoder_alone() -> None:
    generator = derainbench.create_generator("attentive", recurrent_steps=0, width=0.125)
    assert generator.arn is None and generator.provides == {PYRAMID}
    out = generator(torch.rand(1, 3, 16, 24))
    assert out.attention is None and out.image.shape == (1, 3, 16, 24)
    # Fed the image alone: conv1 takes 3 channels, not 4.
    assert generator.autoencoder.conv1.in_channels == 3


@pytest.mark.parametrize("steps", [1, 2, 3, 4])
def test_one_attention_map_per_step(steps: int) -> None:
    generator = derainbench.create_generator("attentive", recurrent_steps=steps, width=0.125)
    out = generator(torch.rand(2, 3, 16, 16))
    assert len(out.attention) == steps
    assert all(a.shape == (2, 1, 16, 16) for a in out.attention)


def test_recurrence_and_attention_knobs() -> None:
    torch.manual_seed(0)
    conv = derainbench.create_generator("attentive", recurrence="conv", width=0.125)
    lstm = derainbench.create_generator("attentive", width=0.125)
    # One conv instead of four gate convs.
    assert count_parameters(lstm) - count_parameters(conv) == 3 * count_parameters(conv.arn.cell)
    squashed = derainbench.create_generator("attentive", attention="sigmoid", width=0.125)
    maps = squashed(torch.rand(1, 3, 16, 16)).attention
    assert all(((m > 0) & (m < 1)).all() for m in maps)
    with pytest.raises(DerainBenchError, match="unknown recurrence 'gru'"):
        derainbench.create_generator("attentive", recurrence="gru")
    with pytest.raises(DerainBenchError, match="recurrent_steps must be an integer >= 0"):
        derainbench.create_generator("attentive", recurrent_steps=-1)


def test_width_multiplier_scales_every_layer() -> None:
    tiny = derainbench.create_generator("attentive", width=0.25)
    assert tiny.arn.hidden == 8
    assert tiny.autoencoder.conv4.out_channels == 64
    assert count_parameters(tiny) < count_parameters(derainbench.create_generator("attentive")) / 10


def _cli(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.stderr
    return result.stdout


def test_import_weights_from_deraindrop_then_eval_and_derain(tmp_path) -> None:
    """Weights saved in the original's layout → import-weights → eval gives what the authors'
    own script gives on the original network (deraindrop protocol); derain restores."""
    original = _randomised_original()
    torch.save(original.state_dict(), tmp_path / "gen.pkl")  # the file predict.py loads
    generator = torch.Generator().manual_seed(4)
    for index, (height, width) in enumerate(((36, 52), (40, 44))):
        for name in (f"data/{index}_rain.png", f"gt/{index}_clean.png"):
            save_png(torch.rand(3, height, width, generator=generator), tmp_path / name)
    run = str(tmp_path / "run")
    _cli("import-weights", "--from", "deraindrop", str(tmp_path / "gen.pkl"), run)
    row = json.loads(
        _cli("eval", run, "--test-data", str(tmp_path), "--protocol", "deraindrop",
             "--no-leaderboard", "--no-costs", "--lpips", "none", "--json", "--device", "cpu")
    )  # fmt: skip
    expected = []
    for index in range(2):
        rainy = load_rgb(tmp_path / f"data/{index}_rain.png")[None]
        clean = load_rgb(tmp_path / f"gt/{index}_clean.png")[None]
        with torch.no_grad():
            out = original(rainy.flip(1))[-1].flip(1)  # the original on BGR, back to RGB
        expected.append(authors_scores(out, clean))
    assert row["protocol"] == "deraindrop" and row["n_images"] == 2
    assert row["psnr"] == pytest.approx(sum(p for p, _ in expected) / 2, abs=1e-5)
    assert row["ssim"] == pytest.approx(sum(s for _, s in expected) / 2, abs=1e-5)
    _cli("derain", run, str(tmp_path / "data"), "--out", str(tmp_path / "o"), "--attention")
    assert Image.open(tmp_path / "o" / "0_rain.png").size == (52, 36)
    assert (tmp_path / "o" / "attention" / "0_rain_step4.png").is_file()


def test_sides_that_are_not_multiples_of_four_are_one_clear_error() -> None:
    generator = derainbench.create_generator("attentive", width=0.125)
    with pytest.raises(DerainBenchError, match="multiples of 4, got 30×32"):
        generator(torch.rand(1, 3, 30, 32))


@pytest.mark.parametrize("steps", [0, 2])
@pytest.mark.parametrize("sides", [False, True])
def test_learned_residual_adds_the_input_to_the_image_and_optionally_the_side_outputs(
    steps: int, sides: bool
) -> None:
    # Off at the defaults. learn_residual: the image is input + output conv, the side outputs
    # stay whole images; with residual_side_outputs each side output is ReLU(side conv + the
    # input averaged down to its size).
    torch.manual_seed(0)
    options = {"recurrent_steps": steps, "width": 0.125}
    plain = derainbench.create_generator("attentive", **options).eval()
    residual = derainbench.create_generator(
        "attentive", **options, learn_residual=True, residual_side_outputs=sides
    ).eval()
    residual.load_state_dict(plain.state_dict())
    x = torch.rand(1, 3, 16, 24)
    with torch.no_grad():
        got, expected = residual(x), plain(x)
        corrections = _side_convs(plain, x)
    torch.testing.assert_close(got.image, x + expected.image)
    for factor, side, expected_side, correction in zip(
        (4, 2), got.pyramid, expected.pyramid, corrections, strict=True
    ):
        if sides:
            expected_side = torch.relu(correction + torch.nn.functional.avg_pool2d(x, factor))
        torch.testing.assert_close(side, expected_side)


def test_residual_side_outputs_without_a_learned_residual_is_one_clear_error() -> None:
    with pytest.raises(DerainBenchError, match="residual_side_outputs needs learn_residual"):
        derainbench.create_generator("attentive", width=0.125, residual_side_outputs=True)


def _side_convs(generator: torch.nn.Module, x: torch.Tensor) -> list[torch.Tensor]:
    """The side convs' raw outputs (before their ReLU), caught by hooks."""
    caught: list[torch.Tensor] = []
    hooks = [
        conv.register_forward_hook(lambda _m, _i, out: caught.append(out))
        for conv in (generator.autoencoder.side_quarter, generator.autoencoder.side_half)
    ]
    generator(x)
    for hook in hooks:
        hook.remove()
    return caught


def test_he_init_with_a_learned_residual_starts_as_the_identity_at_every_scale() -> None:
    torch.manual_seed(0)
    generator = derainbench.create_generator(
        "attentive",
        recurrent_steps=2,
        width=0.125,
        learn_residual=True,
        residual_side_outputs=True,
        init="he",
    )
    x = torch.rand(2, 3, 16, 24)
    with torch.no_grad():
        out = generator(x)
    torch.testing.assert_close(out.image, x)
    torch.testing.assert_close(out.pyramid[0], torch.nn.functional.avg_pool2d(x, 4))
    torch.testing.assert_close(out.pyramid[1], torch.nn.functional.avg_pool2d(x, 2))


def test_he_init_keeps_the_signal_through_the_unnormalised_autoencoder() -> None:
    # Why the option exists: under PyTorch's default init the deepest features of the
    # (unnormalised, all-ReLU) autoencoder barely depend on the input; He-normal keeps them.
    def input_dependence(init: str) -> float:
        torch.manual_seed(0)
        generator = derainbench.create_generator(
            "attentive", recurrent_steps=0, width=0.5, init=init
        )
        caught: list[torch.Tensor] = []
        generator.autoencoder.conv8.register_forward_hook(lambda _m, _i, out: caught.append(out))
        with torch.no_grad():
            generator(torch.rand(4, 3, 32, 32))
        features = torch.relu(caught[0])
        return (features.std(dim=0).mean() / features.mean().clamp_min(1e-12)).item()

    # Measured: about 1e-5 of the features' mean under the default init, 0.2-0.3 under He.
    assert input_dependence("pytorch") < 1e-3
    assert input_dependence("he") > 0.05


def test_an_unknown_init_is_one_clear_error() -> None:
    with pytest.raises(DerainBenchError, match="unknown init 'xavier'; choose pytorch or he"):
        derainbench.create_generator("attentive", width=0.125, init="xavier")
