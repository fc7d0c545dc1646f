"""Fault round 44: a sensor file fixed in an open session read as it first was, and one
fixed between runs of a job left the indices of the old mapping
(``docs/robustness.md``, "Round 44", faults).

Real files written here (small, SYNTHETIC): a user's sensor YAML and the public API or
the real ``prospect`` command in this process.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xarray as xr

from .conftest import Sandbox, assert_clean_error, write_tiny_raster

# -- 1. a user's sensor YAML edited in an open session ------------------------------------

SENSOR = """\
# SYNTHETIC: a user's own sensor, written by hand
name: mine
bands:
  R: {{variable: {red}, wavelength_nm: 665}}
  N: {{variable: {nir}, wavelength_nm: 842}}
"""


def _edited(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` as an editor saving it a moment later does (its
    modification time moved on even on a file system of coarse times)."""
    before = path.stat().st_mtime_ns if path.exists() else 0
    path.write_text(text)
    if path.stat().st_mtime_ns == before:
        os.utime(path, ns=(before + 1_000_000_000, before + 1_000_000_000))


def _bands() -> xr.Dataset:
    """Two SYNTHETIC reflectance bands, ``b_red`` darker than ``b_nir`` everywhere."""
    rng = np.random.default_rng(44)
    red = (0.05 + 0.05 * rng.random((8, 8))).astype("float32")
    nir = (0.40 + 0.10 * rng.random((8, 8))).astype("float32")
    return xr.Dataset({"b_red": (("y", "x"), red), "b_nir": (("y", "x"), nir)})


def test_a_sensor_file_fixed_in_a_session_is_read_again(tmp_path: Path) -> None:
    """A researcher's sensor YAML mapped red and near infrared the wrong way round;
    ``compute_indices(ds, ["NDVI"], sensor="mine.yaml")`` gave an NDVI below 0 over
    vegetation. They fixed the file and ran the cell again: the first reading was kept (a
    cache by path), so the same negative NDVI came back without a word. Now the file is
    read again when it changed."""
    from prospect.indices.api import compute_indices

    ds, path = _bands(), tmp_path / "mine.yaml"
    _edited(path, SENSOR.format(red="b_nir", nir="b_red"))
    swapped = compute_indices(ds, ["NDVI"], sensor=str(path), backend="reference")
    assert float(swapped["NDVI"].max()) < 0
    _edited(path, SENSOR.format(red="b_red", nir="b_nir"))
    fixed = compute_indices(ds, ["NDVI"], sensor=str(path), backend="reference")
    want = (ds.b_nir - ds.b_red) / (ds.b_nir + ds.b_red)
    np.testing.assert_allclose(fixed["NDVI"].values, want.values, rtol=1e-6)


def test_a_sensor_file_broken_in_a_session_is_refused(sandbox: Sandbox, cli: Any,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A job's ``indices.sensor: mine.yaml`` planned, then the file was edited into one
    with near infrared at 665 nm (red's): ``prospect plan`` run again in the same process
    (a notebook's ``main([...])``) said nothing, the first reading kept. Now it is refused
    naming the band and the file."""
    monkeypatch.setenv("COLUMNS", "400")
    path = sandbox.root / "mine.yaml"
    # two variables (round 52 refuses one variable given to two wavelengths)
    write_tiny_raster(sandbox.root / "cold.tif")
    _edited(path, SENSOR.format(red="cold", nir="heat"))
    sandbox.write_job(sources=[{"kind": "raster", "name": "heat", "path": "heat.tif"},
                               {"kind": "raster", "name": "cold", "path": "cold.tif"}],
                      indices={"sensor": "mine.yaml", "custom": {"D": "N - R"}})
    first = cli("plan", sandbox.job_path)
    assert first.code == 0, first.err[-3000:]
    _edited(path, SENSOR.format(red="cold", nir="heat").replace("842", "665"))
    result = cli("plan", sandbox.job_path)
    assert_clean_error(result, 2, "mine.yaml", "wavelength_nm 665")


# -- 2. a sensor YAML changed between runs of one job ------------------------------------


@pytest.fixture(scope="module")
def mapped(tmp_path_factory: pytest.TempPathFactory, scheduler: str) -> dict[str, Any]:
    """A SYNTHETIC job whose index ``D = N - R`` reads two rasters through the user's
    ``mine.yaml`` (red and near infrared the wrong way round), run once; then rerun with
    the file unchanged, then with the file fixed. Each run's output and ``D``."""
    from .conftest import run_in_process

    box = Sandbox(tmp_path_factory.mktemp("r44") / "box")
    write_tiny_raster(box.root / "cold.tif",
                      values=np.random.default_rng(5).random((40, 40)).astype("float32"))
    sensor = box.root / "mine.yaml"
    _edited(sensor, SENSOR.format(red="cold", nir="heat"))
    box.write_job(sources=[{"kind": "raster", "name": "heat", "path": "heat.tif"},
                           {"kind": "raster", "name": "cold", "path": "cold.tif"}],
                  indices={"sensor": "mine.yaml", "custom": {"D": "N - R"}})
    out: dict[str, Any] = {"box": box}
    for step in ("first", "unchanged", "fixed"):
        if step == "fixed":
            _edited(sensor, SENSOR.format(red="heat", nir="cold"))
        os.environ.pop("PROSPECT_DEBUG", None)
        result = run_in_process("run", box.job_path, "-o", box.out, "--scheduler", scheduler)
        assert result.code == 0, result.err[-3000:]
        with xr.open_zarr(box.out / "cube.zarr") as cube:
            out[step] = (result, cube["D"].values.copy())
    return out


def test_a_sensor_file_fixed_between_runs_reruns_the_indices(mapped: dict[str, Any]) -> None:
    """The run computed ``D`` with red and near infrared swapped (the user's
    ``mine.yaml``); they fixed the file and ran the job again: "indices (skipped)", the
    stage finished with the same config text, so ``D`` kept the swapped mapping's values,
    each of the wrong sign, without a word. Now the sensor file is one of the stage's
    inputs: the rerun says it changed and computes ``D`` from the fixed mapping."""
    import rasterio

    box = mapped["box"]
    result, values = mapped["fixed"]
    with rasterio.open(box.root / "heat.tif") as heat, \
            rasterio.open(box.root / "cold.tif") as cold:
        want = cold.read(1) - heat.read(1)
    np.testing.assert_allclose(values, want, rtol=1e-5, atol=1e-6)
    text = " ".join((result.out + result.err).split())
    assert "indices (skipped)" not in text, text[-2000:]
    assert "input indices.sensor" in text and "mine.yaml) changed" in text, text[-2000:]


def test_a_sensor_file_unchanged_keeps_the_indices(mapped: dict[str, Any]) -> None:
    """control: the job run again with its sensor file as it was skips the indices stage
    (the file's record matches), with the first run's values."""
    result, values = mapped["unchanged"]
    text = " ".join((result.out + result.err).split())
    assert "indices (skipped)" in text, text[-2000:]
    np.testing.assert_array_equal(values, mapped["first"][1])


def test_a_project_moved_with_its_sensor_file_keeps_the_indices(
        tmp_path: Path, cli: Any, scheduler: str) -> None:
    """A project folder (job, rasters, ``mine.yaml``, ``out/``) moved or renamed and run
    again: the rasters were known as the same files by their checksums, the sensor file
    was not (it had none recorded), so the indices stage ran again, saying "its settings
    changed (sources, indices)" of a config nobody edited. Now its checksum is recorded
    and the move is told as such: both stages are kept."""
    import shutil

    from .conftest import write_tiny_raster

    box = Sandbox(tmp_path / "project")
    write_tiny_raster(box.root / "cold.tif",
                      values=np.random.default_rng(5).random((40, 40)).astype("float32"))
    _edited(box.root / "mine.yaml", SENSOR.format(red="cold", nir="heat"))
    box.write_job(sources=[{"kind": "raster", "name": "heat", "path": "heat.tif"},
                           {"kind": "raster", "name": "cold", "path": "cold.tif"}],
                  indices={"sensor": "mine.yaml", "custom": {"D": "N - R"}})
    first = cli("run", box.job_path, "-o", box.out, "--scheduler", scheduler)
    assert first.code == 0, first.err[-3000:]
    moved = tmp_path / "project-2026"
    shutil.move(str(box.root), str(moved))
    result = cli("run", moved / "job.yaml", "-o", moved / "out", "--scheduler", scheduler)
    assert result.code == 0, result.err[-3000:]
    text = " ".join((result.out + result.err).split())
    assert "settings changed" not in text, text[-2000:]
    assert "indices (skipped)" in text and "3 input file(s) at another path" in text, \
        text[-2000:]
