"""``prospect plan`` of a STAC-search job checks the variables the config names before any
search: a search source's variables are its ``assets`` and its count, known from the config
(before: "NOT CHECKED", and the run refused the job after searching and ingesting)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from pipelines.cli import main

JOB = Path(__file__).resolve().parents[2] / "configs" / "jobs" / "bonaire-s2-dry-median.yaml"


def _job(tmp_path: Path, layer: str) -> Path:
    cfg = yaml.safe_load(JOB.read_text())
    cfg["tiles"] = {"layers": [{"variable": layer}]}
    path = tmp_path / "job.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path


def test_a_tile_layer_no_search_makes_is_refused_at_plan(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", str(_job(tmp_path, "B8A"))]) != 0
    err = " ".join(capsys.readouterr().err.split())
    assert "B8A" in err and "Traceback" not in err, err


@pytest.mark.parametrize("layer", ["B04", "s2_count", "NDVI"])
def test_the_search_sources_own_variables_plan(
        tmp_path: Path, layer: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Controls: an asset, the composite's count and an index are made: planned, and the
    note no longer says the names were not checked."""
    assert main(["plan", str(_job(tmp_path, layer)), "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert not any("NOT CHECKED" in n for n in plan["notes"]), plan["notes"]


def test_a_plain_rasters_scene_dates_reach_the_cube_for_the_index_stage(
        shared_data: Path, tmp_path: Path) -> None:
    """A mosaic of scenes given ``date:`` records the dates in its layers' provenance, where
    the index stage reads them (ASTER's SWIR after April 2008); before, only composites
    recorded their items' dates, and a dated ASTER raster was "no acquisition date"."""
    from prospect.config.sources import RasterSource
    from prospect.indices.ranges import acquisition_dates
    from prospect.ingest.rasters import plan_raster

    from .test_imagery_inputs import cut_scene, scene_grid

    scene = cut_scene(shared_data, tmp_path)
    red = scene["red"].rename(tmp_path / "red.tif")  # a name that states no date
    source = RasterSource.model_validate({
        "name": "l8", "scenes": [{"bands": {"red": str(red)}, "date": "2014-04-19"}]})
    layers = plan_raster(source, scene_grid({"red": red}))
    dates = acquisition_dates(layers[0].attrs())
    assert [d.isoformat() for d in dates] == ["2014-04-19"]


@pytest.mark.parametrize("address", ["notaurl", "tcp://notaurl", ":8786"])
def test_a_scheduler_address_without_host_and_port_is_a_command_line_error(
        address: str) -> None:
    """Before: ``--scheduler notaurl`` was "cannot reach the dask scheduler" (exit 1, a
    stage failed); it is a mistyped command line (exit 2), said at once."""
    from pipelines.cluster import dask_client
    from prospect.errors import ConfigError

    with pytest.raises(ConfigError, match=r"no host and port.*tcp://host:8786") as caught, \
            dask_client(scheduler=address):
        pass
    assert caught.value.exit_code == 2
