"""DeblurGAN's content loss: VGG19 conv3_3 before its ReLU, offline weights, both input ranges."""

from __future__ import annotations

import hashlib

import pytest
import torch
import torch.nn.functional as F

from derainbench.config import load_recipe, resolve
from derainbench.contracts import Restoration
from derainbench.errors import DerainBenchError
from derainbench.losses.base import TermInputs
from derainbench.models import vgg_features
from derainbench.models.pretrained import MissingWeightsError, WeightsFile
from derainbench.registries import TERMS

pytestmark = pytest.mark.filterwarnings("ignore:vgg19 with RANDOM weights")


@pytest.fixture(scope="module")
def vgg19_file(tmp_path_factory) -> tuple[torch.nn.Module, WeightsFile, object]:
    """A (randomly initialised) torchvision VGG19 trunk saved under a name carrying its hash."""
    import torchvision

    torch.manual_seed(3)
    reference = torchvision.models.vgg19(weights=None).eval()
    folder = tmp_path_factory.mktemp("vgg19")
    staging = folder / "staging.pth"
    torch.save({f"features.{k}": v for k, v in reference.features.state_dict().items()}, staging)
    prefix = hashlib.sha256(staging.read_bytes()).hexdigest()[:8]
    spec = WeightsFile(f"vgg19-{prefix}.pth", prefix, "TEST_VGG19_WEIGHTS", "test VGG19")
    return reference, spec, staging


@pytest.fixture
def cached_vgg19(vgg19_file, tmp_path, monkeypatch) -> torch.nn.Module:
    """That VGG19 where the offline policy finds it: the torch hub cache (a link, to stay fast)."""
    reference, spec, staging = vgg19_file
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    spec.hub_path().parent.mkdir(parents=True)
    spec.hub_path().symlink_to(staging)
    monkeypatch.setitem(vgg_features.ARCHITECTURES, "vgg19", spec)
    return reference


def _inputs(restored: torch.Tensor, clean: torch.Tensor) -> TermInputs:
    return TermInputs(clean, clean, Restoration(image=restored))


@pytest.mark.parametrize("convention", ["signed", "imagenet"])
def test_content_loss_is_mse_of_conv3_3_before_relu(cached_vgg19, convention: str) -> None:
    term = TERMS.create("content", input_convention=convention)
    restored, clean = torch.rand(2, 3, 24, 24), torch.rand(2, 3, 24, 24)

    def features(image: torch.Tensor) -> torch.Tensor:
        if convention == "signed":  # the original: [-1, 1], no ImageNet normalisation
            x = image * 2 - 1
        else:
            mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
            std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
            x = (image - mean) / std
        with torch.no_grad():
            return cached_vgg19.features[:15](x)  # index 14 is conv3_3, where the original cuts

    expected = F.mse_loss(features(restored), features(clean))
    assert features(clean).min() < 0  # before the ReLU: negative activations are kept
    assert term(_inputs(restored, clean)).item() == pytest.approx(expected.item(), rel=1e-5)


def test_gradient_reaches_the_restoration_and_not_vgg(cached_vgg19) -> None:
    term = TERMS.create("content", input_convention="signed")
    restored = torch.rand(1, 3, 16, 16, requires_grad=True)
    term(_inputs(restored, torch.rand(1, 3, 16, 16))).backward()
    assert restored.grad is not None and restored.grad.abs().sum() > 0
    assert all(p.grad is None and not p.requires_grad for p in term.parameters())


def test_a_user_path_is_used_and_hash_checked(cached_vgg19, tmp_path) -> None:
    spec = vgg_features.ARCHITECTURES["vgg19"]
    user_copy = tmp_path / "my-vgg19.pth"
    user_copy.symlink_to(spec.hub_path().resolve())
    spec.hub_path().unlink()  # only the user's copy is left
    term = TERMS.create("content", weights=str(user_copy))
    assert term.features.trunk[0].weight.equal(cached_vgg19.features[0].weight)
    other = tmp_path / "other.pth"
    other.write_bytes(b"something else")
    with pytest.raises(DerainBenchError, match=f"SHA-256 starts .* expected {spec.sha256_prefix}"):
        TERMS.create("content", weights=str(other))


def test_missing_vgg19_weights_are_one_clear_error(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.delenv("DERAINBENCH_VGG19_WEIGHTS", raising=False)
    with pytest.raises(MissingWeightsError) as error:
        TERMS.create("content")
    message = str(error.value)
    assert "vgg19-dcbb9e9d.pth not found" in message and "DERAINBENCH_VGG19_WEIGHTS" in message
    assert "\n" not in message


def test_the_deblurgan_recipe_reproduces_the_original_content_loss() -> None:
    terms = [t.to_dict() for t in resolve(load_recipe("deblurgan").configuration()).terms]
    assert terms == [
        {
            "name": "content",
            "layer": "conv3_3",
            "weights": None,
            "input_convention": "signed",
            "weight": 100.0,
        }
    ]
