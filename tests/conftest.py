"""Shared fixtures: tiny configurations that train in a fraction of a second on a CPU."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest
import torch

from derainbench.config import ExperimentConfig
from derainbench.experiments.compose import compose
from derainbench.registries import ALL

# Caches (decoded-file records) go to a folder of the test session's, never the user's home;
# subprocesses started by tests inherit it.
os.environ["DERAINBENCH_CACHE"] = tempfile.mkdtemp(prefix="derainbench-test-cache-")

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


def tiny_config(*overrides: str, steps: int = 4, seed: int = 0, **options: Any) -> ExperimentConfig:
    """A resolved pix2pix configuration on in-memory toy rain, small enough for unit tests."""
    no_gan = options.get("discriminator") == "none"
    tiny = [o for o in TINY_OVERRIDES if not (no_gan and o.startswith("discriminator."))]
    return compose(
        "pix2pix",
        train_data="toyrain-sk:train",
        test_data="toyrain-sk:test",
        steps=steps,
        batch_size=2,
        crop=32,
        seed=seed,
        device="cpu",
        overrides=[*tiny, *overrides],
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
    requested = list(plugins.REQUESTED)
    yield
    for kind, registry in ALL.items():
        registry._entries.clear()
        registry._entries.update(saved[kind])
    plugins.LOADED[:] = loaded
    plugins.FAILURES[:] = failures
    plugins.REQUESTED[:] = requested


@pytest.fixture(autouse=True)
def _deterministic_threads() -> Iterator[None]:
    # Results must not depend on how many threads a CI machine offers.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def edited(config: ExperimentConfig, **tables: Any) -> ExperimentConfig:
    """``config`` with whole sections replaced by TOML-style tables, resolved again."""
    from derainbench.config import resolve

    return resolve({**config.to_dict(), **tables})


def with_term(config: ExperimentConfig, **term: Any) -> ExperimentConfig:
    """``config`` with one more loss term (a TOML-style table: name, options, weight)."""
    return edited(config, terms=[*config.to_dict()["terms"], term])


def model_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """A leaderboard's rows of trained models, without the rainy input's (one per test set and
    protocol, recorded beside them)."""
    return frame[frame["run_id"].astype(str) != "rainy-input"].reset_index(drop=True)
