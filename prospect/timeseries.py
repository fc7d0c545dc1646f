"""Dates as a time axis: per-date cube variables stacked along ``time``, and their change.

Two scenes of one place (e.g. Landsat 5 TM 1990 and Landsat 8 OLI 2014) are ingested as
per-date variables (``tm_red``, ``oli_red``...). :func:`stack_dates` makes one variable per
common band (``red``) with dims ``(time, y, x)``; indices computed on those bands carry the
time axis (the kernels are element-wise); :func:`change` is the last date minus the first.
Lazy (dask) in, lazy out; nothing is read here.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from prospect.config.timeseries import TimeSeriesConfig
from prospect.errors import DataError
from prospect.io.cube import provenance_attr

__all__ = ["change", "stack_dates"]


def stack_dates(cube: xr.Dataset, cfg: TimeSeriesConfig) -> xr.Dataset:
    """One ``(time, y, x)`` variable per band name of ``cfg``, from the per-date variables.

    Raises
    ------
    DataError
        A per-date variable is missing from the cube.
    """
    times = np.array([np.datetime64(d.date, "ns") for d in cfg.dates])
    out = {}
    for band in cfg.dates[0].bands:
        layers = []
        for d in cfg.dates:
            name = d.bands[band]
            if name not in cube.data_vars:
                raise DataError(f"timeseries: no variable {name!r} (band {band!r} of {d.date}) "
                                f"in the cube; variables are {sorted(map(str, cube.data_vars))}")
            layers.append(cube[name].astype("float32"))
        da = xr.concat(layers, dim=xr.DataArray(times, dims="time", name="time"),
                       coords="minimal", compat="override", join="override")
        first = cube[cfg.dates[0].bands[band]]
        kind = first.attrs.get("prospect_kind", "continuous")
        da.attrs = {
            "units": first.attrs.get("units", ""),
            "long_name": f"{band} on {len(times)} dates",
            "prospect_kind": kind if kind in ("continuous", "categorical") else "continuous",
            **{k: first.attrs[k] for k in ("flag_values", "flag_meanings", "codes")
               if k in first.attrs},
            "provenance": provenance_attr({
                "stacked": {str(d.date): d.bands[band] for d in cfg.dates},
                "method": "time stack of per-date variables"}),
        }
        out[band] = da
    return xr.Dataset(out)


def change(da: xr.DataArray) -> xr.DataArray:
    """Last date minus first date of a ``(time, y, x)`` variable, named ``<name>_change``.

    Raises
    ------
    DataError
        The variable has no time axis or a single date.
    """
    if "time" not in da.dims or da.sizes["time"] < 2:
        raise DataError(f"timeseries.difference: {da.name!r} has no time axis with two dates; "
                        "difference variables computed on the stacked bands")
    first, last = da.isel(time=0), da.isel(time=-1)
    out = (last - first).astype("float32").drop_vars("time", errors="ignore")
    t0, t1 = (str(np.datetime_as_string(t, unit="D")) for t in (first.time.values,
                                                                 last.time.values))
    out.name = f"{da.name}_change"
    out.attrs = {
        "units": da.attrs.get("units", ""),
        "long_name": f"change of {da.name} from {t0} to {t1} ({t1} minus {t0})",
        "prospect_kind": "change",
        "provenance": provenance_attr({"variable": str(da.name), "from": t0, "to": t1,
                                       "method": "last minus first date"}),
    }
    return out
