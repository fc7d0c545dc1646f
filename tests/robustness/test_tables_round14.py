"""Round 14: the point-table items rounds 11 and 12 found and left.

A few rows whose longitude lost its sign (or whose coordinates are far off) lie far outside
the region and took part in IDW and kriging without a word; a second header row's units
were skipped, not recorded; qualifier codes stored as numbers (1 or -1 for "below the
limit") were not read; ``flags`` on the labels' grade column needed it in ``columns``.
Each case runs the real CLI and holds it to the corpus's rules; the controls must keep
reading as before. Every file here is small and SYNTHETIC, but for the real tables of the
shipped jobs (skipped without them).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
import yaml
from pyproj import Transformer

from .conftest import Sandbox, assert_clean_error
from .test_point_tables import PLACES, WELLS, X0, Y0, _at_points, _ingest
from .test_tables_round12 import _said, _warnings, _write

REPO = Path(__file__).resolve().parents[2]


def _units(box: Sandbox, variable: str = "wells_li") -> str:
    import xarray as xr

    return str(xr.open_zarr(box.out / "cube.zarr")[variable].attrs.get("units", ""))


# --- points far outside the region --------------------------------------------------------

LONLAT = Transformer.from_crs("EPSG:32619", "EPSG:4326", always_xy=True)
TURNED = [3, 8, 15]
"""Rows whose longitude lost its sign (Bonaire's 68.3 W written 68.3)."""


def _lonlat_table(box: Sandbox, *, turned: list[int], lat: bool = False) -> None:
    rows = ["lon,lat,li"]
    for i, (x, y) in enumerate(PLACES):
        lon, la = LONLAT.transform(x, y)
        if i in turned:
            lon, la = (lon, -la) if lat else (-lon, la)
        rows.append(f"{lon:.7f},{la:.7f},{i + 1}")
    (box.root / "wells.csv").write_text("\n".join(rows) + "\n")


LONLAT_WELLS = {**WELLS, "x": "lon", "y": "lat", "crs": "EPSG:4326"}


@pytest.mark.parametrize("method", ["idw", "kriging"])
def test_a_few_longitudes_without_their_sign_are_dropped_and_named(
        sandbox: Sandbox, cli, scheduler: str, method: str) -> None:
    """Before: 3 of 20 rows at 68.3 E, half a world from Bonaire, were read without a word
    (IDW took them as neighbours where it had too few; kriging fitted its variogram from
    them)."""
    _lonlat_table(sandbox, turned=TURNED)
    result = _ingest(sandbox, cli, scheduler,
                     sources=[{**LONLAT_WELLS, "interpolate": [method]}])
    assert result.code == 0, result.err[-3000:]
    said = [n for n in _warnings(sandbox) if "far outside the region" in n]
    assert len(said) == 1, _warnings(sandbox)
    for needle in ("3 of 20 point(s) lie far outside the region 'tiny'", "lines 5, 10, 17",
                   "dropped", "sign of longitude turned, 3 of them would lie in the region"):
        assert needle in said[0], said
    kept = [i for i in range(20) if i not in TURNED]
    np.testing.assert_allclose(_at_points(sandbox)[kept], [i + 1 for i in kept], rtol=1e-4)
    assert sandbox.untouched()


def test_latitudes_without_their_sign_are_named(sandbox: Sandbox, cli, scheduler: str
                                                ) -> None:
    _lonlat_table(sandbox, turned=[4, 11], lat=True)
    result = _ingest(sandbox, cli, scheduler, sources=[{**LONLAT_WELLS,
                                                        "interpolate": ["kriging"]}])
    assert result.code == 0, result.err[-3000:]
    assert "sign of latitude turned, 2 of them" in _said(result)


def test_a_far_row_that_idw_takes_as_a_neighbour_is_dropped(sandbox: Sandbox, cli,
                                                            scheduler: str) -> None:
    """Before: 10 wells and 16 neighbours per cell: a well whose northing lost a digit
    (135 000 for 1 350 000, 1 200 km away) was a neighbour of every cell, without a word."""
    rows = ["x,y,li"] + [f"{x:.0f},{y:.0f},{i + 1}" for i, (x, y) in enumerate(PLACES[:10])]
    rows[4] = f"{PLACES[3][0]:.0f},{PLACES[3][1] / 10:.0f},4"
    (sandbox.root / "wells.csv").write_text("\n".join(rows) + "\n")
    result = _ingest(sandbox, cli, scheduler, sources=[WELLS])
    assert result.code == 0, result.err[-3000:]
    said = _said(result)
    assert "1 of 10 point(s) lie far outside the region" in said, said[-2000:]
    assert "line 5" in said and "IDW's neighbours" in said and "sign" not in said


def test_a_far_row_in_a_kriged_table_is_dropped(sandbox: Sandbox, cli, scheduler: str
                                                ) -> None:
    """Before: one easting 100 km off shaped the variogram of 20 wells in 400 m."""
    cells = [str(20 + (i * 7) % 13) for i in range(20)]
    path = _write(sandbox, "x,y,li", cells)
    lines = path.read_text().splitlines()
    lines[7] = lines[7].replace(f"{PLACES[6][0]:.0f}", f"{PLACES[6][0] + 100_000:.0f}", 1)
    path.write_text("\n".join(lines) + "\n")
    result = _ingest(sandbox, cli, scheduler, sources=[{**WELLS, "interpolate": ["kriging"]}])
    assert result.code == 0, result.err[-3000:]
    assert "1 of 20 point(s) lie far outside" in _said(result)
    assert "line 8" in _said(result)


def test_control_points_just_outside_the_region_stay_neighbours(
        sandbox: Sandbox, cli, scheduler: str) -> None:
    """Control: wells a few hundred metres outside a 400 m region are neighbours, silently."""
    rows = ["x,y,li"] + [f"{x:.0f},{y:.0f},{i + 1}" for i, (x, y) in enumerate(PLACES)]
    rows += [f"{X0 - 300:.0f},{Y0 + 200:.0f},50", f"{X0 + 700:.0f},{Y0 + 100:.0f},60"]
    (sandbox.root / "wells.csv").write_text("\n".join(rows) + "\n")
    for method in ("idw", "kriging"):
        result = _ingest(sandbox, cli, scheduler, sources=[{**WELLS, "interpolate": [method]}])
        assert result.code == 0, result.err[-3000:]
        assert "far outside" not in _said(result)


def test_control_a_wide_table_cut_by_a_small_region_is_silent(
        sandbox: Sandbox, cli, scheduler: str) -> None:
    """Control: a table of a whole survey (points every 2 km over 100 km) over a 400 m
    region: the far points are no cell's neighbours, and IDW says nothing."""
    rng = np.random.default_rng(1)
    far = [(X0 - 50_000 + 2000 * a, Y0 - 50_000 + 2000 * b) for a in range(50)
           for b in range(50)]
    rows = ["x,y,li"] + [f"{x:.0f},{y:.0f},{i + 1}" for i, (x, y) in enumerate(PLACES)]
    rows += [f"{x:.0f},{y:.0f},{v:.2f}" for (x, y), v in zip(far, rng.random(len(far)) * 20,
                                                           strict=True)]
    (sandbox.root / "wells.csv").write_text("\n".join(rows) + "\n")
    result = _ingest(sandbox, cli, scheduler, sources=[WELLS])
    assert result.code == 0, result.err[-3000:]
    assert "far outside" not in _said(result)


# --- a second header row of units ---------------------------------------------------------

def _units_row(box: Sandbox, units: str = "m,m,mg/L") -> None:
    rows = ["x,y,li", units] + [f"{x:.0f},{y:.0f},{i + 1}" for i, (x, y) in enumerate(PLACES)]
    (box.root / "wells.csv").write_text("\n".join(rows) + "\n")


def test_a_units_row_gives_the_cubes_units(sandbox: Sandbox, cli, scheduler: str) -> None:
    """Before: the row was skipped and the cube's 'wells_li' had no units."""
    _units_row(sandbox)
    result = _ingest(sandbox, cli, scheduler, sources=[WELLS])
    assert result.code == 0, result.err[-3000:]
    assert _units(sandbox) == "mg/L"


def test_a_units_row_against_the_configs_units_is_warned(sandbox: Sandbox, cli,
                                                         scheduler: str) -> None:
    _units_row(sandbox, "m,m,ug/L")
    result = _ingest(sandbox, cli, scheduler, sources=[{**WELLS, "units": {"li": "mg/L"}}])
    assert result.code == 0, result.err[-3000:]
    assert "'li' states ug/L in the table's row of units but 'units' gives 'mg/L'" in \
        _said(result)
    assert _units(sandbox) == "mg/L"


def test_control_a_units_row_that_agrees_with_units_is_quiet(sandbox: Sandbox, cli,
                                                             scheduler: str) -> None:
    _units_row(sandbox, "m,m,[mg/l]")
    result = _ingest(sandbox, cli, scheduler, sources=[{**WELLS, "units": {"li": "mg/L"}}])
    assert result.code == 0, result.err[-3000:]
    assert "row of units but" not in _said(result) and _units(sandbox) == "mg/L"


# --- qualifier codes stored as numbers ----------------------------------------------------

FLAGGED = [0, 5, 9, 14]


@pytest.mark.parametrize(("code", "other"), [("1", "0"), ("-1", ""), ("1.0", "0.0")],
                         ids=["one-zero", "minus-one", "floats"])
def test_numeric_codes_named_in_flags_are_read(sandbox: Sandbox, cli, scheduler: str,
                                               code: str, other: str) -> None:
    """Before: 'flags' took a column name only; a remark code 1 (or -1) for "below the
    limit" was "another flag, read as measured", the limit interpolated as a value."""
    _write(sandbox, "x,y,li,li_rmk",
           [(f"0.5,{code}" if i in FLAGGED else f"{20 + i},{other}") for i in range(20)])
    below = [float(code)]
    result = _ingest(sandbox, cli, scheduler, sources=[
        {**WELLS, "flags": {"li": {"column": "li_rmk", "below": below}}}])
    assert result.code == 0, result.err[-3000:]
    said = _said(result)
    assert "4 are flagged below the detection limit by column 'li_rmk'" in said, said[-2000:]
    assert "other flags" not in said
    assert _at_points(sandbox)[FLAGGED].min() >= 20


def test_numeric_codes_above_the_upper_limit_are_read(sandbox: Sandbox, cli,
                                                      scheduler: str) -> None:
    _write(sandbox, "x,y,li,q", [("5000,2" if i in (3, 4) else f"{100 + i},0")
                                 for i in range(20)])
    result = _ingest(sandbox, cli, scheduler, sources=[
        {**WELLS, "flags": {"li": {"column": "q", "below": [1], "above": [2]}}}])
    assert result.code == 0, result.err[-3000:]
    assert "2 are flagged above the upper limit" in _said(result)
    assert _at_points(sandbox).max() < 200


def test_a_flags_column_of_numbers_without_codes_is_refused(sandbox: Sandbox, cli,
                                                            scheduler: str) -> None:
    """Before: "4 carry other flags ... ('1.0' on 4): read as measured"."""
    _write(sandbox, "x,y,li,li_rmk",
           [("0.5,1" if i in FLAGGED else f"{20 + i},0") for i in range(20)])
    result = _ingest(sandbox, cli, scheduler, sources=[{**WELLS, "flags": {"li": "li_rmk"}}])
    assert_clean_error(result, 1, "wells.csv", "'li_rmk'", "holds numbers",
                       "below: [", "column: li_rmk")
    assert sandbox.untouched()


@pytest.mark.parametrize(("flags", "needles"), [
    ({"li": {"column": "q"}}, ["flags", "give the codes"]),
    ({"li": {"column": "q", "below": [1], "above": [1]}}, ["flags", "both"]),
    ({"li": {"column": "q", "below": [True]}}, ["flags", "boolean"]),
    ({"li": {"column": "q", "below": [1], "bellow": [2]}}, ["flags", "bellow"]),
], ids=["no-codes", "both", "yes", "misspelt-key"])
def test_flag_codes_that_cannot_be_read_are_config_errors(sandbox: Sandbox, cli, flags,
                                                          needles: list[str]) -> None:
    _write(sandbox, "x,y,li,q", ["1,0"] * 20)
    sandbox.write_job(sources=[{**WELLS, "flags": flags}])
    assert_clean_error(cli("ingest", sandbox.job_path, "-o", sandbox.out), 2, *needles)


def test_control_text_codes_with_numeric_codes_given(sandbox: Sandbox, cli,
                                                     scheduler: str) -> None:
    """Control: a column mixing '<' and numbers reads '<' as before beside the codes."""
    _write(sandbox, "x,y,li,q", [("0.5,<" if i == 0 else "0.5,9" if i == 5 else
                                  f"{20 + i},0") for i in range(20)])
    result = _ingest(sandbox, cli, scheduler, sources=[
        {**WELLS, "flags": {"li": {"column": "q", "below": [9]}}}])
    assert result.code == 0, result.err[-3000:]
    assert "2 are flagged below the detection limit" in _said(result)


# --- flags on the labels' grade column ----------------------------------------------------

def test_flags_on_the_labels_grade_column_need_no_columns(sandbox: Sandbox, cli) -> None:
    """Before: "'flags' names value column(s) ['li'] that 'columns' does not list": the
    grade column had to be listed (and read as a layer's column) to be flagged."""
    rng = np.random.default_rng(0)
    rows = [f"{X0 + 20 + 360 * a:.1f},{Y0 + 20 + 360 * b:.1f},"
            + ("0.5,<" if i % 5 == 0 else f"{100 + i},") for i, (a, b) in
            enumerate(rng.random((30, 2)))]
    (sandbox.root / "wells.csv").write_text("x,y,li,li_q\n" + "\n".join(rows) + "\n")
    sandbox.write_job(
        sources=[{"kind": "raster", "name": "heat", "path": "heat.tif"},
                 {"kind": "points", "name": "wells", "path": "wells.csv", "x": "x", "y": "y",
                  "crs": "EPSG:32619", "flags": {"li": "li_q"}}],
        model={"mineral": "lithium", "estimator": "random_forest",
               "labels": {"source": "wells", "value_column": "li", "threshold": 50},
               "cv": {"kind": "random", "n_splits": 2}})
    result = cli("plan", sandbox.job_path, "-o", sandbox.out)
    assert result.code == 0, result.err[-3000:]
    assert "6 are flagged below the detection limit by column 'li_q'" in _said(result)


def test_labels_flags_naming_a_column_the_table_lacks_are_named(sandbox: Sandbox) -> None:
    """A key of 'flags' outside 'columns' is allowed on a source that makes no layer: one
    the table lacks (a misspelt grade column) is named when the labels are read."""
    from prospect.config import load_job, resolve_grid
    from prospect.errors import DataError
    from prospect.models.training import read_labels

    rows = [f"{x:.0f},{y:.0f},{100 + i}" for i, (x, y) in enumerate(PLACES)]
    (sandbox.root / "wells.csv").write_text("x,y,li\n" + "\n".join(rows) + "\n")
    sandbox.write_job(
        sources=[{"kind": "raster", "name": "heat", "path": "heat.tif"},
                 {"kind": "points", "name": "wells", "path": "wells.csv", "x": "x", "y": "y",
                  "crs": "EPSG:32619", "flags": {"Li": "li_q"}}],
        model={"mineral": "lithium", "estimator": "random_forest",
               "labels": {"source": "wells", "value_column": "li", "threshold": 50},
               "cv": {"kind": "random", "n_splits": 2}})
    job = load_job(sandbox.job_path)
    assert job.model is not None
    with pytest.raises(DataError, match=r"'flags' names value column\(s\) \['Li'\]"):
        read_labels(job.sources[1], resolve_grid(job), job.model.labels)


# --- the shipped jobs' real tables: no new warning ----------------------------------------

NEW = ("far outside the region", "row of units", "holds numbers")


@pytest.mark.realdata
@pytest.mark.parametrize("job", ["nl-geothermal-heatflow", "greatbasin-lithium-brine",
                                 "meuse-zinc"])
def test_control_the_real_tables_of_the_shipped_jobs_read_as_before(
        shared_data: Path, job: str) -> None:
    from prospect.config import load_job, resolve_grid
    from prospect.errors import DataWarning
    from prospect.ingest.surfaces import plan_points

    path = REPO / "configs" / "jobs" / f"{job}.yaml"
    for source in yaml.safe_load(path.read_text())["sources"]:
        if not (path.parent / source["path"]).is_file():
            pytest.skip(f"{source['path']} not found")
    job_config = load_job(path)
    grid = resolve_grid(job_config)
    for source in job_config.sources:
        if source.kind != "points":
            continue
        forced = source.model_copy(update={"interpolate": ["idw", "kriging"]}) \
            if len(source.columns) == 1 else source
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            layers = plan_points(forced, grid)
        said = [str(w.message) for w in caught if issubclass(w.category, DataWarning)]
        assert not [s for s in said if any(n in s for n in NEW)], said
        assert layers or not forced.interpolate


@pytest.mark.realdata
def test_control_the_real_european_heat_flow_over_groningen_with_idw(shared_data: Path
                                                                     ) -> None:
    """Control: the IHFC European table (6 807 sites) cut by an 80 km region, IDW: the far
    sites are no cell's neighbours, and nothing is said of them."""
    from prospect.config.sources import PointSource
    from prospect.errors import DataWarning
    from prospect.grid import RegionGrid
    from prospect.ingest.surfaces import plan_points

    real = shared_data / "heatflow_europe_nl_ihfc" / "global_hf_eu_v3.csv"
    if not real.is_file():
        pytest.skip(f"{real} not found")
    grid = RegionGrid(crs="EPSG:28992", resolution=1000,
                      bounds=(200000, 520000, 280000, 600000), chunks=(40, 40))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        head = real.read_text(errors="replace").splitlines()[0]
        x = "Longitude" if "Longitude" in head else "lon"
        y = "Latitude" if "Latitude" in head else "lat"
        column = "Heat Flow" if "Heat Flow" in head else head.split(",")[2]
        plan_points(PointSource(name="hf", path=real, x=x, y=y, columns=[column],
                                interpolate=["idw"], nodata=[0]), grid)
    said = [str(w.message) for w in caught if issubclass(w.category, DataWarning)]
    assert not [s for s in said if "far outside" in s], said
