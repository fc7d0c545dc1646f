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
import re
import warnings
from pathlib import Path
from typing import Any

from prospect.config.sources import RasterSource
from prospect.config.stac import _PADDED_PROPERTY, StacSearch, _spelt_number
from prospect.errors import ConfigError, DataError, DataWarning, InputFileError
from prospect.grid import RegionGrid
from prospect.io.files import write_json
from prospect.redact import redact

__all__ = ["capped_search", "cql2_filter", "resolve_search", "search_items", "search_key"]

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
    """What identifies a search: API, collections, interval, filter, bbox, item cap, and
    for a region across the antimeridian that its two sides were searched apart
    (:func:`_boxes`: a save of the one box sent before is searched again, not reused)."""
    split = {"antimeridian": "searched west and east of 180"} if len(_boxes(bbox)) > 1 else {}
    return {"url": redact(search.url), "collections": sorted(search.collections),
            "datetime": search.datetime, "filter": cql2_filter(search),
            "bbox": [round(v, 6) for v in bbox], "max_items": search.max_items, **split}


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
    """Items of ``search`` intersecting ``bbox`` (lon/lat), as STAC item dicts: the first
    ``max_items`` the API answers, ordered by date then id (:func:`capped_search` says
    whether it had more).

    Raises
    ------
    InputFileError
        The API cannot be reached, answers with an error, or is not a STAC API.
    """
    return capped_search(search, bbox)[0]


def _boxes(bbox: tuple[float, float, float, float]) -> list[tuple[float, float, float, float]]:
    """``bbox`` as the boxes to search: itself, or, for a region across the antimeridian
    (its west longitude above its east, as :meth:`RegionGrid.lonlat_bounds` gives Fiji's
    ``179.64 .. -179.98``), its parts west and east of 180.

    The STAC API standard lets such a box cross 180, but pgstac (Planetary Computer,
    stac-fastapi-pgstac) reads it as ``-179.98 .. 179.64``: every item of the latitude
    band but the region's, cut at ``max_items``, so a composite of a region on 180 got
    items of other continents and too few (or none) of its own."""
    west, south, east, north = bbox
    if west <= east:
        return [bbox]
    return [(west, south, 180.0, north), (-180.0, south, east, north)]


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) \
        else None


def _digits(value: Any) -> float | None:
    """The number text of plain digits states (``"090"``, ``"12.5"``, ``"-3"``): catalogues
    write numbers as text (the Landsat extension's ``landsat:wrs_path: "090"``)."""
    if isinstance(value, str) and re.fullmatch(r"\s*[-+]?\d+(?:\.\d+)?\s*", value):
        return float(value)
    return None


def _holds(value: Any, op: str, bound: Any) -> bool | None:
    """Whether an item's property ``value`` passes the comparison ``op`` with ``bound``;
    ``None`` where the two cannot be compared (a number against text other than plain
    digits, ``"12,5"``; a list). A number against digits compares as numbers: an item's
    ``eo:cloud_cover: "80"`` against ``lt: 30`` was kept as not comparable. A yes/no
    against a yes/no compares by ``eq``/``neq`` (``earthsearch:boa_offset_applied: {eq:
    false}``: every item was kept as not comparable, the ones the search leaves out in
    the composite); a yes/no against a number or text is not comparable (refused first,
    :func:`_check_types`)."""
    if op == "in":
        told = [_holds(value, "eq", b) for b in bound]
        return True if True in told else (None if None in told else False)
    if isinstance(value, bool) or isinstance(bound, bool):
        if isinstance(value, bool) and isinstance(bound, bool) and op in ("eq", "neq"):
            return _compare(value, op, bound)
        return None
    x, y = _number(value), _number(bound)
    if x is not None and y is not None:
        return _compare(x, op, y)
    if (x is None) != (y is None):  # a number against digits: "090" is 90
        x, y = _digits(value) if x is None else x, _digits(bound) if y is None else y
        if x is not None and y is not None:
            return _compare(x, op, y)
        return None
    if isinstance(value, str) and isinstance(bound, str):
        return _compare(value, op, bound)
    return None


def _compare(a: Any, op: str, b: Any) -> bool:
    """``a op b`` for two numbers or two strings."""
    return bool({"eq": a == b, "neq": a != b, "lt": a < b, "lte": a <= b,
                 "gt": a > b, "gte": a >= b}[op])


def _excluded(search: StacSearch, item: Any) -> tuple[str, str, Any] | None:
    """The first of ``search.properties``' comparisons ``item`` fails by a value it
    states (property, operator, bound), or ``None``."""
    props = item.get("properties") if isinstance(item, dict) else None
    if not isinstance(props, dict):
        return None
    return next(((prop, op, bound) for prop, cmp in sorted(search.properties.items())
                 if prop in props for op, bound in cmp.comparisons().items()
                 if _holds(props[prop], op, bound) is False), None)


def _check_types(search: StacSearch, items: list[dict[str, Any]]) -> None:
    """Refuse a comparison of ``search.properties`` whose bound is text where the items
    state the property as a number.

    ``s2:vegetation_percentage: {lt: "30"}`` (quoted in the YAML) compared a number with
    a string: an API that does not apply CQL2 ``filter`` had every item kept here as "not
    comparable" (80 and 95 % in the composite), without a word. (A number against the
    items' text is left as before: catalogues write numbers as text, ``"12,5"``.) A
    yes/no property (``earthsearch:boa_offset_applied``) compared with text or a number
    (``eq: "false"``, ``eq: 0``) is refused the same way.

    Raises
    ------
    ConfigError
        Naming the property, the bound, an item and its value, and how to write it.
    """
    for item in items:
        props = item.get("properties") if isinstance(item, dict) else None
        if not isinstance(props, dict):
            continue
        for prop, cmp in sorted(search.properties.items()):
            if prop not in props:
                continue
            value = props[prop]
            if prop.strip() in _PADDED_PROPERTY:  # text by the extension, whatever was given
                continue
            for op, bound in cmp.comparisons().items():
                for one in bound if op == "in" else [bound]:
                    if isinstance(value, bool) and not isinstance(one, bool):
                        given = f"{one!r} is text" if isinstance(one, str) else \
                            f"{one:g} is a number"
                        raise ConfigError(
                            f"stac_search.properties {prop!r} {op}: {given}, but the "
                            f"items state {prop} as a yes/no (item {item.get('id')!r}: "
                            f"{str(value).lower()}), which it cannot be compared with; "
                            "write true or false, unquoted (e.g. "
                            f"{'in: [true]' if op == 'in' else op + ': true'})")
                    if isinstance(one, str) and _number(value) is not None:
                        raise ConfigError(
                            f"stac_search.properties {prop!r} {op}: {one!r} is text, but "
                            f"the items state {prop} as a number (item {item.get('id')!r}: "
                            f"{value!r}), which text cannot be compared with; write it as "
                            f"a number, unquoted (e.g. {op}: {_spelt_number(one)})")


def _check_stated(url: str, search: StacSearch, items: list[dict[str, Any]]) -> None:
    """Refuse a property of ``search.properties`` that none of the items answered states.

    ``eo:cloudcover: {lt: 20}`` (or ``cloud_cover``, ``s2:cloud_percentage``) is a
    property no item has: an API that does not apply CQL2 ``filter`` answered every item
    of the window, each kept here as "not stating it", and scenes of 80 and 95 % cloud
    made the composite without a word (an API that applies it answers none: "found no
    items; widen the dates").

    Raises
    ------
    ConfigError
        Naming the property, the items' count and the nearest property they state.
    """
    import difflib

    stated: set[str] = set()
    for item in items:
        props = item.get("properties") if isinstance(item, dict) else None
        if isinstance(props, dict):
            stated.update(str(k) for k in props)
    if not stated:
        return
    for prop in sorted(search.properties):
        if prop in stated:
            continue
        near = difflib.get_close_matches(prop, sorted(stated), n=1, cutoff=0.6) or \
            difflib.get_close_matches(prop.split(":")[-1], sorted(stated), n=1, cutoff=0.6)
        hint = (f"did you mean {near[0]!r}?" if near else
                f"the items state {', '.join(sorted(stated)[:8])}"
                + (" ..." if len(stated) > 8 else "") + ".")
        raise ConfigError(
            f"stac_search.properties {prop!r}: none of the {len(items)} item(s) STAC API "
            f"{url} answered states {prop}, so the comparison keeps or drops no item (an API "
            f"that does not apply the search's 'filter' answers every item of the window); "
            f"{hint} Give a property the items state, or remove it")


_PROBE_ITEMS = 20
"""How many items :func:`_without_properties` asks for of a window searched again
without its ``properties``."""


def _without_properties(search: StacSearch, bbox: tuple[float, float, float, float]) -> str:
    """The end of the "found no items" refusal of ``search``: where it compares
    ``properties``, what the window holds without them (searched again for at most
    :data:`_PROBE_ITEMS` items, only on this refusal's path).

    An API that applies CQL2 ``filter`` to a property no item states (``eo:cloudcover``,
    ``cloud_cover``) answers no item: the refusal said "widen the dates or relax
    'properties'", naming no property, and widening the dates found none either. Items of
    the window that state none of a property are refused as :func:`_check_stated` refuses
    an API that answered them (naming the property and the one they state); items that
    state each are named with the values they hold.

    Raises
    ------
    ConfigError
        A property of ``search.properties`` that none of the window's items states.
    """
    if not search.properties:
        return "; widen the dates"
    said = ", ".join(f"{prop} {op}: " + (f"{bound:g}" if isinstance(bound, float) else
                                         _said(bound))
                     for prop, cmp in sorted(search.properties.items())
                     for op, bound in cmp.comparisons().items())
    try:
        probe, beyond = capped_search(search.model_copy(update={
            "properties": {}, "max_items": min(search.max_items, _PROBE_ITEMS)}), bbox)
    except (InputFileError, ConfigError, DataError):
        probe, beyond = [], False  # the window cannot be searched again: say so
    if not probe:
        return (f" (with stac_search.properties {said}; none without them either); widen "
                "the dates, the collections or the region")
    _check_stated(redact(search.url), search, probe)
    held = []
    for prop in sorted(search.properties):
        values = [v for v in (_number((it.get("properties") or {}).get(prop))
                              for it in probe) if v is not None]
        if values:
            held.append(f"{prop} from {min(values):g} to {max(values):g}")
    return (f" that pass stac_search.properties {said}, though it holds "
            f"{'more than ' if beyond else ''}{len(probe)} "
            "item(s) without them" + (f" ({', '.join(held)})" if held else "")
            + "; relax 'properties' or widen the dates")


def _said(value: Any) -> str:
    """A property's value as a message quotes it: a yes/no and null as the item's JSON
    writes them (``true``, ``null``: Python's ``True`` read as no form the config takes),
    a list of them likewise, anything else as ``repr`` (``'S2A'``, ``30``)."""
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_said(one) for one in value) + "]"
    return repr(value)


def _kept_by_filter(url: str, search: StacSearch, items: list[dict[str, Any]]
                    ) -> list[dict[str, Any]]:
    """``items`` less those that fail ``search.properties`` by the values they state.

    An API that does not apply CQL2 ``filter`` (Earth Search v0 and others that read only
    the ``query`` extension, CMR-STAC; pystac-client sends it and warns only that the API
    "does not conform to FILTER") answers every item of the window: ``eo:cloud_cover:
    {lt: 30}`` kept scenes of 80 and 95 % cloud in the composite, exit 0. Such items are
    dropped here, with a warning naming one; an item that does not state the property,
    or states it as another type than the config's value, is kept as the API answered."""
    _check_stated(url, search, items)
    _check_types(search, items)
    kept, dropped = [], []
    for item in items:
        failed = _excluded(search, item)
        if failed is None:
            kept.append(item)
        else:
            dropped.append((item, failed))
    if dropped:
        item, (prop, op, bound) = dropped[0]
        warnings.warn(DataWarning(
            f"STAC API {url} answered {len(dropped)} item(s) that stac_search.properties "
            f"exclude (e.g. {item.get('id')!r}, whose {prop} {_said(item['properties'][prop])} "
            f"fails {op}: {_said(bound)}): it does not apply the search's CQL2 'filter'; they "
            f"were dropped, {len(kept)} kept"), stacklevel=3)
    return kept


def _page_again(url: str, number: int, ids: list[tuple[str | None, str]], held: int) -> str:
    """The refusal of a search whose page ``number`` answered only items of its earlier
    pages (``held`` items in all): the API's ``next`` link does not advance.

    An API that reads its paging token from elsewhere than its own ``next`` link sends
    (one that reads ``?page=`` but links a POST body's ``token``, pystac-client#617; a
    ``next`` link holding the ``prev`` token, stac-fastapi#168) answers its first page
    again and again: the client took the repeats up to ``max_items``, they were dropped
    as items seen, and the composite was of the first page's items alone (10 of a
    window's 150), without a word."""
    return (f"STAC API {url}: page {number} of the search answered only items of its "
            f"earlier pages again (e.g. {ids[0][1]!r}): the API's 'next' link does not "
            f"advance, so only the first {held} item(s) could be read, of more; narrow "
            "stac_search.datetime or 'properties' so that the search fits one page of the "
            "API, or search another endpoint of the catalogue (and tell its maintainers)")


def capped_search(search: StacSearch, bbox: tuple[float, float, float, float]
                  ) -> tuple[list[dict[str, Any]], bool]:
    """``(items, more)``: :func:`search_items`' items, and whether the API had more than
    ``max_items`` of them (one more is asked for: an API need not state
    ``numberMatched``, and the stac-fastapi servers do not).

    The search stopped at ``max_items`` without a word: a region of four Sentinel-2
    tiles over three months holds some 150 items, so the default 100 made a composite of
    part of the window (the part the API answers first, often the latest dates).

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
        items: list[dict[str, Any]] = []
        seen: set[tuple[str | None, str]] = set()
        for box in _boxes(bbox):
            found = client.search(
                collections=list(search.collections), bbox=list(box),
                datetime=search.datetime, filter=cql2_filter(search),
                filter_lang="cql2-json" if search.properties else None,
                max_items=search.max_items + 1,
            )
            answered: set[tuple[str | None, str]] = set()  # this box's pages so far
            for number, page in enumerate(found.pages(), start=1):
                ids = [(item.collection_id, item.id) for item in page.items]
                if number > 1 and ids and answered.issuperset(ids):
                    raise InputFileError(_page_again(url, number, ids, len(answered)))
                answered.update(ids)
                for item in page.items:
                    if (item.collection_id, item.id) not in seen:  # across 180: once
                        seen.add((item.collection_id, item.id))
                        items.append(_without_link_secrets(item.to_dict(transform_hrefs=False)))
        more = len(items) > search.max_items
        items = _kept_by_filter(url, search, items)
        items = items[:search.max_items]  # the first max_items, as the API answered
        # APIs differ in the sort fields they accept: order here, by date then id
        items.sort(key=lambda it: (str(it.get("properties", {}).get("datetime")),
                                   str(it.get("id"))))
    except (InputFileError, ConfigError):
        raise
    except APIError as exc:
        raise InputFileError(f"STAC API {url}: the search failed: "
                             f"{redact(str(exc)).splitlines()[0][:200]}") from None
    except (OSError, ValueError) as exc:  # requests' errors are OSErrors
        raise InputFileError(f"STAC API {url}: cannot be read ({type(exc).__name__}: "
                             f"{redact(str(exc))[:200]}); check the URL and the network"
                             ) from None
    return items, more


def _saved(path: Path, key: dict[str, Any], search: StacSearch
           ) -> tuple[list[dict[str, Any]], bool] | None:
    """The items saved at ``path`` by the same search and whether the search had more
    (:data:`_MORE`), or ``None``: also where a saved item fails the search's
    ``properties`` (saved before they were applied to what an API that ignores CQL2
    ``filter`` answered, :func:`_kept_by_filter`), so the search is made again."""
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # a damaged save is searched again
    if not isinstance(data, dict) or data.get("prospect:search") != key:
        return None
    features = data.get("features")
    if not isinstance(features, list) or any(_excluded(search, f) for f in features):
        return None
    return features, data.get(_MORE) is True


_MORE = "prospect:more_than_max_items"
"""The saved search's key saying the API had more items than ``max_items`` (written only
then, so a complete search saves what it saved before)."""


def _warn_more(source: RasterSource, search: StacSearch, path: Path) -> None:
    """Say that ``source``'s search kept ``max_items`` of more items."""
    warnings.warn(DataWarning(
        f"source {source.name!r}: the STAC search of {redact(search.url)} found more than "
        f"its max_items ({search.max_items}) items in {search.collections} for "
        f"{search.datetime} over the region; only the first {search.max_items} the API "
        f"answered are used (saved in {path}), so the composite leaves out part of the "
        "window; raise stac_search.max_items (up to 10000), or narrow 'datetime' or "
        "'properties' (e.g. eo:cloud_cover)"), stacklevel=3)


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
    saved = _saved(path, key, search)
    reused = saved is not None
    if saved is not None:
        items, more = saved
    else:
        if offline:
            raise DataError(f"source {source.name!r}: no saved STAC items at {path}; run "
                            "once with the network to search")
        items, more = capped_search(search, bbox)
        if not items:
            raise DataError(
                f"source {source.name!r}: the STAC search of {redact(search.url)} found no "
                f"items in {search.collections} for {search.datetime} over the region "
                f"{grid.name!r}{_without_properties(search, bbox)}"
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()
        write_json(path, {"type": "FeatureCollection", "features": items,
                          "prospect:search": key, "prospect:search_sha256": digest,
                          **({_MORE: True} if more else {})})
    if more:
        _warn_more(source, search, path)
    resolved = source.model_copy(update={"stac": str(path), "stac_search": None})
    return resolved, [str(item.get("id")) for item in items], reused
