"""Model reuse end to end: train on synthetic Bonaire, publish, score synthetic Curacao.

The Bonaire model is trained by the real ingest, indices and train stages on a 2 km x 2 km
synthetic scene; it is published to a registry with ``prospect model import`` and applied
to a synthetic Curacao scene (another island, another hidden field) with
``prospect model score``. The map must follow Curacao's hidden field, a cube that differs
from the model's schema must be refused line by line, and a coarser cube must be refused
unless reprojection is asked for. A real-data test does the same with the Meuse floodplain
rasters (EPSG:28992) re-delivered in EPSG:3035.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xarray as xr
import yaml
from scipy.stats import spearmanr

from pipelines.cli import main
from prospect.config import load_job, load_region, resolve_grid
from prospect.grid import RegionGrid
from prospect.io.cube import add_variables, create_cube, cube_grid, open_cube
from prospect.registry import ModelRegistry

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _err(capsys: pytest.CaptureFixture[str]) -> str:
    """stderr with whitespace collapsed (rich wraps long lines at the console width)."""
    return " ".join(capsys.readouterr().err.split())


def _run_region(root: Path, region: str, seed: int, stages: list[str]) -> dict[str, Any]:
    from rich.console import Console

    from pipelines.context import RunContext
    from pipelines.runner import run_stages
    from prospect.testing import demo_grid, make_scene

    scene = make_scene(root / f"{region}-scene", region=region, seed=seed, n_wells=150,
                       grid=demo_grid(region, size_m=2000, chunks=(100, 100)))
    job_path = scene.job_config(root / f"{region}.yaml", name=f"reuse-{region}")
    cfg = yaml.safe_load(job_path.read_text())
    # reuse needs a model, not its skill figures: one CV seed, smaller forests, no
    # permutation importance or partial-dependence plots (the train tests check those)
    cfg["model"]["cv"] = {"kind": "spatial_block", "n_splits": 3, "block_size": 500.0,
                          "seeds": 1}
    cfg["model"].update({"params": {"n_estimators": 60}, "permutation_repeats": 0,
                         "partial_dependence": 0})
    job_path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    job = load_job(job_path)
    out = root / f"{region}-out"
    ctx = RunContext(job=job, out_dir=out, grid=resolve_grid(job), job_path=job_path,
                     console=Console(stderr=True, quiet=True))
    run_stages(ctx, stages)
    return {"scene": scene, "out": out, "cube": out / "cube.zarr"}


@pytest.fixture(scope="module")
def islands(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("reuse")
    bonaire = _run_region(root, "bonaire", 1, ["ingest", "indices", "train"])
    curacao = _run_region(root, "curacao", 2, ["ingest", "indices"])
    registry = root / "registry"
    code = main(["model", "import", str(bonaire["out"] / "model"), "--name", "li-bonaire",
                 "--registry", str(registry)])
    assert code == 0
    return {"root": root, "bonaire": bonaire, "curacao": curacao, "registry": registry}


def _inside(inner: tuple[float, ...], outer: tuple[float, ...]) -> bool:
    return (inner[0] >= outer[0] and inner[1] >= outer[1] and inner[2] <= outer[2]
            and inner[3] <= outer[3])


def _score(islands: dict[str, Any], cube: Path, out: Path, *extra: str) -> int:
    return main(["model", "score", "li-bonaire", "--cube", str(cube), "--out", str(out),
                 "--registry", str(islands["registry"]), *extra])


def test_bonaire_model_scores_curacao(islands: dict[str, Any], capsys) -> None:
    reg = ModelRegistry(islands["registry"])
    assert reg.versions("li-bonaire") == ["1"]
    card = reg.card("li-bonaire")
    assert card["synthetic"] is True and card["mineral"] == "lithium"
    assert _inside(tuple(card["region"]["bounds"]), load_region("bonaire").bounds)
    out = islands["root"] / "curacao-scored.zarr"
    cog = islands["root"] / "curacao-probability.tif"
    assert _score(islands, islands["curacao"]["cube"], out, "--cog", str(cog)) == 0
    assert "li-bonaire/1" in _err(capsys)
    scored = open_cube(out)
    grid = cube_grid(scored)
    source_grid = cube_grid(open_cube(islands["curacao"]["cube"]))
    assert grid.bounds == source_grid.bounds and grid.shape == source_grid.shape
    assert _inside(grid.bounds, load_region("curacao").bounds)
    assert not _inside(grid.bounds, load_region("bonaire").bounds)
    prob = scored["probability"].values
    ok = np.isfinite(prob)
    assert ok.mean() > 0.9
    assert prob[ok].min() >= 0 and prob[ok].max() <= 1
    hidden = islands["curacao"]["scene"].hidden
    rho = spearmanr(prob[ok], hidden[ok]).statistic
    assert rho > 0.4, f"Bonaire model on Curacao: Spearman {rho:.2f} with the hidden field"
    assert "uncertainty" in scored.data_vars
    prov = json.loads(scored["probability"].attrs["provenance"])
    assert prov["model"] == "li-bonaire" and prov["version"] == "1"
    assert prov["synthetic"] is True and scored.attrs["synthetic"] is True
    assert cog.is_file()


def test_registry_scoring_is_the_score_stage(islands: dict[str, Any], capsys) -> None:
    """``prospect model score`` and the job's score stage give the same map of one cube."""
    from rich.console import Console

    from pipelines.context import RunContext
    from pipelines.runner import run_stages

    bonaire = islands["bonaire"]
    out = islands["root"] / "bonaire-rescored.zarr"
    assert _score(islands, bonaire["cube"], out) == 0
    job = load_job(islands["root"] / "bonaire.yaml")
    run_stages(RunContext(job=job, out_dir=bonaire["out"], grid=resolve_grid(job),
                          console=Console(stderr=True, quiet=True)), ["score"])
    by_cli, by_stage = open_cube(out), open_cube(bonaire["cube"])
    for name in ("probability", "uncertainty"):
        a, b = by_cli[name].values, by_stage[name].values
        assert np.isfinite(a).mean() > 0.9
        np.testing.assert_array_equal(a, b)
        for key in ("long_name", "prospect_kind", "units", "synthetic"):
            assert by_cli[name].attrs[key] == by_stage[name].attrs[key], (name, key)
    assert by_cli["probability"].attrs["long_name"].startswith("lithium relative prospectivity")
    assert by_cli["probability"].attrs["prospect_scale"] == "relative prospectivity"


def test_mismatched_cube_is_refused_naming_each_difference(islands: dict[str, Any],
                                                           capsys) -> None:
    src = open_cube(islands["curacao"]["cube"])
    grid = cube_grid(src)
    bad = islands["root"] / "curacao-bad.zarr"
    create_cube(bad, grid, attrs={"synthetic": True})
    keep = [v for v in src.data_vars if v != "NDVI"]
    ds = xr.Dataset({v: src[v] for v in keep})
    ds["heatflow"].attrs = {**src["heatflow"].attrs, "units": "W m-2"}
    add_variables(bad, ds)
    out = islands["root"] / "bad-scored.zarr"
    assert _score(islands, bad, out) != 0
    err = _err(capsys)
    assert "does not match the model's input schema (2 differences)" in err
    assert "'NDVI': missing from the cube" in err
    assert "'heatflow': units 'W m-2', model needs 'mW m-2'" in err
    assert not out.exists()


def test_coarser_cube_needs_reprojection(islands: dict[str, Any], capsys) -> None:
    src = open_cube(islands["curacao"]["cube"])
    fine = cube_grid(src)
    coarse_grid = RegionGrid(fine.crs, fine.resolution * 2, fine.bounds, chunks=(50, 50),
                             name="curacao-20m")
    coarse = islands["root"] / "curacao-20m.zarr"
    create_cube(coarse, coarse_grid, attrs={"synthetic": True})
    like = open_cube(coarse)
    layers = {}
    for name in src.data_vars:
        values = src[name].values[::2, ::2]  # nearest neighbour at 20 m
        layers[name] = xr.DataArray(values, dims=("y", "x"),
                                    coords={"y": like.y, "x": like.x}, attrs=src[name].attrs)
    add_variables(coarse, xr.Dataset(layers))
    out = islands["root"] / "coarse-scored.zarr"
    assert _score(islands, coarse, out) != 0
    err = _err(capsys)
    assert "resolution: cube is 20.0, model needs 10" in err
    assert "--reproject" in err
    assert not out.exists()
    assert _score(islands, coarse, out, "--reproject", "--resampling", "bilinear") == 0
    scored = open_cube(out)
    assert cube_grid(scored).resolution == fine.resolution
    prob = scored["probability"].values
    ok = np.isfinite(prob)
    assert ok.mean() > 0.8
    hidden = islands["curacao"]["scene"].hidden
    rows = min(prob.shape[0], hidden.shape[0])
    cols = min(prob.shape[1], hidden.shape[1])
    both = ok[:rows, :cols]
    rho = spearmanr(prob[:rows, :cols][both], hidden[:rows, :cols][both]).statistic
    assert rho > 0.3, rho


def test_trained_pipeline_exports_to_onnx(islands: dict[str, Any], capsys) -> None:
    import onnx

    out = islands["root"] / "li-bonaire.onnx"
    code = main(["model", "export", "li-bonaire", "--out", str(out), "--cube",
                 str(islands["curacao"]["cube"]), "--registry", str(islands["registry"])])
    err = _err(capsys)
    assert code == 0, err
    assert "onnxruntime vs scikit-learn" in err
    meta = {p.key: p.value for p in onnx.load(str(out)).metadata_props}
    assert meta["prospect_model"] == "li-bonaire/1" and meta["synthetic"] == "true"
    assert "NDVI" in json.loads(meta["feature_order"])


# -- real data: the Meuse floodplain (EPSG:28992) delivered again in another CRS ----------
MEUSE_LAYERS = {  # name: (units, kind); the README documents no units, so none are claimed
    "dem": ("undocumented", "continuous"), "dist": ("1", "continuous"),
    "chnl_dist": ("undocumented", "continuous"), "slope": ("undocumented", "continuous"),
    "twi": ("undocumented", "continuous"), "mrvbf": ("undocumented", "continuous"),
    "ffreq": ("class", "categorical"), "soil": ("class", "categorical"),
}


def _meuse_cube(folder: Path, out: Path) -> tuple[Path, RegionGrid]:
    import rasterio

    from prospect.io.raster import grid_from_raster
    from prospect.testing import float_layer

    grid = grid_from_raster(folder / "dem.tif", crs="EPSG:28992", chunks=(40, 40),
                            name="meuse")
    create_cube(out, grid, attrs={"synthetic": False, "source": "meuse_heavy_metals_nl"})
    like = open_cube(out)
    layers = {}
    for name, (units, kind) in MEUSE_LAYERS.items():
        with rasterio.open(folder / f"{name}.tif") as src:
            data = src.read(1).astype("float32")
            data[data == src.nodata] = np.nan
        layers[name] = float_layer(data, name=name, units=units, long_name=name, kind=kind,
                                   provenance={"source": f"meuse_heavy_metals_nl/{name}.tif",
                                               "crs_assigned": "EPSG:28992"}, like=like)
    add_variables(out, xr.Dataset(layers))
    return out, grid


@pytest.mark.realdata
def test_real_meuse_model_scores_a_cube_delivered_in_another_crs(
    shared_data: Path, tmp_path: Path, capsys
) -> None:
    import geopandas as gpd
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.metrics import roc_auc_score

    from prospect.registry import save_model, schema_from_cube

    folder = shared_data / "meuse_heavy_metals_nl"
    cube_path, grid = _meuse_cube(folder, tmp_path / "meuse.zarr")
    ds = open_cube(cube_path)
    samples = gpd.read_file(folder / "meuse.shp").set_crs("EPSG:28992", allow_override=True)
    rows, cols = grid.rowcol(samples.geometry.x.to_numpy(), samples.geometry.y.to_numpy())
    inside = grid.contains(rows, cols)
    features = list(MEUSE_LAYERS)
    X = np.stack([ds[f].values[rows[inside], cols[inside]] for f in features], axis=1)
    y = (samples["zinc"].to_numpy()[inside] > 500).astype(int)  # zinc above 500 ppm
    ok = np.all(np.isfinite(X), axis=1)
    est = RandomForestClassifier(n_estimators=100, min_samples_leaf=3, random_state=0)
    est.fit(X[ok], y[ok])
    model_dir = save_model(est, tmp_path / "zinc-model", schema=schema_from_cube(ds, features),
                           card={"mineral": "zinc (soil contamination, stand-in target)",
                                 "synthetic": False, "region": grid.describe(),
                                 "limitations": ["in-sample demonstration of model reuse"]})
    registry = tmp_path / "registry"
    assert main(["model", "import", str(model_dir), "--name", "meuse-zinc", "--registry",
                 str(registry)]) == 0

    # the same area delivered by a partner in ETRS89 / LAEA Europe at 40 m
    from rasterio.enums import Resampling

    laea = {f: ds[f].load().rio.write_nodata(np.nan, encoded=False).rio.reproject(
        "EPSG:3035", resolution=40.0,
        resampling=Resampling.bilinear if MEUSE_LAYERS[f][1] == "continuous"
        else Resampling.nearest) for f in features}
    first = laea[features[0]]
    laea_grid = RegionGrid.from_transform(crs="EPSG:3035", transform=first.rio.transform(),
                                          shape=first.shape, chunks=(40, 40), name="meuse-laea")
    laea_path = tmp_path / "meuse-laea.zarr"
    create_cube(laea_path, laea_grid, attrs={"synthetic": False})
    like = open_cube(laea_path)
    add_variables(laea_path, xr.Dataset({
        f: xr.DataArray(laea[f].values.astype("float32"), dims=("y", "x"),
                        coords={"y": like.y, "x": like.x}, attrs=ds[f].attrs)
        for f in features}))

    refused = tmp_path / "laea-refused.zarr"
    assert main(["model", "score", "meuse-zinc", "--cube", str(laea_path), "--out",
                 str(refused), "--registry", str(registry)]) != 0
    assert "CRS: cube is EPSG:3035, model needs EPSG:28992" in _err(capsys)
    assert not refused.exists()

    direct, back = tmp_path / "direct.zarr", tmp_path / "back.zarr"
    for cube, out, extra in ((cube_path, direct, []), (laea_path, back, ["--reproject"])):
        assert main(["model", "score", "meuse-zinc", "--cube", str(cube), "--out", str(out),
                     "--registry", str(registry), *extra]) == 0
    p_direct = open_cube(direct)["probability"]
    p_back = open_cube(back)["probability"]
    assert cube_grid(open_cube(back)).crs == "EPSG:28992"
    # the model still separates high-zinc samples on its own grid (in-sample sanity check)
    at_samples = p_direct.values[rows[inside], cols[inside]][ok]
    assert roc_auc_score(y[ok], at_samples) > 0.85
    # and the map from the re-delivered cube agrees with the direct one where both exist
    matched = p_back.reindex_like(p_direct, method="nearest", tolerance=1.0).values
    have = np.isfinite(p_direct.values)
    both = np.isfinite(matched) & have
    assert both.sum() > 0.9 * have.sum()  # two warps lose only a rim of edge cells (~0.1%)
    rho = spearmanr(matched[both], p_direct.values[both]).statistic
    assert rho > 0.9, rho  # about 0.98 in our runs
