"""Fault round 30: a plan of a folder another job is writing, an input stamped by a file
system whose clock runs ahead, and a job resumed under another release
(``docs/robustness.md``, "Round 30: faults").

The real ``prospect`` command in this process, on a real lock (``flock``, as a running
job holds it), a real ext4 file system on a loop device whose file carries a change
time ahead of this machine's clock (as an NFS or SMB server whose clock runs ahead
stamps it), and a real manifest as an earlier release wrote it. The rasters are tiny and
SYNTHETIC.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import Sandbox, assert_clean_error, mount_image, run_in_process, unmount_image


def _manifest(out: Path) -> dict[str, Any]:
    return json.loads((out / "manifest.json").read_text())


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory, scheduler: str) -> Sandbox:
    """The tiny job's ingest run once into ``out`` (tests work on copies: :func:`copy`)."""
    box = Sandbox(tmp_path_factory.mktemp("ran") / "box")
    result = run_in_process("ingest", box.job_path, "-o", box.out, "--scheduler", scheduler)
    assert result.code == 0, result.err[-3000:]
    return box


def _copy(ran: Sandbox, tmp_path: Path) -> Path:
    """A copy of the finished output folder (mtimes kept), beside the same config."""
    out = tmp_path / "out"
    shutil.copytree(ran.out, out, symlinks=True)
    return out


# -- 1. a plan of a folder another job is writing --------------------------------------------


@pytest.fixture()
def held(ran: Sandbox, tmp_path: Path) -> Iterator[Path]:
    """A copy of the finished folder whose lock a job holds now (``flock``, with its
    heartbeat record, as ``prospect run`` holds it)."""
    from pipelines.lock import output_lock

    out = _copy(ran, tmp_path)
    with output_lock(out) as writable:
        assert writable
        yield out


@pytest.mark.parametrize("strict", [False, True], ids=["plan", "strict"])
def test_a_plan_of_a_folder_another_job_is_writing_says_so(
    ran: Sandbox, held: Path, cli: Any, strict: bool
) -> None:
    """``prospect plan JOB -o OUT`` while a job runs in ``OUT``: the plan said nothing of it
    (exit 0, ``--strict`` too) and counted from the folder as that job leaves it; the run
    a batch script then started was refused, exit 75. Now a warning names the job at work
    there (read without taking the lock, which would refuse a run starting in that
    instant) and says a run now is refused; ``--strict`` exits 75, as the run would."""
    args = ("plan", ran.job_path, "-o", held, *(("--strict",) if strict else ()))
    result = cli(*args)
    holder = f"in use by Prospect job pid {os.getpid()} on {platform.node()}"
    if strict:
        line = assert_clean_error(result, 75, str(held), holder, "plan --strict")
        assert "another -o" in line
    else:
        assert result.code == 0, result.err[-3000:]
    warned = [line for line in result.err.splitlines() if line.startswith("warning:")]
    assert any(holder in w and "a run of this job there now is refused" in w for w in warned), (
        result.err[-3000:]
    )
    assert "plan of job tiny" in result.out  # the plan itself is printed first


def _record(out: Path, **info: Any) -> None:
    """Write a lock record at ``out`` as a job leaves it, holding no lock."""
    (out / ".prospect.lock").write_text(
        json.dumps(
            {
                "pid": 4242,
                "host": platform.node(),
                "started": "2026-12-05T00:00:00+00:00",
                "token": "0" * 32,
                "beat": 3,
                **info,
            }
        )
    )


def test_a_plan_of_a_folder_a_job_on_another_host_is_writing_says_so(
    ran: Sandbox, tmp_path: Path, cli: Any
) -> None:
    """The same on a network file system that does not share ``flock`` between hosts (NFS
    with ``local_lock``, Lustre with ``localflock``): the job on another node holds no
    lock this host sees, but rewrites its record as it runs. A record of another host
    rewritten a moment ago, not released, is that job at work."""
    out = _copy(ran, tmp_path)
    _record(out, host="node-7")
    result = cli("plan", ran.job_path, "-o", out, "--strict")
    assert_clean_error(result, 75, "in use by Prospect job pid 4242 on node-7", "plan --strict")


@pytest.mark.parametrize(
    "record",
    [
        {"released": "2026-12-05T00:01:00+00:00"},
        {"pid": 2**22 + 7},  # killed here (SIGKILL, the OOM killer): no lock held
        {"host": "node-7", "stale": True},  # killed on another node: no longer rewritten
    ],
    ids=["released", "killed-here", "other-host-stale"],
)
def test_a_plan_of_a_folder_no_job_holds_plans_as_before(
    ran: Sandbox, tmp_path: Path, cli: Any, record: dict[str, Any]
) -> None:
    """Control: a lock record no job stands behind (released at a run's end; left by a
    job killed here, whose ``flock`` the kernel let go; left on another host and not
    rewritten since) is no job at work: the plan says nothing of it, and ``--strict``
    exits 0."""
    out = _copy(ran, tmp_path)
    stale = record.pop("stale", False)
    _record(out, **record)
    if stale:
        old = time.time() - 120
        os.utime(out / ".prospect.lock", (old, old))
    result = cli("plan", ran.job_path, "-o", out, "--strict")
    assert result.code == 0, result.err[-3000:]
    assert "in use by" not in result.err, result.err[-3000:]


# -- 2. an input stamped by a file system whose clock runs ahead -----------------------------


class _ClockAheadDisk:
    """A real ext4 file system on a loop device holding one file whose change time
    (ctime) is ``ahead`` seconds after this machine's clock, as a file server whose clock
    runs ahead stamps a file written just before the run (set with ``debugfs``, as no
    system call sets a ctime)."""

    def __init__(self, root: Path, source: Path, ahead: int) -> None:
        for tool in ("mkfs.ext4", "debugfs", "mount"):
            if shutil.which(tool) is None:
                pytest.skip(f"no {tool}")
        self.image, self.root = root / "nfs.img", root / "nfs"
        self.root.mkdir(parents=True)
        with open(self.image, "wb") as f:
            f.truncate(8 << 20)
        subprocess.run(["mkfs.ext4", "-q", "-F", str(self.image)], check=True)
        if not self._mount():
            pytest.skip("cannot mount a loop device here")
        shutil.copyfile(source, self.root / source.name)
        unmount_image(self.root)
        when = int(time.time()) + ahead
        subprocess.run(
            [
                "debugfs",
                "-w",
                "-R",
                f"set_inode_field /{source.name} ctime @{when}",
                str(self.image),
            ],
            check=True,
            capture_output=True,
        )
        assert self._mount()
        self.file = self.root / source.name
        assert self.file.stat().st_ctime > time.time() + ahead / 2

    def _mount(self) -> bool:
        return mount_image(self.image, self.root)

    def unmount(self) -> None:
        unmount_image(self.root, lazy=True)


def test_an_input_stamped_by_a_clock_ahead_is_not_taken_as_changed(
    sandbox: Sandbox, tmp_path: Path, cli: Any, scheduler: str
) -> None:
    """A source on a file system whose clock runs ten minutes ahead of ``-o``'s (an NFS
    or SMB server's), written a moment before the run: its change time was after the
    stage's start by ``-o``'s clock, and ingest failed "input heat:heat.tif ... changed
    while the stage ran (at 00:23:51 UTC; the stage began at 00:14:01 UTC)" (exit 1), on
    every run until the clocks' difference had passed. The file is now compared with
    itself as the stage began (device, inode, size, mtime, ctime), which needs no clock:
    ingest finishes, and the rerun takes it as finished."""
    disk = _ClockAheadDisk(tmp_path / "server", sandbox.root / "heat.tif", ahead=600)
    try:
        job = sandbox.job()
        job["sources"][0]["path"] = str(disk.file)
        sandbox.write_job(text=json.dumps(job))
        first = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
        assert first.code == 0, first.err[-3000:]
        assert _manifest(sandbox.out)["stages"]["ingest"]["status"] == "done"
        again = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
        assert again.code == 0, again.err[-3000:]
        assert "skipped: finished in run" in again.err, again.err[-3000:]
    finally:
        disk.unmount()


# -- 3. a job resumed under another release ------------------------------------------------


def _as_an_earlier_release_wrote_it(out: Path, prospect: str) -> None:
    """Rewrite ``out``'s manifest as a Prospect ``prospect`` of the same manifest format
    wrote it: its versions at the top level only, each record sealed."""
    from pipelines.manifest import _seal

    path = out / "manifest.json"
    data = json.loads(path.read_text())
    data["versions"]["prospect"] = prospect
    for record in data["stages"].values():
        record.pop("versions", None)
        record["seal"] = _seal({k: v for k, v in record.items() if k != "seal"})
    path.write_text(json.dumps(data, indent=2))


def test_a_job_resumed_under_another_release_says_what_made_its_stages(
    ran: Sandbox, tmp_path: Path, cli: Any, scheduler: str
) -> None:
    """A job whose ingest an earlier release made, run again after an upgrade: the stage
    was kept (config and inputs unchanged) and the manifest's ``versions``, rewritten by
    every run, then named the new release, so the versions that made the kept cube were
    said nowhere. Now each stage's record keeps the versions it was made with (a record
    of an earlier release gets those its manifest names for the run that made it), and
    the skip says which differ from this run's."""
    from prospect.versions import library_versions

    out = _copy(ran, tmp_path)
    _as_an_earlier_release_wrote_it(out, "0.0.9")
    result = cli("ingest", ran.job_path, "-o", out, "--scheduler", scheduler)
    assert result.code == 0, result.err[-3000:]
    now = library_versions()["prospect"]
    assert f"by prospect 0.0.9 (this run: {now})" in " ".join(result.err.split()), result.err[
        -3000:
    ]
    data = _manifest(out)
    assert data["stages"]["ingest"]["versions"]["prospect"] == "0.0.9"
    assert data["versions"]["prospect"] == now
    assert "0.0.9" in data["runs"][-1]["skipped"][0]["reason"]


def test_a_job_resumed_under_the_same_release_says_nothing_of_versions(
    ran: Sandbox, tmp_path: Path, cli: Any, scheduler: str
) -> None:
    """Control: the same release resumed, from a config of the same values edited in its
    comments and key order, skips the stage as before, with no word of versions."""
    out = _copy(ran, tmp_path)
    edited = ran.root / "job-edited.yaml"  # beside the data its relative paths name
    edited.write_text(
        "# edited: comments and key order only\n"
        + json.dumps(dict(reversed(list(ran.job().items()))))
        + "\n# end\n"
    )
    result = cli("ingest", edited, "-o", out, "--scheduler", scheduler)
    assert result.code == 0, result.err[-3000:]
    assert "skipped: finished in run" in result.err, result.err[-3000:]
    assert "(this run:" not in result.err, result.err[-3000:]


# -- 4. a config edited after a stage failed, and files named at another path -------------


def test_a_config_edited_after_a_stage_failed_keeps_the_finished_stages(
    ran: Sandbox, tmp_path: Path, cli: Any, scheduler: str
) -> None:
    """A stage that failed (here ``prospect tiles`` of a layer no stage made: "no ...
    'absent' ...") or was stopped is recorded without a settings hash,
    and one such record made every finished stage count for nothing once the config
    changed at all: the next run said "config changed; earlier stages discarded", dropped
    the manifest's records and its history of runs, and ran each stage again (ingest
    found its variable up to date by its fingerprint; a model is trained and a map
    scored again in full: a tiles stage that failed, its section then edited, retrained
    the model). Now only the finished stages' records decide whether the manifest is
    judged stage by stage, and ingest, whose settings did not change, is kept."""
    out = _copy(ran, tmp_path)
    tiled = ran.root / "job-tiled.yaml"  # round 42: a job without a model or a tiles
    # section is refused by 'prospect tiles' before any stage, so a layer is named here
    tiled.write_text(json.dumps(ran.job(tiles={"layers": [{"variable": "absent"}]})))
    failed = cli("tiles", tiled, "-o", out, "--scheduler", scheduler)
    assert failed.code == 1, failed.err[-3000:]
    assert _manifest(out)["stages"]["tiles"]["status"] == "failed"
    edited = ran.root / "job-described.yaml"  # a description written, nothing else
    edited.write_text(json.dumps(ran.job(description="SYNTHETIC case, described anew")))
    again = cli("ingest", edited, "-o", out, "--scheduler", scheduler)
    assert again.code == 0, again.err[-3000:]
    assert "skipped: finished in run" in again.err, again.err[-3000:]
    runs = _manifest(out)["runs"]
    assert runs[-1]["ran"] == [] and "discarded" not in runs[-1].get("note", ""), runs[-1]
    assert len(runs) == 3, runs  # ingest's run, the failed tiles, this one: history kept


@pytest.mark.parametrize("how", ["moved", "dot-dot"])
def test_the_same_files_named_at_another_path_keep_what_was_made(
    ran: Sandbox, tmp_path: Path, cli: Any, scheduler: str, how: str
) -> None:
    """A config's paths are absolute once loaded: a project folder moved or renamed (its
    config, data and output folder together, ``cp -a`` or ``mv``), or a file written
    ``../box/heat.tif`` where it was ``heat.tif``, made every stage's settings another,
    and the next run made the whole job again from the same files ("running again: its
    settings changed (sources)", 4 chunks computed). Now a path that names the same file
    (one real path) or a file of the checksum its record gives it is taken as that file:
    the stage is kept, a note names the path it was and is, and the records name it
    where it is now (the run after says nothing)."""
    if how == "moved":
        box = tmp_path / "moved"
        shutil.copytree(ran.root, box, symlinks=True)
        config, out = box / "job.yaml", box / "out"
    else:
        out = _copy(ran, tmp_path)
        job = ran.job()
        job["sources"][0]["path"] = f"../{ran.root.name}/heat.tif"
        config = ran.root / "job-dotdot.yaml"
        config.write_text(json.dumps(job))
    again = cli("ingest", config, "-o", out, "--scheduler", scheduler)
    assert again.code == 0, again.err[-3000:]
    assert "skipped: finished in run" in again.err, again.err[-3000:]
    assert "ingest.chunks_computed" in again.err  # the kept stage's figures
    if how == "moved":
        said = " ".join(again.err.split())
        assert f"{ran.root / 'heat.tif'} is now {config.parent / 'heat.tif'}" in said, said
        record = _manifest(out)["stages"]["ingest"]
        assert record["input_files"]["heat:heat.tif"]["path"] == str(config.parent / "heat.tif")
        after = cli("ingest", config, "-o", out, "--scheduler", scheduler)
        assert after.code == 0 and "is now" not in after.err, after.err[-3000:]


def test_another_file_named_at_another_path_is_made_again(
    ran: Sandbox, tmp_path: Path, cli: Any, scheduler: str
) -> None:
    """Control: a project folder moved whose data file was changed on the way (other
    bytes, the same name) is no longer the file the stage was made from: ingest runs
    again, as before."""
    import numpy as np

    from .conftest import write_tiny_raster

    box = tmp_path / "moved"
    shutil.copytree(ran.root, box, symlinks=True)
    write_tiny_raster(box / "heat.tif", values=np.full((40, 40), 7, "float32"))
    again = cli("ingest", box / "job.yaml", "-o", box / "out", "--scheduler", scheduler)
    assert again.code == 0, again.err[-3000:]
    assert "running again: its settings changed (sources)" in again.err, again.err[-3000:]
    assert _manifest(box / "out")["runs"][-1]["ran"] == ["ingest"]


# -- 5. a run whose standard error is on a full disk ---------------------------------------


def test_a_run_whose_log_is_on_a_full_disk_is_not_left_running(
    sandbox: Sandbox, scheduler: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``prospect run JOB -o OUT 2> run.log`` with the log's disk full (or its quota
    spent; here ``/dev/full``, which refuses every write with ENOSPC): the job ended
    before its first stage, exit 74, and the manifest held the run as ``running`` for
    good, as if a job were still at work there, until a later run found it. The console's
    first line came after the run was recorded and before the part of the run whose end
    is recorded (as did the removal of outputs the job no longer makes and the cube's
    mending). Now an end met there is recorded too: the run is ``failed``."""
    import contextlib

    from pipelines.cli import main

    monkeypatch.delenv("PROSPECT_DEBUG", raising=False)
    full = open("/dev/full", "w")  # noqa: SIM115 - its close fails too (ENOSPC)
    try:
        with contextlib.redirect_stderr(full):
            code = main(
                ["run", str(sandbox.job_path), "-o", str(sandbox.out), "--scheduler", scheduler]
            )
    finally:
        with contextlib.suppress(OSError):
            full.close()
    assert code == 74
    runs = _manifest(sandbox.out)["runs"]
    assert [r["status"] for r in runs] == ["failed"], runs
