"""STAC items kept as stac-geoparquet (``items.parquet``), as JSON features.

stac-geoparquet (https://github.com/stac-utils/stac-geoparquet, written by ``rustac``,
``stac-geoparquet``, ``stacrs`` and the STAC APIs that export it) keeps one item a row:
``id``, ``type``, ``stac_version``, ``stac_extensions``, ``collection``, ``links`` and
``assets`` as columns of those names, ``geometry`` as WKB, ``bbox`` as a struct of
``xmin``... ``ymax``, and each property as a column of its own (``datetime`` and the other
times as timestamps). A catalogue of that form was refused "cannot read as STAC JSON:
'utf-8' codec can't decode byte ...". It is read here row group by row group with
pyarrow, each row turned back into the item it was written from: the nulls the table's
union of columns holds for what an item did not state are dropped, times are written as
RFC 3339 in UTC.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

from prospect.errors import InputFileError

__all__ = ["PARQUET_MAGIC", "is_parquet", "parquet_features"]

PARQUET_MAGIC = b"PAR1"
"""The first (and last) four bytes of a Parquet file."""
_TOP = ("type", "stac_version", "stac_extensions", "id", "geometry", "bbox", "links",
        "assets", "collection")
"""The columns that are an item's own members; every other column is a property."""
CONVERT = ("convert it to an item collection (rustac translate items.parquet items.json, "
           "or stac_geoparquet.arrow.stac_table_to_items) and give that as 'stac:'")
"""How a stac-geoparquet catalogue that cannot be read here is made readable."""


def is_parquet(path: str) -> bool:
    """Whether the local file ``path`` is a Parquet file (by its first bytes)."""
    try:
        with open(path, "rb") as handle:
            return handle.read(4) == PARQUET_MAGIC
    except OSError:
        return False


def parquet_features(href: str) -> Iterator[dict[str, Any]]:
    """The items of the stac-geoparquet file ``href``, one GeoJSON feature (a dict) each.

    Raises
    ------
    InputFileError
        The file cannot be read as Parquet, or lacks the ``id`` or ``assets`` column of
        a stac-geoparquet table (one line naming the file and the fix).
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.ParquetFile(href)
        names = set(table.schema_arrow.names)
        missing = [name for name in ("id", "assets") if name not in names]
        if missing:
            raise InputFileError(
                f"{href}: a Parquet file without the column(s) {missing} of a "
                "stac-geoparquet item table, so no STAC items; give the stac-geoparquet "
                "export of the items (one row an item), or " + CONVERT)
        for batch in table.iter_batches(batch_size=1024):
            for row in batch.to_pylist():
                yield _feature(row)
    except InputFileError:
        raise
    except (OSError, pa.ArrowException) as exc:
        raise InputFileError(f"{href}: cannot read as stac-geoparquet: {exc}; "
                             + CONVERT) from None


def _feature(row: dict[str, Any]) -> dict[str, Any]:
    """One table row as the GeoJSON feature it was written from."""
    feature: dict[str, Any] = {"type": "Feature"}
    properties: dict[str, Any] = {}
    for key, value in row.items():
        if key not in _TOP:
            if value is not None:
                properties[key] = _plain(value)
        elif key == "geometry":
            feature[key] = _geometry(value)
        elif key == "bbox":
            feature[key] = _bbox(value)
        elif value is not None:
            feature[key] = _plain(value)
    feature.setdefault("links", [])
    feature.setdefault("assets", {})
    feature["properties"] = properties
    return feature


def _plain(value: Any) -> Any:
    """``value`` as JSON holds it: a time as RFC 3339 in UTC, a struct's nulls (members
    the item did not state) dropped."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value.isoformat() + "Z"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _plain(one) for key, one in value.items() if one is not None}
    if isinstance(value, list):
        return [_plain(one) for one in value]
    return value


def _geometry(value: Any) -> Any:
    """A WKB geometry as GeoJSON (``None`` as null; GeoJSON text or a mapping as is)."""
    if value is None or isinstance(value, dict):
        return value
    if isinstance(value, str):
        return json.loads(value)
    import shapely

    return json.loads(shapely.to_geojson(shapely.from_wkb(bytes(value))))


def _bbox(value: Any) -> Any:
    """A bbox struct (``xmin, ymin[, zmin], xmax, ymax[, zmax]``) as the item's list."""
    if not isinstance(value, dict):
        return value
    order = ("xmin", "ymin", "zmin", "xmax", "ymax", "zmax")
    return [value[key] for key in order if value.get(key) is not None]

