"""STAC API search, pixel cloud masks, temporal composites and remote reads (config side).

A raster source can find its scenes with a STAC API search (``stac_search``) instead of
listing files; each item found is one scene. ``cloud_mask`` drops cloudy pixels of every
scene with the product's own quality layer, and ``composite`` reduces the masked scenes
per band into one value per cell (median, a percentile or the geometric median) plus a
count of valid observations. ``remote`` sets how HTTP reads behave.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from prospect.config._base import StrictModel

__all__ = ["CloudMask", "Composite", "PropertyFilter", "RemoteReads", "StacSearch"]

_COMPARISONS = ("eq", "neq", "lt", "lte", "gt", "gte", "in")


class PropertyFilter(StrictModel):
    """Comparisons on one item property, all of which must hold (``{lt: 20}``)."""

    eq: str | float | None = None
    neq: str | float | None = None
    lt: str | float | None = None
    lte: str | float | None = None
    gt: str | float | None = None
    gte: str | float | None = None
    in_: list[str | float] | None = Field(default=None, alias="in")

    @model_validator(mode="after")
    def _something(self) -> PropertyFilter:
        found = self.comparisons()
        if not found:
            raise ValueError(f"give at least one comparison of {', '.join(_COMPARISONS)}")
        if self.in_ is not None and not self.in_:
            raise ValueError("'in: []' matches no item; list the values to keep")
        lows = [(v, op) for op, v in found.items() if op in ("gt", "gte")
                and isinstance(v, int | float)]
        highs = [(v, op) for op, v in found.items() if op in ("lt", "lte")
                 and isinstance(v, int | float)]
        for low, lop in lows:
            for high, hop in highs:
                if low > high or (low == high and (lop, hop) != ("gte", "lte")):
                    raise ValueError(f"{lop}: {low:g} and {hop}: {high:g} together match no "
                                     "item; widen the range")
        return self

    def comparisons(self) -> dict[str, Any]:
        """Operator name -> value, for the comparisons given."""
        values = {"eq": self.eq, "neq": self.neq, "lt": self.lt, "lte": self.lte,
                  "gt": self.gt, "gte": self.gte, "in": self.in_}
        return {op: v for op, v in values.items() if v is not None}


_EMPTY_NAME = {
    "collections": "a collection id is empty; give the catalogue's collection ids, e.g. "
                   "['sentinel-2-l2a']",
    "properties": "a property name is empty; give the item property to compare, e.g. "
                  "'eo:cloud_cover'",
}


class StacSearch(StrictModel):
    """A STAC API item search over the region (its bounds in lon/lat are the ``bbox``).

    The items found are saved in the run's output directory (``stac/<source>.json``, an
    item collection); a rerun reads the saved items instead of searching again, so a job
    is reproducible offline. Change a search setting (or delete the file) to search anew.
    """

    url: str = Field(description="root URL of the STAC API (the landing page)")
    collections: list[str] = Field(min_length=1)
    datetime: str = Field(description="an interval, '2024-01-01/2024-04-30'")
    properties: dict[str, PropertyFilter] = Field(
        default_factory=dict,
        description="property -> comparisons, e.g. {'eo:cloud_cover': {lt: 30}}",
    )
    max_items: int = Field(default=100, ge=1, le=10_000)
    timeout_s: float = Field(default=30.0, gt=0)
    retries: int = Field(default=3, ge=0, le=10)
    headers_env: str | None = Field(
        default=None,
        description="environment variable holding HTTP headers ('Name: value' lines) for "
        "the API, e.g. a token; its value is never saved",
    )

    @field_validator("collections", "properties")
    @classmethod
    def _no_empty_names(cls, value: Any, info: ValidationInfo) -> Any:
        if any(not name.strip() for name in value):  # a list's items, a mapping's keys
            raise ValueError(_EMPTY_NAME[info.field_name or ""])
        return value

    @field_validator("url")
    @classmethod
    def _http(cls, value: str) -> str:
        if not re.match(r"^https?://[^\s/]+", value):
            raise ValueError("a STAC API URL starts with http:// or https://")
        return value.rstrip("/")

    @field_validator("datetime")
    @classmethod
    def _interval(cls, value: str) -> str:
        parts = value.split("/")
        if len(parts) != 2:
            raise ValueError("give an interval 'START/END' (dates or '..' for open)")
        parsed: list[dt.datetime | None] = []
        for part in parts:
            if part == "..":
                parsed.append(None)
                continue
            try:
                parsed.append(dt.datetime.fromisoformat(part.replace("Z", "+00:00")))
            except ValueError:
                raise ValueError(f"{part!r} is not an ISO date or date-time") from None
        if parsed[0] and parsed[1] and parsed[0].replace(tzinfo=None) > parsed[1].replace(
                tzinfo=None):
            raise ValueError("the interval ends before it starts")
        return value


MaskKind = Literal["scl", "qa_pixel", "cfmask"]


class CloudMask(StrictModel):
    """Which pixels of each scene are dropped, from the product's own quality layer.

    ``kind`` names the layer's encoding: Sentinel-2 L2A scene classification (``scl``),
    Landsat Collection 2 ``QA_PIXEL`` bit flags (``qa_pixel``) or ESPA CFmask classes
    (``cfmask``). ``drop`` lists the classes (or flags) dropped; the default drops fill,
    cloud, cloud shadow, cirrus and snow and keeps water. ``buffer_m`` grows every dropped
    area by that distance (cloud edges), in metres on the ground.
    """

    kind: MaskKind
    asset: str = Field(description="STAC asset key (or band key) of the quality layer")
    drop: list[str] | None = Field(
        default=None, description="class or flag names dropped (default: see the docs)"
    )
    buffer_m: float = Field(default=0.0, ge=0, le=5000)


class Composite(StrictModel):
    """Per-band reduction of the masked scenes to one value per cell.

    ``median`` and ``percentile`` reduce each band on its own; ``geomedian`` is the
    multi-band geometric median (Weiszfeld iterations), which keeps the bands of a cell
    spectrally consistent. A ``<source>_count`` variable holds the valid observations
    per cell.
    """

    method: Literal["median", "percentile", "geomedian"] = "median"
    percentile: float | None = Field(default=None, ge=0, le=100)
    min_count: int = Field(default=1, ge=1, description="fewer valid scenes: no data")
    count_variable: bool = True

    @model_validator(mode="after")
    def _percentile(self) -> Composite:
        if self.method == "percentile" and self.percentile is None:
            raise ValueError("method 'percentile' needs 'percentile: <0..100>'")
        if self.method != "percentile" and self.percentile is not None:
            raise ValueError("'percentile' is only used with method 'percentile'")
        return self


class RemoteReads(StrictModel):
    """How items are read over HTTP: timeouts, retries and how many may be lost."""

    timeout_s: float = Field(default=30.0, gt=0)
    retries: int = Field(default=3, ge=0, le=10)
    retry_delay_s: float = Field(default=0.5, ge=0)
    max_failed_share: float = Field(
        default=0.2, ge=0, le=1,
        description="a job that cannot read more than this share of its items fails",
    )
