"""Reading weight files from elsewhere: ``weights_only=True``, bare or nested state dicts."""

from __future__ import annotations

import os
from pathlib import Path

import torch
from torch import Tensor

from derainbench.errors import DerainBenchError

#: Keys under which training scripts commonly nest the state dict of the network to import.
NESTING_KEYS = ("state_dict", "model", "generator", "netG", "net_G", "model_state_dict", "params")


def _is_state_dict(value: object) -> bool:
    return (
        isinstance(value, dict)
        and bool(value)
        and all(isinstance(v, Tensor) for v in value.values())
    )


def read_state_dict(path: str | os.PathLike, what: str) -> dict[str, Tensor]:
    """The tensors of a weights file: a bare state dict, or one nested under a common key."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise DerainBenchError(f"{what} not found: {path} (nothing is downloaded)")
    try:
        loaded = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # noqa: BLE001 - corrupt or foreign file: one line for the user
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise DerainBenchError(f"cannot read {what} {path}: {reason}") from None
    if _is_state_dict(loaded):
        state = loaded
    else:
        nested = [loaded[k] for k in NESTING_KEYS if isinstance(loaded, dict) and k in loaded]
        found = [n for n in nested if _is_state_dict(n)]
        if not found:
            keys = ", ".join(map(str, list(loaded)[:8])) if isinstance(loaded, dict) else "none"
            raise DerainBenchError(
                f"{path} holds no state dict of tensors (top-level keys: {keys}; looked under "
                f"{', '.join(NESTING_KEYS)})"
            )
        state = found[0]
    return {str(k).removeprefix("module."): v for k, v in state.items()}
