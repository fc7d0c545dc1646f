"""Round 46: imagery.

1. HLS v2.0 band files (``HLS.S30.T31UFU.2021152T104619.v2.0.B04.tif``,
   ``HLS.L30....B10.tif``) whose nodata tag was lost (a copy clipped or converted by a
   tool that drops it): the product's name was known (its scale checked, its units
   labelled) but not its fill, so every -9999 DN went in as reflectance -0.9999 (or
   -99.99 degC) and was averaged into the layer, exit 0. Now HLS's fill (and anything
   below it) is no data, as ESPA's and Collection 2's are by their names.
2. USGS's Collection 2 U.S. ARD top-of-atmosphere reflectance and brightness temperature
   tiles (``..._02_TOA_B4.TIF``, ``..._02_BT_B10.TIF``; STAC collections
   ``landsat-c2ard-ta``, ``-bt``), whose DNs are scaled as the surface reflectance's and
   temperature's (2.75e-5 x DN - 0.2; 0.00341802 x DN + 149 K), were of no product: DN
   20000 went in as reflectance 20000 without a ``scale:``, ``scale: 2.75e-5`` alone lost
   the -0.2 (0.55 for 0.35), ESPA's ``scale: 0.1`` on a ``BT_B10`` read 4400 K, and a
   ``-ta`` item went into one median with ``-sr`` items (top of atmosphere with surface),
   exit 0.

SYNTHETIC 20 x 20 one-band ``int16`` GeoTIFFs named as NASA's LP DAAC names HLS files, and
a SYNTHETIC STAC item of one, read through the plain source's and the composite's real
planning and computing (round 42's helpers).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from prospect.errors import ConfigError, DataError
from tests.robustness.test_imagery_round38 import _item
from tests.robustness.test_imagery_round42 import N, _composite, _file, _plain
from tests.robustness.test_imagery_round45 import C2_ARD, NO_SCALE, _ard_item

S30 = "HLS.S30.T31UFU.2021152T104619.v2.0"
L30 = "HLS.L30.T31UFU.2021150T103955.v2.0"
"""SYNTHETIC HLS v2.0 granule ids (Sentinel-2 and Landsat 8/9 products of tile 31UFU)."""
HALF = (np.arange(N * N).reshape(N, N) % 2).astype(bool)
"""Every other pixel: the measured half; the rest holds HLS's fill, -9999."""


def _hls(dn: int) -> np.ndarray:
    """A SYNTHETIC ``int16`` HLS block: ``dn`` on :data:`HALF`, the fill -9999 elsewhere."""
    return np.where(HALF, dn, -9999).astype(np.int16)


@pytest.mark.parametrize(("name", "dn", "scale", "value"), [
    (f"{S30}.B04.tif", 2000, 1e-4, 0.2),
    (f"{L30}.B10.tif", 2900, 0.01, 29.0),
], ids=["s30-b04-reflectance", "l30-b10-thermal"])
def test_an_hls_file_without_its_nodata_tag_drops_its_fill(tmp_path: Path, name: str,
                                                           dn: int, scale: float,
                                                           value: float) -> None:
    """An HLS band file without a nodata tag, half of it fill, read with the product's
    scale: the fill went in as -0.9999 (-99.99 degC), the layer's mean -0.40 (-35.5),
    exit 0; now the fill is no data and every measured pixel reads ``value``."""
    out = _plain(tmp_path, {"b": _file(tmp_path / name, _hls(dn), "int16", None)},
                 scale=scale)["b"]
    assert np.isnan(out[~HALF]).all(), out[~HALF]
    assert out[HALF] == pytest.approx(value, abs=1e-5)


def test_an_hls_items_file_without_its_nodata_tag_drops_its_fill(tmp_path: Path) -> None:
    """A SYNTHETIC STAC item of LP DAAC's HLS collection (``HLSS30_2.0``), its asset's
    ``raster:bands`` stating no nodata and its file none: the median read -0.40 over the
    fill, exit 0; now the fill is no data and the measured half reads 0.2."""
    href = _file(tmp_path / f"{S30}.B04.tif", _hls(2000), "int16", None)
    item = _item(S30, "2021-06-01", {"platform": "sentinel-2a"}, "B04", href,
                 {"data_type": "int16"})
    item["collection"] = "HLSS30_2.0"
    out = _composite(tmp_path, [item], {"red": "B04"}, scale=1e-4)["red"]
    assert np.isnan(out[~HALF]).all(), out[~HALF]
    assert out[HALF] == pytest.approx(0.2, abs=1e-5)


def test_an_hls_file_with_its_tag_and_its_negative_reflectance_read_as_before(
        tmp_path: Path) -> None:
    """control: an HLS file with its nodata tag (-9999) reads as before, and a measured
    slightly negative reflectance (DN -100, which HLS writes over dark water) is kept."""
    tagged = _plain(tmp_path, {"b": _file(tmp_path / f"{S30}.B04.tif", _hls(2000), "int16",
                                          -9999)}, scale=1e-4)["b"]
    assert np.isnan(tagged[~HALF]).all() and tagged[HALF] == pytest.approx(0.2, abs=1e-5)
    dark = _plain(tmp_path, {"b": _file(tmp_path / "dark" / f"{S30}.B8A.tif",
                                        np.full((N, N), -100, np.int16), "int16", None)},
                  scale=1e-4)["b"]
    assert dark == pytest.approx(-0.01, abs=1e-6)


# -- 2. Collection 2 ARD top-of-atmosphere and brightness temperature tiles ----------------

TA_ID, BT_ID = f"{C2_ARD}_TA", f"{C2_ARD}_BT"
"""USGS's STAC item ids of a SYNTHETIC Collection 2 ARD tile's TA and BT products."""
BT_K = 0.00341802 * 44000 + 149.0
"""DN 44000 of a Collection 2 ARD ``BT_B10``: 299.39 K."""


@pytest.mark.parametrize(("layer", "dn", "extra", "value"), [
    ("TOA_B4", 20000, {"scale": 2.75e-5}, 0.35),
    ("BT_B10", 44000, {"scale": 0.00341802}, BT_K),
], ids=["toa-scale-alone", "bt-scale-alone"])
def test_an_ard_toa_or_bt_file_reads_its_products_offset(tmp_path: Path, layer: str,
                                                         dn: int, extra: dict[str, float],
                                                         value: float) -> None:
    """A Collection 2 ARD ``TOA_B4``/``BT_B10`` file read with the product's scale alone:
    0.55 for 0.35 (150.4 "K" for 299.39) before, exit 0; now the product's offset applies
    and the value is right."""
    out = _plain(tmp_path, {"v": _file(tmp_path / f"{C2_ARD}_{layer}.TIF", dn)}, **extra)
    assert out["v"] == pytest.approx(value, abs=2e-3)


@pytest.mark.parametrize(("layer", "dn", "extra", "error", "said"), [
    ("TOA_B4", 20000, {}, DataError, "'scale: 2.75e-05' and 'offset: -0.2'"),
    ("BT_B10", 44000, {"scale": 0.1}, ConfigError, "give 'scale: 0.00341802'"),
], ids=["toa-no-scale", "bt-espa-scale"])
def test_an_ard_toa_or_bt_file_without_its_scale_is_refused(tmp_path: Path, layer: str,
                                                            dn: int, extra: dict[str, float],
                                                            error: type[Exception],
                                                            said: str) -> None:
    """A ``TOA_B4`` read without a ``scale:`` (DN 20000 as reflectance 20000) or a
    ``BT_B10`` with Collection 1 ARD's ``scale: 0.1`` (4400 K): exit 0 before; now refused
    in one line naming the file and the product's pair."""
    name = f"{C2_ARD}_{layer}.TIF"
    with pytest.raises(error) as err:
        _plain(tmp_path, {"v": _file(tmp_path / name, dn)}, **extra)
    message = str(err.value)
    assert "\n" not in message and name in message and said in message, message
    assert "Collection 2 U.S. ARD" in message, message


def _ta_item(root: Path, item_id: str, day: str, dn: int, collection: str | None,
             key: str = "red", **band: float) -> dict:
    """A SYNTHETIC item of a Collection 2 ARD TA (or BT) tile, its file renamed."""
    item = _item(item_id, day, {"platform": "LANDSAT_8"}, key,
                 _file(root / f"{item_id}.tif", dn), {**NO_SCALE, **band})
    if collection is not None:
        item["collection"] = collection
    return item


@pytest.mark.parametrize("collection", ["landsat-c2ard-ta", None], ids=["collection", "id"])
def test_an_ard_ta_item_without_a_scale_is_refused(tmp_path: Path,
                                                   collection: str | None) -> None:
    """A ``landsat-c2ard-ta`` item (or its USGS id alone) of a renamed file, no
    ``scale:``: DN 20000 went in as reflectance 20000, exit 0; now refused naming the
    item and the product's pair."""
    item = _ta_item(tmp_path, TA_ID, "2019-07-18", 20000, collection)
    with pytest.raises(DataError) as err:
        _composite(tmp_path, [item], {"red": "red"})
    message = str(err.value)
    assert "\n" not in message and f"item '{TA_ID}'" in message, message
    assert "'scale: 2.75e-05' and 'offset: -0.2'" in message, message


def test_an_ard_bt_item_given_the_products_scale_alone_reads_its_offset(
        tmp_path: Path) -> None:
    """A ``landsat-c2ard-bt`` item's ``lwir11`` with ``scale: 0.00341802``: 150.4 "K" for
    299.39 before (the 149 lost); now 299.39 K."""
    item = _ta_item(tmp_path, BT_ID, "2019-07-18", 44000, "landsat-c2ard-bt", key="lwir11")
    out = _composite(tmp_path, [item], {"bt": "lwir11"}, scale=0.00341802)
    assert out["bt"] == pytest.approx(BT_K, abs=2e-3)


def test_an_ard_ta_item_beside_sr_items_is_refused(tmp_path: Path) -> None:
    """A median of a ``landsat-c2ard-sr`` item and a ``landsat-c2ard-ta`` item (two
    collections searched in one source), both stating their pair: top-of-atmosphere and
    surface reflectance went into one median, 0.3775, exit 0; now refused as two product
    levels, naming both items."""
    sr = _ard_item(tmp_path, "landsat-c2ard-sr", "red", "sr.tif", 20000, scale=2.75e-5,
                   offset=-0.2)
    ta_id = "LC08_CU_003009_20190803_20190815_02_TA"
    ta = _ta_item(tmp_path, ta_id, "2019-08-03", 22000, "landsat-c2ard-ta", scale=2.75e-5,
                  offset=-0.2)
    with pytest.raises(DataError) as err:
        _composite(tmp_path, [sr, ta], {"red": "red"})
    message = str(err.value)
    assert "\n" not in message and f"'{ta_id}'" in message and f"'{C2_ARD}_SR'" in message
    assert "Collection 2 ARD top-of-atmosphere tile" in message, message


def test_ard_sr_items_and_sr_files_read_as_before(tmp_path: Path) -> None:
    """control: two ``landsat-c2ard-sr`` items stating their pair composite (median 0.35),
    an ARD ``SR_B4`` file with ``scale: 2.75e-5`` and a ``TOA_B4`` file given the whole
    pair (2.75e-5 and -0.2) read 0.35, as before."""
    one = _ard_item(tmp_path, "landsat-c2ard-sr", "red", "a.tif", 20000, scale=2.75e-5,
                    offset=-0.2)
    two = _ard_item(tmp_path, "landsat-c2ard-sr", "red", "b.tif", 20000, scale=2.75e-5,
                    offset=-0.2)
    two["id"] = "LC08_CU_003009_20190803_20190815_02_SR"
    two["properties"]["datetime"] = "2019-08-03T10:40:21Z"
    out = _composite(tmp_path, [one, two], {"red": "red"})
    assert out["red"] == pytest.approx(0.35, abs=1e-5)
    plain = _plain(tmp_path, {"v": _file(tmp_path / f"{C2_ARD}_SR_B4.TIF", 20000)},
                   scale=2.75e-5)
    assert plain["v"] == pytest.approx(0.35, abs=1e-5)
    toa = _plain(tmp_path, {"v": _file(tmp_path / f"{C2_ARD}_TOA_B4.TIF", 20000)},
                 scale=2.75e-5, offset=-0.2)
    assert toa["v"] == pytest.approx(0.35, abs=1e-5)
