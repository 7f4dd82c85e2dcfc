"""``--set section.key=value`` overrides on a recipe's tables, values parsed as TOML."""

from __future__ import annotations

import tomllib
from typing import Any

from derainbench.errors import ConfigError


def parse_value(text: str) -> Any:
    """A TOML value (number, bool, list, quoted string); anything else is taken as a string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def apply_override(config: dict[str, Any], assignment: str) -> None:
    """Apply ``section.key=value`` (list items by index: ``terms.0.weight=10``) in place."""
    if "=" not in assignment:
        raise ConfigError(f"override '{assignment}' is not of the form section.key=value")
    path, _, raw = assignment.partition("=")
    keys = path.strip().split(".")
    node: Any = config
    for key in keys[:-1]:
        if isinstance(node, list):
            node = node[_list_index(node, key, path)]
        else:
            node = node.setdefault(key, {})
    last = keys[-1]
    if isinstance(node, list):
        node[_list_index(node, last, path)] = parse_value(raw.strip())
    elif isinstance(node, dict):
        node[last] = parse_value(raw.strip())
    else:
        raise ConfigError(f"override '{assignment}': '{'.'.join(keys[:-1])}' is not a table")


def _list_index(items: list[Any], key: str, path: str) -> int:
    if not key.isdigit() or int(key) >= len(items):
        raise ConfigError(f"override '{path}': '{key}' is not an index below {len(items)}")
    return int(key)


def split_values(text: str) -> list[str]:
    """'1,2,[0.6, 0.8]' → ['1', '2', '[0.6, 0.8]']: commas inside brackets or quotes stay."""
    values, depth, quote, current = [], 0, "", ""
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
        elif char == "," and depth == 0:
            values.append(current.strip())
            current = ""
            continue
        current += char
    values.append(current.strip())
    return [v for v in values if v]
