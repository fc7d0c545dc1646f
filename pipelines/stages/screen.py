"""Screen stage: check the kriged surfaces, then derive the economic screening layers.

For every points source interpolated by kriging, the fitted variogram is plotted and each
point is predicted from the others (leave-one-out) by ordinary kriging and by IDW; the
report compares their RMSE. With ``economics:`` in the job, the lithium concentration
surface becomes t LCE/yr per doublet with its uncertainty, a probability of reaching the
cut-off and a too-low / uncertain / above class, written into the cube (resumable, like
ingest) and summarised as shares of the region's (land) cells.
Writes ``out/screen/report.md`` with its plots.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from pipelines.context import RunContext, StageResult
from prospect.config.sources import PointSource
from prospect.economics import merge_counts, screening_counts, shares
from prospect.geostats import loo_idw, loo_kriging, variogram_curves
from prospect.ingest import ingest_layer
from prospect.ingest.surfaces import KrigingLayer, grouped_places, plan_points
from prospect.screening import (
    ECONOMIC_OUTPUTS,
    EconomicLayer,
    confidence_level,
    confidence_text,
    plan_economics,
    read_window,
)

__all__ = ["change_reads", "has_work", "run"]


def kriging_sources(job: Any) -> list[PointSource]:
    """The job's points sources that make kriged surfaces."""
    return [s for s in job.sources
            if isinstance(s, PointSource) and "kriging" in s.interpolate]


def checked_surfaces(job: Any, grid: Any) -> list[tuple[PointSource, KrigingLayer]]:
    """Each kriged surface the stage checks (not the variance layers), with its source."""
    return [(source, layer) for source in kriging_sources(job)
            for layer in plan_points(source, grid)
            if isinstance(layer, KrigingLayer) and not layer.variance]


def has_work(job: Any) -> bool:
    """True when a job has kriged surfaces to check, economics or changes between dates."""
    if job.timeseries is not None and job.timeseries.difference:
        return True
    return job.economics is not None or any(
        isinstance(s, PointSource) and "kriging" in s.interpolate for s in job.sources)


def lag_units(layer: KrigingLayer, grid: Any = None) -> str:
    """The unit of a kriged surface's lags and variogram range: metres on the ground where
    the model was fitted in its :func:`~prospect.ingest.surfaces.ground_frame` (a region
    in degrees or in Web Mercator), else the region's CRS unit (``m``, ``ftUS``), or
    ``CRS units`` where no grid is given.

    A region in degrees has its variogram fitted in metres on the ground since round 31;
    the report's variogram still said "lag distance (CRS units)", read as degrees.
    """
    from prospect.ingest.layers import distance_units

    if layer.ground is not None:
        return "m on the ground"
    return distance_units(grid) if grid is not None else "CRS units"


def _same_place(layer: KrigingLayer, grid: Any) -> float:
    """:data:`~prospect.ingest.surfaces.SAME_PLACE_M` in the units of the kriged model's
    points: metres on the ground, or the region's CRS unit (feet: 3.28 of them)."""
    from prospect.ingest.surfaces import SAME_PLACE_M

    if layer.ground is not None or grid is None or grid.crs_obj.is_geographic:
        return SAME_PLACE_M
    try:
        factor = float(grid.crs_obj.axis_info[0].unit_conversion_factor or 1.0)
    except (IndexError, AttributeError):
        factor = 1.0
    return SAME_PLACE_M / factor


def check_surface(source: PointSource, layer: KrigingLayer,
                  grid: Any = None) -> dict[str, Any]:
    """Variogram curves and leave-one-out errors (kriging and IDW) of one kriged surface
    (its lags and range in :func:`lag_units`); the points whose value is half a detection
    limit (:attr:`~prospect.ingest.surfaces.KrigingLayer.halved`) are predicted from and
    plotted, their errors left out of the summaries (``below_limit_left_out``)."""
    model = layer.model
    xy = np.column_stack([model.X_ORIG, model.Y_ORIG]).astype("f8")
    z = np.asarray(model.Z, dtype="f8")
    params = [float(p) for p in layer.settings["variogram_parameters"]]
    # each point predicted without the records at its place (one site written twice with
    # its coordinates rounded otherwise predicted itself, and the errors were too good)
    same_place = _same_place(layer, grid)
    kriging = loo_kriging(xy, z, variogram=source.variogram, parameters=params,
                          neighbours=source.neighbours, same_place=same_place)
    idw = loo_idw(xy, z, power=source.idw_power, neighbours=source.neighbours,
                  same_place=same_place)
    # a value below a detection limit (read as half the limit) is a neighbour of the
    # others, but its error is the prediction's distance from a substitute, not from the
    # ground: it is left out of the errors (the check of a table with many '<5' scored the
    # surface by how near it came to 2.5 there)
    halved = np.asarray(layer.halved, bool) if len(layer.halved) == len(z) else None
    ks, ids = kriging.summary(halved), idw.summary(halved)
    return {
        "variable": layer.name, "source": source.name, "column": layer.settings["column"],
        "units": layer.units, "points": len(z), "variogram": source.variogram,
        "parameters": params, "parameter_names": list(_PARAM_NAMES.get(source.variogram, ())),
        "lag_units": lag_units(layer, grid),
        "coincident_points_averaged": layer.settings.get("coincident_points_averaged", 0),
        "below_limit_left_out": int(halved.sum()) if halved is not None else 0,
        "curves": variogram_curves(model), "grouped": grouped_places(model),
        "kriging": ks, "idw": ids,
        "idw_power": source.idw_power, "neighbours": source.neighbours,
        "kriging_beats_idw": ks["rmse"] < ids["rmse"],
        "loo": {"observed": z.tolist(), "kriging": kriging.predicted.tolist(),
                "idw": idw.predicted.tolist()},
    }


_PAGE = ("psill", "range", "nugget")
_PARAM_NAMES = {"spherical": _PAGE, "exponential": _PAGE, "gaussian": _PAGE,
                "linear": ("slope", "nugget"), "power": ("scale", "exponent", "nugget")}


def _economics(ctx: RunContext, layers: list[EconomicLayer],
               surfaces: Sequence[dict[str, Any]] = ()) -> dict[str, Any]:
    """Write the planned economics ``layers`` and summarise them for the report
    (``surfaces``: the checks of the kriged surfaces, which hold their points' values)."""
    cfg = ctx.job.economics
    assert cfg is not None
    grid = ctx.grid
    for layer in layers:
        ingest_layer(ctx.cube_path, layer, grid)
    parts = []
    negative = []
    for window in grid.chunk_windows():
        mean = read_window(ctx.cube_path, ECONOMIC_OUTPUTS["lce"], window)
        sd = read_window(ctx.cube_path, ECONOMIC_OUTPUTS["sd"], window)
        parts.append(screening_counts(mean, sd, cfg.cutoff_t_lce_per_year,
                                      z=cfg.confidence_z))
        concentration = read_window(ctx.cube_path, cfg.concentration, window)
        negative.append(concentration[np.isfinite(mean) & (concentration < 0)])
    settings = layers[0].settings
    _warn_negative(np.concatenate(negative), cfg.concentration,
                   settings["concentration_units"], surfaces)
    factor = settings["t_lce_per_year_per_mg_per_l"]
    cutoff_mg_per_l = cfg.cutoff_t_lce_per_year / factor
    return {**cfg.model_dump(), "variance": cfg.variance_variable,
            "given": sorted(cfg.model_fields_set),
            "t_lce_per_year_per_mg_per_l": factor,
            "concentration_units": settings["concentration_units"],
            "mg_per_l_per_unit": settings["mg_per_l_per_unit"],
            "cutoff_mg_per_l": cutoff_mg_per_l,
            "cutoff_in_units": cutoff_mg_per_l / settings["mg_per_l_per_unit"],
            **{k: settings[k] for k in ("density_surface_units", "density_surface_reading",
                                        "density_surface_kg_per_l") if k in settings},
            "confidence": confidence_level(cfg.confidence_z),
            "confidence_text": confidence_text(cfg.confidence_z),
            "variables": [la.name for la in layers], **shares(merge_counts(parts))}


def _warn_negative(values: np.ndarray, name: str, units: str,
                   surfaces: Sequence[dict[str, Any]]) -> None:
    """Warn of a concentration surface kriged from negative values, or with cells below 0
    (``values``), which every economics layer takes as 0 t LCE/yr: a negative concentration
    is no measurement. Negative points are mostly values below the detection limit written
    as ``-0.5`` for ``<0.5`` (a common laboratory convention): the warning counts them and
    names the fix. Both were silent, and the shares counted such cells as estimates."""
    import warnings

    from prospect.errors import DataWarning

    points = next((np.asarray(s["loo"]["observed"], dtype="f8") for s in surfaces
                   if s["variable"] == name), np.empty(0))
    below = points[points < 0]
    if not below.size and not values.size:
        return
    cells = (f"{values.size} cell(s) are below 0 (down to {float(values.min()):.4g} {units}) "
             "and count as 0 t LCE/yr" if values.size else "no cell is below 0")
    if below.size:
        text = (f"economics: {below.size} of the {points.size} points of {name!r} are "
                f"negative (lowest {below.min():g} {units}), and the surface averages them "
                f"as concentrations ({cells}): values below the detection limit written as "
                "negatives ('-0.5' for '<0.5')? give them as missing, or as a value such as "
                "half the limit, and ingest again")
    else:
        text = (f"economics: {cells} of {name!r}: the surface dips below 0 between its points "
                "(kriging overshoots near low values)")
    warnings.warn(DataWarning(text), stacklevel=2)


def _warn_no_change(name: str, da: Any) -> None:
    """Warn of a change layer with no cell: a date whose variable holds no data (a scene
    of cloud, a band ingested outside its footprint) made every cell NaN, and the report
    gave its mean and percentiles as "n/a" without a word."""
    import warnings

    from prospect.errors import DataWarning
    from prospect.io.cube import read_provenance

    prov = read_provenance(da.attrs.get("provenance"))
    warnings.warn(DataWarning(
        f"timeseries.difference: {name!r} has no cell with data on both "
        f"{prov.get('from', 'the first')} and {prov.get('to', 'the last')} date (every cell "
        f"is NaN): one date's {prov.get('variable', 'variable')} holds no data there; check "
        "that date's scene (cloud, footprint, nodata) in timeseries.dates"), stacklevel=2)


def change_reads(cube: Any, names: list[str]) -> list[Any]:
    """The lazy reads of the stored change layers ``names`` (``<variable>_change``) whose
    summary the report gives, then the count of each one's variable's cells with a value on
    its first or last date (:func:`prospect.timeseries.date_cover`), then, under a mask,
    the region's cells inside its outline (:func:`prospect.timeseries.region_cells`),
    computed with them (``prospect plan`` counts their tasks)."""
    from prospect.timeseries import date_cover, region_cells

    inside = region_cells(cube)
    return [cube[name].data for name in names] + [
        date_cover(cube[name.removesuffix("_change")]) for name in names] + (
        [inside] if inside is not None else [])


def _changes(ctx: RunContext) -> dict[str, Any]:
    """``<name>_change`` (last minus first date) of each ``timeseries.difference`` variable."""
    from prospect.errors import DataError
    from prospect.ingest.mask import LAND_VARIABLE
    from prospect.io.cube import add_variables, open_cube, read_provenance
    from prospect.timeseries import change, check_overlap, date_sensors

    assert ctx.job.timeseries is not None
    cube = open_cube(ctx.cube_path)
    missing = [n for n in ctx.job.timeseries.difference if n not in cube.data_vars]
    if missing:
        raise DataError(f"timeseries.difference: no variable {missing} in the cube; name "
                        "indices (or stacked bands) with a time axis")
    out = {str(c.name): c for c in (change(cube[n], sensors=date_sensors(cube, n))
                                     for n in ctx.job.timeseries.difference)}
    import dask
    import xarray as xr

    add_variables(ctx.cube_path, xr.Dataset(out), overwrite=True)
    # the summary describes the stored bytes, read back in one computation (the lazy
    # changes would read both dates of every index again)
    stored = open_cube(ctx.cube_path)
    # and the cells of each date (a change of few cells where both dates hold many)
    computed_all = dask.compute(*change_reads(stored, list(out)))
    values, counts = computed_all[:len(out)], computed_all[len(out):2 * len(out)]
    # and the region's cells (a change of two dates that cover one corner of it)
    masked = LAND_VARIABLE in stored.data_vars
    region = int(computed_all[-1]) if masked else stored.sizes["y"] * stored.sizes["x"]
    summary = {}
    for (name, da), computed, either in zip(out.items(), values, counts, strict=True):
        v = np.asarray(computed, dtype="f8")
        ok = np.isfinite(v)
        if not ok.any():
            _warn_no_change(name, da)
        prov = read_provenance(da.attrs.get("provenance"))
        thin = check_overlap(name, int(ok.sum()), int(either), t0=str(prov.get("from")),
                             t1=str(prov.get("to")), region=region, masked=masked)
        summary[name] = {"cells": int(ok.sum()), "mean": float(v[ok].mean()) if ok.any() else None,
                         "p05": float(np.percentile(v[ok], 5)) if ok.any() else None,
                         "p95": float(np.percentile(v[ok], 95)) if ok.any() else None,
                         "long_name": da.attrs["long_name"]}
        if thin is not None:  # said under the report's table (good inputs' bytes kept)
            summary[name] |= thin | ({"masked": True} if masked and "region_cells" in thin
                                     else {})
    return {"variables": list(out), "summary": summary}


def run(ctx: RunContext) -> StageResult:
    """Check every kriged surface, derive the economics layers, write the report."""
    from pipelines.screen_report import one_variance_surface, write_screen_report

    result = StageResult(name="screen")
    # refuse a wrong economics config before any computing
    planned = (plan_economics(ctx.job.economics, ctx.cube_path, ctx.grid)
               if ctx.job.economics is not None else [])
    facts: dict[str, Any] = {"job": ctx.job.name, "synthetic": ctx.job.synthetic,
                             "region": ctx.grid.describe(), "surfaces": []}
    for source, layer in checked_surfaces(ctx.job, ctx.grid):
        check = check_surface(source, layer, ctx.grid)
        facts["surfaces"].append(check)
        key = check["variable"]
        result.metrics[f"{key}_loo_rmse_kriging"] = check["kriging"]["rmse"]
        result.metrics[f"{key}_loo_rmse_idw"] = check["idw"]["rmse"]
        result.metrics[f"{key}_msdr"] = check["kriging"].get("msdr")
    if ctx.job.economics is not None:
        econ = facts["economics"] = _economics(ctx, planned, facts["surfaces"])
        result.metrics.update({
            "economics_cells": econ["cells"],
            "economics_share_mean_above_cutoff": econ["share_mean_above_cutoff"],
            "economics_share_above": econ["share_above"],
            "economics_share_too_low": econ["share_too_low"],
            "economics_max_lce_t_per_year": econ["max_lce_t_per_year"],
        })
        for name in econ["variables"]:
            result.outputs[name] = str(ctx.cube_path / name)
            result.variables.append(name)
    if ctx.job.timeseries is not None and ctx.job.timeseries.difference:
        facts["changes"] = _changes(ctx)
        for name in facts["changes"]["variables"]:
            result.outputs[name] = str(ctx.cube_path / name)
            result.variables.append(name)
    report = write_screen_report(ctx.out_dir / "screen", facts, cube=ctx.cube_path)
    result.outputs["report"] = str(report)
    for s in facts["surfaces"]:
        result.notes.append(
            f"{s['variable']}: leave-one-out RMSE kriging {s['kriging']['rmse']:.3g} vs IDW "
            f"{s['idw']['rmse']:.3g} {s['units']} over {s['kriging']['n']} points"
            + (f" ({s['below_limit_left_out']} below a detection limit, read as half the "
               "limit, left out of the errors)" if s.get("below_limit_left_out") else ""))
    if "economics" in facts:
        e = facts["economics"]
        result.notes.append(
            f"economics: {_pct(e['share_mean_above_cutoff'])} of {e['cells']} cells reach "
            f"{e['cutoff_t_lce_per_year']:g} t LCE/yr per doublet; "
            f"{_pct(e['share_too_low'])} too low at {e['confidence_text']} (one-sided)"
            + (f" of one variance in every cell ({e['variance']}, a pure nugget's): the "
               "estimate's class, not how well it is known there"
               if one_variance_surface(e, facts["surfaces"]) is not None else ""))
    result.notes.append(f"report: {report}")
    return result


def _pct(v: float | None) -> str:
    return "n/a" if v is None else f"{100 * v:.1f} %"
