"""Models, round 20: the pairwise conditional-independence tests as a family, a model that
gives no probabilities refused before the map is spent, cubes of one row, class codes read
as numbers, and spatial folds that split clustered occurrences without a buffer.

Library cases on small in-memory estimators and cubes; one CLI case trains round 16's tiny
SYNTHETIC job (ingested once per module).
"""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin

from .conftest import Sandbox
from .test_models_round16 import (  # the tiny job, ingested once per module
    X0,
    Y0,
    _job,
    _metrics,
    _said,
    _screen,
    _table,
    _train,
    ingested,  # noqa: F401  (a module fixture)
)
from .test_models_round19 import MarginClassifier
from .test_registry_round10 import _write_cube

# -- 1. the pairwise CI tests as a family; the omnibus test as published ------------------


def test_holm_adjusts_the_pairs_whose_test_holds() -> None:
    """Holm (1979): p-values 0.005, 0.01, 0.03, 0.04 of four valid tests adjust to 0.02,
    0.03, 0.06, 0.06 (step-down, monotone); a pair whose test does not hold is outside
    the family (m = 4, not 5) and keeps ``p_holm`` None. Each pair keeps its own
    p-value and 5 % verdict as published."""
    from prospect.models.woe import holm_adjusted, pairwise_summary

    raw = [0.04, 0.01, 0.03, 0.005]
    pairs = [{"p_value": p, "valid": True, "rejected_at_5pct": p < 0.05} for p in raw]
    pairs.append({"p_value": 0.001, "valid": False, "rejected_at_5pct": None})
    out = holm_adjusted(pairs)
    assert [p["p_holm"] for p in out[:4]] == pytest.approx([0.06, 0.03, 0.06, 0.02])
    assert [p["rejected_at_5pct_holm"] for p in out[:4]] == [False, True, False, True]
    assert out[4]["p_holm"] is None and out[4]["rejected_at_5pct_holm"] is None
    assert {p["holm_family"] for p in out} == {4}
    assert [p["p_value"] for p in out] == [*raw, 0.001]  # as published, unchanged
    summary = pairwise_summary(out)
    assert (summary["pairs"], summary["tested"], summary["rejected_at_5pct"],
            summary["rejected_at_5pct_holm"]) == (5, 4, 4, 2)


def _woe_fit() -> tuple[Any, np.ndarray, np.ndarray]:
    from prospect.models.woe import WeightsOfEvidenceClassifier

    rng = np.random.default_rng(7)
    n = 4000
    X = rng.random((n, 4))
    logit = -4 + 2.5 * (X[:, 0] > 0.7) + 2.0 * (X[:, 1] > 0.6)
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    est = WeightsOfEvidenceClassifier(ci_draws=0, random_state=0).fit(X, y)
    return est, X, y


def test_conditional_independence_gives_holm_per_pair_and_the_omnibus_as_published() -> None:
    """Six pairs of four layers: each carries its Holm-adjusted p-value beside its own;
    ``pairwise_summary`` counts them. The omnibus Agterberg & Cheng (2002) test is
    T = sum of posterior probability x unit cells against n deposits, s(T) from the
    posteriors' variances, one-tailed: recomputed here row by row."""
    from scipy import stats

    est, X, y = _woe_fit()
    ci = est.conditional_independence(X, y)
    assert len(ci["pairwise"]) == 6
    valid = [p for p in ci["pairwise"] if p["p_holm"] is not None]
    assert valid and all(p["p_holm"] >= p["p_value"] for p in valid)
    assert ci["pairwise_summary"]["tested"] == len(valid)
    assert ci["pairwise_summary"]["correction"].startswith("Holm")
    # the omnibus test: every row is one unit cell here
    p = est.predict_proba(X)[:, 1]
    states = est._states(X)
    _, inverse = np.unique(states, axis=0, return_inverse=True)
    area_k = np.bincount(inverse.ravel())
    _, var = est._weights(X)
    first = np.array([np.flatnonzero(inverse.ravel() == k)[0] for k in range(area_k.size)])
    s2p = (1 / est.n_deposits_ + var[first]) * p[first] ** 2
    t, n = p.sum(), float(y.sum())
    z = (t - n) / math.sqrt(float((area_k**2 * s2p).sum()))
    assert ci["predicted_deposits"] == pytest.approx(t)
    assert ci["agterberg_cheng_z"] == pytest.approx(z)
    assert ci["agterberg_cheng_p"] == pytest.approx(stats.norm.sf(z))


# -- 2. a model that gives no probabilities, refused before the map runs -------------------


def test_score_model_refuses_a_margin_classifier_before_any_chunk_is_scored(
    tmp_path: Path,
) -> None:
    """Before: ``score_model`` returned the lazy map, and the margin classifier was
    refused inside the dask tasks, after the chunks before the first bad one had been
    read and scored. Now a few windows are scored first, by the map's own path: the
    ModelError comes from the call that builds the graph."""
    from prospect.errors import ModelError
    from prospect.io.cube import open_cube
    from prospect.registry import schema_from_cube, score_model

    cube = open_cube(_write_cube(tmp_path / "cube.zarr"))
    schema = schema_from_cube(cube, ["a", "b"])
    with pytest.raises(ModelError, match="outside \\[0, 1\\]"):
        score_model(MarginClassifier().fit(np.zeros((2, 2)), [0, 1]), schema, cube,
                    check_inputs=False)
    # control: a classifier that gives probabilities builds its map as before
    from sklearn.linear_model import LogisticRegression

    est = LogisticRegression().fit(np.random.default_rng(0).random((20, 2)),
                                   np.arange(20) % 2)
    maps = score_model(est, schema, cube, check_inputs=False)
    assert float(maps["probability"].max()) <= 1.0


class StaleStateClassifier(ClassifierMixin, BaseEstimator):
    """A classifier whose state this library version reads otherwise: ``predict_proba``
    needs an attribute the saving version did not write (as a model from another
    scikit-learn may)."""

    def fit(self, X: Any, y: Any) -> StaleStateClassifier:
        self.classes_ = np.array([0, 1])
        self.n_features_in_ = np.asarray(X).shape[1]
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        return self.missing_in_this_version_  # type: ignore[no-any-return,attr-defined]


def test_model_score_of_an_estimator_that_fails_is_one_line_before_the_map(
    cli: Any, tmp_path: Path,
) -> None:
    """Through ``prospect model score --trust``: before, the estimator's AttributeError
    came from inside the map's dask tasks as an internal error (exit 70, "this is a bug
    in Prospect"). Now the probe names the estimator, the cells and the error (exit 1), and no
    output cube is left."""
    from .conftest import assert_clean_error
    from .test_models_round19 import score_trusted

    result, out = score_trusted(cli, tmp_path, StaleStateClassifier)
    assert_clean_error(result, 1, "StaleStateClassifier", "failed on 16 x 16 cells",
                       "AttributeError", "missing_in_this_version_")
    assert not out.exists()


def test_an_estimator_failing_on_a_model_of_another_version_names_the_versions(
    tmp_path: Path,
) -> None:
    """A model loaded with a version warning (saved by a newer scikit-learn) whose state
    this one cannot use: the refusal carries the load's version line, which says what
    to install."""
    from prospect.errors import ModelError
    from prospect.io.cube import open_cube
    from prospect.registry import schema_from_cube, score_model

    cube = open_cube(_write_cube(tmp_path / "cube.zarr"))
    note = ("model li/1: saved with scikit-learn 1.99.0, running 1.9.1; its results may "
            "differ from its author's. To fix: retrain it here, or install "
            "scikit-learn==1.99.0")
    with pytest.raises(ModelError) as err:
        score_model(StaleStateClassifier().fit(np.zeros((2, 2)), [0, 1]),
                    schema_from_cube(cube, ["a", "b"]), cube, check_inputs=False,
                    provenance={"version_warning": note})
    assert "AttributeError" in str(err.value) and "scikit-learn==1.99.0" in str(err.value)


# -- 3. a cube of one row ------------------------------------------------------------------


def _one_row(tmp_path: Path, *, record: bool) -> Any:
    from prospect.io.cube import open_cube

    cube = open_cube(_write_cube(tmp_path / "cube.zarr")).isel(y=slice(3, 4))
    cube["spatial_ref"].attrs.pop("GeoTransform", None)
    if not record:
        cube.attrs.pop("grid", None)
    return cube


def test_a_cube_of_one_row_takes_its_cell_size_from_the_grid_record(tmp_path: Path) -> None:
    """Before: one row (one y coordinate, no GeoTransform) had no readable resolution and
    was refused as "resolution: cube is unknown ..., model needs 100". The cube's
    ``grid`` record gives it, checked against the x spacing."""
    from prospect.registry import check_schema, schema_from_cube

    cube = _one_row(tmp_path, record=True)
    schema = {**schema_from_cube(cube, ["a", "b"]), "resolution": 100.0}
    assert schema_from_cube(cube, ["a", "b"])["resolution"] == 100.0
    check_schema(cube, schema)  # no SchemaMismatchError


def test_a_cube_of_one_row_without_a_record_says_why_precisely(tmp_path: Path) -> None:
    """Without the record the cell height is unknowable: the refusal says the cube has
    one row, gives the width it does have, and how to fix it (was "the cube's x/y
    coordinates give no regular cell size")."""
    from prospect.errors import SchemaMismatchError
    from prospect.registry import check_schema, schema_from_cube

    cube = _one_row(tmp_path, record=False)
    schema = {**schema_from_cube(cube, ["a", "b"]), "resolution": 100.0}
    with pytest.raises(SchemaMismatchError) as err:
        check_schema(cube, schema)
    text = str(err.value)
    assert "one row" in text and "cells are 100 along the other axis" in text
    assert "GeoTransform" in text


# -- 4. class codes read as numbers ---------------------------------------------------------


def test_whole_number_codes_of_a_continuous_layer_are_said_to_be_read_as_numbers() -> None:
    """Before: a geology map ingested without ``values: categorical`` (codes 1..5) went
    into a tree model as one ordered number without a word. Now a data warning says how
    it is encoded and the fix; a 0/1 layer and a continuous one are not named."""
    from prospect.features import FeatureSpec
    from prospect.models.training import _screen_features

    rng = np.random.default_rng(2)
    y = np.r_[np.ones(20), np.zeros(200)].astype(int)
    codes = rng.integers(1, 6, y.size).astype(float)
    assert _screen(codes, y, categorical=False)["features_whole_numbers_as_numeric"] == \
        {"copy": 5}
    assert _screen(codes, y, categorical=True)["features_whole_numbers_as_numeric"] == {}
    flags = rng.integers(0, 2, y.size).astype(float)
    assert _screen(flags, y, categorical=False)["features_whole_numbers_as_numeric"] == {}
    spec = FeatureSpec(variables=("geo", "heat"))
    X = np.column_stack([codes, rng.random(y.size)])
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        _screen_features(X, y, spec)
    lines = [str(w.message) for w in seen if "whole numbers" in str(w.message)]
    assert len(lines) == 1 and "'geo'" in lines[0] and "values: categorical" in lines[0]


# -- 5. clustered occurrences split by blocks without a buffer ------------------------------


def _clustered() -> tuple[np.ndarray, np.ndarray]:
    """Pairs of neighbouring positive cells, 10 m cells, straddling 100 m block edges."""
    rng = np.random.default_rng(5)
    pos = [(100.0 * k - 5, 100.0 * j + 55) for k in range(1, 9) for j in range(0, 8, 2)]
    pos += [(x + 10, y) for x, y in pos]  # the neighbour across the block edge
    neg = rng.uniform(0, 900, (400, 2)) // 10 * 10 + 5
    coords = np.vstack([np.array(pos), neg])
    return coords, np.r_[np.ones(len(pos)), np.zeros(len(neg))].astype(int)


def test_folds_without_a_buffer_splitting_clustered_occurrences_are_said() -> None:
    """Blocks of 100 m with ``buffer: 0`` put each pair's two cells in different folds:
    every test positive has a training positive in the next cell. Counted and warned;
    with the automatic buffer (1.5 cells) none is, and nothing is said."""
    from prospect.models.cv import SpatialBlockCV, adjacent_positives

    coords, y = _clustered()
    for buffer, near in ((0.0, True), (15.0, False)):
        folds = list(SpatialBlockCV(n_splits=4, block_size=100.0, buffer=buffer,
                                    random_state=0).split(coords, y))
        found = adjacent_positives(coords, y, folds, resolution=10.0, buffer=buffer)
        assert found["test_positives"] == int(y.sum())
        if near:
            assert found["next_to_training"] > found["test_positives"] // 2
            assert "model.cv.buffer: auto" in found["warning"]
        else:
            assert found["next_to_training"] == 0 and found["warning"] is None


def test_train_with_buffer_zero_names_positives_next_to_training_ones(
    sandbox: Sandbox, cli: Any, scheduler: str, ingested: Path,  # noqa: F811
) -> None:
    """Through ``prospect train``: occurrences in pairs of neighbouring cells, spatial
    blocks of 40 m and ``cv.buffer: 0``. Before, exit 0 without a word; now the count is
    in ``metrics.json`` (``cv_config.positives_next_to_training``) and a data warning
    (also in the card's limitations) names the fix."""
    places = [(X0 + 35 + 40 * k, Y0 + 25 + 80 * j) for k in range(9) for j in range(5)]
    places += [(x + 10, y) for x, y in places]
    _job(sandbox, _table(places), cv={"kind": "spatial_block", "n_splits": 3, "seeds": 1,
                                      "bootstrap": 0, "compare_random": False,
                                      "block_size": 40.0, "buffer": 0})
    result = _train(sandbox, cli, scheduler, ingested)
    assert result.code == 0, (result.out + result.err)[-3000:]
    near = _metrics(sandbox)["cv_config"]["positives_next_to_training"]
    assert near["next_to_training"] > 0 and near["within"] == 15.0
    assert _said(result, "test positives have a training positive in a neighbouring cell")
    card = json.loads((sandbox.out / "model" / "card.json").read_text())
    assert any("neighbouring cell" in w for w in card["limitations"])
    # and the card says how the model takes each feature (a number here, ordered)
    assert [f.get("encoding") for f in card["features"]] == ["number: ordered"]
    assert "| taken as |" in (sandbox.out / "model" / "card.md").read_text()


# -- 6. cells outside the training range of several layers at once --------------------------


def test_cells_outside_the_training_range_of_any_layer_are_counted_and_said(
    tmp_path: Path,
) -> None:
    """Layers ``a`` and ``b`` (uniform 0..1) against training ranges 0..0.88 and
    0.12..1: each layer alone has about 12 % of its cells outside, below the per-layer
    warning (half), so nothing was said; together about 23 % of the cells are scored by
    extrapolation. Now the joint share is one warning naming the layers; cells inside
    every range say nothing."""
    from prospect.io.cube import open_cube
    from prospect.registry.applicability import (
        extrapolation,
        input_comparison,
        input_warnings,
    )

    cube = open_cube(_write_cube(tmp_path / "cube.zarr"))

    def record(lo: float, hi: float) -> dict[str, float]:
        return {"n": 100, "min": lo, "max": hi, "q01": lo, "q05": lo + 0.05,
                "q50": (lo + hi) / 2, "q95": hi - 0.05, "q99": hi}

    schema = {"variables": [{"name": "a", "training": record(0.0, 0.88)},
                            {"name": "b", "training": record(0.12, 1.0)}]}
    lines = input_warnings(cube, schema)
    assert len(lines) == 1, lines
    assert "outside the range" in lines[0] and "'a'" in lines[0] and "'b'" in lines[0]
    assert "area of applicability" in lines[0]
    a, b = (cube[n].values.ravel() for n in ("a", "b"))
    found = extrapolation({"a": a, "b": b}, {v["name"]: v["training"]
                                             for v in schema["variables"]})
    assert found["share"] == pytest.approx(np.mean((a > 0.88) | (b < 0.12)))
    # the figure the score stage records (score metrics outside_training_range_share)
    sampled = input_comparison(cube, schema)["extrapolation"]
    assert sampled["cells"] == a.size and sampled["share"] == pytest.approx(found["share"])
    wide = {"variables": [{"name": n, "training": record(-1.0, 2.0)} for n in ("a", "b")]}
    assert input_warnings(cube, wide) == []
