"""Round 53, faults under resource limits: ``prospect score`` under ``ulimit -v 1600000``
that died as "Fatal Python error: Cannot recover from MemoryErrors" ("Segmentation fault",
exit 139) without a word, and the tiles stage's "out of memory" line saying "finished
chunks are kept" of tiles it threw away (``docs/robustness.md``, "Round 53", faults).

Real limits (``setrlimit``) in child processes, the real CLI in process for the stage's
line. SYNTHETIC data only.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from .conftest import REPO, Sandbox

_ARENAS = """
import os, resource, sys, threading
import numpy as np
size = next(int(line.split()[1]) * 1024 for line in open("/proc/self/status")
            if line.startswith("VmSize:"))
resource.setrlimit(resource.RLIMIT_AS, (size + int(sys.argv[1]) * 2**20,
                                        resource.getrlimit(resource.RLIMIT_AS)[1]))
if sys.argv[2] == "capped":  # what every computing command does at its start
    from pipelines.faults import numerical_libraries_loaded
    numerical_libraries_loaded()
print("env", os.environ.get("MALLOC_ARENA_MAX"))
held, go = [], threading.Event()

def allocate():  # a thread of the job (dask's, the progress bar's) that allocates
    held.append([bytearray(64 * 1024) for _ in range(4)])
    go.wait()

threading.stack_size(256 * 1024)
threads = [threading.Thread(target=allocate) for _ in range(16)]
for thread in threads:
    thread.start()
try:
    big = np.ones(int(sys.argv[3]) * 2**20 // 8)
    print("allocated", big.nbytes // 2**20)
except MemoryError:
    print("refused")
go.set()
for thread in threads:
    thread.join()
"""
"""Sixteen threads that each allocate a little (glibc gives each an arena reserving 64 MiB
of address space), then one large array in the main thread, all under ``argv[1]`` MiB of
address space left; ``argv[2]`` ``capped``: what a computing command does at its start
first (:func:`pipelines.faults.numerical_libraries_loaded`)."""


def _python(
    code: str,
    *args: str,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        capture_output=True,
        text=True,
        timeout=90,
        cwd=REPO,
        env=env,
    )


def _environment(**changes: str) -> dict[str, str]:
    import os

    env = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}
    env["OPENBLAS_NUM_THREADS"] = "1"  # OpenBLAS's room the same on any machine
    env.update(changes)
    return env


needs_proc = pytest.mark.skipif(not Path("/proc/self/status").is_file(), reason="needs /proc")


@needs_proc
def test_threads_arenas_under_an_address_space_limit_leave_room_for_the_job() -> None:
    """``prospect score`` under ``ulimit -v 1600000``: the scheduler's, the progress bar's
    and the pool's threads each took a glibc arena of 64 MiB of address space, the model's
    load (skops) was refused memory and the job died as "Fatal Python error: Cannot
    recover from MemoryErrors while normalizing exceptions", "Segmentation fault" (exit
    139), not a word. Now the arenas are capped where a limit is set, in the command and
    (``MALLOC_ARENA_MAX``) in the workers it starts: 16 allocating threads and a 400 MiB
    array fit in 700 MiB left. SYNTHETIC arrays."""
    result = _python(_ARENAS, "700", "capped", "400", env=_environment())
    assert result.returncode == 0, result.stderr[-3000:]
    assert "env 2" in result.stdout, result.stdout
    assert "allocated 400" in result.stdout, result.stdout


@needs_proc
def test_control_a_users_own_arena_count_is_kept() -> None:
    """Control: a ``MALLOC_ARENA_MAX`` the user set is left as it is (here 4)."""
    result = _python(_ARENAS, "900", "capped", "100", env=_environment(MALLOC_ARENA_MAX="4"))
    assert result.returncode == 0, result.stderr[-3000:]
    assert "env 4" in result.stdout and "allocated 100" in result.stdout, result.stdout


def test_control_no_limit_no_arena_cap() -> None:
    """Control: without an address-space or data limit nothing is changed (the
    environment of the workers included)."""
    code = """
    import os, resource
    for name in ("RLIMIT_AS", "RLIMIT_DATA"):
        limit = getattr(resource, name)
        resource.setrlimit(limit, (resource.getrlimit(limit)[1],) * 2)
    from pipelines.faults import numerical_libraries_loaded
    numerical_libraries_loaded()
    print("env", os.environ.get("MALLOC_ARENA_MAX"))
    """
    if resource.getrlimit(resource.RLIMIT_AS)[1] != resource.RLIM_INFINITY:
        pytest.skip("this session runs under a hard address-space limit")
    result = _python(code, env=_environment())
    assert result.returncode == 0, result.stderr[-3000:]
    assert "env None" in result.stdout, result.stdout


def _tiled(sandbox: Sandbox) -> None:
    sandbox.write_job(
        tiles={"min_zoom": 12, "max_zoom": 13, "archive": False, "layers": [{"variable": "heat"}]}
    )


def test_tiles_out_of_memory_says_what_tiles_keep_not_chunks(
    sandbox: Sandbox, cli: Any, scheduler: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The tiles stage out of memory said "finished chunks are kept": it has no chunks, and
    a failed run publishes nothing (``tiles/`` and ``viewer/`` keep the last run's layers,
    the next run draws every layer again). Now the line says that, and the last run's
    tiles are there. SYNTHETIC raster."""
    from pipelines.stages import tiles

    _tiled(sandbox)
    first = cli("run", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert first.code == 0, (first.out + first.err)[-3000:]
    before = sorted(p.name for p in (sandbox.out / "tiles").iterdir())

    def fails(*args: Any, **kwargs: Any) -> Any:
        raise MemoryError("Unable to allocate 977. MiB for an array with shape (16000, 16000)")

    monkeypatch.setattr(tiles, "_run", fails)
    result = cli("tiles", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler, "--force")
    text = result.out + result.err
    assert result.code == 1, text[-3000:]
    assert "Traceback" not in text and "internal error" not in text, text[-3000:]
    assert len(result.error_lines) == 1, text[-3000:]
    line = result.error_lines[0]
    assert "stage tiles: out of memory" in line, line
    assert "finished chunks" not in line, line
    assert "tiles/ and viewer/ keep the last run's layers" in line, line
    assert "the next run draws every layer again" in line, line
    assert sorted(p.name for p in (sandbox.out / "tiles").iterdir()) == before


def test_control_a_chunked_stage_out_of_memory_still_keeps_its_chunks() -> None:
    """Control: a stage that writes the cube block by block still says its finished
    chunks are kept (ingest, score), and a command failing before any stage says
    nothing kept."""
    from pipelines.faults import out_of_memory_error

    error = MemoryError("Unable to allocate 977. MiB")
    for stage in ("ingest", "score"):
        line = str(out_of_memory_error(error, stage))
        assert "; finished chunks are kept. " in line, line
    line = str(out_of_memory_error(error, "-", kept=None))
    assert "kept" not in line, line
