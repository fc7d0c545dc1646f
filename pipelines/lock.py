"""One job per output directory: an OS file lock held for the whole run.

``<out>/.prospect.lock`` is locked with ``flock`` while a job writes there. The kernel
drops the lock when the holder exits, however it exits (a SIGKILL included), so a stale
lock never blocks a rerun. The file also says who holds it (pid, host, start time), for
the error a second job gets.

Some network file systems do not share ``flock`` between hosts (NFS mounted with
``local_lock``, Lustre with ``localflock``, some SMB set-ups): two batch jobs on two
nodes both got the lock and wrote one output directory at once. The holder therefore
rewrites the file every :data:`HEARTBEAT` seconds (its ``beat`` count) and marks it
``released`` when it ends. A job that gets the ``flock`` while the file names a holder on
another host that has not released it watches the file for :data:`FOREIGN_WAIT` seconds:
a holder still beating is alive (refused, as a held ``flock`` is); one that stopped
(killed, its node lost) is not, and the job goes on.

Two such jobs started in the same second each read the file before the other wrote it,
and both went on; so did a job suspended (``kill -STOP``, ``scontrol suspend``) longer
than another host's job watched its still file, once resumed. Each holder's record
carries a token of its own; the holder reads the file back :data:`SETTLE` seconds after
it wrote it, before each beat and at the end, from its heartbeat thread (a normal start
waits for nothing). A record with another token that is
not released means another job writes here: the holder whose record was overwritten
stops (its main thread is interrupted, the stage recorded ``interrupted``, exit 75 naming
the other job), writes nothing more to the lock file or the manifest
(:func:`check_held`), and the job whose record stands goes on.
"""

from __future__ import annotations

import datetime as dt
import errno
import fcntl
import json
import os
import platform
import stat
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING

from prospect.errors import OutputBusyError, OutputWriteError
from prospect.io.files import add_publish_guard, fsync_if_able, temp_name

if TYPE_CHECKING:
    from distributed import Client

__all__ = ["FOREIGN_WAIT", "HEARTBEAT", "LOCK_FILE", "SETTLE", "check_held", "cube_lock",
           "holder_now", "lock_on_workers", "output_lock", "publish_check"]

LOCK_FILE = ".prospect.lock"
_READ_ONLY = (errno.EROFS, errno.EACCES, errno.EPERM)

HEARTBEAT = 2.0
"""Seconds between the holder's rewrites of its lock file (``beat``)."""

FOREIGN_WAIT = 2.5 * HEARTBEAT
"""Seconds a job watches a lock file that names an unreleased holder on another host."""

SETTLE = 0.5
"""Seconds after the holder first wrote its lock file that it reads it back (in its
heartbeat thread): another job started on another host in the same second has written
its own record by then."""

_HELD: dict[str, _Heartbeat] = {}
"""The heartbeat of each output directory this process holds (by its real path)."""


def _read_info(path: Path) -> dict[str, object]:
    """What the lock file at ``path`` says, opened anew (a network file system shows
    another host's writes on open); ``{}`` when it cannot be read or is no record."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return {}
    try:
        info = json.loads(os.pread(fd, 4096, 0).decode() or "{}")
    except (OSError, ValueError):
        info = {}
    finally:
        os.close(fd)
    return info if isinstance(info, dict) else {}


def written_by_this_process(path: Path | str) -> bool:
    """Whether the lock file at ``path`` holds no record or this process's own: a file
    naming another job (another host's, whose ``flock`` this kernel does not see) is
    that job's and must never be removed by this one."""
    info = _read_info(Path(path))
    if not info:
        return True
    return info.get("pid") == os.getpid() and info.get("host") == platform.node()


def _foreign_holder(path: Path, info: dict[str, object],
                    say: Callable[[str], None] | None) -> str | None:
    """Who holds the lock from another host, when the file ``info`` was read from names
    an unreleased holder there and it is still beating; ``None`` otherwise (the same host,
    whose ``flock`` the kernel keeps; released; or stopped: killed, its node lost)."""
    host = info.get("host")
    if not isinstance(host, str) or host == platform.node() or info.get("released") \
            or "pid" not in info:
        return None
    if say is not None:
        say(f"{path}: names Prospect job pid {info['pid']} on {host}, which did not "
            f"release it; watching it {FOREIGN_WAIT:g} s to see whether that job still runs")
    deadline = time.monotonic() + FOREIGN_WAIT
    while time.monotonic() < deadline:
        time.sleep(HEARTBEAT / 4)
        now = _read_info(path)
        if now and now != info:
            if now.get("released"):
                return None
            return (f"Prospect job pid {now.get('pid', '?')} on {now.get('host', '?')}, "
                    f"started {now.get('started', '?')} (its lock file is rewritten as it "
                    "runs; this file system does not share locks between hosts)")
    return None


def _flock_held(st: os.stat_result, locks: str) -> int | None:
    """The pid holding an ``flock`` of the file of ``st``, as the kernel lists it in
    ``locks`` (the text of ``/proc/locks``: ``1: FLOCK  ADVISORY  WRITE 1234
    fe:00:5678 0 EOF``, the device's major and minor numbers in hex); ``None`` when none
    is held (a waiter's ``->`` line holds nothing)."""
    wanted = (os.major(st.st_dev), os.minor(st.st_dev), st.st_ino)
    for line in locks.splitlines():
        fields = line.split()
        if len(fields) < 6 or fields[1] != "FLOCK" or "->" in fields[:2]:
            continue
        try:
            major, minor, inode = fields[5].split(":")
            where = (int(major, 16), int(minor, 16), int(inode))
        except ValueError:
            continue
        if where == wanted:
            return int(fields[4]) if fields[4].isdigit() else 0
    return None


def _alive(pid: object) -> bool:
    """Whether a process of ``pid`` runs on this host (one of another user counts)."""
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except PermissionError:
        return True
    except OSError:
        return False
    return True


def holder_now(out_dir: Path) -> str | None:
    """Who holds the lock of ``out_dir`` now, found without taking it (``prospect plan
    -o``, which writes nothing); ``None`` when no job does.

    A look that takes no lock: a shared ``flock`` probe would refuse a run that starts
    in that instant. On this host the kernel's own list of ``flock`` holders is read
    (``/proc/locks``; where there is none, the recorded pid is asked whether it runs); a
    record of another host (a network file system that does not share ``flock``) counts
    while its holder still rewrites it (:data:`HEARTBEAT`) and has not released it: its
    last write within :data:`FOREIGN_WAIT` by the clock of the file system it is on (a
    hidden probe file made and removed there, the file server's clock, whatever this
    host's says). A record left by a killed job (not released, no lock held) is nobody's.
    """
    path = Path(out_dir) / LOCK_FILE
    try:
        st = os.stat(path, follow_symlinks=False)
    except OSError:
        return None
    if not stat.S_ISREG(st.st_mode):
        return None
    info = _read_info(path)
    named = (f"Prospect job pid {info['pid']} on {info.get('host', '?')}, started "
             f"{info.get('started', '?')}") if "pid" in info else "another Prospect job"
    host = info.get("host")
    if isinstance(host, str) and host != platform.node():
        if info.get("released") or "pid" not in info:
            return None
        from pipelines.manifest import file_system_now  # the file server's clock

        fresh = abs(file_system_now(path.parent) - st.st_mtime_ns) <= FOREIGN_WAIT * 1e9
        return f"{named} (its lock file is still rewritten as it runs)" if fresh else None
    try:
        with open("/proc/locks", encoding="ascii", errors="replace") as locks:
            held = _flock_held(st, locks.read())
    except OSError:  # no /proc (another system): the recorded holder, if it runs
        return named if not info.get("released") and _alive(info.get("pid")) else None
    if held is None:
        return None
    return named if "pid" in info else f"Prospect job pid {held}"


class _Heartbeat:
    """Rewrite the held lock file every :data:`HEARTBEAT` seconds from a daemon thread,
    and mark it ``released`` at the end; read it back first (after :data:`SETTLE` seconds,
    then before each beat) and stop the job when another job's record is there
    (:attr:`lost`)."""

    def __init__(self, fd: int, path: Path, info: dict[str, object]) -> None:
        self.fd, self.path = fd, path
        self.info = dict(info, token=uuid.uuid4().hex, beat=0)
        self.lost: str | None = None
        """Who else writes this lock file (``None``: nobody found)."""
        self.removed: OutputWriteError | None = None
        """What the job is told when its output directory was removed or replaced under
        it (``None``: it is there): :meth:`_gone`."""
        self._stop = threading.Event()
        self._main = threading.main_thread().ident == threading.get_ident()
        self._write()
        self._thread = threading.Thread(target=self._run, name="prospect-lock-heartbeat",
                                        daemon=True)
        self._thread.start()

    def _write(self) -> None:
        text = json.dumps(self.info).encode()
        os.pwrite(self.fd, text, 0)
        os.ftruncate(self.fd, len(text))

    def _taken(self, *, interrupt: bool = True) -> bool:
        """Whether the lock file now holds another job's unreleased record (a job on a
        host that does not share ``flock`` with this one, started as this one was); then
        the job's main thread is interrupted (``interrupt``) and :attr:`lost` says who.
        Found once, it is never interrupted again (the main thread may have found it
        itself, before a publish, and be unwinding: :func:`check_held`)."""
        if self.lost is not None:
            return True
        now = _read_info(self.path)
        if not now or now.get("token") == self.info["token"] or now.get("released") \
                or "pid" not in now:
            return False  # ours, released, or cut short mid-write: read again next beat
        self.lost = (f"Prospect job pid {now.get('pid', '?')} on {now.get('host', '?')}, "
                     f"started {now.get('started', '?')} (it wrote the lock file after this "
                     "job did: it started as this one did, or took the folder while this "
                     "one was suspended; this file system does not share locks between "
                     "hosts)")
        if interrupt and self._main:  # the job stops as on Ctrl-C, then says why
            from pipelines.faults import interrupt_main_thread

            interrupt_main_thread()
        return True

    def _gone(self) -> bool:
        """Whether the output directory was removed, moved or replaced since the job took
        it (:func:`_removed_under`, one ``lstat``); then the job's main thread is
        interrupted and :attr:`removed` says what happened.

        Found only at the job's next write before: a stage that computes for long without
        writing under ``-o`` (train's cross-validation, a big score) ran on to its end for
        nothing, tens of seconds on the demo job, hours on a region."""
        if self.removed is None:
            self.removed = _removed_under(self.path.parent, self)
            if self.removed is not None and self._main:
                from pipelines.faults import interrupt_main_thread

                interrupt_main_thread()
        return self.removed is not None

    def _run(self) -> None:
        beats, wait = 0, SETTLE
        while not self._stop.wait(wait):
            if self._taken():
                return  # never written again: the other job's record stands
            if self._gone():
                return  # the job stops: nothing of it is there to write to
            beats, wait = beats + 1, HEARTBEAT
            self.info["beat"] = beats
            with suppress(OSError):  # a full disk or a lost server: the run itself says
                self._write()

    def stop(self) -> None:
        """End the thread and mark the file ``released`` (unless another job's now).

        A stop (Ctrl-C, SIGTERM) or this heartbeat's own interrupt met in the wait is
        held until the thread ended and the file says so: cut short there, the thread
        beat on after the job, into whichever file next took the closed descriptor's
        number, and the record was never marked released (a second ``join`` did not
        help: :func:`pipelines.faults.run_through_stops`)."""
        from pipelines.faults import run_through_stops

        self._stop.set()
        stop = run_through_stops(self._thread.join, name="prospect-lock-release")
        self._release()
        if stop is not None:
            raise stop

    def _release(self) -> None:
        if self.lost is not None or self._taken(interrupt=False):
            return  # the file is the other job's now (a job quicker than SETTLE: found here)
        self.info["released"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        with suppress(OSError):
            self._write()


def check_held(out_dir: Path) -> None:
    """Raise :class:`OutputBusyError` when this process holds the lock of ``out_dir`` and
    another job writes there now (:class:`_Heartbeat`): nothing more may be written there
    (the manifest is the other job's). Nothing otherwise, and nothing for a directory this
    process does not lock.

    The lock file is read anew (one ``open`` and ``pread``, tens of microseconds), not
    only the heartbeat's last finding: a job that lost the directory in the heartbeat's
    read-back window (two jobs started in the same second, :data:`SETTLE`; a job resumed
    after a suspension, whose main thread ran on before its heartbeat thread woke) wrote
    its manifest, or published a finished output, over the other job's before it saw so.
    Called right before each publish (:func:`publish_check`).
    """
    beat = _HELD.get(os.path.realpath(out_dir))
    if beat is None:
        return
    _still_there(out_dir, beat)
    if beat.lost is None:
        beat._taken(interrupt=False)
    if beat.lost is not None:
        raise _left_to_other(out_dir, beat.lost)


def _still_there(out_dir: Path, beat: _Heartbeat) -> None:
    """Raise :class:`OutputWriteError` when the lock file this job holds is no longer
    ``out_dir``'s (the directory, or the folder a link given as ``-o`` points to, deleted
    or replaced while the job ran).

    Removed between two stages, the directory was made again by the next manifest write
    (an atomic writer creates its folder): the manifest said the stage was done with its
    outputs gone, the next stage said "no cube yet; run 'prospect ingest'", and the new
    folder had no lock, so another job could take it while this one still wrote there.
    One ``lstat``, with every publish and manifest write.
    """
    gone = _removed_under(out_dir, beat)
    if gone is not None:
        raise gone


def _removed_under(out_dir: Path, beat: _Heartbeat) -> OutputWriteError | None:
    """The error :func:`_still_there` raises, or ``None`` while ``out_dir`` is the folder
    whose lock file this job holds. A file put where ``-o`` was (``ENOTDIR``) is a
    replacement too; any other unreadable state (a lost server) is left to the write
    itself to say."""
    try:
        there: os.stat_result | None = os.lstat(Path(out_dir) / LOCK_FILE)
    except (FileNotFoundError, NotADirectoryError):
        there = None
    except OSError:
        return None
    held = os.fstat(beat.fd)
    if there is not None and (there.st_dev, there.st_ino) == (held.st_dev, held.st_ino):
        return None
    return OutputWriteError(
        f"{out_dir}: removed while the job ran, or replaced by another folder or a file (was "
        "the output directory, or the folder a link given as -o points to, deleted or "
        "moved?); nothing more is written there: run the same command again to resume")


REMOVAL_GRACE = 1.0
"""Seconds a job that met an output missing waits for its lock file to go too (an
``rm -r`` of ``-o`` under way) before it says the error it met."""


def _names_missing_output(exc: BaseException, out_dir: Path) -> bool:
    """Whether ``exc`` (or an error it was raised from) names a path under ``out_dir``
    that is not there now: what a job meets first while ``-o`` is being removed (the
    cube's ``zarr.json``, a map the next stage reads), before the lock file goes."""
    import re

    root = str(out_dir)
    named = re.compile(re.escape(root) + r"(?:/[^\s:;,'\"()]*)?")
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        names = [m.group(0) for m in named.finditer(str(current))]
        if isinstance(current, OSError) and isinstance(current.filename, str):
            names.append(current.filename)
        if any((n == root or n.startswith(root + os.sep)) and not os.path.lexists(n)
               for n in names):
            return True
        current = current.__cause__ or current.__context__
    return False


def _removal_finished(out_dir: Path, beat: _Heartbeat) -> OutputWriteError | None:
    """:func:`_removed_under`, asked again for up to :data:`REMOVAL_GRACE` seconds.

    The heartbeat may find the removal first, while this waits, and interrupt the main
    thread (:meth:`_Heartbeat._gone`): that interrupt is its finding, not a stop (it was
    told as Ctrl-C, "interrupted", exit 130, in one suite run under load)."""
    from pipelines.faults import Interrupted

    deadline = time.monotonic() + REMOVAL_GRACE
    try:
        while time.monotonic() < deadline:
            time.sleep(0.05)
            gone = beat.removed or _removed_under(out_dir, beat)
            if gone is not None:
                return gone
    except Interrupted:
        if beat.removed is None:
            raise
        return beat.removed
    return None


def publish_check(target: Path | str) -> None:
    """:func:`check_held` for the output directory this process locks that holds
    ``target`` (a file or folder about to be published there); nothing for a path in no
    such directory. Cheap enough for every rename that publishes an output.

    In a dask worker, the same for the output directories of the jobs whose tasks it runs
    (:func:`lock_on_workers`): a worker holds no lock, so a file it publishes (score's
    COGs) was renamed over another job's even after the job had lost its directory."""
    if not _HELD and not _WORKER_JOBS:
        return
    paths = {os.path.abspath(target), os.path.realpath(target)}  # -o given through a link

    def within(folder: str) -> bool:
        return any(p == folder or p.startswith(folder.rstrip(os.sep) + os.sep) for p in paths)

    for held in list(_HELD):
        if within(held):
            check_held(Path(held))
    for folder, tokens in list(_WORKER_JOBS.items()):
        if within(folder):
            _check_for_worker(Path(folder), tokens)


_WORKER_JOBS: dict[str, set[str]] = {}
"""In a dask worker: the output directories (real paths) of the jobs whose tasks it runs,
each with the tokens of those jobs' lock records (:func:`lock_on_workers`)."""


def _check_for_worker(out_dir: Path, tokens: set[str]) -> None:
    """Raise :class:`OutputBusyError` when the lock file of ``out_dir`` now names another
    job (an unreleased record whose token is none of ``tokens``)."""
    now = _read_info(out_dir / LOCK_FILE)
    if not now or now.get("token") in tokens or now.get("released") or "pid" not in now:
        return  # the job's own record, released, or cut short mid-write
    raise _left_to_other(out_dir, (
        f"Prospect job pid {now.get('pid', '?')} on {now.get('host', '?')}, started "
        f"{now.get('started', '?')} (it wrote the lock file after this job did; this file "
        "system does not share locks between hosts)"))


class _WorkerLock:
    """A worker plugin: the tasks of the job that holds ``out_dir`` with ``token`` check
    that it still does before each publish there (:func:`publish_check`).

    A worker that joins after the job's check of who sees ``out_dir``
    (:func:`refuse_unseen_by_workers`: adaptive scaling, a batch worker job that starts
    late, a worker restarted on another node) is asked here: one that does not find the
    job's lock file in ``out_dir`` sees another disk there (or none), so the stage's
    tasks it took would write where the job cannot read. It leaves the cluster at once,
    saying why in its log, and the scheduler gives its tasks to the workers that see the
    folder.
    """

    def __init__(self, out_dir: str, token: str, given: str | None = None) -> None:
        self.out_dir, self.token = out_dir, token
        self.given = given or out_dir  # -o as the job's tasks write it (not resolved)
        self.name = f"prospect-lock-{token[:16]}"

    def setup(self, worker: object) -> None:
        if not _lock_seen(self.given):
            _leave_blind(worker, self.given)
            return
        _WORKER_JOBS.setdefault(self.out_dir, set()).add(self.token)

    def teardown(self, worker: object) -> None:
        tokens = _WORKER_JOBS.get(self.out_dir, set())
        tokens.discard(self.token)
        if not tokens:
            _WORKER_JOBS.pop(self.out_dir, None)


def _lock_seen(out_dir: str) -> bool:
    """Whether this process finds the lock file of ``out_dir`` (held by the job for its
    whole run); ``True`` where it cannot tell (a read error other than "no such file")."""
    try:
        os.stat(os.path.join(out_dir, LOCK_FILE))
    except FileNotFoundError:
        return False
    except OSError:
        return True
    return True


def _leave_blind(worker: object, out_dir: str) -> None:
    """Close the dask ``worker`` (its nanny too, which would start it again), that does
    not see ``out_dir``, with one ERROR line in its log saying why and what to do."""
    import logging

    why = (f"prospect: this worker does not see the job's output folder {out_dir} (its "
           ".prospect.lock is not there: another disk, or none, is mounted at that path "
           "on this node), so it leaves the cluster before it takes any of the job's "
           "tasks; mount the shared disk at the same path on every node")
    logging.getLogger("distributed.worker").error(why)
    loop, close = getattr(worker, "loop", None), getattr(worker, "close", None)
    if loop is not None and close is not None:
        loop.add_callback(close, nanny=True, reason="prospect-output-folder-not-seen")


@contextmanager
def lock_on_workers(client: Client | None, out_dir: Path) -> Iterator[None]:
    """For the ``with`` block, every worker of ``client`` (and any that joins later)
    checks the lock of ``out_dir``, held by this process, before it publishes a file
    there: one that now names another job is refused with :class:`OutputBusyError`, as
    this process's own publishes are (:func:`check_held`). Workers that do not see
    ``out_dir`` as this process does are refused first (:func:`refuse_unseen_by_workers`).

    Best effort: a cluster whose workers cannot take the plugin (workers without
    Prospect) publishes as before; nothing happens for a directory this process does not
    lock, or without a client.
    """
    beat = _HELD.get(os.path.realpath(out_dir))
    if client is None or beat is None:
        yield
        return
    refuse_unseen_by_workers(client, out_dir)  # before anything is computed for -o
    from distributed.diagnostics.plugin import WorkerPlugin

    plugin = type("WorkerLock", (_WorkerLock, WorkerPlugin), {})(
        os.path.realpath(out_dir), str(beat.info["token"]), os.path.abspath(out_dir))
    registered = False
    try:
        client.register_plugin(plugin, name=plugin.name)
        registered = True
    except KeyboardInterrupt:  # stopped while the plugin went out: take it back
        _unregister(client, plugin.name)
        raise
    except Exception:  # best effort, as above
        pass
    try:
        yield
    except BaseException:
        # a job that failed, was stopped or lost -o: the check stays behind on a cluster
        # that outlives the job (a running scheduler, ``--scheduler``); one the job started
        # goes with it, its workers perhaps dying now (a closed terminal signals the whole
        # process group), where a broadcast to them printed the scheduler's tracebacks
        if registered and getattr(client, "cluster", None) is None:
            _unregister(client, plugin.name)
        raise
    if registered:
        _unregister(client, plugin.name)


def refuse_unseen_by_workers(client: Client, out_dir: Path) -> None:
    """Raise :class:`~prospect.errors.ConfigError` when a worker of ``client`` does not
    see ``out_dir`` as this process does: a file written there now (flushed and closed,
    so that a network file system shows it to other hosts) is not there for it.

    A scheduler whose workers mount the shared disk at another path, or not at all (a
    Kubernetes pod without the volume, a node's own ``/scratch``, a worker in a container
    of its own): the cube's chunks went to the workers' own disks, and the stage ended as
    "internal error: ArrayNotFoundError ... No array found in store", a bug to report,
    after the job had begun. Best effort: workers that cannot run the check (or none yet,
    on a batch system still queueing them) are not judged.
    """
    folder = os.path.abspath(out_dir)
    probe = temp_name(Path(folder) / "workers-see")  # swept as a leftover if killed here
    token = uuid.uuid4().hex
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    except OSError:  # the run's own writes say what is wrong with the folder
        return
    try:  # removed whatever happens: a write the full disk refused left it in -o
        try:
            os.write(fd, token.encode())
            fsync_if_able(fd)  # a file system that cannot sync (EINVAL): closed is enough
        finally:
            os.close(fd)
        seen = client.run(_sees_file(), str(probe), token, on_error="return")
    except Exception:  # best effort, as the lock on the workers; a write refused (a full
        return  # disk, a quota) is said by the run's own writes
    finally:
        with suppress(OSError):
            probe.unlink()
    unseen = sorted(str(addr) for addr, sees in seen.items() if sees is False)
    if not unseen:
        return
    from prospect.errors import ConfigError

    scheduler = getattr(getattr(client, "scheduler", None), "address", None) or "?"
    shown = ", ".join(unseen[:3]) + (f" and {len(unseen) - 3} more" if len(unseen) > 3 else "")
    raise ConfigError(
        f"{folder}: {len(unseen)} of the {len(seen)} dask worker(s) of {scheduler} "
        f"({shown}) do not see this folder as this process does (a file written there is "
        "not there for them), so what they write would go to another disk or nowhere: give "
        "-o a folder on a disk the workers share at the same path, or start the workers "
        "where it is mounted")


def _sees_file() -> Callable[[str, str], bool | None]:
    """A function telling whether its process sees the file ``path`` holding ``text``
    (``None``: it cannot tell); made here so it pickles by value, and workers need not
    import Prospect."""

    def sees_file(path: str, text: str) -> bool | None:
        try:
            with open(path, "rb") as f:
                return f.read(4096) == text.encode()
        except FileNotFoundError:
            return False  # no such folder or file there: another disk, or none
        except OSError:
            return None

    return sees_file


UNREGISTER_WAIT = 5.0
"""Seconds the removal of the lock's worker plugin may take (the scheduler's round of its
workers): a cluster that does not answer within them keeps the plugin, which lets more
through once the job's lock is gone, rather than hold the job's end."""


def _scheduler_gone(client: Client) -> bool:
    """Whether ``client`` lost its scheduler for good: not connected, and its address on
    this machine where nothing listens any more (:func:`pipelines.cluster._refused_here`,
    no grace); a scheduler elsewhere may come back, and is left to the bounded wait."""
    if getattr(client, "status", "running") in ("running", "newly-created"):
        return False
    if getattr(client, "status", None) in ("closing", "closed"):
        return True
    address = getattr(getattr(client, "scheduler", None), "address", None)
    if not isinstance(address, str):
        return False
    from pipelines.cluster import _refused_here

    return _refused_here(address, grace=0) is not None


def _unregister(client: Client, name: str) -> None:
    """Remove the worker plugin ``name`` from ``client``'s cluster, best effort, within
    :data:`UNREGISTER_WAIT` seconds; nothing where the scheduler is gone
    (:func:`_scheduler_gone`: its plugins went with it).

    ``client.unregister_worker_plugin`` has no bound of its own: with the ``--scheduler``
    scheduler killed mid-stage, it waited for the client to reconnect, the client's whole
    10 s, before the job said "lost the dask scheduler"; on a stop it waited for every
    worker's answer (1.7-4 s while a worker's cancelled task ended).

    The heartbeat stops a job that lost its directory by interrupting the main thread
    (:func:`pipelines.faults.interrupt_main_thread`), wherever it is: an interrupt in the
    ``with`` block of :func:`lock_on_workers` skipped the removal, and one during the
    removal cut it short; either way the workers of a cluster that outlives the job went
    on refusing every later publish in that directory. An interrupt during the removal is
    held while it is tried once more, then raised. No retry otherwise: the scheduler
    forgets the plugin before it tells the workers, so a second try only logs that the
    plugin does not exist. Workers already gone are logged by dask, and a stale token
    only lets more through.
    """
    if _scheduler_gone(client):
        return

    def remove() -> None:
        client.sync(client._unregister_worker_plugin, name=name, nanny=None,
                    callback_timeout=UNREGISTER_WAIT)

    try:
        remove()
    except KeyboardInterrupt:  # the stop arrived now: finish the removal first
        with suppress(Exception):
            remove()
        raise
    except Exception:  # best effort, as above (a timeout among them)
        pass

add_publish_guard(publish_check)  # every publish of prospect.io.files checks the lock


def _flock_or_refuse(fd: int, refusal: Callable[[str], str]) -> None:
    """Take the exclusive lock of the open lock file ``fd`` at once, or raise
    :class:`OutputBusyError` with ``refusal(holder)``, the holder as its record names it.

    A file system that has no locks at all (a FUSE or SMB mount: ``flock`` fails with
    EOPNOTSUPP) is said as one whose lock service is down (ENOLCK, with its cause and
    fix): "Operation not supported" alone said neither. Only here, where the errno can
    mean nothing else."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise OutputBusyError(refusal(_holder(fd))) from None
    except OSError as exc:
        if exc.errno not in _NO_LOCKS:
            raise
        raise OSError(errno.ENOLCK, f"{os.strerror(errno.ENOLCK)} ({exc.strerror})",
                      exc.filename) from None


_NO_LOCKS = frozenset({errno.EOPNOTSUPP, errno.ENOTSUP, errno.ENOSYS})
"""The errnos of ``flock`` on a file system that does not lock files."""


def _left_to_other(out_dir: Path, lost: str) -> OutputBusyError:
    """The refusal of a job that found ``lost`` writing ``out_dir`` and stopped."""
    return OutputBusyError(
        f"{out_dir}: in use by {lost}; this job stopped and left the directory "
        "to it: wait for it to finish, or give another -o")


def _can_create(out_dir: Path) -> bool:
    """Whether files can be created in ``out_dir`` (a hidden probe file, created and
    removed; its name is one the next run's sweep removes should this process die now).

    The lock file of an earlier run can be written where the folder itself cannot (its
    write bit taken away, ``chmod a-w``, another user's folder, ``chattr +i``): the
    job went on and every rerun ended at ``manifest.json`` ("operation not permitted",
    exit 74), even one with nothing to do, which a read-only file system's rerun
    reports as such (``read-only``: :func:`output_lock` yields ``False``).
    """
    probe = temp_name(out_dir / LOCK_FILE)
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except OSError as exc:
        if exc.errno in _READ_ONLY:
            return False
        raise
    os.close(fd)
    with suppress(OSError):
        os.unlink(probe)
    return True


def _removals_done() -> None:
    """Wait for the folders this process's stages set aside to be removed
    (:func:`prospect.io.cube.removals_done`), when the cube module was ever loaded.

    They were removed by a thread of their own that the interpreter joined only on its
    way out, after the lock was let go: another job that took the directory at once (the
    next job of a notebook or a library caller, another process) met a folder vanishing
    under it, and its sweep took this job's removal for an interrupted run's leftovers.
    A stop while waiting unwinds as any stop (what is left is swept by the next job).
    """
    cube = sys.modules.get("prospect.io.cube")
    if cube is not None:
        cube.removals_done()


def _holder(fd: int) -> str:
    """Who holds the lock, as the holder wrote it (best effort)."""
    try:
        info = json.loads(os.pread(fd, 4096, 0).decode() or "{}")
    except (OSError, ValueError):
        info = {}
    if not isinstance(info, dict) or "pid" not in info:
        return "another Prospect job"
    return (f"Prospect job pid {info['pid']} on {info.get('host', '?')}, "
            f"started {info.get('started', '?')}")


@contextmanager
def cube_lock(out_dir: Path, cube: Path) -> Iterator[None]:
    """Hold a lock of the cube itself for the ``with`` block where ``cube`` is a link out
    of ``out_dir`` (``cube.zarr -> /bigdisk/cube.zarr``, written through on purpose).

    The output lock is ``out_dir``'s: two jobs with two output folders whose cubes link
    to one folder (an output folder copied with ``cp -a`` to start a variant, two configs
    pointed at one big disk) both ran, wrote the same variables at once, and each one's
    sweep of leftovers beside the real cube removed the other's staging folders. A lock
    file beside the real cube (``.<cube>.prospect.lock``, ``flock``) lets one job at a
    time write it. Nothing happens for a cube inside ``out_dir``, nor on a disk where the
    lock file cannot be made (read-only: no job writes there).

    Raises
    ------
    OutputBusyError
        At once, when another job holds the cube, naming it and the link.
    """
    real = Path(os.path.realpath(cube))
    home = os.path.realpath(out_dir)
    if str(real) == home or str(real).startswith(home.rstrip(os.sep) + os.sep) \
            or not real.parent.is_dir():
        yield
        return
    path = real.parent / f".{real.name}.prospect.lock"
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
    except OSError as exc:
        if exc.errno not in _READ_ONLY:
            raise
        yield
        return
    try:
        _flock_or_refuse(fd, lambda holder: (
            f"{cube}: links to {real}, the cube {holder} writes through an output "
            "directory of its own; one job per cube: wait for it to finish, or give "
            "this job a cube of its own (remove the link)"))
        record = json.dumps({"pid": os.getpid(), "host": platform.node(),
                             "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                             "out": home})
        with suppress(OSError):  # the record only names the holder to the next job
            os.ftruncate(fd, 0)
            os.pwrite(fd, record.encode(), 0)
        yield
    finally:
        os.close(fd)  # releases the lock


@contextmanager
def output_lock(out_dir: Path, *, say: Callable[[str], None] | None = None
                ) -> Iterator[bool]:
    """Hold the lock of ``out_dir`` for the ``with`` block; yields whether it is writable.

    Parameters
    ----------
    out_dir
        The job's output directory.
    say
        Where to say that the job watches a lock file naming a holder on another host
        (:func:`_foreign_holder`); nothing is said when ``None``.

    Raises
    ------
    OutputBusyError
        At once, when another job holds the lock (naming its pid and start time); after
        :data:`FOREIGN_WAIT` seconds when a job on another host that does not share
        ``flock`` with this one holds it.

    A read-only output directory (a read-only file system, or a folder in which no file
    can be created though its lock file can be written) yields ``False`` without a lock:
    no job can write there, so a rerun may only find that there is nothing to do.
    """
    path = Path(out_dir) / LOCK_FILE
    try:  # never through a link: the lock is truncated and written
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise OutputWriteError(
                f"{path}: a symbolic link where Prospect keeps its lock file; the job would "
                "write the file it points to: remove the link and run the same command "
                "again") from None
        if exc.errno not in _READ_ONLY:
            raise
        fd = -1
    if fd >= 0 and not _can_create(Path(out_dir)):
        os.close(fd)  # a lock file of its own that can be written, in a folder that cannot
        fd = -1
    if fd < 0:
        yield False
        return
    try:
        _flock_or_refuse(fd, lambda holder: (
            f"{out_dir}: in use by {holder}; one job per output directory: wait "
            "for it to finish, or give another -o"))
        foreign = _foreign_holder(path, _read_info(path), say)
        if foreign is not None:
            raise OutputBusyError(
                f"{out_dir}: in use by {foreign}; one job per output directory: wait for "
                "it to finish, or give another -o")
        beat = _Heartbeat(fd, path, {"pid": os.getpid(), "host": platform.node(),
                                     "started": dt.datetime.now(dt.UTC).isoformat(
                                         timespec="seconds")})
        key = os.path.realpath(out_dir)
        _HELD[key] = beat
        try:
            try:
                yield True
            except OutputBusyError:
                raise
            except Exception as exc:  # whichever read or write met it first (a worker's
                # zarr read of a removed variable, a stage's "no cube", a file in -o's
                # place): -o removed or replaced under the job is what happened, exit 74
                gone = _removed_under(out_dir, beat)
                if gone is None and _names_missing_output(exc, out_dir):
                    gone = _removal_finished(out_dir, beat)  # an rm -r still under way
                if gone is None:
                    raise
                raise gone from exc
            finally:
                try:
                    _removals_done()  # what the job set aside is gone before another job
                finally:  # comes; a stop met in that wait still ends the heartbeat
                    _HELD.pop(key, None)
                    beat.stop()
        except KeyboardInterrupt as exc:  # the heartbeat's interrupt (in the job, or while
            # an error above was told): say who writes here, or that -o is gone
            if beat.lost is not None:
                raise _left_to_other(out_dir, beat.lost) from exc
            from pipelines.faults import Interrupted

            if beat.removed is not None and isinstance(exc, Interrupted):
                raise beat.removed from exc
            raise
        if beat.lost is not None:  # found as the job ended: its outputs are not its own
            raise OutputBusyError(
                f"{out_dir}: in use by {beat.lost}; this job's outputs there may be mixed "
                "with that job's: wait for it to finish, then run the same command again")
    finally:
        os.close(fd)  # releases the lock
