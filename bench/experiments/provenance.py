"""Where a result came from: package versions and the source's git commit."""

from __future__ import annotations

import platform
import subprocess
from importlib import metadata
from pathlib import Path

import derainbench

PACKAGES = ("torch", "torchvision", "numpy")


def versions() -> str:
    """``derainbench=…;torch=…;…;python=…`` for a leaderboard row."""
    parts = [f"derainbench={derainbench.__version__}"]
    for name in PACKAGES:
        try:
            parts.append(f"{name}={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            parts.append(f"{name}=absent")
    parts.append(f"python={platform.python_version()}")
    return ";".join(parts)


def git_commit() -> str:
    """The commit of derainbench's source tree (``+dirty`` if modified), or "unknown"."""
    source = Path(derainbench.__file__).resolve().parent
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=source, capture_output=True, text=True, timeout=5
        )
        if sha.returncode != 0:
            return "unknown"
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=source,
            capture_output=True,
            text=True,
            timeout=5,
        )
        return sha.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"
