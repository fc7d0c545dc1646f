"""Round 62b: the score stage's ``score.md`` naming its maps and model by the run
machine's folders.

The Meuse job's score folder holds the COGs, their STAC items, the quick-looks and
``score.md``. The STAC items name their COG beside them (``./probability.tif``) and the
model card names its data as the job gives them (round 59), but ``score.md`` said
"Model: ``/home/alice/runs/meuse/model``" and "COG:
``/home/alice/runs/meuse/score/probability.tif``": a score folder handed to a partner (or
an output folder moved) named the folders of the machine that ran it, links that lead
nowhere on the reader's. Now ``score.md`` names them from where it lies
(``probability.tif``, ``../model``), as it names its quick-looks; the run manifest keeps
the resolved paths.

The job is the real Meuse set (``meuse_heavy_metals_nl``: dem and dist rasters, the 155
zinc samples) through the shipped stages, on a small model (a forest of 20 trees, two
folds of fixed blocks) so that it runs in seconds; the controls read the same run.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
import yaml

pytestmark = [pytest.mark.realdata]

MEUSE = "meuse_heavy_metals_nl"


def _job(data: Path) -> dict[str, Any]:
    """A Meuse job of two rasters and the samples, as the shipped job gives them."""
    raster = {"kind": "raster", "crs": "EPSG:28992"}
    return {
        "name": "r62b-meuse", "description": "Meuse zinc from dem and dist (real data)",
        "region": {"reference": str(data / "dem.tif"), "crs": "EPSG:28992",
                   "name": "meuse", "chunks": [64, 64]},
        "sources": [raster | {"name": "dem", "path": str(data / "dem.tif"), "units": "cm"},
                    raster | {"name": "dist", "path": str(data / "dist.tif"), "units": "1"},
                    {"kind": "points", "name": "samples", "path": str(data / "meuse.shp"),
                     "crs": "EPSG:28992", "columns": ["zinc"]}],
        "model": {"mineral": "zinc", "estimator": "random_forest",
                  "labels": {"source": "samples", "value_column": "zinc",
                             "threshold": 1000, "negatives": "below_threshold"},
                  "cv": {"kind": "spatial_block", "n_splits": 2, "block_size": 1000},
                  "params": {"n_estimators": 20}, "permutation_repeats": 0},
    }


@pytest.fixture(scope="module")
def scored(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The output folder of the Meuse job's ingest, train and score stages."""
    from pipelines.context import RunContext
    from pipelines.runner import run_stages
    from prospect.config import load_job, resolve_grid

    data = shared_data / MEUSE
    if not (data / "meuse.shp").is_file():
        pytest.skip(f"{data} not found")
    folder = tmp_path_factory.mktemp("r62b_realdata")
    config = folder / "job.yaml"
    config.write_text(yaml.safe_dump(_job(data)))
    out = folder / "out"
    job = load_job(config)
    ctx = RunContext(job=job, out_dir=out, grid=resolve_grid(job))  # in this process
    results = {r.name: r for r in run_stages(ctx, ["ingest", "train", "score"])}
    assert results["score"].outputs["report"], results["score"]
    return out


def test_score_md_names_its_maps_beside_it(scored: Path) -> None:
    """Each map's ``COG:`` line named ``<out>/score/probability.tif`` (the run machine's
    folder); now the file beside ``score.md``, which opens from there."""
    text = (scored / "score" / "score.md").read_text()
    assert "COG: `probability.tif`" in text and "COG: `uncertainty.tif`" in text
    for line in text.splitlines():
        if line.startswith("COG: "):
            assert (scored / "score" / line.split("`")[1]).is_file()


def test_score_md_names_the_model_from_where_it_lies(scored: Path) -> None:
    """The heading's ``Model:`` named ``<out>/model``; now ``../model``, the model folder
    seen from the score folder."""
    text = (scored / "score" / "score.md").read_text()
    assert "Model: `../model`." in text
    assert ((scored / "score" / "../model") / "card.json").is_file()


def test_score_md_holds_no_folder_of_the_run_machine(scored: Path) -> None:
    """No text of the score folder (``score.md``, the STAC items) names the output folder
    or the data's folder on the machine that ran it: the folder reads the same handed
    on."""
    for path in sorted((scored / "score").glob("*.md")) + sorted(
            (scored / "score").glob("*.json")):
        text = path.read_text()
        assert str(scored) not in text, (path.name, text[:2000])
        assert os.fspath(scored.parent) not in text, path.name


def test_control_the_stac_items_and_manifest_read_as_before(scored: Path) -> None:
    """The STAC items' asset is ``./probability.tif`` as before, and the run manifest
    names the score outputs under the output folder as before."""
    item = json.loads((scored / "score" / "probability.json").read_text())
    assert item["assets"]["data"]["href"] == "./probability.tif"
    manifest = json.loads((scored / "manifest.json").read_text())
    outputs = manifest["stages"]["score"]["outputs"]
    assert outputs["probability"] == "score/probability.tif"
    assert outputs["report"] == "score/score.md"


def test_control_a_path_outside_the_output_folder_is_written_as_given(
        tmp_path: Path) -> None:
    """SYNTHETIC facts: a model outside the output folder (``prospect model score``'s
    registry, another disk) and a relative name are written as given, as before."""
    from pipelines.report import write_score_report

    text = write_score_report(tmp_path / "out" / "score", quicklooks={"probability": "p.png"},
                              facts={"mineral": "zinc", "job": "r62b",
                                     "model": "/srv/models/zinc-v3",
                                     "outputs": {"probability": "maps/p.tif"}}).read_text()
    assert "Model: `/srv/models/zinc-v3`." in text and "COG: `maps/p.tif`" in text


def test_control_the_heatflow_jobs_shared_places_are_two_wells_each(shared_data: Path) -> None:
    """The shipped heat-flow job's comment, checked against its table: 4 places hold two
    records of ``Heat Flow``, each two wells of Ramaekers (consecutive site numbers, other
    depth intervals) with the values the comment gives; 311 places in all."""
    import csv

    from prospect.config import load_job

    job = load_job(Path(__file__).resolve().parents[2] / "configs" / "jobs"
                   / "nl-geothermal-heatflow.yaml")
    (source,) = job.sources
    table = shared_data / "heatflow_europe_nl_ihfc" / "heatflow_netherlands_bbox_subset.csv"
    assert Path(str(source.path)).name == table.name
    if not table.is_file():
        pytest.skip(f"{table} not found")
    with open(table, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    places: dict[tuple[str, str], list[dict[str, str]]] = {}
    for row in rows:
        places.setdefault((row["Latitude"], row["Longitude"]), []).append(row)
    shared = sorted((sorted(r["Site_Name"] for r in group),
                     sorted(float(r["Heat Flow"]) for r in group))
                    for group in places.values() if len(group) > 1)
    assert shared == [(["104", "105"], [62.0, 72.0]), (["335", "336"], [89.0, 96.0]),
                      (["437", "438"], [66.0, 79.0]), (["83", "84"], [56.0, 76.0])]
    assert len(rows) == 315 and len(places) == 311
