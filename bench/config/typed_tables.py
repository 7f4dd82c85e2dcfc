"""Reading TOML tables into typed, frozen records strictly: an unknown key is refused with its
close matches, a value of the wrong type with the key's name, and no value is coerced (no bool
for a number, no string for a list)."""

from __future__ import annotations

import dataclasses
import difflib
import json
import types
import typing
from collections.abc import Mapping
from typing import Any

from derainbench.errors import ConfigError


def unknown_key_message(key: str, known: list[str], where: str) -> str:
    """One line: the unknown key, its close matches, the known keys."""
    close = difflib.get_close_matches(key, known, n=3, cutoff=0.5)
    name = f"{where}.{key}" if where else key
    hint = f"did you mean {', '.join(repr(c) for c in close)}?" if close else "known keys:"
    return f"unknown configuration key '{name}'; {hint} ({', '.join(known)})"


def _type_name(hint: Any) -> str:
    names = {int: "an integer", float: "a number", bool: "true or false", str: "a string"}
    if hint in names:
        return names[hint]
    origin = typing.get_origin(hint)
    if origin is tuple:
        return f"a list of {_type_name(typing.get_args(hint)[0]).removeprefix('a ')}s"
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type_name(a) for a in typing.get_args(hint) if a is not type(None))
    return getattr(hint, "__name__", str(hint))


def _convert(value: Any, hint: Any) -> Any:
    """``value`` as ``hint`` wants it, or raise ValueError: no bool for numbers, no coercion."""
    if hint is Any:
        return value
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in typing.get_args(hint):
            return None
        for option in typing.get_args(hint):
            if option is type(None):
                continue
            try:
                return _convert(value, option)
            except ValueError:
                continue
        raise ValueError
    if origin is tuple:
        if not isinstance(value, list | tuple):
            raise ValueError
        return tuple(_convert(item, typing.get_args(hint)[0]) for item in value)
    if hint is bool:
        if type(value) is not bool:
            raise ValueError
        return value
    if hint is int:
        if type(value) is not int:
            raise ValueError
        return value
    if hint is float:
        if type(value) not in (int, float):
            raise ValueError
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise ValueError
        return value
    return value


def settings_section(cls: type, raw: Any, where: str) -> Any:
    """The record ``cls`` (a settings section, a recipe's table) from TOML table ``raw``,
    strictly."""
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise ConfigError(f"configuration section '{where}' must be a table, got {raw!r}")
    hints = typing.get_type_hints(cls)
    known = [f.name for f in dataclasses.fields(cls)]
    values = {}
    for key, value in raw.items():
        if key not in known:
            raise ConfigError(unknown_key_message(key, known, where))
        try:
            values[key] = _convert(value, hints[key])
        except ValueError:
            raise ConfigError(
                f"{where}.{key} must be {_type_name(hints[key])} (got {_toml_literal(value)})"
            ) from None
    missing = [
        f.name
        for f in dataclasses.fields(cls)
        if f.name not in values
        and f.default is dataclasses.MISSING
        and f.default_factory is dataclasses.MISSING
    ]
    if missing:
        raise ConfigError(f"configuration section '{where}' needs '{missing[0]}'")
    return cls(**values)


def _toml_literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value, default=str) if not isinstance(value, int | float) else repr(value)


def positive(where: str, value: int) -> None:
    """Refuse ``value`` unless it is at least 1."""
    if value < 1:
        raise ConfigError(f"{where} must be a positive integer (got {value})")


def choice(where: str, value: str, choices: tuple[str, ...]) -> None:
    """Refuse ``value`` unless it is one of ``choices``."""
    if value not in choices:
        raise ConfigError(f"{where} must be one of {', '.join(choices)} (got {value!r})")
