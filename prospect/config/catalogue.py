"""The shipped example jobs (``configs/jobs``): what each covers and whether its data is here."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from prospect.config.job import JobConfig, config_dir, load_job, shipped_region_name
from prospect.config.region import RegionConfig
from prospect.config.sources import PointSource, RasterSource, VectorSource

__all__ = ["JobEntry", "describe_job", "job_files", "job_services", "list_jobs"]


@dataclass(frozen=True)
class JobEntry:
    """One shipped job as ``prospect jobs`` lists it.

    Attributes
    ----------
    name, description, path
        The job's name, its description and its YAML file.
    region
        The region (shipped name or inline name) with its CRS and cell size.
    job
        The validated config.
    minerals
        What it prospects for (the model's mineral; lithium for brine economics).
    datasets
        The ``../shared/data`` folders (or other folders) its files live in.
    missing
        Input files that are not there (empty: the job can run).
    """

    name: str
    description: str
    path: Path
    region: str
    job: JobConfig
    minerals: list[str]
    datasets: list[str]
    missing: list[str] = field(default_factory=list)

    @property
    def data_present(self) -> bool:
        """True when every input file the job names exists."""
        return not self.missing


def job_files(job: JobConfig) -> list[Path]:
    """Every input file a job config names (sources, scenes, MTL files, mask, reference)."""
    files: list[Path] = []
    region = job.region
    if hasattr(region, "reference"):
        files.append(Path(region.reference))
    for source in job.sources:
        if isinstance(source, RasterSource):
            if source.stac is not None or source.stac_search is not None:
                continue  # items and assets come from a catalogue: see job_services
            for scene in source.scene_list():
                files += [Path(p) for p in (scene.bands or {}).values()]
                files += [Path(p) for p in (scene.path, scene.mtl) if p is not None]
        elif isinstance(source, VectorSource | PointSource):
            files.append(Path(source.path))
            extent = getattr(source, "faults_extent", None)
            if extent is not None and not isinstance(extent, tuple):
                files.append(Path(extent))  # (a file of the faults' mapped area)
    if job.mask is not None and job.mask.path is not None:
        files.append(Path(job.mask.path))
    return files


def job_services(job: JobConfig) -> list[str]:
    """The STAC APIs and catalogues a job reads its scenes from (it needs the network)."""
    out = []
    for source in job.sources:
        if isinstance(source, RasterSource) and source.stac_search is not None:
            out.append(f"STAC API {source.stac_search.url} {source.stac_search.collections}")
        elif isinstance(source, RasterSource) and source.stac is not None and \
                source.stac.startswith(("http://", "https://")):
            out.append(f"STAC {source.stac}")
    return out


def _region_label(job: JobConfig) -> str:
    from prospect.config.job import resolve_grid

    name = shipped_region_name(job) or (job.region.name
                                        if isinstance(job.region, RegionConfig) else None)
    try:
        grid = resolve_grid(job)
    except Exception:  # a reference raster that is missing: name what we know
        return name or "from a reference raster"
    from prospect.config.region import resolution_text

    return f"{name or grid.name} ({grid.crs}, {resolution_text(grid.crs, grid.resolution)})"


def describe_job(path: Path) -> JobEntry:
    """The catalogue entry of the job config at ``path`` (validated, files not read)."""
    job = load_job(path)
    files = job_files(job)
    minerals = []
    if job.model is not None:
        minerals.append(job.model.mineral)
    if job.economics is not None and "lithium" not in minerals:
        minerals.append("lithium")
    datasets = sorted({_dataset(p) for p in files}) + job_services(job)
    return JobEntry(
        name=job.name, description=job.description, path=Path(path),
        region=_region_label(job), job=job, minerals=minerals, datasets=datasets,
        missing=[str(p) for p in files if not p.exists()],
    )


def _dataset(path: Path) -> str:
    """The data folder a file belongs to: the folder under ``data/`` or its parent's name."""
    parts = path.resolve().parts if path.exists() else Path(path).parts
    if "data" in parts:
        i = len(parts) - 1 - parts[::-1].index("data")
        if i + 1 < len(parts) - 1:
            return parts[i + 1]
    return path.parent.name


def list_jobs(folder: Path | None = None, *,
              refused: list[tuple[Path, str]] | None = None) -> list[JobEntry]:
    """Every shipped job (``configs/jobs/*.yaml``), sorted by name.

    Parameters
    ----------
    folder
        The folder of job configs (default: the shipped ``jobs/``).
    refused
        Where given, a job that does not load is added to it (its file and the error)
        and the others are listed; otherwise its :class:`~prospect.errors.ConfigError`
        is raised.
    """
    from prospect.errors import ProspectError

    folder = folder or config_dir() / "jobs"
    entries = []
    for path in sorted(folder.glob("*.yaml")):
        try:
            entries.append(describe_job(path))
        except ProspectError as exc:
            if refused is None:
                raise
            refused.append((path, str(exc).splitlines()[0] if str(exc) else repr(exc)))
    return entries
