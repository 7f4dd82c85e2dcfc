"""On a CUDA GPU (skipped elsewhere; ``python -m derainbench.benchmarks.gpu_check`` runs them):
training in the fast default, the NaN guard without per-step syncs, evaluation that agrees with
the CPU's, profile against the original code."""

from __future__ import annotations

import pytest
import torch

from derainbench.experiments.runner import evaluate_run
from derainbench.training.checkpoint import load_checkpoint
from derainbench.training.loop import train
from derainbench.training.step import NonFiniteLossError
from tests.conftest import tiny_config

pytestmark = [
    pytest.mark.cuda,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU"),
]


def test_training_on_the_gpu_uses_the_fast_default_and_evaluates_like_the_cpu(tmp_path) -> None:
    result = train(tiny_config(device="cuda", steps=4), tmp_path / "run")
    state = load_checkpoint(result.run.root)
    fast = state["acceleration"]
    assert fast["channels_last"] is True
    assert fast["precision"] == ("bf16" if torch.cuda.is_bf16_supported() else "fp32")
    on_gpu = evaluate_run(result.run.root, device="cuda", record=False)
    on_cpu = evaluate_run(result.run.root, device="cpu", record=False)
    assert on_gpu.row["precision"] == fast["precision"]
    assert abs(on_gpu.means["psnr"] - on_cpu.means["psnr"]) < 0.05


def test_the_nan_guard_names_term_and_step_on_the_gpu(tmp_path, monkeypatch) -> None:
    from derainbench.losses.pixel import L1Term

    real_forward, calls = L1Term.forward, {"n": 0}

    def nan_at_third_call(self, inputs):
        calls["n"] += 1
        value = real_forward(self, inputs)
        return value * float("nan") if calls["n"] == 3 else value

    monkeypatch.setattr(L1Term, "forward", nan_at_third_call)
    with pytest.raises(NonFiniteLossError, match="loss 'l1' became nan at step 3"):
        train(tiny_config("run.log_every=5", device="cuda", steps=8), tmp_path / "run")
    assert load_checkpoint(tmp_path / "run")["step"] == 2  # the last good state stays


def test_profile_on_the_gpu_compares_with_the_original() -> None:
    from derainbench.benchmarks.profile import profile
    from derainbench.experiments.compose import compose

    config = compose("pix2pix", train_data="toyrain-sk:train", crop=128)
    records = profile(config, size=128, batch=2, device="cuda", repeats=2)
    assert [r["mode"] for r in records] == ["train", "infer"]
    assert all(r["images_per_second"] > 0 and r["original_images_per_second"] > 0 for r in records)


def test_synthdrop_renders_on_the_training_gpu(tmp_path) -> None:
    from derainbench.registries import DATASETS

    dataset = DATASETS.create("synthdrop-sk", split="train", n=2, size=64)
    cpu = dataset[0]["rainy"]
    assert dataset.render_on("cuda")
    gpu = dataset[0]["rainy"]
    assert gpu.device.type == "cpu" and (gpu - cpu).abs().max() <= 1 / 255 + 1e-6
    result = train(
        tiny_config("data.train.name=synthdrop-sk", device="cuda", steps=2), tmp_path / "run"
    )
    assert result.steps == 2
