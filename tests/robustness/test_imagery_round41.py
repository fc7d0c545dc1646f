"""Round 41: imagery.

1. A cloud probability layer (s2cloudless, percent 0-100 or fractions 0-1) written with
   a fill of its own (255, 254, -1) under ``cloud_mask: {kind: scl}``: refused by its
   nodata alone ("its nodata is 255, but scl marks no data as 0"), with the advice to
   try each kind, none of which reads a probability (round 40 left it).
2. A Landsat Collection 2 ``QA_PIXEL`` layer clipped or warped with ``-dstnodata 0``
   (nodata 0): its no-data pixels (0, no flag) read as neither cloud nor fill and their
   band values were kept, exit 0.
3. A layer that sets none of QA_PIXEL's class flags on most pixels (Collection 2's
   ``QA_RADSAT``, 0 where nothing is saturated, under another name; a QA_PIXEL whose 0 is
   an undeclared no data) under ``kind: qa_pixel``: every cloud kept as a value, exit 0.
4. A Sentinel-2 SCL clipped or warped with ``-dstnodata 255``: refused by its nodata
   ("scl marks no data as 0") and told to try another kind, none of which reads it.

SYNTHETIC 20 x 20 band and quality-layer files written with rasterio (rounds 38 and 40's
helpers), listed in item collections as a user's catalogue holds them and read through
the composite's real planning and computing (``plan_composite``).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from prospect.config.sources import RasterSource
from prospect.errors import DataError
from prospect.ingest.composite import plan_composite
from tests.robustness.test_imagery_round38 import GRID, L2, ORIGIN, WINDOW, N, _band, _item
from tests.robustness.test_imagery_round40 import PERCENT, _layer, _masked

# -- 1. a cloud probability with a fill of its own ----------------------------------------


@pytest.mark.parametrize("nodata", [255, 254], ids=["nodata-255", "nodata-254"])
def test_a_cloud_probability_with_its_own_fill_is_told_as_one(tmp_path: Path,
                                                              nodata: int) -> None:
    """A SYNTHETIC s2cloudless probability in percent whose file states nodata 255 (its
    fill written there) under ``kind: scl``: refused before by its nodata alone, with
    "its encoding in cloud_mask.kind" (no kind reads it); now told as a probability."""
    values = PERCENT.copy()
    values[0, :5] = nodata
    layer = _layer(tmp_path / "cloud_prob.tif", values, nodata)
    with pytest.raises(DataError) as err:
        _masked(tmp_path, layer, "scl")
    message = str(err.value)
    assert "\n" not in message and "cloud_prob.tif" in message, message
    assert f"its nodata is {nodata}" in message, message
    assert "cloud probability" in message and "no kind reads a probability" in message, \
        message
    assert "its encoding in cloud_mask.kind" not in message, message


def test_a_fractional_cloud_probability_with_fill_minus_1_is_told_as_one(
        tmp_path: Path) -> None:
    """A SYNTHETIC 0-1 float probability with nodata -1 under ``kind: scl``: refused
    before by its nodata alone; now told as a cloud probability."""
    values = PERCENT.astype(np.float32) / 100
    values[0, :5] = -1
    layer = _layer(tmp_path / "cloud_prob.tif", values, -1)
    with pytest.raises(DataError) as err:
        _masked(tmp_path, layer, "scl")
    message = str(err.value)
    assert "fractions 0-1" in message and "no kind reads a probability" in message, message


def test_a_cfmask_layer_under_scl_is_still_told_by_its_nodata(tmp_path: Path) -> None:
    """control: a CFmask layer (codes 0-4, nodata 255) under ``kind: scl`` is refused by
    its nodata as before, without the probability wording."""
    codes = np.zeros((N, N), np.uint8)
    codes[:4] = 4
    codes[4:6] = 255
    layer = _layer(tmp_path / "mask.tif", codes, 255)
    with pytest.raises(DataError, match=r"its nodata is 255, but scl marks no data as 0") \
            as err:
        _masked(tmp_path, layer, "scl")
    assert "probability" not in str(err.value)


# -- 2./3. QA_PIXEL's no data written as 0, and layers of no QA_PIXEL class ---------------

L8_ID = "LC08_L2SP_198024_20210301_20210310_02_T1"
CLEAR, CLOUD, WATER, SNOW, SHADOW, DILATED = 21824, 22280, 21952, 30048, 23888, 21890
"""Real Collection 2 Level-2 QA_PIXEL values (OLI): clear land, cloud (high
confidence), water, snow, cloud shadow, dilated cloud over water."""


def _qa_composite(root: Path, qa: np.ndarray, nodata: float | None,
                  name: str = "qa.tif") -> np.ndarray:
    """The red median (DN 20000: 0.35) of one SYNTHETIC Landsat 8 Level-2 item masked by
    the layer ``qa`` (``kind: qa_pixel``) whose file states ``nodata``."""
    href = _band(root / "ls" / "red.tif", 20000)
    item = _item(L8_ID, "2021-03-01", {"platform": "landsat-8"}, "red", href, L2)
    item["assets"]["qa"] = {"href": str(_layer(root / name, qa, nodata)),
                            "roles": ["cloud"]}
    coll = root / "items.json"
    coll.write_text(json.dumps({"type": "FeatureCollection", "features": [item]}))
    src = RasterSource.model_validate({
        "name": "ls", "stac": str(coll), "assets": {"red": "red"},
        "composite": {"method": "median"}, "cloud_mask": {"kind": "qa_pixel", "asset": "qa"}})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        layers = {layer.name: layer.compute(GRID, WINDOW)
                  for layer in plan_composite(src, GRID)}
    return np.asarray(layers["red"])


def _clipped_qa() -> np.ndarray:
    """QA_PIXEL clear land, clouds in three rows, and 0 (no data of ``-dstnodata 0``) on
    the left half."""
    qa = np.full((N, N), CLEAR, np.uint16)
    qa[:3] = CLOUD
    qa[:, :10] = 0
    return qa


def test_a_qa_pixel_layer_of_nodata_0_drops_its_no_data(tmp_path: Path) -> None:
    """A QA_PIXEL clipped with ``gdalwarp -dstnodata 0`` (nodata 0): its left half (0)
    read as no flag, kept as values (0.35) before; now no data (NaN) there, the clear
    right half as before."""
    red = _qa_composite(tmp_path, _clipped_qa(), 0)
    assert np.isnan(red[:, :10]).all(), red[:, :10]
    assert np.isnan(red[:3, 10:]).all()
    assert red[5:, 10:] == pytest.approx(0.35, abs=1e-5)


@pytest.mark.parametrize("nodata", [1, None], ids=["nodata-1", "no-nodata"])
def test_a_qa_pixel_of_undeclared_zeros_is_refused(tmp_path: Path,
                                                   nodata: int | None) -> None:
    """The same layer whose file states nodata 1 (QA_PIXEL's own) or none: its 0 was kept
    as clear, exit 0; now refused naming the file, the flags it lacks and how to declare
    its 0 as no data."""
    with pytest.raises(DataError) as err:
        _qa_composite(tmp_path, _clipped_qa(), nodata)
    message = str(err.value)
    assert "\n" not in message and "qa.tif" in message, message
    assert "set none of QA_PIXEL's class flags" in message, message
    assert "gdal_edit.py -a_nodata 0" in message, message


def test_a_qa_radsat_layer_under_qa_pixel_is_refused(tmp_path: Path) -> None:
    """A Collection 2 QA_RADSAT (0 where no band saturates, bit 1 on a few pixels of
    saturated band 2) under another name as ``kind: qa_pixel``: nothing but its bit-0
    pixels dropped before, clouds kept; now refused as no QA_PIXEL."""
    radsat = np.zeros((N, N), np.uint16)
    radsat[0, :3] = 2
    with pytest.raises(DataError) as err:
        _qa_composite(tmp_path, radsat, None, name="LC08_198024_20210301_qa.tif")
    message = str(err.value)
    assert "not a qa_pixel quality layer" in message, message
    assert "QA_RADSAT" in message, message


def test_real_qa_pixel_values_mask_as_before(tmp_path: Path) -> None:
    """control: a QA_PIXEL of real values (clear, water, snow, shadow, dilated cloud,
    cloud, fill 1; nodata 1) masks as before: clear land and water kept, the rest no
    data."""
    qa = np.full((N, N), CLEAR, np.uint16)
    qa[0], qa[1], qa[2], qa[3], qa[4], qa[5] = CLOUD, WATER, SNOW, SHADOW, DILATED, 1
    red = _qa_composite(tmp_path, qa, 1)
    assert red[1] == pytest.approx(0.35, abs=1e-5)
    assert red[6:] == pytest.approx(0.35, abs=1e-5)
    assert np.isnan(red[[0, 2, 3, 4, 5]]).all()


def test_a_qa_pixel_of_nodata_0_without_zeros_masks_as_before(tmp_path: Path) -> None:
    """control: a QA_PIXEL whose file states nodata 0 but holds no 0 reads as one of
    nodata 1: its clouds dropped, its clear land kept."""
    qa = np.full((N, N), CLEAR, np.uint16)
    qa[:3] = CLOUD
    red = _qa_composite(tmp_path, qa, 0)
    assert np.isnan(red[:3]).all() and red[3:] == pytest.approx(0.35, abs=1e-5)


# -- 4. an SCL whose no data is written 255 ------------------------------------------------


def _scl_composite(root: Path, scl: np.ndarray) -> np.ndarray:
    """The red median (DN 3000: 0.2) of one SYNTHETIC Sentinel-2 L2A item masked by the
    SCL ``scl`` (nodata 255, 30 m, from the region's north-west corner; wider than the
    region where ``scl`` is)."""
    href = _band(root / "s2" / "B04.tif", 3000)
    item = _item("S2A_31UDQ_20210301_0_L2A", "2021-03-01",
                 {"platform": "sentinel-2a", "s2:processing_baseline": "05.10"}, "B04",
                 href, {"scale": 1e-4, "offset": -0.1, "nodata": 0, "data_type": "uint16"})
    path = root / "T31UDQ_20210301T104021_SCL_20m.tif"
    with rasterio.open(path, "w", driver="GTiff", width=scl.shape[1], height=scl.shape[0],
                       count=1, dtype="uint8", crs="EPSG:32631", nodata=255,
                       transform=from_origin(*ORIGIN, 30.0, 30.0)) as dst:
        dst.write(scl[None])
    item["assets"]["scl"] = {"href": str(path), "roles": ["cloud"]}
    coll = root / "items.json"
    coll.write_text(json.dumps({"type": "FeatureCollection", "features": [item]}))
    src = RasterSource.model_validate({
        "name": "s2", "stac": str(coll), "assets": {"red": "B04"},
        "composite": {"method": "median"}, "cloud_mask": {"kind": "scl", "asset": "scl"}})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        layers = {layer.name: layer.compute(GRID, WINDOW)
                  for layer in plan_composite(src, GRID)}
    return np.asarray(layers["red"])


def test_an_scl_of_nodata_255_masks_as_scl(tmp_path: Path) -> None:
    """A SYNTHETIC SCL clipped with ``-dstnodata 255`` (vegetation 4, bare soil 5, water
    6, cloud 9, no data 255): refused before by its nodata ("scl marks no data as 0"),
    told to try another kind (none reads it); now its clouds and its 255 are no data,
    its other classes' values kept (0.2)."""
    scl = np.full((N, N), 4, np.uint8)
    scl[:3] = 9
    scl[3:5], scl[5:7] = 5, 6
    scl[:, :4] = 255
    red = _scl_composite(tmp_path, scl)
    assert np.isnan(red[:, :4]).all() and np.isnan(red[:3]).all()
    assert red[3:, 4:] == pytest.approx(0.2, abs=1e-5)


def test_an_scl_of_nodata_255_reads_where_the_region_holds_cfmask_codes_alone(
        tmp_path: Path) -> None:
    """The same SCL, wider than the region, whose part over the region holds vegetation
    (4) and its fill alone (codes CFmask has too) and whose part east of it water (6):
    the whole layer is told an SCL, so the region's blocks are not refused one by one;
    refused before."""
    scl = np.full((N, 2 * N), 6, np.uint8)
    scl[:, :N] = 4
    scl[:, :4] = 255
    red = _scl_composite(tmp_path, scl)
    assert np.isnan(red[:, :4]).all()
    assert red[:, 4:] == pytest.approx(0.2, abs=1e-5)
