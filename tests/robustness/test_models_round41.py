"""Round 41, models and reuse: weights of evidence on a layer holding infinities (and a map
that scores no cell said in another estimator's rule), layers left out of weights of
evidence for a reason no evidence setting changes, a model card's heading cut by a deposit
type written as a YAML block, and a unit cell of no area.

Library cases on round 31's 40 x 40 SYNTHETIC cube and 12 SYNTHETIC wells where ``heat``
is high (trained with the train stage's own functions); ``prospect model score`` in this
process on a tiny SYNTHETIC weights-of-evidence model and an 8 x 8 SYNTHETIC cube; the
weights-of-evidence lines on SYNTHETIC rows.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from .test_models_round31 import _cube, _grid
from .test_models_round36 import CARD, SCHEMA, _fitted


def _trained(root: Path, holes: np.ndarray, heat: np.ndarray, pick: np.ndarray
             ) -> dict[str, Any]:
    """Weights of evidence on the SYNTHETIC cube (``heat``, ``holes``) and wells at
    ``pick``, cross-validated and fitted as the train stage does."""
    from prospect.config.model import ModelConfig
    from prospect.config.sources import PointSource
    from prospect.features import build_stack
    from prospect.models import make_estimator, uses_area_weights
    from prospect.models.training import (
        build_training_set,
        cv_schemes,
        fit_all,
        resolve_cv,
        select_features,
    )

    grid = _grid()
    ds = _cube(root / "cube.zarr", {"heat": heat, "holes": holes})
    wells = root / "wells.csv"
    pd.DataFrame({"x": grid.x[pick[:, 1]], "y": grid.y[pick[:, 0]]}).to_csv(wells, index=False)
    source = PointSource(name="wells", path=wells, x="x", y="y", crs="EPSG:32619")
    cfg = ModelConfig(mineral="lithium", estimator="weights_of_evidence",
                      features=["heat", "holes"],
                      labels={"source": "wells", "background_ratio": 10},
                      cv={"n_splits": 3, "block_size": 100.0, "seeds": 1, "bootstrap": 0},
                      permutation_repeats=0, partial_dependence=0)
    spec = select_features(ds, cfg, labels_path=wells)
    names = spec.names()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ts = build_training_set(build_stack(ds, spec), spec, grid=grid, source=source, cfg=cfg)
        est = make_estimator(cfg, n_features=len(names), categorical=[], cell_area=100.0,
                             feature_names=names)
        cv = resolve_cv(ts, cfg, resolution=grid.resolution)
        sw = ts.weight if uses_area_weights(cfg.estimator) else None
        _, final, _ = fit_all(est, ts, cv_schemes(ts, cfg, cv=cv), cfg, sample_weight=sw,
                              feature_names=names)
    return {"ts": ts, "final": final, "names": names}


@pytest.fixture(scope="module")
def scene() -> dict[str, Any]:
    """SYNTHETIC ``heat`` on round 31's grid and 12 well cells where it is above 0.9."""
    grid = _grid()
    rng = np.random.default_rng(41)
    heat = rng.random(grid.shape)
    hot = np.argwhere(heat > 0.9)
    pick = hot[rng.choice(len(hot), 12, replace=False)]
    return {"heat": heat, "pick": pick, "holes": rng.random(grid.shape)}


def _weights(final: Any) -> list[tuple[Any, ...]]:
    model = final.steps[-1][1] if hasattr(final, "steps") else final
    return [(ev["kind"], float(ev["threshold"]), tuple(np.round(ev["weights"], 12)))
            for ev in model.evidence_]


# -- 1. weights of evidence on a layer holding infinities ----------------------------------

def test_weights_of_evidence_trains_on_a_layer_holding_infinities(
        scene: dict[str, Any], tmp_path: Path) -> None:
    """SYNTHETIC: a layer ``holes`` holding +inf and -inf at a ninth of the cells (a band
    ratio over a zero band, a layer from another tool), 6 wells or more among them. Every
    other path takes a non-finite value as no data (the training rows' gaps, the cells a
    map scores), and the train stage counted those wells as on ``holes``' gaps; but
    weights of evidence stopped in scikit-learn's "Input X contains infinity" (a
    traceback). Now the infinities are gaps: the weights are those of the same cube with
    NaN there, to the last digit."""
    pick = scene["pick"]
    inf = scene["holes"].copy()
    inf[::3, ::3] = np.inf
    inf[1::3, ::3] = -np.inf
    inf[pick[:6, 0], pick[:6, 1]] = np.inf
    nan = np.where(np.isfinite(inf), inf, np.nan)
    (tmp_path / "inf").mkdir()
    (tmp_path / "nan").mkdir()
    got = _trained(tmp_path / "inf", inf, scene["heat"], pick)
    want = _trained(tmp_path / "nan", nan, scene["heat"], pick)
    on_inf = int((~np.isfinite(inf[pick[:, 0], pick[:, 1]])).sum())
    assert on_inf >= 6
    assert got["ts"].counts["positives_on_gaps"] == {"holes": on_inf}
    assert _weights(got["final"]) == _weights(want["final"])
    rows = np.where(np.isfinite(got["ts"].X), got["ts"].X, np.nan)
    np.testing.assert_array_equal(got["final"].predict_proba(got["ts"].X),
                                  want["final"].predict_proba(rows))


@pytest.fixture(scope="module")
def woe_registry(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A registry holding a SYNTHETIC weights-of-evidence model ``woe`` and a logistic
    regression ``lr`` (layers ``a``, ``b``), and SYNTHETIC 8 x 8 cubes of those layers:
    ``cube.zarr``, where ``a`` holds +inf at 3 cells and -inf at one; ``inf.zarr``, where
    ``a`` is +inf everywhere; ``empty.zarr``, where neither has data."""
    import xarray as xr
    from sklearn.linear_model import LogisticRegression

    from prospect.grid import RegionGrid
    from prospect.io.cube import add_variables, create_cube, open_cube
    from prospect.models.woe import WeightsOfEvidenceClassifier
    from prospect.registry import ModelRegistry, save_model
    from prospect.testing import float_layer

    root = tmp_path_factory.mktemp("r41")
    rng = np.random.default_rng(41)
    X = rng.random((400, 2))
    y = (rng.random(400) < np.where(X[:, 0] > 0.7, 0.15, 0.01)).astype(int)
    woe = WeightsOfEvidenceClassifier(feature_names=["a", "b"], ci_draws=0).fit(X, y)
    reg = ModelRegistry(str(root / "reg"))
    reg.publish(save_model(woe, root / "woe", card=CARD, schema=SCHEMA), "woe", version="1")
    reg.publish(save_model(LogisticRegression().fit(X, y), root / "lr", card=CARD,
                           schema=SCHEMA), "lr", version="1")
    grid = RegionGrid("EPSG:32619", 100.0, (560000.0, 1330000.0, 560800.0, 1330800.0),
                      chunks=(8, 8), name="r41")
    a, b = rng.random(grid.shape), rng.random(grid.shape)
    a[0, :3] = np.inf
    a[1, 0] = -np.inf
    for name, layers in (("cube.zarr", (a, b)),
                         ("inf.zarr", (np.full(grid.shape, np.inf), b)),
                         ("empty.zarr", (np.full(grid.shape, np.nan),) * 2)):
        create_cube(root / name, grid, attrs={"synthetic": True})
        like = open_cube(root / name)
        add_variables(root / name, xr.Dataset({
            n: float_layer(v, name=n, units="1", long_name=n,
                           provenance={"source": "synthetic"}, like=like)
            for n, v in zip(("a", "b"), layers, strict=True)}))
    return {"root": root, "reg": root / "reg", "cube": root / "cube.zarr", "woe": woe,
            "a": a, "b": b}


def _scored(cli: Any, found: dict[str, Any], name: str) -> np.ndarray:
    import xarray as xr

    out = found["root"] / f"{name}.zarr"
    result = cli("model", "score", name, "-r", found["reg"], "--cube", found["cube"],
                 "-o", out)
    assert result.code == 0, (result.out + result.err)[-3000:]
    assert "Traceback" not in result.out + result.err
    with xr.open_zarr(out) as ds:
        return np.asarray(ds["probability"].values, "f8")


def test_model_score_of_weights_of_evidence_takes_infinite_cells_as_gaps(
        cli: Any, woe_registry: dict[str, Any]) -> None:
    """``prospect model score`` of a weights-of-evidence model on a cube whose layer ``a``
    holds 4 infinite cells: "the model's estimator ... failed on 8 x 8 cells of the cube
    ...: ValueError: Input X contains infinity ...; nothing was written", while the map
    counts such cells as no data in ``a``. Now they are scored as weights of evidence
    scores a gap (W = 0 for ``a``): exactly the probability of the same row with NaN."""
    found = woe_registry
    p = _scored(cli, found, "woe")
    rows = np.c_[np.where(np.isfinite(found["a"]), found["a"], np.nan).ravel(),
                 found["b"].ravel()]
    want = found["woe"].predict_proba(rows)[:, 1].reshape(found["a"].shape)
    np.testing.assert_allclose(p, want.astype("f4"), rtol=0, atol=0)


def test_control_other_estimators_leave_infinite_cells_unscored(
        cli: Any, woe_registry: dict[str, Any]) -> None:
    """Control: a logistic regression on the same cube leaves the 4 infinite cells
    unscored (no data in ``a``), the rule weights of evidence now follows."""
    p = _scored(cli, woe_registry, "lr")
    assert np.isnan(p).sum() == 4
    assert np.isnan(p[~np.isfinite(woe_registry["a"])]).all()


def test_a_layer_of_infinities_only_is_named_when_nothing_is_scored(
        cli: Any, woe_registry: dict[str, Any]) -> None:
    """A cube whose layer ``a`` holds +inf at every cell, scored with a logistic
    regression: nothing scored (right), but said as "no cell has data in all of the
    model's variables at once; every cell needs all of a, b (weights of evidence: one of
    them)": ``a`` (no finite value, no data to the map) went unnamed, and a rule of
    another estimator was given beside this one's."""
    from .conftest import assert_clean_error

    found = woe_registry
    result = cli("model", "score", "lr", "-r", found["reg"], "--cube",
                 found["root"] / "inf.zarr", "-o", found["root"] / "inf_out.zarr")
    line = assert_clean_error(result, 1, "no cell could be scored",
                              "variable(s) 'a' hold no data (no finite value)",
                              "every cell needs all of a, b")
    assert "weights of evidence" not in line
    assert not (found["root"] / "inf_out.zarr").exists()


def test_a_weights_of_evidence_model_is_told_its_own_rule_when_nothing_is_scored(
        cli: Any, woe_registry: dict[str, Any]) -> None:
    """A weights-of-evidence model on a cube where neither layer has data: was "every
    cell needs all of a, b (weights of evidence: one of them)", the rule of other
    estimators first; now the one this model scores by."""
    from .conftest import assert_clean_error

    found = woe_registry
    result = cli("model", "score", "woe", "-r", found["reg"], "--cube",
                 found["root"] / "empty.zarr", "-o", found["root"] / "empty_out.zarr")
    line = assert_clean_error(result, 1, "variable(s) 'a', 'b' hold no data",
                              "a cell needs one of a, b (the model scores missing evidence)")
    assert "every cell needs all" not in line


# -- 2. layers left out of weights of evidence for a reason no setting changes ---------------

def test_a_woe_layer_with_no_data_at_any_deposit_is_told_so(
        scene: dict[str, Any], tmp_path: Path) -> None:
    """SYNTHETIC: a survey ``holes`` with no data at any of the 12 wells (a new block over
    unexplored ground). Weights of evidence counts each layer's weights where it has data,
    so it has N(D) = 0 and no weight; the card and ``metrics.json`` said "no cut-off or
    class leaves deposits and area on both sides ...; set
    model.params.evidence.<layer>.type ... or .threshold", which cannot help. Now the line
    names the layer's gaps at the deposits."""
    from prospect.models.summary import model_warnings

    pick = scene["pick"]
    holes = scene["holes"].copy()
    holes[pick[:, 0], pick[:, 1]] = np.nan
    got = _trained(tmp_path, holes, scene["heat"], pick)
    (line,) = [w for w in model_warnings(got["final"], got["names"]) if "holes" in w]
    assert "layer 'holes' has data at none of the 12 deposit(s)" in line, line
    assert "whatever its type, cut-off or groups" in line
    assert "labels.positives_on_gaps" in line
    assert "set model.params.evidence" not in line
    assert "no cut-off or class leaves" not in line


def _woe_lines(X: np.ndarray, names: list[str], **kw: Any) -> list[str]:
    from prospect.models.summary import model_warnings
    from prospect.models.woe import WeightsOfEvidenceClassifier

    y = np.zeros(len(X), int)
    y[:12] = 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = WeightsOfEvidenceClassifier(feature_names=names, ci_draws=0, **kw).fit(X, y)
    return model_warnings(model, names)


def test_a_woe_layer_without_data_or_of_one_value_is_told_so() -> None:
    """SYNTHETIC rows: a layer without data at any training cell, a layer of one value
    and a geology layer of one class, beside a layer with evidence. Each was told "set
    model.params.evidence.<layer>.type ... or .threshold"; now each line says why no
    setting gives it a weight."""
    rng = np.random.default_rng(41)
    n = 400
    x = rng.random(n)
    x[:12] += 0.5
    X = np.c_[np.full(n, np.nan), np.full(n, 2.5), np.full(n, 3.0), x]
    lines = _woe_lines(X, ["empty", "flat", "geology", "x"], categorical_features=[2])
    assert len(lines) == 3, lines
    empty, flat, geology = lines
    assert "layer 'empty' has no data at any training cell" in empty
    assert "layer 'flat' holds one value (2.5) at every training cell" in flat
    assert "layer 'geology' holds one value (3) at every training cell" in geology
    assert not [line for line in lines if "set model.params.evidence" in line], lines


def test_control_a_layer_whose_cut_offs_cannot_part_the_deposits_keeps_its_line() -> None:
    """Control: a layer that holds every deposit above every background value (drawn from
    the occurrences) has data at them: it keeps the line that names cut-offs and
    leakage; with it the only layer, the map is the prior, said so."""
    rng = np.random.default_rng(41)
    x = rng.random(400)
    x[:12] += 1.0
    (line,) = _woe_lines(x[:, None], ["leak"])
    assert "no cut-off or class leaves deposits and area on both sides" in line
    assert "a layer drawn from them leaks" in line
    assert "the map is the prior" in line


def test_the_only_layer_without_data_says_the_map_is_the_prior() -> None:
    """The only layer, without data: its own line (was the cut-off line) ends saying the
    map is the prior, one value in every cell."""
    (line,) = _woe_lines(np.full((400, 1), np.nan), ["empty"])
    assert "has no data at any training cell" in line
    assert line.endswith("no layer is left: the map is the prior, one value in every cell")


# -- 3. a deposit type written as a YAML block ------------------------------------------------

def test_a_deposit_type_written_as_a_yaml_block_keeps_the_cards_heading(tmp_path: Path
                                                                         ) -> None:
    """``deposit_type: >`` (YAML's folded block, which ends in a line break) cut
    ``card.md``'s heading inside its brackets: ``# Model card: lithium (LCT pegmatite``,
    then ``)`` as a paragraph of its own."""
    import yaml

    from prospect.registry import save_model
    from prospect.registry.card import card_markdown

    deposit = yaml.safe_load("deposit_type: >\n  LCT\n  pegmatite\n")["deposit_type"]
    assert deposit == "LCT pegmatite\n"
    folder = save_model(_fitted(), tmp_path / "m", card={**CARD, "deposit_type": deposit},
                        schema=SCHEMA)
    lines = (folder / "card.md").read_text().splitlines()
    assert lines[:2] == ["# Model card: lithium (LCT pegmatite)", ""], lines[:4]
    assert card_markdown({"mineral": "lithium", "deposit_type": " \n"}).splitlines()[0] == \
        "# Model card: lithium"


# -- 4. weights of evidence's unit cell given as 0 or a negative area -------------------------

@pytest.mark.parametrize("unit", [0, 0.0, -2500.0])
def test_a_unit_cell_of_no_area_is_refused_by_the_config(unit: float) -> None:
    """``model.params.unit_cell_area: 0`` passed the config's checks and was taken as no
    value (the grid's cell, without a word); ``-2500`` passed too and stopped train,
    after ingest, as "unit_cell_area = -2500 is larger than a cell". Now ``prospect
    plan`` and every stage refuse it at load (and ``--param`` alike), naming the key."""
    from prospect.config.model import ModelConfig, check_params, model_overrides
    from prospect.errors import ConfigError

    cfg = ModelConfig.model_validate({"estimator": "weights_of_evidence",
                                      "mineral": "lithium", "labels": {"source": "wells"},
                                      "params": {"unit_cell_area": unit}})
    with pytest.raises(ConfigError, match=rf"^model\.params\.unit_cell_area = {unit!r}: .*"
                                          "must be a positive number"):
        check_params(cfg)
    plain = cfg.model_copy(update={"params": {}})
    with pytest.raises(ConfigError, match=r"--estimator/--param: model\.params\."
                                          r"unit_cell_area = "):
        model_overrides(plain, params=[f"unit_cell_area={unit}"])


def test_the_classifier_refuses_a_unit_cell_of_no_area() -> None:
    """SYNTHETIC rows: ``WeightsOfEvidenceClassifier(unit_cell_area=0)`` fitted as if it
    were the cell area; now a ValueError naming it (a model built outside a job)."""
    from prospect.models.woe import WeightsOfEvidenceClassifier

    rng = np.random.default_rng(41)
    X, y = rng.random((200, 1)), (np.arange(200) < 10).astype(int)
    with pytest.raises(ValueError, match=r"unit_cell_area = 0: an area, a positive number"):
        WeightsOfEvidenceClassifier(unit_cell_area=0, ci_draws=0).fit(X, y)


def test_control_a_unit_cell_given_or_left_out_is_taken() -> None:
    """Control: ``unit_cell_area: 2500`` and no unit cell at all pass the config."""
    from prospect.config.model import ModelConfig, check_params

    for params in ({"unit_cell_area": 2500}, {}):
        check_params(ModelConfig.model_validate(
            {"estimator": "weights_of_evidence", "mineral": "lithium",
             "labels": {"source": "wells"}, "params": params}))
