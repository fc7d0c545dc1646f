"""Prospect's estimators follow the scikit-learn contract; every configured model fits,
gives an uncertainty, and survives a save/load through the registry (skops, no pickle)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.utils.estimator_checks import check_estimator
from threadpoolctl import threadpool_limits

from prospect.config.model import ModelConfig
from prospect.errors import ConfigError
from prospect.models import (
    ESTIMATORS,
    BaggingPUClassifier,
    CalibratedModel,
    WeightsOfEvidenceClassifier,
    make_estimator,
    predict_with_uncertainty,
)


@pytest.fixture(autouse=True)
def _one_openmp_thread():
    """OpenMP (hist gradient boosting) spin-waits badly on a busy shared 2-core machine."""
    with threadpool_limits(limits=1):
        yield


def test_weights_of_evidence_passes_sklearn_checks() -> None:
    check_estimator(WeightsOfEvidenceClassifier(categorical_features=[0]))


def test_bagging_pu_passes_sklearn_checks() -> None:
    # bagging draws rows, so weights are not equivalent to repeated rows (as for
    # scikit-learn's own BaggingClassifier)
    check_estimator(
        BaggingPUClassifier(n_estimators=5, random_state=0),
        expected_failed_checks={
            "check_sample_weight_equivalence_on_dense_data": "bagging samples rows"},
    )


@pytest.mark.parametrize("method", ["isotonic", "sigmoid"])
def test_calibrated_model_passes_sklearn_checks(method: str) -> None:
    check_estimator(CalibratedModel(method=method))


def test_calibrated_model_fits_the_map_on_given_scores() -> None:
    X, y = _data(2)
    cfg = ModelConfig(mineral="li", labels={"source": "w"}, params={"n_estimators": 20})
    base = make_estimator(cfg, n_features=3, categorical=[0]).fit(X, y)
    # out-of-fold-like scores that rank the rows backwards: the map must follow them
    inverted = 1.0 - base.predict_proba(X)[:, 1]
    own = CalibratedModel(model=base).fit(X, y)
    given = CalibratedModel(model=base).fit(X, y, scores=inverted)
    assert own.model_ is base and given.model_ is base  # a fitted model is not refitted
    assert own.y_[-1] > own.y_[0] and given.y_[-1] < given.y_[0] + 1e-12
    unfitted = CalibratedModel(model=make_estimator(cfg, n_features=3, categorical=[0]))
    assert unfitted.fit(X, y).model_ is not unfitted.model  # a clone is fitted
    with pytest.raises(ValueError, match="binary"):
        CalibratedModel().fit(X, np.arange(len(y)) % 3)


def _data(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    n = 400
    geo = rng.integers(1, 4, n).astype("f4")
    a = rng.normal(size=n).astype("f4")
    b = rng.normal(size=n).astype("f4")
    logit = 1.5 * a + 1.0 * (geo == 2) - 2.0
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return np.column_stack([geo, a, b]), y


@pytest.mark.parametrize("name", ESTIMATORS)
def test_every_estimator_fits_scores_and_round_trips(name: str, tmp_path) -> None:
    from prospect.registry import load_model, save_model

    X, y = _data()
    cfg = ModelConfig(mineral="li", estimator=name, labels={"source": "w"},
                      uncertainty_members=3, categorical="target" if name == "mlp" else "onehot",
                      params={"n_estimators": 20} if name in (
                          "random_forest", "extra_trees", "bagging_pu") else {})
    model = make_estimator(cfg, n_features=3, categorical=[0], cell_area=100.0)
    kw = {"model__sample_weight": np.ones(len(y))} if name == "weights_of_evidence" else {}
    model.fit(X, y, **kw)
    p, s = predict_with_uncertainty(model, X)
    np.testing.assert_allclose(p, model.predict_proba(X)[:, 1], rtol=1e-12, atol=1e-12)
    assert np.isfinite(s).all() and (s >= 0).all() and s.max() > 0
    assert np.corrcoef(p, X[:, 1])[0, 1] > 0.3  # learns the informative column
    save_model(model, tmp_path / "m", card={"mineral": "li"},
               schema={"variables": [{"name": n} for n in ("geo", "a", "b")]})
    loaded = load_model(tmp_path / "m").estimator
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


def test_calibrated_model_round_trips_and_is_monotone(tmp_path) -> None:
    from prospect.registry import load_model, save_model

    X, y = _data(1)
    cfg = ModelConfig(mineral="li", labels={"source": "w"}, params={"n_estimators": 20})
    base = make_estimator(cfg, n_features=3, categorical=[0]).fit(X, y)
    cal = CalibratedModel(model=base, method="isotonic").fit(X, y)  # prefit: its own scores
    p, _ = predict_with_uncertainty(cal, X)
    order = np.argsort(base.predict_proba(X)[:, 1])
    assert np.all(np.diff(p[order]) >= -1e-12)
    save_model(cal, tmp_path / "c", card={},
               schema={"variables": [{"name": n} for n in ("geo", "a", "b")]})
    np.testing.assert_array_equal(load_model(tmp_path / "c").estimator.predict_proba(X),
                                  cal.predict_proba(X))


def test_unknown_params_are_config_errors() -> None:
    cfg = ModelConfig(mineral="li", labels={"source": "w"}, params={"n_trees": 5})
    with pytest.raises(ConfigError, match=r"n_trees.*allowed"):
        make_estimator(cfg, n_features=2)


@pytest.mark.parametrize(("estimator", "params", "needle"), [
    ("random_forest", {"n_estimators": 10**9}, "n_estimators = 1000000000 is over the limit"),
    ("logistic_regression", {"max_iter": 10**8}, "max_iter = 100000000 is over the limit"),
    ("mlp", {"hidden_layer_sizes": [50_000, 50_000]}, "hidden_layer_sizes"),
    ("random_forest", {"n_estimators": "many"}, "'n_estimators' parameter"),
    ("random_forest", {"max_depth": -3}, "'max_depth' parameter"),
])
def test_params_a_fit_cannot_take_are_config_errors_before_any_fit(
        estimator: str, params: dict, needle: str) -> None:
    # n_estimators: 1e9 ran for days; a wrong type or range failed inside each fit
    cfg = ModelConfig(mineral="li", labels={"source": "w"}, estimator=estimator,
                      params=params)
    with pytest.raises(ConfigError, match=needle):
        make_estimator(cfg, n_features=2)


@pytest.mark.parametrize("seed", [-1, 2**32, 2**64])
def test_a_seed_outside_numpys_range_is_refused_at_load(seed: int) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="seed"):
        ModelConfig(mineral="li", labels={"source": "w"}, seed=seed)


def test_target_encoding_lives_inside_the_pipeline() -> None:
    from sklearn.base import clone

    X, y = _data(2)
    cfg = ModelConfig(mineral="li", labels={"source": "w"}, categorical="target",
                      params={"n_estimators": 10})
    model = make_estimator(cfg, n_features=3, categorical=[0])
    # refitting on a subset refits the encoder on that subset only (in-fold encoding)
    a = clone(model).fit(X[:200], y[:200]).named_steps["encode"]
    b = clone(model).fit(X[200:], y[200:]).named_steps["encode"]
    enc_a = a.named_transformers_["categorical"].encodings_[0]
    enc_b = b.named_transformers_["categorical"].encodings_[0]
    assert not np.allclose(enc_a, enc_b)


def test_pu_oob_scores_rank_hidden_positives_high() -> None:
    rng = np.random.default_rng(3)
    X = rng.normal(size=(600, 2))
    truth = X[:, 0] > 1.0
    y = (truth & (rng.random(600) < 0.5)).astype(int)  # half the positives are labelled
    pu = BaggingPUClassifier(n_estimators=30, random_state=0).fit(X, y)
    oob = pu.oob_decision_function_
    hidden = truth & (y == 0)
    assert np.nanmean(oob[hidden]) > np.nanmean(oob[~truth]) + 0.2
