"""The registry: decorator, fnmatch listing, close-match errors, defaults that survive the CLI."""

from __future__ import annotations

import pytest

import derainbench
from derainbench.errors import DerainBenchError, UnknownNameError
from derainbench.registries import ALL, GENERATORS
from derainbench.registry import Registry


def test_every_kind_of_component_has_builtins() -> None:
    for kind, registry in ALL.items():
        assert len(registry) > 0, f"no built-in {kind}"


def test_list_with_fnmatch_patterns() -> None:
    registry = Registry("widget")
    for name in ("unet", "unet-small", "resnet", "patchgan"):
        registry.register(name)(lambda: None)
    assert registry.names() == ["patchgan", "resnet", "unet", "unet-small"]
    assert registry.names("unet*") == ["unet", "unet-small"]
    assert registry.names(["*net", "patch*"]) == ["patchgan", "resnet", "unet"]
    assert registry.names("nothing*") == []


def test_unknown_name_lists_close_matches() -> None:
    with pytest.raises(UnknownNameError) as error:
        GENERATORS.get("unte")
    message = str(error.value)
    assert "unknown generator 'unte'" in message
    assert "'unet'" in message
    assert "\n" not in message


def test_unknown_name_without_close_match_lists_known_names() -> None:
    with pytest.raises(UnknownNameError, match="known: .*unet"):
        GENERATORS.get("zzzzzz")


def test_create_drops_none_so_defaults_survive() -> None:
    registry = Registry("widget")

    @registry.register("box")
    def box(width: int = 7, depth: int = 3) -> tuple[int, int]:
        return width, depth

    assert registry.create("box", width=None, depth=5) == (7, 5)


def test_misspelt_option_names_the_accepted_ones() -> None:
    with pytest.raises(DerainBenchError, match=r"generator 'unet'.*'ngff'.*options: num_downs"):
        GENERATORS.create("unet", ngff=8)


def test_registering_a_taken_name_is_refused_unless_overriding() -> None:
    registry = Registry("widget")
    registry.register("box")(lambda: 1)
    with pytest.raises(DerainBenchError, match="already registered"):
        registry.register("box")(lambda: 2)
    registry.register("box", override=True)(lambda: 3)
    assert registry.create("box") == 3


def test_metadata_is_kept() -> None:
    entry = GENERATORS.get("unet")
    assert entry.info.native_range == "[-1, 1]"
    assert entry.info.channel_order == "RGB"
    assert "Isola" in entry.info.paper


def test_a_misspelt_metadata_field_is_refused_with_the_close_match() -> None:
    message = "unknown metadata field 'multiple_off'.*'multiple_of'"
    with pytest.raises(DerainBenchError, match=message):
        GENERATORS.register("typo-net", multiple_off=4)(lambda: None)
    assert "typo-net" not in GENERATORS


def test_public_api_builds_paper_configurations() -> None:
    assert derainbench.list_components("generators", "u*") == ["unet"]
    with pytest.raises(UnknownNameError, match="unknown kind"):
        derainbench.list_components("gizmos")


def test_importing_the_package_is_cheap(tmp_path) -> None:
    import subprocess
    import sys

    code = "import sys, derainbench; print('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "False", "import derainbench must not import torch"


def test_the_package_serves_the_whole_python_api_lazily() -> None:
    from derainbench.experiments import api

    assert sorted(derainbench._API_NAMES) == sorted(api.__all__)
    for name in api.__all__:
        assert getattr(derainbench, name) is getattr(api, name)
    with pytest.raises(AttributeError, match="no attribute 'trian'"):
        derainbench.trian  # noqa: B018
