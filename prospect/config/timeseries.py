"""Time-series config: per-date cube variables stacked into variables with a time axis."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from typing import Any

from pydantic import Field, field_validator

from prospect.config._base import PlainName, StrictModel, repeated

__all__ = ["DateBands", "TimeSeriesConfig", "calendar_date"]


class DateBands(StrictModel):
    """One date: the cube variables (one per common band name) holding that date's scene."""

    date: dt.date
    bands: dict[PlainName, PlainName] = Field(min_length=1)

    @field_validator("date", mode="before")
    @classmethod
    def _calendar_date(cls, value: Any) -> Any:
        return calendar_date(value)

    @field_validator("date")
    @classmethod
    def _taken(cls, value: dt.date) -> dt.date:
        return taken(value)


def calendar_date(value: Any) -> Any:
    """A scene's date as YAML writes one, ``YYYY-MM-DD``, and nothing pydantic reads
    otherwise (a ``mode="before"`` validator's body; ``ValueError`` naming the form).

    pydantic takes a number as seconds since 1970: ``date: 2014`` (a year) was
    1970-01-01 and ``date: 20140419`` "should have zero time", without a word on the
    form; ``19/04/2014`` was "invalid character in year". A date and time is refused
    with the scene's date in UTC, the day its product names and STAC items date it
    by: ``2021-03-01T23:30:00-05:00`` was told to be given as 2021-03-01 (the day of
    its offset), a day before its files' 2021-03-02; quoted, it was "no YYYY-MM-DD
    date" without the date to give.
    """
    if isinstance(value, str) and re.match(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}",
                                           value.strip()):
        with contextlib.suppress(ValueError):  # else refused below, as no date
            value = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    if isinstance(value, dt.datetime):
        if value.time() != dt.time(0) or value.tzinfo is not None:
            raise ValueError(_date_of(value))
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int) and not isinstance(value, bool) and 1900 <= value <= 2100:
        raise ValueError(_period(str(value), f"{value}-01-01"))  # unquoted: a number
    if isinstance(value, bool) or not isinstance(value, str):
        raise ValueError(f"{value!r} is no date (a number would be read as seconds since "
                         "1970); write the scene's date as YYYY-MM-DD, e.g. 2014-04-19")
    month = re.fullmatch(r"(\d{4})-(0[1-9]|1[0-2])", value.strip())
    if month is not None or re.fullmatch(r"\d{4}", value.strip()):
        raise ValueError(_period(repr(value.strip()), f"{value.strip()}-01" if month
                                 is not None else f"{value.strip()}-01-01"))
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        raise ValueError(f"{value!r} is no YYYY-MM-DD date; write the scene's date as "
                         "YYYY-MM-DD, e.g. 2014-04-19")
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError as exc:
        raise ValueError(f"{value!r} is no date ({exc}); write YYYY-MM-DD") from None


def _period(said: str, first: str) -> str:
    """Why a month (``2021-06``) or a year (``2021``) is no date, and the day to give: a
    date here is one day (a scene's, or the day a composite of that month or year is dated
    by, which labels a time axis and every change).

    Before, ``2021-06`` was "no YYYY-MM-DD date; ... e.g. 2014-04-19" (a day of no
    composite's) and ``2021`` "no date (a number would be read as seconds since 1970)",
    neither saying that a month or a year was read, nor which day stands for it."""
    what = "a month" if "-" in said else "a year"
    number = said.isdigit() and not said.startswith("'")
    return (f"{said} is no date but {what}" + (" (a number would be read as seconds since "
                                                 "1970)" if number else "")
            + f": a date is one day (a scene's, or the one a composite of that {what[2:]} "
            f"is dated by, which labels the time axis and every change); give a day of it "
            f"as YYYY-MM-DD, e.g. {first}")


def _date_of(stamp: dt.datetime) -> str:
    """Why the date and time ``stamp`` is no scene date, and the date to give: its UTC
    day where it states an offset (products and STAC items date a scene in UTC)."""
    if stamp.tzinfo is None or stamp.utcoffset() == dt.timedelta(0):
        return (f"{stamp.isoformat()} is a date and time; give the scene's date alone, "
                f"{stamp.date().isoformat()} (YYYY-MM-DD)")
    utc = stamp.astimezone(dt.UTC).date()
    offset = stamp.isoformat(timespec="seconds")[19:]  # '-05:00'
    local = (f"; {stamp.date().isoformat()} is its date at offset {offset}"
             if utc != stamp.date() else "")
    return (f"{stamp.isoformat()} is a date and time; give the scene's date alone in UTC, "
            f"as its product name and STAC item date it: {utc.isoformat()} (YYYY-MM-DD)"
            f"{local}")


def taken(value: dt.date) -> dt.date:
    """A scene's date is one that has been: ``2204-04-19`` (a year's digits swapped) was
    taken, and the change layers and the report dated with it, and a mosaic's
    ``most_recent`` scene won every cell with it; raises ``ValueError`` otherwise."""
    today = dt.datetime.now(dt.UTC).date()
    if value > today:
        raise ValueError(f"{value.isoformat()} is in the future (today is "
                         f"{today.isoformat()}): give the date the scene was taken, "
                         "YYYY-MM-DD")
    return value


class TimeSeriesConfig(StrictModel):
    """Stack per-date variables along ``time`` and difference what is computed on them.

    Attributes
    ----------
    dates
        One entry per date: ``{date: 2014-04-19, bands: {red: l8_red, ...}}``. After ingest,
        each band name becomes one cube variable with dims ``(time, y, x)``; every date must
        name the same bands. Indices computed on them have the time axis too.
    difference
        Variables with a time axis to difference between the last and the first date
        (``<name>_change``, written by the screen stage); ``[]`` for none.
    """

    dates: list[DateBands] = Field(min_length=2)
    difference: list[PlainName] = Field(default_factory=list)

    @field_validator("dates")
    @classmethod
    def _same_bands(cls, value: list[DateBands]) -> list[DateBands]:
        dupes = repeated(str(d.date) for d in value)
        if dupes:
            raise ValueError(f"each date once; repeated: {dupes}")
        used: dict[str, dt.date] = {}
        for d in value:
            bands_of: dict[str, list[str]] = {}
            for band, var in d.bands.items():
                bands_of.setdefault(var, []).append(band)
            for var, bands in bands_of.items():
                if len(bands) > 1:  # two bands of one scene made one: an index of them is
                    raise ValueError(  # constant (NDVI 0) and its change a false one
                        f"{d.date} names cube variable {var!r} for bands "
                        f"{' and '.join(map(repr, sorted(bands)))}: each band of a date is "
                        "its own variable of that scene (the stacked bands would be one, "
                        "and an index of them one number); give each band its variable")
            for var in set(d.bands.values()):
                if var in used:  # one scene at two dates: its change is 0 everywhere
                    raise ValueError(
                        f"cube variable {var!r} is named for {used[var]} and for {d.date}: "
                        "each date must name its own scene's variables (the change between "
                        "the two would be that variable minus itself)")
                used[var] = d.date
        first = set(value[0].bands)
        for d in value[1:]:
            if set(d.bands) != first:
                raise ValueError(f"every date names the same bands; {d.date} has "
                                 f"{sorted(d.bands)}, {value[0].date} has {sorted(first)}")
        return sorted(value, key=lambda d: d.date)
