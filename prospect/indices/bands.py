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

__all__ = ["band_variables", "band_words", "is_sensor", "list_sensors", "load_sensor",
           "sensors_with", "wavelengths"]


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


_ASTER_BANDS = {
    "SW5": ("ASTER SWIR band 5", 2145, 2185), "SW6": ("ASTER SWIR band 6", 2185, 2225),
    "SW7": ("ASTER SWIR band 7", 2235, 2285), "SW8": ("ASTER SWIR band 8", 2295, 2365),
    "SW9": ("ASTER SWIR band 9", 2360, 2430), "TIR10": ("ASTER TIR band 10", 8125, 8475),
    "TIR11": ("ASTER TIR band 11", 8475, 8825), "TIR12": ("ASTER TIR band 12", 8925, 9275),
    "TIR13": ("ASTER TIR band 13", 10250, 10950),
    "TIR14": ("ASTER TIR band 14", 10950, 11650),
}
"""Prospect's common names of ASTER's narrow SWIR and TIR bands: what each is, its range
in nm (Abrams 2000)."""


@cache
def _band_table() -> dict[str, tuple[str, float, float]]:
    import json
    from importlib.resources import files

    raw = json.loads((files("prospect.indices") / "data" / "bands.json")
                     .read_text(encoding="utf-8"))
    table = {k: (str(v["long_name"]).replace("Aersols", "Coastal aerosol"),
                 float(v["min_wavelength"]), float(v["max_wavelength"]))
             for k, v in raw.items()}
    table.update({k: (n, float(a), float(b)) for k, (n, a, b) in _ASTER_BANDS.items()})
    return table


def band_words(common: str) -> str:
    """What a common band name is, for messages: ``'Red Edge 1, 695-715 nm'``; '' for a
    name that is no common band."""
    known = _band_table().get(common)
    if known is None:
        return ""
    name, low, high = known
    return f"{name}, {low:g}-{high:g} nm"


def sensors_with(common: str) -> list[str]:
    """The shipped sensors whose mapping holds the common band name ``common``."""
    return [s for s in list_sensors() if common in load_sensor(s).bands]
