"""LPIPS only with the real (checked) trunk; empty with a reason otherwise; never a random trunk."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import torch

from derainbench.errors import DerainBenchError
from derainbench.metrics import lpips_metric
from derainbench.metrics.lpips_metric import try_lpips
from derainbench.models.pretrained import MissingWeightsError, WeightsFile


@pytest.fixture
def alexnet_in_cache(tmp_path, monkeypatch):
    """A seeded AlexNet trunk written into a temporary torch hub cache, as torchvision names it."""
    import torchvision

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    torch.manual_seed(11)
    alexnet = torchvision.models.alexnet(weights=None).eval()
    staging = tmp_path / "alexnet.pth"
    torch.save({f"features.{k}": v for k, v in alexnet.features.state_dict().items()}, staging)
    prefix = hashlib.sha256(staging.read_bytes()).hexdigest()[:8]
    spec = WeightsFile(f"alexnet-owt-{prefix}.pth", prefix, "TEST_ALEX", "test AlexNet")
    spec.hub_path().parent.mkdir(parents=True)
    staging.rename(spec.hub_path())
    monkeypatch.setitem(lpips_metric.TRUNKS, "alex", spec)
    return alexnet


def lpips_by_hand(alexnet, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """LPIPS v0.1 written out: scaled input, 5 ReLU taps, unit-normalised channels, linear heads."""
    import lpips

    heads = Path(lpips.__file__).parent / "weights" / "v0.1" / "alex.pth"
    lin = torch.load(heads, map_location="cpu", weights_only=True)
    shift = torch.tensor([-0.030, -0.088, -0.188]).view(1, 3, 1, 1)
    scale = torch.tensor([0.458, 0.448, 0.450]).view(1, 3, 1, 1)
    taps = (1, 4, 7, 9, 11)

    def features(x):
        x = ((x * 2 - 1) - shift) / scale
        outputs = []
        for index, module in enumerate(alexnet.features[:12]):
            x = module(x)
            if index in taps:
                outputs.append(x / (x.pow(2).sum(1, keepdim=True).sqrt() + 1e-10))
        return outputs

    total = 0
    with torch.no_grad():
        for k, (a, b) in enumerate(zip(features(pred), features(target), strict=True)):
            weight = lin[f"lin{k}.model.1.weight"]
            total = total + torch.nn.functional.conv2d((a - b) ** 2, weight).mean((1, 2, 3))
    return total


def test_lpips_with_the_cached_trunk_matches_the_definition(alexnet_in_cache) -> None:
    metric, reason = try_lpips("alex")
    assert metric is not None and reason == ""
    generator = torch.Generator().manual_seed(0)
    target = torch.rand(2, 3, 64, 64, generator=generator)
    pred = (target + 0.1 * torch.randn(target.shape, generator=generator)).clamp(0, 1)
    quantised = [t.mul(255).round().div(255) for t in (pred, target)]
    expected = lpips_by_hand(alexnet_in_cache, *quantised)
    torch.testing.assert_close(metric(pred, target), expected.double(), atol=1e-5, rtol=1e-4)
    assert metric(target, target).abs().max().item() < 1e-6


def test_missing_trunk_leaves_the_value_empty_with_one_warning(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "empty"))
    monkeypatch.setattr(lpips_metric, "_WARNED", set())
    with pytest.warns(
        UserWarning, match=r"LPIPS left empty: .*alexnet-owt-7be5be79\.pth not found"
    ):
        metric, reason = try_lpips("alex")
    assert metric is None and reason == "no alexnet-owt-7be5be79.pth"
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the second time: no second warning
        assert try_lpips("alex") == (None, "no alexnet-owt-7be5be79.pth")


def test_required_lpips_without_the_trunk_is_an_error(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "empty"))
    with pytest.raises(MissingWeightsError, match="looked in: .*hub/checkpoints"):
        try_lpips("alex", required=True)


def test_unknown_network_is_refused() -> None:
    with pytest.raises(DerainBenchError, match="unknown LPIPS network 'squeeze'"):
        lpips_metric.LPIPSMetric("squeeze")
