"""`import-weights`: released pix2pix and DeblurGAN generators become run folders that evaluate."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import torch
from PIL import Image
from typer.testing import CliRunner

from derainbench.benchmarks.originals.deblurgan import (
    OriginalResnetGenerator,
    with_pytorch03_instance_norm_statistics,
)
from derainbench.benchmarks.originals.pix2pix import OriginalUnet
from derainbench.cli import app
from derainbench.datasets.image_io import load_rgb
from derainbench.imaging import to_uint8
from derainbench.models import original_weights
from derainbench.models.original_weights import ImportedGenerator, register_importer
from derainbench.training.checkpoint import load_checkpoint


def cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


def one_line_error(code: int, stderr: str) -> str:
    assert code == 2
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), stderr
    return lines[0]


def write_rainy_images(folder: Path, height: int, width: int, count: int = 2) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    generator = torch.Generator().manual_seed(1)
    paths = []
    for index in range(count):
        pixels = to_uint8(torch.rand(3, height, width, generator=generator)).permute(1, 2, 0)
        paths.append(folder / f"{index}_rain.png")
        Image.fromarray(pixels.numpy()).save(paths[-1])
    return paths


def restored_by_original(network: torch.nn.Module, path: Path) -> torch.Tensor:
    """What the original network makes of an image file, in [0, 1]."""
    with torch.no_grad():
        return (network.eval()(load_rgb(path)[None] * 2 - 1)[0] + 1) / 2


@pytest.mark.parametrize("layout", ["bare", "nested-legacy"])
def test_deblurgan_weights_import_and_derain_like_the_original(tmp_path, layout) -> None:
    torch.manual_seed(0)
    original = OriginalResnetGenerator(ngf=8, n_blocks=2).eval()
    state = with_pytorch03_instance_norm_statistics(original, original.state_dict())
    weights = tmp_path / "latest_net_G.pth"
    if layout == "bare":
        torch.save(state, weights)
    else:  # an old (non-zip) serialisation, nested under a training script's key
        torch.save({"netG": state, "epoch": 300}, weights, _use_new_zipfile_serialization=False)
    out = tmp_path / "deblurgan-published"
    code, stdout, stderr = cli("import-weights", "--from", "deblurgan", weights, out, "--json")
    assert code == 0, stderr
    summary = json.loads(stdout)
    assert summary["generator"] == "resnet" and summary["options"]["n_blocks"] == 2

    checkpoint = load_checkpoint(out)
    assert checkpoint["step"] == 0 and checkpoint["train_seconds"] == 0.0
    assert checkpoint["config"]["discriminator"] == {"name": "none"}
    sha256 = hashlib.sha256(weights.read_bytes()).hexdigest()
    assert checkpoint["source"]["sha256"] == sha256
    assert sha256 in (out / "config.toml").read_text()

    images = write_rainy_images(tmp_path / "rainy", 40, 48)
    code, _, stderr = cli("derain", out, tmp_path / "rainy", "--out", tmp_path / "derained")
    assert code == 0, stderr
    for path in images:
        got = load_rgb(tmp_path / "derained" / f"{path.stem}.png")
        expected = to_uint8(restored_by_original(original, path)).float() / 255
        assert (got - expected).abs().max().item() <= 1 / 255 + 1e-6


def test_pix2pix_weights_import_and_evaluate(tmp_path) -> None:
    torch.manual_seed(0)
    original = OriginalUnet(num_downs=5, ngf=4)
    weights = tmp_path / "latest_net_G.pth"
    torch.save({f"module.{k}": v for k, v in original.state_dict().items()}, weights)
    out = tmp_path / "pix2pix-published"
    code, _, stderr = cli("import-weights", "--from", "pix2pix", weights, out)
    assert code == 0, stderr

    test_set = tmp_path / "test"
    images = write_rainy_images(test_set / "data", 64, 64)
    (test_set / "gt").mkdir()
    for path in images:  # the original's own restorations as ground truth: PSNR is near-perfect
        clean = to_uint8(restored_by_original(original, path)).permute(1, 2, 0).numpy()
        Image.fromarray(clean).save(test_set / "gt" / path.name.replace("_rain", "_clean"))
    code, stdout, stderr = cli(
        "eval", out, "--test-data", test_set, "--no-leaderboard", "--json"
    )  # fmt: skip
    assert code == 0, stderr
    row = json.loads(stdout)
    assert row["generator"] == "unet" and row["steps"] == 0 and row["n_images"] == 2
    assert row["g_params"] == sum(p.numel() for p in original.parameters())
    assert row["psnr"] > 50


@pytest.fixture
def toy_importer():
    """A temporary importer, as another model family would register one."""

    @register_importer("toy")
    def import_toy(original) -> ImportedGenerator:
        return ImportedGenerator("resnet", {"ngf": 4, "n_blocks": 1}, dict(original), "toy")

    yield
    del original_weights.IMPORTERS["toy"]


def test_any_registered_importer_is_served(tmp_path, toy_importer) -> None:
    from derainbench import create_generator

    weights = tmp_path / "toy.pth"
    torch.save({"model": create_generator("resnet", ngf=4, n_blocks=1).state_dict()}, weights)
    code, _, stderr = cli("import-weights", "--from", "toy", weights, tmp_path / "out")
    assert code == 0, stderr
    assert load_checkpoint(tmp_path / "out")["config"]["generator"]["n_blocks"] == 1


def test_bad_input_is_one_line(tmp_path) -> None:
    def error_of(source: str, weights: Path, out: Path) -> str:
        code, _, stderr = cli("import-weights", "--from", source, weights, out)
        return one_line_error(code, stderr)

    line = error_of("caffe", tmp_path / "x.pth", tmp_path / "o")
    assert "no importer for 'caffe'" in line and "deblurgan" in line and "pix2pix" in line
    line = error_of("pix2pix", tmp_path / "x.pth", tmp_path / "o")
    assert "x.pth" in line and "not found" in line

    not_weights = tmp_path / "numbers.pth"
    torch.save({"epoch": 3, "lr": 0.1}, not_weights)
    assert "holds no state dict" in error_of("pix2pix", not_weights, tmp_path / "o")

    torch.manual_seed(0)
    unet = tmp_path / "unet.pth"
    torch.save(OriginalUnet(num_downs=5, ngf=4).state_dict(), unet)
    line = error_of("deblurgan", unet, tmp_path / "o")
    assert "not DeblurGAN ResnetGenerator weights" in line

    assert cli("import-weights", "--from", "pix2pix", unet, tmp_path / "run")[0] == 0
    assert "already holds a checkpoint" in error_of("pix2pix", unet, tmp_path / "run")


@pytest.mark.parametrize("command", ["import-weights", "check"])
def test_new_commands_explain_their_options(command: str) -> None:
    code, out, _ = cli(command, "--help")
    assert code == 0 and "Usage" in out
    assert ("--from" if command == "import-weights" else "--discriminator") in out
