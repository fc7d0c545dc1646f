"""Train stage: labels and features from the cube, spatial and random CV side by side, the
final model saved with its card and input schema, metrics and a report with plots.

Writes under ``out_dir/model``: the model directory (``prospect.registry.save_model``),
``metrics.json`` and ``report/report.md`` with PNG plots.
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import clone

from pipelines.cluster import ship
from pipelines.context import RunContext, StageResult
from pipelines.progress import compute, track
from prospect.config.model import ModelConfig
from prospect.config.sources import PointSource
from prospect.errors import DataError, StageError
from prospect.features import (
    FeatureSpec,
    build_stack,
    default_feature_variables,
    make_spec,
    sample_cells,
)
from prospect.grid import RegionGrid
from prospect.io.cube import cube_grid, open_cube
from prospect.io.files import file_sha256
from prospect.models import (
    CalibratedModel,
    SpatialBlockCV,
    cross_validate,
    fit_fold,
    grade_positives,
    make_estimator,
    partial_dependence_curves,
    pool_folds,
    random_folds,
    read_occurrences,
    reliability,
    sample_background,
    snap_points,
    uses_area_weights,
)
from prospect.models.metrics import capture_curve, prediction_area

__all__ = [
    "TrainingSet", "build_training_set", "feature_spec", "job_grid", "jsonable", "run",
]

MODEL_DIR = "model"


class TrainingSet:
    """Feature rows, labels, coordinates and area weights of the sampled cells."""

    def __init__(self, *, X: np.ndarray, y: np.ndarray, rows: np.ndarray, cols: np.ndarray,
                 coords: np.ndarray, weight: np.ndarray, counts: dict[str, Any]) -> None:
        self.X, self.y, self.rows, self.cols = X, y, rows, cols
        self.coords, self.weight, self.counts = coords, weight, counts


def _labels_source(ctx: RunContext, cfg: ModelConfig) -> PointSource:
    for source in ctx.job.sources:
        if source.name == cfg.labels.source and isinstance(source, PointSource):
            return source
    raise StageError(f"model.labels.source {cfg.labels.source!r} is not a points source")


def job_grid(ctx: RunContext, ds: Any) -> RegionGrid:
    """The job's grid, after checking that the cube at ``ctx.cube_path`` is on it.

    The job's grid keeps the CRS as the user named it (a cube's CRS read back from WKT
    may be identified by an equivalent EPSG code).
    """
    cube = cube_grid(ds)
    job = ctx.grid
    if cube.shape != job.shape or not np.allclose(
            list(cube.transform)[:6], list(job.transform)[:6], rtol=0, atol=1e-6 * job.resolution):
        raise StageError(
            f"{ctx.cube_path}: the cube is on grid {cube.describe()}, not on the job's grid "
            f"{job.describe()}; re-run 'prospect ingest' with this config or use another --out"
        )
    return job


def feature_spec(ctx: RunContext, cfg: ModelConfig, ds: Any) -> FeatureSpec:
    """The feature spec of the job's model on cube ``ds``.

    Without an explicit ``model.features``, every cube variable is used except outputs,
    layers made from the labels source, and surfaces of the grade column interpolated from
    the labels file under another source name (both would leak the target).
    """
    grid = cube_grid(ds)
    focal = cfg.focal
    variables = cfg.features
    if variables is None:
        variables = [v for v in default_feature_variables(ds, exclude_sources=[cfg.labels.source])
                     if not _leaks_grade(ds[v], ctx, cfg)]
    return make_spec(
        ds, variables=variables, resolution=grid.resolution,
        focal_radii=focal.radii if focal else (),
        focal_stats=focal.stats if focal else ("mean", "std"),
        focal_variables=focal.variables if focal else None,
    )


def _leaks_grade(var: Any, ctx: RunContext, cfg: ModelConfig) -> bool:
    """True for a surface of the grade column made from the labels file itself."""
    if cfg.labels.value_column is None:
        return False
    try:
        prov = json.loads(var.attrs.get("provenance") or "{}")
    except ValueError:
        return False
    if not isinstance(prov, dict) or prov.get("column") != cfg.labels.value_column:
        return False
    labels_path = str(Path(_labels_source(ctx, cfg).path).resolve())
    sources = prov.get("sources") or {}
    return any(str(Path(p).resolve()) == labels_path for p in sources)


def build_training_set(ctx: RunContext, cfg: ModelConfig, stack: Any,
                       spec: FeatureSpec) -> TrainingSet:
    """Snap the occurrences, sample the background and read the features of every cell."""
    grid = ctx.grid
    source = _labels_source(ctx, cfg)
    lab = cfg.labels
    occ = read_occurrences(source.path, grid, x=source.x, y=source.y, crs=source.crs,
                           layer=source.layer, value_column=lab.value_column,
                           override_crs="crs" in source.model_fields_set)
    positive, threshold = grade_positives(occ.values, threshold=lab.threshold,
                                          quantile=lab.threshold_quantile)
    labels = snap_points(occ.x, occ.y, grid, positive=positive, feature_id=occ.feature_id)
    counts: dict[str, Any] = {**labels.counts, "records_without_geometry": occ.n_dropped,
                              "grade_threshold": threshold}
    if labels.n_positive < 2:
        raise DataError(
            f"{source.path}: only {labels.n_positive} positive cell(s) inside the grid "
            f"(threshold {threshold}); lower the threshold or check the points' CRS"
        )
    pos = labels.label == 1
    keep_neg = lab.negatives in ("below_threshold", "both")
    sel = pos | keep_neg
    r, c = labels.rows[sel], labels.cols[sel]
    y = pos[sel].astype("i8")

    def sample(rows: np.ndarray, cols: np.ndarray, what: str) -> np.ndarray:
        return sample_cells(stack, rows, cols, compute=lambda picked: compute(
            picked, ctx, f"train: features of {rows.size} {what} cells"))

    X = sample(r, c, "labelled")
    ok = np.all(np.isfinite(X[:, spec.base_indices()]), axis=1)
    counts["positives_without_data"] = int((~ok & (y == 1)).sum())
    X, y, r, c = X[ok], y[ok], r[ok], c[ok]
    n_labelled = y.size
    bg = {"drawn": 0, "without_data": 0}
    if lab.negatives in ("background", "both"):
        br, bc, bX, bg = _background(grid, sample, spec, labels, lab, n_pos=int(pos.sum()),
                                     seed=cfg.seed)
        r, c = np.concatenate([r, br]), np.concatenate([c, bc])
        X = np.concatenate([X, bX])
        y = np.concatenate([y, np.zeros(br.size, "i8")])
    is_bg = np.arange(y.size) >= n_labelled
    counts.update(
        background_drawn=bg["drawn"], background_without_data=bg["without_data"],
        background_strategy=lab.background if bg["drawn"] else "none",
        background_ratio=lab.background_ratio, background_seed=cfg.seed,
        background_exclusion=lab.background_exclusion, negatives=lab.negatives,
    )
    n_pos = int((y == 1).sum())
    if n_pos < 2 or (y == 0).sum() < 2:
        raise DataError(
            f"after dropping cells without data, {n_pos} positives and {(y == 0).sum()} "
            "negatives remain; the occurrences may lie outside the evidence layers"
        )
    # area weights: each background row stands for its share of the unlabelled valid area
    weight = np.ones(y.size)
    if is_bg.any():
        valid_share = 1.0 - bg["without_data"] / max(bg["drawn"], 1)
        unlabelled = max(grid.height * grid.width * valid_share - labels.rows.size, is_bg.sum())
        weight[is_bg] = unlabelled / is_bg.sum()
    counts.update(samples=int(y.size), positives=n_pos, negatives=int((y == 0).sum()))
    coords = np.column_stack([grid.x[c], grid.y[r]])
    return TrainingSet(X=X, y=y, rows=r, cols=c, coords=coords, weight=weight, counts=counts)


def _background(
    grid: RegionGrid, sample: Any, spec: FeatureSpec, labels: Any, lab: Any, *, n_pos: int,
    seed: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, int]]:
    """Seeded background cells with data, and their features.

    When some drawn cells have no data, the draw is repeated once, larger by the share that
    had none, so that ``background_ratio`` holds for cells with data; the counts of the
    (last) draw are returned for the report and for the area weights.
    """
    n = None if lab.background == "all" else round(float(lab.background_ratio * n_pos))
    kw = {"exclude_rows": labels.rows, "exclude_cols": labels.cols,
          "exclusion": lab.background_exclusion, "seed": seed}
    r, c = sample_background(grid, n, **kw)
    X = sample(r, c, "background")
    ok = np.all(np.isfinite(X[:, spec.base_indices()]), axis=1)
    if n is not None and 0 < ok.sum() < n:
        r, c = sample_background(grid, int(np.ceil(n / ok.mean() * 1.1)) + 10, **kw)
        X = sample(r, c, "background")
        ok = np.all(np.isfinite(X[:, spec.base_indices()]), axis=1)
    counts = {"drawn": int(r.size), "without_data": int((~ok).sum())}
    keep = np.flatnonzero(ok)[:n] if n is not None else np.flatnonzero(ok)
    return r[keep], c[keep], X[keep], counts


def _feature_facts(ds: Any, spec: FeatureSpec) -> list[dict[str, Any]]:
    facts = []
    for name in spec.names():
        if name in spec.variables:
            a = ds[name].attrs
            facts.append({"name": name, "units": a.get("units", ""),
                          "long_name": a.get("long_name", name),
                          "prospect_kind": a.get("prospect_kind", ""),
                          "provenance": a.get("provenance", "{}")})
        else:
            var, rest = name.split("__focal_")
            stat, radius = rest.split("_r")
            a = ds[var].attrs
            facts.append({"name": name, "units": a.get("units", "") if stat else "",
                          "long_name": f"focal {stat} of {var} within {radius} CRS units",
                          "prospect_kind": a.get("prospect_kind", "continuous"),
                          "provenance": json.dumps({"focal": stat, "radius": float(radius),
                                                    "variable": var, "window": "square"})})
    return facts


def _sha256(path: Path) -> str:
    return file_sha256(path) if path.is_file() else ""


def run(ctx: RunContext) -> StageResult:
    """Train the job's model; see the module docstring for what is written."""
    from prospect.registry import save_model, schema_from_cube

    cfg = ctx.job.model
    if cfg is None:
        return StageResult(name="train", skipped=True, notes=["no model section in the job"])
    if not (ctx.cube_path / "zarr.json").is_file():
        raise StageError(f"{ctx.cube_path}: no cube; run 'prospect ingest' on this job first")
    ds = open_cube(ctx.cube_path)
    ctx.grid = job_grid(ctx, ds)
    spec = feature_spec(ctx, cfg, ds)
    stack = build_stack(ds, spec)
    ctx.console.print(f"  features ({len(spec.names())}): {', '.join(spec.names())}")
    ts = build_training_set(ctx, cfg, stack, spec)
    names = spec.names()
    cell_area = ctx.grid.resolution ** 2
    estimator = make_estimator(cfg, n_features=len(names), categorical=spec.categorical_indices(),
                               cell_area=cell_area, feature_names=names)
    sw = ts.weight if uses_area_weights(cfg.estimator) else None
    spatial_cv = SpatialBlockCV(n_splits=cfg.cv.n_splits, block_size=cfg.cv.block_size,
                                buffer=cfg.cv.buffer, random_state=cfg.seed)
    splits = list(spatial_cv.split(ts.coords, ts.y))
    ctx.console.print(f"  {ts.counts['positives']} positives, {ts.counts['negatives']} "
                      f"negatives; spatial CV ({cfg.cv.n_splits} folds of "
                      f"{cfg.cv.block_size:g} blocks)")
    schemes = {"spatial_block": splits}
    if cfg.cv.compare_random or cfg.cv.kind == "random":
        schemes["random"] = random_folds(ts.y, n_splits=cfg.cv.n_splits, seed=cfg.seed)
    if ctx.client is not None:
        results, final = _fit_on_cluster(ctx, estimator, ts, schemes, sw, names, cfg)
    else:
        results = {scheme: cross_validate(
            estimator, ts.X, ts.y, folds, scheme=scheme, sample_weight=sw, feature_names=names,
            importance_repeats=cfg.permutation_repeats if scheme == "spatial_block" else 0,
            seed=cfg.seed) for scheme, folds in schemes.items()}
        final = _fit(estimator, ts.X, ts.y, sw)
    spatial = results["spatial_block"]
    tested = spatial.fold >= 0
    calibration: dict[str, Any] = {
        "method": cfg.calibration,
        "spatial_oof_before": reliability(ts.y[tested], spatial.oof[tested]),
        "note": "probabilities are relative scores: the background is a sample of the area "
                f"at {cfg.labels.background_ratio:g} cells per positive, so their base rate "
                "is not the deposit density of the region",
    }
    model: Any = final
    if cfg.calibration != "none":
        model = CalibratedModel(model=final, method=cfg.calibration).fit(
            spatial.oof[tested], ts.y[tested])
        calibration["spatial_oof_after"] = reliability(
            ts.y[tested], model.calibrate(spatial.oof[tested]))
        calibration["note_after"] = ("calibration map fitted on the spatial out-of-fold "
                                     "probabilities (its after-figures are in-sample)")
    order = sorted(spatial.importance, key=lambda n: -spatial.importance[n]["mean"]) \
        if spatial.importance else names
    pd_features = [names.index(n) for n in order[: cfg.partial_dependence]]
    pdp = partial_dependence_curves(final, ts.X, pd_features, names, seed=cfg.seed)
    woe: dict[str, Any] = {}
    if cfg.estimator == "weights_of_evidence":
        est = final.named_steps["model"]
        woe = {"weights": est.weights_table(names),
               "cumulative_tables": est.cumulative_tables(names),
               "conditional_independence": est.conditional_independence(ts.X, ts.y, sw),
               "prior_logit": est.prior_logit_, "unit_cell_area": est.unit_cell_area or cell_area,
               "cell_area": cell_area, "count": est.count,
               "n_deposits": est.n_deposits_, "area_unit_cells": est.area_total_}

    metrics = _headline(results)
    model_dir = ctx.out_dir / MODEL_DIR
    source = _labels_source(ctx, cfg)
    card = {
        "mineral": cfg.mineral, "deposit_type": cfg.deposit_type,
        "synthetic": bool(ctx.job.synthetic), "region": ctx.grid.describe(),
        "training_data": [{"path": str(source.path), "sha256": _sha256(Path(source.path))},
                          {"path": str(ctx.cube_path / "zarr.json"),
                           "sha256": _sha256(ctx.cube_path / "zarr.json")}],
        "labels": ts.counts,
        "features": _feature_facts(ds, spec),
        "cv": {"scheme": cfg.cv.kind, "block_size": cfg.cv.block_size,
               "buffer": cfg.cv.buffer, "n_splits": cfg.cv.n_splits,
               "metrics": {"spatial_block": _finite(spatial.metrics),
                           "random": _finite(results["random"].metrics)
                           if "random" in results else None}},
        "calibration": {k: v for k, v in calibration.items() if not isinstance(v, dict)}
        | {"brier_spatial_oof": calibration["spatial_oof_before"].get("brier")},
        "limitations": _limitations(ctx, cfg, ts, spatial),
        "config": ctx.job.model_dump(mode="json"), "config_hash": ctx.job.config_hash(),
    }
    schema = schema_from_cube(ds, list(spec.variables))
    schema["feature_spec"] = spec.to_dict()
    schema["feature_names"] = names
    schema["estimator"] = cfg.estimator
    save_model(model, model_dir, card=card, schema=schema)
    ctx.console.print(f"  model saved to {model_dir}")
    facts = {
        "job": ctx.job.name, "synthetic": bool(ctx.job.synthetic), "mineral": cfg.mineral,
        "deposit_type": cfg.deposit_type, "estimator": cfg.estimator,
        "config_hash": ctx.job.config_hash(), "region": ctx.grid.describe(),
        "labels": ts.counts, "features": names, "cv_config": cfg.cv.model_dump(),
        "metrics": metrics,
        "cv": {k: {"metrics": _finite(v.metrics), "folds": [_finite(f) for f in v.fold_metrics],
                   "importance": v.importance} for k, v in results.items()},
        "curves": _curves(ts.y, results), "calibration": calibration,
        "partial_dependence": pdp, "weights_of_evidence": woe,
    }
    _write_json(model_dir / "metrics.json", facts)
    from pipelines.report import write_report

    report = write_report(model_dir / "report", facts)
    return StageResult(
        name="train",
        outputs={"model": str(model_dir), "metrics": str(model_dir / "metrics.json"),
                 "report": str(report)},
        metrics=metrics,
        inputs={"labels": str(source.path), "cube": str(ctx.cube_path)},
        notes=[f"labels: {ts.counts['records']} records, {ts.counts['outside_grid']} outside "
               f"the grid, {ts.counts['merged_into_shared_cell']} merged into shared cells, "
               f"{ts.counts['positives']} positive cells",
               f"report: {report}"],
    )


def _fit(estimator: Any, X: np.ndarray, y: np.ndarray, sw: np.ndarray | None) -> Any:
    """The final model: a clone of ``estimator`` fitted on every row (a cluster task)."""
    return clone(estimator).fit(X, y, **({} if sw is None else {"model__sample_weight": sw}))


def _fit_on_cluster(
    ctx: RunContext, estimator: Any, ts: TrainingSet,
    schemes: dict[str, list[tuple[np.ndarray, np.ndarray]]], sw: np.ndarray | None,
    names: list[str], cfg: ModelConfig,
) -> tuple[dict[str, Any], Any]:
    """Every CV fold of every scheme and the final fit, side by side as cluster tasks.

    The training rows travel once (:func:`pipelines.cluster.ship`); each fit is seeded,
    so the results equal the one-process ones.
    """
    client = ctx.client
    X, y, w = (ship(client, v) for v in (ts.X, ts.y, sw))
    futures = {scheme: [client.submit(
        fit_fold, estimator, X, y, train, test, k, sample_weight=w,
        importance_repeats=cfg.permutation_repeats if scheme == "spatial_block" else 0,
        seed=cfg.seed, pure=False) for k, (train, test) in enumerate(folds)]
        for scheme, folds in schemes.items()}
    final = client.submit(_fit, estimator, X, y, w, pure=False)
    every = [f for fs in futures.values() for f in fs] + [final]
    track(every, ctx, f"train: {len(every)} fits (CV folds and the final model)")
    results = {scheme: pool_folds(client.gather(fs), ts.y, scheme=scheme, feature_names=names)
               for scheme, fs in futures.items()}
    return results, final.result()


def _headline(results: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for scheme, key in (("spatial_block", "spatial"), ("random", "random")):
        if scheme not in results:
            continue
        m = results[scheme].metrics
        for name in ("roc_auc", "pr_auc", "success_rate_auc", "fold_roc_auc_std"):
            if name in m:
                out[f"cv_{key}_{name}"] = round(float(m[name]), 4)
    sm = results["spatial_block"].metrics
    for name in ("top5_capture", "top10_capture", "top20_capture", "pa_intersection_pct"):
        if name in sm:
            out[name] = round(float(sm[name]), 4)
    out["n_positive"] = int(sm.get("n_positive", 0))
    return out


def _curves(y: np.ndarray, results: dict[str, Any]) -> dict[str, Any]:
    from sklearn.metrics import precision_recall_curve, roc_curve

    out = {}
    for scheme, res in results.items():
        ok = res.fold >= 0
        yy, ss = y[ok], res.oof[ok]
        fpr, tpr, _ = roc_curve(yy, ss)
        prec, rec, _ = precision_recall_curve(yy, ss)
        ax, cy = capture_curve(ss[yy == 1], ss[yy == 0])
        pa = prediction_area(ss[yy == 1], ss[yy == 0])
        out[scheme] = {"roc": {"fpr": fpr.tolist(), "tpr": tpr.tolist()},
                       "pr": {"precision": prec.tolist(), "recall": rec.tolist()},
                       "success": {"area": ax.tolist(), "captured": cy.tolist()},
                       "prediction_area": pa}
    return out


def _finite(d: dict[str, Any]) -> dict[str, Any]:
    return {k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in d.items()}


def _limitations(ctx: RunContext, cfg: ModelConfig, ts: TrainingSet, spatial: Any) -> list[str]:
    out = []
    if ctx.job.synthetic:
        out.append("trained on SYNTHETIC data; not for real decisions")
    out.append(f"{ts.counts['positives']} positive cells; metrics from few positives are noisy")
    out.append("background cells are unlabelled, not proven barren (presence-background "
               "learning); probabilities are relative")
    gap = spatial.metrics.get("roc_auc", np.nan)
    out.append(f"spatial-block CV ROC AUC {gap:.3f} is the honest skill estimate; random CV is "
               "shown only for comparison and is optimistic under spatial autocorrelation")
    out.append(f"valid only on the grid's CRS and resolution and for evidence built as in "
               f"the input schema ({len(cfg.features or []) or 'all'} cube variables)")
    return out


def _write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.{uuid.uuid4().hex[:8]}"
    tmp.write_text(json.dumps(jsonable(data), indent=1, allow_nan=False) + "\n")
    os.replace(tmp, path)


def jsonable(obj: Any) -> Any:
    """``obj`` as strict JSON: numpy values to Python, NaN and infinities to ``None``."""
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float):
        return obj if np.isfinite(obj) else None
    if obj is None or isinstance(obj, str | int | bool):
        return obj
    return str(obj)
