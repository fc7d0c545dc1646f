"""Round 66: imagery.

A Sentinel-2 Level-1C product read with its product XML (``metadata: MTD_MSIL1C.xml``)
whose sun stands low (above the horizon, under 15 degrees: high latitudes in winter) was
calibrated to top-of-atmosphere reflectance without a word: the product XML states no
sun, the granule's ``MTD_TL.xml`` beside it in the ``.SAFE`` folder does
(``Tile_Angles/Mean_Sun_Angle/ZENITH_ANGLE``), and ESA's L1C reflectance is the radiance
divided by cos(zenith), 11.5 times it at a zenith of 85 degrees. A Landsat Level-1 MTL of
the same sun is warned of (round 65b); now the L1C product is too, once, naming the XML,
the granule's file, the angle, the factor and the fix; the values stay as before.

A Sentinel-2 L1C STAC item stating its sun as the Planetary Computer's and stactools' items
do, by ``s2:mean_solar_zenith`` alone (no ``view:sun_elevation``), had no sun for
Prospect: a zenith of 85 went in without the warning an elevation of 5 gets. Now the
zenith is read as the elevation 90 - zenith, and the warning names the field.

SYNTHETIC: a ``.SAFE`` folder of an L1C product of tile 19PEP (the robustness sandbox's
Bonaire grid lies in it) at baseline 04.00: a faithful ``MTD_MSIL1C.xml`` (``RADIO_ADD_OFFSET``
-1000), ``GRANULE/L1C_T19PEP_.../MTD_TL.xml`` stating the mean sun zenith per case, and a
40 x 40 uint16 red band of DN 3000 (reflectance 0.2) as the granule's
``IMG_DATA/T19PEP_20220301T150721_B04.jp2`` (a GeoTIFF under that name), run through
``prospect plan`` in this process or planned with ``plan_raster``; round 38's 20 x 20
uint16 band of DN 3000 in a one-item collection of an L1C scene (``raster:bands`` 0.0001,
-0.1), planned as a composite and as a plain source.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from prospect.config.sources import RasterSource
from prospect.errors import data_warnings
from prospect.grid import ChunkWindow, RegionGrid
from prospect.ingest.composite import plan_composite
from prospect.ingest.rasters import plan_raster
from tests.robustness.conftest import Sandbox, run_in_process, write_tiny_raster
from tests.robustness.test_imagery_round38 import GRID as S2_GRID
from tests.robustness.test_imagery_round38 import L2, _band, _item
from tests.robustness.test_imagery_round38 import WINDOW as S2_WINDOW

DN = 3000
SAFE = "S2A_MSIL1C_20220301T150721_N0400_R082_T19PEP_20220301T183514.SAFE"
GRANULE = "L1C_T19PEP_A034000_20220301T150721"
BAND = "T19PEP_20220301T150721_B04.jp2"
DESCRIBED = "T19PEP_20220301T150721 (Level-1C, baseline 04.00)"
WHY = ("unreliable under so low a sun (long paths through the atmosphere, the terrain's "
       "shadows and slopes: no flat-surface model holds); use the scene's Level-2A "
       "(MSIL2A) product where ESA made one, or leave the scene out")

L1C_MTD = f"""<?xml version="1.0" encoding="UTF-8"?>
<n1:Level-1C_User_Product xmlns:n1="https://psd-14.sentinel2.eo.esa.int/PSD/User_Product_Level-1C.xsd">
<n1:General_Info>
<Product_Info>
<PRODUCT_START_TIME>2022-03-01T15:07:21.024Z</PRODUCT_START_TIME>
<PRODUCT_STOP_TIME>2022-03-01T15:07:21.024Z</PRODUCT_STOP_TIME>
<PRODUCT_URI>{SAFE}</PRODUCT_URI>
<PROCESSING_LEVEL>Level-1C</PROCESSING_LEVEL>
<PRODUCT_TYPE>S2MSI1C</PRODUCT_TYPE>
<PROCESSING_BASELINE>04.00</PROCESSING_BASELINE>
</Product_Info>
<Product_Image_Characteristics>
<Special_Values><SPECIAL_VALUE_TEXT>NODATA</SPECIAL_VALUE_TEXT>
<SPECIAL_VALUE_INDEX>0</SPECIAL_VALUE_INDEX></Special_Values>
<Special_Values><SPECIAL_VALUE_TEXT>SATURATED</SPECIAL_VALUE_TEXT>
<SPECIAL_VALUE_INDEX>65535</SPECIAL_VALUE_INDEX></Special_Values>
<QUANTIFICATION_VALUE unit="none">10000</QUANTIFICATION_VALUE>
<Radiometric_Offset_List>
<RADIO_ADD_OFFSET band_id="3">-1000</RADIO_ADD_OFFSET>
<RADIO_ADD_OFFSET band_id="7">-1000</RADIO_ADD_OFFSET>
</Radiometric_Offset_List>
<Reflectance_Conversion><U>1.0236</U></Reflectance_Conversion>
<Spectral_Information_List>
<Spectral_Information bandId="3" physicalBand="B4"/>
<Spectral_Information bandId="7" physicalBand="B8"/>
</Spectral_Information_List>
</Product_Image_Characteristics>
</n1:General_Info>
<n1:Quality_Indicators_Info><Cloud_Coverage_Assessment>3.2</Cloud_Coverage_Assessment>
</n1:Quality_Indicators_Info>
</n1:Level-1C_User_Product>
"""

TILE_MTD = """<?xml version="1.0" encoding="UTF-8"?>
<n1:Level-1C_Tile_ID xmlns:n1="https://psd-14.sentinel2.eo.esa.int/PSD/S2_PDI_Level-1C_Tile_Metadata.xsd">
<n1:General_Info>
<TILE_ID>S2A_OPER_MSI_L1C_TL_2APS_20220301T183514_A034000_T19PEP_N04.00</TILE_ID>
<SENSING_TIME metadataLevel="Standard">2022-03-01T15:10:02.123Z</SENSING_TIME>
</n1:General_Info>
<n1:Geometric_Info>
<Tile_Angles metadataLevel="Standard">
<Sun_Angles_Grid>
<Zenith><COL_STEP unit="m">5000</COL_STEP><ROW_STEP unit="m">5000</ROW_STEP>
<Values_List><VALUES>{zenith} {zenith}</VALUES></Values_List></Zenith>
</Sun_Angles_Grid>
<Mean_Sun_Angle>
<ZENITH_ANGLE unit="deg">{zenith}</ZENITH_ANGLE>
<AZIMUTH_ANGLE unit="deg">160.2</AZIMUTH_ANGLE>
</Mean_Sun_Angle>
<Mean_Viewing_Incidence_Angle_List>
<Mean_Viewing_Incidence_Angle bandId="3">
<ZENITH_ANGLE unit="deg">3.1</ZENITH_ANGLE>
<AZIMUTH_ANGLE unit="deg">101.7</AZIMUTH_ANGLE>
</Mean_Viewing_Incidence_Angle>
</Mean_Viewing_Incidence_Angle_List>
</Tile_Angles>
</n1:Geometric_Info>
</n1:Level-1C_Tile_ID>
"""


def _safe(root: Path, zenith: float | None) -> tuple[Path, Path, Path | None]:
    """A SYNTHETIC L1C ``.SAFE`` folder under ``root``: its product XML, the red band's
    file and the granule's ``MTD_TL.xml`` (none where ``zenith`` is None)."""
    safe = root / SAFE
    img = safe / "GRANULE" / GRANULE / "IMG_DATA"
    img.mkdir(parents=True)
    band = write_tiny_raster(img / BAND, values=np.full((40, 40), DN, np.uint16), nodata=0)
    mtd = safe / "MTD_MSIL1C.xml"
    mtd.write_text(L1C_MTD)
    tile = None
    if zenith is not None:
        tile = safe / "GRANULE" / GRANULE / "MTD_TL.xml"
        tile.write_text(TILE_MTD.format(zenith=f"{zenith:g}"))
    return mtd, band, tile


def _job(root: Path, zenith: float | None) -> tuple[Sandbox, Path, Path | None]:
    box = Sandbox(root / "box")
    mtd, band, tile = _safe(box.root, zenith)
    box.write_job(sources=[{"kind": "raster", "name": "s2",
                            "bands": {"red": str(band.relative_to(box.root))},
                            "metadata": str(mtd.relative_to(box.root))}])
    return box, mtd, tile


def _sun_said(text: str) -> list[str]:
    return [line for line in text.splitlines()
            if line.startswith("warning:") and "sun" in line]


def _low_sun(mtd: Path, tile: Path, zenith: float, factor: str) -> str:
    return (f"{mtd}: the granule's {tile} states the mean sun ZENITH_ANGLE {zenith:g} for "
            f"{DESCRIBED}, a sun {90 - zenith:g} degrees above the horizon, under 15: "
            "ESA's top-of-atmosphere reflectance is the radiance divided by "
            f"cos({zenith:g}), {factor} times it, and {WHY}")


# -- a low sun, by the granule's MTD_TL.xml ------------------------------------------------


@pytest.mark.parametrize(("zenith", "factor"), [(85.0, "11.5"), (75.5, "4.0")],
                         ids=["5-degrees", "14.5-degrees"])
def test_a_level1c_product_of_a_low_sun_is_warned_of(tmp_path: Path, zenith: float,
                                                      factor: str) -> None:
    """SYNTHETIC: an L1C ``.SAFE`` product whose granule states a mean sun zenith of 85
    (75.5) degrees, read with ``metadata: MTD_MSIL1C.xml``: ``prospect plan`` calibrated
    its red band, exit 0, without a word of the sun. Now one warning names the XML, the
    granule's file, the angle, the factor and the fix; the plan still succeeds and
    nothing outside ``out/`` is written."""
    box, mtd, tile = _job(tmp_path, zenith)
    assert tile is not None
    result = run_in_process("plan", box.job_path)
    text = result.out + result.err
    assert result.code == 0 and "Traceback" not in text, text[-2000:]
    assert _sun_said(text) == [f"warning: {_low_sun(mtd, tile, zenith, factor)}"], \
        text[-3000:]
    assert box.untouched()


def test_a_low_sun_is_warned_of_once_with_the_values_as_before(tmp_path: Path) -> None:
    """SYNTHETIC: the low-sun product's red and a second band of the same granule planned
    in one source: one warning (not one per band), and the red band's reflectance is
    ESA's ``(DN - 1000) / 10000`` (0.2) to the bit as the same product gives without its
    granule's ``MTD_TL.xml``."""
    mtd, band, tile = _safe(tmp_path, 85.0)
    assert tile is not None
    nir = band.with_name(BAND.replace("_B04", "_B08"))
    nir.write_bytes(band.read_bytes())
    cells, found = _planned(mtd, {"red": band, "nir": nir})
    assert [w for w in found if "sun" in w] == [_low_sun(mtd, tile, 85.0, "11.5")], found
    tile.unlink()
    before, quiet = _planned(mtd, {"red": band, "nir": nir})
    assert [w for w in quiet if "sun" in w] == [], quiet
    assert cells.dtype == before.dtype == np.float32 and cells.tobytes() == before.tobytes()
    np.testing.assert_allclose(cells, (DN - 1000) / 10000, rtol=1e-6)


GRID = RegionGrid(crs="EPSG:32619", resolution=10.0,
                  bounds=(500000.0, 1350000.0, 500400.0, 1350400.0), chunks=(40, 40),
                  name="r66")
"""The sandbox's region (``TINY_REGION``) as one chunk."""
WINDOW = ChunkWindow(0, 0, slice(0, 40), slice(0, 40))


def _planned(mtd: Path, bands: dict[str, Path]) -> tuple[np.ndarray, list[str]]:
    """The first layer's cells and the data warnings of planning and computing it."""
    source = RasterSource.model_validate(
        {"name": "s2", "bands": {k: str(v) for k, v in bands.items()}, "metadata": str(mtd)})
    with data_warnings() as found:
        layers = plan_raster(source, GRID)
        cells = np.asarray(layers[0].compute(GRID, WINDOW))
    return cells, found


# -- a low sun, by an L1C STAC item's s2:mean_solar_zenith --------------------------------

S2_ID = "S2A_MSIL1C_20221215T104441_N0509_R008_T31UFT_20221215T124152"
L1C_BANDS = {"scale": 0.0001, "offset": -0.1, "nodata": 0, "data_type": "uint16"}
"""An L1C band's ``raster:bands`` from baseline 04.00 on: (DN - 1000) / 10000."""


def _s2_stac(root: Path, props: dict[str, Any]) -> Path:
    """A one-item collection of a SYNTHETIC Sentinel-2 L1C scene of DN 3000 stating
    ``props`` (its sun)."""
    band = _band(root / "b" / "B04.tif", DN)
    item = _item(S2_ID, "2022-12-15", {"platform": "sentinel-2a", "constellation":
                                       "sentinel-2", "s2:product_type": "S2MSI1C",
                                       "s2:processing_baseline": "05.09", **props},
                 "red", band, L1C_BANDS)
    coll = root / "items.json"
    coll.write_text(json.dumps({"type": "FeatureCollection", "features": [item]}))
    return coll


def _stac_planned(coll: Path, composite: bool) -> tuple[np.ndarray, list[str]]:
    source = RasterSource.model_validate(
        {"name": "s2", "stac": str(coll), "assets": {"red": "red"},
         **({"composite": {"method": "median"}} if composite else {})})
    with data_warnings() as found:
        layers = (plan_composite if composite else plan_raster)(source, S2_GRID)
        cells = np.asarray(layers[0].compute(S2_GRID, S2_WINDOW))
    return cells, found


@pytest.mark.parametrize("composite", [True, False], ids=["composite", "plain"])
def test_an_l1c_item_stating_its_sun_by_the_mean_solar_zenith_is_warned_of(
    tmp_path: Path, composite: bool
) -> None:
    """SYNTHETIC: a Sentinel-2 L1C item stating its sun as the Planetary Computer's and
    stactools' items do, ``s2:mean_solar_zenith: 85`` (no ``view:sun_elevation``): its red
    band went in without a word, where the same item stating ``view:sun_elevation: 5``
    is warned of. Now the same warning names the item and the field it states."""
    coll = _s2_stac(tmp_path, {"s2:mean_solar_zenith": 85.0})
    cells, found = _stac_planned(coll, composite)
    said = [w for w in found if "sun" in w]
    assert len(said) == 1 and said[0].startswith(
        f"{coll}: 1 Level-1 STAC item(s) put the sun under 15 degrees above the horizon: "
        f"'{S2_ID}' (s2:mean_solar_zenith 85, x 11.5); "), found
    np.testing.assert_allclose(cells, (DN - 1000) / 10000, rtol=1e-6)


def test_control_an_l1c_item_of_a_high_mean_solar_zenith_warns_of_no_sun(
    tmp_path: Path
) -> None:
    """SYNTHETIC: the L1C item with ``s2:mean_solar_zenith: 40`` (a sun 50 degrees high)
    reads 0.2 without a word of the sun; ``view:sun_elevation: 5`` beside a zenith of 40
    is the item's stated elevation and is warned of by that name."""
    cells, found = _stac_planned(_s2_stac(tmp_path / "a", {"s2:mean_solar_zenith": 40.0}),
                                 True)
    assert [w for w in found if "sun" in w] == [], found
    np.testing.assert_allclose(cells, (DN - 1000) / 10000, rtol=1e-6)
    _, found = _stac_planned(_s2_stac(tmp_path / "b", {"s2:mean_solar_zenith": 40.0,
                                                       "view:sun_elevation": 5.0}), True)
    assert [w for w in found if "(view:sun_elevation 5, x 11.5)" in w] != [], found


# -- a composite of Landsat's and Sentinel-2's products -----------------------------------

L8_ID = "LC08_L2SP_198024_20220301_20220310_02_T1"
S2A_ID = "S2A_MSIL2A_20220305T104021_N0400_R008_T31UFT_20220305T125414"
L2A_BANDS = {"scale": 0.0001, "offset": -0.1, "nodata": 0, "data_type": "uint16"}


def _two_sensors(root: Path, second: str) -> tuple[np.ndarray, list[str]]:
    """A median composite of a SYNTHETIC Landsat 8 Level-2 item (red 0.075) and a
    ``second`` one: a Sentinel-2 L2A item (0.2), or a Landsat 9 Level-2 item."""
    l8 = _item(L8_ID, "2022-03-01", {"platform": "landsat-8", "landsat:correction": "L2SP"},
               "red", _band(root / "l8" / f"{L8_ID}_SR_B4.TIF", 10000), L2)
    if second == "sentinel-2":
        other = _item(S2A_ID, "2022-03-05", {"platform": "sentinel-2a",
                                             "s2:product_type": "S2MSI2A",
                                             "s2:processing_baseline": "04.00"},
                      "red", _band(root / "s2" / "B04.tif", DN), L2A_BANDS)
    else:
        l9 = "LC09_L2SP_198024_20220309_20220311_02_T1"
        other = _item(l9, "2022-03-09", {"platform": "landsat-9", "landsat:correction": "L2SP"},
                      "red", _band(root / "l9" / f"{l9}_SR_B4.TIF", 10000), L2)
    coll = root / "items.json"
    coll.write_text(json.dumps({"type": "FeatureCollection", "features": [l8, other]}))
    return _stac_planned(coll, True)


def test_a_composite_of_landsat_and_sentinel2_products_names_hls(tmp_path: Path) -> None:
    """SYNTHETIC: a median composite of a Landsat 8 Level-2 item (red 0.075) and a
    Sentinel-2 L2A item (red 0.2) of one week gave 0.1375, their mean, without a word of
    the two sensors (their bands differ in response and processing). Now one warning
    names both sensors' items and the fix (HLS, or one source per sensor); the values
    stay as computed."""
    cells, found = _two_sensors(tmp_path, "sentinel-2")
    said = [w for w in found if "two sensors" in w]
    assert said == [
        "source 's2': its composite takes the products of two sensors (1 Landsat item(s), "
        f"e.g. '{L8_ID}'; 1 Sentinel-2 item(s), e.g. '{S2A_ID}') as one: their bands differ "
        "in spectral response and in the processing that made them reflectance (USGS's, "
        "ESA's), and go into one value unadjusted; composite NASA's Harmonized Landsat "
        "Sentinel-2 (HLS: HLSL30 and HLSS30, adjusted to one response on one 30 m grid), "
        "or make one source per sensor"], found
    landsat, sentinel2 = 10000 * 2.75e-5 - 0.2, (DN - 1000) / 10000
    np.testing.assert_allclose(cells, (landsat + sentinel2) / 2, rtol=1e-5)


def test_control_a_composite_of_landsat_8_and_9_says_nothing_of_sensors(
    tmp_path: Path
) -> None:
    """SYNTHETIC: Landsat 8 and Landsat 9 Level-2 items (one sensor family, one
    processing) composite as before, without a word of sensors."""
    cells, found = _two_sensors(tmp_path, "landsat-9")
    assert [w for w in found if "sensor" in w] == [], found
    np.testing.assert_allclose(cells, 10000 * 2.75e-5 - 0.2, rtol=1e-5)


# -- controls ------------------------------------------------------------------------------


@pytest.mark.parametrize("zenith", [75.0, 30.2, None], ids=["15-degrees", "high", "no-tile"])
def test_control_a_level1c_product_of_a_high_sun_plans_without_a_word(
    tmp_path: Path, zenith: float | None
) -> None:
    """SYNTHETIC: a sun at 15 degrees (zenith 75), a high sun, and a product XML whose
    granule has no ``MTD_TL.xml`` plan as before, without a word of the sun."""
    box, _, _ = _job(tmp_path, zenith)
    result = run_in_process("plan", box.job_path)
    text = result.out + result.err
    assert result.code == 0 and "Traceback" not in text, text[-2000:]
    assert _sun_said(text) == [], text[-3000:]
    assert box.untouched()
