"""Convert the original implementations' state dicts to derainbench's module layout.

The originals' parameters appear in the same depth-first order as ours (pix2pix's nested
``model`` Sequentials for the U-Net; ``model.N`` for the PatchGAN), so conversion pairs them in
order and checks every shape and tensor kind on the way: a checkpoint of another configuration
fails with a clear message instead of loading wrongly.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from torch import Tensor

from derainbench.errors import DerainBenchError, UnknownNameError


@dataclass(frozen=True)
class ImportedGenerator:
    """Original weights converted to derainbench: which generator, built how, with what state."""

    generator: str
    options: dict[str, Any]
    state_dict: dict[str, Tensor]
    note: str = ""


#: Original-weights importers by source name ("pix2pix", "deblurgan", "deraindrop"...): each takes
#: the original's state dict and returns an :class:`ImportedGenerator`. A family file registers its
#: importer next to its model with :func:`register_importer`.
IMPORTERS: dict[str, Callable[[Mapping[str, Tensor]], ImportedGenerator]] = {}


def register_importer(
    source: str,
) -> Callable[[Callable[[Mapping[str, Tensor]], ImportedGenerator]], Callable]:
    """Decorator: register the importer of an original code base's generator weights."""

    def decorator(function: Callable[[Mapping[str, Tensor]], ImportedGenerator]) -> Callable:
        IMPORTERS[source] = function
        return function

    return decorator


def importer(source: str) -> Callable[[Mapping[str, Tensor]], ImportedGenerator]:
    """The importer for ``source``, or one line naming the known sources."""
    from derainbench.registries import load_components

    load_components()  # family files register their importers on import
    if source not in IMPORTERS:
        raise UnknownNameError(
            f"no importer for '{source}'; known: {', '.join(sorted(IMPORTERS)) or 'none'}"
        )
    return IMPORTERS[source]


def _kind(key: str) -> str:
    return key.rsplit(".", 1)[-1]  # weight, bias, running_mean, running_var, num_batches_tracked


def convert_in_order(
    original: Mapping[str, Tensor], target: Mapping[str, Tensor], what: str
) -> dict[str, Tensor]:
    """Pair ``original``'s tensors with ``target``'s keys in order, checking kind and shape."""
    source = [(k, v) for k, v in original.items() if not k.endswith("num_batches_tracked")]
    keys = [k for k in target if not k.endswith("num_batches_tracked")]
    if len(source) != len(keys):
        raise DerainBenchError(
            f"{what}: the original weights have {len(source)} tensors where this configuration "
            f"has {len(keys)}; build the model with the options the weights were trained with"
        )
    converted: dict[str, Tensor] = {}
    for (old_key, tensor), new_key in zip(source, keys, strict=True):
        expected = target[new_key]
        if _kind(old_key) != _kind(new_key) or tuple(tensor.shape) != tuple(expected.shape):
            raise DerainBenchError(
                f"{what}: original '{old_key}' {tuple(tensor.shape)} does not fit '{new_key}' "
                f"{tuple(expected.shape)}; check the configuration (ngf, num_downs, norm...)"
            )
        converted[new_key] = tensor.detach().clone()
    for key in target:
        if key.endswith("num_batches_tracked"):
            converted[key] = target[key].clone()
    return converted
