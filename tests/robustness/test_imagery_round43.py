"""Round 43: imagery.

1. Sentinel-2 products a user made with Sen2Cor (``S2A_MSIL2A_..._N9999_...SAFE``,
   ``PROCESSING_BASELINE`` 99.99; Sen2Cor 3 writes 99.33): no ESA baseline, so it says
   nothing of the -1000 DN offset (Sen2Cor 2.10 on shifts DNs and lists
   ``BOA_ADD_OFFSET`` -1000 in ``MTD_MSIL2A.xml``; 2.8 and 2.9 do neither). It was taken
   for a baseline from 04.00 on: the product XML of a Sen2Cor 2.8 product (no offsets, as
   it is written) was refused "processing baseline 99.99 but no BOA_ADD_OFFSET for B04",
   and a STAC item or band file that states the baseline and no offset read every
   reflectance 0.1 low (DN 3000 as 0.2, not 0.3), exit 0.
2. A Collection 2 ``ST_B10`` in degrees Celsius by USGS's own formula, ``DN x 0.00341802 +
   149.0 - 273.15`` (``scale: 0.00341802, offset: -124.15, units: degC``): the offset was
   taken for the zero's shift alone and 149 added again, 175.24 degC for 26.24, exit 0
   (over an item stating ``raster:bands`` in kelvin, refused as a calibration applied
   twice and told to state the ``units:`` it stated).
3. A temperature labelled unitless: ``ST_B10`` in a source of ``SR_B*`` bands with their
   ``scale: 2.75e-5, offset: -0.2, units: "1"`` (or ``scale: 0.00275, units: "%"``): the
   scale was taken for a change of units from K, DN 44000 read 2.2, exit 0.

SYNTHETIC 20 x 20 uint16 band files and a SYNTHETIC ``MTD_MSIL2A.xml`` (rounds 27, 38 and
42's helpers) in ``.SAFE`` folders named as Sen2Cor names its output, and Collection 2
files and items named as USGS and Planetary Computer name them, read through the
plain source's and the composite's real planning and computing; one case runs ``prospect
ingest`` in-process on a SYNTHETIC job.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from prospect.errors import ConfigError, DataError
from tests.robustness.test_imagery_round27 import BAND, OFFSETS, S2_XML, _band, _plan, _value
from tests.robustness.test_imagery_round38 import _item
from tests.robustness.test_imagery_round42 import N, _composite, _file, _plain

from .conftest import TINY_REGION, Sandbox, assert_clean_error

# -- 1. Sentinel-2 products of a user's own Sen2Cor run (baseline 99.99) --------------------

SEN2COR = "S2A_MSIL2A_20190301T104021_N9999_R008_T31UFT_20190301T151515"
"""A Level-2A product as Sen2Cor names what a user runs it on (baseline 99.99)."""


def _sen2cor(root: Path, *, offsets: bool, product: str = SEN2COR,
             dn: int = 3000) -> tuple[str, str]:
    """A SYNTHETIC ``.SAFE`` folder of Sen2Cor's output: a B04 of ``dn`` and its
    ``MTD_MSIL2A.xml`` of baseline 99.99, with ``BOA_ADD_OFFSET`` -1000 (Sen2Cor 2.10 on)
    or without (Sen2Cor 2.8, 2.9)."""
    safe = root / f"{product}.SAFE"
    band = _band(safe / BAND, dn)
    xml = safe / "MTD_MSIL2A.xml"
    baseline = f"{product.split('_N')[1][:2]}.{product.split('_N')[1][2:4]}"
    xml.write_text(S2_XML.format(product=product, baseline=baseline,
                                 offsets=OFFSETS if offsets else ""))
    return band, str(xml)


def test_a_sen2cor_product_without_offsets_reads_by_its_xml(tmp_path: Path) -> None:
    """A Sen2Cor 2.8 product's band with its own ``MTD_MSIL2A.xml`` (baseline 99.99, no
    ``BOA_ADD_OFFSET``, as Sen2Cor writes it): refused "processing baseline 99.99 but no
    BOA_ADD_OFFSET for B04" before; now DN 3000 reads 0.3 (no offset)."""
    band, xml = _sen2cor(tmp_path, offsets=False)
    layer = _plan({"name": "s2", "sensor": "sentinel2", "bands": {"B04": band},
                   "metadata": xml})
    assert _value(layer) == pytest.approx(0.3, abs=1e-5)


def test_a_sen2cor_product_with_offsets_reads_them(tmp_path: Path) -> None:
    """control: a Sen2Cor 2.10 product (baseline 99.99, ``BOA_ADD_OFFSET`` -1000) reads
    (3000 - 1000) / 10000 = 0.2, as before."""
    band, xml = _sen2cor(tmp_path, offsets=True)
    layer = _plan({"name": "s2", "sensor": "sentinel2", "bands": {"B04": band},
                   "metadata": xml})
    assert _value(layer) == pytest.approx(0.2, abs=1e-5)


def test_a_sen2cor_band_given_a_scale_alone_is_refused(tmp_path: Path) -> None:
    """A band file in Sen2Cor's ``..._N9999_...SAFE`` folder with ``scale: 0.0001`` and no
    metadata: read with baseline 04.00's offset, 0.2 for DN 3000 (a Sen2Cor 2.8 product's
    0.3), exit 0 before; now refused naming the folder's baseline and both offsets."""
    band, _ = _sen2cor(tmp_path, offsets=False)
    with pytest.raises(DataError) as err:
        _value(_plan({"name": "s2", "sensor": "sentinel2", "bands": {"B04": band},
                      "scale": 0.0001}))
    message = str(err.value)
    assert "\n" not in message and "T31UFT_20190301T104021_B04_10m.tif" in message, message
    assert "baseline 99.99 (its .SAFE folder's N9999" in message, message
    assert "Sen2Cor" in message and "'offset: -0.1'" in message, message
    assert "'offset: 0' where it lists none" in message, message


def test_a_sen2cor_band_without_a_scale_is_told_both_offsets(tmp_path: Path) -> None:
    """Without ``scale:``: told before to give "from processing baseline 04.00 on,
    'offset: -0.1'", which a baseline of 99.99 seemed to call for; now told which XML
    tells the offset."""
    band, _ = _sen2cor(tmp_path, offsets=False)
    with pytest.raises(DataError) as err:
        _value(_plan({"name": "s2", "sensor": "sentinel2", "bands": {"B04": band}}))
    message = str(err.value)
    assert "\n" not in message and "'scale: 0.0001'" in message, message
    assert "from processing baseline 04.00 on" not in message, message
    assert "'offset: 0' where it lists none" in message, message


def test_a_sen2cor_band_stated_offset_0_reads_none(tmp_path: Path) -> None:
    """The same band with ``scale: 0.0001`` and ``offset: 0`` (the offset its Sen2Cor 2.8
    XML lists, none): the config's 0 was replaced by baseline 04.00's -0.1 (0.2, exit 0)
    before; now it reads 0.3."""
    band, _ = _sen2cor(tmp_path, offsets=False)
    layer = _plan({"name": "s2", "sensor": "sentinel2", "bands": {"B04": band},
                   "scale": 0.0001, "offset": 0.0})
    assert _value(layer) == pytest.approx(0.3, abs=1e-5)


def test_a_sen2cor_band_stated_offset_minus_0_1_reads_it(tmp_path: Path) -> None:
    """control: with ``offset: -0.1`` (a Sen2Cor 2.10 product's) it reads 0.2."""
    band, _ = _sen2cor(tmp_path, offsets=True)
    layer = _plan({"name": "s2", "sensor": "sentinel2", "bands": {"B04": band},
                   "scale": 0.0001, "offset": -0.1})
    assert _value(layer) == pytest.approx(0.2, abs=1e-5)


S2_BAND = {"scale": 1e-4, "nodata": 0, "data_type": "uint16"}
"""A Sentinel-2 band's ``raster:bands`` that states no offset (Planetary Computer's)."""


def _sen2cor_item(root: Path, props: dict[str, Any], **band: Any) -> dict[str, Any]:
    """A STAC item of a user's catalogue of Sen2Cor output: its B04 (DN 3000) in the
    product's ``.SAFE`` folder."""
    href = _file(root / f"{SEN2COR}.SAFE" / BAND, 3000)
    return _item("S2A_31UDQ_20190301_0_L2A", "2019-03-01",
                 {"platform": "sentinel-2a", **props}, "B04", href, {**S2_BAND, **band})


@pytest.mark.parametrize(("props", "field"), [
    ({"s2:processing_baseline": "99.99"}, "(s2:processing_baseline)"),
    ({}, f"(the folder {SEN2COR}.SAFE of its band files)"),
], ids=["s2-processing-baseline", "safe-folder"])
def test_a_sen2cor_item_without_an_offset_is_refused(tmp_path: Path, props: dict[str, Any],
                                                     field: str) -> None:
    """A STAC item of baseline 99.99 (its ``s2:processing_baseline`` or its files'
    ``..._N9999_...SAFE`` folder) and no ``raster:bands`` offset: DN 3000 read 0.2 (04.00's
    offset), exit 0 before; now refused naming the baseline, where it is stated and the
    offsets to state."""
    item = _sen2cor_item(tmp_path, props)
    with pytest.raises(DataError) as err:
        _composite(tmp_path, [item], {"red": "B04"})
    message = str(err.value)
    assert "\n" not in message and "item 'S2A_31UDQ_20190301_0_L2A'" in message, message
    assert f"processing baseline 99.99 {field}" in message, message
    assert "Sen2Cor" in message and "raster:bands offset, -0.1 where" in message, message


@pytest.mark.parametrize("offset", [0.0, -0.1], ids=["sen2cor-2.8", "sen2cor-2.10"])
def test_a_sen2cor_item_stating_its_offset_reads(tmp_path: Path, offset: float) -> None:
    """control: the item stating ``raster:bands`` offset 0 (Sen2Cor 2.8) or -0.1 (2.10)
    reads 0.3 or 0.2, and an ESA baseline's item (05.10, no offset stated) 0.2."""
    item = _sen2cor_item(tmp_path, {"s2:processing_baseline": "99.99"}, offset=offset)
    out = _composite(tmp_path, [item], {"red": "B04"})
    assert out["red"] == pytest.approx(0.3 + offset, abs=1e-5)
    esa = _item("S2A_31UDQ_20230301_0_L2A", "2023-03-01",
                {"platform": "sentinel-2a", "s2:processing_baseline": "05.10"}, "B04",
                _file(tmp_path / "esa" / "B04.tif", 3000), S2_BAND)
    out = _composite(tmp_path / "esa", [esa], {"red": "B04"})
    assert out["red"] == pytest.approx(0.2, abs=1e-5)


def test_cli_a_sen2cor_catalogue_without_offsets_is_one_error_line(
        sandbox: Sandbox, cli: Any, scheduler: str) -> None:
    """``prospect ingest`` of a job whose composite reads a catalogue of Sen2Cor output
    stating baseline 99.99 and no offset: exit 0 before (reflectance 0.1 low); now exit
    1, one ``error:`` line naming the catalogue, the item and the baseline, and nothing
    written beside the job."""
    west, _south, _east, north = TINY_REGION["bounds"]
    dns = 3000 + np.arange(N * N, dtype=np.uint16).reshape(N, N)
    href = _file(sandbox.root / f"{SEN2COR.replace('31UFT', '19PEP')}.SAFE" /
                 "T19PEP_20190301T104021_B04_10m.tif", dns, crs=TINY_REGION["crs"],
                 origin=(west, north), res=20.0)
    item = _item("S2A_19PEP_20190301_0_L2A", "2019-03-01",
                 {"platform": "sentinel-2a", "s2:processing_baseline": "99.99"}, "red",
                 href, S2_BAND)
    (sandbox.root / "items.json").write_text(
        json.dumps({"type": "FeatureCollection", "features": [item]}))
    sandbox.write_job(sources=[{"kind": "raster", "name": "s2", "stac": "items.json",
                                "assets": {"red": "red"}, "composite": {"method": "median"}}])
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert_clean_error(result, 1, "items.json", "item 'S2A_19PEP_20190301_0_L2A'",
                       "processing baseline 99.99", "raster:bands offset")
    assert sandbox.untouched()


# -- 2. a surface temperature in degrees Celsius by the product guide's whole offset --------

L8_L2 = "LC08_L2SP_198024_20210301_20210310_02_T1"
ST_DN = 44000
"""A Collection 2 ``ST_B10`` DN: 0.00341802 x 44000 + 149.0 = 299.39 K, 26.24 degC."""
ST_C = 0.00341802 * ST_DN + 149.0 - 273.15
ST_KELVIN = {"nodata": 0, "data_type": "uint16", "scale": 0.00341802, "offset": 149.0,
             "unit": "kelvin"}
"""Planetary Computer's ``lwir11`` ``raster:bands``."""


def _st_file(root: Path) -> Path:
    """A SYNTHETIC Collection 2 Level-2 ``ST_B10`` file of DN 44000."""
    return _file(root / f"{L8_L2}_ST_B10.TIF", ST_DN)


def _st_item(root: Path, band: dict[str, Any]) -> dict[str, Any]:
    return _item(L8_L2, "2021-03-01", {"platform": "landsat-8"}, "lwir11", _st_file(root),
                 band)


@pytest.mark.parametrize("units", ["degC", "degree_Celsius"])
def test_st_b10_in_celsius_by_the_whole_offset_reads_once(tmp_path: Path, units: str) -> None:
    """USGS's formula for ``ST_B10`` in degrees Celsius, ``DN x 0.00341802 + 149.0 -
    273.15``, as ``scale: 0.00341802, offset: -124.15, units: degC``: the offset was taken
    for the zero's shift alone and the product's 149 added again, 175.24 degC for a
    26.24 degC surface, exit 0; now 26.24."""
    out = _plain(tmp_path, {"st": _st_file(tmp_path)}, scale=0.00341802,
                 offset=149.0 - 273.15, units=units)
    assert out["st"] == pytest.approx(ST_C, abs=1e-3)


@pytest.mark.parametrize("band", [ST_KELVIN, {"nodata": 0, "data_type": "uint16"}],
                         ids=["raster-bands-kelvin", "no-raster-bands-scale"])
def test_st_b10_item_in_celsius_by_the_whole_offset_reads_once(
        tmp_path: Path, band: dict[str, Any]) -> None:
    """The same over a Landsat STAC item: stating ``raster:bands`` in kelvin, refused
    before as "a calibration applied twice ... state the new 'units:' as well" (they
    were); stating no scale, 175.24 degC, exit 0. Now 26.24 either way."""
    out = _composite(tmp_path, [_st_item(tmp_path, band)], {"st": "lwir11"},
                     scale=0.00341802, offset=-124.15, units="degC")
    assert out["st"] == pytest.approx(ST_C, abs=1e-3)


@pytest.mark.parametrize("offset", [-124.15, -273.15], ids=["whole-offset", "shift"])
def test_st_item_of_an_unnamed_file_in_celsius_reads(tmp_path: Path, offset: float) -> None:
    """A Landsat item's ``lwir11`` of a file named as no product (``st.tif``) and no
    ``raster:bands`` scale, read with the product's scale and ``units: degC``: refused
    before as restating the calibration "so the values stay in 'K'", whether the offset
    was the whole one (-124.15) or the zero's shift (-273.15), and with the shift alone
    (no scale) told to give a scale: no way to read it in degrees Celsius. Now 26.24."""
    href = _file(tmp_path / "st.tif", ST_DN)
    item = _item(L8_L2, "2021-03-01", {"platform": "landsat-8"}, "lwir11", href,
                 {"nodata": 0, "data_type": "uint16"})
    out = _composite(tmp_path, [item], {"st": "lwir11"}, scale=0.00341802, offset=offset,
                     units="degC")
    assert out["st"] == pytest.approx(ST_C, abs=1e-3)


def test_st_b10_in_celsius_by_the_shift_and_the_products_scale_reads(tmp_path: Path) -> None:
    """The zero's shift with the product's own scale restated over an item stating
    ``raster:bands`` in kelvin (refused before as "a calibration applied twice", its
    ``units:`` given), and the shift alone over a named ``ST_B10`` file (told before "no
    'scale:' calibrate it", though the name does): each reads 26.24 now."""
    out = _composite(tmp_path, [_st_item(tmp_path, ST_KELVIN)], {"st": "lwir11"},
                     scale=0.00341802, offset=-273.15, units="degC")
    assert out["st"] == pytest.approx(ST_C, abs=1e-3)
    out = _plain(tmp_path, {"st": _st_file(tmp_path)}, offset=-273.15, units="degC")
    assert out["st"] == pytest.approx(ST_C, abs=1e-3)


def test_st_b10_in_celsius_by_the_shift_alone_reads_as_before(tmp_path: Path) -> None:
    """control: the zero's shift alone, ``offset: -273.15, units: degC`` (with the
    product's scale over a plain file, without one over an item stating ``raster:bands``),
    reads 26.24 as before; ``scale: 0.00341802, offset: 149, units: K`` 299.39 K."""
    out = _plain(tmp_path, {"st": _st_file(tmp_path)}, scale=0.00341802, offset=-273.15,
                 units="degC")
    assert out["st"] == pytest.approx(ST_C, abs=1e-3)
    out = _plain(tmp_path, {"st": _st_file(tmp_path)}, scale=0.00341802, offset=149.0,
                 units="K")
    assert out["st"] == pytest.approx(ST_C + 273.15, abs=1e-3)
    out = _composite(tmp_path, [_st_item(tmp_path, ST_KELVIN)], {"st": "lwir11"},
                     offset=-273.15, units="degC")
    assert out["st"] == pytest.approx(ST_C, abs=1e-3)


# -- 3. a temperature labelled unitless by a reflectance source's scale ---------------------


def test_st_b10_under_a_reflectance_scale_and_units_1_is_refused(tmp_path: Path) -> None:
    """An ``ST_B10`` file beside the ``SR_B*`` bands of one source of ``scale: 2.75e-5,
    offset: -0.2, units: "1"``: the scale was taken for a change of units from K and DN
    44000 read 2.2 "unitless", exit 0; now refused naming the file, its K and the units."""
    sr = _file(tmp_path / f"{L8_L2}_SR_B4.TIF", 11000)
    with pytest.raises(ConfigError) as err:
        _plain(tmp_path, {"red": sr, "st": _st_file(tmp_path)}, scale=2.75e-5, offset=-0.2,
               units="1")
    message = str(err.value)
    assert "\n" not in message and "band 'st'" in message and "_ST_B10.TIF" in message, \
        message
    assert "in 'K'" in message and "'units: 1' labels it unitless" in message, message
    assert "a source of its own" in message, message


def test_st_b10_item_in_percent_is_refused(tmp_path: Path) -> None:
    """The same over an item stating no scale, ``scale: 0.00275, units: "%"`` (a
    reflectance's percent): 22.0 "%" before, exit 0; now refused."""
    with pytest.raises(ConfigError, match=r"in 'K', but the config's 'units: %' labels it "
                                          r"unitless"):
        _composite(tmp_path, [_st_item(tmp_path, {"nodata": 0, "data_type": "uint16"})],
                   {"st": "lwir11"}, scale=0.00275, units="%")


def test_reflectance_in_percent_and_1_reads_as_before(tmp_path: Path) -> None:
    """control: ``SR_B4`` (DN 11000: 0.1025) with ``scale: 2.75e-5, offset: -0.2,
    units: "1"`` reads 0.1025, with ``scale: 0.00275, units: "%"`` 10.25."""
    sr = _file(tmp_path / f"{L8_L2}_SR_B4.TIF", 11000)
    out = _plain(tmp_path, {"red": sr}, scale=2.75e-5, offset=-0.2, units="1")
    assert out["red"] == pytest.approx(0.1025, abs=1e-5)
    out = _plain(tmp_path, {"red": sr}, scale=0.00275, units="%")
    assert out["red"] == pytest.approx(10.25, abs=1e-3)
