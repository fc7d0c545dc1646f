"""What the lead took from the round-20 helpers' reports: fixes in modules no helper
owned, each tested through the real command line where a user meets it."""

from __future__ import annotations

import pytest

from prospect.env import positive_limit
from prospect.errors import ConfigError

from .conftest import Sandbox, assert_clean_error

LIMITS = ["PROSPECT_MAX_CELLS", "PROSPECT_MAX_SOURCES", "PROSPECT_MAX_BLOCK_BYTES"]


@pytest.mark.parametrize("value", ["-5", "0", "abc", "1.5"])
def test_a_limit_in_the_environment_that_is_no_positive_number_is_refused(
        sandbox: Sandbox, cli, monkeypatch, value: str) -> None:
    """``PROSPECT_MAX_CELLS=-5`` planned "over the limit of -5" (and 0 refused every job
    for its size), wrapped in a reference raster's CRS advice: one reading of every
    limit, naming the variable, the default and how to unset it (exit 2)."""
    sandbox.write_job()
    monkeypatch.setenv("PROSPECT_MAX_CELLS", value)
    result = cli("plan", sandbox.job_path)
    assert_clean_error(result, 2, f"PROSPECT_MAX_CELLS={value!r}", "no whole number above 0",
                       "default", "unset it")
    assert "over the limit" not in result.err


@pytest.mark.parametrize("name", LIMITS)
def test_every_limit_is_read_the_same_way(monkeypatch, name: str) -> None:
    monkeypatch.setenv(name, " 2_000 ")
    assert positive_limit(name, 7, "things", ConfigError) == 2000
    monkeypatch.setenv(name, "")
    assert positive_limit(name, 7, "things", ConfigError) == 7
    monkeypatch.setenv(name, "-1")
    with pytest.raises(ConfigError, match=f"{name}='-1' is no whole number above 0"):
        positive_limit(name, 7, "things", ConfigError)


def test_ingest_names_a_geology_map_written_lat_lon(sandbox: Sandbox, cli,
                                                    scheduler: str) -> None:
    """A GeoJSON geology map written lat, lon (RFC 7946 wants lon, lat) lay nowhere:
    ingest said only "no feature ... lies in the region; check the file, its CRS or the
    region bounds". Ingest passes the region to the hint, which says the axes look
    swapped and how to swap them."""
    import json

    from pyproj import Transformer

    to_lonlat = Transformer.from_crs("EPSG:32619", "EPSG:4326", always_xy=True)
    corners = [(500_050.0, 1_350_050.0), (500_350.0, 1_350_050.0), (500_350.0, 1_350_350.0),
               (500_050.0, 1_350_350.0), (500_050.0, 1_350_050.0)]
    ring = [[lat, lon] for lon, lat in (to_lonlat.transform(x, y) for x, y in corners)]
    (sandbox.root / "geology.geojson").write_text(json.dumps({
        "type": "FeatureCollection", "features": [{
            "type": "Feature", "properties": {"unit": "basalt"},
            "geometry": {"type": "Polygon", "coordinates": [ring]}}]}))
    sandbox.write_job(sources=[{"kind": "vector", "name": "geology",
                                "path": "geology.geojson", "attribute": "unit"}])
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    line = assert_clean_error(result, 1, "geology.geojson", "no feature")
    assert "look swapped" in line, line


def test_the_score_report_says_the_evidence_warnings_and_the_extrapolated_share(
        tmp_path) -> None:
    """The score stage passed its evidence warnings and the share of cells outside the
    training range to the report, which printed neither (only the console said them)."""
    from pipelines.report import write_score_report

    path = write_score_report(tmp_path, quicklooks={}, facts={
        "mineral": "lithium", "job": "j", "metrics": {"outside_training_range_share": 0.12},
        "evidence_warnings": ["layer 'heat' lies outside its training range in 12 % of "
                              "the sampled cells"]})
    text = " ".join(path.read_text().split())
    assert "> **Evidence**: layer 'heat' lies outside its training range" in text
    assert "`outside_training_range_share` (0.12" in text and "Meyer & Pebesma" in text


def test_a_raster_url_whose_server_never_answers_ends_at_the_sources_timeout(
        sandbox: Sandbox) -> None:
    """A plain raster source read from a URL was opened without the source's ``remote:``
    settings: a server that accepts the connection and never answers held ``prospect
    plan`` (and ingest's tasks) for ever. Now the source's timeout holds: one error line
    naming the URL, well within a minute."""
    import socket
    import subprocess
    import sys
    import time

    from .conftest import run_prospect

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    silent = subprocess.Popen([sys.executable, "-c", (
        "import socket, time\n"
        "s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
        f"s.bind(('127.0.0.1', {port})); s.listen(16)\n"
        "held = []\n"
        "while True:\n"
        "    c, _ = s.accept(); held.append(c)\n")])
    try:
        time.sleep(0.5)
        url = f"http://127.0.0.1:{port}/heat.tif"
        sandbox.write_job(sources=[{"kind": "raster", "name": "heat", "path": url,
                                    "units": "1", "crs": "EPSG:32619",
                                    "remote": {"timeout_s": 2, "retries": 0}}])
        began = time.monotonic()
        plan = run_prospect("plan", sandbox.job_path, timeout=90)
        planned = time.monotonic() - began
        began = time.monotonic()
        run = run_prospect("ingest", sandbox.job_path, "-o", sandbox.out, "--workers", "1",
                           timeout=120)
        ran = time.monotonic() - began
    finally:
        silent.kill()
        silent.wait()
    # the plan counts a remote source from its config, saying why it could not look
    assert planned < 45 and plan.code == 0, (planned, plan.err[-2000:])
    assert "cannot read over the network: timeout" in " ".join(plan.out.split())
    assert ran < 60, ran
    line = assert_clean_error(run, 1, f"127.0.0.1:{port}/heat.tif",
                              "cannot read over the network: timeout", "remote.timeout_s")
    assert "corrupt" not in line


def test_a_band_file_named_by_its_product_records_its_quantity_and_units(tmp_path) -> None:
    """A Collection 2 Level-2 ``ST_B10`` file given only its ``scale:`` went into the cube
    labelled ``1`` with no quantity in its provenance, though its name states surface
    temperature in kelvin; its units are now the product's where the config gives none
    (a config's own ``units:`` still wins: a change of units said with it)."""
    from prospect.ingest.rasters import plan_raster

    from .test_imagery_round19 import L2_ID, _grid, _named_file, _quiet

    st = _named_file(tmp_path, f"{L2_ID}_ST_B10.TIF", dn=40000)
    layer, = _quiet(plan_raster, {"name": "p", "bands": {"st": str(st)},
                                  "scale": 0.00341802}, _grid(st))
    assert layer.units == "K"
    assert layer.settings["quantity"] == "surface_temperature"
    assert layer.refs[0].describe()["quantity"] == "surface_temperature"
    layer, = _quiet(plan_raster, {"name": "p", "bands": {"st": str(st)},
                                  "scale": 0.00341802, "offset": -273.15, "units": "degC"},
                    _grid(st))
    assert layer.units == "degC"


def test_a_job_that_lost_its_directory_publishes_no_file_or_folder_there(tmp_path) -> None:
    """The lock's check was only called before manifest writes: a finished map, a COG or
    a variable was still renamed into place over the other job's in the heartbeat's
    read-back window. Every publish of ``prospect.io.files`` (a staged file, a staged
    folder, a removal aside) now checks the lock first: refused, nothing moved."""
    import json

    from pipelines.lock import output_lock
    from prospect.errors import OutputBusyError
    from prospect.io.files import publish_dir, remove_aside, staged_file, write_text

    out = tmp_path / "out"
    out.mkdir()
    write_text(out / "kept.txt", "the other job's\n")
    other = {"pid": 31337, "host": "node-17.cluster.example", "token": "f" * 32,
             "started": "2026-12-03T07:00:00+00:00", "beat": 0}
    with pytest.raises(OutputBusyError), output_lock(out):
        write_text(out / "mine.txt", "before\n")  # held: published
        (out / ".prospect.lock").write_text(json.dumps(other))
        with pytest.raises(OutputBusyError, match="pid 31337"), \
                staged_file(out / "map.tif") as tmp:
            tmp.write_bytes(b"new map")
        staging = tmp_path / "staging"
        staging.mkdir()
        with pytest.raises(OutputBusyError, match="pid 31337"):
            publish_dir(staging, out / "cube.zarr")
        with pytest.raises(OutputBusyError, match="pid 31337"):
            remove_aside(out / "kept.txt")
        write_text(tmp_path / "elsewhere.txt", "outside -o: not this lock's\n")
    assert (out / "mine.txt").read_text() == "before\n"
    assert not (out / "map.tif").exists() and not (out / "cube.zarr").exists()
    assert (out / "kept.txt").read_text() == "the other job's\n"
    assert (tmp_path / "elsewhere.txt").exists()
    assert sorted(p.name for p in out.iterdir()) == [".prospect.lock", "kept.txt", "mine.txt"]


def test_a_partial_folders_name_reads_as_the_name_it_stands_for() -> None:
    from prospect.io.files import target_of

    assert str(target_of("out/.cube.zarr.partial/probability")) == "out/cube.zarr/probability"
    assert str(target_of("out/.cube.zarr.staging-1a2b3c4d/x")) == "out/cube.zarr/x"


@pytest.mark.parametrize("record", [True, False])
def test_the_grid_of_a_cube_of_one_row_is_read(tmp_path, record: bool) -> None:
    """A cube of one row whose spatial_ref states no GeoTransform was "the grid must be
    north-up" (rioxarray's guess at a cell size from one coordinate): its grid comes from
    the record where it places the cells, else from the other axis's spacing; a single
    cell with neither is refused saying why."""
    from prospect.errors import DataError
    from prospect.io.cube import cube_grid

    from .test_models_round20 import _one_row

    cube = _one_row(tmp_path, record=record)
    grid = cube_grid(cube)
    assert grid.shape == (1, cube.sizes["x"]) and grid.resolution == 100.0
    assert grid.transform.f == pytest.approx(float(cube["y"][0]) + 50.0)
    single = cube.isel(x=slice(0, 1))
    single.attrs.pop("grid", None)
    with pytest.raises(DataError, match=r"1 row\(s\) and 1 column\(s\).*GeoTransform"):
        cube_grid(single)


def test_a_clean_up_error_while_a_stop_unwinds_is_said_as_the_stop(
        sandbox: Sandbox, cli, scheduler: str, monkeypatch) -> None:
    """SIGTERM reached ingest while a temporary folder was being written (zarr's threads
    still writing into it): its clean-up raised "Directory not empty", which replaced the
    stop, so the run said "error: /tmp/tmp...: Directory not empty" and recorded the stage
    failed (the SLURM batch-script test caught it once in CI). The stop behind a clean-up's
    error is the stop: one line, exit 143, the stage ``interrupted``."""
    import errno
    import json
    import os
    import signal
    import time

    import pipelines.stages.ingest as ingest

    def stopped_mid_clean_up(ctx):
        try:
            os.kill(os.getpid(), signal.SIGTERM)  # the stop handler raises Stopped here
            time.sleep(5)
        finally:  # a clean-up that fails as the stop unwinds
            raise OSError(errno.ENOTEMPTY, "Directory not empty", "/tmp/tmpv8a44y21")

    monkeypatch.setattr(ingest, "run", stopped_mid_clean_up)
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    text = result.out + result.err
    assert result.code == 143, text[-3000:]
    assert "stopped by SIGTERM" in text and "Directory not empty" not in text, text[-3000:]
    stages = json.loads((sandbox.out / "manifest.json").read_text())["stages"]
    assert stages["ingest"]["status"] == "interrupted", stages


def test_an_error_raised_from_an_interrupt_on_purpose_stays_that_error() -> None:
    from pipelines.faults import Stopped, stop_behind
    from prospect.errors import OutputBusyError

    try:
        try:
            raise KeyboardInterrupt  # the lock heartbeat's own interrupt
        except KeyboardInterrupt as exc:
            raise OutputBusyError("in use by another job") from exc
    except OutputBusyError as busy:
        assert stop_behind(busy) is None
    stop = Stopped(15)
    try:
        try:
            raise stop
        except Stopped:
            raise OSError("clean-up failed") from None
    except OSError as hidden:
        assert stop_behind(hidden) is None  # context suppressed on purpose
