"""Keyed downloads: a layer's COG (HTTP range requests, so GDAL and QGIS open it by URL
with ``/vsicurl/``) and a STAC item describing it.

``GET /download/{layer}.tif`` serves the file itself (``Accept-Ranges: bytes``, ``206`` for
``Range`` requests as RFC 9110 defines them, :mod:`tiles.ranges`; ``HEAD``; the
conditional requests ``If-None-Match``/``If-Modified-Since`` (304) and ``If-Match``/
``If-Unmodified-Since`` (412));
``GET /stac/{layer}.json`` is a STAC 1.0 item whose ``data`` asset points at that URL
(with the caller's key carried on). Keys are checked exactly as for tiles; cube layers
have no COG to download (404).
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import Response

from tiles.grids import box_geojson
from tiles.http import ApiError, etag_matches, precondition_refusal, unmodified_since
from tiles.ranges import PinnedFileResponse
from tiles.service import Layer, TileService, file_name
from tiles.source import LayerDataError

__all__ = ["cog_download", "stac_item"]


def _cog_layer(svc: TileService, request: Request, name: str, ext: str) -> Layer:
    served = "the layer's GeoTIFF (COG)" if ext == "tif" else "a STAC item (JSON)"
    stem = file_name(name, ext, f"URLs are {svc.public_path('/download/{layer}.tif')} and "
                                f"{svc.public_path('/stac/{layer}.json')}",
                     aliases=("tiff",) if ext == "tif" else (), served=served)
    layer = svc.layer_for(request, svc.readable_spelling(request, stem))
    if layer.source.variable is not None:
        raise ApiError(404, f"layer {layer.name!r} is read from a zarr cube; there is no COG "
                            "to download (serve its COG with 'cog:' to offer one)")
    other = _not_geotiff(layer.source.path)
    if other is not None:
        raise ApiError(404, f"layer {layer.name!r} is served from {other}, not a GeoTIFF; there "
                            "is no COG to download (the server's operator can write it as one, "
                            "gdal_translate -of COG, and serve that with 'cog:')")
    return layer


_TIFF_MAGIC = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")
"""The first four bytes of a TIFF and a BigTIFF, either byte order."""

_OTHER_FORMATS = (
    ((b"<",), "a GDAL VRT (an XML file that names other files)"),
    ((b"CDF\x01", b"CDF\x02", b"\x89HDF"), "a NetCDF / HDF5 file"),
    ((b"PK\x03\x04",), "a zip archive"),
    ((b"\x00\x00\x00\x0cjP", b"\xff\x4f\xff\x51"), "a JPEG 2000 file"),
    ((b"\x89PNG",), "a PNG image"),
    ((b"\xff\xd8\xff",), "a JPEG image"),
)
"""Formats a layer's ``cog:`` may name (GDAL reads them) that are not a GeoTIFF, by their
first bytes."""


def _not_geotiff(path: os.PathLike[str] | str) -> str | None:
    """What the layer's file ``path`` is when it is not a (Big)TIFF, named for a client
    (its format, never its path); ``None`` for a TIFF, or a file that cannot be read
    (refused afterwards as removed or damaged).

    ``/download/{layer}.tif`` sent any file a layer is read from as ``{layer}.tif``
    (``image/tiff; application=geotiff``): a VRT's XML, naming the server's own paths, or a
    NetCDF's bytes, which GDAL and QGIS then could not open.
    """
    try:
        with open(path, "rb") as f:
            head = f.read(16)
    except OSError:
        return None
    if head[:4] in _TIFF_MAGIC or len(head) < 4:
        return None
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip()  # an XML file's BOM and blanks
    for magics, name in _OTHER_FORMATS:
        if head.startswith(magics) or text.startswith(magics):
            return name
    suffix = os.path.splitext(os.fspath(path))[1]
    return f"a file of another format ({suffix or 'no suffix'})"


async def cog_download(svc: TileService, request: Request) -> Response:
    """``/download/{layer}.tif``: the layer's COG, with range requests."""
    name = request.path_params["name"]
    layer = _cog_layer(svc, request, name, "tif")
    redirect = svc.respelled(request, layer, name, f"{layer.name}.tif")
    if redirect is not None:  # /download/Probability.TIFF: sent to the layer's one URL
        return redirect
    svc.meta(layer)  # a damaged or cut-short file is a 503 as on every other endpoint,
    layer.source.check_whole()  # never sent as if it were the layer's data
    try:  # opened now: the headers and every byte sent come from this one file
        fileobj = open(layer.source.path, "rb")  # noqa: SIM115 (the response closes it)
    except (FileNotFoundError, IsADirectoryError):
        fileobj = None
    if fileobj is None or not stat.S_ISREG(os.fstat(fileobj.fileno()).st_mode):
        if fileobj is not None:
            fileobj.close()
        raise LayerDataError(f"{layer.source.path}: removed while the server runs; write it "
                             "again (rerun the stage that made it), the server picks it up")
    headers = svc.cache_headers(request, public=layer.config.public)
    response = PinnedFileResponse(
        fileobj, headers=headers,
        media_type="image/tiff; application=geotiff; profile=cloud-optimized",
        filename=f"{layer.name}.tif", content_disposition_type="inline")
    # the conditional GET every data endpoint answers (the whole file was sent again); a
    # client that mirrors by date (wget -N, curl -z, a browser's cache) got the whole COG
    # for If-Modified-Since too. If-None-Match, when sent, decides alone (RFC 9110 13.2.2).
    # If-Match and If-Unmodified-Since first (RFC 9110 13.2.2): a range resumed across a
    # republication would append the new file's bytes to the old copy
    refusal = precondition_refusal(request.headers, response.headers["etag"],
                                   response.headers.get("last-modified"))
    if refusal is not None:
        response.close()
        raise refusal
    inm = request.headers.get("if-none-match")
    if etag_matches(inm, response.headers["etag"]) or (inm is None and unmodified_since(
            request.headers.get("if-modified-since"), response.headers.get("last-modified"))):
        kept = ("etag", "cache-control", "vary", "last-modified")
        response.close()
        return Response(status_code=304, headers={
            k: v for k, v in response.headers.items() if k in kept})
    return response


async def stac_item(svc: TileService, request: Request) -> Response:
    """``/stac/{layer}.json``: a STAC 1.0 item for the layer's COG."""
    import pystac

    name = request.path_params["name"]
    layer = _cog_layer(svc, request, name, "json")
    redirect = svc.respelled(request, layer, name, f"{layer.name}.json")
    if redirect is not None:
        return redirect
    meta = svc.meta(layer)
    base, q = svc.base_url(request), svc.key_query(request)
    suffix = f"?{q}" if q else ""
    west, south, east, north = meta.bounds
    st = layer.source.path.stat()
    epsg = meta.crs.split(":")[1] if meta.crs.startswith("EPSG:") else None
    written = datetime.fromtimestamp(st.st_mtime, UTC)
    # the days the data show, as the score stage's item states them (the map's
    # provenance ``dates``, a scene's date); the file's time was given as the data's
    from prospect.indices.ranges import acquisition_dates

    days = acquisition_dates(layer.source.tags)
    when: dict[str, str] = {} if not days else {
        "start_datetime": f"{days[0].isoformat()}T00:00:00Z",
        "end_datetime": f"{days[-1].isoformat()}T23:59:59Z",
        "created": written.strftime("%Y-%m-%dT%H:%M:%S.%fZ")}
    item = pystac.Item(
        id=layer.name,
        # across 180: the bbox west > east (RFC 7946 5.2), the footprint cut in two (3.1.9)
        geometry=box_geojson(meta.bounds),
        bbox=[west, south, east, north],
        datetime=None if days else written,
        properties={
            **when,
            "title": meta.label, "description": meta.description,
            "prospect:synthetic": meta.synthetic, "prospect:attribution": meta.attribution,
            **({"license": meta.licence} if meta.licence else {}),
            **({"proj:epsg": int(epsg)} if epsg else {}),
            "prospect:units": meta.units,
        },
        stac_extensions=(["https://stac-extensions.github.io/projection/v1.1.0/schema.json"]
                         if epsg else []),
    )
    item.add_asset("data", pystac.Asset(
        href=f"{base}/download/{layer.name}.tif{suffix}",
        media_type=pystac.MediaType.COG, roles=["data"], title=meta.label,
    ))
    item.add_asset("legend", pystac.Asset(
        href=f"{base}/legend/{layer.name}.png{suffix}", media_type=pystac.MediaType.PNG,
        roles=["overview"],
    ))
    item.set_self_href(f"{base}/stac/{layer.name}.json{suffix}")
    body = json.dumps(item.to_dict(include_self_link=True)).encode()
    etag = svc.etag(layer, "stac", hashlib.sha256(body).hexdigest())
    return svc.respond(request, layer, etag, body, "application/geo+json")
