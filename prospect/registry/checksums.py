"""SHA-256 checksums of the files of a saved model."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterable, Mapping
from pathlib import Path

from prospect.errors import ChangedFilesError, SecurityError
from prospect.io.files import file_sha256

__all__ = [
    "BOM_ADDED",
    "CHECKSUMS_FILE",
    "CHECKSUMS_FORMAT",
    "COPY_HINT",
    "LFS_HINT",
    "LFS_POINTER",
    "LINE_ENDINGS",
    "LINE_ENDINGS_HINT",
    "NOT_PLAIN_HINT",
    "changed_line_endings",
    "copy_damage",
    "decode_json_bytes",
    "lfs_pointer",
    "not_plain",
    "not_plain_line",
    "other_case",
    "read_checksums",
    "renamed_line",
    "verify_checksums",
]

CHECKSUMS_FILE = "checksums.json"

CHECKSUMS_FORMAT = "prospect-model-checksums/1"
"""The format of ``checksums.json`` this Prospect reads. Format 1 writes no ``format``
key (a file without one is of format 1); a later Prospect that changes what the file's
keys mean writes ``prospect-model-checksums/2`` or later, which this one refuses."""

NOT_PLAIN_HINT = (
    "Prospect reads a model's files only as the plain files it saved, never through a "
    "folder, FIFO, socket or device of their name; put the model's own file there (copy "
    "the folder again, whole, from where it was saved), and load it again")
"""Why every file that failed its checksum failed, when each is no plain file."""


def not_plain(path: Path) -> str | None:
    """What stands at ``path`` when something is there but no plain file: ``"a folder"``,
    ``"a FIFO (named pipe)"``, ``"a socket"`` or ``"a device"``; ``None`` for a plain
    file, nothing at all, or a symbolic link (said as one where links are refused).

    A FIFO or a folder named ``card.json`` in a model folder was "card.json: missing ...
    left out or damaged by the copy", which sent the user looking for a file that is
    there; a FIFO named ``model.skops`` was "no model.skops".
    """
    try:
        mode = Path(path).lstat().st_mode
    except OSError:
        return None
    if stat.S_ISREG(mode) or stat.S_ISLNK(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    return "a socket" if stat.S_ISSOCK(mode) else "a device"


def not_plain_line(name: str, kind: str) -> str:
    """The line of :func:`verify_checksums` (and the loaders) for the model's file
    ``name`` that is ``kind`` (:func:`not_plain`), not a plain file."""
    return f"{name}: {kind}, not a plain file; the model saved {name} as a file"


def _digest(value: object) -> str:
    """A SHA-256 as written (``AB12...``, ``sha256:ab12...``) in the form this module
    computes (64 lower-case hex digits); other text is kept as it is (and then differs).

    A ``checksums.json`` whose digests were written in upper case (``certutil``,
    ``Get-FileHash``) refused every file as "tampered or corrupt".
    """
    text = str(value).strip()
    plain = text.lower().removeprefix("sha256:").strip()
    if len(plain) == 64 and all(c in "0123456789abcdef" for c in plain):
        return plain
    return text


_BOMS: tuple[tuple[bytes, str], ...] = (
    (b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"),
)
"""Byte-order marks Windows tools write before JSON, and the codec that reads past each."""


def decode_json_bytes(data: bytes) -> str:
    """The text of a model folder's JSON file ``data``, in the encoding its byte-order mark
    states (UTF-8 without one, as Prospect writes it).

    A ``checksums.json`` saved again by Notepad (a UTF-8 byte-order mark) or PowerShell 5's
    ``Out-File`` (UTF-16) was "not a valid checksum file (Unexpected UTF-8 BOM (decode
    using utf-8-sig) ...)" or "'utf-8' codec can't decode byte 0xff". Raises
    :class:`UnicodeDecodeError` for bytes of no such encoding.
    """
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return data.decode(codec)
    return data.decode("utf-8")


def read_checksums(directory: Path, *, required: Iterable[str]) -> dict[str, str]:
    """Read ``checksums.json`` of ``directory`` and check it lists every required file."""
    path = Path(directory) / CHECKSUMS_FILE
    if (kind := not_plain(path)) is not None:  # a FIFO was "missing"; a read would hang
        raise SecurityError(f"{path}: {kind}, not a plain file; {NOT_PLAIN_HINT}; refused")
    if not path.is_file():
        raise SecurityError(
            f"{path}: missing; a Prospect model directory carries SHA-256 checksums of its "
            "files and is refused without them"
        )
    raw = path.read_bytes()
    if not raw.strip():  # was "not a valid checksum file (Expecting value: line 1 ...)"
        raise SecurityError(
            f"{path}: empty ({len(raw)} bytes): a copy that stopped, or a synced folder's "
            "placeholder never downloaded; copy the model folder again, whole, from where "
            "it was saved; refused")
    if lfs_pointer(raw) is not None:  # a clone without git-lfs
        raise SecurityError(f"{path}: {LFS_POINTER}, not the file; {LFS_HINT}; refused")
    try:
        data = json.loads(decode_json_bytes(raw))
        if isinstance(data, dict):
            _check_checksums_format(path, data.get("format"))
        files = data["files"]
        # as sha256sum and other tools write them: upper case, ``sha256:``, spaces
        sums = {str(k): _digest(v) for k, v in files.items()}
    except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError) as exc:
        raise SecurityError(f"{path}: not a valid checksum file ({exc}); refused") from None
    algorithm = data.get("algorithm", "sha256")
    if algorithm != "sha256":  # another digest was "tampered or corrupt" for every file
        raise SecurityError(
            f"{path}: checksums in {str(algorithm)[:40]!r}, but this Prospect verifies "
            "SHA-256 only ('algorithm': 'sha256'), so it cannot tell these files are the "
            "ones saved; a later Prospect may have written this model: upgrade Prospect, "
            "or save the model again with this one; refused")
    missing = sorted(set(required) - set(sums))
    if missing:
        raise SecurityError(f"{path}: no checksum for {', '.join(missing)}; refused")
    return sums


def _check_checksums_format(path: Path, found: object) -> None:
    """Refuse a ``checksums.json`` whose ``format`` is not :data:`CHECKSUMS_FORMAT`
    (none is format 1), as ``card.json``'s and ``schema.json``'s are refused.

    A ``"format": "prospect-model-checksums/2"`` was ignored: the file was read by
    format 1's rules, whatever a later Prospect meant its keys to say. Raises
    :class:`~prospect.errors.SecurityError` with
    :func:`prospect.registry.files.check_format`'s line (the newer format and the fix:
    upgrade Prospect or save the model again with this one).
    """
    from prospect.errors import ModelError
    from prospect.registry.files import check_format  # files imports this module

    writer = None
    if found is not None:  # who wrote it, as card.json (not yet verified) says, if it can
        try:
            card = json.loads(decode_json_bytes((path.parent / "card.json").read_bytes()))
            writer = card["versions"]["prospect"]
        except (OSError, ValueError, KeyError, TypeError, UnicodeDecodeError):
            writer = None
    try:
        check_format(path, found, CHECKSUMS_FORMAT, missing_ok=True,
                     writer=writer if isinstance(writer, str) and writer.strip() else None)
    except ModelError as exc:
        raise SecurityError(f"{exc}; refused") from None


def other_case(directory: Path, name: str) -> str | None:
    """The file of ``directory`` whose name is ``name`` in another case (``Card.JSON`` for
    ``card.json``: renamed by a copy through Windows or a zip tool), or ``None``."""
    try:
        found = sorted(p.name for p in Path(directory).iterdir()
                       if p.name != name and p.name.casefold() == name.casefold()
                       and p.is_file())
    except OSError:
        return None
    return found[0] if found else None


def renamed_line(name: str, other: str) -> str:
    """``name``'s problem line when it is there as ``other`` (:func:`other_case`)."""
    return (f"{name}: missing; {other} is there, its name's case changed by a copy "
            f"(through Windows or a zip tool): rename it to {name}")


def verify_checksums(directory: Path, sums: Mapping[str, str]) -> None:
    """Raise :class:`~prospect.errors.ChangedFilesError` (a :class:`SecurityError`) naming
    every file whose SHA-256 differs or is missing.

    Where a copy's damage explains a file (:func:`copy_damage`: its line endings changed,
    a byte-order mark added, a zip archive cut short, no bytes at all, a Git LFS pointer
    in its place; a file left out, or there in another case: :func:`other_case`), the
    file's line says so, and when that explains every problem the message says the copy
    did it and how to copy again (:data:`LINE_ENDINGS_HINT`, :data:`LFS_HINT`,
    :data:`COPY_HINT`) instead of "tampered or corrupt", which reads as an attack (a
    folder copied in part was "tampered or corrupt" for each file left out). The model
    is refused all the same: its bytes are not the ones saved."""
    directory = Path(directory)
    problems: list[str] = []
    damage: list[str | None] = []  # per problem, what a copy did to the file, if known
    for name, expected in sorted(sums.items()):
        path = directory / name
        if "/" in name or "\\" in name or name.startswith("."):
            problems.append(f"{name}: not a plain file name")
            damage.append(None)
        elif (kind := not_plain(path)) is not None:
            problems.append(not_plain_line(name, kind))
            damage.append(_NOT_PLAIN)
        elif not path.is_file():
            other = other_case(directory, name)
            problems.append(renamed_line(name, other) if other else f"{name}: missing")
            damage.append(_RENAMED if other else _LEFT_OUT)
        elif (actual := file_sha256(path)) != expected:
            found = copy_damage(path, expected)
            problems.append(f"{name}: sha256 {actual[:16]}... != recorded {expected[:16]}..."
                            + (f" ({found})" if found else ""))
            damage.append(found)
    if problems:
        why = "the model files were changed after saving (tampered or corrupt)"
        if all(found == _NOT_PLAIN for found in damage):
            why = f"the files below are no plain files here; {NOT_PLAIN_HINT}"
        elif all(found in LINE_ENDINGS for found in damage):
            why = LINE_ENDINGS_HINT
        elif all(found is not None and found.startswith(LFS_POINTER) for found in damage):
            why = LFS_HINT
        elif all(damage):
            why = COPY_HINT
        raise ChangedFilesError(
            f"{directory}: checksum verification failed, {why}; refused:\n"
            + "\n".join(problems),
            path=directory,
        )


_LEFT_OUT = "left out"
_RENAMED = "renamed"
_NOT_PLAIN = "not a plain file"
"""What a copy did to a file that is not there (for :func:`verify_checksums`)."""

LFS_POINTER = "a Git LFS pointer"
"""How :func:`lfs_pointer`'s findings begin."""

LFS_HINT = (
    "the repository this model folder was cloned from keeps its files in Git LFS, and "
    "the clone holds the pointers to them, not the files; run 'git lfs pull' in the "
    "clone (install git-lfs first), or copy the folder from where it was saved")
"""Why every file that failed its checksum failed, when each is a Git LFS pointer."""


def lfs_pointer(data: bytes, expected: str | None = None) -> str | None:
    """What ``data`` is when it is a Git LFS pointer (the text a clone made without
    ``git lfs`` holds in place of a file kept in LFS), else ``None``; its ``oid`` is the
    file's own SHA-256, so a pointer to ``expected`` is said to be one."""
    if not data.startswith(b"version https://git-lfs.github.com/spec/") or len(data) > 1024:
        return None
    text = data.decode("ascii", "replace")
    oid = next((line.split(":", 1)[1].strip().lower() for line in text.splitlines()
                if line.startswith("oid sha256:")), None)
    to = (" to this very file (its oid is the recorded SHA-256)" if oid == expected
          else "")
    return (f"{LFS_POINTER}{to}, not the file: never downloaded; run 'git lfs pull' in "
            "the clone")


LINE_ENDINGS = ("CRLF line endings where LF was saved", "LF line endings where CRLF was saved")
"""What :func:`changed_line_endings` finds."""

LINE_ENDINGS_HINT = (
    "only the line endings of the model's text files were changed after saving, by the "
    "copy that brought the folder here (git with core.autocrlf, a zip tool or editor on "
    "Windows), not their content; copy the folder again as binary (in git, "
    "'* -text' in .gitattributes), or convert each file named back (dos2unix or "
    "unix2dos), and load it again")
"""Why every file that failed its checksum failed, when its line endings alone did."""

COPY_HINT = (
    "the model files were left out or damaged by the copy that brought the folder here, "
    "or saved again by an editor (each file below says how), not edited in their "
    "content; copy the folder again, whole and as binary (in git, '* -text' in "
    ".gitattributes), and load it again")
"""Why every file that failed its checksum failed, when a copy's damage explains each."""

BOM_ADDED = "a UTF-8 byte-order mark added (saved again by a Windows editor such as Notepad)"
"""What :func:`copy_damage` finds in a text file whose only change is a byte-order mark."""


def copy_damage(path: Path, expected: str) -> str | None:
    """What a copy did to ``path`` that makes its SHA-256 differ from ``expected``, when
    that is known: its line endings changed (:func:`changed_line_endings`), a UTF-8
    byte-order mark added before them (:data:`BOM_ADDED`), no bytes at all (a copy that
    stopped, a synced folder's placeholder never downloaded), a Git LFS pointer in its
    place (:func:`lfs_pointer`), or a zip archive (``model.skops``) that is no whole
    archive (cut short by a copy that did not finish or a full disk: the archive's
    directory is at its end); ``None`` otherwise."""
    import hashlib
    import zipfile

    size = path.stat().st_size
    if size == 0:
        return ("empty, 0 bytes: a copy that stopped, or a synced folder's placeholder "
                "never downloaded")
    found = changed_line_endings(path, expected)
    if found is None and size <= _TEXT_LIMIT:
        data = path.read_bytes()
        found = lfs_pointer(data, expected)
        if found is None and data.startswith(b"\xef\xbb\xbf"):
            rest = data[3:]
            if hashlib.sha256(rest).hexdigest() == expected:
                found = BOM_ADDED
            elif (endings := _changed_endings(rest, expected)) is not None:
                found = f"{BOM_ADDED}, and {endings}"
    if found is None and path.suffix in (".skops", ".zip") and not zipfile.is_zipfile(path):
        found = (f"not a whole zip archive, {size} bytes: cut short, by a "
                 "copy that did not finish or a full disk")
    return found


_TEXT_LIMIT = 64 * 2**20
"""Files above this size are not read again to look for changed line endings."""


def changed_line_endings(path: Path, expected: str) -> str | None:
    """How ``path``'s line endings were changed, when that alone makes its SHA-256 differ
    from ``expected``: ``"CRLF line endings where LF was saved"`` or the reverse; ``None``
    when the content differs otherwise (or the file is over :data:`_TEXT_LIMIT`).

    A registry copied through git with ``core.autocrlf`` (or unpacked by a Windows zip
    tool) has its ``card.json``, ``card.md`` and ``schema.json`` in CRLF: every one was
    refused as "tampered or corrupt", which reads as an attack, not a copy to redo.
    """
    if path.stat().st_size > _TEXT_LIMIT:
        return None
    return _changed_endings(path.read_bytes(), expected)


def _changed_endings(data: bytes, expected: str) -> str | None:
    """:func:`changed_line_endings` of the bytes ``data``."""
    import hashlib

    if b"\r\n" in data and \
            hashlib.sha256(data.replace(b"\r\n", b"\n")).hexdigest() == expected:
        return LINE_ENDINGS[0]
    if b"\n" in data and b"\r\n" not in data and \
            hashlib.sha256(data.replace(b"\n", b"\r\n")).hexdigest() == expected:
        return LINE_ENDINGS[1]
    return None
