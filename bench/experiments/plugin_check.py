"""``derain-bench check-plugin``: the registry contract, run on the models a plug-in registers.

The same checks the test suite runs on every built-in generator and discriminator (it calls
these functions), so that a plug-in author learns what training would trip over before a run:
the built instance's type and metadata against its record, output types and shapes, gradients
reaching every parameter, logits rather than probabilities, deterministic eval mode.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import nn

from derainbench.contracts import Discriminator, Generator, Judgement, Restoration
from derainbench.errors import DerainBenchError
from derainbench.plugins import FAILURES, PluginWarning, load_plugin
from derainbench.registries import DISCRIMINATORS, GENERATORS, load_components
from derainbench.registry import Registry


@dataclass
class ContractReport:
    """One registered model and what its contract check found (no problems: it passes)."""

    kind: str
    name: str
    problems: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.problems


def _build(registry: Registry, name: str, tiny: bool) -> object:
    info = registry.get(name).info
    return registry.create(name, **(info.test_kwargs if tiny else {}))


def generator_problems(name: str) -> list[str]:
    """What generator ``name`` does that training or evaluation would not accept."""
    problems = []
    info = GENERATORS.get(name).info
    paper = _build(GENERATORS, name, tiny=False)
    if not isinstance(paper, Generator):
        return [f"builds a {type(paper).__name__}, not a derainbench.contracts.Generator"]
    if paper.multiple_of != info.multiple_of:
        problems.append(f"multiple_of is {paper.multiple_of} but the record says "
                        f"{info.multiple_of}")  # fmt: skip
    if paper.provides != info.provides:
        problems.append(f"provides {sorted(paper.provides)} but the record says "
                        f"{sorted(info.provides)}")  # fmt: skip
    torch.manual_seed(0)
    generator = _build(GENERATORS, name, tiny=True)
    assert isinstance(generator, Generator)
    side = max(generator.multiple_of, 8)
    rainy = torch.rand(2, 3, side, side + generator.multiple_of, requires_grad=True)
    out = generator(rainy)
    if not isinstance(out, Restoration):
        return [*problems, f"forward returns a {type(out).__name__}, not a Restoration"]
    if out.image.shape != rainy.shape:
        problems.append(f"restores a {tuple(rainy.shape)} batch to {tuple(out.image.shape)}")
    if out.image.dtype != torch.float32:
        problems.append(f"returns {out.image.dtype}, not float32")
    auxiliary = [*(out.pyramid or []), *(out.attention or [])]
    (out.image.float().mean() + sum(x.float().mean() for x in auxiliary)).backward()
    silent = [n for n, p in generator.named_parameters() if p.requires_grad and p.grad is None]
    if silent:
        problems.append(f"no gradient reaches {len(silent)} parameter(s), e.g. {silent[0]}")
    if any(p.grad is not None and not torch.isfinite(p.grad).all()
           for p in generator.parameters()):  # fmt: skip
        problems.append("a gradient is NaN or infinite")
    if ("attention" in generator.provides) != bool(out.attention):
        problems.append("attention maps returned without 'attention' in provides, or the "
                        "other way round")  # fmt: skip
    generator.eval()
    with torch.no_grad():
        probe = torch.rand(1, 3, side, side)
        if not torch.equal(generator(probe).image, generator(probe).image):
            problems.append("eval mode is not deterministic (dropout or noise left on)")
    return problems


def discriminator_problems(name: str) -> list[str]:
    """What discriminator ``name`` does that training would not accept."""
    problems = []
    info = DISCRIMINATORS.get(name).info
    paper = _build(DISCRIMINATORS, name, tiny=False)
    if not isinstance(paper, Discriminator):
        return [f"builds a {type(paper).__name__}, not a derainbench.contracts.Discriminator"]
    for attribute in ("conditional", "provides", "input_size"):
        if getattr(paper, attribute) != getattr(info, attribute):
            problems.append(f"{attribute} is {getattr(paper, attribute)!r} but the record says "
                            f"{getattr(info, attribute)!r}")  # fmt: skip
    torch.manual_seed(0)
    discriminator = _build(DISCRIMINATORS, name, tiny=True)
    assert isinstance(discriminator, Discriminator)
    x = torch.rand(2, 6 if discriminator.conditional else 3, 64, 64, requires_grad=True)
    out = discriminator(x)
    if not isinstance(out, Judgement):
        return [*problems, f"forward returns a {type(out).__name__}, not a Judgement"]
    if tuple(out.logits.shape[:2]) != (2, 1):
        problems.append(f"logits of shape {tuple(out.logits.shape)}: expected (B, 1, ...)")
    if out.logits.dtype != torch.float32:
        problems.append(f"logits are {out.logits.dtype}, not float32")
    modules = list(discriminator.modules())
    if len(modules) > 1 and isinstance(modules[-1], nn.Sigmoid):
        problems.append("ends in a sigmoid: return logits (the objectives apply their own)")
    out.logits.mean().backward()
    if x.grad is None or not torch.isfinite(x.grad).all():
        problems.append("no finite gradient reaches the input (the generator could not learn)")
    return problems


CHECKS: dict[str, tuple[Registry, Callable[[str], list[str]]]] = {
    "generator": (GENERATORS, generator_problems),
    "discriminator": (DISCRIMINATORS, discriminator_problems),
}


def check_plugin(spec: str) -> list[ContractReport]:
    """Load the plug-in ``spec`` (a module path or a ``.py`` file) and check the contract of
    every generator and discriminator it registers."""
    load_components()
    before = {kind: set(registry.names()) for kind, (registry, _) in CHECKS.items()}
    failures = len(FAILURES)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PluginWarning)  # its reason goes into the one line
        loaded = load_plugin(spec)
    if not loaded or len(FAILURES) > failures:
        reason = FAILURES[-1].reason if len(FAILURES) > failures else "it could not be imported"
        raise DerainBenchError(f"plug-in {spec} did not load: {reason}")
    reports = []
    for kind, (registry, problems_of) in CHECKS.items():
        for name in sorted(set(registry.names()) - before[kind]):
            try:
                problems = problems_of(name)
            except Exception as error:  # noqa: BLE001 - a plug-in may fail any way; report it
                problems = [f"raised {type(error).__name__}: {error}".splitlines()[0]]
            reports.append(ContractReport(kind, name, problems))
    if not reports:
        raise DerainBenchError(f"plug-in {spec} registers no generator or discriminator")
    return reports
