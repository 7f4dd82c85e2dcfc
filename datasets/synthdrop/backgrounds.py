"""The colour photographs that ship inside the scikit-image wheel, read from disk, never fetched."""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import Tensor

from derainbench.errors import DataError
from derainbench.imaging import from_uint8

# Split by photo, so no test scene is seen in training; the two motorcycle views are one stereo
# scene and stay together. The same split as ToyRain-SK.
TRAIN_BACKGROUNDS: tuple[str, ...] = (
    "astronaut.png",
    "motorcycle_left.png",
    "motorcycle_right.png",
    "ihc.png",
    "hubble_deep_field.jpg",
    "retina.jpg",
    "color.png",
)
TEST_BACKGROUNDS: tuple[str, ...] = ("chelsea.png", "coffee.png", "rocket.jpg")


def skimage_data_folder() -> Path:
    """The folder of ``skimage.data`` (located without importing it: its fetchers may download)."""
    spec = importlib.util.find_spec("skimage")
    if spec is None or spec.origin is None:
        raise DataError("scikit-image is not installed: SynthDrop needs the photos it ships")
    return Path(spec.origin).parent / "data"


@lru_cache(maxsize=32)
def load_background(file: str, min_height: int, min_width: int) -> Tensor:
    """A photo (3, H, W) resized (Lanczos) so that it is at least ``min_height`` × ``min_width``."""
    path = skimage_data_folder() / file
    try:
        with Image.open(path) as photo:
            photo = photo.convert("RGB")
    except OSError as error:
        raise DataError(f"cannot read the scikit-image photo {path}: {error}") from None
    factor = max(min_height / photo.height, min_width / photo.width)
    size = (
        max(min_width, round(photo.width * factor)),
        max(min_height, round(photo.height * factor)),
    )
    if size != photo.size:
        photo = photo.resize(size, Image.Resampling.LANCZOS)  # integer arithmetic: exact everywhere
    return from_uint8(torch.from_numpy(np.asarray(photo).copy()).permute(2, 0, 1))
