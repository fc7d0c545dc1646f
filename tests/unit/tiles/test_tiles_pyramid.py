"""Pyramids from COGs and zarr cubes: tile maths, contents, formats, atomic publication."""

from __future__ import annotations

import io
from pathlib import Path

import morecantile
import numpy as np
import pytest
import rasterio
from PIL import Image
from pyproj import Transformer

from tiles.pyramid import METATILE_PX, metatiles, tile_ranges, write_pyramid
from tiles.source import WEB_MERCATOR, cog_source, cube_source
from tiles.testing import values_from_rgba


def test_tile_ranges_cover_exactly_the_morecantile_tiles(tile_fixture) -> None:
    bounds = cog_source(tile_fixture.probability).lonlat_bounds
    ranges = tile_ranges(bounds, 10, 16)
    for z, (x0, y0, x1, y1) in ranges.items():
        expected = {(t.x, t.y) for t in WEB_MERCATOR.tiles(*bounds, zooms=[z])}
        got = {(x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)}
        assert got == expected, z
    blocks = list(metatiles(bounds, 10, 16, block=METATILE_PX // 256))
    total = sum(b.n_tiles for b in blocks)
    assert total == sum((r[2] - r[0] + 1) * (r[3] - r[1] + 1) for r in ranges.values())


def _decode(path: Path, cmap: str = "viridis") -> np.ndarray:
    with Image.open(path) as img:
        rgba = np.asarray(img.convert("RGBA"))
    return values_from_rgba(rgba, colormap=cmap, vmin=0, vmax=1)


def _source_values_at_tile(cog: Path, z: int, x: int, y: int, size: int) -> np.ndarray:
    b = WEB_MERCATOR.xy_bounds(morecantile.Tile(x, y, z))
    res = (b.right - b.left) / size
    cols, rows = np.meshgrid(np.arange(size) + 0.5, np.arange(size) + 0.5)
    mx, my = b.left + cols * res, b.top - rows * res
    ux, uy = Transformer.from_crs(3857, 32619, always_xy=True).transform(mx, my)
    with rasterio.open(cog) as src:
        data = src.read(1)
        r, c = rasterio.transform.rowcol(src.transform, ux.ravel(), uy.ravel())
    r, c = np.asarray(r), np.asarray(c)
    ok = (r >= 0) & (r < data.shape[0]) & (c >= 0) & (c < data.shape[1])
    out = np.full(r.shape, np.nan)
    out[ok] = data[r[ok], c[ok]]
    return out.reshape(size, size)


@pytest.mark.parametrize(("size", "fmt"), [(256, "png"), (512, "webp")])
def test_pyramid_tiles_hold_the_source_values(tile_fixture, tmp_path: Path, size, fmt) -> None:
    src = cog_source(tile_fixture.probability)
    result = write_pyramid(src, tmp_path / "pyr", colormap="viridis", vmin=0, vmax=1,
                           min_zoom=11, max_zoom=15, tile_size=size, fmt=fmt, workers=2)
    assert set(result.per_zoom) == set(range(11, 16))
    assert all(n > 0 for n in result.per_zoom.values())
    files = sorted((tmp_path / "pyr").glob(f"*/*/*.{fmt}"))
    assert len(files) == result.tiles_written
    for f in files[:: max(1, len(files) // 5)]:
        with Image.open(f) as img:
            assert img.size == (size, size) and img.mode == ("P" if fmt == "png" else "RGBA")
    z = 15
    b = src.lonlat_bounds
    centre = WEB_MERCATOR.tile((b[0] + b[2]) / 2, (b[1] + b[3]) / 2, z)
    x, y = centre.x, centre.y
    f = tmp_path / "pyr" / str(z) / str(x) / f"{y}.{fmt}"
    got = _decode(f)
    truth = _source_values_at_tile(tile_fixture.probability, z, x, y, size)
    both = np.isfinite(got) & np.isfinite(truth)
    assert both.sum() > 0.5 * got.size
    tol = 0.02 if fmt == "png" else 0.05
    assert np.quantile(np.abs(got[both] - truth[both]), 0.95) < tol
    # no data in the source is transparent in the tile
    assert np.isnan(got[~np.isfinite(truth)]).mean() > 0.95


def test_lower_zooms_are_consistent_with_higher(tile_fixture, tmp_path: Path) -> None:
    """A zoom-13 tile equals its four zoom-14 children averaged (overviews, not garbage)."""
    src = cog_source(tile_fixture.probability)
    write_pyramid(src, tmp_path / "pyr", colormap="viridis", vmin=0, vmax=1,
                  min_zoom=13, max_zoom=14, workers=1)
    parent = next(iter(sorted((tmp_path / "pyr" / "13").glob("*/*.png"))))
    px, py = int(parent.parent.name), int(parent.stem)
    mosaic = np.full((512, 512), np.nan)
    for dx in (0, 1):
        for dy in (0, 1):
            child = tmp_path / "pyr" / "14" / str(2 * px + dx) / f"{2 * py + dy}.png"
            if child.exists():
                mosaic[dy * 256:(dy + 1) * 256, dx * 256:(dx + 1) * 256] = _decode(child)
    down = np.nanmean(mosaic.reshape(256, 2, 256, 2), axis=(1, 3))
    up = _decode(parent)
    both = np.isfinite(down) & np.isfinite(up)
    assert both.sum() > 1000
    assert np.median(np.abs(down[both] - up[both])) < 0.01


def test_pyramid_from_a_cube_variable_matches_the_cog(tile_fixture, tile_cube, tmp_path) -> None:
    kw = dict(colormap="viridis", vmin=0, vmax=1, min_zoom=14, max_zoom=14, workers=1)
    from_cog = write_pyramid(cog_source(tile_fixture.probability), tmp_path / "a", **kw)
    from_cube = write_pyramid(cube_source(tile_cube, "probability"), tmp_path / "b", **kw)
    assert from_cube.tiles_written == from_cog.tiles_written > 0
    for f in sorted((tmp_path / "a").glob("*/*/*.png")):
        g = tmp_path / "b" / f.relative_to(tmp_path / "a")
        a, b = _decode(f), _decode(g)
        both = np.isfinite(a) & np.isfinite(b)
        assert both.sum() > 0.9 * np.isfinite(a).sum()
        assert np.quantile(np.abs(a[both] - b[both]), 0.99) < 0.02


def test_rewrite_replaces_atomically_and_leaves_no_staging(tile_fixture, tmp_path) -> None:
    src = cog_source(tile_fixture.probability)
    out = tmp_path / "pyr"
    write_pyramid(src, out, colormap="viridis", vmin=0, vmax=1, min_zoom=12, max_zoom=13)
    (out / "stale.txt").write_text("old")
    write_pyramid(src, out, colormap="magma", vmin=0, vmax=1, min_zoom=12, max_zoom=12)
    assert not (out / "stale.txt").exists() and not (out / "13").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["pyr"]


def test_bad_arguments_are_refused(tile_fixture, tmp_path) -> None:
    src = cog_source(tile_fixture.probability)
    with pytest.raises(ValueError, match="tile_size"):
        write_pyramid(src, tmp_path / "p", colormap="viridis", vmin=0, vmax=1, min_zoom=1,
                      max_zoom=2, tile_size=300)
    with pytest.raises(ValueError, match="zoom"):
        write_pyramid(src, tmp_path / "p", colormap="viridis", vmin=0, vmax=1, min_zoom=5,
                      max_zoom=2)


def test_missing_inputs_name_the_path(tmp_path) -> None:
    from prospect.errors import InputFileError

    with pytest.raises(InputFileError, match=r"nothing\.tif"):
        cog_source(tmp_path / "nothing.tif")
    with pytest.raises(InputFileError, match="cube"):
        cube_source(tmp_path / "none.zarr", "probability")


def test_cube_without_the_variable_is_a_data_error(tile_cube) -> None:
    from prospect.errors import DataError

    with pytest.raises(DataError, match="no variable 'nope'"):
        _ = cube_source(tile_cube, "nope").lonlat_bounds


def test_point_values(tile_fixture) -> None:
    src = cog_source(tile_fixture.probability)
    with rasterio.open(tile_fixture.probability) as ds:
        data = ds.read(1)
        x, y = ds.xy(150, 120)
    lon, lat = Transformer.from_crs(32619, 4326, always_xy=True).transform(x, y)
    assert src.point(lon, lat) == pytest.approx(float(data[150, 120]), abs=1e-6)
    assert src.point(0.0, 0.0) is None
    corner = Transformer.from_crs(32619, 4326, always_xy=True).transform(*ds.xy(2, 2))
    assert src.point(*corner) is None  # the NaN corner


def test_token_changes_when_the_file_changes(tile_fixture, tmp_path) -> None:
    import shutil
    import time

    copy = tmp_path / "p.tif"
    shutil.copy(tile_fixture.probability, copy)
    before = cog_source(copy).token
    time.sleep(0.01)
    copy.write_bytes(copy.read_bytes() + b"\0")
    assert cog_source(copy).token != before


def test_image_decodes_from_bytes(tile_fixture) -> None:
    from tiles.colormap import encode_image, render_rgba

    data = cog_source(tile_fixture.probability).read_tile(*_some_tile(tile_fixture), tile_size=256)
    rgba = render_rgba(data.filled(np.nan), colormap="viridis", vmin=0, vmax=1)
    with Image.open(io.BytesIO(encode_image(rgba))) as img:
        assert np.asarray(img)[..., 3].any()


def _some_tile(fx) -> tuple[int, int, int]:
    b = cog_source(fx.probability).lonlat_bounds
    t = WEB_MERCATOR.tile((b[0] + b[2]) / 2, (b[1] + b[3]) / 2, 14)
    return t.x, t.y, t.z


def test_process_and_thread_executors_write_the_same_tiles(tile_fixture, tmp_path) -> None:
    src = cog_source(tile_fixture.probability)
    kw = dict(colormap="viridis", vmin=0, vmax=1, min_zoom=12, max_zoom=14, workers=2)
    a = write_pyramid(src, tmp_path / "t", executor="thread", **kw)
    b = write_pyramid(src, tmp_path / "p", executor="process", **kw)
    assert a.tiles_written == b.tiles_written > 0 and a.per_zoom == b.per_zoom
    for f in sorted((tmp_path / "t").glob("*/*/*.png")):
        assert f.read_bytes() == (tmp_path / "p" / f.relative_to(tmp_path / "t")).read_bytes()
