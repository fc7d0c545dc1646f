"""The index catalogue: Awesome Spectral Indices plus Prospect's mineral and alteration indices.

Two sources, both shipped as package data in ``prospect/indices/data/``:

* ``spectral-indices-dict.json`` and ``constants.json``: the Awesome Spectral Indices
  catalogue (Montero et al. 2023, https://doi.org/10.1038/s41597-023-02096-0), MIT licence,
  vendored from spyndex 0.12.0 (see ``LICENSE-awesome-spectral-indices.txt``); pinned by the
  SHA-256 in :data:`ASI_SHA256`.
* ``minerals.yaml``: Prospect's mineral, alteration and lithology indices for Sentinel-2,
  Landsat 5/7/8/9 and ASTER, each with a literature reference.

Every formula is parsed by :func:`prospect.indices.formula.parse_formula` when the catalogue
loads, so a malformed entry is an error at import, never at compute time.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from typing import Any

import yaml

from prospect.indices.formula import BinOp, Const, Expr, Var, parse_formula, variables

__all__ = [
    "ASI_SHA256",
    "ASI_VERSION",
    "CATALOGUE_VERSION",
    "IndexEntry",
    "constant_defaults",
    "is_kernel_term",
    "is_wavelength_term",
    "load_catalogue",
    "normalized_difference_range",
]

ASI_VERSION = "awesome-spectral-indices (spyndex 0.12.0)"
"""Which Awesome Spectral Indices release is vendored."""
ASI_SHA256 = "82876d1a8dfabb6d876d714aed499d2998fbd09a1e67fca448c43472729bf026"
"""SHA-256 of the vendored ``spectral-indices-dict.json``."""
MINERALS_VERSION = 1
CATALOGUE_VERSION = f"asi-spyndex-0.12.0+prospect-minerals-{MINERALS_VERSION}"
"""Version string recorded in every index's provenance."""

_DATA = files("prospect.indices") / "data"

_PLATFORM_SENSORS: dict[str, tuple[str, ...]] = {
    "Sentinel-2": ("sentinel2",),
    "Landsat-OLI": ("landsat8", "landsat9"),
    "Landsat-ETM+": ("landsat7",),
    "Landsat-TM": ("landsat5",),
    "MODIS": ("modis",),
    "Sentinel-1 (Dual Polarisation VV-VH)": ("sentinel1",),
    "Sentinel-1 (Dual Polarisation HH-HV)": ("sentinel1",),
}


@dataclass(frozen=True)
class IndexEntry:
    """One catalogue index.

    Attributes
    ----------
    name
        Short name, e.g. ``NDVI`` or ``CLAY_HYDROXYL``.
    long_name
        Human-readable name.
    formula
        The formula text over common band names and constants.
    bands
        Common band names the formula reads (kernel terms expanded to their bands).
    constants
        Constant names the formula uses (``L``, ``g``, ``lambdaN``...).
    domain
        Application domain (``vegetation``, ``water``, ``mineral``, ``alteration``...).
    tags
        Extra domains the index serves (``geothermal``, ``clay``...).
    platforms
        Sensors the index was published for (catalogue names, e.g. ``sentinel2``).
    valid_range
        ``(low, high)`` for valid inputs; ``None`` means unbounded or unknown.
    reference
        Literature reference (DOI or citation).
    source
        ``awesome-spectral-indices`` or ``prospect-minerals``.
    """

    name: str
    long_name: str
    formula: str
    bands: tuple[str, ...]
    constants: tuple[str, ...]
    domain: str
    tags: tuple[str, ...] = ()
    platforms: tuple[str, ...] = ()
    valid_range: tuple[float | None, float | None] = (None, None)
    reference: str = ""
    source: str = "awesome-spectral-indices"
    expr: Expr = field(default=Const(0.0), repr=False, compare=False)

    def describe(self) -> dict[str, Any]:
        """The entry as a JSON-ready mapping."""
        return {
            "name": self.name, "long_name": self.long_name, "formula": self.formula,
            "bands": list(self.bands), "constants": list(self.constants),
            "domain": self.domain, "tags": list(self.tags), "platforms": list(self.platforms),
            "valid_range": list(self.valid_range), "reference": self.reference,
            "source": self.source,
        }


def is_kernel_term(name: str) -> bool:
    """True for kernel terms such as ``kNN`` or ``kNR`` (k(a, b) of two common bands)."""
    return len(name) >= 3 and name[0] == "k" and name[1].isupper()


def is_wavelength_term(name: str) -> bool:
    """True for central-wavelength constants such as ``lambdaN``."""
    return name.startswith("lambda") and len(name) > len("lambda")


def kernel_bands(name: str, known: set[str]) -> tuple[str, str]:
    """Split a kernel term ``kNR`` into its two common band names (``N``, ``R``)."""
    body = name[1:]
    for cut in range(1, len(body)):
        if body[:cut] in known and body[cut:] in known:
            return body[:cut], body[cut:]
    raise KeyError(name)


@cache
def constant_defaults() -> dict[str, float | None]:
    """Default values of the catalogue constants (``L`` = 1.0, ``g`` = 2.5...), as spyndex."""
    raw = json.loads((_DATA / "constants.json").read_text(encoding="utf-8"))
    return {k: (None if v["default"] is None else float(v["default"])) for k, v in raw.items()}


@cache
def common_band_names() -> frozenset[str]:
    """Common band names of the Awesome Spectral Indices plus Prospect's extensions."""
    raw = json.loads((_DATA / "bands.json").read_text(encoding="utf-8"))
    extra = {"VV", "VH", "HH", "HV", "SW5", "SW6", "SW7", "SW8", "SW9",
             "TIR10", "TIR11", "TIR12", "TIR13", "TIR14"}
    return frozenset(raw) | frozenset(extra)


def _split_names(names: list[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    consts = constant_defaults()
    known = set(common_band_names()) | set(consts)
    bands: dict[str, None] = {}
    constants: dict[str, None] = {}
    for n in names:
        if n in consts or is_wavelength_term(n):
            constants.setdefault(n)
        elif is_kernel_term(n):
            for b in kernel_bands(n, known):
                (constants if b in consts else bands).setdefault(b)
            constants.setdefault("sigma")
        else:
            bands.setdefault(n)
    return tuple(bands), tuple(constants)


def normalized_difference_range(expr: Expr) -> tuple[float | None, float | None]:
    """``(-1, 1)`` when ``expr`` is ``(a - b) / (a + b)`` with ``a``, ``b`` non-negative
    (sums and products of bands and non-negative numbers), else ``(None, None)``."""
    if isinstance(expr, BinOp) and expr.op == "/":
        num, den = expr.left, expr.right
        if (isinstance(num, BinOp) and num.op == "-" and isinstance(den, BinOp)
                and den.op == "+" and _nonneg(num.left) and _nonneg(num.right)
                and {num.left, num.right} == {den.left, den.right}):
            return (-1.0, 1.0)
    return (None, None)


def _nonneg(expr: Expr) -> bool:
    if isinstance(expr, Var):
        return not (is_wavelength_term(expr.name) or expr.name in constant_defaults())
    if isinstance(expr, Const):
        return expr.value >= 0
    if isinstance(expr, BinOp) and expr.op in "+*":
        return _nonneg(expr.left) and _nonneg(expr.right)
    return False


def _asi_entries() -> dict[str, IndexEntry]:
    raw = (_DATA / "spectral-indices-dict.json").read_bytes()
    if hashlib.sha256(raw).hexdigest() != ASI_SHA256:
        raise RuntimeError("vendored spectral-indices-dict.json does not match its pinned SHA-256")
    out: dict[str, IndexEntry] = {}
    for name, item in json.loads(raw)["SpectralIndices"].items():
        expr = parse_formula(item["formula"], name=name)
        bands, constants = _split_names(variables(expr))
        platforms: dict[str, None] = {}
        for p in item.get("platforms", []):
            for s in _PLATFORM_SENSORS.get(p, (p,)):
                platforms.setdefault(s)
        out[name] = IndexEntry(
            name=name, long_name=item["long_name"], formula=item["formula"], bands=bands,
            constants=constants, domain=item["application_domain"],
            platforms=tuple(platforms), valid_range=normalized_difference_range(expr),
            reference=item.get("reference", ""), source="awesome-spectral-indices", expr=expr,
        )
    return out


def _mineral_entries() -> dict[str, IndexEntry]:
    data = yaml.safe_load((_DATA / "minerals.yaml").read_text(encoding="utf-8"))
    out: dict[str, IndexEntry] = {}
    for name, item in data["indices"].items():
        expr = parse_formula(item["formula"], name=name)
        bands, constants = _split_names(variables(expr))
        low, high = item.get("valid_range", [None, None])
        out[name] = IndexEntry(
            name=name, long_name=item["long_name"], formula=item["formula"], bands=bands,
            constants=constants, domain=item["domain"], tags=tuple(item.get("tags", [])),
            platforms=tuple(item.get("platforms", [])),
            valid_range=(None if low is None else float(low),
                         None if high is None else float(high)),
            reference=" ".join(str(item["reference"]).split()), source="prospect-minerals",
            expr=expr,
        )
    return out


@cache
def load_catalogue() -> dict[str, IndexEntry]:
    """Every catalogue index by name: Awesome Spectral Indices, then Prospect's minerals."""
    asi = _asi_entries()
    minerals = _mineral_entries()
    clash = sorted(set(asi) & set(minerals))
    if clash:
        raise RuntimeError(f"mineral catalogue names clash with the spectral catalogue: {clash}")
    return {**asi, **minerals}
