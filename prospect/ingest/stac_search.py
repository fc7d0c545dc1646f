"""STAC API item search over a region, saved in the run so a rerun needs no network.

:func:`resolve_search` turns a source with ``stac_search`` into one that reads a saved
item collection (``stac:``): the first run searches the API with pystac-client and saves
the items found, with the search that found them, as ``<folder>/<source>.json``; a later
run with the same search reads that file. The manifest lists every item id.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from prospect.config.sources import RasterSource
from prospect.config.stac import StacSearch
from prospect.errors import DataError, InputFileError
from prospect.grid import RegionGrid
from prospect.io.files import write_json
from prospect.redact import redact

__all__ = ["cql2_filter", "resolve_search", "search_items", "search_key"]

_CQL2_OPS = {"eq": "=", "neq": "<>", "lt": "<", "lte": "<=", "gt": ">", "gte": ">=",
             "in": "in"}


def cql2_filter(search: StacSearch) -> dict[str, Any] | None:
    """The property comparisons of ``search`` as one CQL2-JSON ``and`` expression."""
    args = []
    for prop, cmp in sorted(search.properties.items()):
        for op, value in cmp.comparisons().items():
            args.append({"op": _CQL2_OPS[op], "args": [{"property": prop}, value]})
    if not args:
        return None
    return args[0] if len(args) == 1 else {"op": "and", "args": args}


def search_key(search: StacSearch, bbox: tuple[float, float, float, float]) -> dict[str, Any]:
    """What identifies a search: API, collections, interval, filter, bbox, item cap."""
    return {"url": redact(search.url), "collections": sorted(search.collections),
            "datetime": search.datetime, "filter": cql2_filter(search),
            "bbox": [round(v, 6) for v in bbox], "max_items": search.max_items}


def _headers(search: StacSearch) -> dict[str, str]:
    """HTTP headers from the environment variable the search names (never saved)."""
    if not search.headers_env:
        return {}
    raw = os.environ.get(search.headers_env)
    if raw is None:
        raise DataError(
            f"stac_search.headers_env names ${search.headers_env}, which is not set; export "
            "it (e.g. 'Authorization: Bearer ...') or remove the key"
        )
    headers = {}
    for line in raw.splitlines():
        if ":" in line:
            key, value = line.split(":", 1)
            headers[key.strip()] = value.strip()
    return headers


def _without_link_secrets(item: dict[str, Any]) -> dict[str, Any]:
    """``item`` with credentials removed from its links (an API echoes the request URL
    there). Asset hrefs are kept: they are where the data is read from."""
    for link in item.get("links", []):
        if isinstance(link, dict) and isinstance(link.get("href"), str):
            link["href"] = redact(link["href"])
    return item


def search_items(search: StacSearch, bbox: tuple[float, float, float, float]
                 ) -> list[dict[str, Any]]:
    """Items of ``search`` intersecting ``bbox`` (lon/lat), as STAC item dicts.

    Raises
    ------
    InputFileError
        The API cannot be reached, answers with an error, or is not a STAC API.
    """
    from pystac_client import Client
    from pystac_client.exceptions import APIError
    from pystac_client.stac_api_io import StacApiIO
    from urllib3.util.retry import Retry

    url = redact(search.url)
    retry = Retry(total=search.retries, backoff_factor=0.5,
                  status_forcelist=(429, 500, 502, 503, 504), allowed_methods=None)
    io = StacApiIO(headers=_headers(search), timeout=search.timeout_s, max_retries=retry)
    try:
        client = Client.open(search.url, stac_io=io)
        found = client.search(
            collections=list(search.collections), bbox=list(bbox), datetime=search.datetime,
            filter=cql2_filter(search), filter_lang="cql2-json" if search.properties else None,
            max_items=search.max_items,
        )
        items = [_without_link_secrets(item.to_dict(transform_hrefs=False))
                 for item in found.items()]
        # APIs differ in the sort fields they accept: order here, by date then id
        items.sort(key=lambda it: (str(it.get("properties", {}).get("datetime")),
                                   str(it.get("id"))))
    except APIError as exc:
        raise InputFileError(f"STAC API {url}: the search failed: "
                             f"{redact(str(exc)).splitlines()[0][:200]}") from None
    except (OSError, ValueError) as exc:  # requests' errors are OSErrors
        raise InputFileError(f"STAC API {url}: cannot be read ({type(exc).__name__}: "
                             f"{redact(str(exc))[:200]}); check the URL and the network"
                             ) from None
    return items


def _saved(path: Path, key: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The items saved at ``path`` by the same search, or ``None``."""
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # a damaged save is searched again
    if not isinstance(data, dict) or data.get("prospect:search") != key:
        return None
    features = data.get("features")
    return features if isinstance(features, list) else None


def resolve_search(source: RasterSource, grid: RegionGrid, folder: Path, *,
                   offline: bool = False) -> tuple[RasterSource, list[str], bool]:
    """``source`` reading the saved items of its ``stac_search``, searching when needed.

    Parameters
    ----------
    source
        A raster source with ``stac_search``.
    grid
        The region: its lon/lat bounds are the search's bbox.
    folder
        Where the item collection is saved (``<folder>/<source>.json``).
    offline
        Never search: a missing save is an error.

    Returns
    -------
    tuple
        The source with ``stac`` set to the saved file, the item ids, and whether the
        items came from an earlier run's save.

    Raises
    ------
    DataError
        The search found no items (or, offline, nothing was saved).
    """
    search = source.stac_search
    if search is None:
        return source, [], False
    bbox = grid.lonlat_bounds()
    key = search_key(search, bbox)
    path = Path(folder) / f"{source.name}.json"
    items = _saved(path, key)
    reused = items is not None
    if items is None:
        if offline:
            raise DataError(f"source {source.name!r}: no saved STAC items at {path}; run "
                            "once with the network to search")
        items = search_items(search, bbox)
        if not items:
            raise DataError(
                f"source {source.name!r}: the STAC search of {redact(search.url)} found no "
                f"items in {search.collections} for {search.datetime} over the region "
                f"{grid.name!r}; widen the dates or relax 'properties'"
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()
        write_json(path, {"type": "FeatureCollection", "features": items,
                          "prospect:search": key, "prospect:search_sha256": digest})
    resolved = source.model_copy(update={"stac": str(path), "stac_search": None})
    return resolved, [str(item.get("id")) for item in items], reused
