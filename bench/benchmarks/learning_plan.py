"""The learning benchmark's plan: which recipes and Attentive GAN ablation variants train, for how
many steps, with which changes to their demo plans, and where their run folders live."""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from pathlib import Path

from derainbench.config import ExperimentConfig, Recipe, load_recipe
from derainbench.experiments.ablation import FULL, PlannedVariant, design_variants, plan
from derainbench.experiments.demo import DemoData, demo_config

RECIPES = ("pix2pix", "attentive-gan", "deblurgan")
#: The Attentive GAN components the ablation removes one at a time.
ABLATION = ("no-arn", "plain-discriminator", "no-attention-loss")
ABLATED_RECIPE = "attentive-gan"
#: Each recipe's steps as a multiple of its demo steps; the plan takes somewhat over two hours
#: of two CPU cores. A DeblurGAN step (ngf 16, 4 blocks) is the cheapest of the three (its
#: 4,500-step run took 5 min against pix2pix's 27 for 5,000), and its validation PSNR was still
#: rising at 5 and at 12 times its demo steps, so it gets 20 (18,000 steps).
STEPS_SCALE: dict[str, float] = {"pix2pix": 5.0, "attentive-gan": 5.0, "deblurgan": 20.0}


@dataclass(frozen=True)
class LongRunOptions:
    """Changes to a recipe's demo plan that pay off only over these longer runs."""

    #: ``--set`` options added to the demo plan's own.
    set: tuple[str, ...] = ()
    #: The warm-up fraction instead of the demo plan's (None: the demo's).
    warmup: float | None = None

    def describe(self) -> str:
        """The options as one line, for the CSV row and the plot (empty: the demo plan)."""
        warmup = () if self.warmup is None else (f"warmup={self.warmup:g}",)
        return " ".join((*self.set, *warmup))


#: Each recipe's ``LongRunOptions`` (``--demo-options`` leaves them out). The Attentive GAN's,
#: measured on this benchmark's data (validation PSNR of the averaged weights at 1,750 steps,
#: input 26.16): under the demo's options its autoencoder's units die and its maps do not find
#: the drops (25.11–25.37, 3 seeds). He-normal init with the residual convs at zero and side
#: outputs that are corrections make the autoencoder learn, a warm-up rate of 5e-4 instead of
#: 2e-3 keeps it stable (at 1e-3: 25.42, 25.72), and maps squashed into [0, 1] keep the
#: recurrent network's changes from throwing the autoencoder off (without them: 25.16, seed 0;
#: with them 26.37, 26.63); starting the adversarial phase, and with it the recipe's rate of
#: 2e-4, at half the steps instead of 80 % then gave 26.88, 27.45 (seeds 0 and 1). Over the
#: demo's 350 steps the same options score under the demo's plan (test PSNR 23.94 against
#: 24.20 dB, 2 seeds; the first four alone 23.99), so the demo keeps its own.
LONG_RUN_OPTIONS: dict[str, LongRunOptions] = {
    "attentive-gan": LongRunOptions(
        set=(
            "generator.init=he",
            "generator.residual_side_outputs=true",
            "optimizer.warmup_generator_lr=5e-4",
            "generator.attention=sigmoid",
        ),
        warmup=0.5,
    ),
}
NO_OPTIONS = LongRunOptions()
#: The weights the psnr and ssim columns score, as in the demo; the last and the best-on-
#: validation weights' test PSNR stand beside them.
CHECKPOINT = "ema"


@dataclass(frozen=True)
class LearningRun:
    """One run of the plan: which recipe and variant, which seed, its configuration."""

    recipe: str
    variant: str
    seed: int
    config: ExperimentConfig
    run_dir: Path
    #: The changes to the recipe's demo plan (``LONG_RUN_OPTIONS``), if any.
    options: LongRunOptions = LongRunOptions()


def plan_runs(
    data: DemoData,
    work: Path,
    seeds: list[int],
    steps_scale: float | None = None,
    recipes: tuple[str, ...] = RECIPES,
    ablation: bool = True,
    device: str = "cpu",
    long_run_options: bool = True,
) -> list[LearningRun]:
    """Every recipe × seed at ``steps_scale`` times its demo steps (None: the recipe's factor in
    ``STEPS_SCALE``) with its ``LONG_RUN_OPTIONS`` (unless ``long_run_options`` is false), then
    the ablation's variants of the same plan (the full model's runs are the recipe's own). A
    run's folder names its steps and options, so that another plan trains anew instead of
    meeting a run that was planned differently."""
    runs = []
    for name in recipes:
        options = LONG_RUN_OPTIONS.get(name, NO_OPTIONS) if long_run_options else NO_OPTIONS
        recipe = _with_options(load_recipe(name), options)
        scale = steps_scale if steps_scale is not None else STEPS_SCALE.get(name, 5.0)
        full = {seed: demo_config(recipe, seed, data, scale, device)[0] for seed in seeds}
        for seed, config in full.items():
            run_dir = _run_dir(work, name, FULL, config, options)
            runs.append(LearningRun(name, FULL, seed, config, run_dir, options))
        if not ablation or name != ABLATED_RECIPE or not seeds:
            continue
        designed = design_variants(recipe.ablation, None, (), full[seeds[0]])[1:]
        variants = [v for v in designed if v.name in ABLATION]
        for seed in seeds:
            planned: list[PlannedVariant] = plan(full[seed], variants, frozenset({"mask"}))
            for item in planned:
                if item.config is None:
                    raise SystemExit(f"ablation variant {item.name}: {item.error}")
                run_dir = _run_dir(work, name, item.name, item.config, options)
                runs.append(LearningRun(name, item.name, seed, item.config, run_dir, options))
    return runs


def _with_options(recipe: Recipe, options: LongRunOptions) -> Recipe:
    """``recipe`` with its demo plan changed by ``options``."""
    if recipe.demo is None or options == NO_OPTIONS:
        return recipe
    warmup = recipe.demo.warmup if options.warmup is None else options.warmup
    demo = dataclasses.replace(recipe.demo, set=(*recipe.demo.set, *options.set), warmup=warmup)
    return dataclasses.replace(recipe, demo=demo)


def _run_dir(
    work: Path, recipe: str, variant: str, config: ExperimentConfig, options: LongRunOptions
) -> Path:
    length = f"{config.train.steps}-steps"
    if options != NO_OPTIONS:  # a short digest: the row's options column spells them out
        length += "-" + hashlib.sha256(options.describe().encode()).hexdigest()[:8]
    return work / recipe / variant / length / f"s{config.train.seed}"
