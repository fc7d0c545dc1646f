"""Round 59, faults: a worker killed between a chunk file's write and its rename (the OOM
killer, a user's ``kill``; round 58 left it untested) left the chunk's temporary file in
the partial variable, and the variable was published with it: the run ended 0 with a
stray ``cube.zarr/<var>/c/0/.0.tmp-<hex>`` in the cube (its record counted one chunk
more), and the next run, whose sweep removed it, called the variable "damaged since the
last run" and computed it again, with every stage after it.

Real processes and a real signal: ``prospect`` with its own embedded cluster (``--workers
1``); a ``sitecustomize`` on the worker's ``PYTHONPATH`` sends the worker SIGKILL at the
chosen call (the rename of a chunk's temporary file, or the creation of its done mark),
once per job, and the nanny starts a new worker, on which dask runs the chunk again. The
cubes are compared file for file (SHA-256) with an uninterrupted run's. SYNTHETIC rasters
(the corpus's tiny job).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from .conftest import (
    CONTRAST_INDEX,
    PROSPECT,
    REPO,
    TWO_RASTERS,
    Outcome,
    Sandbox,
    write_tiny_raster,
)

_KILLER = '''
import json, os, re, signal

_KILLS = json.loads(os.environ.get("R59_KILLS", "[]"))


def _maybe_die(call, path):
    for name, pattern, mark in _KILLS:
        if name == call and re.search(pattern, os.fsdecode(os.fspath(path))):
            try:  # once per job: the first process to get here
                os.close(os.open(mark, os.O_WRONLY | os.O_CREAT | os.O_EXCL))
            except FileExistsError:
                continue
            os.kill(os.getpid(), signal.SIGKILL)


_replace, _open = os.replace, os.open


def _killing_replace(src, dst, *args, **kwargs):
    _maybe_die("replace", src)
    return _replace(src, dst, *args, **kwargs)


def _killing_open(path, flags, *args, **kwargs):
    if isinstance(path, (str, bytes, os.PathLike)):
        _maybe_die("open", path)
    return _open(path, flags, *args, **kwargs)


if _KILLS:
    os.replace, os.open = _killing_replace, _killing_open
'''
"""A ``sitecustomize`` that SIGKILLs the process (a job's worker) at the first
``os.replace`` of (or ``os.open`` of) a path matching a pattern of ``$R59_KILLS``."""

CHUNK_TEMP = r"/store/{var}/c/\d+/\.\d+\.tmp-[0-9a-f]{{8}}$"
"""A chunk file's temporary name in variable ``var``'s partial store."""
DONE_MARK = r"/{var}/done/\d+\.\d+$"
"""A chunk's done mark of the partial variable ``var`` (ingest's folder is its name)."""


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _tree(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (dot-named ones too) with its SHA-256."""
    return {str(p.relative_to(folder)): _sha(p) for p in sorted(folder.rglob("*"))
            if p.is_file()}


def _hidden(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob(".*"))


def _killing_env(root: Path, kills: list[tuple[str, str]]) -> tuple[dict[str, str], list[Path]]:
    """The environment of a job whose worker is killed at each ``(call, pattern)`` of
    ``kills`` (once each), and the files that say each kill happened."""
    inject = root / "inject"
    inject.mkdir(parents=True, exist_ok=True)
    (inject / "sitecustomize.py").write_text(_KILLER)
    marks = [root / f"killed-{i}" for i in range(len(kills))]
    env = {k: v for k, v in os.environ.items() if k != "PROSPECT_DEBUG"}
    env["PYTHONPATH"] = os.pathsep.join(
        [str(inject), *filter(None, [env.get("PYTHONPATH")]), str(REPO)])
    env["R59_KILLS"] = json.dumps([[call, pattern, str(mark)]
                                   for (call, pattern), mark in zip(kills, marks, strict=True)])
    return env, marks


def _run(*args: str | Path, env: dict[str, str], **kwargs: Any) -> Outcome:
    proc = subprocess.run([*PROSPECT, *(str(a) for a in args)], capture_output=True,
                          text=True, timeout=300, cwd=REPO, env=env, **kwargs)
    return Outcome(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture(scope="module")
def box(tmp_path_factory: pytest.TempPathFactory) -> Sandbox:
    """The tiny job with two rasters and one index (``job.yaml``: ingest, then indices),
    its ingest alone (``ingest.yaml``) and that in chunks of 16 x 16 cells, 18 of them
    (``fine.yaml``). Every run of this module reads these files, so each cube's
    attributes (the sources' paths and checksums) are the reference's; each run writes
    its own ``-o`` beside the sandbox."""
    import yaml

    box = Sandbox(tmp_path_factory.mktemp("r59") / "box")
    write_tiny_raster(box.root / "cold.tif",
                      values=np.random.default_rng(5).random((40, 40)).astype("float32"))
    (box.root / "ingest.yaml").write_text(yaml.safe_dump(box.job(sources=TWO_RASTERS)))
    fine = box.job(sources=TWO_RASTERS)
    fine["region"]["chunks"] = [16, 16]
    (box.root / "fine.yaml").write_text(yaml.safe_dump(fine))
    box.write_job(sources=TWO_RASTERS, indices=CONTRAST_INDEX)  # the snapshot: all three
    return box


@pytest.fixture(scope="module")
def clean(box: Sandbox, scheduler: str) -> Path:
    """The output folder of the two-stage job run once without a fault."""
    from .conftest import run_in_process

    out = box.root.parent / "clean"
    result = run_in_process("run", box.job_path, "-o", out, "--scheduler", scheduler)
    assert result.code == 0, result.err[-3000:]
    return out


@pytest.fixture(scope="module")
def fine_clean(box: Sandbox, scheduler: str) -> Path:
    """The output folder of ``fine.yaml``'s ingest run once without a fault."""
    from .conftest import run_in_process

    out = box.root.parent / "fine-clean"
    result = run_in_process("ingest", box.root / "fine.yaml", "-o", out, "--scheduler",
                            scheduler)
    assert result.code == 0, result.err[-3000:]
    return out


@pytest.fixture(scope="module")
def killed_writes(box: Sandbox) -> tuple[Path, Outcome]:
    """The two-stage job run once, its worker killed between the write and the rename of
    a chunk file of ingest's ``heat`` and again of indices' ``CONTRAST``: its ``-o`` and
    what it printed."""
    root = box.root.parent / "killed"
    env, marks = _killing_env(root, [("replace", CHUNK_TEMP.format(var="heat")),
                                     ("replace", CHUNK_TEMP.format(var="CONTRAST"))])
    out = root / "out"
    result = _run("run", box.job_path, "-o", out, "--workers", "1", env=env)
    assert all(mark.is_file() for mark in marks), result.err[-3000:]  # both kills happened
    return out, result


# -- 1. a worker killed between a chunk file's write and its rename --------------------------


@pytest.mark.parametrize("variable", ["heat", "CONTRAST"], ids=["ingest", "indices"])
def test_a_worker_killed_between_a_chunks_write_and_rename_leaves_nothing_in_the_cube(
        box: Sandbox, killed_writes: tuple[Path, Outcome], clean: Path, variable: str) -> None:
    """SYNTHETIC rasters: the job goes on (dask runs the chunk again on the nanny's new
    worker) and exits 0. Before: ``cube.zarr/heat/c/0/.0.tmp-<hex>`` (and the index's)
    was published in the cube beside the chunk written again; now the variable's files
    are the uninterrupted run's, byte for byte, and its record counts its own chunks."""
    out, result = killed_writes
    assert result.code == 0, (result.out + result.err)[-3000:]
    assert "Traceback" not in result.out + result.err, result.err[-3000:]
    assert _hidden(out / "cube.zarr" / variable) == []
    assert _tree(out / "cube.zarr" / variable) == _tree(clean / "cube.zarr" / variable)
    stages = json.loads((out / "manifest.json").read_text())["stages"]
    stage = "ingest" if variable == "heat" else "indices"
    assert stages[stage]["verify"]["cube.zarr"][variable]["chunks"] == 4, stages[stage]
    assert box.untouched()


def test_the_run_after_a_killed_chunk_write_finds_nothing_damaged(
        box: Sandbox, killed_writes: tuple[Path, Outcome], cli: Callable[..., Outcome],
        scheduler: str, clean: Path) -> None:
    """SYNTHETIC rasters: the same command again. Before: "removed 1 temporary file(s) or
    folder(s) left by an interrupted run", "running again: cube variable 'heat': 1 chunk
    file(s) missing", "heat: damaged since the last run; recomputing it", and the index
    computed again after it; now nothing is left to remove and both stages are skipped."""
    out, _ = killed_writes
    made = json.loads((out / "manifest.json").read_text())["runs"][0]["run_id"]
    again = cli("run", box.job_path, "-o", out, "--scheduler", scheduler)
    text = " ".join((again.out + again.err).split())
    assert again.code == 0, text[-3000:]
    assert "damaged" not in text and "running again" not in text, text[-3000:]
    assert "left by an interrupted run" not in text, text[-3000:]
    stages = json.loads((out / "manifest.json").read_text())["stages"]
    assert stages["ingest"]["run_id"] == stages["indices"]["run_id"] == made, stages
    assert _tree(out / "cube.zarr") == _tree(clean / "cube.zarr")


# -- 2. the output's permissions taken away while ingest writes -----------------------------


def _as_a_user() -> tuple[str, ...]:
    """The command that runs a job as root runs it as a plain user meets permissions
    (root without ``CAP_DAC_OVERRIDE``, which ignores a folder's mode); none for a user."""
    if os.geteuid() != 0:
        return ()
    if shutil.which("setpriv") is None:
        pytest.skip("root ignores a folder's mode, and setpriv is not here to drop that")
    caps = "-dac_override,-dac_read_search"
    return ("setpriv", f"--bounding-set={caps}", f"--inh-caps={caps}")


def _chmod_tree(folder: Path, mode: int) -> None:
    for path in [folder, *folder.rglob("*")]:
        if path.is_dir() and not path.is_symlink():
            path.chmod(mode)


def test_write_permission_taken_away_mid_ingest_says_the_work_is_kept_and_resumes(
        box: Sandbox, cli: Callable[..., Outcome], scheduler: str, fine_clean: Path) -> None:
    """SYNTHETIC rasters: ``chmod -R a-w`` of the job's partial cube (an admin's or a
    cleanup script's, another owner given the folder) while ingest writes, the job
    stopped meanwhile so that it meets it at its next chunk. Before: "error:
    .../cube.zarr/heat/c: permission denied; make it writable or point -o/--out
    elsewhere" (exit 74), which sent the user to start over elsewhere and named a folder
    that is not there; now the line says the job could write there when it began, what
    to run to make it writable again, and that the same command resumes with the work
    kept, and it does, to the uninterrupted cube."""
    job, out = box.root / "fine.yaml", box.root.parent / "taken"
    partial = out / ".cube.zarr.partial"
    try:
        code, text, marked = _stopped_mid_ingest(
            job, out, 2, lambda _: _chmod_tree(partial, 0o555), wrap=_as_a_user())
    finally:
        _chmod_tree(partial, 0o755)
    lines = [line for line in text.splitlines() if line.startswith("error:")]
    assert code == 74 and "Traceback" not in text and len(lines) == 1, text[-3000:]
    assert "permission denied, though the job could write to " + str(out) in lines[0], lines
    assert f"chmod -R u+w {out}" in lines[0], lines
    assert "run the same command again to resume (finished work is kept)" in lines[0], lines
    again = cli("ingest", job, "-o", out, "--scheduler", scheduler)
    assert again.code == 0, again.err[-3000:]
    ingest = json.loads((out / "manifest.json").read_text())["stages"]["ingest"]
    assert ingest["metrics"]["chunks_resumed"] >= marked > 0, ingest["metrics"]
    assert _tree(out / "cube.zarr") == _tree(fine_clean / "cube.zarr")
    assert box.untouched()


def test_control_permission_refused_outside_a_run_keeps_its_words(tmp_path: Path) -> None:
    """SYNTHETIC, no data: a folder the job never found writable (a publish refused, as
    round 20 words it) keeps "permission denied; make it writable or ... elsewhere"."""
    import errno

    from pipelines.faults import output_fault

    refused = PermissionError(errno.EACCES, "Permission denied", str(tmp_path / "x"))
    line = str(output_fault(refused, tmp_path))
    assert line.startswith(f"{tmp_path / 'x'}: permission denied; make it writable or "), line
    assert "when it began" not in line, line


# -- controls ---------------------------------------------------------------------------------


def test_control_a_worker_killed_after_a_chunks_rename_rewrites_the_unmarked_chunk(
        box: Sandbox, clean: Path) -> None:
    """SYNTHETIC rasters: killed after the rename, before the chunk's done mark: the chunk
    is written again over the first (no temporary is left), as before."""
    root = box.root.parent / "unmarked"
    env, marks = _killing_env(root, [("open", DONE_MARK.format(var="heat"))])
    out = root / "out"
    result = _run("ingest", box.root / "ingest.yaml", "-o", out, "--workers", "1", env=env)
    assert marks[0].is_file(), result.err[-3000:]
    assert result.code == 0 and "Traceback" not in result.err, result.err[-3000:]
    for name in ("heat", "cold"):
        assert _tree(out / "cube.zarr" / name) == _tree(clean / "cube.zarr" / name)
    assert _hidden(out / "cube.zarr") == []
    assert box.untouched()


def _stopped_mid_ingest(job: Path, out: Path, after: int,
                        stop: Callable[[subprocess.Popen[str]], None],
                        wrap: tuple[str, ...] = ()) -> tuple[int, str, int]:
    """``prospect ingest JOB -o OUT`` (behind the command ``wrap``) in a process group of
    its own (SIGHUP as from a terminal); once ingest has marked ``after`` chunks more than
    its partial folder held, the job and its worker are frozen, ``stop(proc)`` acts (a
    signal, a chmod), and they go on. Its exit code, what it printed and the chunks
    marked when it was stopped."""
    partial = out / ".cube.zarr.partial"

    def marked() -> int:
        return sum(1 for _ in partial.glob("*/done/*")) if partial.is_dir() else 0

    start, at = marked(), -1
    env = {k: v for k, v in os.environ.items() if k != "PROSPECT_DEBUG"}
    proc = subprocess.Popen([*wrap, *PROSPECT, "ingest", str(job), "-o", str(out),
                             "--workers", "1"],
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True, env=env,
                            preexec_fn=lambda: signal.signal(signal.SIGHUP, signal.SIG_DFL))
    try:
        deadline = time.monotonic() + 240
        while proc.poll() is None and time.monotonic() < deadline:
            if marked() >= start + after:
                os.killpg(proc.pid, signal.SIGSTOP)
                at = marked()
                stop(proc)
                os.killpg(proc.pid, signal.SIGCONT)
                break
            time.sleep(0.002)
        else:
            pytest.fail(f"ingest ended before it was stopped: {proc.poll()}")
        text, _ = proc.communicate(timeout=240)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    return proc.returncode, text, at


def test_control_a_stage_stopped_twice_in_a_row_resumes_to_the_same_cube(
        box: Sandbox, cli: Callable[..., Outcome], scheduler: str, fine_clean: Path) -> None:
    """SYNTHETIC rasters, 16 x 16 chunks (18 of them): Ctrl-C to the job mid-ingest, then
    a closed terminal (SIGHUP to its whole group) during the resume, then the same command
    a third time: each stop one line, and the cube equals an uninterrupted run's, file for
    file."""
    job, out = box.root / "fine.yaml", box.root.parent / "twice"
    code, text, first = _stopped_mid_ingest(job, out, 2, lambda p: os.kill(p.pid, signal.SIGINT))
    assert code == 130 and "Traceback" not in text, text[-3000:]
    assert "interrupted; completed work is kept" in text, text[-3000:]
    code, text, second = _stopped_mid_ingest(job, out, 2,
                                             lambda p: os.killpg(p.pid, signal.SIGHUP))
    assert code == 129 and "Traceback" not in text, text[-3000:]
    assert "stopped by SIGHUP; completed work is kept" in text, text[-3000:]
    assert 0 < first < second < 18, (first, second)
    third = cli("ingest", job, "-o", out, "--scheduler", scheduler)
    assert third.code == 0, third.err[-3000:]
    ingest = json.loads((out / "manifest.json").read_text())["stages"]["ingest"]
    assert ingest["metrics"]["chunks_resumed"] >= second, ingest["metrics"]
    assert _tree(out / "cube.zarr") == _tree(fine_clean / "cube.zarr")
    assert box.untouched()
