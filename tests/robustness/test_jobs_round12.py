"""Round 12: the shipped jobs (``configs/jobs``) as survey scientists edit them.

Each case is an edit a user makes to a shipped job (a source renamed, the region moved or
given in other units, the dates of a composite changed, a path copied from another machine,
the mineral changed) and holds the corpus's rules: one error line naming the file, the key
and the fix (exit 2), no traceback, nothing written; or, where the job can still run
right, a warning. Nothing is computed: ``prospect plan`` or the load alone. Rasters and
tables here are small and SYNTHETIC; the cases on the shipped jobs read ``../shared/data``
(headers only) and skip without it.
"""

from __future__ import annotations

import copy
import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from .conftest import REPO, TINY_REGION, Sandbox, assert_clean_error, write_tiny_raster

X0, Y0 = 500000.0, 1350000.0
PLACES = [(X0 + 20 + 360 * a, Y0 + 20 + 360 * b)
          for a, b in np.random.default_rng(0).random((30, 2))]


def _wells(box: Sandbox, column: str = "li") -> dict[str, Any]:
    """A SYNTHETIC points source ``wells`` (30 wells, grades in ``column``) in the box."""
    rows = [f"{x},{y},{50 + 10 * i}" for i, (x, y) in enumerate(PLACES)]
    (box.root / "wells.csv").write_text(f"x,y,{column}\n" + "\n".join(rows) + "\n")
    return {"kind": "points", "name": "wells", "path": "wells.csv", "x": "x", "y": "y",
            "crs": "EPSG:32619", "columns": [column]}


def _model(column: str = "li", mineral: str = "lithium") -> dict[str, Any]:
    return {"mineral": mineral, "estimator": "random_forest",
            "labels": {"source": "wells", "value_column": column, "threshold": 200,
                       "negatives": "below_threshold"},
            "cv": {"kind": "random", "n_splits": 2}}


def _shipped(shared: Path, name: str) -> dict[str, Any]:
    """A shipped job's config with its data paths pointing at ``shared``."""
    text = (REPO / "configs" / "jobs" / f"{name}.yaml").read_text()
    return dict(yaml.safe_load(text.replace("../../../shared/data", str(shared))))


def _write(box: Sandbox, job: dict[str, Any]) -> None:
    box.write_job(text=yaml.safe_dump(job, sort_keys=False))


# --- a variable made twice: by ingest and by a later stage -------------------------------

@pytest.mark.parametrize(("name", "extra", "needles"), [
    # the raster was left out of the features (a model output, by name), then overwritten
    # by the score stage's map: exit 0, the layer lost
    ("probability", {"model": "yes"}, ["model (the score stage)", "'probability'"]),
    ("uncertainty", {"model": "yes"}, ["model (the score stage)", "'uncertainty'"]),
    # the band was overwritten by the index of the same name (only custom indices were
    # checked)
    ("NDVI", {"indices": {"sensor": "sentinel2", "names": ["NDVI"],
                          "bands": {"R": "heat", "N": "cold"}}}, ["indices", "'NDVI'"]),
], ids=["probability", "uncertainty", "index-NDVI"])
def test_a_source_named_like_a_later_stages_variable_is_refused_by_plan(
    sandbox: Sandbox, cli: Any, name: str, extra: dict[str, Any], needles: list[str],
) -> None:
    write_tiny_raster(sandbox.root / "cold.tif",
                      values=np.random.default_rng(5).random((40, 40)).astype("float32"))
    sources: list[dict[str, Any]] = [
        {"kind": "raster", "name": "heat", "path": "heat.tif"},
        {"kind": "raster", "name": "cold" if name == "NDVI" else name, "path": "cold.tif"}]
    changes = dict(extra)
    if name == "NDVI":  # a copy: one file read twice the same way is refused (round 29)
        shutil.copy(sandbox.root / "heat.tif", sandbox.root / "ndvi.tif")
        sources.append({"kind": "raster", "name": "NDVI", "path": "ndvi.tif"})
    if changes.pop("model", None):
        sources.append(_wells(sandbox))
        changes["model"] = _model()
    sandbox.write_job(sources=sources, **changes)
    result = cli("plan", sandbox.job_path)
    assert_clean_error(result, 2, "job.yaml", *needles, "rename one of them")
    assert sandbox.untouched()


def test_the_ingest_stage_refuses_a_source_named_like_the_score_map(
    sandbox: Sandbox, cli: Any,
) -> None:
    sandbox.write_job(sources=[{"kind": "raster", "name": "probability", "path": "heat.tif"},
                               _wells(sandbox)], model=_model())
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out)
    assert_clean_error(result, 2, "job.yaml", "'probability'")
    assert not (sandbox.out / "cube.zarr").exists()
    assert sandbox.untouched()


def test_two_sources_making_one_variable_are_refused_by_plan(sandbox: Sandbox,
                                                            cli: Any) -> None:
    # the ingest stage refused it (exit 1); 'prospect plan' said nothing (a copy: one file
    # read twice the same way is refused, round 29)
    shutil.copy(sandbox.root / "heat.tif", sandbox.root / "other.tif")
    sandbox.write_job(sources=[
        {"kind": "raster", "name": "heat", "path": "heat.tif"},
        {"kind": "raster", "name": "other", "path": "other.tif", "band_names": ["heat"]}])
    result = cli("plan", sandbox.job_path)
    assert_clean_error(result, 2, "job.yaml", "two sources make the same variable", "heat")


def test_a_model_with_sources_of_their_own_names_still_plans(sandbox: Sandbox,
                                                            cli: Any) -> None:
    """Control: a model job whose sources are named apart from the stages' outputs."""
    sandbox.write_job(sources=[{"kind": "raster", "name": "heat", "path": "heat.tif"},
                               _wells(sandbox)], model=_model())
    result = cli("plan", sandbox.job_path)
    assert result.code == 0, result.err[-3000:]


@pytest.mark.realdata
@pytest.mark.parametrize(("edit", "needles"), [
    # a class layer renamed like the change layer the screen stage writes
    ("change-name", ["timeseries.difference", "'NDVI_change'"]),
    # a stacked band named like a per-date variable: 'internal error: ValueError' (exit 70)
    ("stacked-name", ["timeseries.dates", "'tm_blue'"]),
    # a band renamed NDVI: overwritten by the index
    ("band-NDVI", ["indices", "'NDVI'"]),
], ids=["change-name", "stacked-name", "band-NDVI"])
def test_wageningen_with_a_variable_made_twice_is_refused_by_plan(
    shared_data: Path, sandbox: Sandbox, cli: Any, edit: str, needles: list[str],
) -> None:
    job = _shipped(shared_data, "nl-wageningen-imagery")
    dates = job["timeseries"]["dates"]
    if edit == "change-name":
        job["sources"][2]["name"] = "NDVI_change"
        dates[0]["bands"]["cfmask"] = "NDVI_change"
    elif edit == "stacked-name":
        for d, var in zip(dates, ("tm_blue", "oli_blue"), strict=True):
            d["bands"]["tm_blue"] = var
    else:
        job["sources"][0]["bands"]["NDVI"] = job["sources"][0]["bands"].pop("tm_swir2")
        dates[0]["bands"]["swir2"] = "NDVI"
    _write(sandbox, job)
    result = cli("plan", sandbox.job_path)
    assert_clean_error(result, 2, "job.yaml", *needles)


# --- region bounds in another CRS's units ------------------------------------------------

@pytest.mark.parametrize(("region", "needles"), [
    # the Netherlands in degrees given to RD New: "resolution 1000 is larger than the bounds"
    ({"base": "netherlands", "resolution": 1000, "bounds": [3.3, 50.7, 7.3, 53.6]},
     ["look like longitudes and latitudes", "EPSG:28992 is in metres"]),
    # Bonaire in degrees given to UTM 19N: "extends 1.49 degrees past the UTM zone"
    ({"base": "bonaire", "bounds": [-68.3, 12.0, -68.2, 12.1]},
     ["look like longitudes and latitudes", "EPSG:32619 is in metres"]),
    # RD New metres given to EPSG:4326: "the grid has 4.23e+15 cells"
    ({**TINY_REGION, "crs": "EPSG:4326", "resolution": 0.0003,
      "bounds": [163500.0, 430590.0, 181200.0, 452100.0]},
     ["are no longitudes and latitudes", "EPSG:4326 is in degrees"]),
], ids=["degrees-to-rd-new", "degrees-to-utm", "metres-to-wgs84"])
def test_region_bounds_in_another_crs_units_are_named_as_such(
    sandbox: Sandbox, cli: Any, region: dict[str, Any], needles: list[str],
) -> None:
    sandbox.write_job(region=region)
    result = cli("plan", sandbox.job_path)
    assert_clean_error(result, 2, "job.yaml", "key 'region'", *needles)
    assert sandbox.untouched()


@pytest.mark.parametrize("region", [
    {**TINY_REGION, "crs": "EPSG:3857", "bounds": [0.0, 0.0, 400.0, 400.0]},
    {**TINY_REGION, "crs": "EPSG:4326", "resolution": 0.0001,
     "bounds": [-68.3, 12.0, -68.26, 12.04]},
], ids=["small-projected-at-the-origin", "degrees-in-degrees"])
def test_small_or_geographic_regions_still_load(sandbox: Sandbox, cli: Any,
                                                region: dict[str, Any]) -> None:
    """Controls: a region of a few hundred metres at a projected CRS's origin (one cell
    or more), and degrees in a geographic CRS."""
    sandbox.write_job(region=region)
    result = cli("plan", sandbox.job_path)
    assert "look like longitudes" not in result.err
    assert "no longitudes and latitudes" not in result.err


# --- composite date windows --------------------------------------------------------------

STAC_SEARCH: dict[str, Any] = {"url": "https://earth-search.aws.element84.com/v1",
                               "collections": ["sentinel-2-l2a"],
                               "datetime": "2024-02-01/2024-09-30"}
STAC_SOURCE: dict[str, Any] = {"kind": "raster", "name": "s2", "sensor": "sentinel2",
               "stac_search": STAC_SEARCH,
               "assets": {"B04": "red", "B08": "nir"},
               "cloud_mask": {"kind": "scl", "asset": "scl"},
               "composite": {"method": "median"}}


def _stac(**search: Any) -> dict[str, Any]:
    source = copy.deepcopy(STAC_SOURCE)
    source["stac_search"].update(search)
    return source


@pytest.mark.parametrize(("value", "needles"), [
    # forms Python reads and pystac-client does not: the search stopped with its bare
    # Exception "invalid datetime component" (internal error, exit 70)
    ("20240201/20240930", ["'20240201' is no date the STAC search reads", "YYYY-MM-DD"]),
    ("2024-W05/2024-W20", ["'2024-W05' is no date the STAC search reads"]),
    ("2024-02-01T10:00/2024-02-02T10:00", ["'2024-02-01T10:00' is no date the STAC"]),
    # offsets dropped: 10:00 UTC to 05:00 UTC was taken for a five-hour window
    ("2024-02-01T00:00:00-10:00/2024-02-01T05:00:00Z",
     ["ends before it starts", "2024-02-01T05:00:00Z is before 2024-02-01T10:00:00Z"]),
    ("../..", ["'../..' searches every date there is", "give at least one end"]),
    ("2099-01-01/2099-12-31", ["starts in the future", "no scene exists yet"]),
    ("1990-01-01/1990-12-31", ["before the first scene of sentinel-2-l2a (2015-06-23)"]),
    # the validator's own ISO parser refused what the STAC client reads
    ("2024/2024", None),
    ("2024-02/2024-03", None),
], ids=["basic-iso", "week-dates", "no-seconds", "offsets-reversed", "open-both",
        "future", "before-mission", "years", "months"])
def test_a_composite_date_window_is_read_as_the_stac_search_reads_it(
    sandbox: Sandbox, cli: Any, value: str, needles: list[str] | None,
) -> None:
    sandbox.write_job(sources=[_stac(datetime=value)])
    result = cli("plan", sandbox.job_path)
    if needles is None:  # a whole year or month: valid
        assert "stac_search.datetime" not in result.err, result.err[-2000:]
        return
    assert_clean_error(result, 2, "job.yaml", "stac_search.datetime", *needles)
    assert sandbox.untouched()


def test_an_unquoted_single_date_is_named_as_yaml_read_it(sandbox: Sandbox,
                                                         cli: Any) -> None:
    # was "Input should be a valid string" with datetime.date(2024, 2, 1)
    sandbox.write_job(sources=[_stac(datetime=dt.date(2024, 2, 1))])
    result = cli("plan", sandbox.job_path)
    assert_clean_error(result, 2, "stac_search.datetime", "YAML read 2024-02-01 as one date",
                       "'2024-02-01/2024-02-01'")


@pytest.mark.parametrize("value", [
    "2024-02-01T00:00:00+14:00/2024-02-01T00:00:00-10:00",  # 24 hours, across offsets
    "2024-02-01/2024-02-01",                                  # one whole day
    "2024-02-01/..",
], ids=["offsets-forward", "one-day", "open-end"])
def test_valid_date_windows_still_load(sandbox: Sandbox, cli: Any, value: str) -> None:
    """Controls."""
    sandbox.write_job(sources=[_stac(datetime=value)])
    result = cli("plan", sandbox.job_path)
    assert "stac_search.datetime" not in result.err, result.err[-2000:]


# --- time-series dates -------------------------------------------------------------------

def _series(box: Sandbox, first: Any, second: Any = "2021-06-01",
            second_band: str = "cold") -> None:
    write_tiny_raster(box.root / "cold.tif",
                      values=np.random.default_rng(5).random((40, 40)).astype("float32"))
    box.write_job(sources=[{"kind": "raster", "name": "heat", "path": "heat.tif"},
                           {"kind": "raster", "name": "cold", "path": "cold.tif"}],
                  timeseries={"dates": [{"date": first, "bands": {"red": "heat"}},
                                        {"date": second, "bands": {"red": second_band}}],
                              "difference": ["red"]})


@pytest.mark.parametrize(("first", "needles"), [
    (2020, ["2020 is no date", "seconds since 1970"]),   # was 1970-01-01, silently
    ("20200601", ["'20200601' is no YYYY-MM-DD date"]),  # "should have zero time"
    ("01/06/2020", ["'01/06/2020' is no YYYY-MM-DD date"]),
], ids=["year-as-number", "basic-iso", "day-first"])
def test_a_time_series_date_in_another_form_is_refused_naming_the_form(
    sandbox: Sandbox, cli: Any, first: Any, needles: list[str],
) -> None:
    _series(sandbox, first)
    result = cli("plan", sandbox.job_path)
    assert_clean_error(result, 2, "job.yaml", "timeseries.dates.0.date", *needles,
                       "YYYY-MM-DD")


def test_one_variable_named_for_two_dates_is_refused(sandbox: Sandbox, cli: Any) -> None:
    # the 2021 band copied from the 2020 line: every change was 0, exit 0
    _series(sandbox, "2020-06-01", second_band="heat")
    result = cli("plan", sandbox.job_path)
    assert_clean_error(result, 2, "job.yaml", "timeseries.dates",
                       "'heat' is named for 2020-06-01 and for 2021-06-01")


def test_a_time_series_of_two_scenes_still_plans(sandbox: Sandbox, cli: Any) -> None:
    """Control: two dates, each its own scene."""
    _series(sandbox, dt.date(2020, 6, 1))
    result = cli("plan", sandbox.job_path)
    assert result.code == 0, result.err[-3000:]


# --- paths written for another shell or system -------------------------------------------

@pytest.mark.parametrize(("path", "needles"), [
    ("$PROSPECT_R12_DATA/heat.tif", ["environment variables are not expanded",
                                     "$PROSPECT_R12_DATA is not set"]),
    ("${HOME}/heat.tif", ["environment variables are not expanded", "$HOME is"]),
    ("%USERPROFILE%\\heat.tif", ["environment variables are not expanded"]),
    ("data\\heat.tif", ["holds '\\'", "'data/heat.tif'"]),
    ("C:\\data\\heat.tif", ["a Windows drive path"]),
    ("file:///data/heat.tif", ["file:// URL", "without 'file://'"]),
    ("heat.tif ", ["starts or ends with a space"]),
], ids=["dollar", "braces", "percent", "backslash", "drive", "file-url", "trailing-space"])
def test_a_path_written_for_another_shell_is_refused_at_load(
    sandbox: Sandbox, cli: Any, monkeypatch: pytest.MonkeyPatch, path: str,
    needles: list[str],
) -> None:
    # each was "raster file not found" at ingest (exit 1), after 'prospect plan' had
    # counted the source's layers from the config without a word
    monkeypatch.delenv("PROSPECT_R12_DATA", raising=False)
    sandbox.write_job(sources=[{"kind": "raster", "name": "heat", "path": path}])
    result = cli("plan", sandbox.job_path)
    assert_clean_error(result, 2, "job.yaml", "key 'sources.0.raster.path'", *needles)
    assert sandbox.untouched()


@pytest.mark.parametrize("name", ["price $5 ünï.tif", "dir with space/heat ü.tif"],
                         ids=["dollar-in-a-real-name", "spaces-and-unicode"])
def test_real_files_with_odd_names_still_load(sandbox: Sandbox, cli: Any, name: str) -> None:
    """Controls: a file whose name holds ``$``, spaces or non-ASCII letters, which exists."""
    write_tiny_raster(sandbox.root / name)
    sandbox.write_job(sources=[{"kind": "raster", "name": "heat", "path": name}])
    result = cli("plan", sandbox.job_path)
    assert result.code == 0, result.err[-3000:]


@pytest.mark.realdata
def test_a_shipped_job_plans_from_another_working_directory(
    shared_data: Path, cli: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    """Control: the shipped job's relative paths are taken from its own folder."""
    monkeypatch.chdir(tmp_path)
    result = cli("plan", REPO / "configs" / "jobs" / "meuse-zinc.yaml")
    assert result.code == 0, result.err[-3000:]
    assert "counted from the config" not in result.out


# --- a cloud mask of another product -----------------------------------------------------

@pytest.mark.parametrize(("change", "needles"), [
    ({"cloud_mask": {"kind": "qa_pixel", "asset": "qa_pixel"}},
     ["'qa_pixel' does not fit sensor 'sentinel2'", "kind: scl"]),
    ({"sensor": "landsat8", "cloud_mask": {"kind": "scl", "asset": "scl"},
      "stac_search": {**STAC_SEARCH, "collections": ["landsat-c2-l2"]}},
     ["'scl' does not fit sensor 'landsat8'"]),
    ({"sensor": None, "cloud_mask": {"kind": "cfmask", "asset": "qa_pixel"},
      "stac_search": {**STAC_SEARCH, "collections": ["landsat-c2-l2"]}},
     ["'cfmask' does not fit STAC collection 'landsat-c2-l2'", "kind: qa_pixel"]),
], ids=["s2-with-qa-pixel", "landsat-with-scl", "c2-with-cfmask"])
def test_a_cloud_mask_of_another_product_is_refused_at_load(
    sandbox: Sandbox, cli: Any, change: dict[str, Any], needles: list[str],
) -> None:
    source = {**copy.deepcopy(STAC_SOURCE), **change}
    sandbox.write_job(sources=[{k: v for k, v in source.items() if v is not None}])
    result = cli("plan", sandbox.job_path)
    assert_clean_error(result, 2, "job.yaml", "key 'sources.0.raster'", *needles)


@pytest.mark.realdata
def test_wageningen_with_the_sentinel_2_mask_on_its_espa_scene_is_refused(
    shared_data: Path, sandbox: Sandbox, cli: Any,
) -> None:
    # SCL's classes read on CFmask: every clear pixel (0) dropped as "no data", the clouds
    # (4, SCL's vegetation) kept, exit 0
    job = _shipped(shared_data, "nl-wageningen-imagery")
    job["sources"][0]["cloud_mask"]["kind"] = "scl"
    _write(sandbox, job)
    result = cli("plan", sandbox.job_path)
    assert_clean_error(result, 2, "job.yaml", "'scl' does not fit metadata",
                       "an ESPA Landsat scene", "kind: cfmask")


def test_a_cloud_mask_of_the_product_still_loads(sandbox: Sandbox, cli: Any) -> None:
    """Control: the shipped pairing, Sentinel-2 L2A with its SCL."""
    sandbox.write_job(sources=[copy.deepcopy(STAC_SOURCE)])
    result = cli("plan", sandbox.job_path)
    assert "does not fit" not in result.err, result.err[-2000:]


# --- the mineral changed, the labels not -------------------------------------------------

@pytest.mark.parametrize(("column", "mineral", "warned"), [
    ("LI_PPM", "zinc", "the labels are grades of lithium"),
    ("zinc", "lithium", "the labels are grades of zinc"),
    ("li_mg_l", "lithium", None),       # 'mg' is a unit here, not magnesium
    ("Ce_ppm", "rare earths", None),    # an element of the group
    ("grade", "zinc", None),
    # round 12b: the whole name is read, not its first word
    ("total_Li_ppm", "zinc", "the labels are grades of lithium"),
    ("ppm_Li", "zinc", "the labels are grades of lithium"),
    ("mean_Zn", "lithium", "the labels are grades of zinc"),
    ("Li2O_pct", "zinc", "the labels are grades of lithium"),  # first word: was found
    ("value_in_ppm", "zinc", None),   # 'in' is a word here, not indium
    ("grade_g_t", "zinc", None),
    ("total_Zn_ppm", "zinc", None),
], ids=["li-for-zinc", "zinc-for-lithium", "control-units", "control-group",
        "control-plain", "total-li", "ppm-li", "mean-zn", "control-li2o", "control-in",
        "control-g-t", "control-same"])
def test_labels_graded_in_another_commodity_are_a_warning(
    sandbox: Sandbox, cli: Any, column: str, mineral: str, warned: str | None,
) -> None:
    sandbox.write_job(sources=[{"kind": "raster", "name": "heat", "path": "heat.tif"},
                               _wells(sandbox, column)], model=_model(column, mineral))
    result = cli("plan", sandbox.job_path)
    assert result.code == 0, result.err[-3000:]
    if warned is None:
        assert "the labels are grades of" not in result.err
        return
    line = next(ln for ln in result.err.splitlines() if "the labels are grades of" in ln)
    assert line.startswith("warning:") and warned in line and "model.mineral" in line


@pytest.mark.realdata
def test_the_great_basin_job_with_another_mineral_warns(shared_data: Path, sandbox: Sandbox,
                                                       cli: Any) -> None:
    job = _shipped(shared_data, "greatbasin-lithium-brine")
    job["model"]["mineral"] = "zinc"
    for key in ("tiles", "economics", "mask"):
        job.pop(key)
    job["region"]["bounds"] = [-2000000, 1800000, -1700000, 2100000]
    _write(sandbox, job)
    result = cli("plan", sandbox.job_path)
    assert result.code == 0, result.err[-3000:]
    assert "the labels are grades of lithium" in result.err


@pytest.mark.parametrize("column", ["Mg_Li_ratio", "Li/Mg"])
def test_labels_of_a_ratio_column_are_a_warning_at_planning(
    sandbox: Sandbox, cli: Any, column: str,
) -> None:
    """Round 26: a ratio ``value_column`` (the Mg/Li ratio of a brine: low where lithium is
    worth extracting) was warned of only when the train stage read the labels; ``prospect
    plan`` said nothing (SYNTHETIC heat raster and wells)."""
    sandbox.write_job(sources=[{"kind": "raster", "name": "heat", "path": "heat.tif"},
                               _wells(sandbox, column)], model=_model(column, "lithium"))
    result = cli("plan", sandbox.job_path)
    assert result.code == 0, result.err[-3000:]
    line = next(ln for ln in result.err.splitlines() if "is a ratio or an index" in ln)
    assert line.startswith("warning:") and "not a grade of lithium" in line, line
    assert "the labels are grades of" not in result.err
