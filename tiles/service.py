"""The tile server's state: configured layers, keys, the tile cache and rendering.

:class:`TileService` holds what every handler needs (one instance per app); the handlers
in :mod:`tiles.handlers` turn requests into calls on it. Links in documents are built from
the configured public URL or the address the server listens on, never from the request's
``Host`` header.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import anyio
import anyio.to_thread
import numpy as np
from starlette.requests import Request
from starlette.responses import Response

from prospect.config.tiles import ServeConfig, ServeLayerConfig
from tiles.auth import Decision, KeyStore
from tiles.cache import TileCache
from tiles.colormap import encode_image, encode_indexed, render_indexed
from tiles.http import ApiError, conditional_response
from tiles.legend import legend_png
from tiles.source import LayerSource, cog_source, cube_source

__all__ = ["Layer", "TileService", "build_layers"]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


@dataclass
class Layer:
    """A configured layer and its opened data source."""

    config: ServeLayerConfig
    source: LayerSource

    @property
    def name(self) -> str:
        """Layer name in URLs."""
        return self.config.name


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


class TileService:
    """State and helpers behind the handlers of :func:`tiles.server.create_app`."""

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

    # -- who is asking --------------------------------------------------------------
    @staticmethod
    def key_of(request: Request) -> str | None:
        """The API key sent with the request (header first, then ``?key=``)."""
        return request.headers.get("x-api-key") or request.query_params.get("key") or None

    def base_url(self, request: Request) -> str:
        """Root URL for links in documents: the configured public URL, else the listening
        address (scheme, host and port of the socket), never the ``Host`` header."""
        if self.config.public_url:
            return self.config.public_url
        server = request.scope.get("server")
        scheme = request.scope.get("scheme", "http")
        if not server:
            return f"{scheme}://{self.config.host}:{self.config.port}"
        host, port = server[0], server[1]
        if ":" in host:
            host = f"[{host}]"
        return f"{scheme}://{host}:{port}" if port else f"{scheme}://{host}"

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

    # -- caching --------------------------------------------------------------------
    def cache_headers(self, request: Request, *, public: bool) -> dict[str, str]:
        """Cache-Control and Vary: ``public`` only for public data asked for without a key.

        A request that carries a key (header or query) always gets ``private``: its
        response may carry the key in links, and its URL carries it in the query.
        """
        shared = public and self.key_of(request) is None
        return {
            "Cache-Control": f"{'public' if shared else 'private'}, "
                             f"max-age={self.config.cache_max_age}",
            "Vary": "X-API-Key",
        }

    def etag(self, layer: Layer | None, *parts: object) -> str:
        """A strong ETag from the data version, the server config and the request."""
        head = [layer.name, layer.source.token] if layer is not None else []
        text = ":".join([*head, self._config_digest, *map(str, parts)])
        return '"' + hashlib.sha256(text.encode()).hexdigest()[:24] + '"'

    def respond(
        self, request: Request, layers: Layer | list[Layer], etag: str, body: bytes | str,
        media_type: str, extra: Mapping[str, str] | None = None,
    ) -> Response:
        """A data response through the one conditional-GET path (200 or 304)."""
        group = layers if isinstance(layers, list) else [layers]
        headers = {**self.cache_headers(request, public=all(la.config.public for la in group)),
                   **(extra or {})}
        return conditional_response(request, etag, body, media_type, headers)

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
