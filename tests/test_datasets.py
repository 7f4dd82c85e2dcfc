"""Image reading/writing, paired transforms and the paired-folder adapter, on tiny images."""

from __future__ import annotations

import logging
import struct
import warnings
import zlib
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from derainbench.datasets.image_io import image_size, load_rgb, save_png
from derainbench.datasets.paired_folder import PairedFolder, pair_key
from derainbench.datasets.transforms import center_crop, paired_hflip, paired_random_crop
from derainbench.errors import DataError


def write_image(path: Path, array: np.ndarray, mode: str | None = None) -> Path:
    """Save an (H, W[, C]) uint8 array with PIL, creating folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.fromarray(array)
    if mode is not None:
        image = image.convert(mode)
    image.save(path)
    return path


def random_rgb(height: int, width: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)


def as_array(image: torch.Tensor) -> np.ndarray:
    """(3, H, W) float → (H, W, 3) uint8, exact for images that came from 8-bit files."""
    return (image.permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)


def png_16bit(path: Path, array: np.ndarray) -> Path:
    """A 16-bit RGB or RGBA PNG written byte by byte (PIL cannot write one).

    Rows cycle through all five PNG filters, so the reader's unfiltering is exercised too.
    """
    height, width, channels = array.shape
    raw = array.astype(">u2").view(np.uint8).reshape(height, width * channels * 2).astype(int)
    bpp = channels * 2
    left = np.pad(raw, ((0, 0), (bpp, 0)))[:, :-bpp]
    up = np.pad(raw, ((1, 0), (0, 0)))[:-1]
    up_left = np.pad(up, ((0, 0), (bpp, 0)))[:, :-bpp]
    estimate = left + up - up_left
    pa, pb, pc = abs(estimate - left), abs(estimate - up), abs(estimate - up_left)
    paeth = np.where((pa <= pb) & (pa <= pc), left, np.where(pb <= pc, up, up_left))
    predictions = [0 * raw, left, up, (left + up) // 2, paeth]
    rows = b"".join(
        bytes([y % 5]) + ((raw[y] - predictions[y % 5][y]) % 256).astype(np.uint8).tobytes()
        for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 16, {3: 2, 4: 6}[channels], 0, 0, 0)

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )
    return path


# --- image_io ------------------------------------------------------------------------------------


def test_load_rgb_returns_float_rgb_in_unit_range(tmp_path: Path) -> None:
    pixels = random_rgb(5, 7)
    image = load_rgb(write_image(tmp_path / "a.png", pixels))
    assert image.dtype == torch.float32 and image.shape == (3, 5, 7)
    assert np.array_equal(as_array(image), pixels)
    assert image_size(tmp_path / "a.png") == (5, 7)


@pytest.mark.parametrize("mode", ["L", "LA", "P", "1"])
def test_grey_and_palette_images_become_three_equal_channels(tmp_path: Path, mode: str) -> None:
    grey = np.array([[0, 255, 128], [255, 0, 255]], dtype=np.uint8)
    image = load_rgb(write_image(tmp_path / "g.png", grey, mode))
    assert image.shape == (3, 2, 3)
    assert torch.equal(image[0], image[1]) and torch.equal(image[1], image[2])
    assert image[0, 0, 0] == 0.0 and image[0, 0, 1] == 1.0


def test_rgba_drops_alpha_without_compositing(tmp_path: Path) -> None:
    rgba = np.zeros((2, 2, 4), dtype=np.uint8)
    rgba[..., :3] = [200, 100, 50]  # alpha stays 0: a composite on black would give zeros
    image = load_rgb(write_image(tmp_path / "a.png", rgba))
    assert image.shape == (3, 2, 2)
    assert torch.allclose(image[:, 0, 0], torch.tensor([200, 100, 50]) / 255.0)


def test_16bit_grey_png_scales_by_65535(tmp_path: Path) -> None:
    values = np.array([[0, 32768, 65535]], dtype=np.uint16)
    path = tmp_path / "g16.png"
    Image.fromarray(values).save(path)
    assert Image.open(path).mode == "I;16"
    image = load_rgb(path)
    assert image.shape == (3, 1, 3)
    assert image[0, 0, 0] == 0.0 and image[2, 0, 2] == 1.0
    assert abs(float(image[1, 0, 1]) - 0.5) < 1e-4


@pytest.mark.parametrize("channels", [3, 4])
def test_16bit_colour_png_keeps_16_bits(tmp_path: Path, channels: int) -> None:
    values = np.random.default_rng(0).integers(0, 65536, (10, 7, channels), dtype=np.uint16)
    values[0, 0, :3] = [65535, 32768, 1000]  # Pillow alone would give 255, 128, 3 (8 bits)
    image = load_rgb(png_16bit(tmp_path / "rgb16.png", values))
    assert image.shape == (3, 10, 7)
    expected = torch.from_numpy(values[:, :, :3].astype(np.float32)).permute(2, 0, 1) / 65535
    assert torch.equal(image, expected)
    assert image[0, 0, 0] == 1.0 and abs(float(image[1, 0, 0]) - 0.5) < 1e-4


def test_16bit_rgb_tiff_keeps_16_bits(tmp_path: Path) -> None:
    tifffile = pytest.importorskip("tifffile")
    values = np.zeros((2, 2, 3), dtype=np.uint16)
    values[1, 1] = [65535, 32768, 1000]
    tifffile.imwrite(tmp_path / "rgb16.tif", values)
    image = load_rgb(tmp_path / "rgb16.tif")
    assert torch.allclose(image[:, 1, 1], torch.tensor([65535, 32768, 1000]) / 65535.0)


def test_unreadable_files_raise_one_line_data_error_naming_the_file(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.png"
    garbage.write_bytes(b"this is not a png")
    truncated = tmp_path / "truncated.png"
    write_image(tmp_path / "whole.png", random_rgb(64, 64))
    truncated.write_bytes((tmp_path / "whole.png").read_bytes()[:200])
    for path in (garbage, truncated, tmp_path / "missing.png"):
        with pytest.raises(DataError, match="cannot read image") as error:
            load_rgb(path)
        assert str(path) in str(error.value) and "\n" not in str(error.value)
    with pytest.raises(DataError, match=r"garbage\.png"):
        image_size(garbage)


def test_save_png_rounds_and_writes_atomically(tmp_path: Path) -> None:
    image = torch.zeros(3, 1, 4)
    image[:, 0] = torch.tensor([0.49 / 255, 0.51 / 255, 254.4 / 255, 254.6 / 255])
    path = save_png(image, tmp_path / "new" / "folder" / "x.png")
    pixels = np.asarray(Image.open(path))
    assert pixels[0, :, 0].tolist() == [0, 1, 254, 255]  # truncation would give 0, 0, 254, 254
    assert sorted(p.name for p in path.parent.iterdir()) == ["x.png"]  # no temp file left


def test_save_then_load_is_exact_for_8bit_values(tmp_path: Path) -> None:
    image = torch.from_numpy(random_rgb(6, 5)).permute(2, 0, 1).float() / 255
    assert torch.equal(load_rgb(save_png(image, tmp_path / "x.png")), image)
    with pytest.raises(ValueError, match="shape"):
        save_png(image[:1], tmp_path / "grey.png")


# --- transforms ----------------------------------------------------------------------------------


def coordinate_image(height: int, width: int) -> torch.Tensor:
    """Every pixel distinct, so a crop's position can be read back from its values."""
    values = torch.arange(height * width, dtype=torch.float32).reshape(1, height, width)
    return values.expand(3, height, width).clone()


def test_paired_random_crop_takes_the_same_window_from_both() -> None:
    rainy = coordinate_image(10, 12)
    for seed in range(20):
        a, b = paired_random_crop(rainy, rainy.clone(), (4, 5), torch.Generator().manual_seed(seed))
        assert a.shape == (3, 4, 5) and torch.equal(a, b)
        top, left = divmod(int(a[0, 0, 0]), 12)
        assert torch.equal(a, rainy[:, top : top + 4, left : left + 5])


def test_crop_larger_than_image_and_mismatched_pair_are_data_errors() -> None:
    image = torch.zeros(3, 4, 6)
    with pytest.raises(DataError, match=r"4x6 \(HxW\) is smaller than the crop 5x5"):
        paired_random_crop(image, image, 5, torch.Generator())
    with pytest.raises(DataError, match="differ in size"):
        paired_random_crop(image, torch.zeros(3, 4, 5), 2, torch.Generator())
    with pytest.raises(DataError, match="smaller than the crop"):
        center_crop(image, (2, 7))


def test_paired_hflip_flips_both_or_neither() -> None:
    image = coordinate_image(3, 4)
    flipped = 0
    for seed in range(32):
        a, b = paired_hflip(image, image.clone(), torch.Generator().manual_seed(seed))
        assert torch.equal(a, b)
        flipped += torch.equal(a, image.flip(-1))
    assert 5 < flipped < 27  # probability one half


def test_center_crop_is_central() -> None:
    image = coordinate_image(6, 6)
    assert torch.equal(center_crop(image, 2), image[:, 2:4, 2:4])


# --- PairedFolder --------------------------------------------------------------------------------


def make_pairs(
    root: Path, rainy_names: list[str], clean_names: list[str], size: tuple[int, int] = (8, 10)
) -> None:
    """Write pair i as rainy = clean = random_rgb(seed=i) under root (names include folders)."""
    for i, (rainy, clean) in enumerate(zip(rainy_names, clean_names, strict=True)):
        pixels = random_rgb(*size, seed=i)
        write_image(root / rainy, pixels)
        write_image(root / clean, pixels)


def test_pair_key_strips_raindrop_and_rain100_names() -> None:
    assert pair_key("12_rain") == pair_key("12_clean") == "12"
    assert pair_key("rain-001") == pair_key("norain-001") == "001"
    assert pair_key("street") == "street"


def test_raindrop_layout_pairs_by_stem_across_extensions(tmp_path: Path) -> None:
    names = ["1", "2", "10"]
    make_pairs(
        tmp_path,
        [f"data/{n}_rain.png" for n in names],
        [f"gt/{n}_clean.bmp" for n in names],  # lossless, so rainy == clean exactly
    )
    dataset = PairedFolder(tmp_path)
    assert len(dataset) == 3
    assert dataset.pair_names() == ["1_rain.png", "2_rain.png", "10_rain.png"]  # natural order
    for index in range(3):
        sample = dataset[index]
        assert torch.equal(sample["rainy"], sample["clean"])
        assert sample["rainy"].shape == (3, 8, 10)
    assert dataset[2]["name"] == "10_rain.png"
    info = dataset.describe()
    assert info["pairs"] == 3 and info["rainy"] == "data" and info["clean"] == "gt"
    assert info["root"] == str(tmp_path.absolute())


@pytest.mark.parametrize("flat", [False, True])
def test_rain100_naming_pairs_rain_with_norain(tmp_path: Path, flat: bool) -> None:
    rainy_dir, clean_dir = ("", "") if flat else ("rain/", "norain/")
    make_pairs(
        tmp_path,
        [f"{rainy_dir}rain-{i:03d}.png" for i in (1, 2)],
        [f"{clean_dir}norain-{i:03d}.tif" for i in (1, 2)],
    )
    dataset = PairedFolder(tmp_path)
    assert dataset.pair_names() == ["rain-001.png", "rain-002.png"]
    assert all(torch.equal(dataset[i]["rainy"], dataset[i]["clean"]) for i in range(2))


@pytest.mark.parametrize(
    ("rainy", "clean"), [("input", "target"), ("rainy", "clean"), ("lq", "gt"), ("Input", "GT")]
)
def test_other_layouts_are_detected(tmp_path: Path, rainy: str, clean: str) -> None:
    make_pairs(tmp_path, [f"{rainy}/a.png"], [f"{clean}/a.jpg"])
    assert len(PairedFolder(tmp_path)) == 1


def test_crop_and_flip_are_identical_on_both_images_and_seeded(tmp_path: Path) -> None:
    make_pairs(tmp_path, ["data/0_rain.png"], ["gt/0_clean.png"], size=(16, 20))
    dataset = PairedFolder(tmp_path, crop=(6, 8), flip=True)
    crops = []
    for seed in range(16):
        sample = dataset[0, seed]
        assert sample["rainy"].shape == (3, 6, 8)
        assert torch.equal(sample["rainy"], sample["clean"])
        assert torch.equal(dataset[0, seed]["rainy"], sample["rainy"])  # same key, same crop
        crops.append(sample["rainy"])
    assert any(not torch.equal(crops[0], other) for other in crops[1:])  # seeds differ
    assert torch.equal(dataset[0]["rainy"], dataset[0, 0]["rainy"])  # int key: seed = index


def test_square_int_crop_and_dataloader_with_seeded_keys(tmp_path: Path) -> None:
    make_pairs(tmp_path, ["input/a.png", "input/b.png"], ["target/a.png", "target/b.png"])
    dataset = PairedFolder(tmp_path, crop=4)
    loader = torch.utils.data.DataLoader(dataset, batch_size=2, sampler=[(0, 7), (1, 8)])
    batch = next(iter(loader))
    assert batch["rainy"].shape == (2, 3, 4, 4) and batch["name"] == ["a.png", "b.png"]
    with pytest.raises(IndexError):
        dataset[2]
    assert dataset[-1]["name"] == "b.png"


def test_mismatched_sizes_are_cropped_top_left_with_one_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    rainy, clean = random_rgb(10, 12, seed=1), random_rgb(9, 13, seed=2)
    write_image(tmp_path / "data/5_rain.png", rainy)
    write_image(tmp_path / "gt/5_clean.png", clean)
    with caplog.at_level(logging.WARNING, logger="derainbench.data"):
        dataset = PairedFolder(tmp_path)
        sample = dataset[0]
        dataset[0]
    assert sample["rainy"].shape == sample["clean"].shape == (3, 9, 12)
    assert np.array_equal(as_array(sample["rainy"]), rainy[:9, :12])
    assert np.array_equal(as_array(sample["clean"]), clean[:9, :12])
    warnings_ = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings_) == 1
    assert "5_rain.png" in warnings_[0] and "10x12" in warnings_[0] and "9x13" in warnings_[0]


def test_crop_larger_than_a_pair_fails_at_construction(tmp_path: Path) -> None:
    make_pairs(tmp_path, ["data/1_rain.png"], ["gt/1_clean.png"], size=(30, 30))
    make_pairs(tmp_path, ["data/2_rain.png"], ["gt/2_clean.png"], size=(12, 40))
    with pytest.raises(DataError, match=r"crop 16x16 \(HxW\) does not fit.*2_rain\.png at 12x40"):
        PairedFolder(tmp_path, crop=16)


def test_missing_clean_partners_are_listed(tmp_path: Path) -> None:
    make_pairs(tmp_path, ["data/1_rain.png"], ["gt/1_clean.png"])
    for n in (4, 7, 9):
        write_image(tmp_path / f"data/{n}_rain.png", random_rgb(8, 10))
    with pytest.raises(DataError) as error:
        PairedFolder(tmp_path)
    assert str(error.value) == (
        f"3 rainy images have no clean partner in {tmp_path / 'gt'}: "
        "4_rain.png, 7_rain.png, 9_rain.png"
    )
    for n in range(10, 20):
        write_image(tmp_path / f"data/{n}_rain.png", random_rgb(8, 10))
    with pytest.raises(
        DataError, match=r"^13 rainy images .*: 4_rain.png, .*, 11_rain.png, \.\.\.$"
    ):
        PairedFolder(tmp_path)


def test_clean_images_without_rainy_partner_are_ignored_with_a_notice(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    make_pairs(tmp_path, ["data/1_rain.png"], ["gt/1_clean.png"])
    write_image(tmp_path / "gt/2_clean.png", random_rgb(8, 10))
    with caplog.at_level(logging.WARNING, logger="derainbench.data"):
        dataset = PairedFolder(tmp_path)
    assert len(dataset) == 1
    assert "2_clean.png" in caplog.text and "ignored" in caplog.text


def test_folder_errors_name_the_folder(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="does not exist"):
        PairedFolder(tmp_path / "nowhere")
    (tmp_path / "photos").mkdir()
    (tmp_path / "other").mkdir()
    with pytest.raises(DataError) as error:
        PairedFolder(tmp_path)
    message = str(error.value)
    assert str(tmp_path) in message and "data/gt" in message and "input/target" in message
    assert "its sub-folders: other, photos" in message and "\n" not in message
    (tmp_path / "data").mkdir()
    (tmp_path / "gt").mkdir()
    (tmp_path / "data" / "notes.txt").write_text("not an image")
    with pytest.raises(DataError, match=f"no images in {tmp_path / 'data'}"):
        PairedFolder(tmp_path)


def test_unknown_layout_suggests_a_nested_dataset(tmp_path: Path) -> None:
    make_pairs(tmp_path / "test_a", ["data/1_rain.png"], ["gt/1_clean.png"])
    with pytest.raises(DataError, match=r"did you mean .*test_a\?$"):
        PairedFolder(tmp_path)


def test_two_rainy_files_with_one_key_are_refused(tmp_path: Path) -> None:
    make_pairs(tmp_path, ["data/1_rain.png", "data/1_rain.jpg"], ["gt/1_clean.png", "gt/2.png"])
    with pytest.raises(DataError, match=r"1_rain.(jpg|png) and 1_rain.(jpg|png) .* both pair"):
        PairedFolder(tmp_path)


def test_corrupt_files_are_named(tmp_path: Path) -> None:
    make_pairs(
        tmp_path, ["data/1_rain.png", "data/2_rain.png"], ["gt/1_clean.png", "gt/2_clean.png"]
    )
    (tmp_path / "gt/2_clean.png").write_bytes(b"\x00garbage")
    with pytest.raises(DataError, match=r"cannot read image .*2_clean\.png"):
        PairedFolder(tmp_path)  # header check at construction
    write_image(tmp_path / "gt/2_clean.png", random_rgb(64, 64))
    write_image(tmp_path / "data/2_rain.png", random_rgb(64, 64))
    whole = (tmp_path / "data/2_rain.png").read_bytes()
    (tmp_path / "data/2_rain.png").write_bytes(whole[: len(whole) // 2])
    dataset = PairedFolder(tmp_path)  # the header is intact; the damage shows when decoding
    with pytest.raises(DataError, match=r"cannot read image .*2_rain\.png"):
        dataset[1]


def test_paired_folder_is_registered(tmp_path: Path) -> None:
    from derainbench.plugins import PluginWarning
    from derainbench.registries import DATASETS

    make_pairs(tmp_path, ["data/1_rain.png"], ["gt/1_clean.png"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PluginWarning)  # other components may not be built yet
        dataset = DATASETS.create("paired-folder", root=str(tmp_path), crop=None, flip=True)
    assert isinstance(dataset, PairedFolder) and dataset.flip and dataset.crop is None
