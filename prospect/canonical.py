"""Values as plain JSON, and the one hash of a config.

:func:`jsonable` is the one sanitiser for everything Prospect writes as JSON (model cards,
schemas, training facts, manifests): numpy scalars and arrays become Python numbers and
lists, pydantic models their JSON dump, sets sorted lists, other objects their ``str``;
with ``finite=True`` NaN and infinities become ``null`` (strict JSON).
:func:`config_hash` is the one hash of a config, used by run manifests, model cards and
the score stage's STAC items.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["canonical", "canonical_json", "config_hash", "jsonable"]


def _key(key: Any) -> str:
    if isinstance(key, str):
        return key
    if key is None or isinstance(key, bool | np.bool_):
        return json.dumps(key if key is None else bool(key))  # as json.dumps writes keys
    if isinstance(key, np.generic):
        key = key.item()
    return str(key)


def jsonable(value: Any, *, finite: bool = True) -> Any:
    """``value`` as plain JSON types, keys and order kept.

    Parameters
    ----------
    value
        Any nesting of mappings, lists, tuples, sets, numpy arrays and scalars, pydantic
        models and plain values.
    finite
        ``True``: NaN and infinities become ``None`` (strict JSON); ``False``: they stay
        floats (``json.dumps`` then writes ``NaN``, which Python and zarr read back).
    """
    if isinstance(value, Mapping):
        return {_key(k): jsonable(v, finite=finite) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v, finite=finite) for v in value]
    if isinstance(value, set | frozenset):
        return [jsonable(v, finite=finite) for v in sorted(value, key=str)]
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist(), finite=finite)
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return value if not finite or math.isfinite(value) else None
    if value is None or isinstance(value, str | int | bool):
        return value
    if hasattr(value, "model_dump"):
        return jsonable(value.model_dump(mode="json"), finite=finite)
    return str(value)


def canonical_json(value: Any) -> str:
    """The canonical JSON text of ``value``: :func:`jsonable`, sorted keys, NaN kept."""
    return json.dumps(jsonable(value, finite=False), sort_keys=True)


def canonical(value: Any) -> Any:
    """``value`` as plain JSON types with the keys of every mapping sorted (NaN kept)."""
    return json.loads(canonical_json(value))


def config_hash(config: Any) -> str:
    """Hex SHA-256 of the canonical JSON of ``config`` (stable across key order).

    ``config`` is a validated config (a pydantic model: its JSON dump is hashed) or its
    JSON dump; both give the same hash.
    """
    return hashlib.sha256(canonical_json(config).encode("utf-8")).hexdigest()
