"""Adapters on tiny folders laid out like each real deraining set, and the validation split."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from derainbench.datasets.check import check_dataset
from derainbench.datasets.layouts import find_layout
from derainbench.datasets.masks import raindrop_mask
from derainbench.datasets.paired_folder import PairedFolder
from derainbench.datasets.splits import split_by_hash
from derainbench.errors import DataError
from derainbench.registries import DATASETS


def image(path: Path, height: int = 12, width: int = 16, seed: int = 0, mode: str = "RGB") -> Path:
    """Write a random image (any suffix PIL knows; JPEG is lossy, PNG exact)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pixels = np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)
    Image.fromarray(pixels).convert(mode).save(path)
    return path


def raindrop_split(root: Path, n: int = 3, suffix: str = ".png") -> Path:
    for i in range(n):
        image(root / "data" / f"{i}_rain{suffix}", seed=i)
        image(root / "gt" / f"{i}_clean{suffix}", seed=100 + i)
    return root


def test_raindrop_splits_png_and_jpeg_with_a_481x721_image(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    root = tmp_path / "Raindrop"
    raindrop_split(root / "train")
    raindrop_split(root / "test_a")
    raindrop_split(root / "test_b", suffix=".jpg")
    image(root / "test_a" / "data" / "7_rain.png", 481, 721, seed=7)
    image(root / "test_a" / "gt" / "7_clean.png", 480, 720, seed=8)
    with caplog.at_level(logging.WARNING, logger="derainbench.data"):
        test_a = PairedFolder(root / "test_a")
    assert len(test_a) == 4 and test_a.describe()["layout"] == "raindrop"
    rainy, clean = test_a.load_pair(3)
    assert rainy.shape == clean.shape == (3, 480, 720)  # cropped top-left, as the authors did
    assert "7_rain.png" in caplog.text and "481x721" in caplog.text
    assert len(PairedFolder(root / "test_b")) == 3
    with pytest.raises(DataError, match=r"root of the Raindrop set.*test_a"):
        PairedFolder(root)
    report = check_dataset(root)
    assert [Path(s.path).name for s in report.splits] == ["test_a", "test_b", "train"]
    assert report.ok and report.splits[0].size_mismatches == [
        "7_rain.png 481x721 vs 7_clean.png 480x720 (HxW)"
    ]


def test_grayscale_images_become_rgb(tmp_path: Path) -> None:
    image(tmp_path / "input" / "a.png", mode="L")
    image(tmp_path / "target" / "a.png", mode="L", seed=1)
    sample = PairedFolder(tmp_path)[0]
    assert sample["rainy"].shape == (3, 12, 16)
    assert torch.equal(sample["rainy"][0], sample["rainy"][2])
    assert PairedFolder(tmp_path).describe()["layout"] == "rain13k"


def test_missing_partner_and_corrupt_file_are_named(tmp_path: Path) -> None:
    raindrop_split(tmp_path, n=2)
    image(tmp_path / "data" / "5_rain.png")
    with pytest.raises(DataError, match=r"1 rainy image has no clean partner in .*gt: 5_rain\.png"):
        PairedFolder(tmp_path)
    (tmp_path / "gt" / "1_clean.png").write_bytes(b"\x89PNG not really")
    report = check_dataset(tmp_path)
    (split,) = report.splits
    assert not report.ok and split.missing == ["5_rain.png"]
    assert len(split.unreadable) == 1 and "1_clean.png" in split.unreadable[0]
    assert "1 missing partner" in report.problems() and "1 unreadable" in report.problems()


def test_rain100_flat_and_rain1400_many_to_one(tmp_path: Path) -> None:
    flat = tmp_path / "Rain100L"
    for i in (1, 2):
        image(flat / f"rain-{i:03d}.png", seed=i)
        image(flat / f"norain-{i:03d}.png", seed=i)
    assert PairedFolder(flat).describe()["layout"] == "rain100"
    rain1400 = tmp_path / "Rain1400"
    for i in (1, 2):
        image(rain1400 / "ground_truth" / f"{i}.jpg", seed=i)
        for k in range(1, 15):
            image(rain1400 / "rainy_image" / f"{i}_{k}.jpg", seed=10 * i + k)
    dataset = PairedFolder(rain1400)
    assert len(dataset) == 28 and dataset.describe()["layout"] == "rain1400"
    assert dataset.pair_names()[:3] == ["1_1.jpg", "1_2.jpg", "1_3.jpg"]
    assert {clean.name for _, clean in dataset.pairs} == {"1.jpg", "2.jpg"}


def test_rain800_side_by_side_splits_at_half_width(tmp_path: Path) -> None:
    clean, rainy = np.zeros((10, 8, 3), np.uint8), np.full((10, 8, 3), 200, np.uint8)
    tmp_path.joinpath("Rain800").mkdir()
    Image.fromarray(np.concatenate([clean, rainy], 1)).save(tmp_path / "Rain800" / "1.png")
    for dataset in (
        PairedFolder(tmp_path / "Rain800"),
        DATASETS.create("rain800", root=str(tmp_path / "Rain800")),
    ):
        sample = dataset[0]
        assert sample["rainy"].shape == sample["clean"].shape == (3, 10, 8)
        assert float(sample["clean"].max()) == 0 and float(sample["rainy"].min()) > 0.78
        assert dataset.describe()["layout"] == "side-by-side"


def test_generic_folders_and_pair_lists(tmp_path: Path) -> None:
    generic = tmp_path / "mine"
    image(generic / "degraded_rain" / "street.png")
    image(generic / "clean_truth" / "street.jpg")
    assert find_layout(generic).kind == "folders" and len(PairedFolder(generic)) == 1
    lists = tmp_path / "lists"
    image(lists / "a" / "x.png")
    image(lists / "b" / "x.png", seed=1)
    image(lists / "a" / "y.png", seed=2)
    (lists / "pairs.csv").write_text("rainy,clean\n# a comment\na/x.png,b/x.png\n")
    (lists / "pairs.txt").write_text("a/x.png b/x.png\na/y.png b/missing.png\n")
    from_csv = PairedFolder(lists / "pairs.csv")
    assert len(from_csv) == 1 and from_csv.pair_names() == ["a/x.png"]
    assert len(DATASETS.create("pair-list", path=str(lists / "pairs.csv"))) == 1
    with pytest.raises(
        DataError, match=r"1 file named in .*pairs\.txt do not exist: b/missing\.png"
    ):
        PairedFolder(lists / "pairs.txt")
    (lists / "bad.txt").write_text("a/x.png\n")
    with pytest.raises(DataError, match=r"bad\.txt line 1: expected two paths"):
        PairedFolder(lists / "bad.txt")


def test_folder_datasets_derive_masks_when_asked(tmp_path: Path) -> None:
    raindrop_split(tmp_path, n=1)
    dataset = PairedFolder(tmp_path, mask_rule="max", crop=8, flip=True)
    assert dataset.provides == frozenset({"mask"})
    full = PairedFolder(tmp_path, mask_rule="max")
    rainy, clean = full.load_pair(0)
    assert torch.equal(full[0]["mask"], raindrop_mask(rainy, clean))
    assert dataset[0, 3]["mask"].shape == (1, 8, 8)
    with pytest.raises(DataError, match="unknown mask_rule 'blob'"):
        PairedFolder(tmp_path, mask_rule="blob")


def test_validation_split_is_deterministic_disjoint_and_never_from_test(tmp_path: Path) -> None:
    names = [f"{i}_rain.png" for i in range(200)]
    train, val = split_by_hash(names, 0.1, salt="s")
    assert not set(train) & set(val) and len(train) + len(val) == 200
    assert 8 <= len(val) <= 35 and split_by_hash(names, 0.1, salt="s") == (train, val)
    assert split_by_hash(names[:150], 0.1, salt="s")[1] == [n for n in val if n in names[:150]]
    assert split_by_hash(names, 0.1, salt="other")[1] != val
    root = raindrop_split(tmp_path / "Raindrop" / "train", n=20)
    fit = PairedFolder(root, val_fraction=0.3)
    held = PairedFolder(root, val_fraction=0.3, subset="val")
    assert set(fit.pair_names()).isdisjoint(held.pair_names())
    assert len(fit) + len(held) == 20 and fit.describe()["subset"] == "train"
    test = raindrop_split(tmp_path / "Raindrop" / "test_a", n=2)
    with pytest.raises(DataError, match="refusing to carve validation data out of .*test_a"):
        PairedFolder(test, val_fraction=0.2)
