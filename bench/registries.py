"""The registries of derainbench, one per kind of component, and the metadata each records.

Components register themselves with a decorator in their own module::

    from derainbench.registries import GENERATORS

    @GENERATORS.register("my-net", paper="...", native_range="[0, 1]", multiple_of=4)
    def my_net(width: int = 64) -> Generator: ...

The keywords are the fields of the registry's record type (:class:`GeneratorInfo` here); a field
that does not exist is refused at registration. Records describe the component at its default
options; what a built instance declares (``multiple_of``, ``provides``, ``conditional``...) is
what the training loop reads, and a test checks that the two agree.

The built-in modules below (and their subpackages) and the plug-ins are imported the first time
any registry is queried. A module that fails to import is reported and skipped; the others stay
usable.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass

from derainbench.registry import ComponentInfo, Registry

# Packages whose modules register the built-in components: every module in them is imported
# (lazily, on the first registry query), so adding a model is one new file and one decorator.
BUILTIN_PACKAGES: tuple[str, ...] = (
    "derainbench.models.generators",
    "derainbench.models.discriminators",
    "derainbench.losses",
    "derainbench.datasets",
    "derainbench.metrics",
    "derainbench.recipes",
)


@dataclass(frozen=True, kw_only=True)
class ModelInfo(ComponentInfo):
    """What a generator or discriminator declares."""

    family: str = ""
    #: The value range and channel order its original works in (converted inside the module).
    native_range: str = "[0, 1]"
    channel_order: str = "RGB"
    #: Its outputs, described for people; ``provides`` is the machine-readable part.
    outputs: tuple[str, ...] = ()
    #: Auxiliary outputs at the default options (see :mod:`derainbench.contracts`).
    provides: frozenset[str] = frozenset()


@dataclass(frozen=True, kw_only=True)
class GeneratorInfo(ModelInfo):
    """A generator's record: input sides must be multiples of ``multiple_of``."""

    multiple_of: int = 1
    #: How ``multiple_of`` follows from the options, when it does (e.g. "2^num_downs").
    multiple_of_rule: str = ""


@dataclass(frozen=True, kw_only=True)
class DiscriminatorInfo(ModelInfo):
    """A discriminator's record: conditional ones see cat(rainy, image)."""

    conditional: bool = False
    #: The only input side a fixed-size layer accepts (None: any size).
    input_size: int | None = None


@dataclass(frozen=True, kw_only=True)
class ObjectiveInfo(ComponentInfo):
    """An adversarial objective's losses, written out, and whether it needs a Lipschitz penalty."""

    discriminator_loss: str = ""
    generator_loss: str = ""
    needs_lipschitz: bool = False


@dataclass(frozen=True, kw_only=True)
class TermInfo(ComponentInfo):
    """A loss term: what it needs, whose loss it joins, which local weights it reads."""

    needs: frozenset[str] = frozenset()
    player: str = "generator"
    pretrained: str = ""


@dataclass(frozen=True, kw_only=True)
class PenaltyInfo(ComponentInfo):
    """A discriminator penalty: where it is evaluated and what it guarantees or requires."""

    applies_to: str = ""
    enforces_lipschitz: bool = False
    #: Per-sample gradient norms: refused on discriminators that mix samples (BatchNorm).
    needs_independent_samples: bool = False


@dataclass(frozen=True, kw_only=True)
class DatasetInfo(ComponentInfo):
    """A dataset: the folder layout it reads and what it gives beyond (rainy, clean)."""

    layout: str = ""
    provides: frozenset[str] = frozenset()


@dataclass(frozen=True, kw_only=True)
class ProtocolInfo(ComponentInfo):
    """A metric protocol: the channel scored, the SSIM variant, the score columns it fills."""

    y_channel: str = ""
    ssim: str = ""
    scores: tuple[str, ...] = ("psnr", "ssim")


@dataclass(frozen=True, kw_only=True)
class ScoreInfo(ComponentInfo):
    """A leaderboard score column: which way is better, the digits shown, where it comes from."""

    higher_is_better: bool = True
    digits: int = 4
    unit: str = ""
    #: "protocol" (PSNR, SSIM), "lpips" (needs a local trunk) or "extra" (``--extra NAME``).
    source: str = "protocol"


@dataclass(frozen=True, kw_only=True)
class RecipeInfo(ComponentInfo):
    """A shipped recipe: its components, written deviations, ablation designs and demo scale."""

    generator: str = ""
    discriminator: str = ""
    objective: str = ""
    terms: tuple[str, ...] = ()
    deviations: tuple[str, ...] = ()
    file: str = ""
    ablation_designs: tuple[str, ...] = ()
    demo: bool = False


def builtin_modules() -> list[str]:
    """The modules of :data:`BUILTIN_PACKAGES` and of their subpackages, at any depth, in
    sorted order; private ones (``_x``) and what they contain are left out."""
    modules = []
    for package_name in BUILTIN_PACKAGES:
        package = importlib.import_module(package_name)
        modules.append(package_name)
        found = pkgutil.walk_packages(package.__path__, prefix=f"{package_name}.")
        for info in sorted(found, key=lambda info: info.name):
            relative = info.name.removeprefix(f"{package_name}.")
            if not any(part.startswith("_") for part in relative.split(".")):
                modules.append(info.name)
    return modules


_loaded = False


def load_components() -> None:
    """Import the built-in component modules and the installed plug-ins, once."""
    global _loaded
    if _loaded:
        return
    _loaded = True  # set first: component modules query registries while importing
    from derainbench import plugins

    for module in builtin_modules():
        plugins.import_reporting_failure(module, source="built-in")
    plugins.load_configured_plugins()


GENERATORS = Registry("generator", load_components, GeneratorInfo)
DISCRIMINATORS = Registry("discriminator", load_components, DiscriminatorInfo)
OBJECTIVES = Registry("objective", load_components, ObjectiveInfo)
TERMS = Registry("term", load_components, TermInfo)
PENALTIES = Registry("penalty", load_components, PenaltyInfo)
DATASETS = Registry("dataset", load_components, DatasetInfo)
PROTOCOLS = Registry("protocol", load_components, ProtocolInfo)
SCORES = Registry("score", load_components, ScoreInfo)
RECIPES = Registry("recipe", load_components, RecipeInfo)

ALL: dict[str, Registry] = {
    "generators": GENERATORS,
    "discriminators": DISCRIMINATORS,
    "objectives": OBJECTIVES,
    "terms": TERMS,
    "penalties": PENALTIES,
    "datasets": DATASETS,
    "protocols": PROTOCOLS,
    "scores": SCORES,
    "recipes": RECIPES,
}
