"""ONNX export through skl2onnx, checked against scikit-learn with onnxruntime.

Only estimators with a skl2onnx converter can be exported (scikit-learn's forests, boosted
trees, linear models, MLPs and pipelines of them); Prospect's own weights-of-evidence and
bagging-PU estimators have none and are refused with a clear :class:`ModelError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from prospect.errors import ModelError
from prospect.io.files import write_bytes

__all__ = ["export_onnx", "onnx_agreement", "onnx_predict_proba"]


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
    for key, value in (metadata or {}).items():
        prop = onx.metadata_props.add()
        prop.key, prop.value = str(key), str(value)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_bytes(path, onx.SerializeToString())


def _short(exc: BaseException) -> str:
    """First line of an exception (and of its cause), at most 200 characters each."""
    parts = [f"{type(exc).__name__}: {(str(exc).splitlines() or [''])[0][:200]}"]
    if exc.__cause__ is not None:
        parts.append(f"caused by {type(exc.__cause__).__name__}: "
                     f"{(str(exc.__cause__).splitlines() or [''])[0][:200]}")
    return "; ".join(parts)


def onnx_predict_proba(path: Path, X: np.ndarray) -> np.ndarray:
    """Class probabilities (or predictions, for regressors) from the ONNX model at ``path``."""
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    outputs = session.run(None, {session.get_inputs()[0].name: np.asarray(X, np.float32)})
    names = [o.name for o in session.get_outputs()]
    result = outputs[names.index("probabilities")] if "probabilities" in names else outputs[0]
    return np.asarray(result)


def onnx_agreement(estimator: Any, path: Path, X: np.ndarray, *, atol: float = 1e-4) -> float:
    """Largest absolute difference between onnxruntime's and scikit-learn's outputs.

    Raises :class:`ModelError` when it exceeds ``atol``.
    """
    X32 = np.asarray(X, np.float32)
    got = onnx_predict_proba(path, X32)
    if hasattr(estimator, "predict_proba"):
        want = np.asarray(estimator.predict_proba(X32))
    else:
        want = np.asarray(estimator.predict(X32)).reshape(got.shape)
    if got.shape != want.shape:
        raise ModelError(f"{path}: ONNX output shape {got.shape} != scikit-learn {want.shape}")
    diff = float(np.max(np.abs(got.astype("f8") - want.astype("f8")))) if want.size else 0.0
    if not diff <= atol:
        raise ModelError(
            f"{path}: ONNX predictions differ from scikit-learn by up to {diff:.3g} "
            f"(tolerance {atol:g}); do not use this export"
        )
    return diff
