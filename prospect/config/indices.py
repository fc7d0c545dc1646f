"""Index-stage config and sensor band mappings."""

from __future__ import annotations

import functools
import math
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from prospect.config._base import (
    PlainName,
    StrictModel,
    _file_only,
    check_not_reserved,
    home_expanded,
    shadowing_file,
)

__all__ = ["IndicesConfig", "SensorBand", "SensorConfig", "known_sensor", "shipped_sensor"]


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
        from prospect.io.files import name_written_otherwise

        otherwise = name_written_otherwise(path)  # ``MySensor.yml`` for ``mysensor.yaml``
        why = why_unreadable(path, "sensor file") if (os.path.lexists(path) or path.exists()) \
            else "not found" + (f" ({otherwise})" if otherwise else "")
        shipped = shipped_sensor(path.stem)
        if shipped and not otherwise and not os.path.lexists(path):
            # ``sensor: sentinel2.yaml`` or ``configs/sensors/sentinel2.yaml`` (the shipped
            # file's path, copied from the repository) was "not found ...; or give a
            # shipped sensor's name", without saying that this is one
            raise ValueError(f"sensor file {str(path)!r}: not found; {path.stem!r} names a "
                             "shipped sensor, which is given by its name, not a file: write "
                             f"sensor: {shipped}")
        raise ValueError(f"sensor file {str(path)!r}: {why} (a relative path is taken from "
                         "the job file's folder; or give a shipped sensor's name)")
    try:
        data = load_yaml(path)
    except ProspectError:
        return  # load_sensor names the file's own problem
    from prospect.config.job import kind_of_config

    kinds = {"job": "a job config (it has region and sources)",
             "region": "a region file (a grid: crs, resolution, bounds)",
             "serve": "a tile server's config", "cluster": "cluster settings",
             "manifest": "a run's manifest.json (the record of a job's stages)"}
    kind = kind_of_config(data) if "bands" not in data else ""
    if kind in kinds:
        raise ValueError(
            f"sensor file {str(path)!r} is {kinds[kind]}, not a sensor's band file (name, "
            "bands: {common name: {variable: ...}}, as in configs/sensors/); give a "
            "shipped sensor's name or the sensor YAML")


def shipped_sensor(name: str) -> str | None:
    """The shipped sensor ``name`` names (its name or an alias, in any case), or ``None``.

    Parameters
    ----------
    name
        A sensor's name as written, e.g. a file name's stem (``sentinel2``, ``L8``).
    """
    from prospect.errors import ProspectError
    from prospect.indices.bands import load_sensor

    try:
        return load_sensor(name).name
    except (ProspectError, ValueError, OSError):
        return None


def known_sensor(value: str, base: Path | str | None) -> str:
    """``value``, a shipped sensor's name or alias, or a sensor YAML's path (a relative one
    taken from the config file's folder, ``base``, and returned joined to it); refused
    when it names no sensor.

    A source's ``sensor: my-sensor.yaml`` was looked up in the working directory (the
    indices section's beside the config), so a job run from another folder read another
    file or none; a file ending in ``.YAML`` (a Windows editor's) was "unknown sensor",
    as though it were a name (:func:`~prospect.indices.bands.load_sensor` reads it now).

    Raises
    ------
    ValueError
        (a :class:`~prospect.errors.ConfigError` among them) naming the sensor or file.
    """
    from prospect.indices.bands import load_sensor

    if Path(value).suffix.lower() in (".yaml", ".yml"):
        _file_only(value)  # a URL was "sensor file '/jobs/https:/host/s.yaml': not found"
        path = home_expanded(value)
        if not path.is_absolute() and base is not None:
            value = str(Path(base) / path)
        _check_sensor_file(Path(value))
    load_sensor(value)  # an unknown sensor is named at this key (a ConfigError)
    if Path(value).suffix.lower() not in (".yaml", ".yml"):
        from prospect.config.job import config_dir

        # an edited copy of the shipped file beside the config, under the same name
        why = shadowing_file(value, base, "sensors", config_dir() / "sensors" /
                             f"{value}.yaml")
        if why:
            raise ValueError(why)
    return value


_BETWEEN_VARIABLES = re.compile(r"[\s,;|+&]+")
"""What separates two variables written as one band's in a job (``B08, B8A``, ``B08
B8A``, ``B08+B8A``): no variable of a job's cube holds it (ingest names them of letters,
digits and ``_``)."""

_BETWEEN_LISTED = re.compile(r"\s*[,;]\s*")
"""What separates two variables in a sensor file's ``variable:`` (a list's comma; a
dataset given to :func:`~prospect.indices.compute_indices` may name a variable with
spaces)."""


def _one_variable(where: str, key: str, variable: str,
                  between: re.Pattern[str] = _BETWEEN_VARIABLES) -> str:
    """``variable`` if it names one cube variable, else ``ValueError`` naming each.

    ``indices.bands: {N: 'B08, B8A'}`` (both near-infrared bands of Sentinel-2, for one
    to be taken) loaded and ran ingest; the indices stage then found no variable
    ``'B08, B8A'`` in the cube (round 53).
    """
    parts = [part for part in between.split(variable) if part]
    if len(parts) < 2:
        return variable
    raise ValueError(
        f"{where}{variable!r} names {len(parts)} variables ({', '.join(parts)}), and a "
        f"common band name reads one cube variable: write one of them ({key}: "
        f"{parts[0]}); to read another in a custom formula, give it a common name of "
        "its own")


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

    @model_validator(mode="before")
    @classmethod
    def _custom_not_listed(cls, data: Any) -> Any:
        """Refuse a custom formula's name listed in ``names`` (``custom: {X: N - R}``,
        ``names: [X]``): ``names`` takes catalogue indices only, so the index defined two
        lines above was "unknown index 'X' in indices.names; see 'prospect indices
        --list'", a list without it. Custom indices are computed without being listed."""
        if not isinstance(data, dict):
            return data
        names, custom = data.get("names"), data.get("custom")
        if not isinstance(names, list) or not isinstance(custom, dict):
            return data
        from prospect.indices.catalogue import load_catalogue

        catalogue = load_catalogue()
        keys = {k.lower(): k for k in custom if isinstance(k, str)}
        for name in names:
            if not isinstance(name, str) or name in catalogue or name.lower() not in keys:
                continue
            key = keys[name.lower()]
            raise ValueError(
                f"indices.names lists {name!r}, the custom formula indices.custom.{key}: "
                "names takes catalogue indices only, and custom ones are computed without "
                f"being listed; remove {name!r} from indices.names")
        return data

    @field_validator("bands")
    @classmethod
    def _one_variable_per_band(cls, value: dict[str, str]) -> dict[str, str]:
        """Each common name mapped to one cube variable (:func:`_one_variable`)."""
        for common, variable in value.items():
            _one_variable(f"indices.bands.{common}: ", common, variable)
        return value

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

    @model_validator(mode="after")
    def _catalogue_bands(self) -> IndicesConfig:
        """Each catalogue index's bands on the job's sensor (and band mapping): NDCI on
        ``landsat7`` (no red-edge band) loaded, ran ingest, and was refused only by the
        indices stage. Planned by band alone, one index at a time: the constants some
        take from the data (``kNDVI``'s ``sigma: data``) are the stage's to judge."""
        from prospect.errors import ConfigError
        from prospect.indices.plan import plan_indices

        for name in self.names:
            try:
                plan_indices([name], sensor=self.sensor, bands=self.bands)
            except ConfigError as exc:
                if "needs band" in str(exc) or "does not have" in str(exc):
                    raise
                if "reads the central wavelength" in str(exc) and not any(
                        str(k).startswith("lambda") for k in self.constants):
                    raise  # a sensor file without a band's wavelength_nm (FAI's lambdaN)
                if "has no default" in str(exc) and self._unset_constants(name):
                    raise  # NIRvP's PAR: refused by 'prospect plan' without the file
        if self.names and (self.bands or self.constants):
            # a key of bands or constants no index reads (``bands: {B8: nir}``, the
            # sensor's own name of N): with catalogue indices only it was refused by the
            # indices stage, after ingest had run, without the config file's name
            try:
                plan_indices(self.names, sensor=self.sensor, custom=self.custom,
                             bands=self.bands, constants=self.constants)
            except ConfigError as exc:
                if str(exc).startswith(("indices.bands.", "indices.constants.")) and \
                        "no index uses" in str(exc):
                    raise
                if "wherever its bands hold data" in str(exc):
                    raise  # WDRVI with 'alpha: 0': -1 in every cell, found after ingest
        return self

    def _unset_constants(self, name: str) -> list[str]:
        """The constants catalogue index ``name`` reads that have no default and that
        ``constants`` gives neither for every index nor under ``name`` (round 56)."""
        from prospect.indices.catalogue import constant_defaults, load_catalogue
        from prospect.indices.formula import variables

        entry = load_catalogue().get(name)
        if entry is None:
            return []
        defaults = constant_defaults()
        own = self.constants.get(name)
        given = {k for k, v in self.constants.items() if not isinstance(v, dict)} | (
            set(own) if isinstance(own, dict) else set())
        return [n for n in variables(entry.expr)
                if n in defaults and defaults[n] is None and n not in given]

    @model_validator(mode="after")
    def _constant_keys(self) -> IndicesConfig:
        """A constant named like a band (``N: 0.3`` replaced band N by 0.3 in every cell)
        or one an index does not read (``SAVI: {l: 0.5}`` left SAVI's L at 1): refused when
        the job loads, naming the key, for catalogue and custom indices alike."""
        from prospect.indices.plan import check_job_constants

        if self.constants:
            check_job_constants(self.names, self.custom, self.constants, sensor=self.sensor,
                                bands=self.bands)  # ConfigError: a ValueError
        return self

    @field_validator("nodata", mode="before")
    @classmethod
    def _nodata_as_written(cls, value: Any) -> Any:
        """Refuse a no-data value written as a number that reads as another: ``1e400``
        (YAML 1.1's text, no dot) was taken as infinity, ``1e-400`` as 0, so every cell
        of value 0 was no data; ``.inf`` and ``-.inf`` are taken as written."""
        if not isinstance(value, str):
            return value
        from prospect.config._base import underflows_to_zero

        try:
            number = float(value.strip())
        except ValueError:
            return value
        if math.isinf(number) and "inf" not in value.lower():
            raise ValueError(
                f"{value.strip()} is beyond the largest number a config holds (about "
                "1.8e308) and reads as infinity, not as written; give the bands' fill value "
                f"(gdalinfo's 'NoData Value'), or write {'-' if number < 0 else ''}.inf "
                "where infinity is meant")
        if underflows_to_zero(value.strip(), number):
            raise ValueError(
                f"{value.strip()} is below the smallest number a config holds (about "
                "5e-324) and reads as 0, so every cell of value 0 would be no data; give "
                "the bands' fill value (gdalinfo's 'NoData Value'), or write 0.0 where zero "
                "is meant")
        return value

    @field_validator("sensor")
    @classmethod
    def _sensor_file_beside_config(cls, value: str, info: ValidationInfo) -> str:
        """A shipped sensor, or a sensor YAML, which a relative path finds beside the config
        like every other path in it (it was looked up in the working directory)."""
        return known_sensor(value, (info.context or {}).get("base_dir"))

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

    @field_validator("variable")
    @classmethod
    def _one_variable(cls, value: str) -> str:
        """One cube variable, not two written as one (:func:`_one_variable`)."""
        return _one_variable("", "variable", value, _BETWEEN_LISTED)


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
        Common band name -> :class:`SensorBand`. A band's ``wavelength_nm`` must lie in
        (or within 5 % of) the range of its common name in the Awesome Spectral Indices
        (``N`` 760-900 nm): a list whose names contradict its wavelengths (red and near
        infrared swapped) is refused, as is a wavelength in micrometres, and one variable
        given to two names at wavelengths more than 1 % apart (two bands read as one).
    """

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    title: str = ""
    aliases: list[str] = Field(default_factory=list)
    bands: dict[str, SensorBand]

    @field_validator("bands", mode="before")
    @classmethod
    def _bands_by_common_names(cls, value: Any) -> Any:
        """Refuse a band keyed by its name in words or in another case (``nir:``, ``red:``,
        ``n:``) and a band given as its variable alone (``R: red``, the form of a job's
        ``indices.bands``). The first loaded as a band no index reads: NDVI was told the
        sensor "does not have" N (its bands: ``nir``...) and sent to another sensor; the
        second was pydantic's "Input should be a valid dictionary or instance of
        SensorBand", without the form meant."""
        if not isinstance(value, dict):
            return value
        problems: list[str] = []
        for common, band in value.items():
            meant = _common_name_meant(str(common))
            if meant:
                held = band.get("variable", "...") if isinstance(band, dict) else "..."
                problems.append(
                    f"band {common!r} is not a common band name, and a formula reads the "
                    f"common name ({meant}, {_band_ranges()[meant][2]}): write {meant}: "
                    f"{{variable: {held}, ...}}")
            if isinstance(band, str | int | float) and not isinstance(band, bool):
                problems.append(
                    f"band {common!r}: {band!r} alone is no band of a sensor file, which "
                    "gives each common name its variable and wavelength: write "
                    f"{meant or common}: {{variable: {band}, wavelength_nm: <nm>}} (the form "
                    f"'{common}: {band}' is a job's indices.bands)")
        if problems:
            raise ValueError("; ".join(problems))
        return value

    @field_validator("bands")
    @classmethod
    def _wavelengths_fit_names(cls, value: dict[str, SensorBand]) -> dict[str, SensorBand]:
        """Refuse a band whose wavelength contradicts its common name (it was taken: a
        copied sensor file with ``R`` and ``N`` swapped computed every NDVI with the sign
        turned, and ``wavelength_nm: 0.865``, micrometres, made ``lambdaN`` 1000 times too
        small, each without a word)."""
        problems = [p for common, band in value.items()
                    if (p := _wavelength_problem(common, band.wavelength_nm))]
        if problems:
            raise ValueError("; ".join(problems))
        return value

    @field_validator("bands")
    @classmethod
    def _one_wavelength_per_variable(cls, value: dict[str, SensorBand]
                                     ) -> dict[str, SensorBand]:
        """Refuse a variable given to two common names at wavelengths more than
        :data:`SHARED_VARIABLE_SLACK` apart (round 52): ``R: {variable: b3, wavelength_nm:
        655}`` beside ``N: {variable: b3, wavelength_nm: 842}`` (a typo for b4) loaded, and
        every index of ``N`` without ``R`` (NDWI, GNDVI) read the red band as near
        infrared without a word. One band under two names at one wavelength (Landsat 8's
        ``N`` and ``N2``, both ``B5`` at 865 nm) is kept."""
        held: dict[str, list[tuple[str, float]]] = {}
        for common, band in value.items():
            if band.wavelength_nm is not None:
                held.setdefault(band.variable, []).append((common, band.wavelength_nm))
        problems = []
        for variable, names in held.items():
            low, high = min(w for _, w in names), max(w for _, w in names)
            if high - low > SHARED_VARIABLE_SLACK * low:
                said = " and ".join(f"{c} ({w:g} nm)" for c, w in names)
                problems.append(
                    f"variable {variable!r} is given to {said}, and one variable holds one "
                    "band at one wavelength: fix the variable of the band it is not (a "
                    "typo?); two names of one band carry its one wavelength (Landsat 8's N "
                    "and N2, both B5 at 865 nm)")
        if problems:
            raise ValueError("; ".join(problems))
        return value


SHARED_VARIABLE_SLACK = 0.01
"""How far apart (a share of the shorter) the wavelengths of two common names given one
variable may be: the same band written with a rounded wavelength (864.7 and 865 nm); two
bands (Sentinel-2's B08 at 842 and B8A at 865 nm, 2.7 %) are more."""


WAVELENGTH_SLACK = 0.05
"""How far (a share of the nearer edge) a band's wavelength may lie outside its common
name's range: ASTER's band 14 (11 318 nm) serves as ``T2`` (11 500-12 510 nm), 1.6 % below;
red and near infrared swapped lie 10 % or more outside."""


@functools.cache
def _band_ranges() -> dict[str, tuple[float, float, str]]:
    """Common band name -> (shortest, longest wavelength in nm, long name), from the
    Awesome Spectral Indices' ``bands.json`` (shipped with :mod:`prospect.indices`)."""
    import json
    from importlib.resources import files

    data = files("prospect.indices") / "data" / "bands.json"
    raw = json.loads(data.read_text(encoding="utf-8"))
    return {name: (float(b["min_wavelength"]), float(b["max_wavelength"]),
                   str(b.get("long_name") or name)) for name, b in raw.items()}


def _common_name_meant(name: str) -> str:
    """The common band name ``name`` writes in another case (``n``, ``Re1``) or in words
    (``nir``, ``Red``, ``SWIR-1``); ``""`` where ``name`` is one, or none is meant (a
    sensor's own band such as ``SW5`` or ``QA``)."""
    from prospect.indices.plan import _SPELLED_BANDS

    names = _band_ranges()
    if name in names:
        return ""
    folded = {n.upper(): n for n in names}
    squeezed = "".join(c for c in name.upper() if c.isalnum())
    meant = folded.get(name.upper()) or _SPELLED_BANDS.get(squeezed, "")
    return meant if meant in names else ""


def _wavelength_problem(common: str, wavelength: float | None) -> str:
    """What is wrong with ``wavelength`` (nm) for the band named ``common`` (``""``:
    nothing, or a name without a range, such as ``VV`` or ``SW5``)."""
    ranges = _band_ranges()
    if wavelength is None or common not in ranges:
        return ""
    low, high, long_name = ranges[common]
    if wavelength < 100:  # no optical or thermal band is shorter than 100 nm
        return (f"band {common!r}: wavelength_nm {wavelength:g} is no wavelength in "
                f"nanometres ({long_name} is {low:g}-{high:g} nm); micrometres? write "
                f"{wavelength * 1000:g}")
    if low * (1 - WAVELENGTH_SLACK) <= wavelength <= high * (1 + WAVELENGTH_SLACK):
        return ""
    other = [f"{name} ({lo:g}-{hi:g} nm)" for name, (lo, hi, _) in ranges.items()
             if lo <= wavelength <= hi]
    where = f"; {wavelength:g} nm is {', '.join(other)}" if other else ""
    return (f"band {common!r}: wavelength_nm {wavelength:g} is outside {common}'s range "
            f"({long_name}, {low:g}-{high:g} nm){where}: the band list contradicts its "
            f"wavelengths (two bands swapped, or a band mapped to the wrong name?); map "
            f"{common} to the sensor's band in {low:g}-{high:g} nm")
