"""The tile server: an ASGI (Starlette) app serving configured layers to agencies.

Endpoints (``{layer}`` is a configured layer *name*; paths and URLs are never accepted):

=========================================================  ==================================
``GET /health``                                            liveness, no data, no key
``GET /layers``                                            layers the caller may read
``GET /tiles/{layer}/{z}/{x}/{y}.png`` (``.webp``, ``@2x``)  XYZ tile, 256 px (512 px ``@2x``)
``GET /tilejson/{layer}.json``                             TileJSON 3.0.0 (``?tilesize=512``)
``GET /tiles/{layer}/{tms}/{z}/{x}/{y}.png``                tile in a national grid
``GET /wmts/1.0.0/WMTSCapabilities.xml``                   OGC WMTS GetCapabilities (REST)
``GET /wmts/1.0.0/{layer}/default/{tms}/{z}/{row}/{col}.png`` WMTS REST tile
``GET /wmts/1.0.0/{layer}/default/{time}/{tms}/...``        the same, of a layer of one date
``GET /wmts?SERVICE=WMTS&REQUEST=...``                     WMTS KVP (GetCapabilities, GetTile)
``GET /wms?SERVICE=WMS&REQUEST=...``                       WMS 1.3.0 and 1.1.1 (GetCapabilities,
                                                           GetMap, GetFeatureInfo, GetLegendGraphic)
``GET /legend/{layer}.png`` (``@2x``)                      legend image (640 x 168 ``@2x``)
``GET /download/{layer}.tif``                              the layer's COG (range requests)
``GET /stac/{layer}.json``                                 STAC item of that COG
``GET /point/{layer}?lon=..&lat=..``                       the value at a WGS 84 point
``GET /viewer/``                                           the map viewer page
=========================================================  ==================================

Keys travel as header ``X-API-Key`` or query ``key``. Every response that carries data has
an ETag (data version + request) and Cache-Control (``public`` for public layers read
without a key, ``private`` otherwise); ``If-None-Match`` gets 304 (weak comparison).
Errors are JSON ``{"error": ...}``, except on ``/wms`` and ``/wmts`` (KVP and the REST
binding under ``/wmts/``), which answer in their protocol's XML exception reports. The
handlers are in :mod:`tiles.handlers`, the state in :mod:`tiles.service`, the HTTP
plumbing in :mod:`tiles.http`; :func:`uvicorn_config` is how the app is run (header-read
timeout, keep-alive and connection limits).
"""

from __future__ import annotations

import asyncio
import errno
import logging
import signal
import socket
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any, cast
from urllib.parse import parse_qsl, urlencode

from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from prospect.config.tiles import ServeConfig
from prospect.errors import ConfigError
from tiles import handlers
from tiles.auth import OTHER_KEY_HEADERS
from tiles.downloads import cog_download, stac_item
from tiles.http import (
    MAX_URL_LENGTH,
    ApiError,
    RequestLimits,
    error_response,
    json_refusal,
    note_server_limit,
    origin_form,
    public_root,
    read_refusal,
    refuse_repeated,
    sent_path,
    server_limit,
    server_limit_refusal,
    target_path,
    under_root,
)
from tiles.ranges import RangeStaticFiles
from tiles.service import Layer, TileService, build_layers
from tiles.source import LayerDataError
from tiles.viewer import STATIC_DIR
from tiles.wms_handlers import wms, wms_refusal

__all__ = ["MAX_URL_LENGTH", "Layer", "create_app", "install_sighup", "listen_socket",
           "open_files_note", "serve_loop", "uvicorn_config"]

Handler = Callable[[TileService, Request], Awaitable[Response]]

CORS_REQUEST_HEADERS = ("X-API-Key", "If-None-Match", "If-Modified-Since", "Range", "If-Range",
                        "If-Match", "If-Unmodified-Since")
"""Request headers a page of another origin may send: the key, the conditional requests
(``If-Match`` and ``If-Unmodified-Since`` are answered too: a 412 when the file changed), and
``Range`` and ``If-Range``, with which browser COG readers (geotiff.js in OpenLayers) and
downloaders read ``/download``. The preflight also allows the headers other servers read a
key from (:data:`tiles.auth.OTHER_KEY_HEADERS`: ``Authorization: Bearer``, ``apikey``): none is
read, but a page sending one had its preflight refused, so its request never reached the 401
that says to send the key in ``X-API-Key``; the page saw only a CORS failure."""

CORS_EXPOSED = ("ETag", "Content-Range", "Accept-Ranges", "Content-Disposition",
                "Retry-After", "Warning", "WWW-Authenticate")
"""Response headers a page of another origin may read: a COG reader needs Content-Range
for the file's length (it saw none and failed), a client Retry-After to wait, the key
challenge and the map's warnings."""


class _Cors(CORSMiddleware):
    """Starlette's CORS middleware whose refused preflight is answered in the endpoint's own
    format (:func:`_protocol_refusal`: JSON, a WMS ServiceExceptionReport, an OWS
    ExceptionReport) saying what was refused and how to fix it: it was a plain-text 400
    "Disallowed CORS origin", which no client of those endpoints reads. The endpoint is the
    one the path names as the edge reads it (``locate``: under a proxy's sub-path, in the
    absolute form): ``/prospect/wms`` behind a proxy passing the sub-path on was refused in
    JSON, which no WMS client reads."""

    def __init__(self, app: ASGIApp, /, *, refusal: Callable[[Scope, ApiError], Response],
                 locate: Callable[[Scope], Scope] = lambda scope: scope,
                 **options: Any) -> None:
        super().__init__(app, **options)
        self.refusal = refusal
        self.locate = locate

    def preflight_refusal(self, scope: Scope, headers: Headers) -> Response | None:
        """The refusal of a preflight with request ``headers``; ``None`` when it is allowed."""
        answer = self.preflight_response(request_headers=headers)
        if answer.status_code < 400:
            return None
        origin = headers["origin"][:100]
        method = headers["access-control-request-method"][:20]
        asked = [h.strip() for h in headers.get("access-control-request-headers", "").split(",")
                 if h.strip()]
        why = []
        if not self.is_allowed_origin(origin=origin):
            why.append(f"pages of origin {origin!r} may not read this server (it is not among "
                       "the serve config's cors_origins; its operator adds it there, or the "
                       "page loads the data from its own server)")
        if method not in self.allow_methods:
            why.append(f"method {method!r} is not allowed; this server answers GET and HEAD")
        refused = [h[:40] for h in asked if h.lower() not in self.allow_headers]
        if refused:
            why.append(f"request header(s) {', '.join(refused[:4])} not allowed; a page may "
                       f"send {', '.join(CORS_REQUEST_HEADERS)} (and the CORS-safelisted ones)")
        if "access-control-request-private-network" in headers:
            why.append("requests from a public page to a private network are not allowed")
        if not why:
            why.append("the preflight was refused")
        # never an image: a preflight of a GetMap asking EXCEPTIONS=INIMAGE got a 200 PNG
        query = [(k, v) for k, v in parse_qsl(scope.get("query_string", b"").decode("latin-1"),
                                              keep_blank_values=True)
                 if k.upper() != "EXCEPTIONS"]
        located = self.locate({**scope, "query_string": urlencode(query).encode()})
        response = self.refusal(located, ApiError(
            400, "CORS preflight refused: " + "; ".join(why)))
        response.headers["Vary"] = answer.headers.get("vary", "Origin")
        return response

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "OPTIONS":
            headers = Headers(scope=scope)
            if "origin" in headers and "access-control-request-method" in headers:
                refused = self.preflight_refusal(scope, headers)
                if refused is not None:
                    await refused(scope, receive, send)
                    return
        await super().__call__(scope, receive, send)


def _json_refusal(exc: ApiError) -> Response:
    return error_response(exc.status, exc.message, exc.headers)


def _bind(svc: TileService, handler: Handler, *, own_refusals: bool = False,
          refuse: Callable[[ApiError], Response] = _json_refusal,
          ) -> Callable[[Request], Awaitable[Response]]:
    """``handler`` as an endpoint: rate limit, repeated-parameter check (both left to the
    handler when ``own_refusals``: WMS and WMTS KVP answer in their own XML, a 429
    included), refusals through ``refuse`` (JSON; the WMTS REST binding's OWS
    ExceptionReport)."""
    async def endpoint(request: Request) -> Response:
        t0 = time.perf_counter()
        svc.refresh_keys()
        svc.refresh_dates()  # a date a served cube gained, listed without a restart
        try:
            if not own_refusals:
                svc.check_rate(request)
                refuse_repeated(request)
            response = await handler(svc, request)
        except ApiError as exc:
            response = refuse(exc)
        except LayerDataError as exc:  # the operator's log names the file, the client not
            name = _layer_name(request) or None
            response = refuse(read_refusal(
                svc.log, exc, name, say=lambda e: svc.note_unread_request(e, name)))
        except Exception as exc:  # out of open files or memory: 503, said once a minute
            limit = server_limit(exc)
            if limit is None:
                raise
            note_server_limit(svc.log, limit)
            response = _protocol_refusal(request.scope, server_limit_refusal(limit))
        return cast(Response, _Logged(response, lambda status, nbytes: svc.log_access(
            request, status, nbytes, time.perf_counter() - t0)))
    endpoint.__name__ = handler.__name__
    return endpoint


class _Logged:
    """Sends ``response`` and writes its access-log line as the response head goes out,
    with the status and length really sent: a file response decides between 200, 206 and
    416 only when it is sent."""

    def __init__(self, response: Response, log: Callable[[int, int], None]) -> None:
        self.response = response
        self.log = log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        logged = False

        async def send_logged(message: Message) -> None:
            nonlocal logged
            if message["type"] == "http.response.start" and not logged:
                logged = True
                _mark_logged(scope)
                self.log(message["status"], _head_length(message))
            await send(message)

        try:
            await self.response(scope, receive, send_logged)
        finally:
            if not logged:  # failed before its head was sent: the app answers 500
                self.log(500, 0)
            _mark_logged(scope)


ACCESS_LOGGED = "prospect.access_logged"
"""The scope key of a request's one-item list saying whether its access-log line is written
(:class:`_AccessLogged` puts it there; an endpoint's :class:`_Logged` sets it)."""


def _mark_logged(scope: Scope) -> None:
    box = scope.get(ACCESS_LOGGED)
    if box is not None:
        box[0] = True


def _head_length(message: Message) -> int:
    """The ``Content-Length`` of a response head (0 without one)."""
    length = dict(message.get("headers", [])).get(b"content-length", b"0")
    return int(length) if length.isdigit() else 0


class _AccessLogged:
    """Writes the access-log line of each request no endpoint answered, as its head goes
    out: what the server refused before routing (a URL over :data:`MAX_URL_LENGTH` bytes,
    414; a POST, 405; a body, 413; headers too large, 431), an unknown endpoint (404), a
    redirect (301), a CORS preflight answered or refused, a file of the viewer's. Those
    requests were left out of the log, which says "every request": an agency whose QGIS
    sent its GetMap by POST, or a URL too long, found no line of it in the server's log.
    The outermost layer of the app; an endpoint's own line (:class:`_Logged`, with the
    layer and tile) is never written twice.

    A path that names an endpoint's layer and tile (a POST of ``/tiles/heat/8/131/83.png``,
    the same tile's URL over the limit) has them in its line, matched on ``routes`` as the
    endpoint would have been: they were ``null``, and an agency's refused tile requests
    counted from the log under no layer."""

    def __init__(self, app: ASGIApp, *, svc: TileService,
                 routes: Callable[[], Sequence[BaseRoute]] = list, root: str = "") -> None:
        self.app = app
        self.svc = svc
        self.routes = routes
        self.root = root

    def _routed(self, scope: Scope) -> Scope:
        """``scope`` with the path parameters of the first of :attr:`routes` its path
        (read under :attr:`root` as the server reads it, :func:`tiles.http.under_root`)
        matches, whatever its method (the edge answers before routing); as it is where none
        matches."""
        routes = self.routes()
        under = under_root(origin_form(scope), self.root, lambda path: any(
            route.matches({**scope, "path": path, "method": "GET"})[0] is Match.FULL
            for route in routes))
        for route in routes:
            match, child = route.matches({**under, "method": "GET"})
            if match is not Match.NONE and child.get("path_params"):
                return {**scope, "path_params": child["path_params"]}
        return scope

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        t0 = time.perf_counter()
        box = [False]
        scope = {**scope, ACCESS_LOGGED: box}

        def log(status: int, nbytes: int) -> None:
            box[0] = True
            self.svc.log_access(Request(self._routed(scope)), status, nbytes,
                                time.perf_counter() - t0)

        async def send_logged(message: Message) -> None:
            if message["type"] == "http.response.start" and not box[0]:
                log(message["status"], _head_length(message))
            await send(message)

        try:
            await self.app(scope, receive, send_logged)
        finally:
            if not box[0]:  # failed before its head was sent: the app answers 500
                log(500, 0)


def _layer_name(request: Request) -> str:
    p = request.path_params
    return str(p.get("layer") or p.get("name", "").rsplit(".", 1)[0]
               or request.query_params.get("layer") or request.query_params.get("layers")
               or "")[:100]


def install_sighup(app: Starlette) -> bool:
    """Reload the agency keys on SIGHUP (main thread only; False where not possible)."""
    if not hasattr(signal, "SIGHUP") or threading.current_thread() is not threading.main_thread():
        return False
    svc: TileService = app.state.service
    signal.signal(signal.SIGHUP, lambda *_: svc.request_key_reload())
    return True


def _slash_twin(request: Request) -> str | None:
    """The request's URL with its trailing slash added or dropped, relative (path and
    query), when that names an endpoint; else ``None``.

    Starlette's own redirect wrote an absolute ``Location`` from the request's ``Host``
    header: ``Host: evil.example`` on ``/layers/?key=...`` sent the client (and any cache
    in between) to another server with the agency's key. Links never come from ``Host``
    here, so the redirect is relative (RFC 9110 10.2.2).
    """
    path = request.scope["path"]
    if path in ("", "/"):
        return None
    twin = path[:-1] if path.endswith("/") else path + "/"
    scope = {**request.scope, "path": twin}
    if not any(isinstance(route, Route) and route.matches(scope)[0] is Match.FULL
               for route in request.app.router.routes):
        return None
    raw = (request.scope.get("raw_path") or path.encode()).decode("latin-1")
    raw_twin = raw[:-1] if raw.endswith("/") else raw + "/"
    query = request.scope.get("query_string", b"").decode("latin-1")
    return "/" + raw_twin.lstrip("/") + (f"?{query}" if query else "")


def _names_endpoint(app: Starlette, path: str) -> bool:
    """Does ``path`` name one of ``app``'s routes (the ``/static`` mount included)?"""
    scope = {"type": "http", "path": path, "method": "GET", "root_path": ""}
    return any(route.matches(scope)[0] is Match.FULL for route in app.router.routes)


async def _not_found(request: Request, exc: Exception) -> Response:
    status = getattr(exc, "status_code", 404)
    twin = _slash_twin(request) if status == 404 else None
    if twin is not None:
        svc: TileService = request.app.state.service
        return Response(status_code=307, headers={"Location": svc.redirect_url(twin)})
    # the path as sent (a proxy's sub-path kept) and the paths to write, under public_url's
    # (behind a proxy the server's own paths were named, which the proxy does not publish)
    sent = target_path(sent_path(request.scope))[:100]
    path = request.app.state.service.public_path
    if _is_wmts_rest(request.scope.get("path", "")):  # a WMTS client reads only its XML
        tiles = "/wmts/1.0.0/{Layer}/{Style}/{TileMatrixSet}/{TileMatrix}/{TileRow}/{TileCol}"
        return handlers.wmts_refusal(ApiError(
            status, f"no such WMTS resource {sent!r}; tiles are {path(tiles)}.png and the "
            f"capabilities {path('/wmts/1.0.0/WMTSCapabilities.xml')}",
            code="NoApplicableCode" if status == 404 else None))
    endpoints = ("/viewer/", "/layers", "/tiles/{layer}/{z}/{x}/{y}.png",
                 "/tilejson/{layer}.json", "/wmts/1.0.0/WMTSCapabilities.xml",
                 "/legend/{layer}.png", "/point/{layer}?lon=&lat=", "/health")
    return error_response(status, f"no such endpoint {sent!r}; see "
                          + ", ".join(map(path, endpoints)))


def _protocol_refusal(scope: Scope, exc: ApiError) -> Response:
    """A refusal in the terms of the endpoint's protocol: a WMS ServiceExceptionReport for
    ``/wms``, an OWS ExceptionReport for WMTS KVP ``/wmts``, JSON elsewhere. WMS and WMTS
    clients (QGIS, ArcGIS, GDAL) read only their XML: a URL too long or a server error
    answered in JSON reached their users as a parse error."""
    path = scope.get("path", "")
    if path == "/wms":
        params = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        return wms_refusal(exc, params)
    if path == "/wmts" or _is_wmts_rest(path):
        if exc.status == 404 and exc.code is None:  # a resource that is not there, as
            exc.code = "NoApplicableCode"  # _not_found's (a 400 InvalidParameterValue)
        return handlers.wmts_refusal(exc)
    return json_refusal(scope, exc)


def _is_wmts_rest(path: str) -> bool:
    """Is ``path`` in the WMTS REST binding (``/wmts/...``), whose refusals are OWS
    ExceptionReports (07-057r7 10.2; they were the JSON of the XYZ endpoints)?"""
    return path.startswith("/wmts/")


async def _server_error(request: Request, exc: Exception) -> Response:
    limit = server_limit(exc)
    if limit is not None:  # outside an endpoint (the static files): the server's limit
        note_server_limit(request.app.state.service.log, limit)
        return _protocol_refusal(request.scope, server_limit_refusal(limit))
    return _protocol_refusal(request.scope, ApiError(
        500, f"internal error ({type(exc).__name__}); see the server log"))


def _loop_exception(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """The event loop's handler of errors nothing else catches: a connection that cannot
    be accepted for want of open files or memory is said once a minute in the server's
    log (asyncio wrote a traceback for each waiting connection, up to the backlog's 2048
    each time it tried again: 76 000 lines in seconds under ``ulimit -n 64`` and 80
    clients), and the retries asyncio timed for them, met after the server closed its
    socket at shutdown, say nothing (a traceback each); anything else is asyncio's
    default."""
    limit = server_limit(context.get("exception"))
    if limit is not None and "accept" in str(context.get("message", "")):
        note_server_limit(logging.getLogger("prospect.tiles"), limit,
                          "new connections wait to be accepted and requests are")
        return
    callback = getattr(context.get("handle"), "_callback", None)
    if getattr(callback, "__name__", "") == "_start_serving" and isinstance(
            context.get("exception"), ValueError):
        return  # a retry of those accepts, timed after the server closed its socket
    loop.default_exception_handler(context)


OPEN_FILES_NOTE_BELOW = 1024
"""An open-files limit (``ulimit -n``) under which ``prospect serve`` warns at start-up."""


def open_files_note(soft: int | None = None) -> str | None:
    """The start-up warning of an open-files limit too low for many clients at once, or
    ``None``.

    Each client's connection holds a file descriptor, and each request may open the
    layer's files: under ``ulimit -n 64`` about 40 clients at once made the server refuse
    connections and answer 503s, said only when it happened.

    Parameters
    ----------
    soft : int, optional
        The limit; by default this process's soft ``RLIMIT_NOFILE``.

    Returns
    -------
    str or None
        One line naming the limit, about how many clients it leaves and how to raise it.
    """
    import os
    import resource

    if soft is None:
        soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    if soft == resource.RLIM_INFINITY or soft >= OPEN_FILES_NOTE_BELOW:
        return None
    try:
        used = len(os.listdir("/proc/self/fd"))
    except OSError:
        used = 20
    return (f"this process may hold {soft} open files (ulimit -n {soft}), about "
            f"{max(0, soft - used - 8)} clients at once before connections wait and requests "
            "are answered 503; raise it where the server is started (e.g. `ulimit -n "
            "4096`, or LimitNOFILE= in its systemd unit)")


def serve_loop() -> asyncio.AbstractEventLoop:
    """The event loop the server runs on (uvicorn's ``loop`` setting): asyncio's, with
    :func:`_loop_exception` as its exception handler."""
    loop = asyncio.new_event_loop()
    loop.set_exception_handler(_loop_exception)
    return loop


def _closing(svc: TileService) -> Callable[[Starlette], AbstractAsyncContextManager[None]]:
    """The app's lifespan: the service closed when the server shuts down (its access
    log's file was left to the garbage collector, a ``ResourceWarning`` in whatever code
    ran then)."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            svc.close()

    return lifespan


def create_app(config: ServeConfig, *, config_path: str | Path | None = None) -> Starlette:
    """The ASGI app serving ``config``'s layers (run it with :func:`uvicorn_config`).

    With ``config_path`` (the file ``config`` was read from), agency keys are reloaded
    from it (and its ``keys_file``) when they change or on :func:`install_sighup`.

    Each layer's colour range is settled here, before anything is served
    (:meth:`TileService.colour_ranges`, the tiles stage's function and sample), so every
    server of a config draws the colours of the tiles stage's archive, however it is
    started; what it found is in ``app.state.colour_notes`` (``prospect serve`` prints it).
    """
    from PIL import Image

    Image.preinit()  # the image formats' modules, imported at the first tile before: under
    # many clients and a low `ulimit -n` their files could not be opened (a 500 each)
    svc = TileService(config, build_layers(config),
                      config_path=Path(config_path) if config_path is not None else None)
    where = f"the layer in {config_path}" if config_path is not None else "the serve config"
    colour_notes = svc.colour_ranges(where)
    h = handlers
    routes = [
        Route("/", _bind(svc, h.root)),
        Route("/health", _bind(svc, h.health)),
        Route("/layers", _bind(svc, h.layer_list)),
        Route("/tiles/{layer}/{z}/{x}/{tail}", _bind(svc, h.tile)),
        Route("/tilejson/{name}", _bind(svc, h.tilejson_doc)),
        Route("/tiles/{layer}/{tms}/{z}/{x}/{tail}", _bind(svc, h.tile)),
        Route("/wmts/1.0.0/WMTSCapabilities.xml",
              _bind(svc, h.wmts_capabilities, refuse=h.wmts_refusal)),
        Route("/wmts/1.0.0/{layer}/{style}/{tms}/{z}/{row}/{tail}",
              _bind(svc, h.wmts_tile, refuse=h.wmts_refusal)),
        Route("/wmts/1.0.0/{layer}/{style}/{time}/{tms}/{z}/{row}/{tail}",
              _bind(svc, h.wmts_tile, refuse=h.wmts_refusal)),
        Route("/wmts", _bind(svc, h.wmts_kvp, own_refusals=True)),
        Route("/wms", _bind(svc, wms, own_refusals=True)),
        Route("/download/{name}", _bind(svc, cog_download)),
        Route("/stac/{name}", _bind(svc, stac_item)),
        Route("/legend/{name}", _bind(svc, h.legend)),
        Route("/point/{layer}", _bind(svc, h.point)),
        Route("/viewer/", _bind(svc, h.viewer)),
        Mount("/static", app=RangeStaticFiles(directory=Path(STATIC_DIR)), name="static"),
    ]
    app = Starlette(
        routes=routes,
        exception_handlers={HTTPException: _not_found, 500: _server_error},
        lifespan=_closing(svc),
    )
    root = public_root(config.public_url)  # a proxy's sub-path, passed on or not
    app.router.redirect_slashes = False  # its Location came from Host: _slash_twin's is relative
    app.state.service = svc
    app.state.colour_notes = colour_notes
    app.add_middleware(RequestLimits, max_header_bytes=config.max_header_bytes,
                       refusal=_protocol_refusal, redirect=svc.redirect_url,
                       known=lambda path: _names_endpoint(app, path), root=root,
                       redirect_headers=lambda scope: svc.cache_headers(
                           Request(scope), public=True))
    if config.cors_origins:  # outermost, so browser preflights are answered before the limits
        app.add_middleware(
            _Cors, refusal=_protocol_refusal, allow_origins=config.cors_origins,
            locate=lambda scope: under_root(origin_form(scope), root,
                                            lambda path: _names_endpoint(app, path)),
            allow_methods=["GET", "HEAD"],
            allow_headers=[*CORS_REQUEST_HEADERS, *sorted(OTHER_KEY_HEADERS)],
            expose_headers=list(CORS_EXPOSED),
            max_age=3600,
        )
    app.add_middleware(_AccessLogged, svc=svc,  # outermost: every request's line
                       routes=lambda: app.router.routes, root=root)
    return app


def listen_socket(host: str, port: int, *, named: str = "--host") -> socket.socket:
    """A TCP socket bound to ``host:port`` (port 0: one the system chooses), for uvicorn's
    ``sockets=``: the server's addresses name the port it really listens on, and a port in
    use or an address not on this machine is a clear error before anything starts.
    ``named`` is where the host was given, which the error names (``--host``, or the
    config's ``host``: "give an address ... with --host" was said of a config's host).

    Raises
    ------
    ConfigError
        The address cannot be resolved or bound.
    """
    try:
        family, kind, proto, _, addr = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
    except socket.gaierror as exc:
        raise ConfigError(f"serve: cannot resolve the bind address {host!r} ({exc.strerror}); "
                          f"give an address of this machine with {named}") from None
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(addr)
    except OSError as exc:
        sock.close()
        # an IPv6 address in brackets, as a URL writes it: ":::8080" read as no address
        where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        if exc.errno == errno.EADDRINUSE:
            fix = ("another server uses that port: stop it or choose another with --port "
                   "(0 picks a free one)")
        elif exc.errno == errno.EACCES and 0 < port < 1024:
            # "give an address of this machine", of an address that was one
            fix = ("ports below 1024 need root (or CAP_NET_BIND_SERVICE): choose one of "
                   "1024 or above with --port (8080), behind a reverse proxy for port 80 "
                   "or 443")
        else:
            fix = (f"give an address of this machine with {named} and a port you may use "
                   "with --port")
        raise ConfigError(f"serve: cannot listen on {where} ({exc.strerror}); {fix}") from None
    return sock


def uvicorn_config(app: Any, config: ServeConfig, *, host: str | None = None,
                   port: int | None = None, **extra: Any) -> Any:
    """The uvicorn settings the server runs with (``prospect serve`` and the tests alike).

    A connection gets ``header_timeout_s`` to send each request head and
    ``keep_alive_s`` of idle time between requests; at most ``max_idle_connections`` may
    wait for a request head at once (beyond that the longest waiting is closed), so slow
    or half-open clients cannot crowd out the others. A client that takes none of its
    answer for ``send_timeout_s`` is closed, and the answers stalled clients have not taken
    hold at most ``max_unsent_mb`` (beyond it the longest stalled is closed).

    Proxy headers (``X-Forwarded-Proto``, ``X-Forwarded-For``, ``Forwarded``) are not read:
    uvicorn trusts them from loopback by default, and one request with
    ``X-Forwarded-Proto: https`` made every link of the capabilities, TileJSON and viewer
    ``https://`` on a server that speaks HTTP (answers shared caches keep). Links come from
    ``public_url`` (a proxy's address is configured there), else from the socket.
    """
    import uvicorn

    from tiles.protocol import guarded_h11

    return uvicorn.Config(
        app, host=config.host if host is None else host,
        port=config.port if port is None else port,
        http=guarded_h11(header_timeout=config.header_timeout_s,
                         max_waiting=config.max_idle_connections,
                         send_timeout=config.send_timeout_s,
                         max_unsent=config.max_unsent_mb * 1024 * 1024),
        # uvicorn waits float seconds (loop.call_later); its annotation says int
        timeout_keep_alive=cast(int, config.keep_alive_s),
        limit_concurrency=config.max_idle_connections + 1024,
        h11_max_incomplete_event_size=16384, server_header=False, proxy_headers=False,
        **{"loop": "tiles.server:serve_loop", **extra},
    )
