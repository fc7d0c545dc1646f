"""The tile matrix sets layers are served in: Web Mercator and national / UTM grids.

All are morecantile :class:`~morecantile.TileMatrixSet` objects, so the same tile maths
serve XYZ, WMTS and TileJSON in every grid:

- ``WebMercatorQuad``: EPSG:3857, the XYZ grid of web maps (GoogleMapsCompatible).
- ``NetherlandsRDNewQuad``: EPSG:28992 (Amersfoort / RD New) as Dutch national services
  (PDOK, the "EPSG:28992" tiling scheme) publish it: origin (-285401.92, 903401.92),
  256 px tiles, scale denominator 12 288 000 at level 0 (3440.64 m per pixel), halving per
  level, levels 0..16. Same definition as the OGC TMS registry's NetherlandsRDNewQuad.
- ``UTM19WGS84Quad``, ``UTM20WGS84Quad``, ``UTM48WGS84Quad`` (and any ``UTM{zz}WGS84Quad``):
  the OGC registry's UTM quad of morecantile's ``UTM31WGS84Quad`` with the zone's CRS
  (EPSG:326zz): Bonaire, Curaçao, Aruba (19N); Saba, Sint Eustatius, Sint Maarten (20N);
  northern Vietnam (48N).
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from functools import lru_cache
from typing import Any, Protocol

import morecantile
import pyproj

__all__ = ["DEFAULT_TMS", "KNOWN_TMS", "WEB_MERCATOR_MAX_LAT", "beyond_web_mercator",
           "box_geojson",
           "crosses_antimeridian", "data_zooms", "footprint",
           "grid_gap", "matrix_shape", "no_wrap_bounds", "overlaps_x", "pixel_edge_bounds",
           "short_bounds", "short_decimal", "tile_matrix_set",
           "tms_for_crs",
           "unwrapped_lon", "world_pieces", "world_span", "wrapped_lon"]

DEFAULT_TMS = "WebMercatorQuad"
"""The grid every layer is served in."""

KNOWN_TMS = ("WebMercatorQuad", "NetherlandsRDNewQuad", "UTM19WGS84Quad", "UTM20WGS84Quad",
             "UTM48WGS84Quad", "UTM49WGS84Quad")
"""Grids named in docs and configs (any ``UTM{01..60}WGS84Quad`` is accepted too)."""

_UTM = re.compile(r"^UTM(0[1-9]|[1-5][0-9]|60)WGS84Quad$")


SHORT_DIGITS = 12
"""Most significant digits of a value taken for a short decimal with float noise
(:func:`short_decimal`)."""


def short_decimal(value: float) -> str | None:
    """``value`` as the short decimal it stands for, where it is one with float noise: the
    decimal of fewest significant digits, at most :data:`SHORT_DIGITS`, that reads back
    within one unit in the last place of ``value`` (``52`` for ``51.99999999999999``,
    ``12288000`` for ``12288000.000000002``); ``None`` where none does (a value that
    needs its digits, a reprojected extent's ``4.123456789012345``) or it is not finite.

    Parameters
    ----------
    value
        The number.

    Returns
    -------
    str or None
        The decimal, in positional notation, or ``None``.
    """
    if not math.isfinite(value):
        return None
    for digits in range(1, SHORT_DIGITS + 1):
        text = f"{value:.{digits}g}"
        if abs(float(text) - value) <= math.ulp(value):
            return format(Decimal(text), "f")
    return None


def short_bounds(bounds: tuple[float, float, float, float]
                 ) -> tuple[float, float, float, float]:
    """``bounds`` with each value's float noise taken off (:func:`short_decimal`): the
    edges a grid's coordinates add up to (``51.99999999999999`` for 52.0 from ``52.995 -
    0.01 * arange(100)`` and half a cell), which the TileJSON's ``bounds``, the WMS and
    WMTS capabilities and the archives' metadata wrote to a partner as computed. Moves a
    value by one unit in its last place at most; other values are kept as they are.

    Parameters
    ----------
    bounds
        ``(west, south, east, north)`` (or ``(left, bottom, right, top)`` in a CRS's
        own units).

    Returns
    -------
    tuple of float
        The same bounds, written short where they are short decimals.
    """
    w, s, e, n = (float(short) + 0.0 if (short := short_decimal(v)) is not None else v
                  for v in bounds)
    return (w, s, e, n)


@lru_cache(maxsize=64)
def tile_matrix_set(name: str) -> morecantile.TileMatrixSet:
    """The tile matrix set called ``name``; a :class:`ValueError` names the known ones."""
    if name == "NetherlandsRDNewQuad":
        return morecantile.TileMatrixSet.custom(
            [-285401.92, 22598.08, 595401.92, 903401.92], pyproj.CRS.from_epsg(28992),
            minzoom=0, maxzoom=16, id="NetherlandsRDNewQuad",
            title="Amersfoort / RD New (EPSG:28992), the Dutch national tiling scheme",
            ordered_axes=["X", "Y"],
        )
    m = _UTM.match(name)
    if m:
        doc = morecantile.tms.get("UTM31WGS84Quad").model_dump(mode="json", exclude_none=True)
        zone = int(m.group(1))
        doc.update(id=name, title=f"Universal Transverse Mercator Zone {zone} WGS84 Quad",
                   crs=f"http://www.opengis.net/def/crs/EPSG/0/{32600 + zone}")
        doc.pop("uri", None)
        return morecantile.TileMatrixSet.model_validate(doc)
    if name in morecantile.tms.list():
        return morecantile.tms.get(name)
    raise ValueError(
        f"unknown tile matrix set {name!r}; use one of {', '.join(KNOWN_TMS)} "
        "(or UTM{zone}WGS84Quad)"
    )


@lru_cache(maxsize=256)
def tms_for_crs(crs: str | int) -> str | None:
    """The national grid for a layer CRS: RD New -> NetherlandsRDNewQuad, UTM N -> UTM quad.

    Memoised: the tile server asks on every request, and parsing a CRS costs about 0.1 ms.
    """
    epsg = pyproj.CRS.from_user_input(crs).to_epsg()
    if epsg == 28992:
        return "NetherlandsRDNewQuad"
    if epsg is not None and 32601 <= epsg <= 32660:
        return f"UTM{epsg - 32600:02d}WGS84Quad"
    return None


@lru_cache(maxsize=4096)
def matrix_shape(name: str, z: int) -> tuple[int, int]:
    """``(matrixWidth, matrixHeight)`` of zoom ``z`` of the tile matrix set ``name``
    (memoised: looked up on every tile request)."""
    m = tile_matrix_set(name).matrix(z)
    return int(m.matrixWidth), int(m.matrixHeight)


_REPEATING = frozenset({"Popular Visualisation Pseudo Mercator", "Mercator (variant A)",
                        "Mercator (variant B)", "Mercator", "Equidistant Cylindrical",
                        "Equidistant Cylindrical (Spherical)"})
"""Projection methods whose x is linear in longitude, so the world repeats along x every
360 degrees (the maps web clients draw with world copies: EPSG:3857, World Mercator)."""


@lru_cache(maxsize=64)
def world_span(crs: str) -> tuple[float, float] | None:
    """``(west, east)``: the x range of one copy of the world in ``crs`` (a CRS that
    repeats with longitude), or ``None`` for a CRS that does not (UTM, RD New, a polar
    grid).

    A geographic CRS in degrees spans -180..180; a cylindrical projection whose x is
    linear in longitude (:data:`_REPEATING`: Web Mercator, Mercator, Plate Carree) spans
    its central meridian +-180 degrees, i.e. ``4 x (x(lon0 + 90) - x(lon0))`` wide.

    Parameters
    ----------
    crs
        A CRS any reader of PROJ accepts (``EPSG:3857``, ``OGC:CRS84``, WKT).
    """
    try:
        found = pyproj.CRS.from_user_input(crs)
    except pyproj.exceptions.CRSError:
        return None
    if found.is_geographic:
        units = {a.unit_name for a in found.axis_info}
        return (-180.0, 180.0) if units == {"degree"} else None
    op = found.coordinate_operation
    if not found.is_projected or op is None or op.method_name not in _REPEATING:
        return None
    lon0 = float(next((p.value for p in op.params if "longitude" in p.name.lower()), 0.0))
    to_xy = pyproj.Transformer.from_crs(found.geodetic_crs, found, always_xy=True)
    x0 = to_xy.transform(lon0, 0.0)[0]
    quarter = to_xy.transform(lon0 + 90.0, 0.0)[0] - x0
    if not (math.isfinite(x0) and math.isfinite(quarter) and quarter > 0):
        return None
    return x0 - 2 * quarter, x0 + 2 * quarter


def world_pieces(bbox: tuple[float, float, float, float], span: tuple[float, float],
                 width: int) -> list[tuple[float, int, int]] | None:
    """How a map of ``width`` pixels over ``bbox`` falls on copies of the world ``span``
    (:func:`world_span`) wide: ``(shift, first_column, end_column)`` per copy, where the
    columns ``first..end`` (end exclusive) show the world shifted by ``shift`` (read the
    data at ``x - shift``). ``None`` when the map lies within the one world (no copy).

    A web client that pans east of the antimeridian asks for longitudes beyond 180
    (a map of 190..200 E shows 170..160 W again); the layer is drawn in each copy, as
    MapServer and GeoServer draw it. Adjacent copies share the column their edge falls in.
    """
    west, east = span
    w = east - west
    left, _, right, _ = bbox
    if left >= west - w * 1e-12 and right <= east + w * 1e-12:  # rounding of an edge tile
        return None
    px = (right - left) / width
    first, last = math.floor((left - west) / w), math.ceil((right - west) / w) - 1
    pieces = []
    for k in range(first, last + 1):
        a, b = max(left, west + k * w), min(right, west + (k + 1) * w)
        c0 = max(0, math.floor((a - left) / px + 1e-9))
        c1 = min(width, math.ceil((b - left) / px - 1e-9))
        if c1 > c0:
            pieces.append((k * w, c0, c1))
    return pieces


def footprint(
    src_crs: object, bounds: tuple[float, float, float, float], shape: tuple[int, int],
    dst_crs: object,
) -> tuple[tuple[float, float, float, float], float]:
    """Bounds of a raster (``bounds`` in ``src_crs``, ``shape`` rows x columns) in
    ``dst_crs``, and its cell size there (mean of x and y)."""
    from rasterio.crs import CRS
    from rasterio.warp import transform_bounds

    src, dst = CRS.from_user_input(src_crs), CRS.from_user_input(dst_crs)
    b = transform_bounds(src, dst, *bounds, densify_pts=21)
    span = world_span(dst.to_wkt())
    lon = transform_bounds(src, CRS.from_epsg(4326), *bounds, densify_pts=21)
    if span is not None and crosses_antimeridian(lon):
        # across 180 the bounds were the whole world (Web Mercator) or west > east
        # (degrees): every cell a world wide, a zoom-0 pyramid with no tile
        to_dst = pyproj.Transformer.from_crs("EPSG:4326", dst.to_wkt(), always_xy=True)
        mid = (lon[1] + lon[3]) / 2
        west = to_dst.transform(unwrapped_lon(lon)[0], mid)[0]
        east = to_dst.transform(unwrapped_lon(lon)[1] - 360.0, mid)[0] + span[1] - span[0]
        b = (west, b[1], east, b[3])
    rows = float(shape[0])
    if span is not None and not dst.is_geographic:
        b, rows = _square_world(b, rows, lon, span, dst.to_wkt(),
                                geographic=src.is_geographic)
    cell = ((b[2] - b[0]) / shape[1] + (b[3] - b[1]) / rows) / 2
    return (float(b[0]), float(b[1]), float(b[2]), float(b[3])), float(cell)


def _square_world(b: tuple[float, ...], rows: float, lon: tuple[float, ...],
                  span: tuple[float, float], dst: str, *, geographic: bool
                  ) -> tuple[tuple[float, ...], float]:
    """Bounds ``b`` in a Mercator-like ``dst`` (a world that repeats along x, ``span``
    wide) cut to its square world, y within +-half the span (Web Mercator's 85.0511
    degrees), and the rows of the data within it (a grid in degrees: its rows of the
    latitudes kept; any other: all of them).

    A layer reaching a pole (a whole-world grid, Antarctica) was measured to y =
    +-242528680, twelve Web Mercator worlds tall, which made its cells twenty-five times
    their size there: a 0.05-degree world grid was tiled to zoom 1, not 5, and its WMTS
    limits and WMS boxes ran far past the world.
    """
    half = (span[1] - span[0]) / 2
    if b[1] >= -half and b[3] <= half:
        return b, rows
    y0, y1 = max(b[1], -half), min(b[3], half)
    if geographic and lon[3] > lon[1]:
        to_lonlat = pyproj.Transformer.from_crs(dst, "EPSG:4326", always_xy=True)
        low = max(lon[1], to_lonlat.transform((span[0] + span[1]) / 2, y0)[1])
        high = min(lon[3], to_lonlat.transform((span[0] + span[1]) / 2, y1)[1])
        if all(map(math.isfinite, (low, high))) and high > low:
            rows = rows * (high - low) / (lon[3] - lon[1])
    return (b[0], y0, b[2], y1), max(rows, 1.0)


WEB_MERCATOR_MAX_LAT = 85.0511287798066
"""Latitude where Web Mercator (XYZ tiles) ends, north and south."""


def beyond_web_mercator(bounds: tuple[float, float, float, float]) -> bool:
    """Whether data of lon/lat ``bounds`` lie wholly north of :data:`WEB_MERCATOR_MAX_LAT`
    or wholly south of its negative, where no XYZ tile shows them."""
    _, south, _, north = bounds
    return not (south < WEB_MERCATOR_MAX_LAT and north > -WEB_MERCATOR_MAX_LAT)


def crosses_antimeridian(bounds: tuple[float, float, float, float]) -> bool:
    """Do lon/lat ``bounds`` ``(west, south, east, north)`` cross the antimeridian: written
    west > east (GDAL's and GeoJSON's way), or with an east beyond 180 (a grid in degrees
    that runs on past it, 179.5 to 180.5)?"""
    west, _, east, _ = bounds
    return west > east or (east > 180.0 and west < 180.0)


def no_wrap_bounds(bounds: tuple[float, float, float, float]
                   ) -> tuple[float, float, float, float]:
    """Lon/lat ``bounds`` as a document that forbids a wrap states them: across the
    antimeridian (:func:`crosses_antimeridian`) the whole row, -180 to 180, else as they are.

    TileJSON 3.0.0 says bounds "MUST NOT wrap around the ante-meridian" and that a reader
    treats an invalid value as absent; MBTiles 1.3's bounds are OpenLayers bounds (left <
    right), which GDAL's MBTiles driver refuses otherwise ("Invalid value for 'bounds'");
    a map library that keeps tiles within bounds (MapLibre's) finds none between 179.5
    and -179.5. The PMTiles header, the TileJSON and the MBTiles metadata state this.
    """
    if crosses_antimeridian(bounds):
        return (-180.0, bounds[1], 180.0, bounds[3])
    return bounds


def pixel_edge_bounds(bounds: tuple[float, float, float, float], *, zoom: int,
                      tile_size: int = 256) -> tuple[float, float, float, float]:
    """Lon/lat ``bounds`` (west < east) widened out to the edges of the Web Mercator pixels
    of ``zoom`` (tiles of ``tile_size`` pixels), which are edges of every finer zoom's
    pixels too; latitudes are kept within :data:`WEB_MERCATOR_MAX_LAT`.

    GDAL's MBTiles driver places a raster's origin at the archive's ``bounds`` and reads
    the tiles' pixels from the nearest whole pixel, so bounds between two pixel edges
    moved every pixel a partner read with ``gdal_translate`` or ``gdalwarp`` (and QGIS)
    by up to half a pixel, without a word. MBTiles 1.3 allows bounds wider than the data.

    Parameters
    ----------
    bounds
        ``(west, south, east, north)`` in degrees, not across the antimeridian
        (:func:`no_wrap_bounds` first).
    zoom
        The zoom whose pixel edges the bounds are put on: an archive's lowest, so that
        each of its zooms (GDAL's overviews) is read on its own pixels.
    tile_size
        Pixels along a tile's side.

    Returns
    -------
    tuple of float
        The widened ``(west, south, east, north)``.
    """
    to_xy = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True)
    half = math.pi * 6378137.0  # half the world's width in Web Mercator metres
    pixels = tile_size << zoom  # along the world's width
    pixel = 2 * half / pixels
    west, south, east, north = bounds
    lats = [max(-WEB_MERCATOR_MAX_LAT, min(WEB_MERCATOR_MAX_LAT, v)) for v in (south, north)]
    (x0, x1), (y0, y1) = to_xy.transform([west, east], lats)
    # in pixels from the grid's west and north edges, out to whole pixels
    left, right = _whole(x0 + half, pixel, up=False), _whole(x1 + half, pixel, up=True)
    top, bottom = _whole(half - y1, pixel, up=False), _whole(half - y0, pixel, up=True)
    _, (s, n) = to_xy.transform([0.0, 0.0], [half - bottom * pixel, half - top * pixel],
                                direction="INVERSE")
    # a pixel edge's longitude is a dyadic number of degrees, exact in a float: written
    # from its count (its Web Mercator round trip wrote 4.998779296875005 for
    # 4.998779296875, the edge GDAL reads the archive's origin on)
    w, e = (-180.0 + count * 360.0 / pixels for count in (left, right))
    return (max(-180.0, w), s, min(180.0, e), n)


def _whole(distance: float, pixel: float, *, up: bool) -> int:
    """``distance`` rounded out to a whole count of ``pixel`` lengths; within a millionth
    of a pixel of an edge it is that edge (an edge's lon/lat round trip lands nanometres
    off it)."""
    count = distance / pixel
    if abs(count - round(count)) < 1e-6:
        return round(count)
    return math.ceil(count) if up else math.floor(count)


def box_geojson(bounds: tuple[float, float, float, float]) -> dict[str, Any]:
    """A GeoJSON geometry of lon/lat ``bounds``: a Polygon, or across the antimeridian a
    MultiPolygon of its two sides, cut at 180 as RFC 7946 (3.1.9) asks.

    A polygon from 179.5 to -179.5 is read by GeoJSON's readers (shapely, a STAC
    client's search, a map drawing the footprint) as the band of every longitude but its
    own, 359 degrees wide.
    """
    west, south, east, north = bounds

    def ring(w: float, e: float) -> list[list[float]]:
        return [[w, south], [e, south], [e, north], [w, north], [w, south]]

    if not crosses_antimeridian(bounds):
        return {"type": "Polygon", "coordinates": [ring(west, east)]}
    east = east - 360.0 if east > 180.0 else east  # a grid in degrees run on past 180
    return {"type": "MultiPolygon",
            "coordinates": [[ring(west, 180.0)], [ring(-180.0, east)]]}


def unwrapped_lon(bounds: tuple[float, float, float, float]) -> tuple[float, float]:
    """``(west, east)`` of lon/lat ``bounds`` with east > west: east of the antimeridian
    counted on past 180 (-179.8 as 180.2), as tile columns and world copies count it."""
    west, _, east, _ = bounds
    return (west, east + 360.0) if west > east else (west, east)


def overlaps_x(a: tuple[float, float], b: tuple[float, float],
               span: tuple[float, float] | None) -> bool:
    """Do x ranges ``a`` (a map's) and ``b`` (data's, as :func:`footprint` gives them)
    overlap, in a CRS whose world repeats ``span`` (:func:`world_span`) wide or none? Data
    across the antimeridian run on past the world's east edge, where the world's west
    begins again: a map there (Fiji's east, at -179.9) meets them one world to the east."""
    if a[0] < b[1] and b[0] < a[1]:
        return True
    if span is None or b[1] <= span[1]:
        return False
    shift = span[1] - span[0]
    return a[0] + shift < b[1] and b[0] < a[1] + shift


def wrapped_lon(lon: float) -> float:
    """``lon`` brought into -180..180 (180.2 as -179.8)."""
    return lon if -180.0 <= lon <= 180.0 else (lon + 180.0) % 360.0 - 180.0


def data_zooms(
    tms: morecantile.TileMatrixSet, bounds: tuple[float, float, float, float], cell: float,
) -> tuple[int, int]:
    """``(min, max)`` zoom of ``tms`` that suit data of ``bounds`` and cell size ``cell``
    (both in the ``tms`` CRS).

    The maximum is the zoom whose pixel size is closest to the cell size (the data's
    native zoom); the minimum the deepest zoom at which the whole extent still fits in
    one tile.
    """
    width = tms.matrix(tms.minzoom).tileWidth
    span = max(bounds[2] - bounds[0], bounds[3] - bounds[1]) / width
    top = tms.maxzoom
    maxzoom = int(tms.zoom_for_res(cell, max_z=top, zoom_level_strategy="auto"))
    minzoom = int(tms.zoom_for_res(span, max_z=top, zoom_level_strategy="lower"))
    minzoom = max(tms.minzoom, min(minzoom, maxzoom))
    return minzoom, max(maxzoom, minzoom)


def _overlaps_lon(a: tuple[float, float], b: tuple[float, float]) -> bool:
    """Do longitude ranges ``a`` and ``b`` overlap (``b`` may cross the antimeridian:
    west > east)?"""
    if b[0] > b[1]:
        return _overlaps_lon(a, (b[0], 180.0)) or _overlaps_lon(a, (-180.0, b[1]))
    return a[0] < b[1] and b[0] < a[1]


def _fmt(bounds: tuple[float, float, float, float]) -> str:
    w, s, e, n = bounds
    return f"lon {w:.2f} to {e:.2f}, lat {s:.2f} to {n:.2f}"


class Footprinted(Protocol):
    """What :func:`grid_gap` reads of a layer (a :class:`tiles.source.LayerSource`)."""

    @property
    def lonlat_bounds(self) -> tuple[float, float, float, float]: ...

    def native_footprint(self, crs: Any) -> tuple[tuple[float, float, float, float], float]:
        ...


def grid_gap(source: Footprinted, tms: morecantile.TileMatrixSet) -> str | None:
    """Why ``tms`` cannot serve the layer ``source`` (a :class:`tiles.source.LayerSource`);
    ``None`` when it can.

    Parameters
    ----------
    source
        The layer's data (its ``lonlat_bounds`` and ``native_footprint`` are read).
    tms
        The tile matrix set.

    Returns
    -------
    str or None
        "does not cover the extent (...)" naming the grid's area and the layer's extent,
        for a refusal message; ``None`` when the grid overlaps the layer.
    """
    bounds = source.lonlat_bounds
    crs = tms.crs._pyproj_crs
    area = crs.area_of_use
    where = f"(its CRS is for {_fmt(area.bounds)})" if area is not None else ""
    if area is not None and not (
            _overlaps_lon((bounds[0], bounds[2]), (area.west, area.east))
            and bounds[1] < area.north and area.south < bounds[3]):
        return f"{where} does not cover the extent ({_fmt(bounds)})".lstrip()
    try:
        (x0, y0, x1, y1), _ = source.native_footprint(tms.rasterio_crs)
    except Exception:  # no transformation into the grid's CRS
        return f"{where} cannot hold the extent ({_fmt(bounds)})".lstrip()
    gx0, gy0, gx1, gy1 = tms.xy_bbox
    finite = all(math.isfinite(v) for v in (x0, y0, x1, y1))
    if not (finite and x0 < gx1 and gx0 < x1 and y0 < gy1 and gy0 < y1):
        return f"{where} does not cover the extent ({_fmt(bounds)})".lstrip()
    return None
