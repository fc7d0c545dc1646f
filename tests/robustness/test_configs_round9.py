"""Round 9: the config surfaces besides the demo job, fuzzed one value at a time.

Region configs (inline, overrides, ``{reference: raster}``), the model, tiles, economics
and mask sections, the indices' custom names and YAML itself. Each case failed before the
round (an internal error, a value read other than written, a config accepted that the run
refused only after computing, or a message naming neither the file nor the key) and holds
the corpus's rules now: exit 2 (1 for data) with one error line naming the file and the
key, no traceback. Every raster and table here is small and SYNTHETIC; nothing is computed
(``prospect plan`` or config loading only).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from prospect.config import load_job
from prospect.errors import ConfigError

from .conftest import TINY_REGION, Sandbox, assert_clean_error

POINTS = {"kind": "points", "name": "wells", "path": "wells.csv", "x": "x", "y": "y",
          "crs": "EPSG:32619", "columns": ["li"]}
MODEL = {"mineral": "lithium", "labels": {"source": "wells"}}


def _plan(sandbox: Sandbox, cli: Any, **changes: Any) -> Any:
    sandbox.write_job(**changes)
    return cli("plan", sandbox.job_path)


def _load_error(tmp_path: Path, **changes: Any) -> str:
    """The :class:`ConfigError` of loading the tiny job with ``changes``, one line."""
    job: dict[str, Any] = {"name": "tiny", "synthetic": True, "region": dict(TINY_REGION),
                           "sources": [POINTS]}
    job.update(changes)
    path = tmp_path / "job.yaml"
    path.write_text(yaml.safe_dump(job, sort_keys=False))
    with pytest.raises(ConfigError) as err:
        load_job(path)
    text = str(err.value)
    assert str(path) in text and "Traceback" not in text
    return text


# -- region CRSs ------------------------------------------------------------------------

@pytest.mark.parametrize(("crs", "needles"), [
    ('LOCAL_CS["mine grid",UNIT["metre",1]]', ["local engineering CRS", "no link to the earth"]),
    ("EPSG:4978", ["Geocentric CRS", "not a 2-D horizontal CRS"]),
    ("EPSG:5709", ["Vertical CRS", "not a 2-D horizontal CRS"]),
    ("EPSG:7415", ["compound CRS", "use EPSG:28992"]),
    ("IAU_2015:30100", ["no transformation to WGS 84", "not a CRS of the Earth"]),
], ids=["engineering", "geocentric", "vertical", "compound", "moon"])
def test_a_region_crs_no_grid_can_be_laid_out_in_is_refused_naming_the_key(
    sandbox: Sandbox, cli: Any, crs: str, needles: list[str],
) -> None:
    # engineering: internal error ProjError; geocentric and compound: accepted; vertical:
    # "bounds lie outside the Earth"; the Moon: "resolution 10 in GEOGCRS[...]"
    result = _plan(sandbox, cli, region={**TINY_REGION, "crs": crs})
    assert_clean_error(result, 2, "job.yaml", "key 'region.crs'", *needles)


def test_an_unknown_key_of_one_region_form_is_not_suggested_from_another(
    sandbox: Sandbox, cli: Any,
) -> None:
    # was "unknown key 'region.crs' (did you mean 'crs'?)": the reference form's key
    result = _plan(sandbox, cli, region={"base": "bonaire", "crs": "EPSG:32620"})
    line = assert_clean_error(result, 2, "job.yaml", "unknown key 'region.crs'",
                              "keys allowed here: base, bounds, chunks, cross_zone, name, "
                              "resolution")
    assert "did you mean" not in line


def test_a_grid_of_too_many_chunks_is_refused_before_planning(sandbox: Sandbox,
                                                              cli: Any) -> None:
    # the netherlands at its shipped 10 m in 128-cell chunks: 59 690 chunks, and the plan
    # alone took 100 s building graphs
    result = _plan(sandbox, cli, region={"base": "netherlands", "chunks": [128, 128]})
    assert_clean_error(result, 2, "job.yaml", "key 'region'", "59,690 chunks",
                       "over the limit of 20,000", "use larger chunks, e.g. [")


# -- reference rasters ------------------------------------------------------------------

def _write_raster(path: Path, crs: str | None) -> None:
    import rasterio
    from rasterio.transform import from_origin

    profile: dict[str, Any] = {"driver": "GTiff", "width": 40, "height": 40, "count": 1,
                               "dtype": "float32",
                               "transform": from_origin(500000, 1350400, 10, 10)}
    if crs is not None:
        profile["crs"] = crs
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(np.zeros((40, 40), "float32"), 1)


@pytest.mark.parametrize(("region", "needles"), [
    ({"reference": "heat.tif", "crs": "EPSG:999999"},
     ["key 'region.crs'", "unknown CRS 'EPSG:999999'"]),
    ({"reference": "nocrs.tif", "crs": ""}, ["key 'region.crs'", "no CRS given"]),
    ({"reference": "heat.tif", "name": "../../x"}, ["key 'region.name'"]),
    ({"reference": "heat.tif", "name": ""}, ["key 'region.name'"]),
    ({"reference": "https://example.invalid/dem.tif"},
     ["key 'region.reference'", "must be a local file"]),
], ids=["unknown-crs", "empty-crs", "name-path", "name-empty", "url"])
def test_a_bad_reference_region_is_refused_at_load_naming_the_key(
    sandbox: Sandbox, cli: Any, region: dict[str, Any], needles: list[str],
) -> None:
    # unknown-crs: "error: unknown CRS" naming no file and no key; empty-crs: internal
    # error AttributeError; the names were taken; url: a path with one slash
    # ("https:/example.invalid")
    _write_raster(sandbox.root / "nocrs.tif", None)
    result = _plan(sandbox, cli, region=region)
    assert_clean_error(result, 2, "job.yaml", *needles)


def test_a_reference_raster_in_an_engineering_crs_is_refused_naming_the_file(
    sandbox: Sandbox, cli: Any,
) -> None:
    _write_raster(sandbox.root / "mine.tif", 'LOCAL_CS["mine grid",UNIT["metre",1]]')
    result = _plan(sandbox, cli, region={"reference": "mine.tif"})  # was planned
    assert_clean_error(result, 1, "mine.tif", "local engineering CRS")


# -- names that clash with the cube's coordinates ----------------------------------------

def test_a_source_named_like_a_coordinate_is_refused(sandbox: Sandbox, cli: Any) -> None:
    # was internal error: TypeError (a variable 'x' beside the coordinate 'x')
    result = _plan(sandbox, cli, sources=[{"kind": "raster", "name": "x", "path": "heat.tif",
                                           "units": "1"}])
    assert_clean_error(result, 2, "job.yaml", "key 'sources'", "['x']", "coordinates")


def test_a_custom_index_named_like_a_coordinate_is_refused(tmp_path: Path) -> None:
    text = _load_error(tmp_path, indices={"custom": {"y": "(N - R) / (N + R)"}})
    assert "key 'indices.custom'" in text and "['y']" in text


# -- the model section -------------------------------------------------------------------

@pytest.mark.parametrize(("model", "needles"), [
    ({"params": {"n_estimators": "many"}}, ["model.params", "n_estimators"]),
    ({"params": {"n_estimators": True}}, ["model.params.n_estimators = true", "no true/false"]),
    ({"params": {"max_depth": 2.5}}, ["model.params", "max_depth"]),
    ({"params": {"bogus": 1}}, ["model.params ['bogus'] are not parameters"]),
    ({"params": {"random_state": 5}}, ["model.params.random_state", "model.seed"]),
    ({"params": {"n_jobs": -1}}, ["model.params.n_jobs", "dask workers"]),
    ({"estimator": "weights_of_evidence", "params": {"categorical_features": "from_dtype"}},
     ["model.params.categorical_features", "Prospect sets"]),
    ({"estimator": "mlp", "params": {"hidden_layer_sizes": [100, 0]}},
     ["model.params.hidden_layer_sizes", "positive whole numbers"]),
    ({"estimator": "bagging_pu", "params": {"estimator": "svm"}},
     ["model.params.estimator", "Prospect sets"]),
    ({"estimator": "bagging_pu", "params": {"max_samples": 2.0}},
     ["model.params.max_samples"]),
    ({"estimator": "weights_of_evidence", "params": {"ci_draws": 1.5}},
     ["model.params.ci_draws = 1.5", "valid integer"]),
    ({"estimator": "weights_of_evidence", "params": {"evidence": ["dem"]}},
     ["model.params.evidence", "give a mapping"]),
    ({"estimator": "weights_of_evidence", "params": {"count": "wells"}},
     ["model.params.count = 'wells'", "'cells' or 'points'"]),
    ({"estimator": "weights_of_evidence", "params": {"ci_draws": 10**12}},
     ["model.params.ci_draws", "over the limit"]),
    ({"cv": {"block_size": True}}, ["model.cv.block_size", "YAML reads yes/no/on/off"]),
    ({"cv": {"buffer": True}}, ["model.cv.buffer", "YAML reads yes/no/on/off"]),
    ({"features": []}, ["model.features: [] names no feature"]),
    ({"features": ["li", "li"]}, ["model.features must be unique", "['li']"]),
    ({"focal": {"radii": [40, 40]}}, ["focal.radii must be unique"]),
    ({"labels": {"source": "wells", "value_column": ""}}, ["model.labels.value_column"]),
], ids=["params-text", "params-bool", "params-float-depth", "params-unknown",
        "params-random-state", "params-n-jobs", "woe-categorical", "mlp-zero-layer", "pu-estimator",
        "pu-max-samples", "woe-ci-draws", "woe-evidence-list", "woe-count", "woe-ci-draws-cap",
        "block-size-bool", "buffer-bool",
        "features-empty", "features-twice", "focal-twice", "value-column-empty"])
def test_a_bad_model_section_is_refused_at_load(
    tmp_path: Path, model: dict[str, Any], needles: list[str],
) -> None:
    # params were checked by the train stage, after ingest and indices had run; the bools
    # were 1 (one tree, a 1 m block); features and radii were used twice; [] was "the cube
    # has no data variables" at plan
    text = _load_error(tmp_path, model={**MODEL, **model})
    for needle in needles:
        assert needle in text, text


def test_valid_model_params_still_load(tmp_path: Path) -> None:
    path = tmp_path / "job.yaml"
    path.write_text(yaml.safe_dump({
        "name": "tiny", "region": dict(TINY_REGION), "sources": [POINTS],
        "model": {**MODEL, "params": {"n_estimators": 50, "min_samples_leaf": 3,
                                      "oob_score": True, "class_weight": "balanced"}}}))
    assert load_job(path).model is not None


# -- tiles, economics, mask --------------------------------------------------------------

@pytest.mark.parametrize(("tiles", "needles"), [
    ({"layers": [{"variable": "heat", "vmin": -1e308, "vmax": 1e308}]},
     ["key 'tiles.layers.0'", "wider than a number holds"]),
    ({"tile_matrix_sets": ["NetherlandsRDNewQuad", "NetherlandsRDNewQuad"]},
     ["key 'tiles.tile_matrix_sets'", "repeated"]),
    ({"tile_matrix_sets": ["WebMercatorQuad"]},
     ["key 'tiles.tile_matrix_sets'", "always there"]),
    ({"layers": [{"variable": "nope"}]}, ["tiles.layers", "['nope']", "fix 'variable'"]),
], ids=["range-overflows", "grid-twice", "webmercator-listed", "unmade-layer"])
def test_a_bad_tiles_section_is_refused_by_plan(
    sandbox: Sandbox, cli: Any, tiles: dict[str, Any], needles: list[str],
) -> None:
    # range: every value one colour; grids: written twice; an unmade layer: plan said
    # nothing and the run stopped at ingest
    result = _plan(sandbox, cli, tiles=tiles)
    assert_clean_error(result, 2, "job.yaml", *needles)


@pytest.mark.parametrize(("economics", "needles"), [
    ({"concentration": "heat", "density_kg_per_l": 1000},
     ["economics.density_kg_per_l", "kg/m3"]),
    ({"concentration": "heat", "variance": "heat"},
     ["economics.variance names the concentration itself"]),
    ({"concentration": ""}, ["key 'economics.concentration'"]),
    ({"concentration": "../../x"}, ["key 'economics.concentration'", "not a path"]),
    ({"concentration": "heat"}, ["economics.variance", "'heat_variance'"]),
    ({"concentration": "nope", "variance": "heat"},
     ["economics.concentration", "no variable 'nope'"]),
], ids=["density-kg-m3", "variance-itself", "empty", "path", "no-variance", "unmade"])
def test_a_bad_economics_section_is_refused_by_plan(
    sandbox: Sandbox, cli: Any, economics: dict[str, Any], needles: list[str],
) -> None:
    # density: tonnages x 1000 without a word; the rest were found by the screen stage,
    # after ingest and indices
    result = _plan(sandbox, cli, economics=economics)
    assert_clean_error(result, 2, "job.yaml", *needles)


@pytest.mark.parametrize(("mask", "code", "needles"), [
    ({"outline": "atlantis"}, 2, ["key 'mask.outline'", "shipped outlines: aruba"]),
    ({"path": "land.geojson", "names": []}, 2, ["key 'mask.names'"]),
    ({"path": ""}, 2, ["key 'mask.path'", "is empty"]),
    ({"outline": "netherlands"}, 2,
     ["key 'mask'", "outline netherlands has no land in the region"]),
], ids=["unknown-outline", "no-names", "empty-path", "no-land"])
def test_a_bad_mask_is_refused_by_plan(
    sandbox: Sandbox, cli: Any, mask: dict[str, Any], code: int, needles: list[str],
) -> None:
    # all were planned without a word; names: [] selected no land at all
    result = _plan(sandbox, cli, mask=mask)
    assert_clean_error(result, code, *needles)


# -- YAML --------------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "needles"), [
    ("017", ["'017'", "octal (15)", "write 17"]),
    ("1:30", ["'1:30'", "base-60 number (90)"]),
    ("1:30.5", ["'1:30.5'", "base-60 number (90.5)"]),
], ids=["octal", "sexagesimal-int", "sexagesimal-float"])
def test_a_yaml_1_1_number_read_other_than_written_is_refused(
    sandbox: Sandbox, cli: Any, value: str, needles: list[str],
) -> None:
    # 'seed: 017' was seed 15, 'resolution: 1:30' a 90 m grid, without a word
    text = yaml.safe_dump(sandbox.job(), sort_keys=False)
    assert "  resolution: 10.0\n" in text
    text = text.replace("  resolution: 10.0\n", f"  resolution: {value}\n")
    sandbox.write_job(text=text)
    result = cli("plan", sandbox.job_path)
    assert_clean_error(result, 2, "job.yaml", *needles)


@pytest.mark.parametrize(("value", "needles"), [
    ("1990-04-31", ["'1990-04-31'", "no date", "day is out of range", "YYYY-MM-DD"]),
    ("2014-13-01", ["'2014-13-01'", "no date", "month must be in 1..12"]),
], ids=["april-31", "month-13"])
def test_a_date_the_calendar_has_not_is_refused_with_its_line(
    sandbox: Sandbox, cli: Any, value: str, needles: list[str],
) -> None:
    # was 'internal error: ValueError: day is out of range for month' (any date in a config)
    text = yaml.safe_dump(sandbox.job(), sort_keys=False) + f"description_date: {value}\n"
    sandbox.write_job(text=text)
    result = cli("plan", sandbox.job_path)
    assert_clean_error(result, 2, "job.yaml", "line", *needles)


def test_a_yaml_merge_key_is_read_as_yaml_says(sandbox: Sandbox, cli: Any) -> None:
    # was "could not determine a constructor for the tag 'tag:yaml.org,2002:merge'"
    text = yaml.safe_dump(sandbox.job(), sort_keys=False) + (
        "tiles:\n  <<: {min_zoom: 12, max_zoom: 15}\n  max_zoom: 14\n"
        "  layers: [{variable: heat}]\n")
    sandbox.write_job(text=text)
    result = cli("plan", sandbox.job_path, "--json")
    assert result.code == 0, result.err
    job = load_job(sandbox.job_path)
    assert job.tiles is not None and (job.tiles.min_zoom, job.tiles.max_zoom) == (12, 14)
    text += "  <<: {min_zoom: 11}\n"  # a second merge key is a duplicate key
    sandbox.write_job(text=text)
    assert_clean_error(cli("plan", sandbox.job_path), 2, "job.yaml", "duplicate key '<<'")


# -- empty paths, the tile server ---------------------------------------------------------

@pytest.mark.parametrize(("changes", "key"), [
    ({"sources": [{"kind": "raster", "name": "heat", "path": ""}]}, "sources.0.raster.path"),
    ({"region": {"reference": ""}}, "region.reference"),
    ({"mask": {"path": ""}}, "mask.path"),
], ids=["source", "reference", "mask"])
def test_an_empty_path_is_refused_not_read_as_the_config_folder(
    sandbox: Sandbox, cli: Any, changes: dict[str, Any], key: str,
) -> None:
    # Path("") is ".": the job's own folder was read as the raster or the outline
    result = _plan(sandbox, cli, **changes)
    assert_clean_error(result, 2, "job.yaml", f"key '{key}'", "is empty")


@pytest.mark.parametrize(("changes", "needles"), [
    ({"host": ""}, ["key 'host'"]),
    ({"tile_matrix_sets": ["UTM19WGS84Quad", "UTM19WGS84Quad"]},
     ["key 'tile_matrix_sets'", "repeated"]),
    ({"layers": [{"name": "p", "cog": ""}]}, ["key 'layers.0.cog'", "is empty"]),
    ({"keys_file": ""}, ["key 'keys_file'", "is empty"]),
], ids=["host-empty", "grid-twice", "cog-empty", "keys-file-empty"])
def test_a_bad_serve_config_is_refused_at_load(
    tmp_path: Path, changes: dict[str, Any], needles: list[str],
) -> None:
    # host '' listened on every interface; the rest read the config's folder or wrote a
    # grid twice
    from prospect.config.tiles import load_serve_config

    config: dict[str, Any] = {"layers": [{"name": "p", "cog": "p.tif"}], **changes}
    path = tmp_path / "serve.yaml"
    path.write_text(yaml.safe_dump(config))
    with pytest.raises(ConfigError) as err:
        load_serve_config(path)
    for needle in [str(path), *needles]:
        assert needle in str(err.value), str(err.value)


def test_a_model_feature_no_stage_makes_is_refused_by_plan(sandbox: Sandbox, cli: Any) -> None:
    # plan said "feature variable(s) ['nope'] are not in the cube" with exit 1 and no file;
    # a run found it in the train stage, after ingest and indices
    (sandbox.root / "wells.csv").write_text(
        "x,y,li\n" + "".join(f"{500050 + 30 * i},{1350060 + 25 * i},{100 + 40 * i}\n"
                             for i in range(8)))
    job = sandbox.job()
    points = {**POINTS, "columns": []}
    result = _plan(sandbox, cli, sources=[*job["sources"], points],
                   model={**MODEL, "labels": {"source": "wells", "value_column": "li",
                                              "threshold": 200},
                          "features": ["heat", "nope"]})
    assert_clean_error(result, 2, "job.yaml", "model.features", "['nope']", "'heat'")
    fine = _plan(sandbox, cli, sources=[*job["sources"], points],
                 model={**MODEL, "labels": {"source": "wells", "value_column": "li",
                                            "threshold": 200}, "features": ["heat"]})
    assert fine.code == 0, fine.err
