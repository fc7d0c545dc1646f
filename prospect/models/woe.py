"""Weights of evidence (Bonham-Carter, 1994, *Geographic Information Systems for
Geoscientists*, ch. 9), as a scikit-learn classifier.

For a binary evidence pattern ``B`` and deposits ``D``, with areas counted in unit cells:

* ``W+ = ln[P(B|D) / P(B|~D)]``, ``W- = ln[P(~B|D) / P(~B|~D)]``
* ``s2(W+) = 1/N(B&D) + 1/N(B&~D)``, ``s2(W-) = 1/N(~B&D) + 1/N(~B&~D)``
* contrast ``C = W+ - W-``, ``s(C) = sqrt(s2(W+) + s2(W-))``, studentized ``C / s(C)``
* prior logit ``ln[N(D) / (N(T) - N(D))]``; posterior logit = prior + sum of the weights
  that apply in a cell; posterior probability ``P = e^L / (1 + e^L)`` with
  ``s2(P) = [1/N(D) + sum s2(W)] P^2`` (the variance due to the weights).

Continuous evidence is made binary at a cumulative threshold (ascending: ``x <= t``;
descending: ``x >= t``): by default the one with the largest contrast among those whose
studentized contrast reaches a confidence level (2), as in ArcSDM; categorical evidence gets
one weight per class, ``W_k = ln[P(B_k|D) / P(B_k|~D)]``. Missing evidence weighs 0.

Rows are cells. ``sample_weight`` is the number of cells a row stands for (1 when every cell
is a row; larger for a sampled background), so the area of a pattern is the weighted count
of its rows and the number of deposits the weighted count of positive rows.
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
from scipy import stats
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from prospect.errors import ModelError
from prospect.models._validation import check_binary_target, check_weights

__all__ = [
    "WeightsOfEvidenceClassifier",
    "binary_weights",
    "categorical_weights",
    "cumulative_weights",
]


def binary_weights(
    area_b: float, deposits_b: float, area_total: float, deposits_total: float,
    *, min_count: float = 0.5,
) -> dict[str, float]:
    """W+, W-, their variances, contrast and studentized contrast of one binary pattern.

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
    min_count
        Counts below this are raised to it so that weights stay finite (an empty
        cell of the 2x2 table otherwise gives an infinite weight).

    Returns
    -------
    dict
        ``area, deposits, w_plus, s_w_plus, w_minus, s_w_minus, contrast, s_contrast,
        studentized_contrast``, and ``defined`` (1.0 when no cell of the 2x2 table was
        empty, i.e. no count had to be raised to ``min_count``).
    """
    raw = (deposits_b, deposits_total - deposits_b, area_b - deposits_b,
           area_total - area_b - (deposits_total - deposits_b))
    n_bd = max(deposits_b, min_count)
    n_nbd = max(deposits_total - deposits_b, min_count)
    n_bnd = max(area_b - deposits_b, min_count)
    n_nbnd = max(area_total - area_b - (deposits_total - deposits_b), min_count)
    n_d = n_bd + n_nbd
    n_nd = n_bnd + n_nbnd
    w_plus = math.log((n_bd / n_d) / (n_bnd / n_nd))
    w_minus = math.log((n_nbd / n_d) / (n_nbnd / n_nd))
    v_plus = 1.0 / n_bd + 1.0 / n_bnd
    v_minus = 1.0 / n_nbd + 1.0 / n_nbnd
    contrast = w_plus - w_minus
    s_c = math.sqrt(v_plus + v_minus)
    return {
        "area": float(area_b), "deposits": float(deposits_b),
        "w_plus": w_plus, "s_w_plus": math.sqrt(v_plus),
        "w_minus": w_minus, "s_w_minus": math.sqrt(v_minus),
        "contrast": contrast, "s_contrast": s_c, "studentized_contrast": contrast / s_c,
        "defined": float(all(v > 0 for v in raw)),
    }


def cumulative_weights(
    values: np.ndarray, positive: np.ndarray, area: np.ndarray, *,
    direction: Literal["ascending", "descending"], thresholds: np.ndarray,
    area_total: float, deposits_total: float, min_count: float = 0.5,
) -> list[dict[str, float]]:
    """Weights table of cumulative patterns ``x <= t`` (ascending) or ``x >= t`` (descending).

    ``area`` is the unit-cell area of each row; ``positive`` is the deposit weight of each
    row (0 for background rows). Rows with NaN belong to no pattern.
    """
    rows = []
    for t in thresholds:
        inside = values <= t if direction == "ascending" else values >= t
        row = binary_weights(
            float(area[inside].sum()), float(positive[inside].sum()), area_total,
            deposits_total, min_count=min_count,
        )
        rows.append({"threshold": float(t), **row})
    return rows


def categorical_weights(
    codes: np.ndarray, positive: np.ndarray, area: np.ndarray, *, area_total: float,
    deposits_total: float, min_count: float = 0.5,
) -> list[dict[str, float]]:
    """One row per class: W+ of the class as a pattern (its weight), W-, contrast."""
    rows = []
    for code in np.unique(codes[np.isfinite(codes)]):
        inside = codes == code
        if not area[inside].sum() > 0:
            continue
        row = binary_weights(
            float(area[inside].sum()), float(positive[inside].sum()), area_total,
            deposits_total, min_count=min_count,
        )
        rows.append({"class": float(code), **row})
    return rows


def _evidence(kind: str, *, threshold: float = math.nan, classes: Any = (), weights: Any = (),
              variances: Any = (), table: list[dict[str, float]] | None = None) -> dict[str, Any]:
    """The fitted weights of one column, as plain data (safe to save with skops)."""
    return {"kind": kind, "threshold": float(threshold),
            "classes": np.asarray(classes, "f8"), "weights": np.asarray(weights, "f8"),
            "variances": np.asarray(variances, "f8"), "table": list(table or [])}


class WeightsOfEvidenceClassifier(ClassifierMixin, BaseEstimator):
    """Weights-of-evidence prospectivity model (Bonham-Carter, 1994).

    Parameters
    ----------
    categorical_features
        Indices of columns holding class codes; their weights are per class.
    continuous
        How continuous columns become binary patterns: ``descending`` (high values
        favourable, ``x >= t``), ``ascending`` (``x <= t``, e.g. distances) or ``auto``
        (the direction whose best threshold has the larger studentized contrast).
    n_thresholds
        Candidate thresholds per continuous column (quantiles of the training rows).
    cell_area
        Area of one row's cell (e.g. m^2).
    unit_cell_area
        Area of Bonham-Carter's unit cell in the same units (default: ``cell_area``).
        Areas are counted in unit cells; each deposit occupies one unit cell.
    min_count
        Counts below this are raised to it so weights stay finite.
    selection
        Cut-off of a cumulative table: ``max_contrast`` (the classical choice: the largest
        contrast among thresholds whose studentized contrast reaches
        ``min_studentized_contrast``; the largest studentized contrast when none does) or
        ``max_studentized_contrast``.
    min_studentized_contrast
        Confidence level for ``max_contrast`` (2 is about 97.5 % one-sided).

    Attributes
    ----------
    prior_logit_
        ``ln[N(D) / (N(T) - N(D))]``.
    n_deposits_, area_total_
        ``N(D)`` and ``N(T)`` (unit cells).
    evidence_
        Per column: kind, threshold or classes, weights, variances and the full table.
    """

    def __init__(
        self, *, categorical_features: list[int] | None = None,
        continuous: Literal["auto", "ascending", "descending"] = "auto",
        n_thresholds: int = 20, cell_area: float = 1.0, unit_cell_area: float | None = None,
        min_count: float = 0.5,
        selection: Literal["max_contrast", "max_studentized_contrast"] = "max_contrast",
        min_studentized_contrast: float = 2.0,
    ) -> None:
        self.categorical_features = categorical_features
        self.continuous = continuous
        self.n_thresholds = n_thresholds
        self.cell_area = cell_area
        self.unit_cell_area = unit_cell_area
        self.min_count = min_count
        self.selection = selection
        self.min_studentized_contrast = min_studentized_contrast

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.classifier_tags.multi_class = False
        return tags

    # -- fitting -------------------------------------------------------------------
    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> WeightsOfEvidenceClassifier:
        """Compute the weights of every column from cells ``X`` and deposit labels ``y``."""
        X, y = validate_data(self, X, y, ensure_all_finite="allow-nan", dtype="float64")
        self.classes_ = check_binary_target(y)
        pos = (y == self.classes_[1]).astype("f8")
        w = check_weights(sample_weight, X)
        scale = self.cell_area / (self.unit_cell_area or self.cell_area)
        area = w * scale
        deposits = pos * w
        self.area_total_ = float(area.sum())
        self.n_deposits_ = float(deposits.sum())
        if self.n_deposits_ <= 0 or self.area_total_ <= self.n_deposits_:
            raise ModelError(
                "weights of evidence needs both classes with positive weight (deposits, and "
                f"more unit cells than deposits); got {self.n_deposits_} deposits in "
                f"{self.area_total_} unit cells"
            )
        self.prior_logit_ = math.log(self.n_deposits_ / (self.area_total_ - self.n_deposits_))
        categorical = set(self.categorical_features or [])
        self.evidence_ = [
            self._fit_column(X[:, j], deposits, area, categorical=j in categorical)
            for j in range(X.shape[1])
        ]
        return self

    def _fit_column(self, x: np.ndarray, deposits: np.ndarray, area: np.ndarray, *,
                    categorical: bool) -> dict[str, Any]:
        kw = {"area_total": self.area_total_, "deposits_total": self.n_deposits_,
              "min_count": self.min_count}
        if categorical:
            table = categorical_weights(x, deposits, area, **kw)
            return _evidence(
                kind="categorical", classes=np.array([r["class"] for r in table]),
                weights=np.array([r["w_plus"] for r in table]),
                variances=np.array([r["s_w_plus"] ** 2 for r in table]), table=table,
            )
        finite = np.isfinite(x)
        if not finite.any():
            return _evidence(kind="empty", weights=np.zeros(2), variances=np.zeros(2))
        thresholds = _weighted_quantiles(x[finite], area[finite],
                                         np.linspace(0, 1, self.n_thresholds + 1))
        directions: list[Literal["ascending", "descending"]] = (
            ["ascending", "descending"] if self.continuous == "auto" else [self.continuous]
        )
        best: dict[str, Any] | None = None
        best_score: tuple[bool, float] = (False, -math.inf)
        for direction in directions:
            # the extreme threshold makes the pattern the whole area: no contrast; skip it
            cand = thresholds[:-1] if direction == "ascending" else thresholds[1:]
            if cand.size == 0:
                cand = thresholds
            table = cumulative_weights(x, deposits, area, direction=direction,
                                       thresholds=cand, **kw)
            k, significant = self._select(table)
            row = table[k]
            key = "contrast" if self.selection == "max_contrast" and significant \
                else "studentized_contrast"
            score = (significant, row[key])
            if best is None or score > best_score:
                best_score = score
                best = _evidence(
                    direction, threshold=row["threshold"],
                    weights=[row["w_plus"], row["w_minus"]],
                    variances=[row["s_w_plus"] ** 2, row["s_w_minus"] ** 2], table=table,
                )
                best["significant"] = significant
        assert best is not None
        return best

    def _select(self, table: list[dict[str, float]]) -> tuple[int, bool]:
        """Row of the cut-off threshold, and whether it reaches the confidence level."""
        sc = np.array([r["studentized_contrast"] for r in table])
        # thresholds that leave a cell of the 2x2 table empty (e.g. no deposit outside the
        # pattern) have undefined weights; they are never chosen when another exists
        defined = np.array([r.get("defined", 1.0) > 0 for r in table])
        if defined.any():
            sc = np.where(defined, sc, -np.inf)
        if self.selection == "max_studentized_contrast":
            k = int(np.argmax(sc))
            return k, bool(sc[k] >= self.min_studentized_contrast)
        ok = sc >= self.min_studentized_contrast
        if ok.any():
            c = np.array([r["contrast"] for r in table])
            return int(np.argmax(np.where(ok, c, -np.inf))), True
        return int(np.argmax(sc)), False

    # -- prediction ----------------------------------------------------------------
    def _weights(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Sum of weights and sum of weight variances per row."""
        total = np.zeros(X.shape[0])
        var = np.zeros(X.shape[0])
        for j, ev in enumerate(self.evidence_):
            x = X[:, j]
            w = np.zeros(X.shape[0])
            v = np.zeros(X.shape[0])
            if ev["kind"] == "categorical":
                idx = np.searchsorted(ev["classes"], x)
                idx = np.clip(idx, 0, max(ev["classes"].size - 1, 0))
                known = np.isfinite(x) & (ev["classes"].size > 0)
                if ev["classes"].size:
                    known &= ev["classes"][idx] == x
                w[known] = ev["weights"][idx[known]]
                v[known] = ev["variances"][idx[known]]
            elif ev["kind"] in ("ascending", "descending"):
                finite = np.isfinite(x)
                inside = _in_pattern(x, ev)
                w[finite & inside] = ev["weights"][0]
                v[finite & inside] = ev["variances"][0]
                w[finite & ~inside] = ev["weights"][1]
                v[finite & ~inside] = ev["variances"][1]
            total += w
            var += v
        return total, var

    def posterior_logit(self, X: Any) -> np.ndarray:
        """Posterior logit: prior logit plus the weights that apply in each row."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, ensure_all_finite="allow-nan", dtype="float64")
        total, _ = self._weights(X)
        return self.prior_logit_ + total  # type: ignore[no-any-return]

    def decision_function(self, X: Any) -> np.ndarray:
        """The posterior logit (monotone in the posterior probability)."""
        return self.posterior_logit(X)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Posterior probability of a deposit (column 1) and its complement (column 0)."""
        p = _expit(self.posterior_logit(X))
        return np.column_stack([1.0 - p, p])

    def predict_proba_std(self, X: Any) -> np.ndarray:
        """Standard deviation of the posterior probability due to the weights."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, ensure_all_finite="allow-nan", dtype="float64")
        total, var = self._weights(X)
        p = _expit(self.prior_logit_ + total)
        return np.sqrt((1.0 / self.n_deposits_ + var) * p**2)  # type: ignore[no-any-return]

    def predict(self, X: Any) -> np.ndarray:
        """Class with the larger posterior probability."""
        proba = self.predict_proba(X)
        return self.classes_[(proba[:, 1] > 0.5).astype(int)]  # type: ignore[no-any-return]

    # -- reporting -----------------------------------------------------------------
    def weights_table(self, feature_names: list[str] | None = None) -> list[dict[str, Any]]:
        """The chosen weights of every column (threshold or class, W+, W-, C, stud. C)."""
        check_is_fitted(self)
        names = feature_names or [f"x{j}" for j in range(len(self.evidence_))]
        out: list[dict[str, Any]] = []
        for name, ev in zip(names, self.evidence_, strict=True):
            if ev["kind"] == "categorical":
                out += [{"feature": name, "kind": ev["kind"], **row} for row in ev["table"]]
            elif ev["kind"] in ("ascending", "descending"):
                row = next(r for r in ev["table"] if r["threshold"] == ev["threshold"])
                out.append({"feature": name, "kind": ev["kind"],
                            "significant": bool(ev.get("significant", True)), **row})
        return out

    def conditional_independence(
        self, X: Any, y: Any, sample_weight: Any = None,
    ) -> dict[str, Any]:
        """Checks of conditional independence (Bonham-Carter, 1994; Agterberg & Cheng, 2002).

        Returns the ratio of observed to predicted deposits ``N(D) / sum(P * area)`` (values
        below about 0.85 suggest a violation), the Agterberg-Cheng test (z and one-sided
        p-value of ``T - N(D)``), and pairwise chi-square tests of the binary patterns over
        the deposit rows.
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, ensure_all_finite="allow-nan", dtype="float64")
        y = np.asarray(y)
        w = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, "f8")
        area = w * self.cell_area / (self.unit_cell_area or self.cell_area)
        total, var = self._weights(X)
        p = _expit(self.prior_logit_ + total)
        s2p = (1.0 / self.n_deposits_ + var) * p**2
        predicted = float((p * area).sum())
        sd_t = float(math.sqrt(((area**2) * s2p).sum()))
        z = (predicted - self.n_deposits_) / sd_t if sd_t > 0 else math.nan
        pos = y == self.classes_[1]
        pairs = []
        binary = {
            j: _in_pattern(X[:, j], ev) for j, ev in enumerate(self.evidence_)
            if ev["kind"] in ("ascending", "descending")
        }
        keys = sorted(binary)
        for a_i, a in enumerate(keys):
            for b in keys[a_i + 1:]:
                ba, bb = binary[a], binary[b]
                table = np.array([
                    [np.sum(w[pos & ba & bb]), np.sum(w[pos & ba & ~bb])],
                    [np.sum(w[pos & ~ba & bb]), np.sum(w[pos & ~ba & ~bb])],
                ])
                if (table.sum(axis=0) > 0).all() and (table.sum(axis=1) > 0).all():
                    chi2, pval, _, _ = stats.chi2_contingency(table, correction=True)
                else:
                    chi2, pval = math.nan, math.nan
                pairs.append({"a": a, "b": b, "chi2": float(chi2), "p_value": float(pval)})
        return {
            "observed_deposits": self.n_deposits_,
            "predicted_deposits": predicted,
            "ratio": self.n_deposits_ / predicted if predicted > 0 else math.nan,
            "agterberg_cheng_z": float(z),
            "agterberg_cheng_p": float(stats.norm.sf(z)) if math.isfinite(z) else math.nan,
            "pairwise": pairs,
        }


def _in_pattern(x: np.ndarray, ev: dict[str, Any]) -> np.ndarray:
    """Rows inside a cumulative binary pattern (NaN: outside)."""
    with np.errstate(invalid="ignore"):
        if ev["kind"] == "ascending":
            return x <= ev["threshold"]  # type: ignore[no-any-return]
        return x >= ev["threshold"]  # type: ignore[no-any-return]


def _weighted_quantiles(x: np.ndarray, w: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Distinct values of ``x`` at the weighted quantiles ``q`` (inverted empirical CDF)."""
    order = np.argsort(x, kind="stable")
    xs, cw = x[order], np.cumsum(w[order])
    if cw[-1] <= 0:
        return np.unique(xs)
    idx = np.searchsorted(cw / cw[-1], q, side="left")
    return np.unique(xs[np.clip(idx, 0, xs.size - 1)])


def _expit(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))
