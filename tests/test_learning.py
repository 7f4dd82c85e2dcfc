"""The learning benchmark's plan and summary, and the validation-curve plot it draws."""

from __future__ import annotations

import pandas as pd
import pytest

from derainbench.benchmarks.learning_plan import (
    ABLATION,
    LONG_RUN_OPTIONS,
    STEPS_SCALE,
    plan_runs,
)
from derainbench.benchmarks.learning_report import curve_labels, plot, summary
from derainbench.benchmarks.results_csv import merge_rows
from derainbench.config import load_recipe
from derainbench.errors import DerainBenchError
from derainbench.experiments.demo import DemoData
from derainbench.reporting.curves import plot_validation_curves, read_validation_curves


def test_the_plan_is_every_recipe_and_the_attentive_ablation_at_scaled_demo_steps(tmp_path):
    data = DemoData(tmp_path / "train", tmp_path / "val", tmp_path / "test")
    runs = plan_runs(data, tmp_path / "runs", [0, 1], 3.0)
    cells = {(r.recipe, r.variant) for r in runs}
    assert cells == {
        ("pix2pix", "full"), ("deblurgan", "full"), ("attentive-gan", "full"),
        *{("attentive-gan", v) for v in ABLATION},
    }  # fmt: skip
    assert len(runs) == 2 * len(cells) and len({r.run_dir for r in runs}) == len(runs)
    for run in runs:
        demo = load_recipe(run.recipe).demo
        warmup = demo.warmup if run.options.warmup is None else run.options.warmup
        assert run.config.train.steps == round(demo.steps * 3.0)
        assert run.config.train.adversarial_start == round(run.config.train.steps * warmup)
        assert run.config.data.validation is not None
    by_variant = {(r.variant, r.seed): r.config for r in runs if r.recipe == "attentive-gan"}
    # The ablation's variants train exactly as long as the full model they are compared with.
    attentive_steps = round(load_recipe("attentive-gan").demo.steps * 3.0)
    assert {c.train.steps for c in by_variant.values()} == {attentive_steps}
    assert by_variant[("no-arn", 0)].generator.options["recurrent_steps"] == 0
    assert "attention" not in {t.name for t in by_variant[("no-attention-loss", 1)].terms}
    assert by_variant[("plain-discriminator", 0)].discriminator.options["attention_map"] is False


def test_by_default_each_recipe_trains_for_its_own_multiple_of_its_demo_steps(tmp_path):
    data = DemoData(tmp_path / "train", tmp_path / "val", tmp_path / "test")
    runs = plan_runs(data, tmp_path / "runs", [0], ablation=False)
    for run in runs:
        demo = load_recipe(run.recipe).demo
        assert run.config.train.steps == round(demo.steps * STEPS_SCALE[run.recipe])
    # A plan of other lengths lives in other folders: it never meets (and fails to resume, or
    # silently reuses) a run trained to a different schedule.
    other = plan_runs(data, tmp_path / "runs", [0], 7.0, ablation=False)
    assert not {r.run_dir for r in runs} & {r.run_dir for r in other}


def test_the_summary_gives_t_intervals_over_seeds_and_the_margin_over_the_input() -> None:
    frame = pd.DataFrame({
        "recipe": ["a"] * 3, "variant": ["full"] * 3, "steps": [10] * 3, "data": ["d"] * 3,
        "psnr": [25.0, 26.0, 27.0], "ssim": [0.8, 0.8, 0.8], "input_psnr": [24.0] * 3,
        "psnr_last": [25.5] * 3, "psnr_best": [26.5] * 3, "train_seconds": [5.0] * 3,
    })  # fmt: skip
    row = summary(frame).iloc[0]
    # mean 26, s = 1, t(0.975, 2) = 4.303: half-width 4.303 / √3 = 2.48
    assert row["psnr"] == "26.00 ± 2.48"
    assert row["above_input_db"] == "+2.00"
    assert row["seeds"] == 3


def test_the_summary_never_averages_runs_of_different_lengths_or_data() -> None:
    # A recipe whose plan or training data changed keeps its old rows until they are removed or
    # measured again; they must not blend into the new plan's mean.
    frame = pd.DataFrame({
        "recipe": ["a"] * 6, "variant": ["full"] * 6, "steps": [10, 10, 20, 20, 20, 20],
        "data": ["dl1"] * 4 + ["dl2"] * 2,
        "psnr": [25.0, 27.0, 30.0, 32.0, 28.0, 28.0], "ssim": [0.8] * 6, "input_psnr": [24.0] * 6,
        "psnr_last": [25.5] * 6, "psnr_best": [26.5] * 6, "train_seconds": [5.0] * 6,
    })  # fmt: skip
    table = summary(frame)
    assert list(table["steps"]) == [10, 20, 20]
    assert list(table["data"]) == ["dl1", "dl1", "dl2"]
    assert list(table["above_input_db"]) == ["+2.00", "+7.00", "+4.00"]


def test_validation_curves_are_read_per_run_and_drawn_with_the_input_level(tmp_path) -> None:
    for seed, values in ((0, [20.0, 22.0]), (1, [21.0, 23.0])):
        folder = tmp_path / f"s{seed}"
        folder.mkdir()
        pd.DataFrame({"step": [5, 10], "psnr": values, "input_psnr": [24.0, 24.0]}).to_csv(
            folder / "validation.csv", index=False
        )
    (tmp_path / "never").mkdir()
    curves = read_validation_curves(
        [({"recipe": "r", "variant": "v", "seed": s}, tmp_path / f"s{s}") for s in (0, 1)]
        + [({"recipe": "r", "variant": "v", "seed": 2}, tmp_path / "never")]
    )
    assert len(curves) == 4 and set(curves["seed"]) == {0, 1}
    assert curves.groupby("step")["psnr"].mean().tolist() == [20.5, 22.5]
    out = plot_validation_curves(curves, tmp_path / "curves.png")
    assert out.stat().st_size > 10_000
    with pytest.raises(DerainBenchError, match="no run has validated yet"):
        plot_validation_curves(pd.DataFrame(), tmp_path / "empty.png")


def test_curves_of_the_averaged_weights_need_their_column(tmp_path) -> None:
    curves = pd.DataFrame({"recipe": "r", "variant": "v", "seed": 0, "step": [1, 2],
                           "psnr": [20.0, 21.0], "input_psnr": 24.0})  # fmt: skip
    with pytest.raises(DerainBenchError, match="no validation 'ema_psnr' to plot"):
        plot_validation_curves(curves, tmp_path / "c.png", weights="ema")
    curves["ema_psnr"] = [20.5, 21.5]
    assert plot_validation_curves(curves, tmp_path / "c.png", weights="ema").is_file()


def test_the_backgrounds_plan_trains_the_demo_plan_over_each_source(tmp_path) -> None:
    from derainbench.benchmarks.backgrounds import SOURCES, plan_runs, training_folder

    rendered = tmp_path / "synthdrop-v1.0-dl2-medium"
    data = DemoData(rendered / "train", rendered / "val", rendered / "test")
    runs = plan_runs("deblurgan", [0, 1], data)
    assert {(r.backgrounds, r.seed) for r in runs} == {(s, k) for s in SOURCES for k in (0, 1)}
    demo = load_recipe("deblurgan").demo
    for run in runs:
        # Only the training pairs differ; validation, test and the plan are the demo's.
        assert run.config.data.train.options["root"] == str(training_folder(data, run.backgrounds))
        # Beside the data it trains on: a new renderer or dead-leaves version never reuses it.
        assert run.run_dir.is_relative_to(rendered)
        assert run.config.data.validation.options["root"] == str(data.validation)
        assert run.config.data.test.options["root"] == str(data.test)
        assert run.config.train.steps == demo.steps
    assert len({r.run_dir for r in runs}) == len(runs)


def test_the_summary_keeps_rows_written_before_the_data_column() -> None:
    frame = pd.DataFrame({
        "recipe": ["a"] * 2, "variant": ["full"] * 2, "steps": [10] * 2, "data": [None, "dl2"],
        "psnr": [25.0, 27.0], "ssim": [0.8] * 2, "input_psnr": [24.0] * 2,
        "psnr_last": [25.5] * 2, "psnr_best": [26.5] * 2, "train_seconds": [5.0] * 2,
    })  # fmt: skip
    assert list(summary(frame)["data"]) == ["unrecorded", "dl2"]
    older = summary(frame.drop(columns="data"))  # a CSV from before the column: one group
    assert list(older["data"]) == ["unrecorded"] and list(older["seeds"]) == [2]


def test_a_variant_measured_at_several_lengths_gets_a_curve_per_length() -> None:
    # DeblurGAN's plan grew from 4,500 to 18,000 steps: the curves of the two plans must not
    # blend into one mean line, while a variant measured at one length keeps its plain name.
    frame = pd.DataFrame({
        "recipe": ["deblurgan"] * 2 + ["pix2pix"], "variant": ["full"] * 3,
        "steps": [4500, 18000, 5000], "seed": [0, 0, 0], "adversarial_start": [3600, 14400, 4000],
        "run_dir": ["a", "b", "c"],
    })  # fmt: skip
    lines = {(label["recipe"], label["variant"]) for label, _ in curve_labels(frame)}
    assert lines == {
        ("deblurgan", "full, 4,500 steps"), ("deblurgan", "full, 18,000 steps"),
        ("pix2pix", "full"),
    }  # fmt: skip


def test_the_plot_says_which_runs_it_could_not_find(tmp_path) -> None:
    # A run folder moved or deleted since its row was written must not vanish from the plot
    # unnoticed.
    present = tmp_path / "present"
    present.mkdir()
    pd.DataFrame({"step": [1, 2], "ema_psnr": [25.0, 26.0], "input_psnr": [24.0, 24.0]}).to_csv(
        present / "validation.csv", index=False
    )
    frame = pd.DataFrame({
        "recipe": ["pix2pix"] * 2, "variant": ["full"] * 2, "steps": [2, 2], "seed": [0, 1],
        "adversarial_start": [1, 1], "run_dir": [str(present), str(tmp_path / "moved")],
        "machine": ["m", "m"],
    })  # fmt: skip
    with pytest.warns(UserWarning, match=r"1 run\(s\) of the CSV have no validation.csv.*moved"):
        plot(frame, tmp_path / "plot.png")
    assert (tmp_path / "plot.png").is_file()


def test_the_long_run_options_reach_every_run_of_the_recipe_and_name_their_folder(tmp_path):
    data = DemoData(tmp_path / "train", tmp_path / "val", tmp_path / "test")
    runs = plan_runs(data, tmp_path / "runs", [0], 2.0)
    attentive = [r for r in runs if r.recipe == "attentive-gan"]
    assert {r.variant for r in attentive} == {"full", *ABLATION}
    for run in attentive:  # the ablation compares variants of the same plan
        assert run.options == LONG_RUN_OPTIONS["attentive-gan"]
        assert run.config.generator.options["init"] == "he"
        assert run.config.optimizer.warmup_generator_lr == 5e-4
        assert run.config.train.adversarial_start == run.config.train.steps // 2
    assert attentive[0].config.generator.options["attention"] == "sigmoid"
    assert all(r.options.describe() == "" for r in runs if r.recipe not in LONG_RUN_OPTIONS)
    # The demo plan as it is, in folders of its own: the two plans never resume each other.
    plain = plan_runs(data, tmp_path / "runs", [0], 2.0, long_run_options=False)
    plain_attentive = [r for r in plain if r.recipe == "attentive-gan"]
    assert all(r.options.describe() == "" for r in plain_attentive)
    assert plain_attentive[0].config.generator.options.get("init", "pytorch") == "pytorch"
    demo = load_recipe("attentive-gan").demo
    steps = plain_attentive[0].config.train.steps
    assert plain_attentive[0].config.train.adversarial_start == round(steps * demo.warmup)
    assert not {r.run_dir for r in attentive} & {r.run_dir for r in plain_attentive}
    others = {r.run_dir for r in runs if r.recipe != "attentive-gan"}
    assert others == {r.run_dir for r in plain if r.recipe != "attentive-gan"}


def test_the_summary_and_the_plot_keep_plans_with_different_options_apart() -> None:
    options = LONG_RUN_OPTIONS["attentive-gan"].describe()
    frame = pd.DataFrame({
        "recipe": ["attentive-gan"] * 4, "variant": ["full"] * 4, "steps": [1750] * 4,
        "options": [None, None, options, options], "data": ["d"] * 4, "seed": [0, 1, 0, 1],
        "psnr": [24.0, 24.2, 25.0, 25.2], "ssim": [0.8] * 4, "input_psnr": [24.1] * 4,
        "psnr_last": [25.0] * 4, "psnr_best": [25.0] * 4, "train_seconds": [5.0] * 4,
        "adversarial_start": [1400] * 4, "run_dir": ["a", "b", "c", "d"],
    })  # fmt: skip
    table = summary(frame)
    assert list(table["options"]) == ["demo options", "long-run options"]
    assert list(table["psnr"].str[:5]) == ["24.10", "25.10"]
    frame = pd.concat([frame, frame.assign(variant="no-arn", run_dir=["e", "f", "g", "h"])])
    lines = {(label["recipe"], label["variant"]) for label, _ in curve_labels(frame)}
    # The recipe's panel shows both plans; the ablation's compares the variants of one plan.
    assert lines == {
        ("attentive-gan", "full, demo options"), ("attentive-gan", "full, long-run options"),
        ("attentive-gan ablation (long-run options)", "full"),
        ("attentive-gan ablation (long-run options)", "no-arn"),
    }  # fmt: skip


def test_new_rows_replace_old_ones_written_before_a_key_column_existed(tmp_path) -> None:
    path = tmp_path / "rows.csv"
    path.write_text("recipe,seed,psnr\na,0,24.0\nb,0,25.0\n")
    merge_rows(path, [{"recipe": "a", "seed": 0, "options": "", "psnr": 26.0}],
               ["recipe", "seed", "options", "psnr"], ["recipe", "seed", "options"])  # fmt: skip
    rows = pd.read_csv(path)
    assert sorted(zip(rows["recipe"], rows["psnr"], strict=True)) == [("a", 26.0), ("b", 25.0)]


def test_a_single_seed_has_no_interval_rather_than_nan() -> None:
    frame = pd.DataFrame({
        "recipe": ["a"], "variant": ["full"], "steps": [10], "data": ["d"], "psnr": [25.0],
        "ssim": [0.8], "input_psnr": [24.0], "psnr_last": [25.0], "psnr_best": [25.0],
        "train_seconds": [5.0],
    })  # fmt: skip
    row = summary(frame).iloc[0]
    assert row["psnr"] == "25.00 (one seed)" and row["ssim"] == "0.8000 (one seed)"
