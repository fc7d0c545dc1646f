"""Limits a user sets through the environment, read one way.

``PROSPECT_MAX_CELLS``, ``PROSPECT_MAX_SOURCES`` and ``PROSPECT_MAX_BLOCK_BYTES`` each
cap something: unset or blank means the default; anything but a whole number above zero
is refused naming the variable, its value, the default and how to unset it (a limit of
-5 cells read "over the limit of -5", a limit of 0 refused every job for its size).
"""

from __future__ import annotations

import os

from prospect.errors import ProspectError


def positive_limit(name: str, default: int, what: str, error: type[ProspectError]) -> int:
    """The whole number above zero ``$name`` holds, or ``default`` when unset or blank.

    Parameters
    ----------
    name
        The environment variable (``PROSPECT_MAX_CELLS``).
    default
        The limit when the variable is unset or blank.
    what
        What the limit counts, for the refusal (``"cells a variable may hold"``).
    error
        The error class to raise (the caller's: a grid's, a config's).

    Raises
    ------
    ProspectError
        ``error``, when the value is not a whole number above zero.
    """
    value = os.environ.get(name, "")
    if not value.strip():
        return default
    try:
        limit = int(value.strip().replace("_", ""))
    except ValueError:
        limit = 0
    if limit < 1:
        raise error(f"{name}={value!r} is no whole number above 0; set it to the most "
                    f"{what} (default {default}), or unset it")
    return limit
