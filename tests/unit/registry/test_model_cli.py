"""``prospect model list | show | score | export | import`` through the real CLI entry point."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import numpy as np
import pytest
from registry_helpers import make_cube

from pipelines.cli import main
from prospect.io.cube import open_cube
from prospect.models.woe import WeightsOfEvidenceClassifier
from prospect.registry import ModelRegistry, save_model, schema_from_cube

FEATURES = ["B04", "ndvi", "dist_fault"]


def _err(capsys: pytest.CaptureFixture[str]) -> str:
    """stderr with whitespace collapsed (rich wraps long lines at the console width)."""
    return " ".join(capsys.readouterr().err.split())


@pytest.fixture
def setup(tmp_path: Path, card) -> dict[str, Path]:
    from sklearn.ensemble import RandomForestClassifier

    cube = make_cube(tmp_path / "cube.zarr")
    ds = open_cube(cube)
    X = np.stack([ds[f].values.ravel() for f in FEATURES], axis=1)
    y = (X[:, 1] > 0.5).astype(int)
    est = RandomForestClassifier(n_estimators=5, max_depth=3, random_state=0).fit(X, y)
    model = save_model(est, tmp_path / "trained", card=card, schema=schema_from_cube(ds, FEATURES))
    return {"cube": cube, "model": model, "reg": tmp_path / "reg", "root": tmp_path}


def _run(argv: list[str], reg: Path | str) -> int:
    return main([*argv, "--registry", str(reg)])


def test_import_list_show(setup, capsys) -> None:
    reg = setup["reg"]
    assert _run(["model", "list"], reg) == 0
    assert "no models" in capsys.readouterr().out
    assert _run(["model", "import", str(setup["model"]), "--name", "li-rf"], reg) == 0
    job_out = setup["root"] / "job-out"
    job_out.mkdir()
    setup["model"].rename(job_out / "model")  # a job's output directory holds model/
    assert _run(["model", "import", str(job_out), "--name", "li-rf",
                 "--version", "2025.1"], reg) == 0
    assert "li-rf/2025.1" in _err(capsys)
    assert _run(["model", "list"], reg) == 0
    out = capsys.readouterr().out
    assert "li-rf" in out and "1, 2025.1" in out and "lithium" in out
    assert "RandomFore" in out and "Pipeline" not in out  # the class (narrow console: cut)
    assert _run(["model", "import", str(setup["root"] / "nothing"), "--name", "x"], reg) != 0
    assert "no such model directory" in _err(capsys)
    assert _run(["model", "show", "li-rf", "--version", "1"], reg) == 0
    out = capsys.readouterr().out
    assert out.startswith("# Model card: lithium (geothermal brine)")
    assert _run(["model", "show", "li-rf", "--json"], reg) == 0
    card = json.loads(capsys.readouterr().out)
    assert card["input_schema"]["feature_order"] == FEATURES


def test_score_writes_a_probability_cube(setup, capsys) -> None:
    reg = setup["reg"]
    assert _run(["model", "import", str(setup["model"]), "--name", "m"], reg) == 0
    out = setup["root"] / "scored.zarr"
    assert _run(["model", "score", "m", "--cube", str(setup["cube"]), "--out", str(out)],
                reg) == 0
    scored = open_cube(out)
    loaded = ModelRegistry(reg).load("m")
    ds = open_cube(setup["cube"])
    X = np.stack([ds[f].values.ravel() for f in FEATURES], axis=1)
    want = loaded.estimator.predict_proba(X)[:, 1].reshape(ds.sizes["y"], ds.sizes["x"])
    np.testing.assert_allclose(scored["probability"].values, want, rtol=1e-6)
    assert scored["probability"].attrs["prospect_kind"] == "probability"
    assert scored.attrs["synthetic"] in (True, "true")
    assert _run(["model", "score", "m", "--cube", str(setup["cube"]), "--out", str(out)],
                reg) != 0
    assert "already exists" in _err(capsys)


def test_score_refuses_a_mismatched_cube(setup, capsys) -> None:
    reg = setup["reg"]
    assert _run(["model", "import", str(setup["model"]), "--name", "m"], reg) == 0
    bad = make_cube(setup["root"] / "bad.zarr", formula="(N - R)", units_fault="km")
    out = setup["root"] / "bad-scored.zarr"
    assert _run(["model", "score", "m", "--cube", str(bad), "--out", str(out)], reg) == 1
    err = _err(capsys)
    assert "(2 differences)" in err and "formula" in err and "units 'km'" in err
    assert "Traceback" not in err
    assert not out.exists()


def test_export_onnx_and_refusal(setup, capsys, card, schema, fitted) -> None:
    reg = setup["reg"]
    assert _run(["model", "import", str(setup["model"]), "--name", "m"], reg) == 0
    onnx_path = setup["root"] / "m.onnx"
    assert _run(["model", "export", "m", "--out", str(onnx_path), "--cube",
                 str(setup["cube"])], reg) == 0
    assert onnx_path.is_file()
    assert "max |diff|" in _err(capsys)
    _, X = fitted
    woe = WeightsOfEvidenceClassifier().fit(X, (X[:, 0] > 0.5).astype(int))
    woe_dir = save_model(woe, setup["root"] / "woe", card=card, schema=schema)
    assert _run(["model", "import", str(woe_dir), "--name", "woe"], reg) == 0
    bad_out = setup["root"] / "woe.onnx"
    assert _run(["model", "export", "woe", "--out", str(bad_out)], reg) != 0
    assert "cannot export" in _err(capsys)
    assert not bad_out.exists()


def test_fsspec_registry_and_url_import(setup, capsys) -> None:
    import fsspec

    url = f"memory://cli-{uuid.uuid4().hex[:8]}"
    assert _run(["model", "import", str(setup["model"]), "--name", "m"], url) == 0
    fs = fsspec.filesystem("memory")
    src = f"memory://src-{uuid.uuid4().hex[:8]}"
    for f in setup["model"].iterdir():
        fs.pipe_file(f"{src}/{f.name}".removeprefix("memory://"), f.read_bytes())
    assert _run(["model", "import", src, "--name", "m"], url) == 0
    assert ModelRegistry(url).versions("m") == ["1", "2"]
    assert _run(["model", "show", "m"], url) == 0
    assert "# Model card" in capsys.readouterr().out


def test_the_list_names_a_pipelines_model_by_the_jobs_estimator() -> None:
    # a job's model is a Pipeline (encoder + model): every one listed as 'Pipeline'
    from prospect.registry.card import estimator_label

    steps = {"class": "sklearn.pipeline.Pipeline",
             "steps": ["encode: sklearn.compose.ColumnTransformer",
                       "model: sklearn.ensemble._forest.RandomForestClassifier"]}
    assert estimator_label({"estimator": steps,
                            "config": {"model": {"estimator": "random_forest"}}}) == \
        "random_forest"
    assert estimator_label({"estimator": steps}) == "RandomForestClassifier"
    assert estimator_label({"estimator": {"class": "a.B"}}) == "B"
    assert estimator_label({}) == ""


def test_score_refused_at_the_scheduler_leaves_no_folder_or_lock(setup, capsys) -> None:
    """An unreachable --scheduler refuses the scoring after the output's folder and the
    job folder's lock were made: neither may be left behind (it looked like a run's)."""
    reg = setup["reg"]
    assert _run(["model", "import", str(setup["model"]), "--name", "m"], reg) == 0
    out = setup["root"] / "new" / "deeper" / "scored.zarr"
    assert _run(["model", "score", "m", "--cube", str(setup["cube"]), "--out", str(out),
                 "--scheduler", "tcp://127.0.0.1:9"], reg) != 0
    err = _err(capsys)
    assert "127.0.0.1:9" in err and "Traceback" not in err
    assert not (setup["root"] / "new").exists()


def test_score_of_a_cube_with_a_gap_says_its_coverage(setup, capsys, card) -> None:
    """``prospect model score`` says what the job's score stage says (round 26): the cells
    a forest leaves unscored and the layer that lacks data there, the cells weights of
    evidence scores without that layer (W = 0), and that a schema without training values
    was not compared with the training evidence (SYNTHETIC cube, 20 x 20, 5 gap rows)."""
    reg, root = setup["reg"], setup["root"]
    gap = make_cube(root / "gap.zarr", fault_gap_rows=5)
    assert _run(["model", "import", str(setup["model"]), "--name", "rf"], reg) == 0
    ds = open_cube(setup["cube"])
    X = np.stack([ds[f].values.ravel() for f in FEATURES], axis=1)
    woe = WeightsOfEvidenceClassifier().fit(X, (X[:, 1] > 0.5).astype(int))
    woe_dir = save_model(woe, root / "woe", card=card, schema=schema_from_cube(ds, FEATURES))
    assert _run(["model", "import", str(woe_dir), "--name", "woe"], reg) == 0
    capsys.readouterr()
    assert _run(["model", "score", "rf", "--cube", str(gap), "--out",
                 str(root / "rf.zarr")], reg) == 0
    err = _err(capsys)
    assert "100 of 400 cells (25.0%) are left unscored (NaN): no data in dist_fault at 100" in err
    assert "not compared with the model's training evidence" in err
    assert int(open_cube(root / "rf.zarr")["probability"].isnull().sum()) == 100
    assert _run(["model", "score", "woe", "--cube", str(gap), "--out",
                 str(root / "woe.zarr")], reg) == 0
    err = _err(capsys)
    assert "weights of evidence scored cells without a layer: dist_fault at 100" in err
    assert "left unscored" not in err
    assert int(open_cube(root / "woe.zarr")["probability"].isnull().sum()) == 0
