"""Input schemas: what a model expects of a cube, and the check that refuses a mismatch.

A schema is plain JSON::

    {"variables": [{"name", "units", "dtype", "prospect_kind", "provenance",
                    "categories"}, ...],
     "crs": "EPSG:32619", "resolution": 10.0, "feature_order": ["B04", "ndvi", ...]}

``categories`` (categorical variables only) is the code -> class-name table the model was
trained with, e.g. ``{"0": "alluvium", "1": "andesite"}``; schemas saved before it was
recorded have none and are checked without it.

:func:`check_schema` compares a cube with it and raises :class:`SchemaMismatchError` with
one line per difference (a code that names another class than in training is one).
:func:`align_to_schema` reprojects/resamples a cube to the model's CRS and resolution when
the user asks for it.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import rioxarray  # noqa: F401  (registers the .rio accessor schema_differences reads)
import xarray as xr
from pyproj import CRS
from pyproj.exceptions import CRSError as ProjCRSError
from rasterio.enums import Resampling

from prospect.errors import ModelError, SchemaMismatchError
from prospect.grid import crs_units
from prospect.provenance import read_provenance
from prospect.registry.units import same_units, units_hint

__all__ = [
    "CODE_TABLE_MARK",
    "DEFINING_PROVENANCE_KEYS",
    "DISTANCE_METHODS",
    "FRAME_MARK",
    "LINE_DISTANCE_METHODS",
    "POINT_SURFACE_METHODS",
    "SCHEMA_FORMAT",
    "align_to_schema",
    "check_schema",
    "code_table",
    "code_table_changes",
    "schema_differences",
    "schema_from_cube",
]

SCHEMA_FORMAT = "prospect-input-schema/1"
DEFINING_PROVENANCE_KEYS: tuple[str, ...] = (
    "formula", "expression", "bands", "constants", "sensor", "index",
)
"""Provenance keys that define what a variable *is* (an index's formula and bands)."""
POINT_SURFACE_METHODS: tuple[str, ...] = ("scipy cKDTree", "idw", "ordinary kriging (pykrige)")
"""Ingest's ``method`` of a surface made from points: its ``distances`` (the frame ingest
measured its distances in, absent for the grid's own coordinates) define it too
(:func:`_distance_frame_difference`)."""
LINE_DISTANCE_METHODS: tuple[str, ...] = ("shapely STRtree nearest",)
"""Ingest's ``method`` of a geology contact or fault distance layer: measured on the ground
in a Web Mercator region since round 32 (recorded in ``distances`` as the point surfaces'
are), in its stretched metres before, so its ``distances`` define it too."""
DISTANCE_METHODS: tuple[str, ...] = POINT_SURFACE_METHODS + LINE_DISTANCE_METHODS
"""Every ``method`` whose layer is compared by the frame its distances were measured in."""
_KEEPS_DEGREES: tuple[str, ...] = ("scipy cKDTree", *LINE_DISTANCE_METHODS)
"""Distance layers this Prospect's ingest keeps in degrees on a grid in degrees (recorded
as ``degree``); IDW and kriging weigh by the ground's metres there."""
FRAME_MARK = "measured its distances"
"""Words in every distance-frame difference line (:func:`check_schema` keys its hint on
them)."""
CODE_TABLE_MARK = "code table"
"""Words in every code-table difference line (:func:`check_schema` keys its hint on them)."""
_MAX_CODES_LISTED = 10


def code_table(attrs: Mapping[str, Any]) -> dict[str, str] | None:
    """The code -> class-name table in a variable's ``categories`` attribute.

    Parameters
    ----------
    attrs
        The variable's attributes; ``categories`` is JSON text (as ingest writes it) or a
        mapping.

    Returns
    -------
    dict[str, str] or None
        Codes as strings mapped to class names; None when there is no readable table.
    """
    raw = attrs.get("categories")
    if isinstance(raw, (str, bytes)):
        try:
            raw = json.loads(raw)
        except ValueError:
            return None
    if not isinstance(raw, Mapping):
        return None
    return {str(code): str(name) for code, name in raw.items()}


def _code_sort_key(code: str) -> tuple[int, float, str]:
    try:
        return (0, float(code), code)
    except ValueError:
        return (1, 0.0, code)


def code_table_changes(want: Mapping[str, str], have: Mapping[str, str]) -> list[str]:
    """Each code of ``want`` (the model's table) that means something else in ``have``.

    Codes only in ``have`` are new classes the model never saw and are not changes.

    Returns
    -------
    list[str]
        ``"code 0 was 'alluvium', is 'andesite'"`` per changed code, in code order.
    """
    changes = []
    for code in sorted(want, key=_code_sort_key):
        if code not in have:
            changes.append(f"code {code} was {want[code]!r}, is not in the cube's table")
        elif have[code] != want[code]:
            changes.append(f"code {code} was {want[code]!r}, is {have[code]!r}")
    return changes


def _code_table_difference(name: str, spec: Mapping[str, Any], da: xr.DataArray) -> str | None:
    """The difference line for ``name``'s code table, or None when it still fits."""
    want = spec.get("categories")
    if not isinstance(want, Mapping):  # a schema saved before tables were recorded
        return None
    have = code_table(da.attrs)
    if have is None:
        return (f"variable {name!r}: the cube records no {CODE_TABLE_MARK} (categories); "
                "the model's codes cannot be checked")
    changes = code_table_changes({str(k): str(v) for k, v in want.items()}, have)
    if not changes:
        return None
    listed = changes[:_MAX_CODES_LISTED]
    more = len(changes) - len(listed)
    return (f"variable {name!r}: {CODE_TABLE_MARK} changed, codes now name other classes "
            f"than in training: " + "; ".join(listed)
            + (f"; and {more} more" if more else ""))


def _cube_crs(cube: xr.Dataset) -> CRS | None:
    crs = cube.rio.crs
    return CRS.from_user_input(crs.to_wkt()) if crs is not None else None


def _cube_resolution(cube: xr.Dataset) -> float | None:
    try:
        res_x, res_y = _cell_size(cube)
    except ValueError:
        return None
    return float(abs(res_x)) if math.isclose(abs(res_x), abs(res_y), rel_tol=1e-9) else None


def _cell_size(cube: xr.Dataset) -> tuple[float, float]:
    """The cube's cell width and height: from its geotransform or x/y coordinates
    (rioxarray), else, for a cube of one row or one column (one coordinate on an axis
    gives no spacing) without a ``GeoTransform``, from the ``grid`` attribute Prospect
    records, where its resolution is the spacing of the axis that has one.

    Raises
    ------
    ValueError
        No cell size can be read; the message says why and what gives one.
    """
    try:
        res_x, res_y = (abs(float(r)) for r in cube.rio.resolution(recalc=True))
        return res_x, res_y
    except Exception:  # rioxarray raises its own errors for coordinates without spacing
        pass
    sizes = {axis: int(cube.sizes.get(axis, 0)) for axis in ("x", "y")}
    single = [axis for axis, n in sizes.items() if n == 1]
    if not single:
        raise ValueError("the cube's x/y coordinates give no regular cell size")
    if len(single) == 2:
        spacing = None
    else:
        other = "y" if single == ["x"] else "x"
        step = np.diff(np.asarray(cube[other].values, dtype="f8"))
        if not step.size or not np.allclose(step, step[0], rtol=1e-9):
            raise ValueError(f"the cube's {other} coordinates are not evenly spaced")
        spacing = abs(float(step[0]))
    recorded = read_provenance(cube.attrs.get("grid")).get("resolution")
    if isinstance(recorded, int | float) and not isinstance(recorded, bool) and \
            math.isfinite(recorded) and recorded > 0 and \
            (spacing is None or math.isclose(float(recorded), spacing, rel_tol=1e-9)):
        return float(recorded), float(recorded)
    what = " and ".join(f"one {'column' if a == 'x' else 'row'}" for a in single)
    known = f"; its cells are {spacing:g} along the other axis" if spacing is not None else ""
    raise ValueError(
        f"the cube has {what}, so its coordinates give no cell "
        f"{'width' if 'x' in single else 'height'}{known}, and its spatial_ref has no "
        "GeoTransform (nor its attributes a 'grid' record) to take it from: write the cube "
        "with its geotransform (rioxarray's write_transform) or score a window of at "
        "least 2 x 2 cells")


def _resolution_words(cube: xr.Dataset) -> str:
    """The cube's cell size in words, for a message: ``10.0``, ``10 x 20 (cells not
    square ...)``, or why there is none."""
    try:
        res_x, res_y = _cell_size(cube)
    except ValueError as err:
        return f"unknown ({err})"
    if math.isclose(res_x, res_y, rel_tol=1e-9):
        # to 12 significant digits: a cell of 0.001 degrees from its coordinates' spacing
        # read "0.0010000000000000189"
        return str(float(f"{res_x:.12g}"))
    return f"{res_x:g} x {res_y:g} (cells not square: resample it to square cells)"


def _resolution_units(have: CRS | None, want: Any) -> str:
    """The unit of the two cell sizes a resolution difference states: ``" (cell sizes in
    metres)"``, each its own where the CRSs differ in unit (a cube in degrees against a
    model in metres), nothing where neither CRS names one. "cube is 20.0, model needs
    10" named no unit."""
    have_units, want_units = crs_units(have), crs_units(want) if want else "CRS units"
    if have_units == want_units:
        return "" if want_units == "CRS units" else f" (cell sizes in {want_units})"
    return f" (the cube's cell size in {have_units}, the model's in {want_units})"


def _variable_spec(name: str, da: xr.DataArray) -> dict[str, Any]:
    """One variable's schema entry; categorical ones carry their code table."""
    spec: dict[str, Any] = {
        "name": name,
        "units": str(da.attrs.get("units", "")),
        "dtype": str(da.dtype),
        "prospect_kind": str(da.attrs.get("prospect_kind", "")),
        "provenance": read_provenance(da.attrs.get("provenance")),
    }
    table = code_table(da.attrs)
    if table is not None:
        spec["categories"] = table
    fingerprint = da.attrs.get("prospect_fingerprint")
    if fingerprint:
        # what the variable's values were made from (its inputs' SHA-256, the settings,
        # the grid): a cube variable with the same fingerprint holds the training values
        spec["fingerprint"] = str(fingerprint)
    return spec


def schema_from_cube(cube: xr.Dataset, features: Sequence[str]) -> dict[str, Any]:
    """The input schema of a model trained on ``features`` of ``cube``.

    Parameters
    ----------
    cube
        The training cube (from :func:`prospect.io.cube.open_cube`).
    features
        Variable names in the order the estimator sees them.
    """
    missing = [f for f in features if f not in cube.data_vars]
    if missing:
        raise ModelError(f"features {missing} are not variables of the training cube")
    crs = _cube_crs(cube)
    epsg = crs.to_epsg() if crs is not None else None
    variables = [_variable_spec(name, cube[name]) for name in features]
    return {
        "format": SCHEMA_FORMAT,
        "variables": variables,
        "crs": f"EPSG:{epsg}" if epsg else (crs.to_wkt() if crs is not None else None),
        "resolution": _cube_resolution(cube),
        "feature_order": list(features),
    }


def _same_crs(a: Any, b: CRS | None) -> bool:
    if b is None:
        return False
    try:
        return CRS.from_user_input(a).equals(b, ignore_axis_order=True)
    except ProjCRSError:
        return False


def _crs_label(crs: CRS | None) -> str:
    if crs is None:
        return "none"
    epsg = crs.to_epsg()
    return f"EPSG:{epsg}" if epsg else crs.name


_FEATURE_FLOATS = frozenset({"float32", "float64"})


def _same_values_dtype(have: Any, want: Any) -> bool:
    """Whether a cube variable of dtype ``have`` gives the model the values ``want`` gave.

    Features reach the estimator as float32 (:mod:`prospect.features.stack`), so float32
    and float64 variables give it the same numbers, as do integer codes of any width that
    hold them (their meaning is the code table's check). Integers against floats stay
    different: their missing values are marked differently (a fill code, NaN).
    """
    h, w = str(have), str(want)
    if h == w or {h, w} <= _FEATURE_FLOATS:
        return True
    try:
        dh, dw = np.dtype(h), np.dtype(w)
    except TypeError:
        return False
    return bool(np.issubdtype(dh, np.integer) and np.issubdtype(dw, np.integer))


def schema_differences(cube: xr.Dataset, schema: Mapping[str, Any]) -> list[str]:
    """Every way ``cube`` differs from ``schema``, one human-readable line each."""
    diffs: list[str] = []
    want_crs = schema.get("crs")
    have_crs = _cube_crs(cube)
    if want_crs and not _same_crs(want_crs, have_crs):
        diffs.append(f"CRS: cube is {_crs_label(have_crs)}, model needs {want_crs}")
    want_res = schema.get("resolution")
    have_res = _cube_resolution(cube)
    if want_res is not None and (
        have_res is None or not math.isclose(have_res, float(want_res), rel_tol=1e-6)
    ):
        diffs.append(f"resolution: cube is {_resolution_words(cube)}, model needs "
                     f"{float(want_res):g}{_resolution_units(have_crs, want_crs)}")
    frames = _FrameReader(cube, schema, have_crs)
    order = list(schema.get("feature_order") or [v["name"] for v in schema.get("variables", [])])
    specs = {v["name"]: v for v in schema.get("variables", [])}
    for name in order:
        spec = specs.get(name, {"name": name})
        if name not in cube.data_vars:
            diffs.append(_missing_line(name, cube))
            continue
        da = cube[name]
        units = str(da.attrs.get("units", ""))
        if "units" in spec and not same_units(units, spec["units"]):
            why = units_hint(units, spec["units"])
            diffs.append(f"variable {name!r}: units {units!r}, model needs {spec['units']!r}"
                         + (f" ({why})" if why else ""))
        if spec.get("dtype") and not _same_values_dtype(da.dtype, spec["dtype"]):
            diffs.append(f"variable {name!r}: dtype {da.dtype}, model needs {spec['dtype']}")
        kind = str(da.attrs.get("prospect_kind", ""))
        if spec.get("prospect_kind") and kind != str(spec["prospect_kind"]):
            diffs.append(
                f"variable {name!r}: kind {kind!r}, model needs {spec['prospect_kind']!r}"
            )
        want_prov = read_provenance(spec.get("provenance"))
        have_prov = read_provenance(da.attrs.get("provenance"))
        for key in DEFINING_PROVENANCE_KEYS:
            if key in want_prov and have_prov.get(key) != want_prov[key]:
                diffs.append(
                    f"variable {name!r}: {key} {have_prov.get(key)!r} in the cube, model "
                    f"was trained with {want_prov[key]!r}"
                )
        frame_diff = _distance_frame_difference(name, want_prov, have_prov, frames,
                                                da.attrs.get(FRAME_ATTR))
        if frame_diff:
            diffs.append(frame_diff)
        table_diff = _code_table_difference(name, spec, da)
        if table_diff:
            diffs.append(table_diff)
    return diffs


def _name_key(name: object) -> str:
    """A layer's name as a reader takes it: no case, spaces at its ends or doubled."""
    return " ".join(str(name).split()).casefold()


def _missing_line(name: str, cube: xr.Dataset) -> str:
    """The difference line of the model's variable ``name`` that ``cube`` lacks, naming a
    layer of the cube that differs from it only in case or spaces (``Fault_Dist`` or
    ``fault_dist `` for ``fault_dist``: a layer named otherwise in another job's config,
    was "missing from the cube" with the layer there beside it)."""
    near = sorted(str(v) for v in cube.data_vars if _name_key(v) == _name_key(name))
    if near:
        return (f"variable {name!r}: missing from the cube, whose layer {near[0]!r} differs "
                "from it only in case or spaces (named so in the job's config); name that "
                f"layer {name!r} exactly, as the model was trained, and ingest again")
    own = _unit_stem(name)
    for layer in sorted(str(v) for v in cube.data_vars):
        theirs = _unit_stem(layer)
        if theirs is not None and _name_key(theirs[0]) == _name_key(name):
            said = f"is its name with the unit {theirs[1]!r} added"
        elif own is not None and _name_key(own[0]) == _name_key(layer):
            said = f"is its name without the unit {own[1]!r}"
        else:
            continue
        return (f"variable {name!r}: missing from the cube, whose layer {layer!r} {said} "
                "(named so in the job's config or by the tool that exported it); check that "
                f"its values are in the model's units and name that layer {name!r} exactly, "
                "as the model was trained, and ingest again")
    return f"variable {name!r}: missing from the cube"


_UNIT_SUFFIXES = (re.compile(r"^(?P<stem>.*\S)\s*[(\[](?P<unit>[^()\[\]]+)[)\]]$"),
                  re.compile(r"^(?P<stem>.*[^\s_-])[\s_-]+(?P<unit>[^\s_-]+)$"))
"""A layer name ending in a unit: ``heat_flow (mW/m2)``, ``li [ppm]``, ``li_ppm``,
``bouguer-mGal``, ``depth m``."""


def _unit_stem(name: str) -> tuple[str, str] | None:
    """``(stem, unit)`` of a layer name that ends in a unit of measure (``li_ppm``: ``li``,
    ``ppm``), else ``None``; a number (``_2020``, ``_1``) is no unit here."""
    from prospect.registry.units import reads_as_unit

    for pattern in _UNIT_SUFFIXES:
        found = pattern.match(name.strip())
        if found is None:
            continue
        unit = found["unit"].strip()
        if any(ch.isalpha() or ch == "%" for ch in unit) and reads_as_unit(unit):
            return found["stem"], unit
    return None


FrameKind = Literal["ground", "degrees", "stretched metres"]
"""What a point surface's distances were measured in: metres on the ground (a recorded
``distances`` frame, or a projected grid whose metres are the ground's: UTM, RD New),
the degrees of a grid in degrees, or the metres of a projected grid that are not the
ground's (Web Mercator), as ingest measured before round 31."""

FRAME_ATTR = "point_surface_frame"
"""Attribute :func:`align_to_schema` gives a point surface (or a contact or fault distance
layer, :data:`DISTANCE_METHODS`) warped onto the model's grid: the
:data:`FrameKind` it was measured in on the cube's own grid (its CRS is gone after the
warp, and with it what its grid's own coordinates were)."""


class _FrameReader:
    """The :data:`FrameKind` of a point surface of ``cube`` and of the model's (``schema``),
    each from its provenance and its own grid; grids are read once, when first needed."""

    def __init__(self, cube: xr.Dataset, schema: Mapping[str, Any], have_crs: CRS | None):
        self._cube, self._schema, self._have_crs = cube, schema, have_crs
        self._scales: dict[str, bool] = {}
        self._made_crs, self._made_grid = _made_on(cube, have_crs)

    @property
    def reprojected(self) -> bool:
        """Whether the cube's layers were computed on a grid of another CRS than the one it
        is in now (its ``grid`` record's: reprojected outside :func:`align_to_schema`)."""
        return self._made_crs is not None

    def _off_ground(self, side: str) -> bool:
        """Whether the projected grid of ``side`` (``cube`` or ``model``, the model's over
        the cube's area, for a Mercator model only) measures in metres that are not the
        ground's."""
        if side not in self._scales:
            from prospect.ingest.surfaces import scale_off_ground
            from prospect.io.cube import cube_grid
            from prospect.io.warp import target_grid

            if side == "model" and not _mercator(self._schema.get("crs")):
                # the model's region is not recorded: a conformal projection made for a
                # region (UTM, a national grid) measures its metres on the ground there,
                # while Mercator's scale is the latitude's wherever the region lies
                self._scales[side] = False
                return False
            try:
                grid = self._made_grid if side == "cube" and self.reprojected else \
                    cube_grid(self._cube)
                if grid is None:  # a record of another CRS without its bounds
                    self._scales[side] = _mercator(self._made_crs)
                    return self._scales[side]
                if side == "model":
                    grid = target_grid(grid, crs=str(self._schema["crs"]),
                                       resolution=float(self._schema["resolution"]))
                self._scales[side] = scale_off_ground(grid) is not None
            except Exception:  # no grid to measure: its metres taken as the ground's
                self._scales[side] = False
        return self._scales[side]

    def kind(self, prov: Mapping[str, Any], side: str) -> FrameKind:
        """The frame a surface of provenance ``prov`` on ``side``'s grid was measured in."""
        if prov.get("distances"):
            return "ground"
        crs = self._crs(side)
        if crs is None:
            return "ground"
        if crs.is_geographic:
            return "degrees"
        return "stretched metres" if self._off_ground(side) else "ground"

    def current(self, method: Any, side: str) -> FrameKind:
        """The frame this Prospect's ingest measures a surface of ``method`` in on
        ``side``'s grid: the ground's, but a distance layer of a grid in degrees keeps its
        degrees (:func:`prospect.ingest.surfaces.plan_points`)."""
        crs = self._crs(side)
        geographic = crs is not None and crs.is_geographic
        return "degrees" if method in _KEEPS_DEGREES and geographic else "ground"

    def _crs(self, side: str) -> CRS | None:
        """The CRS ``side``'s layers were computed in (the cube's: its grid record's)."""
        if side == "cube":
            return self._made_crs or self._have_crs
        return _crs_or_none(self._schema.get("crs"))

    def label(self, side: str) -> str:
        """The CRS of ``side``'s grid (the cube's as it was computed), for a message."""
        if side == "cube":
            return _crs_label(self._crs("cube"))
        return str(self._schema.get("crs"))


def _made_on(cube: xr.Dataset, have_crs: CRS | None) -> tuple[CRS | None, Any]:
    """The CRS and grid (a :class:`~prospect.grid.RegionGrid`, or ``None`` where its record
    gives none) ``cube``'s layers were computed on, where its ``grid`` record (written by
    ingest) states another CRS than the cube is in now: a cube reprojected by another tool
    (rioxarray, GDAL), which keeps the attributes. ``(None, None)`` for a cube in the CRS
    it was made in, or without a readable record.

    A point surface's distances were measured on the grid it was computed on: a surface of
    a cube in degrees weighed by degrees (before round 31), reprojected to UTM outside
    :func:`align_to_schema`, was compared as one measured on UTM's ground, and scored.
    """
    info = read_provenance(cube.attrs.get("grid"))
    made = _crs_or_none(info.get("crs"))
    if made is None or have_crs is None or _same_crs(made, have_crs):
        return None, None
    from prospect.grid import RegionGrid

    try:
        left, bottom, right, top = (float(v) for v in info["bounds"])
        grid = RegionGrid(name=str(info.get("name") or "region"), crs=made.to_string(),
                          resolution=float(info["resolution"]),
                          bounds=(left, bottom, right, top))
    except (KeyError, TypeError, ValueError):  # a record without a usable grid
        grid = None
    return made, grid


def _mercator(crs: Any) -> bool:
    """Whether ``crs`` is a (normal, not transverse) Mercator projection: Web Mercator's."""
    parsed = _crs_or_none(crs)
    operation = parsed.coordinate_operation if parsed is not None else None
    method = str(getattr(operation, "method_name", "") or "").lower()
    return "mercator" in method and not any(w in method for w in ("transverse", "oblique"))


def _crs_or_none(crs: Any) -> CRS | None:
    try:
        return CRS.from_user_input(crs) if crs else None
    except ProjCRSError:
        return None


_FRAME_WORDS: dict[str, str] = {
    "degrees": "in the degrees of its grid's own coordinates",
    "stretched metres": "in its grid's own metres, which are not the ground's",
    "ground": "in its grid's own metres, on the ground",
}


def _distance_frame_difference(name: str, want: Mapping[str, Any],
                               have: Mapping[str, Any], frames: _FrameReader,
                               warped_from: Any = None) -> str | None:
    """A line where point surface ``name`` was measured in another frame in the cube
    (provenance ``have``) than at training (``want``), else ``None``.

    Ingest measures a region in degrees' IDW and kriging surfaces, and a Web Mercator
    region's distance layers, on the ground since round 31 (its settings' ``distances``);
    before, in the grid's own coordinates. Under the same name and units the surfaces
    differ (distances 1.62 times the ground's in Web Mercator at 52 N): a model trained on
    one and scored on the other made a wrong map without a word. Each side's frame is a
    :data:`FrameKind`, read from its provenance and its own grid (``warped_from``: the
    kind :func:`align_to_schema` recorded of the cube's grid before the warp), so a cube
    in degrees reprojected to a UTM model is compared as what it was measured in (a
    surface of before round 31 weighed by degrees was scored; one on the ground was
    refused as measured in another frame). A schema that did not record the surface's
    ``method`` is not compared.
    """
    method = want.get("method")
    if method not in DISTANCE_METHODS or have.get("method") != method:
        return None
    trained, cube = want.get("distances"), have.get("distances")
    want_kind = frames.kind(want, "model")
    have_kind = str(warped_from) if warped_from in _FRAME_WORDS and not cube \
        else frames.kind(have, "cube")
    if want_kind == have_kind:
        return None
    same_crs = warped_from is None and not frames.reprojected and \
        _same_crs(frames.label("model"), _crs_or_none(frames.label("cube")))

    def frame(said: Any, kind: str, side: str) -> str:
        if said:
            return f"in {said}"
        if same_crs:
            return "in the grid's own coordinates"
        where = "before it was reprojected" if side == "cube" and warped_from else \
            f"of {frames.label(side)}, before it was reprojected" \
            if side == "cube" and frames.reprojected else f"of {frames.label(side)}"
        return f"{_FRAME_WORDS[kind]} ({where})"

    fix = _frame_fix(method, have_kind, want_kind, frames)
    return (f"variable {name!r}: ingest {FRAME_MARK} {frame(cube, have_kind, 'cube')} in "
            f"the cube, {frame(trained, want_kind, 'model')} for the model (the same "
            "points make other values: the cube and the model were ingested by different "
            f"Prospect versions or on different grids); {fix}")


_FRAME_FIXES: dict[str, str] = {
    "cube": "re-ingest the cube with this Prospect (it measures them as the model's were)",
    "model": "retrain the model on this cube (this Prospect's ingest measures as the cube "
             "does)",
    "grid": "ingest the cube's sources with this Prospect on a region in the model's CRS, "
            "or retrain the model on this cube",
    "both": "re-ingest the cube with this Prospect and retrain the model on it",
}
"""The fix a distance-frame difference names, by the side whose ingest is not this
Prospect's (``grid``: both are, on grids that measure differently)."""


def _frame_fix(method: Any, have: str, want: str, frames: _FrameReader) -> str:
    """What makes the two sides of a surface measured in frames ``have`` (the cube's) and
    ``want`` (the model's) one: re-ingesting the cube where this Prospect's ingest would
    measure it as the model's was (a cube of before round 31), retraining where the
    model's cube was of before, and a region in the model's CRS where both are this
    Prospect's on grids that measure differently (a distance layer in degrees). The hint
    said "retrain the model on this cube (this Prospect's ingest measures as the cube
    does)" of a cube an older Prospect had weighed by degrees."""
    cube_now, model_now = frames.current(method, "cube"), frames.current(method, "model")
    if have != cube_now and cube_now == want:
        return _FRAME_FIXES["cube"]
    if want != model_now and model_now == have:
        return _FRAME_FIXES["model"]
    if have == cube_now and want == model_now:
        return _FRAME_FIXES["grid"]
    return _FRAME_FIXES["both"]


def _surface_frame(da: xr.DataArray, crs: CRS, src: Any) -> str | None:
    """The :data:`FrameKind` point surface ``da`` was measured in on the cube's grid
    ``src`` (CRS ``crs``), for :data:`FRAME_ATTR`; None for a layer of another kind."""
    prov = read_provenance(da.attrs.get("provenance"))
    if prov.get("method") not in DISTANCE_METHODS:
        return None
    if prov.get("distances"):
        return "ground"
    if crs.is_geographic:
        return "degrees"
    from prospect.ingest.surfaces import scale_off_ground

    return "stretched metres" if scale_off_ground(src) is not None else "ground"


def check_schema(cube: xr.Dataset, schema: Mapping[str, Any]) -> None:
    """Raise :class:`SchemaMismatchError` naming each difference between cube and schema.

    Parameters
    ----------
    cube
        The cube to score (lazy is fine: only metadata is read).
    schema
        The model's input schema (``schema.json``).
    """
    diffs = schema_differences(cube, schema)
    if diffs:
        geometric = any(d.startswith(("CRS", "resolution")) for d in diffs)
        codes = any(CODE_TABLE_MARK in d for d in diffs)
        frames = any(FRAME_MARK in d for d in diffs)
        hint = (
            "fix: rebuild the cube with the model's sources and indices"
            + ("; or ask for reprojection (reproject=True, --reproject) to the model's "
               "CRS and resolution" if geometric else "")
            + ("; for a changed code table, re-ingest with the class (unit) names the "
               "model was trained with, so each code means the same class, or retrain the "
               "model on this cube" if codes else "")
            + ("; for a surface measured in another frame, the fix its line names"
               if frames else "")
        )
        raise SchemaMismatchError(
            f"the cube does not match the model's input schema ({len(diffs)} "
            f"difference{'s' if len(diffs) != 1 else ''}):\n"
            + "\n".join(f"- {d}" for d in diffs) + f"\n{hint}"
        )


def align_to_schema(
    cube: xr.Dataset, schema: Mapping[str, Any], *, resampling: str | None = None
) -> xr.Dataset:
    """Reproject/resample the model's variables of ``cube`` to the schema's CRS and resolution.

    The output grid covers the cube's extent in the model's CRS, snapped to whole cells of
    the model's resolution; every chunk is warped lazily from its own source window (see
    :mod:`prospect.io.warp`), so memory is bounded by the chunk size.

    Parameters
    ----------
    cube
        The cube to align (lazy).
    schema
        The model's input schema.
    resampling
        GDAL resampling of continuous variables; default ``bilinear``, or ``average`` when
        the model's cells are coarser. Categorical variables always get ``nearest`` (or
        ``mode`` when coarsening).

    Returns
    -------
    xr.Dataset
        The model's variables on the model's grid, with the cube's attributes and a
        ``spatial_ref`` grid mapping; ``cube``'s variables unchanged when CRS and resolution
        already match. An integer variable records the fill of the cells outside the cube
        in ``_FillValue`` (:func:`_warp_fill` where it stated none), and a point surface
        the frame it was measured in on the cube's grid (:data:`FRAME_ATTR`).

    Raises
    ------
    ModelError
        No CRS or resolution to warp to or from; an unknown resampling; an integer code
        table naming every code of its type (no fill is left for the cells outside).
    """
    from prospect.io.cube import cube_grid, grid_template
    from prospect.io.warp import choose_resampling, reprojected_dataarray, target_grid

    names = [n for n in schema.get("feature_order", []) if n in cube.data_vars]
    want_crs, want_res = schema.get("crs"), schema.get("resolution")
    if want_crs is None or want_res is None:
        raise ModelError("the model's schema records no CRS/resolution; cannot reproject")
    have_crs = _cube_crs(cube)
    if have_crs is None:
        raise ModelError("the cube has no CRS; cannot reproject it to the model's grid")
    if _same_crs(want_crs, have_crs) and math.isclose(
        _cube_resolution(cube) or -1.0, float(want_res), rel_tol=1e-6
    ):
        return cube[names]
    if resampling is not None and resampling not in Resampling.__members__:
        allowed = ", ".join(r.name for r in Resampling)
        raise ModelError(f"unknown resampling {resampling!r}; use one of {allowed}")
    from prospect.registry.applicability import far_fill_values

    far = far_fill_values(cube, schema)
    src = cube_grid(cube)
    made_crs, made_grid = _made_on(cube, have_crs)  # reprojected before, by another tool
    dst = target_grid(src, crs=str(want_crs), resolution=float(want_res))
    like = grid_template(dst)
    out: dict[str, xr.DataArray] = {}
    for name in names:
        da = cube[name]
        categorical = da.attrs.get("prospect_kind") == "categorical"
        kind: Literal["continuous", "categorical"] = (
            "categorical" if categorical else "continuous"
        )
        src_res = src.resolution if _same_crs(want_crs, have_crs) else _res_in(src, dst)
        method = choose_resampling(
            kind, source_res=src_res, target_res=dst.resolution,
            override=resampling if kind == "continuous" else None,
        )
        da = _with_stated_fill(da, categorical=categorical)
        if name in far:
            da = _far_fills_as_nodata(da, *far[name])
        warped = reprojected_dataarray(da, src, dst, like, resampling=Resampling[method])
        warped.attrs["resampled_from"] = f"{_crs_label(have_crs)} at {src.resolution:g}"
        warped.attrs["resampling"] = method
        frame = da.attrs.get(FRAME_ATTR) or _surface_frame(da, made_crs or have_crs,
                                                           made_grid or src)
        if frame:
            warped.attrs[FRAME_ATTR] = frame
        out[name] = warped
    aligned = like.assign(out)
    aligned.attrs = {**cube.attrs}
    aligned.attrs.pop("grid", None)
    return aligned


def _far_fills_as_nodata(da: xr.DataArray, values: np.ndarray, lo: float, hi: float
                         ) -> xr.DataArray:
    """``da`` with its cells holding one of the common fills ``values`` (all outside the
    training range ``lo`` to ``hi``: :func:`~prospect.registry.applicability.
    far_fill_values`) set to the warp's nodata: NaN, or an integer layer's stated
    ``_FillValue``.

    Such a fill (-9999 beside a training range of 0..1) no one declared is no data on the
    model's grid (:func:`~prospect.registry.applicability.mask_far_fills`), but warped
    first it was averaged or interpolated into the cells around it: values no fill check
    knows (-1874.6), scored as evidence far beyond any training cell. Lazily, chunk by
    chunk; a layer holding none keeps its values and type.
    """
    nodata = np.nan if np.issubdtype(da.dtype, np.floating) else da.attrs["_FillValue"]
    if hasattr(da.data, "map_blocks"):
        return da.copy(data=da.data.map_blocks(_fill_far, values=values, lo=lo, hi=hi,
                                               nodata=nodata, dtype=da.dtype))
    return da.copy(data=_fill_far(np.asarray(da.data), values, lo, hi, nodata))


def _fill_far(block: np.ndarray, values: np.ndarray, lo: float, hi: float,
              nodata: float) -> np.ndarray:
    """``block`` with its cells outside ``lo`` to ``hi`` holding one of ``values`` set to
    ``nodata`` (a copy only where some do)."""
    far = np.flatnonzero((block < lo) | (block > hi))
    if far.size:
        hit = far[np.isin(block.reshape(-1)[far], values)]
        if hit.size:
            block = np.array(block, copy=True)
            block.reshape(-1)[hit] = nodata
    return block


def _warp_fill(da: xr.DataArray, *, categorical: bool) -> int:
    """The fill an integer layer stating none is warped with onto the model's grid.

    A categorical layer keeps -1 where its type holds it (the stack's convention: a
    negative code is missing); an unsigned one takes the type's largest value that its
    code table does not name. A continuous layer takes its type's extreme (-32768 for
    int16, 65535 for uint16), the common nodata of such grids: -1 is an elevation or a
    count, and the warp also read it as missing in the source.
    """
    info = np.iinfo(da.dtype)
    if categorical:
        if info.min < 0:
            return -1
        named = {int(c) for c in (code_table(da.attrs) or {}) if c.lstrip("-").isdigit()}
        free = next((v for v in range(int(info.max), -1, -1) if v not in named), None)
        if free is None:
            raise ModelError(
                f"variable {da.name!r}: its {da.dtype} code table names every code its type "
                "holds, so none is left to mark the cells of the model's grid outside the "
                "cube; re-ingest the layer with a no-data code (_FillValue) or a wider "
                "integer type, or score a cube on the model's grid")
        return free
    return int(info.min) if info.min < 0 else int(info.max)


def _with_stated_fill(da: xr.DataArray, *, categorical: bool) -> xr.DataArray:
    """``da`` with its fill recorded in its ``_FillValue`` attribute where it is an integer
    layer: the fill its encoding states, else :func:`_warp_fill`'s.

    The cells of the model's grid outside the cube get the fill; unrecorded, a later
    reader (the feature stack, a score) took them for values: an int16 layer's -1 and a
    uint8 code table's 255 were scored as data outside the cube.
    """
    if not np.issubdtype(da.dtype, np.integer) or "_FillValue" in da.attrs:
        return da
    stated = da.encoding.get("_FillValue")
    fill = _warp_fill(da, categorical=categorical) if stated is None else stated
    return da.assign_attrs(_FillValue=fill)


def _res_in(src: Any, dst: Any) -> float:
    """Approximate source cell size in the target CRS units (for the resampling choice)."""
    from rasterio.warp import transform_bounds

    left, bottom, right, top = transform_bounds(src.crs_obj, dst.crs_obj, *src.bounds)
    return float(math.sqrt(abs((right - left) * (top - bottom)) / (src.width * src.height)))
