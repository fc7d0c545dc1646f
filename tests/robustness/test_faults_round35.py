"""Round 35, faults and job configs: a job whose standard error lies on a full disk,
the dask workers' local directory on a read-only disk, and dask durations (timeouts,
intervals) set in the environment to values dask cannot read.

The faults are real ones: ``/dev/full`` as the disk of a redirect, a tmpfs remounted
read-only, the variables a user exports; no part of the engine is mocked. All inputs
here are small and SYNTHETIC.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from .conftest import PROSPECT, REPO, Outcome, Sandbox, SmallDisk, assert_clean_error

# -- standard error on a full disk ---------------------------------------------------


def _run_with_stderr_full(sandbox: Sandbox) -> tuple[int, str]:
    """``prospect run job.yaml -o out --workers 1 2>/dev/full``: its exit code and what it
    printed on standard output."""
    env = {k: v for k, v in os.environ.items() if k != "PROSPECT_DEBUG"}
    with open(os.devnull, "rb") as nothing, open("/dev/full", "w") as full:
        proc = subprocess.run([*PROSPECT, "run", str(sandbox.job_path), "-o",
                               str(sandbox.out), "--workers", "1"], stdin=nothing,
                              stdout=subprocess.PIPE, stderr=full, text=True, timeout=120,
                              cwd=REPO, env=env)
    return proc.returncode, proc.stdout


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full here")
def test_standard_error_on_a_full_disk_is_said_as_its_own_not_the_outputs(
        sandbox: Sandbox) -> None:
    """``prospect run job.yaml -o out 2>> run.log`` with the log's disk full (here
    ``/dev/full``): the job's first line to standard error failed, and the job ended exit
    74 with nothing said anywhere, its manifest's run "failed" without a reason; the
    error it meant to say blamed the output folder ("out: the disk is full"), whose disk
    had room. Now the line names standard error and is printed on standard output, and
    the manifest records it."""
    code, out = _run_with_stderr_full(sandbox)
    result = Outcome(code, "", out)  # the error line came on standard output
    line = assert_clean_error(result, 74, "standard error could not be written",
                              "No space left on device", "2>/dev/null")
    assert "the disk is full" not in line
    manifest = json.loads((sandbox.out / "manifest.json").read_text())
    run = manifest["runs"][-1]
    assert run["status"] == "failed"
    assert "standard error could not be written" in run["error"]
    assert sandbox.untouched()


# -- the workers' local directory -------------------------------------------------------


def test_a_dask_temporary_directory_on_a_read_only_disk_names_the_setting(
        sandbox: Sandbox, small_disk: SmallDisk) -> None:
    """``export DASK_TEMPORARY_DIRECTORY=/scratch`` (the workers' local directory, where
    they spill) with that disk read-only: "the local dask cluster did not start:
    RuntimeError: Cluster failed to start: [Errno 30] Read-only file system:
    '/scratch/dask-scratch-space'; check the dask settings (..., jobqueue.yaml,
    kubernetes.yaml)", dask's words and files a local job never reads. Now the folder,
    the variable and the fix are named."""
    from .conftest import run_prospect

    small_disk.remount("ro")
    folder = str(small_disk.root)
    result = run_prospect("run", sandbox.job_path, "-o", sandbox.out, "--workers", "1",
                          env={"DASK_TEMPORARY_DIRECTORY": folder}, timeout=120)
    line = assert_clean_error(result, 1, "local directory", folder, "Read-only file system",
                              "$DASK_TEMPORARY_DIRECTORY", "writable folder")
    assert "RuntimeError" not in line and "jobqueue.yaml" not in line
    assert sandbox.untouched()


def test_a_dask_temporary_directory_that_is_a_file_names_the_setting(
        sandbox: Sandbox) -> None:
    """``DASK_TEMPORARY_DIRECTORY`` naming a file (a path mistyped onto a data file):
    "RuntimeError: Cluster failed to start: [Errno 20] Not a directory ...". Now the
    setting and the fix are named."""
    from .conftest import run_prospect

    a_file = sandbox.root / "heat.tif"
    result = run_prospect("run", sandbox.job_path, "-o", sandbox.out, "--workers", "1",
                          env={"DASK_TEMPORARY_DIRECTORY": str(a_file)}, timeout=120)
    line = assert_clean_error(result, 1, "local directory", str(a_file), "Not a directory",
                              "$DASK_TEMPORARY_DIRECTORY")
    assert "RuntimeError" not in line
    assert sandbox.untouched()


# -- dask durations in the environment ---------------------------------------------------


@pytest.mark.parametrize("value", ["abc", "10 sec"])
def test_a_dask_timeout_dask_cannot_read_is_refused_before_the_cluster(
        sandbox: Sandbox, value: str) -> None:
    """``export DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT='10 sec'`` (a timeout for a slow
    network, written as said): the local cluster failed to start with "KeyError:
    'Invalid time unit: sec. Valid units are: s, ms, us, ... NANOSECONDS'" (fifty units),
    exit 1, beside every dask file of the machine. Now it is refused before anything
    starts, exit 2, naming the variable, dask's key, its default and how to write one."""
    from .conftest import run_prospect

    name = "DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT"
    result = run_prospect("run", sandbox.job_path, "-o", sandbox.out, "--workers", "1",
                          env={name: value}, timeout=120)
    line = assert_clean_error(result, 2, f"${name}={value!r}",
                              "distributed.comm.timeouts.connect", "default 30s", "30s, 500ms")
    assert "Valid units" not in line
    assert not sandbox.out.exists()
    assert sandbox.untouched()


def test_a_dask_timeout_in_a_dask_config_file_names_the_key_and_file(
        sandbox: Sandbox, tmp_path: Any) -> None:
    """The same timeout written in a dask config file (``DASK_CONFIG`` or
    ``~/.config/dask/*.yaml``: ``connect: 10 sec``): "KeyError: 'Invalid time unit: sec.
    Valid units are: ...'". Now dask's key, the value and the file are named, before the
    cluster starts."""
    from .conftest import run_prospect

    folder = tmp_path / "dask-settings"
    folder.mkdir()
    settings = folder / "timeouts.yaml"
    settings.write_text("distributed:\n  comm:\n    timeouts:\n      connect: 10 sec\n")
    result = run_prospect("run", sandbox.job_path, "-o", sandbox.out, "--workers", "1",
                          env={"DASK_CONFIG": str(folder)}, timeout=120)
    line = assert_clean_error(result, 1, "cannot read the duration",
                              "distributed.comm.timeouts.connect: '10 sec'", str(settings))
    assert "Valid units" not in line
    assert sandbox.untouched()


def test_a_dask_interval_dask_cannot_read_is_refused_in_process(
        sandbox: Sandbox, cli: Any, monkeypatch: pytest.MonkeyPatch, scheduler: str) -> None:
    """The same check for any duration dask defines (``work-stealing-interval``, ``1
    min``), also for a job on a running cluster (``--scheduler``): refused before the
    client connects."""
    name = "DASK_DISTRIBUTED__SCHEDULER__WORK_STEALING_INTERVAL"
    monkeypatch.setenv(name, "1 min")
    result = cli("run", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert_clean_error(result, 2, f"${name}='1 min'", "work_stealing_interval")
    assert not sandbox.out.exists()


@pytest.mark.parametrize("value", ["60", "2.5", "45s", "500ms", "5m", "1h"])
def test_control_dask_durations_dask_reads_pass(
        sandbox: Sandbox, cli: Any, monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    """Control: durations dask reads (seconds alone, or with a unit) and variables that
    are no duration (a memory setting, a scheme) pass the check."""
    monkeypatch.setenv("DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT", value)
    monkeypatch.setenv("DASK_DISTRIBUTED__COMM__DEFAULT_SCHEME", "tcp")
    monkeypatch.setenv("DASK_DISTRIBUTED__NANNY__PRE_SPAWN_ENVIRON__MALLOC_TRIM_THRESHOLD_",
                       "67108864")
    result = cli("plan", sandbox.job_path)
    assert result.code == 0, result.err[-2000:]
    assert not result.error_lines


def test_control_standard_output_on_a_full_disk_is_said_as_before(sandbox: Sandbox) -> None:
    """Control: ``prospect regions >/dev/full`` is still said as standard output's (round
    22's line), on standard error."""
    env = {k: v for k, v in os.environ.items() if k != "PROSPECT_DEBUG"}
    with open("/dev/full", "w") as full:
        proc = subprocess.run([*PROSPECT, "regions"], stdout=full, stderr=subprocess.PIPE,
                              text=True, timeout=120, cwd=REPO, env=env)
    result = Outcome(proc.returncode, "", proc.stderr)
    assert_clean_error(result, 74, "standard output could not be written")




# -- YAML aliases whose anchor YAML had not met --------------------------------------------

_REGION_LINES = ("  crs: EPSG:32619\n  resolution: 10.0\n"
                 "  bounds: [500000.0, 1350000.0, 500400.0, 1350400.0]\n  chunks: [20, 20]\n")
_SOURCES = "sources:\n- {kind: raster, name: heat, path: heat.tif, units: '1'}\n"


def test_an_alias_to_an_anchor_in_another_file_says_anchors_stay_in_their_file(
        sandbox: Sandbox, cli: Any) -> None:
    """``region: {<<: *site, name: tiny}`` with ``x-site: &site`` written in a shared
    ``common.yaml`` (as a docker-compose user splits a file): "not valid YAML at line 3,
    column 7: found undefined alias 'site'", which said neither that anchors do not reach
    across files nor where to define one."""
    (sandbox.root / "common.yaml").write_text("x-site: &site\n" + _REGION_LINES)
    sandbox.write_job("name: tiny\nregion:\n  <<: *site\n  name: tiny\n" + _SOURCES)
    line = assert_clean_error(cli("plan", sandbox.job_path), 2, "job.yaml", "line 3",
                              "undefined alias 'site'", "do not reach across files",
                              "&site", "'x-' key")
    assert "comes later" not in line
    assert sandbox.untouched()


def test_an_alias_before_its_anchor_names_the_anchors_line(sandbox: Sandbox, cli: Any
                                                          ) -> None:
    """The anchor written below its first use (``x-site: &site`` at the file's end, where
    a user appended the shared values): now "its anchor &site comes later, at line 7: an
    anchor must come before its aliases"."""
    sandbox.write_job("name: tiny\nregion:\n  <<: *site\n  name: tiny\n" + _SOURCES
                      + "x-site: &site\n" + _REGION_LINES)
    assert_clean_error(cli("plan", sandbox.job_path), 2, "job.yaml", "undefined alias 'site'",
                       "comes later, at line 7", "before its aliases")
    assert sandbox.untouched()


def test_an_alias_of_a_misspelt_anchor_names_the_anchor_meant(sandbox: Sandbox, cli: Any
                                                             ) -> None:
    """``x-site: &stie`` and ``<<: *site``: now "did you mean &stie"."""
    sandbox.write_job("x-site: &stie\n" + _REGION_LINES
                      + "name: tiny\nregion:\n  <<: *site\n  name: tiny\n" + _SOURCES)
    assert_clean_error(cli("plan", sandbox.job_path), 2, "job.yaml", "undefined alias 'site'",
                       "did you mean &stie")
    assert sandbox.untouched()


def test_control_an_anchor_before_its_alias_is_read(sandbox: Sandbox, cli: Any) -> None:
    """Control: the anchor written first, under a top-level ``x-`` key, is read as
    before."""
    sandbox.write_job("x-site: &site\n" + _REGION_LINES
                      + "name: tiny\nregion:\n  <<: *site\n  name: tiny\n" + _SOURCES)
    result = cli("plan", sandbox.job_path)
    assert result.code == 0, result.err[-2000:]


# -- an index coefficient given once for several indices --------------------------------------

def _indices_job(sandbox: Sandbox, indices: dict[str, Any]) -> None:
    """The tiny job with a SYNTHETIC near-infrared, red and blue band and ``indices``."""
    import numpy as np

    from .conftest import write_tiny_raster

    rng = np.random.default_rng(7)
    for name in ("nir", "red", "blue"):
        write_tiny_raster(sandbox.root / f"{name}.tif",
                          values=(0.05 + 0.4 * rng.random((40, 40))).astype("float32"))
    sources = [{"kind": "raster", "name": n, "path": f"{n}.tif", "units": "1"}
               for n in ("nir", "red", "blue")]
    sandbox.write_job(sources=sources, indices={"sensor": "sentinel2", **indices,
                                                "bands": {"N": "nir", "R": "red", "B": "blue"}})


def test_a_coefficient_given_once_for_savi_and_evi_is_refused_at_load(
        sandbox: Sandbox, cli: Any) -> None:
    """``names: [SAVI, EVI], constants: {L: 0.5}`` (SAVI's customary soil line): the value
    was taken by EVI too, whose formula defines L = 1, so the job wrote an "EVI" of
    another formula, exit 0, without a word. Now refused when the job loads, naming both
    indices and the key under the index that keeps it SAVI's alone."""
    _indices_job(sandbox, {"names": ["SAVI", "EVI"], "constants": {"L": 0.5}})
    line = assert_clean_error(cli("plan", sandbox.job_path), 2, "job.yaml",
                              "indices.constants.L", "(SAVI, EVI)", "{SAVI: {L: 0.5}}")
    assert "EVI" in line.split("{SAVI: {L: 0.5}}")[1]
    assert sandbox.untouched()


@pytest.mark.parametrize("constants", [
    {"SAVI": {"L": 0.5}},                    # under the index meant
    {"L": 1.0},                              # the catalogue's own value: changes nothing
    {"SAVI": {"L": 0.5}, "EVI": {"L": 0.5}},  # both, said for each
], ids=["under-savi", "catalogue-value", "each-named"])
def test_control_a_coefficient_under_its_index_or_at_its_value_loads(
        sandbox: Sandbox, cli: Any, constants: dict[str, Any]) -> None:
    """Control: the same coefficient under each index's name, or given once at the
    catalogue's value, loads as before."""
    _indices_job(sandbox, {"names": ["SAVI", "EVI"], "constants": constants})
    result = cli("plan", sandbox.job_path)
    assert result.code == 0, result.err[-2000:]


def test_control_a_coefficient_only_one_index_reads_loads(sandbox: Sandbox, cli: Any) -> None:
    """Control: ``names: [SAVI, NDVI], constants: {L: 0.5}``: only SAVI reads L, so the
    value written once is SAVI's alone (as documented)."""
    _indices_job(sandbox, {"names": ["SAVI", "NDVI"], "constants": {"L": 0.5}})
    result = cli("plan", sandbox.job_path)
    assert result.code == 0, result.err[-2000:]


# -- an output folder on one of the kernel's own file systems --------------------------------

@pytest.mark.parametrize("out", ["/proc/prospect-run1", "/sys/prospect-run1",
                                 "/dev/prospect-runs/a"], ids=["proc", "sysfs", "devtmpfs"])
def test_an_output_folder_on_a_kernel_file_system_is_refused(
        sandbox: Sandbox, cli: Any, out: str) -> None:
    """``-o /proc/run1`` was "error: /proc/run1: No such file or directory", exit 74, as a
    disk's error; ``-o /dev/runs/a`` (a device's name typed for its disk's folder) ran the
    job as root into ``/dev``, a file system in memory, exit 0, every output lost at the
    next restart. Now a usage error naming the file system, exit 2, before anything is
    made."""
    if not Path("/proc/self/mountinfo").exists():
        pytest.skip("no /proc/self/mountinfo here")
    top = out.split("/")[1]
    if not os.path.ismount(f"/{top}"):
        pytest.skip(f"/{top} is no mount here")
    result = cli("ingest", sandbox.job_path, "-o", out, "--workers", "1")
    try:
        assert result.code == 2, (result.out + result.err)[-3000:]
        text = " ".join(result.err.split())
        assert out in text and f"/{top} is " in text and "not a disk" in text, text
        assert "Traceback" not in text and "internal error" not in text
        assert not Path(out).exists()
    finally:
        if top == "dev":  # the run made it there before
            import shutil

            shutil.rmtree("/dev/prospect-runs", ignore_errors=True)
    assert sandbox.untouched()


def test_control_an_output_folder_in_dev_shm_is_an_output(
        sandbox: Sandbox, cli: Any) -> None:
    """Control: ``/dev/shm`` (a tmpfs of its own, used for fast scratch outputs) is not
    ``/dev``'s devtmpfs: the check lets it through (planned, nothing written)."""
    if not os.path.isdir("/dev/shm"):
        pytest.skip("no /dev/shm here")
    result = cli("plan", sandbox.job_path, "-o", "/dev/shm/prospect-r35-control")
    assert result.code == 0, result.err[-2000:]
    assert not Path("/dev/shm/prospect-r35-control").exists()
