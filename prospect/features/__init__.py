"""Feature stacks for prospectivity models: cube variables plus neighbourhood statistics,
assembled lazily with dask."""

from prospect.features.focal import focal_stats, focal_stats_numpy
from prospect.features.stack import (
    OUTPUT_KINDS,
    FeatureSpec,
    build_stack,
    default_feature_variables,
    distance_units,
    make_spec,
    sample_cells,
    valid_mask,
)

__all__ = [
    "OUTPUT_KINDS",
    "FeatureSpec",
    "build_stack",
    "default_feature_variables",
    "distance_units",
    "focal_stats",
    "focal_stats_numpy",
    "make_spec",
    "sample_cells",
    "valid_mask",
]
