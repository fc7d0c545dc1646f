"""Point tables (wells, samples) that were read as something other than they say.

Found by fuzzing the ingest of point tables (round A): a European export's ``1.250`` read
as 1.25, fill values (-9999) interpolated as measurements, a wrong ``.prj`` blamed on
``(lon, lat)``, a delimiter ending every row that shifted the columns, and one stray byte
that made a UTF-8 file Latin-1. Each case runs the real CLI and holds it to the corpus's
rules (exit code, one error line naming the file and the fix, no traceback, nothing
outside ``-o`` touched); the controls are tables that must keep reading as before. Every
file here is small and SYNTHETIC.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from .conftest import Sandbox, assert_clean_error

X0, Y0 = 500000.0, 1350000.0
# points on cell centres of the tiny grid: the IDW surface there is the point's value
PLACES = [(X0 + 5 + 20 * i, Y0 + 5 + 10 * ((7 * i) % 40)) for i in range(20)]
WELLS = {"kind": "points", "name": "wells", "path": "wells.csv", "x": "x", "y": "y",
         "crs": "EPSG:32619", "columns": ["li"], "interpolate": ["idw"]}


def _ingest(box: Sandbox, cli, scheduler: str, **changes):
    box.write_job(**changes)
    return cli("ingest", box.job_path, "-o", box.out, "--scheduler", scheduler)


def _table(box: Sandbox, cells: list[str], *, sep: str = ",", header: str = "x,y,li",
           end: str = "", name: str = "wells.csv") -> Path:
    """A table with the :data:`PLACES` as whole metres and ``cells`` as ``li``."""
    rows = [header.replace(",", sep)]
    rows += [f"{x:.0f}{sep}{y:.0f}{sep}{c}{end}" for (x, y), c in zip(PLACES, cells,
                                                                     strict=False)]
    path = box.root / name
    path.write_text("\n".join(rows) + "\n")
    return path


def _at_points(box: Sandbox, variable: str = "wells_li") -> np.ndarray:
    """The cube's values on the cells of :data:`PLACES`."""
    import xarray as xr

    cube = xr.open_zarr(box.out / "cube.zarr")[variable]
    return np.array([float(cube.sel(x=x, y=y, method="nearest")) for x, y in PLACES])


def _said(result) -> str:
    return " ".join(result.err.split())  # the console wraps long lines


def _notes(box: Sandbox) -> list[str]:
    stage = json.loads((box.out / "manifest.json").read_text())["stages"]["ingest"]
    return [n for n in stage["notes"] if n.startswith("warning:")]


# --- decimal commas and thousands separators --------------------------------------------

# a Dutch or German Excel export: '1.250' is 1250 mg/L, '12,5' is 12.5 mg/L
EUROPEAN = ["150", "12,5", "1.250", "980", "2.100", "75", "1.050", "300", "45,5", "600",
            "1.500", "88", "700", "1.120", "64", "510", "2.400", "90", "130", "1.010"]
EUROPEAN_VALUES = [150, 12.5, 1250, 980, 2100, 75, 1050, 300, 45.5, 600, 1500, 88, 700, 1120,
                   64, 510, 2400, 90, 130, 1010]


def test_a_european_table_is_read_in_its_decimal_commas(sandbox: Sandbox, cli,
                                                        scheduler: str) -> None:
    """Before: '1.250' was read as 1.25 without a word (9 of 20 values 1000 times too
    small); only '12,5' was warned of, as not a number."""
    _table(sandbox, EUROPEAN, sep=";")
    result = _ingest(sandbox, cli, scheduler, sources=[WELLS])
    assert result.code == 0, result.err[-3000:]
    assert "not finite numbers" not in _said(result)
    np.testing.assert_allclose(_at_points(sandbox), EUROPEAN_VALUES, rtol=1e-6)
    assert sandbox.untouched()


def test_decimal_commas_and_thousands_points_together_are_read(sandbox: Sandbox, cli,
                                                                 scheduler: str) -> None:
    """'1.250,5' (both separators) and a quoted '12,5' in a comma-separated table."""
    # a comma-separated table: its decimal commas are quoted
    _table(sandbox, ['"1.250,5"', '"12,5"', "3", *["7"] * 17])
    result = _ingest(sandbox, cli, scheduler, sources=[WELLS])
    assert result.code == 0, result.err[-3000:]
    np.testing.assert_allclose(_at_points(sandbox)[:3], [1250.5, 12.5, 3], rtol=1e-6)


@pytest.mark.parametrize(("cells", "needles"), [
    # only numbers that read either way: 1.25 with a decimal point, 1250 with a thousands one
    (["150", "1.250", "980", "2.100", *["75"] * 16],
     ["'li'", "'1.250' (line 3)", "1.25 with a decimal point", "1250", "decimal: \".\"",
      "decimal: \",\""]),
    # both notations in one table: one of them is misread whichever is taken
    (["150", "12,5", "1.5", *["75"] * 17],
     ["'li'", "decimal commas ('12,5'", "decimal points ('1.5'", "decimal: \",\""]),
], ids=["either-way", "both-notations"])
def test_numbers_whose_notation_cannot_be_told_are_refused_naming_decimal(
    sandbox: Sandbox, cli, scheduler: str, cells: list[str], needles: list[str],
) -> None:
    """Before: read silently in decimal points (1.250 -> 1.25), or with '12,5' warned of
    as not a number."""
    _table(sandbox, cells, sep=";")
    result = _ingest(sandbox, cli, scheduler, sources=[WELLS])
    assert_clean_error(result, 1, "wells.csv", *needles)
    assert not (sandbox.out / "cube.zarr").exists()
    assert sandbox.untouched()


@pytest.mark.parametrize(("decimal", "expected"), [(",", 1250.0), (".", 1.25)])
def test_decimal_in_the_source_says_how_to_read_the_numbers(
    sandbox: Sandbox, cli, scheduler: str, decimal: str, expected: float,
) -> None:
    """Before: 'decimal' was an unknown key (exit 2), and there was no way to say it."""
    _table(sandbox, ["150", "1.250", "980", "2.100", *["75"] * 16], sep=";")
    result = _ingest(sandbox, cli, scheduler, sources=[WELLS | {"decimal": decimal}])
    assert result.code == 0, result.err[-3000:]
    assert _at_points(sandbox)[1] == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize(("sep", "cells", "expected"), [
    (",", ["1.25", "12.5", "980", *["75.5"] * 17], [1.25, 12.5, 980]),
    (";", ["1.25", "12.5", "980", *["75.5"] * 17], [1.25, 12.5, 980]),
    ("\t", ["0.125", "1.250", "2e3", *["7"] * 17], [0.125, 1.25, 2000]),
    # a comma table of numbers with three decimals: a decimal comma would need quotes
    (",", ["1.250", "2.100", "980", *["7"] * 17], [1.25, 2.1, 980]),
], ids=["comma", "semicolon", "tab-with-exponent", "comma-three-decimals"])
def test_control_tables_in_decimal_points_read_as_before(
    sandbox: Sandbox, cli, scheduler: str, sep: str, cells: list[str], expected: list[float],
) -> None:
    _table(sandbox, cells, sep=sep)
    result = _ingest(sandbox, cli, scheduler, sources=[WELLS])
    assert result.code == 0, result.err[-3000:]
    assert "warning" not in result.err.lower()
    np.testing.assert_allclose(_at_points(sandbox)[:3], expected, rtol=1e-6)


@pytest.mark.parametrize(("value", "needles"), [
    (";", ["decimal", "','", "'.'"]),
    ("comma", ["decimal", "','"]),
])
def test_a_decimal_that_is_no_separator_is_a_config_error(sandbox: Sandbox, cli, value: str,
                                                          needles: list[str]) -> None:
    _table(sandbox, ["1"] * 20)
    sandbox.write_job(sources=[WELLS | {"decimal": value}])
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out)
    assert_clean_error(result, 2, *needles)


# --- fill values read as measurements ----------------------------------------------------

SENTINEL = [str(-9999 if i in (3, 7, 11) else 100 + i) for i in range(20)]


def test_a_common_fill_in_a_value_column_is_a_warning(sandbox: Sandbox, cli,
                                                      scheduler: str) -> None:
    """Before: -9999 ('not analysed') was interpolated as a measurement without a word."""
    _table(sandbox, SENTINEL)
    result = _ingest(sandbox, cli, scheduler, sources=[WELLS])
    assert result.code == 0, result.err[-3000:]
    notes = [n for n in _notes(sandbox) if "-9999" in n]
    assert len(notes) == 1, _notes(sandbox)
    for needle in ("wells.csv", "column 'li' holds -9999 on 3 of 20 rows",
                   "(lines 5, 9, 13)", "nodata: -9999"):
        assert needle in notes[0], notes


@pytest.mark.parametrize(("nodata", "cells", "missing"), [
    (-9999, SENTINEL, [3, 7, 11]),
    # IHFC heat-flow tables write 0 where no value was measured
    ([-9999, 0], [str(-9999 if i == 2 else 0 if i in (5, 6) else 60 + i) for i in range(20)],
     [2, 5, 6]),
], ids=["one-value", "list"])
def test_declared_nodata_is_read_as_missing_and_counted(
    sandbox: Sandbox, cli, scheduler: str, nodata, cells: list[str], missing: list[int],
) -> None:
    """Before: 'nodata' was an unknown key of a points source (exit 2)."""
    _table(sandbox, cells)
    result = _ingest(sandbox, cli, scheduler, sources=[WELLS | {"nodata": nodata}])
    assert result.code == 0, result.err[-3000:]
    said = _said(result)
    assert f"{len(missing)} of 20 value(s) in column 'li' are the declared nodata" in said, \
        said[-3000:]
    assert "commonly used to mark no data" not in said
    got = _at_points(sandbox)
    kept = [i for i in range(20) if i not in missing]
    np.testing.assert_allclose(got[kept], [float(cells[i]) for i in kept], rtol=1e-6)
    assert got[missing].min() >= 60  # interpolated from the measurements around


def test_declared_nodata_of_a_label_grade_is_no_grade(sandbox: Sandbox, cli,
                                                      scheduler: str) -> None:
    """The labels reader keeps the same rule: a fill is warned of, a declared one is no
    grade. Before: 'nodata' was an unknown key, and -9999 was a grade below any threshold."""
    _table(sandbox, SENTINEL)
    model = {"mineral": "lithium", "estimator": "random_forest",
             "labels": {"source": "wells", "value_column": "li", "threshold": 105},
             "cv": {"kind": "random", "n_splits": 2}}
    labels = {k: v for k, v in WELLS.items() if k != "interpolate"}
    sources = [{"kind": "raster", "name": "heat", "path": "heat.tif"}, labels]
    result = _ingest(sandbox, cli, scheduler, sources=sources, model=model)
    assert result.code == 0, result.err[-3000:]
    assert "column 'li' holds -9999 on 3 of 20 rows" in _said(result)
    from prospect.config.sources import PointSource
    from prospect.grid import RegionGrid
    from prospect.io.points import source_options
    from prospect.models.labels import read_occurrences

    grid = RegionGrid(crs="EPSG:32619", resolution=10.0,
                      bounds=(X0, Y0, X0 + 400, Y0 + 400), chunks=(20, 20))
    source = PointSource(**(labels | {"path": sandbox.root / "wells.csv", "nodata": -9999}))
    with pytest.warns(UserWarning, match="3 of 20 value.*declared nodata"):
        occ = read_occurrences(source.path, grid, **source_options(source),
                               value_column="li")
    assert np.isnan(occ.values).sum() == 3 and np.nanmin(occ.values) >= 100


@pytest.mark.parametrize(("value", "needles"), [
    ([], ["nodata", "empty list"]),
    ("no", ["nodata", "YAML reads yes/no", "a number or a list of numbers"]),
    ([-9999, -9999], ["nodata", "more than once"]),
], ids=["empty", "boolean", "repeated"])
def test_a_nodata_that_marks_nothing_is_a_config_error(sandbox: Sandbox, cli, value,
                                                       needles: list[str]) -> None:
    import yaml

    _table(sandbox, ["1"] * 20)
    job = sandbox.job(sources=[WELLS | {"nodata": "PLACEHOLDER"}])
    raw = yaml.safe_dump(job, sort_keys=False).replace("PLACEHOLDER",
                                                        "no" if value == "no" else str(value))
    sandbox.write_job(text=raw)
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out)
    assert_clean_error(result, 2, *needles)


def test_control_zeros_and_minus_ones_are_measurements(sandbox: Sandbox, cli,
                                                       scheduler: str) -> None:
    """0 and -1 are counts, classes and values below detection as often as fills: never
    warned of as fills (a declared nodata says when they mark no data). (Since round 38 a
    -1 of a column named by its element alone, ``li``, is minus a detection limit, read
    as half of it, and said so.)"""
    _table(sandbox, [str(0 if i % 3 == 0 else -1 if i % 3 == 1 else 5) for i in range(20)])
    result = _ingest(sandbox, cli, scheduler, sources=[WELLS])
    assert result.code == 0, result.err[-3000:]
    said = " ".join(result.err.split()).lower()
    assert "no data" not in said and "nodata" not in said, said


# --- a vector points file read in its own (wrong) CRS ------------------------------------

def test_a_points_file_in_its_own_wrong_crs_names_that_crs_and_the_fix(
    sandbox: Sandbox, cli,
) -> None:
    """Before: 'check the coordinate columns (lon, lat) and crs (EPSG:4326)', neither of
    which was used: the file's .prj (a wrong polar stereographic) was."""
    import geopandas as gpd
    from shapely.geometry import Point

    path = sandbox.root / "wells.shp"
    gpd.GeoDataFrame({"li": [float(i) for i in range(20)]},
                     geometry=[Point(x, y) for x, y in PLACES],
                     crs="EPSG:3031").to_file(path)  # UTM 19N metres under a polar .prj
    source = {"kind": "points", "name": "wells", "path": "wells.shp", "columns": ["li"],
              "interpolate": ["idw"]}
    sandbox.write_job(sources=[source])
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out)
    line = assert_clean_error(result, 1, "wells.shp", "none of its 20 points",
                              "the file's own CRS", "Antarctic Polar Stereographic",
                              "'crs:'", "20 of them would lie in it", "EPSG:32619")
    assert "(lon, lat)" not in line and "EPSG:4326" not in line
    assert sandbox.untouched()


# --- a delimiter ending every row ------------------------------------------------------

def test_a_delimiter_ending_every_row_is_no_column(sandbox: Sandbox, cli,
                                                   scheduler: str) -> None:
    """Before: pandas took the first column for the rows' index, every column shifted
    ('no row's coordinates lon/lat are valid ... (e.g. 12.13, 100)')."""
    _table(sandbox, [str(100 + i) for i in range(20)], end=",")
    result = _ingest(sandbox, cli, scheduler, sources=[WELLS])
    assert result.code == 0, result.err[-3000:]
    np.testing.assert_allclose(_at_points(sandbox), [100 + i for i in range(20)])


def test_rows_with_more_values_than_the_header_names_are_refused(sandbox: Sandbox, cli,
                                                                 scheduler: str) -> None:
    """Before: the first column became the rows' index and every value moved one column
    left, silently (R's write.table writes row names so, without a header)."""
    _table(sandbox, [f"{100 + i},{i % 4}" for i in range(20)])
    result = _ingest(sandbox, cli, scheduler, sources=[WELLS])
    assert_clean_error(result, 1, "wells.csv", "line 2 has 4 values but the header names 3",
                       "name every column in the header")
    assert sandbox.untouched()


# --- encodings ---------------------------------------------------------------------------

MICRO = {**WELLS, "columns": ["Li (µg/L)"]}


def test_one_stray_byte_in_utf8_keeps_the_rest_utf8(sandbox: Sandbox, cli,
                                                    scheduler: str) -> None:
    """Before: the whole file was read as Latin-1, 'Li (µg/L)' became 'Li (Âµg/L)' and the
    configured column was not found."""
    rows = ["x,y,Li (µg/L),note", *[f"{x:.0f},{y:.0f},{100 + i},ok"
                                   for i, (x, y) in enumerate(PLACES[:-1])]]
    data = ("\n".join(rows) + "\n").encode("utf-8")
    x, y = PLACES[-1]
    data += f"{x:.0f},{y:.0f},99,caf".encode() + b"\xe9\n"  # typed on a Windows machine
    (sandbox.root / "wells.csv").write_bytes(data)
    result = _ingest(sandbox, cli, scheduler, sources=[MICRO])
    assert result.code == 0, result.err[-3000:]
    notes = _notes(sandbox)
    assert len(notes) == 1, notes
    for needle in ("wells.csv", "1 byte(s) that are not UTF-8", "line 21", "0xE9", "'é'",
                   "save the table as UTF-8"):
        assert needle in notes[0], notes
    np.testing.assert_allclose(_at_points(sandbox, "wells_Li___g_L_"),
                               [100 + i for i in range(19)] + [99])


def test_control_a_latin1_table_reads_as_before(sandbox: Sandbox, cli,
                                                scheduler: str) -> None:
    rows = ["x;y;Li (µg/L);note", *[f"{x:.0f};{y:.0f};{100 + i};café"
                                   for i, (x, y) in enumerate(PLACES)]]
    (sandbox.root / "wells.csv").write_bytes(("\n".join(rows) + "\n").encode("latin-1"))
    result = _ingest(sandbox, cli, scheduler, sources=[MICRO])
    assert result.code == 0, result.err[-3000:]
    assert "warning" not in result.err.lower()
    np.testing.assert_allclose(_at_points(sandbox, "wells_Li___g_L_"),
                               [100 + i for i in range(20)])


def test_kriging_more_places_than_memory_can_fit_is_refused_before_the_fit(
        sandbox: Sandbox, cli, scheduler: str) -> None:
    """Before: pykrige set out to fit the variogram from all 20 000 million pairs of
    200 000 samples at once: "internal error: MemoryError: Unable to allocate 149. GiB",
    exit 70 (a table a few times smaller fits in the allocation and runs the machine out
    of memory instead). Now one line, at plan time, with the memory it would need and
    what to do instead. (Since round 39 records within a metre of each other are one
    place of the kriged model: the samples lie on a lattice 1.01 m apart, 156 816 places,
    about 92 GiB to fit.)"""
    rng = np.random.default_rng(7)
    step = 400 / 396
    g = np.arange(396 * 396)
    xy = np.column_stack([(g % 396 + 0.5) * step, (g // 396 + 0.5) * step])
    lines = ["x,y,li"] + [f"{X0 + x:.4f},{Y0 + y:.4f},{v:.3f}"
                          for (x, y), v in zip(xy, rng.uniform(1, 90, len(xy)), strict=True)]
    (sandbox.root / "wells.csv").write_text("\n".join(lines) + "\n")
    result = _ingest(sandbox, cli, scheduler, sources=[{**WELLS, "interpolate": ["kriging"]}])
    line = assert_clean_error(result, 1, "wells.csv", "'li'", "156816 places", "GiB",
                              "interpolate: [idw]")
    assert "free" in line
    assert not (sandbox.out / "cube.zarr").exists()
    assert sandbox.untouched()
