"""Round 17, models: unit cells, fold counts, strict JSON model files and skill figures.

The CLI cases reuse round 16's tiny SYNTHETIC job (40 x 40 cells of 10 m, a signal layer
and a four-stripe geology map, ingested once per module) and train on copies; the rest
call the library: the weights-of-evidence classifier, the saved model's files and the
bootstrap interval of the pooled out-of-fold ROC AUC.
"""

from __future__ import annotations

import json
import math
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from .conftest import Sandbox, assert_clean_error
from .test_models_round16 import (  # the tiny job, ingested once per module
    PLACES,
    _job,
    _train,
    ingested,  # noqa: F401  (a module fixture)
)


def _strict(text: str) -> Any:
    """``text`` parsed as strict JSON (RFC 8259): a bare NaN or Infinity is refused."""
    def refuse(token: str) -> Any:
        raise ValueError(f"not JSON: {token}")
    return json.loads(text, parse_constant=refuse)


# -- 1. each deposit in its own unit cell, in the classifier itself ---------------------

def _levels() -> tuple[np.ndarray, np.ndarray]:
    x = np.repeat(np.arange(1.0, 6.0), 20)  # five classes of 20 cells
    y = np.zeros(x.size, int)
    for k, n in zip(range(5), (0, 1, 2, 3, 4), strict=True):
        y[20 * k: 20 * k + n] = 1  # 10 deposits, more in the higher classes
    return x, y


def test_the_classifier_refuses_more_deposits_than_unit_cells() -> None:
    """Before: ``WeightsOfEvidenceClassifier`` counted two points in a cell of one unit
    cell as two deposits (N(B & ~D) one short: the train stage checked, the estimator did
    not), and with ``unit_cell_area`` larger than the cell every positive cell was one
    deposit in half a unit cell, its pattern's area without deposit negative, the weights
    undefined or off, fitted without a word. Bonham-Carter (1994): unit cells, each a
    deposit cell or not; the fit now refuses such rows naming the row, the counts and the
    largest unit cell that holds them."""
    from prospect.errors import ModelError
    from prospect.models import WeightsOfEvidenceClassifier

    x, y = _levels()
    points = y.astype(float)
    points[np.flatnonzero(y)[-1]] = 2.0  # two wells in one cell
    with pytest.raises(ModelError, match=r"1 row\(s\) hold more deposits than unit cells"
                       r".*2 deposit\(s\) in 1 unit cell.*unit_cell_area at most 0\.5"):
        WeightsOfEvidenceClassifier(categorical_features=[0], count="points").fit(
            x[:, None], y, n_points=points)
    with pytest.raises(ModelError, match=r"0\.5 unit cell.*at most the cell area 1"):
        WeightsOfEvidenceClassifier(categorical_features=[0], unit_cell_area=2.0).fit(
            x[:, None], y)
    # control: a cell of two unit cells holds both wells; the counts are Bonham-Carter's
    woe = WeightsOfEvidenceClassifier(categorical_features=[0], count="points",
                                      cell_area=2.0, unit_cell_area=1.0).fit(
        x[:, None], y, n_points=points)
    assert woe.n_deposits_ == 11 and woe.area_total_ == 200
    top = {r["class"]: r for r in woe.weights_table()}[5.0]
    # N(B&D) = 5, N(B) = 40 unit cells, N(D) = 11, N(~D) = 189
    assert top["w_plus"] == pytest.approx(math.log((5 / 11) / (35 / 189)))


def test_train_refuses_a_unit_cell_larger_than_a_cell_when_counting_cells(
    sandbox: Sandbox, cli: Any, scheduler: str, ingested: Path,  # noqa: F811
) -> None:
    """Before: ``unit_cell_area: 400`` on cells of 100 m² (``count: cells``) trained and
    saved a model, exit 0: each positive cell was one deposit in a quarter of a unit
    cell. Now a config error (exit 2) before any fit, naming the key, the cell area and
    the fix; nothing is written."""
    _job(sandbox, "x,y\n" + "".join(f"{x},{y}\n" for x, y in PLACES),
         estimator="weights_of_evidence", params={"unit_cell_area": 400.0, "ci_draws": 0})
    result = _train(sandbox, cli, scheduler, ingested)
    assert_clean_error(result, 2, "model.params.unit_cell_area = 400",
                       "larger than a cell", "at most 100")
    assert not (sandbox.out / "model").exists()
    assert sandbox.untouched()


# -- 2. one rule for the folds: plan, ingest and train --------------------------------------

def test_negative_cells_fewer_than_folds_are_refused_by_train_in_the_words_of_plan(
    sandbox: Sandbox, cli: Any, scheduler: str, ingested: Path,  # noqa: F811
) -> None:
    """Before: ``prospect plan`` and ingest refused ``n_splits: 3`` with two negative
    cells (``negatives: below_threshold``), while train, given the same table after ingest,
    went on to folds without a negative. Train now applies the same rule
    (``prospect.models.cv.refuse_unfilled_folds``) to the cells it has, in the same words,
    before any fit (exit 2)."""
    rows = [(x, y, 9.0) for x, y in PLACES[:20]] + [(x, y, 1.0) for x, y in PLACES[20:22]]
    table = "x,y,grade\n" + "".join(f"{x},{y},{g}\n" for x, y, g in rows)
    _job(sandbox, table, labels={"source": "wells", "value_column": "grade",
                                 "threshold": 5.0, "negatives": "below_threshold"},
         cv={"kind": "spatial_block", "n_splits": 3, "seeds": 1, "bootstrap": 0,
             "compare_random": False, "block_size": 50})
    rule = "'model.cv.n_splits' = 3 is more than the 2 negative cell(s) the labels give"
    plan = cli("plan", sandbox.job_path)
    assert_clean_error(plan, 2, rule, "set model.cv.n_splits to at most 2")
    result = _train(sandbox, cli, scheduler, ingested)
    assert_clean_error(result, 2, rule, "set model.cv.n_splits to at most 2",
                       "0 on cells without data")
    assert not (sandbox.out / "model").exists()
    assert sandbox.untouched()


def test_the_fold_rule_counts_what_train_has() -> None:
    """The rule on its own: each test fold needs a positive cell (and a negative one when
    the negatives are the labelled cells); fewer than 2 are left to the callers' refusals
    of labels that cannot train; enough cells pass."""
    from prospect.errors import ConfigError
    from prospect.models.cv import refuse_unfilled_folds

    with pytest.raises(ConfigError, match=r"= 5 is more than the 4 positive cell\(s\) the "
                       r"labels give \(12 records\); .*at most 4"):
        refuse_unfilled_folds(5, positives=4, counted="12 records")
    with pytest.raises(ConfigError, match="3 negative cell"):
        refuse_unfilled_folds(4, positives=10, negatives=3)
    refuse_unfilled_folds(5, positives=5, negatives=None)
    refuse_unfilled_folds(5, positives=1)  # the label refusal's, with its own fix


# -- 3. strict JSON model files ------------------------------------------------------------

def _saved(tmp_path: Path) -> Path:
    from sklearn.linear_model import LogisticRegression

    from prospect.registry import save_model

    rng = np.random.default_rng(0)
    est = LogisticRegression().fit(rng.random((30, 2)), np.arange(30) % 2)
    schema = {"crs": "EPSG:32619", "resolution": 10.0, "variables": [
        {"name": "b02", "dtype": "float32", "prospect_kind": "continuous",
         "provenance": {"scenes": [{"file": "B02.tif", "nodata": math.nan}],
                        "mosaic": None}},
        {"name": "heat", "dtype": "float32", "prospect_kind": "continuous",
         "training": {"min": -math.inf, "max": math.inf}}]}
    card = {"mineral": "lithium", "synthetic": True,
            "cv": {"metrics": {"cv_spatial_roc_auc_ci95_low": math.nan}}}
    return save_model(est, tmp_path / "model", card=card, schema=schema)


def test_card_and_schema_are_strict_json_and_read_back_their_nan(tmp_path: Path) -> None:
    """Before: ``card.json`` and ``schema.json`` held the bare tokens ``NaN`` and
    ``Infinity`` (a scene's ``nodata``, an undefined interval, a layer's training range):
    not JSON, so ``jq`` and JavaScript's ``JSON.parse`` refused the whole card. Now each is
    ``null`` and the file lists where and what it was (``non_finite_numbers``: JSON
    Pointer -> NaN / Infinity / -Infinity), so a ``null`` meaning "no value" (``mosaic``)
    stays apart; loading the model gives the very floats saved."""
    from prospect.registry import load_model

    model = _saved(tmp_path)
    for name in ("card.json", "schema.json"):
        text = (model / name).read_text()
        data = _strict(text)
        for tool in (["jq", "-e", ".non_finite_numbers.at"], ["node", "-e",
                     "JSON.parse(require('fs').readFileSync(0, 'utf8'))"]):
            done = subprocess.run(tool, input=text, capture_output=True, text=True,
                                  check=False)
            assert done.returncode == 0, (tool, done.stderr)
        listed = data["non_finite_numbers"]
        assert "JSON Pointer" in listed["meaning"] and "null" in listed["meaning"]
    schema = _strict((model / "schema.json").read_text())
    assert schema["non_finite_numbers"]["at"] == {
        "/variables/0/provenance/scenes/0/nodata": "NaN",
        "/variables/1/training/max": "Infinity", "/variables/1/training/min": "-Infinity"}
    assert schema["variables"][0]["provenance"]["mosaic"] is None
    loaded = load_model(model)
    var = loaded.schema["variables"]
    assert math.isnan(var[0]["provenance"]["scenes"][0]["nodata"])
    assert var[0]["provenance"]["mosaic"] is None
    assert var[1]["training"] == {"min": -math.inf, "max": math.inf}
    assert math.isnan(loaded.card["cv"]["metrics"]["cv_spatial_roc_auc_ci95_low"])
    assert "non_finite_numbers" not in loaded.card and "non_finite_numbers" not in \
        loaded.schema


def test_model_files_written_with_bare_nan_tokens_are_still_read(tmp_path: Path) -> None:
    """Models saved before keep loading: a card and schema with bare ``NaN`` tokens are
    read as they were; a listed pointer that no longer leads to a ``null`` (edited by
    hand) is left as the file says."""
    from prospect.registry.files import read_card, read_schema

    model = _saved(tmp_path)
    for name in ("card.json", "schema.json"):
        data = _strict((model / name).read_text())
        at = data.pop("non_finite_numbers")["at"]
        if name == "schema.json":  # the old writer's form: the floats themselves
            data["variables"][0]["provenance"]["scenes"][0]["nodata"] = math.nan
            data["variables"][1]["training"] = {"min": -math.inf, "max": math.inf}
            (model / name).write_text(json.dumps(data, indent=2, sort_keys=True))
        else:  # a hand edit: the listed value given a number
            data["cv"]["metrics"]["cv_spatial_roc_auc_ci95_low"] = 0.5
            data["non_finite_numbers"] = {"meaning": "", "at": at}
            (model / name).write_text(json.dumps(data, indent=2, sort_keys=True))
    schema = read_schema(model)
    assert math.isnan(schema["variables"][0]["provenance"]["scenes"][0]["nodata"])
    assert schema["variables"][1]["training"]["max"] == math.inf
    assert read_card(model)["cv"]["metrics"]["cv_spatial_roc_auc_ci95_low"] == 0.5


# -- 4. the interval of a pooled AUC over too few units -------------------------------------

def _scores(blocks_with_positives: int, seed: int = 0) -> tuple[np.ndarray, ...]:
    """SYNTHETIC clustered scores: 30 blocks of 26 cells, 6 positives in each of the first
    ``blocks_with_positives`` blocks, a random offset per block."""
    rng = np.random.default_rng(seed)
    blocks = np.repeat(np.arange(30), 26)
    y = np.zeros(blocks.size, int)
    for k in range(blocks_with_positives):
        y[np.flatnonzero(blocks == k)[:6]] = 1
    return y, y + rng.normal(0, 1.0, 30)[blocks] + rng.normal(0, 0.5, y.size), blocks


def test_an_interval_over_three_positive_blocks_is_undefined_and_said() -> None:
    """Before: 2 or 3 spatial CV blocks holding positives gave a "95 %" interval of the
    pooled ROC AUC: with k blocks a replicate is one block repeated k times with
    probability k^(1-k) (1/2, 1/9), above the 2.5 % tail, so its ends were single blocks'
    AUCs; it covered the population AUC in 60 % (2 blocks) and 80 % (3) of SYNTHETIC data
    sets. Now undefined below 4 blocks (1/64), with the reason in ``bootstrap_ci``, the
    headline and a training warning; 4 blocks still give an interval (control). The row
    bootstrap follows the same rule for positive rows."""
    from prospect.models.metrics import bootstrap_auc_ci
    from prospect.models.summary import cv_warnings, headline

    y, s, b = _scores(3)
    ci = bootstrap_auc_ci(y, s, n_boot=200, blocks=b)
    assert math.isnan(ci["low"]) and math.isnan(ci["high"]) and ci["n_boot"] == 0
    assert ci["n_units_with_positives"] == 3
    assert "only 3 spatial CV blocks holding positives" in ci["undefined_because"]
    assert "at least 4 are needed" in ci["undefined_because"]
    y4, s4, b4 = _scores(4)
    ci4 = bootstrap_auc_ci(y4, s4, n_boot=200, blocks=b4)
    assert ci4["low"] < ci4["high"] and "undefined_because" not in ci4
    rows = bootstrap_auc_ci(np.r_[np.ones(3), np.zeros(40)].astype(int),
                            np.linspace(0, 1, 43), n_boot=100)
    assert math.isnan(rows["low"]) and "only 3 positive rows" in rows["undefined_because"]

    from prospect.models.evaluate import CVResult

    result = CVResult(scheme="spatial_block", oof=s, fold=np.zeros(y.size, int),
                      metrics={"roc_auc": 0.8, "n_folds": 3, "n_positive": int(y.sum())},
                      fold_metrics=[])
    facts = headline({"spatial_block": result}, ci=ci, n_splits=3)
    assert facts["cv_spatial_roc_auc_ci95_low"] is None
    assert "only 3 spatial CV blocks" in facts["cv_spatial_roc_auc_ci95_undefined_because"]
    said = cv_warnings(facts)
    assert any("has no bootstrap 95 % interval" in line and "only 3 spatial CV blocks" in line
               for line in said)


def test_the_least_blocks_follow_the_level() -> None:
    """k^(1-k) below the tail: 4 blocks at 90 % and 95 %, 5 at 99 % (1/625 < 0.005)."""
    from prospect.models.metrics import least_resampling_units

    assert [least_resampling_units(v) for v in (0.9, 0.95, 0.99)] == [4, 4, 5]



# -- 5. a schema of another grid beside the estimator ----------------------------------------

@pytest.mark.parametrize(("key", "value", "said"), [
    ("resolution", 30.0, "input_schema has cells of 10, schema.json of 30"),
    ("crs", "EPSG:32620", "input_schema has CRS EPSG:32619, schema.json EPSG:32620"),
])
def test_a_schema_of_another_grid_is_not_taken_for_the_models(
    tmp_path: Path, key: str, value: Any, said: str,
) -> None:
    """Before: a ``schema.json`` of the same features from a model trained on another grid
    (the job again at 30 m, or in the next UTM zone), checksummed again as a hand-assembled
    folder is, loaded: the parts were compared by their features only, and the cube check
    then took cubes of that grid for this estimator's. The card's copy of the input schema
    records the grid; a disagreement is refused like any other part from another model."""
    from prospect.errors import ModelError
    from prospect.registry import load_model

    from .test_registry_round10 import _edit

    model = _saved(tmp_path)
    load_model(model)  # control: the parts as saved agree
    _edit(model, "schema.json", lambda data: data.update({key: value}))
    with pytest.raises(ModelError, match="not of one model") as err:
        load_model(model)
    assert said in str(err.value)


# -- 6. weights of evidence: a layer of one class ---------------------------------------------

def test_a_layer_of_one_class_adds_no_weight_and_no_variance() -> None:
    """Before: a categorical layer holding one class over the whole study area (a geology
    map of one unit there, or every class grouped into one) got W+ = ln 1 = 0, "defined",
    with s(W+) = sqrt(1/N(D) + 1/N(~D)): no evidence, but its variance entered s(P) in
    every cell (the uncertainty map 18 % wider on this SYNTHETIC set, the CI test's s(T)
    with it) without a word. A pattern that is the whole area is no pattern: its weight is
    undefined, the layer is named among the layers left out, and the map and its
    uncertainty are those of the model without it."""
    from prospect.models import WeightsOfEvidenceClassifier, binary_weights
    from prospect.models.uncertainty import predict_with_uncertainty

    rng = np.random.default_rng(1)
    y = (rng.random(2000) < 0.05).astype(int)
    signal = rng.normal(1.5 * y, 1.0)
    X = np.column_stack([np.ones(y.size), signal])
    both = WeightsOfEvidenceClassifier(categorical_features=[0], ci_draws=0).fit(X, y)
    alone = WeightsOfEvidenceClassifier(ci_draws=0).fit(X[:, 1:], y)
    p, s = predict_with_uncertainty(both, X)
    p1, s1 = predict_with_uncertainty(alone, X[:, 1:])
    np.testing.assert_allclose(p, p1)
    np.testing.assert_allclose(s, s1)
    assert both.layers_left_out(["geology", "signal"]) == ["geology"]
    row = both.weights_table(["geology", "signal"])[0]
    assert row["defined_plus"] is False and math.isnan(row["w_plus"])
    ci = both.conditional_independence(X, y)
    assert ci["agterberg_cheng_sd"] == pytest.approx(
        alone.conditional_independence(X[:, 1:], y)["agterberg_cheng_sd"])
    whole = binary_weights(100.0, 10.0, 100.0, 10.0)  # the pattern is the study area
    part = binary_weights(60.0, 10.0, 100.0, 10.0)  # control: every deposit inside
    assert not whole["defined_plus"] and not whole["defined_minus"]
    assert part["defined_plus"] and not part["defined_minus"]


# -- 7. a synthetic model's map stays synthetic -----------------------------------------------

def test_a_map_of_a_synthetic_model_is_labelled_synthetic_whatever_the_job_says(
    sandbox: Sandbox, cli: Any, scheduler: str, ingested: Path,  # noqa: F811
) -> None:
    """Before: the score stage labelled its maps with the job's ``synthetic`` flag alone: a
    model trained on a SYNTHETIC cube, scored after the job was edited to ``synthetic:
    false``, gave COGs tagged ``synthetic=false``, STAC items ``prospect:synthetic: false``
    and cube maps marked real (``prospect model score`` already asked the card and the
    cube too). The map is synthetic when the job, the model or the cube says so."""
    import rasterio
    import yaml

    from prospect.io.cube import is_synthetic, open_cube

    _job(sandbox, "x,y\n" + "".join(f"{x},{y}\n" for x, y in PLACES))
    assert _train(sandbox, cli, scheduler, ingested).code == 0
    job = yaml.safe_load(sandbox.job_path.read_text())
    job["synthetic"] = False
    sandbox.write_job(yaml.safe_dump(job, sort_keys=False))
    result = cli("score", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert result.code == 0, (result.out + result.err)[-3000:]
    with rasterio.open(sandbox.out / "score" / "probability.tif") as src:
        assert src.tags()["synthetic"] == "true"
    item = json.loads((sandbox.out / "score" / "probability.json").read_text())
    assert item["properties"]["prospect:synthetic"] is True
    assert is_synthetic(open_cube(sandbox.out / "cube.zarr")["probability"].attrs)
    assert sandbox.untouched()


def test_a_model_trained_on_a_synthetic_cube_is_synthetic_whatever_the_job_says(
    sandbox: Sandbox, cli: Any, scheduler: str, ingested: Path,  # noqa: F811
) -> None:
    """Before: train wrote the card's ``synthetic`` from the job alone: the job edited to
    ``synthetic: false`` after ingest gave a model of SYNTHETIC evidence whose card (and
    ``model list``) said real. The cube's own flag counts too."""
    import yaml

    _job(sandbox, "x,y\n" + "".join(f"{x},{y}\n" for x, y in PLACES))
    job = yaml.safe_load(sandbox.job_path.read_text())
    job["synthetic"] = False
    sandbox.write_job(yaml.safe_dump(job, sort_keys=False))
    assert _train(sandbox, cli, scheduler, ingested).code == 0
    card = _strict((sandbox.out / "model" / "card.json").read_text())
    assert card["synthetic"] is True
    assert _strict((sandbox.out / "model" / "metrics.json").read_text())["synthetic"] is True
