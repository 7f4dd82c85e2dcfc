"""``derain-bench import-weights``: an original code base's released generator → a run folder.

The run folder (OUT/config.toml, OUT/checkpoints/last.pt) has the layout training writes, with
step 0, no discriminator and a ``source`` section naming the original file and its SHA-256, so
that ``eval OUT --test-data ...`` and ``derain OUT ...`` use the published model unchanged. Any
importer registered with :func:`derainbench.models.original_weights.register_importer` is served.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from derainbench.cli.app import PLUGINS, command, console
from derainbench.cli.options import AsJson
from derainbench.errors import DerainBenchError


def import_weights(source: str, original: Path, out: Path) -> dict[str, Any]:
    """Convert ``original`` with the ``source`` importer and write the run folder ``out``."""
    from derainbench.config import config_hash, resolve
    from derainbench.contracts import count_parameters
    from derainbench.models.original_weights import importer
    from derainbench.models.pretrained import sha256_of
    from derainbench.models.weight_files import read_state_dict
    from derainbench.training.checkpoint import save_checkpoint
    from derainbench.training.components import build_generator
    from derainbench.training.runfolder import RunFolder

    convert = importer(source)  # an unknown source fails before any file is read
    run = RunFolder(out)
    if run.checkpoint_path.exists():
        raise DerainBenchError(f"{out} already holds a checkpoint; choose another OUT")
    imported = convert(read_state_dict(original, f"{source} weights"))
    generator_section = {"name": imported.generator, **imported.options}
    record = {"importer": source, "file": str(original.resolve()), "sha256": sha256_of(original)}
    config = resolve(
        {
            "recipe": {
                "name": f"{source}-published",
                "description": f"the published {source} generator, imported ({imported.note})",
            },
            "generator": generator_section,
            "discriminator": {"name": "none"},
            "objective": {"name": "vanilla"},
            "run": {"plugins": list(PLUGINS)},
        }
    )
    # Not trained here: the training data is the original authors', recorded by name only.
    config["data"] = {"train": {"name": f"{source}-published"}}
    config["train"]["steps"] = 0
    config["source"] = record
    generator = build_generator(config["generator"])
    generator.load_state_dict(imported.state_dict)  # strict: the converted state must fit
    digest = config_hash(config)
    run.write_config(config, digest)
    save_checkpoint(
        {
            "config": config,
            "config_hash": digest,
            "step": 0,
            "total_steps": 0,
            "train_seconds": 0.0,
            "generator": generator.state_dict(),
            "discriminator": {},
            "parameters": {"generator": count_parameters(generator), "discriminator": 0},
            "source": record,
        },
        run.checkpoint_path,
    )
    return {
        "run_dir": str(out),
        "generator": imported.generator,
        "options": imported.options,
        "generator_parameters": count_parameters(generator),
        "config_hash": digest,
        "source": record,
    }


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
    summary = import_weights(source, original, out)
    if as_json:
        console.print_json(json.dumps(summary))
        return
    options = ", ".join(f"{k}={v}" for k, v in summary["options"].items())
    console.print(
        f"imported {source} weights as generator '{summary['generator']}' ({options}; "
        f"{summary['generator_parameters']:,} parameters) into {out}; evaluate with: "
        f"derain-bench eval {out} --test-data DATA"
    )
