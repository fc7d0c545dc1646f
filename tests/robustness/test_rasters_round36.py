"""Round 36: survey layers read over a network, and a grey GeoPackage raster.

A geology map on a server that accepts the connection and never answers hung the job for
ever (pyogrio reads with a GDAL of its own, which the raster side's HTTP settings never
reached, and a vector source took no ``remote:``); an outline on such a server was waited
on once per look at it; a map replaced on its server was read from this process's caches
as it was; a map the server answered 404 for, a zipped map, a GeoParquet map, a map in a
bucket without credentials and a sign-in page under the map's name were each "cannot read
as a vector file (corrupt?)"; and a single-band GeoPackage raster (grey tiles), which
GDAL opens as RGBA, was asked for the names of its "3 bands".

Found by an in-process ``prospect ingest`` and by planning (``plan_raster``,
``plan_vector``, ``read_outline``) SYNTHETIC maps and grids written with rasterio and
geopandas into ``tmp_path``, served by a local HTTP server or a local socket that never
answers (2026-12-05). Every file here is small and SYNTHETIC.
"""

from __future__ import annotations

import socket
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from .conftest import Sandbox, assert_clean_error
from .test_rasters_round22 import _grid

# --- a geology map on a server that never answers ----------------------------------------


@pytest.fixture(scope="module")
def silent_server() -> Iterator[int]:
    """The port of a local HTTP "server" that accepts every connection and never answers
    (a stalled proxy, an overloaded survey portal): SYNTHETIC."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        sock.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
            except OSError:
                continue
            held.append(conn)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield sock.getsockname()[1]
    finally:
        stop.set()
        thread.join(5)
        for conn in held:
            conn.close()
        sock.close()


def test_a_geology_map_url_whose_server_never_answers_ends_at_the_remote_timeout(
        sandbox: Sandbox, cli: Any, scheduler: str, silent_server: int) -> None:
    """Before: a vector source read from a URL was opened by pyogrio's own GDAL, which the
    HTTP timeouts set for rasterio's never reached, and a vector source took no
    ``remote:``: ``prospect ingest`` of a geology map on a server that accepts the
    connection and never answers hung for ever. Now the source's ``remote:`` timeout
    holds: one error line naming the URL and the setting, within seconds."""
    url = f"http://127.0.0.1:{silent_server}/geology.gpkg"
    sandbox.write_job(sources=[{"kind": "vector", "name": "geology", "path": url,
                                "attribute": "unit",
                                "remote": {"timeout_s": 1, "retries": 0}}])
    began = time.monotonic()
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    took = time.monotonic() - began
    line = assert_clean_error(result, 1, f"127.0.0.1:{silent_server}/geology.gpkg",
                              "cannot read over the network: timeout", "remote.timeout_s")
    assert "corrupt" not in line
    assert took < 20, took
    assert sandbox.untouched()


def test_a_geology_layer_computed_in_a_task_keeps_the_sources_timeout(
        silent_server: int) -> None:
    """Before: a planned geology layer carried no HTTP settings, so a task reading the
    map over a network (in a worker thread or process) waited on a silent server for
    ever. Now the layer carries the source's ``remote:`` settings and a task's read ends
    at its timeout with the network error."""
    from prospect.errors import InputFileError
    from prospect.ingest.geology import GeologyCodesLayer
    from prospect.io.remote import gdal_http_options

    url = f"/vsicurl/http://127.0.0.1:{silent_server}/faults.gpkg"
    grid = _grid()
    layer = GeologyCodesLayer(
        name="geology", units="1", long_name="units", kind="categorical", inputs=(url,),
        path=url, layer=None, attribute="unit", crs="EPSG:32619", codes=("A", "B"),
        gdal_options=tuple(gdal_http_options(timeout_s=1, retries=0,
                                             retry_delay_s=0).items()))
    window = next(iter(grid.chunk_windows()))
    failed: list[BaseException] = []

    def task() -> None:
        try:
            layer.compute(grid, window)
        except BaseException as exc:  # the task's outcome, said below
            failed.append(exc)

    worker = threading.Thread(target=task, daemon=True)
    began = time.monotonic()
    worker.start()
    worker.join(20)
    assert not worker.is_alive(), "the task still waits on the silent server"
    assert time.monotonic() - began < 20
    assert failed and isinstance(failed[0], InputFileError), failed
    assert "cannot read over the network: timeout" in str(failed[0])


# --- a single-band GeoPackage raster that GDAL opens as RGBA -----------------------------


def _gpkg(path: Path, bands: int) -> Path:
    """A SYNTHETIC GeoPackage raster of ``bands`` Byte bands (1: grey tiles, as QGIS or
    ``gdal_translate -of GPKG`` writes a single-band map; 3: RGB) on the tiny region."""
    import rasterio
    from rasterio.transform import from_origin

    values = (np.arange(40, dtype="uint8")[:, None] * np.ones((1, 40), "uint8")) + 1
    with rasterio.open(path, "w", driver="GPKG", width=40, height=40, count=bands,
                       dtype="uint8", crs="EPSG:32619",
                       transform=from_origin(500000.0, 1350400.0, 10, 10)) as dst:
        dst.write(np.stack([values + 10 * i for i in range(bands)]))
    return path


def test_a_grey_geopackage_raster_is_said_as_one_band_with_the_command_that_reads_it(
        sandbox: Sandbox, cli: Any, scheduler: str) -> None:
    """Before: a single-band Byte GeoPackage raster (grey tiles) opened in GDAL as three
    bands and an alpha band (the GPKG driver's default ``BAND_COUNT=4``), so ingest asked
    to name "each" of its 3 bands with ``band_names`` (three copies of one band); given
    one name it said the file "has 3 band(s)". Now the error says its tiles are grey
    (one band) and gives the ``gdal_translate -oo BAND_COUNT=2 -b 1 -mask 2`` command."""
    _gpkg(sandbox.root / "dem.gpkg", 1)
    sandbox.write_job(sources=[{"kind": "raster", "name": "dem", "path": "dem.gpkg",
                                "units": "m"}])
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    line = assert_clean_error(result, 1, "dem.gpkg", "grey", "one band",
                              "gdal_translate -oo BAND_COUNT=2 -b 1 -mask 2 dem.gpkg dem.tif")
    assert "band_names" not in line
    assert sandbox.untouched()


def test_a_grey_geopackage_raster_given_one_band_name_is_said_as_one_band(
        tmp_path: Path) -> None:
    """Before: ``band_names: [dem]`` on a grey GeoPackage raster was refused as "has 3
    band(s) and 1 alpha band(s) but the config names 1", which asks for two more names
    of copies of the one band. Now the same one-band explanation and command."""
    from prospect.config.sources import RasterSource
    from prospect.errors import DataError
    from prospect.ingest.rasters import plan_raster

    path = _gpkg(tmp_path / "dem.gpkg", 1)
    with pytest.raises(DataError) as caught, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plan_raster(RasterSource(name="dem", path=str(path), band_names=["dem"]), _grid())
    text = str(caught.value)
    assert "grey images (one band)" in text and "-oo BAND_COUNT=2" in text, text
    assert "names 1" not in text


def test_an_rgb_geopackage_raster_still_asks_for_its_band_names(tmp_path: Path) -> None:
    """control: a GeoPackage raster of RGB tiles is three bands of data and an alpha band;
    without ``band_names`` it is still asked for them, with no word of grey tiles, and
    with them it reads each band (band 2 = band 1 + 10)."""
    from prospect.config.sources import RasterSource
    from prospect.errors import DataError
    from prospect.ingest.rasters import plan_raster

    path = _gpkg(tmp_path / "rgb.gpkg", 3)
    grid = _grid()
    with pytest.raises(DataError) as caught, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plan_raster(RasterSource(name="rgb", path=str(path)), grid)
    assert "band_names" in str(caught.value) and "grey" not in str(caught.value)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        layers = plan_raster(RasterSource(name="rgb", path=str(path),
                                          band_names=["r", "g", "b"]), grid)
        window = next(iter(grid.chunk_windows()))
        red, green = (layers[i].compute(grid, window) for i in (0, 1))
    assert np.array_equal(green, red + 10)
    assert float(red[0, 0]) == 1.0


def test_an_outline_url_whose_server_never_answers_is_asked_once_under_the_environment(
        silent_server: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Before: a region outline read from a URL (no ``remote:`` applies to it) was looked
    at three times on a silent server (its CRS's datum, whether it states a CRS, the
    read), each look waiting out GDAL's timeout again, and the error called the file
    unreadable as a vector file. Now the first failure is said at once by the later
    looks, the environment's ``GDAL_HTTP_TIMEOUT`` holds, and the error says the network
    failed and which settings give it longer."""
    from prospect.config.vsi import GdalPath, gdal_name
    from prospect.io.remote import NetworkReadError
    from prospect.outlines import read_outline

    monkeypatch.setenv("GDAL_HTTP_TIMEOUT", "1")
    monkeypatch.setenv("GDAL_HTTP_MAX_RETRY", "0")
    url = f"http://127.0.0.1:{silent_server}/land.geojson"
    began = time.monotonic()
    with pytest.raises(NetworkReadError) as caught:
        read_outline(GdalPath(gdal_name(url, None)))
    took = time.monotonic() - began
    text = str(caught.value)
    assert f"127.0.0.1:{silent_server}/land.geojson" in text
    assert "cannot read over the network: timeout" in text and "GDAL_HTTP_TIMEOUT" in text
    assert "remote.timeout_s" not in text  # an outline has no remote: to set
    assert took < 6, took


# --- a geology map replaced on its server ---------------------------------------------------


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """A folder served over HTTP on this machine (a survey's download portal: SYNTHETIC)
    and its base URL."""
    import functools
    import http.server

    folder = tmp_path_factory.mktemp("portal")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *_args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield folder, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def _halves(path: Path, units: list[str]) -> None:
    """A SYNTHETIC GeoJSON geology map: ``units[0]`` west, ``units[1]`` east of the tiny
    region."""
    import geopandas as gpd
    import shapely

    left, bottom, right, top = _grid().bounds
    mid = (left + right) / 2
    if path.exists():
        path.unlink()
    gpd.GeoDataFrame({"unit": units}, geometry=[
        shapely.box(left, bottom, mid, top), shapely.box(mid, bottom, right, top)],
        crs="EPSG:32619").to_file(path, driver="GeoJSON")


def test_a_geology_map_replaced_on_its_server_is_read_as_it_is_now(
        served: tuple[Path, str]) -> None:
    """Before: a geology map read from a URL was kept by pyogrio's GDAL (its own cache of
    the file's ranges, which the drop of rasterio's GDAL's cache never reached) and by
    the reader's caches keyed by a local file's stamp (none for a URL), so planning it
    again in the same process (a notebook, a second job) after the survey replaced unit
    ``B`` by ``C`` on its server still coded ``A`` and ``B``, without a word. Now each
    plan reads the map as the server holds it."""
    from .conftest import plan_vector_cells

    folder, base = served
    url = f"{base}/geology.geojson"
    _halves(folder / "geology.geojson", ["A", "B"])
    first, _ = plan_vector_cells(url, _grid(), attribute="unit",
                                 remote={"timeout_s": 5, "retries": 0})
    assert first["geology"][0].codes == ("A", "B")
    _halves(folder / "geology.geojson", ["A", "C"])
    again, _ = plan_vector_cells(url, _grid(), attribute="unit",
                                 remote={"timeout_s": 5, "retries": 0})
    layer, cells = again["geology"]
    assert layer.codes == ("A", "C")
    assert int((cells == 1).sum()) == 800  # the east half: code 1, now 'C'


def test_a_geology_map_missing_on_its_server_is_said_as_http_404(
        served: tuple[Path, str]) -> None:
    """Before: a geology map URL the server answers 404 (a portal that moved the file) was
    "cannot read as a vector file (corrupt?)". Now it is said as the network's failure,
    HTTP 404, naming the URL."""
    from prospect.config.sources import VectorSource
    from prospect.errors import InputFileError
    from prospect.ingest.geology import plan_vector

    _, base = served
    with pytest.raises(InputFileError) as caught, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plan_vector(VectorSource(name="geology", path=f"{base}/moved.gpkg",
                                 attribute="unit"), _grid())
    text = str(caught.value)
    assert "moved.gpkg: cannot read over the network: HTTP 404" in text, text
    assert "corrupt" not in text


@pytest.mark.parametrize("inside", ["shapefile", "geopackage"])
def test_a_zipped_geology_map_on_a_server_is_read_at_the_map_inside(
        served: tuple[Path, str], inside: str) -> None:
    """Before: a zipped geology map given by its URL (``https://.../geology.zip``, as
    survey portals deliver Shapefiles) was "cannot read as a vector file (corrupt?)",
    though the same zip on disk is read at the map inside it. Now the zip on the server
    is read the same way: its Shapefile, or its one GeoPackage (units A west, B east)."""
    import zipfile

    import geopandas as gpd

    from .conftest import plan_vector_cells

    folder, base = served
    work = folder / f"make_{inside}"
    work.mkdir()

    _halves(work / "map.geojson", ["A", "B"])
    frame = gpd.read_file(work / "map.geojson")
    if inside == "shapefile":
        frame.to_file(work / "units.shp")
        parts = [p for p in work.iterdir() if p.stem == "units"]
    else:
        frame.to_file(work / "units.gpkg", driver="GPKG")
        parts = [work / "units.gpkg"]
    with zipfile.ZipFile(folder / f"geology_{inside}.zip", "w") as zf:
        for part in parts:
            zf.write(part, part.name)
    out, said = plan_vector_cells(f"{base}/geology_{inside}.zip", _grid(), attribute="unit")
    layer, cells = out["geology"]
    assert layer.codes == ("A", "B")
    assert int((cells == 0).sum()) == 800 and int((cells == 1).sum()) == 800
    assert not [w for w in said if "application_id" in w], said


def test_a_geoparquet_map_url_is_said_to_need_downloading(
        served: tuple[Path, str]) -> None:
    """Before: a GeoParquet geology map given by its URL went to GDAL, which has no
    Parquet driver here: "cannot read as a vector file (corrupt?) ... not recognized as
    being in a supported file format" for a sound file. Now the error says GeoParquet is
    read from this machine only and how to download it."""
    import geopandas as gpd

    from prospect.config.sources import VectorSource
    from prospect.errors import InputFileError
    from prospect.ingest.geology import plan_vector

    folder, base = served
    _halves(folder / "units.geojson", ["A", "B"])
    gpd.read_file(folder / "units.geojson").to_parquet(folder / "units.parquet")
    with pytest.raises(InputFileError) as caught, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plan_vector(VectorSource(name="geology", path=f"{base}/units.parquet",
                                 attribute="unit"), _grid())
    text = str(caught.value)
    assert "units.parquet: a GeoParquet file is read from this machine only" in text, text
    assert "curl -fLo units.parquet" in text and "corrupt" not in text


def test_a_geology_map_in_a_bucket_without_credentials_says_which_to_set(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Before: a geology map in an S3 bucket read without credentials was "cannot read as
    a vector file (corrupt?): InvalidCredentials: No valid AWS credentials found..." (a
    raster in the same bucket: "cannot read: no credentials", with the settings). Now the
    map's error is the raster's: no credentials, and which settings give them."""
    from prospect.config.sources import VectorSource
    from prospect.errors import InputFileError
    from prospect.ingest.geology import plan_vector

    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_NO_SIGN_REQUEST"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    with pytest.raises(InputFileError) as caught, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plan_vector(VectorSource(name="geology", path="s3://survey-bucket/geology.gpkg",
                                 attribute="unit"), _grid())
    text = str(caught.value)
    assert "survey-bucket/geology.gpkg: cannot read: no credentials" in text, text
    assert "AWS_NO_SIGN_REQUEST=YES" in text and "corrupt" not in text


@pytest.mark.parametrize(("answer", "said"), [
    ('<!DOCTYPE html><html><head><title>Sign in</title></head><body>Please sign in'
     '</body></html>', "an HTML page the server answered with"),
    ('{"error": "Forbidden", "message": "token expired"}', "the server's error answer"),
], ids=["sign-in-page", "json-error"])
def test_a_geology_map_url_answered_with_a_page_is_said_to_be_one(
        served: tuple[Path, str], answer: str, said: str) -> None:
    """Before: a geology map URL the portal answered with its sign-in page (or a JSON error,
    200 OK) under the map's name was "cannot read as a vector file (corrupt?) ... not
    recognized as being in a supported file format", where the same page saved on disk is
    named as a page. Now the error says what the server answered."""
    from prospect.config.sources import VectorSource
    from prospect.errors import InputFileError
    from prospect.ingest.geology import plan_vector

    folder, base = served
    name = f"portal_{len(answer)}.gpkg"
    (folder / name).write_text(answer)
    with pytest.raises(InputFileError) as caught, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plan_vector(VectorSource(name="geology", path=f"{base}/{name}", attribute="unit"),
                    _grid())
    text = str(caught.value)
    assert f"{name}: not a vector file but {said}" in text, text
    assert "corrupt" not in text
