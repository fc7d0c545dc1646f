"""Typed, validated configs. Every loader raises :class:`~prospect.errors.ConfigError`
naming the file, the key, the bad value and what is allowed."""

from prospect.config._base import StrictModel, load_yaml, repeated, validate_mapping
from prospect.config.indices import IndicesConfig
from prospect.config.job import (
    JobConfig,
    ReferenceRegion,
    config_dir,
    list_regions,
    load_job,
    load_region,
    resolve_grid,
)
from prospect.config.model import CVConfig, LabelsConfig, ModelConfig
from prospect.config.region import RegionConfig
from prospect.config.sources import PointSource, RasterSource, SourceConfig, VectorSource
from prospect.config.tiles import TileLayerConfig, TilesConfig

__all__ = [
    "CVConfig",
    "IndicesConfig",
    "JobConfig",
    "LabelsConfig",
    "ModelConfig",
    "PointSource",
    "RasterSource",
    "ReferenceRegion",
    "RegionConfig",
    "SourceConfig",
    "StrictModel",
    "TileLayerConfig",
    "TilesConfig",
    "VectorSource",
    "config_dir",
    "list_regions",
    "load_job",
    "load_region",
    "load_yaml",
    "repeated",
    "resolve_grid",
    "validate_mapping",
]
