"""Options shared by several commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

Device = Annotated[
    str, typer.Option("--device", help="auto (a CUDA GPU if there is one), cpu, cuda or cuda:N.")
]
LeaderboardPath = Annotated[
    Path | None,
    typer.Option(
        "--leaderboard",
        help="Leaderboard CSV to append to (default: $DERAINBENCH_LEADERBOARD or "
        "results/leaderboard.csv).",
    ),
]
Protocol = Annotated[
    str | None,
    typer.Option("--protocol", help="Metric protocol (see `derain-bench list protocols`)."),
]
TrainMode = Annotated[
    bool,
    typer.Option(
        "--train-mode",
        help="Run the generator in train mode (dropout on, batch-statistics BatchNorm) as the "
        "pix2pix original tests; recorded as g_mode=train. Default: eval mode.",
    ),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
Checkpoint = Annotated[
    str,
    typer.Option(
        "--checkpoint",
        help="Which generator of the run: last (the last step), best (the best validation "
        "score) or ema (the moving average of the weights). Recorded in the row.",
    ),
]


# The choices of a combination, shared by train, check and ablate.
RecipeName = Annotated[
    str | None,
    typer.Option("--recipe", "-r", help="Shipped recipe name or a TOML file (default: pix2pix)."),
]
GeneratorName = Annotated[
    str | None, typer.Option("--generator", "-g", help="Replace the recipe's generator.")
]
DiscriminatorName = Annotated[
    str | None,
    typer.Option("--discriminator", "-d", help="Replace the discriminator ('none': no GAN)."),
]
ObjectiveName = Annotated[
    str | None, typer.Option("--objective", help="Replace the adversarial objective.")
]
TrainData = Annotated[
    str | None, typer.Option("--train-data", help="Folder of pairs, or a dataset NAME[:SPLIT].")
]
TestData = Annotated[
    str | None, typer.Option("--test-data", help="Folder of pairs, or a dataset NAME[:SPLIT].")
]
#: The test data of a command that restores several runs' outputs on the same images.
RunsTestData = Annotated[
    str | None,
    typer.Option(
        "--test-data",
        help="Folder of pairs or dataset NAME[:SPLIT] (default: the runs' own test data, which "
        "must then be the same for every run).",
    ),
]
ValidationData = Annotated[
    str | None,
    typer.Option(
        "--validation-data",
        help="Folder of pairs or dataset NAME[:SPLIT] scored during training (best.pt).",
    ),
]
ValFraction = Annotated[
    float | None,
    typer.Option(
        "--val-fraction",
        help="Carve this share of a training folder out for validation (salted file-name hash).",
    ),
]
Steps = Annotated[int | None, typer.Option("--steps", help="Generator updates.")]
BatchSize = Annotated[int | None, typer.Option("--batch-size", "-b", help="Pairs per step.")]
Crop = Annotated[int | None, typer.Option("--crop", help="Training crop side, pixels.")]
Overrides = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        "-s",
        help="Override any configuration value: section.key=value "
        "(e.g. generator.ngf=32, terms.0.weight=10, penalties.0.variant=deblurgan). Repeatable.",
    ),
]
DropTerms = Annotated[
    list[str] | None,
    typer.Option(
        "--drop-term",
        help="Train without this loss term of the recipe (e.g. perceptual when its VGG weights "
        "are not on the machine). Repeatable; recorded in the configuration.",
    ),
]
