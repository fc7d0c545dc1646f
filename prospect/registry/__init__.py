"""Model reuse: safe model files, model cards, input schemas and a versioned registry.

Public facade::

    save_model(estimator, directory, card=..., schema=...) -> Path
    load_model(directory, trusted=None) -> LoadedModel
    check_schema(cube, schema)            # SchemaMismatchError, one line per difference
    schema_from_cube(cube, features) -> dict
    align_to_schema(cube, schema)         # reproject/resample to the model's grid
    ModelRegistry(root).publish / load / versions / names / card   # <root>/<name>/<version>/
    score_model(estimator, schema, cube) -> lazy probability + uncertainty Dataset
    export_onnx(estimator, path, n_features=...) / onnx_agreement(estimator, path, X)

Models are written with skops, never pickle; loading verifies SHA-256 checksums, refuses
pickle/joblib files by their magic bytes before anything is unpickled, and refuses types
outside scikit-learn and ``prospect.models`` unless the user trusts them by name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from prospect.lazy import lazy_exports

if TYPE_CHECKING:  # the names below, for type checkers; at run time each module is
    # imported on first use (PEP 562), so `import prospect.x.y` costs only its own imports
    from prospect.registry.card import card_markdown, config_hash, library_versions
    from prospect.registry.compat import ModelVersionWarning
    from prospect.registry.files import (
        MODEL_FILES,
        LoadedModel,
        audit_model_dir,
        is_model_dir,
        load_model,
        model_fingerprint,
        read_card,
        read_schema,
        save_model,
        verify_model_dir,
    )
    from prospect.registry.names import check_name, check_version
    from prospect.registry.onnx_export import export_onnx, onnx_agreement, onnx_predict_proba
    from prospect.registry.schema import (
        align_to_schema,
        check_schema,
        schema_differences,
        schema_from_cube,
    )
    from prospect.registry.scoring import model_feature_spec, score_model
    from prospect.registry.sniff import sniff_format
    from prospect.registry.store import ModelRegistry, default_registry
    from prospect.registry.trust import TRUSTED_PREFIXES

_EXPORTS: dict[str, tuple[str, ...]] = {
    "prospect.registry.card": ("card_markdown", "config_hash", "library_versions"),
    "prospect.registry.compat": ("ModelVersionWarning",),
    "prospect.registry.files": (
        "MODEL_FILES",
        "LoadedModel",
        "audit_model_dir",
        "is_model_dir",
        "load_model",
        "model_fingerprint",
        "read_card",
        "read_schema",
        "save_model",
        "verify_model_dir",
    ),
    "prospect.registry.names": ("check_name", "check_version"),
    "prospect.registry.onnx_export": ("export_onnx", "onnx_agreement", "onnx_predict_proba"),
    "prospect.registry.schema": (
        "align_to_schema",
        "check_schema",
        "schema_differences",
        "schema_from_cube",
    ),
    "prospect.registry.scoring": ("model_feature_spec", "score_model"),
    "prospect.registry.sniff": ("sniff_format",),
    "prospect.registry.store": ("ModelRegistry", "default_registry"),
    "prospect.registry.trust": ("TRUSTED_PREFIXES",),
}
"""Module -> the public names this package re-exports from it."""
__getattr__, __dir__, _WHERE = lazy_exports(__name__, _EXPORTS)


__all__ = [
    "MODEL_FILES",
    "TRUSTED_PREFIXES",
    "LoadedModel",
    "ModelRegistry",
    "ModelVersionWarning",
    "align_to_schema",
    "audit_model_dir",
    "card_markdown",
    "check_name",
    "check_schema",
    "check_version",
    "config_hash",
    "default_registry",
    "export_onnx",
    "is_model_dir",
    "library_versions",
    "load_model",
    "model_feature_spec",
    "model_fingerprint",
    "onnx_agreement",
    "onnx_predict_proba",
    "read_card",
    "read_schema",
    "save_model",
    "schema_differences",
    "schema_from_cube",
    "score_model",
    "sniff_format",
    "verify_model_dir",
]
