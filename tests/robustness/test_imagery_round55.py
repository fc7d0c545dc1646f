"""Round 55: imagery.

1. A STAC item's asset over a GeoTIFF of four bands (blue, green, red, NIR) whose item
   lists one band (``eo:bands`` of ``red``), given as ``{red: image}`` in a composite:
   read as the file's band 1 (blue, 0.1 for a red of 0.3), exit 0, the item's list
   taken for the file's. An asset whose item states its grid in full (``proj:shape``,
   ``proj:transform``, ``proj:epsg``) is planned without its header, so a 4-band file
   under it was read as band 1 whether the item listed one band or none (round 54 left
   it).
2. A Sentinel-2 ``MTD_MSIL2A.xml`` of processing baseline 04.00 or later (05.10: ESA's
   reprocessed archive) that lists no ``BOA_ADD_OFFSET`` for the band (an edited or cut
   copy): refused "processing baseline 05.10 but no BOA_ADD_OFFSET for B04", saying
   neither what the offset is, where the XML lists it, nor what to do.

SYNTHETIC GeoTIFFs and STAC items read through the composite's real planning and
computing (round 42's helpers), SYNTHETIC ``.SAFE`` folders and product XMLs (rounds 27
and 43's helpers) read through the plain source's planning and computing, and in-process
``prospect ingest``.
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
from tests.robustness.test_imagery_round27 import BAND, OFFSETS, S2_XML, _plan, _value
from tests.robustness.test_imagery_round42 import ORIGIN, _composite, _file
from tests.robustness.test_imagery_round43 import _sen2cor
from tests.robustness.test_imagery_round53 import _feature

# -- 1. an asset of one listed band, or a stated grid, over a file of several -----------------


def _image(
    path: Path,
    bands: int = 4,
    *,
    alpha: bool = False,
    crs: str = "EPSG:32631",
    origin: tuple[float, float] = ORIGIN,
    side: int = 20,
    res: float = 30.0,
) -> Path:
    """A SYNTHETIC ``side`` x ``side`` uint16 GeoTIFF of ``bands`` bands (blue 1000, green
    2000, red 3000, NIR 4000 DNs; one band: red 3000), with an alpha band after them
    (255: every pixel data) where ``alpha``."""
    values = (3000,) if bands == 1 else (1000, 2000, 3000, 4000)[:bands]
    count = len(values) + (1 if alpha else 0)
    path.parent.mkdir(parents=True, exist_ok=True)
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=side,
        height=side,
        count=count,
        dtype="uint16",
        crs=crs,
        nodata=None if alpha else 0,
        transform=from_origin(*origin, res, res),
    ) as dst:
        for band, value in enumerate(values, 1):
            dst.write(np.full((side, side), value, "uint16"), band)
        if alpha:
            dst.write(np.full((side, side), 255, "uint16"), count)
            dst.colorinterp = [ColorInterp.gray] * len(values) + [ColorInterp.alpha]
    return path


def _asset(path: Path, how: str, **grid: Any) -> dict[str, Any]:
    """A SYNTHETIC asset of ``path`` that lists the one band ``red`` (``listed``) or none
    (``unlisted``), and states its grid in full (``...-stated-grid``) or not."""
    asset: dict[str, Any] = {
        "href": str(path),
        "roles": ["data"],
        "raster:bands": [{"scale": 1e-4, "data_type": "uint16", "nodata": 0}],
    }
    if how.startswith("listed"):
        asset["eo:bands"] = [{"name": "B4", "common_name": "red"}]
    if how.endswith("stated-grid"):
        side, res = grid.get("side", 20), grid.get("res", 30.0)
        asset["proj:epsg"] = int(grid.get("epsg", 32631))
        asset["proj:shape"] = [side, side]
        asset["proj:transform"] = list(from_origin(*grid.get("origin", ORIGIN), res, res))[:6]
    return asset


@pytest.mark.parametrize("how", ["listed", "listed-stated-grid", "unlisted-stated-grid"])
def test_an_asset_of_one_or_no_listed_band_over_a_multiband_file_is_refused(
    tmp_path: Path, how: str
) -> None:
    """SYNTHETIC: ``{red: image}`` of a 4-band GeoTIFF (blue first) whose asset lists one
    band, ``red``, or states its grid in full, read the file's band 1 (blue, 0.1 for a red
    of 0.3), exit 0; now refused naming the item, the asset, the file's band count and
    how to read one band (at planning where the header is read, else when the file is
    opened for the chunk's pixels)."""
    item = _feature("mine", "2021-03-01", {"image": _asset(_image(tmp_path / "scene.tif"), how)})
    with pytest.raises(DataError) as err:
        _composite(tmp_path, [item], {"red": "image"})
    message = str(err.value)
    assert "\n" not in message and "Traceback" not in message, message
    assert "scene.tif" in message, message
    if how == "listed":
        assert "item 'mine': asset 'image' ('red' in source 's') is a file of 4 bands" in message
        assert "the item lists one band for it, which does not say which of them it is" in message
        assert "'red' would hold band 1 whatever it names" in message, message
    else:
        assert "item 'mine' asset 'image' is a file of 4 bands" in message, message
        assert "the item states the asset's grid, so its header was not read" in message
        assert "would hold band 1 whatever the item lists" in message, message
    assert "read the file in a plain source with 'path:' and 'band_names:'" in message


@pytest.mark.parametrize(
    ("how", "alpha"),
    [
        ("listed", False),
        ("listed-stated-grid", False),
        ("listed", True),
        ("listed-stated-grid", True),
    ],
    ids=["listed", "listed-stated-grid", "alpha", "alpha-stated-grid"],
)
def test_an_asset_of_one_listed_band_over_a_one_band_file_composites_as_before(
    tmp_path: Path, how: str, alpha: bool
) -> None:
    """control (SYNTHETIC): the asset listing ``red`` over a one-band file (DN 3000), or
    one of a band and an alpha band (the alpha band masks, holds no data), reads 0.3,
    its grid stated or its header read."""
    path = _image(tmp_path / "scene.tif", bands=1, alpha=alpha)
    item = _feature("mine", "2021-03-01", {"image": _asset(path, how)})
    out = _composite(tmp_path, [item], {"red": "image"})
    np.testing.assert_allclose(out["red"], 0.3, rtol=1e-5)
    np.testing.assert_allclose(out["s_count"], 1.0)


def _tiny_items(root: Path, bands: int) -> None:
    """A SYNTHETIC catalogue ``items.json`` of one item whose asset ``image`` lists
    ``red`` and states its grid over a ``bands``-band file covering the tiny region."""
    west, _south, _east, north = TINY_REGION["bounds"]
    path = _image(
        root / "scene.tif", bands, crs=TINY_REGION["crs"], origin=(west, north), side=40, res=10.0
    )
    grid = {"epsg": 32619, "origin": (west, north), "side": 40, "res": 10.0}
    item = _feature("mine", "2021-03-01", {"image": _asset(path, "listed-stated-grid", **grid)})
    (root / "items.json").write_text(json.dumps({"type": "FeatureCollection", "features": [item]}))


SOURCE = {
    "kind": "raster",
    "name": "s2",
    "stac": "items.json",
    "assets": {"red": "image"},
    "composite": {"method": "median"},
}


def test_cli_a_stated_grid_asset_over_a_multiband_file_is_one_error_line(
    sandbox: Sandbox, cli: Any, scheduler: str
) -> None:
    """SYNTHETIC job: ``prospect ingest`` of a median of one item whose asset lists ``red``
    and states its grid over a 4-band file: ingested as blue (0.1), exit 0; now exit 1,
    one ``error:`` line, nothing written beside the job."""
    _tiny_items(sandbox.root, 4)
    sandbox.write_job(sources=[SOURCE])
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert_clean_error(
        result,
        1,
        "item 'mine' asset 'image' is a file of 4 bands",
        "scene.tif",
        "map each variable to an asset of one band",
    )
    assert sandbox.untouched()


def test_cli_a_stated_grid_asset_over_a_one_band_file_ingests_as_before(
    sandbox: Sandbox, cli: Any, scheduler: str
) -> None:
    """control (SYNTHETIC job): the same over a one-band file (red, DN 3000) ingests the
    median 0.3, exit 0."""
    import xarray as xr

    _tiny_items(sandbox.root, 1)
    sandbox.write_job(sources=[SOURCE])
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert result.code == 0, result.out + result.err
    stores = list(sandbox.out.rglob("*.zarr"))
    assert stores, list(sandbox.out.rglob("*"))
    with xr.open_zarr(stores[0]) as cube:
        np.testing.assert_allclose(cube["red"].values, 0.3, rtol=1e-5)


# -- 2. a product XML of baseline 04.00 on without the band's DN offset ------------------------

REPROCESSED = "S2A_MSIL2A_20190301T104021_N0510_R008_T31UFT_20230615T101010"
"""A datatake of 2019 in ESA's reprocessed archive (baseline 05.10: DN offset -1000)."""
OTHER_BAND = (
    '<BOA_ADD_OFFSET_VALUES_LIST><BOA_ADD_OFFSET band_id="1">-1000</BOA_ADD_OFFSET>'
    "</BOA_ADD_OFFSET_VALUES_LIST>"
)
"""The offset of band_id 1 (B02) alone."""


def _product(root: Path, product: str, offsets: str) -> tuple[str, str]:
    """A SYNTHETIC ``.SAFE`` folder of ``product``: a B04 of DN 3000 and its
    ``MTD_MSIL2A.xml`` listing ``offsets``."""
    band, xml = _sen2cor(root, offsets=False, product=product)
    baseline = f"{product.split('_N')[1][:2]}.{product.split('_N')[1][2:4]}"
    Path(xml).write_text(S2_XML.format(product=product, baseline=baseline, offsets=offsets))
    return band, xml


@pytest.mark.parametrize(
    ("product", "offsets", "listed"),
    [
        (REPROCESSED, "", "lists no BOA_ADD_OFFSET (no BOA_ADD_OFFSET_VALUES_LIST)"),
        (REPROCESSED.replace("N0510", "N0400"), "", "lists no BOA_ADD_OFFSET"),
        (REPROCESSED, OTHER_BAND, "lists BOA_ADD_OFFSET for 1 band(s), not B04"),
    ],
    ids=["05.10-none", "04.00-none", "05.10-another-band"],
)
def test_a_baseline_04_xml_without_the_bands_offset_says_what_and_how(
    tmp_path: Path, product: str, offsets: str, listed: str
) -> None:
    """SYNTHETIC: a B04 with its product XML of baseline 04.00 or 05.10 that lists no
    ``BOA_ADD_OFFSET`` for it was refused "...MTD_MSIL2A.xml: processing baseline 05.10
    but no BOA_ADD_OFFSET for B04"; now the message names the product, the -1000 per band
    ESA lists from 04.00 on and where, what this XML lists, and what to do."""
    band, xml = _product(tmp_path, product, offsets)
    with pytest.raises(DataError) as err:
        _value(
            _plan({"name": "s2", "sensor": "sentinel2", "bands": {"B04": band}, "metadata": xml})
        )
    message = str(err.value)
    assert "\n" not in message and message.startswith(f"{xml}: T31UFT_20190301T104021"), message
    assert "ESA shifts every DN by +1000 and lists BOA_ADD_OFFSET -1000 per band" in message
    assert f"but this XML {listed}" in message, message
    assert "every reflectance of B04 would be 0.1 high" in message, message
    assert "use the product XML as ESA delivers it with the scene" in message, message
    assert "give 'scale: 0.0001' and 'offset: -0.1' in the source" in message, message


def test_a_baseline_04_xml_with_the_bands_offset_reads_as_before(tmp_path: Path) -> None:
    """control (SYNTHETIC): the same XML listing B04's -1000 reads (3000 - 1000) / 10000 =
    0.2; the band without its XML, given the message's 'scale: 0.0001' and 'offset: -0.1',
    reads the same."""
    band, xml = _product(tmp_path, REPROCESSED, OFFSETS)
    source = {"name": "s2", "sensor": "sentinel2", "bands": {"B04": band}}
    assert _value(_plan({**source, "metadata": xml})) == pytest.approx(0.2, abs=1e-5)
    assert _value(_plan({**source, "scale": 0.0001, "offset": -0.1})) == pytest.approx(
        0.2, abs=1e-5
    )


def test_cli_a_baseline_04_xml_without_the_bands_offset_is_one_error_line(
    sandbox: Sandbox, cli: Any, scheduler: str
) -> None:
    """SYNTHETIC job: ``prospect ingest`` of a B04 with its baseline 05.10 XML that lists
    no offset: exit 1, one ``error:`` line that says what to do, nothing written beside
    the job."""
    west, _south, _east, north = TINY_REGION["bounds"]
    safe = sandbox.root / f"{REPROCESSED}.SAFE"
    band = _file(
        safe / BAND, 3000, "uint16", 0, crs=TINY_REGION["crs"], origin=(west, north), res=20.0
    )
    (safe / "MTD_MSIL2A.xml").write_text(
        S2_XML.format(product=REPROCESSED, baseline="05.10", offsets="")
    )
    source = {
        "kind": "raster",
        "name": "s2",
        "sensor": "sentinel2",
        "bands": {"B04": str(band.relative_to(sandbox.root))},
        "metadata": f"{REPROCESSED}.SAFE/MTD_MSIL2A.xml",
    }
    sandbox.write_job(sources=[source])
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert_clean_error(
        result,
        1,
        "MTD_MSIL2A.xml",
        "lists no BOA_ADD_OFFSET",
        "use the product XML as ESA delivers it with the scene",
    )
    assert sandbox.untouched()
