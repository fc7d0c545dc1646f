"""Leakage checks: features that would let a model see its own labels.

A surface interpolated from the labels file's grade column (under any source name) holds
the target itself; it must never be a feature.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import xarray as xr

from prospect.io.cube import read_provenance

__all__ = ["leaks_grade"]


def leaks_grade(var: xr.DataArray, *, value_column: str | None, labels_path: Any) -> bool:
    """True for a surface of the grade column ``value_column`` made from the labels file.

    Parameters
    ----------
    var
        A cube variable; its JSON ``provenance`` attribute names the column and the point
        files it was interpolated from.
    value_column
        The labels' grade column (``None``: no grade, nothing can leak through it).
    labels_path
        The labels file.
    """
    if value_column is None:
        return False
    prov = read_provenance(var.attrs.get("provenance"))
    if prov.get("column") != value_column:
        return False
    labels = str(Path(labels_path).resolve())
    sources = prov.get("sources") or {}
    return any(str(Path(p).resolve()) == labels for p in sources)
