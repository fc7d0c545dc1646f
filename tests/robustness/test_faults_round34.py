"""Round 34, faults and job configs: the cores and memory a job may use (CPU affinity,
a cgroup's or ``ulimit -m``'s limit) read as the machine's, outputs and configs given as
URLs taken for local paths, a region whose CRS brings points back a fraction of a
millimetre off refused as "past where it maps the Earth", a chunk side of hundreds of
digits and a value holding ': ' in a hand-written YAML, the ``--scheduler`` scheduler
killed mid-stage said 10 s late, and a run's manifest given as the job's config.

The limits are real ones on this process or a subprocess (``os.sched_setaffinity`` as
``taskset`` sets it, ``prlimit --rss`` as ``ulimit -m`` does); no part of the engine is
mocked. All inputs here are small and SYNTHETIC.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from .conftest import REPO, TINY_REGION, Sandbox, assert_clean_error

# -- a region whose CRS maps points back a fraction of a millimetre off -------------------

RD_NEW = {"crs": "EPSG:28992", "bounds": [100000.0, 400000.0, 100400.0, 400400.0]}
"""A SYNTHETIC 400 m square in the Netherlands' RD New (its way to WGS 84 is a datum
shift: points come back 0.1-1 mm off)."""
LAEA_EUROPE = {"crs": "EPSG:3035", "bounds": [4000000.0, 3000000.0, 4000400.0, 3000400.0]}
"""The same in ETRS89-LAEA Europe."""


@pytest.mark.parametrize("where", [RD_NEW, LAEA_EUROPE], ids=["rd-new", "laea-europe"])
@pytest.mark.parametrize("resolution", [0.0001, 1e-5])
def test_a_resolution_in_degrees_in_a_datum_shifted_crs_names_the_resolution(
        sandbox: Sandbox, cli: Any, where: dict[str, Any], resolution: float) -> None:
    """``resolution: 0.0001`` (10 m in degrees) typed for a region in RD New or LAEA
    Europe: the bounds' corners were mapped to lon/lat and back within half a cell
    (0.05 mm), which the datum shift misses by a fraction of a millimetre, so the region
    was refused as "bounds ... reach past where EPSG:28992 maps the Earth: the point
    (100000, 400000) ... is (100000, 400000) ..., not the point given". Now the resolution
    is named, as in a UTM region: "under a centimetre and looks like degrees"."""
    sandbox.write_job(region=dict(TINY_REGION, resolution=resolution, **where))
    result = cli("plan", sandbox.job_path)
    line = assert_clean_error(result, 2, "job.yaml", "looks like degrees",
                              f"resolution {resolution:g}")
    assert "maps the Earth" not in line
    assert sandbox.untouched()


@pytest.mark.parametrize("where", [RD_NEW, LAEA_EUROPE], ids=["rd-new", "laea-europe"])
def test_control_a_region_in_a_datum_shifted_crs_at_a_centimetre_is_planned(
        sandbox: Sandbox, cli: Any, where: dict[str, Any]) -> None:
    """Control: the same regions at 1 cm (the finest cell taken) and 10 m are planned;
    the slack of a centimetre lets no region through that was refused at its cell size."""
    left, bottom = where["bounds"][:2]
    for resolution, size in ((0.01, 4.0), (10.0, 400.0)):  # 400 x 400 and 40 x 40 cells
        region = dict(TINY_REGION, resolution=resolution, chunks=[200, 200], **where)
        region["bounds"] = [left, bottom, left + size, bottom + size]
        sandbox.write_job(region=region)
        result = cli("plan", sandbox.job_path)
        assert result.code == 0, result.err[-2000:]


def test_control_bounds_past_a_projections_reach_are_still_refused(
        sandbox: Sandbox, cli: Any) -> None:
    """Control: bounds far past where UTM 19N maps the Earth (PROJ brings them back
    kilometres off) are still refused as such at a centimetre's slack."""
    sandbox.write_job(region=dict(TINY_REGION, bounds=[5.0e7, 1350000.0, 5.0e7 + 400,
                                                       1350400.0]))
    result = cli("plan", sandbox.job_path)
    assert_clean_error(result, 2, "job.yaml", "bounds")


# -- the cores and memory the job may use --------------------------------------------------


def test_the_default_workers_follow_the_cores_this_job_may_run_on(
        sandbox: Sandbox, cli: Any) -> None:
    """A job without ``--workers`` pinned to one core (``taskset -c 0``, a SLURM job's
    ``--cpus-per-task=1`` cpuset, ``docker --cpuset-cpus``) started one worker process per
    core of the machine (``os.cpu_count()``), all on that one core, each given a share of
    memory as small. Now it starts one per core it may use."""
    cores = sorted(os.sched_getaffinity(0))
    if len(cores) < 2:
        pytest.skip("needs a machine of at least two cores")
    os.sched_setaffinity(0, {cores[0]})
    try:
        result = cli("ingest", sandbox.job_path, "-o", sandbox.out)
    finally:
        os.sched_setaffinity(0, set(cores))
    assert result.code == 0, result.err[-3000:]
    assert "dask: 1 workers" in result.out + result.err, (result.out + result.err)[-2000:]
    assert sandbox.untouched()


def _limited(rss: int, *args: str) -> subprocess.CompletedProcess[str]:
    """``prospect ARGS`` as a subprocess under ``prlimit --rss`` (as ``ulimit -m`` sets it,
    the memory limit dask's workers share, as a cgroup's is)."""
    if shutil.which("prlimit") is None:
        pytest.skip("no prlimit here")
    env = {k: v for k, v in os.environ.items() if k != "PROSPECT_DEBUG"}
    return subprocess.run(["prlimit", f"--rss={rss}", sys.executable, "-m", "pipelines.cli",
                           *args], capture_output=True, text=True, cwd=REPO, env=env,
                          timeout=120)


def test_workers_past_the_memory_limit_of_the_job_are_refused(sandbox: Sandbox) -> None:
    """``--workers 8`` in a job limited to 2 GiB (a container's or batch job's memory
    limit; ``ulimit -m``): the check read the machine's memory (23 GiB here) and let
    the eight 500 MiB processes start, each given an eighth of the limit by dask, less
    than the process itself. Now it is refused at once naming the limit, before a
    worker starts, and the count that fits is given."""
    proc = _limited(2 * 2**30, "ingest", str(sandbox.job_path), "-o", str(sandbox.out),
                    "--workers", "8")
    lines = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert proc.returncode == 2, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr
    assert len(lines) == 1, proc.stderr[-3000:]
    assert "--workers 8" in lines[0] and "may use 2.0 GiB" in lines[0], lines[0]
    assert "at most 4" in lines[0], lines[0]
    assert not (sandbox.out / "cube.zarr").exists()
    assert sandbox.untouched()


def test_plan_warns_of_workers_past_the_memory_limit_of_the_job(sandbox: Sandbox) -> None:
    """``prospect plan --workers 8`` under the same 2 GiB limit said nothing of what a
    run would refuse (it read the machine's memory); now it warns as ``run`` refuses."""
    proc = _limited(2 * 2**30, "plan", str(sandbox.job_path), "--workers", "8")
    assert proc.returncode == 0, proc.stderr[-3000:]
    said = " ".join((proc.stdout + proc.stderr).split())
    assert "may use 2.0 GiB" in said and "would refuse it" in said, said[-2000:]


# -- outputs and configs given as URLs -----------------------------------------------------


def test_an_output_folder_given_as_an_s3_url_is_refused_not_made_here(
        sandbox: Sandbox, cli: Any, scheduler: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """``-o s3://bucket/run1`` (a cloud user's output): the job ran and wrote its cube and
    manifest into a local folder ``s3:/bucket/run1`` under the current one, which a pod
    loses with its disk, exit 0 and no word. Now it is a usage error naming the URL and
    how to copy the outputs there, and nothing is written."""
    here = tmp_path / "cwd"
    here.mkdir()
    monkeypatch.chdir(here)
    result = cli("ingest", sandbox.job_path, "-o", "s3://bucket/run1", "--scheduler",
                 scheduler)
    assert result.code == 2, (result.out + result.err)[-3000:]
    text = " ".join(result.err.split())
    assert "s3://bucket/run1" in text and "a URL (s3://" in text, text
    assert "aws s3 sync" in text, text
    assert "Traceback" not in result.out + result.err
    assert list(here.iterdir()) == []
    assert sandbox.untouched()


@pytest.mark.parametrize("out", ["gs://bucket/run1", "https://data.example.org/run1",
                                 "az://container/run1", "/vsis3/bucket/run1"])
def test_an_output_folder_given_as_a_url_or_gdal_path_is_refused(
        sandbox: Sandbox, cli: Any, out: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """``-o`` as another object store's URL, a web address or GDAL's ``/vsis3/`` (which
    made ``/vsis3/bucket/run1`` at the root of the file system): refused, naming it."""
    monkeypatch.chdir(tmp_path)
    result = cli("plan", sandbox.job_path, "-o", out)
    assert result.code == 2, (result.out + result.err)[-3000:]
    text = " ".join(result.err.split())
    assert out in text and ("a URL" in text or "a GDAL virtual path" in text), text
    assert "not a path here" in text, text


def test_control_a_local_folder_named_like_a_scheme_is_still_an_output(
        sandbox: Sandbox, cli: Any, scheduler: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Control: ``-o runs:2024/a`` (a colon in a folder's name, no ``//``) and a folder
    that exists are outputs as before."""
    monkeypatch.chdir(tmp_path)
    result = cli("ingest", sandbox.job_path, "-o", "runs:2024/a", "--scheduler", scheduler)
    assert result.code == 0, result.err[-3000:]
    assert (tmp_path / "runs:2024" / "a" / "cube.zarr").is_dir()


@pytest.mark.parametrize("config", ["https://raw.example.org/jobs/job.yaml",
                                    "s3://bucket/jobs/job.yaml"])
def test_a_config_given_as_a_url_says_so(cli: Any, config: str) -> None:
    """``prospect plan https://host/job.yaml`` was "https:/host/job.yaml: config file not
    found" (the URL folded as a path); now it says a config is read from a local file and
    how to fetch it, naming the URL as given."""
    result = cli("plan", config)
    assert_clean_error(result, 2, config, "download it first")


@pytest.mark.parametrize("key,value", [
    ("region", "https://example.org/regions/area.yaml"),
    ("indices", {"sensor": "s3://bucket/sensors/mine.yaml", "names": ["NDVI"]}),
])
def test_a_region_or_sensor_file_given_as_a_url_says_so(
        sandbox: Sandbox, cli: Any, key: str, value: Any) -> None:
    """``region:`` and ``sensor:`` as a URL were joined to the job's folder and "not
    found" there (``'/jobs/https:/example.org/...' not found``); now refused as a file
    Prospect reads itself, with its line: download it first."""
    sandbox.write_job(**{key: value})
    result = cli("plan", sandbox.job_path)
    line = assert_clean_error(result, 2, "job.yaml", "is a URL", "download it first")
    assert "not found" not in line


# -- numbers and colons a hand-written config holds ----------------------------------------


@pytest.mark.parametrize("side", ["1" + "0" * 400, "9" * 320])
def test_a_chunk_side_past_any_chunk_is_refused_at_its_key(
        sandbox: Sandbox, cli: Any, side: str) -> None:
    """``chunks: [1000...0, 20]`` (a number pasted twice over, 401 digits): the grid's
    check could not write the chunk's cell count as a float, "internal error:
    OverflowError: int too large to convert to float", exit 70. Now refused at its key
    and line, with the sides that fit."""
    text = sandbox.job_path.read_text()
    sandbox.write_job(text.replace("  - 20\n", f"  - {side}\n", 1))
    result = cli("plan", sandbox.job_path)
    assert_clean_error(result, 2, "job.yaml:", "region.chunks.0", "a chunk side",
                       "[512, 512]")


def test_control_a_chunk_side_of_a_64_bit_number_is_still_refused_in_one_line(
        sandbox: Sandbox, cli: Any) -> None:
    """Control: a side of 2**63 cells was refused cleanly before (the grid's check could
    write its count) and still is, with the chunks to use."""
    text = sandbox.job_path.read_text()
    sandbox.write_job(text.replace("  - 20\n", f"  - {2**63}\n", 1))
    result = cli("plan", sandbox.job_path)
    assert_clean_error(result, 2, "job.yaml", "9223372036854775808", "[512, 512]")


@pytest.mark.parametrize("line,fixed", [
    ("description: Lithium: brine survey of the basin",
     "description: 'Lithium: brine survey of the basin'"),
    ("description: Joe's note: SYNTHETIC", "description: 'Joe''s note: SYNTHETIC'"),
])
def test_a_colon_and_space_in_a_value_says_to_quote_it(
        sandbox: Sandbox, cli: Any, line: str, fixed: str) -> None:
    """A value holding ``': '`` (a description with a subtitle) was "not valid YAML at
    line 3, column 21: mapping values are not allowed here", naming neither the colon
    nor the fix. Now the line is given back with its value quoted."""
    text = sandbox.job_path.read_text()
    sandbox.write_job(text.replace("description: SYNTHETIC robustness case", line, 1))
    result = cli("plan", sandbox.job_path)
    assert_clean_error(result, 2, "job.yaml", "line 3", "quote the whole value", fixed)


def test_a_crs_code_written_with_a_space_says_to_drop_it(sandbox: Sandbox, cli: Any) -> None:
    """``crs: EPSG: 32619`` (a space after the authority, as a document prints it): the
    same bare YAML error; now "write the code without the space: crs: EPSG:32619"."""
    text = sandbox.job_path.read_text()
    sandbox.write_job(text.replace("crs: EPSG:32619", "crs: EPSG: 32619", 1))
    result = cli("plan", sandbox.job_path)
    assert_clean_error(result, 2, "job.yaml", "without the space: crs: EPSG:32619")


def test_control_a_quoted_value_with_a_colon_is_read(sandbox: Sandbox, cli: Any) -> None:
    """Control: the value quoted as the hint says, and a URL's ``://`` unquoted, are read."""
    text = sandbox.job_path.read_text()
    sandbox.write_job(text.replace("description: SYNTHETIC robustness case",
                                   "description: 'Lithium: brine' see https://example.org/a",
                                   1).replace("'Lithium: brine' see https://example.org/a",
                                              "'Lithium: brine, see https://example.org/a'"))
    result = cli("plan", sandbox.job_path)
    assert result.code == 0, result.err[-2000:]


# -- the --scheduler scheduler killed mid-stage ---------------------------------------------


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_scheduler_killed_mid_stage_is_said_at_once_not_after_the_reconnect(
        sandbox: Sandbox, cli: Any, tmp_path: Path) -> None:
    """A real ``dask scheduler`` and ``dask worker`` (``--scheduler``), the scheduler
    SIGKILLed (an OOM kill, its node rebooted) as ingest of a SYNTHETIC 2000 x 2000
    raster computes. The job said "lost the dask scheduler" 10.2 s later: the lock's
    worker plugin was taken back through ``client.unregister_worker_plugin``, which
    waited out the client's whole 10 s reconnect to a scheduler that no longer
    listened. Now a scheduler of this machine whose port no longer listens is gone at
    once; the job ends within a few seconds, exit 1, one line, resumable."""
    import threading
    import time

    import numpy as np
    import rasterio
    from distributed import Client
    from rasterio.transform import from_origin

    from pipelines.cluster import _listening

    n = 2000
    with rasterio.open(sandbox.root / "big.tif", "w", driver="GTiff", width=n, height=n,
                       count=1, dtype="float32", crs="EPSG:32619",
                       transform=from_origin(500000, 1350000 + n * 10, 10, 10)) as dst:
        dst.write(np.random.default_rng(1).random((n, n)).astype("float32"), 1)
    region = dict(TINY_REGION, bounds=[500000.0, 1350000.0, 500000.0 + n * 10,
                                       1350000.0 + n * 10], chunks=[128, 128])
    sandbox.write_job(region=region, sources=[
        {"kind": "raster", "name": "big", "path": "big.tif", "units": "1",
         "resampling": "bilinear"}])
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    dask = str(Path(sys.executable).parent / "dask")
    logs = (tmp_path / "scheduler.log").open("w")
    scheduler = subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port",
                                  str(port), "--no-dashboard"], stdout=logs, stderr=logs)
    worker = None
    try:
        deadline = time.monotonic() + 60
        while not _listening(port):
            assert time.monotonic() < deadline, "the scheduler did not start"
            time.sleep(0.2)
        worker = subprocess.Popen([dask, "worker", address, "--nthreads", "1",
                                   "--no-dashboard"], stdout=logs, stderr=logs, cwd=REPO)
        with Client(address, timeout="30s") as probe:
            probe.wait_for_workers(1, timeout=60)
        killed: list[float] = []

        def kill_mid_stage() -> None:
            while not (sandbox.out / "cube.zarr").exists():
                time.sleep(0.05)
            time.sleep(0.3)
            scheduler.kill()
            killed.append(time.monotonic())

        threading.Thread(target=kill_mid_stage, daemon=True).start()
        result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", address)
        ended = time.monotonic()
    finally:
        for proc in (worker, scheduler):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait(10)
        logs.close()
    assert killed, f"ingest ended before the scheduler was killed: {result.err[-2000:]}"
    assert_clean_error(result, 1, "lost the dask scheduler", address, "run the same command")
    took = ended - killed[0]
    assert took < 6, f"the job said so {took:.1f} s after the scheduler was killed"
    assert sandbox.untouched()


# -- a run's manifest given as the job's config --------------------------------------------


def test_a_runs_manifest_given_as_the_config_names_the_jobs_config(
        sandbox: Sandbox, cli: Any, scheduler: str) -> None:
    """``prospect run out/manifest.json -o out`` (the file a run leaves, JSON, which YAML
    reads): a wall of "unknown key 'runs'", "unknown key 'stages'" ... lines, each listing
    a job's keys, with no word of what the file is. Now one line says it is a run's
    manifest and names the job config it records."""
    first = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert first.code == 0, first.err[-3000:]
    manifest = sandbox.out / "manifest.json"
    before = manifest.read_bytes()
    result = cli("run", manifest, "-o", sandbox.out, "--scheduler", scheduler)
    assert_clean_error(result, 2, "manifest.json", "not a job config",
                       f"the job's config is {sandbox.job_path}")
    assert manifest.read_bytes() == before


@pytest.mark.parametrize("key", ["region", "indices"])
def test_a_runs_manifest_named_as_a_region_or_sensor_says_what_it_is(
        sandbox: Sandbox, cli: Any, key: str) -> None:
    """The same manifest named by ``region:`` or ``indices.sensor:``: "missing required key
    'crs'" and unknown keys, or "missing 'bands'"; now it is named as a run's manifest."""
    (sandbox.root / "old.json.yaml").write_text(
        '{"stages": {}, "runs": [], "config_hash": "ab", "config_path": "/x/job.yaml"}\n')
    value: Any = "old.json.yaml" if key == "region" else \
        {"sensor": "old.json.yaml", "names": ["NDVI"]}
    sandbox.write_job(**{key: value})
    result = cli("plan", sandbox.job_path)
    assert_clean_error(result, 2, "old.json.yaml", "manifest.json")
