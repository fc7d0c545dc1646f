"""Round 51, faults under resource limits: a job under a small stack limit (``ulimit -s``)
that died seconds in as "Segmentation fault" (exit 139) without a word
(``docs/robustness.md``, "Round 51", faults).

The real ``prospect`` command runs in a subprocess whose limits are set by
``resource.setrlimit`` before it starts (a real limit, as a shell's ``ulimit`` sets it).
All inputs here are small and SYNTHETIC.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import textwrap
from collections.abc import Callable

from .conftest import PROSPECT, REPO, Sandbox

KIB = 1024


def _stack(soft: int, hard: int) -> Callable[[], None]:
    """A ``preexec_fn`` setting the stack limit (``ulimit -s``) of the child."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_STACK, (soft, hard))

    return limit


def _prospect(
    sandbox: Sandbox,
    *args: str,
    limit: Callable[[], None] | None,
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PROSPECT_DEBUG"}
    return subprocess.run(
        [*PROSPECT, *args],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=REPO,
        env=env,
        preexec_fn=limit,
    )


def test_a_stack_limit_too_small_for_a_job_is_refused_in_one_line(sandbox: Sandbox) -> None:
    """``ulimit -s 96`` (soft and hard, as the shell's ``ulimit -s`` sets both) under
    ``prospect run``: the job's main thread overflowed its stack importing the stages'
    libraries, "Segmentation fault", exit 139 (-11 here), not a word. Now refused at
    once, one line naming ``ulimit -s`` and what to raise it to, exit 1, nothing written.
    SYNTHETIC raster."""
    proc = _prospect(
        sandbox,
        "run",
        str(sandbox.job_path),
        "-o",
        str(sandbox.out),
        "--workers",
        "1",
        limit=_stack(96 * KIB, 96 * KIB),
    )
    text = proc.stdout + proc.stderr
    assert proc.returncode == 1, (proc.returncode, text[-3000:])
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, text[-3000:]
    assert "stack size limit is 96 KiB (ulimit -s)" in errors[0], errors[0]
    assert "ulimit -s 8192" in errors[0] and "run the same command again" in errors[0]
    assert "Traceback" not in text and "internal error" not in text, text[-3000:]
    assert not sandbox.out.exists() and sandbox.untouched()


def test_a_soft_stack_limit_under_the_hard_one_is_raised_for_threads_too() -> None:
    """``ulimit -S -s 96`` (the soft limit alone): raised to 8 MiB at the command's start,
    for the main thread and for the threads started after it (``threading.stack_size``),
    as a low soft limit of open files is; a hard limit of 512 KiB is taken as it is."""
    code = textwrap.dedent("""
        import resource, threading
        from pipelines.faults import stack_limit
        print(stack_limit(), resource.getrlimit(resource.RLIMIT_STACK)[0],
              threading.stack_size())
    """)
    for (soft, hard), said in [
        ((96 * KIB, resource.RLIM_INFINITY), "8388608 8388608 8388608"),
        ((512 * KIB, 512 * KIB), "524288 524288 0"),
    ]:
        proc = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=REPO,
            preexec_fn=_stack(soft, hard),
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
        assert proc.stdout.strip() == said, (soft, hard, proc.stdout)


def test_control_a_usual_stack_limit_plans_as_before(sandbox: Sandbox) -> None:
    """Control: ``prospect plan`` under a stack limit of 8 MiB (Linux's usual) and of
    1 MiB prints what it prints with no limit set here, exit 0. SYNTHETIC raster."""
    plans = [
        _prospect(sandbox, "plan", str(sandbox.job_path), limit=limit)
        for limit in (None, _stack(8192 * KIB, 8192 * KIB), _stack(1024 * KIB, 1024 * KIB))
    ]
    assert [p.returncode for p in plans] == [0, 0, 0], plans[-1].stderr[-3000:]
    assert plans[0].stdout == plans[1].stdout == plans[2].stdout
