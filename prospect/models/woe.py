"""Weights of evidence (Bonham-Carter, 1994, *Geographic Information Systems for
Geoscientists*, ch. 9), as a scikit-learn classifier.

The tables (W+, W-, contrast, their variances, undefined weights) are in
:mod:`prospect.models.woe_tables`. Posterior logit = prior logit ``ln[N(D) / (N(T) - N(D))]``
plus the weights that apply in a cell; posterior probability ``P = e^L / (1 + e^L)`` with
``s2(P) = [1/N(D) + sum s2(W)] P^2`` (the variance due to the weights) plus, in cells where a
layer has no evidence, the variance due to the missing data (Agterberg, Bonham-Carter &
Wright 1990: :meth:`WeightsOfEvidenceClassifier.missing_data_variance`). Undefined weights
(a class without deposits, say) and missing evidence contribute 0 to the weights' sums.

Each column is one evidence layer of a type: ``categorical`` (one weight per class, or per
group of classes), ``ascending`` (pattern ``x <= t``, e.g. distance to faults),
``descending`` (``x >= t``, e.g. geochemistry) or ``auto`` (the stronger of the two). The
cut-off of a cumulative layer is given (``threshold``) or chosen from the full cumulative
table: by default the threshold of maximum studentized contrast among those with both
weights defined; ``selection="max_contrast"`` takes the largest contrast among the
thresholds whose studentized contrast reaches ``min_studentized_contrast`` (ArcSDM).

Rows are cells. ``sample_weight`` is the number of cells a row stands for (1 when every cell
is a row; larger for a sampled background), so the area of a pattern is the weighted count
of its rows. Deposits are one per positive cell (``count="cells"``), or every occurrence
point (``count="points"``, the ``n_points`` fit argument: two points in one cell count
twice, as ArcSDM counts training points). Each deposit occupies one unit cell
(Bonham-Carter 1994), so a row may hold no more deposits than unit cells: ``fit``
refuses one that does (two points in a cell of one unit cell; with ``count="cells"``, a
unit cell larger than the cell), as ArcSDM stops; the train stage says so first, naming
the cells, and counts a record repeating another exactly once.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from numbers import Integral
from typing import Any, ClassVar, Literal

import numpy as np
from scipy import stats
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils._param_validation import Interval, InvalidParameterError, Options
from sklearn.utils.validation import check_is_fitted, validate_data

from prospect.errors import ModelError
from prospect.models._validation import check_binary_target, check_weights
from prospect.models.woe_tables import (
    binary_weights,
    categorical_weights,
    check_evidence,
    cumulative_weights,
    group_codes,
)

__all__ = [
    "WeightsOfEvidenceClassifier",
    "binary_weights",
    "categorical_weights",
    "cumulative_weights",
    "holm_adjusted",
    "pairwise_summary",
]


def _evidence(kind: str, *, threshold: float = math.nan, classes: Any = (), weights: Any = (),
              variances: Any = (), defined: Any = (), table: list[dict[str, Any]] | None = None,
              **extra: Any) -> dict[str, Any]:
    """The fitted weights of one column, as plain data (safe to save with skops).

    ``weights`` and ``variances`` are what the posterior uses: 0 where ``defined`` is false.
    """
    return {"kind": kind, "threshold": float(threshold),
            "classes": np.asarray(classes, "f8"), "weights": np.asarray(weights, "f8"),
            "variances": np.asarray(variances, "f8"), "defined": np.asarray(defined, bool),
            "table": list(table or []), **extra}


def _applied(weight: float, sd: float, defined: bool) -> tuple[float, float]:
    """Weight and variance entering the posterior: both 0 for an undefined weight."""
    return (weight, sd * sd) if defined else (0.0, 0.0)


def _as_gaps(X: np.ndarray) -> np.ndarray:
    """``X`` with its infinities as NaN: no evidence, as everywhere else in Prospect."""
    inf = np.isinf(X)
    return np.where(inf, np.nan, X) if inf.any() else X


def _evidence_rows(model: BaseEstimator, X: Any, y: Any = "no_validation") -> Any:
    """``X`` (and ``y``) checked as scikit-learn checks them, with a cell holding an
    infinity taken as a gap (NaN).

    Prospect takes a non-finite value as no data everywhere (the training rows' gaps,
    :func:`~prospect.models.predict.predict_block`'s cells to score), and weights of
    evidence weighs a gap as missing evidence; but an infinity (a band ratio over a zero
    band, a layer from another tool) reached scikit-learn's check, which refuses it: a
    train stopped in a traceback ("Input X contains infinity"), and ``model score`` of a
    cube holding one infinite cell wrote nothing, where other estimators leave such cells
    unscored. ``y`` left out: rows to score (``X`` alone is returned); ``fit``'s ``y`` of
    ``None`` is scikit-learn's refusal ("requires y to be passed"), where it was
    "too many values to unpack" (an internal error).
    """
    if isinstance(y, str) and y == "no_validation":
        X = validate_data(model, X, reset=False, ensure_all_finite=False, dtype="float64")
        return _as_gaps(X)
    X, y = validate_data(model, X, y, ensure_all_finite=False, dtype="float64")
    return _as_gaps(X), y


CI_MIN_DRAWS = 20
"""The fewest Monte Carlo draws whose p-value ``(1 + k) / (R + 1)`` can fall below 0.05
(``R = 19`` gives 0.05 at best, never below)."""


class WeightsOfEvidenceClassifier(ClassifierMixin, BaseEstimator):
    """Weights-of-evidence prospectivity model (Bonham-Carter, 1994).

    Parameters
    ----------
    categorical_features
        Indices of columns holding class codes; their default type is ``categorical``.
    continuous
        Default type of the other columns: ``descending`` (high values favourable,
        ``x >= t``), ``ascending`` (``x <= t``, e.g. distances) or ``auto`` (the direction
        whose chosen threshold is stronger).
    evidence
        Per-layer settings, feature name (see ``feature_names``) or column index ->
        ``{type, threshold, groups}`` (see :func:`prospect.models.woe_tables.check_evidence`):
        a type per layer, a manual cut-off, or a grouping of classes.
    feature_names
        Names of the columns, for the keys of ``evidence`` and the tables.
    n_thresholds
        Candidate thresholds per continuous column (weighted quantiles of the training
        rows); every one is kept in the cumulative table. At least 2.
    cell_area
        Area of one row's cell (e.g. m^2).
    unit_cell_area
        Area of Bonham-Carter's unit cell in the same units (default: ``cell_area``).
        Areas are counted in unit cells; each deposit occupies one unit cell.
    count
        ``cells``: one deposit per positive row (times its weight); ``points``: the
        ``n_points`` fit argument, every occurrence point counted.
    selection
        Automatic cut-off of a cumulative table: ``max_studentized_contrast`` (default) or
        ``max_contrast`` (the largest contrast among thresholds whose studentized contrast
        reaches ``min_studentized_contrast``; the largest studentized contrast when none
        does). Only thresholds with both weights defined are candidates.
    min_studentized_contrast
        Confidence level for ``significant`` (2 is about 97.5 % one-sided).
    ci_draws
        Draws ``R`` of the Monte Carlo (parametric-bootstrap) conditional-independence test
        in :meth:`conditional_independence` (0: not run; else at least 20, the fewest
        whose p-value can fall below 0.05).
    random_state
        Seed of those draws (the run's seed in the pipeline), so the p-value is reproducible.

    Attributes
    ----------
    prior_logit_
        ``ln[N(D) / (N(T) - N(D))]``.
    n_deposits_, area_total_
        ``N(D)`` and ``N(T)`` (unit cells).
    evidence_
        Per column: kind, threshold or classes, applied weights and variances, which
        weights are ``defined``, the chosen table and (cumulative layers) every table.
    """

    scores_missing_evidence = True
    """A cell where a layer has no data is scored (W = 0 for that layer, its missing-data
    variance in :meth:`predict_proba_std`), as Bonham-Carter (1994) and ArcSDM do; read by
    :func:`prospect.models.predict.scores_missing_evidence`."""

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "n_thresholds": [Interval(Integral, 2, None, closed="left")],
        "ci_draws": [Interval(Integral, CI_MIN_DRAWS, None, closed="left"),
                     Options(Integral, {0})],
    }
    """scikit-learn's parameter rules for the sizes of the fit (the other parameters are
    checked by their types in the config and by :func:`check_evidence`, ``cell_area`` and
    ``unit_cell_area`` by :meth:`fit`). ``n_thresholds: 0`` and ``ci_draws: 3`` passed the
    config: the first left one cut-off, at the least value (the whole area: no weight),
    the second a Monte Carlo p-value that can never fall below 0.05."""

    _parameter_notes: ClassVar[dict[str, str]] = {
        "n_thresholds": (
            "the cut-offs tried on a continuous layer are the n_thresholds + 1 quantiles of "
            "its area, from its least value (a pattern of the whole area) to its greatest "
            "(the cells at the top alone), so 0 or 1 tries no cut-off between them; give a "
            "whole number of at least 2, e.g. 20 (the default)"),
        "ci_draws": (
            "the Monte Carlo p-value of the conditional-independence test is at least "
            "1 / (ci_draws + 1), so with 1 to 19 draws it can never fall below 0.05 and the "
            "card would say 'CI not rejected at 5 %' whatever the layers; give 0 (no Monte "
            f"Carlo test) or a whole number of at least {CI_MIN_DRAWS}, e.g. 999 (the "
            "default)"),
    }
    """Why each rule of :attr:`_parameter_constraints` holds, said with its refusal."""

    def __init__(
        self, *, categorical_features: list[int] | None = None,
        continuous: Literal["auto", "ascending", "descending"] = "auto",
        evidence: dict[Any, dict[str, Any]] | None = None,
        feature_names: list[str] | None = None,
        n_thresholds: int = 20, cell_area: float = 1.0, unit_cell_area: float | None = None,
        count: Literal["cells", "points"] = "cells",
        selection: Literal["max_contrast", "max_studentized_contrast"] =
        "max_studentized_contrast",
        min_studentized_contrast: float = 2.0,
        ci_draws: int = 999, random_state: int | None = None,
    ) -> None:
        self.categorical_features = categorical_features
        self.continuous = continuous
        self.evidence = evidence
        self.feature_names = feature_names
        self.n_thresholds = n_thresholds
        self.cell_area = cell_area
        self.unit_cell_area = unit_cell_area
        self.count = count
        self.selection = selection
        self.min_studentized_contrast = min_studentized_contrast
        self.ci_draws = ci_draws
        self.random_state = random_state

    def _validate_params(self) -> None:
        """scikit-learn's check of :attr:`_parameter_constraints`, its refusal said as
        ``key = value: why; what to give`` (:attr:`_parameter_notes`).

        Raises
        ------
        sklearn.utils._param_validation.InvalidParameterError
            A ``ValueError``, naming the parameter and its value.
        """
        try:
            super()._validate_params()
        except InvalidParameterError as exc:
            found = re.match(r"The '(\w+)' parameter", str(exc))
            key = found.group(1) if found else ""
            if key not in self._parameter_notes:
                raise
            raise InvalidParameterError(
                f"{key} = {getattr(self, key)!r}: {self._parameter_notes[key]}") from None

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.classifier_tags.multi_class = False
        return tags

    # -- fitting -------------------------------------------------------------------
    def _names(self, n: int) -> list[str]:
        names = list(self.feature_names or [])
        return names if len(names) == n else [f"x{j}" for j in range(n)]

    def _deposits(self, y: np.ndarray, w: np.ndarray, n_points: Any) -> np.ndarray:
        pos = (y == self.classes_[1]).astype("f8")
        if self.count == "points" and n_points is None:
            raise ValueError("count='points' needs n_points (occurrence points per row)")
        if self.count == "points":
            n = np.asarray(n_points, "f8").ravel()
            if n.shape != y.shape or not np.all(np.isfinite(n)) or (n < 0).any():
                raise ValueError("n_points must give a non-negative count for every row")
            return pos * n
        if self.count not in ("cells", "points"):
            raise ValueError(f"count must be 'cells' or 'points', not {self.count!r}")
        return pos * w

    def _check_unit_cells(self, deposits: np.ndarray, area: np.ndarray) -> None:
        """Refuse rows holding more deposits than unit cells.

        Bonham-Carter (1994, ch. 9) divides the study area into unit cells, each a deposit
        cell or not: a deposit occupies one unit cell, so a row of ``a`` unit cells holds
        at most ``a`` deposits. More (two points in a cell of one unit cell, or a positive
        cell smaller than a unit cell) made ``N(B & ~D) = N(B) - N(B & D)`` negative for
        every pattern holding the row: its weights came out undefined or off, without a
        word. ArcSDM stops likewise ("more than one training point per unit cell").
        """
        tol = 1e-9 * np.maximum(1.0, area)
        over = np.flatnonzero(deposits > area + tol)
        if not over.size:
            return
        i = int(over[np.argmax(deposits[over] / np.maximum(area[over], 1e-300))])
        cell_area, unit = self.cell_area, self.unit_cell_area or self.cell_area
        if self.count == "cells":
            fix = (f"give unit_cell_area at most the cell area {cell_area:g} (a positive cell "
                   "is one deposit and must hold a whole unit cell), or leave it at the "
                   "default (the cell)")
        else:
            most = unit * float(np.min(area[over] / deposits[over]))
            fix = (f"give unit_cell_area at most {most:g} so that each point has its own "
                   "unit cell, or count='cells' (one deposit per positive cell)")
        raise ModelError(
            f"weights of evidence puts each deposit in its own unit cell (Bonham-Carter "
            f"1994), but {over.size} row(s) hold more deposits than unit cells (row {i}: "
            f"{deposits[i]:g} deposit(s) in {area[i]:g} unit cell(s) of {unit:g}, "
            f"count={self.count!r}); {fix}")

    def fit(self, X: Any, y: Any, sample_weight: Any = None,
            n_points: Any = None) -> WeightsOfEvidenceClassifier:
        """Compute the weights of every column from cells ``X`` and deposit labels ``y``.

        Parameters
        ----------
        X, y
            Evidence per cell, and 1 for cells holding occurrences.
        sample_weight
            Cells each row stands for (area).
        n_points
            Occurrence points in each row's cell (used with ``count="points"``).
        """
        self._validate_params()
        X, y = _evidence_rows(self, X, y)
        self.classes_ = check_binary_target(y)
        w = check_weights(sample_weight, X)
        for key in ("cell_area", "unit_cell_area"):
            value = getattr(self, key)
            if value is not None and not (isinstance(value, int | float)
                                          and not isinstance(value, bool)
                                          and math.isfinite(value) and value > 0):
                # 0 was taken as no value (the cell) and a negative area gave negative
                # counts: an area is a positive number
                raise ValueError(f"{key} = {value!r}: an area, a positive number")
        scale = self.cell_area / (self.unit_cell_area or self.cell_area)
        area = w * scale
        deposits = self._deposits(y, w, n_points)
        self._check_unit_cells(deposits, area)
        self.area_total_ = float(area.sum())
        self.n_deposits_ = float(deposits.sum())
        if self.n_deposits_ <= 0 or self.area_total_ <= self.n_deposits_:
            raise ModelError(
                "weights of evidence needs both classes with positive weight (deposits, and "
                f"more unit cells than deposits); got {self.n_deposits_} deposits in "
                f"{self.area_total_} unit cells"
            )
        self.prior_logit_ = math.log(self.n_deposits_ / (self.area_total_ - self.n_deposits_))
        categorical = list(self.categorical_features or [])
        specs = check_evidence(self.evidence, feature_names=self._names(X.shape[1]),
                               categorical=categorical)
        self.evidence_ = []
        for j in range(X.shape[1]):
            default = "categorical" if j in categorical else self.continuous
            spec = specs.get(j, {"type": default, "threshold": None, "groups": None})
            self.evidence_.append(self._fit_column(X[:, j], deposits, area, spec))
        return self

    def _fit_column(self, x: np.ndarray, deposits: np.ndarray, area: np.ndarray,
                    spec: Mapping[str, Any]) -> dict[str, Any]:
        if spec["type"] == "categorical":
            groups = spec.get("groups")
            codes = group_codes(x, groups) if groups else x
            table = categorical_weights(codes, deposits, area,
                                        **_known_totals(codes, deposits, area))
            if groups:
                labels = [*groups, "other"]
                for r in table:
                    r["group"] = labels[int(r["class"]) - 1]
            applied = [_applied(r["w_plus"], r["s_w_plus"], r["defined_plus"]) for r in table]
            known = np.isfinite(x)
            empty = [str(g) for g, members in (groups or {}).items()
                     if not np.isin(x[known], np.asarray(list(members), "f8")).any()]
            found: dict[str, Any] = {
                "empty_groups": empty,
                "codes_seen": [float(c) for c in np.unique(x[known])[:50]]} if empty else {}
            return _evidence(
                kind="categorical", classes=[r["class"] for r in table],
                weights=[a[0] for a in applied], variances=[a[1] for a in applied],
                defined=[r["defined_plus"] for r in table], table=table,
                groups=dict(groups) if groups else None, **found,
            )
        finite = np.isfinite(x)
        if not finite.any():
            return _evidence(kind="empty", weights=np.zeros(2), variances=np.zeros(2),
                             defined=[False, False])
        thresholds = _weighted_quantiles(x[finite], area[finite],
                                         np.linspace(0, 1, self.n_thresholds + 1))
        manual = spec.get("threshold")
        if manual is not None:
            thresholds = np.unique(np.append(thresholds, manual))
        directions: list[Literal["ascending", "descending"]] = (
            ["ascending", "descending"] if spec["type"] == "auto" else [spec["type"]]
        )
        kw = _known_totals(x, deposits, area)
        tables = {d: cumulative_weights(x, deposits, area, direction=d, thresholds=thresholds,
                                        **kw) for d in directions}
        best: tuple[tuple[bool, float], Literal["ascending", "descending"], int] | None = None
        for direction, table in tables.items():
            if manual is not None:
                k = int(np.flatnonzero(thresholds == manual)[0])
            else:
                k = self._select(table)
            row = table[k]
            significant = bool(row["defined"] and
                               row["studentized_contrast"] >= self.min_studentized_contrast)
            key = "contrast" if self.selection == "max_contrast" and significant \
                else "studentized_contrast"
            score = (significant, row[key] if row["defined"] else -math.inf)
            if best is None or score > best[0]:
                best = (score, direction, k)
        assert best is not None
        _, direction, k = best
        row = tables[direction][k]
        usable = row["defined"] or manual is not None  # else: no threshold is defined
        d_plus, d_minus = usable and row["defined_plus"], usable and row["defined_minus"]
        plus = _applied(row["w_plus"], row["s_w_plus"], d_plus)
        minus = _applied(row["w_minus"], row["s_w_minus"], d_minus)
        return _evidence(
            direction, threshold=row["threshold"] if usable else math.nan,
            weights=[plus[0], minus[0]], variances=[plus[1], minus[1]],
            defined=[d_plus, d_minus], table=tables[direction],
            tables=tables, chosen=k,
            significant=bool(row["defined"] and
                             row["studentized_contrast"] >= self.min_studentized_contrast),
            selection="manual" if manual is not None else self.selection,
            value_range=[float(np.min(x[finite])), float(np.max(x[finite]))],
            area_known=float(kw["area_total"]),
        )

    def _select(self, table: list[dict[str, Any]]) -> int:
        """Row of the automatic cut-off; only thresholds with both weights defined count.

        When no threshold has both weights defined, the first row is returned (its
        weights are undefined and so excluded from the posterior).
        """
        defined = np.array([bool(r["defined"]) for r in table])
        if not defined.any():
            return 0
        sc = np.where(defined, [r["studentized_contrast"] for r in table], -np.inf)
        if self.selection == "max_studentized_contrast":
            return int(np.argmax(sc))
        if self.selection != "max_contrast":
            raise ValueError(f"selection {self.selection!r}: choose max_studentized_contrast "
                             "or max_contrast")
        ok = sc >= self.min_studentized_contrast
        if ok.any():
            c = np.array([r["contrast"] for r in table])
            return int(np.argmax(np.where(ok, c, -np.inf)))
        return int(np.argmax(sc))

    # -- prediction ----------------------------------------------------------------
    def _states(self, X: np.ndarray) -> np.ndarray:
        """Which weight of each layer applies per row: class index, 0 inside / 1 outside a
        cumulative pattern, or -1 (missing evidence, unknown class: no weight)."""
        out = np.full(X.shape, -1, dtype="i8")
        for j, ev in enumerate(self.evidence_):
            x = X[:, j]
            if ev["kind"] == "categorical":
                classes = ev["classes"]
                if not classes.size:
                    continue
                groups = ev.get("groups")
                codes = group_codes(x, groups) if groups else x
                idx = np.clip(np.searchsorted(classes, codes), 0, classes.size - 1)
                known = np.isfinite(codes) & (classes[idx] == codes)
                out[known, j] = idx[known]
            elif ev["kind"] in ("ascending", "descending"):
                finite = np.isfinite(x)
                inside = _in_pattern(x, ev)
                out[finite & inside, j] = 0
                out[finite & ~inside, j] = 1
        return out

    def _weights(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Sum of the applied weights and of their variances per row."""
        states = self._states(X)
        total = np.zeros(X.shape[0])
        var = np.zeros(X.shape[0])
        for j, ev in enumerate(self.evidence_):
            s = states[:, j]
            has = s >= 0
            if ev["weights"].size:
                total[has] += ev["weights"][s[has]]
                var[has] += ev["variances"][s[has]]
        return total, var

    def posterior_logit(self, X: Any) -> np.ndarray:
        """Posterior logit: prior logit plus the weights that apply in each row."""
        check_is_fitted(self)
        X = _evidence_rows(self, X)
        total, _ = self._weights(X)
        return self.prior_logit_ + total

    def decision_function(self, X: Any) -> np.ndarray:
        """The posterior logit (monotone in the posterior probability)."""
        return self.posterior_logit(X)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Posterior probability of a deposit (column 1) and its complement (column 0)."""
        p = _expit(self.posterior_logit(X))
        return np.column_stack([1.0 - p, p])

    def predict_proba_std(self, X: Any) -> np.ndarray:
        """Standard deviation of the posterior probability: the weights and the missing data.

        Bonham-Carter's (1994) ``s2(P) = [1/N(D) + sum s²(W)] P²`` (the variance due to the
        weights, an approximation for small P: odds about P) plus the variance due to
        missing evidence (:meth:`missing_data_variance`, 0 where every layer has
        evidence), as ArcSDM's total standard deviation; bounded by ``sqrt(P (1 - P))``,
        the largest standard deviation any quantity in 0..1 with mean P can have: with
        many correlated layers and P near 1 the approximation exceeded 1.
        """
        check_is_fitted(self)
        X = _evidence_rows(self, X)
        total, var = self._weights(X)
        logit = self.prior_logit_ + total
        p = _expit(logit)
        var_p = (1.0 / self.n_deposits_ + var) * p**2 + self.missing_data_variance(X, logit)
        return np.minimum(np.sqrt(var_p), np.sqrt(p * (1.0 - p)))

    def missing_data_variance(self, X: Any, logit: np.ndarray | None = None) -> np.ndarray:
        """Variance of the posterior probability due to missing evidence, per row.

        Agterberg, Bonham-Carter & Wright (1990); Bonham-Carter (1994, ch. 9), as ArcSDM's
        Calculate Response adds it to the variance due to the weights: a layer without
        evidence in a cell weighs 0, but the cell lies in one of the layer's patterns,
        each with the probability of its share of the area where the layer is known, so

        ``s2_md(P) = sum_j sum_s P(s_j) [P(D | s_j) - P]^2``

        over the layers ``j`` missing in the row and their states ``s`` (inside or outside
        the pattern of a cumulative layer, each class of a categorical one), with
        ``P(D | s_j)`` the posterior with that state's weight added. A class the layer did
        not hold at training (no weight) counts as missing evidence too. Undefined
        weights (0) add nothing. 0 in rows where every layer has evidence.

        Parameters
        ----------
        X
            Evidence per row.
        logit
            The rows' posterior logits, when already computed.
        """
        check_is_fitted(self)
        X = _as_gaps(np.asarray(X, dtype="float64"))
        states = self._states(X)
        if logit is None:
            logit = self.prior_logit_ + self._weights(X)[0]
        p = _expit(logit)
        out = np.zeros(X.shape[0])
        for j, ev in enumerate(self.evidence_):
            missing = states[:, j] < 0
            shares = _state_shares(ev)
            if shares is None or not missing.any():
                continue
            lm = logit[missing]
            for share, weight in zip(shares, ev["weights"], strict=True):
                if share > 0 and weight != 0:
                    out[missing] += share * (_expit(lm + weight) - p[missing]) ** 2
        return out

    def predict(self, X: Any) -> np.ndarray:
        """Class with the larger posterior probability."""
        proba = self.predict_proba(X)
        return self.classes_[(proba[:, 1] > 0.5).astype(int)]

    # -- reporting -----------------------------------------------------------------
    def layers_left_out(self, feature_names: list[str] | None = None) -> list[str]:
        """Names of the layers none of whose weights is defined, which add nothing to the
        posterior: a cumulative layer without a cut-off leaving deposits and area on both
        sides (every deposit inside its pattern, say), a layer without data."""
        check_is_fitted(self)
        names = list(feature_names) if feature_names is not None else \
            self._names(len(self.evidence_))
        return [names[j] for j, ev in enumerate(self.evidence_)
                if not np.asarray(ev["defined"], bool).any()]

    def layers_without_evidence(self, feature_names: list[str] | None = None
                                ) -> list[dict[str, Any]]:
        """Layers left out for a reason no type, cut-off or grouping can change: no data at
        any training cell, every deposit on the layer's gaps (nodata), or one value at
        every cell where it has data.

        Each weight is counted over the cells where its layer has data (Bonham-Carter
        1994, ch. 9; :func:`_known_totals`). A layer holding no deposit there has
        ``N(D) = 0``, and a layer of one value has no pattern but the whole area: neither
        can have a defined weight. A survey that covers none of the known occurrences (a
        new block over unexplored ground, a layer clipped to another extent) was told to
        "set model.params.evidence.<layer>.type ... or .threshold", which cannot help.
        Returns, per such layer, its name, ``reason`` (``no_data``, ``no_deposit`` or
        ``one_value``), the unit cells where it has data (``area_known``) and, for
        ``one_value``, the ``value``.
        """
        check_is_fitted(self)
        names = list(feature_names) if feature_names is not None else \
            self._names(len(self.evidence_))
        tol = max(1e-9, 1e-12 * abs(float(getattr(self, "area_total_", 0.0))))
        out = []
        for name, ev in zip(names, self.evidence_, strict=True):
            if np.asarray(ev["defined"], bool).any():
                continue
            table = list(ev.get("table") or [])
            value = math.nan
            if ev["kind"] == "categorical":
                area = float(sum(r["area"] for r in table))
                deposits = float(sum(r["deposits"] for r in table))
                if len(table) == 1 and not ev.get("groups"):
                    value = float(table[0]["class"])
            elif ev["kind"] in ("ascending", "descending"):
                # the pattern at the last (ascending) or first (descending) cut-off is
                # every cell with data: the layer's own N(T) and N(D)
                area = float(ev.get("area_known", max((r["area"] for r in table),
                                                      default=0.0)))
                deposits = float(max((r["deposits"] for r in table), default=0.0))
                low, high = ev.get("value_range", (math.nan, math.nan))
                if low == high:
                    value = float(low)
            else:  # "empty": no data at any training cell
                area, deposits = 0.0, 0.0
            if not area > tol:
                reason = "no_data"
            elif deposits <= tol:
                reason = "no_deposit"
            elif math.isfinite(value):
                reason = "one_value"
            else:
                continue
            found: dict[str, Any] = {"feature": name, "reason": reason, "area_known": area}
            if reason == "one_value":
                found["value"] = value
            out.append(found)
        return out

    def empty_groups(self, feature_names: list[str] | None = None) -> list[dict[str, Any]]:
        """Categorical layers with a group (``evidence.<layer>.groups``) none of whose
        class codes the layer holds at the training cells: codes from another legend
        (the source file's own codes, where the cube numbers the classes itself), so the
        group weighs nothing and its classes are "other". Returns per such layer its
        name, the empty groups with their codes, and the codes the layer holds (the
        first 50)."""
        check_is_fitted(self)
        names = list(feature_names) if feature_names is not None else \
            self._names(len(self.evidence_))
        out = []
        for name, ev in zip(names, self.evidence_, strict=True):
            if ev.get("empty_groups"):
                groups = ev.get("groups") or {}
                out.append({"feature": name,
                            "groups": {g: list(groups.get(g, [])) for g in ev["empty_groups"]},
                            "codes": list(ev.get("codes_seen", []))})
        return out

    def thresholds_outside(self, feature_names: list[str] | None = None
                           ) -> list[dict[str, Any]]:
        """Layers whose manual cut-off (``evidence.<layer>.threshold``) leaves every cell
        with evidence on one side of the pattern: the pattern is empty or the whole area,
        neither weight is defined and the layer adds nothing to the posterior.

        Such a threshold was mostly written in other units than the layer's (a grade in
        percent on a layer of fractions, metres on kilometres); the generic "no cut-off
        leaves deposits and area on both sides" line said to set the very threshold that
        was set. Returns per such layer its name, kind (direction), threshold, the range
        of its values at the training cells and whether the pattern is ``empty`` or
        ``whole``.
        """
        check_is_fitted(self)
        names = list(feature_names) if feature_names is not None else \
            self._names(len(self.evidence_))
        out = []
        for name, ev in zip(names, self.evidence_, strict=True):
            if ev.get("selection") != "manual" or "value_range" not in ev:
                continue
            area = float(ev["table"][ev["chosen"]]["area"])
            known = float(ev.get("area_known", math.nan))
            tol = max(1e-9, 1e-12 * abs(known))
            if area <= tol or abs(known - area) <= tol:
                out.append({"feature": name, "kind": ev["kind"],
                            "threshold": float(ev["threshold"]),
                            "low": float(ev["value_range"][0]),
                            "high": float(ev["value_range"][1]),
                            "pattern": "empty" if area <= tol else "whole"})
        return out

    def _categorical_tables(self, feature_names: list[str] | None
                            ) -> Iterator[tuple[str, list[dict[str, Any]], str]]:
        """Each categorical layer's name, weights table and the key its rows are labelled
        by (``group`` where classes were grouped, else ``class``)."""
        check_is_fitted(self)
        names = feature_names or self._names(len(self.evidence_))
        for name, ev in zip(names, self.evidence_, strict=True):
            if ev["kind"] == "categorical":
                yield name, ev["table"], "group" if ev.get("groups") else "class"

    def barren_classes(self, feature_names: list[str] | None = None) -> list[dict[str, Any]]:
        """Categorical classes without a deposit that outrank classes holding deposits.

        A class holding no deposit has ``W+ = ln 0``: undefined, it weighs 0 (the prior;
        Bonham-Carter 1994, ArcSDM's weights tables), so its cells score above those of a
        class whose deposits are fewer than its area predicts (``W+ < 0``). ArcSDM then
        generalizes the classes of low confidence into one; here the user groups them
        (``evidence.<layer>.groups``). Returns, per layer where this happens, the barren
        classes, their area (unit cells) and the classes they outrank with their ``W+``.
        """
        out = []
        for name, table, key in self._categorical_tables(feature_names):
            barren = [r for r in table if not r["defined_plus"] and r["deposits"] <= 0
                      and r["area"] > 0]
            below = [r for r in table if r["defined_plus"] and r["w_plus"] < 0]
            if barren and below:
                out.append({
                    "feature": name, "classes": [r.get(key, r["class"]) for r in barren],
                    "area": float(sum(r["area"] for r in barren)),
                    "outranks": [{"class": r.get(key, r["class"]),
                                  "w_plus": float(r["w_plus"]),
                                  "deposits": float(r["deposits"])} for r in below]})
        return out

    def saturated_classes(self, feature_names: list[str] | None = None
                          ) -> list[dict[str, Any]]:
        """Categorical classes every unit cell of which holds a deposit.

        Such a class has ``N(B & ~D) = 0``: its ``W+ = ln[P(B|D) / 0]`` is infinite, the
        strongest evidence a class can give, but undefined by the convention of
        :mod:`~prospect.models.woe_tables` it weighs 0 (the prior), so its cells scored
        below those of every class with a positive weight -- a small mapped unit holding
        mines ranked under a large one holding a few, without a word. Returns, per layer
        where this happens, the classes, their area and deposits (unit cells) and the
        classes with a defined positive ``W+`` that outrank them.
        """
        out = []
        for name, table, key in self._categorical_tables(feature_names):
            full = [r for r in table if not r["defined_plus"] and r["deposits"] > 0
                    and r["area"] - r["deposits"] <= 1e-9 * max(1.0, r["area"])]
            if full:
                above = [r for r in table if r["defined_plus"] and r["w_plus"] > 0]
                out.append({
                    "feature": name, "classes": [r.get(key, r["class"]) for r in full],
                    "area": float(sum(r["area"] for r in full)),
                    "deposits": float(sum(r["deposits"] for r in full)),
                    "outranked_by": [{"class": r.get(key, r["class"]),
                                      "w_plus": float(r["w_plus"]),
                                      "deposits": float(r["deposits"])} for r in above]})
        return out

    def weights_table(self, feature_names: list[str] | None = None) -> list[dict[str, Any]]:
        """The weights in use per layer: one row per class, or the chosen threshold's row.

        Every row carries ``defined`` (``defined_plus``/``defined_minus``): an undefined
        weight is reported as missing and contributes nothing to the posterior.
        """
        check_is_fitted(self)
        names = feature_names or self._names(len(self.evidence_))
        out: list[dict[str, Any]] = []
        for name, ev in zip(names, self.evidence_, strict=True):
            if ev["kind"] == "categorical":
                out += [{"feature": name, "kind": ev["kind"], **row,
                         "defined": bool(row["defined_plus"])} for row in ev["table"]]
            elif ev["kind"] in ("ascending", "descending"):
                row = dict(ev["table"][ev["chosen"]])
                if not row["defined"] and ev.get("selection") != "manual":
                    row["threshold"] = math.nan  # no threshold has both weights defined
                out.append({"feature": name, "kind": ev["kind"],
                            "selection": ev.get("selection"),
                            "significant": bool(ev.get("significant", False)), **row})
        return out

    def cumulative_tables(self, feature_names: list[str] | None = None) -> dict[str, Any]:
        """Every threshold tested per cumulative layer and direction, and the chosen one."""
        check_is_fitted(self)
        names = feature_names or self._names(len(self.evidence_))
        return {name: {"kind": ev["kind"], "chosen_threshold": ev["threshold"],
                       "selection": ev.get("selection"), "tables": ev["tables"]}
                for name, ev in zip(names, self.evidence_, strict=True)
                if ev["kind"] in ("ascending", "descending")}

    def conditional_independence(
        self, X: Any, y: Any, sample_weight: Any = None, n_points: Any = None,
    ) -> dict[str, Any]:
        """Checks of conditional independence (Bonham-Carter, 1994; Agterberg & Cheng, 2002).

        ``X``, ``y``, ``sample_weight`` and ``n_points`` are the data the model was fitted
        on (the Monte Carlo test refits the weights from them).

        * ``ratio``: observed deposits ``n`` over predicted ``T = sum(P * area)`` (values
          below about 0.85 suggest a violation).
        * The published Agterberg-Cheng (2002) test: ``T`` sums ``A_k P_k`` over the
          *unique combinations* ``k`` of evidence (each with area ``A_k`` in unit cells and
          one posterior ``P_k``), and its variance ``s2(T) = sum A_k^2 s2(P_k)``, with
          ``s2(P_k)`` the posterior's total variance as the uncertainty map's (that due to
          the weights, plus the missing-data variance where a layer has no evidence, as
          ArcSDM's test reads Calculate Response's total standard deviation);
          ``z = (T - n) / s(T)`` with the one-sided p-value (``agterberg_cheng_z``,
          ``agterberg_cheng_p``), as ArcSDM computes them. This test is conservative:
          ``T`` is fitted on the same deposits as ``n``, so under CI ``T - n`` varies far
          less than ``s(T)`` and its 5 % test rejects in about 0 % of simulated areas
          (``docs/models.md``).
        * The calibrated test of the same statistic (``agterberg_cheng_mc_p``): a Monte
          Carlo (parametric-bootstrap) p-value of ``z`` under the fitted CI model. Each of
          ``ci_draws`` draws places the ``n`` deposits (points with ``count="points"``) and
          the ``N(T) - n`` other unit cells in the combinations of the layers' states,
          multinomially (the other cells by the multinomial's normal approximation), with
          the states of each layer drawn independently from their shares among the
          deposits (``P(state | D)``) or the rest of the area (``P(state | ~D)``) -- the
          model's own assumption. The prior and the weights are refitted from each
          draw as :meth:`fit` computes them (same evidence types; the fitted thresholds,
          directions and class groupings kept fixed; undefined weights 0), giving
          ``z_r = (T_r - n_r) / s(T_r)``, and ``p = (1 + #{z_r >= z}) / (R + 1)``, seeded
          by ``random_state``. ``ci_rejected_at_5pct`` is ``p < 0.05`` of this test (None
          when it was not run); ``agterberg_cheng_mc_z_sd`` is the spread of the simulated
          ``z`` (about 0.1-0.3 where the published test assumes 1).
        * ``pairwise``: per pair of layers (categorical ones too), the contingency table of
          their states over the deposits, tested by chi-square where its expected counts
          allow it and by Fisher's exact test where a 2 x 2 table's do not
          (:meth:`_pairwise`), each named by its features, with its own p-value and
          5 % verdict as published and Holm's family-wise adjusted p-value over the pairs
          whose test holds (``p_holm``, ``rejected_at_5pct_holm``; :func:`holm_adjusted`);
          ``pairwise_summary`` counts them. With many layers some pairs reject at 5 % by
          chance alone; the Holm verdict controls that.
        """
        check_is_fitted(self)
        X = _evidence_rows(self, X)
        y = np.asarray(y)
        w = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, "f8")
        area = w * self.cell_area / (self.unit_cell_area or self.cell_area)
        deposits = self._deposits(y, w, n_points)
        observed = float(deposits.sum())
        states = self._states(X)
        combos, inverse = _unique_rows(states)
        first = np.zeros(combos.shape[0], dtype="i8")
        first[inverse[::-1]] = np.arange(len(inverse))[::-1]
        total, var = self._weights(X[first])
        logit_k = self.prior_logit_ + total
        p_k = _expit(logit_k)
        # the posterior's total variance, as the map's uncertainty: where a layer has no
        # evidence, its missing-data variance too (0 where every layer is known)
        s2p_k = (1.0 / self.n_deposits_ + var) * p_k**2 + \
            self.missing_data_variance(X[first], logit_k)
        area_k = np.bincount(inverse, weights=area, minlength=combos.shape[0])
        predicted = float((area_k * p_k).sum())
        sd_t = float(math.sqrt(((area_k**2) * s2p_k).sum()))
        z = (predicted - observed) / sd_t if sd_t > 0 else math.nan
        self._validate_params()  # ci_draws: 0, or enough for p < 0.05 to be possible
        draws = int(self.ci_draws)
        mc: dict[str, Any] = {"agterberg_cheng_mc_p": math.nan,
                              "agterberg_cheng_mc_z_sd": math.nan}
        if draws and math.isfinite(z):
            mc = self._monte_carlo(states, area, deposits, z, draws)
        mc_p = mc["agterberg_cheng_mc_p"]
        pairs = self._pairwise(X, deposits)
        return {
            "observed_deposits": observed,
            "predicted_deposits": predicted,
            "ratio": observed / predicted if predicted > 0 else math.nan,
            "t_minus_n": predicted - observed,
            "agterberg_cheng_z": float(z),
            "agterberg_cheng_p": float(stats.norm.sf(z)) if math.isfinite(z) else math.nan,
            "agterberg_cheng_sd": sd_t,
            "n_combinations": int(combos.shape[0]),
            **mc,
            "agterberg_cheng_mc_draws": draws,
            "agterberg_cheng_mc_seed": self.random_state,
            "ci_rejected_at_5pct": bool(mc_p < 0.05) if math.isfinite(mc_p) else None,
            "pairwise": pairs,
            "pairwise_summary": pairwise_summary(pairs),
        }

    def _monte_carlo(self, states: np.ndarray, area: np.ndarray, deposits: np.ndarray,
                     statistic: float, draws: int) -> dict[str, Any]:
        """Monte Carlo p-value of the Agterberg-Cheng ``z`` under the fitted CI model.

        The null model is the one weights of evidence assumes: ``n`` deposits (as observed)
        and ``N(T) - n`` unit cells without deposit, each with its layers' states drawn
        independently, from the state shares among the deposits (``P(state | D)``) or
        among the rest of the area (``P(state | ~D)``). Draws are multinomial counts over
        every combination of the layers' states (draws x combinations, in chunks; the
        cells without deposit by the normal approximation, same mean and covariance); the
        model is refitted from each by sums per pattern.
        """
        layers = [j for j, ev in enumerate(self.evidence_)
                  if ev["kind"] in ("categorical", "ascending", "descending")
                  and ev["weights"].size]
        n = float(deposits.sum())
        rest = float(area.sum()) - n
        levels, p_d, p_nd = [], [], []
        for j in layers:
            shifted = states[:, j] + 1  # -1 (no evidence) -> 0
            dep = np.bincount(shifted, weights=deposits)
            non = np.clip(np.bincount(shifted, weights=area, minlength=dep.size) - dep,
                          0.0, None)
            seen = np.flatnonzero(np.bincount(shifted, minlength=dep.size))
            values, dep, non = seen - 1, dep[seen], non[seen]
            levels.append(values)
            p_d.append(dep / dep.sum())
            p_nd.append(non / non.sum() if non.sum() > 0 else non)
        size = math.prod(v.size for v in levels)
        if size > _MC_MAX_COMBINATIONS:
            return {"agterberg_cheng_mc_p": math.nan, "agterberg_cheng_mc_z_sd": math.nan,
                    "agterberg_cheng_mc_note": f"not run: {size} combinations of the layers' "
                    f"states (more than {_MC_MAX_COMBINATIONS})"}
        grid = np.indices([v.size for v in levels]).reshape(len(levels), -1).T  # K x m
        combos = np.full((grid.shape[0], len(self.evidence_)), -1, dtype="i8")
        q_d, q_nd = np.ones(grid.shape[0]), np.ones(grid.shape[0])
        for i, j in enumerate(layers):
            combos[:, j] = levels[i][grid[:, i]]
            q_d *= p_d[i][grid[:, i]]
            q_nd *= p_nd[i][grid[:, i]]
        n_int, rest_int = round(n), round(rest)
        rng = np.random.default_rng(self.random_state)
        chunk = max(1, min(draws, 2_000_000 // max(1, combos.shape[0])))
        sims = []
        for start in range(0, draws, chunk):
            r = min(chunk, draws - start)
            d = _multinomial(rng, n_int, q_d / q_d.sum(), r)
            a = d + _multinomial_normal(rng, rest_int, q_nd / q_nd.sum(), r)
            t, n_r, sd_r = self._refit_predicted(combos, a, d)
            with np.errstate(divide="ignore", invalid="ignore"):
                sims.append(np.where(sd_r > 0, (t - n_r) / sd_r, 0.0))
        sim = np.concatenate(sims)
        exceed = int(np.sum(sim >= statistic - 1e-9 * max(1.0, abs(statistic))))
        return {"agterberg_cheng_mc_p": (1 + exceed) / (draws + 1),
                "agterberg_cheng_mc_z_sd": float(np.std(sim))}

    def _refit_predicted(self, combos: np.ndarray, area_k: np.ndarray, d: np.ndarray
                         ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``T``, ``n`` and ``s(T)`` of the model refitted to deposits ``d`` and areas ``area_k``
        (draws x combinations of the states in ``combos``; ``area_k`` may be one row).

        Mirrors :meth:`fit` from sums per pattern: the prior from ``n``, per layer the
        weights of its fitted patterns (classes, or inside / outside the fitted threshold),
        over the area and deposits where the layer has evidence (:func:`_known_totals`), a weight
        applied only where defined (a cumulative layer's pair only where both are, unless
        its threshold is manual), and ``s2(P)`` with the missing-data variance of the
        combinations without a layer (the draw's own weights and pattern shares), as the
        observed ``s(T)``. Sums per pattern and per combination are products with the
        combinations x patterns membership matrix.
        """
        layout: list[tuple[dict[str, Any], int, int]] = []
        member: list[np.ndarray] = []
        for j, ev in enumerate(self.evidence_):
            size = ev["weights"].size
            if ev["kind"] in ("categorical", "ascending", "descending") and size:
                layout.append((ev, sum(m.shape[1] for m in member), size))
                member.append(combos[:, j, None] == np.arange(size)[None, :])
        m = np.concatenate(member, axis=1).astype("f8") if member else \
            np.zeros((combos.shape[0], 0))  # K x patterns
        area_k = np.broadcast_to(area_k, d.shape)
        n = d.sum(axis=1)
        a_total = area_k.sum(axis=1)
        nd = a_total - n  # N(~D)
        d_in, a_in = d @ m, area_k @ m  # draws x patterns
        wts = np.zeros_like(d_in)
        var = np.zeros_like(d_in)
        with np.errstate(divide="ignore", invalid="ignore"):
            for ev, at, size in layout:
                cols = slice(at, at + size)
                # the layer's own totals: where it has evidence (a state of its patterns)
                known = m[:, cols].sum(axis=1)
                n_j, a_j = d @ known, area_k @ known
                nd_j = a_j - n_j
                if ev["kind"] == "categorical":
                    w, v = _refit_weight(d_in[:, cols], a_in[:, cols] - d_in[:, cols], n_j, nd_j)
                else:
                    plus, v_plus = _refit_weight(d_in[:, at], a_in[:, at] - d_in[:, at], n_j,
                                                 nd_j)
                    out_d = n_j - d_in[:, at]
                    minus, v_minus = _refit_weight(out_d, a_j - a_in[:, at] - out_d, n_j, nd_j)
                    if ev.get("selection") != "manual":  # the pair only when both defined
                        both = np.isfinite(plus) & np.isfinite(minus)
                        plus, minus = np.where(both, plus, np.nan), np.where(both, minus, np.nan)
                    w, v = np.column_stack([plus, minus]), np.column_stack([v_plus, v_minus])
                ok = np.isfinite(w)
                wts[:, cols], var[:, cols] = np.where(ok, w, 0.0), np.where(ok, v, 0.0)
            # prior logit (-inf without deposits: P = 0, T = 0)
            logit = np.log(n / nd)[:, None] + wts @ m.T  # draws x combinations
            p = _expit(logit)
            s2p = (1.0 / np.maximum(n, 1e-300)[:, None] + var @ m.T) * p**2
            for _, at, size in layout:  # missing-data variance, as the observed s(T)'s
                cols = slice(at, at + size)
                missing = m[:, cols].sum(axis=1) == 0  # combinations without the layer
                if not missing.any():
                    continue
                shares = a_in[:, cols] / a_in[:, cols].sum(axis=1, keepdims=True)
                lm, pm = logit[:, missing], p[:, missing]
                for s in range(size):
                    share = np.where(np.isfinite(shares[:, s]), shares[:, s], 0.0)[:, None]
                    s2p[:, missing] += share * (_expit(lm + wts[:, at + s, None]) - pm) ** 2
        t = (p * area_k).sum(axis=1)
        sd = np.sqrt((area_k**2 * s2p).sum(axis=1))
        return t, n, sd

    def _pairwise(self, X: np.ndarray, deposits: np.ndarray) -> list[dict[str, Any]]:
        """Pairwise tests of conditional independence over the deposits (Bonham-Carter
        1994, ch. 9): per pair of layers with a defined weight, the contingency table of
        their states (classes, or inside / outside a cumulative pattern) at the deposits,
        deposits without evidence on either layer left out (missing is not absence).

        The chi-square p-value holds only for expected counts large enough (Cochran 1954:
        none below 1 and at most a fifth below 5; every one at least 5 in a 2 x 2 table).
        A 2 x 2 table with an expected count below 5 is tested with Fisher's exact test
        instead; a larger table is marked not ``valid`` (group its classes).
        """
        states = self._states(X)
        names = self._names(len(self.evidence_))
        layers = [j for j, ev in enumerate(self.evidence_)
                  if ev["kind"] in ("categorical", "ascending", "descending")
                  and np.asarray(ev["defined"], bool).any()]
        has = deposits > 0
        pairs = []
        for i, a in enumerate(layers):
            for b in layers[i + 1:]:
                ok = has & (states[:, a] >= 0) & (states[:, b] >= 0)
                ua, ia = np.unique(states[ok, a], return_inverse=True)
                ub, ib = np.unique(states[ok, b], return_inverse=True)
                table = np.zeros((ua.size, ub.size))
                np.add.at(table, (ia.ravel(), ib.ravel()), deposits[ok])
                pairs.append({"a": a, "b": b, "feature_a": names[a], "feature_b": names[b],
                              "deposits": float(table.sum()),
                              "deposits_without_evidence": float(deposits[has & ~ok].sum()),
                              **_pair_test(table)})
        return holm_adjusted(pairs)


def _pair_test(table: np.ndarray) -> dict[str, Any]:
    """Chi-square (Yates-corrected for 2 x 2) or Fisher's exact test of one table."""
    out: dict[str, Any] = {"table_shape": list(table.shape)}
    if min(table.shape) < 2:
        return {**out, "chi2": math.nan, "p_value": math.nan, "df": 0, "test": None,
                "expected_min": math.nan, "valid": False, "rejected_at_5pct": None,
                "why": "one of the layers has one state at every deposit: nothing to test"}
    chi2, pval, df, expected = stats.chi2_contingency(table, correction=True)
    e_min = float(expected.min())
    out.update(chi2=float(chi2), df=int(df), expected_min=round(e_min, 4))
    if table.shape == (2, 2) and e_min < 5:
        fisher = stats.fisher_exact(np.rint(table).astype("i8"))
        return {**out, "test": "fisher_exact", "p_value": float(fisher.pvalue),
                "chi2_p_value": float(pval), "valid": True,
                "rejected_at_5pct": bool(fisher.pvalue < 0.05),
                "why": f"an expected count of {e_min:.2f} deposits (below 5): the chi-square "
                       "p-value does not hold, Fisher's exact test is used"}
    few = float(np.mean(expected < 5))
    valid = e_min >= 1 and few <= 0.2 and (table.shape != (2, 2) or e_min >= 5)
    out.update(test="chi2", p_value=float(pval), valid=valid,
               rejected_at_5pct=bool(pval < 0.05) if valid else None)
    if not valid:
        from prospect.models.metrics import percent

        out["why"] = (f"{percent(few, 0)} % of the expected counts below 5 (least {e_min:.2f}): "
                      "the chi-square p-value does not hold; group classes "
                      "(evidence.<layer>.groups) or add deposits")
    return out


def holm_adjusted(pairs: list[dict[str, Any]], alpha: float = 0.05) -> list[dict[str, Any]]:
    """``pairs`` with Holm's (1979) step-down adjusted p-value of each valid test.

    The family is the pairs whose test holds (``valid``, a finite ``p_value``): with ``m``
    of them sorted by p-value, ``p_holm(i) = max_{j <= i} min(1, (m - j + 1) p(j))``, and
    a pair is rejected at ``alpha`` family-wise when ``p_holm < alpha``. Each pair keeps
    its own p-value and ``rejected_at_5pct`` as published (Bonham-Carter 1994); pairs
    outside the family get ``p_holm`` None.

    Parameters
    ----------
    pairs
        The pairwise tests (:meth:`WeightsOfEvidenceClassifier.conditional_independence`).
    alpha
        The family-wise error rate (5 %).

    Returns
    -------
    list of dict
        The same pairs with ``p_holm``, ``rejected_at_5pct_holm`` and ``holm_family``
        (``m``) added.
    """
    family = [i for i, p in enumerate(pairs)
              if p.get("valid") and math.isfinite(float(p.get("p_value", math.nan)))]
    m = len(family)
    order = sorted(family, key=lambda i: float(pairs[i]["p_value"]))
    adjusted: dict[int, float] = {}
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * float(pairs[i]["p_value"])))
        adjusted[i] = running
    out = []
    for i, pair in enumerate(pairs):
        p_holm = adjusted.get(i)
        out.append({**pair, "p_holm": p_holm, "holm_family": m,
                    "rejected_at_5pct_holm": None if p_holm is None else bool(p_holm < alpha)})
    return out


def pairwise_summary(pairs: list[dict[str, Any]]) -> dict[str, Any]:
    """Counts over the pairwise tests: tested (valid), rejected each at 5 % on its own
    (as published), and rejected at 5 % family-wise (Holm)."""
    return {
        "pairs": len(pairs),
        "tested": sum(1 for p in pairs if p.get("p_holm") is not None),
        "rejected_at_5pct": sum(1 for p in pairs if p.get("rejected_at_5pct")),
        "rejected_at_5pct_holm": sum(1 for p in pairs if p.get("rejected_at_5pct_holm")),
        "correction": "Holm (1979) step-down over the pairs whose test holds",
    }


#: Most combinations of the layers' states the Monte Carlo CI test draws counts over.
_MC_MAX_COMBINATIONS = 100_000


def _known_totals(x: np.ndarray, deposits: np.ndarray, area: np.ndarray) -> dict[str, float]:
    """``N(T)`` and ``N(D)`` of a layer's weights: the area and deposits where the layer has
    evidence (Bonham-Carter 1994, ch. 9; ArcSDM's Calculate Weights leaves the missing-data
    class out of both totals).

    The weights counted a layer's missing area and the deposits in it outside every
    pattern: W- of a layer missing over half the area was -0.18 where its known area gives
    -0.46, and the posterior summed over the cells (``T``) exceeded the deposits, so the
    Agterberg-Cheng test rejected conditional independence that held. Missing evidence
    weighs 0 in the posterior and adds its own variance (:meth:`WeightsOfEvidenceClassifier.
    missing_data_variance`); the prior stays the whole study area's."""
    known = np.isfinite(x)
    return {"area_total": float(area[known].sum()),
            "deposits_total": float(deposits[known].sum())}


def _state_shares(ev: Mapping[str, Any]) -> np.ndarray | None:
    """Share of the area where a layer is known taken by each of its states, in the order
    of its ``weights`` (classes; inside then outside a cumulative pattern), from the
    fitted tables (models saved before the shares were used carry them too); ``None`` for
    a layer without data."""
    table = ev.get("table") or []
    try:
        if ev["kind"] == "categorical":
            areas = np.array([float(r["area"]) for r in table], "f8")
        elif ev["kind"] in ("ascending", "descending") and table:
            known = max(float(r["area"]) for r in table)  # the widest pattern: every known cell
            at = [r for r in table if r["threshold"] == ev["threshold"]]  # the chosen row
            if not at:
                return None
            inside = float(at[0]["area"])
            areas = np.array([inside, max(known - inside, 0.0)])
        else:
            return None
    except (KeyError, TypeError, ValueError):  # a table without areas: no shares to weigh
        return None
    total = float(areas.sum())
    if areas.size != ev["weights"].size or not total > 0:
        return None
    return areas / total


def _unique_rows(states: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unique rows of small non-negative-or--1 state codes, and each row's index into them
    (as ``np.unique(axis=0)``, by one mixed-radix code per row: far faster on many rows)."""
    radix = states.max(axis=0, initial=-1) + 2
    if states.shape[1] and float(np.prod(radix.astype("f8"))) < 2.0**62:
        stride = np.concatenate([np.cumprod(radix[::-1])[::-1][1:], [1]]).astype("i8")
        codes, inverse = np.unique((states + 1) @ stride, return_inverse=True)
        combos = (codes[:, None] // stride[None, :]) % radix[None, :] - 1
        return combos.astype(states.dtype), inverse.ravel()
    combos, inverse = np.unique(states, axis=0, return_inverse=True)
    return combos, inverse.ravel()


def _in_pattern(x: np.ndarray, ev: dict[str, Any]) -> np.ndarray:
    """Rows inside a cumulative binary pattern (NaN: outside)."""
    with np.errstate(invalid="ignore"):
        if ev["kind"] == "ascending":
            return x <= ev["threshold"]
        return x >= ev["threshold"]


def _weighted_quantiles(x: np.ndarray, w: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Distinct values of ``x`` at the weighted quantiles ``q`` (inverted empirical CDF)."""
    order = np.argsort(x, kind="stable")
    xs, cw = x[order], np.cumsum(w[order])
    if cw[-1] <= 0:
        return np.unique(xs)
    idx = np.searchsorted(cw / cw[-1], q, side="left")
    return np.unique(xs[np.clip(idx, 0, xs.size - 1)])


def _refit_weight(n_bd: np.ndarray, n_bnd: np.ndarray, n_d: np.ndarray, n_nd: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
    """W = ln[(N(B&D)/N(D)) / (N(B&~D)/N(~D))] and s2(W) = 1/N(B&D) + 1/N(B&~D) per draw
    (rows), NaN where undefined (as :func:`prospect.models.woe_tables.binary_weights`);
    ``n_d``, ``n_nd`` per draw."""
    shape = (-1,) + (1,) * (n_bd.ndim - 1)  # one N(D), N(~D) per draw
    n_d, n_nd = n_d.reshape(shape), n_nd.reshape(shape)
    # counts are differences of float area sums: within rounding of 0 is 0 (as there)
    tol = np.maximum(1e-9, 1e-12 * np.abs(n_d + n_nd))
    # and area outside the pattern: a pattern that is the whole area is no evidence
    ok = (n_bd > tol) & (n_bnd > tol) & (n_nd > tol) & ((n_d - n_bd) + (n_nd - n_bnd) > tol)
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.log((n_bd / n_d) / (n_bnd / n_nd))
        v = 1.0 / n_bd + 1.0 / n_bnd
    return np.where(ok, w, np.nan), np.where(ok, v, np.nan)


def _multinomial(rng: np.random.Generator, n: int, q: np.ndarray, draws: int) -> np.ndarray:
    """``draws`` multinomial counts of ``n`` items over ``q`` (draws x K): ``n`` categorical
    draws per row, counted (fast for few items over many categories)."""
    items = rng.choice(q.size, size=(draws, n), p=q)
    items += (np.arange(draws) * q.size)[:, None]
    return np.bincount(items.ravel(), minlength=draws * q.size).reshape(draws, q.size) \
        .astype("f8")


def _multinomial_normal(rng: np.random.Generator, n: int, q: np.ndarray, draws: int
                        ) -> np.ndarray:
    """Counts of ``n`` items over ``q`` by the normal approximation of the multinomial:
    mean ``n q``, covariance ``n (diag q - q q^T)``, each row summing to ``n`` exactly.

    For the many unit cells without deposit, whose counts enter the test only through
    large sums (pattern areas, ``T``); an exact multinomial costs a binomial per cell of
    the draws x K matrix.
    """
    u = rng.standard_normal((draws, q.size)) * np.sqrt(q)
    return n * q + math.sqrt(n) * (u - u.sum(axis=1, keepdims=True) * q)


def _expit(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))
