"""OGC WMTS 1.0.0 GetCapabilities, in the RESTful and the KVP binding, for served layers.

The document follows the schema order of ``wmtsGetCapabilities_response.xsd`` (checked in
the tests against the official schemas): ServiceIdentification (with AccessConstraints),
ServiceProvider, OperationsMetadata, Contents (layers with a legend per style, every
format served, and their TileMatrixSetLinks with limits; then the TileMatrixSets) and
ServiceMetadataURL. Tile matrix sets come from morecantile (:mod:`tiles.grids`); each is
offered at 256 px and, as ``<name>512``, at 512 px (the ``@2x`` tiles).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import morecantile

from tiles.grids import no_wrap_bounds, short_decimal, tile_matrix_set, world_span
from tiles.xmltext import escape, quoteattr

__all__ = ["FORMATS", "MATRIX_SET_ALIASES", "WmtsLayer", "WmtsService", "capabilities_xml",
           "exception_report", "matrix_level", "split_matrix_set"]

FORMATS = ("image/png", "image/webp")
"""Tile formats every layer is served in."""

_EXT = {"image/png": "png", "image/webp": "webp"}


@dataclass(frozen=True)
class WmtsLayer:
    """What the capabilities document says about one layer.

    ``matrix_sets`` maps a tile matrix set name to the layer's ``(min, max)`` zoom in it
    and its bounds in that set's CRS.
    """

    name: str
    title: str
    bounds: tuple[float, float, float, float]
    matrix_sets: dict[str, tuple[int, int, tuple[float, float, float, float]]]
    abstract: str = ""
    legend_url: str | None = None
    keywords: tuple[str, ...] = ()
    date: str | None = None
    """The day (``YYYY-MM-DD``) of a layer of one date of a cube variable (a serve layer's
    ``date:``): in the KVP binding the one value and default of its ``time`` dimension,
    which GetTile checks ``TIME`` against; of a layer of every date (``dates: all``), the
    default, its latest."""
    dates: tuple[str, ...] = ()
    """Every date of a layer of every date (``dates: all``), in the cube's order: the
    ``Value``s of its ``time`` dimension; ``()`` for another layer."""


@dataclass(frozen=True)
class WmtsService:
    """Service-level metadata: ServiceIdentification and ServiceProvider."""

    title: str
    abstract: str = ""
    provider: str = "Prospect"
    provider_site: str | None = None
    contact_email: str | None = None
    access_constraints: str = "none"
    fees: str = "none"
    keywords: tuple[str, ...] = field(default=("prospectivity", "critical raw materials"))


MATRIX_SET_ALIASES = {"GoogleMapsCompatible": "WebMercatorQuad",
                      "EPSG:3857": "WebMercatorQuad", "EPSG:900913": "WebMercatorQuad"}
"""Other servers' identifiers of the tile matrix set served as ``WebMercatorQuad``, read as
it in a WMTS request: the well-known scale set ``GoogleMapsCompatible`` (WMTS 1.0.0 Annex
E.4; ArcGIS Server's and MapProxy's identifier of it, and the one written in many a
client's URL template) and GeoServer's gridsets ``EPSG:3857`` / ``EPSG:900913``: 256 px
tiles of the same origin, extent and zoom levels. Each was "not served in tile matrix set",
though the tiles asked are the same tiles; capabilities keep naming ``WebMercatorQuad``
(and its ``WellKnownScaleSet``)."""


def split_matrix_set(name: str) -> tuple[str, int]:
    """``("WebMercatorQuad", 512)`` for ``"WebMercatorQuad512"``; 256 px otherwise (a bare
    ``"512"`` is a name, not an empty one at 512 px); another server's name of Web Mercator
    (:data:`MATRIX_SET_ALIASES`) as ``WebMercatorQuad``."""
    if name in MATRIX_SET_ALIASES:
        return MATRIX_SET_ALIASES[name], 256
    if name.endswith("512") and len(name) > 3:
        return name[:-3], 512
    return name, 256


def matrix_level(matrix: str, matrix_set: str) -> str:
    """The zoom level of TileMatrix identifier ``matrix`` in the set sent as
    ``matrix_set``: ``"8"`` for ``"8"``, and for GeoWebCache's identifiers, the set's name,
    a colon and the level (``EPSG:3857:8``, ``EPSG:900913:8``, ``GoogleMapsCompatible:8``:
    GeoServer's WMTS names every matrix so, and OpenLayers' and Leaflet's WMTS layers set up
    for GeoServer send them) when that name is one of the set asked
    (:func:`split_matrix_set`: the set, or another server's name of it). Such a request's
    set was read (:data:`MATRIX_SET_ALIASES`) but its matrix refused, so every tile of a
    client moved from GeoServer was a 400. Anything else comes back as it was, to be
    checked and refused as a level."""
    prefix, colon, level = matrix.rpartition(":")
    if colon and prefix and split_matrix_set(prefix) == split_matrix_set(matrix_set):
        return level
    return matrix


def exception_report(code: str, message: str, locator: str | None = None) -> str:
    """An OWS 1.1 ExceptionReport, as WMTS 1.0.0 (07-057r7, 8.2.2) answers a refused KVP
    request: ``code`` is the exceptionCode (``MissingParameterValue``,
    ``InvalidParameterValue``, ``TileOutOfRange``, ``OperationNotSupported``,
    ``NoApplicableCode``), ``locator`` the parameter at fault."""
    where = f" locator={quoteattr(locator)}" if locator else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<ExceptionReport xmlns="http://www.opengis.net/ows/1.1" version="1.1.0" '
        'xml:lang="en">'
        f"<Exception exceptionCode={quoteattr(code)}{where}>"
        f"<ExceptionText>{escape(message)}</ExceptionText></Exception></ExceptionReport>\n"
    )


def _decimal_text(value: float) -> str:
    """``value`` as written where it is a short decimal with float noise: ``12288000`` for
    RD New's level 0, computed as ``12288000.000000002`` (3440.64 m / 0.28 mm; PDOK and the
    Dutch NL profile write ``12288000``): :func:`tiles.grids.short_decimal`; else
    Python's shortest repr, so a value that needs its digits (Web Mercator's
    ``559082264.0287178``, the GoogleMapsCompatible scale set's) is written as before."""
    return short_decimal(value) or repr(value)


def _crs_urn(tms: morecantile.TileMatrixSet) -> str:
    epsg = tms.crs.to_epsg()
    return f"urn:ogc:def:crs:EPSG::{epsg}" if epsg else tms.crs.srs


def _matrix_set_xml(name: str, max_zoom: int) -> str:
    base, size = split_matrix_set(name)
    tms = tile_matrix_set(base)
    parts = ["<TileMatrixSet>", f"<ows:Identifier>{escape(name)}</ows:Identifier>",
             f"<ows:SupportedCRS>{_crs_urn(tms)}</ows:SupportedCRS>"]
    if base == "WebMercatorQuad" and size == 256:
        parts.append("<WellKnownScaleSet>urn:ogc:def:wkss:OGC:1.0:GoogleMapsCompatible"
                     "</WellKnownScaleSet>")
    for z in range(tms.minzoom, min(max_zoom, tms.maxzoom) + 1):
        m = tms.matrix(z)
        ox, oy = m.pointOfOrigin
        factor = m.tileWidth / size
        parts.append(
            "<TileMatrix>"
            f"<ows:Identifier>{z}</ows:Identifier>"
            f"<ScaleDenominator>{_decimal_text(m.scaleDenominator * factor)}"
            "</ScaleDenominator>"
            f"<TopLeftCorner>{ox!r} {oy!r}</TopLeftCorner>"
            f"<TileWidth>{size}</TileWidth><TileHeight>{size}</TileHeight>"
            f"<MatrixWidth>{m.matrixWidth}</MatrixWidth>"
            f"<MatrixHeight>{m.matrixHeight}</MatrixHeight>"
            "</TileMatrix>"
        )
    parts.append("</TileMatrixSet>")
    return "".join(parts)


def _limits(tms: morecantile.TileMatrixSet, bounds: tuple[float, float, float, float],
            min_zoom: int, max_zoom: int) -> str:
    left, bottom, right, top = bounds
    span = world_span(tms.rasterio_crs.to_wkt())
    out = []
    for z in range(min_zoom, max_zoom + 1):
        m = tms.matrix(z)
        ul = tms._tile(left, top, z)
        lr = tms._tile(right - 1e-6, bottom + 1e-6, z)
        x0, x1 = max(0, ul.x), min(m.matrixWidth - 1, lr.x)
        if span is not None and right > span[1]:
            # data across the antimeridian run on past the east edge, into the first
            # columns: one range of columns holds both sides only as the whole row (the
            # limits left out the columns east of 180, which QGIS then never asked for)
            x0, x1 = 0, m.matrixWidth - 1
        y0, y1 = max(0, ul.y), min(m.matrixHeight - 1, lr.y)
        out.append(
            f"<TileMatrixLimits><TileMatrix>{z}</TileMatrix>"
            f"<MinTileRow>{y0}</MinTileRow><MaxTileRow>{y1}</MaxTileRow>"
            f"<MinTileCol>{x0}</MinTileCol><MaxTileCol>{x1}</MaxTileCol>"
            "</TileMatrixLimits>"
        )
    return f"<TileMatrixSetLimits>{''.join(out)}</TileMatrixSetLimits>"


def _keywords(words: Sequence[str]) -> str:
    if not words:
        return ""
    return ("<ows:Keywords>" + "".join(f"<ows:Keyword>{escape(w)}</ows:Keyword>" for w in words)
            + "</ows:Keywords>")


def _operation(name: str, href: str, encodings: Sequence[str]) -> str:
    values = "".join(f"<ows:Value>{e}</ows:Value>" for e in encodings)
    return (
        f'<ows:Operation name="{name}"><ows:DCP><ows:HTTP>'
        f"<ows:Get xlink:href={quoteattr(href)}>"
        f'<ows:Constraint name="GetEncoding"><ows:AllowedValues>{values}</ows:AllowedValues>'
        "</ows:Constraint></ows:Get></ows:HTTP></ows:DCP></ows:Operation>"
    )


def _time_dimension(layer: WmtsLayer) -> str:
    """The ``time`` ``Dimension`` (07-057r7 table 9) of a layer of one date, its date the
    one ``Value`` and the ``Default``; ``""`` for another layer. In the REST binding its
    ``ResourceURL`` templates hold a ``{Time}`` segment (:func:`_layer_xml`; 07-057r7
    10.2.1: each dimension's identifier in braces), which the server's tile route takes:
    the REST capabilities declared no time, so a time-aware client placed the layer at no
    date and its ``{Time}`` had nowhere to go."""
    if layer.date is None:
        return ""
    day = escape(layer.date)
    values = "".join(f"<Value>{escape(d)}</Value>" for d in layer.dates or (layer.date,))
    return ("<Dimension><ows:Identifier>time</ows:Identifier><ows:UOM>ISO8601</ows:UOM>"
            f"<Default>{day}</Default>{values}</Dimension>")


def _layer_xml(layer: WmtsLayer, *, base_url: str, q: str, binding: str,
               matrix_sets: list[str]) -> str:
    # OWS 1.1's WGS84BoundingBox is a lower and an upper corner: across 180 the whole row.
    # GDAL's WMTS driver took 179.5 .. -179.5 for -179.5 .. 179.5, every longitude but the
    # layer's, and read the layer as an empty raster.
    west, south, east, north = no_wrap_bounds(layer.bounds)
    legend = ""
    if layer.legend_url:
        legend = (f'<LegendURL format="image/png" xlink:href={quoteattr(layer.legend_url)}/>')
    links, resources = [], []
    for name in matrix_sets:
        base, _ = split_matrix_set(name)
        if base not in layer.matrix_sets:
            continue
        lo, hi, native = layer.matrix_sets[base]
        links.append(
            f"<TileMatrixSetLink><TileMatrixSet>{escape(name)}</TileMatrixSet>"
            f"{_limits(tile_matrix_set(base), native, lo, hi)}</TileMatrixSetLink>"
        )
    if binding == "rest":
        for fmt in FORMATS:
            time = "" if layer.date is None else "{Time}/"
            template = (f"{base_url}/wmts/1.0.0/{layer.name}/{{Style}}/{time}"
                        f"{{TileMatrixSet}}/{{TileMatrix}}/{{TileRow}}/{{TileCol}}."
                        f"{_EXT[fmt]}{q}")
            resources.append(f'<ResourceURL format="{fmt}" resourceType="tile" '
                             f"template={quoteattr(template)}/>")
    return (
        "<Layer>"
        f"<ows:Title>{escape(layer.title)}</ows:Title>"
        + (f"<ows:Abstract>{escape(layer.abstract)}</ows:Abstract>" if layer.abstract else "")
        + _keywords(layer.keywords)
        + "<ows:WGS84BoundingBox>"
        f"<ows:LowerCorner>{west!r} {south!r}</ows:LowerCorner>"
        f"<ows:UpperCorner>{east!r} {north!r}</ows:UpperCorner>"
        "</ows:WGS84BoundingBox>"
        f"<ows:Identifier>{escape(layer.name)}</ows:Identifier>"
        '<Style isDefault="true"><ows:Title>default</ows:Title>'
        f"<ows:Identifier>default</ows:Identifier>{legend}</Style>"
        + "".join(f"<Format>{fmt}</Format>" for fmt in FORMATS)
        + _time_dimension(layer)
        + "".join(links) + "".join(resources)
        + "</Layer>"
    )


def capabilities_xml(
    layers: list[WmtsLayer], *, base_url: str, service: WmtsService, query: str = "",
    binding: Literal["rest", "kvp"] = "rest",
) -> str:
    """The GetCapabilities document.

    Parameters
    ----------
    layers
        Layers the caller may read (others are not listed).
    base_url
        Server root, e.g. ``http://127.0.0.1:8080``.
    service
        Title, provider, access constraints and fees.
    query
        Query string carried into every URL (e.g. ``key=...``: clients which cannot send
        headers, like GDAL, carry the agency key).
    binding
        ``rest`` (ResourceURL templates) or ``kvp`` (``/wmts?SERVICE=WMTS&REQUEST=GetTile``).
    """
    q = f"?{query}" if query else ""
    used = sorted({name for layer in layers for name in layer.matrix_sets},
                  key=lambda n: (n != "WebMercatorQuad", n))
    matrix_sets = [n + suffix for n in used for suffix in ("", "512")]
    max_zoom = {n: max(la.matrix_sets[n][1] for la in layers if n in la.matrix_sets)
                for n in used}
    layer_xml = "".join(_layer_xml(la, base_url=base_url, q=q, binding=binding,
                                   matrix_sets=matrix_sets) for la in layers)
    sets_xml = "".join(_matrix_set_xml(n, max_zoom[split_matrix_set(n)[0]])
                       for n in matrix_sets)
    kvp_href = f"{base_url}/wmts?{query + '&' if query else ''}"
    rest_caps = f"{base_url}/wmts/1.0.0/WMTSCapabilities.xml{q}"
    own_url = rest_caps if binding == "rest" else (
        f"{kvp_href}SERVICE=WMTS&REQUEST=GetCapabilities")
    if binding == "rest":
        ops = _operation("GetCapabilities", rest_caps, ["RESTful"]) + _operation(
            "GetTile", f"{base_url}/wmts/1.0.0/{q}", ["RESTful"])
    else:
        ops = _operation("GetCapabilities", kvp_href, ["KVP"]) + _operation(
            "GetTile", kvp_href, ["KVP"])
    s = service
    site = f"<ows:ProviderSite xlink:href={quoteattr(s.provider_site)}/>" if s.provider_site \
        else ""
    contact = ("<ows:ContactInfo><ows:Address><ows:ElectronicMailAddress>"
               f"{escape(s.contact_email)}</ows:ElectronicMailAddress></ows:Address>"
               "</ows:ContactInfo>") if s.contact_email else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<Capabilities xmlns="http://www.opengis.net/wmts/1.0" '
        'xmlns:ows="http://www.opengis.net/ows/1.1" '
        'xmlns:xlink="http://www.w3.org/1999/xlink" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xsi:schemaLocation="http://www.opengis.net/wmts/1.0 '
        'http://schemas.opengis.net/wmts/1.0/wmtsGetCapabilities_response.xsd" '
        'version="1.0.0">'
        "<ows:ServiceIdentification>"
        f"<ows:Title>{escape(s.title)}</ows:Title>"
        + (f"<ows:Abstract>{escape(s.abstract)}</ows:Abstract>" if s.abstract else "")
        + _keywords(s.keywords)
        + "<ows:ServiceType>OGC WMTS</ows:ServiceType>"
        "<ows:ServiceTypeVersion>1.0.0</ows:ServiceTypeVersion>"
        f"<ows:Fees>{escape(s.fees)}</ows:Fees>"
        f"<ows:AccessConstraints>{escape(s.access_constraints)}</ows:AccessConstraints>"
        "</ows:ServiceIdentification>"
        "<ows:ServiceProvider>"
        f"<ows:ProviderName>{escape(s.provider)}</ows:ProviderName>{site}"
        f"<ows:ServiceContact>{contact}</ows:ServiceContact>"
        "</ows:ServiceProvider>"
        f"<ows:OperationsMetadata>{ops}</ows:OperationsMetadata>"
        f"<Contents>{layer_xml}{sets_xml}</Contents>"
        f"<ServiceMetadataURL xlink:href={quoteattr(own_url)}/>"
        "</Capabilities>\n"
    )
