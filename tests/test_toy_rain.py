"""ToyRain-SK: deterministic, offline, split by background, and readable as a paired folder."""

from __future__ import annotations

import hashlib
import json
import socket
import warnings
from pathlib import Path

import pytest
import torch

from derainbench.datasets.paired_folder import PairedFolder
from derainbench.datasets.toy_rain import (
    TEST_BACKGROUNDS,
    TOY_RAIN_NAME,
    TOY_RAIN_VERSION,
    TRAIN_BACKGROUNDS,
    render_sample,
    render_streaks,
    toyrain_sk,
    write_toy_rain_set,
)
from derainbench.errors import DataError


def digest(folder: Path) -> str:
    """SHA-256 over every PNG's relative path and bytes."""
    sha = hashlib.sha256()
    for path in sorted(folder.rglob("*.png")):
        sha.update(str(path.relative_to(folder)).encode() + path.read_bytes())
    return sha.hexdigest()


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """The toy set must never download anything (the photos ship in the scikit-image wheel)."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("ToyRain-SK tried to open a network connection")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_same_seed_gives_identical_bytes_and_other_seeds_differ(tmp_path: Path) -> None:
    first = write_toy_rain_set(tmp_path / "a", n_train=4, n_test=2, size=32, seed=3)
    second = write_toy_rain_set(tmp_path / "b", n_train=4, n_test=2, size=32, seed=3)
    other = write_toy_rain_set(tmp_path / "c", n_train=4, n_test=2, size=32, seed=4)
    assert digest(first) == digest(second) != digest(other)


def test_layout_info_and_paired_folder_round_trip(tmp_path: Path) -> None:
    out = write_toy_rain_set(tmp_path / "toy", n_train=5, n_test=3, size=48, seed=0)
    assert sorted(p.name for p in (out / "train" / "data").iterdir())[:2] == [
        "0_rain.png",
        "1_rain.png",
    ]
    assert (out / "test" / "gt" / "2_clean.png").is_file() and (out / "README.txt").is_file()
    info = json.loads((out / "info.json").read_text())
    assert info["name"] == TOY_RAIN_NAME and info["version"] == TOY_RAIN_VERSION
    assert info["seed"] == 0 and info["size"] == 48 and info["pairs"] == {"train": 5, "test": 3}
    assert [s["background"] in TEST_BACKGROUNDS for s in info["samples"]["test"]] == [True] * 3
    assert all(s["background"] in TRAIN_BACKGROUNDS for s in info["samples"]["train"])
    assert all(-20 <= s["angle"] <= 20 for s in info["samples"]["train"])

    folder = PairedFolder(out / "train")
    memory = toyrain_sk("train", n=5, size=48, seed=0)
    assert len(folder) == len(memory) == 5 and folder.pair_names() == memory.pair_names()
    for index in range(5):
        on_disk, in_memory = folder[index], memory[index]
        assert on_disk["rainy"].shape == (3, 48, 48)
        assert torch.equal(on_disk["rainy"], in_memory["rainy"])
        assert torch.equal(on_disk["clean"], in_memory["clean"])


def test_writing_is_idempotent_and_removes_stale_files(tmp_path: Path) -> None:
    out = write_toy_rain_set(tmp_path, n_train=4, n_test=2, size=32)
    before = digest(out)
    stamp = (out / "train/data/0_rain.png").stat().st_mtime_ns
    write_toy_rain_set(tmp_path, n_train=4, n_test=2, size=32)
    assert digest(out) == before
    assert (out / "train/data/0_rain.png").stat().st_mtime_ns == stamp  # nothing rewritten
    write_toy_rain_set(tmp_path, n_train=2, n_test=2, size=32)
    assert sorted(p.name for p in (out / "train/gt").iterdir()) == ["0_clean.png", "1_clean.png"]
    (out / "test/gt/1_clean.png").unlink()  # an incomplete set is written again
    write_toy_rain_set(tmp_path, n_train=2, n_test=2, size=32)
    assert (out / "test/gt/1_clean.png").is_file()


def test_rainy_differs_from_clean_exactly_inside_the_streaks() -> None:
    sample = render_sample("train", 0, size=64, seed=1)
    rainy, clean, mask = sample["rainy"], sample["clean"], sample["mask"][0]
    streaks = mask > 0.2
    assert 0.002 < streaks.float().mean() < 0.5
    # Screen blending only brightens, and leaves the scene untouched where there is no streak.
    assert torch.all(rainy >= clean)
    assert torch.equal(rainy[:, mask == 0], clean[:, mask == 0])
    visible = streaks & (clean.max(0).values < 0.9)
    assert visible.any() and torch.all((rainy - clean).amax(0)[visible] > 0)


def test_render_streaks_is_seeded_and_near_vertical() -> None:
    clean = torch.full((3, 64, 64), 0.25)
    a = render_streaks(clean, torch.Generator().manual_seed(5), length=20, angle=0.0)
    b = render_streaks(clean, torch.Generator().manual_seed(5), length=20, angle=0.0)
    c = render_streaks(clean, torch.Generator().manual_seed(6), length=20, angle=0.0)
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1]) and not torch.equal(a[1], c[1])
    mask = a[1][0]
    # Vertical streaks: intensity changes far more across columns than along them.
    assert (mask.diff(dim=1).abs().sum()) > 3 * (mask.diff(dim=0).abs().sum())


def test_train_and_test_backgrounds_are_disjoint() -> None:
    assert len(TRAIN_BACKGROUNDS) >= 5 and len(TEST_BACKGROUNDS) >= 2
    assert not set(TRAIN_BACKGROUNDS) & set(TEST_BACKGROUNDS)
    test_backgrounds = {render_sample("test", i, size=32)["background"] for i in range(12)}
    assert test_backgrounds <= set(TEST_BACKGROUNDS)


def test_in_memory_set_crops_flips_describes_and_is_registered() -> None:
    from derainbench.plugins import PluginWarning
    from derainbench.registries import DATASETS

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PluginWarning)  # other components may not be built yet
        dataset = DATASETS.create("toyrain-sk", split="test", n=3, size=32, crop=16, flip=True)
    sample = dataset[1, 99]
    assert sample["rainy"].shape == sample["clean"].shape == (3, 16, 16)
    assert torch.equal(dataset[1, 99]["rainy"], sample["rainy"])
    sample["rainy"].zero_()  # editing a sample must not change the cached pair
    assert dataset[1, 99]["rainy"].any()
    info = dataset.describe()
    assert info["version"] == TOY_RAIN_VERSION and info["split"] == "test"
    assert info["backgrounds"] == list(TEST_BACKGROUNDS) and info["pairs"] == 3
    with pytest.raises(DataError, match="unknown ToyRain-SK split 'val'"):
        toyrain_sk("val")
    with pytest.raises(DataError, match="larger than the 32 px samples"):
        toyrain_sk(size=32, crop=48)
