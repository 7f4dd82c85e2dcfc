"""An original code base's released generator → a run folder that ``eval`` and ``derain`` use.

The run folder (OUT/config.toml, OUT/checkpoints/last.pt) has the layout training writes, with
step 0, no discriminator and a ``source`` section naming the original file and its SHA-256. Any
importer registered with :func:`derainbench.models.original_weights.register_importer` is served.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from derainbench.config import ComponentSpec, DataSpecs, resolve
from derainbench.contracts import count_parameters
from derainbench.errors import DerainBenchError
from derainbench.models.original_weights import importer
from derainbench.models.pretrained import sha256_of
from derainbench.models.weight_files import read_state_dict
from derainbench.plugins import requested_plugins
from derainbench.training.checkpoint import save_checkpoint
from derainbench.training.components import build_generator
from derainbench.training.runfolder import RunFolder


def import_weights(source: str, original: Path | str, out: Path | str) -> dict[str, Any]:
    """Convert ``original`` with the ``source`` importer and write the run folder ``out``."""
    original, out = Path(original), Path(out)
    convert = importer(source)  # an unknown source fails before any file is read
    run = RunFolder(out)
    if run.checkpoint_path.exists():
        raise DerainBenchError(f"{out} already holds a checkpoint; choose another OUT")
    imported = convert(read_state_dict(original, f"{source} weights"))
    record = {"importer": source, "file": str(original.resolve()), "sha256": sha256_of(original)}
    config = resolve(
        {
            "recipe": {
                "name": f"{source}-published",
                "description": f"the published {source} generator, imported ({imported.note})",
            },
            "generator": {"name": imported.generator, **imported.options},
            "discriminator": {"name": "none"},
            "objective": {"name": "vanilla"},
            "train": {"steps": 0},
            "run": {"plugins": requested_plugins()},
            "source": record,
        }
    )
    # Not trained here: the training data is the original authors', recorded by name only.
    config = dataclasses.replace(
        config, data=DataSpecs(train=ComponentSpec(name=f"{source}-published"))
    )
    generator = build_generator(config.generator)
    generator.load_state_dict(imported.state_dict)  # strict: the converted state must fit
    run.write_config(config)
    save_checkpoint(
        {
            "config": config.to_dict(),
            "config_hash": config.hash,
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
        "config_hash": config.hash,
        "source": record,
    }
