"""Strict JSON with NaN and infinities kept: a model's ``card.json`` and ``schema.json``, a
run's ``manifest.json``.

``json.dumps`` writes a float NaN as the bare token ``NaN`` (and ``Infinity``), which is
no JSON (RFC 8259): ``jq``, JavaScript's ``JSON.parse``, R's ``jsonlite`` and most readers
outside Python refused a whole card whose provenance holds ``nodata: NaN`` or whose
metrics hold an undefined figure. A number that is not finite is now written ``null``,
and the document states what each such ``null`` was, under :data:`NON_FINITE_KEY`::

    "non_finite_numbers": {
      "meaning": "...",
      "at": {"/features/0/provenance/scenes/0/nodata": "NaN"}
    }

``at`` maps the JSON Pointer (RFC 6901) of every such value to ``NaN``, ``Infinity`` or
``-Infinity`` (the names JavaScript uses), so a ``null`` that means "no value" (a
``mosaic: null``) is never taken for a NaN, and a reader gets back the very float that
was saved (:func:`restore_non_finite`). Files written before, with bare tokens, are read
as they were (Python's parser takes them).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from prospect.canonical import jsonable

__all__ = ["NON_FINITE_KEY", "restore_non_finite", "strict_document"]

NON_FINITE_KEY = "non_finite_numbers"
"""Top-level key listing the numbers written ``null`` because they are not finite."""

MEANING = ("numbers that are not finite, written null to keep this file strict JSON: 'at' "
           "maps the JSON Pointer (RFC 6901) of each to its value (NaN, Infinity or "
           "-Infinity); any other null means no value")

_TEXT = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}
_FLOAT = {v: float(k) for k, v in _TEXT.items()}


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def strict_document(value: Mapping[str, Any]) -> dict[str, Any]:
    """``value`` as strict JSON types, each non-finite number ``null`` and listed.

    Parameters
    ----------
    value
        A card, schema or manifest (any nesting of mappings, lists, numpy values).

    Returns
    -------
    dict
        Plain JSON types with no NaN or infinity; when some number was not finite, a
        :data:`NON_FINITE_KEY` entry says where each was and what it was.
    """
    found: dict[str, str] = {}

    def walk(item: Any, pointer: str) -> Any:
        if isinstance(item, float) and not math.isfinite(item):
            found[pointer] = _TEXT[repr(item)]
            return None
        if isinstance(item, Mapping):
            return {k: walk(v, f"{pointer}/{_escape(str(k))}") for k, v in item.items()}
        if isinstance(item, list):
            return [walk(v, f"{pointer}/{i}") for i, v in enumerate(item)]
        return item

    body = walk(jsonable(dict(value), finite=False), "")
    body.pop(NON_FINITE_KEY, None)  # a document read back and saved again: listed anew
    if found:
        body[NON_FINITE_KEY] = {"meaning": MEANING, "at": dict(sorted(found.items()))}
    return body


def restore_non_finite(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` read from a file, with the numbers :func:`strict_document` wrote ``null``
    set back to NaN or infinity and its :data:`NON_FINITE_KEY` entry removed.

    A document without the entry (written before, with bare ``NaN`` tokens) is returned
    as it is. Pointers that do not lead to a ``null`` (a file edited by hand) are left
    alone: only a ``null`` the writer listed becomes a number.
    """
    listed = data.pop(NON_FINITE_KEY, None)
    at = listed.get("at") if isinstance(listed, Mapping) else None
    if not isinstance(at, Mapping):
        return data
    for pointer, text in at.items():
        if not isinstance(pointer, str) or not pointer.startswith("/") or text not in _FLOAT:
            continue
        *parents, last = [_unescape(t) for t in pointer[1:].split("/")]
        node: Any = data
        for token in parents:
            node = _child(node, token)
        if isinstance(node, dict) and last in node and node[last] is None:
            node[last] = _FLOAT[text]
        elif isinstance(node, list) and last.isdigit() and int(last) < len(node) and \
                node[int(last)] is None:
            node[int(last)] = _FLOAT[text]
    return data


def _child(node: Any, token: str) -> Any:
    if isinstance(node, dict):
        return node.get(token)
    if isinstance(node, list) and token.isdigit() and int(token) < len(node):
        return node[int(token)]
    return None
