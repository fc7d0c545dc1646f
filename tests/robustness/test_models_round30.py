"""Round 30: weights-of-evidence maps named as something they are not, a card's fold s.d.
without its meaning, a resolution refused without a unit, a calibrated model's
uncertainty said in two units, and a weights table whose class codes read as
measurements and whose "defined" said both weights of a class whose W- is undefined.

Weights of evidence's probability is Bonham-Carter's posterior probability of a deposit
per unit cell: its prior is the deposits per unit cell of the training area (the
background rows weigh as the area they stand for). Its map was labelled "relative
prospectivity (uncalibrated score, not a probability)" beside an uncertainty layer that
called it the posterior probability, and its card said its base rate was the training
rows' share of positives (0.09 at 10 background cells per positive) where its prior was
0.0075.

Library cases on a small SYNTHETIC cube and its wells, trained with the train stage's
own functions (no run context); maps scored with the score path; models saved and read
back through the registry.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import xarray as xr

GRID_KW: dict[str, Any] = {
    "crs": "EPSG:32619",
    "resolution": 10.0,
    "bounds": (500_000.0, 1_000_000.0, 500_400.0, 1_000_400.0),
    "chunks": (20, 20),
}


def _grid() -> Any:
    from prospect.grid import RegionGrid

    return RegionGrid(**GRID_KW, name="r30")


def _cfg(estimator: str = "weights_of_evidence", **extra: Any) -> Any:
    from prospect.config.model import ModelConfig

    return ModelConfig(
        mineral="lithium",
        estimator=estimator,
        features=["heat", "depth"],
        labels={"source": "wells", "background_ratio": 10},
        cv={
            "n_splits": 3,
            "block_size": 100.0,
            "seeds": 1,
            "bootstrap": 0,
            "compare_random": False,
        },
        permutation_repeats=0,
        partial_dependence=0,
        **extra,
    )


@pytest.fixture(scope="module")
def woe(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A 40 x 40 SYNTHETIC cube (``heat``, ``depth``), 12 wells where ``heat`` is high,
    and a weights-of-evidence model trained on them as the train stage trains one: its
    training set (background rows weighing as the area they stand for), spatial CV, the
    final model, the calibration facts, the card and the saved model folder."""
    from prospect.config.sources import PointSource
    from prospect.features import build_stack
    from prospect.io.cube import add_variables, create_cube, open_cube
    from prospect.models import make_estimator, uses_area_weights
    from prospect.models.training import (
        build_training_set,
        calibrate,
        cv_schemes,
        fit_all,
        resolve_cv,
        select_features,
    )
    from prospect.testing import float_layer

    root = tmp_path_factory.mktemp("models30")
    grid = _grid()
    rng = np.random.default_rng(30)
    heat = rng.random(grid.shape)
    depth = rng.random(grid.shape)
    cube = root / "cube.zarr"
    create_cube(cube, grid, attrs={"synthetic": True})
    like = open_cube(cube)
    add_variables(
        cube,
        xr.Dataset(
            {
                n: float_layer(
                    v, name=n, units="1", long_name=n, like=like, provenance={"source": "synthetic"}
                )
                for n, v in (("heat", heat), ("depth", depth))
            }
        ),
    )
    hot = np.argwhere(heat > 0.9)
    pick = hot[rng.choice(len(hot), 12, replace=False)]
    wells = root / "wells.csv"
    pd.DataFrame({"x": grid.x[pick[:, 1]], "y": grid.y[pick[:, 0]]}).to_csv(wells, index=False)
    source = PointSource(name="wells", path=wells, x="x", y="y", crs="EPSG:32619")

    cfg = _cfg()
    ds = open_cube(cube)
    spec = select_features(ds, cfg, labels_path=wells)
    ts = build_training_set(build_stack(ds, spec), spec, grid=grid, source=source, cfg=cfg)
    names = spec.names()
    estimator = make_estimator(
        cfg,
        n_features=len(names),
        categorical=[],
        cell_area=grid.resolution**2,
        feature_names=names,
    )
    cv = resolve_cv(ts, cfg, resolution=grid.resolution)
    schemes = cv_schemes(ts, cfg, cv=cv)
    sw = ts.weight if uses_area_weights(cfg.estimator) else None
    results, final, _ = fit_all(estimator, ts, schemes, cfg, sample_weight=sw, feature_names=names)
    model, calibration = calibrate(final, results["spatial_block"], ts.X, ts.y, cfg)
    schema = {
        "variables": [
            {
                "name": n,
                "units": "1",
                "dtype": "float32",
                "prospect_kind": "continuous",
                "provenance": {},
            }
            for n in names
        ],
        "crs": "EPSG:32619",
        "resolution": 10.0,
        "feature_order": names,
    }
    return {
        "root": root,
        "cube": cube,
        "ds": ds,
        "model": model,
        "calibration": calibration,
        "schema": schema,
        "grid": grid,
        "ts": ts,
        "cfg": cfg,
        "results": results,
        "spec": spec,
        "cv": cv,
    }


def _card(woe: dict[str, Any], calibration: dict[str, Any], folder: Path) -> tuple[dict, Path]:
    """The card of :func:`woe`'s model as the train stage makes it (from ``calibration``),
    and the model folder saved with it at ``folder``."""
    from prospect.models.summary import headline, model_card
    from prospect.registry import save_model

    cfg = woe["cfg"]
    card = model_card(
        cfg=cfg,
        ts=woe["ts"],
        ds=woe["ds"],
        spec=woe["spec"],
        results=woe["results"],
        calibration=calibration,
        grid=woe["grid"],
        synthetic=True,
        training_data=[],
        config={"model": {"estimator": cfg.estimator}},
        config_hash="r30",
        cv=woe["cv"],
        headline_metrics=headline(woe["results"], n_splits=3),
    )
    return card, save_model(woe["model"], folder, card=card, schema=woe["schema"])


# -- a weights-of-evidence map is its posterior probability --------------------------------


def test_a_weights_of_evidence_map_is_said_to_be_its_posterior_probability(
    woe: dict[str, Any],
) -> None:
    """SYNTHETIC: the map sums to about the deposits the model predicts (Bonham-Carter's
    ``T``), each cell the posterior probability of a deposit per unit cell; it was
    labelled "relative prospectivity (uncalibrated score, not a probability)", beside an
    uncertainty layer that called it the posterior probability. Now it says what it is
    and its prior, N(D)/N(T) of the training area."""
    from prospect.registry import score_model

    woe_model = woe["model"].steps[-1][1]
    prior = woe_model.n_deposits_ / woe_model.area_total_
    assert prior == pytest.approx(12 / 1600)
    maps = score_model(
        woe["model"], woe["schema"], woe["ds"], mineral="lithium", check_inputs=False
    )
    attrs = maps["probability"].attrs
    assert attrs["prospect_scale"] == "posterior probability"
    said = attrs["long_name"]
    assert said.startswith(
        "lithium posterior probability of a deposit per unit cell of 100 "
        "square metres (weights of evidence, Bonham-Carter 1994"
    )
    assert "12 deposits in 1600 unit cells of the training area = 0.0075" in said
    assert "not a probability" not in said
    assert "posterior probability" in maps["uncertainty"].attrs["prospect_uncertainty"]


def test_the_score_stages_map_of_weights_of_evidence_names_its_prior(
    woe: dict[str, Any],
) -> None:
    """SYNTHETIC: the score stage's name of the map (its COG description, STAC item and
    score.md) said "relative prospectivity" for weights of evidence."""
    from pipelines.stages.score import map_scale

    scale, words = map_scale({"calibration": {"method": "none"}}, woe["grid"], woe["model"])
    assert scale == "posterior probability"
    assert "= 0.0075" in words and "relative prospectivity" not in words


def test_a_score_report_says_what_the_posterior_is(tmp_path: Path) -> None:
    """SYNTHETIC: score.md said only that "the `probability` layer is a relative
    prospectivity" for every uncalibrated model; a posterior probability now gives its
    prior per unit cell, as the map's long name does."""
    from pipelines.report import write_score_report

    region = {"name": "r30", "crs": "EPSG:32619", "resolution": 10.0, "shape": [40, 40]}
    words = "posterior probability of a deposit per unit cell of 100 square metres (...)"
    text = Path(
        write_score_report(
            tmp_path,
            quicklooks={},
            facts={"region": region, "scale": "posterior probability", "scale_words": words},
        )
    ).read_text(encoding="utf-8")
    assert f"layer is a posterior probability: {words}." in text


@pytest.mark.parametrize("estimator", ["random_forest", "calibrated"])
def test_other_maps_keep_their_scale(woe: dict[str, Any], estimator: str) -> None:
    """Control (SYNTHETIC): a forest's map is a relative prospectivity, a calibrated
    model's a calibrated probability, in the words they had."""
    from sklearn.ensemble import RandomForestClassifier

    from pipelines.stages.score import map_scale
    from prospect.models.uncertainty import CalibratedModel
    from prospect.registry import score_model

    ts = woe["ts"]
    forest = RandomForestClassifier(n_estimators=5, random_state=0).fit(ts.X, ts.y)
    model = (
        forest
        if estimator == "random_forest"
        else CalibratedModel(model=forest, method="sigmoid").fit(ts.X, ts.y)
    )
    maps = score_model(model, woe["schema"], woe["ds"], mineral="lithium", check_inputs=False)
    attrs = maps["probability"].attrs
    if estimator == "random_forest":
        assert attrs["prospect_scale"] == "relative prospectivity"
        assert attrs["long_name"] == (
            "lithium relative prospectivity (uncalibrated score, not a probability)"
        )
        assert map_scale({"calibration": {"method": "none"}}, woe["grid"]) == (
            "relative prospectivity",
            "relative prospectivity (uncalibrated score, not a probability)",
        )
    else:
        assert attrs["prospect_scale"] == "calibrated probability"
        assert attrs["long_name"] == (
            "lithium probability (calibrated, sigmoid, on spatial out-of-fold scores)"
        )
        card = {"calibration": {"method": "sigmoid"}, "labels": {"positives": 12, "samples": 132}}
        scale, words = map_scale(card, woe["grid"])
        assert scale == "calibrated probability" and "base rate 0.0909" in words


def test_a_weights_of_evidence_card_gives_its_prior_not_the_rows_base_rate(
    woe: dict[str, Any], tmp_path: Path
) -> None:
    """SYNTHETIC: the card's (and metrics.json's) calibration note said "probabilities are
    relative scores ... (a base rate of 0.09091), so their base rate is not the deposit
    density of the region"; weights of evidence's prior is that density, 0.0075. Its
    output scale and limitations called the map a relative prospectivity."""
    from prospect.models.summary import scale_facts

    card, folder = _card(woe, scale_facts(woe["calibration"], woe["model"]), tmp_path / "m")
    note = card["calibration"]["note"]
    assert "relative scores" not in note
    assert "12 in 1600 = 0.0075" in note
    assert card["calibration"]["prior_probability"] == pytest.approx(0.0075)
    assert card["output_scale"] == "posterior probability"
    said = " ".join(card["limitations"])
    assert "the map is a relative prospectivity" not in said
    assert "posterior probability per unit cell" in said
    text = (folder / "card.md").read_text(encoding="utf-8")
    assert "- prior_probability: 0.0075" in text


# -- the card's fold s.d. ------------------------------------------------------------------


def test_the_cards_fold_sd_says_which_sd_it_is(woe: dict[str, Any], tmp_path: Path) -> None:
    """SYNTHETIC: card.md's metrics table listed ``fold_roc_auc_std`` without saying
    which s.d. (metrics.json says the sample s.d., round 28). Now a line under the table
    says it, and ``model show`` shows that card.md as it is (it agrees with card.json)."""
    from prospect.registry.consistency import markdown_differences
    from prospect.registry.files import read_card

    _, folder = _card(woe, woe["calibration"], tmp_path / "m")
    text = (folder / "card.md").read_text(encoding="utf-8")
    assert "| fold_roc_auc_std |" in text
    assert (
        "fold_roc_auc_std: sample standard deviation (n - 1 denominator) of the ROC "
        "AUCs of the folds scored" in text
    )
    differ = markdown_differences(read_card(folder), text)
    assert differ == {"only_in_markdown": [], "only_in_json": []}


def test_a_card_saved_before_renders_as_it_was_saved(woe: dict[str, Any], tmp_path: Path) -> None:
    """Control (SYNTHETIC): a card saved without the s.d.'s meaning (every published
    model before this release) renders without the new line, so ``model show`` does not
    take its card.md for an edited one."""
    from prospect.registry import card_markdown, save_model
    from prospect.registry.consistency import markdown_differences
    from prospect.registry.files import read_card

    card = {
        "mineral": "lithium",
        "synthetic": True,
        "cv": {
            "scheme": "spatial_block",
            "block_size": 100.0,
            "n_splits": 3,
            "metrics": {"spatial_block": {"fold_roc_auc_mean": 0.7, "fold_roc_auc_std": 0.04}},
        },
    }
    folder = save_model(woe["model"], tmp_path / "old", card=card, schema=woe["schema"])
    text = (folder / "card.md").read_text(encoding="utf-8")
    assert "| fold_roc_auc_std |" in text and "fold_roc_auc_std: sample" not in text
    assert "fold_roc_auc_std: " not in card_markdown(read_card(folder))
    differ = markdown_differences(read_card(folder), text)
    assert differ == {"only_in_markdown": [], "only_in_json": []}


# -- the resolution refusal's unit ---------------------------------------------------------


def _cube_of(path: Path, crs: str, resolution: float) -> Any:
    from prospect.grid import RegionGrid
    from prospect.io.cube import add_variables, create_cube, open_cube
    from prospect.testing import float_layer

    x0, y0 = (500_000.0, 1_000_000.0) if crs.startswith("EPSG:326") else (5.0, 50.0)
    grid = RegionGrid(
        crs,
        resolution,
        (x0, y0, x0 + 32 * resolution, y0 + 32 * resolution),
        chunks=(32, 32),
        name="r30",
    )
    create_cube(path, grid, attrs={"synthetic": True})
    like = open_cube(path)
    rng = np.random.default_rng(1)
    add_variables(
        path,
        xr.Dataset(
            {
                n: float_layer(rng.random(grid.shape), name=n, units="1", long_name=n, like=like)
                for n in ("heat", "depth")
            }
        ),
    )
    return open_cube(path)


@pytest.mark.parametrize(
    ("crs", "resolution", "words"),
    [
        ("EPSG:32619", 20.0, "resolution: cube is 20.0, model needs 10 (cell sizes in metres)"),
        (
            "EPSG:4326",
            0.001,
            "resolution: cube is 0.001, model needs 10 (the cube's cell "
            "size in degrees, the model's in metres)",
        ),
    ],
    ids=["same-unit", "degrees-against-metres"],
)
def test_a_resolution_refusal_names_its_unit(
    woe: dict[str, Any], tmp_path: Path, crs: str, resolution: float, words: str
) -> None:
    """SYNTHETIC: "resolution: cube is 20.0, model needs 10" named no unit (a cube in
    degrees against a model in metres read as two numbers of one kind), and a cell of
    0.001 degrees read "0.0010000000000000189"."""
    from prospect.errors import SchemaMismatchError
    from prospect.registry import check_schema

    ds = _cube_of(tmp_path / "c.zarr", crs, resolution)
    with pytest.raises(SchemaMismatchError) as info:
        check_schema(ds, woe["schema"])
    assert words in str(info.value)


# -- the report's weights table ------------------------------------------------------------


def test_the_weights_table_writes_class_codes_and_which_weights_are_defined(
    tmp_path: Path,
) -> None:
    """SYNTHETIC weights of a geology layer whose class 1 holds every deposit: its row
    said class "1.000" (beside class "2") and "defined: yes", where its W-, contrast and
    studentized contrast are undefined. Now class 1 and "W+ only"."""
    from pipelines.report import _woe_section
    from prospect.models.woe import WeightsOfEvidenceClassifier

    codes = np.repeat([1.0, 2.0, 3.0], [600, 600, 400])
    y = np.zeros(codes.size, int)
    y[np.arange(0, 600, 50)] = 1  # 12 deposits, all in class 1
    est = WeightsOfEvidenceClassifier(categorical_features=[0], ci_draws=0).fit(codes[:, None], y)
    rows = {r["class"]: r for r in est.weights_table(["geo"])}
    assert rows[1.0]["defined_plus"] and not rows[1.0]["defined_minus"]
    woe_facts = {
        "weights": est.weights_table(["geo"]),
        "unit_cell_area": 1.0,
        "cell_area": 1.0,
        "area_unit_cells": 1600.0,
        "n_deposits": 12.0,
        "prior_logit": est.prior_logit_,
    }
    lines = [
        line
        for line in _woe_section(tmp_path, woe_facts, unit="metres")
        if line.startswith("| geo |")
    ]
    assert lines[0].startswith("| geo | categorical | 1 | 600 | 12 |")
    assert lines[0].endswith("| undefined | W+ only |")
    assert lines[1].startswith("| geo | categorical | 2 | 600 | 0 |")
    assert lines[1].endswith("| W- only |")


def test_a_weights_row_of_an_older_run_keeps_its_flag(tmp_path: Path) -> None:
    """Control: a row without ``defined_plus``/``defined_minus`` (an older metrics.json)
    is said by its one flag, as before; a threshold row keeps its three decimals."""
    from pipelines.report import _woe_section

    rows = [
        {
            "feature": "heat",
            "kind": "descending",
            "threshold": 0.25,
            "area": 500.0,
            "deposits": 7.0,
            "w_plus": 0.5,
            "s_w_plus": 0.3,
            "w_minus": -0.2,
            "s_w_minus": 0.3,
            "contrast": 0.7,
            "s_contrast": 0.42,
            "studentized_contrast": 1.67,
            "defined": flag,
        }
        for flag in (True, False)
    ]
    lines = [
        line for line in _woe_section(tmp_path, {"weights": rows}) if line.startswith("| heat |")
    ]
    assert lines[0].startswith("| heat | descending | 0.250 | 500 | 7 |")
    assert lines[0].endswith("| yes |") and lines[1].endswith("| no |")


# -- a calibrated model's uncertainty in one unit ------------------------------------------


@pytest.mark.parametrize("inner", ["forest", "woe"])
def test_a_calibrated_models_uncertainty_is_said_in_one_unit(
    woe: dict[str, Any], inner: str
) -> None:
    """SYNTHETIC: a calibrated forest's uncertainty layer said "... (population s.d.), in
    the units of the score, mapped through the isotonic calibration curve (...), in
    probability units" (two units for one layer; a calibrated weights of evidence
    "in probability units" twice). Now only the unit of what is mapped: probability."""
    from sklearn.ensemble import RandomForestClassifier

    from prospect.models.uncertainty import CalibratedModel
    from prospect.registry import score_model

    ts = woe["ts"]
    model = (
        RandomForestClassifier(n_estimators=5, random_state=0).fit(ts.X, ts.y)
        if inner == "forest"
        else woe["model"]
    )
    calibrated = CalibratedModel(model=model, method="isotonic").fit(ts.X, ts.y)
    maps = score_model(calibrated, woe["schema"], woe["ds"], check_inputs=False)
    said = maps["uncertainty"].attrs["prospect_uncertainty"]
    assert "mapped through the isotonic calibration curve" in said
    assert said.endswith("that spread), in probability units")
    assert said.count(" units") == 1 and "units of the score" not in said
