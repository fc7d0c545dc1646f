"""ONNX export agrees with scikit-learn; block-wise scoring of a plain input schema (cube
variables only) equals a direct predict."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from registry_helpers import make_cube
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from prospect.errors import ModelError
from prospect.io.cube import open_cube
from prospect.models.woe import WeightsOfEvidenceClassifier
from prospect.registry import export_onnx, onnx_agreement, onnx_predict_proba, score_model


def _estimators(X: np.ndarray, y: np.ndarray) -> list[object]:
    return [
        make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y),
        MLPClassifier(hidden_layer_sizes=(6,), max_iter=50, random_state=0).fit(X, y),
    ]


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_onnx_matches_sklearn(tmp_path: Path, fitted) -> None:
    rf, X = fitted
    y = rf.predict(X)
    for i, est in enumerate([rf, *_estimators(X, y)]):
        path = export_onnx(est, tmp_path / f"m{i}.onnx", n_features=3,
                           metadata={"feature_order": "[\"B04\", \"ndvi\", \"dist_fault\"]"})
        diff = onnx_agreement(est, path, X, atol=1e-5)
        assert diff <= 1e-5
        got = onnx_predict_proba(path, X)
        np.testing.assert_allclose(got, est.predict_proba(X), atol=1e-5)
    meta = {p.key: p.value for p in onnx.load(str(tmp_path / "m0.onnx")).metadata_props}
    assert meta["feature_order"].startswith("[")


def test_onnx_disagreement_is_refused(tmp_path: Path, fitted) -> None:
    rf, X = fitted
    other = LogisticRegression().fit(X, 1 - rf.predict(X))
    path = export_onnx(other, tmp_path / "other.onnx", n_features=3)
    with pytest.raises(ModelError, match="differ from scikit-learn"):
        onnx_agreement(rf, path, X)


def test_estimator_without_converter_is_refused(tmp_path: Path, fitted) -> None:
    rf, X = fitted
    woe = WeightsOfEvidenceClassifier().fit(X, rf.predict(X))
    with pytest.raises(ModelError, match=r"cannot export .*WeightsOfEvidenceClassifier"):
        export_onnx(woe, tmp_path / "w.onnx", n_features=3)
    assert not list(tmp_path.iterdir())


def test_plain_schema_scores_blockwise_equal_direct(tmp_path: Path, fitted) -> None:
    rf, _ = fitted
    cube = open_cube(make_cube(tmp_path / "c.zarr"))
    feats = ["B04", "ndvi", "dist_fault"]
    cube["dist_fault"] = cube["dist_fault"] / 1000  # bring into the training range
    cube["B04"] = cube["B04"].where(cube.x < cube.x[15])  # some missing cells
    maps = score_model(rf, {"feature_order": feats}, cube, provenance={"model": "m/1"},
                       synthetic=True)
    probs = maps["probability"]
    assert probs.data.chunks == ((10, 10), (10, 10))
    got = probs.compute().values
    X = np.stack([cube[f].values.ravel() for f in feats], axis=1).astype(np.float32)
    ok = np.all(np.isfinite(X), axis=1)
    want = np.full(X.shape[0], np.nan, np.float32)
    want[ok] = rf.predict_proba(X[ok])[:, 1]
    np.testing.assert_allclose(got.ravel(), want, rtol=1e-6)
    assert np.isnan(got[:, 15:]).all() and np.isfinite(got[:, :15]).all()
    # the forest's trees give the spread, on the same cells
    unc = maps["uncertainty"].values
    assert np.isnan(unc[:, 15:]).all() and np.isfinite(unc[:, :15]).all()
    assert probs.attrs["prospect_kind"] == "probability" and probs.attrs["synthetic"] is True
    assert '"model": "m/1"' in probs.attrs["provenance"]


def test_scoring_refuses_what_is_not_a_classifier(tmp_path: Path, fitted) -> None:
    from sklearn.linear_model import LinearRegression

    rf, X = fitted
    cube = open_cube(make_cube(tmp_path / "c.zarr"))
    reg = LinearRegression().fit(X, rf.predict(X))
    with pytest.raises(ModelError, match="no predict_proba"):
        score_model(reg, {"feature_order": ["B04", "ndvi", "dist_fault"]}, cube)
    with pytest.raises(ModelError, match="names no features"):
        score_model(rf, {}, cube)
