"""Round 34: what the lead took from the helpers' hand-overs (SYNTHETIC configs).

* A grid built in code with a chunk side of hundreds of digits ended in ``OverflowError``
  while its refusal formatted the cell count as a float (``prospect.grid._check_chunks``).
* ``prospect serve`` given a run's ``manifest.json`` printed a wall of "unknown key"
  lines (``prospect.config.tiles._OTHER_KINDS``).
* A figure written with its unit, ``recovery: "80%"`` or ``flow_m3_per_h: "150 m3/h"``,
  got pydantic's "unable to parse string as a number", or "write 80 alone" for a share
  of one (``prospect.config._base._written_number_hint``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from prospect.config._base import validate_mapping
from prospect.config.economics import EconomicsConfig
from prospect.errors import ConfigError, GridError
from prospect.grid import RegionGrid

from .conftest import assert_clean_error, run_in_process


def test_a_chunk_side_of_hundreds_of_digits_is_refused_not_an_overflow() -> None:
    with pytest.raises(GridError) as caught:
        RegionGrid(crs="EPSG:32619", resolution=10.0,
                   bounds=(500000, 1350000, 500400, 1350400), chunks=(10**400, 20), name="x")
    said = str(caught.value)
    assert "<401 digits>" in said and "10^401" in said and "[512, 512]" in said, said


def test_a_large_chunk_is_refused_with_its_cell_count_control() -> None:
    """control: a chunk a float holds is said with its count, as before."""
    with pytest.raises(GridError, match=r"chunks \[100000, 20000\] hold 2e\+09 cells"):
        RegionGrid(crs="EPSG:32619", resolution=10.0,
                   bounds=(500000, 1350000, 500400, 1350400), chunks=(100000, 20000),
                   name="x")


def test_serve_given_a_runs_manifest_says_what_it_is(tmp_path: Path) -> None:
    manifest = tmp_path / "out" / "manifest.json"
    manifest.parent.mkdir()
    manifest.write_text(json.dumps({  # the keys a run's manifest holds (pipelines.manifest)
        "job": "tiny", "run_id": "20261205T120000-1", "config_hash": "0" * 64,
        "config_path": str(tmp_path / "job.yaml"), "stages": {"ingest": {"status": "done"}},
        "runs": [], "started": "2026-12-05T12:00:00+00:00"}))
    result = run_in_process("serve", manifest, "--check")
    assert_clean_error(result, 2, str(manifest), "manifest.json", "not a tile server")
    assert "unknown key" not in result.err, result.err


@pytest.mark.parametrize(("key", "value", "needles"), [
    ("recovery", "80%", ["80% is 0.8", "share of one"]),
    ("recovery", "80 %", ["80 % is 0.8"]),
    ("flow_m3_per_h", "150 m3/h", ["write 150 alone", "m3/h"]),
    ("hours_per_year", "8000 h", ["write 8000 alone"]),
])
def test_a_figure_written_with_its_unit_says_what_to_write(key: str, value: str,
                                                           needles: list[str]) -> None:
    with pytest.raises(ConfigError) as caught:
        validate_mapping(EconomicsConfig, {"concentration": "li", key: value},
                         source="job.yaml")
    said = str(caught.value)
    assert f"key '{key}'" in said and all(n in said for n in needles), said


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A whole-world grid of 1-degree cells in EPSG:4326 (SYNTHETIC): row r holds r."""
    import numpy as np
    import rasterio
    from rasterio.transform import from_origin

    path = tmp_path_factory.mktemp("lead34") / "world.tif"
    values = np.repeat(np.arange(180, dtype="float32")[:, None], 360, axis=1)
    with rasterio.open(path, "w", driver="GTiff", width=360, height=180, count=1,
                       dtype="float32", crs="EPSG:4326", nodata=float("nan"),
                       transform=from_origin(-180.0, 90.0, 1.0, 1.0)) as ds:
        ds.write(values, 1)
    return path


@pytest.mark.parametrize(("lon", "lat", "row"), [(-45.0, 90.0, 0), (10.0, 90.0, 0),
                                                 (-180.0, 0.5, 89)])
def test_a_point_on_a_grids_edge_reads_its_cell(world: Path, lon: float, lat: float,
                                               row: int) -> None:
    """GetFeatureInfo or ``/point`` at the North Pole over a whole-world grid (its top
    edge) answered "no data": rio-tiler holds a grid's edges open
    (``tiles.source.LayerSource._value_at``)."""
    from tiles.source import cog_source

    assert cog_source(world).point(lon, lat) == row


def test_a_point_inside_the_grid_reads_as_before_control(world: Path) -> None:
    """control: a point within the grid is read by rio-tiler as before."""
    from tiles.source import cog_source

    assert cog_source(world).point(10.5, 45.5) == 44


# -- the indices helper's hand-overs: the job's checks of what the library refuses ---------

def test_a_catalogue_index_the_sensor_cannot_compute_stops_the_job_at_load(
        tmp_path: Path, cli: Any) -> None:
    """``indices: {sensor: landsat7, names: [NDCI]}`` loaded, ran ingest, and was refused
    only by the indices stage (``IndicesConfig._catalogue_bands``)."""
    from .test_indices_round34 import _job

    job = _job(tmp_path, {"sensor": "landsat7", "names": ["NDVI", "NDCI"]})
    result = cli("plan", job)
    assert_clean_error(result, 2, str(job), "NDCI", "needs band 'RE1'", "does not have")


def test_an_index_with_data_constants_still_loads_control(tmp_path: Path, cli: Any) -> None:
    """control: kNDVI's sigma taken from the data is the stage's to judge, not the load's."""
    from .test_indices_round34 import _job

    job = _job(tmp_path, {"sensor": "sentinel2", "names": ["NDVI", "kNDVI"]})
    result = cli("plan", job)
    assert result.code == 0, result.err[-2000:]


def test_the_indices_stage_refuses_a_kernel_sigma_in_another_unit(
        tmp_path: Path, scheduler: str) -> None:
    """The stage's fused path told ``compute_indices`` to skip its input checks and
    judged only the reflectance sample: ``constants: {sigma: 5000}`` wrote kNDVI 0 in
    every cell, exit 0 (``pipelines/stages/indices.py::_write_indices``)."""
    from prospect.io.cube import open_cube

    from .test_indices_round34 import _cube, _job, _reflectance

    out = tmp_path / "out"
    out.mkdir()
    _cube(out, {k: v for k, v in _reflectance().items() if k != "B02"})
    job = _job(tmp_path, {"sensor": "sentinel2", "names": ["kNDVI"],
                          "constants": {"sigma": 5000.0}})
    result = run_in_process("indices", job, "-o", out, "--scheduler", scheduler)
    assert_clean_error(result, 1, "sigma", "5000")
    assert "kNDVI" not in open_cube(out / "cube.zarr").data_vars


# -- the vectors helper's hand-over: a mask whose land holds no cell's centre --------------

def _islet_job(sandbox: Any, side_m: float) -> Path:
    """The tiny job masked by one square islet of ``side_m`` metres (SYNTHETIC, lon/lat)."""
    import geopandas as gpd
    import shapely

    islet = shapely.box(500301, 1350301, 500301 + side_m, 1350301 + side_m)
    gpd.GeoDataFrame({"name": ["Klein"]}, geometry=[islet], crs="EPSG:32619").to_crs(
        4326).to_file(sandbox.root / "islet.geojson")
    return sandbox.write_job(mask={"path": "islet.geojson"})


def test_a_mask_of_land_under_no_cell_centre_is_refused(sandbox: Any, cli: Any) -> None:
    """An islet smaller than a cell passed the "no land in the region" check, and the
    mask (drawn by cell centres) made every cell sea, every layer no data, exit 0
    (``prospect.ingest.mask._refuse_land_of_no_cell``)."""
    job = _islet_job(sandbox, 3.0)
    result = cli("plan", job)
    assert_clean_error(result, 2, "islet.geojson", "no centre of its cells", "finer resolution")
    assert sandbox.untouched()


def test_a_mask_of_land_under_cell_centres_plans_control(sandbox: Any, cli: Any) -> None:
    """control: an islet holding a few cells' centres is a mask as before."""
    job = _islet_job(sandbox, 35.0)
    result = cli("plan", job)
    assert result.code == 0, result.err[-2000:]


# -- CI of this round: a stop between the command line's imports and its handlers ----------

@pytest.mark.parametrize("signame", ["SIGINT", "SIGTERM"])
def test_a_stop_as_the_command_line_sets_up_its_streams_is_one_line(signame: str) -> None:
    """Ctrl-C just after the imports, while ``pipelines.cli.main`` set up its streams and
    before the command's stop handlers, was a ``KeyboardInterrupt`` traceback (CI of this
    round, ``test_a_stop_while_the_command_line_loads_is_one_line[2]``), and a SIGTERM
    there a silent exit -15: the entry point now answers stops until the command's
    handlers take over (``pipelines.entry.main``). The signal is sent by the process to
    itself at that step (a real signal, at the one moment the suite met by chance)."""
    import signal
    import subprocess
    import sys

    code = (
        "import signal, sys\n"
        "import pipelines.cli as cli\n"
        "setup = cli._set_broken_pipe_hook\n"
        "def late(hook):\n"
        f"    signal.raise_signal(signal.{signame})\n"
        "    return setup(hook)\n"
        "cli._set_broken_pipe_hook = late\n"
        "from pipelines.entry import main\n"
        "sys.exit(main())\n")
    proc = subprocess.run([sys.executable, "-c", code, "regions"], capture_output=True,
                          text=True, timeout=120)
    number = getattr(signal, signame)
    assert "Traceback" not in proc.stderr and proc.returncode == 128 + number, \
        (proc.returncode, proc.stderr[-2000:])
    said = "interrupted" if signame == "SIGINT" else "stopped by SIGTERM"
    assert [line for line in proc.stderr.splitlines() if said in line], proc.stderr
