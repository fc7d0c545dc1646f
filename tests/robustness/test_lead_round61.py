"""Fuzzing round 61, the lead's cases: a stage's data warnings lost to another thread.

``warnings.catch_warnings`` swaps the warnings module's process-wide hooks and puts back
what it found when it ends. A block another thread entered before a stage's collector
(``prospect.errors.data_warnings``) and left inside it put back the hooks of before the
stage: every data warning the stage raised after that went past its record, neither
printed as a ``warning:`` line nor kept in the manifest. The clean-clone CI of stop 65
met it: ``prospect plan`` run in a test process whose earlier test had left a thread
behind printed no "not a grade" warning. Each case fails on the code before this round
unless its docstring says "control". SYNTHETIC files throughout."""

from __future__ import annotations

import json
import threading
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import pytest

from prospect.errors import DataWarning, data_warnings

from .conftest import Sandbox


@contextmanager
def _a_block_spanning_the_start() -> Iterator[Callable[[], None]]:
    """Another thread inside a ``warnings.catch_warnings()`` block that began before the
    ``with`` body and ends when the body calls the function yielded (a dask task's
    rasterio read, a tile request's rio-tiler call, a test runner's thread)."""
    entered, leave, left = threading.Event(), threading.Event(), threading.Event()

    def other() -> None:
        with warnings.catch_warnings():
            entered.set()
            leave.wait(30)
        left.set()

    thread = threading.Thread(target=other, daemon=True)
    thread.start()
    assert entered.wait(30)

    def end() -> None:
        leave.set()
        assert left.wait(30)

    try:
        yield end
    finally:
        leave.set()
        thread.join(30)


def test_a_blocks_warnings_are_kept_when_another_threads_block_ends_inside_it() -> None:
    """The collector's record holds a warning raised after another thread's
    ``catch_warnings`` block, begun before the collector's, ended inside it (before: the
    list was empty and the warning went to the console in Python's own form)."""
    with _a_block_spanning_the_start() as end, data_warnings("warning: ") as found:
        end()
        warnings.warn(DataWarning("3 cells dropped"), stacklevel=1)
    assert found == ["warning: 3 cells dropped"]


def test_two_threads_collectors_at_once_keep_each_its_own() -> None:
    """Two threads' collectors open at once and closed out of order (two stages' or two
    requests' blocks): each holds its own thread's warnings, none the other's, none lost
    (before: the first thread's went into the second's list, and the second's last was
    lost when the first ended)."""
    a_in, b_in, a_warned, a_out = (threading.Event() for _ in range(4))
    found: dict[str, list[str]] = {}

    def first() -> None:
        with data_warnings() as said:
            a_in.set()
            assert b_in.wait(30)
            warnings.warn(DataWarning("a: rows dropped"), stacklevel=1)
            a_warned.set()
        found["a"] = said
        a_out.set()

    def second() -> None:
        assert a_in.wait(30)
        with data_warnings() as said:
            b_in.set()
            assert a_warned.wait(30)
            warnings.warn(DataWarning("b: band empty"), stacklevel=1)
            assert a_out.wait(30)
            warnings.warn(DataWarning("b: geometry repaired"), stacklevel=1)
        found["b"] = said

    threads = [threading.Thread(target=f) for f in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert found == {"a": ["a: rows dropped"], "b": ["b: band empty", "b: geometry repaired"]}


def test_a_pools_threads_warnings_go_to_the_block_that_started_them() -> None:
    """Control: a thread pool started inside a collector (a stage's header reads) has its
    warnings collected there, each text once, as before."""
    with data_warnings() as found, ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda i: warnings.warn(DataWarning(f"file {i % 2} empty"),
                                              stacklevel=1), range(4)))
    assert sorted(found) == ["file 0 empty", "file 1 empty"]


def test_other_warnings_of_a_block_go_where_they_would_have() -> None:
    """Control: a warning of another category raised in a collector is not one of its
    notes; it reaches the recorder around the block (pytest's, a user's) as before."""
    with pytest.warns(RuntimeWarning, match="overflow in cast") as around, \
            data_warnings() as found:
        warnings.warn("overflow in cast", RuntimeWarning, stacklevel=1)
        warnings.warn(DataWarning("1 row dropped"), stacklevel=1)
    assert found == ["1 row dropped"]
    assert [str(w.message) for w in around] == ["overflow in cast"]


def test_a_librarys_own_record_inside_a_block_still_takes_its_warnings() -> None:
    """Control: a library that records its own warnings to act on them inside a stage's
    block (skops telling a deprecated estimator by its ``FutureWarning``, scikit-learn's
    power transform by numpy's ``RuntimeWarning``) still gets them, and they are not
    shown again when the block ends."""
    with warnings.catch_warnings(record=True) as around:
        warnings.simplefilter("always")
        with data_warnings() as found:
            with warnings.catch_warnings(record=True) as own:
                warnings.simplefilter("always", FutureWarning)
                warnings.warn("'max_features' is deprecated", FutureWarning, stacklevel=1)
            warnings.warn(DataWarning("2 rows dropped"), stacklevel=1)
    assert [str(w.message) for w in own] == ["'max_features' is deprecated"]
    assert found == ["2 rows dropped"] and not around


def test_plan_prints_its_warning_while_another_threads_block_ends_inside_it(
        sandbox: Sandbox, cli: Any) -> None:
    """The CI's case: ``prospect plan`` of labels of a detection-limit column
    (``Li_ppm_LOD``) printed no "not a grade" warning when another thread's block, begun
    before the command, ended as it ran (here: as the region's grid is made)."""
    import prospect.config as config_module

    from .test_jobs_round12 import _model, _wells

    sandbox.write_job(sources=[{"kind": "raster", "name": "heat", "path": "heat.tif"},
                               _wells(sandbox, "Li_ppm_LOD")],
                      model=_model("Li_ppm_LOD", "lithium"))
    resolved = config_module.resolve_grid
    with _a_block_spanning_the_start() as end:
        def resolve_then_end(*args: Any, **kwargs: Any) -> Any:
            end()
            return resolved(*args, **kwargs)

        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(config_module, "resolve_grid", resolve_then_end)
            result = cli("plan", sandbox.job_path)
    assert result.code == 0, result.err[-3000:]
    lines = [ln for ln in result.err.splitlines() if "not a grade:" in ln]
    assert len(lines) == 1 and lines[0].startswith("warning:"), result.err[-3000:]


def test_an_ingest_stage_records_its_warning_while_another_threads_block_ends_inside_it(
        sandbox: Sandbox, cli: Any, scheduler: str) -> None:
    """A real ingest on the loopback cluster whose scene declares a nodata that never
    occurs beside a dominant 0 fill: the stage's warning is printed and kept in the
    manifest (``data_warnings`` 1) though another thread's block ended inside the stage
    (before: 0, and no ``warning:`` line)."""
    import numpy as np

    from pipelines import runner

    from .conftest import write_tiny_raster

    data = (np.random.default_rng(1).random((40, 40)) * 1000 + 1).astype("float32")
    data[:8, :] = data[-8:, :] = data[:, :8] = data[:, -8:] = 0
    write_tiny_raster(sandbox.root / "scene.tif", values=data, nodata=-9999.0)
    sandbox.write_job(sources=[{"kind": "raster", "name": "heat", "path": "heat.tif"},
                               {"kind": "raster", "name": "scene", "path": "scene.tif"}])
    timed = runner.timed
    with _a_block_spanning_the_start() as end:
        def end_then_run(*args: Any, **kwargs: Any) -> Any:  # inside the stage's block
            end()
            return timed(*args, **kwargs)

        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(runner, "timed", end_then_run)
            result = cli("ingest", sandbox.job_path, "-o", sandbox.out,
                         "--scheduler", scheduler)
    assert result.code == 0, result.err[-3000:]
    said = " ".join(result.err.split())
    assert "never occurs while 0 fills" in said, result.err[-3000:]
    stage = json.loads((sandbox.out / "manifest.json").read_text())["stages"]["ingest"]
    assert stage["metrics"]["data_warnings"] == 1
    assert any("never occurs while 0 fills" in n for n in stage["notes"])


def test_a_warning_two_stages_give_of_one_input_is_printed_once_and_summed_once(
        sandbox: Sandbox, cli: Any, scheduler: str) -> None:
    """The delivery and vectors helpers' hand-over: a mask outline whose polygon crosses
    itself (a bow-tie, as Natural Earth's Bahamas in its TopoJSON) is repaired as ingest
    reads it and again as the tiles stage draws the viewer's outline: the same warning
    was printed under both stages and twice in the summary's count. Now once under the
    first stage, once in the summary naming both stages; each stage's record keeps it
    (SYNTHETIC outline and raster)."""
    x0, y0 = 500000.0, 1350000.0
    bowtie = [[x0, y0], [x0 + 400, y0 + 400], [x0 + 400, y0], [x0, y0 + 400], [x0, y0]]
    (sandbox.root / "coast.geojson").write_text(json.dumps({
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32619"}},
        "features": [{"type": "Feature", "properties": {"name": "isle"},
                      "geometry": {"type": "Polygon", "coordinates": [bowtie]}}]}))
    sandbox.write_job(mask={"path": "coast.geojson"},
                      tiles={"min_zoom": 14, "max_zoom": 14, "layers": [{"variable": "heat"}]})
    result = cli("run", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert result.code == 0, result.err[-3000:]
    flat = " ".join((result.out + result.err).split())
    said = "repaired with shapely.make_valid"
    summary = flat[flat.index("Prospect run summary"):]
    assert flat.count(said) == 2, flat[-4000:]  # under ingest, and once in the summary
    assert summary.count(said) == 1 and f"ingest, tiles: {sandbox.root}" in summary, summary
    stages = json.loads((sandbox.out / "manifest.json").read_text())["stages"]
    assert [any(said in n for n in stages[s]["notes"]) for s in ("ingest", "tiles")] == \
        [True, True]
