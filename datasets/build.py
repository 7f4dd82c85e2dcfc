"""Build a registered dataset from a configuration's dataset spec."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from derainbench.datasets.base import PairedDataset
from derainbench.datasets.image_io import text_safe
from derainbench.registries import DATASETS


def build_dataset(
    name: str, options: Mapping[str, Any], crop: int | None = None, flip: bool = False
) -> PairedDataset:
    """The dataset ``name`` with ``options``; ``crop`` and ``flip`` apply to training only."""
    return DATASETS.create(name, **options, crop=crop, flip=flip)


def dataset_label(name: str, options: Mapping[str, Any]) -> str:
    """A short, stable description of a dataset spec for tables: name:split or name:root."""
    detail = options.get("split") or options.get("root") or options.get("path") or ""
    return text_safe(f"{name}:{detail}" if detail else name)
