"""Dates as a time axis: stacking per-date variables, the change between dates, the cube."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from prospect.config.timeseries import TimeSeriesConfig
from prospect.errors import DataError
from prospect.grid import RegionGrid
from prospect.io.cube import add_variables, create_cube, open_cube
from prospect.timeseries import change, stack_dates


def _cube(tmp_path):
    grid = RegionGrid(crs="EPSG:28992", resolution=100, bounds=(0, 0, 1000, 800), chunks=(4, 4))
    path = tmp_path / "cube.zarr"
    create_cube(path, grid, attrs={"synthetic": True})
    rng = np.random.default_rng(1)  # SYNTHETIC bands
    tmpl = open_cube(path)
    vs = {n: xr.DataArray(rng.uniform(0.01, 0.5, grid.shape).astype("f4"), dims=("y", "x"),
                          coords={"y": tmpl.y, "x": tmpl.x}, attrs={"units": "1"})
          for n in ("a_red", "a_nir", "b_red", "b_nir")}
    add_variables(path, xr.Dataset(vs))
    return path


CFG = TimeSeriesConfig.model_validate({
    "dates": [{"date": "2014-04-19", "bands": {"red": "b_red", "nir": "b_nir"}},
              {"date": "1990-04-08", "bands": {"red": "a_red", "nir": "a_nir"}}],
    "difference": ["ndvi"]})


def test_stack_and_change_are_exact(tmp_path) -> None:
    path = _cube(tmp_path)
    cube = open_cube(path)
    stacked = stack_dates(cube, CFG)  # dates are sorted: 1990 first
    add_variables(path, stacked)
    cube = open_cube(path)
    assert cube["red"].dims == ("time", "y", "x")
    assert [str(t)[:10] for t in cube["time"].values] == ["1990-04-08", "2014-04-19"]
    np.testing.assert_array_equal(cube["red"].values[1], cube["b_red"].values)
    ndvi = ((cube["nir"] - cube["red"]) / (cube["nir"] + cube["red"])).rename("ndvi")
    d = change(ndvi)
    assert d.name == "ndvi_change" and d.dims == ("y", "x")
    by_hand = ((cube["b_nir"] - cube["b_red"]) / (cube["b_nir"] + cube["b_red"])
               - (cube["a_nir"] - cube["a_red"]) / (cube["a_nir"] + cube["a_red"]))
    np.testing.assert_allclose(d.values, by_hand.values, rtol=1e-6)
    assert "1990-04-08 to 2014-04-19" in d.attrs["long_name"]


def test_a_second_time_axis_is_refused(tmp_path) -> None:
    path = _cube(tmp_path)
    add_variables(path, stack_dates(open_cube(path), CFG))
    other = stack_dates(open_cube(path), TimeSeriesConfig.model_validate({"dates": [
        {"date": "2000-01-01", "bands": {"x1": "a_red"}},
        {"date": "2001-01-01", "bands": {"x1": "b_red"}}]}))
    with pytest.raises(DataError, match="time axis"):
        add_variables(path, other)


def test_config_and_data_errors(tmp_path) -> None:
    with pytest.raises(ValueError, match="same bands"):
        TimeSeriesConfig.model_validate({"dates": [
            {"date": "2000-01-01", "bands": {"red": "a"}},
            {"date": "2001-01-01", "bands": {"nir": "b"}}]})
    path = _cube(tmp_path)
    bad = TimeSeriesConfig.model_validate({"dates": [
        {"date": "2000-01-01", "bands": {"red": "a_red"}},
        {"date": "2001-01-01", "bands": {"red": "nope"}}]})
    with pytest.raises(DataError, match="no variable 'nope'"):
        stack_dates(open_cube(path), bad)
    with pytest.raises(DataError, match="no time axis"):
        change(open_cube(path)["a_red"])


def test_the_acquisition_date_a_band_file_name_states() -> None:
    """Landsat ids and Sentinel-2 band file names date their scenes (the check of a time
    series' listed dates); a name that states none, or a date the calendar has not, is
    ``None``."""
    import datetime as dt

    from prospect.timeseries import _file_date

    assert _file_date("/d/T31UFT_20220101T104439_B04_10m.tif") == (
        "T31UFT_20220101T104439_B04", dt.date(2022, 1, 1))
    assert _file_date("LC08_L2SP_198024_20140419_20200911_02_T1_SR_B4.TIF")[1] == \
        dt.date(2014, 4, 19)
    assert _file_date("T31UFT_20220231T104439_B04.jp2") is None
    assert _file_date("heat.tif") is None
