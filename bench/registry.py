"""A timm-style registry: a decorator registers a builder under a name, with typed metadata.

One :class:`Registry` exists per kind of component (see :mod:`derainbench.registries`). Built-in
components and plug-ins are imported lazily, the first time a registry is queried, so that
``import derainbench`` stays cheap and a broken plug-in cannot break the package.

Metadata is a typed record per kind (as timm's ``PretrainedCfg``): a misspelt field is refused
when the component registers, and a test parametrised over every registry checks each record
against the instance its builder makes.
"""

from __future__ import annotations

import dataclasses
import difflib
import fnmatch
import json
import types
import typing
from collections import abc
from collections.abc import Callable, Iterable, Mapping, Sized
from dataclasses import dataclass, field
from typing import Any

from derainbench.errors import DerainBenchError, UnknownNameError


@dataclass(frozen=True, kw_only=True)
class ComponentInfo:
    """What every registered component may declare about itself."""

    description: str = ""
    paper: str = ""
    #: Remarks for people, shown by ``derain-bench info`` (e.g. where a mask comes from).
    notes: tuple[str, ...] = ()
    #: Options of a tiny instance that the registry-parametrised tests build in milliseconds.
    test_kwargs: Mapping[str, Any] = field(default_factory=dict)

    def shown(self) -> dict[str, Any]:
        """The fields people read (``info``, ``list --json``): the set ones, not test options."""
        values = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        return {
            name: value
            for name, value in values.items()
            if name != "test_kwargs" and not (isinstance(value, Sized | str) and len(value) == 0)
        }


def _normalised(values: Mapping[str, Any]) -> dict[str, Any]:
    """Lists become tuples and ``provides``/``needs`` frozensets, so records compare by value."""
    out = {}
    for key, value in values.items():
        if key in ("provides", "needs") and value is not None:
            value = frozenset(value)
        elif isinstance(value, list):
            value = tuple(value)
        out[key] = value
    return out


@dataclass(frozen=True)
class Entry:
    """One registered component: its name, builder and typed metadata record."""

    name: str
    kind: str
    builder: Callable[..., Any]
    info: ComponentInfo = field(default_factory=ComponentInfo)

    @property
    def module(self) -> str:
        return getattr(self.builder, "__module__", "?")

    @property
    def description(self) -> str:
        doc = (self.builder.__doc__ or "").strip()
        return self.info.description or (doc.splitlines()[0] if doc else "")


class Registry:
    """Names → builders for one kind of component ("generator", "objective", ...)."""

    def __init__(
        self,
        kind: str,
        loader: Callable[[], None] | None = None,
        info_type: type[ComponentInfo] = ComponentInfo,
    ) -> None:
        self.kind = kind
        self.info_type = info_type
        self._entries: dict[str, Entry] = {}
        self._loader = loader

    # -- registration -------------------------------------------------------------------------
    def register(
        self, name: str | None = None, *, override: bool = False, **metadata: Any
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Decorator: register ``builder`` under ``name`` (default: the function's name), with
        the metadata fields of this registry's record type."""

        def decorator(builder: Callable[..., Any]) -> Callable[..., Any]:
            key = name or builder.__name__
            existing = self._entries.get(key)
            if existing is not None and not override and existing.builder is not builder:
                raise DerainBenchError(
                    f"{self.kind} '{key}' is already registered by {existing.module}; "
                    f"pass override=True to replace it"
                )
            self._entries[key] = Entry(key, self.kind, builder, self._info(key, metadata))
            return builder

        return decorator

    def _info(self, name: str, metadata: Mapping[str, Any]) -> ComponentInfo:
        known = [f.name for f in dataclasses.fields(self.info_type)]
        unknown = [key for key in metadata if key not in known]
        if unknown:
            close = difflib.get_close_matches(unknown[0], known, n=3, cutoff=0.5)
            hint = f"did you mean {', '.join(map(repr, close))}" if close else "fields"
            raise DerainBenchError(
                f"{self.kind} '{name}': unknown metadata field '{unknown[0]}' "
                f"({hint}; see {self.info_type.__name__}: {', '.join(known)})"
            )
        return self.info_type(**_normalised(metadata))

    # -- queries ------------------------------------------------------------------------------
    def _ensure_loaded(self) -> None:
        if self._loader is not None:
            self._loader()

    def names(self, patterns: str | Iterable[str] | None = None) -> list[str]:
        """Registered names, sorted, filtered by one or more fnmatch patterns."""
        self._ensure_loaded()
        names = sorted(self._entries)
        if patterns is None:
            return names
        if isinstance(patterns, str):
            patterns = [patterns]
        patterns = list(patterns)
        return [n for n in names if any(fnmatch.fnmatchcase(n, p) for p in patterns)]

    def __contains__(self, name: object) -> bool:
        self._ensure_loaded()
        return name in self._entries

    def __len__(self) -> int:
        self._ensure_loaded()
        return len(self._entries)

    def get(self, name: str) -> Entry:
        """The entry for ``name``; an unknown name raises one line with the close matches."""
        self._ensure_loaded()
        try:
            return self._entries[name]
        except KeyError:
            raise UnknownNameError(self.unknown_message(name)) from None

    def close_matches(self, name: str) -> list[str]:
        """Up to three registered names that look like ``name`` (typos, partial names)."""
        self._ensure_loaded()
        close = difflib.get_close_matches(name, list(self._entries), n=3, cutoff=0.5)
        close += [n for n in sorted(self._entries) if name.lower() in n.lower() and n not in close]
        return close[:3]

    def unknown_message(self, name: str) -> str:
        """One line: the unknown name, then close matches or, failing those, the known names."""
        close = self.close_matches(name)
        hint = (
            f"did you mean {', '.join(repr(c) for c in close)}?"
            if close
            else f"known: {', '.join(sorted(self._entries)) or 'none'}"
        )
        return f"unknown {self.kind} '{name}'; {hint} (see `derain-bench list {self.kind}s`)"

    def create(self, name: str, **kwargs: Any) -> Any:
        """Build ``name``; None-valued kwargs are dropped so that builder defaults survive.

        Options of the wrong type, and values the builder cannot build (a width of 0), are one
        line naming the component and the option, never a traceback.
        """
        entry = self.get(name)
        kwargs = {k: v for k, v in kwargs.items() if v is not None}
        check_option_types(self.kind, name, entry.builder, kwargs)
        try:
            return entry.builder(**kwargs)
        except TypeError as error:
            # A misspelt option is a user error; name the options the builder accepts.
            if "unexpected keyword argument" in str(error):
                raise DerainBenchError(
                    f"{self.kind} '{name}': {error.args[0].split(')', 1)[-1].strip()}; "
                    f"options: {', '.join(builder_options(entry.builder)) or 'none'}"
                ) from None
            raise
        except (ValueError, RuntimeError, ZeroDivisionError) as error:
            # torch refuses impossible layer sizes (ngf=0) deep inside; say which option did it.
            given = ", ".join(f"{k}={v!r}" for k, v in kwargs.items()) or "its defaults"
            reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error)
            raise DerainBenchError(
                f"{self.kind} '{name}' cannot be built with {given}: {reason}"
            ) from None


def builder_options(builder: Callable[..., Any]) -> list[str]:
    """Names of the keyword options a builder accepts."""
    import inspect

    params = inspect.signature(builder).parameters.values()
    return [p.name for p in params if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)]


def builder_defaults(builder: Callable[..., Any]) -> dict[str, Any]:
    """Default values of a builder's keyword options (the paper configuration)."""
    import inspect

    params = inspect.signature(builder).parameters.values()
    return {p.name: p.default for p in params if p.default is not inspect.Parameter.empty}


def type_name(hint: Any) -> str:
    """How a type reads in an error: "an integer", "a list of numbers", "a string or none"."""
    names = {int: "an integer", float: "a number", bool: "true or false", str: "a string"}
    if hint in names:
        return names[hint]
    if hint is type(None):
        return "none"
    origin = typing.get_origin(hint)
    if origin in (list, tuple, abc.Sequence):
        args = [a for a in typing.get_args(hint) if a is not Ellipsis]
        return (
            f"a list of {type_name(args[0]).removeprefix('a ').removeprefix('an ')}s"
            if args
            else "a list"
        )
    if origin in (typing.Union, types.UnionType):
        return " or ".join(type_name(a) for a in typing.get_args(hint))
    if origin is typing.Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(hint))
    return getattr(hint, "__name__", str(hint))


def value_matches(value: Any, hint: Any) -> bool:
    """Whether ``value`` (from TOML or Python) fits type hint ``hint``; unknown hints fit."""
    if hint is Any:
        return True
    if hint is type(None):
        return value is None
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return any(value_matches(value, option) for option in typing.get_args(hint))
    if origin is typing.Literal:
        return value in typing.get_args(hint)
    if origin in (list, tuple, abc.Sequence):
        args = [a for a in typing.get_args(hint) if a is not Ellipsis]
        if not isinstance(value, list | tuple):
            return False
        return not args or all(value_matches(item, args[0]) for item in value)
    if origin in (dict, abc.Mapping):
        return isinstance(value, dict)
    if hint is bool:
        return type(value) is bool
    if hint is int:
        return type(value) is int
    if hint is float:
        return type(value) in (int, float)
    if hint is str:
        return isinstance(value, str)
    if isinstance(hint, type):
        return isinstance(value, hint)
    return True


def option_hints(builder: Callable[..., Any]) -> dict[str, Any]:
    """The type hints of a builder's options (none when they cannot be evaluated)."""
    try:
        hints = typing.get_type_hints(builder)
    except (NameError, TypeError):  # a forward reference the module cannot resolve: no checks
        return {}
    hints.pop("return", None)
    return hints


def check_option_types(kind: str, name: str, builder: Callable[..., Any], options: Mapping) -> None:
    """Refuse, in one line, an option whose value does not fit the builder's type hint."""
    hints = option_hints(builder)
    for option, value in options.items():
        if option in hints and not value_matches(value, hints[option]):
            shown = json.dumps(value) if isinstance(value, str) else repr(value)
            if isinstance(value, bool):
                shown = "true" if value else "false"
            raise DerainBenchError(
                f"{kind} '{name}': option {option} must be {type_name(hints[option])} (got {shown})"
            )
