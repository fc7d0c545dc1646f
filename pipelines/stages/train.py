"""Train stage: labels and features from the cube, spatial and random CV side by side, the
final model saved with its card and input schema, metrics and a report with plots.

Writes under ``out_dir/model``: the model directory (``prospect.registry.save_model``),
``metrics.json`` and ``report/report.md`` with PNG plots. The work itself is done by
:mod:`prospect.models.training` and :mod:`prospect.models.summary`; this module runs it
here or on the job's cluster and writes the results.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator

from pipelines.context import RunContext, StageResult
from pipelines.progress import compute, track
from prospect.config.model import ModelConfig
from prospect.errors import StageError
from prospect.features import build_stack
from prospect.io.cube import cube_grid, open_cube
from prospect.io.files import file_sha256, write_json
from prospect.models import fit_fold, make_estimator, pool_folds, uses_area_weights
from prospect.models.evaluate import CVResult
from prospect.models.summary import input_schema, model_card, training_facts
from prospect.models.training import (
    Folds,
    TrainingSet,
    build_training_set,
    calibrate,
    cv_schemes,
    fit_final,
    importance_repeats,
    labels_source,
    select_features,
)

__all__ = ["MODEL_DIR", "run"]

MODEL_DIR = "model"


def run(ctx: RunContext) -> StageResult:
    """Train the job's model; see the module docstring for what is written."""
    from prospect.registry import save_model

    cfg = ctx.job.model
    if cfg is None:
        return StageResult(name="train", skipped=True, notes=["no model section in the job"])
    if not (ctx.cube_path / "zarr.json").is_file():
        raise StageError(f"{ctx.cube_path}: no cube; run 'prospect ingest' on this job first")
    ds = open_cube(ctx.cube_path)
    grid = ctx.grid = ctx.grid.check_cube(cube_grid(ds), path=ctx.cube_path)
    source = labels_source(ctx.job.sources, cfg)
    spec = select_features(ds, cfg, labels_path=source.path)
    names = spec.names()
    ctx.console.print(f"  features ({len(names)}): {', '.join(names)}")
    ts = build_training_set(build_stack(ds, spec), spec, grid=grid, source=source, cfg=cfg,
                            compute=lambda lazy, what: compute(lazy, ctx, f"train: {what}"))
    estimator = make_estimator(cfg, n_features=len(names), categorical=spec.categorical_indices(),
                               cell_area=grid.resolution ** 2, feature_names=names)
    sw = ts.weight if uses_area_weights(cfg.estimator) else None
    schemes = cv_schemes(ts, cfg)
    ctx.console.print(f"  {ts.counts['positives']} positives, {ts.counts['negatives']} "
                      f"negatives; spatial CV ({cfg.cv.n_splits} folds of "
                      f"{cfg.cv.block_size:g} blocks)")
    results, final = _fit_folds(ctx, estimator, ts, schemes, sw, names, cfg)
    model, calibration = calibrate(final, results["spatial_block"], ts.X, ts.y, cfg)
    synthetic = bool(ctx.job.synthetic)
    model_dir = ctx.out_dir / MODEL_DIR
    zarr_json = ctx.cube_path / "zarr.json"
    card = model_card(
        cfg=cfg, ts=ts, ds=ds, spec=spec, results=results, calibration=calibration, grid=grid,
        synthetic=synthetic, config=ctx.job.model_dump(mode="json"),
        config_hash=ctx.job.config_hash(),
        training_data=[{"path": str(source.path), "sha256": _sha256(Path(source.path))},
                       {"path": str(zarr_json), "sha256": _sha256(zarr_json)}])
    facts = training_facts(final=final, cfg=cfg, ts=ts, names=names, results=results,
                           calibration=calibration, grid=grid, sample_weight=sw,
                           job=ctx.job.name, synthetic=synthetic,
                           config_hash=ctx.job.config_hash())
    save_model(model, model_dir, card=card, schema=input_schema(ds, spec, cfg))
    ctx.console.print(f"  model saved to {model_dir}")
    write_json(model_dir / "metrics.json", facts)
    from pipelines.report import write_report

    report = write_report(model_dir / "report", facts)
    return StageResult(
        name="train",
        outputs={"model": str(model_dir), "metrics": str(model_dir / "metrics.json"),
                 "report": str(report)},
        metrics=facts["metrics"],
        inputs={"labels": str(source.path), "cube": str(ctx.cube_path)},
        notes=[f"labels: {ts.counts['records']} records, {ts.counts['outside_grid']} outside "
               f"the grid, {ts.counts['merged_into_shared_cell']} merged into shared cells, "
               f"{ts.counts['positives']} positive cells",
               f"report: {report}"],
    )


def _sha256(path: Path) -> str:
    return file_sha256(path) if path.is_file() else ""


def _fit_folds(
    ctx: RunContext, estimator: BaseEstimator, ts: TrainingSet, schemes: dict[str, Folds],
    sw: np.ndarray | None, names: list[str], cfg: ModelConfig,
) -> tuple[dict[str, CVResult], BaseEstimator]:
    """Every CV fold of every scheme and the final fit, through the run's executor.

    On a cluster they run side by side as tasks and the training rows travel once
    (:func:`pipelines.cluster.ship`); here they run in turn. Each fit is seeded, so the
    results equal :func:`prospect.models.training.fit_all`'s either way.
    """
    ex = ctx.executor
    X, y, w = (ex.ship(v) for v in (ts.X, ts.y, sw))
    futures = {scheme: [ex.submit(
        fit_fold, estimator, X, y, train, test, k, sample_weight=w,
        importance_repeats=importance_repeats(scheme, cfg), seed=cfg.seed)
        for k, (train, test) in enumerate(folds)] for scheme, folds in schemes.items()}
    final = ex.submit(fit_final, estimator, X, y, w)
    every = [f for fs in futures.values() for f in fs] + [final]
    track(every, ctx, f"train: {len(every)} fits (CV folds and the final model)")
    results = {scheme: pool_folds(ex.gather(fs), ts.y, scheme=scheme, feature_names=names)
               for scheme, fs in futures.items()}
    return results, final.result()
