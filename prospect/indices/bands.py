"""Sensor band mappings: common band names (B, G, R, N, S1...) to cube variables.

Shipped mappings live in ``configs/sensors/<name>.yaml`` (see
:class:`prospect.config.indices.SensorConfig`); a path to a YAML file works too.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from prospect.config._base import load_yaml, validate_mapping
from prospect.config.indices import SensorConfig
from prospect.config.job import config_dir
from prospect.errors import ConfigError

__all__ = ["band_variables", "is_sensor", "list_sensors", "load_sensor", "wavelengths"]


def _sensor_dir() -> Path:
    return config_dir() / "sensors"


def list_sensors() -> list[str]:
    """Names of the shipped sensor mappings."""
    return sorted(p.stem for p in _sensor_dir().glob("*.yaml"))


@cache
def _aliases() -> dict[str, str]:
    out: dict[str, str] = {}
    for name in list_sensors():
        for alias in _load_path(_sensor_dir() / f"{name}.yaml").aliases:
            out[alias.lower()] = name
    return out


@cache
def _load_path(path: Path) -> SensorConfig:
    return validate_mapping(SensorConfig, load_yaml(path), source=str(path))


def load_sensor(name_or_path: str | Path) -> SensorConfig:
    """Load a sensor mapping by shipped name or alias (``landsat9``) or by YAML path.

    Raises
    ------
    ConfigError
        When the sensor is unknown; the message lists the shipped sensors.
    """
    text = str(name_or_path)
    if Path(text).suffix.lower() in (".yaml", ".yml"):  # S2.YAML from a Windows share too
        return _load_path(Path(text).resolve())
    key = text.lower()
    path = _sensor_dir() / f"{key}.yaml"
    if not path.is_file():
        key = _aliases().get(key, key)
        path = _sensor_dir() / f"{key}.yaml"
    if not path.is_file():
        raise ConfigError(
            f"unknown sensor {text!r}; shipped sensors: {', '.join(list_sensors())} "
            f"(aliases: {', '.join(sorted(_aliases()))}); or give a path to a sensor YAML"
        )
    return _load_path(path)


def is_sensor(sensor: str | None, name: str) -> bool:
    """Whether a config's ``sensor`` (a shipped name, an alias or a YAML path) is the
    shipped sensor ``name``; ``False`` for none or an unknown one (refused elsewhere)."""
    if not sensor:
        return False
    try:
        return load_sensor(sensor).name.lower() == name
    except ValueError:  # ConfigError: an unknown sensor is not this one
        return False


def band_variables(sensor: SensorConfig, overrides: dict[str, str] | None = None) -> dict[str, str]:
    """Common band name -> cube variable for ``sensor``, with ``overrides`` applied."""
    mapping = {common: band.variable for common, band in sensor.bands.items()}
    mapping.update(overrides or {})
    return mapping


def wavelengths(sensor: SensorConfig) -> dict[str, float]:
    """``lambda<common>`` -> central wavelength in nm, for the bands that give one."""
    return {f"lambda{common}": band.wavelength_nm for common, band in sensor.bands.items()
            if band.wavelength_nm is not None}
