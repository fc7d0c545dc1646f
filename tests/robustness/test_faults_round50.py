"""Fault round 50: input files a job names by no path (a sensor named by its name or
alias, a mask's outline named by its name), found in another ``$PROSPECT_CONFIG_DIR`` or
another install between runs (``docs/robustness.md``, "Round 50", faults).

The records named such a file by the path it had when the stage ran: a run with another
config folder checked the first folder's file, unchanged, and kept the indices and the
land mask made from it without a word; a config folder (or an install) moved whole ran
the stages again where the old copy was gone.

Real files written here (small, SYNTHETIC): two rasters, site config folders of a sensor
mapping and a land outline, and the real ``prospect`` command in this process.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xarray as xr
import yaml

from .conftest import TWO_RASTERS, Sandbox, write_tiny_raster

SENSOR = """\
# SYNTHETIC: a site's own sensor mapping, in its $PROSPECT_CONFIG_DIR
name: mine
aliases: [mysat]
bands:
  R: {{variable: {red}, wavelength_nm: 665}}
  N: {{variable: {nir}, wavelength_nm: 842}}
"""

LEFT, RIGHT = (499000.0, 500200.0), (500200.0, 501000.0)
"""Eastings of a SYNTHETIC land outline over the tiny region's left 20 columns, or its
right 20 (the region spans 500000 to 500400 m in 40 columns)."""


def _sensor(folder: Path, *, red: str, nir: str) -> None:
    """``folder/sensors/mine.yaml`` (alias ``mysat``): R and N read from ``red``, ``nir``."""
    path = folder / "sensors" / "mine.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(SENSOR.format(red=red, nir=nir))


def _outline(folder: Path, eastings: tuple[float, float]) -> None:
    """``folder/outlines/site.geojson``: a SYNTHETIC land rectangle over ``eastings``."""
    from pyproj import Transformer

    to_lonlat = Transformer.from_crs("EPSG:32619", "EPSG:4326", always_xy=True)
    (x0, x1), (y0, y1) = eastings, (1349000.0, 1351000.0)
    ring = [
        list(to_lonlat.transform(x, y))
        for x, y in ((x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0))
    ]
    path = folder / "outlines" / "site.geojson"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"name": "SYNTHETIC land"},
                        "geometry": {"type": "Polygon", "coordinates": [ring]},
                    }
                ],
            }
        )
    )


def _inputs(out: Path, stage: str) -> dict[str, Any]:
    return json.loads((out / "manifest.json").read_text())["stages"][stage]["input_files"]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, scheduler: str) -> dict[str, Any]:
    """A SYNTHETIC job whose index ``D = N - R`` reads two rasters through the alias
    ``mysat`` of a site's config folder, masked by the folder's outline ``site``. Run
    with folder ``a``; with ``a`` copied to ``c`` and removed (a config folder or an
    install moved whole), twice; with ``d``, ``c``'s copy whose sensor has red and near
    infrared the other way round; with ``e``, ``d``'s copy whose outline is around the
    other half; with ``e`` again, its records written as before this round (no
    ``located``); with ``f``, ``e``'s copy whose sensor is ``a``'s. Each run's outcome,
    ``D`` and ``land``, and what a later stage run alone
    is told of the earlier stages before the run with ``d``."""
    from pipelines.manifest import Manifest
    from pipelines.stages import STAGE_ORDER
    from prospect.config import load_job

    from .conftest import run_in_process

    root = tmp_path_factory.mktemp("r50")
    box = Sandbox(root / "box")
    write_tiny_raster(
        box.root / "cold.tif", values=np.random.default_rng(50).random((40, 40)).astype("float32")
    )
    box.write_job(
        sources=TWO_RASTERS,
        indices={"sensor": "mysat", "custom": {"D": "N - R"}},
        mask={"outline": "site"},
    )
    folders = {name: root / name for name in "acdef"}
    _sensor(folders["a"], red="cold", nir="heat")
    _outline(folders["a"], LEFT)
    out: dict[str, Any] = {"box": box, "folders": folders}
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("PROSPECT_DEBUG", raising=False)
        for step, folder in (
            ("first", "a"),
            ("moved", "c"),
            ("again", "c"),
            ("sensor", "d"),
            ("outline", "e"),
            ("older", "e"),
            ("older_sensor", "f"),
        ):
            if step == "moved":
                shutil.copytree(folders["a"], folders["c"])  # mtimes kept, a new path
                shutil.rmtree(folders["a"])
            elif step == "sensor":
                shutil.copytree(folders["c"], folders["d"])
                _sensor(folders["d"], red="heat", nir="cold")
            elif step == "outline":
                shutil.copytree(folders["d"], folders["e"])
                _outline(folders["e"], RIGHT)
            elif step == "older":
                _as_written_before(box.out)
            elif step == "older_sensor":
                shutil.copytree(folders["e"], folders["f"])
                _sensor(folders["f"], red="cold", nir="heat")
            patch.setenv("PROSPECT_CONFIG_DIR", str(folders[folder]))
            if step == "sensor":  # what 'prospect tiles' alone would be told
                job = load_job(box.job_path)
                out["stale"] = Manifest(box.out, job).stale_before(
                    "tiles", running=["tiles"], order=STAGE_ORDER
                )
            result = run_in_process("run", box.job_path, "-o", box.out, "--scheduler", scheduler)
            assert result.code == 0, result.err[-3000:]
            with xr.open_zarr(box.out / "cube.zarr") as cube:
                out[step] = (result, cube["D"].values.copy(), cube["land"].values.copy())
            out[f"{step}_inputs"] = {
                stage: _inputs(box.out, stage) for stage in ("ingest", "indices")
            }
    return out


def _as_written_before(out: Path) -> None:
    """Rewrite ``out``'s manifest as a Prospect of round 49 wrote it: no input record
    says what its file was found as (``located``); each stage's seal taken again."""
    from pipelines.manifest import _seal

    path = out / "manifest.json"
    data = json.loads(path.read_text())
    for table in (data["inputs"], *(r.get("input_files") or {} for r in data["stages"].values())):
        for entry in table.values():
            entry.pop("located", None)
    for record in data["stages"].values():
        record["seal"] = _seal(record)
    path.write_text(json.dumps(data, indent=2, sort_keys=True))


def _cold_less_heat(site: dict[str, Any]) -> np.ndarray:
    """``cold - heat`` of the job's two rasters: ``D`` where R reads heat, N cold."""
    import rasterio

    box = site["box"]
    with rasterio.open(box.root / "heat.tif") as heat, rasterio.open(box.root / "cold.tif") as cold:
        return np.asarray(cold.read(1) - heat.read(1))


def _text(result: Any) -> str:
    return " ".join((result.out + result.err).split())


def test_a_config_folder_moved_whole_keeps_its_stages(site: dict[str, Any]) -> None:
    """The site's config folder copied to another path and the old one removed (as a new
    clone or an install elsewhere moves the shipped sensors and outlines): the records
    named the old files, gone, so the run said "running again: input indices.sensor
    (.../a/sensors/mine.yaml) changed" and ran ingest and indices again over the same
    files. Now the file found as the sensor and the outline are read, found the same,
    and both stages are skipped; their records name the new files."""
    result, values, land = site["moved"]
    text = _text(result)
    assert "ingest (skipped)" in text and "indices (skipped)" in text, text[-2000:]
    assert "running again" not in text, text[-2000:]
    np.testing.assert_array_equal(values, site["first"][1])
    np.testing.assert_array_equal(land, site["first"][2])
    moved = site["folders"]["c"]
    sensor = site["moved_inputs"]["indices"]["indices.sensor"]
    assert sensor["path"] == str(moved / "sensors" / "mine.yaml"), sensor
    assert sensor["located"] == "sensors/mysat", sensor
    outline = next(v for k, v in site["moved_inputs"]["ingest"].items() if k.endswith(".geojson"))
    assert outline["path"] == str(moved / "outlines" / "site.geojson"), outline


def test_control_an_unchanged_config_folder_keeps_its_stages(site: dict[str, Any]) -> None:
    """control: run again with the same (moved) folder: every stage skipped, the values
    and records as before."""
    result, values, land = site["again"]
    text = _text(result)
    assert "ingest (skipped)" in text and "indices (skipped)" in text, text[-2000:]
    np.testing.assert_array_equal(values, site["first"][1])
    np.testing.assert_array_equal(land, site["first"][2])
    assert site["again_inputs"] == site["moved_inputs"]


def test_a_sensor_of_the_same_name_in_another_config_folder_reruns_the_indices(
    site: dict[str, Any],
) -> None:
    """``$PROSPECT_CONFIG_DIR`` set to another folder whose ``mysat`` has red and near
    infrared the other way round: the record checked the first folder's file, unchanged,
    so the indices were skipped and ``D`` kept the other mapping's values, each of the
    wrong sign, without a word. Now the file found as ``mysat`` is compared: the indices
    run again with it."""
    result, values, _ = site["sensor"]
    want = _cold_less_heat(site)
    land = site["sensor"][2] == 1
    np.testing.assert_allclose(values[land], want[land], rtol=1e-5, atol=1e-6)
    text = _text(result)
    assert "indices (skipped)" not in text and "ingest (skipped)" in text, text[-2000:]
    assert "input indices.sensor (sensors/mysat) is another file now" in text, text[-2000:]
    assert str(site["folders"]["d"] / "sensors" / "mine.yaml") in text, text[-2000:]


def test_a_later_stage_alone_is_told_the_indices_are_out_of_date(site: dict[str, Any]) -> None:
    """A stage run alone after the folder changed (``prospect tiles``) is told that the
    indices stage's outputs are out of date, naming the sensor: it said nothing."""
    lines = site["stale"]
    assert len(lines) == 1, lines
    assert lines[0].startswith(
        "the indices stage's outputs are out of date (its input "
        "indices.sensor (sensors/mysat) is another file now"
    ), lines
    assert "run 'prospect run' (or 'prospect indices')" in lines[0], lines


def test_an_outline_of_the_same_name_in_another_config_folder_masks_its_land(
    site: dict[str, Any],
) -> None:
    """Another folder whose outline ``site`` is around the region's other half: the
    ingest stage was skipped and ``land`` kept the first outline's cells (the left half
    land, the right sea). Now it runs again with the outline found now."""
    result, _, land = site["outline"]
    assert land[:, :20].max() == 0 and land[:, 20:].min() == 1, land
    text = _text(result)
    assert "ingest (skipped)" not in text, text[-2000:]
    assert "(outlines/site) is another file now" in text, text[-2000:]


def test_control_a_sensor_given_as_a_path_is_not_found_by_name(tmp_path: Path) -> None:
    """control: a sensor given as a YAML path (the config names its file: its settings)
    and a mask given as a file are found by no name."""
    from pipelines.stages import located_inputs
    from prospect.config import load_job

    box = Sandbox(tmp_path / "box")
    write_tiny_raster(box.root / "cold.tif")
    _sensor(tmp_path / "site", red="cold", nir="heat")  # one variable a band (round 52)
    _outline(tmp_path / "site", LEFT)
    job = box.job(
        sources=[{"kind": "raster", "name": "heat", "path": "heat.tif"},
                 {"kind": "raster", "name": "cold", "path": "cold.tif"}],
        indices={
            "sensor": str(tmp_path / "site" / "sensors" / "mine.yaml"),
            "custom": {"D": "N - R"},
        },
        mask={"path": str(tmp_path / "site" / "outlines" / "site.geojson")},
    )
    path = tmp_path / "job.yaml"
    path.write_text(yaml.safe_dump(job))
    loaded = load_job(path)
    assert located_inputs("indices", loaded) == {}
    assert located_inputs("ingest", loaded) == {}
    assert located_inputs("tiles", loaded) == {}
    assert os.path.isfile(loaded.indices.sensor)


def test_an_older_record_of_the_file_found_now_is_named_so(site: dict[str, Any]) -> None:
    """Records written before this round (no ``located``) whose files are the ones found
    now are kept (every stage skipped) and named as what they were found as, so that a
    later change of the folder is found: they were never named."""
    result, values, _ = site["older"]
    text = _text(result)
    assert "ingest (skipped)" in text and "indices (skipped)" in text, text[-2000:]
    np.testing.assert_array_equal(values, site["outline"][1])
    assert site["older_inputs"]["indices"]["indices.sensor"]["located"] == "sensors/mysat"


def test_a_sensor_changed_after_an_older_record_was_named_reruns_the_indices(
    site: dict[str, Any],
) -> None:
    """The folder changed again after the run that named the older records: the indices
    run again with the sensor found now (``a``'s mapping: the first run's values)."""
    result, values, land = site["older_sensor"]
    text = _text(result)
    assert "input indices.sensor (sensors/mysat) is another file now" in text, text[-2000:]
    np.testing.assert_allclose(
        values[land == 1], -_cold_less_heat(site)[land == 1], rtol=1e-5, atol=1e-6
    )
