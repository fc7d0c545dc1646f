"""The tile server while its files are damaged, truncated or removed under it.

A layer whose data can no longer be read answers one clear 503 (the server's log names
the file, the client gets no path), the server keeps serving its other layers and its
documents, and a file written again is served again. These used to be 500 "internal
error" answers with a traceback in the server's log, and a dropped keep-alive connection.
All data here are SYNTHETIC.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import httpx
import pytest
import yaml
from pyproj import Transformer

from tiles.source import WEB_MERCATOR
from tiles.testing import http_client, live_server, make_tile_fixture, serve_process

BOUNDS = (566000.0, 1341000.0, 568000.0, 1343000.0)  # 2 km x 2 km on Bonaire


@pytest.fixture()
def layers(tmp_path: Path):
    """A COG layer, a cube layer and another COG layer, served from ``tmp_path``."""
    import rasterio
    import xarray as xr

    from prospect.io.cube import add_variables, create_cube, open_cube
    from prospect.testing import float_layer

    fx = make_tile_fixture(tmp_path / "fx", bounds=BOUNDS)
    cube = tmp_path / "cube.zarr"
    create_cube(cube, fx.grid, attrs={"synthetic": True})
    with rasterio.open(fx.probability) as src:
        data = src.read(1)
    add_variables(cube, xr.Dataset({"probability": float_layer(
        data, name="probability", units="1", long_name="probability", kind="probability",
        like=open_cube(cube))}))
    config = {"layers": [
        {"name": "cog", "cog": str(fx.probability), "public": True},
        {"name": "cube", "cube": str(cube), "variable": "probability", "public": True},
        {"name": "other", "cog": str(fx.uncertainty), "public": True},
    ]}
    path = tmp_path / "serve.yaml"
    path.write_text(yaml.safe_dump(config))
    w, s, e, n = Transformer.from_crs(32619, 4326, always_xy=True).transform_bounds(
        *fx.grid.bounds)
    return fx, cube, path, ((w + e) / 2, (s + n) / 2)


def _tile(centre: tuple[float, float], z: int) -> str:
    t = WEB_MERCATOR.tile(*centre, z)
    return f"{z}/{t.x}/{t.y}.png"


def _unreadable(r: httpx.Response, layer: str) -> None:
    assert r.status_code == 503, (r.status_code, r.text[:300])
    error = r.json()["error"]
    assert f"layer {layer!r}" in error and "cannot be read" in error and "\n" not in error
    assert "internal error" not in error and "/" not in error  # no server path to clients
    assert r.headers.get("cache-control") == "no-store"


def test_damaged_or_removed_layer_files_are_one_clear_503_and_the_rest_is_served(
        layers) -> None:
    """Through ``prospect serve`` as a user runs it: its log must hold no traceback."""
    fx, cube, config, centre = layers
    original = fx.probability.read_bytes()
    chunk = next(p for p in sorted((cube / "probability" / "c").rglob("*")) if p.is_file())
    with serve_process(config) as (proc, url), http_client(url, timeout=30) as c:
        for layer in ("cog", "cube", "other"):
            assert c.get(f"/tiles/{layer}/{_tile(centre, 15)}").status_code == 200
        # damaged in place (same size), then truncated, then removed
        third = len(original) // 3  # past the COG's header and directories: tile data
        fx.probability.write_bytes(original[:third] + bytes(len(original) - third))
        raw = bytearray(chunk.read_bytes())
        raw[len(raw) // 2] ^= 0xFF
        chunk.write_bytes(bytes(raw))
        time.sleep(1.1)  # the server looks at its files at most once a second
        _unreadable(c.get(f"/tiles/cog/{_tile(centre, 16)}"), "cog")
        _unreadable(c.get(f"/tiles/cube/{_tile(centre, 16)}"), "cube")
        # the same keep-alive connection goes on serving the other layer
        assert c.get(f"/tiles/other/{_tile(centre, 16)}").status_code == 200
        fx.probability.write_bytes(original[: len(original) // 3])
        time.sleep(1.1)
        _unreadable(c.get(f"/tiles/cog/{_tile(centre, 14)}"), "cog")
        _unreadable(c.get("/point/cog", params={"lon": centre[0], "lat": centre[1]}), "cog")
        fx.probability.unlink()
        time.sleep(1.1)
        _unreadable(c.get(f"/tiles/cog/{_tile(centre, 13)}"), "cog")
        listed = {entry["name"]: entry for entry in c.get("/layers").json()}
        assert listed["cog"]["available"] is False and "available" not in listed["other"]
        assert c.get("/health").status_code == 200
        assert c.get(f"/tiles/other/{_tile(centre, 14)}").status_code == 200
        # written again: served again
        fx.probability.write_bytes(original)
        time.sleep(1.1)
        assert c.get(f"/tiles/cog/{_tile(centre, 16)}").status_code == 200
    assert proc.stderr is not None
    log = proc.stderr.read()
    assert "Traceback" not in log and "Exception" not in log, log[-3000:]
    assert f"{fx.probability}: cannot read the layer's data" in log, log[-3000:]
    assert f"{cube} variable 'probability': cannot read" in log, log[-3000:]


@pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")
def test_an_in_process_server_reads_a_damaged_file_without_rasterio_noise(
        layers, caplog: pytest.LogCaptureFixture) -> None:
    """The server run in a thread (tests, notebooks) reads with rasterio's error context:
    a GDAL error in a request used to surface as rasterio's LookupError (its error stack
    is a context variable that the server thread lacked) and an unraisable traceback."""
    fx, _, config, centre = layers
    original = fx.probability.read_bytes()
    with live_server(config) as server, server.client(timeout=30) as c, \
            caplog.at_level(logging.ERROR, logger="prospect.tiles"):
        assert c.get(f"/tiles/cog/{_tile(centre, 15)}").status_code == 200
        third = len(original) // 3
        fx.probability.write_bytes(original[:third] + bytes(len(original) - third))
        time.sleep(1.1)
        _unreadable(c.get(f"/tiles/cog/{_tile(centre, 16)}"), "cog")
        fx.probability.write_bytes(original[: len(original) // 3])
        time.sleep(1.1)
        _unreadable(c.get(f"/tiles/cog/{_tile(centre, 14)}"), "cog")
        fx.probability.unlink()
        time.sleep(1.1)
        _unreadable(c.get(f"/tiles/cog/{_tile(centre, 13)}"), "cog")
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert f"{fx.probability}: cannot read" in logged and "LookupError" not in logged, logged


def test_one_unreadable_layer_leaves_the_capabilities_and_downloads_of_the_others(
        layers) -> None:
    """One damaged or removed COG took the WMTS and WMS capabilities of every layer down
    with a 503 (QGIS and GDAL could open none of them), and its download answered 500
    "internal error" when removed and 200 with the damaged bytes when truncated. Now the
    documents leave that layer out (one log line) and list the others, and its download
    is the same 503 as its tiles."""
    import xml.etree.ElementTree as ET

    fx, _, config, _ = layers
    original = fx.probability.read_bytes()
    ows = "{http://www.opengis.net/ows/1.1}"

    def wmts_layers(c: httpx.Client) -> set[str]:
        r = c.get("/wmts/1.0.0/WMTSCapabilities.xml")
        assert r.status_code == 200, (r.status_code, r.text[:300])
        root = ET.fromstring(r.content)
        return {e.findtext(f"{ows}Identifier") for e in root.iter(
            "{http://www.opengis.net/wmts/1.0}Layer")}

    def wms_layers(c: httpx.Client) -> set[str]:
        r = c.get("/wms", params={"SERVICE": "WMS", "REQUEST": "GetCapabilities"})
        assert r.status_code == 200, (r.status_code, r.text[:300])
        root = ET.fromstring(r.content)
        return {e.findtext("{http://www.opengis.net/wms}Name") for e in root.iter(
            "{http://www.opengis.net/wms}Layer")} - {None}

    with serve_process(config) as (proc, url), http_client(url, timeout=30) as c:
        assert wmts_layers(c) == {"cog", "cube", "other"}
        assert c.get("/download/cog.tif").content == original
        fx.probability.write_bytes(original[: len(original) // 3])
        time.sleep(1.1)  # the server looks at its files at most once a second
        _unreadable(c.get("/download/cog.tif"), "cog")
        assert wmts_layers(c) == {"cube", "other"}
        assert {"cube", "other"} <= wms_layers(c) and "cog" not in wms_layers(c)
        fx.probability.unlink()
        time.sleep(1.1)
        _unreadable(c.get("/download/cog.tif"), "cog")
        assert wmts_layers(c) == {"cube", "other"}
        assert c.get("/download/other.tif").content == fx.uncertainty.read_bytes()
        fx.probability.write_bytes(original)
        time.sleep(1.1)
        assert wmts_layers(c) == {"cog", "cube", "other"}
        assert c.get("/download/cog.tif").content == original
    assert proc.stderr is not None
    log = proc.stderr.read()
    assert "Traceback" not in log and "Exception" not in log, log[-3000:]
    assert "left out of the capabilities" in log, log[-3000:]
