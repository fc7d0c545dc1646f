"""WMS 1.3.0 endpoint ``/wms``: GetCapabilities, GetMap, GetFeatureInfo, GetLegendGraphic.

Refusals are WMS ServiceExceptionReports (XML) with the HTTP status of the refusal (a
CRS a map cannot be drawn in: 400 ``InvalidCRS``; a layer whose files cannot be read: 503
with Retry-After); keys are checked per layer exactly as for tiles.
"""

from __future__ import annotations

import hashlib
import html
import json
import math
from typing import Any

import numpy as np
from pyproj import Transformer
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from tiles.colormap import encode_image, render_rgba
from tiles.handlers import legend_for
from tiles.http import ApiError, refusal_headers, refuse_repeated, unreadable, url_integer
from tiles.service import Layer, TileService
from tiles.source import LayerDataError
from tiles.wms import (
    MapRequest,
    WmsLayer,
    capabilities_xml,
    exception_xml,
    parse_map_request,
    query_params,
)

__all__ = ["wms"]


def _exception(exc: ApiError) -> Response:
    code = exc.code or {400: "InvalidParameterValue", 404: "LayerNotDefined"}.get(
        exc.status, "NoApplicableCode")
    return Response(exception_xml(code, exc.message, exc.locator), status_code=exc.status,
                    media_type="text/xml", headers=refusal_headers(exc.status, exc.headers))


async def wms(svc: TileService, request: Request) -> Response:
    """Dispatch on ``REQUEST``; every refusal is a ServiceExceptionReport."""
    q = query_params(request.query_params)
    try:
        refuse_repeated(request)
        if q.get("SERVICE", "WMS").upper() != "WMS":
            raise ApiError(400, "SERVICE must be WMS")
        req = q.get("REQUEST", "").lower()
        if req == "getcapabilities":
            return await _capabilities(svc, request)
        if req == "getmap":
            return await _get_map(svc, request, q)
        if req == "getfeatureinfo":
            return await _feature_info(svc, request, q)
        if req == "getlegendgraphic":
            return await _legend_graphic(svc, request, q)
        raise ApiError(400, "REQUEST must be GetCapabilities, GetMap, GetFeatureInfo or "
                            f"GetLegendGraphic, got {q.get('REQUEST', '')[:40]!r}",
                       code="OperationNotSupported")
    except ApiError as exc:
        return _exception(exc)
    except LayerDataError as exc:  # the operator's log names the file, the client not
        svc.log.error("%s", exc)
        return _exception(unreadable(None))


async def _capabilities(svc: TileService, request: Request) -> Response:
    visible = svc.visible(request)
    base = svc.base_url(request)
    key_q = svc.key_query(request)
    sep = f"{key_q}&" if key_q else ""

    def describe(layer: Layer) -> WmsLayer:
        meta = svc.meta(layer)
        native = layer.source.native_footprint(meta.crs)[0]
        return WmsLayer(
            name=layer.name, title=meta.label, bounds=meta.bounds, crs=meta.crs,
            native_bounds=native, abstract=meta.description, attribution=meta.attribution,
            legend_url=(f"{base}/wms?{sep}SERVICE=WMS&VERSION=1.3.0&REQUEST=GetLegendGraphic"
                        f"&FORMAT=image/png&LAYER={layer.name}"),
        )

    layers = svc.each_readable(visible, describe)
    cfg = svc.config
    body = capabilities_xml(
        layers, base_url=base, title=cfg.title, abstract=cfg.abstract, query=key_q,
        access_constraints=cfg.access_constraints, fees=cfg.fees,
        contact_organisation=cfg.provider,
    ).encode()
    etag = svc.etag(None, "wms", hashlib.sha256(body).hexdigest())
    return svc.respond(request, visible, etag, body, "text/xml")


async def _legend_graphic(svc: TileService, request: Request, q: dict[str, str]) -> Response:
    layer = svc.layer_for(request, q.get("LAYER", ""))
    if q.get("FORMAT", "image/png") != "image/png":  # it answered a PNG to any FORMAT
        raise ApiError(400, "GetLegendGraphic FORMAT must be image/png, got "
                            f"{q['FORMAT'][:40]!r}", code="InvalidFormat")
    if q.get("STYLE", "default") not in ("", "default"):
        raise ApiError(400, f"unknown STYLE {q['STYLE'][:40]!r}; every layer's only style is "
                            "'default'", code="StyleNotDefined")
    return await legend_for(svc, request, layer)


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
                           vmax=cfg.vmax, mask=~np.ma.getmaskarray(data))
        alpha = rgba[..., 3:4].astype(np.float32) / 255.0
        out[..., :3] = (rgba[..., :3] * alpha + out[..., :3] * (1 - alpha)).astype(np.uint8)
        out[..., 3] = np.maximum(out[..., 3], rgba[..., 3])
    fmt = m.fmt.split("/")[1]
    return encode_image(out, fmt)  # type: ignore[arg-type]


async def _get_map(svc: TileService, request: Request, q: dict[str, str]) -> Response:
    m = parse_map_request(q)
    layers = [svc.layer_for(request, name) for name in m.layers]
    body = await run_in_threadpool(_render_map, svc, layers, m)
    etag = svc.etag(layers[0], "wms", *m.layers[1:], m.crs, m.bbox, m.width, m.height, m.fmt,
                    m.transparent, m.bgcolor, *(la.source.token for la in layers[1:]))
    return svc.respond(request, layers, etag, body, m.fmt)


async def _feature_info(svc: TileService, request: Request, q: dict[str, str]) -> Response:
    m = parse_map_request(q, layer_key="QUERY_LAYERS")
    layers = [svc.layer_for(request, name) for name in m.layers]
    i, j = url_integer(q.get("I", "")), url_integer(q.get("J", ""))
    if i is None or j is None:  # int() took "1_0" as 10 and " 5" as 5
        raise ApiError(400, "I and J must be integer pixel positions (0 or more), got "
                            f"I={q.get('I', '')[:16]!r}, J={q.get('J', '')[:16]!r}",
                       code="InvalidPoint")
    if not (0 <= i < m.width and 0 <= j < m.height):
        raise ApiError(400, f"I, J must lie inside WIDTH x HEIGHT ({m.width} x {m.height})",
                       code="InvalidPoint")
    left, bottom, right, top = m.bbox
    x = left + (i + 0.5) * (right - left) / m.width
    y = top - (j + 0.5) * (top - bottom) / m.height
    lon, lat = Transformer.from_crs(m.crs, "EPSG:4326", always_xy=True).transform(x, y)
    if not (math.isfinite(lon) and math.isfinite(lat)):
        raise ApiError(400, f"pixel I={i}, J={j} lies outside the area where CRS "
                            f"{m.crs[:40]!r} is defined; give a BBOX within it")
    features: list[dict[str, Any]] = []
    for layer in layers:
        value = await run_in_threadpool(layer.source.point, lon, lat)
        features.append({
            "type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": {"layer": layer.name, "value": value, "units": svc.meta(layer).units,
                           "title": svc.meta(layer).label},
        })
    fmt = q.get("INFO_FORMAT", "application/json")
    if fmt == "application/json":
        body = json.dumps({"type": "FeatureCollection", "features": features})
    elif fmt == "text/plain":
        body = "".join(f"{f['properties']['layer']} = {f['properties']['value']}\n"
                       for f in features)
    elif fmt == "text/html":
        rows = "".join(
            f"<tr><td>{html.escape(str(f['properties']['title']))}</td>"
            f"<td>{f['properties']['value']}</td></tr>" for f in features)
        body = f"<html><body><table>{rows}</table></body></html>"
    else:
        raise ApiError(400, "INFO_FORMAT must be application/json, text/plain or text/html, "
                            f"got {fmt[:40]!r}", code="InvalidFormat")
    etag = svc.etag(layers[0], "wmsinfo", m.layers, m.crs, m.bbox, m.width, m.height, i, j,
                    fmt)
    return svc.respond(request, layers, etag, body.encode(), fmt)
