"""Class 3: bad data is counted and reported, never silently dropped nor crashed on.

Every table and raster here is small and SYNTHETIC.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import dask
import numpy as np
import pytest

from .conftest import TINY_REGION as TINY
from .conftest import Sandbox, assert_clean_error, run_prospect, write_tiny_raster

X0, Y0 = 500000.0, 1350000.0


def _geology(box: Sandbox, polygons: list[list[tuple[float, float]]]) -> Path:
    import geopandas as gpd
    from shapely.geometry import Polygon

    gdf = gpd.GeoDataFrame({"unit": [f"u{i}" for i in range(len(polygons))]},
                           geometry=[Polygon(p) for p in polygons], crs="EPSG:32619")
    path = box.root / "geology.gpkg"
    gdf.to_file(path, layer="units", driver="GPKG")
    return path


def _ingest(box: Sandbox, cli, scheduler: str, **changes):
    box.write_job(**changes)
    return cli("ingest", box.job_path, "-o", box.out, "--scheduler", scheduler)


def _notes(box: Sandbox) -> list[str]:
    stage = json.loads((box.out / "manifest.json").read_text())["stages"]["ingest"]
    return [n for n in stage["notes"] if n.startswith("warning:")]


BOWTIE = [(X0, Y0), (X0 + 400, Y0 + 400), (X0 + 400, Y0), (X0, Y0 + 400), (X0, Y0)]
SQUARE = [(X0, Y0), (X0 + 200, Y0), (X0 + 200, Y0 + 200), (X0, Y0 + 200), (X0, Y0)]
SPIKE = [(X0, Y0), (X0 + 300, Y0), (X0 + 300, Y0 + 300), (X0 + 300, Y0 + 380),
         (X0 + 300, Y0 + 300), (X0, Y0 + 300), (X0, Y0)]


@pytest.mark.parametrize(("polygons", "count"), [([BOWTIE], 1), ([BOWTIE, SQUARE, SPIKE], 2)],
                         ids=["bowtie", "bowtie-and-spike"])
def test_invalid_geometries_are_repaired_and_counted(sandbox: Sandbox, cli, scheduler: str,
                                                     polygons, count: int) -> None:
    path = _geology(sandbox, polygons)
    source = {"kind": "vector", "name": "geology", "path": path.name, "layer": "units",
              "attribute": "unit", "distance_to_contacts": True}
    result = _ingest(sandbox, cli, scheduler, sources=[source])
    assert result.code == 0, result.err[-3000:]
    assert "Traceback" not in result.err and "GEOS" not in result.err
    line = f"{count} invalid geometr{'y' if count == 1 else 'ies'}"
    text = " ".join(result.err.split())  # the console wraps long lines
    assert line in text and "make_valid" in text
    assert any(line in n for n in _notes(sandbox))
    assert sandbox.untouched()


def _wells(box: Sandbox, rows: list[str]) -> Path:
    path = box.root / "wells.csv"
    path.write_text("well,x,y,li\n" + "\n".join(rows) + "\n")
    return path


GOOD = [f"w{i},{X0 + 50 + 30 * i},{Y0 + 60 + 25 * i},{100 + i}" for i in range(8)]
POINTS = {"kind": "points", "name": "wells", "path": "wells.csv", "x": "x", "y": "y",
          "crs": "EPSG:32619", "distance": True}


@pytest.mark.parametrize(("bad", "lines"), [
    (["b1,abc,1350100,5"], "line 10"),
    (["b1,,,5", "b2,500100,,6"], "lines 10, 11"),
    (["b1,500100,north,5", "b2,1e999x,1350100,6", "b3, ,1350100,7"], "lines 10, 11, 12"),
], ids=["text", "empty", "mixed"])
def test_rows_without_coordinates_are_counted_with_their_line_numbers(
    sandbox: Sandbox, cli, scheduler: str, bad: list[str], lines: str,
) -> None:
    _wells(sandbox, GOOD + bad)
    result = _ingest(sandbox, cli, scheduler, sources=[POINTS])
    assert result.code == 0, result.err[-3000:]
    expected = f"{len(bad)} of {len(GOOD) + len(bad)} row(s) without usable coordinates"
    text = " ".join(result.err.split())  # the console wraps long lines
    assert expected in text and f"({lines})" in text
    assert any(expected in n and lines in n for n in _notes(sandbox))


def test_a_table_without_any_coordinates_is_refused(sandbox: Sandbox, cli) -> None:
    _wells(sandbox, ["a,east,north,1", "b,west,south,2"])
    sandbox.write_job(sources=[POINTS])
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out)
    assert_clean_error(result, 1, "wells.csv", "'x'", "no numbers")


@pytest.mark.parametrize("fill", ["nan", "nodata"])
def test_a_band_without_data_is_a_warning_in_summary_and_manifest(
    sandbox: Sandbox, cli, scheduler: str, fill: str,
) -> None:
    values = np.full((40, 40), np.nan if fill == "nan" else -9999.0, dtype="float32")
    write_tiny_raster(sandbox.root / "empty.tif", values=values,
                      nodata=None if fill == "nan" else -9999.0)
    sources = [{"kind": "raster", "name": "heat", "path": "heat.tif"},
               {"kind": "raster", "name": "empty", "path": "empty.tif"}]
    result = _ingest(sandbox, cli, scheduler, sources=sources)
    assert result.code == 0, result.err[-3000:]
    for text in (" ".join(result.err.split()), _summary(result)):  # the console wraps lines
        assert "'empty' has no data" in text and "'heat' has" not in text
    assert any("'empty' has no data" in n for n in _notes(sandbox))


def _summary(result) -> str:
    """What the CLI printed from its end-of-run summary on (console wrapping undone)."""
    text = result.out + result.err
    return " ".join(text[text.index("Prospect run summary"):].split())


def _collared(dtype: str, fill: float) -> np.ndarray:
    """A 40 x 40 scene (SYNTHETIC) whose outer 8-cell collar is ``fill``: 64 % of the cells."""
    data = (np.random.default_rng(1).random((40, 40)) * 1000 + 1).astype(dtype)
    data[:8, :] = data[-8:, :] = data[:, :8] = data[:, -8:] = fill
    return data


@pytest.mark.parametrize(("dtype", "fill"), [("float32", 0), ("int16", -32768),
                                             ("uint16", 65535)],
                         ids=["float-0", "int16--32768", "uint16-65535"])
def test_a_declared_nodata_that_never_occurs_beside_a_dominant_fill_is_a_warning(
    sandbox: Sandbox, cli, scheduler: str, dtype: str, fill: int,
) -> None:
    nodata = -9999 if dtype != "uint16" else 9999
    write_tiny_raster(sandbox.root / "scene.tif", values=_collared(dtype, fill),
                      nodata=float(nodata))
    sources = [{"kind": "raster", "name": "heat", "path": "heat.tif"},
               {"kind": "raster", "name": "scene", "path": "scene.tif"}]
    result = _ingest(sandbox, cli, scheduler, sources=sources)
    assert result.code == 0, result.err[-3000:]
    expected = (f"band 1: declared nodata {nodata} (the file's) never occurs while {fill} "
                "fills 4 of 4 corners and 64% of 1600 sampled cells")
    fix = f"set 'nodata: {fill}' in source 'scene'"
    # The console wraps long lines inside words (paths) when it is not a terminal, so the
    # check compares the text with every space and line break taken out.
    squash = "".join
    for text in (squash(result.err.split()), squash(_summary(result).split())):
        for part in (expected, fix, "scene.tif"):
            assert squash(part.split()) in text
        assert "heat.tifband" not in text
    notes = _notes(sandbox)
    assert any(expected in n and fix in n for n in notes) and len(notes) == 1
    data = json.loads((sandbox.out / "manifest.json").read_text())
    assert data["stages"]["ingest"]["metrics"]["data_warnings"] == 1
    assert sandbox.untouched()
    # the fix the warning names silences it, and the collar becomes no data
    sources[1]["nodata"] = fill
    fixed = _ingest(sandbox, cli, scheduler, sources=sources)
    assert fixed.code == 0, fixed.err[-3000:]
    assert "never occurs" not in fixed.err and not _notes(sandbox)
    import zarr

    scene = np.asarray(zarr.open_array(sandbox.out / "cube.zarr" / "scene", mode="r")[:])
    assert np.isnan(scene[:8]).all() and np.isfinite(scene[10:30, 10:30]).all()


def test_a_nodata_set_in_the_config_is_named_as_the_configs(
    sandbox: Sandbox, cli, scheduler: str,
) -> None:
    write_tiny_raster(sandbox.root / "scene.tif", values=_collared("float32", 0))
    sources = [{"kind": "raster", "name": "scene", "path": "scene.tif", "nodata": -1}]
    result = _ingest(sandbox, cli, scheduler, sources=sources)
    assert result.code == 0, result.err[-3000:]
    assert "declared nodata -1 (the config's) never occurs while 0 fills" in _summary(result)


def test_a_warning_stays_in_the_summary_when_its_stage_is_skipped(
    sandbox: Sandbox, cli, scheduler: str,
) -> None:
    write_tiny_raster(sandbox.root / "scene.tif", values=_collared("float32", 0), nodata=-9999.0)
    sources = [{"kind": "raster", "name": "scene", "path": "scene.tif"}]
    assert _ingest(sandbox, cli, scheduler, sources=sources).code == 0
    again = _ingest(sandbox, cli, scheduler, sources=sources)
    assert again.code == 0 and "skipped" in again.err, again.err[-3000:]
    assert "never occurs while 0 fills" in _summary(again)


def test_a_real_zero_and_the_declared_nodata_side_by_side_are_not_a_warning(
    sandbox: Sandbox, cli, scheduler: str,
) -> None:
    data = _collared("float32", 0)
    data[0, 0] = -9999  # the declared nodata occurs: zeros are then taken as data
    write_tiny_raster(sandbox.root / "scene.tif", values=data, nodata=-9999.0)
    sources = [{"kind": "raster", "name": "scene", "path": "scene.tif"}]
    result = _ingest(sandbox, cli, scheduler, sources=sources)
    assert result.code == 0, result.err[-3000:]
    assert "never occurs" not in result.err and not _notes(sandbox)


# --- product metadata (MTL, Sentinel-2 XML, ESPA XML): a bad value is named, never used ---

MTL = """GROUP = LANDSAT_METADATA_FILE
  GROUP = PRODUCT_CONTENTS
    PROCESSING_LEVEL = "L1TP"
  END_GROUP = PRODUCT_CONTENTS
  GROUP = IMAGE_ATTRIBUTES
    SPACECRAFT_ID = "LANDSAT_8"
    DATE_ACQUIRED = 2020-01-27
    SUN_ELEVATION = 30.0
    EARTH_SUN_DISTANCE = 0.9846597
  END_GROUP = IMAGE_ATTRIBUTES
  GROUP = LEVEL1_RADIOMETRIC_RESCALING
    RADIANCE_MULT_BAND_10 = 3.342E-04
    RADIANCE_ADD_BAND_10 = 0.1
    REFLECTANCE_MULT_BAND_4 = 2.0000E-05
    REFLECTANCE_ADD_BAND_4 = -0.100000
  END_GROUP = LEVEL1_RADIOMETRIC_RESCALING
END_GROUP = LANDSAT_METADATA_FILE
END
"""
S2 = """<?xml version="1.0" encoding="UTF-8"?>
<n1:Level-2A_User_Product xmlns:n1="https://psd-14.sentinel2.eo.esa.int/PSD/User_Product_Level-2A.xsd">
<n1:General_Info><Product_Info>
<PRODUCT_START_TIME>2022-03-01T10:40:21.024Z</PRODUCT_START_TIME>
<PROCESSING_BASELINE>04.00</PROCESSING_BASELINE>
</Product_Info><Product_Image_Characteristics>
<BOA_QUANTIFICATION_VALUE unit="none">10000</BOA_QUANTIFICATION_VALUE>
<BOA_ADD_OFFSET band_id="3">-1000</BOA_ADD_OFFSET>
<Spectral_Information bandId="3" physicalBand="B4"/>
</Product_Image_Characteristics></n1:General_Info>
</n1:Level-2A_User_Product>
"""
ESPA = """<?xml version="1.0" encoding="UTF-8"?>
<espa_metadata version="1.2" xmlns="http://espa.cr.usgs.gov/v1.2">
  <global_metadata><satellite>LANDSAT_5</satellite>
    <acquisition_date>1990-04-08</acquisition_date></global_metadata>
  <bands><band product="sr_refl" name="sr_band4" fill_value="-9999" scale_factor="0.000100">
    <file_name>b4.tif</file_name><data_units>reflectance</data_units></band></bands>
</espa_metadata>
"""
NOT_NESTED = r"^(?!.*malformed)"


@pytest.mark.parametrize(("template", "old", "new", "band", "error", "message"), [
    # each of these used to be an internal error (ZeroDivisionError) ...
    (MTL, "SUN_ELEVATION = 30.0", "SUN_ELEVATION = 0.0", "B4", "DataError",
     r"SUN_ELEVATION 0 puts the sun at or below the horizon .*band 4 has no TOA reflectance"),
    (S2, ">10000<", ">0<", "B04", "InputFileError",
     r"the quantification value 0 is not a positive number"),
    # ... or a value silently wrong: negative, NaN or infinite reflectance, an ESPA scale
    # factor 0 read as 1
    (MTL, "SUN_ELEVATION = 30.0", "SUN_ELEVATION = -12.5", "B4", "DataError",
     r"SUN_ELEVATION -12.5 puts the sun at or below the horizon"),
    (MTL, "SUN_ELEVATION = 30.0", "SUN_ELEVATION = nan", "B4", "InputFileError",
     r"MTL\.txt: a malformed number or date in the MTL \('nan' is not a finite number\)"),
    (MTL, "2.0000E-05", "inf", "B4", "DataError",
     r"MTL\.txt: a malformed number for band 4 \('inf' is not a finite number\)"),
    (MTL, "0.9846597", "0", "B4", "InputFileError",
     r"EARTH_SUN_DISTANCE 0 is not a positive number"),
    (S2, ">-1000<", ">NaN<", "B04", "InputFileError", r"'NaN' is not a finite number"),
    (ESPA, 'scale_factor="0.000100"', 'scale_factor="0"', "B4", "InputFileError",
     r"band 'sr_band4' has a malformed number \(scale_factor 0 would make every pixel 0\)"),
    (ESPA, 'scale_factor="0.000100"', 'scale_factor="nan"', "B4", "InputFileError",
     r"band 'sr_band4' has a malformed number \('nan' is not a finite number\)"),
    # a missing value is named as missing, not wrapped in "a malformed number (...)"
    (MTL, "SUN_ELEVATION = 30.0", "", "B4", "DataError",
     NOT_NESTED + r".*MTL\.txt: the MTL has no SUN_ELEVATION"),
    (MTL, '"L1TP"', '"L2SP"', "B4", "DataError",
     NOT_NESTED + r".*MTL\.txt: Level-2 MTL without REFLECTANCE_MULT/ADD_BAND_4"),
    (S2, "<PROCESSING_BASELINE>04.00</PROCESSING_BASELINE>", "", "B04", "DataError",
     NOT_NESTED + r".*MTD\.xml: no quantification value or PROCESSING_BASELINE"),
], ids=["sun-0", "s2-quantification-0", "sun-below-horizon", "sun-nan", "mult-inf",
        "earth-sun-0", "s2-offset-nan", "espa-scale-0", "espa-scale-nan", "no-sun",
        "l2-without-group", "s2-no-baseline"])
def test_product_metadata_values_are_checked_and_named(
    tmp_path: Path, template: str, old: str, new: str, band: str, error: str, message: str,
) -> None:
    import prospect.errors
    from prospect.ingest.products import read_product_metadata

    path = tmp_path / ("MTL.txt" if template is MTL else "MTD.xml")
    path.write_text(template)
    good = read_product_metadata(path).calibrate(band, "b4.tif")  # the template is valid
    assert np.isfinite(good.scale) and good.scale > 0
    assert old in template
    path.write_text(template.replace(old, new))
    with pytest.raises(getattr(prospect.errors, error), match=message):
        read_product_metadata(path).calibrate(band, "b4.tif")


def test_a_night_scene_mtl_still_calibrates_its_thermal_band(tmp_path: Path) -> None:
    path = tmp_path / "MTL.txt"
    path.write_text(MTL.replace("SUN_ELEVATION = 30.0", "SUN_ELEVATION = -12.5"))
    from prospect.ingest.products import read_product_metadata

    cal = read_product_metadata(path).calibrate("B10", "b10.tif")
    assert (cal.quantity, cal.scale, cal.offset) == ("toa_radiance", 3.342e-4, 0.1)


# --- point tables: columns, encodings and values that cannot be read as they stand -------

KRIGE = POINTS | {"columns": ["li"], "interpolate": ["kriging"], "distance": False}


@pytest.mark.parametrize(("text", "source", "needles"), [
    ("well,x,y,x,li\n" + "\n".join(g + ",7" for g in GOOD), POINTS,
     ["wells.csv", "column(s) ['x'] appear more than once", "rename"]),
    ("well,x,y, x ,li\n" + "\n".join(g + ",7" for g in GOOD), POINTS,
     ["wells.csv", "column(s) ['x'] appear more than once"]),
    (bytes(range(256)) * 4, POINTS, ["wells.csv", "not a text table", "UTF-8"]),
    # decimal commas are read as such unless the source says 'decimal: "."'
    # (test_point_tables.py reads them)
    ("well;x;y;li\n" + "\n".join(f"w{i};{int(X0) + 50 + 30 * i},5;{int(Y0) + 60},5;1"
                                  for i in range(5)), POINTS | {"decimal": "."},
     ["wells.csv", "'x' holds no numbers (e.g. '500050,5')", "decimal commas",
      "decimal: \",\""]),
    ("well,x,y,li\n" + "\n".join([GOOD[0]] * 6), KRIGE,
     ["wells.csv", "'li' has 1 distinct place(s)", "kriging needs at least 3 places"]),
    ("well,x,y,li\n" + "\n".join(g.rsplit(",", 1)[0] + ",5" for g in GOOD), KRIGE,
     ["wells.csv", "1 distinct value(s)", "use 'interpolate: [idw]'"]),
    ("well;x;y;li\n" + "\n".join(GOOD), POINTS,
     ["wells.csv", "the header has 4 columns but every row fills only the first",
      "holding ','", "the header and the rows use different delimiters"]),
], ids=["repeated-x", "repeated-after-strip", "binary", "decimal-comma", "one-place",
        "constant", "header-delimiter"])
def test_a_point_table_that_cannot_be_read_as_meant_is_one_line(
    sandbox: Sandbox, cli, scheduler: str, text: str | bytes, source: dict, needles: list[str],
) -> None:
    """Before: the first x silently won over the second, a stripped repeat or kriging a
    degenerate column was an internal error, binary bytes were read as column names."""
    path = sandbox.root / "wells.csv"
    path.write_bytes(text if isinstance(text, bytes) else (text + "\n").encode())
    result = _ingest(sandbox, cli, scheduler, sources=[source])
    assert_clean_error(result, 1, *needles)
    assert sandbox.untouched()


def test_a_table_with_a_long_field_reads(sandbox: Sandbox, cli, scheduler: str) -> None:
    """Before: a field over 128 KiB (a WKT geometry column of a QGIS export) refused the
    whole table ("field larger than field limit (131072)"), a column nobody asked for."""
    wkt = "POLYGON ((" + ", ".join(f"{X0 + i % 400} {Y0 + i // 400}" for i in range(20000)) \
        + "))"
    assert len(wkt) > 131072
    (sandbox.root / "wells.csv").write_text(
        "well,x,y,li,wkt\n" + "\n".join(f'{g},"{wkt}"' for g in GOOD) + "\n")
    result = _ingest(sandbox, cli, scheduler, sources=[POINTS])
    assert result.code == 0, result.err[-3000:]
    assert (sandbox.out / "cube.zarr" / "wells_dist").is_dir()


def test_utf16_tables_read_and_bad_values_are_counted_by_line(
    sandbox: Sandbox, cli, scheduler: str,
) -> None:
    """Excel's "Unicode text" (UTF-16, tabs) reads like UTF-8; a value that is not a finite
    number (below detection, inf) is missing with a warning naming its lines, where before
    '<0.5' was dropped without a word and 'inf' made the surface infinite. Since round 38
    '<0.5' is read as half its limit (0.25), said apart."""
    rows = [g.replace(",", "\t") for g in GOOD]
    rows[2] = rows[2].rsplit("\t", 1)[0] + "\t<0.5"
    rows[5] = rows[5].rsplit("\t", 1)[0] + "\tinf"
    (sandbox.root / "wells.txt").write_text("well\tx\ty\tli\n" + "\n".join(rows) + "\n",
                                            encoding="utf-16")
    source = POINTS | {"path": "wells.txt", "columns": ["li"], "interpolate": ["idw"]}
    result = _ingest(sandbox, cli, scheduler, sources=[source])
    assert result.code == 0, result.err[-3000:]
    expected = "1 of 8 value(s) in column 'li' are not finite numbers and are read as " \
               "missing (line 7; e.g. 'inf')"
    assert expected in " ".join(result.err.split())
    assert any(expected in n for n in _notes(sandbox))
    below = "1 of 8 value(s) in column 'li' are below a detection limit (line 4; e.g. '<0.5')"
    assert any(below in n and "half its limit (0.25)" in n for n in _notes(sandbox))
    import zarr

    surface = np.asarray(zarr.open_array(sandbox.out / "cube.zarr" / "wells_li", mode="r")[:])
    assert np.isfinite(surface).all() and surface.min() >= 0.25 and surface.max() <= 107


@pytest.mark.parametrize(("values", "needles"), [
    (np.full((40, 40), 1 + 2j, dtype="complex64"),
     ["scene.tif", "complex numbers (complex64)", "gdal_translate -ot Float32"]),
], ids=["complex"])
def test_a_raster_whose_values_cannot_be_read_is_one_line(
    sandbox: Sandbox, cli, scheduler: str, values: np.ndarray, needles: list[str],
) -> None:
    """Before: a complex-valued band was an internal error (TypeError) while sampling."""
    write_tiny_raster(sandbox.root / "scene.tif", values=values)
    result = _ingest(sandbox, cli, scheduler,
                     sources=[{"kind": "raster", "name": "scene", "path": "scene.tif"}])
    assert_clean_error(result, 1, *needles)
    assert sandbox.untouched()


# --- configs: a number that is no number, a source that makes nothing ----------------------

@pytest.mark.parametrize(("source", "key", "message"), [
    ({"kind": "raster", "name": "heat", "path": "heat.tif", "scale": float("inf")},
     "sources.0.raster.scale", "finite number"),
    ({"kind": "raster", "name": "heat", "path": "heat.tif", "offset": float("nan")},
     "sources.0.raster.offset", "finite number"),
    ({"kind": "points", "name": "w", "path": "w.csv", "columns": ["li"],
      "interpolate": ["idw"], "idw_power": float("inf")}, "sources.0.points.idw_power",
     "finite number"),
    ({"kind": "vector", "name": "geology", "path": "geology.gpkg"}, "sources.0.vector",
     "makes no layer without 'attribute'"),
    ({"kind": "raster", "name": "heat", "path": "heat.tif", "scale": 0},
     "sources.0.raster.scale", "scale 0 would make every value equal 'offset'"),
], ids=["scale-inf", "offset-nan", "idw-power-inf", "vector-without-layers", "scale-0"])
def test_a_config_value_that_would_make_nothing_or_nan_is_refused_at_load(
    sandbox: Sandbox, cli, source: dict, key: str, message: str,
) -> None:
    """Before: accepted, and the cube held infinities or NaN everywhere (a warning at best),
    or the vector source made no layer without a word."""
    sandbox.write_job(sources=[source])
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out)
    assert_clean_error(result, 2, str(sandbox.job_path), key, message)
    assert not sandbox.out.exists() and sandbox.untouched()


def test_a_nan_nodata_in_the_config_still_loads() -> None:
    from prospect.config.sources import RasterSource

    source = RasterSource.model_validate({"kind": "raster", "name": "a", "path": "a.tif",
                                          "nodata": float("nan")})
    assert np.isnan(source.nodata)


# --- geology: unit codes come from polygons with a unit name ------------------------------

def _units(box: Sandbox, units: list, geoms: list) -> dict:
    import geopandas as gpd

    gpd.GeoDataFrame({"unit": units}, geometry=geoms, crs="EPSG:32619").to_file(
        box.root / "geology.gpkg", layer="units", driver="GPKG")
    return {"kind": "vector", "name": "geology", "path": "geology.gpkg", "layer": "units",
            "attribute": "unit"}


def _polygon(i: int):
    from shapely.geometry import box

    return box(X0 + 100 * i, Y0, X0 + 100 * (i + 1), Y0 + 400)


def test_geology_without_polygons_or_unit_names_is_refused(sandbox: Sandbox, cli,
                                                           scheduler: str) -> None:
    """Before: points were 'rasterised' as unit cells and a column of nulls made one unit
    with no name, both without a word."""
    from shapely.geometry import Point

    source = _units(sandbox, ["a", "b"], [Point(X0 + 5, Y0 + 5), Point(X0 + 50, Y0 + 50)])
    result = _ingest(sandbox, cli, scheduler, sources=[source])
    assert_clean_error(result, 1, "geology.gpkg", "holds ['Point']", "no polygons")
    source = _units(sandbox, [None, None], [_polygon(0), _polygon(1)])
    result = _ingest(sandbox, cli, scheduler, sources=[source])
    assert_clean_error(result, 1, "geology.gpkg", "no feature has a value in 'unit'")


def test_geology_with_nameless_units_or_lines_is_a_warning(sandbox: Sandbox, cli,
                                                           scheduler: str) -> None:
    from shapely.geometry import LineString

    line = LineString([(X0, Y0), (X0 + 390, Y0 + 390)])
    source = _units(sandbox, ["a", None, float("nan"), "c"],
                    [_polygon(0), _polygon(1), _polygon(2), line])
    result = _ingest(sandbox, cli, scheduler, sources=[source])
    assert result.code == 0, result.err[-3000:]
    text = " ".join(result.err.split())
    for expected in ("2 of 4 feature(s) have no value in 'unit'; they are rasterised as one "
                     "unit with no name ('')",
                     "1 of 4 feature(s) in the region are not polygons (LineString)"):
        assert expected in text and any(expected in n for n in _notes(sandbox))
    import zarr

    codes = zarr.open_array(sandbox.out / "cube.zarr" / "geology", mode="r")
    assert json.loads(codes.attrs["categories"]) == {"0": "", "1": "a", "2": "c"}


# --- service requests: a number that is no number ------------------------------------------

@pytest.mark.parametrize("bbox", ["0,0,inf,1", "-inf,0,1,1", "0,0,1,1e999", "nan,0,1,1"])
def test_a_wms_bbox_that_is_not_finite_is_refused(bbox: str) -> None:
    """Before: an infinite BBOX passed the check (min < max) and drew a map."""
    from tiles.http import ApiError
    from tiles.wms import parse_map_request

    query = {"LAYERS": "probability", "CRS": "EPSG:3857", "WIDTH": "256", "HEIGHT": "256",
             "FORMAT": "image/png"}
    assert parse_map_request({**query, "BBOX": "0,0,1,1"}).bbox == (0.0, 0.0, 1.0, 1.0)
    with pytest.raises(ApiError, match="BBOX must be four numbers") as err:
        parse_map_request({**query, "BBOX": bbox})
    assert err.value.status == 400


@pytest.mark.parametrize(("address", "hint"), [
    # a port that is no number and inproc:// are usage errors since round 23
    # (test_configs_round23.py); before: internal errors (TypeError) from distributed's
    # TLS and UCX connectors
    ("tls://127.0.0.1:8786", "distributed.comm.tls.ca-file"),
    ("ucx://127.0.0.1:8786", "ucx-py"),
])
def test_a_scheduler_address_that_is_no_address_is_one_line(sandbox: Sandbox, cli,
                                                            address: str, hint: str) -> None:
    """Before: an internal error (ValueError: missing port number in address)."""
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", address)
    assert_clean_error(result, 1, f"cannot reach the dask scheduler at {address}", hint)
    assert sandbox.untouched()


@pytest.mark.parametrize("address", ["garbage", "tcp://"])
def test_a_scheduler_address_without_host_and_port_is_a_command_line_error(
        sandbox: Sandbox, cli, address: str) -> None:
    """Since round 16: no host and port at all is a mistyped command line (exit 2)."""
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", address)
    assert_clean_error(result, 2, f"--scheduler {address}: no host and port",
                       "tcp://host:8786")
    assert sandbox.untouched()


def test_a_dask_setting_that_stops_the_workers_is_one_line(sandbox: Sandbox) -> None:
    """Before: two tracebacks (the worker's and its nanny's) and 'internal error:
    RuntimeError: Nanny failed to start'; then one line "did not start: MemoryError",
    which read as the machine's lack of memory (round 29); now one line naming the
    setting, its value and what to give."""
    result = run_prospect("ingest", sandbox.job_path, "-o", sandbox.out, "--workers", "1",
                          env={"DASK_DISTRIBUTED__WORKER__MEMORY__TARGET": "abc"})
    line = assert_clean_error(result, 1, "the local dask cluster did not start",
                              "$DASK_DISTRIBUTED__WORKER__MEMORY__TARGET='abc'")
    assert "not a lack of memory" in line
    assert sandbox.untouched()


def test_a_scheduler_address_of_another_server_is_named_as_such(sandbox: Sandbox,
                                                                 cli) -> None:
    """Before: 'Unable to allocate 3.07 EiB' (the other server's greeting read as the
    length of a dask message), with the hint to start a scheduler."""
    import socket
    import threading

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()

    def greet() -> None:  # an SSH server, say: it speaks first
        with contextlib.suppress(OSError):
            while True:
                conn, _ = server.accept()
                with conn:
                    conn.sendall(b"SSH-2.0-OpenSSH_9.6\r\n" * 20)

    threading.Thread(target=greet, daemon=True).start()
    try:
        address = f"tcp://127.0.0.1:{server.getsockname()[1]}"
        result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", address)
    finally:
        server.close()
    assert_clean_error(result, 1, "it answers, but not as a dask scheduler", "8786")
    assert sandbox.untouched()


def test_a_scheduler_port_that_is_no_port_fails_at_once(sandbox: Sandbox, cli) -> None:
    """Before: 'localhost:99999' waited out the 10 s connection timeout."""
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler",
                 "localhost:99999")
    assert_clean_error(result, 2, "99999 is not a port (1-65535)")
    assert sandbox.untouched()


def test_more_embedded_workers_than_the_machine_holds_fail_at_once(sandbox: Sandbox,
                                                                    cli) -> None:
    """Before: '--workers 1000' started processes until memory ran out, then printed a
    nanny's EOFError traceback (or hung)."""
    import psutil

    from pipelines.plan import PROCESS_BYTES

    too_many = psutil.virtual_memory().total // PROCESS_BYTES + 1
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--workers", str(too_many))
    assert_clean_error(result, 2, f"--workers {too_many}", "one process per worker",
                       "--scheduler or --cluster")
    assert sandbox.untouched()


def test_a_region_yaml_is_found_beside_the_job_like_every_other_path(
    sandbox: Sandbox, cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Before: a relative region path was taken from the working directory: the file beside
    the job was 'not found', or a file of the same name there was used without a word."""
    import yaml

    (sandbox.root / "tiny-region.yaml").write_text(yaml.safe_dump(TINY))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "tiny-region.yaml").write_text(yaml.safe_dump(TINY | {"resolution": 20.0}))
    monkeypatch.chdir(elsewhere)
    sandbox.write_job(region="tiny-region.yaml")
    result = cli("plan", sandbox.job_path)
    assert result.code == 0, result.err[-3000:]
    assert "40 x 40" in " ".join(result.out.split() + result.err.split())
    sandbox.write_job(region="missing-region.yaml")
    assert_clean_error(cli("plan", sandbox.job_path), 2, str(sandbox.job_path), "'region'",
                       "missing-region.yaml' not found", "job file's folder")


def test_coordinates_outside_their_crs_are_dropped_with_their_lines(
    sandbox: Sandbox, cli, scheduler: str,
) -> None:
    """Before: a latitude of 200 became an infinite coordinate (internal error in the
    distance layer) and a longitude of 400 was wrapped to 40 without a word."""
    from pyproj import Transformer

    lon, lat = Transformer.from_crs("EPSG:32619", "EPSG:4326", always_xy=True).transform(
        [X0 + 50 + 30 * i for i in range(6)], [Y0 + 60 + 25 * i for i in range(6)])
    rows = [f"w{i},{a:.8f},{b:.8f},{i}" for i, (a, b) in enumerate(zip(lon, lat, strict=True))]
    rows[1], rows[4] = "b1,-68.99,200,1", "b4,400,12.21,4"
    (sandbox.root / "wells.csv").write_text("well,lon,lat,li\n" + "\n".join(rows) + "\n")
    source = POINTS | {"x": "lon", "y": "lat", "crs": "EPSG:4326"}
    result = _ingest(sandbox, cli, scheduler, sources=[source])
    assert result.code == 0, result.err[-3000:]
    expected = "2 of 6 row(s) with coordinates lon/lat outside what WGS 84 allows dropped " \
               "(lines 3, 6)"
    assert expected in " ".join(result.err.split())
    assert any(expected in n for n in _notes(sandbox))
    (sandbox.root / "wells.csv").write_text("well,lon,lat,li\nb1,-68.99,200,1\n")
    result = _ingest(sandbox, cli, scheduler, sources=[source])
    assert_clean_error(result, 1, "wells.csv", "no row's coordinates lon/lat are valid")


def test_label_occurrences_outside_their_crs_or_with_infinite_grades_are_not_used(
    tmp_path: Path,
) -> None:
    """Before: a latitude of 200 became an occurrence at infinity and an 'inf' grade was
    kept as a value (the labels reader shares the points reader's rules now)."""
    from prospect.grid import RegionGrid
    from prospect.models.labels import read_occurrences

    grid = RegionGrid(crs=TINY["crs"], resolution=10.0, bounds=tuple(TINY["bounds"]),
                      chunks=(20, 20))
    path = tmp_path / "occurrences.csv"
    path.write_text("id,lon,lat,grade\na,-68.99,12.21,inf\nb,-68.99,200,1\nc,400,12.21,2\n"
                    "d,-68.99,12.212,3\n")
    occ = read_occurrences(path, grid, x="lon", y="lat", value_column="grade")
    assert occ.n_records == 4 and occ.n_dropped == 2
    assert np.isfinite(occ.x).all() and np.isfinite(occ.y).all()
    assert np.isnan(occ.values[0]) and occ.values[1] == 3.0


@pytest.mark.parametrize(("file", "variable", "needles"), [
    ("layers.nc", "heta", ["layers.nc", "no variable 'heta'; variables are heat, other"]),
    ("heat.tif", "heat", ["heat.tif", "holds no variables", "remove it"]),
], ids=["netcdf-misspelt", "geotiff"])
def test_a_variable_the_file_lacks_is_named_with_the_ones_it_has(
    sandbox: Sandbox, cli, scheduler: str, file: str, variable: str, needles: list[str],
) -> None:
    """Before: GDAL's 'No such file or directory', about a file that is there."""
    import xarray as xr

    grid = {"x": X0 + 5 + 10 * np.arange(40.0), "y": Y0 + 395 - 10 * np.arange(40.0)}
    # xarray takes its file lock from dask's current scheduler: a distributed client that
    # an earlier in-process job left registered (its close timed out under load) made it
    # ask for a distributed lock with no client, failing the write in some test orders
    with dask.config.set(scheduler="synchronous"):
        xr.Dataset({n: (("y", "x"), np.ones((40, 40), "f4")) for n in ("heat", "other")},
                   coords=grid).to_netcdf(sandbox.root / "layers.nc", engine="scipy")
    source = {"kind": "raster", "name": "layer", "path": file, "variable": variable}
    result = _ingest(sandbox, cli, scheduler, sources=[source])
    assert_clean_error(result, 1, *needles)


def test_a_truncated_cog_layer_is_refused_when_the_server_starts(tmp_path: Path) -> None:
    """Before: 'prospect serve' started, and each tile over the lost part was a 500
    'internal error (WarpOperationError)' that also dropped the client's connection."""
    import yaml

    from tiles.testing import make_tile_fixture

    fx = make_tile_fixture(tmp_path)
    config = yaml.safe_load(Path(fx.config).read_text())
    cog = (Path(fx.config).parent / config["layers"][0]["cog"]).resolve()
    data = cog.read_bytes()
    cog.write_bytes(data[: len(data) // 3])
    from prospect.config.tiles import load_serve_config
    from prospect.errors import CorruptFileError, InputFileError
    from tiles.service import build_layers

    # what 'prospect serve' does before it listens (the test never blocks on a server)
    # the file's own size against its blocks' end names it cut short before any tile
    with pytest.raises(InputFileError, match=r"blocks reach byte .* the file was cut short") \
            as err:
        build_layers(load_serve_config(fx.config))
    assert str(cog) in str(err.value) and "\n" not in str(err.value)
    assert isinstance(err.value, CorruptFileError) and Path(err.value.path) == cog


@pytest.mark.parametrize(("transform", "message"), [
    ((10, 2, X0, 2, -10, Y0 + 400), "rotated grids are not supported"),
    ((10, 0, X0, 0, 10, Y0), "the grid must be north-up"),
    ((10, 0, X0, 0, -20, Y0 + 400), "cells must be square"),
], ids=["rotated", "south-up", "not-square"])
def test_a_reference_raster_that_is_no_grid_is_named(sandbox: Sandbox, cli, transform: tuple,
                                                     message: str) -> None:
    """Before: the error said what was wrong but not which file (the region's reference)."""
    import rasterio
    from rasterio.transform import Affine

    path = sandbox.root / "reference.tif"
    with rasterio.open(path, "w", driver="GTiff", width=40, height=40, count=1,
                       dtype="float32", crs="EPSG:32619", transform=Affine(*transform)) as dst:
        dst.write(np.ones((40, 40), "float32"), 1)
    sandbox.write_job(region={"reference": "reference.tif", "chunks": [20, 20]})
    assert_clean_error(cli("plan", sandbox.job_path), 1, str(path), message)


# --- values the cube's float32 cannot hold ----------------------------------------------

DBL_MAX = float(np.finfo("float64").max)


def _float64(box: Sandbox, values: np.ndarray, nodata: float | None = None) -> None:
    import rasterio
    from rasterio.transform import from_origin

    profile = {"driver": "GTiff", "width": 40, "height": 40, "count": 1, "dtype": "float64",
               "crs": "EPSG:32619", "transform": from_origin(X0, Y0 + 400, 10, 10)}
    if nodata is not None:
        profile["nodata"] = nodata
    with rasterio.open(box.root / "f64.tif", "w", **profile) as dst:
        dst.write(values, 1)


@pytest.mark.parametrize(("fill", "needles"), [
    (1e300, ["f64.tif", "band 1 gives the infinite value inf", "beyond what float32 holds",
             "set 'nodata: 1e+300'", "'scale:'"]),
    (-DBL_MAX, ["f64.tif", "infinite value -inf", "a float64 fill of -1.8e308",
                "set 'nodata: -1.7976931348623157e+308' in the source config"]),
    (np.inf, ["f64.tif", "infinite value inf", "an infinity in the file", "'nodata:'"]),
], ids=["1e300", "float64-fill-undeclared", "inf"])
def test_a_value_the_cube_cannot_hold_is_refused(sandbox: Sandbox, cli, scheduler: str,
                                                 fill: float, needles: list[str]) -> None:
    """Before: a float64 value beyond +-3.4e38 became +-inf in the float32 cube, where every
    model took it for no data without a word (an ArcGIS fill of -1.8e308 too)."""
    values = np.random.default_rng(0).random((40, 40))
    values[:4] = fill
    _float64(sandbox, values)
    result = _ingest(sandbox, cli, scheduler,
                     sources=[{"kind": "raster", "name": "f", "path": "f64.tif"}])
    assert_clean_error(result, 1, *needles)
    assert not (sandbox.out / "cube.zarr" / "f").exists()


def test_a_float64_fill_declared_as_nodata_reads(sandbox: Sandbox, cli, scheduler: str) -> None:
    import zarr  # not xarray: its dask read would use whatever scheduler a test left

    values = np.random.default_rng(0).random((40, 40))
    values[:4] = -DBL_MAX
    _float64(sandbox, values, nodata=-DBL_MAX)
    result = _ingest(sandbox, cli, scheduler,
                     sources=[{"kind": "raster", "name": "f", "path": "f64.tif"}])
    assert result.code == 0, result.err[-3000:]
    got = np.asarray(zarr.open_array(sandbox.out / "cube.zarr" / "f", mode="r")[:])
    assert np.isnan(got[:4]).all() and np.isfinite(got[4:]).all()
    np.testing.assert_allclose(got[4:], values[4:].astype("float32"))


def test_a_geology_map_of_more_units_than_int16_holds_keeps_every_code(
    sandbox: Sandbox, cli, scheduler: str,
) -> None:
    """Before: refused ("33000 distinct units do not fit int16 codes", no fix); now the
    codes are int32 and each cell's code names its own unit."""
    import geopandas as gpd
    import xarray as xr
    import zarr
    from shapely.geometry import box

    n = 33_000  # 2 m squares, 200 to a row, the highest codes at the bottom left
    gpd.GeoDataFrame({"unit": [f"u{n - 1 - i:05d}" for i in range(n)]},
                     geometry=[box(X0 + 4 + 2 * (i % 200), Y0 + 4 + 2 * (i // 200),
                                   X0 + 6 + 2 * (i % 200), Y0 + 6 + 2 * (i // 200))
                               for i in range(n)], crs="EPSG:32619").to_file(
        sandbox.root / "geology.gpkg", layer="units", driver="GPKG")
    result = _ingest(sandbox, cli, scheduler, sources=[
        {"kind": "vector", "name": "geology", "path": "geology.gpkg", "layer": "units",
         "attribute": "unit"}])
    assert result.code == 0, result.err[-3000:]
    codes = zarr.open_array(sandbox.out / "cube.zarr" / "geology", mode="r")
    assert codes.dtype == np.int32
    names = json.loads(xr.open_zarr(sandbox.out / "cube.zarr")["geology"].attrs["categories"])
    got = codes[:]
    rows, cols = np.nonzero(got >= 0)
    assert rows.size > 1000 and got.max() > 32767
    for r, c in zip(rows, cols, strict=True):  # the square under the cell centre
        x, y = 5 + 10 * c, 395 - 10 * r
        assert names[str(got[r, c])] == f"u{n - 1 - ((y - 4) // 2 * 200 + (x - 4) // 2):05d}"


# --- a mask band marks no data as surely as a nodata value --------------------------------

@pytest.mark.parametrize("values", ["continuous", "categorical"])
def test_pixels_a_mask_band_masks_are_no_data(sandbox: Sandbox, cli, scheduler: str,
                                              values: str) -> None:
    """Before: a GeoTIFF masked by an internal mask band (GDAL's way for JPEG imagery and
    many COGs), not by a nodata value, had its masked pixels ingested as values: 37 under
    the mask, no warning (37 is no common fill)."""
    import rasterio
    import zarr
    from rasterio.transform import from_origin

    data = (np.arange(1600).reshape(40, 40) % 200 + 1).astype("uint8")
    data[:10] = 37
    keep = np.full((40, 40), 255, "uint8")
    keep[:10] = 0
    with rasterio.Env(GDAL_TIFF_INTERNAL_MASK=True), rasterio.open(
            sandbox.root / "masked.tif", "w", driver="GTiff", width=40, height=40, count=1,
            dtype="uint8", crs="EPSG:32619", transform=from_origin(X0, Y0 + 400, 10, 10)
    ) as dst:
        dst.write(data, 1)
        dst.write_mask(keep)
    result = _ingest(sandbox, cli, scheduler, sources=[
        {"kind": "raster", "name": "m", "path": "masked.tif", "values": values}])
    assert result.code == 0, result.err[-3000:]
    got = np.asarray(zarr.open_array(sandbox.out / "cube.zarr" / "m", mode="r")[:])
    if values == "continuous":
        assert np.isnan(got[:10]).all()
    else:  # the integer fill of the categorical variable
        assert (got[:10] < 0).all()
    np.testing.assert_array_equal(got[10:], data[10:])
    assert "warning" not in result.err


def test_an_empty_faults_layer_is_refused(sandbox: Sandbox, cli) -> None:
    """Before: every distance to a fault was no data, with a warning naming the variable
    but not why."""
    import geopandas as gpd

    source = _units(sandbox, ["granite", "basalt"], [_polygon(0), _polygon(1)])
    gpd.GeoDataFrame({"n": []}, geometry=gpd.GeoSeries([], crs="EPSG:32619"),
                     crs="EPSG:32619").to_file(sandbox.root / "geology.gpkg", layer="faults",
                                               driver="GPKG")
    sandbox.write_job(sources=[{**source, "faults_layer": "faults"}])
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out)
    assert_clean_error(result, 1, "geology.gpkg", "the faults layer 'faults' holds no features",
                       "leave 'faults_layer' out")
    assert not (sandbox.out / "cube.zarr").exists()


def test_multipoint_labels_are_refused_with_the_fix(sandbox: Sandbox, cli) -> None:
    import geopandas as gpd
    from shapely.geometry import MultiPoint

    gpd.GeoDataFrame({"li": [1.0]}, geometry=[MultiPoint([(X0 + 50, Y0 + 50),
                                                          (X0 + 150, Y0 + 150)])],
                     crs="EPSG:32619").to_file(sandbox.root / "wells.geojson")
    sandbox.write_job(sources=[{"kind": "points", "name": "wells", "path": "wells.geojson",
                                "columns": ["li"], "distance": True}])
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out)
    assert_clean_error(result, 1, "wells.geojson", "found ['MultiPoint']",
                       "one point per feature", "-explodecollections")


# --- a stage that fails keeps what it found ------------------------------------------------

@pytest.mark.parametrize("fails", ["planning", "computing"])
def test_a_failing_stage_prints_and_records_its_data_warnings(
    sandbox: Sandbox, cli, scheduler: str, fails: str,
) -> None:
    """Before: the geology's warning (a feature without a unit name) was neither printed nor
    kept in the manifest once a later source failed the stage: only a finished stage's
    warnings were. The two units cover the region (a map of part of it is warned of too,
    since round 65b)."""
    from shapely.geometry import box

    halves = [box(X0, Y0, X0 + 200, Y0 + 400), box(X0 + 200, Y0, X0 + 400, Y0 + 400)]
    geology = _units(sandbox, ["a", None], halves)
    if fails == "planning":  # a later source that is no raster
        (sandbox.root / "f64.tif").write_bytes(b"not a GeoTIFF at all\n" * 20)
    else:  # a later source whose values the cube cannot hold, found by a chunk's task
        values = np.random.default_rng(0).random((40, 40))
        values[:4] = np.inf
        _float64(sandbox, values)
    result = _ingest(sandbox, cli, scheduler,
                     sources=[geology, {"kind": "raster", "name": "f", "path": "f64.tif"}])
    assert_clean_error(result, 1, "f64.tif")
    warning = "1 of 2 feature(s) have no value in 'unit'"
    text = " ".join(result.err.split())
    assert warning in text
    assert text.index(warning) < text.index("error:")  # under the stage, before the error
    stage = json.loads((sandbox.out / "manifest.json").read_text())["stages"]["ingest"]
    assert stage["status"] == "failed"
    assert [n for n in stage["notes"] if warning in n] == stage["notes"][:1]
    assert stage["metrics"]["data_warnings"] == 1
    assert sandbox.untouched()


# --- a faults layer of polygons or points ---------------------------------------------------

def _faults(box: Sandbox, geoms: list) -> dict:
    """Geology units and a faults layer of ``geoms`` in one GeoPackage (SYNTHETIC)."""
    import geopandas as gpd

    source = _units(box, ["granite", "basalt"], [_polygon(0), _polygon(1)])
    gpd.GeoDataFrame({"n": list(range(len(geoms)))}, geometry=geoms, crs="EPSG:32619").to_file(
        box.root / "geology.gpkg", layer="faults", driver="GPKG")
    return {**source, "faults_layer": "faults"}


def _cell_distances(geoms: list) -> np.ndarray:
    """Each cell centre's distance to the nearest of ``geoms`` (0 inside a polygon)."""
    import shapely

    xs = X0 + 5 + 10 * np.arange(40)
    ys = Y0 + 395 - 10 * np.arange(40)
    xx, yy = np.meshgrid(xs, ys)
    return shapely.distance(shapely.points(xx, yy)[..., None], np.array(geoms)).min(axis=-1)


@pytest.mark.parametrize("mixed", [False, True], ids=["zones", "zones-and-lines"])
def test_fault_polygons_are_zones_at_distance_zero_inside(sandbox: Sandbox, cli, scheduler: str,
                                                          mixed: bool) -> None:
    """Before: a polygon's distance was to its outline (cells inside a fault zone got their
    distance to its edge, not 0), without a word; beside lines, the lines' boundaries (their
    two end points) were taken for them."""
    import zarr
    from shapely.geometry import LineString, box

    geoms = [box(X0 + 100, Y0 + 100, X0 + 200, Y0 + 200)]
    if mixed:
        geoms.append(LineString([(X0 - 100, Y0 + 303), (X0 + 500, Y0 + 303)]))
    result = _ingest(sandbox, cli, scheduler, sources=[_faults(sandbox, geoms)])
    assert result.code == 0, result.err[-3000:]
    warning = (f"the faults layer 'faults' holds polygons (1 of {len(geoms)} feature(s)); "
               "they are taken as fault zones (areas): a cell inside one is at distance 0")
    assert warning in " ".join(result.err.split())
    assert any(warning in n and "geology.gpkg" in n for n in _notes(sandbox))
    got = np.asarray(zarr.open_array(sandbox.out / "cube.zarr" / "geology_dist_fault",
                                     mode="r")[:])
    np.testing.assert_allclose(got, _cell_distances(geoms), atol=1e-3)
    assert (got[20:30, 10:20] == 0).all() and got.max() > 100


@pytest.mark.parametrize("with_lines", [False, True], ids=["points", "lines-and-points"])
def test_fault_points_are_refused(sandbox: Sandbox, cli, with_lines: bool) -> None:
    """Before: distances were measured to the points without a word (and beside lines, to
    nothing of the points: only the lines' own boundaries)."""
    from shapely.geometry import LineString, MultiPoint, Point

    geoms = [Point(X0 + 50, Y0 + 50), MultiPoint([(X0 + 10, Y0 + 10), (X0 + 90, Y0 + 90)])]
    if with_lines:
        geoms.append(LineString([(X0, Y0 + 303), (X0 + 400, Y0 + 303)]))
    sandbox.write_job(sources=[_faults(sandbox, geoms)])
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out)
    assert_clean_error(result, 1, "geology.gpkg", "faults layer 'faults' holds points",
                       f"(2 of {len(geoms)} feature(s))", "give the layer of fault lines")
    assert not (sandbox.out / "cube.zarr").exists()
