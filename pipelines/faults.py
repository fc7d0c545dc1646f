"""Operating-system faults (disk full, read-only, file-size limit, a request to stop) as one
line each."""

from __future__ import annotations

import contextlib
import ctypes
import errno
import logging
import os
import re
import shlex
import shutil
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from multiprocessing.resource_tracker import ResourceTracker
from pathlib import Path
from types import CodeType, FrameType
from typing import Any, cast

from pipelines.entry import STOP_SIGNALS, stopped_how
from prospect.errors import NO_MEMORY_WORDS, OutputWriteError, ProspectError, StageError
from prospect.io.files import allow_side_reads, stop_side_reads, target_of

__all__ = [
    "RESUME_NOTE",
    "STAGED_AFFIX",
    "STOP_NOTE",
    "Interrupted",
    "StopRequest",
    "Stopped",
    "WorkerDeath",
    "WorkerDeaths",
    "check_name_room",
    "children_spared",
    "debugging",
    "disk_fault_within",
    "disk_of",
    "error_ahead",
    "gdal_disk_fault",
    "hangup_proof_tracker",
    "interrupt_main_thread",
    "interruptible_main_thread",
    "killed_worker_error",
    "name_max",
    "name_output",
    "named_outputs",
    "note_stage",
    "on_stop",
    "open_file_limit",
    "os_error_line",
    "out_of_memory_error",
    "output_fault",
    "path_max",
    "portable_gdal_errors",
    "prepare_gdal",
    "probe_disk",
    "quiet_libtiff",
    "removed_output",
    "run_through_stops",
    "said_disk_error",
    "say_stop_after",
    "signal_handlers_kept",
    "stack_limit",
    "stage_of",
    "standard_stream_error",
    "stop_signals_interrupt",
    "terminal_gone_proof",
    "watch_worker_deaths",
    "written_stream",
]

class Stopped(KeyboardInterrupt):
    """The process was asked to stop by ``signum`` (SIGINT, SIGTERM, SIGHUP, ...:
    :data:`~pipelines.entry.STOP_SIGNALS`).

    A :class:`KeyboardInterrupt`, so a stop request unwinds exactly like Ctrl-C: every
    ``with`` block closes (the embedded cluster, staged writes, the output lock) and the
    runner records the stage as ``interrupted``.
    """

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(signal.Signals(signum).name)


def stop_behind(exc: BaseException) -> Stopped | None:
    """The stop signal (:class:`Stopped`: Ctrl-C, SIGTERM, SIGHUP) that ``exc`` was raised
    while unwinding from, if any: an error of a clean-up that ran as a stop unwound (a
    temporary folder another thread still wrote into: "Directory not empty") replaced
    the stop, so the run said that error and recorded the stage ``failed``, not
    ``interrupted``. Only implicit contexts are followed (at most 32 links): an error
    raised ``from`` an interrupt on purpose (the lock's heartbeat turning its own
    interrupt into "in use by ...") is that error."""
    seen: BaseException | None = exc
    for _ in range(32):
        if seen is None:
            return None
        if isinstance(seen, Stopped):
            return seen
        if seen.__cause__ is not None or seen.__suppress_context__:
            return None
        seen = seen.__context__
    return None


def error_ahead(stop: BaseException, *, left: Collection[CodeType]) -> Exception | None:
    """The error a job was already ending on when ``stop`` (a stop signal) arrived, if any.

    A stop met while the job unwound from an error (a stage's failure being recorded, the
    cluster's close, the output lock's release) replaced that error: the user was told
    "stopped by SIGTERM", exit 143, and the error itself, what to fix, was only in the
    manifest's record. The error is the first in ``stop``'s implicit context chain (the
    reverse of :func:`stop_behind`) whose traceback passes through a frame of one of
    ``left``, the functions a job's ending error leaves through: an error that code below
    them caught and dealt with (a retried read) when the stop landed is no job's end.
    """
    seen = stop.__context__ if stop.__cause__ is None and not stop.__suppress_context__ \
        else None
    for _ in range(32):
        if seen is None:
            return None
        if isinstance(seen, Exception) and _passed_through(seen, left):
            return seen
        if seen.__cause__ is not None or seen.__suppress_context__:
            return None
        seen = seen.__context__
    return None


def _passed_through(exc: BaseException, codes: Collection[CodeType]) -> bool:
    """Whether ``exc``'s traceback holds a frame running one of ``codes``."""
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code in codes:
            return True
        tb = tb.tb_next
    return False


def say_stop_after(error: BaseException, stop: Stopped) -> None:
    """Add to ``error`` (the :class:`~prospect.errors.ProspectError` a job ended on) a line
    saying the stop that arrived as the job unwound from it (:func:`error_ahead`).

    The error's line comes first and its exit code stands: the error is what to fix, and
    the stop found the job already ending (a batch system that sent SIGTERM as its time
    limit came records the time-out itself, from its own clock).
    """
    if not isinstance(error, ProspectError) or len(error.args) != 1 \
            or not isinstance(error.args[0], str):
        return
    how = ("interrupted (Ctrl-C)" if stop.signum == signal.SIGINT
           else stopped_how(stop.signum))
    error.args = (f"{error.args[0]}\n{how} as the job was ending on this error, which the "
                  "exit code reports; completed work is kept",)


RESUME_NOTE = "completed work is kept, run the same command again to resume"
"""What a stopped job command can promise: its stages resume where they stopped."""

STOP_NOTE = "it did not finish; run the same command again"
"""What any other command (or one stopped before it began) can promise: nothing more."""

_STOP_NOTE: ContextVar[tuple[str, int | None] | None] = ContextVar("stop_note", default=None)


def on_stop(note: str, *, exit_code: int | None = None) -> None:
    """Say what a stop request leaves behind for *this* command.

    ``note`` follows "stopped by SIGTERM; " in the line the user sees (what is kept, what
    to do), in place of the plain :data:`STOP_NOTE`: the job commands, whose stages resume,
    give :data:`RESUME_NOTE`; promising a resume a command cannot do sends the user into
    an error. ``exit_code`` replaces
    128 + the signal number (a server asked to stop has done what it was asked: 0). Holds
    until the next :func:`stop_signals_interrupt` block starts (the next command).
    """
    _STOP_NOTE.set((note, exit_code))


@dataclass
class StopRequest:
    """The stop signal received inside :func:`stop_signals_interrupt` (``None``: none)."""

    signum: int | None = None

    @property
    def exit_code(self) -> int:
        """128 + the signal number, as a shell reports a process the signal ended (or what
        the command chose with :func:`on_stop`)."""
        note = _STOP_NOTE.get()
        if note is not None and note[1] is not None:
            return note[1]
        return 128 + (self.signum or signal.SIGINT)

    def line(self) -> str:
        """What the user is told: what stopped the command, what is kept, what to do."""
        note = _STOP_NOTE.get()
        return f"{stopped_how(self.signum)}; {note[0] if note is not None else STOP_NOTE}"


@contextmanager
def stop_signals_interrupt() -> Iterator[StopRequest]:
    """Within the block, SIGINT, SIGTERM, SIGHUP and the other
    :data:`~pipelines.entry.STOP_SIGNALS` raise :class:`Stopped` in the main thread.

    Python's default for SIGTERM and SIGHUP (and for a batch system's SIGUSR1 or SIGUSR2
    warning, and the CPU-time limit's SIGXCPU) ends the process at once: no message, the
    manifest left saying ``running``, the embedded cluster's processes torn down without a
    word. The signal is kept in the :class:`StopRequest` yielded, since the command-line
    framework turns the exception into a bare exit code. The first signal raises; later
    ones are ignored while the job unwinds (SIGKILL still ends it). A signal that is
    ignored when the block starts (``nohup``) or handled by someone else stays as it is,
    and outside the main thread nothing changes.
    """
    request = StopRequest()
    _STOP_NOTE.set(None)  # a new command: it says again what a stop leaves (on_stop)
    allow_side_reads()  # a stop of an earlier command in this process ended those
    if threading.current_thread() is not threading.main_thread():
        yield request
        return

    def stop(signum: int, frame: FrameType | None) -> None:
        if request.signum is None:
            request.signum = signum
            # the unwinding waits for helper threads' checksums (ingest's): they end now
            stop_side_reads()
            raise Stopped(signum)

    previous = {}
    for signum in STOP_SIGNALS:
        # the entry point's own handler answers the stops until the command's take over
        # (pipelines.entry: loading the command line, and the first steps of its main)
        held = signal.getsignal(signum)
        if held in (signal.SIG_DFL, signal.default_int_handler) or \
                getattr(held, "early_stop", False):
            previous[signum] = signal.signal(signum, stop)
    try:
        yield request
    finally:
        allow_side_reads()  # the command has unwound: a later one's threads read again
        for signum, handler in previous.items():
            # the kernel sends SIGXCPU again each second past the soft limit: one more as
            # the process exits would end it with a core dump, its line said and code lost
            repeats = signum == request.signum == signal.SIGXCPU
            signal.signal(signum, signal.SIG_IGN if repeats else handler)


_CATCHABLE = tuple(sorted(set(signal.Signals) - {signal.SIGKILL, signal.SIGSTOP}))
"""Every signal a handler can be set for (SIGKILL and SIGSTOP take none)."""


@contextmanager
def signal_handlers_kept() -> Iterator[None]:
    """Within the block, an import that sets stop-signal handlers has them put back.

    ``dask_jobqueue`` sets SIGINT to ``sys.exit()`` when it is imported
    (``dask_jobqueue/runner.py``). Imported mid-job (``--cluster slurm``/``pbs``), it took
    the job's handler away: Ctrl-C then ended the job as a success, exit code 0, without
    the line a stopped job prints, and an output directory lost to another job could no
    longer stop it. The handlers found when the block starts stand when it ends (in the
    main thread; elsewhere nothing changes, as no handler can be set there): every
    signal's, not only the stop signals', since a job relies on others too (SIGURG, with
    which a helper thread stops the main thread: :func:`interrupt_main_thread`; SIGPIPE,
    with which the command line stops quietly when its reader went away).
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    kept = {signum: signal.getsignal(signum) for signum in _CATCHABLE}
    try:
        yield
    finally:
        for signum, handler in kept.items():
            if handler is not None and signal.getsignal(signum) is not handler:
                signal.signal(signum, handler)


def debugging() -> bool:
    """Whether ``PROSPECT_DEBUG=1`` asks for tracebacks and the raw lines of libraries,
    the one test of it everywhere (the command line's, the workers' filters, libtiff's
    lines, the client's log).

    Some places asked only whether the variable was set: ``PROSPECT_DEBUG=0`` (or
    ``false``, or empty) printed the workers' "Compute Failed" tracebacks and libtiff's
    lines while the command line printed none, a half-debug that read as a crash.
    """
    return os.environ.get("PROSPECT_DEBUG") == "1"


_WAKE = signal.SIGURG
"""The signal a helper thread stops the main thread with (:func:`interrupt_main_thread`):
ignored by default, sent by nobody else to a Python process."""

_WAKE_ASKED = threading.Event()


class Interrupted(KeyboardInterrupt):
    """Raised in the main thread by :func:`interrupt_main_thread` (a helper thread that
    found the job cannot go on: its output directory taken, a task hung); unwinds as a
    stop does, and the helper says why."""


def _wake(signum: int, frame: FrameType | None) -> None:
    """The handler of :data:`_WAKE`: raise :class:`Interrupted` when a helper asked."""
    if _WAKE_ASKED.is_set():
        _WAKE_ASKED.clear()
        raise Interrupted(signal.Signals(signum).name)


@contextmanager
def interruptible_main_thread() -> Iterator[None]:
    """Within the block, :func:`interrupt_main_thread` stops the main thread.

    Helper threads stopped the job with ``_thread.interrupt_main()``, which runs the
    SIGINT handler: nothing at all where SIGINT is ignored, as it is for a command a
    batch script starts in the background (``cluster/prospect-job.sbatch``, ``nohup ...
    &`` under ``sh``), and it did not wake a main thread blocked in a wait. A signal of
    its own (:data:`_WAKE`) does both. Nothing changes outside the main thread.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _WAKE_ASKED.clear()
    previous = signal.signal(_WAKE, _wake)
    try:
        yield
    finally:
        signal.signal(_WAKE, previous)
        _WAKE_ASKED.clear()


def run_through_stops(work: Callable[[], object], *, name: str
                      ) -> KeyboardInterrupt | None:
    """Run ``work()`` in a thread of its own to its end, whatever stop lands meanwhile in
    this thread (Ctrl-C, SIGTERM, :func:`interrupt_main_thread`); the first stop met,
    raised by ``work`` or landed while waiting, is returned for the caller to raise once
    it has done what must be done. Errors of ``work`` are dropped (best effort).

    Not ``Thread.join``: a stop landing in it marked a still running thread as ended
    (Python 3.11, bpo-45274's fix releases the thread's lock), so a second join returned
    at once and the job went on, or exited, under the work: a cluster's close cut short
    (distributed cancels it, leaving the cluster ``closing`` for good), a lock's
    heartbeat that went on beating after the lock was let go. Nor a plain
    ``Thread.start``: a stop landing in its wait for the thread to begin (a work that
    stops the job as it begins, a SIGTERM sent from a client's close) returned at once,
    the work left running under the unwinding job. Where no thread can be started (an
    address-space limit), the work is run in this thread.
    """
    met: list[KeyboardInterrupt] = []
    done, began = threading.Event(), threading.Event()

    def body() -> None:
        began.set()
        try:
            work()
        except KeyboardInterrupt as exc:
            met.append(exc)
        except Exception:  # best effort: what failed is left as it is
            pass
        finally:
            done.set()

    stop: KeyboardInterrupt | None = None
    for _ in range(2):  # once more only where a stop landed before the thread began
        try:
            threading.Thread(target=body, name=name, daemon=True).start()
        except KeyboardInterrupt as exc:  # a stop in ``start``'s own wait (a work that
            # stops this thread as it begins, a signal sent from it): the work runs on
            stop = stop or exc
        except RuntimeError:  # no thread to be had (an address-space or thread limit:
            break  # "can't start new thread"): the work is run here, as a plain call
        deadline = time.monotonic() + 5.0
        while not began.is_set() and time.monotonic() < deadline:
            try:
                began.wait(max(0.0, deadline - time.monotonic()))
            except KeyboardInterrupt as exc:
                stop = stop or exc
        if began.is_set():
            break
    if not began.is_set():  # in this thread, where none could be started
        body()
    while not done.is_set():
        try:
            done.wait()
        except KeyboardInterrupt as exc:  # the work goes on; the stop waits for it
            stop = stop or exc
    return stop or next(iter(met), None)


def interrupt_main_thread() -> None:
    """Raise :class:`Interrupted` in the main thread (from a helper thread), inside
    :func:`interruptible_main_thread`; elsewhere, as Ctrl-C (``_thread.interrupt_main``)."""
    if signal.getsignal(_WAKE) is _wake:
        _WAKE_ASKED.set()
        signal.pthread_kill(threading.main_thread().ident or 0, _WAKE)
        return
    import _thread

    _thread.interrupt_main()


SPARED_SIGNALS = frozenset({signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2, signal.SIGQUIT})
"""The stop signals a terminal or a batch system sends to every process of the job (a
closed terminal's SIGHUP, Ctrl-\\'s SIGQUIT, ``sbatch --signal=USR1@120``'s warnings),
which the job's own processes (:func:`children_spared`) are started with blocked: the
job stops on them and ends those processes itself. (SIGINT and SIGTERM, the other stop
signals, each has its own handler in them.)"""


@contextmanager
def children_spared() -> Iterator[None]:
    """Within the block, the processes and threads started (the embedded cluster's
    nannies, workers and event-loop thread, multiprocessing's resource tracker) start
    with :data:`SPARED_SIGNALS` blocked, and keep them blocked; the job's main thread
    takes them again as the block ends (one that came meanwhile is raised then).

    Python's default for each ends a process at once, and Ctrl-\\'s with a core dump:
    with a core size limit set (``ulimit -c unlimited``, usual on HPC and development
    machines), Ctrl-\\ under a job wrote each worker's whole memory to a ``core`` file
    in the user's working folder (1.3 GB for the one worker of a 2 km test scene), and a
    batch system's warning killed the workers under the stage before the job could stop.
    """
    if not hasattr(signal, "pthread_sigmask"):  # pragma: no cover - not POSIX
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, SPARED_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def hangup_proof_tracker() -> None:
    """Start multiprocessing's resource tracker (once per process) with SIGHUP blocked,
    so that a closed terminal, which sends SIGHUP to the job's whole process group, does
    not end it.

    The tracker ignores SIGINT and SIGTERM but not SIGHUP: it died with the terminal, the
    job (which stops cleanly on SIGHUP, exit 129) started a new one as it closed its
    cluster, and the new tracker printed a ``KeyError`` traceback for every semaphore it
    was asked to forget (a dozen, ``'/loky-<pid>-...'``) below the job's one line. A
    blocked signal stays blocked in the tracker (it unblocks only SIGINT and SIGTERM),
    as do a batch system's warnings and Ctrl-\\'s SIGQUIT (:func:`children_spared`).
    The tracker is made a :class:`_RememberingTracker`, so that one started where it was
    killed is so too, and knows the names the dead one held.
    """
    from multiprocessing import resource_tracker

    tracker = resource_tracker._resource_tracker
    # (Python's tracker as 3.11 and 3.12 build it: another's is left as it is)
    known = all(hasattr(tracker, name) for name in _TRACKER_PRIVATES)
    if known and not isinstance(tracker, _RememberingTracker):
        tracker.__class__ = _RememberingTracker
        tracker.__dict__.update(_sending=threading.RLock(), _held=set())
        # the module's names are the first tracker's bound methods, which a fork server
        # and a child's spawn call without the class's own ensure_running
        for name in ("ensure_running", "register", "unregister", "getfd"):
            setattr(resource_tracker, name, getattr(tracker, name))
    with children_spared():
        resource_tracker.ensure_running()


_TRACKER_PRIVATES = ("_check_alive", "_send", "_fd", "_pid", "ensure_running")
"""The parts of multiprocessing's tracker that :class:`_RememberingTracker` builds on."""


class _RememberingTracker(ResourceTracker):
    """multiprocessing's resource tracker (the process that unlinks the job's named
    semaphores and shared memory if the job dies) that survives its own death: the names
    it was given and not yet told to forget are remembered, and a tracker started in the
    place of a dead one (killed by a user or the out-of-memory killer: Python starts
    another as the next name is given or forgotten) is given them first, with
    :data:`SPARED_SIGNALS` blocked as the first was (:func:`hangup_proof_tracker`).

    Python's own relaunch warned "process died unexpectedly, relaunching. Some resources
    might leak."; the new tracker, told to forget names it was never given, printed a
    ``KeyError`` traceback for each (a dozen ``'/loky-<pid>-...'`` semaphores of the
    embedded cluster's nannies), and would not have unlinked the dead one's names had the
    job died. The job's one tracker is made one of these in place
    (:func:`hangup_proof_tracker`); one a worker process starts is Python's.
    """

    _fd: int | None
    _pid: int | None
    _sending: threading.RLock
    _held: set[tuple[str, str]]

    def ensure_running(self) -> None:
        """Start the tracker, or start it again where it died, giving the new one the
        names the dead one held (without Python's warning: nothing leaks)."""
        with self._sending:
            fd = self._fd
            if fd is not None:
                if cast(Any, self)._check_alive():  # (Python's private check)
                    return
                os.close(fd)  # the dead one forgotten, as Python's own does, unsaid
                with contextlib.suppress(ChildProcessError):
                    if self._pid is not None:
                        os.waitpid(self._pid, 0)
                self._fd = self._pid = None
            with children_spared():
                super().ensure_running()
            if fd is not None and self._fd is not None:
                for name, rtype in sorted(self._held):
                    os.write(self._fd, f"REGISTER:{name}:{rtype}\n".encode("ascii"))

    def _send(self, cmd: str, name: str, rtype: str) -> None:
        """Send ``cmd`` for ``name`` as Python's tracker does, remembering the names held
        (a tracker started meanwhile knows them before it is told to forget one)."""
        with self._sending:
            cast(Any, super())._send(cmd, name, rtype)
            if cmd == "REGISTER":
                self._held.add((name, rtype))
            elif cmd == "UNREGISTER":
                self._held.discard((name, rtype))


class _TerminalStream:
    """``sys.stdout`` or ``sys.stderr`` while a job runs, where it was a terminal: a write
    that meets the terminal gone (``EIO``: it hung up) points the descriptor at
    ``/dev/null`` and the job goes on (:func:`terminal_gone_proof`)."""

    def __init__(self, stream: Any, fd: int) -> None:
        self._stream = stream
        self._fd = fd
        self.gone = False

    def write(self, text: str) -> int:
        if not self.gone:
            try:
                return int(self._stream.write(text))
            except OSError as exc:
                self._hung_up(exc)
        return len(text)

    def flush(self) -> None:
        if not self.gone:
            try:
                self._stream.flush()
            except OSError as exc:
                self._hung_up(exc)

    def _hung_up(self, exc: OSError) -> None:
        if exc.errno not in (errno.EIO, errno.ENXIO):  # a full disk, a closed pipe: said
            raise exc
        self.gone = True
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, self._fd)  # what is still buffered, and later lines, go there
        finally:
            os.close(devnull)
        with contextlib.suppress(OSError, ValueError):
            self._stream.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _terminal_gone(fd: int) -> bool:
    """Whether ``fd`` is a terminal that hung up before the command began.

    ``isatty`` is false for it (the terminal's settings cannot be read): a command a
    background script started after its shell had exited (``./all-regions.sh &``,
    ``disown``, then the ``ssh`` session ends) was taken for one writing to a file, and
    its first line ended it (``EIO``, exit 74, its work never begun).
    """
    import termios

    try:
        termios.tcgetattr(fd)
    except termios.error as exc:
        return bool(exc.args and exc.args[0] in (errno.EIO, errno.ENXIO))
    except (OSError, ValueError):
        return False
    return False


@contextmanager
def terminal_gone_proof() -> Iterator[None]:
    """Within the block, a terminal that goes away does not end the job (or command).

    A job started in the background of a shell and left there (``prospect run JOB -o
    OUT &`` then ``disown``, or ``setsid``; an ``ssh`` session whose job outlives it) keeps
    running when its terminal closes, with no SIGHUP, but every line it printed after that
    (a progress bar's refresh, the next stage's heading) failed with ``EIO``: the job ended
    at once with exit 74, nothing computed, its run left ``running`` in the manifest, and
    the one line saying why went to the terminal that was gone. Standard output and error
    that were terminals as the block began are written through a guard that sends them to
    ``/dev/null`` once the terminal is gone; the job finishes, and its manifest says how.
    Any other error writing them (a log file's full disk, a closed pipe) is raised as
    before. The command line enters it for every command (:func:`pipelines.cli.main`): a
    command's own lines before or after its work (a note, a summary, a table) met the
    terminal gone just as a job's did, and its work was lost or said as failed (exit 74).
    Entered again inside, it guards nothing twice. A terminal already gone as the block
    begins (a script in the background starting its next command) is guarded as well
    (:func:`_terminal_gone`).
    """
    swapped: dict[str, tuple[Any, _TerminalStream]] = {}
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if isinstance(stream, _TerminalStream):  # guarded already (the command's block)
            continue
        try:
            fd = stream.fileno()
        except (AttributeError, OSError, ValueError):  # captured, closed: left as it is
            continue
        if os.isatty(fd) or _terminal_gone(fd):
            guard = _TerminalStream(stream, fd)
            swapped[name] = (stream, guard)
            setattr(sys, name, guard)
    try:
        yield
    finally:
        for name, (stream, guard) in swapped.items():
            with contextlib.suppress(OSError, ValueError):  # what print() left buffered
                guard.flush()  # goes while the guard stands; another error: said at exit
            if getattr(sys, name) is guard:
                setattr(sys, name, stream)


_OS_HINTS = {
    errno.ENOSPC: "the disk is full; free space, then run the same command again to resume "
                  "(finished work is kept)",
    errno.EDQUOT: "the disk quota is used up; free space, then run the same command again",
    errno.EROFS: "the file system is read-only; {point} to a folder on a writable disk",
    errno.EFBIG: "the file is over the file-size limit (ulimit -f); raise the limit, then run "
                 "the same command again",
    errno.EIO: "the disk could not store or read it (an I/O error: a failing disk, or a "
               "network file system whose server went away or refused the data); check "
               "the disk or the mount (dmesg), then run the same command again to resume "
               "(finished work is kept)",
    errno.EACCES: "permission denied; make it writable or {point} elsewhere",
    errno.EPERM: "operation not permitted; make it writable or {point} elsewhere",
    errno.ENOTDIR: "a part of this path is a file, not a directory; {point} elsewhere",
    errno.EEXIST: "it exists already and is in the way; move it or {point} elsewhere",
    errno.EISDIR: "a folder is where a file is to be written; give a file name, or move "
                  "the folder",
    errno.EMFILE: "too many open files: this process may hold {limit} at once (ulimit -n); "
                  "raise the limit (ulimit -n 4096), then run the same command again to "
                  "resume (finished work is kept)",
    errno.ENOLCK: "this file system cannot lock files (no locks available: an NFS mount "
                  "whose lock service, rpc.statd, is not running, or a FUSE or SMB mount "
                  "without locks), and a job locks its output folder; {point} to a folder "
                  "on another disk, or mount an NFS one with -o local_lock=flock (or start "
                  "rpc.statd on this host)",
    errno.ENFILE: "too many open files on this machine (its table of open files is full, "
                  "fs.file-max); close other programs or raise it, then run the same "
                  "command again to resume (finished work is kept)",
}
"""The cause and the fix of each error a user can mend; ``{point}`` names what chose the
path (:func:`name_output`)."""

_NAMED_OUTPUTS: ContextVar[tuple[tuple[str, str], ...]] = ContextVar("named_outputs",
                                                                     default=())


def name_output(path: str | Path, given_by: str) -> None:
    """Say that this command writes under ``path`` because of ``given_by``.

    ``given_by`` is what the user set: an option (``-o/--out``, ``-r/--registry``), an
    environment variable (``$PROSPECT_REGISTRY``) or a config key (``access_log in
    serve.yaml``). An error writing there then tells the user to point *that* elsewhere
    (:func:`os_error_line`) instead of naming an option the command does not have.
    Recorded for the current command only (:func:`named_outputs`).
    """
    if "://" in str(path):  # fsspec URLs: their errors are not the OS's
        return
    key = os.path.abspath(os.path.expanduser(str(path)))
    _NAMED_OUTPUTS.set((*_NAMED_OUTPUTS.get(), (key, given_by)))


@contextmanager
def named_outputs() -> Iterator[None]:
    """A scope for :func:`name_output` (one command); outside it, nothing is named."""
    token = _NAMED_OUTPUTS.set(())
    try:
        yield
    finally:
        _NAMED_OUTPUTS.reset(token)


def _given_by(path: str) -> str | None:
    """What chose ``path``: the option (or variable, or key) of the deepest output named
    with :func:`name_output` that holds it; else of those it leads to (a folder made on
    the way), joined with "or"."""
    if not path:
        return None
    full = os.path.abspath(path)
    inside: list[tuple[int, str]] = []
    above: list[str] = []
    for root, given_by in _NAMED_OUTPUTS.get():
        if full == root or full.startswith(root.rstrip(os.sep) + os.sep):
            inside.append((len(root), given_by))
        elif root.startswith(full.rstrip(os.sep) + os.sep) and given_by not in above:
            above.append(given_by)
    if inside:
        return max(inside)[1]
    return " or ".join(above) or None


_FOLDER_IN_THE_WAY = ("a folder is where the command writes a file of that name; move the "
                      "folder out of the way, or {point} elsewhere")
"""EISDIR on a file a command names itself (a job's ``manifest.json`` or lock file under
``-o``): the user gave no file name to change, as ``_OS_HINTS``' "give a file name" says."""


def _inside_named_output(path: str) -> bool:
    """Whether ``path`` lies below an output named with :func:`name_output` (not the
    named path itself): a name the command chose, not the user."""
    if not path:
        return False
    full = os.path.abspath(path)
    return any(full != root and full.startswith(root.rstrip(os.sep) + os.sep)
               for root, _ in _NAMED_OUTPUTS.get())


def _first_copy_error(exc: OSError) -> OSError:
    """``shutil.copytree``'s :class:`shutil.Error` (a list of ``(source, destination,
    message)``, with no errno nor file name) as the first file's own :class:`OSError`; any
    other error as it is. Its text was the whole list, as Python tuples."""
    failures = exc.args[0] if isinstance(exc, shutil.Error) and exc.args else None
    if not isinstance(failures, list) or not failures or len(failures[0]) != 3:
        return exc
    _, dst, why = failures[0]
    found = re.match(r"\[Errno (\d+)\] ([^:]*)", str(why))
    if found is None:
        return OSError(None, str(why), str(dst))
    return OSError(int(found.group(1)), found.group(2), str(dst))


_NO_INODES = ("the disk has no free inodes (room for no more files, though it may have "
              "space: df -i); remove files there, or {point} to a file system with more "
              "inodes, then run the same command again to resume (finished work is kept)")
"""ENOSPC where the file system's inodes, not its blocks, are used up."""


STAGED_AFFIX = len(".") + len(".staging-") + 8
"""The most a hidden working name adds to the name it stands for (``.<name>.staging-<8
hex>``; ``.<name>.tmp-<8 hex>`` and ``.<name>.old-<8 hex>`` add less): an output's name
must leave this much room under the file system's longest name (``NAME_MAX``)."""


def name_max(path: str | Path) -> int:
    """The longest name (in bytes) the file system holding ``path`` takes (``NAME_MAX``:
    255 on most; the nearest folder that exists is asked)."""
    folder = Path(os.path.abspath(path))
    while not os.path.exists(folder) and folder.parent != folder:
        folder = folder.parent
    try:
        return int(os.pathconf(folder, "PC_NAME_MAX"))
    except (OSError, ValueError):  # pragma: no cover - a file system that will not say
        return 255


def path_max(path: str | Path) -> int:
    """The longest path (in bytes) a system call takes below ``path`` (``PATH_MAX``:
    4096 on Linux)."""
    folder = Path(os.path.abspath(path))
    while not os.path.exists(folder) and folder.parent != folder:
        folder = folder.parent
    try:
        return int(os.pathconf(folder, "PC_PATH_MAX"))
    except (OSError, ValueError):  # pragma: no cover
        return 4096


def _too_long(path: str | Path, other: str | Path | None = None) -> str:
    """The cause and the fix of ENAMETOOLONG on ``path`` (or ``other``, a rename's
    target): the name that is too long (its own, not a hidden working name's), or the
    whole path."""
    for each in (path, other):
        if not each:
            continue
        full = os.fsencode(os.path.abspath(each))
        longest = name_max(os.fsdecode(full))
        parts = [part for part in full.split(b"/") if part]
        over = [part for part in parts if len(part) > longest]
        if over:
            shown = os.fsdecode(over[0])
            real = target_of(shown).name  # a hidden working name: the output's own
            allowed = longest - STAGED_AFFIX
            real_text = repr(_short(real)).replace("{", "{{").replace("}", "}}")
            return (f"the name {real_text} is {len(os.fsencode(real))} bytes: this file "
                    f"system takes names of at most {longest}, and the hidden working "
                    f"names Prospect writes beside an output add up to {STAGED_AFFIX}; "
                    f"shorten it to {allowed} bytes or fewer (the config's name, or "
                    "{point} to a folder of shorter names), then run the same command again")
        if len(full) >= path_max(os.fsdecode(full)):
            return (f"the path is {len(full)} bytes, over the {path_max(os.fsdecode(full))} "
                    "this system takes; {point} to a folder nearer the root (a shorter "
                    "path), then run the same command again")
    return ("a name or the whole path is longer than the file system takes; shorten the "
            "name, or {point} to a folder nearer the root")


def _short(name: str, keep: int = 24) -> str:
    """``name`` cut to its first and last characters where it is long."""
    return name if len(name) <= 2 * keep + 3 else f"{name[:keep]}...{name[-keep:]}"


def check_name_room(out_dir: Path, names: dict[str, str]) -> None:
    """Refuse, before anything is written, an output name too long for ``out_dir``'s file
    system once a hidden working name is made of it, or an ``out_dir`` too deep for the
    paths written below it.

    A cube named with 240 characters fits a file system's 255, but its staging folder
    ``.<cube>.staging-<8 hex>`` does not: the job started, then ended "File name too
    long" naming the cube, with no word of the limit or by how much.

    Parameters
    ----------
    out_dir
        The job's output directory (it need not exist yet).
    names
        Each output name the config gives, by the key that gives it
        (``{"outputs.cube": "cube.zarr", "sources[0].name": "heat"}``).

    Raises
    ------
    ConfigError
        A name with less than :data:`STAGED_AFFIX` bytes of room, naming its key.
    OutputWriteError
        An ``out_dir`` too deep for the longest path a job writes below it.
    """
    from prospect.errors import ConfigError

    longest = name_max(out_dir)
    allowed = longest - STAGED_AFFIX
    for key, name in names.items():
        size = len(os.fsencode(name))
        if size > allowed:
            raise ConfigError(
                f"{key}: {_short(name)!r} is {size} bytes, too long for a name in {out_dir}:"
                f" its file system takes names of at most {longest} bytes, and the hidden "
                f"working names a job writes beside an output add up to {STAGED_AFFIX}; "
                f"shorten it to {allowed} bytes or fewer")
    # below -o: a cube's staging folder, a variable's staging folder in it, the
    # variable, its chunk folders (c/<row>/<col>) and zarr's own temporary names
    # (<name>.<32 hex>.partial), or a tile's z/x/y: 128 for the rest
    room = sum(len(os.fsencode(n)) + STAGED_AFFIX for n in sorted(
        names.values(), key=lambda n: -len(os.fsencode(n)))[:2]) + 128
    full = len(os.fsencode(os.path.abspath(out_dir)))
    limit = path_max(out_dir)
    if full + room >= limit:
        raise OutputWriteError(
            f"{out_dir}: the output directory's path is {full} bytes, and the paths a job "
            f"writes below it (its names: {room} bytes more) would pass the {limit} this "
            "system takes; point -o to a folder nearer the root (a shorter path)")


def disk_of(path: str | Path) -> tuple[Path, os.statvfs_result] | None:
    """The nearest existing folder at or above ``path`` and its file system's
    ``statvfs``; ``None`` where there is none or it cannot be asked."""
    folder: Path | None = Path(path).expanduser().absolute() if path else None
    while folder is not None and not folder.exists():
        folder = folder.parent if folder.parent != folder else None
    if folder is None:
        return None
    try:
        return folder, os.statvfs(folder)
    except OSError:
        return None


def _out_of_inodes(path: str) -> bool:
    """Whether the file system holding ``path`` (or its nearest existing folder) has
    (almost) no free inodes left while more than 1 % of its space is free: "No space left
    on device" then means too many files, and "free space" is no fix (``df -h`` shows
    plenty)."""
    disk = disk_of(path)
    if disk is None:
        return False
    st = disk[1]
    # a few inodes are freed again by the time this is asked (the failed write's own
    # temporary files removed): "few" is under 64, or 0.1 % of the file system's
    few = max(64, st.f_files // 1000)
    return st.f_files > 0 and st.f_favail < few and st.f_bavail * 100 > st.f_blocks


def _standard_stream(obj: object) -> int | None:
    """1 or 2 where ``obj`` (a stream, or a Rich console) writes to standard output or
    error; ``None`` otherwise (a file, a ``StringIO``, a closed stream)."""
    obj = getattr(obj, "file", obj) if type(obj).__name__ == "Console" else obj
    if obj is None or not hasattr(obj, "fileno"):
        return None
    if obj is sys.stdout or obj is sys.__stdout__:  # standard output, captured or not
        return 1
    try:
        fd = obj.fileno()
    except (OSError, ValueError, AttributeError):
        return None
    return fd if fd in (1, 2) else None


def written_stream(exc: BaseException, streams: Collection[int] = (1, 2)) -> int | None:
    """Which of the standard ``streams`` (1: output, 2: error) the write that raised
    ``exc`` went to, from the frames it passed (Rich's console, click's echo, ``print``,
    a log handler: their ``self``, ``file`` or ``stream``); ``None`` where none of them
    wrote to one."""
    tb = exc.__traceback__
    while tb is not None:
        local = tb.tb_frame.f_locals
        for name in ("self", "file", "stream"):
            fd = _standard_stream(local.get(name))
            if fd in streams:
                return fd
        tb = tb.tb_next
    return None


def standard_stream_error(exc: BaseException, *, stage: str | None = None) -> str | None:
    """The one line of a job ended by a write to its standard output or error that the
    disk refused (``2>> run.log`` on a full disk or over its quota, a batch system's log
    file, ``>/dev/full``); ``None`` where ``exc`` is no such write.

    Such an error names no file, and was told as the output directory's: "/scratch/out:
    the disk is full; free space, then run the same command again", sending the user to a
    disk with room to spare while the log's disk stayed full. Met in a stage that resumes
    nothing (``stage``, by default :func:`stage_of` ``exc``; :data:`STAGE_KEEPS`: a
    training), the line says what that stage keeps instead of "to resume (finished work
    is kept)".
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.filename is None and \
                not isinstance(current, BrokenPipeError):
            fd = written_stream(current)
            if fd is not None:
                which = "standard output" if fd == 1 else "standard error"
                why = current.strerror or str(current)
                sign = ">" if fd == 1 else "2>"
                line = (f"{which} could not be written ({why}): the job's "
                        f"{'output goes' if fd == 1 else 'progress and messages go'} there "
                        f"({sign} a file, or the batch system's log file), not to -o; free "
                        f"space on that file's disk or send it elsewhere ({sign}/dev/null "
                        "if it is not wanted), then run the same command again to resume "
                        "(finished work is kept)")
                return _kept_by_stage(line, stage or stage_of(exc))
        current = current.__cause__ or current.__context__
    return None


def os_error_line(exc: OSError, *, where: str | Path | None = None,
                  hints: Mapping[int, str] | None = None, stage: str | None = None) -> str:
    """One line for an operating-system error: the path, then the cause and what to do.

    The fix names what chose the path (:func:`name_output`: the option, environment
    variable or config key the user gave), never an option of another command. ``where``
    stands for the path when the error names none (errors from inside libraries).
    ``hints``: the cause said of each ``errno`` (``_OS_HINTS`` when not given).
    ``stage``: the job's stage the error stopped, whose rerun the fix describes
    (:func:`_kept_by_stage`).
    """
    exc = _first_copy_error(exc)
    # a writer's hidden temporary name (.m.onnx.tmp-1a2b3c4d) as the file the user asked for
    first = str(target_of(exc.filename)) if exc.filename else str(where or "")
    second = str(target_of(exc.filename2)) if exc.filename2 else ""
    path = f"{first} -> {second}" if second and second != first else first
    hint = (_OS_HINTS if hints is None else hints).get(exc.errno or -1)
    if exc.errno == errno.ENOSPC and _out_of_inodes(first):
        hint = _NO_INODES
    if exc.errno == errno.EIO and not first:  # no file: a terminal hung up, not a disk
        hint = None
    if exc.errno == errno.ENAMETOOLONG:
        hint = _too_long(exc.filename or first, exc.filename2)
    if exc.errno == errno.EISDIR and _inside_named_output(first):
        hint = _FOLDER_IN_THE_WAY
    if hint is not None:
        hint = _kept_by_stage(hint, stage)
        given_by = _given_by(first) or _given_by(second)
        cause = hint.format(point=f"point {given_by}" if given_by else "write",
                            limit=_soft_open_files())
    else:
        cause = exc.strerror or str(exc) or type(exc).__name__
    return f"{path}: {cause}" if path else cause


OPEN_FILES_NEEDED = 64
"""The fewest open files a job can run with (its dask cluster's sockets and pipes, the
libraries' own files, an input and an output); a limit under it is refused at once."""

OPEN_FILES_WANTED = 8192
"""What the soft limit of open files is raised to, where the hard limit allows."""


def _soft_open_files() -> str:
    """This process's soft limit of open files, as text (``?`` where it cannot be read)."""
    try:
        import resource
    except ImportError:  # pragma: no cover - not on POSIX
        return "?"
    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    return "unlimited" if soft == resource.RLIM_INFINITY else str(soft)


def _soft_limit_raised(kind: int, wanted: int) -> tuple[int, bool]:
    """Raise this process's soft limit of ``kind`` (a ``resource.RLIMIT_*``) to its hard
    limit, ``wanted`` at most, where it is lower; the soft limit then, and whether it was
    raised (a refused raise keeps it as it was)."""
    import resource

    soft, hard = resource.getrlimit(kind)
    unlimited = resource.RLIM_INFINITY
    want = wanted if hard == unlimited else min(hard, wanted)
    if soft == unlimited or soft >= want:
        return soft, False
    try:
        resource.setrlimit(kind, (want, hard))
    except (ValueError, OSError):
        return soft, False
    return want, True


def open_file_limit() -> int | None:
    """Raise this process's soft limit of open files to its hard limit
    (:data:`OPEN_FILES_WANTED` at most), which the workers of the embedded cluster
    inherit; returns the soft limit then (``None``: unlimited, or not POSIX).

    A shell's ``ulimit -n`` (or a service's, a container's) low enough for the job's
    dask cluster ended in 30 s of tornado's and psutil's tracebacks, then "the local
    dask cluster did not start ... check the dask settings"; lower still, in "~/.config/
    dask: Too many open files", exit 74, naming the dask settings that were not at
    fault. A soft limit under the hard one is raised (that is what a soft limit is for);
    a hard limit under :data:`OPEN_FILES_NEEDED` is refused at once, before anything is
    started or written: :class:`~prospect.errors.OutputWriteError`, as the file-size
    limit (``ulimit -f``) is.
    """
    try:
        import resource
    except ImportError:  # pragma: no cover - not on POSIX
        return None
    soft, _ = _soft_limit_raised(resource.RLIMIT_NOFILE, OPEN_FILES_WANTED)
    if soft == resource.RLIM_INFINITY:
        return None
    if soft < OPEN_FILES_NEEDED:
        raise OutputWriteError(
            f"the limit of open files is {soft} (ulimit -n), under the {OPEN_FILES_NEEDED} "
            "a job needs at least (its dask cluster, its inputs and outputs); raise it "
            "(ulimit -n 4096 in the shell; LimitNOFILE= for a systemd service, --ulimit "
            "nofile= for a container), then run the same command again")
    return int(soft)


STACK_NEEDED = 256 * 1024
"""The smallest stack (bytes) a job runs with: a whole job ran with 256 KiB; with 96 KiB
its main thread overflowed importing its libraries (a segmentation fault, exit 139)."""

STACK_WANTED = 8 * 1024 * 1024
"""What the soft stack limit is raised to, where the hard limit allows (Linux's usual)."""


def stack_limit() -> int | None:
    """Raise this process's soft stack limit (``ulimit -s``) to its hard limit
    (:data:`STACK_WANTED` at most), for its main thread, the threads it starts and the
    workers of the embedded cluster, which inherit it; returns the soft limit then, in
    bytes (``None``: unlimited, or not POSIX).

    A shell's ``ulimit -s 96`` (a login node's, or one set for another program) ended a
    job, seconds in, in "Segmentation fault" (exit 139) without a word: its main thread's
    stack overflowed importing the stages' libraries, nothing said, the run left
    "running". A soft limit under the hard one is raised (as :func:`open_file_limit`
    raises the open files), and so are the stacks of the threads started from here on
    (``threading.stack_size``); a hard limit under :data:`STACK_NEEDED` is refused at
    once, before anything is started or written (:class:`~prospect.errors.StageError`).
    """
    try:
        import resource
    except ImportError:  # pragma: no cover - not on POSIX
        return None
    soft, raised = _soft_limit_raised(resource.RLIMIT_STACK, STACK_WANTED)
    if raised:  # a thread's stack is set when it starts: those started from here on
        with contextlib.suppress(ValueError, RuntimeError):
            threading.stack_size(max(threading.stack_size(), soft))
    if soft == resource.RLIM_INFINITY:
        return None
    if soft < STACK_NEEDED:
        raise StageError(
            f"the stack size limit is {soft // 1024} KiB (ulimit -s), under the "
            f"{STACK_NEEDED // 1024} KiB a job needs at least (its libraries' calls, in "
            "each thread); raise it (ulimit -s 8192 in the shell; LimitSTACK= for a "
            "systemd service, --ulimit stack= for a container), then run the same command "
            "again")
    return int(soft)


BLAS_BASE_MIB = 230
"""The address space (MiB) scipy's libraries take as they load, with OpenBLAS's first
thread, and the first buffers of numpy's and scipy's OpenBLAS for the calling thread, plus
a margin (measured: about 100 + 34 + 32 MiB)."""

BLAS_THREAD_MIB = 40
"""The address space (MiB) each further thread of OpenBLAS takes as it starts (its 32 MiB
buffer and its stack)."""


def _blas_threads() -> int:
    """The threads OpenBLAS starts in this process: its variables' number, else the CPUs
    this process may run on (OpenBLAS's own count), at most its 64."""
    for name in ("OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS"):
        with contextlib.suppress(ValueError):
            wanted = int(os.environ.get(name, "").split(",")[0])
            if wanted > 0:
                return min(wanted, 64)
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, 64))


def _address_space_left() -> int | None:
    """Bytes this process may still map under its address-space (``ulimit -v``) and data
    (``ulimit -d``) limits; ``None`` where neither is set or the sizes cannot be read."""
    try:
        import resource

        status = Path("/proc/self/status").read_text()
    except (ImportError, OSError):  # not Linux: no such reading
        return None
    mapped = {line.split(":")[0]: int(line.split()[1]) * 1024 for line in status.splitlines()
              if line.startswith(("VmSize:", "VmData:"))}
    left = [soft - mapped[field] for name, field in (("RLIMIT_AS", "VmSize"),
                                                     ("RLIMIT_DATA", "VmData"))
            if (soft := resource.getrlimit(getattr(resource, name))[0])
            != resource.RLIM_INFINITY and field in mapped]
    return min(left) if left else None


MALLOC_ARENAS_UNDER_LIMIT = 2
"""The malloc arenas (glibc) a process under an address-space or data limit may make."""

_M_ARENA_MAX = -8
"""glibc's ``mallopt`` parameter for the number of arenas (``malloc.h``)."""


def malloc_arenas_capped() -> None:
    """Under an address-space or data limit (``ulimit -v``, ``ulimit -d``), cap glibc's
    malloc arenas at :data:`MALLOC_ARENAS_UNDER_LIMIT`, in this process (``mallopt``) and
    in the processes it starts (``MALLOC_ARENA_MAX``, which a worker's glibc reads as it
    starts); nothing where no such limit is set, the user set ``MALLOC_ARENA_MAX``, or the
    C library is not glibc.

    glibc gives each thread that allocates an arena of its own, each reserving 64 MiB of
    address space: ``prospect score`` under ``ulimit -v 1600000``, its scheduler's and
    progress threads beside the main one, ran out of address space loading the model
    (skops) and died as "Fatal Python error: Cannot recover from MemoryErrors while
    normalizing exceptions", exit 134 or "Segmentation fault" (139), not a word.
    """
    if _address_space_left() is None or "MALLOC_ARENA_MAX" in os.environ:
        return
    os.environ["MALLOC_ARENA_MAX"] = str(MALLOC_ARENAS_UNDER_LIMIT)
    try:
        import ctypes

        libc = ctypes.CDLL(None)
        libc.mallopt(_M_ARENA_MAX, MALLOC_ARENAS_UNDER_LIMIT)
    except (OSError, AttributeError):  # pragma: no cover - not glibc: no arenas to cap
        pass


def numerical_libraries_loaded() -> None:
    """Under an address-space or data limit (``ulimit -v``, ``ulimit -d``), load scipy's
    and numpy's OpenBLAS while this process is small, and refuse a limit that leaves them
    too little room, in one line (:class:`~prospect.errors.StageError`); nothing where no
    such limit is set.

    OpenBLAS asks again, for ever, for a buffer the system refused (its
    ``blas_memory_alloc``): ``prospect model import`` under ``ulimit -v 600000`` hung in
    the library's start (the ``dlopen`` of ``scipy.special``), ``prospect train`` under
    ``ulimit -v 1800000`` in its first SVD once the job had grown, both deaf to SIGTERM
    (the call holds the interpreter). Loaded and called once here, its threads and the
    calling thread's buffers are in place before the job grows, and kept for its calls.
    The malloc arenas of the threads started later are capped first
    (:func:`malloc_arenas_capped`).
    """
    malloc_arenas_capped()
    left = _address_space_left()
    if left is None or ("scipy.linalg" in sys.modules and "scipy.special" in sys.modules):
        return
    threads = _blas_threads()
    needed = (BLAS_BASE_MIB + BLAS_THREAD_MIB * (threads - 1)) * 2**20
    if left < needed:
        raise StageError(
            f"this process may map only {max(left, 0) / 2**20:.0f} MiB more under its limits"
            f" ({limits_set()}), under the {needed / 2**20:.0f} MiB its numerical libraries"
            f" need to load (OpenBLAS with {threads} thread(s)); raise the limit (a batch "
            "job: ask for more memory), or set OPENBLAS_NUM_THREADS=1, then run the same "
            "command again")
    import numpy as np
    import scipy.linalg
    import scipy.special

    square = np.ones((256, 256))
    square @ square  # numpy's OpenBLAS: the calling thread's buffer
    scipy.linalg.blas.dgemm(1.0, square, square)  # scipy's


_TURNED_READ_ONLY = (
    "the file system turned read-only while the job ran (a kernel does so after a disk "
    "error, errors=remount-ro; dmesg says why); what the job finished is kept: once the "
    "disk is checked and writable again (fsck, then mount it read-write), run the same "
    "command again to resume, or {point} to a folder on another disk")
"""The cause said of a write refused as read-only by a disk the job had begun writing to
(:func:`output_fault` with ``began_writable``)."""

_PERMISSION_TAKEN = (
    "{what}, though the job could write to {out} when it began (a chmod, chown or chattr "
    "+i meanwhile, or a folder inside it that was never this user's); make it writable "
    "again ({fix}), then run the same command again to resume (finished work is kept), "
    "or {{point}} elsewhere")
"""The cause said of a write refused for its permissions in an output folder the job had
found writable and begun writing to (:func:`output_fault` with ``began_writable``): "make
it writable or point -o elsewhere" sent the user to start over elsewhere, hours of
finished chunks left behind, and named a folder in the cube the hidden partial variable
stands for, which is not there to change."""


def _permission_hints(out_dir: Path) -> dict[int, str]:
    """:data:`_PERMISSION_TAKEN` for ``EACCES`` and ``EPERM`` in ``out_dir``."""
    out = shlex.quote(str(out_dir)).replace("{", "{{").replace("}", "}}")
    return {errno.EACCES: _PERMISSION_TAKEN.format(
                what="permission denied", out=out, fix=f"chmod -R u+w {out}"),
            errno.EPERM: _PERMISSION_TAKEN.format(
                what="operation not permitted", out=out,
                fix=f"chattr -R -i {out} where it is immutable, chmod -R u+w {out}")}


_RESUME_CLAIM = " to resume (finished work is kept)"
"""What :data:`_OS_HINTS` (and :data:`_NO_INODES`) say of a rerun: true of a stage that
writes the cube chunk by chunk, not of one in :data:`STAGE_KEEPS`."""


def _kept_by_stage(hint: str, stage: str | None) -> str:
    """``hint`` (a cause and its fix, :func:`os_error_line`'s) with what ``stage`` keeps
    (:data:`STAGE_KEEPS`) in place of "to resume (finished work is kept)"; as it is for a
    stage that resumes from its finished chunks, or none.

    A disk that filled while the train stage wrote its model was told "run the same
    command again to resume (finished work is kept)": nothing of a training resumes (its
    folds and fit are held in memory), and the user, told so, freed just enough room for
    what was left and lost the hours of a whole training again.
    """
    if stage not in STAGE_KEEPS:
        return hint
    keeps = stage_keeps(stage)
    if _RESUME_CLAIM in hint:
        return hint.replace(_RESUME_CLAIM, f"; {keeps}")
    if "run the same command again to resume" in hint:  # a disk turned read-only
        return hint.replace("run the same command again to resume",
                            f"run the same command again ({keeps})")
    if hint.endswith("run the same command again"):  # a quota, a file-size limit
        return f"{hint}; {keeps}"
    return hint


def stage_of(exc: BaseException) -> str | None:
    """The stage that ``exc``, or an error of its chain, stopped (:func:`note_stage`);
    ``None`` for an error met outside any stage."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        stage = getattr(current, "prospect_stage", None)
        if isinstance(stage, str):
            return stage
        current = current.__cause__ or current.__context__
    return None


def note_stage(exc: BaseException, stage: str) -> None:
    """Mark ``exc`` as the error that stopped ``stage`` (:func:`stage_of`), so that the
    job's one line for it says what that stage keeps (:func:`output_fault`)."""
    with contextlib.suppress(AttributeError, TypeError):  # an error that takes no attribute
        vars(exc)["prospect_stage"] = stage  # (an attribute of no exception type)


def output_fault(exc: OSError, out_dir: Path, *, began_writable: bool = False,
                 stage: str | None = None) -> OutputWriteError:
    """``exc`` (raised while a job wrote to ``out_dir``) as one line naming a path and cause.

    Errors from inside a library or a dask worker often carry no file name; then the
    output directory is the path named. ``began_writable``: the job had found ``out_dir``
    writable and begun writing to it; a read-only file system (``EROFS``) then turned so
    under the job (a disk error, ``errors=remount-ro``), and "point -o to a folder on a
    writable disk" alone sent the user to start over elsewhere, hours of finished work
    left behind on a disk that a check and a remount give back. ``stage``: the stage the
    error stopped (:func:`stage_of`); the line says what it keeps where that is not its
    finished work (:data:`STAGE_KEEPS`: a training resumes nothing).
    """
    exc = _first_copy_error(exc)
    if removed_output(exc, out_dir):
        return OutputWriteError(
            f"{exc.filename or out_dir}: removed while the job ran (was the output directory "
            f"{out_dir} deleted or moved?); run the same command again to resume")
    turned = began_writable and exc.errno == errno.EROFS and \
        _same_disk(exc.filename if isinstance(exc.filename, str) else out_dir, out_dir)
    hints = {**_OS_HINTS, errno.EROFS: _TURNED_READ_ONLY} if turned else _OS_HINTS
    if began_writable and exc.errno in (errno.EACCES, errno.EPERM):
        hints = {**hints, **_permission_hints(out_dir)}
    return OutputWriteError(os_error_line(exc, where=out_dir, hints=hints, stage=stage))


def _same_disk(path: str | Path, folder: Path) -> bool:
    """Whether ``path`` (or its nearest existing folder) is on the file system of
    ``folder``."""
    here = Path(path)
    while not here.exists() and here.parent != here:
        here = here.parent
    try:
        return os.stat(here).st_dev == os.stat(folder).st_dev
    except OSError:
        return False


DISK_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EFBIG})
"""Errors of the disk written to, never of the data: full, over quota, read-only, over
the file-size limit."""


def disk_fault_within(exc: BaseException) -> OSError | None:
    """The disk error (:data:`DISK_ERRNOS`) that ``exc`` was raised from, if any.

    A library that wraps every failure of a save in its own error (a model written with
    skops: "cannot save Pipeline with skops: [Errno 28] No space left on device") hid a
    full disk behind exit 1 without the path or the fix; its cause or context is the
    :class:`OSError`, which :func:`output_fault` words like any other.
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno in DISK_ERRNOS:
            return current
        code = getattr(current, "disk_errno", None)  # a GDAL error from a worker
        if code in DISK_ERRNOS:
            return OSError(code, os.strerror(code))
        current = current.__cause__ or current.__context__
    return None


def gdal_disk_fault(exc: BaseException, target: Path) -> OSError | None:
    """The disk error behind GDAL's own error ``exc`` (a rasterio ``CPLE_*`` error of a
    write: "IO error writing tag data", "Write failed"), naming ``target`` where it names
    no file: as a worker said it (:func:`_reduce_cple`), or as libtiff said it in this
    thread (:func:`said_disk_error`); ``None`` for any other error."""
    if not type(exc).__name__.startswith("CPLE_"):
        return None
    found = disk_fault_within(exc)
    if found is not None:
        return OSError(found.errno, found.strerror, found.filename or str(target))
    if "writ" not in str(exc).lower():
        return None
    return said_disk_error(target)


PROBE_BYTES = 2**30
"""The most :func:`probe_disk` asks the disk for."""


_TIFF_HANDLER = ctypes.CFUNCTYPE(None, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_void_p)
_TIFF_SAID: deque[tuple[int, float, str]] = deque(maxlen=64)
"""libtiff's latest messages in this process: (thread id, monotonic time, text)."""
_TIFF_LOG = logging.getLogger("prospect.libtiff")
_TIFF_INSTALLED: set[str] = set()
_TIFF_LOCK = threading.Lock()


def _vsnprintf() -> Any:
    """The C library's ``vsnprintf``, typed to format a ``va_list`` passed on by pointer."""
    try:
        fn = ctypes.CDLL(None).vsnprintf
    except (OSError, AttributeError):
        return None
    fn.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_void_p]
    fn.restype = ctypes.c_int
    return fn


_FORMAT = _vsnprintf()


@_TIFF_HANDLER
def _tiff_said(module: bytes | None, fmt: bytes | None, args: int | None) -> None:
    """libtiff's error and warning handler: keep the message, print nothing."""
    try:
        text = (fmt or b"").decode("utf-8", errors="replace")
        if _FORMAT is not None and fmt:
            buf = ctypes.create_string_buffer(1024)
            _FORMAT(buf, len(buf), fmt, args)
            text = buf.value.decode("utf-8", errors="replace")
        if module:
            text = f"{module.decode('utf-8', errors='replace')}: {text}"
        _TIFF_SAID.append((threading.get_ident(), time.monotonic(), text))
        _TIFF_LOG.debug("%s", text)
        if debugging():
            print(text, file=sys.stderr)
    except Exception:  # never raise into C
        pass


def quiet_libtiff() -> bool:
    """Keep libtiff's own messages off the console (and at hand for :func:`said_disk_error`).

    GDAL leaves libtiff's process-wide handlers at libtiff's default, which writes each
    message raw on the process's stderr: a full disk printed ``_tiffWriteProc: No space
    left on device.`` from each worker, several times, above the job's one-line error.
    Every copy of libtiff loaded in this process (rasterio's wheel bundles its own) gets a
    handler that keeps the latest messages instead; ``PROSPECT_DEBUG=1`` still prints them.
    Idempotent and cheap; ``False`` where no libtiff could be found (the messages then
    go where libtiff sends them). Linux only (the loaded libraries are read from
    ``/proc/self/maps``).
    """
    import rasterio  # noqa: F401 - loads GDAL and its libtiff

    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
            paths = {line.split()[-1] for line in maps
                     if "libtiff" in line and line.rstrip().endswith(tuple("0123456789o"))}
    except OSError:
        return False
    with _TIFF_LOCK:
        for path in sorted(paths - _TIFF_INSTALLED):
            try:
                lib = ctypes.CDLL(path)
                for name in ("TIFFSetErrorHandler", "TIFFSetWarningHandler"):
                    setter = getattr(lib, name)
                    setter.argtypes = [_TIFF_HANDLER]
                    setter.restype = ctypes.c_void_p
                    setter(_tiff_said)
            except (OSError, AttributeError):
                continue
            _TIFF_INSTALLED.add(path)
        return bool(_TIFF_INSTALLED)


def _reduce_cple(error: BaseException
                 ) -> tuple[type, tuple[object, ...]] | tuple[type, tuple[object, ...],
                                                             dict[str, Any]]:
    """Rebuild a rasterio ``CPLE_*`` error from its three arguments, with the disk error
    libtiff said of a write it failed in this process (:func:`_disk_said_lately`) as its
    ``disk_errno``.

    A full disk under a COG written on a worker could reach the job as GDAL's own
    ``CPLE_AppDefinedError('TIFFWriteDirectoryTagData:IO error writing tag data')`` with
    no errno, its cause only in libtiff's message in the worker's memory: "internal
    error", exit 70, instead of the disk's one line (exit 74). The job reads it back
    with :func:`disk_fault_within`.
    """
    code = _disk_said_lately() if "writ" in str(error).lower() else None
    if code is None:
        return type(error), tuple(error.args)
    return type(error), tuple(error.args), {"disk_errno": code}


def _disk_said_lately(within: float = 60.0) -> int | None:
    """The errno of the disk error (full, over quota, read-only, over the file-size
    limit) libtiff said in any thread of this process in the last ``within`` seconds
    (kept for :func:`said_disk_error`, which still finds it)."""
    now, found = time.monotonic(), None
    with _TIFF_LOCK:
        for _, when, text in _TIFF_SAID:
            if now - when <= within:
                for words, code in _DISK_STRERRORS.items():
                    if words in text:
                        found = code
    return found


def portable_gdal_errors() -> None:
    """Let rasterio's ``CPLE_*`` errors (GDAL's own) cross between processes.

    They have their own ``__init__`` and a read-only ``args`` but no ``__reduce__``:
    tblib, which distributed uses to send a task's error with its causes, then fails to
    rebuild them, and distributed sends the job ``Exception(repr(error))`` instead. Any
    error raised from a GDAL one in a worker (a COG write refused by a full disk, turned
    into the disk's ``OSError``; a read error turned into a Prospect error) lost its type on
    the way and ended the job as an internal error (exit 70). Idempotent.
    """
    from rasterio import _err

    base = getattr(_err, "CPLE_BaseError", None)
    if isinstance(base, type) and "__reduce__" not in vars(base):
        setattr(base, "__reduce__", _reduce_cple)  # noqa: B010 - a class's, not mypy's


_GDAL_HANDLER = ctypes.CFUNCTYPE(None, ctypes.c_int, ctypes.c_int, ctypes.c_char_p)
_GDAL_NO_MEMORY: deque[tuple[float, str]] = deque(maxlen=8)
"""GDAL's and PROJ's latest words of a failed allocation in this process: (monotonic time,
text)."""
_GDAL_INSTALLED: dict[str, Any] = {}
"""Each GDAL library's path -> the handler :func:`keep_gdal_memory_errors` gave it (kept
alive here: GDAL holds only its address)."""
_CPLE_OUT_OF_MEMORY = 2


def _gdal_handler() -> tuple[Any, list[Any]]:
    """A process-wide GDAL error handler that notes a failed allocation, then passes the
    message on, unchanged, to the handler it replaced (put in the list it returns)."""
    passed_on: list[Any] = []

    @_GDAL_HANDLER
    def said(err_class: int, err_no: int, message: bytes | None) -> None:
        try:
            text = (message or b"").decode("utf-8", errors="replace")
            if err_no == _CPLE_OUT_OF_MEMORY or any(w in text for w in NO_MEMORY_WORDS):
                _GDAL_NO_MEMORY.append((time.monotonic(), text[:160]))
        except Exception:  # never raise into C
            pass
        if passed_on:
            passed_on[0](err_class, err_no, message)

    return said, passed_on


def keep_gdal_memory_errors() -> bool:
    """Note, in this process, each message of GDAL (and PROJ, through GDAL) saying an
    allocation failed, for :func:`out_of_memory_error`; every message still goes where it
    went (the handler before is called with it).

    Under an address-space limit (``ulimit -v``) PROJ's ``std::bad_alloc`` exporting the
    grid's CRS reached Python as rasterio's ``CRSError: Cannot convert to WKT. OGR Error
    code 6``, the allocation named only in GDAL's ``ERROR 1: PROJ: internal_proj_as_wkt:
    std::bad_alloc`` on stderr: the job ended as "internal error" (exit 70), a CRS read as
    broken. Every copy of GDAL loaded in this process gets the handler (rasterio's wheel
    and pyogrio's bundle their own). Idempotent; ``False`` where no GDAL library could be
    found (Linux only: the loaded libraries are read from ``/proc/self/maps``).
    """
    import rasterio  # noqa: F401 - loads GDAL

    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
            paths = {line.split()[-1] for line in maps
                     if "libgdal" in line and line.rstrip().endswith(tuple("0123456789o"))}
    except OSError:
        return False
    with _TIFF_LOCK:
        for path in sorted(paths - set(_GDAL_INSTALLED)):
            try:
                setter = ctypes.CDLL(path).CPLSetErrorHandler
            except (OSError, AttributeError):
                continue
            setter.argtypes = [_GDAL_HANDLER]
            setter.restype = ctypes.c_void_p
            handler, passed_on = _gdal_handler()
            before = setter(handler)
            if before:
                passed_on.append(_GDAL_HANDLER(before))
            _GDAL_INSTALLED[path] = handler
        return bool(_GDAL_INSTALLED)


def _gdal_said_no_memory(within: float = 60.0) -> str | None:
    """GDAL's or PROJ's latest words of a failed allocation in this process in the last
    ``within`` seconds (:func:`keep_gdal_memory_errors`); ``None`` where none."""
    now = time.monotonic()
    said = [text for when, text in list(_GDAL_NO_MEMORY) if now - when <= within]
    return said[-1] if said else None


def zarr_io_started() -> None:
    """Start zarr's IO thread in this process now, at the job's (or the worker's) start.

    zarr makes its event loop, and the thread that runs it, at its first read or write,
    and records the loop before it starts the thread. Where the system refused that thread
    (an address-space limit, ``ulimit -v``, or a process limit, ``ulimit -u``: "can't start
    new thread"), every later zarr call waited for ever on a loop that never runs: a job
    under a login node's ``ulimit -v`` hung until it was killed, and zarr's exit hook
    printed a traceback ("cannot join thread before it is started"). Started here, while
    the process is small, the thread is there for every later call; where even this
    start is refused, the half-made loop is taken back (the next call tries again) and
    the refusal is raised, to be said in one line (:func:`out_of_memory_error`).
    """
    from zarr.core import sync

    loop, thread = getattr(sync, "loop", None), getattr(sync, "iothread", None)
    if not (isinstance(loop, list) and isinstance(thread, list)):
        return  # another zarr: it starts its own
    try:
        sync._get_loop()
    except BaseException:
        with contextlib.suppress(Exception):
            if thread[0] is not None and thread[0].ident is None:  # never started
                loop[0].close()
                loop[0] = thread[0] = None
        raise


def prepare_gdal() -> None:
    """Set up this process (the job's, or a worker's) for the job's fault handling:
    libtiff's lines kept off the console (:func:`quiet_libtiff`), GDAL's errors able to
    cross between processes (:func:`portable_gdal_errors`), GDAL's failed allocations
    noted (:func:`keep_gdal_memory_errors`) and zarr's IO thread started
    (:func:`zarr_io_started`)."""
    quiet_libtiff()
    portable_gdal_errors()
    keep_gdal_memory_errors()
    zarr_io_started()


_DISK_STRERRORS = {os.strerror(code): code
                   for code in (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EFBIG)}


def said_disk_error(target: str | Path | None = None, *, within: float = 300.0
                    ) -> OSError | None:
    """The disk error (full, over quota, read-only, over the file-size limit) libtiff said
    in this thread in the last ``within`` seconds, as an :class:`OSError` naming
    ``target``; ``None`` when it said none. The messages it finds are forgotten.

    GDAL's own error for such a write is "Write failed. See previous exception for
    details." without an errno: the cause is only in libtiff's message
    (``_tiffWriteProc: No space left on device``), kept by :func:`quiet_libtiff`.
    """
    me, now, found = threading.get_ident(), time.monotonic(), None
    with _TIFF_LOCK:
        for thread, when, text in list(_TIFF_SAID):
            if thread != me or now - when > within:
                continue
            for words, code in _DISK_STRERRORS.items():
                if words in text:
                    found = code
            _TIFF_SAID.remove((thread, when, text))
    if found is None:
        return None
    return OSError(found, os.strerror(found), None if target is None else str(target))


def probe_disk(target: Path, size: int) -> OSError | None:
    """After a library's write of ``target`` failed without saying why, ask the disk for
    ``size`` bytes (at most :data:`PROBE_BYTES`) beside it: the disk's own error
    (:data:`DISK_ERRNOS`, naming ``target``) when it refuses, else ``None``.

    GDAL reports a full disk as "Write failed. See previous exception for details." with
    no errno (the cause goes to its log), which ended the job in an internal error. What
    libtiff said of it (:func:`said_disk_error`) is asked first: by the time the write's
    error is caught, its scratch files are removed and the disk has room again, so the
    probe alone found none and the job still ended in an internal error. The probe is a
    hidden temporary file (``.<name>.tmp-<8 hex>``), removed at once, or swept by the
    next run when the job is killed meanwhile.
    """
    said = said_disk_error(target)
    if said is not None:
        return said
    from prospect.io.files import disk_refusal

    return disk_refusal(target, min(int(size), PROBE_BYTES), DISK_ERRNOS)


@dataclass(frozen=True)
class WorkerDeath:
    """How one worker process of this process's nannies ended: its ``pid``, its exit code
    (``-N`` for signal ``N``, as :mod:`multiprocessing` gives it; ``None`` for a signal
    the nanny could not name) and whether the nanny itself stopped it at its memory
    limit (``memory_percent``, distributed's terminate fraction, else ``None``)."""

    pid: int
    exitcode: int | None
    memory_percent: int | None = None
    rss: int | None = None
    """The worker's memory in use when its nanny stopped it (the scheduler's
    ``worker-restart-memory`` event of a nanny in another process), else ``None``."""
    elsewhere: bool = False
    """Said by the scheduler of a worker whose nanny runs in another process
    (``--scheduler``, ``--cluster slurm|pbs|kubernetes``): its memory stop is known, a
    signal or an exit code is not."""
    watched: bool = True
    """Whether a nanny watched the worker; ``False`` for one started with ``dask worker
    --no-nanny``, whose end nothing saw (no memory stop, no exit code, no signal)."""


_DEATH_SAID = re.compile(r"Worker process (\d+) (?:was killed by signal (\d+)|exited with "
                         r"status (-?\d+)|was killed by unknown signal)")
_MEMORY_SAID = re.compile(r"\(pid=(\d+)\) exceeded (\d+)% memory budget")
_DEATHS: deque[WorkerDeath] = deque(maxlen=256)
_MEMORY_STOPS: dict[int, int] = {}
_DEATHS_LOCK = threading.Lock()


class WorkerDeaths(logging.Filter):
    """Keeps what distributed's nannies (in this process: the embedded cluster's) say of
    a worker process that ended, "Worker process 123 was killed by signal 11" and
    "Worker ... (pid=123) exceeded 95% memory budget. Restarting...", as
    :class:`WorkerDeath` records for :func:`killed_worker_error`, and drops every nanny
    record under ERROR, as the job's process had (its loggers at ERROR,
    :func:`pipelines.cluster._quiet_logs`), where these lines were never made: a task
    whose workers kept dying was said "out of memory?" whatever had killed them."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            text = record.getMessage()
        except Exception:  # a record whose arguments do not fit its format: not ours
            return record.levelno >= logging.ERROR
        death, memory = _DEATH_SAID.search(text), _MEMORY_SAID.search(text)
        with _DEATHS_LOCK:
            if memory is not None:
                _MEMORY_STOPS[int(memory[1])] = int(memory[2])
            if death is not None:
                pid = int(death[1])
                code = (-int(death[2]) if death[2] is not None
                        else int(death[3]) if death[3] is not None else None)
                _DEATHS.append(WorkerDeath(pid, code, _MEMORY_STOPS.pop(pid, None)))
        return record.levelno >= logging.ERROR


_WORKER_DEATHS = WorkerDeaths()
_NANNY_LOGGERS = ("distributed.nanny", "distributed.nanny.memory")
"""The loggers of a nanny's word of its worker's end (its memory monitor's is the second);
a filter holds for the records of its own logger only."""


def watch_worker_deaths() -> None:
    """Make the nannies of this process say how each worker process ended, to
    :class:`WorkerDeaths` alone (the loggers of :data:`_NANNY_LOGGERS` at INFO, their
    records under ERROR dropped by that filter, so the terminal shows what it showed)."""
    for name in _NANNY_LOGGERS:
        logger = logging.getLogger(name)
        if _WORKER_DEATHS not in logger.filters:
            logger.addFilter(_WORKER_DEATHS)
        logger.setLevel(logging.INFO)


def _death_of(pid: object, *, wait: float = 2.0) -> WorkerDeath | None:
    """How the worker process ``pid`` ended, as its nanny in this process said it; the
    scheduler can give up on a task a moment before the nanny sees its process end, so
    this waits up to ``wait`` seconds for the nanny's word. ``None`` for a worker of
    another process's nanny (``--scheduler``, a batch system's job) or none said."""
    if not isinstance(pid, int) \
            or _WORKER_DEATHS not in logging.getLogger("distributed.nanny").filters:
        return None
    until = time.monotonic() + wait
    while True:
        with _DEATHS_LOCK:
            for death in reversed(_DEATHS):
                if death.pid == pid:
                    return death
        if time.monotonic() >= until:
            return None
        time.sleep(0.05)


_CRASH_SIGNALS = {
    signal.SIGSEGV: "a segmentation fault in native code (a C library such as GDAL or "
                    "PROJ, or a stack too small: ulimit -s), not a lack of memory",
    signal.SIGBUS: "a bus error: a file it had mapped was cut short or changed under the "
                   "job, or the disk failed, not a lack of memory",
    signal.SIGABRT: "an abort in native code (a C library's failed check, or a corrupt "
                    "heap), not a lack of memory",
    signal.SIGILL: "an illegal instruction: a library built for another CPU, not a lack "
                   "of memory",
    signal.SIGFPE: "an arithmetic fault in native code, not a lack of memory",
}
"""The signals by which a process crashes on its own, with what each means for a worker."""


def _how_it_died(death: WorkerDeath | None, limit_text: str) -> tuple[str, str]:
    """What killed a worker (the words in the ``KilledWorker`` line's parentheses) and the
    fix to give, from the nanny's word of its death (``None``: not known)."""
    memory_fix = ("Give each worker more memory (fewer --workers, or larger workers on a "
                  "cluster) or use smaller chunks (the region's chunk size), check "
                  "'prospect plan', then run the same command again")
    if death is None:
        return f"out of memory? {limit_text}", memory_fix
    if not death.watched:
        return (f"it ran without a nanny (dask worker --no-nanny), so nothing watched its "
                f"memory or saw how it ended: it crashed (a segmentation fault in a C "
                f"library such as GDAL or PROJ) or was killed (the system's OOM killer "
                f"when its host ran short of memory, a batch system's time or memory "
                f"limit, a kill -9); {limit_text}",
                "See how it ended in the worker's own log (the terminal of 'dask worker' "
                "or its batch job's output file) and, for the OOM killer, in 'dmesg' on "
                "its host; start the worker again (without a nanny it is not restarted), "
                "better without --no-nanny, so that a stop at its memory limit is told "
                "from a crash, then run the same command again")
    if death.memory_percent is not None:
        held = f" ({death.rss / 2**30:.1f} GiB in use)" if death.rss is not None else ""
        return (f"its nanny stopped it at {death.memory_percent}% of its memory "
                f"limit{held}; {limit_text}"), memory_fix
    if death.elsewhere:
        return (f"not stopped by its nanny at its memory limit, which the scheduler would "
                f"have been told: it crashed (a segmentation fault in a C library such as "
                f"GDAL or PROJ) or was killed (the system's OOM killer, a batch system's "
                f"time or memory limit, a kill -9); {limit_text}",
                "See how it ended in the worker's own log (its batch job's output file, "
                "'kubectl logs', or the terminal of 'dask worker') and, for the OOM "
                "killer, in 'dmesg' on its host; give each worker more memory or the "
                "batch job more time if it was killed, then run the same command again")
    code = death.exitcode
    if code is None:
        return f"killed by a signal its nanny could not name; {limit_text}", memory_fix
    if code > 128 and code - 128 in set(signal.Signals):
        code = 128 - code  # a shell's (or a container's) word for a death by signal
    if code >= 0:
        return (f"the worker process exited with status {code}; {limit_text}",
                "To see why, run the same command again with PROSPECT_DEBUG=1 (the "
                "workers' log)")
    try:
        number = signal.Signals(-code)
    except ValueError:
        return f"killed by signal {-code}; {limit_text}", memory_fix
    if number in _CRASH_SIGNALS:
        return (f"killed by {number.name}, {_CRASH_SIGNALS[number]}",
                "To see where, run the same command again with PROSPECT_DEBUG=1 (the "
                "workers' log), check 'ulimit -s' and the versions of GDAL and PROJ, "
                "and report it with 'prospect --version'")
    if number == signal.SIGKILL:
        return (f"killed by SIGKILL: the system's OOM killer when the machine ran short "
                f"of memory (see 'dmesg' or 'journalctl -k'), a batch system's time or "
                f"memory limit, or a kill -9; {limit_text}",
                memory_fix.replace("Give each worker more memory", "Give each worker "
                                   "more memory or the batch job more time", 1))
    return (f"killed by {number.name} (by a user, a batch system or another program); "
            f"{limit_text}", "Find what stops the workers, then run the same command "
                             "again")


_MEMORY_EVENT = "worker-restart-memory"
"""The scheduler's topic of a nanny's stop of its worker at the memory limit (distributed's
terminate fraction), whichever process the nanny runs in: ``{"worker", "pid", "rss"}``."""


def _terminate_percent() -> int:
    """distributed's terminate fraction (``distributed.worker.memory.terminate``), in %."""
    import dask

    fraction = dask.config.get("distributed.worker.memory.terminate", 0.95)
    return round(100 * float(fraction or 0.95))


def _death_told_to(client: Any, worker: Any, *, wait: float = 2.0) -> WorkerDeath | None:
    """How ``worker`` (the ``KilledWorker``'s last, a worker whose nanny runs in another
    process) ended as far as the scheduler of ``client`` knows: stopped by its nanny at
    its memory limit (:data:`_MEMORY_EVENT`, matched by address and pid; it can reach the
    scheduler a moment after the task is given up, so this waits up to ``wait``
    seconds), else not (a crash or a kill, :attr:`WorkerDeath.elsewhere`). ``None`` where
    no nanny watched it (``dask worker --no-nanny``), or the scheduler does not answer."""
    pid, address = getattr(worker, "pid", None), getattr(worker, "address", None)
    if client is None or not isinstance(pid, int) or not getattr(worker, "nanny", None):
        return None
    limit = getattr(worker, "memory_limit", None)
    until = time.monotonic() + wait
    while True:
        try:
            events = client.get_events(_MEMORY_EVENT)
        except Exception:  # a scheduler that went: the run says so in its own line
            return None
        for _stamp, said in reversed(list(events or ())):
            if not isinstance(said, dict) or said.get("pid") != pid \
                    or said.get("worker") not in (None, address):
                continue
            rss = said.get("rss")
            if not isinstance(rss, int | float) or not isinstance(limit, int | float) \
                    or limit <= 0:  # an event of another form: the stop, not its figure
                return WorkerDeath(pid, None, _terminate_percent(), elsewhere=True)
            return WorkerDeath(pid, None, round(100 * rss / limit), int(rss), elsewhere=True)
        if time.monotonic() >= until:
            return WorkerDeath(pid, None, elsewhere=True)
        time.sleep(0.1)


def _unwatched(worker: Any) -> WorkerDeath | None:
    """The end of ``worker`` (a ``KilledWorker``'s last, the scheduler's record of it)
    when no nanny watched it: a worker started with ``dask worker --no-nanny`` (its
    record's ``nanny`` is empty), of which neither the scheduler nor any nanny knows how
    it ended; ``None`` for a worker with a nanny, or a record that does not say."""
    if not hasattr(worker, "nanny") or getattr(worker, "nanny", None):
        return None
    pid = getattr(worker, "pid", None)
    return WorkerDeath(pid if isinstance(pid, int) else 0, None, elsewhere=True,
                       watched=False)


def killed_worker_error(exc: BaseException, stage: str, *, client: Any = None
                        ) -> StageError | None:
    """``exc`` as one line when dask gave up on a task whose workers kept dying.

    ``distributed.KilledWorker`` means each worker that ran the task died while running
    it: the nanny stopped it at its memory limit, the system's OOM killer, a batch
    system or a user killed it, or it crashed in native code (a segmentation fault). It
    is not a bug in Prospect, and its own text (a task key, a worker address and a web
    page) says nothing of what to change. Where the worker's nanny ran in this process
    (the embedded cluster), the line says how the last worker ended
    (:class:`WorkerDeaths`): a crash is not called "out of memory?" and not answered
    with more memory. Where it ran in another process (``--scheduler``, a batch
    system's or Kubernetes' workers), ``client``'s scheduler tells a stop at the memory
    limit (its ``worker-restart-memory`` event, with the memory in use) from any other
    end (:func:`_death_told_to`). A worker without a nanny (``dask worker
    --no-nanny``) is said so, with where to see how it ended (:func:`_unwatched`), not
    "out of memory?". ``None`` for any other exception.
    """
    try:
        from distributed.scheduler import KilledWorker
    except ImportError:  # pragma: no cover - distributed is a core dependency
        return None
    if not isinstance(exc, KilledWorker):
        return None
    task = exc.task
    name = task[0] if isinstance(task, tuple) and task else task
    limit = getattr(exc.last_worker, "memory_limit", None)
    limit_text = (f"its memory limit is {limit / 2**30:.1f} GiB"
                  if isinstance(limit, int | float) and limit > 0 else "it had no memory limit")
    death = _death_of(getattr(exc.last_worker, "pid", None))
    if death is None:
        death = _unwatched(exc.last_worker)
    if death is None:  # its nanny in another process: what the scheduler was told
        death = _death_told_to(client, exc.last_worker)
    how, fix = _how_it_died(death, limit_text)
    said = how if how.startswith("out of memory?") else f"the last: {how}"
    return StageError(
        f"stage {stage}: the {exc.allowed_failures + 1} worker(s) that ran task "
        f"{str(name)[:80]!r} each died running it ({said}); {stage_keeps(stage)}. {fix}")


PROCESS_LIMITS = (("RLIMIT_AS", "address space", "ulimit -v"),
                  ("RLIMIT_DATA", "data memory", "ulimit -d"),
                  ("RLIMIT_NPROC", "processes and threads", "ulimit -u"))
"""The limits of a process (name in :mod:`resource`, what, the shell's word) under which
a thread, a worker process or memory can be refused."""


def limits_set(*, memory: bool = True, processes: bool = False) -> str | None:
    """This process's finite limits on memory (``ulimit -v``, ``ulimit -d``) and, with
    ``processes``, on processes (``ulimit -u``), as ``"address space (ulimit -v) 1.2
    GiB"``; ``None`` where none is set or the system has no such limits."""
    try:
        import resource
    except ImportError:  # not a Unix system: no such limits
        return None
    said = []
    for name, what, shell in PROCESS_LIMITS:
        if not (processes if name == "RLIMIT_NPROC" else memory):
            continue
        soft = resource.getrlimit(getattr(resource, name))[0]
        if soft == resource.RLIM_INFINITY:
            continue
        amount = str(soft) if name == "RLIMIT_NPROC" else f"{soft / 2**30:.1f} GiB"
        said.append(f"{what} ({shell}) {amount}")
    return ", ".join(said) or None


def _under_limits(*, processes: bool = False) -> str:
    """`` under this process's limits: address space (ulimit -v) 1.2 GiB`` where a memory
    limit (with ``processes``, or a process limit) is set, else ``""``: an allocation or a
    thread refused far below the machine's memory."""
    limited = limits_set(processes=processes)
    return "" if limited is None else f" under this process's limits: {limited}"


STAGE_KEEPS = {
    "tiles": "tiles/ and viewer/ keep the last run's layers, if any (a layer is "
             "published only whole; the next run draws every layer again)",
    "train": "model/ keeps the last run's whole model, if any, with its metrics.json and "
             "report (a model is published only with them); nothing of this training is "
             "resumed, the next run trains from the start",
}
"""What a stage that stopped on an error keeps, where it is not its finished chunks: the
tiles stage publishes a layer only whole (:func:`pipelines.stages.tiles.run`), and said
"finished chunks are kept" of tiles it threw away; the train stage keeps no chunks (its
folds and fit are held in memory) and publishes its model folder only whole
(:func:`prospect.registry.save_model`, its metrics and report written in the same staging
folder), and said "finished chunks are kept" of a training it had lost."""


def stage_keeps(stage: str) -> str:
    """What ``stage`` keeps when it stops on an error, as the words of its one line:
    :data:`STAGE_KEEPS`, else its finished chunks (a stage writing the cube block by
    block, resumed by the next run)."""
    return STAGE_KEEPS.get(stage, "finished chunks are kept")


_STAGES_OWN = "the stage's own"
""":func:`out_of_memory_error`'s ``kept`` by default: what :func:`stage_keeps` says."""


def out_of_memory_error(exc: BaseException, stage: str, *,
                        kept: str | None = _STAGES_OWN) -> StageError | None:
    """``exc`` as one line when a task, or the job itself, ran out of memory or threads;
    ``None`` for any other exception.

    A ``MemoryError`` (numpy's "Unable to allocate 977. MiB for an array with shape
    (16000, 16000)", under ``ulimit -v``, a container's or a batch job's memory limit
    without swap, or a worker without a nanny) and Python's "can't start new thread" (the
    same limits, or the number of processes, ``ulimit -u``) ended the job as "internal
    error: MemoryError" (exit 70), a bug to report, with no word of what to change. The
    chain of causes is searched, as a worker's error reaches the job wrapped. ``kept``:
    what the line says is kept (by default the stage's own, :func:`stage_keeps`;
    ``None``: nothing said, for a command that failed before any stage, while its modules
    loaded).
    """
    if kept == _STAGES_OWN:
        kept = stage_keeps(stage)
    kept_said = f"; {kept}. " if kept else ". "
    seen: set[int] = set()
    found: BaseException | None = exc
    while found is not None and id(found) not in seen:
        seen.add(id(found))
        if isinstance(found, MemoryError):
            what = str(found).strip() or "MemoryError"
            whole = _read_whole(what)
            if whole is not None:
                return StageError(
                    f"stage {stage}: out of memory ({what[:160]}){_under_limits()}"
                    f"{kept_said}{whole}, or give the job more memory (ulimit -v, the "
                    "batch job's --mem), then run the same command again")
            return StageError(
                f"stage {stage}: out of memory ({what[:160]}){_under_limits()}{kept_said}"
                "Use smaller chunks (the region's chunk size; 'prospect plan' shows the memory"
                " each worker needs), fewer --workers, or give the job more memory "
                "(ulimit -v, the batch job's --mem), then run the same command again")
        said = _library_out_of_memory(found)
        if said is not None:
            return StageError(
                f"stage {stage}: out of memory ({said}){_under_limits()}{kept_said}Give the "
                "job more memory (ulimit -v, a container's or the batch job's --mem), or use "
                "fewer --workers or smaller chunks (the region's chunk size; 'prospect plan' "
                "shows the memory each worker needs), then run the same command again")
        if isinstance(found, RuntimeError) and "can't start new thread" in str(found):
            return StageError(
                f"stage {stage}: the system refused a new thread ({found}): the job's "
                "memory (ulimit -v, a container's limit) or its number of processes "
                f"(ulimit -u) is too low{_under_limits(processes=True)}{kept_said}"
                "Raise the limit or use "
                "fewer --workers, then run the same command again")
        found = found.__cause__ or found.__context__
    return None


_GDAL_READING = re.compile(r"^GDAL reading (?P<path>.+?): ")
"""How :func:`prospect.io.raster.raster_info` names the file GDAL was refused memory for
(``MemoryError("GDAL reading /data/big.tif: cannot allocate 576000000 bytes")``)."""


def _read_whole(what: str) -> str | None:
    """The fix for a memory refusal ``what`` of GDAL reading a file stored as one block
    of the whole image (a strip or tile: GDAL loads a whole block to read any part of it,
    so smaller chunks do not help); ``None`` for any other refusal or file.

    The line said "use smaller chunks" of such a file; the block-size check's own fix
    (:func:`prospect.io.raster.raster_info`, over ``PROSPECT_MAX_BLOCK_BYTES``) is to
    rewrite it tiled.
    """
    match = _GDAL_READING.match(what)
    if match is None:
        return None
    path = match["path"]
    try:
        import rasterio

        with rasterio.open(path) as src:
            rows, cols = src.block_shapes[0]
            whole = (rows, cols) == (src.height, src.width) and src.height > 1
            netcdf = src.driver in ("netCDF", "HDF5", "HDF5Image", "HDF4", "HDF4Image")
    except Exception:  # gone or unreadable now: the usual line
        return None
    if not whole:
        return None
    name = Path(path).name
    fix = (f"rewrite it in smaller chunks (e.g. nccopy -c y/512,x/512 {name} chunked.nc, "
           "with its own dimension names)" if netcdf else
           f"rewrite it tiled (gdal_translate -co TILED=YES -co BLOCKXSIZE=512 -co "
           f"BLOCKYSIZE=512 -co COMPRESS=DEFLATE {name} tiled.tif, or -of COG)")
    return (f"{name} is stored as one block of the whole image ({rows} x {cols} cells), "
            "which GDAL reads whole for any chunk of it, so smaller chunks do not help: "
            f"{fix} and give that file")


def _library_out_of_memory(exc: BaseException) -> str | None:
    """What in ``exc`` says a library's allocation failed, in a few words; ``None`` if
    nothing does.

    Under a memory limit (``ulimit -v``, a batch job's address-space limit) the first
    allocation to fail is as often one of PROJ's or GDAL's as numpy's, and they say it in
    their own error: ``pyproj.exceptions.CRSError: Invalid projection: PROJCRS[...3000
    characters...]: (Internal Proj Error: proj_create: std::bad_alloc)`` (when the cube's
    grid is made), GDAL's ``CPLE_OutOfMemoryError``, an ``OSError`` of ``ENOMEM`` (a
    memory map, a fork). The job ended in "internal error" (exit 70), a bug to report,
    with a CRS read as invalid.
    """
    if isinstance(exc, ProspectError):  # said as it is (its causes are looked at)
        return None
    if isinstance(exc, OSError) and exc.errno == errno.ENOMEM:
        return os.strerror(errno.ENOMEM)
    text = str(exc)
    if type(exc).__name__ == "CPLE_OutOfMemoryError":
        return f"GDAL: {text[:120]}"
    if isinstance(exc, SystemError) and "without exception set" in text and limits_set():
        # a library's allocation failed without a word (a module's start, under ulimit -v)
        return f"SystemError: {text[:80]}"
    said = _gdal_said_no_memory()
    if said is not None and type(exc).__module__.startswith(("rasterio", "pyproj")):
        return f"GDAL: {said}"  # the allocation named only in GDAL's own message
    for words in NO_MEMORY_WORDS:
        at = text.find(words)
        if at >= 0:  # the words and what names the library: the tail of a long message
            start = text.rfind("(", 0, at)
            start = start if start >= 0 and at - start <= 80 else at  # no "(": the words
            return f"{type(exc).__name__}: {text[start:at + len(words)].lstrip('(')}"
    return None


def removed_output(exc: OSError, out_dir: Path) -> bool:
    """Whether ``exc`` says a file of the job's output directory is gone (zarr raises
    ``FileNotFoundError`` without an errno or a file name, naming the path in its text)."""
    if not isinstance(exc, FileNotFoundError):
        return False
    if exc.filename is not None:
        return _inside(exc.filename, out_dir)
    return exc.errno in (None, errno.ENOENT) and str(out_dir) in str(exc)


def _inside(path: object, out_dir: Path) -> bool:
    """Whether ``path`` (an error's file name) is ``out_dir`` or inside it."""
    if not isinstance(path, str | Path):
        return False
    here = Path(path).absolute()
    return here == out_dir or out_dir in here.parents
