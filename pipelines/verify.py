"""Resume checks: a finished stage is skipped only while its outputs are still whole.

When a stage finishes, :func:`inventory` notes, for every zarr cube among its outputs,
which chunk files each data variable has (their count, a digest of their names and their
total size: a chunk that is all fill value is legitimately absent, so "every chunk
exists" means every chunk the stage wrote) and a digest of its parsed ``zarr.json``.
Before a rerun skips the stage, :func:`check` compares: a deleted or truncated chunk
file, a truncated ``zarr.json`` (a variable's, a coordinate's or the cube's own), a
variable's ``zarr.json`` edited into other valid metadata or a chunk rewritten at its own
size (its bytes, read when the files' times changed) makes the stage run again, and
:func:`repair` first removes the damaged variables so that the stage recomputes them
instead of taking them as up to date, and writes the cube's own metadata again from the
job when that is what was damaged. Paths are relative to the output directory, so a
copied or moved output directory is checked against its own files.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prospect.errors import StageError
from prospect.io.files import file_sha256, remove_aside, temp_name

__all__ = ["REMOVED_DIR", "Damage", "check", "check_files", "file_inventory", "inspect",
           "inventory", "mark_damaged", "recorded_files", "relative_to", "remove_variables",
           "repair", "resolve", "set_aside", "undecodable_variables",
           "unlist_unreadable", "unmade_outputs", "unreadable_metadata", "unrecorded_files"]


def relative_to(out_dir: Path, value: Any) -> Any:
    """``value`` as a path relative to ``out_dir`` when it is an absolute path inside it."""
    if isinstance(value, str) and os.path.isabs(value):
        try:
            return str(Path(value).relative_to(out_dir))
        except ValueError:
            return value
    return value


def resolve(out_dir: Path, value: str) -> Path:
    """A manifest path: absolute as written, else relative to ``out_dir``."""
    return Path(value) if os.path.isabs(value) else Path(out_dir) / value


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _cube_of(path: Path) -> Path | None:
    """The zarr group (cube) ``path`` is, or is a variable of; ``None`` otherwise."""
    for candidate in (path, path.parent):
        meta = candidate / "zarr.json"
        if meta.is_file():
            data = _read_json(meta)
            if data is None or data.get("node_type") == "group":
                return candidate
    return None


def _walk_sizes(top: Path, rel: str = ".") -> Iterator[tuple[str, int]]:
    """``(key, size)`` of every file under ``top`` (see :func:`_walk_stats`)."""
    for key, st in _walk_stats(top, rel):
        yield key, st.st_size


def _walk_stats(top: Path, rel: str = ".") -> Iterator[tuple[str, os.stat_result]]:
    """``(key, stat)`` of every file under ``top``, keys ``f"{rel}/{path below top}"``.

    What ``os.walk`` (no links followed, unreadable folders passed over) and one
    ``os.stat`` per file gave, at about half the CPU time: each folder is read through
    its descriptor and each file looked at relative to it (``fstatat``), with no path
    joined or resolved per file. A tile pyramid has 100 000 files and more.
    """
    try:
        stack = [(os.open(top, os.O_RDONLY | os.O_DIRECTORY), rel)]
    except OSError:  # missing or not a folder: os.walk gave nothing either
        return
    while stack:
        fd, here = stack.pop()
        try:
            with os.scandir(fd) as entries:
                for entry in entries:
                    if not entry.is_dir():
                        yield f"{here}/{entry.name}", entry.stat()
                    elif not entry.is_symlink():
                        try:
                            sub = os.open(entry.name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
                        except OSError:
                            continue
                        stack.append((sub, entry.name if here == "." else
                                      f"{here}/{entry.name}"))
        finally:
            os.close(fd)


def _chunk_keys(array: Path) -> tuple[list[str], int]:
    """The array's chunk files (sorted keys) and their total size in bytes."""
    keys, size, _ = _chunk_stats(array)
    return keys, size


def _chunk_stats(array: Path) -> tuple[list[str], int, str]:
    """The array's chunk files (sorted keys), their total size in bytes and the digest of
    each one's name, size, mtime and change time (:func:`_stamp_digest`)."""
    stats = sorted(_walk_stats(array / "c", "c"))
    return ([key for key, _ in stats], sum(st.st_size for _, st in stats),
            _stamp_digest(stats))


_CONTENTS_READ: dict[tuple[str, str], str] = {}
"""The :func:`_content_digest` of each variable's chunk files this process read, by the
variable's real path and its chunk files' stamps (:func:`_chunk_stats`): a cube copied
elsewhere (new change times) has its bytes read once per run, not once per stage
checked."""


def _chunk_content(array: Path, keys: list[str], stamps: str) -> str:
    """:func:`_content_digest` of ``array``'s chunk files ``keys`` as they are at
    ``stamps`` (kept in :data:`_CONTENTS_READ`)."""
    where = (os.path.realpath(array), stamps)
    if where not in _CONTENTS_READ:
        _CONTENTS_READ[where] = _content_digest(array, keys)
    return _CONTENTS_READ[where]


def _digest(keys: list[str]) -> str:
    return hashlib.sha256("\n".join(keys).encode()).hexdigest()[:16]


def _meta_digest(array: Path) -> str | None:
    """A digest of what variable ``array``'s ``zarr.json`` says (parsed, keys sorted: its
    type, fill value, codecs, ``scale_factor``, ``units``...); ``None`` when unreadable.

    A ``zarr.json`` edited into other valid metadata (``"scale_factor": 1000`` added, the
    fill value or the units changed) kept every chunk file's name and size, so the stage
    was skipped as finished and every later read took each value 1000 times over."""
    meta = _read_json(array / "zarr.json")
    if meta is None:
        return None
    return hashlib.sha256(json.dumps(meta, sort_keys=True).encode()).hexdigest()[:16]


def _data_arrays(cube: Path) -> list[Path]:
    """The cube's data variables (arrays of two or more dimensions), not its coordinates."""
    arrays = []
    for child in sorted(cube.iterdir()):
        meta = _read_json(child / "zarr.json") if child.is_dir() else None
        if meta and meta.get("node_type") == "array" and len(meta.get("shape", [])) >= 2 \
                and not child.name.startswith("."):
            arrays.append(child)
    return arrays


def inventory(out_dir: Path, outputs: Mapping[str, Any],
              known: Iterable[Mapping[str, Any]] = ()) -> dict[str, dict[str, Any]]:
    """Chunk files of every data variable of every cube among ``outputs`` (paths in ``out_dir``).

    Returns ``{cube (relative): {variable: {"chunks": n, "keys": digest, "bytes": size,
    "meta": digest, "stamps": digest, "content": digest}}}``; ``meta`` is
    :func:`_meta_digest` of the variable's ``zarr.json``, ``stamps`` the digest of its
    chunk files' names, sizes, mtimes and change times and ``content`` the one of their
    bytes (:func:`_content_digest`).

    A chunk rewritten in place at the same size (another tool's script writing the
    variable again, two chunks' data swapped) kept the names and the total size the
    record held, so a rerun skipped the stages that read it, the model trained on the
    data before; only ``--force``'s decoding pass looked, and found nothing to decode
    wrong. The bytes are read here once per variable written: ``known`` (earlier
    inventories, the manifest's records) gives the ``content`` of a variable whose
    ``stamps`` are the same, so a variable no stage wrote again is not read again.
    """
    out_dir = Path(out_dir)
    contents = {(cube, name, entry.get("stamps")): entry.get("content")
                for record in known for cube, variables in (record or {}).items()
                if isinstance(variables, dict)
                for name, entry in variables.items()
                if isinstance(entry, dict) and isinstance(entry.get("content"), str)}
    found: dict[str, dict[str, Any]] = {}
    for value in outputs.values():
        if not isinstance(value, str):
            continue
        cube = _cube_of(resolve(out_dir, value))
        rel = str(relative_to(out_dir, str(cube))) if cube is not None else ""
        if cube is None or rel in found:
            continue
        variables = {}
        for array in _data_arrays(cube):
            keys, size, stamps = _chunk_stats(array)
            content = contents.get((rel, array.name, stamps)) or \
                _chunk_content(array, keys, stamps)
            variables[array.name] = {"chunks": len(keys), "keys": _digest(keys), "bytes": size,
                                     "meta": _meta_digest(array), "stamps": stamps,
                                     "content": content}
        found[rel] = variables
    return found


def _files_of(path: Path) -> tuple[list[str], int, dict[str, int] | None, str]:
    """The files of ``path`` (itself when a file): sorted keys, total size, each file's
    size when there are at most :data:`LISTED_FILES` of them, and a digest of every
    file's name, size, mtime and change time (:func:`_stamp_digest`)."""
    if path.is_file():
        st = path.stat()
        stamps = [(path.name, st)]
    else:
        stamps = sorted(_walk_stats(path))
    keys = [key for key, _ in stamps]
    sizes = [st.st_size for _, st in stamps]
    listed = dict(zip(keys, sizes, strict=True)) if len(keys) <= LISTED_FILES else None
    return keys, sum(sizes), listed, _stamp_digest(stamps)


def _stamp_digest(stamps: Iterable[tuple[str, os.stat_result]]) -> str:
    """A digest of each file's ``(name, size, mtime, ctime)``: unchanged while no file was
    written, replaced or had its mtime set back since (no tool sets a ctime back)."""
    text = "\n".join(f"{key}\0{st.st_size}\0{st.st_mtime_ns}\0{st.st_ctime_ns}"
                     for key, st in stamps)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _content_digest(path: Path, keys: Iterable[str]) -> str:
    """A SHA-256 of the bytes of the files ``keys`` of output ``path`` in order, each
    framed by its name and size; a file over :data:`DIGESTED_BYTES` counts by its size
    only, one that cannot be read as unreadable."""
    h = hashlib.sha256()
    for key in keys:
        h.update(key.encode() + b"\0")
        try:
            with open(_key_path(path, key), "rb") as fh:
                size = os.fstat(fh.fileno()).st_size
                h.update(f"{size}\0".encode())
                if size <= DIGESTED_BYTES:
                    while block := fh.read(1 << 20):
                        h.update(block)
        except OSError:
            h.update(b"unreadable")
        h.update(b"\0")
    return h.hexdigest()[:32]


def unmade_outputs(out_dir: Path, before: Mapping[str, Any], now: Mapping[str, Any],
                   *, keep: Iterable[Path] = ()) -> list[tuple[str, Path]]:
    """The file outputs a stage's earlier record listed (``before``: its ``outputs``) that
    its new run (``now``) no longer makes: ``(label, path)`` of each, to remove.

    A tile layer removed from the config, ``tiles.archive`` turned off: the old pyramid
    and ``.pmtiles`` stayed beside the new ones, maps of an older model or palette that
    a partner took for results. Only paths inside ``out_dir`` (links resolved) count, and
    never ``out_dir`` itself, a cube, a path in ``keep`` (the manifest, the lock), nor one
    that holds, or lies inside, an output the stage makes now.
    """
    root = Path(os.path.realpath(out_dir))
    current = [Path(os.path.realpath(resolve(root, v))) for v in now.values()
               if isinstance(v, str)]
    kept = {Path(os.path.realpath(p)) for p in keep}
    stale: list[tuple[str, Path]] = []
    for label, value in before.items():
        if not isinstance(value, str):
            continue
        path = resolve(Path(out_dir), value)
        real = Path(os.path.realpath(path))
        if real == root or root not in real.parents or real in kept:
            continue
        if not (path.exists() or path.is_symlink()) or _cube_of(path) is not None:
            continue
        if any(real == c or real in c.parents or c in real.parents for c in current):
            continue
        stale.append((label, path))
    return stale


REMOVED_DIR = "removed"
"""Folder of ``-o`` where the outputs a job no longer makes are moved, one dated folder
per run (``removed/<UTC time>-<run id>/<their path in -o>``); Prospect never reads,
checks or deletes it: the user removes it once nothing in it is needed."""


def set_aside(out_dir: Path, path: Path, folder: Path) -> Path | None:
    """Move ``path`` (inside ``out_dir``) into ``folder`` at its own path relative to
    ``out_dir``; returns where it went, ``None`` when nothing is there.

    One rename, so a reader sees it whole at one place or the other. An output on
    another file system than ``folder`` (a folder of ``-o`` that is a mount point, a
    volume of its own in a Kubernetes pod) is copied under a hidden staging name there,
    renamed into place, and only then removed; a copy the disk refuses is removed and
    its error goes up, the output left where it was.
    """
    if not (path.exists() or path.is_symlink()):
        return None
    try:
        rel = path.relative_to(out_dir)
    except ValueError:
        rel = Path(os.path.realpath(path)).relative_to(os.path.realpath(out_dir))
    target = folder / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists() or target.is_symlink():  # never replaced
        target = target.with_name(f"{target.name}.{os.urandom(3).hex()}")
    try:
        os.rename(path, target)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        staging = temp_name(target, "staging")  # a run killed now leaves it to the sweep
        try:
            if path.is_dir() and not path.is_symlink():
                shutil.copytree(path, staging, symlinks=True)
            else:
                shutil.copy2(path, staging, follow_symlinks=False)
        except BaseException:
            if staging.is_dir() and not staging.is_symlink():
                shutil.rmtree(staging, ignore_errors=True)
            else:
                staging.unlink(missing_ok=True)
            raise
        os.rename(staging, target)
        remove_aside(path)
    return target


def unrecorded_files(path: Path, entry: Any) -> list[str] | None:
    """The files in output folder ``path`` that its record (``entry``: its
    :func:`file_inventory`) does not list: a user's note or export put there since.
    ``[]`` for a file, or a folder holding only what was recorded; ``None`` when the
    record cannot tell (none, or a large output whose file names changed)."""
    if path.is_symlink() or not path.is_dir():
        return []
    if not isinstance(entry, dict):
        return None
    keys = _files_of(path)[0]
    listed = entry.get("sizes")
    if isinstance(listed, dict):
        return [key for key in keys if key not in listed]
    return [] if _digest(keys) == entry.get("keys") else None


def recorded_files(out_dir: Path, path: Path, entry: Mapping[str, Any]) -> list[Path]:
    """The files of output folder ``path`` its record (``entry``) lists and that are
    there, inside ``out_dir`` with links resolved (never a file a link in the folder
    leads out to)."""
    root = Path(os.path.realpath(out_dir))
    found = []
    for key in entry.get("sizes") or {}:
        file = _key_path(path, str(key))
        real = Path(os.path.realpath(file))
        if root in real.parents and (file.is_file() or file.is_symlink()):
            found.append(file)
    return found


LISTED_FILES = 64
"""Outputs of at most this many files (a model, COGs) have each file's size recorded;
larger ones (a tile pyramid) a digest of their file names and their total size, one of
every file's size, mtime and change time (``stamps``) and one of their bytes
(``content``): the bytes are read again only when the stamps differ."""


def file_inventory(out_dir: Path, outputs: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Files and folders among ``outputs`` that are not cubes (a model, COGs, a tile
    archive, a pyramid): ``{label: {"files": n, "keys": digest, "bytes": size}}``, plus
    ``"sizes"`` (file -> size), ``"mtimes"`` and ``"sha256"`` for an output of at most
    :data:`LISTED_FILES` files, else ``"stamps"`` and ``"content"`` (digests of every
    file's stat fields and of its bytes).

    What :func:`check_files` compares on resume: a file removed or of another size (a
    truncated COG or archive, a lost tile) is found with one ``stat`` per file.
    """
    found: dict[str, dict[str, Any]] = {}
    for label, value in outputs.items():
        if not isinstance(value, str):
            continue
        path = resolve(Path(out_dir), value)
        if not path.exists() or _cube_of(path) is not None:
            continue
        keys, total, sizes, stamps = _files_of(path)
        found[label] = {"files": len(keys), "keys": _digest(keys), "bytes": total}
        if sizes is not None:
            found[label]["sizes"] = sizes
            found[label].update(_stamps(path, sizes))
        else:  # a pyramid: one digest of the stats, one of the bytes
            found[label].update(stamps=stamps, content=_content_digest(path, keys))
    return found


DIGESTED_BYTES = 64 * 2**20
"""Files of a listed output up to this size also have their SHA-256 and mtime recorded."""


def _key_path(path: Path, key: str) -> Path:
    """The file ``key`` of :func:`_files_of` names in output ``path``."""
    return path if path.is_file() else path / key


def _stamps(path: Path, sizes: Mapping[str, int]) -> dict[str, dict[str, Any]]:
    """Each file's mtime (ns) and SHA-256, for files up to :data:`DIGESTED_BYTES`: what
    :func:`check_files` reads to see a file rewritten at its own size."""
    stamps: dict[str, int] = {}
    digests: dict[str, str] = {}
    for key, size in sizes.items():
        if size > DIGESTED_BYTES:
            continue
        file = _key_path(path, key)
        try:
            stamps[key] = file.stat().st_mtime_ns
            digests[key] = file_sha256(file)
        except OSError:
            continue
    return {"mtimes": stamps, "sha256": digests}


def _rewritten(path: Path, key: str, expected: Mapping[str, Any]) -> bool:
    """Whether file ``key`` of output ``path`` (of its recorded size) holds other bytes
    than were written: read only when its mtime is not the one recorded, which the record
    then takes when the bytes are the same (a copy, a touch: see :func:`_refreshed`)."""
    stamps, digests = expected.get("mtimes"), expected.get("sha256")
    if not (isinstance(stamps, dict) and isinstance(digests, dict) and key in digests):
        return False  # recorded before digests were, or too large to digest
    file = _key_path(path, key)
    try:
        mtime = file.stat().st_mtime_ns
        if mtime == stamps.get(key):
            return False
        if file_sha256(file) != digests[key]:
            return True
    except OSError:
        return True
    stamps[key] = mtime
    return False


def check_files(out_dir: Path, outputs: Mapping[str, Any],
                record: Mapping[str, Any] | None, *, contents: bool = True) -> str | None:
    """Why a finished stage's file outputs are no longer as it wrote them (``None``: they
    are; ``record``: its :func:`file_inventory`).

    A file the user added beside an output's own files (a note or an export in
    ``model/``) is not a change: recomputing the stage replaces the folder, which would
    lose it. With only digests recorded (a large pyramid), any other set of files is.
    ``contents`` (default): a file of its recorded size whose mtime is not the recorded
    one is read and compared with its recorded SHA-256 (a tile or an archive rewritten in
    place); in a large output, every file is read and the digest of their bytes compared
    when any file's size, mtime or change time is not as recorded. Without it only
    presence and sizes count, and a file that a read checks itself (a model's checksums)
    is left to that read.
    """
    for label, expected in (record or {}).items():
        value = outputs.get(label)
        if not isinstance(value, str) or not isinstance(expected, dict):
            continue
        path = resolve(Path(out_dir), value)
        if not path.exists():
            return f"output {label} ({value}) is missing"
        if expected.get("damaged"):  # a read found it changed (see the runner)
            return f"output {label} ({value}): {expected['damaged']}"
        keys, total, sizes, stamps = _files_of(path)
        listed = expected.get("sizes")
        if isinstance(listed, dict):
            if sizes is None:  # more files than were written: only the listed ones count
                sizes = dict(_walk_sizes(path))
            for key, size in listed.items():
                if key not in sizes:
                    return f"output {label} ({value}): its file {key} was removed"
                if sizes[key] != size:
                    return (f"output {label} ({value}): its file {key} changed size since "
                            "it was written (truncated or rewritten)")
                if contents and _rewritten(path, key, expected):
                    return (f"output {label} ({value}): its file {key} was rewritten since "
                            "it was written (same size, other bytes)")
            continue
        if _digest(keys) != expected.get("keys"):
            return f"output {label} ({value}): files were removed or added since it was written"
        if total != expected.get("bytes"):
            return (f"output {label} ({value}) changed size since it was written (truncated "
                    "or rewritten)")
        content = expected.get("content")
        if contents and isinstance(content, str) and stamps != expected.get("stamps"):
            if _content_digest(path, keys) != content:
                return (f"output {label} ({value}): one of its {len(keys)} files was "
                        "rewritten since it was written (same names and sizes, other bytes)")
            _refreshed(expected, stamps)
    return None


def _refreshed(expected: Mapping[str, Any], stamps: str) -> None:
    """Take ``stamps`` (the files' stat fields now) into the record ``expected`` whose
    bytes were just read and found as recorded: an output folder copied, restored or
    touched has new change times for good, and each later check read all its bytes
    again (a country cube, a tile pyramid) where one stat per file tells it is the copy
    already read. Written with the manifest's next write (a skip writes it)."""
    if isinstance(expected, dict):
        expected["stamps"] = stamps


@dataclass
class Damage:
    """What :func:`inspect` found wrong with a finished stage's cubes."""

    reason: str | None = None
    arrays: list[Path] = field(default_factory=list)
    """Damaged data variables (folders) to remove so that their stage recomputes them."""
    cubes: set[Path] = field(default_factory=set)
    """Cubes whose consolidated metadata must be rewritten (a variable removed or lost)."""
    roots: set[Path] = field(default_factory=set)
    """Cubes whose own metadata (root ``zarr.json``, grid arrays) must be written again."""

    def note(self, problem: str) -> None:
        self.reason = self.reason or problem


def _changed_chunks(name: str, bad: tuple[list[str], str]) -> str:
    """The problem of cube variable ``name`` whose chunk files ``bad`` (keys, why: of
    :func:`prospect.io.cube.damaged_array_chunks`) no longer decode."""
    return (f"cube variable {name!r}: chunk file(s) {', '.join(bad[0])} changed on disk "
            f"since they were written ({bad[1]})")


def inspect(out_dir: Path, record: Mapping[str, Any] | None, *, deep: bool = False) -> Damage:
    """Why a finished stage's cubes are no longer whole, and what to repair.

    A variable is damaged when its metadata does not parse, its chunk files' names or
    total size differ from the record, the record says a read found it damaged
    (``damaged``, see :func:`mark_damaged`), or its chunk files' stamps differ from the
    record and their bytes from the recorded ``content`` (a chunk rewritten in place at
    its size; a copy with new times but the same bytes is whole). ``deep`` also decodes
    every chunk file (``--force`` looks this deep).
    """
    from prospect.io.cube import GRID_ARRAYS, damaged_array_chunks

    damage = Damage()
    for cube_rel, variables in (record or {}).items():
        cube = resolve(out_dir, cube_rel)
        if not cube.is_dir():
            damage.note(f"cube {cube} is missing")
            continue
        root = _read_json(cube / "zarr.json")
        if root is None:
            damage.note(f"cube metadata {cube / 'zarr.json'} is missing, truncated or corrupt")
            damage.roots.add(cube)
        else:
            stale = _stale_consolidated(cube, root, variables)
            if stale:
                damage.note(f"cube metadata {cube / 'zarr.json'}: its consolidated metadata "
                            f"disagrees with variable {stale!r}'s own zarr.json")
                damage.cubes.add(cube)
        for name in GRID_ARRAYS:
            if _read_json(cube / name / "zarr.json") is None:
                damage.note(f"cube coordinate {name!r}: {cube / name / 'zarr.json'} is "
                            "missing, truncated or corrupt")
                damage.roots.add(cube)
        for name, expected in variables.items():
            array = cube / name
            problem = None
            if _read_json(array / "zarr.json") is None:
                problem = (f"cube variable {name!r}: {array / 'zarr.json'} is missing, "
                           "truncated or corrupt")
            else:
                keys, size, stamps = _chunk_stats(array)
                content = expected.get("content")
                if _digest(keys) != expected.get("keys"):
                    lost = int(expected.get("chunks", 0)) - len(keys)
                    problem = (f"cube variable {name!r}: {lost} chunk file(s) missing" if lost > 0
                               else f"cube variable {name!r}: its chunk files changed")
                elif expected.get("bytes", size) != size:  # older manifests: no size
                    problem = (f"cube variable {name!r}: its chunk files changed size "
                               "(truncated or rewritten)")
                elif expected.get("meta", meta := _meta_digest(array)) != meta:
                    problem = (f"cube variable {name!r}: its metadata {array / 'zarr.json'} "
                               "was changed since it was written (its type, fill value, "
                               "codecs or attributes such as scale_factor or units)")
                elif expected.get("damaged"):
                    problem = f"cube variable {name!r}: {expected['damaged']}"
                elif isinstance(content, str) and stamps != expected.get("stamps") and \
                        _chunk_content(array, keys, stamps) != content:  # older: no content
                    # chunks that no longer decode are named (a bad disk block, a partial
                    # overwrite); others decode to other values (another tool's rewrite)
                    bad = damaged_array_chunks(array)
                    problem = (_changed_chunks(name, bad) if bad is not None else
                               f"cube variable {name!r}: its chunk files were rewritten "
                               "since it was written (the same files and total size, other "
                               "bytes)")
                elif deep and (bad := damaged_array_chunks(array)) is not None:
                    problem = _changed_chunks(name, bad)
                if problem is None and isinstance(content, str) and \
                        stamps != expected.get("stamps"):
                    _refreshed(expected, stamps)  # its bytes were read above: the same
            if problem:
                damage.note(problem)
                damage.cubes.add(cube)
                if array.exists() or array.is_symlink():
                    damage.arrays.append(array)
    return damage


def mark_damaged(records: Mapping[str, Any], cube: str, variable: str, why: str) -> bool:
    """Record in every stage's inventory (``records``: the manifest's stages) that a read
    found ``cube``'s ``variable`` damaged (``why``), so that the next run of the stage that
    made it removes and recomputes it (:func:`inspect`). Returns whether one was marked.
    """
    marked = False
    for record in records.values():
        entry = (((record or {}).get("verify") or {}).get(cube) or {}).get(variable)
        if isinstance(entry, dict):
            entry["damaged"] = why
            marked = True
    return marked


_ARRAY_KEYS = ("shape", "data_type", "chunk_grid", "chunk_key_encoding", "codecs",
               "dimension_names", "fill_value", "attributes")


def _stale_consolidated(cube: Path, root: Mapping[str, Any], names: Any) -> str | None:
    """The first of ``names`` whose entry in the cube's consolidated metadata (what readers
    open) is missing or disagrees with its own ``zarr.json`` in shape, type, chunks,
    codecs, fill value or attributes (a ``scale_factor`` added there alone scaled every
    value a reader took); ``None`` when they agree or the cube is not consolidated."""
    listed = (root.get("consolidated_metadata") or {}).get("metadata")
    if not isinstance(listed, dict):
        return None
    for name in names:
        own = _read_json(cube / name / "zarr.json")
        if own is None:
            continue  # the variable's own damage, found by the caller
        entry = listed.get(name)
        if not isinstance(entry, dict) or any(entry.get(k) != own.get(k) for k in _ARRAY_KEYS):
            return str(name)
    return None


def check(out_dir: Path, record: Mapping[str, Any] | None) -> tuple[str | None, list[Path]]:
    """Why a finished stage's cubes are no longer whole (``None`` when they are).

    Returns the reason and the damaged variables (folders) that :func:`repair` removes.
    """
    damage = inspect(out_dir, record)
    return damage.reason, damage.arrays


def repair(out_dir: Path, record: Mapping[str, Any] | None, *,
           rebuild: Callable[[Path], None] | None = None, deep: bool = False) -> list[str]:
    """Repair what :func:`inspect` finds, so that the stage recomputes what was lost.

    Damaged variables are removed and the cube's consolidated metadata rewritten (a lost
    variable is then missing, never taken as up to date). A cube whose own metadata is
    damaged is rebuilt with ``rebuild(cube)`` first (the runner passes one that writes the
    job's cube metadata again from its grid and config). ``deep``: decode every chunk
    file too (see :func:`inspect`). Returns the names of what was removed or rebuilt.

    Raises
    ------
    StageError
        A cube's own metadata is damaged and there is no ``rebuild`` for it.
    """
    from prospect.io.cube import consolidate

    damage = inspect(out_dir, record, deep=deep)
    done: list[str] = []
    if damage.roots and rebuild is None:
        raise StageError(f"{damage.reason}; remove {min(damage.roots)} and rerun to recompute "
                         "the cube")
    for array in damage.arrays:
        remove_aside(array)  # a file or link in a variable's place too (rmtree refused it)
        done.append(array.name)
    for cube in sorted(damage.roots):
        assert rebuild is not None
        rebuild(cube)  # consolidates the cube too
        done.append(f"{cube.name} metadata")
    for cube in sorted(damage.cubes - damage.roots):
        consolidate(cube)
    return done


def remove_variables(cube: Path, names: Iterable[str]) -> list[str]:
    """Remove the variables ``names`` of ``cube`` (those it has), each renamed aside under a
    hidden name first (a reader sees the whole variable or none; a run killed meanwhile
    leaves a leftover the next run sweeps), then rewrite the consolidated metadata.
    Returns the names removed."""
    from prospect.io.cube import consolidate

    removed = []
    for name in names:
        if remove_aside(Path(cube) / name):
            removed.append(name)
    if removed and (Path(cube) / "zarr.json").is_file():
        consolidate(Path(cube))
    return removed


def unlist_unreadable(cube: Path) -> list[str]:
    """Take out of ``cube``'s consolidated metadata (what readers and a resumed stage
    open) the variables it lists whose own ``zarr.json`` is missing or does not parse
    (their folder deleted, or damaged); returns their names.

    With the manifest's record of the stage that made them (a damaged or lost manifest,
    a record not trusted) :func:`repair` finds them; without it the listing was
    believed: a deleted variable read back as all no data, and ingest took it as
    published and did not compute it again.
    """
    from prospect.io.cube import consolidate

    root = _read_json(Path(cube) / "zarr.json")
    listed = ((root or {}).get("consolidated_metadata") or {}).get("metadata")
    if not isinstance(listed, dict):
        return []
    lost = sorted(name for name in listed
                  if _read_json(Path(cube) / name / "zarr.json") is None)
    if lost:
        consolidate(Path(cube))
    return lost


def unreadable_metadata(cube: Path) -> str | None:
    """What of ``cube``'s own metadata (its root ``zarr.json``, the grid arrays) is missing
    or does not parse, without any record (``None``: it reads)."""
    from prospect.io.cube import GRID_ARRAYS

    for meta in (Path(cube) / "zarr.json",
                 *(Path(cube) / name / "zarr.json" for name in GRID_ARRAYS)):
        if _read_json(meta) is None:
            return f"{meta} is missing, truncated or corrupt"
    return None


def undecodable_variables(cube: Path) -> list[tuple[str, str]]:
    """The data variables of ``cube`` with chunk files that do not decode to a whole chunk
    (every chunk file decoded, as :func:`inspect` does with ``deep``), with why."""
    from prospect.io.cube import damaged_array_chunks

    found = []
    for array in _data_arrays(Path(cube)):
        bad = damaged_array_chunks(array)
        if bad is not None:
            found.append((array.name, f"chunk file(s) {', '.join(bad[0])} do not decode "
                                      f"({bad[1]})"))
    return found
