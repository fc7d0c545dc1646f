"""Tiles benchmark, like with like: Prospect's pyramid vs gdal2tiles, cold renders vs TiTiler.

1. Pyramids: one float32 COG of at least 8192 x 8192 cells, the same zooms, the same
   bilinear resampling and the same coloured RGBA PNG tiles on both sides: Prospect's
   :func:`tiles.write_pyramid` (``rgba=True``, N threads) against Debian's
   ``gdal2tiles.py --processes=N --xyz -r bilinear`` on the COG coloured to RGBA by
   ``gdaldem color-relief -alpha`` (a VRT: colouring is part of its timed run, as it is of
   ours). gdal2tiles' interpreter start-up (a run on a one-tile input) is measured and
   reported separately, and must be under 5 % of its time. Alternating runs, medians.
2. Serving, cold: every request renders (Prospect with ``cache_mb: 0`` and request
   coalescing off; TiTiler has neither), bilinear on both (``resampling`` and ``reproject``
   for TiTiler), RGBA PNG on both (``png_rgba: true``), 8 concurrent keep-alive clients
   each, one uvicorn process each, the same GDAL settings TiTiler's docs recommend
   (``GDAL_CACHEMAX``, ``GDAL_DISABLE_READDIR_ON_OPEN=EMPTY_DIR``, ``VSI_CACHE``) for both.
   Alternating rounds, medians. For the record (not compared): Prospect with its tile
   cache on, every request a cache hit (``cached_rps``), the server's own per-request cost.

Targets (issue 16): pyramid >= 3x gdal2tiles; cold p99 <= 0.7x TiTiler's, throughput
>= 1.5x, 0 errors. Usage: ``python benchmarks/bench_tiles.py [--quick]``; the last line is
``RESULT tiles speedup_vs_gdal2tiles=<x> p99_vs_titiler=<cold ratio> errors=<n> ...``.
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
import numpy as np
import yaml
from loadtest import LoadResult, run_load  # benchmarks/loadtest.py, beside this script

from tiles.colormap import colormap_palette
from tiles.pyramid import write_pyramid
from tiles.source import WEB_MERCATOR, cog_source
from tiles.testing import free_port, make_tile_fixture

GDAL2TILES = shutil.which("gdal2tiles.py") or shutil.which("gdal2tiles")

TITILER_APP = textwrap.dedent("""
    from fastapi import FastAPI
    from titiler.core.errors import DEFAULT_STATUS_CODES, add_exception_handlers
    from titiler.core.factory import TilerFactory

    app = FastAPI()
    app.include_router(TilerFactory().router, prefix="/cog")
    add_exception_handlers(app, DEFAULT_STATUS_CODES)
""")


GDAL_ENV = {
    "GDAL_CACHEMAX": "512", "GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR", "VSI_CACHE": "TRUE",
    "VSI_CACHE_SIZE": "50000000", "GDAL_HTTP_MERGE_CONSECUTIVE_RANGES": "YES",
    "CPL_VSIL_CURL_ALLOWED_EXTENSIONS": ".tif",
}
"""GDAL settings TiTiler's performance docs recommend; given to both servers."""


def _clean_env() -> dict[str, str]:
    """Environment for Debian's GDAL tools (not the venv's bundled GDAL data)."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("GDAL_DATA", "PROJ_LIB", "PROJ_DATA", "PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = "/usr/bin:/bin"
    return env


def _palette_file(path: Path) -> Path:
    """gdaldem color-relief entries for the layer's colours: value -> the same RGBA as ours.

    Our value ``v`` gets palette entry ``1 + round(254 v)`` (vmin 0, vmax 1); gdaldem
    interpolates linearly between the 255 entries placed at the values of those entries.
    """
    pal = colormap_palette("viridis")
    lines = ["nv 0 0 0 0"]
    for i in range(1, 256):
        r, g, b, _ = pal[i]
        lines.append(f"{(i - 1) / 254:.6f} {r} {g} {b} 255")
    path.write_text("\n".join(lines) + "\n")
    return path


def _gdal2tiles(src: Path, out: Path, zooms: tuple[int, int], workers: int) -> None:
    subprocess.run(
        ["/usr/bin/python3", GDAL2TILES, "--xyz", "-q", f"--processes={workers}",
         f"--zoom={zooms[0]}-{zooms[1]}", "-w", "none", "-r", "bilinear", str(src), str(out)],
        check=True, env=_clean_env(), capture_output=True,
    )


def gdal2tiles_startup(work: Path, workers: int) -> float:
    """Median seconds of gdal2tiles on a one-tile input: interpreter, imports, pool."""
    import rasterio
    from rasterio.transform import from_bounds

    tiny = work / "tiny.tif"
    with rasterio.open(tiny, "w", driver="GTiff", width=16, height=16, count=4,
                       dtype="uint8", crs="EPSG:3857",
                       transform=from_bounds(0, 0, 1000, 1000, 16, 16)) as ds:
        ds.write(np.full((4, 16, 16), 200, dtype="uint8"))
    times = []
    for i in range(3):
        out = work / f"startup-{i}"
        t0 = time.perf_counter()
        _gdal2tiles(tiny, out, (0, 0), workers)
        times.append(time.perf_counter() - t0)
        shutil.rmtree(out, ignore_errors=True)
    return statistics.median(times)


def bench_pyramids(cog: Path, work: Path, *, zooms: tuple[int, int], workers: int,
                   reps: int) -> dict[str, float]:
    """Median seconds of both pyramid writers (coloured RGBA PNG tiles), alternating."""
    src = cog_source(cog)
    palette = _palette_file(work / "viridis.txt")
    ours, theirs = [], []
    n_ours = n_theirs = 0
    for rep in range(reps):
        out = work / f"prospect-{rep}"
        t0 = time.perf_counter()
        res = write_pyramid(src, out, colormap="viridis", vmin=0.0, vmax=1.0,
                            min_zoom=zooms[0], max_zoom=zooms[1], workers=workers,
                            resampling="bilinear", rgba=True)
        ours.append(time.perf_counter() - t0)
        n_ours = res.tiles_written
        shutil.rmtree(out)
        out = work / f"gdal2tiles-{rep}"
        t0 = time.perf_counter()
        vrt = work / f"rgba-{rep}.vrt"  # the COG coloured to RGBA, as a VRT: timed too
        subprocess.run(["gdaldem", "color-relief", "-q", "-alpha", "-of", "VRT", str(cog),
                        str(palette), str(vrt)], check=True, env=_clean_env(),
                       capture_output=True)
        _gdal2tiles(vrt, out, zooms, workers)
        theirs.append(time.perf_counter() - t0)
        n_theirs = len(list(out.glob("*/*/*.png")))
        shutil.rmtree(out)
        print(f"  pyramid rep {rep}: prospect {ours[-1]:.2f} s ({n_ours} tiles), "
              f"gdal2tiles {theirs[-1]:.2f} s ({n_theirs} tiles)", flush=True)
    return {"prospect_s": statistics.median(ours), "gdal2tiles_s": statistics.median(theirs),
            "tiles_prospect": n_ours, "tiles_gdal2tiles": n_theirs}


def _start(cmd: list[str], cwd: Path, health: str, log: Path) -> subprocess.Popen[bytes]:
    # stderr to a file, never an undrained pipe: a server that warns on every request would
    # block once the pipe buffer is full
    with open(log, "wb") as err_file:
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=err_file,
                                env={**os.environ, **GDAL_ENV})
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


def warm_up(urls: list[str], concurrency: int) -> set[int]:
    """Request every tile once (``concurrency`` clients); the indices of the refused ones.

    It warms the OS page cache and GDAL's block cache alike for both servers and finds the
    edge tiles a server refuses, in a fraction of the time one client would take.
    """
    from concurrent.futures import ThreadPoolExecutor

    with httpx.Client(timeout=300, limits=httpx.Limits(max_connections=concurrency)) as c, \
            ThreadPoolExecutor(concurrency) as pool:
        codes = list(pool.map(lambda u: c.get(u).status_code, urls))
    return {i for i, code in enumerate(codes) if code != 200}


def bench_servers(fx_root: Path, cog: Path, *, seconds: float, concurrency: int,
                  rounds: int, zooms: tuple[int, int]) -> dict[str, list[LoadResult]]:
    """Load results per server, alternating rounds."""
    bounds = cog_source(cog).lonlat_bounds
    tiles = list(WEB_MERCATOR.tiles(*bounds, zooms=list(range(zooms[0], zooms[1] + 1))))
    servers: dict[str, tuple[list[str], str, list[str]]] = {}
    cfg = yaml.safe_load((fx_root / "serve.yaml").read_text())
    cfg["keys"] = []
    cfg["layers"] = [dict(cfg["layers"][0], cog=str(cog), resampling="bilinear")]
    # cold (the comparison) and, for the record of the server's own per-request cost, the
    # default config with its tile cache (every request after the warm-up is a cache hit)
    for name, extra in (("prospect", {"cache_mb": 0, "coalesce_requests": False}),
                        ("prospect_cached", {"cache_mb": 256})):
        path = fx_root / f"{name}.yaml"
        path.write_text(yaml.safe_dump({**cfg, **extra, "png_rgba": True}))
        port = free_port()
        servers[name] = (
            [sys.executable, "-m", "pipelines.cli", "serve", str(path), "--port", str(port)],
            f"http://127.0.0.1:{port}/health",
            [f"http://127.0.0.1:{port}/tiles/probability/{t.z}/{t.x}/{t.y}.png" for t in tiles],
        )
    (fx_root / "titiler_app.py").write_text(TITILER_APP)
    port = free_port()
    query = (f"url={cog}&rescale=0,1&colormap_name=viridis&resampling=bilinear"
             "&reproject=bilinear&format=png")
    servers["titiler"] = (
        [sys.executable, "-m", "uvicorn", "titiler_app:app", "--port", str(port),
         "--log-level", "warning"],
        f"http://127.0.0.1:{port}/openapi.json",
        [f"http://127.0.0.1:{port}/cog/tiles/WebMercatorQuad/{t.z}/{t.x}/{t.y}.png?{query}"
         for t in tiles],
    )
    results: dict[str, list[LoadResult]] = {k: [] for k in servers}
    procs = {}
    refused: set[int] = set()
    try:
        for name, (cmd, health, urls) in servers.items():
            procs[name] = _start(cmd, fx_root, health, fx_root / f"{name}.log")
            with httpx.Client(timeout=60) as c:  # both answer RGBA PNG
                probe = c.get(urls[len(urls) // 2])
            colour_type = probe.content[25]  # IHDR colour type 6: RGBA
            assert colour_type == 6, f"{name}: not an RGBA PNG (colour type {colour_type})"
            refused |= warm_up(urls, concurrency)
        if len(refused) > 0.1 * len(tiles):
            raise RuntimeError(f"{len(refused)} of {len(tiles)} tiles refused in the warm-up")
        # edge tiles one server refuses (TiTiler: 404 for a tile barely touching the data)
        # are dropped from every list: both sides serve the same tiles
        for name, (cmd, health, urls) in servers.items():
            servers[name] = (cmd, health, [u for i, u in enumerate(urls) if i not in refused])
        print(f"  load: {len(tiles) - len(refused)} tiles (z{zooms[0]}-{zooms[1]}; {len(refused)} "
              f"edge tiles refused by a server dropped), {concurrency} clients, "
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
    parser.add_argument("--reps", type=int, default=3, help="pyramid runs per side (median)")
    args = parser.parse_args()
    if GDAL2TILES is None:
        sys.exit("gdal2tiles not found: install Debian's gdal-bin and python3-gdal")
    quick = args.quick
    t_start, load_start = time.monotonic(), os.getloadavg()[0]
    cells = 1024 if quick else 8192
    zooms = (10, 14) if quick else (8, 14)
    reps = args.reps
    seconds, rounds, concurrency = (4.0, 1, 8) if quick else (20.0, 2, 8)
    with tempfile.TemporaryDirectory(prefix="bench-tiles-") as tmp:
        work = Path(tmp)
        bounds = (500000.0, 1300000.0, 500000.0 + 10.0 * cells, 1300000.0 + 10.0 * cells)
        fx = make_tile_fixture(work / "data", bounds=bounds)
        grid = fx.grid
        print(f"input: {fx.probability.name}, float32 COG {grid.height} x {grid.width} at "
              f"{grid.resolution:g} m (EPSG:32619), zooms {zooms[0]}-{zooms[1]}, "
              f"{args.workers} workers/processes", flush=True)
        startup = gdal2tiles_startup(work, args.workers)
        pyr = bench_pyramids(fx.probability, work, zooms=zooms, workers=args.workers, reps=reps)
        speedup = pyr["gdal2tiles_s"] / pyr["prospect_s"]
        share = startup / pyr["gdal2tiles_s"]
        print(f"pyramids: prospect {pyr['prospect_s']:.2f} s, gdal2tiles "
              f"{pyr['gdal2tiles_s']:.2f} s (medians of {reps}) -> {speedup:.2f}x; gdal2tiles "
              f"start-up {startup:.2f} s = {100 * share:.1f} % of its run"
              + ("" if share < 0.05 else " (over 5 %: use the full run, not --quick)"),
              flush=True)
        load = bench_servers(fx.root, fx.probability, seconds=seconds, concurrency=concurrency,
                             rounds=rounds, zooms=(12, 14))
    med = {k: {f: statistics.median(getattr(r, f) for r in v) for f in ("p50_ms", "p99_ms", "rps")}
           for k, v in load.items()}
    errors = sum(r.errors for v in load.values() for r in v)
    p99_ratio = med["prospect"]["p99_ms"] / med["titiler"]["p99_ms"]
    rps_ratio = med["prospect"]["rps"] / med["titiler"]["rps"]
    for k, m in med.items():
        print(f"serving {k:15s}: p50 {m['p50_ms']:.1f} ms, p99 {m['p99_ms']:.1f} ms, "
              f"{m['rps']:.0f} req/s (medians over rounds)")
    print(
        f"RESULT tiles speedup_vs_gdal2tiles={speedup:.2f} p99_vs_titiler={p99_ratio:.3f} "
        f"errors={errors} rps_vs_titiler={rps_ratio:.2f} "
        f"gdal2tiles_startup_s={startup:.2f} startup_share={share:.3f} "
        f"p99_ms={med['prospect']['p99_ms']:.1f} titiler_p99_ms={med['titiler']['p99_ms']:.1f} "
        f"rps={med['prospect']['rps']:.0f} titiler_rps={med['titiler']['rps']:.0f} "
        f"cached_rps={med['prospect_cached']['rps']:.0f} "
        f"cached_p99_ms={med['prospect_cached']['p99_ms']:.1f} "
        f"cells={cells} quick={int(quick)} minutes={(time.monotonic() - t_start) / 60:.1f} "
        f"load={load_start:.1f}-{os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
