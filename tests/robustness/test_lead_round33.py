"""Round 33: what the lead took from the helpers' hand-overs (SYNTHETIC tables).

* A grade column in ``milligrams per litre`` (and the other spellings screening reads
  since round 33) was no concentration to the point reader, so a ``-0.5`` among its grades
  (an export's "below 0.5") was kept as a value (``prospect.io.companions.is_concentration``).
* ``Li (mg/L)`` under ``units: {Li (mg/L): milligrams per litre}`` was warned as two units
  ("convert the values"), one being the other's words
  (``prospect.ingest.surfaces.column_units``).
* A model of mGal refused a cube layer of µm/s² (or of ``1`` for ``%``) as other units
  without the factor between them (``prospect.registry.units.units_hint``).
* ``prospect plan`` of a region in Web Mercator said nothing of its stretched cells, which
  the ingest stage says since round 33 (``pipelines/commands/plan.py``).
* A run summary printed a PR AUC of 0.00042 and its no-skill level as ``0.000``
  (``pipelines.runner.shown_figure``).
* A stop landing while the tiles stage drew its layers waited for every layer's pyramid
  (``pipelines/stages/tiles.py::run``'s layer pool).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from prospect.config.sources import PointSource
from prospect.ingest.surfaces import column_units
from prospect.io.points import read_points

from .conftest import run_job

SPELLINGS = ["milligrams per litre", "mg/L (ICP)", "[mg/L]", "Milligrams per Liter"]


@pytest.fixture(scope="module")
def table(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("lead33") / "waters.csv"
    path.write_text("lon,lat,li\n5.0,52.0,1.5\n5.1,52.1,-0.5\n5.2,52.2,2.5\n")
    return path


@pytest.mark.parametrize("unit", SPELLINGS)
def test_a_negative_grade_in_a_unit_written_in_words_is_below_its_limit(
    table: Path, unit: str
) -> None:
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        got = read_points(table, columns=["li"], to_crs="EPSG:28992", units={"li": unit})
    values = np.asarray(got.values["li"])
    assert np.isnan(values[1]) and values[0] == 1.5 and values[2] == 2.5
    assert any("negative" in str(w.message) and "line 3" in str(w.message) for w in said)


def test_control_a_column_of_metres_keeps_its_negative_values(table: Path) -> None:
    got = read_points(table, columns=["li"], to_crs="EPSG:28992", units={"li": "m"})
    assert np.asarray(got.values["li"])[1] == -0.5


@pytest.mark.parametrize("unit", SPELLINGS[::3])
def test_a_header_unit_given_in_words_in_units_is_one_unit(unit: str) -> None:
    source = PointSource.model_validate(
        {"kind": "points", "name": "li", "path": "x.csv", "columns": ["Li (mg/L)"],
         "units": {"Li (mg/L)": unit}}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert column_units(source, "Li (mg/L)") == unit


def test_control_a_header_unit_another_scale_than_units_is_still_said() -> None:
    source = PointSource.model_validate(
        {"kind": "points", "name": "li", "path": "x.csv", "columns": ["Li (mg/L)"],
         "units": {"Li (mg/L)": "micrograms per litre"}}
    )
    with pytest.warns(UserWarning, match="states mg/L in its header"):
        column_units(source, "Li (mg/L)")


@pytest.mark.parametrize(
    ("have", "want", "factor"),
    [("um/s2", "mGal", "0.1"), ("µm s-2", "mGal", "0.1"), ("1", "%", "100"),
     ("ppm", "percent", "0.0001"), ("Gal", "mGal", "1000")],
)
def test_a_model_layer_in_gravity_units_or_shares_names_the_factor(
    have: str, want: str, factor: str
) -> None:
    """A cube layer in µm/s² (the gravity unit) for a model of mGal, or in a fraction of
    one for a model of percent, was refused as other units without the factor (models
    helper's hand-over: ``prospect.registry.units.units_hint``)."""
    from prospect.registry.units import same_units, units_hint

    assert not same_units(have, want)
    assert f"a factor of {factor}:" in units_hint(have, want)


def test_the_plan_of_a_region_in_web_mercator_says_its_cells_ground_size(
    sandbox: Any, cli: Any
) -> None:
    """The ingest stage has said since round 33 that a region in EPSG:3857 counts 1.62
    Mercator metres for each metre of the ground at 52 N; ``prospect plan`` of the same
    job said nothing (rasters helper's hand-over: ``pipelines/commands/plan.py``)."""
    x0, y0 = 558600.0, 6801600.0  # about 5.0 E, 52.0 N
    region = {"name": "merc", "crs": "EPSG:3857", "resolution": 10,
              "bounds": [x0, y0, x0 + 400, y0 + 400], "chunks": [40, 40]}
    sandbox.write_job(region=region)
    result = cli("plan", sandbox.job_path)
    assert result.code == 0, result.err[-2000:]
    said = " ".join((result.out + result.err).split())
    assert said.count("whose metres are not the ground's") == 1, said[-2000:]
    assert "6.16 m" in said and "EPSG:32631" in said


def test_control_the_plan_of_a_region_in_its_utm_zone_says_nothing_of_it(
    sandbox: Any, cli: Any
) -> None:
    result = cli("plan", sandbox.job_path)
    assert result.code == 0, result.err[-2000:]
    assert "not the ground's" not in result.out + result.err


@pytest.mark.parametrize(("value", "shown"), [(0.00042, "0.00042"), (0.0909, "0.091"),
                                              (0.0, "0.000"), (0.75, "0.750")])
def test_a_run_summarys_figure_below_a_thousandth_keeps_its_digits(
    value: float, shown: str
) -> None:
    """At 1:2 400 the spatial PR AUC (0.00042) and its no-skill level were both printed
    ``0.000`` in the run's summary (models helper's hand-over: ``pipelines/runner.py``)."""
    from pipelines.runner import shown_figure

    assert shown_figure(value) == shown


def test_a_stop_in_the_tiles_stage_does_not_wait_for_every_layers_pyramid(
    job: tuple[dict[str, Any], Path], cli: Any, scheduler: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A stop (Ctrl-C here, SIGTERM alike) that landed while the tiles stage drew its
    layers went into the layer pool's exit, which waited for every layer's whole pyramid
    before the job could end: on a large region longer than a batch system's grace before
    SIGKILL (faults helper's hand-over, 8.3-8.6 s measured on a demo). Here each layer's
    drawing starts 8 s late (a region whose pyramid takes a while); the stop 1.5 s into
    the stage ends the command at once, recorded as stopped, and a rerun draws the tiles."""
    import shutil
    import signal
    import threading
    import time

    from pipelines.stages import tiles as stage

    config, out = job
    shutil.rmtree(out / "tiles")
    shutil.rmtree(out / "viewer")
    real = stage._render_layer

    def slow(*args: Any, **kwargs: Any) -> Any:
        time.sleep(8)
        return real(*args, **kwargs)

    monkeypatch.setattr(stage, "_render_layer", slow)
    main = threading.main_thread().ident
    assert main is not None
    timer = threading.Timer(1.5, lambda: signal.pthread_kill(main, signal.SIGINT))
    began = time.monotonic()
    timer.start()
    try:
        stopped = run_job(cli, config, out, scheduler, "tiles")
    finally:
        timer.cancel()
    took = time.monotonic() - began
    assert stopped.code == 130, stopped.err[-2000:]
    assert took < 6, f"the stop took {took:.1f} s to end the command"
    record = json.loads((out / "manifest.json").read_text())["stages"]["tiles"]
    assert record["status"] != "done"
    monkeypatch.setattr(stage, "_render_layer", real)
    again = run_job(cli, config, out, scheduler, "tiles")
    assert again.code == 0, again.err[-2000:]
    assert any((out / "tiles").rglob("*.png"))
