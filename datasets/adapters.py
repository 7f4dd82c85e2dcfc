"""Registry names for the real-set adapters that need their own: ``rain800`` and ``pair-list``.

Both are :class:`~derainbench.datasets.paired_folder.PairedFolder` with the layout fixed, so an
ambiguous folder (a flat folder of images) is read as the user says.
"""

from __future__ import annotations

from derainbench.datasets.paired_folder import PairedFolder
from derainbench.registries import DATASETS


@DATASETS.register(
    "rain800",
    description="Rain800 / Test100: side-by-side JPEGs (clean | rainy), split at half width",
    provides=(),
    layout="root/*.jpg, each clean | rainy side by side",
)
def rain800(
    root: str, crop: int | None = None, flip: bool = False, mask_rule: str | None = None
) -> PairedFolder:
    """Pairs from a folder of side-by-side images (clean left, rainy right)."""
    return PairedFolder(root, crop=crop, flip=flip, mask_rule=mask_rule, layout="side-by-side")


@DATASETS.register(
    "pair-list",
    description="Pairs listed in a CSV or TXT file: rainy and clean path per line",
    provides=(),
    layout="list.csv / list.txt: 'rainy clean' per line, relative to the list's folder",
)
def pair_list(
    path: str, crop: int | None = None, flip: bool = False, mask_rule: str | None = None
) -> PairedFolder:
    """Pairs named by a pair-list file (paths relative to the file's folder)."""
    return PairedFolder(path, crop=crop, flip=flip, mask_rule=mask_rule, layout="pair-list")
