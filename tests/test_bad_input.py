"""Bad input, as a new user types it, across every command: one line starting with ``error:``,
exit status 2, no traceback, and nothing in the workspace changed or left half-written (no run
folder, checkpoint, leaderboard row or output file)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import torch
from PIL import Image
from typer.testing import CliRunner

from derainbench.cli import app
from derainbench.training.checkpoint import load_checkpoint, save_checkpoint
from tests.conftest import TINY_OVERRIDES

TINY = [item for override in TINY_OVERRIDES for item in ("--set", override)]
MODELS = [item for o in TINY_OVERRIDES if not o.startswith("data.") for item in ("--set", o)]
FOLDER = ["--crop", "32", "--batch-size", "2", "--steps", "2", "--device", "cpu", *MODELS]
TOY = ["--train-data", "toyrain-sk:train", "--test-data", "toyrain-sk:test", "--crop", "32",
       "--batch-size", "2", "--steps", "2", "--device", "cpu", *TINY]  # fmt: skip


def _png(path: Path, colour: tuple[int, int, int], size: tuple[int, int] = (40, 40)) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, colour).save(path)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    """A trained, evaluated run and the files bad commands are pointed at."""
    root = tmp_path_factory.mktemp("workspace")
    runner = CliRunner()
    result = runner.invoke(app, ["train", *TOY, "--run-dir", str(root / "run"),
                                 "--leaderboard", str(root / "board.csv")])  # fmt: skip
    assert result.exit_code == 0, result.stderr
    for index, colour in enumerate(((10, 20, 30), (200, 100, 50))):
        _png(root / "data" / "rainy" / f"{index}.png", colour)
        _png(root / "data" / "clean" / f"{index}.png", tuple(c // 2 for c in colour))
    for index in range(2):
        _png(root / "bad-data" / "rainy" / f"{index}.png", (1, 2, 3))
        _png(root / "bad-data" / "clean" / f"{index}.png", (4, 5, 6))
    truncated = root / "bad-data" / "clean" / "1.png"
    truncated.write_bytes(truncated.read_bytes()[:60])
    (root / "afile.txt").write_text("not a folder\n")
    (root / "empty.csv").write_text("")
    (root / "corrupt.csv").write_bytes(bytes(range(256)) * 4)
    (root / "foreign.csv").write_text("name,value\na,1\n")
    (root / "bad.toml").write_text("[generator\nname = 1\n")
    (root / "junk.pth").write_bytes(b"\x80\x02not a pickle at all")
    (root / "board-dir").mkdir()
    (root / "empty-run").mkdir()
    # A checkpoint whose configuration no longer fits its weights (an edited copy).
    state = load_checkpoint(root / "run")
    state["config"]["generator"]["ngf"] = 8
    (root / "misfit" / "checkpoints").mkdir(parents=True)
    save_checkpoint(state, root / "misfit" / "checkpoints" / "last.pt")
    score = runner.invoke(app, ["score", str(root / "data" / "rainy"), str(root / "data" / "clean"),
                                "--csv", str(root / "score.csv")])  # fmt: skip
    assert score.exit_code == 0, score.stderr
    return root


def fingerprint(root: Path) -> dict[str, str]:
    """Every folder and file under ``root`` (lock files aside) and a hash of each file's bytes."""
    return {
        str(path.relative_to(root)): (
            hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "folder"
        )
        for path in sorted(root.rglob("*"))
        if not path.name.endswith(".lock")
    }


W = "{w}"  # stands for the workspace folder in the cases below
RUN = f"{W}/run"
CASES: list[tuple[str, list[str], str]] = [
    ("unknown kind", ["list", "gizmos"], "unknown kind 'gizmos'"),
    ("unknown component", ["info", "unte"], "unknown component 'unte'"),
    ("option of wrong type in info", ["info", "unet", "-o", "ngf=abc"], "ngf must be an integer"),
    ("unknown recipe", ["train", "-r", "pix2px", *TOY], "unknown recipe 'pix2px'"),
    ("unknown generator", ["train", "-g", "unte", *TOY], "did you mean 'unet'"),
    ("unknown discriminator", ["check", "-d", "patchgna"], "did you mean 'patchgan'"),
    ("unknown objective", ["check", "--objective", "wgn"], "unknown objective 'wgn'"),
    ("text for a width", ["train", *TOY, "--set", "generator.ngf=abc"], "ngf must be an integer"),
    ("zero width", ["train", *TOY, "--set", "generator.ngf=0"], "ngf must be at least 1"),
    (
        "zero checkpoint interval",
        ["train", *TOY, "--set", "run.checkpoint_every=0"],
        "run.checkpoint_every must be a positive integer",
    ),
    (
        "text for an interval",
        ["train", *TOY, "--set", "run.log_every=ten"],
        "run.log_every must be an integer",
    ),
    ("one beta", ["train", *TOY, "--set", "optimizer.betas=[0.5]"], "optimizer.betas must be two"),
    ("negative workers", ["train", *TOY, "--workers", "-1"], "run.workers must not be negative"),
    (
        "misspelt section",
        ["train", *TOY, "--set", "optimiser.generator_lr=1e-3"],
        "did you mean 'optimizer'",
    ),
    ("misspelt key", ["train", *TOY, "--set", "train.stepz=5"], "did you mean 'steps'"),
    ("unknown section", ["train", *TOY, "--set", "foo.bar=1"], "unknown configuration key 'foo'"),
    (
        "text for a flag",
        ["train", *TOY, "--set", "objective.saturating=maybe"],
        "saturating must be true or false",
    ),
    (
        "flag for a count",
        ["train", *TOY, "--set", "train.steps=true"],
        "train.steps must be an integer",
    ),
    ("zero steps", ["train", *TOY, "--steps", "0"], "train.steps must be a positive integer"),
    ("unknown precision", ["train", *TOY, "--set", "run.precision=fp8"], "run.precision must be"),
    ("crop the U-Net cannot take", ["train", *TOY, "--crop", "40"], "multiples of 32"),
    ("missing data folder", ["train", *FOLDER, "--train-data", f"{W}/nowhere"], "does not exist"),
    (
        "truncated image",
        ["train", *FOLDER, "--train-data", f"{W}/bad-data", "--run-dir", f"{W}/new-run"],
        "cannot read image",
    ),
    ("run folder is a file", ["train", *TOY, "--run-dir", f"{W}/afile.txt"], "is a file"),
    ("run folder in use", ["train", *TOY, "--run-dir", RUN], "already holds a run"),
    ("resume without a folder", ["train", "--resume"], "--resume needs --run-dir"),
    (
        "resume an empty folder",
        ["train", "--resume", "--run-dir", f"{W}/empty-run"],
        "holds no run to resume",
    ),
    (
        "resume with another seed",
        ["train", *TOY, "--resume", "--run-dir", RUN, "--seed", "9"],
        "train.seed would change it",
    ),
    (
        "resume shorter",
        ["train", "--resume", "--run-dir", RUN, "--steps", "1"],
        "cannot shorten it",
    ),
    ("recipe not TOML", ["train", "-r", f"{W}/bad.toml", *TOY], "is not valid TOML"),
    ("recipe file missing", ["check", "-r", f"{W}/missing.toml"], "recipe file not found"),
    ("misspelt loss term", ["check", "--drop-term", "l11"], "--drop-term l11"),
    (
        "loss needs attention maps",
        ["check", "-r", "attentive-gan", "-g", "unet"],
        "needs attention maps, which generator 'unet' does not produce",
    ),
    (
        "wgan without penalty",
        ["check", "-d", "critic", "--objective", "wgan"],
        "needs a Lipschitz constraint",
    ),
    ("no CUDA here", ["train", *TOY, "--device", "cuda"], "no CUDA GPU"),
    (
        "unknown protocol",
        ["eval", RUN, "--protocol", "y-matlb", "--no-leaderboard"],
        "unknown protocol 'y-matlb'",
    ),
    ("checkpoint is a text file", ["eval", f"{W}/afile.txt"], "cannot read checkpoint"),
    ("checkpoint is junk", ["eval", f"{W}/junk.pth"], "cannot read checkpoint"),
    ("weights do not fit", ["eval", f"{W}/misfit", "--no-leaderboard"], "do not fit"),
    ("missing test data", ["eval", RUN, "--test-data", f"{W}/nowhere"], "does not exist"),
    ("leaderboard is a folder", ["eval", RUN, "--leaderboard", f"{W}/board-dir"], "is a folder"),
    (
        "unknown extra score",
        ["eval", RUN, "--extra", "fsimm", "--no-leaderboard"],
        "unknown extra score 'fsimm'",
    ),
    (
        "derain into a file",
        ["derain", RUN, f"{W}/data/rainy", "--out", f"{W}/afile.txt"],
        "is a file",
    ),
    (
        "derain a missing file",
        ["derain", RUN, f"{W}/nothing.png", "--out", f"{W}/out"],
        "no such file or folder",
    ),
    (
        "attention from a U-Net",
        ["derain", RUN, f"{W}/data/rainy", "--attention", "--out", f"{W}/out"],
        "produces no attention maps",
    ),
    (
        "check a plug-in that is not there",
        ["check-plugin", f"{W}/no_such_plugin.py"],
        "did not load: FileNotFoundError",
    ),
    (
        "report as a PDF",
        ["report", RUN, "--out", f"{W}/report.pdf"],
        "the report is written as an .html file",
    ),
    (
        "report of a folder that is no run",
        ["report", f"{W}/data", "--out", f"{W}/report.html"],
        "is not a run folder",
    ),
    (
        "figure as a JPEG",
        ["figure", RUN, "--out", f"{W}/figure.jpg", "--device", "cpu"],
        "the figure is written as a .png file",
    ),
    (
        "figure of a missing run",
        ["figure", f"{W}/no-such-run", "--out", f"{W}/figure.png"],
        "no-such-run",
    ),
    (
        "error split with a threshold past white",
        ["errors", RUN, "--threshold", "300", "--device", "cpu"],
        "the rain threshold must be in [0, 255) grey levels (got 300)",
    ),
    ("error split of a missing run", ["errors", f"{W}/no-such-run"], "no-such-run"),
    (
        "error split on a corrupt test image",
        ["errors", RUN, "--test-data", f"{W}/bad-data", "--device", "cpu"],
        "1.png",
    ),
    ("empty leaderboard", ["leaderboard", "--path", f"{W}/empty.csv"], "is empty"),
    ("binary leaderboard", ["leaderboard", "--path", f"{W}/corrupt.csv"], "not a text CSV"),
    ("foreign CSV", ["leaderboard", "--path", f"{W}/foreign.csv"], "not a derainbench leaderboard"),
    ("missing leaderboard", ["leaderboard", "--path", f"{W}/none.csv"], "no leaderboard at"),
    (
        "unknown view",
        ["leaderboard", "--path", f"{W}/board.csv", "--view", "nope"],
        "unknown view 'nope'",
    ),
    (
        "unknown format",
        ["leaderboard", "--path", f"{W}/board.csv", "--format", "xml"],
        "unknown format 'xml'",
    ),
    (
        "unknown sort score",
        ["leaderboard", "--path", f"{W}/board.csv", "--sort", "psnrr"],
        "unknown score 'psnrr'",
    ),
    (
        "unknown where column",
        ["leaderboard", "--path", f"{W}/board.csv", "--where", "a=b"],
        "--where 'a=b'",
    ),
    (
        "compare with a score CSV",
        ["compare", RUN, f"{W}/score.csv"],
        "evaluated on different",
    ),
    ("compare an unknown score", ["compare", RUN, RUN, "--metric", "lpipss"], "no 'lpipss' column"),
    (
        "score under no protocol",
        ["score", f"{W}/data/rainy", f"{W}/data/clean", "--protocol", "nope"],
        "unknown protocol 'nope'",
    ),
    ("score a missing folder", ["score", f"{W}/data/rainy", f"{W}/nowhere"], "not a folder"),
    (
        "unknown importer",
        ["import-weights", f"{W}/junk.pth", f"{W}/imp", "--from", "nosuch"],
        "nosuch",
    ),
    (
        "junk original weights",
        ["import-weights", f"{W}/junk.pth", f"{W}/imp", "--from", "pix2pix"],
        "junk.pth",
    ),
    (
        "unknown design",
        ["ablate", "-r", "pix2pix", *TOY, "--design", "nope", "--dry-run"],
        "unknown design 'nope'",
    ),
    ("seeds not numbers", ["ablate", "--seeds", "a,b"], "--seeds must be integers"),
    (
        "unknown profile mode",
        ["profile", "--mode", "fast", "--device", "cpu"],
        "--mode must be train and/or infer",
    ),
    (
        "profile at a size no U-Net takes",
        ["profile", "--size", "48", "--device", "cpu"],
        "multiples of 32",
    ),
    ("data check a missing folder", ["data", "check", f"{W}/nowhere"], "does not exist"),
    ("data synth with nothing to do", ["data", "synth"], "nothing to do"),
    ("data synth into a file", ["data", "synth", "--out", f"{W}/afile.txt"], "is a file"),
    ("demo into a file", ["demo", "--out", f"{W}/afile.txt"], "is a file"),
    (
        "ablation into a file",
        ["ablate", "-r", "pix2pix", *TOY, "--out", f"{W}/afile.txt"],
        "is a file",
    ),
    (
        "demo of an unknown recipe",
        ["demo", "--recipe", "nosuch", "--out", f"{W}/demo"],
        "no demo for recipe",
    ),
    ("sweep of a missing file", ["sweep", f"{W}/nowhere.toml"], "no sweep file"),
    ("sweep of a file that is not TOML", ["sweep", f"{W}/corrupt.csv"], "is not valid TOML"),
    ("sweep status without a file", ["sweep", "status"], "usage: derain-bench sweep status"),
]


@pytest.mark.parametrize(("what", "args", "fragment"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_one_line_and_changes_nothing(
    what: str, args: list[str], fragment: str, workspace: Path, monkeypatch
) -> None:
    monkeypatch.chdir(workspace)  # default paths (runs/, results/) land in the workspace
    before = fingerprint(workspace)
    result = CliRunner().invoke(app, [a.replace(W, str(workspace)) for a in args])
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.exit_code == 2, (result.exit_code, result.stderr, result.exception)
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert fragment in lines[0], lines[0]
    assert fingerprint(workspace) == before, "a failed command changed the workspace"


def test_there_are_forty_cases_across_every_command() -> None:
    from derainbench.cli.app import app as typer_app

    commands = {command.name for command in typer_app.registered_commands}
    exercised = {args[0] for _, args, _ in CASES}
    assert len(CASES) >= 40
    assert commands <= exercised | {"check"}, commands - exercised
    assert torch.__version__  # the workspace trained a real run


PLUGIN = """
import torch
from torch import nn

from derainbench.contracts import Generator
from derainbench.registries import GENERATORS


class BareNet(Generator):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 3, 3, padding=1)

    def forward(self, rainy):
        return self.conv(rainy)  # a bare tensor instead of a Restoration


@GENERATORS.register("bare-net", test_kwargs={})
def bare_net() -> Generator:
    return BareNet()
"""


def test_a_plugin_breaking_the_contract_is_named_by_check(tmp_path, registry_snapshot) -> None:
    plugin = tmp_path / "bare_net.py"
    plugin.write_text(PLUGIN)
    result = CliRunner().invoke(
        app, ["--plugin", str(plugin), "check", "-g", "bare-net", "-d", "none", "--crop", "32",
              "--train-data", "toyrain-sk:train", "--batch-size", "2", "--device", "cpu"],
    )  # fmt: skip
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.exit_code == 2 and len(lines) == 1, result.stderr
    assert "returned a Tensor, not a derainbench.contracts.Restoration" in lines[0]


def test_file_names_that_are_not_utf8_are_written_as_escapes(workspace, tmp_path) -> None:
    import os

    folder = tmp_path / "odd"
    name = os.fsdecode(b"caf\xe9.png")  # Latin-1 bytes on disk: not valid UTF-8
    _png(folder / "rainy" / name, (90, 80, 70))
    _png(folder / "clean" / name, (40, 50, 60))
    board = tmp_path / "board.csv"
    result = CliRunner().invoke(
        app, ["eval", str(workspace / "run"), "--test-data", str(folder), "--leaderboard",
              str(board), "--no-costs", "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    (per_image,) = (workspace / "run" / "eval").glob("*_odd__*.csv")
    text = per_image.read_text(encoding="utf-8")  # valid UTF-8, whole
    assert "caf\\udce9.png" in text
    # The header, the run's row and the rainy input's row: three whole lines.
    assert board.read_text(encoding="utf-8").count("\n") == 3


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["train", "--stepz", "3"], "No such option: --stepz"),
        (["train", "--steps", "abc"], "Invalid value for '--steps'"),
        (["eval"], "Missing argument 'checkpoint'"),
    ],
)
def test_usage_errors_are_one_line_too(args: list[str], fragment: str, tmp_path) -> None:
    import subprocess
    import sys

    command = [sys.executable, "-m", "derainbench.cli", *args]
    result = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, timeout=120)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 2 and len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ") and fragment in lines[0]
