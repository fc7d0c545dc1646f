"""Economic screening config: brine lithium as t LCE per year per geothermal doublet."""

from __future__ import annotations

from pydantic import Field, field_validator

from prospect.config._base import PlainName, StrictModel

__all__ = ["MAX_DENSITY_KG_PER_L", "EconomicsConfig"]

MAX_DENSITY_KG_PER_L = 3.0
"""Densest brine accepted, kg/L (brines are 1.0-1.3 kg/L): ``density_kg_per_l: 1000`` (the
density in kg/m3) multiplied a ppm surface's tonnages by 1000 without a word."""


class EconomicsConfig(StrictModel):
    """Turn a lithium concentration surface into t LCE/yr per doublet (see prospect.economics).

    Attributes
    ----------
    concentration
        Cube variable of lithium in the brine (a kriged surface); its ``units`` must be a
        lithium concentration: mg/L, ug/L, ppm or mg/kg.
    variance
        Its kriging variance (default ``<concentration>_variance``), in the square of a
        concentration unit.
    density_kg_per_l
        Brine density: mg/L = mg/kg (ppm) x density. Used only for a surface in ppm or
        mg/kg; a surface in mg/L or ug/L needs none.
    flow_m3_per_h
        Brine flow per doublet. Default 150 m3/h: the production tested at the Den Haag
        Zuidwest doublet (2010), a Dutch geothermal well of ordinary size.
    hours_per_year
        Operating hours a year (8000: about 91 % uptime; an assumption).
    recovery
        Share of the dissolved lithium the extraction recovers (0.8: an assumption for
        direct lithium extraction; set your process's figure).
    cutoff_t_lce_per_year
        Economic cut-off per doublet (t LCE/yr); an assumption to set per study.
    confidence_z
        One-sided z of the too-low / above classes (1.645: 95 %, 3.09: 99.9 %; the report
        states ``ndtr(z)``).
    """

    concentration: PlainName
    variance: PlainName | None = None
    density_kg_per_l: float = Field(default=1.0, gt=0)
    flow_m3_per_h: float = Field(default=150.0, gt=0)
    hours_per_year: float = Field(default=8000.0, gt=0, le=8784)
    recovery: float = Field(default=0.8, gt=0, le=1)
    cutoff_t_lce_per_year: float = Field(default=500.0, gt=0)
    confidence_z: float = Field(default=1.645, gt=0)

    @field_validator("density_kg_per_l")
    @classmethod
    def _density_in_kg_per_l(cls, value: float) -> float:
        if value > MAX_DENSITY_KG_PER_L:
            raise ValueError(
                f"{value:g} kg/L is no brine density (brines are 1.0-1.3 kg/L; at most "
                f"{MAX_DENSITY_KG_PER_L:g}): a density in kg/m3 divided by 1000 is kg/L")
        return value

    @property
    def variance_variable(self) -> str:
        """The cube variable holding the concentration's kriging variance."""
        return self.variance or f"{self.concentration}_variance"
