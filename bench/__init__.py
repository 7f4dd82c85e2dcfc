"""derainbench: a benchmark suite for image-deraining GANs.

Public API (importing this package is cheap; components load on first use)::

    import derainbench
    G = derainbench.create_generator("unet")          # the paper configuration
    D = derainbench.create_discriminator("patchgan", ndf=32)
    derainbench.list_components("generators", "u*")
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from derainbench.contracts import Discriminator, Generator


def create_generator(name: str, **kwargs: Any) -> Generator:
    """Build a registered generator; options left out (or None) keep the paper's values."""
    from derainbench.registries import GENERATORS

    return GENERATORS.create(name, **kwargs)


def create_discriminator(name: str, **kwargs: Any) -> Discriminator:
    """Build a registered discriminator; options left out (or None) keep the paper's values."""
    from derainbench.registries import DISCRIMINATORS

    return DISCRIMINATORS.create(name, **kwargs)


def list_components(kind: str = "generators", pattern: str | None = None) -> list[str]:
    """Names registered under ``kind`` ("generators", "objectives", ...), fnmatch-filtered."""
    from derainbench.errors import UnknownNameError
    from derainbench.registries import ALL

    if kind not in ALL:
        raise UnknownNameError(f"unknown kind '{kind}'; choose one of {', '.join(ALL)}")
    return ALL[kind].names(pattern)


def load_plugin(spec: str) -> bool:
    """Import a plug-in module (dotted path or .py file); False if it failed (and was reported)."""
    from derainbench.plugins import load_plugin as _load

    return _load(spec)


__all__ = [
    "__version__",
    "create_discriminator",
    "create_generator",
    "list_components",
    "load_plugin",
]
