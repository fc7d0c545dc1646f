"""Which types a skops file may contain without the user listing them.

skops refuses to build any type it does not trust by default. Prospect trusts, in addition:

* classes (not functions) defined in scikit-learn (``sklearn.*``): the estimators Prospect
  trains and their internal tree/predictor types;
* classes defined in Prospect's own model package (``prospect.models.*``), e.g. weights of
  evidence and bagging PU learning.

A type is trusted only when its module path has one of those prefixes, runs through none
of the packages' test, build or opt-in modules (:data:`UNTRUSTED_PARTS`: ``tests``,
``conftest``, ``_testing``, ``experimental``, ...), *and* importing it yields a class;
every other type must be named by the user (``trusted=[...]`` or ``--trust``). The check
imports only modules under the trusted prefixes, and never one of those parts: a type path
is text the model file's author wrote, and importing ``sklearn.conftest`` or a test module
ran pytest's set-up and the tests' module code, and an ``experimental.enable_*`` module
changed what scikit-learn exports, before the file was refused or loaded.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Iterable, Sequence

__all__ = ["TRUSTED_PREFIXES", "UNTRUSTED_PARTS", "is_builtin_trusted", "missing_here",
           "split_untrusted"]

TRUSTED_PREFIXES: tuple[str, ...] = ("sklearn.", "prospect.models.")
UNTRUSTED_PARTS: frozenset[str] = frozenset({
    "tests", "test", "testing", "_testing", "conftest", "estimator_checks", "experimental",
    "externals", "__check_build", "_build_utils", "__main__", "setup", "_mocking"})
"""Module path parts under a trusted prefix that hold no estimator a model is made of:
test suites and their helpers, build checks and opt-in switches (importing one runs or
changes something). A part named ``test_*`` is one too."""


def is_builtin_trusted(type_path: str) -> bool:
    """True when ``type_path`` names a class under :data:`TRUSTED_PREFIXES`, in none of
    the :data:`UNTRUSTED_PARTS` (those are never imported)."""
    module_name = _safe_module(type_path)
    if module_name is None:  # never imported: not an estimator's module
        return False
    attr = type_path.rpartition(".")[2]
    try:
        module = importlib.import_module(module_name)
    except Exception:  # a module that fails as it is imported: not trusted
        return False
    obj = getattr(module, attr, None)
    return inspect.isclass(obj) and str(getattr(obj, "__module__", "")).startswith(
        TRUSTED_PREFIXES
    )


def _safe_module(type_path: str) -> str | None:
    """The module of ``type_path`` when it is under a trusted prefix and in none of the
    :data:`UNTRUSTED_PARTS` (so it may be imported), else ``None``."""
    if not type_path.startswith(TRUSTED_PREFIXES):
        return None
    module_name, _, attr = type_path.rpartition(".")
    if not module_name or not attr.isidentifier():
        return None
    parts = module_name.split(".")
    if not all(part.isidentifier() for part in parts) or any(
            part in UNTRUSTED_PARTS or part.startswith("test_") for part in parts):
        return None
    return module_name


def missing_here(type_path: str) -> bool:
    """True when ``type_path`` names a class of a trusted package (not one of its test or
    opt-in modules) that the installed package does not have: its module or the class is
    gone (``sklearn.ensemble.forest`` of scikit-learn before 0.22, a class a later release
    added). Such a model was saved with another version of the package; it is not an
    untrusted type."""
    module_name = _safe_module(type_path)
    if module_name is None:
        return False
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return True
    except Exception:  # a module that fails as it is imported: refused as untrusted
        return False
    return getattr(module, type_path.rpartition(".")[2], None) is None


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
