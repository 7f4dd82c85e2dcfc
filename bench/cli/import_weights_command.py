"""``derain-bench import-weights``: an original code base's released generator → a run folder.

The run folder (OUT/config.toml, OUT/checkpoints/last.pt) has the layout training writes, with
step 0, no discriminator and a ``source`` section naming the original file and its SHA-256, so
that ``eval OUT --test-data ...`` and ``derain OUT ...`` use the published model unchanged. Any
importer registered with :func:`derainbench.models.original_weights.register_importer` is served.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from derainbench.cli.app import command, console
from derainbench.cli.options import AsJson


@command("import-weights")
def import_weights_command(
    original: Annotated[
        Path, typer.Argument(help="The original's released generator weights (.pth).")
    ],
    out: Annotated[Path, typer.Argument(help="The run folder to write.")],
    source: Annotated[
        str,
        typer.Option(
            "--from",
            help="Whose weights: pix2pix, deblurgan, or any registered importer.",
            show_default=False,
        ),
    ],
    as_json: AsJson = False,
) -> None:
    """Import an original code base's released generator as a run folder for eval and derain.

    The file is read with weights_only=True (a bare state dict, or one nested under a common key
    such as state_dict), converted once to derainbench's layout and value range, and written with
    a source section naming the file and its SHA-256.
    """
    import derainbench as db

    summary = db.import_weights(source, original, out)
    if as_json:
        console.print_json(json.dumps(summary))
        return
    options = ", ".join(f"{k}={v}" for k, v in summary["options"].items())
    console.print(
        f"imported {source} weights as generator '{summary['generator']}' ({options}; "
        f"{summary['generator_parameters']:,} parameters) into {out}; evaluate with: "
        f"derain-bench eval {out} --test-data DATA"
    )
