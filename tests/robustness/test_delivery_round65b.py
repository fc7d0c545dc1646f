"""Delivery, round 65b: a served cube written without consolidated metadata was refused
with zarr's own words in the middle of Prospect's line ("Consolidated metadata requested
with 'use_consolidated=True' but not found in ''.", round 65 left it).

A survey's data manager writes a cube with another tool (xarray's ``to_zarr(...,
consolidated=False)``, zarr-python's own writer) and names it in the serve config; the
partner agency's GIS staff then ask the server for its dates (``TIME=``) and its
capabilities in the version their client speaks. ``prospect serve --check`` runs in
process (the ``cli`` fixture); the server is the app of a serve config in process
(Starlette's ``TestClient``), over round 44's SYNTHETIC zarr v3 cube (``heat``, ``X`` over
three dates, 0.01 degree cells over 5..6 E, 52..53 N). All data here are SYNTHETIC.
"""

from __future__ import annotations

import json
import shutil
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
import xarray as xr
import zarr
from starlette.testclient import TestClient

from prospect.config.tiles import load_serve_config
from prospect.errors import ProspectError
from tests.robustness.test_serving_round44 import DATES, _cube
from tiles.server import create_app
from tiles.source import WEB_MERCATOR

from .conftest import assert_clean_error

T = WEB_MERCATOR.tile(5.5, 52.5, 8)
TILE = f"/tiles/heat/8/{T.x}/{T.y}.png"


def _unconsolidated_by_xarray(src: Path, dst: Path) -> None:
    """The cube written again by xarray with ``consolidated=False``."""
    # (zarr's note on consolidated metadata in v3 is no matter here)
    with xr.open_zarr(src, zarr_format=3, consolidated=True) as ds, \
            warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds.load().to_zarr(dst, zarr_format=3, consolidated=False, mode="w")


def _unconsolidated_by_hand(src: Path, dst: Path) -> None:
    """The cube copied as zarr-python's own writer leaves it: its root ``zarr.json`` a
    group's without the ``consolidated_metadata`` member."""
    shutil.copytree(src, dst)
    meta = json.loads((dst / "zarr.json").read_text(encoding="utf-8"))
    meta.pop("consolidated_metadata", None)
    (dst / "zarr.json").write_text(json.dumps(meta), encoding="utf-8")


WRITERS = {"xarray consolidated=False": _unconsolidated_by_xarray,
           "zarr-python's writer": _unconsolidated_by_hand}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SYNTHETIC consolidated cube, two copies of it without consolidated metadata and
    a serve config for each."""
    root = tmp_path_factory.mktemp("round65b")
    _cube(root / "cube.zarr", DATES)
    for i, write in enumerate(WRITERS.values()):
        write(root / "cube.zarr", root / f"bare{i}.zarr")
        (root / f"bare{i}.yaml").write_text(
            f"layers:\n  - {{name: heat, cube: bare{i}.zarr, variable: heat, public: true}}\n")
    (root / "site.yaml").write_text(
        "title: Round 65b (synthetic)\nlayers:\n"
        "  - {name: heat, title: Heat flow, cube: cube.zarr, variable: heat, public: true}\n"
        "  - {name: series, title: Series, cube: cube.zarr, variable: X, dates: all,"
        " public: true}\n")
    return root


@pytest.fixture(scope="module")
def client(site: Path) -> Iterator[TestClient]:
    cfg = site / "site.yaml"
    with TestClient(create_app(load_serve_config(cfg), config_path=cfg)) as c:
        yield c


def _expected(cube: Path) -> str:
    return (f"{cube}: cannot open cube: its zarr.json holds no consolidated metadata "
            "(written with to_zarr(..., consolidated=False), or by another zarr writer), "
            "which a served cube needs; the server's operator should consolidate it once "
            f"written: python -c \"import zarr; zarr.consolidate_metadata('{cube}')\"")


# -- 1. a served cube without consolidated metadata, in Prospect's words --------------------


@pytest.mark.parametrize("writer", list(WRITERS))
def test_an_unconsolidated_cube_is_refused_in_prospects_words(
        site: Path, cli: Any, writer: str) -> None:
    """``prospect serve --check`` of a cube written without consolidated metadata said
    "...: cannot open cube: Consolidated metadata requested with 'use_consolidated=True'
    but not found in ''.: its zarr.json holds no consolidated metadata ...": zarr's words
    (naming an empty path) in the middle of the line. Now the line is Prospect's alone:
    the cube, what it lacks, and the one command that fixes it."""
    i = list(WRITERS).index(writer)
    cube = site / f"bare{i}.zarr"
    line = assert_clean_error(cli("serve", site / f"bare{i}.yaml", "--check"), 1)
    assert line == f"error: {_expected(cube)}", line
    assert "use_consolidated" not in line and "''" not in line


@pytest.mark.parametrize("layer", ["variable: heat", "variable: X, dates: all"])
def test_an_unconsolidated_cube_in_process_says_the_same(site: Path, tmp_path: Path,
                                                         layer: str) -> None:
    """The same refusal from ``create_app`` (a server embedded in a program or a
    notebook), for a layer of one map and a layer of every date: one message in
    Prospect's words, a :class:`ProspectError`."""
    cfg = tmp_path / "serve.yaml"
    cfg.write_text(f"layers:\n  - {{name: m, cube: {site / 'bare0.zarr'}, {layer}, "
                   "public: true}\n")
    with pytest.raises(ProspectError) as info:
        create_app(load_serve_config(cfg), config_path=cfg)
    assert str(info.value) == _expected(site / "bare0.zarr")


def test_control_the_fix_named_serves_the_same_tile(site: Path, client: TestClient,
                                                    tmp_path: Path) -> None:
    """control: the command the refusal names makes the cube servable, its tile byte for
    byte the consolidated cube's."""
    cube = tmp_path / "bare.zarr"
    _unconsolidated_by_xarray(site / "cube.zarr", cube)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        zarr.consolidate_metadata(str(cube))
    cfg = tmp_path / "fixed.yaml"
    cfg.write_text("layers:\n  - {name: heat, cube: bare.zarr, variable: heat, public: true}\n")
    with TestClient(create_app(load_serve_config(cfg), config_path=cfg)) as c:
        fixed = c.get(TILE)
    assert fixed.status_code == 200
    assert fixed.content == client.get(TILE).content


def test_control_a_damaged_cube_is_refused_without_the_consolidate_hint(
        tmp_path: Path, cli: Any) -> None:
    """control: a cube whose ``zarr.json`` is no JSON is refused as before, exit 1, its
    line naming the cube and no consolidation (which would not mend it)."""
    cube = tmp_path / "cube.zarr"
    cube.mkdir()
    (cube / "zarr.json").write_text("{not json")
    (tmp_path / "serve.yaml").write_text(
        "layers:\n  - {name: heat, cube: cube.zarr, variable: heat, public: true}\n")
    line = assert_clean_error(cli("serve", tmp_path / "serve.yaml", "--check"), 1, str(cube))
    assert "onsolidat" not in line


# -- 2. controls: what a GIS client asks, probed and sound ----------------------------------

GETMAP = ("/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&CRS=EPSG:3857"
          "&BBOX=556597,6887893,634869,6966165&WIDTH=256&HEIGHT=256&STYLES="
          "&FORMAT=image/png&LAYERS=series")


def _error(r: Any) -> str:
    return "".join(ElementTree.fromstring(r.content).itertext()).strip()


def test_control_wms_time_of_a_date_not_served_names_the_dates(client: TestClient) -> None:
    """control: ``TIME=`` of a date the layer holds is that date's map; of another date
    ``InvalidDimensionValue`` naming the dates, the nearest and the default."""
    r = client.get(GETMAP + "&TIME=2018-01-01")
    assert r.status_code == 400
    assert b'code="InvalidDimensionValue" locator="TIME"' in r.content
    assert _error(r) == (
        "layer 'series' holds the maps of 3 dates, its time dimension's values, and "
        "TIME='2018-01-01' is not one of its dates: ask one of them (2019-06-01, "
        "2020-06-01, 2021-06-01; the nearest is 2019-06-01: TIME=2019-06-01) or leave "
        "TIME out for 2021-06-01")
    first = client.get(GETMAP + "&TIME=2019-06-01")
    last = client.get(GETMAP)
    assert first.status_code == last.status_code == 200
    assert first.content != last.content
    assert client.get(GETMAP + "&TIME=2021-06-01").content == last.content


@pytest.mark.parametrize(("asked", "answered"), [
    ("", "1.3.0"), ("&VERSION=1.3.0", "1.3.0"), ("&VERSION=1.1.1", "1.1.1"),
    ("&VERSION=1.2.0", "1.1.1"), ("&VERSION=2.0.0", "1.3.0"), ("&VERSION=1.0.0", "1.1.1")])
def test_control_wms_version_negotiation(client: TestClient, asked: str,
                                         answered: str) -> None:
    """control: GetCapabilities' version negotiation as WMS 1.3.0 (6.2.4) says: none or a
    higher one gets the highest, one between the lower, one below all the lowest; the
    parameter names and values in lower case are read as well."""
    r = client.get(f"/wms?service=wms&request=GetCapabilities{asked}")
    assert r.status_code == 200
    assert ElementTree.fromstring(r.content).get("version") == answered
