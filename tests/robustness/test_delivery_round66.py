"""Delivery, round 66: an MBTiles archive's ``bounds`` row written with its Web Mercator
round trip's float noise (``4.998779296875005`` for the pixel edge ``4.998779296875``,
round 65b left it), and a WMS/WMTS ``TIME=`` range holding none of a layer's dates
refused as "is not one of its dates" (a range is no date; round 65b left it).

A partner agency's GIS staff open the tiles stage's one-file archive with GDAL (its
MBTiles driver places the raster's origin at the ``bounds`` row) and ask the tile server
for a month of maps (``TIME=start/end``, as QGIS's temporal controller and OpenLayers'
time pickers write it). The archive is written by :func:`tiles.archive.write_mbtiles` of a
SYNTHETIC pyramid; the server is the app of a serve config in process (Starlette's
``TestClient``) over round 44's SYNTHETIC zarr v3 cube (``heat``, ``X`` over three dates,
0.01 degree cells over 5..6 E, 52..53 N). All data here are SYNTHETIC.
"""

from __future__ import annotations

import socket
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from fractions import Fraction
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
import rasterio
from PIL import Image
from starlette.testclient import TestClient

from prospect.config.tiles import load_serve_config
from prospect.errors import ConfigError
from tests.robustness.test_serving_round44 import DATES, _cube
from tiles.archive import write_mbtiles
from tiles.grids import pixel_edge_bounds
from tiles.server import create_app, listen_socket

# -- 1. the MBTiles bounds, on the pixel edges exactly ----------------------------------------


def _pyramid(root: Path, zooms: tuple[int, ...], bounds: tuple[float, float, float, float]
             ) -> Path:
    """A SYNTHETIC pyramid of ``zooms``: one opaque 256 px PNG per tile over ``bounds``
    (each tile's colour its own, so that a tile read back is known by its bytes)."""
    import morecantile

    tms = morecantile.tms.get("WebMercatorQuad")
    for z in zooms:
        for t in tms.tiles(*bounds, [z]):
            tile = root / str(z) / str(t.x) / f"{t.y}.png"
            tile.parent.mkdir(parents=True, exist_ok=True)
            Image.new("RGBA", (256, 256), (t.x % 256, t.y % 256, z, 255)).save(tile)
    return root


def _rows(path: Path) -> dict[str, str]:
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        return dict(db.execute("SELECT name, value FROM metadata").fetchall())


def _tiles(path: Path) -> dict[tuple[int, int, int], bytes]:
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        return {(z, x, y): bytes(b) for z, x, y, b in db.execute(
            "SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles")}


NL = (5.0, 52.0, 6.0, 53.0)
BONAIRE = (-68.4, 12.0, -68.1, 12.4)


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The MBTiles archive of a SYNTHETIC pyramid over 5..6 E, 52..53 N at zooms 7 and 8."""
    root = tmp_path_factory.mktemp("round66mbtiles")
    return write_mbtiles(_pyramid(root / "p", (7, 8), NL), root / "nl.mbtiles", bounds=NL,
                         name="nl (synthetic)")


def test_the_mbtiles_bounds_row_is_the_pixel_edges_exactly(archive: Path) -> None:
    """The ``bounds`` row of an archive over 5..6 E, 52..53 N (zoom 7 its lowest) was
    ``4.998779296875005,51.998410382390325,6.0095214843750115,53.001562274591464``: the
    pixel edges 4.998779296875 and 6.009521484375 (dyadic, exact in a float) came back
    from their Web Mercator round trip with float noise. Now they are written exact; the
    latitudes (no decimal is exact) as before."""
    assert _rows(archive)["bounds"] == (
        "4.998779296875,51.998410382390325,6.009521484375,53.001562274591464")


@pytest.mark.parametrize(("bounds", "zoom"), [
    (NL, 7), (NL, 12), (BONAIRE, 9), (BONAIRE, 14), ((103.1, 22.2, 103.7, 22.6), 10),
    ((-63.25, 17.45, -62.9, 18.12), 11), ((107.5, 11.8, 107.9, 12.2), 6)])
def test_pixel_edge_longitudes_are_whole_pixels_of_the_zoom(
        bounds: tuple[float, float, float, float], zoom: int) -> None:
    """The class: each longitude :func:`tiles.grids.pixel_edge_bounds` gives is a whole
    number of the zoom's pixels east of -180 (``-180 + k * 360 / (256 << zoom)``, exact in
    a float), over the Netherlands, Bonaire, Lai Chau, Saba and the Central Highlands at
    several zooms; it was off by one to a few units in the last place. The bounds still
    hold the data."""
    w, s, e, n = pixel_edge_bounds(bounds, zoom=zoom)
    for lon in (w, e):
        pixels = (Fraction(lon) + 180) * (256 << zoom) / 360
        assert pixels.denominator == 1, (lon, zoom, float(pixels))
    assert w <= bounds[0] and e >= bounds[2] and s <= bounds[1] and n >= bounds[3]
    assert e - w < bounds[2] - bounds[0] + 2 * 360 / (256 << zoom)


def test_pixel_edge_longitudes_of_a_512_pixel_pyramid_too() -> None:
    """The same for a pyramid of 512-pixel tiles (``WebMercatorQuad512``'s archives)."""
    w, _, e, _ = pixel_edge_bounds(BONAIRE, zoom=9, tile_size=512)
    assert (w, e) == (-68.4008789062500, -68.0987548828125)


def test_control_gdal_reads_the_same_raster_from_the_archive(archive: Path) -> None:
    """control: GDAL's MBTiles driver reads the archive as before, on zoom 8's pixels:
    184 x 300 pixels (zooms 7..8), 4 bands, its origin the zoom 7 pixel edge
    556461.5659160836 m east (6e-10 m from where the noisy row put it), and the tiles'
    bytes are the pyramid's, unchanged."""
    with rasterio.open(archive) as ds:
        assert (ds.width, ds.height, ds.count) == (184, 300, 4)
        assert ds.transform.c == pytest.approx(556461.5659160836, abs=1e-6)
        assert ds.transform.a == pytest.approx(2 * 20037508.342789244 / (256 << 8), rel=1e-12)
        assert ds.overviews(1) == [2]
    tiles = _tiles(archive)
    root = archive.parent / "p"
    assert len(tiles) == sum(1 for _ in root.rglob("*.png"))
    for (z, x, row), data in tiles.items():
        assert data == (root / str(z) / str(x) / f"{(1 << z) - 1 - row}.png").read_bytes()


def test_control_a_world_archive_keeps_its_bounds(tmp_path: Path) -> None:
    """control: an archive of the whole Web Mercator world keeps its row
    ``-180.0,-85.0511287798066,180.0,85.0511287798066`` byte for byte."""
    world = (-180.0, -85.0511287798066, 180.0, 85.0511287798066)
    path = write_mbtiles(_pyramid(tmp_path / "p", (0,), world), tmp_path / "w.mbtiles",
                         bounds=world, name="w (synthetic)")
    assert _rows(path)["bounds"] == "-180.0,-85.0511287798066,180.0,85.0511287798066"


# -- 2. a TIME= range of none of a layer's dates: "holds none of its dates" ----------------


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    root = tmp_path_factory.mktemp("round66serve")
    _cube(root / "cube.zarr", DATES)
    cfg = root / "site.yaml"
    cfg.write_text(
        "title: Round 66 (synthetic)\nlayers:\n"
        "  - {name: series, title: Series, cube: cube.zarr, variable: X, dates: all,"
        " public: true}\n"
        "  - {name: x2020, cube: cube.zarr, variable: X, date: 2020-06-01, public: true}\n")
    with TestClient(create_app(load_serve_config(cfg), config_path=cfg)) as c:
        yield c


GETMAP = ("/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&CRS=EPSG:3857"
          "&BBOX=556597,6887893,634869,6966165&WIDTH=256&HEIGHT=256&STYLES="
          "&FORMAT=image/png&LAYERS=")
GETTILE = ("/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&STYLE=default"
           "&TILEMATRIXSET=WebMercatorQuad&TILEMATRIX=7&TILEROW=41&TILECOL=65"
           "&FORMAT=image/png&LAYER=")
SERIES = ("layer 'series' holds the maps of 3 dates, its time dimension's values, and "
          "TIME='{time}' holds none of its dates: ask one of them (2019-06-01, "
          "2020-06-01, 2021-06-01; the nearest is {near}: TIME={near}) or leave TIME out "
          "for 2021-06-01")


def _error(r: Any) -> str:
    return "".join(ElementTree.fromstring(r.content).itertext()).strip()


@pytest.mark.parametrize(("time", "near"), [
    ("2019-05-01/2019-05-31", "2019-06-01"), ("2022-01-01/P1M", "2021-06-01"),
    ("2019-07-01T00:00Z/2019-07-31T12:00Z", "2019-06-01")])
def test_a_wms_time_range_of_none_of_its_dates_says_so(client: TestClient, time: str,
                                                       near: str) -> None:
    """``TIME=2019-05-01/2019-05-31`` (a month, as QGIS's temporal controller asks) on a
    layer of three dates was refused "TIME='2019-05-01/2019-05-31' is not one of its
    dates": a range is no date. Now it "holds none of its dates"; the code, locator, dates
    and nearest as before."""
    r = client.get(GETMAP + "series&TIME=" + time)
    assert r.status_code == 400
    assert b'code="InvalidDimensionValue" locator="TIME"' in r.content
    assert _error(r) == SERIES.format(time=time, near=near)


def test_a_wmts_time_range_of_none_of_its_dates_says_so(client: TestClient) -> None:
    """The same range by WMTS KVP ``TIME=``: one message, in OWS's exception report."""
    r = client.get(GETTILE + "series&TIME=2019-05-01/2019-05-31")
    assert r.status_code == 400
    assert "TIME='2019-05-01/2019-05-31' holds none of its dates" in _error(r), r.text
    assert "is not one of its dates" not in r.text


def test_a_point_time_range_of_none_of_its_dates_says_so(client: TestClient) -> None:
    """``/point`` (the viewer's value query) with ``time=`` a range: the same words."""
    r = client.get("/point/series", params={"lon": 5.5, "lat": 52.5,
                                            "time": "2019-05-01/2019-05-31"})
    assert r.status_code == 400
    assert "time='2019-05-01/2019-05-31' holds none of its dates" in r.json()["error"]


def test_a_range_on_a_layer_of_one_date_says_so(client: TestClient) -> None:
    """A layer of one date (``date: 2020-06-01``) asked ``TIME=2019-06-01/P1D`` was told
    the interval "is not one of its dates"; now it "holds none of its dates", the layer
    of the date asked still named."""
    r = client.get(GETMAP + "x2020&TIME=2019-06-01/P1D")
    assert r.status_code == 400
    text = _error(r)
    assert text.startswith(
        "layer 'x2020' is the map of 2020-06-01, the one value of its time dimension, and "
        "TIME='2019-06-01/P1D' holds none of its dates: ask TIME=2020-06-01 or leave TIME "
        "out; the map of 2019-06-01 is layer 'series' at TIME=2019-06-01"), text


@pytest.mark.parametrize("time", ["2018-01-01", "2019-05", "2019-06-01T23:00:00-05:00"])
def test_control_a_single_time_keeps_its_words(client: TestClient, time: str) -> None:
    """control: one time (a day, a month, a time on another day in UTC) still "is not one
    of its dates", with the UTC note where there was one."""
    text = _error(client.get(GETMAP + "series&TIME=" + time))
    assert f"TIME='{time}'" in text and "is not one of its dates" in text, text
    assert "holds none" not in text
    if "-05:00" in time:
        assert "on 2019-06-02 in UTC" in text, text


def test_control_a_range_holding_one_date_is_its_map(client: TestClient) -> None:
    """control: a range holding one of its dates is that date's map, byte for byte."""
    ranged = client.get(GETMAP + "series&TIME=2019-05-01/2019-06-30")
    day = client.get(GETMAP + "series&TIME=2019-06-01")
    assert ranged.status_code == day.status_code == 200
    assert ranged.content == day.content


# -- 3. controls: probed and sound ---------------------------------------------------------


def test_control_a_port_in_use_is_refused_naming_it_and_port() -> None:
    """control: ``prospect serve`` on a port another server listens on is refused before
    anything starts, naming the address, the port and ``--port``."""
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        with pytest.raises(ConfigError) as info:
            listen_socket("127.0.0.1", port)
    assert str(info.value) == (
        f"serve: cannot listen on 127.0.0.1:{port} (Address already in use); another "
        "server uses that port: stop it or choose another with --port (0 picks a free one)")
