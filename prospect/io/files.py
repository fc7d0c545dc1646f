"""File-level helpers shared by every stage: checksums and atomic directory publishing."""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import uuid
from pathlib import Path

__all__ = ["file_sha256", "publish_dir"]


@functools.lru_cache(maxsize=256)
def _sha256_cached(path: str, size: int, mtime_ns: int) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            h.update(block)
    return h.hexdigest()


def file_sha256(path: Path | str) -> str:
    """Hex SHA-256 of a file, read in 1 MiB blocks.

    Cached per resolved path, size and modification time, so a stage that lists the same
    input twice (or the manifest after the stage) reads it once.
    """
    p = Path(path)
    st = p.stat()
    return _sha256_cached(str(p.resolve()), st.st_size, st.st_mtime_ns)


def publish_dir(staging: Path, target: Path, *, aside: Path | None = None) -> Path:
    """Move a fully written ``staging`` directory to ``target``, replacing any old one.

    The old directory is first renamed aside (into ``aside``, default ``target``'s
    folder), so ``target`` always holds either the old or the new complete contents, never
    a mixture; the old copy is then removed.
    """
    staging, target = Path(staging), Path(target)
    if target.exists():
        folder = Path(aside) if aside is not None else target.parent
        trash = folder / f".{target.name}.old-{uuid.uuid4().hex[:8]}"
        os.replace(target, trash)
        os.replace(staging, target)
        shutil.rmtree(trash, ignore_errors=True)
    else:
        os.replace(staging, target)
    return target
