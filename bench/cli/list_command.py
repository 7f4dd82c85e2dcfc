"""``derain-bench list`` and ``derain-bench info``: what is registered, and the details of one."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.table import Table

from derainbench.cli.app import command, console
from derainbench.errors import DerainBenchError, UnknownNameError
from derainbench.registries import ALL
from derainbench.registry import Entry, builder_defaults

# Metadata shown as a column of `list`, per kind.
LIST_COLUMNS: dict[str, tuple[str, ...]] = {
    "generators": ("family", "native_range", "multiple_of", "outputs"),
    "discriminators": ("family", "conditional", "outputs"),
    "objectives": ("generator_loss",),
    "terms": ("player", "needs"),
    "penalties": ("applies_to",),
    "datasets": ("layout",),
    "protocols": ("y_channel", "scores"),
    "scores": ("higher_is_better", "digits", "unit", "source"),
    "recipes": ("generator", "discriminator", "objective", "terms"),
}


def _cell(value: Any) -> str:
    if isinstance(value, frozenset):
        value = sorted(value)
    if isinstance(value, list | tuple):
        if any(len(str(v)) > 40 for v in value):  # sentences (a recipe's deviations): one a line
            return "\n".join(f"• {v}" for v in value)
        return ", ".join(map(str, value)) or "-"
    return "-" if value is None or value == "" else str(value)


def _jsonable(value: Any) -> Any:
    def plain(item: Any) -> Any:
        return sorted(item) if isinstance(item, frozenset | set) else str(item)

    return json.loads(json.dumps(value, default=plain))


def _entry_record(entry: Entry) -> dict[str, Any]:
    meta = entry.info.shown()
    return {
        "name": entry.name,
        "kind": entry.kind,
        "description": entry.description,
        "module": entry.module,
        "options": _jsonable(builder_defaults(entry.builder)),
        **_jsonable(meta),
    }


@command("list")
def list_components(
    kind: Annotated[
        str,
        typer.Argument(
            help="generators, discriminators, objectives, terms, penalties, datasets, protocols, "
            "scores, recipes or all."
        ),
    ] = "all",
    pattern: Annotated[
        list[str] | None, typer.Argument(help="fnmatch patterns on names, e.g. 'u*'.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """List registered components, optionally filtered by kind and name patterns."""
    kinds = list(ALL) if kind == "all" else [_kind(kind)]
    if as_json:
        records = {k: [_entry_record(ALL[k].get(n)) for n in ALL[k].names(pattern)] for k in kinds}
        console.print_json(json.dumps(records))
        return
    for name in kinds:
        registry = ALL[name]
        table = Table(title=name, title_justify="left", show_lines=False)
        table.add_column("name", style="bold cyan", no_wrap=True)
        for column in LIST_COLUMNS[name]:
            table.add_column(column)
        table.add_column("description")
        for entry_name in registry.names(pattern):
            entry = registry.get(entry_name)
            cells = [_cell(getattr(entry.info, c)) for c in LIST_COLUMNS[name]]
            table.add_row(entry_name, *cells, entry.description)
        console.print(table)
    _report_plugin_failures()


def _kind(kind: str) -> str:
    singular = {registry.kind: k for k, registry in ALL.items()}
    if kind in ALL:
        return kind
    if kind in singular:
        return singular[kind]
    raise UnknownNameError(f"unknown kind '{kind}'; choose one of {', '.join(ALL)} or all")


def _report_plugin_failures() -> None:
    from derainbench.plugins import FAILURES

    for failure in FAILURES:
        console.print(f"[yellow]skipped {failure.source} '{failure.name}': {failure.reason}[/]")


@command("info")
def info(
    name: Annotated[str, typer.Argument(help="A registered name, e.g. unet or pix2pix.")],
    kind: Annotated[
        str | None, typer.Option("--kind", "-k", help="Which registry, if the name is in several.")
    ] = None,
    option: Annotated[
        list[str] | None,
        typer.Option("--option", "-o", help="Builder option KEY=VALUE for the parameter count."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Show one component: its paper, metadata, options with defaults and parameter count."""
    entry = _find(name, kind)
    record = _entry_record(entry)
    if entry.kind in ("generator", "discriminator"):
        record["parameters"] = _count(entry, option or [])
    if as_json:
        console.print_json(json.dumps(record))
        return
    table = Table(show_header=False, title=f"{entry.kind} [bold]{entry.name}[/]")
    table.add_column(style="bold")
    table.add_column()
    for key, value in record.items():
        if key in ("name", "kind"):
            continue
        if key == "options":
            value = ", ".join(f"{k}={v}" for k, v in value.items()) or "-"
        elif key == "parameters":
            value = f"{value:,}"
        table.add_row(key, _cell(value))
    console.print(table)


def _find(name: str, kind: str | None) -> Entry:
    if kind is not None:
        return ALL[_kind(kind)].get(name)
    matches = [registry.get(name) for registry in ALL.values() if name in registry]
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        kinds = ", ".join(m.kind for m in matches)
        raise DerainBenchError(f"'{name}' names a {kinds}; choose one with --kind")
    close = [repr(c) for registry in ALL.values() for c in registry.close_matches(name)]
    hint = f"; did you mean {', '.join(close)}?" if close else "; see `derain-bench list`"
    raise UnknownNameError(f"unknown component '{name}'{hint}")


def _count(entry: Entry, options: list[str]) -> int:
    from derainbench.config import parse_value
    from derainbench.contracts import count_parameters

    kwargs = {}
    for item in options:
        key, sep, value = item.partition("=")
        if not sep:
            raise DerainBenchError(f"--option '{item}' is not KEY=VALUE")
        kwargs[key.strip()] = parse_value(value.strip())
    return count_parameters(ALL[entry.kind + "s"].create(entry.name, **kwargs))
