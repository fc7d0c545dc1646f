"""The indices stage through the real CLI: a real zarr cube, a real dask cluster."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
import yaml

from prospect.grid import RegionGrid
from prospect.io.cube import add_variables, create_cube, open_cube
from prospect.testing import float_layer

pytestmark = pytest.mark.integration

BANDS = ("B02", "B03", "B04", "B08", "B11", "B12")
GRID = RegionGrid(crs="EPSG:32619", resolution=10.0,
                  bounds=(570000.0, 1340000.0, 571200.0, 1340960.0), chunks=(40, 48),
                  name="stage-test")


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    """``prospect ARGS`` through the CLI's entry point in this process (each real run still
    starts its own local dask cluster); its exit code and what it printed."""
    import contextlib
    import io

    from pipelines.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return subprocess.CompletedProcess(["prospect", *args], code, out.getvalue(),
                                       err.getvalue())


@pytest.fixture(scope="module")
def job(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, np.ndarray]]:
    root = tmp_path_factory.mktemp("indices_stage")
    out = root / "out"
    out.mkdir()
    cube = out / "cube.zarr"
    create_cube(cube, GRID, attrs={"synthetic": True})
    like = open_cube(cube)
    rng = np.random.default_rng(11)
    values = {b: rng.uniform(0.01, 0.6, GRID.shape).astype(np.float32) for b in BANDS}
    values["B04"][:3, :3] = np.nan          # no data
    values["B08"][5, :4] = 0.0
    values["B04"][5, :4] = 0.0              # 0 / 0
    layers = xr.Dataset({b: float_layer(v, name=b, units="1", long_name=f"SYNTHETIC {b}",
                                        provenance={"synthetic": True}, like=like)
                         for b, v in values.items()})
    add_variables(cube, layers)
    config = {
        "name": "indices-stage-test", "synthetic": True,
        "region": {"name": "stage-test", "crs": GRID.crs, "resolution": GRID.resolution,
                   "bounds": list(GRID.bounds), "chunks": list(GRID.chunks)},
        "indices": {"sensor": "sentinel2",
                    "names": ["NDVI", "CLAY_HYDROXYL", "FERROUS_IRON", "IRON_OXIDE"],
                    "custom": {"MY_RATIO": "(S1 - S2) / (S1 + S2 + 0.1)"}},
    }
    path = root / "job.yaml"
    path.write_text(yaml.safe_dump(config))
    return path, out, values


def test_stage_writes_index_variables_with_provenance(job) -> None:
    path, out, values = job
    proc = _cli("indices", str(path), "-o", str(out), "--workers", "1")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr
    ds = open_cube(out / "cube.zarr")
    b = {k: v.astype(np.float64) for k, v in values.items()}
    with np.errstate(all="ignore"):
        expected = {
            "NDVI": (b["B08"] - b["B04"]) / (b["B08"] + b["B04"]),
            "CLAY_HYDROXYL": b["B11"] / b["B12"],
            "FERROUS_IRON": b["B12"] / b["B08"] + b["B03"] / b["B04"],
            "IRON_OXIDE": b["B04"] / b["B02"],
            "MY_RATIO": (b["B11"] - b["B12"]) / (b["B11"] + b["B12"] + 0.1),
        }
    for name, want in expected.items():
        var = ds[name]
        assert var.dtype == np.float32
        assert var.encoding["chunks"] == GRID.chunks
        want = np.where(np.isfinite(want), want, np.nan)
        np.testing.assert_allclose(var.values, want, rtol=1e-6, err_msg=name)
        prov = json.loads(var.attrs["provenance"])
        assert prov["backend"] == "numba"
        assert prov["catalogue_version"].startswith("asi-spyndex-0.12.0")
        assert prov["formula"] and prov["bands"]
        assert var.attrs["prospect_kind"] == "index" and var.attrs["units"] == "1"
        assert var.attrs["synthetic"] is True  # one encoding: a JSON boolean
    assert np.isnan(ds["NDVI"].values[:3, :3]).all() and np.isnan(ds["NDVI"].values[5, :4]).all()
    assert json.loads(ds["FERROUS_IRON"].attrs["provenance"])["bands"] == {
        "S2": "B12", "N": "B08", "G": "B03", "R": "B04"}
    leftovers = [p.name for p in out.iterdir() if ".staging" in p.name]
    assert leftovers == []


def test_rerun_skips_unchanged_indices_and_recomputes_changed_ones(job) -> None:
    path, out, _ = job
    if "NDVI" not in open_cube(out / "cube.zarr"):  # run alone, or before the first case
        first = _cli("indices", str(path), "-o", str(out), "--workers", "1")
        assert first.returncode == 0, first.stderr[-3000:]
    before = open_cube(out / "cube.zarr")["NDVI"].attrs["prospect_fingerprint"]
    proc = _cli("indices", str(path), "-o", str(out), "--workers", "1")
    assert proc.returncode == 0, proc.stderr[-3000:]
    log = proc.stderr + proc.stdout
    assert "skipped" in log or "0 index layer(s) computed" in log
    config = yaml.safe_load(path.read_text())
    config["indices"]["custom"]["MY_RATIO"] = "(S1 - S2) / (S1 + S2 + 0.2)"
    path.write_text(yaml.safe_dump(config))
    proc = _cli("indices", str(path), "-o", str(out), "--workers", "1")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "1 index layer(s) computed (MY_RATIO)" in proc.stderr + proc.stdout
    ds = open_cube(out / "cube.zarr")
    assert ds["NDVI"].attrs["prospect_fingerprint"] == before
    assert "0.2" in json.loads(ds["MY_RATIO"].attrs["provenance"])["formula"]


def test_bad_formula_is_one_clear_line(job, tmp_path: Path) -> None:
    path, out, _ = job
    config = yaml.safe_load(path.read_text())
    config["indices"]["custom"] = {"EVIL": "__import__('os').system('touch /tmp/pwned')"}
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(config))
    proc = _cli("indices", str(bad), "-o", str(out), "--workers", "1")
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    assert "EVIL" in proc.stderr and "__import__" in proc.stderr


def test_list_filters_by_sensor_and_domain() -> None:
    proc = _cli("indices", "--list", "--sensor", "aster", "--domain", "lithology", "--json")
    assert proc.returncode == 0, proc.stderr
    entries = json.loads(proc.stdout)
    names = {e["name"] for e in entries}
    assert {"QUARTZ_QI", "CARBONATE_CI", "SILICA_SIO2"} <= names
    assert all(e["domain"] == "lithology" or "lithology" in e["tags"] for e in entries)
    proc = _cli("indices", "--list")
    assert proc.returncode == 0 and "CLAY_HYDROXYL" in proc.stdout and "NDVI" in proc.stdout
    proc = _cli("indices", "--list", "--sensor", "landsat8", "--json")
    l8 = {e["name"] for e in json.loads(proc.stdout)}
    assert "NDVI" in l8 and "IRECI" not in l8 and "CLAY_HYDROXYL" in l8
    proc = _cli("indices")
    assert proc.returncode == 2 and "--list" in proc.stderr


def _band_cube(out: Path, grid: RegionGrid, values: dict[str, np.ndarray]) -> Path:
    cube = out / "cube.zarr"
    create_cube(cube, grid, attrs={"synthetic": True})
    like = open_cube(cube)
    add_variables(cube, xr.Dataset({b: float_layer(v, name=b, units="1", like=like,
                                                   long_name=f"SYNTHETIC {b}",
                                                   provenance={"synthetic": True})
                                    for b, v in values.items()}))
    return cube


def test_raw_numbers_are_refused_and_nothing_is_published(tmp_path: Path) -> None:
    """The reflectance check taken inside the chunk tasks still stops the stage: one line,
    and no index variable or partial variable left behind."""
    out = tmp_path / "out"
    out.mkdir()
    rng = np.random.default_rng(3)
    values = {b: rng.uniform(0.01, 0.6, GRID.shape).astype(np.float32) for b in BANDS}
    values["B08"] = (values["B08"] * 10000).round().astype(np.float32)  # raw DN
    cube = _band_cube(out, GRID, values)
    config = {"name": "raw-dn", "synthetic": True,
              "region": {"name": "stage-test", "crs": GRID.crs, "resolution": GRID.resolution,
                         "bounds": list(GRID.bounds), "chunks": list(GRID.chunks)},
              "indices": {"sensor": "sentinel2", "names": ["NDVI", "IRON_OXIDE"]}}
    path = tmp_path / "job.yaml"
    path.write_text(yaml.safe_dump(config))
    proc = _cli("indices", str(path), "-o", str(out), "--workers", "1")
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert "'B08'" in proc.stderr and "allow_out_of_range" in proc.stderr, proc.stderr[-2000:]
    assert {"NDVI", "IRON_OXIDE"}.isdisjoint(open_cube(cube).data_vars)
    assert not [p.name for p in out.iterdir() if p.name.startswith(".cube.zarr.")]
    config["indices"]["allow_out_of_range"] = True
    path.write_text(yaml.safe_dump(config))
    proc = _cli("indices", str(path), "-o", str(out), "--workers", "1")
    # round 57: the range check lifted, B08 in DN beside reflectance is two scales (NDVI
    # near 1 everywhere): refused, nothing published
    assert proc.returncode != 0 and "times apart" in proc.stderr, proc.stderr[-3000:]
    assert {"NDVI", "IRON_OXIDE"}.isdisjoint(open_cube(cube).data_vars)
    # every band in DN, one scale: computed with the range check lifted
    dn = tmp_path / "dn"
    dn.mkdir()
    cube = _band_cube(dn, GRID, {b: v if b == "B08" else (v * 10000).round()
                                 for b, v in values.items()})
    proc = _cli("indices", str(path), "-o", str(dn), "--workers", "1")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert {"NDVI", "IRON_OXIDE"} <= set(open_cube(cube).data_vars)


def test_chunk_tasks_take_the_same_cells_as_the_checks_sample(tmp_path: Path) -> None:
    """The cells each chunk task gives for the reflectance check are those of
    ``data[::s, ::s]`` (what compute_indices samples), so the medians are the same; on a
    grid large enough for a stride, with chunk edges that the stride does not divide."""
    import dask

    from pipelines.stages.indices import index_writes
    from prospect.indices.plan import plan_indices
    from prospect.indices.ranges import _sample, reflective_inputs

    grid = RegionGrid(crs="EPSG:32619", resolution=10.0,
                      bounds=(570000.0, 1340000.0, 576010.0, 1345230.0), chunks=(257, 200),
                      name="stride-test")
    rng = np.random.default_rng(4)
    values = {b: rng.uniform(0.01, 0.6, grid.shape).astype(np.float32)
              for b in ("B04", "B08", "B02")}
    ds = open_cube(_band_cube(tmp_path, grid, values))
    plan = plan_indices(["NDVI", "IRON_OXIDE"], sensor="sentinel2")
    users = list(reflective_inputs(plan))
    assert sorted(users) == ["B02", "B04", "B08"]
    lazy = index_writes([ds[v].data for v in plan.inputs], plan, "numba", grid=grid,
                        nodata=None, parts=[], slots=[],
                        sampled=[plan.inputs.index(v) for v in users])
    with dask.config.set(scheduler="sync"):
        samples = lazy.compute()
    assert samples.shape == grid.chunk_counts
    for i, v in enumerate(users):
        got = np.sort(np.concatenate([np.ravel(s[i]) for s in samples.flat]))
        want = np.sort(np.asarray(_sample(ds[v].data).compute()).ravel())
        assert want.size < ds[v].size
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize(("bounds", "chunks"), [
    ((570000.0, 1340000.0, 571200.0, 1340960.0), (40, 48)),   # edge chunks
    ((570000.0, 1340000.0, 570300.0, 1340200.0), (2048, 2048)),  # smaller than one chunk
])
def test_cubes_on_their_grid_take_the_one_task_per_chunk_path(
        tmp_path: Path, bounds: tuple[float, ...], chunks: tuple[int, int]) -> None:
    """What ``prospect plan`` counts (one task per chunk) is the path these cubes take,
    including a grid smaller than its chunk shape (a coarse country run)."""
    from pipelines.stages.indices import _plain_bands

    grid = RegionGrid(crs="EPSG:32619", resolution=10.0, bounds=bounds, chunks=chunks,
                      name="path-test")
    ones = {b: np.full(grid.shape, 0.2, np.float32) for b in ("B04", "B08")}
    cube = open_cube(_band_cube(tmp_path, grid, ones))
    assert _plain_bands(cube, grid, ["B04", "B08"])
    assert not _plain_bands(cube, grid, ["B04", "B02"])  # missing: compute_indices says so
