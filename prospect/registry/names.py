"""Model names and versions that are safe to use as path components.

A name or a version becomes one directory level of a registry (``<registry>/<name>/<version>/``)
that may live on a local disk or behind an fsspec URL. Only a conservative alphabet is
accepted, so nothing a user types can climb out of the registry (``../x``, ``/etc``,
``..\\x``, ``C:x``, NUL bytes, URL schemes) or collide with the registry's own staging
entries (which start with a dot).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from prospect.errors import SecurityError

__all__ = ["NAME_PATTERN", "RESERVED_VERSIONS", "ascii_form", "check_name",
           "check_new_version", "check_version", "free_form"]

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.+-]{0,99}$"
_NAME_RE = re.compile(NAME_PATTERN)
RESERVED_VERSIONS: tuple[str, ...] = ("latest",)
"""Words every command reads as a version of its own (``-v latest``: the newest one)."""


def _check(value: object, what: str, taken: Iterable[str] = ()) -> str:
    if not isinstance(value, str):
        raise SecurityError(f"model {what} must be text, got {type(value).__name__}")
    bare = value.rstrip("/\\")
    if bare != value and _NAME_RE.fullmatch(bare) and ".." not in bare:
        raise SecurityError(  # it was told to publish a model already in the registry
            f"model {what} {value!r} ends in {value[len(bare):]!r}, as shell completion "
            f"of a folder of the registry writes it; give the {what} without it: {bare!r}")
    if not _NAME_RE.fullmatch(value) or ".." in value:
        place = _looks_like_a_place(value)
        form = None if place else ascii_form(value, taken=taken)
        raise SecurityError(
            f"model {what} {value!r} is refused: use 1-100 ASCII letters (A-Z, a-z), "
            "digits, '_', '-', '+' or '.', starting with a letter or digit, and no '..' "
            "(no spaces or accented letters; no slashes, backslashes, drive letters or "
            "absolute paths)" + (f": e.g. {form!r}" if form else "")
            + (_PATH_HINT if what == "name" and place else "")
        )
    return value


_SPELLED: dict[str, str] = {
    "đ": "d", "Đ": "D", "ð": "d", "Ð": "D", "ø": "o", "Ø": "O", "ł": "l", "Ł": "L",
    "ß": "ss", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "þ": "th", "Þ": "Th", "ı": "i",
}
"""Letters that Unicode does not decompose into an ASCII letter and a mark (Vietnamese
``đ``, Danish ``ø``, Polish ``ł``, German ``ß``...), spelled as their languages write them
in ASCII."""


def ascii_form(value: str, *, taken: Iterable[str] = ()) -> str | None:
    """The name or version label :func:`check_name` accepts nearest to ``value``: accents
    taken off (``mô-hình`` -> ``mo-hinh``, ``đất`` -> ``dat``), each run of other
    characters (spaces, ``@``, ``/``) made one ``-``; ``None`` where nothing is left or
    ``value`` is already a name. A form that one of ``taken`` (the registry's names, or a
    model's version labels) already holds, in any case, gets a number
    (:func:`free_form`: ``dat-hiem-2``).

    A name in a partner's language (``đất-hiếm``, ``lítio-bonaire``) was refused as not
    made of "letters", which it is, with no word of the ASCII form that is taken; and a
    form that was another model's name (``dat-hiem`` beside ``đất-hiếm``) led the import
    it was given to publish the next version of that other model.
    """
    plain = "".join(_SPELLED.get(c, c) for c in unicodedata.normalize("NFKD", value)
                    if not unicodedata.combining(c))
    fitted = re.sub(r"[^A-Za-z0-9_.+-]+", "-", plain)
    fitted = re.sub(r"\.{2,}", ".", fitted)
    fitted = re.sub(r"^[^A-Za-z0-9]+", "", fitted)[:100].rstrip("-_.+")
    if fitted == value or not _NAME_RE.fullmatch(fitted):
        return None
    return free_form(fitted, taken)


def free_form(form: str, taken: Iterable[str]) -> str:
    """``form``, or where one of ``taken`` is it in any case (one folder on macOS and
    Windows disks) the first of ``form-2``, ``form-3``, ... that none is.

    Parameters
    ----------
    form : str
        A name or version label :func:`check_name` accepts.
    taken : iterable of str
        The entries already there (a registry's model folders, a model's versions).

    Returns
    -------
    str
        A name or label of at most 100 characters that no entry of ``taken`` holds.
    """
    held = {entry.casefold() for entry in taken}
    candidate, number = form, 1
    while candidate.casefold() in held:
        number += 1
        tail = f"-{number}"
        candidate = form[:100 - len(tail)].rstrip("-_.+") + tail
    return candidate


_PATH_HINT = ("; if it is a model folder or URL (the 'model' folder 'prospect train' "
              "writes): every command but 'model import' takes a registry's model by name, "
              "so publish it first with 'prospect model import <folder or URL> --name "
              "<name>' (and -r <registry>), then give that name")
"""What a refused name that is a path or URL is told: a user scoring the model folder
``prospect train`` wrote (``out/model``) met only the alphabet of names."""


def _looks_like_a_place(value: str) -> bool:
    """Whether a refused name is a path or URL (a separator, a scheme, a drive)."""
    return "/" in value or "\\" in value or "://" in value or \
        bool(re.match(r"^[A-Za-z]:", value))


def check_name(name: object, *, taken: Iterable[str] = ()) -> str:
    """Return ``name`` when it is a safe model name, else raise :class:`SecurityError`
    (giving its ASCII form, one that none of ``taken`` holds: :func:`ascii_form`)."""
    return _check(name, "name", taken)


def check_version(version: object, *, taken: Iterable[str] = ()) -> str:
    """Return ``version`` when it is a safe version label, else raise :class:`SecurityError`
    (giving its ASCII form, one that none of ``taken`` holds)."""
    return _check(version, "version", taken)


def check_new_version(version: object, *, taken: Iterable[str] = ()) -> str:
    """:func:`check_version`, and not a reserved word: a version published as ``latest``
    could never be asked for (``-v latest`` means the newest version)."""
    checked = check_version(version, taken=taken)
    if checked.casefold() in RESERVED_VERSIONS:
        raise SecurityError(
            f"model version {checked!r} is refused: {'/'.join(RESERVED_VERSIONS)} names the "
            "newest version in every command, so this one could never be asked for; choose "
            "another label (e.g. a number or a date)"
        )
    return checked
