"""Round 15c: a composite asset's own scale tags, SLC-off scenes named by the config.

Real Parana Landsat bands cut small in ``tmp_path``: given a GeoTIFF band scale of 1e-4
and read as a composite's asset (the plain path honoured the tag, the composite read DN);
and renamed so that only the config (``sensor: landsat7``, ``date:``) says the scene is a
Landsat 7 ETM+ one after the scan-line corrector failed. Each defect case failed before the
round; the controls keep reading.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio

from prospect.config.sources import RasterSource
from prospect.errors import ConfigError, DataError
from prospect.ingest.composite import plan_composite

from .test_imagery_inputs import _collection
from .test_imagery_round15b import _cut_grid, _slc_off, _values

pytestmark = [pytest.mark.realdata]


def _scaled(shared_data: Path, root: Path, scale: float = 1e-4) -> Path:
    """The real Parana band (gaps filled by nothing: read as values), its own scale tag set."""
    out = _slc_off(shared_data, root, "red")
    with rasterio.open(out, "r+") as d:
        d.scales = (scale,)
    return out


def _item(path: Path, date: str = "2020-05-18", **asset: Any) -> dict[str, Any]:
    return {"type": "Feature", "stac_version": "1.0.0", "id": "scene", "geometry": None,
            "properties": {"datetime": f"{date}T13:30:00Z", "proj:epsg": 32621},
            "assets": {"red": {"href": str(path), "roles": ["data"], **asset}}, "links": []}


def _composite(stac: str, **extra: Any) -> RasterSource:
    return RasterSource.model_validate({"name": "c", "stac": stac, "assets": {"red": "red"},
                                        "composite": {"method": "median"},
                                        "nodata": 0, **extra})


def _compute(layers: list[Any], grid: Any) -> np.ndarray:
    out = np.empty(grid.shape, np.float32)
    layer = next(la for la in layers if la.name == "red")
    for w in grid.chunk_windows():
        out[w.rows, w.cols] = layer.compute(grid, w)
    return out


def _dn(path: Path) -> np.ndarray:
    with rasterio.open(path) as d:
        return d.read(1).astype(np.float64)


# --- 1. a composite asset's own scale tags ---------------------------------------------------

@pytest.mark.parametrize("extra", [{}, {"scale": 0.0001}])
def test_a_composite_asset_with_its_own_scale_tag_is_scaled_once(shared_data, tmp_path,
                                                                  extra):
    # before: DN read as reflectance (median ~1e4 instead of ~1), exit 0
    red = _scaled(shared_data, tmp_path)
    grid = _cut_grid(red)
    stac = _collection(tmp_path / "items.json", _item(red))
    got = _compute(plan_composite(_composite(stac, **extra), grid), grid)
    dn = _dn(red)
    ok = dn > 0
    assert np.allclose(got[ok], dn[ok] * 1e-4, rtol=1e-5)
    plain = _values(RasterSource.model_validate({"name": "p", "bands": {"red": str(red)},
                                                 "nodata": 0, **extra}), grid)
    assert np.allclose(got[ok], plain[ok], rtol=1e-6)  # one rule for both paths


def test_a_config_scale_on_top_of_a_composite_assets_tag_is_refused(shared_data, tmp_path):
    # before: 0.01 x DN applied, the file's 1e-4 ignored, exit 0
    red = _scaled(shared_data, tmp_path)
    stac = _collection(tmp_path / "items.json", _item(red))
    with pytest.raises(ConfigError, match=r"file's own band 1 scale/offset.*gdal_edit"):
        plan_composite(_composite(stac, scale=0.01), _cut_grid(red))


def test_raster_bands_other_than_the_assets_tag_is_refused(shared_data, tmp_path):
    red = _scaled(shared_data, tmp_path)
    stac = _collection(tmp_path / "items.json",
                       _item(red, **{"raster:bands": [{"scale": 2.75e-5, "offset": -0.2}]}))
    with pytest.raises(DataError, match=r"states scale 0\.0001 .*item 'scene' gives "
                                        r"2\.75e-05"):
        plan_composite(_composite(stac), _cut_grid(red))


def test_a_stated_grid_with_an_unstated_file_scale_is_refused_when_read(shared_data,
                                                                       tmp_path):
    # the item states the grid in full: the header is not read at planning
    red = _scaled(shared_data, tmp_path)
    grid = _cut_grid(red)
    with rasterio.open(red) as d:
        proj = {"proj:shape": [d.height, d.width], "proj:transform": list(d.transform)[:6],
                "proj:epsg": 32621}
    stac = _collection(tmp_path / "items.json", _item(red, **proj))
    layers = plan_composite(_composite(stac), grid)
    with pytest.raises(DataError, match=r"raster:bands scale 1 and offset 0.*file's own "
                                        r"band scale/offset are 0\.0001"):
        _compute(layers, grid)
    stac = _collection(tmp_path / "ok.json", _item(red, **proj, **{
        "raster:bands": [{"scale": 1e-4}]}))  # control: stated, applied once
    got = _compute(plan_composite(_composite(stac), grid), grid)
    dn = _dn(red)
    assert np.allclose(got[dn > 0], dn[dn > 0] * 1e-4, rtol=1e-5)


# --- 2. Landsat 7 SLC-off told by the config's sensor and date ------------------------------

@pytest.mark.parametrize("sensor", ["landsat7", "l7", "landsat-etm+"])
def test_an_slc_off_scene_named_by_sensor_and_date_is_refused(shared_data, tmp_path,
                                                              sensor):
    # before: a plain file name hid the scene; the gaps read as the darkest data, exit 0
    red = _slc_off(shared_data, tmp_path, "scene")
    src = RasterSource.model_validate({"name": "etm", "sensor": sensor, "scenes": [
        {"bands": {"B3": str(red)}, "date": "2010-05-18"}]})
    said = re.escape(f"acquired 2010-05-18 (sensor '{sensor}' and the scene's date)")
    with pytest.raises(DataError, match=said + r".*'nodata: 0'"):
        plan_raster_values(src, red)


def plan_raster_values(src: RasterSource, red: Path) -> np.ndarray:
    return _values(src, _cut_grid(red))


@pytest.mark.parametrize("sensor, date", [("landsat7", "2002-05-18"),
                                          ("landsat8", "2010-05-18")])
def test_before_the_failure_or_another_sensor_reads_as_before(shared_data, tmp_path,
                                                              sensor, date):
    red = _slc_off(shared_data, tmp_path, "scene")  # controls
    src = RasterSource.model_validate({"name": "etm", "sensor": sensor, "scenes": [
        {"bands": {"B3": str(red)}, "date": date}]})
    assert np.isfinite(plan_raster_values(src, red)).all()


def test_an_slc_off_composite_named_by_sensor_and_item_date_is_refused(shared_data,
                                                                       tmp_path):
    red = _slc_off(shared_data, tmp_path, "scene")
    stac = _collection(tmp_path / "items.json", _item(red, date="2010-05-18"))
    src = RasterSource.model_validate({"name": "etm", "stac": stac, "sensor": "landsat7",
                                       "assets": {"B3": "red"},
                                       "composite": {"method": "median"}})
    with pytest.raises(DataError, match=r"Landsat 7 ETM\+ band acquired 2010-05-18"):
        plan_composite(src, _cut_grid(red))
