"""Shared pieces of the typed configs: a strict base model and YAML loading with clear errors."""

from __future__ import annotations

import contextlib
import datetime
import difflib
import math
import os
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Sequence
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Literal, NamedTuple, TypeVar, Union, get_args, get_origin

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Tag,
    ValidationError,
    ValidationInfo,
    model_validator,
)

from prospect.errors import ConfigError, ProspectError

__all__ = [
    "EXTENSION_PREFIX",
    "RESERVED_NAMES",
    "ConfigData",
    "ConfigLocation",
    "ConfigPath",
    "KeyRefused",
    "Place",
    "PlainName",
    "PlainText",
    "RasterPath",
    "StrictModel",
    "VectorPath",
    "allowed_keys",
    "check_not_reserved",
    "check_plain_name",
    "config_folder",
    "copied_characters",
    "format_validation_error",
    "home_expanded",
    "load_yaml",
    "number_text_hint",
    "path_too_long",
    "repeated",
    "shadowing_file",
    "validate_mapping",
    "written_for_elsewhere",
]

M = TypeVar("M", bound=BaseModel)


class StrictModel(BaseModel):
    """Base for every config section: unknown keys are errors, values are immutable.

    Numbers must be finite: YAML's ``.nan`` and ``.inf`` are no scale, radius, threshold or
    timeout, and one let through turns every value it touches into NaN or infinity. A
    field where NaN means something (a no-data marker) opts back in.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True,
                              allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _no_bool_for_number(cls, data: Any) -> Any:
        """``true``/``false`` where only numbers are allowed is refused, naming the key.

        pydantic reads a boolean as 1 or 0 in a number field, and YAML reads ``yes``,
        ``no``, ``on`` and ``off`` as booleans: ``nodata: no`` (meant: none) marked every
        0 as no data, ``resolution: yes`` made a 1 m grid, all without a word. The value
        is handed on as text, which the number field refuses at its own key.
        """
        if not isinstance(data, dict):
            return data
        own = {f for d in cls.__pydantic_decorators__.field_validators.values()
               if d.info.mode == "before" for f in d.info.fields}  # they see it as written
        for name, field in cls.model_fields.items():
            key = name if name in data else field.alias
            if key in data and name not in own and _numbers_only(field.annotation) and \
                    _holds_bool(data[key]):
                data = {**data, key: bool_as_text(data[key])}
        return data


_NUMBER_LEAVES = (int, float)


def _numbers_only(tp: Any) -> bool:
    """Whether a field's type holds numbers only (``float``, ``tuple[PositiveInt, ...]``,
    ``float | None``, ``dict[str, float]``, ``float | Literal["auto"]``...): no ``bool``,
    free string, model or ``Any``. A literal other than ``True``/``False`` counts: a bool
    matches none of its values, and ``block_size: yes`` was read as a 1 m block."""
    origin = get_origin(tp)
    if tp is type(None):
        return True
    if tp is bool:
        return False
    if isinstance(tp, type) and issubclass(tp, _NUMBER_LEAVES):
        return True
    if origin is Literal:  # 'auto' beside a number: a bool is neither
        return not any(isinstance(a, bool) for a in get_args(tp))
    if origin is Annotated:
        return _numbers_only(get_args(tp)[0])
    if origin in (Union, UnionType, list, tuple, set, frozenset):
        args = [a for a in get_args(tp) if a is not Ellipsis]
        return bool(args) and all(_numbers_only(a) for a in args)
    if origin is dict:
        kv = get_args(tp)
        return len(kv) == 2 and _numbers_only(kv[1])
    return False


def bool_as_text(value: Any) -> Any:
    """``value`` with each ``bool`` in it as text that no number field accepts."""
    if isinstance(value, bool):
        return f"{str(value).lower()} (YAML reads yes/no/on/off as true/false, not a number)"
    if isinstance(value, list | tuple):
        return [bool_as_text(v) for v in value]
    if isinstance(value, dict):
        return {k: bool_as_text(v) for k, v in value.items()}
    return value


def _holds_bool(value: Any) -> bool:
    """A ``bool`` in ``value`` or in its items (lists, tuples, mapping values)."""
    if isinstance(value, bool):
        return True
    if isinstance(value, list | tuple | set | frozenset):
        return any(_holds_bool(v) for v in value)
    if isinstance(value, dict):
        return any(_holds_bool(v) for v in value.values())
    return False


def repeated(names: Iterable[str]) -> list[str]:
    """The names that occur more than once, sorted (for "must be unique" errors)."""
    return sorted(n for n, k in Counter(names).items() if k > 1)


def config_folder(path: Path | str) -> Path:
    """The folder a config's relative paths are taken from: that of the file ``path``
    names, symbolic links followed (``jobs/current.yaml -> ../bonaire/job.yaml``: the
    paths are the job's, beside its real file).

    ``prospect plan`` took them from the link's folder and the stage commands from the
    real file's (they load the config by its resolved path): the same config planned
    "raster file not found, counted from the config" and ran on the files beside the
    target.
    """
    return home_expanded(path).resolve().parent


def home_expanded(path: Path | str, base: Path | str | None = None) -> Path:
    """``path`` with a leading ``~`` or ``~user`` made the home folder, as a shell does;
    and, as a shell does, ``~name`` of no user on this machine left as written where a
    file of that name is there (``~heat.tif``, as Word and LibreOffice name their lock
    files and some exports their copies): it was refused as "the home folder of the user
    'heat.tif'", though the file was beside the config.

    Parameters
    ----------
    path : Path or str
        A path as written in a config (or given for one).
    base : Path or str, optional
        The folder a relative ``path`` is taken from (the config's); the working folder
        when ``None``.

    Returns
    -------
    Path
        The path, its home folder expanded.

    Raises
    ------
    ConfigError
        Where ``~user`` names a user this machine has no home folder for (a path copied
        from a colleague's config, ``~jdoe/data/heat.tif``): :meth:`Path.expanduser`
        raised ``RuntimeError``, which reached the user as ``internal error``, exit 70.
    """
    try:
        return Path(path).expanduser()
    except RuntimeError:
        if os.path.lexists(Path(base or ".") / path):  # a file so named: the shell's reading
            return Path(path)
        head = str(path).replace("\\", "/").split("/", 1)[0]
        raise ConfigError(
            f"{str(path)!r} starts with {head!r}, the home folder of the user "
            f"{head[1:]!r}, whom this machine does not know (a path from another machine's "
            "config?); write the path itself (a relative path is taken from the config "
            "file's folder)") from None


def shadowing_file(name: str, base: Path | str | None, folder: str, shipped: Path,
                   keys: Sequence[str] | None = None) -> str:
    """Why a shipped config's ``name`` is ambiguous: a file of that name beside the config
    (``NAME.yaml`` or ``FOLDER/NAME.yaml`` in its folder, ``base``) holds other values of
    ``keys`` (every key but the words ``description``, ``title`` and ``aliases`` when
    ``None``) than the shipped file; ``""`` when there is none or it is a copy.

    ``region: bonaire`` or ``sensor: sentinel2`` read the shipped file even where the
    user had copied and edited ``bonaire.yaml`` or ``sentinel2.yaml`` beside the job: the
    job ran on a grid or bands the user had not written, without a word.
    """
    if base is None or not shipped.is_file():
        return ""
    words = ("description", "title", "aliases", "kind")
    for sub in ("", folder):
        for ending in (".yaml", ".yml", ".YAML", ".YML"):
            path = Path(base) / sub / f"{name}{ending}"
            try:
                if not path.is_file() or path.resolve() == shipped.resolve():
                    continue
                data, own = load_yaml(path), load_yaml(shipped)
            except (ProspectError, OSError):
                continue  # not readable as a config: not the one meant by a name
            if not isinstance(data, dict) or not any(k in data for k in own if
                                                     k not in words and k != "name"):
                continue  # another kind of file (the job itself, named after its region)
            wanted = keys if keys is not None else sorted(
                {*data, *own} - {*words, "name"})
            differ = [k for k in wanted if data.get(k) != own.get(k)]
            if not differ:
                continue
            shown = "; ".join(_difference(k, data.get(k), own.get(k)) for k in differ[:3])
            return (f"{name!r} names the shipped file ({shipped}), but a file of that name "
                    f"lies beside the config ({path}) with other values ({shown}); a name "
                    f"reads the shipped file: write its path ('{path.relative_to(base)}') "
                    "for the file beside the config, or rename that file if the shipped "
                    "one is meant")
    return ""


def _difference(key: str, there: Any, shipped: Any) -> str:
    """The first place two values of ``key`` differ, down their mappings:
    ``"bands.N.variable 'B8A' there, 'B08' shipped"``."""
    if isinstance(there, dict) and isinstance(shipped, dict):
        for sub in [*shipped, *(k for k in there if k not in shipped)]:
            if there.get(sub) != shipped.get(sub):
                return _difference(f"{key}.{sub}", there.get(sub), shipped.get(sub))
    return f"{key} {_brief(there)} there, {_brief(shipped)} shipped"


def _brief(value: Any) -> str:
    """``value`` for a one-line error: its repr, cut at 40 characters."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def path_too_long(path: Path | str) -> str:
    """Why the file system cannot hold ``path``: a name in it longer than ``NAME_MAX``
    bytes, or the whole path longer than ``PATH_MAX`` (asked of the nearest folder that
    exists); ``""`` when it can.

    A look at such a path raises ENAMETOOLONG: a config's source path of 300 characters
    was "File name too long" with exit 74 (outputs cannot be written), and ``-o`` a
    traceback.
    """
    full = os.path.abspath(os.fspath(path))
    folder = full
    while not os.path.exists(folder) and os.path.dirname(folder) != folder:
        folder = os.path.dirname(folder)
    try:
        longest = int(os.pathconf(folder, "PC_NAME_MAX"))
        whole = int(os.pathconf(folder, "PC_PATH_MAX"))
    except (OSError, ValueError):
        longest, whole = 255, 4096
    for part in full.split(os.sep):
        size = len(os.fsencode(part))
        if size > longest:
            shown = part if len(part) <= 40 else part[:24] + "..." + part[-8:]
            return (f"the name {shown!r} is {size} bytes: this file system takes names of "
                    f"at most {longest}; give a shorter one")
    if len(os.fsencode(full)) >= whole:
        return (f"the path is {len(os.fsencode(full))} bytes, over the {whole} a path may "
                "have here; give a shorter one")
    return ""


def _resolve_path(value: Path, info: ValidationInfo) -> Path:
    """Relative paths in a config file are relative to that file's folder."""
    from prospect.config.vsi import GdalPath

    if isinstance(value, GdalPath):  # resolved as written, before pydantic made a Path
        return value
    base = (info.context or {}).get("base_dir")
    written = str(value)
    value = home_expanded(value, base)
    if base is not None and not value.is_absolute():
        value = Path(base) / value
    too_long = path_too_long(value)
    if too_long:
        raise ValueError(too_long)
    if not os.path.exists(value):
        hint = written_for_elsewhere(written) or other_unicode_form(value)
        if hint:
            raise ValueError(hint)
    return value


def other_unicode_form(path: Path) -> str:
    """Why ``path``, which does not exist, names a file that does in another Unicode form;
    ``""`` when it does not.

    ``café.tif`` can be written with ``é`` as one character (NFC, as Linux tools and most
    editors write it) or as ``e`` and a combining accent (NFD, as macOS's file system
    and what is copied from it write it). Linux file names are bytes, so a config written
    one way did not find a file named the other, and the two look alike in every
    message: "no such file: café.tif" beside ``ls`` showing ``café.tif``.
    """
    import unicodedata

    def nfc(text: str) -> str:
        return unicodedata.normalize("NFC", text)

    here = Path(path.anchor) if path.is_absolute() else Path()
    for part in path.parts[len(here.parts):]:
        if os.path.lexists(here / part):
            here = here / part
            continue
        try:
            names = os.listdir(here)
        except OSError:
            return ""
        found = [name for name in names if name != part and nfc(name) == nfc(part)]
        if not found:
            return ""
        def form(name: str) -> str:
            return ("NFC, each accented letter one character" if
                    unicodedata.is_normalized("NFC", name) else
                    "NFD, each accent a mark of its own after its letter, as macOS writes")

        return (f"no such file as written: the folder {here} holds {found[0]!r}, the same "
                f"name in another Unicode form (the config's is {form(part)}; the file's "
                f"is {form(found[0])}), and the two look alike; write the name as the file "
                "has it (copy it from 'ls'), or rename the file")
    return ""


_ENV_VAR = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?|%([A-Za-z_][A-Za-z0-9_]*)%")


_TEMPLATE_SLOT = re.compile(r"\{\{[^{}]*\}\}|\{%[^{}]*%\}|\{[A-Za-z_][A-Za-z0-9_.]*\}|"
                            r"<[A-Za-z_][A-Za-z0-9_ .-]*>")
"""A template's placeholder in a path: Jinja's (Ansible's, Helm's) ``{{ data }}`` and
``{% ... %}``, Python's and Snakemake's ``{data}``, and ``<data folder>`` as examples write
it."""


_YAML_ESCAPES = {0: "\\0", 7: "\\a", 8: "\\b", 9: "\\t", 10: "\\n", 11: "\\v",
                 12: "\\f", 13: "\\r", 27: "\\e"}
"""The control characters YAML's escapes make inside double quotes (``"\\a"`` is U+0007),
and the escape each was written as: a Windows path in double quotes (``"D:\\a\\b.tif"``)
is read with them where its folders were."""


def _controls_said(codes: list[int]) -> tuple[str, str]:
    """Control characters ``codes`` as named in a message (``U+0007, U+0008``) and the
    YAML escapes that make them (``'\\a' and '\\b'``; ``""`` unless each has one)."""
    named = ", ".join(f"U+{code:04X}" for code in codes)
    escapes = " and ".join(f"'{_YAML_ESCAPES[code]}'" for code in codes) \
        if all(code in _YAML_ESCAPES for code in codes) else ""
    return named, escapes


def written_for_elsewhere(written: str, *, placeholders: bool = True) -> str:
    """Why a path that does not exist was written for another shell or system; ``""`` if
    it was not.

    A config path is read as written (a relative one from the config file's folder; ``~``
    is the home folder): ``$DATA/x.tif`` and ``%DATA%`` are not expanded, ``\\`` is no
    separator here, ``C:\\`` no drive, ``\\\\server\\share`` no mounted share, ``file://`` no
    folder, and a space at either end is part of the name. Each was "file not found" at
    ingest, after ``prospect plan`` had counted the source's layers from the config without
    a word (a UNC path was told to be written with ``/``: ``//server/share`` is no share
    here either). A template's placeholder (``{{ data }}``, ``{data}``, ``<data folder>``)
    is one too, where ``placeholders`` (a path to read, not a folder to make).
    """
    escaped = sorted({ord(c) for c in written if ord(c) in _YAML_ESCAPES})
    if escaped:  # "D:\a\b.tif" in double quotes: YAML made '\a' and '\b' control characters
        as_written = written.translate(_YAML_ESCAPES)
        codes, escapes = _controls_said(escaped)
        why = written_for_elsewhere(as_written, placeholders=placeholders) or \
            "write it in single quotes, where '\\' is itself, or with '/' between folders"
        return (f"the path holds control characters ({codes}), which YAML makes of {escapes} "
                f"inside double quotes: it was written '{as_written}'; {why}")
    var = _ENV_VAR.search(written)
    if var:
        name = var.group(1) or var.group(2)
        import os

        now = f"${name} is {os.environ[name]!r} here" if name in os.environ else \
            f"${name} is not set here"
        return ("environment variables are not expanded in config paths "
                f"({now}); write the path itself (a relative path is taken from the config "
                "file's folder)")
    slot = _TEMPLATE_SLOT.search(written) if placeholders else None
    if slot:  # '{{ data }}/x.tif': a template given unrendered (not for a folder to make)
        return (f"{slot.group(0)!r} is a template's placeholder, left as written: a config "
                "is read as it is, never filled in; render the template first (jinja2, "
                "envsubst, cookiecutter...) and give the result, or write the path itself "
                "(a relative path is taken from the config file's folder)")
    if written.lower().startswith("file:"):  # a URL's scheme is any case: FILE:///data
        return ("a file:// URL is no path; give the path without 'file://' (a relative "
                "path is taken from the config file's folder)")
    unc = re.match(r"^\\\\([^\\/]+)[\\/]+([^\\/]+)", written)
    if unc:
        return (f"a Windows network share (UNC path, \\\\{unc.group(1)}\\{unc.group(2)}), "
                "which this machine reads only where the share is mounted; give the path "
                f"under the share's mount point here (e.g. /mnt/{unc.group(2)}/...)")
    if re.match(r"^[A-Za-z]:[\\/]", written):
        return ("a Windows drive path; give the file's path on this machine, "
                "with '/' between folders")
    if "\\" in written:
        return ("the path holds '\\' (a Windows separator, part of a file name here); "
                "write it with '/' between folders, e.g. "
                f"{written.replace(chr(92), '/')!r}")
    copied = copied_characters(written, letters=False)
    if copied:
        return f"no such file: {copied}"
    if written != written.strip():
        return ("the path starts or ends with a space, which is part of the file name; "
                "remove it (or quote the whole path exactly as the file is named)")
    return ""


_TYPESET = {
    **dict.fromkeys("\u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
                    "\u200a\u202f\u205f\u3000", " "),
    **dict.fromkeys("\u200b\u200c\u200d\u2060\ufeff\u00ad", ""),
    **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032", "'"),
    **dict.fromkeys("\u201c\u201d\u201e\u201f\u00ab\u00bb\u2033", '"'),
    **dict.fromkeys("\u2212\u2010\u2011\u2012\u2013\u2014\ufe63\uff0d", "-"),
    **{chr(c): chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)},  # fullwidth ASCII
}
"""Characters a word processor, a PDF or a web page puts where a config has plain ASCII
(no-break and other spaces, invisible marks, curly quotes, minus signs and dashes,
fullwidth digits and letters), and the character meant."""

_LOOKALIKE = dict(zip("\u0430\u0435\u043e\u0440\u0441\u0443\u0445\u0456\u0458\u0455\u0410\u0412"
                      "\u0415\u041a\u041c\u041d\u041e\u0420\u0421\u0422\u0425\u0405\u0406\u0408"
                      "\u03bf\u0391\u0392\u0395\u0396\u0397\u0399\u039a\u039c\u039d\u039f\u03a1"
                      "\u03a4\u03a5\u03a7",
                      "aeopcyxijsABEKMHOPCTXSIJoABEZHIKMNOPTYX", strict=True))
"""Cyrillic and Greek letters drawn like Latin ones (a key typed on another keyboard
layout, or copied from a document): ``nаme`` with a Cyrillic ``а`` looks like ``name``."""


def copied_characters(text: str, *, letters: bool = True) -> str:
    """Why ``text`` is not what it looks like: the characters of :data:`_TYPESET` (and,
    with ``letters``, of :data:`_LOOKALIKE`) it holds, each named with its Unicode name
    and position, and the text as meant; ``""`` when it holds none.

    A value copied from a report or a web page keeps its no-break spaces, curly quotes and
    minus signs: YAML stopped at a no-break space with "could not find expected ':'", a
    CRS in curly quotes was an "unknown CRS", ``\u221210`` was "unable to parse string as a
    number", fullwidth ``\uff11\uff10`` was called "quoted text", and a key with a Cyrillic
    letter was "unknown key 'n\u0430me' (did you mean 'name'?)" beside a key that looks
    the same.
    """
    table = {**_TYPESET, **(_LOOKALIKE if letters else {})}
    found: dict[str, int] = {}
    for i, char in enumerate(text):
        if char in table and char not in found:
            found[char] = i + 1
    if not found:
        return ""
    named = ", ".join(
        f"{unicodedata.name(c, 'an unnamed character')} (U+{ord(c):04X}) at character {i}"
        for c, i in list(found.items())[:3])
    meant = "".join(table.get(c, c) for c in text)
    if len(text) > 1 and text[0] in _TYPESET and text[-1] in _TYPESET and \
            meant[0] == meant[-1] and meant[0] in "'\"":  # a value in curly quotes
        meant = meant[1:-1]
    return (f"it holds {named}, which only looks like plain text (copied from a document "
            f"or typed on another keyboard layout?); retype it as {meant!r}")


def _not_in_typographic_quotes(value: Any) -> Any:
    """Refuse text wrapped in typographic quotes (``units: ‘1’``, ``variable:
    “heat”``, copied from a report or a word processor): YAML keeps them as part
    of the text, and the unit ``‘1’`` went into the cube's attributes as written,
    exit 0. Free text (a description, a title, a long name) is not checked."""
    if isinstance(value, str) and len(value) > 1 and value[0] in _TYPESET and \
            value[-1] in _TYPESET and _TYPESET[value[0]] in "'\"" and \
            _TYPESET[value[-1]] in "'\"":
        raise ValueError("is wrapped in typographic quotes, which YAML keeps as part of the "
                         f"text; {copied_characters(value, letters=False)}")
    return value


def _not_a_no_value_word(value: Any, info: ValidationInfo) -> Any:
    """Refuse another language's word for no value (``units: None``, ``variable: nil``)
    where a config names something: YAML reads it as text, and the layer went out with the
    unit "None" (a NetCDF variable "None" was looked up) without a word. YAML's no value
    (``null``, ``~``, nothing after the colon) is refused or takes the key's default."""
    if isinstance(value, str) and value in _NO_VALUE_WORDS:
        what = ("a value without units takes units: '1' (the default: leave the key out)"
                if info.field_name == "units" else "leave the key out for its default")
        raise ValueError(f"YAML reads {value} as text, not as no value (YAML's are null, ~ "
                         f"or nothing after the colon): {what}")
    return value


def _no_control_characters(value: Any) -> Any:
    """Refuse a control character in text a config names something with (``units:
    "mW\\a"``, a tab pasted inside quotes): YAML makes one of an escape inside double
    quotes, and the unit went into the cube's attributes with it, exit 0."""
    if not isinstance(value, str):
        return value
    codes = sorted({ord(c) for c in value if unicodedata.category(c) == "Cc"})
    if not codes:
        return value
    named, escapes = _controls_said(codes)
    made = f", which YAML makes of {escapes} inside double quotes" if escapes else ""
    plain = "".join(c for c in value if unicodedata.category(c) != "Cc")
    raise ValueError(f"holds control characters ({named}){made}; write the text without "
                     f"them (e.g. {plain!r}), in single quotes where it holds '\\'")


PlainText = Annotated[str, BeforeValidator(_not_in_typographic_quotes),
                      BeforeValidator(_not_a_no_value_word),
                      BeforeValidator(_no_control_characters)]
"""Text a config names something with (a unit, a file's variable): refused when wrapped
in typographic quotes (:func:`_not_in_typographic_quotes`), when it is another language's
word for no value (:func:`_not_a_no_value_word`) or when it holds a control character
(:func:`_no_control_characters`)."""


def _named_path(value: Any) -> Any:
    """Refuse an empty path: ``Path("")`` is ``.``, the config's own folder, which was then
    read as the raster, table, outline or key file (``path: ""``, ``cog: ""``)."""
    if isinstance(value, str) and not value.strip():
        raise ValueError("is empty; give a file path (relative paths are taken from the "
                         "config file's folder)")
    return value


def _file_only(value: Any) -> Any:
    """Refuse a GDAL virtual name (``/vsizip/...``, ``zip://``) where Python reads the file
    itself: a table, an outline, a metadata file or a tile input is not read through GDAL's
    archives, and was "not found" at the stage that read it."""
    from prospect.config.vsi import is_gdal_name

    value = _named_path(value)
    if isinstance(value, str) and is_gdal_name(value):
        raise ValueError(
            f"{value!r} is a GDAL virtual path, which only a raster source's 'path' and "
            "'bands' and a vector source's 'path' are read through; extract the file first "
            "(e.g. unzip the archive) and give its path")
    if isinstance(value, str) and re.match(r"[A-Za-z][A-Za-z0-9+.-]*://", value):
        # joined to the config's folder as a relative path, it was "not found" later
        raise ValueError(
            f"{value!r} is a URL, and this file is read by Prospect itself, not through "
            "GDAL's network readers (only a raster source's 'path' and 'bands' and a vector "
            "source's 'path' are); download it first and give its local path")
    return value


def _gdal_or_path(value: Any, info: ValidationInfo) -> Any:
    """A GDAL virtual name or URL as GDAL reads it (:func:`prospect.config.vsi.gdal_name`,
    kept in a :class:`~prospect.config.vsi.GdalPath`), before pydantic makes it a
    :class:`~pathlib.Path` and folds its ``//``; any other path as it is."""
    from prospect.config.vsi import GdalPath, gdal_name, is_gdal_name, is_url

    value = _named_path(value)
    if isinstance(value, str) and (is_gdal_name(value) or is_url(value)):
        return GdalPath(gdal_name(value, (info.context or {}).get("base_dir")))
    return value


ConfigPath = Annotated[Path, BeforeValidator(_file_only), AfterValidator(_resolve_path)]
"""A path in a config: resolved against the config file's folder when relative."""

def config_as_data(value: Path, what: str) -> str:
    """Why ``value``, given where ``what`` (a raster) is read, is a config file and no data;
    ``""`` when its name does not end in ``.yaml``/``.yml`` (any case).

    A job's region file, or the job's own YAML, listed as a raster source's ``path`` (a
    line copied from ``region:``, or the wrong file picked in a file dialog) was planned,
    then refused at ingest in GDAL's words: "'region.yaml' not recognized as being in a
    supported file format". No GDAL driver reads YAML, so such a name is a config wherever
    a data file goes; the file's own keys say which kind (:func:`kind_of_config`).

    Parameters
    ----------
    value : Path
        The path as resolved (a GDAL virtual name is left to GDAL).
    what : str
        What the key reads, for the message (``"a raster"``).

    Returns
    -------
    str
        What the file is and the fix, or ``""``.
    """
    from prospect.config.job import kind_of_config
    from prospect.config.vsi import GdalPath

    if isinstance(value, GdalPath) or value.suffix.lower() not in (".yaml", ".yml"):
        return ""
    kind = ""
    if os.path.isfile(value):
        with contextlib.suppress(ProspectError, OSError, ValueError):
            kind = kind_of_config(load_yaml(value))
    where = {"region": "a region config (a grid: crs, resolution, bounds), which a job names "
                       "under 'region:'",
             "job": "a job config (this job's own, or another's)"}.get(
                 kind, f"a {kind} config" if kind else "a YAML file: a config, not data")
    kinds = _DATA_FORMATS.get(what, "")
    return (f"{value.name} is {where}, not {what}: no reader takes YAML as data; give the "
            f"path of the {what.removeprefix('a ').removesuffix(' file')} file itself"
            + (f" ({kinds}, ...)" if kinds else ""))


_DATA_FORMATS = {"a raster": "GeoTIFF/COG, NetCDF, JP2",
                 "a vector file": "GeoPackage, Shapefile, GeoJSON, FileGDB"}
"""The formats :func:`config_as_data`'s fix names for what a key reads."""


def _no_config_as(what: str) -> Callable[[Path], Path]:
    """A validator refusing a config file named as ``what`` (:func:`config_as_data`)."""

    def refuse(value: Path) -> Path:
        why = config_as_data(value, what)
        if why:
            raise ValueError(why)
        return value

    return refuse


RasterPath = Annotated[Path, BeforeValidator(_gdal_or_path), AfterValidator(_resolve_path),
                       AfterValidator(_no_config_as("a raster"))]
"""A raster's path in a config: a :data:`ConfigPath`, or a GDAL virtual name (an archive's
member ``/vsizip/a.zip/a.tif``, relative to the config file's folder, or a URL) kept as
GDAL reads it (a :class:`~prospect.config.vsi.GdalPath`); a YAML file (a config) is
refused (:func:`config_as_data`)."""


VectorPath = Annotated[Path, BeforeValidator(_gdal_or_path), AfterValidator(_resolve_path),
                       AfterValidator(_no_config_as("a vector file"))]
"""A vector file's path in a config (a geology map, its faults): a :data:`ConfigPath`, a
``.zip`` (read at the vector file inside it), or a GDAL virtual name of a member of an
archive (``/vsizip/geology.zip/units.shp``, ``zip://geology.zip!units.shp``) kept as GDAL
reads it, as :data:`RasterPath` does; the vector reader opens all three
(:mod:`prospect.io.vector`). A YAML file (a config) is refused (:func:`config_as_data`)."""


def _resolve_location(value: str, info: ValidationInfo) -> str:
    """A URL or GDAL ``/vsi...`` name as GDAL reads it; a file path as :data:`ConfigPath`
    does."""
    from prospect.config.vsi import gdal_name, is_gdal_name

    if value.lower().startswith("file:"):
        raise ValueError(written_for_elsewhere(value))
    if is_gdal_name(value):
        return gdal_name(value, (info.context or {}).get("base_dir"))
    if "://" in value:
        return value
    return str(_resolve_path(Path(value), info))


ConfigLocation = Annotated[str, BeforeValidator(_named_path),
                           AfterValidator(_resolve_location)]
"""A file path or a URL in a config: a relative path is resolved against the config
file's folder, like :data:`ConfigPath` (it was the working directory's)."""


def check_plain_name(value: str) -> str:
    """``value`` if it is a name and not a path, else ``ValueError`` saying why.

    A name becomes a file or folder inside the job's output directory (a cube, a cube
    variable, a tile layer), so it must not be empty, ``.`` or ``..``, and must hold no
    path separator, drive colon or control character: nothing a config names can be
    written or deleted outside ``-o``.
    """
    if not isinstance(value, str) or not value.strip():
        raise ValueError("must be a non-empty name")
    if value in (".", ".."):
        raise ValueError(f"{value!r} is a path, not a name")
    bad = sorted({c for c in value if c in "/\\:" or ord(c) < 32 or ord(c) == 127})
    if bad:
        shown = ", ".join(repr(c) for c in bad)
        raise ValueError(
            f"must be a plain name, not a path (it holds {shown}); outputs always go "
            "inside the output directory (-o)"
        )
    if value != value.strip():
        raise ValueError("must not start or end with spaces")
    return value


RESERVED_NAMES = ("x", "y", "time", "spatial_ref")
"""Names a cube holds for its grid (:data:`prospect.io.cube.GRID_ARRAYS`) and its dates: a
source or index of that name would be a variable clashing with a coordinate (a source
named ``x`` stopped ``prospect plan`` with ``internal error: TypeError``)."""


def check_not_reserved(names: Iterable[str], where: str) -> None:
    """Refuse ``names`` that are a cube's coordinate names (:data:`RESERVED_NAMES`)."""
    clash = sorted({n for n in names if n in RESERVED_NAMES})
    if clash:
        raise ValueError(
            f"{where} {clash} would be cube variables named like the cube's coordinates "
            f"({', '.join(RESERVED_NAMES)}); choose another name")


PlainName = Annotated[str, AfterValidator(check_plain_name)]
"""A config value that names an output (file, folder, cube variable) inside ``-o``."""


MAX_CONFIG_BYTES = 4 * 1024 * 1024
"""Largest config file read (a job config is a few kilobytes)."""
MAX_DEPTH = 32
"""Deepest nesting of mappings and lists in a config."""


MAX_NODES = 20_000
"""Most values a config may hold once its aliases (``*name``) are expanded."""

EXTENSION_PREFIX = "x-"
"""Top-level keys starting with this are left out of a config (docker-compose's extension
fields): the home of values written once with an anchor (``x-defaults: &defaults``) and
reused with ``*defaults`` or ``<<: *defaults``. Anywhere else such a key is unknown."""


_MERGE_TAG = "tag:yaml.org,2002:merge"


def _key_identity(node: yaml.Node) -> tuple[str, Any]:
    """What makes two key nodes one key: a scalar's tag and text, a collection itself."""
    return (node.tag, node.value) if isinstance(node, yaml.ScalarNode) else ("", id(node))

_OCTAL = re.compile(r"^[-+]?0[0-7_]+$")

_CORE_SCHEMA: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (f"tag:yaml.org,2002:{tag}", re.compile(pattern)) for tag, pattern in (
        ("null", r"^(?:~|null|Null|NULL|)$"),
        ("bool", r"^(?:true|True|TRUE|false|False|FALSE)$"),
        ("int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"),
        ("float", r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
                  r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"),
        ("merge", r"^<<$"),  # no part of YAML 1.2's schemas, but read by its parsers too
    ))
"""How YAML 1.2's core schema reads a plain scalar (YAML 1.2.2, section 10.3.2); anything
else is text. A config that declares ``%YAML 1.2`` is read by it: ``yes``, ``on`` and
``2024-01-01`` are text, ``017`` is 17, ``0o17`` is 15, ``1e3`` is a number."""


def _yaml_12(loader: yaml.SafeLoader) -> bool:
    """Whether the document ``loader`` reads declared ``%YAML 1.2`` (or a later 1.x)."""
    version = getattr(loader, "yaml_version", None)
    return version is not None and tuple(version) >= (1, 2)


def _int_12(text: str, line: int) -> int:
    """A YAML 1.2 core-schema int: decimal (leading zeros and all), ``0o`` octal, ``0x``."""
    try:
        if text.startswith(("0o", "0x")):
            return int(text[2:], 8 if text[1] == "o" else 16)
        return int(text, 10)
    except ValueError:  # past Python's digit limit for int(text): no config's number
        raise _Refused(
            f"value at line {line} is a whole number of {len(text)} digits, past any "
            "number a config takes; write the number meant (in decimal)") from None


def _int_scalar(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    """A YAML int, refusing the YAML 1.1 forms that read a number other than written.

    PyYAML reads ``seed: 017`` as octal (15) and ``1:30`` as base 60 (90), without a word;
    both are refused with the value YAML would have read. ``0x1F`` and ``0b101`` say what
    they are and are kept.
    """
    text = str(node.value)
    line = node.start_mark.line + 1
    if _yaml_12(loader):
        return _int_12(text, line)
    if ":" in text:
        raise _Refused(
            f"value {text!r} at line {line} is read by YAML 1.1 as a base-60 number "
            f"({loader.construct_yaml_int(node)}), not as written; quote it if it is text, "
            "or write the number in decimal")
    if _OCTAL.match(text):
        octal = loader.construct_yaml_int(node)
        digits = text.replace("_", "").lstrip("+-")
        decimal = int(digits) * (-1 if text.startswith("-") else 1)
        if octal != decimal:
            raise _Refused(
                f"value {text!r} at line {line} is read by YAML 1.1 as octal ({octal}), not "
                f"{decimal}: write {decimal} without the leading 0, or quote it if it is text")
    try:
        return int(loader.construct_yaml_int(node))
    except ValueError:  # past Python's digit limit for int(text): no config's number
        raise _Refused(
            f"value at line {line} is a whole number of {len(text)} digits, past any "
            "number a config takes; write the number meant (in decimal)") from None


def underflows_to_zero(text: str, number: float) -> bool:
    """Whether ``text``, a number as written, is no zero but reads as ``number`` 0.0: a
    digit other than 0 before its exponent (``1e-400``, ``2.5E-330``), too small for a
    float64."""
    return number == 0.0 and re.search("[1-9]", re.split("[eE]", text)[0]) is not None


def _float_scalar(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> float:
    """A YAML float, refusing YAML 1.1's base-60 form (``1:30.5`` is 90.5)."""
    text = str(node.value)
    if ":" in text and not _yaml_12(loader):
        raise _Refused(
            f"value {text!r} at line {node.start_mark.line + 1} is read by YAML 1.1 as a "
            f"base-60 number ({loader.construct_yaml_float(node)}), not as written; quote it "
            "if it is text, or write the number in decimal")
    number = float(loader.construct_yaml_float(node))
    if underflows_to_zero(text, number):
        # '1.0e-400' is 0.0 to Python: a tolerance or a nodata value taken as zero
        raise _Refused(
            f"value {text!r} at line {node.start_mark.line + 1} is below the smallest "
            "number a config holds (about 5e-324) and reads as 0, not as written; write 0.0 "
            "where zero is meant, or a value of at least 1e-300")
    return number


def _timestamp_scalar(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    """A YAML date or timestamp, refusing one the calendar has not (``1990-04-31``) with the
    line, instead of Python's bare "day is out of range for month"."""
    try:
        return loader.construct_yaml_timestamp(node)
    except (ValueError, OverflowError) as exc:
        raise _Refused(
            f"value {node.value!r} at line {node.start_mark.line + 1} is no date ({exc}); "
            "write a real date as YYYY-MM-DD, or quote it if it is text") from None


class _ConfigLoader(yaml.SafeLoader):
    """PyYAML's safe loader with caps on nesting and alias expansion, refusing duplicate keys.

    Aliases are allowed (``yaml.safe_dump`` writes them for repeated values), but the
    document they expand to is capped at :data:`MAX_NODES` values and :data:`MAX_DEPTH`
    levels, so a few lines of aliases cannot expand into gigabytes ("billion laughs").
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._nodes = 0

    def fetch_flow_collection_start(self, token_class: Any) -> None:
        # the scanner's cost grows with the square of the flow depth: stop it early
        super().fetch_flow_collection_start(token_class)
        if self.flow_level > MAX_DEPTH:
            raise _Refused(f"nested more than {MAX_DEPTH} levels deep at line {self.line + 1}")

    def compose_node(self, parent: Any, index: Any) -> Any:
        self._nodes += 1
        if self._nodes > MAX_NODES:
            line = self.peek_event().start_mark.line + 1
            raise _Refused(f"holds more than {MAX_NODES} values (at line {line}); "
                           "write a smaller config")
        if self.check_event(yaml.MappingStartEvent, yaml.SequenceStartEvent):
            self._depth += 1
            if self._depth > MAX_DEPTH:
                line = self.peek_event().start_mark.line + 1
                raise _Refused(f"nested more than {MAX_DEPTH} levels deep at line {line}")
            try:
                return super().compose_node(parent, index)
            finally:
                self._depth -= 1
        return super().compose_node(parent, index)

    def compose_document(self) -> Any:
        # the composer forgets its anchors at the document's end: keep which node has one
        start = self.get_event()
        self.yaml_version = getattr(start, "version", None)  # a '%YAML 1.2' directive's
        node = self.compose_node(None, None)
        self.get_event()
        self.anchored = {id(n): name for name, n in self.anchors.items()}
        self.anchors = {}
        return node

    def get_single_data(self) -> Any:
        node = self.get_single_node()
        if node is None:
            return None
        _expanded_size(node, {}, getattr(self, "anchored", {}))
        _refuse_anchor_on_nothing(node, getattr(self, "anchored", {}))
        self.cut_values = _cut_by_comment(node, self.buffer)
        data = self.construct_document(node)  # merge keys (<<) are flattened into the nodes
        if isinstance(data, dict):
            data = ConfigData(data)
            _record_places(node, (), data.places, getattr(self, "anchored", {}))
            for key in [k for k in data if isinstance(k, str) and k.startswith(EXTENSION_PREFIX)]:
                del data[key]  # a home for anchors (&defaults), as docker-compose's x- keys
        return data

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        """The tag of a node; a plain scalar of a document that declares ``%YAML 1.2`` by
        YAML 1.2's core schema (:data:`_CORE_SCHEMA`).

        PyYAML reads every document as YAML 1.1, its directive or not: in a file declaring
        1.2, ``enabled: on`` was true, ``date: 2024-01-01`` a date and ``seed: 017`` was
        refused as YAML 1.1's octal, where the file's own version reads text, text and 17.
        """
        if kind is yaml.ScalarNode and implicit[0] and _yaml_12(self):
            return next((tag for tag, pattern in _CORE_SCHEMA if pattern.match(value)),
                        "tag:yaml.org,2002:str")
        return super().resolve(kind, value, implicit)

    def flatten_mapping(self, node: Any) -> None:
        """Merge the mappings of ``node``'s merge key (``<<``) into it as YAML's merge type
        says: a key written beside ``<<`` wins, and of a list of mappings
        (``<<: [*site, *defaults]``) the earlier wins.

        PyYAML 6.0.4 told keys apart by their string object (``id(key.value)``), so two
        keys of more than one letter were never one key: of ``<<: [*site, *defaults]`` the
        later list item won (``resolution`` 10 of the defaults, not 20 of the site,
        without a word; yaml/pyyaml#953), a one-letter key the earlier.
        """
        merged: list[tuple[Any, Any]] = []
        written: list[tuple[Any, Any]] = []
        for key_node, value_node in node.value:
            if key_node.tag != _MERGE_TAG:
                if key_node.tag == "tag:yaml.org,2002:value":  # '=', as the base class
                    key_node.tag = "tag:yaml.org,2002:str"
                written.append((key_node, value_node))
                continue
            if isinstance(value_node, yaml.MappingNode):
                sources = [value_node]
            elif isinstance(value_node, yaml.SequenceNode) and all(
                    isinstance(item, yaml.MappingNode) for item in value_node.value):
                sources = list(value_node.value)
            else:  # the base class names what it found instead of a mapping
                super().flatten_mapping(node)
                return
            for source in sources:
                self.flatten_mapping(source)
                merged.extend(source.value)
        if not merged:
            return
        # the first of each merged key counts; a key written beside '<<' comes after them
        # and wins, where the merged one was (PyYAML's order: a cube's variables follow it)
        taken: set[tuple[str, Any]] = set()
        kept = []
        for key_node, value_node in merged:
            identity = _key_identity(key_node)
            if identity not in taken:
                taken.add(identity)
                kept.append((key_node, value_node))
        node.value = kept + written

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            # a merge key (<<: *defaults) has no constructor of its own: the base class
            # merges it (keys written beside it win, as YAML says); two of them clash
            key = "<<" if key_node.tag == _MERGE_TAG else \
                self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            try:
                first = seen.get(key)
                seen[key] = line
            except TypeError:  # an unhashable key: the base class reports it
                continue
            if first is not None:
                where = f"lines {first} and {line}" if first != line else f"line {line}, twice"
                raise _Refused(f"duplicate key {key!r} at {where}; keep one of them")
            if isinstance(key, bool):  # 'on:', 'yes:', 'no:' unquoted
                raise _Refused(
                    f"key {key_node.value!r} at line {line} is read by YAML as "
                    f"{str(key).lower()}, not as a name; quote it ('{key_node.value}': ...)")
            # '~:', '2024-01-01:', '1.5:' ("Keys should be strings"); a whole number is a
            # key where the config maps numbers (model.params.class_weight: {0: 1, 1: 5}),
            # and the model names it at its line where a name is wanted
            if not isinstance(key, str) and (isinstance(key, bool) or not isinstance(key, int)):
                what = "no value (null)" if key is None else \
                    "a date" if isinstance(key, datetime.date) else \
                    f"a {type(key).__name__}" if not isinstance(key, int | float) else "a number"
                raise _Refused(
                    f"key {key_node.value!r} at line {line} is read by YAML as {what}, not "
                    f"as a name; every key is a name: quote it ('{key_node.value}': ...) or "
                    "check the indentation")
        return super().construct_mapping(node, deep=deep)


def _cut_by_comment(root: yaml.Node, text: str) -> list[tuple[int, str, str]]:
    """``(line, value, line's text from the value on)`` of every unquoted value that a
    comment follows on its line: ``path: Well #12.tif`` is read as ``Well``, since YAML
    starts a comment at a ``#`` after a space."""
    lines = text.splitlines()
    found: list[tuple[int, str, str]] = []
    stack, seen = [root], set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            stack.extend(v for pair in node.value for v in pair)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, yaml.ScalarNode) and node.style is None and \
                node.start_mark.line == node.end_mark.line and \
                node.start_mark.line < len(lines):
            line = lines[node.start_mark.line]
            if re.match(r"^[ \t]+#", line[node.end_mark.column:]):
                found.append((node.start_mark.line + 1, str(node.value),
                              line[node.start_mark.column:].rstrip()))
    return found


def _refuse_anchor_on_nothing(root: yaml.Node, anchored: dict[int, str]) -> None:
    """Refuse an anchor on an empty value that no alias uses (``threshold: &1000``).

    YAML reads ``&`` at the start of a value as an anchor, a name for reuse, and ``&1000``
    with nothing after it marks an empty value: the key had no value, and the error (if
    any) spoke of the missing value ("needs a grade threshold") with no word of the ``&``;
    a key with a default took the default without a word. An anchor that some alias
    (``*name``) uses is the file's own choice, and the top-level ``x-`` keys (the home of
    anchors) are left as written.
    """
    if not anchored:
        return
    uses: dict[int, int] = {}
    stack: list[tuple[yaml.Node, tuple[Any, ...]]] = [(root, ())]
    empty: list[tuple[yaml.Node, tuple[Any, ...]]] = []
    while stack:
        node, path = stack.pop()
        uses[id(node)] = uses.get(id(node), 0) + 1
        if uses[id(node)] > 1:
            continue
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                key = getattr(key_node, "value", "?")
                if not path and isinstance(key, str) and key.startswith(EXTENSION_PREFIX):
                    continue
                stack.append((value_node, (*path, key)))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((item, (*path, index)) for index, item in enumerate(node.value))
        elif isinstance(node, yaml.ScalarNode) and node.style is None and node.value == "" \
                and id(node) in anchored:
            empty.append((node, path))
    for node, path in sorted(empty, key=lambda found: found[0].start_mark.index):
        if uses[id(node)] > 1:
            continue
        name = anchored[id(node)]
        key = ".".join(str(part) for part in path) or "the value"
        last = str(path[-1]) if path and not isinstance(path[-1], int) else None
        if re.fullmatch(r"-?\d[\d_]*", name):  # an anchor's name is letters, digits, - and _
            fix = (f"'&' is no part of a number: write {last}: {name}" if last else
                   f"'&' is no part of a number: write {name}")
        else:
            fix = (f"quote it if '&{name}' is the text meant ({last}: '&{name}'), or write "
                   f"the value after the anchor ({last}: &{name} <value>)" if last else
                   f"quote it if '&{name}' is the text meant ('&{name}')")
        raise _Refused(
            f"line {node.start_mark.line + 1}: key '{key}' has no value: YAML reads "
            f"'&{name}' at the start of a value as an anchor (a name for reuse by "
            f"*{name}) on an empty value, and no alias uses it; {fix}")


def _refuse_cut_paths(path: Path, cuts: list[tuple[int, str, str]]) -> None:
    """Refuse a value cut by a comment where the whole text names a file beside the config
    and the cut one names none (``Well #12.tif``): read as ``Well``, it was "not found" at
    ingest with no word of the ``#``."""
    for line, value, whole in cuts:
        try:
            full = (path.parent / home_expanded(whole))
            cut = (path.parent / home_expanded(value))
            if full.exists() and not cut.exists():
                raise _Refused(
                    f"line {line}: YAML reads {value!r} here, since ' #' starts a comment, but "
                    f"the file {whole!r} exists: quote the value ('{whole}')")
        except (OSError, ValueError):
            continue


class _Refused(Exception):
    """A config the loader refuses (the message says where and why)."""


class KeyRefused(ValueError):
    """A model validator's refusal of one key of the mapping it validates (a key of another
    unit, a variogram's parameter): :func:`format_validation_error` names the line of
    ``key`` in the file, not the mapping's (round 51: ``cutoff_mg_per_l`` and ``nugget``
    were placed at the line of ``economics:`` or of the source's first key).

    Parameters
    ----------
    key
        The key refused, as written in the mapping.
    message
        The refusal.
    """

    def __init__(self, key: Any, message: str) -> None:
        super().__init__(message)
        self.key = key


class Place(NamedTuple):
    """Where a value stands in its YAML file, and how it was written there."""

    line: int
    """1-based line of the key (a list item's own line)."""
    written: str | None
    """The scalar's text as written (``.nan``, ``2024-01-01``, ``""`` for an empty value);
    ``None`` for a mapping or a list."""
    anchor: str | None = None
    """The YAML anchor (``&defaults``) the value is marked with, if any."""
    quoted: bool = False
    """Whether the scalar was written in quotes (``'+.5'``): text by the quotes, not by
    YAML's reading of the characters (``+.5`` unquoted is text to YAML 1.1 too)."""


class ConfigData(dict[Any, Any]):
    """A config mapping read by :func:`load_yaml`, with :attr:`places`: the line and
    written text of each value, by key path (``("region", "bounds", 0)``), so an error can
    name the line and show the value as the user wrote it, not as Python holds it."""

    places: dict[tuple[Any, ...], Place]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.places = {}


def _record_places(node: yaml.Node, path: tuple[Any, ...],
                   places: dict[tuple[Any, ...], Place],
                   anchored: dict[int, str] | None = None) -> None:
    """Fill ``places`` with the line, text and anchor of every value under ``node`` (at
    ``path``); a key written twice through a merge takes the place of the one that counts
    (the last: keys beside ``<<`` win)."""
    anchored = anchored or {}
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == _MERGE_TAG:
                continue
            key: Any = key_node.value
            if key_node.tag == "tag:yaml.org,2002:int":  # held as a number (class_weight)
                with contextlib.suppress(ValueError):
                    key = int(key.replace("_", ""), 0)
            here = (*path, key)
            places[here] = Place(key_node.start_mark.line + 1, _written(value_node),
                                 anchored.get(id(value_node)), _quoted(value_node))
            _record_places(value_node, here, places, anchored)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            here = (*path, index)
            places[here] = Place(item.start_mark.line + 1, _written(item),
                                 anchored.get(id(item)), _quoted(item))
            _record_places(item, here, places, anchored)


def _written(node: yaml.Node) -> str | None:
    return str(node.value) if isinstance(node, yaml.ScalarNode) else None


def _quoted(node: yaml.Node) -> bool:
    """Whether ``node`` is a scalar written in single or double quotes."""
    return isinstance(node, yaml.ScalarNode) and node.style in ("'", '"')


_UNORDERED_TAGS = {
    "tag:yaml.org,2002:set": ("makes an unordered set: its order changes from run to run (a "
                              "list of names, bounds or bands read in another order)"),
    "tag:yaml.org,2002:omap": "makes a list of (key, value) pairs, which no key of a config takes",
    "tag:yaml.org,2002:pairs": "makes a list of (key, value) pairs, which no key of a config takes",
    "tag:yaml.org,2002:binary": "makes raw bytes, which no key of a config takes",
}
"""YAML 1.1 tags whose values no config key takes, and why each is refused where it is
written (pydantic read a ``!!set`` as a list or a tuple in whatever order the set held)."""


def _tagged_collection(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    """Refuse a ``!!set``, ``!!omap``, ``!!pairs`` or ``!!binary`` value with its line and
    the form to write instead."""
    short = node.tag.rsplit(":", 1)[-1]
    instead = "a list [a, b] (in the order meant)" if short in ("set", "omap", "pairs") else \
        "the value as plain text"
    raise _Refused(
        f"line {node.start_mark.line + 1}: YAML's !!{short} tag {_UNORDERED_TAGS[node.tag]}; "
        f"remove the tag and write {instead}")


def _unknown_tag(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    """Refuse a tag YAML itself does not define (``!include``, ``!Ref``, ``!env``), naming
    what a config offers instead; PyYAML's "could not determine a constructor" did not."""
    tag = str(node.tag)
    shown = tag if tag.startswith("!") else f"!<{tag}>"
    if tag.startswith("tag:yaml.org,2002:python/"):
        shown = "!!" + tag.removeprefix("tag:yaml.org,2002:")
        raise _Refused(
            f"line {node.start_mark.line + 1}: the tag {shown} asks to build a Python "
            "object, which a config never does (it is read with YAML's safe loader); "
            "remove the tag and write the value")
    raise _Refused(
        f"line {node.start_mark.line + 1}: the tag {shown} is no part of YAML and Prospect "
        "reads none of its own: a config cannot include another file or read the "
        "environment; write the value itself (a shipped region by name, a region file "
        "as region: regions/area.yaml, values repeated with an anchor under a top-level "
        "'x-' key, see configs/README.md)")


for _tag in _UNORDERED_TAGS:
    _ConfigLoader.add_constructor(_tag, _tagged_collection)
_ConfigLoader.add_constructor(None, _unknown_tag)
_ConfigLoader.add_constructor("tag:yaml.org,2002:int", _int_scalar)
_ConfigLoader.add_constructor("tag:yaml.org,2002:float", _float_scalar)
_ConfigLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_scalar)


_OPEN = (-1, -1)
""":func:`_expanded_size`'s mark of a value whose children are being counted."""


def _expanded_size(node: yaml.Node, memo: dict[int, tuple[int, int]],
                   anchored: dict[int, str] | None = None) -> tuple[int, int]:
    """(values, depth) of ``node`` with every alias expanded; refuses either over its cap,
    and a value that holds itself (``a: &a [*a]``: "nested too deeply", no line)."""
    known = memo.get(id(node))
    if known == _OPEN:
        name = (anchored or {}).get(id(node))
        alias = f" (the alias *{name} inside its own anchor &{name})" if name else ""
        raise _Refused(
            f"the value at line {node.start_mark.line + 1} holds itself{alias}, a value "
            "without end; an alias can repeat a value written before it, not the value "
            "it stands in")
    if known is not None:
        return known
    size, depth = 1, 0
    if isinstance(node, yaml.MappingNode | yaml.SequenceNode):
        memo[id(node)] = _OPEN
        items = node.value if isinstance(node, yaml.SequenceNode) else \
            [n for pair in node.value for n in pair]
        for child in items:
            child_size, child_depth = _expanded_size(child, memo, anchored)
            size += child_size
            depth = max(depth, child_depth + 1)
            if size > MAX_NODES:
                raise _Refused(
                    f"the value at line {node.start_mark.line + 1} holds more than "
                    f"{MAX_NODES} values (aliases expanded); write a smaller config")
            if depth > MAX_DEPTH:
                raise _Refused(
                    f"the value at line {node.start_mark.line + 1} nests (through aliases) "
                    f"more than {MAX_DEPTH} levels deep")
    memo[id(node)] = (size, depth)
    return size, depth


def _without_mark(head: bytes) -> str:
    """``head`` as UTF-16 or UTF-32 text saved without a byte-order mark (ASCII letters
    with one or three NUL bytes each, the NULs at one end of every 2 or 4 bytes): what it
    is and how to convert it; ``""`` when it is not."""
    for width in (4, 2):
        units = [head[i:i + width] for i in range(0, len(head) - width + 1, width)]
        if len(units) < 4:
            continue
        for order, pad in (("LE", slice(1, None)), ("BE", slice(None, -1))):
            if sum(1 for u in units if not any(u[pad])) * 10 >= len(units) * 9:
                return (f"saved as UTF-{width * 8} without its byte-order mark (NUL bytes "
                        f"between the letters); save it as UTF-8 (e.g. iconv -f "
                        f"UTF-{width * 8}{order} -t UTF-8 old.yaml > new.yaml)")
    return ""


def _not_utf8(exc: UnicodeDecodeError) -> str:
    """Where a config stops being UTF-8, and how to convert it.

    "not a UTF-8 text file" named neither the line nor the encoding it was saved in (a
    Windows editor's UTF-16, or Latin-1 for an accented name in a description).
    """
    raw = bytes(exc.object)
    if raw.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        return ("saved as UTF-32; save it as UTF-8 (e.g. iconv -f UTF-32 -t UTF-8 old.yaml > "
                "new.yaml)")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return ("saved as UTF-16 (a Windows editor's 'Unicode'); save it as UTF-8 (e.g. "
                "iconv -f UTF-16 -t UTF-8 old.yaml > new.yaml)")
    head = raw[:4096]
    wide = _without_mark(head)
    if wide:
        return wide
    if b"\x00" in head or sum(b < 9 or 13 < b < 32 for b in head) > len(head) // 20:
        return ("a binary file, not a text config (a raster or archive given in its place?); "
                "give the YAML job config")
    line = raw[:exc.start].count(b"\n") + 1
    byte = raw[exc.start]
    if 0x80 <= byte <= 0x9F:  # no letter in Latin-1: Windows-1252's quotes, dashes, euro
        return (f"not UTF-8 text: byte 0x{byte:02x} at line {line} (Windows-1252: curly "
                "quotes, dashes or the euro sign from a Windows editor?); save it as UTF-8 "
                "(e.g. iconv -f CP1252 -t UTF-8 old.yaml > new.yaml)")
    return (f"not UTF-8 text: byte 0x{byte:02x} at line {line} (Latin-1 or a "
            "Windows code page?); save it as UTF-8 (e.g. iconv -f LATIN1 -t UTF-8 old.yaml "
            "> new.yaml)")


_YAML_PROBLEM_HINTS = (
    ("but found another document",
     ": a config is one YAML document; remove the second '---' (a file pasted below "
     "another?) or give each config a file of its own"),
    ("found incompatible YAML document",
     ": a config is YAML 1.1, or 1.2 with '%YAML 1.2'; write that or leave the directive out"),
    ("found unhashable key",
     ": a key is a name, not a list or mapping ('? [a, b]' or '[a, b]: ...'); write the "
     "name"),
)
"""PyYAML's problems that say what, not how to fix it: the fix, by the problem's start."""


def _undefined_alias_hint(text: str, problem: str, mark: Any = None) -> str:
    """The fix of an alias (``*base``) whose anchor (``&base``) YAML had not met: written
    later in the file, spelt otherwise, or in another file (a region file's, a shared
    config's: anchors do not reach across files); an alias named by a number
    (``threshold: *1000``) is a sign glued to the number meant.

    "found undefined alias 'base'" said neither where the anchor was nor that it must
    come first, in the same file; ``*1000`` was told to define an anchor ``&1000``.
    """
    found = re.search(r"alias '([^']*)'", problem)
    if found is None:
        return ""
    name = found.group(1)
    if _NUMBER_TEXT.match(name):
        return _anchor_start_hint(text, mark, name_rule=False)
    for number, line in enumerate(text.splitlines(), start=1):
        if re.search(rf"&{re.escape(name)}(?![\w-])", line):
            return (f"; its anchor &{name} comes later, at line {number}: an anchor must "
                    "come before its aliases (move it up, e.g. under a top-level 'x-' key "
                    "at the file's start)")
    anchors = sorted(set(re.findall(r"&([\w-]+)", text)))
    near = difflib.get_close_matches(name, anchors, n=1)
    if near:
        return f"; no anchor &{name} in this file: did you mean &{near[0]} (*{near[0]})?"
    return (f"; no anchor &{name} in this file, and anchors do not reach across files (a "
            "region file's or another config's are not seen here): define the values in "
            f"this file with &{name} before its use, e.g. under a top-level 'x-' key (see "
            "configs/README.md)")


def _unreadable_character(text: str, exc: yaml.reader.ReaderError) -> str:
    """Where a character YAML does not allow in a text file stands (a NUL byte, a control
    character), what it is and how to remove it; a file whose every other byte is NUL is
    UTF-16 saved without its byte-order mark.

    "not valid YAML: unacceptable character #x0000: special characters are not allowed"
    named no line, and the character is invisible in most editors.
    """
    position = max(0, min(int(exc.position), len(text)))
    line = text.count("\n", 0, position) + 1
    column = position - (text.rfind("\n", 0, position) + 1) + 1
    code = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or
                                                                      "\0")
    wide = _without_mark(text[:4096].encode("utf-8", "surrogateescape")) if code == 0 else ""
    if wide:
        return wide
    name = "a NUL byte" if code == 0 else "a control character"
    count = sum(1 for ch in text if ord(ch) == code)
    more = f" ({count} in the file)" if count > 1 else ""
    octal = f"\\{code:03o}" if code < 0o400 else f"\\u{code:04x}"
    return (f"not valid YAML at line {line}, column {column}: {name} (U+{code:04X}){more}, "
            "which YAML does not allow in a text file and most editors do not show (a file "
            f"cut or joined by a tool?); delete it, e.g. tr -d '{octal}' < old.yaml > "
            "new.yaml, and check the line")


def _yaml_error_hint(text: str, mark: Any) -> str:
    """What on the line YAML stopped at (or the line before it) the user cannot see: a
    tab where YAML wants spaces, or a character copied from a document
    (:func:`copied_characters`); ``""`` when neither is there."""
    if mark is None:
        return ""
    lines = text.splitlines()
    for number in (mark.line, mark.line - 1):
        if not 0 <= number < len(lines):
            continue
        line = lines[number]
        copied = copied_characters(line, letters=False)
        if copied:
            return f"; line {number + 1}: {copied.split('; retype it as')[0]}; retype it"
        if "\t" in line[:len(line) - len(line.lstrip())] or \
                ("\t" in line and number == mark.line):
            return (f"; line {number + 1} holds a tab: YAML indents and separates with "
                    "spaces only; replace the tab with spaces")
        slot = re.search(r"\{\{[^{}]*\}\}|\{%[^{}]*%\}", line)
        if slot and number in (mark.line, mark.line - 1):  # a Jinja template's, unrendered
            return (f"; line {number + 1} holds {slot.group(0)}, a template's placeholder "
                    "whose braces YAML reads as a mapping: a config is read as it is, never "
                    "filled in; render the template first (jinja2, ansible, helm...) and "
                    "give the result")
        var = re.search(r"\$\{[^}]*\}", line)
        if var and number == mark.line:  # '{a: ${DATA}/x.tif}': a '{' inside a flow mapping
            return (f"; line {number + 1} holds {var.group(0)}, whose braces YAML reads as a "
                    "mapping, and environment variables are not expanded in a config "
                    "anyway: write the path itself (a relative path is taken from the "
                    "config file's folder)")
    return ""


_KEY_AND_VALUE = re.compile(
    r"^(\s*(?:-\s+)?)(?!-\s)([^\s:#'\"{}\[\],&*!|>][^:#{}\[\]]*?):[ \t]+(\S.*?)\s*$")
"""A block mapping's line, ``key: value`` (in a list item too): indent, key, value."""


def _reserved_start_hint(text: str, mark: Any) -> str:
    """How to write a value YAML cannot start: one opening with '`' (Markdown's code
    quotes, copied from a README), '@' (a handle, ``@latest``) or '%' (a Windows variable,
    ``%DATA%/x.tif``), characters YAML reserves.

    PyYAML's "found character '`' that cannot start any token" named the character alone:
    neither that the value must be quoted nor, for a Windows variable, that a config does
    not expand it.
    """
    if mark is None:
        return ""
    lines = text.splitlines()
    if not 0 <= mark.line < len(lines):
        return ""
    line = lines[mark.line]
    value = line[mark.column:].split(" #")[0].strip()
    if not value or value[0] not in "`@%":
        return ""
    head = line[:mark.column].rstrip()
    key = head[:-1].strip().removeprefix("- ").strip() if head.endswith(":") else ""
    where = f"{key}: " if key else ""
    variable = re.match(r"%(\w+)%", value)
    if variable:
        return (f"; line {mark.line + 1}: %{variable.group(1)}% is a Windows environment "
                "variable, which a config does not expand: write the path itself (a "
                "relative path is taken from the config file's folder)")
    quoted = "'" + value.replace("'", "''") + "'"
    if value.startswith("`"):
        bare = value.strip("`")
        return (f"; line {mark.line + 1}: YAML does not take Markdown's backticks as quotes: "
                f"write {where}{bare} without them (or {where}{quoted} if they are part of "
                "the text)")
    return (f"; line {mark.line + 1}: YAML reserves {value[0]!r} at the start of a value: "
            f"quote the value, {where}{quoted}")


_BLOCK_PROBLEMS = ("expected chomping or indentation indicators",
                   "expected a comment or a line break")
"""PyYAML's problems with what follows a block scalar's ``>`` or ``|`` on its line."""


def _escape_hint(text: str, mark: Any) -> str:
    """How to write a value with ``\\`` that was put in double quotes
    (``path: "C:\\data\\heat.tif"``): inside them YAML reads ``\\`` as the start of an
    escape, and ``\\d`` is none.

    PyYAML's "found unknown escape character 'd'" named neither the quotes nor the fix.
    """
    lines = text.splitlines()
    if mark is None or not 0 <= mark.line < len(lines):
        return ""
    line = lines[mark.line]
    found = next((m for m in re.finditer(r'"((?:[^"\\]|\\.)*)"?', line)
                  if m.start() <= mark.column <= m.end()), None)
    if found is None:
        return ""
    inside = found.group(1)
    single = "'" + inside.replace("'", "''") + "'"
    head = (f"; line {mark.line + 1}: inside double quotes YAML reads '\\' as the start of "
            "an escape ('\\n' a new line, '\\t' a tab, '\\a' and '\\b' control characters)")
    if re.match(r"^(?:[A-Za-z]:|\\\\)", inside):
        return (f"{head}: {written_for_elsewhere(inside)} (in single quotes, {single}, "
                "YAML keeps each '\\' as written)")
    return (f"{head}: write the text in single quotes, where '\\' is itself ({single}), or "
            "a path with '/' between folders")


def _anchor_start_hint(text: str, mark: Any, *, name_rule: bool = True) -> str:
    """How to write a value that starts with ``&`` or ``*`` glued to a number that is no
    name (``threshold: &0.5``): YAML takes either for an anchor's or alias's name, which
    holds letters, digits, ``-`` and ``_`` only (said where ``name_rule``; an alias named
    by a whole number, ``*1000``, is a name YAML found no anchor of).

    PyYAML's "expected alphabetic or numeric character, but found '.'" named neither the
    sign nor the fix.
    """
    lines = text.splitlines()
    if mark is None or not 0 <= mark.line < len(lines):
        return ""
    found = re.match(r"^\s*(?:-\s+)?(?:([^:#'\"]+):[ \t]+)?([&*])([^\s#,\]}]+)",
                     lines[mark.line])
    if found is None:
        return ""
    key, sign, rest = found.groups()
    what = "an anchor (a name for reuse)" if sign == "&" else "an alias (a value reused)"
    written = f"{key.strip()}: {rest}" if key else rest
    if _NUMBER_TEXT.match(rest):
        fix = f"'{sign}' is no part of a number: write {written}"
    else:
        fix = f"quote the text meant ('{sign}{rest}')"
    if not name_rule:  # '*1000': a name, of no anchor
        return (f"; line {mark.line + 1}: YAML reads '{sign}' at the start of a value as "
                f"{what} of the anchor named after it, not as part of a number; {fix}")
    return (f"; line {mark.line + 1}: YAML reads '{sign}' at the start of a value as "
            f"{what} whose name holds letters, digits, '-' and '_' only; {fix}")


def _block_start_hint(text: str, mark: Any) -> str:
    """How to write a value that starts with ``>`` or ``|`` on its key's line
    (``threshold: >= 1000``, ``lt: > 20``, ``note: |x|``): YAML takes either for the start
    of a block of text on the lines below, and only a comment may follow it.

    PyYAML's "expected chomping or indentation indicators, but found '='" named neither
    the sign nor the fix; ``threshold: <1000`` (text to YAML) was refused at its key.
    """
    lines = text.splitlines()
    if mark is None or not 0 <= mark.line < len(lines):
        return ""
    line = lines[mark.line]
    found = re.match(r"^(\s*(?:-\s+)?)(?:([^:#]+):[ \t]+)?([>|].*?)\s*(?:\s#.*)?$", line)
    if found is None:
        return ""
    key, value = (found.group(2) or "").strip(), found.group(3)
    where = f"{key}: " if key else ""
    quoted = "'" + value.replace("'", "''") + "'"
    number = _COMPARED.match(value)
    instead = (f"a comparison sign is no part of a value: write {where}{number.group(2)} "
               "(a key's bound takes the side its name and documentation state), or quote "
               f"the text ({where}{quoted})") if number else \
        f"quote the value if it is text ({where}{quoted})"
    return (f"; line {mark.line + 1}: YAML takes {value[0]!r} at the start of a value for "
            f"a block of text on the lines below it; {instead}")


def _colon_in_value_hint(text: str, mark: Any) -> str:
    """How to write a value holding ``': '``, which YAML reads as a second key on the
    line (``description: Lithium: brine survey``, a note, a title with a subtitle): the
    line with its value quoted; ``""`` where the line is no ``key: value``.

    PyYAML says "mapping values are not allowed here", which names neither the colon nor
    the fix, for the most common slip in a hand-written config.
    """
    lines = text.splitlines()
    if mark is None or not 0 <= mark.line < len(lines):
        return ""
    line = lines[mark.line]
    found = _KEY_AND_VALUE.match(line)
    if found is None or found.group(3)[:1] in ("'", '"', "{", "["):
        return (f"; line {mark.line + 1}: a colon followed by a space inside a value starts "
                "another key in YAML; put the whole value in quotes")
    code = re.fullmatch(r"(EPSG|ESRI|OGC|IAU_\d+):\s+(\w+)", found.group(3), re.IGNORECASE)
    if code:  # 'crs: EPSG: 32619': the code is written without the space
        return (f"; line {mark.line + 1}: a colon followed by a space starts another key in "
                f"YAML; write the code without the space: {found.group(2).strip()}: "
                f"{code.group(1)}:{code.group(2)}")
    quoted = "'" + found.group(3).replace("'", "''") + "'"
    return (f"; line {mark.line + 1}: a colon followed by a space inside a value starts "
            f"another key in YAML; quote the whole value: {found.group(2).strip()}: {quoted}")


def load_yaml(path: Path) -> dict[str, Any]:
    """Read a YAML mapping from ``path``; any problem becomes a :class:`ConfigError`.

    Refused: files over :data:`MAX_CONFIG_BYTES`, nesting deeper than :data:`MAX_DEPTH`,
    aliases (``*name``) that expand past :data:`MAX_NODES` values, and duplicate keys (the
    message names the key and both lines).
    """
    path = Path(path)
    if not path.is_file():
        from prospect.io.files import why_unreadable

        if os.path.lexists(path) or path.exists():  # a link to nothing, a loop, a FIFO
            raise ConfigError(f"{path}: {why_unreadable(path, 'config file')}")
        raise ConfigError(f"{path}: config file not found")
    try:
        size = path.stat().st_size
        if size > MAX_CONFIG_BYTES:
            raise ConfigError(f"{path}: {size} bytes is too big for a config (the limit is "
                              f"{MAX_CONFIG_BYTES // (1024 * 1024)} MiB)")
        text = path.read_text(encoding="utf-8")
        loader = _ConfigLoader(text)
        try:
            data = loader.get_single_data()
            _refuse_cut_paths(path, getattr(loader, "cut_values", []))
        finally:
            loader.dispose()
    except _Refused as exc:
        raise ConfigError(f"{path}: {exc}") from None
    except yaml.reader.ReaderError as exc:
        raise ConfigError(f"{path}: {_unreadable_character(text, exc)}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        context = getattr(exc, "context_mark", None)
        problem += next((hint for start, hint in _YAML_PROBLEM_HINTS if
                         problem.startswith(start)), "")
        if "for merging" in problem and context is not None:  # '<<: *list' names the anchor
            problem = (f"the merge key '<<' of the mapping at line {context.line + 1} takes a "
                       "mapping (an alias of one, or a list of them): " + problem)
        hint = _yaml_error_hint(text, mark)
        if not hint and problem.startswith("mapping values are not allowed"):
            hint = _colon_in_value_hint(text, mark)
        if not hint and problem.startswith("found undefined alias"):
            hint = _undefined_alias_hint(text, problem, mark)
        if not hint and problem.endswith("that cannot start any token"):
            hint = _reserved_start_hint(text, mark)
        if not hint and problem.startswith(_BLOCK_PROBLEMS):
            hint = _block_start_hint(text, mark)
        if not hint and problem.startswith("found unknown escape character"):
            hint = _escape_hint(text, mark)
        if not hint and problem.startswith("expected alphabetic or numeric character"):
            hint = _anchor_start_hint(text, mark)
        raise ConfigError(f"{path}: not valid YAML{where}: {problem}{hint}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: {_not_utf8(exc)}") from None
    except RecursionError:
        raise ConfigError(f"{path}: nested too deeply") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the config: {exc.strerror or exc}") from None
    if data is None:
        raise ConfigError(f"{path}: the config is empty (or only comments); write its keys, "
                          "as in the examples under configs/")
    if not isinstance(data, dict):
        if isinstance(data, list):
            got, how = "a list (lines starting with '- ')", "write the keys without '- '"
        else:  # 'just text': no '- ' to take out; likely not a config at all
            got, how = (f"one value ({str(data)[:40]!r}, no 'key: value' line)",
                        "check that this is the job's config file, and write its keys "
                        "one per line")
        raise ConfigError(
            f"{path}: the top level must be a mapping of keys to values ('name: ...', "
            f"'region: ...'), got {got}; {how}, as in the examples under configs/")
    return data


_UNION_TAGS = frozenset({"region:name", "region:inline", "region:override",
                         "region:reference"})
"""Tags of the tagged unions (a job's region forms), left out of error locations."""


def _members(annotation: Any) -> list[Any]:
    """The types an annotation allows (``Annotated``, ``Optional`` and unions unwrapped)."""
    return [m for m, _ in _tagged_members(annotation)]


def _tagged_members(annotation: Any, tag: str | None = None) -> list[tuple[Any, str | None]]:
    """:func:`_members` with the tag of the tagged union (``region:override``) each has."""
    origin = get_origin(annotation)
    if origin is Annotated:
        own = next((m.tag for m in annotation.__metadata__ if isinstance(m, Tag)), tag)
        return _tagged_members(get_args(annotation)[0], own)
    if origin in (Union, UnionType):
        return [m for arg in get_args(annotation) for m in _tagged_members(arg, tag)]
    return [(annotation, tag)]


def _is_model(value: Any) -> bool:
    return isinstance(value, type) and issubclass(value, BaseModel)


def _types_at(model: type[BaseModel], path: Sequence[Any]) -> list[Any]:
    """The types a config may hold at ``path`` (fields, list indices, mapping keys and the
    tags of tagged unions followed); ``[]`` where it cannot be followed."""
    current: list[Any] = [model]
    for part in path:
        following: list[Any] = []
        members = [pair for ann in current for pair in _tagged_members(ann)]
        if part in _UNION_TAGS:  # the form written: its keys alone (not a sibling form's)
            following = [m for m, tag in members if tag == part]
            current = following
            continue
        for member, _ in members:
            if _is_model(member):
                fields = member.model_fields
                if isinstance(part, str) and part in fields:
                    following.append(fields[part].annotation)
                elif "kind" not in fields or fields["kind"].default == part:
                    following.append(member)  # a union's tag: the member itself
            elif get_origin(member) in (list, tuple) and isinstance(part, int):
                following.extend(get_args(member)[:1])
            elif get_origin(member) is dict and len(get_args(member)) == 2:
                following.append(get_args(member)[1])
        current = following
    return [m for ann in current for m in _members(ann)]


def allowed_keys(model: type[BaseModel], loc: Sequence[Any]) -> list[str]:
    """The keys a config may hold where ``loc`` (an error location) ends, for suggestions.

    The location is followed through fields, list indices, mapping keys and the tags of
    tagged unions (a source's ``kind``); ``[]`` where it cannot be followed.
    """
    keys: set[str] = set()
    for member in _types_at(model, loc[:-1]):
        if _is_model(member):
            for name, field in member.model_fields.items():
                keys.add(name)
                choices = getattr(field.validation_alias, "choices", None) or []
                keys.update(c for c in choices if isinstance(c, str))
    return sorted(keys)


def _kinds_at(model: type[BaseModel] | None, loc: Sequence[Any]) -> list[str]:
    """The ``kind`` values a tagged union at ``loc`` takes (``raster``, ``vector``...)."""
    if model is None:
        return []
    return [str(m.model_fields["kind"].default) for m in _types_at(model, loc)
            if _is_model(m) and "kind" in m.model_fields]


_INCLUDE_KEYS = frozenset({"include", "import", "extend", "inherit", "template", "based_on",
                           "parent", "!include"})
"""Keys (a trailing ``s`` dropped) that ask to read another config file, which no config
does: they were "unknown key" with every key of the place listed."""


def _sections_holding(key: str, model: type[BaseModel], loc: Sequence[Any]) -> list[str]:
    """The fields of the section at ``loc`` whose own section takes ``key`` (``region``
    for ``resolution`` at a job's top level): sections first, then lists of them (a
    source's ``bands``), each in the order the section lists them."""
    sections: list[str] = []
    lists: list[str] = []
    for member in _types_at(model, loc):
        if not _is_model(member):
            continue
        for name in member.model_fields:
            for inner in _types_at(model, [*loc, name]):
                if _is_model(inner) and key in inner.model_fields:
                    sections.append(name)
                elif get_origin(inner) in (list, tuple, dict) and any(
                        _is_model(m) and key in m.model_fields
                        for m in _members(get_args(inner)[-1])):
                    lists.append(name)
    return list(dict.fromkeys(sections + [s for s in lists if s not in sections]))


def _config_kinds() -> dict[str, type[BaseModel]]:
    """The kinds of config file, by what a message calls them."""
    from prospect.config.indices import SensorConfig
    from prospect.config.job import JobConfig
    from prospect.config.region import RegionConfig

    return {"a job config": JobConfig, "a region file": RegionConfig,
            "a sensor's band file": SensorConfig}


def _home_of_key(key: str, model: type[BaseModel], loc: Sequence[Any]) -> str:
    """Where a key that is no key of its place belongs, when that is a section beside it,
    inside it or a section of another kind of config file: ``resolution`` at a job's top
    level (it was "did you mean 'region'?"), ``min_zoom`` in the ``region`` section,
    ``sources`` in a region file (each was "unknown key" with the keys of its place)."""
    place = list(loc[:-1])
    inside = [s for s in _sections_holding(key, model, place) if s != key][:3]
    if inside:
        ats = [".".join(str(p) for p in [*place, s] if p not in _UNION_TAGS) for s in inside]
        if len(inside) == 1:
            return f"'{key}' is a key of '{ats[0]}': write it indented under '{inside[0]}:'"
        return (f"'{key}' is a key of " + " or ".join(f"'{a}'" for a in ats) +
                ": write it indented under the section meant")
    sibling = _sibling_kind_holding(key, model, place)
    if sibling:
        return sibling
    named = [p for p in place if isinstance(p, str) and p not in _UNION_TAGS]
    if named:
        parent = place[:place.index(named[-1])]
        if named[-1] in _sections_holding(key, model, parent):
            return ""  # a key of another form of this section (a region's): said as such
        beside = [s for s in _sections_holding(key, model, parent) if s != named[-1]]
        if beside:
            at = ".".join(str(p) for p in [*parent, beside[0]] if p not in _UNION_TAGS)
            return (f"'{key}' is a key of '{at}', not of '{named[-1]}': move it under "
                    f"'{beside[0]}:'")
        return ""
    kinds = _config_kinds()
    this = next((what for what, kind in kinds.items() if kind is model), None)
    if this is None:
        return ""
    for what, kind in kinds.items():
        if kind is not model and key in kind.model_fields:
            return (f"'{key}' is a key of {what}, not of {this}; is this file the one "
                    f"meant here?")
    return ""


def _sibling_kind_holding(key: str, model: type[BaseModel], place: Sequence[Any]) -> str:
    """The other kinds of a ``kind``-tagged item that take ``key``, when ``place`` ends in
    the tag of the kind written: ``x:`` in a raster source is a key of a ``points`` source
    (it was "unknown key" with the raster's keys); ``""`` otherwise."""
    if not place or not isinstance(place[-1], str) or place[-1] in _UNION_TAGS:
        return ""
    written = place[-1]
    kinds = [m for m in _types_at(model, place[:-1]) if _is_model(m)
             and "kind" in m.model_fields and isinstance(m.model_fields["kind"].default, str)]
    if written not in [m.model_fields["kind"].default for m in kinds]:
        return ""
    takers = [m.model_fields["kind"].default for m in kinds
              if m.model_fields["kind"].default != written and key in m.model_fields]
    if not takers:
        return ""
    others = " or ".join(f"'kind: {k}'" for k in takers)
    fields = [p for p in place[:-1] if isinstance(p, str) and p not in _UNION_TAGS]
    noun = fields[-1].removesuffix("s") if fields else "item"
    return (f"'{key}' is a key of a {' or '.join(takers)} {noun}, not of a {written} one "
            f"(kind: {written}): set {others} if the {noun} is one, or remove '{key}'")


SAME_KEY_TWICE_RATIO = 0.8
"""How alike (:func:`difflib.get_close_matches`' ratio) an unknown key must be to a key
written beside it to be said as that key written twice (``sorces`` beside ``sources``:
0.92); ``version`` and ``region`` (0.62) are two words."""


def _suggestion(key: Any, model: type[BaseModel] | None, loc: Sequence[Any],
                beside: Collection[str] = ()) -> str:
    """``"did you mean 'x'?"`` for a misspelt key, or the keys allowed there.

    A key written beside it (``beside``) is what it means only where it is nearly the
    same (:data:`SAME_KEY_TWICE_RATIO`): ``version: 2`` at the top of a job that has its
    ``region:`` was "did you mean 'region'?", a second region.
    """
    if model is None or not isinstance(key, str):
        return "remove it or check its spelling"
    keys = allowed_keys(model, loc)
    near = [k for k in keys if k not in beside]
    if key.lower().rstrip("s") in _INCLUDE_KEYS and key not in keys:
        return ("a config cannot include, import or extend another config; write the "
                "values in this file: a shipped region by name or a region file "
                "(region: regions/area.yaml), {base: <region>, ...} to change a shipped "
                "region, and values repeated with an anchor under a top-level 'x-' key "
                "(see configs/README.md)")
    lowered = {k.lower(): k for k in near}
    close = difflib.get_close_matches(key, near, n=1, cutoff=0.6) or \
        [lowered[k] for k in difflib.get_close_matches(key.lower(), list(lowered), n=1,
                                                       cutoff=0.6)]
    # a key written beside it only where one letter or two are off ('sorces' beside
    # 'sources': the same section twice), and said so
    twice = [] if close else difflib.get_close_matches(
        key, [k for k in keys if k in beside], n=1, cutoff=SAME_KEY_TWICE_RATIO)
    also = f"; '{twice[0]}' is written too: keep one" if twice else ""
    close = close or twice
    home = _home_of_key(key, model, loc) if key not in keys else ""
    if home:
        return home + (f", or did you mean '{close[0]}'?{also}" if close else "")
    if close:
        return f"did you mean '{close[0]}'?{also}"
    if keys:
        shown = ", ".join(keys[:25]) + (", ..." if len(keys) > 25 else "")
        return f"remove it; keys allowed here: {shown}"
    return "remove it or check its spelling"


_NUMBER_TEXT = re.compile(r"^[-+]?(\d[\d_]*\.?\d*|\.\d+)([eE][-+]?\d+)?$", re.ASCII)


_PREFIXED = re.compile(r"^([-+]?)0([oObBxX])([0-9A-Fa-f_]+)$", re.ASCII)
_BASES = {"o": (8, "octal"), "b": (2, "binary"), "x": (16, "hexadecimal")}


def _prefixed_hint(text: str, match: re.Match[str], quoted: bool | None = None) -> str:
    """Why ``0o20`` (YAML 1.2's octal, Python's), a quoted ``'0x1F'`` or an unquoted
    ``0X1F`` (YAML 1.1 reads its prefixes in lower case only) arrived as text."""
    sign, prefix, digits = match.groups()
    base, name = _BASES[prefix.lower()]
    try:
        number = int(digits.replace("_", ""), base) * (-1 if sign == "-" else 1)
    except ValueError:
        return ""
    if prefix.lower() == "o":
        return (f"YAML 1.1, which reads configs, has no 0o prefix: {text} is text, not the "
                f"{name} number {number} (YAML 1.2's and Python's form); write {number} in "
                "decimal")
    return _text_not_number(text, f"{number} (decimal)", quoted)


def _text_not_number(text: str, plain: str, quoted: bool | None) -> str:
    """Why ``text``, a number to the eye, arrived as text, by how it was written:
    ``quoted`` (the quotes made it text), not quoted (YAML 1.1 reads the characters as
    text: ``+.5``, ``-.5``, ``0X1F``), or not known (a value no file place is known of).

    ``+.5`` unquoted was told "'+.5' is quoted text, not a number; write 0.5 without
    quotes", though it had no quotes: YAML 1.1's decimal takes a sign only with a digit
    before the dot.
    """
    if quoted is None and yaml.resolver.Resolver().resolve(
            yaml.ScalarNode, text, (True, False)).endswith((":int", ":float")):
        quoted = True  # a number to YAML 1.1 unquoted: text only by its quotes
    bare = text.lstrip("+-")
    if bare.startswith("."):
        why = "its decimal number takes a sign only with a digit before the dot"
    elif bare[:2] in ("0X", "0B", "0O"):
        why = f"its prefix 0{bare[1].lower()} is written in lower case"
    else:
        why = "it is no number in YAML 1.1's forms"
    if quoted:
        return f"{text!r} is quoted text, not a number; write {plain} without quotes"
    if quoted is None:
        return (f"YAML read {text!r} as text, not a number (quoted, or written unquoted in a "
                f"form YAML 1.1 reads as text: {why}); write {plain}, unquoted")
    return f"YAML reads {text} unquoted as text, not a number ({why}); write {plain}"


_WITH_UNIT = re.compile(r"^([-+]?\d+(?:\.\d+)?)\s*(m|metres?|meters?|km|cm|mm|ft|deg|"
                        r"degrees?|\u00b0|px|cells?|ppm|%)$", re.ASCII | re.IGNORECASE)
_WITH_OTHER_UNIT = re.compile(r"^([-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)\s*"
                              r"([A-Za-z\u00b5\u00b0][\w/^\u00b7.\-\u00b2\u00b3 ]{0,30})$")
"""A number followed by any other unit (``150 m3/h``, ``8000 h``, ``12 L/s``)."""
_OTHER_LENGTHS = {"km": 1000.0, "cm": 0.01, "mm": 0.001, "ft": 0.3048}
"""Metres in each unit of :data:`_WITH_UNIT` that is a length other than the metre."""
_DECIMAL_COMMA = re.compile(r"^[-+]?\d+,\d+$", re.ASCII)
_GROUPED = re.compile(r"^[-+]?\d{1,3}(?:[ ,'\u00a0\u202f]\d{3})+(?:\.\d+)?$")
_HASH_GLUED = re.compile(r"^([-+]?(?:\d[\d_]*\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)#(.*)$", re.ASCII)
"""A number with a comment glued on (``1000#ppm``): YAML starts a comment at ``#`` only
after a space, so the whole is text."""
_TRAILING_MARK = re.compile(r"^([-+]?(?:\d[\d_]*\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*([,;])$",
                            re.ASCII)
"""A number with a list's separator after it (``1000,``, ``10;``), copied from a list or
a spreadsheet's row."""


def _written_number_hint(text: str) -> str:
    """Why a number written with a unit (``10 m``), a decimal comma (``10,5``) or digit
    groups (``500 000``) is text, and the number to write; ``""`` for anything else."""
    unit = _WITH_UNIT.match(text)
    if unit and unit.group(2) == "%":  # 'recovery: 80%': a share of one is 0.8
        share = float(unit.group(1)) / 100
        return (f"the unit is no part of the value: a percentage is written as its share of "
                f"one where a key takes a share ({text} is {share:.10g}), or as {unit.group(1)}"
                " alone where the key's name says it is in percent")
    if unit:
        metres = _OTHER_LENGTHS.get(unit.group(2).lower())
        if metres is not None:  # '1 km' was "write 1 alone": 1 m in a key of metres
            number = float(unit.group(1)) * metres
            return (f"the unit is no part of the value: write the number in the key's unit "
                    f"({text} is {number:.10g} m: write {number:.10g} where the key is in "
                    "metres; a region's resolution and bounds are in its CRS's units)")
        return (f"the unit is no part of the value: write {unit.group(1)} alone (a key's "
                "unit is fixed: a region's resolution and bounds are in its CRS's units)")
    other = None if _NUMBER_TEXT.match(text) else _WITH_OTHER_UNIT.match(text)
    if other:  # 'flow_m3_per_h: 150 m3/h', 'hours_per_year: 8000 h'
        return (f"the unit is no part of the value: write {other.group(1)} alone, in the "
                "unit the key's name or its documentation states (convert it first where "
                f"{other.group(2).strip()} is another)")
    if _DECIMAL_COMMA.match(text):
        whole, part = text.split(",")
        if len(part) == 3:
            return (f"a comma is no decimal point or digit group in a config: write "
                    f"{whole}{part} (a thousands separator) or {whole}.{part} (a decimal "
                    "comma)")
        return f"a decimal comma: write {whole}.{part} (a point, not a comma)"
    if _GROUPED.match(text):
        digits = re.sub(r"[ ,'\u00a0\u202f]", "", text)
        return f"digits are written without group separators: write {digits}"
    glued = _HASH_GLUED.match(text)
    if glued:  # 'threshold: 1000#ppm' was "unable to parse string as a number" alone
        note = glued.group(2).strip()
        comment = f" (a comment after a space: {glued.group(1)}  # {note})" if note else ""
        return (f"YAML starts a comment at '#' only after a space, so {text} is text: write "
                f"{glued.group(1)}{comment}")
    trailing = _TRAILING_MARK.match(text)
    if trailing:  # 'resolution: 10,' (copied from a list or a spreadsheet's row)
        return (f"the {trailing.group(2)!r} after the number is no part of the value: write "
                f"{trailing.group(1)} (a list's values are parted by commas inside [ ], "
                "each key on a line of its own)")
    return ""


_COLON_NUMBER = re.compile(r"^[-+]?\d[\d_]*(?::\d[\d_]*)+(?:\.[\d_]*)?$", re.ASCII)
"""Digits parted by colons (``0:20``, ``00:30``, ``1:60``, ``'1:30'``): YAML 1.1's base-60
form, which PyYAML reads as a number only without a leading 0 and with each part after a
colon under 60 (:func:`_int_scalar` refuses those), and as text otherwise."""


def _colon_hint(text: str) -> str:
    """Why digits parted by colons arrived as text, and what to write; ``""`` for other
    text. ``chunks: [0:20, 20]`` was "unable to parse string as an integer" alone, where
    ``1:30`` was told it reads as base 60: YAML 1.1 reads ``0:20`` (a leading 0) and
    ``1:60`` (a part past 59) as text."""
    if not _COLON_NUMBER.match(text):
        return ""
    parts = [part.split(".")[0].replace("_", "") for part in text.lstrip("+-").split(":")]
    if parts[0].startswith("0"):
        why = "it starts with 0"
    elif any(int(part or 0) >= 60 for part in parts[1:]):
        why = "a part after a colon is 60 or more"
    else:  # a base-60 number quoted, or in a file that declares YAML 1.2
        why = "it is quoted or the file declares %YAML 1.2"
    return (f"YAML reads {text} as text, not a number (YAML 1.1 reads digits parted by "
            f"colons as base 60, 1:30 as 90, but as text where {why}): write the number "
            "meant in decimal, without a colon (a range or a time is no value of this key)")


def number_text_hint(value: Any, *, quoted: bool | None = None) -> str:
    """Why a number arrived as text, and how to write it, for a ``str`` that reads as a
    number; ``""`` for anything else.

    YAML 1.1 (PyYAML) reads a float only with a dot and a signed exponent: ``1e2``,
    ``1E5``, ``1.0e5`` and ``2e-3`` unquoted are text, which an estimator refused as
    "Got '1e2'" and a whole-number key as "unable to parse string as an integer".
    Digits parted by colons (``0:20``) are said as YAML's base-60 form read as text
    (:func:`_colon_hint`); Python's ``None`` and a number behind a comparison sign
    (``<1000``, ``'>= 1000'``) as what they are.

    Parameters
    ----------
    value : Any
        The value as it reached the key.
    quoted : bool, optional
        Whether the file wrote it in quotes (:attr:`Place.quoted`); ``None`` where that
        is not known (the words then fit both).

    Returns
    -------
    str
        The hint, or ``""``.
    """
    if not isinstance(value, str):
        return ""
    colon = _colon_hint(value.strip())
    if colon:
        return colon
    prefixed = _PREFIXED.match(value.strip())
    if prefixed:
        return _prefixed_hint(value.strip(), prefixed, quoted)
    written = _written_number_hint(value.strip()) or _no_value_word(value.strip()) or \
        _compared_hint(value.strip())
    if written:
        return written
    if not _NUMBER_TEXT.match(value.strip()):
        return ""
    number = float(value.strip().replace("_", ""))
    if number in (float("inf"), float("-inf")):
        return ""
    if underflows_to_zero(value.strip(), number):  # '1e-400': no '0' to write
        return (f"YAML reads {value.strip()} as text, and as a number it is below the "
                "smallest one a config holds (about 5e-324), read as 0; write 0.0 where "
                "zero is meant, or a value of at least 1.0e-300")
    mantissa, exponent = f"{number:e}".split("e")
    mantissa = mantissa.rstrip("0")
    exp_form = f"{mantissa}{'0' if mantissa.endswith('.') else ''}e{int(exponent):+d}"
    plain = f"{int(number)}" if number.is_integer() and abs(number) < 1e15 else repr(number)
    if "e" in value.lower():
        how = f"write {plain}, or {exp_form} where a decimal number is taken" if \
            number.is_integer() else f"write {plain} or {exp_form}"
        return (f"YAML reads {value} as text, not a number (YAML 1.1 needs a dot and a "
                f"signed exponent); {how}")
    return _text_not_number(value.strip(), plain, quoted)


_NO_VALUE_WORDS = ("None", "none", "NONE", "nil", "Nil", "NIL", "undefined")
"""Other languages' words for no value (Python's ``None``), which YAML reads as text."""


def _no_value_word(text: str) -> str:
    """Why ``None`` (Python's no value) where a number goes arrived as text, and what to
    write; ``""`` for other text. It was "unable to parse string as a number" alone."""
    if text not in _NO_VALUE_WORDS:
        return ""
    return (f"YAML reads {text} as text, not as no value (YAML's are null, ~ or nothing "
            "after the colon): write the number meant, or leave the key out for its default "
            "(where it has one)")


_COMPARED = re.compile("^(<=|>=|==|=<|=>|<|>|=|\u2264|\u2265|~|\u2248|\u00b1)\\s*"
                       r"([-+]?(?:\d[\d_]*\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)$", re.ASCII)
"""A number behind a comparison or approximation sign (``<1000``, ``>= 0.5``, ``~10``)."""


def _compared_hint(text: str) -> str:
    """Why a number written behind a comparison sign (``threshold: <1000``, ``'>= 1000'``)
    is text, and what to write; ``""`` for other text."""
    found = _COMPARED.match(text)
    if found is None:
        return ""
    sign, number = found.groups()
    return (f"the sign {sign!r} is no part of a value: write {number} alone (a key's bound "
            "takes the side its name and documentation state, e.g. a threshold's grade is "
            "'at least')")


def _written_loc(loc: Sequence[Any], places: dict[tuple[Any, ...], Place]
                 ) -> tuple[Any, ...]:
    """The parts of ``loc`` the file holds, as :func:`_place` walks them (a tagged
    union's tag and a validator's name left out)."""
    path: tuple[Any, ...] = ()
    for part in loc:
        if (*path, part) in places:
            path = (*path, part)
    return path


def _place(loc: Sequence[Any], places: dict[tuple[Any, ...], Place]
           ) -> tuple[Place | None, bool]:
    """The place of the deepest key of ``loc`` written in the file, and whether that is
    ``loc`` itself (the parts no file holds, such as a tagged union's tag, are passed
    over); ``(None, False)`` when none is."""
    path: tuple[Any, ...] = ()
    found: Place | None = None
    exact = False
    for part in loc:
        if (*path, part) in places:
            path = (*path, part)
            found, exact = places[path], True
        elif not (isinstance(part, str) and (part.startswith("function-")
                                             or part in _UNION_TAGS or "[" in part)):
            exact = False  # a source's kind ('raster'), or a key the file does not hold
    return found, exact


_BOOL_TEXT = "(YAML reads yes/no/on/off as true/false, not a number)"
_NULLS = ("", "~", "null", "Null", "NULL")


def _as_written(value: Any, written: str | None, msg: str) -> tuple[str | None, str]:
    """How to show a refused ``value`` that YAML read from ``written`` (the text in the
    file), and ``msg`` with why YAML read it so; ``(None, msg)`` to show ``repr(value)``.

    Python's repr is not what the user wrote: ``.nan`` was shown as ``nan``, ``1.0e+400``
    as ``inf``, ``2024-01-01`` as ``datetime.date(2024, 1, 1)``, an empty value as
    ``None`` and ``yes`` as the long text that stands in for a boolean.
    """
    if isinstance(value, str) and any(unicodedata.category(c) == "Cc" for c in value):
        return _double_quoted(value), msg  # '"D:\\a\\b.tif"', not Python's 'D:\\x07\\x08.tif'
    if written is None:
        return None, msg
    if isinstance(value, str) and value.endswith(_BOOL_TEXT):
        return written, (f"{msg.split(',')[0]}; YAML reads yes/no/on/off and true/false "
                         f"unquoted as booleans ({written} is {value.split(' ', 1)[0]}), not "
                         "a number")
    if isinstance(value, str):
        return None, msg
    if isinstance(value, bool):  # 'no' where a name goes: say what YAML made of it
        return f"{value} (written {written})", msg
    if value is None and written in _NULLS:
        return "(empty)", ("the key has no value (nothing after the colon, or null); write "
                           "its value (a nested section is indented under its key)")
    if isinstance(value, float) and math.isinf(value) and \
            "inf" not in written.lower():
        return written, (f"{msg}; {written} is beyond the largest number and is read as "
                         "infinity")
    if isinstance(value, datetime.date | datetime.datetime):  # quoting it is the fix
        fix = f": quote it ('{written}') if it is text" if "valid string" in msg else ""
        return written, f"{msg}; YAML reads {written} unquoted as a date{fix}"
    return written, msg


def _double_quoted(text: str) -> str:
    """``text`` as YAML writes it in double quotes, each control character as its escape
    (``"D:\\a\\b.tif"``): how a value YAML made of escapes was written, where Python's repr
    showed ``'D:\\x07\\x08.tif'``."""
    def escaped(char: str) -> str:
        if char in '\\"':
            return "\\" + char
        if unicodedata.category(char) != "Cc":
            return char
        return _YAML_ESCAPES.get(ord(char)) or (
            f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}")
    return '"' + "".join(escaped(char) for char in text) + '"'


def format_validation_error(exc: ValidationError, source: str,
                            model: type[BaseModel] | None = None,
                            places: dict[tuple[Any, ...], Place] | None = None,
                            data: Any = None) -> str:
    """One line per problem: ``source:line: key.path = value: message``.

    With ``model``, an unknown key comes with the nearest allowed key (``did you mean
    'path'?``) or, when none is near, the keys allowed there. With ``places`` (a
    :class:`ConfigData`'s), each line names the line of the key in ``source`` and shows a
    value as it was written there. With ``data`` (what was validated), the errors of one
    value's union members are one line at its key (:func:`_one_per_union`).
    """
    lines = []
    errors = _one_per_tuple(_one_per_union(exc.errors(), data), data)
    for err in _misspelt_not_missing(errors, model):
        loc = ".".join(str(p) for p in err["loc"]
                       if not str(p).startswith("function-after") and p not in _UNION_TAGS)
        place, exact = _place(err["loc"], places) if places else (None, False)
        refused = (err.get("ctx") or {}).get("error")
        if isinstance(refused, KeyRefused) and places:  # the key's own line
            place = places.get((*_written_loc(err["loc"], places), refused.key), place)
        where = f"{source}:{place.line}" if place else source
        value = err.get("input")
        msg = err["msg"].removeprefix("Value error, ")
        written, msg = _as_written(value, place.written if exact and place else None, msg)
        shown = written if written is not None else repr(value)
        line = _problem_line(err, where, loc, value, shown, msg, model,
                             _keys_beside(data, err["loc"]),
                             quoted=place.quoted if exact and place else None)
        if err["type"] == "extra_forbidden":
            line = _anchor_home(line, err["loc"], place if exact else None)
        lines.append(line)
    return "\n".join(lines)


def _anchor_home(line: str, loc: Sequence[Any], place: Place | None) -> str:
    """``line`` (an unknown key's) with where such a key belongs, when it holds a YAML
    anchor (``defaults: &d``) or starts with ``x-`` below the top level: a top-level
    :data:`EXTENSION_PREFIX` key is the home of anchors."""
    key = str(loc[-1]) if loc else ""
    top = len([p for p in loc if p not in _UNION_TAGS]) == 1
    head = line.split(" (", 1)[0]
    if key.startswith(EXTENSION_PREFIX) and not top:
        return (f"{head} (keys starting with '{EXTENSION_PREFIX}' are left out only at the "
                "top level of the file: move it there)")
    if place is None or place.anchor is None:
        return line
    # 'X-grid' and 'x_grid' were told to become 'x-X-grid' and 'x-x_grid'
    stem = key[2:] if key[:2].lower() in (EXTENSION_PREFIX, "x_") and key[2:] else key
    name = key if key.startswith(EXTENSION_PREFIX) else f"{EXTENSION_PREFIX}{stem}"
    where = "rename it" if top else "move it to the top level of the file"
    return (f"{head} (it holds the anchor &{place.anchor}: values kept for reuse go under a "
            f"top-level key starting with '{EXTENSION_PREFIX}', which a config leaves out: "
            f"{where} as '{name}')")


_MEMBER_TAG = re.compile(
    r"^(float|int|str|bool|none|date|datetime|time|timedelta|decimal|bytes|"
    r"[A-Z][A-Za-z0-9]*|[a-z-]+\[.*\])$")
"""How pydantic names the member of a plain union in an error's location (``float``,
``literal['auto']``, ``tuple[float, float]``, a model's class name)."""


def _one_per_union(errors: list[Any], data: Any) -> list[Any]:
    """``errors`` with those of one value's union members as one error at the value's key.

    ``block_size:`` left empty (a ``float | 'auto'`` key) was two lines, at
    ``model.cv.block_size.float`` and ``model.cv.block_size.literal['auto']``: the
    members' names are pydantic's, not keys of the config. A location part is a member's
    name when it matches :data:`_MEMBER_TAG` and is no key of ``data`` at that point.
    """
    merged: dict[tuple[Any, ...], dict[str, Any]] = {}
    out: list[Any] = []
    for err in errors:
        loc, node, stripped = [], data, False
        for i, part in enumerate(err["loc"]):
            in_data = (isinstance(node, dict) and part in node) or (
                isinstance(node, list | tuple) and isinstance(part, int)
                and 0 <= part < len(node))
            last = i == len(err["loc"]) - 1
            if not in_data and isinstance(part, str) and _MEMBER_TAG.match(part) and \
                    not (last and err["type"] in ("missing", "extra_forbidden")):
                stripped = True
                continue
            loc.append(part)
            node = node[part] if in_data else node  # a tagged union's tag ('raster')
        if not stripped:
            out.append(err)
            continue
        key = tuple(loc)
        if key in merged:
            msg = err["msg"].removeprefix("Value error, ")
            if msg not in merged[key]["msg"]:
                merged[key]["msg"] += f"; or: {msg}"
            continue
        merged[key] = {**err, "loc": key, "type": "union_member",
                       "msg": err["msg"].removeprefix("Value error, ")}
        out.append(merged[key])
    return out


def _misspelt_not_missing(errors: list[Any], model: type[BaseModel] | None) -> list[Any]:
    """``errors`` without a required key's "missing" where an unknown key beside it is that
    key misspelt: ``cr:`` for ``crs`` was two lines, "missing required key 'region.crs'"
    and "unknown key 'region.cr' (did you mean 'crs'?)"; the second says it all."""
    if model is None:
        return errors
    meant = set()
    for err in errors:
        if err["type"] == "extra_forbidden" and err["loc"]:
            key, parent = err["loc"][-1], tuple(err["loc"][:-1])
            allowed = allowed_keys(model, [*parent, "?"])
            # 'RESOLUTION:' is 'resolution' in capitals, which difflib's ratio misses
            close = [k for k in allowed if k.casefold() == str(key).casefold()] or \
                difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.6)
            if close:
                meant.add((*parent, close[0]))
    return [e for e in errors if not (e["type"] == "missing" and tuple(e["loc"]) in meant)]


def _value_at(data: Any, loc: Sequence[Any]) -> tuple[bool, Any]:
    """``(found, value)`` at ``loc`` in ``data`` (a tagged union's tag passed over)."""
    node = data
    for part in loc:
        if (isinstance(node, dict) and part in node) or (
                isinstance(node, list | tuple) and isinstance(part, int)
                and 0 <= part < len(node)):
            node = node[part]
        elif part in _UNION_TAGS or (isinstance(part, str) and _MEMBER_TAG.match(part)):
            continue
        else:
            return False, None
    return True, node


def _one_per_tuple(errors: list[Any], data: Any) -> list[Any]:
    """``errors`` with the positions a fixed-length list lacks as one error at its key.

    ``chunks: [20]`` was "missing required key 'region.chunks.1'" (a key no config has:
    the second of two numbers), and ``bounds:`` of three numbers "missing ... bounds.3".
    One error, of type ``tuple_length``, at the list's key, with the number of values it
    holds and the number it takes.
    """
    out: list[Any] = []
    merged: dict[tuple[Any, ...], dict[str, Any]] = {}
    for err in errors:
        loc = tuple(err["loc"])
        if err["type"] == "missing" and loc and isinstance(loc[-1], int):
            found, value = _value_at(data, loc[:-1])
            if found and isinstance(value, list | tuple) and loc[-1] >= len(value):
                known = merged.get(loc[:-1])
                if known is not None:
                    known["ctx"]["expected"] = max(known["ctx"]["expected"], loc[-1] + 1)
                    continue
                merged[loc[:-1]] = {
                    "type": "tuple_length", "loc": loc[:-1], "input": value,
                    "msg": "", "ctx": {"expected": loc[-1] + 1, "actual": len(value)}}
                out.append(merged[loc[:-1]])
                continue
        if err["type"] in ("too_long", "too_short") and \
                (err.get("ctx") or {}).get("field_type") == "Tuple":
            ctx = err["ctx"]
            expected = ctx.get("max_length", ctx.get("min_length"))
            err = {**err, "type": "tuple_length",
                   "ctx": {"expected": expected, "actual": ctx.get("actual_length")}}
        out.append(err)
    for err in out:
        if err["type"] == "tuple_length":
            expected, actual = err["ctx"]["expected"], err["ctx"]["actual"]
            key = str(err["loc"][-1]) if err["loc"] else ""
            order = _TUPLE_ORDER.get(key, "")
            err["msg"] = (f"{actual} value{'s' if actual != 1 else ''}, but the key takes "
                          f"{expected}" + (f", {order}" if order else "") +
                          (": one for each, in brackets" if not order else ""))
    return out


_TUPLE_ORDER = {
    "bounds": "[left, bottom, right, top] in the CRS's units",
    "chunks": "[rows, columns] of cells",
}
"""What each number of a fixed-length list key is, said where their count is wrong."""


_PATTERN = re.compile(r"^\^\[([^\]]+)\]\[([^\]]+)\](?:\*|\{0,(\d+)\})\$$")
"""A name's pattern: a first character, then more of a class (up to a count)."""


def _characters(klass: str) -> tuple[str, set[str]]:
    """The characters of a regex class (``A-Za-z0-9_.-``) in words, and as a set."""
    ranges = {"A-Z": "upper-case letters", "a-z": "lower-case letters", "0-9": "digits"}
    words, chars, rest = [], set(), klass
    for span, word in ranges.items():
        if span in rest:
            rest = rest.replace(span, "")
            words.append(word)
            chars |= {chr(c) for c in range(ord(span[0]), ord(span[2]) + 1)}
    if "upper-case letters" in words and "lower-case letters" in words:
        words = ["letters", *[w for w in words if "letters" not in w]]
    literal = [c for c in rest.replace("\\", "") if c]
    chars |= set(literal)
    shown = words + [f"'{c}'" for c in literal]
    return (", ".join(shown[:-1]) + " and " + shown[-1]) if len(shown) > 1 else shown[0], chars


def _pattern_hint(pattern: str, value: Any) -> str:
    """A name's pattern in words, and a name that fits made from ``value``; ``""`` for a
    pattern that is no name's (a URL's, a hash's).

    ``name: my job`` was "String should match pattern '^[A-Za-z0-9][A-Za-z0-9_.-]*$'": a
    regular expression, and no word of what to write.
    """
    match = _PATTERN.match(pattern)
    if not match:
        return ""
    first_words, first = _characters(match.group(1))
    rest_words, rest = _characters(match.group(2))
    most = int(match.group(3)) + 1 if match.group(3) else None
    singular = first_words.replace("letters", "letter").replace("digits", "digit") \
        .replace(" and ", " or ")
    said = (f"a name here is {rest_words}, starting with "
            f"{'one of them' if first == rest else 'a ' + singular}"
            + (f", at most {most} characters" if most else "")
            + " (it names files, variables or records)")
    if not isinstance(value, str):
        return said
    plain = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    if not any(c.isupper() for c in rest):
        plain = plain.lower()
    sep = "-" if "-" in rest else "_" if "_" in rest else ""
    fitted = "".join(c if c in rest else sep for c in plain.strip())
    if sep:
        fitted = re.sub(f"{re.escape(sep)}+", sep, fitted)
    fitted = fitted.lstrip("".join(rest - first))[:most].rstrip(sep or " ")
    if fitted and re.fullmatch(pattern, fitted) and fitted != value:
        said += f": e.g. '{fitted}'"
    return said


def _keys_beside(data: Any, loc: Sequence[Any]) -> frozenset[str]:
    """The keys written in the mapping of ``data`` (what was validated) that holds the key
    at ``loc``; empty where it is not found (no data given). A union member's tag or a
    validator's name in ``loc`` names no level of ``data`` and is passed over."""
    node = data
    for part in loc[:-1]:
        listed = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if listed or (isinstance(node, dict) and part in node):
            node = node[part]
    if not isinstance(node, dict):
        return frozenset()
    return frozenset(k for k in node if isinstance(k, str))


def _problem_line(err: Any, source: str, loc: str, value: Any, shown: str, msg: str,
                  model: type[BaseModel] | None, beside: Collection[str] = (), *,
                  quoted: bool | None = None) -> str:
    """The line of one pydantic error (see :func:`format_validation_error`); ``beside``:
    the keys written beside the key, none of which an unknown key is said to mean;
    ``quoted``: whether the file wrote the value in quotes (``None``: not known)."""
    whole = shown
    if len(shown) > 80:
        shown = shown[:77] + "..."
    # a whole section, or a list too long to show (2 000 sources)
    if err["type"] == "value_error" and (isinstance(value, dict) or (
            isinstance(value, list) and len(whole) > 80)):
        return f"{source}: key '{loc}': {msg}" if loc else f"{source}: {msg}"
    if err["type"] in ("union_tag_not_found", "union_tag_invalid"):  # a source's kind
        ctx = err.get("ctx") or {}
        tag = str(ctx.get("discriminator", "kind")).strip("'")
        allowed = _kinds_at(model, err["loc"]) or [
            t.strip(" '") for t in str(ctx.get("expected_tags", "")).split(",")]
        tags = ", ".join(allowed)
        where = f"{loc}.{tag}" if loc else tag
        if err["type"] == "union_tag_not_found":
            keys = [k for k in value if isinstance(k, str)] if isinstance(value, dict) else []
            close = difflib.get_close_matches(tag, keys, n=1, cutoff=0.6)
            meant = f"; '{close[0]}' is written: did you mean '{tag}'?" if close else ""
            return f"{source}: missing required key '{where}' (one of {tags}){meant}"
        got = ctx.get("tag", "")
        close = difflib.get_close_matches(str(got), allowed, n=1, cutoff=0.6)
        hint = f"did you mean '{close[0]}'?" if close else f"one of {tags}"
        return f"{source}: key '{where}' has bad value {got!r} ({hint})"
    if err["type"] == "extra_forbidden":
        key = err["loc"][-1] if err["loc"] else None
        copied = copied_characters(key) if isinstance(key, str) else ""
        hint = copied or _suggestion(key, model, err["loc"], beside)
        return f"{source}: unknown key '{loc}' ({hint})"
    if err["type"] == "missing":
        return f"{source}: missing required key '{loc}'"
    if err["type"] == "invalid_key":  # '1:' where a name is wanted
        return (f"{source}: key '{loc}' is read by YAML as a number, not as a name; every "
                f"key here is a name: quote it ('{err['loc'][-1]}': ...) or check the "
                "indentation")
    said = _boolean_for_collection(err, value, shown, model)
    if said:
        return f"{source}: key '{loc}' has bad value {said}"
    shape = _shape_hint(err, value, model)
    if shape:
        return f"{source}: key '{loc}' {shape}"
    if err["type"] in ("bool_parsing", "bool_type"):  # 'distance: 500', 'cross_zone: 2'
        return f"{source}: key '{loc}' has bad value {shown}: {_switch_hint(value)}"
    if err["type"] == "string_pattern_mismatch":
        said = _pattern_hint(str((err.get("ctx") or {}).get("pattern", "")), value)
        if said:
            copied = copied_characters(value) if isinstance(value, str) else ""
            said += f"; {copied}" if copied else ""  # '“heat”', copied quotes
            return f"{source}: key '{loc}' has bad value {shown}: {said}"
    if err["type"] in ("too_long", "too_short"):  # pydantic's "... after validation, not 5"
        msg = msg.replace(" after validation", "")
    if err["type"] == "path_type":  # pydantic's "not a valid path for <class ...>"
        msg = re.sub(r"Input is not a valid path for <class '[^']*'>", "a path is text", msg)
    if isinstance(value, bool) and err["type"] in ("string_type", "path_type"):
        msg += (" (YAML reads yes, no, on, off, true and false unquoted as true or "
                "false: quote the text, e.g. 'no')")
    elif isinstance(value, int | float) and err["type"] in ("string_type", "path_type") \
            and not loc.endswith("crs"):  # 'name: 2024', 'units: 1', 'path: 1990'
        msg += f"; YAML reads {shown} unquoted as a number: quote it ('{shown}') if it is text"
    hint = copied_characters(value) if isinstance(value, str) else ""
    if isinstance(value, int) and not isinstance(value, bool) and loc.endswith("crs") and \
            err["type"] == "string_type":  # 'crs: 28992', the code without its authority
        hint = f"a CRS is written with its authority, e.g. 'EPSG:{value}'"
    if not hint and (err["type"].endswith(("_parsing", "_type")) or (
            err["type"] == "union_member" and "valid number" in msg)):  # 'float | auto'
        hint = number_text_hint(value, quoted=quoted)
    if not hint and (err["type"] == "literal_error" or "Input should be '" in msg):
        # 'estimator: Random_Forest', 'block_size: AUTO' (a number or 'auto')
        hint = _choice_hint(value, str((err.get("ctx") or {}).get("expected") or msg))
    if hint and hint not in msg:  # a validator's own message may already say it
        msg += f"; {hint}"
    return f"{source}: key '{loc}' has bad value {shown}: {msg}"


def _fold(word: str) -> str:
    """``word`` as compared with a key's choices: case, ``-``, ``_`` and spaces aside."""
    return re.sub(r"[-_\s]+", "", word.casefold())


def _choice_hint(value: Any, expected: str) -> str:
    """The choice of a key that ``value`` writes in another case or with other
    separators (``Random_Forest``, ``RandomForest``, ``AUTO``, ``spatial-block``), or
    ``""``.

    pydantic's "Input should be 'random_forest', 'extra_trees', ..." listed the choices
    without a word of the one meant: the choices are written in lower case, words apart
    by ``_``, as the key's documentation shows.
    """
    if not isinstance(value, str) or not value.strip():
        return ""
    choices = re.findall(r"'([^']*)'", expected)
    meant = [c for c in choices if _fold(c) == _fold(value) and c != value]
    if len(meant) != 1:
        return ""
    return (f"did you mean {meant[0]!r}? a choice is written exactly as listed (in its "
            "case, with its separators)")


def _switch_hint(value: Any) -> str:
    """What to write for a yes/no key given ``value``, which is no boolean.

    ``distance: 500`` (a buffer distance meant), ``cross_zone: 2`` or ``distance: '1
    km'`` were pydantic's "Input should be a valid boolean, unable to interpret input",
    which says neither what the key takes nor what to write.
    """
    if isinstance(value, int | float) and not isinstance(value, bool):
        what = f"a number ({value})"
    elif isinstance(value, str):
        what = f"the text {value!r}"
    else:
        what = type(value).__name__
    return (f"the key is a switch, true or false, not {what}: write true or false, or "
            "leave the key out for its default")


_LIST_SEPARATORS = re.compile(r"\s*[;x\u00d7*]\s*|\s+", re.IGNORECASE)


_SECTION_TYPES = ("model_type", "model_attributes_type", "dict_type")
_LIST_TYPES = ("list_type", "tuple_type", "set_type", "frozen_set_type")


def _boolean_for_collection(err: Any, value: Any, shown: str,
                            model: type[BaseModel] | None) -> str:
    """What YAML made of ``no``, ``off``, ``yes``... written where a section or a list
    goes, and what to write instead; ``""`` for any other error.

    ``mask: no`` or ``tiles: off`` (a section switched off, as some tools take it) was
    "Input should be a valid dictionary or instance of MaskConfig", a class name no
    config shows; ``names: NO`` (Norway, one name) "Input should be a valid list";
    ``chunks: no`` told to write "[false (YAML reads yes/no/on/off as true/false, not a
    number)]" in brackets.
    """
    kind = err["type"]
    if kind not in _SECTION_TYPES + _LIST_TYPES:
        return ""
    numbers = isinstance(value, str) and value.endswith(_BOOL_TEXT)  # a list of numbers
    if not (isinstance(value, bool) or numbers):
        return ""
    truth = value.split(" ", 1)[0] if numbers else str(value).lower()
    written = re.search(r"\(written (.+)\)$", shown)
    word = written.group(1) if written else (shown if numbers and not shown.endswith(
        _BOOL_TEXT) else truth)
    head = f"{word if numbers or not written else shown}: " + (
        f"YAML reads {word} unquoted as {truth}" if word.lower() != truth else
        f"{word} is a boolean")
    if kind in _SECTION_TYPES:
        types = _types_at(model, err["loc"]) if model is not None else []
        keys = allowed_keys(model, [*err["loc"], "?"]) if model is not None else []
        listed = ", ".join(keys[:12]) + (", ..." if len(keys) > 12 else "")
        allowed = f"; keys allowed: {listed}" if keys else ""
        under = f"write its keys indented under it ('key: value'{allowed})" + (
            f", or {{}} ('{err['loc'][-1]}: {{}}') for its defaults where each key has one"
            if truth == "true" and err["loc"] else "")
        if type(None) in types:  # an optional section: left out, it is not done
            return (f"{head}, and a section is not switched on or off by a word: to skip "
                    f"it, leave the key out (delete its line, or comment it out with '#'); "
                    f"to use it, {under}")
        return f"{head}, and this section is not switched on or off by a word: {under}"
    if numbers:
        return (f"{head}, not a list of numbers: write the numbers in brackets (e.g. [512, "
                "512]), or leave the key out for its default (where it has one)")
    return (f"{head}, not a list: quote the text, in brackets for a list (['{word}']), or "
            "leave the key out for its default (where it has one)")


def _numbers_in_text(text: str) -> list[str]:
    """The numbers of a list written as text with separators no YAML list has
    (``'20x20'``, ``'500000 1350000 500400 1350400'``, ``'20;20'``, ``(20 20)``), or
    ``[]`` when it is not two or more numbers so."""
    inner = text.strip().strip("[]()").strip()
    parts = [p for p in _LIST_SEPARATORS.split(inner) if p]
    if len(parts) < 2 or not all(_NUMBER_TEXT.match(p) for p in parts):
        return []
    return parts


_CORNERS = {side: i for i, names in enumerate((
    ("left", "west", "xmin", "minx", "x_min", "min_x", "w"),
    ("bottom", "south", "ymin", "miny", "y_min", "min_y", "s"),
    ("right", "east", "xmax", "maxx", "x_max", "max_x", "e"),
    ("top", "north", "ymax", "maxy", "y_max", "max_y", "n"))) for side in names}
"""Names a box's sides are written with, each to its place in ``[left, bottom, right,
top]``."""


def _corners_in_order(value: dict[Any, Any]) -> str:
    """The numbers of a box written as a mapping of its sides (``{xmin: .., xmax: ..,
    ymin: .., ymax: ..}``, ``{west: .., south: ..}``) as ``[left, bottom, right, top]``
    text, with the names they were written under in that order; ``""`` where ``value`` is
    no such mapping.

    ``bounds: {xmin: 500000, xmax: 500400, ymin: 1350000, ymax: 1350400}`` was told to
    "start each item with '- ', or write [a, b] on one line": the values copied in the
    order written made an extent, ``[xmin, xmax, ymin, ymax]``, not the bounds meant.
    """
    places = {_CORNERS.get(str(k).strip().lower()): (k, v) for k, v in value.items()}
    if len(value) != 4 or set(places) != {0, 1, 2, 3} or not all(
            isinstance(v, int | float) and not isinstance(v, bool)
            for _, v in places.values()):
        return ""
    numbers = ", ".join(f"{places[i][1]:.15g}" for i in range(4))
    names = ", ".join(str(places[i][0]) for i in range(4))
    return f"[{numbers}] (its {names})"


def _shape_hint(err: Any, value: Any, model: type[BaseModel] | None) -> str:
    """What to write where a list was given for a section of keys, or a mapping for a list;
    ``""`` for any other error.

    ``indices: [NDVI]`` was "Input should be a valid dictionary or instance of
    IndicesConfig" (a class name no config shows), and ``sources: {heat: {...}}`` "Input
    should be a valid list", neither saying what the key holds.
    """
    kind = err["type"]
    if kind in ("model_type", "model_attributes_type", "dict_type") and \
            isinstance(value, list | tuple):
        keys = allowed_keys(model, [*err["loc"], "?"]) if model is not None else []
        shown = ", ".join(keys[:12]) + (", ..." if len(keys) > 12 else "")
        allowed = f" (keys allowed: {shown})" if keys else ""
        return ("is a list (items starting with '- '), but it is a section of keys: write "
                f"its keys indented under it, 'key: value', without '- '{allowed}")
    if kind in ("list_type", "tuple_type") and isinstance(value, dict):
        items = all(isinstance(v, dict) for v in value.values()) and bool(value)
        first = next(iter(value), "name")
        corners = _corners_in_order(value)
        how = (f"write each as a list item, its key as the item's name ('- name: {first}' "
               "and the item's keys indented under it)") if items else \
            (f"write [left, bottom, right, top] in brackets, without names: {corners}") \
            if corners else \
            "start each item with '- ' (one per line), or write [a, b] on one line"
        return f"is a mapping of keys, but it takes a list: {how}"
    if kind in ("list_type", "tuple_type") and isinstance(value, str) and \
            ("," in value or value.strip().startswith("[")):
        inner = value.strip().removeprefix("[").removesuffix("]")
        return (f"has bad value {value!r}: it is text, but the key takes a list; write it "
                f"in brackets without quotes, [{inner}]")
    numbers = _numbers_in_text(value) if kind in ("list_type", "tuple_type") and \
        isinstance(value, str) else []
    if numbers:
        return (f"has bad value {value!r}: it is text, but the key takes a list; write it "
                f"in brackets, the values apart by commas, [{', '.join(numbers)}]")
    if kind == "list_type" and isinstance(value, str) and value.strip() and \
            not value.endswith(_BOOL_TEXT):  # 'names: NDVI', one name of a list
        one = value.strip()
        return (f"has bad value {value!r}: one value, but the key takes a list: write it in "
                f"brackets, [{one}] (a list of one), or one item a line starting with '- '")
    scalar = kind.endswith(("_type", "_parsing")) and kind not in (
        "list_type", "tuple_type", "dict_type", "model_type", "model_attributes_type")
    if scalar and isinstance(value, list | tuple | dict) and not value:
        empty = "[]" if isinstance(value, list | tuple) else "{}"
        return (f"has bad value {empty}: an empty {'list' if empty == '[]' else 'mapping'}, "
                "but the key takes one value: write the value, or leave the key out for "
                "its default (where it has one)")
    if scalar and isinstance(value, list | tuple) and all(
            isinstance(v, str | int | float) for v in value):
        if len(value) == 1:
            one = value[0]
            return (f"has bad value [{one}]: a list of one value, but the key takes the "
                    f"value itself: write {one} without the brackets")
        return (f"has bad value {list(value)}: a list, but the key takes one value"
                + ("; a grid's cells are square: one resolution serves both axes"
                   if err["loc"] and err["loc"][-1] == "resolution" else
                   ": write the one value meant"))
    if scalar and isinstance(value, list | tuple | dict):
        what = "a mapping of keys" if isinstance(value, dict) else "a list of lists"
        return (f"is {what}, but it takes one value: write the value itself on the key's "
                "line ('key: value')")
    if kind == "tuple_type" and isinstance(value, str) and value.strip() and \
            not value.endswith(_BOOL_TEXT) and not _NUMBER_TEXT.match(value.strip()):
        # 'chunks: auto', dask's word for its own shape
        return (f"has bad value {value!r}: a word, but the key takes a list of values in "
                "brackets (e.g. [512, 512] for a key of two), or leave the key out for its "
                "default (where it has one)")
    if kind in ("list_type", "tuple_type") and isinstance(value, int | float) and \
            not isinstance(value, bool):
        return (f"has bad value {value}: one number, but the key takes a list of values in "
                f"brackets (e.g. [{value}, {value}] for a key of two)")
    return ""


def validate_mapping(
    model: type[M], data: dict[str, Any], *, source: str, base_dir: Path | None = None
) -> M:
    """Validate ``data`` against ``model``; raise :class:`ConfigError` naming every problem.

    Relative :data:`ConfigPath` values are resolved against ``base_dir``.
    """
    try:
        return model.model_validate(data, context={"base_dir": base_dir})
    except ValidationError as exc:
        places = data.places if isinstance(data, ConfigData) else None
        raise ConfigError(format_validation_error(exc, source, model, places,
                                                  data)) from None
