"""Refuse, before training starts, a recipe whose loss terms need what its components lack."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from derainbench.contracts import ATTENTION, D_ATTENTION, MASK, PYRAMID
from derainbench.errors import IncompatibleComponentsError

# Which component provides each need, and how to say it in a sentence.
PROVIDERS: dict[str, tuple[str, str]] = {
    ATTENTION: ("generator", "attention maps"),
    PYRAMID: ("generator", "multi-scale side outputs"),
    D_ATTENTION: ("discriminator", "an attention map"),
    MASK: ("dataset", "rain masks"),
}


@dataclass(frozen=True)
class Component:
    """A built component as the check sees it: its kind, registry name and what it provides."""

    kind: str  # "generator", "discriminator" or "dataset"
    name: str
    provides: frozenset[str]


def check_term_needs(term_name: str, needs: Iterable[str], components: Iterable[Component]) -> None:
    """Raise one sentence naming the term, the need and the component when a need is unmet."""
    by_kind = {c.kind: c for c in components}
    for need in sorted(needs):
        kind, what = PROVIDERS.get(need, ("generator", need))
        component = by_kind.get(kind)
        if component is None:
            raise IncompatibleComponentsError(
                f"loss term '{term_name}' needs {what} from a {kind}, but the recipe has no {kind}"
            )
        if need not in component.provides:
            raise IncompatibleComponentsError(
                f"loss term '{term_name}' needs {what}, which {kind} '{component.name}' "
                f"does not produce"
            )
