"""``derain-bench check``: validate a combination without training (= ``train --dry-run``)."""

from __future__ import annotations

from pathlib import Path

from derainbench.cli.app import command
from derainbench.cli.options import (
    AsJson,
    Crop,
    DiscriminatorName,
    DropTerms,
    GeneratorName,
    ObjectiveName,
    Overrides,
    RecipeName,
    TestData,
    TrainData,
)
from derainbench.cli.train_command import _print_dry_run, build_config
from derainbench.config import config_hash
from derainbench.training.runfolder import default_run_id


@command("check")
def check_command(
    recipe: RecipeName = "pix2pix",
    generator: GeneratorName = None,
    discriminator: DiscriminatorName = None,
    objective: ObjectiveName = None,
    train_data: TrainData = None,
    test_data: TestData = None,
    crop: Crop = None,
    overrides: Overrides = None,
    drop_terms: DropTerms = None,
    as_json: AsJson = False,
) -> None:
    """Check that a generator × discriminator × objective × terms combination can train.

    Builds every component as `train` would, refuses an impossible combination in one sentence
    (exit status 2), and otherwise prints the parameter counts and what each loss term needs.
    Trains nothing and writes nothing.
    """
    config = build_config(
        recipe, generator, discriminator, objective, train_data, test_data, crop=crop,
        overrides=overrides, drop_terms=drop_terms,
    )  # fmt: skip
    digest = config_hash(config)
    _print_dry_run(config, digest, Path("runs") / default_run_id(config, digest), as_json)
