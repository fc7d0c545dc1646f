"""Run manifests: inputs with checksums, config, versions, per-stage timings and outputs.

The manifest (``<out>/manifest.json``) is also what makes a job resumable. It keeps the
stages of earlier runs of the *same* config (same :meth:`JobConfig.config_hash`); a rerun
skips a stage when :meth:`Manifest.finished` says its record is still good:

* it finished (status ``done``; a stage killed mid-run is left ``running``, one that
  failed ``failed``),
* the config sections it reads are unchanged (its ``settings_hash``,
  :meth:`JobConfig.settings_hash`): changing the model reruns train and score, never
  ingest or indices,
* no earlier stage of the pipeline finished after it (a recomputed ingest makes indices,
  train, score and tiles stale),
* its input files are unchanged (size and mtime, else SHA-256) and its outputs exist:
  its cubes' variables and its other files and folders (a model, COGs, tile archives)
  have the chunk files / files and sizes it wrote (:mod:`pipelines.verify`).

Each run appends an entry to ``runs`` naming the stages it ran and those it skipped, with
the reason, and the worker count and scheduler it ran on. The file is strict JSON: a
number that is not finite is ``null``, listed under ``non_finite_numbers``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import platform
import stat
import time
import uuid
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from pipelines import verify
from pipelines.context import StageResult
from pipelines.lock import check_held
from prospect.config import JobConfig
from prospect.errors import StageError
from prospect.io.files import file_sha256, write_bytes, write_json
from prospect.nonfinite import NON_FINITE_KEY, restore_non_finite, strict_document
from prospect.redact import redact_tree
from prospect.versions import library_versions

__all__ = ["DAMAGED_MANIFEST", "Manifest", "changed_while_running", "file_stamps",
           "keep_damaged", "library_versions", "moved_files", "recorded_job",
           "unwritten_bytes"]



def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


CLOCK_STEP_KEY = "clock_step_seconds"
"""A record's key for a step of the wall clock while it ran (NTP, a VM resumed,
``date -s``): the wall clock's elapsed time less the monotonic clock's, in whole seconds,
negative for a step back. Only where it is over :data:`CLOCK_STEP_SLACK`."""

CLOCK_STEP_SLACK = 2.0
"""Seconds the two clocks may differ by without a step being recorded (the stamps are to
the second)."""


def _since(began: tuple[float, float] | None) -> dict[str, Any]:
    """How long since ``began`` (``time.monotonic()``, ``time.time()``) by the monotonic
    clock, ``{"seconds": ...}``, and the wall clock's step meanwhile
    (:data:`CLOCK_STEP_KEY`) where there was one: a clock stepped back put a record's end
    stamp before its start, which the duration beside them explains. ``{}`` for no
    ``began``."""
    if began is None:
        return {}
    monotonic = time.monotonic() - began[0]
    out: dict[str, Any] = {"seconds": round(monotonic, 3)}
    step = (time.time() - began[1]) - monotonic
    if abs(step) > CLOCK_STEP_SLACK:
        out[CLOCK_STEP_KEY] = round(step)
    return out


def _clocks() -> tuple[float, float]:
    """Now by the monotonic clock and by the wall clock, for :func:`_since`."""
    return time.monotonic(), time.time()


def _file_record(path: Path, sha256: str | None = None) -> dict[str, Any]:
    """An input file's record: its SHA-256 (``sha256`` when just compared) and the stat
    fields that let a later check skip reading it."""
    st = path.stat()
    return {"path": str(path), "sha256": sha256 or file_sha256(path), "size": st.st_size,
            "mtime_ns": st.st_mtime_ns, "ctime_ns": st.st_ctime_ns}


def _file_unchanged(record: dict[str, Any], base: Path | None = None) -> bool:
    """Whether the file of ``record`` still has its content.

    Its SHA-256 is read unless size, mtime and change time (ctime) are all as recorded:
    a file replaced by one of the same size keeps its mtime when the tool keeps it
    (``cp -p``, ``rsync -t``, ``touch -r``, an archive), but no tool sets ctime back.
    Records without a ctime (older manifests) are judged on size and mtime. A file whose
    bytes are read and found the same has its new stat fields taken into ``record`` (a
    data folder copied, touched or restored from a backup: new change times for good), so
    the next check does not read it again once the manifest is written.
    """
    if "version" in record:  # a file read over a network: the version its server states
        return _network_unchanged(record)
    path = verify.resolve(base, record.get("path", "")) if base else Path(record.get("path", ""))
    try:
        st = path.stat()
    except OSError:
        return False
    if st.st_size == record.get("size") and st.st_mtime_ns == record.get("mtime_ns") and \
            st.st_ctime_ns == record.get("ctime_ns", st.st_ctime_ns):
        return True
    if not (path.is_file() and file_sha256(path) == record.get("sha256")):
        return False
    record.update(size=st.st_size, mtime_ns=st.st_mtime_ns, ctime_ns=st.st_ctime_ns)
    return True


def _network_unchanged(record: dict[str, Any]) -> bool:
    """Whether the network file of ``record`` (an input read over a network: its
    ``path`` and the ``version`` its server stated when the stage ran) is the one its
    server states now; a server that states none now (down, or no longer saying) is
    taken as unchanged: a rerun offline keeps the outputs it cannot check.

    A survey grid or map read by URL and republished under it (new values, a new ETag
    or Last-Modified) was no input record at all: the next run said "skipped: config and
    inputs unchanged" and kept the cube of the old file, without a word."""
    return not _network_changed({"input": record})


def _network_changed(records: dict[str, dict[str, Any]]) -> list[str]:
    """The labels of ``records`` (inputs read over a network, :func:`_network_unchanged`)
    whose server states another version now; the servers asked at once (a composite's
    hundreds of scenes), after this process's caches of them are dropped."""
    from prospect.io.remote import forget_cached, network_versions

    paths = {label: str(rec.get("path", "")) for label, rec in records.items()}
    if not paths:
        return []
    forget_cached(paths.values())  # what the servers say now, not what this process kept
    now = network_versions(paths.values())
    return [label for label, path in paths.items()
            if now.get(path) and now[path] != records[label].get("version")]


def file_system_now(folder: Path) -> int:
    """The time a file made in ``folder`` now is stamped with (``st_ctime_ns``): the clock
    :func:`changed_while_running` compares the inputs' change times with. The process's
    own clock may not be it (``faketime``, a clock set back or ahead of the kernel's, a
    coarse file-system clock); the process's clock when ``folder`` cannot be written."""
    import tempfile

    try:
        with tempfile.TemporaryFile(dir=folder, prefix=".clock-") as probe:
            return os.fstat(probe.fileno()).st_ctime_ns
    except OSError:
        return time.time_ns()


def _stamp(st: os.stat_result) -> tuple[int, int, int, int, int]:
    """What tells one state of a file from another without a clock: the file it is
    (device, inode), its size, its mtime and its change time (ctime)."""
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def file_stamps(paths: Iterable[str | Path]) -> dict[str, tuple[int, int, int, int, int]]:
    """Each of ``paths`` that is a file now, by its real path, with its :func:`_stamp`:
    what :func:`changed_while_running` compares a stage's input files with at its end
    (a path that is no file, or not there, is left out)."""
    stamps = {}
    for value in paths:
        try:
            st = os.stat(value)
            if stat.S_ISREG(st.st_mode):
                stamps[os.path.realpath(value)] = _stamp(st)
        except (OSError, ValueError):
            continue
    return stamps


def changed_while_running(files: dict[str, str], since_ns: int, *, out_dir: Path,
                          before: dict[str, tuple[int, int, int, int, int]] | None = None,
                          ) -> tuple[str, Path, int] | None:
    """The first input file of a stage (label -> path) that changed while it ran: its
    label, path and change time; ``None`` when none did. A file ``before`` holds (its
    :func:`file_stamps` as the stage began) changed when its stamp is another now; any
    other file when its change time is after ``since_ns`` (the stage's start, by the
    clock of ``out_dir``'s file system: :func:`file_system_now`). Files inside
    ``out_dir`` (what the job itself writes) and remote inputs are not looked at.

    A stage's input records are taken as it is recorded, at its end: a source file
    replaced while the stage read it (a colleague's corrected export saved over it, a
    sync tool, a download again) was recorded with its new checksum, so the next run took
    the stage as finished on the file as it is, and kept a cube read from the file as it
    was, or from both, without a word. The change time (ctime) moves with every write and
    every file renamed into place, whatever mtime a tool keeps (``cp -p``, ``rsync -t``).

    A file on another file system is stamped by that file system's clock (an NFS or SMB
    server's): one running ahead of ``out_dir``'s stamped a file written a moment before
    the run after the stage's start, and the stage failed "changed while the stage ran"
    on every run until the clocks' difference had passed. Its stamp as the stage began
    needs no clock.
    """
    out = Path(out_dir).resolve()
    own = Path(os.path.abspath(out_dir))
    for label, value in files.items():
        path = Path(value)
        try:
            # what the job writes, by its path as written too: a cube linked to another
            # disk resolves outside -o and changes as its stage writes it
            if own in Path(os.path.abspath(path)).parents or out in path.resolve().parents:
                continue
            st = path.stat()
            known = (before or {}).get(os.path.realpath(path))
        except (OSError, ValueError):  # a URL, a file gone: the record says so
            continue
        if known is not None:
            if _stamp(st) != known:
                return label, path, st.st_ctime_ns
        elif st.st_ctime_ns > since_ns:
            return label, path, st.st_ctime_ns
    return None


def _differing_strings(old: Any, new: Any) -> list[tuple[str, str]] | None:
    """The ``(old, new)`` text pairs in which the settings ``old`` and ``new`` (JSON)
    differ, when they differ in nothing else (keys, lengths, numbers, switches); ``None``
    otherwise. A number that is not a number (``nodata: .nan``) equals itself."""
    if isinstance(old, dict) and isinstance(new, dict):
        if set(old) != set(new):
            return None
        items = [(old[key], new[key]) for key in old]
    elif isinstance(old, list) and isinstance(new, list):
        if len(old) != len(new):
            return None
        items = list(zip(old, new, strict=True))
    elif isinstance(old, str) and isinstance(new, str):
        return [] if old == new else [(old, new)]
    else:
        same = type(old) is type(new) and (old == new or (
            isinstance(old, float) and old != old and new != new))
        return [] if same else None
    pairs: list[tuple[str, str]] = []
    for a, b in items:
        found = _differing_strings(a, b)
        if found is None:
            return None
        pairs += found
    return pairs


def _recorded_sha256(path: str, records: Iterable[Any], out_dir: Path) -> str | None:
    """The SHA-256 an input record of ``records`` gives the file at ``path`` (by its real
    path); ``None`` when none records it."""
    real = os.path.realpath(path)
    for record in records:
        if isinstance(record, dict) and isinstance(record.get("path"), str) and \
                os.path.realpath(verify.resolve(out_dir, record["path"])) == real:
            sha = record.get("sha256")
            return sha if isinstance(sha, str) else None
    return None


def moved_files(record: Any, job: JobConfig, stage: str, inputs: Iterable[Any],
                out_dir: Path) -> list[tuple[str, str]] | None:
    """The files stage ``stage``'s ``record`` was made from that ``job``'s config names at
    another path now, as ``(was, now)`` pairs, when that is all that differs in the
    settings it reads: each path now names the same file (one real path: ``..``, a link
    to the folder) or a file of the checksum an input record (``inputs``) gives it (a
    project folder moved or renamed, a data disk mounted elsewhere). ``[]`` when the
    settings are the same; ``None`` when they differ otherwise (or a file is another).

    A config's paths are absolute once loaded: a project folder moved or renamed, a data
    disk mounted at another path, or a path written ``../data/x.tif`` for ``x.tif``
    made every stage's settings another, and the run made the whole job again from the
    same files (hours, on a region), saying "its settings changed (sources)".
    """
    if not isinstance(record, dict):
        return None
    if record.get("settings_hash") == job.settings_hash(stage):
        return []
    pairs = _differing_strings(record.get("settings"), job.stage_settings(stage))
    if not pairs:
        return None
    records = list(inputs)
    for was, now in pairs:
        if not os.path.isabs(now) or not os.path.isfile(now):
            return None
        if os.path.realpath(was) == os.path.realpath(now):
            continue
        sha = _recorded_sha256(was, records, out_dir)
        if sha is None or _sha256_or_none(now) != sha:
            return None
    return pairs


def _sha256_or_none(path: str) -> str | None:
    """The SHA-256 of the file at ``path``; ``None`` when it cannot be read (the stage
    that reads it says why)."""
    try:
        return file_sha256(path)
    except OSError:
        return None


MANIFEST_FORMAT = 1
"""The layout of ``manifest.json`` this version writes (its ``format``; absent in older
manifests, which are format 1). A manifest of a later format is refused, never rewritten:
records whose meaning this version does not know would be misjudged and dropped."""

_OWN_KEYS = frozenset({
    "format", "job", "config_path", "config_hash", "config", "synthetic", "versions", "host",
    "started", "run_id", "stages", "inputs", "runs", "removing", "removing_for", "workers",
    "engine", NON_FINITE_KEY})
"""The top-level keys of the manifest this version writes; any other (a Prospect of the
same format that records more) is kept as it was."""

_ALL_AGAIN = "the record of finished stages is lost, so every stage runs again"


def unwritten_bytes(raw: bytes) -> str | None:
    """Why a record file's bytes ``raw`` were never written whole, where they show it: no
    bytes at all, or NUL bytes where text goes (all of them, or the file's end); ``None``
    otherwise.

    A file rewritten just before a crash, a power cut or a host's reset can come back
    with its new size but blocks of zeros (the size reached the disk, the data did not),
    or empty. Its parse error said it in a codec's words: "'utf-32-be' codec can't decode
    bytes in position 6628-6630: truncated data" (JSON's guess at the encoding of a file
    starting with NULs), or "Expecting value: line 1 column 1 (char 0)".
    """
    lost = ("(its last write never reached the disk: a crash, a power cut or a reset "
            "while it was written)")
    if not raw.strip():
        return f"is empty ({len(raw)} bytes) {lost}"
    nul = len(raw) - len(raw.rstrip(b"\0"))
    if nul == len(raw):
        return f"holds nothing but NUL bytes, {len(raw)} of them {lost}"
    if nul > 0 or raw.startswith(b"\0"):
        where = f"ends in {nul} NUL bytes" if nul else "begins with NUL bytes"
        return f"{where} (zero bytes where its text goes) {lost}"
    return None
_STAGE_MAPPINGS = ("settings", "input_files", "outputs", "files", "verify", "metrics",
                   "cluster")


def _shape_problem(data: dict[str, Any]) -> str | None:
    """What makes a parsed manifest unusable as a whole (``None``: its shape is right)."""
    for key, kind in (("stages", dict), ("runs", list), ("inputs", dict)):
        if key in data and not isinstance(data[key], kind):
            return f"its {key!r} is not a {'mapping' if kind is dict else 'list'}"
    return None


def _seal(record: dict[str, Any]) -> str:
    """A digest of a stage's record as written (all but its ``seal``): a record edited by
    hand no longer matches it."""
    body = {key: value for key, value in record.items() if key != "seal"}
    text = json.dumps(body, sort_keys=True, allow_nan=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _stage_problem(record: Any) -> str | None:
    """What makes one stage's record unusable (``None``: the fields resume reads have the
    types it reads them as)."""
    if not isinstance(record, dict):
        return "not a mapping"
    for key in _STAGE_MAPPINGS:
        if not isinstance(record.get(key) or {}, dict):
            return f"its {key!r} is not a mapping"
    notes = record.get("notes") or []
    if not isinstance(notes, list) or not all(isinstance(note, str) for note in notes):
        return "its 'notes' is not a list of text"
    seq = record.get("seq", 0)
    if isinstance(seq, bool) or not isinstance(seq, int):
        return "its 'seq' is not a whole number"
    for key in ("input_files", "files"):
        for label, entry in (record.get(key) or {}).items():
            if not isinstance(entry, dict | None if key == "files" else dict):
                return f"its {key}[{label!r}] is not a mapping"
            if key == "input_files" and not isinstance(entry.get("path", ""), str):
                return f"its {key}[{label!r}] has no path"
    for cube, variables in (record.get("verify") or {}).items():
        if not isinstance(variables, dict) or \
                not all(isinstance(entry, dict) for entry in variables.values()):
            return f"its verify[{cube!r}] is not a mapping of variables"
    if "seal" in record and record["seal"] != _seal(record):  # older records have none
        return "it was edited since Prospect wrote it (a status, output or check changed)"
    return None


def _damaged_stages(data: dict[str, Any]) -> list[tuple[str, str]]:
    """The stages whose records are damaged, with why; their records are removed from
    ``data`` (each such stage runs again)."""
    stages = data.get("stages") or {}
    lost = [(name, why) for name, record in stages.items()
            if (why := _stage_problem(record)) is not None]
    for name, _ in lost:
        del stages[name]
    return lost


DAMAGED_MANIFEST = "manifest.damaged.json"
"""Where a ``manifest.json`` that no longer parses is copied before it is replaced (the
first; later ones are numbered: :func:`keep_damaged`)."""


def keep_damaged(path: Path, raw: bytes, *, most: int = 1000) -> Path | None:
    """Keep the bytes ``raw`` of the damaged manifest ``path`` beside it, atomically;
    returns the copy's path (``None``: :data:`DAMAGED_MANIFEST` and ``most - 1``
    numbered copies, ``manifest.damaged-<n>.json``, are there already).

    The first copy is :data:`DAMAGED_MANIFEST`; a later damaged manifest with other bytes
    goes to the next free number: each one's copy replaced the last, so the record a user
    wanted to mend by hand was lost to the next damage. The same bytes read again (each
    run reads its manifest more than once) are not copied again. A link placed at a
    name is replaced, never written through.
    """
    for number in range(1, most + 1):
        keep = path.with_name(DAMAGED_MANIFEST if number == 1
                              else f"manifest.damaged-{number}.json")
        if keep.is_symlink() or not keep.exists():
            write_bytes(keep, raw)
            return keep
        try:
            if keep.is_file() and keep.stat().st_size == len(raw) and keep.read_bytes() == raw:
                return keep
        except OSError:
            continue
    return None


def recorded_job(out_dir: Path) -> tuple[str, str | None] | None:
    """The job name and config file the manifest in ``out_dir`` records; ``None`` when
    there is no manifest, it cannot be read or names no job."""
    try:
        data = json.loads((Path(out_dir) / "manifest.json").read_bytes())
    except (OSError, ValueError):
        return None
    name = data.get("job") if isinstance(data, dict) else None
    if not isinstance(name, str) or not name:
        return None
    config = data.get("config_path")
    return name, config if isinstance(config, str) and config else None


def other_job(out_dir: Path, job: JobConfig | str) -> str | None:
    """The job whose outputs ``out_dir`` holds, when that is not ``job`` (a config or a job
    name), as
    ``'name' (its config file)``; ``None`` when the folder is new, holds ``job``'s outputs,
    or its manifest cannot be read (the run then says what it lost).

    Another job run into the same ``-o`` replaced that job's manifest (its record of
    finished stages) and wrote its variables into that job's cube beside the old ones.
    """
    try:
        data = json.loads((Path(out_dir) / "manifest.json").read_bytes())
    except (OSError, ValueError):
        return None
    name = data.get("job") if isinstance(data, dict) else None
    if not isinstance(name, str) or not name or name == (job if isinstance(job, str)
                                                         else job.name):
        return None
    config = data.get("config_path")
    return f"{name!r}" + (f" ({config})" if isinstance(config, str) and config else "")


UNRECORDED = "unrecorded"
"""The status of an earlier run that was still ``running`` in the manifest when a new run
took the output directory (:func:`_ended_unrecorded`)."""


def _ended_unrecorded(runs: list[Any], found_by: str) -> list[Any]:
    """``runs``, an earlier run still ``running`` among them recorded :data:`UNRECORDED`.

    A new run holds the output directory's lock, so no earlier run is at work: one whose
    entry says ``running`` ended without recording its end (killed by SIGKILL or the
    out-of-memory killer, a machine that stopped, or a disk that refused the run's last
    record as it closed). Left so, the entry said for good that a job was in progress.
    """
    for run in runs:
        if isinstance(run, dict) and run.get("status") == "running":
            run["status"] = UNRECORDED
            run["ended"] = (
                f"found by run {found_by}: this run ended without recording its end "
                "(killed, e.g. by SIGKILL or the out-of-memory killer, a machine that "
                "stopped, or a disk that refused its last record); each stage's own record "
                "says what it finished")
    return runs


def _judged_by_stage(stages: dict[str, Any]) -> bool:
    """Whether the finished stages' records of a manifest each carry the hash of the
    settings they read, so that a config change is judged stage by stage (a manifest
    written before they did is not: each of its stages runs again).

    A stage that failed or was stopped is recorded without a hash (it finished nothing,
    and runs again whatever the config says), and one such record made every finished
    stage count for nothing: a train that failed on the model's settings, fixed in the
    config, reran ingest and indices from the start ("config changed; earlier stages
    discarded"), as did a Ctrl-C in indices followed by an edit of the indices section.
    """
    return all("settings_hash" in rec for rec in stages.values()
               if isinstance(rec, dict) and rec.get("status") == "done")


def _versions_kept(stages: dict[str, Any], previous: dict[str, Any]) -> None:
    """Give each stage record of the ``previous`` manifest that names no versions (one
    written before records did) the versions it was made with, where the manifest knows
    them: those of its top level, which are the last run's, for the stages that run made.

    The top-level ``versions`` is rewritten by every run: a run that resumed a job after
    an upgrade (of Prospect, scikit-learn, GDAL...) kept stages an earlier release made,
    and the manifest then named the new release for all of them; the versions that made
    the kept cube and model were said nowhere.
    """
    versions, runs = previous.get("versions"), previous.get("runs")
    if not isinstance(versions, dict) or not isinstance(runs, list) or not runs or \
            not isinstance(runs[-1], dict):
        return
    last = runs[-1].get("run_id")
    for record in stages.values():
        if isinstance(record, dict) and "versions" not in record and \
                record.get("run_id") == last:
            record["versions"] = dict(versions)


def _made_by_other(versions: Any, *, most: int = 3) -> str:
    """``" by ..."`` naming each library whose version in ``versions`` (a stage
    record's) is not this process's, with this process's; ``""`` when they are the same
    or the record does not say."""
    if not isinstance(versions, dict):
        return ""
    now = library_versions()
    other = [f"{lib} {versions[lib]} (this run: {now[lib]})" for lib in now
             if lib in versions and versions[lib] != now[lib]]
    if not other:
        return ""
    more = f" and {len(other) - most} more (the record's 'versions')" \
        if len(other) > most else ""
    return f" by {', '.join(other[:most])}{more}"


def _removal_folder(value: Any) -> str | None:
    """``value`` (a manifest's ``removing``) when it names a folder of ``removed/``, one
    level down, as :meth:`Manifest.removal_folder` records it; ``None`` otherwise (an
    edited manifest never sends outputs elsewhere)."""
    if not isinstance(value, str):
        return None
    parts = value.split("/")
    if len(parts) != 2 or parts[0] != verify.REMOVED_DIR or parts[1] in ("", ".", "..") \
            or parts[1].startswith(".") or any(c in parts[1] for c in "\\:\0"):
        return None
    return value


def _removal_stages(value: Any, stages: dict[str, Any]) -> list[str] | None:
    """The stages whose moves into the recorded removal folder are not done (a manifest's
    ``removing_for``), those of them that still have a record (a stage whose record is
    gone, its config changed, can never finish them); ``None`` when the manifest does not
    say (one written before ``removing_for``)."""
    if not isinstance(value, list):
        return None
    return [s for s in dict.fromkeys(value) if isinstance(s, str) and s in stages]


def _refuse_later_format(path: Path, found: Any) -> None:
    """:class:`StageError` for a manifest written in a later format than
    :data:`MANIFEST_FORMAT` (by a newer Prospect): an older one rewrote it in its own
    layout, dropping or misreading what it did not know, and the newer one then found
    its record of finished stages changed."""
    if isinstance(found, int) and not isinstance(found, bool) and found > MANIFEST_FORMAT:
        raise StageError(
            f"{path}: written by a newer Prospect (manifest format {found}; this version "
            f"reads format {MANIFEST_FORMAT} and older); upgrade Prospect to resume this "
            "job, or give another -o to run it from the start")


class Manifest:
    """The ``manifest.json`` of one output directory, rewritten atomically after each change.

    Parameters
    ----------
    out_dir
        The job's output directory.
    job
        The validated job config; earlier stage records are kept only for the same config.
    job_path
        The config file, recorded for the reader.
    """

    def __init__(self, out_dir: Path, job: JobConfig, *, job_path: Path | None = None) -> None:
        self.path = Path(out_dir) / "manifest.json"
        self.job = job
        previous = self._read()
        # stage records carry the hash of the settings they read (settings_hash); earlier
        # records are kept for the same job name and judged stage by stage
        same_job = previous.get("config_hash") == job.config_hash() or (
            previous.get("job") == job.name and _judged_by_stage(previous.get("stages", {})))
        self.run_id = uuid.uuid4().hex[:12]
        self._began: dict[str | None, tuple[float, float]] = {None: _clocks()}  # None: run
        self.data: dict[str, Any] = {
            "format": MANIFEST_FORMAT,
            "job": job.name,
            "config_path": str(job_path) if job_path else None,
            "config_hash": job.config_hash(),
            "config": job.model_dump(mode="json"),
            "synthetic": job.synthetic,
            "versions": library_versions(),
            "host": platform.node(),
            "started": _now(),
            "run_id": self.run_id,
            "stages": previous.get("stages", {}) if same_job else {},
            "inputs": previous.get("inputs", {}) if same_job else {},
            "runs": _ended_unrecorded(previous.get("runs", []), self.run_id)
            if same_job else [],
        }
        if same_job:  # the versions each kept stage was made with, where known
            _versions_kept(self.data["stages"], previous)
        if same_job:  # what a Prospect of this format records and this one does not know
            self.data.update({key: value for key, value in previous.items()
                              if key not in _OWN_KEYS})
        self.run: dict[str, Any] = {"run_id": self.run_id, "started": self.data["started"],
                                    "ran": [], "skipped": [], "status": "running"}
        if same_job:  # the same files at other paths: the records name them there
            self.moved = tuple(self._moved_files(Path(out_dir)))
        if previous and not same_job:
            self.run["note"] = (f"config changed (was {previous.get('config_hash', '?')[:12]}); "
                                "earlier stages discarded")
        elif previous and previous.get("config_hash") != job.config_hash():
            self.run["note"] = (f"config changed (was {previous.get('config_hash', '?')[:12]}); "
                                "stages whose settings changed rerun")
        if self.damaged:
            self.run["note"] = self.damaged
        removing = _removal_folder(previous.get("removing"))
        pending = _removal_stages(previous.get("removing_for"), self.data["stages"])
        if removing is not None and pending != []:  # a run stopped while it moved there
            self.data["removing"] = removing
            if pending is not None:
                self.data["removing_for"] = pending
        self.data["runs"].append(self.run)

    damaged: str | None = None
    """What of an existing ``manifest.json`` was not usable and what that costs (``None``:
    absent, or read whole)."""

    moved: tuple[tuple[str, str], ...] = ()
    """The files the config names at another path than the records do, the same files
    (:func:`moved_files`), as ``(was, now)``: the records now name them where they are."""

    def _moved_files(self, out_dir: Path) -> list[tuple[str, str]]:
        """Take each stage record whose settings differ from the config's only in the
        paths of the same files (:func:`moved_files`) as made from the files where they
        are now: its settings, its hash and its input records name them there. Returns
        the ``(was, now)`` pairs, each once."""
        stages, inputs = self.data["stages"], self.data["inputs"]
        moved: dict[tuple[str, str], None] = {}
        for stage, record in stages.items():
            if not isinstance(record, dict) or record.get("settings_hash") == \
                    self.job.settings_hash(stage):
                continue
            files = [*inputs.values(), *(record.get("input_files") or {}).values()]
            pairs = moved_files(record, self.job, stage, files, out_dir)
            if not pairs:
                continue
            record["settings"] = self.job.stage_settings(stage)
            record["settings_hash"] = self.job.settings_hash(stage)
            now = {os.path.realpath(was): where for was, where in pairs}
            for table in (record.get("input_files") or {}, inputs):
                for label, entry in table.items():
                    path = entry.get("path") if isinstance(entry, dict) else None
                    where = now.get(os.path.realpath(verify.resolve(out_dir, path))) \
                        if isinstance(path, str) else None
                    if where is not None and _sha256_or_none(where) == entry.get("sha256"):
                        table[label] = dict(_file_record(Path(where), entry["sha256"]),
                                            path=verify.relative_to(out_dir, where))
            moved.update(dict.fromkeys(pairs))
        if moved:
            self.run["moved"] = [f"{was} -> {now}" for was, now in moved]
        return list(moved)

    def _read(self) -> dict[str, Any]:
        """The previous manifest; ``{}`` when there is none or it is damaged, without the
        records of stages that are damaged. :attr:`damaged` then says so, and the damaged
        file is kept beside it for the record."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return {}
        except OSError as exc:
            self.damaged = (f"{self.path}: cannot be read ({exc.strerror or exc}); "
                            f"{_ALL_AGAIN}")
            return {}
        why: str | None = unwritten_bytes(raw)  # zeros or nothing: said as such
        data: Any = {}
        try:
            data = data if why else json.loads(raw)
        except ValueError as exc:
            data, why = {}, f"does not parse as JSON ({exc})"
        else:
            why = why or ("is not a JSON object" if not isinstance(data, dict) else
                          _shape_problem(data))
            if why is not None:
                data = {}
        if why is None:
            _refuse_later_format(self.path, data.get("format"))
        lost = [] if why else _damaged_stages(data)  # seals: over the record as written
        data = restore_non_finite(data) if why is None else data
        if why is None and not lost:
            return data
        try:  # atomic, never through a link placed there, never over an earlier copy
            keep = keep_damaged(self.path, raw)
            kept = f"; the damaged file is kept as {keep.name}" if keep is not None else ""
        except OSError:
            kept = ""
        if why is not None:
            self.damaged = f"{self.path}: {why}{kept}; {_ALL_AGAIN}"
        else:
            listed = "; ".join(f"stage {name!r}: {problem}" for name, problem in lost)
            self.damaged = (f"{self.path}: damaged record ({listed}){kept}; "
                            f"{'that stage runs' if len(lost) == 1 else 'those stages run'}"
                            " again")
        return data

    # -- what the run runs on ------------------------------------------------------------
    def set_engine(self, *, workers: int, scheduler: str | None = None,
                   cluster: str | None = None, dashboard: str | None = None,
                   warnings: Sequence[str] = ()) -> None:
        """Record the dask cluster of this run (top level and in the run entry), and in
        the run entry the ``warnings`` its settings drew (``engine_warnings``, where any:
        :func:`pipelines.cluster.say_warning`)."""
        engine = {"workers": workers, "scheduler": scheduler, "cluster": cluster or "local",
                  "dashboard": dashboard}
        self.data["workers"] = workers
        self.data["engine"] = engine
        self.run.update(engine)
        if warnings:
            self.run["engine_warnings"] = list(warnings)
        self.write()

    # -- resume -------------------------------------------------------------------------
    def finished(self, name: str, *, order: Sequence[str]) -> tuple[bool, str]:
        """Whether stage ``name`` can be skipped, and why (or why not).

        Parameters
        ----------
        name
            The stage.
        order
            All stages in pipeline order: a stage is stale when an earlier one finished
            after it.
        """
        rec = self.data["stages"].get(name)
        if not rec:
            return False, "never ran with this config"
        if rec.get("status") != "done":
            return False, f"last run ended {rec.get('status', 'unfinished')}"
        if rec.get("settings_hash") != self.job.settings_hash(name):
            changed = [k for k, v in self.job.stage_settings(name).items()
                       if (rec.get("settings") or {}).get(k) != v]
            return False, f"its settings changed ({', '.join(changed) or 'config'})"
        seq = rec.get("seq", 0)
        for earlier in order[: order.index(name)] if name in order else ():
            other = self.data["stages"].get(earlier)
            if other and other.get("seq", 0) > seq:
                return False, f"{earlier} was recomputed after it"
        inputs = rec.get("input_files", {})
        located = self.located_changed(name, inputs)
        if located:
            return False, located
        remote = {label: frec for label, frec in inputs.items()
                  if isinstance(frec, dict) and "version" in frec}
        for label in _network_changed(remote):
            return False, f"input {label} ({remote[label].get('path')}) changed on its server"
        for label, frec in inputs.items():
            if label not in remote and not _file_unchanged(frec, self.path.parent):
                return False, f"input {label} ({frec.get('path')}) changed"
        for earlier in order[: order.index(name)] if name in order else ():
            moved = self.files_changed(earlier)
            if moved:  # its input: the model it scored, the COG it drew
                return False, f"{moved} (made by the {earlier} stage, an input of it)"
            # its input: the cube variables the earlier stage made, as last recorded. A
            # stage that reads the cube without writing it (train, tiles) records no cube
            # inventory of its own: a chunk rewritten in place after it ran was skipped as
            # "config and inputs unchanged", the model trained on the data before it. (A
            # cube its own inventory lists is checked below, against that inventory.)
            read = {cube: variables for cube, variables
                    in self.latest_record(made_by=[earlier]).items()
                    if cube not in (rec.get("verify") or {})}
            rewritten, _ = verify.check(self.path.parent, read) if read else (None, [])
            if rewritten:
                return False, f"{rewritten} (made by the {earlier} stage, an input of it)"
        for label, out in rec.get("outputs", {}).items():
            if isinstance(out, str) and not verify.resolve(self.path.parent, out).exists():
                return False, f"output {label} ({out}) is missing"
        files = verify.check_files(self.path.parent, rec.get("outputs", {}), rec.get("files"))
        if files:
            return False, files
        made_here = order[: order.index(name) + 1] if name in order else None
        damaged, _ = verify.check(self.path.parent, self.verify_record(name, made_by=made_here))
        if damaged:
            return False, damaged
        return True, (f"finished in run {rec.get('run_id', '?')} at "
                      f"{rec.get('finished', '?')}{_made_by_other(rec.get('versions'))}")

    def located_changed(self, name: str, inputs: dict[str, Any]) -> str | None:
        """Why an input file of stage ``name`` that the config names by no path (a sensor
        or an outline named by its name: :func:`pipelines.stages.located_inputs`) is
        another file now than the one its record ``inputs`` was made from; ``None`` when
        it is the same.

        Such a file is found where the environment says (``$PROSPECT_CONFIG_DIR``, the
        installed package), and the record named it by the path it had then: a run with
        another ``$PROSPECT_CONFIG_DIR`` (a sensor of the same name with red and near
        infrared the other way round, an outline of the same name around other land)
        checked the first folder's file, unchanged, and kept what was made from it
        without a word; a new clone or install at another path checked the old one's
        file, or ran the stage again where the old one was gone. Each such record names
        what it was found as (``located``: :meth:`record_inputs`); the file found as that
        now is compared by its bytes: the same bytes at another path (a moved install)
        are taken into ``inputs`` (written with the manifest's next write), other bytes
        are a change. A record without ``located`` (an older version's) is judged as
        before, and named ``located`` where its file is the one found now.
        """
        from pipelines.stages import located_inputs

        found = located_inputs(name, self.job)
        found_as = {os.path.realpath(path): key for key, path in found.items()}
        for label, frec in list(inputs.items()):
            if not isinstance(frec, dict) or not isinstance(frec.get("path"), str) or \
                    "version" in frec:
                continue
            was = verify.resolve(self.path.parent, frec["path"])
            key = frec.get("located")
            if not isinstance(key, str):  # an older record: named once it is the file
                if os.path.realpath(was) in found_as:  # found now, for the next change
                    frec["located"] = found_as[os.path.realpath(was)]
                continue
            now = found.get(key)
            if now is None or os.path.realpath(was) == os.path.realpath(now):
                continue
            digest = _sha256_or_none(now)
            if digest is None or digest != frec.get("sha256"):
                return (f"input {label} ({key}) is another file now: {now}, where it "
                        f"was made from {frec['path']}")
            moved = dict(_file_record(Path(now), digest), located=key,
                         path=verify.relative_to(self.path.parent, now))
            for table in (inputs, self.data["inputs"]):
                entry = table.get(label)
                if isinstance(entry, dict) and entry.get("path") == frec["path"]:
                    table[label] = dict(moved)
        return None

    def files_changed(self, name: str) -> str | None:
        """Why finished stage ``name``'s file outputs (a model folder, COGs, tiles) are no
        longer as it wrote them (:func:`pipelines.verify.check_files`); ``None`` when they
        are, or when it has no finished record.

        A later stage used them: ``prospect score`` alone after ``model/`` was replaced by
        another model (checksums and all) was skipped as finished, its map made by a
        model no longer there, and ``--force`` scored with the replacement without a word.
        """
        rec = self.data["stages"].get(name)
        if not isinstance(rec, dict) or rec.get("status") != "done":
            return None
        return verify.check_files(self.path.parent, rec.get("outputs") or {}, rec.get("files"),
                                  contents=False)  # the model's own checksums are read

    def stale_before(self, name: str, *, running: Sequence[str], order: Sequence[str]
                     ) -> list[str]:
        """Why each finished stage before ``name`` that is not ``running`` is out of date.

        A stage run alone (``prospect tiles``) works from the outputs the earlier stages
        made; when their config or input files changed since, or a stage before them was
        recomputed after them (``prospect ingest`` alone, indices not rerun), it silently
        delivered maps of the old data. One line per such stage, naming the change and
        the command to run.
        """
        lines = []
        for earlier in order[: order.index(name)] if name in order else ():
            rec = self.data["stages"].get(earlier)
            if earlier in running or not isinstance(rec, dict) or not rec:
                continue
            later = [first for first in order[: order.index(earlier)]
                     if (self.data["stages"].get(first) or {}).get("seq", 0) >
                     rec.get("seq", 0)]
            if rec.get("status") != "done":  # killed or failed in a rerun: its outputs
                # are an earlier run's (the model of the config before), said nowhere
                status = rec.get("status")
                why: str | None = ("its last run was cut short (killed)" if status == "running"
                                   else f"its last run ended {status or 'unfinished'}")
            elif rec.get("settings_hash") != self.job.settings_hash(earlier):
                why = "its settings in the config changed"
            elif later:
                why = f"{later[0]} was recomputed after it"
            else:
                why = self.located_changed(earlier, rec.get("input_files") or {})
                why = f"its {why}" if why else next(
                    (f"its input {label} ({frec.get('path')}) changed"
                     for label, frec in (rec.get("input_files") or {}).items()
                     if not _file_unchanged(frec, self.path.parent)), None)
            if why:
                lines.append(f"the {earlier} stage's outputs are out of date ({why}); {name} "
                             f"used them as they are: run 'prospect run' (or 'prospect "
                             f"{earlier}') to bring them up to date")
        return lines

    def verify_record(self, name: str, *, made_by: Sequence[str] | None = None
                      ) -> dict[str, dict[str, Any]]:
        """Stage ``name``'s cube inventory, limited to the variables stages ``made_by`` made.

        Every stage's inventory lists every variable of the cube; :meth:`owner` names the
        stage that made each. A stage is checked on its own variables and its inputs'
        (``made_by``: it and the stages before it), not on what later stages added;
        ``None`` keeps every variable. A variable no record names a maker for is kept (it
        is checked, as an input).
        """
        rec = (self.data["stages"].get(name) or {}).get("verify") or {}
        if made_by is None:
            return rec
        kept: dict[str, dict[str, Any]] = {}
        for cube, variables in rec.items():
            kept[cube] = {}
            for var, entry in variables.items():
                owner = self.owner(cube, var)
                if owner is None or owner in made_by:
                    kept[cube][var] = entry
        return kept

    def inventories(self) -> list[dict[str, Any]]:
        """Every stage record's cube inventory (``verify``), for
        :func:`pipelines.verify.inventory` to take the content digest of a variable no
        stage wrote since from."""
        return [record["verify"] for record in self.data["stages"].values()
                if isinstance(record, dict) and isinstance(record.get("verify"), dict)]

    def latest_record(self, *, made_by: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The newest record of each cube variable stages ``made_by`` made: the entry of
        the last finished stage to list it (every finished stage lists the whole cube).

        What the variable should be now: a stage's own older copy is out of date once an
        earlier stage recomputed the variable.
        """
        newest: dict[tuple[str, str], tuple[int, dict[str, Any]]] = {}
        for record in self.data["stages"].values():
            if (record or {}).get("status") != "done":
                continue
            seq = record.get("seq", 0)
            for cube, variables in (record.get("verify") or {}).items():
                for var, entry in variables.items():
                    if (cube, var) not in newest or seq > newest[cube, var][0]:
                        newest[cube, var] = (seq, entry)
        found: dict[str, dict[str, Any]] = {}
        for (cube, var), (_, entry) in sorted(newest.items()):
            if self.owner(cube, var) in made_by:
                found.setdefault(cube, {})[var] = entry
        return found

    def owner(self, cube: str, var: str, *, but: str | None = None) -> str | None:
        """The stage that made ``cube``'s variable ``var`` (``None``: no record says).

        The last stage to record it as its own (a stage records as its own only the
        variables it makes, :attr:`StageResult.variables`); else the maker a later record
        copied; else, for a record written before makers were named, the first stage to
        list it. ``but``: a stage whose claims are set aside (it has just said it does not
        make the variable; a manifest of an older version may still name it).
        """
        own: tuple[int, str] | None = None
        copied: tuple[int, str] | None = None
        listed: tuple[int, str] | None = None
        for stage, record in self.data["stages"].items():
            entry = (((record or {}).get("verify") or {}).get(cube) or {}).get(var)
            if not isinstance(entry, dict):
                continue
            seq = record.get("seq", 0)
            if "stage" not in entry:
                if stage != but:
                    listed = min(listed or (seq, stage), (seq, stage))
                continue
            claimed = entry["stage"]
            if not isinstance(claimed, str) or claimed == but:
                continue
            if claimed == stage:
                own = max(own or (seq, stage), (seq, stage))
            else:
                copied = max(copied or (seq, claimed), (seq, claimed))
        found = own or copied or listed
        return found[1] if found else None

    def _owners(self, result: StageResult, inventory: dict[str, dict[str, Any]]) -> None:
        """Name in ``inventory`` the stage that made each variable: ``result``'s stage for
        the variables it makes, else the maker the manifest names (:meth:`owner`)."""
        made = set(result.variables)
        for cube, variables in inventory.items():
            for var, entry in variables.items():
                entry["stage"] = result.name if var in made else \
                    self.owner(cube, var, but=result.name)

    def skip(self, name: str, reason: str) -> StageResult:
        """Record that this run skipped ``name``; returns its earlier result for summaries."""
        rec = self.data["stages"][name]
        rec.setdefault("skipped_by_runs", []).append(self.run_id)
        self.run["skipped"].append({"stage": name, "reason": reason})
        self.write()
        return StageResult(
            name=name, metrics=dict(rec.get("metrics", {})),
            outputs={k: str(verify.resolve(self.path.parent, v)) if isinstance(v, str) else v
                     for k, v in rec.get("outputs", {}).items()},
            skipped=True, seconds=0.0, made_in=str(rec.get("run_id") or "?"),
            notes=[f"skipped: {reason}; config and inputs unchanged (use --force to rerun)",
                   *(n for n in rec.get("notes", []) if n.startswith("warning: "))],
        )

    # -- outputs taken away ------------------------------------------------------------
    def removal_folder(self, new: str, *, stage: str) -> str:
        """The folder (relative to ``-o``) that outputs ``stage`` no longer makes are moved
        into: the one a run stopped while it moved them recorded, else ``new``, recorded
        (and written) before anything is moved.

        A run stopped (killed, out of disk) while it moved a deleted section's outputs into
        ``removed/<time>-<run>/`` left some there, and the next run moved the rest into a
        folder of its own: one removal split over two folders. The folder is now in the
        manifest (``removing``) from before the first move until the move is done, with
        the stages whose moves into it are not done yet (``removing_for``): it is let go
        only once each of them has finished its moves (:meth:`removal_done`), whatever
        runs in between (a run of other stages alone kept it for no stage and let it go,
        and the next run of the stopped stage moved the rest into a folder of its own).
        """
        folder = self.data.get("removing") or self.run.get("removed_to") or new
        pending = self.data.get("removing_for")
        pending = list(pending) if isinstance(pending, list) else []
        if self.data.get("removing") != folder or stage not in pending:
            self.data["removing"] = folder
            self.data["removing_for"] = [*pending, stage] if stage not in pending \
                else pending
            self.write()
        self.run["removed_to"] = folder
        return str(folder)

    def removal_done(self, stage: str) -> bool:
        """Say that ``stage`` has finished its moves into :meth:`removal_folder` (or had
        none left); once no stage has moves left there, a later run gets a folder of its
        own (written with the manifest's next write). Returns whether the folder was let
        go.

        A manifest that does not say which stages were moving (written before
        ``removing_for``) lets its folder go once this run has moved into it, as before.
        """
        if "removing" not in self.data:
            return False
        pending = self.data.get("removing_for")
        if not isinstance(pending, list):
            if self.run.get("removed_to") != self.data["removing"]:
                return False
        elif stage in pending:
            pending.remove(stage)
        if pending:
            return False
        self.data.pop("removing", None)
        self.data.pop("removing_for", None)
        return True

    # -- stage records ------------------------------------------------------------------
    def begin(self, name: str, reason: str = "") -> None:
        """Mark ``name`` running (a job killed now leaves it so, and the rerun redoes it).

        ``reason`` (why it runs rather than being skipped) goes into the run entry.
        """
        rec = self.data["stages"].setdefault(name, {})
        self._began[name] = _clocks()
        rec.update({"status": "running", "started": _now(), "run_id": self.run_id})
        if reason:
            self.run.setdefault("reasons", {})[name] = reason
        self.write()

    def record_inputs(self, files: dict[str, str], *, located: dict[str, str] | None = None
                      ) -> dict[str, dict[str, Any]]:
        """Record input files (label -> path) with their SHA-256, and each read over a
        network with the version its server states (:func:`_network_unchanged`); returns
        the file records. ``located``: the files the config names by no path, found
        where the environment says (what each is found as -> path:
        :func:`pipelines.stages.located_inputs`); the record of each names it
        (``located``), for :meth:`located_changed`."""
        from prospect.io.remote import is_network_name, network_version

        found_as = {os.path.realpath(path): key for key, path in (located or {}).items()}
        out = {}
        for label, p in files.items():
            if is_network_name(p):  # a URL: the version its server states, where it does
                version = network_version(p)
                if version:
                    out[label] = self.data["inputs"][label] = {"path": p, "version": version}
                continue
            path = Path(p)
            if path.is_file():
                known = self.data["inputs"].get(label)
                same = known and verify.resolve(self.path.parent, known.get("path", "")) \
                    == path and _file_unchanged(known, self.path.parent)
                rec = _file_record(path, known["sha256"] if same else None)
                rec["path"] = verify.relative_to(self.path.parent, rec["path"])
                if os.path.realpath(path) in found_as:
                    rec["located"] = found_as[os.path.realpath(path)]
                self.data["inputs"][label] = rec
                out[label] = rec
        return out

    def record(self, result: StageResult, *, status: str = "done",
               cluster: dict[str, Any] | None = None,
               inventory: dict[str, dict[str, Any]] | None = None) -> None:
        """Record one stage's outcome (and the cluster tasks it ran) and write the manifest.

        Each cube variable names the stage that made it (``result.variables``; see
        :meth:`owner`). ``inventory``: the stage's :func:`pipelines.verify.inventory`, when
        the caller has just taken it.

        A record the disk refuses (full, over its quota or ``ulimit -f``) is taken back,
        and the stage recorded ``failed`` with what happened, where that smaller record
        fits (:meth:`_unrecorded`): it stayed ``running``, the run too, as if a job were
        still at work on it. The error is raised on either way.
        """
        from pipelines.stages import located_inputs

        stages, inputs = dict(self.data["stages"]), dict(self.data["inputs"])
        files = self.record_inputs(result.inputs, located=located_inputs(result.name, self.job))
        if inventory is None:
            inventory = verify.inventory(self.path.parent, result.outputs,
                                         known=self.inventories())
        self._owners(result, inventory)
        seq = 1 + max((s.get("seq", 0) for s in self.data["stages"].values()), default=0)
        self.data["stages"][result.name] = {
            "status": status,
            "seq": seq,
            "run_id": self.run_id,
            "seconds": result.seconds,
            "skipped": result.skipped,
            "outputs": {k: verify.relative_to(self.path.parent, v)
                        for k, v in result.outputs.items()},
            "verify": inventory,
            "files": verify.file_inventory(self.path.parent, result.outputs),
            "metrics": result.metrics,
            "notes": result.notes,
            "input_files": files,
            "settings_hash": self.job.settings_hash(result.name),
            "settings": self.job.stage_settings(result.name),
            "cluster": dict(cluster or {}),
            "finished": _now(),
            "versions": library_versions(),
        }
        step = _since(self._began.get(result.name)).get(CLOCK_STEP_KEY)
        if step is not None:  # its "finished" stamp is off by the step (before "started")
            self.data["stages"][result.name][CLOCK_STEP_KEY] = step
        self.run["ran"].append(result.name)
        try:
            self.write()
        except OSError as exc:
            self.data["stages"], self.data["inputs"] = stages, inputs
            self.run["ran"].pop()
            self._unrecorded(result, exc)
            raise

    def _unrecorded(self, result: StageResult, exc: OSError) -> None:
        """Record stage ``result.name`` ``failed``, its finished record refused by the
        disk with ``exc``; a disk that refuses this record too leaves it as it was."""
        why = exc.strerror or str(exc)
        error = StageError(
            f"the stage finished, but its record could not be written to {self.path.name} "
            f"({why}); run the same command again: what it made is checked and kept")
        with contextlib.suppress(Exception):  # the disk's error is the one said
            self.fail(result.name, error, notes=result.notes)

    def fail(self, name: str, error: BaseException, *, status: str = "failed",
             notes: Sequence[str] = ()) -> None:
        """Record that ``name`` did not finish (``failed`` or ``interrupted``).

        ``notes``: what the stage noted before it stopped (its ``warning:`` data
        warnings), kept as a finished stage's are, with their ``data_warnings`` count.
        """
        rec = self.data["stages"].setdefault(name, {})
        warned = [n for n in notes if n.startswith("warning: ")]
        rec.update({"status": status, "error": f"{type(error).__name__}: {error}"[:500],
                    "ended": _now(), "run_id": self.run_id, "notes": list(notes),
                    "metrics": {"data_warnings": len(warned)} if warned else {}})
        rec.pop(CLOCK_STEP_KEY, None)  # an earlier run's
        if name in self._began:
            rec.update(_since(self._began.get(name)))  # how long it ran, by the monotonic clock
        self.run["status"] = status
        self.run.update(_since(self._began[None]))  # the run ends with it (no close)
        self.write()

    def close(self, status: str = "done") -> None:
        """Mark this run finished. A removal folder that a stage this run did not run
        still has moves into is kept (:meth:`removal_folder`); one recorded without its
        stages (an older manifest) is let go, as before."""
        if not isinstance(self.data.get("removing_for"), list) or \
                not self.data["removing_for"]:
            self.data.pop("removing", None)
            self.data.pop("removing_for", None)
        self.run["status"] = status
        self.run["finished"] = _now()
        self.run.update(_since(self._began[None]))  # beside the stamps: a clock step
        self.write()

    def write(self) -> None:
        """Write atomically (temp file, then rename), as strict JSON.

        A number that is not finite (a source's ``nodata: .nan`` in the config and the
        ingest record's settings, an undefined metric) is written ``null`` and listed
        under ``non_finite_numbers`` (:func:`prospect.nonfinite.strict_document`,
        as a model's card and schema are): ``json.dumps`` wrote the bare tokens ``NaN``
        and ``Infinity``, which are no JSON, so ``jq``, JavaScript's ``JSON.parse`` and
        most readers outside Python refused the whole manifest. :meth:`_read` sets them
        back, and reads manifests written before, with the bare tokens, as they were
        (each record's seal is taken over the record as written).
        """
        check_held(self.path.parent)  # another job took the directory: its manifest now
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = strict_document(redact_tree(self.data))  # NaN and infinities: null, listed
        for record in (data.get("stages") or {}).values():
            if isinstance(record, dict):  # each stage's record as written: trusted only so
                record["seal"] = _seal(record)
        write_json(self.path, data, indent=2, sort_keys=True, newline=False)
