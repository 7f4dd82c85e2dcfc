"""Folders the user names for output: created, or one line saying why they cannot be."""

from __future__ import annotations

import os
from pathlib import Path

from derainbench.errors import DataError


def output_folder(path: str | os.PathLike[str], option: str = "--out") -> Path:
    """``path`` as a folder, created with its parents; a file in the way is one line."""
    path = Path(path)
    blocking = next((p for p in (path, *path.parents) if p.exists() and not p.is_dir()), None)
    if blocking is not None:
        raise DataError(f"{option} {path}: {blocking} is a file, not a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise DataError(f"{option} {path}: cannot create it ({error.strerror})") from None
    return path
