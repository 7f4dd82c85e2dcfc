"""Offline pretrained weights: found by path, variable or hub cache; hash-checked; never random."""

from __future__ import annotations

import hashlib

import pytest
import torch

from derainbench.errors import DerainBenchError
from derainbench.models import vgg_features
from derainbench.models.pretrained import MissingWeightsError, WeightsFile, find_weights
from derainbench.models.vgg_features import RANDOM_FOR_TESTS, VGGFeatures


def _fake_spec(tmp_path, payload: dict, monkeypatch) -> WeightsFile:
    """Write ``payload`` into a temporary torch hub cache under a name carrying its real hash."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    staging = tmp_path / "staging.pth"
    torch.save(payload, staging)
    prefix = hashlib.sha256(staging.read_bytes()).hexdigest()[:8]
    spec = WeightsFile(f"vgg16-{prefix}.pth", prefix, "TEST_VGG_WEIGHTS", "test VGG16")
    spec.hub_path().parent.mkdir(parents=True)
    staging.rename(spec.hub_path())
    return spec


def test_missing_weights_name_the_file_and_every_place_looked(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setenv("TEST_VGG_WEIGHTS", str(tmp_path / "env.pth"))
    spec = WeightsFile("vgg16-397923af.pth", "397923af", "TEST_VGG_WEIGHTS", "test VGG16")
    with pytest.raises(MissingWeightsError) as error:
        find_weights(spec, tmp_path / "user.pth")
    message = str(error.value)
    assert "vgg16-397923af.pth not found" in message
    for place in ("user.pth", "env.pth", "hub/checkpoints/vgg16-397923af.pth"):
        assert place in message
    assert "TEST_VGG_WEIGHTS" in message and "\n" not in message


def test_a_file_with_the_wrong_hash_is_refused(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    spec = WeightsFile("vgg16-397923af.pth", "397923af", "TEST_VGG_WEIGHTS", "test VGG16")
    spec.hub_path().parent.mkdir(parents=True)
    spec.hub_path().write_bytes(b"not the weights")
    with pytest.raises(DerainBenchError, match="SHA-256 starts .* expected 397923af"):
        find_weights(spec)


def test_real_loading_code_reads_a_cached_trunk(tmp_path, monkeypatch) -> None:
    import torchvision

    torch.manual_seed(3)
    reference = torchvision.models.vgg16(weights=None).eval()
    payload = {f"features.{k}": v for k, v in reference.features.state_dict().items()}
    spec = _fake_spec(tmp_path, payload, monkeypatch)
    monkeypatch.setitem(vgg_features.ARCHITECTURES, "vgg16", spec)
    features = VGGFeatures("vgg16", layers=("relu2_2", "conv3_3"))
    image = torch.rand(1, 3, 32, 32)
    taps = features(image)
    normalised = (image - features.mean) / features.std
    with torch.no_grad():
        expected = reference.features[:15](normalised)  # up to conv3_3 (index 14)
    torch.testing.assert_close(taps["conv3_3"], expected)
    assert set(taps) == {"relu2_2", "conv3_3"}
    assert not any(p.requires_grad for p in features.parameters())


def test_random_trunk_only_when_asked_for_by_name() -> None:
    with pytest.warns(UserWarning, match="RANDOM weights.*tests only"):
        first = VGGFeatures("vgg19", layers=("conv3_3",), weights=RANDOM_FOR_TESTS, seed=1)
    second = VGGFeatures("vgg19", layers=("conv3_3",), weights=RANDOM_FOR_TESTS, seed=1)
    image = torch.rand(1, 3, 16, 16)
    torch.testing.assert_close(first(image)["conv3_3"], second(image)["conv3_3"])


def test_unknown_layer_lists_the_layers() -> None:
    with pytest.raises(DerainBenchError, match="no layer conv9_9; layers: conv1_1, relu1_1"):
        VGGFeatures("vgg16", layers=("conv9_9",), weights=RANDOM_FOR_TESTS)
