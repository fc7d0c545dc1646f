"""The same fitted model gives the same ``model.skops`` bytes.

skops names each array member of its zip file by the object's ``id()`` (and ``bytes``
members by a random UUID), writes those numbers into ``schema.json`` as ``__id__``, and
stamps every member with the time of the save: two trainings of one job on the same data
gave two files with different SHA-256s, so a researcher could not verify a model by
retraining it. :func:`reproducible_skops` rewrites a skops file into a canonical form that
skops loads the same way: object ids renumbered in their order of first appearance,
members named by those numbers, the members of a set in a fixed order, every member
stamped 1980-01-01 (the zip format's first date) with the same attributes, in a fixed
order. The estimator it loads is the same; only the arbitrary parts are fixed.
"""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

__all__ = ["reproducible_skops", "unread_members"]

SCHEMA_MEMBER = "schema.json"
_EPOCH = (1980, 1, 1, 0, 0, 0)
_SET_CLASSES = {"set", "frozenset"}
_VALUES = {"JsonNode"}
"""Loaders of immutable values (str, int, float, bool, None): whether two equal ones were
one object in the saved process (a constant, a cached small number) or two is chance (a
model fitted on a dask worker and sent back by pickle shares them otherwise), and it
changes nothing loaded, so each is given an id of its own."""


def _without_ids(node: Any) -> Any:
    """``node`` with its ``__id__`` and member names left out (to order set items by)."""
    if isinstance(node, dict):
        return {k: _without_ids(v) for k, v in node.items() if k not in ("__id__", "file")}
    if isinstance(node, list):
        return [_without_ids(v) for v in node]
    return node


def _order_sets(node: Any) -> None:
    """Put the items of every saved set in a fixed order (a set of strings is iterated in
    an order that depends on the process's hash seed)."""
    if isinstance(node, dict):
        if node.get("__loader__") == "SetNode" and node.get("__class__") in _SET_CLASSES \
                and isinstance(node.get("content"), list):
            node["content"].sort(key=lambda item: json.dumps(_without_ids(item),
                                                             sort_keys=True))
        for value in node.values():
            _order_sets(value)
    elif isinstance(node, list):
        for value in node:
            _order_sets(value)


def _renumber(node: Any, ids: dict[int, int], files: dict[str, str],
              members: set[str]) -> None:
    """Replace every ``__id__`` by its order of first appearance (a value of
    :data:`_VALUES` always by a new one) and every member name (``"file"``) by
    ``<n>.<suffix>`` in order of first appearance, in place. ``ids`` maps the ids seen
    (values under negative keys of their own)."""
    if isinstance(node, dict):
        old = node.get("__id__")
        if isinstance(old, int) and not isinstance(old, bool):
            if node.get("__loader__") in _VALUES:  # never shared: a value of its own
                old = -len(ids) - 1
            node["__id__"] = ids.setdefault(old, len(ids) + 1)
        name = node.get("file")
        if isinstance(name, str) and name in members:
            suffix = name.rpartition(".")[2] if "." in name else "bin"
            files.setdefault(name, f"{len(files) + 1}.{suffix}")
            node["file"] = files[name]
        for value in node.values():
            _renumber(value, ids, files, members)
    elif isinstance(node, list):
        for value in node:
            _renumber(value, ids, files, members)


def _member(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=_EPOCH)
    info.compress_type = zipfile.ZIP_STORED
    info.create_system = 3  # the same on every platform
    info.external_attr = 0o600 << 16
    return info


def reproducible_skops(data: bytes) -> bytes:
    """The skops file ``data`` in its canonical form (see the module docstring).

    A file that does not look as skops writes it (no ``schema.json``, or a member no
    ``"file"`` entry names) is returned unchanged: the form is fixed only where every
    part of it is understood.

    Parameters
    ----------
    data
        The bytes :func:`skops.io.dumps` returned.

    Returns
    -------
    bytes
        A skops file that loads to the same estimator, equal for equal estimators.
    """
    with zipfile.ZipFile(io.BytesIO(data)) as src:
        names = src.namelist()
        if SCHEMA_MEMBER not in names or len(set(names)) != len(names):
            return data
        schema = json.loads(src.read(SCHEMA_MEMBER))
        members = set(names) - {SCHEMA_MEMBER}
        _order_sets(schema)
        files: dict[str, str] = {}
        _renumber(schema, {}, files, members)
        if set(files) != members:  # a member the schema does not name: leave it alone
            return data
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as dst:
            for old, new in sorted(files.items(), key=lambda kv: int(kv[1].split(".")[0])):
                dst.writestr(_member(new), src.read(old))
            dst.writestr(_member(SCHEMA_MEMBER), json.dumps(schema, indent=2))
    return out.getvalue()


def _named_members(node: Any, found: set[str]) -> set[str]:
    """The member names (``"file"``) the nodes of a skops ``schema.json`` read, into
    ``found``."""
    if isinstance(node, dict):
        name = node.get("file")
        if "__loader__" in node and isinstance(name, str):
            found.add(name)
        for value in node.values():
            _named_members(value, found)
    elif isinstance(node, list):
        for value in node:
            _named_members(value, found)
    return found


def unread_members(data: bytes) -> list[str]:
    """The members of the skops file ``data`` that skops never reads when it loads it.

    skops writes ``schema.json`` and one member per array (or bytes) that a node of the
    schema names (``"file"``), nothing else; a member beside those, or a name the zip
    holds twice (each reader picks one of the two), is no part of the saved model: the
    file was edited or assembled after it was saved. Members are named as the zip gives
    them, a name given twice once with `` (twice)``; a file without a readable
    ``schema.json`` is left to skops (which refuses it).

    Parameters
    ----------
    data
        The bytes of a skops file.

    Returns
    -------
    list of str
        The unread members, in the zip's order; empty for a file as skops writes it.
    """
    with zipfile.ZipFile(io.BytesIO(data)) as src:
        names = src.namelist()
        try:
            schema = json.loads(src.read(SCHEMA_MEMBER))
            named = _named_members(schema, set()) | {SCHEMA_MEMBER}
        except (KeyError, ValueError, RecursionError, zipfile.BadZipFile, OSError):
            return []  # no schema skops could read: skops refuses the file
    out: list[str] = []
    for name in dict.fromkeys(names):
        if names.count(name) > 1:
            out.append(f"{name} (twice)")
        elif name not in named:
            out.append(name)
    return out
