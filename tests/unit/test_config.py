"""Config validation: shipped regions, good and bad job configs, clear errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio
import yaml
from affine import Affine

from prospect.config import config_dir, list_regions, load_job, load_region, resolve_grid
from prospect.config.region import utm_zone_overflow
from prospect.errors import ConfigError, CRSError

EXPECTED_CRS = {
    "netherlands": "EPSG:28992",
    "bonaire": "EPSG:32619", "curacao": "EPSG:32619", "aruba": "EPSG:32619",
    "saba": "EPSG:32620", "sint-eustatius": "EPSG:32620", "sint-maarten": "EPSG:32620",
}
VIETNAM = {"lai-chau": (103.4, 22.4), "thai-nguyen": (105.7, 21.7),
           "central-highlands": (107.7, 12.0)}


@pytest.mark.parametrize("name", sorted(EXPECTED_CRS))
def test_kingdom_regions_use_the_design_crs(name: str) -> None:
    region = load_region(name)
    assert region.to_grid().crs == EXPECTED_CRS[name]


def test_netherlands_extent_matches_rd_new_facts() -> None:
    grid = load_region("netherlands").to_grid()
    left, bottom, right, top = grid.bounds
    assert (left, right) == (0, 300000) and (bottom, top) == (300000, 625000)
    assert grid.resolution == 10 and grid.shape == (32500, 30000)


@pytest.mark.parametrize("name", sorted(VIETNAM))
def test_vietnam_areas_contain_their_deposit(name: str) -> None:
    grid = load_region(name).to_grid()
    assert grid.crs in {"EPSG:32648", "EPSG:32649", "EPSG:3405", "EPSG:3406"}
    lon, lat = VIETNAM[name]
    west, south, east, north = grid.lonlat_bounds()
    assert west < lon < east and south < lat < north


def test_every_shipped_region_loads_and_islands_fit_their_lonlat() -> None:
    names = list_regions()
    assert len(names) >= 13
    for name in names:
        load_region(name).to_grid()
    west, south, east, north = load_region("saba").to_grid().lonlat_bounds()
    assert west < -63.23 < east and south < 17.63 < north


def _write(tmp_path: Path, data: object, name: str = "cfg.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data) if not isinstance(data, str) else data)
    return path


def test_cross_zone_region_needs_explicit_choice(tmp_path: Path) -> None:
    data = yaml.safe_load((config_dir() / "regions" / "central-highlands.yaml").read_text())
    assert data["cross_zone"] is True
    assert utm_zone_overflow(data["crs"], tuple(data["bounds"])) > 0
    data.pop("cross_zone")
    path = _write(tmp_path, data)
    with pytest.raises(ConfigError) as err:
        load_region(path)
    assert "UTM zone" in str(err.value) and "cross_zone" in str(err.value)
    assert str(path) in str(err.value)


def test_bad_value_error_names_file_key_value_and_rule(tmp_path: Path) -> None:
    path = _write(tmp_path, {"name": "x", "crs": "EPSG:32619", "resolution": -10,
                             "bounds": [0, 0, 100, 100]})
    with pytest.raises(ConfigError) as err:
        load_region(path)
    msg = str(err.value)
    assert str(path) in msg and "resolution" in msg and "-10" in msg and "greater than 0" in msg


def test_unknown_crs_and_unknown_key(tmp_path: Path) -> None:
    path = _write(tmp_path, {"name": "x", "crs": "EPSG:12345678", "resolution": 10,
                             "bounds": [0, 0, 100, 100], "colour": "red"})
    with pytest.raises(ConfigError) as err:
        load_region(path)
    msg = str(err.value)
    assert "unknown key 'colour'" in msg and "unknown CRS" in msg and "'crs'" in msg


def test_yaml_syntax_error_has_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "name: x\ncrs: [EPSG:1\n  bad: :\n")
    with pytest.raises(ConfigError, match=r"not valid YAML at line \d+"):
        load_region(path)


def test_missing_file_and_unknown_region() -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_job("/nonexistent/job.yaml")
    with pytest.raises(ConfigError, match=r"unknown region 'atlantis'.*bonaire"):
        load_region("atlantis")


def _job(**over: object) -> dict:
    job = {
        "name": "t", "region": "saba",
        "sources": [
            {"kind": "raster", "name": "s2", "bands": {"B04": "b4.tif", "B08": "b8.tif"}},
            {"kind": "points", "name": "wells", "path": "wells.csv"},
        ],
        "model": {"mineral": "lithium", "labels": {"source": "wells"}},
    }
    job.update(over)
    return job


def test_job_paths_resolve_against_the_config_folder(tmp_path: Path) -> None:
    job = load_job(_write(tmp_path, _job()))
    assert job.sources[0].bands["B04"] == tmp_path / "b4.tif"
    assert resolve_grid(job).crs == "EPSG:32620"
    assert len(job.config_hash()) == 64


def test_job_refuses_duplicate_sources_and_bad_label_source(tmp_path: Path) -> None:
    sources = _job()["sources"]
    with pytest.raises(ConfigError, match="unique"):
        load_job(_write(tmp_path, _job(sources=[*sources, sources[0]])))
    bad = _job(model={"mineral": "lithium", "labels": {"source": "s2"}})
    with pytest.raises(ConfigError, match="not a points source"):
        load_job(_write(tmp_path, bad))
    bad_kind = _job(sources=[{"kind": "lidar", "name": "a", "path": "x"}])
    with pytest.raises(ConfigError, match=r"sources\.0"):
        load_job(_write(tmp_path, bad_kind))


def test_region_override_and_reference_raster(tmp_path: Path) -> None:
    job = load_job(_write(tmp_path, _job(region={"base": "bonaire", "resolution": 20,
                                                 "bounds": [565000, 1340000, 567000, 1341000]})))
    grid = resolve_grid(job)
    assert grid.crs == "EPSG:32619" and grid.shape == (50, 100)

    ref = tmp_path / "ref.tif"
    with rasterio.open(ref, "w", driver="GTiff", width=40, height=30, count=1, dtype="float32",
                       crs="EPSG:3067", transform=Affine(25, 0, 400000, 0, -25, 7500000)) as dst:
        dst.write(np.zeros((1, 30, 40), np.float32))
    job = load_job(_write(tmp_path, _job(region={"reference": "ref.tif", "name": "lapland"})))
    grid = resolve_grid(job)
    assert grid.crs == "EPSG:3067" and grid.shape == (30, 40) and grid.resolution == 25
    assert grid.bounds == (400000, 7499250, 401000, 7500000)


def test_reference_raster_without_crs_needs_one(tmp_path: Path) -> None:
    ref = tmp_path / "nocrs.tif"
    with rasterio.open(ref, "w", driver="GTiff", width=4, height=4, count=1, dtype="uint8",
                       transform=Affine(10, 0, 0, 0, -10, 40)) as dst:
        dst.write(np.zeros((1, 4, 4), np.uint8))
    job = load_job(_write(tmp_path, _job(region={"reference": "nocrs.tif"})))
    with pytest.raises(CRSError, match="no CRS"):
        resolve_grid(job)
    job = load_job(_write(tmp_path, _job(region={"reference": "nocrs.tif",
                                                 "crs": "EPSG:28992"})))
    assert resolve_grid(job).crs == "EPSG:28992"


def test_shipped_job_configs_validate() -> None:
    jobs = sorted((config_dir() / "jobs").glob("*.yaml"))
    for path in jobs:
        load_job(path)


def test_shipped_configs_are_package_data() -> None:
    """Regions and sensors are read through importlib.resources, so a wheel install finds them."""
    from importlib import resources

    shipped = resources.files("prospect").joinpath("configs")
    assert shipped.joinpath("regions", "bonaire.yaml").is_file()
    assert shipped.joinpath("sensors", "sentinel2.yaml").is_file()
    assert config_dir() == Path(str(shipped)).resolve()


def test_model_overrides_from_the_command_line() -> None:
    from prospect.config.model import ModelConfig, model_overrides
    from prospect.errors import ConfigError

    base = ModelConfig(mineral="li", estimator="random_forest", params={"n_estimators": 50},
                       labels={"source": "wells"})
    more = model_overrides(base, params=["n_estimators=300", "max_depth=8"])
    assert more.params == {"n_estimators": 300, "max_depth": 8}
    other = model_overrides(base, estimator="logistic_regression", params=["C=0.5"])
    # the config's params belong to random_forest: dropped with the estimator
    assert other.estimator == "logistic_regression" and other.params == {"C": 0.5}
    assert base.params == {"n_estimators": 50}  # the config itself is unchanged
    with pytest.raises(ConfigError, match="key=value"):
        model_overrides(base, params=["n_estimators"])
    with pytest.raises(ConfigError, match=r"model\.estimator"):
        model_overrides(base, estimator="magic")
