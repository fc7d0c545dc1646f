"""Tiles benchmark: Prospect's pyramid writer vs gdal2tiles, Prospect's server vs TiTiler.

1. Pyramids: the same float32 COG and zoom range through :func:`tiles.write_pyramid`
   (N threads) and Debian's ``gdal2tiles.py --processes=N --xyz``, alternating, medians.
2. Serving: the same tiles of the same COG under the same load (C concurrent keep-alive
   clients for T seconds on loopback) from ``prospect serve`` and from a TiTiler app
   (``titiler.core`` TilerFactory, uvicorn, one process each), alternating. Prospect is run
   as configured by default (with its in-memory tile cache) and with the cache disabled
   (``cache_mb: 0``), so the render path is compared too.

Usage: ``python benchmarks/bench_tiles.py [--quick]``. The last line is
``RESULT tiles speedup_vs_gdal2tiles=<x> p99_vs_titiler=<prospect/titiler> errors=<n> ...``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import warnings
from pathlib import Path

import httpx
import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.loadtest import LoadResult, run_load  # noqa: E402
from tiles.pyramid import write_pyramid  # noqa: E402
from tiles.source import WEB_MERCATOR, cog_source  # noqa: E402
from tiles.testing import free_port, make_tile_fixture  # noqa: E402

GDAL2TILES = shutil.which("gdal2tiles.py") or shutil.which("gdal2tiles")

TITILER_APP = textwrap.dedent("""
    from fastapi import FastAPI
    from titiler.core.errors import DEFAULT_STATUS_CODES, add_exception_handlers
    from titiler.core.factory import TilerFactory

    app = FastAPI()
    app.include_router(TilerFactory().router, prefix="/cog")
    add_exception_handlers(app, DEFAULT_STATUS_CODES)
""")


def _clean_env() -> dict[str, str]:
    """Environment for Debian's GDAL tools (not the venv's bundled GDAL data)."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("GDAL_DATA", "PROJ_LIB", "PROJ_DATA", "PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = "/usr/bin:/bin"
    return env


def bench_pyramids(cog: Path, work: Path, *, zooms: tuple[int, int], workers: int,
                   reps: int) -> dict[str, float]:
    """Median seconds of both pyramid writers, alternating."""
    src = cog_source(cog)
    ours, theirs = [], []
    n_ours = n_theirs = 0
    for rep in range(-1, reps):  # rep -1 warms both up (imports, page cache); not counted
        out = work / f"prospect-{rep}"
        t0 = time.perf_counter()
        res = write_pyramid(src, out, colormap="viridis", vmin=0.0, vmax=1.0,
                            min_zoom=zooms[0], max_zoom=zooms[1], workers=workers)
        ours.append(time.perf_counter() - t0)
        n_ours = res.tiles_written
        shutil.rmtree(out)
        out = work / f"gdal2tiles-{rep}"
        t0 = time.perf_counter()
        # gdal2tiles refuses float input: it needs the usual byte-scaling VRT first (timed
        # too); its tiles are then grey bytes with no colormap, i.e. less work than ours.
        vrt = work / f"byte-{rep}.vrt"
        subprocess.run(
            ["gdal_translate", "-q", "-of", "VRT", "-ot", "Byte", "-scale", "0", "1", "1", "255",
             "-a_nodata", "0", str(cog), str(vrt)],
            check=True, env=_clean_env(), capture_output=True,
        )
        subprocess.run(
            ["/usr/bin/python3", GDAL2TILES, "--xyz", "-q", f"--processes={workers}",
             f"--zoom={zooms[0]}-{zooms[1]}", "-w", "none", "-r", "bilinear", str(vrt), str(out)],
            check=True, env=_clean_env(), capture_output=True,
        )
        theirs.append(time.perf_counter() - t0)
        n_theirs = len(list(out.glob("*/*/*.png")))
        shutil.rmtree(out)
        print(f"  pyramid rep {rep}: prospect {ours[-1]:.2f} s ({n_ours} tiles), "
              f"gdal2tiles {theirs[-1]:.2f} s ({n_theirs} tiles)"
              + (" (warm-up, not counted)" if rep < 0 else ""), flush=True)
        if rep < 0:
            ours.clear()
            theirs.clear()
    return {"prospect_s": statistics.median(ours), "gdal2tiles_s": statistics.median(theirs),
            "tiles_prospect": n_ours, "tiles_gdal2tiles": n_theirs}


def _start(cmd: list[str], cwd: Path, health: str, log: Path) -> subprocess.Popen[bytes]:
    # stderr to a file, never an undrained pipe: a server that warns on every request would
    # block once the pipe buffer is full
    with open(log, "wb") as err_file:
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=err_file)
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(health, timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            err = log.read_text(errors="replace")
            raise RuntimeError(f"server {cmd} did not start: {err[-2000:]}")
        time.sleep(0.2)


def bench_servers(fx_root: Path, cog: Path, *, seconds: float, concurrency: int,
                  rounds: int, zooms: tuple[int, int]) -> dict[str, list[LoadResult]]:
    """Load results per server, alternating rounds."""
    bounds = cog_source(cog).lonlat_bounds
    tiles = list(WEB_MERCATOR.tiles(*bounds, zooms=list(range(zooms[0], zooms[1] + 1))))
    servers: dict[str, tuple[list[str], str, list[str]]] = {}
    cfg = yaml.safe_load((fx_root / "serve.yaml").read_text())
    cfg["keys"] = []
    cfg["layers"] = [dict(cfg["layers"][0], cog=str(cog))]
    for name, cache_mb in (("prospect", 64), ("prospect_nocache", 0)):
        path = fx_root / f"{name}.yaml"
        path.write_text(yaml.safe_dump({**cfg, "cache_mb": cache_mb}))
        port = free_port()
        servers[name] = (
            [sys.executable, "-m", "pipelines.cli", "serve", str(path), "--port", str(port)],
            f"http://127.0.0.1:{port}/health",
            [f"http://127.0.0.1:{port}/tiles/probability/{t.z}/{t.x}/{t.y}.png" for t in tiles],
        )
    (fx_root / "titiler_app.py").write_text(TITILER_APP)
    port = free_port()
    query = f"url={cog}&rescale=0,1&colormap_name=viridis"
    servers["titiler"] = (
        [sys.executable, "-m", "uvicorn", "titiler_app:app", "--port", str(port),
         "--log-level", "warning"],
        f"http://127.0.0.1:{port}/openapi.json",
        [f"http://127.0.0.1:{port}/cog/tiles/WebMercatorQuad/{t.z}/{t.x}/{t.y}.png?{query}"
         for t in tiles],
    )
    results: dict[str, list[LoadResult]] = {k: [] for k in servers}
    procs = {}
    try:
        for name, (cmd, health, urls) in servers.items():
            procs[name] = _start(cmd, fx_root, health, fx_root / f"{name}.log")
            with httpx.Client(timeout=300) as c:  # warm-up: every tile once
                bad = [u for u in urls if c.get(u).status_code != 200]
            if bad:
                raise RuntimeError(f"{name}: {len(bad)} warm-up requests failed, e.g. {bad[0]}")
        print(f"  load: {len(tiles)} tiles (z{zooms[0]}-{zooms[1]}), {concurrency} clients, "
              f"{seconds:g} s per run", flush=True)
        for rnd in range(rounds):
            for name, (_, _, urls) in servers.items():
                r = run_load(urls, concurrency=concurrency, seconds=seconds)
                results[name].append(r)
                print(f"  round {rnd} {name:17s}: {r.requests:6d} req, {r.rps:7.1f} req/s, "
                      f"p50 {r.p50_ms:7.1f} ms, p99 {r.p99_ms:7.1f} ms, errors {r.errors}",
                      flush=True)
    finally:
        for proc in procs.values():
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
    return results


def main() -> None:
    warnings.filterwarnings("ignore", category=PendingDeprecationWarning)  # rasterio/affine
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small input, short runs (<1 min)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()
    if GDAL2TILES is None:
        sys.exit("gdal2tiles not found: install Debian's gdal-bin and python3-gdal")
    quick = args.quick
    size_m = 6000.0 if quick else 20000.0
    zooms = (11, 15) if quick else (10, 16)
    reps = 3
    seconds, rounds, concurrency = (4.0, 1, 64) if quick else (30.0, 2, 64)
    with tempfile.TemporaryDirectory(prefix="bench-tiles-") as tmp:
        work = Path(tmp)
        bounds = (565000.0, 1340000.0, 565000.0 + size_m, 1340000.0 + size_m)
        fx = make_tile_fixture(work / "data", bounds=bounds)
        grid = fx.grid
        print(f"input: {fx.probability.name}, float32 COG {grid.height} x {grid.width} at "
              f"{grid.resolution:g} m (EPSG:32619), zooms {zooms[0]}-{zooms[1]}, "
              f"{args.workers} workers/processes", flush=True)
        pyr = bench_pyramids(fx.probability, work, zooms=zooms, workers=args.workers, reps=reps)
        speedup = pyr["gdal2tiles_s"] / pyr["prospect_s"]
        print(f"pyramids: prospect {pyr['prospect_s']:.2f} s, gdal2tiles "
              f"{pyr['gdal2tiles_s']:.2f} s (medians of {reps}) -> {speedup:.2f}x", flush=True)
        load = bench_servers(fx.root, fx.probability, seconds=seconds, concurrency=concurrency,
                             rounds=rounds, zooms=(12, 15))
    med = {k: {f: statistics.median(getattr(r, f) for r in v) for f in ("p50_ms", "p99_ms", "rps")}
           for k, v in load.items()}
    errors = sum(r.errors for v in load.values() for r in v)
    p99_ratio = med["prospect"]["p99_ms"] / med["titiler"]["p99_ms"]
    p99_nocache = med["prospect_nocache"]["p99_ms"] / med["titiler"]["p99_ms"]
    for k, m in med.items():
        print(f"serving {k:17s}: p50 {m['p50_ms']:.1f} ms, p99 {m['p99_ms']:.1f} ms, "
              f"{m['rps']:.0f} req/s (medians over rounds)")
    print(
        f"RESULT tiles speedup_vs_gdal2tiles={speedup:.2f} p99_vs_titiler={p99_ratio:.3f} "
        f"errors={errors} p99_nocache_vs_titiler={p99_nocache:.3f} "
        f"p50_ms={med['prospect']['p50_ms']:.1f} p99_ms={med['prospect']['p99_ms']:.1f} "
        f"titiler_p50_ms={med['titiler']['p50_ms']:.1f} "
        f"titiler_p99_ms={med['titiler']['p99_ms']:.1f} "
        f"rps={med['prospect']['rps']:.0f} titiler_rps={med['titiler']['rps']:.0f} "
        f"quick={int(quick)}"
    )


if __name__ == "__main__":
    main()
