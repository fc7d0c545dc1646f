"""Round 13, labels and models: evidence layers and model settings that trained or published
a wrong figure or map without a word.

Each CLI case trains on a copy of one tiny SYNTHETIC cube ingested once per module (five
evidence layers beside the sandbox's random ``heat``: a constant one, a near copy of the
labels, one without data, a binary pattern holding every occurrence, and a layer with a
real but imperfect signal); the weights-of-evidence tables and the uncertainty of one
member are checked on the library functions themselves.
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest

from .conftest import Sandbox, assert_clean_error, write_tiny_raster

X0, Y0 = 500000.0, 1350000.0
_RNG = np.random.default_rng(0)
CELLS = sorted({(int(r), int(c)) for r, c in zip(_RNG.integers(0, 40, 25),
                                                  _RNG.integers(0, 40, 25), strict=True)})
PLACES = [(X0 + 5 + 10 * c, Y0 + 400 - 5 - 10 * r) for r, c in CELLS]
FAST = {"n_estimators": 10}
FAST_CV = {"kind": "spatial_block", "n_splits": 3, "seeds": 1, "bootstrap": 0,
           "compare_random": False}


def _layers() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(7)
    label = np.zeros((40, 40))
    for r, c in CELLS:
        label[r, c] = 1.0
    corner = np.zeros((40, 40))
    corner[:3, :3] = 1.0
    return {
        "flat": np.full((40, 40), 3.0),
        "copy": label + rng.normal(0.0, 0.01, (40, 40)),  # a rasterised deposit map
        "empty": np.full((40, 40), -9999.0),
        "mined": np.maximum(label, corner),  # a pattern holding every occurrence
        "signal": rng.random((40, 40)) + 0.5 * label,  # evidence: ROC AUC about 0.88
    }


def _job(box: Sandbox, *, features: list[str], **model: object) -> None:
    (box.root / "wells.csv").write_text(
        "x,y\n" + "\n".join(f"{x},{y}" for x, y in PLACES) + "\n")
    for name, values in _layers().items():
        write_tiny_raster(box.root / f"{name}.tif", values=values.astype("float32"),
                          nodata=-9999.0)
    sources = [{"kind": "raster", "name": "heat", "path": "heat.tif"},
               *({"kind": "raster", "name": n, "path": f"{n}.tif"} for n in _layers()),
               {"kind": "points", "name": "wells", "path": "wells.csv", "x": "x", "y": "y",
                "crs": "EPSG:32619"}]
    box.write_job(sources=sources, model={
        "mineral": "lithium", "estimator": "random_forest", "params": FAST,
        "permutation_repeats": 0, "partial_dependence": 0, "labels": {"source": "wells"},
        "cv": FAST_CV, "features": features, **model})


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory, scheduler: str) -> Path:
    """The output folder of the tiny job ingested once (each case trains on a copy)."""
    from .conftest import run_in_process

    box = Sandbox(tmp_path_factory.mktemp("models13") / "box")
    _job(box, features=["heat"])
    result = run_in_process("ingest", box.job_path, "-o", box.out, "--scheduler", scheduler)
    assert result.code == 0, result.err[-3000:]
    return box.out


def _train(box: Sandbox, cli, scheduler: str, ingested: Path):
    shutil.copytree(ingested, box.out)
    return cli("train", box.job_path, "-o", box.out, "--scheduler", scheduler)


def _said(result, *needles: str) -> bool:
    squash = "".join((result.out + result.err).split())
    return all("".join(n.split()) in squash for n in needles)


# -- evidence layers that are not evidence -------------------------------------------------

def test_a_layer_that_separates_the_occurrences_alone_is_a_warning(
    sandbox: Sandbox, cli, scheduler: str, ingested: Path,
) -> None:
    """Before: a near copy of the labels (a rasterised deposit map) trained to a spatial ROC
    AUC of 1.000, exit 0, without a word: the leakage check knows only surfaces that
    ingest made from the label points."""
    _job(sandbox, features=["heat", "copy"])
    result = _train(sandbox, cli, scheduler, ingested)
    assert result.code == 0, (result.out + result.err)[-3000:]
    assert _said(result, "feature 'copy' alone separates the", "ROC AUC 1.000 on its own",
                 "leave it out of model.features"), (result.out + result.err)[-3000:]
    seen = json.loads((sandbox.out / "model" / "metrics.json").read_text())["labels"]
    assert list(seen["features_separating_alone"]) == ["copy"]
    assert sandbox.untouched()


def test_a_constant_layer_is_a_warning(
    sandbox: Sandbox, cli, scheduler: str, ingested: Path,
) -> None:
    """Before: a layer of one value everywhere trained as evidence without a word."""
    _job(sandbox, features=["heat", "flat"])
    result = _train(sandbox, cli, scheduler, ingested)
    assert result.code == 0, (result.out + result.err)[-3000:]
    assert _said(result, "feature(s) ['flat'] hold one value", "carry no evidence")
    assert sandbox.untouched()


def test_a_layer_without_data_is_named_not_blamed_on_the_background_draw(
    sandbox: Sandbox, cli, scheduler: str, ingested: Path,
) -> None:
    """Before: "background: no cell of region 'tiny' can be drawn: the region holds no
    unlabelled cells with data; use negatives: below_threshold, or a larger region"."""
    _job(sandbox, features=["heat", "empty"])
    result = _train(sandbox, cli, scheduler, ingested)
    line = assert_clean_error(result, 1, "wells.csv", "0 positive(s) remain",
                              "empty has no data at any labelled cell", "model.features")
    assert "background" not in line
    assert not (sandbox.out / "model").exists()
    assert sandbox.untouched()


def test_real_evidence_is_not_warned_of_and_keeps_its_calibration(
    sandbox: Sandbox, cli, scheduler: str, ingested: Path,
) -> None:
    """Control: a layer with a strong but imperfect signal (ROC AUC about 0.88 on its own)
    raises neither warning, and its isotonic calibration is not flat."""
    _job(sandbox, features=["heat", "signal"], calibration="isotonic")
    result = _train(sandbox, cli, scheduler, ingested)
    assert result.code == 0, (result.out + result.err)[-3000:]
    assert not _said(result, "alone separates")
    assert not _said(result, "hold one value")
    assert not _said(result, "calibration: the isotonic map is flat")
    facts = json.loads((sandbox.out / "model" / "metrics.json").read_text())
    assert not facts["labels"].get("features_separating_alone")
    assert not facts["labels"].get("features_constant")
    assert "flat" not in facts["calibration"]
    assert sandbox.untouched()


# -- calibration and weights of evidence that publish one value everywhere --------------------

def test_a_flat_calibration_map_is_a_warning() -> None:
    """Before: isotonic calibration of out-of-fold probabilities that rank the positives
    below the background (a model without skill: spatial ROC AUC 0.447 on a tiny job)
    mapped every cell to one value (0.0909), uncertainty 0, and the map was published with
    only the "no skill" line."""
    from sklearn.ensemble import RandomForestClassifier

    from prospect.config.model import ModelConfig
    from prospect.errors import DataWarning
    from prospect.models.evaluate import CVResult
    from prospect.models.training import calibrate

    rng = np.random.default_rng(0)
    X = rng.random((200, 2))
    y = (np.arange(200) < 20).astype(int)
    final = RandomForestClassifier(n_estimators=5, random_state=0).fit(X, y)
    cfg = ModelConfig(mineral="lithium", labels={"source": "w"}, calibration="isotonic")
    anti = CVResult(scheme="spatial_block", oof=np.where(y == 1, 0.1, 0.2) + X[:, 0] * 0.01,
                    fold=np.zeros(200, "i8"))
    with pytest.warns(DataWarning, match="calibration: the isotonic map is flat"):
        model, facts = calibrate(final, anti, X, y, cfg)
    assert facts["flat"] and np.ptp(model.predict_proba(X)[:, 1]) == 0
    ranked = CVResult(scheme="spatial_block", oof=np.where(y == 1, 0.6, 0.2) + X[:, 0] * 0.3,
                      fold=np.zeros(200, "i8"))
    import warnings

    with warnings.catch_warnings():  # control: a ranking keeps its map
        warnings.simplefilter("error", DataWarning)
        # 200 rows: isotonic calibration on so few is a warning of its own since round 18
        warnings.filterwarnings("ignore", "calibration: isotonic map fitted on",
                                DataWarning)
        _, facts = calibrate(final, ranked, X, y, cfg)
    assert "flat" not in facts


def test_weights_of_evidence_with_every_layer_undefined_is_a_warning(
    sandbox: Sandbox, cli, scheduler: str, ingested: Path,
) -> None:
    """Before: a layer whose pattern holds every occurrence has W- = ln 0 at every cut-off,
    so it was left out; with no layer left the map was the prior in every cell (spatial ROC
    AUC 0.500), exit 0, reported as "no skill"."""
    _job(sandbox, features=["mined"], estimator="weights_of_evidence", params={})
    result = _train(sandbox, cli, scheduler, ingested)
    assert result.code == 0, (result.out + result.err)[-3000:]
    assert _said(result, "weights of evidence: every layer ['mined'] has no defined weight",
                 "the map is the prior, one value in every cell")
    assert sandbox.untouched()


def test_weights_of_evidence_with_defined_weights_is_not_warned_of(
    sandbox: Sandbox, cli, scheduler: str, ingested: Path,
) -> None:
    """Control: a layer with a defined cut-off is not named."""
    _job(sandbox, features=["signal"], estimator="weights_of_evidence", params={})
    result = _train(sandbox, cli, scheduler, ingested)
    assert result.code == 0, (result.out + result.err)[-3000:]
    assert not _said(result, "no defined weight")
    assert sandbox.untouched()


def test_a_zero_count_from_float_area_sums_leaves_the_weight_undefined() -> None:
    """Before: N(~B & ~D) came out as 2e-13 (area weights of background rows summed in
    floats), not 0, so W- was "defined" at 36.5 with s(W-) = 2e6."""
    from prospect.models.woe_tables import binary_weights

    row = binary_weights(1575.9999999999993, 0.0, 1599.9999999999995, 24.0)
    assert not row["defined_minus"] and math.isnan(row["w_minus"])
    # the pattern outside holds deposits only: W- is ln(x / 0), undefined
    row = binary_weights(1500.0, 10.0, 1514.0000000000002, 24.0)
    assert not row["defined_minus"] and math.isnan(row["s_w_minus"])
    assert row["defined_plus"]


def test_weights_of_evidence_tables_match_bonham_carter() -> None:
    """Control: W+, W-, their variances and the studentized contrast of a pattern, by
    hand (Bonham-Carter, 1994, ch. 9)."""
    from prospect.models.woe_tables import binary_weights

    row = binary_weights(100.0, 10.0, 1600.0, 24.0)
    n_bd, n_bnd, n_nbd, n_nbnd = 10.0, 90.0, 14.0, 1486.0
    w_plus = math.log((n_bd / 24) / (n_bnd / 1576))
    w_minus = math.log((n_nbd / 24) / (n_nbnd / 1576))
    s_c = math.sqrt(1 / n_bd + 1 / n_bnd + 1 / n_nbd + 1 / n_nbnd)
    assert row["w_plus"] == pytest.approx(w_plus, rel=1e-12)
    assert row["w_minus"] == pytest.approx(w_minus, rel=1e-12)
    assert row["s_contrast"] == pytest.approx(s_c, rel=1e-12)
    assert row["studentized_contrast"] == pytest.approx((w_plus - w_minus) / s_c, rel=1e-12)
    assert row["defined"]


# -- one member, no spread --------------------------------------------------------------------

@pytest.mark.parametrize("estimator", ["random_forest", "extra_trees", "bagging_pu"])
def test_an_ensemble_of_one_member_is_refused_at_load(
    sandbox: Sandbox, cli, estimator: str,
) -> None:
    """Before: ``n_estimators: 1`` trained and published an uncertainty map of exactly 0 in
    every cell (the spread of one member), exit 0."""
    _job(sandbox, features=["heat"], estimator=estimator, params={"n_estimators": 1})
    result = cli("train", sandbox.job_path, "-o", sandbox.out)
    assert_clean_error(result, 2, "job.yaml", "model.params.n_estimators = 1",
                       "one member has none", "at least 2")
    assert not (sandbox.out / "cube.zarr").exists()
    assert sandbox.untouched()


def test_two_members_are_accepted() -> None:
    """Control: the least ensemble with a spread loads."""
    from prospect.config.model import ModelConfig, check_params

    for name in ("random_forest", "extra_trees", "bagging_pu"):
        check_params(ModelConfig(mineral="lithium", estimator=name,
                                 params={"n_estimators": 2}, labels={"source": "w"}))


def test_the_uncertainty_of_one_member_is_unknown_not_zero() -> None:
    """Before: a fitted forest or PU bag of one member (a model file from elsewhere) gave
    an uncertainty of 0 in every cell."""
    from sklearn.ensemble import RandomForestClassifier

    from prospect.models import predict_with_uncertainty
    from prospect.models.pu import BaggingPUClassifier

    rng = np.random.default_rng(0)
    X = rng.random((80, 2))
    y = (X[:, 0] > 0.6).astype(int)
    for model in (RandomForestClassifier(n_estimators=1, random_state=0),
                  BaggingPUClassifier(n_estimators=1, random_state=0)):
        p, s = predict_with_uncertainty(model.fit(X, y), X)
        assert np.isfinite(p).all()
        assert np.isnan(s).all(), type(model).__name__
    p, s = predict_with_uncertainty(RandomForestClassifier(
        n_estimators=2, random_state=0).fit(X, y), X)
    assert np.isfinite(s).all()  # control: two members have a spread

