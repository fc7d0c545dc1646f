"""File-level helpers shared by every stage: checksums and atomic writes.

Everything Prospect writes where a reader could find it is written under a temporary name
beside its target and renamed into place (:func:`os.replace`, atomic on one file system),
so a reader sees the old complete file or directory or the new one, never a half-written
one, and an interrupted writer leaves only a dot-named temporary behind:

* :func:`write_bytes`, :func:`write_text`, :func:`write_json`: a whole file at once;
* :func:`staged_file`: a temporary path for a writer that needs a file name (GDAL, ONNX);
* :func:`staged_dir`: a directory filled in a staging folder and published whole
  (:func:`publish_dir`);
* :func:`scratch_dir`: a temporary folder beside a target, always removed.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import hashlib
import json
import os
import re
import shlex
import shutil
import stat
import threading
import uuid
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from prospect.canonical import jsonable

__all__ = [
    "FSYNC_VARIABLE",
    "SideReadStopped",
    "allow_side_reads",
    "bytes_sha256",
    "durable_writes",
    "file_sha256",
    "fsync_if_able",
    "name_written_otherwise",
    "one_spelling",
    "product_lacks",
    "publish_dir",
    "scratch_dir",
    "staged_dir",
    "staged_file",
    "stop_side_reads",
    "sweep_leftovers",
    "target_of",
    "temp_name",
    "why_unreadable",
    "write_bytes",
    "write_json",
    "write_text",
    "zip_unreadable",
]


_READS_STOPPED = threading.Event()
"""Set while the job stops (:func:`stop_side_reads`): checksums read in helper threads
end at their next block."""


class SideReadStopped(Exception):
    """A checksum read in a helper thread, ended because the job is stopping."""


def stop_side_reads() -> None:
    """End every checksum under way (or queued) in a thread other than the main one at
    its next 1 MiB block, and refuse new ones there, until :func:`allow_side_reads`.

    For a job that is stopping (Ctrl-C, SIGTERM as a batch system's grace began): ingest
    reads its inputs' SHA-256 in a helper thread while the cluster computes, and its
    unwinding waits for that thread, so a stop waited for every input to be read whole
    (7 s for one input of 1 GiB on a loaded machine; minutes for a season of scenes),
    past the grace before SIGKILL. The main thread's reads (the manifest's on the job's
    way out) go on. The command line's stop handler calls it
    (:func:`pipelines.faults.stop_signals_interrupt`), and lets reads go on once the
    command has unwound.
    """
    _READS_STOPPED.set()


def allow_side_reads() -> None:
    """Let helper threads read checksums again (the stopped command has unwound, or a new
    one begins in the same process)."""
    _READS_STOPPED.clear()


def _stopped_here() -> bool:
    return _READS_STOPPED.is_set() and threading.current_thread() is not threading.main_thread()


@functools.lru_cache(maxsize=256)
def _sha256_cached(path: str, size: int, mtime_ns: int, ctime_ns: int, inode: int) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            if _stopped_here():  # not cached: lru_cache keeps no exception
                raise SideReadStopped(f"{path}: checksum stopped, the job is stopping")
            h.update(block)
    return h.hexdigest()



def one_spelling(name: str) -> str:
    """A file's name as one spelling, to tell whether two names are one file: a local
    path by its real path (a symbolic link, ``..`` or another relative spelling of one
    file is that file); GDAL's ``/vsi`` names and URLs as written (resolving them on this
    machine's disk would make another name of them)."""
    if not name or name.startswith("/vsi") or "://" in name:
        return name
    return os.path.realpath(name)

def file_sha256(path: Path | str) -> str:
    """Hex SHA-256 of a file, read in 1 MiB blocks.

    Cached per resolved path, size, modification time, change time and inode, so a stage
    that lists the same input twice (or the manifest after the stage) reads it once, and a
    file rewritten in place or replaced with its old size and mtime kept (``cp -p``,
    ``rsync -t``: the ctime or inode changes, which no tool sets back) is read again by a
    long-lived process (a notebook, a server).
    """
    p = Path(path)
    st = p.stat()
    return _sha256_cached(str(p.resolve()), st.st_size, st.st_mtime_ns, st.st_ctime_ns,
                          st.st_ino)


def why_unreadable(path: Path | str, what: str) -> str:
    """Why ``path``, which is not a regular file, cannot be read as ``what``, with the fix.

    A broken or looping symbolic link, a FIFO or device, or a folder that may not be
    entered were all "not found", which sent the user looking for a typo.
    """
    path = Path(path)
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        if path.is_symlink():
            return (f"a symbolic link to {os.readlink(path)}, which does not exist; point it "
                    f"at the {what}")
        return (f"{what} not found; check the path in the config"
                f"{_other_case(path) or product_lacks(path)}")
    except PermissionError:
        return "cannot be reached (permission denied on it or a folder above it)"
    except NotADirectoryError:  # data.zip/heat.tif: a file taken for a folder
        return _file_as_folder(path, what)
    except OSError as exc:  # ELOOP: a link that points at itself, directly or not
        return (f"cannot be reached ({exc.strerror or exc}: a symbolic link loop?); give the "
                f"path of the {what} itself")
    if stat.S_ISDIR(mode):
        return f"a folder, not a {what}; give the path of the file inside it in the config"
    return f"not a regular file (a FIFO, socket or device); give the path of the {what}"


_ARCHIVE_PREFIXES = {".zip": "/vsizip/", ".tar": "/vsitar/", ".tgz": "/vsitar/",
                     ".tar.gz": "/vsitar/", ".7z": "/vsi7z/"}
"""The GDAL virtual file name prefix that reads inside an archive of each ending."""


_GDAL_UNZIPS = frozenset({zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, 9})
"""The zip compression methods GDAL's ``/vsizip/`` unpacks: stored, deflate and
Deflate64 (9, as Windows zips its large files)."""

_ZIP_METHODS = {1: "shrink", 6: "implode", zipfile.ZIP_BZIP2: "bzip2",
                zipfile.ZIP_LZMA: "LZMA", 93: "Zstandard", 95: "xz", 98: "PPMd"}
"""Names of other zip compression methods (a zip made with ``zip -Z bzip2``, or by 7-Zip
with LZMA), for the message."""
_UNZIP_METHODS = frozenset({1, 6, zipfile.ZIP_BZIP2})
"""The methods among them Info-ZIP's ``unzip`` unpacks (7-Zip's ``7z x`` the others)."""


def zip_unreadable(archive: Path | str, members: list[str] | None = None) -> str | None:
    """Why GDAL cannot read ``members`` of the local zip ``archive`` (every file in it
    where ``None``; a named member with the files beside it that share its name, a
    Shapefile's ``.dbf`` and ``.prj``, and a named folder's files, a FileGDB's): they
    are encrypted (a password-protected zip, as licensed survey data is shipped, WinZip's
    AES too) or compressed by a method ``/vsizip/`` does not unpack (bzip2, LZMA).
    ``None`` where GDAL can read them, or ``archive`` is no zip that can be listed (other
    checks name that).

    GDAL said "decompression failed with z_err = -3" or "cpl_unzOpenCurrentFile()
    failed" ("corrupt?"), Python's own reader an internal error ("File 'geo.dbf' is
    encrypted, password required for extraction").

    Parameters
    ----------
    archive : Path or str
        A zip file on this machine.
    members : list of str, optional
        The files of it that are to be read (as the archive lists them).

    Returns
    -------
    str or None
        The reason and the fix, one line, to follow ``"<path>: "``.
    """
    try:
        with zipfile.ZipFile(archive) as zf:
            infos = [i for i in zf.infolist() if not i.is_dir()]
    except (OSError, EOFError, ValueError, zipfile.BadZipFile, NotImplementedError):
        return None
    # each file asked for (a Shapefile named by its .shp) with the files it is read with
    asked = {i.filename: [i] for i in infos} if members is None else {
        m: [i for i in infos if i.filename == m
            or i.filename.rsplit(".", 1)[0] == m.rsplit(".", 1)[0]
            or i.filename.startswith(m.rstrip("/") + "/")] for m in members if m}
    name = Path(archive).name
    locked = [m for m, parts in asked.items() if any(i.flag_bits & 0x1 for i in parts)]
    if locked:
        return (f"{_few(locked)} in the zip {name} {'is' if len(locked) == 1 else 'are'} "
                "encrypted (a password-protected zip), which GDAL cannot read; unzip it "
                f"with its password (unzip {shlex.quote(name)} asks for it) and give the "
                "file inside as 'path:'")
    packed = {m: next(i.compress_type for i in parts if i.compress_type not in _GDAL_UNZIPS)
              for m, parts in asked.items()
              if any(i.compress_type not in _GDAL_UNZIPS for i in parts)}
    if packed:
        first = next(iter(packed.values()))
        method = _ZIP_METHODS.get(first, f"method {first}")
        tool = "unzip" if first in _UNZIP_METHODS else "7z x"
        return (f"{_few(list(packed))} in the zip {name} "
                f"{'is' if len(packed) == 1 else 'are'} compressed with {method}, which "
                f"GDAL cannot unpack from a zip (only deflate); unpack it ({tool} "
                f"{shlex.quote(name)}) and give the file inside as 'path:', or zip it again "
                "with deflate (zip's default)")
    return None


def _few(names: list[str]) -> str:
    """``names`` for a message: three at most, then how many."""
    return ", ".join(names[:3]) + (f" (and {len(names) - 3} more)" if len(names) > 3 else "")


def _file_as_folder(path: Path, what: str) -> str:
    """Why ``path``, one of whose folders is a file (``ENOTDIR``), cannot be read, with
    the fix: an archive (``data.zip/heat.tif``: the zip taken for the folder it unpacks
    to) is read inside with GDAL's prefix for it; any other file is named as the part of
    the path that is no folder.

    Both were "cannot be reached (Not a directory: a symbolic link loop?)", which sent
    the user looking for links.
    """
    base = next((folder for folder in reversed(path.parents)
                 if folder.exists() and not folder.is_dir()), None)
    if base is None:  # gone since the look: say what the system said
        return (f"cannot be reached (a part of the path is a file, not a folder); check "
                f"the path of the {what} in the config")
    inside = path.relative_to(base).as_posix()
    name = base.name.casefold()
    prefix = next((vsi for ending, vsi in sorted(_ARCHIVE_PREFIXES.items(),
                                                 key=lambda item: -len(item[0]))
                   if name.endswith(ending)), None)
    if prefix is None and zipfile.is_zipfile(base):
        prefix = "/vsizip/"
    if prefix == "/vsizip/":  # a zip GDAL cannot read inside: say so, not /vsizip/
        why = zip_unreadable(base, [inside])
        if why is not None:
            return why
    if prefix is not None:  # the path as written is not known here: an example of it
        return (f"{base.name!r} is an archive, not a folder; put {prefix} in front of the "
                f"path to read inside it ({prefix}{base.name}/{inside} for an archive "
                "beside the config), or unpack it")
    return (f"{base} is a file, not a folder, so nothing is inside it; check the path of "
            f"the {what} in the config")


_OTHER_ENDINGS = {".tiff": ".tif", ".jpeg": ".jpg", ".yml": ".yaml"}
"""Endings written two ways for one format, each read as the first's other form."""

_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
"""Zero-width spaces and joiners, the word joiner, byte-order mark and soft hyphen."""


def _ends_trimmed(name: str) -> str:
    """``name`` without the spaces and invisible characters (:data:`_INVISIBLE`) at its
    ends, which a copy from a web page, a spreadsheet or a PDF leaves and no listing
    shows."""
    return name.strip(_INVISIBLE + " \t\u00a0")


def _unescaped(name: str) -> str:
    """``name`` with its ``%XX`` escapes decoded and its ends trimmed (:func:`_ends_trimmed`)."""
    from urllib.parse import unquote

    return _ends_trimmed(unquote(_ends_trimmed(name)))


def _name_key(name: str) -> str:
    """The form of a file name in which the ways one name is miswritten are the same:
    ``%XX`` escapes decoded (a path copied from a URL or a browser), spaces and invisible
    characters at its ends taken off, case folded, one ending of the two a format is
    written with (:data:`_OTHER_ENDINGS`: TIFF, JPEG, YAML)."""
    stem, dot, ending = _unescaped(name).casefold().rpartition(".")
    return f"{stem}{_OTHER_ENDINGS.get(dot + ending, dot + ending)}" if dot else ending


def _how_other(given: str, there: str) -> str:
    """How the name ``there`` differs from ``given`` (the two have one :func:`_name_key`),
    in words, and why it matters."""
    from urllib.parse import unquote

    hows = []
    if unquote(given) != given or unquote(there) != there:
        hows.append("the name with its %XX escapes decoded (a path copied from a URL: "
                    "%20 is a space)")
    if _ends_trimmed(given) != given or _ends_trimmed(there) != there:
        hows.append("the name with a space or an invisible character at an end")
    stem_given, _, end_given = _unescaped(given).rpartition(".")
    stem_there, _, end_there = _unescaped(there).rpartition(".")
    if end_given.casefold() != end_there.casefold():
        hows.append(f"the same format's other ending (.{end_there})")
    if stem_given != stem_there or (end_given != end_there
                                    and end_given.casefold() == end_there.casefold()):
        hows.append("its name in another case: names are case-sensitive here")
    return "; ".join(hows)


def _first_missing(path: Path) -> Path:
    """The first part of ``path`` that is not there (``path`` itself when its folder is);
    a part that cannot be looked at counts as there."""
    missing = path
    for folder in path.parents:
        try:
            if folder.exists() or folder == folder.parent:
                return missing
        except OSError:
            return missing
        missing = folder
    return missing


def product_lacks(path: Path | str) -> str:
    """``"; the .SAFE folder ... lacks it: an incomplete download or unzip? ..."`` where
    ``path``, not there, lies inside a Sentinel-2 ``.SAFE`` folder that is; else ``""``.

    A band file missing from a product folder was "raster file not found; check the path
    in the config", sending the user to a typo, where the product XML missing from it was
    said as the incomplete download it mostly is (round 66).
    """
    path = Path(path)
    safe = next((p for p in path.parents if p.name.upper().endswith(".SAFE")), None)
    if safe is None or not safe.is_dir() or os.path.lexists(path):
        return ""
    return (f"; the .SAFE folder {safe} lacks it: an incomplete download or unzip? "
            "download the product again")


def _other_case(path: Path) -> str:
    """:func:`name_written_otherwise` of ``path`` in parentheses after a space, or ``""``."""
    found = name_written_otherwise(path)
    return f" ({found})" if found else ""


def name_written_otherwise(path: Path | str) -> str:
    """``"'heat.tif' is there, ...; write it as it is on disk"`` naming a file beside
    ``path`` (which is not there) whose name is the one given miswritten
    (:func:`_name_key`): in another case (``HEAT.TIF`` written for ``heat.tif``: names are
    case-sensitive on Linux, not on the Windows or macOS machine the config was written
    on), with ``%20`` for a space (a path copied from a URL), with the other TIFF (or
    JPEG, YAML) ending (``.tiff`` for ``.tif``), or with a space or an invisible character
    at an end; else ``""``. Where a folder of the path is not there, the folder written
    so beside it is named (``data%20in/heat.tif`` for ``data in/heat.tif``)."""
    path = Path(path)
    missing = _first_missing(path)
    if os.path.lexists(missing):  # a file where a folder of the path is: not a name's fault
        return ""
    folder = missing != path
    try:
        with os.scandir(missing.parent) as entries:
            want = _name_key(missing.name)
            for n, entry in enumerate(entries):
                if n >= 100_000:  # a folder that large is not listed for a hint
                    break
                if entry.name != missing.name and _name_key(entry.name) == want:
                    shown = f"the folder {os.path.join(missing.parent, entry.name)!r}" \
                        if folder else repr(entry.name)
                    return (f"{shown} is there, {_how_other(missing.name, entry.name)}; "
                            "write it as it is on disk")
    except OSError:
        pass
    return ""


def bytes_sha256(data: bytes) -> str:
    """Hex SHA-256 of ``data`` (the same digest :func:`file_sha256` gives for a file)."""
    return hashlib.sha256(data).hexdigest()


def temp_name(target: Path | str, tag: str = "tmp") -> Path:
    """A fresh hidden name beside ``target``: ``.<name>.<tag>-<8 hex>``."""
    target = Path(target)
    return target.parent / f".{target.name}.{tag}-{uuid.uuid4().hex[:8]}"


def disk_refusal(target: Path | str, size: int, errnos: frozenset[int]) -> OSError | None:
    """Ask the disk of ``target`` for ``size`` bytes (``posix_fallocate`` of a hidden
    :func:`temp_name` beside it, removed at once): its error, naming ``target``, where it
    refuses with one of ``errnos``; else ``None``. What a library's failed write did not
    say (GDAL's "Write failed", SQLite's "disk I/O error") the disk says here."""
    probe = temp_name(target)  # swept as a leftover when the run is killed meanwhile
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.posix_fallocate(fd, 0, max(1, int(size)))
        finally:
            os.close(fd)
            probe.unlink(missing_ok=True)
    except OSError as err:
        if err.errno in errnos:
            return OSError(err.errno, err.strerror, str(target))
    return None


_LEFTOVER = re.compile(r"^\..+\.(tmp|staging|old)-[0-9a-f]{8}$")
_TEMP_PART = re.compile(r"^\.(.+)\.(?:(?:tmp|staging|old)-[0-9a-f]{8}|partial)$")

_PUBLISH_GUARDS: list[Callable[[Path], None]] = []
"""Checks run right before anything is published (renamed into place) or removed aside;
each raises to stop it (:func:`add_publish_guard`)."""


def add_publish_guard(check: Callable[[Path], None]) -> Callable[[], None]:
    """Run ``check(target)`` right before each publish of this module (:func:`staged_file`,
    :func:`publish_dir`, :func:`remove_aside`) and of :func:`before_publish`'s callers;
    returns a function that removes it. The job's output lock registers one: a job that
    lost its output directory to another job publishes nothing more there."""
    _PUBLISH_GUARDS.append(check)

    def remove() -> None:
        with contextlib.suppress(ValueError):
            _PUBLISH_GUARDS.remove(check)

    return remove


def before_publish(target: Path | str) -> None:
    """Run the publish guards (:func:`add_publish_guard`) for ``target``; whatever they
    raise stops the publish before anything is moved."""
    for check in list(_PUBLISH_GUARDS):
        check(Path(target))


def target_of(path: Path | str) -> Path:
    """``path`` with each hidden temporary name of :func:`temp_name` in it replaced by the
    name it stands for (``out/.cube.zarr.staging-1a2b3c4d/x`` -> ``out/cube.zarr/x``): the
    path a user asked for, for messages.

    A file of a cube variable being written (``.cube.zarr.partial/<folder>/store/<name>/c/0/1``)
    stands for the variable's file in the cube (``cube.zarr/<name>/c/0/1``); it read
    ``cube.zarr/<folder>/store/<name>/...``, a path that never exists.
    """
    given = Path(path).parts
    parts: list[str] = []
    i = 0
    while i < len(given):
        found = _TEMP_PART.match(given[i])
        parts.append(found.group(1) if found else given[i])
        partial = found is not None and given[i].endswith(".partial")
        i += 3 if partial and given[i + 2:i + 3] == ("store",) else 1
    return Path(*parts) if parts else Path(path)


def sweep_leftovers(root: Path | str, *, others_mark: str | None = None) -> list[Path]:
    """Remove what writers killed mid-write left under ``root``: the hidden temporary
    files, staging folders and set-aside old copies that :func:`temp_name`,
    :func:`scratch_dir` and :func:`publish_dir` name (``.<name>.<tag>-<8 hex>``).

    Only for a folder no other writer is using (a job's output directory, under its
    lock). Returns the paths removed.

    Parameters
    ----------
    root
        The folder swept, and every folder below it.
    others_mark
        The name of a file that marks a folder below ``root`` as another writer's (another
        job's output folder inside this one holds its own lock file): neither it nor what
        is below it is swept. A job run into ``out/`` while another ran into ``out/b/``
        removed that job's staging folders and temporary files as it wrote them, and its
        publish failed on a file no longer there.
    """
    removed: list[Path] = []
    for folder, dirs, files in os.walk(root):
        if others_mark is not None and others_mark in files and \
                os.path.abspath(folder) != os.path.abspath(root):
            dirs.clear()  # another writer's folder: its own sweep is its own
            continue
        for name in [d for d in dirs if _LEFTOVER.match(d)]:
            dirs.remove(name)
            shutil.rmtree(os.path.join(folder, name), ignore_errors=True)
            removed.append(Path(folder, name))
        for name in files:
            if _LEFTOVER.match(name):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(os.path.join(folder, name))
                removed.append(Path(folder, name))
    return removed


_WRITE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS})
"""Errors a write raises for the disk's sake (full, over quota or the file-size limit,
read-only), which name no file."""

_NO_SYNC_ERRNOS = frozenset({errno.EINVAL, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EBADF,
                             errno.EACCES, errno.EPERM, errno.EROFS, errno.EISDIR,
                             errno.ENOSYS})
"""What ``fsync`` answers where a file system or a folder cannot be synced at all (some
FUSE and network file systems, a folder that cannot be opened, a read-only mount): no
fault of the data written, so the write goes on as before."""


def fsync_if_able(fd: int) -> bool:
    """``fsync`` the open file ``fd``; ``False`` where its file system cannot sync at all
    (:data:`_NO_SYNC_ERRNOS`: ``EINVAL`` from some FUSE and tmpfs-like file systems,
    ``EOPNOTSUPP``, ``ENOSYS``), which is no fault of the data written.

    Raises
    ------
    OSError
        Any other error of the flush (``EIO``, ``ENOSPC``, ``EDQUOT``: a write the disk
        refused).
    """
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno not in _NO_SYNC_ERRNOS:
            raise
        return False
    return True


def _to_disk(path: Path, target: Path, *, published: bool = False,
             whole_fs: bool = False) -> None:
    """``fsync`` the file or folder at ``path``: its data (or, for a folder, the names in
    it) on the disk before a reader or the next run is sent to it (``target``, named in
    an error).

    A renamed file had its name on the disk and its data still in the page cache: a node
    lost (power, a kernel panic, SLURM's ``NODE_FAIL``) left the published file (a
    manifest, a model, a COG) empty or short under its final name, taken for a result by
    the next run. And a network file system (NFS, Lustre, SMB) or a thin disk reports a
    write it could not store (over quota, full, an I/O error) only when the data are
    flushed: the file was published as if whole. That error now goes up naming
    ``target``, before anything is renamed. A file system that cannot sync
    (:data:`_NO_SYNC_ERRNOS`) is written as before; so is a folder synced after its
    rename (``published``), best effort: the file in it is whole by then. ``whole_fs``:
    the file system holding ``path`` flushed whole (:func:`_syncfs`), as
    :func:`_flush_folder` asks.
    """
    try:
        fd = os.open(path, os.O_RDONLY | (os.O_DIRECTORY if path.is_dir() else 0))
    except OSError:
        return  # opened by nobody here: the writer's own error, if any, has gone up
    try:
        if whole_fs:
            _syncfs(fd)
        else:
            os.fsync(fd)
    except OSError as exc:
        if exc.errno not in _NO_SYNC_ERRNOS and not published:
            raise OSError(exc.errno, exc.strerror, str(target)) from exc
    finally:
        os.close(fd)


@functools.cache
def _libc_syncfs() -> Callable[[int], int] | None:
    """glibc's ``syncfs`` (Linux 2.6.39 and later), or ``None`` on another system or C
    library."""
    import ctypes
    import ctypes.util
    import sys

    if not sys.platform.startswith("linux"):
        return None
    try:
        call = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True).syncfs
    except (OSError, AttributeError):
        return None
    call.argtypes = [ctypes.c_int]
    call.restype = ctypes.c_int
    return call


def _syncfs(fd: int) -> None:
    """Flush every file of the file system holding ``fd`` (``syncfs``); where the system
    has no ``syncfs``, every file system (``os.sync``). Raises :class:`OSError` with the
    error the file system reports (``EIO``, ``ENOSPC``, ``EDQUOT``: Linux 5.8 and later
    report a write lost in the flush)."""
    import ctypes

    call = _libc_syncfs()
    if call is None:
        if hasattr(os, "sync"):
            os.sync()
        return
    if call(fd) != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))


def _flush_folder(folder: Path, target: Path) -> None:
    """The data of every file in ``folder`` (a staging folder about to be published as
    ``target``, named in an error) on the disk: one sync of its file system, which costs
    one wait for what is still to be written however many files a library wrote there
    (a tile pyramid, a cube variable's chunks), where an ``fsync`` of each would wait for
    the disk once a file. A file system that cannot sync (:data:`_NO_SYNC_ERRNOS`) is
    published as before."""
    _to_disk(folder, target, whole_fs=True)


@contextmanager
def _naming(target: Path) -> Iterator[None]:
    """Raise a write the disk refused (full, over quota, the file-size limit, read-only:
    :data:`_WRITE_ERRNOS`) that names no file as naming ``target`` (a ``write()`` names
    none; zarr's and GDAL's writes neither): the user was told only the output folder.
    Any other error goes up as it is."""
    try:
        yield
    except OSError as exc:
        if exc.filename is not None or exc.errno not in _WRITE_ERRNOS:
            raise
        raise OSError(exc.errno, exc.strerror, str(target)) from exc


FSYNC_VARIABLE = "PROSPECT_FSYNC"
"""``1``: every published file is flushed to the disk before its rename, and each published
folder's file system before the folder's (:func:`durable_writes`); unset or ``0``: not."""


def durable_writes() -> bool:
    """Whether published files and folders are flushed to the disk first (``$PROSPECT_FSYNC``
    is ``1``).

    Off by default, as GDAL, zarr and xarray write: the flush waits for the disk to store
    every byte the job wrote (a third of a 10-second job's time on the benchmarks' disk,
    ``benchmarks/RESULTS.md``), and it guards against one fault only, a node lost with
    data still in its page cache (power, a kernel panic, a Lustre or GPFS client's cache
    lost at SLURM's ``NODE_FAIL`` with the job requeued), after which a published file
    could be short under its final name. NFS flushes a file at its ``close``, which
    reports a refused write (quota, I/O error) there, and ext4 puts a replacing rename's
    data on the disk first. Set ``PROSPECT_FSYNC=1`` on the workers too where an output's
    file system caches writes on a node that may be lost (``cluster/README.md``).
    """
    return os.environ.get(FSYNC_VARIABLE, "").strip() == "1"


@contextmanager
def staged_file(path: Path | str, *, durable: bool = True) -> Iterator[Path]:
    """A temporary path beside ``path``; renamed onto ``path`` when the block ends cleanly.

    ``path``'s folder is created when missing. For writers that want a file name (GDAL,
    rio-cogeo, ONNX). With ``PROSPECT_FSYNC=1`` (:func:`durable_writes`) the file is
    synced to the disk before it is renamed (its folder after): a write the disk refuses
    only then (NFS's quota, an I/O error) is raised, naming ``path``, and a node lost
    after the rename leaves the whole file, never an empty one under its name
    (``durable=False``: never synced, for a writer whose reader checks every file it
    resumes, as a cube's chunks are decoded on resume). On an exception the temporary
    file is removed and ``path`` is left as it was.
    """
    durable = durable and durable_writes()
    path = Path(path)
    if path.is_dir():  # the rename would fail only after the work, beside the folder
        raise IsADirectoryError(errno.EISDIR, "is a folder, not a file", str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_name(path)
    try:
        with _naming(path):
            yield tmp
            if durable:  # the data on the disk before the name points at it
                _to_disk(tmp, path)
            before_publish(path)
            os.replace(tmp, path)
            if durable:
                _to_disk(path.parent, path, published=True)  # the rename itself
    finally:
        tmp.unlink(missing_ok=True)


def write_bytes(path: Path | str, data: bytes, *, durable: bool = True) -> Path:
    """Write ``data`` to ``path`` atomically; returns ``path``. ``durable``: as
    :func:`staged_file`."""
    path = Path(path)
    with staged_file(path, durable=durable) as tmp:
        tmp.write_bytes(data)
    return path


def write_text(path: Path | str, text: str, *, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically; returns ``path``."""
    path = Path(path)
    with staged_file(path) as tmp:
        tmp.write_text(text, encoding=encoding)
    return path


def write_json(
    path: Path | str, value: Any, *, strict: bool = True, indent: int | None = 1,
    sort_keys: bool = False, newline: bool = True,
) -> Path:
    """Write ``value`` as JSON to ``path`` atomically; returns ``path``.

    Parameters
    ----------
    path
        The file; its folder is created when missing.
    value
        What to write. ``strict`` (default) passes it through
        :func:`prospect.canonical.jsonable` first (numpy values to Python, NaN and
        infinities to ``null``), so the file is strict JSON; otherwise it must already be
        plain JSON types, and NaN is written as ``NaN`` (as zarr metadata wants).
    indent, sort_keys
        As :func:`json.dumps`.
    newline
        End the file with a newline.
    """
    if strict:
        value = jsonable(value)
    text = json.dumps(value, indent=indent, sort_keys=sort_keys, allow_nan=not strict)
    return write_text(path, text + ("\n" if newline else ""))


@contextmanager
def scratch_dir(target: Path | str, tag: str = "staging") -> Iterator[Path]:
    """A new empty folder beside ``target`` (same file system), removed when done.

    ``target``'s folder is created when missing.
    """
    folder = temp_name(target, tag)
    folder.parent.mkdir(parents=True, exist_ok=True)
    folder.mkdir()
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def staged_dir(target: Path | str, *, replace: bool = True) -> Iterator[Path]:
    """A staging folder published as ``target`` when the block ends cleanly.

    See :func:`publish_dir`; on an exception the staging folder is removed and ``target``
    is left as it was.
    """
    target = Path(target)
    with scratch_dir(target) as staging, _naming(target):
        yield staging
        publish_dir(staging, target, replace=replace)


def publish_dir(staging: Path, target: Path, *, aside: Path | None = None,
                replace: bool = True, durable: bool = True) -> Path:
    """Move a fully written ``staging`` directory to ``target``, replacing any old one.

    With ``PROSPECT_FSYNC=1`` (:func:`durable_writes`) the files in ``staging`` are
    flushed to the disk first, with one sync of its file system (:func:`_flush_folder`):
    files a library wrote there by name (a tile pyramid's PNGs, zarr's writes, a cube
    variable's chunk files, written unsynced for speed) were published with their data
    still in the page cache, and a node lost after the rename left the folder with empty
    or missing files under its final name (a cube variable's missing chunk read as no
    data); a write the disk refuses only at its flush (NFS over quota, an I/O error) is
    raised naming ``target``, and nothing is renamed (``durable=False``: no flush).

    An old ``target`` is swapped with ``staging`` in one step where the system can
    (:func:`_exchange`, Linux's ``renameat2(RENAME_EXCHANGE)``), so a reader always finds
    ``target``, old or new and whole, never a mixture and never nothing; the old copy, now
    at ``staging``, is renamed aside (into ``aside``, default ``target``'s folder) and
    removed. Where the swap is refused (another system, a file system without it: NFS,
    SMB, exFAT) the old directory is renamed aside first and the new one into place, as
    two renames (:func:`_two_renames`): a reader between them finds no ``target``, and a
    stop or an error between them puts the old one back. With ``replace=False`` an
    existing ``target`` is never touched: the rename fails with :class:`OSError` instead.
    """
    staging, target = Path(staging), Path(target)
    durable = durable and durable_writes()
    before_publish(target)
    if durable:  # the files' data on the disk before the name points at them
        _flush_folder(staging, target)
    if not replace:
        os.rename(staging, target)
    elif target.exists():
        folder = Path(aside) if aside is not None else target.parent
        trash = folder / temp_name(target, "old").name
        if _exchange(staging, target):
            os.replace(staging, trash)
        else:
            _two_renames(staging, target, trash)
        _discard(trash)
    else:
        os.replace(staging, target)
    if durable:
        _to_disk(target.parent, target, published=True)  # the rename itself
    return target


def _two_renames(staging: Path, target: Path, trash: Path) -> None:
    """Publish ``staging`` as ``target`` where the swap was refused: ``target`` renamed
    to ``trash``, then ``staging`` to ``target``.

    Whatever stops it between the two (Ctrl-C or SIGTERM, whose handler raises in this
    thread, or the second rename's own error) puts the old ``target`` back from ``trash``
    before it goes up: the job stopped there, on an output folder on NFS, had published
    neither copy (its layer, model or report folder gone, the old one left under a hidden
    name for the next run's sweep to delete), and ``staging`` is still whole for the
    caller to discard or resume. A kill -9 there leaves the same as before.
    """
    try:
        os.replace(target, trash)
        os.replace(staging, target)
    except BaseException:
        # trash is a fresh name: there, it is the old target this call moved aside
        with contextlib.suppress(OSError):  # else the first error goes up as it is
            if os.path.lexists(trash) and not os.path.lexists(target):
                os.replace(trash, target)
        raise


_RENAME_EXCHANGE = 2  # <linux/fs.h>
_AT_FDCWD = -100


@functools.cache
def _renameat2() -> Callable[..., int] | None:
    """glibc's ``renameat2`` (2.28 and later), or ``None`` on another C library or
    system."""
    import ctypes
    import ctypes.util
    import sys

    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        call = libc.renameat2
    except (OSError, AttributeError):
        return None
    call.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                     ctypes.c_uint]
    call.restype = ctypes.c_int
    return call


def _exchange(first: Path, second: Path) -> bool:
    """Swap ``first`` and ``second`` (both existing) in one atomic step; ``False``, with
    nothing moved, where it was not done: no ``renameat2`` (another system or C library), a
    kernel before 3.15 or a file system without ``RENAME_EXCHANGE`` (``EINVAL``), or any
    other refusal, which the two renames of :func:`publish_dir` then meet and raise in
    their own words, as before."""
    call = _renameat2()
    return call is not None and call(_AT_FDCWD, os.fsencode(first), _AT_FDCWD,
                                     os.fsencode(second), _RENAME_EXCHANGE) == 0


def remove_aside(path: Path | str) -> bool:
    """Remove ``path`` (a folder, or a file or link in its place) by renaming it aside
    under a hidden name first, so a reader sees it whole or not at all and a run killed
    meanwhile leaves a leftover :func:`sweep_leftovers` removes; ``False`` when there is
    nothing there. A link is removed, never what it points to."""
    path = Path(path)
    if not (path.exists() or path.is_symlink()):
        return False
    trash = temp_name(path, "old")
    before_publish(path)
    os.replace(path, trash)
    _discard(trash)
    return True


def _discard(trash: Path) -> None:
    """Delete what was renamed aside: a folder's tree, or a file or link (``rmtree`` left
    those behind as '.old-' litter)."""
    if trash.is_dir() and not trash.is_symlink():
        shutil.rmtree(trash, ignore_errors=True)
    else:
        trash.unlink(missing_ok=True)
