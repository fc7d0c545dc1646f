"""Options shared by the job commands."""

from __future__ import annotations

import codecs
import contextlib
import errno
import fcntl
import json
import math
import os
import re
import sys
import unicodedata
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.text import Text

from prospect.errors import OutputBusyError, data_warnings

HEATFLOW_JOB = "configs/jobs/nl-geothermal-heatflow.yaml"
MEUSE_JOB = "configs/jobs/meuse-zinc.yaml"
WAGENINGEN_JOB = "configs/jobs/nl-wageningen-imagery.yaml"

EXAMPLES: dict[str, tuple[str, ...]] = {
    "plan": (f"prospect plan {HEATFLOW_JOB}",
             f"prospect plan {HEATFLOW_JOB} --workers 4 --json"),
    "run": (f"prospect run {HEATFLOW_JOB} -o out/nl-heatflow",
            f"prospect run {MEUSE_JOB} -o out/meuse --workers 2"),
    "ingest": (f"prospect ingest {HEATFLOW_JOB} -o out/nl-heatflow",),
    "screen": (f"prospect screen {HEATFLOW_JOB} -o out/nl-heatflow",),
    "train": (f"prospect train {MEUSE_JOB} -o out/meuse",),
    "score": (f"prospect score {MEUSE_JOB} -o out/meuse",),
    "tiles": (f"prospect tiles {HEATFLOW_JOB} -o out/nl-heatflow",),
    "regions": ("prospect regions", "prospect regions bonaire"),
    "jobs": ("prospect jobs", "prospect jobs meuse-zinc"),
    "demo": ("prospect demo -o out/demo --workers 2",),
    "indices": ("prospect indices --list --sensor landsat8 --domain mineral",
                f"prospect indices {WAGENINGEN_JOB} -o out/wageningen"),
    "serve-key": ("prospect serve-key ministry --layers probability --expires 2027-06-30",),
    "serve": ("prospect serve configs/serve/example.yaml",
              "prospect serve configs/serve/example.yaml --port 8080"),
    "model": ("prospect model import out/meuse/model --name meuse-zinc",
              "prospect model list",
              "prospect model show meuse-zinc --json",
              "prospect model score meuse-zinc -c out/other/cube.zarr -o out/other/scored.zarr"),
}
"""Example command lines shown under each command's ``--help`` (from the repository's
folder, where ``configs/jobs`` is; a stage after ``ingest`` runs on what earlier stages
left in ``-o``). A test runs or parses each of them."""


def examples(command: str) -> str:
    """The ``--help`` epilog of ``command``: its :data:`EXAMPLES`, one per line."""
    lines = EXAMPLES.get(command, ())
    if not lines:
        return ""
    return "\b\nExamples (from the repository's folder):\n" + "\n".join(
        f"  {line}" for line in lines)


_CONTROLS = {**{c: f"\\x{c:02x}" for c in (*range(0x00, 0x20), *range(0x7f, 0xa0))
                 if chr(c) not in "\n\t"},
             **{c: f"\\u{c:04x}" for c in (0x200e, 0x200f, *range(0x202a, 0x202f),
                                          *range(0x2066, 0x206a))}}
"""Characters a terminal obeys rather than shows (C0 and C1 controls but line feed and
tab, DEL, and the bidirectional overrides), each to its escape as text."""
_JSON_CONTROLS = {c: f"\\u{c:04x}" for c in _CONTROLS}
"""The same, each to its JSON escape (inside a JSON string, ``\\x1b`` is no escape)."""


def shown(text: str, *, as_json: bool = False) -> str:
    """``text`` from a file or an option as a terminal will show it: control characters as
    their escapes (``\\x1b``, ``\\u202e``).

    A card from another institute is text its author wrote: ``ESC [2J`` in its mineral
    cleared the screen from ``model list``, an OSC 8 sequence in its limitations printed a
    link to another address than the one shown (``model show``), ``ESC [8m`` hid the lines
    after it, and a right-to-left override turned the words after it around.
    """
    return text.translate(_JSON_CONTROLS if as_json else _CONTROLS)


def literal(*values: object) -> list[Text]:
    """``values`` as Rich text shown as it is: text from files and options (a card's
    ``"lithium [/bold]"``, a path with ``[b]``) is never read as Rich markup. A value that
    is not there (``None``: a card without ``created``) is shown as ``-``, not as the
    word ``None``. Control characters are shown as their escapes (:func:`shown`)."""
    return [Text("-" if v is None else shown(str(v))) for v in values]


NON_FINITE = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}
"""How a float NaN or infinity is printed in strict JSON: as text, the names JavaScript and
the Protocol Buffers JSON mapping use (``null`` would say "no value", and a card's
``nodata: NaN`` means a value)."""


def strict_json(value: Any) -> Any:
    """``value`` as strict JSON types: :func:`prospect.canonical.jsonable`, with NaN and
    infinities as the text of :data:`NON_FINITE` instead of ``null``."""
    from prospect.canonical import jsonable

    def walk(item: Any) -> Any:
        if isinstance(item, float) and not math.isfinite(item):
            return NON_FINITE[repr(item)]
        if isinstance(item, Mapping):
            return {k: walk(v) for k, v in item.items()}
        if isinstance(item, list):
            return [walk(v) for v in item]
        return item

    return walk(jsonable(value, finite=False))


def json_text(value: Any, *, indent: int | None = 2, sort_keys: bool = False) -> str:
    """``value`` as strict JSON text (RFC 8259) for any ``--json`` output.

    ``json.dumps`` writes a float NaN as the bare token ``NaN``, which is no JSON: ``jq``,
    JavaScript's ``JSON.parse`` and most parsers refused ``model show --json`` of a card
    whose ``nodata`` is NaN. Non-finite numbers are written as :func:`strict_json` says,
    and ``allow_nan=False`` guards every other way one could reach the text.
    """
    return json.dumps(strict_json(value), indent=indent, sort_keys=sort_keys,
                      allow_nan=False, ensure_ascii=False)


MIN_TABLE_WIDTH = 80
"""Fewest columns a table is laid out in: in a narrower terminal (a split pane, a phone's
SSH client) Rich shrank every column of ``prospect plan``'s table to ``…``; laid out at 80
columns and wrapped by the terminal, each value stays whole."""


def refuse_listed(refused: list[tuple[Path, str]], kind: str) -> None:
    """After a listing, the configs of ``kind`` that did not load: one ``error:`` line
    each on standard error, then exit 2 (the others were listed).

    One region or job file being edited in a copy of ``configs/`` (a NUL byte, a bracket
    left open) made ``prospect regions`` and ``prospect jobs`` list nothing but that
    file's error.
    """
    if not refused:
        return
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    for _path, why in refused:
        err.print(Text(f"error: {why}"))
    err.print(Text(f"{len(refused)} {kind} config(s) above are not listed: fix them (or "
                   "move them out of the folder) and list again"))
    raise typer.Exit(2)


def named_once(command: str, name: str, message: str) -> str:
    """``command name: message``'s first line, with ``name`` said once.

    A config file's refusal starts with the file (``bad.yaml:2: key 'crs' ...``):
    ``prospect regions bad.yaml`` printed "prospect regions bad.yaml: bad.yaml:2: ..."
    and ``prospect jobs ./job.yaml`` "prospect jobs ./job.yaml: job.yaml: missing
    required key 'region'". Such a message follows the command alone; any other (a
    shipped name's "unknown region 'bonair'") keeps the name as given in front of it, and
    says it there only: "prospect regions bonair: unknown region; did you mean ...".

    Parameters
    ----------
    command : str
        The command as typed, e.g. ``"prospect regions"``.
    name : str
        The name or path the command was given.
    message : str
        The refusal; its first line is kept.

    Returns
    -------
    str
        The line to raise.
    """
    first = message.splitlines()[0] if message else ""
    head = first.split(":", 1)[0]
    same = head == name
    if not same and head and ":" in first:
        with contextlib.suppress(OSError, ValueError):
            same = os.path.samefile(os.path.expanduser(name), head)
    if same:
        return f"{command} {first}"
    quoted = repr(name)
    if name and name == name.strip() and name.isprintable() and quoted in first:
        # "unknown region 'bonair'", "'../x' reads as the path": the name just said in front
        # (quoted only where the quotes show something: '' or spaces around it)
        at = first.index(quoted)
        first = (first[at + len(quoted):].lstrip() if at == 0 else
                 first[:at].rstrip() + first[at + len(quoted):])
    return f"{command} {name}: {first}"


def table_console(min_width: int = MIN_TABLE_WIDTH) -> Console:
    """The stdout console of a command that prints a table: the terminal's width, at
    least ``min_width`` columns (a pipe or a batch log is 80 unless more are asked for)."""
    console = Console()
    if console.width < min_width:
        console = Console(width=min_width)
    return console


def config_file(ctx: typer.Context, value: Path | None) -> Path | None:
    """Callback of the config arguments: a path that exists but is no regular file (a
    device such as ``/dev/null``, a pipe) is refused as such; "not found" misled. A job's
    config that is not there but names a shipped job or region is said so."""
    from prospect.errors import ConfigError

    if value is not None and str(value).startswith("~"):  # '--config=~/a.yaml', quoted
        from prospect.config._base import home_expanded

        value = home_expanded(value)  # ~user of no user here: a config error, not internal
    too_long = _name_too_long(value) if value is not None else ""
    if too_long:
        raise ConfigError(f"{str(value)[:60]}...: {too_long}")
    if value is not None and str(value) == "-" and not value.exists():
        raise ConfigError(f"-: {STDIN_CONFIG}")
    if value is not None and value.is_dir():
        raise ConfigError(f"{value}: {folder_not_config(value)}")
    if value is not None and value.exists() and not value.is_file():
        raise ConfigError(f"{value}: not a regular file (a device or a pipe); {STDIN_CONFIG}")
    if value is not None and not os.path.lexists(value):  # '$JOBS/a.yaml', 'C:\\a.yaml'
        url = _url_hint(str(value), "a config is read from a file of this machine: "
                        "download it first (e.g. curl -LO URL, aws s3 cp URL .) and give "
                        "its path")
        if url:  # the URL as written, not as Path folded its '//'
            shown = re.sub(r"([A-Za-z][A-Za-z0-9+.-]+):/(?=[^/])", r"\1://", str(value))
            raise ConfigError(f"{shown}: {url}")
        from prospect.io.files import name_written_otherwise

        # 'my%20job.yaml', 'job.yml', 'JOB.yaml' beside the file there
        hint = _shell_hint(str(value)) or name_written_otherwise(value) or \
            _ending_left_out(value) or (
                _shipped_name(value) if ctx.info_name != "serve" else "")
        if hint:
            raise ConfigError(f"{value}: config file not found; {hint}")
    return value


def _ending_left_out(path: Path) -> str:
    """``"'job.yaml' is there: ..."`` where ``path`` (not there) is a YAML config's name
    without its ending, as ``prospect plan job`` for ``job.yaml``; else ``""``.

    It was "job: config file not found" alone, beside a listing that shows ``job.yaml``.
    """
    if path.suffix.lower() in (".yaml", ".yml"):
        return ""
    found = [path.with_name(path.name + end) for end in (".yaml", ".yml", ".YAML", ".YML")]
    there = [p for p in found if p.is_file()]
    if not there:
        return ""
    return (f"{there[0].name!r} is there: a config is given by its file's whole name, "
            f"with its ending; give {there[0]}")


def _shipped_name(path: Path) -> str:
    """``"'meuse-zinc' is a shipped job: give its file, ..."`` where ``path`` (not there)
    is the bare name of a shipped job or region (as ``prospect jobs`` and ``prospect
    regions`` list them), with or without ``.yaml``; else ``""``.

    ``prospect run meuse-zinc -o out`` (the name ``prospect jobs`` shows) was "config file
    not found" alone, and ``prospect plan bonaire`` too, a region where a job goes.
    """
    from prospect.config.job import config_dir
    from prospect.errors import ConfigError

    if len(path.parts) != 1:
        return ""
    name = path.name[:-len(path.suffix)] if path.suffix.lower() in (".yaml", ".yml") \
        else path.name
    try:
        base = config_dir()
    except (ConfigError, OSError):
        return ""
    job = base / "jobs" / f"{name}.yaml"
    if job.is_file():
        return (f"{name!r} is a shipped job ('prospect jobs' lists them), not a file here: "
                f"give its file, {job}, or a copy of it")
    if (base / "regions" / f"{name}.yaml").is_file():
        return (f"{name!r} is a shipped region, not a job: a job names it under 'region:' "
                f"(region: {name}) beside its 'sources'; give the job's config (examples: "
                f"{base / 'jobs'})")
    return ""


def _shell_hint(text: str, *, output: bool = False) -> str:
    """Why a path from the command line that does not exist was written for another shell
    or system (:func:`prospect.config._base.written_for_elsewhere`, worded for the
    command line), or names one that does in another Unicode form; ``""`` if neither.

    A folder made or copied on a Mac holds ``café`` in NFD; ``-o café`` typed on Linux
    (NFC) named another folder, which the run made beside it: the whole job ran again
    from nothing, into a second folder that ``ls`` shows under the same name (and a
    config named so was "config file not found" beside a listing that shows it).
    With ``output`` (a folder to make), a template's placeholder is taken as a name.
    """
    from prospect.config._base import other_unicode_form, written_for_elsewhere

    elsewhere = written_for_elsewhere(text, placeholders=not output).replace(
        "config paths", "paths").replace(
        " (a relative path is taken from the config file's folder)", "")
    if elsewhere:
        return elsewhere
    other_form = other_unicode_form(Path(os.path.expanduser(text)))
    for config_words, command_line_words in _UNICODE_FORM_WORDS:
        other_form = other_form.replace(config_words, command_line_words)
    return other_form


_UNICODE_FORM_WORDS = (
    ("no such file as written", "none as written"),
    ("the config's is", "the path given is"),
    ("the file's is", "the one there is"),
    ("write the name as the file has it (copy it from 'ls'), or rename the file",
     "give the path as the folder holds it (copy it from 'ls'), or rename it there"),
)
"""The words of :func:`prospect.config._base.other_unicode_form`, said of a config's path,
and those said of a path on the command line (``-o``, the config's own)."""


def folder_not_config(folder: Path) -> str:
    """Why a folder given as a config is refused, with the configs inside it to choose
    from (click's "file 'configs/jobs' is a directory" named none, and its usage text
    hid the line)."""
    try:
        found = sorted(p.name for p in folder.iterdir()
                       if p.suffix.lower() in (".yaml", ".yml") and p.is_file())
    except OSError:
        found = []
    if not found:
        return ("a folder, not a config file; give the path of the job's YAML file (no "
                ".yaml or .yml file is in this folder)")
    shown = ", ".join(found[:8]) + (f", ... ({len(found)} in all)" if len(found) > 8 else "")
    return (f"a folder, not a config file; give the path of one YAML file in it "
            f"({shown}), e.g. {folder / found[0]}")


STDIN_CONFIG = ("a config is read from a file, not from standard input or a pipe: its "
                "relative paths are taken from the file's folder, and a run records the file "
                "and resumes from it; save the config first (e.g. cat > job.yaml) and give "
                "its path")
"""Why ``prospect plan -`` (and ``/dev/stdin``, ``<(...)``) is refused: ``-`` was "config
file not found", and a pipe "not a regular file" without the way out."""


def file_name_fix() -> str:
    """How to make file names that this process cannot encode or decode work."""
    encoding = sys.getfilesystemencoding()
    if codecs.lookup(encoding).name == "utf-8":
        return ("the name is not UTF-8 (written on a system of another encoding, e.g. "
                "Latin-1): rename it in UTF-8 (convmv -f latin1 -t utf8 --notest NAME) or "
                "give another path")
    setting = next((f"{var}={os.environ[var]}" for var in ("LC_ALL", "LC_CTYPE", "LANG")
                    if os.environ.get(var)), "no LANG")
    return (f"Python reads file names here as {encoding} ({setting}, with Python's UTF-8 "
            "mode off), which holds no accented letter: run with LC_ALL=C.UTF-8 (or "
            "PYTHONUTF8=1) and the same command again")


ConfigArg = Annotated[
    Path, typer.Argument(help="Job config (YAML).", exists=False, callback=config_file)
]


def out_path(value: str) -> Path:
    """An output path as given; an empty one is refused.

    ``-o ""`` (``-o "$OUT"`` with ``OUT`` unset) would otherwise be ``Path("")``, which
    is the current directory: a job's outputs, its lock and the sweep of leftovers would
    land in whatever folder the shell was in. ``-o .`` still says so on purpose.
    """
    if not str(value).strip():
        raise typer.BadParameter("an empty path; give the output path (-o . for the "
                                 "current directory)")
    return _as_shell_meant(str(value))


def _as_shell_meant(text: str) -> Path:
    r"""A path from the command line as the shell would have expanded it, or refused.

    The shell leaves ``~`` alone after ``=`` (``--out=~/runs/a``) and inside quotes, and
    ``$VAR`` inside single quotes (a SLURM script's ``-o '$SCRATCH/a'``): the job's outputs
    went to a folder literally named ``~`` or ``$SCRATCH`` in the working directory (and
    ``rm -rf ~`` is how one tidies that up). A leading ``~`` is the home folder, as in a
    config's paths; a path that does not exist and was written for another shell or
    system (``$VAR``, ``%VAR%``, ``C:\``, ``\``, ``file://``) is refused, saying why, and
    so is a path through a loop of symbolic links (:func:`_link_loop`). A name holding
    ``::`` is taken as it is (refused from round 25 to 27): every cube, array and model
    folder is opened through :func:`prospect.io.cube.zarr_store`, a local folder whatever
    its name holds, so such a job writes the files of any other name.
    """
    control = next((i for i, ch in enumerate(text) if unicodedata.category(ch) == "Cc"), None)
    if control is not None:  # a line break or tab pasted with the path
        char = text[control]
        what = {"\n": "a line break", "\r": "a carriage return (a Windows line end)",
                "\t": "a tab"}.get(char, f"the control character U+{ord(char):04X}")
        raise typer.BadParameter(
            f"{text!r}: character {control + 1} is {what}, which a folder's name never "
            "needs (copied with the path?); give the path without it")
    if not _encodable(text):
        raise typer.BadParameter(
            f"'{_as_bytes_shown(text)}': {file_name_fix()}; a job writes its output "
            "folder's name into its records, model card and viewer, which are UTF-8 text")
    if text.startswith("~"):
        from prospect.config._base import home_expanded
        from prospect.errors import ConfigError

        try:
            path = home_expanded(text)
        except ConfigError as exc:  # ~user of no user here: a usage error, not internal
            raise typer.BadParameter(str(exc).replace(
                "the config file's folder", "the current folder")) from None
    else:
        path = Path(text)
    too_long = _name_too_long(path)
    if too_long:
        raise typer.BadParameter(too_long)
    loop = _link_loop(path)
    if loop is not None:
        raise typer.BadParameter(
            f"{text!r}: the symbolic link {loop} leads back to itself (a loop of links), so "
            f"nothing can be made below it; point the link at a folder (ls -l {loop}) or "
            "give another path")
    # a device file itself (/dev/null, /dev/stdout) is what the command's own checks say
    virtual = _virtual_file_system(path) if not os.path.exists(path) or \
        os.path.isdir(path) else None
    if virtual is not None:
        raise typer.BadParameter(
            f"{text!r}: {virtual}, not a disk, so an output there is refused or lost (in "
            "memory until the machine restarts); give a folder on a disk")
    if not os.path.exists(path):
        hint = _url_hint(text, "an output is written to a folder of this machine's file "
                         "system (for a cluster, a disk every worker mounts), never to "
                         "object storage or a web server: give a local or shared folder, "
                         "and copy the outputs there afterwards (e.g. aws s3 sync, gsutil "
                         "rsync)") or _shell_hint(text, output=True)
        if hint:
            raise typer.BadParameter(f"{text!r}: {hint}")
    return path


def command_line_path(text: str, given_as: str) -> Path:
    """A path given on the command line where a name or a path may be given (``prospect
    jobs NAME``, ``indices --list --sensor``), its leading ``~`` the home folder, as a
    shell would have made it (not after ``=`` nor inside quotes).

    ``~nouser/job.yaml`` (a colleague's path, quoted) was "internal error: RuntimeError:
    Could not determine home directory", exit 70; ``--sensor=~/s.yaml`` passed the check
    and was read as ``./~/s.yaml``.

    Raises
    ------
    ConfigError
        ``~user`` of a user this machine does not know, naming ``given_as`` (the command
        or option) and the path.
    """
    from prospect.config._base import home_expanded
    from prospect.errors import ConfigError

    try:
        return home_expanded(text)
    except ConfigError as exc:
        raise ConfigError(f"{given_as} {text}: " + str(exc).replace(
            "the config file's folder", "the current folder")) from None


def gdal_input_path(value: str) -> Path:
    r"""An input file that GDAL reads (``prospect regions --outlines-from``), as given.

    Typed as a :class:`~pathlib.Path`, click folded the path's ``//`` before any reader
    saw it: ``/vsizip//data/ne.zip/ne.geojson`` (an absolute archive) became
    ``/vsizip/data/...``, which GDAL reads from the working folder ("cannot read as a
    vector file (corrupt?): ... does not exist in the file system"), and
    ``zip://ne.zip!ne.geojson``, ``https://host/ne.geojson`` and ``s3://bucket/ne.gpkg``,
    each of which a config's ``mask.path`` reads, were "outline file not found" naming
    ``https:/host/...``. ``--outlines-from=~/ne.geojson`` (no shell expands ``~`` after
    ``=``) was not found either, and ``'$DATA/ne.geojson'`` said nothing of ``$DATA``.

    A GDAL virtual name or a URL is written as a config's path is
    (:func:`prospect.config.vsi.gdal_name`, a relative archive taken from the working
    folder) and kept whole (:class:`~prospect.config.vsi.GdalPath`); a leading ``~`` is
    the home folder; a path that is not there and was written for another shell or
    system is refused, saying why. Anything else is the path as given, which the reader
    checks.

    Raises
    ------
    typer.BadParameter
        An empty path, ``~user`` of no user here, or a name written for another shell:
        usage errors, as :func:`out_path` says them.
    InputFileError
        A GDAL name that names no archive, or whose archive is not there or lacks the
        file named (exit 1, as the reader's "outline file not found").
    """
    from prospect.config._base import home_expanded
    from prospect.config.vsi import GdalPath, gdal_name, is_gdal_name, is_url
    from prospect.errors import ConfigError, InputFileError

    text = str(value)
    if not text.strip():  # '--outlines-from "$NE"', NE unset: it was the folder '.'
        raise typer.BadParameter("an empty path; give the input file's path")
    if is_gdal_name(text) or is_url(text):
        try:
            return GdalPath(gdal_name(text, Path.cwd()))
        except ValueError as exc:
            said = str(exc).replace("the config file's folder", "the current folder")
            raise InputFileError(f"{text}: {said}") from None
    try:
        path = home_expanded(text)
    except ConfigError as exc:  # ~user of no user here
        raise typer.BadParameter(str(exc).replace("the config file's folder",
                                                  "the current folder")) from None
    if not os.path.lexists(path):
        hint = _shell_hint(text)
        if hint:
            raise typer.BadParameter(f"{text}: file not found; {hint}")
    return path


VIRTUAL_FILE_SYSTEMS = {
    "proc": "the kernel's view of its processes", "sysfs": "the kernel's view of devices",
    "devtmpfs": "the kernel's device files (/dev)", "devpts": "the terminals' device files",
    "cgroup": "the kernel's control groups", "cgroup2": "the kernel's control groups",
    "debugfs": "the kernel's debugging files", "tracefs": "the kernel's tracing files",
    "securityfs": "the kernel's security files", "configfs": "the kernel's settings",
    "bpf": "the kernel's BPF objects", "pstore": "the kernel's crash records",
    "efivarfs": "the firmware's variables", "mqueue": "the kernel's message queues",
    "fusectl": "FUSE's controls", "binfmt_misc": "the kernel's program formats",
    "hugetlbfs": "the kernel's huge memory pages", "nsfs": "the kernel's namespaces",
}
"""File systems of the kernel's own (by ``/proc/self/mountinfo``'s type) that hold no
user's files, with what each is."""


def _virtual_file_system(path: Path) -> str | None:
    """Where ``path`` (or its nearest existing folder) lies on one of the kernel's own
    file systems (:data:`VIRTUAL_FILE_SYSTEMS`), what it is (``"/proc is proc, the
    kernel's view of its processes"``); ``None`` otherwise, or where the mounts cannot be
    read (not Linux).

    ``-o /proc/run1`` was "error: /proc/run1: No such file or directory", exit 74, as a
    disk's error, and ``-o /dev/runs/a`` (a device's name for its disk's folder) ran the
    job as root into ``/dev``, a file system in memory, exit 0: every output lost at the
    next restart.
    """
    try:
        mounts = Path("/proc/self/mountinfo").read_text().splitlines()
        here = Path(os.path.abspath(path))
        while not here.exists() and here.parent != here:
            here = here.parent
        here = here.resolve()
    except (OSError, RuntimeError, ValueError):
        return None
    best: tuple[int, str, str] | None = None
    for line in mounts:
        fields = line.split()
        if " - " not in line or len(fields) < 5:
            continue
        point = fields[4].encode().decode("unicode_escape", errors="replace")
        kind = line.split(" - ", 1)[1].split()[0]
        inside = here == Path(point) or Path(point) in here.parents
        if inside and (best is None or len(point) >= best[0]):
            best = (len(point), point, kind)
    if best is None or best[2] not in VIRTUAL_FILE_SYSTEMS:
        return None
    return f"{best[1]} is {best[2]}, {VIRTUAL_FILE_SYSTEMS[best[2]]}"


_URL = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]+):/{1,2}(?=[^/])")
"""A URL's scheme and its ``//`` as given (``s3://``), or as :class:`~pathlib.Path` leaves
it once it has folded the two slashes into one (``https:/host``); a scheme of one letter
is a Windows drive (``C:/``, :func:`_shell_hint`'s)."""
_GDAL_VSI = re.compile(r"^/vsi[a-z0-9_]+/")
"""GDAL's virtual file systems (``/vsis3/``, ``/vsicurl/``), which only GDAL reads."""


def _url_hint(text: str, instead: str) -> str:
    """Why a command-line path that does not exist is a URL or a GDAL virtual path, with
    ``instead`` (what to give); ``""`` when it is neither (``file://``: :func:`_shell_hint`).

    ``-o s3://bucket/run1`` (or ``gs://``, ``https://``, ``/vsis3/``) was taken as a local
    path: the job ran and wrote its cube, model and tiles into a folder ``s3:/bucket/run1``
    under the current one (``/vsis3/...`` at the root of the file system), which a pod's
    disk lost with the pod; a config given as a URL was "https:/host/job.yaml: config file
    not found", the URL folded as a path.
    """
    url = _URL.match(text)
    if url and url.group(1).lower() != "file":
        return f"a URL ({url.group(1)}://...), not a path here; {instead}"
    vsi = _GDAL_VSI.match(text)
    if vsi:
        return (f"a GDAL virtual path ({vsi.group(0)}), which only GDAL's readers take, "
                f"not a path here; {instead}")
    return ""


def _encodable(text: str) -> bool:
    r"""Whether ``text`` can be written as UTF-8: a name of another encoding (Latin-1
    bytes, ``caf\xe9``) reaches Python as lone surrogates, which no UTF-8 text holds.

    ``-o`` with such a name ran ingest and indices, then failed in train as the model
    card was written ("a file name holds characters this process cannot encode", exit 2):
    half a job, the rest never possible there.
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _as_bytes_shown(text: str) -> str:
    r"""``text`` with the bytes Python could not decode shown as ``\xNN``."""
    return os.fsencode(text).decode("utf-8", "backslashreplace")


def _link_loop(path: Path) -> Path | None:
    """The symbolic link on ``path`` (itself or a folder above it) that leads back to
    itself, directly or through other links; ``None`` when there is none.

    ``-o`` on such a link, or below it, was "internal error: RuntimeError: Symlink loop
    from ..." (exit 70) as the job resolved its output folder.
    """
    try:
        os.stat(path)
        return None
    except OSError as exc:
        if exc.errno != errno.ELOOP:
            return None
    full = Path(os.path.abspath(path))
    for step in [*reversed(full.parents), full]:
        try:
            os.stat(step)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                return step
            return None
    return full


def _name_too_long(path: Path) -> str:
    """Why the file system cannot hold ``path`` (:func:`prospect.config._base.path_too_long`):
    ``-o`` with a name of 300 characters (a title pasted in) was a traceback, the look at
    the folder and the error line's own look at it raising ENAMETOOLONG."""
    from prospect.config._base import path_too_long

    return path_too_long(path)


def names_output(param: typer.CallbackParam, value: Path | None) -> Path | None:
    """Callback of every option that names an output path (with :func:`out_path`).

    Records which option chose the path (:func:`pipelines.faults.name_output`), so an
    error writing there (read-only, permission denied) tells the user to point *this*
    option elsewhere, not some other command's ``-o``.
    """
    if value is not None:
        from pipelines.faults import name_output

        option = "/".join(sorted(param.opts, key=len))
        refuse_file_in_the_way(value, option)
        name_output(value, option)
    return value


def file_in_the_way(path: Path) -> Path | None:
    """The file (not a folder) that stands where ``path`` needs a folder: ``path``'s
    nearest existing parent, when that is not a directory; ``None`` when there is none.

    ``path`` itself may be a file (``model export -o model.onnx``, ``--cog map.tif``);
    what matters here are the folders above it, which the command would have to create.
    """
    for parent in Path(path).expanduser().absolute().parents:
        try:
            if parent.is_dir():
                return None
            if parent.exists():
                return parent
        except OSError:  # a parent the process may not look into: left to the writer
            return None
    return None


def refuse_file_in_the_way(path: Path, option: str, *, folder: bool = False) -> None:
    """Refuse an output path below a file, before anything is created (exit 2).

    ``-o thesis.txt`` was a config error (exit 2), while ``-o thesis.txt/out`` got as far
    as ``mkdir`` and was a write error (exit 74, the code of a full disk): one mistake, a
    file where a folder is wanted, and two codes and wordings. Both are exit 2 now, each
    naming the file in the way.

    Parameters
    ----------
    path
        The output path given.
    option
        The option that gave it (``-o/--out``), named in the error.
    folder
        The option names a folder (a job's output directory): ``path`` itself being a
        file is refused too.

    Raises
    ------
    ConfigError
        A parent of ``path`` (or, with ``folder``, ``path`` itself) exists and is a file.
    """
    from prospect.errors import ConfigError

    target = Path(path).expanduser()
    blocking = target if folder and target.exists() and not target.is_dir() else \
        file_in_the_way(target)
    if blocking == target:
        raise ConfigError(f"{path}: an existing file, not a directory; {option} names a "
                          "folder (created if missing): move the file or give another path")
    if blocking is not None:
        raise ConfigError(
            f"{path}: {blocking} is an existing file, not a directory, so nothing can be made "
            f"below it; move the file or give {option} another path")


def names_output_folder(param: typer.CallbackParam, value: Path | None) -> Path | None:
    """Callback of an option naming an output folder (a job's ``-o``): as
    :func:`names_output`, and an existing file given as the folder is refused too."""
    if value is not None:
        refuse_file_in_the_way(value, "/".join(sorted(param.opts, key=len)), folder=True)
    return names_output(param, value)


OutOpt = Annotated[
    Path, typer.Option("--out", "-o", help="Output directory (created if missing).",
                       parser=out_path, callback=names_output_folder)
]
SCHEDULER_SCHEMES = ("tcp", "tls", "ucx", "ws", "wss")
"""The schemes of a scheduler address another process can reach (distributed's own, less
``inproc``, which names a scheduler inside one process)."""


def scheduler_address(value: str) -> str:
    """A ``--scheduler`` address as given, or refused when it cannot be a scheduler's.

    The dashboard's web address (``http://host:8787/status``, what a browser shows) was
    "unknown address scheme 'http'", exit 1, as if the scheduler were down; ``inproc://x``
    "not enough values to unpack (expected 3, got 1)"; ``tcp://host:port`` with a port
    that is no number, a space in the address, or an empty one (``--scheduler
    "$SCHED"``, ``SCHED`` unset) each failed after the connection attempt or with no word
    of the address; so did a path after the port (``tcp://host:8786/``, copied as a
    URL: "invalid literal for int() with base 10: '8786/'"). Each is a usage error now,
    at once.

    A scheduler file (``dask scheduler --scheduler-file ~/sched.json``, as
    ``cluster/README.md`` starts one) given as the address was "a scheduler's address has
    no path ('/home/me/sched.json'); give tcp://" or "no host and port": it is read now,
    as ``dask worker --scheduler-file`` reads it, and its ``address`` used
    (:func:`scheduler_file_address`).
    """
    text = value.strip()
    fix = "give the scheduler's address as tcp://host:8786 (what 'dask scheduler' prints)"
    if not text:
        raise typer.BadParameter(f"an empty address; {fix}, or leave --scheduler out for a "
                                 "local cluster")
    if _names_a_file(text):
        return scheduler_address(scheduler_file_address(text))
    if any(ch.isspace() for ch in text):
        raise typer.BadParameter(f"{value!r}: an address holds no spaces; {fix}")
    scheme, sep, rest = text.partition("://")
    if not sep:
        scheme, rest = "tcp", text
    scheme = scheme.lower()
    if scheme in ("http", "https"):
        host = rest.split("/", 1)[0].rpartition(":")[0] or rest.split("/", 1)[0] or "host"
        raise typer.BadParameter(
            f"{value!r} is a web address (the dashboard's, port 8787 by default), not the "
            f"scheduler's; give tcp://{host}:8786 (the address 'dask scheduler' prints as "
            "'Scheduler at:')")
    if scheme == "inproc":
        raise typer.BadParameter(f"{value!r} names a scheduler inside one process (a "
                                 f"test's), which prospect cannot reach; {fix}")
    if scheme not in SCHEDULER_SCHEMES:
        raise typer.BadParameter(f"{value!r}: unknown scheme '{scheme}://' (one of "
                                 f"{', '.join(SCHEDULER_SCHEMES)}); {fix}")
    host_port, slash, path = rest.partition("/")
    if slash:  # a URL's path or trailing slash: "invalid literal for int(): '8786/'"
        raise typer.BadParameter(f"{value!r}: a scheduler's address has no path "
                                 f"('/{path}'); give {scheme}://{host_port}")
    if host_port.startswith("["):  # [IPv6]:port
        port = host_port.partition("]")[2].removeprefix(":")
    else:  # host:port (a bare IPv6 address, of many colons, is left to distributed)
        port = host_port.partition(":")[2] if host_port.count(":") == 1 else ""
    if port and not port.isdigit():
        raise typer.BadParameter(f"{value!r}: the port {port!r} is no number; {fix}")
    return text


def _names_a_file(text: str) -> bool:
    """Whether a ``--scheduler`` value without a scheme is a file's path rather than a
    ``host:port``: a path from the root, the home folder or here, a ``.json`` (or
    ``.yaml``) name, a path of folders, or a file that is there; never a ``host:port``
    with a path after it (``127.0.0.1:8786/status``, refused as a URL's path)."""
    if "://" in text:
        return False
    if text.startswith(("/", "~", "./", "../")) or "\\" in text:
        return True
    if ":" in text.split("/", 1)[0]:
        return False
    return text.lower().endswith((".json", ".yaml", ".yml")) or "/" in text \
        or os.path.isfile(text)


def scheduler_file_address(path: str) -> str:
    """The scheduler's address a dask scheduler file holds (``dask scheduler
    --scheduler-file PATH`` writes one: JSON with its ``address``), read as
    ``Client(scheduler_file=PATH)`` reads it.

    Parameters
    ----------
    path
        The file as the user gave it (``~`` is the home folder, as a quoted one is not
        expanded by the shell).

    Returns
    -------
    str
        The address in the file (``tcp://10.0.0.5:8786``).

    Raises
    ------
    typer.BadParameter
        No such file, or a file that is no scheduler file, named with how to fix it.
    """
    fix = ("give the file 'dask scheduler --scheduler-file' wrote, or the address it "
           "prints as tcp://host:8786")
    where = Path(path).expanduser()
    try:
        text = where.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise typer.BadParameter(
            f"{path!r} is no address, and no scheduler file is there (the scheduler is not "
            f"started yet, or wrote it elsewhere); {fix}") from None
    except IsADirectoryError:
        raise typer.BadParameter(f"{path!r} is a folder, not a scheduler's address or "
                                 f"scheduler file; {fix}") from None
    except (OSError, UnicodeDecodeError) as exc:
        why = getattr(exc, "strerror", None) or exc
        raise typer.BadParameter(f"scheduler file {path!r} cannot be read ({why}); "
                                 f"{fix}") from None
    try:
        info = json.loads(text) if text.strip() else None
    except ValueError:
        info = None
    address = info.get("address") if isinstance(info, dict) else None
    if not isinstance(address, str) or not address.strip():
        empty = " (it is empty: the scheduler may be writing it still)" \
            if not text.strip() else ""
        raise typer.BadParameter(
            f"{path!r} is no dask scheduler file: no JSON with the scheduler's 'address'"
            f"{empty}; {fix}")
    from pipelines.cluster import SCHEDULER_FILES

    SCHEDULER_FILES[address.strip()] = path  # said where the scheduler is not reached
    return address.strip()


MAX_WORKERS = 1_000_000
"""The most worker processes ``--workers`` takes: the largest batch clusters hold a few
hundred thousand cores, so a count past this is a slip of the keyboard."""

MAX_THREADS = 8192
"""The most threads per worker process ``--threads`` takes: Linux's largest build
(``NR_CPUS``) runs at most 8192 logical CPUs on one machine."""


def _at_most(limit: int, what: str) -> Any:
    """A click callback refusing a count past ``limit`` as no machine's or cluster's."""

    def check(ctx: Any, param: Any, value: int | None) -> int | None:
        if value is not None and value > limit:
            from pipelines.cluster import usable_cores

            raise typer.BadParameter(
                f"{value} is more {what} than any machine or cluster runs (at most "
                f"{limit:,}); give the count you mean, e.g. the "
                f"{usable_cores()} cores this job may use")
        return value

    return check


workers_at_most = _at_most(MAX_WORKERS, "worker processes")
"""The ``--workers`` options' callback (:data:`MAX_WORKERS`)."""
threads_at_most = _at_most(MAX_THREADS, "threads per worker")
"""The ``--threads`` options' callback (:data:`MAX_THREADS`)."""

SchedulerOpt = Annotated[
    str | None,
    typer.Option("--scheduler", help="Address of a running dask scheduler (tcp://host:8786), "
                 "or the file 'dask scheduler --scheduler-file' wrote.",
                 parser=scheduler_address),
]
WorkersOpt = Annotated[
    int | None,
    typer.Option(
        "--workers", min=1, callback=workers_at_most,
        help="Worker processes of the local cluster (default: one per core this job may use)."
    ),
]
def _cluster_kind(ctx: Any, param: Any, value: str | None) -> str | None:
    """The ``--cluster`` options' callback: the kind it names, in any case and by its
    other names (:func:`pipelines.cluster.cluster_kind`), or the one-line refusal."""
    if value is None:
        return None
    from pipelines.cluster import cluster_kind

    return cluster_kind(value)


ClusterOpt = Annotated[
    str | None,
    typer.Option(
        "--cluster", callback=_cluster_kind,
        help="Start workers on a batch system or Kubernetes: slurm, pbs or kubernetes "
        "(settings in cluster/ or $PROSPECT_CLUSTER_DIR).",
    ),
]


def check_engine_options(*, scheduler: str | None = None, workers: int | None = None,
                         cluster: str | None = None) -> None:
    """Refuse ``--workers`` beside ``--scheduler`` or ``--cluster`` before anything is
    created (:func:`pipelines.cluster.check_workers`, which the runner and ``model score``
    apply again)."""
    from pipelines.cluster import check_workers

    check_workers(scheduler=scheduler, workers=workers, cluster=cluster)

ForceOpt = Annotated[
    bool,
    typer.Option(
        "--force", "--restart",
        help="Recompute stages that an earlier run of the same config already finished.",
    ),
]


@contextmanager
def nothing_left_when_refused(out: Path) -> Iterator[None]:
    """Within the block (a job command's run), a refusal leaves ``out`` as it was.

    The runner takes the output lock (``out/.prospect.lock``, creating ``out``) before it
    checks where the job computes: an unreachable ``--scheduler``, a ``--scheduler`` that
    is no address or more ``--workers`` than the machine holds left a new ``out`` holding
    only the lock file, a folder that looked like a run's. Where the block ends in an exception and
    ``out`` holds nothing but what it held before and the lock file this command made
    (no manifest: no stage started), the lock file goes, and so do ``out`` and the
    folders above it that the command created. A lock another job holds is left alone.
    """
    from pipelines.lock import LOCK_FILE

    target = Path(out).expanduser().absolute()
    made = [p for p in (target, *target.parents) if not os.path.lexists(p)]
    lock = target / LOCK_FILE
    before: set[str] | None = None
    if not made and target.is_dir() and not os.path.lexists(lock):
        with contextlib.suppress(OSError):
            before = set(os.listdir(target))
    try:
        yield
    except OutputBusyError:
        raise  # another job's directory (and lock file): nothing here is this command's
    except BaseException:
        if made or before is not None:
            with contextlib.suppress(OSError):
                _remove_unused(target, lock, before or set(), made)
        raise


def _remove_unused(target: Path, lock: Path, before: set[str], made: list[Path]) -> None:
    """Remove ``lock`` when ``target`` holds nothing else new and no job holds it, then
    the folders of ``made`` (deepest first) that are empty."""
    new = set(os.listdir(target)) - before if os.path.isdir(target) else set()
    if new - {lock.name}:
        return  # a stage's record or output: the run's own error says what it kept
    if new:
        from pipelines.lock import written_by_this_process

        if not written_by_this_process(lock):
            return  # another job's record (another host's): its lock, not this command's
        fd = os.open(lock, os.O_RDWR | os.O_NOFOLLOW)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # BlockingIOError: another job's
            os.unlink(lock)
        finally:
            os.close(fd)
    for folder in made:
        if os.path.lexists(folder):  # gone already (the command removed its own)
            os.rmdir(folder)  # OSError once a folder holds something: left as it is


@contextmanager
def warning_lines(console: Console) -> Iterator[list[str]]:
    """Data warnings raised in the block (a model saved with other library versions...),
    each printed once as one ``warning:`` line when the block ends and collected into the
    list yielded (:func:`prospect.errors.data_warnings`)."""
    found: list[str] = []
    try:
        with data_warnings() as found:
            yield found
    finally:
        for text in found:
            console.print(f"[yellow]warning:[/yellow] {escape(text)}", soft_wrap=True,
                          highlight=False)
