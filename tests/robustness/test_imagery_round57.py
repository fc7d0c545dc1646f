"""Round 57: imagery.

1. A cloud mask naming the file of one of the scene's bands (an item's quality-layer
   asset whose href was copied from its red band's, or a ``bands:`` key of the mask naming
   the red file): a Landsat ``kind: qa_pixel`` read the red DNs as QA_PIXEL flags (a red
   of DN 21824 passed as clear land, others masked the scene by its reflectance), exit 0;
   an SCL was refused by the codes it lacks, not as one file read twice. Round 56 left it.
2. Items of two dates naming one quality layer (the second item's cloud-mask href copied
   from the first's): the clear second scene lost its pixels where the first was cloudy
   (no data, count 0 there), exit 0.
3. A cloud mask of several bands over the network whose item states its grid was refused
   at its first read in the words for a variable ("the variable would hold band 1 ...
   map each variable to an asset of one band"), naming no variable of the config and not
   ``cloud_mask.asset``; a local one is told as a mask since round 56. Round 56 left it.

SYNTHETIC GeoTIFFs and STAC items read through the composite's and the plain source's
real planning and computing (round 42's helpers), a SYNTHETIC quality layer served over
HTTP with range requests (round 21's server), and in-process ``prospect ingest`` of the
tiny job.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from prospect.errors import DataError
from tests.robustness import test_imagery_round21 as r21
from tests.robustness.conftest import TINY_REGION, Sandbox, assert_clean_error
from tests.robustness.test_imagery_round42 import (
    L8_ID,
    S2_PROPS,
    _composite,
    _file,
    _plain,
)
from tests.robustness.test_imagery_round53 import _feature
from tests.robustness.test_imagery_round56 import (
    CLOUD_MASK,
    _band_asset,
    _masked_item,
    _scl,
    _stated,
    _tiny_file,
)

served = r21.served
"""A folder served over HTTP with range requests on localhost, and its URL (round 21's)."""

CLEAR = 21824
"""A Collection 2 QA_PIXEL word of clear land (bits 6, 8, 10, 12, 14), and as an ``SR_B4``
DN a red of 21824 x 2.75e-05 - 0.2 = 0.40016."""
L2_RED = {"scale": 2.75e-05, "offset": -0.2, "nodata": 0, "data_type": "uint16"}
"""A Collection 2 Level-2 ``SR_B4`` band's ``raster:bands``."""
L8_PROPS = {"platform": "landsat-8"}

# -- 1. a cloud mask naming the file of one of the scene's bands ------------------------------


def _landsat_item(root: Path, how: str) -> dict[str, Any]:
    """A SYNTHETIC Landsat 8 Collection 2 Level-2 item of a red band (DN 21824, 0.40016)
    whose ``QA_PIXEL`` asset names ``how``: the red band's file, that file spelled apart
    (``dir/./``), a link to it, or its own QA_PIXEL file of clear land."""
    red = _file(root / f"{L8_ID}_SR_B4.TIF", CLEAR)
    if how == "own-file":
        qa = str(_file(root / f"{L8_ID}_QA_PIXEL.TIF", CLEAR))
    elif how == "spelled-apart":
        qa = str(root / "." / red.name).replace(f"/{red.name}", f"/./{red.name}")
    elif how == "link":
        link = root / f"{L8_ID}_QA_PIXEL.TIF"
        os.symlink(red, link)
        qa = str(link)
    else:
        qa = str(red)
    assets = {
        "SR_B4": {
            "href": str(red),
            "roles": ["data"],
            "raster:bands": [L2_RED],
            "eo:bands": [{"name": "SR_B4", "common_name": "red"}],
        },
        "QA_PIXEL": {"href": qa, "roles": ["cloud"]},
    }
    return _feature("x", "2023-03-01", assets, **L8_PROPS)


QA_MASK = {"cloud_mask": {"asset": "QA_PIXEL", "kind": "qa_pixel"}}


@pytest.mark.parametrize("how", ["one-href", "spelled-apart", "link"])
def test_a_qa_pixel_asset_naming_the_red_file_is_refused(tmp_path: Path, how: str) -> None:
    """SYNTHETIC: a Landsat item whose QA_PIXEL asset names its red band's file (the
    same href, ``dir/./``, a link) read the red DNs as flags: DN 21824 passed as clear
    land (red 0.40016, count 1), exit 0; now refused naming the item, the layer, the band
    and the fix."""
    item = _landsat_item(tmp_path, how)
    with pytest.raises(DataError) as err:
        _composite(tmp_path, [item], {"red": "SR_B4"}, **QA_MASK)
    message = str(err.value)
    assert "\n" not in message and "Traceback" not in message, message
    assert message.startswith("source 's': item 'x': the quality layer "), message
    assert "is the file of band 'red'" in message, message
    assert "cloud_mask.asset names the same file as a band of the scene" in message, message
    assert "would be read as qa_pixel codes" in message, message
    assert "give the scene's own quality layer in cloud_mask.asset" in message, message


def test_an_scl_asset_naming_the_red_file_is_told_as_one_file(tmp_path: Path) -> None:
    """SYNTHETIC: a Sentinel-2 item whose SCL asset names its B04 file was refused "not a
    scl quality layer: it holds code(s) 3000" (a user sent to look for another layer
    kind); now told as the band's own file."""
    red = _file(tmp_path / "B04.tif", 3000)
    assets = {"B04": _band_asset(red, "B04"), "SCL": {"href": str(red), "roles": ["cloud"]}}
    item = _feature("x", "2023-03-01", assets, **S2_PROPS)
    with pytest.raises(DataError) as err:
        _composite(tmp_path, [item], {"red": "B04"}, **CLOUD_MASK)
    message = str(err.value)
    assert "B04.tif is the file of band 'red'" in message, message
    assert "would be read as scl codes" in message, message
    assert "holds code(s)" not in message, message


def test_a_qa_pixel_asset_of_its_own_file_masks_as_before(tmp_path: Path) -> None:
    """control (SYNTHETIC): the same item whose QA_PIXEL asset names its own file of
    clear land keeps the red 0.40016, count 1."""
    item = _landsat_item(tmp_path, "own-file")
    out = _composite(tmp_path, [item], {"red": "SR_B4"}, **QA_MASK)
    np.testing.assert_allclose(out["red"], 0.40016, rtol=1e-5)
    np.testing.assert_allclose(out["s_count"], 1.0)


@pytest.mark.parametrize("same", [True, False], ids=["mask-key-names-red", "own-file"])
def test_a_plain_sources_mask_key_naming_a_bands_file(tmp_path: Path, same: bool) -> None:
    """SYNTHETIC: a plain ``bands:`` source whose mask key ``QA`` names the red file read
    the red DNs as QA_PIXEL flags (clear land: red 0.40016 kept), exit 0; now refused.
    control: a ``QA`` of its own file of clear land keeps the red as before."""
    red = _file(tmp_path / "red.tif", CLEAR)
    qa = red if same else _file(tmp_path / "qa.tif", CLEAR)
    extra = {"scale": 2.75e-05, "offset": -0.2, "cloud_mask": {"asset": "QA", "kind": "qa_pixel"}}
    if not same:
        out = _plain(tmp_path, {"red": red, "QA": qa}, **extra)
        np.testing.assert_allclose(out["red"], 0.40016, rtol=1e-5)
        return
    with pytest.raises(DataError) as err:
        _plain(tmp_path, {"red": red, "QA": qa}, **extra)
    message = str(err.value)
    assert message.startswith("source 'x': the quality layer "), message
    assert "red.tif is the file of band 'red'" in message, message


def _tiny_items(root: Path, one_href: bool) -> None:
    """A SYNTHETIC catalogue ``items.json`` of one Sentinel-2 item over the tiny region,
    whose SCL asset names B04's file (``one_href``) or its own (vegetation)."""
    west, _south, _east, north = TINY_REGION["bounds"]
    grid = {"crs": TINY_REGION["crs"], "origin": (west, north), "res": 10.0}
    red = _tiny_file(root / "B04.tif", 3000, **grid)
    scl = red if one_href else _tiny_file(root / "SCL.tif", 4, **grid)
    assets = {"B04": _band_asset(red, "B04"), "SCL": {"href": str(scl), "roles": ["cloud"]}}
    item = _feature("mine", "2023-03-01", assets, **S2_PROPS)
    (root / "items.json").write_text(json.dumps({"type": "FeatureCollection", "features": [item]}))


SOURCE = {
    "kind": "raster",
    "name": "s2",
    "stac": "items.json",
    "assets": {"red": "B04"},
    "cloud_mask": {"asset": "SCL", "kind": "scl"},
    "composite": {"method": "median"},
}


def test_cli_a_cloud_mask_naming_a_bands_file_is_one_error_line(
    sandbox: Sandbox, cli: Any, scheduler: str
) -> None:
    """SYNTHETIC job: ``prospect ingest`` of a median whose item's SCL asset names B04's
    file: exit 1, one ``error:`` line naming the item, the layer and the band, nothing
    written beside the job."""
    _tiny_items(sandbox.root, one_href=True)
    sandbox.write_job(sources=[SOURCE])
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert_clean_error(
        result, 1, "item 'mine': the quality layer", "B04.tif is the file of band 'red'"
    )
    assert sandbox.untouched()


# -- 2. one quality layer named by the items of two dates ------------------------------------


def _two_dates(root: Path, shared: bool) -> list[dict[str, Any]]:
    """SYNTHETIC items of 2023-03-01 (DN 3000, 0.2; cloud on its right half) and
    2023-03-11 (DN 5000, 0.4; clear), the second's SCL href copied from the first's
    (``shared``) or its own."""
    items = []
    for day, dn in (("2023-03-01", 3000), ("2023-03-11", 5000)):
        folder = root / day
        folder.mkdir()
        red = _file(folder / "B04.tif", dn)
        _scl(folder / "SCL.tif", (4,), half=8 if day == "2023-03-01" else 0)
        scl = root / ("2023-03-01" if shared else day) / "SCL.tif"
        assets = {"B04": _band_asset(red, "B04"), "SCL": {"href": str(scl), "roles": ["cloud"]}}
        items.append(_feature(day, day, assets, **S2_PROPS))
    return items


def test_items_of_two_dates_naming_one_quality_layer_are_refused(tmp_path: Path) -> None:
    """SYNTHETIC: the item of 2023-03-11 (clear) named the SCL of 2023-03-01 (cloud on
    the right): its right half was dropped by the other date's clouds (red no data, count
    0 there, where it is 0.4 and 1), exit 0; now refused naming both items, their dates,
    the layer and the fix."""
    with pytest.raises(DataError) as err:
        _composite(tmp_path, _two_dates(tmp_path, shared=True), {"red": "B04"}, **CLOUD_MASK)
    message = str(err.value)
    assert "\n" not in message and "Traceback" not in message, message
    assert (
        "source 's': items '2023-03-01' (2023-03-01) and '2023-03-11' (2023-03-11) name one "
        "quality layer" in message
    ), message
    assert "2023-03-01/SCL.tif" in message, message
    assert "item '2023-03-11' would be masked by the clouds of '2023-03-01'" in message
    assert "give each item the quality layer of its own scene" in message, message


def test_items_of_two_dates_each_with_its_own_layer_composite_as_before(tmp_path: Path) -> None:
    """control (SYNTHETIC): each item with its own SCL: the left half the median of 0.2
    and 0.4 (count 2), the right half 0.4 alone (count 1)."""
    out = _composite(tmp_path, _two_dates(tmp_path, shared=False), {"red": "B04"}, **CLOUD_MASK)
    assert sorted(np.unique(out["s_count"]).tolist()) == [1.0, 2.0]
    np.testing.assert_allclose(np.unique(out["red"]), [0.3, 0.4], rtol=1e-5)


@pytest.mark.parametrize("how", ["one-scene-two-ids", "two-tiles-one-pass"])
def test_items_of_one_look_may_share_a_quality_layer(tmp_path: Path, how: str) -> None:
    """control (SYNTHETIC): two items of 2023-03-01 naming one SCL (cloud on the right)
    composite as before (red 0.2 on the left, one look: count 1): one scene listed under
    two ids (one band file), or two tiles of one pass (a band file each: the older
    ``test_imagery_inputs`` case of one scene under two dates keeps its own rule)."""
    first = _two_dates(tmp_path, shared=True)[0]
    twin = json.loads(json.dumps(first))
    twin["id"] = "twin"
    if how == "two-tiles-one-pass":
        other = tmp_path / "tile2"
        other.mkdir()
        twin["assets"]["B04"]["href"] = str(_file(other / "B04.tif", 3000))
    out = _composite(tmp_path, [first, twin], {"red": "B04"}, **CLOUD_MASK)
    assert float(np.nanmin(out["red"])) == pytest.approx(0.2, abs=1e-5)
    assert sorted(np.unique(out["s_count"]).tolist()) == [0.0, 1.0]


# -- 3. a remote cloud mask of several bands whose item states its grid -----------------------


def _remote_masked(root: Path, served: tuple[Path, str], codes: tuple[int, ...]) -> Any:
    """A SYNTHETIC item stating its grids, whose SCL of ``codes`` (one per band;
    vegetation left and cloud right where one band) is served over HTTP."""
    www, url = served
    scl = _scl(root / "SCL.tif", codes, half=8 if len(codes) == 1 else 0)
    shutil.copy(scl, www / "SCL.tif")
    item = _stated(_masked_item(root, scl))
    item["assets"]["SCL"]["href"] = f"{url}/SCL.tif"
    return item


def test_a_remote_stated_cloud_mask_of_several_bands_is_told_as_a_mask(
    tmp_path: Path, served: tuple[Path, str]
) -> None:
    """SYNTHETIC: a served SCL of three bands whose item states its grid was refused
    "the variable would hold band 1 ... map each variable to an asset of one band"; now
    in a cloud mask's words, naming ``cloud_mask.asset``."""
    item = _remote_masked(tmp_path, served, (4, 8, 9))
    with pytest.raises(DataError) as err:
        _composite(tmp_path, [item], {"red": "B04"}, **CLOUD_MASK)
    message = str(err.value)
    assert "\n" not in message and "Traceback" not in message, message
    assert "item 'x' asset 'SCL' is a quality layer of 3 bands" in message, message
    assert "SCL.tif" in message, message
    assert "give the scene's one-band quality layer in cloud_mask.asset" in message, message
    assert "the variable would hold band 1" not in message, message


def test_a_remote_stated_cloud_mask_of_one_band_masks_as_before(
    tmp_path: Path, served: tuple[Path, str]
) -> None:
    """control (SYNTHETIC): the served one-band SCL (vegetation left, cloud right) keeps
    the red 0.2 on the left and drops it on the right, its grid stated."""
    item = _remote_masked(tmp_path, served, (4,))
    out = _composite(tmp_path, [item], {"red": "B04"}, **CLOUD_MASK)
    assert float(np.nanmin(out["red"])) == pytest.approx(0.2, abs=1e-5)
    assert sorted(np.unique(out["s_count"]).tolist()) == [0.0, 1.0]
