"""SHA-256 checksums of the files of a saved model."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path

from prospect.errors import ChangedFilesError, SecurityError
from prospect.io.files import file_sha256

__all__ = ["CHECKSUMS_FILE", "read_checksums", "verify_checksums"]

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
    every file whose SHA-256 differs or is missing."""
    directory = Path(directory)
    problems: list[str] = []
    for name, expected in sorted(sums.items()):
        path = directory / name
        if "/" in name or "\\" in name or name.startswith("."):
            problems.append(f"{name}: not a plain file name")
        elif not path.is_file():
            problems.append(f"{name}: missing")
        elif (actual := file_sha256(path)) != expected:
            problems.append(f"{name}: sha256 {actual[:16]}... != recorded {expected[:16]}...")
    if problems:
        raise ChangedFilesError(
            f"{directory}: checksum verification failed, the model files were changed after "
            "saving (tampered or corrupt); refused:\n" + "\n".join(problems),
            path=directory,
        )
