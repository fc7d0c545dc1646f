"""Models, round 19: column names inside the model file, probabilities that are no
probabilities, ensembles of one model repeated, and the screening's units read as the
registry reads them.

Library cases on small in-memory estimators and cubes; one CLI case trains round 16's
tiny SYNTHETIC job (ingested once per module).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin

from .conftest import Sandbox
from .test_models_round16 import (  # the tiny job, ingested once per module
    PLACES,
    _job,
    _metrics,
    _said,
    _table,
    _train,
    ingested,  # noqa: F401  (a module fixture)
)
from .test_models_round17 import _saved
from .test_registry_round10 import _edit

# -- 1. a schema and card reordered together by hand -----------------------------------------


def _swap(order_key: str) -> Any:
    def change(data: dict[str, Any]) -> None:
        target = data["input_schema"] if order_key == "card" else data
        target["feature_order"] = list(reversed(target["feature_order"]))
    return change


def test_a_schema_and_card_reordered_together_are_refused(tmp_path: Path) -> None:
    """Before: ``schema.json`` and the card's copy of it both given ``feature_order``
    ``[heat, b02]`` for an estimator fitted on ``[b02, heat]`` (checksums written again)
    agreed with each other, the estimator recorded no column names, and the model loaded:
    every map from it would have fed each column to the other's place. The column names
    now travel inside ``model.skops`` and are compared with the schema's."""
    from prospect.errors import ModelError
    from prospect.registry import load_model

    model = _saved(tmp_path)
    loaded = load_model(model)  # control: the parts as saved agree
    assert loaded.estimator.prospect_columns_ == ["b02", "heat"]
    _edit(model, "schema.json", _swap("schema"))
    _edit(model, "card.json", _swap("card"))
    with pytest.raises(ModelError, match="not of one model") as err:
        load_model(model)
    assert "the columns model.skops was fitted on" in str(err.value)
    assert "column 0: 'b02', not 'heat'" in str(err.value)


def test_a_model_saved_without_column_names_is_compared_as_before() -> None:
    """Backward compatible: an estimator without the record (every model saved before)
    is compared by count and encoder only; a record of other names is a difference."""
    from sklearn.linear_model import LogisticRegression

    from prospect.registry.consistency import part_differences

    est = LogisticRegression().fit(np.random.default_rng(0).random((20, 2)), np.arange(20) % 2)
    schema = {"feature_order": ["b", "a"]}
    assert part_differences({}, schema, est) == []
    est.prospect_columns_ = ["a", "b"]
    assert part_differences({}, schema, est) == [
        "the columns model.skops was fitted on are the columns schema.json gives in another "
        "order (column 0: 'a', not 'b')"]


# -- 2. probabilities that are no probabilities ------------------------------------------------


class MarginClassifier(ClassifierMixin, BaseEstimator):
    """A hand-written classifier whose ``predict_proba`` returns a margin, as a user's
    estimator brought in with ``--trust`` may."""

    def __init__(self, *, scale: float = 3.0, columns: int = 2) -> None:
        self.scale = scale
        self.columns = columns

    def fit(self, X: Any, y: Any) -> MarginClassifier:
        self.classes_ = np.array([0, 1])
        self.n_features_in_ = np.asarray(X).shape[1]
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        m = self.scale * (np.asarray(X, "f8")[:, 0] - 0.5)
        return np.column_stack([-m, m])[:, :self.columns]


class ReversedClassifier(ClassifierMixin, BaseEstimator):
    """Probabilities with the classes listed ``[1, 0]``: column 0 is the positive one."""

    def fit(self, X: Any, y: Any) -> ReversedClassifier:
        self.classes_ = np.array([1, 0])
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        p = np.clip(np.asarray(X, "f8")[:, 0], 0.0, 1.0)
        return np.column_stack([p, 1.0 - p])


def _block() -> np.ndarray:
    return np.linspace(0.0, 1.0, 2 * 4 * 4).reshape(2, 4, 4).astype("f4")


def test_scores_outside_zero_one_are_refused_not_mapped() -> None:
    """Before: a classifier whose ``predict_proba`` gives a margin (-1.5 .. 1.5) scored
    a "probability" map of those numbers, exit 0. Now a ModelError names the estimator
    and the values; the one predict path (the score stage and ``model score``) raises it."""
    from prospect.errors import ModelError
    from prospect.models.predict import predict_block

    model = MarginClassifier().fit(np.zeros((2, 2)), [0, 1])
    with pytest.raises(ModelError) as err:
        predict_block(_block(), model, [0, 1])
    text = str(err.value)
    assert "MarginClassifier" in text and "outside [0, 1]" in text
    assert "probabilities" in text and "-1.5" in text


def test_a_predict_proba_of_one_column_is_a_model_error() -> None:
    """Before: ``IndexError: index 1 is out of bounds`` (a traceback)."""
    from prospect.errors import ModelError
    from prospect.models.predict import predict_block

    model = MarginClassifier(scale=0.0, columns=1).fit(np.zeros((2, 2)), [0, 1])
    with pytest.raises(ModelError, match=r"shape \(16, 1\) for 16 rows"):
        predict_block(_block(), model, [0, 1])


def test_the_positive_column_follows_classes_and_rounding_is_clipped() -> None:
    """A classifier listing its classes ``[1, 0]`` maps its first column (before: the
    second, 1 - p, without a word); a probability 1e-12 past 1 is rounding (clipped)."""
    from prospect.models.uncertainty import checked_probabilities, predict_with_uncertainty

    model = ReversedClassifier().fit(np.zeros((2, 1)), [0, 1])
    X = np.array([[0.1], [0.8]])
    p, s = predict_with_uncertainty(model, X)
    assert p.tolist() == pytest.approx([0.1, 0.8])
    assert np.isnan(s).all()
    p, _ = checked_probabilities(model, np.array([1.0 + 1e-12, -1e-12]), np.zeros(2))
    assert p.tolist() == [1.0, 0.0]


# -- 3. ensembles of one model repeated -------------------------------------------------------


def test_a_forest_whose_trees_cannot_differ_is_refused_at_load() -> None:
    """Before: ``bootstrap: false`` with ``max_features: null`` grew every tree on every
    row and every column, one tree repeated: the uncertainty map read 0 in every cell."""
    from prospect.config.model import ModelConfig, check_params
    from prospect.errors import ConfigError

    def config(**params: Any) -> ModelConfig:
        return ModelConfig(mineral="lithium", estimator="random_forest", params=params,
                           labels={"source": "wells"})

    for value in (None, 1.0):
        with pytest.raises(ConfigError, match="one tree repeated"):
            check_params(config(bootstrap=False, max_features=value))
    check_params(config(bootstrap=False))  # control: 'sqrt' of the columns per split
    check_params(config(max_features=None))  # control: bootstrap samples differ


def test_members_identical_at_every_training_cell_are_said(
    sandbox: Sandbox, cli: Any, scheduler: str, ingested: Path,  # noqa: F811
) -> None:
    """Through the CLI: one feature with ``max_features: 1`` and ``bootstrap: false``
    trained ten identical trees and published an uncertainty of 0 everywhere without a
    word. Round 19 said it in a data warning after the fit; since round 35 train refuses
    it before the CV, once the layers are counted (``factory._check_one_tree_repeated``;
    the warning stays for members that agree otherwise, below)."""
    from .conftest import assert_clean_error

    _job(sandbox, _table(PLACES),
         params={"n_estimators": 10, "bootstrap": False, "max_features": 1})
    result = _train(sandbox, cli, scheduler, ingested)
    assert_clean_error(result, 2, "bootstrap = false with max_features = 1",
                       "one tree repeated")
    assert not (sandbox.out / "model" / "card.json").exists()


def test_members_that_differ_raise_no_spread_warning() -> None:
    """Control: a forest of bootstrap samples has a spread; a single model has none to
    say (not an ensemble)."""
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression

    from prospect.models.summary import spread_warnings

    rng = np.random.default_rng(1)
    X = rng.random((80, 2))
    y = (X[:, 0] + 0.3 * rng.random(80) > 0.7).astype(int)
    assert spread_warnings(RandomForestClassifier(n_estimators=5, random_state=0).fit(X, y),
                           X) == []
    assert spread_warnings(LogisticRegression().fit(X, y), X) == []
    same = RandomForestClassifier(n_estimators=5, bootstrap=False, max_features=2,
                                  random_state=0).fit(X, y)
    assert len(spread_warnings(same, X)) == 1


# -- 4. the screening reads units as the registry does ----------------------------------------


@pytest.mark.parametrize(("units", "expected"), [
    ("Mg/L", None),          # megagrams per litre: 10^9 mg/L, was read as mg/L
    ("mg/mL", None),         # 1000 mg/L, was refused already (control of the grammar)
    ("mg l-1", ("mg/L", 1.0)),
    ("mg·L⁻¹", ("mg/L", 1.0)),  # superscripts and the middle dot: was refused
    ("mg.L^-1", ("mg/L", 1.0)),  # control: read before too
    ("µg L-1", ("ug/L", 1e-3)),
    ("g m-3", ("mg/L", 1.0)),
    ("ppm", ("ppm", 1.2)),
])
def test_screening_units_are_read_as_the_registry_reads_them(
    units: str, expected: tuple[str, float] | None,
) -> None:
    from prospect.registry.units import canonical_units
    from prospect.screening import to_mg_per_l

    assert to_mg_per_l(units, 1.2) == expected
    assert canonical_units(units) is not None  # the registry reads every one


def _economics_cube(path: Path, units: str, variance_units: str) -> tuple[Path, Any]:
    import xarray as xr

    from prospect.grid import RegionGrid
    from prospect.io.cube import add_variables, create_cube, open_cube
    from prospect.testing.cubes import float_layer

    grid = RegionGrid("EPSG:32619", 100.0, (560000.0, 1331200.0, 560800.0, 1332000.0),
                      chunks=(4, 4), name="unit")
    create_cube(path, grid, attrs={"synthetic": True})
    like = open_cube(path)
    add_variables(path, xr.Dataset({
        name: float_layer(np.full(grid.shape, value), name=name, units=u, long_name=name,
                          like=like)
        for name, value, u in (("li", 100.0, units), ("li_variance", 25.0, variance_units))}))
    return path, grid


@pytest.mark.parametrize(("units", "variance_units", "ok"), [
    ("mg/L", "mg2 L-2", True),       # a square written as powers: was refused
    ("mg/L", "(mg/L)2", True),       # control: passed before too
    ("Mg/L", "(Mg/L)2", False),      # megagrams: was taken for mg/L
])
def test_economics_takes_units_by_their_canonical_form(
    tmp_path: Path, units: str, variance_units: str, ok: bool,
) -> None:
    from prospect.config.economics import EconomicsConfig
    from prospect.errors import DataError
    from prospect.screening import plan_economics

    cube, grid = _economics_cube(tmp_path / "c.zarr", units, variance_units)
    cfg = EconomicsConfig(concentration="li")
    if ok:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            layers = plan_economics(cfg, cube, grid)
        assert layers[0].scale == 1.0 and layers[0].variance_scale == 1.0
    else:
        with pytest.raises(DataError, match="'Mg/L', not a lithium concentration"):
            plan_economics(cfg, cube, grid)


def test_a_groups_bare_exponent_is_read_as_udunits_reads_it() -> None:
    """``(mg/L)2`` is UDUNITS-2's ``basic_exp INT``: the registry did not read it (it was
    compared as text, so ``(mg/L)2`` and ``mg2 L-2`` differed)."""
    from prospect.registry.units import canonical_units, same_units

    assert canonical_units("(mg/L)2") == canonical_units("mg2 L-2") == \
        (1.0, (("L", -2), ("mg", 2)))
    assert same_units("(mW/m2)2", "mW2 m-4")
    assert not same_units("(mg/L)2", "mg/L")


# -- 5. class weights move the probabilities' base rate ---------------------------------------


def test_class_weights_say_the_base_rate_their_probabilities_have(
    sandbox: Sandbox, cli: Any, scheduler: str, ingested: Path,  # noqa: F811
) -> None:
    """Before: ``class_weight: balanced`` with ``calibration: none`` published a map whose
    probabilities centre on 0.5 while the card's note gave the background ratio's base
    rate (1 / 11) as theirs, without a word. The weighted base rate is now recorded
    (``calibration.base_rate_weighted``) and a data warning says how to read the map."""
    _job(sandbox, _table(PLACES),
         params={"n_estimators": 10, "class_weight": "balanced"})
    result = _train(sandbox, cli, scheduler, ingested)
    assert result.code == 0, (result.out + result.err)[-3000:]
    calibration = _metrics(sandbox)["calibration"]
    assert calibration["base_rate_weighted"] == 0.5
    assert calibration["base_rate_sample"] == pytest.approx(1 / 11, abs=0.01)
    assert _said(result, "class weights:", "base rate of 0.5")
    card = json.loads((sandbox.out / "model" / "card.json").read_text())
    assert any(w.startswith("class weights:") for w in card["limitations"])


def test_the_weighted_base_rate_follows_the_published_odds_shift() -> None:
    """``w1 P / (w1 P + w0 N)``: {1: 10} on 10 positives and 100 negatives is 0.5; a
    missing class weighs 1 (scikit-learn); estimators without class weights have none."""
    from prospect.config.model import ModelConfig
    from prospect.models.training import base_rates

    y = np.r_[np.ones(10), np.zeros(100)]

    def rates(estimator: str, **params: Any) -> dict[str, Any]:
        cfg = ModelConfig(mineral="lithium", estimator=estimator, params=params,
                          labels={"source": "wells"})
        return base_rates(y, cfg)

    assert rates("random_forest", class_weight={1: 10})["weighted"] == 0.5
    assert rates("random_forest", class_weight={0: 2})["weighted"] == pytest.approx(10 / 210)
    assert rates("logistic_regression", class_weight="balanced")["weighted"] == 0.5
    plain = rates("random_forest")
    assert plain["weighted"] is None and plain["sample"] == pytest.approx(10 / 110)


# -- 6. the prediction-area intersection where scores are tied ---------------------------------


def test_the_prediction_area_intersection_is_exact_with_tied_scores() -> None:
    """Three score classes (a classed map): occurrences 3, 3, 2, 1 among area cells
    3, 2, 2, 2, 1 x 6. Occurrence % + area % reaches 100 inside class 2: 50 % + q 25 %
    of the occurrences against 10 % + q 30 % of the area, q = 0.4 / 0.55, so 68.18 %.
    Before: the nearest of 101 quantile thresholds with its two sides averaged, 67.5 %."""
    from prospect.models.metrics import prediction_area

    pa = prediction_area(np.array([3.0, 3, 2, 1]), np.array([3.0, 2, 2, 2, 1, 1, 1, 1, 1, 1]))
    q = 0.4 / 0.55
    assert pa["intersection_occurrence_pct"] == pytest.approx(100 * (0.5 + 0.25 * q))
    assert pa["intersection_threshold"] == 2.0
    # continuous scores: the same point as the capture curve crossing y = 1 - x
    rng = np.random.default_rng(4)
    pos, area = rng.normal(1, 1, 30), rng.normal(0, 1, 2000)
    got = prediction_area(pos, area)["intersection_occurrence_pct"] / 100
    t = np.quantile(area, got)  # the area share 1 - got lies above t
    assert np.mean(area >= t) == pytest.approx(1 - got, abs=1e-3)
    assert np.mean(pos >= t) == pytest.approx(got, abs=1 / 30)


def test_model_score_of_a_margin_classifier_publishes_nothing(
    cli: Any, tmp_path: Path,
) -> None:
    """Through ``prospect model score --trust``: before, the margin classifier's map of
    -1.5..1.5 was published as ``probability`` (exit 0); now one line naming the
    estimator (exit 1), no traceback, and no output cube."""
    from .conftest import assert_clean_error

    result, out = score_trusted(cli, tmp_path, MarginClassifier)
    assert_clean_error(result, 1, "MarginClassifier", "outside [0, 1]")
    assert not out.exists()


def score_trusted(cli: Any, tmp_path: Path, estimator: type) -> tuple[Any, Path]:
    """``prospect model score --trust`` of an ``estimator`` class fitted on two rows and
    saved in a registry under ``tmp_path`` over a small SYNTHETIC cube of layers a and b;
    returns the outcome and the output cube's path."""
    from prospect.io.cube import open_cube
    from prospect.registry import save_model, schema_from_cube

    from .test_registry_round10 import _write_cube

    cube = _write_cube(tmp_path / "cube.zarr")
    model = estimator().fit(np.zeros((2, 2)), [0, 1])
    schema = schema_from_cube(open_cube(cube), ["a", "b"])
    save_model(model, tmp_path / "reg" / "li" / "1", schema=schema,
               card={"mineral": "lithium", "synthetic": True})
    out = tmp_path / "scored.zarr"
    result = cli("model", "score", "li", "-c", cube, "-o", out, "-r", tmp_path / "reg",
                 "--trust", f"{estimator.__module__}.{estimator.__name__}")
    return result, out
