"""Round 33, faults: a batch system's close that hangs, a setting the checks accept that
the engine refused, scheduler addresses in other forms, a worker that joins after the
check of who sees ``-o``, and a stop that waited for ingest's checksums.

The SLURM cases run the real dask-jobqueue ``SLURMCluster`` (its scheduler in this
process) against an ``sbatch`` and ``scancel`` of this test's own in front of the real
ones: the first says it submitted job 4242, the second records its call and, where the
case says so, then hangs as one whose ``slurmctld`` does not answer. No worker job ever
starts. All inputs here are small and SYNTHETIC.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from pipelines.cluster import dask_client
from pipelines.faults import signal_handlers_kept
from prospect.errors import StageError

REPO = Path(__file__).resolve().parents[2]
SHIPPED = REPO / "cluster" / "jobqueue.yaml"


# -- a fake SLURM: sbatch submits job 4242, scancel may hang ------------------------------


@pytest.fixture
def slurm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A folder with ``sbatch`` (prints "Submitted batch job 4242") and ``scancel``
    (records its arguments in ``scancel-calls``; hangs while ``scancel-hangs`` exists, its
    pid in ``scancel-pid``) on ``PATH``; ``PROSPECT_CLUSTER_DIR`` points at it."""
    with signal_handlers_kept():  # its import sets SIGINT to sys.exit() in this process
        pytest.importorskip("dask_jobqueue")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "sbatch").write_text("#!/bin/sh\necho 'Submitted batch job 4242'\n")
    (bin_dir / "scancel").write_text(
        f'#!/bin/sh\necho "$@" >> {tmp_path}/scancel-calls\n'
        f"if [ -e {tmp_path}/scancel-hangs ]; then echo $$ > {tmp_path}/scancel-pid; "
        "exec sleep 60; fi\n"
    )
    for name in ("sbatch", "scancel"):
        (bin_dir / name).chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    monkeypatch.setenv("PROSPECT_CLUSTER_DIR", str(tmp_path))
    try:
        yield tmp_path
    finally:
        pid = tmp_path / "scancel-pid"
        if pid.exists():  # the hung scancel this test started
            with contextlib.suppress(ProcessLookupError, ValueError):
                os.kill(int(pid.read_text()), signal.SIGKILL)


def _settings(folder: Path, **prospect: Any) -> None:
    """The shipped ``jobqueue.yaml`` with one SLURM job and ``prospect.slurm`` changed."""
    data = yaml.safe_load(SHIPPED.read_text())
    data["prospect"]["slurm"].update(jobs=1, **prospect)
    (folder / "jobqueue.yaml").write_text(yaml.safe_dump(data))


WAIT_REFUSED = r"no dask worker joined|worker jobs ended before 1 dask worker\(s\) joined"
"""The wait's refusal: the fake worker job still queued at the wait's bound, or already
ended by the fake SLURM (which of the two depends on the machine's load)."""


def test_a_slurm_close_whose_scancel_hangs_ends_in_its_bound_and_names_the_jobs(
    slurm: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A SLURM cluster's close as the job ends, with an ``scancel`` that does not return
    (``slurmctld`` busy or gone). The close had no bound (``SpecCluster.close(timeout=
    None)``): the job waited as long as ``scancel`` did (here 60 s; for ever on a dead
    controller), past any batch system's grace before SIGKILL. Now it ends after
    ``prospect.slurm.close_timeout_s`` and says which worker job to cancel by hand."""
    _settings(slurm, wait_timeout_s=0.5, close_timeout_s=1)
    (slurm / "scancel-hangs").touch()
    start = time.monotonic()
    with pytest.raises(StageError, match=WAIT_REFUSED), dask_client(cluster="slurm"):
        pass
    took = time.monotonic() - start
    err = capsys.readouterr().err
    assert (slurm / "scancel-calls").read_text().split() == ["4242"]
    assert took < 15, f"the close took {took:.1f} s"
    said = " ".join(err.split())
    assert "did not close within 1 s" in said, err
    assert "scancel 4242" in said and "close_timeout_s" in said, err


def test_wait_for_workers_zero_starts_at_once_and_closes_without_a_word(
    slurm: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``prospect.slurm.wait_for_workers: 0``, which the settings' check accepts (at least
    0: start the stages at once, let them wait for the workers), ended "internal error:
    ValueError: `n_workers` must be a positive integer" (distributed refuses
    ``wait_for_workers(0)``), exit 70. Now the client is handed over at once. Also the
    control of the bound above: an ``scancel`` that returns closes without a warning."""
    _settings(slurm, wait_for_workers=0)
    with dask_client(cluster="slurm") as client:
        assert client.scheduler_info()["workers"] == {}
    err = capsys.readouterr().err
    assert (slurm / "scancel-calls").read_text().split() == ["4242"]
    assert "did not close" not in err and "Traceback" not in err, err


# -- --scheduler addresses of other schemes and forms ---------------------------------------


@pytest.mark.parametrize(
    "address,needles",
    [
        # a trailing slash, as a URL is copied: "invalid literal for int() with base 10: '8786/'"
        ("tcp://127.0.0.1:8786/", ("has no path", "give tcp://127.0.0.1:8786")),
        # the dashboard's page on the scheduler's port, without a scheme
        ("127.0.0.1:8786/status", ("has no path ('/status')", "give tcp://127.0.0.1:8786")),
        # a websocket address without its port: dask's whole 10 s connect timeout
        ("ws://127.0.0.1", ("no host and port",)),
    ],
)
def test_a_scheduler_address_in_another_form_is_refused_at_once(
    sandbox: Any, cli: Any, address: str, needles: tuple[str, ...]
) -> None:
    """``--scheduler`` given a URL's path after the port, or a ``ws://`` address without
    a port: refused at once naming the address and the form to give, exit 2 (was exit 1
    with Python's words, or after 10 s)."""
    start = time.monotonic()
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", address)
    assert time.monotonic() - start < 5
    said = " ".join((result.out + result.err).split())
    assert result.code == 2, said
    assert address in said and "Traceback" not in said, said
    assert all(needle in said for needle in needles), said
    assert not sandbox.out.exists()


@pytest.mark.timeout(60)
def test_a_scheduler_address_where_a_web_server_listens_is_refused_not_waited_on(
    sandbox: Any, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--scheduler tcp://host:8787`` (the dashboard's port) or ``tcp://`` to a scheduler
    started with ``--protocol ws``: a web server takes the connection and waits for a
    request, and distributed's handshake read has no bound, so the job waited for ever
    without a word (its "10 s" timeout bounds only the connection). Now a server that
    says nothing within the handshake wait (5 s; 1 s here) is refused in one line, exit
    1, with where a scheduler listens."""
    import http.server

    import pipelines.cluster as cl

    monkeypatch.setattr(cl, "HANDSHAKE_WAIT", 1.0, raising=False)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        address = f"tcp://127.0.0.1:{server.server_address[1]}"
        start = time.monotonic()
        result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", address)
        took = time.monotonic() - start
    finally:
        server.shutdown()
        server.server_close()
    from .conftest import assert_clean_error

    assert_clean_error(result, 1, address, "says nothing there", "8786")
    assert took < 10, f"refused after {took:.1f} s"
    assert not sandbox.out.exists()


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_websocket_scheduler_address_nothing_listens_on_is_refused_after_the_grace(
    cli: Any, sandbox: Any
) -> None:
    """``--scheduler ws://127.0.0.1:PORT`` where nothing listens (a typo in the port, a
    scheduler that has ended): round 32's loopback check read ``tcp://`` alone, so a
    websocket address waited out dask's whole 10 s connect timeout. Now it is refused
    after the 2 s loopback grace, as a ``tcp://`` one is, exit 1."""
    from .conftest import assert_clean_error

    address = f"ws://127.0.0.1:{_free_port()}"
    start = time.monotonic()
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", address)
    took = time.monotonic() - start
    assert_clean_error(result, 1, address, "nothing listens on port")
    assert took < 8, f"refused after {took:.1f} s"


def test_a_websocket_scheduler_that_listens_is_used_control() -> None:
    """Control: a ``ws://`` scheduler that listens on this machine is connected to."""
    from distributed import LocalCluster

    with LocalCluster(
        protocol="ws://", processes=False, n_workers=0, host="127.0.0.1", dashboard_address=None
    ) as local:
        address = local.scheduler_address
        assert address.startswith("ws://")
        with dask_client(scheduler=address) as client:
            assert client.scheduler.address == address


# -- a worker that joins after the check of who sees -o -------------------------------------


def _worker(address: str, *, blind: Path | None) -> subprocess.Popen[str]:
    """A ``dask worker`` process of this checkout joining ``address``; with ``blind``, in a
    mount namespace of its own with a tmpfs over that folder (a node that mounts the
    shared disk elsewhere, or a pod without the volume)."""
    worker = [
        sys.executable,
        "-m",
        "distributed.cli.dask_worker",
        address,
        "--no-nanny",
        "--nthreads",
        "1",
        "--no-dashboard",
    ]
    if blind is not None:
        worker = [
            shutil.which("unshare") or "unshare",
            "-m",
            "sh",
            "-c",
            'mount -t tmpfs tmpfs "$1" && shift && exec "$@"',
            "sh",
            str(blind),
            *worker,
        ]
    return subprocess.Popen(
        worker,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )


def test_a_worker_joining_later_that_does_not_see_the_output_folder_leaves(
    tmp_path: Path,
) -> None:
    """A worker that joins after the job checked who sees ``-o`` (adaptive scale-up, a
    SLURM worker job that starts late, a node whose shared disk is mounted elsewhere) was
    not asked: it took the stage's tasks and wrote where the job could not read. Now the
    job's lock plugin asks it as it joins, and it leaves the cluster at once with one
    line in its log; a worker joining later that sees the folder (the control, beside
    it) stays and runs tasks."""
    if shutil.which("unshare") is None:
        pytest.skip("no unshare command")
    from distributed import Client, LocalCluster

    from pipelines.lock import lock_on_workers, output_lock

    shared = tmp_path / "shared"
    out = shared / "out"
    out.mkdir(parents=True)
    with (
        output_lock(out),
        LocalCluster(
            n_workers=0,
            processes=False,
            protocol="tcp://",
            host="127.0.0.1",
            dashboard_address=None,
        ) as local,
        Client(local) as client,
        lock_on_workers(client, out),
    ):
        blind = _worker(local.scheduler_address, blind=shared)
        seeing = _worker(local.scheduler_address, blind=None)
        try:
            try:
                blind.wait(timeout=30)
            except subprocess.TimeoutExpired:
                pytest.fail("the worker that does not see -o stayed in the cluster")
            log = " ".join(blind.communicate()[1].split())
            if "mount" in log and "Operation not permitted" in log:
                pytest.skip(f"no mount namespace here: {log[-300:]}")
            assert "does not see the job's output folder" in log, log[-2000:]
            client.wait_for_workers(1, timeout=30)
            assert client.submit(os.getpid, pure=False).result(timeout=30) > 0
            assert seeing.poll() is None
            assert len(client.scheduler_info()["workers"]) == 1
        finally:
            for proc in (blind, seeing):
                if proc.poll() is None:
                    proc.terminate()
                    with contextlib.suppress(subprocess.TimeoutExpired):
                        proc.wait(timeout=15)


# -- a stop while ingest reads its inputs' checksums ------------------------------------------


def test_a_stop_in_ingest_does_not_wait_for_its_inputs_checksums(
    tmp_path: Path, cli: Any, scheduler: str
) -> None:
    """SIGTERM (a batch system's grace beginning) as ingest starts, over an input of 16
    GiB (a season of scenes reads as much): ingest reads its inputs' SHA-256 in a helper
    thread while the cluster computes, and its unwinding waited for that thread to read
    every input whole (7 s for 1 GiB, 45 s for 8 GiB on this loaded machine) before it
    said "stopped by SIGTERM", past a grace before SIGKILL. Now the checksum ends at its
    next block and the job within a few seconds (3.6 s here, the client's close and the
    manifest), exit 143, resumable."""
    from .conftest import TINY_REGION, write_tiny_raster

    heat = write_tiny_raster(tmp_path / "heat.tif")
    os.truncate(heat, 16 << 30)  # the GeoTIFF as it was, then 16 GiB of holes GDAL never reads
    job = tmp_path / "job.yaml"
    job.write_text(
        yaml.safe_dump(
            {
                "name": "tiny",
                "synthetic": True,
                "description": "SYNTHETIC robustness case",
                "region": dict(TINY_REGION),
                "sources": [{"kind": "raster", "name": "heat", "path": "heat.tif", "units": "1"}],
            }
        )
    )
    main = threading.get_ident()
    sent: list[float] = []

    def stop_while_hashing() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if any(t.name.startswith("ingest-side") for t in threading.enumerate()):
                time.sleep(0.2)
                sent.append(time.monotonic())
                signal.pthread_kill(main, signal.SIGTERM)
                return
            time.sleep(0.01)

    stopper = threading.Thread(target=stop_while_hashing)
    stopper.start()
    try:
        result = cli("ingest", job, "-o", tmp_path / "out", "--scheduler", scheduler)
    finally:
        stopper.join()
    ended = time.monotonic()
    assert sent, "ingest never began reading its inputs' checksums"
    assert result.code == 143, result.err[-2000:]
    assert "stopped by SIGTERM" in result.err
    assert ended - sent[0] < 8, f"ended {ended - sent[0]:.1f} s after the stop: {result.err}"
