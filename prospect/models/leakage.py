"""Leakage checks: features that would let a model see its own labels.

A surface interpolated from the labels file's grade column (under any source name) holds
the target itself; it must never be a feature. More generally, a surface made from the
label points (any column of the label table, the distance to them, or a table sharing
their sites) knows each held-out site's value: it is refused as a feature unless the
model asks for fold-aware interpolation (:mod:`prospect.models.foldaware`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import xarray as xr

from prospect.io.cube import read_provenance

__all__ = ["LabelSurface", "label_surfaces", "leaks_grade", "refuse_label_surfaces"]


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


@dataclass(frozen=True)
class LabelSurface:
    """A cube variable made from the label points, or from a table sharing their sites.

    Attributes
    ----------
    variable
        The cube variable.
    source
        The points source it was made from.
    reason
        Why it holds the labels' information (same file, same source, shared sites).
    provenance
        Its provenance (method, column, settings), to rebuild it per fold.
    """

    variable: str
    source: str
    reason: str
    provenance: dict[str, Any]


POINT_METHODS = ("idw", "ordinary kriging (pykrige)", "scipy cKDTree")


def _provenance(var: xr.DataArray) -> dict[str, Any]:
    # a damaged attribute (not text, not a JSON object) reads as none
    prov = read_provenance(var.attrs.get("provenance"))
    return {} if set(prov) == {"text"} else prov


def label_surfaces(
    ds: xr.Dataset, variables: Sequence[str], *, sources: Sequence[Any], labels: Any,
    grid: Any, shared_share: float = 0.5,
) -> list[LabelSurface]:
    """The ``variables`` made from the label points (a feature that would see its label).

    A variable is one when ingest made it from a points source (IDW, kriging or the
    distance to the points) and that source is the labels' source, reads the labels'
    file, or is another table at least ``shared_share`` of whose points lie in cells
    holding a label record ("sharing its sites within one cell").

    Parameters
    ----------
    ds
        The cube.
    variables
        Candidate feature variables.
    sources
        The job's sources.
    labels
        The labels' points source.
    grid
        The region grid (cells for shared sites).
    """
    from prospect.io.points import read_points, source_options

    by_name = {s.name: s for s in sources}
    labels_path = Path(labels.path).resolve()
    label_cells: set[int] | None = None
    shared: dict[str, float] = {}
    out = []
    for name in variables:
        if name not in ds:
            continue
        prov = _provenance(ds[name])
        src = by_name.get(prov.get("source"))
        if src is None or getattr(src, "kind", None) != "points" or \
                prov.get("method") not in POINT_METHODS:
            continue
        if src.name == labels.name:
            reason = "it is made from the labels' own source"
        elif Path(src.path).resolve() == labels_path:
            reason = f"its source reads the labels' file {labels.path}"
        else:
            if src.name not in shared:
                if label_cells is None:
                    t = read_points(labels.path, **source_options(labels), to_crs=grid.crs)
                    r, c = grid.rowcol(t.x, t.y)
                    ok = grid.contains(r, c)
                    label_cells = set((r[ok] * grid.width + c[ok]).tolist())
                t = read_points(src.path, **source_options(src), to_crs=grid.crs)
                r, c = grid.rowcol(t.x, t.y)
                ok = grid.contains(r, c)
                cells = (r[ok] * grid.width + c[ok]).tolist()
                shared[src.name] = (sum(cell in label_cells for cell in cells) / len(cells)
                                    if cells else 0.0)
            if shared[src.name] < shared_share:
                continue
            reason = (f"{shared[src.name]:.0%} of its points share a cell with a label "
                      "record")
        out.append(LabelSurface(variable=name, source=src.name, reason=reason,
                                provenance=prov))
    return out


def refuse_label_surfaces(found: Sequence[LabelSurface], *, labels_source: str) -> None:
    """A :class:`~prospect.errors.ConfigError` naming the first leaking feature and the
    labels, with the two ways out."""
    from prospect.errors import ConfigError

    if not found:
        return
    f = found[0]
    more = f" (and {len(found) - 1} more: {[g.variable for g in found[1:]]})" \
        if len(found) > 1 else ""
    raise ConfigError(
        f"model.features: {f.variable!r} is interpolated from points source {f.source!r}, "
        f"the same points as the labels {labels_source!r} ({f.reason}){more}; a model "
        "validated on it sees its own labels. Drop it from model.features, or set "
        "model.fold_aware_interpolation: true to re-interpolate it inside each CV fold"
    )
