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

from pydantic import Field, StrictBool, ValidationInfo, field_validator, model_validator

from prospect.config._base import StrictModel

__all__ = ["CloudMask", "Composite", "PropertyFilter", "RemoteReads", "StacSearch", "ordinal"]

_COMPARISONS = ("eq", "neq", "lt", "lte", "gt", "gte", "in")


Bound = StrictBool | str | float
"""A comparison's value: text, a number, or a boolean kept as one (``eq: true``): in a
``str | float`` a boolean became 1.0 or 0.0 without a word, sent to the API as a number
(``landsat:wrs_path: {eq: yes}`` as path ``"001"``)."""


class PropertyFilter(StrictModel):
    """Comparisons on one item property, all of which must hold (``{lt: 20}``)."""

    eq: Bound | None = None
    neq: Bound | None = None
    lt: Bound | None = None
    lte: Bound | None = None
    gt: Bound | None = None
    gte: Bound | None = None
    in_: list[Bound] | None = Field(default=None, alias="in")

    @model_validator(mode="after")
    def _something(self) -> PropertyFilter:
        found = self.comparisons()
        if not found:
            raise ValueError(f"give at least one comparison of {', '.join(_COMPARISONS)}")
        ordered = next((op for op in ("lt", "lte", "gt", "gte")
                        if isinstance(found.get(op), bool)), None)
        if ordered is not None:
            raise ValueError(f"{ordered}: {_yaml_boolean(found[ordered])}, which has no "
                             "order: write the number or text meant (quote it if it is "
                             "text), or compare a yes/no property with eq or neq")
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

    @field_validator("properties")
    @classmethod
    def _numbers_unquoted(cls, value: dict[str, PropertyFilter]) -> dict[str, PropertyFilter]:
        """A comparison of a property STAC defines as a number takes a number.

        ``eo:cloud_cover: {lt: "30"}`` or ``{lt: 30%}`` (text in the YAML) was sent as
        text: an API that applies CQL2 ``filter`` answered nothing for it (the search
        "found no items; widen the dates") or compared it as it would."""
        for prop, cmp in value.items():
            numeric = _NUMERIC_PROPERTY.fullmatch(prop.strip()) is not None
            width = _PADDED_PROPERTY.get(prop.strip())
            text = _TEXT_PROPERTY.fullmatch(prop.strip()) is not None
            if not numeric and width is None and not text:
                continue
            for op, bound in cmp.comparisons().items():
                for one in bound if op == "in" else [bound]:
                    if isinstance(one, bool) and text:  # 'platform: {eq: yes}'
                        yes, on = ("yes", "on") if one else ("no", "off")
                        raise ValueError(
                            f"{prop} {op}: {_yaml_boolean(one)}, but {prop} is text in "
                            "every STAC item, never a boolean: quote the word meant "
                            f"({op}: {_listed(yes, op)} or {op}: {_listed(on, op)})")
                    if isinstance(one, bool):  # 'landsat:wrs_path: {eq: yes}'
                        what = "a number" if numeric else f"text of {width} digits"
                        raise ValueError(
                            f"{prop} {op}: {_yaml_boolean(one)}, but {prop} is {what} in "
                            "every STAC item: write the value meant" + (
                                "" if numeric else f", quoted (e.g. {op}: '{1:0{width}d}')"))
                    if isinstance(one, str) and numeric:
                        raise ValueError(
                            f"{prop} {op}: {one!r} is text, but {prop} is a number in "
                            "every STAC item; write it unquoted, without a unit (e.g. "
                            f"{op}: {_spelt_number(one)})")
        return value

    @field_validator("properties")
    @classmethod
    def _percent_not_share(cls, value: dict[str, PropertyFilter]
                           ) -> dict[str, PropertyFilter]:
        """A comparison of a property STAC defines as a percentage (``eo:cloud_cover``,
        0..100) bounded by a share of one, or by a number no percentage reaches, is
        refused (as ``composite.percentile: 0.9`` is).

        ``eo:cloud_cover: {lt: 0.2}`` (20 % written as a share) kept only the scenes under
        0.2 % cloud: a composite of the few clearest scenes, or "found no items; widen the
        dates"; ``{lt: 0}`` or ``{gt: 100}`` match no item of a known cover at all."""
        for prop, cmp in value.items():
            if not _PERCENT_PROPERTY.fullmatch(prop.strip()):
                continue
            for op, bound in cmp.comparisons().items():
                for one in bound if op == "in" else [bound]:
                    if op in ("neq", "in") or isinstance(one, bool) or not isinstance(
                            one, int | float):
                        continue
                    none = {"lt": one <= 0, "lte": one < 0, "gt": one >= 100,
                            "gte": one > 100}.get(op, not 0 <= one <= 100)
                    if none:
                        raise ValueError(
                            f"{prop} {op}: {one:g} matches no item of a known cover: "
                            f"{prop} is a percentage of the scene (0..100) in every STAC "
                            "item (-1 where unknown); give a bound within 0..100 (e.g. "
                            "lt: 30)")
                    if op in ("lt", "lte", "gt", "gte") and 0 < one < 1:
                        raise ValueError(
                            f"{prop} {op}: {one:g} is {one:g} % (under one percent), but "
                            f"{prop} is a percentage (0..100) in every STAC item, not a "
                            f"share of one: write {op}: {one * 100:g} for {one * 100:g} % (a bound "
                            "of 0, or of 1 and above, for the clearest scenes)")
        return value

    @field_validator("properties")
    @classmethod
    def _padded_text(cls, value: dict[str, PropertyFilter]) -> dict[str, PropertyFilter]:
        """A comparison of a property the Landsat extension defines as zero-padded text
        (``landsat:wrs_path: "090"``) takes that text.

        ``landsat:wrs_path: {eq: 90}`` compared the number 90 with the items' ``"090"``:
        an API that applies CQL2 ``filter`` answered nothing for it (the search "found no
        items; widen the dates"), and one that ignores ``filter`` had every path's items
        kept as "not comparable", other paths in the composite, exit 0. A whole number
        (or digits, ``"90"``) is written as the extension writes it, ``"090"``."""
        out = {}
        for prop, cmp in value.items():
            width = _PADDED_PROPERTY.get(prop.strip())
            if width is not None:
                update = {("in_" if op == "in" else op): (
                    [_padded(one, width, prop, op) for one in bound] if op == "in"
                    else _padded(bound, width, prop, op))
                    for op, bound in cmp.comparisons().items()}
                cmp = cmp.model_copy(update=update)
            out[prop] = cmp
        return out

    @field_validator("url")
    @classmethod
    def _http(cls, value: str) -> str:
        if not re.match(r"^https?://[^\s/]+", value):
            raise ValueError("a STAC API URL starts with http:// or https://")
        return value.rstrip("/")

    @field_validator("datetime", mode="before")
    @classmethod
    def _interval(cls, value: Any, info: ValidationInfo) -> Any:
        """An interval the STAC client can send, that can hold a scene.

        The client (pystac-client) reads ``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD`` (each the
        whole year, month or day) and RFC 3339 date-times (``...T10:00:00``, with ``Z`` or
        an offset; UTC without one); Python reads more (``20240201``, ``2024-W05``,
        ``2024-02-01T10:00``), which passed here and stopped the search with a bare
        ``Exception`` (exit 70). The ends are compared as instants: with the offsets
        dropped, ``2024-02-01T00:00:00-10:00/2024-02-01T05:00:00Z`` (10:00 to 05:00 UTC)
        was taken for a five-hour window and searched an empty one. ``../..`` (every date
        there is, cut to ``max_items`` in the API's order), an interval wholly in the
        future and one wholly before the first scene of every collection searched
        (Sentinel-2 before 2015) are refused: none can give the composite asked for.
        """
        if isinstance(value, dt.date):  # YAML read 'datetime: 2024-02-01' as a date
            # a date and time (2024-02-01 10:00) was told '...T10:00:00/...T10:00:00' "for
            # that day", an interval of no length: the day is its date's
            day = value.date() if isinstance(value, dt.datetime) else value
            what = f"{value.isoformat()} as one date and time" if isinstance(
                value, dt.datetime) else f"{value.isoformat()} as one date"
            raise ValueError(
                f"YAML read {what}; give an interval 'START/END', e.g. "
                f"'{day.isoformat()}/{day.isoformat()}' for that day")
        if isinstance(value, int) and not isinstance(value, bool) and 1900 <= value <= 2100:
            raise ValueError(_one_period(str(value), "YAML read a number"))
        if not isinstance(value, str):
            return value  # the str field says what it wants
        parts = [part.strip() for part in value.split("/")]
        if len(parts) != 2:
            raise ValueError(_one_period(value.strip()) if _RFC3339.match(value.strip())
                             else _other_separator(value.strip()) or
                             "give an interval 'START/END' as YYYY-MM-DD dates (or '..' "
                             "for an open end), e.g. '2024-02-01/2024-09-30'")
        value = "/".join(parts)  # ' 2024-02-01 / 2024-09-30': the ends as written
        if parts == ["..", ".."]:
            raise ValueError("'../..' searches every date there is (cut to max_items in the "
                             "catalogue's order); give at least one end")
        start = None if parts[0] == ".." else _instant(parts[0], end=False)
        stop = None if parts[1] == ".." else _instant(parts[1], end=True)
        if start is not None and stop is not None and start > stop:
            raise ValueError(f"the interval ends before it starts ({_utc(stop)} is before "
                             f"{_utc(start)}, in UTC)")
        now = dt.datetime.now(dt.UTC)
        if start is not None and start > now:
            raise ValueError(f"the interval starts in the future ({_utc(start)}): no scene "
                             "exists yet; give dates of past acquisitions")
        collections = (info.data or {}).get("collections") or []
        firsts = [_FIRST_SCENE.get(c) for c in collections]
        if stop is not None and firsts and all(f is not None for f in firsts):
            first = min(f for f in firsts if f is not None)
            if stop < first:
                raise ValueError(
                    f"the interval ends ({_utc(stop)}) before the first scene of "
                    f"{', '.join(collections)} ({first.date().isoformat()}); no scene can be "
                    "found: give later dates")
        return value


_NUMERIC_PROPERTY = re.compile(
    r"eo:(cloud|snow)_cover|view:(sun_elevation|sun_azimuth|off_nadir|incidence_angle|azimuth)"
    r"|gsd|sat:(relative|absolute)_orbit|landsat:cloud_cover_land|s2:\w+_percentage")
"""STAC properties whose extensions define them as numbers."""


_TEXT_PROPERTY = re.compile(
    r"platform|constellation|mission|instruments|sat:orbit_state|sat:platform_international_"
    r"designator|sar:(instrument_mode|frequency_band|product_type|polarizations|"
    r"observation_direction)|s2:(mgrs_tile|product_type|processing_baseline|datatake_type|"
    r"datatake_id|granule_id|product_uri|generation_time|datastrip_id)|mgrs:(latitude_band|"
    r"grid_square)|landsat:(scene_id|correction|collection_category|product_id)|proj:code|"
    r"processing:(level|facility|lineage)|s1:(product_timeliness|processing_level|"
    r"resolution|datatake_id)")
"""STAC properties whose extensions define them as text (or lists of text): a YAML
boolean (``eq: yes``, ``eq: off``) compared with one matches no item; the word was meant."""


_PERCENT_PROPERTY = re.compile(
    r"eo:(cloud|snow)_cover|landsat:cloud_cover_land|s2:\w+_percentage")
"""STAC properties whose extensions define them as percentages of the scene, 0..100."""


_PADDED_PROPERTY = {"landsat:wrs_path": 3, "landsat:wrs_row": 3,
                    "landsat:collection_number": 2}
"""STAC properties the Landsat extension defines as text of zero-padded digits
(``"090"``, ``"02"``), and their width."""


def _padded(bound: Any, width: int, prop: str, op: str) -> Any:
    """``bound`` as the zero-padded text ``prop`` is stated in (``90`` -> ``"090"``);
    other text as given (``ValueError`` for a number that is no whole one)."""
    if isinstance(bound, float | int) and not isinstance(bound, bool):
        if float(bound) != int(bound) or bound < 0:
            raise ValueError(f"{prop} {op}: {bound:g} is no WRS path, row or collection "
                             f"number; write a whole number, e.g. {op}: "
                             f"'{max(int(bound), 0):0{width}d}'")
        return f"{int(bound):0{width}d}"
    if isinstance(bound, str) and bound.strip().isdigit():
        return bound.strip().zfill(width)
    return bound


def _listed(word: str, op: str) -> str:
    """``word`` quoted as ``op`` takes it: in brackets for ``in``."""
    return f"['{word}']" if op == "in" else f"'{word}'"


def _yaml_boolean(value: bool) -> str:
    """A comparison's boolean as said in a refusal: what YAML read, and from what."""
    return (f"{str(value).lower()} (YAML reads {'yes, on' if value else 'no, off'} and "
            f"{str(value).lower()} unquoted as a boolean)")


def _spelt_number(text: str) -> str:
    """The number ``text`` spells (``"30"``, ``"30 %"``, ``"12,5"``, ``"EPSG:32631"``),
    else ``30``: the value to write in its place, for messages."""
    found = re.search(r"[-+]?\d+(?:[.,]\d+)?", text)
    return f"{float(found.group().replace(',', '.')):g}" if found else "30"


_RFC3339 = re.compile(
    r"^(?P<year>\d{4})(-(?P<month>\d{2})(-(?P<day>\d{2})"
    r"(?P<time>[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?(?P<tz>[Zz]|[-+]\d{2}:\d{2})?)?)?)?$")
"""The date forms pystac-client's search reads (its ``DATETIME_REGEX``)."""

_FIRST_SCENE: dict[str, dt.datetime] = {
    c: dt.datetime(*ymd, tzinfo=dt.UTC) for c, ymd in {
        "sentinel-2-l2a": (2015, 6, 23), "sentinel-2-l1c": (2015, 6, 23),
        "sentinel-2-c1-l2a": (2015, 6, 23), "sentinel-2-c1-l1c": (2015, 6, 23),
        "landsat-c2-l2": (1982, 7, 16), "landsat-c2-l1": (1972, 7, 23),
        "sentinel-1-grd": (2014, 4, 3),
    }.items()}
"""Launch dates of the missions behind well-known STAC collection ids (Earth Search,
Planetary Computer): an interval ending before them can find no scene."""


def _instant(text: str, *, end: bool) -> dt.datetime:
    """The first (or, ``end``, the last) instant, in UTC, of one end of an interval."""
    match = _RFC3339.match(text)
    if match is None:
        raise ValueError(
            f"{text!r} is no date the STAC search reads; write YYYY-MM-DD (e.g. 2024-02-01), "
            "or a full date-time such as 2024-02-01T10:00:00Z")
    try:
        if match.group("time"):
            stamp = dt.datetime.fromisoformat(text.replace("z", "Z").replace("Z", "+00:00"))
            return stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)
        year, month, day = (int(match.group(k) or 1) for k in ("year", "month", "day"))
        first = dt.datetime(year, month, day, tzinfo=dt.UTC)
    except ValueError as exc:
        raise ValueError(f"{text!r} is no date ({exc}); write YYYY-MM-DD") from None
    if not end:
        return first
    if match.group("day"):
        return first + dt.timedelta(days=1, microseconds=-1)
    if match.group("month"):
        following = dt.datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=dt.UTC)
        return following - dt.timedelta(microseconds=1)
    return dt.datetime(year + 1, 1, 1, tzinfo=dt.UTC) - dt.timedelta(microseconds=1)


def _one_period(text: str, why: str = "") -> str:
    """Why ``text``, one year, month, day or instant (:data:`_RFC3339`), is no search
    window, and the interval that searches that period (the ends of ``_instant``).

    ``datetime: 2021-06`` was told "give an interval 'START/END' ..., e.g.
    '2024-02-01/2024-09-30'" (a window of no period it named), and ``datetime: 2021``,
    which YAML reads as a number, "Input should be a valid string", neither saying what
    was read nor the interval that holds it."""
    match = _RFC3339.match(text)
    if match is None or match.group("time"):
        what, interval = "one instant", f"{text}/{text}"
    else:
        start = _instant(text, end=False).date().isoformat()
        stop = _instant(text, end=True).date().isoformat()
        what = ("one day" if match.group("day") else "one month" if match.group("month")
                else "one year")
        interval = f"{start}/{stop}"
    said = f"{text} ({why})" if why else repr(text)
    return (f"{said} is {what}, not an interval; give the search window as 'START/END', "
            f"e.g. '{interval}' for that {what[4:]}")


_SEPARATORS = re.compile(r"\s*(?:\.\.|--|–|—|\s+to\s+|\s+-\s+|,)\s*")
"""What else is written between the two ends of an interval (``2021-06-01..2021-06-30``,
``2021-06-01 to 2021-06-30``)."""


def _other_separator(text: str) -> str | None:
    """The refusal of an interval whose ends are joined by another separator than ``/``
    (:data:`_SEPARATORS`), naming the interval to write, or ``None``."""
    ends = _SEPARATORS.split(text)
    if len(ends) != 2 or not all(_RFC3339.match(end) for end in ends):
        return None
    return (f"{text!r} joins its two ends with another separator than '/'; write the "
            f"interval as 'START/END', e.g. '{ends[0]}/{ends[1]}'")


def _utc(stamp: dt.datetime) -> str:
    return stamp.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


MaskKind = Literal["scl", "qa_pixel", "cfmask"]


class CloudMask(StrictModel):
    """Which pixels of each scene are dropped, from the product's own quality layer.

    ``kind`` names the layer's encoding: Sentinel-2 L2A scene classification (``scl``),
    Landsat Collection 2 ``QA_PIXEL`` bit flags (``qa_pixel``) or ESPA CFmask classes
    (``cfmask``). ``drop`` lists the classes (or flags) dropped; the default drops fill,
    cloud, cloud shadow, cirrus and snow and keeps water; a listed ``drop`` is the classes
    dropped besides the fill and SCL's saturated or defective pixels, which are always
    dropped. ``buffer_m`` grows every dropped area by that distance (cloud edges), in
    metres on the ground.
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
    per cell: the fewest any band has there (``geomedian``: the scenes valid in every
    band), so ``count >= min_count`` says every band has a value.
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
        if self.percentile is not None and 0 < self.percentile < 1:
            # a share (numpy's quantile, xarray's, Earth Engine's reducer take 0..1):
            # 0.9 was the 0.9th percentile, near each cell's darkest look, without a word
            raise ValueError(
                f"percentile {self.percentile:g} is the {ordinal(self.percentile)} "
                "percentile (near each cell's lowest look), but percentile is on a 0..100 "
                f"scale: write {self.percentile * 100:g} for the "
                f"{ordinal(self.percentile * 100)}, or 0 or 1 and above for a low percentile")
        return self


def ordinal(number: float) -> str:
    """``number`` as an English ordinal, for a percentile's name: ``1st``, ``2nd``,
    ``3rd``, ``11th``, ``12th``, ``13th``, ``21st``, ``22nd``, ``0.9th``, ``2.5th``.

    A composite of ``percentile: 1`` was named "1th percentile" (2, 3, 21, 22...
    likewise) in its long name and the map's legend.

    Parameters
    ----------
    number
        The percentile (0..100).

    Returns
    -------
    str
        The number as ``:g`` writes it, with its suffix.
    """
    text = f"{number:g}"
    if float(number) != int(number):
        return f"{text}th"
    whole = abs(int(number))
    if whole % 100 in (11, 12, 13):
        return f"{text}th"
    return text + {1: "st", 2: "nd", 3: "rd"}.get(whole % 10, "th")


class RemoteReads(StrictModel):
    """How items are read over HTTP: timeouts, retries and how many may be lost."""

    timeout_s: float = Field(default=30.0, gt=0)
    retries: int = Field(default=3, ge=0, le=10)
    retry_delay_s: float = Field(default=0.5, ge=0)
    max_failed_share: float = Field(
        default=0.2, ge=0, le=1,
        description="a job that cannot read more than this share of its items fails",
    )
