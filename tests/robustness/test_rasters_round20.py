"""Survey rasters whose units, columns, pages, axes or coefficients GDAL reads without a
word: a band's unit in a compound CRS, XYZ tables of several value columns, empty files,
NetCDF coordinates in kilometres, dimensions in another order, variables without a
``grid_mapping``, multi-page TIFFs and scales of 0.

Found by writing heat-flow, geochemistry and geophysics grids (GeoTIFF, NetCDF-3, XYZ
text, multi-page TIFF) with rasterio, scipy, Pillow and by hand into ``tmp_path`` and
feeding them to the real ``prospect`` CLI (2026-12-03). Every file here is small and
SYNTHETIC.
"""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from .conftest import TINY_REGION, Sandbox, assert_clean_error
from .test_inputs_round11 import _netcdf
from .test_point_tables import X0, Y0, _ingest
from .test_rasters_round15 import _cube, _source
from .test_rasters_round16 import _write
from .test_rasters_round17 import _notes

VALUES = np.random.default_rng(20).random((40, 40)).astype("f4") * 100

RD_REGION = {"name": "rd", "crs": "EPSG:28992", "resolution": 10.0,
             "bounds": [100000.0, 400000.0, 100400.0, 400400.0], "chunks": [20, 20]}


# --- a band's unit in a compound CRS ----------------------------------------------------------

@pytest.mark.parametrize("stated", [None, "K"], ids=["no-unit-of-its-own", "control-states-K"])
def test_a_bands_unit_is_never_its_compound_crss_vertical_unit(
        sandbox: Sandbox, cli, scheduler: str, stated: str | None) -> None:
    """Before: a heat-flow grid in RD + NAP (EPSG:7415) whose band states no unit was
    warned "states its units as 'metre'" against ``units: mW/m2`` (GDAL's GeoTIFF driver
    gives such a band the CRS's vertical unit), and without ``units:`` in the config the
    cube recorded 'metre'. Control: a unit the file states ('K') is still compared."""
    import rasterio
    from rasterio.transform import from_origin

    with rasterio.open(sandbox.root / "heat.tif", "w", driver="GTiff", width=40, height=40,
                       count=1, dtype="float32", crs="EPSG:7415",
                       transform=from_origin(100000, 400400, 10, 10)) as dst:
        dst.write(VALUES[None])
        if stated:
            dst.units = (stated,)
    # a copy for the second source (one file read the same way twice is refused: round 29)
    shutil.copy(sandbox.root / "heat.tif", sandbox.root / "bare.tif")
    result = _ingest(sandbox, cli, scheduler, region=dict(RD_REGION), sources=[
        {"kind": "raster", "name": "heat", "path": "heat.tif", "units": "mW/m2"},
        {"kind": "raster", "name": "bare", "path": "bare.tif"}])
    assert result.code == 0, result.err[-3000:]
    said = " ".join(_notes(sandbox))
    assert "'metre'" not in said, said
    assert ("states its units as 'K'" in said) == (stated == "K"), said
    np.testing.assert_array_equal(_cube(sandbox), VALUES)
    import xarray as xr

    bare = xr.open_zarr(sandbox.out / "cube.zarr")["bare"]
    assert bare.attrs.get("units") == (stated or "1"), bare.attrs


# --- XYZ tables of several value columns --------------------------------------------------------

def _xyz(path: Path, header: str | None, columns: int) -> Path:
    """Points on every cell centre of the tiny grid, north row first, as GDAL's XYZ driver
    reads a grid: x, y and ``columns - 2`` value columns (the first :data:`VALUES`)."""
    rows = [header] if header else []
    for r in range(40):
        for c in range(40):
            extra = " ".join(f"{VALUES[r, c] + 1000 * k:.3f}" for k in range(columns - 2))
            rows.append(f"{X0 + 5 + 10 * c:.0f} {Y0 + 395 - 10 * r:.0f} {extra}")
    path.write_text("\n".join(rows) + "\n")
    return path


@pytest.mark.parametrize(("header", "needles"), [
    ("x y li cu", ["columns (x, y, li, cu)", "column 'li' alone", "dropping column 'cu'",
                   "columns: [li, cu]"]),
    ("easting northing depth heat", ["column 'depth' alone", "dropping column 'heat'",
                                     "x: easting, y: northing"]),
    (None, ["column 3 alone", "dropping column 4", "adding a header line"]),
], ids=["header-li-cu", "header-depth-heat", "no-header"])
def test_an_xyz_table_of_several_value_columns_is_refused_naming_them(
        sandbox: Sandbox, cli, scheduler: str, header: str | None,
        needles: list[str]) -> None:
    """Before: a table of points on an exact grid with two value columns was read by GDAL's
    XYZ driver as a raster of its third column alone (``depth`` as the layer ``heat``;
    ``cu`` dropped), exit 0, no word."""
    _xyz(sandbox.root / "gridded.asc", header, 4)
    result = _ingest(sandbox, cli, scheduler,
                     sources=_source("gridded.asc", crs="EPSG:32619"))
    assert_clean_error(result, 1, "gridded.asc", "lie on a grid", "kind: points", *needles)
    assert sandbox.untouched()


def test_control_an_xyz_grid_of_one_value_column_is_a_raster(sandbox: Sandbox, cli,
                                                             scheduler: str) -> None:
    """Control: ``x y heat`` on every cell is a grid, read exactly."""
    _xyz(sandbox.root / "gridded.asc", "x y heat", 3)
    result = _ingest(sandbox, cli, scheduler,
                     sources=_source("gridded.asc", crs="EPSG:32619"))
    assert result.code == 0, result.err[-3000:]
    np.testing.assert_allclose(_cube(sandbox), VALUES, atol=1e-3)


# --- an empty file ------------------------------------------------------------------------------

@pytest.mark.parametrize("where", ["file", "zip-member"])
def test_an_empty_raster_file_is_named_empty(sandbox: Sandbox, cli, scheduler: str,
                                             where: str) -> None:
    """Before: a 0-byte GeoTIFF (a download that stopped) was "cannot read as a raster
    (corrupt, truncated or not a raster): not recognized as being in a supported file
    format", which sent the user looking for a driver."""
    if where == "file":
        (sandbox.root / "heat.tif").write_bytes(b"")
        path = "heat.tif"
    else:
        with zipfile.ZipFile(sandbox.root / "grids.zip", "w") as archive:
            archive.writestr("heat.tif", b"")
        path = f"/vsizip/{sandbox.root / 'grids.zip'}/heat.tif"
    result = _ingest(sandbox, cli, scheduler, sources=_source(path))
    assert_clean_error(result, 1, "heat.tif", "empty (0 bytes)", "download or copy it again")
    assert sandbox.untouched()


# --- NetCDF coordinates, dimensions and grid mappings -------------------------------------------

def _cf_netcdf(path: Path, data: np.ndarray, *, dims: tuple[str, ...] = ("y", "x"),
               units: str = "m", wkt: bool = True, mapping: str | None = "crs",
               mapping_variable: bool = True, lonlat: bool = False) -> Path:
    """A NetCDF-3 file of one variable ``heat`` on the tiny region's grid (or a 0.0001
    degree lon/lat grid), its coordinates in ``units``, its CRS stated in a variable
    ``crs`` as ``crs_wkt`` or as CF transverse-Mercator parameters alone (``wkt=False``);
    ``mapping`` is its ``grid_mapping`` attribute (``None``: none)."""
    import rasterio.crs
    from scipy.io import netcdf_file

    ds = netcdf_file(str(path), "w", version=2)
    scale = 1000.0 if units == "km" else 1.0
    for dim in dims:
        ds.createDimension(dim, data.shape[dims.index(dim)])
    x = ds.createVariable("x", "f8", ("x",))
    y = ds.createVariable("y", "f8", ("y",))
    if lonlat:
        x[:] = -69 + 0.00005 + 0.0001 * np.arange(40)
        y[:] = 12.204 - 0.00005 - 0.0001 * np.arange(40)
        x.units, y.units = "degrees_east", "degrees_north"
    else:
        x[:] = (X0 + 5 + 10 * np.arange(40)) / scale
        y[:] = (Y0 + 395 - 10 * np.arange(40)) / scale
        x.standard_name, y.standard_name = "projection_x_coordinate", "projection_y_coordinate"
        x.units = y.units = units
    if "time" in dims:
        t = ds.createVariable("time", "f8", ("time",))
        t[:] = np.arange(data.shape[dims.index("time")])
        t.units = "days since 2020-01-01"
    var = ds.createVariable("heat", "f4", dims)
    if mapping is not None:
        var.grid_mapping = mapping
    if mapping is not None and mapping_variable:
        crs = ds.createVariable("crs", "i4", ())
        if wkt:
            crs.crs_wkt = rasterio.crs.CRS.from_epsg(32619).to_wkt()
        crs.grid_mapping_name = "transverse_mercator"
        crs.longitude_of_central_meridian, crs.latitude_of_projection_origin = -69.0, 0.0
        crs.scale_factor_at_central_meridian = 0.9996
        crs.false_easting, crs.false_northing = 500000.0, 0.0
        crs.semi_major_axis, crs.inverse_flattening = 6378137.0, 298.257223563
    var[:] = data
    ds.close()
    return path


def test_netcdf_coordinates_in_km_of_a_crs_in_metres_are_refused(
        sandbox: Sandbox, cli, scheduler: str) -> None:
    """Before: x/y in ``km`` beside a ``crs_wkt`` in metres were placed by GDAL as metres
    (the grid 1000 times too small, at 500 m easting), and the run said "none of its
    files overlap the region"."""
    _cf_netcdf(sandbox.root / "heat.nc", VALUES, units="km")
    result = _ingest(sandbox, cli, scheduler, sources=_source("heat.nc"))
    assert_clean_error(result, 1, "heat.nc", "states units 'km'", "measures in 'metre'",
                       "ncap2")


def test_netcdf_coordinates_in_km_gdal_converts_are_read(sandbox: Sandbox, cli,
                                                         scheduler: str) -> None:
    """Before: x/y in ``km`` of a CF transverse-Mercator mapping, which GDAL converts to
    the CRS's metres, were compared unconverted with GDAL's grid and the file refused as
    "its x coordinates are not evenly spaced". Now read, every cell in its place."""
    _cf_netcdf(sandbox.root / "heat.nc", VALUES, units="km", wkt=False)
    result = _ingest(sandbox, cli, scheduler, sources=_source("heat.nc", crs="EPSG:32619"))
    assert result.code == 0, result.err[-3000:]
    np.testing.assert_array_equal(_cube(sandbox), VALUES)


@pytest.mark.parametrize("steps", [3, 1])
def test_a_netcdf_variable_with_a_dimension_after_x_is_refused_naming_the_order(
        sandbox: Sandbox, cli, scheduler: str, steps: int) -> None:
    """Before: a variable stored (y, x, time), as some MATLAB and Fortran exports write it,
    was refused as "its x/y coordinate variables are not evenly spaced" (GDAL took x and
    time as the grid and each row as a band)."""
    data = np.stack([VALUES + 1000 * k for k in range(steps)], axis=-1)
    _cf_netcdf(sandbox.root / "heat.nc", data, dims=("y", "x", "time"))
    result = _ingest(sandbox, cli, scheduler, sources=_source("heat.nc"))
    assert_clean_error(result, 1, "heat.nc", "'y' dimension", "not one of its last two",
                       "ncpdq -a time,y,x")


@pytest.mark.parametrize(("mapping", "needles"), [
    (None, ["no 'grid_mapping' attribute", "crs: 'EPSG:4326'"]),
    ("crs", ["names 'crs', a variable the file does not hold"]),
], ids=["no-grid-mapping", "grid-mapping-of-no-variable"])
def test_a_netcdf_without_a_grid_mapping_says_so(sandbox: Sandbox, cli, scheduler: str,
                                                 mapping: str | None,
                                                 needles: list[str]) -> None:
    """Before: "the raster has no CRS GDAL can read (it may sit in a non-standard
    attribute)" of a lon/lat variable without ``grid_mapping``, or one naming a variable
    the file lacks. Control: with ``crs:`` the same file reads."""
    from .test_inputs_round11 import _lonlat_region

    _cf_netcdf(sandbox.root / "heat.nc", VALUES, lonlat=True, mapping=mapping,
               mapping_variable=False)
    region = _lonlat_region(-69.0, 12.2)
    result = _ingest(sandbox, cli, scheduler, region=region, sources=_source("heat.nc"))
    assert_clean_error(result, 1, "heat.nc", "no CRS GDAL can read", *needles)
    result = _ingest(sandbox, cli, scheduler, region=region,
                     sources=_source("heat.nc", crs="EPSG:4326"))
    assert result.code == 0, result.err[-3000:]
    np.testing.assert_allclose(_cube(sandbox), VALUES, rtol=1e-6)


# --- a multi-page TIFF --------------------------------------------------------------------------

def _pages(path: Path, sizes: list[int]) -> Path:
    """A multi-page float32 TIFF (Pillow) placed by a world file on the tiny grid: page k
    of ``sizes[k]`` x ``sizes[k]`` cells holding :data:`VALUES` + 1000 k."""
    from PIL import Image

    images = [Image.fromarray(np.ascontiguousarray((VALUES + 1000 * k)[:n, :n]), mode="F")
              for k, n in enumerate(sizes)]
    images[0].save(path, save_all=True, append_images=images[1:])
    path.with_suffix(".tfw").write_text(f"10\n0\n0\n-10\n{X0 + 5}\n{Y0 + 395}\n")
    return path


def test_a_multi_page_tiff_of_several_grids_is_refused(sandbox: Sandbox, cli,
                                                       scheduler: str) -> None:
    """Before: a TIFF of three 40 x 40 pages (a layer each, as ImageJ and some instruments
    stack them) was read as its first page, the other two left out, exit 0, no word."""
    _pages(sandbox.root / "heat.tif", [40, 40, 40])
    result = _ingest(sandbox, cli, scheduler, sources=_source("heat.tif", crs="EPSG:32619"))
    assert_clean_error(result, 1, "heat.tif", "a TIFF of 3 pages", "pages 1, 2, 3",
                       "GTIFF_DIR:2:heat.tif", "gdalbuildvrt -separate")
    assert sandbox.untouched()


def test_control_a_tiff_with_a_preview_page_reads_its_grid(sandbox: Sandbox, cli,
                                                          scheduler: str) -> None:
    """Control: a second page of another size (a preview) is no layer: the grid reads."""
    _pages(sandbox.root / "heat.tif", [40, 8])
    result = _ingest(sandbox, cli, scheduler, sources=_source("heat.tif", crs="EPSG:32619"))
    assert result.code == 0, result.err[-3000:]
    np.testing.assert_array_equal(_cube(sandbox), VALUES)


# --- scales of 0 and coefficients that are no numbers -------------------------------------------

@pytest.mark.parametrize(("kind", "coefficients", "needles"), [
    ("geotiff", {"scale": 0.0}, ["states scale 0", "every cell as 0", "gdal_edit.py -scale"]),
    ("netcdf", {"scale_factor": np.float32(0.0)},
     ["states scale 0", "ncatted -O -a scale_factor,heat,o,f"]),
    ("netcdf", {"scale_factor": np.float32(np.nan)}, ["states scale nan"]),
    ("netcdf", {"add_offset": np.float32(np.inf)}, ["states offset inf", "add_offset,heat"]),
], ids=["geotiff-scale-0", "netcdf-scale-0", "netcdf-scale-nan", "netcdf-offset-inf"])
def test_a_scale_of_0_or_a_coefficient_that_is_no_number_is_refused(
        sandbox: Sandbox, cli, scheduler: str, kind: str, coefficients: dict[str, Any],
        needles: list[str]) -> None:
    """Before: a band scale of 0 (``gdal_edit.py -scale 0``, a packing's ``scale_factor``
    written as 0) read every cell as the offset, a constant layer, exit 0; a NaN or
    infinite ``scale_factor``/``add_offset`` was "the attribute is text, not a number"
    and told to write it as ``nan``."""
    raw = np.round(VALUES * 100).astype("i2")
    if kind == "geotiff":
        import rasterio

        path = _write(sandbox.root / "heat.tif", raw)
        with rasterio.open(path, "r+") as dst:
            dst.scales = (coefficients["scale"],)
        name = "heat.tif"
    else:
        _netcdf(sandbox.root / "heat.nc", raw, dtype="i2", attrs=coefficients)
        name = "heat.nc"
    result = _ingest(sandbox, cli, scheduler, sources=_source(name))
    assert_clean_error(result, 1, name, "band 1", "no measurement would survive", *needles)
    assert sandbox.untouched()



@pytest.mark.realdata
def test_a_crs_in_an_attribute_gdal_does_not_read_is_named_with_its_code(
        shared_data: Path) -> None:
    """Real data: the Patagonia Sentinel-2 NetCDF states its CRS only as the variable
    attribute ``crs = '+init=epsg:32719'`` (xarray's older way). Before: "it may sit in a
    non-standard attribute"; now the attribute and the code to give are named."""
    from prospect.errors import CRSError
    from prospect.io.raster import raster_info

    path = shared_data / "sentinel2_patagonia_xrspatial" / "blue_band.nc"
    with pytest.raises(CRSError) as caught:
        raster_info(path)
    said = str(caught.value)
    for needle in ("no 'grid_mapping' attribute", "'+init=epsg:32719'", "crs: 'EPSG:32719'"):
        assert needle in said, said


# --- CF class codes ----------------------------------------------------------------------------

GEOLOGY = {"flag_values": np.array([1, 2, 3, 4], dtype="i2"),
           "flag_meanings": "granite basalt shale sandstone"}


def test_a_netcdf_of_cf_flag_values_is_refused_as_continuous_values(
        sandbox: Sandbox, cli, scheduler: str) -> None:
    """Before: a geology NetCDF whose variable states CF ``flag_values`` and
    ``flag_meanings`` (1 granite ... 4 sandstone) was read as continuous values by default
    and resampled bilinear onto a coarser region: codes 1 and 3 became 2 (basalt) between
    them, exit 0, no word (a GeoTIFF's colour table or ``LAYER_TYPE=thematic`` was
    refused so since round 12)."""
    _netcdf(sandbox.root / "heat.nc", (VALUES // 25 + 1).astype("i2"), dtype="i2",
            attrs=GEOLOGY)
    region = {**TINY_REGION, "resolution": 20.0}
    result = _ingest(sandbox, cli, scheduler, region=region, sources=_source("heat.nc"))
    assert_clean_error(result, 1, "heat.nc", "CF flag_values (1 granite, 2 basalt",
                       "values: categorical")
    assert sandbox.untouched()


def test_cf_flag_meanings_are_the_code_table_of_a_categorical_layer(
        sandbox: Sandbox, cli, scheduler: str) -> None:
    """Before: with ``values: categorical`` the codes read, but the variable recorded no
    code table (``flag_meanings`` dropped), so a model trained on it could not tell
    another survey's codes; now they are its ``categories``, as a GeoTIFF's attribute
    table is."""
    import json

    import xarray as xr

    codes = (VALUES // 25 + 1).astype("i2")
    _netcdf(sandbox.root / "heat.nc", codes, dtype="i2", attrs=GEOLOGY)
    result = _ingest(sandbox, cli, scheduler,
                     sources=_source("heat.nc", values="categorical"))
    assert result.code == 0, result.err[-3000:]
    variable = xr.open_zarr(sandbox.out / "cube.zarr")["heat"]
    assert json.loads(variable.attrs["categories"]) == {
        "1": "granite", "2": "basalt", "3": "shale", "4": "sandstone"}
    np.testing.assert_array_equal(variable.values, codes)



# --- a netCDF file cut short ----------------------------------------------------------------------

@pytest.mark.parametrize(("kept", "needle"), [
    (0.75, "header places its variables' values up to byte"),
    (0.999, "header places its variables' values up to byte"),
    (0.05, "cut short within its header"),
], ids=["three-quarters", "all-but-9-bytes", "within-the-header"])
def test_a_netcdf_file_cut_short_is_named_so(sandbox: Sandbox, cli, scheduler: str,
                                            kept: float, needle: str) -> None:
    """Before: a netCDF-3 file cut short (a download that stopped) opened, and was refused
    as "its geotransform ... gives its cells no area" (three quarters kept) or "its x/y
    coordinate variables are not evenly spaced" (all but its last 9 bytes), or "not
    recognized as being in a supported file format" (cut in its header): each sent the
    user to fix a grid or a driver, not to download the file again."""
    whole = _netcdf(sandbox.root / "whole.nc", VALUES).read_bytes()
    (sandbox.root / "heat.nc").write_bytes(whole[:int(len(whole) * kept)])
    (sandbox.root / "whole.nc").unlink()
    result = _ingest(sandbox, cli, scheduler, sources=_source("heat.nc"))
    assert_clean_error(result, 1, "heat.nc", "cut short", needle, "download or copy it again")
    assert sandbox.untouched()


# --- CF bounds written the wrong way round -----------------------------------------------------

@pytest.mark.parametrize(("bounds", "needles"), [
    ({"valid_range": np.array([100, 0], dtype="f4")},
     ["valid_range 100, 0", "-a valid_range,heat,o,f,'0,100'"]),
    ({"valid_min": np.float32(100), "valid_max": np.float32(0)},
     ["valid_min 100 and valid_max 0", "-a valid_min,heat,o,f,0 -a valid_max,heat,o,f,100"]),
], ids=["valid_range", "valid_min-valid_max"])
def test_cf_bounds_with_the_minimum_above_the_maximum_are_refused(
        sandbox: Sandbox, cli, scheduler: str, bounds: dict[str, Any],
        needles: list[str]) -> None:
    """Before: a ``valid_range`` of 100, 0 (written max first) was ignored by GDAL, so the
    -9999 fill it was meant to keep out was ingested as values; ``valid_min`` 100 above
    ``valid_max`` 0 was applied by Prospect, and every cell dropped: an empty layer, exit
    0, with a warning that did not say why."""
    data = VALUES.copy()
    data[:4] = -9999
    _netcdf(sandbox.root / "heat.nc", data, attrs=bounds)
    result = _ingest(sandbox, cli, scheduler, sources=_source("heat.nc"))
    assert_clean_error(result, 1, "heat.nc", "'heat'", "a minimum above its maximum",
                       *needles)
    assert sandbox.untouched()


# --- an .aux.xml older than its file ----------------------------------------------------------

def test_an_aux_xml_older_than_its_file_is_said(sandbox: Sandbox, cli,
                                                scheduler: str) -> None:
    """Before: a magnetic grid exported again over its old name, beside the ``.aux.xml``
    QGIS wrote for the old one (nodata 0), was read with that nodata: its new 0 nT cells
    became no data, exit 0, no word. GDAL applies an ``.aux.xml`` to whatever file lies
    beside it, so one older than the file is now named with what it states and the fix."""
    import os

    path = _write(sandbox.root / "heat.tif", VALUES)
    aux = sandbox.root / "heat.tif.aux.xml"
    aux.write_text('<PAMDataset><PAMRasterBand band="1"><NoDataValue>0</NoDataValue>'
                   "</PAMRasterBand></PAMDataset>")
    day = 86400.0
    os.utime(aux, (path.stat().st_mtime - 3 * day, path.stat().st_mtime - 3 * day))
    result = _ingest(sandbox, cli, scheduler, sources=_source("heat.tif"))
    assert result.code == 0, result.err[-3000:]
    said = " ".join(_notes(sandbox))
    for needle in ("heat.tif.aux.xml beside it is 3 days older than the file",
                   "applies the nodata it states", "remove heat.tif.aux.xml"):
        assert needle in said, said
    os.utime(aux)  # written after the file: what the user set on purpose, no word
    sandbox.out = sandbox.root / "again"
    result = _ingest(sandbox, cli, scheduler, sources=_source("heat.tif"))
    assert result.code == 0, result.err[-3000:]
    assert "aux.xml" not in " ".join(_notes(sandbox))
