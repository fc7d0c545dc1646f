"""What a value of an index constant may be: a finite number, inside the constant's range.

``indices.constants`` in a job overrides the catalogue's constants (``L``, ``g``,
``sigma``...). A value that is no number (``true``, a quoted ``'0.5'``), not finite, or
outside the range the literature defines for the constant made indices of another
meaning, or of nothing but NaN, without a word: SAVI's ``L`` of -1 divides by zero where
``N + R`` is 1, a ``sigma`` of 0 divides every kernel by zero. :func:`check_constant` is
the one check, used when the job loads; a constant whose value makes a divisor zero for
every cell (``sla: 0`` in SAVI2) is refused when the indices are planned
(:func:`prospect.indices.plan.plan_indices`), since that depends on the formula and the
sensor's wavelengths.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeGuard

import numpy as np

from prospect.config._base import underflows_to_zero
from prospect.errors import ConfigError
from prospect.indices.catalogue import is_wavelength_term

__all__ = ["CONSTANT_RANGES", "SIGMA_FROM_DATA", "ConstantRange", "check_constant",
           "check_constants"]

SIGMA_FROM_DATA = "data"
"""The value of ``sigma`` that asks for the per-pixel length scale ``0.5 * (a + b)``."""


@dataclass(frozen=True)
class ConstantRange:
    """The values a constant may take: ``low``..``high`` (``None``: unbounded), the low
    end excluded when ``low_open``; ``meaning`` says what the constant is, and where
    the range comes from."""

    low: float | None
    high: float | None
    meaning: str
    low_open: bool = False

    def allows(self, value: float) -> bool:
        """Whether ``value`` lies in the range."""
        if self.low is not None and (value <= self.low if self.low_open else value < self.low):
            return False
        return self.high is None or value <= self.high

    def describe(self) -> str:
        """The range as text: ``in 0..1``, ``> 0``, ``>= 0``."""
        if self.high is None:
            return f"{'>' if self.low_open else '>='} {self.low:g}"
        return f"in {self.low:g}..{self.high:g}"


CONSTANT_RANGES: dict[str, ConstantRange] = {
    "L": ConstantRange(0.0, 1.0, "the canopy background adjustment, 0 for dense to 1 "
                       "for sparse vegetation: Huete 1988"),
    "g": ConstantRange(0.0, None, "a gain factor, EVI's 2.5: Huete et al. 2002",
                       low_open=True),
    "C1": ConstantRange(0.0, None, "an aerosol resistance coefficient, EVI's 6: Huete et "
                        "al. 2002"),
    "C2": ConstantRange(0.0, None, "an aerosol resistance coefficient, EVI's 7.5: Huete "
                        "et al. 2002"),
    "sigma": ConstantRange(0.0, None, "the RBF kernel's length scale: Camps-Valls et al. "
                           "2021", low_open=True),
}
"""Ranges the literature defines for catalogue constants (the vendored catalogue states
none); a central wavelength (``lambdaN``...) is a length in nm, above 0."""

_WAVELENGTH = ConstantRange(0.0, None, "a central wavelength in nm", low_open=True)


def check_constant(where: str, name: str, value: object, *,
                   indices: tuple[str, ...] = ()) -> None:
    """Refuse a value of constant ``name`` that is no finite number in its range.

    Parameters
    ----------
    where
        The key as the config spells it (``indices.constants.SAVI.L``).
    name
        The constant (``L``).
    value
        The value as YAML read it, before any conversion.
    indices
        The indices of the job that use the constant, for the message.

    Raises
    ------
    ConfigError
        Naming the key, the value, what is allowed and, for a range, the indices.
    """
    if name == "sigma" and isinstance(value, str) and value == SIGMA_FROM_DATA:
        return
    if not is_number(value):
        text = " (only 'sigma: data' is text: sigma = 0.5 * (N + R) per pixel)" \
            if name == "sigma" or isinstance(value, str) else ""
        raise ConfigError(f"{where}: {_not_a_number(value)}{text}")
    if not math.isfinite(value):
        raise ConfigError(f"{where}: {value} is not a finite number; give a number")
    allowed = _WAVELENGTH if is_wavelength_term(name) else CONSTANT_RANGES.get(name)
    if allowed is not None and not allowed.allows(float(value)):
        users = f", used by {', '.join(indices)}" if indices else ""
        raise ConfigError(
            f"{where}: {value:g} is not {allowed.describe()}, the range of {name} "
            f"({allowed.meaning}{users}); give a value in that range")


def is_number(value: object) -> TypeGuard[numbers.Real]:
    """Whether ``value`` is one real number: a Python ``int`` or ``float`` or a numpy scalar
    of one (``np.float32(0.5)``, ``np.int64(1)``, as a library caller's constants computed
    with numpy are), never a boolean. ``np.float32(0.5)`` was refused as "is not a
    number" (round 56)."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_)


def _not_a_number(value: object) -> str:
    """Why ``value`` (as YAML read it) is no number, and the number meant where one is."""
    if isinstance(value, bool | np.bool_):
        return (f"{str(bool(value)).lower()} is no number (YAML reads yes/no/on/off as "
                "true/false)")
    if value is None:
        return "no value (null); give a number"
    if isinstance(value, str):
        try:
            meant = float(value)
        except ValueError:
            return f"{value!r} is text, not a number"
        if not math.isfinite(meant):
            return f"{value} is not a finite number; give a number"
        if underflows_to_zero(value.strip(), meant):  # '1e-400': "write it as 0.0"
            return (f"{value!r} is text (an exponent without a dot, which YAML reads as "
                    "text), and as a number it is below the smallest one a config holds "
                    "(about 5e-324), read as 0; write 0.0 where zero is meant, or a value "
                    "of at least 1.0e-300")
        mantissa, e, exponent = repr(meant).partition("e")
        if e and "." not in mantissa:  # YAML 1.1 reads 2e-10 as text, 2.0e-10 as a number
            mantissa += ".0"
        return (f"{value!r} is text, not a number (quoted, or an exponent without a dot, "
                f"which YAML reads as text); write it as {mantissa}{e}{exponent}")
    shape = getattr(value, "shape", None)
    if isinstance(shape, tuple) and not isinstance(value, np.generic):
        # a numpy (or dask, xarray) array: np.array(0.5), np.median(band, axis=0)
        return (f"an array of shape {shape} ({type(value).__name__}) is not a number; give "
                "one number (float(x) of a single value)")
    return f"{value!r} is not a number"


def check_constants(constants: Mapping[str, object], uses: Mapping[str, tuple[str, ...]]
                    ) -> None:
    """:func:`check_constant` on every value of ``indices.constants`` as YAML read it: a
    number for every index, or a mapping of numbers under an index's name. ``uses``:
    constant -> the job's indices that use it."""
    for key, value in constants.items():
        if isinstance(value, Mapping):
            for name, inner in value.items():
                check_constant(f"indices.constants.{key}.{name}", str(name), inner,
                               indices=(key,))
        else:
            check_constant(f"indices.constants.{key}", key, value,
                           indices=uses.get(key, ()))
