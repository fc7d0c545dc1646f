"""Lazy re-exports for a package facade (PEP 562).

``prospect.models`` and ``prospect.registry`` re-export their modules' public names; each
module is imported on first use of one of its names, so ``import prospect.registry.units``
(which the screening reads) costs only its own imports, not scikit-learn's.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(package: str, exports: Mapping[str, tuple[str, ...]]
                 ) -> tuple[Callable[[str], Any], Callable[[], list[str]], dict[str, str]]:
    """A package's module ``__getattr__`` and ``__dir__`` for names re-exported lazily.

    Parameters
    ----------
    package
        The package's ``__name__``.
    exports
        Module -> the public names the package re-exports from it.

    Returns
    -------
    tuple
        ``(__getattr__, __dir__, where)``: ``where`` maps each name to its module.
    """
    where = {name: module for module, names in exports.items() for name in names}
    namespace = sys.modules[package].__dict__

    def __getattr__(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value  # imported once: later lookups find it directly
        return value

    def __dir__() -> list[str]:
        return sorted({*namespace, *where})

    return __getattr__, __dir__, where
