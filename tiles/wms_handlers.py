"""WMS endpoint ``/wms`` (1.3.0 and 1.1.1): GetCapabilities, GetMap, GetFeatureInfo,
GetLegendGraphic.

Refusals are WMS ServiceExceptionReports (XML, in the format of the request's version)
with the HTTP status of the refusal (a CRS a map cannot be drawn in: 400 ``InvalidCRS``,
1.1.1's ``InvalidSRS``; a layer whose files cannot be read: 503 with Retry-After); keys
are checked per layer exactly as for tiles. A GetMap or GetLegendGraphic that asks for
``EXCEPTIONS=INIMAGE`` or ``BLANK`` (1.1.1: ``application/vnd.ogc.se_inimage``,
``se_blank``) gets its refusal as an image of its FORMAT and size (:func:`_image_refusal`).
"""

from __future__ import annotations

import hashlib
import html
import json
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from pyproj import Transformer
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from prospect.canonical import jsonable
from tiles.colormap import ImageFormat, encode_image, render_rgba
from tiles.grids import short_bounds
from tiles.handlers import asked_legend_size, legend_for
from tiles.http import (
    ApiError,
    ignored_dimensions,
    read_refusal,
    refusal_headers,
    refuse_repeated,
    url_integer,
)
from tiles.legend import layer_palette
from tiles.service import Layer, TileService
from tiles.source import LayerDataError
from tiles.wms import (
    EXCEPTION_TYPES,
    INFO_FORMATS,
    MapRequest,
    WmsLayer,
    capabilities_xml,
    capabilities_xml_111,
    exception_canvas,
    exception_mode,
    exception_xml,
    geographic_crs,
    layer_names,
    legend_density,
    negotiate_version,
    north_first,
    offered_format,
    parse_map_request,
    pixel_position,
    query_params,
    served_version,
)
from tiles.xmltext import escape, quoteattr

__all__ = ["wms", "wms_refusal"]


def _exception(exc: ApiError, version: str = "1.3.0", mode: str = "xml",
               q: dict[str, str] | None = None) -> Response:
    if mode != "xml" and q is not None:
        image = _image_refusal(exc, q, mode)
        if image is not None:
            return image
    code = _code(exc)
    return Response(exception_xml(code, exc.message, exc.locator, version),
                    status_code=exc.status, media_type=EXCEPTION_TYPES[version],
                    headers=refusal_headers(exc.status, exc.headers))


def _code(exc: ApiError) -> str:
    return exc.code or {400: "InvalidParameterValue", 404: "LayerNotDefined"}.get(
        exc.status, "NoApplicableCode")


def _image_refusal(exc: ApiError, q: dict[str, str], mode: str) -> Response | None:
    """A refusal as the image WMS's ``INIMAGE`` / ``BLANK`` exceptions are (1.3.0
    7.3.3.11, 1.1.1 7.2.3.11): the request's FORMAT and WIDTH x HEIGHT, on its background
    (TRANSPARENT, BGCOLOR), with the exception code and message written in it (INIMAGE)
    or nothing (BLANK). ``None`` when the request's own size or format cannot make one.

    As MapServer and GeoServer answer, a refusal of the request's parameters (400, 404)
    is a 200, so that clients that show only images (QGIS, OpenLayers' image layers) show
    it; a refusal with a meaning of its own keeps its status and headers (401's challenge,
    429's and 503's Retry-After). Never cached: the image is not a map.
    """
    canvas = exception_canvas(q)
    if canvas is None:
        return None
    width, height, fmt, transparent, bgcolor = canvas
    rgba = np.zeros((height, width, 4), dtype=np.uint8)
    if not transparent:
        rgba[..., :3] = bgcolor
        rgba[..., 3] = 255
    if mode == "inimage":
        rgba = _write_message(rgba, f"{_code(exc)}: {exc.message}")
    status = 200 if exc.status in (400, 404) else exc.status
    headers = {**refusal_headers(exc.status, exc.headers), "Cache-Control": "no-store"}
    kind: ImageFormat = "webp" if fmt == "image/webp" else "png"
    return Response(encode_image(rgba, kind),
                    status_code=status, media_type=fmt, headers=headers)


def _write_message(rgba: np.ndarray, text: str) -> np.ndarray:
    """``text`` written in black (on a white box, so it shows on any background and in
    a transparent image), wrapped to the image's width, from its top left corner."""
    import textwrap

    from PIL import Image, ImageDraw, ImageFont

    image = Image.fromarray(rgba, mode="RGBA")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default()
    _, top, _, bottom = draw.textbbox((0, 0), "Mg", font=font)
    char_w = max(1.0, draw.textlength(text, font=font) / max(1, len(text)))
    line_h = max(1, int(bottom - top)) + 3
    lines = textwrap.wrap(text, width=max(1, int((image.width - 4) / char_w) - 1)) or [text]
    lines = lines[:max(1, (image.height - 4) // line_h)]
    box = draw.multiline_textbbox((2, 2), "\n".join(lines), font=font, spacing=3)
    draw.rectangle(box, fill=(255, 255, 255, 255))
    draw.multiline_text((2, 2), "\n".join(lines), font=font, fill=(0, 0, 0, 255), spacing=3)
    return np.asarray(image)


def wms_refusal(exc: ApiError, params: Mapping[str, str]) -> Response:
    """``exc`` as the ServiceExceptionReport a WMS client of the request with query
    ``params`` reads (its version's format, or the image its ``EXCEPTIONS`` asks for):
    for refusals made before the WMS handler runs (a URL too long, a server error)."""
    q = query_params(params)
    version = _answer_version(q)
    try:
        mode = _image_mode(q, version)
    except ApiError:
        mode = "xml"
    return _exception(exc, version, mode, q)


def _image_mode(q: dict[str, str], version: str) -> str:
    """The ``EXCEPTIONS`` mode of request ``q`` (:func:`exception_mode`; a bad value is
    refused): an image only for requests whose answer is an image (GetMap,
    GetLegendGraphic); GetFeatureInfo refusals are XML. GetCapabilities has no
    ``EXCEPTIONS`` parameter: there it is an unknown one, ignored (WMS 1.3.0 6.8.1)."""
    req = q.get("REQUEST", "").lower()
    if req not in ("getmap", "getfeatureinfo", "getlegendgraphic"):
        return "xml"
    mode = exception_mode(q, version)
    return mode if req != "getfeatureinfo" else "xml"


def _answer_version(q: dict[str, str]) -> str:
    """The version whose exception format answers the request: GetCapabilities's
    negotiated one, else the request's own when served (1.3.0's otherwise)."""
    if q.get("REQUEST", "").lower() == "getcapabilities":
        return negotiate_version(q)
    return served_version(q.get("VERSION") or q.get("WMTVER") or "") or "1.3.0"


async def wms(svc: TileService, request: Request) -> Response:
    """Dispatch on ``REQUEST``; every refusal is a ServiceExceptionReport."""
    q = query_params(request.query_params)
    version = _answer_version(q)
    mode = "xml"
    try:
        mode = _image_mode(q, version)
        svc.check_rate(request)  # a 429 in the client's XML too (it was JSON)
        refuse_repeated(request)
        if q.get("SERVICE", "WMS").upper() != "WMS":
            raise ApiError(400, f"SERVICE must be WMS, got {q['SERVICE'][:40]!r}",
                           locator="SERVICE")
        req = q.get("REQUEST", "").lower()
        if req == "getcapabilities":
            return await _capabilities(svc, request, version)
        if req == "getmap":
            return await _get_map(svc, request, q)
        if req == "getfeatureinfo":
            return await _feature_info(svc, request, q)
        if req == "getlegendgraphic":
            return await _legend_graphic(svc, request, q)
        raise ApiError(400, "REQUEST must be GetCapabilities, GetMap, GetFeatureInfo or "
                            f"GetLegendGraphic, got {q.get('REQUEST', '')[:40]!r}",
                       code="OperationNotSupported", locator="REQUEST")
    except ApiError as exc:
        return _exception(exc, version, mode, q)
    except LayerDataError as exc:  # the operator's log names the file, the client not
        return _exception(read_refusal(svc.log, exc, None,
                                       say=lambda e: svc.note_unread_request(e, None)),
                          version, mode, q)


async def _capabilities(svc: TileService, request: Request, version: str) -> Response:
    visible = svc.visible(request)
    base = svc.base_url(request)
    key_q = svc.key_query(request)
    sep = f"{key_q}&" if key_q else ""

    def describe(layer: Layer) -> WmsLayer:
        meta = svc.meta(layer)
        native = short_bounds(layer.source.native_footprint(meta.crs)[0])
        return WmsLayer(
            name=layer.name, title=meta.label, bounds=meta.bounds, crs=meta.crs,
            native_bounds=native, abstract=meta.description, attribution=meta.attribution,
            legend_size=svc.legend_size(layer), date=layer.source.date,
            dates=tuple(layer.times),
            legend_url=(f"{base}/wms?{sep}SERVICE=WMS&VERSION=1.3.0&REQUEST=GetLegendGraphic"
                        f"&FORMAT=image/png&LAYER={layer.name}"),
        )

    layers = svc.each_readable(visible, describe)
    cfg = svc.config
    write = capabilities_xml_111 if version == "1.1.1" else capabilities_xml
    body = write(
        layers, base_url=base, title=cfg.title, abstract=cfg.abstract, query=key_q,
        access_constraints=cfg.access_constraints, fees=cfg.fees,
        contact_organisation=cfg.provider,
    ).encode()
    etag = svc.etag(None, "wms", hashlib.sha256(body).hexdigest())
    media = "application/vnd.ogc.wms_xml" if version == "1.1.1" else "text/xml"
    return svc.respond(request, visible, etag, body, media, listing=True)


async def _legend_graphic(svc: TileService, request: Request, q: dict[str, str]) -> Response:
    name = q.get("LAYER", "")
    if not name and q.get("LAYERS"):
        # GetMap's LAYERS= as some legend helpers send it (GetLegendGraphic's is LAYER=):
        # one layer named so is that layer; it was refused as "missing LAYER"
        given = layer_names(q, "LAYERS")
        if len(given) != 1:
            raise ApiError(400, f"GetLegendGraphic draws the legend of one layer, and LAYERS "
                                f"names {len(given)}: ask one legend per layer with "
                                "LAYER=name", locator="LAYER")
        name = given[0]
    if not name:  # it said "layer names are letters, digits, ..."
        raise ApiError(400, "missing LAYER: GetLegendGraphic draws the legend of one layer "
                            "(LAYER=name; GetCapabilities lists them)", locator="LAYER")
    [layer] = _layers(svc, request, [name], "LAYER")
    # it answered a PNG to any FORMAT; the media type is compared without case
    offered_format(q.get("FORMAT", "image/png"), ("image/png",), name="FORMAT")
    if q.get("STYLE", "default") not in ("", "default"):
        raise ApiError(400, f"unknown STYLE {q['STYLE'][:40]!r}; every layer's only style is "
                            "'default'", code="StyleNotDefined", locator="STYLE")
    asked = {k: v for k, v in q.items() if k in ("WIDTH", "HEIGHT")}
    size = asked_legend_size(svc, layer, asked)
    # TIME on a date's layer is GetMap's: its date is its legend, another date a 400
    # naming that date's layer; on a map of no date a Warning (it was ignored unsaid)
    [layer] = svc.at_time([layer], q.get("TIME"))  # a layer of every date: the date asked
    applied = svc.applied_time(request, [layer], q.get("TIME"))
    # LEGEND_OPTIONS=dpi:180, DPI=, MAP_RESOLUTION= (a print's, a high-density screen's):
    # the 2x legend (it was the 1x one without a word)
    scale, beyond = legend_density(q)
    warnings = [w for w in (_ignored_dimensions(q, applied).get("Warning"), beyond) if w]
    return await legend_for(svc, request, layer, size, scale,
                            {"Warning": ", ".join(warnings)} if warnings else None)


def _render_map(svc: TileService, layers: list[Layer], m: MapRequest) -> bytes:
    out = np.zeros((m.height, m.width, 4), dtype=np.uint8)
    if not m.transparent:  # TRANSPARENT=FALSE: an opaque image on BGCOLOR
        out[..., :3] = m.bgcolor
        out[..., 3] = 255
    for layer in layers:
        cfg = layer.config
        data = layer.source.read_mercator(m.bbox, width=m.width, height=m.height,
                                          resampling=cfg.resampling, crs=m.crs)
        rgba = render_rgba(data.filled(np.nan), colormap=cfg.colormap, vmin=cfg.vmin,
                           vmax=cfg.vmax, mask=~np.ma.getmaskarray(data),
                           stops=cfg.colour_stops, palette=layer_palette(cfg))
        alpha = rgba[..., 3:4].astype(np.float32) / 255.0
        out[..., :3] = (rgba[..., :3] * alpha + out[..., :3] * (1 - alpha)).astype(np.uint8)
        out[..., 3] = np.maximum(out[..., 3], rgba[..., 3])
    fmt = m.fmt.split("/")[1]
    return encode_image(out, fmt)  # type: ignore[arg-type]


def _layers(svc: TileService, request: Request, names: list[str], key: str) -> list[Layer]:
    """The layers ``names`` (of parameter ``key``) the caller may read. A name that is not a
    layer's (unknown, or not a name at all: ``LAYERS=a b``, ``LAYER=a,b``) is WMS's
    ``LayerNotDefined`` with the parameter as locator; key refusals stay as they are."""
    found = []
    for name in names:
        try:
            found.append(svc.layer_for(request, name))
        except ApiError as exc:
            if exc.status in (400, 404):
                exc.code = exc.code or "LayerNotDefined"
                exc.locator = exc.locator or key
                if exc.status == 400:
                    exc.message = f"{key} {name[:40]!r}: {exc.message}"
            raise
    return found


async def _get_map(svc: TileService, request: Request, q: dict[str, str]) -> Response:
    m = parse_map_request(q)
    layers = svc.at_time(_layers(svc, request, m.layers, "LAYERS"), q.get("TIME"))
    applied = svc.applied_time(request, layers, q.get("TIME"))
    body = await svc.draw(_render_map, svc, layers, m)  # a few at once: memory
    etag = svc.etag(layers[0], "wms", *m.layers[1:], m.crs, m.bbox, m.width, m.height, m.fmt,
                    m.transparent, m.bgcolor, *(la.source.token for la in layers[1:]))
    # the x/y BBOX, so a 1.1.1 and a 1.3.0 request for one map share the ETag
    warnings = [w for w in (_ignored_dimensions(q, applied, layers).get("Warning"),
                            _swapped_axes(svc, layers, m)) if w]
    return svc.respond(request, layers, etag, body, m.fmt,
                       {"Warning": ", ".join(warnings)} if warnings else None)


def _overlaps(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _swapped_axes(svc: TileService, layers: list[Layer], m: MapRequest) -> str | None:
    """A ``Warning`` value when a map in a geographic CRS covers none of its layers but
    would cover one with its BBOX's axes swapped: the usual cause of a blank map is a
    longitude given as the latitude (1.3.0's EPSG:4326 is latitude first), and Bonaire's
    ``-68.4,12.1,...`` given lon-first is a valid place in the South Atlantic, drawn blank
    without a word. The map is drawn as asked (it is a place); the header says why it may
    be empty."""
    if m.crs != "OGC:CRS84" and not geographic_crs(m.crs):
        return None
    box = m.bbox
    swapped = (box[1], box[0], box[3], box[2])
    bounds = {la.name: svc.meta(la).bounds for la in layers}
    if any(_overlaps(box, b) for b in bounds.values()):
        return None
    hit = [name for name, b in bounds.items() if _overlaps(swapped, b)]
    if not hit:
        return None
    order = ("latitude, longitude" if m.version == "1.3.0" and m.crs != "OGC:CRS84"
             and north_first(m.crs) else "longitude, latitude")
    return (f'299 prospect "BBOX covers no layer; with its axes swapped it would cover '
            f"{hit[0]!r}: in WMS {m.version} with {m.crs} the BBOX is in {order} order\"")


def _ignored_dimensions(q: dict[str, str], time_applied: bool = False,
                        layers: list[Layer] | None = None) -> dict[str, str]:
    """The ``Warning`` header (:func:`tiles.http.ignored_dimensions`) naming the dimension
    parameters of request ``q`` (WMS's: TIME, ELEVATION and DIM_*, 1.3.0 annex C; 1.1.1
    annex C), which no layer here declares: the map (or the value) is the layer as served,
    as WMS 6.8.1 has a server answer. ``time_applied``: every layer asked declares the
    ``time`` dimension and TIME was its date (:meth:`tiles.service.TileService.
    applied_time`), so TIME is not named. Where some of ``layers`` (those asked) are of a
    date and others not, TIME was applied to the first and ignored on the rest, and the
    header says so by name: ``LAYERS=x2021,heat&TIME=2021-06-01`` was said to ask layers
    that "declare no such dimension", x2021's date checked and applied."""
    dated = [la.name for la in layers or [] if la.source.date is not None]
    undated = [la.name for la in layers or [] if la.source.date is None]
    mixed = "TIME" in q and not time_applied and bool(dated) and bool(undated)
    found = ignored_dimensions([k for k in q if (k == "TIME" and not time_applied and not mixed)
                                or k == "ELEVATION" or k.startswith("DIM_")])
    if not mixed:
        return found
    named = ", ".join(repr(n) for n in undated[:4]) + (", ..." if len(undated) > 4 else "")
    note = (f'299 prospect "TIME applied to the layers of a date '
            f"({', '.join(repr(n) for n in dated[:4])}{', ...' if len(dated) > 4 else ''}) "
            f"and ignored on {named}, which declare{'s' if len(undated) == 1 else ''} no "
            "time dimension (GetCapabilities lists each layer's): drawn as served\"")
    return {"Warning": ", ".join(w for w in (found.get("Warning"), note) if w)}


def _shown(value: Any, name: str | None = None, units: str = "") -> str:
    """A cell value as GetFeatureInfo's text and HTML show it: ``no data`` where the layer
    has none (it said Python's ``None``, or ``nan``); a class map's code with its class
    ``name`` (``2 (above)``: a code is a whole number, never ``2.0``), a coded map's
    (``name`` ``""``: its file names no class) as its code alone (it said ``2.0``); a
    value followed by its ``units`` (``350.0 mg/L``: both answers gave the bare number,
    which the JSON and GML answers give with its units)."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "no data"
    if name is None:
        return f"{value} {units}" if units else str(value)
    return f"{int(value)} ({name})" if name else str(int(value))


DEGREE_DECIMALS = 9
"""Decimals of the degrees GetFeatureInfo writes (1e-9 degrees is about 0.1 mm)."""


def plain_degrees(value: float) -> float:
    """``value`` (degrees) rounded to :data:`DEGREE_DECIMALS` decimals, as a pixel's centre
    is written: its computation in binary floats left noise in the last digits
    (``5.150000000000006`` for the pixel centred on 5.15), read by a user as a point other
    than the one clicked. ``-0.0`` is written ``0.0``.

    Parameters
    ----------
    value
        Longitude or latitude in degrees.

    Returns
    -------
    float
        The rounded degrees.
    """
    return round(value, DEGREE_DECIMALS) + 0.0


def _class_of(value: Any, classes: dict[int, str] | None) -> str | None:
    """The name of the class whose code a cell ``value`` is, when its layer is a class
    map (:func:`tiles.metadata.layer_classes`) and the value one of its codes."""
    if not classes or not isinstance(value, int | float) or not math.isfinite(value) \
            or not float(value).is_integer():
        return None
    return classes.get(int(value))


GML_NS = "urn:x-prospect:wms"
"""Namespace of the ``prospect:`` elements of a GetFeatureInfo GML answer."""


def _gml(features: list[dict[str, Any]]) -> str:
    """GetFeatureInfo's ``features`` as GML 2: a ``wfs:FeatureCollection`` of one
    ``prospect:cell`` per layer (layer, title, value, units and the point, lon/lat), as
    MapServer and GeoServer answer ``application/vnd.ogc.gml``. A cell without data has
    an empty ``value`` (never the text ``nan``). Layer names may start with a digit, which
    no XML element name may, so each is the ``layer`` element's text."""
    members = []
    for f in features:
        p = f["properties"]
        lon, lat = f["geometry"]["coordinates"]
        value = p["value"]
        text = "" if value is None or (isinstance(value, float) and not math.isfinite(value)) \
            else str(value)
        members.append(
            "<gml:featureMember><prospect:cell>"
            f"<prospect:layer>{escape(p['layer'])}</prospect:layer>"
            f"<prospect:title>{escape(str(p['title']))}</prospect:title>"
            f"<prospect:value>{escape(text)}</prospect:value>"
            + (f"<prospect:class>{escape(p['class'])}</prospect:class>" if "class" in p else "")
            + f"<prospect:units>{escape(str(p['units'] or ''))}</prospect:units>"
            "<prospect:location><gml:Point srsName=\"EPSG:4326\">"
            f"<gml:coordinates>{lon!r},{lat!r}</gml:coordinates></gml:Point>"
            "</prospect:location></prospect:cell></gml:featureMember>")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<wfs:FeatureCollection xmlns:wfs="http://www.opengis.net/wfs" '
            f'xmlns:gml="http://www.opengis.net/gml" xmlns:prospect={quoteattr(GML_NS)}>'
            + "".join(members) + "</wfs:FeatureCollection>\n")


async def _feature_info(svc: TileService, request: Request, q: dict[str, str]) -> Response:
    m = parse_map_request(q, layer_key="QUERY_LAYERS",
                          hint=lambda name: svc.layer_hint(request, name))
    layers = svc.at_time(_layers(svc, request, m.layers, "QUERY_LAYERS"), q.get("TIME"))
    applied = svc.applied_time(request, layers, q.get("TIME"))
    a, b = ("X", "Y") if m.version == "1.1.1" else ("I", "J")  # 1.1.1 names them X and Y
    other_a, other_b = ("I", "J") if m.version == "1.1.1" else ("X", "Y")
    if a not in q and b not in q and (other_a in q or other_b in q):  # "got I=''"
        raise ApiError(400, f"WMS {m.version} names the pixel {a} and {b}, not {other_a} and "
                            f"{other_b} (give {a}= and {b}=, or VERSION="
                            f"{'1.3.0' if m.version == '1.1.1' else '1.1.1'})",
                       code="InvalidPoint", locator=a)
    for mine, theirs in ((a, other_a), (b, other_b)):
        if q.get(theirs) and q.get(mine) and q[theirs] != q[mine]:  # one was read, silently
            raise ApiError(400, f"{theirs}={q[theirs][:16]!r} and {mine}={q[mine][:16]!r} name "
                                f"two pixels; WMS {m.version} reads {a} and {b} (1.3.0 names "
                                "the pixel I and J, 1.1.1 X and Y): give the ones of your "
                                "VERSION", code="InvalidPoint", locator=theirs)
    i, j = pixel_position(q.get(a, "")), pixel_position(q.get(b, ""))
    if i is None or j is None:  # int() took "1_0" as 10 and " 5" as 5
        raise ApiError(400, f"{a} and {b} must be integer pixel positions (0 or more), got "
                            f"{a}={q.get(a, '')[:16]!r}, {b}={q.get(b, '')[:16]!r}",
                       code="InvalidPoint", locator=a if i is None else b)
    if not (0 <= i < m.width and 0 <= j < m.height):
        raise ApiError(400, f"{a}={i}, {b}={j} must lie inside WIDTH x HEIGHT ({m.width} x "
                            f"{m.height}): {a} is 0..{m.width - 1} and {b} "
                            f"0..{m.height - 1}", code="InvalidPoint",
                       locator=a if not 0 <= i < m.width else b)
    count = q.get("FEATURE_COUNT", "1")
    if url_integer(count) is None or int(count) < 1:  # "abc" and 0 were read as 1
        raise ApiError(400, f"FEATURE_COUNT must be a positive integer, got {count[:16]!r} "
                            "(each layer answers its one cell's value; FEATURE_COUNT=1)",
                       locator="FEATURE_COUNT")
    left, bottom, right, top = m.bbox
    x = left + (i + 0.5) * (right - left) / m.width
    y = top - (j + 0.5) * (top - bottom) / m.height
    lon, lat = Transformer.from_crs(m.crs, "EPSG:4326", always_xy=True).transform(x, y)
    if not (math.isfinite(lon) and math.isfinite(lat)):
        raise ApiError(400, f"pixel {a}={i}, {b}={j} lies outside the area where CRS "
                            f"{m.crs[:40]!r} is defined; give a BBOX within it")
    # a pixel of a world copy (lon 291.6 is 68.4 W): the value of the place it shows, as
    # the map draws it there (a layer in degrees was read at 291.6 and had none)
    lon = (lon + 180.0) % 360.0 - 180.0
    shown_at = [plain_degrees(lon), plain_degrees(lat)]  # 5.15, never 5.150000000000006
    # refused before any layer is read; the media type is compared without case
    fmt = offered_format(q.get("INFO_FORMAT", "application/json"), INFO_FORMATS,
                         name="INFO_FORMAT")
    features: list[dict[str, Any]] = []
    shown: list[str] = []  # each cell as the text and HTML answers say it
    for layer in layers:
        value = await run_in_threadpool(layer.source.point, lon, lat)
        properties = {"layer": layer.name, "value": value, "units": svc.meta(layer).units,
                      "title": svc.meta(layer).label}
        name = _class_of(value, svc.classes(layer))
        if name:  # a class map's cell: its code and its class's name (a coded map's unnamed)
            properties["class"] = name
        shown.append(_shown(value, name, svc.meta(layer).units))
        features.append({
            "type": "Feature", "geometry": {"type": "Point", "coordinates": shown_at},
            "properties": properties,
        })
    if fmt == "application/json":  # strict JSON: no data is null, never a bare NaN
        body = json.dumps(jsonable({"type": "FeatureCollection", "features": features}),
                          allow_nan=False)
    elif fmt == "text/plain":
        # a synthetic layer says so, as every other answer's title does: the line named
        # the layer alone (``ramp = 0.95``), and QGIS's identify showed synthetic data
        # as a survey's
        body = "".join(f"{f['properties']['layer']}"
                       f"{' (synthetic data)' if svc.meta(layer).synthetic else ''} = {text}\n"
                       for f, text, layer in zip(features, shown, layers, strict=True))
    elif fmt in ("application/vnd.ogc.gml", "text/xml"):
        body = _gml(features)
    else:  # text/html
        rows = "".join(
            f"<tr><td>{html.escape(str(f['properties']['title']))}</td>"
            f"<td>{html.escape(text)}</td></tr>" for f, text in zip(features, shown, strict=True))
        body = f"<html><body><table>{rows}</table></body></html>"
    # every layer's data version, as GetMap's: a second layer written anew kept the first
    # one's ETag, and a client's conditional request got 304 with the old value
    etag = svc.etag(layers[0], "wmsinfo", m.layers, m.crs, m.bbox, m.width, m.height, i, j,
                    fmt, *(la.source.token for la in layers[1:]))
    return svc.respond(request, layers, etag, body.encode(), fmt,
                       _ignored_dimensions(q, applied, layers))
