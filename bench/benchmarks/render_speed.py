"""How fast SynthDrop renders: renders per second at 256×256 and 480×720, on CPU (and GPU).

    python -m derainbench.benchmarks.render_speed [--device cpu|cuda|all] [--out CSV]

Writes ``results/render_speed.csv``; rows of the machines measured now replace that machine's
earlier rows, so figures from a CPU box and a GPU box can share one file. Each row renders whole
frames of coffee.png with drop sizes scaled to the frame (``scale`` = height / 480), new drops
every repeat. The CPU renderer runs on one thread by design (a data-loader worker's setting):
scale with workers, not threads.
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import time
from pathlib import Path

import torch

from derainbench.benchmarks.results_csv import merge_rows
from derainbench.datasets.synthdrop.backgrounds import load_background
from derainbench.datasets.synthdrop.compose import render
from derainbench.datasets.synthdrop.presets import REFERENCE_HEIGHT

DEFAULT_OUT = Path("results") / "render_speed.csv"
FIELDS = [
    "device",
    "device_name",
    "size",
    "scale",
    "preset",
    "streaks",
    "batch",
    "renders_per_s",
    "ms_per_render",
    "repeats",
    "torch",
    "date",
]
SIZES = ((256, 256), (480, 720))
# (batch, timed repeats): a CPU renders one image at a time (one per data-loader worker).
PLANS = {"cpu": [(1, 20)], "cuda": [(1, 20), (16, 10), (64, 5)]}


def cpu_name() -> str:
    """The processor's model name (Linux), else what platform reports."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def measure(
    device: torch.device, size: tuple[int, int], preset: str, streaks: str, batch: int, repeats: int
) -> dict[str, object]:
    """Time ``repeats`` batched renders (after one warm-up) of coffee.png crops."""
    height, width = size
    photo = load_background("coffee.png", height, width)[:, :height, :width]
    clean = photo.expand(batch, -1, -1, -1).contiguous().to(device)
    render(clean, list(range(batch)), preset, streaks=streaks)  # warm-up (allocator, kernels)
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    start = time.perf_counter()
    for repeat in range(repeats):
        seeds = [1000 * (repeat + 1) + b for b in range(batch)]  # new drops every time
        render(clean, seeds, preset, streaks=streaks)
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    seconds = (time.perf_counter() - start) / (repeats * batch)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else cpu_name()
    return {
        "device": device.type,
        "device_name": name,
        "size": f"{height}x{width}",
        "scale": round(height / REFERENCE_HEIGHT, 3),
        "preset": preset,
        "streaks": streaks,
        "batch": batch,
        "renders_per_s": round(1 / seconds, 2),
        "ms_per_render": round(1000 * seconds, 2),
        "repeats": repeats,
        "torch": torch.__version__,
        "date": dt.date.today().isoformat(),
    }


def write_rows(path: Path, rows: list[dict[str, object]]) -> None:
    """Merge ``rows`` into the CSV, replacing earlier rows of the same machines."""
    merge_rows(path, rows, FIELDS, key=("device_name",))


def main(argv: list[str] | None = None) -> None:
    """Measure and write the CSV; print each row as it comes."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="all", help="cpu, cuda or all (default)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--repeats", type=int, default=0, help="renders per row (0: by device)")
    args = parser.parse_args(argv)
    kinds = ["cpu", "cuda"] if args.device == "all" else [args.device]
    if "cuda" in kinds and not torch.cuda.is_available():
        kinds.remove("cuda")
    rows = []
    for kind in kinds:
        device = torch.device(kind)
        for size in SIZES:
            for preset, streaks in (("medium", "none"), ("large", "none"), ("medium", "heavy")):
                for batch, repeats in PLANS[kind]:
                    row = measure(device, size, preset, streaks, batch, args.repeats or repeats)
                    print(", ".join(f"{k}={v}" for k, v in row.items()), flush=True)
                    rows.append(row)
    write_rows(args.out, rows)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
