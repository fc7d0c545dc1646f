"""Source config validation: one layout per raster source, clear messages, safe defaults."""

from __future__ import annotations

import pytest

from prospect.config._base import validate_mapping
from prospect.config.sources import PointSource, RasterSource
from prospect.errors import ConfigError


def raster(**kw):
    return validate_mapping(RasterSource, {"name": "s", **kw}, source="job.yaml")


@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"path": "a.tif", "bands": {"B02": "b.tif"}},
        {"path": "a.tif", "stac": "catalog.json", "assets": {"B04": "red"}},
    ],
)
def test_exactly_one_raster_layout(kw):
    with pytest.raises(ConfigError, match=r"give exactly one of 'bands'.*'path'.*'scenes'.*'stac'"):
        raster(**kw)


def test_stac_needs_assets_and_mosaic_rule_is_checked():
    with pytest.raises(ConfigError, match="'stac' needs 'assets'"):
        raster(stac="catalog.json")
    with pytest.raises(ConfigError, match=r"key 'mosaic' has bad value 'newest'"):
        raster(path="a.tif", mosaic="newest")
    with pytest.raises(ConfigError, match=r"key 'scenes.0.cloud_cover' has bad value 140"):
        raster(scenes=[{"path": "a.tif", "cloud_cover": 140}])


def test_relative_paths_resolve_against_the_config_folder(tmp_path):
    src = validate_mapping(RasterSource, {"name": "s", "scenes": [{"path": "a.tif",
                                                                    "mtl": "a_MTL.txt"}]},
                           source="job.yaml", base_dir=tmp_path)
    assert src.scene_list()[0].path == tmp_path / "a.tif"
    assert src.scene_list()[0].mtl == tmp_path / "a_MTL.txt"


def test_points_make_no_surface_by_default():
    src = PointSource(name="wells", path="wells.csv", columns=["li_mg_l"])
    assert src.interpolate == [] and src.distance is False
    with pytest.raises(ConfigError, match=r"key 'interpolate.0' has bad value 'spline'"):
        validate_mapping(PointSource, {"name": "w", "path": "w.csv", "interpolate": ["spline"]},
                         source="job.yaml")
