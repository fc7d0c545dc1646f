"""Round 27b: cloud masks and composites.

A composite whose items state their assets' grids in full is planned without opening the
bands' headers; round 24's lossy-codec warning came from the planning's sample read, which
reads the first variable's asset only: a JPEG (or lossy WebP) ``nir`` asset beside a
DEFLATE ``red`` was composited without a word. Values: a 60 x 60 corner of the real
Wageningen Landsat 8 SR bands 4 and 5 (``landsat8_sr_wageningen_nl``), scaled to bytes
(JPEG in GeoTIFF holds 8-bit bands; GDAL's WebP needs 3 or 4 bands), in SYNTHETIC STAC items.
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
from prospect.errors import DataWarning
from prospect.grid import RegionGrid

L8 = "LC81970242014109LGN00"
ORIGIN = (680000.0, 5770000.0)
STATED = {
    "proj:shape": [60, 60],
    "proj:transform": [30, 0, ORIGIN[0], 0, -30, ORIGIN[1]],
    "proj:epsg": 32631,
}


@pytest.fixture()
def bands(shared_data: Path) -> dict[str, np.ndarray]:
    """Real red and NIR surface reflectance (x 1e4) of Wageningen, as bytes (/ 40)."""
    out = {}
    for var, n in (("red", 4), ("nir", 5)):
        path = shared_data / "landsat8_sr_wageningen_nl" / f"{L8}_sr_band{n}.tif"
        with rasterio.open(path) as s:
            sr = s.read(1)[:60, :60].astype(np.float64)
        out[var] = np.clip(sr / 40, 1, 254).astype(np.uint8)
    return out


def _grid() -> RegionGrid:
    left, top = ORIGIN
    return RegionGrid(
        crs="EPSG:32631",
        resolution=30.0,
        bounds=(left, top - 1800, left + 1800, top),
        chunks=(30, 30),
        name="cut",
    )


def _write(path: Path, values: np.ndarray, compress: str) -> Path:
    extra: dict[str, Any] = (
        {"quality": 50} if compress == "JPEG" else {"max_z_error": 8} if compress == "LERC" else {}
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=60,
        height=60,
        count=1,
        dtype="uint8",
        crs="EPSG:32631",
        nodata=0,
        transform=from_origin(*ORIGIN, 30, 30),
        compress=compress,
        tiled=True,
        blockxsize=32,
        blockysize=32,
        **extra,
    ) as d:
        d.write(values, 1)
    return path


def _source(
    root: Path, bands: dict[str, np.ndarray], codecs: dict[str, list[str]], *, stated: bool = True
) -> RasterSource:
    """SYNTHETIC items, one per date, with ``red`` and ``nir`` assets stored with
    ``codecs[var][n]`` for item ``n``."""
    features = []
    for n, day in enumerate(("2022-03-01", "2022-03-11")):
        assets = {}
        for var, values in bands.items():
            path = _write(root / f"d{n}" / f"{var}.tif", values, codecs[var][n])
            assets[var] = {
                "href": str(path),
                "roles": ["data"],
                "raster:bands": [{"nodata": 0, "data_type": "uint8"}],
                **(STATED if stated else {}),
            }
        features.append(
            {
                "type": "Feature",
                "stac_version": "1.0.0",
                "id": f"it{n}",
                "geometry": None,
                "properties": {"datetime": f"{day}T10:40:21Z", "proj:epsg": 32631},
                "assets": assets,
                "links": [],
            }
        )
    coll = root / "items.json"
    coll.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return RasterSource.model_validate(
        {
            "name": "st",
            "stac": str(coll),
            "assets": {"red": "red", "nir": "nir"},
            "composite": {"method": "median"},
        }
    )


def _plan(source: RasterSource) -> tuple[list[Any], list[str]]:
    from prospect.ingest.composite import plan_composite

    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        layers = plan_composite(source, _grid())
    return layers, [
        str(w.message)
        for w in seen
        if issubclass(w.category, DataWarning) and "stored with" in str(w.message)
    ]


def _whole(layer: Any) -> np.ndarray:
    grid = _grid()
    out = np.empty(grid.shape, np.float32)
    for w in grid.chunk_windows():
        out[w.rows, w.cols] = layer.compute(grid, w)
    return out


@pytest.mark.parametrize("codec", ["JPEG", "LERC"])
def test_a_lossy_second_asset_of_a_stated_grid_is_warned_of(bands, tmp_path, codec):
    """Before: ``nir`` stored with JPEG (or LERC of error 8) beside a DEFLATE ``red``, the items
    stating both grids: only ``red`` (the sampled variable) was checked, and the NIR
    composite (values tens of DNs off) was written without a word, exit 0."""
    src = _source(tmp_path, bands, {"red": ["DEFLATE"] * 2, "nir": [codec] * 2})
    _, told = _plan(src)
    (msg,) = told
    assert "asset 'nir'" in msg and "nir.tif" in msg and "COMPRESS=DEFLATE" in msg
    assert ("JPEG compression" if codec == "JPEG" else "up to 8 off per cell") in msg
    assert "1 more item(s) of source 'st' likewise" in msg


def test_a_lossy_asset_of_one_item_only_is_warned_of(bands, tmp_path):
    """Before: the second item's ``nir`` alone stored with JPEG (another provider's copy)
    was read without a word."""
    src = _source(tmp_path, bands, {"red": ["DEFLATE"] * 2, "nir": ["DEFLATE", "JPEG"]})
    _, told = _plan(src)
    (msg,) = told
    assert "item 'it1' asset 'nir'" in msg and "JPEG compression" in msg
    assert "likewise" not in msg


def test_lossy_first_and_second_assets_are_each_told_once(bands, tmp_path):
    """Before: a JPEG ``red`` was told (round 24) but a JPEG ``nir`` beside it was not."""
    src = _source(tmp_path, bands, {"red": ["JPEG"] * 2, "nir": ["JPEG"] * 2})
    _, told = _plan(src)
    assert len(told) == 2
    assert {"asset 'red'" in m for m in told} == {True, False}
    assert all("1 more item(s) of source 'st' likewise" in m for m in told)


@pytest.mark.parametrize("stated", [True, False])
def test_lossless_assets_plan_quietly_and_composite_as_written(bands, tmp_path, stated):
    """Control: DEFLATE assets (stated grids or headers) plan without a lossy warning and
    their median of two identical dates is the written values, byte for byte."""
    src = _source(tmp_path, bands, {"red": ["DEFLATE"] * 2, "nir": ["DEFLATE"] * 2}, stated=stated)
    layers, told = _plan(src)
    assert told == []
    by = {layer.name: layer for layer in layers}
    np.testing.assert_array_equal(_whole(by["nir"]), bands["nir"].astype(np.float32))
    np.testing.assert_array_equal(_whole(by["red"]), bands["red"].astype(np.float32))


def test_a_lossy_second_asset_read_by_its_header_is_told_as_before(bands, tmp_path):
    """Control: items without stated grids (headers read) keep round 22's one warning for
    the JPEG ``nir`` (not two)."""
    src = _source(tmp_path, bands, {"red": ["DEFLATE"] * 2, "nir": ["JPEG"] * 2}, stated=False)
    _, told = _plan(src)
    (msg,) = told
    assert "nir.tif" in msg and "JPEG" in msg


# --- 2. Sentinel-2 Level-1C cloud masks given as the quality layer --------------------------

GML = (
    '<?xml version="1.0"?><eop:Mask xmlns:eop="http://www.opengis.net/eop/2.0" '
    'xmlns:gml="http://www.opengis.net/gml/3.2"><eop:maskMembers><eop:MaskFeature '
    'gml:id="OPAQUE.0"><eop:maskType>OPAQUE</eop:maskType><eop:extentOf><gml:Polygon '
    'gml:id="p0" srsName="urn:ogc:def:crs:EPSG::32631"><gml:exterior><gml:LinearRing>'
    '<gml:posList srsDimension="2">680000 5770000 680300 5770000 680300 5769700 680000 '
    "5769700 680000 5770000</gml:posList></gml:LinearRing></gml:exterior></gml:Polygon>"
    "</eop:extentOf></eop:MaskFeature></eop:maskMembers></eop:Mask>"
)


def _masked_source(root: Path, bands: dict[str, np.ndarray], mask_name: str) -> RasterSource:
    """SYNTHETIC items of two dates whose quality layer is the file ``mask_name``: a GML
    (written as Sentinel-2 writes it), else a raster of SCL-like codes (4: vegetation,
    1 in the top rows: MSK_CLASSI's opaque-cloud flag)."""
    features = []
    for n, day in enumerate(("2022-03-01", "2022-03-11")):
        red = _write(root / f"d{n}" / "red.tif", bands["red"], "DEFLATE")
        mask = root / f"d{n}" / mask_name
        if mask_name.endswith(".gml"):
            mask.write_text(GML)
        else:
            codes = np.full((60, 60), 4, np.uint8)
            codes[:10] = 1
            _write(mask, codes, "DEFLATE")
        features.append(
            {
                "type": "Feature",
                "stac_version": "1.0.0",
                "id": f"it{n}",
                "geometry": None,
                "properties": {"datetime": f"{day}T10:40:21Z", "proj:epsg": 32631},
                "assets": {
                    "red": {
                        "href": str(red),
                        "roles": ["data"],
                        "raster:bands": [{"nodata": 0, "data_type": "uint8"}],
                    },
                    "clouds": {"href": str(mask), "roles": ["cloud"]},
                },
                "links": [],
            }
        )
    coll = root / "items.json"
    coll.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return RasterSource.model_validate(
        {
            "name": "st",
            "stac": str(coll),
            "assets": {"red": "red"},
            "composite": {"method": "median"},
            "cloud_mask": {"kind": "scl", "asset": "clouds"},
        }
    )


@pytest.mark.parametrize(
    ("name", "needle"),
    [
        ("MSK_CLOUDS_B00.gml", "GML polygons (a vector file, not a raster)"),
        ("T31UFT_20220301T104021_MSK_CLASSI_B00.tif", "opaque clouds, cirrus and snow"),
    ],
)
def test_a_level1c_cloud_mask_is_refused_as_what_it_is(bands, tmp_path, name, needle):
    """Before: the GML cloud mask of baselines before 04.00 failed every item as 'could
    not be read (truncated)', the fix given 'check the network or the catalogue'; the
    MSK_CLASSI flags of 04.00 were called 'a confidence, probability or quality layer'.
    Now each is named, with the fix (the Level-2A SCL), before any header is read."""
    from prospect.errors import DataError
    from prospect.ingest.composite import plan_composite

    with pytest.raises(DataError) as err:
        plan_composite(_masked_source(tmp_path, bands, name), _grid())
    msg = str(err.value)
    assert "item 'it0'" in msg and name in msg and needle in msg
    assert "Level-2A" in msg and "'kind: scl'" in msg and "\n" not in msg


def test_an_scl_layer_masks_the_composite_as_before(bands, tmp_path):
    """Control: an ``..._SCL_20m`` layer of the same codes plans and drops its
    'defective' (1) rows: the composite is the band's values below them, no data above."""
    from prospect.ingest.composite import plan_composite

    src = _masked_source(tmp_path, bands, "T31UFT_20220301T104021_SCL_20m.tif")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (red, *_) = plan_composite(src, _grid())
        got = _whole(red)
    assert np.isnan(got[:10]).all()
    np.testing.assert_array_equal(got[10:], bands["red"][10:].astype(np.float32))
