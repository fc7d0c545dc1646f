"""Job configs: one YAML file naming a region, its sources and what each stage does."""

from __future__ import annotations

import difflib
import os
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    Discriminator,
    Field,
    Tag,
    ValidationError,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_validator,
)

from prospect.canonical import config_hash
from prospect.config._base import (
    ConfigPath,
    PlainName,
    StrictModel,
    _file_only,
    _resolve_path,
    check_not_reserved,
    config_folder,
    home_expanded,
    load_yaml,
    repeated,
    shadowing_file,
    validate_mapping,
)
from prospect.config.economics import EconomicsConfig
from prospect.config.indices import IndicesConfig
from prospect.config.mask import MaskConfig
from prospect.config.model import ModelConfig, check_params
from prospect.config.region import (
    Bounds,
    ChunkSide,
    RegionConfig,
    check_chunk_count,
    check_grid_crs,
    resolution_with_unit,
)
from prospect.config.sources import PointSource, SourceConfig, read_twice
from prospect.config.tiles import TilesConfig
from prospect.config.timeseries import TimeSeriesConfig
from prospect.env import positive_limit
from prospect.errors import ConfigError, CRSError, GridError
from prospect.grid import RegionGrid

__all__ = [
    "MAX_SOURCES_DEFAULT",
    "YAML_SUFFIXES",
    "JobConfig",
    "ReferenceRegion",
    "check_source_count",
    "config_dir",
    "is_yaml_name",
    "job_keys",
    "list_regions",
    "load_job",
    "load_region",
    "max_sources",
    "no_shipped",
    "other_config_kind",
    "resolve_grid",
    "shipped_region_name",
]


MAX_SOURCES_DEFAULT = 1000
"""Sources a job may list before it is refused (``$PROSPECT_MAX_SOURCES`` overrides).

Each source is at least one cube variable, and ``prospect plan`` and the ingest stage read
every source's headers before anything is said (about 2 ms a local file, far more a remote
one): 2 000 sources were planned for 8 s of CPU without a word. Jobs list tens; files of
one layer belong in one source (``scenes``, ``stac``, ``bands``), not in a source each."""


def max_sources() -> int:
    """The source limit of a job: ``$PROSPECT_MAX_SOURCES`` or :data:`MAX_SOURCES_DEFAULT`.

    Raises
    ------
    ConfigError
        The variable is set to no whole number above zero.
    """
    return positive_limit("PROSPECT_MAX_SOURCES", MAX_SOURCES_DEFAULT,
                          "sources a job may list", ConfigError)


def check_source_count(count: int) -> None:
    """Refuse a job listing more than :func:`max_sources` sources, saying why and what to
    write instead (a ``ValueError``: the loader names the file and the line of
    ``sources``)."""
    limit = max_sources()
    if count > limit:
        raise ValueError(
            f"{count} sources, more than the {limit} a job may list: every source is read "
            "(its headers) before the job starts and makes at least one cube variable. "
            "Give the files of one layer to one source (its 'scenes', 'bands' or a 'stac' "
            "catalog), split the work into several jobs, or raise the limit with "
            "PROSPECT_MAX_SOURCES if this many are meant")


def config_dir() -> Path:
    """Folder of the shipped configs: ``$PROSPECT_CONFIG_DIR`` or the package's ``configs``.

    The shipped configs are package data read with :mod:`importlib.resources`:
    ``prospect/configs`` links to the repository's top-level ``configs/`` folder, and a
    wheel (``pip install .``) carries the files themselves.
    """
    env = os.environ.get("PROSPECT_CONFIG_DIR", "")
    if env.strip():  # blank is unset, as for every PROSPECT_* variable
        return _config_dir_from_env(env)
    shipped = resources.files("prospect").joinpath("configs")
    if not isinstance(shipped, Path):
        raise ConfigError(
            "the shipped configs are not files on disk (a zipped install); "
            "set PROSPECT_CONFIG_DIR to a copy of the repository's configs/ folder"
        )
    return shipped.resolve()


CONFIG_FOLDERS = ("regions", "jobs", "sensors", "outlines")
"""The folders of the shipped configs (``configs/``), any of which a folder given as
``$PROSPECT_CONFIG_DIR`` holds."""


def _config_dir_from_env(value: str) -> Path:
    """``$PROSPECT_CONFIG_DIR`` as a folder of configs, or refused saying what it is.

    A folder that is not there, a file, or a folder without any of the configs' folders
    made ``prospect regions`` and ``prospect jobs`` print empty tables (exit 0) and every
    shipped region "unknown", without a word of the variable.
    """
    path = home_expanded(value)
    fix = ("set it to a copy of the repository's configs/ folder (holding "
           f"{', '.join(f'{f}/' for f in CONFIG_FOLDERS)}), or unset it to use the shipped "
           "configs")
    if not path.exists():
        raise ConfigError(f"PROSPECT_CONFIG_DIR={value!r}: no such folder; {fix}")
    if not path.is_dir():
        raise ConfigError(f"PROSPECT_CONFIG_DIR={value!r}: a file, not a folder; {fix}")
    if not any((path / name).is_dir() for name in CONFIG_FOLDERS):
        raise ConfigError(f"PROSPECT_CONFIG_DIR={value!r}: holds none of the configs' "
                          f"folders; {fix}")
    return path


def list_regions() -> list[str]:
    """Names of the shipped region configs."""
    return sorted(p.stem for p in (config_dir() / "regions").glob("*.yaml"))


def no_shipped(folder: str) -> str:
    """Why no config of ``folder`` (``regions``, ``jobs``) is shipped here, or ``""``.

    A ``$PROSPECT_CONFIG_DIR`` holding some of the configs' folders and not this one (a
    survey's own ``jobs/`` alone) listed no shipped region in ``prospect regions`` and no
    job in ``prospect jobs`` (an empty table, exit 0), and refused every shipped region
    with "unknown region 'bonaire'; shipped regions: ; or give a path to a region YAML".

    Parameters
    ----------
    folder : str
        The configs' folder, one of :data:`CONFIG_FOLDERS`.

    Returns
    -------
    str
        The reason, naming the variable, its value, the folders it holds and the fix;
        ``""`` where the folder holds a config (``*.yaml``).
    """
    base = config_dir()
    there = base / folder
    if there.is_dir() and any(there.glob("*.yaml")):
        return ""
    value = os.environ.get("PROSPECT_CONFIG_DIR", "")
    where = f"PROSPECT_CONFIG_DIR={value!r}" if value.strip() else f"the configs {str(base)!r}"
    held = [f"{name}/" for name in CONFIG_FOLDERS if (base / name).is_dir() and name != folder]
    has = "no" if not there.is_dir() else "an empty"
    return (f"{where} has {has} {folder}/ folder" + (f" (it holds {', '.join(held)})"
                                                      if held else "")
            + f", so no {folder.removesuffix('s')} is shipped there: copy the repository's "
            f"configs/{folder}/ into it" + (", or unset it to use the shipped configs"
                                           if value.strip() else ""))


def load_region(name_or_path: str | Path) -> RegionConfig:
    """Load a region config by shipped name (``bonaire``) or by YAML path.

    A path is read as a job's paths are: a leading ``~`` is the home folder, and one that
    is not there and was written for another shell or system (``$DATA/area.yaml``) is
    refused saying why. ``prospect plan --region=~/area.yaml`` and ``prospect regions
    '$HOME/area.yaml'`` (no shell expands ``~`` after ``=``, nor ``$VAR`` in single
    quotes) were "config file not found" alone, where a job's ``region:`` reads the first
    and names ``$HOME`` in the second.
    """
    try:
        path = home_expanded(name_or_path)
    except ConfigError as exc:  # ~user of no user here; a region path is the caller's
        raise ConfigError(str(exc).replace(" (a relative path is taken from the config "
                                           "file's folder)", "")) from None
    if is_yaml_name(str(path)) and not os.path.lexists(path):
        from prospect.config._base import written_for_elsewhere

        elsewhere = written_for_elsewhere(str(name_or_path)).replace(
            "config paths", "paths").replace(
            " (a relative path is taken from the config file's folder)", "")
        if elsewhere:
            raise ConfigError(f"{name_or_path}: region file not found; {elsewhere}")
    if not is_yaml_name(str(path)):
        shipped = config_dir() / "regions" / f"{name_or_path}.yaml"
        if not shipped.is_file():
            raise ConfigError(_no_region_named(str(name_or_path), path))
        path = shipped
    elif not os.path.lexists(path) and len(path.parts) == 1 and \
            _meant_region(str(path)):  # 'bonaire.yaml' for the shipped 'bonaire'
        raise ConfigError(f"{path}: no such region file here{_meant_region(str(path))} "
                          "(a shipped region is named without '.yaml')")
    data = load_yaml(path)
    _refuse_other_kinds(data, path)
    return validate_mapping(RegionConfig, data, source=str(path))


_JOB_KEYS = ("region", "sources", "model", "indices", "tiles")


def _refuse_other_kinds(data: dict[str, Any], path: Path) -> None:
    """Refuse a region file that is a job config, or names a base region.

    ``region: job.yaml`` (the job itself, or another job) was "missing required key 'crs'
    ... unknown key 'region' (did you mean 'resolution'?)"; a region file with ``base:``
    (as a job's region may have) "unknown key 'base'", though the job form takes it;
    one with ``reference:`` likewise (:func:`_refuse_reference`).
    """
    if "crs" in data:
        _refuse_reference(data, path)
        return
    other = kind_of_config(data)
    if other in ("sensor", "serve", "manifest"):
        what = {"sensor": "a sensor's band file (common band names to a sensor's bands)",
                "serve": "a tile server's config",
                "manifest": "a run's manifest.json (the record of a job's stages)"}[other]
        raise ConfigError(
            f"{path}: is {what}, not a region file; a job's 'region:' names a region file "
            "(kind: region, with name, crs, resolution and bounds, as in configs/regions/) "
            "or a shipped region (see 'prospect regions')")
    if any(k in data for k in _JOB_KEYS):
        keys = ", ".join(repr(k) for k in _JOB_KEYS if k in data)
        raise ConfigError(
            f"{path}: is a job config (it has {keys}), not a region config; a job's "
            "'region:' names a region file (kind: region, with name, crs, resolution and "
            "bounds, as in configs/regions/) or a shipped region")
    if "base" in data:
        raise ConfigError(
            f"{path}: a region file cannot name a base region ('base: {data['base']}'); "
            "write its crs, resolution and bounds (as in configs/regions/), or put "
            "{base: ..., bounds: ...} in the job's 'region:' itself")
    _refuse_reference(data, path)


def _refuse_reference(data: dict[str, Any], path: Path) -> None:
    """Refuse a region file that takes its grid from a reference raster, as a job's region
    may (round 50): it was "missing required key 'crs'", 'resolution' and 'bounds' (or
    two of them beside a ``crs:`` for a raster without one), not a word of the key."""
    if "reference" in data and "bounds" not in data:
        raise ConfigError(
            f"{path}: a region file cannot take its grid from a reference raster "
            f"('reference: {data['reference']}'); write its crs, resolution and bounds (as "
            "in configs/regions/), or put {reference: ...} in the job's 'region:' itself "
            "(a relative path there is read from the job config's folder)")


class ReferenceRegion(StrictModel):
    """A region taken from a reference raster: its CRS, transform and shape.

    ``name`` follows a region's rules (lower case, digits, ``-``, ``_``) and ``crs`` is
    checked as a region's is (:func:`~prospect.config.region.check_grid_crs`), at load:
    an unknown ``crs`` was found only when the grid was made, in a message naming neither
    the file nor the key, and ``name: ../x`` or ``""`` named the grid.
    """

    reference: ConfigPath
    name: str = Field(default="study-area", pattern=r"^[a-z0-9][a-z0-9_-]*$")
    chunks: tuple[ChunkSide, ChunkSide] = (512, 512)
    crs: str | None = Field(default=None, description="CRS when the raster carries none")

    @field_validator("reference", mode="before")
    @classmethod
    def _local_file(cls, value: Any) -> Any:
        """A URL lost a slash (``https:/host``) and was read as a relative path."""
        if isinstance(value, str) and ("://" in value or value.startswith("/vsi")):
            raise ValueError(
                "the reference raster must be a local file (its grid is read when the job "
                "is planned); download it first, then give its path")
        return value

    @field_validator("crs")
    @classmethod
    def _grid_crs(cls, value: str | None) -> str | None:
        return None if value is None else check_grid_crs(value)


def _names_shipped_region(value: dict[Any, Any]) -> bool:
    """Whether an inline region's mapping is a shipped region's name with fields to
    replace, written with ``name:`` for ``base:`` (``{name: limburg, resolution: 20}``):
    no ``crs`` of its own (which a region given by its keys needs), and a ``name`` of a
    shipped region."""
    name = value.get("name")
    return "crs" not in value and isinstance(name, str) and name in list_regions()


class RegionOverride(StrictModel):
    """A shipped region with some of its fields replaced (e.g. a sub-area for a demo)."""

    base: str
    name: str | None = None
    resolution: float | None = Field(default=None, gt=0, allow_inf_nan=False)
    bounds: Bounds | None = None
    chunks: tuple[ChunkSide, ChunkSide] | None = None
    cross_zone: bool = Field(
        default=False, exclude=True,  # a choice, not part of the grid: no hash changes
        description="Accept bounds that extend past the base's UTM zone (the explicit "
        "choice a region's own 'cross_zone' is; the refusal asked for it, and the override "
        "form refused the key)")

    @model_validator(mode="before")
    @classmethod
    def _base_named_as_name(cls, data: Any) -> Any:
        """``{name: limburg, resolution: 20}`` meant the shipped region ``limburg`` at 20 m:
        it was refused as an inline region without ``crs`` and ``bounds``, which named
        neither the form meant nor its key."""
        if isinstance(data, dict) and "base" not in data and _names_shipped_region(data):
            name = data["name"]
            raise ValueError(
                f"'name: {name}' names the shipped region {name!r}, and a region given "
                "by its keys needs its own crs, resolution and bounds; to change some "
                f"fields of the shipped one, write 'base: {name}' beside them (and "
                "'name:' for the new grid's name, if another)")
        return data

    @field_validator("resolution", mode="wrap")
    @classmethod
    def _number_without_unit(cls, value: Any, handler: ValidatorFunctionWrapHandler,
                             info: ValidationInfo) -> Any:
        """``resolution: "20 ft"`` said "write 20 alone" (20 m in a base region in
        metres): the number to write is said in the base region's CRS unit (a wrap
        validator, so that ``resolution: yes`` is still refused as a boolean)."""
        base = info.data.get("base")
        if isinstance(value, str) and isinstance(base, str) and base in list_regions():
            try:
                crs: str | None = load_region(base).crs
            except (ConfigError, OSError):
                crs = None
            said = resolution_with_unit(value, crs)
            if said:
                raise ValueError(said.replace("a region's resolution", "the resolution of "
                                              f"region {base!r}", 1))
        return handler(value)

    def changes(self) -> dict[str, Any]:
        """The fields given, to lay over the base region's (``cross_zone`` when set)."""
        changed = {k: v for k, v in self.model_dump(exclude={"base"}).items() if v is not None}
        return {**changed, "cross_zone": True} if self.cross_zone else changed


class OutputsConfig(StrictModel):
    """Names of the outputs under the job's output directory."""

    cube: PlainName = "cube.zarr"
    cog: bool = True

    @field_validator("cube")
    @classmethod
    def _zarr_suffix(cls, value: str) -> str:
        stem, dot, suffix = value.rpartition(".")
        if dot and stem and suffix != "zarr" and suffix.lower() == "zarr":
            # 'CUBE.ZARR', 'cube.Zarr': "a name ending in .zarr" said of one that does
            raise ValueError(f"the cube's suffix is written {dot + suffix!r}, but it must be "
                             f"'.zarr' in lower case: name the cube {stem + '.zarr'!r}")
        if not value.endswith(".zarr") or value == ".zarr":
            raise ValueError(f"name the cube like 'cube.zarr' (a name ending in .zarr), "
                             f"not {value!r}")
        return value


def _region_form(value: Any) -> str:
    """Which form of ``region`` the user wrote, so errors speak of that form alone."""
    if isinstance(value, dict):
        keys = [k for k in value if isinstance(k, str)]
        # the form a misspelt key of it was meant for ('bae:', 'refrence:'): its errors say
        # "did you mean 'base'?", not the inline form's missing name, crs and bounds
        if "reference" in value or (not {"base", "bounds", "resolution"} & set(keys) and
                                    difflib.get_close_matches("reference", keys, cutoff=0.75)):
            return "region:reference"
        if "base" in value or ("crs" not in keys and
                               difflib.get_close_matches("base", keys, cutoff=0.75)):
            return "region:override"
        if _names_shipped_region(value):
            return "region:override"
        return "region:inline"
    if isinstance(value, RegionConfig):
        return "region:inline"
    if isinstance(value, RegionOverride):
        return "region:override"
    if isinstance(value, ReferenceRegion):
        return "region:reference"
    return "region:name"


Region = Annotated[
    Annotated[str, Tag("region:name")]
    | Annotated[RegionConfig, Tag("region:inline")]
    | Annotated[RegionOverride, Tag("region:override")]
    | Annotated[ReferenceRegion, Tag("region:reference")],
    Discriminator(_region_form),
]
"""A job's region in one of four forms; validated as the form written (no alternatives)."""


YAML_SUFFIXES = (".yaml", ".yml")
"""The endings of a config file's name, in any case (``area.YAML`` from Windows too)."""


def is_yaml_name(value: str) -> bool:
    """Whether ``value`` names a YAML file by its ending (``.yaml``/``.yml``, any case)."""
    return Path(value).suffix.lower() in YAML_SUFFIXES


def _meant_region(value: str) -> str:
    """``"; did you mean 'bonaire'?"`` for a shipped region written in another case, with
    spaces around it, with its file's ending or misspelt (``BONAIRE``, ``bonaire.yaml``,
    ``bonair``); ``""`` when none is near. They were "unknown region" or "config file
    not found" alone, though sensor names are read in any case."""
    shipped = list_regions()
    text = value.strip().lower()
    for ending in (".yaml", ".yml"):
        text = text.removesuffix(ending)
    close = [text] if text in shipped else \
        difflib.get_close_matches(text, shipped, n=1, cutoff=0.8)
    return f"; did you mean '{close[0]}'?" if close and close[0] != value else ""


def _unknown_region(value: str, info: ValidationInfo) -> str:
    """Why ``value`` is no region: no shipped region of that name, or a file that is no
    YAML region file by its name (``area.json``, ``./area``: "unknown region" with the
    list of shipped regions, as if the file were not there)."""
    path = home_expanded(value)
    base = (info.context or {}).get("base_dir")
    if base is not None and not path.is_absolute():
        path = Path(base) / path
    return _no_region_named(value, path)


def _no_region_named(value: str, path: Path) -> str:
    """Why ``value`` (``path`` as resolved) names no region, for a job's ``region:`` and
    for ``prospect regions``/``--region`` alike: a path that is there or is written as one
    (``./area``, ``../x``: a region file is read by its name's ending), else an unknown
    shipped name with the one meant and the list. ``prospect regions ../x`` was "unknown
    region '../x'; shipped regions: ..." where a job's ``region: ../x`` said the path."""
    if value.strip() and (os.path.lexists(path) or any(sep in value for sep in "/\\")):
        there = "reads as the path" if not os.path.lexists(path) else \
            "names the folder" if os.path.isdir(path) else "names the file"
        return (f"{value!r} {there} {str(path)!r}, not a shipped region; a region file is "
                "read by its name's ending: save it (or link it) as a .yaml or .yml file "
                "and give that path")
    shipped = list_regions()
    if not shipped:  # "shipped regions: ;"
        return f"unknown region {value!r}: {no_shipped('regions')}; or give a path to a region YAML"
    return (f"unknown region {value!r}{_meant_region(value)}; shipped regions: "
            f"{', '.join(shipped)}; or give a path to a region YAML")


GRID_KEYS = ("crs", "resolution", "bounds", "chunks")
"""The keys that make a region's grid."""


def _refuse_shadowed_region(name: str, info: ValidationInfo) -> None:
    """Refuse a shipped region's name where a region file of that name, with another grid,
    lies beside the job (``bonaire.yaml`` or ``regions/bonaire.yaml`` in the job file's
    folder; :func:`~prospect.config._base.shadowing_file`). A copy with the same grid is
    taken."""
    why = shadowing_file(name, (info.context or {}).get("base_dir"), "regions",
                         config_dir() / "regions" / f"{name}.yaml", GRID_KEYS)
    if why:
        raise ValueError(why)


def _region_file(value: str, info: ValidationInfo) -> str:
    """A region YAML path resolved like every path of a job (from the job file's folder).

    Relative paths were taken from the working directory: the region file beside the job
    was "not found", or another one of the same name was used without a word. A URL or
    a GDAL virtual path (``https://...``, ``/vsis3/...``) is refused as any file Prospect
    reads itself is (:func:`~prospect.config._base._file_only`): joined to the job's folder,
    it was "region file '/jobs/https:/host/area.yaml' not found".
    """
    _file_only(value)
    path = _resolve_path(Path(value), info)
    if path.is_dir():
        raise ValueError(f"region file {str(path)!r} is a folder; give the region's YAML "
                         "file (a relative path is taken from the job file's folder)")
    if not path.is_file() and (os.path.lexists(path) or path.exists()):
        from prospect.io.files import why_unreadable

        raise ValueError(f"region file {str(path)!r}: {why_unreadable(path, 'region file')}")
    if not path.is_file():
        from prospect.io.files import name_written_otherwise

        meant = _meant_region(value) if len(Path(value).parts) == 1 else ""
        # ``regions/Area.yml`` for ``regions/area.yaml``: the file beside it is named, as
        # the stages name a source's (it was "not found" alone)
        otherwise = name_written_otherwise(path)
        raise ValueError(f"region file {str(path)!r} not found (a relative path is taken "
                         "from the job file's folder, symbolic links followed)" +
                         (f"{meant} (a shipped region is named without '.yaml')"
                          if meant else "") + (f"; {otherwise}" if otherwise else ""))
    return str(path)


class JobConfig(StrictModel):
    """One batch job: a region and what each stage does in it.

    Attributes
    ----------
    name
        Job name, used in manifests and outputs.
    region
        A shipped region name, a path to a region YAML, an inline region, a shipped region
        with overrides (``{base: bonaire, bounds: [...]}``) or ``{reference: raster.tif}``.
    synthetic
        True when the inputs are synthetic; carried into every output's metadata.
    mask
        Land mask: cells outside the region's outline are no-data in every variable.
    economics
        Economic screening of a brine lithium surface (the ``screen`` stage).
    timeseries
        Per-date variables stacked along ``time`` after ingest; differences between dates.
    """

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    description: str = ""
    synthetic: bool = False
    region: Region
    sources: list[SourceConfig] = Field(default_factory=list)
    mask: MaskConfig | None = None
    timeseries: TimeSeriesConfig | None = None
    indices: IndicesConfig | None = None
    model: ModelConfig | None = None
    economics: EconomicsConfig | None = None
    tiles: TilesConfig | None = None
    outputs: OutputsConfig = Field(default_factory=OutputsConfig)

    @field_validator("region", mode="before")
    @classmethod
    def _region_forms(cls, value: Any) -> Any:
        """Name the forms a region takes, for a value that is none of them (a list, a
        number): "Input should be a valid string" named only the first form."""
        if value is None or isinstance(value, str | dict | StrictModel):
            return value
        kind = "a list" if isinstance(value, list) else f"a {type(value).__name__} ({value!r})"
        raise ValueError(
            f"is {kind}; a region is a shipped region's name (e.g. bonaire), a region YAML "
            "file (regions/area.yaml), or a mapping: an inline region (name, crs, "
            "resolution, bounds), {base: <shipped region>, ...changes} or {reference: "
            "raster.tif}")

    @field_validator("region")
    @classmethod
    def _region_valid(cls, value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, str) and not is_yaml_name(value) and \
                not (config_dir() / "regions" / f"{value}.yaml").is_file():
            raise ValueError(_unknown_region(value, info))
        named = value if isinstance(value, str) else \
            value.base if isinstance(value, RegionOverride) else None
        if named is not None and not is_yaml_name(named):
            _refuse_shadowed_region(named, info)
        if isinstance(value, str) and is_yaml_name(value):
            # a region YAML: like every path of the job, from the job file's folder
            value = _region_file(value, info)
        if isinstance(value, RegionOverride) and is_yaml_name(value.base):
            value = value.model_copy(update={"base": _region_file(value.base, info)})
        if isinstance(value, RegionOverride):
            base = load_region(value.base)
            changes = value.changes()
            try:
                RegionConfig.model_validate({**base.model_dump(), **changes})
            except ValidationError as exc:
                raise ValueError(f"{value.base} with these changes: " + "; ".join(
                    e["msg"].removeprefix("Value error, ") for e in exc.errors())) from None
        return value

    @field_validator("model")
    @classmethod
    def _params_fit_the_estimator(cls, value: ModelConfig | None) -> ModelConfig | None:
        """``model.params`` as the estimator takes them, at load (see
        :func:`~prospect.config.model.check_params`): train checked them after ingest."""
        if value is not None:
            check_params(value)  # a ConfigError is a ValueError: at key 'model'
        return value

    @field_validator("sources", mode="before")
    @classmethod
    def _not_too_many(cls, value: Any) -> Any:
        """Refuse more sources than :func:`max_sources` before any is validated."""
        if isinstance(value, list):
            check_source_count(len(value))
        return value

    @field_validator("sources")
    @classmethod
    def _unique_names(cls, value: list[Any]) -> list[Any]:
        dupes = repeated(s.name for s in value)
        if dupes:
            raise ValueError(f"source names must be unique; repeated: {dupes}")
        check_not_reserved((s.name for s in value), "source names")
        twice = read_twice(value)
        if twice:
            raise ValueError(twice)
        return value

    @model_validator(mode="after")
    def _labels_source_exists(self) -> JobConfig:
        if self.model is not None:
            points = [s.name for s in self.sources if s.kind == "points"]
            if self.model.labels.source not in points:
                raise ValueError(
                    f"model.labels.source {self.model.labels.source!r} is not a points source; "
                    f"points sources: {points}"
                )
        labels = self.model.labels if self.model is not None else None
        for source in self.sources:
            if isinstance(source, PointSource):
                grade = labels.value_column if labels is not None and \
                    labels.source == source.name else None
                stray = source.stray_flags(grade)
                if stray:
                    raise ValueError(stray)
        return self

    def config_hash(self) -> str:
        """SHA-256 of the validated config (stable across key order and formatting)."""
        return config_hash(self)

    def stage_settings(self, stage: str) -> dict[str, Any]:
        """The config sections stage ``stage`` reads (:data:`STAGE_SETTINGS`), as JSON."""
        data = self.model_dump(mode="json")
        return {k: data.get(k) for k in STAGE_SETTINGS.get(stage, tuple(data))}

    def settings_hash(self, stage: str) -> str:
        """SHA-256 of :meth:`stage_settings`: a stage's record stays good while it is
        unchanged, so a model change never reruns ingest or indices."""
        return config_hash(self.stage_settings(stage))


#: Config sections each stage reads. A stage's inputs also include what earlier stages
#: made; the run manifest reruns a stage when an earlier one was recomputed after it.
_DATA = ("synthetic", "region", "sources", "mask", "outputs")
STAGE_SETTINGS: dict[str, tuple[str, ...]] = {
    "ingest": _DATA,
    "indices": (*_DATA, "indices"),
    "screen": (*_DATA, "economics"),
    "train": (*_DATA, "model"),
    "score": (*_DATA, "model"),
    "tiles": (*_DATA, "name", "tiles"),
}


def load_job(path: str | Path, *, region: RegionConfig | None = None) -> JobConfig:
    """Load and validate a job config; relative paths are taken from the folder of the file
    (of the file a symbolic link names: :func:`~prospect.config._base.config_folder`).

    Parameters
    ----------
    path
        The job's YAML file.
    region
        A region that replaces the job's own ``region:`` before it is validated
        (``prospect plan job.yaml --region saba``): the job's own region, replaced, is
        neither read nor refused. It was validated first, and a job whose own region was
        refused (a region file not fetched yet, a typo in its bounds) could not be planned
        on another region at all.

    Returns
    -------
    JobConfig
        The validated job.
    """
    path = Path(path)
    data = load_yaml(path)
    other = other_config_kind(data)
    if other:
        raise ConfigError(f"{path}: {other}")
    if region is not None:
        data["region"] = region  # an instance: taken as it is (an inline region's form)
    return validate_mapping(JobConfig, data, source=str(path), base_dir=config_folder(path))


def kind_of_config(data: dict[str, Any]) -> str:
    """Which kind of Prospect config ``data`` looks like: ``"job"``, ``"region"``,
    ``"sensor"``, ``"serve"``, ``"cluster"``, or ``""`` when none is clear (by the keys
    each kind alone has, so that a file given where another kind is meant is named as
    what it is)."""
    keys = {k for k in data if isinstance(k, str)}
    if keys & {"region", "sources"}:
        return "job"
    if data.get("kind") == "region" or {"crs", "resolution", "bounds"} <= keys:
        return "region"
    if "bands" in keys and keys & {"aliases", "title", "wavelengths"}:
        return "sensor"
    if "layers" in keys and keys & {"host", "port", "keys", "attribution", "cache_mb"}:
        return "serve"
    if keys & {"jobqueue", "kubernetes"}:
        return "cluster"
    if keys >= _MANIFEST_KEYS:
        return "manifest"
    return ""


_MANIFEST_KEYS = {"stages", "runs", "config_hash"}
"""Keys a run's ``manifest.json`` holds and no config does (JSON is YAML, so a manifest
given as the job's config was read as one: "unknown key 'runs'", "unknown key 'stages'",
... each listing a job's keys, with no word of what the file is or where the job is)."""


def _manifest_given(data: dict[str, Any]) -> str:
    """Why a run's manifest is no job config, naming the config it records."""
    recorded = data.get("config_path")
    where = (f"the job's config is {recorded} (as the manifest records it): give that path"
             if isinstance(recorded, str) and recorded else "give the job's YAML config")
    return (f"a run's manifest.json (the record of a job's stages in its output folder), "
            f"not a job config; {where}, with -o the folder that holds this manifest")


def other_config_kind(data: dict[str, Any]) -> str:
    """What another kind of Prospect config given where a job is meant is, and where it
    belongs; ``""`` for anything that may be a job (it holds ``region`` or ``sources``).

    A region file, a sensor's band file, a tile server's config or the cluster settings
    given to ``prospect plan``/``run`` were a wall of "unknown key" lines, each listing a
    job's keys, with no word of what the file is.
    """
    keys = {k for k in data if isinstance(k, str)}
    if keys & {"region", "sources"}:
        return ""
    kind = data.get("kind")
    if kind == "region" or {"crs", "resolution", "bounds"} <= keys:
        return ("a region file (a grid: crs, resolution, bounds), not a job config; a job "
                "names it under 'region:' (region: path/to/this.yaml, or a shipped "
                "region's name, see 'prospect regions') beside its 'sources'; give the "
                "job's config (examples: configs/jobs/)")
    if "bands" in keys and keys & {"aliases", "title", "wavelengths"}:
        return ("a sensor's band file, not a job config; a job names a sensor under "
                "indices.sensor (a shipped name or this file's path); give the job's config "
                "(examples: configs/jobs/)")
    if "layers" in keys and keys & {"host", "port", "keys", "attribution", "cache_mb"}:
        return ("a tile server's config, not a job config; serve it with 'prospect serve "
                "<this file>', and give 'prospect plan'/'run' the job's config")
    if keys & {"jobqueue", "kubernetes"}:
        return ("cluster settings, not a job config; 'run --cluster slurm|pbs|kubernetes' "
                "reads them from cluster/ or $PROSPECT_CLUSTER_DIR; give the job's config")
    if keys >= _MANIFEST_KEYS:
        return _manifest_given(data)
    return ""


def shipped_region_name(job: JobConfig) -> str | None:
    """The shipped region a job's grid comes from (its name, or an override's base)."""
    region = job.region
    if isinstance(region, str):
        return region if not is_yaml_name(region) else None
    if isinstance(region, RegionOverride):
        return region.base
    if isinstance(region, RegionConfig) and region.name in list_regions():
        return region.name
    return None


def _override_config(region: RegionOverride) -> RegionConfig:
    """The shipped region ``region.base`` with the override's fields replaced."""
    base = load_region(region.base)
    changes = region.changes()
    return validate_mapping(RegionConfig, {**base.model_dump(), **changes},
                            source=f"region override of {region.base}")


def _refuse_missing_reference(region: ReferenceRegion) -> None:
    """Refuse a reference raster that is not there, naming the key and a file beside it
    whose name the config miswrote (``Heat.TIF`` for ``heat.tif``, ``.tiff`` for
    ``.tif``): it was "cannot read as a raster: ...: No such file or directory", the
    key unnamed, while a source's file of the same name said the name on disk."""
    from prospect.errors import InputFileError
    from prospect.io.files import name_written_otherwise

    path = Path(region.reference)
    if os.path.lexists(path) or str(path).startswith("/vsi"):
        return  # there (or a link to nothing, a GDAL name): the reader says what it is
    otherwise = name_written_otherwise(path)
    raise InputFileError(
        f"{path}: reference raster not found (key 'region.reference'; a relative path is "
        "taken from the job file's folder)" + (f"; {otherwise}" if otherwise else
                                               "; fix the path, or fetch the raster"))


def _refuse_other_crs(region: ReferenceRegion) -> None:
    """Refuse a ``region.crs`` other than the CRS the reference raster carries: ``crs`` is
    for a raster without one, and ``crs: EPSG:4326`` on a UTM raster was refused as "10
    degrees is about 1110 km" (exit 1) without naming the key, while another metre CRS
    relabelled the grid's coordinates without a word."""
    import rasterio
    from pyproj import CRS

    from prospect.grid import parse_crs

    if region.crs is None:
        return
    try:
        with rasterio.open(region.reference) as src:
            own = src.crs
    except rasterio.errors.RasterioError:
        return  # grid_from_raster has read it
    if own is None:
        return
    own_crs = CRS.from_user_input(own.to_wkt())
    if own_crs.equals(parse_crs(region.crs), ignore_axis_order=True):
        return
    epsg = own_crs.to_epsg()
    shown = f"EPSG:{epsg}" if epsg else own_crs.name
    raise ConfigError(
        f"key 'region.crs' = {region.crs!r} contradicts the CRS the reference raster "
        f"{region.reference} carries ({shown}); 'crs' is for a raster that carries none: "
        f"remove it, or fix the raster's CRS (gdal_edit.py -a_srs) if {shown} is wrong")


def asked_bounds(job: JobConfig) -> tuple[float, float, float, float] | None:
    """The bounds a job's region asks for, before its grid snaps them to whole cells: an
    inline region's, an override's own or else its base region's (a new ``resolution`` on
    the base's bounds moves the grid's east and south edges as surely as bounds written
    off the cells do), ``None`` for a shipped region by name or a reference raster."""
    region = job.region
    if isinstance(region, RegionConfig):
        return region.bounds
    if isinstance(region, RegionOverride):
        return region.bounds if region.bounds is not None else load_region(region.base).bounds
    return None


def resolve_grid(job: JobConfig) -> RegionGrid:
    """The :class:`RegionGrid` of a job's region (reads the reference raster if one is named)."""
    region = job.region
    if isinstance(region, str):
        return load_region(region).to_grid()
    if isinstance(region, RegionConfig):
        return region.to_grid()
    if isinstance(region, RegionOverride):
        return _override_config(region).to_grid()
    from prospect.io.raster import grid_from_raster

    _refuse_missing_reference(region)
    _refuse_other_crs(region)
    try:
        grid = grid_from_raster(region.reference, chunks=region.chunks, crs=region.crs,
                                name=region.name)
    except (GridError, CRSError) as exc:
        if region.crs is None:
            raise
        raise ConfigError(
            f"key 'region.crs' = {region.crs!r} does not fit the grid of the reference raster "
            f"{region.reference}: {str(exc).removeprefix(f'{region.reference}: ')}; give the "
            "CRS the raster's coordinates are in") from None
    try:
        check_chunk_count(grid)
    except GridError as exc:
        raise GridError(f"{region.reference}: {exc}") from None
    if region.crs is None:  # the raster's own CRS: held to a region's rules
        try:
            check_grid_crs(grid.crs)
        except ValueError as exc:
            raise CRSError(f"{region.reference}: the reference raster's {exc}".replace(
                f"CRS {grid.crs!r}", "CRS")) from None
    return grid


def job_keys() -> frozenset[str]:
    """Every key a job config may hold, dotted from the top (``region.resolution``,
    ``model.labels.threshold``; a list's items and a mapping's own names left out).

    Returns
    -------
    frozenset of str
        The keys of :class:`JobConfig` and of every section model below it.
    """
    import typing

    from pydantic import BaseModel

    keys: set[str] = set()

    def models(tp: Any) -> list[type[BaseModel]]:
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            return [tp]
        return [m for arg in typing.get_args(tp) for m in models(arg)]

    def walk(model: type[BaseModel], prefix: str, seen: frozenset[type]) -> None:
        for name, field in model.model_fields.items():
            key = f"{prefix}{field.alias or name}"
            keys.add(key)
            for inner in models(field.annotation):
                if inner not in seen:
                    walk(inner, f"{key}.", seen | {inner})

    walk(JobConfig, "", frozenset({JobConfig}))
    return frozenset(keys)
