"""Fold-aware interpolation: a surface of the label points rebuilt from each fold's
training side only (synthetic points, labelled synthetic)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.ensemble import RandomForestClassifier
from sklearn.pipeline import Pipeline

from prospect.errors import ModelError
from prospect.ingest.surfaces import idw_estimate
from prospect.models import SpatialBlockCV, cross_validate
from prospect.models.foldaware import PointSurface, fold_features, held_out_points


def test_held_out_points_are_those_in_test_cells_blocks_and_buffer() -> None:
    coords = np.array([[5.0, 5.0], [15.0, 5.0], [105.0, 5.0], [205.0, 5.0]])
    pts = np.array([[6.0, 4.0],      # in the cell of test row 0
                    [14.0, 6.0],     # in the cell of row 1 (training): kept
                    [50.0, 50.0],    # same 100-unit block as row 0: held out with blocks
                    [112.0, 5.0],    # 7 from test row 2 (its block: 100..200)
                    [290.0, 5.0]])   # far from every test row
    test = np.array([0, 2])
    cells = held_out_points(pts, coords, test, resolution=10.0)
    assert cells.tolist() == [True, False, False, False, False]
    blocks = held_out_points(pts, coords, test, resolution=10.0, block_size=100.0)
    assert blocks.tolist() == [True, True, True, True, False]
    buffered = held_out_points(pts, coords, test, resolution=10.0, buffer=8.0)
    assert buffered.tolist() == [True, False, False, True, False]


def _synthetic_sites(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """SYNTHETIC: 300 sample sites on a 10 km square; zinc labels, co-measured lead."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 10_000, (300, 2)).round(-1) + 5.0  # on 10 m cell centres
    zinc = np.sin(xy[:, 0] / 1500) + np.cos(xy[:, 1] / 2000) + rng.normal(0, 0.8, 300)
    lead = zinc + rng.normal(0, 0.2, 300)  # measured at the same sites as the labels
    y = (zinc > np.quantile(zinc, 0.8)).astype(int)
    return xy, zinc, lead, y


def test_fold_features_rebuild_the_surface_from_training_points_only() -> None:
    xy, _, lead, y = _synthetic_sites()
    surface = PointSurface(name="samples_lead", method="idw", xy=xy, z=lead, power=2.0,
                           neighbours=8)
    other = np.arange(len(y), dtype="f8")
    X = np.column_stack([surface.values(xy), other])
    X[3, 0] = np.nan  # no data stays no data
    splits = list(SpatialBlockCV(n_splits=4, block_size=2500.0).split(xy, y))
    folds = fold_features(X, xy, {0: surface}, splits, resolution=10.0, block_size=2500.0,
                          own_cells=False)  # every training-side point, own cell included
    assert len(folds) == 4
    for (train, test), Xf in zip(splits, folds, strict=True):
        held = held_out_points(xy, xy, test, resolution=10.0, block_size=2500.0)
        assert held[test].all() and not held[train].all()
        expect = idw_estimate(xy[~held], lead[~held], xy, power=2.0, neighbours=8)
        expect[3] = np.nan
        np.testing.assert_allclose(Xf[:, 0], expect)
        np.testing.assert_array_equal(Xf[:, 1], other)
        # a held-out site no longer sees its own value
        t = test[test != 3][0]
        assert Xf[t, 0] != pytest.approx(lead[t])
    assert X[0, 0] == pytest.approx(lead[0])  # the full surface holds every site's value


def test_fold_aware_interpolation_removes_the_lift_of_a_leaking_surface() -> None:
    xy, _, lead, y = _synthetic_sites()
    surface = PointSurface(name="samples_lead", method="idw", xy=xy, z=lead, neighbours=8)
    rng = np.random.default_rng(1)
    X = np.column_stack([surface.values(xy), rng.normal(size=len(y))])
    model = Pipeline([("model", RandomForestClassifier(n_estimators=60, random_state=0))])
    splits = list(SpatialBlockCV(n_splits=5, block_size=2000.0).split(xy, y))
    naive = cross_validate(model, X, y, splits, scheme="spatial_block")
    folds = fold_features(X, xy, {0: surface}, splits, resolution=10.0, block_size=2000.0)
    aware = cross_validate(model, X, y, splits, scheme="spatial_block", fold_X=folds)
    assert naive.metrics["roc_auc"] > 0.95  # each site reads its own lead: near-perfect
    assert aware.metrics["roc_auc"] < naive.metrics["roc_auc"] - 0.1


def test_too_few_training_points_is_a_clear_error() -> None:
    surface = PointSurface(name="s", method="idw", xy=np.zeros((2, 2)), z=np.ones(2))
    with pytest.raises(ModelError, match="only 2 point"):
        surface.values(np.zeros((1, 2)))
