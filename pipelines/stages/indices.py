"""Indices stage: the job's spectral and mineral indices, into the cube, chunk by chunk.

Reads ``ctx.job.indices``, opens the cube lazily, builds one dask task per cube chunk that
computes every requested index in a single fused kernel call, and publishes the results
with :func:`prospect.io.cube.add_variables` (written chunk by chunk to a staging store, then
moved into the cube atomically). Each variable carries a JSON provenance (formula, bands,
catalogue version, backend) and a fingerprint of that provenance plus its input bands; a
rerun skips indices whose fingerprint is unchanged.
"""

from __future__ import annotations

import hashlib
import json
import time

import xarray as xr

from pipelines.context import RunContext, StageResult
from pipelines.progress import compute
from prospect.errors import StageError
from prospect.indices import compute_indices
from prospect.io.cube import add_variables, open_cube, read_provenance, synthetic_attr

__all__ = ["run"]


def _fingerprint(var: xr.DataArray, cube: xr.Dataset) -> str:
    prov = read_provenance(var.attrs["provenance"])
    prov.pop("backend", None)  # the same numbers on every backend
    inputs = {}
    for band in sorted(set(prov.get("bands", {}).values())):
        attrs = cube[band].attrs
        inputs[band] = str(attrs.get("prospect_fingerprint") or attrs.get("provenance", ""))
    text = json.dumps({"index": prov, "inputs": inputs}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def run(ctx: RunContext) -> StageResult:
    """Compute ``ctx.job.indices`` over the cube at ``ctx.cube_path`` and publish them."""
    cfg = ctx.job.indices
    result = StageResult(name="indices")
    if cfg is None or not (cfg.names or cfg.custom):
        result.skipped = True
        result.notes.append("no indices configured (job key 'indices')")
        return result
    if not (ctx.cube_path / "zarr.json").is_file():
        raise StageError(f"{ctx.cube_path}: no cube yet; run 'prospect ingest' on this job first")
    cube = open_cube(ctx.cube_path)
    out = compute_indices(cube, cfg.names, sensor=cfg.sensor, custom=dict(cfg.custom),
                          bands=dict(cfg.bands), constants=dict(cfg.constants),
                          backend=cfg.backend, nodata=cfg.nodata,
                          allow_out_of_range=cfg.allow_out_of_range)
    if ctx.job.synthetic:
        for name in out.data_vars:
            out[name].attrs.update(synthetic_attr(True))
    todo, unchanged = [], []
    for name in out.data_vars:
        fp = _fingerprint(out[name], cube)
        out[name].attrs["prospect_fingerprint"] = fp
        if name not in cube.data_vars:
            todo.append(str(name))
        elif cube[name].attrs.get("prospect_fingerprint") == fp:
            unchanged.append(str(name))
        elif cfg.overwrite:
            todo.append(str(name))
        else:
            raise StageError(
                f"{ctx.cube_path}: variable {name!r} exists with other settings or inputs; set "
                f"indices.overwrite: true to replace it, or rename the index"
            )
    backend = read_provenance(out[next(iter(out.data_vars))].attrs["provenance"])["backend"]
    n_chunks = ctx.grid.n_chunks
    start = time.perf_counter()
    if todo:
        add_variables(ctx.cube_path, out[todo], overwrite=True, compute=lambda write: compute(
            write, ctx, f"indices: {len(todo)} layer(s) x {n_chunks} chunk(s), {backend}"))
    seconds = time.perf_counter() - start
    result.outputs["cube"] = str(ctx.cube_path)
    result.outputs.update({name: f"{ctx.cube_path}/{name}" for name in todo})
    bands = {b for n in out.data_vars
             for b in read_provenance(out[n].attrs["provenance"])["bands"].values()}
    result.inputs = {band: f"{ctx.cube_path}/{band}" for band in sorted(bands)}
    result.metrics = {
        "indices": len(todo), "indices_unchanged": len(unchanged), "backend": backend,
        "chunks_per_index": n_chunks, "sensor": cfg.sensor,
        "megapixels_per_s": round(ctx.grid.shape[0] * ctx.grid.shape[1] / 1e6 / seconds, 4)
        if todo and seconds > 0 else None,
    }
    result.skipped = not todo
    result.notes.append(
        f"{len(todo)} index layer(s) computed ({', '.join(todo) or 'none'}), "
        f"{len(unchanged)} already up to date; backend {backend}"
    )
    return result
