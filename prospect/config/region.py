"""Region configs: a named grid (CRS, resolution, bounds, chunk shape) with its checks."""

from __future__ import annotations

import math
import re
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    Field,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_validator,
)
from pyproj import CRS, Transformer
from pyproj.exceptions import ProjError

from prospect.config._base import StrictModel
from prospect.errors import CRSError, GridError
from prospect.grid import RegionGrid, datum_guessed, parse_crs

__all__ = [
    "EXTENT_ORDER_RATIO",
    "MAX_CHUNKS",
    "METRES_PER_LENGTH",
    "RegionConfig",
    "bounds_in_other_units",
    "bounds_written_in",
    "check_chunk_count",
    "check_grid_crs",
    "crs_short",
    "extent_order",
    "files_in_extent_order",
    "kilometres_into_area_of_use",
    "latitude_first_fix",
    "latitude_first_points",
    "northing_sign_lost",
    "resolution_text",
    "resolution_with_unit",
    "snapped_bounds_note",
    "snapped_off_the_earth",
    "unstated_area_reach",
    "utm_epsg",
    "utm_zone_overflow",
]

PositiveInt = Annotated[int, Field(gt=0)]
CHUNK_SIDE_MIN = 16
"""Fewest cells a side of a configured chunk: each chunk is a task and a file per variable,
so a chunk of a few cells spends its time in the scheduler (``chunks: [1, 1]`` on a
200 x 200 grid: 40 000 tasks per variable, and a stop signal waited minutes for the
scheduler to cancel them)."""


CHUNK_SIDE_MAX = 2**28 // CHUNK_SIDE_MIN
"""Most cells a side of a configured chunk: past it no chunk fits the grid's cells per
chunk (:data:`prospect.grid.CHUNK_CELLS_MAX`) whatever its other side. Checked here, at
its key: a side of hundreds of digits (a number pasted twice, a unit's exponent typed
out) reached the grid's check, whose message could not write the product as a float
("internal error: OverflowError: int too large to convert to float", exit 70)."""


def _chunk_side(value: int) -> int:
    if value > CHUNK_SIDE_MAX:
        shown = f"of {value:,} cells" if value < 10**30 else \
            f"written with {len(str(value))} digits"
        raise ValueError(
            f"a chunk side {shown} is more than any task holds in memory (at most "
            f"{CHUNK_SIDE_MAX:,} cells a side, {2**28:,} cells a chunk); use chunks such as "
            "[512, 512] (256 to 2048 is usual)")
    if value < CHUNK_SIDE_MIN:
        raise ValueError(
            f"a chunk side of {value} cell(s) makes a task and a file per variable for every "
            f"few cells, and the scheduler's overhead outweighs the work; use at least "
            f"{CHUNK_SIDE_MIN} (256 to 2048 is usual)")
    return value


MAX_CHUNKS = 20_000
"""Most chunks per variable a grid may have: each is a task per variable and stage (and a
file), and past some tens of thousands the scheduler, not the work, sets the pace
(``netherlands`` at 10 m with ``chunks: [128, 128]``: 59 690 chunks, and ``prospect plan``
alone took 100 s building the graphs)."""


def check_chunk_count(grid: RegionGrid) -> None:
    """Refuse a grid of more than :data:`MAX_CHUNKS` chunks, naming chunks that would do.

    Raises
    ------
    GridError
        With the grid's shape, its chunk count and the smallest square chunk side (a
        multiple of 256) that keeps the count under the limit.
    """
    if grid.n_chunks <= MAX_CHUNKS:
        return
    height, width = grid.shape
    side = 256 * math.ceil(math.sqrt(height * width / MAX_CHUNKS) / 256)
    while math.ceil(height / side) * math.ceil(width / side) > MAX_CHUNKS:
        side += 256
    raise GridError(
        f"chunks {list(grid.chunks)} cut the {height} x {width} grid into {grid.n_chunks:,} "
        f"chunks, over the limit of {MAX_CHUNKS:,} (each is a task per variable and stage); "
        f"use larger chunks, e.g. [{side}, {side}], or a coarser resolution")


ChunkSide = Annotated[PositiveInt, AfterValidator(_chunk_side)]
"""One side of a configured chunk: a positive number of cells, at least
:data:`CHUNK_SIDE_MIN`."""
Coordinate = Annotated[float, Field(allow_inf_nan=False)]
Bounds = tuple[Coordinate, Coordinate, Coordinate, Coordinate]
"""``[left, bottom, right, top]``: finite numbers."""


def utm_epsg(longitude: float, latitude: float) -> int:
    """The EPSG code of the WGS 84 UTM zone of a point (a longitude in any turn: 190 is
    -170)."""
    zone = int(((longitude + 180) % 360) // 6) + 1
    return (32600 if latitude >= 0 else 32700) + zone


def _across_antimeridian(crs: str | None, bounds: tuple[float, float, float, float]) -> str:
    """Why bounds with ``left > right`` in a geographic CRS are no mistake of order: they
    cross the antimeridian (Fiji, Tuvalu, the Aleutians), which a grid in longitudes
    cannot; ``""`` for any other bounds."""
    left, bottom, right, top = bounds
    if crs is None or not (0 < left <= 180 and -180 <= right < 0 and top > bottom):
        return ""
    try:
        if not parse_crs(crs).is_geographic:
            return ""
    except CRSError:
        return ""
    code = utm_epsg((left + right + 360) / 2, (bottom + top) / 2)
    return (f"; west {left:g} and east {right:g} cross the antimeridian (180 degrees), which "
            f"a grid in longitudes cannot: lay the region out in a projected CRS of the area, "
            f"such as its UTM zone EPSG:{code}, with bounds in its metres")


def _bounds_order_hint(bounds: tuple[float, float, float, float]) -> str:
    """Which pair of ``bounds`` is out of order or equal, and the bounds to write.

    "bounds must be [left, bottom, right, top] with right > left, top > bottom" named
    neither the pair nor the fix: left and right given the other way round, a north-up
    copy (top first), and a region of no width or height (a point or a line) read alike.
    """
    left, bottom, right, top = bounds
    problems = []
    for low, high, axis, size in ((left, right, "left and right", "width"),
                                  (bottom, top, "bottom and top", "height")):
        if high == low:
            problems.append(f"{axis} are both {low:.12g}: the region has no {size}")
        elif high < low:
            problems.append(f"{axis} are the other way round ({low:.12g} > {high:.12g})")
    if not problems:
        return ""
    fixed = [min(left, right), min(bottom, top), max(left, right), max(bottom, top)]
    if fixed[0] == fixed[2] or fixed[1] == fixed[3]:
        return f"; {'; '.join(problems)}: give the region's extent"
    return f"; {'; '.join(problems)}: write [{', '.join(f'{v:.12g}' for v in fixed)}]"


def _past_antimeridian(crs: str | None, bounds: tuple[float, float, float, float]) -> str:
    """Why bounds in a geographic CRS with a longitude past +-180 cannot make a grid; ``""``
    for any other bounds.

    ``[179.5, -17, 180.5, -16]`` (an east of 180.5, as a 0-360 longitude or a region
    drawn across the antimeridian) loaded, and its cells past 180 held what each reader
    made of them: GDAL's warper wraps a raster at -179.6 onto them, while point tables
    and vector outlines keep -179.6, off the grid. The rule is the one for bounds that
    cross the antimeridian: a projected CRS; bounds wholly past 180 are given in
    -180..180.
    """
    left, bottom, right, top = bounds
    if crs is None or (left >= -180 and right <= 180):
        return ""
    if not (abs(left) <= 360 and abs(right) <= 360 and abs(bottom) <= 90 and abs(top) <= 90):
        return ""  # no longitudes at all (metres of another CRS): said by the unit check
    try:
        geo = parse_crs(crs)
        if not geo.is_geographic:
            return ""
    except CRSError:
        return ""
    past = [f"{name} {v:g}" for name, v in (("west", left), ("east", right))
            if not -180 <= v <= 180]
    code = utm_epsg((left + right) / 2, (bottom + top) / 2)
    crosses = left < 180 < right or left < -180 < right
    wrapped = [f"{((v + 180) % 360) - 180:g}" for v in (left, right)]
    how = (f"the region crosses the antimeridian (180 degrees), which a grid in longitudes "
           f"cannot: lay it out in a projected CRS of the area, such as its UTM zone "
           f"EPSG:{code}, with bounds in its metres") if crosses else \
        f"give them in -180..180 ([{wrapped[0]}, {bottom:g}, {wrapped[1]}, {top:g}])"
    verb = "lie" if len(past) > 1 else "lies"
    return (f"bounds {list(bounds)}: {' and '.join(past)} {verb} past 180 degrees, where "
            f"longitudes in {crs} end (GDAL wraps a raster at -179.6 onto such cells, a "
            f"point or outline at -179.6 stays off them); {how}")


def _cylinder_edges(crs: CRS) -> tuple[float, float, float] | None:
    """``(x at 180 degrees west, x at 180 degrees east, central meridian)`` of a cylindrical
    world projection (Mercator, Web Mercator, equidistant or equal-area cylindrical),
    whose x is the longitude scaled, whatever the latitude; ``None`` for any other CRS."""
    op = crs.coordinate_operation if crs.is_projected else None
    if op is None:
        return None
    method = op.method_name
    if not (("Mercator" in method or "Cylindrical" in method)
            and not any(w in method for w in ("Transverse", "Oblique", "Gauss"))):
        return None
    meridian = next((float(p.value) for p in op.params
                     if p.name == "Longitude of natural origin"), 0.0)
    try:
        forward = Transformer.from_crs(crs.geodetic_crs, crs, always_xy=True)
        west = float(forward.transform(meridian - 180.0 + 1e-9, 0.0, errcheck=True)[0])
        east = float(forward.transform(meridian + 180.0 - 1e-9, 0.0, errcheck=True)[0])
    except ProjError:
        return None
    if not (math.isfinite(west) and math.isfinite(east) and west < east):
        return None
    return west, east, meridian


def _past_antimeridian_projected(crs: str | None, bounds: tuple[float, float, float, float],
                                 resolution: float) -> str:
    """Why bounds in a cylindrical world projection with an x past 180 degrees (more than
    half a cell beyond where its x ends) cannot make a grid; ``""`` for any other bounds.

    ``[19900000, 0, 20100000, 100000]`` in EPSG:3857 (a region drawn across the
    antimeridian, whose x runs on past 20037508.34 where the projection wraps to
    -20037508.34) was refused as "written with x and y swapped", since a strip at 85 N
    read the other way round fits the projection: the fix it gave put the region near
    the pole. The rule is the one for longitudes past 180 (:func:`_past_antimeridian`).
    """
    left, bottom, right, top = bounds
    if not crs:
        return ""
    try:
        own = parse_crs(crs)
    except CRSError:
        return ""
    edges = _cylinder_edges(own)
    if edges is None:
        return ""
    west, east, meridian = edges
    slack = max(resolution, 0.0) / 2
    past = [f"{name} {v:.12g}" for name, v in (("left", left), ("right", right))
            if v > east + slack or v < west - slack]
    if not past:
        return ""
    width = east - west
    wrapped = [v - width if v > east else v + width if v < west else v for v in (left, right)]
    crosses = wrapped[0] > wrapped[1] or left < east < right or left < west < right
    try:
        inverse = Transformer.from_crs(own, own.geodetic_crs, always_xy=True)
        _, lat = inverse.transform(min(max(wrapped[0], west), east), (bottom + top) / 2)
    except ProjError:
        lat = 0.0
    lon_left = meridian + 180.0 * (2 * (left - west) / width - 1)
    lon_right = meridian + 180.0 * (2 * (right - west) / width - 1)
    code = utm_epsg((lon_left + lon_right) / 2, float(lat) if math.isfinite(lat) else 0.0)
    edge = (meridian + 360.0) % 360.0 - 180.0 or 180.0  # the meridian x ends at
    where = "180 degrees" if edge in (180.0, -180.0) else \
        f"the meridian {edge:g} (opposite {crs}'s central meridian {meridian:g})"
    how = (f"the region crosses {where}, where {crs} wraps: lay it out in a projected CRS "
           f"of the area, such as its UTM zone EPSG:{code}, with bounds in its metres"
           ) if crosses else \
        f"give them within its x range ([{wrapped[0]:.12g}, {bottom:.12g}, " \
        f"{wrapped[1]:.12g}, {top:.12g}])"
    verb = "lie" if len(past) > 1 else "lies"
    return (f"bounds {list(bounds)}: {' and '.join(past)} {verb} past {where}, where x in "
            f"{crs} ends ({west:.12g} .. {east:.12g}; GDAL wraps a raster from across that "
            f"meridian onto such cells, a point or outline there stays off them); {how}")


_UNIT_SHORT = {"metre": "m", "meter": "m", "degree": "degrees", "foot": "ft",
               "US survey foot": "US ft", "kilometre": "km"}


def resolution_text(crs: str, resolution: float) -> str:
    """A grid's cell size with the unit of ``crs`` (``10 m``, ``0.001 degrees``, ``30 ft``).

    Listings and plans printed every resolution in metres: ``EPSG:4326, 0.001 m`` for a
    grid of 0.001-degree (about 110 m) cells.
    """
    try:
        axis = parse_crs(crs).axis_info
        unit = axis[0].unit_name if axis else "metre"
    except CRSError:
        unit = "metre"
    return f"{resolution:g} {_UNIT_SHORT.get(unit, unit)}"


_WRITTEN_LENGTH = re.compile(
    r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*([a-z\u00b0][a-z\u00b0 -]*?)\.?\s*$",
    re.IGNORECASE)
METRES_PER_LENGTH = {"m": 1.0, "metre": 1.0, "metres": 1.0, "meter": 1.0, "meters": 1.0,
            "km": 1000.0, "kilometre": 1000.0, "kilometres": 1000.0, "kilometer": 1000.0,
            "kilometers": 1000.0, "cm": 0.01, "mm": 0.001, "ft": 0.3048, "foot": 0.3048,
            "feet": 0.3048, "us ft": 1200 / 3937, "ftus": 1200 / 3937, "us-ft": 1200 / 3937,
            "us survey foot": 1200 / 3937, "us survey feet": 1200 / 3937}
"""Metres in one of each unit a length is written in (a region's resolution, a well
log's depths); "ft" is the CRS's own foot where the CRS is in feet (international or US
survey), else the international foot."""
_FOOT_WORDS = ("ft", "foot", "feet")
_DEGREE_WORDS = ("deg", "degree", "degrees", "\u00b0")
_METRES_PER_DEGREE = 111_320.0
"""Metres in a degree of latitude (and of longitude at the equator), for a hint only."""


def resolution_with_unit(value: object, crs: object) -> str:
    """Why a resolution written with its unit (``"10 m"``, ``"30ft"``) is refused, with the
    number to write in the unit of ``crs``; ``""`` for any other value.

    A region's resolution is a number in its CRS's unit. The refusal said "write 10
    alone" for ``"10 ft"`` in RD New (10 m cells, 3.3 times the length meant), for
    ``"0.01 km"`` (0.01 m cells) and for ``"30 m"`` in a CRS in US survey feet (cells of
    30 ft, 9.1 m): the fix it gave made another grid than the one written.

    Parameters
    ----------
    value
        The ``resolution`` as written.
    crs
        The region's CRS, as written (unknown or ``None``: ``""``, for the generic hint).
    """
    if not isinstance(value, str) or not isinstance(crs, str):
        return ""
    match = _WRITTEN_LENGTH.match(value)
    if match is None:
        return ""
    number, word = float(match.group(1)), " ".join(match.group(2).lower().split())
    if word not in METRES_PER_LENGTH and word not in _DEGREE_WORDS:
        return ""
    try:
        axis = parse_crs(crs).axis_info
    except CRSError:
        return ""
    if not axis:
        return ""
    unit, factor = axis[0].unit_name, axis[0].unit_conversion_factor
    units = unit[:-4] + "feet" if unit.endswith("foot") else f"{unit}s"
    angular = axis[0].unit_code in ("9102", "9122") or unit.startswith(("degree", "arc"))
    lead = ("the unit is no part of the value (a region's resolution is a number in its "
            f"CRS's unit, {unit} for {crs})")
    if word in _DEGREE_WORDS:
        if angular:
            return f"{lead}: write {number:.12g} alone"
        return (f"{lead}, not degrees: write the cell's side in {units} (a degree of "
                f"latitude is about {_METRES_PER_DEGREE / factor:,.0f} {units})")
    if angular:
        return (f"{lead}: a grid in degrees has no cells of {number:g} {word}; write the "
                f"resolution in degrees ({number:g} {word} is about "
                f"{number * METRES_PER_LENGTH[word] / _METRES_PER_DEGREE:.3g} degrees of "
                "latitude), "
                "or lay the region out in a projected CRS in metres, such as its UTM zone")
    metres = (METRES_PER_LENGTH[word] if not (word in _FOOT_WORDS and "foot" in unit.lower())
              else factor)
    own = number * metres / factor
    said = " alone" if math.isclose(own, number, rel_tol=1e-12) else \
        f" ({value.strip()} in {units})"
    return f"{lead}: write {own:.10g}{said}"


def snapped_bounds_note(asked: tuple[float, float, float, float] | None,
                        grid: RegionGrid) -> str:
    """What the grid's bounds are when the ``asked`` ones are no whole number of cells
    (``""`` when they are): the grid keeps the top-left corner and takes whole cells, so
    its east and south edges move out."""
    if asked is None:
        return ""
    res = grid.resolution
    moved = [abs(a - g) for a, g in zip(asked, grid.bounds, strict=True)]
    if max(moved) <= 1e-6 * res:
        return ""
    across = (asked[2] - asked[0]) / res
    down = (asked[3] - asked[1]) / res
    return (f"region bounds {list(asked)} are not a whole number of "
            f"{resolution_text(grid.crs, res)} cells ({across:.4g} x {down:.4g}): the grid is "
            f"{grid.width} x {grid.height} cells with bounds {[round(b, 9) for b in grid.bounds]}"
            f" (east edge {moved[2]:g} and south edge {moved[1]:g} further out); give bounds "
            "a whole number of cells apart to have the grid end where they do")


def snapped_off_the_earth(asked: tuple[float, float, float, float],
                          grid: RegionGrid) -> str:
    """Why a grid in longitudes and latitudes whose ``asked`` bounds lie on the Earth
    cannot be made, once snapped outward to whole cells; ``""`` when it can.

    The grid keeps the top-left corner and takes whole cells, so its east and south
    edges move out (:func:`snapped_bounds_note`). Bounds up to 180 or -90 that are no
    whole number of cells (``[179.5, 10, 180, 11]`` at 0.3 degrees) made a grid east to
    180.1 or south to -90.2 without a word: GDAL's warper wraps a raster at -179.9 onto
    the cells past 180 (the other side of the Earth), point tables and outlines stay
    off them, and cells south of the pole are no place at all.
    """
    left, bottom, right, top = grid.bounds
    res, tiny = grid.resolution, 1e-6 * grid.resolution
    if max(abs(a - g) for a, g in zip(asked, grid.bounds, strict=True)) <= tiny:
        return ""
    try:
        geographic = parse_crs(grid.crs).is_geographic
    except CRSError:
        return ""
    if not geographic:  # a projected CRS that ends at 180 (Web Mercator's x of 20037508)
        lost = _not_mapped_back(grid.crs, grid.bounds, res / 2)
        return (f"bounds {list(asked)} are no whole number of "
                f"{resolution_text(grid.crs, res)} cells, and the grid, which keeps the "
                f"top-left corner and takes whole cells, would reach {list(grid.bounds)}, "
                f"past where {grid.crs} maps the Earth: {lost}; give bounds a whole number "
                "of cells apart, or a resolution that divides them") if lost else ""
    past = []
    if right > 180 + tiny and asked[2] <= 180 + tiny:
        east = left + math.floor((180 - left) / res + 1e-9) * res
        past.append((f"east edge to {right:.10g}, past 180 degrees (GDAL wraps a raster at "
                     f"{right - 360:.10g} onto the cells there, a point or outline there "
                     "stays off them)", f"east {east:.10g}"))
    if bottom < -90 - tiny and asked[1] >= -90 - tiny:
        south = top - math.floor((top + 90) / res + 1e-9) * res
        past.append((f"south edge to {bottom:.10g}, past the South Pole (-90), where no "
                     "place is", f"south {south:.10g}"))
    if not past:
        return ""
    return (f"bounds {list(asked)} are no whole number of {resolution_text(grid.crs, res)} "
            f"cells, and the grid, which keeps the top-left corner and takes whole cells, "
            f"would move its {' and its '.join(what for what, _ in past)}; give bounds a "
            f"whole number of cells apart that end on the Earth "
            f"({' and '.join(fix for _, fix in past)}), or a resolution that divides them")


def check_grid_crs(value: str) -> str:
    """``value`` if a region's grid can be laid out in it, else ``ValueError`` saying why.

    A grid needs a 2-D horizontal CRS of the Earth: projected (metres, feet) or
    geographic (degrees). Refused, each with what to give instead: an unknown CRS; a
    geocentric, vertical or 3-D CRS (no rows and columns on a map); a compound CRS (its
    horizontal part is named); a local engineering CRS (a mine grid: no link to the earth,
    so no data could be put on it; it stopped ``prospect plan`` with ``internal error:
    ProjError``); and CRSs of other bodies (the Moon's ``IAU_2015:30100``).
    """
    try:
        crs = parse_crs(value)
    except CRSError as exc:
        raise ValueError(str(exc)) from None
    # a WKT or PROJJSON value is in the key's own "bad value '...'" already, cut short:
    # said again whole, it made the line a page
    said = repr(value) if len(value) <= 100 and not any(c in value for c in "[{\n") else \
        "(the definition given)"
    if crs.is_compound:
        horizontal = next((c for c in crs.sub_crs_list if c.is_projected or c.is_geographic),
                          None)
        code = horizontal.to_epsg() if horizontal is not None else None
        use = (f"EPSG:{code}" if code else repr(horizontal.name)) if horizontal is not None \
            else "its horizontal CRS"
        raise ValueError(f"CRS {said} is a compound CRS ({crs.name}): a grid needs a 2-D "
                         f"horizontal CRS; use {use}")
    if crs.is_engineering:
        raise ValueError(
            f"CRS {said} is a local engineering CRS ({crs.name}), with no link to the "
            "earth: no data could be put on its grid; give the region in a CRS with a datum "
            "(e.g. the UTM zone's EPSG code)")
    if not (crs.is_projected or crs.is_geographic) or len(crs.axis_info) != 2:
        raise ValueError(
            f"CRS {said} is a {crs.type_name}, not a 2-D horizontal CRS a grid can be laid "
            "out in (geocentric, vertical and 3-D CRSs are not); give a projected CRS such "
            "as 'EPSG:32619' or a geographic one such as 'EPSG:4326'")
    try:
        Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    except ProjError:
        raise ValueError(
            f"CRS {said} ({crs.name}) has no transformation to WGS 84: it is not a CRS of "
            "the Earth; give one such as 'EPSG:32619'") from None
    guessed = datum_guessed(crs, CRS.from_epsg(4326))
    if guessed:  # sources with a datum would be put on it by a shift PROJ guesses
        why = guessed.split(", so PROJ")[0].replace("its CRS has", "it has", 1)
        raise ValueError(
            f"CRS {said}: {why}, so PROJ can only guess the datum shift of every source "
            "with a datum onto the grid (a 'ballpark' shift of nothing, 100 m or more off); "
            "a region's grid needs a CRS with a datum: give its EPSG code")
    return value


def utm_zone_overflow(
    crs: str, bounds: tuple[float, float, float, float], *, tolerance_deg: float = 0.0
) -> float:
    """Degrees of longitude by which ``bounds`` extend past their UTM zone (0 when inside).

    Returns 0 for CRSs that are not UTM. A region that spills over its zone by more than
    ``tolerance_deg`` (default: any overflow) needs an explicit ``cross_zone: true`` in its config.
    """
    crs_obj = parse_crs(crs)
    zone = crs_obj.utm_zone
    if not zone:
        return 0.0
    number = int(zone[:-1])
    west_edge = -180.0 + 6.0 * (number - 1)
    east_edge = west_edge + 6.0
    to_ll = Transformer.from_crs(crs_obj, "EPSG:4326", always_xy=True)
    west, _, east, _ = to_ll.transform_bounds(*bounds, densify_pts=21)
    overflow = max(west_edge - west, east - east_edge, 0.0)
    return float(overflow) if overflow > tolerance_deg else 0.0


def bounds_in_other_units(crs: str, bounds: tuple[float, float, float, float],
                          resolution: float) -> str:
    """Why ``bounds`` look written in another CRS's units than ``crs``'s; ``""`` if not.

    Degrees given to a projected CRS (``[3.3, 50.7, 7.3, 53.6]`` to RD New) were "resolution
    1000 is larger than the bounds" or "extends 1.49 degrees past the UTM zone"; metres
    given to a geographic CRS (RD New's ``[163500, 430590, ...]`` to EPSG:4326) were "the
    grid has 4.23e+15 cells". Neither said what was wrong. Degrees are recognised only where
    they leave less than one cell of ``resolution`` along a side (a grid no one means), so
    a small region near a projected CRS's false origin is untouched; metres where a value
    passes 1000 (a latitude of 95 is left to the "outside the Earth" check).
    """
    crs_obj = parse_crs(crs)
    left, bottom, right, top = bounds
    if crs_obj.is_geographic:
        if all(abs(v) <= 1000 for v in bounds):  # latitude 95: "outside the Earth"
            return ""
        return (f"bounds {list(bounds)} are no longitudes and latitudes, but {crs} is in "
                "degrees: bounds in metres of another CRS? give them in degrees "
                "[west, south, east, north], or set 'crs' to the CRS they were written for")
    degree_like = all(abs(v) <= 180 for v in (left, right)) and \
        all(abs(v) <= 90 for v in (bottom, top))
    unit = crs_obj.axis_info[0].unit_name if crs_obj.axis_info else "metre"
    lonlat = (bottom, left, top, right)  # [south, west, north, east]: latitude first
    if not (degree_like and _degrees_not_metres(crs_obj, bounds)) and \
            all(abs(v) <= 90 for v in (left, right)) and \
            all(abs(v) <= 180 for v in (bottom, top)) and \
            _degrees_not_metres(crs_obj, bounds, lonlat=lonlat):
        shown = ", ".join(f"{v:g}" for v in lonlat)
        return (f"bounds {list(bounds)} look like latitudes and longitudes in degrees, "
                f"written latitude first, but {crs} is in {unit}s (as degrees [west, "
                f"south, east, north], [{shown}], they lie in the area {crs} is made for, "
                f"as {unit}s far from it); give them in {crs}'s own units (and the "
                f"resolution in {unit}s), or set 'crs' to a geographic CRS such as "
                f"'EPSG:4326' and write the bounds [{shown}]")
    if degree_like and (right - left < resolution or top - bottom < resolution
                        or _degrees_not_metres(crs_obj, bounds)):
        span = f"they span {right - left:g} x {top - bottom:g} {unit}s"
        why = f"{span}, under one cell of {resolution:g}" if \
            (right - left < resolution or top - bottom < resolution) else \
            f"as degrees they lie in the area {crs} is made for, as {unit}s far from it"
        return (f"bounds {list(bounds)} look like longitudes and latitudes in degrees, but "
                f"{crs} is in {unit}s ({why}); give them in {crs}'s own units (and the "
                f"resolution in {unit}s), or set 'crs' to a geographic CRS such as "
                "'EPSG:4326'")
    return ""


def crs_short(written: str) -> str:
    """A CRS as one short line that ``region.crs`` (or a source's ``crs:``) takes: its EPSG
    code (or another authority's); else the text as written when it is one short line
    (not WKT or PROJJSON); else its PROJ string.

    A file in a CRS of no EPSG code (a custom transverse Mercator, a survey's own grid)
    was named by its whole WKT, a page of text in a one-line message, and the fix said
    "set region.crs to '<that page>'".

    Parameters
    ----------
    written : str
        The CRS as a file or a config gives it (EPSG code, WKT, PROJ string).

    Returns
    -------
    str
        ``EPSG:32619``, the text as written, or ``+proj=tmerc ... +units=m``.
    """
    try:
        crs = CRS.from_user_input(written)
    except ProjError:
        return written if "\n" not in written and len(written) <= 100 else "(an unknown CRS)"
    code = crs.to_epsg()
    if code:
        return f"EPSG:{code}"
    found = crs.to_authority(min_confidence=90)  # OGC:CRS84, ESRI:102001
    if found:
        return ":".join(found)
    if "\n" not in written and len(written) <= 100 and not any(c in written for c in "[{"):
        return written
    from rasterio.crs import CRS as GdalCRS  # GDAL's PROJ export, without pyproj's warning
    from rasterio.errors import CRSError as GdalCRSError

    try:
        proj = GdalCRS.from_wkt(crs.to_wkt()).to_proj4()
    except GdalCRSError:
        return repr(crs.name)
    return " ".join(part for part in proj.split() if not part.startswith("+no_defs"))


def _crs_title(crs: CRS) -> str:
    """`` (its name)`` for a message, or ``""`` where PROJ knows it by no name."""
    return "" if not crs.name or crs.name.lower() == "unknown" else f" ({crs.name})"


def bounds_written_in(grid: RegionGrid,
                      extents: list[tuple[str, tuple[float, float, float, float]]]) -> str:
    """Which files' CRS the region's bounds were written in, when no file lies in the
    region but the bounds, read as that CRS's coordinates, cover files written in it.

    Saba's UTM 20N metres given to a UTM 19N region (a Bonaire config copied, its
    bounds changed, its CRS kept) lie in zone 19 and on the Earth, so the region loads:
    in the sea 600 km west, where ingest found no file ("none of its files overlap").

    Parameters
    ----------
    grid
        The job's grid.
    extents
        ``(CRS, bounds)`` of each file a source reads, in that file's own CRS.

    Returns
    -------
    str
        What was meant and the fix (``set region.crs: 'EPSG:32620'``); ``""`` when the
        bounds cover no file that way, or the files share the region's CRS.
    """
    try:
        own = CRS.from_user_input(grid.crs)
    except ProjError:
        return ""
    left, bottom, right, top = grid.bounds
    area = (right - left) * (top - bottom)
    if area <= 0:
        return ""
    for crs_text, (x0, y0, x1, y1) in extents:
        try:
            other = CRS.from_user_input(crs_text)
        except ProjError:
            continue
        if other == own or other.is_geographic != own.is_geographic:
            continue
        wide = max(0.0, min(right, x1) - max(left, x0))
        high = max(0.0, min(top, y1) - max(bottom, y0))
        if wide * high < 0.5 * min(area, (x1 - x0) * (y1 - y0)):
            continue
        name, region_crs = crs_short(crs_text), crs_short(grid.crs)
        said = name if len(name) <= 40 else "(no EPSG code)"  # its PROJ string said once
        return (f"the region's bounds, read in the files' own CRS {said}"
                f"{_crs_title(other)} instead of the region's {region_crs}"
                f"{_crs_title(own)}, cover them: they seem written in the files' "
                f"coordinates; set region.crs to '{name}', or give the bounds in the "
                f"region's CRS")
    return _axes_swapped(own, grid.bounds, extents) or northing_sign_lost(grid, extents)


def _extents_in(own: CRS, extents: list[tuple[str, tuple[float, float, float, float]]]
                ) -> list[tuple[float, float, float, float]]:
    """Each file's extent (its CRS as written, its bounds) in ``own``'s coordinates
    (densified, so a UTM box's curved edges are held); one PROJ cannot transform is left
    out."""
    boxes: list[tuple[float, float, float, float]] = []
    for crs_text, extent in extents:
        try:
            other = CRS.from_user_input(crs_text)
            x0, y0, x1, y1 = extent if other == own else Transformer.from_crs(
                other, own, always_xy=True).transform_bounds(*extent, densify_pts=21,
                                                             errcheck=True)
        except ProjError:
            continue
        boxes.append((x0, y0, x1, y1))
    return boxes


def northing_sign_lost(grid: RegionGrid,
                       extents: list[tuple[str, tuple[float, float, float, float]]], *,
                       what: str = "the files") -> str:
    """The fix when a region in a UTM north zone lies south of the equator (negative
    northings, as USGS grids southern scenes) and covers no file, but its northings
    without their sign cover the files; ``""`` if not.

    Bonaire's ``1 370 000`` written ``-1 370 000`` is a grid at 12.4 S, in southern Peru
    (a north zone reaches the south as its projection does), where ingest said only that
    no file overlaps the region (or, of a point table, to check its coordinate columns).

    Parameters
    ----------
    grid
        The job's grid.
    extents
        ``(CRS, bounds)`` of each file a source reads (or of its points), in that CRS.
    what
        What the extents are, for the message.

    Returns
    -------
    str
        The bounds to write, or ``""``.
    """
    try:
        own = CRS.from_user_input(grid.crs)
    except ProjError:
        return ""
    bounds = grid.bounds
    left, bottom, right, top = bounds
    zone = own.utm_zone
    if not zone or not zone.upper().endswith("N") or top > 0 or right <= left:
        return ""
    north = (left, -top, right, -bottom)
    area = (right - left) * (top - bottom)
    for x0, y0, x1, y1 in _extents_in(own, extents):
        if x1 < north[0] or x0 > north[2] or y1 < north[1] or y0 > north[3]:
            continue  # (the test below passes a point's empty box anywhere)
        wide = max(0.0, min(north[2], x1) - max(north[0], x0))
        high = max(0.0, min(north[3], y1) - max(north[1], y0))
        if wide * high < 0.5 * min(area, (x1 - x0) * (y1 - y0)):
            continue
        given = ", ".join(f"{v:.12g}" for v in bounds)
        meant = ", ".join(f"{v:.12g}" for v in north)
        return (f"the region's northings are negative ([{given}]: south of the equator in "
                f"the north zone of {own.name}), and the same northings without their "
                f"minus sign cover {what}: if the sign is a slip, write region.bounds "
                f"as [{meant}]")
    return ""


def _axes_swapped(own: CRS, bounds: tuple[float, float, float, float],
                  extents: list[tuple[str, tuple[float, float, float, float]]]) -> str:
    """The fix when ``bounds`` cover no file but, their two axes swapped, cover the files
    (in ``own``'s coordinates), ``""`` if not.

    EPSG:4326's axis order is latitude, longitude, and GIS tools, web maps and papers write
    both: Bonaire as ``[12.0, -68.4, 12.3, -68.2]`` (south, west, north, east) is a valid
    place in Antarctica, so the region loads and ingest said only that no file overlaps.
    """
    left, bottom, right, top = bounds
    if own.is_geographic and not (all(abs(v) <= 90 for v in (left, right))
                                  and all(abs(v) <= 180 for v in (bottom, top))):
        return ""
    area = (right - left) * (top - bottom)
    if area <= 0:
        return ""
    for x0, y0, x1, y1 in _extents_in(own, extents):
        wide = max(0.0, min(top, x1) - max(bottom, x0))
        high = max(0.0, min(right, y1) - max(left, y0))
        if wide * high < 0.5 * min(area, (x1 - x0) * (y1 - y0)):
            continue
        swapped = [bottom, left, top, right]
        first, second = ("latitude", "longitude") if own.is_geographic else \
            (own.axis_info[1].abbrev if len(own.axis_info) > 1 else "y",
             own.axis_info[0].abbrev if own.axis_info else "x")
        order = "west, south, east, north" if own.is_geographic else \
            "left, bottom, right, top"
        return (f"the region's bounds {[left, bottom, right, top]}, read with their two axes "
                f"swapped ({first} before {second}), cover the files: write them "
                f"[{order}] as {swapped}")
    return ""


def latitude_first_fix(grid: RegionGrid,
                       extent: tuple[float, float, float, float]) -> str:
    """The region's own fix, ``"if the region's bounds are the ones written latitude
    first ..., write region.bounds ... as [...]; if the file's are: "``, to put before a
    file's fix where a file of longitudes and latitudes lies in ``grid`` (a region in a
    geographic CRS) only with its axes swapped; ``""`` where the region is projected or its
    bounds swapped do not cover ``extent`` (the file's, as read, in the grid's CRS).

    In longitude and latitude the two readings are one: a file written ``lat, lon`` lies
    in a region as given exactly when the file as written lies in the region's bounds
    swapped. A region written ``[south, west, north, east]`` (Bonaire as ``[12.0, -68.45,
    12.35, -68.15]``, read as Antarctica), with a GeoJSON or well table in longitude,
    latitude order, was told only to rewrite the file (``ogr2ogr ... axisswap``, or
    ``x: 'lat'`` and ``y: 'lon'``): done, the file was read onto the wrong ground, and the
    job ran on it.
    """
    bounds = _read_latitude_first(grid)
    if bounds is None:
        return ""
    left, bottom, right, top = bounds
    x0, y0, x1, y1 = extent
    if x1 < bottom or x0 > top or y1 < left or y0 > right:
        return ""
    swapped = ", ".join(f"{v:.12g}" for v in (bottom, left, top, right))
    given = ", ".join(f"{v:.12g}" for v in grid.bounds)
    return (f"if the region's bounds are the ones written latitude first ([{given}] as "
            "[south, west, north, east]), write region.bounds [west, south, east, north] "
            f"as [{swapped}]; if the file's are: ")


def _read_latitude_first(grid: RegionGrid) -> tuple[float, float, float, float] | None:
    """``grid``'s bounds where they could be written latitude first: its CRS geographic
    and its west and east within 90 degrees (a longitude past 90 is no latitude);
    ``None`` otherwise."""
    try:
        geographic = grid.crs_obj.is_geographic
    except (CRSError, ProjError):
        return None
    left, bottom, right, top = grid.bounds
    if not geographic or max(abs(left), abs(right)) > 90:
        return None
    return left, bottom, right, top


def latitude_first_points(grid: RegionGrid, xs: Any, ys: Any) -> str:
    """``"; the region's bounds look written latitude first ..."`` where points (``xs``,
    ``ys``: in ``grid``'s CRS, a geographic one), none of which lies in the region, lie in
    its bounds swapped; ``""`` otherwise.

    A well table in UTM metres, with a region written ``[south, west, north, east]``
    (Bonaire as ``[12.0, -68.45, 12.35, -68.15]``), was "none of its points lies in the
    region; check the coordinate columns (x, y) and crs (EPSG:32619)": the columns and
    their CRS were right, and the region's bounds were not named.
    """
    import numpy as np

    bounds = _read_latitude_first(grid)
    if bounds is None:
        return ""
    left, bottom, right, top = bounds
    x, y = np.asarray(xs, dtype="f8"), np.asarray(ys, dtype="f8")
    with np.errstate(invalid="ignore"):
        there = int(((x >= bottom) & (x <= top) & (y >= left) & (y <= right)).sum())
    if not there:
        return ""
    swapped = ", ".join(f"{v:.12g}" for v in (bottom, left, top, right))
    given = ", ".join(f"{v:.12g}" for v in grid.bounds)
    return (f"; the region's bounds look written latitude first ([{given}] as [south, "
            f"west, north, east]): as [west, south, east, north], [{swapped}], they hold "
            f"{there} of the points; write region.bounds so")


EXTENT_ORDER_RATIO = 100.0
"""How many times larger a region's area must be read as written than read as an extent
(:func:`extent_order`) before its bounds are said to be an extent's: a wide region whose
south edge lies near its west edge in value (a country near the equator in UTM, 600 km
past its zone) is about 36 times its extent's reading, and is said as it is."""


def extent_order(bounds: tuple[float, float, float, float]
                 ) -> tuple[float, float, float, float] | None:
    """``bounds`` read as an extent in x-then-y order, ``[xmin, xmax, ymin, ymax]``
    (matplotlib's ``extent``, R's ``raster::extent``, ``get_xlim() + get_ylim()``), as
    ``(left, bottom, right, top)``; ``None`` where they cannot be one (a pair not
    increasing)."""
    xmin, xmax, ymin, ymax = bounds
    if not (xmax > xmin and ymax > ymin):
        return None
    return (xmin, ymin, xmax, ymax)


def files_in_extent_order(crs: str, bounds: tuple[float, float, float, float],
                          extents: list[tuple[str, tuple[float, float, float, float]]]
                          ) -> str:
    """Why ``bounds`` (a region's, in ``crs``), which make a grid, seem written in an
    extent's order (:func:`extent_order`): read so they make a region at least
    :data:`EXTENT_ORDER_RATIO` times smaller that one of the files (``extents``: ``(CRS,
    bounds)`` of each, in its own CRS) covers at least half of, while none covers half of
    the region read as given; ``""`` otherwise.

    ``[170000, 175000, 440000, 445000]`` in the Dutch RD New (x 170-175 km, y 440-445 km,
    as matplotlib's ``extent``) lies in RD's area either way: read as ``[left, bottom,
    right, top]`` it is a region of 270 x 270 km, 27 000 x 27 000 cells of 10 m, which
    loaded and planned without a word, and ingest computed 2 809 chunks of it, most of
    them of no file.
    """
    meant = extent_order(bounds)
    left, bottom, right, top = bounds
    if meant is None or meant == tuple(bounds):
        return ""
    m_left, m_bottom, m_right, m_top = meant
    area, small = (right - left) * (top - bottom), (m_right - m_left) * (m_top - m_bottom)
    if small <= 0 or area < EXTENT_ORDER_RATIO * small:
        return ""
    try:
        own = CRS.from_user_input(crs)
    except ProjError:
        return ""

    def covered(box: tuple[float, ...], files: list[tuple[float, ...]]
                ) -> float:  # the largest share of ``box`` one file covers
        x0, y0, x1, y1 = box
        best = 0.0
        for f0, g0, f1, g1 in files:
            wide = max(0.0, min(x1, f1) - max(x0, f0))
            high = max(0.0, min(y1, g1) - max(y0, g0))
            best = max(best, wide * high / ((x1 - x0) * (y1 - y0)))
        return best

    files: list[tuple[float, ...]] = list(_extents_in(own, extents))
    if not files or covered(meant, files) < 0.5 or covered(tuple(bounds), files) >= 0.5:
        return ""
    given = ", ".join(f"{v:.12g}" for v in bounds)
    shown = ", ".join(f"{v:.12g}" for v in meant)
    return (f"bounds [{given}] look written in an extent's order, [xmin, xmax, ymin, "
            f"ymax] (matplotlib's extent, R's raster::extent): read as [left, bottom, "
            f"right, top] they make a region {area / small:.0f} times the area of "
            f"[{shown}], which the files cover, read so; write bounds [left, bottom, right, "
            f"top], as [{shown}]")


def _extent_order_hint(region: Any, problem: str) -> str:
    """The refusal of ``region`` (a :class:`RegionConfig`) whose ``bounds`` fail with
    ``problem`` read as ``[left, bottom, right, top]`` but make a grid that passes every
    check read as an extent in x-then-y order (:func:`extent_order`); ``""`` otherwise.

    ``[500000, 500400, 1350000, 1350400]`` (an extent's order) was read as a region from
    easting 500 000 to 1 350 000: "region extends 4.79 degrees past the UTM zone ... set
    'cross_zone: true'", and in degrees or Web Mercator "use larger chunks" or "a coarser
    resolution", each a fix that kept the wrong region.
    """
    meant = extent_order(region.bounds)
    if meant is None or meant == tuple(region.bounds):
        return ""
    left, bottom, right, top = region.bounds
    if (right - left) * (top - bottom) < EXTENT_ORDER_RATIO * (meant[2] - meant[0]) * (
            meant[3] - meant[1]):
        return ""  # not far smaller read so: a wide region of its own, said as it is
    try:
        if _placement_problem(region.crs, meant, region.resolution, region.cross_zone):
            return ""
        check_chunk_count(RegionGrid(crs=region.crs, resolution=region.resolution,
                                     bounds=meant, chunks=region.chunks, name=region.name))
    except (ProjError, ArithmeticError, ValueError, GridError):
        return ""
    shown = ", ".join(f"{v:.12g}" for v in meant)
    given = ", ".join(f"{v:.12g}" for v in region.bounds)
    return (f"bounds [{given}] look written in an "
            "extent's order, [xmin, xmax, ymin, ymax] (matplotlib's extent, R's "
            f"raster::extent): as [{shown}] they make a grid that fits; write bounds "
            f"[left, bottom, right, top] so (read as given: {problem})")


def _degrees_not_metres(crs: CRS, bounds: tuple[float, float, float, float], *,
                        lonlat: tuple[float, float, float, float] | None = None) -> bool:
    """Whether ``bounds`` (small numbers, in a projected ``crs``) lie inside the CRS's area
    of use (:data:`SWAPPED_SLACK_DEG` past it, as a national region reaches) when read as
    longitudes and latitudes (``lonlat``: the same numbers as ``[west, south, east,
    north]``, where they are written in another order; ``bounds`` as they are where
    ``None``), and wholly outside it when read in the CRS's own units: degrees, not metres.

    ``[5.6, 51.9, 5.7, 52.0]`` (Wageningen) given to RD New with a resolution of 0.01 made
    a 10 x 10 grid of centimetre cells in France, a few degrees from the Netherlands (too
    near for the area-of-use check); ``[-68.42, 12.02, -68.19, 12.31]`` (Bonaire) given to
    UTM 19N was "extends 1.49 degrees past the UTM zone ... set cross_zone". The whole
    Netherlands in degrees, ``[3.3, 50.7, 7.3, 53.6]``, reaches 0.08 degrees past RD New's
    stated area and was taken (a grid of centimetre cells in France); Bonaire written
    latitude first, ``[12.0, -68.45, 12.35, -68.15]``, was "past the UTM zone" again. A
    region near a projected CRS's false origin in its own units lies in its area of use,
    and passes.
    """
    area = _area_bounds(crs)
    if area is None:
        return False
    a_west, a_south, a_east, a_north = area
    if a_west > a_east:  # across the antimeridian: left to outside_area_of_use
        return False
    slack = SWAPPED_SLACK_DEG
    west, south, east, north = lonlat if lonlat is not None else bounds
    as_degrees = a_west - slack <= west and east <= a_east + slack and \
        a_south - slack <= south and north <= a_north + slack
    if not as_degrees:
        return False
    try:
        to_ll = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
        west, south, east, north = to_ll.transform_bounds(*bounds, densify_pts=5)
    except ProjError:
        return True
    if not all(math.isfinite(v) for v in (west, south, east, north)):
        return True
    return east < a_west or west > a_east or north < a_south or south > a_north


AREA_OF_USE_SLACK_DEG = 5.0
"""Degrees a region may lie beyond its CRS's area of use before it is refused as placed in
the wrong CRS (national grids are used a little past their borders, offshore included)."""


UTM_LATITUDES = (-80.0, 84.0)
"""The latitudes a UTM zone's projection serves, north and south zones alike."""


def _area_bounds(crs: CRS) -> tuple[float, float, float, float] | None:
    """The area of use of ``crs`` (a parsed CRS) as (west, south, east, north) degrees,
    ``None`` where it states none; a UTM zone's reaches into the other hemisphere.

    A north and a south zone are one transverse Mercator, their northings 10 000 km apart:
    USGS delivers Landsat scenes south of the equator in the north zone, northings
    negative (the Parana scenes at 25 S in EPSG:32621, y -2 832 795 .. -2 766 615), and
    a region in the scenes' own CRS was refused as "far from the area EPSG:32621 is made
    for ... bounds given in another CRS?".
    """
    area = crs.area_of_use
    if area is None:
        return None
    west, south, east, north = (float(v) for v in area.bounds)
    if crs.utm_zone:
        south, north = min(south, UTM_LATITUDES[0]), max(north, UTM_LATITUDES[1])
    return west, south, east, north


MAP_BACK_SLACK = 0.01
"""Least distance, in a projected CRS's units (a centimetre in metres), by which a point
may come back from longitude and latitude off where it was and still count as mapped:
the grid's finest cell (:data:`prospect.grid._METRE_LIKE_MIN`). A CRS whose way to
WGS 84 goes through a datum shift (RD New, ETRS89-LAEA) brings points back 0.1-1 mm off,
so half a cell of ``resolution: 0.0001`` (degrees typed for metres) refused the bounds
as "past where EPSG:28992 maps the Earth" instead of naming the resolution."""
MAP_BACK_SLACK_DEG = 1e-7
""":data:`MAP_BACK_SLACK` in a geographic CRS (degrees: about a centimetre)."""


def _not_mapped_back(crs: str, bounds: tuple[float, float, float, float],
                     tolerance: float) -> str:
    """Which corner of ``bounds`` (or their centre) ``crs`` does not map back to itself
    through longitude and latitude within ``tolerance`` (half a cell, at least
    :data:`MAP_BACK_SLACK`), and where it went; ``""`` when every one does.

    Far past a projection's reach PROJ returns a place anyway, not an error: UTM 19N's
    ``x = 1e308`` came back as its central meridian, RD New's as 175 W, and the region was
    taken as lying there (its cell count then overflowed the message that refused it:
    ``internal error: OverflowError``). A point the CRS maps comes back to within a
    millimetre.
    """
    try:
        parsed = parse_crs(crs)
        to_ll = Transformer.from_crs(parsed, "EPSG:4326", always_xy=True)
        back = Transformer.from_crs("EPSG:4326", parsed, always_xy=True)
    except (CRSError, ProjError):
        return ""
    tolerance = max(tolerance, MAP_BACK_SLACK_DEG if parsed.is_geographic else MAP_BACK_SLACK)
    left, bottom, right, top = bounds
    for x, y in ((left, bottom), (left, top), (right, bottom), (right, top),
                 ((left + right) / 2, (bottom + top) / 2)):
        try:
            lon, lat = to_ll.transform(x, y, errcheck=True)
            x2, y2 = back.transform(lon, lat, errcheck=True)
        except ProjError:
            return f"PROJ cannot place the point ({x:.12g}, {y:.12g})"
        if not (math.isfinite(x2) and math.isfinite(y2)) or \
                max(abs(x2 - x), abs(y2 - y)) > tolerance:
            return (f"the point ({x:.12g}, {y:.12g}) is read as lon/lat {lon:.3f},{lat:.3f}, "
                    f"which is ({x2:.12g}, {y2:.12g}) in {crs}, not the point given")
    return ""


def _lon_spans(west: float, east: float) -> list[tuple[float, float]]:
    """A longitude interval as spans that do not cross the antimeridian."""
    return [(west, 180.0), (-180.0, east)] if west > east else [(west, east)]


def outside_area_of_use(crs: str, lonlat: tuple[float, float, float, float]) -> str:
    """Why a region whose footprint is ``lonlat`` (west, south, east, north) cannot be in
    ``crs``: it lies wholly away from the CRS's area of use (more than
    :data:`AREA_OF_USE_SLACK_DEG` from it); ``""`` when it touches it or the CRS states
    none (a PROJ string, a world-wide CRS).

    Bounds copied from a config in another CRS (UTM metres into the Dutch RD New, whose
    x runs 0-300 km) still lie on the Earth, somewhere else: every source was then reported
    as not overlapping, or read onto the wrong ground.
    """
    parsed = parse_crs(crs)
    area, bounds = parsed.area_of_use, _area_bounds(parsed)
    if area is None or bounds is None:
        return ""
    a_west, a_south, a_east, a_north = bounds
    west, south, east, north = lonlat
    slack = AREA_OF_USE_SLACK_DEG
    # either may cross the antimeridian (west > east: two spans of longitude, as a region
    # in Fiji's or New Zealand's grid has)
    lon_ok = any(e >= aw - slack and w <= ae + slack
                 for w, e in _lon_spans(west, east) for aw, ae in _lon_spans(a_west, a_east))
    lat_ok = north >= a_south - slack and south <= a_north + slack
    if lon_ok and lat_ok:
        return ""
    name = area.name.rstrip(".")
    return (f"far from the area {crs} is made for ({name}: lon/lat {a_west:g},{a_south:g} .. "
            f"{a_east:g},{a_north:g})")


def past_area_of_use(crs: str, lonlat: tuple[float, float, float, float]) -> str:
    """Why a region whose footprint is ``lonlat`` (west, south, east, north) reaches too far
    out of ``crs``'s area of use: more than :data:`AREA_OF_USE_SLACK_DEG` past it on a
    side; ``""`` when it stays within, for a CRS that states no area, for a UTM zone (its
    own zone rule and ``cross_zone`` decide), and where either crosses the antimeridian.

    :func:`outside_area_of_use` refuses a region wholly away from the area; one that
    overlaps it and reaches on was taken: ``[163500, 430590, 50000000, 452100]`` in RD New
    (a right bound 50 000 km out, a typo of 181200) planned a band round the Earth in a
    projection made for the Netherlands.
    """
    parsed = parse_crs(crs)
    area = parsed.area_of_use
    if area is None or parsed.utm_zone:
        return ""
    a_west, a_south, a_east, a_north = area.bounds
    west, south, east, north = lonlat
    if a_west > a_east or west > east:
        return ""
    past = max(a_west - west, east - a_east, a_south - south, north - a_north)
    if past <= AREA_OF_USE_SLACK_DEG:
        return ""
    return (f"{past:.1f} degrees past the area {crs} is made for ({area.name.rstrip('.')}: "
            f"lon/lat {a_west:g},{a_south:g} .. {a_east:g},{a_north:g})")


def swapped_into_area_of_use(crs: str, bounds: tuple[float, float, float, float]
                             ) -> tuple[float, float, float, float] | None:
    """``bounds`` with x and y swapped where those lie wholly inside ``crs``'s area of use
    and ``bounds`` as given lie wholly outside it; ``None`` otherwise (or where the CRS
    states no area, or PROJ cannot place either).

    :func:`outside_area_of_use` allows :data:`AREA_OF_USE_SLACK_DEG` past the area
    (national grids are used a little past their borders): RD New bounds written
    ``[y, x]``, ``[300000, 0, 625000, 300000]`` for ``[0, 300000, 300000, 625000]``, lie
    4.8 degrees past the Netherlands, in Germany and Belgium, and were taken: the job
    planned the wrong ground, and a source of the whole Earth was read onto it.
    """
    left, bottom, right, top = bounds
    return _meant_in_area(parse_crs(crs), bounds, (bottom, left, top, right))


def kilometres_into_area_of_use(crs: str, bounds: tuple[float, float, float, float]
                                ) -> tuple[float, float, float, float] | None:
    """``bounds`` times 1000 where those lie wholly inside the area of use of ``crs`` (a
    projected CRS in metres) and ``bounds`` as given lie wholly outside it: bounds written
    in kilometres; ``None`` otherwise (or where the CRS is in other units, states no area,
    or PROJ cannot place either).

    RD New bounds in kilometres, ``[13, 306, 278, 619]`` for the Netherlands' ``[13000,
    306000, 278000, 619000]``, lie 2.8 degrees south of the Netherlands, in France, inside
    the :data:`AREA_OF_USE_SLACK_DEG` a national grid is allowed past its border: a region
    of 265 x 313 m planned there, and every source was "none of its files overlap". In a
    UTM zone (``[550, 1330, 590, 1370]`` for Bonaire's ``[550000, 1330000, ...]``) they
    lie 4.5 degrees from the zone's meridian, at the equator, and were "extends 1.48
    degrees past the UTM zone ... set 'cross_zone: true'", a fix that kept them.
    """
    parsed = parse_crs(crs)
    if not parsed.is_projected or not parsed.axis_info or \
            any(axis.unit_name not in ("metre", "meter") for axis in parsed.axis_info[:2]):
        return None
    left, bottom, right, top = (float(v) * 1000.0 for v in bounds)
    return _meant_in_area(parsed, bounds, (left, bottom, right, top)) or \
        _meant_in_area(parsed, bounds, (bottom, left, top, right))


def _kilometres_text(crs: str, bounds: tuple[float, float, float, float],
                     metres: tuple[float, float, float, float], resolution: float) -> str:
    """Why ``bounds`` are refused as kilometres for ``crs`` (in metres), ``metres`` being
    the bounds meant (:func:`kilometres_into_area_of_use`): written with x and y swapped
    too where ``metres`` is their thousandfold in the other order (RD New's ``[306, 13,
    619, 278]`` planned in France; UTM 19N's ``[1330, 550, 1370, 590]`` was "extends 1.48
    degrees past the UTM zone ... set 'cross_zone: true'")."""
    shown = ", ".join(f"{v:.12g}" for v in metres)
    swapped = metres != tuple(float(v) * 1000.0 for v in bounds)
    return (
        f"bounds {list(bounds)} look written in kilometres"
        f"{' and with x and y swapped' if swapped else ''}, but {crs} is in metres: "
        f"read as metres they make a region of {bounds[2] - bounds[0]:g} x "
        f"{bounds[3] - bounds[1]:g} m outside the area {crs} is made for; in metres"
        f"{', [left, bottom, right, top]' if swapped else ''}, [{shown}], they lie in it: "
        f"write them so (and the resolution in metres: {resolution:g} is read as "
        f"{resolution_text(crs, resolution)})")


def _meant_in_area(crs: CRS, given: tuple[float, float, float, float],
                   meant: tuple[float, float, float, float]
                   ) -> tuple[float, float, float, float] | None:
    """``meant`` where it lies wholly inside the area of use of ``crs`` (a parsed CRS;
    :data:`SWAPPED_SLACK_DEG` past it) and ``given`` wholly outside it; ``None`` otherwise,
    or where the CRS states no area, its area crosses the antimeridian (left to
    :func:`outside_area_of_use`) or PROJ cannot place either."""
    area = _area_bounds(crs)
    if area is None:
        return None
    a_west, a_south, a_east, a_north = area
    if a_west > a_east:  # across the antimeridian: left to outside_area_of_use
        return None
    try:
        to_ll = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
        as_given = [float(v) for v in to_ll.transform_bounds(*given, densify_pts=21)]
        as_meant = [float(v) for v in to_ll.transform_bounds(*meant, densify_pts=21)]
    except ProjError:
        return None
    if not all(math.isfinite(v) for v in (*as_given, *as_meant)):
        return None
    west, south, east, north = as_given
    apart = east < a_west or west > a_east or north < a_south or south > a_north
    w, s, e, n = as_meant
    slack = SWAPPED_SLACK_DEG  # a national region reaches a little past the stated area
    inside = w >= a_west - slack and e <= a_east + slack and s >= a_south - slack and \
        n <= a_north + slack
    return meant if apart and inside else None


SWAPPED_SLACK_DEG = 1.0
"""Degrees past its CRS's area of use that bounds read with x and y swapped may reach and
still be taken as the bounds meant (:func:`swapped_into_area_of_use`): the shipped
``netherlands`` region reaches 0.35 degrees past RD New's stated area."""


TM_HALF_ZONE_DEG = 3.0
"""Degrees either side of its central meridian a transverse Mercator zone covers (UTM's
6-degree zones; Gauss-Krueger and VN-2000's 3-degree zones are narrower)."""

MAX_SCALE_ERROR = 0.05
"""Largest departure of a projection's scale from 1 (5 % on lengths) accepted where a CRS
states no area of use and is no transverse Mercator: a grid placed where its projection
stretches lengths more than this is taken as placed in the wrong CRS."""


def _sample_lonlat(crs: CRS, bounds: tuple[float, float, float, float]
                   ) -> list[tuple[float, float]]:
    """Longitude and latitude, in ``crs``'s own geographic CRS, of the corners, edge
    midpoints and centre of ``bounds`` (points PROJ cannot place are left out)."""
    left, bottom, right, top = bounds
    to_ll = Transformer.from_crs(crs, crs.geodetic_crs, always_xy=True)
    points = []
    for x in (left, (left + right) / 2, right):
        for y in (bottom, (bottom + top) / 2, top):
            try:
                lon, lat = to_ll.transform(x, y, errcheck=True)
            except ProjError:
                continue
            if math.isfinite(lon) and math.isfinite(lat):
                points.append((float(lon), float(lat)))
    return points


def _central_meridian(crs: CRS) -> float | None:
    """The central meridian of a transverse Mercator ``crs`` (``+proj=tmerc``, ``etmerc``,
    south-oriented); ``None`` for any other projection."""
    op = crs.coordinate_operation
    if op is None or not op.method_name.startswith("Transverse Mercator"):
        return None
    return next((float(p.value) for p in op.params
                 if p.name in ("Longitude of natural origin", "Longitude of origin")), None)


def unstated_area_reach(crs: str, bounds: tuple[float, float, float, float]) -> str:
    """Why ``bounds`` lie too far from where a projected ``crs`` that states no area of use
    (a PROJ string, a custom WKT) is made for; ``""`` when they do not, or the CRS states
    an area (:func:`outside_area_of_use` and :func:`past_area_of_use` judge those), is
    geographic, or is a UTM zone (the zone rule judges it).

    A transverse Mercator CRS is made for a few degrees either side of its central
    meridian: a region more than :data:`TM_HALF_ZONE_DEG` plus
    :data:`AREA_OF_USE_SLACK_DEG` degrees of arc from it (measured across the meridian,
    so narrower in longitude near the equator than near the poles) is refused, as a UTM
    zone's region past its zone and the slack is. Any other projection is judged by its
    scale: lengths stretched or shrunk by more than :data:`MAX_SCALE_ERROR` at a corner,
    an edge's middle or the centre. ``+proj=tmerc +lon_0=105.75 ...`` with bounds 2 000 km
    east of the meridian planned (exit 0) with only "no file overlaps".
    """
    try:
        parsed = parse_crs(crs)
    except CRSError:
        return ""
    base = parsed.source_crs if parsed.is_bound and parsed.source_crs is not None else parsed
    if parsed.area_of_use is not None or base.area_of_use is not None or \
            not base.is_projected or base.utm_zone:
        return ""
    try:
        points = _sample_lonlat(base, bounds)
    except ProjError:
        return ""
    if not points:
        return ""
    meridian = _central_meridian(base)
    if meridian is not None:
        arcs = []
        for lon, lat in points:
            apart = (lon - meridian + 180.0) % 360.0 - 180.0
            if abs(apart) >= 90.0:
                arcs.append(90.0)
                continue
            arcs.append(math.degrees(math.asin(min(1.0, abs(
                math.cos(math.radians(lat)) * math.sin(math.radians(apart)))))))
        far = max(arcs)
        limit = TM_HALF_ZONE_DEG + AREA_OF_USE_SLACK_DEG
        if far <= limit:
            return ""
        lon, lat = points[arcs.index(far)]
        return (f"the point at lon/lat {lon:.3f},{lat:.3f} lies {far:.1f} degrees from the "
                f"central meridian ({meridian:g}) of this transverse Mercator CRS, which "
                f"states no area of use: such a grid is made for a few degrees either side "
                f"of its meridian (refused past {limit:g})")
    from pyproj import Proj

    try:
        proj = Proj(base)
    except (CRSError, ProjError):
        return ""
    worst, where = 0.0, points[0]
    for lon, lat in points:
        try:
            factors = proj.get_factors(lon, lat, errcheck=True)
            scales = (float(factors.meridional_scale), float(factors.parallel_scale))
        except (ProjError, ValueError):
            continue
        error = max((abs(s - 1.0) if math.isfinite(s) else math.inf) for s in scales)
        if error > worst:
            worst, where = error, (lon, lat)
    if worst <= MAX_SCALE_ERROR:
        return ""
    stretch = "infinitely" if not math.isfinite(worst) else f"by {worst:.1%}"
    method = base.coordinate_operation.method_name if base.coordinate_operation else base.name
    return (f"at lon/lat {where[0]:.3f},{where[1]:.3f} this projection ({method}), which "
            f"states no area of use, distorts lengths {stretch} (refused past "
            f"{MAX_SCALE_ERROR:.0%}): it is not made for this place")


def _placement_problem(crs: str, bounds: tuple[float, float, float, float],
                       resolution: float, cross_zone: bool) -> str:
    """Why ``bounds`` cannot be a region in ``crs``: in another CRS's units, outside the
    Earth, past where the CRS maps it or is made for, or across UTM zones; ``""`` if
    none of these."""
    other = bounds_in_other_units(crs, bounds, resolution)
    if other:
        return other
    metres = kilometres_into_area_of_use(crs, bounds)
    if metres:  # before where they lie: "far from", "past the UTM zone" kept the numbers
        return _kilometres_text(crs, bounds, metres, resolution)
    # where the bounds lie, then the zone, then the grid's size: bounds from another
    # CRS were "35 degrees past the UTM zone ... set 'cross_zone: true'" (which led to
    # the next refusal), a region across zones with small chunks "too many chunks"
    try:
        to_ll = Transformer.from_crs(parse_crs(crs), "EPSG:4326", always_xy=True)
        west, south, east, north = (float(v) for v in to_ll.transform_bounds(
            *bounds, densify_pts=21))
    except ProjError:
        west = south = east = north = math.inf
    if not all(math.isfinite(v) for v in (west, south, east, north)) or \
            south < -90 or north > 90:
        return (
            f"bounds {list(bounds)} lie outside the Earth in {crs} (lon/lat "
            f"{west:.3f},{south:.3f} .. {east:.3f},{north:.3f}): give them in the CRS's "
            "own units and axis order, [left, bottom, right, top]")
    lost = _not_mapped_back(crs, bounds, resolution / 2)
    if lost:
        return (
            f"bounds {list(bounds)} reach past where {crs} maps the Earth: "
            f"{lost}; give them in the CRS's own units and axis order, [left, bottom, "
            "right, top]")
    far = outside_area_of_use(crs, (west, south, east, north))
    if far:
        return (
            f"bounds {list(bounds)} lie at lon/lat {west:.3f},{south:.3f} .. "
            f"{east:.3f},{north:.3f}, {far}: bounds given in another CRS? give them in "
            f"{crs}'s own units and axis order, or choose the region's own CRS")
    reach = past_area_of_use(crs, (west, south, east, north))
    if reach:
        return (
            f"bounds {list(bounds)} reach lon/lat {west:.3f},{south:.3f} .. "
            f"{east:.3f},{north:.3f}, {reach}: a bound mistyped, or given in another "
            f"CRS? check each of [left, bottom, right, top], or choose a CRS made for "
            "the whole region")
    unstated = unstated_area_reach(crs, bounds)
    if unstated:
        return (
            f"bounds {list(bounds)} lie at lon/lat {west:.3f},{south:.3f} .. "
            f"{east:.3f},{north:.3f}: {unstated}; bounds given in another CRS? give them "
            f"in the CRS's own units and axis order, or centre the projection on the "
            "region (+lon_0 in a PROJ string), or use the EPSG code of the area's UTM "
            "zone or national grid")
    swapped = swapped_into_area_of_use(crs, bounds)
    if swapped:  # said by the caller as x and y swapped, with this as what was read
        return (
            f"bounds {list(bounds)} lie at lon/lat {west:.3f},{south:.3f} .. "
            f"{east:.3f},{north:.3f}, wholly outside the area {crs} is made for")
    over = utm_zone_overflow(crs, bounds)
    if over and not cross_zone:
        return (
            f"region extends {over:.2f} degrees past the UTM zone of {crs} (lon/lat "
            f"{west:.3f} .. {east:.3f}); choose the zone most of it lies in (an inline "
            "region with that zone's CRS and bounds), or set 'cross_zone: true' to accept "
            "the distortion")
    return ""


class RegionConfig(StrictModel):
    """A region: the grid every layer of its cubes shares.

    Attributes
    ----------
    name
        Identifier (lower case, digits, ``-``), e.g. ``bonaire``.
    title
        Human-readable name.
    crs
        Working CRS, e.g. ``EPSG:28992``.
    resolution
        Cell size in CRS units (metres).
    bounds
        ``[left, bottom, right, top]`` in the working CRS.
    chunks
        ``[rows, cols]`` of one zarr chunk.
    cross_zone
        Set to ``true`` to accept a region that extends past its UTM zone (an explicit
        choice; Prospect never picks a zone silently).
    """

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    title: str = ""
    crs: str
    resolution: float = Field(gt=0, allow_inf_nan=False)
    bounds: Bounds
    chunks: tuple[ChunkSide, ChunkSide] = (512, 512)
    cross_zone: bool = False
    description: str = ""
    kind: Literal["region"] = "region"

    @field_validator("crs")
    @classmethod
    def _known_crs(cls, value: str) -> str:
        return check_grid_crs(value)

    @field_validator("resolution", mode="wrap")
    @classmethod
    def _number_without_unit(cls, value: object, handler: ValidatorFunctionWrapHandler,
                             info: ValidationInfo) -> float:
        # wrap, not before: a 'before' validator sees a YAML boolean as written, and the
        # models' refusal of 'resolution: yes' (a 1 m grid) leaves such fields alone
        said = resolution_with_unit(value, info.data.get("crs"))
        if said:
            raise ValueError(said)
        return float(handler(value))

    @field_validator("bounds")
    @classmethod
    def _ordered_bounds(
        cls, value: tuple[float, float, float, float], info: ValidationInfo
    ) -> tuple[float, float, float, float]:
        left, bottom, right, top = value
        if not (right > left and top > bottom):
            across = _across_antimeridian(info.data.get("crs"), value)
            raise ValueError(
                "bounds must be [left, bottom, right, top] with right > left, top > bottom"
                f"{across or _bounds_order_hint(value)}"
            )
        past = _past_antimeridian(info.data.get("crs"), value) or \
            _past_antimeridian_projected(info.data.get("crs"), value,
                                         info.data.get("resolution") or 0.0)
        if past:
            raise ValueError(past)
        return value

    @model_validator(mode="after")
    def _zone_choice(self) -> RegionConfig:
        problem = _placement_problem(self.crs, self.bounds, self.resolution, self.cross_zone)
        if problem:
            left, bottom, right, top = self.bounds
            swapped = (bottom, left, top, right)
            try:
                fits = not _placement_problem(self.crs, swapped, self.resolution,
                                              self.cross_zone)
            except (ProjError, ArithmeticError, ValueError):
                fits = False
            # kilometres that lie in the area as metres are said as such: their swap
            # lies as near as they do, within the slack, and was offered as the fix
            if fits and kilometres_into_area_of_use(self.crs, self.bounds) is None:
                # northing and easting written the other way round (it was "extends 4.77
                # degrees past the UTM zone ... set 'cross_zone: true'"): said first
                problem = (f"bounds {list(self.bounds)} look written with x and y swapped: "
                           f"as {list(swapped)} they lie where {self.crs} is made for; write "
                           f"them [left, bottom, right, top] so (read as given: {problem})")
            else:
                problem = _extent_order_hint(self, problem) or problem
            raise ValueError(problem)
        try:  # units, empty grids, the cell and chunk limits, before anything is allocated
            grid = self.to_grid()
            check_chunk_count(grid)
        except GridError as exc:
            raise ValueError(_extent_order_hint(self, str(exc)) or str(exc)) from None
        past = snapped_off_the_earth(self.bounds, grid)
        if past:
            raise ValueError(past)
        return self

    def to_grid(self) -> RegionGrid:
        """The :class:`~prospect.grid.RegionGrid` this config describes."""
        return RegionGrid(
            crs=self.crs,
            resolution=self.resolution,
            bounds=self.bounds,
            chunks=self.chunks,
            name=self.name,
        )
