"""Read and write images as float32 RGB tensors (3, H, W) in [0, 1].

Every reading failure becomes a one-line :class:`DataError` that names the file, so a bad file in a
folder of thousands is found at once.
"""

from __future__ import annotations

import os
import struct
import uuid
import zlib
from pathlib import Path

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError
from torch import Tensor

from derainbench.errors import DataError
from derainbench.imaging import to_uint8

IMAGE_SUFFIXES: frozenset[str] = frozenset(
    {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp"}
)

# What image decoders raise for unreadable files (UnidentifiedImageError is an OSError; tifffile's
# errors are ValueErrors; Pillow raises SyntaxError, EOFError and others on damaged data).
_DECODE_ERRORS = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    KeyError,
    IndexError,
    TypeError,
    zlib.error,
    struct.error,
    Image.DecompressionBombError,
)
# Pillow's modes that hold one channel of up to 16 bits ("I" is how 16-bit TIFF/PNG grey may open).
_WIDE_GREY_MODES = frozenset({"I;16", "I;16B", "I;16L", "I;16N", "I"})


def load_rgb(path: str | os.PathLike[str]) -> Tensor:
    """Decode an image file fully into a float32 RGB tensor (3, H, W) in [0, 1]."""
    path = Path(path)
    try:
        with Image.open(path) as image:
            if _png_16bit_rawmode(image):
                array = _load_16bit_png(path, image)
            elif _is_16bit_colour_tiff(image):
                array = _load_16bit_tiff(path)
            else:
                image.load()  # decode everything now, so a truncated file fails here
                array = _pil_to_rgb_float(image)
    except DataError:
        raise
    except _DECODE_ERRORS as error:
        raise DataError(f"cannot read image {path}: {_reason(error)}") from None
    return torch.from_numpy(array).permute(2, 0, 1).contiguous()


def image_size(path: str | os.PathLike[str]) -> tuple[int, int]:
    """(height, width) of an image, read from its header only (cheap)."""
    path = Path(path)
    try:
        with Image.open(path) as image:
            width, height = image.size
    except _DECODE_ERRORS as error:
        raise DataError(f"cannot read image {path}: {_reason(error)}") from None
    return height, width


def save_png(image: Tensor, path: str | os.PathLike[str]) -> Path:
    """Write a (3, H, W) float image in [0, 1] as an 8-bit PNG (rounded), atomically."""
    if image.ndim != 3 or image.shape[0] != 3:
        raise ValueError(f"save_png expects a (3, H, W) image, got shape {tuple(image.shape)}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    pixels = to_uint8(image.cpu()).permute(1, 2, 0).contiguous().numpy()
    # A hidden temp name in the same folder: os.replace is then atomic, and a folder scan that
    # runs meanwhile neither sees a half-written PNG nor mistakes the temp file for an image.
    temp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}.tmp")
    try:
        with open(temp, "xb") as file:  # plain open (not mkstemp) keeps the usual permissions
            Image.fromarray(pixels, mode="RGB").save(file, format="PNG")
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)
    return path


def _pil_to_rgb_float(image: Image.Image) -> np.ndarray:
    """(H, W, 3) float32 in [0, 1] from any 8-bit or 16-bit-grey Pillow image."""
    if image.mode in _WIDE_GREY_MODES:
        grey = np.asarray(image).astype(np.float32) / 65535.0
        grey = np.clip(grey, 0.0, 1.0)
        return np.repeat(grey[:, :, None], 3, axis=2)
    if image.mode in ("P", "PA"):
        # Via RGBA so that palette transparency converts without Pillow's warning.
        image = image.convert("RGBA")
    # Alpha is simply dropped, not composited: deraining pairs are photographs, and an alpha
    # channel in them is an export artefact whose colour values are still the scene.
    rgb = image.convert("RGB")
    return np.asarray(rgb, dtype=np.uint8).astype(np.float32) / 255.0


def _png_16bit_rawmode(image: Image.Image) -> str | None:
    """The raw mode of a 16-bit RGB(A) PNG, which Pillow would reduce to 8 bits; else None."""
    if image.format != "PNG" or len(image.tile) != 1:
        return None
    rawmode = image.tile[0][3]
    return rawmode if rawmode in ("RGB;16B", "RGBA;16B") else None


def _load_16bit_png(path: Path, image: Image.Image) -> np.ndarray:
    # Pillow's decoder keeps the high byte of each big-endian sample ("RGB;16B"). Decoding the file
    # a second time as if it were little-endian ("RGB;16L") keeps the low byte instead; the two
    # together are the exact 16-bit values, with Pillow's own unfiltering and no extra dependency.
    tile = image.tile[0]
    image.load()
    high = np.asarray(image, dtype=np.uint16)
    with Image.open(path) as again:
        again.tile = [(tile[0], tile[1], tile[2], tile[3].replace(";16B", ";16L"))]
        again.load()
        low = np.asarray(again, dtype=np.uint16)
    # Alpha is dropped, as for 8-bit images (see _pil_to_rgb_float).
    return ((high * 256 + low)[:, :, :3]).astype(np.float32) / 65535.0


def _is_16bit_colour_tiff(image: Image.Image) -> bool:
    # Pillow also reduces 16-bit RGB TIFFs to 8 bits; tag 258 is BitsPerSample.
    if image.format != "TIFF" or image.mode in _WIDE_GREY_MODES:
        return False
    bits = getattr(image, "tag_v2", {}).get(258, ())
    bits = bits if isinstance(bits, tuple) else (bits,)
    return len(bits) >= 3 and max(bits) == 16


def _load_16bit_tiff(path: Path) -> np.ndarray:
    import tifffile  # a dependency of scikit-image; needed rarely

    array = np.asarray(tifffile.imread(path))
    if array.ndim != 3 or array.shape[2] < 3:
        raise DataError(f"cannot read image {path}: unsupported 16-bit TIFF of shape {array.shape}")
    return array[:, :, :3].astype(np.float32) / 65535.0


def _reason(error: BaseException) -> str:
    """One line that says why a file could not be read."""
    if isinstance(error, FileNotFoundError):
        return "no such file"
    if isinstance(error, IsADirectoryError):
        return "it is a folder"
    if isinstance(error, UnidentifiedImageError):
        return "not an image file, or a format Pillow cannot decode"
    text = str(error).strip()
    line = text.splitlines()[0] if text else ""
    return f"{type(error).__name__}: {line}" if line else type(error).__name__


def text_safe(name: str) -> str:
    """A file name as valid UTF-8 text for CSV and JSON files: undecodable bytes (a non-UTF-8
    name on disk) are written as backslash escapes instead of failing the write."""
    return name.encode("utf-8", "backslashreplace").decode("utf-8")
