"""The command line as a user meets it: listings, one-line errors, resume after SIGKILL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import torch
from PIL import Image
from typer.testing import CliRunner

from derainbench.cli import app
from derainbench.training.checkpoint import load_checkpoint
from derainbench.training.loop import train
from tests.conftest import TINY_OVERRIDES, model_rows, tiny_config

COMMANDS = ["list", "info", "train", "eval", "derain", "leaderboard", "demo"]


def cli(*args: str):
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def cli_process(*args: str, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "derainbench.cli", *args]
    return subprocess.run(command, capture_output=True, text=True, cwd=cwd, timeout=timeout)


def assert_one_line_error(code: int, stderr: str, *fragments: str) -> None:
    assert code == 2
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: ")
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


def write_pair_folder(root: Path, pairs: dict[str, tuple[int, int]]) -> Path:
    for sub in ("data", "gt"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    for stem, (height, width) in pairs.items():
        image = Image.new("RGB", (width, height), (120, 130, 140))
        image.save(root / "data" / f"{stem}_rain.png")
        image.save(root / "gt" / f"{stem}_clean.png")
    return root


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("cli") / "run"
    train(tiny_config(steps=2), root)
    return root


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_explains_its_options(command: str) -> None:
    code, out, _ = cli(command, "--help")
    assert code == 0
    assert "Usage" in out and "--help" in out
    assert len(out.split("--")) > 2  # options are listed with their help text


def test_list_json_and_patterns() -> None:
    code, out, _ = cli("list", "--json")
    assert code == 0
    listing = json.loads(out)
    assert {"generators", "discriminators", "objectives", "terms", "penalties", "datasets",
            "protocols", "scores", "recipes"} == set(listing)  # fmt: skip
    unet = next(e for e in listing["generators"] if e["name"] == "unet")
    assert unet["native_range"] == "[-1, 1]" and unet["options"]["num_downs"] == 8
    code, out, _ = cli("list", "discriminators", "patch*", "--json")
    assert [e["name"] for e in json.loads(out)["discriminators"]] == ["patchgan"]


def test_info_counts_parameters_at_the_paper_configuration() -> None:
    code, out, _ = cli("info", "unet", "--json")
    assert code == 0 and json.loads(out)["parameters"] == 54_413_955
    code, out, _ = cli("info", "patchgan", "--json")
    assert json.loads(out)["parameters"] == 2_768_705
    code, out, _ = cli("info", "unet", "--option", "ngf=32", "--option", "num_downs=7", "--json")
    assert json.loads(out)["parameters"] < 54_413_955 / 3


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["info", "unte"], ["unknown component 'unte'", "'unet'"]),
        (["list", "generatrs"], ["unknown kind 'generatrs'"]),
        (["train", "--generator", "unte", "--dry-run"], ["unknown generator 'unte'", "'unet'"]),
        (["train", "--recipe", "pix2pixx", "--dry-run"], ["unknown recipe 'pix2pixx'"]),
        (["train", "--objective", "hinj", "--dry-run"], ["unknown objective 'hinj'"]),
        (["train", "--set", "generator.ngff=2", "--dry-run"], ["no option 'ngff'"]),
        (["eval", "no/such/run"], ["checkpoint not found"]),
        (["leaderboard", "--path", "no/such.csv"], ["no leaderboard at"]),
    ],
)
def test_bad_input_gives_one_line_and_exit_2(args, fragments) -> None:
    code, _, err = cli(*args)
    assert_one_line_error(code, err, *fragments)


def test_data_errors_are_one_line(tmp_path: Path, run_dir: Path) -> None:
    empty = tmp_path / "empty"
    (empty / "data").mkdir(parents=True)
    (empty / "gt").mkdir()
    code, _, err = cli("eval", str(run_dir), "--test-data", str(empty), "--no-leaderboard")
    assert_one_line_error(code, err, str(empty))

    missing = write_pair_folder(tmp_path / "missing", {"1": (40, 40), "2": (40, 40)})
    (missing / "gt" / "2_clean.png").unlink()
    code, _, err = cli("eval", str(run_dir), "--test-data", str(missing), "--no-leaderboard")
    assert_one_line_error(code, err, "2_rain.png", "no clean partner")

    corrupt = write_pair_folder(tmp_path / "corrupt", {"1": (40, 40)})
    (corrupt / "data" / "1_rain.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"garbage" * 10)
    code, _, err = cli("eval", str(run_dir), "--test-data", str(corrupt), "--no-leaderboard")
    assert_one_line_error(code, err, "1_rain.png")

    code, _, err = cli("train", "--train-data", str(tmp_path / "nowhere"), "--dry-run")
    assert_one_line_error(code, err, "nowhere")


def test_mismatched_sizes_are_cropped_with_a_notice(tmp_path: Path, run_dir: Path) -> None:
    folder = write_pair_folder(tmp_path / "sizes", {"1": (40, 40)})
    Image.new("RGB", (44, 41), (120, 130, 140)).save(folder / "gt" / "1_clean.png")
    code, _, err = cli("eval", str(run_dir), "--test-data", str(folder), "--no-leaderboard")
    assert code == 0, err
    assert "notice:" in err and "1_rain.png" in err
    per_image = pd.read_csv(next((run_dir / "eval").glob("*sizes*.csv")))
    assert (per_image["height"].item(), per_image["width"].item()) == (40, 40)


def test_errors_reach_a_real_terminal_without_traceback(tmp_path: Path) -> None:
    result = cli_process("train", "--discriminator", "patchgn", "--dry-run", cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        "error: unknown discriminator 'patchgn'; did you mean 'patchgan'? "
        "(see `derain-bench list discriminators`)"
    ]


def test_dry_run_validates_and_counts(tmp_path: Path) -> None:
    code, out, err = cli("train", "--dry-run", "--json")
    assert code == 0, err
    record = json.loads(out)
    assert record["generator_parameters"] == 54_413_955
    assert record["discriminator_parameters"] == 2_768_705
    assert record["conditional"] is True
    assert record["terms"] == {"l1": []}


def test_derain_writes_native_size_pngs(tmp_path: Path, run_dir: Path) -> None:
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    Image.new("RGB", (53, 37), (10, 200, 30)).save(inputs / "a.png")
    Image.new("L", (30, 45)).save(inputs / "b.jpg")
    code, _, err = cli("derain", str(run_dir), str(inputs), "--out", str(tmp_path / "out"))
    assert code == 0, err
    assert Image.open(tmp_path / "out" / "a.png").size == (53, 37)
    assert Image.open(tmp_path / "out" / "b.png").size == (30, 45)
    (inputs / "c.png").write_bytes(b"not an image")
    code, _, err = cli("derain", str(run_dir), str(inputs), "--out", str(tmp_path / "out2"))
    assert_one_line_error(code, err, "c.png")


def test_leaderboard_formats(tmp_path: Path, run_dir: Path) -> None:
    board = tmp_path / "board.csv"
    assert cli("eval", str(run_dir), "--leaderboard", str(board))[0] == 0
    code, out, _ = cli("leaderboard", "--path", str(board), "--view", "runs", "--format", "json")
    rows = json.loads(out)
    assert code == 0 and [r["run_id"] for r in rows] == ["rainy-input", "run"]  # best first
    assert {r["protocol"] for r in rows} == {"y-matlab"}
    code, out, _ = cli("leaderboard", "--path", str(board), "--view", "runs", "--format", "md")
    assert out.splitlines()[0].startswith("| run_id | generator |")
    code, out, _ = cli("leaderboard", "--path", str(board), "--format", "csv", "--view", "runs",
                       "--all-columns")  # fmt: skip
    assert "config_hash" in out.splitlines()[0]
    code, out, _ = cli("leaderboard", "--path", str(board), "--where", "generator=resnet")
    assert code == 0 and "0 rows" in out
    code, _, err = cli("leaderboard", "--path", str(board), "--where", "colour=red")
    assert_one_line_error(code, err, "--where 'colour=red'")


def test_concurrent_evaluations_land_once_each(tmp_path: Path, run_dir: Path) -> None:
    board = tmp_path / "board.csv"
    command = [sys.executable, "-m", "derainbench.cli", "eval", str(run_dir), "--leaderboard",
               str(board), "--device", "cpu", "--no-costs", "--protocol"]  # fmt: skip
    protocols = ["y-matlab", "rgb", "y-matlab"]  # the third repeats the first measurement
    processes = [
        subprocess.Popen([*command, protocol], stderr=subprocess.PIPE, cwd=tmp_path)
        for protocol in protocols
    ]
    for process in processes:
        assert process.wait(timeout=300) == 0, process.stderr.read()
    frame = model_rows(pd.read_csv(board))
    assert sorted(frame["protocol"]) == ["rgb", "y-matlab"]  # one row per measurement
    assert (frame["run_id"] == "run").all() and frame["psnr"].notna().all()
    assert frame["row_key"].is_unique


def test_sigkilled_training_resumes_to_the_same_end(tmp_path: Path) -> None:
    run = tmp_path / "run"
    steps = 300
    args = ["train", "--train-data", "toyrain-sk:train", "--test-data", "toyrain-sk:test",
            "--steps", str(steps), "--crop", "32", "--batch-size", "2", "--device", "cpu",
            "--run-dir", str(run), "--no-eval"]  # fmt: skip
    for item in [*TINY_OVERRIDES, "run.checkpoint_every=5"]:
        args += ["--set", item]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    command = [sys.executable, "-m", "derainbench.cli", *args]
    process = subprocess.Popen(command, cwd=tmp_path, env=env, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and not (run / "checkpoints" / "last.pt").exists():
        time.sleep(0.05)
    time.sleep(0.3)  # let it get well into the run, past at least one more checkpoint write
    process.send_signal(signal.SIGKILL)
    process.wait()
    killed_at = load_checkpoint(run)["step"]
    assert 0 < killed_at < steps, "the run should have been killed part-way"

    result = cli_process(*args, "--resume", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    state = load_checkpoint(run)
    assert state["step"] == steps
    assert all(
        torch.isfinite(v).all() for v in state["generator"].values() if v.is_floating_point()
    )
    logged = pd.read_csv(run / "log.csv")["step"].tolist()
    assert logged == list(range(1, steps + 1))
