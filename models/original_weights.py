"""Convert the original implementations' state dicts to derainbench's module layout.

The originals' parameters appear in the same depth-first order as ours (pix2pix's nested
``model`` Sequentials for the U-Net; ``model.N`` for the PatchGAN), so conversion pairs them in
order and checks every shape and tensor kind on the way: a checkpoint of another configuration
fails with a clear message instead of loading wrongly.
"""

from __future__ import annotations

from collections.abc import Mapping

from torch import Tensor

from derainbench.errors import DerainBenchError


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
