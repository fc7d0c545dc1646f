"""Time-series config: per-date cube variables stacked into variables with a time axis."""

from __future__ import annotations

import datetime as dt

from pydantic import Field, field_validator

from prospect.config._base import PlainName, StrictModel, repeated

__all__ = ["DateBands", "TimeSeriesConfig"]


class DateBands(StrictModel):
    """One date: the cube variables (one per common band name) holding that date's scene."""

    date: dt.date
    bands: dict[PlainName, PlainName] = Field(min_length=1)


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
        first = set(value[0].bands)
        for d in value[1:]:
            if set(d.bands) != first:
                raise ValueError(f"every date names the same bands; {d.date} has "
                                 f"{sorted(d.bands)}, {value[0].date} has {sorted(first)}")
        return sorted(value, key=lambda d: d.date)
