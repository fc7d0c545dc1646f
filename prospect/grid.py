"""The region grid: one CRS, one resolution, one extent, one chunk shape.

Everything in a cube shares a :class:`RegionGrid`. The grid is a pure value object: it
knows its affine transform, its shape, its cell-centre coordinates and its chunk layout,
and it reads nothing from disk (see :func:`prospect.io.raster.grid_from_raster` for that).
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from affine import Affine
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError as ProjCRSError

from prospect.env import positive_limit
from prospect.errors import ConfigError, CRSError, GridError

__all__ = [
    "MAX_CELLS_DEFAULT",
    "ChunkWindow",
    "RegionGrid",
    "check_transformable",
    "crs_units",
    "max_cells",
    "parse_crs",
    "plural_unit",
    "xy_transformer",
]


def parse_crs(value: object) -> CRS:
    """Return a :class:`pyproj.CRS` for ``value`` or raise :class:`CRSError`.

    Parameters
    ----------
    value
        Anything pyproj understands: ``"EPSG:28992"``, an EPSG integer, WKT, PROJ string.
    """
    if value is None or value == "":
        raise CRSError("no CRS given; set it as e.g. 'EPSG:28992'")
    if isinstance(value, str) and (wms := _WMS_CODE.match(value)) is not None:
        value = f"OGC:CRS{wms.group(1)}"  # PROJ knows these only by their OGC names
    try:
        return CRS.from_user_input(value)
    except ProjCRSError as exc:
        raise CRSError(
            f"unknown CRS {value!r}; {_spelled_code(value)}give an EPSG code ('EPSG:28992' "
            "is RD New, 'EPSG:326NN' WGS 84 / UTM zone NN north) or WKT") from exc


def _spelled_code(value: object) -> str:
    """``did you mean 'EPSG:28992'? `` for an authority code PROJ knows written with
    spaces or none (``EPSG 28992``, ``EPSG : 28992``, ``EPSG28992``) or its letters
    swapped (``ESPG:28992``), and for a UTM zone named without its datum (``UTM zone
    48N``, ``UTM48N``: WGS 84's, said so); else ``""``."""
    if not isinstance(value, str):
        return ""
    utm = _UTM_NAMED.match(value)
    if utm is not None:
        zone, hemisphere = int(utm.group(1)), utm.group(2).upper()
        if not 1 <= zone <= 60:
            return ""
        code = f"EPSG:{32600 + zone if hemisphere == 'N' else 32700 + zone}"
        return (f"did you mean '{code}' (WGS 84 / UTM zone {zone}{hemisphere}; a UTM zone "
                "on another datum, e.g. ETRS89's or a national one, has its own code)? ")
    meant = _CODE_SPELLED.match(value)
    if meant is None:
        return ""
    authority = meant.group(1).upper()
    code = f"{'ESRI' if authority == 'ESRI' else 'EPSG'}:{meant.group(2)}"
    try:
        CRS.from_user_input(code)
    except ProjCRSError:
        return ""
    return f"did you mean '{code}'? "


_WMS_CODE = re.compile(r"^\s*CRS\s*:\s*(84|83|27)\s*$", re.IGNORECASE)
"""WMS 1.3's names for lon/lat WGS 84, NAD83 and NAD27 (``CRS:84``), which GDAL reads and
PROJ knows as ``OGC:CRS84``, ``OGC:CRS83`` and ``OGC:CRS27``."""

_CODE_SPELLED = re.compile(r"^\s*(EPSG|ESPG|EPGS|ESRI)\s*(?:[:_ ]\s*)*(\d+)\s*$",
                           re.IGNORECASE)
"""An authority code written with spaces, an underscore or nothing between (``EPSG
28992``, ``EPSG : 28992``, ``EPSG28992``, ``EPSG_28992``) or ``EPSG`` with two letters
swapped (``ESPG:28992``): not read by PROJ, and nearly right."""

_UTM_NAMED = re.compile(r"^\s*UTM\s*(?:zone\s*)?(\d{1,2})\s*([NS])\s*$", re.IGNORECASE)
"""A UTM zone named without its datum (``UTM zone 48N``, ``UTM 31N``, ``UTM48N``): PROJ
reads it as no CRS; ``WGS 84 / UTM zone 48N`` it reads."""


def check_transformable(src: object, dst: object, *, where: str) -> None:
    """Refuse data whose CRS PROJ cannot transform to the region's.

    A local engineering CRS (a mine grid, a site's own axes: GDAL's ``LOCAL_CS``) has no
    link to the earth: rasterio, GDAL and geopandas each failed with their own message
    deep inside ingest.

    Parameters
    ----------
    src, dst
        Anything :func:`parse_crs` reads: the data's CRS and the region's.
    where
        What the data is, for the message (a file, a source).

    Raises
    ------
    CRSError
        Naming the data, both CRSs and how to fix it.
    """
    src_crs, dst_crs = parse_crs(src), parse_crs(dst)
    if src_crs == dst_crs:
        return
    guessed = datum_guessed(src_crs, dst_crs)
    if guessed is not None:
        raise CRSError(f"{where}: {guessed}; give the data's real CRS with 'crs:' in the "
                       "source config, or set it in the file (gdal_edit.py -a_srs "
                       "EPSG:<code>, ogr2ogr -a_srs EPSG:<code>)")
    back = datum_guessed(dst_crs, src_crs, whose="the region's", to="the data's")
    if back is not None:  # a region of no datum (a PROJ string) and data far from it
        raise CRSError(f"{where}: {back}; give the region's 'crs:' as the EPSG code of its "
                       "datum (e.g. EPSG:25831 for ETRS89 / UTM zone 31N)")
    if not _no_operation(src_crs.to_wkt(), dst_crs.to_wkt()):
        return
    kind = ("a local engineering CRS, with no link to the earth"
            if src_crs.is_engineering else "a CRS with no known transformation to it")
    raise CRSError(
        f"{where}: its CRS {src_crs.name!r} is {kind}, so it cannot be put on the region's "
        f"CRS ({dst_crs.name}); georeference the data in a CRS with a datum first (e.g. "
        "gdalwarp or ogr2ogr with -s_srs/-t_srs and the survey's control points), or give "
        "its real CRS with 'crs:' in the source config")


def datum_guessed(src: CRS, dst: CRS, *, whose: str = "its", to: str = "the region's"
                  ) -> str | None:
    """Why PROJ can only guess the datum shift from ``src`` to ``dst``, or ``None``.

    A CRS that names an ellipsoid but no datum (a PROJ string or ``.prj`` without
    ``+towgs84``/``+datum``: RD New as older software writes it, ``+proj=sterea ...
    +ellps=bessel``) leaves PROJ a "ballpark" shift of nothing to a CRS on another
    ellipsoid, which places the data 100 m and more off without an error. On a CRS of the
    same ellipsoid (that RD string on EPSG:28992) PROJ's null shift is the one meant, and
    so it is between WGS 84's and GRS 1980's (``+proj=utm +ellps=GRS80``: ETRS89 or NAD83
    without their datum, within about 2 m of WGS 84), but not onto a datum of WGS 84's
    ellipsoid that lies far from WGS 84 (VN-2000: 220 m) (:func:`_null_shift_meant`).

    Parameters
    ----------
    src, dst
        The CRS without a datum (else ``None``) and the one it is put on.
    whose, to
        Who owns each, for the reason (``"its"``, ``"the region's"``).
    """
    own, target = src.ellipsoid, dst.ellipsoid
    if not _no_datum(src) or own is None or target is None or _null_shift_meant(own, dst):
        return None  # a datum, or a shift to WGS 84 (+towgs84: a bound CRS)
    named_none = _datum_named_none(src)
    found: list[str] = []
    if named_none:  # a datum of its own is nobody's: no code of PROJ's fits it (1 to 4 s)
        itself = src.to_authority(min_confidence=100)
        found = sorted({f"EPSG:{m.code}" for m in src.list_authority(min_confidence=70)
                        if m.auth_name == "EPSG" and (m.auth_name, m.code) != itself})
    like = f" (EPSG CRSs of other datums fit it: {', '.join(found[:4])})" if found else ""
    datum = dst.datum.name if dst.datum is not None else target.name
    own_datum = src.datum.name if src.datum is not None else own.name
    has = (f"an ellipsoid ({own.name}) but no datum (no +towgs84 or +datum in its PROJ string "
           "or .prj)") if named_none else (
        f"a datum PROJ does not know ({own_datum!r}, on the {own.name} ellipsoid) and no "
        "shift from it to WGS 84 (no TOWGS84 in its WKT or .prj, no +towgs84 in its PROJ "
        "string)")
    return (f"{whose} CRS has {has}{like}, so PROJ can only guess the datum shift to "
            f"{to} {dst.name} ({datum}): a 'ballpark' shift of nothing, which places the "
            "data 100 m or more off")


_NO_DATUM_NAMES = ("unknown", "not specified", "not_specified", "unspecified")
"""How a datum that is none is named, once ESRI's ``D_`` is dropped and ``_`` read as a
space: PROJ's ``Unknown based on ... ellipsoid``, ESRI WKT1's
``D_Unknown_based_on_..._ellipsoid`` and GDAL's ``D_unknown``, EPSG's own ``Not specified
(based on ... ellipsoid)`` (EPSG:4022 and its kind)."""


def _no_datum(crs: CRS) -> bool:
    """Whether a CRS names an ellipsoid but no datum PROJ can shift to WGS 84, and no
    shift of its own (a ``+towgs84``/``TOWGS84`` makes it a bound CRS): a datum that is
    none, whichever way its WKT spells it (:data:`_NO_DATUM_NAMES`: the same CRS as ESRI
    WKT1 and as WKT2 is one case), or a user-defined datum PROJ does not know (a ``.prj``'s
    ``DATUM["PSAD56_local",...]`` without ``TOWGS84``), which PROJ shifts by nothing as
    well (its "ballpark" offset)."""
    if crs.datum is None or crs.is_bound:
        return False
    return _datum_named_none(crs) or not _known_datum(crs.datum)


def _datum_named_none(crs: CRS) -> bool:
    """Whether the datum of ``crs`` is named as none (:data:`_NO_DATUM_NAMES`)."""
    if crs.datum is None:
        return False
    name = crs.datum.name.strip()
    if name[:2].lower() == "d_":
        name = name[2:]
    return name.replace("_", " ").lower().startswith(_NO_DATUM_NAMES)


def _known_datum(datum: Any) -> bool:
    """Whether PROJ knows a pyproj datum: it carries an authority's code, or PROJ's
    database holds a datum of its name (a WKT1 without ``AUTHORITY`` nodes, an ESRI
    ``.prj``'s ``D_WGS_1984``, which PROJ reads as WGS 84)."""
    spelled = datum.to_json_dict()
    return bool(spelled.get("id") or spelled.get("ids")) or _datum_in_database(datum.name)


@functools.lru_cache(maxsize=64)
def _datum_in_database(name: str) -> bool:
    """Whether PROJ's database holds a datum (or datum ensemble) named ``name``."""
    from pyproj.crs import Datum

    try:
        Datum.from_name(name)
    except ProjCRSError:
        return False
    return True


def _null_shift_meant(own: Any, dst: CRS) -> bool:
    """Whether PROJ's null shift from a CRS of ellipsoid ``own`` without a datum onto
    ``dst`` is the one meant: onto the same ellipsoid (RD New's Bessel string on RD
    New); for WGS 84's and GRS 1980's ellipsoid (the datum such a CRS is written for is
    WGS 84, ETRS89, NAD83 or GDA: within 2 m of each other), onto a CRS of either whose
    datum lies within 10 m of WGS 84, not onto VN-2000 (WGS 84's ellipsoid, 220 m off),
    which a ``+proj=utm +zone=48 +ellps=WGS84`` map was put on without a word. A sphere
    has no datum of its own: its longitudes and latitudes are meant as WGS 84's (MODIS's
    sinusoidal grid, GDAL's ``Not specified (based on custom spheroid)``), so PROJ's null
    shift is the one meant."""
    target = dst.ellipsoid
    if target is None or own.inverse_flattening == 0 or \
            own.semi_minor_metre == own.semi_major_metre:
        return True
    if not _wgs84_sized(own):
        return _same_ellipsoid(own, target)
    return _wgs84_sized(target) and (_no_datum(dst) or _near_wgs84(dst.to_wkt()))


def _same_ellipsoid(own: Any, target: Any) -> bool:
    """Whether two pyproj ellipsoids are one (semi-major axis within 1 mm, inverse
    flattening within 1e-9)."""
    return math.isclose(own.semi_major_metre, target.semi_major_metre, rel_tol=0,
                        abs_tol=1e-3) and math.isclose(own.inverse_flattening,
                                                       target.inverse_flattening, rel_tol=1e-9)


def _wgs84_sized(ellipsoid: Any) -> bool:
    """Whether a pyproj ellipsoid is WGS 84's or GRS 1980's (semi-major axis 6 378 137 m
    within 1 mm, inverse flattening 298.2572... within 1e-6: their own differ by 5e-9,
    0.1 mm at the poles)."""
    return math.isclose(ellipsoid.semi_major_metre, 6378137.0, rel_tol=0, abs_tol=1e-3) \
        and math.isclose(ellipsoid.inverse_flattening, 298.257223563, rel_tol=1e-6)


@functools.lru_cache(maxsize=64)
def _near_wgs84(wkt: str) -> bool:
    """Whether the datum of a CRS lies within 10 m of WGS 84 at the middle of its area of
    use, by PROJ's best shift (ETRS89, NAD83, GDA2020: under 2 m; VN-2000 220 m, RD New's
    Amersfoort 100 m). A datum PROJ knows no shift for reads as near (its null shift)."""
    import pyproj

    crs = CRS.from_wkt(wkt)
    try:
        geodetic = crs.geodetic_crs or crs
        area = crs.area_of_use
        lon, lat = ((area.west + area.east) / 2, (area.south + area.north) / 2) \
            if area is not None and area.west <= area.east else (0.0, 0.0)
        x, y = Transformer.from_crs(geodetic, CRS.from_epsg(4326),
                                    always_xy=True).transform(lon, lat)
        metres = pyproj.Geod(ellps="WGS84").inv(lon, lat, x, y)[2]
    except Exception:  # no shift to measure: PROJ's null shift, as before
        return True
    return not math.isfinite(metres) or metres < 10.0


@functools.lru_cache(maxsize=32)
def xy_transformer(src: str, dst: str) -> Transformer:
    """A pyproj transformer from CRS ``src`` to ``dst`` (any form pyproj reads: an EPSG
    code, WKT, a PROJ string) in x/y order, made once per pair: each takes PROJ 0.01 to
    0.1 s to make, and a chunk's cells or a dozen candidate CRSs ask for the same one."""
    return Transformer.from_crs(src, dst, always_xy=True)


@functools.lru_cache(maxsize=256)
def _no_operation(src_wkt: str, dst_wkt: str) -> bool:
    """Whether PROJ has no coordinate operation from one CRS to the other (cached: a
    planning step asks once per file and band)."""
    from pyproj.exceptions import ProjError

    try:
        Transformer.from_crs(src_wkt, dst_wkt, always_xy=True)
    except ProjError:
        return True
    return False


MAX_CELLS_DEFAULT = 2**34
"""Cells per variable above which a grid is refused (``$PROSPECT_MAX_CELLS`` overrides)."""


def max_cells() -> int:
    """The cell limit per variable: ``$PROSPECT_MAX_CELLS`` or :data:`MAX_CELLS_DEFAULT`."""
    return positive_limit("PROSPECT_MAX_CELLS", MAX_CELLS_DEFAULT, "cells a variable may hold",
                          ConfigError)


def _check_cells(width: float, height: float, resolution: float) -> None:
    """Refuse bounds narrower than one cell (the grid, snapped outwards to whole cells,
    would reach far past them), or a grid over the cell limit, before anything is
    allocated. ``width`` and ``height`` are the bounds' extent in cells."""
    if width < 1 or height < 1:
        raise GridError(
            f"the bounds are {height:.3g} x {width:.3g} cells: resolution {resolution:g} is "
            "larger than the bounds, and one cell would reach far past them; make the "
            "bounds wider or the resolution finer"
        )
    width, height = math.ceil(width), math.ceil(height)
    limit = max_cells()
    if width * height > limit:
        raise GridError(
            f"the grid has {height} x {width} = {float(width) * height:.3g} cells per variable, "
            f"over the limit of {limit:.3g}; use a coarser resolution or smaller bounds (or raise "
            "PROSPECT_MAX_CELLS)"
        )


CHUNK_CELLS_MAX = 2**28
"""Cells per chunk above which a grid is refused: one task holds a chunk (padded to the full
chunk shape at the grid's edge) in memory, 1 GiB of float32 at this size."""


def _check_chunks(cy: int, cx: int) -> None:
    """Refuse a chunk shape no worker could hold (``chunks: [1000000000, 1000000000]``)."""
    cells = cy * cx
    if cells > CHUNK_CELLS_MAX:
        # a product past a float's range (chunks of hundreds of digits) is said by its
        # digits: '{:.3g}' of it raised OverflowError, an internal error
        held = f"{cells:.3g}" if cells < 10**300 else f"over 10^{len(str(cells)) - 1}"
        shown = ", ".join(str(c) if c < 10**12 else f"<{len(str(c))} digits>" for c in (cy, cx))
        raise GridError(
            f"chunks [{shown}] hold {held} cells each, over the limit of "
            f"{CHUNK_CELLS_MAX:.3g} (a task holds a whole chunk in memory, padded to the chunk "
            "shape at the grid's edge); use chunks such as [512, 512]")


_METRE_LIKE_MIN = 0.01
"""Finest resolution (in metres or feet) that is not a number of degrees written by mistake."""
_DEGREE_LIKE_MAX = 1.0
"""Coarsest resolution (in degrees) that is not a number of metres written by mistake."""


def _check_units(crs_obj: CRS, crs: str, resolution: float) -> None:
    """Refuse a resolution that only makes sense in the other unit (degrees vs metres)."""
    axes = crs_obj.axis_info
    unit = axes[0].unit_name if axes else ""
    if crs_obj.is_geographic and resolution > _DEGREE_LIKE_MAX:
        raise GridError(
            f"resolution {resolution:g} in {crs}, whose units are {unit or 'degrees'}: "
            f"{resolution:g} degrees is about {resolution * 111:.0f} km; give the resolution "
            "in degrees (10 m is about 0.0001) or use a projected CRS in metres"
        )
    if crs_obj.is_projected and resolution < _METRE_LIKE_MIN:
        raise GridError(
            f"resolution {resolution:g} in {crs}, whose units are {unit or 'metres'}: that is "
            f"under a centimetre and looks like degrees; give the resolution in {unit or 'metres'}"
        )


@dataclass(frozen=True)
class ChunkWindow:
    """One chunk of a grid: its index in the chunk grid and its row/column slices."""

    iy: int
    ix: int
    rows: slice
    cols: slice

    @property
    def shape(self) -> tuple[int, int]:
        """(height, width) of the chunk in cells."""
        return (self.rows.stop - self.rows.start, self.cols.stop - self.cols.start)


def plural_unit(unit: str) -> str:
    """A CRS axis unit's name in the plural: ``metre`` -> ``metres``, ``US survey foot`` ->
    ``US survey feet``."""
    return unit[:-4] + "feet" if unit.endswith("foot") else f"{unit}s"


def crs_units(crs: Any) -> str:
    """The unit of distances in ``crs`` (anything :meth:`pyproj.CRS.from_user_input`
    reads: ``EPSG:32619``, WKT, a rasterio CRS) in the plural, as messages state them
    (``metres``, ``degrees``, ``US survey feet``), or ``CRS units`` when there is no CRS
    or it names no unit."""
    if crs is None:
        return "CRS units"
    try:
        axes = CRS.from_user_input(crs).axis_info
    except (ProjCRSError, TypeError, ValueError):
        try:  # a rasterio CRS
            axes = CRS.from_user_input(crs.to_wkt()).axis_info
        except Exception:
            return "CRS units"
    unit = axes[0].unit_name if axes else ""
    if not unit or unit == "unknown":
        return "CRS units"
    return plural_unit(unit)


@dataclass(frozen=True)
class RegionGrid:
    """A north-up raster grid with square cells.

    Parameters
    ----------
    crs
        Working CRS, any pyproj input (kept as its ``EPSG:nnnn`` string where one exists).
    resolution
        Cell size in CRS units (metres for projected CRSs).
    bounds
        ``(left, bottom, right, top)``; snapped outwards to whole cells from ``left``/``top``.
    chunks
        ``(rows, cols)`` of one chunk.
    name
        Short identifier, e.g. ``"bonaire"``.
    """

    crs: str
    resolution: float
    bounds: tuple[float, float, float, float]
    chunks: tuple[int, int] = (512, 512)
    name: str = "region"
    _crs_obj: CRS = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        crs_obj = parse_crs(self.crs)
        epsg = crs_obj.to_epsg()
        object.__setattr__(self, "crs", f"EPSG:{epsg}" if epsg else crs_obj.to_wkt())
        object.__setattr__(self, "_crs_obj", crs_obj)
        if not (self.resolution > 0 and math.isfinite(self.resolution)):
            raise GridError(f"resolution must be a positive number, got {self.resolution!r}")
        left, bottom, right, top = (float(v) for v in self.bounds)
        if not all(math.isfinite(v) for v in (left, bottom, right, top)):
            raise GridError(f"bounds must be finite numbers, got {self.bounds!r}")
        if not (right > left and top > bottom):
            raise GridError(
                f"bounds must be (left, bottom, right, top) with right > left and top > bottom, "
                f"got {self.bounds!r}"
            )
        _check_units(crs_obj, self.crs, self.resolution)
        across, down = (round(d / self.resolution, 6) for d in (right - left, top - bottom))
        _check_cells(across, down, self.resolution)
        width, height = math.ceil(across), math.ceil(down)
        snapped = (left, top - height * self.resolution, left + width * self.resolution, top)
        object.__setattr__(self, "bounds", snapped)
        cy, cx = (int(c) for c in self.chunks)
        if cy <= 0 or cx <= 0:
            raise GridError(f"chunks must be two positive integers, got {self.chunks!r}")
        _check_chunks(cy, cx)
        object.__setattr__(self, "chunks", (cy, cx))

    # -- construction -----------------------------------------------------------------
    @classmethod
    def from_transform(
        cls,
        *,
        crs: object,
        transform: Affine,
        shape: tuple[int, int],
        chunks: tuple[int, int] = (512, 512),
        name: str = "region",
    ) -> RegionGrid:
        """Build a grid from an affine transform and a ``(height, width)`` shape.

        Only north-up grids with square cells are accepted.
        """
        if transform.b != 0 or transform.d != 0:
            raise GridError("rotated grids are not supported; warp the reference raster first")
        if not math.isclose(abs(transform.a), abs(transform.e), rel_tol=1e-9):
            raise GridError(
                f"cells must be square, got {transform.a} x {abs(transform.e)}; "
                "resample the reference raster to square cells"
            )
        if transform.e >= 0:
            raise GridError("the grid must be north-up (negative y pixel size)")
        res = float(transform.a)
        height, width = shape
        left, top = transform.c, transform.f
        crs_text = crs if isinstance(crs, str) else parse_crs(crs).to_wkt()
        return cls(
            crs=crs_text,
            resolution=res,
            bounds=(left, top - height * res, left + width * res, top),
            chunks=chunks,
            name=name,
        )

    # -- derived properties -----------------------------------------------------------
    @property
    def crs_obj(self) -> CRS:
        """The CRS as a :class:`pyproj.CRS`."""
        return self._crs_obj

    @property
    def unit(self) -> str:
        """Name of the CRS's axis unit (``metre``, ``degree``, ``US survey foot``), the unit of
        every distance in the grid's CRS (resolution, CV blocks, buffers)."""
        axes = self._crs_obj.axis_info
        return (axes[0].unit_name if axes else "") or \
            ("degree" if self._crs_obj.is_geographic else "metre")

    @property
    def units(self) -> str:
        """:attr:`unit` in the plural (``metres``, ``degrees``, ``US survey feet``), as
        messages and reports state distances."""
        return plural_unit(self.unit)

    @property
    def width(self) -> int:
        """Number of columns."""
        return round((self.bounds[2] - self.bounds[0]) / self.resolution)

    @property
    def height(self) -> int:
        """Number of rows."""
        return round((self.bounds[3] - self.bounds[1]) / self.resolution)

    @property
    def shape(self) -> tuple[int, int]:
        """``(height, width)``."""
        return (self.height, self.width)

    @property
    def transform(self) -> Affine:
        """Affine transform of the top-left cell corner."""
        return Affine(self.resolution, 0.0, self.bounds[0], 0.0, -self.resolution, self.bounds[3])

    @property
    def x(self) -> np.ndarray:
        """Cell-centre x coordinates, west to east."""
        return self.bounds[0] + (np.arange(self.width) + 0.5) * self.resolution

    @property
    def y(self) -> np.ndarray:
        """Cell-centre y coordinates, north to south."""
        return self.bounds[3] - (np.arange(self.height) + 0.5) * self.resolution

    @property
    def chunk_counts(self) -> tuple[int, int]:
        """Number of chunks along (rows, cols)."""
        return (-(-self.height // self.chunks[0]), -(-self.width // self.chunks[1]))

    @property
    def n_chunks(self) -> int:
        """Total number of chunks per 2-D variable."""
        ny, nx = self.chunk_counts
        return ny * nx

    def chunk_windows(self) -> Iterator[ChunkWindow]:
        """Yield every chunk window, row-major."""
        cy, cx = self.chunks
        ny, nx = self.chunk_counts
        for iy in range(ny):
            for ix in range(nx):
                rows = slice(iy * cy, min((iy + 1) * cy, self.height))
                cols = slice(ix * cx, min((ix + 1) * cx, self.width))
                yield ChunkWindow(iy, ix, rows, cols)

    def window_transform(self, window: ChunkWindow) -> Affine:
        """Affine transform of one chunk window."""
        return self.transform @ Affine.translation(window.cols.start, window.rows.start)

    def longitudes_about(self, lon: np.ndarray) -> np.ndarray:
        """Longitudes ``lon`` of a region in degrees, each moved by whole turns into the
        360 degrees about the region's centre (``lon`` itself for a projected region): a
        point east of 180 given as -179.95 lies at 180.05 in a region across the
        antimeridian, one on 0..360 at 354.97 at -5.03 in a region west of Greenwich.
        The one rule of the surfaces (:func:`prospect.ingest.surfaces.around_region`) and
        the labels (:func:`prospect.models.labels.read_occurrences`)."""
        lon = np.asarray(lon, dtype=np.float64)
        if not self.crs_obj.is_geographic:
            return lon
        left, _, right, _ = self.bounds
        west = (left + right) / 2 - 180.0
        return np.where((lon >= west) & (lon < west + 360.0), lon,
                        (lon - west) % 360.0 + west)

    def lonlat_bounds(self) -> tuple[float, float, float, float]:
        """Bounds in WGS 84 longitude/latitude (densified edges)."""
        tr = Transformer.from_crs(self._crs_obj, "EPSG:4326", always_xy=True)
        west, south, east, north = tr.transform_bounds(*self.bounds, densify_pts=21)
        return (float(west), float(south), float(east), float(north))

    def rowcol(self, xs: np.ndarray, ys: np.ndarray, *, closed: bool = False
               ) -> tuple[np.ndarray, np.ndarray]:
        """Row and column of the cells holding points ``(xs, ys)`` in the grid CRS.

        Points outside the grid get row/col outside ``[0, height)`` / ``[0, width)``.

        Parameters
        ----------
        xs, ys
            Coordinates in the grid CRS.
        closed
            The region holds its bounds: a point on the east or south edge (to 1e-6 of a
            cell; a well at the round coordinate the bounds were drawn on) is in the last
            column or row, as one on the west or north edge is in the first. ``False``
            (half-open cells, ``floor``) puts it one cell outside; every caller that asks
            which cell holds a point of the labels must agree with
            :func:`prospect.models.labels.snap_points`, which counts such points in.
        """
        x, y = np.asarray(xs, dtype="f8"), np.asarray(ys, dtype="f8")
        cols = np.floor((x - self.bounds[0]) / self.resolution).astype("i8")
        rows = np.floor((self.bounds[3] - y) / self.resolution).astype("i8")
        if closed:
            west, north, res = self.bounds[0], self.bounds[3], self.resolution
            tol = 1e-6 * res
            cols = cols - ((cols == self.width)
                           & (np.abs(x - (west + self.width * res)) <= tol))
            rows = rows - ((rows == self.height)
                           & (np.abs(y - (north - self.height * res)) <= tol))
        return rows, cols

    def contains(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """Boolean mask of row/col pairs that fall inside the grid."""
        return (rows >= 0) & (rows < self.height) & (cols >= 0) & (cols < self.width)

    def same_cells(self, other: RegionGrid) -> bool:
        """True when ``other`` has this grid's shape and cell edges (to 1e-6 of a cell).

        The CRS is not compared: a CRS read back from WKT may be spelled as an equivalent
        EPSG code, or not.
        """
        return other.shape == self.shape and bool(np.allclose(
            list(other.transform)[:6], list(self.transform)[:6], rtol=0,
            atol=1e-6 * self.resolution))

    def check_cube(self, cube: RegionGrid, *, path: object) -> RegionGrid:
        """This grid, after checking that the cube at ``path`` (on grid ``cube``) is on it.

        Returns ``self`` (not ``cube``): the job's grid keeps the CRS as the user named it.

        Raises
        ------
        GridError
            The cube's shape or cell edges differ from this grid's.
        """
        if not self.same_cells(cube):
            raise GridError(
                f"{path}: the cube is on grid {cube.describe()}, not on the job's grid "
                f"{self.describe()}; re-run 'prospect ingest' with this config or use "
                "another --out"
            )
        return self

    def describe(self) -> dict[str, object]:
        """A JSON-friendly summary (used in manifests, model cards and STAC items)."""
        return {
            "name": self.name,
            "crs": self.crs,
            "resolution": self.resolution,
            "bounds": list(self.bounds),
            "shape": list(self.shape),
            "chunks": list(self.chunks),
            "transform": list(self.transform)[:6],
        }
