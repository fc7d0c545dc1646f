"""Fault round 31: folders whose names hold square brackets (``docs/robustness.md``,
"Round 31: faults").

The real ``prospect`` command in this process, on a tiny SYNTHETIC job in a folder a user
named as people do (``survey [old]``, ``out[bold]``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from .conftest import Sandbox, assert_clean_error, run_in_process, write_tiny_raster

WIDE = "400"
"""A console wide enough that no path in a summary is wrapped (``COLUMNS``)."""


@pytest.fixture(scope="module")
def bracketed(tmp_path_factory: pytest.TempPathFactory, scheduler: str) -> tuple[Sandbox, Any]:
    """The tiny job in ``survey [old]/``, its ingest run once into ``out[bold]/``."""
    mp = pytest.MonkeyPatch()
    mp.setenv("COLUMNS", WIDE)
    mp.delenv("PROSPECT_DEBUG", raising=False)
    try:
        box = Sandbox(tmp_path_factory.mktemp("r31") / "survey [old]")
        box.out = box.root / "out[bold]"
        result = run_in_process("run", box.job_path, "-o", box.out, "--scheduler", scheduler)
    finally:
        mp.undo()
    assert result.code == 0, result.err[-3000:]
    return box, result


# -- 1. folders named with square brackets ----------------------------------------------------


def test_the_summary_names_the_cube_where_it_is(bracketed: tuple[Sandbox, Any]) -> None:
    """A job in ``survey [old]/`` run into ``out[bold]/``: the run's summary said "cube:
    .../survey /out/cube.zarr" (Rich read ``[old]`` and ``[bold]`` as its markup and took
    them out), a folder that does not exist, exit 0. Now the path is printed as it is."""
    box, result = bracketed
    assert f"cube: {box.out / 'cube.zarr'}" in result.err, result.err[-3000:]


def test_a_rerun_names_the_changed_input_where_it_is(
    tmp_path: Path, cli: Any, scheduler: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The input changed since the run: "running again: input heat:heat.tif (.../survey
    /heat.tif) changed" named a file that is not there. Now the file where it is."""
    monkeypatch.setenv("COLUMNS", WIDE)
    box = Sandbox(tmp_path / "survey [v2]")
    out = box.root / "out[bold]"
    assert cli("run", box.job_path, "-o", out, "--scheduler", scheduler).code == 0
    write_tiny_raster(box.root / "heat.tif", values=np.full((40, 40), 2.0, dtype="float32"))
    result = cli("run", box.job_path, "-o", out, "--scheduler", scheduler)
    assert result.code == 0, result.err[-3000:]
    assert f"running again: input heat:heat.tif ({box.root / 'heat.tif'}) changed" in (
        result.err
    ), result.err[-3000:]


# -- 2. a folder's name in another Unicode form ------------------------------------------------

NFC, NFD = "caf\u00e9", "cafe\u0301"
"""The same name as Linux tools type it (NFC) and as macOS writes it (NFD)."""


@pytest.fixture()
def from_a_mac(sandbox: Sandbox) -> Sandbox:
    """The tiny job beside an output folder and a config named in NFD (copied from a Mac):
    ``out-café/`` holding a finished run's manifest, and ``job-café.yaml``."""
    mac_out = sandbox.root / f"out-{NFD}"
    mac_out.mkdir()
    (mac_out / "manifest.json").write_text('{"job": "tiny"}')
    (sandbox.root / f"job-{NFD}.yaml").write_bytes(sandbox.job_path.read_bytes())
    return sandbox


@pytest.mark.parametrize("command", ["run", "plan"])
def test_an_output_folder_typed_in_another_unicode_form_is_refused(
    from_a_mac: Sandbox, cli: Any, scheduler: str, command: str
) -> None:
    """``-o out-café`` typed on Linux (NFC) beside ``out-café/`` copied from a Mac (NFD): the
    run made a second folder that ``ls`` shows under the same name and ran the whole job
    again in it, exit 0 (its finished work, in the other, was not found). Now refused before
    anything is made, naming the folder there and both forms, exit 2."""
    box = from_a_mac
    engine = ("--scheduler", scheduler) if command == "run" else ()
    result = cli(command, box.job_path, "-o", box.root / f"out-{NFC}", *engine)
    assert result.code == 2, result.err[-3000:]
    text = " ".join(result.err.split())
    assert "another Unicode form" in text and f"'out-{NFD}'" in text, text
    assert "copy it from 'ls'" in text, text
    assert sorted(p.name for p in box.root.iterdir() if p.name.startswith("out-")) == [f"out-{NFD}"]


def test_a_config_typed_in_another_unicode_form_names_the_one_there(
    from_a_mac: Sandbox, cli: Any
) -> None:
    """``prospect plan job-café.yaml`` (NFC) of ``job-café.yaml`` copied from a Mac (NFD):
    "config file not found" beside a listing that shows it. Now the name there and both
    forms."""
    result = cli("plan", from_a_mac.root / f"job-{NFC}.yaml")
    assert result.code == 2, result.err[-3000:]
    text = " ".join(result.err.split())
    assert "config file not found" in text and "another Unicode form" in text, text


def test_an_output_folder_in_its_own_unicode_form_still_plans(
    from_a_mac: Sandbox, cli: Any
) -> None:
    """Control: ``-o`` as the folder holds it (NFD), and a new folder whose name no other
    folder there holds in another form (NFC), plan as before."""
    for out in (f"out-{NFD}", f"new-{NFC}"):
        result = cli("plan", from_a_mac.job_path, "-o", from_a_mac.root / out)
        assert result.code == 0, result.err[-3000:]


# -- 3. workers that do not see the output folder ------------------------------------------


@pytest.fixture()
def blind_worker(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A dask scheduler and one worker that sees another disk at ``tmp_path/shared``: a
    mount namespace of its own with a tmpfs there, as a node that mounts the shared disk
    elsewhere, or a container without its volume, sees it. Yields the scheduler's address
    and the folder."""
    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.skip("no unshare command")
    shared = tmp_path / "shared"
    shared.mkdir()
    info = tmp_path / "scheduler.json"
    bin_dir = Path(sys.executable).parent
    scheduler = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "distributed.cli.dask_scheduler",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--no-dashboard",
            "--scheduler-file",
            str(info),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=tmp_path,
    )
    worker = None
    try:
        deadline = time.monotonic() + 60
        while not info.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        address = json.loads(info.read_text())["address"]
        worker = subprocess.Popen(
            [
                unshare,
                "-m",
                "sh",
                "-c",
                'mount -t tmpfs tmpfs "$1" && exec "$2" -m '
                'distributed.cli.dask_worker "$3" --no-nanny --nthreads 1 --no-dashboard',
                "sh",
                str(shared),
                sys.executable,
                address,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            cwd=tmp_path,
            env={**os.environ, "PATH": f"{bin_dir}:{os.environ.get('PATH', '')}"},
        )
        from distributed import Client

        with Client(address, timeout=30) as client:
            while not client.scheduler_info()["workers"]:
                if worker.poll() is not None:
                    pytest.skip(f"no worker in a mount namespace: {worker.stderr.read()!r}")
                if time.monotonic() > deadline:
                    pytest.skip("the worker did not start")
                time.sleep(0.2)
        yield address, shared
    finally:
        for proc in (worker, scheduler):
            if proc is not None:
                proc.terminate()
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()


def test_workers_that_do_not_see_the_output_folder_are_said(
    blind_worker: tuple[str, Path], cli: Any
) -> None:
    """``prospect run JOB -o OUT --scheduler ADDR`` where the workers see another disk at
    ``OUT`` (the shared disk mounted elsewhere on the nodes, a pod without the volume):
    the workers wrote the cube's chunks to their own disk, and ingest ended as "internal
    error: Exception: ArrayNotFoundError('No array found in store ...')", exit 70, a bug
    to report. Now refused before any stage, naming the folder, the workers and the fix,
    exit 2; nothing is left in ``OUT``."""
    address, shared = blind_worker
    box = Sandbox(shared.parent / "box")
    out = shared / "out"
    result = cli("run", box.job_path, "-o", out, "--scheduler", address)
    line = assert_clean_error(result, 2, str(out), "do not see this folder", address)
    assert "a disk the workers share" in line
    assert not out.exists()
    assert box.untouched()


# -- 4. another job's output folder inside this one -------------------------------------------


def test_a_job_leaves_alone_the_files_of_a_job_at_work_inside_its_folder(
    sandbox: Sandbox, cli: Any, scheduler: str
) -> None:
    """``prospect run A -o out`` while job B runs with ``-o out/b`` (a test run kept inside
    the main run's folder): A's start swept B's staging folders and temporary files as
    leftovers of a killed run, while B wrote them, and B's publish failed on a file no
    longer there. Now a folder holding another job's lock file is not swept; A's own
    leftovers still are (control)."""
    from pipelines.lock import output_lock

    inner = sandbox.out / "b"
    staging = inner / ".cube.zarr.staging-0123abcd"
    own = sandbox.out / ".manifest.json.tmp-89abcdef"
    inner.mkdir(parents=True)
    with output_lock(inner) as writable:
        assert writable
        (staging / "heat").mkdir(parents=True)
        (staging / "heat" / "zarr.json").write_text("{}")
        (inner / ".manifest.json.tmp-0123abcd").write_text("{}")
        own.write_text("{}")
        result = cli("run", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
        assert result.code == 0, result.err[-3000:]
        assert (staging / "heat" / "zarr.json").is_file()
        assert (inner / ".manifest.json.tmp-0123abcd").is_file()
        assert not own.exists()
