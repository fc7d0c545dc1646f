"""Models, round 26: a weights-of-evidence map scores the cells where a layer has a gap
(W = 0 there, the missing-data variance in the uncertainty; Bonham-Carter 1994, ArcSDM),
other models leave them unscored, and the score stage says how many cells were left
unscored, or scored without a layer, and why, per layer.

Library cases on small in-memory SYNTHETIC estimators, stacks and cubes; no subprocess.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import xarray as xr


def _woe() -> object:
    """SYNTHETIC: a weights-of-evidence model of two binary layers on 4 000 cells."""
    from prospect.models.woe import WeightsOfEvidenceClassifier

    rng = np.random.default_rng(7)
    n = 4000
    a, b = rng.random(n) < 0.3, rng.random(n) < 0.4
    y = (rng.random(n) < 1 / (1 + np.exp(4 - 1.5 * a - 1.0 * b))).astype(int)
    X = np.column_stack([a, b]).astype(float)
    return WeightsOfEvidenceClassifier(feature_names=["a", "b"], continuous="descending",
                                       random_state=0).fit(X, y)


def _forest() -> object:
    """SYNTHETIC: a 5-tree random forest pipeline of two layers."""
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.pipeline import Pipeline

    rng = np.random.default_rng(3)
    X = rng.random((200, 2))
    y = (X[:, 0] + 0.2 * rng.random(200) > 0.7).astype(int)
    return Pipeline([("model", RandomForestClassifier(5, random_state=0))]).fit(X, y)


def _block() -> np.ndarray:
    """SYNTHETIC ``(2, 2, 3)`` block: layer b has a gap at (0, 1), both at (1, 2)."""
    a = np.array([[1.0, 0.0, 1.0], [0.0, 1.0, np.nan]])
    b = np.array([[1.0, np.nan, 0.0], [1.0, 0.0, np.nan]])
    return np.stack([a, b]).astype("f4")


def test_a_weights_of_evidence_map_scores_a_cell_where_one_layer_has_a_gap() -> None:
    """SYNTHETIC. Where layer b has no data, the posterior is the prior plus layer a's
    weight only (W = 0 for b) and its s.d. takes b's missing-data variance, as the model's
    own predict_proba / predict_proba_std give for the row; before, predict_block left the
    cell NaN, a hole in the map wherever one layer had a gap."""
    from prospect.models.predict import predict_block

    model = _woe()
    out = predict_block(_block(), model, [0, 1])
    row = np.array([[0.0, np.nan]])
    assert out[0, 0, 1] == pytest.approx(model.predict_proba(row)[0, 1], rel=1e-6)
    assert out[1, 0, 1] == pytest.approx(model.predict_proba_std(row)[0], rel=1e-6)
    assert np.isfinite(out[:, :, :2]).all() and np.isfinite(out[:, 0, 2]).all()


def test_a_weights_of_evidence_map_leaves_a_cell_without_any_layer_unscored() -> None:
    """SYNTHETIC control: a cell with no data in any layer (outside every layer's extent)
    is not given the prior: it stays NaN, as before."""
    from prospect.models.predict import predict_block

    out = predict_block(_block(), _woe(), [0, 1])
    assert np.isnan(out[:, 1, 2]).all()


def test_a_calibrated_weights_of_evidence_pipeline_scores_the_gap_too() -> None:
    """SYNTHETIC. The rule follows the final estimator through a Pipeline (as the factory
    builds every model); before, NaN."""
    from sklearn.pipeline import Pipeline

    from prospect.models.predict import predict_block, scores_missing_evidence

    model = Pipeline([("model", _woe())])
    assert scores_missing_evidence(model)
    assert np.isfinite(predict_block(_block(), model, [0, 1])[0, 0, 1])


def test_a_forest_still_leaves_a_cell_with_a_gap_unscored() -> None:
    """SYNTHETIC control: a model that has no value for a missing layer leaves the cell
    NaN (a forest, a logistic regression...)."""
    from prospect.models.predict import predict_block

    out = predict_block(_block(), _forest(), [0, 1])
    assert np.isnan(out[:, 0, 1]).all() and np.isnan(out[:, 1, 2]).all()
    assert np.isfinite(out[:, 0, 0]).all()


def test_a_map_without_gaps_is_byte_identical_for_weights_of_evidence() -> None:
    """SYNTHETIC control: without gaps the scored cells and their values are those of the
    model on the whole block (benchmarks pin the maps' hashes)."""
    from prospect.models.predict import predict_block
    from prospect.models.uncertainty import predict_with_uncertainty

    model = _woe()
    block = np.nan_to_num(_block(), nan=1.0)
    out = predict_block(block, model, [0, 1])
    p, s = predict_with_uncertainty(model, np.ascontiguousarray(block.reshape(2, -1).T))
    assert out[0].tobytes() == p.astype("f4").reshape(2, 3).tobytes()
    assert out[1].tobytes() == s.astype("f4").reshape(2, 3).tobytes()


def _cube() -> xr.Dataset:
    """SYNTHETIC 4 x 5 cube: layer a has a gap of 3 cells, b of 5, both of 2 of those."""
    a = np.ones((4, 5), "f4")
    b = np.zeros((4, 5), "f4")
    a[0, :3] = np.nan
    b[0, :5] = np.nan
    coords = {"y": np.arange(4)[::-1] * 10.0 + 5, "x": np.arange(5) * 10.0 + 5}
    return xr.Dataset({"a": (("y", "x"), a), "b": (("y", "x"), b)}, coords=coords)


def _coverage(model: object) -> tuple[list[str], dict]:
    """The score stage's coverage lines and metrics for ``model`` on :func:`_cube`."""
    from pipelines.stages.score import _coverage as coverage
    from prospect.features import FeatureSpec, build_stack
    from prospect.models.predict import predict_map

    ds = _cube()
    spec = FeatureSpec(variables=("a", "b"), resolution=10.0)
    maps = predict_map(build_stack(ds, spec), model, base=spec.base_indices())
    finite = int(np.isfinite(maps["probability"].values).sum())
    ctx = SimpleNamespace(grid=SimpleNamespace(shape=(4, 5)), client=None, console=None)
    loaded = SimpleNamespace(estimator=model, schema={"feature_spec": spec.to_dict()})
    metrics: dict = {}
    return coverage(ctx, ds, loaded, finite, metrics), metrics


def test_the_score_stage_says_how_many_cells_are_unscored_and_which_layer_lacks_data(
) -> None:
    """SYNTHETIC. A forest's map of 20 cells has 5 NaN cells; before only
    ``scored_share`` 0.75 said so, with no word of which layer. Now the stage's metrics,
    console and report say 5 cells unscored: no data in b at 5, a at 3, 3 with none."""
    lines, metrics = _coverage(_forest())
    assert metrics["unscored_cells"] == 5
    assert metrics["unscored_cells_by_layer"] == {"a": 3, "b": 5}
    assert len(lines) == 1 and "5 of 20 cells" in lines[0]
    assert "b at 5, a at 3" in lines[0] and "3 of them have no data in any layer" in lines[0]


def test_the_score_stage_says_where_weights_of_evidence_scored_without_a_layer() -> None:
    """SYNTHETIC. Weights of evidence scores the 2 cells where only b lacks data and
    leaves the 3 without any layer; the stage says both, per layer."""
    lines, metrics = _coverage(_woe())
    assert metrics["unscored_cells"] == 3
    assert metrics["scored_without_layer"] == {"b": 2}
    assert any("scored cells without a layer: b at 2" in line for line in lines)


def test_a_map_of_every_cell_reads_nothing_more_and_says_nothing() -> None:
    """SYNTHETIC control: a forest's map without NaN gives ``unscored_cells`` 0 and no line
    (the layers are not read again)."""
    from pipelines.stages.score import _coverage as coverage

    ctx = SimpleNamespace(grid=SimpleNamespace(shape=(4, 5)), client=None, console=None)
    loaded = SimpleNamespace(estimator=_forest(), schema={})  # a schema never read
    metrics: dict = {}
    assert coverage(ctx, _cube(), loaded, 20, metrics) == []
    assert metrics == {"unscored_cells": 0}


def test_the_score_report_shows_the_coverage_lines(tmp_path) -> None:
    """SYNTHETIC. The report renders each coverage line; before, the facts had none."""
    from pipelines.report import write_score_report

    report = write_score_report(tmp_path, quicklooks={}, facts={
        "mineral": "li", "job": "j", "synthetic": True, "region": {}, "model": "m",
        "metrics": {}, "headline": {}, "scale": "relative prospectivity", "outputs": {},
        "problems": [], "evidence_warnings": [], "coverage": ["5 of 20 cells unscored"]})
    assert "> **Coverage**: 5 of 20 cells unscored" in report.read_text()


# -- seeds of round 25: a model fitted on a data frame; a schema without training values -


def test_a_model_fitted_on_a_data_frame_is_scored_without_a_feature_names_warning() -> None:
    """SYNTHETIC. A forest fitted elsewhere on a pandas DataFrame (columns a, b, checked
    against the schema when loaded) made scikit-learn warn "X does not have valid feature
    names" from every map task; now the block is scored with those names, without a
    warning, and with the model's own probabilities."""
    import warnings

    import pandas as pd
    from sklearn.ensemble import RandomForestClassifier

    from prospect.models.predict import predict_block

    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.random((200, 2)), columns=["a", "b"])
    model = RandomForestClassifier(5, random_state=0).fit(X, (X.a > 0.5).astype(int))
    block = rng.random((2, 3, 4)).astype("f4")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = predict_block(block, model, [0, 1])
    rows = pd.DataFrame(block.reshape(2, -1).T, columns=["a", "b"])
    assert np.allclose(out[0].ravel(), model.predict_proba(rows)[:, 1], atol=1e-6)


def _tiny_cube(scale: float) -> xr.Dataset:
    """SYNTHETIC 3 x 3 cube of one continuous layer ``cu`` (fractions x ``scale``)."""
    coords = {"y": [25.0, 15.0, 5.0], "x": [5.0, 15.0, 25.0]}
    values = np.linspace(0.01, 0.09, 9, dtype="f4").reshape(3, 3) * scale
    return xr.Dataset({"cu": (("y", "x"), values)}, coords=coords)


def test_a_schema_without_training_values_says_the_evidence_was_not_compared() -> None:
    """SYNTHETIC. A model saved outside the train stage (schema_from_cube, no training
    values) scored on a cube in percent got no applicability warning and no word that the
    comparison was not made; now the score stage says so, naming the layer."""
    from pipelines.stages.score import not_compared_lines
    from prospect.registry import schema_from_cube

    cube = _tiny_cube(100.0)
    schema = schema_from_cube(_tiny_cube(1.0), ["cu"])
    lines = not_compared_lines(schema, cube)
    assert len(lines) == 1
    assert lines[0].startswith("cu: not compared with the model's training evidence")


def test_a_schema_with_training_values_needs_no_such_line() -> None:
    """SYNTHETIC control: the train stage's schema records the training values; the
    comparison is made and nothing more is said."""
    from pipelines.stages.score import not_compared_lines
    from prospect.registry import schema_from_cube

    schema = schema_from_cube(_tiny_cube(1.0), ["cu"])
    schema["variables"][0]["training"] = {"n": 9, "min": 0.01, "max": 0.09}
    assert not_compared_lines(schema, _tiny_cube(100.0)) == []
