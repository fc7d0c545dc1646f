"""A cube layer to ingest: what it is called, how it is stored and how one chunk is made."""

from __future__ import annotations

import abc
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from prospect.grid import ChunkWindow, RegionGrid
from prospect.io.files import file_sha256
from prospect.redact import redact_tree

__all__ = ["Layer", "provenance_json", "unit_key"]


_UNIT_WORDS: dict[str, str] = {
    **dict.fromkeys(("kelvin", "kelvins", "degk", "degreek", "degreesk", "degreekelvin",
                     "degreeskelvin"), "K"),
    **dict.fromkeys(("degc", "celsius", "degreec", "degreesc", "degreecelsius",
                     "degreescelsius", "centigrade"), "degC"),
    **dict.fromkeys(("degf", "fahrenheit", "degreef", "degreesf", "degreefahrenheit",
                     "degreesfahrenheit"), "degF"),
    **dict.fromkeys(("metre", "metres", "meter", "meters"), "m"),
    **dict.fromkeys(("kilometre", "kilometres", "kilometer", "kilometers"), "km"),
    **dict.fromkeys(("l", "litre", "litres", "liter", "liters"), "L"),
    "ml": "mL", "ul": "uL", "percent": "%", "pct": "%", "ppm": "ppm", "ppb": "ppb",
    **dict.fromkeys(("nanotesla", "nanoteslas", "gamma"), "nT"),
    **dict.fromkeys(("ohm", "ohms", "\u03c9", "\u2126"), "ohm"),
    **dict.fromkeys(("1", "-", "none", "dimensionless", "unitless"), ""),
}
"""Unit words and symbols (lower case, spaces and ``_`` dropped) -> one spelling."""

_MASS_RATIOS: dict[tuple[tuple[str, int], ...], tuple[tuple[str, int], ...]] = {
    (("kg", -1), ("mg", 1)): (("ppm", 1),),  # mg/kg
    (("g", -1), ("ug", 1)): (("ppm", 1),),  # ug/g
    (("g", 1), ("t", -1)): (("ppm", 1),),  # g/t (assays)
    (("kg", -1), ("ug", 1)): (("ppb", 1),),  # ug/kg
    (("g", -1), ("ng", 1)): (("ppb", 1),),  # ng/g
    (("mg", 1), ("t", -1)): (("ppb", 1),),  # mg/t
}
"""Mass ratios that are parts per million or billion (concentrations in solids: rock,
soil, till); ``mg/L`` is not (a water's ppm only at a density of 1)."""

_SUPERSCRIPTS = str.maketrans("\u207b\u207a\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076"
                              "\u2077\u2078\u2079", "-+0123456789")
_UNIT_FACTOR = re.compile(r"([A-Za-z%\u03c9\u2126]+)(?:\^|\*\*)?([-+]?\d+)?")


def unit_key(units: str) -> tuple[tuple[str, int], ...] | str:
    """``units`` in one spelling, to compare two: each factor's symbol (``K`` for
    ``kelvin``, ``degC`` for ``°C``...) with its power, so ``mW/m2``, ``mW m-2``,
    ``mW/m^2`` and ``mW·m⁻²`` are one key, and so are ``ppm``, ``mg/kg``, ``ug/g`` and
    ``g/t`` (``ppb``, ``ug/kg``, ``ng/g``: concentrations in solids); a unit this cannot
    take apart is its text, lower case and without spaces. Case is kept otherwise
    (``mW`` is not ``MW``)."""
    text = units.strip().replace("\u00b5", "u").replace("\u03bc", "u")
    text = text.replace("(", " ").replace(")", " ")  # W/(m K): a denominator's factors
    text = re.sub(r"[\u00b0\u00ba]\s*([CFcf])\b", r"deg\1", text).translate(_SUPERSCRIPTS)
    word = _UNIT_WORDS.get(re.sub(r"[\s_]+", "", text).lower())
    if word is not None:
        return ((word, 1),) if word else ()
    powers: dict[str, int] = {}
    for i, part in enumerate(text.split("/")):
        for factor in re.split(r"[\s*\u00b7.]+", part.strip()):
            if not factor:
                continue
            m = _UNIT_FACTOR.fullmatch(factor)
            if m is None or (i and not part.strip()):
                return re.sub(r"\s+", "", units).lower()
            symbol = _UNIT_WORDS.get(m.group(1).lower(), m.group(1))
            power = int(m.group(2) or 1) * (-1 if i else 1)
            if symbol:
                powers[symbol] = powers.get(symbol, 0) + power
    key = tuple(sorted((k, v) for k, v in powers.items() if v))
    return _MASS_RATIOS.get(key, key)


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

    def task_bytes(self, cells: int) -> int:
        """Bytes one task holds at its peak computing a chunk of ``cells`` cells: the
        working set (:attr:`memory_per_cell`) and what reading the inputs holds besides
        (:meth:`read_bytes`), for the memory per worker ``prospect plan`` predicts."""
        return int(self.memory_per_cell * cells) + self.read_bytes()

    def read_bytes(self) -> int:
        """Memory reading one chunk's inputs holds whatever the chunk's size (a source
        file's decoded block: :attr:`prospect.io.raster.RasterInfo.read_bytes`); 0 for
        inputs read cell by cell."""
        return 0

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
        """Input file -> SHA-256 (of the archive a ``/vsizip/`` or ``/vsitar/`` name reads)."""
        from prospect.config.vsi import archive_file

        files = {p: archive_file(p) or p for p in self.inputs}
        return {p: file_sha256(f) for p, f in files.items() if Path(f).is_file()}

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
