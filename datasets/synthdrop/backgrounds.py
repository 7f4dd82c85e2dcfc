"""What SynthDrop renders raindrops over: the colour photographs that ship inside the
scikit-image wheel (read from disk, never fetched), procedural dead-leaves scenes, or a folder of
the user's own clean photos.

Background sources (the ``backgrounds`` option):

- ``builtin`` (default): training and validation samples are dead-leaves scenes, with every
  fourth one of the training photos; test samples are the held-out photos, as always.
- ``photos``: each split's photos only (SynthDrop-SK 1.0's training data).
- ``dead-leaves``: dead-leaves scenes only.
- a folder: the images in it (all of them, in name order), for any split.
"""

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


BUILTIN, PHOTOS, DEAD_LEAVES = "builtin", "photos", "dead-leaves"
SOURCES = (BUILTIN, PHOTOS, DEAD_LEAVES)
PHOTO_EVERY = 4  # with builtin backgrounds, every fourth training sample is a photo


def check_backgrounds(backgrounds: str) -> None:
    """A background source must be builtin, photos, dead-leaves or a folder of images."""
    if backgrounds in SOURCES:
        return
    folder = Path(backgrounds).expanduser()
    if not folder.is_dir():
        raise DataError(f"backgrounds '{backgrounds}' is neither {', '.join(SOURCES)} nor a folder")
    if not folder_photos(str(folder)):
        raise DataError(f"no images in the backgrounds folder {folder}")


@lru_cache(maxsize=8)
def folder_photos(folder: str) -> tuple[str, ...]:
    """The image files of a backgrounds folder, in name order, as absolute paths."""
    from derainbench.datasets.image_io import IMAGE_SUFFIXES

    root = Path(folder).expanduser().absolute()
    return tuple(str(p) for p in sorted(root.iterdir()) if p.suffix.lower() in IMAGE_SUFFIXES)


@lru_cache(maxsize=32)
def load_background(file: str, min_height: int, min_width: int) -> Tensor:
    """A photo (3, H, W) resized (Lanczos) so that it is at least ``min_height`` × ``min_width``:
    a file name of scikit-image's photos, or a path."""
    path = Path(file) if Path(file).is_absolute() else skimage_data_folder() / file
    try:
        with Image.open(path) as photo:
            photo = photo.convert("RGB")
    except OSError as error:
        raise DataError(f"cannot read the background photo {path}: {error}") from None
    factor = max(min_height / photo.height, min_width / photo.width)
    size = (
        max(min_width, round(photo.width * factor)),
        max(min_height, round(photo.height * factor)),
    )
    if size != photo.size:
        photo = photo.resize(size, Image.Resampling.LANCZOS)  # integer arithmetic: exact everywhere
    return from_uint8(torch.from_numpy(np.asarray(photo).copy()).permute(2, 0, 1))
