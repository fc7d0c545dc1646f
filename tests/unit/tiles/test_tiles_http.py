"""The server's plumbing without a server: conditional GET, the tile cache, source caches."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from tiles.cache import TileCache
from tiles.http import etag_matches
from tiles.source import WEB_MERCATOR, cog_source, cube_source


@pytest.mark.parametrize(("header", "etag", "match"), [
    ('"abc"', '"abc"', True),
    ('W/"abc"', '"abc"', True),
    ('"abc"', 'W/"abc"', True),
    ('"x", W/"abc" , "y"', '"abc"', True),
    ("*", '"abc"', True),
    ('"abd"', '"abc"', False),
    ('W/"ab"', '"abc"', False),
    ("", '"abc"', False),
    (None, '"abc"', False),
])
def test_weak_etags_match(header, etag, match) -> None:
    assert etag_matches(header, etag) is match


def test_tile_cache_is_lru_bounded_in_bytes() -> None:
    cache = TileCache(100)
    cache.put("a", b"x" * 40)
    cache.put("b", b"y" * 40)
    assert cache.get("a") == b"x" * 40  # a is now the most recent
    cache.put("c", b"z" * 40)  # over 100 bytes: the least recent (b) goes
    assert cache.get("b") is None and cache.get("a") is not None and cache.get("c") is not None
    assert cache.size == 80 and len(cache) == 2
    cache.put("big", b"q" * 101)  # larger than the whole cache: not stored
    assert cache.get("big") is None and cache.hits == 3 and cache.misses == 2


def _centre(src) -> tuple[int, int, int]:
    w, s, e, n = src.lonlat_bounds
    t = WEB_MERCATOR.tile((w + e) / 2, (s + n) / 2, 14)
    return t.x, t.y, t.z


@pytest.mark.parametrize("kind", ["cog", "cube"])
def test_reading_before_metadata_works(tile_fixture, tile_cube, kind) -> None:
    """The array/footprint caches never stand in for the metadata (KeyError 'bounds')."""
    x, y, z = _centre(cog_source(tile_fixture.probability))
    fresh = (cog_source(tile_fixture.probability) if kind == "cog"
             else cube_source(tile_cube, "probability"))
    data = fresh.read_tile(x, y, z)
    assert data.count() > 0
    assert fresh.point(*np.mean(np.reshape(fresh.lonlat_bounds, (2, 2)), axis=0)) is not None
    assert len(fresh.lonlat_bounds) == 4 and fresh.native_maxzoom >= 14


def test_a_replaced_cog_changes_the_token_and_the_values(tile_fixture, tmp_path) -> None:
    """Same size and mtime, new inode (an atomic replace): noticed, readers reopened."""
    path, new = tmp_path / "p.tif", tmp_path / "new.tif"
    a, b = tile_fixture.probability.read_bytes(), tile_fixture.uncertainty.read_bytes()
    size = max(len(a), len(b))  # same grid, other values; padded to the same file size
    path.write_bytes(a.ljust(size, b"\0"))
    new.write_bytes(b.ljust(size, b"\0"))
    src = cog_source(path)
    src.recheck_s = 0.0
    x, y, z = _centre(src)
    before_token, before = src.token, src.read_tile(x, y, z)
    st = path.stat()
    os.utime(new, ns=(st.st_atime_ns, st.st_mtime_ns))
    os.replace(new, path)
    assert src.token != before_token
    after = src.read_tile(x, y, z)
    assert not np.allclose(after.filled(0), before.filled(0))


def test_a_publish_is_seen_at_once_and_edits_in_place_within_recheck_s(tile_fixture,
                                                                       tmp_path) -> None:
    """The token follows the publish marker on every call (the served layer changed up to
    ``recheck_s`` after a rerun); the full digest of a cube's chunk files waits."""
    import os

    import xarray as xr

    from prospect.io.cube import add_variables, create_cube
    from tiles.source import cube_source
    from tiles.testing import field_values

    path = tmp_path / "p.tif"
    shutil.copy(tile_fixture.probability, path)
    src = cog_source(path)
    src.recheck_s = 3600.0
    token = src.token
    path.write_bytes(path.read_bytes() + b"\0")
    assert src.token != token  # seen at once, not an hour later

    cube = tmp_path / "c.zarr"
    create_cube(cube, tile_fixture.grid)
    da = xr.DataArray(field_values(tile_fixture.grid), dims=("y", "x"))
    add_variables(cube, xr.Dataset({"u": da}))
    src = cube_source(cube, "u")
    src.recheck_s = 3600.0
    token = src.token
    chunk = next(p for p in (cube / "u").rglob("*") if p.is_file() and p.name != "zarr.json")
    os.utime(chunk, ns=(1, 1))  # a chunk touched in place: not a publish
    assert src.token == token  # not looked at again yet
    assert src.refresh(force=True) and src.token != token
    token = src.token
    add_variables(cube, xr.Dataset({"u": da * 0.5}), overwrite=True)  # republished
    assert src.token != token


def test_rgba_png_and_uncoalesced_rendering_give_the_same_colours(tile_fixture) -> None:
    """The benchmark's like-with-like settings: RGBA PNG instead of paletted, no cache, no
    coalescing; the pixels are the same colours either way."""
    import io

    from PIL import Image
    from starlette.testclient import TestClient

    from prospect.config.tiles import load_serve_config
    from tiles.server import create_app

    cfg = load_serve_config(tile_fixture.config)
    x, y, z = _centre(cog_source(tile_fixture.probability))
    path = f"/tiles/probability/{z}/{x}/{y}.png"
    with TestClient(create_app(cfg)) as c:
        paletted = c.get(path).content
    cold = cfg.model_copy(update={"png_rgba": True, "cache_mb": 0, "coalesce_requests": False})
    with TestClient(create_app(cold)) as c:
        rgba = c.get(path).content
        again = c.get(path).content
    assert paletted[25] == 3 and rgba[25] == 6  # PNG colour types: palette, RGBA
    assert rgba == again

    def pixels(body: bytes) -> np.ndarray:
        with Image.open(io.BytesIO(body)) as img:
            return np.asarray(img.convert("RGBA"))
    assert np.array_equal(pixels(paletted), pixels(rgba))


def _open_on(path: Path) -> bool:
    """Whether this process has ``path`` open (its file descriptors' targets)."""
    fds = Path("/proc/self/fd")
    return any(os.path.realpath(fd) == os.path.realpath(path) for fd in fds.iterdir())


def test_a_stopped_server_leaves_its_access_log_closed(tile_fixture, tmp_path: Path) -> None:
    """Each server's access log file was left open when it stopped, for the garbage
    collector to close: a ``ResourceWarning`` in whatever code ran then (a CI of stop 66
    failed on one in another test's record of warnings). Stopped, the app's lifespan and
    :func:`tiles.testing.live_server` close it."""
    import yaml
    from starlette.testclient import TestClient

    from prospect.config.tiles import load_serve_config
    from tiles.server import create_app
    from tiles.testing import live_server

    cfg = yaml.safe_load(tile_fixture.config.read_text())
    for layer in cfg["layers"]:
        layer["cog"] = str(tile_fixture.root / layer["cog"])
    for how in ("lifespan", "live_server"):
        log = tmp_path / how / "access.log"
        cfg["access_log"] = str(log)
        (tmp_path / "serve.yaml").write_text(yaml.safe_dump(cfg))
        if how == "lifespan":
            with TestClient(create_app(load_serve_config(tmp_path / "serve.yaml"))) as c:
                assert c.get("/health").status_code == 200
                assert _open_on(log)
        else:
            with live_server(tmp_path / "serve.yaml") as server, server.client() as c:
                assert c.get("/health").status_code == 200
                assert _open_on(log)
        assert log.read_text().count("\n") == 1, how
        assert not _open_on(log), how
