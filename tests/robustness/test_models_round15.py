"""Round 15, models: what the earlier rounds left, and scoring evidence unlike training's.

A tiny SYNTHETIC job (40 x 40 cells, about 30 occurrences) with four evidence layers: a
layer with a signal, its near twin (a correlated pair), a clay share in percent and a
categorical geology map. It runs once per module (ingest, train, score); a second cube
holds the same layers as a researcher might bring them: the clay share as a fraction, and
a geology unit the model never saw. The cases train on copies, reuse the model through a
registry, and call the pure functions directly.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from .conftest import Outcome, Sandbox, assert_clean_error, run_in_process, write_tiny_raster

X0, Y0 = 500000.0, 1350000.0
_RNG = np.random.default_rng(0)
CELLS = sorted({(int(r), int(c)) for r, c in zip(_RNG.integers(0, 40, 30),
                                                  _RNG.integers(0, 40, 30), strict=True)})
PLACES = [(X0 + 5 + 10 * c, Y0 + 400 - 5 - 10 * r) for r, c in CELLS]
FEATURES = ["signal", "twin", "clay", "geo"]


def _layers(*, brought: bool = False) -> dict[str, np.ndarray]:
    """The evidence; ``brought``: clay as a fraction, and geology unit 9 in the top rows."""
    rng = np.random.default_rng(7)
    label = np.zeros((40, 40))
    for r, c in CELLS:
        label[r, c] = 1.0
    signal = rng.random((40, 40)) + 0.5 * label
    twin = 2.0 * signal + rng.normal(0.0, 0.01, (40, 40))  # a near copy: r about 1
    clay = 100.0 * rng.random((40, 40))  # percent
    geo = np.repeat(np.arange(1, 5), 400).reshape(40, 40).astype("float64")
    if brought:
        clay = clay / 100.0  # the same clay, as a fraction
        geo[:5, :] = 9.0  # a unit of the new map: 200 cells
    return {"signal": signal, "twin": twin, "clay": clay, "geo": geo}


def _job(box: Sandbox, *, brought: bool = False, **model: Any) -> None:
    (box.root / "wells.csv").write_text(
        "x,y\n" + "\n".join(f"{x},{y}" for x, y in PLACES) + "\n")
    for name, values in _layers(brought=brought).items():
        write_tiny_raster(box.root / f"{name}.tif", values=values.astype("float32"),
                          nodata=-9999.0)
    sources: list[dict[str, Any]] = [
        {"kind": "raster", "name": n, "path": f"{n}.tif"} for n in ("signal", "twin", "clay")]
    sources += [{"kind": "raster", "name": "geo", "path": "geo.tif", "values": "categorical"},
                {"kind": "points", "name": "wells", "path": "wells.csv", "x": "x", "y": "y",
                 "crs": "EPSG:32619"}]
    box.write_job(sources=sources, model={
        "mineral": "lithium", "estimator": "random_forest", "params": {"n_estimators": 10},
        "permutation_repeats": 2, "partial_dependence": 0, "labels": {"source": "wells"},
        "cv": {"kind": "spatial_block", "n_splits": 3, "seeds": 1, "bootstrap": 0,
               "compare_random": False},
        "features": FEATURES, **model})


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory, scheduler: str) -> tuple[Sandbox, Outcome]:
    """The tiny job run once (ingest, train, score), and what the run printed."""
    box = Sandbox(tmp_path_factory.mktemp("models15") / "box")
    _job(box)
    result = run_in_process("run", box.job_path, "-o", box.out, "--scheduler", scheduler)
    assert result.code == 0, (result.out + result.err)[-3000:]
    return box, result


@pytest.fixture(scope="module")
def brought(tmp_path_factory: pytest.TempPathFactory, scheduler: str,
            finished: tuple[Sandbox, Outcome]) -> dict[str, Any]:
    """The job's model imported into a registry and scored on the brought cube."""
    root = tmp_path_factory.mktemp("brought")
    box = Sandbox(root / "box")
    _job(box, brought=True)
    done = run_in_process("ingest", box.job_path, "-o", box.out, "--scheduler", scheduler)
    assert done.code == 0, done.err[-3000:]
    registry = root / "registry"
    imported = run_in_process("model", "import", finished[0].out / "model", "--name", "li",
                              "--registry", registry)
    assert imported.code == 0, imported.err[-3000:]
    scored = run_in_process("model", "score", "li", "--cube", box.out / "cube.zarr", "-o",
                            root / "scored.zarr", "--registry", registry)
    same = run_in_process("model", "score", "li", "--cube", finished[0].out / "cube.zarr",
                          "-o", root / "same.zarr", "--registry", registry)
    return {"scored": scored, "same": same, "registry": registry}


def _said(result: Outcome, *needles: str) -> bool:
    squash = "".join((result.out + result.err).split())
    return all("".join(n.split()) in squash for n in needles)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _copy(finished: tuple[Sandbox, Outcome], box: Sandbox) -> None:
    shutil.copytree(finished[0].out, box.out)


# -- 1. the same inputs, the same model bytes -------------------------------------------

def test_two_trainings_of_one_job_give_the_same_model_bytes(
    sandbox: Sandbox, cli, scheduler: str, finished: tuple[Sandbox, Outcome],
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Before: ``model.skops`` differed between any two trainings of one job on the same
    data (skops names its members by object id and stamps each with the time), so a
    researcher could not verify a model by retraining it. With ``SOURCE_DATE_EPOCH`` the
    card's creation time is fixed too and the whole folder (its fingerprint) is the same."""
    _job(sandbox)
    _copy(finished, sandbox)
    again = cli("train", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler,
                "--force")
    assert again.code == 0, (again.out + again.err)[-3000:]
    model = sandbox.out / "model"
    assert _sha(model / "model.skops") == _sha(finished[0].out / "model" / "model.skops")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")  # 2026-01-01
    prints = []
    for _ in range(2):
        result = cli("train", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler,
                     "--force")
        assert result.code == 0, (result.out + result.err)[-3000:]
        prints.append(_sha(model / "checksums.json"))  # the model's fingerprint
    assert prints[0] == prints[1]
    card = json.loads((model / "card.json").read_text())
    assert card["created"] == "2026-01-01T00:00:00+00:00"
    assert _sha(model / "model.skops") == _sha(finished[0].out / "model" / "model.skops")


def test_a_model_fitted_on_a_worker_saves_the_bytes_of_one_fitted_here(tmp_path: Path) -> None:
    """Before: skops wrote the ids of the objects, so the same fitted model saved here and
    after a trip through pickle (a fit on a dask worker) gave two files. Both load to a
    model giving the same probabilities as the one fitted."""
    from prospect.config.model import ModelConfig
    from prospect.models import make_estimator
    from prospect.registry import load_model, save_model
    from prospect.registry.files import MODEL_FILE

    rng = np.random.default_rng(0)
    X = rng.random((200, 3))
    X[:, 2] = rng.integers(0, 4, 200)
    y = (X[:, 0] + 0.3 * rng.random(200) > 0.8).astype(int)
    cfg = ModelConfig(mineral="lithium", labels={"source": "w"},
                      estimator="logistic_regression", uncertainty_members=2)
    model = make_estimator(cfg, n_features=3, categorical=[2]).fit(X, y)
    schema = {"variables": [{"name": n} for n in ("a", "b", "unit")],
              "feature_order": ["a", "b", "unit"]}
    dirs = [save_model(m, tmp_path / name, card={"mineral": "lithium"}, schema=schema)
            for name, m in (("here", model), ("worker", pickle.loads(pickle.dumps(model))))]
    assert _sha(dirs[0] / MODEL_FILE) == _sha(dirs[1] / MODEL_FILE)
    loaded = load_model(dirs[1]).estimator
    assert np.array_equal(loaded.predict_proba(X), model.predict_proba(X))


def test_a_source_date_epoch_that_is_no_time_is_refused_before_training(
    sandbox: Sandbox, cli, scheduler: str, finished: tuple[Sandbox, Outcome],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """New setting, refused at once when it is no time (never after the fits)."""
    _job(sandbox)
    _copy(finished, sandbox)
    before = _sha(sandbox.out / "model" / "checksums.json")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    result = cli("train", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler,
                 "--force")
    assert_clean_error(result, 2, "SOURCE_DATE_EPOCH", "'yesterday'", "whole seconds")
    assert _sha(sandbox.out / "model" / "checksums.json") == before  # the model kept
    assert sandbox.untouched()


# -- 2. what an import swept --------------------------------------------------------------

def test_model_import_names_the_staging_folders_it_removed(
    cli, finished: tuple[Sandbox, Outcome], tmp_path: Path,
) -> None:
    """Before: an import removed the half-copied version folders killed imports had left
    (round 14) without a word."""
    registry = tmp_path / "registry"
    first = cli("model", "import", finished[0].out / "model", "--name", "li", "--registry",
                registry)
    assert first.code == 0, first.err[-3000:]
    assert "removed" not in first.out + first.err  # nothing to sweep, nothing said
    left = registry / "li" / ".2.staging-0123abcd"  # as a killed import leaves it
    left.mkdir()
    (left / "model.skops").write_bytes(b"PK\x03\x04 part of a model")
    second = cli("model", "import", finished[0].out / "model", "--name", "li",
                 "--registry", registry)
    assert second.code == 0, second.err[-3000:]
    assert not left.exists()
    assert _said(second, "removed 1 leftover staging folder(s) of imports killed mid-copy",
                 "li/.2.staging-0123abcd"), second.err


# -- 3. correlated layers share their importance ----------------------------------------------

def test_correlated_layers_are_named_as_sharing_their_importance(
    finished: tuple[Sandbox, Outcome],
) -> None:
    """Before: permutation importance of two correlated layers (a layer and its near
    twin) was split between them, each understated, without a word in the report, the
    run or the card."""
    box, result = finished
    assert _said(result, "permutation importance: strongly correlated features",
                 "'signal' and 'twin'", "importance is shared between them"), result.err
    model = box.out / "model"
    facts = json.loads((model / "metrics.json").read_text())
    assert [d["features"] for d in facts["correlated_features"]] == [["signal", "twin"]]
    assert facts["correlated_features"][0]["spearman"] > 0.99
    report = (model / "report" / "report.md").read_text()
    assert "share their importance" in report and "`signal` and `twin`" in report
    card = json.loads((model / "card.json").read_text())
    assert any("'signal' and 'twin'" in line for line in card["limitations"])


def test_correlation_pairs_take_rank_and_leave_classes_and_constants_out() -> None:
    """A monotonic but curved twin (Spearman 1, Pearson lower) is a pair; a categorical
    column, a constant and an independent layer are not (controls)."""
    from prospect.models.summary import correlated_features, importance_warnings

    rng = np.random.default_rng(1)
    a = rng.random(300)
    X = np.column_stack([a, np.exp(8 * a), rng.random(300), np.full(300, 2.0),
                         np.floor(a * 4)])
    names = ["a", "curved", "free", "flat", "unit"]
    pairs = correlated_features(X, names, categorical=[4])
    # the codes get no |r|; since round 54 ``unit`` (the quartile of ``a``) is a pair
    # with ``a`` by its correlation ratio (it holds a's information, shared with it)
    assert [d["features"] for d in pairs] == [["a", "curved"], ["unit", "a"]]
    assert pairs[0]["spearman"] == 1.0 and pairs[0]["pearson"] < 0.9
    assert pairs[1]["spearman"] is None and 0.9 < pairs[1]["correlation_ratio"] < 1.0
    facts = {"correlated_features": pairs, "cv": {"spatial_block": {"importance": {}}}}
    assert importance_warnings(facts) == []  # no importance computed: nothing to say
    facts["cv"]["spatial_block"]["importance"] = {"a": {"mean": 0.1, "std": 0.0}}
    assert "'a' and 'curved'" in importance_warnings(facts)[0]


# -- 4. and fuzzing: evidence unlike the training evidence ----------------------------------

def test_a_categorical_code_never_seen_in_training_is_a_warning_with_its_cells(
    brought: dict[str, Any],
) -> None:
    """Before: geology unit 9 (200 cells of the new map) was scored as "none of the known
    classes" without a word."""
    result = brought["scored"]
    assert result.code == 0, (result.out + result.err)[-3000:]
    assert _said(result, "warning: variable 'geo': 200 cell(s) hold 1 code(s) the model "
                 "never saw in training: 9 (200 cells)", "trained on codes 1, 2, 3, 4"), \
        result.err


def test_a_layer_in_other_units_is_a_warning(brought: dict[str, Any]) -> None:
    """Before: the clay share trained in percent and scored as a fraction (no units given
    either time, so the schema's units check saw nothing) made a wrong map without a
    word."""
    result = brought["scored"]
    assert result.code == 0, (result.out + result.err)[-3000:]
    assert _said(result, "warning: variable 'clay': the cube's values",
                 "are not like the model's training values",
                 "percent vs fraction"), result.err
    assert not _said(result, "variable 'signal'")  # unchanged layers are not named


def test_the_training_cube_itself_raises_no_such_warning(
    finished: tuple[Sandbox, Outcome], brought: dict[str, Any],
) -> None:
    """Control: the job's own score stage and ``model score`` of the training cube say
    nothing of the kind."""
    for result in (finished[1], brought["same"]):
        assert result.code == 0, (result.out + result.err)[-3000:]
        assert not _said(result, "never saw in training")
        assert not _said(result, "not like the model's training values")
    schema = json.loads((finished[0].out / "model" / "schema.json").read_text())
    seen = {v["name"]: v["training"] for v in schema["variables"]}
    assert seen["geo"]["codes"] == [1, 2, 3, 4]
    assert 0 <= seen["clay"]["q05"] < seen["clay"]["q95"] <= 100


def test_value_comparison_catches_shifts_and_scale_both_ways() -> None:
    """A shift (degrees Celsius read as kelvin) lies outside the training range; a layer
    trained as a fraction and scored in percent, or the reverse, is off in spread; a
    sample of the training distribution is not named (control)."""
    from prospect.registry.applicability import training_values, value_lines

    rng = np.random.default_rng(3)
    celsius = rng.normal(20.0, 5.0, (500, 1))
    seen = training_values(celsius, ["t"])["t"]
    assert "outside the training range" in value_lines("t", seen, celsius[:, 0] + 273.15)[0]
    assert value_lines("t", seen, rng.normal(20.0, 5.0, 800)) == []
    share = rng.random((500, 1))
    frac = training_values(share, ["s"])["s"]
    assert "spread is" in value_lines("s", frac, 100 * rng.random(800))[0]
    pct = training_values(100 * share, ["s"])["s"]
    assert "spread is" in value_lines("s", pct, rng.random(800))[0]


def test_a_model_from_another_crs_is_refused_not_scored(
    cli, scheduler: str, brought: dict[str, Any], tmp_path: Path,
) -> None:
    """Control (round 10 refusal still holds beside the new checks): a cube in another
    CRS is refused with the CRS named and ``--reproject`` offered; nothing is written."""
    box = Sandbox(tmp_path / "other")
    _job(box)
    job = yaml.safe_load(box.job_path.read_text())
    job["region"] = {"name": "utm20", "crs": "EPSG:32620", "resolution": 10.0,
                     "bounds": [500000.0, 1350000.0, 500400.0, 1350400.0], "chunks": [20, 20]}
    for source in job["sources"]:
        source["crs"] = "EPSG:32620"
    box.write_job(text=yaml.safe_dump(job, sort_keys=False))
    for name in FEATURES:  # the same layers, written in the other zone
        _write_in(box.root / f"{name}.tif", "EPSG:32620")
    done = cli("ingest", box.job_path, "-o", box.out, "--scheduler", scheduler)
    assert done.code == 0, done.err[-3000:]
    result = cli("model", "score", "li", "--cube", box.out / "cube.zarr", "-o",
                 tmp_path / "x.zarr", "--registry", brought["registry"])
    text = result.out + result.err
    assert result.code != 0 and "EPSG:32619" in text and "--reproject" in text, text[-2000:]
    assert not (tmp_path / "x.zarr").exists()


def _write_in(path: Path, crs: str) -> None:
    import rasterio

    with rasterio.open(path) as src:
        data, profile = src.read(), src.profile
    profile["crs"] = crs
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data)
