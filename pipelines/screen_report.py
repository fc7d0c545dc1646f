"""The screen stage's report: variograms, leave-one-out errors, maps and economics (Markdown)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

from prospect.grid import crs_units
from prospect.io.files import staged_dir
from prospect.screening import MASS_FRACTION_UNITS, is_mass_fraction

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.colors import ListedColormap

__all__ = ["one_variance_surface", "write_screen_report"]

DUTCH_FINDING = (
    "The Dutch feasibility study for EBN (Witteveen+Bos, 2023, \"Feasibility of lithium "
    "recovery from geothermal brines in the Netherlands\") found lithium extraction from the "
    "water of the operating Dutch geothermal installations economically challenging, "
    "because the concentrations found so far are low: the upstream process alone costs "
    "about the market price."
)


def _save(fig: Any, path: Path) -> str:
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path.name


def _fmt(v: Any, digits: int = 3) -> str:
    if isinstance(v, float):
        return f"{v:.{digits}g}"
    return "n/a" if v is None else str(v)


ECONOMICS_MAPS = ("lce_t_per_year", "lce_screening_class")
"""The cube variables the economics figure shows."""


def report_maps(surfaces: list[str], economics: bool) -> list[str]:
    """The cube variables the report reads (each once, for a figure): every checked kriged
    surface and its variance, and the economics maps."""
    return [n for v in surfaces for n in (v, f"{v}_variance")] + (
        list(ECONOMICS_MAPS) if economics else [])


def report_view(da: Any, max_side: int = 600) -> Any:
    """The cells of ``da`` a report figure shows: every ``step``-th, at most about
    ``max_side`` a side (lazy; ``prospect plan`` counts its tasks)."""
    step = max(1, max(da.shape) // max_side)
    return da[::step, ::step]


def _map(cube: Path, name: str) -> Any:
    from prospect.io.cube import open_cube

    return report_view(open_cube(cube)[name]).values


def _is_pure_nugget(s: dict[str, Any]) -> bool:
    """Whether a checked surface's fitted variogram is flat over the lags it was fitted at
    (pure nugget, or a range under the first lag): its kriging variance is then one number
    in every cell.

    Parameters
    ----------
    s : dict
        One entry of the screen facts' ``surfaces`` (its ``curves``).

    Returns
    -------
    bool
        ``False`` where the curves were not recorded.
    """
    from prospect.geostats import PURE_NUGGET_SHARE

    c = s.get("curves") or {}
    h, fitted, lags = c.get("h") or [], c.get("fitted") or [], c.get("lags") or []
    if not fitted or not lags:
        return False
    seen = [f for x, f in zip(h, fitted, strict=False) if x >= min(lags)] or list(fitted)
    top = max(seen)
    return not (top <= 0 or (top - min(seen)) > PURE_NUGGET_SHARE * top)


def _pure_nugget_lines(s: dict[str, Any]) -> list[str]:
    """A paragraph when the fitted variogram is flat over the lags it was fitted at (pure
    nugget, or a range under the first lag): the surface is then the equal-weight mean of
    the neighbours and its kriging variance one number everywhere, which the tables above
    do not say (Great Basin lithium: partial sill 9e-19, the variance 1024 in every cell)."""
    if not _is_pure_nugget(s):
        return []
    return [f"**Pure nugget**: the fitted variogram of {s['column']} is flat over the lags "
            "it was fitted at (no spatial structure at the points' spacing), so the "
            f"surface is the equal-weight mean of the {s['neighbours']} nearest points and "
            f"`{s['variable']}_variance` is one number everywhere: it is no map of where "
            "the estimate is better known. Krige a log of the column, try another "
            "`variogram:`, or use `interpolate: [idw]`.", ""]


def _few_places_lines(s: dict[str, Any]) -> list[str]:
    """A paragraph when the variogram was fitted to fewer places than
    :data:`~prospect.ingest.surfaces.MIN_VARIOGRAM_PLACES`: its curve, the kriging
    variance and the leave-one-out verdict above then rest on a handful of pairs, which the
    tables did not say (four wells: a fitted range and sill, MSDR and "kriging predicts
    better than IDW" stated as for a hundred)."""
    from prospect.ingest.surfaces import MIN_VARIOGRAM_PLACES

    places = int(s.get("points") or 0)
    if not places:
        return []
    if places >= MIN_VARIOGRAM_PLACES:
        return _grouped_lines(s)
    return [f"**Too few points for a variogram**: the variogram of {s['column']} was "
            f"fitted to only {places} places ({places * (places - 1) // 2} pairs; at least "
            f"{MIN_VARIOGRAM_PLACES} places are needed to estimate one), so its curve, "
            f"`{s['variable']}_variance` and the comparison with IDW above rest on a "
            "guessed spatial model: read the variance as no measure of the uncertainty. "
            "Use `interpolate: [idw]` for so few points, or krige a table of more.", ""]


def _distance(d: float) -> str:
    """A distance as the ingest warning shows it: whole units from 100 up, else 3 digits."""
    return f"{d:.0f}" if d >= 100 else f"{d:.3g}"


def _grouped_lines(s: dict[str, Any]) -> list[str]:
    """A paragraph when the variogram's places lie in groups far apart (its pairs leave a
    distance class empty: :func:`~prospect.ingest.surfaces.grouped_places`), which only the
    ingest warning said: the report of three well fields 20 to 30 km apart showed the
    variogram, its MSDR and "kriging predicts better than IDW" as for wells spread over
    the region, the curve between the fields the fit's guess."""
    g = s.get("grouped")
    if not g:
        return []
    lags = s.get("lag_units", "CRS units")
    shown = ", ".join(f"{int(n)} at about {_distance(float(d))}" for d, n in g["filled"])
    filled = len(g["filled"])
    exact = (f", no more than its {g['parameters']} parameters, so the curve passes through "
             "them whatever the data" if filled <= g["parameters"] else "")
    return [f"**Points in groups far apart**: the variogram of {s['column']} was fitted to "
            f"{g['places']} places whose {g['pairs']} pairs fill only {filled} of its "
            f"{g['classes']} distance classes ({shown}, in {lags}; no pair between "
            f"{_distance(float(g['gap'][0]))} and {_distance(float(g['gap'][1]))}){exact}, "
            "so its curve at the distances between the groups (where it levels off: its "
            f"range) is guessed, and so are `{s['variable']}` and "
            f"`{s['variable']}_variance` between and around the groups: read the variance "
            "there as no measure of the uncertainty, and the comparison with IDW above as "
            "one of points within the groups. Krige each group as a source of its own (a "
            "table and a region around it), or use `interpolate: [idw]`.", ""]


def _surface_plots(out: Path, s: dict[str, Any], cube: Path) -> dict[str, str]:
    files = {}
    c = s["curves"]
    fig, ax = plt.subplots(figsize=(5.5, 4))
    ax.plot(c["lags"], c["semivariance"], "o", color="#1b6ca8", label="experimental")
    ax.plot(c["h"], c["fitted"], "-", color="#d1495b", label=f"fitted {s['variogram']}")
    pars = ", ".join(f"{n} {v:.3g}" for n, v in zip(s["parameter_names"], s["parameters"],
                                                     strict=False))
    lags = s.get("lag_units", "CRS units")
    ax.set(title=f"Variogram of {s['column']} ({pars}; range in {lags})",
           xlabel=f"lag distance ({lags})",
           ylabel=f"semivariance ({s['units']})²" if s["units"] else "semivariance")
    ax.title.set_fontsize(9)
    ax.legend(fontsize=8)
    files["variogram"] = _save(fig, out / f"{s['variable']}_variogram.png")

    loo = s["loo"]
    fig, ax = plt.subplots(figsize=(4.8, 4.5))
    ax.plot(loo["observed"], loo["idw"], ".", color="#999999", label="IDW")
    ax.plot(loo["observed"], loo["kriging"], ".", color="#1b6ca8", label="kriging")
    lo, hi = min(loo["observed"]), max(loo["observed"])
    ax.plot([lo, hi], [lo, hi], "k:", lw=0.8)
    ax.set(title="Leave-one-out predictions", xlabel=f"observed {s['column']}",
           ylabel="predicted from the other points")
    ax.legend(fontsize=8)
    files["loo"] = _save(fig, out / f"{s['variable']}_loo.png")

    fig, axes = plt.subplots(1, 2, figsize=(10, 4.5))
    for ax, name, cmap, label in (
            (axes[0], s["variable"], "inferno", f"{s['column']} ({s['units']})"),
            (axes[1], f"{s['variable']}_variance", "viridis", "kriging variance")):
        im = ax.imshow(_map(cube, name), cmap=cmap, interpolation="nearest")
        fig.colorbar(im, ax=ax, shrink=0.8, label=label)
        ax.set(title=name, xticks=[], yticks=[])
    files["maps"] = _save(fig, out / f"{s['variable']}_maps.png")
    return files


def _economics_plot(out: Path, e: dict[str, Any], cube: Path) -> str:
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.5))
    im = axes[0].imshow(_map(cube, ECONOMICS_MAPS[0]), cmap="magma", interpolation="nearest")
    fig.colorbar(im, ax=axes[0], shrink=0.8, label="t LCE / yr per doublet")
    axes[0].set(title="LCE per doublet", xticks=[], yticks=[])
    cls = _map(cube, ECONOMICS_MAPS[1]).astype("f8")
    cls[cls == 255] = float("nan")
    cmap = ListedColormap(["#bdbdbd", "#fdae61", "#1a9641"])
    im = axes[1].imshow(cls, cmap=cmap, vmin=-0.5, vmax=2.5, interpolation="nearest")
    bar = fig.colorbar(im, ax=axes[1], shrink=0.8, ticks=[0, 1, 2])
    bar.ax.set_yticklabels(["too low", "uncertain", "above"])
    axes[1].set(title=f"Cut-off {e['cutoff_t_lce_per_year']:g} t LCE/yr "
                      f"({_level(e)}, one-sided)", xticks=[], yticks=[])
    return _save(fig, out / "economics.png")


def _in(units: str | None) -> str:
    """A column's units in brackets after its name (`` (mW/m2)``), nothing without units:
    the leave-one-out table gave them to the RMSE alone, so a reviewer read its MAE and
    mean error (5.98, 0.858 mg/kg) as numbers of no unit."""
    return f" ({units})" if units else ""


def _pct(v: float | None) -> str:
    return "n/a" if v is None else f"{100 * v:.1f} %"


def _flat_variance_lines(e: dict[str, Any], surfaces: list[dict[str, Any]]) -> list[str]:
    """A paragraph when the economics' variance is a pure-nugget kriging's: one number in
    every cell, so the classes' bounds are as wide beside a site as hundreds of kilometres
    from every site. The Great Basin screening called 99.5 % of its cells "not economic"
    "even at the upper 95 % bound", half of them over 50 km and a tenth over 200 km from
    any analysed water, each as surely as a site's own cell.

    Parameters
    ----------
    e : dict
        The screen facts' ``economics`` (``concentration``, ``variance``).
    surfaces : list of dict
        The screen facts' ``surfaces``.

    Returns
    -------
    list of str
        The paragraph and a blank line, or nothing where the variance is structured.
    """
    s = one_variance_surface(e, surfaces)
    if s is None:
        return []
    return [f"**One variance everywhere**: `{e['variance']}` is one number in every cell "
            f"(the variogram of {s['column']} is pure nugget, above), so the {_level(e)} "
            "bounds and the classes are as wide in a cell far from every point as in a "
            "point's own cell: they class the estimate, not how well it is known there. "
            "Read *too low* and *above* as the estimate's class, and look at the points' "
            "spacing (the maps above) before calling a cell uneconomic.", ""]


def one_variance_surface(e: dict[str, Any],
                         surfaces: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The checked surface whose pure-nugget kriging variance (one number in every cell)
    the economics' bounds rest on, which the report (:func:`_flat_variance_lines`) and the
    screen stage's console line both say.

    Parameters
    ----------
    e : dict
        The screen facts' ``economics`` (``concentration``, ``variance``).
    surfaces : list of dict
        The screen facts' ``surfaces``.

    Returns
    -------
    dict or None
        That surface's facts, or ``None`` where the variance is structured (or no
        checked surface's).
    """
    s = next((s for s in surfaces if s.get("variable") == e.get("concentration")
              and e.get("variance") == f"{s.get('variable')}_variance"), None)
    return s if s is not None and _is_pure_nugget(s) else None


def _level(e: dict[str, Any]) -> str:
    """The one-sided confidence of the classes, e.g. '95 %' (z 1.645) or '99.9 %' (3.09)."""
    from prospect.screening import confidence_text

    return str(e.get("confidence_text") or confidence_text(float(e["confidence_z"])))


def _flow_source(e: dict[str, Any]) -> str:
    """Where the flow rate comes from: the job's own figure (said as given, in L/s where
    so), or the default's source (the default's figure written in the job too). Another
    flow set in the job was said to be the Den Haag Zuidwest doublet's tested
    production."""
    from prospect.config.economics import EconomicsConfig

    default = EconomicsConfig.model_fields["flow_m3_per_h"].default
    if "flow_m3_per_h" not in e.get("given", ()) or (
            e["flow_m3_per_h"] == default and e.get("flow_l_per_s") is None
            and e.get("flow_m3_per_day") is None):
        return ("default: production tested at the Den Haag Zuidwest geothermal doublet "
                "(2010); set per project")
    if e.get("flow_l_per_s") is not None:
        return f"set in the job as {e['flow_l_per_s']:g} L/s (x 3.6)"
    if e.get("flow_m3_per_day") is not None:
        return f"set in the job as {e['flow_m3_per_day']:g} m3/day (/ 24)"
    return "set in the job"


def _cutoff_concentration(e: dict[str, Any]) -> str:
    """The cut-off as a concentration: mg/L, and in the surface's units when they differ."""
    mg = f"{e['cutoff_mg_per_l']:.3g} mg/L"
    units = e.get("concentration_units", "mg/L")
    if units == "mg/L" or "cutoff_in_units" not in e:
        return mg
    if is_mass_fraction(units) and e.get("density_surface_kg_per_l"):
        low, high = e["density_surface_kg_per_l"]  # cutoff_in_units: at 1 kg/L
        return (f"{mg} = {e['cutoff_in_units'] / high:.3g} to "
                f"{e['cutoff_in_units'] / low:.3g} {units} at the cells' densities "
                f"({low:.3g} to {high:.3g} kg/L, {e['density_surface']!r})")
    if is_mass_fraction(units):
        return (f"{mg} = {e['cutoff_in_units']:.3g} {units} at density "
                f"{e['density_kg_per_l']:g} kg/L")
    return f"{mg} = {e['cutoff_in_units']:.3g} {units}"


def _conversion(e: dict[str, Any]) -> str:
    """How the surface's values became mg/L."""
    units = e.get("concentration_units", "mg/L")
    if units == "mg/L":
        return "lithium in mg/L, used as is"
    if is_mass_fraction(units):  # ppm and mg/kg are mg/kg; ppb x 0.001, wt% x 10000
        per_kg = MASS_FRACTION_UNITS[units][1]
        scaled = f" x {per_kg:g}" if per_kg != 1 else ""
        if e.get("density_surface_kg_per_l"):
            low, high = e["density_surface_kg_per_l"]
            return (f"lithium in {units}; mg/L = {units}{scaled} x each cell's density from "
                    f"{e['density_surface']!r} (in {e['density_surface_units']}, "
                    f"{e['density_surface_reading']}), {low:.3g} to {high:.3g} kg/L")
        return (f"lithium in {units}; mg/L = {units}{scaled} x density "
                f"{e['density_kg_per_l']:g} kg/L")
    return f"lithium in {units}; mg/L = {units} x {e['mg_per_l_per_unit']:g}"


def write_screen_report(directory: Path, facts: dict[str, Any], *, cube: Path) -> Path:
    """Write ``report.md`` and its PNGs to ``directory`` (staged, then renamed into place)."""
    directory = Path(directory)
    with staged_dir(directory) as staging:
        _write_screen_report(staging, facts, cube)
    return directory / "report.md"


def _loo_words(surface: dict[str, Any]) -> str:
    """What the leave-one-out check predicts each point from: its ``neighbours`` nearest
    others, as the surface's moving window does (:func:`prospect.geostats.loo_kriging`);
    the report said "from all the others" whatever ``neighbours`` was (round 51)."""
    points, neighbours = surface.get("points"), surface.get("neighbours")
    if not isinstance(points, int) or not isinstance(neighbours, int) \
            or neighbours >= points - 1:
        return "Each point predicted from all the others (variogram kept as fitted to all)."
    return (f"Each point predicted from its {neighbours} nearest others of the "
            f"{points - 1}, as the surface takes its {neighbours} nearest points per "
            "estimate (variogram kept as fitted to all).")


def _name(method: str) -> str:
    return "kriging" if method == "Kriging" else method


def _loo_verdict(surface: dict[str, Any]) -> str:
    """Which method predicts the left-out points better, by RMSE as the screen stage
    decides (``kriging_beats_idw``), said as a split where the MAE says the other: the
    Great Basin Li's kriging (34.7 against 35.1 mg/kg RMSE, 5.98 against 5.07 MAE) was
    "predicts the left-out points better than IDW" without a word of the MAE beside it."""
    k, i = surface["kriging"], surface["idw"]
    beats = bool(surface["kriging_beats_idw"])
    mae_k, mae_i = k.get("mae"), i.get("mae")
    split = isinstance(mae_k, (int, float)) and isinstance(mae_i, (int, float)) \
        and (mae_k > mae_i if beats else mae_k < mae_i)
    if not split:
        return ("Kriging predicts the left-out points better than IDW." if beats else
                "Kriging does **not** predict the left-out points better than IDW here.")
    units = f" {surface['units']}" if surface.get("units") else ""
    rmse, mae = ("Kriging", "IDW") if beats else ("IDW", "Kriging")
    low_rmse, high_rmse = sorted((k["rmse"], i["rmse"]))
    low_mae, high_mae = sorted((mae_k, mae_i))
    return (f"{rmse} has the lower RMSE ({_fmt(low_rmse)} against {_fmt(high_rmse)}{units}) "
            f"and {mae} the lower MAE ({_fmt(low_mae)} against {_fmt(high_mae)}): "
            f"{_name(rmse)} errs less on the few points far off, {_name(mae)} on the "
            "typical point, so "
            "neither predicts the left-out points better on both; judge the two by both.")


def _write_screen_report(staging: Path, facts: dict[str, Any], cube: Path) -> None:
    region = facts.get("region", {})
    lines = [f"# Surfaces and screening: {facts.get('job')}", ""]
    if facts.get("synthetic"):
        lines += ["> **SYNTHETIC DATA**: figures about synthetic inputs only.", ""]
    lines += [f"Region {region.get('name')} ({region.get('crs')}, {region.get('resolution')} "
              f"{crs_units(region.get('crs'))} per cell, {region.get('shape')} cells).", ""]
    for s in facts.get("surfaces", []):
        files = _surface_plots(staging, s, cube)
        k, i = s["kriging"], s["idw"]
        verdict = _loo_verdict(s)
        lines += [
            f"## `{s['variable']}`: ordinary kriging of {s['column']} ({s['source']})", "",
            f"{s['points']} points"
            + (f" ({s['coincident_points_averaged']} coincident points averaged into others)"
               if s["coincident_points_averaged"] else "")
            + f"; {s['variogram']} variogram fitted by pykrige (lags and range in "
            f"{s.get('lag_units', 'CRS units')}); {s['neighbours']} nearest "
            f"points per estimate. Second layer: `{s['variable']}_variance` (kriging "
            "variance).", "",
            f"![variogram]({files['variogram']})", "",
            "### Leave-one-out cross-validation", "",
            _loo_words(s)
            + (f" The {s['below_limit_left_out']} point(s) below a detection limit (read as "
               "half the limit) are predicted from, but left out of the errors: their "
               "value is a substitute, not a measurement."
               if s.get("below_limit_left_out") else ""), "",
            f"| method | RMSE ({s['units']}) | MAE{_in(s['units'])} | mean error"
            f"{_in(s['units'])} | MSDR | within 2 sd |",
            "|---|---|---|---|---|---|",
            f"| ordinary kriging | {_fmt(k['rmse'])} | {_fmt(k['mae'])} | "
            f"{_fmt(k['mean_error'])} | {_fmt(k.get('msdr'))} | "
            f"{_pct(k.get('share_within_2sd'))} |",
            f"| IDW (power {s['idw_power']:g}) | {_fmt(i['rmse'])} | {_fmt(i['mae'])} | "
            f"{_fmt(i['mean_error'])} | | |", "",
            f"{verdict} MSDR is the mean squared standardised error; near 1 means the "
            "kriging variance matches the errors, above 1 that it understates them.", "",
            *(_few_places_lines(s) or _pure_nugget_lines(s)),
            f"![leave-one-out]({files['loo']})", "", f"![maps]({files['maps']})", "",
        ]
    e = facts.get("economics")
    if e:
        png = _economics_plot(staging, e, cube)
        flat = bool(_flat_variance_lines(e, facts.get("surfaces", [])))
        lines += [
            "## Economic screening: brine lithium per geothermal doublet", "",
            f"From `{e['concentration']}` ({_conversion(e)}) and its kriging variance "
            f"`{e['variance']}`:",
            "", "    LCE (t/yr) = 5.323 x C (mg/L) x Q (m3/h) x hours x recovery x 1e-6", "",
            "| parameter | value | source |", "|---|---|---|",
            f"| flow rate Q | {e['flow_m3_per_h']:g} m3/h | {_flow_source(e)} |",
            f"| operating hours | {e['hours_per_year']:g} h/yr | assumption |",
            f"| recovery | {e['recovery']:g} | assumption for direct lithium extraction |",
            f"| cut-off | {e['cutoff_t_lce_per_year']:g} t LCE/yr per doublet = "
            f"{_cutoff_concentration(e)} | assumption; set per study"
            + (f" (given as {e['cutoff_t_li_per_year']:g} t Li/yr x 5.323)"
               if e.get("cutoff_t_li_per_year") is not None else "") + " |",
            f"| 1 mg/L gives | {e['t_lce_per_year_per_mg_per_l']:.3g} t LCE/yr | |", "",
            "The kriging standard deviation carries through linearly; a cell is *too low* "
            f"when LCE + {e['confidence_z']:g} sd is under the cut-off, *above* when "
            f"LCE - {e['confidence_z']:g} sd is over it, *uncertain* otherwise (one-sided "
            f"{_level(e)}).", "",
            "| of the region's cells with data | share |", "|---|---|",
            f"| cells | {e['cells']} |",
            f"| estimate at or above the cut-off | {_pct(e['share_mean_above_cutoff'])} |",
            f"| above at {_level(e)} | {_pct(e['share_above'])} |",
            f"| uncertain | {_pct(e['share_uncertain'])} |",
            f"| too low for economic extraction at {_level(e)} | {_pct(e['share_too_low'])} |",
            f"| highest estimate | {_fmt(e['max_lce_t_per_year'])} t LCE/yr |", "",
            *_flat_variance_lines(e, facts.get("surfaces", [])),
            f"**Where concentrations are too low:** {_pct(e['share_too_low'])} of the cells "
            f"cannot reach {e['cutoff_t_lce_per_year']:g} t LCE/yr per doublet "
            f"({_cutoff_concentration(e)}) even at the upper {_level(e)} bound"
            + (" of that one variance: extraction there is not economic if the estimate "
               "holds, which its variance cannot say (grey on the map). "
               if flat else ": extraction there is not economic under these assumptions "
               "(grey on the map). ")
            + DUTCH_FINDING, "",
            f"![economic screening]({png})", "",
            "Layers in the cube: " + ", ".join(f"`{v}`" for v in e["variables"]) + ".", "",
        ]
    ch = facts.get("changes")
    if ch:
        lines += ["## Change between dates", "", "| variable | what | cells | mean | 5 % | 95 % |",
                  "|---|---|---|---|---|---|"]
        for name, c in ch["summary"].items():
            lines.append(f"| `{name}` | {c['long_name']} | {c['cells']} | {_fmt(c['mean'])} | "
                         f"{_fmt(c['p05'])} | {_fmt(c['p95'])} |")
        lines.append("")
        for name, c in ch["summary"].items():  # dates whose scenes barely overlap
            if c.get("either_cells"):
                lines += [f"`{name}` holds data in {c['cells']} of the {c['either_cells']} "
                          f"cells where either date does ({100 * c['overlap_share']:.0f} %): "
                          "its figures describe that part alone (the dates' scenes barely "
                          "overlap).", ""]
            elif c.get("region_cells"):  # both dates cover one part of the region
                inside = " inside the mask outline" if c.get("masked") else ""
                lines += [f"`{name}` holds data in {c['cells']} of the region's "
                          f"{c['region_cells']} cells{inside} "
                          f"({100 * c['region_share']:.0f} %): its figures describe that "
                          "part alone (neither date's scenes cover the rest).", ""]
    (staging / "report.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
