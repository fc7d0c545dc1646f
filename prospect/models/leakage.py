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

import numpy as np
import xarray as xr

from prospect.models.metrics import percent
from prospect.provenance import read_provenance

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
    holding a label record ("sharing its sites within one cell"), or holding at least
    ``shared_share`` of the label records at their very coordinates (a copy of the label
    table padded with other points).

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
    by_name = {s.name: s for s in sources}
    labels_path = Path(labels.path).resolve()
    label_xy: np.ndarray | None = None
    reasons: dict[str, str | None] = {}
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
            reason: str | None = "it is made from the labels' own source"
        elif Path(src.path).resolve() == labels_path:
            reason = f"its source reads the labels' file {labels.path}"
        else:
            if src.name not in reasons:
                if label_xy is None:
                    label_xy = _grid_points(labels, grid)
                reasons[src.name] = _shared_sites(label_xy, _grid_points(src, grid), grid,
                                                  shared_share)
            reason = reasons[src.name]
        if reason is None:
            continue
        out.append(LabelSurface(variable=name, source=src.name, reason=reason,
                                provenance=prov))
    return out


def _grid_points(source: Any, grid: Any) -> np.ndarray:
    """``(n, 2)`` coordinates of a points source's records inside the grid (grid CRS)."""
    from prospect.ingest.surfaces import around_region
    from prospect.io.points import read_points, source_options

    # longitudes about the region, as ingest placed them (wells east of 180 in a region
    # across it, a table on 0..360: they were left out, and a shared site went unseen)
    t = around_region(read_points(source.path, **source_options(source), to_crs=grid.crs),
                      grid)
    x, y = np.asarray(t.x, "f8"), np.asarray(t.y, "f8")
    r, c = grid.rowcol(x, y, closed=True)  # a point on the east/south edge is in
    ok = grid.contains(r, c)
    return np.column_stack([x[ok], y[ok]])


def _shared_sites(labels: np.ndarray, table: np.ndarray, grid: Any, share: float
                  ) -> str | None:
    """Why a table's surface holds the labels' information, or ``None``: at least ``share``
    of its points lie in cells holding a label record, or at least ``share`` of the label
    records lie at one of its points (the same coordinates, to a thousandth of a cell: a
    copy of the label table padded with other points, which diluted the first share
    below the threshold while the surface still passed through every label site)."""
    if not len(table) or not len(labels):
        return None

    def cells(xy: np.ndarray) -> np.ndarray:
        r, c = grid.rowcol(xy[:, 0], xy[:, 1], closed=True)
        return np.asarray(r, "i8") * grid.width + np.asarray(c, "i8")

    in_label_cells = float(np.isin(cells(table), cells(labels)).mean())
    if in_label_cells >= share:
        return f"{percent(in_label_cells, 0)}% of its points share a cell with a label record"
    from scipy.spatial import cKDTree

    dist, _ = cKDTree(table).query(labels, k=1)
    at_sites = float((dist <= 1e-3 * grid.resolution).mean())
    if at_sites >= share:
        return (f"{percent(at_sites, 0)}% of the label records lie at one of its points (its "
                "other points do not make it another survey)")
    return None


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
