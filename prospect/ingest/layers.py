"""A cube layer to ingest: what it is called, how it is stored and how one chunk is made."""

from __future__ import annotations

import abc
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from prospect.grid import ChunkWindow, RegionGrid
from prospect.io.files import file_sha256
from prospect.redact import redact_tree

__all__ = ["Layer", "provenance_json"]




def provenance_json(**items: Any) -> str:
    """A stable JSON string for a variable's ``provenance`` attribute (:func:`provenance_attr`)."""
    from prospect.io.cube import provenance_attr  # zarr and xarray: not for computing

    return provenance_attr(redact_tree(items))


@dataclass(frozen=True, kw_only=True)
class Layer(abc.ABC):
    """One 2-D cube variable made chunk by chunk.

    Subclasses hold only small, picklable descriptions of their inputs (paths, fitted
    parameters) so a chunk can be computed on any dask worker; :meth:`compute` reads
    just what that chunk needs.
    """

    name: str
    units: str
    long_name: str
    kind: str
    inputs: tuple[str, ...]
    settings: dict[str, Any] = field(default_factory=dict, hash=False)

    dtype: str = "float32"
    fill_value: float = float("nan")

    #: Rough compute cost per cell relative to a resampled raster band. Ingest submits
    #: the costliest layers' chunks first, so a cluster's workers finish together
    #: (longest-task-first) instead of one of them ending on a long chunk.
    cost: ClassVar[float] = 1.0

    #: Bytes per chunk cell that computing one chunk holds at its peak (the window read,
    #: temporaries and the output), for the memory per worker that ``prospect plan``
    #: predicts; measured on a 2048 x 2048 chunk (a resampled float32 band: about 8).
    memory_per_cell: ClassVar[float] = 8.0

    @abc.abstractmethod
    def compute(self, grid: RegionGrid, window: ChunkWindow) -> np.ndarray:
        """The values of one chunk (shape ``window.shape``, dtype :attr:`dtype`)."""

    def compute_reported(self, grid: RegionGrid, window: ChunkWindow
                         ) -> tuple[np.ndarray, dict[str, str]]:
        """:meth:`compute`, and the inputs skipped in this chunk because they could not be
        read (name -> why; a remote composite's lost items). Most layers skip nothing."""
        return self.compute(grid, window), {}

    def extra_attrs(self) -> dict[str, Any]:
        """Attributes beyond the standard ones (e.g. a categorical code table)."""
        return {}

    def checksums(self) -> dict[str, str]:
        """Input file -> SHA-256."""
        return {p: file_sha256(p) for p in self.inputs if Path(p).is_file()}

    def provenance(self) -> dict[str, Any]:
        """Source files with checksums and the settings used (resampling, method...)."""
        return {"sources": self.checksums(), **self.settings}

    def attrs(self) -> dict[str, Any]:
        """Every attribute the cube variable gets."""
        return {
            "units": self.units,
            "long_name": self.long_name,
            "prospect_kind": self.kind,
            "provenance": provenance_json(**self.provenance()),
            **self.extra_attrs(),
        }

    def fingerprint(self, grid: RegionGrid) -> str:
        """Hash of everything that determines the layer's values on ``grid``."""
        text = json.dumps(
            {"layer": type(self).__name__, "name": self.name, "dtype": self.dtype,
             "grid": grid.describe() | {"name": ""}, "attrs": self.attrs()},
            sort_keys=True, default=str,
        )
        return hashlib.sha256(text.encode()).hexdigest()
