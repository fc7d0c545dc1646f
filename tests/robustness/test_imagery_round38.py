"""Round 38: imagery.

1. A Landsat item of a user's catalogue stating its satellite by its ``platform``
   (``landsat-5``, ``LANDSAT_5``) or its id (``LT05_L2SP_...``) but not its collection or
   ``landsat:correction``: its band names (``SR_B4``) were not read as band numbers, so
   ``red: SR_B4`` took TM's near infrared beside OLI's red into one composite, exit 0.
2. ``stac_search.properties: {landsat:wrs_path: {eq: 90}}`` against items stating the
   path as the Landsat extension writes it, ``"090"``: sent as a number (an API that
   applies ``filter`` matched nothing), and an API that ignores ``filter`` had every
   path's items kept as "not comparable" (the other path's scenes in the composite).
3. A product as downloaded given as its metadata file (a Sentinel-2 ``.SAFE.zip``, a
   Landsat Collection 2 ``.tar`` or ``.tar.gz`` bundle): "not a Landsat MTL file (no
   'GROUP = ...' blocks)", of the Sentinel-2 zip too.
4. A percentile composite named "1th percentile" (2th, 3th, 21th, 22th...), and the
   share refusal's "write 1 for the 1th".

SYNTHETIC 20 x 20 uint16 band files written into ``tmp_path`` with rasterio, listed in
item collections as a user's catalogue holds them and read through the composite's real
planning (``plan_composite``); a SYNTHETIC STAC API on loopback that ignores ``filter``;
SYNTHETIC archives and MTLs run through the CLI in-process (``prospect plan``).
"""

from __future__ import annotations

import json
import shutil
import tarfile
import warnings
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from prospect.config.sources import RasterSource
from prospect.config.stac import Composite
from prospect.errors import DataError
from prospect.grid import ChunkWindow, RegionGrid
from prospect.ingest.composite import plan_composite
from prospect.ingest.stac_search import resolve_search
from tests.robustness.test_imagery_round30 import StacApi, _api_items, serving

from .conftest import Sandbox, assert_clean_error, write_tiny_raster

N = 20
ORIGIN = (680000.0, 5770000.0)
GRID = RegionGrid(crs="EPSG:32631", resolution=30.0,
                  bounds=(ORIGIN[0], ORIGIN[1] - 30.0 * N, ORIGIN[0] + 30.0 * N, ORIGIN[1]),
                  chunks=(N, N), name="r38")
WINDOW = ChunkWindow(0, 0, slice(0, N), slice(0, N))
L2 = {"scale": 2.75e-05, "offset": -0.2, "nodata": 0, "data_type": "uint16"}
"""A Landsat Collection 2 Level-2 band's ``raster:bands``."""
PLAIN = {"scale": 0.0001, "offset": 0, "nodata": 0, "data_type": "uint16"}


def _band(path: Path, value: int) -> Path:
    """A SYNTHETIC 20 x 20 uint16 band of ``value`` over the region (zone 31)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with rasterio.open(path, "w", driver="GTiff", width=N, height=N, count=1, dtype="uint16",
                       crs="EPSG:32631", nodata=0,
                       transform=from_origin(*ORIGIN, 30.0, 30.0)) as dst:
        dst.write(np.full((1, N, N), value, np.uint16))
    return path


def _item(item_id: str, day: str, props: dict[str, Any], key: str, href: Path,
          band: dict[str, Any], **asset: Any) -> dict[str, Any]:
    return {"type": "Feature", "stac_version": "1.1.0", "id": item_id, "geometry": None,
            "properties": {"datetime": f"{day}T10:40:21Z", **props},
            "assets": {key: {"href": str(href), "roles": ["data"], "raster:bands": [band],
                             **asset}},
            "links": []}


def _composite(root: Path, items: list[dict[str, Any]], assets: dict[str, str],
               **composite: Any) -> dict[str, Any]:
    """Every layer of a composite of ``items`` over the SYNTHETIC grid: its long name and
    computed cells, by name."""
    coll = root / "items.json"
    coll.write_text(json.dumps({"type": "FeatureCollection", "features": items}))
    src = RasterSource.model_validate({"name": "ls", "stac": str(coll), "assets": assets,
                                       "composite": {"method": "median", **composite}})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {layer.name: (layer.long_name, layer.compute(GRID, WINDOW))
                for layer in plan_composite(src, GRID)}


# -- 1. Landsat 5 beside Landsat 8, stated by platform or id only --------------------------

L8_ID = "LC08_L2SP_198024_20210301_20210310_02_T1"
L5_ID = "LT05_L2SP_198024_20110311_20200820_02_T1"
L8_2_ID = "LC08_L2SP_198024_20210317_20210328_02_T1"


def _tm_beside_oli(root: Path, how: str, *, tm: bool = True) -> dict[str, Any]:
    """A median of ``red: SR_B4`` over a Landsat 8 item (band 4: red, DN 10000) and a
    Landsat 5 one (band 4: near infrared, DN 30000; with ``tm`` false, a second Landsat 8
    one), each stating its satellite as ``how`` says, neither its collection."""
    second = ("landsat-5", "LANDSAT_5", L5_ID, "2011-03-11") if tm else \
        ("landsat-8", "LANDSAT_8", L8_2_ID, "2021-03-17")
    stated = {
        "platform": [("a", {"platform": "landsat-8"}), ("b", {"platform": second[0]})],
        "platform-usgs-spelling": [("a", {"platform": "LANDSAT_8"}),
                                   ("b", {"platform": second[1]})],
        "item-id": [(L8_ID, {}), (second[2], {})],
        "eo-bands": [("a", {"platform": "landsat-8"}), ("b", {"platform": second[0]})],
    }[how]
    items = []
    for n, ((item_id, props), day, dn) in enumerate(
            zip(stated, ["2021-03-01", second[3]], [10000, 30000], strict=True)):
        # files named as a user's catalogue holds them, without the product id
        href = _band(root / f"scene{n}" / "SR_B4.tif", dn)
        extra = {"eo:bands": [{"name": "SR_B4"}]} if how == "eo-bands" else {}
        items.append(_item(item_id, day, props, "SR_B4", href, L2, **extra))
    return _composite(root, items, {"red": "SR_B4"})


@pytest.mark.parametrize("how", ["platform", "platform-usgs-spelling", "item-id", "eo-bands"])
def test_landsat_5s_band_4_is_not_read_as_landsat_8s_red(tmp_path: Path, how: str) -> None:
    """TM's band 4 (near infrared) beside OLI's band 4 (red), both as ``red: SR_B4``: the
    median of red and near infrared was written as red (0.5125), exit 0. Refused now,
    naming the Landsat 5 item and why."""
    with pytest.raises(DataError) as err:
        _tm_beside_oli(tmp_path, how)
    message = str(err.value)
    assert "\n" not in message
    assert "asset 'SR_B4'" in message and "'red'" in message, message
    assert "(nir/nir08) of Landsat 5" in message, message
    assert "band 4 is red on Landsat 8/9, near infrared on Landsat 4-7" in message, message
    assert "a source for each" in message, message
    assert ("item 'b'" in message) if how != "item-id" else ("LT05_L2SP" in message), message


@pytest.mark.parametrize("how", ["platform", "item-id"])
def test_two_landsat_8_items_stated_so_read_as_before(tmp_path: Path, how: str) -> None:
    """Control: two Landsat 8 items of ``red: SR_B4`` are a median of red as before."""
    layers = _tm_beside_oli(tmp_path, how, tm=False)
    np.testing.assert_allclose(layers["red"][1], (0.075 + 0.625) / 2, rtol=1e-5)


# -- 2. a WRS path as a number against the items' "090" -------------------------------------

PATHS = ["090", "091", "090"]
CLOUD = ["10", "80", "12.5"]
"""The items' ``eo:cloud_cover``, written as text."""


@pytest.fixture(scope="module")
def landsat_api() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A SYNTHETIC STAC API on loopback answering its three items whatever the search's
    ``filter`` (as APIs reading only ``query`` do), each stating its ``landsat:wrs_path``
    and ``landsat:wrs_row`` as text (``"090"``, ``"084"``), as USGS's and Planetary
    Computer's Landsat items do, and its ``eo:cloud_cover`` as text too; the search
    bodies it was sent are kept."""
    items = _api_items(3)
    for item, path in zip(items, PATHS, strict=True):
        item["properties"].update({"landsat:wrs_path": path, "landsat:wrs_row": "084"})
    for item, cover in zip(items, CLOUD, strict=True):
        item["properties"]["eo:cloud_cover"] = cover
    bodies: list[dict[str, Any]] = []

    class Unfiltered(StacApi):
        def do_POST(self) -> None:
            bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self._send({"type": "FeatureCollection", "features": items, "links": []})

    server = serving(Unfiltered)
    yield next(server), bodies
    server.close()


def _searched(api: tuple[str, list[dict[str, Any]]], folder: Path,
              properties: dict[str, Any]) -> tuple[list[str], dict[str, Any]]:
    """The ids the search of ``properties`` kept, and the CQL2 filter it sent."""
    url, bodies = api
    source = RasterSource.model_validate({
        "name": "ls",
        "stac_search": {"url": url, "collections": ["landsat-c2-l2"],
                        "datetime": "2024-01-01/2024-03-31", "properties": properties},
        "assets": {"red": "red"}, "composite": {"method": "median"},
    })
    bodies.clear()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        found = sorted(resolve_search(source, GRID, folder)[1])
    return found, bodies[0].get("filter", {})


@pytest.mark.parametrize(
    "properties",
    [{"landsat:wrs_path": {"eq": 90}}, {"landsat:wrs_path": {"in": [90]}},
     {"landsat:wrs_path": {"eq": "90"}},
     {"landsat:wrs_path": {"eq": 90}, "landsat:wrs_row": {"eq": 84}}],
    ids=["eq-number", "in-number", "eq-unpadded-text", "path-and-row"])
def test_a_wrs_path_given_as_a_number_finds_that_paths_items(
    landsat_api: tuple[str, list[dict[str, Any]]], tmp_path: Path, properties: dict[str, Any]
) -> None:
    """``landsat:wrs_path: {eq: 90}`` kept path 091's item too (not comparable with
    ``"090"``), and the filter sent the number 90 (an API that applies it matches no
    item). Now the path's two items, and the filter compares with ``"090"``."""
    found, sent = _searched(landsat_api, tmp_path, properties)
    assert found == ["S2_0", "S2_2"], found
    text = json.dumps(sent)
    assert '"090"' in text and " 90]" not in text and " 90}" not in text, text


def test_a_wrs_path_given_as_the_items_text_filters_as_before(
    landsat_api: tuple[str, list[dict[str, Any]]], tmp_path: Path
) -> None:
    """Control: ``{eq: "090"}`` keeps the path's two items, as before."""
    assert _searched(landsat_api, tmp_path, {"landsat:wrs_path": {"eq": "090"}})[0] == \
        ["S2_0", "S2_2"]


def test_a_number_against_a_cloud_cover_written_as_text_is_compared(
    landsat_api: tuple[str, list[dict[str, Any]]], tmp_path: Path
) -> None:
    """``eo:cloud_cover: {lt: 30}`` against items writing it as text (``"80"``, as some
    catalogues write numbers): every item was kept as "not comparable", the scene of 80 %
    cloud in the composite. Now text of plain digits is compared as its number."""
    found, _ = _searched(landsat_api, tmp_path, {"eo:cloud_cover": {"lt": 30}})
    assert found == ["S2_0", "S2_2"], found


# -- 3. a product as downloaded given as its metadata ---------------------------------------

SAFE = "S2A_MSIL2A_20240613T100031_N0510_R122_T31UFT_20240613T120000.SAFE"
BUNDLE = "LC08_L2SP_198024_20210301_20210310_02_T1"


@pytest.fixture(scope="module")
def downloads(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """SYNTHETIC products as downloaded: a ``.SAFE.zip`` holding its MTD_MSIL2A.xml, a
    Landsat ``.tar`` and ``.tar.gz`` bundle holding its MTL, and a zip of no metadata."""
    root = tmp_path_factory.mktemp("r38-downloads")
    xml = root / SAFE / "MTD_MSIL2A.xml"
    xml.parent.mkdir()
    xml.write_text('<?xml version="1.0"?><n1:Level-2A_User_Product xmlns:n1="x"/>')
    out = {"safe-zip": root / f"{SAFE}.zip", "tar": root / f"{BUNDLE}.tar",
           "tar-gz": root / f"{BUNDLE}.tar.gz", "zip-of-bands": root / "bands.zip"}
    with zipfile.ZipFile(out["safe-zip"], "w") as zf:
        zf.write(xml, f"{SAFE}/MTD_MSIL2A.xml")
    mtl = root / f"{BUNDLE}_MTL.txt"
    mtl.write_text("GROUP = LANDSAT_METADATA_FILE\nEND_GROUP = LANDSAT_METADATA_FILE\nEND\n")
    band = write_tiny_raster(root / f"{BUNDLE}_SR_B4.tif")
    for key, mode in (("tar", "w"), ("tar-gz", "w:gz")):
        with tarfile.open(out[key], mode) as tf:
            tf.add(mtl, mtl.name)
            tf.add(band, band.name)
    with zipfile.ZipFile(out["zip-of-bands"], "w") as zf:
        zf.write(band, band.name)
    return out


@pytest.mark.parametrize(
    ("kind", "said", "inside", "unpack"),
    [("safe-zip", "a zip archive", f"{SAFE}/MTD_MSIL2A.xml", f"unzip {SAFE}.zip"),
     ("tar", "a tar archive", f"{BUNDLE}_MTL.txt", f"tar -xf {BUNDLE}.tar"),
     ("tar-gz", "a gzip-compressed tar archive", "", f"tar -xf {BUNDLE}.tar.gz"),
     ("zip-of-bands", "a zip archive", "it holds no product metadata file", "unzip bands.zip")])
def test_a_product_as_downloaded_given_as_its_metadata_is_said_to_be_one(
    sandbox: Sandbox, cli: Any, downloads: dict[str, Path], kind: str, said: str,
    inside: str, unpack: str
) -> None:
    """A ``.SAFE.zip`` or a Landsat ``.tar`` bundle as ``metadata:`` was "not a Landsat
    MTL file (no 'GROUP = ...' blocks)", exit 1. Now it is said to be the archive, with
    the metadata file inside it and how to unpack it."""
    shutil.copy(downloads[kind], sandbox.root / downloads[kind].name)
    write_tiny_raster(sandbox.root / f"{BUNDLE}_SR_B4.tif")
    sandbox.write_job(sources=[{"kind": "raster", "name": "l8",
                                "bands": {"red": f"{BUNDLE}_SR_B4.tif"},
                                "metadata": downloads[kind].name}])
    result = cli("plan", sandbox.job_path)
    line = assert_clean_error(result, 1, downloads[kind].name, said, "not a metadata file",
                              inside, f"(e.g. {unpack})", "'metadata:'")
    assert "MTL file" not in line, line
    assert sandbox.untouched()


def test_an_mtl_given_as_metadata_reads_as_before(
    sandbox: Sandbox, cli: Any, downloads: dict[str, Path]
) -> None:
    """Control: the MTL itself is read as an MTL (this one lacks its sun elevation,
    which the plan warns of)."""
    mtl = sandbox.root / f"{BUNDLE}_MTL.txt"
    mtl.write_text("GROUP = LANDSAT_METADATA_FILE\nEND_GROUP = LANDSAT_METADATA_FILE\nEND\n")
    write_tiny_raster(sandbox.root / f"{BUNDLE}_SR_B4.tif")
    sandbox.write_job(sources=[{"kind": "raster", "name": "l8",
                                "bands": {"red": f"{BUNDLE}_SR_B4.tif"},
                                "metadata": mtl.name}])
    result = cli("plan", sandbox.job_path)
    text = result.out + result.err
    assert result.code == 0 and "Traceback" not in text, text[-2000:]
    assert f"{mtl.name}: the MTL has no SUN_ELEVATION" in text and "archive" not in text, \
        text[-2000:]


# -- 4. the 1st, 2nd and 3rd percentiles ----------------------------------------------------


@pytest.fixture(scope="module")
def three_looks(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, Any]]]:
    """Three SYNTHETIC Sentinel-2 looks (DN 1000, 2000, 3000) of 2021-03."""
    root = tmp_path_factory.mktemp("r38-percentile")
    items = [_item(f"S2A_31UFT_202103{d:02d}_0_L2A", f"2021-03-{d:02d}",
                   {"platform": "sentinel-2a"}, "B04",
                   _band(root / f"t{d}" / "B04.tif", 1000 * n), PLAIN)
             for n, d in enumerate([1, 11, 21], start=1)]
    return root, items


@pytest.mark.parametrize(("p", "name"), [(1, "1st"), (2, "2nd"), (3, "3rd"), (21, "21st"),
                                         (22, "22nd"), (33, "33rd")])
def test_a_percentile_composite_is_named_by_its_ordinal(
    three_looks: tuple[Path, list[dict[str, Any]]], tmp_path: Path, p: float, name: str
) -> None:
    """``percentile: 1`` was named "1th percentile of 3 scenes, red" (2th, 3th, 21th...)."""
    layers = _composite(tmp_path, three_looks[1], {"red": "B04"}, method="percentile",
                        percentile=p)
    assert layers["red"][0] == f"{name} percentile of 3 scenes, red", layers["red"][0]


@pytest.mark.parametrize(("p", "name"), [(11, "11th"), (12, "12th"), (13, "13th"),
                                         (50, "50th"), (2.5, "2.5th"), (0, "0th")])
def test_percentiles_named_th_keep_their_names(
    three_looks: tuple[Path, list[dict[str, Any]]], tmp_path: Path, p: float, name: str
) -> None:
    """Control: 11th, 12th, 13th, 50th, 2.5th and 0th are named as before."""
    layers = _composite(tmp_path, three_looks[1], {"red": "B04"}, method="percentile",
                        percentile=p)
    assert layers["red"][0] == f"{name} percentile of 3 scenes, red", layers["red"][0]


def test_a_share_of_a_percent_is_refused_with_its_ordinal() -> None:
    """``percentile: 0.01`` was told "write 1 for the 1th"."""
    with pytest.raises(ValueError) as err:
        Composite.model_validate({"method": "percentile", "percentile": 0.01})
    assert "write 1 for the 1st," in str(err.value), str(err.value)


# -- 5. Landsat items known by their USGS product ids alone --------------------------------

ST = {"scale": 0.00341802, "offset": 149.0, "nodata": 0, "data_type": "uint16"}
"""A Landsat Collection 2 Level-2 surface temperature band's ``raster:bands``."""
L1 = {"scale": 2.0e-05, "offset": -0.1, "nodata": 0, "data_type": "uint16"}
"""A Landsat Collection 2 Level-1 OLI band's ``raster:bands`` (its MTL's rescaling)."""


def _layers(root: Path, items: list[dict[str, Any]], assets: dict[str, str]) -> list[Any]:
    coll = root / "items.json"
    coll.write_text(json.dumps({"type": "FeatureCollection", "features": items}))
    src = RasterSource.model_validate({"name": "ls", "stac": str(coll), "assets": assets,
                                       "composite": {"method": "median"}})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return plan_composite(src, GRID)


@pytest.mark.parametrize("how", ["id-only", "platform-and-band-name", "control-collection"])
def test_surface_temperature_of_items_known_by_their_ids_is_in_kelvin(
    tmp_path: Path, how: str
) -> None:
    """Items of ``ST_B10`` whose ids are USGS's (``LC08_L2SP_...``), or which state a
    Landsat ``platform`` beside that Level-2 name, but no collection or
    ``landsat:correction`` (a user's catalogue): the composite of about 299 K was
    labelled units ``1``, without a quantity. Now ``K``, surface temperature (control:
    the items stating ``landsat:correction: L2SP`` read so before too)."""
    props = {"landsat:correction": "L2SP"} if how.startswith("control") else \
        {"platform": "landsat-8"} if how.startswith("platform") else {}
    ids = ("a", "b") if how.startswith("platform") else (L8_ID, L8_2_ID)
    items = [_item(item_id, day, props, "ST_B10",
                   _band(tmp_path / day / "ST_B10.tif", 44000), ST)
             for item_id, day in zip(ids, ("2021-03-01", "2021-03-17"), strict=True)]
    layer = _layers(tmp_path, items, {"lst": "ST_B10"})[0]
    assert (layer.units, layer.settings.get("quantity")) == ("K", "surface_temperature")
    np.testing.assert_allclose(layer.compute(GRID, WINDOW), 0.00341802 * 44000 + 149.0,
                               rtol=1e-6)


def test_level_1_and_level_2_items_known_by_their_ids_are_refused(tmp_path: Path) -> None:
    """A Level-2 item (``LC08_L2SP_...``) beside a Level-1 one (``LC08_L1TP_...``), ids
    alone telling their levels: surface and top-of-atmosphere reflectance went into one
    median, exit 0. Refused now, naming an item of each level."""
    items = [_item(L8_ID, "2021-03-01", {}, "red", _band(tmp_path / "a" / "red.tif", 10000),
                   L2),
             _item("LC08_L1TP_198024_20210317_20210328_02_T1", "2021-03-17",
                   {"view:sun_elevation": 40.0}, "red",
                   _band(tmp_path / "b" / "red.tif", 10000), L1)]
    with pytest.raises(DataError) as err:
        _layers(tmp_path, items, {"red": "red"})
    message = str(err.value)
    assert "\n" not in message
    assert "are Level-1 (top of atmosphere), e.g. 'LC08_L1TP_198024" in message, message
    assert f"Level-2 (surface), e.g. '{L8_ID}'" in message, message
