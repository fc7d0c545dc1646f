"""A fault layer's ``faults_extent`` read over a network (round 57).

Round 56 left it: a ``faults_extent`` file given by its URL beside a local fault map was
read under the defaults of an unset ``remote:`` (30 s and 3 retries a look at it), not
the source's own ``remote:`` timeout and retries, so a server that accepts the
connection and never answers held the plan for minutes where the user had asked for
one second; its error then told to raise ``GDAL_HTTP_TIMEOUT`` and did not say which key
named the file. Found by feeding ``plan_vector`` (every chunk computed) a local fault
map and an extent served by a local socket that never answers or a local HTTP server
(2026-12-07). Every file here is small and SYNTHETIC: faults over the tiny region in
UTM 19N.
"""

from __future__ import annotations

import functools
import http.server
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import shapely

from .conftest import TINY_REGION, Sandbox, assert_clean_error, plan_vector_cells
from .test_vectors_round56 import TINY, WEST, X0, XS, Y0, Y1, _area, _faults


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


@pytest.fixture()
def served(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A local HTTP server of a SYNTHETIC folder: the folder and its base URL."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # (no request lines in the output)
            pass

    folder = tmp_path / "site"
    folder.mkdir()
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(folder))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield folder, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def _plan_in_a_thread(path: Path, **source: Any) -> tuple[list[Any], float]:
    """``plan_vector_cells`` of ``path`` on the tiny region in a thread given 25 s: what it
    returned or raised, and how long it took (a read still waiting fails the test)."""
    done: list[Any] = []

    def plan() -> None:
        try:
            done.append(plan_vector_cells(path, TINY, faults_layer="faults", **source))
        except BaseException as exc:  # the outcome, said by the caller
            done.append(exc)

    worker = threading.Thread(target=plan, daemon=True)
    began = time.monotonic()
    worker.start()
    worker.join(25)
    took = time.monotonic() - began
    assert not worker.is_alive(), (
        f"the plan still waits on the silent server after {took:.0f} s, though the "
        "source's remote.timeout_s is 1"
    )
    return done, took


def test_a_faults_extent_url_beside_a_local_map_ends_at_the_sources_remote_timeout(
    tmp_path: Path, silent_server: int
) -> None:
    """Before: the extent's URL was read under the defaults of an unset ``remote:`` (30 s
    and 3 retries a look), not the source's ``remote: {timeout_s: 1, retries: 0}``: the
    plan waited on a server that never answers for minutes. Now it ends within seconds
    with one network error naming the key, the source, the URL and the setting to raise.
    SYNTHETIC faults; the server is a local socket that never answers."""
    from prospect.io.remote import NetworkReadError

    faults = _faults(tmp_path / "faults.gpkg")
    url = f"http://127.0.0.1:{silent_server}/sheet.geojson"
    done, took = _plan_in_a_thread(faults, faults_extent=url, remote={"timeout_s": 1, "retries": 0})
    assert took < 20, took
    assert done and isinstance(done[0], NetworkReadError), done
    said = " ".join(str(done[0]).split())
    assert "\n" not in str(done[0]).strip()
    for words in (
        "faults_extent of source 'geology'",
        f"127.0.0.1:{silent_server}/sheet.geojson",
        "cannot read over the network: timeout",
        "remote.timeout_s",
    ):
        assert words in said, said
    assert "GDAL_HTTP_TIMEOUT" not in said  # (the source's remote: is what to raise)
    assert "corrupt" not in said and "Traceback" not in said


def test_control_a_faults_extent_url_that_answers_is_read_as_the_local_file(
    tmp_path: Path, served: tuple[Path, str]
) -> None:
    """Control: an extent served over HTTP (under the source's ``remote:``) gives the
    distances the same file gives from disk: the east half no data, the west half
    measured; the local map's layer carries no HTTP settings (its tasks read a local
    file). SYNTHETIC faults and extent."""
    folder, base = served
    faults = _faults(tmp_path / "faults.gpkg")
    _area(folder / "sheet.geojson", [shapely.box(*WEST)])
    remote = {"timeout_s": 5, "retries": 0}
    local, _ = plan_vector_cells(
        faults,
        TINY,
        faults_layer="faults",
        faults_extent=str(folder / "sheet.geojson"),
        remote=remote,
    )
    over, warned = plan_vector_cells(
        faults,
        TINY,
        faults_layer="faults",
        faults_extent=f"{base}/sheet.geojson",
        remote=remote,
    )
    layer, cells = over["geology_dist_fault"]
    assert layer.gdal_options == () and layer.versions == ()
    np.testing.assert_array_equal(cells, local["geology_dist_fault"][1])
    west = XS <= X0 + 200
    assert np.isnan(cells[:, ~west]).all()
    np.testing.assert_allclose(cells[0, west], np.abs(XS[west] - (X0 + 50)), atol=1e-3)
    assert any("the faults were mapped over" in w for w in warned), warned


def test_control_a_local_map_and_bounds_are_planned_as_before(tmp_path: Path) -> None:
    """Control: a local map with bounds for its extent reads nothing over a network and
    its layer carries no HTTP settings, as before. SYNTHETIC faults."""
    faults = _faults(tmp_path / "faults.gpkg")
    out, _ = plan_vector_cells(faults, TINY, faults_layer="faults", faults_extent=list(WEST))
    layer, cells = out["geology_dist_fault"]
    assert layer.gdal_options == () and layer.versions == ()
    assert np.isnan(cells[:, XS > X0 + 200]).all()
    assert not np.isnan(cells[:, XS <= X0 + 200]).any()


# --- a faults_extent file the reader's words sent to the map's keys ----------------------


def _refused(path: Path, extent: Path) -> Exception:
    """What planning the SYNTHETIC faults ``path`` with the extent file ``extent`` raised."""
    with pytest.raises(Exception) as caught:
        plan_vector_cells(path, TINY, faults_layer="faults", faults_extent=str(extent))
    return caught.value


def test_a_faults_extent_file_of_several_layers_names_its_own_key(tmp_path: Path) -> None:
    """Before: an extent GeoPackage of two sheets' layers was refused with the reader's
    "name the one to read with 'layer:' in the config", the key of the map's units (which
    would then read the units from the sheet layer), without naming ``faults_extent``.
    Now the message names the key and the source, and says how to give one layer
    (a file of its own) or the bounds. SYNTHETIC faults and sheets."""
    import geopandas as gpd

    from prospect.errors import DataError

    faults = _faults(tmp_path / "faults.gpkg")
    sheets = tmp_path / "sheets.gpkg"
    for name, box in (("sheet1", WEST), ("sheet2", (X0 + 200, Y0 - 100, X0 + 500, Y1 + 100))):
        gpd.GeoDataFrame({"a": [1]}, geometry=[shapely.box(*box)], crs="EPSG:32619").to_file(
            sheets, layer=name
        )
    exc = _refused(faults, sheets)
    assert isinstance(exc, DataError), exc
    said = " ".join(str(exc).split())
    for words in (
        "faults_extent of source 'geology'",
        "holds 2 layers (sheet1, sheet2)",
        "a file of one layer",
        "ogr2ogr -f GPKG sheet.gpkg sheets.gpkg 'sheet1'",
        "or its bounds",
    ):
        assert words in said, said
    assert "name the one to read with 'layer:'" not in said, said


@pytest.mark.parametrize("kind", ["shapefile without .prj", "WKT CSV"])
def test_a_faults_extent_file_without_a_crs_is_not_sent_to_the_sources_crs(
    tmp_path: Path, kind: str
) -> None:
    """Before: an extent file stating no CRS was refused with the reader's "give it with
    'crs:' in the source config", though the source's ``crs:`` is its fault map's (it
    would move the faults) and the extent is never read with it: the user could not get
    past it that way. Now the message names ``faults_extent``, says the source's ``crs:``
    is the map's, and says to write the CRS into the file or give the bounds, keeping the
    reader's hint of which CRS the coordinates look like. SYNTHETIC faults and extents."""
    import geopandas as gpd

    from prospect.errors import CRSError

    faults = _faults(tmp_path / "faults.gpkg")
    if kind == "WKT CSV":
        extent = tmp_path / "sheet.csv"
        extent.write_text(f'id,wkt\n1,"{shapely.box(*WEST).wkt}"\n')
    else:
        extent = tmp_path / "sheet.shp"
        gpd.GeoDataFrame({"a": [1]}, geometry=[shapely.box(*WEST)], crs="EPSG:32619").to_file(
            extent
        )
        extent.with_suffix(".prj").unlink()
    exc = _refused(faults, extent)
    assert isinstance(exc, CRSError), exc
    said = " ".join(str(exc).split())
    for words in (
        "faults_extent of source 'geology'",
        "the file has no CRS",
        "the source's 'crs:' is its map's, not this file's",
        "ogr2ogr -a_srs",
        "EPSG:326NN",  # (the reader's hint of the coordinates' CRS is kept)
    ):
        assert words in said, said
    assert "give it with 'crs:' in the source config" not in said, said


def test_a_self_intersecting_faults_extent_is_said_repaired(tmp_path: Path) -> None:
    """Before: an extent drawn as a bow-tie (its outline crossing itself) was made valid by
    the reader (its two triangles) without a word, where a unit map's or an outline's
    repair is said. Now the repair warning names the feature, the place and what it was
    read as; the cells are those of the two triangles. SYNTHETIC faults and extent."""
    faults = _faults(tmp_path / "faults.gpkg")
    bow = shapely.Polygon(
        [(X0 - 100, Y0 - 100), (X0 + 200, Y1 + 100), (X0 + 200, Y0 - 100), (X0 - 100, Y1 + 100)]
    )
    _area(tmp_path / "bow.gpkg", [bow])
    out, warned = plan_vector_cells(
        faults, TINY, faults_layer="faults", faults_extent=str(tmp_path / "bow.gpkg")
    )
    repaired = [w for w in warned if "repaired with shapely.make_valid" in w]
    assert len(repaired) == 1, warned
    for words in ("faults_extent of source 'geology'", "feature 1", "bow-tie", "Fix Geometries"):
        assert words in repaired[0], repaired[0]
    cells = out["geology_dist_fault"][1]
    xx, yy = np.meshgrid(XS, np.asarray(TINY.y))
    inside = shapely.intersects_xy(shapely.make_valid(bow), xx, yy)
    assert np.array_equal(~np.isnan(cells), inside)


def test_control_a_faults_extent_geopackage_of_one_layer_is_read_without_a_word_more(
    tmp_path: Path,
) -> None:
    """Control: an extent GeoPackage of one valid layer is read as before: no repair, no
    layer words, the west half measured. SYNTHETIC faults and extent."""
    faults = _faults(tmp_path / "faults.gpkg")
    _area(tmp_path / "sheet.gpkg", [shapely.box(*WEST)])
    out, warned = plan_vector_cells(
        faults, TINY, faults_layer="faults", faults_extent=str(tmp_path / "sheet.gpkg")
    )
    assert not any("repaired" in w or "layers" in w for w in warned), warned
    cells = out["geology_dist_fault"][1]
    assert np.isnan(cells[:, XS > X0 + 200]).all()
    assert not np.isnan(cells[:, XS <= X0 + 200]).any()


def test_ingest_of_a_faults_extent_without_a_crs_is_one_error_line(
    sandbox: Sandbox, cli: Any
) -> None:
    """A real ``prospect ingest`` with an extent Shapefile whose ``.prj`` is missing: exit
    1, one error line naming the key and the fix in the file (not the source's ``crs:``),
    no traceback, nothing written. SYNTHETIC faults and extent."""
    import geopandas as gpd

    _faults(sandbox.root / "faults.gpkg")
    extent = sandbox.root / "sheet.shp"
    gpd.GeoDataFrame({"a": [1]}, geometry=[shapely.box(*WEST)], crs="EPSG:32619").to_file(extent)
    extent.with_suffix(".prj").unlink()
    source = {
        "kind": "vector",
        "name": "geo",
        "path": "faults.gpkg",
        "faults_layer": "faults",
        "faults_extent": "sheet.shp",
    }
    sandbox.write_job(region=dict(TINY_REGION), sources=[source])
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out)
    line = assert_clean_error(
        result, 1, "faults_extent of source 'geo'", "the file has no CRS", "ogr2ogr -a_srs"
    )
    assert "give it with 'crs:' in the source config" not in line
    assert not (sandbox.out / "cube.zarr").exists()
