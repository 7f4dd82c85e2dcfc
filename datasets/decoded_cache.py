"""Every image file a run will read, decoded once before training starts, so that a truncated or
corrupt file is named in one line before step 1 instead of killing the run mid-way.

Files that decoded before are remembered by (path, size, modification time) in a small cache
(``$DERAINBENCH_CACHE`` or ``~/.cache/derainbench``), so a second run over the same data checks
nothing again; a file that changes is decoded anew.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

from derainbench.datasets.image_io import load_rgb

CACHE_VARIABLE = "DERAINBENCH_CACHE"
CACHE_FILE = "decoded-files.json"


def cache_dir() -> Path:
    """Where derainbench keeps small caches: ``$DERAINBENCH_CACHE`` or ``~/.cache/derainbench``."""
    if os.environ.get(CACHE_VARIABLE):
        return Path(os.environ[CACHE_VARIABLE])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "derainbench"


def _stamp(path: Path) -> list[int]:
    stat = path.stat()
    return [stat.st_size, stat.st_mtime_ns]


def _load_cache(path: Path) -> dict[str, list[int]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _save_cache(path: Path, entries: dict[str, list[int]]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            json.dump(entries, stream)
        os.replace(temporary, path)
    except OSError:
        pass  # a cache that cannot be written only means decoding again next time


def check_decodable(
    files: Iterable[Path], progress: Callable[[int], None] | None = None
) -> tuple[int, int]:
    """Decode every file not known to decode (raising DataError naming the first bad one);
    returns (decoded now, known from the cache)."""
    cache_path = cache_dir() / CACHE_FILE
    known = _load_cache(cache_path)
    decoded = cached = 0
    try:
        for path in files:
            key = os.fsencode(path.absolute()).decode("utf-8", "backslashreplace")
            stamp = _stamp(path)
            if known.get(key) == stamp:
                cached += 1
            else:
                load_rgb(path)  # a truncated or corrupt file raises DataError here
                known[key] = stamp
                decoded += 1
            if progress is not None:
                progress(1)
    finally:
        if decoded:
            _save_cache(cache_path, known)
    return decoded, cached
