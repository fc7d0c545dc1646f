"""Feature stacks from a real zarr cube (lazy, with focal statistics) and block-wise
scoring that equals in-memory prediction."""

from __future__ import annotations

import json

import dask
import numpy as np
import pytest
import xarray as xr

from prospect.errors import DataError
from prospect.features import (
    build_stack,
    default_feature_variables,
    focal_stats_numpy,
    make_spec,
    sample_cells,
    valid_mask,
)
from prospect.grid import RegionGrid
from prospect.io.cube import add_variables, create_cube, open_cube
from prospect.models import predict_map, predict_with_uncertainty
from prospect.testing import float_layer

GRID = RegionGrid(crs="EPSG:32619", resolution=10.0,
                  bounds=(500_000, 1_000_000, 500_900, 1_000_700), chunks=(32, 40))


@pytest.fixture(scope="module")
def cube(tmp_path_factory):
    path = tmp_path_factory.mktemp("feat") / "cube.zarr"
    create_cube(path, GRID)
    like = open_cube(path)
    rng = np.random.default_rng(0)
    a = rng.normal(size=GRID.shape).cumsum(axis=1)
    a[:2, :] = np.nan
    b = rng.random(GRID.shape)
    geo = (rng.random(GRID.shape) * 3).astype("i2") + 1
    geo[5, 5] = -1
    ds = xr.Dataset({
        "a": float_layer(a, name="a", units="1", long_name="a", like=like),
        "b": float_layer(b, name="b", units="m", long_name="b", kind="distance", like=like),
        "wells_li": float_layer(b, name="wells_li", units="mg/L", long_name="li surface",
                                like=like, provenance={"source": "wells"}),
        "probability": float_layer(b, name="probability", units="1", long_name="p",
                                   kind="probability", like=like),
        "geology": xr.DataArray(geo, dims=("y", "x"), coords={"y": like.y, "x": like.x},
                                attrs={"units": "1", "long_name": "unit",
                                       "prospect_kind": "categorical",
                                       "provenance": json.dumps({})}),
    })
    add_variables(path, ds)
    return path


def test_default_features_skip_outputs_and_label_derived_layers(cube) -> None:
    ds = open_cube(cube)
    names = default_feature_variables(ds, exclude_sources=["wells"])
    assert set(names) == {"a", "b", "geology"}
    assert "wells_li" in default_feature_variables(ds)
    with pytest.raises(DataError, match=r"nope.*model\.features"):
        make_spec(ds, variables=["a", "nope"], resolution=10.0)


def test_stack_is_lazy_named_and_has_focal_stats_that_match_numpy(cube) -> None:
    ds = open_cube(cube)
    spec = make_spec(ds, variables=["a", "b", "geology"], resolution=10.0,
                     focal_radii=[20.0, 50.0])
    assert spec.categorical == ("geology",) and spec.focal_variables == ("a", "b")
    stack = build_stack(ds, spec)
    assert isinstance(stack.data, dask.array.Array)
    assert stack.data.chunks[0] == (len(spec.names()),)
    assert stack.feature.values.tolist() == spec.names()
    assert "a__focal_std_r50" in spec.names()
    values = stack.values
    a = ds["a"].values
    np.testing.assert_allclose(values[spec.names().index("a__focal_mean_r20")],
                               focal_stats_numpy(a, 2, ("mean",))[0], rtol=1e-6)
    # brute force at one interior cell: 11 x 11 window for r = 50 m at 10 m
    win = a[15:26, 25:36]
    assert values[spec.names().index("a__focal_std_r50"), 20, 30] == pytest.approx(
        np.nanstd(win), rel=1e-4)
    # the geology fill value becomes NaN, so that cell is not valid
    assert np.isnan(values[spec.names().index("geology"), 5, 5])
    mask = valid_mask(stack, spec).values
    assert not mask[5, 5] and not mask[0].any() and mask[2:].sum() == mask[2:].size - 1


def test_focal_stats_do_not_depend_on_chunking(cube) -> None:
    ds_small = open_cube(cube)
    ds_big = open_cube(cube, chunks={"y": 70, "x": 90})
    spec = make_spec(ds_small, variables=["a"], resolution=10.0, focal_radii=[30.0])
    np.testing.assert_allclose(build_stack(ds_small, spec).values,
                               build_stack(ds_big, spec).values, rtol=1e-5, equal_nan=True)


def test_a_focal_radius_wider_than_a_chunk_is_a_config_error(cube) -> None:
    # radii: [1e9] stopped 'prospect plan' and train with dask's 'internal error'
    from prospect.errors import ConfigError

    ds = open_cube(cube)
    side = min(max(c) for c in ds["a"].data.chunks)
    make_spec(ds, variables=["a"], resolution=10.0, focal_radii=[side * 10.0])  # at the edge
    with pytest.raises(ConfigError, match=r"model\.focal\.radii: 1e\+09 is wider than a chunk"):
        make_spec(ds, variables=["a"], resolution=10.0, focal_radii=[30.0, 1e9])
    # a saved model's spec on a cube of smaller chunks (registry scoring) is told the same
    spec = make_spec(ds, variables=["a"], resolution=10.0, focal_radii=[side * 10.0])
    small = open_cube(cube, chunks={"y": side // 2, "x": side // 2})
    with pytest.raises(ConfigError, match="larger chunks takes wider windows"):
        build_stack(small, spec)


def test_sample_cells_equals_indexing_the_computed_stack(cube) -> None:
    ds = open_cube(cube)
    spec = make_spec(ds, variables=["a", "geology"], resolution=10.0, focal_radii=[20.0])
    stack = build_stack(ds, spec)
    rows = np.array([3, 40, 69, 0])
    cols = np.array([7, 80, 0, 89])
    np.testing.assert_array_equal(sample_cells(stack, rows, cols),
                                  stack.values[:, rows, cols].T)


def test_blockwise_scores_equal_in_memory_predict_proba(cube) -> None:
    from sklearn.ensemble import RandomForestClassifier

    ds = open_cube(cube)
    spec = make_spec(ds, variables=["a", "b", "geology"], resolution=10.0, focal_radii=[30.0])
    stack = build_stack(ds, spec)
    full = stack.values.reshape(len(spec.names()), -1).T
    ok = np.all(np.isfinite(full[:, :3]), axis=1)
    rng = np.random.default_rng(1)
    rows = rng.choice(np.flatnonzero(ok), 300, replace=False)
    y = (full[rows, 0] > np.nanmedian(full[rows, 0])).astype(int)
    model = RandomForestClassifier(n_estimators=15, random_state=0).fit(full[rows], y)
    maps = predict_map(stack, model, base=spec.base_indices())
    assert maps.probability.data.chunks == stack.data.chunks[1:]
    prob = maps.probability.values.ravel()
    unc = maps.uncertainty.values.ravel()
    assert np.isnan(prob[~ok]).all() and np.isfinite(prob[ok]).all()
    np.testing.assert_allclose(prob[ok], model.predict_proba(full[ok])[:, 1], rtol=0,
                               atol=1e-6)
    _, s = predict_with_uncertainty(model, full[ok])
    np.testing.assert_allclose(unc[ok], s, atol=1e-6)


@pytest.mark.parametrize("kind", ["forest", "extra", "subsampled", "bagging"])
def test_member_spread_equals_each_members_predict_proba(kind: str) -> None:
    """The spread of a forest, read from each tree's leaf table, is bit-identical to the
    mean and standard deviation of the members' own ``predict_proba``; the mean equals the
    ensemble's ``predict_proba`` exactly."""
    from sklearn.ensemble import BaggingClassifier, ExtraTreesClassifier, RandomForestClassifier
    from sklearn.tree import DecisionTreeClassifier

    rng = np.random.default_rng(3)
    X = rng.random((4000, 5)).astype(np.float32)
    y = (X[:, 0] + 0.3 * rng.standard_normal(4000) > 0.6).astype(int)
    model = {
        "forest": RandomForestClassifier(n_estimators=12, min_samples_leaf=2, random_state=0),
        "extra": ExtraTreesClassifier(n_estimators=8, random_state=0),
        "subsampled": RandomForestClassifier(n_estimators=10, max_samples=0.005,
                                             random_state=0),
        "bagging": BaggingClassifier(DecisionTreeClassifier(), n_estimators=6,
                                     max_features=3, random_state=0),
    }[kind].fit(X[:1000], y[:1000])
    p, s = predict_with_uncertainty(model, X)
    feats = getattr(model, "estimators_features_", None)
    members = []
    for i, m in enumerate(model.estimators_):
        classes = list(m.classes_)
        Xi = X[:, feats[i]] if feats is not None else X
        members.append(m.predict_proba(Xi)[:, classes.index(1)] if 1 in classes
                       else np.zeros(X.shape[0]))
    total, total_sq = np.zeros(X.shape[0]), np.zeros(X.shape[0])
    for q in members:
        total += q
        total_sq += q * q
    mean = total / len(members)
    assert np.array_equal(p, mean)
    assert np.array_equal(s, np.sqrt(np.maximum(total_sq / len(members) - mean * mean, 0.0)))
    assert np.array_equal(p, model.predict_proba(X)[:, 1])
