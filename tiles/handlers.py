"""Request handlers of the tile server: one function per endpoint, each ``(svc, request)``.

Handlers parse and check the request, ask :class:`tiles.service.TileService` for the data
and answer through its one conditional-GET path; refusals are :class:`tiles.http.ApiError`.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Callable, Collection

import morecantile
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from prospect.canonical import jsonable
from prospect.config.tiles import ServeConfig
from tiles.archive import tilejson
from tiles.grids import DEFAULT_TMS, matrix_shape, tile_matrix_set
from tiles.http import (
    ApiError,
    conditional_response,
    etag_matches,
    ignored_dimensions,
    plus_hint,
    public_path,
    public_root,
    read_refusal,
    refusal_headers,
    refuse_repeated,
    url_number,
)
from tiles.service import (
    QUERY_TIMES,
    Layer,
    TileService,
    case_hint,
    file_name,
    matrix_set_spelled,
    unserved_format,
)
from tiles.source import LayerDataError
from tiles.viewer import ViewerLayer, viewer_html
from tiles.wms import MEDIA_TYPE_ALIASES, legend_density
from tiles.wmts import (
    WmtsLayer,
    WmtsService,
    capabilities_xml,
    exception_report,
    matrix_level,
    split_matrix_set,
)

WEB = tile_matrix_set(DEFAULT_TMS)

__all__ = [
    "health", "layer_list", "legend", "point", "root", "tile", "tilejson_doc", "viewer",
    "wmts_capabilities", "wmts_kvp", "wmts_refusal", "wmts_tile",
]

# any run of digits is a number (the URL's length bounds it): one of nine digits or more was
# refused as "not a non-negative integer" where it is a tile past the matrix or the zooms
_INT = re.compile(r"^[0-9]{1,64}$")
_BELOW_ZERO = re.compile(r"^-[0-9]{1,64}$")
"""A WMTS TileRow or TileCol below 0 (``TILEROW=-1``): outside the matrix, WMTS's
``TileOutOfRange`` (07-057r7, table 28) naming the matrix's rows and columns, as one past
its end is; it was an ``InvalidParameterValue`` saying integers are non-negative."""
# the extension and "@2x" in any letter case (".PNG", "@2X"): sent to the tile's one URL;
# "@1x" (TiTiler's and MapLibre templates' scale 1) too: the tile without a suffix
_TILE_TAIL = re.compile(r"^([0-9]{1,64})(@[12]x)?\.(png|webp)$", re.IGNORECASE)
_OTHER_TAIL = re.compile(r"^[0-9]{1,64}(?:@[12]x)?\.([A-Za-z0-9]{1,16})$", re.IGNORECASE)
"""A tile URL asking for another format (``.jpg``, ``.pbf``): refused saying so."""
_SCALED_TAIL = re.compile(r"^[0-9]{1,64}@([0-9]{1,3}(?:\.[0-9]{1,3})?)x\.[A-Za-z0-9]{1,16}$",
                          re.IGNORECASE)
"""A tile URL at a device pixel ratio other than 1 or 2 (``{y}@3x.png``, TiTiler's scales 3
and 4, a phone's ``@1.5x``): it was told the URL form only, as if the suffix were no
part of it."""


def _form(form: str, cfg: ServeConfig) -> str:
    """How a malformed tile request is described, in the terms of the form it came in
    (``xyz``, ``wmts`` for the REST binding, ``kvp``), its paths under ``cfg``'s
    ``public_url`` (:func:`tiles.http.public_path`)."""
    root = public_root(cfg.public_url)
    if form == "xyz":
        return (f"tile URLs are {public_path(root, '/tiles/{layer}/{z}/{x}/{y}.png')} (or "
                ".webp, or {y}@2x.png) with non-negative integers z, x, y")
    if form == "wmts":
        path = "/wmts/1.0.0/{layer}/default/{TileMatrixSet}/{TileMatrix}/{TileRow}/{TileCol}"
        return (f"WMTS tile URLs are {public_path(root, path)}.png (or .webp) with "
                "non-negative integers TileMatrix, TileRow, TileCol; 512 px (@2x) tiles are "
                "those of the TileMatrixSet named with 512 (WebMercatorQuad512)")
    return ("GetTile needs non-negative integers TILEMATRIX, TILEROW and TILECOL and FORMAT "
            "image/png or image/webp")

_PADDED = re.compile(r"^0+(?=[0-9])")
"""The leading zeros of a tile coordinate written with them (``01``, ``007@2x.png``)."""


def _canonical_tile(svc: TileService, request: Request, layer: Layer,
                   kvp: bool = False, names: list[str] | None = None) -> Response | None:
    """A ``301`` to the tile's canonical URL when a coordinate was written with leading
    zeros (``/tiles/p/01/0/0.png``; ``TILEMATRIX=01`` in WMTS KVP), percent-encoded in
    the path (``/tiles/p/%31/0/0.png``) or with its extension in another letter case
    (``0.PNG``, ``0@2X.png``: they were refused as malformed); ``None`` otherwise.

    One rule for every tile route (XYZ, national grids, WMTS REST and KVP), asked once the
    tile is known to exist: each tile has one URL, so a padded one is sent to it. It was
    answered as the number, the same tile under many URLs (each a separate entry in every
    cache between; WMTS names a TileMatrix by its identifier, which ``01`` is not). The
    ``Location`` is made as every redirect's here (:meth:`TileService.redirect_url`).

    ``names`` (XYZ routes) are the path's identifiers before the coordinates as served
    (the layer, and the tile matrix set of a national grid): a URL that wrote one in
    another letter case (``/tiles/Probability/...``, ``.../netherlandsrdnewquad/...``) is
    sent to the one URL too. WMTS identifiers are not: OWS Common compares them with case,
    and its refusal names the one meant.
    """
    if kvp:
        items = request.query_params.multi_items()
        coords = ("TILEMATRIX", "TILEROW", "TILECOL")
        if not any(k.upper() in coords and _PADDED.match(v) for k, v in items):
            return None
        fixed = [(k, _PADDED.sub("", v) if k.upper() in coords else v) for k, v in items]
        from urllib.parse import urlencode

        location = f"{request.url.path}?{urlencode(fixed)}"
    else:
        # the coordinates as decoded (checked digits: "%31%34" is 14) and written without
        # leading zeros; the rest of the path as sent
        canonical = [_PADDED.sub("", part) for part in request.url.path.rsplit("/", 3)[1:]]
        # ".PNG", "@2X": the extension as served; "@1x": the tile's URL has no suffix
        canonical[-1] = re.sub(r"@1x(?=\.)", "", canonical[-1].lower())
        raw = (request.scope.get("raw_path") or request.url.path.encode()).decode("latin-1")
        if raw.count("/") != request.url.path.count("/"):  # an encoded "/": as decoded
            raw = request.url.path
        head, *sent = raw.rsplit("/", 3)
        if names:
            parts = head.split("/")
            spelt = "/".join([*parts[:-len(names)], *names])
            if spelt != head:
                head, sent = spelt, []  # an identifier respelled: sent to the one URL
        if sent == canonical:
            return None
        query = request.scope.get("query_string", b"").decode("latin-1")
        location = "/".join([head, *canonical]) + (f"?{query}" if query else "")
    return Response(status_code=301, headers={
        "Location": svc.redirect_url(location),
        **svc.cache_headers(request, public=layer.config.public)})


def _json(value: object) -> bytes:
    """``value`` as strict JSON (NaN and infinities as ``null``): browsers' ``JSON.parse``,
    MapLibre and QGIS refuse a bare ``NaN``."""
    return json.dumps(jsonable(value), allow_nan=False).encode()


def parse_tile(
    z_text: str, x_text: str, tail: str, cfg: ServeConfig, tms: morecantile.TileMatrixSet = WEB,
    *, form: str = "xyz", advertised: Callable[[], tuple[int, int]] | None = None,
    layer: str | None = None,
) -> tuple[int, int, int, int, str]:
    """``(z, x, y, size, fmt)`` from the tile URL parts, or a 400/404 refusal.

    ``tail`` is ``{y}.png`` (or ``.webp``, ``{y}@2x.png``). ``form`` (``xyz``, ``wmts``
    for the REST binding or ``kvp``) chooses the terms refusals use: a WMTS client is told
    about TileMatrix, TileRow and TileCol, not the XYZ URL it never used. The zooms served
    are the config's ``min_zoom..max_zoom`` and the range ``advertised()`` gives (asked only
    for a zoom outside the config's: the layer's TileJSON and WMTS limits): a config range
    wholly outside the data's zooms made the documents offer the data's nearest zoom,
    which was then refused with a 404.

    A zoom outside them is refused naming ``layer`` (the layer asked) and the zooms its
    documents advertise beside the range served: "zoom 30 outside the served range 0..18"
    named neither, and read as the layer's own zooms where they were the server's.

    In the WMTS forms a TileRow or TileCol below 0 (:data:`_BELOW_ZERO`) is
    ``TileOutOfRange``, as one past the matrix's end is.
    """
    below = {"x": False, "y": False}
    if form != "xyz":
        if _BELOW_ZERO.match(x_text):
            x_text, below["x"] = x_text[1:], True
        if _BELOW_ZERO.match(tail.partition("@")[0].partition(".")[0]):
            tail, below["y"] = tail[1:], True
    m = _TILE_TAIL.match(tail)
    if not (_INT.match(z_text) and _INT.match(x_text) and m):
        other = _OTHER_TAIL.match(tail)
        if other and _INT.match(z_text) and _INT.match(x_text):
            raise ApiError(400, f"{unserved_format(other.group(1), 'PNG or WebP tiles')}; "
                                f"{_form(form, cfg)}")
        scaled = _SCALED_TAIL.match(tail) if form == "xyz" else None
        if scaled and _INT.match(z_text) and _INT.match(x_text):
            raise ApiError(400, f"tiles at scale @{scaled.group(1)}x are not drawn here, "
                                "only 256 px ({y}.png) and 512 px ones ({y}@2x.png): ask "
                                f"{tail.split('@')[0]}@2x.png in its place, which map "
                                "clients show at any pixel ratio")
        raise ApiError(400, _form(form, cfg))
    z, x, y = int(z_text), int(x_text), int(m.group(1))
    x, y = -x if below["x"] else x, -y if below["y"] else y
    xyz = form == "xyz"
    lo, hi = max(cfg.min_zoom, tms.minzoom), min(cfg.max_zoom, tms.maxzoom)
    offered: tuple[int, int] | None = None
    if not lo <= z <= hi and advertised is not None:
        offered = advertised()
        lo, hi = min(lo, offered[0]), max(hi, offered[1])
    if not lo <= z <= hi:
        # XYZ clients read a 404 as "no tile here"; WMTS's TileOutOfRange is a 400 in both
        # bindings (07-057r7, table 28), as a TileRow or TileCol outside the matrix is
        raise ApiError(404 if xyz else 400, f"{'zoom' if xyz else 'TileMatrix'} {z} outside "
                       f"the served range {lo}..{hi}"
                       + _zooms_of_layer(layer, str(tms.id), offered, (lo, hi), form=form),
                       code="TileOutOfRange", locator="TILEMATRIX")
    width, height = matrix_shape(tms.id, z)
    if not (0 <= x < width and 0 <= y < height):
        if xyz:
            raise ApiError(400, f"tile {z}/{x}/{y} does not exist: at zoom {z}, x is "
                                f"0..{width - 1} and y 0..{height - 1}")
        raise ApiError(400, f"tile TileMatrix={z} TileRow={y} TileCol={x} does not exist: in "
                            f"TileMatrix {z}, TileCol is 0..{width - 1} and TileRow "
                            f"0..{height - 1}", code="TileOutOfRange",
                       locator="TILECOL" if 0 <= y < height else "TILEROW")
    return z, x, y, 512 if (m.group(2) or "").lower() == "@2x" else 256, m.group(3).lower()


def _zooms_of_layer(layer: str | None, tms: str, offered: tuple[int, int] | None,
                    served: tuple[int, int], *, form: str) -> str:
    """What a refusal of a zoom outside ``served`` adds of ``layer`` (its name, and the
    zooms ``offered`` in its documents of tile matrix set ``tms`` where they are not the
    whole range served); ``""`` without a layer."""
    if layer is None:
        return ""
    words = f" of layer {layer!r}"
    if offered is None or tuple(offered) == tuple(served):
        return words
    a, b = offered
    span = f"{a}" if a == b else f"{a}..{b}"
    if form == "xyz":
        return (f"{words} (its TileJSON and the WMTS capabilities' TileMatrixSetLimits "
                f"advertise zoom{'' if a == b else 's'} {span}, those its data's cell size "
                "and extent suit; the server draws every zoom of the range)")
    return (f"{words} (its TileMatrixSetLimits for {tms} in the capabilities are "
            f"TileMatrix {span}, those its data's cell size and extent suit; the server "
            "draws every TileMatrix of the range)")


def float_param(request: Request, name: str, lo: float, hi: float) -> float:
    """A finite query number within ``lo..hi``, or a 400 refusal naming the parameter."""
    text = request.query_params.get(name)
    if text is None:
        raise ApiError(400, f"missing query parameter {name!r}")
    value = url_number(text)
    if value is None:
        pair = _pair(text)  # "5,5": a decimal comma, as European locales write it
        comma = (f" (a decimal comma? write {pair[0]}.{pair[1]}: URLs write numbers with a "
                 "point)" if pair is not None and pair[1].isdigit() else "")
        raise ApiError(400, f"query parameter {name!r} must be a number, got {text[:32]!r}"
                            f"{plus_hint(text) or comma or degrees_hint(name, text)}")
    if not (math.isfinite(value) and lo <= value <= hi):
        raise ApiError(400, f"query parameter {name!r} must be within {lo}..{hi}, got {value}")
    return value


_DEGREES = re.compile(
    r"\s*(?P<before>[NSEW])?\s*(?P<deg>[+-]?\d+(?:\.\d+)?)\s*(?P<sign>°|º|˚|deg|d)?"
    r"\s*(?:(?P<min>\d+(?:\.\d+)?)\s*(?:'|′|’|m|min)?)?"
    r"\s*(?:(?P<sec>\d+(?:\.\d+)?)\s*(?:\"|″|''|s|sec))?\s*(?P<after>[NSEW])?\s*",
    re.IGNORECASE)
"""Degrees as maps, GPS units and survey sheets write them: ``52.5°``, ``5°30'E``,
``N52 30.5``, ``4.25W``."""


def degrees_hint(name: str, text: str) -> str:
    """A hint for query parameter ``name`` (``lon`` or ``lat``) refused as a number when
    ``text`` is degrees as a map writes them (:data:`_DEGREES`: a degree sign, minutes,
    seconds or a hemisphere letter); else ``""``.

    ``/point/ramp?lon=5°30'E&lat=52.5°N`` (a map site's coordinates, pasted) was refused
    as "must be a number" without saying what to write: the hint gives the decimal
    degrees it reads, west and south negative, and says when the letter names the other
    axis (``lon=52.5N``).

    Parameters
    ----------
    name : str
        The parameter, ``lon`` or ``lat``.
    text : str
        Its value, as sent.

    Returns
    -------
    str
        `` (write decimal degrees: lon=5.5 ...)``, or ``""``.
    """
    m = _DEGREES.fullmatch(text[:40])
    if m is None or (m["before"] and m["after"]):
        return ""
    letter = (m["before"] or m["after"] or "").upper()
    if not (letter or m["sign"] or m["min"] or m["sec"]) \
            or float(m["min"] or 0) >= 60 or float(m["sec"] or 0) >= 60:
        return ""
    value = abs(float(m["deg"])) + float(m["min"] or 0) / 60 + float(m["sec"] or 0) / 3600
    if m["deg"].startswith("-") or letter in ("W", "S"):
        value = -value
    axis = {"lon": "EW", "lat": "NS"}.get(name, "")
    if letter and axis and letter not in axis:
        other = "lat" if name == "lon" else "lon"
        return (f" ({letter} is a {'latitude' if letter in 'NS' else 'longitude'}'s "
                f"letter: give it as {other}={round(value, 6):g}, in decimal degrees)")
    return (f" (write decimal degrees: {name}={round(value, 6):g}, without a degree sign or "
            "letter; west and south are negative, minutes are 1/60 of a degree)")


def _pair(text: str) -> tuple[str, str] | None:
    """The two numbers of ``text`` written ``a,b`` (a point in one parameter, or a number
    with a decimal comma), else ``None``."""
    parts = [p.strip() for p in text.split(",")]
    if len(parts) != 2 or any(url_number(p) is None for p in parts):
        return None
    return parts[0], parts[1]


def _suffix(svc: TileService, request: Request) -> str:
    q = svc.key_query(request)
    return f"?{q}" if q else ""


async def health(svc: TileService, request: Request) -> Response:
    """Liveness: no data, no key, and nothing about the layers (how many there are,
    keyed ones included, is not for unauthenticated callers: ``/layers`` lists those the
    caller may read)."""
    return JSONResponse({"status": "ok"})


async def root(svc: TileService, request: Request) -> Response:
    """``/`` redirects to the viewer, query kept (``/?key=...`` opens the viewer of the
    agency's layers), under ``public_url`` as every redirect here: it was ``/viewer/``
    always, which behind a proxy serving under a path (``https://maps.example.org/
    prospect/``) left the path, and which dropped the key."""
    query = request.url.query
    return Response(status_code=307, headers={
        "Location": svc.redirect_url("/viewer/" + (f"?{query}" if query else ""))})


async def layer_list(svc: TileService, request: Request) -> Response:
    """The layers the caller may read, with their TileJSON links."""
    base, suffix = svc.base_url(request), _suffix(svc, request)
    visible = svc.visible(request)
    entries = []
    servable = {la.name for la in svc.servable(visible)}
    for layer in visible:
        entry = {"name": layer.name, "role": layer.config.role, "public": layer.config.public,
                 "tilejson": f"{base}/tilejson/{layer.name}.json{suffix}"}
        if layer.name not in servable:  # its one date gone from its cube: said once in the log
            entry.update(title=layer.config.label, available=False)
            entries.append(entry)
            continue
        try:
            entry["title"] = svc.meta(layer).label
            layer.source.check_whole()
        except LayerDataError as exc:  # listed, the others still served
            svc.note_unreadable(layer, exc, "listed unavailable by /layers")
            entry.update(title=layer.config.label, available=False)
        entries.append(entry)
    body = _json(entries)
    etag = svc.etag(None, "layers", hashlib.sha256(body).hexdigest())
    return svc.respond(request, visible, etag, body, "application/json", listing=True)


async def serve_tile(svc: TileService, request: Request, layer: Layer, tms: str,
                     z: int, x: int, y: int, size: int, fmt: str,
                     extra: dict[str, str] | None = None) -> Response:
    """One rendered tile of ``layer`` in ``tms``, through the conditional-GET path
    (``extra``: headers added, e.g. the Warning of :func:`_wmts_dimensions`)."""
    etag = svc.etag(layer, "tile", tms, z, x, y, size, fmt)
    if etag_matches(request.headers.get("if-none-match"), etag):
        # the client has it: nothing is rendered (respond answers 304)
        return svc.respond(request, layer, etag, b"", f"image/{fmt}", extra)
    body = await svc.tile_bytes(layer, z, x, y, size, fmt, tms)
    return svc.respond(request, layer, etag, body, f"image/{fmt}", extra)


_WMTS_OWN = frozenset({"SERVICE", "REQUEST", "VERSION", "LAYER", "STYLE", "FORMAT",
                       "TILEMATRIXSET", "TILEMATRIX", "TILEROW", "TILECOL", "KEY"})
"""The parameters of a WMTS KVP GetTile (07-057r7 table 26) and the agency key."""


def _wmts_dimensions(request: Request, *, binding: str,
                     own: Collection[str] = ("KEY",),
                     applied: Collection[str] = ()) -> dict[str, str]:
    """The ``Warning`` header (:func:`tiles.http.ignored_dimensions`, the rule WMS's maps
    follow) naming the sample dimensions a WMTS GetTile asks for, which no layer here
    declares (the capabilities list no ``Dimension``): the tile is the layer as served.

    In the KVP binding every parameter besides GetTile's own (and the key) names a sample
    dimension (07-057r7 table 26: "the name of the parameter is the dimension identifier");
    the REST binding has none in its query, so any parameter there but the key is one
    asked for in a form this server cannot apply. ``Time=2020`` was dropped without a word.
    ``own``: the REST query's parameters read (the key, and GeoServer's ``format``);
    ``applied``: the dimensions the layer declares and the tile was drawn at (``TIME`` of a
    layer of one date, :meth:`tiles.service.TileService.applied_time`).
    """
    own = _WMTS_OWN if binding == "kvp" else own
    return ignored_dimensions([k for k in request.query_params
                               if k.upper() not in own and k.upper() not in applied])


async def tile(svc: TileService, request: Request) -> Response:
    """``/tiles/{layer}/{z}/{x}/{y}.png`` (Web Mercator) or ``/tiles/{layer}/{tms}/...``."""
    p = request.path_params
    layer = svc.layer_for(request, svc.readable_spelling(request, p["layer"]))
    tms_name = matrix_set_spelled(p.get("tms", DEFAULT_TMS), svc.matrix_sets(layer))
    asked = request.query_params.get("tms")
    named = (matrix_set_spelled(asked, svc.matrix_sets(layer)) if asked is not None
             else tms_name)
    if named != tms_name:
        # /tilejson/{layer}.json reads ?tms=; a tile URL written so was served in Web
        # Mercator at the national grid's numbers (a blank tile or another place's, 200)
        raise ApiError(400, f"tile URLs take the tile matrix set in their path, not as "
                            f"?tms={named[:40]!r}: write "
                            f"{svc.public_path(f'/tiles/{layer.name}/{named[:40]}/')}"
                            f"{p['z'][:8]}/{p['x'][:12]}/{p['tail'][:20]} (the tiles URL of "
                            f"{svc.public_path(f'/tilejson/{layer.name}.json')}"
                            f"?tms={named[:40]})",
                       locator="tms")
    tms = svc.tms_for(layer, tms_name)
    z, x, y, size, fmt = parse_tile(p["z"], p["x"], p["tail"], svc.config, tms,
                                    advertised=lambda: svc.meta(layer).zooms(tms_name),
                                    layer=layer.name)
    redirect = _canonical_tile(svc, request, layer,
                               names=[layer.name, tms_name] if "tms" in p else [layer.name])
    if redirect is None:
        redirect = _sized_tile(svc, request, layer, y, size, fmt)
    if redirect is not None:
        return redirect
    layer = svc.query_layer(request, layer)  # a layer of every date: the map asked
    timed = svc.query_time(request, layer)  # ?time= of a date's layer: its date or a 400
    flipped = _flipped_row(svc, layer, z, x, y) if tms_name == DEFAULT_TMS else None
    warnings = [w for w in (timed.get("Warning"), (flipped or {}).get("Warning")) if w]
    return await serve_tile(svc, request, layer, tms_name, z, x, y, size, fmt,
                            {"Warning": ", ".join(warnings)} if warnings else None)


def _flipped_row(svc: TileService, layer: Layer, z: int, x: int, y: int
                 ) -> dict[str, str] | None:
    """The ``Warning`` header of a Web Mercator tile whose row lies outside ``layer``
    where the same row counted from the south (TMS's order: ``2**z - 1 - y``) lies within
    it; ``None`` for any other tile. Said once per layer in the server log too.

    A client set to TMS rows (Leaflet's ``tms: true``, QGIS's ``{-y}``, GDAL's TMS
    minidriver; as GeoServer's and MapProxy's TMS endpoints ask) over these XYZ tiles asks
    the rows of the other hemisphere's mirror place: every tile was the blank tile of
    another place, 200, and the map stayed empty without a word to its user or to the
    server's operator. The tile is still the one asked (a map may pan there); the header
    and the log say what was probably meant.
    """
    from tiles.grids import overlaps_x, unwrapped_lon

    bounds = svc.meta(layer).bounds
    south, north = bounds[1], bounds[3]
    west, low, east, high = WEB.bounds(morecantile.Tile(x, y, z))
    if not overlaps_x((west, east), unwrapped_lon(bounds), (-180.0, 180.0)):
        return None
    row = matrix_shape(DEFAULT_TMS, z)[1] - 1 - y
    _, flip_low, _, flip_high = WEB.bounds(morecantile.Tile(x, row, z))
    if (low < north and south < high) or not (flip_low < north and south < flip_high):
        return None
    text = (f"tile {z}/{x}/{y} lies outside layer {layer.name!r}, where {z}/{x}/{row} (its "
            "row counted from the south, as TMS counts) is inside it: these tiles count "
            "rows from the north (XYZ); a client set to TMS rows (Leaflet's tms: true, "
            "QGIS's {-y}) draws nothing: set tms: false, write {y}")
    svc.say_once(f"tms:{layer.name}", f"layer {layer.name!r}: a client may be set to TMS "
                                      f"rows: {text}")
    return {"Warning": f'299 prospect "{text}"'}


TILE_SIZE_PARAMS = ("tilesize", "tile_size")
"""Query parameters (names in any case) in which a client asks a tile's size in pixels:
TiTiler's ``?tilesize=512`` and Terracotta's ``?tile_size=[512,512]``, as their users
write tile URLs and TileJSON links."""


def _side(text: str) -> str:
    """The side of a square tile size as sent: ``512``, or Terracotta's ``[512,512]`` (a
    JSON list of width and height) as ``512``; another text as it stands."""
    text = text.strip()
    if text.startswith("[") and text.endswith("]"):
        sides = {part.strip() for part in text[1:-1].split(",")}
        if len(sides) == 1 and text.count(",") == 1:
            return sides.pop()
    return text


def asked_tile_size(request: Request, where: str) -> int | None:
    """The tile size (256 or 512 pixels) ``request`` asks by query (:data:`TILE_SIZE_PARAMS`),
    ``None`` where it asks none, or a 400 refusal naming the sizes drawn; ``where`` says
    what the 512 px one is (``{y}@2x.png``)."""
    sent = [(k, v) for k, v in request.query_params.multi_items()
            if k.lower() in TILE_SIZE_PARAMS]
    if not sent:
        return None
    sizes = {_side(v) for _, v in sent}
    name, text = sent[0]
    if len(sizes) == 1 and _side(text) in ("256", "512"):
        return int(_side(text))
    raise ApiError(400, f"query parameter {name[:16]!r} must be 256 or 512 (pixels: the "
                        f"sizes of the square tiles drawn), got "
                        f"{'/'.join(sorted(v.strip() for _, v in sent))[:32]!r}; the 512 px "
                        f"tile is {where}, which map clients show at any size",
                   locator=name[:16])


def _sized_tile(svc: TileService, request: Request, layer: Layer, y: int, size: int,
                fmt: str) -> Response | None:
    """A ``301`` to the URL of the tile ``?tilesize=`` asks (:func:`asked_tile_size`):
    ``{y}@2x.png`` for 512, ``{y}.png`` for 256, the rest of the query kept; ``None``
    where the query asks no size.

    ``/tiles/p/8/131/84.png?tilesize=512`` (TiTiler's way to ask a 512 px tile, as a map
    set up for TiTiler asks it) was answered a 256 px tile, the parameter ignored: a map
    that laid 512 px tiles stretched each to twice its pixels (blurred, at half the detail
    asked, without a word). Each tile has one URL, so a
    size is sent to its tile's; a size other than 256 or 512, or 256 on an ``@2x`` URL
    (two sizes asked), is refused."""
    asked = asked_tile_size(request, f"{y}@2x.{fmt}")
    if asked is None:
        return None
    if size == 512 and asked == 256:
        raise ApiError(400, f"tile {y}@2x.{fmt} is 512 px, but ?tilesize=256 asks 256 px: "
                            f"ask {y}.{fmt} for a 256 px tile, or leave tilesize out",
                       locator="tilesize")
    head, _, _ = request.url.path.rpartition("/")
    kept = [(k, v) for k, v in request.query_params.multi_items()
            if k.lower() not in TILE_SIZE_PARAMS]
    from urllib.parse import urlencode

    location = f"{head}/{y}{'@2x' if asked == 512 else ''}.{fmt}" + (
        f"?{urlencode(kept)}" if kept else "")
    return Response(status_code=301, headers={
        "Location": svc.redirect_url(location),
        **svc.cache_headers(request, public=layer.config.public)})


async def wmts_tile(svc: TileService, request: Request) -> Response:
    """WMTS REST ``/wmts/1.0.0/{layer}/{style}/{TileMatrixSet}/{z}/{row}/{col}.png``, and
    ``/wmts/1.0.0/{layer}/{style}/{Time}/{TileMatrixSet}/...`` of a layer of one date (its
    capabilities' template: the ``time`` dimension, :func:`tiles.wmts._time_dimension`;
    its date served, another refused as the KVP binding's ``TIME=`` is).

    Refusals are OWS ExceptionReports at the KVP binding's statuses
    (:func:`wmts_refusal`), with the resource's part at fault as ``locator``."""
    p = request.path_params
    try:
        layer = svc.layer_for(request, p["layer"])
    except ApiError as exc:
        exc.locator = exc.locator or "Layer"
        raise
    # a layer of every date: the map of the {Time} asked (its latest without one)
    [layer] = svc.at_time([layer], p.get("time"), param="Time", code="InvalidParameterValue")
    if p["style"] != "default":
        raise ApiError(400, f"unknown style {p['style'][:40]!r}"
                            f"{case_hint(p['style'], ['default'])}; the only style is "
                            "'default'",
                       locator="Style")
    if "time" in p and layer.source.date is None:
        raise ApiError(400, f"layer {layer.name!r} is one map and has no time dimension, "
                            f"and the tile URL gives a time {p['time'][:40]!r} before the "
                            "tile matrix set: drop that segment (the URL template in "
                            "WMTSCapabilities.xml)", locator="Time")
    if "time" in p:
        svc.applied_time(request, [layer], p["time"], param="Time",
                         code="InvalidParameterValue")
    base, size = split_matrix_set(p["tms"])
    try:
        tms = svc.tms_for(layer, base)
    except ApiError as exc:
        exc.locator = exc.locator or "TileMatrixSet"
        raise
    col, dot, ext = p["tail"].partition(".")
    if not _INT.match(p["row"].removeprefix("-")):  # "7634@2x" drew a 512 px tile
        raise ApiError(400, _form("wmts", svc.config))
    own = {"KEY"}
    sent_format = _rest_format(request) if not dot else None
    if sent_format is not None:  # GeoServer's template: was refused as not a tile URL
        ext = _tile_format(sent_format[1], sent_format[0])
        own.add("FORMAT")
    tail = f"{p['row']}{'@2x' if size == 512 else ''}.{ext}"
    level = matrix_level(p["z"], p["tms"])  # GeoWebCache's "EPSG:3857:14": level 14
    z, x, y, size, fmt = parse_tile(level, col, tail, svc.config, tms, form="wmts",
                                    advertised=lambda: svc.meta(layer).zooms(base),
                                    layer=layer.name)
    redirect = _canonical_tile(svc, request, layer)
    if redirect is not None:
        return redirect
    return await serve_tile(svc, request, layer, base, z, x, y, size, fmt,
                            _wmts_dimensions(request, binding="rest", own=own))


_KVP_TILE_KEYS = ("LAYER", "TILEMATRIXSET", "TILEMATRIX", "TILEROW", "TILECOL")


def _tile_format(sent: str, name: str) -> str:
    """The tile extension (``png``, ``webp``) of a WMTS ``FORMAT`` media type ``sent`` in the
    parameter ``name``, or a refusal naming both served.

    A media type is compared without case (RFC 6838): image/PNG was refused; with
    parameters (GeoServer's "image/png; mode=8bit") too; JPEG is refused saying why, and
    other servers' names of a PNG (GeoServer's image/png8) are read as the PNG they are.
    """
    asked = sent.partition(";")[0].strip().lower()
    asked = MEDIA_TYPE_ALIASES.get(asked, asked)
    fmt = {"image/png": "png", "image/webp": "webp"}.get(asked)
    if fmt is None:
        jpeg = asked in ("image/jpeg", "image/jpg")
        raise ApiError(400, f"{name} must be image/png or image/webp, got {sent[:40]!r}"
                            + (f" ({unserved_format('jpeg', 'PNG or WebP tiles')})"
                               if jpeg else ""), locator=name)
    return fmt


def _rest_format(request: Request) -> tuple[str, str] | None:
    """The ``(name, value)`` of the ``format`` query parameter (any case) of a WMTS REST tile
    URL written without an extension, GeoServer's GeoWebCache template
    (``.../{TileMatrix}/{TileRow}/{TileCol}?format=image/png``); ``None`` when none."""
    return next(((k, v) for k, v in request.query_params.items() if k.upper() == "FORMAT"),
                None)


_OWS_CODES = {400: "InvalidParameterValue", 404: "InvalidParameterValue"}
"""OWS exceptionCode of a KVP refusal that names none (07-057r7, table 28)."""

_OWS_STATUS = {"InvalidParameterValue": 400, "MissingParameterValue": 400,
               "TileOutOfRange": 400, "OperationNotSupported": 501}
"""The HTTP status of each exceptionCode in the KVP binding (07-057r7, table 28): an
unknown layer, style or tile matrix set was a 404 with ``InvalidParameterValue``."""


async def wmts_kvp(svc: TileService, request: Request) -> Response:
    """WMTS KVP: ``/wmts?SERVICE=WMTS&REQUEST=GetCapabilities`` or ``REQUEST=GetTile``.

    Every refusal is an OWS 1.1 ExceptionReport (XML, as the KVP binding requires) with
    the refusal's HTTP status; it was the JSON of the REST endpoints, which WMTS clients
    (QGIS, ArcGIS, GDAL) do not read.
    """
    try:
        svc.check_rate(request)  # a 429 in the client's XML too (it was JSON)
        refuse_repeated(request)
        return await _wmts_kvp(svc, request)
    except ApiError as exc:
        refusal = exc
    except LayerDataError as exc:  # the operator's log names the file, the client not
        name = request.query_params.get("LAYER") or None
        refusal = read_refusal(svc.log, exc, name,
                               say=lambda e: svc.note_unread_request(e, name))
    return wmts_refusal(refusal)


def wmts_refusal(refusal: ApiError) -> Response:
    """``refusal`` as the OWS 1.1 ExceptionReport a WMTS client reads (KVP and REST
    bindings alike)."""
    code = refusal.code or _OWS_CODES.get(refusal.status, "NoApplicableCode")
    status = _OWS_STATUS.get(code, refusal.status) if refusal.status in (400, 404) \
        else refusal.status
    return Response(exception_report(code, refusal.message, refusal.locator),
                    status_code=status, media_type="application/xml",
                    headers=refusal_headers(refusal.status, refusal.headers))


async def _wmts_kvp(svc: TileService, request: Request) -> Response:
    q = {k.upper(): v for k, v in request.query_params.items()}
    req = q.get("REQUEST", "").lower()
    if q.get("SERVICE", "WMTS").upper() != "WMTS":
        raise ApiError(400, f"SERVICE must be WMTS, got {q['SERVICE'][:40]!r}",
                       locator="SERVICE")
    if req == "getcapabilities":
        accepted = [v.strip() for v in q.get("ACCEPTVERSIONS", "").split(",") if v.strip()]
        if accepted and "1.0.0" not in accepted:  # OWS 1.1 7.3.2: it answered 1.0.0
            raise ApiError(400, f"AcceptVersions {q['ACCEPTVERSIONS'][:40]!r} names no version "
                                "served; this server serves WMTS 1.0.0",
                           code="VersionNegotiationFailed", locator="AcceptVersions")
        return await wmts_capabilities(svc, request, binding="kvp")
    if req != "gettile":
        raise ApiError(400, "REQUEST must be GetCapabilities or GetTile"
                       + (f", got {q['REQUEST'][:40]!r}" if q.get("REQUEST") else ""),
                       code="OperationNotSupported" if req else "MissingParameterValue",
                       locator="REQUEST")
    if q.get("VERSION", "1.0.0") != "1.0.0":
        raise ApiError(400, f"only WMTS VERSION=1.0.0 is served, got {q['VERSION'][:16]!r}",
                       locator="VERSION")
    # named in WMTS's own terms: the XYZ URL form a client of the KVP binding never used
    missing = [k for k in _KVP_TILE_KEYS if not q.get(k)]
    if missing:
        raise ApiError(400, f"GetTile needs {', '.join(missing)} (the parameters are "
                            f"{', '.join(_KVP_TILE_KEYS)})", code="MissingParameterValue",
                       locator=missing[0])
    sent = q["TILEMATRIX"]  # GeoWebCache's "EPSG:3857:14" in its set "EPSG:3857": level 14
    q["TILEMATRIX"] = matrix_level(sent, q["TILEMATRIXSET"])
    bad = [k for k in _KVP_TILE_KEYS[2:] if not (_INT.match(q[k]) or (
        k != "TILEMATRIX" and _BELOW_ZERO.match(q[k])))]  # below 0: TileOutOfRange
    if bad:  # the value sent, and what an identifier is here
        matrix = bad[0] == "TILEMATRIX"
        raise ApiError(400, "TILEMATRIX, TILEROW and TILECOL must be non-negative integers"
                            f", got {bad[0]}={(sent if matrix else q[bad[0]])[:40]!r}"
                            + ("; a TileMatrix identifier here is its zoom level as the "
                               "capabilities list it ('0', '1', ...), or GeoServer's: the "
                               f"TILEMATRIXSET's name, a colon and the level "
                               f"('{q['TILEMATRIXSET'][:40]}:14')" if matrix else ""),
                       locator=bad[0])
    try:
        layer = svc.layer_for(request, q["LAYER"])
    except ApiError as exc:
        exc.locator = exc.locator or "LAYER"
        raise
    [layer] = svc.at_time([layer], q.get("TIME"), code="InvalidParameterValue")
    if q.get("STYLE", "default") not in ("default", ""):
        raise ApiError(400, f"unknown STYLE {q['STYLE'][:40]!r}"
                            f"{case_hint(q['STYLE'], ['default'])}; the only style is "
                            "'default'",
                       locator="STYLE")
    # a media type is compared without case (RFC 6838): image/PNG was refused; with
    # parameters (GeoServer's "image/png; mode=8bit") too; JPEG is refused saying why
    # and other servers' names of a PNG (GeoServer's image/png8) as the PNG they are
    fmt = _tile_format(q.get("FORMAT", "image/png"), "FORMAT")
    base, size = split_matrix_set(q.get("TILEMATRIXSET", ""))
    try:
        tms = svc.tms_for(layer, base)
    except ApiError as exc:
        exc.locator = "TILEMATRIXSET"
        raise
    tail = f"{q.get('TILEROW', '')}{'@2x' if size == 512 else ''}.{fmt}"
    z, x, y, size, fmt = parse_tile(q.get("TILEMATRIX", ""), q.get("TILECOL", ""), tail,
                                    svc.config, tms, form="kvp",
                                    advertised=lambda: svc.meta(layer).zooms(base),
                                    layer=layer.name)
    redirect = _canonical_tile(svc, request, layer, kvp=True)
    if redirect is not None:
        return redirect
    # TIME (any case: a KVP parameter's name is read without case) on a layer of one date
    # is its declared dimension: its date served, another refused (it was ignored)
    applied = svc.applied_time(request, [layer], q.get("TIME"), param="TIME",
                               code="InvalidParameterValue")
    return await serve_tile(svc, request, layer, base, z, x, y, size, fmt,
                            _wmts_dimensions(request, binding="kvp",
                                             applied=("TIME",) if applied else ()))


async def tilejson_doc(svc: TileService, request: Request) -> Response:
    """``/tilejson/{layer}.json[?tms=NAME][&tilesize=512]``: TileJSON 3.0.0 with absolute
    links (of 512 px tiles, ``{y}@2x.png``, with ``tilesize=512``)."""
    name = request.path_params["name"]
    stem = file_name(name, "json", "TileJSON URLs are "
                     + svc.public_path("/tilejson/{layer}.json"),
                     served="TileJSON (JSON)")
    layer = svc.layer_for(request, svc.readable_spelling(request, stem))
    tms = matrix_set_spelled(request.query_params.get("tms", DEFAULT_TMS),
                             svc.matrix_sets(layer))
    redirect = svc.respelled(request, layer, name, f"{layer.name}.json", {"tms": tms})
    if redirect is not None:
        return redirect
    svc.tms_for(layer, tms)
    # ?time= of a date's layer, as its tiles and legend take it: its date or a 400 naming
    # the layer of the date asked (a map asking 2020's TileJSON of 2021's layer was given
    # 2021's tile URLs without a word, and drew 2021 as 2020)
    layer = svc.query_layer(request, layer)
    timed = svc.query_time(request, layer)
    # ?tilesize=512 (TiTiler's): the document of 512 px tiles; it was ignored, "tileSize":
    # 256 and 256 px tiles to a map that asked 512 (stretched to twice their pixels)
    size = asked_tile_size(request, "{y}@2x.png") or 256
    base, suffix = svc.base_url(request), _suffix(svc, request)
    part = "" if tms == DEFAULT_TMS else f"/{tms}"
    scale = "@2x" if size == 512 else ""
    if layer.times and any(k.lower() in QUERY_TIMES for k in request.query_params):
        # a layer of every date asked at one: its tiles' and legend's URLs at that date
        suffix += f"{'&' if suffix else '?'}time={layer.source.date}"
    doc = tilejson(
        layer.config, svc.meta(layer),
        tiles_url=f"{base}/tiles/{layer.name}{part}/{{z}}/{{x}}/{{y}}{scale}.png{suffix}",
        legend_url=f"{base}/legend/{layer.name}{scale}.png{suffix}", tile_matrix_set=tms,
        tile_size=size, classes=svc.classes(layer),
    )
    if layer.times:  # of every date: the date drawn and the others, for a time control
        doc["prospect"] = {**doc["prospect"], "date": layer.source.date,
                           "dates": list(layer.times)}
    body = _json(doc)
    etag = svc.etag(layer, "tilejson", hashlib.sha256(body).hexdigest())
    return svc.respond(request, layer, etag, body, "application/json", timed or None)


def wmts_service(cfg: ServeConfig) -> WmtsService:
    """Service-level metadata of the WMTS document from the serve config."""
    return WmtsService(
        title=cfg.title, abstract=cfg.abstract, provider=cfg.provider,
        provider_site=cfg.provider_url, contact_email=cfg.contact_email,
        access_constraints=cfg.access_constraints, fees=cfg.fees,
    )


async def wmts_capabilities(svc: TileService, request: Request, binding: str = "rest"
                            ) -> Response:
    """``/wmts/1.0.0/WMTSCapabilities.xml`` (REST) or the KVP GetCapabilities."""
    visible = svc.visible(request)
    if not visible:
        hint = svc.key_elsewhere(request)
        raise ApiError(401, "no layer is readable without an API key: send ?key=..."
                       + (f" ({hint})" if hint else ""))
    base, suffix = svc.base_url(request), _suffix(svc, request)

    def describe(layer: Layer) -> WmtsLayer:
        meta = svc.meta(layer)
        return WmtsLayer(
            layer.name, meta.label, meta.bounds, meta.matrix_sets, abstract=meta.description,
            legend_url=f"{base}/legend/{layer.name}.png{suffix}", date=layer.source.date,
            dates=tuple(layer.times),
        )

    layers = svc.each_readable(visible, describe)
    doc = capabilities_xml(layers, base_url=base, service=wmts_service(svc.config),
                           query=svc.key_query(request), binding=binding)  # type: ignore[arg-type]
    body = doc.encode()
    etag = svc.etag(None, "wmts", binding, hashlib.sha256(body).hexdigest())
    return svc.respond(request, visible, etag, body, "application/xml", listing=True)


_LEGEND_SCALE = re.compile(r"^(?P<stem>.*)@(?P<scale>[0-9]{1,3}(?:\.[0-9]{1,3})?)x$",
                           re.IGNORECASE)
"""A legend URL's stem at a pixel density (``ramp@2x``, as Leaflet, MapLibre and TiTiler
write a high-density image's name)."""


async def legend(svc: TileService, request: Request) -> Response:
    """``/legend/{layer}.png`` (or ``{layer}@2x.png``, the same legend at twice the
    pixels): the legend image, ``?width=&height=`` pixels at 1x (names in any case, as
    GetLegendGraphic's ``WIDTH`` and ``HEIGHT``; each left out is the default's).
    Both were ignored: ``/legend/ramp.png?width=100&height=40`` answered the 320 x 84
    legend, which a page that sized its legend box by them showed squeezed or cut.

    ``ramp@2x.png`` (a page asking a legend for a high-density screen, as it asks its
    tiles) was refused as a layer name of characters not allowed, "got 'ramp@2x'": the
    client was told its layer name was wrong. It is drawn at 2x; ``@1x`` is sent to the
    legend's one URL, another scale is refused naming the two drawn."""
    name = request.path_params["name"]
    stem = file_name(name, "png", f"legend URLs are {svc.public_path('/legend/{layer}.png')}"
                     f" (or {svc.public_path('/legend/{layer}@2x.png')})", served="PNG")
    scaled = _LEGEND_SCALE.match(stem)
    stem = scaled.group("stem") if scaled else stem
    layer = svc.layer_for(request, svc.readable_spelling(request, stem))
    scale = 1
    if scaled:
        density = scaled.group("scale")
        if density not in ("1", "2"):
            raise ApiError(400, f"legends at scale @{density}x are not drawn here, only at "
                                f"1x ({svc.public_path(f'/legend/{layer.name}.png')}) and "
                                f"2x ({svc.public_path(f'/legend/{layer.name}@2x.png')}): "
                                "ask the @2x legend in its place, "
                                "which a page shows at any pixel ratio")
        scale = int(density)
    redirect = svc.respelled(request, layer, name,
                             f"{layer.name}{'@2x' if scale == 2 else ''}.png")
    if redirect is not None:
        return redirect
    asked = {k.upper(): v for k, v in request.query_params.items()
             if k.upper() in ("WIDTH", "HEIGHT")}
    size = asked_legend_size(
        svc, layer, asked, what=svc.public_path(f"/legend/{layer.name}.png") + "?{}=")
    scale, beyond = _legend_dpi(svc, request, layer, scale, scaled is not None)
    # ?time= of a date's layer, as its tiles take it: its date or a 400 (it was ignored)
    layer = svc.query_layer(request, layer)
    extra = svc.query_time(request, layer)
    if beyond:
        extra = extra | {"Warning": ", ".join(w for w in (extra.get("Warning"), beyond) if w)}
    return await legend_for(svc, request, layer, size, scale, extra or None)


def _legend_dpi(svc: TileService, request: Request, layer: Layer, scale: int,
                stated: bool) -> tuple[int, str | None]:
    """The density (1 or 2) of ``/legend/{layer}.png`` asked at ``?dpi=`` (or the
    ``legend_options=dpi:``, ``format_options=dpi:`` and ``map_resolution=`` that
    GetLegendGraphic reads, names in any case: :func:`tiles.wms.legend_density`'s rule),
    and the ``Warning`` of a dpi past the 2x legend's (``None`` otherwise). ``scale`` is
    the URL's own (``@2x``: 2), ``stated`` whether the URL names one (``@1x``, ``@2x``).

    ``?dpi=300`` (a print's legend, as a page laying out a print asks it) was ignored: the
    1x legend of a screen's 96 dpi, without a word, where GetLegendGraphic's ``DPI=300``
    of the same server was the 2x one with a ``Warning``. A dpi asking another density
    than the URL's ``@2x`` or ``@1x`` is a 400 naming both."""
    sent = {k.upper(): k for k in request.query_params
            if k.upper() in ("DPI", "LEGEND_OPTIONS", "FORMAT_OPTIONS", "MAP_RESOLUTION")}
    q = {upper: request.query_params[k] for upper, k in sent.items()}
    if not q:
        return scale, None
    density, beyond = legend_density(q, sent)  # said back as the URL wrote them
    if stated and density != scale:
        said = ", ".join(f"{sent[k]}={v[:16]}" for k, v in q.items())
        raise ApiError(400, f"{said} asks the {density}x legend, but the URL names the "
                            f"{scale}x one ({layer.name}{'@2x' if scale == 2 else '@1x'}"
                            f".png): give one "
                            f"({svc.public_path(f'/legend/{layer.name}.png')}?{said}, or "
                            + svc.public_path(f"/legend/{layer.name}"
                                              f"{'@2x' if density == 2 else ''}.png") + ")")
    return density, beyond


def asked_legend_size(svc: TileService, layer: Layer, asked: dict[str, str], *,
                      what: str = "GetLegendGraphic {}") -> tuple[int, int] | None:
    """The legend size ``asked`` (``WIDTH`` and ``HEIGHT`` as sent, each left out the
    layer's own: :meth:`TileService.legend_size`), or ``None`` where none is asked; a 400
    refusal of a size that is none (``what`` names the parameter, :func:`tiles.wms.
    legend_size`)."""
    from tiles.wms import legend_size

    if not asked:
        return None
    default = svc.legend_size(layer)  # a class map's own height where none is asked
    return legend_size({"WIDTH": str(default[0]), "HEIGHT": str(default[1])} | asked,
                       what=what)


async def legend_for(svc: TileService, request: Request, layer: Layer,
                     size: tuple[int, int] | None = None, scale: int = 1,
                     extra: dict[str, str] | None = None) -> Response:
    """The legend of an already checked layer, ``size`` (width, height) pixels at ``scale``
    (2: twice the pixels, the same legend): the default one (``None``, or the layer's own
    size) cached, another drawn a few at a time as WMS maps are. ``extra``: headers to add
    (the ``Warning`` of a time the layer does not declare).

    A class map's legend is as tall as its classes; one asked at 320 x 84 (a ramp's size,
    the size every other legend here has) was answered that taller default, as if no size
    had been asked, and a client's legend box showed it squeezed."""
    density = () if scale == 1 else (f"@{scale}x",)
    if size is None or size == svc.legend_size(layer):
        body = await run_in_threadpool(svc.legend, layer, None, scale)
        return svc.respond(request, layer, svc.etag(layer, "legend", *density), body,
                           "image/png", extra)
    body = await svc.draw(svc.legend, layer, size, scale)
    return svc.respond(request, layer, svc.etag(layer, "legend", *size, *density), body,
                       "image/png", extra)


async def point(svc: TileService, request: Request) -> Response:
    """``/point/{layer}?lon=&lat=``: the cell value at a WGS 84 point (``null`` where the
    cell has no data) and whether the point is ``inside`` the layer's grid."""
    sent = request.path_params["layer"]
    layer = svc.layer_for(request, svc.readable_spelling(request, sent))
    redirect = svc.respelled(request, layer, sent, layer.name)
    if redirect is not None:
        return redirect
    _check_point_query(svc, request)
    layer = svc.query_layer(request, layer)  # a layer of every date: the map asked
    timed = svc.query_time(request, layer)  # ?time= of a date's layer: its date or a 400
    lon = float_param(request, "lon", -180.0, 180.0)
    # the whole globe: a layer north of Web Mercator's 85.06 degrees (an Arctic survey,
    # served by WMS in EPSG:4326) was refused a value at every one of its cells
    lat = float_param(request, "lat", -90.0, 90.0)
    # within the layer, with no data there (null), or beyond it: one read of one version
    value, inside = await run_in_threadpool(layer.source.locate, lon, lat)
    doc: dict[str, object] = {
        "layer": layer.name, "lon": lon, "lat": lat, "value": value,
        "units": svc.meta(layer).units, "inside": inside,
    }
    if not inside and abs(lon) <= 90.0 and await run_in_threadpool(layer.source.covers,
                                                                   lat, lon):
        # "inside": false of a point given latitude first (as EPSG:4326 and a GPS's
        # "52.5, 5.5" write it), without a word on the layer it was meant for
        doc["hint"] = (f"lon={lon:g}, lat={lat:g} is outside the layer, but lon={lat:g}, "
                       f"lat={lon:g} is inside it: were lon and lat swapped? "
                       f"{svc.public_path('/point')} takes lon= (east) and lat= (north)")
    body = _json(doc)
    return svc.respond(request, layer, svc.etag(layer, "point", lon, lat), body,
                       "application/json", timed)


_POINT_AXES = {"x": "lon", "lng": "lon", "long": "lon", "longitude": "lon", "lon": "lon",
               "y": "lat", "latitude": "lat", "lat": "lat"}
"""Names a ``/point`` caller gives its coordinates (Leaflet's ``lng``, GeoJSON's x/y), by
the one ``/point`` reads."""

_POINT_CRS = ("crs", "srs", "epsg", "proj", "projection")
"""Names a ``/point`` caller states the point's CRS in."""


def _check_point_query(svc: TileService, request: Request) -> None:
    """Refuse a ``/point`` query whose point is given otherwise than ``lon=`` and ``lat=``
    in WGS 84 degrees: its coordinates under other names (``x``/``y``, ``lng``,
    ``longitude``) were "missing query parameter 'lon'", not a word on the names sent; a
    ``crs=`` beside them (``crs=EPSG:28992``) was ignored, the point read as degrees (a
    value of another place where its numbers happened to be degrees, else a refusal of
    its range that named no CRS)."""
    from tiles.wms import crs_alias

    sent = {k.lower(): (k, v) for k, v in request.query_params.items()}
    for key in _POINT_CRS:
        if key not in sent:
            continue
        name, text = sent[key]
        crs = crs_alias(text.strip())
        if crs.upper() in ("EPSG:4326", "CRS:84", "OGC:CRS84", "4326", "WGS84", "WGS 84"):
            continue
        raise ApiError(400, f"{svc.public_path('/point')} reads lon= and lat= in WGS 84 "
                            "degrees (EPSG:4326) and "
                            f"takes no CRS, got {name}={text[:40]!r}: give the point in "
                            "degrees (gdaltransform -s_srs "
                            f"{text[:40] if ':' in text else 'EPSG:XXXX'} -t_srs EPSG:4326 "
                            f"converts it) and leave {name} out")
    if "lon" in request.query_params and "lat" in request.query_params:
        return
    for name in ("lat", "lon"):  # "52.5,5.5": a point as Google Maps copies it, in one
        pair = _pair(request.query_params.get(name, ""))
        if pair is not None:
            raise ApiError(400, f"{svc.public_path('/point')} takes lon= and lat= apart, "
                                f"got {name}="
                                f"{request.query_params[name][:40]!r}, two numbers in one: "
                                f"if they are latitude, longitude (as map sites copy a "
                                f"point) write ?lon={pair[1]}&lat={pair[0]}")
    other = [sent[k] for k in sent if _POINT_AXES.get(k) and k not in ("lon", "lat")]
    if other:
        given = ", ".join(f"{k}={v[:24]!r}" for k, v in other)
        raise ApiError(400, f"{svc.public_path('/point')} takes the point as lon= and lat= "
                            "(WGS 84 degrees, "
                            f"longitude east), got {given}: write ?lon=...&lat=...")


async def viewer(svc: TileService, request: Request) -> Response:
    """``/viewer/``: the map page with the layers the caller may read."""
    visible = svc.visible(request)
    base, suffix = svc.base_url(request), _suffix(svc, request)
    cfg = svc.config

    def describe(layer: Layer) -> ViewerLayer:
        meta = svc.meta(layer)
        return ViewerLayer(
            config=layer.config,
            tiles=f"{base}/tiles/{layer.name}/{{z}}/{{x}}/{{y}}.png{suffix}",
            legend=f"{base}/legend/{layer.name}.png{suffix}",
            legend_2x=f"{base}/legend/{layer.name}@2x.png{suffix}",
            point=f"{base}/point/{layer.name}{suffix}",
            bounds=meta.bounds, min_zoom=meta.min_zoom, max_zoom=meta.max_zoom,
            title=meta.title, attribution=meta.attribution, synthetic=meta.synthetic,
            units=meta.units, classes=svc.classes(layer),
            # a layer of every date: the page's date picker, its default drawn first
            dates=tuple(layer.times), date=layer.default_date,
        )

    # a layer whose files are damaged, cut short or removed (or its one date gone from its
    # cube) is left out, as the capabilities leave it: it made the whole page the 503
    # "damaged, truncated or being replaced", every other layer with it
    entries = svc.each_readable(visible, describe, document="the viewer's page")
    html = viewer_html(entries, title=cfg.title, static_url=f"{base}/static",
                       synthetic=any(e.synthetic for e in entries))
    private = bool(suffix) or not all(layer.config.public for layer in visible)
    # a validator, so a reload is a 304 (it was the whole page each time, with no-cache)
    etag = svc.etag(None, "viewer", hashlib.sha256(html.encode()).hexdigest())
    return conditional_response(request, etag, html, "text/html", {
        "Cache-Control": "private, no-cache" if private else "no-cache", "Vary": "X-API-Key",
    })
