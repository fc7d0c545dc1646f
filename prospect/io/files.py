"""File-level helpers shared by every stage: checksums, atomic JSON files and directory
publishing."""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import uuid
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["file_sha256", "jsonable", "publish_dir", "write_json"]


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


def jsonable(obj: Any) -> Any:
    """``obj`` as strict JSON: numpy values to Python, NaN and infinities to ``None``.

    Tuples become lists; any other object becomes its ``str``.
    """
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float):
        return obj if np.isfinite(obj) else None
    if obj is None or isinstance(obj, str | int | bool):
        return obj
    return str(obj)


def write_json(path: Path | str, data: Any) -> Path:
    """Write ``data`` (through :func:`jsonable`) as indented strict JSON, atomically.

    The text goes to a hidden temporary file beside ``path`` that then replaces it, so a
    reader sees the old file or the new one, never a part. Parent folders are created.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.{uuid.uuid4().hex[:8]}"
    try:
        tmp.write_text(json.dumps(jsonable(data), indent=1, allow_nan=False) + "\n")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path
