"""Request handlers of the tile server: one function per endpoint, each ``(svc, request)``.

Handlers parse and check the request, ask :class:`tiles.service.TileService` for the data
and answer through its one conditional-GET path; refusals are :class:`tiles.http.ApiError`.
"""

from __future__ import annotations

import hashlib
import json
import math
import re

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from prospect.config.tiles import ServeConfig
from tiles.archive import tilejson
from tiles.http import ApiError
from tiles.service import TileService
from tiles.viewer import ViewerLayer, viewer_html
from tiles.wmts import WmtsLayer, capabilities_xml

__all__ = [
    "health", "layer_list", "legend", "point", "root", "tile", "tilejson_doc", "viewer",
    "wmts_capabilities",
]

_INT = re.compile(r"^[0-9]{1,8}$")
_TILE_TAIL = re.compile(r"^([0-9]{1,8})(@2x)?\.(png|webp)$")


def parse_tile(
    z_text: str, x_text: str, tail: str, cfg: ServeConfig
) -> tuple[int, int, int, int, str]:
    """``(z, x, y, size, fmt)`` from the tile URL parts, or a 400/404 refusal."""
    m = _TILE_TAIL.match(tail)
    if not (_INT.match(z_text) and _INT.match(x_text) and m):
        raise ApiError(
            400, "tile URLs are /tiles/{layer}/{z}/{x}/{y}.png (or .webp, or {y}@2x.png) "
            "with non-negative integers z, x, y"
        )
    z, x, y = int(z_text), int(x_text), int(m.group(1))
    if not cfg.min_zoom <= z <= cfg.max_zoom:
        raise ApiError(404, f"zoom {z} outside the served range {cfg.min_zoom}..{cfg.max_zoom}")
    n = 1 << z
    if x >= n or y >= n:
        raise ApiError(400, f"tile {z}/{x}/{y} does not exist: at zoom {z}, x and y are 0..{n - 1}")
    return z, x, y, 512 if m.group(2) else 256, m.group(3)


def float_param(request: Request, name: str, lo: float, hi: float) -> float:
    """A finite query number within ``lo..hi``, or a 400 refusal naming the parameter."""
    text = request.query_params.get(name)
    if text is None:
        raise ApiError(400, f"missing query parameter {name!r}")
    try:
        if len(text) > 32:
            raise ValueError
        value = float(text)
    except ValueError:
        raise ApiError(
            400, f"query parameter {name!r} must be a number, got {text[:32]!r}"
        ) from None
    if not (math.isfinite(value) and lo <= value <= hi):
        raise ApiError(400, f"query parameter {name!r} must be within {lo}..{hi}, got {value}")
    return value


def _suffix(svc: TileService, request: Request) -> str:
    q = svc.key_query(request)
    return f"?{q}" if q else ""


async def health(svc: TileService, request: Request) -> Response:
    """Liveness: no data, no key."""
    return JSONResponse({"status": "ok", "layers": len(svc.layers)})


async def root(svc: TileService, request: Request) -> Response:
    """``/`` redirects to the viewer."""
    return Response(status_code=307, headers={"Location": "/viewer/"})


async def layer_list(svc: TileService, request: Request) -> Response:
    """The layers the caller may read, with their TileJSON links."""
    base, suffix = svc.base_url(request), _suffix(svc, request)
    visible = svc.visible(request)
    body = json.dumps([
        {
            "name": layer.name, "title": layer.config.label, "role": layer.config.role,
            "public": layer.config.public,
            "tilejson": f"{base}/tilejson/{layer.name}.json{suffix}",
        }
        for layer in visible
    ]).encode()
    etag = svc.etag(None, "layers", hashlib.sha256(body).hexdigest())
    return svc.respond(request, visible, etag, body, "application/json")


async def tile(svc: TileService, request: Request) -> Response:
    """``/tiles/{layer}/{z}/{x}/{y}.png``: one rendered tile."""
    p = request.path_params
    layer = svc.layer_for(request, p["layer"])
    z, x, y, size, fmt = parse_tile(p["z"], p["x"], p["tail"], svc.config)
    etag = svc.etag(layer, "tile", z, x, y, size, fmt)
    probe = svc.respond(request, layer, etag, b"", f"image/{fmt}")
    if probe.status_code == 304:  # the client has it: nothing is rendered
        return probe
    body = await svc.tile_bytes(layer, z, x, y, size, fmt)
    return svc.respond(request, layer, etag, body, f"image/{fmt}")


async def tilejson_doc(svc: TileService, request: Request) -> Response:
    """``/tilejson/{layer}.json``: TileJSON 3.0.0 with absolute links."""
    name = request.path_params["name"]
    if not name.endswith(".json"):
        raise ApiError(400, "TileJSON URLs are /tilejson/{layer}.json")
    layer = svc.layer_for(request, name[:-5])
    base, suffix = svc.base_url(request), _suffix(svc, request)
    cfg = svc.config
    doc = tilejson(
        layer.config, tiles_url=f"{base}/tiles/{layer.name}/{{z}}/{{x}}/{{y}}.png{suffix}",
        bounds=layer.source.lonlat_bounds, min_zoom=cfg.min_zoom,
        max_zoom=cfg.max_zoom, legend_url=f"{base}/legend/{layer.name}.png{suffix}",
        attribution=cfg.attribution,
    )
    body = json.dumps(doc).encode()
    etag = svc.etag(layer, "tilejson", hashlib.sha256(body).hexdigest())
    return svc.respond(request, layer, etag, body, "application/json")


async def wmts_capabilities(svc: TileService, request: Request) -> Response:
    """``/wmts/1.0.0/WMTSCapabilities.xml``: the layers the caller may read."""
    visible = svc.visible(request)
    if not visible:
        raise ApiError(401, "no layer is readable without an API key: send ?key=...")
    cfg = svc.config
    doc = capabilities_xml(
        [WmtsLayer(layer.name, layer.config.label, layer.source.lonlat_bounds,
                   cfg.min_zoom, cfg.max_zoom) for layer in visible],
        base_url=svc.base_url(request), title=cfg.title, query=svc.key_query(request),
    )
    body = doc.encode()
    etag = svc.etag(None, "wmts", hashlib.sha256(body).hexdigest())
    return svc.respond(request, visible, etag, body, "application/xml")


async def legend(svc: TileService, request: Request) -> Response:
    """``/legend/{layer}.png``: the legend image."""
    name = request.path_params["name"]
    if not name.endswith(".png"):
        raise ApiError(400, "legend URLs are /legend/{layer}.png")
    layer = svc.layer_for(request, name[:-4])
    body = await run_in_threadpool(svc.legend, layer)
    return svc.respond(request, layer, svc.etag(layer, "legend"), body, "image/png")


async def point(svc: TileService, request: Request) -> Response:
    """``/point/{layer}?lon=&lat=``: the cell value at a WGS 84 point."""
    layer = svc.layer_for(request, request.path_params["layer"])
    lon = float_param(request, "lon", -180.0, 180.0)
    lat = float_param(request, "lat", -85.06, 85.06)
    value = await run_in_threadpool(layer.source.point, lon, lat)
    body = json.dumps({
        "layer": layer.name, "lon": lon, "lat": lat, "value": value,
        "units": layer.config.units, "inside": value is not None,
    }).encode()
    return svc.respond(request, layer, svc.etag(layer, "point", lon, lat), body,
                       "application/json")


async def viewer(svc: TileService, request: Request) -> Response:
    """``/viewer/``: the map page with the layers the caller may read."""
    visible = svc.visible(request)
    base, suffix = svc.base_url(request), _suffix(svc, request)
    cfg = svc.config
    html = viewer_html(
        [
            ViewerLayer(
                config=layer.config,
                tiles=f"{base}/tiles/{layer.name}/{{z}}/{{x}}/{{y}}.png{suffix}",
                legend=f"{base}/legend/{layer.name}.png{suffix}",
                point=f"{base}/point/{layer.name}{suffix}",
                bounds=layer.source.lonlat_bounds,
                min_zoom=cfg.min_zoom, max_zoom=cfg.max_zoom,
            )
            for layer in visible
        ],
        title=cfg.title, static_url=f"{base}/static",
    )
    private = bool(suffix) or not all(layer.config.public for layer in visible)
    return Response(html, media_type="text/html", headers={
        "Cache-Control": "private, no-cache" if private else "no-cache", "Vary": "X-API-Key",
    })
