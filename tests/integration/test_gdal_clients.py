"""Real GIS clients against the running tile server: Debian's GDAL WMTS and WMS (TMS) drivers.

GDAL reads the server's WMTS GetCapabilities and its XYZ tiles over HTTP on loopback and
the pixels it gets, turned back into values through the layer's colormap, match the
source COG within rendering tolerance. Skips when ``gdalinfo``/``gdal_translate`` are absent
(CI installs apt ``gdal-bin``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
import pytest
import rasterio
from pyproj import Transformer

pytestmark = [pytest.mark.integration]

GDALINFO = shutil.which("gdalinfo")
GDAL_TRANSLATE = shutil.which("gdal_translate")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory):
    if not (GDALINFO and GDAL_TRANSLATE):
        pytest.skip("needs GDAL command-line tools (Debian package gdal-bin)")
    from tiles.testing import live_server, make_tile_fixture

    fx = make_tile_fixture(tmp_path_factory.mktemp("gdal"))
    with live_server(fx.config) as server:
        yield fx, server


def _gdal(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GDAL_HTTP_TIMEOUT": "20", "no_proxy": "127.0.0.1",
           "NO_PROXY": "127.0.0.1"}
    env.pop("GDAL_DATA", None)  # the venv's rasterio may point it at its own copy
    proc = subprocess.run(list(args), capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0, f"{args[0]} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc


def _compare_with_source(fetched: Path, fx, *, layer: str, colormap: str, vmax: float) -> None:
    """Decode the fetched RGBA raster to values and compare with the source COG."""
    from tiles.testing import values_from_rgba

    source_path = fx.probability if layer == "probability" else fx.uncertainty
    with rasterio.open(fetched) as ds:
        assert ds.count == 4 and ds.crs.to_epsg() == 3857
        rgba = np.moveaxis(ds.read(), 0, -1)
        rows, cols = np.mgrid[0:ds.height, 0:ds.width]
        xs, ys = rasterio.transform.xy(ds.transform, rows.ravel(), cols.ravel())
    got = values_from_rgba(rgba, colormap=colormap, vmin=0.0, vmax=vmax).ravel()
    to_utm = Transformer.from_crs("EPSG:3857", "EPSG:32619", always_xy=True)
    ux, uy = to_utm.transform(np.asarray(xs), np.asarray(ys))
    with rasterio.open(source_path) as src:
        data = src.read(1)
        r, c = rasterio.transform.rowcol(src.transform, ux, uy)
    r, c = np.asarray(r), np.asarray(c)
    inside = (r >= 0) & (r < data.shape[0]) & (c >= 0) & (c < data.shape[1])
    truth = np.full(got.shape, np.nan)
    truth[inside] = data[r[inside], c[inside]]
    both = np.isfinite(truth) & np.isfinite(got)
    assert both.sum() > 0.5 * got.size, "too few pixels with data in both"
    # no data stays transparent (the NaN corner of the source, away from its edge)
    far_nan = ~np.isfinite(truth) & inside
    if far_nan.any():
        assert np.mean(np.isnan(got[far_nan])) > 0.9
    err = np.abs(got[both] - truth[both])
    # colour quantisation (vmax/255) plus bilinear resampling of a smooth field
    assert np.quantile(err, 0.95) < 0.02 * vmax, np.quantile(err, [0.5, 0.95, 1.0])
    assert np.median(err) < 0.008 * vmax


def test_gdal_wmts_reads_capabilities(served) -> None:
    fx, server = served
    caps = f"{server.url}/wmts/1.0.0/WMTSCapabilities.xml"
    public = _gdal(GDALINFO, f"WMTS:{caps}").stdout
    assert "layer=probability" in public or "Probability" in public
    assert "uncertainty" not in public.lower()  # keyed layer not listed without a key
    keyed = _gdal(GDALINFO, f"WMTS:{caps}?key={fx.key}").stdout
    assert "SUBDATASET_1_NAME" in keyed and "uncertainty" in keyed.lower()


@pytest.mark.parametrize(
    ("layer", "colormap", "vmax"), [("probability", "viridis", 1.0), ("uncertainty", "magma", 0.5)]
)
def test_gdal_wmts_pixels_match_source(served, tmp_path: Path, layer, colormap, vmax) -> None:
    fx, server = served
    caps = f"{server.url}/wmts/1.0.0/WMTSCapabilities.xml?key={fx.key}"
    info = _gdal(GDALINFO, f"WMTS:{caps},layer={layer},zoom_level=14").stdout
    assert "EPSG\",3857" in info or "Pseudo-Mercator" in info
    out = tmp_path / f"{layer}.tif"
    # a window inside the Bonaire test area, in Web Mercator metres
    _gdal(GDAL_TRANSLATE, "-q", "-projwin", "-7612800", "1365200", "-7610200", "1362600",
          "-projwin_srs", "EPSG:3857", f"WMTS:{caps},layer={layer},zoom_level=14", str(out))
    _compare_with_source(out, fx, layer=layer, colormap=colormap, vmax=vmax)


def test_gdal_wms_driver_reads_xyz_tiles(served, tmp_path: Path) -> None:
    fx, server = served
    url = f"{server.url}/tiles/probability/${{z}}/${{x}}/${{y}}.png"
    xml = tmp_path / "xyz.xml"
    xml.write_text(f"""<GDAL_WMS>
  <Service name="TMS"><ServerUrl>{escape(url)}</ServerUrl></Service>
  <DataWindow>
    <UpperLeftX>-20037508.342789244</UpperLeftX><UpperLeftY>20037508.342789244</UpperLeftY>
    <LowerRightX>20037508.342789244</LowerRightX><LowerRightY>-20037508.342789244</LowerRightY>
    <TileLevel>15</TileLevel><TileCountX>1</TileCountX><TileCountY>1</TileCountY>
    <YOrigin>top</YOrigin>
  </DataWindow>
  <Projection>EPSG:3857</Projection>
  <BlockSizeX>256</BlockSizeX><BlockSizeY>256</BlockSizeY><BandsCount>4</BandsCount>
</GDAL_WMS>
""")
    out = tmp_path / "xyz.tif"
    _gdal(GDAL_TRANSLATE, "-q", "-projwin", "-7612800", "1365200", "-7611000", "1363400",
          "-projwin_srs", "EPSG:3857", str(xml), str(out))
    _compare_with_source(out, fx, layer="probability", colormap="viridis", vmax=1.0)
