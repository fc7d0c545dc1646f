"""Models, round 23: the figures of a trained model as the literature defines them, and
models reused by researchers.

Library cases on small in-memory SYNTHETIC estimators, folds, a 100 x 100 SYNTHETIC map
and round 10's SYNTHETIC model folder (``test_registry_round10.world``); no subprocess.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from .test_registry_round10 import _copy_model, world  # noqa: F401  (a module fixture)

# -- 1. weights of evidence: the variance due to missing data ----------------------------


def _woe_with_missing() -> tuple[object, np.ndarray]:
    """SYNTHETIC: 4000 cells, a cumulative layer missing over a tenth of them and a
    three-class layer; deposits where either layer is favourable."""
    from prospect.models.woe import WeightsOfEvidenceClassifier

    rng = np.random.default_rng(0)
    n = 4000
    a, b = rng.random(n), rng.integers(1, 4, n).astype(float)
    y = (rng.random(n) < 0.01 + 0.05 * (a > 0.7) + 0.03 * (b == 2)).astype(int)
    a[:400] = np.nan
    model = WeightsOfEvidenceClassifier(categorical_features=[1]).fit(np.c_[a, b], y)
    return model, np.c_[a, b]


def test_woe_uncertainty_adds_the_missing_data_variance_as_published() -> None:
    """SYNTHETIC. Bonham-Carter (1994) and Agterberg, Bonham-Carter & Wright (1990) give
    the posterior's variance as the weights' variance plus, where a layer has no
    evidence, the missing-data variance ``sum_s P(s) (P(D|s) - P)^2`` over the missing
    layer's states, ``P(s)`` its share of the area where the layer is known (ArcSDM's
    total s.d.). Before, a cell without evidence had the s.d. of the weights only, as if
    its missing layer were known (0.0078 at P = 0.052 where the published total is
    0.0375): the uncertainty map was narrowest exactly where evidence is lacking, unsaid."""
    model, X = _woe_with_missing()
    ev_a, ev_b = model.evidence_
    rows = np.array([[np.nan, 2.0], [0.9, 2.0], [0.9, np.nan], [np.nan, np.nan],
                     [0.9, 7.0]])  # 7: a class the layer never held
    p = model.predict_proba(rows)[:, 1]
    sd = model.predict_proba_std(rows)

    def expit(x: float) -> float:
        return 1.0 / (1.0 + math.exp(-x))

    finite = np.isfinite(X[:, 0])
    known = float(finite.sum())
    inside = float((X[finite, 0] >= ev_a["threshold"]).sum()) if ev_a["kind"] == "descending" \
        else float((X[finite, 0] <= ev_a["threshold"]).sum())
    shares_a = [inside / known, 1 - inside / known]
    shares_b = [float((X[:, 1] == c).mean()) for c in ev_b["classes"]]

    def md(row: int, layers: list[int]) -> float:
        logit = math.log(p[row] / (1 - p[row]))
        out = 0.0
        for j in layers:
            ev, shares = (ev_a, shares_a) if j == 0 else (ev_b, shares_b)
            out += sum(s * (expit(logit + w) - p[row]) ** 2
                       for s, w in zip(shares, ev["weights"], strict=True))
        return out

    def weights_var(row: int, applied: list[tuple[dict, int]]) -> float:
        return (1 / model.n_deposits_ + sum(ev["variances"][k] for ev, k in applied)) \
            * p[row] ** 2

    cls2 = int(np.flatnonzero(ev_b["classes"] == 2.0)[0])
    state_a = 0  # 0.9 lies inside the chosen pattern of the favourable side
    expected = [
        math.sqrt(weights_var(0, [(ev_b, cls2)]) + md(0, [0])),
        math.sqrt(weights_var(1, [(ev_a, state_a), (ev_b, cls2)])),
        math.sqrt(weights_var(2, [(ev_a, state_a)]) + md(2, [1])),
        math.sqrt(weights_var(3, []) + md(3, [0, 1])),
        math.sqrt(weights_var(4, [(ev_a, state_a)]) + md(4, [1])),
    ]
    np.testing.assert_allclose(sd, expected, rtol=1e-9)
    assert sd[0] > math.sqrt(weights_var(0, [(ev_b, cls2)])) * 1.2
    np.testing.assert_allclose(model.missing_data_variance(rows)[1], 0.0)


def test_woe_uncertainty_meaning_names_the_missing_data_variance() -> None:
    """The uncertainty map's name said "not the missing-data variance"; it now names
    both parts and where the second applies."""
    from prospect.models.uncertainty import uncertainty_meaning

    model, _ = _woe_with_missing()
    meaning, members = uncertainty_meaning(model)
    assert "missing data" in meaning and "Agterberg" in meaning
    assert "not the missing-data variance" not in meaning and members is None


def test_rows_with_every_layer_known_keep_their_woe_standard_deviation() -> None:
    """Control (SYNTHETIC): a row with every layer known keeps the s.d. it had, bit for
    bit (uncertainty maps unchanged where nothing is missing)."""
    model, _ = _woe_with_missing()
    full = np.array([[0.9, 2.0], [0.1, 1.0]])
    total, var = model._weights(full)
    p = 1 / (1 + np.exp(-(model.prior_logit_ + total)))
    before = np.minimum(np.sqrt((1.0 / model.n_deposits_ + var) * p**2), np.sqrt(p * (1 - p)))
    assert np.array_equal(model.predict_proba_std(full), before)


# -- 2. the pooled prediction-rate curve mixes fold models: the within-fold figure ------


def _two_folds_on_two_scales() -> tuple[np.ndarray, list]:
    """SYNTHETIC: two folds, each ranked perfectly by its own model, the first model
    scoring everything near 0.05, the second near 0.95."""
    from prospect.models.evaluate import FoldResult
    from prospect.models.metrics import classification_metrics

    y = np.array([1, 1, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0])
    s0 = np.array([0.09, 0.08, 0.01, 0.02, 0.03, 0.04, 0.05, 0.06])
    s1 = s0 + 0.9
    folds = []
    for k, (test, s) in enumerate(((np.arange(8), s0), (np.arange(8, 16), s1))):
        m = classification_metrics(y[test], s)
        folds.append(FoldResult(k=k, test=test, oof=s, metrics={**m, "fold": float(k)}))
    return y, folds


def test_the_within_fold_prediction_rate_ranks_each_occurrence_in_its_own_fold() -> None:
    """SYNTHETIC. Each fold's prediction-rate area is 1.0; the pooled one ranked fold
    0's occurrences below every background cell of fold 1 (another model's scale):
    0.75, the only prediction-rate figure, unlabelled as pooled. The within-fold figure
    (each occurrence against its own fold's background, weighted by occurrences) is 1.0,
    and its curve's area is that figure."""
    from prospect.models.evaluate import pool_folds, within_fold_rate_curve

    y, folds = _two_folds_on_two_scales()
    res = pool_folds(folds, y, scheme="spatial_block")
    assert res.metrics["prediction_rate_auc"] == pytest.approx(0.75)
    assert res.metrics["prediction_rate_auc_within_folds"] == pytest.approx(1.0)
    assert res.metrics["prediction_rate_within_folds_positives"] == 4
    # the top-area captures likewise: fold 0's occurrences are in its own top 25 %
    assert res.metrics["top20_capture"] < 1.0
    assert res.metrics["top20_capture_within_folds"] == pytest.approx(1.0)
    a, captured = within_fold_rate_curve(y, res.oof, res.fold)
    assert np.trapezoid(captured, a) == pytest.approx(1.0, abs=0.01)


def test_the_headline_names_both_prediction_rates_and_warns_when_they_part() -> None:
    """SYNTHETIC. The headline carries the within-fold figure and says what each is; a
    gap above 0.05 is a training warning that names both and the fix; the curves carry
    the within-fold one for the report."""
    from prospect.models.evaluate import pool_folds
    from prospect.models.summary import curves, cv_warnings, headline

    y, folds = _two_folds_on_two_scales()
    res = pool_folds(folds, y, scheme="spatial_block")
    head = headline({"spatial_block": res})
    assert head["cv_spatial_prediction_rate_auc"] == 0.75
    assert head["cv_spatial_prediction_rate_auc_within_folds"] == 1.0
    assert "pools the folds" in head["prediction_rate_auc_is"]
    assert head["top20_capture_within_folds"] == 1.0
    said = " ".join(cv_warnings(head))
    assert "0.750" in said and "1.000" in said and "within-fold" in said
    c = curves(y, {"spatial_block": res})["spatial_block"]
    assert c["prediction_rate_within_folds"]["captured"][-1] == pytest.approx(1.0)


# -- 3. a class that lies in one fold's test blocks only -----------------------------------


def _unit_in_one_corner() -> tuple[np.ndarray, np.ndarray, np.ndarray, list]:
    """SYNTHETIC: a 20 x 20 grid of 100 m cells; geology class 9 (an intrusion) only in
    the 4 x 4 cells of one corner, class 1-3 elsewhere; a positive in the intrusion and
    others spread; spatial blocks of 500 m in 4 folds."""
    from prospect.models.cv import SpatialBlockCV

    rng = np.random.default_rng(5)
    r, c = np.divmod(np.arange(400), 20)
    coords = np.column_stack([c * 100.0 + 50, r * 100.0 + 50])
    geology = rng.integers(1, 4, 400).astype(float)
    geology[(r < 4) & (c < 4)] = 9.0
    y = np.zeros(400, int)
    y[[0 * 20 + 1, 2 * 20 + 2, 50, 130, 210, 290, 370, 199, 119, 278, 333, 66]] = 1
    X = np.column_stack([geology, rng.random(400)])
    folds = list(SpatialBlockCV(n_splits=4, block_size=500.0, buffer=0.0,
                                random_state=0).split(coords, y))
    return X, y, coords, folds


def test_a_class_unseen_by_its_folds_training_rows_is_counted_and_said() -> None:
    """SYNTHETIC. The intrusion's cells lie in one block: its fold's model never saw class
    9 and scored those test rows as no class (one-hot all 0), 2 of the fold's positives
    among them; the spatial figures included that unsaid. Now counted per layer and
    class with its folds, and a training warning names them and the fix; classes spread
    over the grid say nothing."""
    from prospect.models.cv import classes_unseen_in_folds

    X, y, _, folds = _unit_in_one_corner()
    got = classes_unseen_in_folds(X, y, folds, categorical=[0], names=["geology", "mag"])
    assert got["rows"] == 16 and got["positives"] == 2
    entry = got["classes"]["geology"]["9"]
    assert entry["rows"] == 16 and entry["positives"] == 2 and len(entry["folds"]) == 1
    line = got["warning"]
    assert line and "geology: class 9 (16 rows, 2 positive(s)" in line
    assert "model.cv.block_size" in line and "group" in line
    # classes spread over the grid are in every fold's training rows: nothing counted
    X[X[:, 0] == 9.0, 0] = 1.0
    got = classes_unseen_in_folds(X, y, folds, categorical=[0], names=["geology", "mag"])
    assert got["rows"] == 0 and got["warning"] is None


# -- 4. the map's success-rate figures on a map of low probabilities ----------------------


def test_map_captures_of_a_map_of_low_probabilities_are_not_shares_of_one_bin(
    tmp_path,
) -> None:
    """SYNTHETIC: a 100 x 100 map of posterior probabilities around a prior of 0.0005 (as
    weights of evidence or a calibrated model give; 0.00007 to 0.003), 60 positives drawn
    in proportion. The score stage's map histogram had bins of 0.0005 over 0..1: the map
    lay in 6 bins and the top 5/10/20 % captures shared the cells of one bin in proportion
    (top 5 %: 0.086 where the map's cells give 0.100; top 20 %: 0.250 for 0.267). Bins of
    equal odds ratio (0.002 in logit) now give the map's own figures."""
    from types import SimpleNamespace

    import xarray as xr

    from pipelines.stages.score import _map_metrics, deliver_map
    from prospect.grid import RegionGrid
    from prospect.io.cube import add_variables, create_cube, open_cube
    from prospect.models.metrics import top_area_capture
    from prospect.testing import float_layer

    grid = RegionGrid("EPSG:32619", 100.0, (560000.0, 1330000.0, 570000.0, 1340000.0),
                      chunks=(50, 50), name="r23")
    cube = tmp_path / "c.zarr"
    create_cube(cube, grid, attrs={"synthetic": True})
    rng = np.random.default_rng(0)
    logit = np.log(0.0005 / 0.9995) + rng.normal(0.0, 0.5, grid.shape)
    p = (1.0 / (1.0 + np.exp(-logit))).astype("f4")
    layer = float_layer(p, name="probability", units="1", long_name="probability",
                        provenance={"source": "synthetic"}, like=open_cube(cube))
    add_variables(cube, xr.Dataset({"probability": layer}))
    flat = p.astype("f8").ravel()
    positives = rng.choice(flat, 60, p=flat / flat.sum())
    delivered = deliver_map(cube, "probability", tmp_path, grid, {})
    ctx = SimpleNamespace(grid=grid)
    got, problems = _map_metrics(delivered, ctx, positives)
    exact = top_area_capture(positives, flat)
    assert not problems and got["map_capture_positives"] == 60
    for key in ("top5_capture", "top10_capture", "top20_capture"):
        assert got[f"map_{key}"] == pytest.approx(exact[key], abs=0.005), key


# -- 5. a card.md that does not say what card.json says ------------------------------------


def _publish_with_card_md(world: dict[str, Path], tmp_path: Path,  # noqa: F811
                          change: Callable[[str], str]) -> Any:
    """Round 10's SYNTHETIC model, its card.md changed by ``change`` and checksummed
    again (a folder edited by hand), published into a new registry."""
    from prospect.registry import ModelRegistry

    model = _copy_model(world, tmp_path / "edited")
    text = (model / "card.md").read_text(encoding="utf-8")
    (model / "card.md").write_text(change(text), encoding="utf-8")
    sums = json.loads((model / "checksums.json").read_text())
    sums["files"]["card.md"] = hashlib.sha256((model / "card.md").read_bytes()).hexdigest()
    (model / "checksums.json").write_text(json.dumps(sums))
    reg = ModelRegistry(tmp_path / "reg")
    reg.publish(model, "li", version="1")
    return reg


def test_a_card_md_edited_to_say_another_thing_is_not_shown_as_the_card(
    world: dict[str, Path], tmp_path: Path,  # noqa: F811
) -> None:
    """SYNTHETIC. ``card.md`` is checksummed, but a folder edited by hand and checksummed
    again (as ``model import`` of a hand-assembled folder does) published a card.md
    that called the SYNTHETIC model a real one and dropped its limitation, and
    ``prospect model card`` printed it as the model's card. Now ``card.json`` (the card
    the model is loaded and checked with) is rendered, under a note naming the lines."""
    def lie(text: str) -> str:
        return text.replace("SYNTHETIC model", "validated on 40 drilled wells")

    reg = _publish_with_card_md(world, tmp_path, lie)
    shown = reg.markdown("li", "1")
    assert "validated on 40 drilled wells" in shown.split("\n")[0]  # named in the note
    body = shown.split("\n\n", 1)[1]
    assert "validated on 40 drilled wells" not in body and "SYNTHETIC model" in body
    assert "card.md does not say what card.json says" in shown
    from prospect.registry.consistency import markdown_differences
    from prospect.registry.files import read_card

    saved = (world["model"] / "card.md").read_text(encoding="utf-8")
    assert markdown_differences(read_card(world["model"]), saved) == \
        {"only_in_markdown": [], "only_in_json": []}
    differ = markdown_differences(read_card(world["model"]), lie(saved))
    assert len(differ["only_in_markdown"]) == 1 and len(differ["only_in_json"]) == 1


def test_a_card_md_as_saved_is_shown_as_it_is(
    world: dict[str, Path], tmp_path: Path,  # noqa: F811
) -> None:
    """Control (SYNTHETIC): a card.md as saved is shown byte for byte (its lines compare
    as a multiset with card.json rendered, so card.json's sorted keys change nothing)."""
    reg = _publish_with_card_md(world, tmp_path, lambda text: text)
    saved = (world["model"] / "card.md").read_text(encoding="utf-8")
    assert reg.markdown("li", "1") == saved
