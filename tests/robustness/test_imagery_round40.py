"""Round 40: imagery.

1. A Landsat catalogue calling OLI's band 5 (TM's band 4) by the STAC 1.0 common name
   ``nir``, read as ``nir08: nir`` (the name later catalogues and Prospect's own
   formulas use): refused as "another band" (right for Sentinel-2, whose B08 is ``nir``
   and B8A ``nir08``; Landsat has one near-infrared band).
2. A cloud probability layer (s2cloudless, Sentinel-2's ``MSK_CLDPRB``, percent 0-100,
   or fractions 0-1) named as ``cloud_mask`` under ``kind: scl`` or ``cfmask``: refused
   with "it holds code(s) 12, 13 ... which scl does not have" and the advice to name
   "its encoding in cloud_mask.kind", though no kind reads a probability.

SYNTHETIC 20 x 20 band files written into ``tmp_path`` with rasterio (round 38's
helpers), listed in item collections as a user's catalogue holds them and read through
the composite's real planning (``plan_composite``).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from prospect.config.sources import RasterSource
from prospect.errors import DataError
from prospect.ingest.composite import plan_composite
from tests.robustness.test_imagery_round38 import (
    GRID,
    L2,
    ORIGIN,
    WINDOW,
    N,
    _band,
    _composite,
    _item,
)

L8_ID = "LC08_L2SP_198024_20210301_20210310_02_T1"
L8_2_ID = "LC08_L2SP_198024_20210317_20210328_02_T1"
L5_ID = "LT05_L2SP_198024_20110311_20200820_02_T1"

# -- 1. Landsat's near infrared called ``nir`` under a variable ``nir08`` -----------------


def _nir_items(root: Path, ids: list[str], common: str, *, key: str = "nir",
               name: str | None = "B5") -> list[dict[str, Any]]:
    """Items of ``ids`` (DN 10000 and 30000) whose asset ``key`` states ``eo:bands``
    common name ``common`` (a Landsat catalogue's ``nir``)."""
    items = []
    for n, ident in enumerate(ids):
        href = _band(root / f"scene{n}" / f"{key}.tif", [10000, 30000][n])
        band: dict[str, Any] = {"common_name": common}
        if name is not None:
            band["name"] = name
        day = ident.split("_")[3]
        items.append(_item(ident, f"{day[:4]}-{day[4:6]}-{day[6:]}",
                           {"platform": f"landsat-{int(ident[2:4])}"}, key, href, L2,
                           **{"eo:bands": [band]}))
    return items


@pytest.mark.parametrize(("ids", "name"), [
    ([L8_ID, L8_2_ID], "B5"), ([L8_ID, L8_2_ID], None), ([L5_ID], "B4")],
    ids=["oli-b5", "oli-no-name", "tm-b4"])
def test_landsats_near_infrared_called_nir_reads_as_nir08(tmp_path: Path, ids: list[str],
                                                          name: str | None) -> None:
    """``nir08: nir`` over Landsat items whose ``nir`` asset states common name ``nir``:
    refused before ("the asset holds band B5 (nir) ... bands in the wrong order"); their
    median now (DN 10000 and 30000: 0.35)."""
    layers = _composite(tmp_path, _nir_items(tmp_path, ids, "nir", name=name),
                        {"nir08": "nir"})
    dns = [10000, 30000][:len(ids)]
    want = float(np.median(dns)) * 2.75e-5 - 0.2
    assert float(layers["nir08"][1][0, 0]) == pytest.approx(want, abs=1e-5)


def test_sentinel2s_b08_under_nir08_is_still_refused(tmp_path: Path) -> None:
    """control: Sentinel-2's B08 (common name ``nir``, 842 nm, broad) is not its B8A
    (``nir08``, 865 nm): ``nir08: B08`` stays refused."""
    href = _band(tmp_path / "s2" / "B08.tif", 3000)
    item = _item("S2A_31UDQ_20210301_0_L2A", "2021-03-01",
                 {"platform": "sentinel-2a", "s2:processing_baseline": "05.10",
                  "s2:mgrs_tile": "31UDQ"}, "B08", href,
                 {"scale": 1e-4, "offset": -0.1, "nodata": 0, "data_type": "uint16"},
                 **{"eo:bands": [{"name": "B08", "common_name": "nir"}]})
    with pytest.raises(DataError, match=r"asset 'B08' 'nir08', but the asset holds band B08"):
        _composite(tmp_path, [item], {"nir08": "B08"})


# -- 2. a cloud probability layer named as the quality layer -------------------------------


def _layer(path: Path, values: np.ndarray, nodata: float | None) -> Path:
    """A SYNTHETIC quality-layer file of ``values`` over the region."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with rasterio.open(path, "w", driver="GTiff", width=N, height=N, count=1,
                       dtype=values.dtype.name, crs="EPSG:32631", nodata=nodata,
                       transform=from_origin(*ORIGIN, 30.0, 30.0)) as dst:
        dst.write(values[None])
    return path


def _masked(root: Path, layer: Path, kind: str) -> None:
    """Plan and compute a composite of one Sentinel-2 item whose ``cloud_mask`` asset is
    ``layer`` read as ``kind``."""
    href = _band(root / "s2" / "B04.tif", 3000)
    item = _item("S2A_31UDQ_20210301_0_L2A", "2021-03-01",
                 {"platform": "sentinel-2a", "s2:processing_baseline": "05.10"}, "B04",
                 href, {"scale": 1e-4, "offset": -0.1, "nodata": 0, "data_type": "uint16"})
    item["assets"]["clouds"] = {"href": str(layer), "roles": ["cloud"]}
    coll = root / "items.json"
    coll.write_text(json.dumps({"type": "FeatureCollection", "features": [item]}))
    src = RasterSource.model_validate({
        "name": "s2", "stac": str(coll), "assets": {"red": "B04"},
        "composite": {"method": "median"}, "cloud_mask": {"kind": kind, "asset": "clouds"}})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for layer_ in plan_composite(src, GRID):
            layer_.compute(GRID, WINDOW)


PERCENT = (np.arange(N * N).reshape(N, N) % 101).astype(np.uint8)
"""A SYNTHETIC cloud probability in percent (0-100), as s2cloudless writes it."""


@pytest.mark.parametrize(("kind", "nodata"), [("scl", 0), ("scl", None)],
                         ids=["scl", "scl-no-nodata"])
def test_a_cloud_probability_in_percent_is_told_as_one(tmp_path: Path, kind: str,
                                                       nodata: float | None) -> None:
    """A 0-100 cloud probability under ``kind: scl``: refused before as codes
    the kind "does not have", with the advice to name its encoding in cloud_mask.kind;
    now the message says it is a cloud probability, which no kind reads."""
    layer = _layer(tmp_path / "cloud_prob.tif", PERCENT, nodata)
    with pytest.raises(DataError) as err:
        _masked(tmp_path, layer, kind)
    message = str(err.value)
    assert "\n" not in message
    assert "cloud_prob.tif" in message, message
    assert "cloud probability" in message and "no kind reads a probability" in message, \
        message
    assert "'kind: scl'" in message, message
    assert "its encoding in cloud_mask.kind" not in message, message  # no kind reads it


def test_a_cloud_probability_in_fractions_is_told_as_one(tmp_path: Path) -> None:
    """A 0-1 float cloud probability under ``kind: scl``: refused before as "fractions ...
    (a reflectance band or a resampled layer?)"; now told as a cloud probability."""
    layer = _layer(tmp_path / "cloud_prob.tif", PERCENT.astype(np.float32) / 100, None)
    with pytest.raises(DataError) as err:
        _masked(tmp_path, layer, "scl")
    message = str(err.value)
    assert "cloud probability" in message and "no kind reads a probability" in message, \
        message
    assert "reflectance band" not in message, message


def test_scl_codes_of_few_classes_beyond_its_table_are_not_told_as_probability(
        tmp_path: Path) -> None:
    """control: a class layer with a few codes beyond SCL's (12, 13) is refused as
    before, without the probability hint."""
    codes = np.full((N, N), 4, np.uint8)
    codes[:5] = 12
    codes[5:8] = 13
    layer = _layer(tmp_path / "classes.tif", codes, 0)
    with pytest.raises(DataError, match=r"it holds code\(s\) 12, 13, which scl does not "
                       r"have") as err:
        _masked(tmp_path, layer, "scl")
    assert "probability" not in str(err.value)


def test_a_true_scl_layer_masks_as_before(tmp_path: Path) -> None:
    """control: an SCL layer of vegetation (4) and cloud (9) plans and computes."""
    codes = np.full((N, N), 4, np.uint8)
    codes[:3] = 9
    _masked(tmp_path, _layer(tmp_path / "SCL_20m.tif", codes, 0), "scl")


# -- 3. a binary cloud mask named as the quality layer -------------------------------------


@pytest.mark.parametrize("nodata", [0, None], ids=["nodata-0", "no-nodata"])
def test_a_binary_cloud_mask_of_0_and_1_is_not_told_as_python_fmask(
        tmp_path: Path, nodata: float | None) -> None:
    """A binary cloud mask (0 clear, 1 cloud) under ``kind: scl``: refused before as
    python-fmask's output with its conversion (``4*(A==1)``: the mask's clouds made SCL
    vegetation, kept as values if followed); now told as a binary mask no kind reads."""
    codes = np.zeros((N, N), np.uint8)
    codes[:6] = 1
    layer = _layer(tmp_path / "cloudmask.tif", codes, nodata)
    with pytest.raises(DataError) as err:
        _masked(tmp_path, layer, "scl")
    message = str(err.value)
    assert "\n" not in message and "cloudmask.tif" in message, message
    assert message.index("binary cloud mask") < message.index("python-fmask"), message
    assert "no kind reads a binary mask" in message, message
    assert "its encoding in cloud_mask.kind" not in message, message


def test_a_binary_cloud_mask_of_0_and_255_is_told_as_one(tmp_path: Path) -> None:
    """A binary cloud mask of 0 and 255 (cloud) under ``kind: scl``: refused before as
    "code(s) 255, which scl does not have" with the advice to name its encoding in
    cloud_mask.kind; now told as a binary mask."""
    codes = np.zeros((N, N), np.uint8)
    codes[:6] = 255
    layer = _layer(tmp_path / "cloudmask.tif", codes, None)
    with pytest.raises(DataError) as err:
        _masked(tmp_path, layer, "scl")
    message = str(err.value)
    assert "binary cloud mask" in message and "no kind reads a binary mask" in message, \
        message


def test_python_fmask_output_with_clouds_is_told_as_before(tmp_path: Path) -> None:
    """control: python-fmask's output (1 clear land, 2 cloud, 3 shadow) under ``kind:
    scl`` is refused as python-fmask's, without the binary-mask wording."""
    codes = np.ones((N, N), np.uint8)
    codes[:4] = 2
    codes[4:6] = 3
    layer = _layer(tmp_path / "fmask_out.tif", codes, 0)
    with pytest.raises(DataError, match=r"as python-fmask's output reads") as err:
        _masked(tmp_path, layer, "scl")
    assert "binary" not in str(err.value)


# -- 4. Sentinel-2's water vapour band (common name nir09) under a variable nir ----------


def _s2_common(root: Path, key: str, common: str, var: str) -> dict[str, Any]:
    """A composite of ``var: key`` over one Sentinel-2 item whose asset ``key`` states
    ``eo:bands`` name and common name ``common`` (Earth Search's v1 items)."""
    href = _band(root / "s2" / f"{key}.tif", 3000)
    item = _item("S2A_31UDQ_20210301_0_L2A", "2021-03-01",
                 {"platform": "sentinel-2a", "s2:processing_baseline": "05.10"}, key, href,
                 {"scale": 1e-4, "offset": -0.1, "nodata": 0, "data_type": "uint16"},
                 **{"eo:bands": [{"name": common, "common_name": common}]})
    return _composite(root, [item], {var: key})


def test_sentinel2s_water_vapour_band_is_not_read_as_nir(tmp_path: Path) -> None:
    """``nir: nir09`` (B09, water vapour, 945 nm): read as the near infrared before (a
    variable ``nir`` took every common name beginning ``nir``), exit 0; refused now."""
    with pytest.raises(DataError, match=r"names asset 'nir09' 'nir', but the asset holds "
                       r"band nir09 \(nir09\)"):
        _s2_common(tmp_path, "nir09", "nir09", "nir")


def test_sentinel2s_narrow_nir_still_reads_as_nir(tmp_path: Path) -> None:
    """control: ``nir: nir08`` (B8A, narrow near infrared) reads as before."""
    layers = _s2_common(tmp_path, "nir08", "nir08", "nir")
    assert float(layers["nir"][1][0, 0]) == pytest.approx(0.2, abs=1e-5)
