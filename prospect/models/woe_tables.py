"""Weights-of-evidence tables (Bonham-Carter, 1994, ch. 9) and per-layer evidence settings.

For a binary pattern ``B`` and deposits ``D``, with areas counted in unit cells:

* ``W+ = ln[P(B|D) / P(B|~D)]``, ``s2(W+) = 1/N(B&D) + 1/N(B&~D)``
* ``W- = ln[P(~B|D) / P(~B|~D)]``, ``s2(W-) = 1/N(~B&D) + 1/N(~B&~D)``
* contrast ``C = W+ - W-``, ``s(C) = sqrt(s2(W+) + s2(W-))``, studentized ``C / s(C)``

**Degenerate patterns.** A weight whose 2x2 cells are not both occupied (a class holding no
deposit, a threshold leaving no deposit or no area outside the pattern) has no finite
value: ``ln 0`` or a division by zero. A pattern covering the whole study area (a layer of
one class) has ``W+ = ln 1 = 0`` by construction, no evidence: it is undefined too (and
``W-`` of an empty pattern), so that its variance does not enter ``s2(P)``. Following
Bonham-Carter (1994, p. 317) and ArcSDM, such a weight is *undefined*: it is reported as
missing (``null`` in JSON) with ``defined_plus`` / ``defined_minus`` false, and it
contributes nothing (weight 0, variance 0) to the posterior. The contrast and its
studentized value are defined only when both weights are. No pseudo-count is ever added: a
class of 1.6 km2 without deposits would otherwise get a large *positive* weight from
``0.5`` deposits.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np

__all__ = [
    "EVIDENCE_TYPES",
    "binary_weights",
    "categorical_weights",
    "check_evidence",
    "cumulative_weights",
    "group_codes",
]

#: Evidence types of one layer: class weights, cumulative patterns, or the stronger
#: cumulative direction.
EVIDENCE_TYPES: tuple[str, ...] = ("categorical", "ascending", "descending", "auto")

_NAN = float("nan")


def binary_weights(
    area_b: float, deposits_b: float, area_total: float, deposits_total: float,
) -> dict[str, Any]:
    """W+, W-, their standard deviations, contrast and studentized contrast of one pattern.

    Parameters
    ----------
    area_b
        Area of the pattern, in unit cells, ``N(B)``.
    deposits_b
        Deposits in the pattern, ``N(B&D)``.
    area_total
        Study area in unit cells, ``N(T)``.
    deposits_total
        All deposits, ``N(D)``.

    Returns
    -------
    dict
        ``area, deposits, w_plus, s_w_plus, w_minus, s_w_minus, contrast, s_contrast,
        studentized_contrast`` (NaN where undefined), ``defined_plus``, ``defined_minus``
        and ``defined`` (both weights defined).
    """
    # the counts are differences of float sums of area weights (background rows stand for
    # a share of the area): a 2x2 cell that is empty came out as 2e-13, not 0, and made an
    # undefined weight "defined" (W- = 36.5, s(W-) = 2e6, from ln(x / 2e-13)). A count
    # within rounding of 0 (1e-12 of the study area, at least 1e-9 unit cells) is 0.
    tol = max(1e-9, 1e-12 * abs(float(area_total)))

    def count(n: float) -> float:
        return 0.0 if abs(n) <= tol else n

    n_bd = count(float(deposits_b))
    n_nbd = count(float(deposits_total - deposits_b))
    n_bnd = count(float(area_b - deposits_b))
    n_nbnd = count(float(area_total - area_b - (deposits_total - deposits_b)))
    n_d, n_nd = n_bd + n_nbd, n_bnd + n_nbnd
    # a pattern that is the whole study area (a layer of one class, every cell above a
    # cut-off) is no pattern: P(B|D) = P(B|~D) = 1 by construction, so W+ = ln 1 is no
    # evidence, and its s2(W+) = 1/N(D) + 1/N(~D) widened s(P) in every cell; likewise W-
    # of an empty pattern. Each weight needs area on both sides of its pattern.
    has_b, has_not_b = n_bd + n_bnd > 0, n_nbd + n_nbnd > 0
    def_plus = n_bd > 0 and n_bnd > 0 and n_nd > 0 and has_not_b
    def_minus = n_nbd > 0 and n_nbnd > 0 and n_nd > 0 and has_b
    w_plus = math.log((n_bd / n_d) / (n_bnd / n_nd)) if def_plus else _NAN
    w_minus = math.log((n_nbd / n_d) / (n_nbnd / n_nd)) if def_minus else _NAN
    v_plus = 1.0 / n_bd + 1.0 / n_bnd if def_plus else _NAN
    v_minus = 1.0 / n_nbd + 1.0 / n_nbnd if def_minus else _NAN
    both = def_plus and def_minus
    contrast = w_plus - w_minus if both else _NAN
    s_c = math.sqrt(v_plus + v_minus) if both else _NAN
    return {
        "area": float(area_b), "deposits": float(deposits_b),
        "w_plus": w_plus, "s_w_plus": math.sqrt(v_plus) if def_plus else _NAN,
        "w_minus": w_minus, "s_w_minus": math.sqrt(v_minus) if def_minus else _NAN,
        "contrast": contrast, "s_contrast": s_c,
        "studentized_contrast": contrast / s_c if both else _NAN,
        "defined_plus": def_plus, "defined_minus": def_minus, "defined": both,
    }


def cumulative_weights(
    values: np.ndarray, positive: np.ndarray, area: np.ndarray, *,
    direction: Literal["ascending", "descending"], thresholds: np.ndarray,
    area_total: float, deposits_total: float,
) -> list[dict[str, Any]]:
    """Weights table of cumulative patterns ``x <= t`` (ascending) or ``x >= t`` (descending).

    ``area`` is the unit-cell area of each row; ``positive`` the deposits of each row (0 for
    background rows). Rows with NaN belong to no pattern; ``area_total`` and
    ``deposits_total`` are those of the rows with evidence (Bonham-Carter 1994, ch. 9).
    """
    rows = []
    with np.errstate(invalid="ignore"):
        for t in thresholds:
            inside = values <= t if direction == "ascending" else values >= t
            row = binary_weights(float(area[inside].sum()), float(positive[inside].sum()),
                                 area_total, deposits_total)
            rows.append({"threshold": float(t), **row})
    return rows


def categorical_weights(
    codes: np.ndarray, positive: np.ndarray, area: np.ndarray, *, area_total: float,
    deposits_total: float,
) -> list[dict[str, Any]]:
    """One row per class with area: the class as a pattern; its weight is the class's W+."""
    rows = []
    for code in np.unique(codes[np.isfinite(codes)]):
        inside = codes == code
        if not area[inside].sum() > 0:
            continue
        row = binary_weights(float(area[inside].sum()), float(positive[inside].sum()),
                             area_total, deposits_total)
        rows.append({"class": float(code), **row})
    return rows


def group_codes(codes: np.ndarray, groups: Mapping[str, Sequence[float]]) -> np.ndarray:
    """Class codes mapped to group numbers ``1..k`` in the order of ``groups``.

    Classes not named in any group form group ``k + 1`` ("other"); NaN stays NaN.
    """
    out = np.where(np.isfinite(codes), float(len(groups) + 1), np.nan)
    for k, members in enumerate(groups.values(), start=1):
        out[np.isin(codes, np.asarray(list(members), "f8"))] = float(k)
    return out


def check_evidence(
    evidence: Mapping[Any, Mapping[str, Any]] | None, *, feature_names: Sequence[str],
    categorical: Sequence[int] = (), where: str = "evidence",
) -> dict[int, dict[str, Any]]:
    """Per-column evidence settings, keyed by column index; ``ValueError`` on a bad entry.

    Parameters
    ----------
    evidence
        Feature name (or column index) -> ``{type, threshold, groups}``: ``type`` is one of
        :data:`EVIDENCE_TYPES`; ``threshold`` a manual cut-off of a cumulative type;
        ``groups`` (categorical only) ``{group name: [class codes]}``, the other classes
        forming one more group.
    feature_names
        Names of the columns.
    categorical
        Columns holding class codes (their default type is ``categorical``).
    where
        How the caller names ``evidence`` in messages (e.g. ``model.params.evidence``).
    """
    out: dict[int, dict[str, Any]] = {}
    names = list(feature_names)
    for key, spec in (evidence or {}).items():
        if isinstance(key, int | np.integer) and 0 <= int(key) < len(names):
            j = int(key)
        elif key in names:
            j = names.index(key)
        else:
            raise ValueError(f"{where}: {key!r} is not a feature; features are {names}")
        if not isinstance(spec, Mapping):
            raise ValueError(f"{where}.{key}: give a mapping such as {{type: descending}}")
        unknown = sorted(set(spec) - {"type", "threshold", "groups"})
        if unknown:
            raise ValueError(f"{where}.{key}: unknown keys {unknown}; allowed: type, "
                             "threshold, groups")
        kind = spec.get("type", "categorical" if j in categorical else "auto")
        if kind not in EVIDENCE_TYPES:
            raise ValueError(f"{where}.{key}.type {kind!r}: choose one of {list(EVIDENCE_TYPES)}")
        threshold = spec.get("threshold")
        if threshold is not None:
            if kind not in ("ascending", "descending"):
                raise ValueError(f"{where}.{key}.threshold needs type ascending or descending "
                                 f"(not {kind})")
            if not isinstance(threshold, int | float) or not math.isfinite(threshold):
                raise ValueError(f"{where}.{key}.threshold must be a finite number")
        groups = spec.get("groups")
        if groups is not None:
            if kind != "categorical":
                raise ValueError(f"{where}.{key}.groups needs type categorical (not {kind})")
            if not isinstance(groups, Mapping) or not groups or not all(
                    isinstance(v, list | tuple) and v for v in groups.values()):
                raise ValueError(f"{where}.{key}.groups: give {{group: [class codes]}}")
            for group, members in groups.items():
                odd = [c for c in members if isinstance(c, bool) or not isinstance(
                    c, int | float | np.integer | np.floating) or not math.isfinite(c)]
                if odd:  # a class's name: was "could not convert string to float"
                    raise ValueError(
                        f"{where}.{key}.groups.{group}: {odd[0]!r} is not a class code; a "
                        "group lists the layer's class codes, the numbers stored in the "
                        "cube (its legend: the variable's flag_values and flag_meanings), "
                        "e.g. {granites: [3, 7]}")
            seen: list[float] = [float(c) for v in groups.values() for c in v]
            if len(seen) != len(set(seen)):
                raise ValueError(f"{where}.{key}.groups: a class is in more than one group")
        out[j] = {"type": kind, "threshold": None if threshold is None else float(threshold),
                  "groups": None if groups is None else
                  {str(g): [float(c) for c in v] for g, v in groups.items()}}
    return out
