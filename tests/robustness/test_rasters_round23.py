"""Survey rasters in formats and places GDAL reads but Prospect read wrong or refused: an
ER Mapper ``.ers`` or Vexcel MFF grid (its header listed before its cells) refused as cut
short, a lon/lat grid on 0..360 longitudes under a region across 180 (half of it no data)
or west of 0 (refused where gdalwarp reads it), and an ESRI ASCII grid of whole numbers
beyond 32 bits (wrapped by GDAL's Int32 reading).

Found by writing geophysics, geochemistry and heat-flow grids with GDAL's own writers
(``gdal_translate -of ERS/MFF``), rasterio, scipy's netCDF writer and by hand into
``tmp_path``, feeding them to the real ``prospect ingest`` or to the planning functions,
and comparing the cube with ``gdalwarp``'s output of the same file (2026-12-03). Every file
here is small and SYNTHETIC.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from .conftest import Sandbox, assert_clean_error
from .test_point_tables import X0, Y0, _ingest
from .test_rasters_round15 import _cube, _source
from .test_rasters_round16 import _write

VALUES = (np.arange(1600, dtype="f4").reshape(40, 40) % 97) + 1
"""SYNTHETIC values of the tiny region's 40 x 40 cells."""

needs_gdal = pytest.mark.skipif(shutil.which("gdal_translate") is None,
                                reason="GDAL's command-line tools are not installed")


def _gdal(*args: str | Path) -> None:
    subprocess.run([str(a) for a in args], check=True, capture_output=True)


def _written_by_gdal(folder: Path, driver: str, name: str, *more: str) -> Path:
    """``VALUES`` written by GDAL's own ``driver`` writer as ``folder/name`` (SYNTHETIC)."""
    tif = _write(folder / "source.tif", VALUES)
    _gdal("gdal_translate", "-q", "-of", driver, *more, tif, folder / name)
    tif.unlink()
    return folder / name


# --- raw grids whose header GDAL lists first ---------------------------------------------------

@needs_gdal
@pytest.mark.parametrize(("driver", "name"), [("ERS", "grid.ers"), ("MFF", "grid.hdr")])
def test_a_raw_grid_whose_header_gdal_lists_first_reads(
        sandbox: Sandbox, cli, scheduler: str, driver: str, name: str) -> None:
    """Before: an ER Mapper grid (``grid.ers`` and its cells' file ``grid``, as
    ``gdal_translate -of ERS``, Geosoft and ER Mapper write them) or a Vexcel MFF grid
    (``grid.hdr`` and ``grid.r00``) was refused as "cut short": its data file
    ``grid.ers`` is 597 bytes, fewer than the 6400 its cells take (the check measured
    the header, the first file GDAL lists). Now it reads: the ER Mapper grid cell for
    cell, the MFF grid to GDAL's placing of it (MFF states its corners in lon/lat, so a
    UTM grid comes back placed to about a millimetre)."""
    _written_by_gdal(sandbox.root, driver, name)
    result = _ingest(sandbox, cli, scheduler, sources=_source(name))
    assert result.code == 0, result.err[-3000:]
    np.testing.assert_allclose(_cube(sandbox), VALUES, rtol=0,
                               atol=0 if driver == "ERS" else 1e-3)


@needs_gdal
@pytest.mark.parametrize(("driver", "name", "cut", "said"), [
    ("ERS", "grid.ers", "grid", "its data file grid is 3000 bytes, fewer than the 6400"),
    ("MFF", "grid.hdr", "grid.r01", "its data file grid.r01 is 3000 bytes, fewer than the 6400 "
                                    "its 40 x 40 cells of 1 band(s) take"),
], ids=["ers", "mff-second-band"])
def test_a_raw_grid_cut_short_names_the_file_of_its_cells(
        tmp_path: Path, driver: str, name: str, cut: str, said: str) -> None:
    """Before: an ER Mapper grid whose cells' file was cut short was refused naming its
    header's size ("grid.ers is 597 bytes"), and an MFF grid whose second band's file was
    cut short named the header too. Now the refusal names the file cut short, its size
    and what its cells take."""
    from prospect.errors import CorruptFileError
    from prospect.io.raster import raster_info

    more = ("-b", "1", "-b", "1") if driver == "MFF" else ()
    path = _written_by_gdal(tmp_path, driver, name, *more)
    with open(tmp_path / cut, "r+b") as fh:
        fh.truncate(3000)
    with pytest.raises(CorruptFileError, match="cut short") as caught:
        raster_info(path)
    assert said in str(caught.value)


# --- lon/lat grids on 0..360 longitudes --------------------------------------------------------

def _gdalwarp(path: Path, crs: str, bounds: tuple[float, ...], res: float) -> np.ndarray:
    """``gdalwarp``'s bilinear output of ``path`` on a grid (the reference client)."""
    import rasterio

    out = path.with_name(path.stem + "_gdalwarp.tif")
    _gdal("gdalwarp", "-q", "-overwrite", "-t_srs", crs, "-te", *map(str, bounds), "-tr",
          str(res), str(res), "-r", "bilinear", "-dstnodata", "nan", path, out)
    with rasterio.open(out) as src:
        return src.read(1)


@needs_gdal
@pytest.mark.parametrize("case", ["across-180", "west-of-0"])
def test_a_0_360_grid_reads_under_a_region_across_180_or_west_of_0_as_gdalwarp_does(
        sandbox: Sandbox, cli, scheduler: str, case: str) -> None:
    """Before: a heat-flow grid in lon/lat on 0..360 longitudes (as global NetCDF grids
    come) under a region in UTM 60S across the antimeridian (Fiji) read the file's part
    west of 180 and left the region's other 783 of 1 600 cells no data, exit 0, without a
    word (PROJ gives the region's longitudes as -179.8, left of the file); under a region
    in UTM 19N at -69 (291 in the file) it was refused ("shift the file to -180..180
    first"), where ``gdalwarp`` reads both. Now the cube holds gdalwarp's numbers, cell
    for cell."""
    from rasterio.transform import from_origin

    if case == "across-180":
        crs, bounds, res, cell = "EPSG:32760", (799000.0, 8098000.0, 839000.0, 8138000.0), \
            1000.0, 0.01
        west, north, shape = 179.0, -16.5, (100, 200)
    else:
        crs, bounds, res, cell = "EPSG:32619", (X0, Y0, X0 + 400, Y0 + 400), 10.0, 0.0001
        west, north, shape = 290.99, 12.22, (120, 160)
    lon = west + cell * (np.arange(shape[1]) + 0.5)
    lat = north - cell * (np.arange(shape[0]) + 0.5)
    heat = (lon[None, :] * 100 + lat[:, None]).astype("f4")  # SYNTHETIC: a ramp in longitude
    _write(sandbox.root / "heat360.tif", heat, crs="EPSG:4326",
           transform=from_origin(west, north, cell, cell))
    region = {"name": "tiny", "crs": crs, "resolution": res, "bounds": list(bounds),
              "chunks": [20, 20]}
    result = _ingest(sandbox, cli, scheduler, region=region,
                     sources=_source("heat360.tif", resampling="bilinear"))
    assert result.code == 0, result.err[-3000:]
    cube = _cube(sandbox)
    assert not np.isnan(cube).any()
    np.testing.assert_allclose(cube, _gdalwarp(sandbox.root / "heat360.tif", crs, bounds,
                                               res), rtol=0, atol=1e-3)


@needs_gdal
def test_control_a_0_360_grid_under_a_region_east_of_0_reads_as_before(tmp_path: Path) -> None:
    """Control: a 0..360 grid (170..190) under a region between 0 and 180 (UTM 60S at
    177 E) is read through the file's own CRS, as gdalwarp reads it."""
    from rasterio.transform import from_origin

    from prospect.config.sources import RasterSource
    from prospect.grid import ChunkWindow, RegionGrid
    from prospect.ingest.rasters import plan_raster

    lon = 170.0 + 0.05 * (np.arange(400) + 0.5)
    lat = -15.0 - 0.05 * (np.arange(60) + 0.5)
    heat = (lon[None, :] * 100 + lat[:, None]).astype("f4")  # SYNTHETIC: a ramp
    path = _write(tmp_path / "heat360.tif", heat, crs="EPSG:4326",
                  transform=from_origin(170.0, -15.0, 0.05, 0.05))
    bounds = (480000.0, 8000000.0, 520000.0, 8040000.0)
    grid = RegionGrid(name="t", crs="EPSG:32760", resolution=1000.0, bounds=bounds,
                      chunks=(40, 40))
    (layer,) = plan_raster(RasterSource(name="heat", path=str(path),
                                        resampling="bilinear"), grid)
    assert layer.refs[0].info.crs == "EPSG:4326"
    cube = layer.compute(grid, ChunkWindow(0, 0, slice(0, 40), slice(0, 40)))
    np.testing.assert_allclose(cube, _gdalwarp(path, "EPSG:32760", bounds, 1000.0),
                               rtol=0, atol=1e-3)


def test_control_a_grid_a_half_cell_over_180_under_a_region_west_of_0_reads_as_before(
        tmp_path: Path) -> None:
    """Control: a global grid on -180..180.25 (a half cell over 180) under a region at -69
    is read through the file's own CRS, every cell."""
    from rasterio.transform import from_origin

    from prospect.config.sources import RasterSource
    from prospect.grid import ChunkWindow
    from prospect.ingest.rasters import plan_raster

    from .test_rasters_round22 import _grid

    heat = np.tile(np.arange(721, dtype="f4"), (40, 1))  # SYNTHETIC: a ramp in longitude
    path = _write(tmp_path / "world.tif", heat, crs="EPSG:4326",
                  transform=from_origin(-180.25, 20.0, 0.5, 0.5))
    (layer,) = plan_raster(RasterSource(name="heat", path=str(path),
                                        resampling="nearest"), _grid())
    assert layer.refs[0].info.crs == "EPSG:4326"
    cube = layer.compute(_grid(), ChunkWindow(0, 0, slice(0, 40), slice(0, 40)))
    assert not np.isnan(cube).any()


# --- ESRI ASCII grids of whole numbers ----------------------------------------------------------

def _ascii_grid(path: Path, cells: np.ndarray, fmt: str = "%d") -> Path:
    """An ESRI ASCII grid of ``cells`` on the tiny region's grid (SYNTHETIC)."""
    rows = "\n".join(" ".join(fmt % v for v in row) for row in cells)
    path.write_text(f"ncols {cells.shape[1]}\nnrows {cells.shape[0]}\nxllcorner {X0}\n"
                    f"yllcorner {Y0}\ncellsize 10\nNODATA_value -9999\n{rows}\n")
    return path


def test_whole_numbers_beyond_32_bits_in_an_ascii_grid_are_refused(
        sandbox: Sandbox, cli, scheduler: str) -> None:
    """Before: an ESRI ASCII grid of whole numbers (no decimal point: GDAL reads it as
    Int32) holding 4 797 000 000 was ingested as 502 032 704 (GDAL wraps it), exit 0,
    without a word. Now refused naming the line, the number, what GDAL reads and the
    conversion that keeps it."""
    cells = np.arange(1600, dtype="i8").reshape(40, 40) * 3_000_000
    _ascii_grid(sandbox.root / "counts.asc", cells)
    result = _ingest(sandbox, cli, scheduler, sources=_source("counts.asc", crs="EPSG:32619"))
    line = assert_clean_error(result, 1, "counts.asc", "line 24 holds 2148000000",
                              "32-bit integers", "would read it as -2146967296",
                              "--config AAIGRID_DATATYPE Float64 counts.asc counts.tif")
    assert "Traceback" not in line


def test_control_whole_numbers_within_32_bits_in_an_ascii_grid_read(
        sandbox: Sandbox, cli, scheduler: str) -> None:
    """Control: whole numbers up to 2 147 483 647 and -2 147 483 647 (and the nodata)
    read as written."""
    cells = np.arange(1600, dtype="i8").reshape(40, 40) * 1_000_000
    cells[0, 1], cells[0, 2], cells[0, 0] = 2_147_483_647, -2_147_483_647, -9999
    _ascii_grid(sandbox.root / "counts.asc", cells)
    result = _ingest(sandbox, cli, scheduler, sources=_source("counts.asc", crs="EPSG:32619"))
    assert result.code == 0, result.err[-3000:]
    cube = _cube(sandbox)
    assert np.isnan(cube[0, 0])
    np.testing.assert_allclose(cube.ravel()[1:], cells.ravel()[1:].astype("f4"), rtol=1e-7)


# --- the CRS of a .prj GDAL does not read -------------------------------------------------------

ESRI_UTM19N = (
    'PROJCS["WGS_1984_UTM_Zone_19N",GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID['
    '"WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",'
    '0.0174532925199433]],PROJECTION["Transverse_Mercator"],PARAMETER["False_Easting",'
    '500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",-69.0],'
    'PARAMETER["Scale_Factor",0.9996],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]')
"""The ``.prj`` ArcGIS, Surfer and Geosoft write for UTM 19N (ESRI's WKT)."""


def _xyz(path: Path, values: np.ndarray | list[list[object]]) -> Path:
    """An ``x y value`` grid of the tiny region's cell centres, row by row (SYNTHETIC)."""
    rows = [f"{X0 + 5 + 10 * c} {Y0 + 395 - 10 * r} {values[r][c]}"
            for r in range(40) for c in range(40)]
    path.write_text("\n".join(rows) + "\n")
    return path


@needs_gdal
@pytest.mark.parametrize(("driver", "name"), [("XYZ", "heat.xyz"), ("GSAG", "heat.grd"),
                                              ("GS7BG", "heat.grd")],
                         ids=["xyz", "surfer-ascii", "surfer-7"])
def test_a_prj_beside_a_grid_whose_driver_does_not_read_it_is_its_crs(
        sandbox: Sandbox, cli, scheduler: str, driver: str, name: str) -> None:
    """Before: an XYZ grid or a Surfer grid (ASCII or Surfer 7 binary) with the ``.prj``
    its writer puts beside it, stating UTM 19N in ESRI's WKT, was refused: "the raster has
    no CRS GDAL can read (... heat.prj holds no CRS GDAL reads)"; GDAL's drivers of these
    formats do not read a ``.prj`` (its ESRI ASCII grid driver does). Now the ``.prj``'s
    CRS is the file's, and the grid reads cell for cell."""
    if driver == "XYZ":
        _xyz(sandbox.root / name, VALUES)
    else:
        _written_by_gdal(sandbox.root, driver, name)
        (sandbox.root / f"{name}.aux.xml").unlink(missing_ok=True)  # GDAL's CRS beside it
    (sandbox.root / "heat.prj").write_text(ESRI_UTM19N)
    result = _ingest(sandbox, cli, scheduler, sources=_source(name))
    assert result.code == 0, result.err[-3000:]
    np.testing.assert_allclose(_cube(sandbox), VALUES, rtol=1e-6)


def test_control_a_prj_that_holds_no_crs_is_still_said(tmp_path: Path) -> None:
    """Control: a ``.prj`` PROJ cannot read leaves the file without a CRS, said as
    before (the config's ``crs:`` is the fix)."""
    from prospect.errors import CRSError
    from prospect.io.raster import raster_info

    path = _xyz(tmp_path / "heat.xyz", VALUES)
    (tmp_path / "heat.prj").write_text("Projection UTM-ish, made up\n")
    with pytest.raises(CRSError, match=r"heat\.prj holds no CRS GDAL reads"):
        raster_info(path)


# --- words and dummies in XYZ grids -------------------------------------------------------------

@pytest.mark.parametrize(("word", "first"), [
    ("NA", False), ("-", False), ("*", False), ("*", True), ("NaN", True),
], ids=["NA", "dash", "star-inside", "star-first", "NaN-first"])
def test_an_xyz_value_that_is_no_number_is_refused_naming_its_line(
        tmp_path: Path, word: str, first: bool) -> None:
    """Before: an XYZ grid with ``NA`` or ``-`` (R's and a spreadsheet's missing value)
    for 10 cells was read with those cells as 0, exit 0; with Geosoft's dummy ``*`` the
    cells were said to be "without a point"; with ``*`` or ``NaN`` on its first line GDAL
    refused it as "not recognized as being in a supported file format". Now each is
    refused naming the line, the word and the fix (a number, stated as ``nodata:``)."""
    from prospect.errors import DataError, InputFileError
    from prospect.io.raster import raster_info

    values = VALUES.astype(object)
    if first:
        values[:, :8] = word
        line = 1
    else:
        values[20:25, 10:12] = word
        line = 20 * 40 + 11
    path = _xyz(tmp_path / "heat.xyz", values)
    with pytest.raises((DataError, InputFileError)) as caught:
        raster_info(path, crs="EPSG:32619")
    said = str(caught.value)
    assert f"line {line} holds {word!r} as its value, which is no number" in said, said
    assert "'nodata: -9999'" in said and "sed 's/" in said


def test_control_nan_inside_an_xyz_grid_is_no_data(tmp_path: Path) -> None:
    """Control: ``NaN`` inside an XYZ grid (GDAL reads it as NaN) is no data, not
    refused."""
    from prospect.io.raster import raster_info

    values = VALUES.astype(object)
    values[20:25, 10:12] = "NaN"
    assert raster_info(_xyz(tmp_path / "heat.xyz", values), crs="EPSG:32619").width == 40


@pytest.mark.parametrize(("dummy", "said"), [("-1.0E+32", "-1e+32"),
                                             ("1.70141e+38", "1.70141e+38")],
                         ids=["geosoft", "surfer"])
def test_a_geosoft_or_surfer_dummy_in_an_xyz_grid_is_warned_of_as_written(
        sandbox: Sandbox, cli, scheduler: str, dummy: str, said: str) -> None:
    """Before: an XYZ export holding Geosoft's dummy -1e32 (or Surfer's blank 1.70141e38)
    in its empty cells (a fifth of the grid, two corners) was ingested with them as
    values, exit 0, without a word (the fill check knew -9999 and 1e30, not these). Now
    the fill warning names the value as a ``nodata:`` states it."""
    from .test_rasters_round17 import _notes

    values = VALUES.astype(object)
    values[:, :8] = dummy
    _xyz(sandbox.root / "heat.xyz", values)
    result = _ingest(sandbox, cli, scheduler, sources=_source("heat.xyz", crs="EPSG:32619"))
    assert result.code == 0, result.err[-3000:]
    notes = [n for n in _notes(sandbox) if "declares no nodata" in n]
    assert len(notes) == 1, _notes(sandbox)
    assert f"set 'nodata: {said}'" in notes[0]


# --- a grid kept in several files, edited in one -----------------------------------------------

@needs_gdal
@pytest.mark.parametrize("edited", ["cells", "header"])
def test_a_rerun_sees_an_edit_of_a_raw_grids_other_file(
        sandbox: Sandbox, cli, scheduler: str, edited: str) -> None:
    """Before: a rerun into the same ``-o`` after the cells' file of an ER Mapper grid
    (``grid`` beside ``grid.ers``) was written again, or after an ENVI grid's ``.hdr``
    was edited to state another nodata, said "config and inputs unchanged" and kept the
    cube of the old file, exit 0: the run's checksums covered the file named in the
    config alone. Now they cover the grid's other files, and the rerun reads the new
    values."""
    if edited == "cells":
        name = _written_by_gdal(sandbox.root, "ERS", "grid.ers").name
    else:
        name = _written_by_gdal(sandbox.root, "ENVI", "grid.bil", "-a_nodata", "-9999").name
        (sandbox.root / "grid.bil.aux.xml").unlink()  # as ENVI itself writes a grid
    first = _ingest(sandbox, cli, scheduler, sources=_source(name))
    assert first.code == 0, first.err[-3000:]
    np.testing.assert_array_equal(_cube(sandbox), VALUES)
    expected = VALUES.copy()
    if edited == "cells":  # the same size, other values
        (VALUES * 2).astype("f4").tofile(sandbox.root / "grid")
        expected = VALUES * 2
    else:
        header = sandbox.root / "grid.hdr"
        header.write_text(header.read_text().replace("data ignore value = -9999",
                                                     "data ignore value = 1"))
        expected[VALUES == 1] = np.nan
    again = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert again.code == 0, again.err[-3000:]
    assert "inputs unchanged" not in again.out + again.err
    np.testing.assert_array_equal(_cube(sandbox), expected)


@needs_gdal
def test_an_aux_xml_older_than_a_raw_grids_edited_header_is_said(tmp_path: Path) -> None:
    """Before: an ENVI grid written by GDAL (its nodata stated in the ``.hdr`` and in the
    ``.aux.xml`` beside it) whose ``.hdr`` was edited a day later to state another nodata
    was read with the ``.aux.xml``'s old one (GDAL ranks it first), without a word: the
    age check compared the ``.aux.xml`` with the cells' file only. Now the header's age
    counts, and the warning names the ``.aux.xml`` and what it states."""
    import os

    from prospect.errors import DataWarning
    from prospect.io.raster import raster_info

    path = _written_by_gdal(tmp_path, "ENVI", "grid.bil", "-a_nodata", "-9999")
    header = tmp_path / "grid.hdr"
    header.write_text(header.read_text().replace("data ignore value = -9999",
                                                 "data ignore value = 1"))
    day_ago = header.stat().st_mtime - 86400
    for old in (path, tmp_path / "grid.bil.aux.xml"):
        os.utime(old, (day_ago, day_ago))
    with pytest.warns(DataWarning, match=r"grid\.bil\.aux\.xml beside it is .* older than "
                                         r"the file, and GDAL applies the nodata"):
        assert raster_info(path).nodata == (-9999.0,)


# --- survey units of one size, and the old survey units ----------------------------------------

@pytest.mark.parametrize(("stated", "config", "said"), [
    ("mK/m", "\u00b0C/km", None), ("K/km", "degC/km", None), ("ohm-m", "ohm.m", None),
    ("HFU", "mW/m2", "'scale: 41.868'"), ("g.u.", "mGal", "'scale: 0.1'"),
    ("K", "mK", "'scale: 1000'"),
], ids=["gradient-mK-per-m", "gradient-K-per-km", "ohm-m", "hfu", "gravity-unit", "kelvin"])
def test_survey_units_of_one_size_pass_and_old_units_name_their_scale(
        tmp_path: Path, stated: str, config: str, said: str | None) -> None:
    """Before: a geothermal-gradient grid stating ``mK/m`` (or ``K/km``) under ``units:
    \u00b0C/km``, one size, was warned of with "'scale:' and 'offset:' to convert them" (an
    offset would have made every gradient wrong); a resistivity grid stating ``ohm-m``
    under ``units: ohm.m`` was warned of too; old heat-flow units (``HFU``, 41.868 mW/m2),
    gravity units (``g.u.``, 0.1 mGal) and ``K`` against ``mK`` named no scale. Now one
    size spelt two ways says nothing, and the others name their scale."""
    import warnings

    import rasterio

    from prospect.config.sources import RasterSource
    from prospect.errors import DataWarning
    from prospect.ingest.rasters import plan_raster

    from .test_rasters_round22 import _grid

    path = _write(tmp_path / "grid.tif", VALUES)
    with rasterio.open(path, "r+") as dst:
        dst.units = (stated,)
    source = RasterSource(name="heat", path=str(path), units=config)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        plan_raster(source, _grid())
    told = [str(w.message) for w in caught if issubclass(w.category, DataWarning)
            and "states its units" in str(w.message)]
    if said is None:
        assert not told, told
    else:
        assert len(told) == 1 and said in told[0], told
