"""The ``prospect`` command line.

Each command lives in its own module under :mod:`pipelines.commands` and registers itself
on :data:`app`. :func:`main` turns a :class:`~prospect.errors.ProspectError` into one
clear line on stderr and a non-zero exit code; ``--debug`` (or ``PROSPECT_DEBUG=1``) shows
the traceback instead. A reader that closes the pipe a command prints into (``prospect plan
JOB | head``) stops the command quietly with exit code 141, as SIGPIPE stops a Unix tool
(:func:`closed_output_stops`).
"""

from __future__ import annotations

import _thread
import codecs
import contextlib
import errno
import io
import logging
import os
import re
import select
import signal
import sys
import threading
from collections.abc import Callable, Collection, Iterator
from pathlib import Path
from typing import Any, get_args

import typer
from rich.console import Console
from rich.markup import escape

from pipelines.commands._common import file_name_fix
from pipelines.faults import (
    STOP_NOTE,
    Stopped,
    StopRequest,
    debugging,
    named_outputs,
    numerical_libraries_loaded,
    os_error_line,
    stack_limit,
    stop_behind,
    stop_signals_interrupt,
    terminal_gone_proof,
    written_stream,
)
from prospect.errors import ConfigError, ProspectError
from prospect.redact import redact

try:  # typer >= 0.26 vendors click; older releases use the click package
    from typer._click import exceptions as _click_errors
except ImportError:  # pragma: no cover
    from click import exceptions as _click_errors  # type: ignore[no-redef]
ClickException = _click_errors.ClickException
ClickUsageError = _click_errors.UsageError

__all__ = ["OutputClosed", "app", "closed_output_stops", "main"]

HELP_OPTIONS = ("-h", "--help")
"""The options that print a command's help (exit 0)."""

app = typer.Typer(
    name="prospect",
    help="Prospect: satellite imagery and survey layers to prospectivity maps.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    # ``-h`` as git, GDAL's tools, pip and docker take it (it was "No such option: -h",
    # exit 2); every command inherits the names from this context
    context_settings={"help_option_names": list(HELP_OPTIONS)},
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


def _flags_show_no_value() -> None:
    """Show a flag in ``--help`` without a value type.

    typer 0.29 prints every option's type, a flag's too: ``--json <bool>`` and
    ``--force,--restart <bool>`` read as options that take ``true`` or ``false``, and
    ``prospect plan JOB --json true`` was "Got unexpected extra argument(s) (true)". A flag
    takes no value, and its help line says so by showing none.
    """
    from typer.core import TyperOption

    shown = TyperOption.display_type_rich
    if getattr(TyperOption, "_prospect_flags", False):
        return

    def display_type_rich(self: Any, ctx: Any) -> str | None:
        if self.is_flag and not self.count:
            return None
        return shown(self, ctx)

    type.__setattr__(TyperOption, "display_type_rich", display_type_rich)
    type.__setattr__(TyperOption, "_prospect_flags", True)


_registered: list[str] = []


def _register() -> None:
    """Add every command module's commands to :data:`app`, once per process."""
    import importlib

    from pipelines.commands import COMMAND_MODULES

    _flags_show_no_value()
    for module in COMMAND_MODULES:
        if module not in _registered:
            importlib.import_module(f"pipelines.commands.{module}").register(app)
            _registered.append(module)


def _option_uses(command: Any, args: list[str]) -> Iterator[tuple[Any, list[str], str]]:
    """Each use of a single-valued option of ``command`` in ``args`` (a command's own
    arguments), in order: the option, its names (``--out``, ``-o``) and the value given
    (``-o VALUE``, ``--out=VALUE``, ``-oVALUE``; ``""`` when the line ends first)."""
    for param in getattr(command, "params", ()):
        if getattr(param, "param_type_name", "") != "option" or param.multiple or \
                param.is_flag or param.count:
            continue
        names = [*param.opts, *param.secondary_opts]
        i = 0
        while i < len(args):
            arg = args[i]
            if arg == "--":
                break
            if arg in names:
                yield param, names, args[i + 1] if i + 1 < len(args) else ""
                i += 2
                continue
            long = next((n for n in names if n.startswith("--") and arg.startswith(n + "=")),
                        None)
            short = next((n for n in names if len(n) == 2 and n != arg and
                          arg.startswith(n) and not arg.startswith("--")), None)
            if long or short:
                yield param, names, arg[len(long) + 1:] if long else arg[2:]
            i += 1


def _option_values(command: Any, args: list[str]) -> dict[str, list[str]]:
    """The values each single-valued option of ``command`` given more than once was given
    in ``args`` (a command's own arguments), by the option's names (``--out/-o``)."""
    given: dict[str, list[str]] = {}
    for _, names, value in _option_uses(command, args):
        given.setdefault("/".join(sorted(names, key=len)), []).append(value)
    return {option: values for option, values in given.items() if len(values) > 1}


def _refuse_short_option_equals(command: Any, args: list[str]) -> None:
    """A short option joined to its value by ``=`` (``-o=out``) is a command-line error.

    Click reads ``-oVALUE`` as the short option's value, ``=`` included, as POSIX tools
    do: ``prospect run job.yaml -o=out`` ran the job into a folder named ``=out`` (exit
    0, the path printed with the ``=`` a reader passes over), and ``model score -c=cube.zarr``
    looked for a cube ``=cube.zarr``. The ``=`` belongs to the long names only
    (``--out=out``).

    Parameters
    ----------
    command
        The click command the arguments are for.
    args
        The command's own arguments (after its name), up to ``--``.

    Raises
    ------
    click.UsageError
        Naming the word and the two ways to write it.
    """
    for param in getattr(command, "params", ()):
        if getattr(param, "param_type_name", "") != "option" or param.is_flag or \
                param.count:
            continue
        names = [*param.opts, *param.secondary_opts]
        longs = [n for n in names if n.startswith("--")]
        for arg in args:
            if arg == "--":
                break
            short = next((n for n in names if len(n) == 2 and arg.startswith(n + "=")), None)
            if short is None:
                continue
            value = arg[3:] or "VALUE"
            ways = f"{short} {value}" + (f" or {longs[0]}={value}" if longs else "")
            raise ClickUsageError(
                f"{arg!r}: a short option takes its value after a space, not after '=' "
                f"(as written, {short}'s value would be {arg[2:]!r}, '=' included); write "
                f"{ways}")


def _refuse_options_as_values(args: list[str]) -> None:
    """An option's value that is another option's name, or a path that reads as an
    option, is a command-line error.

    Click takes the word after an option as its value, whatever it is: ``prospect run
    job.yaml -o --force`` ran the job into a folder named ``--force`` (a value left out
    of a script's line: ``-o $OUT --force`` with ``OUT`` unset), ``--scheduler -o out``
    was "Missing option '--out'", and ``-o -x`` made a folder ``-x`` that ``rm`` and
    ``cd`` then take for options. A negative number (``--workers -1``) is left to the
    option's own check.
    """
    command, _, rest = _command_at(args)
    if hasattr(command, "commands"):
        return
    known = {*HELP_OPTIONS, "--debug", "--version"}
    for param in getattr(command, "params", ()):
        known.update([*getattr(param, "opts", ()), *getattr(param, "secondary_opts", ())])
    _refuse_short_option_equals(command, rest)
    for param, names, value in _option_uses(command, rest):
        option = "/".join(sorted(names, key=len))
        if value.split("=", 1)[0] in known:
            raise ClickUsageError(
                f"{option} took {value!r}, the name of an option, as its value: the value of "
                f"{option} is missing (a variable empty in a script, e.g. -o \"$OUT\"?); give "
                f"{option} its value")
        descriptor = getattr(param, "type_descriptor", None)
        annotation = getattr(descriptor, "annotation", None)
        is_path = annotation is Path or Path in get_args(annotation)
        if value == "-" and is_path:
            raise ClickUsageError(f"{option} was given '-', {_dash_alone(param)}")
        if value.startswith("-") and is_path:
            raise ClickUsageError(
                f"{option} was given {value!r}, which reads as an option (or, alone, as "
                "standard input or output, which no path option takes); a file or folder "
                f"whose name starts with '-' is written ./{value}")


def _dash_alone(param: Any) -> str:
    """Why a path option given ``-`` alone is refused, and what to give instead: an
    output's folder or file, or the input saved to a file first.

    ``--outlines-from -`` (a file piped in, as ``ogr2ogr`` and ``curl`` take ``-``) was
    told that ``-`` "reads as an option" and to write ``./-``: a file named ``-``, which
    the user had not. A config given as ``-`` is said by the config's own check.
    """
    callback = getattr(getattr(param, "callback", None), "__name__", "")
    if param.name == "out" or callback.startswith("names_output"):
        return ("which stands for standard output in some tools; no option of prospect "
                "writes to standard input or output: give the path of the folder or file "
                "to write (a file named '-' is written ./-)")
    return ("which stands for standard input in some tools; no option of prospect reads "
            "standard input or output: save what you would pipe in as a file first and "
            "give its path (a file named '-' is written ./-)")


_click_commands: dict[tuple[str, ...], Any] = {}
"""The click command typer built from :data:`app`, by the command modules registered."""


def click_command() -> Any:
    """The click command of :data:`app` (its groups and every registered command), built
    once per process.

    Typer builds it by reading every command's signature and type hints (15 ms of CPU
    each time here); a command line built it four times (the three checks of its words
    before click parses them, then the run): 60 ms of every ``prospect`` call, and in a
    process that calls :func:`main` many times (the test corpus) a third of a small
    run's own CPU.
    """
    from typer.main import get_command

    key = tuple(_registered)
    if key not in _click_commands:
        _click_commands.clear()
        _click_commands[key] = get_command(app)
        _plain_help(_click_commands[key])
    return _click_commands[key]


def _help_text(text: str) -> str:
    """A command's docstring as its ``--help`` shows it: each paragraph one line (the
    terminal wraps it), literals without reST's double backquotes, and nothing after a
    line of ``\\f`` (notes for the code's readers).

    Typer keeps the docstring's line ends past the first paragraph and wraps again at
    the terminal's width: ``prospect plan --help`` at 80 columns broke "exits" / "0 (a
    job ..." onto lines of one word, and showed ````--strict```` as written.
    """
    import inspect

    kept = inspect.cleandoc(text).partition("\f")[0].strip()
    paragraphs = [each if each.startswith("\b") else " ".join(each.split())
                  for each in kept.split("\n\n")]
    return "\n\n".join(paragraphs).replace("``", "")


def _plain_help(command: Any) -> None:
    """Every command's and group's help under ``command``, as :func:`_help_text` makes
    it (in place)."""
    if getattr(command, "help", None):
        command.help = _help_text(command.help)
    for each in getattr(command, "commands", {}).values():
        _plain_help(each)


def _command_at(args: list[str]) -> tuple[Any, list[str], list[str]]:
    """The click command ``args`` name (down the groups: ``model score ...``), the words
    that named it after ``prospect``, and the arguments left for it; a group where the
    next word names none of its commands (or none is given)."""
    command: Any = click_command()
    path: list[str] = []
    rest = list(args)
    while hasattr(command, "commands"):
        name = next((a for a in rest if not a.startswith("-")), None)
        if name is None or name not in command.commands:
            break
        path.append(name)
        rest = rest[rest.index(name) + 1:]
        command = command.commands[name]
    return command, path, rest


_COMPLETE_VAR = "_PROSPECT_COMPLETE"
"""Set by the shell completion script: the command line is being completed, not run."""


def _refuse_windows_line_ends(args: list[str]) -> None:
    """An argument holding a carriage return is a command-line error: the line came from
    a script saved with Windows line ends (CRLF), which the shell does not strip.

    The last word of such a line carries the ``\\r``: ``prospect plan job.yaml\\r`` was
    "config file not found" printed over itself (the carriage return moved the cursor back)
    with a hint about spaces, ``--region bonaire\\r`` an unknown region, and ``-o out\\r``
    made a folder whose name ends in one.
    """
    for number, arg in enumerate(args, start=1):
        if "\r" in arg:
            raise ClickUsageError(
                f"argument {number} ({arg.replace(chr(13), '')!r} and a carriage return) "
                "holds a carriage return: the command comes from a script saved with "
                "Windows line ends (CRLF); convert the script (dos2unix script.sh, or save "
                "it with Unix line ends) and run it again")


def _refuse_missing_command(args: list[str]) -> None:
    """A group called without a command (``prospect``, ``prospect model``) is a usage
    error, said as every other one: the usage line, where the help is, and what to give.

    Groups printed their whole help on standard output and exited 2 with a blank line on
    standard error: the code of a mistake, with no word of one, and a screen of help in
    the output a script reads. ``--help`` asks for the help (exit 0); a script that left a
    command out stops with exit 2 and says what was missing, not a page of text.
    """
    if os.environ.get(_COMPLETE_VAR):
        return  # the shell asks for completions (prospect <TAB>): click answers
    command, path, rest = _command_at(args)
    if rest or not hasattr(command, "commands"):
        return  # options (--help, --version) or a word that is no command: click says
    from typer.core import TyperGroup

    named = " ".join(["prospect", *path])
    ctx = TyperGroup.context_class(command, info_name=named)
    commands = [n for n, c in command.commands.items() if not getattr(c, "hidden", False)]
    raise ClickUsageError(
        f"no command given: '{named}' takes one of {', '.join(commands)} (e.g. "
        f"'{named} {commands[0]} --help' for that command's options)", ctx=ctx)


def _check_environment(args: list[str], err: Console) -> None:
    """Refuse a ``PROSPECT_*`` limit the environment sets to no whole number above 0 (exit
    2, one line naming the variable), and note a ``PROSPECT_DEBUG`` that is neither 1 nor
    0, before a command runs (:func:`prospect.env.check_environment`); not for ``--help``,
    ``--version`` or the shell's completion, which run nothing.

    A limit was read where it was used: ``PROSPECT_MAX_CELLS=abc`` was said as the config's
    ``key 'region'``, ``PROSPECT_MAX_SOURCES=0`` as ``key 'sources' has bad value [...]``,
    a ``PROSPECT_TASK_TIMEOUT`` of 400 digits was ``internal error: OverflowError`` after
    the cluster had started, and ``PROSPECT_DEBUG=true`` turned nothing on without a word.
    A ``DASK_*`` duration dask cannot read (``..._TIMEOUTS__CONNECT=abc``) is refused here
    too (:func:`pipelines.cluster.check_dask_durations`): it failed the cluster's start with
    dask's list of fifty time units.
    """
    if _runs_nothing(args):
        return
    stack_limit()  # a low ulimit -s raised, or refused: it was a segmentation fault
    if set(args[:1]) & COMPUTING_COMMANDS:  # OpenBLAS loaded while small: it hung
        numerical_libraries_loaded()
    from prospect.env import check_environment

    for note in [*check_environment(), *misspelt_variables(os.environ)]:
        _say(err, f"warning: {escape(note)}")
    if any(name.startswith("DASK_") for name in os.environ):
        from pipelines.cluster import check_dask_durations

        check_dask_durations()  # a timeout dask cannot read: before any cluster starts


COMPUTING_COMMANDS = frozenset({"ingest", "screen", "train", "score", "tiles", "run",
                                "indices", "demo", "model"})
"""The commands that compute with numpy's and scipy's OpenBLAS (a job's stages, and the
registry's reuse of models), whose libraries are loaded early under a memory limit
(:func:`pipelines.faults.numerical_libraries_loaded`)."""


PROSPECT_VARIABLES = ("PROSPECT_CACHE_DIR", "PROSPECT_CLUSTER_DIR", "PROSPECT_CONFIG_DIR",
                      "PROSPECT_DEBUG", "PROSPECT_FSYNC", "PROSPECT_MAX_BLOCK_BYTES",
                      "PROSPECT_MAX_CELLS",
                      "PROSPECT_MAX_SOURCES", "PROSPECT_REGISTRY",
                      "PROSPECT_REMOTE_VRT_SOURCES", "PROSPECT_TASK_TIMEOUT")
"""The ``PROSPECT_*`` variables a command reads (those of ``cluster/prospect-job.sbatch``,
``PROSPECT_VENV``, ``PROSPECT_SCHEDULER_FILE``, ``PROSPECT_DASK_INTERFACE`` and
``PROSPECT_BATCH_STEP_MEMORY``, are the batch script's)."""


def misspelt_variables(environ: Any) -> list[str]:
    """A note for each ``PROSPECT_*`` variable of ``environ`` that is one of
    :data:`PROSPECT_VARIABLES` misspelt or in another case, which nothing reads.

    ``export PROSPECT_MAX_CELL=4e10`` (or ``PROSPECT_TASK_TIMOUT=7200``,
    ``prospect_debug=1``) was ignored without a word: the job ran under the default it
    was meant to change, and a refusal that named ``PROSPECT_MAX_CELLS`` read as though
    the variable set had been. A variable named after a config key or a job's option
    (``PROSPECT_RESOLUTION``, ``PROSPECT_REGION__RESOLUTION``, ``PROSPECT_WORKERS``) is
    noted too, with where to give it (:func:`_key_or_option_named`); other
    ``PROSPECT_*`` names are the user's own.
    """
    import difflib

    notes = []
    for name in sorted(environ):
        if not name.upper().startswith("PROSPECT_") or name in PROSPECT_VARIABLES:
            continue
        if name.upper() in PROSPECT_VARIABLES:
            meant, why = name.upper(), "environment variables' names are case-sensitive"
        else:
            close = difflib.get_close_matches(name.upper(), PROSPECT_VARIABLES, n=1,
                                              cutoff=0.85)
            if not close:
                named = _key_or_option_named(name)
                if named:  # PROSPECT_RESOLUTION=20: read as a setting of the job's
                    notes.append(
                        f"${name} is set, but Prospect takes no config key or option from "
                        f"the environment: the setting is ignored; write {named} (or "
                        "unset it)")
                continue  # a variable of the user's own scripts
            meant, why = close[0], "no command reads that name"
        notes.append(f"${name} is set, but Prospect reads ${meant} ({why}): the setting is "
                     f"ignored; rename it (export {meant}=...), or unset it")
    return notes


_OPTIONS_OF_A_RUN = ("out", "workers", "threads", "scheduler", "cluster", "force")
"""The options of a job's commands a variable may be taken to set (``PROSPECT_WORKERS``)."""


def _key_or_option_named(name: str) -> str:
    """How to give the config key or command option a ``PROSPECT_*`` variable's name
    spells (``PROSPECT_RESOLUTION``, ``PROSPECT_REGION__RESOLUTION`` as pydantic-settings
    nests keys, ``PROSPECT_WORKERS``); ``""`` when it spells none.

    Such a variable was ignored without a word, as a variable of the user's own scripts:
    the job ran with the config's value where the environment's was meant (as tools built
    on pydantic-settings or dynaconf read it).
    """
    words = [w for w in name[len("PROSPECT_"):].lower().split("__") if w]
    if not words:
        return ""
    option = words[-1].replace("_", "-")
    if len(words) == 1 and option in _OPTIONS_OF_A_RUN:
        return f"the option on the command line (--{option} ...)"
    from prospect.config.job import job_keys

    keys = job_keys()
    dotted = ".".join(words)
    if dotted not in keys:  # one word: a key of one place only (not 'path', 'name')
        places = [k for k in keys if k.rsplit(".", 1)[-1] == dotted]
        dotted = places[0] if len(words) == 1 and len(places) == 1 and len(dotted) > 3 else ""
    return f"the key in the job's config ({dotted}: ...)" if dotted else ""


def _runs_nothing(args: list[str]) -> bool:
    """Whether ``args`` ask for help or the version, or the shell completes the line:
    nothing of a command runs, so nothing it needs is checked."""
    words = args[:args.index("--")] if "--" in args else args
    return bool(os.environ.get(_COMPLETE_VAR)) or \
        any(a in (*HELP_OPTIONS, "--version") for a in words)


def _refuse_removed_working_folder(args: list[str]) -> None:
    """Refuse to run a command from a working folder that no longer exists (exit 2, one
    line naming it), before anything reads a path.

    A shell left in a folder another shell or a clean-up script removed (or moved) runs
    commands there: a relative path given to a command was "error: No such file or
    directory" (exit 74, as if a disk had failed), and a job whose paths were all absolute
    failed as its local cluster started, "the local dask cluster did not start:
    FileNotFoundError ...; check the dask settings", which had nothing to do with it (the
    worker processes start in the working folder). ``--help`` and ``--version`` still
    answer.
    """
    if _runs_nothing(args):
        return
    try:
        os.getcwd()
    except FileNotFoundError:
        from prospect.errors import ConfigError

        was = os.environ.get("PWD")
        named = f" ({was})" if was and os.path.isabs(was) else ""
        raise ConfigError(
            f"the working folder{named} no longer exists: it was removed or moved after "
            "this shell went into it, and commands read relative paths from it and start "
            "their worker processes in it; cd to a folder that exists (e.g. cd ~), then "
            "run the command again") from None


def _options_ahead(command: Any, words: list[str]) -> list[str] | None:
    """The options of ``command`` that ``words`` (written before the command's name) are,
    each with its value: ``words`` as they are when every one is such an option or its
    value, ``None`` when a word is not (a root option, another command's, a stray word)."""
    options: dict[str, Any] = {}
    for param in getattr(command, "params", ()):
        if getattr(param, "param_type_name", "") == "option":
            options.update({n: param for n in (*param.opts, *param.secondary_opts)})
    i = 0
    while i < len(words):
        word = words[i]
        name = word.split("=", 1)[0] if word.startswith("--") else word[:2]
        param = options.get(name)
        if param is None or not word.startswith("-") or word in HELP_OPTIONS:
            return None
        takes_value = not (param.is_flag or param.count)
        if takes_value and word == name:  # -o VALUE, --out VALUE: the next word is its
            if i + 1 >= len(words):
                return None
            i += 1
        elif not takes_value and word != name:
            return None  # a flag written with a value or glued to another letter
        i += 1
    return words


def _refuse_options_before_command(args: list[str]) -> None:
    """A command's option written before the command's name is a command-line error that
    says where it goes.

    ``prospect -o out plan job.yaml`` (as ``git -C dir status`` takes its options) was
    click's "No such option: -o" beside a usage line: the option exists, after the
    command, and nothing said so. Options before the command are the root's only
    (``--version``, ``--help``, ``--debug``); a word that is an option of the command named
    after it, with its value, is refused with the command line as it is meant. Any other
    word before the command is left to click.

    Raises
    ------
    click.UsageError
        Naming the option, the command it belongs to and the line to write.
    """
    if not args or not args[0].startswith("-") or args[0] in HELP_OPTIONS or \
            args[0] == "--version":
        return
    root = click_command()
    for at, word in enumerate(args):
        if word == "--":
            return
        if word not in getattr(root, "commands", {}):
            continue
        command, path, rest = _command_at(args[at:])
        if hasattr(command, "commands"):
            return  # a group named without its command: said by its own check
        ahead = _options_ahead(command, args[:at])
        if ahead is None:
            continue  # the word is an option's value ('-o plan'): the command is further
        import shlex

        named = " ".join(["prospect", *path])
        line = shlex.join(["prospect", *path, *rest, *ahead])
        raise ClickUsageError(
            f"{ahead[0].split('=', 1)[0]!r} is written before the command: it is an option "
            f"of '{named}', given after the command's name; write {line}")


_CONFIG_OPTIONS = ("--config", "--config-file", "--cfg", "--job", "--file", "-c", "-f")
"""Options other tools give their config file with (``--config job.yaml``, ``-c``)."""


def _refuse_config_as_option(args: list[str]) -> None:
    """A config given through an option other tools take (``prospect plan --config
    job.yaml``, ``-c job.yaml``) is a command-line error that says the config is the
    command's argument, with the line to write.

    It was click's "No such option: --config" beside a usage line, which names no fix.
    An option the command has (``model score -c``) is left to it.

    Raises
    ------
    click.UsageError
        Naming the option and the command line meant.
    """
    import shlex

    command, path, rest = _command_at(args)
    taken = [p.name for p in getattr(command, "params", ())
             if getattr(p, "param_type_name", "") == "argument"]
    if hasattr(command, "commands") or taken[:1] != ["config"] or \
            any(a in HELP_OPTIONS for a in rest):
        return
    own = {o for p in getattr(command, "params", ())
           if getattr(p, "param_type_name", "") == "option"
           for o in (*p.opts, *p.secondary_opts)}
    for at, word in enumerate(rest):
        if word == "--":
            return
        name, glued, value = word.partition("=")
        if name not in _CONFIG_OPTIONS or name in own:
            continue
        named = " ".join(["prospect", *path])
        if not glued:
            value = rest[at + 1] if at + 1 < len(rest) and \
                not rest[at + 1].startswith("-") else ""
        others = rest[:at] + rest[at + (1 if glued or not value else 2):]
        line = (shlex.join(["prospect", *path, value, *others]) if value else
                f"{named} <config.yaml>")
        raise ClickUsageError(
            f"{name!r} is no option of '{named}': the config file is the command's "
            f"argument, written without an option; write {line}")


def _positional_words(command: Any, args: list[str]) -> list[str] | None:
    """The words of ``args`` (a command's own arguments) that are no option or option's
    value; ``None`` where a word is an option ``command`` has not (click names it)."""
    options: dict[str, Any] = {}
    for param in getattr(command, "params", ()):
        if getattr(param, "param_type_name", "") == "option":
            options.update({n: param for n in (*param.opts, *param.secondary_opts)})
    words: list[str] = []
    i = 0
    while i < len(args):
        word = args[i]
        if word == "--":
            return words + args[i + 1:]
        if word.startswith("-") and len(word) > 1:
            name = word.split("=", 1)[0] if word.startswith("--") else word[:2]
            param = options.get(name)
            if param is None and word not in HELP_OPTIONS:
                return None
            if param is not None and not (param.is_flag or param.count) and word == name:
                i += 1  # its value
        else:
            words.append(word)
        i += 1
    return words


def _refuse_extra_arguments(args: list[str]) -> None:
    """Words past a command's arguments that are an output folder without its ``-o``, or
    more config files, are command-line errors that say what to write.

    ``prospect run job.yaml out`` (the output folder without ``-o``) and ``prospect plan
    *.yaml`` (a shell pattern: every job's file) were click's "Got unexpected extra
    argument(s) (out)" beside the usage line, which says neither that ``-o`` gives the
    folder nor that a command takes one config. Any other extra word is left to click.

    Raises
    ------
    click.UsageError
        Naming the words and the command line meant (or the loop to write).
    """
    import shlex

    command, path, rest = _command_at(args)
    if hasattr(command, "commands") or any(a in HELP_OPTIONS for a in rest):
        return
    taken = [p for p in getattr(command, "params", ())
             if getattr(p, "param_type_name", "") == "argument"]
    if any(p.nargs < 0 for p in taken):
        return  # a command that takes any number of words
    words = _positional_words(command, rest)
    if words is None or len(words) <= sum(p.nargs for p in taken):
        return
    extra = words[sum(p.nargs for p in taken):]
    named = " ".join(["prospect", *path])
    what = ("its " + " and ".join(p.name or "argument" for p in taken)) if taken else \
        "no argument"
    outs = [p for p in getattr(command, "params", ())
            if "--out" in getattr(p, "opts", ()) and getattr(p, "param_type_name", "") ==
            "option"]
    given_out = any(w == o or w.startswith(o + "=") or (len(o) == 2 and w.startswith(o))
                    for w in rest for p in outs for o in (*p.opts, *p.secondary_opts))
    configs = [w for w in extra if w.lower().endswith((".yaml", ".yml"))
               and os.path.isfile(w)]
    if outs and len(configs) == len(extra) and taken and taken[0].name == "config":
        files = shlex.join([words[0], *extra])
        out = next((v for _, names, v in _option_uses(command, rest) if "--out" in names),
                   "out")
        each = f' -o {shlex.quote(out)}/"$(basename "$f" .yaml)"' if given_out else ""
        raise ClickUsageError(
            f"'{named}' takes one config, and was given {len(extra) + 1} (a shell pattern "
            "such as *.yaml gives every file it matches); give one config per command"
            + (", each job its own output folder" if given_out else "")
            + f", e.g. for f in {files}; do {named} \"$f\"{each}; done")
    at = len(rest) - 1 - rest[::-1].index(extra[0]) if extra[0] in rest else 0
    after_flag = at > 0 and any(
        rest[at - 1] in (*p.opts, *p.secondary_opts) and (p.is_flag or p.count)
        for p in getattr(command, "params", ()) if getattr(p, "param_type_name", "") ==
        "option")
    if outs and not given_out and len(extra) == 1 and not after_flag and \
            extra[0].lower() not in ("true", "false", "yes", "no", "on", "off", "1", "0"):
        line = shlex.join(["prospect", *path, *[w for w in rest if w != extra[0]],
                           "-o", extra[0]])
        raise ClickUsageError(
            f"{extra[0]!r} is one word more than '{named}' takes ({what}): the "
            f"output is given with -o; write {line}")


def _refuse_repeated_options(args: list[str]) -> None:
    """A single-valued option given twice with different values is a command-line error.

    Click takes the last silently: ``prospect run job.yaml -o "$OUT" ... -o runs/test``
    (an option added to a script's line) wrote the job somewhere the first ``-o`` did not
    say, and ``--workers 4 --workers 16`` ran on 16 without a word.
    """
    command, _, rest = _command_at(args)
    if hasattr(command, "commands"):
        return
    for option, values in _option_values(command, rest).items():
        if len(set(values)) > 1:
            shown = ", ".join(repr(v) for v in values)
            raise ClickUsageError(f"{option} given {len(values)} times ({shown}); it takes one "
                                  "value: give it once")


def _number_kind(param: Any) -> type | None:
    """``int`` or ``float`` where ``param`` is an option that takes one number
    (``--workers``, ``--port``, ``--atol``; also ``int | None``), else ``None``."""
    descriptor = getattr(param, "type_descriptor", None)
    annotation = getattr(descriptor, "annotation", None)
    kinds = [a for a in (annotation, *get_args(annotation)) if a in (int, float)]
    return kinds[0] if kinds else None


def _number_rule(kind: type, low: Any, high: Any) -> str:
    """What a number option of ``kind`` between ``low`` and ``high`` takes, in words."""
    what = "a whole number" if kind is int else "a number"
    if low is not None and high is not None:
        return f"{what} from {low} to {high}"
    if low is not None:
        return f"{what} of at least {low}"
    return f"{what} of at most {high}" if high is not None else what


def _number_example(command: Any, param: Any, names: Collection[str], kind: type) -> float:
    """A value to show with ``--option`` in its refusal: its default; else, for an option
    whose default is no number (``--port``: the config's), the value the command's own
    help or examples give it (``prospect serve ... --port 8080``); else its lowest value,
    else 4.

    ``--port`` was shown as ``e.g. --port 0``, its lowest value, which asks for any free
    port, where the command's examples serve on 8080.
    """
    from pydantic import TypeAdapter, ValidationError

    default = getattr(param, "default", None)
    if isinstance(default, (int, float)) and not isinstance(default, bool):
        return default
    low, high = getattr(param, "min", None), getattr(param, "max", None)
    shown = f"{getattr(command, 'help', None) or ''}\n{getattr(command, 'epilog', None) or ''}"
    for name in names:
        for written in re.findall(rf"(?<![\w-]){re.escape(name)}[ =]([^\s'\"`]+)", shown):
            try:
                number: float = TypeAdapter(kind).validate_python(written)
            except ValidationError:
                continue
            if (low is None or number >= low) and (high is None or number <= high):
                return number
    return low if low is not None else 4


def _refuse_bad_numbers(args: list[str]) -> None:
    """A number option given a value that is no number of its kind, or one outside its
    range, is a command-line error naming the value and what the option takes.

    Click's check said neither: ``--workers 1e3`` and ``--port 8e3`` were "Invalid value
    for '--workers': Input should be a valid integer, unable to parse string as an
    integer", ``--workers 0`` "Input should be greater than or equal to 1", ``--port
    99999`` "Input should be less than or equal to 65535", ``--size 6km`` "Input should
    be a valid number", ``--workers=`` (``--workers="$N"``, ``N`` unset) "unable to parse
    string as an integer". What the option's own check takes is unchanged (the same
    parser reads the value); an option that ends the line is left to click's "requires
    an argument".
    """
    from pydantic import TypeAdapter, ValidationError

    command, _, rest = _command_at(args)
    if hasattr(command, "commands"):
        return
    for param, names, value in _option_uses(command, rest):
        kind = _number_kind(param)
        if kind is None or (not value and rest and rest[-1] in names):
            continue  # the line ends at the option: click's "requires an argument"
        option = "/".join(sorted(names, key=len, reverse=True))
        low, high = getattr(param, "min", None), getattr(param, "max", None)
        rule = _number_rule(kind, low, high)
        example = _number_example(command, param, names, kind)
        if not value:  # '--workers=' or '--workers ""'
            raise ClickUsageError(
                f"{option} was given an empty value (a variable empty in a script, e.g. "
                f"{option} \"$N\"?); give it {rule} (e.g. {option} {example:g})")
        try:
            number: float = TypeAdapter(kind).validate_python(value)
        except ValidationError:
            problem = "not a whole number" if kind is int else "not a number"
            raise ClickUsageError(
                f"{option} was given {value!r}, which is {problem}; give it {rule}, in "
                f"digits (e.g. {option} {example:g})") from None
        below, above = low is not None and number < low, high is not None and number > high
        if below or above:
            raise ClickUsageError(
                f"{option} was given {value}, which is {'less' if below else 'more'} than "
                f"it takes; give it {rule} (e.g. {option} {example:g})")


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


class OutputClosed(Stopped):
    """The reader of this command's output went away (``| head``, ``| true``, a closed
    ``less``): the command stops as SIGPIPE stops a Unix tool.

    A :class:`~pipelines.faults.Stopped`, so a job unwinds as it does on Ctrl-C: its
    cluster and lock are released and the running stage is recorded ``interrupted``, not
    ``failed`` (it had been ``failed`` with ``SystemExit: 1``, Rich's own exit).
    """

    def __init__(self) -> None:
        super().__init__(signal.SIGPIPE)


def _broken(fd: int) -> bool:
    """Whether writing to ``fd`` can only fail: a pipe or socket whose reader is gone
    (poll reports an error on the write end)."""
    try:
        poller = select.poll()
        poller.register(fd, select.POLLOUT)
        return any(events & (select.POLLERR | select.POLLHUP) for _, events in poller.poll(0))
    except (OSError, ValueError):
        return False


def _output_broken() -> bool:
    """Whether standard output or error lost its reader (or standard output had none)."""
    return _broken(1) or _broken(2) or _STDOUT_CLOSED.is_set()


_STDOUT_CLOSED = threading.Event()
"""Set when standard output was closed before the command started (``>&-``)."""


class _ClosedOutput(io.TextIOBase):
    """``sys.stdout`` when the command started with standard output closed (``>&-``).

    Python leaves ``sys.stdout`` as ``None`` then, and Rich and click print into ``None``
    without a word: ``prospect regions >&-`` exited 0 having shown nothing. A write here
    is a write to a closed pipe, which stops the command as a reader that went away does
    (exit 141).
    """

    encoding = "utf-8"

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def write(self, text: str) -> int:
        if text:
            raise BrokenPipeError(errno.EPIPE, "standard output is closed")
        return 0


def _fill_closed_descriptors() -> None:
    """Hold standard input, output and error open on ``/dev/null`` where the command
    started with one closed (``>&-``, ``2>&-``, ``<&-``).

    A closed descriptor 0, 1 or 2 is the next one a file opens: a file a stage writes
    (a manifest, a raster) would take it, and anything printed (``print``, a GDAL
    message, a worker process inheriting it) would land in that file. Standard output
    closed is also marked, so that printing to it stops the command
    (:class:`_ClosedOutput`).
    """
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
            continue
        except OSError:
            pass
        devnull = os.open(os.devnull, os.O_RDWR)
        if devnull != fd:
            os.dup2(devnull, fd)
            os.close(devnull)
        if fd == 1:
            _STDOUT_CLOSED.set()
            if sys.stdout is None:
                sys.stdout = _ClosedOutput()


def _discard_closed_streams() -> None:
    """Point standard output and error, where their reader is gone, at ``/dev/null``.

    What is still buffered, the lines printed while a job unwinds and Python's flush at
    exit then go nowhere, instead of raising again (Python's "Exception ignored ...
    BrokenPipeError" and exit code 120).
    """
    for fd in (1, 2):
        if _broken(fd):
            devnull = os.open(os.devnull, os.O_WRONLY)
            try:
                os.dup2(devnull, fd)
            finally:
                os.close(devnull)


def _closed_pipe_within(exc: BaseException) -> bool:
    """Whether ``exc`` is, or was raised while handling, a write to a closed pipe (click's
    ``echo`` and typer's ``SystemExit(1)`` for one)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, (BrokenPipeError, OutputClosed)):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def _set_broken_pipe_hook(hook: Callable[..., None]) -> None:
    """Make ``hook`` every Rich console's :meth:`~rich.console.Console.on_broken_pipe`
    (the consoles a command prints with are made in many places)."""
    type.__setattr__(Console, "on_broken_pipe", hook)


@contextlib.contextmanager
def closed_output_stops() -> Iterator[threading.Event]:
    """Within the block, a console whose pipe is closed stops the command.

    Rich answers a broken pipe by pointing standard output (whichever stream broke) at
    ``/dev/null`` and raising ``SystemExit(1)``: ``prospect plan | head`` exited 1, the code
    of a failed stage, and a job printing into a closed pipe recorded its stage ``failed``.
    Here (:meth:`rich.console.Console.on_broken_pipe`, the hook Rich documents for this)
    the closed streams go to ``/dev/null`` and the main thread gets :class:`OutputClosed`;
    a console printing from another thread (a progress bar's refresh) sends the main
    thread a SIGPIPE that raises it there. A SIGPIPE from anything else (a socket whose
    peer went away) is ignored, as Python ignores it. The event yielded is set once a
    closed output was met.
    """
    closed = threading.Event()
    main_thread = threading.current_thread() is threading.main_thread()

    def on_broken_pipe(console: Console) -> None:
        console.quiet = True
        closed.set()
        _discard_closed_streams()
        if threading.current_thread() is threading.main_thread():
            raise OutputClosed()
        if main_thread:
            _thread.interrupt_main(signal.SIGPIPE)

    def on_sigpipe(signum: int, frame: object) -> None:
        if closed.is_set():
            raise OutputClosed()

    previous = Console.on_broken_pipe
    _set_broken_pipe_hook(on_broken_pipe)
    handler = signal.getsignal(signal.SIGPIPE) if main_thread else None
    if handler == signal.SIG_IGN:
        signal.signal(signal.SIGPIPE, on_sigpipe)
    try:
        yield closed
    finally:
        _set_broken_pipe_hook(previous)
        if handler == signal.SIG_IGN:
            signal.signal(signal.SIGPIPE, signal.SIG_IGN)


def _output_closed_code(err: Console) -> int:
    """The exit code of a command whose output was closed (128 + SIGPIPE, or the one the
    command chose for a stop); a job says on standard error, where that is still open,
    what it kept. Nothing else is printed: ``head`` took what it wanted."""
    _discard_closed_streams()
    stop = StopRequest(signal.SIGPIPE)
    note = stop.line().split("; ", 1)[-1]
    if _STDOUT_CLOSED.is_set():  # no reader ever: say why nothing was shown
        kept = f"; {note}" if note != STOP_NOTE else ""
        with contextlib.suppress(OutputClosed, OSError):
            err.print("stopped: standard output is closed (>&-), so nothing could be "
                      f"printed; send it to a file, or to /dev/null if it is not wanted{kept}",
                      markup=False, soft_wrap=True)
    elif note != STOP_NOTE:
        with contextlib.suppress(OutputClosed, OSError):
            err.print(f"stopped: the output pipe was closed; {note}", markup=False,
                      soft_wrap=True)
    return stop.exit_code


TERMINAL_SIZE_VARIABLES = ("COLUMNS", "LINES")
"""The variables a shell or a batch script sets to the terminal's size, which Rich and
click read before the terminal itself."""

TERMINAL_SIZE_MAX = 100_000
"""The most columns (or lines) a terminal size variable is taken to say: no screen is that
wide, and a log made wide so that nothing wraps (``COLUMNS=32767``) stays so."""


def _terminal_size_used(value: str) -> str | None:
    """What a terminal size variable holding ``value`` is read as for a command: itself;
    ``None`` (left out: the terminal's own size is read) for ``0`` and for digits no
    number is written in (``²``, which Rich takes for one and fails on);
    :data:`TERMINAL_SIZE_MAX` for more. A value that is no whole number is left to Rich and
    click, which ignore it."""
    text = value.strip()
    if not text.isdigit():
        return value
    number = int(text) if text.isdecimal() else 0
    if number == 0:
        return None
    return str(TERMINAL_SIZE_MAX) if number > TERMINAL_SIZE_MAX else value


@contextlib.contextmanager
def terminal_size_given() -> Iterator[None]:
    """Read ``COLUMNS`` and ``LINES`` for the command's time as a terminal can hold them
    (:func:`_terminal_size_used`); each is as it was once the command returns.

    Rich takes ``COLUMNS=0`` (a terminal of width 0: a container's or CI runner's
    pseudo-terminal, a script that exported ``tput cols`` without a terminal) as a console
    zero columns wide and prints nothing in it: every line of a command was lost, its
    ``error:`` line too (``prospect run`` of a missing config: exit 2, not a word), and
    ``-h`` printed blank lines. Python's :func:`shutil.get_terminal_size` leaves such a
    value out, and so does this. A width past any screen made Rich build each rule and
    table that wide: ``COLUMNS=99999999999`` ended a job as "out of memory; use smaller
    chunks", ``COLUMNS=999999999`` held it for minutes in 2 GB of memory before its first
    stage.
    """
    given = {name: os.environ[name] for name in TERMINAL_SIZE_VARIABLES if name in os.environ}
    for name, value in given.items():
        used = _terminal_size_used(value)
        if used is None:
            del os.environ[name]
        else:
            os.environ[name] = used
    try:
        yield
    finally:
        os.environ.update(given)


COLOUR_OFF_WORDS = frozenset({"0", "false", "no", "off", "never", "none"})
"""Values of ``FORCE_COLOR`` that mean "no colour" where they are set (CI templates,
``supports-color``'s ``FORCE_COLOR=0``), not "force"."""


def _force_colour_off(value: str | None) -> bool:
    """Whether ``FORCE_COLOR`` holding ``value`` says colour is off (:data:`COLOUR_OFF_WORDS`)."""
    return value is not None and value.strip().casefold() in COLOUR_OFF_WORDS


@contextlib.contextmanager
def colour_given() -> Iterator[None]:
    """Read ``FORCE_COLOR=0`` (or ``false``, ``no``, ``off``) for the command's time as
    "no colour" (``NO_COLOR=1``) with the terminal found as it is; both variables are as
    they were once the command returns.

    Rich reads any ``FORCE_COLOR`` that is not empty as "force" (force-color.org), and
    forces a terminal with it: a batch log or CI log where ``FORCE_COLOR=0`` was set to
    turn colour off got colour codes in every line and the stage's progress bar redrawn
    in it ten times a second, as on a screen.
    """
    given = {name: os.environ[name] for name in ("FORCE_COLOR", "NO_COLOR")
             if name in os.environ}
    if _force_colour_off(given.get("FORCE_COLOR")):
        del os.environ["FORCE_COLOR"]
        os.environ.setdefault("NO_COLOR", "1")
    try:
        yield
    finally:
        for name in ("FORCE_COLOR", "NO_COLOR"):
            os.environ.pop(name, None)
        os.environ.update(given)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``prospect`` script; returns the exit code."""
    _fill_closed_descriptors()
    # what each output option named, until its error is printed; a terminal that closes
    # (a command left in the background of a shell that exits) ends no command; a
    # terminal of no width prints every line as one of none would
    with named_outputs(), closed_output_stops() as closed, terminal_gone_proof(), \
            terminal_size_given(), colour_given():
        err = Console(stderr=True, highlight=False, emoji=False)
        try:
            code = _main(argv, err, closed)
        except BaseException as exc:
            if not (closed.is_set() or (_closed_pipe_within(exc) and _output_broken())):
                raise  # a socket's broken pipe (a dask comm) is no closed output
            return _output_closed_code(err)
        # a command that failed keeps its own code, whether or not its error could be shown
        return _output_closed_code(err) if closed.is_set() and code == 0 else code


def _say(err: Console, text: str, *, markup: bool = False) -> None:
    """Print ``text`` on standard error, if it can be: where standard error is closed or
    full (``2>&-``, ``2>/dev/full``, ``2>&1 | head``) the exit code is all that is left to
    say, and it must be the command's own, not a second error's."""
    with contextlib.suppress(OSError, OutputClosed):
        try:
            err.print(text, markup=markup, soft_wrap=True)
        except MemoryError:  # Rich's rendering refused under a memory limit: say it plain
            _said_plain(text, markup=markup)


def _said_plain(text: str, *, markup: bool = True) -> None:
    """Write ``text`` on standard error without Rich, its markup (``[bold red]``,
    ``\\[``) taken out: under an address-space limit (``ulimit -v``) Rich's rendering of
    the error line (a module it imports the first time) failed as ``MemoryError`` and the
    one line became a traceback."""
    if markup:
        text = re.sub(r"(?<!\\)\[/?[a-z ]*\]", "", text).replace("\\[", "[")
    with contextlib.suppress(OSError):
        os.write(2, (text + "\n").encode(errors="replace"))


def _say_error(err: Console, text: str) -> None:
    """Print the error line ``text`` (Rich markup) on standard error, or on standard
    output where standard error's disk refuses it and standard output is another file.

    A job whose ``2>> run.log`` lay on a full disk ended exit 74 with nothing said
    anywhere: its one line went to the disk that had refused the job's first line.
    """
    try:
        err.print(text, soft_wrap=True)
        err.file.flush()
        return
    except OutputClosed:
        return
    except MemoryError:
        _said_plain(text)
        return
    except OSError:
        pass
    try:
        if os.path.samestat(os.fstat(1), os.fstat(2)):
            return  # 2>&1: the same full file
        out = Console(file=sys.stdout, soft_wrap=True, highlight=False)
        out.print(text)
        sys.stdout.flush()
    except (OSError, ValueError, OutputClosed):
        pass


def _stdout_error_line(exc: OSError) -> str | None:
    """The error line of a write to standard output that failed (``prospect regions
    >/dev/full``, a redirect onto a full or read-only disk); ``None`` for any other
    ``OSError``.

    Such an error names no file, and was told as a job's: "the disk is full; ... run the
    same command again to resume (finished work is kept)", for a listing that has nothing
    to resume and wrote nothing but its output.
    """
    if exc.filename is not None or written_stream(exc, (1,)) is None:
        return None
    why = exc.strerror or str(exc)
    return (f"standard output could not be written ({why}), so what this command "
            "printed is cut short: send it to a file on a disk with room, or to "
            "/dev/null if it is not wanted")


def _file_name_error(exc: BaseException) -> bool:
    """Whether ``exc`` is a file name this process could not encode or decode (not a
    file's content: those are read as UTF-8 and named by their readers)."""
    if not isinstance(exc, UnicodeError):
        return False
    utf8 = codecs.lookup(sys.getfilesystemencoding()).name == "utf-8"
    return not utf8 or "surrogates not allowed" in str(exc)


def _main(argv: list[str] | None, err: Console, closed: threading.Event) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    debug = debugging()
    if "--debug" in args:
        args.remove("--debug")
        debug = True
    _redact_logs()
    from prospect.env import library_settings

    library_settings(debug=debug)  # before the command modules import matplotlib, joblib
    try:
        with stop_signals_interrupt() as stop:
            _register()  # the command modules' imports: a stop here is one line too
            _refuse_windows_line_ends(args)
            _refuse_removed_working_folder(args)
            _refuse_options_before_command(args)
            _refuse_config_as_option(args)
            _refuse_missing_command(args)
            _refuse_extra_arguments(args)
            _refuse_repeated_options(args)
            _refuse_options_as_values(args)
            _refuse_bad_numbers(args)
            _check_environment(args, err)
            # typer turns an interrupt that leaves a command into Exit(130), which it returns
            code = click_command()(args=args, prog_name="prospect", standalone_mode=False)
        if code == 130:
            if closed.is_set():  # the stop was a closed output's (OutputClosed)
                raise OutputClosed()
            _say(err, stop.line())
            return stop.exit_code
        if type(code) is int:  # typer.Exit(n) raised by a command
            return code
    except Exception as exc:  # raised by a clean-up while a stop unwound: the stop
        stopped = stop_behind(exc)
        if stopped is None or debug:
            return _said(exc, err, debug)
        if closed.is_set():
            raise OutputClosed() from None
        stop = StopRequest(getattr(stopped, "signum", None))
        _say(err, stop.line())
        return stop.exit_code
    except OutputClosed:
        raise
    except KeyboardInterrupt as exc:  # before or after the command ran
        stop = StopRequest(getattr(exc, "signum", None))
        _say(err, stop.line())
        return stop.exit_code
    return 0


def _said(error: Exception, err: Console, debug: bool) -> int:
    """Say ``error`` (raised by a command) as one line; returns the exit code."""
    try:
        raise error
    except ProspectError as exc:
        if debug:
            raise
        first, *rest = redact(str(exc)).splitlines() or [type(exc).__name__]
        _say_error(err, f"[bold red]error:[/bold red] {escape(first)}")
        for line in rest:
            _say(err, f"  {line}")
        return exc.exit_code
    except typer.Exit as exc:
        return int(exc.exit_code or 0)
    except typer.Abort:
        _say(err, "aborted")
        return 130
    except ClickException as exc:
        with contextlib.suppress(OSError):
            exc.show()
        return exc.exit_code
    except OSError as exc:  # disk full, read-only, file-size limit...: the path and the cause
        if debug or (isinstance(exc, BrokenPipeError) and _output_broken()):
            raise  # a reader closed standard output (a print outside Rich): main() says
        try:
            line = _stdout_error_line(exc) or os_error_line(exc)
        except Exception:  # the line's own look at the path failed: say the error itself
            line = f"{exc.filename}: {exc.strerror or exc}" if exc.filename else str(exc)
        _say_error(err, f"[bold red]error:[/bold red] {escape(redact(line))}")
        return 74  # EX_IOERR
    except Exception as exc:  # a traceback is a bug: show one line, keep the details
        if debug:
            raise
        if _file_name_error(exc):  # the locale's, not a bug: say how to set it
            _say(err, "[bold red]error:[/bold red] a file name holds characters this "
                 f"process cannot encode ({escape(str(exc))}); {escape(file_name_fix())}",
                 markup=True)
            return 2
        if (memory := _out_of_memory_line(exc)) is not None:
            _say(err, f"[bold red]error:[/bold red] {escape(memory)}", markup=True)
            _quiet_teardown()
            return 1
        if (settings := _dask_config_line(exc)) is not None:
            _say(err, f"[bold red]error:[/bold red] {escape(redact(settings))}", markup=True)
            return ConfigError.exit_code
        _say(err, f"[bold red]internal error:[/bold red] {type(exc).__name__}: "
             f"{escape(redact(str(exc)))}\n"
             "  this is a bug in Prospect; rerun with --debug for the traceback and report it",
             markup=True)
        return 70


def _quiet_teardown() -> None:
    """Send what the interpreter says from here on to ``/dev/null``, once the error line of
    a command out of memory is said: under ``ulimit -v`` its teardown, short of memory
    itself, printed "Exception ignored on building sys.unraisablehook arguments:
    MemoryError" dozens of times after the one line."""
    with contextlib.suppress(OSError, ValueError):
        sys.stderr.flush()
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 2)
        os.close(null)


def _dask_config_line(exc: BaseException) -> str | None:
    """``exc`` as the one line of a command whose import of dask failed on a configuration
    file dask cannot read (:func:`prospect.env.unreadable_dask_config`): it was "internal
    error: ValueError: A dask config file at ... is malformed", exit 70, a bug to report;
    ``None`` for any other error."""
    if not isinstance(exc, ValueError):
        return None
    tb = exc.__traceback__
    while tb is not None and not tb.tb_frame.f_code.co_filename.endswith(
            os.path.join("dask", "config.py")):
        tb = tb.tb_next
    if tb is None:
        return None
    from prospect.env import unreadable_dask_config

    return unreadable_dask_config() or None


def _out_of_memory_line(exc: BaseException) -> str | None:
    """``exc`` as the one line of a command that ran out of memory outside a stage (under
    ``ulimit -v``: a ``MemoryError`` while modules import, or GDAL's library failing to
    map: ``ImportError: libgdal.so: failed to map segment from shared object``), which
    ended as "internal error" (exit 70), a bug to report; ``None`` for any other error."""
    from pipelines.faults import out_of_memory_error

    found = out_of_memory_error(exc, "-", kept=None)
    if found is None:
        return None
    return str(found).removeprefix("stage -: ")


if __name__ == "__main__":
    from pipelines.entry import exit_code

    sys.exit(exit_code(main()))
