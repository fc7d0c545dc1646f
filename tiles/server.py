"""The tile server: an ASGI (Starlette) app serving configured layers to agencies.

Endpoints (``{layer}`` is a configured layer *name*; paths and URLs are never accepted):

=========================================================  ==================================
``GET /health``                                            liveness, no data, no key
``GET /layers``                                            layers the caller may read
``GET /tiles/{layer}/{z}/{x}/{y}.png`` (``.webp``, ``@2x``)  XYZ tile, 256 px (512 px ``@2x``)
``GET /tilejson/{layer}.json``                             TileJSON 3.0.0
``GET /wmts/1.0.0/WMTSCapabilities.xml``                   OGC WMTS GetCapabilities (REST)
``GET /legend/{layer}.png``                                legend image
``GET /point/{layer}?lon=..&lat=..``                       the value at a WGS 84 point
``GET /viewer/``                                           the map viewer page
=========================================================  ==================================

Keys travel as header ``X-API-Key`` or query ``key``. Every response that carries data has
an ETag (data version + request) and Cache-Control (``public`` for public layers,
``private`` otherwise); ``If-None-Match`` gets 304. Errors are JSON ``{"error": ...}``.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import anyio
import anyio.to_thread
import numpy as np
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from prospect.config.tiles import ServeConfig, ServeLayerConfig
from tiles.archive import tilejson
from tiles.auth import Decision, KeyStore
from tiles.cache import TileCache
from tiles.colormap import encode_image, encode_indexed, render_indexed
from tiles.legend import legend_png
from tiles.source import LayerSource, cog_source, cube_source
from tiles.viewer import STATIC_DIR, ViewerLayer, viewer_html
from tiles.wmts import WmtsLayer, capabilities_xml

__all__ = ["MAX_URL_LENGTH", "Layer", "create_app"]

MAX_URL_LENGTH = 2048
"""Longest accepted path + query string, in bytes."""

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
_INT = re.compile(r"^[0-9]{1,8}$")
_TILE_TAIL = re.compile(r"^([0-9]{1,8})(@2x)?\.(png|webp)$")


class ApiError(Exception):
    """A refusal with an HTTP status and a one-line reason."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Layer:
    """A configured layer and its opened data source."""

    config: ServeLayerConfig
    source: LayerSource

    @property
    def name(self) -> str:
        """Layer name in URLs."""
        return self.config.name


class _Limits:
    """ASGI middleware: only GET/HEAD, no request bodies, bounded URL length."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status, message = 0, ""
        raw_path = scope.get("raw_path") or scope["path"].encode()
        if len(raw_path) + len(scope.get("query_string", b"")) > MAX_URL_LENGTH:
            status, message = 414, f"URL longer than {MAX_URL_LENGTH} bytes"
        elif scope["method"] not in ("GET", "HEAD"):
            status, message = 405, f"method {scope['method']} not allowed; use GET"
        else:
            headers = dict(scope.get("headers", []))
            length = headers.get(b"content-length", b"0")
            if b"transfer-encoding" in headers or (length.isdigit() and int(length) > 0) or (
                not length.isdigit()
            ):
                status, message = 413, "request bodies are not accepted"
        if status:
            response = JSONResponse({"error": message, "status": status}, status_code=status)
            if status == 405:
                response.headers["Allow"] = "GET, HEAD"
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message, "status": status}, status_code=status)


class TileService:
    """State and handlers behind :func:`create_app`."""

    def __init__(self, config: ServeConfig, layers: dict[str, Layer]) -> None:
        self.config = config
        self.layers = layers
        self.keys = KeyStore(config.keys, [layer.config for layer in layers.values()])
        self.cache = TileCache(config.cache_mb * 1024 * 1024)
        self._legends: dict[str, bytes] = {}
        self._inflight: dict[tuple[Any, ...], asyncio.Future[bytes]] = {}
        self._limiter = anyio.CapacityLimiter(max(4, 2 * (os.cpu_count() or 2)))
        self._blank: dict[tuple[int, str], bytes] = {}
        self._config_digest = hashlib.sha256(
            json.dumps(config.model_dump(mode="json"), sort_keys=True).encode()
        ).hexdigest()[:12]

    # -- request helpers ------------------------------------------------------------
    @staticmethod
    def key_of(request: Request) -> str | None:
        """The API key sent with the request (header first, then ``?key=``)."""
        return request.headers.get("x-api-key") or request.query_params.get("key") or None

    def base_url(self, request: Request) -> str:
        """Root URL for links in TileJSON / WMTS / viewer documents."""
        if self.config.public_url:
            return self.config.public_url
        return str(request.base_url).rstrip("/")

    def layer_for(self, request: Request, name: str) -> Layer:
        """The configured layer ``name`` if the caller may read it; else an :class:`ApiError`."""
        if not _NAME.match(name):
            raise ApiError(400, "layer names are letters, digits, '_' and '-' only")
        key = self.key_of(request)
        layer = self.layers.get(name)
        if layer is None:
            # a bad key is refused before anything is said about which layers exist
            who = self.keys.identify(key) if key else None
            if who is not None and not who.allowed:
                raise ApiError(who.status, who.message)
            raise ApiError(404, f"unknown layer {name!r}; GET /layers lists the layers")
        decision: Decision = self.keys.check(key, name)
        if not decision.allowed:
            raise ApiError(decision.status, decision.message)
        return layer

    def cache_headers(self, layer: Layer, etag: str) -> dict[str, str]:
        """ETag, Cache-Control and Vary for a data response."""
        scope = "public" if layer.config.public else "private"
        return {
            "ETag": etag,
            "Cache-Control": f"{scope}, max-age={self.config.cache_max_age}",
            "Vary": "X-API-Key",
        }

    def etag(self, layer: Layer, *parts: object) -> str:
        """A strong ETag from the data version, the server config and the request."""
        text = ":".join([layer.name, layer.source.token, self._config_digest, *map(str, parts)])
        return '"' + hashlib.sha256(text.encode()).hexdigest()[:24] + '"'

    def respond(
        self, request: Request, layer: Layer, etag: str, body: bytes, media_type: str
    ) -> Response:
        """200 with ``body``, or 304 when the client's ``If-None-Match`` matches."""
        headers = self.cache_headers(layer, etag)
        inm = request.headers.get("if-none-match", "")
        if inm and (inm.strip() == "*" or etag in [t.strip() for t in inm.split(",")]):
            return Response(status_code=304, headers=headers)
        return Response(body, media_type=media_type, headers=headers)

    # -- rendering ------------------------------------------------------------------
    def render_tile(self, layer: Layer, z: int, x: int, y: int, size: int, fmt: str) -> bytes:
        """Encoded tile bytes (cached)."""
        cache_key = (layer.name, layer.source.token, z, x, y, size, fmt)
        cached = self.cache.get(cache_key)
        if cached is not None:
            return cached
        cfg = layer.config
        data = layer.source.read_tile(x, y, z, tile_size=size, resampling=cfg.resampling)
        if data.count() == 0:
            body = self.blank(size, fmt)
        else:
            index = render_indexed(
                data.filled(np.nan), vmin=cfg.vmin, vmax=cfg.vmax,
                mask=~np.ma.getmaskarray(data),
            )
            body = encode_indexed(index, cfg.colormap, fmt)  # type: ignore[arg-type]
        self.cache.put(cache_key, body)
        return body

    async def tile_bytes(self, layer: Layer, z: int, x: int, y: int, size: int, fmt: str) -> bytes:
        """Tile bytes from the cache, or rendered once in a worker thread.

        Concurrent requests for the same uncached tile wait for one rendering instead of
        each rendering it; at most ``render_threads`` tiles render at a time.
        """
        key = (layer.name, layer.source.token, z, x, y, size, fmt)
        body = self.cache.get(key)
        if body is not None:  # cached tiles never leave the event loop
            return body
        pending = self._inflight.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            body = await anyio.to_thread.run_sync(
                self.render_tile, layer, z, x, y, size, fmt, limiter=self._limiter
            )
            future.set_result(body)
            return body
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved here; waiters re-raise it
            raise
        finally:
            del self._inflight[key]

    def blank(self, size: int, fmt: str) -> bytes:
        """A fully transparent tile."""
        if (size, fmt) not in self._blank:
            self._blank[(size, fmt)] = encode_image(
                np.zeros((size, size, 4), dtype=np.uint8), fmt  # type: ignore[arg-type]
            )
        return self._blank[(size, fmt)]

    def legend(self, layer: Layer) -> bytes:
        """Legend PNG of ``layer`` (rendered once)."""
        if layer.name not in self._legends:
            self._legends[layer.name] = legend_png(layer.config)
        return self._legends[layer.name]

    def visible(self, request: Request) -> list[Layer]:
        """Layers the caller may read; a bad or revoked key raises."""
        names = self.keys.visible_layers(self.key_of(request))
        if isinstance(names, Decision):
            raise ApiError(names.status, names.message)
        return [self.layers[n] for n in names]

    def key_query(self, request: Request) -> str:
        """``key=...`` to carry the caller's key into document links (empty without a key)."""
        key = self.key_of(request)
        return urlencode({"key": key}) if key else ""


def _parse_tile(
    z_text: str, x_text: str, tail: str, cfg: ServeConfig
) -> tuple[int, int, int, int, str]:
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


def _float_param(request: Request, name: str, lo: float, hi: float) -> float:
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


def build_layers(config: ServeConfig) -> dict[str, Layer]:
    """Open every configured layer's data source (fails early on a missing file)."""
    layers = {}
    for cfg in config.layers:
        if cfg.cog is not None:
            source = cog_source(cfg.cog)
        else:
            assert cfg.cube is not None
            source = cube_source(cfg.cube, cfg.variable)
        _ = source.lonlat_bounds  # opens the data now: a bad path fails at start-up
        layers[cfg.name] = Layer(cfg, source)
    return layers


def create_app(config: ServeConfig) -> Starlette:
    """The ASGI app serving ``config``'s layers (run it with uvicorn)."""
    svc = TileService(config, build_layers(config))

    def guarded(handler: Any) -> Any:
        async def endpoint(request: Request) -> Response:
            try:
                return await handler(request)  # type: ignore[no-any-return]
            except ApiError as exc:
                return _error(exc.status, exc.message)
        return endpoint

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok", "layers": len(svc.layers)})

    async def layers(request: Request) -> Response:
        base, q = svc.base_url(request), svc.key_query(request)
        suffix = f"?{q}" if q else ""
        return JSONResponse([
            {
                "name": layer.name, "title": layer.config.label, "role": layer.config.role,
                "public": layer.config.public,
                "tilejson": f"{base}/tilejson/{layer.name}.json{suffix}",
            }
            for layer in svc.visible(request)
        ])

    async def tile(request: Request) -> Response:
        p = request.path_params
        layer = svc.layer_for(request, p["layer"])
        z, x, y, size, fmt = _parse_tile(p["z"], p["x"], p["tail"], config)
        etag = svc.etag(layer, "tile", z, x, y, size, fmt)
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers=svc.cache_headers(layer, etag))
        body = await svc.tile_bytes(layer, z, x, y, size, fmt)
        return svc.respond(request, layer, etag, body, f"image/{fmt}")

    async def tilejson_doc(request: Request) -> Response:
        name = request.path_params["name"]
        if not name.endswith(".json"):
            raise ApiError(400, "TileJSON URLs are /tilejson/{layer}.json")
        layer = svc.layer_for(request, name[:-5])
        base, q = svc.base_url(request), svc.key_query(request)
        suffix = f"?{q}" if q else ""
        doc = tilejson(
            layer.config, tiles_url=f"{base}/tiles/{layer.name}/{{z}}/{{x}}/{{y}}.png{suffix}",
            bounds=layer.source.lonlat_bounds, min_zoom=config.min_zoom,
            max_zoom=config.max_zoom, legend_url=f"{base}/legend/{layer.name}.png{suffix}",
            attribution=config.attribution,
        )
        body = json.dumps(doc).encode()
        etag = svc.etag(layer, "tilejson", hashlib.sha256(body).hexdigest())
        return svc.respond(request, layer, etag, body, "application/json")

    async def wmts(request: Request) -> Response:
        visible = svc.visible(request)
        if not visible:
            raise ApiError(401, "no layer is readable without an API key: send ?key=...")
        doc = capabilities_xml(
            [WmtsLayer(layer.name, layer.config.label, layer.source.lonlat_bounds,
                       config.min_zoom, config.max_zoom) for layer in visible],
            base_url=svc.base_url(request), title=config.title, query=svc.key_query(request),
        )
        body = doc.encode()
        etag = '"' + hashlib.sha256(body).hexdigest()[:24] + '"'
        private = any(not layer.config.public for layer in visible)
        headers = {
            "ETag": etag, "Vary": "X-API-Key",
            "Cache-Control": f"{'private' if private else 'public'}, "
                             f"max-age={config.cache_max_age}",
        }
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers=headers)
        return Response(body, media_type="application/xml", headers=headers)

    async def legend(request: Request) -> Response:
        name = request.path_params["name"]
        if not name.endswith(".png"):
            raise ApiError(400, "legend URLs are /legend/{layer}.png")
        layer = svc.layer_for(request, name[:-4])
        body = await run_in_threadpool(svc.legend, layer)
        return svc.respond(request, layer, svc.etag(layer, "legend"), body, "image/png")

    async def point(request: Request) -> Response:
        layer = svc.layer_for(request, request.path_params["layer"])
        lon = _float_param(request, "lon", -180.0, 180.0)
        lat = _float_param(request, "lat", -85.06, 85.06)
        value = await run_in_threadpool(layer.source.point, lon, lat)
        body = json.dumps({
            "layer": layer.name, "lon": lon, "lat": lat, "value": value,
            "units": layer.config.units, "inside": value is not None,
        }).encode()
        return svc.respond(request, layer, svc.etag(layer, "point", lon, lat), body,
                           "application/json")

    async def viewer(request: Request) -> Response:
        visible = svc.visible(request)
        q = svc.key_query(request)
        suffix = f"?{q}" if q else ""
        html = viewer_html(
            [
                ViewerLayer(
                    config=layer.config,
                    tiles=f"/tiles/{layer.name}/{{z}}/{{x}}/{{y}}.png{suffix}",
                    legend=f"/legend/{layer.name}.png{suffix}",
                    point=f"/point/{layer.name}{suffix}",
                    bounds=layer.source.lonlat_bounds,
                    min_zoom=config.min_zoom, max_zoom=config.max_zoom,
                )
                for layer in visible
            ],
            title=config.title, static_url="/static",
        )
        return Response(html, media_type="text/html",
                        headers={"Cache-Control": "no-cache", "Vary": "X-API-Key"})

    async def not_found(request: Request, exc: Exception) -> Response:
        status = getattr(exc, "status_code", 404)
        return _error(status, f"no such endpoint {request.url.path[:100]!r}; see /viewer/, "
                              "/layers, /tiles/{layer}/{z}/{x}/{y}.png, /tilejson/{layer}.json, "
                              "/wmts/1.0.0/WMTSCapabilities.xml, /legend/{layer}.png, "
                              "/point/{layer}?lon=&lat=, /health")

    async def server_error(request: Request, exc: Exception) -> Response:
        return _error(500, f"internal error ({type(exc).__name__}); see the server log")

    async def root(request: Request) -> Response:
        return Response(status_code=307, headers={"Location": "/viewer/"})

    routes = [
        Route("/", guarded(root)),
        Route("/health", guarded(health)),
        Route("/layers", guarded(layers)),
        Route("/tiles/{layer}/{z}/{x}/{tail}", guarded(tile)),
        Route("/tilejson/{name}", guarded(tilejson_doc)),
        Route("/wmts/1.0.0/WMTSCapabilities.xml", guarded(wmts)),
        Route("/legend/{name}", guarded(legend)),
        Route("/point/{layer}", guarded(point)),
        Route("/viewer/", guarded(viewer)),
        Mount("/static", app=StaticFiles(directory=Path(STATIC_DIR)), name="static"),
    ]
    app = Starlette(
        routes=routes,
        exception_handlers={HTTPException: not_found, 500: server_error},
    )
    app.state.service = svc
    app.add_middleware(_Limits)
    if config.cors_origins:  # outermost, so browser preflights are answered before _Limits
        app.add_middleware(
            CORSMiddleware, allow_origins=config.cors_origins, allow_methods=["GET", "HEAD"],
            allow_headers=["X-API-Key", "If-None-Match"], expose_headers=["ETag"], max_age=3600,
        )
    return app
