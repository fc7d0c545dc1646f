"""Round 64 (isolation): what a layer's readers and a cluster's nannies left in the process.

Prospect embedded in a notebook, a tile server or the test session (two xdist workers,
many files each) runs many jobs in one process. Round 63's guard
(``PROSPECT_TEST_ISOLATION=fail``) found two things a call left behind for good
(2026-12-07): a pyramid written in the calling thread (``write_pyramid(cog_source(cog),
..., workers=1)``) left rasterio's environment entered in that thread and GDAL's
process-wide ``GTIFF_IMPLICIT_JPEG_OVR=OFF`` and ``RASTERIO_ENV=ON`` set, and the
layer's files open, since no one closed the source's readers; and a cluster held by
:func:`pipelines.cluster.local_cluster` alone whose nanny restarted a worker left the
nannies' variables (``OMP_NUM_THREADS=1`` ...) in ``os.environ`` after it closed.

Every file here is small and SYNTHETIC (:func:`tiles.testing.make_tile_fixture`'s
probability COG, the corpus's tiny raster job).
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from .conftest import Sandbox, run_in_process

NANNY_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                   "PYTHONHASHSEED", "MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_")
"""What a nanny writes into the environment of the process that starts it."""

KW: dict[str, Any] = dict(colormap="viridis", vmin=0.0, vmax=1.0, min_zoom=9, max_zoom=11)

_IMPORT_SET = ("GDAL_DATA", "GDAL_PAM_ENABLED", "GDAL_VRT_ENABLE_PYTHON",
               "GTIFF_POINT_GEO_IGNORE", "PROJ_DATA", "PROJ_LIB", "GDAL_CURL_CA_BUNDLE",
               "PROJ_CURL_CA_BUNDLE")


def _gdal_process_wide() -> list[str]:
    """GDAL's process-wide configuration options (``KEY=VALUE``), those a library's
    import sets on purpose left out."""
    from rasterio import _env

    get = ctypes.CDLL(str(_env.__file__)).CPLGetConfigOptions
    get.restype = ctypes.POINTER(ctypes.c_char_p)
    pointer, found = get(), []
    while pointer and pointer[len(found)] is not None:
        found.append(pointer[len(found)].decode())
    return sorted(o for o in found if o.partition("=")[0] not in _IMPORT_SET)


def _open_on(path: Path) -> list[int]:
    """This process's file descriptors open on ``path``."""
    want, found = os.path.realpath(path), []
    for fd in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{fd}") == want:
                found.append(int(fd))
        except OSError:  # closed meanwhile (the listing's own)
            continue
    return found


def _mercator_box(source: Any) -> tuple[float, float, float, float]:
    """The Web Mercator box (EPSG:3857 metres) of ``source``'s data."""
    from pyproj import Transformer

    west, south, east, north = source.lonlat_bounds
    to = Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True)
    (left, right), (bottom, top) = to.transform([west, east], [south, north])
    return left, bottom, right, top


def _tiles(root: Path) -> str:
    digest = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file():
            digest.update(str(p.relative_to(root)).encode() + p.read_bytes())
    return digest.hexdigest()


@pytest.fixture(scope="module")
def cog(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tiles.testing import make_tile_fixture

    return make_tile_fixture(tmp_path_factory.mktemp("round64isolation"),
                             resolution=100.0).probability


# -- 1. a layer's readers ------------------------------------------------------------------


def test_a_pyramid_drawn_in_this_thread_leaves_rasterio_and_gdal_as_found(
        cog: Path, tmp_path: Path) -> None:
    """Before: ``write_pyramid(cog_source(cog), out, workers=1)`` (a notebook's, a test's)
    left rasterio's environment entered in the calling thread for good, and GDAL's
    process-wide ``GTIFF_IMPLICIT_JPEG_OVR=OFF`` and ``RASTERIO_ENV=ON`` set: the main
    thread's ``Reader`` entered it as it opened and no one closed it, so every later
    ``rasterio.Env`` of the thread was a nested one. Now a reader holds the environment
    for its read only, and the pyramid closes the source's readers when it is done."""
    from rasterio.env import hasenv

    from tiles.pyramid import write_pyramid
    from tiles.source import cog_source

    before, entered = _gdal_process_wide(), hasenv()
    result = write_pyramid(cog_source(cog), tmp_path / "pyr", workers=1, **KW)
    assert result.tiles_written > 1
    assert _gdal_process_wide() == before
    assert hasenv() == entered


def test_a_pyramid_leaves_none_of_its_layers_files_open(cog: Path, tmp_path: Path) -> None:
    """Before: the layer's COG stayed open in this process after ``write_pyramid``
    returned (the calling thread's reader and dataset handles), until the source was
    collected; a tile server or notebook drawing many layers held a descriptor per
    layer. Now the pyramid closes them, drawn in this thread or in a pool's."""
    from tiles.pyramid import write_pyramid
    from tiles.source import cog_source

    for workers in (1, 2):
        source = cog_source(cog)
        write_pyramid(source, tmp_path / f"pyr{workers}", workers=workers, **KW)
        assert _open_on(cog) == [], f"workers={workers}"


def test_a_closed_layer_source_holds_no_handle_of_any_thread(cog: Path) -> None:
    """Before: a :class:`tiles.source.LayerSource` had no ``close``: its readers and
    handles (one set per thread that read it) stayed open as long as it lived. Now
    ``close()`` (or a ``with`` block's end) closes them all, this thread's and every
    other's, and the source reads again after it, the same values."""
    from tiles.source import cog_source

    source = cog_source(cog)
    west, south, east, north = source.lonlat_bounds
    lon, lat = west + 0.25 * (east - west), south + 0.3 * (north - south)  # a value
    bbox = _mercator_box(source)

    def read() -> tuple[float | None, bytes]:
        return source.point(lon, lat), source.read_mercator(bbox, width=16, height=16).tobytes()

    here = read()
    with ThreadPoolExecutor(2) as pool:
        there = [f.result() for f in [pool.submit(read) for _ in range(4)]]
        assert _open_on(cog) != []  # the pool's threads still live, their handles open
        source.close()
        assert _open_on(cog) == []
    assert all(t == here for t in there)
    assert here[0] is not None
    assert read() == here  # opened again
    with source as same:
        assert same is source
        assert same.point(lon, lat) == here[0]
    assert _open_on(cog) == []


def test_control_the_tiles_stage_run_in_process_leaves_no_layer_file_open(
        tmp_path: Path, scheduler: str) -> None:
    """The tiles stage run in this process on a score COG (each layer drawn in a thread
    of the stage's pool): it leaves no handle on the layer's file, GDAL's process-wide
    options and this thread's rasterio environment as found, and draws the tiles. Each
    layer's source is now closed when the layer is done, or failed."""
    from rasterio.env import hasenv

    from tiles.testing import make_tile_fixture

    box = Sandbox(tmp_path / "box")
    box.write_job(tiles={"layers": [{"variable": "heat"}]})
    result = run_in_process("ingest", box.job_path, "-o", box.out, "--scheduler", scheduler)
    assert result.code == 0, result.err[-3000:]
    score = box.out / "score"
    score.mkdir()
    made = make_tile_fixture(tmp_path / "fixture", resolution=100.0)
    layer = score / "heat.tif"  # a score COG is read before the cube's variable
    layer.write_bytes(made.probability.read_bytes())
    before, entered = _gdal_process_wide(), hasenv()
    result = run_in_process("tiles", box.job_path, "-o", box.out, "--scheduler", scheduler)
    assert result.code == 0, result.err[-3000:]
    assert any((box.out / "tiles" / "heat").rglob("*.png"))
    assert _open_on(layer) == []
    assert _gdal_process_wide() == before
    assert hasenv() == entered


def test_control_pyramids_are_byte_for_byte_alike_however_drawn(
        cog: Path, tmp_path: Path) -> None:
    """The pyramid drawn in this thread, on two threads and again from the same (closed)
    source is byte for byte one pyramid; a second source of the same file draws it too."""
    from tiles.pyramid import write_pyramid
    from tiles.source import cog_source

    source = cog_source(cog)
    first = write_pyramid(source, tmp_path / "a", workers=1, **KW)
    again = write_pyramid(source, tmp_path / "b", workers=2, **KW)
    other = write_pyramid(cog_source(cog), tmp_path / "c", workers=1, **KW)
    assert first.tiles_written == again.tiles_written == other.tiles_written > 1
    assert _tiles(tmp_path / "a") == _tiles(tmp_path / "b") == _tiles(tmp_path / "c")


def test_control_a_source_left_unclosed_in_an_ended_thread_is_let_go(cog: Path) -> None:
    """A thread that read a source and ended without closing it leaves nothing of it open
    once collected (its handles go with the thread's own state)."""
    import gc

    from tiles.source import cog_source

    source = cog_source(cog)
    values: list[float | None] = []

    def read() -> None:
        west, south, east, north = source.lonlat_bounds
        values.append(source.point(west + 0.25 * (east - west), south + 0.3 * (north - south)))

    reader = threading.Thread(target=read)
    reader.start()
    reader.join()
    gc.collect()
    assert values and values[0] is not None
    assert _open_on(cog) == []


# -- 2. a cluster held by local_cluster alone ------------------------------------------------


@pytest.fixture()
def no_nanny_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    """This process's environment without any variable a nanny writes (put back after)."""
    for name in NANNY_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def test_a_local_clusters_restarted_worker_leaves_no_variables_after_its_close(
        no_nanny_variables: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Before: a cluster held by :func:`pipelines.cluster.local_cluster` alone (the
    benchmarks', a user's ``with local_cluster(2) as cluster:``) whose nanny restarted a
    worker (after a kill, a memory stop) wrote ``OMP_NUM_THREADS=1``, ``PYTHONHASHSEED``
    ... into this process's environment again after the start's restore, and its close
    left them there. Now its close puts them back as the start found them: unset stays
    unset, a user's own value stays."""
    from distributed import Client

    from pipelines.cluster import local_cluster

    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "3")
    with local_cluster(1, dashboard_address=None) as cluster:
        assert repr(cluster).startswith("LocalCluster(")
        with Client(cluster) as client:
            client.restart_workers(list(client.scheduler_info()["workers"]))
            assert client.submit(os.environ.get, "OMP_NUM_THREADS").result() == "1"
    left = {n: os.environ[n] for n in NANNY_VARIABLES if n in os.environ}
    assert left == {"OPENBLAS_NUM_THREADS": "3"}
