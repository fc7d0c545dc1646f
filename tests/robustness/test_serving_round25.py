"""The tile server as partner agencies' clients meet it, round 25 (COGs whose alpha band says
where the data are, a served COG replaced by a file of another kind, WMTS scale
denominators with float noise, and the clean-path rule's redirects without caching
headers; controls: internal masks and nodata of NaN or a number, Web Mercator's scale set).

A real server (uvicorn on loopback, in this process) answers real HTTP requests from httpx
and raw sockets; the COGs with an alpha band are written by GDAL's own tools (``gdalwarp
-dstalpha``, ``gdal_translate -of COG``) as a user's would be. Each case failed before: an
alpha band's transparent cells were drawn as their values (0 here: a probability of 0
painted over the no-data half), and every cell of such a COG was "outside" to ``/point`` and
GetFeatureInfo; a COG renamed over by an RGB quick-look or a tile archive while served was
drawn as its first band; RD New's level 0 was written ``12288000.000000002``; a ``301`` of
the clean-path rule (``/tiles/./p/...``) carried no Cache-Control. All data here are
SYNTHETIC.
"""

from __future__ import annotations

import io
import os
import shutil
import socket
import sqlite3
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import morecantile
import numpy as np
import pytest
import rasterio
import yaml
from PIL import Image
from pyproj import Transformer
from rasterio.transform import from_origin

from tests.robustness import test_serving_round16 as round16
from tests.robustness.conftest import assert_clean_error
from tests.robustness.test_serving_round16 import _tile
from tiles.testing import live_server
from tiles.wmts import WmtsLayer, WmtsService, capabilities_xml

site = round16.site  # round 16's fixtures: the COGs and one server for read-only cases
served = round16.served

GDALWARP = shutil.which("gdalwarp")
GDAL_TRANSLATE = shutil.which("gdal_translate")
WMTS = "{http://www.opengis.net/wmts/1.0}"
OWS = "{http://www.opengis.net/ows/1.1}"

# SYNTHETIC: 200 x 200 cells of 10 m on Bonaire (UTM 19N); the west half holds no data
# (value 0.9 under an internal mask, NaN, -9999 or alpha 0 as each file says), the east 0.2
ORIGIN = (566000.0, 1343000.0)
SIZE = 200
TO_LONLAT = Transformer.from_crs(32619, 4326, always_xy=True)


def _values(fill: float) -> np.ndarray:
    values = np.full((SIZE, SIZE), 0.2, "f4")
    values[:, : SIZE // 2] = fill
    return values


def _profile(**extra: Any) -> dict[str, Any]:
    return dict(driver="GTiff", width=SIZE, height=SIZE, crs="EPSG:32619", dtype="float32",
                transform=from_origin(*ORIGIN, 10, 10), tiled=True, blockxsize=128,
                blockysize=128, **extra)


def _write_layers(root: Path) -> list[str]:
    """SYNTHETIC COGs of one map, its no-data half said four ways."""
    with rasterio.open(root / "num.tif", "w", count=1, nodata=-9999, **_profile()) as ds:
        ds.write(_values(-9999), 1)
        ds.update_tags(synthetic="true")
        ds.build_overviews([2, 4])
    with rasterio.open(root / "nan.tif", "w", count=1, nodata=float("nan"), **_profile()) as ds:
        ds.write(_values(float("nan")), 1)
        ds.update_tags(synthetic="true")
        ds.build_overviews([2, 4])
    mask = np.full((SIZE, SIZE), 255, "u1")
    mask[:, : SIZE // 2] = 0
    with rasterio.Env(GDAL_TIFF_INTERNAL_MASK=True), \
            rasterio.open(root / "mask.tif", "w", count=1, **_profile()) as ds:
        ds.write(_values(0.9), 1)
        ds.write_mask(mask)
        ds.update_tags(synthetic="true")
        ds.build_overviews([2, 4])
    # packed as many producers write probabilities: UInt16 counts, scale 0.0001, nodata
    # 65535 (gdal_translate -ot UInt16 -scale 0 1 0 10000, gdal_edit.py -scale 0.0001)
    counts = np.full((SIZE, SIZE), 5000, "u2")
    counts[:, : SIZE // 2] = 65535
    with rasterio.open(root / "packed.tif", "w", count=1, nodata=65535,
                       **{**_profile(), "dtype": "uint16"}) as ds:
        ds.write(counts, 1)
        ds.scales, ds.offsets = (0.0001,), (0.0,)
        ds.update_tags(synthetic="true")
        ds.build_overviews([2, 4])
    with rasterio.open(root / "half.tif", "w", count=1, nodata=-9999, **_profile()) as ds:
        ds.write(np.where(_values(-9999) == -9999, -9999, 0.5).astype("f4"), 1)
        ds.update_tags(synthetic="true")
        ds.build_overviews([2, 4])
    names = ["num", "nan", "mask", "packed", "half"]
    if GDALWARP and GDAL_TRANSLATE:
        # as a user makes one: gdalwarp -dstalpha (Float32 alpha, 0 or 255), then a COG
        warped = root / "alpha_warped.tif"
        subprocess.run([GDALWARP, "-q", "-dstalpha", "-srcnodata", "-9999", "-dstnodata",
                        "None", str(root / "num.tif"), str(warped)], check=True)
        subprocess.run([GDAL_TRANSLATE, "-q", "-of", "COG", "-co", "BLOCKSIZE=128", str(warped),
                        str(root / "alpha.tif")], check=True)
        warped.unlink()
        names.append("alpha")
    shutil.copy(root / "num.tif", root / "swapped.tif")  # replaced while served
    names.append("swapped")
    return names


@pytest.fixture(scope="module")
def masked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("round25")
    names = _write_layers(root)
    config = {
        "title": "Round 25 masks (synthetic)", "min_zoom": 0, "max_zoom": 18,
        "layers": [{"name": n, "cog": f"{n}.tif", "colormap": "viridis", "public": True,
                    "vmin": 0.0, "vmax": 1.0} for n in names],
    }
    path = root / "serve.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    with live_server(path) as server, server.client(timeout=60) as client:
        yield {"root": root, "client": client, "names": names}


def _lonlat(x: float) -> tuple[float, float]:
    return TO_LONLAT.transform(x, ORIGIN[1] - SIZE * 10 / 2)


def _rgba(r: httpx.Response) -> np.ndarray:
    assert r.status_code == 200, (r.status_code, r.text[:300])
    with Image.open(io.BytesIO(r.content)) as img:
        return np.asarray(img.convert("RGBA"))


def _centre_tile(z: int) -> morecantile.Tile:
    lon, lat = TO_LONLAT.transform(ORIGIN[0] + SIZE * 10 / 2, ORIGIN[1] - SIZE * 10 / 2)
    return morecantile.tms.get("WebMercatorQuad").tile(lon, lat, z)


# -- COGs whose no data an alpha band says ------------------------------------------------

@pytest.mark.parametrize(("name", "z"), [
    ("alpha", 12), ("alpha", 14), ("alpha", 17), ("mask", 14), ("nan", 14)])
def test_a_cogs_no_data_half_is_transparent_however_the_file_says_it(
        masked: dict[str, Any], name: str, z: int) -> None:
    """``gdalwarp -dstalpha`` writes a Float32 alpha band (0 or 255) beside Float32 values;
    GDAL takes such a band as the mask only for Byte and UInt16 bands, so the cells it
    marks transparent were warped as their values (0 here) and drawn: the no-data half of
    the map painted as probability 0. Its tiles are now those of the same map with an
    internal mask, a NaN or a numeric nodata (the mask and NaN files are controls)."""
    if name not in masked["names"]:
        pytest.skip("GDAL's command-line tools are not installed")
    tile = _centre_tile(z)
    got = _rgba(masked["client"].get(f"/tiles/{name}/{z}/{tile.x}/{tile.y}.png"))
    want = _rgba(masked["client"].get(f"/tiles/num/{z}/{tile.x}/{tile.y}.png"))
    drawn, held = got[..., 3] > 0, want[..., 3] > 0
    assert not (drawn & ~held).any(), (drawn & ~held).sum()  # nothing where no data are
    # the same cells, but for a ring one pixel wide where GDAL's warp weighs an alpha band's
    # edge (an overview's) otherwise than a nodata value's
    assert drawn.sum() >= 0.9 * held.sum(), (drawn.sum(), held.sum())
    colours = {tuple(c) for c in got[got[..., 3] > 0][:, :3].tolist()}
    assert len(colours) == 1, sorted(colours)[:5]  # 0.2 only; never 0 nor a blend with it


@pytest.mark.parametrize("name", ["alpha", "mask"])
def test_a_cogs_cells_are_read_where_it_has_data_and_none_where_not(
        masked: dict[str, Any], name: str) -> None:
    """``/point`` of a COG with an alpha band said ``"inside": false`` for every cell, the
    valid ones too (rio-tiler takes Float32 alpha for opaque only at 3.4e38): 0.2 in the
    east half, nothing in the west, as for a COG with an internal mask (a control)."""
    if name not in masked["names"]:
        pytest.skip("GDAL's command-line tools are not installed")
    client = masked["client"]
    west = client.get(f"/point/{name}", params=dict(zip(("lon", "lat"), _lonlat(566500),
                                                        strict=True))).json()
    east = client.get(f"/point/{name}", params=dict(zip(("lon", "lat"), _lonlat(567500),
                                                        strict=True))).json()
    assert (west["value"], west["inside"]) == (None, True)  # no data, inside the layer (round 30)
    assert (east["value"], east["inside"]) == (0.2, True)


def test_getfeatureinfo_of_a_cog_with_an_alpha_band_answers_its_value(
        masked: dict[str, Any]) -> None:
    """QGIS's identify tool on such a layer (WMS GetFeatureInfo) found no value anywhere."""
    if "alpha" not in masked["names"]:
        pytest.skip("GDAL's command-line tools are not installed")
    (w, s), (e, n) = _lonlat(567400), _lonlat(567600)
    r = masked["client"].get("/wms", params={
        "SERVICE": "WMS", "VERSION": "1.3.0", "REQUEST": "GetFeatureInfo", "LAYERS": "alpha",
        "QUERY_LAYERS": "alpha", "STYLES": "", "CRS": "CRS:84", "BBOX": f"{w},{s - 1e-4},"
        f"{e},{n + 1e-4}", "WIDTH": 10, "HEIGHT": 10, "I": 5, "J": 5,
        "INFO_FORMAT": "application/json"})
    assert r.status_code == 200, r.text[:300]
    assert r.json()["features"][0]["properties"]["value"] == 0.2


def test_the_tiles_stages_reads_of_an_alpha_cog_leave_its_no_data_out(
        masked: dict[str, Any]) -> None:
    """The tiles stage's pyramid reads through the same warp (``read_mercator``): its PNGs
    painted the transparent half as 0 too. Values read now: none in the west half."""
    if "alpha" not in masked["names"]:
        pytest.skip("GDAL's command-line tools are not installed")
    from tiles.source import cog_source

    tile = _centre_tile(15)
    got = cog_source(masked["root"] / "alpha.tif").read_tile(tile.x, tile.y, 15)
    want = cog_source(masked["root"] / "num.tif").read_tile(tile.x, tile.y, 15)
    assert (np.ma.getmaskarray(got) == np.ma.getmaskarray(want)).all()
    assert np.allclose(got.compressed(), 0.2)


# -- packed COGs: stored counts with a scale and offset --------------------------------

def test_a_packed_cogs_point_is_its_value_not_its_stored_count(
        masked: dict[str, Any]) -> None:
    """A COG of UInt16 counts with scale 0.0001 (GDAL's band scale) answered ``/point``
    with the count, 5000, where the probability is 0.5 (the pipeline's own reader unpacks
    it): now 0.5, and no data where the stored nodata is."""
    client = masked["client"]
    east = client.get("/point/packed", params=dict(zip(("lon", "lat"), _lonlat(567500),
                                                       strict=True))).json()
    west = client.get("/point/packed", params=dict(zip(("lon", "lat"), _lonlat(566500),
                                                       strict=True))).json()
    assert (east["value"], east["inside"]) == (0.5, True)
    assert (west["value"], west["inside"]) == (None, True)  # no data, inside the layer (round 30)


@pytest.mark.parametrize("z", [12, 14, 17])
def test_a_packed_cog_is_drawn_as_its_values(masked: dict[str, Any], z: int) -> None:
    """Its tiles were all the ramp's top colour (5000 is far above vmax 1); they are now
    byte for byte those of the same values stored as Float32."""
    tile = _centre_tile(z)
    got = _rgba(masked["client"].get(f"/tiles/packed/{z}/{tile.x}/{tile.y}.png"))
    want = _rgba(masked["client"].get(f"/tiles/half/{z}/{tile.x}/{tile.y}.png"))
    assert (got == want).all()


def test_a_packed_cogs_wms_map_and_feature_info_are_its_values(
        masked: dict[str, Any]) -> None:
    """WMS GetMap and GetFeatureInfo (QGIS's identify) read the same unpacked values."""
    (w, s), (e, n) = _lonlat(566000), _lonlat(568000)
    base = {"SERVICE": "WMS", "VERSION": "1.3.0", "STYLES": "", "CRS": "CRS:84",
            "BBOX": f"{w},{s - 0.005},{e},{n + 0.005}", "WIDTH": 40, "HEIGHT": 40}
    maps = [_rgba(masked["client"].get("/wms", params={
        **base, "REQUEST": "GetMap", "LAYERS": name, "FORMAT": "image/png"}))
        for name in ("packed", "half")]
    assert (maps[0] == maps[1]).all()
    info = masked["client"].get("/wms", params={
        **base, "REQUEST": "GetFeatureInfo", "LAYERS": "packed", "QUERY_LAYERS": "packed",
        "I": 35, "J": 20, "INFO_FORMAT": "application/json"})
    assert info.json()["features"][0]["properties"]["value"] == 0.5, info.text[:300]


# -- a served COG replaced by a file of another kind --------------------------------------

def _replace(path: Path, make: Any) -> None:
    staged = path.with_name(path.stem + ".new")
    make(staged)
    os.replace(staged, path)


def _rgb(path: Path) -> None:
    """SYNTHETIC: an RGB quick-look of the same grid (three Byte bands of 200)."""
    with rasterio.open(path, "w", driver="GTiff", width=SIZE, height=SIZE, count=3,
                       dtype="uint8", crs="EPSG:32619",
                       transform=from_origin(*ORIGIN, 10, 10)) as ds:
        ds.write(np.full((3, SIZE, SIZE), 200, "u1"))


def _mbtiles(path: Path) -> None:
    """SYNTHETIC: a one-tile MBTiles 1.3 archive (what the tiles stage delivers)."""
    png = io.BytesIO()
    Image.new("RGBA", (256, 256), (10, 20, 30, 255)).save(png, "PNG")
    db = sqlite3.connect(path)
    with db:
        db.execute("PRAGMA application_id = 0x4d504258")
        db.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
        db.execute("CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, "
                   "tile_row INTEGER, tile_data BLOB)")
        w, s = _lonlat(ORIGIN[0])
        e, n = TO_LONLAT.transform(ORIGIN[0] + SIZE * 10, ORIGIN[1])
        db.executemany("INSERT INTO metadata VALUES (?, ?)", [
            ("name", "synthetic"), ("format", "png"), ("bounds", f"{w},{s},{e},{n}"),
            ("minzoom", "14"), ("maxzoom", "14")])
        tile = _centre_tile(14)
        db.execute("INSERT INTO tiles VALUES (14, ?, ?, ?)",
                   (tile.x, (1 << 14) - 1 - tile.y, png.getvalue()))
    db.close()


@pytest.mark.parametrize(("make", "says"), [
    (_rgb, "3 value bands"), (_mbtiles, "MBTiles tile archive")])
def test_a_served_cog_replaced_by_a_file_of_another_kind_is_not_drawn_as_the_layer(
        masked: dict[str, Any], make: Any, says: str,
        caplog: pytest.LogCaptureFixture) -> None:
    """A COG renamed over by an RGB quick-look or a tile archive while the server runs
    (``prospect serve`` refuses both at start-up) was served as its first band: ``/point``
    said 200 where the layer's value is 0.2, and the tiles painted it. The layer is now its
    503 (the log names the file and what it is) until its COG is back."""
    client, path = masked["client"], masked["root"] / "swapped.tif"
    original = path.read_bytes()
    params = dict(zip(("lon", "lat"), _lonlat(567500), strict=True))
    assert client.get("/point/swapped", params=params).json()["value"] == 0.2
    tile = _centre_tile(14)
    try:
        _replace(path, make)
        point = client.get("/point/swapped", params=params)
        assert point.status_code == 503, point.text[:300]
        r = client.get(f"/tiles/swapped/14/{tile.x}/{tile.y}.png")
        assert r.status_code == 503, r.status_code
        assert any(says in rec.getMessage() and str(path) in rec.getMessage()
                   for rec in caplog.records), [rec.getMessage() for rec in caplog.records]
    finally:
        _replace(path, lambda staged: staged.write_bytes(original))
    assert client.get("/point/swapped", params=params).json()["value"] == 0.2


# -- WMTS: scale denominators as the grid defines them ------------------------------------

def _scales(matrix_set: str) -> dict[str, list[str]]:
    layer = WmtsLayer(name="p", title="P (synthetic)", bounds=(4.0, 52.0, 4.1, 52.1),
                      matrix_sets={matrix_set: (0, 5, (80000.0, 440000.0, 90000.0, 450000.0))})
    doc = ET.fromstring(capabilities_xml([layer], base_url="http://h",
                                         service=WmtsService(title="t")))
    found: dict[str, list[str]] = {}
    for tms in doc.iter(f"{WMTS}TileMatrixSet"):
        ident = tms.find(f"{OWS}Identifier")
        if ident is None or tms.find(f"{WMTS}TileMatrix") is None:
            continue
        found[ident.text or ""] = [m.findtext(f"{WMTS}ScaleDenominator") or ""
                                   for m in tms.iter(f"{WMTS}TileMatrix")]
    return found


def test_rd_new_scale_denominators_are_written_as_pdok_writes_them() -> None:
    """RD New's levels were ``12288000.000000002``, ``6144000.000000001``, ...: float noise
    of the halving (the Dutch NL profile and PDOK write ``12288000``; a client comparing
    the text, or a person reading it, sees another grid). Now the plain numbers."""
    scales = _scales("NetherlandsRDNewQuad")
    assert scales["NetherlandsRDNewQuad"][:6] == \
        ["12288000", "6144000", "3072000", "1536000", "768000", "384000"]
    assert scales["NetherlandsRDNewQuad512"][:2] == ["6144000", "3072000"]


def test_web_mercator_scale_denominators_keep_every_digit() -> None:
    """Control: GoogleMapsCompatible's scale set (OGC 07-057r7 annex E) is written with all
    its digits, never rounded to another number."""
    scales = _scales("WebMercatorQuad")["WebMercatorQuad"]
    assert scales[:2] == ["559082264.0287178", "279541132.0143589"]
    tms = morecantile.tms.get("WebMercatorQuad")
    assert scales == [repr(tms.matrix(z).scaleDenominator) for z in range(len(scales))]


# -- redirects of the clean-path rule carry caching headers ------------------------------

def _head_of(served: httpx.Client, target: str, *extra: str) -> dict[str, str]:
    host, port = served.base_url.host, served.base_url.port
    assert port is not None
    request = f"GET {target} HTTP/1.1\r\nHost: x\r\n{''.join(extra)}Connection: close\r\n\r\n"
    data = b""
    with socket.create_connection((host, port), timeout=10) as conn:
        conn.sendall(request.encode("latin-1"))
        while chunk := conn.recv(65536):
            data += chunk
    lines = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    head = {"status": lines[0].split()[1]}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        head[name.strip().lower()] = value.strip()
    return head


def test_a_clean_path_redirect_says_how_long_it_may_be_cached(
        served: httpx.Client, site: dict[str, Any]) -> None:
    """``/tiles/./p/...`` and ``//layers`` are a ``301`` to the clean path; without
    Cache-Control a browser or a proxy keeps a 301 for ever (RFC 9111 4.2.2), past a
    change of ``public_url``. It now carries the server's Cache-Control and Vary, as the
    canonical-tile redirects do: public without a key."""
    z, x, y = _tile(site)
    for target in (f"/tiles/./probability/{z}/{x}/{y}.png", "//layers"):
        head = _head_of(served, target)
        assert head["status"] == "301", head
        assert head.get("cache-control") == "public, max-age=600", head
        assert "X-API-Key" in head.get("vary", ""), head


def test_a_clean_path_redirect_with_a_key_is_private(
        served: httpx.Client, site: dict[str, Any]) -> None:
    """A key in the query travels in the ``Location``: the redirect is ``private`` (a
    shared cache must not keep it), with a key in the header too."""
    z, x, y = _tile(site)
    key = site["fx"].key
    head = _head_of(served, f"/tiles/./uncertainty/{z}/{x}/{y}.png?key={key}")
    assert head["status"] == "301" and key in head["location"], head
    assert head.get("cache-control") == "private, max-age=600", head
    head = _head_of(served, f"/tiles/./uncertainty/{z}/{x}/{y}.png", f"X-API-Key: {key}\r\n")
    assert head["status"] == "301" and head.get("cache-control") == "private, max-age=600"


# -- WMS: automatic projections ------------------------------------------------------------

@pytest.mark.parametrize("crs", ["AUTO2:42001,1,-68.38,12.14", "AUTO:42003,9001,-68,12"])
def test_an_automatic_projection_is_refused_as_one_not_as_a_garbled_crs(
        served: httpx.Client, site: dict[str, Any], crs: str) -> None:
    """WMS 1.3.0's AUTO2 namespace (annex B; 1.1.1's AUTO) was refused as "not a CRS
    identifier ... not as a PROJ string, WKT or URL", which it is none of: the refusal
    (InvalidCRS) now names it an automatic projection the server does not offer."""
    from tests.robustness.test_serving_round16 import _exception

    version = "1.3.0" if crs.startswith("AUTO2") else "1.1.1"
    name = "CRS" if version == "1.3.0" else "SRS"
    r = served.get("/wms", params={
        "SERVICE": "WMS", "VERSION": version, "REQUEST": "GetMap", "LAYERS": "probability",
        "STYLES": "", name: crs, "BBOX": "-1000,-1000,1000,1000", "WIDTH": 10, "HEIGHT": 10,
        "FORMAT": "image/png"})
    exc = _exception(r, 400, f"Invalid{name}", version=version)
    assert "automatic projection" in (exc.text or ""), exc.text
    assert "PROJ string" not in (exc.text or "")


# -- prospect serve: the fix for a COG without a CRS --------------------------------------

def test_a_cog_without_a_crs_is_refused_with_a_fix_a_serve_config_can_take(
        tmp_path: Path, cli: Any) -> None:
    """A COG with a geotransform but no CRS (SYNTHETIC) was refused with the readers'
    fix "give it with 'crs:' in the source config", a key a serve layer does not take
    (following it: "unknown key 'layers.0.crs'"). The refusal now says to write the CRS
    into the file (``gdal_edit.py -a_srs``), naming it; exit 1, no traceback."""
    with rasterio.open(tmp_path / "nocrs.tif", "w", driver="GTiff", width=20, height=20,
                       count=1, dtype="float32",
                       transform=from_origin(*ORIGIN, 10, 10)) as ds:
        ds.write(np.full((20, 20), 0.3, "f4"), 1)
    config = tmp_path / "serve.yaml"
    config.write_text("title: t\nlayers:\n  - name: p\n    cog: nocrs.tif\n    public: true\n")
    line = assert_clean_error(cli("serve", config, "--check"), 1, "nocrs.tif",
                              "gdal_edit.py -a_srs")
    assert "crs:' in the source config" not in line
