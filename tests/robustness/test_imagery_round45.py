"""Round 45: imagery.

1. A surface temperature read in another temperature scale by the whole formula, the
   product's calibration and the change of scale in one: USGS's Collection 2 ``ST_B10``
   in degrees Fahrenheit is ``(0.00341802 x DN + 149.0) x 1.8 - 459.67``, so ``scale:
   0.00615244, offset: -191.47, units: degF``. Only K <-> degC had a zero
   (``products.ZERO_SHIFTS``), so the pair was taken for a factor on the product's values
   and read 347.4 degF for 79.2 (-189.6 over an item stating ``raster:bands`` in kelvin),
   and an item stating ``unit: degF`` read in degC by the whole formula -17.3 degC for
   26.2, exit 0.
2. Landsat ARD tiles' quality layers by their names: Collection 1 ARD's ``PIXELQA``,
   ``RADSATQA``, ``SRAEROSOLQA``, ``SRCLOUDQA``, ``LINEAGEQA`` and Collection 2 ARD's
   ``QA_LINEAGE``, given as a band of continuous values, were read as amounts (their bit
   flags and scene indices resampled and modelled), exit 0; a ``PIXELQA`` under ``kind:
   qa_pixel`` was refused by its content only, "(a Collection 1 BQA, ESPA pixel_qa or a
   band?)", and ESPA's Collection 1 ``..._01_T1_pixel_qa`` was called "a Landsat
   Collection 1 quality band (BQA)".

SYNTHETIC 20 x 20 one-band GeoTIFFs named as USGS names its files and SYNTHETIC STAC items
(round 38 and 42's helpers), read through the plain source's and the composite's real
planning and computing; one case runs ``prospect ingest`` in-process on a SYNTHETIC job.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from prospect.errors import ConfigError, DataError
from tests.robustness.test_imagery_round38 import _item
from tests.robustness.test_imagery_round41 import _qa_composite
from tests.robustness.test_imagery_round42 import N, _composite, _file, _plain
from tests.robustness.test_imagery_round43 import (
    L8_L2,
    ST_C,
    ST_DN,
    ST_KELVIN,
    _st_file,
    _st_item,
)

from .conftest import TINY_REGION, Sandbox, assert_clean_error

# -- 1. a temperature in another scale by the whole formula ---------------------------------

ST_F = ST_C * 1.8 + 32.0
"""The SYNTHETIC ``ST_B10`` DN 44000 in degrees Fahrenheit: 79.24."""
F_SCALE, F_OFFSET = 0.00341802 * 1.8, 149.0 * 1.8 - 459.67
"""USGS's ``ST_B10`` formula in degrees Fahrenheit: 0.006152436 x DN - 191.47."""
NO_SCALE = {"nodata": 0, "data_type": "uint16"}


@pytest.mark.parametrize("how", ["plain-file", "item-raster-bands-kelvin",
                                 "item-no-raster-bands-scale"])
def test_st_b10_in_fahrenheit_by_the_whole_formula_reads_once(tmp_path: Path,
                                                              how: str) -> None:
    """``scale: 0.006152436, offset: -191.47, units: degF`` on a Collection 2 ``ST_B10``
    (a plain file, an item stating ``raster:bands`` in kelvin, an item stating no
    scale): 347.4 or -189.6 degF for a 79.24 degF surface before, exit 0; now 79.24."""
    if how == "plain-file":
        out = _plain(tmp_path, {"st": _st_file(tmp_path)}, scale=F_SCALE, offset=F_OFFSET,
                     units="degF")
    else:
        band = ST_KELVIN if how == "item-raster-bands-kelvin" else NO_SCALE
        out = _composite(tmp_path, [_st_item(tmp_path, band)], {"st": "lwir11"},
                         scale=F_SCALE, offset=F_OFFSET, units="degF")
    assert out["st"] == pytest.approx(ST_F, abs=2e-3)


def test_st_b10_in_fahrenheit_by_rounded_digits_reads_once(tmp_path: Path) -> None:
    """The same formula as a user rounds it, ``scale: 0.0061524, offset: -191.47``:
    347.4 degF before; now 79.24 within the rounding."""
    out = _plain(tmp_path, {"st": _st_file(tmp_path)}, scale=0.0061524, offset=-191.47,
                 units="degF")
    assert out["st"] == pytest.approx(ST_F, abs=0.02)


def _degf_item(root: Path, offset: float) -> dict[str, Any]:
    """A SYNTHETIC item of a land surface temperature product stating ``raster:bands``
    ``scale: 0.01``, ``offset``, ``unit: degF`` (no product its name states)."""
    href = _file(root / "lst.tif", round((ST_F - offset) * 100))
    return _item("lst_20210301", "2021-03-01", {}, "lst", href,
                 {**NO_SCALE, "scale": 0.01, "offset": offset, "unit": "degF"})


@pytest.mark.parametrize("offset", [0.0, -50.0], ids=["no-offset", "offset-minus-50"])
def test_an_item_in_fahrenheit_read_in_celsius_by_the_whole_formula_reads_once(
        tmp_path: Path, offset: float) -> None:
    """An item stating ``unit: degF`` read with ``units: degC`` and the whole formula,
    ``scale: 0.01 x 5/9``, ``offset: offset x 5/9 - 17.78``: the scale was taken for a
    conversion after the item's and applied on top, -17.3 (or -45.1) degC for a 26.24
    degC surface, exit 0; now 26.24."""
    out = _composite(tmp_path, [_degf_item(tmp_path, offset)], {"t": "lst"},
                     scale=0.01 * 5 / 9, offset=offset * 5 / 9 - 160 / 9, units="degC")
    assert out["t"] == pytest.approx(ST_C, abs=2e-3)


def test_a_temperature_converted_after_the_products_calibration_reads_as_before(
        tmp_path: Path) -> None:
    """control: the conversion alone after the product's calibration (``scale: 1.8,
    offset: -459.67, units: degF`` on ``ST_B10``; ``scale: 5/9, offset: -17.78, units:
    degC`` and ``units: K`` on an item in degF) and USGS's degC formula (``offset:
    -124.15``) read as before."""
    out = _plain(tmp_path, {"st": _st_file(tmp_path)}, scale=1.8, offset=-459.67,
                 units="degF")
    assert out["st"] == pytest.approx(ST_F, abs=2e-3)
    out = _plain(tmp_path, {"st": _st_file(tmp_path)}, scale=0.00341802, offset=-124.15,
                 units="degC")
    assert out["st"] == pytest.approx(ST_C, abs=2e-3)
    item = _degf_item(tmp_path, 0.0)
    out = _composite(tmp_path, [item], {"t": "lst"}, scale=5 / 9, offset=-160 / 9,
                     units="degC")
    assert out["t"] == pytest.approx(ST_C, abs=2e-3)
    out = _composite(tmp_path, [item], {"t": "lst"}, scale=5 / 9, offset=255.3722222,
                     units="K")
    assert out["t"] == pytest.approx(ST_C + 273.15, abs=2e-3)
    out = _composite(tmp_path, [item], {"t": "lst"}, scale=0.5556, offset=-17.78,
                     units="degC")  # to a config's four digits
    assert out["t"] == pytest.approx(ST_C, abs=0.02)


@pytest.mark.parametrize(("how", "config", "fix"), [
    ("plain-file", {"scale": 1.8, "offset": 32.0, "units": "degF"},
     "'scale: 1.8' and 'offset: -459.67'"),
    ("item-raster-bands-kelvin", {"scale": 1.8, "offset": 32.0, "units": "degF"},
     "'scale: 1.8' and 'offset: -459.67'"),
    ("plain-file", {"scale": 0.00341802, "offset": 273.15, "units": "degC"},
     "'offset: -273.15'"),
    ("item-raster-bands-kelvin", {"offset": 273.15, "units": "degC"}, "'offset: -273.15'"),
    ("item-raster-bands-kelvin", {"offset": 32.0, "units": "degF"},
     "'scale: 1.8' and 'offset: -459.67'"),
], ids=["c-to-f-pair-plain", "c-to-f-pair-item", "plus-273-plain", "plus-273-item",
        "offset-32-item"])
def test_a_temperature_converted_by_no_conversion_of_its_scale_is_refused(
        tmp_path: Path, how: str, config: dict[str, Any], fix: str) -> None:
    """``ST_B10`` (in K) read with a pair that converts no K: degC's to degF
    (``scale: 1.8, offset: 32``), the shift's sign the other way round (``offset:
    273.15``), degF's zero alone (``offset: 32``): taken as a change of units, 570.9 degF
    for 79.2, 572.5 degC for 26.2, 331.4 degF, exit 0; now refused naming the file, the
    conversion and the pairs to give."""
    with pytest.raises(ConfigError) as err:
        if how == "plain-file":
            _plain(tmp_path, {"st": _st_file(tmp_path)}, **config)
        else:
            _composite(tmp_path, [_st_item(tmp_path, ST_KELVIN)], {"st": "lwir11"},
                       **config)
    message = str(err.value)
    assert "\n" not in message and "_ST_B10.TIF is" in message, message
    assert "is no such conversion" in message and fix in message, message


def test_an_items_temperature_converted_after_its_calibration_reads(tmp_path: Path) -> None:
    """A Landsat item's ``lwir11`` of a file named as no product (``st.tif``, no
    ``raster:bands`` scale) read with the conversion alone, ``scale: 1.8, offset: -459.67,
    units: degF``: refused before as "the product's offset at scale 1.8 is 78466.5 ...
    remove 'offset:'" (no reading in degF but the whole formula); now 79.24."""
    item = _item(L8_L2, "2021-03-01", {"platform": "landsat-8"}, "lwir11",
                 _file(tmp_path / "st.tif", ST_DN), NO_SCALE)
    out = _composite(tmp_path, [item], {"st": "lwir11"}, scale=1.8, offset=-459.67,
                     units="degF")
    assert out["st"] == pytest.approx(ST_F, abs=2e-3)


# -- 2. Landsat ARD tiles' quality layers by their names -------------------------------------

C1_ARD = "LC08_CU_003009_20190718_20190801_C01_V01"
C2_ARD = "LC08_CU_003009_20190718_20190801_02"
PIXELQA_CLEAR, PIXELQA_CLOUD = 322, 480
"""Collection 1 ARD PIXELQA (ESPA pixel_qa bits): clear land (bits 1, 6, 8) and cloud of
high confidence (bits 5, 6, 7, 8)."""


@pytest.mark.parametrize(("name", "said"), [
    (f"{C1_ARD}_PIXELQA.tif", "Collection 1 ARD tile's PIXELQA (bit flags)"),
    (f"{C1_ARD}_RADSATQA.tif", "saturation layer"),
    (f"{C1_ARD}_SRAEROSOLQA.tif", "aerosol quality layer"),
    ("LE07_CU_003009_20190718_20190801_C01_V01_SRCLOUDQA.tif", "SR_CLOUD_QA"),
    (f"{C1_ARD}_LINEAGEQA.tif", "lineage layer"),
    (f"{C2_ARD}_QA_LINEAGE.tif", "lineage layer"),
], ids=["c1-pixelqa", "c1-radsatqa", "c1-sraerosolqa", "c1-srcloudqa", "c1-lineageqa",
        "c2-qa-lineage"])
def test_an_ard_quality_layer_given_as_a_plain_band_is_refused(tmp_path: Path, name: str,
                                                              said: str) -> None:
    """An ARD tile's quality layer under a plain source's ``bands:``: its flags (322, clear
    land) or scene indices were read as amounts, exit 0; now refused by its name, told
    to read it with ``values: categorical``."""
    layer = _file(tmp_path / name, PIXELQA_CLEAR, nodata=1)
    with pytest.raises(DataError) as err:
        _plain(tmp_path, {"flags": layer})
    message = str(err.value)
    assert "\n" not in message and f"band 'flags': {name} is" in message, message
    assert said in message and "'values: categorical'" in message, message


def _pixelqa() -> np.ndarray:
    qa = np.full((N, N), PIXELQA_CLEAR, np.uint16)
    qa[:3] = PIXELQA_CLOUD
    return qa


def test_a_c1_ard_pixelqa_under_qa_pixel_is_told_by_its_name(tmp_path: Path) -> None:
    """A Collection 1 ARD ``PIXELQA`` as a Landsat item's ``kind: qa_pixel`` layer:
    refused before by its content only, "(a Collection 1 BQA, ESPA pixel_qa or a
    band?)"; now told what its name shows, ARD's PIXELQA, and the product to use."""
    with pytest.raises(DataError) as err:
        _qa_composite(tmp_path, _pixelqa(), 1, name=f"{C1_ARD}_PIXELQA.tif")
    message = str(err.value)
    assert "\n" not in message and f"{C1_ARD}_PIXELQA.tif" in message, message
    assert "its name shows the PIXELQA flags of a Landsat Collection 1 ARD tile" in message, \
        message
    assert "Collection 2 ARD product" in message and "BQA" not in message, message


def test_an_espa_collection_1_pixel_qa_under_qa_pixel_is_not_called_a_bqa(
        tmp_path: Path) -> None:
    """ESPA's Collection 1 ``pixel_qa`` named with its scene's product id
    (``LC08_L1TP_..._01_T1_pixel_qa.tif``) under ``kind: qa_pixel``: called "a Landsat
    Collection 1 quality band (BQA)" before; now told it is ESPA's pixel_qa."""
    name = "LC08_L1TP_044034_20190718_20190731_01_T1_pixel_qa.tif"
    with pytest.raises(DataError) as err:
        _qa_composite(tmp_path, _pixelqa(), 1, name=name)
    message = str(err.value)
    assert "\n" not in message and name in message, message
    assert "pixel_qa flags of the ESPA Collection 1 product" in message, message
    assert "(BQA)" not in message, message


def test_a_collection_1_bqa_under_qa_pixel_is_still_called_one(tmp_path: Path) -> None:
    """control: a Collection 1 ``..._01_T1_BQA.TIF`` under ``kind: qa_pixel`` is told a
    Collection 1 quality band (BQA), as before, and a Collection 2 ARD ``SR_B4`` under a
    plain source reads its DN."""
    name = "LC08_L1TP_044034_20190718_20190731_01_T1_BQA.TIF"
    with pytest.raises(DataError, match=r"Collection 1 quality band \(BQA\)"):
        _qa_composite(tmp_path, np.full((N, N), 2720, np.uint16), 1, name=name)
    out = _plain(tmp_path, {"red": _file(tmp_path / "red_sr.tif", 3000)}, scale=1e-4)
    assert out["red"] == pytest.approx(0.3, abs=1e-5)


def test_cli_an_ard_pixelqa_as_a_band_is_one_error_line(sandbox: Sandbox, cli: Any,
                                                       scheduler: str) -> None:
    """``prospect ingest`` of a job whose plain source lists a Collection 1 ARD
    ``PIXELQA`` as a band: exit 0 before (flags ingested as values); now exit 1, one
    ``error:`` line naming the file and ``values: categorical``, nothing written beside
    the job."""
    west, _south, _east, north = TINY_REGION["bounds"]
    layer = _file(sandbox.root / f"{C1_ARD}_PIXELQA.tif", PIXELQA_CLEAR, nodata=1,
                  crs=TINY_REGION["crs"], origin=(west, north), res=20.0)
    sandbox.write_job(sources=[{"kind": "raster", "name": "ard",
                                "bands": {"flags": str(layer)}}])
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert_clean_error(result, 1, f"{C1_ARD}_PIXELQA.tif", "'values: categorical'")
    assert sandbox.untouched()


# -- 3. USGS's STAC items of Collection 2 ARD surface reflectance and temperature ---------------

ARD_SR_ID, ARD_ST_ID = f"{C2_ARD}_SR", f"{C2_ARD}_ST"
"""USGS's STAC item ids of a Collection 2 U.S. ARD tile (collections ``landsat-c2ard-sr``,
``landsat-c2ard-st``)."""


def _ard_item(root: Path, collection: str | None, key: str, name: str, dn: int,
              **band: Any) -> dict[str, Any]:
    """A SYNTHETIC item of a Collection 2 ARD tile as USGS's STAC serves it, its file
    renamed (``red.tif``: no product name), ``raster:bands`` stating ``band`` alone."""
    item_id = ARD_ST_ID if key == "lwir11" else ARD_SR_ID
    item = _item(item_id, "2019-07-18", {"platform": "LANDSAT_8"}, key,
                 _file(root / name, dn), {**NO_SCALE, **band})
    if collection is not None:
        item["collection"] = collection
    return item


@pytest.mark.parametrize("collection", ["landsat-c2ard-sr", None], ids=["collection", "id"])
def test_an_ard_item_given_the_products_scale_alone_reads_its_offset(
        tmp_path: Path, collection: str | None) -> None:
    """An ARD surface reflectance item (by its collection, or by its USGS id alone) of a
    renamed file, read with ``scale: 2.75e-5`` (the product's) and no offset: the -0.2 was
    lost, DN 20000 read 0.55, not 0.35, exit 0; now 0.35."""
    item = _ard_item(tmp_path, collection, "red", "red.tif", 20000)
    out = _composite(tmp_path, [item], {"red": "red"}, scale=2.75e-5)
    assert out["red"] == pytest.approx(0.35, abs=1e-5)


def test_an_ard_item_without_a_scale_is_refused(tmp_path: Path) -> None:
    """The same item with no ``scale:``: DN 20000 went in as reflectance 20000 (labelled
    ``1``), exit 0; now refused naming the item and the product's pair."""
    item = _ard_item(tmp_path, "landsat-c2ard-sr", "red", "red.tif", 20000)
    with pytest.raises(DataError) as err:
        _composite(tmp_path, [item], {"red": "red"})
    message = str(err.value)
    assert "\n" not in message and f"item '{ARD_SR_ID}'" in message, message
    assert "'scale: 2.75e-05' and 'offset: -0.2'" in message, message


def test_an_ard_item_stating_another_products_scale_is_refused(tmp_path: Path) -> None:
    """An ARD surface reflectance item stating ``raster:bands`` scale 1e-4 (ESPA's, of
    Collection 1 ARD): read 2.0 for 0.35, exit 0; now refused as a misstated pair."""
    item = _ard_item(tmp_path, "landsat-c2ard-sr", "red", "red.tif", 20000, scale=1e-4)
    with pytest.raises(DataError) as err:
        _composite(tmp_path, [item], {"red": "red"})
    message = str(err.value)
    assert "\n" not in message and f"item '{ARD_SR_ID}'" in message, message
    assert "raster:bands scale 0.0001" in message and "2.75e-05 and -0.2" in message, message


def test_an_ard_temperature_item_given_the_products_scale_alone_reads_its_offset(
        tmp_path: Path) -> None:
    """An ARD surface temperature item (``landsat-c2ard-st``, ``lwir11`` of a renamed
    file) with ``scale: 0.00341802``: 150.4 "K" for 299.39 before (the 149 lost); now
    299.39 K."""
    item = _ard_item(tmp_path, "landsat-c2ard-st", "lwir11", "st.tif", 44000)
    out = _composite(tmp_path, [item], {"st": "lwir11"}, scale=0.00341802)
    assert out["st"] == pytest.approx(ST_C + 273.15, abs=2e-3)


def test_an_ard_item_stating_its_pair_and_a_toa_tile_read_as_before(tmp_path: Path) -> None:
    """control: an ARD item stating ``raster:bands`` 2.75e-5 and -0.2 reads 0.35; an item
    of the top-of-atmosphere collection (``landsat-c2ard-ta``, not surface reflectance)
    given ``scale: 2.75e-5`` reads 0.35 too since round 46 (its DNs are scaled as the
    surface reflectance's; it read 0.55 here before, the -0.2 lost)."""
    item = _ard_item(tmp_path, "landsat-c2ard-sr", "red", "red.tif", 20000, scale=2.75e-5,
                     offset=-0.2)
    out = _composite(tmp_path, [item], {"red": "red"})
    assert out["red"] == pytest.approx(0.35, abs=1e-5)
    toa = _item(f"{C2_ARD}_TA", "2019-07-18", {"platform": "LANDSAT_8"}, "red",
                _file(tmp_path / "toa.tif", 20000), NO_SCALE)
    toa["collection"] = "landsat-c2ard-ta"
    out = _composite(tmp_path, [toa], {"red": "red"}, scale=2.75e-5)
    assert out["red"] == pytest.approx(0.35, abs=1e-5)
