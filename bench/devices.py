"""Choosing and describing the device a run uses."""

from __future__ import annotations

import torch

from derainbench.errors import DerainBenchError


def resolve_device(name: str = "auto") -> torch.device:
    """``auto`` → the first CUDA GPU when there is one, else the CPU; otherwise as given."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise DerainBenchError(f"unknown device '{name}'; use auto, cpu, cuda or cuda:N") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise DerainBenchError(f"device '{name}' was asked for, but no CUDA GPU is available")
    return device


def device_name(device: torch.device) -> str:
    """A human-readable name: the GPU model, or "cpu"."""
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return "cpu"
