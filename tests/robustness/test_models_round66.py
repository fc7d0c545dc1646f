"""Round 66, models and reuse: a researcher's model wrapped as scikit-learn wraps one, a
hyper-parameter search (``GridSearchCV``, ``RandomizedSearchCV``) refitted on its best
parameters or a ``CalibratedClassifierCV``, mapped without the spread its members give.

A search's ``predict_proba`` is its ``best_estimator_``'s, called as is; a
``GridSearchCV`` of a random forest was mapped with a NaN uncertainty, "GridSearchCV has
no members to spread (NaN)", while the forest it refitted has its trees, and a search of a
hard voting was told to be wrapped in ``CalibratedClassifierCV(GridSearchCV(...))``
instead of to be fitted with ``voting='soft'``. A ``CalibratedClassifierCV``'s
``predict_proba`` is the plain mean of its calibrated copies' (one per fold), and it was
mapped with NaN, "has no members to spread". Now
:func:`prospect.models.uncertainty.searched` reads a search as its best estimator (its
probability, spread, words and probability check), and a calibrated classifier's spread
is that of its copies, said as such.

Controls: a search of a logistic regression (no members) and a
``CalibratedClassifierCV(ensemble=False)`` (one copy) keep their probability and a NaN
uncertainty; a plain forest keeps its probability and spread exactly.

All data are SYNTHETIC: round 49's 600 training rows of ``a`` (0..1) and a categorical
``geo`` (1-3) and its 32 x 32 cubes on an EPSG:32619 grid, the estimators fitted on those
rows behind round 49's encoder and scaler.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from .test_models_round49 import _published
from .test_models_round65 import _rows

FOREST_SPREAD = ("standard deviation of the 10 trees' probabilities (each the class share of "
                 "its leaf) about their mean, the score (population s.d.), in the units of "
                 "the score", 10)


def _forest() -> Any:
    from sklearn.ensemble import RandomForestClassifier

    return RandomForestClassifier(n_estimators=10, random_state=0)


def _grid(inner: Any, grid: dict[str, list[Any]]) -> Any:
    from sklearn.model_selection import GridSearchCV

    return GridSearchCV(inner, grid, cv=3)


def _randomized(inner: Any, grid: dict[str, list[Any]]) -> Any:
    from sklearn.model_selection import RandomizedSearchCV

    return RandomizedSearchCV(inner, grid, n_iter=2, cv=3, random_state=0)


def _calibrated(ensemble: bool) -> Any:
    from sklearn.calibration import CalibratedClassifierCV

    return CalibratedClassifierCV(_forest(), cv=3, ensemble=ensemble)


@pytest.fixture(scope="module")
def found(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Round 49's registry (``logit``, SYNTHETIC), its rows, pipeline and schema."""
    from prospect.registry import ModelRegistry

    root = tmp_path_factory.mktemp("models66")
    out = _published(root, 66, None, 0)
    registry = ModelRegistry(str(out["reg"]))
    loaded = registry.load("logit", "1")
    X, y = _rows(66)
    out.update(X=X, y=y, pipeline=loaded.estimator, schema=loaded.schema, root=root,
               registry=registry)
    return out


def _fit(found: dict[str, Any], model: Any) -> Any:
    from sklearn.base import clone

    return clone(found["pipeline"]).set_params(model=model).fit(found["X"], found["y"])


# -- 1. a hyper-parameter search of a forest: its best estimator's map and spread ---------------


@pytest.mark.parametrize("kind", ["grid", "randomized"])
def test_a_search_of_a_forest_maps_its_best_forests_spread(
    kind: str, found: dict[str, Any]
) -> None:
    """A ``GridSearchCV`` / ``RandomizedSearchCV`` of a 10-tree forest as the pipeline's
    last step: was its probability and NaN, "none: GridSearchCV has no members to spread
    (NaN)"; now its probability exactly and the spread of the best forest's trees exactly
    as that forest's, said as that forest's over its 10 trees."""
    from prospect.models.uncertainty import predict_with_uncertainty, uncertainty_meaning

    make = {"grid": _grid, "randomized": _randomized}[kind]
    model = _fit(found, make(_forest(), {"max_depth": [2, 4]}))
    p, s = predict_with_uncertainty(model, found["X"])
    np.testing.assert_array_equal(p, model.predict_proba(found["X"])[:, 1])
    best = _fit(found, _forest()).set_params(  # the same forest, refitted as the search did
        model__max_depth=model.steps[-1][1].best_params_["max_depth"])
    best.fit(found["X"], found["y"])
    p_best, s_best = predict_with_uncertainty(best, found["X"])
    np.testing.assert_array_equal(p, p_best)
    np.testing.assert_array_equal(s, s_best)
    assert float(s.max()) > 0.05
    assert uncertainty_meaning(model) == FOREST_SPREAD


def test_a_search_of_a_pipeline_of_a_forest_maps_its_spread(found: dict[str, Any]) -> None:
    """A ``GridSearchCV`` around the whole pipeline (``model__max_depth``), as the
    scikit-learn user guide writes one: was NaN; now the refitted pipeline's forest's
    spread, its 10 trees."""
    from sklearn.base import clone

    from prospect.models.uncertainty import predict_with_uncertainty, uncertainty_meaning

    pipe = clone(found["pipeline"]).set_params(model=_forest())
    search = _grid(pipe, {"model__max_depth": [2, 4]}).fit(found["X"], found["y"])
    p, s = predict_with_uncertainty(search, found["X"])
    np.testing.assert_array_equal(p, search.predict_proba(found["X"])[:, 1])
    np.testing.assert_array_equal(
        s, predict_with_uncertainty(search.best_estimator_, found["X"])[1])
    assert not np.isnan(s).any() and float(s.max()) > 0.05
    assert uncertainty_meaning(search) == FOREST_SPREAD


def test_a_search_of_a_hard_voting_is_told_the_votings_fix(
    tmp_path: Path, found: dict[str, Any]
) -> None:
    """``save_model`` of a ``GridSearchCV`` of a hard voting: was "GridSearchCV gives
    classes or decision scores ...: wrap it in ... CalibratedClassifierCV(GridSearchCV(...))";
    now the search's best estimator named and the voting's fix (voting='soft')."""
    from sklearn.ensemble import VotingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.tree import DecisionTreeClassifier

    from prospect.errors import ModelError
    from prospect.registry import save_model

    voting = VotingClassifier([("tree", DecisionTreeClassifier(random_state=0)),
                               ("logit", LogisticRegression())], voting="hard")
    model = _fit(found, _grid(voting, {"tree__max_depth": [2, 3]}))
    target = tmp_path / "m"
    with pytest.raises(ModelError) as err:
        save_model(model, target, schema=found["schema"],
                   card={"mineral": "lithium", "synthetic": True})
    text = str(err.value)
    assert ("the pipeline's last step 'model': GridSearchCV's best estimator "
            "(best_estimator_): VotingClassifier(voting='hard') gives no probabilities") \
        in text, text
    assert "fit it again with voting='soft'" in text and "CalibratedClassifierCV" not in text
    assert "\n" not in text and not target.exists()


def test_a_search_without_refit_is_told_to_refit(tmp_path: Path, found: dict[str, Any]) -> None:
    """``save_model`` of a ``GridSearchCV(refit=False)`` of a forest (no best estimator
    kept): was "GridSearchCV gives classes or decision scores ...: wrap it in ...
    CalibratedClassifierCV(GridSearchCV(...))"; now "fit it again with refit=True"."""
    from sklearn.model_selection import GridSearchCV

    from prospect.errors import ModelError
    from prospect.registry import save_model

    model = _fit(found, GridSearchCV(_forest(), {"max_depth": [2, 4]}, cv=3, refit=False))
    target = tmp_path / "m"
    with pytest.raises(ModelError) as err:
        save_model(model, target, schema=found["schema"],
                   card={"mineral": "lithium", "synthetic": True})
    text = str(err.value)
    assert ("the pipeline's last step 'model': GridSearchCV(refit=False) gives no "
            "probabilities (no predict_proba)") in text, text
    assert "fit it again with refit=True" in text and "CalibratedClassifierCV" not in text
    assert "\n" not in text and not target.exists()


def test_a_saved_search_of_a_forest_is_scored_with_its_spread(
    tmp_path: Path, cli: Any, found: dict[str, Any]
) -> None:
    """``prospect model score`` of a published ``GridSearchCV`` of a forest: its
    uncertainty layer was NaN at every cell, "GridSearchCV has no members to spread"; now
    the trees' spread at every cell, its words and the 10 members in the layer's attrs."""
    import xarray as xr

    from prospect.registry import save_model

    model = _fit(found, _grid(_forest(), {"max_depth": [2, 4]}))
    folder = save_model(model, tmp_path / "m", schema=found["schema"],
                        card={"mineral": "lithium", "synthetic": True,
                              "limitations": ["SYNTHETIC model"]})
    found["registry"].publish(folder, "searched", version="1")
    cube = found["make_cube"](tmp_path / "c.zarr", found["a"])
    out = tmp_path / "s.zarr"
    result = cli("model", "score", "searched", "-c", cube, "-o", out, "-r", found["reg"])
    text = " ".join((result.out + result.err).split())
    assert result.code == 0 and "Traceback" not in text, text[-2000:]
    with xr.open_zarr(out) as ds:
        u = ds["uncertainty"]
        values = u.values
        assert u.attrs["prospect_uncertainty"] == FOREST_SPREAD[0]
        assert u.attrs["prospect_uncertainty_members"] == 10
    assert not np.isnan(values).any() and float(values.max()) > 0.05


# -- 2. a CalibratedClassifierCV: the plain mean of its calibrated copies -----------------------


def test_a_calibrated_classifier_maps_its_copies_spread(found: dict[str, Any]) -> None:
    """``CalibratedClassifierCV(forest, cv=3)``: was its probability and NaN,
    "CalibratedClassifierCV has no members to spread"; now its probability exactly and
    the population s.d. of its 3 calibrated copies' probabilities (by hand), said so."""
    from prospect.models.uncertainty import predict_with_uncertainty, uncertainty_meaning

    model = _fit(found, _calibrated(True))
    p, s = predict_with_uncertainty(model, found["X"])
    np.testing.assert_array_equal(p, model.predict_proba(found["X"])[:, 1])
    Xt = model[:-1].transform(found["X"])
    copies = np.array([c.predict_proba(Xt)[:, 1]
                       for c in model.steps[-1][1].calibrated_classifiers_])
    np.testing.assert_allclose(s, copies.std(axis=0), rtol=0, atol=1e-12)
    assert float(s.max()) > 0.01
    assert uncertainty_meaning(model) == (
        "standard deviation of the 3 calibrated copies' probabilities (a "
        "CalibratedClassifierCV with ensemble=True: each copy its estimator fitted on 2 of "
        "the 3 folds and calibrated on the one left out; its probability is their plain "
        "mean) about their mean, the score (population s.d.), in the units of the score", 3)


def test_a_calibrated_classifier_of_one_copy_says_so(found: dict[str, Any]) -> None:
    """``CalibratedClassifierCV(ensemble=False)``: NaN as before (one copy has no spread),
    now said as one calibrated classifier, not "no members"."""
    from prospect.models.uncertainty import predict_with_uncertainty, uncertainty_meaning

    model = _fit(found, _calibrated(False))
    p, s = predict_with_uncertainty(model, found["X"])
    np.testing.assert_array_equal(p, model.predict_proba(found["X"])[:, 1])
    assert np.isnan(s).all()
    assert uncertainty_meaning(model) == (
        "none: CalibratedClassifierCV holds one calibrated classifier (ensemble=False, or a "
        "prefit estimator), which has no spread (NaN)", 1)


# -- controls ----------------------------------------------------------------------------------


def test_control_a_search_of_a_logistic_regression_keeps_nan(found: dict[str, Any]) -> None:
    """A ``GridSearchCV`` of a logistic regression: its probability exactly, NaN as
    before (no members)."""
    from sklearn.linear_model import LogisticRegression

    from prospect.models.uncertainty import predict_with_uncertainty

    model = _fit(found, _grid(LogisticRegression(), {"C": [0.1, 1.0]}))
    p, s = predict_with_uncertainty(model, found["X"])
    np.testing.assert_array_equal(p, model.predict_proba(found["X"])[:, 1])
    assert np.isnan(s).all()


def test_control_calibrated_one_copy_keeps_nan(found: dict[str, Any]) -> None:
    """``CalibratedClassifierCV(ensemble=False)``: its probability exactly and NaN, as
    before."""
    from prospect.models.uncertainty import predict_with_uncertainty

    model = _fit(found, _calibrated(False))
    p, s = predict_with_uncertainty(model, found["X"])
    np.testing.assert_array_equal(p, model.predict_proba(found["X"])[:, 1])
    assert np.isnan(s).all()


def test_control_a_plain_forest_keeps_its_map_and_words(found: dict[str, Any]) -> None:
    """A plain 10-tree forest: its probability exactly, a spread over its trees and the
    words as before."""
    from prospect.models.uncertainty import predict_with_uncertainty, uncertainty_meaning

    model = _fit(found, _forest())
    p, s = predict_with_uncertainty(model, found["X"])
    np.testing.assert_array_equal(p, model.predict_proba(found["X"])[:, 1])
    assert not np.isnan(s).any()
    assert uncertainty_meaning(model) == FOREST_SPREAD
