"""Round 48: imagery.

1. A Landsat Level-1 band file (``LC08_L1TP_..._B5.TIF``, read without its MTL) beside a
   Level-2 surface reflectance band (Collection 2 ``SR_B4``, ESPA ``sr_band4``) in one
   plain source: the Level-1 DNs were read at the surface reflectance's ``scale:`` (DN
   20000 as 0.55, or 0.35 with its offset) and went into one index with it, exit 0.
   Sentinel-2 L1C beside L2A was refused (round 16); Landsat's Level-1 file states its
   level by its name only, and the level check looked at quantities only.
2. A temperature band given another product's scale (``ST_B10``, an ARD ``BT_B10``, an
   item's ``lwir11``) was told "e.g. 'scale: 0.341802' with 'units: "%"'" (a temperature
   in percent, refused by the next run), and one whose item calibrates it, relabelled
   ``units: degC``, "give only the conversion (e.g. 'scale: 100' with 'units: "%"')".
   Now the hint converts the temperature (to degrees Celsius) and the hint, followed,
   reads.

SYNTHETIC 20 x 20 one-band GeoTIFFs named as USGS names its files, and SYNTHETIC STAC
items, read through the plain source's and the composite's real planning and computing
(round 42's helpers), and one in-process ``prospect ingest``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from prospect.errors import ConfigError, DataError
from tests.robustness.conftest import TINY_REGION, Sandbox, assert_clean_error
from tests.robustness.test_imagery_round38 import _item
from tests.robustness.test_imagery_round42 import N, _composite, _file, _plain
from tests.robustness.test_imagery_round45 import C2_ARD

L2 = "LC08_L2SP_198024_20210301_20210310_02_T1"
L1 = "LC08_L1TP_198024_20210301_20210310_02_T1"
ESPA = "LC08_L1TP_198024_20210301_20210310_01_T1"
"""SYNTHETIC Landsat 8 product ids: Collection 2 Level-2 and Level-1, an ESPA order's."""
ST_C = 0.00341802 * 44000 + 149.0 - 273.15
"""DN 44000 of a Collection 2 ``ST_B10`` in degrees Celsius: 26.24."""


# -- 1. a Landsat Level-1 band beside a Level-2 band in one source --------------------------


@pytest.mark.parametrize(
    ("red", "dn", "dtype", "extra"),
    [
        (f"{L2}_SR_B4.TIF", 20000, "uint16", {"scale": 2.75e-5}),
        (f"{L2}_SR_B4.TIF", 20000, "uint16", {"scale": 2.75e-5, "offset": -0.2}),
        (f"{ESPA}_sr_band4.tif", 2000, "int16", {"scale": 1e-4}),
    ],
    ids=["c2-sr-scale", "c2-sr-scale-offset", "espa-sr"],
)
def test_a_level1_band_beside_a_level2_band_in_one_source_is_refused(
    tmp_path: Path, red: str, dn: int, dtype: str, extra: dict[str, float]
) -> None:
    """A plain source's ``red`` of a Level-2 surface reflectance file and ``nir`` of a
    Level-1 ``L1TP`` band file without its MTL: the nir DNs read at the red's scale (0.55,
    0.35, 2.0), an NDVI of two levels, exit 0; now refused naming both files and levels."""
    bands = {
        "red": _file(tmp_path / red, dn, dtype, -9999 if dtype == "int16" else 0),
        "nir": _file(tmp_path / f"{L1}_B5.TIF", 20000),
    }
    with pytest.raises(DataError) as err:
        _plain(tmp_path, bands, **extra)
    message = str(err.value)
    assert "\n" not in message, message
    assert f"variable 'nir' ({bands['nir']})" in message, message
    assert "the DNs of a Landsat 8 L1TP band 5 file (Level-1" in message, message
    assert f"variable 'red' ({bands['red']}) holds surface reflectance" in message, message
    assert "put each level in a source of its own" in message, message


def test_a_level1_band_before_a_level2_band_is_refused(tmp_path: Path) -> None:
    """The Level-1 file listed first (``blue``, band 2) and the Level-2 one after: the
    same refusal, the first variable's level told by its file's name."""
    bands = {
        "blue": _file(tmp_path / f"{L1}_B2.TIF", 20000),
        "red": _file(tmp_path / f"{L2}_SR_B4.TIF", 20000),
    }
    with pytest.raises(DataError) as err:
        _plain(tmp_path, bands, scale=2.75e-5)
    message = str(err.value)
    assert "variable 'red'" in message and "holds surface reflectance" in message, message
    assert "variable 'blue'" in message and "L1TP band 2 file (Level-1" in message, message


def test_cli_a_level1_band_beside_a_level2_band_is_one_error_line(
    sandbox: Sandbox, cli: Any, scheduler: str
) -> None:
    """``prospect ingest`` of that source: exit 0 before (an NDVI of two levels); now exit
    1, one ``error:`` line naming the Level-1 file, nothing written beside the job."""
    west, _south, _east, north = TINY_REGION["bounds"]
    place = {"crs": TINY_REGION["crs"], "origin": (west, north), "res": 20.0}
    red = _file(sandbox.root / f"{L2}_SR_B4.TIF", 20000, **place)
    nir = _file(sandbox.root / f"{L1}_B5.TIF", 20000, **place)
    sandbox.write_job(
        sources=[
            {
                "kind": "raster",
                "name": "l8",
                "scale": 2.75e-5,
                "bands": {"red": str(red), "nir": str(nir)},
            }
        ]
    )
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert_clean_error(result, 1, f"{L1}_B5.TIF", "L1TP band 5 file (Level-1")
    assert sandbox.untouched()


def test_level1_bands_together_and_level2_bands_together_read_as_before(
    tmp_path: Path,
) -> None:
    """control: Level-1 bands of one scene in one source (given the MTL's pair as
    ``scale:``/``offset:``), Level-2 ``SR_B4`` beside ``SR_B5``, and a Level-2 band beside
    a Level-1 thermal band (no reflectance level) read as before."""
    one = {
        "red": _file(tmp_path / "l1" / f"{L1}_B4.TIF", 20000),
        "nir": _file(tmp_path / "l1" / f"{L1}_B5.TIF", 25000),
    }
    out = _plain(tmp_path, one, scale=2e-5, offset=-0.1)
    assert out["red"] == pytest.approx(0.3, abs=1e-5)
    assert out["nir"] == pytest.approx(0.4, abs=1e-5)
    two = {
        "red": _file(tmp_path / "l2" / f"{L2}_SR_B4.TIF", 20000),
        "nir": _file(tmp_path / "l2" / f"{L2}_SR_B5.TIF", 30000),
    }
    out = _plain(tmp_path, two, scale=2.75e-5)
    assert out["red"] == pytest.approx(0.35, abs=1e-5)
    assert out["nir"] == pytest.approx(0.625, abs=1e-5)
    thermal = {
        "red": _file(tmp_path / "th" / f"{L2}_SR_B4.TIF", 20000),
        "tir": _file(tmp_path / "th" / f"{L1}_B10.TIF", 20000),
    }
    out = _plain(tmp_path, thermal, scale=2.75e-5)
    assert out["red"] == pytest.approx(0.35, abs=1e-5)


# -- 2. a temperature's hint in percent --------------------------------------------------------


def _st_item(root: Path, **band: float | str) -> dict[str, Any]:
    """A SYNTHETIC Collection 2 Level-2 item of an ``ST_B10`` file (DN 44000) as
    ``lwir11``, its ``raster:bands`` stating ``band``."""
    href = _file(root / f"{L2}_ST_B10.TIF", 44000)
    return _item(
        L2, "2021-03-01", {"platform": "landsat-8"}, "lwir11", href, {"data_type": "uint16", **band}
    )


@pytest.mark.parametrize(
    "name", [f"{L2}_ST_B10.TIF", f"{C2_ARD}_BT_B10.TIF"], ids=["c2-st-b10", "c2-ard-bt-b10"]
)
def test_a_temperature_file_of_another_scale_is_told_a_temperature_conversion(
    tmp_path: Path, name: str
) -> None:
    """A temperature file given ESPA's ``scale: 0.1``: refused (rightly) but told "e.g.
    'scale: 0.341802' with 'units: "%"'"; now the example is the product's formula in
    degrees Celsius, and that example, followed, reads 26.24 degC."""
    path = _file(tmp_path / name, 44000)
    with pytest.raises(ConfigError) as err:
        _plain(tmp_path, {"t": path}, scale=0.1)
    message = str(err.value)
    assert "'%'" not in message and '"%"' not in message, message
    hint = "e.g. 'scale: 0.00341802' and 'offset: -124.15' with 'units: degC'"
    assert hint in message, message
    out = _plain(tmp_path, {"t": path}, scale=0.00341802, offset=-124.15, units="degC")
    assert out["t"] == pytest.approx(ST_C, abs=2e-3)


def test_an_items_temperature_of_another_scale_is_told_a_temperature_conversion(
    tmp_path: Path,
) -> None:
    """An item's ``lwir11`` stating its unit (kelvin) and no scale, given ``scale: 0.1``:
    told the percent example before; now degrees Celsius, which reads."""
    item = _st_item(tmp_path, unit="kelvin")
    with pytest.raises(ConfigError) as err:
        _composite(tmp_path, [item], {"st": "lwir11"}, scale=0.1)
    message = str(err.value)
    assert '"%"' not in message, message
    assert "'scale: 0.00341802' and 'offset: -124.15' with 'units: degC'" in message, message
    out = _composite(
        tmp_path, [item], {"st": "lwir11"}, scale=0.00341802, offset=-124.15, units="degC"
    )
    assert out["st"] == pytest.approx(ST_C, abs=2e-3)


@pytest.mark.parametrize(
    "extra",
    [{"scale": 0.00341802, "units": "degC"}, {"scale": 0.1}],
    ids=["restated-relabelled", "calibrated-twice"],
)
def test_a_calibrated_temperature_is_told_the_temperature_conversion_alone(
    tmp_path: Path, extra: dict[str, Any]
) -> None:
    """An item stating its pair (0.00341802, 149) in kelvin: its pair restated under
    ``units: degC``, or another scale on top of it, was told "e.g. 'scale: 100' with
    'units: "%"'"; now "'offset: -273.15' with 'units: degC'", which reads 26.24 degC."""
    item = _st_item(tmp_path, unit="kelvin", scale=0.00341802, offset=149.0)
    with pytest.raises(ConfigError) as err:
        _composite(tmp_path, [item], {"st": "lwir11"}, **extra)
    message = str(err.value)
    assert '"%"' not in message, message
    assert "(e.g. 'offset: -273.15' with 'units: degC')" in message, message
    out = _composite(tmp_path, [item], {"st": "lwir11"}, offset=-273.15, units="degC")
    assert out["st"] == pytest.approx(ST_C, abs=2e-3)


def test_a_reflectances_hint_is_still_percent(tmp_path: Path) -> None:
    """control: a ``SR_B4`` given ESPA's ``scale: 0.0001`` is told the percent example as
    before, and a temperature read at its product's scale reads kelvin."""
    with pytest.raises(ConfigError) as err:
        _plain(tmp_path, {"r": _file(tmp_path / f"{L2}_SR_B4.TIF", 20000)}, scale=1e-4)
    assert "e.g. 'scale: 0.00275' with 'units: \"%\"')" in str(err.value), str(err.value)
    out = _plain(tmp_path, {"t": _file(tmp_path / f"{L2}_ST_B10.TIF", 44000)}, scale=0.00341802)
    assert out["t"] == pytest.approx(ST_C + 273.15, abs=2e-3)


# -- 3. a copy another tool calibrated, under the product's name ------------------------------

S2_B04 = "T31UDQ_20210301T104021_B04_10m.tif"
"""A SYNTHETIC Sentinel-2 L2A band file's name (ESA's naming)."""


@pytest.mark.parametrize(
    ("name", "value", "extra", "quantity"),
    [
        (f"{L2}_SR_B4.TIF", 0.35, {"scale": 2.75e-5, "offset": -0.2}, "surface reflectance"),
        (f"{L2}_SR_B4.TIF", 0.35, {}, "surface reflectance"),
        (f"{ESPA}_sr_band4.tif", 0.35, {"scale": 1e-4}, "surface reflectance"),
        (S2_B04, 0.35, {"scale": 1e-4, "offset": -0.1}, "surface reflectance"),
        (f"{L2}_ST_B10.TIF", 26.24, {"scale": 0.00341802}, "surface temperature"),
    ],
    ids=["c2-sr-pair", "c2-sr-no-scale", "espa-sr", "s2-l2a", "c2-st-in-celsius"],
)
def test_a_float_copy_of_calibrated_values_under_the_products_name_is_refused(
    tmp_path: Path, name: str, value: float, extra: dict[str, float], quantity: str
) -> None:
    """A float32 file of values another tool already calibrated (reflectance 0.35, a
    temperature in degrees Celsius) keeping the product's name: read as the product's DNs,
    below its clip, every cell went in as no data (NaN, exit 0), or the refusal asked
    for the product's scale, which did that; now refused naming its values, and the file
    under a name of its own reads them as they are."""
    path = _file(tmp_path / name, value, "float32", None)
    with pytest.raises(DataError) as err:
        _plain(tmp_path, {"v": path}, **extra)
    message = str(err.value)
    assert "\n" not in message, message
    assert f"{name} is named as" in message and "whose DNs are integers" in message, message
    assert f"holds float32 values from {value:.4g} to {value:.4g}: {quantity}" in message
    assert "give the file a name of its own" in message, message
    renamed = _file(tmp_path / "own" / "values.tif", value, "float32", None)
    assert _plain(tmp_path, {"v": renamed})["v"] == pytest.approx(value, abs=1e-5)


def test_a_float_copy_with_an_untagged_fill_is_refused(tmp_path: Path) -> None:
    """The calibrated copy clipped with -9999 around it and no nodata tag: the fill is
    left out of the values looked at, and the copy is refused as above."""
    values = np.full((N, N), 0.35, np.float32)
    values[:, :5] = -9999.0
    path = _file(tmp_path / f"{L2}_SR_B5.TIF", values, "float32", None)
    with pytest.raises(DataError) as err:
        _plain(tmp_path, {"nir": path}, scale=2.75e-5, offset=-0.2)
    assert "holds float32 values from 0.35 to 0.35" in str(err.value), str(err.value)


def test_cli_a_float_copy_under_the_products_name_is_one_error_line(
    sandbox: Sandbox, cli: Any, scheduler: str
) -> None:
    """``prospect ingest`` of it: exit 0 before, the cube's variable all no data with
    "check its source's nodata value, CRS and bounds"; now exit 1, one ``error:`` line,
    nothing written beside the job."""
    west, _south, _east, north = TINY_REGION["bounds"]
    place = {"crs": TINY_REGION["crs"], "origin": (west, north), "res": 20.0}
    red = _file(sandbox.root / f"{L2}_SR_B4.TIF", 0.35, "float32", None, **place)
    sandbox.write_job(
        sources=[
            {
                "kind": "raster",
                "name": "l8",
                "scale": 2.75e-5,
                "offset": -0.2,
                "bands": {"red": str(red)},
            }
        ]
    )
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert_clean_error(result, 1, f"{L2}_SR_B4.TIF", "holds float32 values from 0.35")
    assert sandbox.untouched()


def test_float_dns_under_the_products_name_read_as_before(tmp_path: Path) -> None:
    """control: a float32 copy of the DNs themselves (a resampled ``SR_B4``, 20000.0 and
    an untagged 0 fill; an ``ST_B10`` of 44000.0) reads with the product's scale as
    before."""
    dns = np.full((N, N), 20000.0, np.float32)
    dns[:, :5] = 0.0
    sr = _plain(
        tmp_path, {"r": _file(tmp_path / f"{L2}_SR_B4.TIF", dns, "float32", None)}, scale=2.75e-5
    )["r"]
    assert sr[:, 5:] == pytest.approx(0.35, abs=1e-5)
    assert np.isnan(sr[:, :5]).all()
    st = _file(tmp_path / f"{L2}_ST_B10.TIF", 44000.0, "float32", None)
    assert _plain(tmp_path, {"t": st}, scale=0.00341802)["t"] == pytest.approx(
        ST_C + 273.15, abs=2e-3
    )
