"""Round 11: input data as survey scientists have it.

Found by feeding ``prospect ingest`` real-world variants of rasters, NetCDF files, point
tables and vector maps (2026-12-02): CF missing-data attributes GDAL does not apply
(``missing_value`` beside ``_FillValue``, ``valid_min``/``valid_max``) ingested as values,
a GeoJSON unit column of mixed types printing pyogrio's bare warning, and coordinate or
value columns of decorated numbers (degrees-minutes-seconds, units, detection limits)
refused with "pick a numeric column". Each case runs the real CLI and holds it to the
corpus's rules; the controls must keep reading as before. Every file here is small and
SYNTHETIC.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from .conftest import Sandbox
from .test_point_tables import X0, Y0, _ingest

VALUES = np.arange(1600, dtype="f8").reshape(40, 40)  # row 0 north, as the cube's


def _said(result) -> str:
    return " ".join((result.out + result.err).split())  # the console wraps long lines


def _cube(box: Sandbox, variable: str = "heat") -> np.ndarray:
    import xarray as xr

    return np.asarray(xr.open_zarr(box.out / "cube.zarr")[variable].values)


def _netcdf(path: Path, data: np.ndarray, *, dtype: str = "f4",
            attrs: dict[str, object] | None = None) -> Path:
    """A CF NetCDF-3 file of one variable ``heat`` on the tiny region's grid (north row
    first), with raw ``attrs`` (``_FillValue``, ``missing_value``, ``valid_max``...)."""
    import rasterio.crs
    from scipy.io import netcdf_file

    ds = netcdf_file(str(path), "w", version=2)
    ds.createDimension("x", 40)
    ds.createDimension("y", 40)
    x = ds.createVariable("x", "f8", ("x",))
    x[:] = X0 + 5 + 10 * np.arange(40)
    x.standard_name, x.units = "projection_x_coordinate", "m"
    y = ds.createVariable("y", "f8", ("y",))
    y[:] = Y0 + 395 - 10 * np.arange(40)
    y.standard_name, y.units = "projection_y_coordinate", "m"
    crs = ds.createVariable("crs", "i4", ())
    crs.crs_wkt = crs.spatial_ref = rasterio.crs.CRS.from_epsg(32619).to_wkt()
    var = ds.createVariable("heat", dtype, ("y", "x"))
    var.grid_mapping = "crs"
    for key, value in (attrs or {}).items():
        setattr(var, key, value)
    var[:] = data.astype(dtype)
    ds.close()
    return path


def _nc_ingest(box: Sandbox, cli, scheduler: str, **source: object):
    return _ingest(box, cli, scheduler, sources=[
        {"kind": "raster", "name": "heat", "path": "heat.nc", "units": "1", **source}])


# --- CF missing data GDAL leaves as values --------------------------------------------------

def test_a_netcdf_missing_value_beside_its_fill_value_is_no_data(
        sandbox: Sandbox, cli, scheduler: str) -> None:
    """Before: the -8888 cells (CF ``missing_value``) were values in the cube: GDAL marks
    ``_FillValue`` alone where a variable states both."""
    data = VALUES.copy()
    data[0, 0] = -9999
    data[1, 1] = data[2, 2] = -8888
    _netcdf(sandbox.root / "heat.nc", data, attrs={
        "_FillValue": np.float32(-9999), "missing_value": np.float32(-8888)})
    result = _nc_ingest(sandbox, cli, scheduler)
    assert result.code == 0, result.err[-3000:]
    cube = _cube(sandbox)
    assert np.isnan(cube[[0, 1, 2], [0, 1, 2]]).all()
    assert np.nanmin(cube) == 1 and int(np.isnan(cube).sum()) == 3
    assert sandbox.untouched()


def test_a_netcdf_missing_value_covering_a_quarter_is_not_called_a_fill(
        sandbox: Sandbox, cli, scheduler: str) -> None:
    """The fill check samples the file: a ``missing_value`` the read drops is no warning
    that a fill is read as data."""
    data = VALUES.copy()
    data[:20, :20] = -9999  # a common fill on a corner and 25 % of the cells
    data[20:, 20:] = -9999
    _netcdf(sandbox.root / "heat.nc", data, attrs={
        "_FillValue": np.float32(-32768), "missing_value": np.float32(-9999)})
    result = _nc_ingest(sandbox, cli, scheduler)
    assert result.code == 0, result.err[-3000:]
    assert "commonly used" not in _said(result) and "never occurs" not in _said(result)
    assert int(np.isnan(_cube(sandbox)).sum()) == 800


@pytest.mark.parametrize(("attrs", "dropped"), [
    ({"valid_max": np.float32(2000)}, [(1, 1)]),
    ({"valid_min": np.float32(0)}, [(2, 2)]),
    ({"valid_min": np.float32(0), "valid_max": np.float32(2000)}, [(1, 1), (2, 2)]),
], ids=["valid_max", "valid_min", "both-control"])
def test_netcdf_valid_min_and_max_drop_values_outside_them(
        sandbox: Sandbox, cli, scheduler: str, attrs: dict[str, object],
        dropped: list[tuple[int, int]]) -> None:
    """Before: 99999 (above ``valid_max``) and -5 (below ``valid_min``) were values in the
    cube: GDAL applies ``valid_range`` but not ``valid_min``/``valid_max`` alone (both
    together it reads as a range: that case is a control). The bounds are inclusive (0
    and 1599 stay)."""
    data = VALUES.copy()
    data[1, 1], data[2, 2] = 99999, -5
    _netcdf(sandbox.root / "heat.nc", data, attrs=attrs)
    result = _nc_ingest(sandbox, cli, scheduler)
    assert result.code == 0, result.err[-3000:]
    cube = _cube(sandbox)
    assert int(np.isnan(cube).sum()) == len(dropped)
    for cell in dropped:
        assert np.isnan(cube[cell])
    assert cube[0, 0] == 0 and cube[39, 39] == 1599


def test_netcdf_valid_max_applies_to_packed_numbers(sandbox: Sandbox, cli,
                                                   scheduler: str) -> None:
    """CF bounds are in the stored (packed) numbers, before ``scale_factor``."""
    data = VALUES.copy()
    data[1, 1] = 30000
    _netcdf(sandbox.root / "heat.nc", data, dtype="i2", attrs={
        "scale_factor": np.float32(0.5), "add_offset": np.float32(100),
        "_FillValue": np.int16(-32768), "valid_max": np.int16(1599)})
    result = _nc_ingest(sandbox, cli, scheduler)
    assert result.code == 0, result.err[-3000:]
    cube = _cube(sandbox)
    assert np.isnan(cube[1, 1]) and int(np.isnan(cube).sum()) == 1
    assert cube[39, 39] == pytest.approx(1599 * 0.5 + 100)


def test_a_netcdf_valid_range_and_missing_value_alone_keep_reading(
        sandbox: Sandbox, cli, scheduler: str) -> None:
    """Control: what GDAL applies itself (``valid_range``; ``missing_value`` without a
    ``_FillValue``) reads as before."""
    data = VALUES.copy()
    data[0, 0], data[1, 1], data[2, 2] = -8888, 99999, -1e30
    _netcdf(sandbox.root / "heat.nc", data, attrs={
        "missing_value": np.float32(-8888), "valid_range": np.array([0, 2000], "f4")})
    result = _nc_ingest(sandbox, cli, scheduler)
    assert result.code == 0, result.err[-3000:]
    cube = _cube(sandbox)
    assert int(np.isnan(cube).sum()) == 3 and np.nanmax(cube) == 1599
