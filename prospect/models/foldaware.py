"""Fold-aware interpolation: surfaces from the label points rebuilt inside each CV fold.

A surface interpolated from the points that are also the labels (another column of the
label table, or a table sharing its sites) knows the value at every held-out site: scored
against it, a model looks better than it is. With ``model.fold_aware_interpolation`` such
a surface stays a feature, but each cross-validation fold re-interpolates it from the
points of its training side only (the points that fall in a test block, in a test cell
or within the buffer of a test cell are left out), for the training and the test rows
alike.

A training row never reads the points of its own cell (``own_cells``): a surface that
interpolates exactly (IDW, kriging without a nugget, the distance to the nearest point)
gave each training row the value of the very point that made its label (a positive's
distance to the nearest occurrence was 0, its grade surface its own grade), so the model
was fitted where the feature *is* the label, and learnt a cut that no unsampled cell, the
cells the map is for, ever meets (a nearly constant map away from the known sites). The
rows whose cell holds a point are dealt into :data:`OWN_CELL_GROUPS` groups and each
group reads the surface made without the points of its rows' cells (Sekulic et al. 2020
exclude a training observation from its own features the same way). The same rule holds
in every fold (:func:`fold_features`) and for the final model (:func:`fit_features`), so
the cross-validation measures the model the job saves.

Public API::

    PointSurface(name=, method=, xy=, z=, power=, neighbours=, variogram=)
    surface_of(provenance, source, grid, name=) -> PointSurface
    held_out_points(points_xy, coords, test, resolution=, block_size=, buffer=) -> mask
    fold_features(X, coords, surfaces, splits, resolution=, block_size=, buffer=,
                  own_cells=) -> one feature matrix per fold
    fit_features(X, coords, surfaces, resolution=) -> the final model's feature matrix
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from scipy.spatial import cKDTree

from prospect.errors import ModelError

__all__ = ["OWN_CELL_GROUPS", "PointSurface", "fit_features", "fold_features",
           "held_out_points", "own_cell_values", "surface_of"]

Method = Literal["idw", "kriging", "kriging_variance", "distance"]

OWN_CELL_GROUPS = 10
"""Groups the training rows whose cell holds a point are dealt into (:func:`own_cell_values`):
each group's surface is made once, without the points of its rows' cells, so a row also
misses the points of a tenth of the other such rows (one surface per row was exact, and
took a kriging fit per row: about 0.5 s each for 2 000 points)."""


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
    crs, ground
        The grid's CRS and the frame ingest measured the surface's distances in
        (:func:`~prospect.ingest.surfaces.ground_frame`: metres on the ground): an IDW or
        kriging surface of a region in degrees, and any surface of a projected region
        whose metres are not the ground's (Web Mercator); ``None`` where it measured in the
        grid's own coordinates (a distance layer of a region in degrees keeps degrees).
    """

    name: str
    method: Method
    xy: np.ndarray
    z: np.ndarray | None = None
    power: float = 2.0
    neighbours: int = 16
    variogram: str = "spherical"
    crs: str = ""
    ground: str | None = None

    def values(self, query: np.ndarray, keep: np.ndarray | None = None) -> np.ndarray:
        """The surface at ``query`` (``(m, 2)``) from the points ``keep`` (default: all)."""
        return self.values_without(query, keep, [None])[0]

    def values_without(self, query: np.ndarray, keep: np.ndarray | None,
                       without: Sequence[np.ndarray | None]) -> list[np.ndarray]:
        """The surface at ``query`` from the points ``keep`` less each mask of points in
        ``without`` in turn (``None``: none less), one array per mask.

        A kriging surface keeps the variogram fitted on ``keep`` for every mask (as a
        kriging cross-validation does): it is fitted once, not once per mask.
        """
        from prospect.geostats import settle_flat_variogram
        from prospect.ingest.surfaces import idw_estimate, kriging_estimate, to_ground

        keep = np.ones(len(self.xy), bool) if keep is None else np.asarray(keep, bool)
        points = self.xy
        if self.ground is not None:  # as ingest measured
            points = to_ground(self.xy, self.crs, self.ground)
            query = to_ground(np.asarray(query, "f8"), self.crs, self.ground)
        xy = points[keep]
        need = 1 if self.method == "distance" else 3
        subsets = [keep if drop is None else keep & ~np.asarray(drop, bool)
                   for drop in without]
        fewest = min(int(k.sum()) for k in subsets)
        if fewest < need:
            raise ModelError(
                f"fold-aware interpolation of {self.name!r}: only {fewest} point(s) remain on "
                "the training side of a fold; use fewer folds or smaller blocks"
            )
        if self.method == "distance":
            out = [np.asarray(cKDTree(points[k]).query(query, k=1)[0], "f8") for k in subsets]
        elif self.method == "idw":
            assert self.z is not None
            out = [idw_estimate(points[k], self.z[k], query, power=self.power,
                                neighbours=self.neighbours) for k in subsets]
        else:
            import copy

            from pykrige.ok import OrdinaryKriging

            assert self.z is not None
            model = OrdinaryKriging(xy[:, 0], xy[:, 1], self.z[keep],
                                    variogram_model=self.variogram)
            settle_flat_variogram(model)  # as the ingest's surface (one rule)
            out = []
            for k in subsets:
                local = copy.copy(model)  # the same variogram, the subset's points
                inside = k[keep]
                for attr in ("X_ORIG", "Y_ORIG", "X_ADJUSTED", "Y_ADJUSTED", "Z"):
                    setattr(local, attr, getattr(model, attr)[inside])
                out.append(kriging_estimate(local, query, neighbours=self.neighbours,
                                            variance=self.method == "kriging_variance"))
        return out


def ingested_points(source: Any, grid: Any) -> Any:
    """The points of ``source`` as ingest made its surfaces of them
    (:func:`prospect.ingest.surfaces.plan_points`): read in ``grid``'s CRS, longitudes
    about a region in degrees, without the points far outside the region that ingest
    left out (a longitude that lost its sign) where they would take part in a surface.

    The fold-aware rebuild kept those far points, and kriging fitted its variogram from
    them: each fold's feature was another surface than the cube's (off by 11 in a range of
    37 here). Ingest has warned of the points it dropped; they are not warned of again.

    Parameters
    ----------
    source
        The job's points source (a :class:`~prospect.config.sources.PointSource`).
    grid
        The region grid.

    Returns
    -------
    prospect.io.points.PointTable
        The points ingest interpolated or measured distances to.
    """
    import warnings

    from prospect.errors import DataWarning
    from prospect.ingest.surfaces import surface_points

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)  # said once, by ingest
        return surface_points(source, grid)


def _is_variance(name: str, source: str, column: str) -> bool:
    """Whether cube variable ``name`` of a kriged ``column`` is its kriging variance: named
    as ingest names it, the estimate's name and ``_variance`` (a column ``li_variance``
    has its estimate ``wells_li_variance``, which read as a variance by its ending)."""
    from prospect.ingest.surfaces import variable_name

    return name == f"{variable_name(source, column)}_variance"


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
    from prospect.ingest.surfaces import ground_frame

    method = str(provenance.get("method", ""))
    column = provenance.get("column")
    table = ingested_points(source, grid)
    xy = np.column_stack([table.x, table.y])
    # ingest's frame: a region in degrees measures distances to points in degrees and its
    # surfaces on the ground; a projected region whose metres are not the ground's (Web
    # Mercator) measures both on the ground (its settings' ``distances`` say so)
    ground = ground_frame(grid) if provenance.get("distances") else None
    if method == "scipy cKDTree" and column is None:
        return PointSurface(name=name, method="distance", xy=xy, crs=str(grid.crs),
                            ground=ground)
    if column is None or method not in ("idw", "ordinary kriging (pykrige)"):
        raise ModelError(f"{name!r} was not interpolated from points ({method or 'no method'});"
                         " it cannot be rebuilt inside each fold")
    values = np.asarray(table.values[column], "f8")
    ok = np.isfinite(values)
    kind: Method = "idw" if method == "idw" else (
        "kriging_variance" if _is_variance(name, source.name, str(column)) else "kriging")
    xy, values = xy[ok], values[ok]
    if kind != "idw":  # kriging cannot take two values at one place: ingest averaged them,
        # and the records within a metre of each other (one place, as ingest's warning says)
        from prospect.geostats import merge_coincident
        from prospect.ingest.surfaces import place_labels

        xy, values, _ = merge_coincident(xy, values, places=place_labels(xy, grid))
    return PointSurface(name=name, method=kind, xy=xy, z=values,
                        power=float(provenance.get("power", 2.0)),
                        neighbours=int(provenance.get("neighbours", 16)),
                        variogram=str(provenance.get("variogram", "spherical")),
                        crs=str(grid.crs), ground=ground)


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


def own_cell_values(
    surface: PointSurface, coords: np.ndarray, values: np.ndarray, *, keep: np.ndarray,
    resolution: float, groups: int = OWN_CELL_GROUPS,
) -> np.ndarray:
    """``values`` (the surface at ``coords`` from the points ``keep``) where each row whose
    cell holds one of those points reads the surface made without them instead.

    Such rows are dealt into ``groups`` groups in the order of their coordinates (x, then
    y: the rows of a group lie spread over the area, not side by side); a group's surface
    is made from the points ``keep`` less those in the cells of its rows.

    Parameters
    ----------
    surface
        The point surface.
    coords
        ``(m, 2)`` cell centres of the rows.
    values
        ``(m,)`` the surface at ``coords`` from the points ``keep``.
    keep
        The points the surface is made of (a fold's training side, or every point).
    resolution
        Cell size (CRS units): a point lies in a row's cell within half of it (as in
        :func:`held_out_points`).
    groups
        How many surfaces are made for the rows with a point (at most one per row).

    Returns
    -------
    numpy.ndarray
        A copy of ``values`` with those rows replaced.
    """
    coords = np.asarray(coords, "f8")
    out = np.array(values, dtype="f8", copy=True)
    keep = np.asarray(keep, bool)
    kept = np.flatnonzero(keep)
    if kept.size == 0 or len(coords) == 0:
        return out
    dist, row = cKDTree(coords).query(surface.xy[kept], k=1, p=np.inf)
    inside = dist <= resolution / 2.0 * (1 + 1e-9)
    if not inside.any():
        return out
    point_row = np.full(len(surface.xy), -1, dtype="i8")
    point_row[kept[inside]] = row[inside]
    sited = np.unique(row[inside])
    order = sited[np.lexsort((coords[sited, 1], coords[sited, 0]))]
    n = min(int(groups), order.size)
    dealt = [order[g::n] for g in range(n)]
    found = surface.values_without(coords[order], keep,
                                   [np.isin(point_row, rows) for rows in dealt])
    at = {int(r): i for i, r in enumerate(order)}
    for rows, values_g in zip(dealt, found, strict=True):
        out[rows] = np.asarray(values_g)[[at[int(r)] for r in rows]]
    return out


def fit_features(
    X: np.ndarray, coords: np.ndarray, surfaces: Mapping[int, PointSurface], *,
    resolution: float, groups: int = OWN_CELL_GROUPS,
) -> np.ndarray:
    """The final model's feature matrix: ``X`` with each surface column read, at the rows
    whose cell holds a point, without the points of their own cell
    (:func:`own_cell_values`), as the training rows of every fold read it.

    Parameters
    ----------
    X
        ``(m, n_features)`` rows with the cube's surfaces (made from every point).
    coords
        ``(m, 2)`` cell centres of the rows.
    surfaces
        Column index -> the surface in that column.
    resolution
        Cell size (CRS units).
    groups
        As :func:`own_cell_values`.
    """
    out = np.array(X, dtype=X.dtype, copy=True)
    for j, surface in surfaces.items():
        values = own_cell_values(surface, coords, X[:, j], keep=np.ones(len(surface.xy), bool),
                                 resolution=resolution, groups=groups)
        out[:, j] = np.where(np.isfinite(X[:, j]), values, np.nan)
    return out


def fold_features(
    X: np.ndarray, coords: np.ndarray, surfaces: Mapping[int, PointSurface],
    splits: Sequence[tuple[np.ndarray, np.ndarray]], *, resolution: float,
    block_size: float | None = None, buffer: float = 0.0, own_cells: bool = True,
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
    own_cells
        Training rows whose cell holds a training-side point read the surface without it
        (:func:`own_cell_values`), as the final model's rows do (:func:`fit_features`);
        the test rows' own points are held out anyway. On by default (the train stage's
        reading); ``False`` gives every training row the surface of all training-side
        points, its own included (distance 0 at each positive: a leak the CV folds share).
    """
    out = []
    for _, test in splits:
        Xf = np.array(X, dtype=X.dtype, copy=True)
        for j, surface in surfaces.items():
            held = held_out_points(surface.xy, coords, test, resolution=resolution,
                                   block_size=block_size, buffer=buffer)
            values = surface.values(coords, keep=~held)
            if own_cells:
                values = own_cell_values(surface, coords, values, keep=~held,
                                         resolution=resolution)
            missing = ~np.isfinite(X[:, j])
            Xf[:, j] = np.where(missing, np.nan, values)
        out.append(Xf)
    return out
