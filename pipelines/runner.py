"""Run one or more stages of a job on a dask client, recording a manifest."""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import math
import os
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, get_args

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from pipelines import verify
from pipelines.cluster import (
    StallWatch,
    check_engine,
    dashboard_link,
    dask_client,
    engine_warnings,
    lost_scheduler_error,
    run_engine_warnings,
    scheduler_address,
    scheduler_lost,
    task_timeout,
    worker_count,
)
from pipelines.context import RunContext, StageResult, timed
from pipelines.faults import (
    Interrupted,
    Stopped,
    check_name_room,
    children_spared,
    disk_fault_within,
    error_ahead,
    gdal_disk_fault,
    hangup_proof_tracker,
    interruptible_main_thread,
    killed_worker_error,
    note_stage,
    open_file_limit,
    out_of_memory_error,
    output_fault,
    prepare_gdal,
    removed_output,
    said_disk_error,
    say_stop_after,
    signal_handlers_kept,
    stack_limit,
    stage_of,
    standard_stream_error,
    stop_behind,
    terminal_gone_proof,
)
from pipelines.lock import LOCK_FILE, check_held, cube_lock, lock_on_workers, output_lock
from pipelines.manifest import (
    Manifest,
    changed_while_running,
    file_stamps,
    file_system_now,
    other_job,
)
from pipelines.progress import StageMonitor
from pipelines.stages import STAGE_ORDER, get_stage
from pipelines.stages.screen import has_work as screen_has_work
from prospect.config import JobConfig, load_job, resolve_grid
from prospect.errors import (
    ConfigError,
    DamagedFileError,
    DataWarning,
    OutputWriteError,
    ProspectError,
    StageError,
    data_warnings,
    resource_refused,
)
from prospect.grid import RegionGrid
from prospect.indices.ranges import EMPTY_SAID as INDEX_EMPTY_SAID
from prospect.io.files import sweep_leftovers

__all__ = ["output_names", "prepare_out_dir", "print_summary", "refuse_idle_stages", "run_job",
           "run_stages"]


def run_job(
    config: Path | JobConfig, out_dir: Path, *, stages: Sequence[str] | None = None,
    scheduler: str | None = None, workers: int | None = None, console: Console | None = None,
    cluster: str | None = None, force: bool = False, job_path: Path | None = None,
) -> list[StageResult]:
    """Load a job config and run ``stages`` (default: every stage the config asks for).

    Parameters
    ----------
    config
        Job YAML path or a validated :class:`JobConfig`.
    out_dir
        Output directory; its ``manifest.json`` makes a rerun resume.
    stages
        Stages to run (default: those the config has settings for).
    scheduler, workers, cluster
        Where the stages compute: a running scheduler, a local cluster of ``workers``
        processes (the default), or ``slurm``/``pbs``/``kubernetes`` (see ``cluster/``).
    force
        Recompute stages that a previous run of the same config already finished.
    job_path
        The file a :class:`JobConfig` given as ``config`` came from (for the manifest).
    """
    if isinstance(config, JobConfig):
        job = config
    else:
        job_path = Path(config).resolve()
        job = load_job(job_path)
    wanted = list(stages) if stages else default_stages(job)
    unknown = [s for s in wanted if s not in STAGE_ORDER]
    if unknown:
        raise ConfigError(f"unknown stage(s) {unknown}; stages are {list(STAGE_ORDER)}")
    refuse_idle_stages(job, wanted, source=job_path)
    open_file_limit()  # raised where the shell's is low; one too low for a job is refused
    stack_limit()  # so is the stack's (ulimit -s)
    task_timeout()  # a PROSPECT_TASK_TIMEOUT that is no number is refused before anything
    # a name whose hidden working names outgrow the file system's, or an -o too deep
    check_name_room(Path(out_dir).expanduser().absolute(), output_names(job))
    out_dir = prepare_out_dir(out_dir)
    ctx = RunContext(job=job, out_dir=out_dir, grid=resolve_grid(job), job_path=job_path)
    if console is not None:
        ctx.console = console
    prepare_gdal()  # libtiff's raw lines (a full disk) are said once, by the job's error
    hangup_proof_tracker()  # before any worker or pool: a closed terminal must not end it
    def say(line: str) -> None:
        ctx.console.print(f"[dim]{escape(line)}[/dim]")

    behind: list[Stopped] = []  # a stop met as the job unwound from its error
    try:  # a terminal that closes (a job left in the background) does not end it
        # the engine's warnings of this run, not another's in this process, are recorded
        with terminal_gone_proof(), run_engine_warnings():
            return _run_said(ctx, wanted, force=force, scheduler=scheduler,
                             workers=workers, cluster=cluster, say=say, behind=behind)
    except ProspectError as exc:  # the error the job ended on, then the stop
        for stop in behind:
            say_stop_after(exc, stop)
        raise


def _run_said(ctx: RunContext, wanted: Sequence[str], *, force: bool,
              scheduler: str | None, workers: int | None, cluster: str | None,
              say: Callable[[str], None], behind: list[Stopped]) -> list[StageResult]:
    """The body of :func:`run_job`: the job in its output lock, its error said as the
    disk's where a write the disk refused is its cause. A stop (Ctrl-C, SIGTERM) met while
    the job already unwound from an error (in a stage's record, the cluster's close, the
    lock's release) ends in that error, not the stop, which is put in ``behind``."""
    out_dir = ctx.out_dir
    began_writable = False  # a read-only disk met after that turned so under the job
    try:  # helper threads (the lock's heartbeat, the hang watch) can stop the main thread
        try:
            with interruptible_main_thread(), output_lock(out_dir, say=say) as writable:
                if not writable:
                    return _read_only_rerun(ctx, wanted, force=force)
                began_writable = True
                # a cube linked out of -o: one job at a time writes it, whatever its -o
                return _run_locked(ctx, wanted, force=force, scheduler=scheduler,
                                   workers=workers, cluster=cluster)
        except Stopped as stop:
            first = error_ahead(stop, left=_JOB_FRAMES)
            if first is None:
                raise
            behind.append(stop)
        raise first  # outside the handler: the error's own causes stay as they were
    except ProspectError as exc:  # as it is, unless a write the disk refused is its cause
        disk = None if isinstance(exc, OutputWriteError) else disk_fault_within(exc)
        if disk is None:
            raise
        stream = standard_stream_error(disk, stage=stage_of(exc))  # the log's, not -o's
        if stream is not None:
            raise OutputWriteError(stream) from exc
        raise output_fault(disk, out_dir, began_writable=began_writable,
                           stage=stage_of(exc)) from exc
    except OSError as exc:
        stream = standard_stream_error(exc)  # 2>> run.log on a full disk: not -o's
        if stream is not None:
            raise OutputWriteError(stream) from exc
        if exc.errno is None and not removed_output(exc, out_dir):
            said = said_disk_error(out_dir)  # GDAL's "Write failed" in this process
            if said is None:  # not the disk's
                raise
            raise output_fault(said, out_dir, began_writable=began_writable,
                               stage=stage_of(exc)) from exc
        raise output_fault(exc, out_dir, began_writable=began_writable,
                           stage=stage_of(exc)) from exc
    except Exception as exc:  # GDAL's own error of a write ("IO error writing tag data")
        disk = gdal_disk_fault(exc, out_dir)
        if disk is None:
            if not Path(out_dir).is_dir():  # -o deleted under the job: a worker's read of
                # it (zarr's ArrayNotFoundError) failed before any write said so, exit 70
                gone = FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), str(out_dir))
                raise output_fault(gone, out_dir) from exc
            raise
        raise output_fault(disk, out_dir, began_writable=began_writable,
                           stage=stage_of(exc)) from exc


def _other_job_message(out_dir: Path, other: str, ctx: RunContext) -> str:
    """Why ``out_dir``, holding the outputs of job ``other`` (:func:`other_job`'s words),
    is not this job's, and the fix.

    Where that job's manifest names this job's own config file, the job was renamed in
    it (``name: tiny`` made ``name: tiny-2026``) since that run: "holds the outputs of
    job 'tiny' (/jobs/tiny.yaml), not of 'tiny-2026'; give this job its own -o" told the
    user to start again elsewhere, as if another job's, what this config had made.
    """
    from pipelines.manifest import recorded_job

    said = (f"{out_dir}: holds the outputs of job {other}, not of {ctx.job.name!r}; "
            "give this job its own -o (or remove that folder to reuse it)")
    recorded = recorded_job(out_dir)
    if recorded is None or ctx.job_path is None:
        return said
    name, config = recorded
    if config is None:
        return said
    try:
        same = Path(config).resolve() == Path(ctx.job_path).resolve()
    except (OSError, RuntimeError, ValueError):
        same = False
    if not same:
        return said
    return (f"{out_dir}: holds the outputs of job {name!r}, made by this same config file "
            f"({ctx.job_path}) before its 'name:' became {ctx.job.name!r}; a job's name "
            f"marks its outputs, so put back 'name: {name}' to go on with them here, or "
            "give the renamed job its own -o (or remove that folder to reuse it)")


def _run_locked(ctx: RunContext, wanted: Sequence[str], *, force: bool,
                scheduler: str | None, workers: int | None, cluster: str | None
                ) -> list[StageResult]:
    """The body of :func:`run_job` once ``-o`` is locked: the cube locked too where it is
    a link out of ``-o`` (:func:`~pipelines.lock.cube_lock`), leftovers swept, the cube
    and manifest checked, then the stages on the job's dask client."""
    out_dir = ctx.out_dir
    check_held(out_dir)  # another host's job wrote the lock file since: its files
    with cube_lock(out_dir, ctx.cube_path):  # before its sweep: another job's staging
        # by runs killed mid-write (we hold the lock); not another job's -o inside this one
        left = sweep_leftovers(out_dir, others_mark=LOCK_FILE)
        from prospect.io.cube import check_cube_grid, sweep_cube_leftovers

        left += sweep_cube_leftovers(ctx.cube_path)  # beside it, when linked elsewhere
        if left:
            ctx.console.print(f"[dim]removed {len(left)} temporary file(s) or folder(s) "
                              "left by an interrupted run[/dim]")
        # another job's cube (another grid) is refused before this job's manifest
        # replaces that job's: its record of finished stages would be lost
        check_cube_grid(ctx.cube_path, ctx.grid)
        other = other_job(out_dir, ctx.job)  # the same grid, another job: its record too
        if other is not None:
            raise ConfigError(_other_job_message(out_dir, other, ctx))
        check_engine(scheduler=scheduler, cluster=cluster, workers=workers)
        _plan_before_cluster(ctx, wanted, force=force)
        with contextlib.ExitStack() as engine:
            with children_spared():  # Ctrl-\ to the whole group stops the job, not a worker
                client = engine.enter_context(
                    dask_client(scheduler=scheduler, workers=workers, cluster=cluster))
            engine.enter_context(lock_on_workers(client, out_dir))  # score's COGs go there
            ctx.client = client
            return run_stages(ctx, wanted, force=force, cluster=cluster)


def _plan_before_cluster(ctx: RunContext, stages: Sequence[str], *, force: bool) -> None:
    """Plan the ingest stage before the job's dask cluster starts, when it is going to run.

    A missing file, a folder given as a file, a source the grid cannot reach: ingest's plan
    refuses them, but it ran once the cluster was up, so a job with bad input started a
    local cluster (1-2 s of worker processes, then their shutdown) or queued worker jobs
    on a batch system before saying so. The plan is kept for the stage
    (``ctx.prepared``). An ingest the manifest records as done is left to the stage, which
    skips it when nothing changed (its input files need not be there any more).
    """
    if "ingest" not in stages:
        return
    manifest = Manifest(ctx.out_dir, ctx.job, job_path=ctx.job_path)
    if not force and manifest.data["stages"].get("ingest", {}).get("status") == "done":
        return
    from pipelines.plan import stopped_on_unopenable_file
    from pipelines.stages.ingest import plan

    fresh = not os.path.lexists(manifest.path)  # a new -o: no record of this job there
    warned: list[str] = []
    try:
        with data_warnings() as warned:
            made = plan(ctx)
    except BaseException as exc:  # shown and recorded as the stage's own failure was
        ctx.console.rule("[bold]ingest")
        if fresh and not warned and stopped_on_unopenable_file(ctx.job, exc):
            raise  # a path to fix, nothing to keep: the command leaves a new -o as it was
        with contextlib.suppress(OSError):
            manifest.begin("ingest")
        _stage_stopped(ctx, manifest, "ingest", exc, [f"warning: {w}" for w in warned])
        raise
    made.warned = warned
    ctx.prepared["ingest"] = made


def output_names(job: JobConfig) -> dict[str, str]:
    """Every name the config gives an output (a file, folder or cube variable under
    ``-o``), by the key that gives it (``outputs.cube``, ``sources[0].name``,
    ``indices.custom``'s keys, ``tiles.layers[1].name``): the config's plain names
    (:data:`prospect.config.PlainName`) and the ``name`` of each item of a list."""
    from pydantic import BaseModel

    found: dict[str, str] = {}

    def walk(model: BaseModel, key: str) -> None:
        for field, info in type(model).model_fields.items():
            value = getattr(model, field, None)
            where = f"{key}.{field}" if key else field
            plain = "check_plain_name" in repr(info.annotation) + repr(info.metadata)
            if isinstance(value, BaseModel):
                walk(value, where)
            elif isinstance(value, str) and (plain or (field == "name" and key.endswith("]"))):
                found[where] = value
            elif isinstance(value, list | tuple):
                for i, item in enumerate(value):
                    if isinstance(item, BaseModel):
                        walk(item, f"{where}[{i}]")
                    elif isinstance(item, str) and plain:
                        found[f"{where}[{i}]"] = item
            elif isinstance(value, dict) and plain:  # its keys, its values, or both
                key_type, value_type = (*get_args(info.annotation), None, None)[:2]
                for name, item in value.items():
                    if isinstance(name, str) and "check_plain_name" in repr(key_type):
                        found[f"{where}[{name!r}]"] = name
                    if isinstance(item, str) and "check_plain_name" in repr(value_type):
                        found[f"{where}[{name!r}]"] = item

    walk(job, "")
    return found


def prepare_out_dir(out_dir: Path) -> Path:
    """``out_dir`` made absolute and created; an existing file there is a clear error."""
    from prospect.config._base import home_expanded

    try:
        out_dir = home_expanded(out_dir).resolve()
    except RuntimeError:  # Python < 3.13: a loop of symbolic links on the way
        raise ConfigError(
            f"{out_dir}: a symbolic link on this path leads back to itself (a loop of "
            "links), so nothing can be made below it; point the link at a folder (ls -l "
            "each folder of the path) or give another path") from None
    if out_dir.exists() and not out_dir.is_dir():
        raise ConfigError(f"{out_dir}: -o names an existing file, not a directory; give a "
                          "directory for the job's outputs (created if missing)")
    out_dir.mkdir(parents=True, exist_ok=True)
    return out_dir


class _ReadOnlyManifest(Manifest):
    """A manifest that is read but never written (a read-only output directory)."""

    def write(self) -> None:
        """Nothing: the directory cannot change."""


def _warn_damaged_manifest(ctx: RunContext, manifest: Manifest) -> None:
    """Say that a damaged ``manifest.json`` costs the record of finished stages: without
    it each stage runs again (nothing is taken on trust), which on a large region is
    hours of work the user should not discover from the wall clock; and which input files
    the records now name at another path (:attr:`Manifest.moved`)."""
    if manifest.damaged:
        ctx.console.print(f"[yellow]warning:[/yellow] {escape(manifest.damaged)}")
    if manifest.moved:
        was, now = manifest.moved[0]
        more = f" and {len(manifest.moved) - 1} more" if len(manifest.moved) > 1 else ""
        ctx.console.print(
            f"note: the config names {len(manifest.moved)} input file(s) at another path "
            f"than the manifest's records ({escape(was)} is now {escape(now)}{more}): the "
            "same files (one real path, or the recorded checksums), so what was made from "
            "them is kept", soft_wrap=True)


def _read_only_rerun(ctx: RunContext, stages: Sequence[str], *,
                     force: bool) -> list[StageResult]:
    """Rerun in a read-only output directory: fine when every stage is finished."""
    manifest = _ReadOnlyManifest(ctx.out_dir, ctx.job, job_path=ctx.job_path)
    _warn_damaged_manifest(ctx, manifest)
    results = []
    for name in sorted(stages, key=STAGE_ORDER.index):
        done, reason = (False, "forced") if force else manifest.finished(name, order=STAGE_ORDER)
        if not done:
            raise StageError(f"{ctx.out_dir}: read-only, but stage {name} has work to do "
                             f"({reason}); make the directory writable or give another -o")
        results.append(manifest.skip(name, reason))
    ctx.console.print(f"nothing to do: every stage is finished in {escape(str(ctx.out_dir))} "
                      "(read-only)")
    return results


def default_stages(job: JobConfig) -> list[str]:
    """The stages a job config has settings for, in pipeline order."""
    stages = ["ingest"]
    if job.indices is not None:
        stages.append("indices")
    if screen_has_work(job):
        stages.append("screen")
    if job.model is not None:
        stages += ["train", "score"]
    if job.tiles is not None:
        stages.append("tiles")
    return stages


WHAT_A_STAGE_NEEDS = {
    "ingest": ("no sources", "add a 'sources' list, e.g. sources: [{kind: raster, name: dem, "
               "path: dem.tif}]"),
    "indices": ("no 'indices' section", "add one naming what to compute, e.g. indices: "
                "{sensor: sentinel2, names: [NDVI]}"),
    "screen": ("no kriged surface, 'economics' section or 'timeseries.difference'",
               "add interpolate: [kriging] to a points source, or one of those sections"),
    "train": ("no 'model' section", "add one (mineral, estimator, labels), as in "
              "configs/jobs/meuse-zinc.yaml"),
    "score": ("no 'model' section", "add one (mineral, estimator, labels), as in "
              "configs/jobs/meuse-zinc.yaml, and run 'prospect train' first"),
    "tiles": ("no 'tiles' section, nor a 'model' section whose probability and uncertainty "
              "maps it would tile by default",
              "add one naming the cube variables to tile, e.g. tiles: {layers: [{variable: "
              "<a cube variable>}]}"),
}
"""What a job lacks when a stage asked for by name has nothing to do, and the fix."""


def refuse_idle_stages(job: JobConfig, stages: Sequence[str], *,
                       source: Path | None = None) -> None:
    """:class:`ConfigError` when a stage asked for by name has nothing configured.

    ``prospect indices`` on a job without indices used to exit 0 with an empty summary,
    which reads as success; ``prospect run`` runs only the stages the job configures, but
    a job without sources has nothing to put in a cube. ``prospect tiles`` on a job with
    neither a ``tiles`` nor a ``model`` section (to see its ingested or index layers)
    started the stage, left an empty ``tiles/`` folder and failed with "no
    score/probability.tif ...; run the score stage first", a stage the job cannot run.
    """
    has = set(default_stages(job))
    if job.model is not None:
        has.add("tiles")  # without a section, tiles default to the scored layers
    if not job.sources:
        has.discard("ingest")
    idle = [s for s in stages if s not in has and s in WHAT_A_STAGE_NEEDS]
    if idle:
        lacks, fix = WHAT_A_STAGE_NEEDS[idle[0]]
        if idle[0] == "tiles":
            fix = fix.replace("<a cube variable>", _first_variable(job))
        where = f"{source}: " if source is not None else ""
        raise ConfigError(f"{where}'prospect {idle[0]}' has nothing to do: the job has "
                          f"{lacks}; {fix}")
    if "tiles" in stages:
        from pipelines.plan import tiles_of_a_time_axis, tiles_without_a_model

        unscored = tiles_without_a_model(job, example=_first_variable(job)) or \
            tiles_of_a_time_axis(job)
        if unscored:
            where = f"{source}: " if source is not None else ""
            raise ConfigError(f"{where}{unscored}")


def _first_variable(job: JobConfig) -> str:
    """A cube variable of ``job`` to name in an example: the first raster or vector
    source's (its first band's, for a source of bands), or a placeholder."""
    for source in job.sources:
        if source.kind not in ("raster", "vector"):
            continue
        bands = getattr(source, "bands", None)
        return str(next(iter(bands))) if isinstance(bands, dict) and bands else source.name
    return "<a cube variable>"


def run_stages(ctx: RunContext, stages: Sequence[str], *, force: bool = False,
               cluster: str | None = None) -> list[StageResult]:
    """Run ``stages`` in pipeline order on ``ctx``; the manifest is updated after each.

    A stage that a previous run of the same config finished (and whose inputs, outputs and
    upstream stages are unchanged) is skipped, and the manifest's run entry says so;
    ``force`` recomputes it. Losing the dask scheduler mid-stage raises a
    :class:`~prospect.errors.StageError` and leaves the stage marked unfinished, so the
    same command resumes.
    """
    manifest = Manifest(ctx.out_dir, ctx.job, job_path=ctx.job_path)
    try:  # a run that ends before its first stage is not left 'running' either
        link, address = _open_run(ctx, manifest, stages, cluster=cluster)
    except BaseException as exc:
        _end_run(manifest, exc)
        raise
    results = []
    warned_empty: set[str] = set()
    printed: set[str] = set()  # the warnings printed under an earlier stage of this run
    try:  # a run that ends outside a stage's own record is not left 'running'
        for name in sorted(stages, key=STAGE_ORDER.index):
            ctx.console.rule(f"[bold]{name}")
            done, reason = (False, "forced") if force \
                else manifest.finished(name, order=STAGE_ORDER)
            if done:
                result = manifest.skip(name, reason)
                result.notes.extend(  # its outputs are whole, but made from out-of-date ones
                    f"warning: {line}"
                    for line in manifest.stale_before(name, running=stages, order=STAGE_ORDER))
                _print_notes(ctx, result.notes, printed)
                results.append(result)
                continue
            if link:
                ctx.console.print(f"  [dim]dashboard: {link}[/dim]")
            last = manifest.data["stages"].get(name, {})
            if last.get("status") == "done":  # finished once, no longer whole or up to date
                ctx.console.print(f"  running again: {escape(reason)}")
            made_before = dict(last.get("outputs") or {}) if isinstance(last, dict) else {}
            # what the records say it made, read before its own record is begun (a running
            # record counts for nothing, and the stage after it may have been dropped)
            made_vars = _made_variables(ctx, manifest, name)
            _repair(ctx, manifest, name, stages, deep=force)
            manifest.begin(name, reason)
            monitor = StageMonitor(ctx, name)
            watch = StallWatch(ctx.client, name)  # a hung task stops the stage, named
            noted: list[str] = []  # the stage's data warnings, whether it finishes or not
            try:
                # a library a stage imports (or calls) that takes a signal the job relies on
                # (dask-jobqueue took SIGINT) has it put back as the stage ends, at the latest
                with data_warnings("warning: ") as noted, monitor, watch, signal_handlers_kept():
                    for line in manifest.stale_before(name, running=stages, order=STAGE_ORDER):
                        warnings.warn(line, DataWarning, stacklevel=1)
                    stamps = _config_file_stamps(ctx.job)  # no clock: as they are now
                    began = file_system_now(ctx.out_dir)  # the clock of the files' times
                    result = timed(name, get_stage(name), ctx)
                _refuse_inputs_changed(ctx, name, result, began, stamps)
                result.notes.extend(noted)
                if noted:
                    result.metrics["data_warnings"] = len(noted)
                _drop_unmade(ctx, manifest, name, makes=result.variables, made=made_vars)
                _drop_unmade_files(ctx, manifest, name, made_before, result.outputs)
                manifest.removal_done(name)  # written with the stage's record
                inventory = verify.inventory(ctx.out_dir, result.outputs,
                                             known=manifest.inventories())
                _empty_variables(inventory, result, warned_empty, ctx.out_dir)
            except KeyboardInterrupt as exc:
                if watch.stalled is not None and isinstance(exc, Interrupted):
                    hung = watch.error()
                    _stage_stopped(ctx, manifest, name, hung, noted, printed)
                    raise hung from exc
                _stage_stopped(ctx, manifest, name, exc, noted, printed)
                raise
            except BaseException as exc:
                stop = stop_behind(exc)
                if stop is not None:  # a clean-up's error while a stop unwound: the stop
                    _stage_stopped(ctx, manifest, name, stop, noted, printed)
                    raise stop from None
                _stage_stopped(ctx, manifest, name, exc, noted, printed)
                note_stage(exc, name)  # a disk's line says what this stage keeps
                if ctx.client is not None and scheduler_lost(ctx.client):
                    raise lost_scheduler_error(address or "?", stage=name, manifest=manifest.path,
                                               cause=exc) from None
                damage = _damaged_chunk_error(ctx, manifest, exc) or \
                    _damaged_output_error(ctx, manifest, exc) or \
                    killed_worker_error(exc, name, client=ctx.client) or \
                    out_of_memory_error(exc, name)
                if damage is not None:
                    raise damage from None
                raise
            manifest.record(result, cluster=monitor.summary, inventory=inventory)
            _print_notes(ctx, result.notes, printed)
            results.append(result)
    except BaseException as exc:
        _end_run(manifest, exc)
        raise
    manifest.close()
    return results



def _open_run(ctx: RunContext, manifest: Manifest, stages: Sequence[str], *,
              cluster: str | None) -> tuple[str | None, str | None]:
    """Record the run's engine, say it, take away what the job no longer makes and mend
    the cube where no record can, before the first stage; returns the dashboard's link
    and the scheduler's address.

    The manifest holds the run as ``running`` from the engine's record on: an end met here
    (the console's standard error on a full disk, ``2> run.log`` with the log's quota
    spent, a closed terminal; a stop signal or a disk error while outputs were taken away
    or the cube mended) left it so for good, as if a job were still at work, until a
    later run found it (:func:`_end_run` records it now).
    """
    _warn_damaged_manifest(ctx, manifest)
    link = dashboard_link(ctx.client)
    n_workers = worker_count(ctx.client)
    address = scheduler_address(ctx.client) if ctx.client is not None else None
    manifest.set_engine(workers=n_workers, cluster=cluster, dashboard=link, scheduler=address,
                        warnings=engine_warnings())
    if ctx.client is not None:
        ctx.console.print(f"[dim]dask: {n_workers} workers"
                          + (f", dashboard {link}" if link else "") + "[/dim]")
    _drop_removed_stages(ctx, manifest, stages)
    _mend_unrecorded(ctx, manifest)
    return link, address


def _end_run(manifest: Manifest, exc: BaseException) -> None:
    """Record this run ``failed`` (``interrupted``, for a stop) where it ended on ``exc``
    outside a stage's own record (a stage's failure records it already).

    An error between stages (a stage's repairs, the removal of a dropped stage's outputs,
    the console) left the run's entry ``running`` in the manifest for good, as if the job
    were still at work. A manifest that cannot take it (a full disk, the lock taken by
    another job) is left as it is: the job's own error is what is said.
    """
    if manifest.run.get("status") != "running":
        return
    # said in the manifest too: where the console's own disk refused the error's line
    # (2>> run.log on a full disk), the manifest was the one trace, "failed" without why
    stream = standard_stream_error(exc)
    if stream is not None:
        manifest.run["error"] = stream
    with contextlib.suppress(Exception):
        manifest.close(status="interrupted" if isinstance(exc, KeyboardInterrupt)
                       else "failed")

_JOB_FRAMES = frozenset({_run_said.__code__, _run_locked.__code__, _plan_before_cluster.__code__,
                         run_stages.__code__})
"""The frames an error that ends a job leaves through (:func:`pipelines.faults.error_ahead`):
an error a stage's own code caught and dealt with never passed through them."""


def _mend_unrecorded(ctx: RunContext, manifest: Manifest) -> None:
    """Mend the cube before any stage runs where no record can: a listing of a variable
    that is gone, and, when no trusted record names the cube at all (a manifest that no
    longer parses or was edited, a cube copied without it), lost cube metadata and
    variables whose chunk files do not decode (decoded once, as ``--force`` does).

    With a record, :func:`_repair` compares each stage's outputs with it. Without one
    the cube was believed: a deleted variable read back as no data, ingest refused a cube
    without its root ``zarr.json`` ("run 'prospect ingest'") on every rerun, and a chunk
    cut short was published as is until the next stage's read failed.
    """
    cube = ctx.cube_path
    if not cube.is_dir():
        return
    check_held(ctx.out_dir)  # what it removes or rewrites must still be this job's
    rel = str(verify.relative_to(ctx.out_dir, str(cube)))
    recorded = rel in manifest.latest_record(made_by=STAGE_ORDER)  # _repair's to mend
    damaged = None if recorded else verify.unreadable_metadata(cube)
    grid_damaged = _damaged_grid(cube, ctx.grid)  # the job's grid, whatever the record
    from prospect.io.cube import stray_root_metadata

    stray = stray_root_metadata(cube, ctx.grid)  # another cube's root over this job's arrays
    if stray:
        ctx.console.print(f"[yellow]warning:[/yellow] {escape(str(cube / 'zarr.json'))} is "
                          f"another cube's ({escape(stray)}) while the cube's arrays are on "
                          "the job's grid; written again from the job's grid")
        _rebuild_cube(ctx, cube)
    elif damaged:
        ctx.console.print(f"[yellow]warning:[/yellow] cube metadata {escape(damaged)}; written "
                          "again from the job's grid")
        _rebuild_cube(ctx, cube)
    elif grid_damaged:
        ctx.console.print(f"[yellow]warning:[/yellow] cube {escape(grid_damaged)}; written again "
                          "from the job's grid")
        _rebuild_cube(ctx, cube)
    for var in verify.unlist_unreadable(cube):
        ctx.console.print(f"[yellow]warning:[/yellow] cube variable {escape(repr(var))} is "
                          f"listed in {escape(str(cube / 'zarr.json'))} but its own metadata "
                          "is missing or damaged; the stage that makes it computes it again")
    for var, why in [] if recorded else verify.undecodable_variables(cube):
        verify.remove_variables(cube, [var])
        ctx.console.print(f"[yellow]warning:[/yellow] cube variable {escape(repr(var))}: "
                          f"{escape(why)}; no "
                          "record of the run that wrote it is left, so it is removed and "
                          "the stage that makes it computes it again")


def _damaged_grid(cube: Path, grid: RegionGrid) -> str | None:
    """What of ``cube``'s grid arrays (``x``, ``y``: the cells' places; ``spatial_ref``)
    does not hold ``grid`` (``None``: they do, or there is no such array to read).

    A disk error (a file system the kernel turned read-only mid-write, then ``fsck``) left
    a coordinate's chunk file as other bytes, or took it: every open of the cube failed
    ("cannot open cube: Zstd decompression error"), rerun and ``--force`` alike, until the
    user found and deleted the cube; and a chunk file lost was read as the fill value,
    every cell's ``x`` NaN in the cube a rerun called up to date. Each is compared with
    the job's grid, which writes them again
    (:func:`prospect.io.cube.rebuild_cube_metadata`).
    """
    import numpy as np
    import zarr

    from prospect.io.cube import GRID_ARRAYS, damaged_array_chunks, zarr_store

    for name in GRID_ARRAYS:
        bad = damaged_array_chunks(cube / name)
        if bad is not None:
            return (f"coordinate {name!r} ({cube / name}): chunk file(s) "
                    f"{', '.join(bad[0])} do not decode ({bad[1]})")
    for name, wanted in (("x", grid.x), ("y", grid.y)):
        if not (cube / name / "zarr.json").is_file():
            continue  # missing metadata: said by verify.unreadable_metadata
        try:
            found = np.asarray(zarr.open_array(zarr_store(cube / name, read_only=True),
                                               mode="r")[...])
        except Exception as exc:  # zarr raises many kinds for a damaged array
            if resource_refused(exc):  # a refused thread or buffer, not a damaged array
                raise
            return f"coordinate {name!r} ({cube / name}) does not read ({exc})"
        if found.shape != np.shape(wanted):
            return f"coordinate {name!r} ({cube / name}) does not hold the job's grid"
        # in the array's own type (a float32 coordinate holds the grid rounded so)
        wanted = np.asarray(wanted).astype(found.dtype)
        tolerance = abs(float(grid.resolution)) * 1e-6
        if not np.allclose(found, wanted, rtol=0, atol=tolerance):
            lost = int(np.isnan(found).sum()) if found.dtype.kind == "f" else 0
            return (f"coordinate {name!r} ({cube / name}) does not hold the job's grid"
                    + (f" ({lost} of its {found.size} values lost: a chunk file missing)"
                       if lost else ""))
    return None


def _made_variables(ctx: RunContext, manifest: Manifest, stage: str) -> set[str]:
    """The cube variables the manifest's finished records name ``stage`` the maker of."""
    rel = str(verify.relative_to(ctx.out_dir, str(ctx.cube_path)))
    return set(manifest.latest_record(made_by=[stage]).get(rel, {}))


def _drop_unmade(ctx: RunContext, manifest: Manifest, stage: str, *,
                 makes: Sequence[str], made: set[str] | None = None) -> None:
    """Remove the cube variables the manifest names ``stage`` as the maker of and that it
    no longer makes (``makes``: what it made now; nothing for a stage the job no longer
    has).

    A source removed from the config (or renamed), an index dropped from ``indices``, a
    whole section removed: the variable it had made stayed in the cube, and train took it
    as a feature (every cube variable is one by default), the model trained on a layer
    the job no longer has. Only variables a record names this stage the maker of are
    removed, never one without a known maker. ``made``: what the records named it the
    maker of before it ran (:func:`_made_variables`; read now where not given).
    """
    cube = ctx.cube_path
    if made is None:
        made = _made_variables(ctx, manifest, stage)
    stale = sorted(made - set(makes))
    if stale:
        check_held(ctx.out_dir)  # a job that lost -o removes none of the other job's
    for var in verify.remove_variables(cube, stale) if stale and cube.is_dir() else ():
        ctx.console.print(f"  removed cube variable {escape(repr(var))}: the {stage} stage "
                          "made it and the job no longer does")
        manifest.run.setdefault("removed", []).append(var)  # the run's entry says so


def _drop_removed_stages(ctx: RunContext, manifest: Manifest, running: Sequence[str]) -> None:
    """Remove what the stages the job config no longer has made, and their records.

    The ``tiles`` or ``model`` section deleted from the config: the stage's cube
    variables were removed (:func:`_drop_unmade`), but ``tiles/``, ``viewer/``,
    ``model/`` and ``score/*.tif`` stayed with its ``done`` record, results of a job that
    no longer makes them, handed to partners and researchers. Its recorded outputs go the
    way of any output a stage no longer makes (:func:`_drop_unmade_files`), then its
    record (the run's manifest entry lists both: ``removed``, ``dropped``). Only the
    config decides: a stage left out of this run's command (``prospect score`` alone) is
    kept, and one asked for by name (``prospect tiles`` without a ``tiles`` section draws
    the default layers) runs.
    """
    has = default_stages(ctx.job)
    for stage in STAGE_ORDER:  # a stage the job no longer has: what it made is stale
        if stage in has:
            continue
        _drop_unmade(ctx, manifest, stage, makes=())
        record = manifest.data["stages"].get(stage)
        if stage in running or not isinstance(record, dict):
            continue
        kept: dict[str, Any] = {}  # what the stages still there made is never removed
        for other, rec in manifest.data["stages"].items():
            if other != stage and isinstance(rec, dict):
                kept.update({f"{other}:{k}": v for k, v in (rec.get("outputs") or {}).items()})
        _drop_unmade_files(ctx, manifest, stage, record.get("outputs"), kept,
                           files=record.get("files"))
        del manifest.data["stages"][stage]
        manifest.run.setdefault("dropped", []).append(stage)
        manifest.removal_done(stage)  # its moves are done: written with its record's end
        manifest.write()
        ctx.console.print(f"  the {stage} stage is no longer in the job config: its record "
                          "is dropped from the manifest")


def _removed_folder(ctx: RunContext, manifest: Manifest, stage: str) -> Path:
    """This run's folder for the outputs ``stage`` takes away
    (:data:`pipelines.verify.REMOVED_DIR` ``/<UTC time>-<run id>``; the run id keeps it
    new when the clock was set back), or the folder a run stopped while it moved outputs
    had recorded (:meth:`Manifest.removal_folder`: one removal, one folder)."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    return ctx.out_dir / manifest.removal_folder(
        f"{verify.REMOVED_DIR}/{stamp}-{manifest.run_id}", stage=stage)


def _take_away(ctx: RunContext, manifest: Manifest, path: Path, stage: str) -> bool:
    """Move output ``path`` of ``stage`` into this run's :func:`_removed_folder`
    (``False``: nothing there; :func:`pipelines.verify.set_aside`), and remove the folders
    that leaves empty."""
    if not (path.exists() or path.is_symlink()):
        return False
    check_held(ctx.out_dir)  # a job that lost -o moves none of the other job's outputs
    if verify.set_aside(ctx.out_dir, path, _removed_folder(ctx, manifest, stage)) is None:
        return False
    parent = path.parent  # folders left empty (tiles/, viewer/), never -o itself
    while parent != ctx.out_dir and ctx.out_dir in parent.parents:
        try:
            parent.rmdir()
        except OSError:
            break
        parent = parent.parent
    return True


def _drop_unmade_files(ctx: RunContext, manifest: Manifest, stage: str,
                       before: Any, now: dict[str, Any], *, files: Any = None) -> None:
    """Take away the files and folders ``stage``'s earlier record listed as its outputs
    (``before``; ``files``: that record's :func:`pipelines.verify.file_inventory`) that
    its run now (``now``) no longer makes (:func:`pipelines.verify.unmade_outputs`): a
    tile layer dropped from the config, or ``tiles.archive`` turned off, left the old
    pyramid and archive in ``tiles/`` (maps of the model and palette of an earlier run,
    delivered with the new ones). Each is moved whole (one rename) into this run's
    folder under ``removed/`` (:func:`_removed_folder`), where it stays until the user
    deletes it: a section deleted by mistake (the model, the maps delivered to a
    partner) had been deleted with it, for good. The run's manifest entry lists each
    (``removed``) and the folder (``removed_to``).

    A folder holding files its record does not list (a user's note in ``model/``) keeps
    them: only the files the stage wrote are moved. One whose files the record cannot
    tell apart (a large pyramid with files added or removed) is left, with a warning.
    """
    if not isinstance(before, dict):
        return
    if files is None:
        files = manifest.data["stages"].get(stage, {}).get("files")
    files = files if isinstance(files, dict) else {}
    keep = (manifest.path, ctx.out_dir / ".prospect.lock", ctx.cube_path)
    listed = list(manifest.run.get("removed", []))
    # outer folders first: an output inside another (model/metrics.json in model/) goes
    # with it, whole; moved on its own first, it split the model in two (its folder, as
    # model.<hex>/ without it, and model/metrics.json, checksums no longer matching)
    stale = sorted(verify.unmade_outputs(ctx.out_dir, before, now, keep=keep),
                   key=lambda found: len(found[1].parts))
    for label, path in stale:
        shown = escape(str(verify.relative_to(ctx.out_dir, str(path))))
        extra = verify.unrecorded_files(path, files.get(label))
        if extra is None:
            ctx.console.print(f"  [yellow]warning:[/yellow] {shown} was made by the {stage} "
                              "stage, which the job no longer does, but its files changed "
                              "since; left as it is: remove it yourself once you have kept "
                              "what you need")
            continue
        if extra:
            gone = [f for f in verify.recorded_files(ctx.out_dir, path, files[label])
                    if _take_away(ctx, manifest, f, stage)]
            for folder in sorted({f.parent for f in gone}, key=lambda p: -len(p.parts)):
                while folder != path and path in folder.parents:  # left empty: removed
                    try:
                        folder.rmdir()
                    except OSError:
                        break
                    folder = folder.parent
            ctx.console.print(f"  removed the {len(gone)} file(s) the {stage} stage wrote in "
                              f"{shown} ({escape(label)}), which the job no longer makes; "
                              f"kept the files it did not write: "
                              f"{escape(', '.join(k.removeprefix('./') for k in extra))}")
        elif not _take_away(ctx, manifest, path, stage):
            continue
        else:
            ctx.console.print(f"  removed {shown}: the {stage} stage made it "
                              f"({escape(label)}) and the job no longer does")
        manifest.run.setdefault("removed", []).append(
            str(verify.relative_to(ctx.out_dir, str(path))))
    kept = manifest.run.get("removed_to")
    if kept and manifest.run.get("removed", []) != listed:
        ctx.console.print(f"  what was removed is kept in {escape(kept)}/ (delete that "
                          "folder once you no longer need it)")


def _repair(ctx: RunContext, manifest: Manifest, name: str, stages: Sequence[str], *,
            deep: bool = False) -> None:
    """Before a stage runs again: repair what it made, refuse what it cannot.

    Each variable is compared with its newest record (:meth:`Manifest.latest_record`),
    never with this stage's older copy, which an earlier stage recomputed since makes out
    of date. The stage's own damaged variables are removed (it recomputes them) and the
    cube's own metadata is written again; a variable no record names a maker for is never
    removed here. A damaged variable that an earlier stage made, when that stage is not
    part of this run, is an error naming the variable and that stage. ``deep``
    (``--force``): every chunk file of its own variables is decoded, so a chunk changed in
    place is found and recomputed too. A stage that did not finish last time, or whose
    record is lost, is repaired the same way: what it had published whole is compared
    with the newest record too.
    """
    own = manifest.latest_record(made_by=[name])
    check_held(ctx.out_dir)  # what it removes or rewrites must still be this job's
    for what in verify.repair(ctx.out_dir, own, deep=deep,
                              rebuild=lambda cube: _rebuild_cube(ctx, cube)):
        ctx.console.print(f"  {escape(what)}: damaged since the last run; recomputing it")
    earlier = [s for s in STAGE_ORDER[: STAGE_ORDER.index(name)] if s not in stages]
    for owner in earlier:
        reason, _ = verify.check(ctx.out_dir, manifest.latest_record(made_by=[owner]))
        reason = reason or manifest.files_changed(owner)
        if reason:
            raise StageError(f"{reason}; the {owner} stage made it: run 'prospect {owner}' "
                             "(or 'prospect run') to rebuild it")


def _damaged_chunk_error(ctx: RunContext, manifest: Manifest, exc: BaseException
                         ) -> StageError | None:
    """A read that failed on a chunk file that does not decode (changed on disk since it
    was written: its zstd checksum or length disagrees) as one line naming the variable,
    the chunk and the stage that rebuilds it; ``None`` for any other failure.

    The error comes from zarr's codecs inside a worker's task, so only its words tell a
    decoding failure apart; the chunk files are then decoded to find the damaged one.
    """
    text = str(exc).lower()
    if isinstance(exc, ProspectError) or not isinstance(exc, Exception) or not any(
            word in text for word in ("zstd", "decompress", "cannot reshape")):
        return None
    from prospect.io.cube import damaged_chunks

    found = damaged_chunks(ctx.cube_path) if ctx.cube_path.is_dir() else None
    if found is None:
        return None
    var, chunks, why = found
    what = f"chunk file(s) {', '.join(chunks)} changed on disk since they were written ({why})"
    cube = str(verify.relative_to(ctx.out_dir, str(ctx.cube_path)))
    owner = manifest.owner(cube, var)  # the stage that made it, as the manifest says
    if owner is None:
        return StageError(f"{ctx.cube_path / var}: {what}; remove that folder and run the "
                          "stage that makes it")
    verify.mark_damaged(manifest.data["stages"], cube, var, what)
    return _recorded_damage(manifest, f"{ctx.cube_path / var}: {what}", owner)


def _damaged_output_error(ctx: RunContext, manifest: Manifest, exc: BaseException
                          ) -> StageError | None:
    """A :class:`~prospect.errors.DamagedFileError` on a file that a finished stage wrote
    (a model whose checksums disagree, a COG that does not decode) as one line naming that
    stage; recorded in its manifest entry, so that its next run rewrites the file. ``None``
    for any other failure."""
    if not isinstance(exc, DamagedFileError) or not exc.path:
        return None
    damaged = Path(exc.path).resolve()
    first = str(exc).splitlines()[0].rstrip(":")
    for owner, record in manifest.data["stages"].items():
        if (record or {}).get("status") != "done":
            continue
        for label, value in (record.get("outputs") or {}).items():
            entry = (record.get("files") or {}).get(label)
            if not (isinstance(value, str) and isinstance(entry, dict)):
                continue
            output = Path(verify.resolve(ctx.out_dir, value)).resolve()
            if damaged == output or output in damaged.parents:
                entry["damaged"] = first
                return _recorded_damage(manifest, first, owner)
    return None


def _recorded_damage(manifest: Manifest, what: str, owner: str) -> StageError:
    """Write the manifest where a damaged output was just marked, so that the next run of
    ``owner`` (the stage that made it) rewrites the output, and return the one-line error
    that says so."""
    with contextlib.suppress(OSError):  # a full disk must not hide the damage
        manifest.write()
    return StageError(f"{what}; the {owner} stage made it: run 'prospect {owner}' (or "
                      "'prospect run') to recompute it")


def _config_file_stamps(job: JobConfig) -> dict[str, tuple[int, int, int, int, int]]:
    """The stamps of the local files ``job``'s config names, as a stage begins
    (:func:`pipelines.manifest.file_stamps`)."""
    from pipelines.plan import local_files

    return file_stamps(local_files(job))


def _refuse_inputs_changed(ctx: RunContext, name: str, result: StageResult,
                           began: int, stamps: dict[str, tuple[int, int, int, int, int]]
                           ) -> None:
    """Fail stage ``name`` when one of its input files changed while it ran
    (:func:`pipelines.manifest.changed_while_running`; ``stamps``: the files the config
    names as the stage began, :func:`pipelines.manifest.file_stamps`): what it made may
    mix the file as it was and as it is, and its record would have called it finished on
    the file as it is now. Failed, it runs again on the next run, from the file as it is
    then.

    Raises
    ------
    StageError
        Naming the file, when it changed and when the stage began.
    """
    found = changed_while_running(result.inputs, began, out_dir=ctx.out_dir,
                                  before=stamps)
    if found is None:
        return
    label, path, changed = found

    def clock(ns: int) -> str:
        return dt.datetime.fromtimestamp(ns / 1e9, dt.UTC).strftime("%H:%M:%S UTC")

    raise StageError(
        f"stage {name}: input {label} ({path}) changed while the stage ran (at "
        f"{clock(changed)}; the stage began at {clock(began)}), so what it made may mix the "
        "file as it was and as it is; nothing of it is taken as finished. Leave the job's "
        "input files alone while it runs, then run the same command again")


def _rebuild_cube(ctx: RunContext, cube: Path) -> None:
    """Write the job's cube metadata again (its root ``zarr.json`` was damaged)."""
    from prospect.io.cube import rebuild_cube_metadata

    if cube.resolve() != ctx.cube_path.resolve():
        raise StageError(f"{cube}: its metadata is damaged and it is not this job's cube; "
                         "remove it and rerun")
    rebuild_cube_metadata(cube, ctx.grid, attrs=ctx.cube_attrs)


def _stage_stopped(ctx: RunContext, manifest: Manifest, name: str, exc: BaseException,
                   noted: Sequence[str], printed: set[str] | None = None) -> None:
    """Show what stage ``name`` noted before it stopped (its data warnings) and record it
    ``interrupted`` (a stop signal) or ``failed``; a full disk that cannot take the record
    must not hide the stage's own error. A stop that arrives as the failure is recorded
    (SIGTERM as a batch system's time limit came) is held while the record is written
    again, then raised: it had left the stage ``running`` in the manifest, its error said
    nowhere."""
    _print_notes(ctx, noted, printed)
    if isinstance(exc, KeyboardInterrupt):
        manifest.fail(name, exc, status="interrupted", notes=noted)
        return
    try:
        with contextlib.suppress(OSError):
            manifest.fail(name, exc, notes=noted)
    except KeyboardInterrupt:  # the stop arrived now: the record first
        with contextlib.suppress(OSError):
            manifest.fail(name, exc, notes=noted)
        raise


def _print_notes(ctx: RunContext, notes: Sequence[str],
                 printed: set[str] | None = None) -> None:
    """A stage's notes (its data warnings among them) under its heading. A warning an
    earlier stage of the run printed word for word (``printed``, which this fills) is not
    printed again: an input two stages read (the mask's outline, repaired as ingest reads
    it and again as the tiles stage draws the viewer's) said the same lines twice. The
    stage's record keeps it, and the summary names both stages beside it once."""
    for note in notes:
        if printed is not None and note.startswith("warning: "):
            if note in printed:
                continue
            printed.add(note)
        ctx.console.print(f"  {escape(note)}")


def _empty_variables(inventory: dict[str, dict[str, Any]], result: StageResult,
                     warned: set[str], out_dir: Path) -> None:
    """Warn (once per run) of cube variables without a single data cell (``inventory``:
    the stage's :func:`pipelines.verify.inventory`).

    A chunk that is all no-data is never written, so a float variable without chunk files
    has no data at all: usually a nodata value that is really data, a wrong CRS or bounds
    that miss the file. An integer variable's unwritten chunks hold its zarr fill value
    0, a unit code or a class (:func:`prospect.ingest.fills.variable_has_data` decides).
    """
    from prospect.ingest.fills import variable_has_data

    for cube, variables in inventory.items():
        for var, info in variables.items():
            if f"{cube}/{var}" not in warned and not _said_empty(var, result.notes) \
                    and not variable_has_data(verify.resolve(out_dir, cube) / var,
                                              info["chunks"]):
                warned.add(f"{cube}/{var}")
                result.notes.append(
                    f"warning: cube variable {var!r} has no data (every cell is no-data); "
                    "check its source's nodata value, CRS and bounds")
                result.metrics["data_warnings"] = result.metrics.get("data_warnings", 0) + 1


EMPTY_SAID = INDEX_EMPTY_SAID
"""The words of a stage's own warning that a variable it made holds no data in any cell,
after the variable's name: the indices stage's of an index whose bands hold data together
in no cell, built from this one constant
(:func:`prospect.indices.ranges.no_common_cell_message`), so the two cannot drift:
:func:`_empty_variables` says no more of it."""


def _said_empty(var: str, notes: Sequence[str]) -> bool:
    """Whether one of the stage's ``notes`` already says that ``var`` holds no data in any
    cell, and why (:data:`EMPTY_SAID`).

    An index of bands that hold data together nowhere was said twice: by the indices
    stage, naming its bands and the fix, and by the runner's line for any empty variable,
    "check its source's nodata value", of an index, which has no source.
    """
    return any(f"{var!r} (" in note and EMPTY_SAID in note for note in notes)


#: Metrics whose figure reads like a skill estimate but is not one, and what it is: the
#: summary prints this once under the stage's metrics that start with the key.
METRIC_CAVEATS = {
    "map_top": "in-sample success rate: the training occurrences against the map of the "
               "model fitted on them, not a skill estimate; train.cv_spatial_* and "
               "train.top*_capture are the spatially cross-validated figures",
    "outside_training_range": "share of the sampled cells (a few chunks per layer) whose "
                              "value of some continuous layer lies outside that layer's "
                              "training minimum..maximum (a negative MESS, Elith et al. "
                              "2010): the model extrapolates there; not the area of "
                              "applicability of Meyer & Pebesma 2021",
}



def shown_figure(value: float) -> str:
    """A run summary's figure: three decimals, or three significant digits where three
    decimals would show none (at 1:2 400 the spatial PR AUC, 0.00042, and its no-skill
    level were both printed ``0.000``: a skill and its baseline as the same nothing)."""
    if value != 0 and abs(value) < 0.001:
        return f"{value:.3g}"
    return f"{value:.3f}"

def print_summary(results: Sequence[StageResult], console: Console) -> None:
    """A table of stages, timings and outputs, each stage's metrics, then the engine's
    warnings of the run under way (:func:`pipelines.cluster.run_engine_warnings`: its
    settings', said as the cluster was made) and the data warnings.

    The data warnings are the stages' ``warning:`` notes (:class:`~prospect.errors.DataWarning`
    s and empty variables), a skipped stage's from the run that computed it.
    """
    table = Table(title="Prospect run summary")
    table.add_column("stage")
    table.add_column("seconds", justify="right")
    table.add_column("outputs")
    for r in results:
        outputs = "\n".join(f"{k}: {v}" for k, v in r.outputs.items())
        table.add_row(r.name, f"{r.seconds:.1f}", Text(outputs))  # paths as they are
    console.print(table)
    for r in results:
        caveats: dict[str, str] = {}
        if r.made_in and r.metrics:  # another run's figures (a stage the manifest
            # skipped), not this run's (a stage that ran and found all up to date)
            console.print(Text(f"  {r.name} (skipped): the figures of run {r.made_in}, "
                               "which made it; this run computed nothing for it"))
        for key, value in r.metrics.items():
            if value is None or (isinstance(value, float) and not math.isfinite(value)):
                # the manifest keeps a NaN as null: a skipped stage's reads back so
                console.print(Text(f"  {r.name}.{key} = not defined"))
            elif isinstance(value, float):
                console.print(Text(f"  {r.name}.{key} = {shown_figure(value)}"))
            elif isinstance(value, int) or (isinstance(value, str) and len(value) <= 60):
                console.print(Text(f"  {r.name}.{key} = {value}"))
            else:  # prose (what a figure is, why it is undefined): the warnings say it
                continue
            for prefix, caveat in METRIC_CAVEATS.items():
                if key.startswith(prefix):
                    caveats[f"{r.name}.{prefix}*"] = caveat
        for keys, caveat in caveats.items():
            console.print(f"  ({keys}: {caveat})", highlight=False)
    engine = engine_warnings()
    if engine:  # said as the engine was made; listed again beside the stages' own
        console.print(f"[yellow]{len(engine)} engine warning(s):[/yellow]")
        for text in engine:
            console.print(Text(f"  {text}"))
    found: dict[str, list[str]] = {}  # each text once, with the stages that said it
    for r in results:
        for n in r.notes:
            if n.startswith("warning: "):
                said_by = found.setdefault(n.removeprefix("warning: "), [])
                if r.name not in said_by:
                    said_by.append(r.name)
    if found:
        console.print(f"[yellow]{len(found)} data warning(s):[/yellow]")
        for text, stages in found.items():
            console.print(f"  [yellow]{', '.join(stages)}:[/yellow] {escape(text)}",
                          highlight=False)
