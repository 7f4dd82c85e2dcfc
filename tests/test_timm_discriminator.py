"""A model zoo plugs in: a discriminator on any timm backbone, random or local weights only."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

import derainbench
from derainbench.errors import DerainBenchError


@pytest.fixture(scope="module")
def resnet18_file(tmp_path_factory):
    """A timm resnet18 classifier checkpoint (random weights) as a user would have it locally."""
    import timm

    torch.manual_seed(0)
    model = timm.create_model("resnet18", pretrained=False).eval()
    path = tmp_path_factory.mktemp("weights") / "resnet18.pth"
    torch.save(model.state_dict(), path)
    return model, path


@pytest.mark.parametrize(
    ("head", "conditional", "shape"),
    [("patch", True, (2, 1, 2, 2)), ("global", False, (2, 1))],
)
def test_resnet18_backbone_with_either_head(head, conditional, shape) -> None:
    d = derainbench.create_discriminator(
        "timm", backbone="resnet18", head=head, conditional=conditional
    )
    assert d.conditional is conditional
    x = torch.rand(2, 6 if conditional else 3, 64, 64)
    assert d(x).logits.shape == shape


def test_local_weights_are_used_with_imagenet_normalisation(resnet18_file) -> None:
    reference, path = resnet18_file
    d = derainbench.create_discriminator(
        "timm", backbone="resnet18", conditional=False, pretrained_weights=str(path)
    ).eval()
    x = torch.rand(1, 3, 64, 64)
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    with torch.no_grad():
        expected = d.head(reference.forward_features((x - mean) / std))
        torch.testing.assert_close(d(x).logits, expected)


def test_conditional_stem_is_adapted_from_three_channel_weights(tmp_path, resnet18_file) -> None:
    reference, _ = resnet18_file
    nested = tmp_path / "nested.pth"  # nested and DataParallel-prefixed, as training scripts save
    torch.save(
        {"state_dict": {f"module.{k}": v for k, v in reference.state_dict().items()}}, nested
    )
    d = derainbench.create_discriminator("timm", pretrained_weights=str(nested))
    stem, original = d.backbone.conv1.weight, reference.conv1.weight
    assert stem.shape[1] == 6
    # timm's rule: the RGB filters repeated for both images, scaled so the response keeps its size
    torch.testing.assert_close(stem[:, :3], original * 0.5)
    torch.testing.assert_close(stem[:, 3:], original * 0.5)


def test_weights_of_another_backbone_are_refused(resnet18_file) -> None:
    _, path = resnet18_file
    with pytest.raises(DerainBenchError, match="is it a checkpoint of this backbone"):
        derainbench.create_discriminator("timm", backbone="resnet34", pretrained_weights=str(path))


def test_missing_local_weights_are_one_line_and_nothing_is_downloaded(tmp_path) -> None:
    with pytest.raises(DerainBenchError) as error:
        derainbench.create_discriminator("timm", pretrained_weights=str(tmp_path / "r18.pth"))
    message = str(error.value)
    assert "r18.pth" in message and "nothing is downloaded" in message and "\n" not in message


@pytest.mark.parametrize(
    ("options", "fragment"),
    [({"backbone": "resnet1800"}, "timm has no model 'resnet1800'"), ({"head": "mlp"}, "head")],
)
def test_bad_options_are_one_line(options, fragment) -> None:
    with pytest.raises(DerainBenchError, match=fragment):
        derainbench.create_discriminator("timm", **options)


def test_importing_the_package_does_not_import_timm() -> None:
    code = (
        "import sys, derainbench; derainbench.list_components('discriminators'); "
        "assert 'timm' not in sys.modules, 'timm imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
