"""Manifests: a file list with SHA-256 that tells whether two people used the same data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from derainbench.datasets.manifest import (
    MANIFEST_NAME,
    build_manifest,
    verify_manifest,
    write_manifest,
)
from derainbench.errors import DataError


def dataset(root: Path) -> Path:
    for name in ("data/1_rain.png", "data/2_rain.png", "gt/1_clean.png", "gt/2_clean.png"):
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(name.encode() * 3)
    (root / ".DS_Store").write_bytes(b"hidden files are not data")
    return root


def test_manifest_lists_every_file_with_size_and_sha256(tmp_path: Path) -> None:
    root = dataset(tmp_path)
    path = write_manifest(root)
    manifest = json.loads(path.read_text())
    assert path.name == MANIFEST_NAME
    assert [e["path"] for e in manifest["files"]] == [
        "data/1_rain.png",
        "data/2_rain.png",
        "gt/1_clean.png",
        "gt/2_clean.png",
    ]
    assert manifest["files"][0]["size"] == len(b"data/1_rain.png" * 3)
    assert len(manifest["files"][0]["sha256"]) == 64
    assert verify_manifest(root).ok
    assert build_manifest(root)["sha256"] == manifest["sha256"]  # the same data, the same digest


def test_changed_missing_and_extra_files_are_named(tmp_path: Path) -> None:
    root = dataset(tmp_path)
    write_manifest(root)
    before = build_manifest(root)["sha256"]
    (root / "gt" / "2_clean.png").write_bytes(b"GT/2_CLEAN.PNG" * 3)  # same size, new bytes
    (root / "data" / "1_rain.png").unlink()
    (root / "data" / "3_rain.png").write_bytes(b"new")
    check = verify_manifest(root)
    assert check.changed == ["gt/2_clean.png"]
    assert check.missing == ["data/1_rain.png"]
    assert check.extra == ["data/3_rain.png"]
    assert not check.ok and "gt/2_clean.png" in check.summary()
    assert build_manifest(root)["sha256"] != before


def test_absent_or_tampered_manifests_are_one_line_errors(tmp_path: Path) -> None:
    root = dataset(tmp_path)
    with pytest.raises(DataError, match="no manifest in .*--write-manifest"):
        verify_manifest(root)
    manifest = json.loads(write_manifest(root).read_text())
    manifest["files"][0]["sha256"] = "0" * 64
    (root / MANIFEST_NAME).write_text(json.dumps(manifest))
    with pytest.raises(DataError, match="inconsistent"):
        verify_manifest(root)
    (root / MANIFEST_NAME).write_text("{not json")
    with pytest.raises(DataError, match=f"cannot read manifest {root / MANIFEST_NAME}"):
        verify_manifest(root)
