"""Settings a user gives through the environment, read one way.

``PROSPECT_MAX_CELLS``, ``PROSPECT_MAX_SOURCES``, ``PROSPECT_MAX_BLOCK_BYTES`` and
``PROSPECT_TASK_TIMEOUT`` each cap something: unset or blank means the default; anything
but a whole number from 1 to 2^53 is refused naming the variable, its value, the default
and how to unset it (a limit of -5 cells read "over the limit of -5", a limit of 0
refused every job for its size, a timeout of 10^400 seconds was ``internal error:
OverflowError``); ``PROSPECT_MAX_BLOCK_BYTES`` also takes a size with a unit as dask's
memory settings do (``1 GB``, ``256MiB``), and ``PROSPECT_TASK_TIMEOUT`` a duration with a
unit as dask's timeouts do (``10m``, ``1h``, ``600s``: it was refused as "no whole number
above 0" without a word of its unit, seconds). ``PROSPECT_DEBUG`` is ``1`` (tracebacks and
libraries' raw lines) or ``0``/unset; any other value is said once and taken as ``0``;
``PROSPECT_FSYNC`` likewise (``1``: published files flushed to the disk first).
The command line checks them all before a command runs (:func:`check_environment`), so a
bad value is named as the environment's, not as the config key whose check read it.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from prospect.errors import ConfigError, ProspectError

__all__ = ["CACHE_VARIABLE", "DEBUG_VARIABLE", "LIMIT_VARIABLES", "MAX_LIMIT",
           "cache_dir_note", "check_environment", "dask_config_files", "debug_value_note",
           "fsync_value_note",
           "library_settings", "positive_limit", "unreadable_dask_config"]

MAX_LIMIT = 2 ** 53
"""Largest limit a variable may hold: every whole number up to it is exact as a float (a
timeout is used in seconds as one); past it a limit means nothing a machine could reach."""

LIMIT_VARIABLES = ("PROSPECT_MAX_CELLS", "PROSPECT_MAX_SOURCES", "PROSPECT_MAX_BLOCK_BYTES",
                   "PROSPECT_TASK_TIMEOUT", "PROSPECT_REMOTE_VRT_SOURCES")
"""The variables read by :func:`positive_limit` (each by the module it limits)."""

DEBUG_VARIABLE = "PROSPECT_DEBUG"


def _shown(name: str, value: str) -> str:
    """``NAME='value'`` for a message, a long value cut in the middle with its length."""
    if len(value) <= 40:
        return f"{name}={value!r}"
    return f"{name}={value[:24] + '...' + value[-8:]!r} ({len(value)} characters)"


_BYTE_UNITS: dict[str, float] = {
    "": 1, "b": 1, "k": 10**3, "kb": 10**3, "m": 10**6, "mb": 10**6, "g": 10**9, "gb": 10**9,
    "t": 10**12, "tb": 10**12, "ki": 2**10, "kib": 2**10, "mi": 2**20, "mib": 2**20,
    "gi": 2**30, "gib": 2**30, "ti": 2**40, "tib": 2**40}
"""Units of a size in bytes as dask's ``parse_bytes`` reads them (``kB``, ``MB``, ``GB``
decimal; ``KiB``, ``MiB``, ``GiB`` binary), case aside."""


_SECOND_UNITS: dict[str, float] = {
    "": 1, "s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1, "ms": 0.001,
    "millisecond": 0.001, "milliseconds": 0.001, "m": 60, "min": 60, "mins": 60, "minute": 60,
    "minutes": 60, "h": 3600, "hr": 3600, "hrs": 3600, "hour": 3600, "hours": 3600, "d": 86400,
    "day": 86400, "days": 86400, "w": 604800, "week": 604800, "weeks": 604800}
"""Units of a duration in seconds as dask's ``parse_timedelta`` reads them (``600s``,
``10m``, ``1h``, ``2 days``; ``min``, ``sec`` and ``hr`` too), case aside."""


def _units(name: str) -> dict[str, float] | None:
    """The units ``$name`` may be written in (``None``: a bare whole number only)."""
    if name.endswith("_BYTES"):
        return _BYTE_UNITS
    if name.endswith("_TIMEOUT"):
        return _SECOND_UNITS
    return None


def _accepted(name: str) -> str:
    """What ``$name`` takes, for a refusal: ``a whole number above 0``, with its unit and
    the forms with a unit for a size or a duration."""
    if name.endswith("_BYTES"):
        return "a whole number of bytes above 0 or a size with a unit (1 GB, 256MiB)"
    if name.endswith("_TIMEOUT"):
        return "a whole number of seconds above 0 or a duration with a unit (600, 10m, 1h)"
    return "a whole number above 0"


def _as_written(name: str, value: str) -> str:
    """``value`` as a number's text: a ``*_BYTES`` variable's size with a unit (``1 GB``,
    ``256MiB``, as dask's memory settings take it) in bytes, a ``*_TIMEOUT`` variable's
    duration with a unit (``10m``, ``1h``, as dask's timeouts take it) in seconds; other
    text as it is, ``_`` aside."""
    text = value.strip().replace("_", "")
    units = _units(name)
    sized = re.fullmatch(r"(\d+(?:\.\d*)?|\.\d+)\s*([A-Za-z]+)", text)
    if units is not None and sized and sized.group(2).lower() in units:
        number = float(sized.group(1)) * units[sized.group(2).lower()]
        if number == float("inf"):
            return text
        return str(int(number)) if number == int(number) else repr(number)
    return text


def _limit_problem(name: str, value: str) -> str:
    """What is wrong with ``value`` as a limit (``""``: nothing); ``value`` not blank."""
    text = _as_written(name, value)
    try:
        limit = int(text)
    except ValueError:
        try:
            number = float(text)
        except ValueError:
            return "is no whole number above 0"
        if MAX_LIMIT < number < float("inf"):
            return f"is larger than the most accepted ({MAX_LIMIT})"
        if not 1 <= number <= MAX_LIMIT or number != int(number):  # NaN, inf, 1.5, -1e3
            return "is no whole number above 0"
        return f"is written as a decimal number: write it as a whole number ({int(number)})"
    if limit < 1:
        return "is no whole number above 0"
    if limit > MAX_LIMIT:
        return f"is larger than the most accepted ({MAX_LIMIT})"
    return ""


def positive_limit(name: str, default: int, what: str, error: type[ProspectError]) -> int:
    """The whole number above zero ``$name`` holds, or ``default`` when unset or blank.

    Parameters
    ----------
    name
        The environment variable (``PROSPECT_MAX_CELLS``).
    default
        The limit when the variable is unset or blank (0: none is set by default).
    what
        What the limit counts, for the refusal (``"cells a variable may hold"``).
    error
        The error class to raise (the caller's: a grid's, a config's).

    Raises
    ------
    ProspectError
        ``error``, when the value is not a whole number from 1 to :data:`MAX_LIMIT`.
    """
    value = os.environ.get(name, "")
    if not value.strip():
        return default
    problem = _limit_problem(name, value)
    if problem:
        usual = f"default {default}" if default > 0 else "unset by default"
        form = f" as {_accepted(name)}" if _units(name) else ""
        raise error(f"{_shown(name, value)} {problem}; set it to the most {what}{form} "
                    f"({usual}), or unset it")
    return int(_as_written(name, value))


def debug_value_note() -> str:
    """A note on a ``$PROSPECT_DEBUG`` that is neither ``1``, ``0`` nor blank (``true``,
    ``yes``: taken as off, as the one test of it, ``== "1"``, reads them); ``""`` when
    the value is one of those."""
    value = os.environ.get(DEBUG_VARIABLE, "")
    if value.strip() in ("", "0", "1"):
        return ""
    return (f"{_shown(DEBUG_VARIABLE, value)} is read as 0 (off): it is 1 for tracebacks and "
            "libraries' raw lines, 0 or unset for none (or give --debug)")


def fsync_value_note() -> str:
    """A note on a ``$PROSPECT_FSYNC`` that is neither ``1``, ``0`` nor blank (``true``,
    ``yes``: taken as off, as :func:`prospect.io.files.durable_writes` reads them); ``""``
    when the value is one of those."""
    from prospect.io.files import FSYNC_VARIABLE

    value = os.environ.get(FSYNC_VARIABLE, "")
    if value.strip() in ("", "0", "1"):
        return ""
    return (f"{_shown(FSYNC_VARIABLE, value)} is read as 0 (off): it is 1 to flush every "
            "published file and folder to the disk before its rename, 0 or unset for none")


def check_environment() -> list[str]:
    """Check every setting Prospect reads from the environment before a command runs.

    Returns
    -------
    list of str
        Notes to print (a ``PROSPECT_DEBUG`` or ``PROSPECT_FSYNC`` value that is neither 1
        nor 0).

    Raises
    ------
    ConfigError
        A limit variable (:data:`LIMIT_VARIABLES`) holding anything but a whole number
        from 1 to :data:`MAX_LIMIT`, named with its value and how to unset it.
    """
    for name in LIMIT_VARIABLES:
        value = os.environ.get(name, "")
        if not value.strip():
            continue
        problem = _limit_problem(name, value)
        if problem:
            raise ConfigError(f"environment variable {_shown(name, value)} {problem}; set "
                              f"it to {_accepted(name)}, or unset it for the default")
    notes = [debug_value_note(), fsync_value_note(), cache_dir_note()]
    return [note for note in notes if note]


def dask_config_files() -> list[Path]:
    """The files dask reads its configuration from as it is first imported, in its order:
    each ``.yaml``, ``.yml`` or ``.json`` file in ``$DASK_ROOT_CONFIG`` (``/etc/dask``),
    the environment's and Python's ``etc/dask``, ``~/.config/dask`` and ``$DASK_CONFIG``
    (a folder, or one file of any name), as ``dask.config`` finds them."""
    import site
    import sys

    places = [os.environ.get("DASK_ROOT_CONFIG", "/etc/dask"),
              os.path.join(sys.prefix, "etc", "dask"),
              *(os.path.join(prefix, "etc", "dask") for prefix in site.PREFIXES),
              os.path.join(os.path.expanduser("~"), ".config", "dask")]
    if "DASK_CONFIG" in os.environ:
        places.append(os.environ["DASK_CONFIG"])
    files: list[Path] = []
    for place in dict.fromkeys(reversed(places)):  # dask keeps each place's last mention
        path = Path(place)
        try:
            if path.is_dir():
                files[:0] = sorted(p for p in path.iterdir()
                                   if p.suffix.lower() in (".json", ".yaml", ".yml"))
            elif path.exists():
                files.insert(0, path)
        except OSError:  # a folder that may not be read: dask skips it too
            continue
    return files


def _dask_config_problem(path: Path) -> str:
    """Why dask cannot take ``path`` as a configuration file (``""``: it can, or it cannot
    be read, which dask skips)."""
    import yaml

    try:  # read as dask reads it: in the locale's encoding
        with open(path) as file:
            text = file.read()
    except OSError:
        return ""
    except UnicodeDecodeError as exc:
        return (f"is not text in this locale's encoding, {exc.encoding} (byte "
                f"{exc.start}: {exc.reason})")
    try:
        config = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        what = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        return f"is no YAML or JSON dask can read ({what}{where})"
    if config is not None and not isinstance(config, dict):
        return (f"holds a {type(config).__name__}, not the mapping of settings a dask "
                "configuration file is")
    return ""


def unreadable_dask_config() -> str:
    """What makes dask's configuration unreadable, as one line naming the file, what is
    wrong in it and the fix; ``""`` when dask can read every file.

    dask reads every such file as it is first imported and raises ``ValueError`` on one
    it cannot parse (a YAML typo in ``~/.config/dask/distributed.yaml``, ``DASK_CONFIG``
    pointed at a file that is no configuration): each command that computed ended as
    "internal error: ValueError: A dask config file at ... is malformed", exit 70, a bug
    to report. Commands that never import dask (``prospect regions``) are not concerned,
    so the command line says this where dask's import failed.
    """
    for path in dask_config_files():
        problem = _dask_config_problem(path)
        if problem:
            return (f"dask configuration file {path} {problem}; dask reads every .yaml, .yml "
                    "and .json file in /etc/dask, ~/.config/dask and $DASK_CONFIG as a "
                    "command first uses it: fix the file, move it out of that folder, or "
                    "unset DASK_CONFIG where it names the file")
    return ""


CACHE_VARIABLE = "PROSPECT_CACHE_DIR"


def _cache_dir_problem(value: str) -> str:
    """Why the index kernels cannot be kept in ``$PROSPECT_CACHE_DIR`` (``""``: they can),
    as :func:`prospect.indices.numba_backend.kernel_cache_dir` decides: its ``kernels``
    folder made if missing, ours, and writable by no one else."""
    from pathlib import Path

    path = Path(value) / "kernels"
    existing = path
    while not os.path.lexists(existing) and existing != existing.parent:
        existing = existing.parent
    try:
        if not existing.is_dir():
            what = "a broken link" if not existing.exists() else "a file"
            return f"is {what}, not a folder" if existing == path.parent else \
                f"cannot be made: {existing} is {what}"
        if not os.access(existing, os.W_OK | os.X_OK):
            return "is a folder this user cannot write to"
        st = existing.stat()
        if existing == path and (st.st_uid != os.getuid() or st.st_mode & 0o022):
            return (f"holds a folder {path} that others can write to (compiled kernels are "
                    "loaded from it: only a folder of the user's own is used)")
    except OSError as exc:
        return f"cannot be looked into ({exc.strerror or exc})"
    return ""


def cache_dir_note() -> str:
    """A note on a ``$PROSPECT_CACHE_DIR`` where compiled index kernels cannot be kept
    (``""`` when unset, blank or usable).

    Such a value (a file, a folder of another user or of none's writing) sent the kernels
    to a temporary folder without a word: every run compiled them again (seconds per
    index), and the user saw no reason why the cache set never filled.
    """
    value = os.environ.get(CACHE_VARIABLE, "")
    if not value.strip():
        return ""
    if value.startswith("~"):
        return (f"{_shown(CACHE_VARIABLE, value)} starts with '~', which the shell expands "
                "only unquoted at a word's start: compiled index kernels are kept in a "
                "folder named '~' in the working directory; write the home folder's path "
                "($HOME/...) instead")
    problem = _cache_dir_problem(value)
    if not problem:
        return ""
    return (f"{_shown(CACHE_VARIABLE, value)} {problem}: compiled index kernels go to a "
            "temporary folder and are compiled again by every run; set it to a folder of "
            "your own (made if missing), or unset it for ~/.cache/prospect")


def _writable_or_creatable(path: Path) -> bool:
    """Whether ``path`` is a folder this process may write in, or could be made as one
    (its nearest existing ancestor is a writable folder); nothing is created."""
    for candidate in (path, *path.parents):
        if os.path.lexists(candidate):
            return candidate.is_dir() and os.access(candidate, os.W_OK | os.X_OK)
    return False


def library_settings(*, debug: bool = False) -> None:
    """Settings of the libraries the pipeline loads, made before they are imported.

    Under a read-only or absent home folder (a container's arbitrary user, a locked-down
    batch node) matplotlib printed two raw lines at import ("mkdir -p failed for path
    ~/.config/matplotlib", "Matplotlib created a temporary cache directory ... it is highly
    recommended to set the MPLCONFIGDIR environment variable") on every command: its
    configuration folder is then a private temporary one, removed at exit, which the
    workers inherit. With no usable ``/dev/shm`` joblib warned "[Errno 30] Read-only file
    system. joblib will operate in serial mode" as a raw ``UserWarning``; the cluster's own
    start names ``/dev/shm`` with its remedies, so the line is kept for ``--debug`` only.
    An ``MPLCONFIGDIR`` the user set is left alone.
    """
    import warnings

    if not debug:
        warnings.filterwarnings("ignore", message=r".*joblib will operate in serial mode",
                                category=UserWarning)
    if os.environ.get("MPLCONFIGDIR"):
        return
    try:
        base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    except RuntimeError:  # no home folder at all
        base = None
    if base is not None and base.is_absolute() and _writable_or_creatable(base / "matplotlib"):
        return
    import atexit
    import shutil
    import tempfile

    folder = tempfile.mkdtemp(prefix="prospect-matplotlib-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    os.environ["MPLCONFIGDIR"] = folder
