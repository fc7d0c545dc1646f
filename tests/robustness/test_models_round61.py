"""Round 61, models and reuse: ``prospect model score --cog`` handing a partner a map
without a STAC item of its own.

The job's score stage writes a STAC item beside each COG (``score/probability.json``:
footprint, projection, the first and last day of the scenes the model reads, what the map
is and which model made it). ``prospect model score NAME -c cube.zarr -o s.zarr --cog
map.tif`` wrote the COG alone: a researcher scoring a registry model on new data handed on
a file that no STAC catalogue could take in, and the only record of its days was the
``provenance`` tag that the tile server's ``/stac/<layer>.json`` reads once it serves it.
Now the command writes ``map.json`` beside ``map.tif`` by the score stage's own
``stac_item``, and refuses, before the model loads, a ``--cog`` whose item would replace
a file there.

All data are SYNTHETIC: round 49's logistic regression (``a`` and a categorical ``geo``)
in a registry, and 32 x 32 cubes of 100 m cells on its grid (UTM 19N), one of them
recording the days of its two scenes in its layers' provenance.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from .test_models_round49 import _published

DAYS = {"a": ["2021-06-14"], "geo": ["2019-03-01", "2020-08-30"]}
"""The days each SYNTHETIC layer's provenance records."""


def _dated(path: Path) -> None:
    """Give the cube's layers at ``path`` provenance recording :data:`DAYS` (as ingest
    records a scene's ``date:``), their metadata rewritten in place and consolidated."""
    import zarr

    from prospect.provenance import provenance_attr

    group = zarr.open_group(str(path), mode="r+")
    for name, days in DAYS.items():
        group[name].attrs["provenance"] = provenance_attr({"source": "synthetic",
                                                           "dates": days})
    zarr.consolidate_metadata(str(path))


@pytest.fixture()
def loads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The models :meth:`ModelRegistry.load` is asked for (the real load runs)."""
    from prospect.registry import ModelRegistry

    called: list[str] = []
    real = ModelRegistry.load

    def spy(self: Any, name: str, *args: Any, **kwargs: Any) -> Any:
        called.append(name)
        return real(self, name, *args, **kwargs)

    monkeypatch.setattr(ModelRegistry, "load", spy)
    return called


@pytest.fixture(scope="module")
def found(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Round 49's registry holding ``logit`` (SYNTHETIC), published once."""
    return _published(tmp_path_factory.mktemp("models61"), 61, None, 0)


def _scored(tmp_path: Path, cli: Any, found: dict[str, Any], *extra: str | Path,
            dated: bool = False) -> tuple[Any, Path]:
    """``prospect model score logit`` of a SYNTHETIC cube (in ``tmp_path``) into
    ``s.zarr`` (``extra`` options added); returns the outcome and the cube."""
    cube = found["make_cube"](tmp_path / "c.zarr", found["a"])
    if dated:
        _dated(cube)
    result = cli("model", "score", "logit", "-c", cube, "-o", tmp_path / "s.zarr",
                 "-r", found["reg"], *extra)
    return result, cube


# -- 1. model score --cog writes the map's STAC item -------------------------------------


def test_model_score_cog_writes_its_stac_item_beside_it(
    tmp_path: Path, cli: Any, found: dict[str, Any]
) -> None:
    """Before: ``--cog p.tif`` wrote the COG alone. Now ``p.json`` beside it is the map's
    STAC item, as the score stage writes ``score/probability.json``: the COG as its data
    asset (``./p.tif``), the grid's projection, what the map is and which model made it
    (name/version, fingerprint); a cube recording no day gives the run's time as
    ``datetime``."""
    from prospect.registry import ModelRegistry

    cog = tmp_path / "p.tif"
    result, _ = _scored(tmp_path, cli, found, "--cog", cog)
    assert result.code == 0, (result.out + result.err)[-3000:]
    item = json.loads((tmp_path / "p.json").read_text())
    assert item["type"] == "Feature" and item["id"] == "logit-1-p"
    assert item["assets"]["data"]["href"] == "./p.tif"
    assert item["assets"]["data"]["roles"] == ["data"]
    assert item["assets"]["data"]["prospect:kind"] == "probability"
    props = item["properties"]
    assert props["proj:code"] == "EPSG:32619" or props.get("proj:epsg") == 32619, props
    assert props["proj:shape"] == [32, 32]
    assert props["prospect:model"] == "logit/1"
    assert props["prospect:mineral"] == "lithium"
    assert props["prospect:synthetic"] is True
    model = ModelRegistry(str(found["reg"])).load("logit", "1", trusted=None)
    assert props["prospect:fingerprint"] == model.fingerprint
    assert props["datetime"] is not None and "start_datetime" not in props
    assert f"and its STAC item {tmp_path / 'p.json'}" in result.err


def test_model_score_cog_item_states_the_days_of_the_scenes_the_model_reads(
    tmp_path: Path, cli: Any, found: dict[str, Any]
) -> None:
    """Before: no item; the days of the scenes (2019-03-01 .. 2021-06-14) were only the
    COG's ``provenance`` tag. Now the item states their first and last day as
    ``start_datetime``/``end_datetime`` with ``datetime`` null, as the score stage's items
    do, and the run's time as ``created``."""
    cog = tmp_path / "dated.tif"
    result, _ = _scored(tmp_path, cli, found, "--cog", cog, dated=True)
    assert result.code == 0, (result.out + result.err)[-3000:]
    props = json.loads((tmp_path / "dated.json").read_text())["properties"]
    assert props["datetime"] is None
    assert props["start_datetime"] == "2019-03-01T00:00:00Z"
    assert props["end_datetime"] == "2021-06-14T23:59:59Z"
    assert props["created"].endswith("Z")


def test_model_score_refuses_a_cog_whose_item_would_replace_a_file(
    tmp_path: Path, cli: Any, found: dict[str, Any], loads: list[str]
) -> None:
    """A ``--cog p.tif`` beside a ``p.json`` of the user's (a colleague's notes, another
    map's item) is refused before the model loads (exit 1, one line naming the file and
    ``--cog``), the file kept byte for byte and nothing written: the item is never
    written over, as the COG is not. (Before: scored and exit 0.)"""
    kept = tmp_path / "p.json"
    kept.write_text('{"mine": true}\n')
    result, _ = _scored(tmp_path, cli, found, "--cog", tmp_path / "p.tif")
    assert result.code == 1, (result.out + result.err)[-3000:]
    line = result.err.strip().splitlines()[-1]
    assert str(kept) in line and "already exists" in line and "--cog p.tif" in line, line
    assert "Traceback" not in result.err
    assert kept.read_text() == '{"mine": true}\n'
    assert loads == []
    assert not (tmp_path / "s.zarr").exists() and not (tmp_path / "p.tif").exists()


# -- controls -------------------------------------------------------------------------------


def test_control_model_score_without_cog_writes_the_cube_alone(
    tmp_path: Path, cli: Any, found: dict[str, Any]
) -> None:
    """Control: without ``--cog`` the command writes its cube and no other file."""
    result, _ = _scored(tmp_path, cli, found)
    assert result.code == 0, (result.out + result.err)[-3000:]
    assert not list(tmp_path.glob("*.json")) and not list(tmp_path.glob("*.tif"))
    assert (tmp_path / "s.zarr").is_dir()


def test_control_the_cog_keeps_its_values_and_tags(
    tmp_path: Path, cli: Any, found: dict[str, Any]
) -> None:
    """Control: the COG holds the cube's probabilities bit for bit and its tags as before
    (the model, ``synthetic``, what the map is, the days in ``provenance``)."""
    import rasterio

    from prospect.io.cube import open_cube

    cog = tmp_path / "p.tif"
    result, _ = _scored(tmp_path, cli, found, "--cog", cog, dated=True)
    assert result.code == 0, (result.out + result.err)[-3000:]
    expected = open_cube(tmp_path / "s.zarr")["probability"].values
    with rasterio.open(cog) as src:
        got = src.read(1)
        tags = src.tags()
    assert np.array_equal(got, expected, equal_nan=True)
    assert tags["model"] == "logit/1" and tags["prospect_kind"] == "probability"
    assert json.loads(tags["provenance"]) == {
        "dates": ["2019-03-01", "2020-08-30", "2021-06-14"]}
