"""``derain-bench check``: validate a combination without training (= ``train --dry-run``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from derainbench.cli.app import command
from derainbench.cli.options import AsJson
from derainbench.cli.train_command import _print_dry_run, build_config
from derainbench.config import config_hash
from derainbench.runfolder import default_run_id


@command("check")
def check_command(
    recipe: Annotated[
        str, typer.Option("--recipe", "-r", help="Shipped recipe name or a TOML file.")
    ] = "pix2pix",
    generator: Annotated[
        str | None, typer.Option("--generator", "-g", help="Replace the recipe's generator.")
    ] = None,
    discriminator: Annotated[
        str | None,
        typer.Option("--discriminator", "-d", help="Replace the discriminator ('none': no GAN)."),
    ] = None,
    objective: Annotated[
        str | None, typer.Option("--objective", help="Replace the adversarial objective.")
    ] = None,
    train_data: Annotated[
        str | None,
        typer.Option("--train-data", help="Folder of pairs, or a dataset NAME[:SPLIT]."),
    ] = None,
    test_data: Annotated[
        str | None, typer.Option("--test-data", help="Folder of pairs, or a dataset NAME[:SPLIT].")
    ] = None,
    crop: Annotated[int | None, typer.Option("--crop", help="Training crop side, pixels.")] = None,
    overrides: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            "-s",
            help="Override any configuration value: section.key=value "
            "(e.g. penalties.0.variant=deblurgan). Repeatable.",
        ),
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Check that a generator × discriminator × objective × terms combination can train.

    Builds every component as `train` would, refuses an impossible combination in one sentence
    (exit status 2), and otherwise prints the parameter counts and what each loss term needs.
    Trains nothing and writes nothing.
    """
    config = build_config(
        recipe, generator, discriminator, objective, train_data, test_data, crop=crop,
        overrides=overrides,
    )  # fmt: skip
    digest = config_hash(config)
    _print_dry_run(config, digest, Path("runs") / default_run_id(config, digest), as_json)
