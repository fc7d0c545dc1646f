"""Point tables -> gridded surfaces (IDW, ordinary kriging + variance) and distance-to-point.

Wells and samples are often the model's labels; a surface interpolated from them would
leak the target into the features, so a points source makes no layer unless its config
asks for one (``interpolate``, ``distance``).
"""

from __future__ import annotations

import copy
import dataclasses
import re
import warnings
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from scipy.spatial import cKDTree

from prospect.config.sources import PointSource
from prospect.errors import DataError, DataWarning, InputFileError
from prospect.geostats import (
    PURE_NUGGET_SHARE,
    merge_coincident,
    settle_flat_variogram,
    structured_share,
)
from prospect.grid import ChunkWindow, RegionGrid, xy_transformer
from prospect.ingest.layers import Layer, distance_units, unit_key
from prospect.io.companions import concentration_unit
from prospect.io.points import (
    HALF_LIMIT_NOTE,
    SAME_VALUE_SHARE,
    SHEET_SUFFIXES,
    PointTable,
    is_text_table,
    read_points,
    source_options,
    swapped_axes_fix,
    warn_far_records,
)
from prospect.io.vector import dataset_files
from prospect.registry.units import same_units

__all__ = [
    "DistanceToPointLayer", "IdwLayer", "KrigingLayer", "around_region", "column_units",
    "ground_frame", "ground_note", "grouped_places", "idw_estimate", "kriging_estimate",
    "limit_settings", "place_labels", "plan_points", "surface_points", "to_ground", "variable_name",
]


_HEADER_UNITS = re.compile(r"[(\[]\s*([^()\[\]]+?)\s*[)\]]\s*$")
"""Units written at the end of a header: ``Li (mg/L)``, ``heat flow [mW/m2]``."""
_UNIT_WORDS = {"ft": "ft", "feet": "ft", "foot": "ft", "m": "m", "metres": "m", "meters": "m",
               "metre": "m", "meter": "m", "km": "km", "degc": "degC", "degf": "degF",
               "celsius": "degC", "fahrenheit": "degF", "psi": "psi", "bar": "bar",
               "kpa": "kPa", "mpa": "MPa"}
"""A header's last word that is a unit of a depth, temperature or pressure surface
(``depth_ft``, ``top_m``, ``BHT_degF``, ``pressure_psi``), in the cube's spelling."""
_TEMPERATURE_LETTERS = {"c": "degC", "f": "degF"}
"""``temp_F``, ``BHT_C``: a letter that is a unit after a temperature's word alone."""
_TEMPERATURE_WORDS = frozenset({"t", "temp", "temperature", "bht", "tmax", "temperatuur",
                                "temperatur", "température", "temperatura"})
_DATUM_WORDS = frozenset({"bgl", "bsl", "asl", "amsl", "msl", "kb", "tvd", "tvdss", "ss",
                          "gl", "nap", "mv", "nn", "nhn", "ahd", "odn", "aod", "ngf", "rt",
                          "df", "md"})
"""A depth's datum after its unit (``depth_m_bgl``, ``top_ft_kb``): the unit is before it.
The national datums of the regions' and surveys' tables too (Dutch ``top_m_NAP``, ``m_mv``
below ground level, German ``Tiefe_m_NN``, British ``m_OD``'s ``odn``/``aod``, French
``ngf``, Australian ``ahd``) and a log's ``rt``, ``df``, ``md``: a Dutch well table's
``top_m_nap`` surface recorded no units (round 48)."""
_HEADER_SPLIT = re.compile(r"[\s_.\-()\[\]/,:;]+")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
"""Where a header written in camel case (``DepthFt``, ``TD_ftKB``, ``TopMD``) starts a
word: a unit glued on so was read as no unit (round 50)."""
_QUANTITY_WORDS = (r"depth|diepte|tiefe|profondeur|top|base|bottom|td|tvd|md|elev|elevation|"
                   r"height|hoogte|thickness|dikte|mächtigkeit|temp|temperature|bht|tmax|"
                   r"pressure|druk")
_GLUED_UNIT = re.compile(
    rf"(?:{_QUANTITY_WORDS})(ft|feet|m|km|metres|meters|degc|degf|c|f|psi|bar|kpa|mpa)")
"""A quantity's word with its unit glued on in one case (``depthft``, ``DEPTHM``,
``TEMPC``): read as the two words."""
_GLUED_DATUM = re.compile(r"(ft|m)(bgl|bsl|asl|amsl|msl|kb|rkb|tvd|tvdss|nap|ahd|odn|aod)")
"""A length with its depth's datum glued on (``depth_mbgl``, ``TD_ftkb``, ``top_mNAP``):
the length (:data:`_DATUM_WORDS`)."""


def header_unit_word(column: str) -> str | None:
    """The unit a point column's header names as its last word, beyond a concentration
    (:func:`prospect.io.companions.concentration_unit`): a depth's, temperature's or
    pressure's (``depth_ft`` -> ``ft``, ``depth_m_bgl`` -> ``m``, ``temp_F`` -> ``degF``),
    or ``None``.

    A surface of ``depth_ft`` recorded no units in the cube (only a concentration's word
    was read from a header), so feet from one source and metres from another were
    two surfaces of nothing said (round 44).

    Parameters
    ----------
    column : str
        The column's header.

    Returns
    -------
    str or None
        The unit in the cube's spelling, or ``None`` where the header names none.
    """
    words = [w for w in _HEADER_SPLIT.split(_CAMEL.sub("_", column).casefold()) if w]
    if words:  # 'depthft', 'DEPTHM', 'depth_mbgl': the unit glued on (round 50)
        glued = _GLUED_UNIT.fullmatch(words[-1]) or _GLUED_DATUM.fullmatch(words[-1])
        if glued is not None and not (len(words) == 1 and glued.re is _GLUED_DATUM):
            words[-1:] = [words[-1][:glued.start(1)] or "_", glued.group(1)]
    if len(words) < 2:
        return None
    at = len(words) - 1
    if words[at] in _DATUM_WORDS and at > 1:
        at -= 1
    word = words[at]
    if word in _UNIT_WORDS:
        return _UNIT_WORDS[word]
    if word in _TEMPERATURE_LETTERS and any(w in _TEMPERATURE_WORDS for w in words[:at]):
        return _TEMPERATURE_LETTERS[word]
    return None


def _bracket_units(column: str) -> str | None:
    """The units a header states in brackets at its end (``Li (mg/L)`` -> ``mg/L``), a
    temperature's letter read as its degree (``Temp (F)``, ``BHT (C)``, ``Temperatuur
    [C]`` -> ``degF``, ``degC``, as ``temp_F`` is: recorded ``F`` and ``C``, UDUNITS-2's
    farad and coulomb, such a surface was of other units than a ``degF`` one; round 50);
    ``None`` where there are none."""
    found = _HEADER_UNITS.search(column)
    if found is None:
        return None
    unit = found.group(1)
    before = [w for w in _HEADER_SPLIT.split(_CAMEL.sub("_", column[:found.start()]).casefold())
              if w]
    if unit.casefold() in _TEMPERATURE_LETTERS and any(w in _TEMPERATURE_WORDS for w in before):
        return _TEMPERATURE_LETTERS[unit.casefold()]
    return unit


def _named_unit(column: str) -> str | None:
    """The unit a header's last words name: a concentration's, else a depth's,
    temperature's or pressure's (:func:`header_unit_word`)."""
    return concentration_unit(column) or header_unit_word(column)


def _differ(a: str, b: str) -> bool:
    """Whether two units a table and its config state are other units: neither one key
    (:func:`prospect.ingest.layers.unit_key`) nor one unit in the registry's reading
    (:func:`prospect.registry.units.same_units`: ``milligrams per litre`` is ``mg/L``)."""
    return unit_key(a) != unit_key(b) and not same_units(a, b)


def column_units(source: PointSource, column: str, table_units: str | None = None,
                 table_where: str = "in the table's row of units") -> str:
    """The units of a point column's surface: the config's ``units`` for it, else those
    its header states (``Li (mg/L)`` -> ``mg/L``), else those of the table's second header
    row of units (``table_units``: ``m,m,mg/L`` under ``x,y,li``) or of its cells
    (``1.2 ppm``, percentage cells; ``table_where`` says where, for the warnings), else
    ``""``.

    Units the table states (in the header, a unit word ending it, or the units row) that
    differ from the config's, or from each other, are a :class:`DataWarning`: one of them
    is wrong; the cube records the config's, else those of the cells (the unit the
    numbers are written in: ``Li (ppm)`` over cells of ``1.2%`` is recorded ``%``; it
    was ppm), else the header's.
    """
    header = _bracket_units(column)
    stated = source.units.get(column)
    if stated is None and table_units and table_where.startswith("in its cells"):
        named = header if header is not None else _named_unit(column)
        if named is not None and _differ(named, table_units):
            warnings.warn(DataWarning(
                f"source {source.name!r}: column {column!r} states {named} in its header "
                f"but {table_units} {table_where}; the surface records {table_units!r}, the "
                "unit its numbers are written in: correct the header, or give the units in "
                "'units:'"), stacklevel=2)
        return table_units
    if stated is None and header is None:
        word = _named_unit(column)  # Li_ppm over a row of 'ppb': one is wrong
        if word is not None and table_units and _differ(word, table_units):
            warnings.warn(DataWarning(
                f"source {source.name!r}: column {column!r} states {word} in its header but "
                f"{table_units} {table_where}; the surface records "
                f"{table_units!r}: correct the table, or give the units in 'units:'"),
                stacklevel=2)
        return table_units or word or ""
    if header is None:  # a unit word ending the header: Li2O_pct, Li_ppm_511 (warned only)
        header = _named_unit(column)
    recorded = stated if stated is not None else str(header)
    said = "'units' gives" if stated is not None else "its header states"
    for where, unit in (("in its header", header if stated is not None else None),
                        (table_where, table_units)):
        if unit is not None and _differ(unit, recorded):
            warnings.warn(DataWarning(
                f"source {source.name!r}: column {column!r} states {unit} {where} but "
                f"{said} {recorded!r}; the surface records {recorded!r}: convert the values "
                "or correct " + ("'units'" if stated is not None else "the table")),
                stacklevel=2)
    return recorded


def _centres(grid: RegionGrid, window: ChunkWindow) -> tuple[np.ndarray, np.ndarray]:
    xx, yy = np.meshgrid(grid.x[window.cols], grid.y[window.rows])
    return xx.ravel(), yy.ravel()


def ground_frame(grid: RegionGrid) -> str | None:
    """The frame in which the IDW and kriging surfaces of a region in degrees measure
    their distances: WKT of an azimuthal equidistant projection about the region's centre
    on the region's own datum (metres on the ground), also for a projected region whose
    metres are not the ground's (:func:`scale_off_ground`: Web Mercator), or ``None`` for
    another projected region (its own coordinates, as before).

    A degree of longitude is the cosine of the latitude of a degree of latitude (0.62 at
    52 N): weighed by degrees, a point east or west of a cell counted as farther than one
    as far north or south, and the variogram's range was fitted in degrees. About the
    centre the projection keeps distances and bearings, and across a regional grid the
    distances between two points within a fraction of a percent.

    Parameters
    ----------
    grid
        The region.

    Returns
    -------
    str or None
        The frame's WKT (``distances`` in a surface's settings say it is used), or
        ``None`` for a projected region.
    """
    crs = grid.crs_obj
    if not crs.is_geographic and scale_off_ground(grid) is None:
        return None
    from pyproj.crs import ProjectedCRS
    from pyproj.crs.coordinate_operation import AzimuthalEquidistantConversion

    lon, lat = _centre_degrees(grid)
    frame = ProjectedCRS(
        conversion=AzimuthalEquidistantConversion(
            latitude_natural_origin=round(lat, 6), longitude_natural_origin=round(lon, 6)),
        geodetic_crs=crs.geodetic_crs or crs, name="Prospect ground distances")
    return str(frame.to_wkt())


SCALE_TOLERANCE = 0.01
"""A projected region's CRS measures on the ground where its scale at the region's centre
is within this fraction of 1 (UTM's 0.9996, a national grid's); beyond it (Web
Mercator's 1.62 at 52 N) its metres are not the ground's."""


def _centre_degrees(grid: RegionGrid) -> tuple[float, float]:
    """The region's centre as longitude, latitude on its own datum."""
    from pyproj import Transformer

    left, bottom, right, top = grid.bounds
    x, y = (left + right) / 2, (bottom + top) / 2
    crs = grid.crs_obj
    if crs.is_geographic:
        return x, y
    lon, lat = Transformer.from_crs(crs, crs.geodetic_crs or crs, always_xy=True).transform(x, y)
    return float(lon), float(lat)


def scale_off_ground(grid: RegionGrid) -> float | None:
    """The scale of a projected region's CRS at the region's centre (its metres per metre
    on the ground) where it departs from 1 by more than :data:`SCALE_TOLERANCE`, else
    ``None`` (and ``None`` for a region in degrees).

    Web Mercator (EPSG:3857) at 52 N counts 1.62 of its metres for each metre on the
    ground: a distance layer or a variogram's range measured in them, labelled ``m``,
    was 1.62 times the ground's without a word.

    Parameters
    ----------
    grid
        The region.

    Returns
    -------
    float or None
        The larger of the meridional and parallel scales, or ``None``.
    """
    from pyproj import Proj

    crs = grid.crs_obj
    if crs.is_geographic or not crs.is_projected:
        return None
    lon, lat = _centre_degrees(grid)
    try:
        factors = Proj(crs).get_factors(lon, lat)
        scales = (float(factors.meridional_scale), float(factors.parallel_scale))
    except Exception:  # a projection pyproj gives no factors for: its own metres
        return None
    worst = max(scales, key=lambda k: abs(k - 1))
    if not np.isfinite(worst) or abs(worst - 1) <= SCALE_TOLERANCE:
        return None
    return worst


def ground_cells_note(grid: RegionGrid) -> str:
    """What a cell of a region whose CRS's metres are not the ground's
    (:func:`scale_off_ground`: Web Mercator) measures on the ground at the region's
    centre, and the CRS to give instead; ``""`` for any other region.

    A region in EPSG:3857 at 52 N of ``resolution: 10`` has cells 6.2 m on the ground,
    and every size in its metres (a buffer, an area, a block of cross-validation) is
    1.62 times the ground's: the region was planned and ingested without a word.

    Parameters
    ----------
    grid
        The region.

    Returns
    -------
    str
        One sentence for a warning, or ``""``.
    """
    from prospect.config.region import utm_epsg

    scale = scale_off_ground(grid)
    if scale is None:
        return ""
    lon, lat = _centre_degrees(grid)
    ground = grid.resolution / scale
    return (f"region {grid.name!r} is in {grid.crs}, whose metres are not the ground's: at "
            f"its centre ({lon:.4g}, {lat:.4g} in degrees) the CRS counts {scale:.3g} of them "
            f"for each metre on the ground, so a {grid.resolution:g} m cell is {ground:.3g} m "
            "and every size in its metres (resolution, buffers, areas, blocks) "
            f"{scale:.3g} times the ground's (distance layers are measured on the ground); give "
            f"the region a UTM CRS (EPSG:{utm_epsg(lon, lat)} here) or a national one, with "
            "bounds in its metres")


def to_ground(xy: np.ndarray, crs: str, frame: str | None) -> np.ndarray:
    """Points in metres of a :func:`ground_frame`.

    Parameters
    ----------
    xy
        ``(n, 2)`` points in ``crs`` (longitude, latitude for a region in degrees).
    crs
        The region's CRS (``RegionGrid.crs``).
    frame
        :func:`ground_frame` of the region.

    Returns
    -------
    numpy.ndarray
        ``(n, 2)`` float64 metres, or ``xy`` itself where ``frame`` is ``None``.
    """
    if frame is None:
        return xy
    gx, gy = xy_transformer(crs, frame).transform(xy[:, 0], xy[:, 1])
    return np.column_stack([np.asarray(gx, "f8"), np.asarray(gy, "f8")])


def ground_note(frame: str | None, degrees: bool = True) -> dict[str, str]:
    """The settings entry of a surface measured in :func:`ground_frame` (none when not):
    the point surfaces' and the geology distances' (``degrees``: what the region's own
    units are, degrees or a projected CRS's metres)."""
    if frame is None:
        return {}
    instead = "degrees" if degrees else "the CRS's metres"
    return {"distances": "metres on the ground (azimuthal equidistant about the region's "
                         f"centre), not {instead}"}


@dataclass(frozen=True, kw_only=True)
class DistanceToPointLayer(Layer):
    """Distance from each cell centre to the nearest point."""

    cost: ClassVar[float] = 5.0

    xy: np.ndarray
    ground: str | None = None
    """:func:`ground_frame` of a projected region whose metres are not the ground's (Web
    Mercator; ``xy`` in the frame's metres), else ``None`` (a region in degrees keeps its
    degrees, recorded as ``degree``)."""

    def compute(self, grid: RegionGrid, window: ChunkWindow) -> np.ndarray:
        """Nearest-neighbour distances from a k-d tree."""
        xs, ys = _centres(grid, window)
        query = to_ground(np.column_stack([xs, ys]), grid.crs, self.ground)
        dist, _ = cKDTree(self.xy).query(query, k=1)
        return dist.astype(np.float32).reshape(window.shape)


@dataclass(frozen=True, kw_only=True)
class IdwLayer(Layer):
    """Inverse-distance-weighted surface of one column from its ``neighbours`` nearest points."""

    cost: ClassVar[float] = 20.0

    xy: np.ndarray
    z: np.ndarray
    power: float
    neighbours: int
    ground: str | None = None
    """:func:`ground_frame` of a region in degrees (``xy`` in its metres), else ``None``."""

    def compute(self, grid: RegionGrid, window: ChunkWindow) -> np.ndarray:
        """Weights ``1 / d**power``; a cell on a point takes that point's value."""
        xs, ys = _centres(grid, window)
        query = to_ground(np.column_stack([xs, ys]), grid.crs, self.ground)
        est = idw_estimate(self.xy, self.z, query, power=self.power,
                           neighbours=self.neighbours)
        return est.astype(np.float32).reshape(window.shape)


def idw_estimate(xy: np.ndarray, z: np.ndarray, query: np.ndarray, *, power: float,
                 neighbours: int) -> np.ndarray:
    """Inverse-distance-weighted estimate at ``query`` (``(m, 2)``) from points ``xy``/``z``.

    Weights ``1 / d**power`` over the ``neighbours`` nearest points; a query on a point
    takes that point's value. The one IDW of the project: ingest's :class:`IdwLayer` and
    the fold-aware re-interpolation of :mod:`prospect.models.foldaware` both call it.

    Where ``d**power`` leaves float64 (a power of a few hundred: every weight 0, a NaN
    estimate, or an infinite weight read as a query on a point), the same weights are
    taken relative to the nearest point's, ``(d_min / d)**power``, whose largest is 1: the
    estimate tends to the nearest point's value, as IDW does as the power grows.
    """
    k = min(neighbours, len(z))
    dist, idx = cKDTree(xy).query(query, k=k)
    dist, idx = dist.reshape(len(query), k), idx.reshape(len(query), k)
    with np.errstate(divide="ignore", over="ignore"):
        w = 1.0 / dist**power
    exact = dist == 0
    hit = exact.any(axis=1)
    beyond = ~hit & (~np.isfinite(w).all(axis=1) | (w.sum(axis=1) == 0))
    if beyond.any():
        near = dist[beyond]
        with np.errstate(under="ignore"):
            w[beyond] = (near[:, :1] / near) ** power
    w[hit] = exact[hit].astype("f8")
    return (w * z[idx]).sum(axis=1) / w.sum(axis=1)


_WHOLE_MATRIX_POINTS = 1000
"""Up to this many points pykrige's own whole kriging matrix (8 MB) is used as it is."""

_TREES: weakref.WeakKeyDictionary[Any, cKDTree] = weakref.WeakKeyDictionary()
"""A pykrige model -> the k-d tree of its points (a worker reuses it for every chunk)."""

_C_PARAMETERS = ("Z", "eps", "variogram_model_parameters", "variogram_function",
                 "exact_values", "pseudo_inv", "pseudo_inv_type")
"""The model attributes pykrige hands its compiled moving-window loop."""


def _moving_window(model: Any, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """pykrige's moving-window estimates and variances at ``query`` (``k`` closest points),
    with a kriging matrix of the query's neighbours only.

    ``OrdinaryKriging.execute`` assembles the kriging matrix of *every* point, then takes
    each cell's ``k x k`` block from it: ``(n+1)^2`` float64 per call (63 MB and 0.2 s for
    the Great Basin's 2 809 sites; 1.8 GB, 5 GB of peak memory and 21-26 s for 15 000
    samples) in every chunk task. Here the neighbours are found as pykrige finds them (the
    same k-d tree, the same query: the same points, ties included), the matrix is built
    for those points alone by the model's own method (the same entries), and pykrige's
    compiled loop solves each cell's system from it: the same values to the last bit.
    Geographic coordinates, a few points, or a pykrige without that loop: ``execute``.
    """
    n = len(model.X_ADJUSTED)
    try:
        from pykrige.core import _adjust_for_anisotropy
        from pykrige.lib.cok import _c_exec_loop_moving_window
    except ImportError:  # another pykrige layout: its own (whole-matrix) path
        n = 0
    if (model.coordinates_type != "euclidean" or k < 2
            or n <= max(_WHOLE_MATRIX_POINTS, 4 * k)):
        z, ss = model.execute("points", query[:, 0], query[:, 1], backend="C",
                              n_closest_points=k)
        return np.asarray(z), np.asarray(ss)
    tree = _TREES.get(model)
    if tree is None:
        tree = _TREES[model] = cKDTree(np.column_stack([model.X_ADJUSTED, model.Y_ADJUSTED]))
    adjusted = _adjust_for_anisotropy(
        np.array(query, dtype="f8"), [model.XCENTER, model.YCENTER],
        [model.anisotropy_scaling], [model.anisotropy_angle])
    dist, idx = tree.query(adjusted, k=k, eps=0.0)
    keep, local_idx = np.unique(idx, return_inverse=True)
    local = copy.copy(model)
    local.X_ADJUSTED, local.Y_ADJUSTED = model.X_ADJUSTED[keep], model.Y_ADJUSTED[keep]
    parameters = {key: getattr(model, key) for key in _C_PARAMETERS}
    parameters["Z"] = model.Z[keep]
    z, ss = _c_exec_loop_moving_window(
        local._get_kriging_matrix(len(keep)), np.ascontiguousarray(dist, dtype="f8"),
        np.zeros(len(query), dtype="int8"),
        np.ascontiguousarray(local_idx.reshape(idx.shape), dtype="long"), len(keep),
        parameters)
    return np.asarray(z), np.asarray(ss)


def kriging_estimate(model: Any, query: np.ndarray, *, neighbours: int,
                     variance: bool) -> np.ndarray:
    """Ordinary-kriging estimate (or its variance, clipped at 0) of a pykrige ``model`` at
    ``query`` with the ``neighbours`` closest points (moving window).

    Memory and time grow with the query's neighbourhood, not with the square of the
    model's points (:func:`_moving_window`)."""
    k = min(neighbours, len(model.X_ADJUSTED))
    z, ss = _moving_window(model, query, k)
    out = np.asarray(ss if variance else z, dtype="f8")
    return np.maximum(out, 0.0) if variance else out


@dataclass(frozen=True, kw_only=True)
class KrigingLayer(Layer):
    """Ordinary kriging (pykrige, moving window) estimate or its variance."""

    cost: ClassVar[float] = 50.0

    model: Any
    neighbours: int
    variance: bool
    ground: str | None = None
    """:func:`ground_frame` of a region in degrees (the model's points and variogram in
    its metres), else ``None``."""
    halved: tuple[bool, ...] = dataclasses.field(default=(), compare=False)
    """Per point of the model (in its order), True where its value is half a detection
    limit (:attr:`~prospect.io.points.PointTable.halved`; a place whose every record is),
    for the screen stage's leave-one-out check, which leaves their errors out; empty where
    none is."""

    def compute(self, grid: RegionGrid, window: ChunkWindow) -> np.ndarray:
        """Kriging on the chunk's cell centres with the ``neighbours`` closest points."""
        xs, ys = _centres(grid, window)
        out = kriging_estimate(self.model,
                               to_ground(np.column_stack([xs, ys]), grid.crs, self.ground),
                               neighbours=self.neighbours, variance=self.variance)
        return out.astype(np.float32).reshape(window.shape)


def _safe(column: str) -> str:
    """A column name as part of a variable name (``Heat Flow`` -> ``Heat_Flow``)."""
    return re.sub(r"[^A-Za-z0-9_]", "_", column)


def around_region(table: PointTable, grid: RegionGrid) -> PointTable:
    """The table with its longitudes in the 360 degrees about the centre of a region in
    degrees (unchanged for a projected region, or where every point lies there already).

    A region across the antimeridian has longitudes past 180 (Fiji's 179.8..180.2), and
    a point table gives its points east of 180 as -179.95: they lay 360 degrees from the
    region, were dropped as far outside (with a hint that west longitudes are negative),
    and the surfaces and the distance layer were made of the points west of 180 alone.
    Each point keeps its place on the Earth; its longitude is the one nearest the
    region's centre (a table on longitudes 0..360 is read as rasters and outlines are).

    Parameters
    ----------
    table
        Points read in ``grid``'s CRS (:func:`~prospect.io.points.read_points`).
    grid
        The region.

    Returns
    -------
    PointTable
        ``table`` itself, or a copy with its longitudes moved by whole turns.
    """
    if not grid.crs_obj.is_geographic or not len(table):
        return table
    x = grid.longitudes_about(table.x)
    if np.array_equal(x, table.x, equal_nan=True):
        return table
    return dataclasses.replace(table, x=x)


def _in_region(table: PointTable, grid: RegionGrid) -> int:
    left, bottom, right, top = grid.bounds
    return int(((table.x >= left) & (table.x <= right) & (table.y >= bottom)
                & (table.y <= top)).sum())


def _tabled(source: PointSource) -> bool:
    """Whether the source's points come from columns of a table (text, also compressed
    or zipped, or a spreadsheet), not a vector file's geometries."""
    return is_text_table(source.path, source.layer) or \
        Path(source.path).suffix.lower() in SHEET_SUFFIXES


def _swap_fix(source: PointSource, crs: Any) -> str:
    """How to give the source's points with their axes the other way round: a table's
    ``x:``/``y:``, a vector file's rewrite (:func:`prospect.io.points.swapped_axes_fix`)."""
    return swapped_axes_fix(source.path, x=source.x, y=source.y, layer=source.layer,
                            crs=crs)


def _swapped_hint(table: PointTable, grid: RegionGrid, source: PointSource,
                  crs: Any = None) -> str:
    """``"; with x and y swapped, N would: ..."`` when longitude and latitude (or eastings
    and northings) were given the other way round (a table's columns swapped, a vector
    file written latitude, longitude), else ``""``. ``crs`` is the points' own CRS
    (default: the source's ``crs``), the fix the one of the source's format."""
    from pyproj import Transformer

    from prospect.grid import parse_crs

    crs = parse_crs(crs if crs is not None else source.crs)
    if not crs.is_geographic:  # eastings and northings swapped (a UTM table's columns)
        xs, ys = Transformer.from_crs(grid.crs_obj, crs, always_xy=True).transform(
            table.x, table.y)
        with np.errstate(invalid="ignore"):
            back = Transformer.from_crs(crs, grid.crs_obj, always_xy=True).transform(ys, xs)
        swapped = _in_region(PointTable(x=np.asarray(back[0], "f8"),
                                        y=np.asarray(back[1], "f8"), values={},
                                        crs=grid.crs, path=table.path), grid)
        if not swapped:
            return ""
        return f"; with x and y swapped, {swapped} would: {_swap_fix(source, crs)}"
    lon, lat = Transformer.from_crs(grid.crs_obj, crs, always_xy=True).transform(
        table.x, table.y)
    west, south, east, north = grid.lonlat_bounds()
    swapped = int(((lat >= west) & (lat <= east) & (lon >= south) & (lon <= north)).sum())
    if not swapped:  # a sign left out (69 W written 69): the other hemisphere
        for flip, what in (((-1, 1), "longitude"), ((1, -1), "latitude"),
                           ((-1, -1), "longitude and latitude")):
            fx, fy = flip[0] * np.asarray(lon), flip[1] * np.asarray(lat)
            there = int(((fx >= west) & (fx <= east) & (fy >= south) & (fy <= north)).sum())
            if there:
                return (f"; with the sign of {what} turned, {there} would: west longitudes "
                        "and south latitudes are negative (give them with '-', or set the "
                        "sign in the table)")
        return ""
    from prospect.config.region import latitude_first_fix

    extent = (float(np.nanmin(table.x)), float(np.nanmin(table.y)),
              float(np.nanmax(table.x)), float(np.nanmax(table.y)))  # (round 50)
    return (f"; with longitude and latitude swapped, {swapped} would: "
            f"{latitude_first_fix(grid, extent)}{_swap_fix(source, crs)}")


def _outside_hint(table: PointTable, grid: RegionGrid, source: PointSource) -> str:
    """What to check when no point lies in the region: the coordinate columns and ``crs``
    of a text table (or longitude and latitude swapped), the ``crs`` that overrides a
    vector file's own, or a vector file's own CRS, with the region's when the file's
    coordinates lie in the region read in it (a wrong ``.prj``)."""
    from pyproj import Transformer

    from prospect.grid import parse_crs

    if _tabled(source):
        return (f"check the coordinate columns ({source.x}, {source.y}) and crs ({source.crs})"
                + (_swapped_hint(table, grid, source)
                   or _other_crs_hint(table, grid, source.crs)))
    # a vector file written latitude, longitude in a CRS whose area is the world's (the
    # point reader refuses it where the region's CRS is made for a smaller area)
    swapped = _swapped_hint(table, grid, source, table.source_crs).removeprefix("; ") \
        if table.source_crs else ""
    swapped += "; " if swapped else ""
    if not swapped:  # a file in metres holding the region's bounds swapped (round 50):
        # "if that [CRS] is wrong, give the right one" blamed the file's right .prj
        from prospect.config.region import latitude_first_points

        region = latitude_first_points(grid, table.x, table.y).removeprefix("; ")
        if region:
            return region
    if "crs" in source.model_fields_set:
        return (f"{swapped}check 'crs: {source.crs}' in the source, which overrides the "
                "file's own CRS")
    if not table.source_crs:
        return "check the file's CRS, or give the right one with 'crs:' in the source"
    own = parse_crs(table.source_crs)
    said = (f"its points were read in the file's own CRS, {own.name!r} (its .prj or "
            "metadata): if that is wrong, give the right one with 'crs:' in the source")
    xs, ys = Transformer.from_crs(grid.crs_obj, own, always_xy=True).transform(table.x, table.y)
    as_grid = PointTable(x=np.asarray(xs, "f8"), y=np.asarray(ys, "f8"), values={},
                         crs=grid.crs, path=table.path)
    fits = _in_region(as_grid, grid)
    if fits and not own.equals(grid.crs_obj):
        said += (f"; read in the region's CRS, {fits} of them would lie in it "
                 f"('crs: \"{grid.crs}\"')")
    return swapped + said


def _other_crs_hint(table: PointTable, grid: RegionGrid, crs: str | None) -> str:
    """``'; read in EPSG:28992 (...), 10 of 10 would lie in region ...'`` where the
    table's points (in the region's CRS) lie in the region read in another projected CRS
    than the stated ``crs`` (:func:`prospect.io.points.crs_meant`, as the vector branch
    asks), or in the region's bounds swapped (a region in degrees written latitude first:
    :func:`prospect.config.region.latitude_first_points`); ``''`` otherwise (no CRS
    stated, or none fits)."""
    from pyproj import Transformer

    from prospect.config.region import latitude_first_points
    from prospect.grid import parse_crs
    from prospect.io.points import crs_meant

    if not crs or not len(table):
        return ""
    stated = parse_crs(crs)
    with np.errstate(all="ignore"):
        xs, ys = Transformer.from_crs(grid.crs_obj, stated, always_xy=True).transform(
            table.x, table.y)
    return crs_meant(np.asarray(xs, "f8"), np.asarray(ys, "f8"), stated, grid) or \
        latitude_first_points(grid, table.x, table.y)  # the region's bounds (round 50)


FAR_SIDES = 2.0
"""A point is far outside the region beyond this many of the region's longer side (and
ten times the points' median spacing)."""
_LATTICE = 64
"""Cells per side of the lattice on which IDW's neighbours are looked up (the region's
edges included)."""


def _far_outside(table: PointTable, grid: RegionGrid) -> tuple[np.ndarray, float]:
    """``(far, margin)``: which points lie farther than ``margin`` outside the region's
    bounds, and ``margin`` (:data:`FAR_SIDES` of the region's longer side, at least ten
    times the points' median nearest-neighbour spacing)."""
    left, bottom, right, top = grid.bounds
    dx = np.maximum(np.maximum(left - table.x, table.x - right), 0.0)
    dy = np.maximum(np.maximum(bottom - table.y, table.y - top), 0.0)
    dist = np.hypot(dx, dy)
    outside = dist > 0
    if not outside.any():
        return outside, 0.0
    spacing = 0.0
    if len(table) > 2:
        gap, _ = cKDTree(np.column_stack([table.x, table.y])).query(
            np.column_stack([table.x, table.y]), k=2)
        spacing = float(np.median(gap[:, 1]))
    margin = max(FAR_SIDES * max(right - left, top - bottom), 10 * spacing)
    return dist > margin, margin


def _as_given(table: PointTable, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The places of ``table`` in its file's own CRS (NaN but at ``rows``), as the file
    gives them (a longitude and latitude), for messages."""
    from pyproj import Transformer

    from prospect.grid import parse_crs

    xs, ys = np.full(len(table), np.nan), np.full(len(table), np.nan)
    if not table.source_crs or not rows.any():
        return xs, ys
    with np.errstate(invalid="ignore"):
        sx, sy = Transformer.from_crs(parse_crs(table.crs), parse_crs(table.source_crs),
                                      always_xy=True).transform(table.x[rows], table.y[rows])
    places = 7 if parse_crs(table.source_crs).is_geographic else 2  # (1 cm: as written)
    xs[rows] = np.round(np.asarray(sx, "f8"), places)
    ys[rows] = np.round(np.asarray(sy, "f8"), places)
    return xs, ys


def _turned_signs(table: PointTable, grid: RegionGrid, source: PointSource,
                  far: np.ndarray) -> tuple[np.ndarray, str]:
    """``(turned, what)``: the ``far`` points that lie in the region with the sign of
    their x (longitude, easting), y or both turned in the table's CRS, and which sign."""
    from pyproj import Transformer

    from prospect.grid import parse_crs

    turned = np.zeros(len(table), bool)
    if not far.any() or not table.source_crs:
        return turned, ""
    own = parse_crs(table.source_crs)
    geographic = own.is_geographic
    at = far.nonzero()[0]
    with np.errstate(invalid="ignore"):
        sx, sy = Transformer.from_crs(grid.crs_obj, own, always_xy=True).transform(
            table.x[at], table.y[at])
    said = []
    back = Transformer.from_crs(own, grid.crs_obj, always_xy=True)
    left, bottom, right, top = grid.bounds
    for fx, fy, what in ((-1, 1, "longitude" if geographic else "x (easting)"),
                         (1, -1, "latitude" if geographic else "y (northing)"),
                         (-1, -1, "both coordinates")):
        with np.errstate(invalid="ignore"):
            bx, by = back.transform(fx * np.asarray(sx), fy * np.asarray(sy))
            bx, by = np.asarray(bx, "f8"), np.asarray(by, "f8")
            inside = (bx >= left) & (bx <= right) & (by >= bottom) & (by <= top)
        new = inside & ~turned[at]
        if new.any():
            turned[at[new]] = True
            said.append(what)
    return turned, " or ".join(said)


def surface_points(source: PointSource, grid: RegionGrid) -> PointTable:
    """The points a source's surfaces and distance layer are made of: its table read in
    the region's CRS, longitudes about the region (:func:`around_region`), the points far
    outside it left out (said), a value below a known detection limit read as half that
    limit (said, and recorded in the layers: :func:`limit_settings`). One path for ingest
    and for the fold-aware rebuild (:func:`prospect.models.foldaware.surface_of`), whose
    surfaces must be the cube's.

    Raises
    ------
    DataError
        No point lies in the region (with what the coordinates look like instead).
    """
    return _kept_and_dropped(source, grid)[0]


def _kept_and_dropped(source: PointSource, grid: RegionGrid) -> tuple[PointTable, PointTable]:
    """(:func:`surface_points`, the points it left out as far outside the region): a
    column's count of values was told "has 1 numeric values" where 11 more had been
    dropped, the count of those kept, not saying so (:func:`plan_points` says both)."""
    table = read_points(source.path, **source_options(source), columns=source.columns,
                        to_crs=grid.crs, cell=grid.resolution, grid=grid, below_as_half=True)
    table = around_region(table, grid)
    if _in_region(table, grid) == 0:
        from prospect.config.region import northing_sign_lost

        held = np.isfinite(table.x) & np.isfinite(table.y)  # the region's sign, not theirs
        sign = northing_sign_lost(grid, [(grid.crs, (
            float(table.x[held].min()), float(table.y[held].min()),
            float(table.x[held].max()), float(table.y[held].max())))],
            what="its points") if held.any() else ""
        raise DataError(
            f"{source.path}: none of its {len(table)} points lies in the region {grid.name!r}; "
            + (f"{sign}; if the points are the ones wrong: " if sign else "")
            + _outside_hint(table, grid, source))
    drop = _drop_far_outside(table, grid, source)
    return table.take(~drop), table.take(drop)


def variable_name(source: str, column: str) -> str:
    """The cube variable of a source's surface of ``column`` (``wells_Li_mg_l``): its
    kriging variance is this name and ``_variance``, an IDW beside kriging this and
    ``_idw``."""
    return f"{source}_{_safe(column)}"


def _drop_far_outside(table: PointTable, grid: RegionGrid, source: PointSource) -> np.ndarray:
    """Which points of the table to leave out as lying far outside the region
    (:func:`_far_outside`) where they would take part in its layers, with a
    :class:`DataWarning` naming them.

    A few rows whose longitude lost its sign (Bonaire's 68.3 W written 68.3) lie half a
    world away: IDW took them as neighbours where the region holds fewer points than
    ``neighbours``, and kriging fits its variogram from every point, so they shaped the
    surface without a word. A far point is dropped when IDW would take it as one of a
    region cell's ``neighbours`` nearest (looked up on a lattice of the region), when
    kriging would fit its variogram from it, or when most points lie in or near the region
    and the point itself would lie in it with the sign of a coordinate turned. Far points
    that take no part (a continental table cut by a small region's IDW) stay silent."""
    if not len(table):
        return np.zeros(0, bool)
    columns = list(source.columns) if source.interpolate else []
    used = [np.isfinite(table.values[c]) for c in columns]
    far, margin = _far_outside(table, grid)
    if not far.any():
        return far
    drop = np.zeros(len(table), bool)
    part = ""
    if "kriging" in source.interpolate:
        drop |= far & np.logical_or.reduce(used) if used else far
        part = "kriging's variogram and neighbours"
    if "idw" in source.interpolate and not drop[far].all():
        left, bottom, right, top = grid.bounds
        lx = np.linspace(left, right, min(grid.width, _LATTICE) + 1)
        ly = np.linspace(bottom, top, min(grid.height, _LATTICE) + 1)
        lattice = np.column_stack([a.ravel() for a in np.meshgrid(lx, ly)])
        for ok in used:
            rows = ok.nonzero()[0]
            if not far[rows].any():
                continue
            k = min(source.neighbours, rows.size)
            _, idx = cKDTree(np.column_stack([table.x[rows], table.y[rows]])).query(
                lattice, k=k)
            near = np.zeros(len(table), bool)
            near[rows[np.unique(idx)]] = True
            if (near & far & ~drop).any():
                part = part or "IDW's neighbours"
            drop |= near & far
    close = int((~far).sum())
    turned, what = (_turned_signs(table, grid, source, far) if close * 2 >= len(table)
                    else (np.zeros(len(table), bool), ""))
    drop |= turned
    if close * 2 >= len(table) and (far & ~drop).any():  # (a typo's well 1 000 km off,
        # taking no part: read where given without a word)
        left, bottom, right, top = grid.bounds
        off = np.hypot(np.maximum(np.maximum(left - table.x, table.x - right), 0.0),
                       np.maximum(np.maximum(bottom - table.y, table.y - top), 0.0))
        lines = table.lines if table.lines is not None else np.arange(len(table)) + 1
        word = "line" if is_text_table(source.path, source.layer) else "row" if Path(
            source.path).suffix.lower() in SHEET_SUFFIXES else "feature"
        xs, ys = _as_given(table, far & ~drop)
        warn_far_records(xs, ys, off, far & ~drop, grid, source.path, lines, word,
                         kept="read where they are given (taking no part in the region's "
                              "values)", among=len(table))
    if not drop.any():
        return drop
    at = drop.nonzero()[0]
    lines = table.lines if table.lines is not None else np.arange(len(table)) + 1
    text = is_text_table(source.path, source.layer)
    word = "line" if text else "row" if Path(source.path).suffix.lower() in SHEET_SUFFIXES \
        else "feature"
    shown = ", ".join(str(int(n)) for n in lines[at][:5]) + (", ..." if at.size > 5 else "")
    hint = (f"; with the sign of {what} turned, {int(turned.sum())} of them would lie in "
            "the region: west longitudes and south latitudes are negative (give them with "
            "'-')" if turned.any() else "")
    where = f"as {part}" if part else "in the surfaces"
    warnings.warn(DataWarning(
        f"{source.path}: {at.size} of {len(table)} point(s) lie far outside the region "
        f"{grid.name!r} (more than {margin:.4g} {_axis_unit(grid)} from it; "
        f"{word}{'s' if at.size > 1 else ''} {shown}), where they would take part {where} "
        f"and shape the region's values: dropped{hint}; check their coordinates, or cut "
        "the table to the region and its surroundings"), stacklevel=3)
    return drop


def limit_settings(table: PointTable, column: str, ok: np.ndarray) -> dict[str, Any]:
    """A surface layer's record of the values of ``column`` (the points ``ok``) read as half
    a detection limit they were below: their count and the substitution, or nothing."""
    halved = table.halved.get(column)
    n = int(halved[ok].sum()) if halved is not None else 0
    return {"values_below_detection_limit": n, "below_detection_limit_as": HALF_LIMIT_NOTE} \
        if n else {}


def _axis_unit(grid: RegionGrid) -> str:
    """The unit of the grid's coordinates, for messages (``m``, ``degree``)."""
    try:
        return str(grid.crs_obj.axis_info[0].unit_name).replace("metre", "m")
    except (IndexError, AttributeError):
        return "units"


SAME_PLACE_M = 1.0
"""Records of a surface's table closer than this on the ground (m) are at one place: one
well or sample entered twice with its coordinates rounded otherwise (52.123456 and
52.12346, 0.4 m apart), or a field duplicate taken at one spot."""


def _places(xy: np.ndarray, grid: RegionGrid) -> np.ndarray:
    """Each point's place: points within :data:`SAME_PLACE_M` of each other on the ground
    (through chains of such points) share one, exactly coincident ones too."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    ground = ground_frame(grid)
    metres = to_ground(xy, grid.crs, ground)
    if ground is None:  # a projected region: its own units (metres, or feet)
        metres = metres * float(grid.crs_obj.axis_info[0].unit_conversion_factor or 1.0)
    pairs = cKDTree(metres).query_pairs(SAME_PLACE_M, output_type="ndarray")
    key = np.round(xy / 1e-6).astype("i8")
    _, exact = np.unique(key, axis=0, return_inverse=True)
    exact = exact.ravel()
    n = len(xy)
    rows = np.concatenate([pairs[:, 0], np.arange(n)])
    cols = np.concatenate([pairs[:, 1], exact + n])
    graph = coo_matrix((np.ones(rows.size), (rows, cols)), shape=(2 * n, 2 * n))
    _, label = connected_components(graph, directed=False)
    return np.unique(label[:n], return_inverse=True)[1].ravel()


def place_labels(xy: np.ndarray, grid: RegionGrid) -> np.ndarray:
    """Each point's place as a label: points within :data:`SAME_PLACE_M` of each other on
    the ground share one (:func:`_places`); what kriging merges
    (:func:`~prospect.geostats.merge_coincident`'s ``places``).

    Parameters
    ----------
    xy
        Points in ``grid``'s CRS.
    grid
        The region.

    Returns
    -------
    numpy.ndarray
        An integer label per point.
    """
    return _places(xy, grid)


def _shown(values: np.ndarray) -> list[str]:
    """``values`` written with the fewest significant digits, 6 at least, that tell
    different values apart: 0.1 and 0.1000002 are ``0.1`` and ``0.1000002``, where 6
    digits wrote ``0.1`` twice."""
    for digits in range(6, 18):
        text = [f"{v:.{digits}g}" for v in values]
        if len(set(text)) == len(np.unique(values)):
            return text
    return [repr(float(v)) for v in values]


def _warn_conflicting(path: str, column: str, xy: np.ndarray, z: np.ndarray,
                      grid: RegionGrid) -> None:
    """Warn of places that hold two or more records of ``column`` with different values
    (two wells of one site, a re-assay, a well entered twice): both surfaces average them
    (IDW weighs them alike, kriging merges them), so the surface shows a value no record
    has. The fix said first is each record's own coordinates, as two wells of one site
    are no error. A place is records within :data:`SAME_PLACE_M` of each other on the
    ground (:func:`_places`): the same well written with 6 and with 5 decimals of a
    degree, 0.4 m apart, was averaged as well, without a word."""
    inverse = _places(xy, grid)
    counts = np.bincount(inverse)
    shared = counts[inverse] > 1
    if not shared.any():
        return
    lo = np.full(counts.size, np.inf)
    hi = np.full(counts.size, -np.inf)
    np.minimum.at(lo, inverse, z)
    np.maximum.at(hi, inverse, z)
    differ = hi - lo > SAME_VALUE_SHARE * np.maximum(np.abs(hi), np.abs(lo))
    _warn_rewritten(path, column, xy, z, grid, inverse, counts, differ)
    conflicting = np.flatnonzero((counts > 1) & differ)
    if not conflicting.size:
        return
    first = conflicting[0]
    at = np.flatnonzero(inverse == first)
    x, y = xy[at[0]]
    shown = ", ".join(_shown(z[at][:4])) + (", ..." if at.size > 4 else "")
    apart = float(np.max(np.hypot(*(xy[at] - xy[at[0]]).T)))
    near = (f" within {SAME_PLACE_M:g} m of each other (coordinates rounded otherwise?)"
            if apart > 0 else "")
    warnings.warn(DataWarning(
        f"{path}: {conflicting.size} place(s) hold two or more records of {column!r} with "
        f"different values{near} (e.g. {shown} at x={x:.10g}, y={y:.10g} in {grid.crs}); the "
        "surface averages them: give each record its own coordinates (two wells or samples "
        "of one site), or keep one record per place (one well's samples at several depths "
        "or dates: one depth per well in the table); only a record entered in error should "
        "be removed"),
        stacklevel=3)


def _warn_rewritten(path: str, column: str, xy: np.ndarray, z: np.ndarray, grid: RegionGrid,
                    inverse: np.ndarray, counts: np.ndarray, differ: np.ndarray) -> None:
    """Warn of places (:func:`_places`) holding records of one value of ``column`` at
    coordinates that differ by under :data:`SAME_PLACE_M`: one site written twice with its
    coordinates rounded otherwise (the Great Basin waters hold 21 such sites, written
    again 0.1-1 m away with the same grade). They are no exact repeats, so the point
    reader's warning of repeated records said nothing, and IDW weighed each such place
    once per copy (and gave it as many of its ``neighbours``), without a word: said as
    exact repeats are (the records are kept, as those are). Records at exactly one place
    (field duplicates, a sample and its re-assay of one value) are not said here."""
    n = counts.size
    xmin = np.full(n, np.inf)
    xmax = np.full(n, -np.inf)
    ymin = np.full(n, np.inf)
    ymax = np.full(n, -np.inf)
    np.minimum.at(xmin, inverse, xy[:, 0])
    np.maximum.at(xmax, inverse, xy[:, 0])
    np.minimum.at(ymin, inverse, xy[:, 1])
    np.maximum.at(ymax, inverse, xy[:, 1])
    moved = (xmax > xmin) | (ymax > ymin)
    again = np.flatnonzero((counts > 1) & ~differ & moved)
    if not again.size:
        return
    at = np.flatnonzero(inverse == again[0])
    shown = "; ".join(f"x={xy[i, 0]:.10g}, y={xy[i, 1]:.10g}" for i in at[:3])
    records = int(counts[again].sum())
    warnings.warn(DataWarning(
        f"{path}: {again.size} place(s) hold one record of {column!r} written again within "
        f"{SAME_PLACE_M:g} m with the same value ({records} records; coordinates rounded "
        f"otherwise?), e.g. {z[at[0]]:g} at {shown} in {grid.crs}: each copy weighs its place "
        "again in the surfaces (IDW counts it once per copy); remove the copies, or give "
        "each its own coordinates if they are distinct samples"), stacklevel=4)


MIN_VARIOGRAM_PLACES = 10
"""Fewest places a variogram is fitted to without a warning. pykrige fits its variogram's
two or three parameters by least squares to the mean semivariance of the pairs in each of
six distance classes; 3 places give 3 pairs (a class each: as many classes as
parameters, so any curve through them fits exactly), 9 give 36 pairs (six a class, where
the usual guidance asks for 30 or more a class and 50 to 100 places)."""


def _warn_few_places(path: str, column: str, source: PointSource, model: Any,
                     layer: str, unit: str = "CRS units") -> bool:
    """Warn where the variogram of ``column`` was fitted to fewer than
    :data:`MIN_VARIOGRAM_PLACES` places, or to places whose pairs leave one of its
    :data:`VARIOGRAM_CLASSES` distance classes empty; whether it did. The kriged surface and its
    variance were written as 'kriging with its variance' without a word, whatever a
    variogram fitted to 3 to 36 pairs said: the variance (the screening's standard
    deviation and its too-low / above classes) measures a guessed spatial model, not the
    data's uncertainty.

    So it does for many places in groups far apart (three well fields 20 to 30 km apart,
    45 wells): pykrige's six distance classes of equal width held pairs within the groups
    (about 1 km) and between them (21 to 30 km), none in the two classes between, so the
    curve's rise and range there (where the region's cells between the groups lie) was
    the fit's guess, and nothing was said of it; where no more classes hold pairs than
    the variogram has parameters the curve passes through them whatever the data. Evenly
    spread places fill every class."""
    places = len(np.asarray(model.Z))
    lags = int(np.isfinite(np.asarray(model.lags, dtype="f8")).sum())
    parameters = len(model.variogram_model_parameters)
    exact = (f", no more than its {parameters} parameters, so the curve passes through "
             "them whatever the data" if lags <= parameters else "")
    if places >= MIN_VARIOGRAM_PLACES:
        grouped = grouped_places(model)
        if grouped is None:
            return False
        filled, gap = grouped["filled"], grouped["gap"]
        shown = ", ".join(f"{n} at about {_distance(d)}" for d, n in filled)
        warnings.warn(DataWarning(
            f"{path}: the {source.variogram} variogram of {column!r} is fitted to "
            f"{places} places whose {places * (places - 1) // 2} pairs fill only {lags} of "
            f"its {VARIOGRAM_CLASSES} distance classes ({shown}, in {unit}; no pair between "
            f"{_distance(gap[0])} and {_distance(gap[1])}){exact}: the places lie in "
            "groups far apart, so the variogram's curve at the distances between (where "
            "it levels off: its range) is guessed, and so are "
            f"{layer!r} and {layer + '_variance'!r} between and around the groups, the "
            "variance no measure of the uncertainty; krige each group as a source of its "
            "own (a table and a region around it), or use 'interpolate: [idw]' (no "
            "variogram)"), stacklevel=3)
        return True
    warnings.warn(DataWarning(
        f"{path}: the {source.variogram} variogram of {column!r} is fitted to only "
        f"{places} places ({places * (places - 1) // 2} pairs of them in {lags} distance "
        f"class(es){exact}); at least {MIN_VARIOGRAM_PLACES} places are needed to estimate "
        f"a variogram, so {layer!r} and {layer + '_variance'!r} rest on a guessed spatial "
        "model and the variance is no measure of the uncertainty; use 'interpolate: "
        "[idw]' (no variogram) for so few places, or krige a table of more"),
        stacklevel=3)
    return True


VARIOGRAM_CLASSES = 6
"""The distance classes of equal width (between the least and the greatest distance of two
places) in which pykrige's ``OrdinaryKriging`` averages the semivariance of the pairs
before it fits a variogram to them (its ``nlags``, left at its default)."""


def grouped_places(model: Any) -> dict[str, Any] | None:
    """The distance classes a variogram of :data:`MIN_VARIOGRAM_PLACES` or more places
    leaves empty, where it leaves one: its places lie in groups far apart (the ingest
    warning of :func:`plan_points` and the screen report say it from this one test).

    Parameters
    ----------
    model : pykrige.ok.OrdinaryKriging
        The fitted model.

    Returns
    -------
    dict or None
        ``None`` where fewer than :data:`MIN_VARIOGRAM_PLACES` places were fitted (their
        own words) or every class holds a pair; else ``places``, ``pairs``, ``classes``
        (:data:`VARIOGRAM_CLASSES`), ``parameters`` (the variogram's), ``filled`` (each
        filled class's (mean distance, pairs), in the model's distance units) and ``gap``
        (the widest span of distances no pair has: its ends).
    """
    places = len(np.asarray(model.Z))
    lags = int(np.isfinite(np.asarray(model.lags, dtype="f8")).sum())
    if places < MIN_VARIOGRAM_PLACES or lags >= VARIOGRAM_CLASSES:
        return None
    filled, gap = _class_pairs(model)
    return {"places": places, "pairs": places * (places - 1) // 2,
            "classes": VARIOGRAM_CLASSES, "parameters": len(model.variogram_model_parameters),
            "filled": [[d, n] for d, n in filled], "gap": [gap[0], gap[1]]}


def _distance(d: float) -> str:
    """A distance as a warning shows it: whole units from 100 up, else 3 digits."""
    return f"{d:.0f}" if d >= 100 else f"{d:.3g}"


def _class_pairs(model: Any) -> tuple[list[tuple[float, int]], tuple[float, float]]:
    """((mean distance, pairs) of each of the :data:`VARIOGRAM_CLASSES` distance classes
    of ``model`` that holds a pair, binned as pykrige bins them (its anisotropy-adjusted
    coordinates), and the widest span of distances that no pair has (its ends: the
    nearest pairs' distances either side). Called only where a warning is given (its
    pairs' distances take the memory pykrige's fit took)."""
    from scipy.spatial.distance import pdist

    xy = np.column_stack([np.asarray(model.X_ADJUSTED, dtype="f8"),
                          np.asarray(model.Y_ADJUSTED, dtype="f8")])
    d = pdist(xy)
    low, high = float(d.min()), float(d.max())
    width = (high - low) / VARIOGRAM_CLASSES
    edges = [low + n * width for n in range(VARIOGRAM_CLASSES)] + [high + 0.001]
    out = []
    for n in range(VARIOGRAM_CLASSES):
        inside = (d >= edges[n]) & (d < edges[n + 1])
        if inside.any():
            out.append((float(d[inside].mean()), int(inside.sum())))
    ordered = np.sort(d)
    widest = int(np.argmax(np.diff(ordered))) if ordered.size > 1 else 0
    return out, (float(ordered[widest]), float(ordered[min(widest + 1, ordered.size - 1)]))


def _warn_pure_nugget(path: str, column: str, source: PointSource, model: Any,
                      layer: str, unit: str = "CRS units") -> None:
    """Warn where the variogram fitted to ``column`` is flat over the lags fitted (pure
    nugget, or a range under the first lag): ordinary kriging is then the plain mean of
    the nearest points and its variance one number in every cell, so the variance layer
    (and what is made from it, the economics' standard deviation) says nothing of where
    the data are dense or sparse; the layers were written as 'kriging with its variance'
    without a word."""
    if structured_share(model) >= PURE_NUGGET_SHARE:
        return
    n = min(source.neighbours, len(np.asarray(model.Z)))
    lags = np.asarray(model.lags, dtype="f8")
    sill = float(model.variogram_function(model.variogram_model_parameters,
                                          np.array([float(lags.max())]))[0])
    warnings.warn(DataWarning(
        f"{path}: the {source.variogram} variogram fitted to {column!r} is pure nugget: "
        f"flat at {sill:.4g} from its first lag ({float(lags.min()):.4g} {unit}) to its "
        f"last ({float(lags.max()):.4g}), so the values show no spatial correlation at the "
        f"distances fitted; {layer!r} is then the plain mean of the {n} nearest points and "
        f"{layer + '_variance'!r} is {sill * (1 + 1 / n):.4g} in every cell, not a measure "
        "of where the points are dense or sparse; a few extreme values or a pattern finer "
        "than the first lag often cause this: krige a transformed column (e.g. its "
        "logarithm, given as another column), try another 'variogram:', or use "
        "'interpolate: [idw]'"), stacklevel=3)


ONE_LINE_SHARE = 0.05
"""Places whose spread across their line (the axis of least spread) is at most this share
of their spread along it lie on one line: a traverse along a road or a pipeline, a
seismic line's wells, a coast (a traverse of 15 wells over 18 km, none off it by a metre,
kriged over a 20 km square without a word)."""

ONE_LINE_REACH = 0.1
"""A region that reaches farther from the places' line than this share of the line's
length is kriged away from it (a strip along the line is not): said
(:func:`_warn_one_line`)."""


def _warn_one_line(path: str, column: str, source: PointSource, gxy: np.ndarray,
                   grid: RegionGrid, ground: str | None, layer: str, unit: str, *,
                   method: str = "kriging") -> None:
    """Warn where the places ``gxy`` (in the frame the surfaces measure in: ``ground`` or
    the region's CRS) lie on one line (:data:`ONE_LINE_SHARE`) and the region reaches
    away from it (:data:`ONE_LINE_REACH`).

    With ``method`` ``"kriging"``, the variogram is then fitted to distances along the
    line alone, and ordinary kriging takes it to hold in every direction: the surface and
    its variance across the line are what the values along it would make, which no point
    measures, and were written as 'kriging with its variance' without a word. With
    ``"idw"``, every cell away from the line takes the values of the nearest stretch of
    it, as far as the region reaches: a surface across the region drawn from a line, said
    by nothing (round 53 said the kriged one only).
    """
    pts = np.asarray(gxy, dtype="f8")
    if len(pts) < 3:
        return
    centre = pts.mean(axis=0)
    _, _, axes = np.linalg.svd(pts - centre, full_matrices=False)
    along_axis, across_axis = axes[0], axes[1]
    along = float(np.ptp((pts - centre) @ along_axis))
    across = float(np.ptp((pts - centre) @ across_axis))
    if along <= 0 or across > ONE_LINE_SHARE * along:
        return
    cells = _region_lattice(grid, ground)
    reach = float(np.max(np.abs((cells - centre) @ across_axis)))
    if reach <= ONE_LINE_REACH * along:
        return
    across = across if across > 1e-9 * along else 0.0  # (round-off of a frame's transform)

    def length(value: float) -> str:
        return f"{value:.0f}" if value >= 10 else f"{value:.3g}"

    where = (f"{path}: the {len(pts)} places of {column!r} lie on one line (spread "
             f"{length(across)} {unit} across it and {length(along)} along it), and the region "
             f"reaches {length(reach)} {unit} from that line: ")
    if method == "idw":
        warnings.warn(DataWarning(
            where + f"inverse-distance weighting gives every cell of {layer!r} away from the "
            "line the values of the nearest stretch of it, as far as the region reaches, "
            "which no point measures; read it near the line only, add points off the line, "
            "or cut the region to a strip along it"), stacklevel=3)
        return
    warnings.warn(DataWarning(
        where + f"the {source.variogram} "
        "variogram is fitted to distances along "
        f"the line alone, and kriging takes it to hold in every direction, so {layer!r} "
        f"and {layer + '_variance'!r} away from the line are what the values along it "
        "would make, which no point measures; read them near the line only, add points "
        "off the line, or cut the region to a strip along it"), stacklevel=3)


def _region_lattice(grid: RegionGrid, ground: str | None) -> np.ndarray:
    """About 50 x 50 of the region's cell centres, its last row and column included, in
    the frame the surfaces measure in (``ground`` or the region's CRS)."""
    step_y = max(1, grid.height // 50)
    step_x = max(1, grid.width // 50)
    xs, ys = grid.x[::step_x], grid.y[::step_y]
    xs = np.append(xs, grid.x[-1])
    ys = np.append(ys, grid.y[-1])
    lattice = np.column_stack([c.ravel() for c in np.meshgrid(xs, ys)])
    return to_ground(lattice, grid.crs, ground)


BEYOND_RANGE_SHARE = 0.5
"""A kriged region more than this share of which lies farther than the variogram's range
from every place is said (:func:`_warn_beyond_range`)."""

_RANGED_VARIOGRAMS = frozenset({"spherical", "exponential", "gaussian"})
"""pykrige's variogram models whose second parameter is a (practical) range; ``linear``
and ``power`` rise without one."""


def _warn_beyond_range(path: str, column: str, source: PointSource, model: Any,
                       gxy: np.ndarray, grid: RegionGrid, ground: str | None, layer: str,
                       unit: str) -> None:
    """Warn where most of the region (:data:`BEYOND_RANGE_SHARE`) lies farther than the
    fitted variogram's range from every place of ``column`` (``gxy``, in the frame the
    surfaces measure in). Beyond the range a place tells nothing of a cell: ordinary
    kriging gives the cell a mean of its nearest places and the variance its sill. Twelve
    wells in one 2 km corner of a 20 km region (a range of 1.8 km) were kriged over the
    whole region without a word: a surface of one value over 95 % of it, which no point
    measures. A flat (pure nugget) variogram is said by :func:`_warn_pure_nugget`."""
    if source.variogram not in _RANGED_VARIOGRAMS or \
            structured_share(model) < PURE_NUGGET_SHARE:
        return
    reach = float(model.variogram_model_parameters[1])
    if not np.isfinite(reach) or reach <= 0:
        return
    distance, _ = cKDTree(np.asarray(gxy, dtype="f8")).query(_region_lattice(grid, ground))
    share = float(np.mean(distance > reach))
    if share <= BEYOND_RANGE_SHARE:
        return
    places = len(np.asarray(model.Z))
    warnings.warn(DataWarning(
        f"{path}: {100 * share:.0f} % of the region {grid.name!r} lies farther than the "
        f"{source.variogram} variogram's range ({reach:.4g} {unit}, fitted to the {places} "
        f"places of {column!r}) from every one of them: beyond its range a place tells "
        f"nothing of a cell, so ordinary kriging gives {layer!r} there a mean of the "
        f"nearest places and {layer + '_variance'!r} the variogram's sill, values no point "
        "measures; read the surface near the places only (where its variance is below the "
        "sill), add places across the region, or cut the region to the places' "
        "surroundings"), stacklevel=3)


def _refuse_unheld(path: str, column: str, z: np.ndarray) -> None:
    """Refuse values a float32 layer cannot hold (beyond +-3.4e38): the IDW surface was
    infinite around them without a word (a raster's such cell is refused likewise)."""
    big = np.abs(z) > np.finfo(np.float32).max
    if big.any():
        value = float(z[big][0])
        raise DataError(
            f"{path}: column {column!r} holds {value:g} ({int(big.sum())} value(s)), beyond "
            "what a float32 layer holds (+-3.4e38), so the surface would be infinite around "
            f"it; if it marks no data, set 'nodata: {value:g}' in the points source, else "
            "give the values in a larger unit")


def _refuse_beyond_float32(path: str, column: str, z: np.ndarray) -> None:
    """Refuse values whose kriging variance (in squared units) a float32 layer cannot
    hold: it was ``inf`` in every cell, with numpy's raw "overflow encountered in cast"
    on the console. Values this large are another unit's (or a fill value)."""
    spread = float(np.max(np.abs(z - np.mean(z))))
    if spread**2 > np.finfo(np.float32).max / 16:
        raise DataError(
            f"{path}: column {column!r} holds values as far apart as {spread:.3g}: its "
            "kriging variance, in squared units, is beyond what a float32 layer holds; "
            "give the values in a larger unit (e.g. g/L for mg/L), or mark fill values "
            "with 'nodata:'")


FIT_BYTES_PER_PAIR = 24
"""Peak bytes per pair of points while pykrige fits a variogram: it holds the distance and
the semivariance of every pair (float64 each) and a temporary of either (measured: 2.2 GB
of peak RSS for 15 000 points, 112 M pairs)."""


def _refuse_unfittable(path: str, column: str, places: int) -> None:
    """Refuse kriging more places than this machine's memory can fit a variogram to.

    pykrige fits the variogram from every pair of points at once, in the job's process:
    memory grows with the square of the places (2.2 GB for 15 000, about 20 GB for
    45 000), so a large survey table would exhaust the machine before any layer is made.
    Refused at plan time, before anything is read into a cube.
    """
    import psutil

    need = places * (places - 1) // 2 * FIT_BYTES_PER_PAIR
    free = psutil.virtual_memory().available
    if need > 0.8 * free:
        raise DataError(
            f"{path}: kriging column {column!r} from {places} places fits its variogram from "
            f"every pair of them: about {need / 2**30:.1f} GiB, and this machine has "
            f"{free / 2**30:.1f} GiB free; use 'interpolate: [idw]' for a table this "
            "large, or krige a thinned table (e.g. one sample per cell of the grid)")


def _warn_degree_distances(source: PointSource, grid: RegionGrid) -> None:
    """Warn that the distance layer of a points source in a region of a geographic CRS
    measures distances in degrees, not on the ground: ``<name>_dist`` holds them
    (recorded so, :func:`~prospect.ingest.layers.distance_units`). A degree of longitude
    is the cosine of the latitude of a degree of latitude, so points equally far on the
    ground lie at other distances by their bearing. The IDW and kriging surfaces weigh
    their points by distances on the ground (:func:`ground_frame`). One warning per
    source."""
    if not grid.crs_obj.is_geographic or not source.distance:
        return
    warnings.warn(DataWarning(
        f"source {source.name!r}: the region {grid.name!r} is in {grid.crs} (degrees), so "
        f"'{source.name}_dist' holds distances in degrees of longitude and latitude, "
        "recorded as 'degree', not distances on the ground (east-west degrees are shorter "
        "than north-south ones away from the equator); for distances in metres give the "
        "region a projected CRS (its UTM zone)"), stacklevel=3)


def plan_points(source: PointSource, grid: RegionGrid) -> list[Layer]:
    """Layers a points source asks for: ``<name>_<col>`` (+ ``_variance``), ``<name>_dist``.

    With both ``idw`` and ``kriging`` listed, the IDW surface is ``<name>_<col>_idw``.

    Raises
    ------
    InputFileError, DataError, CRSError
        Missing/unreadable table, no rows, missing columns, no point in the region.
    """
    if not source.interpolate and not source.distance:
        if not Path(source.path).exists():  # read later (labels): say so at the first stage
            raise InputFileError(f"{source.path}: point table of source {source.name!r} not "
                                 "found; check the path in the config")
        return []
    table, dropped = _kept_and_dropped(source, grid)
    path = str(source.path)
    base = {"source": source.name, "points": len(table), "crs": source.crs}
    if source.nodata is not None:
        base["nodata"] = list(source.nodata_values())
    if source.decimal is not None:
        base["decimal"] = source.decimal
    if source.flags:
        base["flags"] = {key: flag if isinstance(flag, str) else flag.model_dump(mode="json")
                         for key, flag in source.flags.items()}
    xy = np.column_stack([table.x, table.y])
    ground = ground_frame(grid) if source.interpolate else None
    degrees = grid.crs_obj.is_geographic
    files = dataset_files(path)  # a Shapefile with its .dbf, .shx, .prj
    out: list[Layer] = []
    _warn_degree_distances(source, grid)
    if source.distance:
        # a projected region whose metres are not the ground's (Web Mercator) measures on
        # the ground; a region in degrees keeps its degrees (recorded and warned)
        far = ground_frame(grid) if scale_off_ground(grid) is not None else None
        out.append(DistanceToPointLayer(
            name=f"{source.name}_dist", units=distance_units(grid),
            long_name=f"distance to nearest {source.name}",
            kind="distance", inputs=files,
            settings={**base, "method": "scipy cKDTree", **ground_note(far, degrees=False)},
            xy=to_ground(xy, grid.crs, far), ground=far,
        ))
    for col in source.columns if source.interpolate else []:
        values = table.values[col]
        ok = np.isfinite(values)
        halved = table.halved.get(col, np.zeros(len(values), bool)) & ok
        if ok.sum() - halved.sum() < 3:  # (half the limits alone say nothing of where)
            below = (f" (and {int(halved.sum())} below a detection limit, read as half "
                     "the limit, which say nothing of where the values are higher)"
                     if halved.any() else "")
            gone = int(np.isfinite(dropped.values[col]).sum()) if len(dropped) else 0
            if gone:  # "has 1 numeric values" where 11 more lay far outside, dropped
                raise DataError(
                    f"{path}: column {col!r} has {int(ok.sum() - halved.sum())} numeric "
                    f"values{below} in or near the region {grid.name!r}, and {gone} more "
                    "that lie far outside it were dropped (as warned above); at least 3 "
                    "are needed to interpolate: check the dropped points' coordinates, or "
                    "give the region bounds that hold them")
            raise DataError(f"{path}: column {col!r} has {int(ok.sum() - halved.sum())} "
                            f"numeric values{below}; at least 3 are needed to interpolate")
        cxy, cz = xy[ok], values[ok]
        _refuse_unheld(path, col, cz)
        _warn_conflicting(path, col, cxy, cz, grid)
        both = len(source.interpolate) > 1
        unit = column_units(source, col, table.units.get(col),
                            table.units_where.get(col, "in the table's row of units"))
        if "idw" in source.interpolate:
            idw_name = variable_name(source.name, col) + ("_idw" if both else "")
            _warn_one_line(path, col, source, to_ground(cxy, grid.crs, ground), grid, ground,
                           idw_name, "m on the ground" if ground else distance_units(grid),
                           method="idw")
            out.append(IdwLayer(
                name=variable_name(source.name, col) + ("_idw" if both else ""), units=unit,
                long_name=f"{col} of {source.name}, inverse-distance weighted",
                kind="continuous", inputs=files,
                settings={**base, "column": col, "method": "idw", "power": source.idw_power,
                          "neighbours": source.neighbours, "values": int(ok.sum()),
                          **limit_settings(table, col, ok), **ground_note(ground, degrees)},
                xy=to_ground(cxy, grid.crs, ground), z=cz, power=source.idw_power,
                neighbours=source.neighbours, ground=ground,
            ))
        if "kriging" in source.interpolate:
            from pykrige.ok import OrdinaryKriging

            _refuse_beyond_float32(path, col, cz)
            # two values at one place make the kriging system singular: average them
            # (and records within a metre of each other: one place, as the warning says)
            places = place_labels(cxy, grid)
            kxy, kz, merged = merge_coincident(cxy, cz, places=places)
            # the places whose every value is half a limit (their check errors are none)
            at_half = merge_coincident(cxy, halved[ok].astype("f8"), places=places)[1] >= 1.0 \
                if halved.any() else np.zeros(0, bool)
            kept_half = tuple(bool(h) for h in at_half)
            _refuse_unfittable(path, col, len(kz))
            if len(kz) < 3 or np.ptp(kz) == 0:
                raise DataError(
                    f"{path}: column {col!r} has {len(kz)} distinct place(s) and "
                    f"{len(np.unique(kz))} distinct value(s); kriging needs at least 3 places "
                    "and values that vary: check the table, or use 'interpolate: [idw]'")
            gxy = to_ground(kxy, grid.crs, ground)  # a region in degrees: metres on the ground
            model = OrdinaryKriging(gxy[:, 0], gxy[:, 1], kz, variogram_model=source.variogram)
            settle_flat_variogram(model)  # a flat fit's level, not where its optimiser stopped
            params = [float(p) for p in model.variogram_model_parameters]
            if not _warn_few_places(path, col, source, model, variable_name(source.name, col),
                                    "m on the ground" if ground else distance_units(grid)):
                _warn_pure_nugget(path, col, source, model, variable_name(source.name, col),
                                  "m on the ground" if ground else distance_units(grid))
                _warn_beyond_range(path, col, source, model, gxy, grid, ground,
                                   variable_name(source.name, col),
                                   "m on the ground" if ground else distance_units(grid))
            _warn_one_line(path, col, source, gxy, grid, ground,
                           variable_name(source.name, col),
                           "m on the ground" if ground else distance_units(grid))
            settings = {**base, "column": col, "method": "ordinary kriging (pykrige)",
                        "variogram": source.variogram, "variogram_parameters": params,
                        "neighbours": source.neighbours, "values": int(ok.sum()),
                        **limit_settings(table, col, ok),
                        **({"coincident_points_averaged": merged} if merged else {}),
                        **ground_note(ground, degrees)}
            out.append(KrigingLayer(
                name=variable_name(source.name, col), units=unit, kind="continuous", inputs=files,
                long_name=f"{col} of {source.name}, ordinary kriging", settings=settings,
                model=model, neighbours=source.neighbours, variance=False, ground=ground,
                halved=kept_half,
            ))
            out.append(KrigingLayer(
                name=f"{variable_name(source.name, col)}_variance",
                units=f"({unit})2" if unit else "", kind="uncertainty",
                inputs=files, long_name=f"kriging variance of {col} of {source.name}",
                settings=settings, model=model, neighbours=source.neighbours, variance=True,
                ground=ground, halved=kept_half,
            ))
    return out
