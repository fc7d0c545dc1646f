"""Round 56: imagery.

1. Two variables of a composite read from one file: ``{red: image, nir: image}``, or an
   item whose assets ``B04`` and ``B08`` name one file (a catalogue's copy-paste), gave
   ``nir`` the red values (an NDVI of 0 everywhere), exit 0: each asset is read as its
   band 1.
2. A cloud mask (``cloud_mask.asset``) over a file of several bands (Sentinel-2 Level-1C's
   ``MSK_CLASSI_B00``: opaque clouds, cirrus and snow; an SCL rendered in colour) masked
   each scene by its band 1 alone, exit 0.
3. A Sentinel-2 product XML listing its DN offsets by ``band_id`` without the
   ``Spectral_Information`` that names the ids (a cut-down copy) was refused as listing
   offsets "for 13 band(s), not B04", though ESA's ``band_id`` order is fixed (0: B01,
   8: B8A, 12: B12); round 55 left it.

SYNTHETIC GeoTIFFs and STAC items read through the composite's real planning and
computing (round 42's helpers), SYNTHETIC ``.SAFE`` folders and product XMLs (rounds 27,
43 and 55's helpers) read through the plain source's planning and computing, and
in-process ``prospect ingest``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
from rasterio.enums import ColorInterp
from rasterio.transform import from_origin

from prospect.errors import DataError
from tests.robustness.conftest import TINY_REGION, Sandbox, assert_clean_error
from tests.robustness.test_imagery_round27 import BAND, S2_XML, _band, _plan, _value
from tests.robustness.test_imagery_round42 import ORIGIN, S2, S2_PROPS, _composite, _file
from tests.robustness.test_imagery_round53 import _feature
from tests.robustness.test_imagery_round55 import REPROCESSED

# -- 1. two variables of one item read from one file -------------------------------------------


def _band_asset(path: Path, name: str, *, href: str | None = None) -> dict[str, Any]:
    """A SYNTHETIC Sentinel-2 L2A band asset of ``path`` listing band ``name``."""
    return {
        "href": href or str(path),
        "roles": ["data"],
        "raster:bands": [S2],
        "eo:bands": [{"name": name}],
    }


def _one_file_item(root: Path, how: str) -> tuple[dict[str, Any], dict[str, str]]:
    """A SYNTHETIC item whose red (DN 3000) and NIR (DN 4000, where it has a file) are read
    ``how``, and the config's assets."""
    red = _file(root / "B04.tif", 3000)
    nir = _file(root / "B08.tif", 4000)
    if how == "one-asset":
        assets = {"image": {"href": str(red), "roles": ["data"], "raster:bands": [S2]}}
        return _feature("x", "2023-03-01", assets, **S2_PROPS), {"red": "image", "nir": "image"}
    second = {
        "two-assets-one-href": str(red),
        "two-assets-one-file-spelled-apart": str(root / "." / "B04.tif").replace(
            "/B04.tif", "/./B04.tif"
        ),
        "own-files": str(nir),
    }[how]
    assets = {"B04": _band_asset(red, "B04"), "B08": _band_asset(red, "B08", href=second)}
    return _feature("x", "2023-03-01", assets, **S2_PROPS), {"red": "B04", "nir": "B08"}


@pytest.mark.parametrize(
    ("how", "words"),
    [
        ("one-asset", "the config maps both to asset 'image'"),
        ("two-assets-one-href", "its assets 'B04' and 'B08' name one file"),
        ("two-assets-one-file-spelled-apart", "its assets 'B04' and 'B08' name one file"),
    ],
    ids=["one-asset", "two-assets-one-href", "two-assets-one-file-spelled-apart"],
)
def test_two_variables_of_one_file_are_refused(tmp_path: Path, how: str, words: str) -> None:
    """SYNTHETIC: ``red`` and ``nir`` of one item read from one one-band file (one asset
    for both, or two assets naming one file) both held the red 0.2, exit 0; now refused
    naming the item, both variables, the assets and the file."""
    item, assets = _one_file_item(tmp_path, how)
    with pytest.raises(DataError) as err:
        _composite(tmp_path, [item], assets)
    message = str(err.value)
    assert "\n" not in message and "Traceback" not in message, message
    assert "item 'x': 'red' and 'nir' would be read from one file" in message, message
    assert "B04.tif" in message and words in message, message
    assert "both would hold the same values ('nir' those of 'red')" in message, message
    assert "map each variable to the asset of its own band or fix the item's hrefs" in message


def test_two_variables_of_their_own_files_composite_as_before(tmp_path: Path) -> None:
    """control (SYNTHETIC): the same item whose B08 names its own file reads red 0.2 and
    NIR 0.3 (baseline 05.10's offset -0.1)."""
    item, assets = _one_file_item(tmp_path, "own-files")
    out = _composite(tmp_path, [item], assets)
    np.testing.assert_allclose(out["red"], 0.2, rtol=1e-5)
    np.testing.assert_allclose(out["nir"], 0.3, rtol=1e-5)
    np.testing.assert_allclose(out["s_count"], 1.0)


def _tiny_items(root: Path, one_href: bool) -> None:
    """A SYNTHETIC catalogue ``items.json`` of one Sentinel-2 item over the tiny region,
    whose B08 names B04's file (``one_href``) or its own."""
    west, _south, _east, north = TINY_REGION["bounds"]
    grid = {"crs": TINY_REGION["crs"], "origin": (west, north), "res": 10.0}
    red = _tiny_file(root / "B04.tif", 3000, **grid)
    nir = _tiny_file(root / "B08.tif", 4000, **grid)
    assets = {
        "B04": _band_asset(red, "B04"),
        "B08": _band_asset(red if one_href else nir, "B08"),
    }
    item = _feature("mine", "2023-03-01", assets, **S2_PROPS)
    (root / "items.json").write_text(json.dumps({"type": "FeatureCollection", "features": [item]}))


def _tiny_file(
    path: Path, value: int, *, crs: str, origin: tuple[float, float], res: float
) -> Path:
    """A SYNTHETIC 40 x 40 uint16 GeoTIFF of one DN covering the tiny region."""
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=40,
        height=40,
        count=1,
        dtype="uint16",
        crs=crs,
        nodata=0,
        transform=from_origin(*origin, res, res),
    ) as dst:
        dst.write(np.full((1, 40, 40), value, "uint16"))
    return path


SOURCE = {
    "kind": "raster",
    "name": "s2",
    "stac": "items.json",
    "assets": {"red": "B04", "nir": "B08"},
    "composite": {"method": "median"},
}


def test_cli_two_variables_of_one_file_is_one_error_line(
    sandbox: Sandbox, cli: Any, scheduler: str
) -> None:
    """SYNTHETIC job: ``prospect ingest`` of a median whose item's B08 names B04's file:
    red and NIR both 0.2, exit 0 before; now exit 1, one ``error:`` line, nothing written
    beside the job."""
    _tiny_items(sandbox.root, one_href=True)
    sandbox.write_job(sources=[SOURCE])
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert_clean_error(
        result,
        1,
        "item 'mine': 'red' and 'nir' would be read from one file",
        "B04.tif",
        "its assets 'B04' and 'B08' name one file",
    )
    assert sandbox.untouched()


def test_cli_two_variables_of_their_own_files_ingest_as_before(
    sandbox: Sandbox, cli: Any, scheduler: str
) -> None:
    """control (SYNTHETIC job): the same item whose B08 names its own file ingests red 0.2
    and NIR 0.3, exit 0."""
    import xarray as xr

    _tiny_items(sandbox.root, one_href=False)
    sandbox.write_job(sources=[SOURCE])
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert result.code == 0, result.out + result.err
    stores = list(sandbox.out.rglob("*.zarr"))
    assert stores, list(sandbox.out.rglob("*"))
    with xr.open_zarr(stores[0]) as cube:
        np.testing.assert_allclose(cube["red"].values, 0.2, rtol=1e-5)
        np.testing.assert_allclose(cube["nir"].values, 0.3, rtol=1e-5)


# -- 2. a cloud mask of several bands ---------------------------------------------------------


def _scl(path: Path, codes: tuple[int, ...], *, alpha: bool = False, half: int = 0) -> Path:
    """A SYNTHETIC 20 x 20 uint8 quality layer of one SCL code per band (4: vegetation,
    8: cloud, 9: high-probability cloud), its right half ``half`` where given, with an
    alpha band after them (255) where ``alpha``."""
    count = len(codes) + (1 if alpha else 0)
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=20,
        height=20,
        count=count,
        dtype="uint8",
        crs="EPSG:32631",
        nodata=None if alpha else 0,
        transform=from_origin(*ORIGIN, 30.0, 30.0),
    ) as dst:
        for band, code in enumerate(codes, 1):
            layer = np.full((20, 20), code, "uint8")
            if half:
                layer[:, 10:] = half
            dst.write(layer, band)
        if alpha:
            dst.write(np.full((20, 20), 255, "uint8"), count)
            dst.colorinterp = [ColorInterp.gray] * len(codes) + [ColorInterp.alpha]
    return path


def _masked_item(root: Path, mask: Path) -> dict[str, Any]:
    """A SYNTHETIC Sentinel-2 item of a red band (DN 3000) and its quality layer ``SCL``."""
    red = _file(root / "B04.tif", 3000)
    assets = {"B04": _band_asset(red, "B04"), "SCL": {"href": str(mask), "roles": ["cloud"]}}
    return _feature("x", "2023-03-01", assets, **S2_PROPS)


CLOUD_MASK = {"cloud_mask": {"asset": "SCL", "kind": "scl"}}


def test_a_cloud_mask_of_several_bands_is_refused(tmp_path: Path) -> None:
    """SYNTHETIC: a quality layer of three bands (vegetation, cloud, cloud) masked the
    scene by band 1 (vegetation: kept, red 0.2, count 1), exit 0; now refused naming the
    item, the layer, its band count and how to give one band."""
    item = _masked_item(tmp_path, _scl(tmp_path / "SCL.tif", (4, 8, 9)))
    with pytest.raises(DataError) as err:
        _composite(tmp_path, [item], {"red": "B04"}, **CLOUD_MASK)
    message = str(err.value)
    assert "\n" not in message and "Traceback" not in message, message
    assert message.startswith("source 's': item 'x': the quality layer "), message
    assert "SCL.tif is a file of 3 bands" in message, message
    assert "a cloud mask is read as one band of scl codes (its first)" in message, message
    assert "give the scene's one-band quality layer in cloud_mask.asset" in message, message
    assert "gdal_translate -b N" in message, message


@pytest.mark.parametrize("alpha", [False, True], ids=["one-band", "one-band-and-alpha"])
def test_a_cloud_mask_of_one_band_masks_as_before(tmp_path: Path, alpha: bool) -> None:
    """control (SYNTHETIC): a one-band SCL of vegetation left and cloud right (with an
    alpha band too) masks as before: the red 0.2 kept on the left (count 1), dropped on
    the right (no data, count 0)."""
    item = _masked_item(tmp_path, _scl(tmp_path / "SCL.tif", (4,), alpha=alpha, half=8))
    out = _composite(tmp_path, [item], {"red": "B04"}, **CLOUD_MASK)
    assert float(np.nanmin(out["red"])) == pytest.approx(0.2, abs=1e-5)
    assert np.isnan(out["red"]).any()
    assert sorted(np.unique(out["s_count"]).tolist()) == [0.0, 1.0]


# -- 3. a product XML listing offsets by band_id alone ----------------------------------------

ALL_OFFSETS = (
    "<BOA_ADD_OFFSET_VALUES_LIST>"
    + "".join(f'<BOA_ADD_OFFSET band_id="{i}">-1000</BOA_ADD_OFFSET>' for i in range(13))
    + "</BOA_ADD_OFFSET_VALUES_LIST>"
)
"""ESA's 13 offsets, by ``band_id`` 0 (B01) .. 12 (B12)."""
B8A_OFFSET = (
    '<BOA_ADD_OFFSET_VALUES_LIST><BOA_ADD_OFFSET band_id="8">-1000</BOA_ADD_OFFSET>'
    "</BOA_ADD_OFFSET_VALUES_LIST>"
)
"""B8A's offset alone (``band_id`` 8: B8A, not B09)."""
B8A_BAND = BAND.replace("R10m", "R20m").replace("_B04_10m", "_B8A_20m")
CUT_SPECTRAL = (
    '<Spectral_Information_List>\n<Spectral_Information bandId="3" physicalBand="B4"/>\n'
    "</Spectral_Information_List>\n"
)


def _cut_product(root: Path, band: str, offsets: str, *, spectral: bool) -> tuple[str, str]:
    """A SYNTHETIC ``.SAFE`` folder of baseline 05.10: a ``band`` file of DN 3000 and its
    ``MTD_MSIL2A.xml`` listing ``offsets``, with its ``Spectral_Information`` or without
    (a cut-down copy)."""
    safe = root / f"{REPROCESSED}.SAFE"
    path = _band(safe / band, 3000)
    xml = S2_XML.format(product=REPROCESSED, baseline="05.10", offsets=offsets)
    assert CUT_SPECTRAL in xml
    if not spectral:
        xml = xml.replace(CUT_SPECTRAL, "")
    (safe / "MTD_MSIL2A.xml").write_text(xml)
    return path, str(safe / "MTD_MSIL2A.xml")


@pytest.mark.parametrize(
    ("key", "band", "offsets"),
    [("B04", BAND, ALL_OFFSETS), ("B8A", B8A_BAND, B8A_OFFSET)],
    ids=["B04-all-13", "B8A-alone"],
)
def test_offsets_by_band_id_without_spectral_information_read_in_esas_order(
    tmp_path: Path, key: str, band: str, offsets: str
) -> None:
    """SYNTHETIC: an XML of baseline 05.10 listing ``BOA_ADD_OFFSET`` by ``band_id`` but no
    ``Spectral_Information`` was refused "lists BOA_ADD_OFFSET for 13 band(s), not B04";
    now its ids are read in ESA's order (3: B04, 8: B8A): (3000 - 1000) / 10000 = 0.2."""
    path, xml = _cut_product(tmp_path, band, offsets, spectral=False)
    layer = _plan({"name": "s2", "sensor": "sentinel2", "bands": {key: path}, "metadata": xml})
    assert _value(layer) == pytest.approx(0.2, abs=1e-5)


@pytest.mark.parametrize("spectral", [True, False], ids=["spectral", "cut"])
def test_offsets_for_another_band_id_are_still_refused(tmp_path: Path, spectral: bool) -> None:
    """control (SYNTHETIC): an XML listing B8A's offset alone (``band_id`` 8) is still
    refused for B04, with or without ``Spectral_Information``."""
    path, xml = _cut_product(tmp_path, BAND, B8A_OFFSET, spectral=spectral)
    with pytest.raises(DataError) as err:
        _value(
            _plan({"name": "s2", "sensor": "sentinel2", "bands": {"B04": path}, "metadata": xml})
        )
    assert "but this XML lists BOA_ADD_OFFSET for 1 band(s), not B04" in str(err.value)


def test_an_xml_as_esa_delivers_it_reads_as_before(tmp_path: Path) -> None:
    """control (SYNTHETIC): the XML with its ``Spectral_Information`` and all 13 offsets
    reads B04 0.2."""
    path, xml = _cut_product(tmp_path, BAND, ALL_OFFSETS, spectral=True)
    layer = _plan({"name": "s2", "sensor": "sentinel2", "bands": {"B04": path}, "metadata": xml})
    assert _value(layer) == pytest.approx(0.2, abs=1e-5)


# -- 4. a stated grid over a file of several bands, warned of before it was refused ------------


def test_a_stated_grid_over_a_multiband_file_is_refused_at_planning(tmp_path: Path) -> None:
    """SYNTHETIC: an asset stating its grid over a local 4-band file (round 55's case) was
    refused only when a chunk read it, after the plan's fill sample of its band 1; now
    planning refuses it (the header is open for that sample anyway), in round 55's
    words."""
    from prospect.config.sources import RasterSource
    from prospect.ingest.composite import plan_composite
    from tests.robustness.test_imagery_round38 import GRID
    from tests.robustness.test_imagery_round55 import _asset, _image

    item = _feature(
        "mine",
        "2021-03-01",
        {"image": _asset(_image(tmp_path / "scene.tif"), "listed-stated-grid")},
    )
    coll = tmp_path / "items.json"
    coll.write_text(json.dumps({"type": "FeatureCollection", "features": [item]}))
    source = RasterSource.model_validate(
        {
            "name": "s",
            "stac": str(coll),
            "assets": {"red": "image"},
            "composite": {"method": "median"},
        }
    )
    with pytest.raises(DataError) as err:
        plan_composite(source, GRID)
    assert "item 'mine' asset 'image' is a file of 4 bands" in str(err.value), err.value


def test_cli_a_stated_grid_over_a_multiband_file_is_refused_without_a_fill_warning(
    sandbox: Sandbox, cli: Any, scheduler: str
) -> None:
    """SYNTHETIC job: ``prospect ingest`` of round 55's item stating its grid over a
    4-band file whose ``raster:bands`` state nodata 0 printed "declared nodata 0 never
    occurs while 1000 fills ..." of the blue band before its error line; now the error
    line alone (refuse first, warn never)."""
    from tests.robustness.test_imagery_round55 import SOURCE as STATED
    from tests.robustness.test_imagery_round55 import _tiny_items as _stated_items

    _stated_items(sandbox.root, 4)
    sandbox.write_job(sources=[STATED])
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert_clean_error(result, 1, "item 'mine' asset 'image' is a file of 4 bands")
    assert "never occurs" not in result.out + result.err, result.err
    assert sandbox.untouched()


def _stated(item: dict[str, Any]) -> dict[str, Any]:
    """``item`` with every asset's grid stated in full (the SYNTHETIC files' own)."""
    grid = {
        "proj:epsg": 32631,
        "proj:shape": [20, 20],
        "proj:transform": list(from_origin(*ORIGIN, 30.0, 30.0))[:6],
    }
    for asset in item["assets"].values():
        asset.update(grid)
    return item


def test_a_stated_grid_cloud_mask_of_several_bands_is_refused_as_a_mask(tmp_path: Path) -> None:
    """SYNTHETIC: a quality layer of three bands whose item states its grid was refused in
    the words for a variable ("map each variable to an asset of one band"); now in the
    words for a cloud mask, naming ``cloud_mask.asset``."""
    item = _stated(_masked_item(tmp_path, _scl(tmp_path / "SCL.tif", (4, 8, 9))))
    with pytest.raises(DataError) as err:
        _composite(tmp_path, [item], {"red": "B04"}, **CLOUD_MASK)
    message = str(err.value)
    assert "SCL.tif is a file of 3 bands" in message, message
    assert "give the scene's one-band quality layer in cloud_mask.asset" in message, message


def test_a_stated_grid_cloud_mask_of_one_band_masks_as_before(tmp_path: Path) -> None:
    """control (SYNTHETIC): the same item over a one-band SCL of vegetation left and cloud
    right keeps the red 0.2 on the left and drops it on the right, its grid stated."""
    item = _stated(_masked_item(tmp_path, _scl(tmp_path / "SCL.tif", (4,), half=8)))
    out = _composite(tmp_path, [item], {"red": "B04"}, **CLOUD_MASK)
    assert float(np.nanmin(out["red"])) == pytest.approx(0.2, abs=1e-5)
    assert sorted(np.unique(out["s_count"]).tolist()) == [0.0, 1.0]
