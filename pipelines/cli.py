"""The ``prospect`` command line.

Each command lives in its own module under :mod:`pipelines.commands` and registers itself
on :data:`app`. :func:`main` turns a :class:`~prospect.errors.ProspectError` into one
clear line on stderr and a non-zero exit code; ``--debug`` (or ``PROSPECT_DEBUG=1``) shows
the traceback instead.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape

from pipelines.faults import StopRequest, named_outputs, os_error_line, stop_signals_interrupt
from prospect.errors import ProspectError
from prospect.redact import redact

try:  # typer >= 0.26 vendors click; older releases use the click package
    from typer._click import ClickException
except ImportError:  # pragma: no cover
    from click import ClickException  # type: ignore[assignment]

__all__ = ["app", "main"]

app = typer.Typer(
    name="prospect",
    help="Prospect: satellite imagery and survey layers to prospectivity maps.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _print_version(value: bool) -> None:
    """``--version``: the version and where it runs from (two installs on one cluster
    differ), then stop."""
    if value:
        import prospect

        typer.echo(f"prospect {prospect.__version__} ({os.path.dirname(prospect.__file__)}, "
                   f"Python {sys.version.split()[0]})")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_print_version, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    """Prospect: satellite imagery and survey layers to prospectivity maps."""


_registered: list[str] = []


def _register() -> None:
    """Add every command module's commands to :data:`app`, once per process."""
    import importlib

    from pipelines.commands import COMMAND_MODULES

    for module in COMMAND_MODULES:
        if module not in _registered:
            importlib.import_module(f"pipelines.commands.{module}").register(app)
            _registered.append(module)


def _redact_logs() -> None:
    """Log records lose URL credentials before any handler formats them (once per process)."""
    factory = logging.getLogRecordFactory()
    if getattr(factory, "prospect_redacts", False):
        return

    def make(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = factory(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: leave it to the handler to report
            return record
        if "://" in message or "=" in message:
            record.msg, record.args = redact(message), None
        return record

    make.prospect_redacts = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(make)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``prospect`` script; returns the exit code."""
    with named_outputs():  # what each output option named, until its error is printed
        return _main(argv)


def _main(argv: list[str] | None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    debug = os.environ.get("PROSPECT_DEBUG") == "1"
    if "--debug" in args:
        args.remove("--debug")
        debug = True
    err = Console(stderr=True, highlight=False)
    _redact_logs()
    try:
        with stop_signals_interrupt() as stop:
            _register()  # the command modules' imports: a stop here is one line too
            # typer turns an interrupt that leaves a command into Exit(130), which it returns
            code = app(args=args, prog_name="prospect", standalone_mode=False)
        if code == 130:
            err.print(stop.line())
            return stop.exit_code
        if type(code) is int:  # typer.Exit(n) raised by a command
            return code
    except ProspectError as exc:
        if debug:
            raise
        first, *rest = redact(str(exc)).splitlines() or [type(exc).__name__]
        err.print(f"[bold red]error:[/bold red] {escape(first)}", markup=True, soft_wrap=True)
        for line in rest:
            err.print(f"  {line}", markup=False, soft_wrap=True)
        return exc.exit_code
    except typer.Exit as exc:
        return int(exc.exit_code or 0)
    except typer.Abort:
        err.print("aborted")
        return 130
    except ClickException as exc:
        exc.show()
        return exc.exit_code
    except KeyboardInterrupt as exc:  # before or after the command ran
        stop = StopRequest(getattr(exc, "signum", None))
        err.print(stop.line())
        return stop.exit_code
    except OSError as exc:  # disk full, read-only, file-size limit...: the path and the cause
        if debug:
            raise
        err.print(f"[bold red]error:[/bold red] {escape(redact(os_error_line(exc)))}", markup=True,
                  soft_wrap=True)
        return 74  # EX_IOERR
    except Exception as exc:  # a traceback is a bug: show one line, keep the details
        if debug:
            raise
        err.print(
            f"[bold red]internal error:[/bold red] {type(exc).__name__}: "
            f"{escape(redact(str(exc)))}\n"
            "  this is a bug in Prospect; rerun with --debug for the traceback and report it",
            markup=True, soft_wrap=True,
        )
        return 70
    return 0


if __name__ == "__main__":
    from pipelines.entry import exit_code

    sys.exit(exit_code(main()))
