"""Round 65b: imagery.

A Landsat Level-1 scene whose sun stands low (above the horizon, under 15 degrees: high
latitudes in winter, a dawn or dusk pass) was calibrated to top-of-atmosphere
reflectance without a word: USGS's reflectance is the rescaled DNs divided by
sin(sun elevation), 11.5 times them at 5 degrees, where long paths through the
atmosphere, the terrain's shadows and slopes make it unreliable (and USGS makes no
Level-2 product of a scene whose solar zenith exceeds 76 degrees). Now a data warning
names the scene, its elevation, the factor and the fix, by the MTL (``metadata:``) and by
a STAC item's ``view:sun_elevation`` alike; the values stay as before, a night scene is
still refused.

An HLS S30 granule (``HLS.S30.T31UFT.2022075T104021.v2.0``) in a user's catalogue that
states ``platform: sentinel-2b`` and no HLS collection was read as ESA's Sentinel-2: refused
for want of a processing baseline, and with the baseline its advice asked for told to give
``offset: -0.1``, which made every reflectance 0.1 low (HLS's DNs are 0.0001 x DN, no
offset), exit 0. Now an item whose id or files name an HLS granule is HLS, whatever its
platform: its DNs are HLS's, and the Sentinel-2 offset given to it is refused.

SYNTHETIC: round 16's Collection 1 Level-1 MTL (its sun elevation set per case) beside a
40 x 40 uint16 band of DN 10000 under the product's name, run through ``prospect plan``
in this process; round 38's 20 x 20 uint16 band files listed in a one-item collection of
``LC08_L1TP_...`` with the OLI Level-1 ``raster:bands`` (2e-5, -0.1), planned as a
composite and as a plain source; a 20 x 20 int16 band of DN 3000 (fill -9999) under an
HLS S30 granule's file name in a one-item collection.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from prospect.config.sources import RasterSource
from prospect.errors import ConfigError, DataError, data_warnings
from prospect.ingest.composite import plan_composite
from prospect.ingest.landsat import read_mtl
from prospect.ingest.rasters import plan_raster
from tests.robustness.conftest import Sandbox, run_in_process, write_tiny_raster
from tests.robustness.test_imagery_round16 import L1_MTL
from tests.robustness.test_imagery_round18 import L1_ID
from tests.robustness.test_imagery_round38 import GRID, L1, ORIGIN, WINDOW, N, _band, _item

DN = 10000
STAC_ID = "LC08_L1TP_198024_20211215_20211223_02_T1"
FIX = ("unreliable under so low a sun (long paths through the atmosphere, the terrain's "
       "shadows and slopes: no flat-surface model holds); use the scene's Level-2 (surface "
       "reflectance) product where one was made (USGS makes none of a scene whose solar "
       "zenith exceeds 76 degrees, a sun under 14), or leave the scene out")


def _mtl_job(root: Path, sun: float) -> tuple[Sandbox, Path]:
    """A sandbox whose job reads the SYNTHETIC Level-1 red band with its MTL of ``sun``."""
    box = Sandbox(root / "box")
    write_tiny_raster(box.root / f"{L1_ID}_B4.TIF", values=np.full((40, 40), DN, np.uint16),
                      nodata=0)
    mtl = box.root / f"{L1_ID}_MTL.txt"
    mtl.write_text(L1_MTL.format(sun=sun))
    box.write_job(sources=[{"kind": "raster", "name": "oli",
                            "bands": {"red": f"{L1_ID}_B4.TIF"},
                            "metadata": mtl.name}])
    return box, mtl


def _warnings(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("warning:")]


def _stac(root: Path, sun: float, *, thermal: bool = False) -> Path:
    """A one-item collection of a SYNTHETIC Landsat 8 Level-1 scene of ``sun``."""
    band = _band(root / "b" / ("B10.TIF" if thermal else "B4.TIF"), DN)
    extra = {"eo:bands": [{"name": "B10", "common_name": "lwir11"}]} if thermal else {}
    item = _item(STAC_ID, "2021-12-15",
                 {"platform": "landsat-8", "view:sun_elevation": sun},
                 "lwir11" if thermal else "red", band, L1, **extra)
    coll = root / "items.json"
    coll.write_text(json.dumps({"type": "FeatureCollection", "features": [item]}))
    return coll


def _stac_planned(coll: Path, composite: bool, key: str = "red"
                  ) -> tuple[np.ndarray, list[str]]:
    """The layer's cells and the data warnings of planning and computing it."""
    source = RasterSource.model_validate(
        {"name": "ls", "stac": str(coll), "assets": {key: key},
         **({"composite": {"method": "median"}} if composite else {})})
    with data_warnings() as found:
        layers = (plan_composite if composite else plan_raster)(source, GRID)
        cells = np.asarray(layers[0].compute(GRID, WINDOW))
    return cells, found


# -- a low sun, by the MTL ----------------------------------------------------------------


@pytest.mark.parametrize(("sun", "factor"), [(5.0, "11.5"), (14.9, "3.9")],
                         ids=["5-degrees", "14.9-degrees"])
def test_a_level1_mtl_of_a_low_sun_is_warned_of(tmp_path: Path, sun: float,
                                                 factor: str) -> None:
    """SYNTHETIC: a Level-1 MTL stating ``SUN_ELEVATION = 5`` (or 14.9): ``prospect plan``
    calibrated its red band to reflectance 11.5 (3.9) times the rescaled DNs, exit 0
    without a word. Now one warning names the MTL, the scene, the elevation, the factor
    and the fix; the plan still succeeds."""
    box, mtl = _mtl_job(tmp_path, sun)
    result = run_in_process("plan", box.job_path)
    text = result.out + result.err
    assert result.code == 0 and "Traceback" not in text, text[-2000:]
    said = [w for w in _warnings(text) if "SUN_ELEVATION" in w]
    assert said == [
        f"warning: {mtl}: SUN_ELEVATION {sun:g} of {L1_ID} (L1TP) puts the sun under 15 "
        "degrees above the horizon: its top-of-atmosphere reflectance is the rescaled DNs "
        f"divided by sin({sun:g}), {factor} times them, and {FIX}"], text[-3000:]
    assert box.untouched()


# -- a low sun, by a STAC item ------------------------------------------------------------


@pytest.mark.parametrize("composite", [True, False], ids=["composite", "plain"])
def test_a_level1_stac_item_of_a_low_sun_is_warned_of(tmp_path: Path,
                                                       composite: bool) -> None:
    """SYNTHETIC: a Landsat 8 Level-1 item stating ``view:sun_elevation: 5`` and the OLI
    rescaling (2e-5, -0.1) in ``raster:bands``: its red band went in as reflectance 11.5
    times the rescaled DNs without a word. Now one warning names the catalogue, the item,
    its elevation and factor, and the fix; the values stay USGS's."""
    coll = _stac(tmp_path, 5.0)
    cells, found = _stac_planned(coll, composite)
    said = [w for w in found if "sun" in w]
    assert said == [
        f"{coll}: 1 Level-1 STAC item(s) put the sun under 15 degrees above the horizon: "
        f"'{STAC_ID}' (view:sun_elevation 5, x 11.5); their top-of-atmosphere reflectance "
        "is the rescaled DNs divided by sin(sun elevation), the factor given, and "
        f"{FIX}"], found
    expected = np.float32((2e-5 * DN - 0.1) / math.sin(math.radians(5.0)))
    np.testing.assert_allclose(cells, expected, rtol=1e-6)


# -- an HLS S30 granule stating a Sentinel-2 platform ------------------------------------

HLS_ID = "HLS.S30.T31UFT.2022075T104021.v2.0"
HLS_SCALE = {"scale": 0.0001, "offset": 0, "nodata": -9999, "data_type": "int16"}
"""HLS v2.0's ``raster:bands`` (HLS User Guide v2.0: int16 DN x 0.0001, fill -9999)."""


def _hls(root: Path, props: dict[str, Any], band: dict[str, Any] | None = None) -> Path:
    """A one-item collection of a SYNTHETIC HLS S30 granule (DN 3000, reflectance 0.3)
    stating ``platform: sentinel-2b`` and ``props``, no HLS collection."""
    path = root / f"{HLS_ID}.B04.tif"
    with rasterio.open(path, "w", driver="GTiff", width=N, height=N, count=1, dtype="int16",
                       crs="EPSG:32631", nodata=-9999,
                       transform=from_origin(*ORIGIN, 30.0, 30.0)) as dst:
        dst.write(np.full((1, N, N), 3000, np.int16))
    asset: dict[str, Any] = {"href": str(path), "roles": ["data"]}
    if band is not None:
        asset["raster:bands"] = [band]
    item = {"type": "Feature", "stac_version": "1.0.0", "id": HLS_ID, "geometry": None,
            "properties": {"datetime": "2022-03-16T10:40:21Z", "platform": "sentinel-2b",
                           **props},
            "assets": {"B04": asset}, "links": []}
    coll = root / "items.json"
    coll.write_text(json.dumps({"type": "FeatureCollection", "features": [item]}))
    return coll


def _hls_planned(coll: Path, composite: bool = True, **source: Any) -> np.ndarray:
    config = RasterSource.model_validate(
        {"name": "s", "stac": str(coll), "assets": {"red": "B04"},
         **({"composite": {"method": "median"}} if composite else {}), **source})
    with data_warnings():
        layers = (plan_composite if composite else plan_raster)(config, GRID)
        return np.asarray(layers[0].compute(GRID, WINDOW))


@pytest.mark.parametrize("composite", [True, False], ids=["composite", "plain"])
@pytest.mark.parametrize("props", [{}, {"s2:processing_baseline": "05.10"}],
                         ids=["no-baseline", "baseline"])
def test_an_hls_s30_item_stating_a_sentinel2_platform_is_told_as_hls(
    tmp_path: Path, props: dict[str, Any], composite: bool
) -> None:
    """SYNTHETIC: an HLS S30 granule's item (``platform: sentinel-2b``, no HLS collection,
    no ``raster:bands``) was refused as a Sentinel-2 band of no processing baseline (add
    ``s2:processing_baseline``), and with one as "value = 0.0001 x DN - 0.1 ... give
    'offset: -0.1'": advice that makes HLS's reflectance 0.1 low. Now told as HLS's
    file, whose scale is 0.0001 and offset none."""
    coll = _hls(tmp_path, props)
    with pytest.raises(DataError) as err:
        _hls_planned(coll, composite)
    message = str(err.value)
    assert message == (
        f"source 's', band 'red': {HLS_ID}.B04.tif is an HLS S30 surface reflectance "
        "file, whose DNs are no values (value = 0.0001 x DN), but no metadata and no "
        "'scale:' calibrate it, so the DNs would be read as surface reflectance; give "
        "'scale: 0.0001' in the source, or the product's metadata file with 'metadata:'"
    ), message


def test_the_sentinel2_offset_given_to_an_hls_s30_item_is_refused(tmp_path: Path) -> None:
    """SYNTHETIC: the same item with ``s2:processing_baseline: 05.10`` and the source's
    ``scale: 0.0001``, ``offset: -0.1`` (the old refusal's advice): reflectance 0.2 for
    HLS's 0.3, exit 0. Now refused: HLS's offset is 0."""
    coll = _hls(tmp_path, {"s2:processing_baseline": "05.10"})
    with pytest.raises(ConfigError) as err:
        _hls_planned(coll, scale=0.0001, offset=-0.1)
    message = str(err.value)
    assert message.startswith(
        f"source 's', band 'red': {HLS_ID}.B04.tif is an HLS S30 surface reflectance file "
        "(value = 0.0001 x DN), so its offset at scale 0.0001 is 0, but the config gives "
        "'offset: -0.1'"), message


# -- controls -----------------------------------------------------------------------------


def test_control_a_level1_mtl_of_a_sun_at_15_degrees_plans_without_a_word(
    tmp_path: Path
) -> None:
    """Control: ``SUN_ELEVATION = 15`` (and above) is no low sun: no warning of it."""
    box, _ = _mtl_job(tmp_path, 15.0)
    result = run_in_process("plan", box.job_path)
    text = result.out + result.err
    assert result.code == 0 and "Traceback" not in text, text[-2000:]
    assert not [w for w in _warnings(text) if "sun" in w.lower()], text[-3000:]


def test_control_a_low_suns_calibration_is_usgss_as_before(tmp_path: Path) -> None:
    """Control: at 5 degrees the red band's calibration is still USGS's
    ``(2e-5 DN - 0.1) / sin(5)``, to the last bit."""
    _, mtl = _mtl_job(tmp_path, 5.0)
    with data_warnings():
        cal = read_mtl(mtl).calibrate("red", str(mtl.parent / f"{L1_ID}_B4.TIF"))
    sin_e = math.sin(math.radians(5.0))
    assert (cal.scale, cal.offset, cal.quantity) == (2e-5 / sin_e, -0.1 / sin_e,
                                                     "toa_reflectance")


@pytest.mark.parametrize(("sun", "thermal"), [(41.0, False), (5.0, True)],
                         ids=["high-sun", "thermal-only"])
def test_control_stac_items_of_a_high_sun_or_thermal_bands_warn_of_no_sun(
    tmp_path: Path, sun: float, thermal: bool
) -> None:
    """Control: an item of a sun at 41 degrees, and one of 5 degrees read for its
    thermal band alone (no reflectance), are read without a word of the sun."""
    coll = _stac(tmp_path, sun, thermal=thermal)
    _, found = _stac_planned(coll, True, "lwir11" if thermal else "red")
    assert not [w for w in found if "sun" in w], found


def test_control_a_night_scene_is_still_refused(tmp_path: Path) -> None:
    """Control: ``SUN_ELEVATION = -3`` (a night pass) is still refused for reflectance."""
    _, mtl = _mtl_job(tmp_path, -3.0)
    with pytest.raises(DataError) as err:
        read_mtl(mtl).calibrate("red", str(mtl.parent / f"{L1_ID}_B4.TIF"))
    assert str(err.value).startswith(
        f"{mtl}: SUN_ELEVATION -3 puts the sun at or below the horizon (a night scene)"), \
        str(err.value)


def test_control_an_hls_item_stating_its_scale_reads_as_before(tmp_path: Path) -> None:
    """Control: the HLS S30 item stating HLS's ``raster:bands`` (0.0001, 0) reads DN 3000
    as reflectance 0.3, before and after."""
    cells = _hls_planned(_hls(tmp_path, {}, HLS_SCALE))
    np.testing.assert_allclose(cells, 0.3, rtol=1e-6)
