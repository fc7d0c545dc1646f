"""The synthetic scene generator: real files, labelled synthetic, deterministic, recoverable."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import rasterio
from scipy.stats import spearmanr

from prospect.testing import S2_BANDS, demo_grid, make_scene


def test_files_exist_and_are_labelled_synthetic(small_scene) -> None:
    s = small_scene
    assert set(s.bands) == set(S2_BANDS)
    for path in [*s.bands.values(), s.heatflow]:
        with rasterio.open(path) as src:
            assert src.tags()["SYNTHETIC"] == "true"
            assert src.crs is not None
    for layer in ("units", "faults"):
        info = pyogrio.read_info(s.geology, layer=layer)
        assert info["layer_metadata"]["SYNTHETIC"] == "true"
        assert info["features"] > 0
    units = gpd.read_file(s.geology, layer="units")
    assert (units["source"].str.contains("synthetic")).all()
    wells = pd.read_csv(s.wells)
    assert (wells["source"].str.contains("synthetic")).all()
    assert json.loads(s.wells.with_suffix(".metadata.json").read_text())["synthetic"] == "true"
    assert json.loads((s.root / "SYNTHETIC.json").read_text())["synthetic"] == "true"


def test_band_resolutions_and_crs(small_scene) -> None:
    s = small_scene
    res = {}
    for band, path in s.bands.items():
        with rasterio.open(path) as src:
            res[band] = src.res[0]
            assert src.crs.to_epsg() == 32619
    assert {b for b, r in res.items() if r == 10} == {"B02", "B03", "B04", "B08"}
    assert {b for b, r in res.items() if r == 20} == {"B05", "B06", "B07", "B8A", "B11", "B12"}
    with rasterio.open(s.heatflow) as src:
        assert src.crs.to_epsg() == 4326


def test_reflectance_is_physical_and_has_a_nodata_edge(small_scene) -> None:
    with rasterio.open(small_scene.bands["B04"]) as src:
        red = src.read(1)
    assert np.isnan(red[:3]).all()
    valid = red[np.isfinite(red)]
    assert valid.min() >= 0.0 and valid.max() <= 1.0
    with rasterio.open(small_scene.bands["B08"]) as src:
        nir = src.read(1)
    assert np.nanmean(nir) > np.nanmean(red)  # vegetation and soils are brighter in the NIR


def test_same_seed_same_files_other_seed_other_files(tmp_path) -> None:
    grid = demo_grid("saba", size_m=500, chunks=(32, 32))
    a = make_scene(tmp_path / "a", grid=grid, seed=3, n_wells=20)
    b = make_scene(tmp_path / "b", grid=grid, seed=3, n_wells=20)
    c = make_scene(tmp_path / "c", grid=grid, seed=4, n_wells=20)
    assert a.wells.read_bytes() == b.wells.read_bytes() != c.wells.read_bytes()
    np.testing.assert_array_equal(a.hidden, b.hidden)
    assert not np.array_equal(a.hidden, c.hidden)


def test_well_lithium_follows_the_hidden_field(small_scene) -> None:
    s = small_scene
    wells = pd.read_csv(s.wells)
    from pyproj import Transformer

    tr = Transformer.from_crs("EPSG:4326", s.grid.crs, always_xy=True)
    x, y = tr.transform(wells.lon.to_numpy(), wells.lat.to_numpy())
    rows, cols = s.grid.rowcol(x, y)
    assert s.grid.contains(rows, cols).all()
    rho = spearmanr(s.hidden[rows, cols], wells.li_mg_l).statistic
    assert rho > 0.8


def test_clay_alteration_is_visible_in_swir(small_scene) -> None:
    s = small_scene
    with rasterio.open(s.bands["B11"]) as a, rasterio.open(s.bands["B12"]) as b:
        ratio = a.read(1) / b.read(1)
    hidden20 = s.hidden[::2, ::2][: ratio.shape[0], : ratio.shape[1]]
    ok = np.isfinite(ratio)
    assert spearmanr(ratio[ok], hidden20[ok]).statistic > 0.3


def test_job_config_is_valid(small_scene, tmp_path) -> None:
    from prospect.config import load_job, resolve_grid

    job = load_job(small_scene.job_config(tmp_path / "job.yaml"))
    assert job.synthetic
    grid = resolve_grid(job)
    assert grid.shape == small_scene.grid.shape and grid.crs == small_scene.grid.crs


def test_the_demo_jobs_spatial_blocks_fit_its_scene(small_scene, tmp_path) -> None:
    """Before: ``prospect demo --size 2000`` wrote 1500 m blocks, 4 of them on the scene,
    and its own train stage refused 5 folds."""
    import yaml

    job = yaml.safe_load(small_scene.job_config(tmp_path / "job.yaml").read_text())
    cv = job["model"]["cv"]
    edge = min(small_scene.grid.width, small_scene.grid.height) * small_scene.grid.resolution
    assert (edge / cv["block_size"]) ** 2 >= 16 > cv["n_splits"]
    assert cv["block_size"] == min(1500.0, edge / 4)
