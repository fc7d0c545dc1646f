"""Round 32: imagery.

Sentinel-2 STAC items stating their processing baseline in more than one field, or only
in the name of their ESA product, or as Earth Search names them:

1. Two fields of one item on either side of baseline 04.00 (``s2:processing_baseline``
   05.09 in an item of the ESA product ``..._N0300_...``; ``processing:version`` 03.00
   beside ``N0510``; an ``s2:product_uri`` of ``N0300`` beside ``s2:processing_baseline``
   05.10): the first field won without a word, every reflectance 0.1 off, exit 0.
2. An item naming its product in ``s2:product_uri`` alone (Planetary Computer's id
   carries no ``N0510``): refused as an item "without a processing baseline".
3. Earth Search items (``S2A_31UFT_20240613_0_L2A``, collection 1's
   ``S2A_T31UFT_20240613T100031_L2A``) copied into a user's catalogue without their
   ``platform``: no Sentinel-2 item, so a band without a ``raster:bands`` offset lost
   baseline 04.00's -1000 DN offset (0.3 for 0.2, exit 0).

SYNTHETIC 20 x 20 uint16 band files of DN 3000 written into ``tmp_path`` with rasterio,
read through the plain sources' real planning (``plan_raster``) and a composite's
(``plan_composite``).
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
from tests.robustness.test_imagery_round31 import GRID, ORIGIN, WINDOW, N  # SYNTHETIC grid

ESA_ID = "S2A_MSIL2A_20240613T100031_N{}_R122_T31UFT_20240613T120000"
PC_ID = "S2A_MSIL2A_20240613T100031_R122_T31UFT_20240613T120000"
"""Planetary Computer's id of an ESA product: no ``N0510``."""
OFFSET_STATED = {"scale": 0.0001, "offset": -0.1, "nodata": 0, "data_type": "uint16"}
"""``raster:bands`` as Earth Search states them (baseline 04.00 on)."""


def _write(path: Path) -> Path:
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=N,
        height=N,
        count=1,
        dtype="uint16",
        crs="EPSG:32631",
        nodata=0,
        transform=from_origin(ORIGIN[0], ORIGIN[1], 30.0, 30.0),
    ) as dst:
        dst.write(np.full((1, N, N), 3000, np.uint16))
    return path


def _items(root: Path, item_id: str, props: dict[str, Any], **asset: Any) -> Path:
    """A collection of one Sentinel-2 item ``item_id`` of 2024-06-13 (baseline 04.00 on,
    by its date) whose ``B04`` asset is a band of DN 3000 (0.2 with the -1000 offset, 0.3
    without)."""
    band = _write(root / "B04.tif")
    item = {
        "type": "Feature",
        "stac_version": "1.1.0",
        "id": item_id,
        "geometry": None,
        "properties": {"datetime": "2024-06-13T10:00:31Z", **props},
        "assets": {"B04": {"href": str(band), "roles": ["data"], **asset}},
        "links": [],
    }
    coll = root / "items.json"
    coll.write_text(json.dumps({"type": "FeatureCollection", "features": [item]}))
    return coll


def _red(coll: Path) -> np.ndarray:
    from prospect.ingest.rasters import plan_raster

    src = RasterSource.model_validate(
        {"name": "s2", "stac": str(coll), "assets": {"red": "B04"}, "scale": 0.0001}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return plan_raster(src, GRID)[0].compute(GRID, WINDOW)


def _composite_red(coll: Path) -> np.ndarray:
    from prospect.ingest.composite import plan_composite

    src = RasterSource.model_validate(
        {
            "name": "s2",
            "stac": str(coll),
            "assets": {"red": "B04"},
            "scale": 0.0001,
            "composite": {"method": "median"},
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return plan_composite(src, GRID)[0].compute(GRID, WINDOW)


S2A = {"platform": "sentinel-2a"}

# -- 1. two baselines on either side of 04.00 ------------------------------------------------


@pytest.mark.parametrize(
    ("item_id", "props", "fields"),
    [
        (ESA_ID.format("0300"), {**S2A, "s2:processing_baseline": "05.09"}, "05.09.*03.00"),
        (ESA_ID.format("0510"), {**S2A, "s2:processing_baseline": "03.00"}, "05.10.*03.00"),
        (ESA_ID.format("0510"), {**S2A, "processing:version": "03.00"}, "05.10.*03.00"),
        (
            "mine",
            {**S2A, "s2:processing_baseline": "05.09", "processing:version": "03.00"},
            r"05.09 \(s2:processing_baseline\) and 03.00 \(processing:version\)",
        ),
        (
            PC_ID,
            {
                **S2A,
                "s2:processing_baseline": "05.10",
                "s2:product_uri": ESA_ID.format("0300") + ".SAFE",
            },
            r"05.10 \(s2:processing_baseline\) and 03.00 \(s2:product_uri",
        ),
    ],
    ids=[
        "id-0300-stated-0509",
        "id-0510-stated-0300",
        "id-0510-version-0300",
        "stated-0509-version-0300",
        "uri-0300-stated-0510",
    ],
)
def test_an_item_stating_two_baselines_across_04_00_is_refused(
    tmp_path: Path, item_id: str, props: dict[str, Any], fields: str
) -> None:
    """The first field won without a word: 0.2 where the product's DNs carry no offset
    (0.3), or 0.3 where they do (0.2), exit 0."""
    with pytest.raises(DataError, match=f"states processing baseline {fields}"):
        _red(_items(tmp_path, item_id, props))


def test_two_baselines_across_04_00_are_refused_in_a_composite(tmp_path: Path) -> None:
    """The same item in a composite (the median of its one look) was 0.2 for 0.3."""
    coll = _items(tmp_path, ESA_ID.format("0300"), {**S2A, "s2:processing_baseline": "05.09"})
    with pytest.raises(DataError, match="correct the field that is not the product's"):
        _composite_red(coll)


def test_an_offset_stated_against_the_id_s_baseline_is_refused(tmp_path: Path) -> None:
    """``raster:bands`` offset -0.1 with ``s2:processing_baseline`` 05.09 in an item of
    ``N0300``: the offset was checked against 05.09 alone and taken (0.2 for 0.3)."""
    coll = _items(
        tmp_path,
        ESA_ID.format("0300"),
        {**S2A, "s2:processing_baseline": "05.09"},
        **{"raster:bands": [OFFSET_STATED]},
    )
    with pytest.raises(DataError, match=r"states processing baseline 05\.09"):
        _red(coll)


@pytest.mark.parametrize(
    ("item_id", "props", "value"),
    [
        (ESA_ID.format("0510"), {**S2A, "s2:processing_baseline": "05.10"}, 0.2),
        (ESA_ID.format("0510"), {**S2A, "s2:processing_baseline": "05.09"}, 0.2),
        # both-before-04 (a 2024 item of 03.01 read 0.3) left: refused since round 33
        (
            PC_ID,
            {
                **S2A,
                "s2:processing_baseline": "05.10",
                "s2:product_uri": ESA_ID.format("0510") + ".SAFE",
            },
            0.2,
        ),
    ],
    ids=["same", "both-after-04", "planetary-computer"],
)
def test_baselines_on_one_side_of_04_00_read_as_before(
    tmp_path: Path, item_id: str, props: dict[str, Any], value: float
) -> None:
    """Control: fields that agree on the offset (05.09 beside N0510 too) read as before."""
    np.testing.assert_allclose(_red(_items(tmp_path, item_id, props)), value, rtol=1e-5)


# -- 2. the baseline in s2:product_uri alone ---------------------------------------------------


@pytest.mark.parametrize(("baseline", "value"), [("0510", 0.2)])  # 0301 of 2024: round 33
def test_the_baseline_of_the_product_uri_is_read(
    tmp_path: Path, baseline: str, value: float
) -> None:
    """An item whose id carries no ``N0510`` (Planetary Computer's form) stating its
    product in ``s2:product_uri`` alone was refused as "without a processing baseline"."""
    props = {**S2A, "s2:product_uri": ESA_ID.format(baseline) + ".SAFE"}
    np.testing.assert_allclose(_red(_items(tmp_path, PC_ID, props)), value, rtol=1e-5)


def test_an_item_of_no_baseline_anywhere_is_still_refused(tmp_path: Path) -> None:
    """Control: an item of Planetary Computer's id form stating no baseline at all."""
    with pytest.raises(DataError, match=r"add the product.s s2:processing_baseline"):
        _red(_items(tmp_path, PC_ID, S2A))


# -- 3. Earth Search ids without a platform ----------------------------------------------------

EARTH_SEARCH_IDS = ["S2A_31UFT_20240613_0_L2A", "S2B_T31UFT_20240613T100031_L2A"]


@pytest.mark.parametrize("item_id", EARTH_SEARCH_IDS, ids=["v1", "collection-1"])
def test_an_earth_search_item_without_a_platform_is_a_sentinel_2_item(
    tmp_path: Path, item_id: str
) -> None:
    """Read as no Sentinel-2 item, its band of 2024 (baseline 05.xx) lost the -1000 DN
    offset: 0.3 for 0.2, exit 0. It is Sentinel-2: with no baseline stated, refused as
    the same item with its platform was."""
    with pytest.raises(DataError, match=r"add the product.s s2:processing_baseline"):
        _red(_items(tmp_path, item_id, {}))


@pytest.mark.parametrize("item_id", EARTH_SEARCH_IDS, ids=["v1", "collection-1"])
def test_an_earth_search_item_without_a_platform_takes_its_baseline(
    tmp_path: Path, item_id: str
) -> None:
    """The same item stating its baseline as ``processing:version`` 05.10 read 0.3 for
    0.2 (an ``s2:`` field made it Sentinel-2 already)."""
    coll = _items(tmp_path, item_id, {"processing:version": "05.10"})
    np.testing.assert_allclose(_red(coll), 0.2, rtol=1e-5)


@pytest.mark.parametrize("item_id", EARTH_SEARCH_IDS, ids=["v1", "collection-1"])
def test_an_earth_search_item_stating_its_offset_reads_as_before(
    tmp_path: Path, item_id: str
) -> None:
    """Control: Earth Search's items state ``raster:bands`` offset -0.1: 0.2 as before."""
    coll = _items(tmp_path, item_id, {}, **{"raster:bands": [OFFSET_STATED]})
    np.testing.assert_allclose(_red(coll), 0.2, rtol=1e-5)


@pytest.mark.parametrize("item_id", ["S2A_my_scene", "LC09_L2SP_198024_20240613", "scene-1"])
def test_other_ids_without_a_platform_read_as_before(tmp_path: Path, item_id: str) -> None:
    """Control: ids of no Sentinel-2 form stay no Sentinel-2 item (DN x 1e-4: 0.3)."""
    np.testing.assert_allclose(_red(_items(tmp_path, item_id, {})), 0.3, rtol=1e-5)


# -- 4. two tiles of one pass under Earth Search ids, without a platform ----------------------


def _pass(root: Path, ids: list[str]) -> dict[str, np.ndarray]:
    """A median composite of three items ``ids``: the first two side by side (DN 1000,
    columns 0-13 and 6-19, overlapping on 6-13), the third over the whole region (DN
    3000) on 2021-03-11; ``raster:bands`` 1e-4 x DN (0.1 and 0.3)."""
    from prospect.ingest.composite import plan_composite

    items = []
    for n, item_id in enumerate(ids):
        first = n < 2
        width = 14 if first else N
        folder = root / item_id
        folder.mkdir()
        with rasterio.open(
            folder / "B04.tif",
            "w",
            driver="GTiff",
            width=width,
            height=N,
            count=1,
            dtype="uint16",
            crs="EPSG:32631",
            nodata=0,
            transform=from_origin(ORIGIN[0] + (180.0 if n == 1 else 0.0), ORIGIN[1], 30.0, 30.0),
        ) as dst:
            dst.write(np.full((1, N, width), 1000 if first else 3000, np.uint16))
        day = "2021-03-01T10:40:21Z" if first else "2021-03-11T10:40:21Z"
        raster = {"scale": 0.0001, "offset": 0, "nodata": 0, "data_type": "uint16"}
        items.append(
            {
                "type": "Feature",
                "stac_version": "1.0.0",
                "id": item_id,
                "geometry": None,
                "properties": {"datetime": day},
                "assets": {
                    "B04": {
                        "href": str(folder / "B04.tif"),
                        "roles": ["data"],
                        "raster:bands": [raster],
                    }
                },
                "links": [],
            }
        )
    coll = root / "items.json"
    coll.write_text(json.dumps({"type": "FeatureCollection", "features": items}))
    src = RasterSource.model_validate(
        {"name": "s2", "stac": str(coll), "assets": {"red": "B04"}, "composite": {}}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {layer.name: layer.compute(GRID, WINDOW) for layer in plan_composite(src, GRID)}


def test_two_tiles_of_one_pass_under_earth_search_ids_are_one_look(tmp_path: Path) -> None:
    """Two tiles of S2A's pass of 2021-03-01 (``S2A_31UFT_20210301_0_L2A`` and
    ``S2A_31UGT_...``) without a ``platform``: where they overlap the one look counted
    twice (``s2_count`` 3) and the median was that look's 0.1 for 0.2, exit 0."""
    ids = ["S2A_31UFT_20210301_0_L2A", "S2A_31UGT_20210301_0_L2A", "S2A_31UFT_20210311_0_L2A"]
    out = _pass(tmp_path, ids)
    assert (out["s2_count"] == 2).all(), out["s2_count"][0]
    np.testing.assert_allclose(out["red"], 0.2, rtol=1e-5)


def test_two_satellites_on_one_day_stay_two_looks(tmp_path: Path) -> None:
    """Control: S2A and S2B over the two tiles on one day are two passes (three looks
    where they overlap, their median 0.1)."""
    ids = ["S2A_31UFT_20210301_0_L2A", "S2B_31UGT_20210301_0_L2A", "S2A_31UFT_20210311_0_L2A"]
    out = _pass(tmp_path, ids)
    assert (out["s2_count"][:, 6:14] == 3).all(), out["s2_count"][0]
    np.testing.assert_allclose(out["red"][:, 6:14], 0.1, rtol=1e-5)
