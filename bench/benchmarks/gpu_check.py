"""The GPU check: one command that, on one GPU, runs what a CPU cannot show, in minutes.

    python -m derainbench.benchmarks.gpu_check [--device cuda] [--out-dir results]

1. the CUDA tests of the test suite (``pytest -m cuda``: training, resume, evaluation and the
   renderer on the GPU);
2. ``profile`` of the three paper recipes in the fast default (auto precision, channels-last)
   against the original networks' eager float32 code, at 256×256, batch 4, and 128×128, batch 1;
3. peak memory of one attentive-gan training step at 720×480, batch 1 and 4, with and without
   activation checkpointing (CUDA allocator peak);
4. SynthDrop's render speed on the GPU.

Each part writes ``gpu_<part>.csv`` in ``--out-dir``; a part that fails is recorded with its
error and the others still run. ``--tiny`` runs every part at toy size (the tests use it on a
CPU).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

RECIPES = ("pix2pix", "attentive-gan", "deblurgan")
#: (size, batch) of the profiles; at toy size the networks are narrowed too.
PROFILES = ((256, 4), (128, 1))
TINY_PROFILES = ((32, 1),)
MEMORY_SIZE, TINY_MEMORY_SIZE = (480, 720), (32, 48)
TINY_OVERRIDES = {
    "pix2pix": ["generator.ngf=4", "discriminator.ndf=4"],
    "attentive-gan": ["generator.width=0.125", "discriminator.width=0.125"],
    "deblurgan": ["generator.ngf=4", "generator.n_blocks=2", "discriminator.ndf=4"],
}


def _run_part(name: str, part: Callable[[], list[dict[str, Any]]]) -> list[dict[str, Any]]:
    start = time.perf_counter()
    try:
        rows = part()
        status = "ok"
    except Exception as error:  # noqa: BLE001 - one failing part must not lose the others
        rows = []
        first = str(error).splitlines()[0] if str(error) else ""
        status = f"failed: {type(error).__name__}: {first}"
        traceback.print_exc()
    print(f"gpu_check {name}: {status} ({time.perf_counter() - start:.0f} s)", flush=True)
    return rows or [{"part": name, "status": status}]


def cuda_tests(out_dir: Path, tiny: bool) -> list[dict[str, Any]]:
    """The test suite's CUDA tests, if the tests are here (a checkout, not a wheel)."""
    tests = Path("tests")
    if tiny or not tests.is_dir():
        return [{"part": "tests", "status": "skipped (tiny run or no tests folder)"}]
    command = [sys.executable, "-m", "pytest", "-q", "-m", "cuda", str(tests)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=420)
    summary = (result.stdout.strip().splitlines() or ["no output"])[-1]
    return [{"part": "tests", "status": "ok" if result.returncode == 0 else "failed",
             "summary": summary, "returncode": result.returncode}]  # fmt: skip


def profiles(device: str, tiny: bool) -> list[dict[str, Any]]:
    """profile of each paper recipe in the fast default, beside the original."""
    from derainbench.benchmarks.profile import profile
    from derainbench.experiments.compose import compose

    rows = []
    for size, batch in TINY_PROFILES if tiny else PROFILES:
        for recipe in RECIPES:
            overrides = TINY_OVERRIDES[recipe] if tiny else []
            config = compose(recipe, train_data="toyrain-sk:train", crop=size, overrides=overrides)
            rows += profile(
                config, size=size, batch=batch, device=device, repeats=1 if tiny else 5,
                warmup=1 if tiny else 2, original=not tiny, renders=False,
            )  # fmt: skip
    return rows


def memory(device: str, tiny: bool) -> list[dict[str, Any]]:
    """Peak memory of one attentive-gan step at 720×480, batch 1 and 4, with and without
    activation checkpointing."""
    import warnings

    from derainbench.benchmarks.memory import peak_memory_mb
    from derainbench.devices import resolve_device
    from derainbench.experiments.compose import compose
    from derainbench.training.acceleration import acceleration, make_optimizers, place
    from derainbench.training.components import build_components
    from derainbench.training.loop import step_settings
    from derainbench.training.precision import Precision
    from derainbench.training.step import train_step

    torch_device = resolve_device(device)
    height, width = TINY_MEMORY_SIZE if tiny else MEMORY_SIZE
    rows = []
    for batch in (1, 4):
        for checkpointing in (False, True):
            overrides = [
                "terms.2.vgg_weights=random-for-tests",
                f"run.activation_checkpointing={'true' if checkpointing else 'false'}",
                *(TINY_OVERRIDES["attentive-gan"] if tiny else []),
            ]
            config = compose("attentive-gan", train_data="toyrain-sk:train", overrides=overrides)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                parts = build_components(config, frozenset({"mask"}))
            fast = acceleration(config, torch_device)
            place(parts, torch_device, fast)
            optimizers = make_optimizers(parts, config, fast)
            precision = Precision(fast.precision, torch_device)
            x = torch.rand(batch, 3, height, width, device=torch_device)
            y = torch.rand(batch, 3, height, width, device=torch_device)
            mask = (torch.rand(batch, 1, height, width, device=torch_device) > 0.9).float()
            x, y = (t.contiguous(memory_format=fast.memory_format) for t in (x, y))

            settings = step_settings(config)

            def step(parts=parts, optimizers=optimizers, settings=settings, precision=precision,
                     x=x, y=y, m=mask) -> None:  # fmt: skip
                train_step(parts, optimizers, settings, precision, x, y, 1, m)

            step()  # Adam's state and the allocator's pools exist before the measured step
            start = time.perf_counter()
            peak, how = peak_memory_mb(step, torch_device)
            seconds = time.perf_counter() - start
            resident = float("nan")
            if torch_device.type == "cuda":  # weights, gradients and Adam's state
                resident = torch.cuda.memory_allocated(torch_device) / 2**20
            rows.append({
                "part": "memory", "device": torch_device.type, "size": f"{height}x{width}",
                "batch": batch, "activation_checkpointing": checkpointing,
                "precision": fast.precision, "step_added_mb": round(peak, 1),
                "resident_mb": round(resident, 1), "total_peak_mb": round(peak + resident, 1),
                "step_seconds": round(seconds, 3), "measure": how,
            })  # fmt: skip
            del parts, optimizers, x, y, mask
            if torch_device.type == "cuda":
                torch.cuda.empty_cache()
    return rows


def renders(device: str, tiny: bool) -> list[dict[str, Any]]:
    """SynthDrop renders per second on the device."""
    from derainbench.benchmarks.profile import renders_per_second
    from derainbench.devices import resolve_device

    torch_device = resolve_device(device)
    rows = []
    for size in (64,) if tiny else (256, 480):
        rate = renders_per_second(size, torch_device, count=2 if tiny else 16)
        rows.append({"part": "renders", "device": torch_device.type, "size": size,
                     "renders_per_second": round(rate, 2)})  # fmt: skip
    return rows


def main(argv: list[str] | None = None) -> int:
    """Run every part, write ``gpu_<part>.csv`` files; 0 when every part ran."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--out-dir", type=Path, default=Path("results"))
    parser.add_argument("--tiny", action="store_true", help="toy sizes (for tests on a CPU)")
    args = parser.parse_args(argv)
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        print("gpu_check: no CUDA GPU here; use --device cpu --tiny to try it", file=sys.stderr)
        return 2
    cuda = args.device.startswith("cuda")
    stamp = {
        "date": dt.date.today().isoformat(),
        "torch": torch.__version__,
        "device_name": torch.cuda.get_device_name() if cuda else "cpu",
    }
    parts = {
        "tests": lambda: cuda_tests(args.out_dir, args.tiny),
        "profile": lambda: profiles(args.device, args.tiny),
        "memory": lambda: memory(args.device, args.tiny),
        "renders": lambda: renders(args.device, args.tiny),
    }
    failed = 0
    for name, part in parts.items():
        rows = [{**row, **stamp} for row in _run_part(name, part)]
        failed += any(str(row.get("status", "")).startswith("failed") for row in rows)
        write_csv(args.out_dir / f"gpu_{name}.csv", rows)
    return 1 if failed else 0


def write_csv(path: Path, rows: list[dict[str, Any]]) -> None:
    """One run's rows of a part, replacing the file (git keeps earlier runs)."""
    fields = list(dict.fromkeys(key for row in rows for key in row))
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.DictWriter(stream, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


if __name__ == "__main__":
    raise SystemExit(main())
