"""A SYNTHETIC image time series behind a real STAC API on loopback, for tests and benchmarks.

:func:`make_series` writes cloud-optimised GeoTIFFs of a synthetic surface seen on several
dates through moving clouds and their shadows, in the asset layout of two public
collections, with their asset keys, ``eo:bands`` and ``raster:bands``: Sentinel-2 L2A as
Earth Search serves it (``blue``...``swir22`` as uint16 DN with scale 1e-4 and offset -0.1,
processing baseline 05.10, ``scl`` scene classification at 20 m) and Landsat Collection 2
Level-2 (``blue``...``swir22`` with scale 2.75e-5 and offset -0.2, ``qa_pixel`` bit
flags). Every file, item and collection says it is synthetic.

:func:`serve_series` starts a real STAC API (stac-fastapi-geoparquet: items in a
stac-geoparquet file queried with DuckDB) and a static file server with HTTP range
requests for the COGs, in one uvicorn server on 127.0.0.1, so readers go through
pystac-client and GDAL's ``/vsicurl/`` exactly as against a public catalogue. Under
``/faults/<status>/...`` every request answers that HTTP status (403, 500...), for tests of
failed reads. It needs
the ``dev`` extra (stac-fastapi-geoparquet, rustac, rustac-duckdb-extensions).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
from affine import Affine
from pyproj import Transformer

from prospect.testing.scene import SYNTHETIC_TAGS
from prospect.testing.servers import bound_socket, serving

__all__ = ["LANDSAT_ASSETS", "S2_ASSETS", "SeriesInfo", "load_series", "make_series",
           "serve_forever", "serve_series"]

S2_ASSETS: dict[str, int] = {"blue": 10, "green": 10, "red": 10, "nir": 10, "swir16": 20,
                             "swir22": 20, "scl": 20}
"""Sentinel-2 L2A asset keys written (those of Earth Search's ``sentinel-2-l2a``), with
their cell size in metres."""

LANDSAT_ASSETS: dict[str, int] = {"blue": 30, "green": 30, "red": 30, "nir08": 30,
                                  "swir16": 30, "swir22": 30, "qa_pixel": 30}
"""Landsat Collection 2 Level-2 asset keys written (those of ``landsat-c2-l2`` on Earth
Search and Planetary Computer), with their cell size in metres."""

_EO_BANDS = {  # asset key -> (Sentinel-2 band, Landsat 8 band)
    "blue": ("B02", "B2"), "green": ("B03", "B3"), "red": ("B04", "B4"), "nir": ("B08", ""),
    "nir08": ("", "B5"), "swir16": ("B11", "B6"), "swir22": ("B12", "B7"),
}
_S2_REFL = {"blue": 0.06, "green": 0.09, "red": 0.11, "nir": 0.30, "swir16": 0.25,
            "swir22": 0.17}
_LS_REFL = {"blue": 0.06, "green": 0.09, "red": 0.11, "nir08": 0.30, "swir16": 0.25,
            "swir22": 0.17}


@dataclass
class SeriesInfo:
    """What :func:`make_series` wrote: folders, items and the clear-sky truth."""

    root: Path
    crs: str
    bounds: tuple[float, float, float, float]
    items: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    truth: dict[str, np.ndarray] = field(default_factory=dict)
    """``<collection>/<asset key>`` -> clear-sky reflectance on the asset's own pixels."""


def _surface(shape: tuple[int, int], base: float, rng: np.random.Generator) -> np.ndarray:
    yy, xx = np.mgrid[0:shape[0], 0:shape[1]] / max(shape)
    return (base * (1 + 0.3 * np.sin(6 * xx) * np.cos(4 * yy))
            + rng.normal(0, 0.002, shape)).astype(np.float32)


def _clouds(shape: tuple[int, int], rng: np.random.Generator, cover: float
            ) -> tuple[np.ndarray, np.ndarray]:
    """Cloud and shadow masks: discs covering about ``cover`` of the scene."""
    cloud = np.zeros(shape, dtype=bool)
    yy, xx = np.mgrid[0:shape[0], 0:shape[1]]
    while cloud.mean() < cover:
        cy, cx = rng.uniform(0, shape[0]), rng.uniform(0, shape[1])
        r = rng.uniform(0.06, 0.15) * max(shape)
        cloud |= (yy - cy) ** 2 + (xx - cx) ** 2 < r ** 2
    shift = max(1, shape[0] // 12)
    shadow = np.roll(np.roll(cloud, shift, axis=0), shift, axis=1) & ~cloud
    return cloud, shadow


def _write_cog(path: Path, data: np.ndarray, crs: str, transform: Affine, nodata: int,
               **tags: str) -> None:
    profile = dict(driver="COG", height=data.shape[0], width=data.shape[1], count=1,
                   dtype=data.dtype.name, crs=crs, transform=transform, nodata=nodata,
                   compress="deflate", blocksize=256, overview_resampling="nearest")
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data, 1)
        dst.update_tags(**SYNTHETIC_TAGS, **tags)


def _item(collection: str, item_id: str, when: dt.datetime, bbox_ll: list[float],
          epsg: int, assets: dict[str, Any], props: dict[str, Any]) -> dict[str, Any]:
    w, s, e, n = bbox_ll
    return {
        "type": "Feature", "stac_version": "1.0.0", "id": item_id, "collection": collection,
        "stac_extensions": [
            "https://stac-extensions.github.io/eo/v1.1.0/schema.json",
            "https://stac-extensions.github.io/raster/v1.1.0/schema.json",
            "https://stac-extensions.github.io/projection/v1.1.0/schema.json",
        ],
        "geometry": {"type": "Polygon",
                     "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]},
        "bbox": bbox_ll,
        "properties": {"datetime": when.strftime("%Y-%m-%dT%H:%M:%SZ"), "proj:epsg": epsg,
                       "prospect:synthetic": True, **props},
        "links": [], "assets": assets,
    }


def make_series(root: Path, *, n_scenes: int = 6, size_m: float = 1920.0,
                origin: tuple[float, float] = (565_000.0, 1_345_000.0),
                crs: str = "EPSG:32619", seed: int = 0, cloud_cover: float = 0.25,
                base_url: str = "http://127.0.0.1:0/data",
                landsat: bool = True) -> SeriesInfo:
    """Write a synthetic series of ``n_scenes`` dates in the S2 and Landsat layouts.

    Files go to ``root/data/<item>/<asset>.tif`` and items (with hrefs under
    ``base_url``) to ``root/<collection>.items.json``. The default origin is on Bonaire
    (UTM 19N). Returns the items and the clear-sky truth per asset.
    """
    root = Path(root)
    rng = np.random.default_rng(seed)
    x0, y1 = origin
    bounds = (x0, y1 - size_m, x0 + size_m, y1)
    epsg = int(crs.split(":")[1])
    to_ll = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    lons, lats = to_ll.transform([bounds[0], bounds[2]], [bounds[1], bounds[3]])
    bbox_ll = [min(lons), min(lats), max(lons), max(lats)]
    info = SeriesInfo(root=root, crs=crs, bounds=bounds)
    layouts = [("sentinel-2-l2a", S2_ASSETS, _S2_REFL)]
    if landsat:
        layouts.append(("landsat-c2-l2", LANDSAT_ASSETS, _LS_REFL))
    for collection, assets, refl in layouts:
        for key, base in refl.items():
            res = assets[key]
            shape = (int(size_m // res), int(size_m // res))
            info.truth[f"{collection}/{key}"] = _surface(
                shape, base, np.random.default_rng(sum(map(ord, collection + key))))
        items = []
        for k in range(n_scenes):
            when = dt.datetime(2024, 1, 5, 14, 50) + dt.timedelta(days=5 * k)
            item_id = f"SYNTHETIC_{collection}_{when:%Y%m%d}"
            folder = root / "data" / item_id
            folder.mkdir(parents=True, exist_ok=True)
            fine = (int(size_m // 10), int(size_m // 10))
            cloud, shadow = _clouds(fine, rng, cloud_cover if k % 3 else cloud_cover / 3)
            item_assets: dict[str, Any] = {}
            for key, res in assets.items():
                shape = (int(size_m // res), int(size_m // res))
                f = res // 10
                c = cloud.reshape(shape[0], f, shape[1], f).any(axis=(1, 3))
                sh = shadow.reshape(shape[0], f, shape[1], f).any(axis=(1, 3)) & ~c
                transform = Affine(res, 0, x0, 0, -res, y1)
                extra: dict[str, Any]
                if key == "scl":
                    data = np.full(shape, 4, dtype=np.uint8)  # vegetation
                    data[sh] = 3
                    data[c] = 9
                    nodata, extra = 0, {}
                elif key == "qa_pixel":
                    data = np.full(shape, (1 << 6), dtype=np.uint16)  # clear
                    data[sh] = (1 << 4)
                    data[c] = (1 << 3) | (1 << 1)
                    nodata, extra = 1, {}
                else:
                    value = info.truth[f"{collection}/{key}"] * (1 + rng.normal(0, 0.01))
                    value = np.where(c, 0.6, np.where(sh, value * 0.3, value))
                    if collection.startswith("sentinel"):
                        dn = np.round((value + 0.1) / 1e-4)
                        scale, offset = 1e-4, -0.1
                    else:
                        dn = np.round((value + 0.2) / 2.75e-5)
                        scale, offset = 2.75e-5, -0.2
                    data = np.clip(dn, 1, 65535).astype(np.uint16)
                    band = _EO_BANDS[key][0 if collection.startswith("sentinel") else 1]
                    nodata, extra = 0, {
                        "raster:bands": [{"scale": scale, "offset": offset, "nodata": 0,
                                          "data_type": "uint16", "spatial_resolution": res}],
                        "eo:bands": [{"name": band, "common_name": key}]}
                path = folder / f"{key}.tif"
                _write_cog(path, data, crs, transform, nodata, ITEM=item_id)
                item_assets[key] = {"href": f"{base_url}/{item_id}/{key}.tif",
                                    "type": "image/tiff; application=geotiff; "
                                            "profile=cloud-optimized",
                                    "roles": ["data"] if key in refl else ["cloud"],
                                    "proj:shape": list(shape),
                                    "proj:transform": list(transform)[:6], **extra}
            props = {"eo:cloud_cover": round(100 * float(cloud.mean()), 2),
                     "platform": "sentinel-2a" if collection.startswith("sentinel")
                     else "landsat-8"}
            if collection.startswith("sentinel"):
                props["s2:processing_baseline"] = "05.10"
            items.append(_item(collection, item_id, when, bbox_ll, epsg, item_assets, props))
        info.items[collection] = items
        (root / f"{collection}.items.json").write_text(json.dumps(
            {"type": "FeatureCollection", "features": items}, indent=1))
    (root / "SYNTHETIC.json").write_text(json.dumps(
        {k.lower(): v for k, v in SYNTHETIC_TAGS.items()} | {"seed": seed}, indent=1))
    return info


def rebase_hrefs(info: SeriesInfo, base_url: str) -> None:
    """Point every asset href of ``info``'s items at ``base_url`` (a server's address)."""
    for items in info.items.values():
        for item in items:
            for asset in item["assets"].values():
                tail = asset["href"].split("/data/", 1)[1]
                asset["href"] = f"{base_url}/{tail}"


@dataclass
class SeriesServer:
    """A running STAC API plus COG file server."""

    url: str
    """The STAC API root."""
    data_url: str
    """Where the COGs are served (HTTP range requests)."""
    thread: threading.Thread
    server: Any


def _stac_app(collections_json: Path) -> Any:
    """The stac-fastapi-geoparquet app over the collections listed in ``collections_json``.

    Each collection's items are a stac-geoparquet file named by its ``data`` asset; DuckDB's
    extensions come from rustac-duckdb-extensions, so nothing is downloaded.
    """
    import rustac
    import rustac_duckdb_extensions
    from fastapi import FastAPI
    from stac_fastapi.api.app import StacApi
    from stac_fastapi.geoparquet import api as gp_api
    from stac_fastapi.geoparquet import models as gp_models
    from stac_fastapi.geoparquet.client import Client
    from stac_fastapi.geoparquet.settings import Settings

    settings = Settings(stac_fastapi_collections_href=str(collections_json),
                        stac_fastapi_landing_id="prospect-synthetic",
                        stac_fastapi_title="SYNTHETIC test catalogue (prospect.testing)",
                        stac_fastapi_description="Synthetic items for tests; not real data")
    duck = rustac.DuckdbClient(
        extension_directory=Path(rustac_duckdb_extensions.extension_directory()),
        install_extensions=False)
    app = FastAPI(lifespan=gp_api.lifespan, openapi_url=settings.openapi_url,
                  docs_url=settings.docs_url, redoc_url=settings.docs_url)
    # stac-fastapi-geoparquet passes these through FastAPI(**extra), which newer FastAPI
    # releases no longer accept; its lifespan reads them from ``app.extra``.
    vars(app)["extra"] = {"settings": settings, "collections": [], "duckdb_client": duck}
    api = StacApi(settings=settings, client=Client(), app=app,
                  search_get_request_model=gp_models.GetSearchRequestModel,
                  search_post_request_model=gp_models.PostSearchRequestModel,
                  items_get_request_model=gp_models.ItemsGetRequestModel,
                  extensions=gp_models.EXTENSIONS, middlewares=[])
    return api.app


def _collection(cid: str, items: list[dict[str, Any]], parquet: Path) -> dict[str, Any]:
    bboxes = np.array([item["bbox"] for item in items])
    times = sorted(item["properties"]["datetime"] for item in items)
    return {
        "type": "Collection", "stac_version": "1.0.0", "id": cid, "license": "CC0-1.0",
        "title": f"SYNTHETIC {cid}",
        "description": f"SYNTHETIC items in the {cid} layout (prospect.testing); not real data",
        "extent": {"spatial": {"bbox": [[*bboxes[:, :2].min(axis=0), *bboxes[:, 2:].max(axis=0)]]},
                   "temporal": {"interval": [[times[0], times[-1]]]}},
        "links": [],
        "assets": {"data": {"href": str(parquet), "type": "application/vnd.apache.parquet"}},
    }


async def _fault(status: int, rest: str) -> Any:
    from starlette.responses import Response

    return Response(f"synthetic fault {status} for {rest}\n", status_code=status)


@contextmanager
def serve_series(info: SeriesInfo) -> Iterator[SeriesServer]:
    """Serve ``info``'s items (a STAC API) and COGs (with ranges) on 127.0.0.1."""
    import rustac
    import uvicorn
    from starlette.staticfiles import StaticFiles

    sock = bound_socket()
    port = int(sock.getsockname()[1])
    base = f"http://127.0.0.1:{port}"
    rebase_hrefs(info, f"{base}/data")
    collections = []
    for cid, items in info.items.items():
        parquet = info.root / f"{cid}.parquet"

        async def _write(path: Path = parquet, features: list[Any] = items) -> None:
            await rustac.write(str(path), features)

        asyncio.run(_write())
        collections.append(_collection(cid, items, parquet))
    listing = info.root / "collections.json"
    listing.write_text(json.dumps(collections, indent=1))
    app = _stac_app(listing)
    app.mount("/data", StaticFiles(directory=info.root / "data"), name="data")
    app.add_api_route("/faults/{status}/{rest:path}", _fault, methods=["GET", "HEAD"])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="on"))
    with serving(server, name="the synthetic STAC server", sock=sock) as thread:
        yield SeriesServer(url=base, data_url=f"{base}/data", thread=thread, server=server)


def load_series(root: Path) -> SeriesInfo:
    """The series :func:`make_series` wrote under ``root`` (items only, no truth)."""
    root = Path(root)
    info = SeriesInfo(root=root, crs="", bounds=(0.0, 0.0, 0.0, 0.0))
    for path in sorted(root.glob("*.items.json")):
        info.items[path.name.removesuffix(".items.json")] = json.loads(
            path.read_text())["features"]
    return info


def serve_forever(root: Path) -> None:
    """Serve the series under ``root`` until killed; prints the API's URL first.

    For benchmarks, which run the server in a process of its own so that it does not
    share the interpreter with what they time.
    """
    with serve_series(load_series(root)) as server:
        print(server.url, flush=True)
        server.thread.join()
