"""Index-stage config and sensor band mappings."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from prospect.config._base import PlainName, StrictModel, check_not_reserved

__all__ = ["IndicesConfig", "SensorBand", "SensorConfig"]


def _check_sensor_file(path: Path) -> None:
    """Refuse a sensor path that names no readable file (a broken link says so) or a job
    config (the job itself: a reference that comes back to where it started).

    A broken link was "<its target>: config file not found", naming a file the config
    does not; ``sensor: job.yaml`` "missing required key 'bands'" and one "unknown key"
    line for each of the job's keys.
    """
    import os

    from prospect.config._base import load_yaml
    from prospect.errors import ProspectError
    from prospect.io.files import why_unreadable

    if not path.is_file():
        why = why_unreadable(path, "sensor file") if (os.path.lexists(path) or path.exists()) \
            else "not found"
        raise ValueError(f"sensor file {str(path)!r}: {why} (a relative path is taken from "
                         "the job file's folder; or give a shipped sensor's name)")
    try:
        data = load_yaml(path)
    except ProspectError:
        return  # load_sensor names the file's own problem
    if "bands" not in data and ({"region", "sources"} & set(data)):
        raise ValueError(
            f"sensor file {str(path)!r} is a job config (it has region and sources), not a "
            "sensor's band file (name, bands: {common name: {variable: ...}}, as in "
            "configs/sensors/); give a shipped sensor's name or the sensor YAML")


class IndicesConfig(StrictModel):
    """Spectral and mineral indices to add to the cube.

    Attributes
    ----------
    sensor
        Sensor whose band mapping turns common band names (B, G, R, N, S1, ...) into cube
        variables, e.g. ``sentinel2`` (a shipped name under ``configs/sensors/``), or a
        sensor YAML (a relative path is taken from the config file's folder).
    names
        Catalogue index names (``prospect indices --list``).
    custom
        User formulas over common band names, ``{NAME: "(S1 - S2) / (S1 + S2)"}``; parsed
        against a whitelist (ASCII only), never evaluated as Python, and resolved against
        the sensor when the job loads. A catalogue index's name, or a formula undefined in
        every cell (``N / 0``), is refused.
    bands
        Overrides of the sensor's band mapping: common name -> cube variable.
    constants
        Overrides of the catalogue constants (``L``, ``g``, ``sigma``, ``PAR``...) for every
        index, or for one index under its name: ``{SAVI: {L: 0.5}}`` leaves EVI's ``L``
        alone. ``{kNDVI: {sigma: data}}`` takes sigma = 0.5 (N + R) per pixel
        (Camps-Valls et al. 2021).
    backend
        ``auto`` picks the fastest available (GPU for GPU arrays, then fused CPU).
    nodata
        A band value meaning no data besides NaN (cube bands use NaN already).
    allow_out_of_range
        Compute reflectance indices even when an input band's median is outside -0.5..1.5
        (by default that stops the job: raw digital numbers or a missing scale).
    overwrite
        Replace index variables that exist in the cube with other settings or inputs
        (unchanged ones are always kept); ``false`` makes that an error instead.
    """

    sensor: str = "sentinel2"
    names: list[PlainName] = Field(default_factory=list)
    custom: dict[PlainName, str] = Field(default_factory=dict)
    bands: dict[str, PlainName] = Field(default_factory=dict)
    constants: dict[str, float | Literal["data"] | dict[str, float | Literal["data"]]] = Field(
        default_factory=dict)
    backend: Literal["auto", "reference", "numba", "cupy"] = "auto"
    nodata: float | None = Field(default=None, allow_inf_nan=True)
    allow_out_of_range: bool = False
    overwrite: bool = True

    @model_validator(mode="after")
    def _computes_something(self) -> IndicesConfig:
        if not (self.names or self.custom):
            raise ValueError("names no index: give 'names' (catalogue indices, e.g. [NDVI]; "
                             "'prospect indices --list' shows them) or 'custom' formulas")
        return self

    @model_validator(mode="after")
    def _custom_formulas_plan(self) -> IndicesConfig:
        """Resolve the custom formulas as the stage will (sensor, band mapping, constants):
        a band the sensor does not map, a formula reading no band or undefined in every
        cell, a custom name a variable cannot have or a catalogue index's were found only
        when the indices stage ran, after ingest, without the config file's name. (The
        catalogue indices' constants are still checked by the stage.)"""
        from prospect.indices.plan import plan_indices

        if self.custom:
            constants = {k: v for k, v in self.constants.items()
                         if not isinstance(v, dict) or k in self.custom}
            plan_indices([], sensor=self.sensor, custom=self.custom, bands=self.bands,
                         constants=constants,  # ConfigError, FormulaError: ValueErrors
                         refuse_undefined=True)
        return self

    @field_validator("sensor")
    @classmethod
    def _sensor_file_beside_config(cls, value: str, info: ValidationInfo) -> str:
        """A shipped sensor, or a sensor YAML, which a relative path finds beside the config
        like every other path in it (it was looked up in the working directory)."""
        from pathlib import Path

        from prospect.indices.bands import load_sensor

        base = (info.context or {}).get("base_dir")
        if value.endswith((".yaml", ".yml")) and base is not None:
            path = Path(value).expanduser()
            if not path.is_absolute():
                value = str(Path(base) / path)
        if value.endswith((".yaml", ".yml")):
            _check_sensor_file(Path(value))
        load_sensor(value)  # an unknown sensor is named at this key (a ConfigError)
        return value

    @field_validator("names")
    @classmethod
    def _names_known(cls, value: list[str]) -> list[str]:
        from prospect.indices.plan import check_index_names

        check_index_names(value)  # ConfigError is a ValueError: at load, before any stage
        return value

    @field_validator("custom")
    @classmethod
    def _formulas_parse(cls, value: dict[str, str]) -> dict[str, str]:
        from prospect.indices.formula import parse_formula

        for name, formula in value.items():
            parse_formula(formula, name=name)  # FormulaError is a ValueError
        check_not_reserved(value, "custom index names")
        return value

    @field_validator("constants", mode="before")
    @classmethod
    def _constants_are_numbers(cls, value: Any, info: ValidationInfo) -> Any:
        """Each value a finite number in the constant's range (``sigma: data`` aside), as
        YAML read it: pydantic would take ``true`` for 1 and ``'0.5'`` for 0.5."""
        from prospect.indices.catalogue import load_catalogue
        from prospect.indices.constants import check_constants

        if not isinstance(value, dict):
            return value  # pydantic names the type
        catalogue = load_catalogue()
        uses: dict[str, list[str]] = {}
        for name in info.data.get("names") or []:
            for constant in catalogue[name].constants if name in catalogue else ():
                uses.setdefault(constant, []).append(name)
        check_constants(value, {k: tuple(v) for k, v in uses.items()})
        return value


class SensorBand(StrictModel):
    """One band of a sensor: the cube variable holding it and its central wavelength."""

    variable: str = Field(min_length=1)
    wavelength_nm: float | None = Field(default=None, gt=0)


class SensorConfig(StrictModel):
    """A sensor's band mapping (``configs/sensors/<name>.yaml``).

    Attributes
    ----------
    name
        Sensor name, e.g. ``sentinel2``.
    title
        Human-readable name.
    aliases
        Other names accepted for this sensor (``landsat9`` for ``landsat8``).
    bands
        Common band name -> :class:`SensorBand`.
    """

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    title: str = ""
    aliases: list[str] = Field(default_factory=list)
    bands: dict[str, SensorBand]
