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

import json
from pathlib import Path

import numpy as np
import pytest

from .conftest import TINY_REGION, Sandbox, assert_clean_error, write_tiny_raster
from .test_point_tables import WELLS, X0, Y0, _ingest, _table

VALUES = np.arange(1600, dtype="f8").reshape(40, 40)  # row 0 north, as the cube's


def _said(result) -> str:
    return " ".join((result.out + result.err).split())  # the console wraps long lines


def _cube(box: Sandbox, variable: str = "heat") -> np.ndarray:
    import xarray as xr

    return np.asarray(xr.open_zarr(box.out / "cube.zarr")[variable].values)


def _netcdf(path: Path, data: np.ndarray, *, dtype: str = "f4",
            attrs: dict[str, object] | None = None, x: np.ndarray | None = None,
            y: np.ndarray | None = None) -> Path:
    """A CF NetCDF-3 file of one variable ``heat`` on the tiny region's grid (north row
    first), with raw ``attrs`` (``_FillValue``, ``missing_value``, ``valid_max``...)."""
    import rasterio.crs
    from scipy.io import netcdf_file

    ds = netcdf_file(str(path), "w", version=2)
    ds.createDimension("x", 40)
    ds.createDimension("y", 40)
    xs = x
    x = ds.createVariable("x", "f8", ("x",))
    x[:] = X0 + 5 + 10 * np.arange(40) if xs is None else xs
    x.standard_name, x.units = "projection_x_coordinate", "m"
    ys = y
    y = ds.createVariable("y", "f8", ("y",))
    y[:] = Y0 + 395 - 10 * np.arange(40) if ys is None else ys
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


def _nc_ingest(box: Sandbox, cli, scheduler: str, region: dict[str, object] | None = None,
               **source: object):
    return _ingest(box, cli, scheduler, region=region or dict(TINY_REGION), sources=[
        {"kind": "raster", "name": "heat", "path": "heat.nc", "units": "1", **source}])


def _lonlat_region(west: float, south: float) -> dict[str, object]:
    """A 40 x 40 region of 0.0001-degree cells."""
    return {**TINY_REGION, "crs": "EPSG:4326", "resolution": 0.0001,
            "bounds": [west, south, west + 0.004, south + 0.004]}


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


# --- a GeoJSON unit column of mixed types -------------------------------------------------

def _geojson(box: Sandbox, units: list[object]) -> Path:
    """Vertical strips over the tiny region, one per unit, in a GeoJSON with a CRS member."""
    width = 400 / len(units)
    features = []
    for i, unit in enumerate(units):
        x0, x1 = X0 + i * width, X0 + (i + 1) * width
        ring = [[x0, Y0], [x1, Y0], [x1, Y0 + 400], [x0, Y0 + 400], [x0, Y0]]
        features.append({"type": "Feature", "properties": {"unit": unit},
                         "geometry": {"type": "Polygon", "coordinates": [ring]}})
    path = box.root / "units.geojson"
    path.write_text(json.dumps({
        "type": "FeatureCollection", "features": features,
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32619"}}}))
    return path


def test_a_geojson_unit_column_of_mixed_types_prints_no_library_warning(
        sandbox: Sandbox, cli, scheduler: str) -> None:
    """Before: pyogrio's "Could not parse column 'unit' as JSON; leaving as string", with its
    source line, about five times a run (a code 7 in one feature, "granite" in another:
    GDAL's JSON field). The units are read as text, as before."""
    import warnings

    _geojson(sandbox, [7, "granite", 7, "7"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = _ingest(sandbox, cli, scheduler, sources=[
            {"kind": "vector", "name": "geo", "path": "units.geojson", "attribute": "unit"}])
    assert result.code == 0, result.err[-3000:]
    said = [str(w.message) for w in caught] + [_said(result)]
    assert not any("as JSON" in text for text in said), said
    import xarray as xr

    geo = xr.open_zarr(sandbox.out / "cube.zarr")["geo"]
    assert geo.attrs["flag_meanings"].split() == ["7", "granite"]
    np.testing.assert_array_equal(np.asarray(geo.values)[0, ::10], [0, 1, 0, 0])


# --- columns of numbers written with something around them --------------------------------

def test_coordinates_in_degrees_minutes_and_seconds_are_named(sandbox: Sandbox, cli,
                                                              scheduler: str) -> None:
    """Before: "column 'lon' holds no numbers (e.g. '69°0\\'0"W'); pick a numeric column".
    Since round 20 degrees, minutes and seconds whose side a letter or sign gives are read
    as decimal degrees; a cell whose side cannot be told (no letter where the others have
    one) is refused naming its line."""
    rows = [f"69°0'{i}\"{'W' if i else ''},12°12'{i}\"N,{i}" for i in range(20)]
    (sandbox.root / "wells.csv").write_text("lon,lat,li\n" + "\n".join(rows) + "\n")
    result = _ingest(sandbox, cli, scheduler, sources=[
        {**WELLS, "x": "lon", "y": "lat", "crs": "EPSG:4326"}])
    line = assert_clean_error(result, 1, "wells.csv", "'lon'", "no hemisphere letter",
                              "line 2")
    assert "pick a numeric column" not in line
    assert sandbox.untouched()


@pytest.mark.parametrize(("cells", "needle"), [
    ([f"{i} mS/cm" for i in range(20)], "numbers with a unit"),
    ([f"<{i % 3 + 1}" for i in range(20)], "detection limits"),
    (["n.d."] * 10 + ["<0.5"] * 10, "detection limits"),
], ids=["units", "below-limit", "nd"])
def test_a_value_column_of_decorated_numbers_is_named(sandbox: Sandbox, cli, scheduler: str,
                                                      cells: list[str], needle: str) -> None:
    """Before: "holds no numbers ... pick a numeric column" for a lab sheet's column that
    holds only numbers with a unit or detection limits (a column with some plain numbers
    reads them, with a warning for the others, as before)."""
    _table(sandbox, cells)
    result = _ingest(sandbox, cli, scheduler, sources=[WELLS])
    line = assert_clean_error(result, 1, "wells.csv", "'li'", needle)
    assert "pick a numeric column" not in line


def test_a_column_of_words_is_still_not_a_numeric_column(sandbox: Sandbox, cli,
                                                         scheduler: str) -> None:
    """Control: a column of names keeps its message."""
    _table(sandbox, ["granite", "basalt"] * 10)
    result = _ingest(sandbox, cli, scheduler, sources=[WELLS])
    assert_clean_error(result, 1, "wells.csv", "'li'", "pick a numeric column")


# --- NetCDF files GDAL places no regular grid for --------------------------------------------

def _uneven_netcdf(path: Path, *, curvilinear: bool = False) -> Path:
    """A NetCDF variable on unevenly spaced 1-D x/y coordinates (5 m then 15 m rows), or
    on 2-D longitude/latitude arrays."""
    from scipy.io import netcdf_file

    ds = netcdf_file(str(path), "w", version=2)
    ds.createDimension("x", 40)
    ds.createDimension("y", 40)
    lon = -69.0 + 0.0001 * np.arange(40)
    lat = 12.2 + np.concatenate([np.arange(20) * 0.00005, 0.001 + np.arange(20) * 0.00015])
    if curvilinear:
        lon2 = ds.createVariable("lon", "f8", ("y", "x"))
        lon2[:] = lon[None, :] + 0.00001 * np.arange(40)[:, None]
        lon2.standard_name, lon2.units = "longitude", "degrees_east"
        lat2 = ds.createVariable("lat", "f8", ("y", "x"))
        lat2[:] = lat[::-1, None] + 0.00001 * np.arange(40)[None, :]
        lat2.standard_name, lat2.units = "latitude", "degrees_north"
        var = ds.createVariable("heat", "f4", ("y", "x"))
        var.coordinates = "lon lat"
    else:
        x = ds.createVariable("x", "f8", ("x",))
        x[:] = lon
        x.units = "degrees_east"
        y = ds.createVariable("y", "f8", ("y",))
        y[:] = lat[::-1]
        y.units = "degrees_north"
        var = ds.createVariable("heat", "f4", ("y", "x"))
    var[:] = VALUES.astype("f4")
    ds.close()
    return path


def test_unevenly_spaced_latitudes_are_refused(sandbox: Sandbox, cli, scheduler: str) -> None:
    """Before: read without a word on an even grid: GDAL's netCDF driver takes latitudes
    whose spacing varies within 0.1 degrees as evenly spaced (5 m rows, then 15 m rows,
    placed as 9.9 m rows: most rows tens of metres off)."""
    _uneven_netcdf(sandbox.root / "heat.nc")
    result = _nc_ingest(sandbox, cli, scheduler, region=_lonlat_region(-69.0, 12.2),
                        crs="EPSG:4326")
    assert_clean_error(result, 1, "heat.nc", "y coordinates are not evenly spaced",
                       "regular grid")
    assert sandbox.untouched()


@pytest.mark.parametrize(("curvilinear", "needles"), [
    (False, ["not evenly spaced", "regular grid"]),
    (True, ["2-D longitude/latitude", "gdalwarp -geoloc"]),
], ids=["uneven-metres", "curvilinear"])
def test_a_netcdf_without_a_regular_grid_says_why(sandbox: Sandbox, cli, scheduler: str,
                                                  curvilinear: bool,
                                                  needles: list[str]) -> None:
    """Before: "the raster has no georeferencing (no geotransform, ground control points or
    RPCs); give it its grid first (e.g. gdal_translate -a_ullr ...)" for a file whose cells
    each have coordinates: unevenly spaced eastings (GDAL places no grid for those), or
    2-D longitude/latitude arrays."""
    if curvilinear:
        _uneven_netcdf(sandbox.root / "heat.nc", curvilinear=True)
    else:
        xs = X0 + 5 + np.concatenate([np.arange(20) * 2, 40 + np.arange(20) * 18])
        _netcdf(sandbox.root / "heat.nc", VALUES, x=xs)
    result = _nc_ingest(sandbox, cli, scheduler)
    line = assert_clean_error(result, 1, "heat.nc", *needles)
    assert "no georeferencing" not in line
    assert sandbox.untouched()


def test_an_evenly_spaced_netcdf_stored_south_first_keeps_reading(
        sandbox: Sandbox, cli, scheduler: str) -> None:
    """Control: latitudes (here northings) stored ascending, float32 coordinates: read,
    north row first."""
    ys = (Y0 + 5 + 10 * np.arange(40)).astype("f4")
    _netcdf(sandbox.root / "heat.nc", VALUES[::-1], y=ys, x=(X0 + 5 + 10 * np.arange(40)
                                                             ).astype("f4"))
    result = _nc_ingest(sandbox, cli, scheduler)
    assert result.code == 0, result.err[-3000:]
    np.testing.assert_array_equal(_cube(sandbox), VALUES.astype("f4"))


@pytest.mark.realdata
def test_a_real_netcdf_with_a_stretched_axis_is_refused(shared_data: Path, tmp_path: Path
                                                        ) -> None:
    """The real Patagonia Sentinel-2 SWIR file (NetCDF-3) reads; a copy whose eastings
    are stretched (the last 100 columns 30 m apart instead of 20 m) is refused, not
    placed on GDAL's even grid."""
    from scipy.io import netcdf_file

    from prospect.errors import DataError
    from prospect.io.raster import raster_info

    real = shared_data / "sentinel2_patagonia_xrspatial" / "swir1_band.nc"
    if not real.is_file():
        pytest.skip(f"{real} not found")
    info = raster_info(real, crs="EPSG:32719")
    assert info.transform[:3] == (20.0, 0.0, 600000.0)
    copy = tmp_path / "swir1_band.nc"
    copy.write_bytes(real.read_bytes())
    with netcdf_file(str(copy), "a", mmap=False) as ds:
        x = ds.variables["x"]
        x[200:] = x[200] + 30 * np.arange(x.shape[0] - 200)
    with pytest.raises(DataError, match=r"coordinate.* not evenly spaced"):
        raster_info(copy, crs="EPSG:32719")


def _columns_first(path: Path, data: np.ndarray, xs: np.ndarray, ys: np.ndarray,
                   units: tuple[str, str] = ("m", "m"), crs: bool = True) -> Path:
    """A NetCDF variable stored (x, y), columns first: ``data`` (rows north first) written
    transposed."""
    import rasterio.crs
    from scipy.io import netcdf_file

    ds = netcdf_file(str(path), "w", version=2)
    ds.createDimension("x", len(xs))
    ds.createDimension("y", len(ys))
    x = ds.createVariable("x", "f8", ("x",))
    x[:], x.units = xs, units[0]
    y = ds.createVariable("y", "f8", ("y",))
    y[:], y.units = ys, units[1]
    var = ds.createVariable("heat", "f4", ("x", "y"))
    if crs:
        grid = ds.createVariable("crs", "i4", ())
        grid.crs_wkt = grid.spatial_ref = rasterio.crs.CRS.from_epsg(32619).to_wkt()
        var.grid_mapping = "crs"
    var[:] = data.T.astype("f4")
    ds.close()
    return path


def test_a_netcdf_stored_columns_first_is_refused(sandbox: Sandbox, cli, scheduler: str
                                                  ) -> None:
    """Before: "none of its files overlap the region ... check the files, their CRS or the
    region": GDAL read the eastings as northings (the last dimension is its x)."""
    _columns_first(sandbox.root / "heat.nc", VALUES[:, :30], X0 + 5 + 10 * np.arange(30),
                   Y0 + 395 - 10 * np.arange(40))
    result = _nc_ingest(sandbox, cli, scheduler)
    assert_clean_error(result, 1, "heat.nc", "stored (x, y)", "transpose it")
    assert sandbox.untouched()


def test_a_square_lonlat_netcdf_stored_columns_first_is_not_read_turned(
        sandbox: Sandbox, cli, scheduler: str) -> None:
    """Before: exit 0, the map mirrored and turned (every cell (i, j) holding (j, i)'s
    value) where longitudes and latitudes overlap, as at 45 E 45 N."""
    steps = 0.0001 * np.arange(40) + 0.00005
    _columns_first(sandbox.root / "heat.nc", VALUES, 45.0 + steps, 45.004 - steps,
                   units=("degrees_east", "degrees_north"), crs=False)
    result = _nc_ingest(sandbox, cli, scheduler, region=_lonlat_region(45.0, 45.0),
                        crs="EPSG:4326")
    assert_clean_error(result, 1, "heat.nc", "stored (x, y)")


# --- 0 for "not given" in a value column ------------------------------------------------------

def _warnings(box: Sandbox) -> list[str]:
    stage = json.loads((box.out / "manifest.json").read_text())["stages"]["ingest"]
    return [" ".join(n.split()) for n in stage["notes"] if n.startswith("warning:")]


HEAT = [str(v) for v in (61, 0, 74, 88, 0, 55, 93, 70, 0, 66, 81, 59, 102, 77, 64, 0, 71, 85,
                         90, 68)]


def test_zero_for_not_given_in_a_value_column_is_warned(sandbox: Sandbox, cli,
                                                        scheduler: str) -> None:
    """Before: heat flow 0 (a database's "not given") on 4 of 20 wells was interpolated as
    a measurement without a word."""
    _table(sandbox, HEAT)
    result = _ingest(sandbox, cli, scheduler, sources=[WELLS])
    assert result.code == 0, result.err[-3000:]
    said = [n for n in _warnings(sandbox) if "holds 0 on 4 of 20 rows" in n]
    assert len(said) == 1 and "'nodata: 0'" in said[0] and "lines 3, 6, 10, 17" in said[0]


def test_zero_declared_as_nodata_is_not_warned(sandbox: Sandbox, cli, scheduler: str) -> None:
    """Control: with ``nodata: 0`` the zeros are missing (a warning says how many) and no
    longer called measurements."""
    _table(sandbox, HEAT)
    result = _ingest(sandbox, cli, scheduler, sources=[{**WELLS, "nodata": 0}])
    assert result.code == 0, result.err[-3000:]
    assert not any("read as a measurement" in n for n in _warnings(sandbox))


def test_zeros_among_small_values_are_measurements(sandbox: Sandbox, cli, scheduler: str
                                                   ) -> None:
    """Control: a concentration with zeros (below detection) among small values is read
    without that warning."""
    cells = ["0", "0.2", "0", "1.5", "0.1", "3", "0", "0.4", "2.2", "0.05", "6", "0.3", "0",
             "1.1", "0.7", "4", "0.15", "0.9", "2.5", "0.6"]
    _table(sandbox, cells)
    result = _ingest(sandbox, cli, scheduler, sources=[WELLS])
    assert result.code == 0, result.err[-3000:]
    assert not any("holds 0 on" in n for n in _warnings(sandbox))


@pytest.mark.realdata
def test_the_real_dutch_heat_flow_table_zero_conductivity_is_warned(
        shared_data: Path, sandbox: Sandbox, cli, scheduler: str) -> None:
    """The IHFC Dutch subset: 'Conductivi' is 0 ("not given") on all 315 sites, and was a
    surface of 0 W/m/K; 'Heat Flow' (51-128 mW/m2, no zero) stays silent."""
    real = shared_data / "heatflow_europe_nl_ihfc" / "heatflow_netherlands_bbox_subset.csv"
    if not real.is_file():
        pytest.skip(f"{real} not found")
    (sandbox.root / "hf.csv").write_bytes(real.read_bytes())
    region = {"name": "gron", "crs": "EPSG:28992", "resolution": 1000.0,
              "bounds": [200000.0, 520000.0, 280000.0, 600000.0], "chunks": [40, 40]}
    result = _ingest(sandbox, cli, scheduler, region=region, sources=[
        {"kind": "points", "name": "hf", "path": "hf.csv", "x": "Longitude", "y": "Latitude",
         "columns": ["Conductivi", "Heat Flow"], "interpolate": ["idw"]}])
    assert result.code == 0, result.err[-3000:]
    said = [n for n in _warnings(sandbox) if "holds 0 on" in n]
    assert len(said) == 1 and "'Conductivi' holds 0 on 315 of 315 rows" in said[0]


@pytest.mark.realdata
def test_the_real_european_heat_flow_zeros_are_warned(shared_data: Path) -> None:
    """The IHFC European table: heat flow 0 mW/m2 ("not given") on 661 of 6 807 sites."""
    import warnings

    from prospect.errors import DataWarning
    from prospect.io.points import read_points

    real = shared_data / "heatflow_europe_nl_ihfc" / "global_hf_eu_v3.csv"
    if not real.is_file():
        pytest.skip(f"{real} not found")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = read_points(real, x="Longitude", y="Latitude", columns=["Heat Flow"],
                            to_crs="EPSG:3035")
    said = [str(w.message) for w in caught if issubclass(w.category, DataWarning)]
    assert any("'Heat Flow' holds 0 on 661 of 6807 rows" in s and "'nodata: 0'" in s
               for s in said), said
    assert int((table.values["Heat Flow"] == 0).sum()) == 661  # read as before: a warning


def test_arcgis_null_cells_are_missing_not_detection_limits(sandbox: Sandbox, cli,
                                                            scheduler: str) -> None:
    """Before: an ArcGIS export's '<null>' cells (the IHFC table's 'Heat_Prod_' holds 6 409)
    were "not finite numbers ... 6 are detection limits ('<null>'): give them as numbers (e.g.
    half the limit)". They are empty cells; two real limits ('<0.5') are still named (read
    as half their limit since round 38)."""
    cells = ["<null>"] * 6 + ["<0.5", "<0.5"] + [str(10 + i) for i in range(12)]
    _table(sandbox, cells)
    result = _ingest(sandbox, cli, scheduler, sources=[WELLS])
    assert result.code == 0, result.err[-3000:]
    said = " ".join(_warnings(sandbox))
    assert "<null>" not in said.lower()
    assert "not finite numbers" not in said
    assert "2 of 20 value(s) in column 'li' are below a detection limit" in said
    assert "e.g. '<0.5'): each is read as half its limit (0.25)" in said


# --- tables laid out for another program ------------------------------------------------------

def test_a_table_aligned_by_spaces_is_read(sandbox: Sandbox, cli, scheduler: str) -> None:
    """Before: "the point table is empty (no rows with coordinates x/y)" for an XYZ export
    whose columns are aligned by runs of spaces (Geosoft, Surfer, a Fortran listing): each
    run was read as empty columns."""
    from .test_point_tables import PLACES, _at_points

    rows = [f"{x:12.1f} {y:13.1f} {10 + i / 4:8.2f}" for i, (x, y) in enumerate(PLACES)]
    (sandbox.root / "wells.txt").write_text(
        f"{'x':>12} {'y':>13} {'li':>8}\n" + "\n".join(rows) + "\n")
    result = _ingest(sandbox, cli, scheduler, sources=[{**WELLS, "path": "wells.txt"}])
    assert result.code == 0, result.err[-3000:]
    np.testing.assert_allclose(_at_points(sandbox), [10 + i / 4 for i in range(20)],
                               rtol=1e-6)


def test_excels_sep_line_names_the_delimiter(sandbox: Sandbox, cli, scheduler: str) -> None:
    """Before: "line 2 has 3 values but the header names 2 columns" for an Excel export
    starting with ``sep=;``; it is read, and a bad value is named at its physical line."""
    from .test_point_tables import PLACES, _at_points

    cells = [f"{10 + i},5" for i in range(20)]
    cells[4] = "?"
    rows = [f"{x:.0f};{y:.0f};{c}" for (x, y), c in zip(PLACES, cells, strict=True)]
    (sandbox.root / "wells.csv").write_text("sep=;\nx;y;li\n" + "\n".join(rows) + "\n")
    result = _ingest(sandbox, cli, scheduler, sources=[WELLS])
    assert result.code == 0, result.err[-3000:]
    assert any("1 of 20 value(s) in column 'li'" in n and "line 7;" in n
               for n in _warnings(sandbox)), _warnings(sandbox)
    expected = [10.5 + i for i in range(20)]
    got = _at_points(sandbox)
    np.testing.assert_allclose(np.delete(got, 4), np.delete(expected, 4), rtol=1e-6)


def test_comment_lines_above_the_header_are_named(sandbox: Sandbox, cli, scheduler: str
                                                  ) -> None:
    """Before: "no column(s) ['x', 'y', 'li']; columns are ['#', 'wells', 'of', ...]; set
    x/y (coordinates) or columns": the columns are there, below a comment."""
    from .test_point_tables import PLACES

    rows = [f"{x:.0f},{y:.0f},{i}" for i, (x, y) in enumerate(PLACES)]
    (sandbox.root / "wells.csv").write_text(
        "# wells of the 1991 survey\nx,y,li\n" + "\n".join(rows) + "\n")
    result = _ingest(sandbox, cli, scheduler, sources=[WELLS])
    line = assert_clean_error(result, 1, "wells.csv", "line 1 is a comment", "not the header")
    assert "set x/y" not in line


def test_a_column_named_hash_is_still_a_header(sandbox: Sandbox, cli, scheduler: str) -> None:
    """Control: '#,x,y,li' (a row-number column named '#') is a header."""
    from .test_point_tables import PLACES

    rows = [f"{i},{x:.0f},{y:.0f},{10 + i}" for i, (x, y) in enumerate(PLACES)]
    (sandbox.root / "wells.csv").write_text("#,x,y,li\n" + "\n".join(rows) + "\n")
    result = _ingest(sandbox, cli, scheduler, sources=[WELLS])
    assert result.code == 0, result.err[-3000:]


# --- geology features that overlap ------------------------------------------------------------

def _units_map(box: Sandbox, boxes: list[tuple[float, float, float, float]],
               units: list[str]) -> Path:
    import geopandas as gpd
    import shapely

    path = box.root / "units.gpkg"
    gpd.GeoDataFrame({"unit": units}, geometry=[
        shapely.box(X0 + a, Y0 + b, X0 + c, Y0 + d) for a, b, c, d in boxes],
        crs="EPSG:32619").to_file(path)
    return path


@pytest.mark.parametrize(("boxes", "cells"), [
    ([(0, 0, 250, 400), (150, 0, 400, 400)], "400 cells"),  # sheets joined with an overlap
    ([(0, 0, 400, 400), (100, 100, 200, 200)], "100 cells"),  # an inclusion, no hole
], ids=["overlap", "inclusion"])
def test_overlapping_units_are_warned(sandbox: Sandbox, cli, scheduler: str,
                                      boxes: list[tuple[float, float, float, float]],
                                      cells: str) -> None:
    """Before: no word; the cells where 'granite' and 'basalt' overlap took the unit of the
    feature later in the file."""
    _units_map(sandbox, boxes, ["granite", "basalt"])
    result = _ingest(sandbox, cli, scheduler, sources=[
        {"kind": "vector", "name": "geo", "path": "units.gpkg", "attribute": "unit"}])
    assert result.code == 0, result.err[-3000:]
    said = [n for n in _warnings(sandbox) if "overlap" in n]
    assert len(said) == 1 and "'granite' and 'basalt'" in said[0] and cells in said[0]


def test_units_that_only_touch_are_not_warned(sandbox: Sandbox, cli, scheduler: str) -> None:
    """Control: neighbours sharing an edge, and a sliver under half a cell, are a map."""
    _units_map(sandbox, [(0, 0, 200, 400), (200, 0, 400, 400), (399.9, 0, 400.05, 10)],
               ["granite", "basalt", "sand"])
    result = _ingest(sandbox, cli, scheduler, sources=[
        {"kind": "vector", "name": "geo", "path": "units.gpkg", "attribute": "unit"}])
    assert result.code == 0, result.err[-3000:]
    assert not any("overlap" in n for n in _warnings(sandbox))


# -- values the float32 cube cannot keep apart ---------------------------------------------

TIMES = {"kind": "raster", "name": "acquired", "path": "times.tif"}


@pytest.mark.parametrize("dtype", ["float64", "int64", "uint32"])
def test_wide_values_the_float32_cube_merges_are_warned(sandbox: Sandbox, cli, scheduler: str,
                                                        dtype: str) -> None:
    """Before: Unix times a second apart (1.7e9 + 0..1599) became about a dozen float32
    steps in the cube, without a word."""
    write_tiny_raster(sandbox.root / "times.tif",
                      values=(1_700_000_000 + np.arange(1600).reshape(40, 40)).astype(dtype))
    result = _ingest(sandbox, cli, scheduler, sources=[TIMES])
    assert result.code == 0, result.err[-3000:]
    said = [n for n in _warnings(sandbox) if "float32 cube can keep" in n]
    assert len(said) == 1, _warnings(sandbox)
    assert "times.tif: band 1 ('acquired')" in said[0] and f"holds {dtype} values" in said[0]
    assert "1600 distinct values of a sample become" in said[0]


@pytest.mark.parametrize("values", [
    np.random.default_rng(1).random((40, 40)) * 1000.0,       # float64 elevations
    np.arange(1600).reshape(40, 40) * 9973,                    # int64 under 2**24: exact
], ids=["float64-metres", "int64-exact"])
def test_wide_values_float32_keeps_apart_are_not_warned(sandbox: Sandbox, cli, scheduler: str,
                                                        values: np.ndarray) -> None:
    """Control: float64 or 64-bit integer bands whose values float32 tells apart."""
    write_tiny_raster(sandbox.root / "times.tif", values=values)
    result = _ingest(sandbox, cli, scheduler, sources=[TIMES])
    assert result.code == 0, result.err[-3000:]
    assert not any("float32 cube can keep" in n for n in _warnings(sandbox))
