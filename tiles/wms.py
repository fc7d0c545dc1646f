"""OGC WMS 1.3.0 and 1.1.1: GetCapabilities documents and the parsing of GetMap /
GetFeatureInfo.

Each layer is offered in CRS:84, EPSG:4326 (latitude first, as WMS 1.3.0 requires),
EPSG:3857 and its own CRS. The capabilities document follows ``capabilities_1_3_0.xsd``
(checked in the tests against the official schemas); GetLegendGraphic (the SLD extension
QGIS and ArcGIS use) is served, listed in ``<Request>`` (``sld:GetLegendGraphic`` in 1.3.0,
whose schema takes extended operations from the SLD 1.1 schema it names beside its own)
and each style's LegendURL points at it.

WMS 1.1.1, which many clients (ArcGIS among them) still send, is served too: its
capabilities (``WMT_MS_Capabilities``), ``SRS=`` in place of ``CRS=``, BBOX always in x/y
(longitude first for EPSG:4326), GetFeatureInfo's ``X``/``Y`` and its ServiceException
format. A GetCapabilities request negotiates the version as the standards say
(:func:`negotiate_version`); any other request must name 1.1.1 or 1.3.0.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

import pyproj
import rasterio.crs
import rasterio.errors

from tiles.grids import unwrapped_lon
from tiles.http import ApiError, plus_hint, url_integer, url_number
from tiles.xmltext import escape, quoteattr

__all__ = [
    "EXCEPTION_FORMATS",
    "EXCEPTION_TYPES",
    "MAP_FORMATS",
    "MAX_DRAWN_PIXELS",
    "MAX_LAYERS",
    "MAX_SIZE",
    "MAX_WORLD_COPIES",
    "MEDIA_TYPE_ALIASES",
    "VERSIONS",
    "VERSION_ALIASES",
    "WEB_MERCATOR_ALIASES",
    "MapRequest",
    "WmsLayer",
    "capabilities_xml",
    "capabilities_xml_111",
    "check_crs",
    "crs_alias",
    "crs_problem",
    "exception_canvas",
    "exception_mode",
    "exception_xml",
    "geographic_crs",
    "layer_names",
    "legend_density",
    "legend_size",
    "negotiate_version",
    "north_first",
    "offered_crs",
    "offered_format",
    "parse_map_request",
    "pixel_count",
    "pixel_position",
    "query_params",
    "request_version",
    "served_version",
]

MAX_SIZE = 4096
"""Largest WIDTH / HEIGHT of a GetMap image."""

MAX_LAYERS = 8
"""Most layers one GetMap or GetFeatureInfo names (``LayerLimit`` in the capabilities)."""

MAX_DRAWN_PIXELS = MAX_SIZE * MAX_SIZE
"""Most pixels one GetMap draws over all its layers (WIDTH x HEIGHT x layers): each layer is
read and warped at the full image size, so fourteen layers at 4096 x 4096 kept the server
busy for minutes."""

MAX_WORLD_COPIES = 16
"""Most copies of the world one GetMap BBOX may span (in a CRS whose world repeats along x:
:func:`tiles.grids.world_span`). Each copy is read apart; a web map at zoom 0 on a wide
screen shows about 15."""

MAP_FORMATS = ("image/png", "image/webp")
INFO_FORMATS = ("application/json", "text/plain", "text/html", "application/vnd.ogc.gml",
                "text/xml")
"""GetFeatureInfo's formats: GeoJSON, text, HTML and GML 2 (a ``wfs:FeatureCollection``,
as MapServer and GeoServer answer ``application/vnd.ogc.gml`` and ``text/xml``; the
format QGIS and ArcGIS ask first)."""
BASE_CRS = ("CRS:84", "EPSG:4326", "EPSG:3857")
VERSIONS = ("1.1.1", "1.3.0")
"""The WMS versions served, oldest first."""

VERSION_ALIASES = {"1.1.0": "1.1.1"}
"""Versions read as a served one (:func:`served_version`): WMS 1.1.0's GetMap,
GetFeatureInfo and GetLegendGraphic take the parameters of 1.1.1, its corrigendum (``SRS``,
a BBOX in x/y order, ``X``/``Y``, the ``application/vnd.ogc.se_*`` exceptions), and are
answered as 1.1.1 requests; they were refused "VERSION '1.1.0' is not served" (in 1.3.0's
XML), though GetCapabilities already answered a 1.1.0 client in 1.1.1."""

EXCEPTION_TYPES = {"1.1.1": "application/vnd.ogc.se_xml", "1.3.0": "text/xml"}
"""Media type of a ServiceExceptionReport in each version."""

EXCEPTION_FORMATS = {
    "1.3.0": ("XML", "INIMAGE", "BLANK"),
    "1.1.1": ("application/vnd.ogc.se_xml", "application/vnd.ogc.se_inimage",
              "application/vnd.ogc.se_blank"),
}
"""The ``EXCEPTIONS`` values of each version (WMS 1.3.0 7.3.3.11, 1.1.1 7.2.3.11), in the
order of :func:`exception_mode`'s answers: a ServiceExceptionReport, the message drawn in
an image of the requested FORMAT and size, a blank image."""


@dataclass(frozen=True)
class WmsLayer:
    """A layer as the WMS capabilities document describes it."""

    name: str
    title: str
    bounds: tuple[float, float, float, float]
    crs: str
    native_bounds: tuple[float, float, float, float]
    legend_url: str
    abstract: str = ""
    attribution: str = ""
    legend_size: tuple[int, int] = (320, 84)
    """Width and height of the legend at ``legend_url`` (a class map's is as tall as its
    classes need: :func:`tiles.legend.class_legend_height`)."""
    date: str | None = None
    """The day (``YYYY-MM-DD``) of a layer of one date of a cube variable over dates (a
    serve layer's ``date:``): declared as the one value and default of its ``time``
    dimension (:func:`_time_dimension`), which GetMap and GetFeatureInfo check ``TIME``
    against; of a layer of every date (``dates: all``), the default, its latest."""
    dates: tuple[str, ...] = ()
    """Every date of a layer of every date (``dates: all``), in the cube's order: the
    values of its ``time`` dimension, ``TIME=`` picking the map; ``()`` for another."""


def _time_dimension(layer: WmsLayer, version: str) -> str:
    """The ``time`` dimension of a layer of one date (WMS 1.3.0 annex C.2: a
    ``Dimension`` holding its extent; 1.1.1 annex C: a ``Dimension`` declaring it and an
    ``Extent`` holding its values), or ``""``. A time-aware client (QGIS's temporal
    controller) placed such a layer at no date, and its ``TIME=`` was ignored."""
    if layer.date is None:
        return ""
    day = escape(layer.date)
    values = ",".join(escape(d) for d in layer.dates) or day
    if version == "1.1.1":
        return ('<Dimension name="time" units="ISO8601"/>'
                f'<Extent name="time" default="{day}" nearestValue="0">{values}</Extent>')
    return (f'<Dimension name="time" units="ISO8601" default="{day}" nearestValue="0">'
            f"{values}</Dimension>")


@dataclass(frozen=True)
class MapRequest:
    """A checked GetMap / GetFeatureInfo request: layers, CRS, bbox in x/y order, size,
    and the background (``bgcolor`` fills the image where no layer has data when it is not
    ``transparent``)."""

    layers: list[str]
    crs: str
    bbox: tuple[float, float, float, float]
    width: int
    height: int
    fmt: str
    transparent: bool
    bgcolor: tuple[int, int, int] = (255, 255, 255)
    version: str = "1.3.0"


def query_params(params: Mapping[str, str]) -> dict[str, str]:
    """Query parameters with upper-case names (WMS names are case-insensitive)."""
    return {k.upper(): v for k, v in params.items()}


_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]*:[A-Za-z0-9_.-]+")
"""A CRS identifier as WMS writes one: ``AUTHORITY:CODE``."""


@lru_cache(maxsize=256)
def crs_problem(crs: str) -> str | None:
    """Why ``crs`` cannot be served; ``None`` when it can.

    A map (or a point of one) needs a 2-D horizontal CRS of the Earth that transforms to
    WGS 84: geocentric, vertical, compound and 3-D CRSs, and CRSs of other bodies (the
    Moon's ``IAU_2015:30100``) are refused. Memoised: asked on every GetMap.

    Parameters
    ----------
    crs
        The request's ``CRS`` value.

    Returns
    -------
    str or None
        A phrase that completes "CRS 'X' ..." for the refusal, or ``None``.
    """
    if crs.upper() == "CRS:84":
        return None
    if not crs:
        return "is missing"
    if crs.upper().startswith(("AUTO2:", "AUTO:")):  # WMS's own, refused as "not a CRS"
        return ("is an automatic projection (WMS 1.3.0 annex B, AUTO2:42001 for UTM and "
                "the like), which this server does not offer (its capabilities list none)")
    if not _IDENTIFIER.fullmatch(crs):  # " +proj=longlat" (a '+' read as a space): a 500
        return ("is not a CRS identifier: WMS names a CRS as AUTHORITY:CODE (EPSG:4326, "
                "CRS:84) or by OGC's URN or URI of one (urn:ogc:def:crs:EPSG::4326, "
                "http://www.opengis.net/def/crs/EPSG/0/4326), not as a PROJ string or WKT")
    try:
        parsed = pyproj.CRS.from_user_input(crs)
        rasterio.crs.CRS.from_user_input(crs)  # the reader that draws the map must know it
    except (pyproj.exceptions.CRSError, rasterio.errors.CRSError):
        return "is not a known CRS"
    if (len(parsed.axis_info) != 2 or parsed.is_compound or parsed.is_vertical
            or not (parsed.is_geographic or parsed.is_projected)):
        return (f"is a {parsed.type_name}, not a 2-D horizontal CRS a map can be drawn in "
                "(geocentric, vertical and 3-D CRSs are not)")
    try:
        pyproj.Transformer.from_crs(parsed, "EPSG:4326", always_xy=True)
    except pyproj.exceptions.ProjError:
        return "has no transformation to WGS 84 (EPSG:4326): it is not a CRS of the Earth"
    return None


WEB_MERCATOR_ALIASES = frozenset({
    "EPSG:900913", "EPSG:102100", "EPSG:102113", "EPSG:3785", "EPSG:41001",
    "ESRI:102100", "ESRI:102113", "OSGEO:41001",
})
"""Names clients give Web Mercator besides EPSG:3857: Google's ``900913``, ArcGIS's
``102100`` and ``102113`` (sent in the EPSG namespace), the withdrawn ``3785`` and OSGeo's
``41001``. Each is drawn as EPSG:3857, as GeoServer and MapServer do: ``EPSG:102113`` and
``EPSG:41001`` were refused as unknown CRSs, and the others printed GDAL's "not a valid CRS
code" / "deprecated" warnings into the server's log on every map."""


_OGC_URN = re.compile(
    r"urn:(?:x-)?ogc:def:crs:([A-Za-z][A-Za-z0-9_]*):(?:[0-9.]*:)?([A-Za-z0-9_.-]+)",
    re.IGNORECASE)
"""An OGC URN of a CRS: ``urn:ogc:def:crs:EPSG::4326`` (the version empty or
``EPSG:6.6:4326``), ``urn:ogc:def:crs:OGC:1.3:CRS84``, and the older
``urn:x-ogc:def:crs:EPSG:4326``."""

_OGC_URI = re.compile(
    r"https?://www\.opengis\.net/def/crs/([A-Za-z][A-Za-z0-9_]*)/[0-9.]*/([A-Za-z0-9_.-]+)/?",
    re.IGNORECASE)
"""An OGC HTTP URI of a CRS: ``http://www.opengis.net/def/crs/EPSG/0/4326``,
``http://www.opengis.net/def/crs/OGC/1.3/CRS84``."""


def _identifier(crs: str) -> str:
    """``crs`` written as an OGC URN or HTTP URI (:data:`_OGC_URN`, :data:`_OGC_URI`) as
    the ``AUTHORITY:CODE`` it names (OGC's ``CRS84`` as WMS's ``CRS:84``); any other value
    unchanged. Both name the CRS with its authority's axis order, as ``EPSG:4326`` does
    in WMS 1.3.0 (latitude first), so the BBOX is read alike."""
    text = crs.strip()
    found = _OGC_URN.fullmatch(text) or _OGC_URI.fullmatch(text)
    if found is None:
        return crs
    authority, code = found.group(1).upper(), found.group(2)
    if authority == "OGC" and code.upper() == "CRS84":
        return "CRS:84"
    return f"{authority}:{code.upper() if authority == 'OGC' else code}"


def _bbox_crs(parts: list[str], crs: str, crs_name: str) -> list[str]:
    """The four numbers of a BBOX written ``minx,miny,maxx,maxy,crs`` (OGC 06-121r9
    10.2.3's form, which GeoServer reads and OWSLib and OGC API clients write), whose
    ``crs`` names the map's ``crs``; refused naming both when it names another. The
    BBOX was refused as "must be four numbers" of a CRS the request itself gave."""
    named = crs_alias(parts[4].strip())
    if named.strip().upper() != crs.strip().upper():
        raise ApiError(400, f"BBOX names CRS {parts[4][:60]!r} after its numbers, but "
                            f"{crs_name}={crs[:40]!r}: give the BBOX in {crs[:40]}, or "
                            f"set {crs_name}={parts[4][:60]}", locator="BBOX")
    return parts[:4]


def crs_alias(crs: str) -> str:
    """``crs`` as the identifier it is drawn in: an OGC URN or HTTP URI
    (``urn:ogc:def:crs:EPSG::4326``, ``http://www.opengis.net/def/crs/EPSG/0/4326``, as
    OWSLib, ArcGIS and OGC API clients send them) read as ``AUTHORITY:CODE``, and a Web
    Mercator alias (:data:`WEB_MERCATOR_ALIASES`) as ``EPSG:3857``; any other value
    unchanged. Both forms were refused as "not a CRS identifier" of the CRS they name.

    An ``AUTHORITY:CODE`` is written with its authority in capitals (``epsg:4326`` as
    ``EPSG:4326``, ``crs:84`` as ``CRS:84``; authorities are case-insensitive, as PROJ
    reads them): the same map asked in either spelling was drawn under two ETags, and a
    cache or a browser held it twice."""
    crs = _identifier(crs)
    if crs.strip().upper() in WEB_MERCATOR_ALIASES:
        return "EPSG:3857"
    if _IDENTIFIER.fullmatch(crs):
        authority, _, code = crs.partition(":")
        upper = authority.upper()
        return f"{upper}:{code.upper() if upper in ('OGC', 'CRS') else code}"
    return crs


def check_crs(crs: str, *, name: str = "CRS") -> None:
    """Refuse ``crs`` (HTTP 400, WMS code ``InvalidCRS``, ``InvalidSRS`` when ``name`` is
    1.1.1's ``SRS``) when a map cannot be drawn in it (see :func:`crs_problem`)."""
    problem = crs_problem(crs)
    if problem is not None:
        raise ApiError(400, f"{name} {crs[:40]!r} {problem}; use CRS:84, EPSG:4326, "
                            "EPSG:3857, the layer's own CRS or another 2-D EPSG code",
                       code=f"Invalid{name}", locator=name)


def _version_key(text: str) -> tuple[int, ...] | None:
    parts = text.split(".")
    if len(parts) != 3 or not all(p.isascii() and p.isdigit() and len(p) <= 4 for p in parts):
        return None
    return tuple(int(p) for p in parts)


def negotiate_version(q: Mapping[str, str]) -> str:
    """The version a GetCapabilities request is answered in (WMS 1.3.0 6.2.4).

    ``VERSION`` (or 1.0's ``WMTVER``) served: that one; none, or one that is not
    ``x.y.z``: the newest (1.3.0); one between or after the served ones: the newest one
    below it; one before them all: the oldest (1.1.1).
    """
    asked = _version_key(q.get("VERSION") or q.get("WMTVER") or "")
    if asked is None:
        return VERSIONS[-1]
    below = [v for v in VERSIONS if (_version_key(v) or ()) <= asked]
    return below[-1] if below else VERSIONS[0]


def served_version(text: str) -> str | None:
    """The served version (:data:`VERSIONS`) a request's ``VERSION`` names: itself, or the
    one it is read as (:data:`VERSION_ALIASES`, 1.1.0 as 1.1.1); ``None`` for any other."""
    text = VERSION_ALIASES.get(text, text)
    return text if text in VERSIONS else None


def request_version(q: Mapping[str, str]) -> str:
    """The version of a GetMap / GetFeatureInfo request: ``VERSION`` (1.3.0 when left out),
    which must be one served (:data:`VERSIONS`) or read as one (:func:`served_version`)."""
    asked = q.get("VERSION") or q.get("WMTVER") or "1.3.0"
    version = served_version(asked)
    if version is None:
        raise ApiError(400, f"WMS VERSION {asked[:16]!r} is not served; give VERSION=1.3.0 "
                            "or VERSION=1.1.1 (GetCapabilities lists the layers)",
                       locator="VERSION")
    return version


@lru_cache(maxsize=64)
def north_first(crs: str) -> bool:
    """Does ``crs`` list northing/latitude first (so WMS 1.3.0 BBOX is y, x)?

    As GDAL decides it (``OSRSpatialReference::EPSGTreatsAsNorthingEasting``, which its
    WMS client, QGIS's, follows): a first axis pointing north or south with a second
    pointing east or west (EPSG:4326, 3035, 2180); in a polar CRS, whose two axes point
    along meridians (both ``north`` in EPSG:3031, both ``south`` in EPSG:3413 and
    Greenland's EPSG:5938), the axes' names: northing before easting (UPS, EPSG:32661),
    else easting first. The direction of the first axis alone took the polar
    stereographic CRSs' easting for a northing: their 1.3.0 BBOX was read with its axes
    swapped (a map of another place, 200) and their capabilities' BoundingBox written so.

    ``crs`` must have passed :func:`check_crs`.
    """
    if crs.upper() == "CRS:84":
        return False
    axes = pyproj.CRS.from_user_input(crs).axis_info
    if len(axes) < 2:
        return False
    first, second = (a.direction.lower() for a in axes[:2])
    if first in ("north", "south") and second in ("east", "west"):
        return True
    if first == second and first in ("north", "south"):  # a polar CRS: by the axes' names
        return (axes[0].name.lower().startswith("northing")
                and axes[1].name.lower().startswith("easting"))
    return False


def offered_crs(crs: str) -> list[str]:
    """The CRSs a layer in ``crs`` is offered in: :data:`BASE_CRS` and its own, when that
    has an identifier (``EPSG:32619``). A CRS known only by its WKT (data written with a
    PROJ string) is not listed: WMS names CRSs by identifier, and its quotes in the
    ``CRS="..."`` attribute made the whole capabilities document unparseable."""
    own = [crs] if re.fullmatch(r"[A-Za-z][A-Za-z0-9_.-]*:[A-Za-z0-9_.:-]+", crs) else []
    return list(dict.fromkeys([*BASE_CRS, *own]))


def _bbox_attrs(crs: str, bounds: tuple[float, float, float, float]) -> str:
    x0, y0, x1, y1 = bounds
    if north_first(crs):
        x0, y0, x1, y1 = y0, x0, y1, x1
    return f'CRS={quoteattr(crs)} minx="{x0!r}" miny="{y0!r}" maxx="{x1!r}" maxy="{y1!r}"'


def lonlat_envelope(bounds: tuple[float, float, float, float]
                    ) -> tuple[float, float, float, float]:
    """Lon/lat ``bounds`` as a ``BoundingBox`` (or 1.1.1's ``LatLonBoundingBox``) states
    them, min before max: across the antimeridian east counted on past 180 (179.5 to
    180.5), a BBOX the server draws. West > east was a BBOX that WMS calls invalid (minx
    > maxx): GDAL's WMS driver (QGIS's) took the layer's 1.3.0 ``CRS:84`` box for its
    GetMap and could not open the layer."""
    west, east = unwrapped_lon(bounds)
    return (west, bounds[1], east, bounds[3])


@lru_cache(maxsize=64)
def _latitude_range(crs: str) -> tuple[float, float]:
    """The latitudes of the area where ``crs`` is defined (its EPSG area of use; the whole
    globe when it states none): Web Mercator's end at 85.06 degrees."""
    from tiles.grids import WEB_MERCATOR_MAX_LAT

    if crs.upper() == "EPSG:3857":  # its area of use is rounded, to 85.06
        return -WEB_MERCATOR_MAX_LAT, WEB_MERCATOR_MAX_LAT
    area = pyproj.CRS.from_user_input(crs).area_of_use
    return (-90.0, 90.0) if area is None else (area.south, area.north)


def _crs_bounds(layer: WmsLayer, crs: str) -> tuple[float, float, float, float] | None:
    """The layer's box in ``crs`` as a ``BoundingBox`` states it (x/y order), or ``None``
    when no part of the layer lies where ``crs`` is defined.

    In another CRS than the layer's own and lon/lat, the layer's latitudes are cut to the
    CRS's area of use first: a layer reaching a pole (a whole-world grid, Antarctica) was
    given an EPSG:3857 box to y = +-242528680, twelve times as tall as Web Mercator's
    world, where a client that zoomed to the layer drew it as a strip in a blank view.
    """
    if crs == layer.crs:
        return layer.native_bounds
    if crs in ("CRS:84", "EPSG:4326"):
        return lonlat_envelope(layer.bounds)
    low, high = _latitude_range(crs)
    west, south, east, north = layer.bounds
    south, north = max(south, low), min(north, high)
    if south >= north:
        return None
    t = pyproj.Transformer.from_crs("OGC:CRS84", crs, always_xy=True)
    box = tuple(float(v) for v in t.transform_bounds(west, south, east, north,
                                                     densify_pts=21))
    if not all(math.isfinite(v) for v in box):
        return None
    return box  # type: ignore[return-value]


def _geographic_bbox(w: float, s: float, e: float, n: float) -> str:
    """A WMS 1.3.0 ``EX_GeographicBoundingBox`` in lon/lat degrees."""
    return ("<EX_GeographicBoundingBox>"
            f"<westBoundLongitude>{w!r}</westBoundLongitude>"
            f"<eastBoundLongitude>{e!r}</eastBoundLongitude>"
            f"<southBoundLatitude>{s!r}</southBoundLatitude>"
            f"<northBoundLatitude>{n!r}</northBoundLatitude>"
            "</EX_GeographicBoundingBox>")


def _layer_xml(layer: WmsLayer) -> str:
    w, s, e, n = layer.bounds
    crs_list = offered_crs(layer.crs)
    attribution = (f"<Attribution><Title>{escape(layer.attribution)}</Title></Attribution>"
                   if layer.attribution else "")
    return (
        '<Layer queryable="1" opaque="0">'
        f"<Name>{escape(layer.name)}</Name><Title>{escape(layer.title)}</Title>"
        + (f"<Abstract>{escape(layer.abstract)}</Abstract>" if layer.abstract else "")
        + "".join(f"<CRS>{escape(c)}</CRS>" for c in crs_list)
        + _geographic_bbox(w, s, e, n)
        + "".join(f"<BoundingBox {_bbox_attrs(c, box)}/>" for c in crs_list
                  if (box := _crs_bounds(layer, c)) is not None)
        + _time_dimension(layer, "1.3.0")
        + attribution
        + "<Style><Name>default</Name><Title>default</Title>"
        f'<LegendURL width="{layer.legend_size[0]}" height="{layer.legend_size[1]}">'
        "<Format>image/png</Format>"
        '<OnlineResource xmlns:xlink="http://www.w3.org/1999/xlink" xlink:type="simple" '
        f"xlink:href={quoteattr(layer.legend_url)}/></LegendURL></Style>"
        "</Layer>"
    )


SLD_NAMESPACE = "http://www.opengis.net/sld"
SLD_CAPABILITIES_SCHEMA = "http://schemas.opengis.net/sld/1.1.0/sld_capabilities.xsd"
"""Where WMS 1.3.0's ``sld:GetLegendGraphic`` is declared (SLD 1.1, OGC 05-078r4): the
capabilities name it in ``xsi:schemaLocation`` beside the WMS schema."""


def _request(name: str, formats: tuple[str, ...], href: str) -> str:
    return (
        f"<{name}>" + "".join(f"<Format>{f}</Format>" for f in formats)
        + "<DCPType><HTTP><Get><OnlineResource xlink:type=\"simple\" "
        f"xlink:href={quoteattr(href)}/></Get></HTTP></DCPType></{name}>"
    )


def _union_bounds(layers: Sequence[WmsLayer]) -> tuple[float, float, float, float]:
    """The lon/lat box of every layer of ``layers`` (the whole world when none).

    A layer across the antimeridian (west > east: Fiji's 178.4 to -179.6) makes the box
    run the whole circle of longitudes: the min/max of the layers' wests and easts (-68 to
    -67 beside a Bonaire layer) held neither Fiji nor, often, the other layers, and a
    client that reads the root box to zoom to or to ask for the server's layers saw none of
    Fiji's."""
    if not layers:
        return -180.0, -90.0, 180.0, 90.0
    south = min(la.bounds[1] for la in layers)
    north = max(la.bounds[3] for la in layers)
    if any(la.bounds[0] > la.bounds[2] for la in layers):
        return -180.0, south, 180.0, north
    return (min(la.bounds[0] for la in layers), south,
            max(la.bounds[2] for la in layers), north)


def capabilities_xml(
    layers: list[WmsLayer], *, base_url: str, title: str, abstract: str = "",
    query: str = "", access_constraints: str = "none", fees: str = "none",
    contact_person: str | None = None, contact_organisation: str = "Prospect",
) -> str:
    """The WMS 1.3.0 GetCapabilities document for ``layers`` (the ones the caller may read)."""
    href = f"{base_url}/wms?{query + '&' if query else ''}"
    crs_all = list(dict.fromkeys(c for la in layers for c in offered_crs(la.crs))) or \
        list(BASE_CRS)
    w, s, e, n = _union_bounds(layers)
    contact = (
        "<ContactInformation><ContactPersonPrimary>"
        f"<ContactPerson>{escape(contact_person or '')}</ContactPerson>"
        f"<ContactOrganization>{escape(contact_organisation)}</ContactOrganization>"
        "</ContactPersonPrimary></ContactInformation>"
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<WMS_Capabilities version="1.3.0" xmlns="http://www.opengis.net/wms" '
        'xmlns:xlink="http://www.w3.org/1999/xlink" '
        'xmlns:sld="http://www.opengis.net/sld" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xsi:schemaLocation="http://www.opengis.net/wms '
        'http://schemas.opengis.net/wms/1.3.0/capabilities_1_3_0.xsd '
        f'{SLD_NAMESPACE} {SLD_CAPABILITIES_SCHEMA}">'
        "<Service><Name>WMS</Name>"
        f"<Title>{escape(title)}</Title>"
        + (f"<Abstract>{escape(abstract)}</Abstract>" if abstract else "")
        + f'<OnlineResource xlink:type="simple" xlink:href={quoteattr(base_url + "/")}/>'
        + contact
        + f"<Fees>{escape(fees)}</Fees><AccessConstraints>{escape(access_constraints)}"
        f"</AccessConstraints><LayerLimit>{MAX_LAYERS}</LayerLimit>"
        f"<MaxWidth>{MAX_SIZE}</MaxWidth><MaxHeight>{MAX_SIZE}</MaxHeight>"
        "</Service>"
        "<Capability><Request>"
        + _request("GetCapabilities", ("text/xml",), href)
        + _request("GetMap", MAP_FORMATS, href)
        + _request("GetFeatureInfo", INFO_FORMATS, href)
        # an extended operation: the SLD 1.1 schema declares it in wms:_ExtendedOperation's
        # substitution group, so a validator reads it with both schemas (schemaLocation)
        + _request("sld:GetLegendGraphic", ("image/png",), href)
        + "</Request><Exception>"
        + "".join(f"<Format>{f}</Format>" for f in EXCEPTION_FORMATS["1.3.0"])
        + "</Exception>"
        f"<Layer><Title>{escape(title)}</Title>"
        + "".join(f"<CRS>{escape(c)}</CRS>" for c in crs_all)
        + _geographic_bbox(w, s, e, n)
        + "".join(_layer_xml(la) for la in layers)
        + "</Layer></Capability></WMS_Capabilities>\n"
    )


def _layer_xml_111(layer: WmsLayer) -> str:
    w, s, e, n = lonlat_envelope(layer.bounds)
    srs_list = [c for c in offered_crs(layer.crs) if c != "CRS:84"]
    attribution = (f"<Attribution><Title>{escape(layer.attribution)}</Title></Attribution>"
                   if layer.attribution else "")
    boxes = "".join(  # WMS 1.1.1 BoundingBox: always x/y (longitude first for EPSG:4326)
        f"<BoundingBox SRS={quoteattr(c)} " + 'minx="{!r}" miny="{!r}" maxx="{!r}" '
        'maxy="{!r}"/>'.format(*box) for c in srs_list
        if (box := _crs_bounds(layer, c)) is not None)
    return (
        '<Layer queryable="1" opaque="0">'
        f"<Name>{escape(layer.name)}</Name><Title>{escape(layer.title)}</Title>"
        + (f"<Abstract>{escape(layer.abstract)}</Abstract>" if layer.abstract else "")
        + "".join(f"<SRS>{escape(c)}</SRS>" for c in srs_list)
        + f'<LatLonBoundingBox minx="{w!r}" miny="{s!r}" maxx="{e!r}" maxy="{n!r}"/>'
        + boxes + _time_dimension(layer, "1.1.1") + attribution
        + "<Style><Name>default</Name><Title>default</Title>"
        f'<LegendURL width="{layer.legend_size[0]}" height="{layer.legend_size[1]}">'
        "<Format>image/png</Format>"
        '<OnlineResource xmlns:xlink="http://www.w3.org/1999/xlink" xlink:type="simple" '
        f"xlink:href={quoteattr(layer.legend_url)}/></LegendURL></Style>"
        "</Layer>"
    )


def capabilities_xml_111(
    layers: list[WmsLayer], *, base_url: str, title: str, abstract: str = "",
    query: str = "", access_constraints: str = "none", fees: str = "none",
    contact_organisation: str = "Prospect",
) -> str:
    """The WMS 1.1.1 GetCapabilities document (``WMT_MS_Capabilities``, after
    ``WMS_MS_Capabilities.dtd``) for ``layers``: the same layers, bounds and operations
    as :func:`capabilities_xml`, in 1.1.1's ``SRS`` and x/y ``BoundingBox``."""
    href = f"{base_url}/wms?{query + '&' if query else ''}"
    srs_all = [c for c in dict.fromkeys(c for la in layers for c in offered_crs(la.crs))
               if c != "CRS:84"] or [c for c in BASE_CRS if c != "CRS:84"]
    w, s, e, n = _union_bounds(layers)

    def request(name: str, formats: tuple[str, ...]) -> str:
        return (f"<{name}>" + "".join(f"<Format>{f}</Format>" for f in formats)
                + '<DCPType><HTTP><Get><OnlineResource xmlns:xlink="http://www.w3.org/1999/'
                f'xlink" xlink:type="simple" xlink:href={quoteattr(href)}/></Get></HTTP>'
                f"</DCPType></{name}>")

    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<!DOCTYPE WMT_MS_Capabilities SYSTEM '
        '"http://schemas.opengis.net/wms/1.1.1/WMS_MS_Capabilities.dtd">\n'
        '<WMT_MS_Capabilities version="1.1.1">'
        f"<Service><Name>OGC:WMS</Name><Title>{escape(title)}</Title>"
        + (f"<Abstract>{escape(abstract)}</Abstract>" if abstract else "")
        + '<OnlineResource xmlns:xlink="http://www.w3.org/1999/xlink" xlink:type="simple" '
        f"xlink:href={quoteattr(base_url + '/')}/>"
        "<ContactInformation><ContactPersonPrimary><ContactPerson></ContactPerson>"
        f"<ContactOrganization>{escape(contact_organisation)}</ContactOrganization>"
        "</ContactPersonPrimary></ContactInformation>"
        f"<Fees>{escape(fees)}</Fees><AccessConstraints>{escape(access_constraints)}"
        "</AccessConstraints></Service>"
        "<Capability><Request>"
        + request("GetCapabilities", ("application/vnd.ogc.wms_xml",))
        + request("GetMap", MAP_FORMATS)
        + request("GetFeatureInfo", INFO_FORMATS)
        # the SLD profile's operation, in the DTD's Request (ArcGIS reads it from here)
        + request("GetLegendGraphic", ("image/png",))
        + "</Request><Exception>"
        + "".join(f"<Format>{f}</Format>" for f in EXCEPTION_FORMATS["1.1.1"])
        + "</Exception>"
        f"<Layer><Title>{escape(title)}</Title>"
        + "".join(f"<SRS>{escape(c)}</SRS>" for c in srs_all)
        + f'<LatLonBoundingBox minx="{w!r}" miny="{s!r}" maxx="{e!r}" maxy="{n!r}"/>'
        + "".join(_layer_xml_111(la) for la in layers)
        + "</Layer></Capability></WMT_MS_Capabilities>\n"
    )


_CODES_111 = {"InvalidCRS": "InvalidSRS"}
"""WMS 1.3.0 exception codes that 1.1.1 names otherwise."""


def exception_xml(code: str, message: str, locator: str | None = None,
                  version: str = "1.3.0") -> str:
    """A WMS ServiceExceptionReport (``locator``: the parameter at fault) in the format of
    ``version``: 1.3.0's (namespaced, with ``locator``) or 1.1.1's (its DTD, no locator;
    media type in :data:`EXCEPTION_TYPES`)."""
    if version == "1.1.1":
        code = _CODES_111.get(code, code)
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<!DOCTYPE ServiceExceptionReport SYSTEM '
            '"http://schemas.opengis.net/wms/1.1.1/exception_1_1_1.dtd">\n'
            f'<ServiceExceptionReport version="1.1.1"><ServiceException code={quoteattr(code)}>'
            f"{escape(message)}</ServiceException></ServiceExceptionReport>\n"
        )
    where = f" locator={quoteattr(locator)}" if locator else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<ServiceExceptionReport version="1.3.0" xmlns="http://www.opengis.net/ogc">'
        f"<ServiceException code={quoteattr(code)}{where}>{escape(message)}</ServiceException>"
        "</ServiceExceptionReport>\n"
    )


def exception_mode(q: Mapping[str, str], version: str) -> str:
    """How a refusal of request ``q`` is answered: ``"xml"``, ``"inimage"`` or ``"blank"``.

    ``EXCEPTIONS`` takes its version's values (:data:`EXCEPTION_FORMATS`; either version's
    are understood in both, compared without case, as MapServer and GeoServer do); left
    out, the refusal is XML. Any other value is refused (400 ``InvalidParameterValue``,
    locator ``EXCEPTIONS``) naming the values served: it was ignored, and the client that
    asked for an image got XML it cannot show.
    """
    text = q.get("EXCEPTIONS", "")
    if not text:
        return "xml"
    asked = text.strip().lower()
    for names in EXCEPTION_FORMATS.values():
        for name, mode in zip(names, ("xml", "inimage", "blank"), strict=True):
            if asked == name.lower():
                return mode
    if asked == "text/xml":  # 1.3.0's exception media type, as some send it
        return "xml"
    raise ApiError(400, f"EXCEPTIONS {text[:40]!r} is not served; WMS {version} answers "
                        f"EXCEPTIONS={', '.join(EXCEPTION_FORMATS[version])} (a "
                        "ServiceExceptionReport, the message in the image, a blank image)",
                   locator="EXCEPTIONS")


_UNSUPPORTED = ("SLD", "SLD_BODY")
"""Styling parameters of the SLD profile that this server does not apply."""


def layer_names(q: Mapping[str, str], key: str = "LAYERS") -> list[str]:
    """The comma-separated layer names of ``q[key]`` (none when it is absent or empty).

    An empty entry (``LAYERS=a,,b``, a trailing comma) is refused (400 ``LayerNotDefined``,
    ``locator`` the parameter): it was skipped, and the map drawn without the layer the
    client meant there.
    """
    text = q.get(key, "")
    if not text:
        return []
    names = text.split(",")
    if "" in names:
        place = names.index("") + 1
        raise ApiError(400, f"{key} {text[:80]!r} has an empty layer name (entry {place} of "
                            f"{len(names)}); give each layer's name once, separated by single "
                            "commas (GetCapabilities lists the names)",
                       code="LayerNotDefined", locator=key)
    return names


MEDIA_TYPE_ALIASES = {
    "image/png8": "image/png", "image/png24": "image/png", "image/png32": "image/png",
    "image/x-png": "image/png",
    "application/geo+json": "application/json", "application/vnd.geo+json": "application/json",
    "application/geojson": "application/json", "geojson": "application/json",
}
"""Other servers' names of a media type offered here, read as it (lower case): GeoServer's
and MapServer's ``image/png8`` (a PNG of 256 colours), ``image/png24`` and ``png32``
(ArcGIS), the old ``image/x-png``; QGIS Server's and OGC API's ``application/geo+json``
(RFC 7946's GeoJSON), its older ``vnd.geo+json`` and MapServer's ``geojson`` for
GetFeatureInfo's GeoJSON. Each was ``InvalidFormat``, though the answer is the same PNG
or GeoJSON a client of those servers reads; the answer's Content-Type is the offered one."""


def offered_format(text: str, offered: Sequence[str], *, name: str) -> str:
    """``text`` as the one of the ``offered`` media types it names, or a 400
    ``InvalidFormat`` naming the parameter ``name``.

    Media types are compared without case (RFC 6838: ``image/PNG`` is ``image/png``); the
    offered spelling is returned, for the answer's Content-Type. Parameters after a ``;``
    are ignored (GeoServer's and MapProxy's ``image/png; mode=8bit``, QGIS's
    ``image/png;mode=32bit``: a PNG either way; they were ``InvalidFormat``). JPEG is
    refused saying why (lossy colours, no transparency) and what draws an opaque map
    instead.
    """
    asked = text.partition(";")[0].strip().lower()
    lowered = {f.lower(): f for f in offered}
    found = lowered.get(asked) or lowered.get(MEDIA_TYPE_ALIASES.get(asked, ""))
    if found is None:
        why = (" (JPEG is not served: it is lossy, so its colours no longer match the "
               "legend's values, and it has no transparency; image/png with "
               "TRANSPARENT=FALSE and BGCOLOR draws an opaque map)"
               if asked in ("image/jpeg", "image/jpg") else
               " (GetCapabilities lists the formats)")
        raise ApiError(400, f"{name} must be one of {', '.join(offered)}, got {text[:40]!r}"
                       + why, code="InvalidFormat", locator=name)
    return found


@lru_cache(maxsize=64)
def geographic_crs(crs: str) -> bool:
    """Is ``crs`` (one :func:`check_crs` passed) a geographic CRS (latitude, longitude)?"""
    return bool(pyproj.CRS.from_user_input(crs).is_geographic)


def _check_latitudes(crs: str, box: Sequence[float], *, version: str, north_first: bool,
                     text: str) -> None:
    """Refuse a BBOX of a geographic CRS whose latitudes lie beyond +-90 degrees.

    No map exists there, and the usual cause is a longitude given as the latitude (WMS
    1.3.0's EPSG:4326 is latitude first; 1.1.1's and CRS:84 longitude first): the map came
    back blank, 200, as if the layer had no data there (Vietnam's 103-108 E read as
    latitudes).
    """
    if crs.upper() != "CRS:84" and not geographic_crs(crs):
        return
    south, north = box[1], box[3]
    if south >= -90.0 and north <= 90.0:
        return
    order = ("latitude, longitude (minlat,minlon,maxlat,maxlon)" if north_first else
             "longitude, latitude (minlon,minlat,maxlon,maxlat)")
    raise ApiError(400, f"BBOX {text[:80]!r} puts latitudes at {south:g}..{north:g}, beyond "
                        f"-90..90: in WMS {version} with {crs[:40]} the BBOX is in {order} "
                        "order; swap the axes if the numbers are right",
                   locator="BBOX")


def _inverted_bbox(text: str, box: Sequence[float | None], crs: str, version: str,
                   lat_first: bool) -> str:
    """The refusal of a BBOX whose min is not below its max on an axis, naming the axis,
    its two numbers and the order the BBOX is read in: it said "BBOX must have min < max
    on both axes", naming neither the values nor which axis, and a client that wrote the
    corners top-left first (minx,maxy,maxx,miny) or the axes in the other order could not
    tell which."""
    degrees = crs.upper() == "CRS:84" or geographic_crs(crs)
    if lat_first:  # 1.3.0's EPSG:4326, or a projected CRS northing first (EPSG:3035)
        names = ("minlat", "minlon", "maxlat", "maxlon") if degrees else (
            "miny", "minx", "maxy", "maxx")
    else:
        names = ("minlon", "minlat", "maxlon", "maxlat") if degrees else (
            "minx", "miny", "maxx", "maxy")
    bad = next(k for k in (0, 1) if not (box[k] or 0.0) < (box[k + 2] or 0.0))
    lo, hi = box[bad], box[bad + 2]
    how = "is not below" if lo != hi else "equals"
    return (f"BBOX {text[:80]!r}: {names[bad]} {lo:.15g} {how} {names[bad + 2]} {hi:.15g}; in WMS "
            f"{version} with {crs[:40]} the BBOX is {','.join(names)} (the map's lower left "
            "corner, then its upper right), each min below its max")


def _check_world_copies(crs: str, box: Sequence[float], *, text: str) -> None:
    """Refuse a BBOX spanning more than :data:`MAX_WORLD_COPIES` copies of the world.

    A BBOX past the antimeridian is drawn copy by copy (:func:`tiles.grids.world_pieces`);
    a BBOX of a million degrees would be thousands of reads for a map in which the world
    is less than a pixel wide.
    """
    from tiles.grids import world_span

    span = world_span(crs)
    if span is None:
        _check_area(crs, box, text=text)
        return
    copies = (box[2] - box[0]) / (span[1] - span[0])
    if copies > MAX_WORLD_COPIES:
        raise ApiError(400, f"BBOX {text[:80]!r} spans {copies:.3g} copies of the world (one "
                            f"is {span[1] - span[0]:.10g} wide in {crs[:40]}); a map shows at "
                            f"most {MAX_WORLD_COPIES}: ask for a narrower BBOX",
                       locator="BBOX")


@lru_cache(maxsize=64)
def _area_extent(crs: str) -> float | None:
    """The larger side, in ``crs``'s units, of the area where ``crs`` is defined (its
    EPSG area of use, projected); ``None`` when it states none."""
    parsed = pyproj.CRS.from_user_input(crs)
    area = parsed.area_of_use
    if area is None:
        return None
    try:
        x0, y0, x1, y1 = pyproj.Transformer.from_crs(
            "OGC:CRS84", parsed, always_xy=True).transform_bounds(*area.bounds,
                                                                  densify_pts=21)
    except pyproj.exceptions.ProjError:
        return None
    side = max(x1 - x0, y1 - y0)
    return side if math.isfinite(side) and side > 0 else None


def _check_area(crs: str, box: Sequence[float], *, text: str) -> None:
    """Refuse a BBOX of a CRS whose world does not repeat (UTM, a national grid) that is
    more than :data:`MAX_WORLD_COPIES` times as wide or tall as the whole area where the
    CRS is defined.

    ``BBOX=-1e300,-1e300,1e300,1e300`` in UTM 19N drew a blank map, 200, over a layer
    inside it: no place of the Earth is a pixel of such a map (one pixel of it is
    billions of Earths), and a web map's widest view of a national grid is a few times
    its area. In CRSs whose world repeats the copies are counted instead.
    """
    side = _area_extent(crs)
    if side is None:
        return
    times = max(box[2] - box[0], box[3] - box[1]) / side
    if times > MAX_WORLD_COPIES:
        raise ApiError(400, f"BBOX {text[:80]!r} is {times:.3g} times as large as the whole "
                            f"area where {crs[:40]} is defined ({side:.10g} across in its "
                            f"units); a map shows at most {MAX_WORLD_COPIES} times that: give "
                            "the BBOX in the CRS's own units, or a narrower one",
                       locator="BBOX")


_WHOLE_DECIMAL = re.compile(r"([0-9]{1,9})\.0*")
"""A whole number written as a decimal (``64.0``, ``256.``): JavaScript clients that size a
map by arithmetic (OpenLayers' and Leaflet's WMS plugins at a device pixel ratio) write so."""
_FRACTION = re.compile(r"[0-9]{1,9}\.[0-9]+")


def pixel_count(text: str) -> int | None:
    """``text`` as a whole number of pixels: ASCII digits (:func:`tiles.http.url_integer`), or
    a whole number written as a decimal (``64.0``); ``None`` otherwise (``64.5``, ``1e2``).

    ``WIDTH=64.0`` was refused "must be an integer", though it names 64 pixels exactly.
    """
    value = url_integer(text)
    if value is None and (whole := _WHOLE_DECIMAL.fullmatch(text)) is not None:
        value = int(whole.group(1))
    return value


def pixel_position(text: str) -> int | None:
    """``text`` as the pixel a GetFeatureInfo ``I``/``J`` (``X``/``Y``) falls in: a whole
    number (:func:`pixel_count`), or a position within a pixel (``123.6``, as Leaflet's
    container points are at fractional zooms) read as that pixel (123); ``None`` otherwise.

    A fractional position was refused "must be integer pixel positions", the click lost.
    """
    value = pixel_count(text)
    if value is None and _FRACTION.fullmatch(text):
        value = int(text.split(".", 1)[0])
    return value


def _fraction_hint(text: str) -> str:
    """How to write a fractional pixel count (``64.5``) as the whole number meant."""
    if not _FRACTION.fullmatch(text):
        return ""
    low = int(float(text))
    return f"; a map is a whole number of pixels: round it ({low} or {low + 1})"


def _int(q: dict[str, str], name: str, hi: int) -> int:
    text = q.get(name, "")
    value = pixel_count(text)
    if value is None or not 1 <= value <= hi:
        limit = f" (Max{name.title()} in the capabilities)" if hi == MAX_SIZE else ""
        raise ApiError(400, f"{name} must be an integer 1..{hi}{limit}, got {text[:16]!r}"
                            f"{_fraction_hint(text)}", locator=name)
    return value


def _check_styles(q: dict[str, str], names: list[str]) -> None:
    """Refuse a ``STYLES`` list that names a style the layers lack or has another length
    than ``LAYERS`` (empty, or left out: the default style of every layer)."""
    text = q.get("STYLES", "")
    if not text:
        return
    styles = text.split(",")
    unknown = [style for style in styles if style not in ("", "default")]
    if unknown:
        raise ApiError(400, f"unknown style {unknown[0][:40]!r} in STYLES; every layer's only "
                            "style is 'default' (STYLES= asks for the default of each)",
                       code="StyleNotDefined", locator="STYLES")
    if len(styles) != len(names):
        raise ApiError(400, f"STYLES lists {len(styles)} styles for {len(names)} LAYERS; give "
                            "one per layer, or STYLES= for the default of each",
                       locator="STYLES")


_BOOLEAN_SPELLINGS = {"1": "TRUE", "0": "FALSE"}
"""``TRANSPARENT`` as JavaScript clients write it (``transparent: 1`` in a Leaflet WMS
layer's options becomes ``TRANSPARENT=1``): it was refused, every tile a 400, though the
meaning is plain. Words other than TRUE and FALSE (``yes``) are still refused."""


def _css_name_hex(name: str) -> str | None:
    """The ``RRGGBB`` digits of a CSS colour name (``white``, ``navy``; any case), or None."""
    from PIL import ImageColor

    hex_digits = ImageColor.colormap.get(name.strip().lower())
    return hex_digits[1:].upper() if isinstance(hex_digits, str) else None


def _colour_fix(colour: str) -> str:
    """What to write for a ``BGCOLOR`` in a form not read: the value in ``0xRRGGBB`` where
    its meaning is plain (a CSS name, six bare digits, CSS's ``#RRGGBBAA``), else ''."""
    named = _css_name_hex(colour)
    if named is not None:  # a page's CSS colour name: its value, not a guess
        return f": write BGCOLOR=0x{named} (CSS's {colour.strip().lower()!r})"
    if re.fullmatch(r"[0-9A-Fa-f]{6}", colour):
        return f": write BGCOLOR=0x{colour}"
    alpha = re.fullmatch(r"#([0-9A-Fa-f]{6})[0-9A-Fa-f]{2}", colour)
    if alpha is not None:  # CSS's alpha digits: WMS has TRANSPARENT for that
        return (f": a background has no alpha here; write BGCOLOR=0x{alpha.group(1)}, or "
                "TRANSPARENT=TRUE for a transparent map")
    return ""


def _background(q: dict[str, str]) -> tuple[bool, tuple[int, int, int]]:
    """``TRANSPARENT`` (TRUE or FALSE, any case, or ``1``/``0``; FALSE when left out, as
    WMS 1.1.1 and 1.3.0 both say) and ``BGCOLOR`` (``0xRRGGBB``, or CSS's ``#RRGGBB`` and
    ``#RGB``: web clients' layer options written as CSS colours were refused, every map a
    400). A CSS colour name (``white``) is refused, naming its ``0xRRGGBB``."""
    transparent = q.get("TRANSPARENT", "FALSE")
    transparent = _BOOLEAN_SPELLINGS.get(transparent.upper(), transparent)
    if transparent.upper() not in ("TRUE", "FALSE"):
        raise ApiError(400, f"TRANSPARENT must be TRUE or FALSE, got {transparent[:16]!r}",
                       locator="TRANSPARENT")
    colour = q.get("BGCOLOR", "0xFFFFFF")
    short = re.fullmatch(r"#([0-9A-Fa-f]{3})", colour)  # CSS's #fff: #ffffff, as pages read it
    if short is not None:
        colour = "#" + "".join(digit * 2 for digit in short.group(1))
    written = re.fullmatch(r"(?:0[xX]|#)([0-9A-Fa-f]{6})", colour)
    if written is None:
        raise ApiError(400, "BGCOLOR must be a colour written 0xRRGGBB (e.g. 0xFFFFFF for "
                            f"white), got {colour[:16]!r}" + _colour_fix(colour[:40]),
                       locator="BGCOLOR")
    rgb = int(written.group(1), 16)
    return transparent.upper() == "TRUE", (rgb >> 16, (rgb >> 8) & 0xFF, rgb & 0xFF)


def legend_size(q: Mapping[str, str], *, what: str = "GetLegendGraphic {}"
                ) -> tuple[int, int]:
    """The ``(width, height)`` of a GetLegendGraphic image: ``WIDTH`` and ``HEIGHT`` (SLD
    1.1 10.2: the size of the legend image in pixels), each 1..:data:`MAX_LEGEND_SIZE`;
    left out, the size every LegendURL names (:data:`tiles.legend.LEGEND_SIZE`). Both were
    ignored: the legend was always 320 x 84, and ``WIDTH=abc`` drew it. ``what``: how a
    refusal names the parameter (``{}`` its name)."""
    from tiles.legend import LEGEND_SIZE, MAX_LEGEND_SIZE

    size = []
    for name, default in zip(("WIDTH", "HEIGHT"), LEGEND_SIZE, strict=True):
        text = q.get(name)
        if text is None:
            size.append(default)
            continue
        value = pixel_count(text)
        if value is None or not 1 <= value <= MAX_LEGEND_SIZE:
            raise ApiError(400, f"{what.format(name)} must be an integer 1.."
                                f"{MAX_LEGEND_SIZE} (pixels), got {text[:16]!r}"
                                f"{_fraction_hint(text)}; leave it "
                                f"out for the legend's own size ({LEGEND_SIZE[0]} x "
                                f"{LEGEND_SIZE[1]})", locator=name)
        size.append(value)
    return size[0], size[1]


STANDARD_DPI = 0.0254 / 0.00028
"""The dots per inch of OGC's standard rendering pixel (0.28 mm, WMS 1.3.0 7.2.4.6.9:
about 90.7), the density of a legend drawn at 1x."""

_DPI_PARAMETERS = ("LEGEND_OPTIONS", "DPI", "FORMAT_OPTIONS", "MAP_RESOLUTION")
"""Where a GetLegendGraphic states its dots per inch: GeoServer's ``LEGEND_OPTIONS=dpi:180``
and ``FORMAT_OPTIONS=dpi:180`` (options ``name:value`` split by ``;``), its ``DPI=180``
vendor parameter (QGIS sends it too), and MapServer's and QGIS Server's
``MAP_RESOLUTION=180``."""


def _stated_dpi(name: str, text: str) -> str | None:
    """The ``dpi`` value parameter ``name`` states in ``text`` (the parameter's own value,
    or its ``dpi:`` option for the ``*_OPTIONS`` ones), or ``None`` where it states none."""
    if not name.endswith("_OPTIONS"):
        return text
    for option in text.split(";"):
        key, colon, value = option.partition(":")
        if colon and key.strip().lower() == "dpi":
            return value.strip()
    return None


def legend_density(q: Mapping[str, str], spelled: Mapping[str, str] | None = None
                   ) -> tuple[int, str | None]:
    """The density (1 or 2: :func:`tiles.legend.legend_png`'s ``scale``) a GetLegendGraphic
    asks in dots per inch (:data:`_DPI_PARAMETERS`), and a ``Warning`` value where the dpi
    asked is not one drawn (``None`` otherwise).

    ``LEGEND_OPTIONS=dpi:180`` (GeoServer's, as a print or a high-density screen asks the
    legend beside a map of that dpi), ``DPI=180`` and ``MAP_RESOLUTION=180`` were ignored:
    the 1x legend, half the size the client laid out, text and swatches too small to read
    in a print, without a word. Up to 1.5 times :data:`STANDARD_DPI` (136 dpi: 72, 90.7 and
    96 are screens of 1x) it is the 1x legend; above, the 2x one (twice the pixels, the
    same legend, as ``/legend/{layer}@2x.png``); past 2.7 times (245 dpi: a 300 dpi
    print) the 2x legend too, its ``Warning`` saying so. A dpi that is no number above 0,
    or two parameters asking different dpi, are a 400 naming the parameter.

    Parameters
    ----------
    q : Mapping[str, str]
        The request's parameters, names upper-cased.
    spelled : Mapping[str, str], optional
        Each upper-cased name as the URL wrote it (``{"DPI": "dpi"}``), for the words of
        the ``Warning`` and the refusals: the REST legend's ``?dpi=300`` was said back as
        ``DPI=300``. Left out, the upper-cased names (GetLegendGraphic's).

    Returns
    -------
    tuple[int, str or None]
        The density, and the ``Warning`` value or ``None``.
    """
    asked: list[tuple[str, str, float]] = []
    for name in _DPI_PARAMETERS:
        text = q.get(name)
        stated = None if text is None else _stated_dpi(name, text)
        if stated is None:
            continue
        shown = (spelled or {}).get(name, name)
        value = url_number(stated)
        if value is None or not 0 < value < math.inf:
            where = (f"{shown}={text[:40]!r}" if stated == text
                     else f"{shown} dpi:{stated[:16]!r}")
            raise ApiError(400, f"{where}: the legend's dots per inch must be a number above "
                                "0 (e.g. 96, or 180 for a high-density screen or a print); "
                                "leave it out for the 1x legend", locator=name)
        asked.append((f"{shown}={stated[:16]}" if stated == text else
                      f"{shown} dpi:{stated[:16]}", name, value))
    if not asked:
        return 1, None
    if len({value for _, _, value in asked}) > 1:
        given = " and ".join(said for said, _, _ in asked[:2])
        raise ApiError(400, f"{given} ask the legend at different dots per inch: give "
                            "one", locator=asked[1][1])
    said, _, dpi = asked[0]
    ratio = dpi / STANDARD_DPI
    if ratio <= 1.5:
        return 1, None
    if ratio <= 2.7:
        return 2, None
    return 2, (f'299 prospect "{said}: legends are drawn at 1x '
               f"({STANDARD_DPI:.1f} dpi) and 2x ({2 * STANDARD_DPI:.1f} dpi) only; this is "
               'the 2x legend, scale it in the client"')


def exception_canvas(q: dict[str, str], *, formats: Sequence[str] | None = None
                     ) -> tuple[int, int, str, bool, tuple[int, int, int]] | None:
    """``(width, height, format, transparent, bgcolor)`` of the image an ``INIMAGE`` or
    ``BLANK`` refusal of request ``q`` is drawn in, or ``None`` when the request's own
    WIDTH, HEIGHT, FORMAT, TRANSPARENT or BGCOLOR cannot make one (the refusal is then
    XML). GetLegendGraphic's size defaults to the legend's (320 x 84), its ``formats``
    (when not given) to PNG, a map's to :data:`MAP_FORMATS`."""
    legend = "LAYER" in q and "LAYERS" not in q
    if formats is None:
        formats = ("image/png",) if legend else MAP_FORMATS
    try:
        if legend:
            width, height = legend_size(q)
        else:
            width, height = _int(q, "WIDTH", MAX_SIZE), _int(q, "HEIGHT", MAX_SIZE)
        fmt = offered_format(q.get("FORMAT", "image/png"), formats, name="FORMAT")
        transparent, bgcolor = _background(q)
    except ApiError:
        return None
    return width, height, fmt, transparent, bgcolor


def parse_map_request(q: dict[str, str], *, layer_key: str = "LAYERS",
                      hint: Callable[[str], str] | None = None) -> MapRequest:
    """Check GetMap (or GetFeatureInfo) parameters; BBOX comes back in x/y (east, north) order.

    WMS 1.3.0 gives BBOX in the CRS's own axis order: ``EPSG:4326`` is
    ``lat_min,lon_min,lat_max,lon_max``; ``CRS:84``, ``EPSG:3857`` and projected CRSs
    are ``x_min,y_min,x_max,y_max``. WMS 1.1.1 names the CRS in ``SRS`` and gives BBOX in
    x/y order always. Numbers are read as a URL writes them
    (:func:`tiles.http.url_number`). ``STYLES`` may name only the default style;
    ``TRANSPARENT=FALSE`` (the default) fills the image with ``BGCOLOR`` (default white).
    At most :data:`MAX_LAYERS` layers, and a GetMap draws at most :data:`MAX_DRAWN_PIXELS`.
    A GetFeatureInfo's ``QUERY_LAYERS`` must be among its ``LAYERS`` (the map it asks
    about): ``LayerNotQueryable``. An empty entry in a layer list is ``LayerNotDefined``
    (:func:`layer_names`); media types are compared without case (:func:`offered_format`);
    a geographic BBOX with latitudes beyond +-90 is refused naming the axis order; SLD
    styling (``SLD``, ``SLD_BODY``) is refused, not ignored. ``hint`` gives what the
    refusal of a ``QUERY_LAYERS`` entry not among ``LAYERS`` adds (the layer its title or
    spelling means: :meth:`tiles.service.TileService.layer_hint`).
    """
    version = request_version(q)
    unsupported = [k for k in _UNSUPPORTED if k in q]
    if unsupported:  # the map came back in the default style, as if it were the one asked
        raise ApiError(400, f"{unsupported[0]} (a client's own SLD styling) is not supported: "
                            "this server draws each layer in its one style, 'default'; leave "
                            f"{unsupported[0]} out (GetLegendGraphic shows the style)",
                       locator=unsupported[0])
    names = layer_names(q, layer_key)
    if not names:
        raise ApiError(400, f"missing {layer_key}", locator=layer_key)
    if len(names) > MAX_LAYERS:
        raise ApiError(400, f"{layer_key} names {len(names)} layers; one request draws at most "
                            f"{MAX_LAYERS} (LayerLimit in the capabilities)", locator=layer_key)
    map_layers = layer_names(q, "LAYERS")
    if layer_key != "LAYERS":
        if not map_layers:
            raise ApiError(400, "missing LAYERS: GetFeatureInfo repeats the GetMap request of "
                                "the map it asks about, LAYERS included", locator="LAYERS")
        outside = [n for n in names if n not in map_layers]
        if outside:
            meant = hint(outside[0]) if hint is not None else ""
            raise ApiError(400, f"QUERY_LAYERS names {outside[0][:40]!r}{meant}, which is not "
                                "among LAYERS; a feature can be asked only of a layer of the "
                                "map",
                           code="LayerNotQueryable", locator="QUERY_LAYERS")
    _check_styles(q, map_layers or names)
    crs_name = "SRS" if version == "1.1.1" else "CRS"
    crs = crs_alias(q.get(crs_name, ""))
    if not crs and crs_name == "SRS" and "CRS" in q:
        raise ApiError(400, "WMS 1.1.1 names the map's CRS in SRS, not CRS (give "
                            "SRS=EPSG:4326, or VERSION=1.3.0 with CRS=)", locator="SRS")
    if not crs and crs_name == "CRS" and "SRS" in q:  # it said "CRS '' is missing"
        raise ApiError(400, "WMS 1.3.0 names the map's CRS in CRS, not SRS (give "
                            "CRS=EPSG:4326 with BBOX in latitude, longitude order, or "
                            "VERSION=1.1.1 with SRS=)", code="InvalidCRS", locator="CRS")
    check_crs(crs, name=crs_name)
    other = "CRS" if crs_name == "SRS" else "SRS"
    if q.get(other) and crs_alias(q[other]).strip().upper() != crs.strip().upper():
        # one was drawn, the other dropped without a word: a BBOX meant for the other
        raise ApiError(400, f"{other}={q[other][:40]!r} and {crs_name}={crs[:40]!r} name two "
                            f"CRSs; WMS {version} reads {crs_name} (1.3.0 names the map's CRS "
                            "CRS, 1.1.1 SRS): give the one of your VERSION, or both alike",
                       locator=other)
    lat_first = version == "1.3.0" and north_first(crs)
    parts = q.get("BBOX", "").split(",")
    if len(parts) == 5 and url_number(parts[4]) is None:
        parts = _bbox_crs(parts, crs, crs_name)
    box = [url_number(v) for v in parts]
    if len(box) != 4 or not all(v is not None and math.isfinite(v) for v in box):
        # inf drew a map; "1_000" was read as 1000
        order = "minlat,minlon,maxlat,maxlon" if lat_first else "minx,miny,maxx,maxy"
        raise ApiError(400, f"BBOX must be four numbers {order}"
                            + (f" (WMS 1.3.0 with {crs[:40]} is latitude first)"
                               if lat_first else "")
                            + f", got {q.get('BBOX', '')[:80]!r}"
                            + next((plus_hint(v) for v in q.get("BBOX", "").split(",")
                                    if plus_hint(v)), ""), locator="BBOX")
    box_xy = [float(v) for v in box if v is not None]
    if lat_first:
        box_xy = [box_xy[1], box_xy[0], box_xy[3], box_xy[2]]
    if not (box_xy[0] < box_xy[2] and box_xy[1] < box_xy[3]):
        raise ApiError(400, _inverted_bbox(q.get("BBOX", ""), box, crs, version, lat_first),
                       locator="BBOX")
    _check_latitudes(crs, box_xy, version=version, north_first=lat_first,
                     text=q.get("BBOX", ""))
    _check_world_copies("OGC:CRS84" if crs.upper() == "CRS:84" else crs, box_xy,
                        text=q.get("BBOX", ""))
    fmt = q.get("FORMAT", "image/png")
    if layer_key == "LAYERS":
        fmt = offered_format(fmt, MAP_FORMATS, name="FORMAT")
    width, height = _int(q, "WIDTH", MAX_SIZE), _int(q, "HEIGHT", MAX_SIZE)
    if layer_key == "LAYERS" and width * height * len(names) > MAX_DRAWN_PIXELS:
        raise ApiError(400, f"GetMap draws at most {MAX_DRAWN_PIXELS} pixels in all (WIDTH x "
                            f"HEIGHT x layers), got {width} x {height} x {len(names)}; ask for "
                            "a smaller image or fewer layers")
    transparent, bgcolor = _background(q)
    crs_out = "OGC:CRS84" if crs.upper() == "CRS:84" else crs
    return MapRequest(
        layers=names, crs=crs_out, bbox=(box_xy[0], box_xy[1], box_xy[2], box_xy[3]),
        width=width, height=height, fmt=fmt, transparent=transparent, bgcolor=bgcolor,
        version=version,
    )
