"""``prospect model``: list, show, score with, export and import registry models.

Every command works on a registry (``--registry``, default ``$PROSPECT_REGISTRY`` or
``~/.local/share/prospect/models``): a local directory or any fsspec URL laid out as
``<registry>/<name>/<version>/``. Models are loaded only after their checksums, file format
and types are verified (see :mod:`prospect.registry`).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import math
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from pipelines.commands._common import (
    SchedulerOpt,
    examples,
    json_text,
    literal,
    names_output,
    nothing_left_when_refused,
    out_path,
    shown,
    table_console,
    warning_lines,
    workers_at_most,
)
from prospect.errors import (
    ConfigError,
    DamagedFileError,
    InputFileError,
    ModelError,
    OutputWriteError,
    ProspectError,
)
from prospect.io.files import staged_file

__all__ = ["model_app", "register"]

model_app = typer.Typer(
    help="Reuse trained models: a versioned registry of safe (skops) models with cards.",
    no_args_is_help=True, epilog=examples("model"),
)

RegistryOpt = Annotated[
    str | None,
    typer.Option("--registry", "-r", help="Registry directory or fsspec URL "
                 "(default: $PROSPECT_REGISTRY or ~/.local/share/prospect/models)."),
]
VersionOpt = Annotated[
    str | None, typer.Option("--version", "-v", help="Model version (default: the latest).")
]
NewVersionOpt = Annotated[
    str | None, typer.Option("--version", "-v", help="Version label to publish under "
                             "(default: the next number after the latest numbered version).")
]
TrustOpt = Annotated[
    list[str] | None,
    typer.Option("--trust", help="Extra type to trust in the skops file (repeatable); only "
                 "for authors you trust."),
]
AllowVersionsOpt = Annotated[
    bool,
    typer.Option("--allow-version-mismatch", help="Use a model saved with another major "
                 "version of scikit-learn (refused otherwise; its results may be wrong)."),
]


def in_path(value: str) -> Path:
    """An input path from the command line with a leading ``~`` made the home folder.

    The shell leaves ``~`` alone inside quotes and after ``=`` (``--cube=~/runs/a/cube.zarr``,
    a script's ``"$HOME"``-less ``"~/models/li"``): ``model score`` and ``model export``
    said "no such cube" and ``model import`` "no such model directory" of a folder that is
    there, while ``-o`` and ``-r`` of the same commands, and every path of a config, take
    ``~`` as the home folder (:func:`prospect.config._base.home_expanded`).
    """
    from prospect.config._base import home_expanded
    from prospect.errors import ConfigError

    if not value.startswith("~"):
        return Path(value)
    try:
        return home_expanded(value)
    except ConfigError as exc:  # ~user of no user here
        raise typer.BadParameter(str(exc).replace("the config file's folder",
                                                  "the current folder")) from None


MAX_EXPORT_SAMPLES = 1_000_000
"""Most rows ``model export`` compares (about 70 MB of float32 for 17 features): a billion
stopped in ``MemoryError`` after minutes."""
EXPORT_SPREAD_CHUNKS = 16
"""Chunks of ``model export --cube`` read first, evenly spread over the cube's grid, for
the rows the export is checked on (:func:`_sample_inputs`)."""


def _registry(url: str | None) -> Any:
    """The registry ``--registry`` names, else ``$PROSPECT_REGISTRY``'s or the default one;
    an error writing there, or a registry that is a file, names the one the user set."""
    from pipelines.faults import name_output
    from prospect.registry import ModelRegistry
    from prospect.registry.store import REGISTRY_ENV, default_registry

    given_by = _given_by(url) or f"-r/--registry or ${REGISTRY_ENV}"
    location = url if url is not None else default_registry()
    if not location.strip():  # `-r "$REG"` with REG unset was the current folder
        raise ModelError(f"the registry location is empty ({given_by}); give the registry's "
                         "folder or URL, or '.' for the current folder")
    name_output(location, given_by)
    try:
        return ModelRegistry(url)
    except ModelError as exc:  # the registry is a file, or a URL fsspec cannot open
        raise ModelError(f"{exc} ({given_by})") from None


def _given_by(url: str | None) -> str | None:
    """The option or variable that chose the registry, or None for the default one."""
    from prospect.registry.store import REGISTRY_ENV

    return ("-r/--registry" if url is not None else f"${REGISTRY_ENV}"
            if os.environ.get(REGISTRY_ENV) else None)




@model_app.command("list")
def list_models(registry: RegistryOpt = None) -> None:
    """List the models in the registry with their versions."""
    from prospect.registry.card import estimator_label
    from prospect.registry.compat import check_versions

    reg = _registry(registry)
    names = reg.names()
    console = table_console()
    err = Console(stderr=True, highlight=False)
    for entry in reg.incomplete():  # a hand-copied version was skipped without a word
        err.print(Text(f"warning: {entry}: incomplete (no checksums.json: a copy or a "
                       "publish that did not finish), not listed and never loaded; remove "
                       "it and publish the model again"), soft_wrap=True)
    for line in reg.linked_versions():  # a version put there with `ln -s`: skipped unsaid
        err.print(Text(f"warning: {line}; not listed"), soft_wrap=True)
    for line in reg.copied_models():  # `cp -r model reg/cu`: skipped unsaid
        err.print(Text(f"warning: {line}; not listed"), soft_wrap=True)
    for line in reg.unversioned():  # `mkdir reg/zn`, files put into it: skipped unsaid
        err.print(Text(f"warning: {line}; not listed"), soft_wrap=True)
    for line in reg.misnamed():  # `reg/đất-hiếm/1`, `reg/li/phiên bản 2`: skipped unsaid
        err.print(Text(f"warning: {line}; not listed"), soft_wrap=True)
    if not names:  # a mistyped location is told from an empty registry
        other = reg.misplaced() if reg.exists() else None
        if other is not None:  # a model folder given as -r was "no models in ..."
            raise ModelError(f"{reg.url}: no models: {other}")
        console.print(Text(f"no models in {reg.url}" + (
            "" if reg.exists() else " (no registry folder there yet: nothing was "
            f"imported to it; check {_given_by(registry) or 'the location'} if one was)")))
        return
    table = Table(title=Text(f"Models in {reg.url}"))  # card text is shown as it is, never
    for col in ("name", "versions", "latest", "mineral", "estimator", "synthetic", "created"):
        table.add_column(col, overflow="fold")         # as Rich markup
    all_broken: list[str] = []
    mismatched: list[str] = []
    for name in names:
        versions = reg.versions(name)
        card, broken = None, []
        for version in reversed(versions):  # the newest readable version is shown
            try:
                card = reg.card(name, version)
                break
            except ProspectError as exc:  # one broken version never hides the others
                broken.append(version)
                err.print("warning: " + "; ".join(str(exc).splitlines()), markup=False,
                          soft_wrap=True)
        all_broken += [f"{name}/{v}" for v in reversed(broken)]
        listed = [f"{v} (broken)" if v in broken else v for v in versions]
        if card is None:
            table.add_row(*literal(name, ", ".join(listed), "-", "", "", "", ""))
            continue
        est = estimator_label(card)
        table.add_row(*literal(name, ", ".join(listed), version,
                               shown(str(card.get("mineral") or "")), shown(est),
                               "yes" if card.get("synthetic") else "no",
                               None if card.get("created") is None
                               else shown(str(card.get("created")))))
        note = check_versions(card, f"{name}/{version}", allow_version_mismatch=True)
        mismatched += [note] if note else []
    console.print(table)
    for note in mismatched:
        err.print(Text(f"warning: {shown(note)}"), soft_wrap=True)
    if all_broken:  # everything is listed, but a broken version is never a silent success
        raise ModelError(f"{reg.url}: broken model version(s) {', '.join(all_broken)} (see the "
                         "warnings above); the other versions are listed")


@model_app.command("show")
def show(
    name: Annotated[str, typer.Argument(help="Model name.")],
    version: VersionOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print card.json instead.")] = False,
    registry: RegistryOpt = None,
) -> None:
    """Print a model's card (Markdown, or JSON with --json), after verifying checksums."""
    reg = _registry(registry)
    version = reg.resolve(name, version)
    note = reg.version_warning(name, version)
    if as_json:
        card = reg.card(name, version)
        card["fingerprint"] = reg.fingerprint(name, version)
        card["version_warning"] = note
        typer.echo(shown(json_text(card, sort_keys=True), as_json=True))
    else:
        typer.echo(shown(reg.markdown(name, version)))
        typer.echo(f"Fingerprint (SHA-256 of checksums.json, pin it with --fingerprint): "
                   f"{reg.fingerprint(name, version)}")
        if note:
            typer.echo(f"Warning: {shown(note)}")


@model_app.command("score")
def score(
    name: Annotated[str, typer.Argument(help="Model name.")],
    cube: Annotated[Path, typer.Option("--cube", "-c", help="Cube (zarr) to score.",
                                       parser=in_path)],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output cube (zarr), created.",
                                      parser=out_path, callback=names_output)],
    version: VersionOpt = None,
    reproject: Annotated[bool, typer.Option(
        "--reproject", help="Reproject/resample the cube to the model's CRS and resolution "
        "instead of refusing a mismatch.")] = False,
    resampling: Annotated[str | None, typer.Option(
        help="GDAL resampling of continuous variables for --reproject (default: bilinear, "
        "or average when the model's cells are coarser; categorical: nearest/mode).")] = None,
    fingerprint: Annotated[str | None, typer.Option(
        help="Refuse any model but the one with this fingerprint (see 'model show').")] = None,
    cog: Annotated[Path | None, typer.Option(help="Also write a COG of the map here.",
                                             parser=out_path, callback=names_output)] = None,
    trust: TrustOpt = None,
    registry: RegistryOpt = None,
    scheduler: SchedulerOpt = None,
    workers: Annotated[int | None, typer.Option(
        "--workers", min=1, callback=workers_at_most,
        help="Score on a local dask cluster of this many processes (default: threads).")] = None,
    allow_version_mismatch: AllowVersionsOpt = False,
) -> None:
    """Score a cube with a registry model; the cube must match the model's input schema.

    Blocks are scored with dask: threads by default, --workers or --scheduler for a cluster.
    The output cube is written under a hidden name and renamed into place when complete.
    """
    from pipelines.faults import on_stop

    on_stop(f"{out} was not written; run the same command again")  # nothing to resume
    from pipelines.stages.score import input_dates
    from prospect.io.cube import cube_grid, is_synthetic, open_cube
    from prospect.models.metrics import percent
    from prospect.registry import align_to_schema, check_schema, score_model

    if scheduler or workers:  # the engine the blocks are scored on, before the model loads
        from pipelines.cluster import check_engine

        check_engine(scheduler=scheduler, workers=workers)
    _check_score_output(out, cube)
    if resampling is not None:
        _check_resampling(resampling, reproject=reproject)
    if cog is not None:
        _check_new_file(cog, "--cog", cube=cube, out=out)
        _refuse_other_format(cog, "--cog", "a Cloud-Optimized GeoTIFF (one file)",
                             (".tif", ".tiff", ".cog"),
                             f"name it {cog.with_suffix('.tif').name}")
        _check_cog_item(cog)
    console = Console(stderr=True, highlight=False)
    reg = _registry(registry)
    version = reg.resolve(name, version)
    with warning_lines(console):
        model = reg.load(name, version, trusted=trust, fingerprint=fingerprint,
                         allow_version_mismatch=allow_version_mismatch)
    _check_cube_path(cube, "-c/--cube")  # after the model's checks (a pin comes first)
    ds = open_cube(cube)
    if reproject:
        with warning_lines(console):
            _warn_fills_before_warp(ds, model.schema)
        ds = align_to_schema(ds, model.schema, resampling=resampling)
    check_schema(ds, model.schema)
    grid = cube_grid(ds)
    ds = ds.chunk({"y": grid.chunks[0], "x": grid.chunks[1]})
    synthetic = bool(model.card.get("synthetic")) or is_synthetic(ds.attrs)
    # the days the variables the model reads record, as the score stage's maps state them
    # (the provenance's ``dates``; the COG's ``provenance`` tag, which the tile server's
    # /stac/<layer>.json reads): a registry model's map of 2021's scenes recorded none
    days = input_dates(ds, [str(v.get("name")) for v in model.schema.get("variables") or []
                            if isinstance(v, dict)])
    dates = [d.isoformat() for d in days]
    provenance = {
        "model": name, "version": version, "registry": reg.url,
        "model_sha256": model.checksums.get("model.skops"), "fingerprint": model.fingerprint,
        "config_hash": model.card.get("config_hash"), "cube": str(cube),
        "reprojected": reproject, "synthetic": synthetic,
        **({"version_warning": model.version_warning} if model.version_warning else {}),
        **({"dates": dates} if dates else {}),
    }
    with warning_lines(console):  # evidence unlike the training evidence
        maps = score_model(model.estimator, model.schema, ds, provenance=provenance,
                           mineral=model.card.get("mineral") or None, synthetic=synthetic)
        _warn_not_compared(model.schema, ds)
    _name_calibrated_scale(maps, model)
    attrs = {"model": f"{name}/{version}",
             **({"model_warning": model.version_warning} if model.version_warning else {})}
    with contextlib.ExitStack() as refused:  # no folders made, no lock left
        refused.enter_context(nothing_left_when_refused(out.parent))
        if cog is not None and cog.parent.absolute() != out.parent.absolute():
            refused.enter_context(nothing_left_when_refused(cog.parent))
        share, zero = _write_scores(out, grid, maps, attrs, synthetic=synthetic,
                              scheduler=scheduler, workers=workers,
                              nothing_scored=lambda: _no_scored_cells(
                                  cube, ds, model.schema, model.estimator),
                              cog=cog, cog_tags=_cog_tags(maps, f"{name}/{version}",
                                                          mineral=model.card.get("mineral"),
                                                          synthetic=synthetic, dates=dates),
                              cog_item=None if cog is None else _cog_item(
                                  cog, grid, maps, model, f"{name}/{version}",
                                  synthetic=synthetic, days=days))
    if cog is not None:
        console.print(Text(f"wrote {cog} and its STAC item {_cog_item_path(cog)}"),
                      soft_wrap=True)
    console.print(Text(f"scored {cube} with {name}/{version} -> {out} "
                       f"({', '.join(str(v) for v in maps.data_vars)}; "
                       f"{percent(share)}% of the cells scored)"))
    if zero:  # score.md says it of the job's map; this command writes no score.md
        from pipelines.report import zero_share_words
        from prospect.models.uncertainty import zero_spread_meaning

        why = zero_spread_meaning(str(maps["uncertainty"].attrs.get("prospect_uncertainty")))
        console.print(Text(f"uncertainty: 0 on {zero_share_words(zero)} % of the cells with a "
                           f"value (uncertainty_zero_share): {why}"), soft_wrap=True)
    _say_coverage(console, model, ds, grid, share)


def _cog_tags(maps: Any, model: str, *, mineral: Any, synthetic: bool,
              dates: list[str] | None = None) -> dict[str, Any]:
    """The ``--cog`` GeoTIFF's tags: the model, ``synthetic`` and, as the job's score
    stage tags its COGs, what the map is (``prospect_kind``, ``mineral``,
    ``prospect_scale``, ``long_name``) and the days its inputs record (``provenance``
    ``{"dates": [...]}``, none without any: the tile server's item of the COG states
    their period, not the file's time).

    Only the model and ``synthetic`` were written: a partner reading the tags of a map
    from a model trained at one prevalence (1 positive per 10 background cells) found no
    word that it is a relative prospectivity, or a probability at the training base rate,
    not the chance of a deposit (the band's description alone said it).
    """
    attrs = maps["probability"].attrs
    tags: dict[str, Any] = {"model": model, "synthetic": synthetic,
                            "prospect_kind": "probability"}
    for key, tag in (("prospect_scale", "prospect_scale"), ("long_name", "long_name")):
        if attrs.get(key):
            tags[tag] = str(attrs[key])
    if mineral:
        tags["mineral"] = str(mineral)
    if dates:
        from prospect.provenance import provenance_attr

        tags["provenance"] = provenance_attr({"dates": list(dates)})
    return tags


def _cog_item_path(cog: Path) -> Path:
    """The STAC item ``model score`` writes beside its ``--cog`` (``map.tif``: ``map.json``),
    as the score stage writes ``score/probability.json`` beside ``probability.tif``."""
    return cog.with_suffix(".json")


def _check_cog_item(cog: Path) -> None:
    """Refuse a ``--cog`` whose STAC item (:func:`_cog_item_path`) would replace a file or
    folder there, before the model loads: it was not written at all, and is never
    written over."""
    item = _cog_item_path(cog)
    if item.exists() or item.is_symlink():
        raise InputFileError(
            f"{item}: already exists; --cog {cog.name} writes its STAC item there, beside "
            "the COG; give --cog another name (or remove the old file first)")


def _cog_item(cog: Path, grid: Any, maps: Any, model: Any, label: str, *,
              synthetic: bool, days: list[Any]) -> dict[str, Any]:
    """The STAC item of a ``--cog`` map, made as the score stage makes its maps' items
    (:func:`pipelines.stages.score.stac_item`): the grid's footprint and projection, the
    first and last day of the data the model reads as ``start_datetime`` and
    ``end_datetime`` (the run's time as ``datetime`` where none records a day), what the
    map is (mineral, scale) and which model made it (name/version, fingerprint, the card's
    config hash).

    ``model score --cog`` wrote the COG alone: a partner handed the map had no item to
    catalogue it by, where the job's score stage writes one beside each COG."""
    from pipelines.stages.score import stac_item

    attrs = dict(maps["probability"].attrs)
    mineral = model.card.get("mineral")
    props = {"prospect:model": label, "prospect:fingerprint": model.fingerprint,
             "prospect:model_config_hash": model.card.get("config_hash"),
             "prospect:synthetic": synthetic,
             **({"prospect:mineral": str(mineral)} if mineral else {}),
             **({"prospect:scale": str(attrs["prospect_scale"])}
                if attrs.get("prospect_scale") else {})}
    return stac_item(item_id=f"{label.replace('/', '-')}-{cog.stem}", cog=cog, grid=grid,
                     variable="probability", attrs={**attrs, "prospect_kind": "probability"},
                     properties=props, period=(days[0], days[-1]) if days else None)


def _warn_fills_before_warp(ds: Any, schema: dict[str, Any]) -> None:
    """Warn of the cells of ``ds`` holding a common fill far outside the model's training
    range (-9999 beside 0..1) that no one declared as the layer's nodata, which
    ``--reproject`` takes as no data before the warp
    (:func:`~prospect.registry.schema.align_to_schema`).

    Averaged or interpolated onto the model's grid, such a fill became values no fill
    check knows (-1874.6), scored as evidence far beyond any training cell: a probability
    of 0 or 1 there, "100.0% of the cells scored" and not a word. The map's counts are of
    the model's grid, where the fill no longer is; this says it of the cube given.
    """
    import warnings

    import dask

    from prospect.errors import DataWarning
    from prospect.registry.applicability import far_fill_counts

    (counts,) = dask.compute(far_fill_counts(ds, schema))
    for name, per in counts.items():
        held = {v: int(n) for v, n in per.items() if int(n)}
        if not held:
            continue
        said = ", ".join(f"{v:.10g}" + (f" ({n} cell(s))" if len(held) > 1 else "")
                         for v, n in held.items())
        warnings.warn(DataWarning(
            f"variable {name!r}: {sum(held.values())} cell(s) of the cube hold {said}, a "
            "common fill value far outside the model's training range, not declared as the "
            "layer's nodata: taken as no data before --reproject warps the cube to the "
            "model's grid, not averaged or interpolated into the cells around it; declare "
            f"it as the source's nodata (nodata: {next(iter(held)):.10g}) and ingest again"),
            stacklevel=2)


def _warn_not_compared(schema: dict[str, Any], ds: Any) -> None:
    """Warn of the layers whose evidence was not compared with the training evidence (a
    schema without training values: a model saved outside ``prospect train``), as the
    job's score stage does (:func:`pipelines.stages.score.not_compared_lines`)."""
    import warnings

    from pipelines.stages.score import not_compared_lines
    from prospect.errors import DataWarning

    for line in not_compared_lines(schema, ds):
        warnings.warn(DataWarning(line), stacklevel=2)


def _say_coverage(console: Console, model: Any, ds: Any, grid: Any, share: float) -> None:
    """Say how many cells the map left unscored and which layer lacks data there (and, for
    weights of evidence, the cells scored without a layer), as the job's score stage does
    (:func:`pipelines.stages.score.coverage`); only the share was said."""
    from pipelines.stages.score import coverage

    size = int(grid.shape[0]) * int(grid.shape[1])
    lines, _ = coverage(model.estimator, model.schema, ds, finite=round(share * size),
                        size=size)
    for line in lines:
        console.print(Text(line, style="yellow"))


def _name_calibrated_scale(maps: Any, model: Any) -> None:
    """Name a calibrated model's ``probability`` as the job's score stage does: the base
    rate it is calibrated to (positives per training row, set by the background drawn),
    which is not the chance that a cell holds a deposit (it was "probability (calibrated,
    isotonic, on spatial out-of-fold scores)" here, the base rate unsaid)."""
    from pipelines.stages.score import map_scale
    from prospect.models.uncertainty import CalibratedModel

    if not isinstance(model.estimator, CalibratedModel):
        return
    scale, name = map_scale(model.card, None)
    if scale != "calibrated probability":  # a card without its calibration: left as it is
        return
    mineral = model.card.get("mineral") or None
    maps["probability"].attrs.update(long_name=f"{mineral} {name}" if mineral else name,
                                     prospect_scale=scale)


def _no_scored_cells(cube: Path, ds: Any, schema: dict[str, Any],
                     estimator: Any) -> Exception:
    """The error for a map without a single scored cell, naming the model's variables
    that hold no data in ``cube`` (a cell is scored only where all of them are set; for
    a model that scores missing evidence, weights of evidence, where one of them is).

    A value that is not finite is no data, as the map takes it
    (:func:`~prospect.models.predict.predict_block`), and so is a common fill far outside
    the training range (:func:`~prospect.registry.applicability.mask_far_fills`): a layer
    of -9999 only was said to hold data. A layer of infinities only was said
    to hold data ("no cell has data in all of the model's variables at once"), and a
    random forest was told of weights of evidence's rule beside its own.
    """
    import numpy as np

    from prospect.errors import DataError
    from prospect.models.predict import scores_missing_evidence
    from prospect.registry import model_feature_spec
    from prospect.registry.applicability import mask_far_fills

    variables = list(model_feature_spec(schema, ds).variables)
    masked = mask_far_fills(ds, schema)  # as the map takes them (a layer of -9999 only)
    empty = [v for v in variables if not bool(np.isfinite(masked[v]).any())]
    filled = [v for v in empty if bool(np.isfinite(ds[v]).any())]
    any_layer = scores_missing_evidence(estimator)
    shown = ", ".join(variables[:20]) + (f" and {len(variables) - 20} more"
                                         if len(variables) > 20 else "")
    why = (f"variable(s) {', '.join(repr(v) for v in empty)} hold no data (no finite "
           "value" + (f"; {', '.join(repr(v) for v in filled)} only a common fill value "
                      "far outside the model's training range, not declared as its nodata: "
                      "declare it as the source's nodata" if filled else "") + ")"
           if empty else "no cell has data in all of the model's variables at once")
    needs = (f"a cell needs one of {shown} (the model scores missing evidence)"
             if any_layer else f"every cell needs all of {shown}")
    return DataError(f"{cube}: no cell could be scored: {why}; {needs}; rebuild the cube "
                     "with them (nothing was written)")


def _check_cube_path(cube: Path, option: str) -> None:
    """Name what a ``--cube`` that is no cube is: it was 'not a zarr v3 cube (no
    zarr.json); run prospect ingest' for a path that does not exist, a job's output
    folder (which holds the cube) and a variable inside a cube alike."""
    if not cube.exists():
        raise InputFileError(f"{cube}: no such cube ({option}); give the path of a cube "
                             "(a job's <out>/cube.zarr)")
    store = _inside_cube(cube)
    if store is not None:
        raise InputFileError(f"{cube}: a part of the cube {store} (a variable?), not a cube; "
                             f"give {option} the cube itself: {store}")
    if cube.is_dir() and (cube / "zarr.json").is_file():
        return
    inner = sorted(p for p in cube.glob("*.zarr") if (p / "zarr.json").is_file()) \
        if cube.is_dir() else []
    if inner:
        raise InputFileError(f"{cube}: a folder holding the cube(s) "
                             f"{', '.join(str(p) for p in inner[:5])}, not a cube; give "
                             f"{option} the cube")


def _check_resampling(resampling: str, *, reproject: bool) -> None:
    """Refuse a ``--resampling`` that would be ignored: unknown, or without --reproject
    (it was dropped without a word, or refused only where the grids differ)."""
    from rasterio.enums import Resampling

    if resampling not in Resampling.__members__:
        raise ModelError(f"--resampling {resampling!r}: unknown; use one of "
                         f"{', '.join(r.name for r in Resampling)}")
    if not reproject:
        raise ModelError(f"--resampling {resampling}: only --reproject resamples; add "
                         "--reproject, or leave --resampling out")


def _inside_cube(path: Path) -> Path | None:
    """The zarr store (a cube) that ``path`` would be written inside, if any."""
    for folder in path.absolute().parents:
        if any((folder / marker).exists() for marker in (".zgroup", "zarr.json", ".zattrs")):
            return folder
    return None


_FILE_NAMES: dict[str, str] = {"--cog": "probability.tif", "-o/--out": "model.onnx"}
"""A file name to suggest inside a folder given where a command writes a file."""


def _inside_model(path: Path) -> Path | None:
    """The model directory (a folder holding ``checksums.json`` and ``model.skops``: a
    registry's version, or a trained model) that ``path`` would be written inside."""
    from prospect.registry.checksums import CHECKSUMS_FILE
    from prospect.registry.files import MODEL_FILE

    for folder in path.absolute().parents:
        if (folder / CHECKSUMS_FILE).is_file() and (folder / MODEL_FILE).is_file():
            return folder
    return None


def _refuse_inside_model(path: Path, option: str) -> None:
    """Refuse an output written into a model directory.

    ``model export li -o <registry>/li/1/li.onnx`` (the ONNX kept beside the model) and
    ``model score -o <registry>/li/1/map.zarr`` were written into a published version,
    exit 0: a version the registry says never changes then held files its checksums do
    not cover, copied with it by every sync and import.
    """
    model = _inside_model(path)
    if model is not None:
        raise InputFileError(
            f"{path}: inside the model directory {model}; a model's folder holds only its "
            f"own files (a registry's versions never change), so give {option} a path "
            "outside it")


def _job_dir(path: Path) -> Path | None:
    """The job output directory (with its lock or manifest) that ``path`` is inside, if any."""
    from pipelines.lock import LOCK_FILE

    for folder in path.absolute().parents:
        if (folder / LOCK_FILE).is_file() or (folder / "manifest.json").is_file():
            return folder
    return None


FILE_FORMATS: dict[str, str] = {
    ".tif": "a GeoTIFF", ".tiff": "a GeoTIFF", ".cog": "a GeoTIFF", ".png": "a PNG image",
    ".jpg": "a JPEG image", ".jpeg": "a JPEG image", ".nc": "a NetCDF file",
    ".vrt": "a GDAL VRT", ".img": "an ERDAS Imagine file", ".asc": "an ASCII grid",
    ".json": "a JSON file", ".csv": "a CSV table", ".gpkg": "a GeoPackage",
    ".pmtiles": "a PMTiles archive", ".mbtiles": "an MBTiles archive", ".zarr": "a zarr cube",
    ".zip": "a zip archive", ".skops": "a skops model", ".pkl": "a pickle",
    ".joblib": "a joblib pickle", ".onnx": "an ONNX model",
}
"""File formats an output path's suffix names, as :func:`_refuse_other_format` says them."""


def _refuse_other_format(path: Path, option: str, writes: str, suffixes: tuple[str, ...],
                         hint: str) -> None:
    """Refuse an output path whose suffix names another format than the one ``option``
    writes: ``model score -o map.tif`` wrote a zarr folder named ``map.tif``, which GDAL
    and QGIS cannot open as the GeoTIFF its name promises (exit 0); ``--cog map.zarr`` a
    GeoTIFF file named as a cube; ``export -o li.skops`` an ONNX file named as a model
    that ``model import`` then calls a bare file.

    Parameters
    ----------
    path
        The output path given.
    option
        The option that named it (``-o/--out``).
    writes
        What the option writes, in words (``a zarr cube (a folder)``).
    suffixes
        The suffixes that name what it writes (``.zarr``); a path without a suffix, or with
        one :data:`FILE_FORMATS` does not know, is taken as it is.
    hint
        How to get what the suffix asks for, ending the message.
    """
    suffix = path.suffix.lower()
    if suffix in suffixes or suffix not in FILE_FORMATS:
        return
    raise ConfigError(f"{option} {path}: its suffix {path.suffix} names "
                      f"{FILE_FORMATS[suffix]}, but {option} writes {writes}; {hint}")


def _check_score_output(out: Path, cube: Path) -> None:
    """Refuse an output path that exists, or lies inside a cube (the input cube above all:
    a store inside a store is read as a broken variable of it, and a job's next run stumbles
    on it), or is named as another format than a cube (:func:`_refuse_other_format`)."""
    if out.exists():
        raise InputFileError(f"{out}: already exists; choose a new output path (-o/--out)")
    _refuse_inside_model(out, "-o/--out")
    store = _inside_cube(out)
    if store is not None:
        what = "the input cube" if store.resolve() == cube.resolve() else "the cube"
        raise InputFileError(f"{out}: inside {what} {store}; a cube cannot hold another, "
                             "give -o/--out a path outside it")
    if out.absolute() in cube.absolute().parents:
        raise InputFileError(f"{out}: holds the input cube {cube}; give -o/--out a new path")
    _refuse_other_format(
        out, "-o/--out", "a zarr cube (a folder)", (".zarr",),
        f"name it {out.with_suffix('.zarr').name}, and add --cog "
        f"{out.with_suffix('.tif').name} for a GeoTIFF of the map")


def _check_new_file(path: Path, option: str, *, cube: Path | None = None,
                    out: Path | None = None) -> None:
    """Refuse a file output (``--cog``, ``export --out``) that exists or lies in a cube:
    it was replaced without a word, whatever it was (an input raster of the job, the
    model file), and a file written inside a zarr store is litter in it."""
    if path.is_dir():  # before anything is written: `--cog` came after the cube, left
        # in place with exit 74 (the atomic writer's word), and a run again "already exists"
        name = _FILE_NAMES.get(option, "map.tif")
        model, store = _inside_model(path / name), _inside_cube(path / name)
        if model is not None or store is not None:  # a file in it is refused too: the
            # suggestion "such as <model>/probability.tif" was refused by the next run
            what = f"the model directory {model}" if model is not None else \
                f"the cube {store}"
            raise OutputWriteError(
                f"{path}: a folder is where a file is to be written ({option}), and a file "
                f"in it would lie inside {what}, which holds only its own files; give "
                f"{option} a file name outside it (such as {Path.cwd() / name})")
        raise OutputWriteError(
            f"{path}: a folder is where a file is to be written ({option}); give a file "
            f"name (such as {path / name}), or move the folder")
    _refuse_inside_model(path, option)
    if path.exists() or path.is_symlink():
        raise InputFileError(f"{path}: already exists; {option} writes a new file, choose "
                             "a new path (or remove the old file first)")
    if out is not None and (path.absolute() == out.absolute()
                            or out.absolute() in path.absolute().parents):
        where = "is" if path.absolute() == out.absolute() else "inside"
        raise InputFileError(f"{path}: {where} the output cube {out} (-o/--out); give "
                             f"{option} a path outside it")
    store = _inside_cube(path)
    if store is not None:
        what = "the input cube" if cube is not None and store.resolve() == \
            cube.resolve() else "the cube"
        raise InputFileError(f"{path}: inside {what} {store}; give {option} a path "
                             "outside it")


def _write_scores(out: Path, grid: Any, maps: Any, attrs: dict[str, Any], *, synthetic: bool,
                  scheduler: str | None, workers: int | None,
                  nothing_scored: Callable[[], Exception], cog: Path | None = None,
                  cog_tags: dict[str, Any] | None = None,
                  cog_item: dict[str, Any] | None = None) -> tuple[float, float | None]:
    """Write ``maps`` as the cube ``out``: built under a hidden name beside it and renamed
    into place when complete (a stop or an error leaves nothing at ``out``), holding the
    lock of the job output directory ``out`` lies in, as the job's stages do; and the
    probability map as the COG ``cog`` (``--cog``) and ``cog_item`` as its STAC item
    beside it (:func:`_cog_item_path`), holding the lock of the job output directory that
    lies in too.

    Both locks are taken before anything is written: the COG was written after the cube's
    lock was let go, and without the lock of the job directory it was written into, so a
    map was published into a directory another job held (over that job's own map).

    Returns the share of the grid's cells with a probability, and the share of the
    ``uncertainty`` map's valued cells that are 0 (``None`` without one: the score stage's
    ``uncertainty_zero_share``), both counted in one pass over the written cube; a map
    without a probability is not published (an all-NaN cube passed for a result):
    ``nothing_scored()`` is raised.
    """
    import xarray as xr

    from pipelines.faults import interruptible_main_thread
    from pipelines.lock import output_lock
    from pipelines.progress import compute
    from prospect.io.cube import add_variables, create_cube, open_cube, synthetic_attr
    from prospect.io.files import publish_dir, scratch_dir, write_json

    with contextlib.ExitStack() as stack:
        job_dirs = {d.resolve(): d for d in (_job_dir(out), cog and _job_dir(cog)) if d}
        if job_dirs:
            # the lock's heartbeat stops this thread where SIGINT is ignored too (a batch
            # script's 'prospect model score ... &'); the workers write only into scratch
            # here, the job's process publishes (the COG too), so they need no lock check
            stack.enter_context(interruptible_main_thread())
        for job_dir in job_dirs.values():
            stack.enter_context(output_lock(job_dir))
        if out.exists():  # made while the model loaded, or by the job that held the lock
            raise InputFileError(f"{out}: already exists; choose a new output path (-o/--out)")
        if cog is not None and (cog.is_file() or cog.is_symlink()):  # the same, for --cog
            raise InputFileError(f"{cog}: already exists; --cog writes a new file, choose a "
                                 "new path (or remove the old file first)")
        if cog is not None and cog_item is not None:  # and for its STAC item
            _check_cog_item(cog)
        staged = stack.enter_context(scratch_dir(out)) / out.name
        create_cube(staged, grid, attrs={**synthetic_attr(synthetic), **attrs})
        with contextlib.ExitStack() as cluster:
            if scheduler or workers:
                from pipelines.cluster import dask_client
                from pipelines.faults import children_spared

                with children_spared():  # Ctrl-\ to the group stops the command, not a worker
                    cluster.enter_context(dask_client(scheduler=scheduler, workers=workers))
            add_variables(staged, xr.Dataset(dict(maps.data_vars)), compute=lambda write: compute(
                write, None, f"score: {grid.n_chunks} block(s)"))
        scored, zero = _counts(open_cube(staged))
        if scored == 0:
            raise nothing_scored()
        publish_dir(staged, out, replace=False)
        if cog is not None:
            from prospect.io.raster import write_cog

            write_cog(open_cube(out)["probability"], cog, grid=grid, tags=cog_tags)
            if cog_item is not None:
                write_json(_cog_item_path(cog), cog_item)
    return scored / max(1, int(grid.shape[0]) * int(grid.shape[1])), zero


def _counts(ds: Any) -> tuple[int, float | None]:
    """The cells of ``ds``'s ``probability`` with a value, and the share of its
    ``uncertainty``'s valued cells that are 0 (below the score stage's
    :data:`~pipelines.stages.score.ZERO_SPREAD`; ``None`` without an uncertainty map or a
    valued cell of it), computed together (one read of each map)."""
    import dask

    from pipelines.stages.score import ZERO_SPREAD, _share

    parts = [ds["probability"].notnull().sum().data]
    spread = ds.get("uncertainty")
    if spread is not None:
        parts += [spread.notnull().sum().data, (spread < ZERO_SPREAD).sum().data]
    counts = [int(c) for c in dask.compute(*parts)]
    if len(counts) < 3 or counts[1] == 0:
        return counts[0], None
    return counts[0], _share(counts[2], counts[1])


def _n_features(model: Any) -> int:
    return len(model.schema.get("feature_names") or model.feature_order)


def _sample_inputs(model: Any, cube: Path | None, n: int, seed: int, *,
                   reproject: bool = False, resampling: str | None = None) -> Any:
    """Rows to compare the export on: cells of ``cube`` the map scores, or noise.

    The cube's cells are taken as ``prospect model score`` takes them: the model's feature
    stack (:func:`prospect.registry.scoring.model_feature_spec`) with a common fill far
    outside a layer's training range as no data
    (:func:`prospect.registry.applicability.mask_far_fills`), so no row the map leaves
    unscored is compared. They are drawn from cells spread over the whole cube: up to
    :data:`EXPORT_SPREAD_CHUNKS` chunks evenly spread over the grid (every chunk of a
    small cube), each giving up to ``4 * n / chunks`` of its cells with every feature on
    a stride, then the other chunks in turn until ``n`` such cells are found or the
    cube ends: a region's first rows may all lie outside its outline (the sea around an
    island), and a check on its top edge alone (as before round 51) never met the
    values found only elsewhere (a code the model never saw, in the south). One chunk
    is in memory at a time, besides the rows kept. With ``reproject`` the cube is first
    warped to the model's CRS and resolution (:func:`prospect.registry.align_to_schema`),
    as ``model score --reproject`` warps it, with its ``resampling`` (``--resampling``;
    ``None``: the default).

    Raises
    ------
    ModelError
        No cell of the cube has every feature (after the fill mask).
    SchemaMismatchError
        The cube does not match the model's input schema.
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    if cube is None:
        from prospect.registry.onnx_export import check_rows

        names = list(model.schema.get("feature_names") or model.feature_order)
        spec = model.schema.get("feature_spec") or {}
        categorical = [names.index(c) for c in spec.get("categorical", []) if c in names]
        return check_rows(model.estimator, len(names), categorical, n, seed=seed)
    from prospect.features import build_stack
    from prospect.io.cube import open_cube
    from prospect.registry import check_schema
    from prospect.registry.applicability import mask_far_fills
    from prospect.registry.scoring import model_feature_spec

    ds = open_cube(cube)
    if reproject:  # as 'model score --reproject' warps it (the fix check_schema names)
        from prospect.registry import align_to_schema

        with warning_lines(Console(stderr=True)):
            _warn_fills_before_warp(ds, model.schema)
        ds = align_to_schema(ds, model.schema, resampling=resampling)
    check_schema(ds, model.schema)
    stack = build_stack(mask_far_fills(ds, model.schema), model_feature_spec(model.schema, ds))
    ny, nx = int(ds.sizes["y"]), int(ds.sizes["x"])
    y_edges = np.cumsum((0, *stack.data.chunks[1])).tolist()
    x_edges = np.cumsum((0, *stack.data.chunks[2])).tolist()
    chunks = [(slice(y0, y1), slice(x0, x1)) for y0, y1 in itertools.pairwise(y_edges)
              for x0, x1 in itertools.pairwise(x_edges)]
    # chunks spread over the grid first (every chunk of a small cube), then the others
    pick = np.unique(np.linspace(0, len(chunks) - 1, min(EXPORT_SPREAD_CHUNKS, len(chunks)))
                     .round().astype(int)).tolist()
    spread = len(pick)
    windows = [chunks[i] for i in pick] + [w for i, w in enumerate(chunks) if i not in pick]
    per = -(-n * 4 // spread)  # rows kept of each chunk: its valid cells on a stride
    found: list[Any] = []
    kept = 0
    for k, (ys, xs) in enumerate(windows):
        if kept >= n and k >= spread:
            break
        block = np.asarray(stack.data[:, ys, xs].compute())
        X = block.reshape(block.shape[0], -1).T.astype("float32")
        X = X[np.all(np.isfinite(X), axis=1)]
        X = X[::max(1, -(-len(X) // per))]
        found.append(X)
        kept += len(X)
    X = np.concatenate(found)
    if len(X) == 0:
        raise ModelError(
            f"{cube}: no cell with all features present to check the export (of "
            f"{ny * nx} cells, none has a value in every one of the model's layers, a "
            "common fill far outside a layer's training range taken as no data, as the "
            "map takes it); give a cube that holds data, or leave out --cube to check on "
            "random inputs")
    return X[rng.choice(len(X), size=min(n, len(X)), replace=False)]


@model_app.command("export")
def export(
    name: Annotated[str, typer.Argument(help="Model name.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output file (.onnx).",
                                      parser=out_path, callback=names_output)],
    version: VersionOpt = None,
    fmt: Annotated[str, typer.Option("--format", help="Export format.")] = "onnx",
    cube: Annotated[Path | None, typer.Option(
        "--cube", help="Cube whose cells check the export (default: random inputs; "
        "categorical features take the codes the model was fitted on).",
        parser=in_path)] = None,
    samples: Annotated[int, typer.Option(min=1, max=MAX_EXPORT_SAMPLES,
                                         help="Rows compared.")] = 2000,
    reproject: Annotated[bool, typer.Option(
        "--reproject", help="Reproject/resample the --cube to the model's CRS and "
        "resolution (as 'model score --reproject') instead of refusing a mismatch.")] = False,
    resampling: Annotated[str | None, typer.Option(
        help="GDAL resampling of continuous variables for --reproject, as 'model score "
        "--resampling' (default: bilinear, or average when the model's cells are coarser; "
        "categorical: nearest/mode).")] = None,
    atol: Annotated[float, typer.Option(help="Largest allowed difference.")] = 1e-4,
    trust: TrustOpt = None,
    registry: RegistryOpt = None,
    allow_version_mismatch: AllowVersionsOpt = False,
) -> None:
    """Export a model to ONNX and check onnxruntime agrees with scikit-learn."""
    from prospect.io.cube import attr_text
    from prospect.registry import export_onnx, onnx_agreement

    if fmt != "onnx":
        raise ModelError(f"unknown export format {fmt!r}; supported: onnx")
    if not math.isfinite(atol) or atol < 0:
        raise ModelError(f"--atol {atol}: the largest allowed difference must be a finite "
                         "number >= 0 (e.g. 1e-4)")
    _check_new_file(out, "-o/--out", cube=cube)  # an existing file is said as one first
    _refuse_other_format(out, "-o/--out", "an ONNX model (one file)", (".onnx",),
                         f"name it {out.with_suffix('.onnx').name}")
    if cube is not None:
        _check_cube_path(cube, "--cube")
    elif reproject:
        raise ModelError("--reproject warps the cube whose cells check the export, and no "
                         "--cube was given; give --cube CUBE, or leave out --reproject")
    if resampling is not None:  # as 'model score' takes it: with --reproject only
        _check_resampling(resampling, reproject=reproject)
    reg = _registry(registry)
    version = reg.resolve(name, version)
    with warning_lines(Console(stderr=True)):
        model = reg.load(name, version, trusted=trust,
                         allow_version_mismatch=allow_version_mismatch)
    order = model.schema.get("feature_names") or model.feature_order
    meta = {
        "prospect_model": f"{name}/{version}",
        "feature_order": json.dumps(order),
        "config_hash": str(model.card.get("config_hash")),
        "synthetic": attr_text(bool(model.card.get("synthetic"))),
    }
    X = _sample_inputs(model, cube, samples, seed=0, reproject=reproject,
                       resampling=resampling)
    out.parent.mkdir(parents=True, exist_ok=True)
    with staged_file(out) as staged:  # published only once onnxruntime agrees
        export_onnx(model.estimator, staged, n_features=_n_features(model), metadata=meta)
        diff = onnx_agreement(model.estimator, staged, X, atol=atol, label=out,
                              feature_order=order)
    Console(stderr=True).print(Text(
        f"exported {name}/{version} -> {out}; onnxruntime vs scikit-learn max |diff| = "
        f"{diff:.3g} on {len(X)} rows (tolerance {atol:g})"
    ))


@model_app.command("import")
def import_model(
    source: Annotated[str, typer.Argument(
        help="Model directory, or a job's output directory holding model/ (local path or "
        "fsspec URL of a model directory).")],
    name: Annotated[str, typer.Option("--name", "-n", help="Model name in the registry.")],
    version: NewVersionOpt = None,
    trust: TrustOpt = None,
    registry: RegistryOpt = None,
) -> None:
    """Verify a model directory and add it to the registry as a new, immutable version."""
    from prospect.errors import SecurityError
    from prospect.registry.names import check_name, check_new_version

    try:
        check_name(name)
        if version is not None:
            check_new_version(version)
    except SecurityError:  # refused: its ASCII form, clear of what the registry holds
        check_name(name, taken=_taken(registry))
        check_new_version(version, taken=_taken(registry, name))
        raise
    reg = _registry(registry)
    console = Console(stderr=True)
    try:
        with warning_lines(console):
            new = _publish(reg, source, name, version, trust)
    finally:  # said even when the publish then failed: the sweep is done either way
        _said_swept(console, reg)
    fingerprint = reg.fingerprint(name, new)
    console.print(Text(f"imported {source} as {name}/{new} in {reg.url}; "
                       f"fingerprint {fingerprint}"), soft_wrap=True)
    latest = reg.latest(name)
    if latest != new:  # --version 1.0 beside 1.1: kept, but not what score takes
        console.print(Text(
            f"note: {name}/{new} sorts before {name}/{latest}, the latest version, so "
            f"'prospect model score {name}' and 'model show {name}' without --version keep "
            f"taking {latest}; give --version {new} to use this one, or import it again "
            f"under a label that sorts after {latest!r} to make it the latest"),
            soft_wrap=True)
    same = _same_model(reg, name, new, fingerprint)
    if same:  # imported twice: two versions of one model, said nowhere
        console.print(Text(f"note: {name}/{new} is the same model as "
                           f"{', '.join(f'{name}/{v}' for v in same)} (the same "
                           f"fingerprint); {'both' if len(same) == 1 else 'all'} are kept, "
                           "and 'prospect model list' shows each"), soft_wrap=True)


def _taken(registry: str | None, name: str | None = None) -> list[str]:
    """The registry's entries a new model name (or ``name``'s new version label) must not
    be (``ModelRegistry.taken``); ``[]`` where the registry cannot be read."""
    from prospect.errors import ProspectError

    try:
        return list(_registry(registry).taken(name))
    except (ProspectError, OSError, ValueError):
        return []


def _same_model(reg: Any, name: str, version: str, fingerprint: str) -> list[str]:
    """The other versions of ``name`` whose fingerprint is ``fingerprint`` (read from
    their ``checksums.json`` alone; one that cannot be read is not the same)."""
    import hashlib

    from prospect.registry.checksums import CHECKSUMS_FILE

    same = []
    for other in reg.versions(name):
        if other == version:
            continue
        try:
            data = reg.fs.cat_file(f"{reg.location(name, other)}/{CHECKSUMS_FILE}")
        except (OSError, ValueError):
            continue
        if hashlib.sha256(data).hexdigest() == fingerprint:
            same.append(other)
    return same


def _said_swept(console: Console, reg: Any) -> None:
    """Say which leftover staging folders of killed imports the publish removed (it did
    so without a word)."""
    swept = list(getattr(reg, "swept", None) or [])
    if swept:
        shown = ", ".join(swept[:10]) + (f" and {len(swept) - 10} more" if len(swept) > 10
                                         else "")
        console.print(Text(f"removed {len(swept)} leftover staging folder(s) of imports "
                           f"killed mid-copy from {reg.url}: {shown}"), soft_wrap=True)


def _publish(reg: Any, source: str, name: str, version: str | None,
             trust: list[str] | None) -> str:
    """Publish the model directory ``source`` (a path, URL or job output) as ``name``."""
    if "://" in source and not source.startswith("file://"):
        with tempfile.TemporaryDirectory(prefix="prospect-import-") as tmp:
            _download_model_dir(source, Path(tmp))
            with _said_as(tmp, source.rstrip("/")):
                return str(reg.publish(Path(tmp), name, version=version, trusted=trust))
    local = in_path(source.removeprefix("file://"))
    if local.is_dir() and not (local / "checksums.json").exists() and (
        local / "model" / "checksums.json"
    ).is_file():
        local = local / "model"  # a job's output directory: take its trained model
    return str(reg.publish(local, name, version=version, trusted=trust))


@contextlib.contextmanager
def _said_as(tmp: str, url: str) -> Any:
    """Name ``url`` where the errors and warnings of the block name ``tmp``, the
    temporary folder a remote model was downloaded to: "/tmp/prospect-import-x1y2:
    checksum verification failed" named a folder removed before the user read it."""
    import warnings

    from prospect.errors import DataWarning
    from prospect.recorded import recording

    def said(text: str) -> str:
        return text.replace(tmp, url)

    caught: list[warnings.WarningMessage] = []
    try:
        with recording(DataWarning, others=True) as recorded:
            warnings.simplefilter("always")
            try:
                yield
            finally:
                caught = list(recorded)
    except ProspectError as exc:
        exc.args = tuple(said(a) if isinstance(a, str) else a for a in exc.args)
        if isinstance(exc, DamagedFileError):
            exc.path = said(exc.path)
        raise
    finally:  # said again, outside the recording, as the block's caller records them
        for w in caught:
            message = w.message if isinstance(w.message, Warning) else Warning(w.message)
            message.args = tuple(said(a) if isinstance(a, str) else a for a in message.args)
            warnings.warn_explicit(message, w.category, w.filename, w.lineno)


def _model_folder_at(fs: Any, root: str) -> str:
    """``root``, or its ``model`` folder when ``root`` is a job's output folder (no
    ``checksums.json`` of its own, one in ``model/``), as a local import takes it: the
    same folder given by URL was "no model.skops; not a Prospect model directory"."""
    try:
        if fs.exists(f"{root}/checksums.json") or \
                not fs.exists(f"{root}/model/checksums.json"):
            return root
    except Exception:  # the reads below say what is wrong with the location
        return root
    return f"{root}/model"


def _download_model_dir(url: str, dest: Path) -> None:
    import fsspec

    from prospect.registry import MODEL_FILES

    try:
        fs, root = fsspec.core.url_to_fs(url)
    except (ValueError, ImportError) as exc:  # an unknown protocol, a missing backend
        raise InputFileError(f"{url}: cannot open this location: "
                             f"{(str(exc).splitlines() or [''])[0][:200]}; give a model "
                             "folder or a URL fsspec can open") from None
    base = _model_folder_at(fs, str(root).rstrip("/"))
    missing: list[str] = []
    for fname in (*MODEL_FILES, "checksums.json"):
        path = f"{base}/{fname}"
        try:
            data = fs.cat_file(path)
        except FileNotFoundError:
            missing.append(fname)
            continue
        except OSError as exc:  # a server that does not answer was "no model.skops"
            raise InputFileError(f"{url}: cannot read {fname}: {type(exc).__name__}: "
                                 f"{(str(exc).splitlines() or [''])[0][:200]}; check the "
                                 "address and that the server is up") from None
        (dest / fname).write_bytes(data)
    _refuse_missing(url, missing)


def _refuse_missing(url: str, missing: list[str]) -> None:
    """Refuse a remote model folder lacking the files ``missing``: one holding some of
    the model's files is one uploaded in part (it was "no card.md; not a Prospect model
    directory", as if it were another kind of folder)."""
    from prospect.registry import MODEL_FILES

    if not missing:
        return
    there = [f for f in (*MODEL_FILES, "checksums.json") if f not in missing]
    if not there:
        raise InputFileError(f"{url}: no {missing[0]}; not a Prospect model directory (nor "
                             "a job's output folder holding one in model/)")
    raise InputFileError(
        f"{url}: no {', '.join(missing)}, though {', '.join(there)} "
        f"{'is' if len(there) == 1 else 'are'} there: a model folder uploaded or copied in "
        "part; copy the whole folder there again (checksums.json last) and import it again")


def register(app: typer.Typer) -> None:
    """Add the ``model`` command group to ``app`` (once, however often it is called)."""
    if any(group.name == "model" for group in app.registered_groups):
        return
    app.add_typer(model_app, name="model")
