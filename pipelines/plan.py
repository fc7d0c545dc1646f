"""Plan a job without computing it: chunks, tasks, cube size on disk, memory per worker.

Every chunk-wise stage makes a fixed number of tasks per cube chunk, so the figures follow
from the grid and the config:

* ingest: two tasks per chunk, which compute and write that chunk of every layer, the
  layers split in two groups of about equal cost
  (:func:`pipelines.stages.ingest.ingest_chunks`; the stage submits exactly these);
* indices: the tasks of the real lazy graph the stage computes
  (:func:`pipelines.stages.indices.index_writes`: one task per chunk that reads the bands,
  computes every index and writes it) on a stand-in of the job's cube (no data read);
* train and score: the graphs the stages build, built by the same library code on a lazy
  zero-filled stand-in of the job's cube (:mod:`pipelines.plan_graphs`): the sampling of
  the labelled cells and of the seeded background draw, the values shipped once and one
  task per model fit; the feature stack, the predictions and the store of both maps, then
  one delivery task per map. Train's sampling follows where the cells lie, not the chunk
  count; a background redraw (when drawn cells lack data) is counted apart
  (``extra_tasks``);
* tiles: one render job per layer and block of the pyramid, the jobs
  :func:`tiles.pyramid.write_pyramid` submits (from the grid's bounds, morecantile).

Layers are counted from the source headers when the files exist (``plan_source``, headers
only), otherwise from the config. Memory per worker, per stage, is the worker process
itself plus the working set of that stage's largest task (on the largest chunk) times
threads; the job's figure is the largest stage's. The working sets are what the tasks
hold: ingest the costliest layer's (:attr:`prospect.ingest.Layer.memory_per_cell`), score
the feature stack, its finite rows, the model's temporaries and the next chunk's stack in
flight. ``benchmarks/country_run.py`` measures them against a real run.
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import stat
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path, PosixPath
from typing import Any

from prospect.config import JobConfig
from prospect.config._base import repeated
from prospect.config.sources import PointSource, RasterSource, VectorSource
from prospect.errors import ConfigError, DataError, DataWarning, ProspectError
from prospect.grid import RegionGrid

__all__ = [
    "JobPlan",
    "ResolvedConfig",
    "StagePlan",
    "another_config_note",
    "count_layers",
    "cube_room_note",
    "differences_without_a_time_axis",
    "disk_room_note",
    "features_of_a_time_axis",
    "files_here",
    "format_bytes",
    "later_variables",
    "made_twice",
    "mask_refusal_placed",
    "plan_job",
    "refusal_placed",
    "refuse_bounds_in_extent_order",
    "refuse_foreign_manifest",
    "refuse_foreign_zarr",
    "refuse_outputs_as_inputs",
    "refuse_run_stops",
    "refuse_shared_output_folder",
    "refuse_too_many_folds",
    "refuse_unmade_variables",
    "refuse_unsafe_output_folder",
    "source_refusal_placed",
    "stopped_on_unopenable_file",
    "tiles_of_a_time_axis",
    "tiles_without_a_model",
    "time_axis_variables",
    "unmade_bands",
    "unopenable_files",
    "warn_labels_of_another_commodity",
]

PROCESS_BYTES = 500 * 2**20
"""A dask worker process once the stages' libraries are loaded (numpy, GDAL/rasterio,
geopandas, scikit-learn, zarr): 0.45-0.55 GiB measured on one small chunk
(``benchmarks/country_run.py --resolution 400``)."""
FLOAT32 = 4
LAYER_CELL_BYTES = 8.0  # a layer whose kind is not known (counted from the config)


@dataclass
class StagePlan:
    """One stage's planned work."""

    name: str
    tasks: int
    variables: int = 0
    bytes_per_task: int = 0
    note: str = ""
    fixed_tasks: int = 0
    """Of ``tasks``, those made once per job rather than per chunk (model fits, map
    deliveries)."""
    extra_tasks: int = 0
    """Tasks a data-dependent pass may add to ``tasks`` (train's background redraw)."""
    memory_per_worker: int = 0
    """Peak resident memory of a worker during this stage: the process plus
    ``bytes_per_task`` times threads."""


@dataclass
class JobPlan:
    """A job's planned work and footprint (see :func:`plan_job`)."""

    job: str
    region: str
    crs: str
    resolution: float
    shape: tuple[int, int]
    chunks: tuple[int, int]
    n_chunks: int
    stages: list[StagePlan]
    cube_variables: int
    cube_bytes: int
    workers: int
    threads_per_worker: int
    memory_per_worker: int
    notes: list[str] = field(default_factory=list)

    @property
    def tasks(self) -> int:
        """Tasks of every stage together."""
        return sum(s.tasks for s in self.stages)

    @property
    def chunk_tasks(self) -> int:
        """Per-chunk tasks of the chunk-wise stages (ingest, indices, score): proportional
        to the chunk count (the stages' few per-job tasks are left out; train samples
        cells and tiles renders pyramid blocks)."""
        return sum(s.tasks - s.fixed_tasks for s in self.stages
                   if s.name not in ("train", "tiles"))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (``prospect plan --json``)."""
        out = asdict(self)
        out.update(tasks=self.tasks, chunk_tasks=self.chunk_tasks)
        return out


def count_layers(source: Any, grid: RegionGrid) -> tuple[int, str]:
    """Cube layers one source makes, and how they were counted.

    ``headers`` when the source's files could be planned; otherwise the layers are counted
    from the config and the second value says why: ``config: <the error>``. Only bad or
    absent input (a :class:`~prospect.errors.ProspectError` or an ``OSError``) falls back
    to the config; any other exception is a bug and propagates.
    """
    n, how, _, _ = _source_layers(source, grid)
    return n, how


def _source_layers(source: Any, grid: RegionGrid, *, refuse_here: bool = False,
                   where: Callable[[], str] = lambda: "") -> tuple[int, str, float, list[Any]]:
    """:func:`count_layers`, the largest bytes per cell one of its layers holds while
    computing a chunk (:attr:`~prospect.ingest.Layer.memory_per_cell`), and the layers
    (none when counted from the config).

    With ``refuse_here``, a source whose files are all here (:func:`files_here`) and
    which the readers refuse is refused as the run's ingest refuses it
    (:func:`_run_would_stop`, ``where()`` naming its place in the config); files that read
    but do not fit the job (a :class:`~prospect.errors.DataError`: none in the region)
    are a :class:`~prospect.errors.DataWarning` saying the run stops on them, and counted
    from the config, as a file not here yet, a remote one or a search not yet made."""
    from prospect.ingest import plan_source

    try:
        layers = plan_source(source, grid)
    except ConfigError:  # the config contradicts its files: the run refuses it, so does plan
        raise
    except (ProspectError, OSError) as exc:  # files absent or unreadable
        if refuse_here and files_here(source):
            stop = _run_would_stop(source, exc, grid, where())
            if not isinstance(stop, DataError):  # the file itself: no plan can count it
                raise stop from None
            # files that read but do not fit (another region, band count): said as the
            # run's coming error, and the layers counted from the config
            warnings.warn(str(stop), DataWarning, stacklevel=2)
        # the reason whole: cut at 300 characters, a long path left its fix half-said
        # ("the name with its %XX escapes de")
        return (_layers_from_config(source), f"config: {str(exc).splitlines()[0]}",
                _config_cell_bytes(source), [])
    _check_stated_blocks(layers)
    return (len(layers), "headers",
            max((la.memory_per_cell for la in layers), default=LAYER_CELL_BYTES), layers)


_REMOTE_PREFIXES = ("/vsicurl", "/vsis3", "/vsigs", "/vsiaz", "/vsiadls", "/vsioss",
                    "/vsiswift", "/vsihdfs", "/vsiwebhdfs")


def _named_files(value: Any) -> list[str]:
    """Every path a source's config names (its fields, scenes and cloud masks, walked),
    as written after loading: a file path, a GDAL name or a URL."""
    from pydantic import BaseModel

    if isinstance(value, Path):
        return [str(value)]
    if isinstance(value, BaseModel):
        return [f for name in type(value).model_fields
                for f in _named_files(getattr(value, name))]
    if isinstance(value, dict):
        return [f for v in value.values() for f in _named_files(v)]
    if isinstance(value, list | tuple):
        return [f for v in value for f in _named_files(v)]
    return []


def files_here(source: Any) -> bool:
    """Whether every file ``source`` reads is a local file that exists now, so that what
    the readers say of it is what the run's ingest will say: ``False`` for a STAC
    catalog or search (its items name other files, often remote), a URL or a remote GDAL
    name, and a file not there (yet)."""
    from prospect.config.vsi import archive_file

    if getattr(source, "stac", None) is not None or \
            getattr(source, "stac_search", None) is not None:
        return False
    files = _named_files(source)
    for name in files:
        if "://" in name or name.lower().startswith(_REMOTE_PREFIXES):
            return False
        local = archive_file(name) if name.startswith("/vsi") else name
        if local is None or not Path(local).exists():
            return False
    return bool(files)


def local_files(value: Any) -> list[str]:
    """The local files a config, or a part of it (a source), names, each once: an
    archive's GDAL name (``/vsizip/a.zip/b.tif``) as its archive; a URL and a remote GDAL
    name left out."""
    from prospect.config.vsi import archive_file

    found: list[str] = []
    for name in _named_files(value):
        if "://" in name or name.lower().startswith(_REMOTE_PREFIXES):
            continue
        local = archive_file(name) if name.startswith("/vsi") else name
        if local is not None:
            found.append(local)
    return list(dict.fromkeys(found))


def missing_files(source: Any) -> list[str]:
    """The local files ``source`` names that are not there (a URL, a remote GDAL name and
    a STAC catalog's or search's items are not judged here: the run fetches them)."""
    if getattr(source, "stac", None) is not None or \
            getattr(source, "stac_search", None) is not None:
        return []
    return [local for local in local_files(source) if not Path(local).exists()]


def unopenable_files(job: JobConfig) -> list[str]:
    """The local files the job's sources and ``mask.path`` name that cannot be opened at
    all: not there (a link to nothing too), or refused by the file system (no permission
    to read it or reach it, a link loop, a FIFO or device). A folder is left to the
    readers (a FileGDB is one); a STAC catalog's or search's items, a URL and a remote
    GDAL name are not judged."""
    named = [name for source in job.sources
             if getattr(source, "stac", None) is None
             and getattr(source, "stac_search", None) is None
             for name in local_files(source)]
    if job.mask is not None and job.mask.path is not None:
        named += local_files(job.mask.path)
    found = []
    for name in dict.fromkeys(named):
        try:
            mode = os.stat(name).st_mode
        except (OSError, ValueError):
            found.append(name)
            continue
        if not stat.S_ISDIR(mode) and (not stat.S_ISREG(mode)
                                       or not os.access(name, os.R_OK)):
            found.append(name)
    return found


def stopped_on_unopenable_file(job: JobConfig, exc: BaseException) -> bool:
    """Whether ``exc``, the refusal of the job's ingest plan, names a file of
    :func:`unopenable_files`: a path to fix, which a new ``-o`` need not keep a record of.

    A missing source file was found by the run's ingest after a new ``-o`` held a
    ``manifest.json`` (ingest ``failed``) and the lock file, a folder that looked like a
    run's (``prospect plan --strict`` said it first, and nothing was made). The runner
    records no such refusal in a manifest it has not written yet, so the command leaves
    ``-o`` as it was (:func:`pipelines.commands._common.nothing_left_when_refused`).
    """
    from prospect.errors import InputFileError

    if not isinstance(exc, InputFileError):
        return False
    said = str(exc)
    return any(name in said for name in unopenable_files(job))


def _other_name(name: str) -> str:
    """Why the file ``name`` is not there as the readers say it, in parentheses after a
    space: a symbolic link to nothing, a file taken for a folder (``data.zip/heat.tif``),
    or a file beside it whose name it miswrites (``HEAT.TIF`` for ``heat.tif``,
    ``.tiff``, ``%20``); ``""`` for a file simply not there."""
    from prospect.io.files import name_written_otherwise, why_unreadable

    why = why_unreadable(name, "file")
    if not why.startswith("file not found"):
        return f" ({why})"
    found = name_written_otherwise(name)
    return f" ({found})" if found else ""


def missing_mask(job: JobConfig) -> list[str]:
    """The local file of the job's ``mask.path`` (an archive's, for a GDAL archive name)
    when it is not there; ``[]`` for a shipped outline, a remote one or one that is here.

    The ingest stage reads it before any layer ("outline file not found", exit 1), but
    the plan counted its ``land`` layer without a word and ``plan --strict`` exited 0: a
    script that plans before it submits was told the job could run.
    """
    if job.mask is None or job.mask.path is None:
        return []
    return [name for name in local_files(job.mask.path) if not Path(name).exists()]


def refuse_missing_files(job: JobConfig, job_path: Path | None = None) -> None:
    """Refuse ``job`` when a source, or its ``mask.path``, names a local file that is not
    there (``prospect plan --strict``): a run of it stops at ingest, exit 1, and so does
    the plan, after its table; without ``--strict`` such a source is counted from the
    config (a job planned before its data are fetched), and a mask said in a note.

    Raises
    ------
    InputFileError
        Naming each source (or ``mask.path``), where it is written in the config, and its
        missing files, each with a file beside it whose name it miswrites.
    """
    from prospect.errors import InputFileError

    def shown(name: str) -> str:
        """``name``, with the file beside it whose name it miswrites (``HEAT.TIF`` for
        ``heat.tif``, ``.tiff``, ``%20``): the run's ingest names it, and this line, which
        a script logs, said only "not found" beside the plan's note that named it."""
        beside = _beside_the_link(job_path, name)
        return name + _other_name(name) + (f" ({beside})" if beside else "")

    found = [(i, s, missing_files(s)) for i, s in enumerate(job.sources)]
    lost = [(i, s, m) for i, s, m in found if m]
    mask = missing_mask(job)
    if not lost and not mask:
        return
    said = "; ".join(
        [f"source {s.name!r}{' at ' + _source_place(job_path, i) if job_path else ''}: "
         + ", ".join(shown(name) for name in m[:3])
         + (f" and {len(m) - 3} more" if len(m) > 3 else "")
         for i, s, m in lost]
        + [f"key 'mask.path': {shown(name)}" for name in mask])
    raise InputFileError(
        f"{said}: file(s) not found, so a run of this job stops at ingest (plan --strict); "
        "fetch the files or fix the paths in the config, then plan again")


def _run_would_stop(source: Any, exc: BaseException, grid: RegionGrid,
                    where: str) -> ProspectError:
    """The error a run's ingest stops with on ``source`` (``exc``, of the same kind: exit
    1), with the source's place in the config and, where the region's bounds were written
    in the files' own CRS, that CRS (:func:`prospect.config.region.bounds_written_in`)."""
    from prospect.config.region import bounds_written_in
    from prospect.errors import InputFileError

    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    hint = bounds_written_in(grid, _file_extents(source)) if isinstance(exc, DataError) \
        else ""
    if hint and hint in text:  # ingest's own error names the CRS meant already
        hint = ""
    kind = DataError if isinstance(exc, DataError) else InputFileError
    return kind(f"{text}{'; ' + hint if hint else ''} (source {source.name!r}"
                f"{' at ' + where if where else ''}: {RUN_STOPS} on "
                "it; fix the file or the config and plan again)")


RUN_STOPS = "a run of this job stops at ingest"
"""The words of a plan's warning (:func:`_run_would_stop`) of a source whose files are here
and read, but which a run's ingest stops on (none in the region, a band count the config
contradicts): ``prospect plan --strict`` exits 1 on it (:func:`refuse_run_stops`)."""


def refuse_run_stops(warned: Sequence[str]) -> None:
    """Refuse, as ``prospect plan --strict``, a plan that warned (``warned``: its warning
    texts) of a source a run's ingest stops on.

    ``plan --strict`` exits 1 "as a run would stop at ingest" when local files are
    missing, but exited 0 after warning "none of its files overlap the region ... a run
    of this job stops at ingest on it" (or a band count, a ``variable:`` the file has
    not): a script that gates a batch job on it started a run that failed at once.

    Raises
    ------
    DataError
        The first such warning, how many more there are, and that ``--strict`` refused.
    """
    stops = [text for text in warned if f"{RUN_STOPS} on it" in text]
    if not stops:
        return
    more = (f"; and {len(stops) - 1} more source(s) a run stops on (the warnings above)"
            if len(stops) > 1 else "")
    raise DataError(f"{stops[0]}{more} (plan --strict: exit 1, as the run's ingest would)")


def _file_extents(source: Any) -> list[tuple[str, tuple[float, float, float, float]]]:
    """``(CRS, bounds)`` of each raster file of ``source`` whose header reads (no pixels)."""
    import rasterio

    found = []
    for name in _named_files(source):
        try:
            with rasterio.open(name) as src:
                if src.crs is not None:
                    b = src.bounds
                    found.append((src.crs.to_string(), (b.left, b.bottom, b.right, b.top)))
        except (rasterio.errors.RasterioError, OSError):
            continue
    return found


def refuse_bounds_in_extent_order(job: JobConfig, grid: RegionGrid,
                                  job_path: Path | None = None) -> None:
    """Refuse a region whose bounds, written as an extent ``[xmin, xmax, ymin, ymax]``,
    make a valid region far larger than the files cover, where read as an extent they
    fit the files (:func:`prospect.config.region.files_in_extent_order`).

    Raises
    ------
    ConfigError
        Naming the bounds, what they make and the bounds to write.
    """
    from prospect.config.job import asked_bounds
    from prospect.config.region import (
        EXTENT_ORDER_RATIO,
        extent_order,
        files_in_extent_order,
    )

    bounds = asked_bounds(job)
    meant = extent_order(bounds) if bounds is not None else None
    if bounds is None or meant is None or meant == tuple(bounds):
        return
    area = (bounds[2] - bounds[0]) * (bounds[3] - bounds[1])
    if area < EXTENT_ORDER_RATIO * (meant[2] - meant[0]) * (meant[3] - meant[1]):
        return  # no file is read: most regions stop here
    extents = [e for source in job.sources if isinstance(source, RasterSource)
               for e in _file_extents(source)]
    said = files_in_extent_order(grid.crs, bounds, extents)
    if said:
        where = f"{job_path}: " if job_path is not None else ""
        raise ConfigError(f"{where}region.bounds: {said}")


def _source_lines(job_path: Path | None) -> dict[int, int]:
    """Line of each source in the job's file, by index (``{}`` without the file)."""
    from prospect.config._base import ConfigData, load_yaml

    if job_path is None:
        return {}
    try:
        data = load_yaml(job_path)
    except ProspectError:
        return {}
    places = data.places if isinstance(data, ConfigData) else {}
    return {key[1]: place.line for key, place in places.items()
            if len(key) == 2 and key[0] == "sources" and isinstance(key[1], int)}


def _source_place(job_path: Path | None, index: int) -> str:
    """``file:line`` of source ``index`` in the job's file (``""`` where not found): the
    file is read only for a message that names it."""
    line = _source_lines(job_path).get(index)
    return f"{job_path}:{line}" if line is not None else ""


class ResolvedConfig(PosixPath):
    """A job config's resolved path, as a run records and loads it, that keeps the path it
    was given by (:attr:`given`: a link, maybe) for the messages that need it.

    The stage commands load a job by its resolved path, which the manifest records; a
    file beside the link a job was given by (:func:`_beside_the_link`) was then said only
    as "raster file not found" by the run's ingest, where ``plan --strict`` said where it
    lay. ``str()``, equality and pickling are the resolved path's: what is recorded or
    compared is unchanged.
    """

    given: Path

    def __new__(cls, given: Path | str) -> ResolvedConfig:
        from prospect.config._base import home_expanded

        self = super().__new__(cls, home_expanded(given).resolve())
        self.given = Path(given)
        return self

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return (PosixPath, (str(self),))


def _beside_the_link(job_path: Path | None, name: str) -> str:
    """Where the missing file ``name`` (absolute, taken from the real config's folder) is
    there beside the link the job was given by (``mine/job.yaml -> ../real/job.yaml``),
    to follow a refusal of it; ``""`` where the job was not given through a link, or no
    such file is beside it.

    A config's relative paths are taken from the folder of the file a link points to
    (:func:`prospect.config._base.config_folder`); a user who linked a shared job into
    the folder of their data was told only "raster file not found" of a path they saw
    beside the link.
    """
    from prospect.config._base import config_folder, home_expanded

    if job_path is None:
        return ""
    job_path = getattr(job_path, "given", job_path)  # a run's ResolvedConfig: as given
    given = home_expanded(job_path).absolute().parent
    real = config_folder(job_path)
    try:
        relative = Path(name).relative_to(real)
    except ValueError:
        return ""
    if given == real or not (given / relative).exists():
        return ""
    return (f"{relative} is beside the link {job_path} in {given}, but a config's "
            f"relative paths are taken from the folder of the file it links to, {real}: "
            "write the path from there, or an absolute one")


def _said_beside_the_link(job_path: Path | None, names: Iterable[str]) -> str:
    """``"; <name> is beside the link ..."`` (:func:`_beside_the_link`) for the first of
    the missing files ``names`` that is there beside the link the job was given by; ``""``
    for none.

    The plain ``prospect plan`` counted such a source "from the config (...: raster file
    not found ...)" without a word of the file the user saw beside the link, which
    ``plan --strict`` and the run's ingest name.
    """
    beside = next(filter(None, (_beside_the_link(job_path, name) for name in names)), "")
    return f"; {beside}" if beside else ""


def _key_place(job_path: Path | None, key: tuple[str | int, ...]) -> str:
    """``file:line`` of the value at ``key`` (``("mask", "path")``) in the job's file
    (``""`` where not found): the file is read only for a message that names it."""
    from prospect.config._base import ConfigData, load_yaml

    if job_path is None:
        return ""
    try:
        data = load_yaml(job_path)
    except ProspectError:
        return ""
    place = data.places.get(key) if isinstance(data, ConfigData) else None
    return f"{job_path}:{place.line}" if place is not None else ""


@contextlib.contextmanager
def refusal_placed(what: str, place: Callable[[], str],
                   hint: Callable[[], str] = lambda: "") -> Iterator[None]:
    """Name what the config's entry is (``source 'heat'``, ``key 'mask.path'``) and its
    ``place()`` in the job's file in the refusal of its files that the body raises (the
    run's ingest plan of it): ``<the readers' line> (source 'heat' at job.yaml:17)``.

    A missing, unreadable or wrong file stopped a run's ingest with the readers' line
    alone ("/data/hea.tif: raster file not found; check the path in the config"), where
    ``prospect plan --strict`` names the source and its line: in a job of many sources,
    or one file read by two, the user searched the config for the path. The refusal is
    the same one, of the same kind and exit code, its words kept, with the place after.

    Parameters
    ----------
    what : str
        The entry, as the messages name it: ``source 'heat'``, ``key 'mask.path'``.
    place : callable
        Its ``file:line`` (:func:`_source_place`, :func:`_key_place`; ``""`` where the
        job has no file, or the line is not found: the entry is named alone), asked only
        for a refusal: the job's file is not read again for each source that plans.
    hint : callable, optional
        More to say after the place (:func:`_beside_the_link`), asked only for a refusal.

    Raises
    ------
    InputFileError
        The body's own (its kind, exit code and attributes kept), with the entry and its
        place after its first line (where not said already).
    """
    from prospect.errors import InputFileError

    try:
        yield
    except InputFileError as exc:
        where = place()
        said = what + (f" at {where}" if where else "")
        text = str(exc)
        if said in text or len(exc.args) != 1 or not isinstance(exc.args[0], str):
            raise
        more = hint()
        first, _, rest = text.partition("\n")
        exc.args = (f"{first} ({said}{'; ' + more if more else ''})"
                    + (f"\n{rest}" if rest else ""),)
        raise


def source_refusal_placed(source: Any, job_path: Path | None, index: int
                          ) -> contextlib.AbstractContextManager[None]:
    """:func:`refusal_placed` for source ``index`` of the job (``source``), at its line."""
    return refusal_placed(
        f"source {source.name!r}", functools.partial(_source_place, job_path, index),
        lambda: next(filter(None, (_beside_the_link(job_path, name)
                                   for name in missing_files(source))), ""))


def mask_refusal_placed(job: JobConfig, job_path: Path | None
                        ) -> contextlib.AbstractContextManager[None]:
    """:func:`refusal_placed` for the job's ``mask.path``, at its line."""
    return refusal_placed(
        "key 'mask.path'", functools.partial(_key_place, job_path, ("mask", "path")),
        lambda: next(filter(None, (_beside_the_link(job_path, name)
                                   for name in missing_mask(job))), ""))


def _stage_folders(job: JobConfig) -> list[str]:
    """The folders of ``-o`` the job's stages write whole: ``score`` and ``model`` with a
    model, ``tiles`` and ``viewer`` with tiles, ``screen`` with economics."""
    return [*(["score", "model"] if job.model is not None else []),
            *(["tiles", "viewer"] if job.tiles is not None else []),
            *(["screen"] if job.economics is not None else [])]


def refuse_outputs_as_inputs(job: JobConfig, out_dir: Path, job_path: Path | None = None
                             ) -> None:
    """Refuse a source reading a file this job writes in ``out_dir``: its cube and
    manifest, and the folders of its stages (``score`` and ``model`` with a model,
    ``tiles`` and ``viewer`` with tiles, ``screen`` with economics).

    A previous run's ``score/probability.tif`` given as a source with the same ``-o``
    was read by ingest and then rewritten by score: every rerun saw a changed input and
    ran again, and the model was trained on its own earlier output.

    Raises
    ------
    ConfigError
        Naming the source, its line in the config, the file, and the ways out.
    """
    try:
        out = out_dir.resolve()
    except (OSError, RuntimeError):  # RuntimeError: a symbolic link loop (Python < 3.13)
        return
    parts = ["manifest.json", *_stage_folders(job)]
    owned = [out / job.outputs.cube, *(out / part for part in parts)]
    for index, source in enumerate(job.sources):
        for name in _named_files(source):
            if "://" in name or name.startswith("/vsi"):
                continue
            try:
                path = Path(name).resolve()
            except (OSError, RuntimeError):  # the reader names a link loop in its words
                continue
            hit = next((o for o in owned if path == o or o in path.parents), None)
            if hit is None:
                continue
            lines = _source_lines(job_path)  # the file read again only for the message
            where = f"{job_path}:{lines[index]}: " if index in lines else \
                (f"{job_path}: " if job_path else "")
            raise ConfigError(
                f"{where}source {source.name!r} reads {name}, inside {hit.name} of the "
                f"output folder {out_dir}, which this job writes: a run would replace its "
                "own input" + (" (and train on its own earlier output)" if job.model else "")
                + "; copy the file out of that folder and point the source at the copy, "
                "or give the job another -o")


STAGE_FOLDERS = ("score", "model", "tiles", "viewer", "screen")
"""The folders of ``-o`` that a job's stages write whole (and replace on a rerun)."""

MANIFEST_KEYS = ("format", "runs", "stages", "job")
"""Keys every manifest a Prospect run writes holds (a JSON object with none of them, and
other keys, is another tool's ``manifest.json``)."""


def _json_object(path: Path) -> dict[str, Any] | None:
    """The JSON object in the file ``path``; ``None`` when absent, unreadable or no
    object (a manifest that does not parse is kept aside by the run, not lost)."""
    import json

    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _foreign_manifest(path: Path) -> bool:
    """Whether ``path`` is another tool's ``manifest.json``: a JSON object with keys, none
    of them a Prospect manifest's (``{}`` is an empty record, not foreign)."""
    data = _json_object(path)
    return data is not None and bool(data) and not any(key in data for key in MANIFEST_KEYS)


def _prospect_manifest(folder: Path) -> dict[str, Any] | None:
    """The manifest of a Prospect run in ``folder``; ``None`` where there is none."""
    data = _json_object(folder / "manifest.json")
    return data if data and any(key in data for key in MANIFEST_KEYS) else None


def _prospect_ran_here(folder: Path) -> bool:
    """Whether a Prospect run held ``folder`` as its output folder: its lock file holds a
    run's record (pid and token; the file stays after the lock is released). A folder
    whose manifest alone was lost (removed, cut short) is an earlier run's: its stages
    recompute what they cannot trust, as they always did."""
    from pipelines.lock import LOCK_FILE

    data = _json_object(folder / LOCK_FILE)
    return data is not None and "pid" in data and "token" in data


def _is_zarr_store(path: Path) -> bool:
    """Whether ``path`` is a zarr store (v3 ``zarr.json`` or v2 ``.zgroup``), whoever wrote
    it: the run's cube check (:func:`prospect.io.cube.check_cube_grid`) judges it."""
    try:
        return (path / "zarr.json").is_file() or (path / ".zgroup").is_file()
    except OSError:
        return False


def _is_prospect_cube(path: Path) -> bool:
    """Whether ``path`` is a cube a Prospect ingest wrote (its zarr group's
    ``prospect_format``), or an empty folder."""
    try:
        if path.is_dir() and not any(path.iterdir()):
            return True
    except OSError:  # a folder that may not be read: the writer names it
        return True
    data = _json_object(path / "zarr.json")
    attrs = data.get("attributes") if data else None
    return isinstance(attrs, dict) and "prospect_format" in attrs


def _mapping(value: Any) -> dict[str, Any]:
    """``value`` where it is a JSON object, else an empty one."""
    return value if isinstance(value, dict) else {}


def _text(value: Any, default: str) -> str:
    """``value`` where it is a string, else ``default``."""
    return value if isinstance(value, str) else default


def _other_job_output(out: Path) -> str:
    """What of another job's outputs ``out`` lies inside (its cube or a stage's folder,
    under a folder holding a Prospect manifest), or inside any zarr store; ``""`` if
    none."""
    for parent in out.parents:
        if _is_zarr_store(parent):
            return (f"inside the zarr store {parent}, which its writer replaces and reads "
                    "as arrays")
        manifest = _prospect_manifest(parent)
        if manifest is None:
            continue
        config = _mapping(manifest.get("config"))
        outputs = _mapping(config.get("outputs"))
        cube = _text(outputs.get("cube"), "cube.zarr")
        job = _text(manifest.get("job"), "another job")
        for name in (cube, *STAGE_FOLDERS):
            if parent / name == out or parent / name in out.parents:
                return (f"inside {name} of the output folder {parent} of job {job!r}, "
                        "which that job's runs replace (with everything in it)")
    return ""


def refuse_shared_output_folder(out_dir: Path, name: str, job_path: Path | None = None
                                ) -> None:
    """Refuse an output folder that is no folder of one job's own, before anything is
    written: the root of the file system (``-o "$OUT/"`` with ``OUT`` unset), the home
    folder itself (``-o "$HOME/$RUN"``, ``RUN`` unset), and a folder inside another job's
    cube or stage folder (or inside any zarr store), which that job's next run replaces
    with everything in it. A run writes its cube, manifest, lock and stage folders into
    ``-o`` itself.

    Parameters
    ----------
    out_dir
        The output folder given.
    name
        The job's name, for the folder suggested.
    job_path
        The job's config file, named in the message where given.

    Raises
    ------
    ConfigError
        Naming ``-o``, what it is, and a folder to give instead.
    """
    given = out_dir
    try:
        out = Path(out_dir).expanduser().resolve()
    except (OSError, RuntimeError):  # a link loop: the writer names it
        return
    fix = "give -o a folder of the job's own (created if missing), e.g. "
    if out == Path(out.anchor):
        raise ConfigError(
            f"-o {given}: the root of the file system; a run writes its cube, manifest, "
            f"lock and stage folders into -o itself: {fix}/scratch/runs/{name} (was it "
            "-o \"$OUT/\" with OUT unset?)")
    try:
        home = Path.home().resolve()
    except (RuntimeError, KeyError, OSError):  # no home folder known
        home = None
    if out == home:
        raise ConfigError(
            f"-o {given}: the home folder itself; a run writes its cube, manifest, lock "
            f"and stage folders into -o, among the files there: {fix}~/runs/{name} (was "
            "it -o \"$HOME/$RUN\" with RUN unset?)")
    if _shared_by_all(out):
        raise ConfigError(
            f"-o {given}: a folder every user and program shares (writable by all, with "
            f"the sticky bit, as /tmp is); a run writes its cube, manifest, lock and stage "
            f"folders into -o itself, among everyone's files there: {fix}{out / name} (was "
            "it -o \"$TMPDIR/$RUN\" with RUN unset?)")
    inside = _other_job_output(out)
    if inside:
        where = f"{job_path}: " if job_path else ""
        raise ConfigError(f"{where}-o {given}: {inside}; {fix}a folder beside it")


def _shared_by_all(folder: Path) -> bool:
    """Whether ``folder`` is one every user and program shares: writable by all, with the
    sticky bit (mode 1777: ``/tmp``, ``/var/tmp``, ``/dev/shm``, a cluster's shared
    ``/scratch``).

    ``-o /tmp`` (``-o "$TMPDIR/$RUN"`` with ``RUN`` unset) ran the job into the system's
    temporary folder itself, exit 0: its cube, manifest and lock among every other
    program's files, and its stage folders (``tiles/``, ``model/``) under names any of
    them may take, where the root and the home folder were refused.
    """
    try:
        mode = folder.stat().st_mode
    except OSError:  # not there yet (made by the run), or not to be looked at
        return False
    return stat.S_ISDIR(mode) and bool(mode & stat.S_ISVTX) and bool(mode & stat.S_IWOTH)


def refuse_foreign_manifest(out_dir: Path, name: str) -> None:
    """Refuse ``out_dir`` holding a ``manifest.json`` of another tool (a download's list
    of files), which a run replaced with its own without a word.

    Raises
    ------
    ConfigError
        Naming the file and what to do.
    """
    out = Path(out_dir).expanduser()
    if _foreign_manifest(out / "manifest.json"):
        raise ConfigError(
            f"-o {out_dir}: holds a manifest.json that no Prospect run wrote (another tool's: "
            "it has none of a run manifest's keys), which a run would replace with its own; "
            "move that file, or give -o a folder of the job's own (created if missing), e.g. "
            f"{out / name}")


def refuse_unsafe_output_folder(job: JobConfig, out_dir: Path, job_path: Path | None = None
                                ) -> None:
    """Refuse an output folder where a run would write over what no Prospect run made, or
    that is no folder of a job's own, before anything is written.

    :func:`refuse_shared_output_folder` and :func:`refuse_foreign_manifest`, and a cube
    path (``outputs.cube``) that holds something other than a Prospect cube, into which
    ingest wrote its arrays. ``-o`` may be the config's folder or the data's: the run
    writes beside the files there, over none of them.

    Raises
    ------
    ConfigError
        Naming ``-o``, what is in the way, and what to give instead.
    """
    refuse_shared_output_folder(out_dir, job.name, job_path)
    out = Path(out_dir).expanduser()
    try:
        if not out.is_dir():
            return
    except OSError:  # a name too long, a folder above that may not be entered: the writer
        return
    refuse_foreign_manifest(out_dir, job.name)
    if _prospect_manifest(out) is not None or _prospect_ran_here(out):
        return  # an earlier run's folders (its manifest lost, perhaps): replaced as such
    cube = out / job.outputs.cube
    if (cube.exists() or cube.is_symlink()) and not _is_prospect_cube(cube) and \
            not _is_zarr_store(cube):  # another tool's zarr: the grid check names both grids
        where = f"{job_path}: " if job_path else ""
        raise ConfigError(
            f"{where}-o {out_dir}: {job.outputs.cube} there is not a cube a Prospect run "
            "wrote (a file, or a folder of other files), and ingest would write the job's "
            "cube into it; move it, set outputs.cube to another name, or give -o a folder "
            f"of the job's own, e.g. {out / job.name}")
    from prospect.config import resolve_grid

    refuse_foreign_zarr(out_dir, job.outputs.cube, lambda: resolve_grid(job), job.name,
                        job_path)
    for name in _stage_folders(job):
        folder = out / name
        try:
            theirs = (folder.is_dir() and any(folder.iterdir())) or \
                (folder.exists() and not folder.is_dir())
        except OSError:
            continue
        if theirs:
            where = f"{job_path}: " if job_path else ""
            raise ConfigError(
                f"{where}-o {out_dir}: {name}/ there holds files no Prospect run recorded "
                "(-o has no run manifest), and a stage of the job replaces that folder "
                f"whole; move it, or give -o a folder of the job's own, e.g. "
                f"{out / job.name} (an earlier run's whose manifest.json is gone: remove "
                "it)")


def _zarr_members(store: Path) -> list[str]:
    """The names of the arrays and groups directly in the zarr store ``store``, sorted
    (its entries holding a ``zarr.json`` or a v2 ``.zarray``/``.zgroup``)."""
    try:
        return sorted(p.name for p in store.iterdir() if any(
            (p / meta).is_file() for meta in ("zarr.json", ".zarray", ".zgroup")))
    except OSError:
        return []


def refuse_foreign_zarr(out_dir: Path, cube_name: str, grid: Callable[[], RegionGrid],
                       name: str, job_path: Path | None = None) -> None:
    """Refuse a zarr store at the cube's path (``out_dir / cube_name``) that no Prospect
    run wrote (another tool's: xarray's, zarr's, GDAL's); for an ``-o`` no Prospect run
    has used (the caller's to judge).

    Only a store on another grid was refused (by the grid check, which names both grids:
    it is asked first). One that does not open as a cube on any grid (no CRS, no
    dimension names, a zarr v2 store) was let through "for ingest to say what it is", and
    the run's mending of damaged cube metadata wrote the job's ``x``, ``y`` and
    ``spatial_ref`` into it first: another tool's coordinates overwritten with the job's
    grid, its dataset no longer opening, then "cannot open cube: ..." (exit 1), rerun and
    ``--force`` alike. One on the job's grid was taken as the job's cube and written into.

    Parameters
    ----------
    out_dir
        The output folder given (``-o``).
    cube_name
        The cube's name in it (``outputs.cube``).
    grid
        The job's grid, asked for only when there is such a store.
    name
        The job's name, for the folder suggested.
    job_path
        The job's config file, named in the message where given.

    Raises
    ------
    DataError
        The store is a cube on another grid (:func:`prospect.io.cube.check_cube_grid`).
    ConfigError
        Naming the store, what is in it, and what to give instead.
    """
    cube = Path(out_dir).expanduser() / cube_name
    if not _is_zarr_store(cube) or _is_prospect_cube(cube):
        return
    from prospect.io.cube import check_cube_grid

    check_cube_grid(cube, grid())
    members = _zarr_members(cube)
    held = f"; it holds {', '.join(members[:6])}{', ...' if len(members) > 6 else ''}" \
        if members else ""
    where = f"{job_path}: " if job_path else ""
    raise ConfigError(
        f"{where}-o {out_dir}: {cube_name} there is a zarr store no Prospect run wrote (its "
        f"zarr.json has no prospect_format{held}), and a run would write the job's grid and "
        "variables into it, over its own coordinates; move it, set outputs.cube to another "
        f"name, or give -o a folder of the job's own, e.g. {Path(out_dir).expanduser() / name}")


def _stated(layer: Any) -> list[Any]:
    """The raster descriptions a layer reads that a STAC item states in full (``proj:*``),
    which planning took without opening the file: a plain raster's scenes (``refs``), a
    composite's scenes of every band and their cloud masks."""
    infos = [r.info for r in getattr(layer, "refs", ())]
    infos += [part.info for band in getattr(layer, "bands", ()) for part in band]
    infos += [m.info for m in getattr(layer, "masks", ()) if m is not None]
    infos += [r.mask.info for r in getattr(layer, "refs", ()) if r.mask is not None]
    return [i for i in infos if getattr(i, "stated_by", None) is not None]


def _check_stated_blocks(layers: list[Any]) -> None:
    """Open the header of each local file a STAC item described in full and refuse one
    stored in blocks no task can hold, as the run does when it opens it for pixels
    (:func:`prospect.io.raster.check_blocks`); remote files are checked by the run (a
    request each here). A file that is not here yet is the run's to name."""
    import rasterio

    from prospect.io.raster import check_blocks

    done: set[str] = set()
    for info in (i for la in layers for i in _stated(la)):
        path = info.path
        if path in done or path.startswith("/vsi") or "://" in path or \
                not Path(path).is_file():
            continue
        done.add(path)
        try:
            with rasterio.open(path) as src:
                check_blocks(src, path)
        except rasterio.errors.RasterioError:
            continue  # unreadable: the read names it


def _names_variables(job: JobConfig) -> list[str]:
    """The parts of ``job`` that name cube variables :func:`refuse_unmade_variables`
    checks against what the ingest stage makes."""
    parts = [("tiles.layers", job.tiles is not None and bool(getattr(job.tiles, "layers", 0))),
             ("economics", job.economics is not None),
             ("model.features", job.model is not None),
             ("indices.custom", job.indices is not None and bool(job.indices.custom)),
             ("indices (the bands they read)", job.indices is not None and bool(
                 job.indices.names or job.indices.custom))]
    return [name for name, named in parts if named]


def _outline_here(path: str) -> bool:
    """Whether a mask outline's file (a GDAL archive name's archive) is here to read."""
    from prospect.config.vsi import archive_file

    local = archive_file(path) if path.startswith("/vsi") else path
    return local is None or Path(local).exists()


def _shipped_layers(job: JobConfig, grid: RegionGrid, layers: list[Any]) -> tuple[int, int]:
    """Layers the job's mask adds (the ``land`` variable) and how many layers ingest ships
    to the cluster once, as a task of their own (a fitted surface over many points:
    :func:`pipelines.stages.ingest.ships_apart`), with the mask applied as the stage
    applies it (each masked layer carries the outline)."""
    from pipelines.stages.ingest import ships_apart

    added = 0
    if job.mask is not None:
        from prospect.config.job import shipped_region_name
        from prospect.ingest.mask import apply_mask, plan_mask

        if job.mask.path is not None and not _outline_here(str(job.mask.path)):
            return 1, 0  # the outline's file is not here yet
        try:  # a wrong outline (none for the region, no land in it) is the run's error too
            mask = plan_mask(job.mask, grid, region=shipped_region_name(job))
        except OSError:  # the outline cannot be read yet
            return 1, 0
        layers, added = apply_mask(layers, mask), 1
    return added, sum(ships_apart(la) for la in layers)


def _config_cell_bytes(source: Any) -> float:
    """Bytes per cell of a source's costliest layer when only its config is known."""
    if isinstance(source, VectorSource) and (source.distance_to_contacts
                                             or source.faults_layer):
        from prospect.ingest.geology import LineDistanceLayer

        return LineDistanceLayer.memory_per_cell
    return LAYER_CELL_BYTES


def _search_variables(source: Any) -> list[str] | None:
    """The variables a ``stac_search`` composite source makes, from its config alone (its
    ``assets`` and ``<source>_count``, which a composite writes where cells lack an
    observation even when ``count_variable`` is false), or ``None`` for any other source
    whose files could not be read."""
    if isinstance(source, RasterSource) and source.stac_search is not None and \
            source.assets and source.composite is not None:
        return [*source.assets, f"{source.name}_count"]
    return None


def _layers_from_config(source: Any) -> int:
    if isinstance(source, RasterSource):
        if source.bands:
            return len(source.bands)
        if source.band_names:
            return len(source.band_names)
        if source.assets:  # a composite adds its count of clear observations
            return len(source.assets) + (source.composite is not None)
        if source.scenes and source.scenes[0].bands:
            return len(source.scenes[0].bands)
        return 1
    if isinstance(source, VectorSource):
        return (bool(source.attribute) + source.distance_to_contacts
                + bool(source.faults_layer))
    if isinstance(source, PointSource):
        per_col = sum(2 if kind == "kriging" else 1 for kind in source.interpolate)
        return int(source.distance) + per_col * len(source.columns)
    return 1


def _tile_tasks(job: JobConfig, grid: RegionGrid) -> int:
    if job.tiles is None:
        return 0
    from tiles.grids import DEFAULT_TMS, data_zooms, footprint, tile_matrix_set
    from tiles.metadata import zoom_range
    from tiles.pyramid import METATILE_PX, pyramid_jobs

    cfg = job.tiles
    block = METATILE_PX // cfg.tile_size
    # the zooms the tiles stage renders (tiles.metadata): the XYZ pyramid within the job's
    # zoom limits, then each national grid at the zooms its data suit
    jobs = 0
    for name in [DEFAULT_TMS, *cfg.tile_matrix_sets]:
        tms = tile_matrix_set(name)
        native_bounds, cell = footprint(grid.crs, grid.bounds, grid.shape, tms.rasterio_crs)
        limits = (cfg.min_zoom, cfg.max_zoom) if name == DEFAULT_TMS else (0, 24)
        lo, hi = zoom_range(data_zooms(tms, native_bounds, cell), tms, limits)
        jobs += len(pyramid_jobs(grid.lonlat_bounds(), lo, hi, block=block, tms=name,
                                 native_bounds=None if name == DEFAULT_TMS else native_bounds))
    return jobs * max(1, len(cfg.layers))


def plan_job(job: JobConfig, grid: RegionGrid, *, workers: int = 1,
             threads_per_worker: int = 1, out_dir: Path | None = None,
             job_path: Path | None = None, refuse_unreadable: bool = False) -> JobPlan:
    """Plan ``job`` on ``grid`` for ``workers`` processes of ``threads_per_worker`` threads.

    Nothing is computed and no pixel is read; raster headers are read when the files exist.
    A ``stac_search`` source is planned from the items an earlier run saved in ``out_dir``
    (the job's output folder) for this grid; without them its layers are counted from the
    config (no search is made). Variables the config names that no stage makes are refused
    where the headers tell (:func:`refuse_unmade_variables`), and a mask outline with no
    land in the region; ``job_path`` names the config in those messages. With
    ``refuse_unreadable`` (``prospect plan``), a source whose files are all here and which
    the readers refuse is refused, as the run refuses it, and one whose files read but do
    not fit the job is a warning of the run's coming error; else it is counted from the
    config and said in the notes.

    Raises
    ------
    InputFileError
        With ``refuse_unreadable``: a source's local files, all here, that the readers
        refuse (the error the run's ingest stops with, and where the source is written);
        files that read but do not fit the job are a ``DataWarning`` of that error.
    ConfigError
        A tile layer or economics surface naming a variable no stage of the job makes, or
        a custom index named like an ingested variable.
    """
    warn_labels_of_another_commodity(job, job_path)
    refuse_bounds_in_extent_order(job, grid, job_path)
    job = _saved_searches(job, grid, out_dir)
    n = grid.n_chunks
    # the largest chunk (a grid smaller than one chunk is one smaller chunk)
    cells = min(grid.chunks[0], grid.shape[0]) * min(grid.chunks[1], grid.shape[1])
    chunk_bytes = cells * FLOAT32
    counted = [_source_layers(s, grid, refuse_here=refuse_unreadable,
                              where=functools.partial(_source_place, job_path, i))
               for i, s in enumerate(job.sources)]
    masked, shipped = _shipped_layers(job, grid, [la for *_, ls in counted for la in ls])
    n_layers = sum(c for c, _, _, _ in counted) + masked
    how = {h.split(":")[0] for _, h, _, _ in counted}
    unread = [f"source {s.name!r}: layers counted from the config ({h[len('config: '):]}"
              + _said_beside_the_link(job_path, missing_files(s)) + ")"
              for s, (_, h, _, _) in zip(job.sources, counted, strict=True) if h != "headers"]
    unread += [f"mask.path: {name}: outline file not found{_other_name(name)}"
               + _said_beside_the_link(job_path, [name]) + ", so a run of this job stops "
               "at ingest on it: fetch it or fix the path (its land layer is counted from "
               "the config)" for name in missing_mask(job)]
    layer_bytes = max((b for c, _, b, _ in counted if c), default=LAYER_CELL_BYTES)
    named = [_search_variables(s) if h != "headers" else [la.name for la in ls]
             for s, (_, h, _, ls) in zip(job.sources, counted, strict=True)]
    if all(names is not None for names in named):
        # every source's variables known (a search not yet made names its own: its
        # assets and count): the ingest stage's tile-layer check
        from prospect.ingest.mask import LAND_VARIABLE

        refuse_unmade_variables(job, [n for names in named for n in names or []]
                                 + ([LAND_VARIABLE] if masked else []), job_path)
    elif _names_variables(job):  # said, never passed in silence
        unread.append(
            "NOT CHECKED: the variables " + ", ".join(_names_variables(job)) + " name "
            "against what ingest makes, since a source's files could not be read (above); "
            "the run checks them after ingest: make the files readable and plan again")
    from pipelines.plan_graphs import (
        index_tasks,
        score_tasks,
        stack_tasks,
        stand_in_cube,
        train_tasks,
    )
    from pipelines.stages.ingest import TASKS_PER_CHUNK

    cube = stand_in_cube(job, grid) if (job.indices is not None or job.model is not None
                                        or job.timeseries is not None) else None
    # a time series: ingest then stacks the dates' variables as (time, y, x) variables
    stacking, stacking_once = stack_tasks(job, grid, cube) if cube is not None else (0, 0)
    stacked = [str(v) for v in cube.data_vars if "time" in cube[v].dims
               and cube[v].attrs.get("prospect_kind") != "index"] if cube is not None else []
    dates = cube.sizes.get("time", 1) if cube is not None else 1
    stages = [StagePlan("ingest", n * min(TASKS_PER_CHUNK, n_layers) + shipped + stacking,
                        n_layers + len(stacked), fixed_tasks=shipped + stacking_once,
                        bytes_per_task=max([int(layer_bytes * cells), *(
                            la.task_bytes(cells) for *_, ls in counted for la in ls)]),
                        note=("layers from " + "+".join(sorted(how)) if how else "no sources")
                        + (f"; {len(stacked)} stacked over {dates} dates" if stacked else ""))]
    n_idx = 0
    if job.indices is not None:
        assert cube is not None
        idx_tasks, idx_once, n_idx = index_tasks(job, grid, cube) if (
            job.indices.names or job.indices.custom) else (0, 0, 0)
        stages.append(StagePlan("indices", idx_tasks, n_idx, fixed_tasks=idx_once,
                                bytes_per_task=(12 + 3 * n_idx) * chunk_bytes,
                                note="real lazy graph of the stage's chunk tasks"))
    n_features = n_layers - masked + n_idx  # the land mask is no feature
    from pipelines.stages.screen import has_work as screen_has_work

    if screen_has_work(job):
        from pipelines.plan_graphs import screen_tasks
        from prospect.screening import ECONOMIC_OUTPUTS

        econ = len(ECONOMIC_OUTPUTS) if job.economics is not None else 0
        changes = [v for v in cube.data_vars if str(v).endswith("_change")
                   and cube[v].attrs.get("prospect_kind") == "change"] if cube is not None else []
        tasks, once = screen_tasks(job, grid, cube)
        stages.append(StagePlan(
            "screen", tasks, econ + len(changes), fixed_tasks=once,
            bytes_per_task=chunk_bytes,  # one chunk of a map the report reads
            note="the report's map reads (checks and economics run in the job's process)"
                 + (f"; {len(changes)} change layer(s) written and read back"
                    if changes else "")))
    if job.model is not None:
        assert cube is not None
        train = train_tasks(job, grid, cube)
        where = "the labelled cells" if train.labels_read else "every chunk (labels unread)"
        stages.append(StagePlan(
            "train", train.tasks, 0, fixed_tasks=train.tasks, extra_tasks=train.top_up,
            bytes_per_task=3 * n_features * chunk_bytes,  # the stack of a sampled chunk
            # and its reads (measured: 3 planes per feature)
            note=f"sampling {where} and the background, then {train.fits} model fits; "
                 f"+{train.top_up} if the background is redrawn"))
        tasks, once = score_tasks(job, grid, cube)
        # measured on a whole-country run (benchmarks/country_run.py, 2048-cell chunks):
        # about 7 chunk planes per feature (the stack, its finite rows, the model's input
        # copy, the next chunk's stack read meanwhile) and 10 for the model's temporaries
        stages.append(StagePlan("score", tasks, 2, fixed_tasks=once,
                                bytes_per_task=(7 * n_features + 10) * chunk_bytes,
                                note="features -> model -> probability + uncertainty"))
    if job.tiles is not None:
        stages.append(StagePlan("tiles", _tile_tasks(job, grid), 0,
                                # measured: a metatile job holds ~26 chunk planes
                                bytes_per_task=26 * chunk_bytes, note="pyramid blocks x layers"))
    cube_vars = stages[0].variables + n_idx + (2 if job.model is not None else 0) + sum(
        s.variables for s in stages if s.name == "screen")
    # a (time, y, x) variable holds one plane per date
    timed = sum("time" in cube[v].dims for v in cube.data_vars) if cube is not None else 0
    per_date = timed - len(stacked)  # indices computed on the stacked bands
    cube_bytes = (cube_vars + timed * (dates - 1)) * grid.shape[0] * grid.shape[1] * FLOAT32
    for s in stages:
        s.memory_per_worker = PROCESS_BYTES + s.bytes_per_task * threads_per_worker
    memory = max(s.memory_per_worker for s in stages)
    notes = [
        *unread,
        *([f"{per_date} indices computed per date ({dates} dates) by xarray's graph, "
           "stored one date per chunk"] if per_date else []),
        "cube size is uncompressed float32; zstd typically stores imagery 1.3-2x smaller",
        "memory per worker = process + largest task working set x threads (per stage; "
        "the job's is the largest stage's)",
    ]
    # a source's note may quote its URL (a fetch that failed): never its credentials, in
    # the table or in --json, as every error line and the manifest redact them
    from prospect.redact import redact

    for s in stages:
        s.note = redact(s.note)
    return JobPlan(
        job=job.name, region=grid.name, crs=grid.crs, resolution=grid.resolution,
        shape=grid.shape, chunks=grid.chunks, n_chunks=n, stages=stages,
        cube_variables=cube_vars, cube_bytes=cube_bytes, workers=workers,
        threads_per_worker=threads_per_worker, memory_per_worker=memory,
        notes=[redact(note) for note in notes],
    )


_CASE_FOLDERS = ("each variable is a folder of the cube, and a disk that ignores case (macOS, "
                 "Windows, network shares) holds the two as one, so one would overwrite "
                 "the other without a word")


def case_twins(names: Iterable[str]) -> tuple[str, str] | None:
    """The first two of ``names`` that differ only in case (``heat`` and ``Heat``), or
    ``None``. Each cube variable is a folder of the zarr store: on a disk that ignores
    case the second one's chunks were written into the first's."""
    seen: dict[str, str] = {}
    for name in names:
        other = seen.setdefault(name.lower(), name)
        if other != name:
            return other, name
    return None


def _idw_surface_of(job: JobConfig, variable: str) -> tuple[str, str, bool] | None:
    """The point source whose inverse-distance surface is ``variable``
    (``<source>_<column>``, or ``..._idw`` beside kriging), the name of the column's kriged
    surface and whether the source kriges too, else ``None``: an IDW surface has no
    variance, and ``economics.concentration`` naming one was told "the ingest stage makes no
    variable '<name>_variance'" with no word of kriging (round 56)."""
    from prospect.ingest.surfaces import variable_name

    for source in job.sources:
        if not isinstance(source, PointSource) or "idw" not in source.interpolate:
            continue
        kriging = "kriging" in source.interpolate
        for column in source.columns:
            kriged = variable_name(source.name, column)
            if kriged + ("_idw" if kriging else "") == variable:
                return source.name, kriged, kriging
    return None


def refuse_unmade_variables(job: JobConfig, ingested: list[str],
                             job_path: Path | None) -> None:
    """Variables the config names that no stage makes, or makes twice, from the ingest
    stage's planned variables ``ingested``:

    * a tile layer no stage makes, refused as the ingest stage refuses it
      (:func:`pipelines.stages.tiles.unmade_layers`; ``prospect plan`` said nothing);
    * an ``economics`` concentration or variance that ingest does not make, or a variance
      naming the concentration itself (the screen stage found them, after ingest and
      indices had run over the region);
    * a custom index named like an ingested variable, which the indices stage would
      overwrite (``overwrite: true``, the default) with the index, without a word;
    * a ``model.features`` name no stage before train makes (train found it, after ingest
      and indices had run; ``prospect plan`` said "not in the cube", exit 1, no file);
    * two sources making one variable (the ingest stage's own check, which ``prospect
      plan`` lacked), and an ingested variable named like one a later stage makes
      (:func:`later_variables`: an index, a stacked band, a change or economics layer, the
      score's maps), which that stage replaced or the model left out, without a word.
    """
    from pipelines.stages.tiles import unmade_features, unmade_layers

    where = f"{job_path}: " if job_path is not None else ""
    econ = job.economics
    if econ is not None and econ.variance == econ.concentration:
        raise ConfigError(f"{where}economics.variance names the concentration itself "
                          f"({econ.concentration!r}); give its kriging variance (default "
                          f"'{econ.concentration}_variance')")
    if econ is not None:
        for key, name in (("concentration", econ.concentration),
                          ("variance", econ.variance_variable),
                          ("density_surface", econ.density_surface or "")):
            if name and name not in ingested:
                idw = _idw_surface_of(job, econ.concentration) if key == "variance" else None
                if idw is not None:
                    source, kriged, kriging = idw
                    fix = (f"name its kriged surface, economics.concentration: {kriged}"
                           if kriging else f"add kriging to sources.{source}.interpolate "
                           f"(interpolate: [kriging]) and screen its kriged surface")
                    raise ConfigError(
                        f"{where}economics.variance: {econ.concentration!r} is an "
                        f"inverse-distance (IDW) surface of source {source!r}, which has no "
                        f"variance, and the screening's classes need one ({name!r}): {fix}")
                raise ConfigError(
                    f"{where}economics.{key}: the ingest stage makes no variable {name!r}; it "
                    f"makes {sorted(ingested)} (a kriged surface is '<source>_<column>' and "
                    "its variance '<source>_<column>_variance')")
    if job.indices is not None:
        shadowed = sorted(set(job.indices.custom) & set(ingested))
        if shadowed:
            raise ConfigError(
                f"{where}indices.custom: {shadowed} would replace the ingested variable(s) of "
                "the same name; give the custom index another name")
    twice = repeated(ingested)
    if twice:  # the ingest stage's own check, which 'prospect plan' lacked
        raise ConfigError(f"{where}sources: two sources make the same variable(s) {twice} "
                          "(a band, a composite's '<source>_count', the land mask 'land'); "
                          "rename a source or its bands")
    twins = case_twins(ingested)
    if twins:
        raise ConfigError(f"{where}sources: two sources make variables {twins[0]!r} and "
                          f"{twins[1]!r}, which differ only in case; {_CASE_FOLDERS}: "
                          "rename a source or its bands")
    twice_later = made_twice(job)
    if twice_later:
        first_name, first, name, later = twice_later
        also = f"so does {first}" if first_name == name else \
            f"{first} one named {first_name!r}, which differs only in case (a disk that " \
            "ignores case holds the two as one)"
        dropped = " (and the model leaves a variable of its outputs' names out of its " \
            "features)" if later.startswith("model") else ""
        raise ConfigError(
            f"{where}{later} makes a variable {name!r}, and {also}: the later stage "
            f"would replace the other's in the cube without a word{dropped}; "
            f"{_rename_hint(first, later)}")
    made = later_variables(job)
    clash = sorted(set(made) & set(ingested))
    if clash:
        name = clash[0]
        raise ConfigError(
            f"{where}{made[name]} makes a variable {name!r}, and so does the ingest stage (a "
            f"source or band of that name): one would replace the other in the cube without "
            f"a word; rename one of them (clashing: {clash})")
    lower = {name.lower(): name for name in ingested}
    for name in sorted(made):
        if name.lower() in lower:
            raise ConfigError(
                f"{where}{made[name]} makes a variable {name!r}, and the ingest stage "
                f"{lower[name.lower()]!r} (a source or band of that name), which differ only "
                f"in case; {_CASE_FOLDERS}: rename one of them")
    unread = unmade_bands(job, ingested)
    if unread:
        raise ConfigError(f"{where}indices: {unread}")
    unscored = tiles_without_a_model(job, ingested) or tiles_of_a_time_axis(job) or \
        differences_without_a_time_axis(job, ingested) or features_of_a_time_axis(job)
    if unscored:
        raise ConfigError(f"{where}{unscored}")
    unmade = unmade_layers(job, ingested)
    if unmade:
        raise ConfigError(
            f"{where}tiles.layers: no stage of this job makes the variable(s) {unmade}; "
            f"ingest makes {sorted(ingested)}, and the later stages their indices, change "
            "and economics layers, probability and uncertainty: fix 'variable'")
    unmade = unmade_features(job, ingested)
    if unmade:
        raise ConfigError(
            f"{where}model.features: no stage before train makes the variable(s) {unmade}; "
            f"ingest makes {sorted(ingested)}, and the indices, change and economics "
            "stages their layers: fix the names, or leave 'features' out to use every "
            "variable")


def tiles_without_a_model(job: JobConfig, ingested: Iterable[str] = (),
                          example: str | None = None) -> str:
    """Why ``job``'s tiles cannot be made, where its ``tiles`` section names no ``layers``
    (so it tiles the model's probability and uncertainty maps) and it has no ``model``
    section; ``""`` otherwise. ``ingested``: the ingest stage's variables, where known;
    ``example``: a variable to name in the fix (the first of ``ingested`` by default).

    ``tiles: {max_zoom: 13}`` in a job of survey layers was "tiles.layers: no stage of
    this job makes the variable(s) ['probability', 'uncertainty'] ...: fix 'variable'",
    of a key the user did not write, and ``prospect tiles`` ran the stage and failed with
    "run the score stage first", a stage the job cannot run.
    """
    if job.tiles is None or job.model is not None or "layers" in job.tiles.model_fields_set:
        return ""
    names = sorted(ingested)
    example = example or (names[0] if names else "<a cube variable>")
    made = f" (ingest makes {names}, the indices stage its indices)" if names else ""
    return ("tiles: the section names no 'layers', so it tiles the model's probability "
            "and uncertainty maps, and the job has no 'model' section; list the cube "
            f"variables to tile, e.g. layers: [{{variable: {example}}}]{made}, or add a "
            "model")


def _planned_indices(job: JobConfig) -> Any | None:
    """The plan of ``job``'s indices section (:func:`prospect.indices.plan.plan_indices`);
    ``None`` without one, or where it is wrong (the indices stage names what is wrong)."""
    cfg = job.indices
    if cfg is None or not (cfg.names or cfg.custom):
        return None
    from prospect.indices.bands import load_sensor
    from prospect.indices.plan import plan_indices

    try:
        return plan_indices(cfg.names, sensor=load_sensor(cfg.sensor), custom=dict(cfg.custom),
                            bands=dict(cfg.bands), constants=dict(cfg.constants))
    except ProspectError:
        return None


def time_axis_variables(job: JobConfig) -> dict[str, str]:
    """The cube variables of ``job`` that have a time axis, each with what it is in words:
    the bands stacked over ``timeseries.dates``, and the indices reading one of them;
    empty without a time series."""
    ts = job.timeseries
    if ts is None:
        return {}
    stacked = set(ts.dates[0].bands)
    timed = {band: "a band stacked over timeseries.dates" for band in sorted(stacked)}
    plan = _planned_indices(job)
    if plan is not None:
        for index in plan.indices:
            read = sorted({var for _, var in index.bands if var in stacked})
            if read:
                timed[index.name] = (f"an index of the band{'s' if len(read) > 1 else ''} "
                                     f"{', '.join(read)} stacked over timeseries.dates")
    return timed


def tiles_of_a_time_axis(job: JobConfig) -> str:
    """Why a tile layer of ``job`` cannot show its variable, ``""`` where each can.

    A layer of a variable with a time axis (a band stacked over ``timeseries.dates``, or an
    index reading one: :func:`time_axis_variables`) shows one map, so it names one of the
    dates by ``date:``. A layer's ``date:`` that is not one of ``timeseries.dates``, or is
    given on a variable of one map (or in a job without a time series), is refused naming
    the dates to pick or the key to remove.

    A tile layer is one map, and the tiles of ``NDVI`` of a job whose NDVI is computed on
    bands stacked over 1990 and 2014 (the Wageningen job, ``variable: NDVI`` beside its
    ``NDVI_change``) were made of the first date's alone (the reader's first band), titled
    ``NDVI``, with its value range taken over both dates, and the run said nothing; a
    job's layer could not take ``date:`` (only a serve layer could: "unknown key").
    """
    if job.tiles is None:
        return ""
    ts = job.timeseries
    timed = time_axis_variables(job) if ts is not None else {}
    dates = [str(d.date) for d in ts.dates] if ts is not None else []
    for i, layer in enumerate(job.tiles.layers):
        name, day = layer.variable, layer.date
        key = f"tiles.layers[{i}]"
        if day is not None and name not in timed:
            stacked = (f"; a variable with a time axis here: {', '.join(sorted(timed))}"
                       if timed else "; the job has no timeseries section")
            return (f"{key}.date: {day} picks one date of a variable with a time axis, and "
                    f"{name!r} has none (the job makes it once, one map): remove date: from "
                    f"the layer{stacked}")
        if day is not None and str(day) not in dates:
            return (f"{key}.date: {day} is not one of timeseries.dates ({', '.join(dates)}), "
                    f"the dates {name!r} has a map of; give one of those as date:")
        if day is not None or ts is None or name not in timed:
            continue
        change, own = _one_map_instead(ts, name)
        change = f"tile {change}"
        either = f", or one date's own variable ({', '.join(own)})" if own else ""
        return (f"{key}.variable: {name!r} is {timed[name]}, one map per date "
                f"({', '.join(dates)}), and a tile layer shows one map: its tiles would "
                f"show {dates[0]} alone; give date: (one of {', '.join(dates)}) beside "
                f"variable: {name} for that date's map, or {change}{either}")
    return ""


def _one_map_instead(ts: Any, name: str) -> tuple[str, list[str]]:
    """What stands for ``name``, a variable of a time axis, where one map is needed: its
    change layer (and how to make it where ``timeseries.difference`` lacks it), and each
    date's own variable where ``name`` is a band stacked over the dates."""
    change = f"{name}_change" + ("" if name in ts.difference else
                                 f" (list {name} in timeseries.difference)")
    own = [d.bands[name] for d in ts.dates] if name in ts.dates[0].bands else []
    return change, own


def features_of_a_time_axis(job: JobConfig) -> str:
    """Why a ``model.features`` (or ``model.focal.variables``) name of ``job`` cannot be a
    feature: it has a time axis (:func:`time_axis_variables`), one map per date, and a
    feature is one value per cell; ``""`` otherwise.

    The train stage refused it (``prospect.features.stack._check_plain_layers``), after
    the whole ingest and the indices had run over the region, in a line naming no config
    file, exit 1; ``prospect plan`` said nothing.
    """
    ts, model = job.timeseries, job.model
    if ts is None or model is None:
        return ""
    timed = time_axis_variables(job)
    focal = model.focal.variables if model.focal is not None else None
    for key, names in (("model.features", model.features), ("model.focal.variables", focal)):
        for name in names or ():
            if name not in timed:
                continue
            change, own = _one_map_instead(ts, name)
            either = f", one date's own variable ({', '.join(own)})" if own else ""
            dates = ", ".join(str(d.date) for d in ts.dates)
            return (f"{key}: {name!r} is {timed[name]}, one map per date ({dates}), and a "
                    f"feature is one value per cell; name its change {change}{either}, or "
                    f"leave it out of {key}")
    return ""


def differences_without_a_time_axis(job: JobConfig, ingested: Iterable[str] = ()) -> str:
    """Why a ``timeseries.difference`` name of ``job`` has no change to compute: no stage
    makes it, or it has no time axis (:func:`time_axis_variables`); ``""`` otherwise.
    ``ingested``: the ingest stage's variables, where known.

    ``difference: [heat]`` (a source: one map, not one per date) and ``difference:
    [NDVI]`` without NDVI in ``indices.names`` planned without a word, and the screen
    stage found them after the whole ingest and the indices (hours on a real region), in
    a line naming no config file, exit 1.
    """
    ts = job.timeseries
    if ts is None or not ts.difference:
        return ""
    timed = time_axis_variables(job)
    listed = ", ".join(timed)
    later = set(later_variables(job))
    for name in ts.difference:
        if name in timed:
            continue
        folded = [t for t in timed if t.lower() == name.lower()]
        if folded:
            fix = f"write {folded[0]!r} (names are case-sensitive)"
        else:
            fix = (f"difference a variable with a time axis ({listed}: the bands stacked "
                   "over timeseries.dates and the indices reading them), or compute the "
                   "index on the stacked bands (indices.names or indices.custom, with "
                   "indices.bands naming them)")
        if name in set(ingested) or name in later:
            what = (f"{name!r} has no time axis: the job makes it once, not once per date "
                    "of timeseries.dates, so it has no change")
        else:
            what = f"no stage of this job makes a variable {name!r}"
        return f"timeseries.difference: {what}; {fix}"
    return ""


def unmade_bands(job: JobConfig, ingested: list[str]) -> str:
    """Why the job's indices read a band variable that no stage before them makes (neither
    ingest, ``ingested``, nor a time series' stacking), in the indices stage's words; ``""``
    when they read none such, or the section is one the indices stage refuses itself.

    ``prospect plan`` said nothing of it (its stand-in cube holds zeros for a band no
    source makes) and ``prospect run`` found it only in the indices stage, after the
    whole ingest (hours on a real region): ``bands: {N: nir}`` beside a job whose red
    band is a source ``red`` left ``R`` on the sensor's ``B04``.
    """
    cfg = job.indices
    if cfg is None or not (cfg.names or cfg.custom) or not job.sources:
        return ""  # a job of no sources computes its indices on a cube made elsewhere
    from prospect.indices.api import missing_bands
    from prospect.indices.bands import load_sensor

    planned = _planned_indices(job)
    if planned is None:
        return ""
    sensor = load_sensor(cfg.sensor)
    stacked = list(job.timeseries.dates[0].bands) if job.timeseries is not None else []
    made = sorted({*ingested, *stacked})
    first = next((v for v in planned.inputs if v not in made), None)
    if first is None:
        return ""
    common = min(c for p in planned.indices for c, v in p.bands if v == first)
    return missing_bands(planned, sensor.name, made,
                         absent="that no source of this job makes", present_as="ingest makes",
                         fix="map each common name to the variable of ingest that holds "
                             f"it with indices.bands (e.g. indices.bands: {{{common}: "
                             "<variable>}), or add the sources that make those bands")


def warn_labels_of_another_commodity(job: JobConfig, job_path: Path | None) -> None:
    """A data warning when ``model.labels.value_column`` is a grade of another commodity
    than ``model.mineral`` (``LI_PPM`` labels for a ``zinc`` model): the mineral was
    changed and the labels were not. The model, its maps and its card were labelled zinc
    and trained on lithium grades, without a word. A warning, not an error: a pathfinder
    element can be the labels on purpose."""
    cfg = job.model
    if cfg is None or cfg.labels.value_column is None:
        return
    import warnings

    from prospect.config.commodities import column_ratio, grade_of_another
    from prospect.errors import DataWarning

    where = f"{job_path}: " if job_path is not None else ""
    if (ratio := column_ratio(cfg.labels.value_column)) is not None:  # no grade at all
        of = f" (of {ratio[0]} to {ratio[1]})" if all(ratio) else ""
        warnings.warn(DataWarning(
            f"{where}model.labels.value_column {cfg.labels.value_column!r} is a ratio or an "
            f"index{of}, not a grade of {cfg.mineral}: a record is a positive where the ratio "
            "reaches the threshold (model.labels.threshold), whatever its grade (a high "
            "Mg/Li ratio is a poor brine); give the grade column (e.g. 'Li_ppm'), or keep "
            "the ratio if that is what the labels should say"), stacklevel=2)
        return
    from prospect.screening import derived_figure

    if (derived := derived_figure(cfg.labels.value_column)) is not None:
        warnings.warn(DataWarning(
            f"{where}model.labels.value_column {cfg.labels.value_column!r} is {derived}, "
            "not a grade: a record is a positive where that figure reaches the labels' "
            "threshold, read in its own terms (the "
            "threshold of a log10 is the log of the grade, that of an error or a detection "
            "limit no grade at all); give the grade column (e.g. 'Li_ppm'), or keep this one "
            "with a threshold in its terms if that is what the labels should say"),
            stacklevel=2)
        return
    other = grade_of_another(cfg.mineral, cfg.labels.value_column)
    if other is not None:
        warnings.warn(DataWarning(
            f"{where}model.mineral is {cfg.mineral!r}, but the labels are grades of {other} "
            f"(model.labels.value_column {cfg.labels.value_column!r}): the maps and the model "
            f"card will say {cfg.mineral}; set model.mineral to {other!r}, or give the "
            f"{cfg.mineral} grade column"), stacklevel=2)


def _region_blocks(grid: RegionGrid, edge: float) -> int:
    """Most spatial-CV blocks of ``edge`` CRS units that samples of ``grid`` can fall in
    (cell centres span the grid less one cell; blocks start at the westmost and
    southmost sample, :func:`prospect.models.cv.assign_blocks`)."""
    span_x, span_y = ((cells - 1) * grid.resolution for cells in (grid.width, grid.height))
    return (math.floor(span_x / edge) + 1) * (math.floor(span_y / edge) + 1)


def _region_block_hint(grid: RegionGrid, n_splits: int) -> str:
    """The tail of plan's "more folds than the region's blocks" refusal: the extent its
    cell centres span and the largest block size (two significant figures) of which the
    region holds two blocks per fold (or, failing that, one), else fewer folds."""
    from prospect.models.cv import largest_block_size

    span_x, span_y = ((cells - 1) * grid.resolution for cells in (grid.width, grid.height))
    said = f"; its cell centres span {span_x:g} x {span_y:g} {grid.units}"
    fits = largest_block_size(max(span_x, span_y), n_splits,
                              lambda edge: _region_blocks(grid, edge),
                              smallest=grid.resolution * (1 - 1e-9))
    if fits is None:
        return f"{said}: lower model.cv.n_splits"
    edge, found = fits
    return (f"{said}: set model.cv.block_size to {edge:g} {grid.units} or less (the region "
            f"holds {found} blocks of it) or auto, or lower model.cv.n_splits")


def refuse_too_many_folds(job: JobConfig, grid: RegionGrid, occurrences: Any = None,
                          job_path: Path | None = None) -> None:
    """Refuse ``model.cv.n_splits`` above what the labels and the region can fill, before
    anything is computed.

    Checked: the spatial blocks of a ``block_size`` the region can hold at most (the
    train stage refused "only 1 blocks ... fewer than n_splits"), the positive cells of
    the labels (each test fold needs one: spatial folds without one were left unscored,
    random folds cut to the positives without a word) and, with ``negatives:
    below_threshold``, the negative cells and the blocks the labelled cells fall in. Each
    was found by train, after ingest and indices had run. ``occurrences`` are the labels
    as read (:func:`prospect.models.labels.read_occurrences`); read here when ``None``.
    Labels that cannot be read or graded are left to the stages that read them.

    Raises
    ------
    ConfigError
        Naming ``model.cv.n_splits``, the counts and the fix.
    """
    cfg = job.model
    if cfg is None:
        return
    import numpy as np

    from prospect.io.points import source_options
    from prospect.models.cv import assign_blocks, block_size_hint, refuse_unfilled_folds
    from prospect.models.labels import (
        grade_occurrences,
        graded_records,
        read_occurrences,
        snap_points,
    )
    from prospect.models.training import labels_source, refuse_subcell_blocks

    n = cfg.cv.n_splits
    where = f"{job_path}: " if job_path is not None else ""
    key = f"key 'model.cv.n_splits' = {n}"
    edge = cfg.cv.block_size
    try:  # a block under one cell is a random split reported as spatial (round 27)
        refuse_subcell_blocks(edge, resolution=grid.resolution, unit=grid.unit)
    except ConfigError as exc:
        raise ConfigError(f"{where}{exc}") from None
    room = _region_blocks(grid, float(edge)) if edge != "auto" else n
    if room < n:
        raise ConfigError(
            f"{where}{key} is more than the {room} spatial "
            f"block(s) of {float(edge):g} {grid.units} (model.cv.block_size) that region "
            f"{grid.name!r} ({grid.shape[1]} x {grid.shape[0]} cells of {grid.resolution:g}) "
            f"can hold{_region_block_hint(grid, n)}")
    lab = cfg.labels
    try:
        source = labels_source(job.sources, cfg)
        occ = occurrences if occurrences is not None else read_occurrences(
            source.path, grid, **source_options(source), value_column=lab.value_column,
            polygons=lab.polygons, mineral=cfg.mineral, intervals=lab.intervals)
        # train's rules (round 28): a quantile of the records, censored grades ranked
        positive, threshold = grade_occurrences(occ, threshold=lab.threshold,
                                                quantile=lab.threshold_quantile)
    except (ProspectError, OSError):  # unreadable or ungraded: the stages say so
        return
    # train's own rule: a grade below a detection limit at or under the threshold is a
    # negative (round 27); the plan counted only measured grades and refused jobs train runs
    keep = graded_records(occ.values, occ.limit, threshold, occ.floor)
    cells = snap_points(occ.x[keep], occ.y[keep], grid, positive=positive[keep],
                        feature_id=occ.feature_id[keep])
    counts = cells.counts
    seen = (f"{counts['records']} record(s) in {source.path}, {counts['outside_grid']} "
            f"outside the region, {counts['merged_into_shared_cell']} sharing a cell"
            + (f", graded at {threshold:g} in {lab.value_column!r}" if threshold is not None
               else ""))
    refuse_unfilled_folds(  # the one rule, which train applies to the cells it has
        n, positives=int((cells.label == 1).sum()),
        negatives=int((cells.label == 0).sum()) if lab.negatives == "below_threshold"
        else None, counted=seen, where=where)
    if lab.negatives == "below_threshold" and edge != "auto" and counts["cells"]:
        xy = np.column_stack([grid.x[cells.cols], grid.y[cells.rows]])
        blocks = int(assign_blocks(xy, float(edge)).max()) + 1
        if blocks < n:
            raise ConfigError(
                f"{where}{key} is more than the {blocks} spatial block(s) of {float(edge):g} "
                f"CRS units (model.cv.block_size) the labelled cells fall in ({seen}; "
                "negatives: below_threshold draws no background)"
                + block_size_hint(xy, n, grid.units))


def later_variables(job: JobConfig) -> dict[str, str]:
    """Cube variables the stages after ingest make, each with the key that makes it.

    An ingested variable of one of these names was lost without a word: a source named
    ``probability`` was left out of the features (a model output, by name) and then
    overwritten by the score stage; a band named ``NDVI`` by the index; a source named
    ``NDVI_change`` by the change layer; a time-series band named like a source's variable
    stopped ``prospect plan`` with ``internal error: ValueError``. Where two keys make one
    name (:func:`made_twice`), the later stage's key is given.
    """
    return dict(_later_makers(job))


def made_twice(job: JobConfig) -> tuple[str, str, str, str] | None:
    """A variable two of the stages after ingest make: ``(first name, its key, later
    name, its key)`` (the keys as :func:`later_variables` gives them; the names differ
    only in case, or not at all), or ``None``. Names that differ only in case count as one
    (:data:`_CASE_FOLDERS`).

    A custom index named ``probability`` in a job with a model was computed, left out of
    the features (a model output, by name) and replaced by the score's map; a catalogue
    index listed in ``indices.names`` and a time-series band of its name (per-date NDVI
    files stacked as ``NDVI``) made one variable, the index replacing the stacked one; a
    custom index ``NDVI_change`` the change layer of ``timeseries.difference: [NDVI]``.
    :func:`later_variables` kept the last maker, and ``prospect plan`` and ``run`` said
    nothing.
    """
    seen: dict[str, tuple[str, str]] = {}
    for name, key in _later_makers(job):
        first = seen.setdefault(name.lower(), (name, key))
        if _stage_of(first[1]) != _stage_of(key):  # the indices' own twins: theirs
            return first[0], first[1], name, key
    return None


def _stage_of(key: str) -> str:
    """The stage a key of :func:`_later_makers` stands for (every index: ``indices``)."""
    return "indices" if key.startswith("indices") else key


def _rename_hint(first: str, later: str) -> str:
    """What to rename where ``first`` and ``later`` (keys of :func:`made_twice`) make one
    variable: the custom index, if one is, else the time-series band, else either."""
    for key in (first, later):
        if key.startswith("indices.custom."):
            return f"give the custom index another name ({key})"
    if first.startswith("timeseries.dates"):
        return "rename the band in every entry of timeseries.dates"
    return "rename one of them"


def _later_makers(job: JobConfig) -> list[tuple[str, str]]:
    """``(variable, key that makes it)`` for each variable of the stages after ingest, in
    the order the stages run (a variable two keys make is listed twice)."""
    from pipelines.stages.tiles import SCORE_OUTPUTS

    made: list[tuple[str, str]] = []
    ts = job.timeseries
    if ts is not None:
        made += [(b, "timeseries.dates (a band stacked over the dates)")
                 for b in ts.dates[0].bands]
    cfg, plan = job.indices, _planned_indices(job)
    if cfg is not None and plan is not None:
        made += [(n, f"indices.custom.{n}" if n in cfg.custom else "indices")
                 for n in plan.names]
    if ts is not None:  # the screen stage's, after the indices it may difference
        made += [(f"{n}_change", "timeseries.difference") for n in ts.difference]
    if job.economics is not None:
        from prospect.screening import ECONOMIC_OUTPUTS

        made += [(n, "economics") for n in ECONOMIC_OUTPUTS.values()]
    if job.model is not None:
        made += [(n, "model (the score stage)") for n in SCORE_OUTPUTS]
    return made


def _saved_searches(job: JobConfig, grid: RegionGrid, out_dir: Path | None) -> JobConfig:
    """``job`` with each ``stac_search`` source reading the items an earlier run saved in
    ``out_dir`` for ``grid``'s bounds, where there are such items (offline: no search)."""
    if out_dir is None:
        return job
    from pipelines.stages.ingest import STAC_DIR
    from prospect.ingest.stac_search import resolve_search

    sources = []
    for source in job.sources:
        if isinstance(source, RasterSource) and source.stac_search is not None:
            with contextlib.suppress(ProspectError, OSError):  # none saved: from the config
                source, _, _ = resolve_search(source, grid, Path(out_dir) / STAC_DIR,
                                              offline=True)
        sources.append(source)
    return job.model_copy(update={"sources": sources})


def another_config_note(job: JobConfig, job_path: Path | None, out_dir: Path) -> str | None:
    """One line saying that ``out_dir`` holds ``job``'s name run from another config file,
    and what a run of this one there reruns and keeps; ``None`` otherwise.

    Two config files with one ``name:`` are one job to the manifest: a run of the second
    into the first's ``-o`` is taken as that job edited (copying a config and editing it
    is how a user continues a job), its changed stages rerun and replace the first's
    outputs. That was done without a word; a copy meant as a new job lost the first's
    maps. Nothing is refused: the line names both files and the stages, and how to keep
    both.

    Parameters
    ----------
    job
        The job about to run (or be planned).
    job_path
        Its config file.
    out_dir
        The ``-o`` given.
    """
    import json

    from pipelines.manifest import moved_files
    from prospect.nonfinite import restore_non_finite

    if job_path is None:
        return None
    try:
        data = json.loads((Path(out_dir) / "manifest.json").read_bytes())
    except (OSError, ValueError):
        return None
    if isinstance(data, dict):  # a source's nodata: .nan, as the run reads its records
        data = restore_non_finite(data)
    if not isinstance(data, dict) or data.get("job") != job.name:
        return None  # another job's folder is refused by the run, a new one says nothing
    before = data.get("config_path")
    if not isinstance(before, str) or not before or data.get("config_hash") == \
            job.config_hash():
        return None
    here = Path(job_path).absolute()
    with contextlib.suppress(OSError):
        if Path(before).resolve() == here.resolve():
            return None  # the same file, edited: the run's own note says what changed
    recorded = data.get("stages")
    stages: dict[str, Any] = recorded if isinstance(recorded, dict) else {}
    rerun: list[str] = []
    kept: list[str] = []
    found = data.get("inputs")
    inputs: dict[str, Any] = found if isinstance(found, dict) else {}
    for stage, rec in stages.items():
        if not isinstance(rec, dict) or rec.get("status") != "done":
            continue
        files = [*inputs.values(), *(rec.get("input_files") or {}).values()] \
            if isinstance(rec.get("input_files") or {}, dict) else list(inputs.values())
        same = moved_files(rec, job, stage, files, Path(out_dir)) is not None
        (kept if same else rerun).append(stage)
    what = (f"a run reruns {', '.join(rerun)} with this config's settings, replacing that "
            "run's outputs" if rerun else "no finished stage's settings differ")
    if kept:
        what += f"; {', '.join(kept)} kept"
    return (f"{out_dir} holds job {job.name!r} as run from {before}; {here} has the same "
            f"name, so it is taken as that job edited: {what}; give it another -o (or "
            "another name) to keep both")


def format_bytes(n: float) -> str:
    """``1536`` -> ``'1.5 KiB'``."""
    units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"]
    i = 0 if n <= 0 else min(len(units) - 1, int(math.log(n, 1024)))
    return f"{n / 1024 ** i:.1f} {units[i]}" if i else f"{int(n)} B"


def _free_bytes(path: Path) -> tuple[Path, int] | None:
    """The nearest existing folder at or above ``path`` and the bytes an unprivileged
    user may still write on its disk; ``None`` where none can be asked."""
    from pipelines.faults import disk_of

    disk = disk_of(path)
    if disk is None:
        return None
    folder, st = disk
    return folder, st.f_bavail * st.f_frsize


def _bytes_under(path: Path) -> int:
    """Bytes the files under ``path`` take (0 where there are none)."""
    total = 0
    if not path.is_dir():
        return 0
    for file in path.rglob("*"):
        with contextlib.suppress(OSError):
            if file.is_file() and not file.is_symlink():
                total += file.stat().st_size
    return total


CUBE_BEST_RATIO = 2.0
"""The most zstd typically shrinks a cube of imagery (:func:`plan_job`'s note: 1.3-2x)."""


def disk_room_note(job: JobConfig, plan: JobPlan, out_dir: Path) -> str:
    """Why the cube a run of ``plan`` writes under ``out_dir`` would not fit the disk
    holding it, or ``""`` where it would (or its disk cannot be asked).

    ``prospect plan job.yaml -o out`` said "cube on disk: 58.2 GiB" beside a disk of
    2 GiB free without a word: the run computed for hours and stopped at the full disk.

    Parameters
    ----------
    job
        The job planned.
    plan
        Its plan (:func:`plan_job`), whose ``cube_bytes`` is the uncompressed cube.
    out_dir
        The ``-o`` a run would be given (it need not exist yet).

    Returns
    -------
    str
        The one-line warning (:func:`cube_room_note`), or ``""``.
    """
    return cube_room_note(out_dir, Path(out_dir).expanduser() / job.outputs.cube,
                          plan.cube_bytes)


def cube_room_note(out_dir: Path, cube: Path | None, cube_bytes: float) -> str:
    """Why ``cube_bytes`` (uncompressed float32) of the cube ``cube`` would not fit the
    disk holding ``out_dir``, or ``""`` where they would (or the disk cannot be asked).

    The bytes are shrunk by the most zstd typically shrinks imagery
    (:data:`CUBE_BEST_RATIO`), and what ``cube`` already holds there is counted as written
    (a resumed run's; ``None``: ``cube_bytes`` are those still to write); cells without
    data shrink far more, so this warns, never refuses.
    """
    room = _free_bytes(out_dir)
    if room is None:
        return ""
    folder, free = room
    if cube_bytes / CUBE_BEST_RATIO <= free:  # room for all of it: the cube is not walked
        return ""
    there = _bytes_under(cube) if cube is not None else 0
    if cube_bytes / CUBE_BEST_RATIO - there <= free:
        return ""
    written = f"; {format_bytes(there)} of it written already" if there else ""
    return (f"{out_dir}: the cube takes {format_bytes(cube_bytes)} uncompressed "
            f"(about {format_bytes(cube_bytes / CUBE_BEST_RATIO)} where zstd shrinks it "
            f"as it does imagery{written}), but the disk holding {folder} has "
            f"{format_bytes(free)} free: a run is likely to stop on a full disk (unless "
            "most cells hold no data); free space, give -o on a larger disk, or plan a "
            "coarser resolution or smaller bounds")
