"""The demo job: a synthetic Bonaire scene through every stage on the embedded default."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.markup import escape

from pipelines.cluster import run_engine_warnings
from pipelines.context import StageResult
from pipelines.lock import output_lock
from pipelines.manifest import other_job
from pipelines.plan import (
    refuse_foreign_manifest,
    refuse_foreign_zarr,
    refuse_shared_output_folder,
)
from pipelines.runner import prepare_out_dir, print_summary, run_job
from prospect.errors import ConfigError
from prospect.io.cube import open_cube
from prospect.testing import SyntheticScene, demo_grid, make_scene

__all__ = ["DEMO_JOB", "DEMO_SEED_MAX", "DEMO_SIZE_MIN", "check_demo_seed", "check_demo_size",
           "recovery_auc", "run_demo"]

DEMO_JOB = "demo-bonaire"
"""The demo job's name (its manifest's ``job``)."""


def recovery_auc(probability: np.ndarray, hidden: np.ndarray, *, top: float = 0.10) -> float:
    """ROC AUC of a score against the hidden field's top ``top`` fraction of cells."""
    from sklearn.metrics import roc_auc_score

    valid = np.isfinite(probability) & np.isfinite(hidden)
    truth = hidden[valid] >= np.quantile(hidden[valid], 1.0 - top)
    return float(roc_auc_score(truth, probability[valid]))


DEMO_SIZE_MIN = 100.0
"""The smallest edge of the demo's square, metres (10 x 10 cells of 10 m; the whole demo
runs on it): below it the scene is too small for its coarser bands (``--size 10`` made a
band of 0 x 0 pixels, ``--size 60`` divided by zero)."""


def check_demo_size(size_m: float) -> None:
    """Refuse a ``--size`` the demo cannot make a scene of, naming the option.

    ``--size 0``, ``-5``, ``nan`` and ``inf`` were "bounds must be (left, bottom, right,
    top) with right > left ...", bounds the user never gave; ``--size 10`` "Attempt to
    create 0x0 dataset is illegal", GDAL's words; ``--size 1e9`` "use a coarser resolution
    or smaller bounds (or raise PROSPECT_MAX_CELLS)", a resolution the demo does not take.

    Raises
    ------
    ConfigError
        The size, why and the sizes the demo takes.
    """
    import math

    from prospect.config.region import check_chunk_count
    from prospect.errors import GridError

    said = f"--size {size_m:g}"
    takes = (f"give the edge of the demo's square area in metres, at least "
             f"{DEMO_SIZE_MIN:g} (default 6000)")
    if not math.isfinite(size_m) or size_m <= 0:
        raise ConfigError(f"{said}: no length; {takes}")
    if size_m < DEMO_SIZE_MIN:
        raise ConfigError(f"{said}: a square of {size_m:g} m is too small for the demo's "
                          f"scene (its coarser bands would have no pixel); {takes}")
    try:
        check_chunk_count(demo_grid("bonaire", size_m=size_m))
    except GridError as exc:
        raise ConfigError(f"{said}: a square of {size_m:g} m of 10 m cells is more than a "
                          f"demo holds ({str(exc).split(';')[0]}); {takes}, and well under "
                          "this") from None


DEMO_SEED_MAX = 2**32 - 1
"""The largest ``--seed``: the demo's job trains its model with it (``model.seed``, whose
range is numpy's and scikit-learn's, 0 to 2^32 - 1)."""


def check_demo_seed(seed: int) -> None:
    """Refuse a ``--seed`` the demo cannot run with, naming the option, before anything
    is written.

    ``--seed -1`` was "internal error: ValueError: expected non-negative integer" (numpy's
    words, exit 70), after ``-o`` had been made; ``--seed 4294967296`` wrote the whole
    scene and then stopped on the job file the demo had just written, "job.yaml:73: key
    'model.seed' has bad value 4294967296", a file and key the user never wrote.

    Raises
    ------
    ConfigError
        The seed and the range the demo takes.
    """
    if not 0 <= seed <= DEMO_SEED_MAX:
        raise ConfigError(f"--seed {seed}: outside the seeds the demo takes (the scene's "
                          "draws and its model's training use it); give a whole number "
                          f"from 0 to {DEMO_SEED_MAX} (2^32 - 1; default 0)")


def _refuse_other_files(out_dir: Path, size_m: float) -> None:
    """Refuse an ``out_dir`` where the demo would write over what is not its own: the
    root, the home folder or another job's outputs
    (:func:`pipelines.plan.refuse_shared_output_folder`), another tool's
    ``manifest.json``, a ``job.yaml`` or ``scene/`` that is not the demo's (the demo
    writes both: ``prospect demo -o .`` in a project folder replaced its job config), and
    another tool's zarr store at ``cube.zarr`` (:func:`pipelines.plan.refuse_foreign_zarr`:
    the run wrote the demo's grid into it)."""
    from prospect.config._base import load_yaml
    from prospect.errors import ProspectError

    refuse_shared_output_folder(out_dir, "demo")
    refuse_foreign_manifest(out_dir, "demo")
    job = Path(out_dir).expanduser() / "job.yaml"
    if (job.parent / "manifest.json").is_file():
        return  # a run's folder: the demo's own, or another job's (refused under the lock)
    refuse_foreign_zarr(job.parent, "cube.zarr",
                        lambda: demo_grid("bonaire", size_m=size_m), DEMO_JOB)
    try:
        name = load_yaml(job).get("name") if job.is_file() else None
    except ProspectError:
        name = "?"
    scene = job.parent / "scene"
    theirs = [p for p, ok in ((job, not job.exists() or name == DEMO_JOB),
                              (scene, name == DEMO_JOB or not scene.exists() or
                               (scene.is_dir() and not any(scene.iterdir()))))
              if not ok]
    if theirs:
        raise ConfigError(
            f"-o {out_dir}: holds {' and '.join(p.name for p in theirs)}, not the demo's "
            "(the demo writes its scene and job.yaml there, over files of those names); "
            f"give the demo a folder of its own, e.g. {Path(out_dir) / 'demo'}")


def _whole_scene(out_dir: Path, size_m: float, seed: int) -> SyntheticScene:
    """The demo's scene made under ``out_dir/scene``; one whose making failed or was
    stopped (a full disk, Ctrl-C) is removed when this call made its folder.

    A scene left half made, without the ``job.yaml`` written after it, was another
    tool's to the next demo: "-o out: holds scene, not the demo's ...; give the demo a
    folder of its own", for good, until the user removed it by hand.
    """
    import shutil

    from pipelines.faults import disk_fault_within, output_fault, probe_disk

    folder = out_dir / "scene"
    fresh = not folder.exists()
    try:
        return make_scene(folder, grid=demo_grid("bonaire", size_m=size_m), seed=seed)
    except Exception as exc:
        # a full disk, as the library writing a file says it (GDAL's GeoPackage driver:
        # "FeatureError: ... no such table: gpkg_contents", an internal error): asked of
        # the disk before the half-made scene is removed and its room given back
        fault = disk_fault_within(exc) or probe_disk(folder, 2**20)
        if fresh:
            shutil.rmtree(folder, ignore_errors=True)
        if fault is not None:
            raise output_fault(fault, out_dir) from exc
        raise
    except BaseException:  # a stop: the half-made scene goes too
        if fresh:
            shutil.rmtree(folder, ignore_errors=True)
        raise


def run_demo(
    out_dir: Path, *, seed: int = 0, size_m: float = 6000.0, workers: int | None = None,
    scheduler: str | None = None, console: Console | None = None,
) -> list[StageResult]:
    """Generate the synthetic scene under ``out_dir/scene`` and run the whole job on it.

    Returns the stage results; the last entry is a ``demo`` result carrying the recovery
    score of the model against the scene's hidden field.
    """
    console = console or Console(stderr=True)
    check_demo_seed(seed)
    check_demo_size(size_m)
    _refuse_other_files(out_dir, size_m)
    out_dir = prepare_out_dir(out_dir)
    start = time.perf_counter()
    console.rule("[bold]demo: synthetic scene")
    status = "generating a SYNTHETIC Bonaire scene (imagery, geology, heat flow, wells)"
    # the scene and the job file are written under the job's lock, and not into another
    # job's folder: they were written first, into a folder a running job held (which then
    # refused the demo's run) or one holding another job's outputs
    with output_lock(out_dir), console.status(status):
        other = other_job(out_dir, DEMO_JOB)
        if other is not None:
            raise ConfigError(
                f"{out_dir}: holds the outputs of job {other}, not of the demo; give the "
                "demo its own -o (or remove that folder to reuse it)")
        scene = _whole_scene(out_dir, size_m, seed)
        job_path = scene.job_config(out_dir / "job.yaml", name=DEMO_JOB)
    gen = StageResult(name="generate", outputs={"scene": str(scene.root), "job": str(job_path)},
                      seconds=round(time.perf_counter() - start, 3))
    # paths as they are: Rich took a folder's "[old]" for markup and left it out
    console.print(f"  scene: {escape(str(scene.root))} ({scene.grid.height} x "
                  f"{scene.grid.width} cells, labelled synthetic)")
    with run_engine_warnings():  # the summary lists this run's, not another's
        results = run_job(job_path, out_dir, scheduler=scheduler, workers=workers,
                          console=console)
        probability = open_cube(out_dir / "cube.zarr")["probability"].values
        auc = recovery_auc(probability, scene.hidden)
        results = [gen, *results,
                   StageResult(name="demo", metrics={"recovery_roc_auc_vs_hidden_top10": auc},
                               outputs={"viewer": str(out_dir / "viewer" / "index.html")},
                               seconds=round(time.perf_counter() - start, 3))]
        print_summary(results, console)
    console.print(f"\n[bold]Open the map:[/bold] {escape(str(out_dir / 'viewer' / 'index.html'))}")
    return results
