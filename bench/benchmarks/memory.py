"""Peak memory of a piece of work: CUDA's allocator peak on a GPU, the process's peak resident
set on a CPU (Linux VmHWM, reset just before the work, so that what was built earlier does not
count)."""

from __future__ import annotations

import ctypes
import functools
import gc
import resource
from collections.abc import Callable
from pathlib import Path

import torch


def status_mb(field: str) -> float:
    """A memory field of /proc/self/status (VmRSS: now, VmHWM: peak), in MiB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def reset_peak_rss() -> bool:
    """Reset VmHWM to the current RSS (Linux ≥ 4.0); False where that is not allowed."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


@functools.cache
def _release_freed_memory() -> Callable[[], None]:
    """Make freed memory leave the process on Linux/glibc, so that RSS follows what is live:
    large blocks always mapped and unmapped (a fixed mmap threshold also stops glibc from
    raising it, which would keep freed tensors resident), and a trim before each measurement."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, 128 * 1024)  # M_MMAP_THRESHOLD
        return lambda: libc.malloc_trim(0)
    except (OSError, AttributeError):
        return lambda: None


def peak_memory_mb(work: Callable[[], object], device: torch.device) -> tuple[float, str]:
    """Run ``work`` once; the memory it adds at its peak (what it allocates beyond what was
    there before it: activations, gradients, temporaries), in MiB, and how it was measured."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
        before = torch.cuda.memory_allocated(device)
        torch.cuda.reset_peak_memory_stats(device)
        work()
        torch.cuda.synchronize(device)
        added = (torch.cuda.max_memory_allocated(device) - before) / 2**20
        return added, "CUDA allocator: peak during the work minus before it"
    _release_freed_memory()()
    gc.collect()
    before = status_mb("VmRSS")
    if reset_peak_rss():
        work()
        return status_mb("VmHWM") - before, "process RSS: peak during the work minus before it"
    work()  # the lifetime peak: includes what was built before
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return peak - before, "process RSS: lifetime peak minus before the work (an upper bound)"
