"""OGC services as partner agencies' clients meet them, round 34: WMS maps and capabilities
of polar and whole-world layers.

A live ``prospect serve`` (uvicorn on loopback, in this process) serves SYNTHETIC COGs
written with rasterio: a survey grid in NSIDC Sea Ice Polar Stereographic North
(EPSG:3413, the CRS of Greenland's and the Arctic's layers), one in Antarctic Polar
Stereographic (EPSG:3031) and a whole-world grid in EPSG:4326. httpx asks for their WMS
capabilities and maps as QGIS and GDAL's WMS client do. Each non-control case failed
before: WMS 1.3.0 read a polar stereographic BBOX with its axes swapped (a blank map, 200,
of another place) and wrote the layer's BoundingBox so; a layer reaching a pole was given
an EPSG:3857 BoundingBox twelve times as tall as Web Mercator's world. All data here are
SYNTHETIC.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
import rasterio.shutil
import yaml
from PIL import Image
from rasterio.transform import from_origin

from tiles.testing import live_server

WMS = "{http://www.opengis.net/wms}"
SCHEMAS = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "ogc_schemas_wmts_wms"

# SYNTHETIC: 200 x 100 cells of 1 km in EPSG:3413 over east Greenland (x 100..300 km,
# y -2000..-1900 km): a west-to-east ramp
GREENLAND = (100000.0, -2000000.0, 300000.0, -1900000.0)
# SYNTHETIC: 100 x 100 cells of 20 km in EPSG:3031 around the South Pole
ANTARCTIC = (-1000000.0, -1000000.0, 1000000.0, 1000000.0)
WEB_MERCATOR_HALF = 20037508.342789244


def _cog(path: Path, values: np.ndarray, crs: str, transform: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with rasterio.open(path, "w", driver="GTiff", width=values.shape[1],
                       height=values.shape[0], count=1, dtype="float32", crs=crs,
                       transform=transform, nodata=float("nan"), tiled=True,
                       blockxsize=256, blockysize=256) as ds:
        ds.write(values.astype("float32"), 1)
        ds.update_tags(synthetic="true")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """``prospect serve`` of the polar and whole-world layers (a live server on loopback)."""
    root = tmp_path_factory.mktemp("ogc34")
    x0, _, _, y1 = GREENLAND
    ramp = np.tile(np.linspace(0.05, 0.95, 200), (100, 1))
    _cog(root / "greenland.tif", ramp, "EPSG:3413", from_origin(x0, y1, 1000.0, 1000.0))
    a0, _, _, a1 = ANTARCTIC
    _cog(root / "antarctic.tif", np.full((100, 100), 0.5), "EPSG:3031",
         from_origin(a0, a1, 20000.0, 20000.0))
    _cog(root / "world.tif", np.full((720, 1440), 0.5), "EPSG:4326",
         from_origin(-180.0, 90.0, 0.25, 0.25))
    for name, value in (("first", 0.25), ("second", 0.5)):
        _cog(root / f"{name}.tif", np.full((100, 200), value), "EPSG:3413",
             from_origin(x0, y1, 1000.0, 1000.0))
    layers = [{"name": n, "cog": f"{n}.tif", "public": True, "vmin": 0.0, "vmax": 1.0}
              for n in ("greenland", "antarctic", "world", "first", "second")]
    # the world grid as GDAL's VRT and as NetCDF (gdal_translate's), layers of their own
    (root / "world.vrt").write_text(
        '<VRTDataset rasterXSize="1440" rasterYSize="720"><SRS>EPSG:4326</SRS>'
        "<GeoTransform>-180, 0.25, 0, 90, 0, -0.25</GeoTransform>"
        '<VRTRasterBand dataType="Float32" band="1"><NoDataValue>nan</NoDataValue>'
        '<SimpleSource><SourceFilename relativeToVRT="1">world.tif</SourceFilename>'
        "<SourceBand>1</SourceBand></SimpleSource></VRTRasterBand></VRTDataset>\n")
    rasterio.shutil.copy(root / "world.tif", root / "world.nc", driver="netCDF")
    layers += [{"name": "world_vrt", "cog": "world.vrt", "public": True},
               {"name": "world_nc", "cog": "world.nc", "public": True}]
    config = root / "serve.yaml"
    config.write_text(yaml.safe_dump({"title": "Round 34 OGC (synthetic)", "layers": layers}))
    with live_server(config) as live, live.client() as client:
        client.root = root  # the layers' folder, for the cases that write a layer anew
        client.url = live.url  # the server's root URL, for GDAL
        yield client


def _wms(client: Any, **params: str) -> Any:
    return client.get("/wms", params={"SERVICE": "WMS", **params})


def _map(client: Any, version: str, crs: str, bbox: tuple[float, ...], layer: str,
         size: tuple[int, int] = (200, 100)) -> Any:
    return _wms(client, VERSION=version, REQUEST="GetMap", LAYERS=layer, STYLES="",
                **{"CRS" if version == "1.3.0" else "SRS": crs},
                BBOX=",".join(repr(v) for v in bbox), WIDTH=str(size[0]),
                HEIGHT=str(size[1]), FORMAT="image/png", TRANSPARENT="TRUE")


def _opaque_share(png: bytes) -> float:
    alpha = np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))[..., 3]
    return float((alpha > 0).mean())


def _capabilities(client: Any, version: str) -> ET.Element:
    r = _wms(client, REQUEST="GetCapabilities", VERSION=version)
    assert r.status_code == 200, r.text[:500]
    return ET.fromstring(r.content)


def _layer(doc: ET.Element, name: str, ns: str = WMS) -> ET.Element:
    for el in doc.iter(f"{ns}Layer"):
        found = el.find(f"{ns}Name")
        if found is not None and found.text == name:
            return el
    raise AssertionError(f"no layer {name!r}")


# -- polar stereographic CRSs: easting first in WMS 1.3.0 ----------------------------------


def test_a_polar_stereographic_bbox_is_read_easting_first(served: Any) -> None:
    """EPSG:3413 states easting first (both its axes point along meridians, "south"; so do
    Greenland's EPSG:5938 and Antarctica's EPSG:3031), and GDAL's WMS client (QGIS's)
    sends its 1.3.0 BBOX as x, y.
    The server took the first axis's direction for a northing, read the BBOX as y, x and
    drew a blank map of another place, 200; now the 1.3.0 map is the 1.1.1 map of the
    same BBOX, the layer drawn across it."""
    new = _map(served, "1.3.0", "EPSG:3413", GREENLAND, "greenland")
    old = _map(served, "1.1.1", "EPSG:3413", GREENLAND, "greenland")
    assert new.status_code == 200 and old.status_code == 200, new.text[:300]
    assert _opaque_share(old.content) > 0.9
    assert _opaque_share(new.content) > 0.9
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(new.content))),
                          np.asarray(Image.open(io.BytesIO(old.content))))


@pytest.mark.skipif(shutil.which("gdal_translate") is None, reason="needs GDAL's tools")
def test_gdal_reads_a_polar_stereographic_map_over_its_layer(served: Any, tmp_path: Path
                                                             ) -> None:
    """GDAL's WMS driver (QGIS's client), asked for a 1.3.0 map of the Greenland layer in
    EPSG:3413, sends the BBOX easting first; the server read it northing first and GDAL
    got an empty (transparent) raster. Now every pixel of it has the layer's data, its
    west-to-east ramp increasing eastward."""
    x0, y0, x1, y1 = GREENLAND
    url = (f"WMS:{served.url}/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&LAYERS=greenland"
           f"&CRS=EPSG:3413&BBOX={x0!r},{y0!r},{x1!r},{y1!r}&FORMAT=image/png&TRANSPARENT=TRUE")
    out = tmp_path / "greenland.tif"
    done = subprocess.run(["gdal_translate", "-q", "-outsize", "200", "100", url, str(out)],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "GDAL_HTTP_TIMEOUT": "60"})
    assert done.returncode == 0, done.stderr
    with rasterio.open(out) as ds:
        rgba = ds.read()
    assert rgba.shape == (4, 100, 200)
    assert (rgba[3] > 0).mean() > 0.98
    red = rgba[0].astype(float).mean(axis=0)
    assert red[:20].mean() != red[-20:].mean()  # the ramp, not one colour


def test_a_polar_layers_own_bounding_box_is_written_easting_first(served: Any) -> None:
    """The 1.3.0 capabilities' ``BoundingBox CRS="EPSG:3413"`` of the Greenland layer was
    written with its axes swapped (minx -2000000, the northing); a client that zooms to it
    asked for a map of nowhere. Now minx is the easting, as in 1.1.1."""
    layer = _layer(_capabilities(served, "1.3.0"), "greenland")
    [box] = [b for b in layer.findall(f"{WMS}BoundingBox") if b.get("CRS") == "EPSG:3413"]
    got = tuple(float(box.get(k, "nan")) for k in ("minx", "miny", "maxx", "maxy"))
    assert got == pytest.approx(GREENLAND, abs=1.0), got


def test_control_a_northing_first_crs_keeps_its_bbox_order(served: Any) -> None:
    """Control: ETRS89-LAEA (EPSG:3035) states northing first; its 1.3.0 BBOX stays y, x
    (the same map as 1.1.1's x, y one), and EPSG:4326 stays latitude first."""
    from tiles.wms import north_first

    assert north_first("EPSG:3035") and north_first("EPSG:4326")
    assert north_first("EPSG:32661")  # UPS North: northing, easting by its axes' names
    assert not north_first("EPSG:3857") and not north_first("EPSG:32631")
    box = (-30.0, 60.0, -20.0, 70.0)
    lat_first = _map(served, "1.3.0", "EPSG:4326", (60.0, -30.0, 70.0, -20.0), "greenland")
    lon_first = _map(served, "1.1.1", "EPSG:4326", box, "greenland")
    assert lat_first.status_code == 200 and lon_first.status_code == 200
    assert lat_first.content == lon_first.content


# -- layers that reach a pole: their Web Mercator box ---------------------------------------


@pytest.mark.parametrize("version", ["1.3.0", "1.1.1"])
@pytest.mark.parametrize("name", ["world", "antarctic"])
def test_a_layer_reaching_a_pole_has_a_web_mercator_box_within_its_world(
        served: Any, version: str, name: str) -> None:
    """A layer reaching latitude 90 (a whole-world grid, Antarctica around the pole) was
    given ``BoundingBox CRS="EPSG:3857"`` with y to -242528680: twelve times as tall as
    Web Mercator's world (+-20037508), where a client that zooms to the layer drew a strip
    in the middle of a blank view. Its latitudes are now cut at Web Mercator's edge
    (85.0511 degrees), as GeoServer and MapServer write it."""
    ns = WMS if version == "1.3.0" else ""
    key = "CRS" if version == "1.3.0" else "SRS"
    layer = _layer(_capabilities(served, version), name, ns)
    [box] = [b for b in layer.findall(f"{ns}BoundingBox") if b.get(key) == "EPSG:3857"]
    got = [float(box.get(k, "nan")) for k in ("minx", "miny", "maxx", "maxy")]
    assert all(abs(v) <= WEB_MERCATOR_HALF + 1.0 for v in got), got
    assert got[1] == pytest.approx(-WEB_MERCATOR_HALF, rel=1e-6), got


def _wmts_zooms(client: Any, name: str) -> list[int]:
    r = client.get("/wmts/1.0.0/WMTSCapabilities.xml")
    assert r.status_code == 200
    wmts = "{http://www.opengis.net/wmts/1.0}"
    ows = "{http://www.opengis.net/ows/1.1}"
    for layer in ET.fromstring(r.content).iter(f"{wmts}Layer"):
        if layer.findtext(f"{ows}Identifier") == name:
            link = layer.find(f"{wmts}TileMatrixSetLink")
            assert link is not None and link.findtext(f"{wmts}TileMatrixSet") == \
                "WebMercatorQuad"
            return [int(t.text or "") for t in link.iter(f"{wmts}TileMatrix")]
    raise AssertionError(f"no layer {name!r}")


def test_a_whole_world_grid_is_tiled_to_the_zoom_of_its_cells(served: Any) -> None:
    """A whole-world grid of 0.25 degree cells (27.8 km at the equator) was measured in
    Web Mercator to y = +-242528680, its cells taken for 350 km, and it was served at zoom
    0 alone (WMTS limits, TileJSON): a web map zoomed in showed it as one blurred tile.
    Now it reaches zoom 2 (39 km pixels), the zoom of its cells."""
    zooms = _wmts_zooms(served, "world")
    assert max(zooms) >= 2, zooms


def test_control_a_layer_within_web_mercator_keeps_its_zooms(served: Any) -> None:
    """Control: the Greenland layer (1 km cells at 72 degrees north, 3.2 km in Web
    Mercator's metres) keeps its one zoom, 5 (4.9 km pixels)."""
    zooms = _wmts_zooms(served, "greenland")
    assert zooms == [5], zooms


def test_control_a_layer_within_web_mercator_keeps_its_box(served: Any) -> None:
    """Control: the Greenland layer (below 85 degrees) keeps its EPSG:3857 box as its
    corners transform, its top well below Web Mercator's edge."""
    layer = _layer(_capabilities(served, "1.3.0"), "greenland")
    [box] = [b for b in layer.findall(f"{WMS}BoundingBox") if b.get("CRS") == "EPSG:3857"]
    top = float(box.get("maxy", "nan"))
    assert 0.0 < top < 0.9 * WEB_MERCATOR_HALF, top
    assert re.fullmatch(r"-?\d+\.\d+(e[+-]?\d+)?", box.get("miny", ""))


# -- GetFeatureInfo of two layers: the second's data version -------------------------------


def _info(client: Any, headers: dict[str, str] | None = None) -> Any:
    x0, y0, x1, y1 = GREENLAND
    return client.get("/wms", headers=headers or {}, params={
        "SERVICE": "WMS", "VERSION": "1.1.1", "REQUEST": "GetFeatureInfo",
        "LAYERS": "first,second", "QUERY_LAYERS": "first,second", "STYLES": "",
        "SRS": "EPSG:3413", "BBOX": f"{x0!r},{y0!r},{x1!r},{y1!r}", "WIDTH": "200",
        "HEIGHT": "100", "X": "50", "Y": "50", "INFO_FORMAT": "application/json"})


def test_feature_info_of_two_layers_is_new_when_the_second_is_written_anew(
        served: Any) -> None:
    """QGIS's identify tool, asking again with ``If-None-Match``, got 304 (keep the old
    values) after the second of two QUERY_LAYERS was written anew: the ETag held only the
    first layer's data version (GetMap's holds every layer's). Now the answer is 200 with
    the second layer's new value."""
    first = _info(served)
    assert first.status_code == 200, first.text[:300]
    values = [f["properties"]["value"] for f in first.json()["features"]]
    assert values == [0.25, 0.5]
    x0, _, _, y1 = GREENLAND
    staged = served.root / "second.new.tif"
    _cog(staged, np.full((100, 200), 0.75), "EPSG:3413", from_origin(x0, y1, 1000.0, 1000.0))
    os.replace(staged, served.root / "second.tif")
    again = _info(served, {"If-None-Match": first.headers["etag"]})
    assert again.status_code == 200, again.status_code
    assert [f["properties"]["value"] for f in again.json()["features"]] == [0.25, 0.75]


def test_control_unchanged_feature_info_is_still_304(served: Any) -> None:
    """Control: asked again with its ETag and nothing written, the answer is 304."""
    first = _info(served)
    again = _info(served, {"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304


# -- a BBOX whose min is not below its max -------------------------------------------------


@pytest.mark.parametrize(("version", "crs", "bbox", "said", "order"), [
    ("1.1.1", "EPSG:4326", "-42,72.3,-36,71.7", "minlat 72.3 is not below maxlat 71.7",
     "minlon,minlat,maxlon,maxlat"),
    ("1.3.0", "EPSG:4326", "72.3,-42,71.7,-36", "minlat 72.3 is not below maxlat 71.7",
     "minlat,minlon,maxlat,maxlon"),
    ("1.3.0", "EPSG:3413", "300000,-2000000,100000,-1900000",
     "minx 300000 is not below maxx 100000", "minx,miny,maxx,maxy"),
    ("1.3.0", "EPSG:3035", "5500000,2000000,5400000,2100000",
     "miny 5500000 is not below maxy 5400000", "miny,minx,maxy,maxx"),
])
def test_an_inverted_bbox_is_refused_naming_the_axis_and_the_order(
        served: Any, version: str, crs: str, bbox: str, said: str, order: str) -> None:
    """A client that wrote the corners top-left first (minlon,maxlat,maxlon,minlat) was
    told "BBOX must have min < max on both axes": neither which axis nor the numbers nor
    the order the BBOX is read in (ETRS89-LAEA's northing first in 1.3.0). Now the
    refusal names them."""
    r = _wms(served, VERSION=version, REQUEST="GetMap", LAYERS="greenland", STYLES="",
             **{"CRS" if version == "1.3.0" else "SRS": crs}, BBOX=bbox, WIDTH="10",
             HEIGHT="10", FORMAT="image/png")
    assert r.status_code == 400
    text = ET.fromstring(r.content)[0].text or ""
    assert said in text, text
    assert f"the BBOX is {order} " in text and bbox in text, text


# -- downloads of layers served from files that are not GeoTIFFs ---------------------------


@pytest.mark.parametrize(("layer", "kind"), [("world_vrt", "VRT"), ("world_nc", "NetCDF")])
def test_a_layer_read_from_another_format_is_not_sent_as_a_geotiff(
        served: Any, layer: str, kind: str) -> None:
    """``/download/{layer}.tif`` sent a layer served from a VRT as ``world_vrt.tif``
    (``image/tiff; application=geotiff``) holding the VRT's XML, the server's own file
    names in it, and one served from NetCDF as NetCDF bytes under a ``.tif`` name: GDAL
    and QGIS could open neither. Now it is a 404 naming the format and what to do, and the
    layer's STAC item, whose data asset is that URL, says the same."""
    r = served.get(f"/download/{layer}.tif")
    assert r.status_code == 404, (r.status_code, r.content[:80])
    error = r.json()["error"]
    assert kind in error and "not a GeoTIFF" in error and "gdal_translate -of COG" in error
    assert str(served.root) not in error
    item = served.get(f"/stac/{layer}.json")
    assert item.status_code == 404 and kind in item.json()["error"]


def test_control_a_geotiff_layer_is_still_downloaded(served: Any) -> None:
    """Control: the GeoTIFF layer's download is its file, byte for byte."""
    r = served.get("/download/world.tif")
    assert r.status_code == 200
    assert r.content == (served.root / "world.tif").read_bytes()
