"""Round 39: imagery.

1. A Landsat item of a user's catalogue stating its sensor by ``instruments`` alone
   (``[tm]``, ``["etm+"]``, no platform, no Landsat id): of no satellite, so its band
   names (``SR_B4``) were not read as band numbers and ``red: SR_B4`` took TM's near
   infrared beside OLI's red into one composite, exit 0. An MSS item (``[mss]``) under a
   Landsat 5 platform had its bands read by TM's numbering (its red refused as green).
   Items stating ``["oli", "tirs"]`` alone beside ``ST_B10`` were of no product (289 K
   labelled ``1``).
2. ESPA's provisional surface temperature (product ``st``) labelled
   ``brightness_temperature``.
3. Landsat scenes placed without ground control points (MTL ``L1GT``/``L1GS``,
   pre-Collection ``L1G``/``L1Gt``; STAC items of ``landsat:correction: L1GT`` or such
   ids) read beside terrain-corrected ones without a word.
4. Collection 2 Level-2 items known by their USGS ids (or a Landsat platform or
   instruments beside ``SR_B4``) stating no ``raster:bands``, their files not named as
   the product's: their DNs (11000) went in as reflectance, exit 0.

SYNTHETIC 20 x 20 uint16 band files written into ``tmp_path`` with rasterio, listed in
item collections as a user's catalogue holds them and read through the composite's real
planning (``plan_composite``); a SYNTHETIC ESPA XML; copies of the real Para TM MTL with
its ``DATA_TYPE`` edited (SYNTHETIC edit), read with ``read_mtl``.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import pytest

from prospect.config.sources import RasterSource
from prospect.errors import DataError
from prospect.ingest.composite import plan_composite
from tests.robustness.test_imagery_round38 import GRID, L2, WINDOW, _band, _composite, _item

# -- 1. Landsat items stating their sensor by instruments alone --------------------------


def _by_instruments(root: Path, first: list[str], second: list[str], *,
                    key: str = "SR_B4", var: str = "red") -> dict[str, Any]:
    """A median of ``var: key`` over two items known by their ``instruments`` alone
    (DN 10000 and 30000), neither stating a platform, a collection or a Landsat id."""
    items = []
    for n, (instruments, day, dn) in enumerate(
            zip([first, second], ["2021-03-01", "2011-03-11"], [10000, 30000], strict=True)):
        href = _band(root / f"scene{n}" / f"{key}.tif", dn)
        items.append(_item("ab"[n], day, {"instruments": instruments}, key, href, L2))
    return _composite(root, items, {var: key})


@pytest.mark.parametrize("sensor", [["tm"], ["TM"], ["etm+"], ["ETM"]],
                         ids=["tm", "TM", "etm+", "ETM"])
def test_a_tm_item_known_by_its_instruments_is_not_read_as_olis_red(tmp_path: Path,
                                                                    sensor: list[str]) -> None:
    """TM's (ETM+'s) band 4, near infrared, beside OLI's band 4, red, both as ``red:
    SR_B4``, the items stating ``instruments`` alone: the median of red and near infrared
    was written as red (0.5125), exit 0. Refused now, naming the sensor."""
    with pytest.raises(DataError) as err:
        _by_instruments(tmp_path, ["oli", "tirs"], sensor)
    message = str(err.value)
    assert "\n" not in message
    assert "asset 'SR_B4'" in message and "'red'" in message, message
    assert "item 'b'" in message, message
    assert "(nir/nir08) of Landsat TM (instruments: " in message or \
        "(nir/nir08) of Landsat ETM+ (instruments: " in message, message
    assert "band 4 is red on Landsat 8/9, near infrared on Landsat 4-7" in message, message


def test_two_oli_items_known_by_their_instruments_read_as_before(tmp_path: Path) -> None:
    """control: two OLI items (``["oli", "tirs"]``), ``red: SR_B4``: their median."""
    layers = _by_instruments(tmp_path, ["oli", "tirs"], ["OLI_TIRS"])
    value = layers["red"][1]
    assert float(value[0, 0]) == pytest.approx((10000 + 30000) / 2 * 2.75e-5 - 0.2, abs=1e-5)


def test_an_mss_items_red_is_not_read_by_tms_numbering(tmp_path: Path) -> None:
    """MSS numbers its bands otherwise (band 2 red; TM's band 2 is green): a Landsat 5
    MSS item's ``red: B2`` (``instruments: [mss]``) was refused as "band 2 (green)".
    Read now, beside another MSS item."""
    items = []
    for n, day in enumerate(["1985-03-01", "1985-03-17"]):
        href = _band(tmp_path / f"scene{n}" / "B2.tif", 100 + n * 20)
        items.append(_item("ab"[n], day, {"platform": "landsat-5", "instruments": ["mss"]},
                           "B2", href, {"scale": 1.0, "offset": 0, "nodata": 0,
                                        "data_type": "uint8"}))
    layers = _composite(tmp_path, items, {"red": "B2"})
    assert float(layers["red"][1][0, 0]) == pytest.approx(110.0)


ST = {"scale": 0.00341802, "offset": 149.0, "nodata": 0, "data_type": "uint16"}
"""A Landsat Collection 2 Level-2 surface temperature band's ``raster:bands``."""


def test_surface_temperature_of_items_known_by_their_instruments_is_in_kelvin(
        tmp_path: Path) -> None:
    """Items stating ``instruments: ["oli", "tirs"]`` alone beside ``ST_B10``: of no
    product, so the composite of their surface temperature (289.1 K) was labelled units
    ``1`` with no quantity, exit 0. Now the product's: kelvin."""
    items = []
    for n, day in enumerate(["2021-03-01", "2021-03-17"]):
        href = _band(tmp_path / f"scene{n}" / "ST_B10.tif", 40000 + 2000 * n)
        items.append(_item("ab"[n], day, {"instruments": ["oli", "tirs"]}, "ST_B10", href, ST))
    coll = tmp_path / "items.json"
    coll.write_text(json.dumps({"type": "FeatureCollection", "features": items}))
    src = RasterSource.model_validate({"name": "ls", "stac": str(coll),
                                       "assets": {"lst": "ST_B10"},
                                       "composite": {"method": "median"}})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (layer, _count) = plan_composite(src, GRID)
    assert layer.units == "K", layer.units
    assert float(layer.compute(GRID, WINDOW)[0, 0]) == pytest.approx(
        41000 * 0.00341802 + 149.0, abs=1e-3)


# -- 2. ESPA's surface temperature labelled brightness temperature ------------------------

ESPA_ID = "LC81970242014109LGN00"
_ESPA_HEAD = f"""<?xml version="1.0" encoding="UTF-8"?>
<espa_metadata version="2.0" xmlns="http://espa.cr.usgs.gov/v2">
    <global_metadata>
        <satellite>LANDSAT_8</satellite>
        <instrument>OLI_TIRS</instrument>
        <acquisition_date>2014-04-19</acquisition_date>
        <lpgs_metadata_file>{ESPA_ID}_MTL.txt</lpgs_metadata_file>
    </global_metadata>
    <bands>"""
_ESPA_BAND = """
        <band product="{product}" name="{name}" category="image" data_type="INT16"
              nlines="20" nsamps="20" fill_value="-9999" scale_factor="0.100000">
            <long_name>{long}</long_name>
            <file_name>{file}</file_name>
            <data_units>temperature (kelvin)</data_units>
            <valid_range min="1500" max="3730"/>
        </band>"""


@pytest.fixture(scope="module")
def espa_xml(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SYNTHETIC ESPA XML holding a surface temperature band (product ``st``) and a
    brightness temperature band (product ``toa_bt``), as ESPA delivered them."""
    root = tmp_path_factory.mktemp("espa")
    bands = [("st", "surface_temperature", "surface temperature", f"{ESPA_ID}_st.tif"),
             ("toa_bt", "bt_band10", "band 10 top-of-atmosphere brightness temperature",
              f"{ESPA_ID}_bt_band10.tif")]
    text = _ESPA_HEAD + "".join(_ESPA_BAND.format(product=p, name=n, long=lo, file=f)
                                for p, n, lo, f in bands) + "\n    </bands>\n</espa_metadata>\n"
    path = root / f"{ESPA_ID}.xml"
    path.write_text(text)
    return path


def test_espas_surface_temperature_is_labelled_surface_temperature(espa_xml: Path) -> None:
    """ESPA's product ``st`` (surface temperature, kelvin) was labelled
    ``brightness_temperature``."""
    from prospect.ingest.espa import read_espa

    cal = read_espa(espa_xml).calibrate("lst", f"{ESPA_ID}_st.tif")
    assert (cal.quantity, cal.units) == ("surface_temperature", "K")
    assert (cal.scale, cal.offset) == (pytest.approx(0.1), 0.0)


def test_espas_brightness_temperature_stays_brightness_temperature(espa_xml: Path) -> None:
    """control: ESPA's product ``toa_bt`` (``bt_band10``) is brightness temperature."""
    from prospect.ingest.espa import read_espa

    cal = read_espa(espa_xml).calibrate("bt10", f"{ESPA_ID}_bt_band10.tif")
    assert (cal.quantity, cal.units) == ("brightness_temperature", "K")


# -- 3. Landsat scenes placed without ground control (L1GT, L1GS) ------------------------

TM = "LT52240631988227CUB02"


def _geolocation_told(shared_data: Path, root: Path, data_type: str) -> list[str]:
    """The DataWarnings of calibrating band 3 of the real Para TM scene under a copy of
    its MTL whose ``DATA_TYPE`` (``L1T``) is ``data_type`` (a SYNTHETIC edit)."""
    from prospect.errors import DataWarning
    from prospect.ingest.landsat import read_mtl

    src = shared_data / "landsat5_tm_para_rstoolbox"
    text = (src / f"{TM}_MTL.txt").read_bytes().decode("latin-1")
    assert 'DATA_TYPE = "L1T"' in text
    root.mkdir(parents=True, exist_ok=True)
    mtl = root / f"{TM}_MTL.txt"
    mtl.write_text(text.replace('DATA_TYPE = "L1T"', f'DATA_TYPE = "{data_type}"'),
                   encoding="latin-1")
    band = root / f"{TM}_B3.TIF"
    band.write_bytes((src / f"{TM}_B3.TIF").read_bytes())
    meta = read_mtl(mtl)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        meta.calibrate("B3", str(band))
        meta.calibrate("B3", str(band))  # a second band of the scene: told once
    return [str(w.message) for w in caught if issubclass(w.category, DataWarning)
            and "processing level" in str(w.message)]


@pytest.mark.parametrize("data_type", ["L1G", "L1GT", "L1Gt", "L1GS"])
def test_a_scene_placed_without_ground_control_is_warned_of(shared_data: Path,
                                                            tmp_path: Path,
                                                            data_type: str) -> None:
    """An MTL of processing level L1GT/L1GS (pre-Collection L1G, L1Gt: no ground control
    points) calibrated without a word; now warned of once per scene, naming the file,
    the level and the fix."""
    told = _geolocation_told(shared_data, tmp_path / "scene", data_type)
    assert len(told) == 1, told
    assert f"{TM}_MTL.txt" in told[0] and f"processing level {data_type.upper()}" in told[0], told
    assert "ground control" in told[0] and "L1TP" in told[0], told


def test_a_terrain_corrected_scene_is_not_warned_of(shared_data: Path,
                                                    tmp_path: Path) -> None:
    """control: the real MTL, ``DATA_TYPE = "L1T"`` (precision, terrain corrected)."""
    assert _geolocation_told(shared_data, tmp_path / "scene", "L1T") == []


L1 = {"scale": 2e-05, "offset": -0.1, "nodata": 0, "data_type": "uint16"}
"""A Landsat Collection 2 Level-1 band's ``raster:bands`` (TOA reflectance)."""


def _level1_items(root: Path, levels: list[str], *, by: str) -> list[str]:
    """The DataWarnings of a composite of ``red: B4`` over Landsat 8 Level-1 items of
    ``levels`` (by ``landsat:correction`` or by their USGS ids)."""
    from prospect.errors import DataWarning

    items = []
    for n, level in enumerate(levels):
        day = f"2021-03-{1 + 8 * n:02d}"
        tier = 2 if "G" in level else 1
        ident = f"LC08_{level}_198024_{day.replace('-', '')}_20210310_02_T{tier}"
        props = {"platform": "landsat-8", "view:sun_elevation": 40.0}
        if by == "correction":
            props["landsat:correction"] = level
        href = _band(root / f"scene{n}" / "B4.tif", 10000 + 1000 * n)
        items.append(_item(ident if by == "id" else f"item{n}", day, props, "B4", href, L1))
    coll = root / "items.json"
    coll.write_text(json.dumps({"type": "FeatureCollection", "features": items}))
    src = RasterSource.model_validate({"name": "ls", "stac": str(coll),
                                       "assets": {"red": "B4"},
                                       "composite": {"method": "median"}})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        plan_composite(src, GRID)
    return [str(w.message) for w in caught if issubclass(w.category, DataWarning)
            and "processing level" in str(w.message)]


@pytest.mark.parametrize("by", ["correction", "id"])
def test_stac_items_placed_without_ground_control_are_warned_of(tmp_path: Path,
                                                                by: str) -> None:
    """An L1GT item beside an L1TP one went into the composite without a word."""
    told = _level1_items(tmp_path, ["L1TP", "L1GT", "L1TP"], by=by)
    assert len(told) == 1, told
    assert "(1 of 3) are of processing level L1GT" in told[0], told
    assert "landsat:correction: {eq: L1TP}" in told[0], told


def test_stac_items_of_l1tp_are_not_warned_of(tmp_path: Path) -> None:
    """control: L1TP items alone."""
    assert _level1_items(tmp_path, ["L1TP", "L1TP"], by="correction") == []


# -- 4. Level-2 items known by their ids, stating no raster:bands ------------------------

L8_IDS = ("LC08_L2SP_198024_20210301_20210310_02_T1", "LC08_L2SP_198024_20210317_20210328_02_T1")


def _unscaled(root: Path, how: str, **source: Any) -> dict[str, Any]:
    """A median of two Collection 2 Level-2 items stating no ``raster:bands`` (DN 10000
    and 12000, in files named ``SR_B4.tif`` / ``ST_B10.tif``), the product stated as
    ``how`` says, not by the collection or ``landsat:correction``: each layer's long
    name, units and computed cells."""
    key = "ST_B10" if how == "st-b10" else "SR_B4"
    items = []
    for n, (ident, day) in enumerate(zip(L8_IDS, ["2021-03-01", "2021-03-17"], strict=True)):
        href = _band(root / f"scene{n}" / f"{key}.tif", 10000 + 2000 * n)
        props = {"id": {}, "instruments": {"instruments": ["oli", "tirs"]}}.get(
            how, {"platform": "landsat-8"})
        item = _item(ident if how == "id" else "ab"[n], day, props, key, href, {})
        del item["assets"][key]["raster:bands"]
        items.append(item)
    coll = root / "items.json"
    coll.write_text(json.dumps({"type": "FeatureCollection", "features": items}))
    src = RasterSource.model_validate({"name": "ls", "stac": str(coll), "assets": {"v": key},
                                       "composite": {"method": "median"}, **source})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {layer.name: (layer.long_name, layer.units, layer.compute(GRID, WINDOW))
                for layer in plan_composite(src, GRID)}


@pytest.mark.parametrize("how", ["id", "platform-and-band-name", "instruments", "st-b10"])
def test_a_level2_item_known_by_its_id_stating_no_scale_is_not_read_as_dns(
        tmp_path: Path, how: str) -> None:
    """Items known as Collection 2 Level-2 by their USGS ids (or a Landsat platform beside
    ``SR_B4``/``ST_B10``), stating no ``raster:bands``, their files not named as the
    product's: the median of their DNs, 11000, was written as reflectance (units ``1``),
    exit 0. Refused now as an item of the product's catalogue is, naming the pair."""
    with pytest.raises(DataError) as err:
        _unscaled(tmp_path, how)
    message = str(err.value)
    assert "\n" not in message
    assert "holds the product's DNs" in message, message
    pair = "'scale: 0.00341802' and 'offset: 149'" if how == "st-b10" else \
        "'scale: 2.75e-05' and 'offset: -0.2'"
    assert pair in message, message


def test_a_level2_item_known_by_its_id_with_the_sources_scale_reads(tmp_path: Path) -> None:
    """control: the refusal's fix, the product's pair in the source: surface reflectance."""
    layers = _unscaled(tmp_path, "id", scale=2.75e-5, offset=-0.2)
    _, units, cells = layers["v"]
    assert units == "1"
    assert float(cells[0, 0]) == pytest.approx(11000 * 2.75e-5 - 0.2, abs=1e-5)
