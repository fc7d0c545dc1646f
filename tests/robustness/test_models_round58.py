"""Round 58, models and reuse: a ``checksums.json`` of a newer format read by format 1's
rules, and a score map's STAC item dated by the run, not by the data it maps.

A ``"format"`` key in ``checksums.json`` was ignored (``card.json``'s and
``schema.json``'s are checked), and ``score/probability.json`` gave the time of the run as
its ``datetime`` where the cube's variables record when their scenes were acquired.

All data are SYNTHETIC: a logistic regression of 30 seeded rows saved with
``save_model``, and a 40 x 40 cube of 10 m cells (a signal layer and a categorical map of
four stripes, each a scene given a date) with 25 seeded occurrences.
"""

from __future__ import annotations

import datetime as dt
import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from .conftest import Sandbox, assert_clean_error, run_in_process, write_tiny_raster
from .test_models_round16 import FAST_CV, PLACES, _layers, _table
from .test_models_round17 import _saved

# -- 1. a checksums.json of a newer format -------------------------------------------------


def _with_sums_format(model: Path, value: Any) -> None:
    """Give ``model``'s ``checksums.json`` the ``format`` ``value`` (as a later Prospect's)."""
    path = model / "checksums.json"
    sums = json.loads(path.read_text())
    sums["format"] = value
    path.write_text(json.dumps(sums))


@pytest.mark.parametrize(
    ("value", "needles"),
    [
        (
            "prospect-model-checksums/2",
            ["format 'prospect-model-checksums/2'", "newer than this Prospect", "upgrade Prospect"],
        ),
        ("sha256sum", ["format 'sha256sum'", "is not one this Prospect", "save_model"]),
    ],
)
def test_checksums_of_a_newer_format_are_refused_naming_the_upgrade(
    tmp_path: Path,
    value: str,
    needles: list[str],
) -> None:
    """Before: ``"format": "prospect-model-checksums/2"`` in ``checksums.json`` was
    ignored and the model loaded by format 1's rules, whatever the later format meant its
    keys to say (``card.json`` and ``schema.json`` of a newer format are refused, round
    21). Now it is refused as they are, naming the format, the Prospect that wrote the
    model and the fix."""
    from prospect.errors import SecurityError
    from prospect.registry import load_model

    model = _saved(tmp_path)
    _with_sums_format(model, value)
    with pytest.raises(SecurityError) as err:
        load_model(model)
    text = str(err.value)
    assert all(n in text for n in needles), text
    assert "checksums.json" in text and "written by Prospect" in text


def test_model_import_of_checksums_of_a_newer_format_is_one_line_and_imports_nothing(
    tmp_path: Path,
    cli: Any,
) -> None:
    """The command line: ``prospect model import`` of such a model exits 1 with the line
    and the registry holds no version of it."""
    model = _saved(tmp_path)
    _with_sums_format(model, "prospect-model-checksums/2")
    registry = tmp_path / "registry"
    result = cli("model", "import", model, "--name", "li", "-r", registry)
    assert_clean_error(
        result, 1, "checksums.json", "prospect-model-checksums/2", "upgrade Prospect"
    )
    assert not (registry / "li").exists() or not any((registry / "li").iterdir())


def test_control_checksums_of_format_1_stated_or_not_load(tmp_path: Path) -> None:
    """Control: format 1 writes no ``format`` key; a file without one, or stating format
    1, loads as before."""
    from prospect.registry import load_model

    model = _saved(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        load_model(model)
        _with_sums_format(model, "prospect-model-checksums/1")
        load_model(model)


# -- 2. a score map's STAC item dated by its data ------------------------------------------


@pytest.fixture(scope="module")
def scored(tmp_path_factory: pytest.TempPathFactory, scheduler: str) -> Path:
    """The score folder of a tiny job whose two features are scenes dated 2019-03-01 and
    2021-06-14 (and a third layer, of 1990, the model does not read), run from ingest to
    score once."""
    box = Sandbox(tmp_path_factory.mktemp("models58") / "box")
    (box.root / "wells.csv").write_text(_table(PLACES))
    for name, values in _layers().items():
        write_tiny_raster(box.root / f"{name}.tif", values=values.astype("float32"), nodata=-9999.0)
    sources: list[dict[str, Any]] = [
        {
            "kind": "raster",
            "name": "signal",
            "scenes": [{"path": "signal.tif", "date": "2021-06-14"}],
        },
        {
            "kind": "raster",
            "name": "geo",
            "values": "categorical",
            "scenes": [{"path": "geo.tif", "date": "2019-03-01"}],
        },
        {"kind": "raster", "name": "heat", "scenes": [{"path": "heat.tif", "date": "1990-01-01"}]},
        {
            "kind": "points",
            "name": "wells",
            "path": "wells.csv",
            "x": "x",
            "y": "y",
            "crs": "EPSG:32619",
        },
    ]
    model = {
        "mineral": "lithium",
        "estimator": "random_forest",
        "params": {"n_estimators": 10},
        "permutation_repeats": 0,
        "partial_dependence": 0,
        "labels": {"source": "wells"},
        "cv": FAST_CV,
        "features": ["signal", "geo"],
    }
    box.write_job(sources=sources, model=model)
    result = run_in_process("run", box.job_path, "-o", box.out, "--scheduler", scheduler)
    assert result.code == 0, (result.out + result.err)[-3000:]
    return box.out / "score"


def test_a_score_item_states_the_period_of_the_data_it_maps(scored: Path) -> None:
    """Before: ``score/probability.json`` gave the run's time as ``datetime`` (today, for
    a map of scenes of 2019 and 2021), which STAC clients and catalogues take for the
    time the map shows. Now it states the first and last days the model's inputs record
    (``start_datetime``, ``end_datetime``; ``datetime`` null, as STAC allows for a range)
    and the run's time as ``created``; a layer of the cube the model does not read (1990)
    is not counted. The item still validates as STAC."""
    import pystac

    for name in ("probability", "uncertainty"):
        item = json.loads((scored / f"{name}.json").read_text())
        props = item["properties"]
        assert props["datetime"] is None, props
        assert props["start_datetime"] == "2019-03-01T00:00:00Z"
        assert props["end_datetime"] == "2021-06-14T23:59:59Z"
        created = dt.datetime.fromisoformat(props["created"].replace("Z", "+00:00"))
        assert abs((dt.datetime.now(dt.UTC) - created).total_seconds()) < 3600
        read = pystac.Item.from_dict(item)
        assert read.datetime is None
        assert read.common_metadata.start_datetime == dt.datetime(2019, 3, 1, tzinfo=dt.UTC)


def test_the_dates_are_those_the_variables_the_model_reads_record() -> None:
    """The dates a score map is of: a scene's ``date``, a provenance's ``dates``, a
    datetime coordinate (a stack built outside Prospect), of the variables named only;
    none where no such variable records one (a survey layer, the Meuse rasters)."""
    import xarray as xr

    from pipelines.stages.score import input_dates

    plain = {"provenance": json.dumps({"scenes": [{"file": "heat.tif"}]})}
    ds = xr.Dataset({"heat": (("y", "x"), np.zeros((4, 4), "float32"), plain)})
    assert input_dates(ds, ["heat", "absent"]) == []
    ds["heat"].attrs["provenance"] = json.dumps(
        {"scenes": [{"file": "h.tif", "date": "2020-05-17"}]}
    )
    ds["old"] = (
        ("y", "x"),
        np.zeros((4, 4), "float32"),
        {"provenance": '{"dates": ["1990-01-01"]}'},
    )
    ds["stack"] = xr.DataArray(
        np.zeros((2, 4, 4), "float32"),
        dims=("time", "y", "x"),
        coords={"time": np.array(["2022-01-03", "2021-12-30"], dtype="datetime64[ns]")},
    )
    assert input_dates(ds, ["heat", "stack"]) == [
        dt.date(2020, 5, 17),
        dt.date(2021, 12, 30),
        dt.date(2022, 1, 3),
    ]


def test_control_an_item_of_no_period_is_dated_by_the_run(tmp_path: Path) -> None:
    """Control: where no input the model reads records a date, the item is dated by the
    run as before, with no range and no ``created``."""
    from pipelines.stages.score import stac_item
    from prospect.grid import RegionGrid

    grid = RegionGrid(
        crs="EPSG:32619",
        resolution=10.0,
        bounds=(500000.0, 1350000.0, 500040.0, 1350040.0),
        chunks=(4, 4),
    )
    item = stac_item(
        item_id="t-probability",
        cog=tmp_path / "probability.tif",
        grid=grid,
        variable="probability",
        attrs={},
        properties={"prospect:synthetic": True},
    )
    props = item["properties"]
    when = dt.datetime.fromisoformat(props["datetime"].replace("Z", "+00:00"))
    assert abs((dt.datetime.now(dt.UTC) - when).total_seconds()) < 3600
    assert "start_datetime" not in props and "created" not in props


def test_the_tile_servers_item_of_the_score_map_states_the_same_period(
    scored: Path, tmp_path: Path
) -> None:
    """Before: ``/stac/<layer>.json`` of the score COG gave the file's time as
    ``datetime``. Now the COG records its inputs' dates (a ``provenance`` tag) and the
    tile server's item states the same ``start_datetime`` and ``end_datetime`` as the
    score stage's, with the file's time as ``created``."""
    import rasterio

    from tiles.testing import live_server

    with rasterio.open(scored / "probability.tif") as src:
        tag = json.loads(src.tags()["provenance"])
    assert tag == {"dates": ["2019-03-01", "2021-06-14"]}
    config = tmp_path / "serve.yaml"
    config.write_text(
        json.dumps(
            {
                "title": "Round 58 (synthetic)",
                "layers": [
                    {
                        "name": "p",
                        "cog": str(scored / "probability.tif"),
                        "public": True,
                        "vmin": 0.0,
                        "vmax": 1.0,
                    }
                ],
            }
        )
    )
    with live_server(config) as live, live.client() as client:
        r = client.get("/stac/p.json")
    assert r.status_code == 200, r.text[:300]
    props = r.json()["properties"]
    assert props["datetime"] is None
    assert props["start_datetime"] == "2019-03-01T00:00:00Z"
    assert props["end_datetime"] == "2021-06-14T23:59:59Z"
    assert props["created"].endswith("Z")
