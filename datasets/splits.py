"""Validation data carved from TRAINING data by a salted hash of file names, never from a test set.

A name's side depends on (salt, name) alone: adding or removing files never moves the others, and
two machines listing the same folder in a different order agree.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from pathlib import Path

from derainbench.errors import DataError

DEFAULT_SALT = "derainbench-val"
# A folder whose name says it holds test data (test, test_a, Test100, rain_test; not "latest").
_TEST_NAME = re.compile(r"(?<![a-z])test", re.IGNORECASE)


def in_validation(name: str, fraction: float, salt: str = DEFAULT_SALT) -> bool:
    """Whether ``name`` falls in the validation share ``fraction`` for this ``salt``."""
    digest = hashlib.sha256(f"{salt}/{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < fraction


def split_by_hash(
    names: Iterable[str], fraction: float, salt: str = DEFAULT_SALT
) -> tuple[list[str], list[str]]:
    """(train names, validation names), each in the input order; disjoint, deterministic."""
    if not 0.0 <= fraction < 1.0:
        raise DataError(f"validation fraction must be in [0, 1), got {fraction}")
    train, val = [], []
    for name in names:
        (val if in_validation(name, fraction, salt) else train).append(name)
    return train, val


def refuse_test_folder(root: Path) -> None:
    """Raise if ``root`` or its parent is named like a test set: validation comes from training."""
    for part in (root.name, root.parent.name):
        if _TEST_NAME.search(part):
            raise DataError(
                f"refusing to carve validation data out of {root}: its name says it is a test "
                "set; validation data must come from the training set"
            )
