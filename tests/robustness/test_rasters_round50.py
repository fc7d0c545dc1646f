"""Round 50: survey rasters (RD New bound to WGS 84 resampled, a cell size without its
unit, units said in a description's other words, a nested VRT's own nodata text, a
degree sign written with a look-alike).

An RD New raster whose CRS is the PROJ string GDAL long wrote for it (``+proj=sterea ...
+ellps=bessel +towgs84=565.417,...``, a PROJ bound CRS) was taken onto an EPSG:28992
region through WGS 84 and back, a shift of about 1e-5 of a cell: a grid on the region's
own lattice was resampled (1.0000064 for 1), without a word. A layer's provenance
``source_resolution`` was a number in the file's CRS units without the unit (10 for a
10 ft EPSG:2227 grid, 0.0025 for a grid in degrees). A band description naming its unit
after a comma, the word ``in`` or a space (``Heat flow, mW/m2``, ``Heat flow in mW/m2``,
``Heat flow mW/m²``), and a netCDF variable's ``long_name`` naming one in any form, were
recorded as ``1`` without a word, while ``Survey (2020)`` was warned as the unit
``2020``. A nested VRT's own ``<NoDataValue>None</NoDataValue>`` (or ``nan `` with a
space after the word), which GDAL reads as 0, dropped the source's cells of 0 through an
outer ComplexSource's ``<UseMaskBand>``, exit 0, without a word. A band stating ``˚C``
(the ring above) under ``units: °C`` was warned of as other units.

Found by ``plan_raster``, reads of the planned layer on the tiny region (and on small
RD New, EPSG:2227, geographic and UTM 48N regions), and an in-process ``prospect
ingest`` on the corpus's shared loopback cluster, of SYNTHETIC GeoTIFFs, netCDF files and
VRTs written with rasterio and scipy (2026-12-06).
Every file here is small and SYNTHETIC.
"""

from __future__ import annotations

import shlex
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
import xarray as xr
from rasterio.transform import from_origin

from .conftest import Sandbox
from .test_rasters_round16 import X0, Y0, _write
from .test_rasters_round31 import _read
from .test_rasters_round48 import HEAT, _nc, _plan
from .test_rasters_round49 import _described

# --- RD New stated as a PROJ string bound to WGS 84 ----------------------------------------

RD_PARAMS = (
    "+proj=sterea +lat_0=52.1561605555556 +lon_0=5.38763888888889 +k=0.9999079 "
    "+x_0=155000 +y_0=463000 +ellps=bessel +units=m +no_defs"
)
RD_BOUNDS = (100000.0, 400000.0, 100400.0, 400400.0)
GRADIENT = (np.arange(1600, dtype="float32").reshape(40, 40) % 40 + 1).astype("float32")
"""SYNTHETIC: 1 to 40 along each row, a cell's column + 1."""


def _on(crs: str, bounds: tuple[float, float, float, float], resolution: float = 10.0) -> Any:
    """A 40 x 40 region grid in ``crs`` over ``bounds``."""
    from prospect.grid import RegionGrid

    return RegionGrid(name="r50", crs=crs, resolution=resolution, bounds=bounds, chunks=(20, 20))


def _layer(path: Path, grid: Any, **source: Any) -> tuple[Any, np.ndarray]:
    """The first layer of a raster source of ``path`` on ``grid``, and its values."""
    from prospect.config.sources import RasterSource
    from prospect.ingest.rasters import plan_raster

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        layers = plan_raster(RasterSource(name="grid", path=str(path), **source), grid)
    out = np.full(grid.shape, np.nan, "f4")
    for window in grid.chunk_windows():
        out[window.rows, window.cols] = layers[0].compute(grid, window)
    return layers[0], out


def _gridded(path: Path, crs: str, bounds: tuple[float, float, float, float]) -> Path:
    """:data:`GRADIENT` as a float32 GeoTIFF in ``crs``, on ``bounds``' 10 m lattice."""
    return _write(path, GRADIENT, crs=crs, transform=from_origin(bounds[0], bounds[3], 10, 10))


@pytest.mark.parametrize(
    "towgs84",
    [
        "565.417,50.3319,465.552,-0.398957,0.343988,-1.8774,4.0725",
        "565.4171,50.3319,465.5524,-0.398957,0.343988,-1.87740,4.0725",
        "565.2369,50.0087,465.658,-0.406857,0.350733,-1.87035,4.0812",
    ],
    ids=["gdal-epsg-28992", "r-meuse", "older-parameters"],
)
def test_an_rd_new_proj_string_bound_to_wgs84_is_read_on_the_regions_grid(
    tmp_path: Path, towgs84: str
) -> None:
    """Before: an RD New raster stated as a PROJ string with ``+towgs84`` was warped onto
    an EPSG:28992 region through WGS 84 (a bound CRS), a shift of 1e-5 to 5e-4 of a
    cell: a grid on the region's own lattice read 1.0000064 for 1, without a word. Now
    it is read in the region's CRS, each cell its own number."""
    crs = f"{RD_PARAMS} +towgs84={towgs84}"
    path = _gridded(tmp_path / "rd.tif", crs, RD_BOUNDS)
    layer, out = _layer(path, _on("EPSG:28992", RD_BOUNDS), units="1")
    np.testing.assert_array_equal(out, GRADIENT)
    assert layer.settings["scenes"][0]["source_crs"] == "EPSG:28992"


def test_an_rd_new_proj_string_given_as_crs_is_read_on_the_regions_grid(
    tmp_path: Path,
) -> None:
    """Before: a grid without a CRS given ``crs:`` as RD New's PROJ string with
    ``+towgs84`` (as the meuse data's R docs state it) was resampled the same way. Now it
    reads its own numbers."""
    path = _write(
        tmp_path / "g.tif",
        GRADIENT,
        crs=None,
        transform=from_origin(RD_BOUNDS[0], RD_BOUNDS[3], 10, 10),
    )
    crs = f"{RD_PARAMS} +towgs84=565.417,50.3319,465.552,-0.398957,0.343988,-1.8774,4.0725"
    _, out = _layer(path, _on("EPSG:28992", RD_BOUNDS), units="1", crs=crs)
    np.testing.assert_array_equal(out, GRADIENT)


def test_an_rd_new_region_bound_to_wgs84_reads_an_epsg_28992_file_on_its_grid(
    tmp_path: Path,
) -> None:
    """Before: a region whose CRS is RD New's PROJ string with ``+towgs84`` read a file in
    EPSG:28992 on its own lattice shifted the same way (1.000012 for 1). Now the file
    reads its own numbers."""
    crs = f"{RD_PARAMS} +towgs84=565.417,50.3319,465.552,-0.398957,0.343988,-1.8774,4.0725"
    path = _gridded(tmp_path / "rd.tif", "EPSG:28992", RD_BOUNDS)
    _, out = _layer(path, _on(crs, RD_BOUNDS), units="1")
    np.testing.assert_array_equal(out, GRADIENT)


def test_an_rd_new_proj_string_bound_to_wgs84_is_read_by_ingest(
    sandbox: Sandbox, cli: Any, scheduler: str
) -> None:
    """Before: ``prospect ingest`` onto an RD New region wrote 1.0000064 for the file's
    1, exit 0. Now the cube holds the file's numbers."""
    crs = f"{RD_PARAMS} +towgs84=565.417,50.3319,465.552,-0.398957,0.343988,-1.8774,4.0725"
    _gridded(sandbox.root / "rd.tif", crs, RD_BOUNDS)
    region = {
        "name": "rd",
        "crs": "EPSG:28992",
        "resolution": 10.0,
        "bounds": list(RD_BOUNDS),
        "chunks": [20, 20],
    }
    sandbox.write_job(
        region=region, sources=[{"kind": "raster", "name": "grid", "path": "rd.tif", "units": "1"}]
    )
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    text = " ".join((result.out + result.err).split())
    assert result.code == 0, text[-3000:]
    assert "Traceback" not in text
    cube = np.asarray(xr.open_zarr(sandbox.out / "cube.zarr")["grid"].values)
    np.testing.assert_array_equal(cube, GRADIENT)


def test_control_a_datum_of_its_own_bound_to_wgs84_is_still_warped(tmp_path: Path) -> None:
    """Control: VN-2000's parameters on WGS 84's ellipsoid (UTM 48N's projection) is
    another datum, 200 m away: onto a WGS 84 / UTM 48N region it is warped through WGS 84
    as before, the file's CRS recorded."""
    bounds = (500000.0, 2400000.0, 500400.0, 2400400.0)
    crs = (
        "+proj=utm +zone=48 +ellps=WGS84 +towgs84=-191.904,-39.303,-111.45,-0.00928836,"
        "0.01975479,-0.00427372,0.252906278 +units=m +no_defs"
    )
    wide = np.tile(np.arange(80, dtype="float32") + 1, (80, 1))
    path = _write(
        tmp_path / "vn.tif",
        wide,
        crs=crs,
        transform=from_origin(bounds[0] - 200, bounds[3] + 200, 10, 10),
    )
    layer, out = _layer(path, _on("EPSG:32648", bounds), units="1")
    assert layer.settings["scenes"][0]["source_crs"] != "EPSG:32648"
    shifted = out[:, :] - wide[20:60, 20:60]
    assert float(np.nanmax(np.abs(shifted))) > 5  # about 19.6 cells to the west


def test_control_an_rd_new_raster_in_epsg_28992_reads_as_before(tmp_path: Path) -> None:
    """Control: the same grid in EPSG:28992 reads its own numbers, recorded as before."""
    path = _gridded(tmp_path / "rd.tif", "EPSG:28992", RD_BOUNDS)
    layer, out = _layer(path, _on("EPSG:28992", RD_BOUNDS), units="1")
    np.testing.assert_array_equal(out, GRADIENT)
    assert layer.settings["scenes"][0]["source_crs"] == "EPSG:28992"


# --- a cell size recorded without its unit --------------------------------------------------


@pytest.mark.parametrize(
    ("crs", "bounds", "resolution", "unit"),
    [
        ("EPSG:2227", (6000000.0, 2000000.0, 6000400.0, 2000400.0), 10.0, "US survey foot"),
        ("EPSG:4326", (-68.3, 12.0, -68.2, 12.1), 0.0025, "degrees"),
    ],
    ids=["us-survey-feet", "degrees"],
)
def test_a_layers_source_resolution_records_its_unit(
    tmp_path: Path,
    crs: str,
    bounds: tuple[float, float, float, float],
    resolution: float,
    unit: str,
) -> None:
    """Before: the provenance recorded ``source_resolution`` 10 for a 10 ft EPSG:2227 grid
    (and 0.0025 for one in degrees) without a unit, easy to read as metres. Now the unit
    is recorded beside it, the number kept."""
    path = _write(
        tmp_path / "g.tif",
        HEAT,
        crs=crs,
        transform=from_origin(bounds[0], bounds[3], resolution, resolution),
    )
    layer, _ = _layer(path, _on(crs, bounds, resolution), units="1")
    scene = layer.settings["scenes"][0]
    assert scene["source_resolution"] == resolution
    assert scene["source_resolution_unit"] == unit


def test_control_a_source_resolution_in_metres_is_recorded_as_before(tmp_path: Path) -> None:
    """Control: a grid in metres records its cell size alone, as every cube so far."""
    layer, _ = _read(_write(tmp_path / "g.tif", HEAT), units="1")
    assert layer[0].settings["scenes"][0]["source_resolution"] == 10.0
    assert "source_resolution_unit" not in layer[0].settings["scenes"][0]


# --- a unit said in a description's other words, or in a netCDF long_name ------------------


@pytest.mark.parametrize(
    ("description", "unit"),
    [
        ("Heat flow, mW/m2", "mW/m2"),
        ("Heat flow in mW/m2", "mW/m2"),
        ("Heat flow mW/m²", "mW/m²"),
        ("Density in g/cm3", "g/cm3"),
        ("Depth to basement, m", "m"),
    ],
    ids=["comma", "in", "space-superscript", "in-compound", "comma-metres"],
)
def test_a_unit_said_in_other_words_in_a_description_is_warned(
    tmp_path: Path, description: str, unit: str
) -> None:
    """Before: a band stating no units whose description names one after a comma, the
    word ``in`` or, written in symbols, a space was recorded as ``1`` without a word (a
    unit in brackets alone was read). Now it warns as round 49's brackets do."""
    path = _described(tmp_path / "h.tif", description)
    layers, said = _plan(path)
    assert layers[0].units == "1"
    assert said == [
        f"{path}: band 1 states no units, but its description {description!r} names "
        f"{unit!r}; source 'heat' gives no 'units:', so the cube records '1' (no unit): if "
        f"the values are in {unit}, set 'units: {unit}' in source 'heat' (or state it in "
        f"the file: gdal_edit.py -units {shlex.quote(unit)} h.tif)"
    ], said


@pytest.mark.parametrize(
    "long_name",
    ["Heat flow (mW/m2)", "Heat flow in mW/m2", "Heat flow, mW/m2"],
    ids=["brackets", "in", "comma"],
)
def test_a_unit_said_in_a_netcdf_long_name_is_warned(tmp_path: Path, long_name: str) -> None:
    """Before: a netCDF variable without ``units`` whose ``long_name`` names one (GDAL
    gives a long_name as no band description) was recorded as ``1`` without a word. Now
    it warns, naming the long_name and the CF attribute to give."""
    path = _nc(tmp_path / "h.nc", long_name=long_name, _FillValue=np.float32(-9999))
    layers, said = _plan(path, crs="EPSG:32619")
    assert layers[0].units == "1"
    assert said == [
        f"{path}: band 1 states no units, but its long_name {long_name!r} names 'mW/m2'; "
        "source 'heat' gives no 'units:', so the cube records '1' (no unit): if the values "
        "are in mW/m2, set 'units: mW/m2' in source 'heat' (or state it in the file: give "
        'its variable the CF attribute units = "mW/m2")'
    ], said


@pytest.mark.parametrize(
    ("description", "said"),
    [("Survey (2020)", "2020"), ("Heat flow (N/A)", "N/A")],
    ids=["year-in-brackets", "n-a-in-brackets"],
)
def test_a_year_or_na_in_brackets_is_no_unit(tmp_path: Path, description: str, said: str) -> None:
    """Before: ``Survey (2020)`` was warned as naming the unit '2020' (a number, no
    symbol) and ``Heat flow (N/A)`` as naming 'N/A' (read as newtons per ampere), each
    with a ``units:`` to set that would have recorded it. Now neither says a word."""
    layers, warned = _plan(_described(tmp_path / "h.tif", description))
    assert layers[0].units == "1"
    assert not any(f"names {said!r}" in w for w in warned), warned
    assert warned == [], warned


@pytest.mark.parametrize(
    "description",
    [
        "Band 4, Red",
        "Potassium, K",
        "Elevation min",
        "Elevation, min",
        "SRTM DEM 30m",
        "Gravity survey 2020",
        "Landsat 8 B4",
        "Class 1, Granite",
        "Ratio K/Th",
        "Heat flow [mW m-2]",
    ],
    ids=[
        "band-name",
        "element-after-comma",
        "statistic-word",
        "statistic-after-comma",
        "resolution",
        "year",
        "band-code",
        "class-name",
        "element-ratio",
        "brackets-as-before",
    ],
)
def test_control_a_description_naming_no_unit_says_nothing(
    tmp_path: Path, description: str
) -> None:
    """Control: a band's or class's name, an element's symbol, a statistic's word
    (``min``: not minutes), a year, a resolution or a ratio of elements after a comma or
    a space says nothing; a unit in brackets is warned as before (its own case)."""
    layers, said = _plan(_described(tmp_path / "h.tif", description))
    assert layers[0].units == "1"
    if description.endswith("]"):
        assert len(said) == 1 and "names 'mW m-2'" in said[0], said
    else:
        assert said == [], said


def test_control_a_netcdf_long_name_under_units_says_nothing(tmp_path: Path) -> None:
    """Control: a netCDF variable stating ``units`` records them, whatever its
    long_name says, without a word."""
    path = _nc(
        tmp_path / "h.nc",
        long_name="Heat flow in mW/m2",
        units="mW/m2",
        _FillValue=np.float32(-9999),
    )
    layers, said = _plan(path, crs="EPSG:32619")
    assert said == []
    assert layers[0].units == "mW/m2"


# --- a nested VRT's own <NoDataValue> that GDAL reads as 0 ----------------------------------


def _nested(
    folder: Path,
    text: str,
    kind: str = "ComplexSource",
    more: str = "<UseMaskBand>true</UseMaskBand>",
) -> Path:
    """``v.vrt`` (nodata -9999) of ``inner.vrt`` (its band's ``<NoDataValue>`` ``text``)
    of ``s.tif`` (SYNTHETIC heat flow, rows 5-9 of 0), the outer source a ``kind``
    (``more`` in it)."""
    data = HEAT.copy()
    data[5:10] = 0
    _write(folder / "s.tif", data)
    grid = (
        f'<VRTDataset rasterXSize="40" rasterYSize="40"><SRS>EPSG:32619</SRS>'
        f"<GeoTransform>{X0}, 10, 0, {Y0 + 400}, 0, -10</GeoTransform>"
    )
    (folder / "inner.vrt").write_text(
        f'{grid}<VRTRasterBand dataType="Float32" band="1"><NoDataValue>{text}</NoDataValue>'
        '<SimpleSource><SourceFilename relativeToVRT="1">s.tif</SourceFilename>'
        "<SourceBand>1</SourceBand></SimpleSource></VRTRasterBand></VRTDataset>"
    )
    path = folder / "v.vrt"
    path.write_text(
        f'{grid}<VRTRasterBand dataType="Float32" band="1"><NoDataValue>-9999</NoDataValue>'
        f'<{kind}><SourceFilename relativeToVRT="1">inner.vrt</SourceFilename>'
        f"<SourceBand>1</SourceBand>{more}</{kind}></VRTRasterBand></VRTDataset>"
    )
    return path


NAN_FIX = (
    ", NaN with a space or line break after the word, which GDAL reads as nodata 0: "
    "every cell of 0 would be dropped as no data; write the word alone, with nothing "
    "around it (<NoDataValue>nan</NoDataValue>)"
)
WORD_FIX = (
    " where a number is meant, and GDAL reads a word as nodata 0: every cell of 0 "
    "would be dropped as no data; state the nodata the file was written with"
)


@pytest.mark.parametrize(
    ("text", "said", "fix"),
    [
        ("nan ", "'nan '", NAN_FIX),
        ("\n      nan\n    ", "'\\n      nan\\n    '", NAN_FIX),
        ("None", "'None'", WORD_FIX),
        ("NA", "'NA'", WORD_FIX),
    ],
    ids=["nan-space", "nan-pretty-printed", "None", "NA"],
)
def test_a_nested_vrts_own_nodata_gdal_reads_as_zero_is_refused(
    tmp_path: Path, text: str, said: str, fix: str
) -> None:
    """Before: ``inner.vrt``'s ``<NoDataValue>None</NoDataValue>`` (or ``nan `` with a
    space after the word), which GDAL reads as 0, masked the source's 200 cells of 0
    through the outer ComplexSource's ``<UseMaskBand>``: dropped as no data, exit 0,
    without a word (only a nested VRT's sources' ``<NODATA>`` were read). Now it is
    refused, naming the nested VRT, its text and the fix."""
    from prospect.errors import DataError

    path = _nested(tmp_path, text)
    with pytest.raises(DataError) as caught:
        _read(path, units="mW/m2")
    message = str(caught.value)
    assert message.startswith(f"{path}: inner.vrt's <NoDataValue> of band 1 states {said}"), message
    assert fix in message, message


def test_a_nested_vrts_own_nodata_read_as_zero_names_it_not_zero(tmp_path: Path) -> None:
    """Before: through an outer SimpleSource the same VRT was refused as "its source
    inner.vrt states nodata 0", a number no file states, with a fix that, followed, was
    refused in turn. Now the nested VRT's text is named. (Round 53: where the nested
    band has cells of no source, which GDAL fills with its nodata: a band covered whole
    is read, its cells of 0 copied as values by the SimpleSource.)"""
    from prospect.errors import DataError

    path = _nested(tmp_path, "None", kind="SimpleSource", more="")
    inner = tmp_path / "inner.vrt"
    inner.write_text(
        inner.read_text().replace(
            "<SourceBand>1</SourceBand>",
            '<SourceBand>1</SourceBand><DstRect xOff="0" yOff="0" xSize="40" ySize="20"/>',
        )
    )
    with pytest.raises(DataError) as caught:
        _read(path, units="mW/m2")
    assert "inner.vrt's <NoDataValue> of band 1 states 'None'" in str(caught.value)
    assert "states nodata 0" not in str(caught.value)


def test_a_nested_vrts_own_nodata_read_as_zero_is_refused_by_ingest(
    sandbox: Sandbox, cli: Any, scheduler: str
) -> None:
    """Before: ``prospect ingest`` of that VRT exited 0 with a cube whose cells of 0 were
    no data. Now it exits 1 with one ``error:`` line, and writes no cube."""
    from .conftest import assert_clean_error

    _nested(sandbox.root, "nan ")
    sandbox.write_job(
        sources=[{"kind": "raster", "name": "heat", "path": "v.vrt", "units": "mW/m2"}]
    )
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert_clean_error(
        result,
        1,
        "v.vrt",
        "inner.vrt's <NoDataValue> of band 1",
        "'nan '",
        "<NoDataValue>nan</NoDataValue>",
    )
    assert not (sandbox.out / "cube.zarr").exists()
    assert sandbox.untouched()


@pytest.mark.parametrize(
    ("text", "dropped"), [("nan", 0), ("0", 200), ("-9999", 0)], ids=["nan-alone", "zero", "fill"]
)
def test_control_a_nested_vrts_own_nodata_stated_as_read_is_read(
    tmp_path: Path, text: str, dropped: int
) -> None:
    """Control: a nested VRT's ``<NoDataValue>`` GDAL reads as it is written drops the
    cells it states: NaN alone none of the cells of 0, a stated 0 all of them."""
    _, out = _read(_nested(tmp_path, text), units="mW/m2")
    assert int(np.isnan(out).sum()) == dropped
    assert int((out == 0).sum()) == 200 - dropped
    np.testing.assert_allclose(out[10:], HEAT[10:])


def test_control_a_band_described_and_stating_its_unit_reads_as_before(tmp_path: Path) -> None:
    """Control: a band stating ``mW/m2`` as its unit, described ``Heat flow, mW/m2``,
    records ``mW/m2`` without a word."""
    path = _described(tmp_path / "h.tif", "Heat flow, mW/m2")
    with rasterio.open(path, "r+") as dst:
        dst.units = ("mW/m2",)
    layers, said = _plan(path)
    assert said == []
    assert layers[0].units == "mW/m2"


# --- a degree sign written with a look-alike character --------------------------------------


@pytest.mark.parametrize(
    ("stated", "configured"),
    [("˚C", "°C"), ("˚F", "degF"), ("ᵒC", "degC"), ("W/m/˚C", "W m-1 K-1")],
    ids=["ring-above-C", "ring-above-F", "modifier-o-C", "ring-above-in-compound"],
)
def test_a_degree_written_with_a_look_alike_is_the_degree(
    tmp_path: Path, stated: str, configured: str
) -> None:
    """Before: a band stating ``˚C`` (the ring above, a Mac's option-k) or ``ᵒC`` under
    the config's ``units: °C`` was warned of as other units ("if the file is right, set
    'units: ˚C'"), and a cube recording one refused by a model trained on the other
    (``same_units`` False). Now the look-alike reads as the degree sign: no warning, the
    config's units recorded."""
    from prospect.registry.units import same_units

    from .test_rasters_round48 import _tif

    layers, said = _plan(_tif(tmp_path / "t.tif", stated), units=configured)
    assert said == [], said
    assert layers[0].units == configured
    assert same_units(stated, configured)


@pytest.mark.parametrize(
    ("stated", "configured", "warned"),
    [("˚C", "K", True), ("°C", "°C", False), ("ºC", "degC", False)],
    ids=["ring-above-C-beside-K", "degree-sign", "masculine-ordinal"],
)
def test_control_a_degree_look_alike_beside_another_unit_is_warned_as_before(
    tmp_path: Path, stated: str, configured: str, warned: bool
) -> None:
    """Control: ``˚C`` beside ``units: K`` is still another unit (warned); the degree
    sign and the masculine ordinal ``º`` (read by ingest before) say nothing."""
    from .test_rasters_round48 import _tif

    layers, said = _plan(_tif(tmp_path / "t.tif", stated), units=configured)
    assert layers[0].units == configured
    assert bool(said) is warned, said
