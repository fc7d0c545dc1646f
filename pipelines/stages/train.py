"""Train stage: labels and features from the cube, spatial and random CV side by side, the
final model saved with its card and input schema, metrics and a report with plots.

Writes under ``out_dir/model``: the model directory (``prospect.registry.save_model``),
``metrics.json``, ``oof_predictions.csv`` (one row per sample and CV scheme: cell,
fold, label, out-of-fold score) and ``report/report.md`` with PNG plots, all published
together (a failure while writing any of them leaves the last run's model folder as it
was, never a new model without its metrics). The work itself is done by
:mod:`prospect.models.training` and :mod:`prospect.models.summary`; this module runs it
here or on the job's cluster and writes the results.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from rich.markup import escape
from sklearn.base import BaseEstimator

from pipelines.context import RunContext, StageResult
from pipelines.progress import compute, track
from prospect.config._base import config_folder
from prospect.config.model import ModelConfig
from prospect.errors import DataWarning, StageError
from prospect.io.cube import cube_grid, is_synthetic, open_cube
from prospect.io.files import file_sha256, write_json, write_text
from prospect.models import fit_fold, make_estimator, pool_folds, uses_area_weights
from prospect.models.baselines import baseline_metrics, compare_to_baseline
from prospect.models.cv import (
    adjacent_positives,
    blocks_below_range,
    classes_unseen_in_folds,
)
from prospect.models.evaluate import CVResult, oof_table
from prospect.models.factory import check_row_draws, class_groups
from prospect.models.summary import (
    cell_area_warnings,
    convergence_warnings,
    cv_warnings,
    fill_warnings,
    flat_warnings,
    importance_warnings,
    input_schema,
    model_card,
    model_warnings,
    sample_size_warnings,
    scale_facts,
    separation_warnings,
    spread_warnings,
    training_facts,
)
from prospect.models.training import (
    Folds,
    TrainingSet,
    calibrate,
    cv_schemes,
    find_label_surfaces,
    fit_final,
    fit_matrix,
    fit_rows,
    fold_matrices,
    fold_surfaces,
    importance_repeats,
    labels_source,
    read_training_set,
    refuse_subcell_blocks,
    resolve_cv,
    seed_estimators,
    seed_spread,
    select_features,
)
from prospect.registry.card import portable_card

__all__ = ["MODEL_DIR", "run"]

MODEL_DIR = "model"
REPORT_DIR = "report"


def _unmade_features(ds: Any, variables: Sequence[str]) -> list[str]:
    """Warnings for default features no Prospect stage made: a variable another tool or a
    user added to the cube carries no ``prospect_fingerprint`` (no source, no provenance),
    and was taken as evidence without a word because ``model.features`` names none."""
    unmade = [v for v in variables if "prospect_fingerprint" not in ds[v].attrs]
    if not unmade:
        return []
    return [f"train: cube variable(s) {unmade} were made by no Prospect stage (no "
            "fingerprint or provenance in the cube: another tool or a hand added them) and "
            "are taken as features because model.features names none; list model.features "
            "to choose the evidence, or remove them from the cube"]


def run(ctx: RunContext) -> StageResult:
    """Train the job's model; see the module docstring for what is written."""
    from prospect.registry import save_model
    from prospect.registry.card import created_time

    cfg = ctx.job.model
    if cfg is None:
        return StageResult(name="train", skipped=True, notes=["no model section in the job"])
    created_time()  # a bad $SOURCE_DATE_EPOCH is refused before the work, not after it
    if not (ctx.cube_path / "zarr.json").is_file():
        raise StageError(f"{ctx.cube_path}: no cube; run 'prospect ingest' on this job first")
    ds = open_cube(ctx.cube_path)
    grid = ctx.grid = ctx.grid.check_cube(cube_grid(ds), path=ctx.cube_path)
    # said before the features are read: a size in degrees on a grid in metres
    refuse_subcell_blocks(cfg.cv.block_size, resolution=grid.resolution, unit=grid.unit)
    source = labels_source(ctx.job.sources, cfg)
    leaks = find_label_surfaces(ds, cfg, sources=ctx.job.sources, grid=grid)
    spec = select_features(ds, cfg, labels_path=source.path, leaks=leaks)
    unmade = _unmade_features(ds, spec.variables) if cfg.features is None else []
    for line in unmade:  # said before the work: a wrong feature costs the whole training
        warnings.warn(DataWarning(line), stacklevel=1)
    names = spec.names()
    ctx.console.print(f"  features ({len(names)}): {escape(', '.join(names))}")
    leak_facts = [{"variable": f.variable, "source": f.source, "reason": f.reason,
                   "use": "rebuilt inside each CV fold; training rows read it without "
                          "the points of their own cell" if f.variable in names
                   else "left out (made from the label points)"} for f in leaks]
    for f in leak_facts:
        ctx.console.print(f"  [yellow]{escape(f['variable'])}: {f['use']}[/yellow]")
    surfaces = fold_surfaces(spec, leaks, sources=ctx.job.sources, grid=grid) \
        if cfg.fold_aware_interpolation else {}
    # a common fill no one declared is taken as no data in the rows, as the map takes it
    ts = read_training_set(ds, spec, grid=grid, source=source, cfg=cfg,
                           compute=lambda lazy, what: compute(lazy, ctx, f"train: {what}"),
                           rebuilt=[s.name for s in surfaces.values()])

    def make(c: ModelConfig) -> BaseEstimator:
        return make_estimator(c, n_features=len(names), categorical=spec.categorical_indices(),
                              cell_area=grid.resolution ** 2, feature_names=names)

    estimator = make(cfg)
    check_row_draws(cfg, ts.y)  # a count of rows given for a share
    sw = ts.weight if uses_area_weights(cfg.estimator) else None
    cv = resolve_cv(ts, cfg, resolution=grid.resolution, unit=grid.unit)
    schemes = cv_schemes(ts, cfg, cv=cv)
    adjacent = adjacent_positives(ts.coords, ts.y, schemes["spatial_block"],
                                  resolution=grid.resolution, buffer=cv["buffer"])
    cv["positives_next_to_training"] = {k: v for k, v in adjacent.items() if k != "warning"}
    ranged = blocks_below_range(ts.coords, ts.y, cv, resolution=grid.resolution, seed=cfg.seed,
                                units=grid.units)
    cv["block_size_below_range"] = {k: v for k, v in ranged.items() if k != "warning"}
    unseen = classes_unseen_in_folds(ts.X, ts.y, schemes["spatial_block"],
                                     categorical=spec.categorical_indices(), names=names,
                                     groups=class_groups(cfg, names, spec.categorical_indices()),
                                     estimator=cfg.estimator, encoding=cfg.categorical)
    cv["classes_unseen_in_training"] = {k: v for k, v in unseen.items() if k != "warning"}
    fold_X = fold_matrices(ts, schemes, surfaces, cv=cv, resolution=grid.resolution)
    # the final model's rows read the surfaces without their own cell's points, as each
    # fold's training rows do: never the value that made the row's label
    ts = fit_matrix(ts, surfaces, resolution=grid.resolution)
    seeds = seed_estimators(cfg, make)
    ctx.console.print(f"  {ts.counts['positives']} positives, {ts.counts['negatives']} "
                      f"negatives; spatial CV ({cfg.cv.n_splits} folds of blocks of "
                      f"{cv['block_size']:g} {grid.units} ({cv['block_size_from']}), buffer "
                      f"{cv['buffer']:g} {grid.units}, "
                      f"{len(seeds)} estimator seed(s))")
    results, final, by_seed = _fit_folds(ctx, estimator, ts, schemes, sw, names, cfg,
                                         fold_X=fold_X, seeds=seeds)
    # weights of evidence's reliability per unit cell of the area (its rows' area weights)
    model, calibration = calibrate(final, results["spatial_block"], ts.X, ts.y, cfg,
                                   sample_weight=sw)
    calibration = scale_facts(calibration, model)  # what its probabilities are
    # a model trained on a synthetic cube is synthetic, whatever the job says now
    synthetic = bool(ctx.job.synthetic) or is_synthetic(ds.attrs)
    model_dir = ctx.out_dir / MODEL_DIR
    zarr_json = ctx.cube_path / "zarr.json"
    job_dir = config_folder(ctx.job_path) if ctx.job_path else None
    config = ctx.job.model_dump(mode="json")
    # one hash of the job in any checkout: its config as the card writes it (paths as the
    # job gives them), in the card, metrics.json and the report alike; the job as loaded
    # (absolute paths) gave two checkouts of one job two hashes
    job_hash = portable_card({"config": config, "config_hash": ctx.job.config_hash()},
                             job_dir=job_dir, out_dir=ctx.out_dir)["config_hash"]
    facts = training_facts(final=final, cfg=cfg, ts=ts, names=names, results=results,
                           calibration=calibration, grid=grid, sample_weight=sw,
                           job=ctx.job.name, synthetic=synthetic,
                           config_hash=job_hash, cv=cv,
                           seeds=seed_spread(by_seed), leaks=leak_facts,
                           categorical=spec.categorical_indices())
    # the skill a map of known occurrences has without any model, on the same folds
    facts["baseline"] = compare_to_baseline(ts.coords, ts.y, schemes["spatial_block"],
                                            results["spatial_block"].oof,
                                            area_rows=ts.background)
    facts["metrics"].update(baseline_metrics(facts["baseline"]))
    ctx.console.print(f"  {facts['baseline']['verdict']}")
    doubts = fill_warnings(ts.X, names, spec.categorical_indices(),
                           taken=ts.counts.get("training_rows_on_fills")) + \
        sample_size_warnings(int((ts.y > 0).sum()), names, cfg.estimator) + \
        cv_warnings(facts["metrics"]) + model_warnings(final, names) + \
        spread_warnings(final, ts.X) + flat_warnings(final, ts.X) + \
        convergence_warnings(final) + cell_area_warnings(final, ts.coords, grid) + \
        separation_warnings(final, ts.X, ts.y) + \
        importance_warnings(facts) + \
        [line for line in (adjacent["warning"], ranged["warning"], unseen["warning"])
         if line]
    for line in doubts:  # the summary's and the manifest's warning notes
        warnings.warn(DataWarning(line), stacklevel=1)
    # what makes the figures less than they read, for the report and the card (the
    # calibration's own doubts were warned of where they were found)
    doubts = doubts + list(calibration.get("warnings", [])) + unmade
    facts["warnings"] = doubts
    card = model_card(
        cfg=cfg, ts=ts, ds=ds, spec=spec, results=results, calibration=calibration, grid=grid,
        synthetic=synthetic, config=config,
        config_hash=job_hash, cv=cv, headline_metrics=facts["metrics"],
        training_data=[{"path": str(source.path), "sha256": _sha256(Path(source.path))},
                       {"path": str(zarr_json), "sha256": _sha256(zarr_json)}])
    card["limitations"] = [*card.get("limitations", []), *doubts]
    # the card names the data as the job does (relative to its config's folder), not by
    # this machine's folders; the checksums name the content
    card = portable_card(card, job_dir=job_dir, out_dir=ctx.out_dir)
    oof = oof_table(results, ts.y, x=ts.coords[:, 0], y_coord=ts.coords[:, 1], rows=ts.rows,
                    cols=ts.cols)
    # the metrics, the out-of-fold table and the report are written into the model's
    # staging folder: a failure among them publishes no model, the last run's stays whole
    save_model(model, model_dir, card=card, schema=input_schema(ds, spec, cfg, ts.X),
               extras=lambda folder: _write_results(folder, facts, oof))
    ctx.console.print(f"  model saved to {escape(str(model_dir))}")
    report = model_dir / REPORT_DIR / "report.md"
    return StageResult(
        name="train",
        outputs={"model": str(model_dir), "metrics": str(model_dir / "metrics.json"),
                 "oof_predictions": str(model_dir / "oof_predictions.csv"),
                 "report": str(report)},
        metrics=facts["metrics"],
        inputs={"labels": str(source.path), "cube": str(ctx.cube_path)},
        notes=[f"labels: {ts.counts['records']} records, {ts.counts['outside_grid']} outside "
               f"the grid, {ts.counts['merged_into_shared_cell']} merged into shared cells, "
               f"{ts.counts['positive_cells']} positive cells"
               + (f", {ts.counts['positives_without_data']} without data: "
                  f"{ts.counts['positives']} used" if ts.counts["positives_without_data"]
                  else "")
               + (f", {ts.counts['positives_with_a_gap']} on a layer's gap (kept: weights "
                  "of evidence weighs each layer on its own cells)"
                  if ts.counts.get("positives_with_a_gap") else "")
               + (f", {ts.counts['records_below_limit_as_negative']} below a detection "
                  "limit as negatives" if ts.counts.get("records_below_limit_as_negative")
                  else "")
               + (f", {ts.counts['records_above_limit_undecided']} above an upper limit "
                  "under the threshold left out (undecided)"
                  if ts.counts.get("records_above_limit_undecided") else "")
               + (f", {ts.counts['records_tied_at_threshold']} tied at the quantile's "
                  "grade" if ts.counts.get("records_tied_at_threshold") else "")
               + (f", {ts.counts['positive_cells_holding_negatives']} positive cells also "
                  "holding records below the threshold"
                  if ts.counts.get("positive_cells_holding_negatives") else "")
               + (f", {ts.counts['negatives_without_data']} negatives without data (left "
                  "out)" if ts.counts.get("negatives_without_data") else ""),
               f"report: {report}"],
    )


def _write_results(folder: Path, facts: dict[str, Any], oof: dict[str, np.ndarray]) -> None:
    """Write ``metrics.json``, ``oof_predictions.csv`` and ``report/`` into ``folder``
    (the model's staging folder: :func:`prospect.registry.save_model`'s ``extras``).

    Parameters
    ----------
    folder
        Where the files go; published with the model or not at all.
    facts
        The training's facts (:func:`prospect.models.summary.training_facts`).
    oof
        The out-of-fold table (:func:`prospect.models.evaluate.oof_table`).
    """
    from pipelines.report import write_report

    write_json(folder / "metrics.json", facts)
    write_text(folder / "oof_predictions.csv", pd.DataFrame(oof).to_csv(index=False))
    write_report(folder / REPORT_DIR, facts)


def _sha256(path: Path) -> str:
    return file_sha256(path) if path.is_file() else ""


def _fit_folds(
    ctx: RunContext, estimator: BaseEstimator, ts: TrainingSet, schemes: dict[str, Folds],
    sw: np.ndarray | None, names: list[str], cfg: ModelConfig, *,
    fold_X: dict[str, list[np.ndarray]] | None, seeds: dict[int, BaseEstimator],
) -> tuple[dict[str, CVResult], BaseEstimator, dict[int, CVResult]]:
    """Every CV fold of every scheme (and of the other estimator seeds) and the final fit,
    through the run's executor.

    On a cluster they run side by side as tasks and the training rows travel once
    (:func:`pipelines.cluster.ship`); here they run in turn. Each fit is seeded, so the
    results equal :func:`prospect.models.training.fit_all`'s either way.
    """
    ex = ctx.executor
    X, y, w = (ex.ship(v) for v in (ts.X, ts.y, sw))
    rows = fit_rows(ts, cfg)
    rows_f = {k: ex.ship(v) for k, v in (rows or {}).items()} or None
    fx = {scheme: [ex.ship(m) for m in mats] for scheme, mats in (fold_X or {}).items()}

    def submit(est: BaseEstimator, scheme: str, seed: int, repeats: int) -> list[Any]:
        return [ex.submit(
            fit_fold, est, fx[scheme][k] if scheme in fx else X, y, train, test, k,
            sample_weight=w, importance_repeats=repeats, seed=seed, fit_rows=rows_f)
            for k, (train, test) in enumerate(schemes[scheme])]

    futures = {scheme: submit(estimator, scheme, cfg.seed, importance_repeats(scheme, cfg))
               for scheme in schemes}
    seed_futures = {seed: submit(est, "spatial_block", seed, 0)
                    for seed, est in seeds.items() if seed != cfg.seed}
    final = ex.submit(fit_final, estimator, X, y, w, rows_f)
    every = [f for fs in [*futures.values(), *seed_futures.values()] for f in fs] + [final]
    track(every, ctx, f"train: {len(every)} fits (CV folds, estimator seeds, final model)")
    results = {scheme: pool_folds(ex.gather(fs), ts.y, scheme=scheme, feature_names=names,
                                  area_rows=ts.background)
               for scheme, fs in futures.items()}
    by_seed = {cfg.seed: results["spatial_block"]} | {
        seed: pool_folds(ex.gather(fs), ts.y, scheme="spatial_block", area_rows=ts.background)
        for seed, fs in seed_futures.items()}
    return results, final.result(), by_seed
