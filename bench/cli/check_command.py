"""``derain-bench check``: validate a combination without training (= ``train --dry-run``)."""

from __future__ import annotations

from derainbench.cli.app import command
from derainbench.cli.options import (
    AsJson,
    BatchSize,
    Crop,
    Device,
    DiscriminatorName,
    DropTerms,
    GeneratorName,
    ObjectiveName,
    Overrides,
    RecipeName,
    Steps,
    TestData,
    TrainData,
    ValFraction,
    ValidationData,
)
from derainbench.cli.tables import print_check_report


@command("check")
def check_command(
    recipe: RecipeName = None,
    generator: GeneratorName = None,
    discriminator: DiscriminatorName = None,
    objective: ObjectiveName = None,
    train_data: TrainData = None,
    test_data: TestData = None,
    validation_data: ValidationData = None,
    val_fraction: ValFraction = None,
    crop: Crop = None,
    batch_size: BatchSize = None,
    steps: Steps = None,
    device: Device = "auto",
    overrides: Overrides = None,
    drop_terms: DropTerms = None,
    as_json: AsJson = False,
) -> None:
    """Check that a generator × discriminator × objective × terms combination can train.

    Builds every component as `train` would, refuses an impossible combination in one sentence
    (exit status 2), and otherwise prints the parameter counts and what each loss term needs.
    Trains nothing and writes nothing.
    """
    import derainbench as db

    config = db.compose(
        recipe or "pix2pix", generator=generator, discriminator=discriminator, objective=objective,
        train_data=train_data, test_data=test_data, validation_data=validation_data,
        val_fraction=val_fraction, crop=crop, batch_size=batch_size,
        steps=steps, device=device, overrides=overrides or [],
        drop_terms=drop_terms or [],
    )  # fmt: skip
    print_check_report(db.check(config), as_json)
