"""Round 42: imagery.

1. A cloud probability layer (s2cloudless, percent 0-100, uint8 or uint16) under
   ``cloud_mask: {kind: qa_pixel}``: refused as "8-bit ... name its encoding in
   cloud_mask.kind" or as "contradictory flags (a Collection 1 BQA, ESPA pixel_qa or a
   band?)", with the advice to try each kind, none of which reads a probability (round 41
   left it: under ``kind: scl`` it was told as a probability).
2. A quality layer of class codes or bit flags (Sentinel-2's SCL, Landsat's QA_PIXEL,
   QA_RADSAT or SR_QA_AEROSOL, HLS's Fmask, an asset stating ``classification:classes``
   or Planetary Computer's ``unit: "bit index"``) named among a composite's ``assets``:
   its codes were reduced as numbers (the median of SCL's 4, vegetation, and 8, cloud, is
   6, water) and written as a continuous band, exit 0; under a plain source's ``bands:``
   (continuous values) its codes were read as numbers too, and a composite of a source
   of ``values: categorical`` reduced its classes to the median of their codes.
3. STAC items dated otherwise than the acquisition their ids and files name (a user's
   catalogue written with ``rio stac`` without ``--datetime``, which dates each item when
   it is written): with a platform stated, scenes of three months dated one day were one
   overpass, the first winning every cell (a "median" of one look, count 1); without one,
   the composite recorded the catalogue's day as its dates; exit 0 either way.

SYNTHETIC 20 x 20 band and quality-layer files written with rasterio (rounds 38 and 40's
helpers), listed in item collections as a user's catalogue holds them, read through the
composite's real planning and computing (``plan_composite``); one case runs ``prospect
plan`` in-process on a SYNTHETIC job.
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
from prospect.errors import ConfigError, DataError
from prospect.ingest.composite import plan_composite
from tests.robustness.test_imagery_round38 import GRID, L2, ORIGIN, WINDOW, N, _item
from tests.robustness.test_imagery_round40 import PERCENT
from tests.robustness.test_imagery_round41 import CLEAR, CLOUD, _qa_composite

from .conftest import TINY_REGION, Sandbox, assert_clean_error

S2 = {"scale": 1e-4, "offset": -0.1, "nodata": 0, "data_type": "uint16"}
"""A Sentinel-2 L2A band's ``raster:bands`` (baseline 04.00 on)."""
S2_PROPS = {"platform": "sentinel-2a", "s2:processing_baseline": "05.10"}
L8_ID = "LC08_L2SP_198024_20210301_20210310_02_T1"


def _file(path: Path, value: float | np.ndarray, dtype: str = "uint16",
          nodata: float | None = 0, crs: str = "EPSG:32631",
          origin: tuple[float, float] = ORIGIN, res: float = 30.0) -> Path:
    """A SYNTHETIC 20 x 20 one-band file of ``value`` (a number or a 20 x 20 array)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with rasterio.open(path, "w", driver="GTiff", width=N, height=N, count=1, dtype=dtype,
                       crs=crs, nodata=nodata,
                       transform=from_origin(*origin, res, res)) as dst:
        dst.write(np.broadcast_to(np.asarray(value, dtype), (1, N, N)))
    return path


def _composite(root: Path, items: list[dict[str, Any]], assets: dict[str, str],
               **extra: Any) -> dict[str, np.ndarray]:
    """Every layer of a median composite of ``items`` over the SYNTHETIC grid, computed."""
    coll = root / "items.json"
    coll.write_text(json.dumps({"type": "FeatureCollection", "features": items}))
    src = RasterSource.model_validate({"name": "s", "stac": str(coll), "assets": assets,
                                       "composite": {"method": "median"}, **extra})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {layer.name: np.asarray(layer.compute(GRID, WINDOW))
                for layer in plan_composite(src, GRID)}


# -- 1. a cloud probability under kind: qa_pixel ------------------------------------------


@pytest.mark.parametrize(("dtype", "nodata"), [("uint8", None), ("uint8", 0), ("uint16", None)],
                         ids=["uint8", "uint8-nodata-0", "uint16"])
def test_a_cloud_probability_under_qa_pixel_is_told_as_one(tmp_path: Path, dtype: str,
                                                           nodata: int | None) -> None:
    """A SYNTHETIC s2cloudless probability in percent as a Landsat item's ``kind:
    qa_pixel`` layer: refused before as "8-bit (uint8) ... name ... its encoding in
    cloud_mask.kind" or as "contradictory flags ... (a Collection 1 BQA, ESPA pixel_qa or a
    band?)"; now told as a cloud probability, which no kind reads."""
    with pytest.raises(DataError) as err:
        _qa_composite(tmp_path, PERCENT.astype(dtype), nodata, name="cloud_prob.tif")
    message = str(err.value)
    assert "\n" not in message and "cloud_prob.tif" in message, message
    assert "cloud probability" in message and "no kind reads a probability" in message, \
        message
    assert "8-bit" not in message and "contradictory" not in message, message


def test_an_8_bit_class_layer_under_qa_pixel_is_still_told_as_8_bit(tmp_path: Path) -> None:
    """control: an SCL-like 8-bit layer of a few class codes (4 and 8) under ``kind:
    qa_pixel`` is refused as 8-bit, as before, without the probability wording."""
    codes = np.full((N, N), 4, np.uint8)
    codes[:5] = 8
    with pytest.raises(DataError, match=r"it is 8-bit \(uint8\), but QA_PIXEL flags are "
                                        r"16-bit") as err:
        _qa_composite(tmp_path, codes, 0)
    assert "probability" not in str(err.value)


def test_real_qa_pixel_words_still_mask(tmp_path: Path) -> None:
    """control: real QA_PIXEL words (clear land, cloud) under ``kind: qa_pixel`` mask as
    before: cloud rows no data, clear land 0.35."""
    qa = np.full((N, N), CLEAR, np.uint16)
    qa[:4] = CLOUD
    red = _qa_composite(tmp_path, qa, 1)
    assert np.isnan(red[:4]).all()
    assert red[4:] == pytest.approx(0.35, abs=1e-5)


# -- 2. a quality layer of codes or flags as a composite band ------------------------------

def _two_scl_items(root: Path, name: str, **asset: Any) -> list[dict[str, Any]]:
    """Two Sentinel-2 items whose ``SCL`` asset (file ``name``) holds 4 (vegetation) on
    one date and 8 (cloud) on the other: their median as numbers is 6 (water)."""
    items = []
    for day, code in (("2021-03-01", 4), ("2021-03-11", 8)):
        href = _file(root / day / name, code, "uint8")
        items.append(_item(f"S2A_31UDQ_{day.replace('-', '')}_0_L2A", day, S2_PROPS,
                           "SCL", href, {"nodata": 0, "data_type": "uint8"}, **asset))
    return items


@pytest.mark.parametrize(("name", "asset", "said"), [
    ("SCL.tif", {}, "scene classification (SCL"),
    ("T31UDQ_20210301T104021_SCL_20m.tif", {}, "scene classification (SCL"),
    ("scene_classes.tif", {"classification:classes": [
        {"value": 4, "name": "vegetation"}, {"value": 8, "name": "cloud_medium_probability"}]},
     "classification:classes"),
], ids=["earth-search-name", "esa-name", "classification-classes"])
def test_an_scl_named_as_a_composite_band_is_refused(tmp_path: Path, name: str,
                                                     asset: dict[str, Any], said: str) -> None:
    """``assets: {scl: SCL}`` beside the bands of a median composite: the SCL's 4
    (vegetation) and 8 (cloud) were reduced to 6 (water), written as a band, exit 0; now
    refused naming the asset, what it is and the cloud_mask to use instead."""
    items = _two_scl_items(tmp_path, name, **asset)
    with pytest.raises(DataError) as err:
        _composite(tmp_path, items, {"scl": "SCL"})
    message = str(err.value)
    assert "\n" not in message and "asset 'SCL'" in message and said in message, message
    assert "a median of codes is no class of any scene" in message, message
    assert "remove 'scl' from assets" in message, message
    if "classification" not in said:
        assert "cloud_mask.asset with 'kind: scl'" in message, message


@pytest.mark.parametrize(("key", "name", "dtype", "value", "band", "said"), [
    ("qa_pixel", f"{L8_ID}_QA_PIXEL.TIF", "uint16", CLEAR, {"nodata": 1},
     "QA_PIXEL (bit flags)"),
    ("qa_radsat", f"{L8_ID}_QA_RADSAT.TIF", "uint16", 0, {}, "QA_RADSAT: bit flags"),
    ("qa_aerosol", "aerosol.tif", "uint8", 224, {"nodata": 1, "unit": "bit index"},
     "its unit 'bit index'"),
], ids=["qa-pixel", "qa-radsat", "qa-aerosol-bit-index"])
def test_landsat_flag_layers_named_as_composite_bands_are_refused(
        tmp_path: Path, key: str, name: str, dtype: str, value: int,
        band: dict[str, Any], said: str) -> None:
    """A Landsat Collection 2 item's QA_PIXEL, QA_RADSAT or SR_QA_AEROSOL (Planetary
    Computer states ``unit: "bit index"``) named among the assets: its flag words were
    composited as a continuous band, exit 0; now refused."""
    href = _file(tmp_path / name, value, dtype, nodata=band.get("nodata"))
    item = _item(L8_ID, "2021-03-01", {"platform": "landsat-8"}, key, href,
                 {"data_type": dtype, **band})
    with pytest.raises(DataError) as err:
        _composite(tmp_path, [item], {"aerosol": key})
    message = str(err.value)
    assert "\n" not in message and f"asset {key!r}" in message and said in message, message
    assert "remove 'aerosol' from assets" in message, message


def test_an_hls_fmask_named_as_a_composite_band_is_refused(tmp_path: Path) -> None:
    """An HLS S30 granule's ``Fmask`` among the assets: its bits (64: aerosol level) were
    composited as a band, exit 0; now refused, told that no cloud_mask kind reads it."""
    gid = "HLS.S30.T31UDQ.2021060T104021.v2.0"
    href = _file(tmp_path / f"{gid}.Fmask.tif", 64, "uint8", nodata=255)
    item = _item(gid, "2021-03-01", {}, "Fmask", href, {"nodata": 255, "data_type": "uint8"})
    with pytest.raises(DataError, match=r"HLS's Fmask \(bit flags\).*remove 'fmask' from "
                                        r"assets \(a composite reduces numbers"):
        _composite(tmp_path, [item], {"fmask": "Fmask"})


def test_layers_of_values_still_composite(tmp_path: Path) -> None:
    """control: layers of values beside the quality layers, ST_B10 (``lwir11``, kelvin)
    and ST_QA (its uncertainty in K) of a Landsat item, and a Sentinel-2 SCL named as the
    cloud_mask (not a band), are read as before."""
    temp = _file(tmp_path / f"{L8_ID}_ST_B10.TIF", 44000)
    st_qa = _file(tmp_path / f"{L8_ID}_ST_QA.TIF", 150, "int16", nodata=-9999)
    item = _item(L8_ID, "2021-03-01", {"platform": "landsat-8"}, "lwir11", temp,
                 {"nodata": 0, "data_type": "uint16", "scale": 0.00341802, "offset": 149.0,
                  "unit": "kelvin"})
    item["assets"]["qa"] = {"href": str(st_qa), "roles": ["data"], "raster:bands": [
        {"nodata": -9999, "data_type": "int16", "scale": 0.01, "unit": "kelvin"}]}
    out = _composite(tmp_path, [item], {"st": "lwir11", "st_qa": "qa"})
    assert out["st"] == pytest.approx(0.00341802 * 44000 + 149.0, abs=1e-3)
    assert out["st_qa"] == pytest.approx(1.5, abs=1e-5)
    red = _file(tmp_path / "s2" / "B04.tif", 3000)
    s2 = _item("S2A_31UDQ_20210301_0_L2A", "2021-03-01", S2_PROPS, "B04", red, S2)
    s2["assets"]["SCL"] = {"href": str(_file(tmp_path / "s2" / "SCL.tif", 4, "uint8")),
                           "roles": ["data"]}
    out = _composite(tmp_path / "s2", [s2], {"red": "B04"},
                     cloud_mask={"kind": "scl", "asset": "SCL"})
    assert out["red"] == pytest.approx(0.2, abs=1e-5)


def test_a_composite_of_class_codes_is_refused(tmp_path: Path) -> None:
    """A STAC source of ``values: categorical`` (a land-cover map per item) with
    ``composite:``: the median of classes 20 and 40 was written as class 30, exit 0; now
    refused naming the source and the mosaic to use instead."""
    items = []
    for day, code in (("2021-03-01", 20), ("2021-03-11", 40)):
        href = _file(tmp_path / day / "landcover.tif", code, "uint8")
        items.append(_item(f"S2A_31UDQ_{day.replace('-', '')}_0_L2A", day, S2_PROPS, "lc",
                           href, {"nodata": 0, "data_type": "uint8"}))
    with pytest.raises(ConfigError) as err:
        _composite(tmp_path, items, {"lc": "lc"}, values="categorical")
    message = str(err.value)
    assert "\n" not in message and "source 's'" in message, message
    assert "'values: categorical'" in message and "'mosaic:'" in message, message


def _plain(root: Path, bands: dict[str, Path], **extra: Any) -> dict[str, np.ndarray]:
    """Every layer of a plain ``bands:`` source over the SYNTHETIC grid, computed."""
    from prospect.ingest.rasters import plan_raster

    src = RasterSource.model_validate({"name": "x", "bands": {k: str(v) for k, v in
                                                              bands.items()}, **extra})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {layer.name: np.asarray(layer.compute(GRID, WINDOW))
                for layer in plan_raster(src, GRID)}


@pytest.mark.parametrize(("name", "dtype", "value", "said", "kind"), [
    ("T31UDQ_20210301T104021_SCL_20m.tif", "uint8", 4, "scene classification (SCL", "scl"),
    (f"{L8_ID}_QA_PIXEL.TIF", "uint16", CLEAR, "QA_PIXEL (bit flags)", "qa_pixel"),
    (f"{L8_ID}_SR_QA_AEROSOL.TIF", "uint8", 224, "SR_QA_AEROSOL: bit flags", None),
], ids=["scl", "qa-pixel", "sr-qa-aerosol"])
def test_a_quality_layer_given_as_a_plain_band_is_refused(
        tmp_path: Path, name: str, dtype: str, value: int, said: str,
        kind: str | None) -> None:
    """A quality layer under a plain source's ``bands:`` (no metadata, continuous values):
    its codes were read as numbers (resampled between classes on another grid), exit 0;
    now refused, told to read it with ``values: categorical`` (or as the cloud mask)."""
    layer = _file(tmp_path / name, value, dtype, nodata=1 if dtype == "uint16" else 0)
    with pytest.raises(DataError) as err:
        _plain(tmp_path, {"flags": layer})
    message = str(err.value)
    assert "\n" not in message and f"band 'flags': {name} is" in message, message
    assert said in message and "'values: categorical'" in message, message
    assert (f"cloud_mask.asset with 'kind: {kind}'" in message) == (kind is not None), message


def test_a_quality_layer_read_as_classes_or_as_the_mask_reads_as_before(
        tmp_path: Path) -> None:
    """control: the SCL under a source of ``values: categorical`` holds its code 4, and
    named as the ``cloud_mask`` of a plain source's bands it masks the red band."""
    scl = _file(tmp_path / "T31UDQ_20210301T104021_SCL_20m.tif", 4, "uint8")
    assert (_plain(tmp_path, {"scl": scl}, values="categorical")["scl"] == 4).all()
    red = _file(tmp_path / "T31UDQ_20210301T104021_B04_10m.tif", 3000)
    out = _plain(tmp_path, {"red": red, "scl": scl}, scale=0.0001, offset=-0.1,
                 cloud_mask={"kind": "scl", "asset": "scl"})
    assert out["red"] == pytest.approx(0.2, abs=1e-5)


# -- 3. items dated otherwise than their products ------------------------------------------

S2_FILES = ("T31UDQ_20210301T104021_B04_10m.tif", "T31UDQ_20210331T104021_B04_10m.tif",
            "T31UDQ_20210430T104021_B04_10m.tif")
L8_FILES = (f"{L8_ID}_SR_B4.TIF", "LC08_L2SP_198024_20210317_20210328_02_T1_SR_B4.TIF",
            "LC08_L2SP_198024_20210402_20210410_02_T1_SR_B4.TIF")


def _written_today(root: Path, files: tuple[str, ...], props: dict[str, Any],
                   band: dict[str, Any], day: str = "2024-06-01") -> list[dict[str, Any]]:
    """Items as ``rio stac`` writes them without ``--datetime`` (id: the file's stem,
    datetime: when the catalogue was written), one per band file of three dates, DNs
    2000, 3000 and 9000."""
    items = []
    for n, (name, dn) in enumerate(zip(files, (2000, 3000, 9000), strict=True)):
        href = _file(root / f"scene{n}" / name, dn)
        item = _item(name.split(".")[0], day, props, "red", href, band)
        item["properties"]["datetime"] = f"{day}T12:31:0{n}.123456Z"
        items.append(item)
    return items


@pytest.mark.parametrize(("files", "props", "band", "named"), [
    (S2_FILES, S2_PROPS, S2, "2021-03-31"),
    (S2_FILES, {}, S2, "2021-03-31"),
    (L8_FILES, {"platform": "landsat-8"}, L2, "2021-03-17"),
], ids=["sentinel-2-platform", "sentinel-2-no-platform", "landsat-8"])
def test_items_dated_when_their_catalogue_was_written_are_refused(
        tmp_path: Path, files: tuple[str, ...], props: dict[str, Any],
        band: dict[str, Any], named: str) -> None:
    """Three scenes of March-April 2021 whose items are all dated 2024-06-01: with a
    platform they were one overpass (the first scene in every cell, count 1), without one
    a median dated 2024-06-01, exit 0; now refused naming the item, both days and the
    fix."""
    items = _written_today(tmp_path, files, props, band)
    with pytest.raises(DataError) as err:
        _composite(tmp_path, items, {"red": "red"})
    message = str(err.value)
    assert "\n" not in message, message
    assert f"item {items[1]['id']!r} is dated 2024-06-01" in message, message
    assert f"as is item {items[0]['id']!r}" in message, message
    assert f"was acquired on {named} and" in message and "on 2021-03-01" in message, message
    assert f"rio stac --datetime {named}" in message, message


def test_items_dated_by_their_products_still_composite(tmp_path: Path) -> None:
    """control: the same items dated by their acquisitions (a Sentinel-2 tile of a
    datatake begun 23:55 UTC dated the next day too), and an item whose id and file name
    no product, are read: a median of three looks."""
    items = _written_today(tmp_path, S2_FILES, S2_PROPS, S2)
    for item, day in zip(items, ("2021-03-01", "2021-03-31", "2021-04-30"), strict=True):
        item["properties"]["datetime"] = f"{day}T10:40:21Z"
    late = _file(tmp_path / "late" / "T56KLA_20210301T235951_B04_10m.tif", 3000)
    items.append(_item("T56KLA_20210301T235951_B04_10m", "2021-03-02", {}, "red", late, S2))
    items[-1]["properties"]["datetime"] = "2021-03-02T00:20:00Z"
    own = _file(tmp_path / "own" / "red.tif", 3000)
    items.append(_item("scene-7", "2024-06-01", {}, "red", own, S2))
    out = _composite(tmp_path, items, {"red": "red"})
    assert out["red"] == pytest.approx(0.2, abs=1e-5)  # median of 0.1, 0.2, 0.2, 0.2, 0.8
    assert (out["s_count"] == 5).all()


def test_cli_a_catalogue_dated_when_written_is_one_error_line(sandbox: Sandbox, cli: Any,
                                                              scheduler: str) -> None:
    """``prospect ingest`` of a job whose composite reads such a catalogue: exit 0
    before (a cube of one look); now exit 1, one ``error:`` line naming the catalogue,
    the items and both days, and nothing written beside the job."""
    west, _south, _east, north = TINY_REGION["bounds"]
    items = []
    for n, name in enumerate(S2_FILES):
        dns = 2000 + 1000 * n + np.arange(N * N, dtype=np.uint16).reshape(N, N)
        href = _file(sandbox.root / f"scene{n}" / name.replace("31UDQ", "19PEP"), dns,
                     crs=TINY_REGION["crs"], origin=(west, north), res=20.0)
        items.append(_item(href.stem, "2024-06-01", S2_PROPS, "red", href, S2))
    (sandbox.root / "items.json").write_text(
        json.dumps({"type": "FeatureCollection", "features": items}))
    sandbox.write_job(sources=[{"kind": "raster", "name": "s2", "stac": "items.json",
                                "assets": {"red": "red"}, "composite": {"method": "median"}}])
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert_clean_error(result, 1, "items.json", f"item {items[1]['id']!r}", "2024-06-01",
                       "was acquired on 2021-03-31", "rio stac --datetime")
    assert sandbox.untouched()
