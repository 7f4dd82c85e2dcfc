"""Checkpoints: written atomically, read with ``weights_only=True``.

A checkpoint is a dict of plain types and tensors: the resolved configuration, the step, the
state of every model and optimizer, and the RNG state, so that a run resumes where it stopped.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import torch
from torch import nn

from derainbench.errors import DerainBenchError
from derainbench.training.runfolder import RunFolder

FORMAT = "derainbench-checkpoint/1"


def save_checkpoint(state: dict[str, Any], path: Path) -> None:
    """Write ``state`` to ``path`` atomically: a crash leaves the old file or the new one. A
    folder that cannot be written (read-only, full) is one line; the old checkpoint stays."""
    temporary = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        with os.fdopen(handle, "wb") as stream:
            torch.save({"format": FORMAT, **state}, stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except OSError as error:
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)
        raise DerainBenchError(f"cannot write checkpoint {path}: {error.strerror}") from None
    except BaseException:
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)
        raise


def load_checkpoint(path: Path | str, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Read a derainbench checkpoint (or a run folder's latest), refusing anything else."""
    path = Path(path)
    if path.is_dir():
        path = RunFolder(path).checkpoint_path
    if not path.is_file():
        raise DerainBenchError(f"checkpoint not found: {path}")
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as error:  # noqa: BLE001 - corrupt or foreign file: one line for the user
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise DerainBenchError(f"cannot read checkpoint {path}: {reason}") from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise DerainBenchError(
            f"{path} is not a derainbench checkpoint (original weights need `import-weights`)"
        )
    return state


def existing_state(run: RunFolder) -> dict[str, Any] | None:
    """The checkpoint of a run folder, if it has one."""
    return load_checkpoint(run.checkpoint_path) if run.checkpoint_path.is_file() else None


def load_weights(module: nn.Module, weights: dict[str, Any], what: str, source: Path) -> None:
    """Load a checkpoint's weights strictly; weights that do not fit the configured network
    (an edited config.toml, another file) are one line naming the file."""
    try:
        module.load_state_dict(weights)
    except RuntimeError as error:
        lines = [line.strip() for line in str(error).splitlines() if line.strip()]
        detail = lines[1] if len(lines) > 1 else (lines[0] if lines else "")
        raise DerainBenchError(
            f"the {what} weights in {source} do not fit the configured {what}: {detail}"
        ) from None
