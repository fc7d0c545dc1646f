"""Time-series config: per-date cube variables stacked into variables with a time axis."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from pydantic import Field, field_validator

from prospect.config._base import PlainName, StrictModel, repeated

__all__ = ["DateBands", "TimeSeriesConfig"]


class DateBands(StrictModel):
    """One date: the cube variables (one per common band name) holding that date's scene."""

    date: dt.date
    bands: dict[PlainName, PlainName] = Field(min_length=1)

    @field_validator("date", mode="before")
    @classmethod
    def _calendar_date(cls, value: Any) -> Any:
        """A date as YAML writes one, ``YYYY-MM-DD``, and nothing pydantic reads otherwise.

        pydantic takes a number as seconds since 1970: ``date: 2014`` (a year) was
        1970-01-01 and ``date: 20140419`` "should have zero time", without a word on the
        form; ``19/04/2014`` was "invalid character in year".
        """
        if isinstance(value, dt.datetime):
            if value.time() != dt.time(0) or value.tzinfo is not None:
                raise ValueError(f"{value.isoformat()} is a date and time; give the scene's "
                                 f"date alone, {value.date().isoformat()} (YYYY-MM-DD)")
            return value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, bool) or not isinstance(value, str):
            raise ValueError(f"{value!r} is no date (a number would be read as seconds since "
                             "1970); write the scene's date as YYYY-MM-DD, e.g. 2014-04-19")
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
            raise ValueError(f"{value!r} is no YYYY-MM-DD date; write the scene's date as "
                             "YYYY-MM-DD, e.g. 2014-04-19")
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError as exc:
            raise ValueError(f"{value!r} is no date ({exc}); write YYYY-MM-DD") from None

    @field_validator("date")
    @classmethod
    def _taken(cls, value: dt.date) -> dt.date:
        return taken(value)


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
