"""Round 31: weights of evidence's reliability figures read against the training rows, and
a layer of one value at most training cells whose scale was never compared.

A registry folder copied through git (``core.autocrlf``) or a Windows zip tool has its
``card.json``, ``card.md`` and ``schema.json`` in CRLF, and one whose copy did not finish
a ``model.skops`` cut short: refused (rightly) as "tampered or corrupt", which reads as an
attack, where the copy is what to redo.

Weights of evidence's probability is Bonham-Carter's posterior probability of a deposit
per unit cell; its reliability diagram and Brier score set it against the training rows'
share of positives (0.09 at 10 background cells per positive, where the area's deposits
per unit cell are 0.0075), so the posterior read as under-forecast by construction. A
continuous layer holding one value at most training cells (a rare rock type's fraction, 0
at 97 % of them) had no 5-95 % spread, so the check that tells a layer in percent from
one in fractions (both ``units: "1"``) compared nothing, and the map was scored silently.

Library cases on a small SYNTHETIC cube and its wells, trained with the train stage's own
functions; the input comparison on small SYNTHETIC zarr cubes, as ``score_model`` runs it.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from sklearn.calibration import calibration_curve
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss

from .conftest import assert_clean_error

GRID_KW: dict[str, Any] = {
    "crs": "EPSG:32619",
    "resolution": 10.0,
    "bounds": (500_000.0, 1_000_000.0, 500_400.0, 1_000_400.0),
    "chunks": (20, 20),
}


def _grid() -> Any:
    from prospect.grid import RegionGrid

    return RegionGrid(**GRID_KW, name="r31")


def _cube(path: Path, layers: dict[str, np.ndarray]) -> Any:
    """A SYNTHETIC zarr cube on :func:`_grid` holding ``layers`` (``units: "1"``)."""
    from prospect.io.cube import add_variables, create_cube, open_cube
    from prospect.testing import float_layer

    create_cube(path, _grid(), attrs={"synthetic": True})
    like = open_cube(path)
    add_variables(
        path,
        xr.Dataset(
            {
                n: float_layer(
                    v, name=n, units="1", long_name=n, like=like, provenance={"source": "synthetic"}
                )
                for n, v in layers.items()
            }
        ),
    )
    return open_cube(path)


@pytest.fixture(scope="module")
def woe(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A 40 x 40 SYNTHETIC cube (``heat``, ``depth``), 12 wells where ``heat`` is high,
    and a weights-of-evidence model trained on them as the train stage trains one."""
    from prospect.config.model import ModelConfig
    from prospect.config.sources import PointSource
    from prospect.features import build_stack
    from prospect.models import make_estimator, uses_area_weights
    from prospect.models.training import (
        build_training_set,
        calibrate,
        cv_schemes,
        fit_all,
        resolve_cv,
        select_features,
    )

    root = tmp_path_factory.mktemp("models31")
    grid = _grid()
    rng = np.random.default_rng(31)
    heat = rng.random(grid.shape)
    ds = _cube(root / "cube.zarr", {"heat": heat, "depth": rng.random(grid.shape)})
    hot = np.argwhere(heat > 0.9)
    pick = hot[rng.choice(len(hot), 12, replace=False)]
    wells = root / "wells.csv"
    pd.DataFrame({"x": grid.x[pick[:, 1]], "y": grid.y[pick[:, 0]]}).to_csv(wells, index=False)
    source = PointSource(name="wells", path=wells, x="x", y="y", crs="EPSG:32619")
    cfg = ModelConfig(
        mineral="lithium",
        estimator="weights_of_evidence",
        features=["heat", "depth"],
        labels={"source": "wells", "background_ratio": 10},
        cv={"n_splits": 3, "block_size": 100.0, "seeds": 1, "bootstrap": 0},
        permutation_repeats=0,
        partial_dependence=0,
    )
    spec = select_features(ds, cfg, labels_path=wells)
    ts = build_training_set(build_stack(ds, spec), spec, grid=grid, source=source, cfg=cfg)
    names = spec.names()
    estimator = make_estimator(
        cfg, n_features=len(names), categorical=[], cell_area=100.0, feature_names=names
    )
    cv = resolve_cv(ts, cfg, resolution=grid.resolution)
    sw = ts.weight if uses_area_weights(cfg.estimator) else None
    results, final, _ = fit_all(
        estimator, ts, cv_schemes(ts, cfg, cv=cv), cfg, sample_weight=sw, feature_names=names
    )
    model, calibration = calibrate(final, results["spatial_block"], ts.X, ts.y, cfg)
    spatial = results["spatial_block"]
    tested = spatial.fold >= 0
    return {
        "model": model,
        "calibration": calibration,
        "oof": (ts.y[tested], spatial.oof[tested], ts.weight[tested]),
    }


# -- weights of evidence's reliability per unit cell ---------------------------------------


def test_weights_of_evidence_reliability_is_per_unit_cell_of_the_area(
    woe: dict[str, Any],
) -> None:
    """SYNTHETIC: the reliability figures set the posterior per unit cell against the
    training rows' share of positives (0.0909 here; the top bin's observed share 0.56
    against a predicted 0.11: "under-forecast" by construction). With the rows weighed as
    the area they stand for, the observed share is the deposits per unit cell: the
    prior, 12 in 1600 = 0.0075, and the Brier score is one of the area's unit cells."""
    from prospect.models.summary import scale_facts

    y, scores, weight = woe["oof"]
    before = woe["calibration"]["spatial_oof_before"]
    assert before["prevalence"] == pytest.approx(12 / 132)  # by rows, as calibrate gives it
    facts = scale_facts(woe["calibration"], woe["model"], oof=woe["oof"])
    rel = facts["spatial_oof_before"]
    assert rel["weighted"] == "area"
    assert rel["prevalence"] == pytest.approx(12 / 1600)
    assert rel["brier"] == pytest.approx(brier_score_loss(y, scores, sample_weight=weight))
    assert rel["brier"] < before["brier"] / 5
    # the bins' area-weighted observed shares average back to the prior
    assert max(rel["fraction_positive"]) < 0.2 < max(before["fraction_positive"])
    assert "weigh each spatial out-of-fold row as the area it stands for" in facts["note"]
    assert "where positives are more frequent than in the area" not in facts["note"]


def test_a_weighted_reliability_table_is_the_weighted_hand_count() -> None:
    """SYNTHETIC: ``reliability`` with area weights puts equal shares of the weight in
    each bin and gives each bin's weighted mean score and weighted share of positives."""
    from prospect.models.evaluate import reliability

    scores = np.array([0.1, 0.1, 0.2, 0.2, 0.8, 0.9])
    y = np.array([0, 0, 0, 1, 1, 1])
    weight = np.array([30.0, 30.0, 30.0, 1.0, 1.0, 1.0])
    rel = reliability(y, scores, n_bins=2, sample_weight=weight)
    # half the weight (46.5 of 93) lies at 0.1; the rest from 0.2 up
    assert rel["mean_predicted"] == pytest.approx([0.1, (6.2 + 1.7) / 33])
    assert rel["fraction_positive"] == pytest.approx([0.0, 3 / 33])
    assert rel["prevalence"] == pytest.approx(3 / 93)
    assert rel["brier"] == pytest.approx(brier_score_loss(y, scores, sample_weight=weight))


def test_an_unweighted_reliability_table_is_scikit_learns() -> None:
    """Control (SYNTHETIC): without weights the table is ``calibration_curve``'s
    quantile bins and the Brier score ``brier_score_loss``, as before."""
    from prospect.models.evaluate import reliability

    rng = np.random.default_rng(3)
    scores = rng.random(300)
    y = (rng.random(300) < scores).astype(int)
    rel = reliability(y, scores)
    frac, mean = calibration_curve(y, scores, n_bins=10, strategy="quantile")
    assert rel["mean_predicted"] == mean.tolist()
    assert rel["fraction_positive"] == frac.tolist()
    assert rel["brier"] == brier_score_loss(y, scores)
    assert "weighted" not in rel


def test_other_models_reliability_is_left_as_it_was(woe: dict[str, Any]) -> None:
    """Control (SYNTHETIC): a forest's figures (relative scores) are not redone."""
    from sklearn.ensemble import RandomForestClassifier

    from prospect.models.summary import scale_facts

    y, scores, weight = woe["oof"]
    X = np.column_stack([scores, weight])
    forest = RandomForestClassifier(n_estimators=3, random_state=0).fit(X, y)
    facts = {"method": "none", "spatial_oof_before": {"brier": 0.1}, "note": "n"}
    given = {"oof": woe["oof"]} if "oof" in inspect.signature(scale_facts).parameters else {}
    assert scale_facts(facts, forest, **given) is facts


# -- the scale of a layer of one value at most training cells ------------------------------


def _sparse(rng: np.random.Generator, shape: tuple[int, ...], share: float = 0.03) -> np.ndarray:
    """A fraction of a rare rock type: 0 but in ``share`` of the cells."""
    return np.where(rng.random(shape) < share, rng.random(shape), 0.0)


@pytest.fixture(scope="module")
def sparse(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The input schema of a model trained on ``carbonate`` (a fraction, 0 at 97 % of the
    2000 training cells) and ``heat``, and its training record."""
    from prospect.registry.applicability import training_values

    rng = np.random.default_rng(31)
    X = np.column_stack([_sparse(rng, (2000,)), rng.random(2000)])
    seen = training_values(X, ["carbonate", "heat"])
    assert seen["carbonate"]["q05"] == seen["carbonate"]["q95"] == 0.0
    schema = {
        "variables": [
            {"name": n, "units": "1", "prospect_kind": "continuous", "training": seen[n]}
            for n in ("carbonate", "heat")
        ]
    }
    return {"schema": schema, "root": tmp_path_factory.mktemp("sparse31")}


@pytest.mark.parametrize("scale", [100.0, 1e-4], ids=["percent", "ppm"])
def test_a_layer_of_one_value_at_most_training_cells_in_another_scale_is_warned_of(
    sparse: dict[str, Any], scale: float
) -> None:
    """SYNTHETIC: the cube's ``carbonate`` in percent (or a ppm layer read as %, 1e-4 x)
    with the same ``units: "1"``: its 5-95 % spread is 0 at training and in the cube, so
    the spread was not compared, and only 3 % of the cells lie outside the training
    range (under the half that is warned of). No word, and a wrong map. Now its 1-99 %
    spread is compared and named."""
    from prospect.registry.applicability import input_warnings

    rng = np.random.default_rng(7)
    shape = _grid().shape
    cube = _cube(
        sparse["root"] / f"x{scale:g}.zarr",
        {"carbonate": _sparse(rng, shape) * scale, "heat": rng.random(shape)},
    )
    lines = input_warnings(cube, sparse["schema"])
    said = [line for line in lines if line.startswith("variable 'carbonate'")]
    assert len(said) == 1, lines
    assert " for 1-99 %" in said[0]
    found = re.search(r"its 1-99 % spread is (\S+) x the training 1-99 % spread", said[0])
    assert found is not None, said[0]
    assert float(found[1]) == pytest.approx(scale, rel=0.5)
    assert "percent vs fraction" in said[0]


def test_a_layer_of_one_value_at_most_training_cells_in_its_scale_is_not_warned_of(
    sparse: dict[str, Any],
) -> None:
    """Control (SYNTHETIC): the same kind of layer on the same scale is not warned of."""
    from prospect.registry.applicability import input_warnings

    rng = np.random.default_rng(8)
    shape = _grid().shape
    cube = _cube(
        sparse["root"] / "same.zarr",
        {"carbonate": _sparse(rng, shape), "heat": rng.random(shape)},
    )
    assert input_warnings(cube, sparse["schema"]) == []


def test_a_layer_with_a_spread_keeps_its_words() -> None:
    """Control (SYNTHETIC): a layer with a 5-95 % spread at training is compared on it
    and said as before."""
    from prospect.registry.applicability import training_values, value_lines

    rng = np.random.default_rng(9)
    seen = training_values(rng.random((500, 1)), ["heat"])["heat"]
    line = value_lines("heat", seen, rng.random(4000) * 100)
    assert len(line) == 1
    assert " for 5-95 %, median " in line[0]
    assert "its spread is " in line[0] and "x the training spread" in line[0]
    assert value_lines("heat", seen, rng.random(4000)) == []


# -- a registry copied with its line endings changed ---------------------------------------

SCHEMA: dict[str, Any] = {
    "variables": [
        {"name": n, "units": "1", "dtype": "float32", "prospect_kind": "continuous"}
        for n in ("heat", "depth")
    ],
    "crs": "EPSG:32619",
    "resolution": 10.0,
    "feature_order": ["heat", "depth"],
}


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A registry holding model ``li`` version 1 (a SYNTHETIC logistic regression)."""
    from prospect.registry import ModelRegistry, save_model

    root = tmp_path_factory.mktemp("reg31")
    rng = np.random.default_rng(0)
    X = rng.random((200, 2))
    model = LogisticRegression().fit(X, (X[:, 0] > 0.8).astype(int))
    folder = save_model(
        model, root / "m", card={"mineral": "lithium", "synthetic": True}, schema=SCHEMA
    )
    ModelRegistry(root / "reg").publish(folder, "li")
    return root / "reg"


def _copy(registry: Path, to: Path, change: Any) -> Path:
    """A copy of ``registry`` whose version ``li/1`` text files went through ``change``."""
    import shutil

    shutil.copytree(registry, to)
    for name in ("card.json", "card.md", "schema.json"):
        path = to / "li" / "1" / name
        path.chmod(0o644)
        path.write_bytes(change(path.read_bytes()))
    return to


def test_a_registry_copied_with_crlf_line_endings_says_the_copy_changed_them(
    cli: Any, registry: Path, tmp_path: Path
) -> None:
    """SYNTHETIC: a registry copied through git with ``core.autocrlf``: ``model show``
    said "the model files were changed after saving (tampered or corrupt)". Now it says
    that only their line endings were changed, by the copy, and how to copy again (exit
    1 before and after; refused: the bytes are not the ones saved)."""
    copy = _copy(registry, tmp_path / "copy", lambda b: b.replace(b"\n", b"\r\n"))
    result = cli("model", "show", "li", "-r", copy)
    text = result.out + result.err
    assert result.code == 1, text
    assert "Traceback" not in text
    assert "only the line endings of the model's text files were changed" in text
    assert "(CRLF line endings where LF was saved)" in text
    assert "tampered" not in text and "-text" in text


def test_a_registry_copied_with_its_model_file_cut_short_says_so(
    cli: Any, registry: Path, tmp_path: Path
) -> None:
    """SYNTHETIC: a copy that did not finish (or a full disk) left ``model.skops`` cut in
    half: "tampered or corrupt". Now the file's line says it is no whole zip archive,
    cut short, and the message to copy the folder again, whole."""
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(registry, copy)
    skops = copy / "li" / "1" / "model.skops"
    skops.chmod(0o644)
    data = skops.read_bytes()
    skops.write_bytes(data[: len(data) // 2])
    result = cli("model", "show", "li", "-r", copy)
    line = assert_clean_error(result, 1, "damaged by the copy", "copy the folder again, whole")
    assert "tampered" not in line
    assert f"not a whole zip archive, {len(data) // 2} bytes: cut short" in (
        result.out + result.err
    )


def test_a_model_saved_with_crlf_and_copied_as_lf_says_so(tmp_path: Path) -> None:
    """SYNTHETIC: the reverse, a model whose text files were saved in CRLF (on Windows)
    and converted to LF by the copy (git with ``core.autocrlf=input``)."""
    import hashlib

    from prospect.errors import ChangedFilesError
    from prospect.registry.checksums import verify_checksums

    data = b'{\r\n  "mineral": "lithium"\r\n}\r\n'
    (tmp_path / "card.json").write_bytes(data.replace(b"\r\n", b"\n"))
    sums = {"card.json": hashlib.sha256(data).hexdigest()}
    with pytest.raises(ChangedFilesError, match="LF line endings where CRLF was saved"):
        verify_checksums(tmp_path, sums)


def test_a_registry_whose_card_was_edited_is_still_tampered(
    cli: Any, registry: Path, tmp_path: Path
) -> None:
    """Control (SYNTHETIC): a card whose content was changed (with CRLF endings too) is
    refused as before, as changed after saving (only ``schema.json``'s line says its
    endings alone were changed)."""
    copy = _copy(
        registry,
        tmp_path / "copy",
        lambda b: b.replace(b"lithium", b"lithiun").replace(b"\n", b"\r\n"),
    )
    result = cli("model", "show", "li", "-r", copy)
    assert_clean_error(result, 1, "changed after saving (tampered or corrupt)")
    lines = (result.out + result.err).splitlines()
    card = [line for line in lines if line.strip().startswith("card.json:")]
    assert len(card) == 1 and "line endings" not in card[0], lines


def test_a_model_imported_a_third_time_names_each_copy(
    cli: Any, registry: Path, tmp_path: Path
) -> None:
    """SYNTHETIC: the third import of one model said "li/3 is the same model as li/1, 2
    ...; both are kept" (two versions named as one, three as "both")."""
    reg = tmp_path / "reg"
    for _ in range(3):
        result = cli("model", "import", registry / "li" / "1", "--name", "li", "-r", reg)
        assert result.code == 0, result.out + result.err
    said = " ".join((result.out + result.err).split())
    assert "li/3 is the same model as li/1, li/2 (the same fingerprint); all are kept" in said
