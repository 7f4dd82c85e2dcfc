"""The training loop: deterministic, resumable to the same end, D frozen in the G step, guarded."""

from __future__ import annotations

import csv

import pytest
import torch

from derainbench.errors import DerainBenchError, IncompatibleComponentsError
from derainbench.training import loop as loop_module
from derainbench.training.checkpoint import load_checkpoint
from derainbench.training.loop import train
from derainbench.training.step import NonFiniteLossError, batchnorm_statistics_frozen
from derainbench.training.stopping import TrainingInterruptedError
from tests.conftest import edited, tiny_config


def _weights(run_dir) -> dict[str, torch.Tensor]:
    return load_checkpoint(run_dir)["generator"]


def test_run_folder_contents(tmp_path) -> None:
    config = tiny_config("run.sample_every=2", steps=4)
    result = train(config, tmp_path / "run")
    run = result.run
    assert result.steps == 4
    assert run.config_path.read_text().startswith("# resolved configuration")
    assert result.config_hash in run.config_path.read_text()
    rows = list(csv.DictReader(run.log_path.open()))
    assert [int(r["step"]) for r in rows] == [1, 2, 3, 4]
    assert {"d", "g_adv", "g_l1", "g", "lr"} <= set(rows[0])
    assert sorted(p.name for p in run.samples_dir.iterdir()) == [
        "step_0000002.png",
        "step_0000004.png",
    ]
    state = load_checkpoint(run.root)
    assert state["step"] == 4 and state["total_steps"] == 4
    # Constant for half the steps, then linear decay towards zero (pix2pix's rule, in steps).
    assert [float(r["lr"]) for r in rows] == pytest.approx([2e-4, 2e-4, 2e-4 * 2 / 3, 2e-4 / 3])


def test_training_is_deterministic_on_cpu(tmp_path) -> None:
    first = train(tiny_config(), tmp_path / "a").run.root
    second = train(tiny_config(), tmp_path / "b").run.root
    third = train(tiny_config(seed=1), tmp_path / "c").run.root
    for key, value in _weights(first).items():
        assert torch.equal(value, _weights(second)[key]), key
    assert any(not torch.equal(v, _weights(third)[k]) for k, v in _weights(first).items())


def test_interrupted_run_resumes_to_the_same_result(tmp_path, monkeypatch) -> None:
    straight = train(tiny_config(steps=5), tmp_path / "straight").run.root

    real_step = loop_module.train_step
    calls = {"n": 0}

    def interrupt_at_step_four(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 4:
            raise KeyboardInterrupt
        return real_step(*args, **kwargs)

    monkeypatch.setattr(loop_module, "train_step", interrupt_at_step_four)
    with pytest.raises(TrainingInterruptedError, match="interrupted at step 3 of 5.*--resume"):
        train(tiny_config(steps=5), tmp_path / "resumed")
    assert load_checkpoint(tmp_path / "resumed")["step"] == 3  # nothing lost
    monkeypatch.setattr(loop_module, "train_step", real_step)

    with pytest.raises(DerainBenchError, match="already holds a run.*--resume"):
        train(tiny_config(steps=5), tmp_path / "resumed")
    result = train(tiny_config(steps=5), tmp_path / "resumed", resume=True)
    assert result.steps == 5
    for key, value in _weights(straight).items():
        assert torch.equal(value, _weights(tmp_path / "resumed")[key]), key
    rows = list(csv.DictReader((tmp_path / "resumed" / "log.csv").open()))
    assert [int(r["step"]) for r in rows] == [1, 2, 3, 4, 5]


def test_discriminator_is_frozen_during_the_generator_step() -> None:
    from derainbench.training.components import build_components
    from derainbench.training.precision import Precision
    from derainbench.training.step import Optimizers, StepSettings, train_step

    parts = build_components(tiny_config(), frozenset())
    seen: list[tuple[bool, bool]] = []  # (parameters trainable?, input requires grad?) per call

    def record(module, args):
        trainable = all(p.requires_grad for p in module.parameters())
        seen.append((trainable, args[0].requires_grad))

    parts.discriminator.register_forward_pre_hook(record)
    g_before = [p.detach().clone() for p in parts.generator.parameters()]
    optimizers = Optimizers(
        torch.optim.Adam(parts.generator.parameters(), lr=1e-3),
        torch.optim.Adam(parts.discriminator.parameters(), lr=1e-3),
    )
    rainy, clean = torch.rand(2, 3, 32, 32), torch.rand(2, 3, 32, 32)
    settings = StepSettings(discriminator_weight=0.5)
    precision = Precision("fp32", torch.device("cpu"))
    losses = train_step(parts, optimizers, settings, precision, rainy, clean, step=1).as_floats()
    # D step: real and detached fake, D trainable; G step: D frozen, gradients flow to the image.
    assert seen == [(True, False), (True, False), (False, True)]
    assert set(losses) == {"d_adv", "d", "g_adv", "g_l1", "g"}
    assert losses["g"] == pytest.approx(losses["g_adv"] + losses["g_l1"], rel=1e-5)
    changed = [
        not torch.equal(a, b) for a, b in zip(g_before, parts.generator.parameters(), strict=True)
    ]
    assert all(changed)


def test_generator_step_leaves_discriminator_statistics_alone() -> None:
    bn = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4)).train()
    mean, var = bn[1].running_mean.clone(), bn[1].running_var.clone()
    x = torch.rand(2, 3, 8, 8, requires_grad=True)
    with batchnorm_statistics_frozen(bn):
        out = bn(x)
    out.sum().backward()  # the saved graph is still valid
    assert torch.equal(bn[1].running_mean, mean) and torch.equal(bn[1].running_var, var)
    assert x.grad is not None


def test_non_finite_loss_stops_and_keeps_the_last_checkpoint(tmp_path, monkeypatch) -> None:
    from derainbench.losses.pixel import L1Term

    config = tiny_config(steps=4)
    real_forward = L1Term.forward
    calls = {"n": 0}

    def nan_at_third_call(self, inputs):
        calls["n"] += 1
        value = real_forward(self, inputs)
        return value * float("nan") if calls["n"] == 3 else value

    monkeypatch.setattr(L1Term, "forward", nan_at_third_call)
    with pytest.raises(NonFiniteLossError, match="loss 'l1' became nan at step 3"):
        train(config, tmp_path / "run")
    state = load_checkpoint(tmp_path / "run")
    assert state["step"] == 2
    assert all(
        torch.isfinite(v).all() for v in state["generator"].values() if v.is_floating_point()
    )


def test_recipe_without_any_generator_loss_is_refused(tmp_path) -> None:
    config = tiny_config(discriminator="none")
    config = edited(config, terms=[])
    with pytest.raises(IncompatibleComponentsError, match="no gradient"):
        train(config, tmp_path / "run")


def test_training_without_discriminator(tmp_path) -> None:
    result = train(tiny_config(discriminator="none", steps=2), tmp_path / "run")
    rows = list(csv.DictReader(result.run.log_path.open()))
    assert "d" not in rows[0] and "g_l1" in rows[0]
    assert load_checkpoint(result.run.root)["parameters"]["discriminator"] == 0
