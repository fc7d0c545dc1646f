"""Fault round 22: names too long once staged, an output directory too deep for the paths
below it, a temporary folder removed under a running job, a second batch scheduler on one
machine, another job's scheduler file, and the signals a job relies on kept through the
libraries it loads mid-run (``docs/robustness.md``, "Round 22").

Real processes and files throughout: the ``prospect`` CLI in this process on the session's
dask cluster, a real dask-jobqueue scheduler, the real batch script under bash.

All rasters and tables here are small and SYNTHETIC.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import pytest

from .conftest import REPO, Sandbox, assert_clean_error

# -- 1. a name that fits the file system, but not once a hidden working name is made of it --


_LONG_INDEX = "I" * 240
_TOO_LONG = {
    "cube": ({"outputs": {"cube": "c" * 246 + ".zarr"}}, "outputs.cube", "251 bytes"),
    "custom index": ({"indices": {"sensor": "sentinel2", "custom": {_LONG_INDEX: "N * 2"},
                                  "bands": {"N": "heat"}}},
                     f"indices.custom[{_LONG_INDEX!r}]", "240 bytes"),
}


@pytest.mark.parametrize("case", list(_TOO_LONG))
def test_an_output_name_too_long_once_staged_is_refused_before_anything(
        sandbox: Sandbox, cli, scheduler: str, case: str) -> None:
    """A cube named with 251 characters fits a file system's 255, but its staging folder
    (``.<cube>.staging-<8 hex>``) does not: the job started and ended "File name too
    long" naming the cube (exit 74), no word of the limit or by how much; an index of
    240 ran ingest first, then failed the same way. Refused now before anything is
    written, naming the key, its length and the most it may be."""
    changes, key, size = _TOO_LONG[case]
    sandbox.write_job(**changes)
    result = cli("run", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    line = assert_clean_error(result, 2, key.split("[")[0], size, "237 bytes or fewer")
    assert len(line) < 600, line  # the name is shortened in the line
    assert not sandbox.out.exists()
    assert sandbox.untouched()


def test_an_output_directory_too_deep_for_the_paths_below_it_is_one_line(
        sandbox: Sandbox, cli, scheduler: str) -> None:
    """An ``-o`` of 4 000 bytes (``PATH_MAX`` is 4 096): the folder could be made, but the
    cube's staging paths below it could not, and the job printed a Python traceback
    ("OSError: [Errno 36] File name too long" while sweeping leftovers). One line now,
    before anything is made, naming ``-o`` and the limit."""
    deep = sandbox.root.joinpath(*["d" * 250] * 16)
    result = cli("run", sandbox.job_path, "-o", deep, "--scheduler", scheduler)
    assert_clean_error(result, 74, "-o", "4096")
    assert not (sandbox.root / ("d" * 250)).exists()
    assert sandbox.untouched()


def test_a_name_too_long_said_by_the_system_names_the_output_and_its_room() -> None:
    """Where the system itself says ENAMETOOLONG (a name no config check knew of), the
    line names the output (not its hidden working name) and the room a name has."""
    from pipelines.faults import os_error_line

    name = "x" * 240 + ".zarr"
    staged = f"/tmp/out/.{name}.staging-1a2b3c4d/zarr.json"
    line = os_error_line(OSError(errno.ENAMETOOLONG, "File name too long", staged))
    assert line.startswith(f"/tmp/out/{name}/zarr.json: "), line
    assert "245 bytes" in line and "at most 255" in line and "237 bytes or fewer" in line, line
    braces = "/tmp/out/" + "{x}" * 90  # a name is text, never a format string
    assert "{x}" in os_error_line(OSError(errno.ENAMETOOLONG, "File name too long", braces))


def test_two_output_directories_linked_to_one_cube_are_one_job_at_a_time(
        sandbox: Sandbox, cli, scheduler: str, tmp_path: Path) -> None:
    """Two output folders whose cubes link to one folder (an output copied with ``cp -a``
    to start a variant, two configs pointed at one big disk): each job held only its own
    ``-o``, so both ran on one cube, and the second's sweep of leftovers beside the real
    cube removed the first's staging folder while it wrote. The cube itself is locked
    now: the second job is refused at once, naming the link, and nothing of the first's
    is touched."""
    from pipelines.lock import cube_lock
    from prospect.config import load_job, resolve_grid
    from prospect.io.cube import create_cube

    shared = tmp_path / "bigdisk" / "cube.zarr"  # the first job's cube, begun
    shared.parent.mkdir()
    create_cube(shared, resolve_grid(load_job(sandbox.job_path)), attrs={"synthetic": True})
    before = sorted(p.relative_to(shared) for p in shared.rglob("*"))
    first, second = tmp_path / "first", sandbox.out
    for out in (first, second):
        out.mkdir()
        (out / "cube.zarr").symlink_to(shared)
    staging = shared.parent / ".cube.zarr.staging-1a2b3c4d"  # the first job's, in progress
    staging.mkdir()
    with cube_lock(first, first / "cube.zarr"):
        result = cli("run", sandbox.job_path, "-o", second, "--scheduler", scheduler)
    assert_clean_error(result, 75, str(second / "cube.zarr"), str(shared),
                       "one job per cube")
    assert staging.is_dir()
    assert sorted(p.relative_to(shared) for p in shared.rglob("*")) == before
    assert sandbox.untouched()


# -- 2. the cube's metadata needs no temporary folder ------------------------------------


def test_the_temporary_folder_removed_under_a_running_job_does_not_stop_it(
        sandbox: Sandbox, cli, scheduler: str, monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path) -> None:
    """A job's ``TMPDIR`` removed while it runs (a batch system's per-job
    ``/tmp/slurm.<id>``, a cleaner of ``/tmp``), or full: each cube variable's metadata
    was made in a temporary folder there, and ingest ended naming a ``/tmp/tmp...``
    folder as if it were the job's output. The metadata is made in memory now."""
    from prospect.io import cube

    gone = tmp_path / "tmpdir-removed"  # Python keeps the folder it chose once
    monkeypatch.setattr(tempfile, "tempdir", str(gone))
    cube._metadata_template.cache_clear()  # as in a job's first variable
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert result.code == 0, (result.out + result.err)[-3000:]
    assert (sandbox.out / "cube.zarr" / "heat" / "zarr.json").is_file()
    assert not gone.exists()


# -- 3. a second batch scheduler on one machine -----------------------------------------


@pytest.mark.parametrize("kind", ["slurm", "local without a dashboard"])
def test_a_second_scheduler_on_one_machine_says_no_port_warning(kind: str) -> None:
    """Two ``--cluster slurm`` jobs on one login node: the second's scheduler found the
    dashboard's port 8787 taken and distributed printed a four-line ``UserWarning`` with
    its own file and line above the job's output. The link printed with the worker count
    says which port it took; the warning is not shown. An embedded cluster asked for no
    dashboard (a test session's, a benchmark's) took 8787 all the same, and warned."""
    from pipelines.cluster import jobqueue_cluster, local_cluster

    if kind == "slurm":  # dask-jobqueue installs a SIGINT handler (sys.exit) on import:
        from pipelines.faults import signal_handlers_kept  # kept out of the test process

        with signal_handlers_kept():
            pytest.importorskip("dask_jobqueue")

    taken = socket.socket()
    try:
        taken.bind(("", 8787))
        taken.listen()
    except OSError:  # already taken, by another job: the case itself
        pass
    try:
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            cluster = jobqueue_cluster("slurm")[0] if kind == "slurm" else \
                local_cluster(1, dashboard_address=None)
            try:
                link = cluster.dashboard_link
            finally:
                cluster.close()
    finally:
        taken.close()
    assert not [w for w in seen if "already in use" in str(w.message)], \
        [str(w.message) for w in seen]
    assert ":8787/" not in link, link


_AS_NOBODY = """
from pathlib import Path
try:
    Path.home()
    print("has a home")
except RuntimeError:
    from pipelines.cluster import dashboard_link, local_cluster
    cluster = local_cluster(0)  # the scheduler: where bokeh, the dashboard's, is imported
    print("started", dashboard_link(None))
    cluster.close()
"""


def run_as_homeless_user(script: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``script`` run as a user id without an entry in the password database, so without
    a home folder (as root, with the system's Python of this version, which every user
    may run, on this checkout and the virtual environment's packages); skips where that
    cannot be arranged or the user has a home after all (``script`` prints "has a home")."""
    import shutil

    python = Path(f"/usr/bin/python{sys.version_info.major}.{sys.version_info.minor}")
    if os.geteuid() != 0 or shutil.which("setpriv") is None or not python.is_file():
        pytest.skip("needs root, setpriv and the system's Python of this version")
    site = next(p for p in sys.path if p.endswith("site-packages"))
    run = subprocess.run(
        ["setpriv", "--reuid", "54321", "--regid", "54321", "--clear-groups", str(python),
         "-c", script], cwd=cwd, capture_output=True, text=True, timeout=120,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": f"{REPO}{os.pathsep}{site}"})
    if "has a home" in run.stdout or "ModuleNotFoundError" in run.stderr:
        pytest.skip("this user has a home here, or the system's Python cannot load the "
                    "virtual environment's packages")
    return run


def test_a_job_of_a_user_without_a_home_folder_starts_its_cluster(tmp_path: Path) -> None:
    """A container started with an arbitrary user id (OpenShift; ``docker run --user``),
    or a service without ``HOME``: no home folder. bokeh reads ``~/.bokeh`` when the
    scheduler's dashboard imports it, and every job ended "the local dask cluster did not
    start: RuntimeError: Cluster failed to start: Could not determine home directory.;
    check the dask settings". The cluster starts without its dashboard now. Run as a
    user id without an entry in the password database (as root; the system's Python of
    the virtual environment's version runs it, which every user may run)."""
    run = run_as_homeless_user(_AS_NOBODY, tmp_path)
    assert run.returncode == 0 and "started" in run.stdout, run.stderr[-3000:]


# -- 4. another job's scheduler file ---------------------------------------------------


def _scheduler_file_check(script: Path) -> str:
    """The Python the batch script runs to ask whether a scheduler file is a live one."""
    lines = script.read_text().splitlines()
    start = next(i for i, line in enumerate(lines)
                 if line.startswith('if [ -s "$sched_file" ] && python - ')) + 1
    end = next(i for i in range(start, len(lines)) if lines[i] == "EOF")
    return "\n".join(lines[start:end]) + "\n"


def test_a_scheduler_file_of_a_running_job_is_refused_and_a_stale_one_replaced(
        tmp_path: Path) -> None:
    """``PROSPECT_SCHEDULER_FILE`` set once for every job: the second batch job removed
    the first's scheduler file and wrote its own there, so workers joined the wrong
    job's scheduler. A file whose scheduler answers is refused now, in one line, before
    anything starts, and left as it was; a file of a killed job (its scheduler gone) is
    stale, and replaced as before."""
    script = REPO / "cluster" / "prospect-job.sbatch"
    live = socket.socket()
    live.bind(("127.0.0.1", 0))
    live.listen()
    try:
        taken = tmp_path / "scheduler.json"
        text = json.dumps({"address": f"tcp://127.0.0.1:{live.getsockname()[1]}"})
        taken.write_text(text)
        env = {**os.environ, "PROSPECT_VENV": str(Path(sys.executable).parents[1]),
               "PROSPECT_SCHEDULER_FILE": str(taken)}
        for key in [k for k in env if k.startswith("SLURM_")]:
            del env[key]
        run = subprocess.run(["bash", str(script), "job.yaml", str(tmp_path / "out")],
                             cwd=tmp_path, env=env, capture_output=True, text=True,
                             timeout=90)
        assert run.returncode == 1, run.stdout[-2000:] + run.stderr[-2000:]
        (line,) = run.stderr.strip().splitlines()
        assert line.startswith(f"prospect-job: {taken} names a dask scheduler that is "
                               "running"), line
        assert "PROSPECT_SCHEDULER_FILE" in line, line
        assert taken.read_text() == text
        assert not (tmp_path / "out").exists()
        check = _scheduler_file_check(script)
        stale = tmp_path / "stale.json"
        stale.write_text(json.dumps({"address": "tcp://127.0.0.1:1"}))
        for path, answers in ((taken, 0), (stale, 1)):
            asked = subprocess.run([sys.executable, "-", str(path)], input=check,
                                   capture_output=True, text=True, timeout=30)
            assert asked.returncode == answers, (path, asked.stderr)
    finally:
        live.close()


# -- 5. the signals a job relies on, through what it loads ------------------------------


def test_every_signal_handler_a_job_set_stands_after_a_librarys_import() -> None:
    """The lead's fix kept SIGINT, SIGTERM and SIGHUP through dask-jobqueue's import; a
    job relies on others too: SIGURG (a helper thread stops the main thread with it: the
    lost lock, a hung task) and SIGPIPE (the command line stops quietly when its reader
    went away). Any handler the block found stands after it."""
    from pipelines.faults import signal_handlers_kept

    def mine(signum: int, frame: object) -> None:  # pragma: no cover - never sent
        pass

    kept = {signum: signal.getsignal(signum) for signum in (signal.SIGURG, signal.SIGPIPE,
                                                             signal.SIGUSR1)}
    try:
        for signum in kept:
            signal.signal(signum, mine)
        with signal_handlers_kept():
            for signum in kept:
                signal.signal(signum, signal.SIG_DFL)
        assert {signal.Signals(s).name: signal.getsignal(s) is mine for s in kept} == \
            {signal.Signals(s).name: True for s in kept}
    finally:
        for signum, handler in kept.items():
            signal.signal(signum, handler)


def test_a_worker_dying_as_a_one_worker_cluster_starts_asks_for_no_fewer_workers() -> None:
    """``--workers 1`` whose worker died as it started was told to "start fewer workers
    than 1"; with one worker, the line says that is the fewest instead."""
    from pipelines.cluster import _refuse_start
    from prospect.errors import StageError

    cause = RuntimeError("Nanny failed to start worker process")
    with pytest.raises(StageError) as one:
        _refuse_start(cause, [], died=True, n_workers=1)
    with pytest.raises(StageError) as four:
        _refuse_start(cause, [], died=True, n_workers=4)
    assert "fewer workers than" not in str(one.value) and "dmesg" in str(one.value)
    assert "--workers 1, is the fewest" in str(one.value)
    assert "fewer workers than 4 (--workers)" in str(four.value)
