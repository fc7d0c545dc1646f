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

from prospect.errors import SecurityError

__all__ = ["NAME_PATTERN", "RESERVED_VERSIONS", "ascii_form", "check_name",
           "check_new_version", "check_version"]

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.+-]{0,99}$"
_NAME_RE = re.compile(NAME_PATTERN)
RESERVED_VERSIONS: tuple[str, ...] = ("latest",)
"""Words every command reads as a version of its own (``-v latest``: the newest one)."""


def _check(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise SecurityError(f"model {what} must be text, got {type(value).__name__}")
    bare = value.rstrip("/\\")
    if bare != value and _NAME_RE.fullmatch(bare) and ".." not in bare:
        raise SecurityError(  # it was told to publish a model already in the registry
            f"model {what} {value!r} ends in {value[len(bare):]!r}, as shell completion "
            f"of a folder of the registry writes it; give the {what} without it: {bare!r}")
    if not _NAME_RE.fullmatch(value) or ".." in value:
        place = _looks_like_a_place(value)
        form = None if place else ascii_form(value)
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


def ascii_form(value: str) -> str | None:
    """The name or version label :func:`check_name` accepts nearest to ``value``: accents
    taken off (``mô-hình`` -> ``mo-hinh``, ``đất`` -> ``dat``), each run of other
    characters (spaces, ``@``, ``/``) made one ``-``; ``None`` where nothing is left or
    ``value`` is already a name.

    A name in a partner's language (``đất-hiếm``, ``lítio-bonaire``) was refused as not
    made of "letters", which it is, with no word of the ASCII form that is taken.
    """
    plain = "".join(_SPELLED.get(c, c) for c in unicodedata.normalize("NFKD", value)
                    if not unicodedata.combining(c))
    fitted = re.sub(r"[^A-Za-z0-9_.+-]+", "-", plain)
    fitted = re.sub(r"\.{2,}", ".", fitted)
    fitted = re.sub(r"^[^A-Za-z0-9]+", "", fitted)[:100].rstrip("-_.+")
    if fitted == value or not _NAME_RE.fullmatch(fitted):
        return None
    return fitted


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


def check_name(name: object) -> str:
    """Return ``name`` when it is a safe model name, else raise :class:`SecurityError`."""
    return _check(name, "name")


def check_version(version: object) -> str:
    """Return ``version`` when it is a safe version label, else raise :class:`SecurityError`."""
    return _check(version, "version")


def check_new_version(version: object) -> str:
    """:func:`check_version`, and not a reserved word: a version published as ``latest``
    could never be asked for (``-v latest`` means the newest version)."""
    checked = check_version(version)
    if checked.casefold() in RESERVED_VERSIONS:
        raise SecurityError(
            f"model version {checked!r} is refused: {'/'.join(RESERVED_VERSIONS)} names the "
            "newest version in every command, so this one could never be asked for; choose "
            "another label (e.g. a number or a date)"
        )
    return checked
