"""Step time and peak memory of one Attentive GAN training step, at 256×256 and 480×720.

    python -m derainbench.benchmarks.attentive_step [--device cpu|cuda|all] [--out CSV]

The attentive-gan recipe at full width, batch 1: generator, the any-size attentive discriminator
(the published one cannot take 480×720), GAN + attention + multi-scale + perceptual + map losses,
one discriminator and one generator update with Adam. The VGG16 of the perceptual loss is a
seeded random trunk unless ``--vgg-weights`` is given: the cost is the same. The original needed
more than 11 GB of GPU memory at batch 1 on 720×480 images.

Memory: on CUDA, ``torch.cuda.max_memory_allocated`` (tensors only); on CPU, the peak resident
set size during the steps (Linux VmHWM, reset through /proc/self/clear_refs just before them, so
that building the models and the VGG does not count), and that peak minus the resident size
before the first step (what training adds: activations, gradients, Adam state). Rows of the
machine and size measured now replace earlier ones in ``results/attentive_step.csv``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import statistics
import time
import warnings
from pathlib import Path

import torch

from derainbench.benchmarks.results_csv import merge_rows

DEFAULT_OUT = Path("results") / "attentive_step.csv"
SIZES = ((256, 256), (480, 720))
FIELDS = [
    "device",
    "device_name",
    "size",
    "batch",
    "step_seconds",
    "warmup+timed",
    "peak_memory_mb",
    "step_memory_mb",
    "memory_measure",
    "threads",
    "torch",
    "date",
]


def _status_mb(field: str) -> float:
    """A memory field of /proc/self/status (VmRSS: now, VmHWM: peak), in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _reset_peak_rss() -> bool:
    """Reset VmHWM to the current RSS (Linux ≥ 4.0); False where that is not allowed."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def measure(
    device: torch.device,
    size: tuple[int, int],
    repeats: int,
    vgg_weights: str | None,
    warmup: int = 1,
) -> dict[str, object]:
    """``warmup`` untimed steps, then ``repeats`` timed ones: the median time, the memory peak."""
    from derainbench.benchmarks.render_speed import cpu_name
    from derainbench.experiments.compose import compose
    from derainbench.training.components import build_components
    from derainbench.training.precision import Precision
    from derainbench.training.step import Optimizers, StepSettings, train_step

    height, width = size
    weights = vgg_weights or "random-for-tests"
    config = compose("attentive-gan", overrides=[f"terms.2.vgg_weights={weights}"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the random-trunk warning: its cost is the real one's
        parts = build_components(config, frozenset({"mask"}))
    parts.generator.to(device).train()
    parts.discriminator.to(device).train()
    betas = (config.optimizer.betas[0], config.optimizer.betas[1])
    optimizers = Optimizers(
        torch.optim.Adam(parts.generator.parameters(), lr=2e-4, betas=betas),
        torch.optim.Adam(parts.discriminator.parameters(), lr=2e-4, betas=betas),
    )
    settings = StepSettings(generator_adversarial_weight=0.01)
    precision = Precision("fp32", device)
    generator = torch.Generator().manual_seed(0)
    rainy = torch.rand(1, 3, height, width, generator=generator).to(device)
    clean = torch.rand(1, 3, height, width, generator=generator).to(device)
    mask = (torch.rand(1, 1, height, width, generator=generator) > 0.9).float().to(device)

    def step(index: int) -> float:
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        start = time.perf_counter()
        train_step(parts, optimizers, settings, precision, rainy, clean, index, mask)
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        return time.perf_counter() - start

    before = _status_mb("VmRSS")
    reset = _reset_peak_rss()
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    for index in range(warmup):  # allocators, kernels, Adam state
        step(index + 1)
    seconds = statistics.median(step(index) for index in range(warmup + 1, warmup + repeats + 1))
    if device.type == "cuda":
        peak = torch.cuda.max_memory_allocated(device) / 2**20
        added, how = float("nan"), "torch.cuda.max_memory_allocated"
        name = torch.cuda.get_device_name(device)
    elif reset:
        peak = _status_mb("VmHWM")
        added, how = peak - before, "peak RSS during the steps (VmHWM)"
        name = cpu_name()
    else:  # the process's lifetime peak: includes building the models
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
        added, how = peak - before, "peak RSS of the process (ru_maxrss, includes setup)"
        name = cpu_name()
    return {
        "device": device.type,
        "device_name": name,
        "size": f"{height}x{width}",
        "batch": 1,
        "step_seconds": round(seconds, 3),
        "warmup+timed": f"{warmup}+{repeats}",
        "peak_memory_mb": round(peak, 1),
        "step_memory_mb": round(added, 1),
        "memory_measure": how,
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "date": dt.date.today().isoformat(),
    }


def write_rows(path: Path, rows: list[dict[str, object]]) -> None:
    """Merge ``rows`` into the CSV, replacing earlier rows of the same machine and size."""
    merge_rows(path, rows, FIELDS, key=("device_name", "size"))


def main(argv: list[str] | None = None) -> None:
    """Measure every size on every requested device and write the CSV."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="all", help="cpu, cuda or all (default)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--repeats", type=int, default=3, help="timed steps after a warm-up")
    parser.add_argument("--vgg-weights", default=None, help="a real vgg16-397923af.pth")
    parser.add_argument("--sizes", default="256x256,480x720", help="HxW, comma-separated")
    parser.add_argument("--warmup", type=int, default=1, help="untimed steps before the timed ones")
    args = parser.parse_args(argv)
    sizes = [tuple(int(v) for v in s.split("x")) for s in args.sizes.split(",")]
    kinds = ["cpu", "cuda"] if args.device == "all" else [args.device]
    if "cuda" in kinds and not torch.cuda.is_available():
        kinds.remove("cuda")
    rows = []
    for kind in kinds:
        for size in sizes:
            device = torch.device(kind)
            row = measure(device, size, args.repeats, args.vgg_weights, args.warmup)
            print(", ".join(f"{k}={v}" for k, v in row.items()), flush=True)
            rows.append(row)
    write_rows(args.out, rows)


if __name__ == "__main__":
    main()
