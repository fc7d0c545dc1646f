"""Recognise a model file's format from its first bytes, without parsing it.

The loader calls :func:`sniff_format` before anything else reads a model file, so a pickle
or joblib file is refused before any byte of it is unpickled (Prospect never unpickles at
all; the sniffing is there to give a clear error instead of an obscure one).
"""

from __future__ import annotations

from pathlib import Path

from prospect.errors import SecurityError

__all__ = ["HEAD_BYTES", "refuse_unless_skops", "sniff_file", "sniff_format"]

HEAD_BYTES = 16

# (magic prefix, format name) checked in order; the first match wins.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "zip"),
    (b"ZF", "joblib (zlib, old format)"),
    (b"\x1f\x8b", "gzip (joblib compressed pickle?)"),
    (b"BZh", "bz2 (joblib compressed pickle?)"),
    (b"\xfd7zXZ\x00", "xz (joblib compressed pickle?)"),
    (b"\x5d\x00\x00", "lzma (joblib compressed pickle?)"),
    (b"\x04\x22\x4d\x18", "lz4 (joblib compressed pickle?)"),
    (b"\x28\xb5\x2f\xfd", "zstd (compressed pickle?)"),
    (b"\x78\x01", "zlib (joblib compressed pickle?)"),
    (b"\x78\x5e", "zlib (joblib compressed pickle?)"),
    (b"\x78\x9c", "zlib (joblib compressed pickle?)"),
    (b"\x78\xda", "zlib (joblib compressed pickle?)"),
    (b"\x89HDF", "HDF5"),
    (b"version https://", "Git LFS pointer"),  # what git-lfs writes: 16 bytes, HEAD_BYTES
)

# First opcodes of protocol 0/1 pickles: MARK, EMPTY_LIST/DICT/TUPLE, GLOBAL, INT, ...
_PICKLE_V0_OPCODES = frozenset(b"(]})cINSVFLGJKMUXTq")


def sniff_format(head: bytes) -> str:
    """Name the format whose magic bytes start ``head``.

    Returns ``"zip"`` for a zip archive (what skops writes), ``"pickle (protocol N)"`` for a
    pickle, a compression or container name for joblib-style files, ``"empty"`` or
    ``"unknown"``.
    """
    if not head:
        return "empty"
    if head[0] == 0x80 and len(head) > 1 and 0 <= head[1] <= 5:
        return f"pickle (protocol {head[1]})"
    for magic, name in _MAGIC:
        if head.startswith(magic):
            return name
    if head[0] in _PICKLE_V0_OPCODES:
        return "pickle (protocol 0/1?)"
    return "unknown"


def sniff_file(path: Path) -> str:
    """:func:`sniff_format` of the first bytes of ``path`` (reads only those bytes)."""
    with open(path, "rb") as fh:
        return sniff_format(fh.read(HEAD_BYTES))


def refuse_unless_skops(head: bytes, *, source: str) -> None:
    """Raise :class:`SecurityError` unless ``head`` starts a zip archive (a skops file).

    Parameters
    ----------
    head
        The first bytes of the file (at least 4).
    source
        File name used in the message.
    """
    kind = sniff_format(head)
    if kind == "zip":
        return
    if kind == "empty":  # was "not a skops model file (format: empty)", another kind
        raise SecurityError(
            f"{source}: refused: the file is empty (0 bytes): a copy that stopped, or a "
            "synced folder's placeholder never downloaded; copy the model folder again, "
            "whole, from where it was saved")
    if kind == "Git LFS pointer":  # a clone without git-lfs: was "format: unknown"
        raise SecurityError(
            f"{source}: refused: a Git LFS pointer, not the model: the repository it was "
            "cloned from keeps this file in Git LFS, and it was never downloaded; run "
            "'git lfs pull' in the clone (install git-lfs first), or copy the folder from "
            "where it was saved")
    if kind.startswith("pickle") or "joblib" in kind or "pickle?" in kind:
        raise SecurityError(
            f"{source}: refused: this is a {kind} file, and loading pickle or joblib files "
            "runs arbitrary code. Prospect loads only skops files; re-save the model with "
            "prospect.registry.save_model (skops) from a trusted environment"
        )
    raise SecurityError(
        f"{source}: refused: not a skops model file (format: {kind}); Prospect loads only "
        "skops files written by prospect.registry.save_model"
    )
