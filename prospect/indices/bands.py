"""Sensor band mappings: common band names (B, G, R, N, S1...) to cube variables.

Shipped mappings live in ``configs/sensors/<name>.yaml`` (see
:class:`prospect.config.indices.SensorConfig`); a path to a YAML file works too.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from prospect.config._base import load_yaml, validate_mapping
from prospect.config.indices import SensorConfig
from prospect.config.job import config_dir
from prospect.errors import ConfigError

__all__ = ["band_variables", "band_words", "is_sensor", "list_sensors", "load_sensor",
           "sensor_file", "sensor_meant", "sensors_with", "wavelengths"]


def _sensor_dir() -> Path:
    return config_dir() / "sensors"


def list_sensors() -> list[str]:
    """Names of the shipped sensor mappings."""
    return sorted(p.stem for p in _sensor_dir().glob("*.yaml"))


def _aliases() -> dict[str, str]:
    """Alias (lower case) -> shipped sensor name, of the sensor files in the sensors
    folder as they are now.

    Kept by the folder and each file's version (:func:`_version`), not once per process:
    a ``$PROSPECT_CONFIG_DIR`` sensor given an alias, or an alias moved to another sensor
    (a site's ``l8`` from its own mapping to the shipped one), in an open session (a
    notebook, a ``prospect serve``) went on naming the first reading's sensor: the old
    band mapping's values, without a word, or "unknown sensor" of the alias just written.
    So did a ``$PROSPECT_CONFIG_DIR`` changed in the session.
    """
    files = sorted(_sensor_dir().glob("*.yaml"))
    return _aliases_of(tuple((path, _version(path)) for path in files))


@cache
def _aliases_of(files: tuple[tuple[Path, tuple[int, ...] | None], ...]) -> dict[str, str]:
    """The aliases of the sensor ``files`` (each with its :func:`_version`), for
    :func:`_aliases`."""
    return {alias: owners[-1] for alias, owners in _owners_of(files).items()}


def _alias_owners() -> dict[str, tuple[str, ...]]:
    """Alias (lower case) -> the sensor files (their names) in the sensors folder that list
    it, as :func:`_aliases` reads them."""
    files = sorted(_sensor_dir().glob("*.yaml"))
    return _owners_of(tuple((path, _version(path)) for path in files))


@cache
def _owners_of(files: tuple[tuple[Path, tuple[int, ...] | None], ...]
               ) -> dict[str, tuple[str, ...]]:
    """Alias (lower case) -> the names of the sensor ``files`` that list it, in the
    files' order."""
    out: dict[str, list[str]] = {}
    for path, _ in files:
        for alias in _load_path(path).aliases:
            owners = out.setdefault(alias.lower(), [])
            if path.stem not in owners:
                owners.append(path.stem)
    return {alias: tuple(owners) for alias, owners in out.items()}


def _refuse_shared_alias(text: str, key: str, named: bool) -> None:
    """Refuse a sensor named by an alias that two or more sensor files list, or that one
    lists while another file has it as its name (``named``).

    A site's copy of a shipped mapping (``sentinel2_l1c.yaml``, made from
    ``sentinel2.yaml`` for another product's variables) keeps the copied ``aliases:``:
    ``sensor: s2`` then read whichever file sorted last, the copy's band variables
    for the shipped sensor's or the other way about, without a word; an alias that is
    another file's name read that file, the alias never (round 53).

    Raises
    ------
    ConfigError
        Naming the alias, the files that give it and the fix.
    """
    listing = [name for name in _alias_owners().get(key, ()) if name != key]
    owners = ([key] if named else []) + listing
    if len(owners) < 2:
        return
    files = ", ".join(
        f"{name}.yaml is named so" if named and name == key
        else f"{name}.yaml lists it under 'aliases:'" for name in owners)
    names = " or ".join(repr(name) for name in owners)
    raise ConfigError(
        f"sensor {text!r} names {len(owners)} sensor files in {_sensor_dir()}: {files}; "
        f"which band mapping it means is unknown: name the sensor by its file's name "
        f"({names}), and keep an alias in one file's 'aliases:' only, never "
        "another file's name (a copied sensor file keeps the aliases of the one it was "
        "copied from)")


def _version(path: Path) -> tuple[int, ...] | None:
    """The identity and last change of the file at ``path`` (its device, inode, size,
    modification and change times); ``None`` when it cannot be stat'ed."""
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _load_path(path: Path) -> SensorConfig:
    """The sensor mapping in the YAML file at ``path``, read again when the file changed.

    Kept by the file's identity and last change (:func:`_version`), not by its path
    alone: a sensor file fixed in an open Python session (a notebook,
    ``compute_indices(ds, ["NDVI"], sensor="my-sensor.yaml")`` run again after swapping
    ``R`` and ``N``) was the first reading's, so the same wrong NDVI came back without a
    word, and a file made invalid was still taken. A file that cannot be stat'ed is read
    each time (and refused by :func:`~prospect.config._base.load_yaml`).
    """
    version = _version(path)
    if version is None:
        return validate_mapping(SensorConfig, load_yaml(path), source=str(path))
    return _load_version(path, version)


@cache
def _load_version(path: Path, version: tuple[int, ...]) -> SensorConfig:
    """The mapping of ``path`` as it was at ``version`` (:func:`_load_path`)."""
    return validate_mapping(SensorConfig, load_yaml(path), source=str(path))


def load_sensor(name_or_path: str | Path) -> SensorConfig:
    """Load a sensor mapping by shipped name or alias (``landsat9``) or by YAML path.

    Raises
    ------
    ConfigError
        When the sensor is unknown; the message lists the shipped sensors.
    """
    text = str(name_or_path)
    path = sensor_file(text)
    if path is None and not list_sensors():  # "shipped sensors:  (aliases: )"
        from prospect.config.job import no_shipped

        raise ConfigError(f"unknown sensor {text!r}: {no_shipped('sensors')}; or give a path "
                          "to a sensor YAML")
    if path is None:
        raise ConfigError(
            f"unknown sensor {text!r}; {sensor_meant(text)}shipped sensors: "
            f"{', '.join(list_sensors())} (aliases: {', '.join(sorted(_aliases()))}); "
            "or give a path to a sensor YAML"
        )
    return _load_path(path)


def sensor_file(name_or_path: str | Path) -> Path | None:
    """The YAML file :func:`load_sensor` reads a sensor from: a shipped name or alias in
    the sensors folder (``$PROSPECT_CONFIG_DIR/sensors`` where set), or a YAML path as
    given (made absolute); ``None`` for a name that is no shipped sensor or alias.
    An alias two sensor files list, or one lists beside another file of that name, is
    refused (:func:`_refuse_shared_alias`).

    A job's indices are made from the mapping this file holds, whichever way the sensor
    is named, so a run records the file as an input of its indices stage.
    """
    text = str(name_or_path)
    if Path(text).suffix.lower() in (".yaml", ".yml"):  # S2.YAML from a Windows share too
        return Path(text).resolve()
    key = text.lower()
    path = _sensor_dir() / f"{key}.yaml"
    _refuse_shared_alias(text, key, named=path.is_file())
    if not path.is_file():
        key = _aliases().get(key, key)
        path = _sensor_dir() / f"{key}.yaml"
    return path if path.is_file() else None


def _squeezed(text: str) -> str:
    """``text`` in lower case without spaces, ``-``, ``_``, ``.`` or ``/``: ``landsat8``
    for ``Landsat 8``, ``sentinel2l2a`` for ``Sentinel-2 L2A``."""
    return re.sub(r"[\s_\-./]+", "", text.lower())


_SCENE_ID = re.compile(r"^l([cote])0?([4-9])(?![0-9])")
"""A Landsat product id's sensor and satellite (``LC09``, ``LE07``, ``LT5``): C OLI and
TIRS, O OLI, T TM (TIRS alone on Landsat 8 and 9), E ETM+."""

_LANDSAT_SHIPPED = {"4": "landsat5", "5": "landsat5", "7": "landsat7", "8": "landsat8",
                    "9": "landsat8"}
"""The shipped sensor of each Landsat satellite (TM on 4 and 5; OLI on 8 and 9)."""

_PLATFORM_ID = re.compile(r"^s([12])[a-d](?![0-9])|^ast(?=l1|l2|0[0-9]|$)")
"""A Sentinel satellite written as its unit (``S2A``, ``S1B``) or ASTER as its products'
prefix (``AST_L1T``, ``AST_07XT``)."""


def sensor_meant(text: str) -> str:
    """``"did you mean 'landsat8' (Landsat 8/9 OLI-TIRS)? ...; "`` for a sensor written
    as users write it that names no shipped sensor or alias as written; ``""`` when none
    is meant.

    ``Landsat 8`` (a space), ``landsat_8``, ``Sentinel-2 L2A`` (a product level),
    ``Landsat 9 OLI`` (an instrument), ``LC09`` (a Landsat product id's sensor and
    satellite), ``S2A`` or ``sentinal2`` were "unknown sensor" and a list of 27 names and
    aliases, none of them said to be the one meant. A name whose digits differ from the
    shipped one's (``sentinel3``, ``landsat99``) is another satellite: nothing is meant.

    Parameters
    ----------
    text
        The sensor as written (a config's ``sensor:`` or ``--sensor``).
    """
    import difflib

    written = _squeezed(text)
    if not written:
        return ""
    keys = {_squeezed(name): name for name in list_sensors()}
    keys.update({_squeezed(alias): name for alias, name in _aliases().items()})
    why = ""
    meant = keys.get(written)
    if meant is not None:
        why = "a sensor is given by its name or an alias as listed, without spaces or '_'"
    elif (scene := _SCENE_ID.match(written)) is not None:
        instrument, satellite = scene.groups()
        meant = _LANDSAT_SHIPPED.get(satellite) if instrument != "m" else None
        why = (f"{_written_span(text, 0, scene.end())!r} is a Landsat product id's sensor "
               f"and satellite (Landsat {satellite})")
    elif (unit := _PLATFORM_ID.match(written)) is not None:
        meant = f"sentinel{unit.group(1)}" if unit.group(1) else "aster"
        meant = meant if meant in list_sensors() else None
        why = "a sensor is named by its mission, not by one satellite or product"
    else:
        for key in sorted(keys, key=len, reverse=True):
            rest = written[len(key):]
            if written.startswith(key) and rest[:1].isalpha():
                meant = keys[key]
                why = "a sensor is named by its mission, not by one satellite or product" \
                    if re.fullmatch(r"[a-d]", rest) and key[-1:].isdigit() else \
                    ("a sensor is named without its product level or instrument "
                     f"({_written_span(text, len(key), len(written))!r})")
                break
        else:
            digits = re.sub(r"\D", "", written)
            close = [key for key in difflib.get_close_matches(written, keys, n=3,
                                                              cutoff=0.75)
                     if re.sub(r"\D", "", key) == digits]
            if close:
                meant = keys[close[0]]
    if meant is None:
        return ""
    title = _load_path(_sensor_dir() / f"{meant}.yaml").title
    return f"did you mean {meant!r}{', ' + title if title else ''}?{' ' + why if why else ''}; "


def _written_span(text: str, start: int, end: int) -> str:
    """The part of ``text`` as written that holds characters ``start`` to ``end`` of its
    :func:`_squeezed` form (``'L2A'`` of ``'Sentinel-2 L2A'``, 9 to 12)."""
    kept = [i for i, char in enumerate(text) if _squeezed(char)]
    if end <= start or end > len(kept):
        return text.strip()
    return text[kept[start]:kept[end - 1] + 1]


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
