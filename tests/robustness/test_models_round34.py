"""Round 34, models: forest parameters that scikit-learn takes without a word and that
make another model than the config asks for (``max_features`` above the layers' count, a
whole-number ``max_samples`` written for a share), and ``class_weight`` keys quoted as
JSON writes them.

The job is the SYNTHETIC demo scene (``prospect.testing.make_scene``) run once from
ingest to tiles by the corpus's ``finished`` fixture; each case copies its output and
trains again through the real CLI with one setting changed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from prospect.config.model import ModelConfig
from prospect.errors import ConfigError
from prospect.models.factory import check_row_draws, make_estimator
from tests.robustness.conftest import assert_clean_error, run_job

NUMERIC = ["heatflow", "NDVI", "geology_dist_fault"]
"""Three numeric layers of the demo cube (no classes: no one-hot columns)."""


def _train(cli: Any, job: tuple[dict[str, Any], Path], scheduler: str,
           **model: Any) -> tuple[Any, Path]:
    """Train the copied demo job again with ``model`` keys changed (``params`` replaced)."""
    config, out = job
    config["model"].update(model)
    return run_job(cli, config, out, scheduler, "train"), out


# -- max_features above the columns the trees choose among --------------------------------

@pytest.mark.parametrize("estimator", ["random_forest", "extra_trees"])
def test_max_features_above_the_layers_count_is_refused_naming_it(
    cli: Any, job: tuple[dict[str, Any], Path], scheduler: str, estimator: str,
) -> None:
    """``max_features: 10`` on 3 layers: scikit-learn 1.9 grew every split on every column
    (``max_features_`` = 10) and train ended 0; now one line naming the value, the count
    and the fix, and the model of before left as it was."""
    card = job[1] / "model" / "card.json"
    before = card.read_bytes()
    result, _ = _train(cli, job, scheduler, estimator=estimator, features=NUMERIC,
                       params={"n_estimators": 20, "max_features": 10})
    line = assert_clean_error(result, 2, "model.params.max_features = 10",
                              "3 feature column(s)", "at most 3")
    assert estimator in line
    assert card.read_bytes() == before


def _config(estimator: str = "random_forest", categorical: str = "onehot",
            **params: Any) -> ModelConfig:
    return ModelConfig.model_validate({"estimator": estimator, "categorical": categorical,
                                       "mineral": "lithium", "labels": {"source": "wells"},
                                       "params": params})


def test_max_features_up_to_the_layers_or_of_one_hot_columns_is_taken() -> None:
    """control: ``max_features`` at the layers' count (bootstrap on), a share, and a number
    above the layers where one-hot encoding makes a column per class (known only at fit),
    are built as before; the config's own check (layers unknown) refuses none."""
    names = ["a", "b", "geology"]
    for params, categorical in (({"max_features": 3}, ()), ({"max_features": 0.9}, ()),
                                ({"max_features": 6}, (2,))):
        pipe = make_estimator(_config(**params), n_features=3, categorical=categorical,
                              feature_names=names)
        assert pipe.named_steps["model"].max_features == params["max_features"]
    make_estimator(_config(max_features=50), n_features=1)  # check_params' stand-in


def test_max_features_above_the_layers_with_target_encoding_is_refused() -> None:
    """Target encoding keeps one column per categorical layer (binary labels): 3 layers
    are 3 columns, and ``max_features: 4`` is above them."""
    with pytest.raises(ConfigError, match=r"max_features = 4 is more than the 3"):
        make_estimator(_config(max_features=4, categorical="target"), n_features=3,
                       categorical=(2,), feature_names=["a", "b", "geology"])


# -- max_samples: a count of rows written for a share ---------------------------------------

@pytest.mark.parametrize(("estimator", "draws"), [("random_forest", 1), ("extra_trees", 2)])
def test_a_whole_number_max_samples_below_one_positive_per_tree_is_refused(
    cli: Any, job: tuple[dict[str, Any], Path], scheduler: str, estimator: str, draws: int,
) -> None:
    """``max_samples: 1`` (meant as every row, as ``1.0``) grew each tree on one row: the
    spatial ROC AUC 0.5 in every fold, a map of one value, exit 0 without a word."""
    result, _ = _train(cli, job, scheduler, estimator=estimator,
                       params={"n_estimators": 20, "max_samples": draws})
    line = assert_clean_error(result, 2, f"model.params.max_samples = {draws}",
                              "training rows", "positives", "share such as 0.5")
    assert "at least" in line


def test_max_samples_of_a_share_or_enough_rows_is_taken() -> None:
    """control: a share (``1.0``, ``0.2``), enough rows for a positive per tree, another
    estimator's ``max_samples`` (bagging PU: unlabelled rows per bag, positives always
    in) and labels of one class (refused elsewhere) pass this check."""
    y = np.r_[np.ones(40), np.zeros(960)]
    for config in (_config(max_samples=1.0), _config(max_samples=0.2),
                   _config(max_samples=25), _config(estimator="bagging_pu", max_samples=1)):
        check_row_draws(config, y)
    check_row_draws(_config(max_samples=1), np.zeros(10))


def test_the_fewest_rows_named_are_those_that_draw_one_of_the_rarer_class() -> None:
    """40 positives in 1000 rows: 24 rows per tree draw 0.96 positives on average, 25 one
    (the whole number the message names); negatives rarer are counted as such."""
    y = np.r_[np.ones(40), np.zeros(960)]
    with pytest.raises(ConfigError, match=r"at least 25"):
        check_row_draws(_config(max_samples=24), y)
    with pytest.raises(ConfigError, match=r"10 are negatives.*at least 100"):
        check_row_draws(_config(estimator="extra_trees", max_samples=50),
                        np.r_[np.ones(990), np.zeros(10)])


# -- class_weight keys quoted ---------------------------------------------------------------

def test_class_weight_with_quoted_keys_says_they_are_text(
    cli: Any, job: tuple[dict[str, Any], Path], scheduler: str,
) -> None:
    """``class_weight: {"0": 1, "1": 10}`` (JSON's quoted keys) was refused as "class '0'
    is not a class of the labels (0: negatives ...)": the class it names looks like 0."""
    result, _ = _train(cli, job, scheduler,
                       params={"n_estimators": 20, "class_weight": {"0": 1, "1": 10}})
    assert_clean_error(result, 2, "class '0' is text", "write the keys unquoted",
                       "{0: 1, 1: 10}")


# -- a model of one value ---------------------------------------------------------------------

def _limitations(out: Path) -> list[str]:
    return json.loads((out / "model" / "card.json").read_text())["limitations"]


def test_a_forest_whose_trees_cannot_split_says_its_map_is_one_value(
    cli: Any, job: tuple[dict[str, Any], Path], scheduler: str,
) -> None:
    """``min_samples_leaf: 100000`` (more than the rows: every tree one leaf) trained and
    published a map of one value (0.0913) in every cell, exit 0, said only as a spatial ROC
    AUC of 0.5; now a warning line and the card's limitations say so."""
    result, out = _train(cli, job, scheduler,
                         params={"n_estimators": 20, "min_samples_leaf": 100_000})
    assert result.code == 0, result.err[-3000:]
    text = " ".join((result.out + result.err).split())
    assert "RandomForestClassifier gives the same probability" in text
    assert "min_samples_leaf" in text
    assert any("learnt nothing from the layers" in line for line in _limitations(out))


def test_a_model_that_ranks_the_cells_is_not_called_one_value(
    cli: Any, job: tuple[dict[str, Any], Path], scheduler: str,
) -> None:
    """control: the demo's own forest (and so any model whose probabilities differ) gets
    no such line."""
    result, out = _train(cli, job, scheduler, params={"n_estimators": 20})
    assert result.code == 0, result.err[-3000:]
    assert "learnt nothing" not in result.out + result.err
    assert not any("learnt nothing" in line for line in _limitations(out))


# -- optimisers stopped at max_iter ------------------------------------------------------------

def test_an_mlp_stopped_at_max_iter_is_said_once_in_words(
    cli: Any, job: tuple[dict[str, Any], Path], scheduler: str,
) -> None:
    """``max_iter: 5``: each fit (every fold, seed and bagged member) printed scikit-learn's
    raw ``ConvergenceWarning`` with its site-packages path on the worker that ran it, and
    neither the summary nor the card said the map is of an unfinished fit; now one line
    in words, in the card's limitations, naming the fix."""
    result, out = _train(cli, job, scheduler, estimator="mlp", uncertainty_members=2,
                         params={"max_iter": 5})
    assert result.code == 0, result.err[-3000:]
    text = " ".join((result.out + result.err).split())
    assert "2 of the 2 MLPClassifier fit(s) of the final model stopped at max_iter = 5" in text
    assert "raise model.params.max_iter" in text
    assert "warnings.warn(" not in result.out + result.err
    assert any("before the adam optimiser converged" in line for line in _limitations(out))


def _two_classes(n: int = 200) -> tuple[np.ndarray, np.ndarray]:
    """SYNTHETIC rows: two layers, the label from the first with noise."""
    rng = np.random.default_rng(4)
    X = rng.normal(size=(n, 2))
    return X, (X[:, 0] + rng.normal(scale=0.5, size=n) > 1.0).astype(int)


def test_fold_and_final_fits_let_no_raw_convergence_warning_out() -> None:
    """The fits run on dask workers, where a warning is printed raw per fit: fold and
    final fits keep it (the train stage says it once from the model)."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    from prospect.models.evaluate import fit_fold
    from prospect.models.summary import convergence_warnings
    from prospect.models.training import fit_final

    X, y = _two_classes()
    est = make_estimator(_config(estimator="mlp", max_iter=3), n_features=2,
                         feature_names=["a", "b"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit_fold(est, X, y, np.arange(0, 150), np.arange(150, 200), 0)
        final = fit_final(est, X, y, None)
    assert not [w for w in caught if issubclass(w.category, ConvergenceWarning)]
    assert "stopped at max_iter = 3" in convergence_warnings(final)[0]


def test_a_fit_that_converged_gets_no_convergence_line() -> None:
    """control: a logistic regression of default ``max_iter`` and a forest (no optimiser)
    on the same rows: no line."""
    from prospect.models.summary import convergence_warnings
    from prospect.models.training import fit_final

    X, y = _two_classes()
    for config in (_config(estimator="logistic_regression"), _config(n_estimators=5)):
        final = fit_final(make_estimator(config, n_features=2, feature_names=["a", "b"]),
                          X, y, None)
        assert convergence_warnings(final) == []


# -- parameters scikit-learn refuses only together, at the fit --------------------------------

@pytest.mark.parametrize(("model", "said"), [
    ({"estimator": "logistic_regression", "params": {"penalty": "l1"}},
     "Solver lbfgs supports only 'l2' or None penalties"),
    ({"params": {"bootstrap": False, "max_samples": 0.5}},
     "cannot be set if `bootstrap=False`"),
], ids=["l1", "bootstrap"])
def test_parameters_refused_together_are_said_at_load(
    cli: Any, job: tuple[dict[str, Any], Path], scheduler: str, model: dict[str, Any],
    said: str,
) -> None:
    """``penalty: l1`` (the default solver takes l2 only) and ``max_samples`` without
    bootstrap passed the config's checks one by one and ended train in ``internal error:
    ValueError`` (exit 70) after the features were read; now exit 2 at load, one line
    naming ``model.params``, the estimator and scikit-learn's own words."""
    result, _ = _train(cli, job, scheduler, **model)
    line = assert_clean_error(result, 2, "model.params", "refuses these settings together",
                              said)
    assert "job.yaml" in line


def test_parameters_that_fit_together_pass_the_load_check() -> None:
    """control: the same keys in combinations scikit-learn fits (``l1`` with ``saga``,
    ``max_samples`` with bootstrap, early stopping), a constraint per layer (the layers
    are not known at load: not tried) and every estimator's defaults."""
    from prospect.config.model import check_params
    from prospect.models.factory import ESTIMATORS

    for estimator, params in [("logistic_regression", {"penalty": "l1", "solver": "saga"}),
                              ("random_forest", {"max_samples": 0.5}),
                              ("hist_gradient_boosting", {"early_stopping": True}),
                              ("hist_gradient_boosting", {"monotonic_cst": [1, 0, 0, -1]}),
                              *((name, {}) for name in ESTIMATORS)]:
        check_params(_config(estimator=estimator, **params))
