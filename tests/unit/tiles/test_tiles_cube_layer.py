"""A served layer read from a zarr cube variable gives the same tiles and values as its COG."""

from __future__ import annotations

import io

import httpx
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
    with live_server(path) as server, httpx.Client(base_url=server.url) as c:
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
