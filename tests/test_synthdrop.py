"""SynthDrop: the raindrop renderer's physics, its determinism, its presets and the dataset."""

from __future__ import annotations

import hashlib
import math
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch
from torch.utils.data import DataLoader

from derainbench.datasets.masks import raindrop_mask
from derainbench.datasets.paired_folder import PairedFolder
from derainbench.datasets.synthdrop.backgrounds import TEST_BACKGROUNDS, TRAIN_BACKGROUNDS
from derainbench.datasets.synthdrop.compose import compose, render
from derainbench.datasets.synthdrop.dataset import SynthDropSet, parse_size, render_samples
from derainbench.datasets.synthdrop.dead_leaves import DEAD_LEAVES_VERSION
from derainbench.datasets.synthdrop.presets import HARMONICS, RENDERER_VERSION, DropLayout
from derainbench.datasets.synthdrop.streaks import render_streaks
from derainbench.datasets.synthdrop.writer import write_synthdrop
from derainbench.errors import DataError, DerainBenchError


def one_drop(
    radius: float, cx: float, cy: float, contact: float = 45.0, **image: float
) -> DropLayout:
    """A layout with a single round drop (no sag, no waviness, no highlight)."""

    def f64(*values: float) -> torch.Tensor:
        return torch.tensor(values, dtype=torch.float64)

    return DropLayout(
        image=torch.zeros(1, dtype=torch.int64),
        cx=f64(cx),
        cy=f64(cy),
        radius=f64(radius),
        aspect=f64(1.0),
        contact=torch.deg2rad(f64(contact)),
        apex_shift=f64(0.0),
        wave=torch.zeros(1, len(HARMONICS), dtype=torch.float64),
        wave_phase=torch.zeros(1, len(HARMONICS), dtype=torch.float64),
        rim_strength=f64(image.get("rim", 0.45)),
        rim_exponent=f64(3.0),
        transmission=f64(0.92),
        tir_darkness=f64(0.7),
        focal=f64(360 / math.tan(math.radians(30))),
        defocus=f64(image.get("defocus", 1.5)),
        inner_blur=f64(1.0),
        highlight=f64(0.0),
        light=torch.tensor([[0.0, -0.3]], dtype=torch.float64),
    )


def gradient(height: int, width: int, vertical: bool = True) -> torch.Tensor:
    """A (1, 3, H, W) ramp: dark at the top (or left), bright at the bottom (or right)."""
    ramp = torch.linspace(0.1, 0.9, height if vertical else width)
    image = ramp.view(-1, 1).expand(height, width) if vertical else ramp.expand(height, width)
    return image.expand(1, 3, height, width).contiguous()


# --- physics -------------------------------------------------------------------------------------


@pytest.mark.parametrize("vertical", [True, False])
def test_a_drop_shows_the_scene_flipped_and_shrunk(vertical: bool) -> None:
    clean = gradient(160, 160, vertical)
    _, rainy = compose(clean, one_drop(20, 80, 80))
    # Sample 10 px before and after the centre, along the ramp.
    before = (slice(None), 70, 80) if vertical else (slice(None), 80, 70)
    after = (slice(None), 90, 80) if vertical else (slice(None), 80, 90)
    seen = rainy[0][before].mean() - rainy[0][after].mean()
    behind = clean[0][after].mean() - clean[0][before].mean()
    assert seen > 0, "inside the drop the ramp must run the other way (an inverted image)"
    assert seen > 2 * behind, "the drop must show more of the scene than it covers (shrunk)"


def test_outside_the_halo_the_rainy_image_is_the_scene_exactly() -> None:
    clean = torch.rand(1, 3, 120, 160, generator=torch.Generator().manual_seed(1))
    soft, rainy = compose(clean, one_drop(15, 60, 50, defocus=2.0))
    # radius + anti-aliasing + the corner of the separable defocus kernel (half-width 3σ)
    reach = 15 + 1 + math.sqrt(2) * math.ceil(3 * 2.0)
    ys, xs = torch.meshgrid(torch.arange(120), torch.arange(160), indexing="ij")
    far = (xs - 60) ** 2 + (ys - 50) ** 2 > reach**2
    assert torch.equal(rainy[0][:, far], clean[0][:, far])
    assert torch.equal(soft[0, 0][far], torch.zeros(int(far.sum())))
    assert soft[0, 0, 50, 60] > 0.99  # and the drop is there


def test_rendered_drops_leave_undropped_pixels_bit_exact() -> None:
    clean = torch.rand(2, 3, 96, 128, generator=torch.Generator().manual_seed(2))
    rendering = render(clean, [5, 6], "medium", scale=0.5)
    untouched = (rendering.soft_mask == 0).expand_as(clean)
    assert 0 < untouched.float().mean() < 1
    assert torch.equal(rendering.rainy[untouched], clean[untouched])


def test_rims_are_darker_than_the_centre() -> None:
    clean = torch.full((1, 3, 120, 120), 0.6)
    _, rainy = compose(clean, one_drop(30, 60, 60, contact=60, rim=0.5))
    centre = rainy[0, :, 58:63, 58:63].mean()
    rim = torch.stack([rainy[0, :, 60, 60 + 27], rainy[0, :, 60, 60 - 27]]).mean()
    assert rim < centre - 0.1


def test_masks_soft_exact_and_thresholded_by_the_protocol_rule() -> None:
    clean = torch.rand(1, 3, 96, 128, generator=torch.Generator().manual_seed(3))
    rendering = render(clean, [11])
    assert rendering.soft_mask.shape == rendering.mask.shape == (1, 1, 96, 128)
    assert float(rendering.soft_mask.min()) >= 0 and float(rendering.soft_mask.max()) <= 1
    assert torch.equal(rendering.mask, raindrop_mask(rendering.rainy, clean))


def test_each_image_of_a_batch_depends_on_its_own_seed_only() -> None:
    clean = torch.rand(2, 3, 64, 96, generator=torch.Generator().manual_seed(4))
    both = render(clean, [21, 22])
    alone = render(clean[1:], [22])
    assert torch.allclose(both.rainy[1:], alone.rainy, atol=1e-5)
    assert not torch.allclose(both.rainy[0], render(clean[:1], [23]).rainy[0], atol=1e-3)


def test_presets_change_coverage_as_documented() -> None:
    clean = torch.full((1, 3, 96, 144), 0.5)
    coverage = {
        preset: sum(float(render(clean, [s], preset, scale=0.3).soft_mask.mean()) for s in range(6))
        / 6
        for preset in ("light", "medium", "large")
    }
    assert 0.04 < coverage["light"] < 0.15  # target area 5–12 %
    assert coverage["light"] < coverage["medium"] < coverage["large"]
    assert coverage["large"] > 0.15  # target area 15–35 %
    with pytest.raises(DerainBenchError, match="unknown raindrop preset 'huge'"):
        render(clean, [0], "huge")


def test_streaks_brighten_and_heavy_rain_is_denser() -> None:
    clean = torch.full((1, 3, 96, 128), 0.3)
    light = render_streaks(clean, [1], "light")
    heavy = render_streaks(clean, [1], "heavy")
    assert (light >= clean).all() and (light > clean + 0.05).any()
    assert (heavy - clean).abs().mean() > (light - clean).abs().mean()
    rendering = render(clean, [1], streaks="heavy", scale=0.3)
    # The soft mask is the drops' alone; the thresholded one sees the streaks too.
    assert (rendering.mask * (rendering.soft_mask == 0)).sum() > 0


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cpu_and_gpu_agree() -> None:
    clean = torch.rand(2, 3, 240, 360, generator=torch.Generator().manual_seed(5))
    seeds = [31, 32]
    cpu = render(clean, seeds, streaks="heavy")
    gpu = render(clean.cuda(), seeds, streaks="heavy")
    assert (cpu.rainy - gpu.rainy.cpu()).abs().max() < 1e-4
    assert (cpu.soft_mask - gpu.soft_mask.cpu()).abs().max() < 1e-4


# --- determinism ---------------------------------------------------------------------------------

_DIGEST_SCRIPT = textwrap.dedent(
    """
    import hashlib, sys, torch
    torch.set_num_threads(int(sys.argv[1]))
    from derainbench.datasets.synthdrop.dataset import render_samples
    (sample,) = render_samples("train", [3], (96, 128), seed=7, streaks="light")
    digest = hashlib.sha256()
    for key in ("rainy", "clean", "soft_mask", "mask"):
        digest.update(sample[key].numpy().tobytes())
    print(digest.hexdigest())
    """
)


def test_the_same_seed_gives_the_same_bytes_in_separate_processes() -> None:
    env = {**os.environ, "PYTHONHASHSEED": "random"}
    digests = [
        subprocess.run(
            [sys.executable, "-c", _DIGEST_SCRIPT, threads],
            capture_output=True,
            text=True,
            check=True,
            env=env,
            timeout=300,
        ).stdout.strip()
        for threads in ("1", "2")
    ]
    (sample,) = render_samples("train", [3], (96, 128), seed=7, streaks="light")
    here = hashlib.sha256()
    for key in ("rainy", "clean", "soft_mask", "mask"):
        here.update(sample[key].numpy().tobytes())
    assert digests[0] == digests[1] == here.hexdigest()


def test_data_loader_workers_and_order_do_not_change_samples() -> None:
    dataset = SynthDropSet("train", n=6, size=48, seed=3, crop=32, flip=True)
    keys = [(i, 100 + i) for i in range(6)]

    def collect(workers: int, order: list[int]) -> dict[str, dict[str, torch.Tensor]]:
        loader = DataLoader(
            dataset, batch_size=2, sampler=[keys[i] for i in order], num_workers=workers
        )
        found = {}
        for batch in loader:
            for j, name in enumerate(batch["name"]):
                found[name] = {k: batch[k][j] for k in ("rainy", "clean", "mask")}
        return found

    serial = collect(0, [0, 1, 2, 3, 4, 5])
    parallel = collect(2, [5, 3, 1, 0, 4, 2])
    assert serial.keys() == parallel.keys() and len(serial) == 6
    for name, sample in serial.items():
        for key, value in sample.items():
            assert torch.equal(value, parallel[name][key]), (name, key)


# --- the dataset ---------------------------------------------------------------------------------


def test_dataset_samples_carry_a_mask_cropped_with_the_pair() -> None:
    soft = SynthDropSet("test", n=2, size=(48, 64), crop=24, flip=True)
    sample = soft[1, 9]
    assert sample["rainy"].shape == sample["clean"].shape == (3, 24, 24)
    assert sample["mask"].shape == (1, 24, 24)
    full = SynthDropSet("test", n=2, size=(48, 64), mask="threshold")
    rainy, clean = full.load_pair(1)
    assert torch.equal(full[1]["mask"], raindrop_mask(rainy, clean))
    assert "mask" in soft.provides


def test_splits_are_by_background_and_described() -> None:
    assert not set(TRAIN_BACKGROUNDS) & set(TEST_BACKGROUNDS)
    train = SynthDropSet("train", n=2, size=48)
    seen = SynthDropSet("test-seen", n=2, size=48)
    assert not torch.equal(train.load_pair(0)[0], seen.load_pair(0)[0])
    info = SynthDropSet("test", n=3, size="48x64", preset="light", streaks="light").describe()
    assert info["dataset"] == "SynthDrop-SK" and info["version"] == RENDERER_VERSION
    assert info["preset"] == "light" and info["split"] == "test" and info["size"] == [48, 64]
    assert info["backgrounds"] == list(TEST_BACKGROUNDS)
    assert info["parameters"]["drops"]["coverage"] == [0.05, 0.12]
    assert "streaks" in info["parameters"]
    for bad in ({"split": "validation"}, {"mask": "hard"}, {"streaks": "monsoon"}):
        with pytest.raises(DerainBenchError):
            SynthDropSet(**{"n": 1, "size": 48, **bad})
    with pytest.raises(DataError, match="HxW"):
        parse_size("48by64")


def test_the_written_set_holds_the_in_memory_samples(tmp_path: Path) -> None:
    out = tmp_path / "train"
    assert write_synthdrop(out, n=3, size="40x56", seed=2)
    assert not write_synthdrop(out, n=3, size="40x56", seed=2)  # complete: not rewritten
    memory = SynthDropSet("train", n=3, size=(40, 56), seed=2)
    folder = PairedFolder(out, mask_rule="file")
    for index in range(3):
        assert torch.equal(folder[index]["rainy"], memory[index]["rainy"])
        assert torch.equal(folder[index]["clean"], memory[index]["clean"])
        assert torch.equal(folder[index]["mask"], memory[index]["mask"])
    info = folder.describe()
    assert info["synthetic"] == f"SynthDrop-SK v{RENDERER_VERSION}"
    assert info["preset"] == "medium" and info["seed"] == 2 and "parameters" in info
    assert write_synthdrop(out, n=2, size="40x56", seed=2)  # a smaller rewrite leaves no extras
    assert len(PairedFolder(out)) == 2


def test_training_backgrounds_are_mostly_dead_leaves_and_test_stays_on_held_out_photos() -> None:
    from derainbench.datasets.synthdrop.dataset import render_samples

    train = [s["record"]["background"] for s in render_samples("train", range(8), 32)]
    assert sum(b.startswith("dead-leaves") for b in train) == 6  # all but every fourth
    assert set(train) - {f"dead-leaves v{DEAD_LEAVES_VERSION}"} <= set(TRAIN_BACKGROUNDS)
    test = [s["record"]["background"] for s in render_samples("test", range(4), 32)]
    assert set(test) <= set(TEST_BACKGROUNDS)
    photos = [
        s["record"]["background"]
        for s in render_samples("train", range(4), 32, backgrounds="photos")
    ]
    assert photos == list(TRAIN_BACKGROUNDS[:4])
    info = SynthDropSet("train", n=1, size=32).describe()
    assert info["backgrounds"][0].startswith(f"dead-leaves v{DEAD_LEAVES_VERSION} (3 of 4 samples)")


def test_backgrounds_from_a_folder_of_the_users_photos(tmp_path: Path) -> None:
    from PIL import Image

    for index, colour in enumerate(((200, 30, 30), (30, 200, 30))):
        Image.new("RGB", (80, 60), colour).save(tmp_path / f"photo{index}.png")
    dataset = SynthDropSet("train", n=2, size=32, backgrounds=str(tmp_path))
    assert dataset.describe()["backgrounds"] == [f"{tmp_path} (2 images)"]
    clean = dataset.load_pair(1)[1]
    assert clean[1].mean() > clean[0].mean()  # the green photo, as the second sample
    with pytest.raises(DataError, match="neither builtin, photos, dead-leaves nor a folder"):
        SynthDropSet("train", n=1, size=32, backgrounds="sunsets")
    out = tmp_path / "written"
    assert write_synthdrop(out, n=2, size=32, backgrounds=str(tmp_path))
    assert PairedFolder(out).describe()["background_source"] == str(tmp_path)


def test_dead_leaves_are_a_function_of_the_seed() -> None:
    from derainbench.datasets.synthdrop.dead_leaves import dead_leaves

    first, again, other = dead_leaves(40, 56, 7), dead_leaves(40, 56, 7), dead_leaves(40, 56, 8)
    assert first.shape == (3, 40, 56) and first.min() >= 0 and first.max() <= 1
    assert torch.equal(first, again) and not torch.equal(first, other)
    assert first.std() > 0.05  # a scene, not a flat plane


def test_dead_leaves_range_from_mostly_smooth_backdrop_to_clutter() -> None:
    """Photographs have large smooth areas (sky, walls) as well as cluttered ones; scenes that
    were all clutter taught models to repaint smooth skies with blotches."""
    from derainbench.datasets.synthdrop.dead_leaves import dead_leaves

    smooth = []
    for seed in range(12):
        scene = dead_leaves(64, 64, seed)
        step = (scene[:, 1:, 1:] - scene[:, :-1, 1:]).abs() + (
            scene[:, 1:, 1:] - scene[:, 1:, :-1]
        ).abs()
        smooth.append(float((step.amax(dim=0) < 0.01).float().mean()))
    assert max(smooth) > 0.5  # some scenes are mostly backdrop
    assert min(smooth) < 0.15  # others are cluttered
