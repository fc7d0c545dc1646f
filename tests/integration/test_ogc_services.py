"""OGC services over real HTTP: WMTS (REST and KVP) and WMS 1.3.0 documents valid against
the official schemas (offline copies in ../shared/data), read by OWSLib and GDAL, with
values in the right place in Web Mercator, EPSG:4326 (1.3.0 axis order) and UTM."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from pathlib import Path

import httpx
import numpy as np
import pytest
import rasterio
from PIL import Image
from pyproj import Transformer

pytestmark = [pytest.mark.integration]

SCHEMAS = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / \
    "ogc_schemas_wmts_wms"
GDAL_TRANSLATE = shutil.which("gdal_translate")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory):
    from tiles.testing import live_server, make_tile_fixture

    fx = make_tile_fixture(tmp_path_factory.mktemp("ogc"))
    with live_server(fx.config) as server, server.client(timeout=30) as c:
        yield fx, server, c


def _validate(xml: bytes, schema: str) -> None:
    from lxml import etree

    from tiles.testing import wms_130_schema

    parser = etree.XMLParser(no_network=True)
    # WMS 1.3.0 lists sld:GetLegendGraphic, declared by the SLD schema beside WMS's own
    xsd = wms_130_schema(SCHEMAS) if schema == "wms/1.3.0/capabilities_1_3_0.xsd" else \
        etree.XMLSchema(etree.parse(str(SCHEMAS / schema), parser))
    doc = etree.fromstring(xml, parser)
    assert xsd.validate(doc), xsd.error_log.last_error


@pytest.mark.realdata
@pytest.mark.parametrize("path", [
    "/wmts/1.0.0/WMTSCapabilities.xml",
    "/wmts?SERVICE=WMTS&REQUEST=GetCapabilities",
])
@pytest.mark.parametrize("keyed", [False, True])
def test_wmts_capabilities_are_schema_valid(served, path, keyed) -> None:
    if not SCHEMAS.is_dir():
        pytest.skip("needs ../shared/data/ogc_schemas_wmts_wms")
    fx, _, c = served
    sep = "&" if "?" in path else "?"
    r = c.get(f"{path}{sep}key={fx.key}" if keyed else path)
    assert r.status_code == 200
    _validate(r.content, "wmts/1.0/wmtsGetCapabilities_response.xsd")
    text = r.text
    for element in ("ows:ServiceIdentification", "ows:ServiceProvider", "ows:AccessConstraints",
                    "LegendURL", "<Format>image/png</Format>", "<Format>image/webp</Format>",
                    "WebMercatorQuad512", "UTM19WGS84Quad"):
        assert element in text, element


@pytest.mark.realdata
def test_a_broken_document_is_rejected_by_the_same_validator(served) -> None:
    """The validator is not a rubber stamp: the previous element order fails it."""
    if not SCHEMAS.is_dir():
        pytest.skip("needs ../shared/data/ogc_schemas_wmts_wms")
    _, _, c = served
    xml = c.get("/wmts/1.0.0/WMTSCapabilities.xml").content
    broken = xml.replace(b"<ows:ServiceType>OGC WMTS</ows:ServiceType>", b"")
    with pytest.raises(AssertionError):
        _validate(broken, "wmts/1.0/wmtsGetCapabilities_response.xsd")


@pytest.mark.realdata
@pytest.mark.parametrize("keyed", [False, True])
def test_wms_capabilities_are_schema_valid(served, keyed) -> None:
    if not SCHEMAS.is_dir():
        pytest.skip("needs ../shared/data/ogc_schemas_wmts_wms")
    fx, _, c = served
    params = {"SERVICE": "WMS", "REQUEST": "GetCapabilities", "VERSION": "1.3.0"}
    if keyed:
        params["key"] = fx.key
    r = c.get("/wms", params=params)
    assert r.status_code == 200
    _validate(r.content, "wms/1.3.0/capabilities_1_3_0.xsd")
    assert (b"<Name>uncertainty</Name>" in r.content) is keyed
    assert b"<CRS>EPSG:32619</CRS>" in r.content and b"<CRS>EPSG:3857</CRS>" in r.content


def _truth(fx, lon: float, lat: float) -> float:
    x, y = Transformer.from_crs(4326, 32619, always_xy=True).transform(lon, lat)
    with rasterio.open(fx.probability) as src:
        return float(next(src.sample([(x, y)]))[0])


def _decode(body: bytes) -> np.ndarray:
    from tiles.testing import values_from_rgba

    with Image.open(io.BytesIO(body)) as img:
        rgba = np.asarray(img.convert("RGBA"))
    return values_from_rgba(rgba, colormap="viridis", vmin=0.0, vmax=1.0)


@pytest.mark.parametrize("crs", ["EPSG:4326", "CRS:84", "EPSG:3857", "EPSG:32619"])
def test_wms_getmap_puts_values_in_place_in_each_crs(served, crs) -> None:
    """GetMap's centre pixel holds the COG's value there; EPSG:4326 uses lat,lon order."""
    fx, _, c = served
    w, s, e, n = Transformer.from_crs(32619, 4326, always_xy=True).transform_bounds(
        *fx.grid.bounds)
    lon, lat = w + 0.37 * (e - w), s + 0.61 * (n - s)
    half = 0.002
    if crs == "EPSG:4326":
        bbox = [lat - half, lon - half, lat + half, lon + half]
    elif crs == "CRS:84":
        bbox = [lon - half, lat - half, lon + half, lat + half]
    else:
        x, y = Transformer.from_crs(4326, crs, always_xy=True).transform(lon, lat)
        bbox = [x - 200, y - 200, x + 200, y + 200]
    r = c.get("/wms", params={
        "SERVICE": "WMS", "VERSION": "1.3.0", "REQUEST": "GetMap", "LAYERS": "probability",
        "STYLES": "", "CRS": crs, "BBOX": ",".join(map(str, bbox)), "WIDTH": 101,
        "HEIGHT": 101, "FORMAT": "image/png", "TRANSPARENT": "TRUE"})
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    values = _decode(r.content)
    assert values.shape == (101, 101)
    assert abs(values[50, 50] - _truth(fx, lon, lat)) < 0.02
    info = c.get("/wms", params={
        "SERVICE": "WMS", "VERSION": "1.3.0", "REQUEST": "GetFeatureInfo",
        "QUERY_LAYERS": "probability", "LAYERS": "probability", "CRS": crs,
        "BBOX": ",".join(map(str, bbox)), "WIDTH": 101, "HEIGHT": 101, "I": 50, "J": 50,
        "INFO_FORMAT": "application/json"}).json()
    value = info["features"][0]["properties"]["value"]
    assert value == pytest.approx(_truth(fx, *info["features"][0]["geometry"]["coordinates"]),
                                  abs=1e-6)


def test_wms_refusals_and_keys(served) -> None:
    fx, _, c = served
    base = {"SERVICE": "WMS", "VERSION": "1.3.0", "REQUEST": "GetMap", "CRS": "EPSG:3857",
            "BBOX": "0,0,1,1", "WIDTH": "10", "HEIGHT": "10", "FORMAT": "image/png"}
    r = c.get("/wms", params={**base, "LAYERS": "uncertainty"})
    assert r.status_code == 401 and b"ServiceExceptionReport" in r.content
    assert c.get("/wms", params={**base, "LAYERS": "uncertainty", "key": fx.key}
                 ).status_code == 200
    assert c.get("/wms", params={**base, "LAYERS": "probability", "WIDTH": "99999"}
                 ).status_code == 400
    assert c.get("/wms", params={**base, "LAYERS": "probability", "CRS": "EPSG:999999"}
                 ).status_code == 400
    legend = c.get("/wms", params={"SERVICE": "WMS", "REQUEST": "GetLegendGraphic",
                                   "LAYER": "probability", "FORMAT": "image/png"})
    assert legend.status_code == 200 and legend.content.startswith(b"\x89PNG")


def test_owslib_reads_wmts_and_wms(served) -> None:
    from owslib.wms import WebMapService
    from owslib.wmts import WebMapTileService

    fx, server, c = served
    wmts = WebMapTileService(f"{server.url}/wmts/1.0.0/WMTSCapabilities.xml?key={fx.key}")
    assert set(wmts.contents) == {"probability", "uncertainty"}
    assert {"WebMercatorQuad", "UTM19WGS84Quad"} <= set(wmts.tilematrixsets)
    layer = wmts.contents["probability"]
    assert "image/webp" in layer.formats
    from tiles.source import WEB_MERCATOR

    w, s, e, n = layer.boundingBoxWGS84
    t = WEB_MERCATOR.tile((w + e) / 2, (s + n) / 2, 14)
    tile = wmts.gettile(layer="probability", tilematrixset="WebMercatorQuad", tilematrix="14",
                        row=t.y, column=t.x, format="image/png").read()
    # OWSLib's REST GetTile picks one of a layer's ResourceURLs at random, whatever format
    # is asked for: compare with the tile of the format that came back
    ext = "png" if tile.startswith(b"\x89PNG") else "webp"
    assert ext == "png" or tile[8:12] == b"WEBP"
    assert tile == c.get(f"/tiles/probability/14/{t.x}/{t.y}.{ext}").content

    wms = WebMapService(f"{server.url}/wms?key={fx.key}", version="1.3.0")
    assert set(wms.contents) == {"probability", "uncertainty"}
    assert "EPSG:32619" in wms.contents["probability"].crsOptions
    img = wms.getmap(layers=["probability"], srs="EPSG:3857", format="image/png",
                     bbox=WEB_MERCATOR.xy_bounds(t), size=(64, 64))
    assert img.read().startswith(b"\x89PNG")


def _gdal(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GDAL_HTTP_TIMEOUT": "20", "no_proxy": "127.0.0.1",
           "NO_PROXY": "127.0.0.1"}
    env.pop("GDAL_DATA", None)
    proc = subprocess.run(list(args), capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0, f"{args[0]} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc


def _compare_native(out: Path, fx) -> None:
    """GDAL's raster in the COG's own CRS: same grid cells, values within a colour step."""
    from tiles.testing import values_from_rgba

    with rasterio.open(out) as ds:
        assert ds.crs.to_epsg() == 32619
        rgba = np.moveaxis(ds.read(), 0, -1)
        rows, cols = np.mgrid[0:ds.height, 0:ds.width]
        xs, ys = rasterio.transform.xy(ds.transform, rows.ravel(), cols.ravel())
    got = values_from_rgba(rgba, colormap="viridis", vmin=0.0, vmax=1.0).ravel()
    with rasterio.open(fx.probability) as src:
        data = src.read(1)
        r, c = rasterio.transform.rowcol(src.transform, np.asarray(xs), np.asarray(ys))
    r, c = np.asarray(r), np.asarray(c)
    inside = (r >= 0) & (r < data.shape[0]) & (c >= 0) & (c < data.shape[1])
    truth = np.full(got.shape, np.nan)
    truth[inside] = data[r[inside], c[inside]]
    both = np.isfinite(truth) & np.isfinite(got)
    assert both.sum() > 0.5 * got.size
    err = np.abs(got[both] - truth[both])
    assert np.median(err) < 1 / 254 + 1e-6 and np.quantile(err, 0.95) < 0.01, np.quantile(
        err, [0.5, 0.95])


@pytest.mark.skipif(GDAL_TRANSLATE is None, reason="needs GDAL (Debian package gdal-bin)")
def test_gdal_reads_the_utm_grid_against_the_source_in_its_own_crs(served, tmp_path) -> None:
    fx, server, _ = served
    caps = f"{server.url}/wmts/1.0.0/WMTSCapabilities.xml"
    out = tmp_path / "utm.tif"  # zoom_level is an index: the UTM quads start at level 1
    x0, y0 = fx.grid.bounds[0] + 1500, fx.grid.bounds[3] - 1500
    _gdal(GDAL_TRANSLATE, "-q", "-projwin", str(x0), str(y0), str(x0 + 2000), str(y0 - 2000),
          f"WMTS:{caps},layer=probability,tilematrixset=UTM19WGS84Quad,zoom_level=13",
          str(out))
    _compare_native(out, fx)


@pytest.mark.skipif(GDAL_TRANSLATE is None, reason="needs GDAL (Debian package gdal-bin)")
def test_gdal_wms_driver_reads_getmap_in_epsg_4326(served, tmp_path) -> None:
    """GDAL's WMS driver (1.3.0, EPSG:4326 lat/lon axis order) gets values in place."""
    fx, server, _ = served
    w, s, e, n = Transformer.from_crs(32619, 4326, always_xy=True).transform_bounds(
        *fx.grid.bounds)
    url = (f"WMS:{server.url}/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&LAYERS=probability"
           f"&CRS=EPSG:4326&BBOX={s},{w},{n},{e}&FORMAT=image/png")
    out = tmp_path / "wms.tif"
    _gdal(GDAL_TRANSLATE, "-q", "-outsize", "300", "300", url, str(out))
    from tiles.testing import values_from_rgba

    with rasterio.open(out) as ds:
        rgba = np.moveaxis(ds.read(), 0, -1)
        lon, lat = ds.xy(150, 100)
    got = values_from_rgba(rgba, colormap="viridis", vmin=0.0, vmax=1.0)
    assert abs(got[150, 100] - _truth(fx, lon, lat)) < 0.02


@pytest.fixture(scope="module")
def served_rd(tmp_path_factory: pytest.TempPathFactory):
    """A synthetic COG in Amersfoort / RD New (near Wageningen) served with defaults."""
    import xarray as xr

    from prospect.grid import RegionGrid
    from prospect.io.raster import write_cog
    from tiles.testing import field_values, live_server

    root = tmp_path_factory.mktemp("rd")
    grid = RegionGrid(crs="EPSG:28992", resolution=10.0,
                      bounds=(170000.0, 440000.0, 176000.0, 446000.0), chunks=(256, 256),
                      name="wageningen-test")
    cog = write_cog(xr.DataArray(field_values(grid, seed=3), dims=("y", "x")),
                    root / "probability.tif", grid=grid, tags={"synthetic": "true"})
    config = root / "serve.yaml"
    config.write_text(
        "layers:\n  - name: probability\n    cog: probability.tif\n    public: true\n")
    with live_server(config) as server:
        yield cog, server


def test_dutch_grid_is_pdoks_and_gdal_reads_it_in_place(served_rd, tmp_path) -> None:
    """An RD New layer is offered in NetherlandsRDNewQuad (PDOK's EPSG:28992 scheme:
    origin -285401.92, 903401.92; 1:12 288 000 at level 0, halving), and GDAL's WMTS
    driver reads it in EPSG:28992 with the COG's values in place."""
    import xml.etree.ElementTree as ET

    cog, server = served_rd
    caps = httpx.get(f"{server.url}/wmts/1.0.0/WMTSCapabilities.xml").text
    ns = {"w": "http://www.opengis.net/wmts/1.0", "ows": "http://www.opengis.net/ows/1.1"}
    root = ET.fromstring(caps)
    sets = {s.find("ows:Identifier", ns).text: s
            for s in root.findall("w:Contents/w:TileMatrixSet", ns)}
    rd = sets["NetherlandsRDNewQuad"]
    assert rd.find("ows:SupportedCRS", ns).text == "urn:ogc:def:crs:EPSG::28992"
    for m in rd.findall("w:TileMatrix", ns):
        z = int(m.find("ows:Identifier", ns).text)
        assert float(m.find("w:ScaleDenominator", ns).text) == pytest.approx(12288000 / 2**z)
        assert m.find("w:TopLeftCorner", ns).text.split() == ["-285401.92", "903401.92"]
        assert int(m.find("w:MatrixWidth", ns).text) == 2**z
    doc = httpx.get(f"{server.url}/tilejson/probability.json",
                    params={"tms": "NetherlandsRDNewQuad"}).json()
    assert doc["crs"] == "EPSG:28992" and "/NetherlandsRDNewQuad/" in doc["tiles"][0]
    assert 8 <= doc["maxzoom"] <= 9  # 10 m data: level 8 is 13.4 m, level 9 6.7 m
    if GDAL_TRANSLATE is None:
        pytest.skip("needs GDAL (Debian package gdal-bin)")
    out = tmp_path / "rd.tif"
    _gdal(GDAL_TRANSLATE, "-q", "-projwin", "171000", "445000", "175000", "441000",
          f"WMTS:{server.url}/wmts/1.0.0/WMTSCapabilities.xml,layer=probability,"
          f"tilematrixset=NetherlandsRDNewQuad,zoom_level={doc['maxzoom']}", str(out))
    from tiles.testing import values_from_rgba

    with rasterio.open(out) as ds, rasterio.open(cog) as src:
        assert ds.crs.to_epsg() == 28992
        got = values_from_rgba(np.moveaxis(ds.read(), 0, -1), colormap="viridis", vmin=0.0,
                               vmax=1.0)
        rows, cols = np.mgrid[0:ds.height:7, 0:ds.width:7]
        xs, ys = rasterio.transform.xy(ds.transform, rows.ravel(), cols.ravel())
        truth = np.array([v[0] for v in src.sample(zip(xs, ys, strict=True))])
    sample = got[rows.ravel(), cols.ravel()]
    both = np.isfinite(truth) & np.isfinite(sample)
    assert both.mean() > 0.8
    err = np.abs(sample[both] - truth[both])
    assert np.median(err) <= 1 / 254 + 1e-6 and np.quantile(err, 0.95) < 0.01, np.quantile(
        err, [0.5, 0.95])
