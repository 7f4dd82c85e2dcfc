"""Resume rules: the stored configuration continues; more steps extend it; a folder that holds
only its configuration starts from it; orphaned temporary checkpoints are removed."""

from __future__ import annotations

import pytest
import torch

import derainbench as db
from derainbench.errors import DerainBenchError
from derainbench.training.checkpoint import load_checkpoint
from derainbench.training.loop import train
from derainbench.training.runfolder import RunFolder
from tests.conftest import tiny_config

CONSTANT = "optimizer.schedule=constant"


def _weights(run) -> dict[str, torch.Tensor]:
    return load_checkpoint(run)["generator"]


def test_more_steps_extend_a_finished_run_exactly_under_a_constant_rate(tmp_path) -> None:
    straight = train(tiny_config(CONSTANT, steps=6), tmp_path / "straight").run.root
    short = train(tiny_config(CONSTANT, steps=4), tmp_path / "extended").run.root
    result = db.resume(short, steps=6, evaluate=False)
    assert result.training.steps == 6 and load_checkpoint(short)["step"] == 6
    for key, value in _weights(straight).items():
        assert torch.equal(value, _weights(short)[key]), key
    assert "steps = 6" in (short / "config.toml").read_text()
    assert result.training.config_hash == tiny_config(CONSTANT, steps=6).hash


def test_a_run_cannot_be_shortened_or_changed_on_resume(tmp_path) -> None:
    run = train(tiny_config(steps=4), tmp_path / "run").run.root
    with pytest.raises(DerainBenchError, match="has already taken 4 steps"):
        db.resume(run, steps=2, evaluate=False)
    with pytest.raises(DerainBenchError, match=r"generator.ngf would change it \(4 → 8\)"):
        db.run(tiny_config("generator.ngf=8", steps=4), run_dir=run, resume=True)
    same = db.run(tiny_config(steps=4), run_dir=run, resume=True, evaluate=False)
    assert same.training.steps == 4  # the same configuration again is simply the same run


def test_a_run_from_before_an_option_existed_resumes_when_the_option_keeps_its_default(
    tmp_path,
) -> None:
    # A component option added later defaults to what the component did before: a run whose
    # stored configuration lacks it ran exactly that, and must still resume (or be reused by a
    # benchmark), while asking for another value is still a different experiment.
    run = train(tiny_config(steps=2), tmp_path / "run").run.root
    path = RunFolder(run).checkpoint_path
    state = load_checkpoint(path)
    del state["config"]["generator"]["learn_residual"]  # as written before the option existed
    torch.save(state, path)
    result = db.run(tiny_config(steps=3), run_dir=run, resume=True, evaluate=False)
    assert result.training.steps == 3
    state = load_checkpoint(path)
    del state["config"]["generator"]["learn_residual"]
    torch.save(state, path)
    with pytest.raises(DerainBenchError, match=r"learn_residual would change it \(False → True\)"):
        db.run(tiny_config("generator.learn_residual=true", steps=4), run_dir=run, resume=True)


def test_a_folder_with_only_its_configuration_starts_from_it(tmp_path) -> None:
    config = tiny_config(steps=3)
    folder = RunFolder(tmp_path / "configured")
    folder.write_config(config)
    with pytest.raises(DerainBenchError, match="holds a run configuration but no checkpoint"):
        train(config, folder.root)
    result = db.resume(folder.root, evaluate=False)
    assert result.training.steps == 3 and result.training.config_hash == config.hash
    straight = train(config, tmp_path / "straight").run.root
    for key, value in _weights(straight).items():
        assert torch.equal(value, _weights(folder.root)[key]), key


def test_resuming_removes_what_a_killed_checkpoint_write_left(tmp_path) -> None:
    run = train(tiny_config(steps=2), tmp_path / "run").run.root
    orphan = run / "checkpoints" / ".last.pt.abc123"
    orphan.write_bytes(b"half a checkpoint")
    db.resume(run, steps=3, evaluate=False)
    assert not orphan.exists()
    assert load_checkpoint(run)["step"] == 3
