"""``prospect model``: list, show, score with, export and import registry models.

Every command works on a registry (``--registry``, default ``$PROSPECT_REGISTRY`` or
``~/.local/share/prospect/models``): a local directory or any fsspec URL laid out as
``<registry>/<name>/<version>/``. Models are loaded only after their checksums, file format
and types are verified (see :mod:`prospect.registry`).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from pipelines.commands._common import SchedulerOpt, names_output, out_path
from prospect.errors import InputFileError, ModelError, ProspectError
from prospect.io.files import staged_file

__all__ = ["model_app", "register"]

model_app = typer.Typer(
    help="Reuse trained models: a versioned registry of safe (skops) models with cards.",
    no_args_is_help=True,
)

RegistryOpt = Annotated[
    str | None,
    typer.Option("--registry", "-r", help="Registry directory or fsspec URL "
                 "(default: $PROSPECT_REGISTRY or ~/.local/share/prospect/models)."),
]
VersionOpt = Annotated[
    str | None, typer.Option("--version", "-v", help="Model version (default: the latest).")
]
TrustOpt = Annotated[
    list[str] | None,
    typer.Option("--trust", help="Extra type to trust in the skops file (repeatable); only "
                 "for authors you trust."),
]


def _registry(url: str | None) -> Any:
    """The registry ``--registry`` names, else ``$PROSPECT_REGISTRY``'s or the default one;
    an error writing there, or a registry that is a file, names the one the user set."""
    from pipelines.faults import name_output
    from prospect.registry import ModelRegistry
    from prospect.registry.store import REGISTRY_ENV, default_registry

    given_by = ("-r/--registry" if url is not None else f"${REGISTRY_ENV}"
                if os.environ.get(REGISTRY_ENV) else f"-r/--registry or ${REGISTRY_ENV}")
    name_output(url if url is not None else default_registry(), given_by)
    try:
        return ModelRegistry(url)
    except ModelError as exc:  # the registry is a file
        raise ModelError(f"{exc} ({given_by})") from None


@model_app.command("list")
def list_models(registry: RegistryOpt = None) -> None:
    """List the models in the registry with their versions."""
    from prospect.registry.card import estimator_label

    reg = _registry(registry)
    names = reg.names()
    console = Console()
    if not names:
        console.print(f"no models in {reg.url}")
        return
    table = Table(title=f"Models in {reg.url}")
    for col in ("name", "versions", "latest", "mineral", "estimator", "synthetic", "created"):
        table.add_column(col)
    err = Console(stderr=True, highlight=False)
    all_broken: list[str] = []
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
        shown = [f"{v} (broken)" if v in broken else v for v in versions]
        if card is None:
            table.add_row(name, ", ".join(shown), "-", "", "", "", "")
            continue
        est = estimator_label(card)
        table.add_row(name, ", ".join(shown), version, str(card.get("mineral") or ""),
                      est, "yes" if card.get("synthetic") else "no", str(card.get("created")))
    console.print(table)
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
    if as_json:
        card = reg.card(name, version)
        card["fingerprint"] = reg.fingerprint(name, version)
        typer.echo(json.dumps(card, indent=2, sort_keys=True))
    else:
        typer.echo(reg.markdown(name, version))
        typer.echo(f"Fingerprint (SHA-256 of checksums.json, pin it with --fingerprint): "
                   f"{reg.fingerprint(name, version)}")


@model_app.command("score")
def score(
    name: Annotated[str, typer.Argument(help="Model name.")],
    cube: Annotated[Path, typer.Option("--cube", "-c", help="Cube (zarr) to score.")],
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
        "--workers", min=1,
        help="Score on a local dask cluster of this many processes (default: threads).")] = None,
) -> None:
    """Score a cube with a registry model; the cube must match the model's input schema.

    Blocks are scored with dask: threads by default, --workers or --scheduler for a cluster.
    """
    import contextlib

    import xarray as xr

    from pipelines.progress import compute
    from prospect.io.cube import (
        add_variables,
        create_cube,
        cube_grid,
        is_synthetic,
        open_cube,
        synthetic_attr,
    )
    from prospect.registry import align_to_schema, check_schema, score_model

    reg = _registry(registry)
    version = reg.resolve(name, version)
    model = reg.load(name, version, trusted=trust, fingerprint=fingerprint)
    ds = open_cube(cube)
    if reproject:
        ds = align_to_schema(ds, model.schema, resampling=resampling)
    check_schema(ds, model.schema)
    grid = cube_grid(ds)
    ds = ds.chunk({"y": grid.chunks[0], "x": grid.chunks[1]})
    synthetic = bool(model.card.get("synthetic")) or is_synthetic(ds.attrs)
    provenance = {
        "model": name, "version": version, "registry": reg.url,
        "model_sha256": model.checksums.get("model.skops"), "fingerprint": model.fingerprint,
        "config_hash": model.card.get("config_hash"), "cube": str(cube),
        "reprojected": reproject, "synthetic": synthetic,
    }
    maps = score_model(model.estimator, model.schema, ds, provenance=provenance,
                       mineral=model.card.get("mineral") or None, synthetic=synthetic)
    if out.exists():
        raise InputFileError(f"{out}: already exists; choose a new output path")
    create_cube(out, grid, attrs={**synthetic_attr(synthetic), "model": f"{name}/{version}"})
    with contextlib.ExitStack() as stack:
        if scheduler or workers:
            from pipelines.cluster import dask_client

            stack.enter_context(dask_client(scheduler=scheduler, workers=workers))
        add_variables(out, xr.Dataset(dict(maps.data_vars)), compute=lambda write: compute(
            write, None, f"score: {grid.n_chunks} block(s)"))
    console = Console(stderr=True)
    if cog is not None:
        from prospect.io.raster import write_cog

        write_cog(open_cube(out)["probability"], cog, grid=grid,
                  tags={"model": f"{name}/{version}", "synthetic": synthetic})
        console.print(f"wrote {cog}")
    console.print(f"scored {cube} with {name}/{version} -> {out} "
                  f"({', '.join(str(v) for v in maps.data_vars)})")


def _n_features(model: Any) -> int:
    return len(model.schema.get("feature_names") or model.feature_order)


def _sample_inputs(model: Any, cube: Path | None, n: int, seed: int) -> Any:
    """Rows to compare the export on: cells of ``cube`` (as the model sees them) or noise."""
    import numpy as np

    rng = np.random.default_rng(seed)
    if cube is None:
        from prospect.registry.onnx_export import check_rows

        names = list(model.schema.get("feature_names") or model.feature_order)
        spec = model.schema.get("feature_spec") or {}
        categorical = [names.index(c) for c in spec.get("categorical", []) if c in names]
        return check_rows(model.estimator, len(names), categorical, n, seed=seed)
    from prospect.io.cube import open_cube
    from prospect.registry import check_schema

    ds = open_cube(cube)
    check_schema(ds, model.schema)
    rows = max(1, min(ds.sizes["y"], -(-n * 4 // ds.sizes["x"])))
    spec_data = model.schema.get("feature_spec")
    if spec_data:
        from prospect.features import FeatureSpec, build_stack

        stack = build_stack(ds, FeatureSpec.from_dict(dict(spec_data)))
        block = np.asarray(stack.data[:, :rows, :].compute())
    else:
        block = np.stack([np.asarray(ds[f].data[:rows, :]) for f in model.feature_order])
    X = block.reshape(block.shape[0], -1).T.astype("float32")
    X = X[np.all(np.isfinite(X), axis=1)]
    if len(X) == 0:
        raise ModelError(f"{cube}: no cell with all features present to check the export")
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
        "categorical features take the codes the model was fitted on).")] = None,
    samples: Annotated[int, typer.Option(min=1, help="Rows compared.")] = 2000,
    atol: Annotated[float, typer.Option(help="Largest allowed difference.")] = 1e-4,
    trust: TrustOpt = None,
    registry: RegistryOpt = None,
) -> None:
    """Export a model to ONNX and check onnxruntime agrees with scikit-learn."""
    from prospect.io.cube import attr_text
    from prospect.registry import export_onnx, onnx_agreement

    if fmt != "onnx":
        raise ModelError(f"unknown export format {fmt!r}; supported: onnx")
    reg = _registry(registry)
    version = reg.resolve(name, version)
    model = reg.load(name, version, trusted=trust)
    meta = {
        "prospect_model": f"{name}/{version}",
        "feature_order": json.dumps(model.schema.get("feature_names") or model.feature_order),
        "config_hash": str(model.card.get("config_hash")),
        "synthetic": attr_text(bool(model.card.get("synthetic"))),
    }
    X = _sample_inputs(model, cube, samples, seed=0)
    out.parent.mkdir(parents=True, exist_ok=True)
    with staged_file(out) as staged:  # published only once onnxruntime agrees
        export_onnx(model.estimator, staged, n_features=_n_features(model), metadata=meta)
        diff = onnx_agreement(model.estimator, staged, X, atol=atol, label=out)
    Console(stderr=True).print(
        f"exported {name}/{version} -> {out}; onnxruntime vs scikit-learn max |diff| = "
        f"{diff:.3g} on {len(X)} rows (tolerance {atol:g})"
    )


@model_app.command("import")
def import_model(
    source: Annotated[str, typer.Argument(
        help="Model directory, or a job's output directory holding model/ (local path or "
        "fsspec URL of a model directory).")],
    name: Annotated[str, typer.Option("--name", "-n", help="Model name in the registry.")],
    version: VersionOpt = None,
    trust: TrustOpt = None,
    registry: RegistryOpt = None,
) -> None:
    """Verify a model directory and add it to the registry as a new, immutable version."""
    from prospect.registry import check_name, check_version

    check_name(name)
    if version is not None:
        check_version(version)
    reg = _registry(registry)
    local = Path(source)
    if "://" in source and not source.startswith("file://"):
        with tempfile.TemporaryDirectory(prefix="prospect-import-") as tmp:
            _download_model_dir(source, Path(tmp))
            new = reg.publish(Path(tmp), name, version=version, trusted=trust)
    else:
        local = Path(source.removeprefix("file://"))
        if local.is_dir() and not (local / "checksums.json").exists() and (
            local / "model" / "checksums.json"
        ).is_file():
            local = local / "model"  # a job's output directory: take its trained model
        new = reg.publish(local, name, version=version, trusted=trust)
    Console(stderr=True).print(f"imported {source} as {name}/{new} in {reg.url}; "
                               f"fingerprint {reg.fingerprint(name, new)}")


def _download_model_dir(url: str, dest: Path) -> None:
    import fsspec

    from prospect.registry import MODEL_FILES

    fs, root = fsspec.core.url_to_fs(url)
    for fname in (*MODEL_FILES, "checksums.json"):
        path = f"{str(root).rstrip('/')}/{fname}"
        if not fs.exists(path):
            raise InputFileError(f"{url}: no {fname}; not a Prospect model directory")
        (dest / fname).write_bytes(fs.cat_file(path))


def register(app: typer.Typer) -> None:
    """Add the ``model`` command group to ``app`` (once, however often it is called)."""
    if any(group.name == "model" for group in app.registered_groups):
        return
    app.add_typer(model_app, name="model")
