"""Imagery products as survey scientists mix them: quality layers read once per scene and
block, products of two collections, levels or calibrations in one series, and products
whose names state what their numbers are.

Real scenes cut small in ``tmp_path`` (the Wageningen Landsat 8 scene and its CFmask, the
real Parana Collection 2 Level-2 MTL with a band named for it); QA_RADSAT layers written
with the product's bit layout (USGS) on the cut band's own grid. Each defect case failed
before its fix; the controls keep reading.
"""

from __future__ import annotations

import math
import re
import threading
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
import yaml

import prospect.ingest.masked as masked
from prospect.config.sources import RasterSource
from prospect.errors import ConfigError, DataError, DataWarning
from prospect.grid import RegionGrid
from prospect.ingest.composite import plan_composite
from prospect.ingest.rasters import plan_raster

from .conftest import assert_clean_error
from .test_calibration_round15 import L2_ID, _dn, _grid, _read
from .test_calibration_round15 import l2 as l2  # the fixture
from .test_imagery_inputs import L8, _collection, _item, cut_scene, scene_grid
from .test_imagery_round15 import _clouded
from .test_imagery_round16 import L1_ID, _l1_grid
from .test_imagery_round16 import l1 as l1  # the fixture
from .test_imagery_round18 import _radsat

pytestmark = [pytest.mark.realdata]


@pytest.fixture(scope="module")
def scene(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return cut_scene(shared_data, tmp_path_factory.mktemp("l8r19"))


@pytest.fixture(scope="module")
def grid(scene: dict[str, Path]) -> RegionGrid:
    return scene_grid(scene)


def _quiet(fn: Any, source: dict[str, Any], grid: RegionGrid) -> list[Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        return list(fn(RasterSource.model_validate(source), grid))


class _Reads:
    """Counts the quality-layer reads of :func:`prospect.ingest.masked.read_aligned` by
    file (the real reader is called through)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.files: list[str] = []
        real = masked.read_aligned

        def counted(info: Any, *args: Any, **kwargs: Any) -> np.ndarray:
            self.files.append(Path(info.path).name)
            return real(info, *args, **kwargs)

        monkeypatch.setattr(masked, "read_aligned", counted)
        monkeypatch.setattr(masked, "_layers", threading.local(), raising=False)  # empty cache


# --- 1. a scene's quality layers are read once per block, not once per band ------------------

def test_qa_radsat_is_read_once_per_scene_block_for_all_its_bands(l2, monkeypatch):
    # before: the QA_RADSAT block was read (and warped) again for every band of the scene
    _radsat(l2["red"], l2["red"].parent / f"{L2_ID}_QA_RADSAT.TIF")
    nir = l2["red"].parent / f"{L2_ID}_SR_B5.TIF"
    nir.write_bytes(l2["red"].read_bytes())
    grid = _grid(l2["red"])
    layers = _quiet(plan_raster, {"name": "c2", "bands": {"red": str(l2["red"]),
                                                          "nir": str(nir)},
                                  "metadata": str(l2["mtl"])}, grid)
    reads = _Reads(monkeypatch)
    windows = list(grid.chunk_windows())
    got = {layer.name: [layer.compute(grid, w) for w in windows] for layer in layers}
    assert reads.files == [f"{L2_ID}_QA_RADSAT.TIF"] * len(windows), reads.files
    # the shared block masks each band as its own read did: rows 0-6 and 10 (band 4's
    # bit and terrain occlusion) are no data in red; band 5's bit is 4, not set there
    red = np.empty(grid.shape, np.float32)
    for w, block in zip(windows, got["red"], strict=True):
        red[w.rows, w.cols] = block
    assert np.isnan(red[0:7]).all() and np.isnan(red[10]).all()
    assert np.isfinite(red[7:10]).any()


def test_a_composites_cloud_mask_is_read_once_per_scene_block(scene, grid, tmp_path,
                                                             monkeypatch):
    # before: a geometric median read each scene's CFmask block once for every band
    stac = _collection(tmp_path / "items.json",
                       _item(scene, "a", props={"datetime": "2014-04-19T10:30:00Z"}),
                       _item(scene, "b", props={"datetime": "2014-05-21T10:30:00Z"}))
    layers = _quiet(plan_composite, {
        "name": "l8", "stac": stac, "assets": {"red": "red", "nir": "nir"},
        "cloud_mask": {"kind": "cfmask", "asset": "cfmask"},
        "composite": {"method": "geomedian"}}, grid)
    reads = _Reads(monkeypatch)
    window = next(iter(grid.chunk_windows()))
    for layer in layers:
        layer.compute(grid, window)
    # two scenes (one file, two items), three layers (red, nir, count), two bands each:
    # one read of the block, every later band of every layer served from it
    assert reads.files == [scene["cfmask"].name], reads.files


def test_a_quality_layer_replaced_under_its_name_is_read_again(scene, grid, tmp_path,
                                                              monkeypatch):
    # control: the shared block is keyed by the file's stamp, so a new layer is read
    import shutil

    cf = tmp_path / scene["cfmask"].name
    shutil.copy(scene["cfmask"], cf)
    stac = _collection(tmp_path / "items.json", _item(scene, "a", assets={
        "cfmask": {"href": str(cf)}}))
    (red, *_) = _quiet(plan_composite, {
        "name": "l8", "stac": stac, "assets": {"red": "red"},
        "cloud_mask": {"kind": "cfmask", "asset": "cfmask"},
        "composite": {"method": "median"}}, grid)
    reads = _Reads(monkeypatch)
    window = next(iter(grid.chunk_windows()))
    before = red.compute(grid, window)
    with rasterio.open(cf, "r+") as d:
        codes = d.read(1)
        codes[:] = 4  # all cloud now
        d.write(codes, 1)
    after = red.compute(grid, window)
    assert len(reads.files) == 2
    assert np.isfinite(before).any() and np.isnan(after).all()


def test_the_reflective_common_names_are_landsats_numbering_less_the_thermal():
    from prospect.ingest import stac

    reflective = {"coastal", "blue", "green", "red", "nir", "nir08", "swir16", "swir22",
                  "pan", "cirrus"}
    assert reflective == stac._REFLECTIVE


def test_a_composite_clouded_on_every_date_over_some_cells_is_no_data_there_with_count_0(
        scene, grid, tmp_path):
    # control (checked, sound): the cells no date sees clear are NaN, never 0, counted 0
    a, b = (_clouded(scene, tmp_path / f"{L8}_{n}_cfmask.tif", 20) for n in "ab")
    stac = _collection(tmp_path / "items.json", *[
        _item(scene, n, props={"datetime": f"2014-0{4 + i}-19T10:30:00Z"},
              assets={"cfmask": {"href": str(m)}}) for i, (n, m) in enumerate(
            (("a", a), ("b", b)))])
    layers = _quiet(plan_composite, {
        "name": "l8", "stac": stac, "assets": {"red": "red"},
        "cloud_mask": {"kind": "cfmask", "asset": "cfmask"},
        "composite": {"method": "median", "count_variable": True}}, grid)
    got = {layer.name: _read(layer, grid) for layer in layers}
    assert np.isnan(got["red"][:20]).all()
    assert (got["l8_count"][:20] == 0).all()
    assert np.isfinite(got["red"][20:]).any() and (got["l8_count"][20:] > 0).any()


# --- 2. band files whose names state a product that defines their DNs -------------------------

def _named_file(root: Path, name: str, dn: int = 12000, dtype: str = "uint16",
                crs: str = "EPSG:32621", top: float = -2500000) -> Path:
    """A 60 x 60 band named ``name`` holding ``dn`` (SYNTHETIC values, a real product's
    name), in UTM 21 as the Parana scene."""
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    with rasterio.open(path, "w", driver="GTiff", width=60, height=60, count=1, dtype=dtype,
                       crs=crs, nodata=0,
                       transform=rasterio.transform.from_origin(600000, top, 30, 30)
                       ) as d:
        d.write(np.full((60, 60), dn, dtype), 1)
    return path


def _value(path: Path, var: str = "b", **extra: Any) -> float:
    grid = _grid(path)
    layers = _quiet(plan_raster, {"name": "p", "bands": {var: str(path)}, **extra}, grid)
    return float(np.nanmedian(_read(layers[0], grid)))


def test_a_collection2_level2_file_given_its_scale_alone_takes_its_offset(tmp_path):
    # before: 2.75e-5 x DN without the product's -0.2: reflectance 0.2 high (0.33, not 0.13)
    path = _named_file(tmp_path, f"{L2_ID}_SR_B4.TIF")
    assert _value(path, scale=2.75e-5) == pytest.approx(12000 * 2.75e-5 - 0.2, abs=1e-6)
    assert _value(path, scale=2.75e-5, offset=-0.2) == pytest.approx(0.13, abs=1e-6)
    # a change of units said with 'units:' applies after the product's calibration
    assert _value(path, scale=100, units="%") == pytest.approx(13.0, abs=1e-4)
    assert _value(path, scale=0.00275, units="%") == pytest.approx(13.0, abs=1e-4)
    st = _named_file(tmp_path, f"{L2_ID}_ST_B10.TIF", dn=40000)
    assert _value(st, scale=0.00341802) == pytest.approx(40000 * 0.00341802 + 149.0, rel=1e-6)
    assert _value(st, scale=0.00341802, offset=-273.15, units="degC") == pytest.approx(
        40000 * 0.00341802 + 149.0 - 273.15, rel=1e-6)


@pytest.mark.parametrize(("extra", "error", "needle"), [
    ({"scale": 1e-4}, ConfigError, r"the config's 'scale: 0\.0001' is another product's, so "
     r"every value would be 3\.64 times wrong; give 'scale: 2\.75e-05'"),
    ({}, DataError, r"whose DNs are no values \(value = 2\.75e-05 x DN - 0\.2\), but no "
     r"metadata and no 'scale:' calibrate it, so the DNs would be read as surface "
     r"reflectance; give 'scale: 2\.75e-05' and 'offset: -0\.2'"),
    ({"scale": 2.75e-5, "offset": -0.1}, ConfigError, r"its offset at scale 2\.75e-05 is "
     r"-0\.2, but the config gives 'offset: -0\.1'"),
])
def test_a_collection2_level2_file_given_another_calibration_is_refused(tmp_path, extra,
                                                                        error, needle):
    # before: ESPA's 1e-4 read 3.6 x high; no scale read DNs (7 000-65 535) as reflectance
    path = _named_file(tmp_path, f"{L2_ID}_SR_B4.TIF")
    with pytest.raises(error, match=rf"source 'p', band 'b': {L2_ID}_SR_B4\.TIF is a "
                       rf"Landsat Collection 2 Level-2 surface reflectance file.*{needle}"):
        _value(path, **extra)


S2_SAFE = ("S2A_MSIL2A_20230301T104021_N0509_R008_T21JYM_20230301T145833.SAFE/GRANULE/"
           "L2A_T21JYM_A040205_20230301T104023/IMG_DATA/R10m")


@pytest.mark.parametrize(("folder", "name", "extra", "want"), [
    # baseline 05.09 in the .SAFE folder's name: DN - 1000 (before: 0.1 high)
    (S2_SAFE, "T21JYM_20230301T104021_B04_10m.tif", {"scale": 1e-4}, 0.2),
    (S2_SAFE, "T21JYM_20230301T104021_B04_10m.tif", {"scale": 1e-4, "offset": -0.1}, 0.2),
    # ESA's own name of an acquisition after 2022-01-25: baseline 04.00 or later
    ("", "T21JYM_20230301T104021_B04_10m.tif", {"scale": 1e-4}, 0.2),
    # controls: a baseline before 04.00, and an older file whose name cannot tell
    (S2_SAFE.replace("N0509", "N0300").replace("2023", "2021"),
     "T21JYM_20210301T104021_B04_10m.tif", {"scale": 1e-4}, 0.3),
    ("", "T21JYM_20210301T104021_B04_10m.tif", {"scale": 1e-4, "offset": -0.1}, 0.2),
    ("", "T21JYM_20210301T104021_B04_10m.tif", {"scale": 1e-4}, 0.3),
])
def test_a_sentinel2_band_takes_the_offset_its_name_states_once(tmp_path, folder, name,
                                                                 extra, want):
    path = _named_file(tmp_path / folder, name, dn=3000)
    assert _value(path, **extra) == pytest.approx(want, abs=1e-6)


@pytest.mark.parametrize(("name", "extra", "error", "needle"), [
    ("T21JYM_20230301T104021_B04_10m.tif", {"scale": 2.75e-5}, ConfigError,
     r"a Sentinel-2 L2A band file \(acquired 2023-03-01, so of baseline 04\.00 or later\) "
     r"\(value = 0\.0001 x DN - 0\.1\), but the config's 'scale: 2\.75e-05' is another "
     r"product's"),
    ("T21JYM_20230301T104021_B04_10m.tif", {"scale": 1e-4, "offset": -0.2}, ConfigError,
     r"a Sentinel-2 L2A band file .*, so its offset at scale 0\.0001 is -0\.1, but the "
     r"config gives 'offset: -0\.2'"),
    ("T21JYM_20210301T104021_B04.jp2", {}, DataError,
     r"a Sentinel-2 L1C band file, whose DNs are no values \(value = 0\.0001 x DN \+ its "
     r"baseline's offset\).* give 'scale: 0\.0001' and, from processing baseline 04\.00 on, "
     r"'offset: -0\.1'"),
    (f"{L8}_sr_band4.tif", {"scale": 2.75e-5}, ConfigError,
     r"an ESPA surface reflectance file \(value = 0\.0001 x DN\), but the config's 'scale: "
     r"2\.75e-05' is another product's"),
])
def test_a_product_file_given_another_products_calibration_is_refused(tmp_path, name, extra,
                                                                      error, needle):
    path = _named_file(tmp_path, name, dn=3000, dtype="uint16")
    with pytest.raises(error, match=rf"source 'p', band 'b': {re.escape(name)} is {needle}"):
        _value(path, **extra)


def test_an_espa_file_without_its_xml_or_a_scale_reads_as_before(tmp_path):
    # control, changed in round 20: ESPA bands without their XML were read as their DNs
    # labelled reflectance; a file of another type than ESPA's int16 is now refused (the
    # int16 ones read at ESPA's scale: test_imagery_round20.py), a scale given still reads
    path = _named_file(tmp_path, f"{L8}_sr_band4.tif", dn=3000, dtype="uint16")
    with pytest.raises(DataError, match=r"no metadata and no 'scale:' calibrate it"):
        _value(path)
    assert _value(path, scale=1e-4) == pytest.approx(0.3, abs=1e-6)


ASTER_L1T = "AST_L1T_00303012019104021_20190302081633_12345_V.tif"
ASTER_07 = "AST_07XT_00303012019104021_20190302081633_12346.tif"


@pytest.mark.parametrize(("name", "extra", "error", "needle"), [
    (ASTER_L1T, {}, ConfigError, r"an ASTER AST_L1T granule, which holds DNs: radiance is "
     r"\(DN - 1\) x the unit conversion coefficient of its band and gain.* read as they are "
     r"they would be labelled '1' \(reflectance\); use the AST_07XT surface reflectance "
     r"product, or state what you ingest with 'units:'"),
    (ASTER_L1T, {"scale": 0.001}, ConfigError, r"an ASTER AST_L1T granule, which holds DNs:"
     r".*'scale: 0\.001' labelled '1' would read them as a quantity they are not"),
    (ASTER_07, {"scale": 1e-4}, ConfigError, r"an ASTER AST_07XT surface reflectance "
     r"granule \(value = 0\.001 x DN\), but the config's 'scale: 0\.0001' is another"),
    (ASTER_07, {}, DataError, r"an ASTER AST_07XT surface reflectance granule, whose DNs "
     r"are no values"),
])
def test_aster_dns_are_not_taken_for_reflectance(tmp_path, name, extra, error, needle):
    # before: AST_L1T DNs went in labelled reflectance (with AST_07's 0.001: 0-0.255)
    path = _named_file(tmp_path, name, dn=120, dtype="uint8")
    with pytest.raises(error, match=rf"source 'p', band 'B1': {re.escape(name)} is {needle}"):
        _value(path, "B1", sensor="aster", **extra)


def test_aster_dns_stated_as_such_and_ast07_reflectance_read(tmp_path):  # controls
    l1t = _named_file(tmp_path, ASTER_L1T, dn=120, dtype="uint8")
    assert _value(l1t, "B1", sensor="aster", units="DN") == 120
    ast07 = _named_file(tmp_path, ASTER_07, dn=300, dtype="int16")
    assert _value(ast07, "B1", sensor="aster", scale=0.001) == pytest.approx(0.3, abs=1e-6)


# --- 3. an MTL of another processing of the same scene ------------------------------------

@pytest.mark.parametrize("other", [
    L2_ID.replace("20200823", "20210315"),  # reprocessed
    L2_ID.replace("_02_", "_01_"),  # another collection
    L2_ID.replace("_T1", "_T2"),  # another tier
])
def test_a_file_of_another_processing_than_its_mtl_is_refused(l2, other):
    # before: same satellite, path/row, date and level passed: the MTL's coefficients,
    # QA_RADSAT and checks were applied to another product's file
    path = l2["red"].with_name(f"{other}_SR_B4.TIF")
    l2["red"].rename(path)
    with pytest.raises(DataError, match=rf"{other}_SR_B4\.TIF: the file is {other}, but its "
                       rf"metadata file .*_MTL\.txt describes {L2_ID}: the same scene and "
                       r"level from another processing \(Collection \d, tier T\d, processed "
                       r"\d{4}-\d\d-\d\d against Collection 2, tier T1, processed "
                       r"2020-08-23\).*give the MTL delivered with the file"):
        _quiet(plan_raster, {"name": "c2", "bands": {"red": str(path)},
                             "metadata": str(l2["mtl"])}, _grid(path))


# --- 4. time series of two levels or two collections ----------------------------------------

def _dated_var(*files: str, **prov: Any) -> Any:
    import xarray as xr

    from prospect.io.cube import provenance_attr

    return xr.DataArray(np.full((4, 4), 0.1, np.float32), dims=("y", "x"), attrs={
        "units": "1", "prospect_kind": "continuous", "provenance": provenance_attr({
            "source": "s", "scenes": [{"file": f} for f in files], **prov})})


def _stack(first: Any, second: Any, days: tuple[str, str]) -> Any:
    import xarray as xr

    from prospect.config.timeseries import TimeSeriesConfig
    from prospect.timeseries import stack_dates

    cfg = TimeSeriesConfig.model_validate({"dates": [
        {"date": days[0], "bands": {"red": "a_red"}},
        {"date": days[1], "bands": {"red": "b_red"}}]})
    return stack_dates(xr.Dataset({"a_red": first, "b_red": second}), cfg)


C1_L1 = "LC08_L1TP_224078_20140419_20170306_01_T1"
C2_L1 = "LC08_L1TP_224078_20200127_20200823_02_T1"


@pytest.mark.parametrize(("a", "b", "days", "quantity", "needle"), [
    # Sentinel-2 L1C and L2A band files read without metadata (no quantity recorded)
    ("/d/T31UFT_20210301T104021_B04.jp2", "/d/T31UFT_20230301T104021_B04_10m.jp2",
     ("2021-03-01", "2023-03-01"), None, r"stacks 'a_red' \(quantity toa_reflectance\) "
     r"with 'b_red' \(quantity surface_reflectance\)"),
    # a Landsat Level-1 band and a Collection 2 Level-2 one
    (f"/d/{C2_L1}_B4.TIF", f"/d/{L2_ID.replace('20200127', '20210127')}_SR_B4.TIF",
     ("2020-01-27", "2021-01-27"), None, r"stacks 'a_red' \(quantity toa_reflectance\) "
     r"with 'b_red' \(quantity surface_reflectance\)"),
    # Collection 1 and Collection 2 Level-1 scenes, each with its MTL (one quantity)
    (f"/d/{C1_L1}_B4.TIF", f"/d/{C2_L1}_B4.TIF", ("2014-04-19", "2020-01-27"),
     "toa_reflectance", r"stacks 'a_red' \(Landsat Collection 1\) with 'b_red' \(Landsat "
     r"Collection 2\); the collections differ in calibration, geometry"),
])
def test_a_time_series_of_two_levels_or_collections_is_refused(a, b, days, quantity, needle):
    # before: without a recorded quantity nothing compared the levels; collections never
    prov = {"quantity": quantity} if quantity else {}
    with pytest.raises(DataError, match=rf"timeseries: band 'red' {needle}"):
        _stack(_dated_var(a, **prov), _dated_var(b, **prov), days)


def test_a_time_series_of_one_collection_and_level_stacks():  # control
    later = L2_ID.replace("20200127", "20210127")
    got = _stack(_dated_var(f"/d/{L2_ID}_SR_B4.TIF"), _dated_var(f"/d/{later}_SR_B4.TIF"),
                 ("2020-01-27", "2021-01-27"))
    assert got["red"].sizes["time"] == 2


# --- 5. a STAC item stating one grid for bands of two resolutions ---------------------------

def test_a_pan_asset_under_the_items_30m_grid_is_read_on_its_own_grid(scene, grid, tmp_path):
    # before: the item's proj:shape/transform (30 m) was taken for the 15 m pan band too,
    # and every chunk refused it when read ("the file's grid is not the item's")
    from rasterio.enums import Resampling

    with rasterio.open(scene["red"]) as s:
        data = s.read(1, out_shape=(s.height * 2, s.width * 2), resampling=Resampling.nearest)
        profile = {**s.profile, "width": s.width * 2, "height": s.height * 2,
                   "transform": s.transform * s.transform.scale(0.5, 0.5)}
        shape, transform = [s.height, s.width], list(s.transform)[:6]
    pan = tmp_path / "pan.tif"
    with rasterio.open(pan, "w", **profile) as d:
        d.write(data, 1)
    item = _item(scene, "a", props={"proj:shape": shape, "proj:transform": transform})
    item["assets"]["pan"] = {
        "href": str(pan), "eo:bands": [{"name": "B8", "common_name": "pan"}],
        "roles": ["data"], "gsd": 15,
        "raster:bands": [{"scale": 0.0001, "nodata": -9999, "data_type": "int16"}]}
    stac = _collection(tmp_path / "items.json", item)
    layers = _quiet(plan_composite, {"name": "l8", "stac": stac,
                                     "assets": {"red": "red", "pan": "pan"},
                                     "composite": {"method": "median"}}, grid)
    got = {layer.name: _read(layer, grid) for layer in layers}
    np.testing.assert_allclose(got["pan"], got["red"], equal_nan=True, rtol=1e-5)
    assert np.isfinite(got["pan"]).any()


def test_cli_a_collection2_file_given_espas_scale_is_one_line(tmp_path, cli):
    # before: exit 0, reflectance 3.6 x high in the cube
    path = _named_file(tmp_path, f"{L2_ID}_SR_B4.TIF", crs="EPSG:32721", top=7500000)
    with rasterio.open(path) as s:
        bounds = list(s.bounds)
    job = tmp_path / "job.yaml"
    job.write_text(yaml.safe_dump({
        "name": "r19", "region": {"name": "cut", "crs": "EPSG:32721", "resolution": 30,
                                  "bounds": bounds, "chunks": [30, 30]},
        "sources": [{"kind": "raster", "name": "c2", "bands": {"red": str(path)},
                     "scale": 0.0001}]}))
    result = cli("ingest", job, "-o", tmp_path / "out")
    assert_clean_error(result, 2, "SR_B4.TIF is a Landsat Collection 2 Level-2 surface "
                       "reflectance file", "'scale: 0.0001' is another product's",
                       "give 'scale: 2.75e-05'")
    assert not (tmp_path / "out" / "cube.zarr").exists()


# --- 6. a Landsat item whose raster:bands disagree with its own MTL asset ---------------------

def _l1_mtl_item(l1: dict[str, Path], root: Path, band: dict[str, Any],
                 **props: Any) -> str:
    """An item of the real Parana L1TP red band cut small, with its MTL as an asset."""
    item = {"type": "Feature", "stac_version": "1.0.0", "id": L1_ID, "geometry": None,
            "properties": {"datetime": "2020-05-18T13:31:02Z", "proj:epsg": 32621,
                           "platform": "landsat-8", "landsat:correction": "L1TP", **props},
            "assets": {"red": {"href": str(l1["red"]), "roles": ["data"],
                               "eo:bands": [{"name": "B4", "common_name": "red"}],
                               "raster:bands": [{"nodata": 0, "data_type": "uint16",
                                                 **band}]},
                       "mtl.txt": {"href": str(l1["mtl"]), "roles": ["metadata"]}},
            "links": []}
    return _collection(root / "items.json", item)


def _l1_composite(stac: str, grid: RegionGrid) -> np.ndarray:
    layers = _quiet(plan_composite, {"name": "l1", "stac": stac, "assets": {"red": "red"},
                                     "composite": {"method": "median"}}, grid)
    return _read(layers[0], grid)


def test_an_item_stating_another_sun_than_its_mtl_is_refused(l1, tmp_path):
    # before: (2e-5 DN - 0.1) / sin(30) read, 32 % above the MTL's own TOA reflectance
    stac = _l1_mtl_item(l1, tmp_path, {"scale": 2e-5, "offset": -0.1},
                        **{"view:sun_elevation": 30.0})
    with pytest.raises(DataError, match=rf"item '{L1_ID}', asset 'red': the item's "
                       r"raster:bands give value = 4e-05 x DN - 0\.2, but its own MTL asset "
                       rf".*{L1_ID}_MTL\.txt \({L1_ID} \(L1TP\)\) gives value = 3\.0\d*e-05 "
                       r"x DN - 0\.15\d* \(toa reflectance\) for this band"):
        _l1_composite(stac, _l1_grid(l1["red"]))


def test_an_item_stating_no_scale_takes_its_mtls_toa_reflectance(l1, tmp_path):
    # before: the DNs (5 000-20 000) went in as values
    stac = _l1_mtl_item(l1, tmp_path, {})
    got = _l1_composite(stac, _l1_grid(l1["red"]))
    dn = _dn(l1["red"])
    good = (dn > 0) & (dn < 65535)
    sin_e = math.sin(math.radians(41.27393))
    np.testing.assert_allclose(got[good], (2e-5 * dn[good] - 0.1) / sin_e, atol=1e-5)


def test_an_item_stating_its_mtls_own_sun_reads(l1, tmp_path):  # control
    stac = _l1_mtl_item(l1, tmp_path, {"scale": 2e-5, "offset": -0.1},
                        **{"view:sun_elevation": 41.27393})
    got = _l1_composite(stac, _l1_grid(l1["red"]))
    dn = _dn(l1["red"])
    good = (dn > 0) & (dn < 65535)
    sin_e = math.sin(math.radians(41.27393))
    np.testing.assert_allclose(got[good], (2e-5 * dn[good] - 0.1) / sin_e, atol=1e-5)


def test_an_item_whose_band_is_of_another_scene_than_its_mtl_is_refused(l1, tmp_path):
    # before: the item's band and its MTL were never compared
    other = L1_ID.replace("20200518_20200518", "20200502_20200502")
    moved = l1["red"].with_name(f"{other}_B4.TIF")
    l1["red"].rename(moved)
    stac = _l1_mtl_item({**l1, "red": moved}, tmp_path, {"scale": 2e-5, "offset": -0.1},
                        **{"view:sun_elevation": 41.27393})
    with pytest.raises(DataError, match=rf"item '{L1_ID}', asset 'red' against its MTL "
                       rf"asset: .*{other}_B4\.TIF: the file is {other} \(L1TP\) but its "
                       rf"metadata file .*{L1_ID}_MTL\.txt describes {L1_ID} \(L1TP\)"):
        _l1_composite(stac, _l1_grid(moved))
