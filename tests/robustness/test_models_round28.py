"""Round 28: the spread of fold figures as its readers take it, and model files edited by
hand after they were saved.

The s.d. of the fold ROC AUCs was numpy's population s.d. (``ddof=0``), stated as "s.d.
over folds": readers of a k-fold estimate (R's ``sd()``, caret and mlr3's resampling
summaries, Nadeau & Bengio 2003) take the sample s.d., 11 % larger with 5 folds; and one
fold scored gave a spread of ``0.000`` ("± 0.000"), a steady figure where none is known. A
``model.skops`` holding a zip member skops never reads (or a name twice), its checksum
written again, was loaded without a word; a model of a newer Prospect was loaded as this
release's.

Library cases on small SYNTHETIC rows, models and reports; model files refused through the
real ``prospect model import`` too.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import warnings
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from .conftest import assert_clean_error

SCHEMA: dict[str, Any] = {
    "variables": [
        {
            "name": n,
            "units": "1",
            "dtype": "float32",
            "prospect_kind": "continuous",
            "provenance": {},
        }
        for n in ("a", "b")
    ],
    "crs": "EPSG:32619",
    "resolution": 100.0,
    "feature_order": ["a", "b"],
}
CARD = {"mineral": "lithium", "synthetic": True, "limitations": ["SYNTHETIC model"]}


# -- the spread of the fold ROC AUCs ------------------------------------------------------


def _rows(n: int = 300, seed: int = 28) -> tuple[np.ndarray, np.ndarray]:
    """SYNTHETIC rows: two features, labels that ``b`` ranks loosely."""
    rng = np.random.default_rng(seed)
    X = rng.random((n, 2))
    y = (X[:, 1] + 0.6 * rng.random(n) > 1.0).astype(int)
    return X, y


def _cv(X: np.ndarray, y: np.ndarray, folds: list[np.ndarray]) -> Any:
    """Each fold's test rows held out in turn, fitted and pooled as the train stage does."""
    from prospect.models.evaluate import fit_fold, pool_folds

    rows = np.arange(len(y))
    fitted = [
        fit_fold(LogisticRegression(), X, y, np.setdiff1d(rows, test), test, k)
        for k, test in enumerate(folds)
    ]
    return pool_folds(fitted, y, scheme="spatial_block")


def _report(tmp_path: Path, result: Any) -> tuple[dict[str, Any], str, str]:
    """metrics.json's headline, the training report and score.md of one CV result."""
    from pipelines.report import write_report, write_score_report
    from prospect.models.summary import headline

    head = headline({"spatial_block": result})
    json.dumps(head)
    facts = {"cv": {"spatial_block": {"metrics": result.metrics}}, "curves": {}, "metrics": head}
    report = Path(write_report(tmp_path / "report", facts)).read_text(encoding="utf-8")
    score = Path(
        write_score_report(tmp_path / "score", quicklooks={}, facts={"headline": head})
    ).read_text(encoding="utf-8")
    return head, report, score


def test_the_fold_spread_is_the_sample_sd_and_says_so(tmp_path: Path) -> None:
    """SYNTHETIC, 5 folds: the s.d. of the fold ROC AUCs was numpy's population s.d.
    (ddof 0), under words ("s.d. over folds") its readers take as the sample s.d. Now the
    sample s.d., recomputed here from scikit-learn's fold AUCs, named as such with the
    folds it is over, in metrics.json, the report and score.md."""
    X, y = _rows()
    folds = np.array_split(np.random.default_rng(1).permutation(len(y)), 5)
    result = _cv(X, y, folds)
    aucs = [roc_auc_score(y[f], result.oof[f]) for f in folds]
    want = float(np.std(aucs, ddof=1))
    assert result.metrics["fold_roc_auc_std"] == pytest.approx(want, rel=1e-12)
    head, report, score = _report(tmp_path, result)
    assert head["cv_spatial_fold_roc_auc_std"] == round(want, 4)
    assert "sample standard deviation (n - 1" in head["fold_roc_auc_std_is"]
    assert f"± {want:.3f} (sample s.d. over 5 folds)" in report
    assert f"± {want:.3f} (sample s.d. over 5 folds)" in score
    assert "sample s.d. (n - 1) of the fold ROC AUCs" in report


def test_one_fold_scored_has_no_spread_rather_than_a_spread_of_zero(tmp_path: Path) -> None:
    """SYNTHETIC: 3 folds, only one of them holding positives among its test rows (the
    others have no ROC AUC; the other positives are never tested, as rows a buffer
    leaves out). The fold s.d. read ``± 0.000``, a fold figure as steady as can be, from
    one fold; now not given (null), with why, in metrics.json and both reports."""
    X, y = _rows()
    neg, pos = np.flatnonzero(y == 0), np.flatnonzero(y == 1)
    folds = [neg[:60], neg[60:120], np.concatenate([neg[120:], pos[: pos.size // 2]])]
    result = _cv(X, y, folds)
    assert result.metrics["n_folds_scored"] == 1
    head, report, score = _report(tmp_path, result)
    assert head["cv_spatial_fold_roc_auc_std"] is None
    assert (
        "1 fold of the spatial CV has a ROC AUC"
        in head["cv_spatial_fold_roc_auc_std_undefined_because"]
    )
    for text in (report, score):
        assert "± 0.000" not in text and "± n/a" not in text
        assert "(s.d. over folds not defined: 1 fold with a ROC AUC, it needs two)" in text


def test_a_score_report_of_an_older_runs_figures_keeps_its_words(tmp_path: Path) -> None:
    """Control (SYNTHETIC): a metrics.json written before the sample s.d. (no
    ``fold_roc_auc_std_is``) is not relabelled: its figure is stated as before."""
    from pipelines.report import write_score_report

    head = {
        "cv_spatial_fold_roc_auc_mean": 0.8,
        "cv_spatial_fold_roc_auc_std": 0.1,
        "cv_spatial_roc_auc": 0.79,
    }
    text = Path(write_score_report(tmp_path, quicklooks={}, facts={"headline": head})).read_text(
        encoding="utf-8"
    )
    assert "Fold-mean ROC AUC 0.800 ± 0.100" in text
    assert "sample s.d." not in text


# -- model files edited after they were saved ---------------------------------------------


def _saved(root: Path, name: str = "m") -> Path:
    from prospect.registry import save_model

    X, y = _rows(60)
    return save_model(LogisticRegression().fit(X, y), root / name, card=CARD, schema=SCHEMA)


def _rechecksum(model: Path) -> None:
    """Checksum every file again, as a hand-assembled model folder would."""
    sums_path = model / "checksums.json"
    os.chmod(sums_path, 0o644)
    data = json.loads(sums_path.read_text())
    for name in data["files"]:
        os.chmod(model / name, 0o644)
        data["files"][name] = hashlib.sha256((model / name).read_bytes()).hexdigest()
    sums_path.write_text(json.dumps(data))


def _add_member(model: Path, name: str, data: bytes) -> None:
    os.chmod(model / "model.skops", 0o644)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # zipfile's "Duplicate name"
        with zipfile.ZipFile(model / "model.skops", "a") as zf:
            zf.writestr(name, data)
    _rechecksum(model)


def _coefficients_again(model: Path) -> tuple[str, bytes]:
    """The member holding the model's coefficients, and an array of theirs negated (the
    map inverted) to be written under the same name."""
    with zipfile.ZipFile(model / "model.skops") as zf:
        for name in zf.namelist():
            if name.endswith(".npy"):
                arr = np.load(io.BytesIO(zf.read(name)))
                if arr.shape == (1, 2):
                    buf = io.BytesIO()
                    np.save(buf, -arr)
                    return name, buf.getvalue()
    raise AssertionError("no coefficients in model.skops")


@pytest.mark.parametrize(
    "member,data,needle",
    [
        ("run_me.py", b"import os\n", "'run_me.py'"),
        ("deadbeef.npy", b"\x93NUMPY not an array", "'deadbeef.npy'"),
        ("coef", b"", "(twice)"),
    ],
)
def test_a_skops_file_with_a_member_skops_never_reads_is_refused(
    cli, tmp_path: Path, member: str, data: bytes, needle: str
) -> None:
    """SYNTHETIC: a member added to model.skops after it was saved (a script, an array
    no node names, the coefficients' array a second time, negated: zip readers differ on
    which of the two they take, and skops took the second, scoring an inverted map),
    checksums written again: each loaded without a word. Now refused by load_model, and
    by ``prospect model import`` with nothing published."""
    from prospect.errors import SecurityError
    from prospect.registry import load_model

    model = _saved(tmp_path)
    if member == "coef":
        member, data = _coefficients_again(model)
    _add_member(model, member, data)
    with pytest.raises(SecurityError, match="no part of the model is read from"):
        load_model(model)
    reg = tmp_path / "reg"
    result = cli("model", "import", model, "--name", "li", "-r", reg)
    assert_clean_error(result, 1, "model.skops", needle, "saved")
    assert not (reg / "li").exists()


def test_a_model_file_as_saved_still_loads_and_predicts(tmp_path: Path) -> None:
    """Control (SYNTHETIC): every member of a saved file is read; it loads as before."""
    from prospect.registry import load_model

    X, _ = _rows(60)
    model = load_model(_saved(tmp_path))
    assert model.estimator.predict_proba(X).shape == (60, 2)


def _cube(path: Path) -> Path:
    """A 10 x 10 SYNTHETIC cube of continuous ``a`` and ``b`` on the schema's grid."""
    import xarray as xr

    from prospect.grid import RegionGrid
    from prospect.io.cube import add_variables, create_cube, open_cube
    from prospect.testing import float_layer

    grid = RegionGrid(
        "EPSG:32619", 100.0, (560000.0, 1330000.0, 561000.0, 1331000.0), chunks=(10, 10), name="r28"
    )
    create_cube(path, grid, attrs={"synthetic": True})
    like = open_cube(path)
    rng = np.random.default_rng(7)
    add_variables(
        path,
        xr.Dataset(
            {
                n: float_layer(
                    rng.random(grid.shape),
                    name=n,
                    units="1",
                    long_name=n,
                    provenance={"source": "synthetic"},
                    like=like,
                )
                for n in ("a", "b")
            }
        ),
    )
    return path


def _with_prospect(model: Path, version: str) -> Path:
    os.chmod(model / "card.json", 0o644)
    card = json.loads((model / "card.json").read_text())
    card["versions"]["prospect"] = version
    (model / "card.json").write_text(json.dumps(card))
    _rechecksum(model)
    return model


def test_a_model_of_a_newer_prospect_is_refused_unless_allowed(cli, tmp_path: Path) -> None:
    """SYNTHETIC: a card that says Prospect 99.1.0 (a later release than the one
    installed): loaded as this release's, its card and estimators read as this release
    reads them. Now refused, with the fix; ``allow_version_mismatch`` loads it with a
    warning. ``prospect model import`` publishes it with the warning (a registry may serve
    other environments, as for another scikit-learn) and ``prospect model score``
    refuses it."""
    from prospect.errors import ModelError
    from prospect.registry import load_model
    from prospect.registry.compat import ModelVersionWarning

    model = _with_prospect(_saved(tmp_path), "99.1.0")
    with pytest.raises(
        ModelError,
        match=r"saved with Prospect 99\.1\.0.*install prospect "
        r"99\.1\.0 or later.*--allow-version-mismatch",
    ):
        load_model(model)
    with pytest.warns(ModelVersionWarning, match="prospect 99.1.0"):
        assert load_model(model, allow_version_mismatch=True).estimator is not None
    # a registry may serve other environments: published, with the warning; not scored
    reg = tmp_path / "reg"
    result = cli("model", "import", model, "--name", "li", "-r", reg)
    assert result.code == 0 and "saved with prospect 99.1.0" in result.err
    out = tmp_path / "out" / "scores.zarr"
    result = cli("model", "score", "li", "-r", reg, "--cube", _cube(tmp_path / "c.zarr"), "-o", out)
    assert_clean_error(result, 1, "Prospect 99.1.0", "--allow-version-mismatch")
    assert not out.exists()


@pytest.mark.parametrize("version", ["0.0.9", "0.1.0", "0.1.0.dev3+g1a2b3c"])
def test_a_model_of_this_or_an_older_prospect_loads_without_a_word(
    tmp_path: Path, version: str
) -> None:
    """Control (SYNTHETIC): an older release, this one, or a development build of it."""
    from prospect.registry import load_model

    model = _with_prospect(_saved(tmp_path), version)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert load_model(model).version_warning is None


# -- ONNX exports of another model ---------------------------------------------------------


@pytest.fixture(scope="module")
def export_of_two(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """SYNTHETIC: the ONNX export of a model of ``a, b``, its order in the metadata (as
    ``prospect model export`` records it)."""
    from prospect.registry import export_onnx

    X, y = _rows(60)
    path = tmp_path_factory.mktemp("onnx") / "ab.onnx"
    return export_onnx(
        LogisticRegression().fit(X, y),
        path,
        n_features=2,
        metadata={"feature_order": json.dumps(["a", "b"])},
    )


def test_an_export_given_rows_of_another_width_is_refused_in_words(export_of_two: Path) -> None:
    """SYNTHETIC: rows of three features checked against the export of a model of two
    (the export of another model): onnxruntime's InvalidArgument reached the user as a
    traceback. Now a ModelError naming the file, its features and the fix."""
    from prospect.errors import ModelError
    from prospect.registry import onnx_agreement, onnx_predict_proba

    X, y = _rows(60)
    X3 = np.c_[X, X[:, :1]]
    with pytest.raises(
        ModelError,
        match=r"ab\.onnx: its input 'X' takes rows of 2 features "
        r"\(a, b, in this order\), the rows given have 3",
    ):
        onnx_predict_proba(export_of_two, X3)
    with pytest.raises(ModelError, match="another model or feature set"):
        onnx_agreement(LogisticRegression().fit(X3, y), export_of_two, X3)


def test_an_export_given_other_features_of_its_width_is_refused(export_of_two: Path) -> None:
    """SYNTHETIC: rows of ``b, a`` (named) given to the export of ``a, b``: scored
    without a word, each feature read as the other. Now refused."""
    from prospect.errors import ModelError
    from prospect.registry import onnx_predict_proba

    X, _ = _rows(60)
    with pytest.raises(
        ModelError,
        match=r"exported for the features \['a', 'b'\], the rows "
        r"given are \['b', 'a'\]",
    ):
        onnx_predict_proba(export_of_two, X[:, ::-1], feature_order=["b", "a"])


@pytest.mark.parametrize("what", ["not onnx", "missing"])
def test_a_file_that_is_no_onnx_model_is_refused_in_words(tmp_path: Path, what: str) -> None:
    """SYNTHETIC: a text file, or no file, given as the export: onnxruntime's
    InvalidProtobuf / NoSuchFile as a traceback. Now a ModelError naming the file."""
    from prospect.errors import ModelError
    from prospect.registry import onnx_predict_proba

    path = tmp_path / "m.onnx"
    if what == "not onnx":
        path.write_text("not a model\n")
    with pytest.raises(ModelError, match=r"m\.onnx: (not a readable ONNX model|no such ONNX)"):
        onnx_predict_proba(path, _rows(5)[0])


def test_an_export_given_its_own_rows_agrees_as_before(export_of_two: Path) -> None:
    """Control (SYNTHETIC): the export's own features agree with its model as before."""
    from prospect.registry import onnx_agreement

    X, y = _rows(60)
    assert onnx_agreement(LogisticRegression().fit(X, y), export_of_two, X) < 1e-4


# -- the score report's units ------------------------------------------------------------


@pytest.mark.parametrize(
    "crs,unit",
    [("EPSG:32619", "metres"), ("EPSG:4326", "degrees"), ("EPSG:2229", "US survey feet")],
)
def test_the_score_report_states_the_cell_size_in_the_grids_unit(
    tmp_path: Path, crs: str, unit: str
) -> None:
    """SYNTHETIC: score.md said "10.0 units per cell" for every grid, where the training
    report (round 27) says the unit its CRS names. Now the same words in both."""
    from pipelines.report import write_score_report

    region = {"name": "r28", "crs": crs, "resolution": 10.0, "shape": [40, 40]}
    text = Path(write_score_report(tmp_path, quicklooks={}, facts={"region": region})).read_text(
        encoding="utf-8"
    )
    assert f"({crs}, 10.0 {unit} per cell, [40, 40] cells)" in text
    assert "units per cell" not in text


# -- the train stage's distances and spread, end to end ----------------------------------

DIAGONAL = [(500_105.0 + 90 * k, 1_350_105.0 + 70 * k) for k in range(4)]
"""Four wells of the tiny region, about 114 m apart: the range of their indicator
variogram is above the 100 m blocks of the job."""


@pytest.fixture(scope="module")
def diagonal_job(tmp_path_factory: pytest.TempPathFactory, scheduler: str) -> dict[str, Any]:
    """The tiny SYNTHETIC job (UTM, metres), four wells on a diagonal, five layers of
    noise (``heat``, ``n1``..``n4``), blocks of 100 m and a background exclusion of 20 m;
    ingested and trained through the CLI."""
    from .conftest import Sandbox, run_in_process, write_tiny_raster

    box = Sandbox(tmp_path_factory.mktemp("models28job") / "box")
    rng = np.random.default_rng(28)
    noise = [f"n{k}" for k in range(1, 5)]
    for name in noise:
        write_tiny_raster(box.root / f"{name}.tif", values=rng.random((40, 40)).astype("f4"))
    (box.root / "wells.csv").write_text("x,y\n" + "".join(f"{x},{y}\n" for x, y in DIAGONAL))
    box.write_job(
        sources=[
            {"kind": "raster", "name": "heat", "path": "heat.tif"},
            *({"kind": "raster", "name": n, "path": f"{n}.tif"} for n in noise),
            {
                "kind": "points",
                "name": "wells",
                "path": "wells.csv",
                "x": "x",
                "y": "y",
                "crs": "EPSG:32619",
            },
        ],
        model={
            "mineral": "lithium",
            "estimator": "logistic_regression",
            "permutation_repeats": 0,
            "partial_dependence": 0,
            "features": ["heat", *noise],
            "labels": {"source": "wells", "background_ratio": 10, "background_exclusion": 20.0},
            "cv": {
                "n_splits": 3,
                "block_size": 100.0,
                "seeds": 1,
                "bootstrap": 0,
                "compare_random": False,
            },
        },
    )
    said = ""
    for stage in ("ingest", "train"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            got = run_in_process(stage, box.job_path, "-o", box.out, "--scheduler", scheduler)
        assert got.code == 0, (got.out + got.err)[-3000:]
        said += got.out + got.err
    model = box.out / "model"
    return {
        "model": model,
        "said": " ".join(said.split()),
        "facts": json.loads((model / "metrics.json").read_text()),
        "report": " ".join((model / "report" / "report.md").read_text(encoding="utf-8").split()),
    }


def test_the_train_stage_states_its_distances_in_the_grids_unit(
    diagonal_job: dict[str, Any],
) -> None:
    """SYNTHETIC: the train stage said its blocks, buffer, the labels' range and the
    background exclusion in "CRS units" (the variogram's range in no unit, the console's
    blocks and buffer in none) on a grid in metres, where the plan and the report (round
    27) say metres. Now in metres, on the console, in metrics.json and the report."""
    said, report = diagonal_job["said"], diagonal_job["report"]
    for text in (said, report):
        assert "blocks of 100 metres are smaller than the range of the labels' spatial" in text
        assert "at least 120 metres (or auto)" in text
        assert "background_exclusion (20 metres)" in text
        assert "CRS units" not in text
    assert re.search(r"autocorrelation \(\d+(\.\d+)? metres, the spherical model", said)
    assert "folds of blocks of 100 metres (config), buffer 15 metres" in said
    exclude = diagonal_job["facts"]["metrics"]["cv_area_figures_exclude"]
    assert "(20 metres)" in exclude


def test_the_train_stage_reports_the_sample_sd_of_its_own_folds(
    diagonal_job: dict[str, Any],
) -> None:
    """SYNTHETIC: the fold s.d. in metrics.json and report.md, recomputed (numpy, n - 1)
    from the fold ROC AUCs metrics.json lists."""
    facts = diagonal_job["facts"]
    aucs = [f["roc_auc"] for f in facts["cv"]["spatial_block"]["folds"]]
    want = float(np.std(aucs, ddof=1))
    assert len(aucs) == 3
    assert facts["metrics"]["cv_spatial_fold_roc_auc_std"] == round(want, 4)
    assert f"± {want:.3f} (sample s.d. over 3 folds)" in diagonal_job["report"]


# -- a card that describes other inputs than its schema ----------------------------------


@pytest.mark.parametrize(
    "edit,needle",
    [
        (("name", "c"), "card.json's features name ['c'], which schema.json does not have"),
        (("units", "ppm"), "card.json gives feature 'b' units 'ppm', schema.json '1'"),
        (("prospect_kind", "categorical"), "feature 'b' prospect_kind 'categorical'"),
    ],
)
def test_a_card_whose_features_are_not_the_schemas_is_refused(
    cli, tmp_path: Path, edit: tuple[str, str], needle: str
) -> None:
    """SYNTHETIC: card.json's second feature renamed ``c``, or given ``ppm`` or classes
    (checksums written again): card.md told a researcher the model reads other layers
    than the schema checks a cube against, and it loaded without a word. Now refused,
    and not imported."""
    from prospect.errors import ModelError
    from prospect.registry import load_model

    model = _saved(tmp_path)
    os.chmod(model / "card.json", 0o644)
    card = json.loads((model / "card.json").read_text())
    card["features"][1][edit[0]] = edit[1]
    (model / "card.json").write_text(json.dumps(card))
    _rechecksum(model)
    with pytest.raises(ModelError, match="its files are not of one model") as err:
        load_model(model)
    assert needle in str(err.value)
    reg = tmp_path / "reg"
    result = cli("model", "import", model, "--name", "li", "-r", reg)
    assert_clean_error(result, 1, needle)
    assert not (reg / "li").exists()


def test_a_trained_models_card_and_schema_still_agree(diagonal_job: dict[str, Any]) -> None:
    """Control (SYNTHETIC): the train stage's own model folder loads."""
    from prospect.registry import load_model

    model = load_model(diagonal_job["model"])
    assert model.feature_order == ["heat", "n1", "n2", "n3", "n4"]


# -- more features than occurrences ------------------------------------------------------


def test_more_features_than_occurrences_is_said(diagonal_job: dict[str, Any]) -> None:
    """SYNTHETIC: five layers of noise and four wells, a logistic regression: trained,
    scored and reported without a word, though the model can tell each well apart by a
    feature of its own (Peduzzi et al. 1996). Now a data warning, on the console and in
    the report, with the fix."""
    needle = "model: 5 features for 4 positive cells, fewer occurrences than features"
    for text in (diagonal_job["said"], diagonal_job["report"]):
        assert needle in text
        assert "use fewer features (model.features" in text


def test_the_warning_is_for_fewer_occurrences_than_features_and_not_weights_of_evidence() -> None:
    """SYNTHETIC: a random forest of 5 features on 4 positives is warned of; 5 positives
    for 5 features, and weights of evidence (each layer weighed on its own counts), are
    not."""
    from prospect.models.summary import sample_size_warnings

    names = ["a", "b", "c", "d", "e"]
    assert sample_size_warnings(5, names, "logistic_regression") == []
    assert sample_size_warnings(4, names, "weights_of_evidence") == []
    assert len(sample_size_warnings(4, names, "random_forest")) == 1


def test_a_skops_file_of_a_schema_nested_past_pythons_limit_is_refused_in_words(
    cli, tmp_path: Path
) -> None:
    """Control (SYNTHETIC): model.skops replaced by a zip whose schema.json nests 5000
    lists (json's recursion limit): refused as unreadable, as before, not a traceback
    from the member check."""
    model = _saved(tmp_path)
    os.chmod(model / "model.skops", 0o644)
    with zipfile.ZipFile(model / "model.skops", "w") as zf:
        zf.writestr("schema.json", "[" * 5000 + "]" * 5000)
    _rechecksum(model)
    result = cli("model", "import", model, "--name", "li", "-r", tmp_path / "reg")
    assert_clean_error(result, 1, "model.skops", "not a readable skops file")
