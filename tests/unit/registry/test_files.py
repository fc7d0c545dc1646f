"""save_model / load_model: the files, the card, checksums, atomic replacement."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pytest

from prospect.errors import ChangedFilesError, DamagedFileError, ModelError, SecurityError
from prospect.registry import MODEL_FILES, load_model, save_model


def test_save_writes_every_file_and_loads_back(tmp_path: Path, fitted, card, schema) -> None:
    est, X = fitted
    out = save_model(est, tmp_path / "m", card=card, schema=schema)
    assert sorted(p.name for p in out.iterdir()) == sorted([*MODEL_FILES, "checksums.json"])
    loaded = load_model(out)
    np.testing.assert_array_equal(loaded.estimator.predict_proba(X), est.predict_proba(X))
    assert loaded.feature_order == ["B04", "ndvi", "dist_fault"]
    assert loaded.schema["crs"] == "EPSG:32619"
    assert not list(tmp_path.glob(".*staging*"))


def test_card_has_versions_hash_estimator_and_formulas(tmp_path: Path, fitted, card,
                                                       schema) -> None:
    est, _ = fitted
    out = save_model(est, tmp_path / "m", card=card, schema=schema)
    full = json.loads((out / "card.json").read_text())
    assert full["mineral"] == "lithium" and full["synthetic"] is True
    assert full["versions"]["scikit-learn"] and full["versions"]["skops"]
    assert full["versions"]["prospect"] != "not installed"
    assert len(full["config_hash"]) == 64
    assert full["estimator"]["class"].endswith("RandomForestClassifier")
    assert full["estimator"]["n_features_in"] == 3
    ndvi = next(f for f in full["features"] if f["name"] == "ndvi")
    assert ndvi["provenance"]["formula"] == "(N - R) / (N + R)"
    md = (out / "card.md").read_text()
    for text in ("lithium", "geothermal brine", "(N - R) / (N + R)", "roc_auc", "isotonic",
                 "spatial_block", "Synthetic", "scikit-learn", full["config_hash"]):
        assert text in md, text


def test_config_hash_is_stable_and_sensitive(tmp_path: Path, fitted, card, schema) -> None:
    est, _ = fitted
    a = json.loads((save_model(est, tmp_path / "a", card=card, schema=schema)
                    / "card.json").read_text())["config_hash"]
    b = json.loads((save_model(est, tmp_path / "b", card=card, schema=schema)
                    / "card.json").read_text())["config_hash"]
    c = json.loads((save_model(est, tmp_path / "c", card={**card, "config": {"seed": 1}},
                               schema=schema) / "card.json").read_text())["config_hash"]
    assert a == b != c


def test_resave_replaces_model_dir_but_not_other_paths(tmp_path: Path, fitted, card,
                                                       schema) -> None:
    est, _ = fitted
    out = save_model(est, tmp_path / "m", card=card, schema=schema)
    save_model(est, out, card={**card, "mineral": "gallium"}, schema=schema)
    assert load_model(out).card["mineral"] == "gallium"
    other = tmp_path / "data"
    other.mkdir()
    (other / "keep.txt").write_text("x")
    with pytest.raises(ModelError, match="not a Prospect model directory"):
        save_model(est, other, card=card, schema=schema)
    assert (other / "keep.txt").read_text() == "x"


def test_bad_schema_is_refused(tmp_path: Path, fitted, card, schema) -> None:
    est, _ = fitted
    with pytest.raises(ModelError, match="feature_order"):
        save_model(est, tmp_path / "m", card=card,
                   schema={**schema, "feature_order": ["B04", "nope"]})
    assert not (tmp_path / "m").exists()


def test_tampered_file_is_refused(tmp_path: Path, fitted, card, schema) -> None:
    est, _ = fitted
    out = save_model(est, tmp_path / "m", card=card, schema=schema)
    card_path = out / "card.json"
    card_path.write_text(card_path.read_text().replace("lithium", "gold"))
    with pytest.raises(SecurityError, match=r"card\.json: sha256") as err:
        load_model(out)
    # typed, with the folder: a job's runner names the stage that rewrites it (also when
    # the error comes back pickled from a worker)
    again = pickle.loads(pickle.dumps(err.value))
    assert isinstance(again, ChangedFilesError) and isinstance(again, DamagedFileError)
    assert Path(again.path) == out and str(again) == str(err.value)


def test_missing_checksums_is_refused(tmp_path: Path, fitted, card, schema) -> None:
    est, _ = fitted
    out = save_model(est, tmp_path / "m", card=card, schema=schema)
    (out / "checksums.json").unlink()
    with pytest.raises(SecurityError, match="checksums"):
        load_model(out)


def test_not_a_model_dir(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="no such model directory"):
        load_model(tmp_path / "nothing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelError, match=r"no model\.skops"):
        load_model(tmp_path / "empty")


def test_card_renders_nested_cv_metrics_and_pipeline_steps(tmp_path: Path, fitted, card,
                                                           schema) -> None:
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    rf, X = fitted
    pipe = make_pipeline(StandardScaler(), rf).fit(X, rf.predict(X))
    metrics = {"spatial_block": {"roc_auc": 0.71, "pr_auc": 0.2},
               "random": {"roc_auc": 0.83, "pr_auc": 0.3}}
    out = save_model(pipe, tmp_path / "p", card={**card, "cv": {**card["cv"],
                                                                "metrics": metrics}},
                     schema=schema)
    md = (out / "card.md").read_text()
    assert "| metric | random | spatial_block |" in md  # JSON keys are sorted
    assert "| roc_auc | 0.83 | 0.71 |" in md
    assert "`standardscaler: sklearn.preprocessing._data.StandardScaler`" in md
    full = json.loads((out / "card.json").read_text())
    assert full["estimator"]["steps"][1].endswith("RandomForestClassifier")
