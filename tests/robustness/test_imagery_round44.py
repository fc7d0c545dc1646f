"""Round 44: imagery.

1. Landsat U.S. Analysis Ready Data (ARD) tiles, as USGS EarthExplorer delivers them:
   ``LC08_CU_003008_20210301_20210310_02_SR_B4.TIF`` (Collection 2: 2.75e-5 x DN - 0.2)
   and ``LC08_CU_003008_20210317_20210320_C01_V01_SRB4.tif`` (Collection 1: 1e-4 x DN,
   int16, fill -9999). Their tile (``003008``) is no WRS path/row, so no product id was
   read in their names: the other collection's scale was taken without a word (a
   Collection 1 tile given Collection 2's pair read DN 3000 as -0.12, not 0.3; a
   Collection 2 tile given 1e-4 read 2.0 for 0.35), DNs without a scale went in as
   reflectance (20000), a Landsat 5 tile's band 4 (NIR) was read as ``red``, a Landsat 7
   tile after the SLC failure without a nodata read its gaps as dark data, and a tile
   listed under another date of a time series stacked.
2. A STAC item whose ``raster:bands`` state another product's pair than the product its
   file's name states: Collection 2's 2.75e-5 and -0.2 over an ESPA Collection 1
   ``..._01_T1_sr_band4.tif`` (1e-4) read DN 3000 as -0.12, exit 0: the stated pair was
   checked against the product the item's id or collection names, never its file's.

SYNTHETIC 20 x 20 band files (rounds 38 and 42's helpers) named as USGS names the
products, read through the plain source's and the composite's real planning and
computing; a time series of per-date variables whose provenance names such files; one
case runs ``prospect ingest`` in-process on a SYNTHETIC job.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xarray as xr

from prospect.config.timeseries import TimeSeriesConfig
from prospect.errors import ConfigError, DataError
from prospect.provenance import provenance_attr
from prospect.timeseries import stack_dates
from tests.robustness.test_imagery_round38 import _item
from tests.robustness.test_imagery_round42 import N, _composite, _file, _plain

from .conftest import TINY_REGION, Sandbox, assert_clean_error

C2_TILE = "LC08_CU_003008_20210301_20210310_02"
"""A Collection 2 U.S. ARD tile of Landsat 8 (CONUS tile h003 v008), acquired 2021-03-01."""
C1_TILE = "LC08_CU_003008_20210317_20210320_C01_V01"
"""A Collection 1 U.S. ARD tile of the same place, acquired 2021-03-17."""
ESPA = "LC08_L1TP_198024_20210301_20210310_01_T1"
"""A Collection 1 Level-1 id, as ESPA named its surface reflectance (``_sr_band4``)."""
C2_PAIR = {"scale": 2.75e-5, "offset": -0.2}
C1_PAIR = {"scale": 1e-4}


def _value(root: Path, name: str, dn: int, dtype: str, nodata: float | None,
           var: str = "red", **extra: Any) -> float:
    """The value a plain source reads of a SYNTHETIC band file ``name`` of one ``dn``."""
    band = _file(root / name, dn, dtype, nodata=nodata)
    return float(_plain(root, {var: band}, **extra)[var].flat[0])


# -- 1. Landsat U.S. ARD tiles known by their names -------------------------------------------


@pytest.mark.parametrize(("name", "dn", "dtype", "nodata", "pair", "said"), [
    (f"{C1_TILE}_SRB4.tif", 3000, "int16", -9999, C2_PAIR, "'scale: 0.0001'"),
    (f"{C2_TILE}_SR_B4.TIF", 20000, "uint16", 0, C1_PAIR, "'scale: 2.75e-05'"),
], ids=["c1-tile-given-c2-pair", "c2-tile-given-c1-scale"])
def test_an_ard_tile_given_the_other_collections_scale_is_refused(
        tmp_path: Path, name: str, dn: int, dtype: str, nodata: float,
        pair: dict[str, float], said: str) -> None:
    """An ARD tile given the other collection's scale: read -0.1175 (for 0.3) and 2.0 (for
    0.35), exit 0 before; now refused naming the file, its collection and its scale."""
    with pytest.raises(ConfigError) as err:
        _value(tmp_path, name, dn, dtype, nodata, **pair)
    message = str(err.value)
    assert "\n" not in message and name in message, message
    assert "U.S. ARD tile" in message and said in message, message


def test_a_c2_ard_tile_without_a_scale_is_refused(tmp_path: Path) -> None:
    """A Collection 2 tile's ``SR_B4`` without ``scale:``: DN 20000 went in as
    reflectance 20000, exit 0; now refused, told the product's pair."""
    name = f"{C2_TILE}_SR_B4.TIF"
    with pytest.raises(DataError) as err:
        _value(tmp_path, name, 20000, "uint16", 0)
    message = str(err.value)
    assert "\n" not in message and name in message, message
    assert "'scale: 2.75e-05' and 'offset: -0.2'" in message, message


def test_a_c1_ard_tile_reads_at_its_products_scale(tmp_path: Path) -> None:
    """A Collection 1 tile's int16 ``SRB4`` without ``scale:`` (as ESPA's files): DN 3000
    went in as 3000; now 0.3, the product's 1e-4 (its name and type make it certain)."""
    assert _value(tmp_path, f"{C1_TILE}_SRB4.tif", 3000, "int16", -9999) == \
        pytest.approx(0.3, abs=1e-6)


def test_an_ard_tile_with_its_own_pair_reads(tmp_path: Path) -> None:
    """control: a Collection 2 tile given its own pair reads 20000 x 2.75e-5 - 0.2 = 0.35."""
    assert _value(tmp_path, f"{C2_TILE}_SR_B4.TIF", 20000, "uint16", 0, **C2_PAIR) == \
        pytest.approx(0.35, abs=1e-6)


def test_a_landsat_5_ard_tiles_band_4_named_red_is_refused(tmp_path: Path) -> None:
    """Landsat 5 TM's band 4 is near infrared: ``red`` of an ``LT05`` tile's ``SRB4`` went
    in as red, exit 0; now refused as other Landsat files named for another band are."""
    name = "LT05_CU_003008_19900408_20200110_C01_V01_SRB4.tif"
    with pytest.raises(DataError) as err:
        _value(tmp_path, name, 3000, "int16", -9999)
    message = str(err.value)
    assert "\n" not in message and name in message, message
    assert "band 4 of Landsat 5, which is nir/nir08, not red" in message, message


def test_an_slc_off_ard_tile_without_nodata_is_refused(tmp_path: Path) -> None:
    """A Landsat 7 tile of 2010 (after the SLC failure) whose file declares no nodata: its
    gaps (0) read as dark data, exit 0; now refused naming the fill to declare."""
    name = "LE07_CU_003008_20100301_20210504_02_SR_B3.TIF"
    with pytest.raises(DataError) as err:
        _value(tmp_path, name, 20000, "uint16", None, **C2_PAIR)
    message = str(err.value)
    assert "\n" not in message and name in message, message
    assert "scan-line corrector failed" in message and "'nodata: 0'" in message, message


def _per_date(var: str, file: str) -> xr.DataArray:
    """A per-date cube variable of surface reflectance whose provenance names ``file``."""
    return xr.DataArray(np.zeros((4, 4), np.float32), dims=("y", "x"), name=var, attrs={
        "units": "1", "prospect_kind": "continuous", "provenance": provenance_attr({
            "quantity": "surface_reflectance", "scenes": [{"file": file, "band": 1}]})})


def _series(first: str, second: str, days: tuple[str, str]) -> Any:
    cube = xr.Dataset({"a_red": _per_date("a_red", f"/d/{first}"),
                       "b_red": _per_date("b_red", f"/d/{second}")})
    cfg = TimeSeriesConfig.model_validate({"dates": [
        {"date": days[0], "bands": {"red": "a_red"}},
        {"date": days[1], "bands": {"red": "b_red"}}]})
    return stack_dates(cube, cfg)


def test_an_ard_tile_listed_under_another_date_is_refused() -> None:
    """Two Collection 2 tiles of 2021-03-01 and 2021-06-01 listed under each other's
    dates: stacked, every change reversed, before; now refused naming the tile's day."""
    later = "LC08_CU_003008_20210601_20210610_02_SR_B4.TIF"
    with pytest.raises(DataError, match=r"'a_red' is listed under 2021-03-01, but its file "
                                        r"LC08_CU_003008_20210601_20210610_02 \(a Landsat "
                                        r"ARD tile\) was acquired on 2021-06-01.*swapped"):
        _series(later, f"{C2_TILE}_SR_B4.TIF", ("2021-03-01", "2021-06-01"))


def test_ard_tiles_of_two_collections_are_not_stacked() -> None:
    """A Collection 1 tile and a Collection 2 tile of one band: stacked before (their
    calibration and algorithm differ, a change partly one of processing); now refused as
    Level-1 ids of two collections are."""
    with pytest.raises(DataError, match=r"Landsat Collection 1\) with 'b_red' \(Landsat "
                                        r"Collection 2\)"):
        _series(f"{C1_TILE.replace('20210317', '20200317')}_SRB4.tif",
                f"{C2_TILE}_SR_B4.TIF", ("2020-03-17", "2021-03-01"))


def test_ard_tiles_under_their_own_dates_stack() -> None:
    """control: two Collection 2 tiles under their own dates stack into two dates."""
    later = "LC08_CU_003008_20210601_20210610_02_SR_B4.TIF"
    stacked = _series(f"{C2_TILE}_SR_B4.TIF", later, ("2021-03-01", "2021-06-01"))
    assert stacked["red"].sizes["time"] == 2


# -- 2. an item's raster:bands of another product than its file's ---------------------------


def _item_of(root: Path, item_id: str, name: str, dn: int, dtype: str, nodata: float,
             band: dict[str, Any]) -> dict[str, Any]:
    href = _file(root / name, dn, dtype, nodata=nodata)
    return _item(item_id, "2021-03-01", {"platform": "landsat-8"}, "red", href,
                 {"nodata": nodata, **band})


@pytest.mark.parametrize(("item_id", "name", "dn", "dtype", "nodata", "band", "times"), [
    (ESPA, f"{ESPA}_sr_band4.tif", 3000, "int16", -9999, C2_PAIR, "0.275"),
    ("l2", "LC81970242014109LGN00_sr_band4.tif", 3000, "int16", -9999, C2_PAIR, "0.275"),
    (f"{C1_TILE}_SR", f"{C1_TILE}_SRB4.tif", 3000, "int16", -9999, C2_PAIR, "0.275"),
    (f"{C2_TILE}_SR", f"{C2_TILE}_SR_B4.TIF", 20000, "uint16", 0, {"scale": 1e-4, "offset": 0},
     "3.64"),
], ids=["espa-file-c2-pair", "espa-scene-id-file-c2-pair", "c1-ard-file-c2-pair",
        "c2-ard-file-c1-scale"])
def test_an_item_stating_another_products_pair_than_its_files_is_refused(
        tmp_path: Path, item_id: str, name: str, dn: int, dtype: str, nodata: float,
        band: dict[str, Any], times: str) -> None:
    """Read -0.1175 for 0.3 (Collection 1 files under Collection 2's pair) and 2.0 for 0.35
    (the reverse), exit 0, before; now refused naming the item, the file, its product,
    the stated scale and how far off it is."""
    items = [_item_of(tmp_path, item_id, name, dn, dtype, nodata, band)]
    with pytest.raises(DataError) as err:
        _composite(tmp_path, items, {"red": "red"})
    message = str(err.value)
    assert "\n" not in message and f"item {item_id!r}" in message, message
    if item_id == f"{C2_TILE}_SR":  # round 45: USGS's id of a Collection 2 ARD item states
        # its product (stac._LANDSAT_ARD_L2_ID), whose raster:bands are checked as it is read
        assert "raster:bands scale 0.0001 and offset 0" in message, message
        assert "2.75e-05 and -0.2 (surface reflectance)" in message, message
        return
    assert name in message and f"states scale {band['scale']:g}" in message, message
    assert f"{times} times the product's" in message, message


def test_an_item_stating_its_files_pair_reads(tmp_path: Path) -> None:
    """control: an ESPA file under an item stating its own 1e-4 reads 0.3, and one
    stating the same in percent (``unit: "%"``, 0.01) reads 30: a change of units."""
    items = [_item_of(tmp_path / "a", ESPA, f"{ESPA}_sr_band4.tif", 3000, "int16", -9999,
                      C1_PAIR)]
    assert float(_composite(tmp_path / "a", items, {"red": "red"})["red"].flat[0]) == \
        pytest.approx(0.3, abs=1e-6)
    items = [_item_of(tmp_path / "b", ESPA, f"{ESPA}_sr_band4.tif", 3000, "int16", -9999,
                      {"scale": 0.01, "unit": "%"})]
    assert float(_composite(tmp_path / "b", items, {"red": "red"}, units="%")["red"].flat[0]
                 ) == pytest.approx(30.0, abs=1e-4)


def test_cli_an_item_of_another_collections_pair_is_one_error_line(
        sandbox: Sandbox, cli: Any, scheduler: str) -> None:
    """``prospect ingest`` of a catalogue of a Collection 1 ARD tile stating Collection 2's
    pair: exit 0 before (reflectance -0.12 in the cube); now exit 1, one ``error:`` line
    naming the file and the stated scale, nothing written beside the job."""
    west, _south, _east, north = TINY_REGION["bounds"]
    name = f"{C1_TILE}_SRB4.tif"
    href = _file(sandbox.root / "ard" / name, 3000, "int16", nodata=-9999,
                 crs=TINY_REGION["crs"], origin=(west, north), res=20.0)
    item = _item(f"{C1_TILE}_SR", "2021-03-17", {"platform": "landsat-8"}, "red", href,
                 {"nodata": -9999, **C2_PAIR})
    (sandbox.root / "items.json").write_text(
        json.dumps({"type": "FeatureCollection", "features": [item]}))
    sandbox.write_job(sources=[{"kind": "raster", "name": "ard", "stac": "items.json",
                                "assets": {"red": "red"}, "composite": {"method": "median"}}])
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert_clean_error(result, 1, name, "states scale 2.75e-05", "Collection 1 U.S. ARD")
    assert sandbox.untouched()


assert N == 20  # the SYNTHETIC files are rounds 38 and 42's 20 x 20
