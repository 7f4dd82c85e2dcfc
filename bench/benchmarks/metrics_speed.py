"""PSNR + SSIM speed: derainbench's batched tensors vs a per-image scikit-image loop vs piq.

``python -m derainbench.benchmarks.metrics_speed`` appends to results/metrics_speed.csv: the
median of repeated timings for 16 images of 256×256 (and 480×720 on a GPU when there is one),
with the largest deviation from the float64 reference, so speed is never bought with accuracy.
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from derainbench.devices import device_name
from derainbench.metrics.color import rgb_to_y_matlab
from derainbench.metrics.psnr import psnr
from derainbench.metrics.ssim import ssim, ssim_reference

OUTPUT = Path("results") / "metrics_speed.csv"


def _images(count: int, height: int, width: int, seed: int = 0) -> tuple[torch.Tensor, ...]:
    """Photograph-like uint8 pairs: a scikit-image photo tiled and cropped, plus noise."""
    from skimage import data

    generator = torch.Generator().manual_seed(seed)
    photo = torch.from_numpy(data.astronaut()).permute(2, 0, 1)
    tiled = photo.repeat(1, 2, 2)
    clean = torch.stack(
        [tiled[:, 7 * i : 7 * i + height, 11 * i : 11 * i + width] for i in range(count)]
    )
    noise = torch.randn(clean.shape, generator=generator) * 8
    restored = (clean.float() + noise).clamp(0, 255).round().to(torch.uint8)
    return restored, clean


def _time(function: Callable[[], object], repeats: int) -> float:
    function()  # warm-up
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def measure(device: torch.device, count: int, height: int, width: int, repeats: int) -> list[dict]:
    """One row per implementation: seconds for PSNR + SSIM of ``count`` images."""
    from skimage.metrics import peak_signal_noise_ratio, structural_similarity

    restored, clean = _images(count, height, width)
    y_pred = rgb_to_y_matlab(restored.to(device))
    y_true = rgb_to_y_matlab(clean.to(device))
    reference = ssim_reference(y_pred.cpu(), y_true.cpu(), 255.0)

    def ours() -> torch.Tensor:
        psnr(y_pred, y_true, 255.0)
        return ssim(y_pred, y_true, 255.0)

    numpy_pred, numpy_true = y_pred.cpu().numpy()[:, 0], y_true.cpu().numpy()[:, 0]

    def skimage_loop() -> list[float]:
        values = []
        for a, b in zip(numpy_pred, numpy_true, strict=True):
            peak_signal_noise_ratio(b, a, data_range=255)
            value = structural_similarity(
                a, b, gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=255
            )
            values.append(value)
        return values

    def piq_float32() -> torch.Tensor:
        import piq

        x, y = (y_pred / 255).float(), (y_true / 255).float()
        piq.psnr(x, y, data_range=1.0, reduction="none")
        return piq.ssim(x, y, data_range=1.0, downsample=False, reduction="none")

    rows = []
    for name, function in (("derainbench", ours), ("skimage-loop", skimage_loop),
                           ("piq-float32", piq_float32)):  # fmt: skip
        if name == "skimage-loop" and device.type != "cpu":
            continue
        seconds = _time(function, repeats)
        values = torch.as_tensor(np.asarray(function(), dtype=np.float64)).flatten().cpu()
        rows.append({
            "implementation": name, "device": device_name(device), "images": count,
            "height": height, "width": width, "seconds": round(seconds, 5),
            "images_per_second": round(count / seconds, 1),
            "max_ssim_error": float((values - reference).abs().max()),
            "threads": torch.get_num_threads(), "torch": torch.__version__,
            "cpu": platform.processor() or platform.machine(),
            "date": dt.date.today().isoformat(),
        })  # fmt: skip
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()
    rows = measure(torch.device("cpu"), 16, 256, 256, args.repeats)
    if torch.cuda.is_available():
        rows += measure(torch.device("cuda"), 16, 256, 256, args.repeats)
        rows += measure(torch.device("cuda"), 16, 480, 720, args.repeats)
    frame = pd.DataFrame(rows)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    header = not args.output.exists()
    frame.to_csv(args.output, mode="a", header=header, index=False)
    print(frame.to_string(index=False))


if __name__ == "__main__":
    main()
