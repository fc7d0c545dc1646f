"""Test and benchmark helpers: small float COGs, a serve config with keys, a live server.

These make real files and a real uvicorn server on loopback; nothing is mocked. The COG
values are a smooth synthetic field (labelled synthetic in the file tags).
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr
import yaml
from pmtiles.reader import MmapSource
from pmtiles.reader import Reader as PMReader

from prospect.grid import RegionGrid
from prospect.io.raster import write_cog
from prospect.testing.servers import bound_socket, free_port, serving
from tiles.colormap import N_COLOURS, colormap_palette

if TYPE_CHECKING:
    import httpx

__all__ = [
    "BONAIRE_BOUNDS",
    "LiveServer",
    "TileFixture",
    "field_values",
    "free_port",
    "http_client",
    "live_server",
    "make_tile_fixture",
    "read_pmtiles_tile",
    "serve_process",
    "values_from_rgba",
    "wms_130_schema",
]

BONAIRE_BOUNDS = (565000.0, 1340000.0, 571000.0, 1346000.0)
"""A 6 km square on Bonaire in EPSG:32619 (UTM 19N)."""


def field_values(grid: RegionGrid, *, seed: int = 0, nodata_corner: int = 40) -> np.ndarray:
    """A smooth 0..1 float32 field on ``grid`` with a NaN (no data) block in the top-left."""
    rng = np.random.default_rng(seed)
    fy, fx = rng.uniform(2.0, 5.0, size=2)
    yy, xx = np.meshgrid(
        np.linspace(0, 1, grid.height), np.linspace(0, 1, grid.width), indexing="ij"
    )
    v = (0.5 + 0.45 * np.sin(fx * xx + 0.3) * np.cos(fy * yy + 0.2)).astype("f4")
    v[:nodata_corner, :nodata_corner] = np.nan
    return v


@dataclass(frozen=True)
class TileFixture:
    """Files made by :func:`make_tile_fixture`."""

    root: Path
    grid: RegionGrid
    probability: Path
    uncertainty: Path
    config: Path
    key: str
    revoked_key: str
    other_key: str


def make_tile_fixture(
    root: str | Path, *, resolution: float = 10.0, bounds: tuple[float, float, float, float]
    = BONAIRE_BOUNDS, max_zoom: int = 18,
) -> TileFixture:
    """Two synthetic COGs (probability, uncertainty) and a serve config with three keys.

    ``probability`` is public; ``uncertainty`` needs ``key`` (agency with rights),
    ``other_key`` is valid but has rights on no private layer, ``revoked_key`` is revoked.
    """
    from tiles.auth import hash_key

    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    grid = RegionGrid(crs="EPSG:32619", resolution=resolution, bounds=bounds,
                      chunks=(256, 256), name="bonaire-test")
    tags = {"synthetic": "true"}
    prob = write_cog(xr.DataArray(field_values(grid, seed=1), dims=("y", "x")),
                     root / "probability.tif", grid=grid, tags=tags)
    unc = write_cog(xr.DataArray(0.5 * field_values(grid, seed=2), dims=("y", "x")),
                    root / "uncertainty.tif", grid=grid, tags=tags)
    key, revoked, other = "pk_test_agency_key_0001", "pk_test_revoked_key_02", "pk_test_other_03"
    config = {
        "title": "Prospect test tiles (synthetic)",
        "min_zoom": 0, "max_zoom": max_zoom, "cache_max_age": 600,
        "layers": [
            {"name": "probability", "cog": prob.name, "colormap": "viridis", "public": True,
             "title": "Probability"},
            {"name": "uncertainty", "cog": unc.name, "colormap": "magma", "vmax": 0.5,
             "title": "Uncertainty"},
        ],
        "keys": [
            {"agency": "ministry", "key_sha256": hash_key(key), "layers": ["uncertainty"]},
            {"agency": "old-partner", "key_sha256": hash_key(revoked), "layers": ["*"],
             "revoked": True},
            {"agency": "observer", "key_sha256": hash_key(other), "layers": []},
        ],
    }
    path = root / "serve.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return TileFixture(root, grid, prob, unc, path, key, revoked, other)


def http_client(url: str, *, keep_alive_s: float = 5.0, **kwargs: Any) -> httpx.Client:
    """An ``httpx.Client`` on ``url`` that drops an idle connection before the server does.

    httpx keeps an idle connection for 5 s, the server's default ``keep_alive_s``: a request
    sent on it just as the server closed it met "Connection reset by peer" (a suite run
    under load did). Browsers and curl retry such a request; httpx does not, so its pooled
    connections expire at a fifth of the server's idle limit.
    """
    import httpx  # a test dependency (the dev extra)

    limits = httpx.Limits(keepalive_expiry=keep_alive_s / 5)
    return httpx.Client(base_url=url, limits=limits, **kwargs)


@dataclass(frozen=True)
class LiveServer:
    """A running server: its root URL, port and idle limit for keep-alive connections."""

    url: str
    port: int
    keep_alive_s: float = 5.0

    def client(self, **kwargs: Any) -> httpx.Client:
        """An ``httpx.Client`` on this server (see :func:`http_client`)."""
        return http_client(self.url, keep_alive_s=self.keep_alive_s, **kwargs)


@contextmanager
def live_server(config_path: str | Path, *, port: int | None = None) -> Iterator[LiveServer]:
    """Run the tile server for ``config_path`` with uvicorn in a thread on loopback."""
    import uvicorn

    from prospect.config.tiles import load_serve_config
    from tiles.server import create_app, uvicorn_config

    cfg = load_serve_config(config_path)
    app = create_app(cfg, config_path=config_path)
    sock = None
    if port is None:  # bound here, so no other process can take it before the server
        sock = bound_socket()
        port = int(sock.getsockname()[1])
    server = uvicorn.Server(uvicorn_config(app, cfg, host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="off"))
    try:
        with serving(server, name="tile server", timeout_s=20, sock=sock):
            yield LiveServer(url=f"http://127.0.0.1:{port}", port=port,
                             keep_alive_s=cfg.keep_alive_s)
    finally:  # its lifespan is off: the service is closed here
        app.state.service.close()


@contextmanager
def serve_process(config_path: str | Path, *args: str, timeout_s: float = 60.0
                  ) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """Run ``prospect serve CONFIG --port 0`` as a user would, in its own process.

    The server binds a free port itself and prints its addresses; the root URL is read
    from its ``viewer:`` line (``local:`` under a ``public_url``), so no other process can
    take the port in between. Yields the process and the root URL once ``/health``
    answers; terminates the server afterwards.
    """
    import httpx

    proc = subprocess.Popen(
        [sys.executable, "-m", "pipelines.cli", "serve", str(config_path), "--port", "0",
         *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        seen: list[str] = []
        root = None
        while root is None:
            line = proc.stderr.readline()
            if not line:
                raise RuntimeError("prospect serve exited before serving:\n" + "".join(seen))
            seen.append(line)
            # the socket's own URL: ``local:`` where a public_url is printed as ``viewer:``
            if (m := re.match(r"(?:viewer|local): +(http://\S+?)/viewer/", line)) is not None:
                root = m.group(1)
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                if httpx.get(f"{root}/health").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"prospect serve did not answer on {root}:\n"
                                   + "".join(seen))
            time.sleep(0.1)
        yield proc, root
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def values_from_rgba(
    rgba: np.ndarray, *, colormap: str, vmin: float, vmax: float,
    stops: list[float] | None = None,
) -> np.ndarray:
    """Invert :func:`render_rgba` up to colour quantisation: nearest palette colour -> value.

    Transparent pixels become NaN. ``stops`` (TileJSON's ``prospect.colour_stops``) reads
    a class map coloured by rank. Used by tests, which only have the image.
    """
    pal = colormap_palette(colormap)[1:, :3].astype("i4")
    pix = np.asarray(rgba)[..., :3].reshape(-1, 1, 3).astype("i4")
    nearest = np.empty(pix.shape[0], dtype="i4")
    step = 65536
    for start in range(0, pix.shape[0], step):
        dist = ((pix[start:start + step] - pal[None, :, :]) ** 2).sum(axis=2)
        nearest[start:start + step] = dist.argmin(axis=1)
    if stops is not None:  # each stop's own palette index read as the stop, exactly
        at = np.floor(np.arange(len(stops)) * (N_COLOURS - 1) / (len(stops) - 1) + 0.5)
        out = np.interp(nearest.astype("f8"), at, np.asarray(stops, dtype="f8"))
    else:
        out = vmin + nearest.astype("f8") * (vmax - vmin) / (N_COLOURS - 1)
    out = out.reshape(rgba.shape[:2])
    if rgba.shape[-1] == 4:
        out[np.asarray(rgba)[..., 3] == 0] = np.nan
    return out


def read_pmtiles_tile(path: str | Path, z: int, x: int, y: int) -> bytes | None:
    """One tile's bytes from a PMTiles archive (``None`` when absent)."""
    with open(path, "rb") as f:
        source = MmapSource(f)
        data = PMReader(source).get(z, x, y)
        return bytes(data) if data is not None else None


_SLD_CAPABILITIES_XSD = """<?xml version="1.0" encoding="UTF-8"?>
<xsd:schema targetNamespace="http://www.opengis.net/sld" xmlns:sld="http://www.opengis.net/sld"
  xmlns:wms="http://www.opengis.net/wms" xmlns:xsd="http://www.w3.org/2001/XMLSchema"
  elementFormDefault="qualified" attributeFormDefault="unqualified">
  <xsd:import namespace="http://www.opengis.net/wms" schemaLocation="{wms}"/>
  <xsd:element name="DescribeLayer" type="wms:OperationType"
    substitutionGroup="wms:_ExtendedOperation"/>
  <xsd:element name="GetLegendGraphic" type="wms:OperationType"
    substitutionGroup="wms:_ExtendedOperation"/>
</xsd:schema>
"""
"""The operations SLD 1.1's ``sld_capabilities.xsd`` (OGC 05-078r4) adds to WMS 1.3.0's
``<Request>``, declared as that schema declares them (its other declarations, styles and
symbolisation, are not used here)."""


def wms_130_schema(schemas: str | Path) -> Any:
    """The WMS 1.3.0 capabilities schema with SLD 1.1's extended operations, for lxml.

    A WMS 1.3.0 document lists GetLegendGraphic as ``sld:GetLegendGraphic``, declared by
    the SLD schema it names in ``xsi:schemaLocation`` beside the WMS one; a validator
    given the WMS schema alone refuses it. ``schemas`` is an offline copy of
    schemas.opengis.net (``wms/1.3.0/capabilities_1_3_0.xsd`` under it).

    Returns
    -------
    lxml.etree.XMLSchema
        Validates ``WMS_Capabilities`` documents, no network used.
    """
    from lxml import etree

    wms = (Path(schemas) / "wms" / "1.3.0" / "capabilities_1_3_0.xsd").resolve()
    parser = etree.XMLParser(no_network=True)
    doc = etree.fromstring(_SLD_CAPABILITIES_XSD.format(wms=wms.as_uri()).encode(), parser)
    return etree.XMLSchema(doc)
