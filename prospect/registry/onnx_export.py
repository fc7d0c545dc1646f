"""ONNX export through skl2onnx, checked against scikit-learn with onnxruntime.

Only estimators with a skl2onnx converter can be exported (scikit-learn's forests, boosted
trees, linear models, MLPs and pipelines of them); Prospect's own weights-of-evidence and
bagging-PU estimators have none and are refused with a clear :class:`ModelError`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from prospect.errors import ModelError
from prospect.io.files import write_bytes

__all__ = ["check_inputs", "check_rows", "export_onnx", "onnx_agreement",
           "onnx_predict_proba"]


def export_onnx(
    estimator: Any, path: Path, *, n_features: int,
    metadata: Mapping[str, str] | None = None, target_opset: int | None = None,
) -> Path:
    """Convert ``estimator`` to ONNX and write it to ``path`` atomically.

    Parameters
    ----------
    estimator
        A fitted scikit-learn estimator (or pipeline).
    path
        Output ``.onnx`` file.
    n_features
        Number of input columns (float32 tensor ``X`` of shape ``[N, n_features]``).
    metadata
        Text key/values stored in the ONNX model (feature order, card hash, ...).
    """
    try:
        from skl2onnx import to_onnx
        from skl2onnx.common.data_types import FloatTensorType
    except ImportError as exc:  # pragma: no cover - part of the onnx extra
        raise ModelError("ONNX export needs skl2onnx: pip install 'prospect[onnx]'") from exc
    name = f"{type(estimator).__module__}.{type(estimator).__qualname__}"
    options: dict[Any, Any] = {}
    if hasattr(estimator, "predict_proba"):
        options = {"zipmap": False}
    try:
        onx = to_onnx(
            estimator, initial_types=[("X", FloatTensorType([None, int(n_features)]))],
            options=options or None, target_opset=target_opset,
        )
    except Exception as exc:
        raise ModelError(
            f"cannot export {name} to ONNX: skl2onnx failed ({_short(exc)}); keep using the "
            "skops file, or export a scikit-learn forest, linear model or MLP"
        ) from None
    _refuse_unrunnable(onx, name)
    for key, value in (metadata or {}).items():
        prop = onx.metadata_props.add()
        prop.key, prop.value = str(key), str(value)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_bytes(path, onx.SerializeToString())


def _refuse_unrunnable(onx: Any, name: str) -> None:
    """Refuse an ONNX graph of ``name`` that onnxruntime cannot load.

    skl2onnx writes some estimators (``GaussianProcessClassifier``) with operators
    onnxruntime does not have (``com.microsoft:Solve``): the export was then refused as
    "<hidden staging file>: not a readable ONNX model ...; export the model again with
    'prospect model export'", naming a file the user never gave and a fix that fails
    the same way every time.
    """
    try:
        import onnxruntime as ort
    except ImportError:  # pragma: no cover - part of the onnx extra
        return
    try:
        ort.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])
    except Exception as exc:
        raise ModelError(
            f"cannot export {name} to ONNX: onnxruntime cannot run the graph skl2onnx "
            f"writes for it ({_short(exc)}); nothing was written; keep using the skops "
            "file, or export a scikit-learn forest, linear model or MLP") from None


def _short(exc: BaseException) -> str:
    """First line of an exception (and of its cause), at most 200 characters each."""
    parts = [f"{type(exc).__name__}: {(str(exc).splitlines() or [''])[0][:200]}"]
    if exc.__cause__ is not None:
        parts.append(f"caused by {type(exc.__cause__).__name__}: "
                     f"{(str(exc.__cause__).splitlines() or [''])[0][:200]}")
    return "; ".join(parts)


def _session(path: Path) -> Any:
    """An onnxruntime session of the file at ``path``; a file that is missing or no ONNX
    model is refused as such (onnxruntime's own errors reached the user as tracebacks)."""
    import onnxruntime as ort

    path = Path(path)
    if not path.is_file():
        raise ModelError(f"{path}: no such ONNX file; give the .onnx file that 'prospect "
                         "model export' wrote")
    try:
        return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    except Exception as exc:
        raise ModelError(f"{path}: not a readable ONNX model ({_short(exc)}); export the "
                         "model again with 'prospect model export'") from None


def _recorded_order(session: Any) -> list[str] | None:
    """The feature order an export records in its metadata (``feature_order``, JSON), or
    ``None`` when it records none readable."""
    import json

    text = session.get_modelmeta().custom_metadata_map.get("feature_order")
    try:
        order = json.loads(text) if text else None
    except ValueError:
        return None
    return [str(v) for v in order] if isinstance(order, list) else None


def check_inputs(session: Any, path: Path, X: np.ndarray,
                 feature_order: Sequence[str] | None = None) -> None:
    """Refuse rows ``X`` an ONNX export cannot score as the model it was exported from.

    The export takes one float tensor of as many columns as the model's features, in the
    order its metadata records (``feature_order``): rows of another width (an export of
    another model, or of another feature set) were refused by onnxruntime in a traceback,
    and rows of other features in the same number scored without a word.

    Parameters
    ----------
    session
        The onnxruntime session of the file.
    path
        The file, for messages.
    X
        The rows, ``(n, k)``.
    feature_order
        The names of ``X`` 's columns, when known: compared with the order the file records.

    Raises
    ------
    ModelError
        Another number of inputs or of columns, or another feature order.
    """
    inputs = session.get_inputs()
    if len(inputs) != 1:
        raise ModelError(f"{path}: takes {len(inputs)} inputs "
                         f"({', '.join(repr(i.name) for i in inputs)}); Prospect's exports "
                         "take one, the rows of the model's features: not an export of "
                         "Prospect's; export the model again with 'prospect model export'")
    recorded = _recorded_order(session)
    shape = list(inputs[0].shape or [])
    width = shape[1] if len(shape) == 2 and isinstance(shape[1], int) else None
    cols = X.shape[1] if X.ndim == 2 else None
    if cols is None or (width is not None and cols != width):
        names = f" ({', '.join(recorded)}, in this order)" if recorded else ""
        raise ModelError(
            f"{path}: its input {inputs[0].name!r} takes rows of {width} features{names}, "
            f"the rows given have {cols if cols is not None else 'no'} columns: the export "
            "is of another model or feature set; give rows of its features, or export this "
            "model again with 'prospect model export'")
    if feature_order is not None and recorded is not None and \
            list(map(str, feature_order)) != recorded:
        raise ModelError(
            f"{path}: exported for the features {recorded}, the rows given are "
            f"{list(map(str, feature_order))}: another model's export, or the features in "
            "another order; give the rows in the export's order, or export this model again "
            "with 'prospect model export'")


def onnx_predict_proba(path: Path, X: np.ndarray, *,
                       feature_order: Sequence[str] | None = None) -> np.ndarray:
    """Class probabilities (or predictions, for regressors) from the ONNX model at ``path``.

    ``feature_order`` names the columns of ``X``; rows the export cannot score as its
    model are refused (:func:`check_inputs`).
    """
    session = _session(path)
    X = np.asarray(X, np.float32)
    check_inputs(session, Path(path), X, feature_order)
    outputs = session.run(None, {session.get_inputs()[0].name: X})
    names = [o.name for o in session.get_outputs()]
    result = outputs[names.index("probabilities")] if "probabilities" in names else outputs[0]
    return np.asarray(result)


def onnx_agreement(estimator: Any, path: Path, X: np.ndarray, *, atol: float = 1e-4,
                   label: str | Path | None = None,
                   feature_order: Sequence[str] | None = None) -> float:
    """Largest absolute difference between onnxruntime's and scikit-learn's outputs.

    Raises :class:`ModelError` when it exceeds ``atol``, naming ``label`` (the file the
    user asked for, when ``path`` is its staged copy) or ``path``, and when the export
    cannot score ``X`` (whose columns ``feature_order`` names) as its model
    (:func:`check_inputs`).
    """
    shown = label if label is not None else path
    X32 = np.asarray(X, np.float32)
    n_in = getattr(estimator, "n_features_in_", None)
    if X32.ndim == 2 and isinstance(n_in, int) and X32.shape[1] != n_in:
        raise ModelError(f"{shown}: the rows given have {X32.shape[1]} columns, the model "
                         f"{n_in} features; give rows of the model's features")
    got = onnx_predict_proba(path, X32, feature_order=feature_order)
    if hasattr(estimator, "predict_proba"):
        want = np.asarray(estimator.predict_proba(X32))
    else:
        want = np.asarray(estimator.predict(X32)).reshape(got.shape)
    if got.shape != want.shape:
        raise ModelError(f"{shown}: ONNX output shape {got.shape} != scikit-learn {want.shape}")
    gap = np.abs(got.astype("f8") - want.astype("f8"))
    diff = float(np.max(gap)) if want.size else 0.0
    if not diff <= atol:  # "do not use this export" of a file that was never written
        staged = label is not None and Path(label) != Path(path)
        apart = (~(gap.reshape(len(X32), -1).max(axis=1) <= atol) if X32.ndim == 2
                 else np.zeros(0, dtype=bool))
        found = _unseen_rows(estimator, X32, apart, feature_order) if apart.size else None
        if found is not None:
            unseen, fractions, hit = found  # the rows' codes, not the conversion, part them
            cause = (": ONNX's one-hot encoder reads a fraction as the whole code below it "
                     "and scikit-learn as none of the model's codes: a categorical layer "
                     "warped with an interpolating resampling (bilinear, average) leaves "
                     "such values; warp it with nearest or mode (model score and export "
                     "--reproject do)" if fractions else
                     ": the two runtimes encode codes it never saw otherwise; give a cube "
                     "of the model's codes")
            if not bool(hit[apart].all()):
                raise ModelError(_mixed_rows(shown, staged, gap, apart, hit, atol=atol,
                                             unseen=unseen, cause=cause))
            raise ModelError(
                f"{shown}: {'not written: ' if staged else ''}ONNX predictions differ from "
                f"scikit-learn's by up to {diff:.3g} (tolerance {atol:g}) on "
                f"{int(apart.sum())} of {len(X32)} rows, each holding a code the model "
                f"never saw: {unseen}; the export agrees on the model's own codes"
                + (", but" + cause[1:] if fractions else ", and" + cause[1:])
                + ", or leave out --cube to check on the model's codes")
        raise ModelError(
            f"{shown}: {'not written: ' if staged else ''}ONNX predictions differ from "
            f"scikit-learn's by up to {diff:.3g} (tolerance {atol:g}), so this model does "
            "not convert to ONNX faithfully; keep using the skops file"
            + (", or allow a larger difference (--atol) if one of this size is "
               "acceptable" if staged else ", and do not use this export")
        )
    return diff


def _mixed_rows(shown: str | Path, staged: bool, gap: np.ndarray, apart: np.ndarray,
                hit: np.ndarray, *, atol: float, unseen: str, cause: str) -> str:
    """The refusal of an export whose differing rows (``apart``) are partly rows holding
    a code the model never saw (``hit``) and partly rows of the model's own codes.

    Such a refusal was "does not convert to ONNX faithfully ... allow a larger difference
    (--atol) if one of this size is acceptable", the size being the largest difference,
    that of the unseen codes' rows: a tolerance offered that also passes an export scoring
    those cells otherwise, and the cube's codes not named. Each part is now said with its
    own largest difference, and ``--atol`` is offered at the size of the conversion's.
    """
    per_row = gap.reshape(len(apart), -1).max(axis=1)
    known, new = apart & ~hit, apart & hit
    own = float(per_row[known].max())
    return (
        f"{shown}: {'not written: ' if staged else ''}ONNX predictions differ from "
        f"scikit-learn's (tolerance {atol:g}) on {int(apart.sum())} of {len(apart)} rows: "
        f"by up to {own:.3g} on {int(known.sum())} rows of the model's own codes, so "
        "this model does not convert to ONNX faithfully, and by up to "
        f"{float(per_row[new].max()):.3g} on {int(new.sum())} rows each holding a code "
        f"the model never saw: {unseen}{cause}; keep using the skops file"
        + (f", or allow a larger difference (--atol) if one of {own:.3g} is acceptable "
           "and check on a cube of the model's codes (or leave out --cube)" if staged
           else ", and do not use this export")
    )


def _unseen_codes(estimator: Any, X: np.ndarray, rows: np.ndarray,
                  feature_order: Sequence[str] | None) -> tuple[str, bool] | None:
    """The codes no one-hot encoder of ``estimator`` was fitted on that ``X``'s ``rows``
    (a boolean mask: those where the two runtimes part ways) hold, in words
    (``"'geo' 2.5 (12 rows) (fitted on codes 1, 2, 3)"``), and whether any is a
    fraction, when every such row holds one; else ``None``.

    Such a row was said as "does not convert to ONNX faithfully ... allow a larger
    difference (--atol)": the model was blamed for the cube's values (a bilinear warp
    of codes), and a larger tolerance offered to keep an export that scores them
    otherwise.
    """
    found = _unseen_rows(estimator, X, rows, feature_order)
    if found is None or not bool(found[2][rows].all()):
        return None
    return found[0], found[1]


def _unseen_rows(estimator: Any, X: np.ndarray, rows: np.ndarray,
                 feature_order: Sequence[str] | None
                 ) -> tuple[str, bool, np.ndarray] | None:
    """:func:`_unseen_codes` when any of ``rows`` holds such a code: its words, whether
    any is a fraction, and the rows that hold one (a boolean mask over ``X``); else
    ``None``."""
    known = _encoder_categories(estimator)
    if not known or not rows.any():
        return None
    names = list(feature_order) if feature_order is not None else []
    hit = np.zeros(len(X), dtype=bool)
    said: list[str] = []
    fractions = False
    for col, codes in sorted(known.items()):
        if col >= X.shape[1]:
            continue
        values = X[rows, col].astype("f8")
        new = ~np.isin(values, codes) & np.isfinite(values)
        if not new.any():
            continue
        hit[np.flatnonzero(rows)[new]] = True
        found, counts = np.unique(values[new], return_counts=True)
        fractions = fractions or bool((found != np.round(found)).any())
        listed = ", ".join(f"{v:.6g} ({c} rows)" for v, c in zip(found[:8], counts[:8],
                                                                   strict=True))
        more = f" and {len(found) - 8} more" if len(found) > 8 else ""
        name = repr(str(names[col])) if col < len(names) else f"column {col}"
        fitted = ", ".join(f"{v:.6g}" for v in codes[:12])
        said.append(f"{name} {listed}{more} (fitted on codes {fitted}"
                    f"{', ...' if len(codes) > 12 else ''})")
    if not said:
        return None
    return "; ".join(said), fractions, hit


def check_rows(estimator: Any, n_features: int, categorical: Sequence[int], n: int, *,
               seed: int = 0) -> np.ndarray:
    """Rows to compare an export on when no cube's cells are given (float32 ``(n, k)``).

    Standard normal noise, except in the ``categorical`` columns: there, the codes the
    model's one-hot encoder was fitted on (and one it never saw), else whole numbers 0-9.
    A fraction in a code column is no input a cube holds, and the two runtimes part ways on
    it (the ONNX encoder casts 1.39 to code 1, scikit-learn calls it unknown), so noise
    there failed every model with a categorical feature.

    The code columns are ``categorical`` and every column the estimator's own one-hot
    encoder was fitted on: a model saved outside the train stage (a plain input schema,
    no ``feature_spec`` naming its categorical columns) still encodes its code columns,
    and noise there refused it as "does not convert to ONNX faithfully".
    """
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, int(n_features))).astype("float32")
    known = _encoder_categories(estimator)
    given = [int(c) for c in categorical]
    for col in given + [c for c in sorted(known) if c not in given and c < int(n_features)]:
        codes = known.get(int(col))
        if codes is None or codes.size == 0:
            codes = np.arange(10, dtype="f8")
        else:  # the fitted codes, and one unseen (handle_unknown)
            codes = np.append(codes, np.max(codes) + 1)
        X[:, col] = rng.choice(codes, size=n).astype("float32")
    return X


def _encoder_categories(estimator: Any) -> dict[int, np.ndarray]:
    """Input column -> the categories a fitted one-hot encoder of ``estimator`` (a pipeline
    step or a column transformer's part, columns given by position) was fitted on."""
    found: dict[int, np.ndarray] = {}
    steps = [s for _, s in getattr(estimator, "steps", [])] or [estimator]
    first = steps[0]
    for _, part, cols in getattr(first, "transformers_", []):
        cats = getattr(part, "categories_", None)
        if cats is None or not isinstance(cols, list | tuple | np.ndarray):
            continue
        for col, values in zip(cols, cats, strict=False):
            if isinstance(col, int | np.integer):
                found[int(col)] = np.asarray(values, dtype="f8")
    return found
