"""The ``prospect`` script's entry point.

Loading the command line (typer, rich, the command modules) takes about half a second. A
stop request in that time (Ctrl-C, or the SIGTERM or SIGHUP that batch systems, ``timeout``
and a closed terminal send: any of :data:`STOP_SIGNALS`) gave a ``KeyboardInterrupt``
traceback or ended the process without a word; here it is the one line any stopped
command prints. From the command's own start on,
:func:`pipelines.faults.stop_signals_interrupt` takes over.
"""

from __future__ import annotations

import errno
import os
import signal
import sys
from types import FrameType

__all__ = ["STOP_SIGNALS", "exit_code", "main", "stopped_how"]

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2,
                signal.SIGXCPU, signal.SIGQUIT)
"""The signals that stop a command cleanly: Ctrl-C; what batch systems, containers,
``timeout`` and a closed terminal send; the early warnings a batch system sends ahead of
its stop when asked (``sbatch --signal=USR1@120``, ``qsub -notify``); the soft CPU-time
limit's (``ulimit -S -t``, a login node's limits, PBS ``pcput``); and the terminal's other
stop key, Ctrl-\\ (SIGQUIT). Python's default for each but SIGINT ends the process at once:
no line, the stage left ``running`` (SIGQUIT's also dumps a core of the job's memory where
``ulimit -c`` allows one)."""

_CAUSES = {
    signal.SIGUSR1: "a batch system's early warning: sbatch --signal, qsub -notify",
    signal.SIGUSR2: "a batch system's early warning: sbatch --signal, qsub -notify",
    signal.SIGXCPU: "the CPU-time limit, ulimit -t, was reached",
    signal.SIGQUIT: "Ctrl-\\, the terminal's quit key",
}
"""What sent a stop signal whose name says nothing to most users."""


def stopped_how(signum: int | None) -> str:
    """How a command the stop signal ``signum`` ended is said: "interrupted" (Ctrl-C),
    "stopped by SIGTERM", "stopped by SIGXCPU (the CPU-time limit, ...)"."""
    if signum in (None, signal.SIGINT):
        return "interrupted"
    name = signal.Signals(signum).name
    cause = _CAUSES.get(signal.Signals(signum))
    return f"stopped by {name} ({cause})" if cause else f"stopped by {name}"


class _EarlyStop(KeyboardInterrupt):
    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(signal.Signals(signum).name)


class _Stop:
    """The entry point's answer to a stop signal: raise :class:`_EarlyStop`.
    :func:`pipelines.faults.stop_signals_interrupt` takes over from it (``early_stop``)."""

    early_stop = True

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        raise _EarlyStop(signum)


_stop = _Stop()


def main() -> int:
    """Load the command line with stop signals answered, then run it.

    The stops are answered from the first import to the command's own handlers
    (:func:`pipelines.faults.stop_signals_interrupt`, which takes over from this one):
    a Ctrl-C just after the imports, while the command line set up its streams, was a
    ``KeyboardInterrupt`` traceback, and a SIGTERM there a silent death (exit -15).
    """
    previous = {}
    for signum in STOP_SIGNALS:  # one ignored (nohup) or handled by someone else stays so
        if signal.getsignal(signum) in (signal.SIG_DFL, signal.default_int_handler):
            previous[signum] = signal.signal(signum, _stop)
    try:
        from pipelines.cli import main as cli_main

        code = cli_main()
    except KeyboardInterrupt as exc:  # before the command's handlers, or after them
        for signum in previous:
            signal.signal(signum, signal.SIG_IGN)  # unwinding: a second signal waits
        number = getattr(exc, "signum", signal.SIGINT)
        sys.stderr.write(f"{stopped_how(number)}; it did not finish; run the same command "
                         "again\n")
        return 128 + number
    finally:
        for signum, handler in previous.items():
            if signal.getsignal(signum) is _stop:
                signal.signal(signum, handler)
    return exit_code(code)


def exit_code(code: int) -> int:
    """``code``, once standard output and error are flushed and the process's objects are
    frozen out of the garbage collector.

    A flush that fails (the reader of a pipe gone, ``>/dev/full``) would be Python's
    "Exception ignored ... BrokenPipeError" at exit and exit code 120: the stream is
    pointed at ``/dev/null`` instead, and a command that had succeeded exits 141 (128 +
    SIGPIPE, as a Unix tool the pipe stopped) or 74 (its output could not be written).

    Called as the process is about to exit. The interpreter's last collection walked every
    object the pipeline's libraries had loaded (numpy, pandas, dask, distributed, xarray,
    scikit-learn...): about 0.6 s after each command had finished, ~0.1 s now. Atexit
    handlers still run and files are closed as before; only objects kept alive by a
    reference cycle are left to the operating system instead of being collected.
    """
    import gc

    for fd, stream in ((1, sys.stdout), (2, sys.stderr)):
        try:
            if stream is not None:
                stream.flush()
        except OSError as exc:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, fd)
            os.close(devnull)
            if code == 0:
                code = 128 + signal.SIGPIPE if exc.errno == errno.EPIPE else 74
        except ValueError:  # closed by the command itself
            pass
    gc.freeze()
    return code
