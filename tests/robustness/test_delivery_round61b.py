"""Delivery, round 61b: a pyramid task killed between the leftover sweep and the publish
left its hidden temporary tile in the published pyramid, and the requests the tile server
answered before any endpoint (refused at its edge, an unknown endpoint, a redirect, a CORS
preflight, a file of the viewer's) were left out of its access log.

Round 61 wrote each tile under a hidden temporary name beside it and swept what a killed
writer left before the publish; a task of a worker the cluster had given up on that wrote a
tile after that sweep and was killed before its rename left ``.954.png.tmp-<hex>`` in the
published pyramid. The pyramids are drawn from :func:`tiles.testing.make_tile_fixture`'s
SYNTHETIC probability COG over Bonaire; the kill is the kernel's (``RLIMIT_FSIZE`` with
``SIGXFSZ`` at its default action, in a spawned process). The server is a live ``prospect
serve`` (uvicorn on loopback, httpx) of round 44's SYNTHETIC zarr v3 cube with
``access_log:`` and ``cors_origins:``. All data here are SYNTHETIC.
"""

from __future__ import annotations

import json
import multiprocessing
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future
from pathlib import Path
from typing import Any

import pytest

from prospect.io.files import add_publish_guard
from tests.robustness.test_delivery_round61 import KW, _killed_while_writing, _tiles
from tests.robustness.test_serving_round44 import DATES, _cube
from tiles.pyramid import write_pyramid
from tiles.server import MAX_URL_LENGTH
from tiles.source import WEB_MERCATOR, cog_source
from tiles.testing import live_server, make_tile_fixture


@pytest.fixture(scope="module")
def bonaire(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("round61bpyramid")
    return make_tile_fixture(root, resolution=100.0).probability


# -- 1. a task killed between the sweep and the publish -------------------------------------


class _RecordingExecutor(Executor):
    """A cluster whose first task also runs on a worker it has given up on: the tasks run
    here; the first is kept to be run again (:meth:`again`)."""

    def __init__(self) -> None:
        self.first: tuple[Callable[..., Any], tuple[Any, ...]] | None = None
        self.exitcodes: list[int | None] = []

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        if self.first is None:
            self.first = (fn, args)
        fut: Future[Any] = Future()
        fut.set_result(fn(*args, **kwargs))
        return fut

    def again_killed(self) -> None:
        """Run the first task again in a process the kernel kills inside its first tile's
        write."""
        assert self.first is not None
        fn, args = self.first
        proc = multiprocessing.get_context("spawn").Process(
            target=_killed_while_writing, args=(fn, *args))
        proc.start()
        proc.join(120)
        self.exitcodes.append(proc.exitcode)


@pytest.fixture
def at_publish() -> Iterator[list[Callable[[Path], None]]]:
    """Functions run right before a publish (the guard hook of :mod:`prospect.io.files`):
    after the pyramid's tiles are all written and its leftovers removed."""
    hooks: list[Callable[[Path], None]] = []
    remove = add_publish_guard(lambda target: [hook(target) for hook in hooks] and None)
    yield hooks
    remove()


def test_a_task_killed_between_the_sweep_and_the_publish_leaves_nothing_in_the_pyramid(
    bonaire: Path, tmp_path: Path, at_publish: list[Callable[[Path], None]]
) -> None:
    """The first task runs again (its worker given up on) once every tile is written and
    the leftovers are swept, right before the publish, and the kernel kills it inside the
    write of its first tile: its hidden temporary file (``.<y>.png.tmp-<hex>``) was
    published inside the pyramid. Now the temporary files are written in a scratch folder
    beside the staging folder, removed before the publish: the published pyramid is a
    plain run's byte for byte, and nothing is left beside it."""
    write_pyramid(cog_source(bonaire), tmp_path / "plain", workers=1, **KW)
    want = _tiles(tmp_path / "plain")
    lost = _RecordingExecutor()
    pyr = tmp_path / "pyr"
    at_publish.append(lambda target: lost.again_killed() if target == pyr else None)
    write_pyramid(cog_source(bonaire), pyr, executor=lost, **KW)
    assert len(lost.exitcodes) == 1, lost.exitcodes  # the task ran again at the publish
    hidden = [str(p.relative_to(pyr)) for p in pyr.rglob(".*")]
    assert not hidden, f"temporary files published in the pyramid: {hidden}"
    assert _tiles(pyr) == want
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plain", "pyr"]


def test_control_a_pyramid_published_while_nothing_runs_again_is_as_before(
    bonaire: Path, tmp_path: Path, at_publish: list[Callable[[Path], None]]
) -> None:
    """control: a pyramid written through an executor with no task run again is the
    plain run's byte for byte, and nothing is left beside it."""
    write_pyramid(cog_source(bonaire), tmp_path / "plain", workers=1, **KW)
    write_pyramid(cog_source(bonaire), tmp_path / "pyr", executor=_RecordingExecutor(),
                  **KW)
    assert _tiles(tmp_path / "pyr") == _tiles(tmp_path / "plain")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plain", "pyr"]


# -- 2. requests answered before any endpoint, left out of the access log --------------------


ORIGIN = "https://maps.example.org"


@pytest.fixture(scope="module")
def logged(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Path]]:
    """``prospect serve`` of ``heat`` over the SYNTHETIC cube with ``access_log:`` and a CORS
    origin: the client and the log file."""
    root = tmp_path_factory.mktemp("round61blog")
    _cube(root / "cube.zarr", DATES)
    (root / "serve.yaml").write_text(
        "title: Round 61b (synthetic)\naccess_log: logs/access.log\n"
        f"cors_origins: [{ORIGIN!r}]\n"
        "layers:\n  - {name: heat, cube: cube.zarr, variable: heat, public: true}\n")
    with live_server(root / "serve.yaml") as live, live.client() as client:
        yield client, root / "logs" / "access.log"


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def _new_lines(logged: tuple[Any, Path], ask: Callable[[Any], Any]) -> tuple[Any, list[Any]]:
    """The response to ``ask(client)`` and the access-log lines written meanwhile."""
    client, log = logged
    before = len(_lines(log))
    r = ask(client)
    return r, _lines(log)[before:]


PREFLIGHT = {"Access-Control-Request-Method": "GET"}
EDGE: dict[str, tuple[Callable[[Any], Any], str, str, int]] = {
    "POST": (lambda c: c.post("/wms?SERVICE=WMS&REQUEST=GetCapabilities"), "POST", "/wms", 405),
    "URL too long": (lambda c: c.get("/tiles/heat/8/131/83.png?pad=" + "x" * MAX_URL_LENGTH),
                     "GET", "/tiles/heat/8/131/83.png", 414),
    "body": (lambda c: c.request("GET", "/layers", content=b"x" * 10), "GET", "/layers", 413),
    "unknown endpoint": (lambda c: c.get("/tilejson.json"), "GET", "/tilejson.json", 404),
    "redirect": (lambda c: c.get("/layers/"), "GET", "/layers/", 307),
    "preflight": (lambda c: c.options("/layers", headers={"Origin": ORIGIN, **PREFLIGHT}),
                  "OPTIONS", "/layers", 200),
    "preflight refused": (lambda c: c.options(
        "/layers", headers={"Origin": "https://other.example.org", **PREFLIGHT}),
        "OPTIONS", "/layers", 400),
    "viewer file": (lambda c: c.get("/static/viewer.css"), "GET", "/static/viewer.css", 200),
}


@pytest.mark.parametrize("case", list(EDGE))
def test_a_request_answered_before_any_endpoint_has_its_access_log_line(
    logged: tuple[Any, Path], case: str
) -> None:
    """A request the server answers before any endpoint (refused at its edge: a POST, a URL
    over the limit, a body; an unknown endpoint; a redirect; a CORS preflight, allowed or
    refused; a file of the viewer's) wrote no access-log line, though the log says "every
    request": an agency whose client sent its GetMap by POST found nothing of it in the
    log. Now each has its one line, with the status and length sent."""
    ask, method, path, status = EDGE[case]
    r, lines = _new_lines(logged, ask)
    assert r.status_code == status, r.text[:300]
    assert [(x["method"], x["path"], x["status"], x["bytes"]) for x in lines] == [
        (method, path, status, int(r.headers.get("content-length", 0)))], lines
    assert lines[0]["agency"] is None
    # a path naming a tile has its layer and tile in the line since round 62
    assert lines[0]["layer"] == ("heat" if path.startswith("/tiles/") else None), lines


def test_control_an_endpoints_request_has_one_access_log_line_as_before(
    logged: tuple[Any, Path]
) -> None:
    """control: a tile (XYZ, HEAD, WMTS KVP) and a document still have one line each, with
    the layer and tile as before, never two."""
    t = WEB_MERCATOR.tile(5.5, 52.5, 8)
    kvp = ("/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=heat&STYLE=default"
           f"&TILEMATRIXSET=WebMercatorQuad&TILEMATRIX=8&TILEROW={t.y}&TILECOL={t.x}"
           "&FORMAT=image/png")
    for ask, path in ((lambda c: c.get(f"/tiles/heat/8/{t.x}/{t.y}.png"),
                       f"/tiles/heat/8/{t.x}/{t.y}.png"),
                      (lambda c: c.head(f"/tiles/heat/8/{t.x}/{t.y}.png"),
                       f"/tiles/heat/8/{t.x}/{t.y}.png"),
                      (lambda c: c.get(kvp), "/wmts")):
        r, lines = _new_lines(logged, ask)
        assert r.status_code == 200, r.text[:300]
        assert [(x["path"], x["layer"], x["z"], x["x"], x["y"], x["status"]) for x in lines] \
            == [(path, "heat", "8", str(t.x), str(t.y), 200)], lines
    r, lines = _new_lines(logged, lambda c: c.get("/layers"))
    assert [(x["path"], x["status"], x["bytes"]) for x in lines] == [
        ("/layers", 200, len(r.content))], lines
