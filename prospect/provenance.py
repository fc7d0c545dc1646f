"""The metadata every product carries: its provenance and whether it is synthetic.

Each has one writer and one reader: :func:`provenance_attr` / :func:`read_provenance` for
provenance, :func:`synthetic_attr` / :func:`is_synthetic` for the synthetic flag, and
:func:`attr_text` for containers that hold text only (GeoTIFF tags, ONNX metadata). Pure
functions of JSON and numpy: the computing modules (indices, models, screening) use them
without the cube's zarr and rasterio I/O (:mod:`prospect.io.cube` re-exports them).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["attr_text", "is_synthetic", "provenance_attr", "read_provenance", "synthetic_attr"]


def provenance_attr(items: Mapping[str, Any]) -> str:
    """The ``provenance`` attribute of a variable: JSON text, keys sorted, objects as text."""
    return json.dumps(dict(items), sort_keys=True, default=str)


def read_provenance(value: Any) -> dict[str, Any]:
    """A ``provenance`` attribute (JSON text, or an already parsed mapping) as a dict.

    Missing or empty gives ``{}``; text that is not a JSON object gives ``{"text": value}``.
    """
    if isinstance(value, Mapping):
        return dict(value)
    if not isinstance(value, str) or not value:
        return {}
    try:
        parsed = json.loads(value)
    except ValueError:
        return {"text": value}
    return parsed if isinstance(parsed, dict) else {"text": value}


def synthetic_attr(synthetic: bool) -> dict[str, bool]:
    """The ``synthetic`` attribute of a cube or a variable: ``{"synthetic": <bool>}``."""
    return {"synthetic": bool(synthetic)}


def is_synthetic(attrs: Mapping[str, Any]) -> bool:
    """Whether ``attrs`` (a cube's, a variable's, a GeoTIFF's tags) mark synthetic data.

    Reads the boolean :func:`synthetic_attr` writes, the text older writers used
    (``"true"``, ``"True"``, ``"1"``, ``"yes"``) and a ``synthetic`` key in the provenance.
    """
    value = attrs.get("synthetic")
    if isinstance(value, str):
        value = value.strip().lower() in ("true", "1", "yes")
    return bool(value) or bool(read_provenance(attrs.get("provenance")).get("synthetic"))


def attr_text(value: Any) -> str:
    """``value`` for a text-only metadata container: booleans as ``true``/``false``."""
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    return str(value)
