"""Vector geology: unit polygons -> categorical codes, contacts and faults -> distances.

The code table is fixed at planning time (sorted unit names -> 0..n-1). A chunk reads only
the polygons that meet it (a bbox filter in the file's CRS) and rasterises them with
``rasterio.features``. Distances are exact distances from cell centres to the contact or
fault lines, so chunk edges carry no artefacts; the lines are built once per worker process
and cached. They are computed block by block with numpy (:func:`segment_distances`): GEOS's
own point-to-segment formula over the segments that can be nearest to a block of cells,
which gives the very numbers of a shapely ``STRtree.query_nearest`` per cell (the method
before, kept for lines that are not plain line strings) without one GEOS point per cell.
"""

from __future__ import annotations

import difflib
import functools
import json
import re
import unicodedata
import warnings
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any, ClassVar

import numpy as np
import shapely
from pyproj import Transformer
from rasterio.features import rasterize

from prospect.config.sources import VectorSource
from prospect.errors import CRSError, DataError, DataWarning
from prospect.grid import ChunkWindow, RegionGrid, check_transformable, parse_crs
from prospect.ingest.layers import Layer, distance_units
from prospect.io.geoparquet import other_geometry_hint
from prospect.io.remote import NetworkReadError, read_as_planned
from prospect.io.vector import (
    Units,
    burnable,
    column_alias_hint,
    column_domain,
    crs_replaced_message,
    dataset_files,
    domains_message,
    field_named,
    file_version,
    gdal_said_message,
    geojson_crs_link,
    has_geometry,
    layer_crs,
    layer_fields,
    layer_info,
    list_layers,
    map_layers,
    meant_crs_fix,
    near_column,
    no_geometry_message,
    not_lonlat_hint,
    read_units,
    read_vector,
    recoded_message,
    refuse_partial_prj,
    remote_reads,
    repaired_message,
    reproject,
    reproject_geometry,
    retyped_message,
    stale_index_message,
    stored_in_index_order,
    surfaces_message,
    unit_name,
)

__all__ = ["GeologyCodesLayer", "LineDistanceLayer", "as_drawn", "contact_lines", "plan_vector"]


def _source_crs(path: str, layer: str | None, crs: str | None,
                grid: RegionGrid | None = None) -> str:
    """The WKT of a layer's CRS (:func:`~prospect.io.vector.layer_crs`); ``grid``: the
    region, offered as the CRS of a file that states none whose coordinates lie in it."""
    return layer_crs(path, layer=layer, crs=crs, region=grid)


def _states_crs(path: str, layer: str | None, crs: str | None) -> bool:
    """Whether ``layer`` states ``crs`` as its own CRS (a config's ``crs:`` restating it)."""
    if crs is None:
        return False
    try:  # (a CRS of the file's that PROJ cannot read is the config's crs: to replace)
        own = layer_info(path, layer=layer).get("crs")
        return own is not None and parse_crs(own) == parse_crs(crs)
    except NetworkReadError:  # not waited out again by each later look
        raise
    except Exception:
        return False


def _bbox_in(grid: RegionGrid, window: ChunkWindow | None, crs_wkt: str, pad: float = 0.0
             ) -> tuple[float, float, float, float]:
    if window is None:
        left, bottom, right, top = grid.bounds
    else:
        t = grid.window_transform(window)
        h, w = window.shape
        left, top = t.c, t.f
        right, bottom = left + w * grid.resolution, top - h * grid.resolution
    tr = Transformer.from_crs(grid.crs_obj, parse_crs(crs_wkt), always_xy=True)
    b = tr.transform_bounds(left - pad, bottom - pad, right + pad, top + pad, densify_pts=21)
    return (float(b[0]), float(b[1]), float(b[2]), float(b[3]))


@dataclass(frozen=True, kw_only=True)
class GeologyCodesLayer(Layer):
    """Unit polygons rasterised to int16 codes (-1 where no polygon), with a code table;
    int32 codes for a map of more than 32 767 units (they never wrap)."""

    cost: ClassVar[float] = 2.0

    path: str
    layer: str | None
    attribute: str
    crs: str | None
    codes: tuple[str, ...]
    dtype: str = "int16"
    fill_value: float = -1
    priority: str | None = None
    """The source's ``priority`` column: features are drawn in its order, the higher on top
    (:func:`by_priority`); ``None``: in file order."""
    gdal_options: tuple[tuple[str, str | int], ...] = ()
    """GDAL's HTTP settings of the source's ``remote:`` for a map read over a network
    (:func:`~prospect.io.vector.remote_reads`); empty for a local file."""
    versions: tuple[tuple[str, str], ...] = ()
    """The map read over a network, with the version its server stated when planned
    (:func:`~prospect.io.remote.network_version`): a task of a worker that kept an earlier
    version (a cluster that outlives a run) drops it first
    (:func:`~prospect.io.remote.read_as_planned`)."""

    def extra_attrs(self) -> dict[str, object]:
        """The code table: ``categories`` (JSON code -> unit) and CF flag attributes.

        ``flag_meanings`` is one word per code (CF: blank-separated): every blank of a
        name, a no-break or tab as well as a space, is an underscore. A name with a
        no-break space (copied from a spreadsheet) was two words, so the meanings no
        longer paired with the codes and readers of them (the tile server's legend)
        took the map for one of values."""
        return {
            "categories": json.dumps({str(i): u for i, u in enumerate(self.codes)}),
            "flag_values": list(range(len(self.codes))),
            "flag_meanings": " ".join(flag_word(u) for u in self.codes),
        }

    def compute(self, grid: RegionGrid, window: ChunkWindow) -> np.ndarray:
        """Rasterise the polygons meeting the chunk (cell centre inside polygon)."""
        if self.versions:
            read_as_planned(self.versions)
        with remote_reads(self.gdal_options):
            return self._compute(grid, window)

    def _compute(self, grid: RegionGrid, window: ChunkWindow) -> np.ndarray:
        src_crs = _source_crs(self.path, self.layer, self.crs)
        gdf = by_priority(read_vector(
            self.path, layer=self.layer, columns=unit_columns(self.attribute, self.priority),
            crs=self.crs, bbox=_bbox_in(grid, window, src_crs),
            domains=unit_domains(self.attribute)), self.priority)
        out = np.full(window.shape, -1, dtype=self.dtype)
        if gdf.empty:
            return out
        gdf = reproject(gdf, grid.crs_obj)  # each edge as drawn, not its chord
        lookup = {u: i for i, u in enumerate(self.codes)}
        shapes = [  # (as mappings: shapely's are made a vertex at a time)
            (burnable(geom), lookup[unit_name(v)])
            for geom, v in zip(polygonal_parts(gdf.geometry.to_numpy()), gdf[self.attribute],
                               strict=True)
            if geom is not None and not geom.is_empty
        ]
        if shapes:
            rasterize(shapes, out_shape=window.shape, transform=grid.window_transform(window),
                      out=out, fill=-1, dtype=self.dtype)
        return out


def flag_word(unit: str) -> str:
    """A unit name as one word of CF ``flag_meanings``: each blank (``str.isspace``) an
    underscore, ``_`` for no name."""
    return "".join("_" if c.isspace() else c for c in unit) or "_"


_POLYGONAL = (3, 6)  # Polygon, MultiPolygon


def _mixed(geoms: np.ndarray) -> np.ndarray:
    """Which geometries are collections holding polygons beside lines or points."""
    mixed = np.zeros(len(geoms), dtype=bool)
    for i in np.flatnonzero(shapely.get_type_id(geoms) == 7):  # GeometryCollection
        kinds = shapely.get_type_id(shapely.get_parts(geoms[i]))
        mixed[i] = np.isin(kinds, _POLYGONAL).any() and not np.isin(kinds, _POLYGONAL).all()
    return mixed


def polygonal_parts(geoms: np.ndarray) -> np.ndarray:
    """Geometries with a collection that mixes polygons with lines or points (a
    GeometryCollection as drawn, or as ``make_valid`` returns a ring with a spike) cut to
    its polygons: its lines were burnt into the neighbouring unit's cells as the cells they
    cross. Only collections are looked into (a type test per feature)."""
    geoms = np.asarray(geoms, dtype=object)
    mixed = _mixed(geoms)
    if mixed.any():
        geoms = geoms.copy()
        for i in np.flatnonzero(mixed):
            parts = shapely.get_parts(geoms[i])
            geoms[i] = shapely.union_all(parts[np.isin(shapely.get_type_id(parts),
                                                       _POLYGONAL)])
    return geoms


@dataclass(frozen=True)
class _Lines:
    """Lines of one file in the grid CRS: when they are all line strings, their segments
    (start and end coordinates) in a tree; otherwise the tree of their parts (the per-cell
    query's)."""

    tree: shapely.STRtree | None
    segments: np.ndarray | None  # (n, 4): ax, ay, bx, by
    segment_tree: shapely.STRtree | None
    #: a faults layer's polygons (fault zones), prepared: a cell inside is at distance 0
    areas: shapely.Geometry | None = None
    #: a unit layer's map (its units and lines, in the grid CRS), prepared: a cell farther
    #: than a cell from it is off the map (:func:`off_map`)
    extent: shapely.Geometry | None = None


def _lines_tree(path: str, layer: str | None, attribute: str | None, crs: str | None,
                grid_crs: str, contacts: bool, gap: float = 0.0,
                ground: str | None = None, priority: str | None = None) -> _Lines | None:
    """The contact or fault lines in the grid CRS (in the metres of ``ground``, a
    :func:`~prospect.ingest.surfaces.ground_frame`, where given), built once per process
    per file version (of every file a Shapefile or an archive is made of); ``gap``:
    :func:`contact_lines`'s, in the grid CRS's units; ``priority``: the column the unit
    features are drawn in the order of (:func:`by_priority`)."""
    return _lines_tree_cached(path, file_version(path), layer, attribute, crs, grid_crs,
                              contacts, gap, ground, priority)


def _to_frame(geom: shapely.Geometry | None, grid_crs: str, ground: str | None
              ) -> shapely.Geometry | None:
    """``geom`` (in ``grid_crs``) with its vertices taken to the ``ground`` frame's metres
    (:func:`~prospect.ingest.surfaces.to_ground`); itself where ``ground`` is ``None``."""
    if ground is None or geom is None:
        return geom
    # each edge as drawn in the grid's CRS: a contact along a parallel in Web Mercator is
    # a curve in the ground frame, not the chord between its ends
    return reproject_geometry(geom, grid_crs, ground)


@functools.lru_cache(maxsize=8)
def _lines_tree_cached(path: str, _version: tuple[int, ...], layer: str | None,
                       attribute: str | None, crs: str | None, grid_crs: str, contacts: bool,
                       gap: float, ground: str | None = None, priority: str | None = None
                       ) -> _Lines | None:
    gdf = by_priority(read_vector(
        path, layer=layer, columns=unit_columns(attribute, priority), crs=crs,
        to_crs=grid_crs, collapsed_as_lines=not contacts, domains=unit_domains(attribute)),
        priority)
    geoms = gdf.geometry[has_geometry(gdf.geometry)]
    areas = extent = None
    if contacts:
        lines, extent = _contacts(gdf.loc[geoms.index], attribute, gap)
        shapely.prepare(extent)
    else:  # faults: lines, and polygons taken as fault zones (areas: their outline, 0 inside)
        single = shapely.get_parts(shapely.get_parts(geoms.to_numpy()))
        zones = shapely.get_type_id(single) == 3  # Polygon
        if zones.any():
            areas = shapely.union_all(single[zones])
            shapely.prepare(areas)
            lines = shapely.union_all(np.concatenate([shapely.boundary(single[zones]),
                                                      single[~zones]]))
        else:
            lines = shapely.union_all(geoms.to_numpy())
    lines, areas = _to_frame(lines, grid_crs, ground), _to_frame(areas, grid_crs, ground)
    if areas is not None:
        shapely.prepare(areas)
    parts = shapely.get_parts(shapely.get_parts(lines))
    parts = parts[~shapely.is_empty(parts)]
    if parts.size == 0:
        return None
    segments = line_segments(parts)
    if segments is None:
        return _Lines(tree=shapely.STRtree(parts), segments=None, segment_tree=None,
                      areas=areas, extent=extent)
    return _Lines(tree=None, segments=segments,
                  segment_tree=shapely.STRtree(shapely.linestrings(segments.reshape(-1, 2, 2))),
                  areas=areas, extent=extent)


def off_map(extent: shapely.Geometry, xs: np.ndarray, ys: np.ndarray, reach: float
            ) -> np.ndarray:
    """Which cell centres (``ys`` rows x ``xs`` columns) lie farther than ``reach`` (a
    cell) from a unit map's ``extent`` (prepared): no contact is known there.

    A map covering part of the region had every cell past its edge measured to the
    nearest contact inside it (335 m where the geology is not mapped, and any contact off
    the map may be nearer), without a word; such a cell is no data in the codes as well.
    A cell within a cell of the map (a gap left by simplifying each unit on its own, a
    sliver, the map's ragged edge) keeps its distance."""
    xx, yy = np.meshgrid(xs, ys)
    near = shapely.contains_xy(extent, xx, yy)
    if not near.all():
        near[~near] = shapely.dwithin(extent, shapely.points(xx[~near], yy[~near]), reach)
    return ~near


def line_segments(parts: np.ndarray) -> np.ndarray | None:
    """The segments of line strings as an ``(n, 4)`` array (``ax, ay, bx, by``).

    ``None`` when a part is not a line string or a ring (a point left by a difference):
    those keep the per-cell GEOS query.
    """
    kinds = shapely.get_type_id(parts)
    if not np.isin(kinds, (1, 2)).all():  # LineString, LinearRing
        return None
    coords, which = shapely.get_coordinates(parts, return_index=True)
    same = which[1:] == which[:-1]
    return np.column_stack([coords[:-1][same], coords[1:][same]])


def segment_distances(px: np.ndarray, py: np.ndarray, seg: np.ndarray) -> np.ndarray:
    """Distances from points to segments, with GEOS's ``Distance::pointToSegment``.

    ``px``, ``py`` broadcast against the columns of ``seg`` (``ax, ay, bx, by``). The same
    operations in the same order as GEOS (IEEE float64, no fused multiply-add), so each
    value is bit-identical to ``shapely.distance`` of the point and the segment.
    """
    ax, ay, bx, by = (seg[..., i] for i in range(4))
    ex, ey = bx - ax, by - ay
    len2 = ex * ex + ey * ey
    with np.errstate(invalid="ignore", divide="ignore"):
        r = ((px - ax) * ex + (py - ay) * ey) / len2
        s = ((ay - py) * ex - (ax - px) * ey) / len2
    dax, day = px - ax, py - ay
    dbx, dby = px - bx, py - by
    out = np.abs(s) * np.sqrt(len2)
    out = np.where(r >= 1.0, np.sqrt(dbx * dbx + dby * dby), out)
    # A == B (len2 0, r NaN) and r <= 0: the distance to A
    return np.where((r <= 0.0) | ((ax == bx) & (ay == by)), np.sqrt(dax * dax + day * day),
                    out)


_BLOCK = 16  # cells per block edge
_PAIRS = 256  # block-segment pairs per numpy batch (a batch's arrays stay in the cache)
_CELLS = 65_536  # cells of dense blocks per tree query (their points: a few MiB)
_DENSE = 1024
"""Segment boxes within a block's reach past which its cells are measured one by one by
the tree's nearest query: a block by a contact drawn far finer than a cell (a polygon of
100 000 vertices over a few cells) reached tens of thousands of segments, each measured
from all its 256 cells (about 60 s for 40 x 40 cells, without a word), where the tree
finds each cell's nearest among a few."""


def _reach(tree: shapely.STRtree, cx: np.ndarray, cy: np.ndarray, half: np.ndarray
           ) -> np.ndarray:
    """How far from each block's centre (``cx``, ``cy``) a segment nearest to one of its
    cells may lie: ``d + 2h``, ``d`` the centre's distance to the nearest segment and
    ``h`` (``half``) its distance to the block's farthest cell, with a margin for
    rounding."""
    idx, dist = tree.query_nearest(shapely.points(cx, cy), return_distance=True,
                                   all_matches=False)
    d = np.empty(cx.size)
    d[idx[0]] = dist
    return (d + 2 * half) * (1 + 1e-9) + 1e-6


def _reached(tree: shapely.STRtree, cx: np.ndarray, cy: np.ndarray, reach: np.ndarray
             ) -> tuple[np.ndarray, np.ndarray]:
    """The segments (tree indices) within ``reach`` of each block's centre (``cx``,
    ``cy``), as pairs ``(blocks, segments)`` sorted by block."""
    blocks, segs = tree.query(shapely.points(cx, cy), predicate="dwithin", distance=reach)
    order = np.lexsort((segs, blocks))
    return blocks[order], segs[order]


def _dense(tree: shapely.STRtree, cx: np.ndarray, cy: np.ndarray, reach: np.ndarray
           ) -> np.ndarray:
    """Whether each block's square of ``reach`` about its centre meets the boxes of more
    than :data:`_DENSE` segments (a count of the tree's boxes alone, no distance)."""
    boxes = shapely.box(cx - reach, cy - reach, cx + reach, cy + reach)
    blocks = tree.query(boxes)[0]
    return np.bincount(blocks, minlength=cx.size) > _DENSE


def _nearest_of(segments: np.ndarray, bx: np.ndarray, by: np.ndarray, blocks: np.ndarray,
                segs: np.ndarray, best: np.ndarray) -> None:
    """Lower ``best`` (blocks x cells) to each cell's distance to the segments its block
    reaches (``blocks``, ``segs``: :func:`_reached`'s pairs); ``bx``, ``by``: the blocks'
    cell coordinates, in the shape of ``best``."""
    for lo in range(0, blocks.size, _PAIRS):
        bl, sg = blocks[lo:lo + _PAIRS], segs[lo:lo + _PAIRS]
        dd = segment_distances(bx[bl], by[bl], segments[sg][:, None, :])
        # blocks are sorted: the minimum per run of one block, then into that block's row
        starts = np.flatnonzero(np.r_[True, bl[1:] != bl[:-1]])
        np.minimum.at(best, bl[starts], np.minimum.reduceat(dd, starts, axis=0))


def nearest_line_distances(lines: _Lines, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """Distance from each cell centre (``ys`` rows x ``xs`` columns) to the nearest line.

    Exact: each block of cells gets the distance of its centre to the nearest segment
    ``d`` (a tree query); a segment nearest to one of the block's cells lies within
    ``d + 2h`` of the centre (``h``: the centre's distance to the block's farthest cell),
    and the cells' distances are the minimum of :func:`segment_distances` over those. The
    cells of a block whose reach meets more than :data:`_DENSE` segments' boxes
    (:func:`_dense`) are each given the tree's nearest distance: GEOS's own, which
    :func:`segment_distances` reproduces bit for bit, so the same values.
    """
    if lines.segments is None or lines.segment_tree is None:
        assert lines.tree is not None
        xx, yy = np.meshgrid(xs, ys)
        idx, dist = lines.tree.query_nearest(shapely.points(xx.ravel(), yy.ravel()),
                                             return_distance=True, all_matches=False)
        out = np.empty(xx.size, dtype=np.float64)
        out[idx[0]] = dist
        return out.reshape(xx.shape)
    b = _BLOCK
    h, w = ys.size, xs.size
    nby, nbx = -(-h // b), -(-w // b)
    # pad with the last coordinate: extra cells repeat an edge cell and are cut off at the end
    yp = np.concatenate([ys, np.full(nby * b - h, ys[-1])]).reshape(nby, b)
    xp = np.concatenate([xs, np.full(nbx * b - w, xs[-1])]).reshape(nbx, b)
    cy = (yp.min(axis=1) + yp.max(axis=1)) / 2
    cx = (xp.min(axis=1) + xp.max(axis=1)) / 2
    hy = (yp.max(axis=1) - yp.min(axis=1)) / 2
    hx = (xp.max(axis=1) - xp.min(axis=1)) / 2
    ccx, ccy = np.meshgrid(cx, cy)
    half = np.hypot(*np.meshgrid(hx, hy))
    tree = lines.segment_tree
    cx, cy = ccx.ravel(), ccy.ravel()
    reach = _reach(tree, cx, cy, half.ravel())
    # each block's cells: (n blocks, b * b) coordinates
    bx = np.broadcast_to(xp[None, :, None, :], (nby, nbx, b, b)).reshape(-1, b * b)
    by = np.broadcast_to(yp[:, None, :, None], (nby, nbx, b, b)).reshape(-1, b * b)
    best = np.full((nby * nbx, b * b), np.inf)
    dense = _dense(tree, cx, cy, reach)
    if dense.any():  # each of their cells by the tree's nearest query alone
        ox, oy = bx[dense].ravel(), by[dense].ravel()
        alone = np.empty(ox.size)
        for lo in range(0, ox.size, _CELLS):  # (a point object a cell: a batch at a time)
            idx, dist = tree.query_nearest(shapely.points(ox[lo:lo + _CELLS],
                                                          oy[lo:lo + _CELLS]),
                                           return_distance=True, all_matches=False)
            alone[lo + idx[0]] = dist
        best[dense] = alone.reshape(-1, b * b)
    blocks, segs = _reached(tree, cx[~dense], cy[~dense], reach[~dense])
    blocks = np.flatnonzero(~dense)[blocks]
    _nearest_of(lines.segments, bx, by, blocks, segs, best)
    out = best.reshape(nby, nbx, b, b).transpose(0, 2, 1, 3).reshape(nby * b, nbx * b)
    return out[:h, :w]


def _units(gdf: object, attribute: str | None) -> tuple[np.ndarray, list[str]]:
    """Each unit's geometry (the features of one unit name dissolved; each feature without
    ``attribute``) and its name. Features without a unit name (null, or only spaces) are
    one unit, as in the code table (:func:`prospect.io.vector.unit_name`)."""
    import geopandas as gpd

    assert isinstance(gdf, gpd.GeoDataFrame)
    if attribute is None:
        units = gdf.geometry.to_numpy()
        return units, [f"feature {i + 1}" for i in range(len(units))]
    names = gdf[attribute]
    blank = names.map(lambda v: isinstance(v, str) and not v.strip()).astype(bool)
    if blank.any():
        names = names.where(~blank, None)
    listed = names.map(lambda v: isinstance(v, list | dict | np.ndarray)).astype(bool)
    if listed.any():  # (unhashable: grouped by their JSON text, the name they are given)
        names = names.map(lambda v: unit_name(v) or None)
    grouped = names.groupby(names, sort=True, dropna=False)  # (GeoDataFrame.dissolve's)
    keys, codes = grouped.size().index, grouped.ngroup().to_numpy()
    return _unions(gdf.geometry.to_numpy(), codes, len(keys)), [unit_name(v) for v in keys]


def _unions(geoms: np.ndarray, codes: np.ndarray, n: int) -> np.ndarray:
    """The union of ``geoms`` of each group ``0 .. n-1`` (``codes``: each one's group), in
    file order within a group: the unary union ``GeoDataFrame.dissolve`` takes of each,
    the same geometry to the byte. Groups of one size are unioned in one call
    (``union_all`` along rows, the group's members in a row): dissolve's per-group pandas
    calls took 1.5 s of a 10 000-unit map's contacts, this 0.2 s."""
    order = np.argsort(codes, kind="stable")
    counts = np.bincount(codes, minlength=n)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.intp)
    out = np.empty(n, dtype=object)
    for size in np.unique(counts[counts > 0]):
        which = np.flatnonzero(counts == size)
        out[which] = shapely.union_all(geoms[order[starts[which][:, None] + np.arange(size)]],
                                       axis=1)
    return out


def _overlap(units: np.ndarray, whole: shapely.Geometry) -> bool:
    """Whether ``units`` (one geometry per unit) overlap: their areas add up to more than
    the area of their union ``whole`` (beyond the rounding of the sums)."""
    total = float(shapely.area(whole))
    return float(np.sum(shapely.area(units))) - total > 1e-12 * total


def unit_columns(attribute: str | None, priority: str | None = None) -> list[str]:
    """The columns a read of a unit layer takes: the unit column and the ``priority``
    column, each once, where given."""
    return [c for c in dict.fromkeys((attribute, priority)) if c is not None]


def unit_domains(attribute: str | None) -> tuple[str, ...]:
    """The columns of a unit layer's read whose coded-value domain names their codes
    (``read_vector``'s ``domains``): the unit column alone. A ``priority`` column keeps
    its codes, the numbers the features are drawn in the order of (a GeoPackage's
    ``prio`` of 1, 2 with the domain names ``low``, ``high`` was read as the names and
    refused as text)."""
    return () if attribute is None else (attribute,)


def by_priority(gdf: Any, priority: str | None) -> Any:
    """The features of a unit layer in the order they are drawn: by the numbers of the
    ``priority`` column, the lower first, so that a higher one is drawn on top and takes
    the cells where features overlap (ArcGIS's Polygon to Raster priority field); features
    of equal priority in file order, and those without a value first (under all others).
    ``gdf`` itself, in file order (as GDAL and QGIS draw), where ``priority`` is ``None``.

    Every read of the map is put in this order (a chunk's codes, the contacts, the overlap
    warning, the hidden-units check), so :func:`as_drawn`'s "later in the file" is "drawn
    later"."""
    if priority is None or priority not in gdf.columns or len(gdf) < 2:
        return gdf
    return gdf.sort_values(priority, kind="stable", na_position="first")


def as_drawn(gdf: object, attribute: str | None) -> Any:
    """The features of a unit layer as the cells take them: each less the features of
    another unit later in the file whose interior meets its own (a cell there takes the
    unit of the later feature: :class:`GeologyCodesLayer`, as a GIS draws it).

    Parameters
    ----------
    gdf
        The layer's features with a geometry, in file order (a GeoDataFrame).
    attribute
        The unit column (``None``: each feature a unit of its own).

    Returns
    -------
    GeoDataFrame
        ``gdf`` with the hidden part of each overlapped feature taken off (its polygons;
        empty where a later feature covers it whole).
    """
    import geopandas as gpd

    assert isinstance(gdf, gpd.GeoDataFrame)
    geoms = gdf.geometry.to_numpy()
    units = np.array([unit_name(v) for v in gdf[attribute]] if attribute is not None
                     else np.arange(len(geoms)).astype(str), dtype=object)
    first, later = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    keep = (first < later) & (units[first] != units[later])
    first, later = first[keep], later[keep]
    inner = shapely.relate_pattern(geoms[first], geoms[later], "2********")
    first, later = first[inner], later[inner]
    if not len(first):
        return gdf
    drawn = geoms.copy()
    for i in np.unique(first):
        drawn[i] = polygonal_parts(np.array([shapely.difference(
            geoms[i], shapely.union_all(geoms[later[first == i]]))], dtype=object))[0]
    return gdf.set_geometry(gpd.GeoSeries(drawn, index=gdf.index, crs=gdf.crs))


def unit_gaps(units: np.ndarray, gap: float) -> list[tuple[int, int, shapely.Geometry]]:
    """Pairs of units (indices into ``units``) that do not meet but lie closer than ``gap``
    with no unit between them (a map digitised without snapping: two units 1 mm apart),
    each with the shortest line between them. Units that touch, or are kept apart by a
    unit between them (a thin dyke), are no such pair."""
    units = np.asarray(units, dtype=object)
    if gap <= 0 or len(units) < 2:
        return []
    # boxes within the gap first (cheap), then units that do not touch, then within it
    boxes = shapely.buffer(shapely.envelope(units), gap, cap_style="square",
                           join_style="mitre")
    a, b = shapely.STRtree(units).query(boxes)
    pick = a < b
    a, b = a[pick], b[pick]
    shapely.prepare(units)
    pick = ~shapely.intersects(units[a], units[b])
    a, b = a[pick], b[pick]
    pick = shapely.dwithin(units[a], units[b], gap)
    a, b = a[pick], b[pick]
    if not a.size:
        return []
    shortest = shapely.shortest_line(units[a], units[b])
    middle = shapely.line_interpolate_point(shortest, 0.5, normalized=True)
    covered = set(shapely.STRtree(units).query(middle, predicate="intersects")[0].tolist())
    return [(int(i), int(j), line) for k, (i, j, line) in enumerate(zip(a, b, shortest,
                                                                      strict=True))
            if k not in covered]


def _thin_holes(units: np.ndarray, gap: float, whole: shapely.Geometry | None
                ) -> np.ndarray:
    """The rings of the holes of the map (``whole``: the union of ``units``) narrower than
    ``gap`` everywhere: no point of one lies ``gap / 2`` from its shore."""
    whole = shapely.union_all(units) if whole is None else whole
    polygons = shapely.get_parts(whole)
    polygons = polygons[shapely.get_type_id(polygons) == 3]  # Polygon
    counts = shapely.get_num_interior_rings(polygons)
    if not counts.sum():
        return np.empty(0, dtype=object)
    rings = np.asarray([shapely.get_interior_ring(p, k) for p, n in zip(polygons, counts,
                                                                         strict=True)
                        for k in range(n)], dtype=object)
    return rings[shapely.is_empty(shapely.buffer(shapely.polygons(rings), -gap / 2))]


def _owners(units: np.ndarray, seg: np.ndarray, step: float) -> np.ndarray:
    """The unit each segment of a hole's shore (``ax, ay, bx, by`` rows) lies on: the one
    holding a point ``step`` to either side of its middle (the other side is the hole);
    -1 where none does. Point-in-polygon on the prepared units, so a map of few large
    units costs no distance to every vertex of theirs."""
    dx, dy = seg[:, 2] - seg[:, 0], seg[:, 3] - seg[:, 1]
    norm = np.hypot(dx, dy)
    mx, my = (seg[:, 0] + seg[:, 2]) / 2, (seg[:, 1] + seg[:, 3]) / 2
    nx, ny = -dy / norm * step, dx / norm * step
    n = len(seg)
    points = shapely.points(np.concatenate([mx + nx, mx - nx]),
                            np.concatenate([my + ny, my - ny]))
    shapely.prepare(units)
    at, unit = shapely.STRtree(units).query(points)
    hit = shapely.intersects(units[unit], points[at])
    owner = np.full(n, -1, dtype=np.int64)
    owner[at[hit] % n] = unit[hit]
    return owner


def _sliver_faces(units: np.ndarray, gap: float, whole: shapely.Geometry | None
                  ) -> tuple[np.ndarray, np.ndarray]:
    """The facing stretches of :func:`edge_gaps`, piece by piece: each piece of a thin
    hole's shore that lies on unit ``i``'s boundary and within ``gap`` of the shore of
    another unit ``j`` across it, with the hole's number and ``i``, ``j`` (as ``(n, 3)``
    integers) and the pieces. A shore is taken segment by segment, each segment the unit's
    it lies on, so the work grows with the slivers, not with the units' size."""
    none: tuple[np.ndarray, np.ndarray] = (np.empty((0, 3), dtype=np.int64),
                                           np.empty(0, dtype=object))
    rings = _thin_holes(units, gap, whole)
    if not rings.size:
        return none
    coords, ring = shapely.get_coordinates(rings, return_index=True)
    same = ring[1:] == ring[:-1]
    seg = np.column_stack([coords[:-1][same], coords[1:][same]])
    ring = ring[1:][same]
    keep = (seg[:, 0] != seg[:, 2]) | (seg[:, 1] != seg[:, 3])
    seg, ring = seg[keep], ring[keep]
    # a step off each segment far inside the thinnest sliver, far outside float rounding
    step = max(gap * 1e-7, 1e3 * float(np.spacing(np.abs(seg).max())))
    owner = _owners(units, seg, step)
    seg, ring, owner = seg[owner >= 0], ring[owner >= 0], owner[owner >= 0]
    lines = shapely.linestrings(seg.reshape(-1, 2, 2))
    s, t = shapely.STRtree(lines).query(lines, predicate="dwithin", distance=gap)
    pick = (ring[s] == ring[t]) & (owner[s] != owner[t])
    s, t = s[pick], t[pick]
    if not s.size:
        return none
    pieces = shapely.intersection(lines[s], shapely.buffer(lines[t], gap))
    real = shapely.length(pieces) > 0  # (a segment meets the stadium of another once)
    s, t, pieces = s[real], t[real], pieces[real]
    if not s.size:
        return none
    start, end = _along(seg[s], shapely.get_point(pieces, 0), shapely.get_point(pieces, -1))
    s, t, start, end = _merged(s, t, start, end)
    a, b = seg[s, :2], seg[s, 2:]
    first = np.where((start == 0)[:, None], a, a + start[:, None] * (b - a))
    last = np.where((end == 1)[:, None], b, a + end[:, None] * (b - a))
    faces = shapely.linestrings(np.stack([first, last], axis=1))
    return np.column_stack([ring[s], owner[s], owner[t]]), faces


def _along(seg: np.ndarray, p: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where points ``p`` and ``q`` (on the segments ``seg``) lie along them, from 0 (the
    start) to 1 (the end), in order."""
    a, d = seg[:, :2], seg[:, 2:] - seg[:, :2]
    length2 = (d * d).sum(axis=1)
    u = [np.clip(((shapely.get_coordinates(pt) - a) * d).sum(axis=1) / length2, 0.0, 1.0)
         for pt in (p, q)]
    return np.minimum(*u), np.maximum(*u)


def _merged(s: np.ndarray, t: np.ndarray, start: np.ndarray, end: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The stretches ``[start, end]`` along each segment ``s`` merged where they overlap
    (a segment within reach of several across: each part of it once), each with the
    ``t`` of its first stretch."""
    order = np.lexsort((start, s))
    s, t, start, end = s[order], t[order], start[order], end[order]
    shift = 2.0 * s  # each segment's stretches apart from the next's: one running maximum
    reach = np.maximum.accumulate(end + shift)
    new = np.r_[True, (start + shift)[1:] > reach[:-1]]
    heads = np.flatnonzero(new)
    ends = np.maximum.reduceat(end + shift, heads) - shift[heads]
    return s[heads], t[heads], start[heads], ends


def edge_gaps(units: np.ndarray, gap: float, whole: shapely.Geometry | None = None
              ) -> list[tuple[int, int, shapely.Geometry]]:
    """Stretches where units that meet elsewhere lie a gap apart (crossing lines of a map
    digitised without snapping: the units meet, part 1 mm, meet again): each stretch of
    unit ``i``'s boundary (indices into ``units``) that faces unit ``j`` across such a
    sliver, as ``(i, j, line)``.

    A sliver is a hole of the map (``whole``: the union of the units, when the caller has
    it) narrower than ``gap`` everywhere (no point of it lies ``gap / 2`` from its shore)
    with two units or more on its shore. Each such stretch was the map's edge, so the
    contact there was missing and a cell beside it measured to the nearest place the units
    meet. A wider hole (a lake) keeps its shore as the map's edge.
    """
    units = np.asarray(units, dtype=object)
    if gap <= 0 or len(units) < 2:
        return []
    keys, pieces = _sliver_faces(units, gap, whole)
    if not len(keys):
        return []
    groups, which = np.unique(keys, axis=0, return_inverse=True)
    order = np.argsort(which.ravel(), kind="stable")
    runs = np.split(pieces[order], np.flatnonzero(np.diff(which.ravel()[order])) + 1)
    return [(int(i), int(j), shapely.line_merge(shapely.union_all(run)))
            for (_, i, j), run in zip(groups, runs, strict=True)]


def contact_lines(gdf: object, attribute: str | None, *, gap: float = 0.0
                  ) -> shapely.Geometry:
    """Boundaries between different units (the outer edge of the map is not a contact).

    Features without a unit name (null, or only spaces) are one unit, as in the code
    table (:func:`prospect.io.vector.unit_name`): they were left out, so no contact was
    drawn around them, and a map whose units meet only across such a feature had no
    contact at all (every distance no data), without a word.

    Units that do not meet but lie closer than ``gap`` (the grid's half cell) with no unit
    between them (:func:`unit_gaps`) have their facing boundaries taken as contacts: such
    a gap made both boundaries the map's edge, so a map digitised without snapping had no
    contact there (two units 1 mm apart: every distance no data), without a word. Units
    that meet in places and lie such a gap apart elsewhere (:func:`edge_gaps`) have the
    stretches between taken as contacts too.

    Where units overlap (a map whose topology was never cleaned; an inclusion drawn over
    its host without a hole in it), each feature is taken as it is rasterised
    (:func:`as_drawn`): the contact is the edge of the feature later in the file, which
    takes the cells. Both edges were contacts, so the cells inside the later feature
    measured to the hidden edge under it (a phantom contact), without a word.

    A feature that is a line (a dyke drawn as one: its cells are its unit's) is a contact
    where it crosses another unit; a point, or the lines of a collection (a polygon's
    spike as ``make_valid`` repairs it), take no part (:func:`_areas_and_strokes`).
    """
    return _contacts(gdf, attribute, gap)[0]


def _contacts(gdf: object, attribute: str | None, gap: float
              ) -> tuple[shapely.Geometry, shapely.Geometry]:
    """:func:`contact_lines` and the map they are of: the union of its units' polygons
    and of the lines that are units (for :func:`off_map`)."""
    gdf, strokes = _areas_and_strokes(gdf, attribute)
    units, names = _units(gdf, attribute)
    whole = shapely.union_all(units)
    extent = shapely.union_all([whole, *(line for _, line in strokes)]) if strokes \
        else whole
    if _overlap(units, whole):  # (a map whose units overlap: drawn as it is rasterised)
        units, names = _units(as_drawn(gdf, attribute), attribute)
        drawn = ~shapely.is_empty(units)
        units, names = units[drawn], [n for n, k in zip(names, drawn, strict=True) if k]
    boundaries = shapely.union_all(shapely.boundary(units))
    outer = shapely.boundary(whole)
    contacts = shapely.difference(boundaries, shapely.buffer(outer, 1e-6))
    pairs = unit_gaps(units, gap)
    stretches = _sliver_faces(units, gap, whole)[1] if gap > 0 and len(units) > 1 \
        else np.empty(0, dtype=object)
    if not pairs and not len(stretches) and not strokes:
        return contacts, extent
    near = sorted({k for a, b, _ in pairs for k in (a, b)})  # each unit buffered once
    grown = dict(zip(near, shapely.buffer(units[near], gap), strict=True))
    faces = [shapely.intersection(shapely.boundary(units[i]), grown[j])
             for a, b, _ in pairs for i, j in ((a, b), (b, a))]
    own = dict(zip(names, units, strict=True))
    crossed = [_lines_of(shapely.difference(shapely.intersection(line, whole),
                                            own.get(unit, shapely.Polygon())))
               for unit, line in strokes]
    return shapely.union_all([contacts, *faces, *stretches, *crossed]), extent


def _areas_and_strokes(gdf: Any, attribute: str | None
                       ) -> tuple[Any, list[tuple[str, shapely.Geometry]]]:
    """A unit layer's features as the cells take them, for the contacts: each feature's
    polygons (a collection's lines and points take no cell: :func:`polygonal_parts`), and
    the lines of the features that hold no polygon (each crosses cells of its unit, as
    :class:`GeologyCodesLayer` rasterises it), as ``(unit, lines)``.

    A line or a point beside the polygons made the union of the units a collection, whose
    boundary GEOS does not give: the map had no contact at all (every distance no data),
    without a word; a unit polygon with a spike out of the map's edge (``make_valid``
    returns its polygon and the spike's line) did the same. A layer of polygons alone is
    returned as it is."""
    geoms = gdf.geometry.to_numpy()
    odd = np.flatnonzero(~np.isin(shapely.get_type_id(geoms), _POLYGONAL))
    if not len(odd):
        return gdf, []
    areas = polygonal_parts(geoms)
    strokes = []
    for i in odd:
        parts = shapely.get_parts(shapely.get_parts(geoms[i]))
        kinds = shapely.get_type_id(parts)
        if (kinds == 3).any():  # Polygon
            areas[i] = shapely.union_all(parts[kinds == 3])
            continue
        areas[i] = None
        if np.isin(kinds, (1, 2)).any():  # LineString, LinearRing
            unit = unit_name(gdf[attribute].iloc[i]) if attribute is not None else f"line {i}"
            strokes.append((unit, shapely.union_all(parts[np.isin(kinds, (1, 2))])))
    kept = np.array([a is not None for a in areas], dtype=bool)
    if not kept.any():  # (no polygon at all: as before)
        return gdf, []
    import geopandas as gpd

    areal = gdf.set_geometry(gpd.GeoSeries(areas, index=gdf.index, crs=gdf.crs))
    return areal[kept], strokes


def _lines_of(geom: shapely.Geometry) -> shapely.Geometry:
    """The line parts of a geometry (an intersection's points left out) as one geometry."""
    parts = shapely.get_parts(shapely.get_parts(geom))
    return shapely.union_all(parts[np.isin(shapely.get_type_id(parts), (1, 2))])


@dataclass(frozen=True, kw_only=True)
class LineDistanceLayer(Layer):
    """Distance (grid units, metres) from each cell centre to the nearest line; for a
    faults layer's polygons (fault zones), to the nearest zone: 0 inside it; for a unit
    map's contacts, no data in a cell more than a cell off the map (:func:`off_map`)."""

    cost: ClassVar[float] = 50.0
    #: the blocks' cell coordinates and best distances (float64), the result and its
    #: float32 copy, and the block-segment pairs (measured with tracemalloc: 34 bytes per
    #: cell and 130 MiB on a 2048 x 2048 chunk; the per-cell GEOS query took 250)
    memory_per_cell: ClassVar[float] = 48.0

    path: str
    layer: str | None
    attribute: str | None
    crs: str | None
    contacts: bool
    ground: str | None = None
    priority: str | None = None
    """A unit map's ``priority`` column: its contacts are those of the features drawn in
    its order (:func:`by_priority`); ``None``: in file order."""
    """:func:`~prospect.ingest.surfaces.ground_frame` of a projected region whose metres
    are not the ground's (Web Mercator): lines and cells are measured in its metres, as a
    point source's ``<name>_dist`` is; ``None`` otherwise (the grid's own coordinates)."""
    gdal_options: tuple[tuple[str, str | int], ...] = ()
    """GDAL's HTTP settings of the source's ``remote:`` for a map read over a network
    (:func:`~prospect.io.vector.remote_reads`); empty for a local file."""
    versions: tuple[tuple[str, str], ...] = ()
    """The map read over a network, with the version its server stated when planned
    (:func:`~prospect.io.remote.network_version`): a task of a worker that kept an earlier
    version (a cluster that outlives a run) drops it first
    (:func:`~prospect.io.remote.read_as_planned`)."""
    extent: bytes | None = None
    """Where the faults were mapped (a source's ``faults_extent``), as WKB in the grid's
    CRS: a cell whose centre lies outside it is no data (no fault is known there, and one
    off the map may be nearer); ``None``: every cell is measured."""

    def compute(self, grid: RegionGrid, window: ChunkWindow) -> np.ndarray:
        """Exact nearest-line distances for the chunk's cell centres."""
        wkt = grid.crs_obj.to_wkt()
        if self.versions:
            read_as_planned(self.versions)
        with remote_reads(self.gdal_options):
            lines = _lines_tree(self.path, self.layer, self.attribute, self.crs, wkt,
                                self.contacts,
                                gap=grid.resolution / 2 if self.contacts else 0.0,
                                ground=self.ground, priority=self.priority)
        if lines is None:
            return np.full(window.shape, np.nan, dtype=np.float32)
        xs = np.asarray(grid.x[window.cols], dtype=np.float64)
        ys = np.asarray(grid.y[window.rows], dtype=np.float64)
        if self.ground is not None:
            out = _ground_distances(lines, xs, ys, wkt, self.ground)
        else:
            dist = nearest_line_distances(lines, xs, ys)
            if lines.areas is not None:  # inside a fault zone (on its outline it is 0)
                dist[shapely.contains_xy(lines.areas, *np.meshgrid(xs, ys))] = 0.0
            out = dist.astype(np.float32)
        if lines.extent is not None:  # (in the grid's CRS, as the cells)
            out[off_map(lines.extent, xs, ys, grid.resolution)] = np.nan
        if self.extent is not None:  # (a cell centre on its edge is inside)
            out[~shapely.intersects_xy(shapely.from_wkb(self.extent),
                                       *np.meshgrid(xs, ys))] = np.nan
        return out


def _ground_distances(lines: _Lines, xs: np.ndarray, ys: np.ndarray, grid_crs: str,
                      ground: str) -> np.ndarray:
    """Distances on the ground (``lines`` in the ``ground`` frame's metres) from the cell
    centres ``ys`` rows x ``xs`` columns (in ``grid_crs``), by the tree's exact nearest
    query: in that frame the centres are no longer rows and columns, which
    :func:`nearest_line_distances`' blocks take them for."""
    from prospect.ingest.surfaces import to_ground

    xx, yy = np.meshgrid(xs, ys)
    at = to_ground(np.column_stack([xx.ravel(), yy.ravel()]), grid_crs, ground)
    tree = lines.segment_tree if lines.segment_tree is not None else lines.tree
    assert tree is not None
    idx, dist = tree.query_nearest(shapely.points(at[:, 0], at[:, 1]), return_distance=True,
                                   all_matches=False)
    out = np.full(xx.size, np.nan)
    out[idx[0]] = dist
    if lines.areas is not None:  # inside a fault zone
        out[shapely.contains_xy(lines.areas, at[:, 0], at[:, 1])] = 0.0
    return out.reshape(xx.shape).astype(np.float32)


def _check_units(path: str, source: VectorSource, inside: object) -> None:
    """Unit codes come from polygons: refuse a layer with none in the region, warn of others."""
    import geopandas as gpd

    assert isinstance(inside, gpd.GeoDataFrame)
    geoms = inside.geometry[has_geometry(inside.geometry)]
    kinds = geoms.geom_type
    # or repaired; shapely's area: geopandas' warns of a lon/lat CRS (the sign is all we need)
    polygons = kinds.isin(["Polygon", "MultiPolygon"]) | (shapely.area(geoms.to_numpy()) > 0)
    others = sorted(set(kinds[~polygons]))
    if len(kinds) and not polygons.any():
        raise DataError(
            f"{path}: layer {source.layer or '(first)'} holds {others} in the region, no "
            f"polygons: unit codes ('attribute: {source.attribute}') come from polygons; "
            f"give the geology polygon layer{other_geometry_hint(path)}")
    if others:
        warnings.warn(DataWarning(
            f"{path}: {int((~polygons).sum())} of {len(kinds)} feature(s) in the region are "
            f"not polygons ({', '.join(others)}); they are rasterised as the cells they "
            "cross (a line's cells are a contact where it crosses another unit)"),
            stacklevel=3)
    mixed = int(_mixed(np.asarray(geoms.to_numpy(), dtype=object)).sum())
    if mixed:
        warnings.warn(DataWarning(
            f"{path}: {mixed} feature(s) in the region are collections of polygons with "
            "lines or points (GeometryCollection, or an invalid polygon as repaired); only "
            "their polygons are rasterised: split them (ogr2ogr -explodecollections) if the "
            "lines are meant"), stacklevel=3)


def _refuse_binary_units(path: str, source: VectorSource, inside: Any) -> None:
    """Refuse a unit column of dates (a Date or DateTime field named for the unit column:
    each date was made a unit, ``2020-01-01 00:00:00``, without a word) or of binary
    values (a GeoPackage's or a file geodatabase's BLOB, a GeoParquet ``binary`` column:
    an image, a WKB, a packed record). Each value was made a unit named by Python's
    ``repr`` (``b'\\x00\\xff'``) in the code table and the legend, exit 0, without a
    word. ``inside``: the layer's features in the region
    with the column."""
    assert source.attribute is not None
    if source.attribute not in inside.columns:
        return  # (named by the read of the units)
    import pandas as pd

    column = inside[source.attribute]
    others = [c for c in layer_fields(path, layer=source.layer) if c != source.attribute]
    if pd.api.types.is_datetime64_any_dtype(column) and column.notna().any():
        # (a Date or DateTime field: the survey's date, an edit's time, never a unit)
        dated = column.dropna()
        raise DataError(
            f"{path}: column {source.attribute!r} of layer {source.layer or '(first)'} "
            f"holds dates ({len(dated)} of {len(inside)} feature(s) in the region, e.g. "
            f"{unit_name(dated.iloc[0])!r}), not unit names; name the column that holds "
            f"the unit names ('attribute'; the layer's other columns are {others})")
    values = [v for v in column if isinstance(v, bytes | bytearray | memoryview)]
    if not values:
        return
    example = bytes(values[0])[:16]
    raise DataError(
        f"{path}: column {source.attribute!r} of layer {source.layer or '(first)'} holds "
        f"binary values (a BLOB: {len(values)} of {len(inside)} feature(s) in the region, "
        f"e.g. {example!r}), not unit names; name the column that holds the unit names "
        f"('attribute'; the layer's other columns are {others}), or store them as text "
        "(e.g. ogr2ogr -sql \"SELECT *, CAST(col AS TEXT) AS unit FROM layer\")")


_NUMBER = re.compile(r"[+-]?\d+(?:\.\d*)?")
"""A unit name that is a number written out (a code): ``01``, ``1.0``, ``-3``."""


def _folded(unit: str) -> str:
    """A unit name without what a reader cannot see or would not mean: Unicode form
    (NFKC), invisible format characters (a soft hyphen, a zero-width space or a byte
    order mark copied in with the name), letter case, runs of spaces, accents (``Bắc
    Sơn`` typed ``Bac Son``, as Vietnamese text often is where no Unicode keyboard was at
    hand) and how a number is written (``01`` and ``1.0`` are code 1: a map joined from a
    table of text codes and one of number codes)."""
    visible = "".join(c for c in unit if unicodedata.category(c) != "Cf")  # (format)
    folded = " ".join(unicodedata.normalize("NFKC", visible).casefold().split())
    if not folded.isascii():  # accents: 'Bắc Sơn' typed 'Bac Son' (đ has no decomposition)
        folded = "".join(c for c in unicodedata.normalize("NFKD", folded.replace("đ", "d"))
                         if not unicodedata.combining(c))
    if _NUMBER.fullmatch(folded):
        number = Decimal(folded)
        return format(number.normalize(), "f") if number else "0"
    return folded


def _warn_twin_units(path: str, attribute: str, codes: tuple[str, ...]) -> None:
    """Warn of unit names that differ only in letter case, accents, spaces, Unicode form
    or how a number is written (``Granite`` and ``granite ``; ``grès`` composed and
    decomposed; ``Bắc Sơn`` and ``Bac Son``; ``01``, ``1`` and ``1.0``): each gets a code
    of its own, so one unit of the map is split in two without a word."""
    groups: dict[str, list[str]] = {}
    for unit in codes:
        groups.setdefault(_folded(unit), []).append(unit)
    twins = [g for g in groups.values() if len(g) > 1]
    if not twins:
        return
    shown = "; ".join(" and ".join(_said_name(u, ascii) for u in g) for g in twins[:3])
    warnings.warn(DataWarning(
        f"{path}: {len(twins)} set(s) of unit names in {attribute!r} differ only in letter "
        f"case, accents, spaces, invisible characters, Unicode form or how a number is "
        "written "
        f"({shown}{'; ...' if len(twins) > 3 else ''}); each "
        "is a unit of its own code: if they are one unit, write them in one spelling in "
        "the file"), stacklevel=3)


_C1 = re.compile("[\u0080-\u009f]")
"""The C1 control characters, which no unit name holds: bytes 80 to 9F of a code page the
file does not name, read as ISO-8859-1."""


def _warn_control_characters(path: str, attribute: str, codes: tuple[str, ...]) -> None:
    """Warn of unit names holding C1 control characters (``Gr\\x8as``): a Shapefile's
    ``.dbf`` in a DOS code page (850 writes ``è`` as byte 8A) that its ``.cpg`` and
    language driver do not name, read as ISO-8859-1 (Windows-1252's punctuation is read
    as such: :func:`~prospect.io.vector.windows_read_as_latin1`). Such names went into
    the code table and the legend with the control characters, without a word (round
    51); the code page cannot be told from the bytes alone, so it is said, not guessed."""
    odd = [u for u in codes if _C1.search(u)]
    if not odd:
        return
    example = min(odd)
    try:
        dos = example.encode("latin-1").decode("cp850")
    except UnicodeError:
        dos = ""
    reads = (f" (DOS code page 850 reads {_said_name(example)} as {_said_name(dos)})" if dos
             else "")
    cpg = f" in {path.rpartition('/')[2][:-4]}.cpg" if path.lower().endswith(".shp") else ""
    warnings.warn(DataWarning(
        f"{path}: {len(odd)} unit name(s) in {attribute!r} hold control characters "
        f"({', '.join(_said_name(u, ascii) for u in odd[:3])}"
        f"{', ...' if len(odd) > 3 else ''}): the text is in a code page the file does "
        f"not name, read as ISO-8859-1{reads}; name "
        f"its code page{cpg} (e.g. 850 or 437 for DOS, 1252 for Windows) or save the "
        "file as UTF-8"), stacklevel=3)


_LINE_TYPES = {"LineString", "MultiLineString"}


OVERLAP_FEATURES = 200_000
"""Maps of more features than this in the region are not checked for overlaps."""


def _warn_overlaps(path: str, attribute: str, grid: RegionGrid, inside: Any,
                   priority: str | None = None, layer: str | None = None) -> int:
    """Warn of features of different units that overlap over half a cell or more (a map
    whose topology was never cleaned, two sheets joined with an overlap): each such cell
    takes the unit of the feature later in the file, without a word; the warning names
    which unit of its example does (it named the pair alone). ``inside`` is the
    layer's features in the region with their ``attribute``. Returns the number of pairs
    that overlap over any area (those over half a cell are warned of; 0 where not
    checked, beyond :data:`OVERLAP_FEATURES`).

    With a ``priority`` column (``inside`` in its order, :func:`by_priority`), the unit
    that takes the example's cells is named by its priority, and the cleaning is advised
    only where the overlap is not by design. Without one, a FlatGeobuf with a spatial
    index (:func:`~prospect.io.vector.stored_in_index_order`, ``layer`` of ``path``) is
    said to be in its index's order, which a conversion chose: the unit on top could
    change with the conversion without a word of it."""
    if len(inside) < 2 or len(inside) > OVERLAP_FEATURES:
        return 0
    geoms = reproject(inside, grid.crs_obj).geometry.to_numpy()
    units = [unit_name(v) for v in inside[attribute]]
    a, b = shapely.STRtree(geoms).query(geoms, predicate="intersects")  # within too
    pairs = [(i, j) for i, j in zip(a.tolist(), b.tolist(), strict=True)
             if i < j and units[i] != units[j]]
    if not pairs:
        return 0
    first, second = np.array(pairs).T
    areas = shapely.area(shapely.intersection(geoms[first], geoms[second]))
    big = areas >= 0.5 * grid.resolution ** 2
    if not big.any():
        return int((areas > 0).sum())
    k = int(np.argmax(areas))
    i, j = pairs[k]
    fix = ("clean the map's topology (e.g. QGIS's Topology Checker, or GRASS v.clean)"
           ", or order the features with 'priority: <column>' (the higher on top)")
    takes, rule = "later in the file", "the feature later in the file"
    if priority is None and stored_in_index_order(path, layer=layer):
        # (the order a conversion chose: the map it came from may draw the other on top)
        fix = ("this FlatGeobuf stores its features in its spatial index's order, not the "
               "order they were written in (GDAL writes the index by default), so the unit "
               "on top can differ from the map it was converted from: order the features "
               "with 'priority: <column>' (the higher on top), convert it with '-lco "
               "SPATIAL_INDEX=NO' to keep the written order, or clean the map's topology "
               "(e.g. QGIS's Topology Checker, or GRASS v.clean)")
    if priority is not None:
        ranks = inside[priority].tolist()
        named = column_domain(path, priority, layer=layer)  # (a coded column: QGIS's names)
        takes = (f"of the same {priority!r} {_rank(ranks[j], named)} and later in the file"
                 if _rank(ranks[i]) == _rank(ranks[j]) else
                 f"of the higher {priority!r} ({_rank(ranks[j], named)} over "
                 f"{_rank(ranks[i], named)})")
        rule = f"the feature of the higher {priority!r} (ties: later in the file)"
        fix = ("where they are not meant to overlap, clean the map's topology (e.g. QGIS's "
               "Topology Checker, or GRASS v.clean)")
    warnings.warn(DataWarning(
        f"{path}: {int(big.sum())} pair(s) of features of different units overlap over half "
        f"a cell or more (e.g. {_said_name(units[i])} and {_said_name(units[j])}, over "
        f"{float(areas[k]) / grid.resolution ** 2:.3g} cells: {_said_name(units[j])}, "
        f"{takes}, takes them); a cell there takes the unit of {rule}, and the contact runs "
        f"along that "
        f"feature's edge: {fix}"), stacklevel=3)
    return int((areas > 0).sum())


NAME_SAID = 160
"""The most characters of a unit name (or a ``priority`` value, a domain's name) that a
message quotes whole; a longer one is quoted by :func:`_said_name`'s start and end with
its length."""


def _said_name(name: object, quote: Any = repr) -> str:
    """``name`` as a message quotes it (``quote``: :func:`repr`, or :func:`ascii` where
    the message shows what a name holds that is not seen): whole up to :data:`NAME_SAID`
    characters, else its first 48 and last 12 characters around ``...`` and its length,
    ``'Granite of ...ite (north)' (300000 characters)``. A unit named by very long
    attribute text (a description typed into the unit column, a joined table's memo) was
    quoted whole: a 600 000-character overlap warning on the terminal and in the
    manifest. The name is read and coded whole; only the message shortens it."""
    text = name if isinstance(name, str) else str(name)
    if len(text) <= NAME_SAID:
        return str(quote(name))
    return f"{quote(text[:48] + '...' + text[-12:])} ({len(text)} characters)"


def _rank(value: object, named: dict[str, str] | None = None) -> str:
    """A ``priority`` value as a message names it: ``5`` for ``5.0``, ``none`` for a
    missing one; followed by its name where the column's coded-value domain ``named``
    (code -> name, :func:`~prospect.io.vector.column_domain`) names it, ``2 'high'``, as
    QGIS and ArcGIS show the column (the code alone was a number the user never sees)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "none"
    code = unit_name(value)
    return f"{code} {_said_name(named[code])}" if named and code in named else _said_name(
        code, str)


def _meet(units: np.ndarray, reach: float) -> bool:
    """Whether two of ``units`` meet, or lie within ``reach`` of each other."""
    if len(units) < 2:
        return False
    tree = shapely.STRtree(units)
    a, b = tree.query(units, predicate="intersects")
    if (a != b).any():
        return True
    a, b = tree.query(units, predicate="dwithin", distance=reach)
    return bool((a != b).any())


def _hidden_units(gdf: Any, attribute: str | None, reach: float) -> list[str] | None:
    """The units of ``gdf`` (a unit layer's features with a geometry, in the grid's CRS,
    in file order) drawn wholly under features of other units later in the file, where
    the units left as the cells take them (:func:`as_drawn`, the contacts' rule) meet
    none another within ``reach``; ``None`` where they meet (or a unit is a line, whose
    crossings are contacts: not looked at).

    Such a map has no contact as drawn: a unit under a later unit's polygon (an
    inclusion drawn over its host without a hole, a bow-tie under the polygon that
    touches it at one point) met its neighbour only where it is hidden, so every
    distance was no data while the no-contact check, looking at the units before they
    are drawn, said nothing."""
    areal, strokes = _areas_and_strokes(gdf, attribute)
    if strokes:
        return None
    units, names = _units(areal, attribute)
    drawn = _units(as_drawn(areal, attribute), attribute)[0]
    shown = ~shapely.is_empty(drawn)
    if _meet(drawn[shown], reach):
        return None
    return [n for n, k in zip(names, shown, strict=True) if not k] if len(units) == len(
        drawn) else []


def _warn_no_contacts(path: str, source: VectorSource, grid: RegionGrid,
                      region: tuple[np.ndarray, list[str]] | None, inside: Any = None,
                      overlaps: int | None = None) -> None:
    """Warn of ``distance_to_contacts`` on a layer where no two units meet (or lie within
    half a cell, :func:`unit_gaps`): a map of one unit (a region inside one unit of a map
    cut to it), or of islands apart. It has no contact, so the layer is no data in every
    cell: that was without a word. ``region``: the units in the region
    (:func:`_region_units`); where two meet, the layer is not read again.

    Units that meet only where one lies under a later feature of another unit are taken
    as drawn (:func:`_hidden_units`): ``inside``, the layer's features in the region,
    looked at so where ``overlaps`` (pairs of them that overlap, from
    :func:`_warn_overlaps`; ``None``: not counted) is not 0."""
    reach = grid.resolution / 2
    if region is not None and _meet(region[0], reach) and (
            overlaps == 0 or inside is None or _hidden_units(reproject(
                inside[has_geometry(inside.geometry)], grid.crs_obj), source.attribute,
                reach) is None):
        return
    gdf = by_priority(read_vector(
        path, layer=source.layer, columns=unit_columns(source.attribute, source.priority),
        crs=source.crs, to_crs=grid.crs_obj.to_wkt(), domains=unit_domains(source.attribute)),
        source.priority)
    present = gdf[has_geometry(gdf.geometry)]
    if source.attribute is not None and source.attribute not in present.columns:
        return  # (named by the read of the units)
    units, names = _units(present, source.attribute)
    hidden: list[str] = []
    if _meet(units, reach):
        if len(present) > OVERLAP_FEATURES:
            return  # (not drawn: as the overlap check, too many features)
        under = _hidden_units(present, source.attribute, reach)
        if under is None:
            return
        hidden = under
    kind = f"in {source.attribute!r}" if source.attribute else "(each feature a unit)"
    held = (f"one unit ({_said_name(names[0])}) {kind}" if len(units) == 1 else
            f"{len(units)} units {kind}, none of which meets another" if len(units) else
            f"no unit {kind}")
    later = "later in the file" if source.priority is None else \
        f"drawn over them by {source.priority!r}"
    if hidden:
        shown = ", ".join(_said_name(n) for n in hidden[:5]) + (", ..." if len(hidden) > 5 else "")
        held += (f" as the cells take them ({shown} {'lies' if len(hidden) == 1 else 'lie'} "
                 f"wholly under features of other units {later}, which take "
                 f"{'its' if len(hidden) == 1 else 'their'} cells)")
    elif len(units) > 1 and _meet(units, reach):
        held += (" as the cells take them (they meet only under features of other units "
                 f"{later})")
    warnings.warn(DataWarning(
        f"{path}: layer {source.layer or '(first)'} holds {held}, so it has no "
        f"contact: {source.name}_dist_contact is no data in every cell; leave out "
        "'distance_to_contacts', or give the map of the units around them"
        + ("" if source.attribute else ", with its unit column ('attribute')")
        + ("; cut the hidden units' holes in the features over them (e.g. QGIS's "
           "Difference) if they are to be mapped" if hidden else "")),
        stacklevel=3)


OFF_MAP_ROWS_CELLS = 1 << 22
"""Cells rasterised at a time by :func:`_cells_off_map` (a block of whole rows): the
count's memory is bounded by it, not by the region's size."""


def _cells_off_map(grid: RegionGrid, filled: shapely.Geometry) -> tuple[int, int]:
    """How many cells of ``grid`` are no data off a unit map whose units' union, holes
    filled, is ``filled`` (in the grid's CRS): the cells whose centre no unit polygon
    holds (the unit codes' rule, :class:`GeologyCodesLayer`), and the cells whose centre
    lies more than a cell from every unit (the contact distances', :func:`off_map`).

    Counted by rasterising the union and its one-cell buffer, a block of rows at a time
    (:data:`OFF_MAP_ROWS_CELLS`), as the layers are: the share of the region's area more
    than a cell from the map (round 64's figure) said 48 % where half the cells were no
    data in the codes."""
    from affine import Affine

    res = float(grid.resolution)
    parts = shapely.get_parts(filled)
    areal = parts[np.isin(shapely.get_type_id(parts), _POLYGONAL)]
    shapes = []
    near = shapely.buffer(filled, res, quad_segs=32)
    if not shapely.is_empty(near):
        shapes.append((burnable(near), 1))
    if len(areal):
        shapes.append((burnable(shapely.union_all(areal)), 2))
    rows, cols = grid.shape
    if not shapes:
        return rows * cols, rows * cols
    left, _, _, top = grid.bounds
    step = max(1, OFF_MAP_ROWS_CELLS // cols)
    counts = np.zeros(3, dtype=np.int64)
    for r0 in range(0, rows, step):
        r1 = min(rows, r0 + step)
        burnt = rasterize(shapes, out_shape=(r1 - r0, cols), fill=0, dtype="uint8",
                          transform=Affine(res, 0.0, left, 0.0, -res, top - r0 * res))
        counts += np.bincount(burnt.ravel(), minlength=3)[:3]
    return int(counts[0] + counts[1]), int(counts[0])


def _share(n: int, total: int) -> str:
    """``n`` of ``total`` cells as a whole percentage, ``under 1%`` below one and
    ``over 99%`` short of all (never a rounded 0 % or 100 %)."""
    share = n / total
    if share < 0.01:
        return "under 1%"
    if share > 0.99 and n < total:
        return "over 99%"
    return f"{share:.0%}"


def _warn_off_map(path: str, source: VectorSource, grid: RegionGrid,
                  whole: shapely.Geometry | None) -> None:
    """Warn where part of the region lies more than a cell from every unit of the map (a
    map of part of the region): its cells are no data in the unit codes and in the
    contact distances (:func:`off_map`). Said of every unit map: the contact distances
    were measured to the nearest contact inside the map, and a map of the codes alone
    (no ``distance_to_contacts``) left a tenth of the region no data, both without a
    word. ``whole``: the union of the units in the region that :func:`_warn_holes` took;
    ``None`` where it took none (no units, or units whose parts in the region fill it:
    :func:`_map_holes`), and nothing is off the map.

    The share said is each layer's own share of no-data cells off the map
    (:func:`_cells_off_map`: the codes' cells whose centre no unit holds, the contact
    distances' more than a cell from every unit), with the counts; it was the share of
    the region's area more than a cell from the map, 48 % where 50 % of the codes'
    cells were -1."""
    if whole is None:
        return
    box = shapely.box(*grid.bounds)
    filled = _filled(whole)
    # (a hole inside the map is not off it: said by _warn_holes, whose fix is another)
    off = shapely.area(shapely.difference(box, shapely.buffer(filled, grid.resolution)))
    if off < grid.resolution ** 2:
        return
    codes, far = _cells_off_map(grid, filled)
    if (codes if source.attribute is not None else far) == 0:
        return  # (the region's edge past the map holds no cell centre off it)
    total = grid.width * grid.height
    contacts = f"{source.name}_dist_contact"
    cell = f"a cell ({grid.resolution:g} {distance_units(grid)})"
    if source.attribute is not None:
        said = (f"{_share(codes, total)} of the region {grid.name!r} ({codes} of {total} "
                f"cells) lies off the map of layer {source.layer or '(first)'}, no unit "
                f"holding their centres: {source.name!r} is no data there (no unit is known "
                "off the map)")
        if source.distance_to_contacts and far:
            said += (f", and {contacts} in the {far} cells ({_share(far, total)}) more "
                     f"than {cell} from every unit (a contact off the map is not known)")
    else:
        said = (f"{_share(far, total)} of the region {grid.name!r} ({far} of {total} "
                f"cells) lies more than {cell} from every unit of layer "
                f"{source.layer or '(first)'}: {contacts} is no data there (a contact off "
                "the map is not known)")
    left, bottom, right, top = (float(v) for v in shapely.bounds(shapely.intersection(whole,
                                                                                      box)))
    warnings.warn(DataWarning(
        f"{path}: {said}; give a map that covers the region, or bounds within the map's "
        f"({left:.12g}, {bottom:.12g}, {right:.12g}, {top:.12g})"), stacklevel=3)


def _map_holes(units: np.ndarray, grid: RegionGrid
               ) -> tuple[np.ndarray, shapely.Geometry | None]:
    """The holes of a unit map in the region: the rings inside the union of ``units``
    (each unit's geometry in the region, :func:`_region_units`) as polygons cut to the
    region, those that hold a cell centre (:func:`_takes_a_cell`); none where the units'
    areas in the region, less the areas where two of them overlap, add up to the region's
    (no union is taken of a map that fills it). The overlaps are taken off: a map whose
    units overlap (two sheets joined with an overlap, an inclusion drawn over its host)
    could add up to the region's area while a hole was left, and the hole was not looked
    for. Also the union taken (``None`` where none was)."""
    box = shapely.box(*grid.bounds)
    geoms = np.asarray(units, dtype=object)
    with np.errstate(all="ignore"):
        here = shapely.intersection(geoms, box)
        if shapely.area(here).sum() - _overlap_area(here) >= shapely.area(box):
            return np.empty(0, dtype=object), None
        whole = shapely.union_all(geoms)
    parts = shapely.get_parts(whole)
    parts = parts[np.isin(shapely.get_type_id(parts), _POLYGONAL)]
    rings = [ring for part in parts for ring in part.interiors]
    if not rings:
        return np.empty(0, dtype=object), whole
    with np.errstate(all="ignore"):
        holes = shapely.intersection(shapely.polygons(rings), box)
    holes = holes[~shapely.is_empty(holes) & (shapely.area(holes) > 0)]
    return np.array([h for h in holes if _takes_a_cell(h, grid)], dtype=object), whole


def _overlap_area(geoms: np.ndarray) -> float:
    """The sum of the areas where two of ``geoms`` overlap, each pair once: the union of
    ``geoms`` covers at least their areas' sum less it (Bonferroni's inequality), so a sum
    that still reaches the region's area is a region the units fill, with no union."""
    if len(geoms) < 2:
        return 0.0
    # part by part: a unit is the union of its features (parts that do not overlap), so
    # two units overlap by the sum of their parts' overlaps; a unit of thousands of small
    # parts interleaved with the others' (a map of 100 000 polygons) had every pair of
    # units intersected whole, minutes of planning where the parts take a second
    parts, owner = shapely.get_parts(geoms, return_index=True)
    a, b = shapely.STRtree(parts).query(parts, predicate="intersects")
    pair = owner[a] < owner[b]
    if not pair.any():
        return 0.0
    return float(shapely.area(shapely.intersection(parts[a[pair]], parts[b[pair]])).sum())


def _filled(whole: shapely.Geometry) -> shapely.Geometry:
    """``whole`` (a unit map's union) with the holes of its polygons filled, its lines and
    points as they are."""
    parts = shapely.get_parts(whole)
    areal = np.isin(shapely.get_type_id(parts), _POLYGONAL)
    parts[areal] = shapely.polygons(shapely.get_exterior_ring(parts[areal]))
    return shapely.union_all(parts)


def _warn_holes(path: str, source: VectorSource, grid: RegionGrid,
                region: tuple[np.ndarray, list[str]] | None) -> shapely.Geometry | None:
    """Warn of holes inside a unit map that no unit fills and that take cells of the
    region (:func:`_map_holes`: a unit's polygon deleted or never drawn, a lake left
    unmapped): such a cell takes no unit, no data in the codes, without a word, where a
    map's topology checker (QGIS's "must not have gaps") names it. ``region``:
    :func:`_region_units` (``None``: not told). Returns the union of the units taken
    (:func:`_warn_off_map`'s), ``None`` where none was."""
    if region is None or not len(region[0]):
        return None
    holes, whole = _map_holes(region[0], grid)
    if not len(holes):
        return whole
    areas = shapely.area(holes)
    k = int(np.argmax(areas))
    p = shapely.point_on_surface(holes[k])
    share = float(areas.sum()) / float(shapely.area(shapely.box(*grid.bounds)))
    said = f"{share:.0%}" if share >= 0.01 else "under 1%"
    warnings.warn(DataWarning(
        f"{path}: {len(holes)} hole(s) inside the units of layer {source.layer or '(first)'} "
        f"that no unit fills take cells of the region {grid.name!r} ({said} of it; e.g. "
        f"{float(areas[k]) / grid.resolution ** 2:.3g} cells about x={p.x:.10g}, "
        f"y={p.y:.10g}): a cell there takes no unit and is no data in {source.name!r}"
        + (f" (and in {source.name + '_dist_contact'!r} more than a cell from the hole's "
           "edge, which is the map's edge, not a contact)" if source.distance_to_contacts
           else "") + "; "
        "draw the unit meant there (e.g. QGIS's Topology Checker, 'must not have gaps', "
        "or GRASS v.clean), or a unit of its own where the map leaves the ground unmapped "
        "(water, cover)"), stacklevel=3)
    return whole


def _region_units(attribute: str | None, grid: RegionGrid, inside: Any
                  ) -> tuple[np.ndarray, list[str]] | None:
    """The units of the layer's features in the region (``inside``), in the grid's CRS
    (:func:`_units`); ``None`` for a map of more features than are checked
    (:data:`OVERLAP_FEATURES`) or without the unit column."""
    present = inside[has_geometry(inside.geometry)]
    if len(present) > OVERLAP_FEATURES or (
            attribute is not None and attribute not in present.columns):
        return None
    return _units(reproject(present, grid.crs_obj), attribute)


CELLLESS_WINDOW = 4_000_000
"""The most cells of a unit's box that :func:`_takes_a_cell` rasterises (beyond it, a unit
that holds a disc of a cell's diagonal is taken to hold a centre)."""


def _centre_in_box(x0: float, y0: float, x1: float, y1: float, grid: RegionGrid) -> bool:
    """Whether a cell centre of ``grid`` may lie in the box ``x0, y0, x1, y1`` (its edges
    included, and a millionth of a cell past them: a centre on an edge is left to the
    rasteriser). A unit smaller than a cell between four centres was rasterised to learn
    it takes none (4 ms a unit: a map of 10 000 small units took 40 s to plan)."""
    left, _, _, top = grid.bounds
    res = float(grid.resolution)
    rows, cols = grid.shape
    slack = 1e-6
    c0 = max(0, int(np.ceil((x0 - left) / res - 0.5 - slack)))
    c1 = min(cols - 1, int(np.floor((x1 - left) / res - 0.5 + slack)))
    r0 = max(0, int(np.ceil((top - y1) / res - 0.5 - slack)))
    r1 = min(rows - 1, int(np.floor((top - y0) / res - 0.5 + slack)))
    return c0 <= c1 and r0 <= r1


def _takes_a_cell(geom: shapely.Geometry, grid: RegionGrid) -> bool:
    """Whether polygons ``geom`` (in the grid's CRS, within it) hold a cell centre of
    ``grid`` (the codes' rule, :class:`GeologyCodesLayer`); ``True`` where it cannot be
    told cheaply (a unit of more than :data:`CELLLESS_WINDOW` cells' box that holds no
    disc of a cell's diagonal)."""
    from affine import Affine

    left, _, _, top = grid.bounds
    res = float(grid.resolution)
    rows, cols = grid.shape
    p = shapely.point_on_surface(geom)
    col, row = np.floor((p.x - left) / res), np.floor((top - p.y) / res)
    if shapely.contains_xy(geom, left + (col + 0.5) * res, top - (row + 0.5) * res):
        return True
    x0, y0, x1, y1 = shapely.bounds(geom)
    c0, c1 = max(0, int(np.floor((x0 - left) / res))), min(cols, int(np.ceil((x1 - left) / res)))
    r0, r1 = max(0, int(np.floor((top - y1) / res))), min(rows, int(np.ceil((top - y0) / res)))
    if c1 <= c0 or r1 <= r0 or not _centre_in_box(x0, y0, x1, y1, grid):
        return False
    if (c1 - c0) * (r1 - r0) > CELLLESS_WINDOW:
        return not shapely.buffer(geom, -res * 0.7072).is_empty
    burnt = rasterize([(burnable(geom), 1)], out_shape=(r1 - r0, c1 - c0), fill=0, dtype="uint8",
                      transform=Affine(res, 0.0, left + c0 * res, 0.0, -res, top - r0 * res))
    return bool(burnt.any())


def _warn_cellless(path: str, source: VectorSource, grid: RegionGrid,
                   region: tuple[np.ndarray, list[str]] | None) -> list[str]:
    """Warn of units in the region that take no cell: no cell centre lies in any of their
    polygons (a dyke or a sill narrower than a cell, a plug smaller than one). They kept
    a code and no cell without a word (the overlap warning even said a dyke drawn over
    its host "takes" its cells). Units with lines or points (burnt as the cells they
    cross) are not looked at. ``region``: :func:`_region_units`. Returns their names.

    Where no unit in the region takes a cell (a map that meets the region in a sliver
    along its edge: the region's bounds or the map's CRS a little off), every cell of
    the layer would be no data, as for a map that lies nowhere in the region: refused
    as that is (it was this warning's "give the region a finer resolution")."""
    attribute = source.attribute
    assert attribute is not None
    if region is None or not len(region[0]):
        return []
    units, names = region
    frame = shapely.box(*grid.bounds)
    missing: list[tuple[str, float]] = []
    # each unit's part in the region, taken apart, at once (a map of 10 000 units spent
    # 10 s in a call of each per unit); the units of polygons alone are looked at
    geoms = np.asarray(units, dtype=object)
    drawn = np.flatnonzero(~shapely.is_missing(geoms) & ~shapely.is_empty(geoms))
    with np.errstate(all="ignore"):
        here = shapely.intersection(geoms[drawn], frame)
    parts, index = shapely.get_parts(here, return_index=True)
    parts, inner = shapely.get_parts(parts, return_index=True)
    index = index[inner]
    kept = ~shapely.is_empty(parts)
    parts, index = parts[kept], index[kept]
    areal = np.isin(shapely.get_type_id(parts), _POLYGONAL)
    has_parts = np.bincount(index, minlength=len(drawn)) > 0
    all_areal = np.bincount(index, weights=~areal, minlength=len(drawn)) == 0
    starts = np.searchsorted(index, np.arange(len(drawn) + 1))
    for k in np.flatnonzero(has_parts & all_areal):
        if not _takes_a_cell(shapely.union_all(parts[starts[k]:starts[k + 1]]), grid):
            missing.append((names[drawn[k]], float(shapely.area(here[k]))))
    if missing:
        unit = distance_units(grid)
        shown = ", ".join(f"{_said_name(n)} ({a:.3g} {unit}2)" for n, a in missing[:5])
        if len(missing) == int(has_parts.sum()) and not (has_parts & ~all_areal).any():
            left, bottom, right, top = (float(v) for v in shapely.total_bounds(geoms[drawn]))
            raise DataError(
                f"{path}: no cell of the region {grid.name!r} takes a unit of layer "
                f"{source.layer or '(first)'}: its features meet the region only in slivers "
                f"that hold no cell centre ({len(missing)} unit(s) of {attribute!r}, "
                f"{sum(a for _, a in missing):.3g} {unit}2 in all; e.g. {shown}"
                f"{', ...' if len(missing) > 5 else ''}), so every cell of {source.name!r} "
                "would be no data; check the file, its CRS or the region bounds (the map's "
                f"features there lie within ({left:.12g}, {bottom:.12g}, {right:.12g}, "
                f"{top:.12g}) in the region's CRS, the region within "
                f"({', '.join(f'{float(v):.12g}' for v in grid.bounds)})), or give the "
                f"region a finer resolution than {grid.resolution:g} {unit} if the units "
                "are narrower than a cell")
        warnings.warn(DataWarning(
            f"{path}: {len(missing)} unit(s) of {attribute!r} in the region take no cell: "
            f"no cell centre lies in their polygons (e.g. {shown}"
            f"{', ...' if len(missing) > 5 else ''}: narrower or smaller than a cell of "
            f"{grid.resolution:g} {unit}), so they keep a code with no cell (a cell is the "
            "unit its centre lies in): give the region a finer resolution, or widen them in "
            "the map (e.g. QGIS's Buffer) if they are to be mapped"), stacklevel=3)
    return [n for n, _ in missing]


def _where_hint(path: str, layer: str | None, crs: str | None, grid: RegionGrid) -> str:
    """Where a layer that lies nowhere in the region lies instead, for its refusal: under
    the CRS the file states, where the config's ``crs:`` replaces it and the features lie
    in the region then ("remove 'crs:'"); else the layer's extent, the place it is at and
    how far from the region (a Shapefile without ``.prj`` given another CRS's ``crs:``),
    with the CRS to give where WGS 84 or the region's CRS places them in it
    (:func:`~prospect.io.vector.meant_crs_fix`); ``""`` when that cannot be told. Either
    was "no feature ... lies in the region" alone."""
    from pyproj import Geod

    try:
        info = layer_info(path, layer=layer)
        own, bounds = info.get("crs"), info.get("total_bounds")
        if bounds is None or not np.all(np.isfinite(np.asarray(bounds, "f8"))):
            return ""
        region = shapely.box(*grid.bounds)
        if crs is not None and own is not None and parse_crs(own) != parse_crs(crs):
            to_grid = Transformer.from_crs(parse_crs(own), grid.crs_obj, always_xy=True)
            with np.errstate(all="ignore"):
                west, south, east, north = (float(b) for b in bounds)
                there = shapely.box(*to_grid.transform_bounds(west, south, east, north,
                                                              densify_pts=21))
            if there.is_valid and there.intersects(region):
                return (f"; under the CRS the file states ({parse_crs(own).name}), which the "
                        f"source config's crs {crs!r} replaces, its features lie in the "
                        "region: remove 'crs:' from the source config if the file's CRS is "
                        "right")
        said = parse_crs(crs or own)
        west, south, east, north = (float(b) for b in bounds)
        with np.errstate(all="ignore"):
            lon, lat = Transformer.from_crs(said, "EPSG:4326", always_xy=True).transform(
                (west + east) / 2, (south + north) / 2)
        where = f"x {west:.10g} to {east:.10g}, y {south:.10g} to {north:.10g} in {said.name}"
        if not (np.isfinite(lon) and np.isfinite(lat)) or abs(lat) > 90:
            return (f"; its features lie at {where}, which places them nowhere on Earth: "
                    "check the layer's CRS ('crs:' in the source config, or its .prj)")
        lon = (lon + 180.0) % 360.0 - 180.0  # a map in longitudes 0..360: 291.5 is 68.5 W
        r_west, r_south, r_east, r_north = grid.lonlat_bounds()
        km = Geod(ellps="WGS84").inv(lon, lat, (r_west + r_east) / 2,
                                     (r_south + r_north) / 2)[2] / 1000
        fix = meant_crs_fix(path, said, crs, bounds, grid)  # (lon/lat, the region's CRS)
    except Exception:  # the refusal stands on its own
        return ""
    return (f"; its features lie at {where} (about {abs(lat):.4g} {'N' if lat >= 0 else 'S'}, "
            f"{abs(lon):.4g} {'E' if lon >= 0 else 'W'}), {km:,.0f} km from the region's "
            "centre: " + (fix or "check the layer's CRS ('crs:' in the source config, or "
                          "its .prj) and the region's bounds"))


def _warn_gaps(path: str, grid: RegionGrid, region: tuple[np.ndarray, list[str]] | None
               ) -> int:
    """Warn of units that do not meet but lie closer than half a cell with no unit between
    them (:func:`unit_gaps`): their facing boundaries are taken as contacts. ``region``:
    the units in the region (:func:`_region_units`). Returns the pairs' count."""
    if region is None:
        return 0
    units, names = region
    _warn_slivers(path, grid, units, names)
    pairs = unit_gaps(units, grid.resolution / 2)
    if not pairs:
        return 0
    i, j, line = max(pairs, key=lambda p: p[2].length)
    x, y = shapely.get_coordinates(line)[0]
    warnings.warn(DataWarning(
        f"{path}: {len(pairs)} pair(s) of units do not meet but lie closer than half a cell "
        f"({grid.resolution / 2:g} {distance_units(grid)}) with no unit between them (e.g. "
        f"{_said_name(names[i])} and {_said_name(names[j])}, {line.length:.3g} apart at "
        f"x={x:.10g}, y={y:.10g}): a map digitised without snapping; their facing "
        "boundaries are taken "
        "as contacts (a gap made both the map's edge, with no contact): snap the map's "
        "topology (e.g. QGIS's Snap Geometries to Layer, or GRASS v.clean) if they are "
        "meant to meet"), stacklevel=3)
    return len(pairs)


def _warn_slivers(path: str, grid: RegionGrid, units: np.ndarray, names: list[str]) -> int:
    """Warn of units that meet in places and lie a gap apart elsewhere, a sliver narrower
    than half a cell between them (:func:`edge_gaps`): the stretches along it are taken as
    contacts. Returns the stretches' count."""
    if len(units) < 2:
        return 0
    keys, pieces = _sliver_faces(np.asarray(units, dtype=object), grid.resolution / 2, None)
    if not len(keys):
        return 0
    groups, which = np.unique(keys, axis=0, return_inverse=True)
    which = which.ravel()
    longest = int(np.argmax(np.bincount(which, weights=shapely.length(pieces))))
    _, i, j = (int(k) for k in groups[longest])
    line = shapely.line_merge(shapely.union_all(pieces[which == longest]))
    x, y = shapely.get_coordinates(line)[0]
    warnings.warn(DataWarning(
        f"{path}: {len(groups)} stretch(es) of unit boundaries face another unit across a "
        f"hole of the map narrower than half a cell ({grid.resolution / 2:g} "
        f"{distance_units(grid)}) that no unit covers (e.g. {_said_name(names[i])} facing "
        f"{_said_name(names[j])} over {line.length:.4g} {distance_units(grid)} from x={x:.10g}, "
        f"y={y:.10g}): a map digitised without snapping (lines that cross); the stretches "
        "are taken as contacts (the sliver made them the map's edge, with no contact): snap "
        "the map's topology (e.g. QGIS's Snap Geometries to Layer, or GRASS v.clean) if the "
        "units are meant to meet there"), stacklevel=4)
    return len(groups)


def _boxes(bbox: tuple[float, float, float, float]) -> list[shapely.Geometry]:
    """A box of the file's CRS as boxes: one, or (longitudes across the antimeridian, west
    > east) its spans west of 180, east of -180 and past 180 (a file in 0..360)."""
    west, south, east, north = bbox
    if west <= east:
        return [shapely.box(*bbox)]
    return [shapely.box(west, south, 180.0, north), shapely.box(-180.0, south, east, north),
            shapely.box(180.0, south, east + 360.0, north)]


def _warn_faults_away(path: str, source: VectorSource, grid: RegionGrid, gdf: Any) -> None:
    """Warn of a faults layer none of whose features lies in the region or within the
    region's width of it (faults of another sheet or area, or of another CRS than
    stated): every cell's distance was measured to faults far outside the region, a
    smooth ramp of tens of kilometres, without a word. A region between faults a little
    way outside it is no such case."""
    layer = source.faults_layer
    geoms = gdf.geometry[has_geometry(gdf.geometry)]
    if geoms.empty:
        return
    src_crs = _source_crs(path, layer, source.crs, grid)
    arr = np.asarray(geoms.to_numpy(), dtype=object)
    if any(shapely.intersects(arr, b).any() for b in _boxes(_bbox_in(grid, None, src_crs))):
        return
    try:
        moved = reproject_geometry(arr, geoms.crs, grid.crs_obj)  # each edge as drawn
        with np.errstate(all="ignore"):
            far = float(np.nanmin(shapely.distance(np.asarray(moved, dtype=object),
                                                   shapely.box(*grid.bounds))))
    except Exception:  # the warning stands without the distance
        far = np.nan
    west, south, east, north = grid.bounds
    if far <= max(east - west, north - south):
        return
    nearest = f" (the nearest is {far:,.0f} {distance_units(grid)} from it)" \
        if np.isfinite(far) else ""
    try:  # (WGS 84 or the region's CRS places it in the region: say so)
        fix = meant_crs_fix(path, src_crs, source.crs, geoms.total_bounds, grid,
                            layer=layer)
    except Exception:  # the warning stands without it
        fix = ""
    warnings.warn(DataWarning(
        f"{path}: none of the {len(geoms)} feature(s) of the faults layer {layer!r} lies in "
        f"the region {grid.name!r}{nearest}: {source.name}_dist_fault measures every cell "
        "to faults outside the region; " + (
            f"{fix}, or leave 'faults_layer' out" if fix else "check that the layer covers "
            "the region and its CRS ('crs:' in the source config, or the file's), or leave "
            "'faults_layer' out")),
        stacklevel=4)


def _check_faults(path: str, source: VectorSource, grid: RegionGrid) -> int:
    """Faults are lines, or polygons of fault zones: refuse an empty layer or points; warn
    of a layer with no feature in the region (:func:`_warn_faults_away`).

    Returns the number of features holding polygons (taken as areas: a cell inside one
    is at distance 0; a warning says so). A layer that declares a line type is not read.
    """
    layer = source.faults_layer
    info = layer_info(path, layer=layer)
    if not info.get("features"):
        raise DataError(f"{path}: the faults layer {layer!r} holds no features, so every "
                        "distance to a fault would be no data; give the layer of fault "
                        "lines, or leave 'faults_layer' out")
    # read whole (a declared line type too): its coordinates are checked by the reader, and
    # a line of no length is a point in disguise
    gdf = read_vector(path, layer=layer, columns=[], crs=source.crs, collapsed_as_lines=True)
    _warn_closed(path, gdf.attrs)
    _warn_surfaces(path, layer, gdf.attrs)
    _warn_collapsed(path, layer, gdf.attrs.get("collapsed", []))
    _warn_gdal(path, layer, gdf.attrs.get("gdal", {}))
    _check_present(path, layer, gdf, "the distances to a fault", what="the faults layer")
    flat = gdf.attrs.get("flat_lines", [])
    if flat:
        x, y = shapely.get_coordinates(gdf.geometry.iloc[flat[0]])[0]
        raise DataError(
            f"{path}: the faults layer {layer!r} holds {len(flat)} line(s) of no length "
            f"(every vertex at one place, e.g. x={x:.10g}, y={y:.10g}): each would be "
            "measured as a point, not a fault; delete them (e.g. ogr2ogr -where "
            "'ST_Length(geom) > 0') or draw the faults")
    geoms = gdf.geometry[has_geometry(gdf.geometry)].to_numpy()
    # single parts (multi-geometries and collections taken apart), and their features
    parts, feature = shapely.get_parts(geoms, return_index=True)
    parts, index = shapely.get_parts(parts, return_index=True)
    feature, kind = feature[index], shapely.get_type_id(parts)
    points = np.unique(feature[kind == 0]).size  # Point
    if points:
        raise DataError(
            f"{path}: the faults layer {layer!r} holds points ({points} of {len(geoms)} "
            "feature(s)); a distance to a fault is measured to fault lines or fault-zone "
            "polygons, not to points; give the layer of fault lines, or remove the points")
    _warn_faults_away(path, source, grid, gdf)
    if str(info.get("geometry_type") or "").split(" ")[0] in _LINE_TYPES:
        return 0
    zones = np.unique(feature[kind == 3]).size  # Polygon
    if zones:
        share = _zone_share(parts[kind == 3], gdf.crs, grid)
        cover = "" if share is None else (
            f"; they cover {share:.0%} of the region, whose cells there are all at distance 0"
            + (" (a map of fault-bounded blocks, or the unit layer named as the faults?)"
               if share >= 0.5 else ""))
        warnings.warn(DataWarning(
            f"{path}: the faults layer {layer!r} holds polygons ({zones} of {len(geoms)} "
            "feature(s)); they are taken as fault zones (areas): a cell inside one is at "
            f"distance 0, a cell outside at its distance to the zone{cover}; give fault "
            "lines if they are not zones (e.g. QGIS's Polygons to Lines)"), stacklevel=3)
    return zones


def _zone_share(polygons: np.ndarray, crs: Any, grid: RegionGrid) -> float | None:
    """The share of the region's area that fault-zone ``polygons`` (in ``crs``) cover,
    on the region's grid; ``None`` where it cannot be measured (the warning stands
    without it). A layer of fault-bounded blocks, or the unit layer named as the faults,
    covers most of it: every ``_dist_fault`` cell was 0, said only as "taken as zones"."""

    try:
        moved = reproject_geometry(np.asarray(polygons, dtype=object), crs, grid.crs_obj)
        region = shapely.box(*grid.bounds)
        with np.errstate(all="ignore"):
            moved = shapely.make_valid(moved[shapely.intersects(moved, region)])
            inside = shapely.intersection(shapely.union_all(moved), region)
        return min(1.0, float(shapely.area(inside)) / float(shapely.area(region)))
    except Exception:
        return None


def _warn_collapsed(path: str, layer: str | None, numbers: list[int]) -> None:
    """Warn of a faults layer's polygons of no area (every vertex on one line: a fault
    line drawn as a polygon, or closed back on itself), measured as the lines they trace.
    They were read as empty: left out of every distance, and said to have "no geometry
    (null or empty)", or a layer of them refused as an attribute table."""
    if not numbers:
        return
    shown = ", ".join(map(str, numbers[:8])) + (", ..." if len(numbers) > 8 else "")
    warnings.warn(DataWarning(
        f"{path}: {len(numbers)} feature(s) of the faults layer {layer!r} are polygons of "
        f"no area (every vertex on one line: features {shown}, numbered from 1 in file "
        "order): each is measured as the fault line it traces; draw them as lines (e.g. "
        "QGIS's Polygons to Lines), or as fault-zone polygons with an area"), stacklevel=4)


def _warn_gdal(path: str, layer: str | None, said: dict[str, int]) -> None:
    """Warn of what GDAL reported reading the layer (it went to GDAL's stderr before)."""
    text = gdal_said_message(path, layer, said)
    if text:
        warnings.warn(DataWarning(text), stacklevel=3)


def _check_present(path: str, layer: str | None, gdf: Any, left_out_of: str, *,
                   what: str) -> None:
    """Refuse a layer whose every feature has no geometry (null or empty); warn of some."""
    absent = ~has_geometry(gdf.geometry)
    if not absent.any():
        return
    numbers = [int(i) + 1 for i in np.flatnonzero(absent)]
    if absent.all():
        raise DataError(_all_absent(path, layer, len(numbers), what))
    warnings.warn(DataWarning(no_geometry_message(path, layer, numbers, len(gdf),
                                                  left_out_of)), stacklevel=3)


def _warn_absent(path: str, source: VectorSource, whole: Units) -> None:
    """Warn of a unit layer's features without a geometry, naming the units that are left
    with no code (every feature of theirs has none)."""
    if source.attribute is None:
        left = "the contacts"
    else:
        gone = set(whole.absent)
        drawn = {n for i, n in enumerate(whole.names, 1) if i not in gone}
        lost = sorted({whole.names[i - 1] for i in gone} - drawn)
        left = "the unit codes" + (
            f" (unit(s) {', '.join(map(repr, lost[:8]))}{', ...' if len(lost) > 8 else ''} "
            "of no other feature get no code)" if lost else "")
        if source.distance_to_contacts:
            left += " and the contacts"
    warnings.warn(DataWarning(no_geometry_message(path, source.layer, whole.absent,
                                                  whole.total, left)), stacklevel=3)


def _all_absent(path: str, layer: str | None, n: int, what: str) -> str:
    return (f"{path}: every one of the {n} feature(s) of {what} "
            f"{repr(layer) if layer else '(first)'} has "
            "no geometry (null or empty), so no cell can take a value from it; give the "
            "layer with the geometries (an attribute table exported without them?)")


def _warn_closed(path: str, noted: dict[str, Any]) -> None:
    """Warn of rings the reader closed (their last point was not their first); ``noted``:
    the read's ``attrs``."""
    closed = noted.get("closed", 0)
    if closed:
        warnings.warn(DataWarning(
            f"{path}: {closed} feature(s) have rings whose last point is not their first "
            "(not closed, against the format); each ring is closed back to its first point: "
            "check those features, or rewrite the file with ogr2ogr"), stacklevel=3)


def _warn_surfaces(path: str, layer: str | None, noted: dict[str, Any]) -> None:
    """Warn of 3D surfaces (PolyhedralSurface, TIN: an ESRI multipatch) the reader took
    as their footprints in plan; ``noted``: the read's ``attrs``."""
    surfaces = noted.get("surfaces", 0)
    if surfaces:
        warnings.warn(DataWarning(surfaces_message(path, layer, surfaces)), stacklevel=3)


def plan_vector(source: VectorSource, grid: RegionGrid) -> list[Layer]:
    """Layers of a vector source: ``<name>`` codes, ``<name>_dist_contact``, ``<name>_dist_fault``.

    A map read over a network (a URL, ``/vsicurl/``...) is read under the source's
    ``remote:`` timeout and retries, at planning and in every task (the layers'
    ``gdal_options``): GDAL's own default waits for ever on a server that accepts the
    connection and never answers. A ``faults_extent`` file read over a network is read
    under them too (at planning, its one read), beside a local map as well: it was read
    under the defaults of an unset ``remote:``, 30 s and 3 retries a look at it.

    Raises
    ------
    InputFileError, CRSError, DataError
        Missing/corrupt file, a server that does not answer in time, unknown layer or
        attribute, no CRS, or no feature in the region.
    """
    from prospect.io.remote import (
        forget_cached,
        gdal_http_options,
        is_network_name,
        network_version,
    )

    extent = source.faults_extent  # (a file of the mapped area is read at planning only)
    read = [str(source.path)] + ([] if extent is None or isinstance(extent, tuple)
                                 else [str(extent)])
    remote_read = [name for name in read if is_network_name(name)]
    if not remote_read:
        return _plan_vector(source, grid)
    # what this process's GDALs hold of the map (and the caches keyed by its epoch) is
    # dropped: a map replaced on its server is read as it is now, not as first read
    forget_cached(remote_read)
    remote = source.remote
    options = tuple(gdal_http_options(timeout_s=remote.timeout_s, retries=remote.retries,
                                      retry_delay_s=remote.retry_delay_s).items())
    with remote_reads(options):
        layers = _plan_vector(source, grid)
    if not is_network_name(str(source.path)):
        return layers  # (a task reads the local map alone)
    versions = ((str(source.path), network_version(str(source.path), options)),)
    return [replace(layer, gdal_options=options, versions=versions)
            if isinstance(layer, GeologyCodesLayer | LineDistanceLayer) else layer
            for layer in layers]


def _plan_vector(source: VectorSource, grid: RegionGrid) -> list[Layer]:
    path = str(source.path)
    layers_in_file = list_layers(path, source.layer)
    if source.faults_layer is not None and \
            field_named(layers_in_file, source.faults_layer) is None:
        raise DataError(
            f"{path}: no faults layer {source.faults_layer!r}; layers are {layers_in_file}"
            # (a layer one letter case apart, which the unit 'layer:' names)
            + near_column(source.faults_layer, layers_in_file)
            + ("; a file of one layer (a Shapefile, a GeoJSON) holds the units alone: give "
               "the faults' own file as a source of its own (kind: vector, path: <the "
               "faults' file>, faults_layer: <its layer>)" if len(layers_in_file) == 1
               else ""))
    if source.crs is None:
        refuse_partial_prj(path)
    if source.attribute is None and not source.distance_to_contacts:
        return [_plan_faults(path, source, grid)]  # (no unit layer is read)
    src_crs = _source_crs(path, source.layer, source.crs, grid)
    check_transformable(src_crs, grid.crs_obj, where=path)
    replaced = crs_replaced_message(path, layer=source.layer, crs=source.crs)
    if replaced:  # a config crs: that moves the map's own features elsewhere
        warnings.warn(DataWarning(replaced), stacklevel=2)
    if source.faults_layer is not None:
        _check_faults_crs(path, source, grid)
    stale = stale_index_message(path, source.layer)  # (not used: each read scans the file)
    if stale:
        warnings.warn(DataWarning(stale), stacklevel=2)
    zones = _check_faults(path, source, grid) if source.faults_layer is not None else 0
    # the unit column with the geometries when the layer has it (the overlap check's);
    # a missing one is read_units's to name below
    fields = layer_fields(path, layer=source.layer)
    unit_column = source.attribute if source.attribute is not None and field_named(
        fields, source.attribute) is not None else None
    if source.priority is not None:
        _check_priority_column(path, source, fields)
    inside = by_priority(read_vector(
        path, layer=source.layer, columns=unit_columns(unit_column, source.priority),
        crs=source.crs, bbox=_bbox_in(grid, None, src_crs), domains=unit_domains(unit_column)),
        source.priority)
    if source.priority is not None and not inside.empty:
        _check_priority_values(path, source, inside)
    # the codes and the contacts are of the whole layer: read it all (names, and which
    # features have a geometry)
    whole = read_units(path, source.attribute, layer=source.layer, domains=True) \
        if source.attribute is not None or source.distance_to_contacts else None
    noted = whole.attrs if whole is not None else inside.attrs
    _warn_closed(path, noted)
    _warn_surfaces(path, source.layer, noted)
    _warn_gdal(path, source.layer, noted.get("gdal", {}))
    if whole is not None and whole.total and len(whole.absent) == whole.total:
        raise DataError(_all_absent(path, source.layer, whole.total, "layer"))
    coded = domains_message(path, source.layer, noted.get("domains", {}))
    if coded:  # (codes of a unit column its domain does not name)
        warnings.warn(DataWarning(coded), stacklevel=2)
    if inside.attrs.get("recoded"):
        warnings.warn(DataWarning(recoded_message(path, inside.attrs["recoded"])),
                      stacklevel=2)
    # the whole layer's values stored as another type than their column's (GeoPackage)
    retyped = retyped_message(path, source.layer, {**inside.attrs.get("retyped", {}),
                                                   **noted.get("retyped", {})})
    if retyped:
        warnings.warn(DataWarning(retyped), stacklevel=2)
    repaired = repaired_message(path, inside, "geology")  # each one's reason and reading
    if repaired:
        warnings.warn(DataWarning(repaired), stacklevel=2)
    if inside.empty:
        raise DataError(
            f"{path}: no feature of layer {source.layer or '(first)'} lies in the region "
            f"{grid.name!r}; check the file, its CRS or the region bounds"
            + (not_lonlat_hint(path, layer=source.layer, crs=source.crs, region=grid)
               or _where_hint(path, source.layer, source.crs, grid)))
    _warn_crs_link(path, source)
    base = {"source": source.name, "layer": source.layer, "method": "rasterio.features"}
    if source.priority is not None:  # (in the layers' cache key; absent where not given)
        base["priority"] = f"{source.priority} (higher drawn on top, ties in file order)"
    out: list[Layer] = []
    if whole is not None and whole.absent:
        _warn_absent(path, source, whole)
    if source.attribute is not None:
        assert whole is not None
        _check_units(path, source, inside)
        _refuse_binary_units(path, source, inside)
        gone = set(whole.absent)
        names = [n for i, n in enumerate(whole.names, 1) if i not in gone]
        if names and not any(names):
            raise DataError(
                f"{path}: no feature has a value in {source.attribute!r}; name the column "
                "that holds the unit names ('attribute')")
        if "" in names:
            warnings.warn(DataWarning(
                f"{path}: {names.count('')} of {len(names)} feature(s) have no value in "
                f"{source.attribute!r}; they are rasterised as one unit with no name ('')"),
                stacklevel=2)
        codes = tuple(sorted(set(names)))
        _warn_twin_units(path, source.attribute, codes)
        _warn_control_characters(path, source.attribute, codes)
        overlaps = _warn_overlaps(path, source.attribute, grid, inside, source.priority,
                                  source.layer)
        region = _region_units(source.attribute, grid, inside)
        _warn_cellless(path, source, grid, region)
        out.append(GeologyCodesLayer(
            name=source.name, units="1", long_name=f"{source.name} unit code ({source.attribute})",
            kind="categorical", inputs=dataset_files(path),
            settings={**base, "attribute": source.attribute, "rule": "cell centre in polygon",
                      **_domain_setting(source.attribute, noted.get("domains", {}))},
            path=path, layer=source.layer, attribute=source.attribute, crs=source.crs,
            codes=codes, dtype="int16" if len(codes) <= np.iinfo(np.int16).max else "int32",
            priority=source.priority,
        ))
    if source.distance_to_contacts:
        if source.attribute is None:
            region = _region_units(source.attribute, grid, inside)
        _warn_no_contacts(path, source, grid, region, inside,
                          overlaps if source.attribute is not None else None)
        _warn_gaps(path, grid, region)
        _warn_off_map(path, source, grid, _warn_holes(path, source, grid, region))
        out.append(LineDistanceLayer(
            name=f"{source.name}_dist_contact", units=distance_units(grid),
            long_name=f"distance to nearest {source.name} contact", kind="distance",
            inputs=dataset_files(path), settings={**base, "method": "shapely STRtree nearest",
                                      "lines": "unit boundaries minus map edge, holes under half "
                                               "a cell between units as contacts, overlapping "
                                               "units as drawn, lines across other units",
                                      **_ground_settings(grid)},
            path=path, layer=source.layer, attribute=source.attribute, crs=source.crs,
            contacts=True, ground=_ground_of(grid), priority=source.priority,
        ))
    if not source.distance_to_contacts:  # (with contacts, said before the contacts' layer)
        _warn_off_map(path, source, grid, _warn_holes(path, source, grid, region))
    if source.faults_layer is not None:
        out.append(_fault_layer(path, source, grid, zones))
    _warn_degree_distances(source, grid)
    return out


def _check_priority_column(path: str, source: VectorSource, fields: list[str]) -> None:
    """Refuse a ``priority`` that names no column of the layer, naming the columns, the
    one meant (a case apart, an alias) and the key. A column written in another Unicode
    form (``priorité`` typed composed, decomposed in a file written on a Mac) is the
    column (:func:`~prospect.io.vector.field_named`, as the unit column's): it was "no
    column 'priorité' (did you mean 'priorité'?)", which no retyping could fix."""
    assert source.priority is not None
    if field_named(fields, source.priority) is not None:
        return
    hint = near_column(source.priority, fields) or column_alias_hint(
        path, source.priority, fields, layer=source.layer)
    raise DataError(f"{path}: no column {source.priority!r} to draw the units in the order "
                    f"of ('priority'); columns are {fields[:30]}{hint}")


def _check_priority_values(path: str, source: VectorSource, inside: Any) -> None:
    """Refuse a ``priority`` column that does not hold numbers (text, dates, yes/no): its
    order is not the order of the numbers it looks like (``'10'`` before ``'9'``)."""
    assert source.priority is not None
    import pandas as pd

    values = inside[source.priority]
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return
    given = values.dropna()
    example = f" (e.g. {_said_name(given.iloc[0])})" if len(given) else ""
    raise DataError(
        f"{path}: column {source.priority!r} ('priority') holds {values.dtype} values"
        f"{example}, not numbers; the units are drawn in the order of its numbers (higher "
        "on top): give a column of numbers (an Integer or Real field)")


def _domain_setting(attribute: str, domains: dict[str, Any]) -> dict[str, str]:
    """The coded-value domain whose names the unit codes were read as
    (:func:`~prospect.io.vector.domains_message`), as the codes layer's ``domain``
    setting (the codes themselves are not in the code table); none without one."""
    found = domains.get(attribute)
    return {"domain": f"{found[0]} (codes read as its names)"} if found else {}


def _warn_degree_distances(source: VectorSource, grid: RegionGrid) -> None:
    """Warn that the contact and fault distances of a region in a geographic CRS are in
    degrees (recorded as ``degree``), as a point source's ``<name>_dist`` is warned of: a
    degree of longitude is the cosine of the latitude of a degree of latitude, so a
    contact due east of a cell at 52 N was 1.6 times nearer than one as far due north,
    without a word."""
    names = [f"'{source.name}_dist_contact'"] if source.distance_to_contacts else []
    names += [f"'{source.name}_dist_fault'"] if source.faults_layer is not None else []
    if not grid.crs_obj.is_geographic or not names:
        return
    warnings.warn(DataWarning(
        f"source {source.name!r}: the region {grid.name!r} is in {grid.crs} (degrees), so "
        f"{' and '.join(names)} hold{'s' if len(names) == 1 else ''} distances in degrees "
        "of longitude and latitude, recorded as 'degree', not distances on the ground "
        "(east-west degrees are shorter than north-south ones away from the equator); for "
        "distances in metres give the region a projected CRS (its UTM zone)"), stacklevel=3)


def _ground_of(grid: RegionGrid) -> str | None:
    """The frame the contact and fault distances of ``grid`` are measured in: the
    :func:`~prospect.ingest.surfaces.ground_frame` of a projected region whose metres are
    not the ground's (:func:`~prospect.ingest.surfaces.scale_off_ground`: Web Mercator,
    1.62 of its metres to a metre on the ground at 52 N), as a point source's
    ``<name>_dist`` is; ``None`` for any other region (its own coordinates; a region in
    degrees keeps degrees, recorded as ``degree``).

    They were measured in Web Mercator's metres and labelled ``m``: 1.62 times the
    ground's at 52 N, with a warning only."""
    from prospect.ingest.surfaces import ground_frame, scale_off_ground

    return ground_frame(grid) if scale_off_ground(grid) is not None else None


def _ground_settings(grid: RegionGrid) -> dict[str, str]:
    """The settings entry of a distance layer measured on the ground (:func:`_ground_of`),
    as the point surfaces record it; none for a region measured in its own coordinates."""
    from prospect.ingest.surfaces import ground_note

    return ground_note(_ground_of(grid), degrees=False)


def _warn_crs_link(path: str, source: VectorSource) -> None:
    """Warn of a GeoJSON whose ``crs`` member links to a CRS (GeoJSON 2008), which GDAL
    does not follow: the map is read as WGS 84 longitude/latitude (RFC 7946) without a
    word, so a map in the linked CRS's longitude/latitude (another datum's) lay its datum
    shift off. A ``crs:`` in the source config is the map's CRS, as said."""
    if source.crs is not None or not path.lower().endswith((".geojson", ".json")):
        return
    link = geojson_crs_link(path)
    if link:
        warnings.warn(DataWarning(
            f"{path}: its 'crs' member links to {link} (GeoJSON 2008), which GDAL does not "
            "follow: the map is read as WGS 84 longitude/latitude (RFC 7946); if its "
            "coordinates are in the linked CRS, give that CRS with 'crs:' in the source "
            "config"), stacklevel=3)


def _check_faults_crs(path: str, source: VectorSource, grid: RegionGrid) -> None:
    """Refuse a faults layer whose CRS cannot be taken to the grid's; warn of one the
    config's ``crs:`` replaces. A layer of its own CRS: the one ``crs:`` replaced it too (a
    GeoPackage's faults in lon/lat under the units' UTM ``crs:``: every distance 1 440 km,
    without a word); a ``crs:`` that restates the units layer's own CRS corrects no
    ``.prj`` of the faults."""
    assert source.faults_layer is not None
    check_transformable(_source_crs(path, source.faults_layer, source.crs, grid), grid.crs_obj,
                        where=f"{path} (layer {source.faults_layer!r})")
    replaced = crs_replaced_message(
        path, layer=source.faults_layer, crs=source.crs,
        corrects=not _states_crs(path, source.layer, source.crs))
    if replaced:
        warnings.warn(DataWarning(replaced), stacklevel=3)


def _fault_layer(path: str, source: VectorSource, grid: RegionGrid, zones: int
                 ) -> LineDistanceLayer:
    """The ``<name>_dist_fault`` layer of a source's ``faults_layer``; ``zones``: its
    features holding polygons (:func:`_check_faults`)."""
    assert source.faults_layer is not None
    settings: dict[str, Any] = {
        "source": source.name, "layer": source.faults_layer, "method": "shapely STRtree nearest"}
    if zones:  # recorded (and in the fingerprint) only where there are any
        settings["polygons"] = "fault zones: distance 0 inside"
    settings.update(_ground_settings(grid))
    inputs = dataset_files(path)
    extent = None
    if source.faults_extent is not None:  # recorded only where given
        extent, said = _faults_extent(source, grid)
        settings["extent"] = said
        if not isinstance(source.faults_extent, tuple):
            inputs = inputs + tuple(  # (the map's own file, where it holds the extent)
                f for f in dataset_files(str(source.faults_extent)) if f not in inputs)
    return LineDistanceLayer(
        name=f"{source.name}_dist_fault", units=distance_units(grid),
        long_name=f"distance to nearest fault ({source.faults_layer})", kind="distance",
        inputs=inputs, settings=settings,
        path=path, layer=source.faults_layer, attribute=None, crs=source.crs,
        contacts=False, ground=_ground_of(grid), extent=extent,
    )


_CRS_KEY_TOLD = "; give it with 'crs:' in the source config"
"""How the reader tells a file without a CRS to be given one (the source's ``crs:``)."""


def _faults_extent(source: VectorSource, grid: RegionGrid) -> tuple[bytes, str]:
    """The area a source's ``faults_extent`` says its faults were mapped in, as WKB in the
    grid's CRS, and how it is recorded in the layer's settings.

    A fault layer's distances were measured in every cell of the region, off the area the
    faults were mapped in too (a fault compilation of one sheet over a region of two):
    there a cell was given its distance to the sheet's faults, though a fault off the
    sheet may be nearer, without a word. With ``faults_extent`` (bounds in the region's
    CRS, or a file of the mapped area's polygons) those cells are no data.

    Raises
    ------
    DataError
        A file of no polygon or of several layers, or an extent that leaves no cell
        centre of the region inside it (every distance would be no data).
    CRSError
        A file that states no CRS (the source's ``crs:`` is its map's, not this file's).
    NetworkReadError
        A file over a network not brought within the source's ``remote:`` timeout and
        retries (its message names the key and the source).
    """
    given = source.faults_extent
    assert given is not None
    where = f"{source.path}: faults_extent"
    if isinstance(given, tuple):
        area = shapely.box(*given)
        said = f"bounds {list(given)} ({grid.crs})"
    else:
        file, layer = str(given), source.faults_extent_layer
        where = f"{file} (faults_extent of source {source.name!r})"
        try:
            layers = list_layers(file, None)
            # (QGIS's layer_styles beside the sheet's one layer: that layer is read)
            if layer is None and len(map_layers(layers)) > 1:  # ('layer:': the units')
                pick = [n for n in map_layers(layers)
                        if n not in (source.layer, source.faults_layer)]
                pick = pick or layers
                raise DataError(
                    f"{where}: holds {len(layers)} layers ({', '.join(layers)}); name the "
                    "one of the mapped area with 'faults_extent_layer:' in the source "
                    f"config (e.g. faults_extent_layer: {pick[0]}; 'layer:' names the map's "
                    "units), or give it as a file of one layer (e.g. ogr2ogr -f GPKG "
                    f"sheet.gpkg {file.rsplit('/', 1)[-1]} {pick[0]!r}), or its bounds "
                    "([left, bottom, right, top] in the region's CRS)")
            if layer is not None and layer not in layers:
                near = difflib.get_close_matches(layer, layers, n=1)
                raise DataError(
                    f"{where}: no layer {layer!r} (faults_extent_layer); its layers are "
                    f"{', '.join(layers)}"
                    + (f" (did you mean {near[0]!r}?)" if near else "")
                    + "; name one of them in 'faults_extent_layer'")
            gdf = read_vector(file, layer=layer, columns=[], to_crs=grid.crs_obj.to_wkt())
        except NetworkReadError as exc:  # (named: the map's own URL may be read fine)
            raise NetworkReadError(f"faults_extent of source {source.name!r}: {exc}") \
                from None
        except CRSError as exc:  # (the source's 'crs:' is its map's: this file's is unread)
            head, told, tail = str(exc).partition(_CRS_KEY_TOLD)
            why = head.partition(": the vector file has no CRS")[2]
            if not told:
                raise
            raise CRSError(
                f"{where}: the file has no CRS{why}; the source's 'crs:' is its map's, not this "
                f"file's: write the CRS into the file{tail}, with ogr2ogr -a_srs EPSG:NNNN or "
                "a .prj beside a Shapefile, or give the area's bounds ([left, bottom, right, "
                "top] in the region's CRS)") from None
        repaired = repaired_message(where, gdf, "faults_extent")  # (a bow-tie outline)
        if repaired:
            warnings.warn(DataWarning(repaired), stacklevel=4)
        parts = shapely.get_parts(shapely.get_parts(
            gdf.geometry[has_geometry(gdf.geometry)].to_numpy()))  # (collections' too)
        polygons = parts[(shapely.get_type_id(parts) == 3) & ~shapely.is_empty(parts)]
        if not len(polygons):
            raise DataError(
                f"{where}: holds no polygon ({len(gdf)} feature(s){_lines_said(parts)}), so "
                "it says no area where the faults were mapped; give a file of the mapped "
                "area's polygons, or its bounds ([left, bottom, right, top] in the region's "
                "CRS)")
        area = shapely.union_all(polygons)
        said = f"polygons of {file}" + (f" (layer {layer!r})" if layer is not None else "")
    region = shapely.box(*grid.bounds)
    share = float(shapely.area(shapely.intersection(area, region)) / shapely.area(region))
    if share <= 0.0:
        raise DataError(
            f"{where}: it does not cover any of the region {grid.name!r} (its bounds "
            f"{[round(float(b), 6) for b in area.bounds]}, the region's "
            f"{[float(b) for b in grid.bounds]} in {grid.crs}), so {source.name}_dist_fault "
            "would be no data in every cell; give the area in the region's CRS, or leave "
            "'faults_extent' out")
    if not shapely.covers(area, region):
        warnings.warn(DataWarning(
            f"{where}: the faults were mapped over {share:.0%} of the region "
            f"{grid.name!r}; {source.name}_dist_fault is no data in the cells outside "
            "that area (a fault there may be nearer than those mapped)"), stacklevel=4)
    return shapely.to_wkb(area), said


def _lines_said(parts: np.ndarray) -> str:
    """What the lines among an extent's ``parts`` (single geometries) are, for its "holds
    no polygon" refusal: those that close a ring (a CAD or GIS export of an outline drawn
    as a line) can be made its polygons. The refusal had given no way past it."""
    lines = parts[np.isin(shapely.get_type_id(parts), (1, 2)) & ~shapely.is_empty(parts)]
    if not len(lines):
        return ""
    rings = int((shapely.is_closed(lines) & (shapely.get_num_coordinates(lines) >= 4)).sum())
    if not rings:
        return (f": {len(lines)} line(s), none of which closes a ring (its last point is "
                "not its first), so they bound no area")
    return (f": {len(lines)} line(s), {rings} of which close a ring; an outline drawn as "
            "a line is no area until it is made a polygon: ogr2ogr -nlt POLYGON "
            "area.gpkg <this file>, or QGIS's Lines to Polygons, and give that file")


def _plan_faults(path: str, source: VectorSource, grid: RegionGrid) -> Layer:
    """The one layer of a faults-only source (no ``attribute``, no
    ``distance_to_contacts``): only its ``faults_layer`` is read. The unit layer was read
    too, so a GeoPackage of units and faults without ``layer:`` was refused as "holds 2
    layers ... name the one to read with 'layer:'", and a unit layer of no feature in the
    region refused the faults with it."""
    _check_faults_crs(path, source, grid)
    stale = stale_index_message(path, source.faults_layer)  # (each read scans the file)
    if stale:
        warnings.warn(DataWarning(stale), stacklevel=3)
    layer = _fault_layer(path, source, grid, _check_faults(path, source, grid))
    _warn_degree_distances(source, grid)
    return layer
