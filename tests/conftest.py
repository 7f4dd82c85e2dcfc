"""Shared fixtures: tiny configurations that train in a fraction of a second on a CPU."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import torch

from derainbench.cli.train_command import build_config
from derainbench.registries import ALL

# The paper's architectures at toy width and depth: a real forward/backward in milliseconds.
TINY_OVERRIDES = [
    "generator.ngf=4",
    "generator.num_downs=5",
    "discriminator.ndf=4",
    "discriminator.n_layers=2",
    "data.train.n=6",
    "data.train.size=48",
    "data.test.n=3",
    "data.test.size=40",
    "run.log_every=1",
    "run.sample_every=1000",
    "run.checkpoint_every=2",
]


def tiny_config(*overrides: str, steps: int = 4, seed: int = 0, **options: Any) -> dict[str, Any]:
    """A resolved pix2pix configuration on in-memory toy rain, small enough for unit tests."""
    return build_config(
        "pix2pix",
        train_data="toyrain-sk:train",
        test_data="toyrain-sk:test",
        steps=steps,
        batch_size=2,
        crop=32,
        seed=seed,
        device="cpu",
        overrides=[*TINY_OVERRIDES, *overrides],
        **options,
    )


@pytest.fixture
def registry_snapshot() -> Iterator[None]:
    """Undo registrations made by a test (temporary components, plug-ins)."""
    from derainbench import plugins
    from derainbench.registries import load_components

    load_components()  # snapshot the loaded state, not an empty registry that loads later
    saved = {kind: dict(registry._entries) for kind, registry in ALL.items()}
    loaded, failures = list(plugins.LOADED), list(plugins.FAILURES)
    yield
    for kind, registry in ALL.items():
        registry._entries.clear()
        registry._entries.update(saved[kind])
    plugins.LOADED[:] = loaded
    plugins.FAILURES[:] = failures


@pytest.fixture(autouse=True)
def _deterministic_threads() -> Iterator[None]:
    # Results must not depend on how many threads a CI machine offers.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
