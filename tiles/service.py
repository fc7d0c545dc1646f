"""The tile server's state: configured layers, keys, the tile cache and rendering.

:class:`TileService` holds what every handler needs (one instance per app); the handlers
in :mod:`tiles.handlers` turn requests into calls on it. Links in documents are built from
the configured public URL or the address the server listens on, never from the request's
``Host`` header.
"""

from __future__ import annotations

import asyncio
import calendar
import datetime as dt
import hashlib
import logging
import os
import re
import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlencode

import anyio
import anyio.to_thread
import numpy as np
from starlette.requests import Request
from starlette.responses import Response

from prospect.canonical import config_hash
from prospect.config.tiles import ServeConfig, ServeLayerConfig, load_agency_keys
from prospect.errors import InputFileError, ProspectError
from tiles.accesslog import AccessLog
from tiles.auth import (
    Access,
    Decision,
    KeyStore,
    RateLimiter,
    hash_key,
    key_sent_elsewhere,
    retry_after,
)
from tiles.cache import TileCache
from tiles.colormap import encode_image, encode_indexed, render_indexed, webp_quality
from tiles.grids import (
    DEFAULT_TMS,
    WEB_MERCATOR_MAX_LAT,
    beyond_web_mercator,
    grid_gap,
    tile_matrix_set,
    tms_for_crs,
)
from tiles.http import (
    ApiError,
    conditional_response,
    ignored_dimensions,
    public_path,
    public_root,
    sent_path,
)
from tiles.legend import (
    LEGEND_SIZE,
    class_legend_height,
    layer_palette,
    legend_png,
    legend_title,
)
from tiles.metadata import (
    LayerMeta,
    ValueSample,
    blended_overview_warning,
    clamped_ends,
    class_layer,
    colour_layer,
    layer_classes,
    layer_colours,
    layer_meta,
    many_classes_warning,
    no_data_warning,
    range_origin,
    range_warning,
    sample_over_dates,
    spread_over,
    units_warning,
    unstated_fill_warning,
    value_sample,
)
from tiles.source import (
    CrowdedDaysError,
    LayerDataError,
    LayerLayoutError,
    LayerSource,
    LayerVariableError,
    VariableMissingError,
    cog_source,
    cube_dates,
    cube_source,
    cube_variable_missing,
    shown_dates,
)

__all__ = ["MAP_SLOTS", "QUERY_TIMES", "Layer", "TileService", "build_layers", "case_hint",
           "file_name", "matrix_set_spelled", "spelled", "unserved_format"]

T = TypeVar("T")

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")

RANGE_CHECK_CUBE_CELLS = 2**24
"""Largest cube variable whose colour range :meth:`TileService.colour_ranges` checks: a
cube has no overviews, so its 128 x 128 sample decodes every chunk (a COG's comes from
its overviews, whatever its size)."""

MAP_SLOTS = 2
"""Most WMS maps drawn at once (:meth:`TileService.draw`). A map of 4096 x 4096 pixels
takes several hundred MB while it is drawn; with no limit, twelve at once took the server
to 3.3 GB and two minutes each (forty, anyio's thread count, exhaust a 16 GB machine).
Further maps wait their turn; tiles have their own limit."""

VARIABLE_GONE_S = 2.0
"""Seconds a cube layer's variable stays missing from its cube, which reads, with nothing
of the layer published meanwhile, before it is taken as removed (a 404 saying so,
:meth:`TileService._follow_missing`) rather than a moment of its publishing (the 503 "try
again later"). A publish swaps a variable's folder and rewrites the cube's metadata in
milliseconds, and a cube being rewritten by xarray (``to_zarr(mode="w")``) does not read
until its consolidated metadata is written at the end."""

_KEY_SLOT = "prospect.api_key"
"""Where :meth:`TileService.key_of` keeps the request's key in the ASGI scope."""


@dataclass
class Layer:
    """A configured layer and its opened data source."""

    config: ServeLayerConfig
    source: LayerSource
    times: dict[str, LayerSource] = field(default_factory=dict)
    """A layer of every date of a cube variable (a serve layer's ``dates: all``): each
    date's map (``YYYY-MM-DD``) in date order, ``TIME=`` picking one
    (:meth:`TileService.at_time`); its ``source`` is the latest's, the default. Empty for
    any other layer."""

    @property
    def name(self) -> str:
        """Layer name in URLs."""
        return self.config.name

    @property
    def default_date(self) -> str | None:
        """The default of a layer of every date (its latest), else ``None``."""
        return max(self.times) if self.times else None

    def at(self, date: str) -> Layer:
        """The map of ``date`` (one of :attr:`times`) of a layer of every date: a layer of
        that one date, named and drawn as this one."""
        return Layer(self.config, self.times[date], self.times)


_DAY = r"\d{4}-(?:\d{2}-\d{2}|W\d{2}-\d|\d{3})"
"""An ISO 8601 day in the extended format: a calendar date (``2021-06-01``), a week date
(``2021-W22-2``, the Tuesday of week 22) or an ordinal date (``2021-152``, its 152nd
day)."""

_TIME_OF_DAY = re.compile(
    rf"^({_DAY})(?:T(\d{{2}}(?::\d{{2}}(?::\d{{2}}(?:[.,]\d+)?)?)?)"
    r"(Z|[+ -]\d{2}(?::?\d{2})?)?)?$")
"""An ISO 8601 day (:data:`_DAY`), or a time on it (``2020-06-01T00:00:00Z``, as QGIS and
OpenLayers send a WMS/WMTS ``TIME``; a fraction of a second after a point or ISO 8601's
comma): group 1 is the day, 2 the time, 3 the zone (``Z``, an offset, or an offset whose
``+`` a URL's query read as a space)."""

_REDUCED = re.compile(r"^(\d{4})(?:-(\d{2}|W\d{2}))?$")
"""An ISO 8601 date of reduced precision (WMS 1.3.0 annex D): a year, a year and month, or
a year and week (``2021-W22``, Monday 2021-05-31 to Sunday 2021-06-06)."""


_BASIC = re.compile(r"^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})?(\d{2}(?:[.,]\d+)?)?"
                    r"(Z|[+ -]\d{2}(?:\d{2})?)?)?$")
"""A day, or a time on it, in ISO 8601's basic format (``20210601``, ``20210601T1030Z``:
no separators, as ``date +%Y%m%d`` and many archives' file names write them)."""

_BASIC_WEEK = re.compile(r"^(\d{4})W(\d{2})(\d)?$")
"""A week or a week date in ISO 8601's basic format (``2021W22``, ``2021W222``)."""

PRESENT = "PRESENT"
"""GeoServer's and ncWMS's word for now in a ``TIME`` (any case): alone, or as either end
of a range or interval."""


_SEPARATOR = re.compile(rf"^({_DAY}|\d{{8}})[t ](?=\d)")
"""A day and a time joined by RFC 3339's lower-case ``t`` or a space (``2021-06-01
10:30:00+00:00``, as Python's ``str`` of a datetime, pandas and SQL write them)."""


def _extended(text: str) -> str:
    """ISO 8601 time ``text`` in the extended format (``20210601T1030Z`` is
    ``2021-06-01T10:30Z``, ``2021W222`` is ``2021-W22-2``), its day and time joined by
    ``T`` and its zone ``Z`` where RFC 3339 writes them in lower case or joins them by a
    space (``2021-06-01 10:30:00``, which was "not a date"); any other text as it is. A
    year and month are never read in the basic format (``202106`` is no ISO 8601 month),
    nor an ordinal date (``2021061`` is seven digits of no day said without doubt)."""
    text = _SEPARATOR.sub(r"\1T", text.strip())
    if "T" in text and text.endswith("z"):
        text = text[:-1] + "Z"
    week = _BASIC_WEEK.match(text)
    if week is not None:
        return f"{week.group(1)}-W{week.group(2)}" + (f"-{week.group(3)}" if week.group(3)
                                                     else "")
    found = _BASIC.match(text)
    if found is None:
        return text
    year, month, day, hour, minute, second, zone = found.groups()
    clock = ":".join(part for part in (hour, minute, second) if part is not None)
    return (f"{year}-{month}-{day}" + (f"T{clock}" if hour is not None else "")
            + (zone or ""))


def _calendar_day(text: str) -> dt.date:
    """The day of ISO 8601 day ``text`` (:data:`_DAY`: a calendar, week or ordinal date);
    :class:`ValueError` where there is none (``2021-02-30``, ``2021-W53-1``, ``2021-366``)."""
    year, _, rest = text.partition("-")
    if len(rest) == 3 and rest.isdigit():  # ordinal: datetime's fromisoformat reads none
        day = dt.date(int(year), 1, 1) + dt.timedelta(days=int(rest) - 1)
        if int(rest) < 1 or day.year != int(year):
            raise ValueError(f"day {rest} of {year}")
        return day
    return dt.date.fromisoformat(text)  # a calendar date or a week date (Python >= 3.11)


_MIDNIGHT_AFTER = re.compile(r"^24(?::00(?::00(?:[.,]0+)?)?)?$")
"""ISO 8601's ``24:00``: the end of a day, the midnight the next day starts at."""


def _instant(day: str, clock: str, zone: str | None) -> dt.datetime:
    """The UTC instant (naive) of time ``clock`` on ISO 8601 day ``day`` (:data:`_DAY`) at
    ``zone`` (``Z``, an offset, one whose ``+`` a query read as a space, or ``None``: UTC).
    ``24:00`` is the next day's midnight (``2021-05-31T24:00Z`` is 2021-06-01, where it was
    read on 2021-05-31). :class:`ValueError` or :class:`OverflowError` where there is none
    (``T25``, a UTC day past the calendar)."""
    date = _calendar_day(day)
    if _MIDNIGHT_AFTER.match(clock):
        date, clock = date + dt.timedelta(days=1), "00"
    local = dt.datetime.fromisoformat(
        f"{date.isoformat()}T{clock}{(zone or '').replace(' ', '+')}")
    return local if local.tzinfo is None else local.astimezone(dt.UTC).replace(tzinfo=None)


def _utc_days(text: str) -> tuple[dt.date, dt.date] | None:
    """The first and last day, in UTC, of ISO 8601 time ``text``: a day (a calendar, week
    or ordinal date, :data:`_DAY`); a time on it (a time with an offset on its UTC day, as
    a layer's date is its scenes' day in UTC and a config's ``date:`` is read,
    :func:`prospect.config.timeseries.calendar_date`; ``T24:00`` the next day's start); a
    year, a month or a week (reduced precision, WMS 1.3.0 annex D: ``2021-06`` is June
    2021); a day or time in the basic format (:func:`_extended`: ``20210601`` was "not a
    date"); :data:`PRESENT`, today. ``None`` where it is none of these."""
    text = _extended(text)
    if text.upper() == PRESENT:  # 'TIME=PRESENT' was "not a date"
        today = dt.datetime.now(dt.UTC).date()
        return today, today
    try:  # 2021-02-30, T25, 2021-W53; 9999-12-31T23:00-05:00 (in UTC past the last day)
        reduced = _REDUCED.match(text)
        if reduced is not None:
            year, part = int(reduced.group(1)), reduced.group(2)
            if part is None:
                return dt.date(year, 1, 1), dt.date(year, 12, 31)
            if part.startswith("W"):
                monday = dt.date.fromisocalendar(year, int(part[1:]), 1)
                return monday, monday + dt.timedelta(days=6)
            first = dt.date(year, int(part), 1)
            return first, first.replace(day=calendar.monthrange(year, first.month)[1])
        found = _TIME_OF_DAY.match(text)
        if found is None:
            return None
        day = (_calendar_day(found.group(1)) if found.group(2) is None
               else _instant(*found.groups()).date())
    except (ValueError, OverflowError):
        return None
    return day, day


def _day_of(text: str) -> str | None:
    """The UTC day (``YYYY-MM-DD``) of ISO 8601 time ``text`` naming one day, or ``None``."""
    days = _utc_days(text)
    return days[0].isoformat() if days is not None and days[0] == days[1] else None


_DURATION = re.compile(
    r"^P(?!$)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?"
    r"(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$")
"""An ISO 8601 duration (``P1D``, ``P1M``, ``PT12H``, ``P1Y2M10DT2H30M``): groups 1-7 are
its years, months, weeks, days, hours, minutes and seconds."""


def _duration(text: str) -> tuple[int, dt.timedelta] | None:
    """ISO 8601 duration ``text`` as its months (years and months, added on the calendar)
    and the rest as a :class:`datetime.timedelta`; ``None`` where it is no duration."""
    found = _DURATION.match(text)
    if found is None:
        return None
    try:  # amounts past datetime's 10 000 years (P99999999999D) are no duration it holds
        years, months, weeks, days, hours, minutes = (int(g or 0) for g in found.groups()[:6])
        return years * 12 + months, dt.timedelta(weeks=weeks, days=days, hours=hours,
                                                 minutes=minutes,
                                                 seconds=float(found.group(7) or 0))
    except (OverflowError, ValueError):
        return None


def _utc_instant(text: str, *, end: bool) -> dt.datetime | None:
    """The UTC instant (naive) at which ISO 8601 time ``text`` starts (``end``: ends): a
    time is its own instant (:func:`_instant`), :data:`PRESENT` now; a day, week, month or
    year (:func:`_utc_days`) starts at its first day's midnight and ends at the midnight
    after its last day. ``None`` where it is none of these."""
    if text.strip().upper() == PRESENT:  # 'P1M/PRESENT' (the last month) was "not a date"
        return dt.datetime.now(dt.UTC).replace(tzinfo=None)
    days = _utc_days(text)
    if days is None:
        return None
    found = _TIME_OF_DAY.match(_extended(text))
    if found is None or found.group(2) is None:  # a day, week, month or year: its midnights
        if end and days[1] == dt.date.max:  # 9999-12-31 ends after datetime's last day
            return dt.datetime.max
        return dt.datetime.combine(days[1] + dt.timedelta(days=1) if end else days[0],
                                   dt.time())
    try:
        return _instant(*found.groups())
    except (ValueError, OverflowError):  # checked by _utc_days: not met
        return None


def _shifted(instant: dt.datetime, duration: tuple[int, dt.timedelta], sign: int
             ) -> dt.datetime:
    """``instant`` plus (``sign`` 1) or minus (-1) ``duration`` (:func:`_duration`): its
    months on the calendar (the day kept, or the month's last where it has fewer, as
    ISO 8601 and dateutil add them), then the rest; past the years datetime holds, its
    first or last instant (``2021-06-01/P99999999Y`` holds every day from 2021-06-01)."""
    months, rest = duration
    try:
        year, month = divmod(instant.year * 12 + instant.month - 1 + sign * months, 12)
        last = calendar.monthrange(year, month + 1)[1]
        moved = instant.replace(year=year, month=month + 1, day=min(instant.day, last))
        return moved + sign * rest
    except (ValueError, OverflowError):
        return dt.datetime.max if sign > 0 else dt.datetime.min


OPEN_ENDS = ("..", "")
"""An open end of a range (ISO 8601-2, OGC API's and STAC's ``datetime``:
``2021-01-01T00:00:00Z/..``, ``../2021-12-31``, ``2021-01-01/``): every day on that side."""


def _asked_days(text: str) -> tuple[dt.date, dt.date] | None:
    """The first and last UTC day a WMS/WMTS ``TIME`` value ``text`` asks for, or ``None``
    where it is no time: one time (:func:`_utc_days`); a range ``start/end[/period]`` (WMS
    1.3.0 annex C.3: the period, a resolution written as a duration, does not change the
    days); an ISO 8601 interval of a start and a duration or a duration and an end
    (``2021-06-01/P1D``, the day, as OpenLayers' and ncWMS's time pickers write it;
    ``P1W/2021-06-03``); :data:`PRESENT` (GeoServer's now) alone or at either end
    (``P1M/PRESENT``, the last month), today in UTC; a range open at one end
    (:data:`OPEN_ENDS`: ``2021-01-01/..``, as OGC API's and STAC's ``datetime`` write it).
    The last three were "not a date"."""
    parts = [part.strip() for part in text.strip().split("/")]
    if len(parts) == 1:
        return _utc_days(parts[0])
    if len(parts) > 3 or (len(parts) == 3 and _duration(parts[2]) is None):
        return None  # a period is a duration (2021-01-01/2021-12-31/xyz was the map)
    ahead, behind = _duration(parts[0]), _duration(parts[1])
    if len(parts) == 2 and (ahead is None) != (behind is None):
        if behind is not None:  # start/duration
            start = _utc_instant(parts[0], end=False)
            stop = None if start is None else _shifted(start, behind, 1)
        else:  # duration/end
            stop = _utc_instant(parts[1], end=True)
            start = None if stop is None or ahead is None else _shifted(stop, ahead, -1)
        if start is None or stop is None or stop < start:
            return None
        # the interval's last instant is before its end (2021-06-01/P1D is that one day)
        return start.date(), max(start, stop - dt.timedelta(microseconds=1)).date()
    opened = [len(parts) == 2 and part in OPEN_ENDS for part in parts[:2]]
    if all(opened):
        return None  # '../..' bounds nothing (STAC's and OGC API's datetime refuse it)
    first = (dt.date.min, dt.date.min) if opened[0] else _utc_days(parts[0])
    last = (dt.date.max, dt.date.max) if opened[1] else _end_days(parts[1])
    return None if first is None or last is None else (first[0], last[1])


def _end_days(text: str) -> tuple[dt.date, dt.date] | None:
    """:func:`_utc_days` of a range's end ``text``, where ``24:00`` ends the day it writes.

    ISO 8601 writes ``24:00`` to end an interval at the end of a day
    (``2021-06-01T00:00Z/2021-06-01T24:00Z`` is the day 2021-06-01): read as a time alone,
    it is the next day's first instant, and the range held 2021-06-02's map too. At a
    range's end it is the last instant before that midnight, in UTC."""
    found = _TIME_OF_DAY.match(_extended(text))
    if found is None or found.group(2) is None or not _MIDNIGHT_AFTER.match(found.group(2)):
        return _utc_days(text)
    try:
        day = (_instant(*found.groups()) - dt.timedelta(microseconds=1)).date()
    except (ValueError, OverflowError):
        return None
    return day, day


def _period(text: str) -> str | None:
    """The period of range ``text`` (``start/end/period``, WMS 1.3.0 annex C.3) where its
    ends are times and it is no ISO 8601 duration (``2021-01-01/2021-12-31/xyz``, or
    empty); else ``None``."""
    parts = [part.strip() for part in text.strip().split("/")]
    if len(parts) != 3 or _duration(parts[2]) is not None:
        return None
    return parts[2][:20] if _asked_days("/".join(parts[:2])) is not None else None


def _unread_time(param: str, text: str) -> str | None:
    """Why ``TIME`` value ``text`` (sent as ``param``) names no day or range of days: a
    list of times, a range's period that is no duration, or no date at all; ``None``
    where it is read (:func:`_asked_days`)."""
    if "," in text and _asked_days(text) is None:
        return f"{param}={text[:40]!r} lists several times, and a layer is one map"
    if _period(text) is not None:
        return (f"{param}={text[:40]!r} gives the period {_period(text)!r}, which is no "
                "ISO 8601 duration (start/end/period: the resolution, e.g. P1D, PT1H)")
    if _asked_days(text) is not None:
        return None
    return (f"{param}={text[:40]!r} is not a date (ISO 8601: YYYY-MM-DD, a time on it, "
            "YYYY-MM or YYYY, a range start/end of them, an interval start/P1D or P1D/end, "
            "or start/PRESENT; a week YYYY-Www or day YYYY-Www-D, a day of the year "
            "YYYY-DDD, PRESENT alone, or a range open at one end, start/.. or ../end)")


def _missed(param: str, text: str) -> str:
    """What ``TIME`` value ``text`` (sent as ``param``), read as a day or a range of days
    (:func:`_asked_days`), is to a layer holding none of the days it asks: a time "is not
    one of its dates"; a range or interval (``start/end``, ``start/P1D``, ``P1M/PRESENT``)
    is no date and "holds none of its dates" (it was "is not one of its dates" too)."""
    if "/" in text:
        return f"{param}={text[:40]!r} holds none of its dates"
    return f"{param}={text[:40]!r}{_utc_note(text)} is not one of its dates"


def _nearest(dates: list[str], days: tuple[dt.date, dt.date]) -> str:
    """The one of ``dates`` (``YYYY-MM-DD``) nearest the days ``days`` (first, last) asked:
    before the first, after the last (the earlier of two as near)."""
    def gap(day: str) -> tuple[int, str]:
        d = dt.date.fromisoformat(day)
        return (max((days[0] - d).days, (d - days[1]).days, 0), day)
    return min(dates, key=gap)


def _undated_title(title: str, date: str, count: int) -> str:
    """The title of a layer of every date (``dates: all``) from its default date's
    (:func:`tiles.metadata.layer_meta`, which writes ``X (2021-06-01)``, or ``N on
    2021-06-01`` for the time series' ``N on 3 dates``): ``X``, ``N on 3 dates``."""
    if title.endswith(f" ({date})"):
        return title.removesuffix(f" ({date})")
    if title.endswith(f" on {date}"):
        return f"{title.removesuffix(f' on {date}')} on {count} dates"
    return title


def _time_holds(text: str, date: str) -> bool:
    """Whether WMS/WMTS ``TIME`` value ``text`` asks for day ``date``: that day (or a time
    on it in UTC), the month or year holding it, or a range or interval whose days hold it
    (:func:`_asked_days`)."""
    days = _asked_days(text)
    return days is not None and days[0].isoformat() <= date <= days[1].isoformat()


def _utc_note(text: str) -> str:
    """Where ``text`` is a time on another day in UTC than it writes, a note saying so
    (`` (a time at offset -05:00, on 2021-06-02 in UTC: ...)``; ``24:00``, the next day's
    start); where it writes its day otherwise than ``YYYY-MM-DD`` (a week or ordinal date,
    :data:`PRESENT`), that day; else ``""``."""
    day = _day_of(text)
    if day is None:
        return ""
    if text.strip().upper() == PRESENT:
        return f" (now, on {day} in UTC)"
    found = _TIME_OF_DAY.match(_extended(text))
    if found is None:
        return ""
    written, _clock, zone = found.groups()
    if day != _calendar_day(written).isoformat():
        if zone is None or zone == "Z":
            return f" (24:00, the start of {day})"
        return (f" (a time at offset {zone.replace(' ', '+')}, on {day} in UTC: a "
                "layer's date is its scenes' day in UTC)")
    return "" if written == day else f" (the day {day})"


QUERY_TIMES = ("time", "date", "datetime")
"""Query parameters (in any case) naming a time on URLs outside WMS and WMTS
(:meth:`TileService.query_time`)."""


def build_layers(config: ServeConfig) -> dict[str, Layer]:
    """Open every configured layer's data source (fails early on a missing file)."""
    layers = {}
    for cfg in config.layers:
        times: dict[str, LayerSource] = {}
        if cfg.cog is not None:
            source = cog_source(cfg.cog)
        elif cfg.dates is not None:  # every date as one layer, the latest its default
            assert cfg.cube is not None
            times = {day: cube_source(cfg.cube, cfg.variable, day)
                     for day in cube_dates(cfg.cube, cfg.variable)}
            source = times[max(times)]
        else:
            assert cfg.cube is not None
            source = cube_source(cfg.cube, cfg.variable,
                                 None if cfg.date is None else cfg.date.isoformat())
        try:
            _ = source.lonlat_bounds  # opens the data now: a bad path fails at start-up
        except LayerVariableError as exc:
            if cfg.cube is None or "variable" in cfg.model_fields_set:
                raise
            # a cube layer without 'variable:' reads 'probability'; a cube of other
            # variables was "cube has no variable 'probability'", a name never written
            raise LayerVariableError(
                f"{exc}; layer {cfg.name!r} gives no 'variable:', so it reads "
                f"{cfg.variable!r} (a score map's): add 'variable:' to the layer") from None
        layers[cfg.name] = Layer(cfg, source, times)
    return layers


def case_hint(name: str, choices: list[str]) -> str:
    """`` (did you mean 'X'? ...)`` when ``name`` is one of ``choices`` but for case, else
    ``""``: WMTS and OWS identifiers (layers, styles, tile matrix sets) are compared with
    case, as the standards say, and ``webmercatorquad`` was refused naming nothing near."""
    near = [c for c in choices if c.casefold() == name.casefold() and c != name]
    return (f" (did you mean {near[0]!r}? names are compared with case)" if near else "")


def spelled(name: str, choices: list[str]) -> str:
    """The one of ``choices`` that ``name`` writes in another letter case (``Probability``
    for ``probability``), else ``name`` itself."""
    if name in choices or not name.isascii():  # 'teſt' folds to 'test': not a spelling
        return name
    near = [c for c in choices if c.lower() == name.lower()]
    return near[0] if len(near) == 1 else name


def matrix_set_spelled(name: str, sets: list[str]) -> str:
    """The one of ``sets`` (a layer's tile matrix sets) that an XYZ or TileJSON URL means
    by ``name``: itself, its spelling in another letter case (:func:`spelled`), or, for
    another server's name of Web Mercator (``GoogleMapsCompatible``, ``EPSG:3857``,
    ``EPSG:900913``: :data:`tiles.wmts.MATRIX_SET_ALIASES`, in any case),
    ``WebMercatorQuad`` where the layer is served in it; else ``name``.

    WMTS read those names as Web Mercator, while ``/tiles/{layer}/GoogleMapsCompatible/
    ...`` and ``/tilejson/{layer}.json?tms=GoogleMapsCompatible`` (a URL template written
    for ArcGIS Server or MapProxy) were 404 "not served in tile matrix set"."""
    from tiles.wmts import MATRIX_SET_ALIASES

    aliases = {k.casefold(): v for k, v in MATRIX_SET_ALIASES.items()}
    meant = aliases.get(name.casefold())
    return meant if meant in sets else spelled(name, sets)


OTHER_FORMATS = {
    "jpg": "JPEG", "jpeg": "JPEG", "jpe": "JPEG", "gif": "GIF", "bmp": "BMP", "avif": "AVIF",
    "jxl": "JPEG XL", "pbf": "vector tiles (PBF)", "mvt": "vector tiles (MVT)",
    "geojson": "GeoJSON", "tif": "GeoTIFF", "tiff": "GeoTIFF", "json": "JSON", "png": "PNG",
    "webp": "WebP", "txt": "text", "xml": "XML", "html": "HTML",
}
"""Names of the formats a URL's extension may ask for, for the refusal of one not served."""


def unserved_format(ext: str, served: str) -> str:
    """What a refusal says of a URL asking for the format of file-name extension ``ext``
    where ``served`` (``"PNG or WebP"``) is what the endpoint answers: JPEG (the usual
    ask: tile clients default to it) is refused saying why, as WMS's FORMAT is."""
    what = OTHER_FORMATS.get(ext.lower(), f"'.{ext[:16]}'")
    why = (" (lossy colours no longer match the legend's values, and JPEG has no "
           "transparency)" if what == "JPEG" else "")
    return f"{what}: not served here{why}; this URL serves {served}"


def file_name(segment: str, ext: str, form: str, *, aliases: tuple[str, ...] = (),
              served: str = "") -> str:
    """The layer name of a URL's last path segment ``{layer}.{ext}`` (``probability.png``),
    or a 400 refusal saying the URL's ``form`` (and, for another format's extension, that
    it is not served).

    The extension is matched without case, as are its ``aliases`` (``tiff`` for ``tif``):
    ``probability.PNG`` names the legend as ``probability.png`` does (the handler then
    sends the client to the one URL, :meth:`TileService.respelled`). A layer name holds
    no ``.``, so the last one starts the extension. ``.PNG``, ``.TIF``, ``.tiff`` and
    ``.JSON`` were refused as malformed URLs, ``.jpg`` too, without saying that JPEG is
    not served.
    """
    stem, dot, sent = segment.rpartition(".")
    if dot and stem and sent.lower() in (ext, *aliases):
        return stem
    if dot and stem and served and sent.isascii() and sent.isalnum():
        raise ApiError(400, f"{unserved_format(sent, served)}; {form}")
    raise ApiError(400, form + (f", got {segment[:60]!r}" if segment else ""))


class TileService:
    """State and helpers behind the handlers of :func:`tiles.server.create_app`."""

    def __init__(self, config: ServeConfig, layers: dict[str, Layer], *,
                 config_path: Path | None = None) -> None:
        self.config = config
        self.layers = layers
        self.config_path = config_path
        self.root = public_root(config.public_url)
        """The sub-path a proxy publishes the server under (``/prospect``; ``""``)."""
        keys = load_agency_keys(config_path) if config_path is not None else config.keys
        self.keys = KeyStore(keys, [layer.config for layer in layers.values()])
        self.limiter = RateLimiter()
        self.log = logging.getLogger("prospect.tiles")
        self.access_log = AccessLog(config.access_log)
        self._key_stamp = self._key_files_stamp()
        self._keys_checked = time.monotonic()
        self._reload_requested = False
        self.cache = TileCache(config.cache_mb * 1024 * 1024)
        self._legends: dict[str, bytes] = {}
        self._clamped: dict[str, tuple[bool, bool]] = {}
        self._range_set: set[str] = set()  # layers whose config sets vmin or vmax
        """Per layer, whether its sampled values reach below / above its colour range
        (:meth:`colour_ranges`): its legend labels that end "≤" / "≥"."""
        self._inflight: dict[tuple[Any, ...], asyncio.Future[bytes]] = {}
        self._limiter = anyio.CapacityLimiter(max(4, 2 * (os.cpu_count() or 2)))
        self._map_limiter = anyio.CapacityLimiter(MAP_SLOTS)
        self._blank: dict[tuple[int, str], bytes] = {}
        self._meta: dict[tuple[str, str], LayerMeta] = {}
        self._grid_gaps: dict[tuple[str, str, str], str | None] = {}
        self._config_digest = config_hash(config)[:12]
        self._said: set[str] = set()
        """Keys of the warnings :meth:`say_once` wrote to the server log."""
        self._dates_seen: dict[str, tuple[Any, ...]] = {
            name: layer.source.publish_marker() for name, layer in layers.items()}
        """Per layer, its data's publish marker when its dates were last read and its
        values last checked against its colour range (:meth:`refresh_dates`)."""
        self._tokens_seen: dict[str, str | None] = {
            name: self._data_token(layer) for name, layer in layers.items()}
        """Per layer, its data's version (:attr:`tiles.source.LayerSource.token`) when its
        values were last checked against its colour range: a cube's other variable
        published changes the layer's publish marker, not its token."""
        self._dates_checked = time.monotonic()
        self._dates_gone: dict[str, list[str]] = {}
        """Per layer of one ``date:`` whose date its cube no longer holds (the cube rewritten
        over other dates while served, :meth:`refresh_dates`), the dates it holds now: the
        layer is answered 404 naming them (:meth:`layer_for`) until its date is back."""
        self._unread_said: dict[tuple[str, str], tuple[str, tuple[Any, ...] | None]] = {}
        """Per layer and document, the error and file version last said of its unreadable
        data (:meth:`note_unreadable`)."""
        self._crowded: dict[str, CrowdedDaysError] = {}
        """Per layer of every date (``dates: all``) whose cube now holds several maps on
        some of its days (:meth:`_follow_crowded`): those days are left out of its dates
        and answered 404 naming their maps (:meth:`at_time`), its other dates served."""
        self._missing: dict[str, tuple[tuple[Any, ...], float]] = {}
        """Per cube layer whose variable its cube (which reads) no longer holds, the layer's
        publish marker and the time it was first found so (:meth:`_follow_missing`)."""
        self._removed: dict[str, VariableMissingError] = {}
        """Per cube layer whose variable has stayed missing from its cube for
        :data:`VARIABLE_GONE_S` with nothing of it published: answered 404 saying so
        (:meth:`date_gone`) until the variable is back."""
        self._unread: set[str] = set()
        """Cube layers whose cube did not read at the last look (:meth:`_follow_missing`):
        looked at again at each look, though nothing of them is published meanwhile."""
        self._misfit: dict[str, LayerLayoutError | CrowdedDaysError] = {}
        """Per cube layer whose variable was rewritten while served in another layout than
        the layer reads (one map under ``date:`` or ``dates: all``, maps stacked under a
        layer of one map, several maps on every day of a ``dates: all`` layer,
        :meth:`_follow_layout`), what its cube holds now: the layer is answered 404 saying
        so (:meth:`date_gone`) until the variable is back as it was."""

    def close(self) -> None:
        """Release what the service holds open: its access log's file and every layer's
        (and each of its dates') readers and file handles (:meth:`LayerSource.close`);
        called when the server stops taking requests (the app's lifespan,
        :func:`tiles.testing.live_server`). A request still reading then (its client gone,
        its thread not yet done) keeps its handles until its read ends, which closes
        them. The request threads' handles on a layer's COG stayed open until the
        process ended: a server embedded in a notebook or a test held its files."""
        self.access_log.close()
        sources = {id(s): s for layer in self.layers.values()
                   for s in (layer.source, *layer.times.values())}
        for source in sources.values():
            source.close()

    # -- keys: reload, rate limits, access log --------------------------------------
    def _key_files_stamp(self) -> tuple[Any, ...]:
        files = [self.config_path, self.config.keys_file]
        stamp: list[tuple[Any, ...]] = []
        for path in files:
            if path is None:
                continue
            try:
                st = Path(path).stat()
                stamp.append((str(path), st.st_size, st.st_mtime_ns, st.st_ino))
            except OSError:
                stamp.append((str(path), None))
        return tuple(stamp)

    def request_key_reload(self) -> None:
        """Reload the keys before the next request (the SIGHUP handler calls this)."""
        self._reload_requested = True

    def refresh_keys(self, *, every_s: float = 1.0) -> bool:
        """Reload the keys when asked to or when their files changed (looked at every
        ``every_s`` s). A file that does not validate leaves the old keys in place and is
        reported in the log. Returns True when new keys were loaded."""
        if self.config_path is None:
            return False
        now = time.monotonic()
        if not self._reload_requested and now - self._keys_checked < every_s:
            return False
        self._keys_checked = now
        stamp = self._key_files_stamp()
        if stamp == self._key_stamp and not self._reload_requested:
            return False
        self._reload_requested = False
        self._key_stamp = stamp
        try:
            keys = load_agency_keys(self.config_path)
        except ProspectError as exc:
            self.log.error("keys not reloaded, the old ones stay in force: %s", exc)
            return False
        self.keys = KeyStore(keys, [layer.config for layer in self.layers.values()])
        self.log.warning("agency keys reloaded: %d keys", len(keys))
        return True

    def refresh_dates(self, *, every_s: float = 1.0) -> list[str]:
        """List the dates a layer of every date (``dates: all``) gained while served: its
        cube variable's publish marker (:meth:`tiles.source.LayerSource.publish_marker`, a
        few ``stat`` calls, looked at every ``every_s`` s) changed, its dates are read
        again and each new one added to :attr:`Layer.times` in date order (a date
        backfilled before the latest was listed last: ``2019-06-01,2021-06-01,2020-06-01``
        in the capabilities, TileJSON and the viewer's picker), the latest the default.

        The dates were read at start-up: a date the cube gained (a new scene's composite
        appended by the time series) was listed by no capabilities, TileJSON or ``TIME``
        until a restart ("is not one of its dates"). The colour range stays the one taken
        at start-up (:meth:`colour_ranges`), so every existing date's tiles and maps are
        byte for byte as before (its legend gains a "≥"/"≤" end where a new date passes
        the range, :meth:`_note_past_range`). A date gone from the cube (the cube rewritten
        over fewer dates) is no longer listed and its ``TIME`` is answered as any date the
        layer lacks, a 400 listing those it holds; it stayed listed and answered 503
        "damaged, truncated or being replaced", and the latest's removal made every date,
        TileJSON and legend of the layer that 503 and left it out of the capabilities. A
        cube that no longer reads (mid rewrite, or several maps on a day) keeps the dates
        served and is said in the log. A cube variable rewritten in another layout than its
        layer reads (one map under ``dates: all`` or ``date:``, stacked over dates under a
        layer of one map, several maps on a ``date:``'s day or on every day of a ``dates:
        all`` layer) is answered 404 saying so until it is back (:meth:`_follow_layout`);
        one removed from its cube, 404 once missing :data:`VARIABLE_GONE_S` with nothing
        published (:meth:`_follow_missing`).

        Any layer whose data changed (a COG or cube variable rewritten in place, a time
        layer's dates rewritten) has its values checked against the colour range taken at
        start-up too (:meth:`_note_past_range`: a date gained, its own map; else the
        layer's, of a time layer up to :data:`tiles.metadata.RANGE_DATES_SAMPLED` of its
        dates): values ten times those of start-up were drawn in the end colours unsaid.
        Returns the ``layer date`` pairs added, for the log."""
        now = time.monotonic()
        if now - self._dates_checked < every_s:
            return []
        self._dates_checked = now
        added: list[str] = []
        removed: list[str] = []
        for name, layer in self.layers.items():
            cube = layer.config.cube
            marker = layer.source.publish_marker()
            seen = self._dates_seen.get(name)
            look = (marker != seen or name in self._unread
                    or (name in self._missing and name not in self._removed))
            if cube is not None and look and self._follow_missing(layer, marker):
                self._dates_seen[name] = marker  # removed, or a moment of a publish
                continue
            if marker == seen:
                continue
            if not layer.times or cube is None:  # one map, rewritten while served
                self._dates_seen[name] = marker
                if cube is not None and layer.source.date is not None:
                    self._follow_date(layer)  # its date gone from the cube, or back
                elif cube is not None:
                    self._follow_layout(layer)  # stacked over dates now, or one map again
                if (name not in self._dates_gone and name not in self._misfit
                        and self._data_changed(layer)):
                    self._note_past_range(layer, f"layer {name!r}", [layer.source])
                continue
            variable = layer.config.variable
            try:
                crowded = None
                try:
                    held = cube_dates(cube, variable)
                except CrowdedDaysError as exc:  # its other days served, those 404
                    held = [day for day in exc.dates if day not in exc.days]
                    if not held:  # every day crowded: the whole layer's 404
                        self._crowded.pop(name, None)
                        raise
                    crowded = exc
                days = [day for day in held if day not in layer.times]
                found = {day: cube_source(cube, variable, day) for day in days}
                for source in found.values():
                    _ = source.lonlat_bounds  # a date that does not read is not listed
            except (LayerLayoutError, CrowdedDaysError) as exc:  # one map now, or several
                # maps on its every day: answered 404 until it is back
                self._dates_seen[name] = marker
                self._follow_layout(layer, exc)
                continue
            except Exception as exc:  # mid-rewrite, zarr's own errors too: serve on
                self.say_once(f"dates:{name}:{marker}", (
                    f"layer {name!r}: its cube's dates were not read again, the "
                    f"{len(layer.times)} served stay: "
                    f"{(str(exc).splitlines() or [type(exc).__name__])[0][:300]}"))
                continue
            self._dates_seen[name] = marker
            self._follow_layout(layer, None)  # stacked over dates (again)
            self._follow_crowded(layer, crowded)
            gone = [day for day in layer.times if day not in held
                    and (crowded is None or day not in crowded.days)]
            if list(layer.times) == held:  # its maps rewritten (or a chunk of them)
                if self._data_changed(layer):
                    self._note_past_range(layer, f"layer {name!r} (its dates' maps "
                                          "rewritten)", list(layer.times.values()))
                continue
            self._data_changed(layer)  # the dates gained are sampled below, not the rest
            # in date order, a date gained before the latest (a scene backfilled)
            # among the others, not listed last; one assignment: a request reading the
            # dates now sees them whole
            layer.times = {day: found[day] if day in found else layer.times[day]
                           for day in held}
            layer.source = layer.times[max(layer.times)]
            added += [f"{name} {day}" for day in found]
            if gone:
                removed.append(f"{name} {', '.join(gone)} (its default now "
                               f"{layer.default_date})")
                # the legend's ends over the dates held now: a ">=" gained by a date
                # removed since stayed until a restart (said at start-up or when gained)
                self._note_past_range(layer, f"layer {name!r}", list(layer.times.values()),
                                      note=False)
            for day, source in found.items():
                self._note_past_range(layer, f"layer {name!r} {day}", [source], whole=False)
        if added:
            self.log.warning("new dates served: %s", ", ".join(added))
        if removed:
            self.log.warning("dates gone from the cube, no longer served: %s",
                             "; ".join(removed))
        return added

    def _follow_missing(self, layer: Layer, marker: tuple[Any, ...]) -> bool:
        """Record whether the cube of ``layer`` (its publish marker ``marker``) lacks the
        layer's variable, saying in the log when it is taken as removed and when it is
        back; returns whether it lacks it now (its dates and layout are then not read).

        A variable removed from its cube while served (the cube written again without it,
        its folder deleted) answered every request with the 503 "damaged, truncated or
        being replaced; try again later" until a restart, though no retry could help. A
        variable missing for a moment (a publish swapping its folder) cannot be told from
        one removed but by time: missing with nothing of the layer published for
        :data:`VARIABLE_GONE_S`, it is the 404 of :meth:`date_gone` naming the variables
        the cube holds and the fix, said once in the log (before: the 503, as a moment of a
        publish). A cube that does not read now (mid rewrite) changes nothing, and is
        looked at again at the next look (:attr:`_unread`): a cube left without
        consolidated metadata reads its arrays' own once its files are still
        (:func:`tiles.source.cube_variable_missing`), with nothing published since."""
        name = layer.name
        try:
            missing = cube_variable_missing(Path(str(layer.config.cube)),
                                            str(layer.config.variable))
        except Exception:  # mid rewrite or removed: answered at its requests as before
            self._unread.add(name)
            return name in self._removed
        self._unread.discard(name)
        if missing is None:
            self._missing.pop(name, None)
            if self._removed.pop(name, None) is not None:
                self.log.warning("layer %r: its variable %r is back in its cube, served "
                                 "again", name, layer.config.variable)
            return False
        now = time.monotonic()
        first = self._missing.get(name)
        if first is None or first[0] != marker:  # something of it published: look again
            first = self._missing[name] = (marker, now)
        if name in self._removed:
            self._removed[name] = missing
        elif now - first[1] >= VARIABLE_GONE_S:
            self._removed[name] = missing
            self.log.warning(
                "layer %r: its cube %s no longer holds its variable %r (it holds %s): "
                "answered 404 until it is back; write the variable again (rerun the stage "
                "that made it), or fix variable: (or remove the layer) in the serve config "
                "and restart the server", name, layer.config.cube, layer.config.variable,
                ", ".join(missing.held) or "none")
        return True

    def _removed_refusal(self, layer: Layer) -> ApiError | None:
        """The 404 of ``layer`` while its cube no longer holds its variable
        (:meth:`_follow_missing`); ``None`` otherwise."""
        found = self._removed.get(layer.name)
        if found is None:
            return None
        held = ", ".join(map(repr, found.held[:12])) + (", ..." if len(found.held) > 12
                                                         else "")
        return ApiError(404, (
            f"layer {layer.name!r} is variable {layer.config.variable!r} of its cube, and "
            f"its cube no longer holds it (it holds {held or 'none'}): the server's "
            "operator should write the variable again (rerun the stage that made it), or "
            "fix variable: (or remove the layer) in the serve config and restart the "
            f"server; {self.list_hint}"), {"Cache-Control": "no-store"})

    def _follow_crowded(self, layer: Layer, found: CrowdedDaysError | None) -> None:
        """Record the days of ``layer``, a layer of every date, its cube now holds several
        maps of (``found``; ``None`` where none), saying in the log when they change.

        A day gaining a second scene while served (another tool's cube) kept the layer's
        dates as read before, and that day's every request (its default, the whole layer's
        TileJSON, legend and capabilities, where it was the latest) was the 503 "damaged,
        truncated or being replaced; try again later" with an error line each. Those days
        are now left out of its dates (the latest other its default) and answered 404
        naming their maps and the fix (:meth:`at_time`), until the cube holds one map a
        day again; its other dates are served as before."""
        name = layer.name
        before = self._crowded.get(name)
        if found is None:
            if self._crowded.pop(name, None) is not None:
                self.log.warning("layer %r: its cube holds one map a day again, every date "
                                 "served", name)
            return
        self._crowded[name] = found
        if before is None or before.days != found.days:
            days = "; ".join(f"{day} {times}" for day, times in list(found.days.items())[:6])
            self.log.warning(
                "layer %r: its cube %s now holds several maps on %d of its days (%s): "
                "left out of its dates and answered 404 until it holds one map a day; its "
                "other dates are served; write one map per day along its %r axis (xarray: "
                ".resample(%s='1D').median()) and publish the cube again", name,
                layer.config.cube, len(found.days), days, found.axis, found.axis)

    def _crowded_days(self, layer: Layer, days: tuple[dt.date, dt.date] | None
                      ) -> list[str]:
        """The days of ``layer``'s cube of several maps (:meth:`_follow_crowded`, left
        out of its dates) that a ``TIME`` (``days``, :func:`_asked_days`) holds.

        A month or range holding such a day and one served day was answered the served
        day's map, and one holding it beside several served days the 400 naming those
        alone, without a word of the day the cube holds and the layer does not serve; it
        is a day of the cube all the same, so the value holds several (:meth:`at_time`)."""
        found = self._crowded.get(layer.name)
        if found is None or days is None:
            return []
        return [day for day in found.days
                if days[0].isoformat() <= day <= days[1].isoformat()]

    def _crowded_words(self, layer: Layer, hit: list[str]) -> str:
        """Why the days ``hit`` (:meth:`_crowded_days`) of ``layer`` are not served, in
        words."""
        found = self._crowded[layer.name]
        if len(hit) == 1:
            return (f"{hit[0]} is not served: its cube now holds "
                    f"{layer.config.variable!r} with several maps dated {hit[0]} "
                    f"({found.days[hit[0]]}), and a layer serves one map a day")
        return (f"{shown_dates(hit)} are not served: its cube now holds "
                f"{layer.config.variable!r} with several maps on each "
                f"({hit[0]} {found.days[hit[0]]}), and a layer serves one map a day")

    def _crowded_refusal(self, layer: Layer, days: tuple[dt.date, dt.date] | None,
                         param: str, code: str) -> ApiError | None:
        """The 404 of a ``TIME`` (``days``, :func:`_asked_days`) naming only days that
        ``layer``'s cube holds several maps of (:meth:`_follow_crowded`); else ``None``."""
        hit = self._crowded_days(layer, days)
        if not hit:
            return None
        found = self._crowded[layer.name]
        day = hit[0]
        return ApiError(404, (
            f"layer {layer.name!r} cannot serve its map of {day}: its cube now holds "
            f"{layer.config.variable!r} with several maps dated {day} ({found.days[day]}), "
            f"and a layer serves one map a day: ask another of its dates "
            f"({shown_dates(list(layer.times), 24)}) or leave {param} out for "
            f"{layer.default_date}; the server's operator should write one map per day "
            f"along its {found.axis!r} axis (xarray: .resample({found.axis}='1D').median()) "
            "and publish the cube again"), {"Cache-Control": "no-store"},
            code=code, locator=param)

    def _follow_date(self, layer: Layer) -> None:
        """Record whether the cube of ``layer``, a layer of one ``date:``, still holds its
        date (:attr:`_dates_gone`), saying in the log when it is gone and when it is back.

        A layer of one date whose date was removed from the cube while served (the time
        series rewritten over other dates) answered every request with the 503 "damaged,
        truncated or being replaced; try again later" and an error line in the log per
        request, until a restart, where nothing was damaged and trying again could not help;
        it is now the 404 of :meth:`layer_for`, naming the dates held. A cube that does not
        read now (mid rewrite) changes nothing: its requests answer as they did."""
        name, date = layer.name, str(layer.source.date)
        try:
            held = cube_dates(Path(str(layer.config.cube)), str(layer.config.variable))
        except LayerLayoutError as exc:  # one map now: no date to have or lack
            self._follow_layout(layer, exc)
            return
        except Exception:  # mid rewrite, or several maps on a day: its own read below
            self._follow_layout(layer)
            return
        self._follow_layout(layer, None)
        if date in held:
            if self._dates_gone.pop(name, None) is not None:
                self.log.warning("layer %r: its date %s is back in its cube, served again",
                                 name, date)
            return
        if name not in self._dates_gone:
            self.log.warning(
                "layer %r: its date %s is gone from its cube %s (its dates now: %s): "
                "answered 404 naming them until it is back; give one of those as date: in "
                "the serve config and restart the server (or serve every date with dates: "
                "all)", name, date, layer.config.cube, shown_dates(held))
        self._dates_gone[name] = held

    _UNREAD = object()
    """:meth:`_follow_layout`'s ``found`` when not given: the variable is read there."""

    def _follow_layout(self, layer: Layer, found: Any = _UNREAD) -> None:
        """Record whether the cube variable of ``layer`` is still laid out as the layer
        reads it (:attr:`_misfit`), saying in the log when it no longer is and when it is
        again. ``found``: the :class:`~tiles.source.LayerLayoutError` its dates' reading
        raised, or ``None`` where they read; not given, the layer's map is opened here.

        A variable rewritten while served as one map (its time axis gone) under a layer of
        ``dates: all`` or ``date:``, stacked over dates under a layer of one map, or with
        several maps (times of day) on the day of a layer's ``date:``, answered every
        request with the 503 "damaged, truncated or being replaced; try again later" and
        an error line in the log per request, until a restart, where nothing was damaged
        and no retry could help; it is now the 404 of :meth:`date_gone` naming what the
        cube holds and the fix, said once in the log. So is a layer of every date whose
        every day now holds several maps (a :class:`~tiles.source.CrowdedDaysError` with
        no day left to serve, where :meth:`_follow_crowded` serves the days of one map):
        its dates stayed those read before and every request was that 503. A variable that
        does not read now (mid rewrite, removed) changes nothing: its requests answer as
        they did."""
        if found is self._UNREAD:
            found = None
            try:  # a fresh source: the layer's own keeps its reads of the old version
                _ = cube_source(Path(str(layer.config.cube)), str(layer.config.variable),
                                layer.source.date).crs
            except LayerLayoutError as exc:
                found = exc
            except Exception:  # mid rewrite or removed: answered at its requests
                return
        name = layer.name
        if found is None:
            before = self._misfit.pop(name, None)
            if isinstance(before, CrowdedDaysError):
                self.log.warning("layer %r: its cube's variable %r holds days of one map "
                                 "again, those served", name, layer.config.variable)
            elif before is not None:
                self.log.warning("layer %r: its cube's variable %r is laid out as the layer "
                                 "reads it again, served again", name, layer.config.variable)
            return
        before = self._misfit.get(name)
        if before is None or type(before) is not type(found) or (
                isinstance(found, CrowdedDaysError) and isinstance(before, CrowdedDaysError)
                and before.days != found.days):
            serves, holds, fix = self._misfit_words(layer, found)
            until = ("one of its days holds one map" if isinstance(found, CrowdedDaysError)
                     else "the variable is back as it was")
            self.log.warning(
                "layer %r %s, and its cube %s now holds it %s: answered 404 until %s; %s",
                name, serves, layer.config.cube, holds, until, fix)
        self._misfit[name] = found

    @staticmethod
    def _misfit_words(layer: Layer, found: LayerLayoutError | CrowdedDaysError
                      ) -> tuple[str, str, str]:
        """What ``layer`` serves, what its cube holds now (``found``) and the fix (to
        follow "the operator should", or alone in the log), in words."""
        variable = layer.config.variable
        restart = "in the serve config and restart the server"
        if isinstance(found, CrowdedDaysError):  # several maps on its every day
            days = "; ".join(f"{day} {times}" for day, times in list(found.days.items())[:6])
            more = "; ..." if len(found.days) > 6 else ""
            each = ("on its one day" if len(found.days) == 1
                    else f"on each of its {len(found.days)} days")
            return (f"serves every date of {variable!r}, one map a day",
                    f"with several maps {each} ({days}{more})",
                    f"write one map per day along its {found.axis!r} axis (xarray: "
                    f".resample({found.axis}='1D').median()) and publish the cube again")
        if found.day is not None:  # several maps on its day: the cube's to mend
            return (f"is the map of {found.day} of {variable!r}",
                    f"with {len(found.maps)} maps dated {found.day} ({found.times})",
                    f"write one map per day along its {found.axis!r} axis (xarray: "
                    f".resample({found.axis}='1D').median()) and publish the cube again, or "
                    f"give another date: {restart}")
        if layer.times:
            serves = f"serves every date of {variable!r}"
            fix = f"remove dates: from the layer {restart}"
        elif layer.source.date is not None:
            serves = f"is the map of {layer.source.date} of {variable!r}"
            fix = f"remove date: from the layer {restart}"
        else:
            serves = f"is one map of {variable!r}"
            fix = f"give date: (one of those) or dates: all {restart}"
        if found.axis is None:
            holds = "as one map (no time axis)"
        else:
            what = "dates" if found.axis == "time" else f"steps of {found.axis!r}"
            holds = (f"as {len(found.maps)} maps along {found.axis!r} ({what}: "
                     f"{shown_dates(found.maps, 6)})")
        return serves, holds, fix

    def _misfit_refusal(self, layer: Layer) -> ApiError | None:
        """The 404 of ``layer`` while its cube variable is laid out otherwise than the
        layer reads it (:meth:`_follow_layout`); ``None`` otherwise."""
        found = self._misfit.get(layer.name)
        if found is None:
            return None
        serves, holds, fix = self._misfit_words(layer, found)
        return ApiError(404, (
            f"layer {layer.name!r} {serves}, and its cube now holds "
            f"{layer.config.variable!r} {holds}: the server's operator should {fix}; "
            f"{self.list_hint}"), {"Cache-Control": "no-store"})

    def date_gone(self, layer: Layer) -> ApiError | None:
        """The 404 of ``layer``, a layer of one ``date:``, while its cube no longer holds
        its date (:meth:`_follow_date`): the dates held and the nearest, and who fixes
        it; or of a cube layer whose variable is laid out otherwise than it reads
        (:meth:`_misfit_refusal`) or is no longer in its cube (:meth:`_removed_refusal`);
        ``None`` for any other layer."""
        misfit = self._removed_refusal(layer) or self._misfit_refusal(layer)
        if misfit is not None:
            return misfit
        held = self._dates_gone.get(layer.name)
        if held is None:
            return None
        date = str(layer.source.date)
        nearest = ""
        if held:
            day = _calendar_day(date)
            nearest = f", the nearest {_nearest(held, (day, day))}"
        return ApiError(404, (
            f"layer {layer.name!r} is the map of {date}, and its cube no longer holds that "
            f"date (it holds {shown_dates(held) or 'none'}{nearest}): the server's "
            f"operator gives one of those as date: in the serve config; {self.list_hint}"),
            {"Cache-Control": "no-store"})

    def servable(self, layers: list[Layer]) -> list[Layer]:
        """``layers`` less those of one ``date:`` their cube no longer holds and those
        whose cube variable is laid out otherwise than they read or removed from the cube
        (:meth:`date_gone`): left out of the capabilities and the viewer, the log said so
        once."""
        return [layer for layer in layers if layer.name not in self._dates_gone
                and layer.name not in self._misfit and layer.name not in self._removed]

    @staticmethod
    def _data_token(layer: Layer) -> str | None:
        """``layer``'s data version (:attr:`tiles.source.LayerSource.token`), ``None``
        where its files do not read now."""
        try:
            return layer.source.token
        except Exception:  # damaged or being replaced: answered so at its requests
            return None

    def _data_changed(self, layer: Layer) -> bool:
        """Whether ``layer``'s data version changed since :meth:`refresh_dates` last
        looked (recorded now): its values are then sampled again, once a change, not at
        each publish of the cube's other variables (a sample of a cube variable decodes
        its every chunk, in the request's path)."""
        token = self._data_token(layer)
        changed = token is not None and token != self._tokens_seen.get(layer.name)
        self._tokens_seen[layer.name] = token
        return changed

    def _note_past_range(self, layer: Layer, said: str, sources: list[LayerSource], *,
                         whole: bool = True, note: bool = True) -> None:
        """Say in the log where the maps of ``sources`` (``said``: the layer and date the
        line names), a date added or data rewritten while served (:meth:`refresh_dates`),
        have values past the colour range taken at start-up: they are drawn in the range's
        end colours until a restart takes the range again, and that was said nowhere (a
        series' new scene of higher values looked like the old ones' top). A class map, or
        a layer whose config sets ``vmin``/``vmax``, is drawn as configured: no note. Of
        more than :data:`tiles.metadata.RANGE_DATES_SAMPLED` maps, that many spread over
        them are sampled; a cube variable over :data:`RANGE_CHECK_CUBE_CELLS` is not, as
        at start-up.

        The layer's legend then labels the end passed "≥" (or "≤"), as a start-up over
        that date does (:meth:`colour_ranges`' ``clamped_ends``): it kept the start-up's
        plain ends, its top reading 9 where the new date's 40 is drawn (a layer whose
        config sets the range too). Its cached legends are drawn again; tiles and maps are
        as before.

        With ``whole``, ``sources`` are every map the layer holds now (its map rewritten, a
        time layer's maps rewritten or a date removed) and the ends are theirs: an end
        once gained stayed until a restart though the data came back inside the range or
        the date past it was removed. Else (a date gained) an end is added, never dropped.
        ``note`` off: the legend only, nothing said (a date removed)."""
        if layer.name not in self._clamped:  # a class map, or a layer not sampled
            return
        read = []
        for source in spread_over(sources):
            try:
                if source.variable is not None and source.cells > RANGE_CHECK_CUBE_CELLS:
                    continue  # no overviews: its sample would decode every chunk
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    read.append(np.ravel(value_sample(source).values))
            except Exception:  # an unreadable map answers as such at its requests
                continue
        values = np.concatenate(read) if read else np.empty(0)
        values = values[np.isfinite(values)]
        vmin, vmax = layer.config.vmin, layer.config.vmax
        if not values.size or vmin is None or vmax is None:
            return
        low, high = float(values.min()), float(values.max())
        below, above = self._clamped[layer.name]
        past = clamped_ends(values, vmin, vmax)
        ends = past if whole else (below or past[0], above or past[1])
        if ends != (below, above):
            self._clamped[layer.name] = ends
            self._forget_legends(layer.name)
        if not note or (vmin <= low and high <= vmax):
            return
        if layer.name in self._range_set:  # drawn as its config says: no note
            return
        self.log.warning(
            "%s: values %g to %g, past the colour range %g to %g taken at start-up: drawn "
            "in the range's end colours; restart the server to take the range %s, or set "
            "vmin and vmax in the layer", said, low, high, vmin, vmax,
            "over every date again" if layer.times else "again")

    def check_rate(self, request: Request) -> None:
        """429 with Retry-After when the caller's key is over its rate limit."""
        key = self.key_of(request)
        if not key:
            return
        entry = self.keys.entry(key)
        if entry is None or entry.requests_per_minute is None:
            return
        wait = self.limiter.take(hash_key(key), entry.requests_per_minute)
        if wait > 0:
            raise ApiError(429, f"rate limit of {entry.requests_per_minute} requests per minute "
                                "for this key reached; retry later",
                           headers={"Retry-After": retry_after(wait)})

    def log_access(self, request: Request, status: int, nbytes: int, seconds: float) -> None:
        """One JSON line per request: time, agency, layer, z/x/y, status, bytes, ms.

        Never the key: the query string is not logged, the agency stands for the key. The
        path is the one the client sent (:func:`tiles.http.sent_path`: under a proxy's
        sub-path, with it), as the edge's lines have it.
        """
        key = self.key_of(request)
        entry = self.keys.entry(key) if key else None
        self.access_log.write({
            "time": self.access_log.now(),
            "agency": entry.agency if entry is not None else (None if not key else "unknown"),
            "method": request.method, "path": sent_path(request.scope)[:200],
            **self._logged_tile(request),
            "status": status, "bytes": nbytes, "ms": round(seconds * 1000, 2),
        })

    @staticmethod
    def _logged_tile(request: Request) -> dict[str, str | None]:
        """The access log's ``layer``, ``z``, ``x`` (column) and ``y`` (row) of
        ``request``, as sent (cut to 100 characters).

        A WMTS tile names its row before its column (``.../{z}/{row}/{col}.png``, KVP
        ``TILEROW``/``TILECOL``): the REST tile's column was logged as ``y`` and its row
        not at all, and a KVP ``GetTile`` (GDAL's and QGIS's) logged no layer or tile: an
        agency's use counted from the log missed or misplaced every WMTS tile."""
        p = request.path_params
        tail = p["tail"].split(".")[0].split("@")[0] if "tail" in p else None
        found: dict[str, str | None] = {
            "layer": p.get("layer") or (p.get("name", "").rsplit(".", 1)[0] or None),
            "z": p.get("z"), "x": p.get("x"), "y": tail}
        if "row" in p:  # WMTS REST: {z}/{row}/{col}
            found.update(x=tail, y=p["row"])
        elif request.scope["path"].endswith(("/wmts", "/wms")):  # KVP: names without case
            q = {k.upper(): v[:100] for k, v in request.query_params.multi_items()}
            found["layer"] = q.get("LAYER") or q.get("LAYERS") or None
            if q.get("REQUEST", "").lower() == "gettile":
                found.update(z=q.get("TILEMATRIX"), x=q.get("TILECOL"), y=q.get("TILEROW"))
        return {k: v[:100] if v is not None else None for k, v in found.items()}

    # -- what a layer is -----------------------------------------------------------
    def matrix_sets(self, layer: Layer) -> list[str]:
        """Tile matrix sets ``layer`` is served in: Web Mercator first, then the configured
        ones, or else the national grid of the layer's own CRS.

        A configured grid that does not cover the layer (see :meth:`grid_gap`: a polar
        or national grid elsewhere on the Earth) is left out for that layer, so no document
        advertises it and its tiles are 404; :meth:`grid_warnings` says so at start-up.
        """
        extra = self.config.tile_matrix_sets
        if extra is None:
            national = tms_for_crs(layer.source.crs)
            extra = [national] if national else []
        return list(dict.fromkeys(
            [DEFAULT_TMS, *(name for name in extra if self.grid_gap(layer, name) is None)]))

    def grid_gap(self, layer: Layer, name: str) -> str | None:
        """Why tile matrix set ``name`` cannot serve ``layer`` (``None`` when it can).

        The grid must overlap the layer's extent in lon/lat within its CRS's area of use
        (the extent of a grid's tiles says little: a polar stereographic grid's square
        reaches 33 degrees past the equator) and, in the grid's CRS, its tile extent.
        Memoised per data version.
        """
        if name == DEFAULT_TMS:
            return None
        key = (layer.name, layer.source.token, name)
        if key not in self._grid_gaps:
            self._grid_gaps[key] = grid_gap(layer.source, tile_matrix_set(name))
        return self._grid_gaps[key]

    def grid_warnings(self) -> list[str]:
        """One line per configured tile matrix set that leaves out a layer it does not cover,
        per layer wholly beyond Web Mercator's latitudes (:func:`tiles.grids.
        beyond_web_mercator`), whose XYZ tiles and viewer are blank: it was offered at
        zoom 2 without a word, where the tiles stage refuses it saying why; and per class
        map whose COG's overviews average its codes (:func:`tiles.metadata.
        blended_overview_warning`) or whose classes outnumber a tile's colours
        (:func:`tiles.metadata.many_classes_warning`), and per layer whose configured
        units are not its data's (:func:`tiles.metadata.units_warning`)."""
        found = []
        for layer in self.layers.values():
            try:
                bounds = layer.source.lonlat_bounds
                blended = blended_overview_warning(layer.name, layer.source,
                                                   self.classes(layer))
                mislabel = units_warning(layer.name, layer.config.units, layer.source.tags,
                                         where="the serve config's layer")
            except LayerDataError:  # an unreadable layer is left to its own requests
                continue
            if blended:  # a class map whose overviews average its codes
                found.append(blended)
            many = many_classes_warning(layer.name, self.classes(layer))
            if many:  # more classes than a palette's colours
                found.append(many)
            if mislabel:  # a legend of another unit than the data's
                found.append(mislabel)
            if beyond_web_mercator(bounds):
                found.append(
                    f"layer {layer.name!r} lies at latitudes {bounds[1]:.4f} to "
                    f"{bounds[3]:.4f}, beyond the +-{WEB_MERCATOR_MAX_LAT:.4f} degrees where "
                    "Web Mercator (XYZ tiles, TileJSON, the viewer) ends: its XYZ tiles are "
                    "blank; read it through WMS in EPSG:4326 or CRS:84 (or list "
                    "WorldCRS84Quad in tile_matrix_sets for WMTS)")
        for name in self.config.tile_matrix_sets or []:
            for layer in self.layers.values():
                try:
                    gap = self.grid_gap(layer, name)
                except LayerDataError:  # an unreadable layer is left to its own requests
                    continue
                if gap is not None:
                    found.append(f"tile matrix set {name!r} {gap} of layer {layer.name!r}: "
                                 "the layer is not offered in it (remove the grid from "
                                 "tile_matrix_sets, or serve that layer from another config)")
        return found

    def classes(self, layer: Layer) -> dict[int, str] | None:
        """``layer``'s classes when it is a class map (:func:`tiles.metadata.
        layer_classes` of its data's tags), else ``None``."""
        return layer_classes(layer.source.tags)

    def meta(self, layer: Layer) -> LayerMeta:
        """The layer's resolved metadata (recomputed when its data change)."""
        every = bool(layer.times) and self.layers.get(layer.name) is layer
        key = (layer.name, layer.source.token + (":all" if every else ""))
        found = self._meta.get(key)
        if found is None:
            cfg = self.config
            found = layer_meta(
                layer.config, layer.source, attribution=cfg.attribution, licence=cfg.licence,
                zoom_limits=(cfg.min_zoom, cfg.max_zoom), matrix_sets=self.matrix_sets(layer),
            )
            date = layer.source.date
            if every and date is not None:  # of every date: titled as none of them
                title = _undated_title(found.title, date, len(layer.times))
                # a description taken from the title (none given) is its title too
                about = (title + found.description.removeprefix(found.title)
                         if found.description.startswith(found.title) else found.description)
                found = replace(found, title=title, description=about)
            elif date is not None and date not in found.title and self._title_shared(layer):
                found = replace(found, title=f"{found.title.rstrip()} ({date})")
            self._meta[key] = found
        return found

    def _title_shared(self, layer: Layer) -> bool:
        """Whether the ``title:`` set on ``layer`` (a layer of one date) is another
        layer's too (compared without case or surrounding spaces): each date of a variable
        given one ``title: NDVI`` (the layers' config copied, the name and date changed)
        was listed as "NDVI" twice in the viewer's layer switcher, both capabilities and
        ``/layers``, the dates told apart nowhere; such a title is followed by the layer's
        date, as one left out is (:func:`tiles.metadata.layer_meta`)."""
        own = (layer.config.title or "").strip().casefold()
        return bool(own) and any(
            (other.config.title or "").strip().casefold() == own
            for other in self.layers.values() if other.name != layer.name)

    def colour_ranges(self, where: str) -> list[tuple[bool, str]]:
        """Check each layer's colour range against its value sample; ``where`` names the
        config to fix. Returns ``(is_warning, line)`` pairs.

        A layer whose config sets neither ``vmin`` nor ``vmax`` and whose default 0-1 range
        would leave most of its data outside takes its data's 2-98 % range from
        :func:`tiles.metadata.colour_layer` on :func:`tiles.metadata.value_sample`: the
        function and the sample the tiles stage takes it from, so served tiles and the
        stage's pyramid and archive are drawn in one colour range (a note says so). A range
        set in the config is kept, with a warning when it misses most of the data
        (:func:`tiles.metadata.range_warning`). A cube variable over
        :data:`RANGE_CHECK_CUBE_CELLS` is not sampled (no overviews: the read would decode
        every chunk): a warning says its colour range was not checked, or that it holds no
        value where it stores no chunk (:meth:`tiles.source.LayerSource.stores_chunks`).
        A class map is coloured over its codes (:func:`tiles.metadata.class_layer`) and
        sampled only to say when it holds no value (:func:`tiles.metadata.
        no_data_warning`), as every other layer is. An unreadable layer is left to its own
        requests. Call before serving: metadata and legends made before keep the old range.
        """
        found: list[tuple[bool, str]] = []
        dated_samples: dict[tuple[Path, str, str], ValueSample] = {}
        for layer in self.layers.values():
            source = layer.source
            try:
                classes = self.classes(layer)
            except Exception:  # an unreadable layer is left to its own requests
                continue
            if classes:  # a class map: nearest, coloured over its codes, named in legends
                layer.config = class_layer(layer.config, classes, layer_colours(source.tags))
                self._forget_legends(layer.name)
            cfg = layer.config
            try:
                if source.variable is not None and source.cells > RANGE_CHECK_CUBE_CELLS:
                    if not source.stores_chunks():  # no value, looked at by its files
                        found.append((True, no_data_warning(cfg.name, source, None)))
                    elif not classes and not {"vmin", "vmax"} & cfg.model_fields_set:
                        found.append((True, (
                            f"layer {cfg.name!r}: its colour range was not checked against "
                            f"its data (a cube variable of {source.cells} cells, too large "
                            "to sample at start-up), so it is drawn at 0 to 1 where the "
                            "tiles stage may stretch it to its data; set vmin and vmax in "
                            f"{where}")))
                    continue
                with warnings.catch_warnings():  # rio-tiler's NoOverviewWarning and the like
                    warnings.simplefilter("ignore")
                    sample = value_sample(source)
            except Exception:
                continue
            values = sample.values
            if not np.isfinite(values).any():  # blank tiles, maps and viewer, said nowhere
                found.append((True, no_data_warning(cfg.name, source, values.shape)))
                continue
            fill = unstated_fill_warning(cfg.name, source, values, then="restart the server")
            if fill:  # -9999 of a grid exported without its nodata value, drawn as values
                found.append((True, fill))
            if classes:  # sampled for the warning above only: coloured over its codes
                continue
            # one date of a variable over dates: the range of all its dates, so a colour
            # means one value on every date's layer (each took its own date's range)
            own = values
            if {"vmin", "vmax"} & cfg.model_fields_set:
                self._range_set.add(layer.name)
            sample, over = self._over_dates(source, sample, dated_samples)
            values = sample.values
            layer.config, stretched = colour_layer(cfg, sample)
            # the legend's "<=" / ">=" ends say whether this layer's own map reaches past
            # them: of the dates' values, a date wholly inside the range was marked too
            self._clamped[layer.name] = clamped_ends(own, layer.config.vmin,
                                                     layer.config.vmax)
            self._forget_legends(layer.name)
            if stretched:
                self._meta = {k: v for k, v in self._meta.items() if k[0] != layer.name}
                self._forget_legends(layer.name)
                found.append((False, (
                    f"layer {cfg.name!r}: colour range {layer.config.vmin:g} to "
                    f"{layer.config.vmax:g} "
                    f"{self.meta(layer).units}".rstrip()
                    + " (" + range_origin(values, layer.config.vmin, layer.config.vmax
                                          ).removeprefix("the ") + over
                    + "; 0 to 1 would leave most of it outside); set "
                    f"vmin and vmax in {where} to choose another")))
                continue
            text = range_warning(cfg.name, values, cfg.vmin, cfg.vmax,
                                 self.meta(layer).units, where=where)
            if text:
                found.append((True, text))
        return found

    def _over_dates(self, source: LayerSource, sample: ValueSample,
                    cache: dict[tuple[Path, str, str], ValueSample]
                    ) -> tuple[ValueSample, str]:
        """The sample a layer of one date (a serve layer's ``date:``) takes its colour
        range from: its variable's values on the cube's dates (each date's
        :func:`tiles.metadata.value_sample`, read once for all the layers of that variable
        in ``cache``), and the words a note adds (`` over its 3 dates, ...``). Each date's
        layer was stretched to its own date's values, so one colour read 9 on one date and
        17 on the next, and a change over the dates could not be seen by comparing them.

        Of a variable of more than :data:`tiles.metadata.RANGE_DATES_SAMPLED` dates, that
        many spread over them and every date served as a layer: the same dates, so the same
        range, for each of its layers, and a start-up that does not read every map of a
        long series (:func:`tiles.metadata.sample_over_dates`, as the tiles stage takes
        it). Any other layer: ``sample`` itself and ``""``."""
        served = [day for la in self.layers.values()
                  if la.source.path == source.path and la.source.variable == source.variable
                  and la.source.date is not None
                  for day in (la.times or [la.source.date])]
        return sample_over_dates(source, sample, cache, served)

    def each_readable(self, layers: list[Layer], describe: Callable[[Layer], Any], *,
                      document: str = "the capabilities") -> list[Any]:
        """``describe(layer)`` for each of ``layers`` whose data can be read now.

        A document about several layers (WMTS and WMS capabilities, the viewer's page:
        ``document`` in the log's words) leaves out a layer whose files are damaged, cut
        short or removed, with one line in the log, so the others stay reachable; only when
        none can be read is the first error raised (a 503). A layer of one ``date:`` its
        cube no longer holds is left out too (:meth:`servable`, said once).
        """
        found, failed = [], []
        for layer in self.servable(layers):  # a date gone from its cube: said once
            try:
                layer.source.check_whole()
                found.append(describe(layer))
            except LayerDataError as exc:
                self.note_unreadable(layer, exc, f"left out of {document}")
                failed.append(exc)
        if failed and not found:
            raise failed[0]
        return found

    def tms_for(self, layer: Layer, name: str) -> Any:
        """The tile matrix set ``name`` if ``layer`` is served in it; else a 404."""
        if name not in self.matrix_sets(layer):
            sets = self.matrix_sets(layer)
            raise ApiError(404, f"layer {layer.name!r} is not served in tile matrix set "
                                f"{name[:40]!r}{case_hint(name, sets)}; it is in "
                                f"{', '.join(sets)}")
        return tile_matrix_set(name)

    # -- who is asking --------------------------------------------------------------
    @staticmethod
    def key_of(request: Request) -> str | None:
        """The API key sent with the request (header first, then ``?key=``).

        The parameter's name is matched without case (``key``, ``KEY``: OGC clients
        upper-case the names of the parameters they pass on, and OGC compares names
        without case); its value is the key, compared exactly. A request naming it twice
        is refused (:func:`tiles.http.refuse_repeated`).

        Looked up once per request (kept in its scope): the rate limit, the access check,
        the cache headers and the access log all ask.
        """
        scope = request.scope
        if _KEY_SLOT not in scope:
            query_key = next((value for name, value in request.query_params.multi_items()
                              if name.lower() == "key"), None)
            scope[_KEY_SLOT] = request.headers.get("x-api-key") or query_key or None
        return scope[_KEY_SLOT]

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

    def public_path(self, path: str) -> str:
        """The path a client writes for the server's own ``path`` (``/layers``, a URL's
        form): under ``public_url``'s path where it has one (:func:`tiles.http.public_path`),
        as every hint of a refusal names it."""
        return public_path(self.root, path)

    @property
    def list_hint(self) -> str:
        """The words a refusal of a layer ends with: ``GET /layers lists the layers``, the
        path under ``public_url``'s (:meth:`public_path`)."""
        return f"GET {self.public_path('/layers')} lists the layers"

    def redirect_url(self, path_and_query: str) -> str:
        """The ``Location`` of a redirect to ``path_and_query`` (``/layers?key=...``) on this
        server: under ``public_url`` when one is configured (a proxy serving the server
        under a path, ``https://maps.example.org/prospect``: a bare ``/layers`` left it),
        else relative, never from the ``Host`` header."""
        if self.config.public_url:
            return self.config.public_url + path_and_query
        return path_and_query

    def readable_spelling(self, request: Request, name: str) -> str:
        """``name``, or the layer it names in another letter case when the caller may read
        that layer (a layer the caller may not read is never found by its spelling: its
        refusal stays the unknown layer's 404). XYZ-style URLs only: WMTS and WMS
        identifiers are compared with case."""
        if name in self.layers:
            return name
        key = self.key_of(request)
        return spelled(name, [n for n in self.layers if self.keys.check(key, n).allowed])

    def respelled(self, request: Request, layer: Layer, sent: str, segment: str,
                  query: dict[str, str] | None = None) -> Response | None:
        """A ``301`` to the same URL with ``segment`` (``probability.json``) where the path
        wrote ``sent`` as its last segment (``Probability.json``, ``probability.JSON``:
        the layer or the extension in another letter case, ``.tiff`` for ``.tif``), and the
        query parameters in ``query`` set to their spelling (``tms=UTM19WGS84Quad``);
        ``None`` when the URL named everything as it is spelled. One URL per resource, as
        tiles with padded coordinates are sent to theirs."""
        items = request.query_params.multi_items()
        fixed = [(k, (query or {}).get(k, v)) for k, v in items]
        if sent == segment and fixed == items:
            return None
        head, _, _ = request.url.path.rpartition("/")
        if fixed == items:  # the query as sent
            text = request.scope.get("query_string", b"").decode("latin-1")
        else:
            text = urlencode(fixed)
        location = f"{head}/{segment}" + (f"?{text}" if text else "")
        return Response(status_code=301, headers={
            "Location": self.redirect_url(location),
            **self.cache_headers(request, public=layer.config.public)})

    def layer_for(self, request: Request, name: str) -> Layer:
        """The configured layer ``name`` if the caller may read it; else an :class:`ApiError`,
        or a :class:`~tiles.source.LayerDataError` (503) when its data are not whole now
        (:meth:`~tiles.source.LayerSource.check_whole`)."""
        key = self.key_of(request)
        if not _NAME.match(name):
            # the name as received (decoded), so a client sees what its URL became
            raise ApiError(400, f"layer names are ASCII letters, digits, '_' and '-' only "
                                f"(at most 64), got {name[:64]!r}"
                                f"{self._name_hint(key, name)}; {self.list_hint}")
        layer = self.layers.get(name)
        if layer is None:
            # a bad key is refused before anything is said about which layers exist
            who = self.keys.identify(key) if key else None
            if who is not None and not who.allowed:
                raise ApiError(who.status, who.message)
            readable = [n for n in self.layers if self.keys.check(key, n).allowed]
            hint = case_hint(name, readable) or self._title_hint(key, name)
            raise ApiError(404, f"unknown layer {name[:64]!r}{hint}; {self.list_hint}")
        decision: Decision = self.keys.check(key, name)
        if decision.access is Access.NO_KEY:  # one sent where other servers read it?
            decision = replace(decision, hint=self.key_elsewhere(request))
        if not decision.allowed:
            raise ApiError(decision.status, decision.message)
        gone = self.date_gone(layer)
        if gone is not None:  # its one date removed from the cube while served
            raise gone
        # a COG being written in place (a job writing onto the served path): its header
        # and overviews are there before its last block, and XYZ tiles, TileJSON and the
        # STAC item were served from it (200) while the capabilities and maps left it out
        # (503). Every request for the layer now finds it whole or is the 503 of a layer
        # that cannot be read (checked once per data version: one block read).
        layer.source.check_whole()
        return layer

    def layer_hint(self, request: Request, name: str) -> str:
        """`` (did you mean 'X'? ...)`` where ``name``, which names no layer, is a layer the
        caller may read written in another case, with a workspace prefix or extension, or
        as its title (what :meth:`layer_for` adds to its refusals); else ``""``. For a
        refusal made before any layer is looked up (a GetFeatureInfo's ``QUERY_LAYERS=Heat
        flow`` not among ``LAYERS=heat``, which said nothing of the layer meant)."""
        if name in self.layers:
            return ""
        key = self.key_of(request)
        readable = [n for n in self.layers if self.keys.check(key, n).allowed]
        return case_hint(name, readable) or self._name_hint(key, name)

    def _name_hint(self, key: str | None, name: str) -> str:
        """`` (did you mean 'X'? ...)`` where ``name``, refused as no layer name, is a layer
        the caller may read written with a GeoServer workspace prefix (``prospect:heat``,
        as clients moved from GeoServer ask), a file extension (``/point/heat.json``) or
        spaces; else ``""``. Such names were refused saying only which characters a name
        has, the layer they meant not named (and only readable layers are named)."""
        cut = name.strip().rsplit(":", 1)[-1].strip()
        for suffix in (".json", ".png", ".webp", ".tif", ".xml"):
            cut = cut.removesuffix(suffix)
        layer = self.layers.get(spelled(cut, list(self.layers)))
        if layer is None or cut == name or not self.keys.check(key, layer.name).allowed:
            return self._title_hint(key, name)
        return (f" (did you mean {layer.name!r}? a layer's name is written alone, without a "
                "workspace prefix, file extension or spaces)")

    def _title_hint(self, key: str | None, name: str) -> str:
        """`` (did you mean 'heat'? 'Heat flow' is that layer's title, ...)`` where ``name``
        is the title of layers the caller may read (the config's ``title``, or the one
        shown: ``/layers``, the capabilities' ``<Title>``, QGIS's and ArcGIS's layer lists,
        with ``(synthetic data)``), in any case and spacing; else ``""``. A layer asked by
        its title (``LAYERS=Heat flow``, ``/tiles/Heat flow/...``, ``LAYER=Heat%20flow``)
        was refused saying only which characters a name has, or as an unknown layer."""
        def folded(text: str) -> str:
            return " ".join(text.split()).casefold()

        wanted = folded(name)
        meant = []
        for layer in self.layers.values():
            if not self.keys.check(key, layer.name).allowed:
                continue
            titles = {layer.config.title or ""}
            try:
                shown = self.meta(layer)
                titles |= {shown.title, shown.label}
            except InputFileError:  # a layer unreadable now: its configured title alone
                pass
            if wanted in {folded(t) for t in titles if t}:
                meant.append(layer.name)
        if not meant:
            return ""
        which = " or ".join(repr(m) for m in meant)
        whose = "that layer's" if len(meant) == 1 else "each one's"
        return f" (did you mean {which}? {name[:64]!r} is {whose} title; a request names a " \
            "layer by its name)"

    def applied_time(self, request: Request, layers: list[Layer], asked: str | None, *,
                     param: str = "TIME", code: str = "InvalidDimensionValue") -> bool:
        """Whether the ``TIME`` value ``asked`` of a WMS or WMTS request (``None``: not
        sent) is applied to ``layers``: each layer of one date (a serve layer's ``date:``)
        declares a ``time`` dimension of that one date in the capabilities, and ``TIME=``
        its date (a day, a time on that day, or a ``start/end`` range holding it) is its
        map, as are its month or year (``2021-06``, ``2021``: ISO 8601's reduced
        precision, WMS 1.3.0 annex D), a range holding them, and the keyword ``default``.
        A time with an offset is read on its day in UTC, the day a layer's date names
        (``2021-06-01T23:00:00-05:00`` is 2021-06-02: it was 2021-06-01's map). Any other
        value is a 400 ``code`` (WMS 1.3.0 annex C: ``InvalidDimensionValue``)
        naming the layer's date and the layers (the caller may read) of the date asked:
        the map of 2021 was served for ``TIME=2020-06-01`` with a ``Warning`` header alone,
        which no map client shows. ``False`` where no layer has a date (the value is
        ignored with a Warning, as before) or ``asked`` is ``None``."""
        dated = [la for la in layers if la.source.date is not None]
        if asked is None or not dated:
            return False
        text = asked.strip()
        if not text or text.lower() == "default":
            # TIME= sent empty, as some clients do, or its keyword 'default' (NASA GIBS's
            # templates, copied into Leaflet and OpenLayers): each layer's date
            return len(dated) == len(layers)
        for layer in dated:
            date = str(layer.source.date)
            if layer.times or _time_holds(text, date):
                continue  # of every date, the map of the date asked (:meth:`at_time`)
            # the layers of the date asked: of one date, or of every date holding it
            others = [(la, day) for la in self.layers.values()
                      if la.source.date is not None and la is not layer
                      for day in (la.times or [str(la.source.date)])
                      if _time_holds(text, day)
                      and la.source.variable == layer.source.variable
                      and la.source.path == layer.source.path
                      and self.keys.check(self.key_of(request), la.name).allowed]
            where = (f"; the map of {others[0][1]} is layer {others[0][0].name!r}"
                     + (f" at {param}={others[0][1]}" if others[0][0].times else "")
                     if others else
                     "; its other dates are served as layers of their own (GetCapabilities "
                     "lists each with its date)")
            what = (f"{param}={text[:40]!r} asks for the newest map, which a layer of one "
                    "date does not declare (its time dimension has no current)"
                    if text.lower() == "current" else _unread_time(param, text)
                    or _missed(param, text))
            raise ApiError(400, f"layer {layer.name!r} is the map of {date}, the one value "
                                f"of its time dimension, and {what}: ask {param}={date} or "
                                f"leave {param} out{where}", code=code, locator=param)
        return len(dated) == len(layers)

    def at_time(self, layers: list[Layer], asked: str | None, *, param: str = "TIME",
                code: str = "InvalidDimensionValue") -> list[Layer]:
        """``layers`` with each layer of every date (a serve layer's ``dates: all``,
        :attr:`Layer.times`) replaced by its map of the date that ``TIME`` value ``asked``
        (``None``: not sent) names: its default, the latest, for none, an empty one,
        ``default`` or ``current`` (WMS 1.3.0 annex C: the most recent); else the one of
        its dates that the day, time, month, year, range or interval asked holds
        (:func:`_asked_days`, read as for a layer of one date). A value holding none of its
        dates is a 400 ``code`` listing them and naming the nearest; one holding several,
        or a list of times, a 400 too: a map is one date (WMS 1.3.0 annex C.4, as
        GeoServer refuses a list on a raster layer). Other layers are returned as they
        are; :meth:`applied_time` then checks the value against the date picked."""
        found = []
        for layer in layers:
            if not layer.times:
                found.append(layer)
                continue
            dates = list(layer.times)
            latest = max(dates)
            text = "" if asked is None else asked.strip()
            if not text or text.lower() in ("default", "current"):
                found.append(layer.at(latest))
                continue
            days = _asked_days(text)
            held = ([] if days is None else
                    [d for d in dates if days[0].isoformat() <= d <= days[1].isoformat()])
            crowded = self._crowded_days(layer, days)
            if len(held) == 1 and not crowded:
                found.append(layer.at(held[0]))
                continue
            refusal = None if held else self._crowded_refusal(layer, days, param, code)
            if refusal is not None:  # a day of several maps: left out of its dates
                raise refusal
            shown = shown_dates(dates, 24)
            if days is None:
                what = str(_unread_time(param, text))
                fix = f"ask one of its dates ({shown}) or leave {param} out for {latest}"
            elif crowded:  # a day of several maps beside served ones: no map of them all
                every = sorted([*held, *crowded])
                what = (f"{param}={text[:40]!r} holds {len(every)} days of its cube "
                        f"({shown_dates(every)}), and a map is one date; "
                        f"{self._crowded_words(layer, crowded)}")
                fix = f"ask one of the days served, e.g. {param}={held[-1]}"
            elif held:
                what = (f"{param}={text[:40]!r} holds {len(held)} of its dates "
                        f"({shown_dates(held)}), and a map is one date")
                fix = f"ask one of them, e.g. {param}={held[-1]}"
            else:
                near = _nearest(dates, days)
                what = _missed(param, text)
                fix = (f"ask one of them ({shown}; the nearest is {near}: {param}={near}) "
                       f"or leave {param} out for {latest}")
            raise ApiError(400, f"layer {layer.name!r} holds the maps of {len(dates)} dates, "
                                f"its time dimension's values, and {what}: {fix}",
                           code=code, locator=param)
        return found

    def query_layer(self, request: Request, layer: Layer) -> Layer:
        """``layer`` at the time asked in the query of a URL outside WMS and WMTS
        (:data:`QUERY_TIMES`, the last given) where it is a layer of every date
        (:meth:`at_time`); any other layer as it is."""
        if not layer.times:
            return layer
        asked = [(k, v) for k, v in request.query_params.multi_items()
                 if k.lower() in QUERY_TIMES]
        key, value = asked[-1] if asked else ("time", None)
        return self.at_time([layer], value, param=key, code="InvalidParameterValue")[0]

    def query_time(self, request: Request, layer: Layer) -> dict[str, str]:
        """Apply a time asked in the query of a URL of ``layer`` outside WMS and WMTS
        (XYZ tiles, ``/point``): ``time=``, ``date=`` or ``datetime=`` (:data:`QUERY_TIMES`,
        as Leaflet's TimeDimension and TiTiler write it), by :meth:`applied_time`'s rule:
        on a layer of one date its date is the layer, another date a 400 naming the layer
        of that date; on a layer of one map the ``Warning`` of
        :func:`tiles.http.ignored_dimensions`. ``/point/x2021?...&time=2020-06-01`` was
        2021's value and ``/tiles/x2021/...png?time=2020-06-01`` 2021's tile, without a
        word. Returns the headers to add (``{}`` where none)."""
        asked = [(k, v) for k, v in request.query_params.multi_items()
                 if k.lower() in QUERY_TIMES]
        if not asked:
            return {}
        if layer.source.date is None:
            return ignored_dimensions([k for k, _ in asked])
        for key, value in asked:
            self.applied_time(request, [layer], value, param=key,
                              code="InvalidParameterValue")
        return {}

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
        media_type: str, extra: Mapping[str, str] | None = None, *, listing: bool = False,
    ) -> Response:
        """A data response through the one conditional-GET path (200 or 304).

        ``listing``: a document listing the layers the caller may read (capabilities,
        ``/layers``); one asked with a key where other servers read it and none here
        (:func:`~tiles.auth.key_sent_elsewhere`) carries a ``Warning`` saying so, not
        stored by shared caches. It listed the public layers alone without a word: a
        QGIS connection set up with a Bearer header showed none of the agency's layers.
        """
        group = layers if isinstance(layers, list) else [layers]
        headers = {**self.cache_headers(request, public=all(la.config.public for la in group)),
                   **(extra or {})}
        if listing:
            hint = self.key_elsewhere(request)
            if hint:
                note = f'299 prospect "only layers needing no key are listed: {hint}"'
                headers["Warning"] = (f"{headers['Warning']}, {note}" if headers.get("Warning")
                                      else note)
                headers["Cache-Control"] = f"private, max-age={self.config.cache_max_age}"
        return conditional_response(request, etag, body, media_type, headers)

    def key_elsewhere(self, request: Request) -> str:
        """Where a request that sent no key here sent one for other servers, and where to
        send it (:func:`~tiles.auth.key_sent_elsewhere`); ``""`` when it sent a key here,
        or none anywhere."""
        if self.key_of(request) is not None:
            return ""
        return key_sent_elsewhere(request.headers, request.query_params.multi_items())

    # -- rendering ------------------------------------------------------------------
    def render_tile(self, layer: Layer, z: int, x: int, y: int, size: int, fmt: str,
                    tms: str = DEFAULT_TMS) -> bytes:
        """Encoded tile bytes (cached)."""
        cache_key = (layer.name, layer.source.token, tms, z, x, y, size, fmt)
        cached = self.cache.get(cache_key)
        if cached is not None:
            return cached
        cfg = layer.config
        data = layer.source.read_tile(x, y, z, tile_size=size, resampling=cfg.resampling,
                                      tms=tile_matrix_set(tms))
        body = self.encode(layer, data, size, fmt)
        self.cache.put(cache_key, body)
        return body

    def encode(self, layer: Layer, data: np.ma.MaskedArray, size: int, fmt: str) -> bytes:
        """Colour and encode values (a blank image when there are none)."""
        cfg = layer.config
        if data.count() == 0 and data.shape == (size, size):
            body = self.blank(size, fmt)
        else:
            index = render_indexed(
                data.filled(np.nan), vmin=cfg.vmin, vmax=cfg.vmax,
                mask=~np.ma.getmaskarray(data), stops=cfg.colour_stops,
            )
            body = encode_indexed(index, cfg.colormap, fmt,  # type: ignore[arg-type]
                                  rgba=self.config.png_rgba,
                                  quality=webp_quality(cfg.resampling),
                                  palette=layer_palette(cfg))
        return body

    async def tile_bytes(self, layer: Layer, z: int, x: int, y: int, size: int, fmt: str,
                         tms: str = DEFAULT_TMS) -> bytes:
        """Tile bytes from the cache, or rendered once in a worker thread.

        Concurrent requests for the same uncached tile wait for one rendering instead of
        each rendering it; at most ``render_threads`` tiles render at a time.
        """
        key = (layer.name, layer.source.token, tms, z, x, y, size, fmt)
        body = self.cache.get(key)
        if body is not None:  # cached tiles never leave the event loop
            return body
        if not self.config.coalesce_requests:
            return await anyio.to_thread.run_sync(
                self.render_tile, layer, z, x, y, size, fmt, tms, limiter=self._limiter)
        pending = self._inflight.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            body = await anyio.to_thread.run_sync(
                self.render_tile, layer, z, x, y, size, fmt, tms, limiter=self._limiter
            )
            future.set_result(body)
            return body
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved here; waiters re-raise it
            raise
        finally:
            del self._inflight[key]

    async def draw(self, draw: Callable[..., T], *args: Any) -> T:
        """``draw(*args)`` in a worker thread, at most :data:`MAP_SLOTS` at once (a WMS
        map's reading, warping and encoding: its memory grows with its pixels)."""
        return await anyio.to_thread.run_sync(draw, *args, limiter=self._map_limiter)

    def blank(self, size: int, fmt: str) -> bytes:
        """A fully transparent tile."""
        if (size, fmt) not in self._blank:
            self._blank[(size, fmt)] = encode_image(
                np.zeros((size, size, 4), dtype=np.uint8), fmt  # type: ignore[arg-type]
            )
        return self._blank[(size, fmt)]

    def legend_size(self, layer: Layer) -> tuple[int, int]:
        """Width and height of ``layer``'s default legend (the one every LegendURL names):
        :data:`tiles.legend.LEGEND_SIZE`, or for a class map as tall as its classes need
        (:func:`tiles.legend.class_legend_height`)."""
        classes = self.classes(layer)
        if not classes:
            return LEGEND_SIZE
        meta = self.meta(layer)  # a title wider than the legend is wrapped: taller
        return LEGEND_SIZE[0], class_legend_height(
            len(classes), LEGEND_SIZE[0], legend_title(layer.config, meta.label, meta.units))

    def note_unreadable(self, layer: Layer, exc: LayerDataError, done: str) -> None:
        """Write ``exc``, why ``layer``'s data cannot be read now, to the server log as an
        error, with ``done`` (what became of the layer: ``left out of the viewer's
        page``), once per document and version of its files (:meth:`tiles.source.
        LayerSource.publish_marker`): said again when its files change.

        The capabilities, the viewer's page and ``/layers`` wrote the line at each
        request while the layer was damaged (a viewer opened a minute: a line a second),
        where nothing had changed since the first."""
        state = (str(exc), layer.source.publish_marker())
        if self._unread_said.get((layer.name, done)) != state:
            self._unread_said[(layer.name, done)] = state
            self.log.error("%s (%s)", exc, done)

    def note_unread_request(self, exc: BaseException, name: str | None) -> None:
        """Write ``exc``, why a request's layer (``name`` as the request gave it, or the
        layer whose file ``exc`` names: a WMS map of several) cannot be read, to the log
        once per version of its files (:meth:`note_unreadable`), not at every request.

        A damaged layer's own tiles, TileJSON, legends and maps wrote the line at each
        request (a map open on it: a line a tile, dozens a second), where nothing had
        changed since the first; a request of no known layer is said once per text."""
        text = str(exc)
        layer = self.layers.get(name or "")
        if layer is None:
            layer = next((la for la in self.layers.values()
                          if str(la.source.path) in text), None)
        done = "its requests answered 503 until it can be read; said again when it changes"
        if layer is not None and isinstance(exc, LayerDataError):
            self.note_unreadable(layer, exc, done)
        elif self._unread_said.get(("", text)) is None:
            self._unread_said[("", text)] = (text, None)
            self.log.error("%s (%s)", exc, done)

    def say_once(self, key: str, text: str) -> None:
        """Write warning ``text`` to the server log, the first time ``key`` is said only (a
        client's setting seen in its every request: one line, not one per tile)."""
        if key not in self._said:
            self._said.add(key)
            self.log.warning(text)

    def _forget_legends(self, name: str) -> None:
        """Drop layer ``name``'s cached legends, at every scale."""
        for key in (name, f"{name}@2x"):
            self._legends.pop(key, None)

    def legend(self, layer: Layer, size: tuple[int, int] | None = None, scale: int = 1
               ) -> bytes:
        """Legend PNG of ``layer``, ``size`` (width, height) pixels at ``scale`` (1, or 2:
        ``/legend/{layer}@2x.png``, twice the pixels of the same legend). ``None`` is the
        default size (the one every LegendURL names, :meth:`legend_size`: a class map's as
        tall as its classes), rendered once at each scale; another (a GetLegendGraphic's
        WIDTH and HEIGHT) is drawn at exactly that size each time it is asked: a cache of
        every size a client names would grow without bound."""
        def render() -> bytes:
            return legend_png(layer.config, title=self.meta(layer).label,
                              units=self.meta(layer).units,
                              width=LEGEND_SIZE[0] if size is None else size[0],
                              # the default size: a class map's legend as tall as its classes
                              height=None if size is None else size[1],
                              clamped=self._clamped.get(layer.name, (False, False)),
                              classes=self.classes(layer), scale=scale)

        if size is not None:
            return render()
        cached = layer.name if scale == 1 else f"{layer.name}@{scale}x"
        if cached not in self._legends:
            self._legends[cached] = render()
        return self._legends[cached]
