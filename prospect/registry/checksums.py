"""SHA-256 checksums of the files of a saved model."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path

from prospect.errors import ChangedFilesError, SecurityError
from prospect.io.files import file_sha256

__all__ = [
    "CHECKSUMS_FILE",
    "COPY_HINT",
    "LINE_ENDINGS",
    "LINE_ENDINGS_HINT",
    "changed_line_endings",
    "copy_damage",
    "read_checksums",
    "verify_checksums",
]

CHECKSUMS_FILE = "checksums.json"


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


def read_checksums(directory: Path, *, required: Iterable[str]) -> dict[str, str]:
    """Read ``checksums.json`` of ``directory`` and check it lists every required file."""
    path = Path(directory) / CHECKSUMS_FILE
    if not path.is_file():
        raise SecurityError(
            f"{path}: missing; a Prospect model directory carries SHA-256 checksums of its "
            "files and is refused without them"
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
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


def verify_checksums(directory: Path, sums: Mapping[str, str]) -> None:
    """Raise :class:`~prospect.errors.ChangedFilesError` (a :class:`SecurityError`) naming
    every file whose SHA-256 differs or is missing.

    Where a copy's damage explains a file (:func:`copy_damage`: its line endings changed,
    a zip archive cut short), the file's line says so, and when that explains every
    problem the message says the copy did it and how to copy again
    (:data:`LINE_ENDINGS_HINT`, :data:`COPY_HINT`) instead of "tampered or corrupt",
    which reads as an attack. The model is refused all the same: its bytes are not the
    ones saved."""
    directory = Path(directory)
    problems: list[str] = []
    damage: list[str | None] = []  # per problem, what a copy did to the file, if known
    for name, expected in sorted(sums.items()):
        path = directory / name
        if "/" in name or "\\" in name or name.startswith("."):
            problems.append(f"{name}: not a plain file name")
            damage.append(None)
        elif not path.is_file():
            problems.append(f"{name}: missing")
            damage.append(None)
        elif (actual := file_sha256(path)) != expected:
            found = copy_damage(path, expected)
            problems.append(f"{name}: sha256 {actual[:16]}... != recorded {expected[:16]}..."
                            + (f" ({found})" if found else ""))
            damage.append(found)
    if problems:
        why = "the model files were changed after saving (tampered or corrupt)"
        if all(found in LINE_ENDINGS for found in damage):
            why = LINE_ENDINGS_HINT
        elif all(damage):
            why = COPY_HINT
        raise ChangedFilesError(
            f"{directory}: checksum verification failed, {why}; refused:\n"
            + "\n".join(problems),
            path=directory,
        )


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
    "the model files were damaged by the copy that brought the folder here (each file "
    "below says how), not edited; copy the folder again, whole and as binary (in git, "
    "'* -text' in .gitattributes), and load it again")
"""Why every file that failed its checksum failed, when a copy's damage explains each."""


def copy_damage(path: Path, expected: str) -> str | None:
    """What a copy did to ``path`` that makes its SHA-256 differ from ``expected``, when
    that is known: its line endings changed (:func:`changed_line_endings`), or a zip
    archive (``model.skops``) that is no whole archive (cut short by a copy that did not
    finish or a full disk: the archive's directory is at its end); ``None`` otherwise."""
    import zipfile

    found = changed_line_endings(path, expected)
    if found is None and path.suffix in (".skops", ".zip") and not zipfile.is_zipfile(path):
        found = (f"not a whole zip archive, {path.stat().st_size} bytes: cut short, by a "
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
    import hashlib

    if path.stat().st_size > _TEXT_LIMIT:
        return None
    data = path.read_bytes()
    if b"\r\n" in data and \
            hashlib.sha256(data.replace(b"\r\n", b"\n")).hexdigest() == expected:
        return LINE_ENDINGS[0]
    if b"\n" in data and b"\r\n" not in data and \
            hashlib.sha256(data.replace(b"\n", b"\r\n")).hexdigest() == expected:
        return LINE_ENDINGS[1]
    return None
