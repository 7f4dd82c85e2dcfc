"""A dataset's manifest: every file with its size and SHA-256, so two people know they evaluated the
same data (e.g. the old and the new Rain100H test sets differ, under the same name)."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from derainbench.errors import DataError

MANIFEST_NAME = "manifest.json"
MANIFEST_FORMAT = "derainbench-manifest/1"
_MAX_LISTED = 5


@dataclass
class ManifestCheck:
    """How a folder differs from its manifest (relative paths)."""

    changed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every listed file is present and unchanged, and nothing was added."""
        return not (self.changed or self.missing or self.extra)

    def summary(self) -> str:
        """One line: the counts and the first few names of each kind of difference."""
        parts = []
        for label, names in (("changed", self.changed), ("missing", self.missing)):
            parts.append(f"{len(names)} {label}" + (f" ({_listing(names)})" if names else ""))
        extra = self.extra
        parts.append(
            f"{len(extra)} not in the manifest" + (f" ({_listing(extra)})" if extra else "")
        )
        return ", ".join(parts)


def sha256_file(path: Path) -> str:
    """The SHA-256 of a file's bytes, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def dataset_files(root: Path) -> list[str]:
    """Every regular file under ``root`` (relative, '/'-separated, sorted), except hidden files
    and the manifest itself."""
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in files:
            if name.startswith(".") or name == MANIFEST_NAME:
                continue
            found.append(Path(folder, name).relative_to(root).as_posix())
    return sorted(found)


def build_manifest(root: Path, progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """The manifest of ``root``: files with size and SHA-256, and one SHA-256 over that list."""
    entries = []
    for relative in dataset_files(root):
        path = root / relative
        entries.append({"path": relative, "size": path.stat().st_size, "sha256": sha256_file(path)})
        if progress is not None:
            progress(relative)
    return {"format": MANIFEST_FORMAT, "files": entries, "sha256": list_digest(entries)}


def list_digest(entries: list[dict[str, Any]]) -> str:
    """One SHA-256 that names the whole file list: equal lists, equal digest."""
    text = "".join(f"{e['path']}\t{e['size']}\t{e['sha256']}\n" for e in entries)
    return hashlib.sha256(text.encode()).hexdigest()


def write_manifest(root: Path, progress: Callable[[str], None] | None = None) -> Path:
    """Write ``root/manifest.json`` (atomically) and return its path."""
    manifest = build_manifest(root, progress)
    path = root / MANIFEST_NAME
    temp = root / f".{MANIFEST_NAME}.tmp"
    temp.write_text(json.dumps(manifest, indent=1) + "\n")
    os.replace(temp, path)
    return path


def read_manifest(root: Path) -> dict[str, Any]:
    """The manifest saved in ``root``; DataError naming the file when absent or malformed."""
    path = root / MANIFEST_NAME
    try:
        manifest = json.loads(path.read_text())
        files = manifest["files"]
        entries = {e["path"]: e for e in files}
    except FileNotFoundError:
        raise DataError(f"no manifest in {root}: write one with --write-manifest") from None
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise DataError(f"cannot read manifest {path}: {type(error).__name__}: {error}") from None
    if manifest.get("sha256") != list_digest(files) or len(entries) != len(files):
        raise DataError(f"manifest {path} is inconsistent: its own SHA-256 does not match its list")
    return manifest


def verify_manifest(root: Path, progress: Callable[[str], None] | None = None) -> ManifestCheck:
    """Compare ``root`` with its manifest: changed (size or SHA-256), missing and extra files."""
    listed = {e["path"]: e for e in read_manifest(root)["files"]}
    present = set(dataset_files(root))
    check = ManifestCheck(
        missing=sorted(set(listed) - present), extra=sorted(present - set(listed))
    )
    for relative in sorted(set(listed) & present):
        path, entry = root / relative, listed[relative]
        if path.stat().st_size != entry["size"] or sha256_file(path) != entry["sha256"]:
            check.changed.append(relative)
        if progress is not None:
            progress(relative)
    return check


def _listing(names: list[str]) -> str:
    shown = ", ".join(names[:_MAX_LISTED])
    return shown + (", ..." if len(names) > _MAX_LISTED else "")
