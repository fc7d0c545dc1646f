"""``prospect plan CONFIG``: chunks, tasks, cube size and memory per worker, computing nothing."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from pipelines.commands._common import (
    ConfigArg,
    examples,
    json_text,
    literal,
    names_output_folder,
    out_path,
    table_console,
    threads_at_most,
    warning_lines,
    workers_at_most,
)
from prospect.errors import DataWarning

if TYPE_CHECKING:
    from pipelines.plan import JobPlan
    from prospect.config import JobConfig


def plan(
    config: ConfigArg,
    workers: Annotated[int, typer.Option("--workers", min=1, callback=workers_at_most,
                                         help="Worker processes to size memory for.")] = 1,
    threads: Annotated[int, typer.Option("--threads", min=1, callback=threads_at_most,
                                         help="Threads per worker process.")] = 1,
    region: Annotated[str | None, typer.Option(
        "--region", help="Plan the job on another shipped region (e.g. netherlands).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the plan as JSON.")] = False,
    out: Annotated[Path | None, typer.Option(
        "-o", "--out", help="The job's output folder: a STAC search an earlier run saved "
        "there is planned from its items (nothing is written).", parser=out_path,
        callback=names_output_folder)] = None,
    strict: Annotated[bool, typer.Option(
        "--strict", help="Exit 1, as a run would stop at ingest, when a source's local "
        "files are not there (without it they are counted from the config) or are there "
        "and a run stops on them (none in the region...); exit 75, as "
        "a run would be refused, while another job runs in -o.")] = False,
) -> None:
    """Plan a job without computing it: chunk and task counts, cube size, memory per worker.

    A source whose files are not there yet is counted from the config and the plan exits
    0 (a job planned before its data are fetched); ``--strict`` exits 1 then, and where
    files here are ones a run's ingest stops on (none overlaps the region, a band count
    the config contradicts), as the run's ingest would, after the plan is printed, so
    that a script can tell from the exit code whether the job can run. Another job at
    work in ``-o`` is said in a warning (a run there now is refused); ``--strict`` exits
    75 then, as the run would.
    """
    from pipelines.plan import plan_job, refuse_too_many_folds
    from prospect.config import load_job, load_region, resolve_grid
    from prospect.config.job import asked_bounds
    from prospect.config.region import snapped_bounds_note
    from prospect.errors import ConfigError
    from prospect.ingest.surfaces import ground_cells_note

    if region is not None and not region.strip():
        raise ConfigError("--region is empty; give a shipped region's name (see 'prospect "
                          "regions'), or leave it out to plan on the job's own region")
    # --region replaces the job's own region, which is then neither read nor refused
    try:
        shipped = load_region(region) if region is not None else None
    except ConfigError as exc:  # said of the option, as the job's errors are of its file
        raise ConfigError(f"--region: {exc}") from None
    job = load_job(config, region=shipped)
    if out is not None:  # a source reading what the run would write there
        from pipelines.plan import refuse_outputs_as_inputs, refuse_unsafe_output_folder

        refuse_outputs_as_inputs(job, out, config)
        refuse_unsafe_output_folder(job, out, config)
    holder = _held_by(out) if out is not None else None
    # what the headers tell while planning (fills, units...): one 'warning:' line each on
    # stderr, as a run prints them, not Python's warning with a library path
    with warning_lines(Console(stderr=True, highlight=False)) as warned:
        bounds: tuple[float, float, float, float] | None
        if shipped is not None:
            grid, bounds = shipped.to_grid(), shipped.bounds
        else:
            grid, bounds = resolve_grid(job), asked_bounds(job)
        snapped = snapped_bounds_note(bounds, grid)
        if snapped:
            warnings.warn(snapped, DataWarning, stacklevel=1)
        stretched = ground_cells_note(grid)  # a Web Mercator region, as ingest says it
        if stretched:
            warnings.warn(stretched, DataWarning, stacklevel=1)
        if region is None:  # the folds the job's own labels and region can fill
            refuse_too_many_folds(job, grid, job_path=config)
        # a source whose files are here and refused stops the run at ingest: the plan
        # says so and exits as the run would (on another region, its files may lie
        # outside it: counted from the config, as before)
        p = plan_job(job, grid, workers=workers, threads_per_worker=threads, out_dir=out,
                     job_path=config, refuse_unreadable=region is None)
        if out is not None:  # a cube that cannot fit the disk of -o: said before the run
            from pipelines.plan import disk_room_note

            room = disk_room_note(job, p, out)
            if room:
                warnings.warn(room, DataWarning, stacklevel=1)
    too_many = _workers_warning(workers)
    if too_many:
        Console(stderr=True, highlight=False).print(Text(f"warning: {too_many}"),
                                                    soft_wrap=True)
    if out is not None:  # the same name from another config file: taken as an edit
        from pipelines.plan import another_config_note

        note = another_config_note(job, Path(config).resolve(), out)
        if note:
            Console(stderr=True, highlight=False).print(Text(f"note: {note}"),
                                                        soft_wrap=True)
    removed = would_remove(job, out) if out is not None else []
    if as_json:
        typer.echo(json_text({**p.to_dict(), "would_remove": removed}))
    else:
        _print_plan(p, removed, out)
    if holder is not None and out is not None:
        Console(stderr=True, highlight=False).print(Text(
            f"warning: {out}: in use by {holder}; a run of this job there now is refused "
            "(one job per output directory) until that job finishes, and what this plan "
            "read there (the manifest, saved STAC items) is that job's as it stands: wait "
            "for it to finish, or give another -o"), soft_wrap=True)
    if strict:  # after the plan: what can be counted is said, then why the job cannot run
        from pipelines.plan import refuse_missing_files, refuse_run_stops
        from prospect.errors import OutputBusyError

        refuse_missing_files(job, config)  # for good: before a wait that would not help
        refuse_run_stops(warned)  # files here that a run's ingest stops on: for good too
        if holder is not None:
            raise OutputBusyError(f"{out}: in use by {holder}, so a run of this job there "
                                  "now is refused (plan --strict; exit 75, as the run's): "
                                  "wait for it to finish and plan again, or give another -o")


def _print_plan(p: JobPlan, removed: list[str], out: Path | None) -> None:
    """The plan's table and notes on standard output."""
    from pipelines.plan import format_bytes
    from prospect.config.region import resolution_text

    console = table_console()
    console.print(Text.assemble((f"plan of job {p.job}", "bold"),  # names from files: literal
                                f" on {p.region} ({_crs_label(p.crs)}, "
                                f"{resolution_text(p.crs, p.resolution)})"))
    console.print(f"  grid: {p.shape[0]} x {p.shape[1]} cells, chunks {p.chunks[0]} x "
              f"{p.chunks[1]} -> {p.n_chunks} chunks")
    table = Table()
    table.add_column("stage")
    table.add_column("tasks", justify="right")
    table.add_column("variables", justify="right")
    table.add_column("per-task memory", justify="right")
    table.add_column("per worker", justify="right")
    table.add_column("how counted")
    for s in p.stages:
        table.add_row(*literal(s.name, f"{s.tasks:,}", str(s.variables or ""),
                               format_bytes(s.bytes_per_task),
                               format_bytes(s.memory_per_worker), s.note))
    table.add_row("total", f"{p.tasks:,}", str(p.cube_variables), "",
                  format_bytes(p.memory_per_worker), "")
    console.print(table)
    console.print(f"  cube on disk: {format_bytes(p.cube_bytes)} ({p.cube_variables} float32 "
              "variables, uncompressed)")
    console.print(f"  memory per worker: {format_bytes(p.memory_per_worker)} "
              f"({p.threads_per_worker} thread(s)); {p.workers} worker(s): "
              f"{format_bytes(p.memory_per_worker * p.workers)}")
    console.print("  tasks per chunk (chunk-wise stages): "
                  f"{p.chunk_tasks / max(p.n_chunks, 1):.1f}")
    for note in p.notes:
        console.print(Text(f"  {note}", style="dim"))
    if removed and out is not None:
        console.print(Text(f"  a run of this config in {out} would take away what the job "
                           "no longer makes: its files and folders moved into "
                           f"{out / 'removed'}/<time>-<run>/ (nothing deleted), its cube "
                           "variables deleted (made again from the inputs if the section "
                           "comes back); or run it with another -o:", style="yellow"))
        for line in removed:
            console.print(Text(f"    {line}"))


def would_remove(job: JobConfig, out_dir: Path) -> list[str]:
    """What a run of ``job`` in ``out_dir`` would remove, one line each, read from the
    folder's ``manifest.json`` (nothing is written).

    A section deleted from the config (``tiles``, ``model``) makes the run remove what its
    stage made: the stage's cube variables, folders and files (``tiles/``, ``model/``,
    ``score/*.tif``), as results of a job that no longer makes them. That happened with no
    warning before the run printed "removed ..."; ``prospect plan -o`` lists it first.
    ``[]`` when the folder holds no manifest of this job.
    """
    import json

    from pipelines.runner import STAGE_ORDER, default_stages
    from pipelines.verify import relative_to, unmade_outputs

    try:
        data = json.loads((out_dir / "manifest.json").read_bytes())
    except (OSError, ValueError):
        return []
    if not isinstance(data, dict) or data.get("job") != job.name or \
            not isinstance(data.get("stages"), dict):
        return []
    records = {k: v for k, v in data["stages"].items() if isinstance(v, dict)}
    has = default_stages(job)
    lines: list[str] = []
    cube = out_dir / job.outputs.cube
    for stage in (s for s in STAGE_ORDER if s in records and s not in has):
        owned = sorted({var for rec in records.values() if isinstance(rec.get("verify"), dict)
                        for variables in rec["verify"].values() if isinstance(variables, dict)
                        for var, entry in variables.items()
                        if isinstance(entry, dict) and entry.get("stage") == stage})
        if owned and cube.is_dir():
            lines.append(f"cube variable(s) {', '.join(owned)} of {job.outputs.cube} (the "
                         f"{stage} stage made them)")
        outputs = records[stage].get("outputs")
        kept = {f"{other}:{k}": v for other, rec in records.items() if other != stage
                for k, v in (rec.get("outputs") or {}).items()} \
            if all(isinstance(r.get("outputs") or {}, dict) for r in records.values()) else {}
        if isinstance(outputs, dict):
            for label, path in unmade_outputs(out_dir, outputs, kept, keep=(
                    out_dir / "manifest.json", out_dir / ".prospect.lock", cube)):
                lines.append(f"{relative_to(out_dir, str(path))} ({label}; the {stage} "
                             "stage made it and the job no longer has it)")
    return lines


def _held_by(out: Path) -> str | None:
    """Who holds ``out``'s lock now, read without taking it
    (:func:`pipelines.lock.holder_now`); ``None`` when no job does.

    The plan said nothing of a job at work there (exit 0) and counted from the folder as
    that job left it; the run then was refused, exit 75.
    """
    from pipelines.lock import holder_now

    return holder_now(out)


def _crs_label(crs: str) -> str:
    """``crs`` as the plan's heading names it: a WKT or PROJJSON grid CRS (``OGC:CRS84``
    is kept as WKT, having no EPSG code) by its authority's code, or one of none by its
    PROJ string (:func:`prospect.config.region.crs_short`); it printed the whole WKT, five
    lines of it, in the heading, and then "unknown", PROJ's name of a custom CRS."""
    from prospect.config.region import crs_short

    return crs_short(crs)


def _workers_warning(workers: int) -> str | None:
    """What ``run --workers`` would refuse on this machine (its own check), as a warning:
    a plan may be for a cluster, but a local run of it would not start."""
    from pipelines.cluster import check_local_workers
    from prospect.errors import ConfigError

    try:
        check_local_workers(workers)
    except ConfigError as exc:
        return f"{exc} (a run on this machine would refuse it)"
    return None


def register(app: typer.Typer) -> None:
    """Add ``plan`` to ``app``."""
    app.command("plan", epilog=examples("plan"))(plan)
