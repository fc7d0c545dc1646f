"""Round 12b: the config items round 12's shipped-jobs and rasters sessions found and left.

GDAL virtual paths in a raster's ``path:`` (an archive's member, read as written and
beside the config), numbers YAML 1.1 reads as text (``1e2``), ``model.cv.n_splits`` above
what the labels or the region can fill (found by train, after ingest), config
contradictions that exited 1 without the key (a reference region's ``crs``), and grade
columns whose commodity is not their first word. Rasters and tables are small and
SYNTHETIC.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from .conftest import Sandbox, assert_clean_error, write_tiny_raster
from .test_jobs_round12 import _model, _wells


def _zip(box: Sandbox, name: str = "data.zip", members: dict[str, Path] | None = None) -> Path:
    """A zip archive beside the job holding the sandbox's ``heat.tif`` (as ``inner/``)."""
    path = box.root / name
    with zipfile.ZipFile(path, "w") as zf:
        for member, file in (members or {"inner/heat.tif": box.root / "heat.tif"}).items():
            zf.write(file, member)
    return path


def _cube_values(out: Path, name: str = "heat") -> np.ndarray:
    import xarray as xr

    with xr.open_zarr(out / "cube.zarr") as ds:
        return np.asarray(ds[name].values)


# --- a raster inside an archive ----------------------------------------------------------

@pytest.mark.parametrize("written", [
    "/vsizip/data.zip/inner/heat.tif",      # relative: was looked for in the working folder
    "/vsizip//{root}/data.zip/inner/heat.tif",  # absolute: the '//' was folded to '/'
    "zip://data.zip!inner/heat.tif",         # the fiona/rasterio form
    "/vsizip/data.zip",                      # an archive of one file, named alone
], ids=["relative", "absolute", "zip-url", "one-file-archive"])
def test_a_raster_in_a_zip_is_ingested_with_its_values(
    sandbox: Sandbox, cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    written: str,
) -> None:
    _zip(sandbox)
    monkeypatch.chdir(tmp_path)  # not the config's folder
    path = written.replace("/{root}", str(sandbox.root))
    sandbox.write_job(sources=[{"kind": "raster", "name": "heat", "path": path}])
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out)
    assert result.code == 0, result.err[-3000:]
    import rasterio

    with rasterio.open(sandbox.root / "heat.tif") as src:
        np.testing.assert_array_equal(_cube_values(sandbox.out), src.read(1))
    assert sandbox.untouched()


def test_a_zip_changed_after_ingest_is_read_again(sandbox: Sandbox, cli: Any) -> None:
    # the archive was no input of the layer's fingerprint: a rerun kept the old values
    _zip(sandbox)
    sandbox.write_job(sources=[{"kind": "raster", "name": "heat",
                                "path": "/vsizip/data.zip/inner/heat.tif"}])
    assert cli("ingest", sandbox.job_path, "-o", sandbox.out).code == 0
    new = np.full((40, 40), 7.0, dtype="float32")
    write_tiny_raster(sandbox.root / "other.tif", values=new)
    _zip(sandbox, members={"inner/heat.tif": sandbox.root / "other.tif"})
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out)
    assert result.code == 0, result.err[-3000:]
    np.testing.assert_array_equal(_cube_values(sandbox.out), new)


@pytest.mark.parametrize(("written", "needles"), [
    ("/vsizip/data.zip/inner/nope.tif",
     ["holds no file 'inner/nope.tif'", "its files: inner/heat.tif"]),
    ("/vsizip/nope.zip/heat.tif", ["the archive", "nope.zip does not exist",
                                   "from the config file's folder"]),
    ("/vsizip{root}/data.zip/inner/heat.tif", ["absolute archive path takes two slashes"]),
    ("/vsizip/two.zip", ["holds a.tif, b.tif", "name the file inside"]),
    ("/vsizip/heat.tif/x.tif", ["names no archive"]),
    ("/vsizip/bad.zip/heat.tif", ["is no zip archive"]),
], ids=["member-missing", "archive-missing", "absolute-one-slash", "two-files",
        "no-archive", "not-a-zip"])
def test_a_bad_archive_path_is_refused_at_load(
    sandbox: Sandbox, cli: Any, written: str, needles: list[str],
) -> None:
    # each was "cannot read as a raster (corrupt, truncated or not a raster)" at ingest,
    # exit 1, after 'prospect plan' had passed
    _zip(sandbox)
    _zip(sandbox, "two.zip", {"a.tif": sandbox.root / "heat.tif",
                              "b.tif": sandbox.root / "heat.tif"})
    (sandbox.root / "bad.zip").write_text("not a zip\n")
    path = written.replace("{root}", str(sandbox.root))
    sandbox.write_job(sources=[{"kind": "raster", "name": "heat", "path": path}])
    result = cli("plan", sandbox.job_path)
    assert_clean_error(result, 2, "job.yaml", "key 'sources.0.raster.path'", *needles)
    assert sandbox.untouched()


def test_a_point_table_in_a_zip_is_refused_at_load(sandbox: Sandbox, cli: Any) -> None:
    # a table is read by Python, not GDAL: "point table not found" at ingest
    wells = _wells(sandbox)
    _zip(sandbox, members={"wells.csv": sandbox.root / "wells.csv"})
    wells["path"] = "/vsizip/data.zip/wells.csv"
    sandbox.write_job(sources=[{"kind": "raster", "name": "heat", "path": "heat.tif"},
                               wells])
    result = cli("plan", sandbox.job_path)
    assert_clean_error(result, 2, "key 'sources.1.points.path'", "GDAL virtual path",
                       "extract the file first")


def test_a_raster_beside_the_config_still_loads(sandbox: Sandbox, cli: Any) -> None:
    """Control: a plain relative path, and a zip beside it that nothing names."""
    _zip(sandbox)
    result = cli("plan", sandbox.job_path)
    assert result.code == 0, result.err[-3000:]
    assert "layers from headers" in result.out.replace("\n", " ").replace("│", " ") or \
        "headers" in result.out


# --- numbers YAML 1.1 reads as text ------------------------------------------------------

def _text_job(box: Sandbox, **changes: Any) -> str:
    return yaml.safe_dump(box.job(**changes), sort_keys=False)


@pytest.mark.parametrize(("value", "needles"), [
    ("1e2", ["model.params.n_estimators = '1e2'", "YAML reads 1e2 as text", "write 100"]),
    ("1.0e2", ["YAML reads 1.0e2 as text", "write 100"]),
    ("'100'", ["'100' is quoted text", "write 100 without quotes"]),
], ids=["exponent", "unsigned-exponent", "quoted"])
def test_model_params_yaml_read_as_text_say_so(sandbox: Sandbox, cli: Any, value: str,
                                               needles: list[str]) -> None:
    # scikit-learn: "The 'n_estimators' parameter ... Got '1e2' instead", no YAML hint
    model = {**_model(), "params": {"n_estimators": "PLACEHOLDER"}}
    text = _text_job(sandbox, sources=[{"kind": "raster", "name": "heat",
                                        "path": "heat.tif"}, _wells(sandbox)], model=model)
    sandbox.write_job(text=text.replace("PLACEHOLDER", value))
    result = cli("plan", sandbox.job_path)
    assert_clean_error(result, 2, "job.yaml", *needles)


@pytest.mark.parametrize(("key", "value", "needles"), [
    ("chunks", "[1e1, 20]", ["key 'region.chunks.0'", "YAML reads 1e1 as text", "write 10"]),
], ids=["int-field"])
def test_a_number_field_yaml_read_as_text_says_so(sandbox: Sandbox, cli: Any, key: str,
                                                  value: str, needles: list[str]) -> None:
    text = _text_job(sandbox)
    assert "  chunks:\n  - 20\n  - 20\n" in text
    sandbox.write_job(text=text.replace("  chunks:\n  - 20\n  - 20\n", f"  {key}: {value}\n"))
    result = cli("plan", sandbox.job_path)
    assert_clean_error(result, 2, "job.yaml", *needles)


def test_numbers_yaml_reads_as_numbers_still_load(sandbox: Sandbox, cli: Any) -> None:
    """Control: 1.0e+2 for a float key, 100 for a whole number; '1e3' for a decimal key
    (pydantic reads the text, as before)."""
    model = {**_model(), "params": {"n_estimators": 100, "min_weight_fraction_leaf": 1.0e-2}}
    text = _text_job(sandbox, sources=[{"kind": "raster", "name": "heat",
                                        "path": "heat.tif"}, _wells(sandbox)], model=model)
    sandbox.write_job(text=text.replace("resolution: 10.0", "resolution: 1.0e+1"))
    result = cli("plan", sandbox.job_path)
    assert result.code == 0, result.err[-3000:]


# --- n_splits above what the labels or the region can fill ---------------------------------

def _folds_job(box: Sandbox, *, threshold: float = 320, **cv: Any) -> None:
    model = _model()
    model["labels"]["threshold"] = threshold  # 320: 3 of the 30 wells are positives
    model["cv"] = {"kind": "spatial_block", "n_splits": 5, **cv}
    box.write_job(sources=[{"kind": "raster", "name": "heat", "path": "heat.tif"},
                           _wells(box)], model=model)


def test_n_splits_above_the_positives_is_refused_by_plan(sandbox: Sandbox, cli: Any) -> None:
    # train: folds without a positive left unscored (random folds cut to 3), after ingest
    _folds_job(sandbox)
    result = cli("plan", sandbox.job_path)
    assert_clean_error(result, 2, "job.yaml", "key 'model.cv.n_splits' = 5",
                       "3 positive cell(s)", "at most 3")


def test_n_splits_above_the_positives_is_refused_before_ingest(sandbox: Sandbox,
                                                               cli: Any) -> None:
    _folds_job(sandbox)
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out)
    assert_clean_error(result, 2, "key 'model.cv.n_splits' = 5", "3 positive cell(s)")
    assert not (sandbox.out / "cube.zarr").exists()


def test_n_splits_above_the_regions_blocks_is_refused_by_plan(sandbox: Sandbox,
                                                              cli: Any) -> None:
    # train: "only 1 blocks of 1000 CRS units hold samples, fewer than n_splits=3"
    _folds_job(sandbox, threshold=200, n_splits=3, block_size=1000.0)
    result = cli("plan", sandbox.job_path)
    assert_clean_error(result, 2, "key 'model.cv.n_splits' = 3", "1 spatial block(s)",
                       "model.cv.block_size")


def test_n_splits_within_the_labels_still_plans(sandbox: Sandbox, cli: Any) -> None:
    """Control: 15 positives, 15 negatives, 5 folds of 100 m blocks."""
    _folds_job(sandbox, threshold=200, block_size=100.0)
    result = cli("plan", sandbox.job_path)
    assert result.code == 0, result.err[-3000:]


# --- config contradictions that exited 1 -------------------------------------------------

def test_a_reference_region_crs_other_than_the_rasters_is_a_config_error(
    sandbox: Sandbox, cli: Any,
) -> None:
    # "resolution 10 in EPSG:4326, whose units are degree" (exit 1), the key not named
    sandbox.write_job(region={"reference": "heat.tif", "crs": "EPSG:4326"})
    result = cli("plan", sandbox.job_path)
    assert_clean_error(result, 2, "key 'region.crs' = 'EPSG:4326'", "EPSG:32619",
                       "remove it")


def test_a_reference_region_crs_for_a_raster_without_one_is_named(
    sandbox: Sandbox, cli: Any,
) -> None:
    import rasterio

    with rasterio.open(sandbox.root / "heat.tif") as src:
        data, profile = src.read(1), src.profile
    profile.pop("crs")
    with rasterio.open(sandbox.root / "nocrs.tif", "w", **profile) as dst:
        dst.write(data, 1)
    sandbox.write_job(region={"reference": "nocrs.tif", "crs": "EPSG:4326"})
    result = cli("plan", sandbox.job_path)
    assert_clean_error(result, 2, "key 'region.crs' = 'EPSG:4326'", "does not fit the grid",
                       "nocrs.tif")


def test_a_reference_region_with_the_rasters_own_crs_still_plans(sandbox: Sandbox,
                                                                 cli: Any) -> None:
    """Control."""
    sandbox.write_job(region={"reference": "heat.tif", "crs": "EPSG:32619"})
    result = cli("plan", sandbox.job_path)
    assert result.code == 0, result.err[-3000:]


def test_a_mask_with_no_land_in_the_region_is_a_config_error_at_ingest(
    sandbox: Sandbox, cli: Any,
) -> None:
    sandbox.write_job(mask={"outline": "bonaire"})
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out)
    assert_clean_error(result, 2, "key 'mask'", "has no land in the region")
    assert not (sandbox.out / "cube.zarr").exists()
