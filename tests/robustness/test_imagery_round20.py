"""Imagery as survey scientists ingest it, fuzzed again (2026-12-03): the stacked-dates
indices path masking each block once, ESPA band files read without their XML, remote
quality layers replaced during a run, and the new defect classes of this round (see each
case).

Real scenes cut small in ``tmp_path`` (the Wageningen Landsat 8 ESPA scene and its CFmask,
through the fixtures of earlier imagery rounds); the stacked dates and the STAC items are
SYNTHETIC. Each defect case failed before its fix; the controls keep reading.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio

from prospect.config.sources import RasterSource
from prospect.errors import ConfigError, DataError, DataWarning
from prospect.grid import RegionGrid

from .test_calibration_round15 import L2_ID, _grid
from .test_calibration_round15 import l2 as l2  # the fixture
from .test_imagery_inputs import L8, cut_scene, scene_grid
from .test_imagery_round16 import l1 as l1  # the fixture
from .test_imagery_round19 import _named_file, _value

pytestmark = [pytest.mark.realdata]


@pytest.fixture(scope="module")
def scene(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return cut_scene(shared_data, tmp_path_factory.mktemp("l8r20"))


@pytest.fixture(scope="module")
def grid(scene: dict[str, Path]) -> RegionGrid:
    return scene_grid(scene)


def _median(source: dict[str, Any], grid: RegionGrid) -> float:
    from prospect.ingest.rasters import plan_raster

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        layers = plan_raster(RasterSource.model_validate(source), grid)
    window = next(iter(grid.chunk_windows()))
    return float(np.nanmedian(layers[0].compute(grid, window)))


# --- 1. the stacked-dates indices path masks each block once ---------------------------------

def test_stacked_dates_mask_each_block_once_and_count_as_before(monkeypatch):
    # before: the write's task and the count's task each masked a copy of the same raw
    # block (two float32 copies and two masks per block); now the count compares only
    import dask
    import dask.array as dsa

    import pipelines.stages.indices as stage
    from prospect.indices import plan_indices
    from prospect.indices.blocks import mask_outside_ranges

    calls: list[tuple[int, ...]] = []

    def counted(stacked: Any, plan: Any) -> list[int]:
        calls.append(tuple(stacked.shape))
        return mask_outside_ranges(stacked, plan)

    monkeypatch.setattr(stage, "mask_outside_ranges", counted)
    rng = np.random.default_rng(20)
    red = rng.uniform(0.02, 0.3, (2, 32, 32)).astype("f4")
    nir = rng.uniform(0.2, 0.5, (2, 32, 32)).astype("f4")
    red[1, :5] = -0.05  # SYNTHETIC water: NDVI -1.5 on 5 x 32 cells of the second date
    nir[1, :5] = 0.01
    red[0, 0, :3] = np.nan  # no data: neither undefined nor outside
    plan = plan_indices(["NDVI"], sensor="sentinel2", custom={"LOGDIFF": "log(R - N)"})
    bands = [dsa.from_array(red if v == "B04" else nir, chunks=(1, 16, 16))
             for v in plan.inputs]
    masked, counts = stage.counted_indices(bands, plan, "numpy", nodata=None, slots=[0, 1])
    with dask.config.set(scheduler="synchronous"):
        values, figures = dask.compute(masked, counts)
    blocks = 2 * 2 * 2
    assert len(calls) == blocks, calls  # once a block (before: twice)
    k = plan.names.index("NDVI")
    assert int(np.isnan(values[k]).sum()) == 5 * 32 + 3
    ndvi = [f[k] for f in figures.flat]
    undefined, held, outside = (sum(f[i] for f in ndvi) for i in range(3))
    assert (outside, held, undefined) == (160, 2 * 32 * 32 - 3, 160)
    assert sum(f[3]["B04"] for f in ndvi) == 160
    logdiff = [f[plan.names.index("LOGDIFF")] for f in figures.flat]
    assert sum(f[0] for f in logdiff) > 0.9 * (2 * 32 * 32 - 3)  # log of a negative


# --- 2. ESPA band files read without their XML -------------------------------------------------

def test_a_real_espa_band_without_its_xml_reads_at_espas_scale(scene, grid):
    # before: the real int16 sr_band4 without its XML or a scale went in as DNs labelled
    # reflectance (median 0.07 read as 700); ESPA's name and data type make the product
    # certain, so its documented 1e-4 applies, as the XML's does
    with_xml = _median({"name": "l8", "bands": {"red": str(scene["red"])},
                        "metadata": str(scene["xml"])}, grid)
    bare = _median({"name": "l8", "bands": {"red": str(scene["red"])}}, grid)
    assert 0.0 < with_xml < 1.0
    assert bare == pytest.approx(with_xml, rel=1e-6)
    # a config scale of ESPA's own reads the same; the DNs stated as such stay DNs
    assert _median({"name": "l8", "bands": {"red": str(scene["red"])}, "scale": 1e-4},
                   grid) == pytest.approx(with_xml, rel=1e-6)
    assert _median({"name": "l8", "bands": {"red": str(scene["red"])}, "units": "DN"},
                   grid) == pytest.approx(with_xml * 1e4, rel=1e-4)


@pytest.mark.parametrize(("kind", "dn", "want"), [("sr", 3000, 0.3), ("toa", 2500, 0.25),
                                                   ("bt", 2950, 295.0)])
def test_espa_int16_files_without_xml_take_the_documented_scale(tmp_path, kind, dn, want):
    # before: 3000, 2500 and 2950 went in as the band's values
    path = _named_file(tmp_path, f"{L8}_{kind}_band{10 if kind == 'bt' else 4}.tif", dn=dn,
                       dtype="int16", crs="EPSG:32631", top=5770000)
    assert _value(path) == pytest.approx(want, rel=1e-6)


def test_an_espa_named_file_of_another_type_without_a_scale_is_refused(tmp_path):
    # a float or uint16 file under ESPA's name is not ESPA's int16 product: the scale
    # cannot be taken from the name, so DNs (or converted values) are not guessed at
    path = _named_file(tmp_path, f"{L8}_sr_band4.tif", dn=3000, dtype="float32")
    with pytest.raises(DataError, match=rf"{L8}_sr_band4\.tif is an ESPA surface reflectance "
                       r"file, whose DNs are no values \(value = 0\.0001 x DN\).*give "
                       r"'scale: 0\.0001'"):
        _value(path)
    assert _value(path, scale=1e-4) == pytest.approx(0.3, abs=1e-6)


# --- 3. HLS (Harmonized Landsat Sentinel-2) band files and their Fmask ------------------------

HLS_L30 = "HLS.L30.T31UFT.2020273T104239.v2.0"
HLS_S30 = "HLS.S30.T31UFT.2020274T105031.v2.0"


@pytest.mark.parametrize(("name", "extra", "error", "needle"), [
    (f"{HLS_L30}.B04.tif", {}, DataError, r"an HLS L30 surface reflectance file, whose DNs "
     r"are no values \(value = 0\.0001 x DN\).* give 'scale: 0\.0001'"),
    (f"{HLS_S30}.B8A.tif", {"scale": 2.75e-5}, ConfigError, r"an HLS S30 surface "
     r"reflectance file \(value = 0\.0001 x DN\), but the config's 'scale: 2\.75e-05' is "
     r"another product's"),
    (f"{HLS_L30}.B10.tif", {"scale": 1e-4}, ConfigError, r"an HLS L30 thermal band file "
     r"\(brightness temperature in degrees Celsius\) \(value = 0\.01 x DN\), but the "
     r"config's 'scale: 0\.0001' is another product's"),
])
def test_hls_files_given_no_or_another_calibration_are_refused(tmp_path, name, extra, error,
                                                               needle):
    # before: HLS's dotted names hid the product (the part before the first dot is
    # 'HLS'): DN 3000 went in as reflectance 3000, Landsat's 2.75e-5 was taken, and the
    # thermal bands' 0.01 degrees C were read at reflectance's 1e-4
    path = _named_file(tmp_path, name, dn=3000, dtype="int16")
    with pytest.raises(error, match=rf"band 'b': {name.replace('.', chr(92) + '.')} is "
                       rf"{needle}"):
        _value(path, **extra)


def test_hls_files_given_their_scale_read(tmp_path):  # controls
    assert _value(_named_file(tmp_path, f"{HLS_S30}.B04.tif", dn=3000, dtype="int16"),
                  scale=1e-4) == pytest.approx(0.3, abs=1e-6)
    assert _value(_named_file(tmp_path, f"{HLS_L30}.B11.tif", dn=2150, dtype="int16"),
                  scale=0.01, units="degC") == pytest.approx(21.5, abs=1e-5)


@pytest.mark.parametrize("kind", ["cfmask", "scl"])
def test_an_hls_fmask_read_as_classes_is_refused(tmp_path, kind):
    # before: an HLS Fmask of climatology aerosol (bits 6-7 zero) holds 0 (clear) and 2
    # (bit 1: cloud), which are CFmask's clear and shadow, SCL's no data and dark area:
    # read as either, its clouds were kept or its clear land dropped, without a word
    from prospect.ingest.rasters import plan_raster

    band = _named_file(tmp_path, f"{HLS_L30}.B04.tif", dn=3000, dtype="int16")
    fmask = _named_file(tmp_path, f"{HLS_L30}.Fmask.tif", dn=0, dtype="uint8")
    with rasterio.open(fmask, "r+") as dst:
        codes = np.zeros((60, 60), "uint8")
        codes[:20] = 2
        dst.nodata = None
        dst.write(codes, 1)
    source = RasterSource.model_validate({
        "name": "h", "bands": {"red": str(band), "qa": str(fmask)}, "scale": 1e-4,
        "cloud_mask": {"kind": kind, "asset": "qa"}})
    grid = _grid(band)
    with pytest.raises(DataError, match=r"Fmask\.tif: .*the Fmask flags of HLS \(Harmonized "
                       r"Landsat Sentinel-2: bit 0 cirrus, 1 cloud.*so no kind reads them"), \
            warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        for layer in plan_raster(source, grid):
            layer.compute(grid, next(iter(grid.chunk_windows())))


def test_an_hls_fmask_read_as_qa_pixel_is_named_as_hls():
    # before: refused only by its 8-bit depth ("QA_PIXEL flags are 16-bit"), not named
    from prospect.ingest.cloudmask import foreign_name

    said = foreign_name("qa_pixel", f"/d/{HLS_L30}.Fmask.tif")
    assert said is not None and "the Fmask flags of HLS" in said
    assert foreign_name("qa_pixel", f"/d/{HLS_L30}.B04.tif") is None  # a band is no Fmask


# --- 4. Level-2 MTLs: no sun needed, L2SR holds no surface temperature ----------------------

def _edited_mtl(l2: dict[str, Path], root: Path, *, drop: tuple[str, ...] = (),
                swap: tuple[tuple[str, str], ...] = ()) -> Path:
    """The real Parana L2SP MTL with lines holding ``drop`` removed and ``swap`` applied."""
    text = l2["mtl"].read_text()
    lines = [ln for ln in text.splitlines() if not any(d in ln for d in drop)]
    text = "\n".join(lines) + "\n"
    for old, new in swap:
        text = text.replace(old, new)
    out = root / "edited" / l2["mtl"].name.replace("L2SP", "L2SR" if swap else "L2SP")
    out.parent.mkdir(exist_ok=True)
    out.write_text(text)
    return out


def _c2(path: Path, mtl: Path, var: str = "B4") -> float:
    from .test_calibration_round15 import _read

    grid = _grid(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        from prospect.ingest.rasters import plan_raster

        layers = plan_raster(RasterSource.model_validate({
            "name": "c2", "sensor": "landsat8", "bands": {var: str(path)},
            "metadata": str(mtl)}), grid)
    return float(np.nanmedian(_read(layers[0], grid)))


def test_a_level2_mtl_without_sun_elevation_reads(l2, tmp_path):
    # before: "the MTL has no SUN_ELEVATION; cannot compute reflectance", though Level-2
    # surface reflectance and temperature are calibrated without the sun's angle
    bare = _edited_mtl(l2, tmp_path, drop=("SUN_ELEVATION",))
    assert "SUN_ELEVATION" not in bare.read_text()
    assert _c2(l2["red"], bare) == pytest.approx(_c2(l2["red"], l2["mtl"]), rel=1e-7)


def test_a_level1_mtl_without_sun_elevation_is_still_refused(l1, tmp_path):  # control
    from prospect.ingest.landsat import read_mtl

    text = "\n".join(ln for ln in l1["mtl"].read_text().splitlines()
                     if "SUN_ELEVATION" not in ln)
    path = tmp_path / l1["mtl"].name
    path.write_text(text)
    with pytest.raises(DataError, match=r"the MTL has no SUN_ELEVATION; cannot compute "
                       r"reflectance"):
        read_mtl(path)


def test_a_thermal_band_of_an_l2sr_product_says_l2sr_has_none(l2, tmp_path):
    # before: "Level-2 MTL without TEMPERATURE_MULT/ADD_BAND_ST_B10", as if the MTL were
    # cut short; an L2SR product has no surface temperature at all
    sr_id = L2_ID.replace("L2SP", "L2SR")
    mtl = _edited_mtl(l2, tmp_path, drop=("TEMPERATURE_", "ST_B10", "ST_QA", "ST_"),
                      swap=(("L2SP", "L2SR"),))
    st = _named_file(tmp_path, f"{sr_id}_ST_B10.TIF", dn=40000)
    with pytest.raises(DataError, match=r"band 10 of .*an L2SR product holds surface "
                       r"reflectance only, no surface temperature.*take the thermal band "
                       r"from an L2SP product"):
        _c2(st, mtl, "B10")
