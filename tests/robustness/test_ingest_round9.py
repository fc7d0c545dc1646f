"""Round 9: geology maps, rasters and point tables that were read as something else.

Found by fuzzing ingest with geology vectors, rasters and point tables (2026-12-01): a
one-unit geology map (or a categorical raster of one class 0) reported as "no data" while
a categorical raster without a single class cell was not; a raster whose own units differ
from the config's without a word; thousands grouped by spaces (``1 250,5``, French and SI
exports) or by commas in a quoted US export (``"1,250.5"``) read as not numbers; unit
names that differ only in case, spaces or Unicode form split into two units silently;
two records of one place with different values averaged silently; a projected table's
eastings and northings swapped without a hint. Each case runs the real CLI and holds it to
the corpus's rules; the controls must keep reading as before. Every file here is small
and SYNTHETIC.
"""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import numpy as np
import pytest

from .conftest import Sandbox, assert_clean_error
from .test_point_tables import PLACES, WELLS, X0, Y0, _ingest


def _said(result) -> str:
    return " ".join((result.out + result.err).split())  # the console wraps long lines


def _notes(box: Sandbox) -> list[str]:
    stage = json.loads((box.out / "manifest.json").read_text())["stages"]["ingest"]
    return [" ".join(n.split()) for n in stage["notes"] if n.startswith("warning:")]


def _cube(box: Sandbox, variable: str) -> np.ndarray:
    import xarray as xr

    return np.asarray(xr.open_zarr(box.out / "cube.zarr")[variable].values)


def _geology(box: Sandbox, units: list[str | None], name: str = "units.gpkg") -> Path:
    """Vertical strips of equal width over the tiny region, one per unit."""
    import geopandas as gpd
    import shapely

    width = 400 / len(units)
    strips = [shapely.box(X0 + i * width, Y0, X0 + (i + 1) * width, Y0 + 400)
              for i in range(len(units))]
    path = box.root / name
    gpd.GeoDataFrame({"unit": units}, geometry=strips, crs="EPSG:32619").to_file(path)
    return path


def _classes(box: Sandbox, value: int, nodata: int) -> Path:
    """A uint8 raster of one value over the tiny region."""
    import rasterio
    from rasterio.transform import from_origin

    path = box.root / "classes.tif"
    with rasterio.open(path, "w", driver="GTiff", width=40, height=40, count=1,
                       dtype="uint8", crs="EPSG:32619", nodata=nodata,
                       transform=from_origin(X0, Y0 + 400, 10, 10)) as dst:
        dst.write(np.full((1, 40, 40), value, "uint8"))
    return path


# --- a variable whose data equal zarr's fill value ----------------------------------------

def test_a_one_unit_geology_map_has_data(sandbox: Sandbox, cli, scheduler: str) -> None:
    """Before: 'cube variable 'geo' has no data' for a map of one unit: its code 0 is
    zarr's fill value for int16, so no chunk file was written, and the check counted
    chunk files."""
    _geology(sandbox, ["granite"])
    result = _ingest(sandbox, cli, scheduler, sources=[
        {"kind": "vector", "name": "geo", "path": "units.gpkg", "attribute": "unit"}])
    assert result.code == 0, result.err[-3000:]
    assert "has no data" not in _said(result)
    assert (_cube(sandbox, "geo") == 0).all()
    assert sandbox.untouched()


def test_a_categorical_raster_of_class_zero_has_data(sandbox: Sandbox, cli,
                                                     scheduler: str) -> None:
    """Before: the same false 'has no data' for a class raster holding only class 0."""
    _classes(sandbox, 0, nodata=9)
    result = _ingest(sandbox, cli, scheduler, sources=[
        {"kind": "raster", "name": "cls", "path": "classes.tif", "values": "categorical"}])
    assert result.code == 0, result.err[-3000:]
    assert "has no data" not in _said(result)
    assert (_cube(sandbox, "cls") == 0).all()


def test_a_categorical_raster_without_a_class_cell_is_warned(sandbox: Sandbox, cli,
                                                             scheduler: str) -> None:
    """Before: no warning: its no-data code -1 is not zarr's fill value 0, so every chunk
    was written, and a variable with chunk files counted as holding data."""
    _classes(sandbox, 9, nodata=9)
    result = _ingest(sandbox, cli, scheduler, sources=[
        {"kind": "raster", "name": "cls", "path": "classes.tif", "values": "categorical"}])
    assert result.code == 0, result.err[-3000:]
    assert any("cube variable 'cls' has no data" in n for n in _notes(sandbox))


# --- a raster's own units against the config's --------------------------------------------

@pytest.mark.parametrize(("stated", "configured", "warned"), [
    ("K", "degC", True),
    ("mW m-2", "W/m2", True),
    ("m", "km", True),
    # controls: spellings of one unit
    ("K", "kelvin", False),
    ("mW m-2", "mW/m^2", False),
    ("degC", "\u00b0C", False),
    ("W m-1 K-1", "W/(m K)", False),
], ids=["K-degC", "mW-W", "m-km", "K-kelvin", "mW-m-2", "degC", "conductivity"])
def test_a_raster_stating_other_units_than_the_config_is_warned(
    sandbox: Sandbox, cli, scheduler: str, stated: str, configured: str, warned: bool,
) -> None:
    """Before: the config's units were recorded without a word whatever the file said."""
    import rasterio

    with rasterio.open(sandbox.root / "heat.tif", "r+") as dst:
        dst.set_band_unit(1, stated)
    result = _ingest(sandbox, cli, scheduler, sources=[
        {"kind": "raster", "name": "heat", "path": "heat.tif", "units": configured}])
    assert result.code == 0, result.err[-3000:]
    notes = [n for n in _notes(sandbox) if "states its units" in n]
    if warned:
        (note,) = notes
        for needle in ("heat.tif", f"as {stated!r}", f"'units: {configured}'",
                       f"set 'units: {stated}'"):
            assert needle in note, note
    else:
        assert not notes


# --- thousands separators in point tables -------------------------------------------------

def _table(box: Sandbox, rows: list[str], header: str, *, end: str = "\n",
           encoding: str = "utf-8") -> None:
    (box.root / "wells.csv").write_bytes((header + end + end.join(rows) + end)
                                         .encode(encoding))


def _at_points(box: Sandbox) -> np.ndarray:
    import xarray as xr

    cube = xr.open_zarr(box.out / "cube.zarr")["wells_li"]
    return np.array([float(cube.sel(x=x, y=y, method="nearest")) for x, y in PLACES])


LI = [1250.5, 12.5, 980.0, 2100.0, 75.0] * 4


@pytest.mark.parametrize(("sep", "cell", "end", "encoding"), [
    # French Excel: narrow no-break spaces group thousands, decimal commas
    (";", lambda v: f"{v:,.1f}".replace(",", "\u202f").replace(".", ","), "\r\n",
     "utf-8-sig"),
    # no-break spaces and decimal points
    (";", lambda v: f"{v:,.1f}".replace(",", "\u00a0"), "\n", "utf-8"),
    # plain spaces in a comma table (quoted by the exporter), decimal points
    (",", lambda v: f'"{v:,.1f}"'.replace(",", " "), "\n", "utf-8"),
    # a US Excel export: quoted numbers with commas grouping thousands, BOM, CRLF
    (",", lambda v: f'"{v:,.1f}"', "\r\n", "utf-8-sig"),
    # a Swiss export: apostrophes group thousands
    (";", lambda v: f"{v:,.1f}".replace(",", "'"), "\n", "utf-8"),
], ids=["narrow-nbsp-comma", "nbsp-point", "space-point", "us-excel-quoted", "swiss"])
def test_thousands_grouped_by_spaces_or_commas_are_read(
    sandbox: Sandbox, cli, scheduler: str, sep: str, cell, end: str, encoding: str,
) -> None:
    """Before: '1 250,5' and '"1,250.5"' were not numbers: missing values with a warning
    (or, for every coordinate, 'these look like decimal commas')."""
    rows = [sep.join([cell(x), f"{y:.0f}", cell(v)]) for (x, y), v in zip(PLACES, LI,
                                                                        strict=True)]
    _table(sandbox, rows, sep.join(["x", "y", "li"]), end=end, encoding=encoding)
    result = _ingest(sandbox, cli, scheduler, sources=[WELLS])
    assert result.code == 0, result.err[-3000:]
    assert "not finite numbers" not in _said(result)
    np.testing.assert_allclose(_at_points(sandbox), LI, rtol=1e-6)


def test_quoted_numbers_that_read_either_way_in_a_comma_table_are_refused(
        sandbox: Sandbox, cli, scheduler: str) -> None:
    """Before: '"1,250"' (1250, or 1.25 in decimal commas) was read as not a number, each
    value lost with a warning; now the table's notation is asked for."""
    cells = ['"1,250"', "12", "980", '"2,100"', "75"] * 4
    rows = [f"{x:.0f},{y:.0f},{c}" for (x, y), c in zip(PLACES, cells, strict=True)]
    _table(sandbox, rows, "x,y,li")
    result = _ingest(sandbox, cli, scheduler, sources=[WELLS])
    assert_clean_error(result, 1, "wells.csv", "'li'", "'1,250' (line 2)", "1250",
                       "decimal: \".\"")
    assert sandbox.untouched()
    result = _ingest(sandbox, cli, scheduler, sources=[WELLS | {"decimal": "."}])
    assert result.code == 0, result.err[-3000:]
    np.testing.assert_allclose(_at_points(sandbox)[:5], [1250, 12, 980, 2100, 75])


# --- geology unit names, duplicated places, swapped columns -------------------------------

def test_unit_names_differing_only_in_case_spaces_or_unicode_form_are_warned(
        sandbox: Sandbox, cli, scheduler: str) -> None:
    """Before: 'Granite' and 'granite ', 'grès' composed and decomposed, were four units
    (four codes) without a word."""
    _geology(sandbox, ["Granite", "granite ", "gr\u00e8s", unicodedata.normalize(
        "NFD", "gr\u00e8s"), "schist"])
    result = _ingest(sandbox, cli, scheduler, sources=[
        {"kind": "vector", "name": "geo", "path": "units.gpkg", "attribute": "unit"}])
    assert result.code == 0, result.err[-3000:]
    (note,) = [n for n in _notes(sandbox) if "differ only" in n]
    for needle in ("units.gpkg", "2 set(s)", "'Granite' and 'granite '",
                   "'gre\\u0300s' and 'gr\\xe8s'", "one spelling"):
        assert needle in note, note


def test_records_of_one_place_with_different_values_are_warned(
        sandbox: Sandbox, cli, scheduler: str) -> None:
    """Before: averaged without a word (kriging recorded it in the provenance only); a
    table of one well at two depths had every surface value a mean of two depths."""
    rows = [f"{x:.0f},{y:.0f},{10 + i}" for i, (x, y) in enumerate(PLACES)]
    rows.append(f"{PLACES[3][0]:.0f},{PLACES[3][1]:.0f},999")
    _table(sandbox, rows, "x,y,li")
    result = _ingest(sandbox, cli, scheduler, sources=[WELLS])
    assert result.code == 0, result.err[-3000:]
    (note,) = [n for n in _notes(sandbox) if "different values" in n]
    for needle in ("wells.csv", "1 place(s)", "'li'", "13, 999", f"x={PLACES[3][0]:.0f}",
                   "averages them"):
        assert needle in note, note


def test_swapped_eastings_and_northings_are_named(sandbox: Sandbox, cli,
                                                  scheduler: str) -> None:
    """Before: 'check the coordinate columns' only; the swap hint was for lon/lat."""
    rows = [f"{y:.0f},{x:.0f},{i}" for i, (x, y) in enumerate(PLACES)]
    _table(sandbox, rows, "x,y,li")
    result = _ingest(sandbox, cli, scheduler, sources=[WELLS])
    assert_clean_error(result, 1, "wells.csv", "with x and y swapped, 20 would",
                       "set x: 'y' and y: 'x'")
    assert sandbox.untouched()


@pytest.mark.parametrize(("header", "configured", "warned"), [
    ("heat [mW m-2]", "mW/m2", False),  # one unit: it was a warning
    ("heat [MW/m2]", "mW/m2", True),  # a factor of 10^9 apart: it was not
], ids=["same-unit-spelt-otherwise", "mega-vs-milli"])
def test_a_header_s_units_are_compared_as_units(
    sandbox: Sandbox, cli, scheduler: str, header: str, configured: str, warned: bool,
) -> None:
    """Before: header and config units were compared as lower-case text."""
    rows = [f"{x:.0f},{y:.0f},{50 + i}" for i, (x, y) in enumerate(PLACES)]
    _table(sandbox, rows, f"x,y,{header}")
    result = _ingest(sandbox, cli, scheduler, sources=[
        WELLS | {"columns": [header], "units": {header: configured}}])
    assert result.code == 0, result.err[-3000:]
    notes = [n for n in _notes(sandbox) if "in its header" in n]
    assert len(notes) == int(warned), notes


# --- vector files: encodings, measured geometries, numbers stored as text ----------------

def _ogr2ogr(*args: str | Path) -> None:
    import shutil
    import subprocess

    if shutil.which("ogr2ogr") is None:
        pytest.skip("no ogr2ogr")
    subprocess.run(["ogr2ogr", *map(str, args)], check=True, capture_output=True)


def test_a_shapefile_whose_cpg_misnames_its_encoding_is_named(sandbox: Sandbox, cli,
                                                              scheduler: str) -> None:
    """Before: 'internal error: UnicodeDecodeError' (exit 70): a .cpg saying UTF-8 over a
    Latin-1 .dbf."""
    _geology(sandbox, ["gr\u00e8s", "schist"])
    _ogr2ogr("-lco", "ENCODING=LATIN1", sandbox.root / "units.shp", sandbox.root / "units.gpkg")
    (sandbox.root / "units.cpg").write_text("UTF-8")
    sandbox.write_job()  # the files above are the user's: nothing may change them
    result = _ingest(sandbox, cli, scheduler, sources=[
        {"kind": "vector", "name": "geo", "path": "units.shp", "attribute": "unit"}])
    assert_clean_error(result, 1, "units.shp", "units.cpg says 'UTF-8'", "0xE8",
                       "ISO-8859-1")
    assert sandbox.untouched()


def test_measured_geometries_print_no_library_warning(
        sandbox: Sandbox, cli, scheduler: str, recwarn: pytest.WarningsRecorder) -> None:
    """Before: pyogrio's 'Measured (M) geometry types are not supported' UserWarning, with
    its source path and line, printed about eight times a run (here: recorded)."""
    _geology(sandbox, ["a", "b"], name="plain.gpkg")
    _ogr2ogr("-f", "GPKG", "-dim", "XYM", sandbox.root / "units.gpkg",
             sandbox.root / "plain.gpkg")
    sandbox.write_job()
    result = _ingest(sandbox, cli, scheduler, sources=[
        {"kind": "vector", "name": "geo", "path": "units.gpkg", "attribute": "unit"}])
    assert result.code == 0, result.err[-3000:]
    assert "Measured" not in result.out + result.err
    assert not [w for w in recwarn if "Measured" in str(w.message)]
    assert sorted(np.unique(_cube(sandbox, "geo"))) == [0, 1]


def test_a_unicode_minus_sign_is_a_minus(sandbox: Sandbox, cli, scheduler: str) -> None:
    """Before: '\u22121.5' (U+2212, as typeset exports write it) was not a number: 'column
    'li' holds no numbers ... pick a numeric column'."""
    rows = [f"{x:.0f},{y:.0f},\u2212{i + 1}.5" for i, (x, y) in enumerate(PLACES)]
    _table(sandbox, rows, "x,y,li")
    result = _ingest(sandbox, cli, scheduler, sources=[WELLS])
    assert result.code == 0, result.err[-3000:]
    np.testing.assert_allclose(_at_points(sandbox), [-(i + 1.5) for i in range(20)],
                               rtol=1e-6)


def test_decimal_reads_a_vector_file_s_numbers_stored_as_text(sandbox: Sandbox, cli,
                                                              scheduler: str) -> None:
    """Before: a GeoPackage field of '12,5' texts was refused with "set 'decimal: \",\"'",
    and with 'decimal: ","' set, refused again in the same words."""
    import geopandas as gpd
    import shapely

    cells = [f"{i},5" for i in range(20)]
    gpd.GeoDataFrame({"li": cells}, geometry=[shapely.Point(p) for p in PLACES],
                     crs="EPSG:32619").to_file(sandbox.root / "wells.gpkg")
    source = {k: v for k, v in WELLS.items() if k not in ("x", "y", "crs")} | {
        "path": "wells.gpkg"}
    result = _ingest(sandbox, cli, scheduler, sources=[source])
    assert_clean_error(result, 1, "wells.gpkg", "'li'", "decimal: \",\"")
    result = _ingest(sandbox, cli, scheduler, sources=[source | {"decimal": ","}])
    assert result.code == 0, result.err[-3000:]
    np.testing.assert_allclose(_at_points(sandbox), [i + 0.5 for i in range(20)], rtol=1e-6)


def test_a_raster_without_a_grid_prints_no_library_warning(
        sandbox: Sandbox, cli, scheduler: str, recwarn: pytest.WarningsRecorder) -> None:
    """Before: rasterio's NotGeoreferencedWarning ('The identity matrix will be
    returned'), with its source path and line, printed above the one-line error."""
    import warnings

    import rasterio

    with warnings.catch_warnings():  # writing it warns too: not the case's
        warnings.simplefilter("ignore")
        with rasterio.open(sandbox.root / "plain.tif", "w", driver="GTiff", width=8,
                           height=8, count=1, dtype="float32") as dst:
            dst.write(np.ones((1, 8, 8), "float32"))
    sandbox.write_job()
    result = _ingest(sandbox, cli, scheduler, sources=[
        {"kind": "raster", "name": "r", "path": "plain.tif", "units": "1",
         "crs": "EPSG:32619"}])
    assert_clean_error(result, 1, "plain.tif", "no georeferencing", "gdal_translate")
    assert not [w for w in recwarn if "identity matrix" in str(w.message)]
