"""Tiles stage and delivered archives, round 52: a "categorical" ID raster's every code
written into its TileJSON and archives, and the stage's warnings named "tiles: tiles:" in
the run's summary.

An ID raster (a parcel or polygon id per cell) given ``values: categorical`` is a class
map of as many classes as the read that finds its codes holds (up to a million): each was
listed in ``prospect.classes`` of the TileJSON, the PMTiles metadata and the MBTiles
``prospect`` row, unnamed and in colours shared past the palette's 255. Now they list at
most ``tiles.archive.CLASS_TABLE_MAX`` (every named class first) and say how many they
leave out (``prospect.classes_unlisted``).

The stage case runs ``prospect ingest`` and ``prospect tiles`` of the tiny SYNTHETIC job
through the real CLI in this process, with a SYNTHETIC Int16 ID raster of 1600 codes.
Each non-control case failed before the fix; all data here are SYNTHETIC.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from .conftest import Sandbox, write_tiny_raster


@pytest.fixture(scope="module")
def tiled(tmp_path_factory: pytest.TempPathFactory, scheduler: str) -> tuple[Sandbox, Any]:
    """The tiny SYNTHETIC job with an ID raster of 1600 codes (``ids``: Int16, one code a
    cell, ``values: categorical``, no code table) beside ``heat`` and a unit map of codes
    1, 2, 7 and 9 (the same kind), ingested and tiled once with PMTiles and MBTiles
    archives."""
    from .conftest import run_in_process

    box = Sandbox(tmp_path_factory.mktemp("round52tiles") / "box")
    ids = (np.arange(1600).reshape(40, 40) + 1).astype("int16")
    write_tiny_raster(box.root / "ids.tif", values=ids, nodata=-1)
    units = np.repeat(np.array([[1, 2, 7, 9]], "int16"), 10, axis=1).repeat(40, axis=0)
    write_tiny_raster(box.root / "units.tif", values=units, nodata=-1)
    sources = [
        *box.job()["sources"],
        {"kind": "raster", "name": "ids", "path": "ids.tif", "values": "categorical"},
        {"kind": "raster", "name": "units", "path": "units.tif", "values": "categorical"},
    ]
    box.write_job(
        sources=sources,
        tiles={
            "min_zoom": 14,
            "max_zoom": 14,
            "archive_formats": ["pmtiles", "mbtiles"],
            "layers": [{"variable": "ids"}, {"variable": "units"}, {"variable": "heat"}],
        },
    )
    result = run_in_process("ingest", box.job_path, "-o", box.out, "--scheduler", scheduler)
    assert result.code == 0, result.out + result.err
    return box, run_in_process("tiles", box.job_path, "-o", box.out, "--scheduler", scheduler)


def _documents(box: Sandbox, name: str) -> list[dict[str, Any]]:
    """Layer ``name``'s TileJSON, PMTiles metadata and MBTiles ``prospect`` row."""
    from pmtiles.reader import MmapSource, Reader

    tiles = box.out / "tiles"
    docs = [json.loads((tiles / name / "tilejson.json").read_text())]
    with open(tiles / f"{name}.pmtiles", "rb") as f:
        docs.append(Reader(MmapSource(f)).metadata())
    with sqlite3.connect(tiles / f"{name}.mbtiles") as db:
        row = db.execute("SELECT value FROM metadata WHERE name = 'prospect'").fetchone()
    docs.append(json.loads(row[0]))
    return docs


def test_an_id_rasters_archives_list_at_most_the_capped_class_table(
    tiled: tuple[Sandbox, Any],
) -> None:
    """The ID raster's TileJSON, PMTiles metadata and MBTiles row listed all 1600 codes
    (an ID raster of a 1024-cell read: a million, tens of MB in each document, loaded whole
    by MapLibre and ``pmtiles show``). Now they list the first 1024 and say 576 are left
    out; the listed colours are the tiles' (as before)."""
    box, result = tiled
    text = result.out + result.err
    assert result.code == 0, text
    assert "Traceback" not in text and "internal error" not in text
    for doc in _documents(box, "ids"):
        classes = doc["prospect"]["classes"]
        assert len(classes) == 1024
        assert list(classes) == [str(code) for code in range(1, 1025)]
        assert doc["prospect"]["classes_unlisted"] == 1600 - 1024
        assert all(c["name"] == "" and c["colour"].startswith("#") for c in classes.values())


def test_control_a_layer_of_values_has_no_class_table(tiled: tuple[Sandbox, Any]) -> None:
    """control: ``heat`` (a layer of values) has neither ``classes`` nor
    ``classes_unlisted`` in its documents."""
    box, result = tiled
    assert result.code == 0, result.out + result.err
    for doc in _documents(box, "heat"):
        assert "classes" not in doc["prospect"] and "classes_unlisted" not in doc["prospect"]


def test_control_a_unit_maps_archives_list_each_class(tiled: tuple[Sandbox, Any]) -> None:
    """control: the unit map of four codes lists each, with its colour, and says nothing
    is left out (its documents as before)."""
    box, result = tiled
    assert result.code == 0, result.out + result.err
    for doc in _documents(box, "units"):
        assert list(doc["prospect"]["classes"]) == ["1", "2", "7", "9"]
        assert "classes_unlisted" not in doc["prospect"]


def test_the_summary_names_the_tiles_stages_warnings_once(tiled: tuple[Sandbox, Any]) -> None:
    """The run's summary listed the stage's warnings as "tiles: tiles: layer 'ids': its
    1600 classes are more than ..." (the stage's own prefix after the summary's); its live
    line read "warning: tiles: layer ...". Now each is named by its stage once."""
    _, result = tiled
    text = " ".join((result.out + result.err).split())
    assert result.code == 0, text
    assert "tiles: tiles:" not in text
    assert "warning: tiles:" not in text
    assert "tiles: layer 'ids': its 1600 classes are more than the 255 colours" in text


def test_the_old_gdal_warning_reads_without_the_stages_name() -> None:
    """The WebP-in-MBTiles warning began "its .mbtiles archives" after the stage's name
    it now leaves to the summary; it names the run's archives itself."""
    from pipelines.stages.tiles import _old_gdal_warning
    from prospect.config.tiles import TilesConfig

    said = _old_gdal_warning(TilesConfig(format="webp", tile_size=512, archive_formats=["mbtiles"]))
    assert said is not None and said.startswith("this run's .mbtiles archives hold 512-pixel")


@pytest.mark.parametrize(
    ("classes", "kept"),
    [
        ({code: "" for code in range(1024)}, 1024),
        ({code: f"unit {code}" for code in range(1500)}, 1500),
    ],
    ids=["at-the-cap", "named-past-the-cap"],
)
def test_class_tables_at_the_cap_or_named_are_listed_whole(
    classes: dict[int, str], kept: int
) -> None:
    """SYNTHETIC class tables: one of at most 1024 classes lists each (as the archives did);
    one of named classes past the cap (a geology map of 1500 named units) keeps every
    name."""
    from tiles.archive import listed_classes

    assert listed_classes(classes) == classes and len(classes) == kept


def test_named_classes_are_listed_before_unnamed_codes_past_the_cap() -> None:
    """SYNTHETIC class map of 3000 codes, codes 2000-2009 named: those ten are listed, and
    the first 1014 unnamed codes beside them."""
    from tiles.archive import listed_classes

    classes = {code: (f"unit {code}" if 2000 <= code < 2010 else "") for code in range(3000)}
    listed = listed_classes(classes)
    assert len(listed) == 1024
    assert all(listed[code] == f"unit {code}" for code in range(2000, 2010))
    assert max(code for code, name in listed.items() if not name) == 1013


# -- tiles.public_url: the example its refusal gives -----------------------------------


def _public_url_refusal(value: str) -> str:
    """The one-line refusal of a job whose ``tiles.public_url`` is ``value``."""
    from prospect.config._base import validate_mapping
    from prospect.config.job import JobConfig
    from prospect.errors import ConfigError

    job = {"name": "r52", "synthetic": True, "region": "bonaire", "tiles": {"public_url": value}}
    with pytest.raises(ConfigError) as err:
        validate_mapping(JobConfig, job, source="job.yaml")
    text = str(err.value)
    assert "job.yaml" in text and "tiles.public_url" in text and "Traceback" not in text
    return text


@pytest.mark.parametrize(
    ("value", "fix"),
    [
        ("https://maps.example.org/my tiles", "e.g. 'https://maps.example.org/my%20tiles'"),
        ("/prospect/tiles", "e.g. 'https://maps.example.org/prospect/tiles'"),
        ("ftp://maps.example.org/tiles", "e.g. 'https://maps.example.org/tiles'"),
    ],
    ids=["space-in-path", "path-alone", "other-scheme"],
)
def test_a_public_urls_refusal_gives_the_url_it_was_meant_as(value: str, fix: str) -> None:
    """The refusal's example was the value cut at its first space, or given ``https://``
    before it: ``https://maps.example.org/my tiles`` was told to write
    ``'https://maps.example.org/my'`` (another folder: every link of the archives and
    TileJSON broken), ``/prospect/tiles`` ``'https://prospect/tiles'`` (the folder as a
    host) and ``ftp://...`` ``'https://ftp://...'``. Now the example is that URL."""
    assert fix in _public_url_refusal(value)


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("file:///srv/prospect/tiles", "a file:// URL is no web address; leave public_url out"),
        ("", "or leave public_url out"),
        ("https://", "or leave public_url out"),
    ],
    ids=["file-url", "empty", "scheme-alone"],
)
def test_a_public_url_naming_no_host_is_given_no_made_up_example(value: str, said: str) -> None:
    """``file:///srv/prospect/tiles`` was told to write ``'https://file:///srv/...'``, an
    empty value and ``https://`` alone ``'https:'``: examples no browser opens. Now no
    example is made up; the refusal says to leave ``public_url`` out (a file URL: or to give
    the web address the files are published at)."""
    text = _public_url_refusal(value)
    assert said in text
    assert "e.g. 'https:" not in text and "https://file:" not in text


@pytest.mark.parametrize(
    ("value", "fix"),
    [
        ("https://maps.example.org/prospect/", "e.g. 'https://maps.example.org/prospect'"),
        ("maps.example.org/tiles", "e.g. 'https://maps.example.org/tiles'"),
        ("https://maps.example.org/p?x=1", "e.g. 'https://maps.example.org/p'"),
    ],
    ids=["trailing-slash", "no-scheme", "query"],
)
def test_control_a_public_urls_refusal_examples_as_before(value: str, fix: str) -> None:
    """control: a trailing slash, a missing scheme and a query are told as before."""
    assert fix in _public_url_refusal(value)


def test_a_public_url_with_a_space_is_refused_by_the_cli_with_its_example(tmp_path: Path) -> None:
    """``prospect plan`` of a SYNTHETIC job whose ``tiles.public_url`` holds a space: exit
    2, one line naming the file's key and the escaped URL, no traceback."""
    from .conftest import run_in_process

    box = Sandbox(tmp_path / "box")
    box.write_job(tiles={"public_url": "https://maps.example.org/my tiles"})
    result = run_in_process("plan", box.job_path, "-o", box.out)
    text = result.out + result.err
    assert result.code == 2, text
    assert "Traceback" not in text and "internal error" not in text
    line = " ".join(result.err.split())
    assert "tiles.public_url" in line and "e.g. 'https://maps.example.org/my%20tiles'" in line
