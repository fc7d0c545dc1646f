"""Round 65, models and reuse: a researcher's model whose ensemble is no forest or bagging
ensemble (a ``StackingClassifier``, a ``VotingClassifier`` with weights, an
``AdaBoostClassifier``: scikit-learn classes, trusted without ``--trust``) could not be
scored at all.

Every estimator holding a list of fitted members with ``predict_proba`` was taken for a
forest or a bagging ensemble: its uncertainty was to be the spread of its members about
their mean, read through the forest's ``_validate_X_predict``, which these lack, so
``prospect model score`` refused the model, exit 1: "the model's estimator
(sklearn.ensemble._stacking.StackingClassifier) failed on 16 x 16 cells of the cube at row
0, column 0: AttributeError: 'StackingClassifier' object has no attribute
'_validate_X_predict'; nothing was written" (Prospect's fault told as the model's), and
the meaning would have named
"the trees' probabilities" of a model whose probability is no mean of its members (a final
estimator fitted on their outputs, weights, boosting weights). Now only ensembles whose
probability is the plain mean of their members' (``RandomForestClassifier``,
``ExtraTreesClassifier``, ``BaggingClassifier``: :data:`prospect.models.uncertainty.
MEAN_OF_MEMBERS`) map their members' spread; any other is scored with its own
``predict_proba``, its uncertainty NaN, and the map says how it combines its members.

Controls: a random forest and a bagging ensemble keep their mean (their own
``predict_proba``) and their spread (the population s.d. of the members' probabilities,
by hand) and their words; a gradient-boosting model keeps its own probability and its
words.

All data are SYNTHETIC: round 49's 600 training rows of ``a`` (0..1) and a categorical
``geo`` (1-3) and its 32 x 32 cubes, the ensembles fitted on those rows behind round 49's
encoder and scaler.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from .test_models_round49 import _published

ROWS = 600


def _rows(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The training rows :func:`_published` fits (the same draws, in the same order)."""
    rng = np.random.default_rng(seed)
    geo = rng.integers(1, 4, ROWS).astype(float)
    a = rng.random(ROWS)
    y = (rng.random(ROWS) < np.where(geo == 3, 0.4, 0.05) + 0.3 * a).astype(int)
    return np.column_stack([a, geo]), y


def _stacking() -> Any:
    from sklearn.ensemble import StackingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.tree import DecisionTreeClassifier

    return StackingClassifier(
        [("tree", DecisionTreeClassifier(max_depth=3, random_state=0)),
         ("logit", LogisticRegression())], final_estimator=LogisticRegression())


def _voting() -> Any:
    from sklearn.ensemble import VotingClassifier
    from sklearn.tree import DecisionTreeClassifier

    return VotingClassifier(
        [("deep", DecisionTreeClassifier(max_depth=4, random_state=0)),
         ("stump", DecisionTreeClassifier(max_depth=1, random_state=0))],
        voting="soft", weights=[3, 1])


def _adaboost() -> Any:
    from sklearn.ensemble import AdaBoostClassifier
    from sklearn.tree import DecisionTreeClassifier

    return AdaBoostClassifier(DecisionTreeClassifier(max_depth=2), n_estimators=8,
                              random_state=0)


ENSEMBLES: dict[str, tuple[Callable[[], Any], str]] = {
    "stacking": (_stacking, "StackingClassifier combines its 2 members through its final "
                 "estimator, a LogisticRegression fitted on their outputs, so its probability "
                 "is no mean of theirs; their spread about its probability is not mapped (NaN)"),
    "voting": (_voting, "VotingClassifier combines its 2 members with the weights [3, 1], so "
               "its probability is no plain mean of theirs"),
    "adaboost": (_adaboost, "AdaBoostClassifier combines its 8 members each weighed by its "
                 "boosting weight, so its probability is no plain mean of theirs"),
}


@pytest.fixture(scope="module")
def found(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Round 49's registry (``logit``, SYNTHETIC) with ``stack``: the same encoder and
    scaler before a stacking ensemble fitted on the same rows (SYNTHETIC)."""
    from sklearn.base import clone

    from prospect.registry import ModelRegistry, save_model

    root = tmp_path_factory.mktemp("models65")
    out = _published(root, 65, None, 0)
    registry = ModelRegistry(str(out["reg"]))
    loaded = registry.load("logit", "1")
    X, y = _rows(65)
    stack = clone(loaded.estimator).set_params(model=_stacking()).fit(X, y)
    folder = save_model(stack, root / "stack", schema=loaded.schema,
                        card={"mineral": "lithium", "synthetic": True,
                              "limitations": ["SYNTHETIC model"]})
    registry.publish(folder, "stack", version="1")
    out.update(X=X, y=y, pipeline=loaded.estimator, stack=stack)
    return out


def _scored(cli: Any, found: dict[str, Any], tmp_path: Path, name: str
            ) -> tuple[str, Any, np.ndarray]:
    """``prospect model score NAME`` on round 49's SYNTHETIC cube: its words, the maps and
    the rows of the cube in cell order."""
    import xarray as xr

    codes = np.random.default_rng(7).integers(1, 4, found["grid"].shape).astype("f4")
    cube = found["make_cube"](tmp_path / "c.zarr", found["a"], codes)
    out = tmp_path / "s.zarr"
    result = cli("model", "score", name, "-c", cube, "-o", out, "-r", found["reg"])
    text = " ".join((result.out + result.err).split())
    assert "Traceback" not in text, text[-3000:]
    assert "internal error" not in text.lower(), text[-3000:]
    assert result.code == 0, text[-2000:]
    with xr.open_zarr(out) as ds:
        maps = ds[["probability", "uncertainty"]].load()
    rows = np.column_stack([found["a"].ravel(), codes.ravel()]).astype("f8")
    return text, maps, rows


# -- 1. an ensemble that is no mean of its members ---------------------------------------------


def test_a_stacking_model_is_scored_with_its_own_probability(
    tmp_path: Path, cli: Any, found: dict[str, Any]
) -> None:
    """``prospect model score stack``: was exit 1, "the model's estimator ... failed on 16
    x 16 cells ...: AttributeError: 'StackingClassifier' object has no attribute
    '_validate_X_predict'; nothing was written"; now exit 0, the
    map is the stacking pipeline's own ``predict_proba`` at every cell (exactly), the
    uncertainty NaN, and its meaning says how the ensemble combines its members."""
    _text, maps, rows = _scored(cli, found, tmp_path, "stack")
    expected = found["stack"].predict_proba(rows)[:, 1].reshape(found["grid"].shape)
    np.testing.assert_array_equal(maps["probability"].values, expected.astype(
        maps["probability"].dtype))
    assert np.isnan(maps["uncertainty"].values).all()
    meaning = maps["uncertainty"].attrs["prospect_uncertainty"]
    assert meaning == "none: " + ENSEMBLES["stacking"][1], meaning
    assert "trees' probabilities" not in maps["uncertainty"].attrs["long_name"]


@pytest.mark.parametrize("kind", sorted(ENSEMBLES))
def test_an_ensemble_that_is_no_mean_of_its_members_keeps_its_probability(
    kind: str, found: dict[str, Any]
) -> None:
    """The library: ``predict_with_uncertainty`` of the pipeline with a stacking, a
    weighted voting or an AdaBoost ensemble (was AttributeError) gives its own
    ``predict_proba`` exactly and a NaN uncertainty; ``uncertainty_meaning`` names how it
    combines its members and no count of members whose spread it would be."""
    from sklearn.base import clone

    from prospect.models.uncertainty import predict_with_uncertainty, uncertainty_meaning

    make, words = ENSEMBLES[kind]
    model = clone(found["pipeline"]).set_params(model=make()).fit(found["X"], found["y"])
    p, s = predict_with_uncertainty(model, found["X"])
    np.testing.assert_array_equal(p, model.predict_proba(found["X"])[:, 1])
    assert np.isnan(s).all()
    meaning, members = uncertainty_meaning(model)
    assert meaning.startswith("none: ") and words in meaning, meaning
    assert members is None


# -- controls ----------------------------------------------------------------------------------


def test_control_forest_and_bagging_keep_their_mean_and_spread(found: dict[str, Any]) -> None:
    """A random forest of 12 trees and a bagging ensemble of 6 logistic regressions: the
    mean is the ensemble's own ``predict_proba`` and the spread the population s.d. of the
    members' probabilities (by hand, to 1e-12), with their words and member counts."""
    from sklearn.base import clone
    from sklearn.ensemble import BaggingClassifier, RandomForestClassifier
    from sklearn.linear_model import LogisticRegression

    from prospect.models.uncertainty import predict_with_uncertainty, uncertainty_meaning

    X, y = found["X"], found["y"]
    for ensemble, n, what in (
            (RandomForestClassifier(n_estimators=12, min_samples_leaf=2, random_state=0), 12,
             "trees' probabilities (each the class share of its leaf)"),
            (BaggingClassifier(LogisticRegression(), n_estimators=6, random_state=0), 6,
             "bootstrap members' probabilities")):
        model = clone(found["pipeline"]).set_params(model=ensemble).fit(X, y)
        p, s = predict_with_uncertainty(model, X)
        np.testing.assert_allclose(p, model.predict_proba(X)[:, 1], rtol=0, atol=1e-12)
        Xt = model[:-1].transform(X)
        fitted = model.steps[-1][1]
        members = np.array([m.predict_proba(Xt[:, f] if hasattr(fitted, "estimators_features_")
                                            else Xt)[:, 1]
                            for m, f in zip(fitted.estimators_,
                                            getattr(fitted, "estimators_features_",
                                                    [None] * n), strict=True)])
        np.testing.assert_allclose(s, members.std(axis=0), rtol=0, atol=1e-12)
        assert uncertainty_meaning(model) == (
            f"standard deviation of the {n} {what} about their mean, the score (population "
            "s.d.), in the units of the score", n)


def test_control_gradient_boosting_keeps_its_words(found: dict[str, Any]) -> None:
    """A gradient-boosting model (its stages an array, no list of members): its own
    probability, NaN uncertainty and round 37's words, as before."""
    from sklearn.base import clone
    from sklearn.ensemble import GradientBoostingClassifier

    from prospect.models.uncertainty import predict_with_uncertainty, uncertainty_meaning

    model = clone(found["pipeline"]).set_params(
        model=GradientBoostingClassifier(n_estimators=10, random_state=0)).fit(
        found["X"], found["y"])
    p, s = predict_with_uncertainty(model, found["X"])
    np.testing.assert_array_equal(p, model.predict_proba(found["X"])[:, 1])
    assert np.isnan(s).all()
    assert uncertainty_meaning(model) == (
        "none: GradientBoostingClassifier has no members to spread (NaN)", None)
