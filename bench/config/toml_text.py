"""A resolved configuration's tables as TOML text (plain TOML types only)."""

from __future__ import annotations

import json
from typing import Any


def to_toml(config: dict[str, Any]) -> str:
    """Serialise a configuration (plain TOML types only) as TOML text."""
    lines: list[str] = []
    tables = {k: v for k, v in config.items() if isinstance(v, dict)}
    arrays = {
        k: v for k, v in config.items() if isinstance(v, list) and v and isinstance(v[0], dict)
    }
    for key, value in config.items():
        if key not in tables and key not in arrays:
            lines.append(f"{key} = {toml_value(value)}")
    for name, table in tables.items():
        lines += ["", f"[{name}]"]
        lines += [f"{_toml_key(k)} = {toml_value(v)}" for k, v in table.items() if v is not None]
    for name, items in arrays.items():
        for item in items:
            lines += ["", f"[[{name}]]"]
            lines += [f"{_toml_key(k)} = {toml_value(v)}" for k, v in item.items() if v is not None]
    return "\n".join(lines).lstrip() + "\n"


def _toml_key(key: str) -> str:
    return key if key.replace("_", "").replace("-", "").isalnum() else json.dumps(key)


def toml_value(value: Any) -> str:
    """One TOML value as text (what `--set key=VALUE` parses back to the same value)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        inner = ", ".join(
            f"{_toml_key(k)} = {toml_value(v)}" for k, v in value.items() if v is not None
        )
        return "{ " + inner + " }"
    return json.dumps(str(value))
