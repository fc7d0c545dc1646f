"""Round 50: imagery.

1. A floating-point copy another tool calibrated, under a calibration that names no
   product's quantity: an item of the user's own id stating Collection 2's pair with no
   ``unit``, or a ``red.tif`` keeping a scale tag (2.75e-5 and -0.2, or 1e-4) and no
   units, over float32 reflectance 0.5: read -0.19999 (or 5e-5), exit 0 (round 49 left
   it: only a stated product's quantity was looked at).
2. A float copy of an HLS L30 thermal band (``...v2.0.B10.tif``, 0.01 x DN in degrees
   Celsius) in degrees Celsius (26.24): refused asking for ``scale: 0.01``, which read it
   0.2624 degC, and read so under an item stating that scale, exit 0 (rounds 48 and 49
   left it).
3. A float copy another tool rescaled (reflectance in percent, 35.27, or x 10000,
   3500.0) under a Collection 2 or Sentinel-2 name or item: read -0.199 (-0.104) at the
   product's pair, exit 0 (round 49 looked at integer copies alone).
4. Level-1 and Level-2 scenes in one composite told only by their band files' names:
   items of the user's own ids stating no product level (a Sentinel-2 L1C granule's
   ``T31UDQ_..._B04`` beside an L2A ``..._B04_10m``; a Landsat ``LC08_L1TP_..._B4``
   beside an ``LC08_L2SP_..._SR_B4``, with no product stated): one median of
   top-of-atmosphere and surface reflectance (count 2), exit 0, where a plain source of
   the same files is refused.

SYNTHETIC 20 x 20 one-band GeoTIFFs named as USGS, ESA and NASA name their files and
SYNTHETIC STAC items, read through the plain source's and the composite's real planning
and computing (round 42's helpers), and in-process ``prospect ingest``.
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

SR = {"scale": 2.75e-5, "offset": -0.2}
"""Collection 2's surface reflectance pair, stated with no ``unit``."""
HLS = "HLS.L30.T31UDQ.2021060T104021.v2.0"
"""A SYNTHETIC HLS L30 granule id."""


# -- 1. a float copy under a pair of no quantity --------------------------------------------


@pytest.mark.parametrize(
    ("band", "formula", "reads"),
    [
        (SR, "value = 2.75e-05 x DN - 0.2", "-0.2"),
        ({"scale": 1e-4, "unit": "1"}, "value = 0.0001 x DN", "5e-05"),
    ],
    ids=["c2-pair-no-unit", "espa-scale-unitless"],
)
def test_a_float_copy_an_item_of_its_own_calibrates_is_refused(
    tmp_path: Path, band: dict[str, Any], formula: str, reads: str
) -> None:
    """SYNTHETIC: a float32 ``red.tif`` of reflectance 0.5 under an item of the user's own
    id whose ``raster:bands`` state a reflectance's DN pair but no quantity read -0.19999
    (5e-05), exit 0; now refused, saying its values are no whole numbers."""
    copy = _file(tmp_path / "red.tif", 0.5, "float32", None)
    item = _item(
        "my-copy-20210317", "2021-03-17", {"platform": "landsat-8"}, "red", copy, dict(band)
    )
    with pytest.raises(DataError) as err:
        _composite(tmp_path, [item], {"red": "red"})
    message = str(err.value)
    assert "\n" not in message, message
    assert "item 'my-copy-20210317' (raster:bands scale/offset) reads red.tif as DNs" in message
    assert f"({formula}, a reflectance's DN scale, no quantity stated)" in message, message
    assert "holds float32 values from 0.5 to 0.5, not whole numbers as DNs are" in message
    assert "already calibrated" in message and f"(to {reads})" in message, message
    assert "whose raster:bands state no scale or offset" in message, message


@pytest.mark.parametrize(
    ("scale", "offset"), [(2.75e-5, -0.2), (1e-4, 0.0)], ids=["c2-pair", "espa-scale"]
)
def test_a_float_copy_keeping_a_scale_tag_under_its_own_name_is_refused(
    tmp_path: Path, scale: float, offset: float
) -> None:
    """SYNTHETIC: a float32 ``red.tif`` of reflectance 0.5 keeping a scale/offset tag and no
    units, in a plain source: read -0.19999 (or 5e-05), exit 0; now refused, told to
    unset the tags."""
    path = _file(tmp_path / "red.tif", 0.5, "float32", None)
    with rasterio.open(path, "r+") as dst:
        dst.scales, dst.offsets = (scale,), (offset,)
    with pytest.raises(DataError) as err:
        _plain(tmp_path, {"red": path})
    message = str(err.value)
    assert "\n" not in message, message
    assert "the file's own band 1 scale/offset reads red.tif as DNs" in message, message
    assert "holds float32 values from 0.5 to 0.5, not whole numbers" in message, message
    assert "gdal_edit.py -scale 1 -offset 0" in message, message


def test_a_float_copy_a_sources_own_pair_reads_as_dns_is_refused(tmp_path: Path) -> None:
    """SYNTHETIC: a float32 ``red.tif`` of reflectance 0.35 in a plain source given
    Collection 2's pair as ``scale:`` and ``offset:`` (copied from a job of the product's
    files): read -0.19999, exit 0; now refused, told to remove them."""
    path = _file(tmp_path / "red.tif", 0.35, "float32", None)
    with pytest.raises(DataError) as err:
        _plain(tmp_path, {"red": path}, **SR)
    message = str(err.value)
    assert "\n" not in message, message
    assert "the source's 'scale:'/'offset:' reads red.tif as DNs" in message, message
    assert "holds float32 values from 0.35 to 0.35, not whole numbers" in message, message
    assert "remove 'scale:' and 'offset:' from the source" in message, message


def test_float_dns_under_a_pair_of_no_quantity_read_as_before(tmp_path: Path) -> None:
    """control (SYNTHETIC): float32 copies of whole DNs (30000.0 under an item of its own,
    2.0 and 3.0 under a scale tag: a mask's codes) read at the stated pair as before,
    values outside reflectance's span (a resampled 20000.5) too, and a plain source's
    ``scale:`` alone over small values (a grade of 1.25 ppm as a fraction, 1.25e-6)."""
    copy = _file(tmp_path / "a" / "red.tif", 30000.0, "float32", None)
    item = _item("my-copy", "2021-03-17", {"platform": "landsat-8"}, "red", copy, dict(SR))
    out = _composite(tmp_path / "a", [item], {"red": "red"})
    assert out["red"] == pytest.approx(0.625, abs=1e-5)
    codes = np.full((20, 20), 2.0, np.float32)
    codes[:5] = 3.0
    path = _file(tmp_path / "b" / "red.tif", codes, "float32", None)
    with rasterio.open(path, "r+") as dst:
        dst.scales, dst.offsets = (1e-4,), (0.0,)
    red = _plain(tmp_path / "b", {"red": path})["red"]
    assert np.unique(red) == pytest.approx([0.0002, 0.0003], abs=1e-8)
    path = _file(tmp_path / "c" / "red.tif", 20000.5, "float32", None)
    with rasterio.open(path, "r+") as dst:
        dst.scales, dst.offsets = (2.75e-5,), (-0.2,)
    assert _plain(tmp_path / "c", {"red": path})["red"] == pytest.approx(0.35, abs=1e-4)
    grade = _file(tmp_path / "d" / "au_ppm.tif", 1.25, "float32", None)
    assert _plain(tmp_path / "d", {"au": grade}, scale=1e-6)["au"] == pytest.approx(1.25e-6)


# -- 2. a float copy of an HLS thermal band in degrees Celsius ------------------------------


@pytest.mark.parametrize(
    ("band", "value", "extra"),
    [
        ("B10", 26.24, {}),
        ("B11", -5.37, {}),
        ("B10", 26.24, {"scale": 0.01, "units": "degC"}),
    ],
    ids=["b10-no-scale", "b11-cold", "b10-scale-asked-for"],
)
def test_a_float_copy_of_an_hls_thermal_band_is_refused(
    tmp_path: Path, band: str, value: float, extra: dict[str, Any]
) -> None:
    """SYNTHETIC: a float32 copy of an HLS L30 thermal band in degrees Celsius, under the
    product's name: without a scale refused asking for ``scale: 0.01``, with it read
    0.2624 degC, exit 0; now refused as calibrated already."""
    path = _file(tmp_path / f"{HLS}.{band}.tif", value, "float32", None)
    with pytest.raises(DataError) as err:
        _plain(tmp_path, {"bt": path}, **extra)
    message = str(err.value)
    assert "\n" not in message, message
    assert f"{path.name} is named as an HLS L30 thermal band file" in message, message
    assert f"holds float32 values from {value:.4g} to {value:.4g}, not whole numbers" in message, (
        message
    )
    assert "brightness temperature that another tool has already calibrated" in message
    assert "'bt10_celsius.tif'" in message and "give 'scale: 0.01'" not in message, message


@pytest.mark.parametrize("item_id", [HLS, "my-bt-copy"], ids=["hls-item", "own-item"])
def test_a_float_copy_of_an_hls_thermal_band_an_item_scales_is_refused(
    tmp_path: Path, item_id: str
) -> None:
    """SYNTHETIC: an item stating HLS's ``scale: 0.01`` in ``degC`` over a float32 copy of
    26.24 degC (the granule's own item, or one of the user's own): read 0.2624, exit 0;
    now refused."""
    name = f"{HLS}.B10.tif" if item_id == HLS else "bt.tif"
    copy = _file(tmp_path / name, 26.24, "float32", None)
    item = _item(item_id, "2021-03-01", {}, "bt", copy, {"scale": 0.01, "unit": "degC"})
    with pytest.raises(DataError) as err:
        _composite(tmp_path, [item], {"bt": "bt"})
    message = str(err.value)
    assert "\n" not in message, message
    assert f"item {item_id!r} (raster:bands scale/offset) reads {name} as DNs" in message
    assert "holds float32 values from 26.24 to 26.24, not whole numbers as DNs" in message
    assert "(to 0.2624)" in message, message


def test_hls_thermal_dns_and_the_hint_followed_read_as_before(tmp_path: Path) -> None:
    """control (SYNTHETIC): the granule's int16 DNs (2624) and a float32 copy of its DNs
    (2624.0; a cold scene's -50.0) at ``scale: 0.01`` read 26.24 (-0.5) degC, and the copy
    renamed as the refusal says, with ``units: degC`` and no scale, reads 26.24."""
    dns = _file(tmp_path / "a" / f"{HLS}.B10.tif", 2624, "int16", -9999)
    assert _plain(tmp_path / "a", {"bt": dns}, scale=0.01, units="degC")["bt"] == pytest.approx(
        26.24, abs=1e-4
    )
    for value, want in ((2624.0, 26.24), (-50.0, -0.5)):
        copy = _file(tmp_path / "b" / f"{HLS}.B11.tif", value, "float32", None)
        assert _plain(tmp_path / "b", {"bt": copy}, scale=0.01, units="degC")[
            "bt"
        ] == pytest.approx(want, abs=1e-4)
    renamed = _file(tmp_path / "c" / "bt10_celsius.tif", 26.24, "float32", None)
    assert _plain(tmp_path / "c", {"bt": renamed}, units="degC")["bt"] == pytest.approx(
        26.24, abs=1e-4
    )


def test_cli_a_float_hls_thermal_copy_is_one_error_line(
    sandbox: Sandbox, cli: Any, scheduler: str
) -> None:
    """SYNTHETIC job: ``prospect ingest`` of a plain source of an HLS B10 float copy in
    degrees Celsius given ``scale: 0.01``: ingested 0.2624 degC, exit 0; now exit 1, one
    ``error:`` line, nothing written beside the job."""
    west, _south, _east, north = TINY_REGION["bounds"]
    _file(
        sandbox.root / f"{HLS}.B10.tif",
        26.24,
        "float32",
        None,
        crs=TINY_REGION["crs"],
        origin=(west, north),
        res=20.0,
    )
    sandbox.write_job(
        sources=[
            {
                "kind": "raster",
                "name": "hls",
                "scale": 0.01,
                "units": "degC",
                "bands": {"bt": f"{HLS}.B10.tif"},
            }
        ]
    )
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert_clean_error(
        result,
        1,
        f"{HLS}.B10.tif",
        "holds float32 values from 26.24",
        "not whole numbers",
        "already calibrated",
    )
    assert sandbox.untouched()


# -- 3. a float copy another tool rescaled, under the product's name -------------------------

L2 = "LC08_L2SP_198024_20210301_20210310_02_T1"
"""A SYNTHETIC Landsat 8 Collection 2 Level-2 product id."""


@pytest.mark.parametrize(
    ("name", "value", "how", "reads"),
    [
        (f"{L2}_SR_B4.TIF", 35.27, "name", -0.199),
        (f"{L2}_SR_B4.TIF", 3500.0, "name", -0.104),
        (f"{L2}_SR_B4.TIF", 35.27, "item", -0.199),
        ("T31UDQ_20220301T104021_B04_10m.tif", 35.27, "name", -0.0965),
    ],
    ids=["c2-percent", "c2-x10000", "c2-percent-item", "s2-percent"],
)
def test_a_float_copy_rescaled_under_the_products_name_is_refused(
    tmp_path: Path, name: str, value: float, how: str, reads: float
) -> None:
    """SYNTHETIC: a float32 copy of reflectance in percent (35.27) or x 10000 (3500.0) named
    as the product, read at its pair (by its name and ``scale:``/``offset:``, or by its
    item): went in as -0.199 (-0.104; Sentinel-2 -0.0965), exit 0; now refused as values
    another tool rescaled (round 49 looked at integer copies alone)."""
    path = _file(tmp_path / name, value, "float32", None)
    if how == "item":
        item = _item(L2, "2021-03-01", {"platform": "landsat-8"}, "red", path, dict(SR))
        call = lambda: _composite(tmp_path, [item], {"red": "red"})  # noqa: E731
    else:
        pair = {"scale": 1e-4, "offset": -0.1} if name.startswith("T31") else SR
        call = lambda: _plain(tmp_path, {"red": path}, **pair)  # noqa: E731
    with pytest.raises(DataError) as err:
        call()
    message = str(err.value)
    assert "\n" not in message, message
    assert f"reads {name} as the DNs of surface reflectance" in message, message
    assert (
        f"but 90 % of its float32 values (from {value:g} to {value:g}) would read "
        "below -0.05" in message
    ), message
    assert "values another tool has rescaled" in message, message
    assert "'scale: 0.01' for percent" in message, message


def test_float_dns_and_a_renamed_percent_copy_read_as_before(tmp_path: Path) -> None:
    """control (SYNTHETIC): a float32 copy of the product's DNs under its name (20000.0, a
    dark scene's 7000.0) reads 0.35 (-0.0075), and the percent copy renamed, with ``scale:
    0.01``, reads 0.3527."""
    for value, want in ((20000.0, 0.35), (7000.0, -0.0075)):
        path = _file(tmp_path / "a" / f"{L2}_SR_B4.TIF", value, "float32", None)
        assert _plain(tmp_path / "a", {"red": path}, **SR)["red"] == pytest.approx(want, abs=1e-5)
    path = _file(tmp_path / "b" / "red_percent.tif", 35.27, "float32", None)
    assert _plain(tmp_path / "b", {"red": path}, scale=0.01)["red"] == pytest.approx(
        0.3527, abs=1e-5
    )


# -- 4. Level-1 and Level-2 scenes told by their files' names -------------------------------


L1_FILE = "LC08_L1TP_198024_20210301_20210310_02_T1_B4.TIF"
L2_FILE = "LC08_L2SP_198024_20210317_20210328_02_T1_SR_B4.TIF"


@pytest.mark.parametrize(
    ("first", "second", "props", "pairs", "product"),
    [
        (
            "T31UDQ_20210301T104021_B04.tif",
            "T31UDQ_20210317T104021_B04_10m.tif",
            {"platform": "sentinel-2a"},
            ({"scale": 1e-4, "offset": 0.0},) * 2,
            "sentinel-2",
        ),
        (
            "T31UDQ_20210301T104021_B04.jp2",
            "T31UDQ_20210317T104021_B04_10m.jp2",
            {},
            ({"scale": 1e-4, "offset": 0.0},) * 2,
            "by its band files' names",
        ),
        (L1_FILE, L2_FILE, {}, ({"scale": 2e-5, "offset": -0.1}, SR), "by its band files' names"),
        (
            L1_FILE,
            L2_FILE,
            {"platform": "landsat-8"},
            ({"scale": 2e-5, "offset": -0.1}, SR),
            "by its band files' names",
        ),
    ],
    ids=[
        "s2-l1c-name-platform",
        "s2-l1c-name-no-product",
        "landsat-l1-no-product",
        "landsat-l1-platform",
    ],
)
def test_level1_and_level2_items_told_by_their_files_names_are_refused(
    tmp_path: Path,
    first: str,
    second: str,
    props: dict[str, Any],
    pairs: tuple[dict[str, Any], dict[str, Any]],
    product: str,
) -> None:
    """SYNTHETIC items of the user's own ids stating no level, one listing a Level-1 band
    file (an L1C granule's ``_B04`` with no resolution suffix, a Landsat ``L1TP`` ``_B4``),
    the other a Level-2 one: one median of top-of-atmosphere and surface reflectance
    (count 2), exit 0; now refused naming both items."""
    a = _file(tmp_path / "a" / first, 3500 if "T31" in first else 20000)
    b = _file(tmp_path / "b" / second, 3500 if "T31" in second else 20000)
    items = [
        _item("x1", "2021-03-01", dict(props), "red", a, dict(pairs[0])),
        _item("x2", "2021-03-17", dict(props), "red", b, dict(pairs[1])),
    ]
    with pytest.raises(DataError) as err:
        _composite(tmp_path, items, {"red": "red"})
    message = str(err.value)
    assert "\n" not in message, message
    assert (
        f"1 of 2 STAC items are Level-1 (top of atmosphere), e.g. 'x1' ({product}), "
        f"and the others Level-2 (surface), e.g. 'x2' ({product})"
    ) in message, message
    assert "one source holds one product level" in message, message


def test_items_of_one_level_by_their_files_names_read_as_before(tmp_path: Path) -> None:
    """control (SYNTHETIC): two L2A-named scenes, two L1C-named scenes, and two Landsat
    ``SR_B4`` scenes in items stating no product each make one median (count 2)."""
    cases = [
        (
            "T31UDQ_20210301T104021_B04_10m.tif",
            "T31UDQ_20210317T104021_B04_10m.tif",
            3500,
            {"scale": 1e-4, "offset": 0.0},
            0.35,
        ),
        (
            "T31UDQ_20210301T104021_B04.tif",
            "T31UDQ_20210317T104021_B04.tif",
            3500,
            {"scale": 1e-4, "offset": 0.0},
            0.35,
        ),
        ("LC08_L2SP_198024_20210301_20210310_02_T1_SR_B4.TIF", L2_FILE, 20000, SR, 0.35),
    ]
    for n, (first, second, dn, pair, want) in enumerate(cases):
        root = tmp_path / str(n)
        items = [
            _item("x1", "2021-03-01", {}, "red", _file(root / "a" / first, dn), dict(pair)),
            _item("x2", "2021-03-17", {}, "red", _file(root / "b" / second, dn), dict(pair)),
        ]
        out = _composite(root, items, {"red": "red"})
        assert out["red"] == pytest.approx(want, abs=1e-5), first
        assert out["s_count"] == pytest.approx(2.0), first


def test_cli_level1_and_level2_items_by_name_is_one_error_line(
    sandbox: Sandbox, cli: Any, scheduler: str
) -> None:
    """SYNTHETIC job: ``prospect ingest`` of a composite of an L1C-named and an L2A-named
    Sentinel-2 scene in items of the user's own: ingested as one median, exit 0; now exit
    1, one ``error:`` line, nothing written beside the job."""
    west, _south, _east, north = TINY_REGION["bounds"]
    grid = {"crs": TINY_REGION["crs"], "origin": (west, north), "res": 20.0}
    a = _file(sandbox.root / "a" / "T31UDQ_20210301T104021_B04.tif", 3500, **grid)
    b = _file(sandbox.root / "b" / "T31UDQ_20210317T104021_B04_10m.tif", 3500, **grid)
    pair = {"scale": 1e-4, "offset": 0.0}
    items = [
        _item("x1", "2021-03-01", {}, "red", a, dict(pair)),
        _item("x2", "2021-03-17", {}, "red", b, dict(pair)),
    ]
    (sandbox.root / "items.json").write_text(
        json.dumps({"type": "FeatureCollection", "features": items})
    )
    sandbox.write_job(
        sources=[
            {
                "kind": "raster",
                "name": "s2",
                "stac": "items.json",
                "assets": {"red": "red"},
                "composite": {"method": "median"},
            }
        ]
    )
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert_clean_error(
        result, 1, "1 of 2 STAC items are Level-1", "'x1'", "by its band files' names"
    )
    assert sandbox.untouched()
