"""Delivery, round 61: a zoom outside the served range refused without naming the layer or
the zooms its documents advertise, and a pyramid tile written in place, so that a task
run again by a worker the cluster had given up on (then killed while writing) left the
finished tile cut short in the published pyramid and its archive, and a task still running
once the pyramid was published wrote a staging folder of its own beside it.

``/tiles/heat/30/0/0.png`` said "zoom 30 outside the served range 0..18": which layer, and
whether 0..18 were its zooms (its TileJSON said others), a client could not tell. The
pyramid's tiles were written straight under their names: a second writer of a tile (a
dask task whose worker was declared lost while it still ran, beside the retry that had
finished) truncated the finished tile when it opened it, and a kill then left it half
written where the pyramid was published and packed.

The cube is round 44's SYNTHETIC zarr v3 store (``X`` over three dates, ``heat`` one map),
served by a live ``prospect serve`` in this process (uvicorn on loopback, httpx); the
pyramids are drawn from :func:`tiles.testing.make_tile_fixture`'s SYNTHETIC probability
COG over Bonaire. The kill is the kernel's: the writer runs in a spawned process under
``RLIMIT_FSIZE`` with ``SIGXFSZ`` at its default action, so it dies inside the write of
its first tile. All data here are SYNTHETIC.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import signal
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from tests.robustness.test_serving_round44 import DATES, _config, _cube
from tiles.archive import write_pmtiles
from tiles.pyramid import write_pyramid
from tiles.source import WEB_MERCATOR, cog_source
from tiles.testing import live_server, make_tile_fixture, read_pmtiles_tile

HEAT = "  - {name: heat, cube: cube.zarr, variable: heat, public: true}\n"
XS = "  - {name: xs, cube: cube.zarr, variable: X, dates: all, public: true}\n"
WMTS_REST = "/wmts/1.0.0/{}/default/WebMercatorQuad/{}/0/0.png"
WMTS_KVP = ("/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER={}&STYLE=default"
            "&TILEMATRIXSET=WebMercatorQuad&TILEMATRIX={}&TILEROW=0&TILECOL=0"
            "&FORMAT=image/png")


def _clean(r: Any) -> None:
    assert "Traceback" not in r.text and "internal error" not in r.text, r.text[:300]


# -- 1. a zoom outside the served range ------------------------------------------------------


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """``prospect serve`` (zooms 0..18, the default) of ``heat`` and ``xs`` over the
    SYNTHETIC cube."""
    root = tmp_path_factory.mktemp("round61zooms")
    _cube(root / "cube.zarr", DATES)
    with live_server(_config(root, HEAT + XS)) as live, live.client() as client:
        yield client


def _advertised(client: Any, name: str) -> tuple[int, int]:
    doc = client.get(f"/tilejson/{name}.json").json()
    return int(doc["minzoom"]), int(doc["maxzoom"])


def _span(lo: int, hi: int) -> str:
    """Zooms ``lo..hi`` as a refusal writes them (one zoom: ``7``)."""
    return f"{lo}" if lo == hi else f"{lo}..{hi}"


@pytest.mark.parametrize("name", ["heat", "xs"])
def test_a_tile_zoom_past_the_served_range_names_the_layer_and_its_zooms(
    served: Any, name: str
) -> None:
    """``/tiles/<layer>/30/0/0.png``: the 404 "zoom 30 outside the served range 0..18"
    named neither the layer nor its own zooms (its TileJSON's are others). Now it names the
    layer and the zooms its TileJSON and WMTS capabilities advertise beside the range the
    server draws."""
    lo, hi = _advertised(served, name)
    assert (lo, hi) != (0, 18), (lo, hi)  # the data's zooms are not the server's range
    r = served.get(f"/tiles/{name}/30/0/0.png")
    assert r.status_code == 404, r.text[:300]
    assert r.json()["error"] == (
        f"zoom 30 outside the served range 0..18 of layer {name!r} (its TileJSON and the "
        f"WMTS capabilities' TileMatrixSetLimits advertise zoom{'' if lo == hi else 's'} "
        f"{_span(lo, hi)}, those its "
        "data's cell size and extent suit; the server draws every zoom of the range)")
    _clean(r)


@pytest.mark.parametrize("form", [WMTS_REST, WMTS_KVP])
def test_a_wmts_tilematrix_past_the_served_range_names_the_layer_and_its_limits(
    served: Any, form: str
) -> None:
    """WMTS GetTile at TileMatrix 30, REST and KVP: the 400 ``TileOutOfRange`` said
    "TileMatrix 30 outside the served range 0..18" of no layer. Now it names the layer and
    its TileMatrixSetLimits in the capabilities."""
    lo, hi = _advertised(served, "heat")
    r = served.get(form.format("heat", 30))
    assert r.status_code == 400 and "TileOutOfRange" in r.text, r.text[:300]
    assert ("TileMatrix 30 outside the served range 0..18 of layer 'heat' (its "
            "TileMatrixSetLimits for WebMercatorQuad in the capabilities are TileMatrix "
            f"{_span(lo, hi)}, those its data's cell size and extent suit; the server draws every "
            "TileMatrix of the range)") in r.text, r.text
    assert "zoom" not in r.text  # a WMTS client is told of TileMatrix, not XYZ zooms
    _clean(r)


def test_control_zooms_within_the_served_range_answer_as_before(served: Any) -> None:
    """control: a zoom past the layer's advertised ones but within the served range is
    drawn (200), as before; zoom 19 is the 404 of the served range."""
    _, hi = _advertised(served, "heat")
    t = WEB_MERCATOR.tile(5.5, 52.5, hi + 2)  # the middle of the SYNTHETIC cube
    r = served.get(f"/tiles/heat/{t.z}/{t.x}/{t.y}.png")
    assert r.status_code == 200 and r.headers["content-type"] == "image/png", r.text[:300]
    r = served.get("/tiles/heat/19/0/0.png")
    assert r.status_code == 404 and "outside the served range 0..18" in r.json()["error"]


# -- 2. a tile written again by a task the cluster gave up on ------------------------------


FSIZE_LIMIT = 64
"""Bytes a killed writer may write: less than any tile, so it dies inside its first."""


def _killed_while_writing(fn: Callable[..., Any], *args: Any) -> None:
    """Run the pyramid task ``fn(*args)`` in this (spawned) process, which the kernel kills
    (``SIGXFSZ``) inside the write of its first tile."""
    signal.signal(signal.SIGXFSZ, signal.SIG_DFL)  # Python ignores it by default
    resource.setrlimit(resource.RLIMIT_FSIZE, (FSIZE_LIMIT, FSIZE_LIMIT))
    fn(*args)


class _LostWorkerExecutor(Executor):
    """A cluster whose first task ran twice: its retry runs here to the end, then the first
    run (on a worker declared lost that still ran) writes the same tiles and is killed
    inside the write of its first one."""

    def __init__(self) -> None:
        self.exitcodes: list[int | None] = []

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        fut: Future[Any] = Future()
        fut.set_result(fn(*args, **kwargs))
        if not self.exitcodes:
            proc = multiprocessing.get_context("spawn").Process(
                target=_killed_while_writing, args=(fn, *args))
            proc.start()
            proc.join(120)
            self.exitcodes.append(proc.exitcode)
        return fut


class _LateExecutor(Executor):
    """A cluster one of whose tasks (on a worker given up on) runs again once the pyramid
    is published: the tasks are run here, and the first again by :meth:`late`."""

    def __init__(self) -> None:
        self.first: tuple[Callable[..., Any], tuple[Any, ...]] | None = None

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        if self.first is None:
            self.first = (fn, args)
        fut: Future[Any] = Future()
        fut.set_result(fn(*args, **kwargs))
        return fut

    def late(self) -> None:
        assert self.first is not None
        fn, args = self.first
        fn(*args)


@pytest.fixture(scope="module")
def bonaire(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("round61pyramid")
    return make_tile_fixture(root, resolution=100.0).probability


KW: dict[str, Any] = dict(colormap="viridis", vmin=0.0, vmax=1.0, min_zoom=9, max_zoom=11)


def _tiles(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


def test_a_tile_written_again_by_a_lost_worker_killed_mid_write_stays_whole(
    bonaire: Path, tmp_path: Path
) -> None:
    """The first task run to the end (the retry), then again in a process the kernel kills
    inside the write of its first tile (the worker the cluster had given up on): that tile
    was left as the killed writer's first 64 bytes, published in the pyramid and packed
    into the PMTiles archive, a PNG no reader decodes. Now every tile is written under a
    temporary name and renamed whole: the published pyramid and its archive are byte for
    byte a plain run's, every tile decodes, and no temporary file is left."""
    plain = write_pyramid(cog_source(bonaire), tmp_path / "plain", workers=1, **KW)
    want = _tiles(tmp_path / "plain")
    assert plain.tiles_written == len(want) > 1
    lost = _LostWorkerExecutor()
    write_pyramid(cog_source(bonaire), tmp_path / "pyr", executor=lost, **KW)
    assert lost.exitcodes == [-signal.SIGXFSZ], lost.exitcodes  # a real kill, mid-write
    got = _tiles(tmp_path / "pyr")
    assert sorted(got) == sorted(want)  # no temporary file left in the pyramid
    short = [name for name in want if got[name] != want[name]]
    assert not short, f"tiles cut short: {short[:3]}"
    for tile in (tmp_path / "pyr").rglob("*.png"):
        with Image.open(tile) as img:
            img.load()
    archive = write_pmtiles(tmp_path / "pyr", tmp_path / "pyr.pmtiles",
                            bounds=plain.bounds)
    for name, payload in want.items():
        z, x, y = (int(part) for part in name.removesuffix(".png").split(os.sep))
        assert read_pmtiles_tile(archive, z, x, y) == payload, name
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plain", "pyr", "pyr.pmtiles"]


def test_a_task_still_running_after_the_pyramid_is_published_writes_nothing_beside_it(
    bonaire: Path, tmp_path: Path
) -> None:
    """A task of a worker given up on that runs on once the pyramid is published (its
    staging folder renamed into place): it made the staging folder again
    (``.pyr.staging-<hex>/9/...``) beside the output and wrote its tiles there, a hidden
    folder left until the next run. Now it fails on the folder gone and nothing is
    written; the published pyramid is unchanged."""
    late = _LateExecutor()
    write_pyramid(cog_source(bonaire), tmp_path / "pyr", executor=late, **KW)
    before = _tiles(tmp_path / "pyr")
    with pytest.raises(FileNotFoundError):
        late.late()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pyr"]
    assert _tiles(tmp_path / "pyr") == before


def test_control_a_pyramid_drawn_by_threads_is_the_plain_runs_byte_for_byte(
    bonaire: Path, tmp_path: Path
) -> None:
    """control: the pyramid drawn by two threads is a single thread's byte for byte, with
    no file beside its tiles."""
    write_pyramid(cog_source(bonaire), tmp_path / "one", workers=1, **KW)
    write_pyramid(cog_source(bonaire), tmp_path / "two", workers=2, **KW)
    one, two = _tiles(tmp_path / "one"), _tiles(tmp_path / "two")
    assert one == two and all(name.endswith(".png") for name in one)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["one", "two"]


# -- 3. a variable removed from a cube left without consolidated metadata --------------------


WAIT_S = 1.1
"""The server looks at a cube at most once a second."""
QUIET_WAIT_S = 2.3
"""A cube without consolidated metadata whose files have not changed for 2 s
(:data:`tiles.source.UNCONSOLIDATED_QUIET_S`) is read from its arrays' own metadata."""
GONE_WAIT_S = 2.3
"""A variable missing that long is taken as removed (:data:`tiles.service.VARIABLE_GONE_S`)."""
TILE = "/tiles/{}/7/65/41.png"


def _unconsolidated(cube: Path, names: list[str]) -> None:
    """Rewrite the SYNTHETIC cube in place with only ``names`` of its variables, as another
    tool does (``to_zarr(mode="w", consolidated=False)``): no consolidated metadata."""
    import warnings

    import xarray as xr

    with xr.open_zarr(cube, consolidated=True, decode_coords="all") as ds:
        kept = ds[names].load()
    kept.attrs["synthetic"] = "true"
    with warnings.catch_warnings():  # zarr's note on consolidated metadata in v3
        warnings.simplefilter("ignore")
        kept.to_zarr(cube, mode="w", zarr_format=3, consolidated=False)


@pytest.fixture
def both(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> Iterator[tuple[Path, Any]]:
    """``prospect serve`` of ``heat`` and ``xs`` over the SYNTHETIC cube."""
    import logging

    cube = _cube(tmp_path / "cube.zarr", DATES)
    caplog.set_level(logging.INFO, logger="prospect.tiles")
    with live_server(_config(tmp_path, HEAT + XS)) as live, live.client() as client:
        yield cube, client


def _lines(caplog: pytest.LogCaptureFixture, words: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if words in r.getMessage()]


def test_a_variable_removed_from_a_cube_left_unconsolidated_is_a_404_naming_what_it_holds(
    both: tuple[Path, Any], caplog: pytest.LogCaptureFixture
) -> None:
    """The SYNTHETIC cube written again without ``heat`` and without consolidated metadata
    (``to_zarr(..., consolidated=False)``): ``heat`` was the 503 "damaged, truncated or
    being replaced; try again later" for ever (round 59's 404 of a removed variable needs
    the consolidated metadata). Now, its files still for 2 s, the cube's arrays say what it
    holds: the 404 naming them, not cached, said once in the log; the log says of the cube
    (``xs`` still the 503: it does not read as served) that it holds no consolidated
    metadata and how to consolidate it."""
    cube, client = both
    assert client.get(TILE.format("heat")).status_code == 200
    _unconsolidated(cube, ["X"])
    time.sleep(WAIT_S)
    assert client.get(TILE.format("heat")).status_code == 503  # a moment of a publish
    time.sleep(QUIET_WAIT_S)
    client.get(TILE.format("heat"))
    time.sleep(GONE_WAIT_S)
    for url in (TILE.format("heat"), "/tilejson/heat.json"):
        r = client.get(url)
        assert r.status_code == 404, (url, r.status_code, r.text[:300])
        text = str(r.json()["error"])
        assert "its cube no longer holds it (it holds 'X')" in text, text
        assert "damaged" not in text and r.headers["cache-control"] == "no-store"
        _clean(r)
    assert len(_lines(caplog, "no longer holds its variable 'heat' (it holds X)")) == 1
    r = client.get(TILE.format("xs"))
    assert r.status_code == 503, r.text[:300]
    said = _lines(caplog, "holds no consolidated metadata")
    assert said and f"zarr.consolidate_metadata('{cube}')" in said[-1], said


def test_control_a_cube_left_unconsolidated_with_every_variable_is_never_a_404(
    both: tuple[Path, Any]
) -> None:
    """control: the SYNTHETIC cube written again with both variables, unconsolidated:
    ``heat`` is the 503 as before, never the 404; consolidated, it is served byte for byte
    as before."""
    import zarr

    cube, client = both
    first = client.get(TILE.format("heat")).content
    _unconsolidated(cube, ["X", "heat"])
    for wait in (WAIT_S, QUIET_WAIT_S, GONE_WAIT_S):
        time.sleep(wait)
        r = client.get(TILE.format("heat"))
        assert r.status_code == 503, r.text[:300]
    zarr.consolidate_metadata(str(cube))
    time.sleep(WAIT_S)
    r = client.get(TILE.format("heat"))
    assert r.status_code == 200 and r.content == first, r.text[:300]
