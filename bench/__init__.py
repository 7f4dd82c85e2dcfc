"""derainbench: a benchmark suite for image-deraining GANs.

The Python API mirrors the command line (importing this package is cheap; the API, torch and
the components load on first use)::

    import derainbench as db

    config = db.compose("pix2pix", train_data="toyrain-sk:train", test_data="toyrain-sk:test")
    result = db.run(config)  # train → evaluate → one leaderboard row
    db.leaderboard()  # configurations, seeds pooled (mean ± 95 % CI)
    G = db.create_generator("unet")  # the paper configuration
    db.list_components("generators", "u*")

See :mod:`derainbench.experiments.api` for every function.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from derainbench.benchmarks.profile import profile  # noqa: F401
    from derainbench.contracts import Discriminator, Generator
    from derainbench.experiments.api import *  # noqa: F403

#: Names served lazily from the API module (see its ``__all__``).
_API_MODULE = "derainbench.experiments.api"
_API_NAMES = (
    "CheckReport",
    "ContractReport",
    "EvaluationOptions",
    "EvaluationRecord",
    "ExperimentConfig",
    "ExperimentResult",
    "ablate",
    "attention_strip",
    "check",
    "check_plugin",
    "compare",
    "compose",
    "demo",
    "derain",
    "error_split",
    "figure",
    "evaluate",
    "export",
    "import_weights",
    "leaderboard",
    "plan_ablation",
    "report",
    "resume",
    "run_ablation",
    "run",
    "score",
    "sweep",
    "sweep_status",
    "train",
)


#: Names served from other modules (the benchmarks sit above the experiments layer).
_ELSEWHERE = {"profile": "derainbench.benchmarks.profile"}


def __getattr__(name: str) -> Any:
    if name in _API_NAMES:
        return getattr(importlib.import_module(_API_MODULE), name)
    if name in _ELSEWHERE:
        return getattr(importlib.import_module(_ELSEWHERE[name]), name)
    raise AttributeError(f"module 'derainbench' has no attribute '{name}'")


def __dir__() -> list[str]:
    return sorted([*globals(), *_API_NAMES, *_ELSEWHERE])


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
    """Import a plug-in module (dotted path or .py file); False if it failed (and was reported).
    Runs composed afterwards record it, so that ``evaluate`` and ``derain`` load it again."""
    from derainbench.plugins import load_plugin as _load

    return _load(spec)


__all__ = [
    "__version__",
    "create_discriminator",
    "create_generator",
    "list_components",
    "load_plugin",
    *_API_NAMES,
    *_ELSEWHERE,
]
