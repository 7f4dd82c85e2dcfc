"""Mixed precision: autocast for the forward passes, one gradient scaler per optimizer.

``auto`` (the default) picks bf16 where the device computes it natively (a CUDA GPU with bf16,
a CPU with AVX512-BF16 or AMX) and fp32 elsewhere; losses and penalties stay float32 whatever
the forward precision (their callers cast).
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from pathlib import Path

import torch
from torch import Tensor

from derainbench.errors import DerainBenchError

PRECISIONS = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}
CHOICES = ("auto", *PRECISIONS)


@functools.cache
def cpu_has_bf16() -> bool:
    """Whether this CPU has bf16 arithmetic (AVX512-BF16 or AMX), read from /proc/cpuinfo."""
    try:
        flags = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return any(flag in flags.split() for flag in ("avx512_bf16", "amx_bf16"))


def resolve_precision(name: str, device: torch.device) -> str:
    """The precision ``name`` stands for on ``device`` (``auto`` → bf16 where native, else fp32)."""
    if name not in CHOICES:
        raise DerainBenchError(f"unknown precision '{name}'; choose {', '.join(CHOICES)}")
    if name != "auto":
        return name
    if device.type == "cuda":
        return "bf16" if torch.cuda.is_bf16_supported() else "fp32"
    if device.type == "cpu":
        return "bf16" if cpu_has_bf16() else "fp32"
    return "fp32"


class Precision:
    """``auto``, ``fp32``, ``bf16`` or ``fp16`` on one device type.

    fp16 needs loss scaling, and G and D each get their own scaler: one player's overflow must
    not skip the other's update. Penalties and losses are computed in float32 by their callers.
    """

    def __init__(self, name: str, device: torch.device) -> None:
        name = resolve_precision(name, device)
        if name == "fp16" and device.type != "cuda":
            raise DerainBenchError("fp16 needs a CUDA GPU; use bf16 or fp32 on the CPU")
        self.name = name
        self.device_type = device.type
        self.dtype = PRECISIONS[name]
        fp16 = name == "fp16"
        self.generator_scaler = torch.amp.GradScaler(device.type, enabled=fp16)
        self.discriminator_scaler = torch.amp.GradScaler(device.type, enabled=fp16)

    @contextlib.contextmanager
    def autocast(self) -> Iterator[None]:
        """Run the enclosed forward passes in the reduced precision (a no-op for fp32)."""
        if self.dtype is None:
            yield
            return
        with torch.autocast(self.device_type, dtype=self.dtype):
            yield

    @staticmethod
    def update(
        loss: Tensor, optimizer: torch.optim.Optimizer, scaler: torch.amp.GradScaler
    ) -> None:
        """zero_grad → (scaled) backward → step, for one player."""
        optimizer.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()

    def state_dict(self) -> dict[str, dict]:
        return {
            "generator": self.generator_scaler.state_dict(),
            "discriminator": self.discriminator_scaler.state_dict(),
        }

    def load_state_dict(self, state: dict[str, dict]) -> None:
        if state.get("generator"):
            self.generator_scaler.load_state_dict(state["generator"])
        if state.get("discriminator"):
            self.discriminator_scaler.load_state_dict(state["discriminator"])
