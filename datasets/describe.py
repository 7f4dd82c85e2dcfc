"""A dataset's description in one compact JSON cell, for the leaderboard's ``data_info`` columns.

SynthDrop's renderer version, preset and parameters travel with every result row this way; bulky
fields (per-sample records, long lists) are left out.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from derainbench.errors import DerainBenchError

BULKY_FIELDS = frozenset({"samples", "records", "files"})
_MAX_LIST = 16


def compact_info(dataset: Any) -> str:
    """``dataset.describe()`` as compact, key-sorted JSON, bulky fields dropped."""
    describe = getattr(dataset, "describe", None)
    info = describe() if callable(describe) else {"name": type(dataset).__name__}
    return _dumps(_slim(info))


def spec_info(name: str, options: Mapping[str, Any]) -> str:
    """The compact description of the dataset a spec names; the spec itself if it cannot be
    built here (e.g. the training data stayed on another machine)."""
    from derainbench.datasets.build import build_dataset

    try:
        return compact_info(build_dataset(name, options))
    except (DerainBenchError, OSError):
        return _dumps({"name": name, **options, "unavailable": True})


def _slim(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _slim(v) for k, v in value.items() if k not in BULKY_FIELDS}
    if isinstance(value, list | tuple):
        return [_slim(v) for v in value] if len(value) <= _MAX_LIST else f"[{len(value)} items]"
    return value


def _dumps(info: dict[str, Any]) -> str:
    return json.dumps(info, separators=(",", ":"), sort_keys=True, default=str)
