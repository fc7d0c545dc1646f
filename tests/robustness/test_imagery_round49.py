"""Round 49: imagery.

A floating-point copy another tool has already calibrated (reflectance 0.5, a
temperature in degrees Celsius) that a product's stated calibration reads as DNs: a STAC
item of the product whose ``raster:bands`` state its scale and offset (a ``rio stac`` of
the copy, a catalogue pointed at the copies), or a copy keeping the product's GeoTIFF
scale/offset tags. The stated pair was applied again: one scene of a composite went in
as no data and was left out without a word (its median the other scene's alone: 0.35,
a count of 1), a temperature in degrees Celsius read 149.09 K (the median 224.24 K), and a
copy with its tags read reflectance -0.2, exit 0. Round 48
looked only at copies no metadata calibrates.

SYNTHETIC 20 x 20 one-band GeoTIFFs named as USGS names its files and SYNTHETIC STAC
items, read through the plain source's and the composite's real planning and computing
(round 42's helpers), and one in-process ``prospect ingest``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio

from prospect.errors import DataError
from tests.robustness.conftest import TINY_REGION, Sandbox, assert_clean_error
from tests.robustness.test_imagery_round38 import _item
from tests.robustness.test_imagery_round42 import _composite, _file, _plain

L2 = "LC08_L2SP_198024_20210301_20210310_02_T1"
L2_B = "LC08_L2SP_198024_20210317_20210328_02_T1"
"""SYNTHETIC Landsat 8 Collection 2 Level-2 product ids of two dates."""
SR = {"scale": 2.75e-5, "offset": -0.2}
ST = {"scale": 0.00341802, "offset": 149.0, "unit": "kelvin"}
PROPS = {"platform": "landsat-8"}


# -- 1. a float copy another tool calibrated, read at a stated calibration ------------------


def _two_scenes(
    root: Path, key: str, band: dict[str, Any], dn: int, copy_name: str, copy_value: float
) -> list[dict[str, Any]]:
    """Two SYNTHETIC items of one asset ``key``: the product's own ``uint16`` file of
    ``dn``, and a float32 copy of ``copy_value`` named ``copy_name``, both stating
    ``band`` as their ``raster:bands``."""
    own = _file(root / "a" / f"{L2}_{copy_name.rsplit('_', 1)[-1]}", dn)
    copy = _file(root / "b" / copy_name.replace("{id}", L2_B), copy_value, "float32", None)
    return [
        _item(L2, "2021-03-01", PROPS, key, own, dict(band)),
        _item(L2_B, "2021-03-17", PROPS, key, copy, dict(band)),
    ]


@pytest.mark.parametrize(
    ("key", "band", "dn", "copy_name", "value", "quantity"),
    [
        ("red", SR, 20000, "{id}_SR_B4.TIF", 0.5, "surface reflectance"),
        ("red", SR, 20000, "red_SR_B4.TIF", 0.5, "surface reflectance"),
        ("lwir11", ST, 44000, "{id}_ST_B10.TIF", 26.24, "surface temperature"),
    ],
    ids=["c2-sr-products-name", "c2-sr-own-name", "c2-st-in-celsius"],
)
def test_a_float_copy_an_items_raster_bands_calibrate_is_refused(
    tmp_path: Path,
    key: str,
    band: dict[str, Any],
    dn: int,
    copy_name: str,
    value: float,
    quantity: str,
) -> None:
    """A median over the product's scene and a float32 copy another tool calibrated, each
    item stating the product's pair: the copy's values read as DNs below the product's
    clip (no data) and the median was the first scene's alone (0.35, count 1), or a
    temperature read 149.09 K (median 224.24 K), exit 0; now refused naming the item,
    the file, its values and how to read them."""
    items = _two_scenes(tmp_path, key, band, dn, copy_name, value)
    with pytest.raises(DataError) as err:
        _composite(tmp_path, items, {"v": key})
    message = str(err.value)
    assert "\n" not in message, message
    name = Path(items[1]["assets"][key]["href"]).name
    assert f"item {L2_B!r} (raster:bands scale/offset) reads {name} as DNs" in message
    assert f"holds float32 values from {value:.4g} to {value:.4g}: {quantity}" in message
    assert "already calibrated" in message, message
    assert "describe it by an item of its own" in message, message
    assert ("give the file a name of its own" in message) == name.startswith("LC08"), message


def test_the_hint_followed_reads_the_copys_values(tmp_path: Path) -> None:
    """control: the copy described by an item of its own (not the product's id), its
    ``raster:bands`` stating no scale, reads its values as they are (0.5)."""
    copy = _file(tmp_path / "red_reflectance.tif", 0.5, "float32", None)
    item = _item("my-copy-20210317", "2021-03-17", PROPS, "red", copy, {"unit": "1"})
    assert _composite(tmp_path, [item], {"red": "red"})["red"] == pytest.approx(0.5)


def test_a_float_copy_keeping_the_products_scale_tags_is_refused(tmp_path: Path) -> None:
    """A float32 ``SR_B4`` of reflectance 0.35 that kept the product's GeoTIFF scale and
    offset tags (2.75e-5, -0.2), in a plain source: read -0.19999 (the tags applied to the
    values), exit 0; now refused, told to unset the tags and rename it."""
    path = _file(tmp_path / f"{L2}_SR_B4.TIF", 0.35, "float32", None)
    with rasterio.open(path, "r+") as dst:
        dst.scales, dst.offsets = (2.75e-5,), (-0.2,)
    with pytest.raises(DataError) as err:
        _plain(tmp_path, {"red": path})
    message = str(err.value)
    assert "\n" not in message, message
    assert f"the file's own band 1 scale/offset reads {path.name} as DNs" in message
    assert "holds float32 values from 0.35 to 0.35: surface reflectance" in message
    assert "gdal_edit.py -scale 1 -offset 0" in message, message


def test_a_float_copy_keeping_the_tags_renamed_and_unset_reads_its_values(
    tmp_path: Path,
) -> None:
    """control: the hint followed (the tags unset, a name of its own) reads 0.35."""
    path = _file(tmp_path / "red_reflectance.tif", 0.35, "float32", None)
    assert _plain(tmp_path, {"red": path})["red"] == pytest.approx(0.35, abs=1e-6)


ESPA_ID = "LC81970242014109LGN00"
_ESPA = f"""<?xml version="1.0" encoding="UTF-8"?>
<espa_metadata version="2.0" xmlns="http://espa.cr.usgs.gov/v2">
    <global_metadata>
        <satellite>LANDSAT_8</satellite>
        <instrument>OLI_TIRS</instrument>
        <acquisition_date>2014-04-19</acquisition_date>
        <lpgs_metadata_file>{ESPA_ID}_MTL.txt</lpgs_metadata_file>
    </global_metadata>
    <bands>
        <band product="toa_bt" name="bt_band10" category="image" data_type="INT16"
              nlines="20" nsamps="20" fill_value="-9999" scale_factor="0.100000">
            <long_name>band 10 top-of-atmosphere brightness temperature</long_name>
            <file_name>{ESPA_ID}_bt_band10.tif</file_name>
            <data_units>temperature (kelvin)</data_units>
            <valid_range min="1500" max="3730"/>
        </band>
    </bands>
</espa_metadata>
"""
"""A SYNTHETIC ESPA XML of one brightness temperature band (0.1 K per DN)."""


@pytest.mark.parametrize(
    ("value", "dtype"), [(295.0, "float32"), (2950, "int16")], ids=["float-kelvin", "int16-dns"]
)
def test_a_float_copy_its_metadata_file_calibrates_is_refused(
    tmp_path: Path, value: float, dtype: str
) -> None:
    """A float32 ``bt_band10`` of 295 K read with its ESPA XML as ``metadata:``: the XML's
    0.1 K per DN and valid range (1500..3730) made every cell no data (NaN, exit 0); now
    refused, told to drop ``metadata:``. The int16 DNs (2950) read 295 K as before."""
    (tmp_path / f"{ESPA_ID}.xml").write_text(_ESPA)
    path = _file(tmp_path / f"{ESPA_ID}_bt_band10.tif", value, dtype, -9999)
    if dtype == "int16":  # control
        out = _plain(tmp_path, {"bt": path}, metadata=str(tmp_path / f"{ESPA_ID}.xml"))
        assert out["bt"] == pytest.approx(295.0, abs=1e-3)
        return
    with pytest.raises(DataError) as err:
        _plain(tmp_path, {"bt": path}, metadata=str(tmp_path / f"{ESPA_ID}.xml"))
    message = str(err.value)
    assert "\n" not in message, message
    assert f"its metadata file {tmp_path / ESPA_ID}.xml reads {path.name} as DNs" in message
    assert "holds float32 values from 295 to 295: brightness temperature" in message
    assert "drop 'metadata:' and give the file a name of its own" in message, message


# -- 2. an integer copy another tool rescaled, read at the product's pair --------------------


@pytest.mark.parametrize(
    ("value", "dtype", "nodata"),
    [(3500, "int16", -9999), (90, "uint8", 0)],
    ids=["int16-reflectance-x10000", "uint8-preview"],
)
@pytest.mark.parametrize("how", ["item", "name"])
def test_an_integer_copy_rescaled_by_another_tool_is_refused(
    tmp_path: Path, value: int, dtype: str, nodata: int, how: str
) -> None:
    """An ``int16`` reflectance x 10000 (0.35 as 3500) or a ``uint8`` preview under
    Collection 2's ``SR_B4`` name, described by the product's item or read by its name with
    the product's pair: read -0.104 (-0.198), exit 0; now refused naming its data type."""
    path = _file(tmp_path / f"{L2}_SR_B4.TIF", value, dtype, nodata)
    with pytest.raises(DataError) as err:
        if how == "item":
            _composite(
                tmp_path, [_item(L2, "2021-03-01", PROPS, "red", path, dict(SR))], {"red": "red"}
            )
        else:
            _plain(tmp_path, {"red": path}, scale=2.75e-5, offset=-0.2)
    message = str(err.value)
    assert "\n" not in message, message
    assert f"reads {path.name} as the DNs of surface reflectance" in message, message
    assert f"but it is {dtype} (the product's DNs are uint16)" in message, message
    assert "values another tool has rescaled" in message, message


def test_a_rescaled_copy_under_its_own_name_and_dark_dns_read_as_before(
    tmp_path: Path,
) -> None:
    """control: the int16 copy under a name of its own with 'scale: 0.0001' reads 0.35
    (the hint followed); the product's uint16 DNs of a dark scene (7000: -0.0075) and an
    int16 Sentinel-2 copy of DNs (baseline 04.00's +1000: 4500 as 0.35) read as before."""
    own = _file(tmp_path / "red_x10000.tif", 3500, "int16", -9999)
    assert _plain(tmp_path, {"red": own}, scale=1e-4)["red"] == pytest.approx(0.35)
    dark = _file(tmp_path / "dark" / f"{L2}_SR_B4.TIF", 7000)
    out = _plain(tmp_path / "dark", {"red": dark}, scale=2.75e-5, offset=-0.2)
    assert out["red"] == pytest.approx(7000 * 2.75e-5 - 0.2, abs=1e-6)
    s2 = _file(tmp_path / "s2" / "T31UDQ_20220301T104021_B04_10m.tif", 4500, "int16", -9999)
    out = _plain(tmp_path / "s2", {"red": s2}, scale=1e-4, offset=-0.1)
    assert out["red"] == pytest.approx(0.35, abs=1e-6)


def test_cli_a_float_copy_an_item_calibrates_is_one_error_line(
    sandbox: Sandbox, cli: Any, scheduler: str
) -> None:
    """``prospect ingest`` of a composite of one such copy: exit 1 before too, but "no
    value in region ... (its nodata, fill or clipped DNs ...)", which does not say the
    values are calibrated already; now one ``error:`` line saying so, nothing written
    beside the job."""
    west, _south, _east, north = TINY_REGION["bounds"]
    copy = _file(
        sandbox.root / f"{L2}_SR_B4.TIF",
        0.5,
        "float32",
        None,
        crs=TINY_REGION["crs"],
        origin=(west, north),
        res=20.0,
    )
    (sandbox.root / "items.json").write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [_item(L2, "2021-03-01", PROPS, "red", copy, dict(SR))],
            }
        )
    )
    sandbox.write_job(
        sources=[
            {
                "kind": "raster",
                "name": "l8",
                "stac": "items.json",
                "assets": {"red": "red"},
                "composite": {"method": "median"},
            }
        ]
    )
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert_clean_error(
        result, 1, f"{L2}_SR_B4.TIF", "holds float32 values from 0.5", "already calibrated"
    )
    assert sandbox.untouched()


def test_float_dns_an_item_calibrates_read_as_before(tmp_path: Path) -> None:
    """control: float32 copies of the DNs themselves (a resampled ``SR_B4`` of 20000.0, an
    ``ST_B10`` of 44000.0) under items stating the product's pair read as before, and
    a copy's tags over float DNs too."""
    items = _two_scenes(tmp_path / "sr", "red", SR, 20000, "{id}_SR_B4.TIF", 30000.0)
    out = _composite(tmp_path / "sr", items, {"red": "red"})
    assert out["red"] == pytest.approx((0.35 + 0.625) / 2, abs=1e-5)
    assert out["s_count"] == pytest.approx(2.0)
    items = _two_scenes(tmp_path / "st", "lwir11", ST, 44000, "{id}_ST_B10.TIF", 44000.0)
    out = _composite(tmp_path / "st", items, {"t": "lwir11"})
    assert out["t"] == pytest.approx(0.00341802 * 44000 + 149.0, abs=2e-3)
    path = _file(tmp_path / f"{L2}_SR_B4.TIF", np.float32(20000.0), "float32", None)
    with rasterio.open(path, "r+") as dst:
        dst.scales, dst.offsets = (2.75e-5,), (-0.2,)
    assert _plain(tmp_path, {"red": path})["red"] == pytest.approx(0.35, abs=1e-5)
