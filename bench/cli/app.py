"""The Typer app, its global options, and how errors reach the user (one line, non-zero exit)."""

from __future__ import annotations

import functools
import logging
import os
import sys
import warnings
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from derainbench import __version__
from derainbench.errors import DerainBenchError


def _console(stderr: bool) -> Console:
    # Tables printed into a log file or pipe would otherwise be squeezed into 80 columns.
    stream = sys.stderr if stderr else sys.stdout
    width = None if stream.isatty() else int(os.environ.get("COLUMNS", 160))
    return Console(stderr=stderr, width=width)


console = _console(stderr=False)
err_console = _console(stderr=True)

app = typer.Typer(
    name="derain-bench",
    help="Train, evaluate and compare image-deraining GANs from interchangeable parts.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
    rich_markup_mode="markdown",
)

F = TypeVar("F", bound=Callable[..., Any])


def _reporting_errors(function: F) -> Callable[..., Any]:
    """Wrap a command: a DerainBenchError prints as one line and exits with status 2 (130 for
    an interrupted training run); Ctrl-C exits with 130; anything else is a bug and keeps its
    traceback."""

    @functools.wraps(function)
    def wrapper(*a: Any, **k: Any) -> Any:
        try:
            return function(*a, **k)
        except DerainBenchError as error:
            err_console.print(
                f"[bold red]error:[/] {escape(str(error))}", highlight=False, soft_wrap=True
            )
            # 2 for bad input; 128 + the signal for a run stopped by one (its exit_code).
            raise typer.Exit(getattr(error, "exit_code", 2)) from None
        except KeyboardInterrupt:
            err_console.print("[bold red]interrupted[/]", highlight=False)
            raise typer.Exit(130) from None

    return wrapper


def command(*args: Any, **kwargs: Any) -> Callable[[F], F]:
    """Register a top-level command with the error handling of :func:`_reporting_errors`."""

    def decorator(function: F) -> F:
        app.command(*args, **kwargs)(_reporting_errors(function))
        return function

    return decorator


def sub_command(sub_app: typer.Typer, name: str, **kwargs: Any) -> Callable[[F], F]:
    """Register ``name`` on a sub-app (e.g. ``data synth``) with the same error handling."""

    def decorator(function: F) -> F:
        sub_app.command(name, **kwargs)(_reporting_errors(function))
        return function

    return decorator


def _show_warning(message: Any, category: type, *args: Any, **kwargs: Any) -> None:
    err_console.print(
        f"[yellow]warning:[/] {escape(str(message))}", highlight=False, soft_wrap=True
    )


class _NoticeHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        err_console.print(
            f"[cyan]notice:[/] {escape(record.getMessage())}", highlight=False, soft_wrap=True
        )


def _version(value: bool) -> None:
    if value:
        console.print(f"derain-bench {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    plugin: Annotated[
        list[str] | None,
        typer.Option(
            "--plugin",
            "-p",
            help="Import a plug-in module (dotted path or .py file) that registers components. "
            "Repeatable; also read from DERAINBENCH_PLUGINS (comma-separated) and the "
            "'derainbench.plugins' entry-point group.",
        ),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """Train, evaluate and compare image-deraining GANs from interchangeable parts."""
    warnings.showwarning = _show_warning
    logger = logging.getLogger("derainbench")
    if not any(isinstance(h, _NoticeHandler) for h in logger.handlers):
        logger.addHandler(_NoticeHandler())
        logger.setLevel(logging.INFO)
        logger.propagate = False
    from derainbench import plugins

    plugins.REQUESTED.clear()  # one invocation's --plugin options, recorded in its runs
    for spec in plugin or []:
        plugins.load_plugin(spec)


def main() -> None:
    """Entry point of the ``derain-bench`` script: usage errors (an unknown option, a missing
    argument, a value of the wrong type) are one line too, like every other error."""
    command = typer.main.get_command(app)
    try:
        status = command.main(prog_name="derain-bench", standalone_mode=False)
    except typer.Abort:
        err_console.print("[bold red]interrupted[/]", highlight=False)
        raise SystemExit(130) from None
    except DerainBenchError as error:  # raised outside a command, e.g. in an option callback
        err_console.print(
            f"[bold red]error:[/] {escape(str(error))}", highlight=False, soft_wrap=True
        )
        raise SystemExit(2) from None
    except typer.TyperException as error:  # Typer's (Click's) usage errors
        if type(error).__name__ == "NoArgsIsHelpError":
            app()  # the help, as Typer prints it
            return
        ctx = getattr(error, "ctx", None)
        where = f" (see `{ctx.command_path} --help`)" if ctx is not None else ""
        text = error.format_message() if hasattr(error, "format_message") else str(error)
        message = escape(" ".join(text.split()))
        err_console.print(f"[bold red]error:[/] {message}{where}", highlight=False, soft_wrap=True)
        raise SystemExit(getattr(error, "exit_code", 2)) from None
    raise SystemExit(status if isinstance(status, int) else 0)
