"""Round 27c: a quality layer finer than the band it masks.

A quality layer was warped onto its band's pixels by nearest neighbour: each band pixel
took the code of the layer pixel under its centre. A Sentinel-2 60 m band (B01, B09)
under its 20 m scene classification kept a pixel eight ninths under cloud whenever its
centre was clear. SYNTHETIC files of a Sentinel-2 tile's names, written into ``tmp_path``,
read through the plain (``bands:``) source's real planning and chunk reads.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from prospect.config.sources import RasterSource
from prospect.grid import ChunkWindow, RegionGrid
from prospect.ingest.rasters import plan_raster

ORIGIN = (680000.0, 5770000.0)
SIDE = 1200.0  # metres: 20 x 60 m, 60 x 20 m
STEM = "T31UFT_20220301T104021"


def _grid(res: float) -> RegionGrid:
    left, top = ORIGIN
    n = int(SIDE / res)
    return RegionGrid(
        crs="EPSG:32631",
        resolution=res,
        bounds=(left, top - SIDE, left + SIDE, top),
        chunks=(n, n),
        name="cut",
    )


def _write(path: Path, values: np.ndarray, res: float, nodata: float) -> Path:
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=values.shape[1],
        height=values.shape[0],
        count=1,
        dtype=values.dtype.name,
        crs="EPSG:32631",
        nodata=nodata,
        transform=from_origin(*ORIGIN, res, res),
    ) as dst:
        dst.write(values[None])
    return path


def _scl(tmp_path: Path, cloudy: list[tuple[int, int]]) -> Path:
    """A 20 m SCL of vegetation (4) with the given 20 m pixels cloud (9)."""
    scl = np.full((60, 60), 4, np.uint8)
    for r, c in cloudy:
        scl[r, c] = 9
    return _write(tmp_path / f"{STEM}_SCL_20m.tif", scl, 20.0, 0)


def _masked(tmp_path: Path, band: str, res: float, scl: Path) -> np.ndarray:
    n = int(SIDE / res)
    values = (1000 + np.arange(n * n, dtype=np.uint16).reshape(n, n) % 500).astype(np.uint16)
    path = _write(tmp_path / f"{STEM}_{band}_{int(res)}m.tif", values, res, 0)
    src = RasterSource.model_validate(
        {
            "name": "s2",
            "bands": {band: str(path), "scl": str(scl)},
            "scale": 0.0001,
            "offset": -0.1,
            "cloud_mask": {"kind": "scl", "asset": "scl"},
        }
    )
    grid = _grid(res)
    layers = plan_raster(src, grid)
    return layers[0].compute(grid, ChunkWindow(0, 0, slice(0, n), slice(0, n)))


def _ring(r: int, c: int) -> list[tuple[int, int]]:
    """The eight 20 m pixels round the centre one of the 60 m pixel (r, c)."""
    return [(3 * r + i, 3 * c + j) for i in range(3) for j in range(3) if (i, j) != (1, 1)]


def test_a_60m_pixel_mostly_under_cloud_is_dropped(tmp_path: Path) -> None:
    """Eight of the nine 20 m SCL pixels under one 60 m B01 pixel are cloud, its centre
    vegetation: the pixel was kept with its cloudy value."""
    out = _masked(tmp_path, "B01", 60.0, _scl(tmp_path, _ring(4, 7)))
    assert np.isnan(out[4, 7]), out[4, 7]
    assert np.isfinite(np.delete(out.ravel(), 4 * 20 + 7)).all()


def test_one_cloudy_corner_drops_its_60m_pixel(tmp_path: Path) -> None:
    """One 20 m cloud pixel in the corner of a 60 m pixel: the pixel holds cloud."""
    out = _masked(tmp_path, "B09", 60.0, _scl(tmp_path, [(3 * 2, 3 * 5 + 2)]))
    assert np.isnan(out[2, 5]), out[2, 5]
    assert np.isfinite(out).sum() == 20 * 20 - 1


def test_a_60m_pixel_on_the_fill_edge_of_its_scl_is_dropped(tmp_path: Path) -> None:
    """The SCL's fill (0) covers the last of the three 20 m columns under the last 60 m
    column: those pixels' quality is partly unknown, and they were kept."""
    scl = np.full((60, 60), 4, np.uint8)
    scl[:, 59:] = 0
    path = _write(tmp_path / f"{STEM}_SCL_20m.tif", scl, 20.0, 0)
    out = _masked(tmp_path, "B01", 60.0, path)
    assert np.isnan(out[:, 19]).all(), out[:, 19]
    assert np.isfinite(out[:, :19]).all()


# -- controls ---------------------------------------------------------------------------


@pytest.mark.parametrize(("band", "res"), [("B05", 20.0), ("B04", 10.0)])
def test_a_band_as_fine_as_its_scl_or_finer_is_masked_pixel_for_pixel(
    tmp_path: Path, band: str, res: float
) -> None:
    """A 20 m band on its 20 m SCL, a 10 m band under it: each pixel keeps the class of
    the SCL pixel it lies in (the ring round the centre drops 8 of 9 20 m pixels)."""
    out = _masked(tmp_path, band, res, _scl(tmp_path, _ring(4, 7)))
    k = int(20 / res)
    expect = np.zeros((60, 60), bool)
    for r, c in _ring(4, 7):
        expect[r, c] = True
    expect = np.repeat(np.repeat(expect, k, axis=0), k, axis=1)
    assert (np.isnan(out) == expect).all()


def test_a_clear_scl_keeps_every_60m_value(tmp_path: Path) -> None:
    """A clear 20 m SCL over a 60 m band: every value as written."""
    out = _masked(tmp_path, "B01", 60.0, _scl(tmp_path, []))
    expect = (1000 + np.arange(400).reshape(20, 20) % 500) * 1e-4 - 0.1
    np.testing.assert_allclose(out, expect, atol=1e-6)


# -- 2. composites of scenes of UTM zones 31 and 32 under a config's CRS ------------------

ZONE_GRID = RegionGrid(
    crs="EPSG:32631",
    resolution=30.0,
    bounds=(700000.0, 5768200.0, 701800.0, 5770000.0),
    chunks=(60, 60),
    name="edge",
)
"""60 x 60 cells of zone 31 at about 5.9 E: near the zone edge, in both zones' scenes."""


def _zone_item(root: Path, n: int, epsg: int, value: int, stated: bool) -> dict[str, object]:
    """One item whose ``red`` asset covers the region in its own zone ``epsg``."""
    from rasterio.warp import transform_bounds

    left, bottom, right, top = transform_bounds("EPSG:32631", f"EPSG:{epsg}", *ZONE_GRID.bounds)
    x0, y0 = 30.0 * np.floor(left / 30.0) - 300, 30.0 * np.ceil(top / 30.0) + 300
    w, h = int((right - x0 + 300) // 30) + 1, int((y0 - bottom + 300) // 30) + 1
    path = root / f"z{epsg}_{n}.tif"
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=w,
        height=h,
        count=1,
        dtype="uint16",
        crs=f"EPSG:{epsg}",
        nodata=0,
        transform=from_origin(x0, y0, 30, 30),
    ) as dst:
        dst.write(np.full((1, h, w), value, np.uint16))
    grid = (
        {"proj:shape": [h, w], "proj:transform": [30, 0, x0, 0, -30, y0], "proj:epsg": epsg}
        if stated
        else {}
    )
    return {
        "type": "Feature",
        "stac_version": "1.0.0",
        "id": f"z{epsg}_{n}",
        "geometry": None,
        "properties": {"datetime": f"2022-03-{n + 1:02d}T10:40:21Z", "proj:epsg": epsg},
        "assets": {"red": {"href": str(path), "roles": ["data"], **grid}},
        "links": [],
    }


def _zones_composite(tmp_path: Path, stated: bool, crs: str | None) -> dict[str, np.ndarray]:
    import json

    from prospect.ingest.composite import plan_composite

    items = [
        _zone_item(tmp_path, 0, 32631, 100, stated),
        _zone_item(tmp_path, 1, 32632, 300, stated),
    ]
    coll = tmp_path / "items.json"
    coll.write_text(json.dumps({"type": "FeatureCollection", "features": items}))
    src = RasterSource.model_validate(
        {
            "name": "st",
            "stac": str(coll),
            "assets": {"red": "red"},
            **({"crs": crs} if crs else {}),
            "composite": {"method": "median", "count_variable": True},
        }
    )
    layers = plan_composite(src, ZONE_GRID)
    window = ChunkWindow(0, 0, slice(0, 60), slice(0, 60))
    return {layer.name: layer.compute(ZONE_GRID, window) for layer in layers}


@pytest.mark.parametrize("stated", [True, False])
def test_a_zone_32_item_is_not_read_in_the_configs_zone(tmp_path: Path, stated: bool) -> None:
    """Items of zones 31 and 32 (WRS-2 paths 197/198 over the Netherlands), the source's
    ``crs: EPSG:32631`` given (for files without one, or taken for the composite's own):
    the zone-32 scene was placed by its zone-32 coordinates read as zone 31, a zone away,
    dropped as outside the region, and the composite was the zone-31 scene alone
    (median 100, count 1) without a word, whether the items state their grids in full or
    the headers were read."""
    out = _zones_composite(tmp_path, stated=stated, crs="EPSG:32631")
    assert (out["st_count"] == 2).all(), np.unique(out["st_count"])
    np.testing.assert_array_equal(out["red"], np.full((60, 60), 200, np.float32))


@pytest.mark.parametrize("stated", [True, False])
def test_zones_31_and_32_composite_as_both(tmp_path: Path, stated: bool) -> None:
    """Control: without a config CRS, stated grids or headers: both scenes count (the
    files' own CRSs)."""
    out = _zones_composite(tmp_path, stated=stated, crs=None)
    assert (out["st_count"] == 2).all(), np.unique(out["st_count"])
    np.testing.assert_array_equal(out["red"], np.full((60, 60), 200, np.float32))


def test_a_file_without_a_crs_takes_the_configs(tmp_path: Path) -> None:
    """Control: a composite's file that carries no CRS is read in the config's ``crs:``
    (what the key is for), beside a zone-31 file that carries one."""
    import json

    from prospect.ingest.composite import plan_composite

    items = [_zone_item(tmp_path, n, 32631, v, False) for n, v in ((0, 100), (1, 300))]
    bare = Path(str(items[1]["assets"]["red"]["href"]))  # type: ignore[index]
    with rasterio.open(bare) as src:
        profile, values = src.profile, src.read()
    profile.pop("crs")
    with rasterio.open(bare, "w", **profile) as dst:
        dst.write(values)
    with rasterio.open(bare) as src:
        assert src.crs is None
    items[1]["properties"] = {"datetime": "2022-03-02T10:40:21Z"}
    coll = tmp_path / "items.json"
    coll.write_text(json.dumps({"type": "FeatureCollection", "features": items}))
    src_cfg = RasterSource.model_validate(
        {
            "name": "st",
            "stac": str(coll),
            "assets": {"red": "red"},
            "crs": "EPSG:32631",
            "composite": {"method": "median", "count_variable": True},
        }
    )
    layers = plan_composite(src_cfg, ZONE_GRID)
    window = ChunkWindow(0, 0, slice(0, 60), slice(0, 60))
    out = {layer.name: layer.compute(ZONE_GRID, window) for layer in layers}
    assert (out["st_count"] == 2).all(), np.unique(out["st_count"])
    np.testing.assert_array_equal(out["red"], np.full((60, 60), 200, np.float32))
