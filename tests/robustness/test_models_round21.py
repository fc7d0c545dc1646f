"""Models, round 21: the extrapolation share named as what it is, weights of evidence on
sample sites and on classes of deposits only, area figures from sample sites, and model
files of a newer format.

Library cases on small in-memory estimators, configs and model folders; one CLI case
trains round 16's tiny SYNTHETIC job (ingested once per module) and one imports a model.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from .conftest import Sandbox, assert_clean_error
from .test_models_round16 import (  # the tiny job, ingested once per module
    PLACES,
    _job,
    _metrics,
    _said,
    _train,
    ingested,  # noqa: F401  (a module fixture)
)
from .test_models_round17 import _saved
from .test_registry_round10 import _edit, _write_cube

# -- 1. the range share is a negative MESS, not Meyer & Pebesma's area of applicability ------


def _mess(values: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Elith, Kearney & Phillips (2010), eq. 1: per variable, f the share of reference
    points below the value; similarity (p - min) / (max - min) * 100 where f = 0,
    2 f, 2 (100 - f), (max - p) / (max - min) * 100 where f = 100; MESS the least over
    the variables."""
    sims = []
    for p, ref in zip(values, reference, strict=True):
        lo, hi = ref.min(), ref.max()
        f = 100.0 * np.mean(ref[None, :] < p[:, None], axis=1)
        sim = np.where(f == 0, (p - lo) / (hi - lo) * 100,
                       np.where(f <= 50, 2 * f,
                                np.where(f < 100, 2 * (100 - f), (hi - p) / (hi - lo) * 100)))
        sims.append(sim)
    return np.min(sims, axis=0)


def test_the_range_share_is_the_negative_mess_share_and_says_it_is_no_area_of_applicability(
    tmp_path: Path,
) -> None:
    """Round 20 left the full Meyer & Pebesma (2021) dissimilarity index (it needs the
    training rows a saved model does not carry). Decided: the figure stays the range
    check, named precisely. Before, the warning said the map was "extrapolated beyond the
    model's area of applicability (Meyer & Pebesma 2021)": a claim the figure cannot make
    (it has no importance weights and no distance to the training rows, so it differs
    from their area both ways). It is exactly the share of cells with a negative MESS
    (Elith et al. 2010), recomputed here by the published formula, and says so in its
    line, in ``method`` and (score stage) in ``outside_training_range_method``."""
    from prospect.io.cube import open_cube
    from prospect.registry.applicability import extrapolation, input_warnings

    rng = np.random.default_rng(5)
    reference = np.vstack([rng.normal(0.45, 0.15, 300), rng.normal(0.55, 0.15, 300)])
    cube = open_cube(_write_cube(tmp_path / "cube.zarr"))
    a, b = (cube[n].values.ravel() for n in ("a", "b"))
    seen = {n: {"n": 300, "min": float(r.min()), "max": float(r.max()),
                **{q: float(np.quantile(r, v)) for q, v in
                   (("q01", .01), ("q05", .05), ("q50", .5), ("q95", .95), ("q99", .99))}}
            for n, r in zip(("a", "b"), reference, strict=True)}
    found = extrapolation({"a": a, "b": b}, seen)
    mess = _mess(np.vstack([a, b]), reference)
    assert found["share"] == pytest.approx(float(np.mean(mess < 0)))
    assert "MESS" in found["method"] and "not the" in found["method"]
    schema = {"variables": [{"name": n, "training": seen[n]} for n in ("a", "b")]}
    lines = [line for line in input_warnings(cube, schema) if "outside the range" in line]
    assert len(lines) == 1, lines
    assert "negative MESS" in lines[0]
    assert "not the area of applicability of Meyer & Pebesma 2021" in lines[0]
    assert "beyond the model's area of applicability" not in lines[0]


# -- 2. weights of evidence needs the study area -----------------------------------------------

SITES = {"source": "wells", "value_column": "grade", "threshold": 5.0}


def test_weights_of_evidence_without_a_sample_of_the_whole_area_is_refused_at_load() -> None:
    """Before: ``estimator: weights_of_evidence`` with ``negatives: below_threshold``
    trained with the sample sites as the whole study area: N(T) was the number of sites,
    so the prior (16 of 155 Meuse samples: 0.10), every weight and every posterior
    "probability" were shares of sites, published as prospectivity per unit cell, exit 0;
    with ``background_exclusion`` the area sample lacked the ground around the deposits,
    so their patterns held less area than they have and W+ read high. Now config errors
    naming the keys, why and the fix; ``negatives: both`` (background cells give the
    area) loads."""
    from prospect.config.model import ModelConfig

    base = {"mineral": "lithium", "estimator": "weights_of_evidence"}
    with pytest.raises(ValueError) as err:
        ModelConfig.model_validate({**base, "labels": {**SITES,
                                                       "negatives": "below_threshold"}})
    text = str(err.value)
    assert "weights_of_evidence" in text and "negatives: below_threshold" in text
    assert "unit cells" in text and "negatives: both" in text
    for negatives in ("both", "background"):  # controls
        ModelConfig.model_validate({**base, "labels": {**SITES, "negatives": negatives}})
    # the background is the area's sample: a zone without it around the deposits
    with pytest.raises(ValueError) as err:
        ModelConfig.model_validate({**base, "labels": {**SITES, "negatives": "both",
                                                       "background_exclusion": 250.0}})
    assert "background_exclusion = 250" in str(err.value) and "W+" in str(err.value)
    ModelConfig.model_validate({"mineral": "lithium", "estimator": "random_forest",
                                "labels": {**SITES, "negatives": "below_threshold"}})


# -- 3. a class whose every unit cell holds a deposit -----------------------------------------


def _saturated_fit() -> tuple[Any, np.ndarray]:
    from prospect.models.woe import WeightsOfEvidenceClassifier

    rng = np.random.default_rng(0)
    geo = rng.integers(1, 4, 2000).astype(float)
    y = (rng.random(2000) < np.where(geo == 1, 0.08, 0.01)).astype(int)
    geo[:3], y[:3] = 4.0, 1  # a small mapped unit: a deposit in each of its 3 cells
    est = WeightsOfEvidenceClassifier(categorical_features=[0], ci_draws=0).fit(geo[:, None], y)
    return est, np.array([[1.0], [4.0]])


def test_a_class_with_a_deposit_in_every_unit_cell_is_said() -> None:
    """Before: a class of 3 cells each holding a deposit has N(B & ~D) = 0, W+ infinite
    (the strongest evidence a class can give); undefined, it weighed 0 and its cells
    scored the prior, 0.036, below the 0.079 of a large class with a few deposits, and
    nothing was said (the barren-class warning covers classes *without* deposits). Now
    a data warning names the layer, the class, its counts, the classes it falls below
    and the fix, and ``metrics.json`` lists it (``saturated_classes``)."""
    from prospect.models.summary import model_warnings

    est, rows = _saturated_fit()
    p = est.predict_proba(rows)[:, 1]
    assert p[1] < p[0]  # the convention (weight 0) as published: kept, but said
    lines = [w for w in model_warnings(est, ["geo"]) if "every unit cell" in w]
    assert len(lines) == 1, model_warnings(est, ["geo"])
    assert "layer 'geo': class(es) 4" in lines[0] and "3 deposit(s) in 3 unit cells" in lines[0]
    assert "score below those of class(es) 1" in lines[0]
    assert "model.params.evidence.geo.groups" in lines[0]
    found = est.saturated_classes(["geo"])
    assert found[0]["classes"] == [4.0] and found[0]["outranked_by"][0]["class"] == 1.0


# -- 4. the area figures take the background cells, never the sample sites ---------------------


def test_the_area_figures_take_background_cells_only() -> None:
    """Before: the prediction-rate area, the top 5/10/20 % captures and the P-A
    intersection took every negative row as the area: with ``negatives: both`` the
    low-grade sample sites (where someone sampled, next to the occurrences) sat on the
    area axis beside the background cells, each site weighing as much as a background
    cell that stands for many. Now the area axis is the background cells only
    (``area_rows``), per fold and pooled; a pool without any is undefined, not a share
    of sites."""
    from prospect.models.evaluate import FoldResult, pool_folds
    from prospect.models.metrics import classification_metrics

    rng = np.random.default_rng(2)
    y = np.r_[np.ones(20), np.zeros(60), np.zeros(200)].astype(int)
    background = np.r_[np.zeros(80, bool), np.ones(200, bool)]
    scores = np.r_[rng.uniform(0.6, 1, 20), rng.uniform(0.5, 1, 60), rng.uniform(0, 1, 200)]
    folds = [FoldResult(k=k, test=np.arange(k, 280, 2), oof=scores[k::2],
                        metrics=classification_metrics(y[k::2], scores[k::2]))
             for k in range(2)]
    pooled = pool_folds(folds, y, scheme="spatial_block", area_rows=background)
    want = classification_metrics(y, scores, area_scores=scores[background])
    for name in ("prediction_rate_auc", "top10_capture", "pa_intersection_pct"):
        assert pooled.metrics[name] == pytest.approx(want[name])
        assert pooled.fold_metrics[0][name] == pytest.approx(classification_metrics(
            y[0::2], scores[0::2], area_scores=scores[0::2][background[0::2]])[name])
    sites_as_area = classification_metrics(y, scores)
    for name in ("prediction_rate_auc", "pa_intersection_pct"):  # what they were
        assert sites_as_area[name] < 0.95 * want[name]
    assert pool_folds(folds, y, scheme="spatial_block").metrics["prediction_rate_auc"] == \
        pytest.approx(sites_as_area["prediction_rate_auc"])  # no flags: every negative
    none = pool_folds(folds, y, scheme="spatial_block", area_rows=np.zeros(280, bool))
    assert np.isnan(none.metrics["top10_capture"]) and none.metrics["area_rows"] == 0
    assert none.metrics["roc_auc"] == pytest.approx(want["roc_auc"])  # sites vs sites: kept


def test_area_figures_without_background_are_undefined_and_said() -> None:
    """Before: ``negatives: below_threshold`` (the shipped Meuse and Great Basin jobs)
    printed "top 10 % capture", a prediction-rate area and a P-A intersection whose "area"
    was the low-grade sample sites, exit 0. Now they are null in the headline with the
    reason, a training warning says it, and the prediction-rate and P-A curves are not
    drawn; the ROC AUC (sites against sites) stays."""
    from prospect.models.evaluate import FoldResult, pool_folds
    from prospect.models.metrics import classification_metrics
    from prospect.models.summary import curves, cv_warnings, headline

    rng = np.random.default_rng(2)
    y = np.r_[np.ones(20), np.zeros(60)].astype(int)
    scores = np.r_[rng.uniform(0.4, 1, 20), rng.uniform(0, 0.8, 60)]
    folds = [FoldResult(k=k, test=np.arange(k, 80, 2), oof=scores[k::2],
                        metrics=classification_metrics(y[k::2], scores[k::2]))
             for k in range(2)]
    sites = np.zeros(80, bool)  # no background drawn: every negative a sample site
    results = {"spatial_block": pool_folds(folds, y, scheme="spatial_block", area_rows=sites)}
    top = headline(results, n_splits=2)
    assert top["top10_capture"] is None and top["cv_spatial_prediction_rate_auc"] is None
    assert top["pa_intersection_pct"] is None and top["cv_spatial_roc_auc"] is not None
    assert "low-grade sample sites" in top["cv_area_figures_undefined_because"]
    assert any("no background cell was drawn" in line for line in cv_warnings(top))
    drawn = curves(y, results, sites)["spatial_block"]
    assert drawn["prediction_rate"] is None and drawn["prediction_area"] is None
    assert drawn["roc"]["tpr"]


def test_train_with_sites_and_an_exclusion_zone_says_what_its_area_figures_are(
    sandbox: Sandbox, cli: Any, scheduler: str, ingested: Path,  # noqa: F811
) -> None:
    """The train stage, ``negatives: both`` with ``background_exclusion: 25``. Before: the
    area figures ranked the low-grade sites beside the background, and the background
    itself lacked the ground within 25 m of every positive (where scores are highest), so
    "the top 10 % of the area" was the top 10 % of the rest and read high, unsaid. Now the
    area axis is the background rows only (``area_rows`` = the negatives less the sites),
    ``labels.background_exclusion_share`` estimates the zone's share of the region, and
    the headline (``cv_area_figures_exclude``) and a warning say what the figures are."""
    rows = [(x, y, 9.0 if k % 3 else 1.0) for k, (x, y) in enumerate(PLACES)]
    _job(sandbox, "x,y,grade\n" + "".join(f"{x},{y},{g}\n" for x, y, g in rows),
         labels={**SITES, "negatives": "both", "background_exclusion": 25, "background_ratio": 5})
    result = _train(sandbox, cli, scheduler, ingested)
    assert result.code == 0, result.err[-3000:]
    facts = _metrics(sandbox)
    labels, pooled = facts["labels"], facts["cv"]["spatial_block"]["metrics"]
    assert labels["negative_cells"] > 0
    assert pooled["area_rows"] == labels["negatives"] - labels["negative_cells"]
    assert 0.05 < labels["background_exclusion_share"] < 0.6
    assert "keeps off about" in facts["metrics"]["cv_area_figures_exclude"]
    assert _said(result, "they are figures of the rest of the region")
    assert "below" in facts["cv_config"]["block_size_below_range"]


def test_the_exclusion_share_is_the_zone_the_background_draw_leaves_out() -> None:
    """``exclusion_share`` counts, as ``sample_background`` excludes them, the cells whose
    centre lies within the distance of a positive cell (brute force on a 30 x 30 grid)."""
    from prospect.grid import RegionGrid
    from prospect.models.training import exclusion_share

    grid = RegionGrid("EPSG:32619", 10.0, (0.0, 0.0, 300.0, 300.0), chunks=(30, 30),
                      name="z")
    rows, cols = np.array([3, 15, 29]), np.array([4, 15, 0])
    yy, xx = np.meshgrid(grid.y, grid.x, indexing="ij")
    d = np.min([np.hypot(xx - grid.x[c], yy - grid.y[r]) for r, c in zip(rows, cols,
                                                                       strict=True)], axis=0)
    assert exclusion_share(grid, rows, cols, 25.0) == pytest.approx(np.mean(d <= 25.0), abs=1e-6)
    assert exclusion_share(grid, rows, cols, 0.0) == 0.0


# -- 5. spatial blocks smaller than the labels' autocorrelation range -------------------------


def _clustered(seed: int = 4, clusters: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """Cell centres (10 m cells, 2 km square) of occurrences in ``clusters`` clusters of
    about 30 m spread, beside 400 uniform background cells."""
    rng = np.random.default_rng(seed)
    centres = rng.uniform(200, 1800, (clusters, 2))
    pos = np.vstack([c + rng.normal(0, 30, (8, 2)) for c in centres])
    coords = np.floor(np.vstack([pos, rng.uniform(0, 2000, (400, 2))]) / 10) * 10 + 5
    return coords, np.r_[np.ones(len(pos)), np.zeros(400)]


def test_blocks_smaller_than_the_labels_range_are_said() -> None:
    """Before: ``cv.block_size: 20`` on occurrences clustered over about 130 m (the range
    of the spherical model fitted to the labels' indicator variogram, the measure
    ``block_size: auto`` uses) trained and reported "spatial" figures from test cells
    within the range of training cells of the same clusters, without a word (a block
    size from the config was compared with nothing; ``auto`` capped below the range only
    said "capped" in the report). Now a warning names the block size, the range and the
    fix (Roberts et al. 2017; Valavi et al. 2019). Controls: ``auto`` uncapped, and
    labels without spatial structure, say nothing."""
    from prospect.models.cv import auto_block_size, blocks_below_range

    coords, y = _clustered()
    small = blocks_below_range(coords, y, {"block_size": 20.0, "block_size_from": "config",
                                           "n_splits": 5}, resolution=10.0)
    assert small["below"] and 100 < small["labels_range"] < 200
    line = small["warning"]
    assert "blocks of 20 CRS units are smaller than the range" in line
    assert f"at least {np.ceil(small['labels_range'] / 10) * 10:g}" in line
    edge, facts = auto_block_size(coords, y, n_splits=5, resolution=10.0)
    auto = blocks_below_range(coords, y, {"block_size": edge, **facts, "n_splits": 5},
                              resolution=10.0)
    assert not facts["capped"] and auto["warning"] is None
    capped = blocks_below_range(coords, y, {"block_size": 20.0, "variogram":
                                            facts["variogram"], "block_size_capped": True,
                                            "n_splits": 5}, resolution=10.0)
    assert "capped below it" in capped["warning"] and "model.cv.n_splits" in capped["warning"]
    rng = np.random.default_rng(1)
    scattered = np.floor(rng.uniform(0, 2000, (464, 2)) / 10) * 10 + 5
    flat = blocks_below_range(scattered, (rng.random(464) < 0.14).astype(float),
                              {"block_size": 20.0, "n_splits": 5}, resolution=10.0)
    assert flat["warning"] is None


# -- 6. model files of a newer format ---------------------------------------------------------


@pytest.mark.parametrize(("file", "key", "value", "needles"), [
    ("card.json", "format", "prospect-model-card/2",
     ["format 'prospect-model-card/2'", "newer than this Prospect", "upgrade Prospect"]),
    ("schema.json", "format", "prospect-input-schema/3",
     ["format 'prospect-input-schema/3'", "newer than this Prospect", "upgrade Prospect"]),
    ("card.json", "format", "someone-elses-card/1",
     ["format 'someone-elses-card/1'", "is not one this Prospect", "save_model"]),
])
def test_a_model_file_of_a_newer_format_is_refused_naming_the_upgrade(
    tmp_path: Path, file: str, key: str, value: str, needles: list[str],
) -> None:
    """Before: a ``card.json`` of format 2 was "unknown card format 'prospect-model-card/2'"
    (no cause, no fix), and a ``schema.json`` of a newer format was read by format 1's
    rules without a word: a later Prospect that changes what a schema key means would
    have had its model scored by what the key no longer says. Now both are refused
    naming the format, the Prospect version that wrote the model and the fix."""
    from prospect.errors import ModelError
    from prospect.registry import load_model

    model = _saved(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        load_model(model)  # control
    _edit(model, file, lambda data: data.__setitem__(key, value))
    with pytest.raises(ModelError) as err:
        load_model(model)
    text = str(err.value)
    assert all(n in text for n in needles), text
    assert file in text and "written by Prospect" in text


def test_checksums_of_another_algorithm_are_not_called_tampering(tmp_path: Path) -> None:
    """Before: a ``checksums.json`` of ``algorithm: sha512`` (a later format) was
    "checksum verification failed, the model files were changed after saving (tampered
    or corrupt)" for every file. Now it says which algorithm, that this Prospect verifies
    SHA-256 only, and the fix; still refused (nothing is loaded unverified)."""
    import hashlib

    from prospect.errors import SecurityError
    from prospect.registry import load_model

    model = _saved(tmp_path)
    sums = json.loads((model / "checksums.json").read_text())
    sums["algorithm"] = "sha512"
    sums["files"] = {n: hashlib.sha512((model / n).read_bytes()).hexdigest()
                     for n in sums["files"]}
    (model / "checksums.json").write_text(json.dumps(sums))
    with pytest.raises(SecurityError) as err:
        load_model(model)
    text = str(err.value)
    assert "'sha512'" in text and "SHA-256 only" in text and "upgrade Prospect" in text
    assert "tampered" not in text


def test_model_import_of_a_newer_format_is_one_line_and_imports_nothing(
    tmp_path: Path, cli: Any,
) -> None:
    """The command line: ``prospect model import`` of a model whose card is of a newer
    format exits 1 with the line, and the registry holds no version of it."""
    model = _saved(tmp_path)
    _edit(model, "card.json", lambda data: data.__setitem__("format", "prospect-model-card/2"))
    registry = tmp_path / "registry"
    result = cli("model", "import", model, "--name", "li", "-r", registry)
    assert_clean_error(result, 1, "prospect-model-card/2", "upgrade Prospect")
    assert not (registry / "li").exists() or not any((registry / "li").iterdir())
