"""Tile serving, round 54: the live server at its process's own limits (open files under
``ulimit -n``, memory), met by many clients at once.

Under ``ulimit -n 64`` and 50 concurrent clients, ``prospect serve`` answered some tiles
500 "internal error (OSError)" (the image formats' modules, imported at the first tile,
could not be opened) and others 503 calling the layer "damaged, truncated or being
replaced" (the cube's ``zarr.json`` could not be opened), each with a traceback in the
log; connections it could not accept wrote asyncio's traceback once per waiting
connection, up to the 2048 of the backlog each time it tried again (76 000 lines in a few
seconds), and never a line saying the limit or how to raise it.

The cube is round 44's SYNTHETIC zarr v3 store (``X`` over three dates, 1, 9 and 17
everywhere; ``heat`` one map), served by a live ``prospect serve``: a real process under
``RLIMIT_NOFILE`` 64 for the connections, in this process (uvicorn on loopback, the
failure injected where the readers and the encoder meet it) for the requests. All data
here are SYNTHETIC.
"""

from __future__ import annotations

import errno
import logging
import resource
import socket
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import tiles.http
from tests.robustness.test_serving_round44 import DATES, _config, _cube
from tests.robustness.test_serving_round45 import _get_map
from tiles.testing import live_server

REPO = Path(__file__).resolve().parents[2]
TILE = "/tiles/xs/7/65/41.png"
LAYERS = (
    "  - {name: xs, cube: cube.zarr, variable: X, dates: all, public: true}\n"
    "  - {name: heat, cube: cube.zarr, variable: heat, public: true}\n"
)


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The serve config of the SYNTHETIC cube (layers ``xs``, every date, and ``heat``)."""
    root = tmp_path_factory.mktemp("round54serve")
    _cube(root / "cube.zarr", DATES)
    return _config(root, LAYERS)


@pytest.fixture()
def fresh(config: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A server of its own (no reader opened, no tile cached), the log's once-a-minute
    notes forgotten."""
    monkeypatch.setattr(tiles.http, "_limit_notes", {}, raising=False)
    with live_server(config) as live, live.client() as client:
        yield client


def _emfile(*_: Any, **__: Any) -> Any:
    raise OSError(errno.EMFILE, "Too many open files", "cube.zarr/zarr.json")


def _busy(r: Any, what: str) -> str:
    """The 503 of a request the server could not answer for want of ``what``."""
    assert r.status_code == 503, (r.status_code, r.text[:400])
    assert r.headers.get("retry-after") == "5", r.headers
    assert r.headers.get("cache-control") == "no-store", r.headers
    text = r.text
    assert f"out of {what} just now" in text and "try again in a few seconds" in text, text
    for words in ("damaged", "internal error", "Traceback", "Errno"):
        assert words not in text, text
    return text


def _said_once(caplog: pytest.LogCaptureFixture, limit: str) -> None:
    lines = [r.getMessage() for r in caplog.records if "out of" in r.getMessage()]
    assert len(lines) == 1 and limit in lines[0], lines
    assert "said at most once a minute" in lines[0], lines
    assert not any("Traceback" in r.getMessage() or r.exc_info for r in caplog.records)


# -- 1. a request whose files cannot be opened for want of descriptors ---------------------


def test_a_tile_out_of_open_files_is_a_503_to_retry_not_a_damaged_layer(
    fresh: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The cube cannot be opened (``EMFILE``): the tile was the 503 of a layer "damaged,
    truncated or being replaced", the log "cannot open layer data ... check the path";
    now a 503 to try again in a few seconds (``Retry-After: 5``), the log saying the limit
    once however many requests meet it."""
    from tiles.source import LayerSource

    monkeypatch.setattr(LayerSource, "_open", _emfile)
    caplog.set_level(logging.INFO, logger="prospect.tiles")
    for _ in range(3):
        _busy(fresh.get(TILE), "open files")
    _said_once(caplog, "out of open files (ulimit -n")


def test_wms_and_wmts_out_of_open_files_answer_their_own_503(
    fresh: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same fault asked by GetMap (a WMS ServiceExceptionReport) and by a WMTS REST
    tile (an OWS ExceptionReport): each a 503 to retry in its own XML."""
    from tiles.source import LayerSource

    monkeypatch.setattr(LayerSource, "_open", _emfile)
    r = fresh.get("/wms", params=_get_map(LAYERS="xs", EXCEPTIONS="XML"))
    text = _busy(r, "open files")
    ET.fromstring(r.content)  # well-formed XML
    assert "ServiceException" in text, text
    r = fresh.get("/wmts/1.0.0/xs/default/WebMercatorQuad/7/41/65.png")
    text = _busy(r, "open files")
    assert "ExceptionReport" in ET.fromstring(r.content).tag, text


def test_a_tile_encoder_out_of_open_files_is_a_503_not_an_internal_error(
    fresh: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An ``OSError`` of ``EMFILE`` outside the readers (PIL importing its format modules
    at the first tile, under many clients): was 500 "internal error (OSError)" with a
    traceback; now the 503 to retry."""
    from tiles.service import TileService

    monkeypatch.setattr(TileService, "encode", _emfile)
    _busy(fresh.get(TILE), "open files")


def test_a_tile_out_of_memory_is_a_503_not_an_internal_error(
    fresh: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A ``MemoryError`` while drawing a tile (``ulimit -v``, many large maps at once): was
    500 "internal error (MemoryError)"; now the 503 to retry, the log naming memory."""
    from tiles.service import TileService

    def _no_memory(*_: Any, **__: Any) -> Any:
        raise MemoryError

    monkeypatch.setattr(TileService, "encode", _no_memory)
    caplog.set_level(logging.INFO, logger="prospect.tiles")
    _busy(fresh.get(TILE), "memory")
    _said_once(caplog, "out of memory")


def test_the_server_limit_is_read_through_the_errors_a_reader_wrapped() -> None:
    """``EMFILE`` wrapped by a reader's error (raised ``from`` it or ``from None``) is the
    process's limit; a damaged file's ``EIO`` or a plain bug is none."""
    from tiles.http import server_limit

    try:
        try:
            raise OSError(errno.EMFILE, "Too many open files")
        except OSError:
            raise ValueError("cannot open layer data") from None
    except ValueError as exc:
        wrapped = exc
    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    assert server_limit(wrapped) == f"open files (ulimit -n {soft})"
    assert server_limit(OSError(errno.ENFILE, "Too many open files in system")) == (
        "open files of the whole system (sysctl fs.file-max)"
    )
    assert server_limit(OSError(errno.EIO, "Input/output error")) is None
    assert server_limit(KeyError("x")) is None


# -- 2. connections past the process's open files --------------------------------------


def _nofile_64() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))


def test_connections_past_ulimit_n_are_said_once_not_a_traceback_each(
    config: Path, tmp_path: Path
) -> None:
    """``prospect serve`` under ``ulimit -n 64`` with 90 clients connected at once: each
    connection it could not accept wrote asyncio's "socket.accept() out of system
    resource" and its traceback, thousands of times a second (and as many "Invalid file
    descriptor" tracebacks at shutdown); now one line names the limit and how to raise
    it, the connections wait, and a request is answered once others close."""
    log = tmp_path / "serve.log"
    with log.open("w") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "pipelines.cli", "serve", str(config), "--port", "0"],
            stdout=subprocess.DEVNULL,
            stderr=sink,
            cwd=REPO,
            preexec_fn=_nofile_64,
        )
    held: list[socket.socket] = []
    try:
        root = None
        for _ in range(600):  # its address, then listening once /health answers
            if root is None:
                found = [
                    line for line in log.read_text().splitlines() if line.startswith("viewer: ")
                ]
                root = found[0].split()[1].removesuffix("/viewer/") if found else None
            else:
                try:
                    if httpx.get(root + "/health", timeout=5).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
            assert proc.poll() is None, log.read_text()[-3000:]
            time.sleep(0.1)
        assert root is not None, log.read_text()[-3000:]
        port = int(root.rsplit(":", 1)[1])
        for _ in range(90):
            held.append(socket.create_connection(("127.0.0.1", port), timeout=5))
        time.sleep(1.0)  # the server accepts what it can and meets EMFILE
        answers: list[int] = []
        asker = threading.Thread(
            target=lambda: answers.append(httpx.get(root + TILE, timeout=30).status_code)
        )
        asker.start()
        time.sleep(0.5)
        for sock in held:
            sock.close()
        held.clear()
        asker.join(40)
        assert answers == [200], answers
    finally:
        for sock in held:
            sock.close()
        proc.terminate()
        proc.wait(timeout=20)
    err = log.read_text()
    assert "Traceback" not in err and "out of system resource" not in err, err[-3000:]
    said = [line for line in err.splitlines() if "out of open files" in line]
    assert len(said) == 1, err[-3000:]
    assert "ulimit -n 64" in said[0] and "ulimit -n 4096" in said[0], said
    warned = [line for line in err.splitlines() if line.startswith("warning: this process")]
    assert len(warned) == 1 and "(ulimit -n 64)" in warned[0], err[:3000]


def test_control_an_open_files_limit_of_many_clients_gives_no_start_up_warning() -> None:
    """The start-up warning is of a limit under 1024 only (4096 and no limit: none)."""
    import resource

    from tiles.server import open_files_note

    assert open_files_note(4096) is None and open_files_note(resource.RLIM_INFINITY) is None
    note = open_files_note(64)
    assert note is not None and "(ulimit -n 64)" in note and "ulimit -n 4096" in note, note


# -- 3. the REST legend's parameters said back as the URL wrote them ------------------


@pytest.fixture(scope="module")
def served(config: Path) -> Iterator[Any]:
    """One server of the config for the read-only legend cases."""
    with live_server(config) as live, live.client() as client:
        yield client


@pytest.mark.parametrize(
    ("params", "said"),
    [({"dpi": "300"}, "dpi=300"), ({"Legend_Options": "dpi:300"}, "Legend_Options dpi:300")],
    ids=["dpi", "legend-options"],
)
def test_the_rest_legends_warning_names_the_parameter_as_the_url_wrote_it(
    served: Any, params: dict[str, str], said: str
) -> None:
    """``/legend/heat.png?dpi=300``: the 2x legend's ``Warning`` said ``DPI=300``, a name
    the URL never wrote (GetLegendGraphic's words); now ``dpi=300``."""
    r = served.get("/legend/heat.png", params=params)
    assert r.status_code == 200, r.text
    warning = r.headers["warning"]
    assert said in warning and "drawn at 1x" in warning, warning
    assert said.upper() not in warning, warning


def test_a_rest_legend_refusal_names_the_parameter_as_the_url_wrote_it(served: Any) -> None:
    """``?dpi=abc`` and ``?Dpi=abc`` were refused as ``DPI='abc'``; now as written."""
    for name in ("dpi", "Dpi"):
        r = served.get("/legend/heat.png", params={name: "abc"})
        assert r.status_code == 400, r.text
        message = r.json()["error"]
        assert f"{name}='abc'" in message and "a number above 0" in message, message
        assert "DPI=" not in message and "Traceback" not in message, message


def test_control_getlegendgraphic_names_its_parameters_upper_cased(served: Any) -> None:
    """GetLegendGraphic's parameters are OGC's, names without case: its ``Warning`` says
    ``DPI=300`` as before, however the URL wrote it."""
    for name in ("DPI", "dpi"):
        r = served.get(
            "/wms",
            params={
                "SERVICE": "WMS",
                "VERSION": "1.3.0",
                "REQUEST": "GetLegendGraphic",
                "LAYER": "heat",
                "FORMAT": "image/png",
                name: "300",
            },
        )
        assert r.status_code == 200, r.text
        assert "DPI=300" in r.headers["warning"], r.headers["warning"]


# -- 4. a date gained while served with values past the start-up colour range ---------


def test_a_date_gained_past_the_colour_range_is_said_in_the_log(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A date appended while served (round 53 lists it without a restart) whose values
    (40) lie past the range taken at start-up (1 to 9) was drawn in the range's top colour,
    as 9 is, without a word; now the log says so and how to take the range again. A date
    inside the range (5, the control) gives no note."""
    from tests.robustness.test_delivery_round53 import _append_date

    cube = _cube(tmp_path / "cube.zarr", DATES[:2])
    config = _config(tmp_path, LAYERS)
    caplog.set_level(logging.INFO, logger="prospect.tiles")
    with live_server(config) as live, live.client() as client:
        _append_date(cube, DATES[2], 5.0)
        time.sleep(1.1)  # the server looks at the cube at most once a second
        assert client.get("/tilejson/xs.json").json()["prospect"]["date"] == DATES[2]
        assert not [r for r in caplog.records if "past the colour range" in r.getMessage()]
        _append_date(cube, "2022-06-01", 40.0)
        time.sleep(1.1)
        r = client.get(TILE, params={"time": "2022-06-01"})
        assert r.status_code == 200, r.text[:300]
    notes = [r.getMessage() for r in caplog.records if "past the colour range" in r.getMessage()]
    assert len(notes) == 1, notes
    assert "'xs' 2022-06-01: values 40 to 40, past the colour range 1 to 9" in notes[0], notes
    assert "restart the server" in notes[0] and "set vmin and vmax" in notes[0], notes


# -- controls -------------------------------------------------------------------------


def test_control_a_damaged_layer_is_still_said_damaged(
    fresh: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reader's ``EIO`` (a damaged disk or file) is the layer that cannot be read, as
    before: 503 "damaged, truncated or being replaced", ``Retry-After: 60``."""
    from tiles.source import LayerSource

    def _eio(*_: Any, **__: Any) -> Any:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(LayerSource, "_open", _eio)
    r = fresh.get(TILE)
    assert r.status_code == 503 and r.headers["retry-after"] == "60", r.text
    assert "damaged, truncated or being replaced" in r.text, r.text


def test_control_tiles_under_the_limit_are_as_before(fresh: Any, config: Path) -> None:
    """With descriptors to spare, tiles, maps and points are 200s, no ``Retry-After``;
    their bytes as any server of the config draws them."""
    r = fresh.get(TILE)
    assert r.status_code == 200 and r.headers["content-type"] == "image/png", r.text[:300]
    assert "retry-after" not in r.headers
    r = fresh.get("/wms", params=_get_map(LAYERS="xs"))
    assert r.status_code == 200 and r.headers["content-type"] == "image/png", r.text[:300]
    r = fresh.get("/point/xs", params={"lon": 5.5, "lat": 52.5})
    assert r.status_code == 200 and r.json()["value"] == 17.0, r.text
