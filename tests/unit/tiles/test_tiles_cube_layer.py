"""A served layer read from a zarr cube variable gives the same tiles and values as its COG."""

from __future__ import annotations

import io

import numpy as np
import yaml
from PIL import Image
from pyproj import Transformer

from tiles.source import WEB_MERCATOR
from tiles.testing import live_server, values_from_rgba


def test_cube_and_cog_layers_serve_the_same_map(tile_fixture, tile_cube, tmp_path) -> None:
    cfg = {
        "layers": [
            {"name": "from-cog", "cog": str(tile_fixture.probability), "public": True},
            {"name": "from-cube", "cube": str(tile_cube), "variable": "probability",
             "public": True},
        ],
    }
    path = tmp_path / "serve.yaml"
    path.write_text(yaml.safe_dump(cfg))
    w, s, e, n = Transformer.from_crs(32619, 4326, always_xy=True).transform_bounds(
        *tile_fixture.grid.bounds)
    t = WEB_MERCATOR.tile((w + e) / 2, (s + n) / 2, 15)
    with live_server(path) as server, server.client() as c:
        tiles = {}
        for name in ("from-cog", "from-cube"):
            r = c.get(f"/tiles/{name}/15/{t.x}/{t.y}.png")
            assert r.status_code == 200
            with Image.open(io.BytesIO(r.content)) as img:
                tiles[name] = values_from_rgba(np.asarray(img.convert("RGBA")),
                                               colormap="viridis", vmin=0, vmax=1)
        a, b = tiles["from-cog"], tiles["from-cube"]
        both = np.isfinite(a) & np.isfinite(b)
        assert both.mean() > 0.9 and np.quantile(np.abs(a[both] - b[both]), 0.99) < 0.02
        lon, lat = (w + e) / 2, (s + n) / 2
        v_cog = c.get("/point/from-cog", params={"lon": lon, "lat": lat}).json()["value"]
        v_cube = c.get("/point/from-cube", params={"lon": lon, "lat": lat}).json()["value"]
        assert v_cog is not None and abs(v_cog - v_cube) < 1e-6
        doc = c.get("/tilejson/from-cube.json").json()
        assert np.allclose(doc["bounds"], [w, s, e, n], atol=1e-3)


def _outside_tiles(bounds: tuple[float, float, float, float]) -> list[tuple[int, int, int]]:
    """Tiles just outside ``bounds`` (lon/lat) on each side, and one far away."""
    w, s, e, n = bounds
    lon, lat = (w + e) / 2, (s + n) / 2
    found = []
    for z in (13, 15, 17):
        east, west = WEB_MERCATOR.tile(e, lat, z), WEB_MERCATOR.tile(w, lat, z)
        north, south = WEB_MERCATOR.tile(lon, n, z), WEB_MERCATOR.tile(lon, s, z)
        found += [(z, east.x + 1, east.y), (z, west.x - 1, west.y),
                  (z, north.x, north.y - 1), (z, south.x, south.y + 1)]
    far = WEB_MERCATOR.tile(lon + 20, lat - 20, 5)
    return [*found, (5, far.x, far.y)]


def test_a_cube_layer_reads_nothing_outside_its_data_without_an_error(tile_fixture,
                                                                       tile_cube) -> None:
    """rioxarray's NoDataInBounds for a window just outside the cube was reported as a
    damaged layer (LayerDataError, a 503 with Retry-After); it is an empty tile."""
    from tiles.source import cube_source

    source = cube_source(tile_cube, "probability")
    for z, x, y in _outside_tiles(source.lonlat_bounds):
        data = source.read_tile(x, y, z)
        assert data.shape == (256, 256) and data.count() == 0, (z, x, y)
    _, s, e, n = source.lonlat_bounds
    assert source.point(e + 0.01, (s + n) / 2) is None


def test_a_cube_layer_serves_blank_tiles_and_maps_outside_its_data(
        tile_fixture, tile_cube, tmp_path, caplog) -> None:
    """Tiles and WMS GetMap just outside a cube layer are 200 and transparent, like its
    COG's, with nothing in the error log (they were 503 "damaged" and a false log entry)."""
    import logging

    cfg = {"layers": [{"name": "from-cube", "cube": str(tile_cube), "variable": "probability",
                       "public": True}]}
    path = tmp_path / "serve.yaml"
    path.write_text(yaml.safe_dump(cfg))
    w, s, e, n = Transformer.from_crs(32619, 4326, always_xy=True).transform_bounds(
        *tile_fixture.grid.bounds)
    with live_server(path) as server, server.client() as c, \
            caplog.at_level(logging.ERROR, logger="prospect.tiles"):
        for z, x, y in _outside_tiles((w, s, e, n)):
            r = c.get(f"/tiles/from-cube/{z}/{x}/{y}.png")
            assert r.status_code == 200, (z, x, y, r.text[:200])
            with Image.open(io.BytesIO(r.content)) as img:
                assert not np.asarray(img.convert("RGBA"))[..., 3].any()
        r = c.get("/wms", params={
            "SERVICE": "WMS", "VERSION": "1.3.0", "REQUEST": "GetMap", "LAYERS": "from-cube",
            "STYLES": "", "CRS": "EPSG:4326", "BBOX": f"{n + 0.01},{e + 0.01},{n + 0.02},"
            f"{e + 0.02}", "WIDTH": 64, "HEIGHT": 64, "FORMAT": "image/png"})
        assert r.status_code == 200 and r.headers["content-type"] == "image/png", r.text[:200]
        p = c.get("/point/from-cube", params={"lon": e + 0.01, "lat": (s + n) / 2})
        assert p.status_code == 200 and p.json()["value"] is None
    assert not [rec.getMessage() for rec in caplog.records], caplog.text
