"""Tile delivery as partner agencies' clients meet it, round 33: the tile archive read by
GDAL, the static viewer's click on integer layers, and the HTTP edges a proxy sends.

The tiles stage is run once on SYNTHETIC score COGs in RD New (a float layer of random
values and integer layers of values in Int16, Int32, UInt32 and Int64) with an MBTiles
archive; the ``.mbtiles`` is read back with the real ``gdal_translate`` (GDAL 3.6 on this
machine, Debian 12's) tile by tile, at every zoom it holds, against the stage's own tiles,
and the COG is served by a live ``prospect serve`` (uvicorn on loopback, in this process)
to httpx. Each non-control case failed before: GDAL put the archive's pixels up to half a
pixel from where its tiles are, the static viewer's click said 16777216 for a cell of
16777217 and 9007199000000000 for one of 9007199254740993, the viewer's scripts went
uncompressed, a download resumed with an ``asctime()`` date was answered with another
file's bytes, and 512-pixel WebP archives GDAL 3.6 cannot read came without a word. All
data here are SYNTHETIC.
"""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import subprocess
import warnings
from pathlib import Path
from typing import Any

import morecantile
import numpy as np
import pytest
import rasterio
from PIL import Image
from rasterio.transform import from_origin

WEB_MERCATOR = morecantile.tms.get("WebMercatorQuad")
ORIGIN = (155003.0, 463007.0)  # RD New, off any Web Mercator pixel's edge
INTEGERS = {  # name: (dtype, first cell, nodata); cells run first, first + 2, ...
    "i16": ("int16", 1001, -1),
    "i32": ("int32", 2**24 + 1, -1),
    "u32": ("uint32", 4_000_000_001, 0),
    "i64": ("int64", 2**53 + 1, -1),
}


def _cog(path: Path, values: np.ndarray, cell: float, nodata: float | int) -> None:
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=values.shape[1],
        height=values.shape[0],
        count=1,
        dtype=values.dtype,
        crs="EPSG:28992",
        transform=from_origin(*ORIGIN, cell, cell),
        nodata=nodata,
        tiled=True,
    ) as ds:
        ds.write(values, 1)
        ds.update_tags(synthetic="true")


def _integers(dtype: str, first: int) -> np.ndarray:
    return (np.arange(16 * 16, dtype="i8").reshape(16, 16) * 2).astype(dtype) + np.array(
        first, dtype=dtype
    )


@pytest.fixture(scope="module")
def staged(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiles stage on a float layer (10 m, two zooms) and the integer layers (100 m),
    with MBTiles archives; its output folder."""
    from pipelines.context import RunContext
    from pipelines.stages.tiles import run
    from prospect.config.job import JobConfig
    from prospect.grid import RegionGrid

    out = tmp_path_factory.mktemp("round33") / "out"
    (out / "score").mkdir(parents=True)
    rng = np.random.default_rng(33)
    _cog(out / "score" / "heat.tif", rng.random((320, 320), dtype="f4"), 10.0, -9999.0)
    for name, (dtype, first, nodata) in INTEGERS.items():
        _cog(out / "score" / f"{name}.tif", _integers(dtype, first), 100.0, nodata)
    layers = [{"variable": n, "role": "value"} for n in ("heat", *INTEGERS)]
    job = JobConfig.model_validate(
        {
            "name": "round33",
            "synthetic": True,
            "region": "netherlands",
            "tiles": {
                "min_zoom": 8,
                "max_zoom": 16,
                "archive_formats": ["mbtiles"],
                "layers": layers,
            },
        }
    )
    grid = RegionGrid(
        crs="EPSG:28992",
        resolution=10.0,
        bounds=(155000.0, 459000.0, 159000.0, 463010.0),
        chunks=(256, 256),
        name="r33",
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run(RunContext(job=job, out_dir=out, grid=grid))
    (out / "warnings.txt").write_text("\n".join(str(w.message) for w in caught))
    return out


# -- the MBTiles archive read by GDAL ----------------------------------------------------


def _tiles(layer: Path) -> list[tuple[int, int, int, Path]]:
    return sorted(
        (int(p.parts[-3]), int(p.parts[-2]), int(p.stem), p)
        for p in layer.glob("[0-9]*/[0-9]*/[0-9]*.png")
    )


def _gdal_tile(archive: Path, z: int, x: int, y: int, out: Path) -> np.ndarray:
    """Tile ``z/x/y``'s extent of ``archive`` as the real ``gdal_translate`` reads it
    (``-oo ZOOM_LEVEL``: that zoom's tiles, as GDAL's overviews), RGBA."""
    b = WEB_MERCATOR.xy_bounds(x, y, z)
    subprocess.run(
        [
            "gdal_translate",
            "-q",
            "-oo",
            f"ZOOM_LEVEL={z}",
            "-projwin",
            repr(b.left),
            repr(b.top),
            repr(b.right),
            repr(b.bottom),
            "-outsize",
            "256",
            "256",
            str(archive),
            str(out),
        ],
        check=True,
        capture_output=True,
    )
    with rasterio.open(out) as ds:
        return ds.read().transpose(1, 2, 0)


@pytest.mark.skipif(shutil.which("gdal_translate") is None, reason="no GDAL command-line tools")
def test_gdal_reads_the_mbtiles_pixels_where_its_tiles_are(staged: Path, tmp_path: Path) -> None:
    """GDAL's MBTiles driver puts the raster's origin at the ``bounds`` row and reads the
    tiles from the nearest whole pixel: bounds between two pixel edges (the data's own)
    moved every pixel by up to half a pixel, so ``gdal_translate`` of a tile's extent
    differed from the tile in nearly every data pixel, at every zoom. Now each zoom's read
    is its tiles, pixel for pixel."""
    tiles = staged / "tiles"
    found = _tiles(tiles / "heat")
    assert len({z for z, *_ in found}) >= 2, found  # the top zoom and an overview
    for z, x, y, png in found:
        got = _gdal_tile(tiles / "heat.mbtiles", z, x, y, tmp_path / f"{z}_{x}_{y}.tif")
        with Image.open(png) as img:
            want = np.asarray(img.convert("RGBA"))
        differ = int((got != want).any(axis=2).sum())
        assert differ == 0, f"zoom {z} tile {x}/{y}: {differ} pixels differ"


def test_control_the_mbtiles_bounds_hold_the_data_and_the_tilejson_keeps_them(
    staged: Path,
) -> None:
    """Control: the archive's bounds are the data's widened by less than a pixel of its
    lowest zoom (MBTiles 1.3 allows bounds wider than the data); the TileJSON beside the
    tiles and inside the archive states the data's own, as before."""
    doc = json.loads((staged / "tiles" / "heat" / "tilejson.json").read_text())
    with sqlite3.connect(staged / "tiles" / "heat.mbtiles") as db:
        rows = dict(db.execute("SELECT name, value FROM metadata").fetchall())
    west, south, east, north = map(float, rows["bounds"].split(","))
    dw, ds_, de, dn = doc["bounds"]
    assert json.loads(rows["prospect"])["bounds"] == doc["bounds"]
    pixel_deg = 360.0 / (256 << doc["minzoom"])  # a lowest-zoom pixel, in longitude
    assert west <= dw and east >= de and south <= ds_ and north >= dn, (rows["bounds"], doc)
    assert max(dw - west, east - de, ds_ - south, north - dn) < pixel_deg


# -- the static viewer's click on integer layers -----------------------------------------


def _values_js(staged: Path) -> dict[str, Any]:
    text = (staged / "viewer" / "values.js").read_text()
    return json.loads(re.sub(r"^window\.PROSPECT_VALUES = |;\s*$", "", text))


def _cells(name: str) -> set[int]:
    dtype, first, _ = INTEGERS[name]
    return {int(v) for v in _integers(dtype, first).ravel()}


@pytest.mark.parametrize("name", ["i32", "u32"])
def test_the_static_viewer_gives_32_bit_cells_their_own_values(staged: Path, name: str) -> None:
    """An Int32 or UInt32 layer of values was sampled in float32: a click on a cell of
    16777217 said 16777216, one of 4000000001 said 4000000000 (values of no cell). Each
    value written is a cell's own."""
    data = [v for v in _values_js(staged)[name]["data"] if v is not None]
    assert data and all(isinstance(v, float) for v in data), data[:4]
    assert {int(v) for v in data} <= _cells(name), sorted(set(data))[:4]


def test_the_static_viewer_gives_int64_cells_past_2_53_as_their_digits(staged: Path) -> None:
    """An Int64 layer of values past 2^53 was sampled in float32 (GDAL warps Int64 through
    doubles besides): a cell of 9007199254740993 was written 9007199000000000.0. Each cell
    is its own integer now, written as digits where JavaScript's numbers would read it as
    another."""
    data = [v for v in _values_js(staged)["i64"]["data"] if v is not None]
    assert data, "no values"
    read = {int(v) for v in data}
    assert read <= _cells("i64"), sorted(read)[:4]
    assert all(isinstance(v, str) for v in data if int(v) != float(int(v))), data[:4]


def test_control_int16_and_float_layers_are_written_as_before(staged: Path) -> None:
    """Control: an Int16 layer of values and a float32 layer are written as the float32
    sample's shortest decimals, as before."""
    grids = _values_js(staged)
    i16 = {v for v in grids["i16"]["data"] if v is not None}
    assert i16 and all(isinstance(v, float) for v in i16)
    assert {int(v) for v in i16} <= _cells("i16")
    heat = [v for v in grids["heat"]["data"] if v is not None]
    assert heat and all(isinstance(v, float) and 0.0 <= v < 1.0 for v in heat)
    assert all(float(str(np.float32(v))) == v for v in heat[:200])  # float32 shortest


# -- HTTP: the served viewer's scripts, and resumed downloads ------------------------------


@pytest.fixture(scope="module")
def served(staged: Path) -> Any:
    """``prospect serve`` of the staged float layer (a live server on loopback)."""
    import yaml

    from tiles.testing import live_server

    config = staged / "serve.yaml"
    layers = [{"name": "heat", "cog": "score/heat.tif", "public": True}]
    config.write_text(yaml.safe_dump({"title": "Round 33 (synthetic)", "layers": layers}))
    with live_server(config) as live, live.client() as client:
        yield client


def test_the_viewers_scripts_go_gzip_compressed(served: Any) -> None:
    """The served viewer's Leaflet (148 kB) and basemap (560 kB) went uncompressed to a
    client that accepts gzip, where every other text answer is compressed: 710 kB for a
    partner's first visit on a slow link where about 220 kB do. Now gzip, under its own
    ETag, with ``Vary: Accept-Encoding``; a revalidation with either ETag is a 304."""
    on_disk = (Path(__file__).parents[2] / "tiles" / "static" / "basemap.js").read_bytes()
    r = served.get("/static/basemap.js", headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200 and r.headers.get("content-encoding") == "gzip", r.headers
    assert int(r.headers["content-length"]) < len(on_disk) / 2
    assert r.content == on_disk  # httpx decodes it
    assert "accept-encoding" in r.headers["vary"].lower()
    again = served.get(
        "/static/basemap.js",
        headers={"Accept-Encoding": "gzip", "If-None-Match": r.headers["etag"]},
    )
    assert again.status_code == 304, again.headers


def test_control_ranges_and_images_of_the_viewer_are_sent_as_they_are(served: Any) -> None:
    """Control: a range of a script is the file's own bytes (206, not compressed); a
    client that does not accept gzip and an image get the file as before."""
    on_disk = (Path(__file__).parents[2] / "tiles" / "static" / "basemap.js").read_bytes()
    part = served.get(
        "/static/basemap.js", headers={"Accept-Encoding": "gzip", "Range": "bytes=0-99"}
    )
    assert part.status_code == 206 and "content-encoding" not in part.headers
    assert part.content == on_disk[:100]
    plain = served.get("/static/basemap.js", headers={"Accept-Encoding": "identity"})
    assert plain.status_code == 200 and "content-encoding" not in plain.headers
    assert plain.content == on_disk
    png = served.get("/static/leaflet/images/layers.png", headers={"Accept-Encoding": "gzip"})
    assert png.status_code == 200 and "content-encoding" not in png.headers


def test_a_resumed_download_with_an_asctime_date_is_refused_when_the_file_changed(
    served: Any,
) -> None:
    """``If-Unmodified-Since`` in ANSI C's ``asctime()`` form (one of RFC 9110's three
    HTTP-date forms, which a server must accept) was ignored: a download resumed with it
    after the COG was republished got 206, the new file's bytes after the old file's.
    Now 412, as for the other two forms."""
    from email.utils import parsedate_to_datetime

    head = served.head("/download/heat.tif")
    before = parsedate_to_datetime(head.headers["last-modified"]).timestamp() - 86400
    import time

    for form in ("%a, %d %b %Y %H:%M:%S GMT", "%A, %d-%b-%y %H:%M:%S GMT", "%a %b %e %H:%M:%S %Y"):
        date = time.strftime(form, time.gmtime(before))
        r = served.get(
            "/download/heat.tif", headers={"Range": "bytes=100-199", "If-Unmodified-Since": date}
        )
        assert r.status_code == 412, (date, r.status_code)


def test_control_an_asctime_date_after_the_change_resumes_the_download(served: Any) -> None:
    """Control: the same date forms at or after the file's ``Last-Modified`` give 206."""
    import time
    from email.utils import parsedate_to_datetime

    head = served.head("/download/heat.tif")
    at = parsedate_to_datetime(head.headers["last-modified"]).timestamp()
    date = time.strftime("%a %b %e %H:%M:%S %Y", time.gmtime(at))
    r = served.get(
        "/download/heat.tif", headers={"Range": "bytes=100-199", "If-Unmodified-Since": date}
    )
    assert r.status_code == 206 and len(r.content) == 100, r.status_code


# -- 512-pixel WebP MBTiles and GDAL before 3.8 ------------------------------------------


def test_the_stage_says_gdal_before_3_8_cannot_read_512_pixel_webp_mbtiles(
    staged: Path, tmp_path: Path
) -> None:
    """GDAL learnt WebP MBTiles in 3.8; GDAL 3.6 (QGIS on Debian 12) takes WebP tiles for
    256-pixel ones, so an archive of 512-pixel WebP tiles reads as nothing
    ("Inconsistent tiles characteristics"), and the stage said nothing. It says so now,
    with what to set."""
    from pipelines.context import RunContext
    from pipelines.stages.tiles import run
    from prospect.config.job import JobConfig
    from prospect.errors import DataWarning
    from prospect.grid import RegionGrid

    out = tmp_path / "out"
    (out / "score").mkdir(parents=True)
    shutil.copy(staged / "score" / "i16.tif", out / "score" / "i16.tif")
    job = JobConfig.model_validate(
        {
            "name": "round33",
            "synthetic": True,
            "region": "netherlands",
            "tiles": {
                "format": "webp",
                "tile_size": 512,
                "archive_formats": ["mbtiles"],
                "layers": [{"variable": "i16", "role": "value"}],
            },
        }
    )
    grid = RegionGrid(
        crs="EPSG:28992",
        resolution=100.0,
        bounds=(155000.0, 459000.0, 159000.0, 463010.0),
        chunks=(256, 256),
        name="r33",
    )
    with pytest.warns(DataWarning, match=r"GDAL before 3\.8.*tiles\.format: png"):
        run(RunContext(job=job, out_dir=out, grid=grid))
    assert (out / "tiles" / "i16.mbtiles").is_file()  # written, as before


def test_control_a_png_archive_has_no_word_of_old_gdal(staged: Path) -> None:
    """Control: PNG archives (GDAL reads them in every version) are written without it."""
    assert "GDAL before 3.8" not in (staged / "warnings.txt").read_text()
