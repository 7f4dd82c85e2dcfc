"""Pretrained weights without internet: look in known places, check the hash, load strictly.

Nothing here downloads. A weights file is looked for, in order, at the path the user gives, at
the path in its environment variable, then in the torch hub cache (``$TORCH_HOME/hub/checkpoints``)
under torchvision's file name, whose suffix is the first hex digits of the file's SHA-256. A file
whose hash does not match is refused; a missing file is one error naming the file and every
place looked. Random weights are never substituted.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import torch

from derainbench.errors import DerainBenchError


class MissingWeightsError(DerainBenchError):
    """Pretrained weights that are needed and not on this machine."""


@dataclass(frozen=True)
class WeightsFile:
    """A known weights file: its canonical name (with the hash prefix) and where users put it."""

    name: str
    sha256_prefix: str
    env_variable: str
    description: str

    def hub_path(self) -> Path:
        """Where torch.hub would have cached it."""
        return Path(torch.hub.get_dir()) / "checkpoints" / self.name


VGG16 = WeightsFile(
    "vgg16-397923af.pth", "397923af", "DERAINBENCH_VGG16_WEIGHTS", "torchvision VGG16 (ImageNet)"
)
VGG19 = WeightsFile(
    "vgg19-dcbb9e9d.pth", "dcbb9e9d", "DERAINBENCH_VGG19_WEIGHTS", "torchvision VGG19 (ImageNet)"
)
ALEXNET = WeightsFile(
    "alexnet-owt-7be5be79.pth",
    "7be5be79",
    "DERAINBENCH_ALEXNET_WEIGHTS",
    "torchvision AlexNet (ImageNet)",
)

_verified: dict[tuple[str, int, float], str] = {}


def sha256_of(path: Path) -> str:
    """The file's SHA-256 (hex), cached per (path, size, mtime): big files are read once."""
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime)
    if key not in _verified:
        digest = hashlib.sha256()
        with path.open("rb") as stream:
            for block in iter(lambda: stream.read(1 << 20), b""):
                digest.update(block)
        _verified[key] = digest.hexdigest()
    return _verified[key]


def candidate_paths(spec: WeightsFile, user_path: str | os.PathLike | None = None) -> list[Path]:
    """The places looked at, in order."""
    places = []
    if user_path:
        places.append(Path(user_path).expanduser())
    if os.environ.get(spec.env_variable):
        places.append(Path(os.environ[spec.env_variable]).expanduser())
    places.append(spec.hub_path())
    return places


def find_weights(spec: WeightsFile, user_path: str | os.PathLike | None = None) -> Path:
    """The first existing candidate with the right hash, or one error naming all places."""
    places = candidate_paths(spec, user_path)
    for place in places:
        if place.is_file():
            digest = sha256_of(place)
            if not digest.startswith(spec.sha256_prefix):
                raise DerainBenchError(
                    f"{place} is not {spec.name}: its SHA-256 starts {digest[:8]}, "
                    f"expected {spec.sha256_prefix}"
                )
            return place
    looked = ", ".join(str(p) for p in places)
    raise MissingWeightsError(
        f"{spec.description} weights {spec.name} not found (looked in: {looked}); nothing is "
        f"downloaded: copy the file there or set {spec.env_variable}"
    )


def load_weights(spec: WeightsFile, user_path: str | os.PathLike | None = None) -> dict:
    """The checked state dict, read with ``weights_only=True``."""
    path = find_weights(spec, user_path)
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # noqa: BLE001 - a corrupt file is the user's to replace
        raise DerainBenchError(f"cannot read weights {path}: {error}".splitlines()[0]) from None
