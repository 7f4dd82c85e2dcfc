"""``derain-bench data synth`` and ``data check`` as a user meets them."""

from __future__ import annotations

import json
from pathlib import Path

from PIL import Image
from typer.testing import CliRunner

from derainbench.cli import app


def cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def one_line_error(code: int, stderr: str, *fragments: str) -> None:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert code == 2 and len(lines) == 1 and lines[0].startswith("error: "), stderr
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


def test_synth_writes_the_raindrop_layout_and_reuses_a_complete_set(tmp_path: Path) -> None:
    out = tmp_path / "synth"
    args = ["data", "synth", "--out", str(out), "--n", "2", "--size", "40x48", "--seed", "3"]
    code, stdout, _ = cli(*args, "--preset", "light", "--split", "test")
    assert code == 0 and "wrote 2" in stdout
    assert sorted(p.name for p in (out / "data").iterdir()) == ["0_rain.png", "1_rain.png"]
    assert sorted(p.name for p in (out / "mask").iterdir()) == ["0_mask.png", "1_mask.png"]
    assert Image.open(out / "gt" / "1_clean.png").size == (48, 40)
    info = json.loads((out / "synthdrop.json").read_text())
    assert info["name"] == "SynthDrop-SK" and info["preset"] == "light"
    assert info["split"] == "test" and info["seed"] == 3 and "version" in info
    assert info["parameters"]["drops"]["name"] == "light" and len(info["samples"]) == 2
    code, stdout, _ = cli(*args, "--preset", "light", "--split", "test")
    assert code == 0 and "already complete" in stdout


def test_synth_preview_is_a_contact_sheet(tmp_path: Path) -> None:
    sheet = tmp_path / "preview.png"
    code, stdout, _ = cli("data", "synth", "--preview", str(sheet), "--size", "32x40")
    assert code == 0 and str(sheet) in stdout
    assert Image.open(sheet).size == (4 * 40, 6 * 32)  # clean | rainy | soft | mask, 6 rows


def test_synth_errors_are_one_line(tmp_path: Path) -> None:
    one_line_error(*cli("data", "synth")[::2], "nothing to do")
    bad = cli("data", "synth", "--out", str(tmp_path / "x"), "--preset", "huge")
    one_line_error(bad[0], bad[2], "unknown raindrop preset 'huge'")
    bad = cli("data", "synth", "--out", str(tmp_path / "x"), "--size", "40by48")
    one_line_error(bad[0], bad[2], "40by48")
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "notes.txt").write_text("mine")
    bad = cli("data", "synth", "--out", str(tmp_path / "taken"), "--n", "1", "--size", "32")
    one_line_error(bad[0], bad[2], "not empty")


def test_check_reports_layout_and_fails_a_changed_manifest(tmp_path: Path) -> None:
    out = tmp_path / "set"
    assert cli("data", "synth", "--out", str(out), "--n", "2", "--size", "32")[0] == 0
    code, stdout, _ = cli("data", "check", str(out), "--write-manifest")
    assert (
        code == 0 and "Raindrop" in stdout and "2 pairs" in stdout and "manifest written" in stdout
    )
    code, stdout, _ = cli("data", "check", str(out), "--verify-manifest")
    assert code == 0 and "manifest verified" in stdout
    pixels = Image.open(out / "gt" / "1_clean.png").convert("RGB")
    pixels.putpixel((0, 0), (0, 0, 0) if pixels.getpixel((0, 0)) != (0, 0, 0) else (9, 9, 9))
    pixels.save(out / "gt" / "1_clean.png")
    code, _, stderr = cli("data", "check", str(out), "--verify-manifest")
    one_line_error(code, stderr, "does not match its manifest", "gt/1_clean.png")


def test_check_fails_on_missing_partners_and_speaks_json(tmp_path: Path) -> None:
    for folder, name in (("input", "a.png"), ("input", "b.png"), ("target", "a.png")):
        (tmp_path / folder).mkdir(exist_ok=True)
        Image.new("RGB", (8, 6)).save(tmp_path / folder / name)
    code, stdout, stderr = cli("data", "check", str(tmp_path), "--json")
    report = json.loads(stdout)
    assert report["ok"] is False and report["splits"][0]["missing"] == ["b.png"]
    assert report["splits"][0]["layout"] == "rain13k"
    one_line_error(code, stderr, "1 missing partner")
    one_line_error(*cli("data", "check", str(tmp_path / "nowhere"))[::2], "does not exist")
