"""Round 59, models and reuse: a model card naming its training data by the trainer's
folders and its metrics' ``n`` without the labelled cells left out, and a registry model's
map (``prospect model score``) recording no date of the data it maps.

The card's ``training_data`` (and its config and features) gave
``/home/lead/.../jobs/../data/wells.csv`` and ``/tmp/run/cube.zarr/zarr.json``: a
researcher who received the model learnt the trainer's folders, not where the data lie
beside the job. Its metrics showed ``n`` 150 for the Meuse's 155 samples without a word
of the 5 left out on no data. ``prospect model score`` of a cube of dated scenes wrote
maps whose provenance (and ``--cog``'s tags) held no date, where the job's score stage
records them (round 58).

All data are SYNTHETIC: a 40 x 40 cube of 10 m cells (a signal layer with no data at
three of the 25 seeded occurrences and a categorical map of four stripes, each a scene
given a date), kept in a ``data`` folder beside the job's ``jobs`` folder and trained
once per module; round 49's logistic regression on an undated cube; and the counts of
the real Meuse job's card (155 samples, 3 positive and 2 negative cells without data).
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path
from typing import Any

import pytest
import yaml

from .conftest import TINY_REGION, run_in_process, write_tiny_raster
from .test_models_round16 import CELLS, FAST_CV, PLACES, _layers, _table
from .test_models_round49 import _published

HOLES = CELLS[:3]
"""The occurrences' cells where the signal layer holds its nodata (-9999)."""


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory, scheduler: str) -> dict[str, Path]:
    """A tiny job in ``root/jobs`` reading its data from ``root/data`` (``../data/...``,
    as the Meuse job reads ``../../../shared/data``), ingested and trained into
    ``root/runs/out`` once."""
    root = tmp_path_factory.mktemp("models59")
    data, jobs, out = root / "data", root / "jobs", root / "runs" / "out"
    jobs.mkdir()
    data.mkdir()
    (data / "wells.csv").write_text(_table(PLACES))
    layers = _layers()
    for r, c in HOLES:
        layers["signal"][r, c] = -9999.0
    for name, values in layers.items():
        write_tiny_raster(data / f"{name}.tif", values=values.astype("float32"), nodata=-9999.0)
    job = {
        "name": "tiny59",
        "synthetic": True,
        "description": "SYNTHETIC robustness case",
        "region": dict(TINY_REGION),
        "sources": [
            {
                "kind": "raster",
                "name": "signal",
                "scenes": [{"path": "../data/signal.tif", "date": "2021-06-14"}],
            },
            {
                "kind": "raster",
                "name": "geo",
                "values": "categorical",
                "scenes": [{"path": "../data/geo.tif", "date": "2019-03-01"}],
            },
            {
                "kind": "points",
                "name": "wells",
                "path": "../data/wells.csv",
                "x": "x",
                "y": "y",
                "crs": "EPSG:32619",
            },
        ],
        "model": {
            "mineral": "lithium",
            "estimator": "random_forest",
            "params": {"n_estimators": 10},
            "permutation_repeats": 0,
            "partial_dependence": 0,
            "labels": {"source": "wells"},
            "cv": FAST_CV,
            "features": ["signal", "geo"],
        },
    }
    job_path = jobs / "job.yaml"
    job_path.write_text(yaml.safe_dump(job, sort_keys=False))
    for stage in ("ingest", "train"):
        result = run_in_process(stage, job_path, "-o", out, "--scheduler", scheduler)
        assert result.code == 0, (result.out + result.err)[-3000:]
    return {"root": root, "data": data, "out": out, "model": out / "model"}


# -- 1. the card names its data as the job does --------------------------------------------


def test_the_card_names_its_training_data_as_the_job_does_not_by_the_trainers_folders(
    trained: dict[str, Path],
) -> None:
    """Before: ``training_data`` gave ``<root>/jobs/../data/wells.csv`` and
    ``<root>/runs/out/cube.zarr/zarr.json``, and the card's config and features' provenance
    the same folders. Now the labels are ``../data/wells.csv`` (as the job gives them,
    relative to its folder), the cube ``cube.zarr/zarr.json`` (relative to the output
    directory), each with the file's SHA-256, and the card says what they are relative to;
    no text of ``card.json`` or ``card.md`` names the trainer's folders."""
    model, root = trained["model"], str(trained["root"])
    card = json.loads((model / "card.json").read_text())
    assert [item["path"] for item in card["training_data"]] == [
        "../data/wells.csv",
        "cube.zarr/zarr.json",
    ]
    wells = hashlib.sha256((trained["data"] / "wells.csv").read_bytes()).hexdigest()
    assert card["training_data"][0]["sha256"] == wells
    zarr_json = (trained["out"] / "cube.zarr" / "zarr.json").read_bytes()
    assert card["training_data"][1]["sha256"] == hashlib.sha256(zarr_json).hexdigest()
    assert "relative to its config's folder" in card["paths"]
    scenes = [s["scenes"][0]["path"] for s in card["config"]["sources"] if s.get("scenes")]
    assert scenes == ["../data/signal.tif", "../data/geo.tif"]
    files = [f["provenance"]["scenes"][0]["file"] for f in card["features"]]
    assert files == ["../data/signal.tif", "../data/geo.tif"]
    for name in ("card.json", "card.md"):
        text = (model / name).read_text()
        assert root not in text, (name, text[text.find(root) - 200 : text.find(root) + 200])
    assert "| ../data/wells.csv |" in (model / "card.md").read_text()


def test_control_the_job_still_scores_with_its_card_and_checks_data_by_resolved_paths(
    trained: dict[str, Path], scheduler: str, tmp_path: Path
) -> None:
    """Control: the job's own score stage reads the card as before (exit 0), the cube's
    provenance and the model's ``schema.json`` keep the resolved paths that checks read
    (the leakage check, the manifest), and a registry import of the model verifies."""
    import shutil

    out = tmp_path / "out"
    shutil.copytree(trained["out"], out)
    job = trained["root"] / "jobs" / "job.yaml"
    result = run_in_process("score", job, "-o", out, "--scheduler", scheduler)
    assert result.code == 0, (result.out + result.err)[-3000:]
    schema = json.loads((out / "model" / "schema.json").read_text())
    file = schema["variables"][0]["provenance"]["scenes"][0]["file"]
    assert Path(file).resolve() == (trained["data"] / "signal.tif").resolve()
    done = run_in_process("model", "import", out / "model", "--name", "li", "-r", tmp_path / "r")
    assert done.code == 0, (done.out + done.err)[-3000:]


# -- 2. the card counts the labelled cells it left out -------------------------------------


def test_the_card_says_which_labelled_cells_its_n_leaves_out(trained: dict[str, Path]) -> None:
    """Before: ``card.md`` showed the metrics' ``n`` alone (the rows of the occurrences
    with data and their background): the 3 occurrences on no data in ``signal`` were said
    by the run's warnings and the training report, not by the card a researcher reuses
    the model by.
    Now its limitations say "3 of N positive cells have no data in the evidence and are
    left out of training and of every figure (n ... rows ...)", and a Labels section gives
    the records, the cells, the training rows and the cells left out, where."""
    card = json.loads((trained["model"] / "card.json").read_text())
    labels = card["labels"]
    n = len(CELLS)
    assert labels["positives_without_data"] == 3 and labels["positive_cells"] == n
    line = next(t for t in card["limitations"] if "no data in the evidence" in t)
    assert line.startswith(f"3 of {n} positive cells have no data in the evidence (signal: 3 "
                           "positive) and are left")  # the layer named since round 61b
    rows = f"(n {labels['samples']} rows: {n - 3} positive, {labels['negatives']} negative)"
    assert rows in line
    text = (trained["model"] / "card.md").read_text()
    section = text[text.index("## Labels") : text.index("## Features")]
    assert f"- records: {n}\n" in section
    assert f"- training rows (the metrics' n): {labels['samples']} ({n - 3} positive" in section
    at = ", ".join(f"({x:.0f}, {y:.0f})" for x, y in labels["positives_without_data_at"])
    assert f"3 positive cell(s) at {at} (cell centres, the grid's CRS)" in section


MEUSE_LABELS = {
    "records": 155,
    "cells": 155,
    "positive_cells": 16,
    "negative_cells": 139,
    "positives_without_data": 3,
    "negatives_without_data": 2,
    "positives_without_data_at": [[180860.0, 333340.0], [179980.0, 332260.0],
                                  [179060.0, 331020.0]],
    "samples": 150,
    "positives": 13,
    "negatives": 137,
    "background_drawn": 0,
}
"""The counts of the real Meuse job's card (``configs/jobs/meuse-zinc.yaml``): 155
samples, 16 of them >= 1000 ppm zinc, 3 positive and 2 negative cells on no data in
``twi``."""


def test_the_meuse_card_accounts_for_its_150_of_155_samples() -> None:
    """The Meuse card showed ``n`` 150 with no word of the 155 samples given: now its
    limitation reads "3 of 16 positive cells and 2 of 139 negative cells have no data in
    the evidence ... (n 150 rows: 13 positive, 137 negative)" and ``card.md`` lists them."""
    from prospect.models.summary import left_out_words
    from prospect.registry.card import card_markdown

    assert left_out_words(MEUSE_LABELS) == (
        "3 of 16 positive cells and 2 of 139 negative cells have no data in the evidence "
        "and are left out of training and of every figure (n 150 rows: 13 positive, 137 "
        "negative); the card's labels.positives_without_data_at lists the positive cells"
    )
    none = {**MEUSE_LABELS, "positives_without_data": 0, "negatives_without_data": 0}
    assert left_out_words(none) is None  # none left out: no limitation
    text = card_markdown({"mineral": "zinc", "labels": MEUSE_LABELS})
    assert (
        "- records: 155\n- positive cells: 16; negative cells: 139\n"
        "- training rows (the metrics' n): 150 (13 positive, 137 negative)\n"
        "- left out of training and of every figure, no data in the evidence: 3 positive "
        "cell(s) at (180860, 333340), (179980, 332260), (179060, 331020) (cell centres, the "
        "grid's CRS); 2 negative cell(s)\n"
    ) in text


def test_control_a_card_without_labels_or_paths_renders_as_before() -> None:
    """Control: a card saved with the library outside the train stage (no ``labels``, no
    ``paths``) renders no Labels section and no paths line."""
    from prospect.registry.card import card_markdown

    text = card_markdown({"mineral": "lithium", "training_data": [{"path": "/d/w.csv"}]})
    assert "## Labels" not in text and "Paths:" not in text
    assert "| /d/w.csv |" in text


def test_paths_given_absolute_or_inside_longer_paths_are_kept() -> None:
    """``portable_card`` takes out the output directory and the job's folder where a path
    begins only: a file the job gives by its absolute path elsewhere, and a longer path
    holding the folder's text, are kept as written; the card given is not changed."""
    from prospect.registry.card import portable_card

    card = {
        "training_data": [
            {"path": "/srv/jobs/../data/w.csv"},
            {"path": "/srv/out/c.zarr/zarr.json"},
        ],
        "config": {"sources": [{"path": "/survey/w.csv"}, {"path": "/x/srv/jobs/a.tif"}]},
        "limitations": ["/srv/jobs/../data/w.csv: 3 of 9 positive cells ...",
                        "its source reads the labels' file '/srv/jobs/w.csv'"],
        "features": [{"provenance": {"sources": {"/srv/jobs/a.tif": "ab"}}}],
        "cv": {"n": math.nan},
    }
    out = portable_card(card, job_dir="/srv/jobs", out_dir="/srv/out")
    assert [t["path"] for t in out["training_data"]] == ["../data/w.csv", "c.zarr/zarr.json"]
    assert [s["path"] for s in out["config"]["sources"]] == ["/survey/w.csv", "/x/srv/jobs/a.tif"]
    assert out["limitations"] == ["../data/w.csv: 3 of 9 positive cells ...",
                                  "its source reads the labels' file 'w.csv'"]
    assert out["features"][0]["provenance"]["sources"] == {"a.tif": "ab"}
    assert card["training_data"][0]["path"] == "/srv/jobs/../data/w.csv"
    assert portable_card(card, job_dir=None, out_dir=None) == card


# -- 3. a registry model's map records the dates of its inputs -----------------------------


def test_model_score_records_the_days_of_the_scenes_the_model_reads(
    trained: dict[str, Path], tmp_path: Path, cli: Any
) -> None:
    """Before: ``prospect model score`` of the job's cube (scenes of 2019-03-01 and
    2021-06-14) wrote maps whose provenance held no date and a ``--cog`` without the
    ``provenance`` tag the tile server's ``/stac/<layer>.json`` dates a map by: the item of
    the COG gave the file's time. Now both record the days, as the score stage's maps do."""
    import rasterio

    from prospect.io.cube import open_cube
    from prospect.provenance import read_provenance

    registry = tmp_path / "registry"
    done = cli("model", "import", trained["model"], "--name", "li", "-r", registry)
    assert done.code == 0, (done.out + done.err)[-3000:]
    out, cog = tmp_path / "scored.zarr", tmp_path / "li.tif"
    result = cli("model", "score", "li", "-c", trained["out"] / "cube.zarr", "-o", out,
                 "--cog", cog, "-r", registry)
    assert result.code == 0, (result.out + result.err)[-3000:]
    ds = open_cube(out)
    for name in ("probability", "uncertainty"):
        prov = read_provenance(ds[name].attrs["provenance"])
        assert prov["dates"] == ["2019-03-01", "2021-06-14"], prov
        assert prov["model"] == "li"
    with rasterio.open(cog) as src:
        assert json.loads(src.tags()["provenance"]) == {"dates": ["2019-03-01", "2021-06-14"]}


def test_control_model_score_of_an_undated_cube_records_no_dates(
    tmp_path: Path, cli: Any
) -> None:
    """Control: a cube whose layers record no date (survey layers) is scored as before: no
    ``dates`` in the maps' provenance and no ``provenance`` tag in the COG."""
    import rasterio

    from prospect.io.cube import open_cube
    from prospect.provenance import read_provenance

    found = _published(tmp_path, 59, None, 0)
    cube = found["make_cube"](tmp_path / "undated.zarr", found["a"])
    out, cog = tmp_path / "scored.zarr", tmp_path / "p.tif"
    result = cli("model", "score", "logit", "-c", cube, "-o", out, "--cog", cog, "-r",
                 found["reg"])
    assert result.code == 0, (result.out + result.err)[-3000:]
    prov = read_provenance(open_cube(out)["probability"].attrs["provenance"])
    assert "dates" not in prov and prov["model"] == "logit"
    with rasterio.open(cog) as src:
        assert "provenance" not in src.tags()
