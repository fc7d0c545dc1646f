"""Fold-aware interpolation: surfaces from the label points rebuilt inside each CV fold.

A surface interpolated from the points that are also the labels (another column of the
label table, or a table sharing its sites) knows the value at every held-out site: scored
against it, a model looks better than it is. With ``model.fold_aware_interpolation`` such
a surface stays a feature, but each cross-validation fold re-interpolates it from the
points of its training side only (the points that fall in a test block, in a test cell
or within the buffer of a test cell are left out), for the training and the test rows
alike; the final model is fitted on the cube's surface, made from every point.

Public API::

    PointSurface(name=, method=, xy=, z=, power=, neighbours=, variogram=)
    surface_of(provenance, source, grid, name=) -> PointSurface
    held_out_points(points_xy, coords, test, resolution=, block_size=, buffer=) -> mask
    fold_features(X, coords, surfaces, splits, resolution=, block_size=, buffer=)
        -> one feature matrix per fold
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from scipy.spatial import cKDTree

from prospect.errors import ModelError

__all__ = ["PointSurface", "fold_features", "held_out_points", "surface_of"]

Method = Literal["idw", "kriging", "kriging_variance", "distance"]


@dataclass(frozen=True)
class PointSurface:
    """How one cube variable was made from a point table, to make it again from a subset.

    Attributes
    ----------
    name
        The cube variable (feature).
    method
        ``idw``, ``kriging`` (estimate), ``kriging_variance`` or ``distance`` (to the
        nearest point).
    xy
        ``(n, 2)`` points in the grid CRS (those with a value of the column).
    z
        The column's values (``None`` for ``distance``).
    power, neighbours, variogram
        The ingest settings of the surface.
    """

    name: str
    method: Method
    xy: np.ndarray
    z: np.ndarray | None = None
    power: float = 2.0
    neighbours: int = 16
    variogram: str = "spherical"

    def values(self, query: np.ndarray, keep: np.ndarray | None = None) -> np.ndarray:
        """The surface at ``query`` (``(m, 2)``) from the points ``keep`` (default: all)."""
        from prospect.ingest.surfaces import idw_estimate, kriging_estimate

        keep = np.ones(len(self.xy), bool) if keep is None else np.asarray(keep, bool)
        xy = self.xy[keep]
        need = 1 if self.method == "distance" else 3
        if len(xy) < need:
            raise ModelError(
                f"fold-aware interpolation of {self.name!r}: only {len(xy)} point(s) remain on "
                "the training side of a fold; use fewer folds or smaller blocks"
            )
        if self.method == "distance":
            dist, _ = cKDTree(xy).query(query, k=1)
            return np.asarray(dist, "f8")
        assert self.z is not None
        z = self.z[keep]
        if self.method == "idw":
            return idw_estimate(xy, z, query, power=self.power, neighbours=self.neighbours)
        from pykrige.ok import OrdinaryKriging

        model = OrdinaryKriging(xy[:, 0], xy[:, 1], z, variogram_model=self.variogram)
        return kriging_estimate(model, query, neighbours=self.neighbours,
                                variance=self.method == "kriging_variance")


def surface_of(provenance: Mapping[str, Any], source: Any, grid: Any, *,
               name: str) -> PointSurface:
    """The :class:`PointSurface` of cube variable ``name`` made by ingest from ``source``.

    Parameters
    ----------
    provenance
        The variable's provenance (``method``, ``column``, ``power``, ``neighbours``...).
    source
        The job's points source it names (a :class:`~prospect.config.sources.PointSource`).
    grid
        The region grid (points are read in its CRS, as ingest read them).

    Raises
    ------
    ModelError
        A surface that cannot be rebuilt per fold (not made from points).
    """
    from prospect.io.points import read_points, source_options

    method = str(provenance.get("method", ""))
    column = provenance.get("column")
    table = read_points(source.path, **source_options(source),
                        columns=[column] if column else [], to_crs=grid.crs)
    xy = np.column_stack([table.x, table.y])
    if method == "scipy cKDTree" and column is None:
        return PointSurface(name=name, method="distance", xy=xy)
    if column is None or method not in ("idw", "ordinary kriging (pykrige)"):
        raise ModelError(f"{name!r} was not interpolated from points ({method or 'no method'});"
                         " it cannot be rebuilt inside each fold")
    values = np.asarray(table.values[column], "f8")
    ok = np.isfinite(values)
    kind: Method = "idw" if method == "idw" else (
        "kriging_variance" if name.endswith("_variance") else "kriging")
    return PointSurface(name=name, method=kind, xy=xy[ok], z=values[ok],
                        power=float(provenance.get("power", 2.0)),
                        neighbours=int(provenance.get("neighbours", 16)),
                        variogram=str(provenance.get("variogram", "spherical")))


def held_out_points(
    points_xy: np.ndarray, coords: np.ndarray, test: np.ndarray, *, resolution: float,
    block_size: float | None = None, buffer: float = 0.0,
) -> np.ndarray:
    """Points a fold's training side must not see: True where held out.

    A point is held out when it lies in the cell of a test row, within ``buffer`` of a test
    row, or (spatial blocks of ``block_size``, with the origin :func:`assign_blocks` uses:
    the lowest row coordinates) in a block holding a test row.

    Parameters
    ----------
    points_xy
        ``(n, 2)`` point coordinates.
    coords
        ``(m, 2)`` cell centres of every training-set row.
    test
        Indices of the fold's test rows.
    resolution
        Cell size (CRS units).
    """
    points_xy = np.asarray(points_xy, "f8")
    coords = np.asarray(coords, "f8")
    out = np.zeros(len(points_xy), bool)
    if len(test) == 0 or len(points_xy) == 0:
        return out
    tc = coords[test]
    tree = cKDTree(tc)
    dist, _ = tree.query(points_xy, k=1, p=np.inf)
    out |= dist <= resolution / 2.0 * (1 + 1e-9)  # in a test row's cell
    if buffer > 0:
        dist, _ = tree.query(points_xy, k=1)
        out |= dist <= buffer
    if block_size:
        origin = coords.min(axis=0)
        test_blocks = {tuple(b) for b in np.floor((tc - origin) / block_size).astype("i8")}
        ij = np.floor((points_xy - origin) / block_size).astype("i8")
        out |= np.array([tuple(b) in test_blocks for b in ij], bool)
    return out


def fold_features(
    X: np.ndarray, coords: np.ndarray, surfaces: Mapping[int, PointSurface],
    splits: Sequence[tuple[np.ndarray, np.ndarray]], *, resolution: float,
    block_size: float | None = None, buffer: float = 0.0,
) -> list[np.ndarray]:
    """One feature matrix per fold, its surface columns rebuilt from training-side points.

    Parameters
    ----------
    X
        ``(m, n_features)`` rows with the cube's surfaces (made from every point).
    coords
        ``(m, 2)`` cell centres of the rows.
    surfaces
        Column index -> the surface in that column.
    splits
        ``(train, test)`` row indices per fold.
    resolution, block_size, buffer
        Cell size, and the spatial blocks and buffer of the CV scheme (``block_size``
        ``None`` for random folds).
    """
    out = []
    for _, test in splits:
        Xf = np.array(X, dtype=X.dtype, copy=True)
        for j, surface in surfaces.items():
            held = held_out_points(surface.xy, coords, test, resolution=resolution,
                                   block_size=block_size, buffer=buffer)
            values = surface.values(coords, keep=~held)
            missing = ~np.isfinite(X[:, j])
            Xf[:, j] = np.where(missing, np.nan, values)
        out.append(Xf)
    return out
