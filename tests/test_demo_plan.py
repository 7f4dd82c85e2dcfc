"""The demo plan: the three paper recipes, and honest stand-ins when VGG weights are absent."""

from __future__ import annotations

from derainbench.config import load_recipe, resolve
from derainbench.experiments.demo import DEMO_RUNS, substitute_missing_weights
from derainbench.registries import RECIPES


def test_the_demo_trains_the_three_paper_recipes() -> None:
    assert [run.recipe for run in DEMO_RUNS] == ["pix2pix", "attentive-gan", "deblurgan"]
    assert all(run.recipe in RECIPES for run in DEMO_RUNS)


def test_terms_without_weights_are_replaced_or_dropped_and_said(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "no-weights"))
    for name in ("DERAINBENCH_VGG16_WEIGHTS", "DERAINBENCH_VGG19_WEIGHTS"):
        monkeypatch.delenv(name, raising=False)
    plans = {run.recipe: run for run in DEMO_RUNS}
    attentive, notes = substitute_missing_weights(
        load_recipe("attentive-gan"), plans["attentive-gan"]
    )
    assert "perceptual" not in [t["name"] for t in attentive["terms"]]
    assert (
        len(notes) == 1 and "'perceptual' dropped" in notes[0] and "vgg16-397923af.pth" in notes[0]
    )
    deblur, notes = substitute_missing_weights(load_recipe("deblurgan"), plans["deblurgan"])
    assert [t["name"] for t in deblur["terms"]] == ["l1"]
    assert "'content' replaced by l1" in notes[0]
    resolve(deblur)  # still a valid configuration
    untouched, notes = substitute_missing_weights(load_recipe("pix2pix"), plans["pix2pix"])
    assert notes == [] and untouched["terms"] == load_recipe("pix2pix")["terms"]
