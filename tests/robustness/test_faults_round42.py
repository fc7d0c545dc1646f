"""Round 42, faults, the command line and job configs: two stages after ingest making one
cube variable (a custom index named ``probability`` in a job with a model, a catalogue
index and a time-series band of one name, a custom index named like a change layer),
which ``prospect plan`` and ``prospect run`` took without a word; and tiles asked of a
job without a model (``prospect tiles`` of a job of survey layers, a ``tiles`` section
without ``layers``), told to run a stage the job cannot run or to fix a key not written.

The jobs are the corpus's tiny SYNTHETIC raster job (with a second SYNTHETIC raster and a
SYNTHETIC two-well table where a model needs labels), run through the real CLI in this
process. No part of the engine is mocked. All inputs here are small and SYNTHETIC.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from .conftest import Sandbox, assert_clean_error, write_tiny_raster

SOURCES = [
    {"kind": "raster", "name": "heat", "path": "heat.tif"},
    {"kind": "raster", "name": "cold", "path": "cold.tif"},
    {"kind": "points", "name": "wells", "path": "wells.csv", "x": "x", "y": "y",
     "crs": "EPSG:32619", "columns": ["li"]},
]
"""Two SYNTHETIC rasters and a SYNTHETIC table of two wells (a model's labels)."""

MODEL = {"mineral": "lithium", "labels": {"source": "wells", "value_column": "li",
                                          "threshold": 100}}
"""A model section reading the wells' ``li`` (planned only, never trained here)."""

BANDS = {"N": "heat", "R": "cold"}


@pytest.fixture()
def box(sandbox: Sandbox) -> Sandbox:
    """The tiny job's sandbox with ``cold.tif`` and ``wells.csv`` beside ``heat.tif``."""
    write_tiny_raster(sandbox.root / "cold.tif",
                      values=np.random.default_rng(5).random((40, 40)).astype("float32"))
    (sandbox.root / "wells.csv").write_text(
        "x,y,li\n500100,1350100,200\n500200,1350300,20\n")  # SYNTHETIC
    sandbox.write_job()
    return sandbox


def _dates(bands: dict[str, str], later: dict[str, str]) -> list[dict[str, Any]]:
    """Two dates of a time series, each naming ``{band: cube variable}``."""
    return [{"date": "2020-01-01", "bands": bands}, {"date": "2021-01-01", "bands": later}]


# -- 1. two stages after ingest making one variable -------------------------------------


@pytest.mark.parametrize(("sections", "needles"), [
    ({"indices": {"sensor": "sentinel2", "custom": {"probability": "(N - R) / (N + R)"},
                  "bands": BANDS}, "model": MODEL},
     ["model (the score stage) makes a variable 'probability'",
      "and so does indices.custom.probability", "out of its features",
      "give the custom index another name (indices.custom.probability)"]),
    ({"indices": {"sensor": "sentinel2", "custom": {"Uncertainty": "N - R"},
                  "bands": BANDS}, "model": MODEL},
     ["makes a variable 'uncertainty'", "indices.custom.Uncertainty one named "
      "'Uncertainty', which differs only in case", "(indices.custom.Uncertainty)"]),
    ({"timeseries": {"dates": _dates({"NDVI": "heat"}, {"NDVI": "cold"})},
      "indices": {"sensor": "sentinel2", "names": ["NDVI"], "bands": BANDS}},
     ["indices makes a variable 'NDVI'", "and so does timeseries.dates",
      "rename the band in every entry of timeseries.dates"]),
    ({"timeseries": {"dates": _dates({"N": "heat"}, {"N": "cold"}), "difference": ["N"]},
      "indices": {"sensor": "sentinel2", "custom": {"N_change": "N * 2"},
                  "bands": {"N": "N"}}},
     ["timeseries.difference makes a variable 'N_change'",
      "and so does indices.custom.N_change", "give the custom index another name"]),
], ids=["index-probability", "index-Uncertainty", "timeseries-band-NDVI",
        "index-named-like-a-change"])
def test_two_later_stages_making_one_variable_are_refused_at_plan(
        box: Sandbox, cli: Any, sections: dict[str, Any], needles: list[str]) -> None:
    """A custom index named ``probability`` in a job with a model was computed, left out
    of the model's features (a model output, by name) and replaced by the score's map,
    with exit 0 (``later_variables`` kept the last stage of a name); a catalogue index
    beside a time-series band of its name was found by the indices stage only after the
    whole ingest, in words naming no key; an index named like a change layer was replaced
    by it. ``prospect plan`` (and ``run``, whose ingest stage asks the same before it
    computes) said nothing. Now refused, naming both keys and the one to rename."""
    box.write_job(sources=SOURCES, **sections)
    result = cli("plan", box.job_path)
    line = assert_clean_error(result, 2, "job.yaml", *needles)
    assert "without a word" in line
    assert box.untouched()


def test_control_distinct_later_variables_plan(box: Sandbox, cli: Any) -> None:
    """control: an index named ``prob_index`` beside a model, and a time series whose
    band an index reads and whose change is that index's (``X_change``), plan as
    before."""
    box.write_job(sources=SOURCES, model=MODEL, indices={
        "sensor": "sentinel2", "custom": {"prob_index": "(N - R) / (N + R)"},
        "bands": BANDS})
    assert cli("plan", box.job_path).code == 0
    box.write_job(sources=SOURCES, timeseries={
        "dates": _dates({"N": "heat"}, {"N": "cold"}), "difference": ["X"]},
        indices={"sensor": "sentinel2", "custom": {"X": "N * 2"}, "bands": {"N": "N"}})
    result = cli("plan", box.job_path)
    assert result.code == 0, result.out + result.err


# -- 2. tiles asked of a job without a model --------------------------------------------


def test_prospect_tiles_of_a_job_without_tiles_or_model_has_nothing_to_do(
        box: Sandbox, cli: Any) -> None:
    """``prospect tiles job.yaml -o out`` of a job of survey layers (no ``tiles`` and no
    ``model`` section: to see its layers on a map) started the stage, left an empty
    ``tiles/`` folder, and failed (exit 1) with "no out/score/probability.tif ...; run the
    score stage first", a stage this job cannot run. Now refused before anything, as
    ``prospect train`` of such a job is, with a tiles section naming one of its layers."""
    result = cli("tiles", box.job_path, "-o", box.out, "--workers", "1")
    line = assert_clean_error(result, 2, "job.yaml", "'prospect tiles' has nothing to do",
                              "no 'tiles' section, nor a 'model' section",
                              "tiles: {layers: [{variable: heat}]}")
    assert "score" not in line
    assert not box.out.exists()
    assert box.untouched()


@pytest.mark.parametrize("command", ["plan", "run", "tiles"])
def test_a_tiles_section_without_layers_in_a_job_without_a_model_is_told_so(
        box: Sandbox, cli: Any, command: str) -> None:
    """``tiles: {min_zoom: 12, max_zoom: 13}`` in a job without a model tiles the model's
    maps by default: ``plan`` and ``run`` said "tiles.layers: no stage of this job makes
    the variable(s) ['probability', 'uncertainty'] ...: fix 'variable'" of a key the user
    did not write (``run`` after making the output folder), and ``prospect tiles`` (after
    ingest) "run the score stage first". Now one line says that no ``layers`` means the
    model's maps, that there is no model, and the layers to write."""
    box.write_job(tiles={"min_zoom": 12, "max_zoom": 13})
    args = ["-o", box.out, "--workers", "1"] if command != "plan" else []
    result = cli(command, box.job_path, *args)
    needles = ["the section names no 'layers'", "the job has no 'model' section",
               "layers: [{variable: heat}]"]
    if command == "plan":
        needles.append("ingest makes ['heat']")
    line = assert_clean_error(result, 2, "job.yaml", *needles)
    assert "fix 'variable'" not in line and "run the score stage" not in line
    assert not box.out.exists()
    assert box.untouched()


def test_control_tiles_of_named_layers_or_of_a_model_plan(box: Sandbox, cli: Any) -> None:
    """control: a tiles section naming ``heat`` in a job without a model, and one without
    ``layers`` in a job with a model (its maps tiled by default), plan as before."""
    box.write_job(tiles={"layers": [{"variable": "heat"}]})
    result = cli("plan", box.job_path)
    assert result.code == 0, result.out + result.err
    box.write_job(sources=SOURCES, model=MODEL, tiles={"min_zoom": 12, "max_zoom": 13})
    result = cli("plan", box.job_path)
    assert result.code == 0, result.out + result.err


# -- 3. a tile layer of a variable with a time axis --------------------------------------

TIMESERIES = {"dates": _dates({"N": "heat"}, {"N": "cold"}), "difference": ["X"]}
"""``N`` stacked over two dates (``heat`` for 2020, ``cold`` for 2021); ``X_change``."""
STACKED_INDEX = {"sensor": "sentinel2", "custom": {"X": "N * 2"}, "bands": {"N": "N"}}
"""An index ``X`` of the stacked band: one map per date, as ``N``."""


def _tiled(box: Sandbox, *variables: str) -> None:
    """The time-series job with a tile layer of each of ``variables``."""
    box.write_job(sources=SOURCES[:2], timeseries=TIMESERIES, indices=STACKED_INDEX,
                  tiles={"min_zoom": 12, "max_zoom": 13, "archive": False,
                         "layers": [{"variable": v} for v in variables]})


@pytest.mark.parametrize(("variable", "needles"), [
    ("X", ["tiles.layers[0].variable: 'X' is an index of the band N stacked over "
           "timeseries.dates", "one map per date (2020-01-01, 2021-01-01)",
           "would show 2020-01-01 alone", "tile X_change"]),
    ("N", ["tiles.layers[0].variable: 'N' is a band stacked over timeseries.dates",
           "tile N_change (list N in timeseries.difference)",
           "one date's own variable (heat, cold)"]),
])
def test_a_tile_layer_of_a_variable_with_a_time_axis_is_refused_at_plan(
        box: Sandbox, cli: Any, variable: str, needles: list[str]) -> None:
    """``variable: NDVI`` in a job whose NDVI is computed on bands stacked over two dates
    (the Wageningen job's, beside its ``NDVI_change``) planned, and the run's tiles were
    the first date's alone (the reader's first band), titled NDVI, exit 0; a stacked band
    the same. Now refused before anything runs, naming the dates and what to tile."""
    _tiled(box, variable)
    line = assert_clean_error(cli("plan", box.job_path), 2, "job.yaml", *needles)
    assert "tile layer shows one map" in line
    assert box.untouched()


def test_prospect_tiles_of_a_variable_with_a_time_axis_is_refused_before_the_stage(
        box: Sandbox, cli: Any) -> None:
    """``prospect tiles`` of such a layer (ingest and indices run before, or not) ran the
    stage: after a run, the first date's tiles without a word; here, before any, "no
    variable 'X' in cube.zarr; run the score stage first". Now the same line as
    ``prospect plan``'s, before any output is made."""
    _tiled(box, "X")
    result = cli("tiles", box.job_path, "-o", box.out, "--workers", "1")
    assert_clean_error(result, 2, "job.yaml", "'X' is an index of the band N stacked",
                       "tile X_change")
    assert not box.out.exists()


def test_control_tile_layers_of_a_change_or_a_dates_own_variable_plan(
        box: Sandbox, cli: Any) -> None:
    """control: the change of the stacked index (``X_change``) and one date's own source
    (``heat``) tile as before."""
    _tiled(box, "X_change", "heat")
    result = cli("plan", box.job_path)
    assert result.code == 0, result.out + result.err


# -- 4. a time-series difference of a variable without a time axis ----------------------


@pytest.mark.parametrize(("difference", "needles"), [
    ("heat", ["timeseries.difference: 'heat' has no time axis",
              "not once per date of timeseries.dates",
              "difference a variable with a time axis (N, X"]),
    ("NDVI", ["timeseries.difference: no stage of this job makes a variable 'NDVI'",
              "compute the index on the stacked bands (indices.names or indices.custom"]),
    ("x", ["no stage of this job makes a variable 'x'", "write 'X' (names are "
           "case-sensitive)"]),
])
def test_a_difference_without_a_time_axis_is_refused_at_plan(
        box: Sandbox, cli: Any, difference: str, needles: list[str]) -> None:
    """``timeseries.difference: [heat]`` (a source: one map, not one per date), ``[NDVI]``
    of a job that computes no NDVI, and ``[x]`` for the index ``X`` planned without a
    word; the screen stage refused them after the whole ingest and the indices, in a line
    naming no config file, exit 1. Now refused at plan, naming what has a time axis."""
    box.write_job(sources=SOURCES[:2], indices=STACKED_INDEX, timeseries={
        **TIMESERIES, "difference": [difference]})
    assert_clean_error(cli("plan", box.job_path), 2, "job.yaml", *needles)
    assert box.untouched()


def test_a_run_differencing_a_source_stops_before_the_ingest_computes(
        box: Sandbox, cli: Any) -> None:
    """``prospect run`` of ``difference: [heat]`` ingested the region, computed the
    indices and stopped in the screen stage, exit 1 ("'heat' has no time axis with two
    dates", naming no file). Now the ingest stage refuses it before it computes a chunk,
    as it refuses tile layers and features no stage makes."""
    box.write_job(sources=SOURCES[:2], indices=STACKED_INDEX, timeseries={
        **TIMESERIES, "difference": ["heat"]})
    result = cli("run", box.job_path, "-o", box.out, "--workers", "1")
    assert_clean_error(result, 2, "job.yaml", "timeseries.difference: 'heat' has no time axis")
    assert not (box.out / "cube.zarr").exists()
    assert box.untouched()


# -- 5. a model feature of a variable with a time axis ----------------------------------


@pytest.mark.parametrize(("model", "needles"), [
    ({"features": ["X", "heat"]},
     ["model.features: 'X' is an index of the band N stacked over timeseries.dates",
      "a feature is one value per cell", "name its change X_change",
      "or leave it out of model.features"]),
    ({"features": ["N", "heat"]},
     ["model.features: 'N' is a band stacked", "one date's own variable (heat, cold)"]),
    ({"focal": {"variables": ["X"], "radii": [20.0]}},
     ["model.focal.variables: 'X' is an index", "leave it out of model.focal.variables"]),
], ids=["index", "stacked-band", "focal"])
def test_a_feature_with_a_time_axis_is_refused_at_plan(
        box: Sandbox, cli: Any, model: dict[str, Any], needles: list[str]) -> None:
    """``model.features: [NDVI, ...]`` where NDVI is computed on bands stacked over the
    dates planned without a word; the train stage refused it ("feature variable(s) 'X'
    ('time', 'y', 'x') are not one (y, x) layer", naming no config file, exit 1) after
    the whole ingest and the indices. Now refused at plan, with the change to name."""
    box.write_job(sources=SOURCES, timeseries=TIMESERIES, indices=STACKED_INDEX,
                  model={**MODEL, "cv": {"n_splits": 2}, **model})
    assert_clean_error(cli("plan", box.job_path), 2, "job.yaml", *needles)
    assert box.untouched()


def test_control_a_feature_of_the_change_plans(box: Sandbox, cli: Any) -> None:
    """control: ``model.features: [X_change, heat]`` (the stacked index's change and a
    source) plans as before."""
    box.write_job(sources=SOURCES, timeseries=TIMESERIES, indices=STACKED_INDEX,
                  model={**MODEL, "cv": {"n_splits": 2}, "features": ["X_change", "heat"]})
    result = cli("plan", box.job_path)
    assert result.code == 0, result.out + result.err
