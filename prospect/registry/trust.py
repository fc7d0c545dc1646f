"""Which types a skops file may contain without the user listing them.

skops refuses to build any type it does not trust by default. Prospect trusts, in addition:

* classes (not functions) defined in scikit-learn (``sklearn.*``): the estimators Prospect
  trains and their internal tree/predictor types;
* classes defined in Prospect's own model package (``prospect.models.*``), e.g. weights of
  evidence and bagging PU learning.

A type is trusted only when its module path has one of those prefixes *and* importing it
yields a class; every other type must be named by the user (``trusted=[...]`` or
``--trust``). The check imports only modules under the trusted prefixes.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Iterable, Sequence

__all__ = ["TRUSTED_PREFIXES", "is_builtin_trusted", "split_untrusted"]

TRUSTED_PREFIXES: tuple[str, ...] = ("sklearn.", "prospect.models.")


def is_builtin_trusted(type_path: str) -> bool:
    """True when ``type_path`` names a class under :data:`TRUSTED_PREFIXES`."""
    if not type_path.startswith(TRUSTED_PREFIXES):
        return False
    module_name, _, attr = type_path.rpartition(".")
    if not module_name or not attr.isidentifier():
        return False
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return False
    obj = getattr(module, attr, None)
    return inspect.isclass(obj) and str(getattr(obj, "__module__", "")).startswith(
        TRUSTED_PREFIXES
    )


def split_untrusted(
    untrusted: Iterable[str], *, trusted: Sequence[str] | None = None
) -> tuple[list[str], list[str]]:
    """Split the types skops reports as untrusted into (accepted, refused).

    Parameters
    ----------
    untrusted
        Type paths from :func:`skops.io.get_untrusted_types`.
    trusted
        Extra type paths the user trusts explicitly.
    """
    extra = set(trusted or ())
    accepted: list[str] = []
    refused: list[str] = []
    for type_path in untrusted:
        (accepted if type_path in extra or is_builtin_trusted(type_path) else refused).append(
            type_path
        )
    return accepted, refused
