"""Ingest vs gdalwarp on the same reprojection, and peak memory at 1x and 4x scene area.

Both tools reproject the same lon/lat GeoTIFF onto the same UTM grid with bilinear
resampling and write a compressed, tiled result, on one core each:

* Prospect: the ingest stage as a job runs it (:func:`pipelines.stages.ingest.run`, the
  code ``prospect ingest`` runs: planning, one task per chunk warped by GDAL through
  :mod:`prospect.io.warp`, each chunk written into the zarr v3 cube with the cube's own
  chunking (512 x 512) and codec (zstd level 3), then published atomically) on the
  embedded dask cluster (:func:`pipelines.cluster.local_cluster`) of one worker process
  with one thread, started beforehand so its start-up is not timed;
* ``gdalwarp`` (Debian's gdal-bin) writing a GeoTIFF tiled 512 x 512 with the same codec
  (``COMPRESS=ZSTD``, ``ZSTD_LEVEL=3``), ``GDAL_NUM_THREADS=1``.

Every repetition warps a fresh copy of the source (untimed copy, read by both sides), so
no side reuses GDAL blocks cached by an earlier run: a job reads each source once. Runs
alternate; medians of wall time are reported with their ratio, and the median CPU time of
each side (the worker and the client process for Prospect, the child for gdalwarp), which
shared machines disturb less. ``cube_sha256`` hashes the stored chunk bytes of the cube, so
a change of code can be checked to leave the output byte-identical.

The memory check runs the ingest stage in a fresh process (no cluster) on a scene and on a
scene with 4x the area (same chunk shape) and reports each process's peak RSS, and the peak
minus the RSS after imports (what ingest itself adds).

The installed ``prospect`` package is benchmarked (``pip install -e .``, or ``PYTHONPATH``).

Usage: ``python benchmarks/bench_ingest.py [--quick]``. Last line:
``RESULT ingest vs_gdalwarp=<prospect/gdalwarp time> peak_rss_4x_over_1x=<ratio> ...``
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import numpy as np
import rasterio
from pyproj import Transformer
from rasterio.transform import from_origin

from prospect.grid import RegionGrid

CRS = "EPSG:32619"
LEFT, TOP = 560_000.0, 1_360_000.0
CHUNKS = (512, 512)


def target_grid(size: int, res: float = 10.0,
                chunks: tuple[int, int] = CHUNKS) -> RegionGrid:
    """A ``size`` x ``size`` UTM grid (Bonaire's zone)."""
    return RegionGrid(crs=CRS, resolution=res, bounds=(LEFT, TOP - size * res,
                                                       LEFT + size * res, TOP),
                      chunks=chunks, name="bench")


def make_source(path: Path, grid: RegionGrid, seed: int = 0) -> Path:
    """A float32 lon/lat GeoTIFF (deflate, tiled) covering ``grid`` with a margin."""
    tr = Transformer.from_crs(CRS, "EPSG:4326", always_xy=True)
    west, south, east, north = tr.transform_bounds(*grid.bounds, densify_pts=21)
    step = 9e-5  # about 10 m
    pad = 20 * step
    west, south, east, north = west - pad, south - pad, east + pad, north + pad
    width, height = int((east - west) / step) + 1, int((north - south) / step) + 1
    rng = np.random.default_rng(seed)
    profile = {"driver": "GTiff", "width": width, "height": height, "count": 1,
               "dtype": "float32", "crs": "EPSG:4326",
               "transform": from_origin(west, north, step, step), "nodata": float("nan"),
               "tiled": True, "blockxsize": 512, "blockysize": 512, "compress": "deflate"}
    with rasterio.open(path, "w", **profile) as dst:
        for row in range(0, height, 512):
            h = min(512, height - row)
            yy, xx = np.mgrid[row:row + h, 0:width]
            block = (np.sin(xx / 150.0) + np.cos(yy / 97.0) + 0.1 * rng.random((h, width))
                     ).astype("float32")
            dst.write(block, 1, window=rasterio.windows.Window(0, row, width, h))
    return path


def ingest_stage(src: Path, grid: RegionGrid, out_dir: Path, client: object = None) -> None:
    """Run the ingest stage on a one-source job (``src`` onto ``grid``) into ``out_dir``,
    on ``client``'s cluster (``None``: in this process)."""
    from rich.console import Console

    from pipelines.context import RunContext
    from pipelines.stages.ingest import run
    from prospect.config import JobConfig

    left, bottom, right, top = grid.bounds
    job = JobConfig.model_validate({
        "name": "bench", "synthetic": True,
        "region": {"name": "bench", "crs": grid.crs, "resolution": grid.resolution,
                   "bounds": [left, bottom, right, top], "chunks": list(grid.chunks)},
        "sources": [{"kind": "raster", "name": "band", "path": str(src),
                     "resampling": "bilinear"}],
    })
    run(RunContext(job=job, out_dir=out_dir, grid=grid, console=Console(quiet=True),
                   client=client))  # type: ignore[arg-type]


def _cpu_s(pids: list[int]) -> float:
    """User + system CPU seconds of this process, the ``pids`` and the finished children."""
    import psutil

    total = 0.0
    for pid in pids:
        t = psutil.Process(pid).cpu_times()
        total += t.user + t.system
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return total + me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def run_prospect(src: Path, grid: RegionGrid, out: Path, client: object = None,
                 pids: list[int] | None = None) -> tuple[float, float]:
    """Wall and CPU seconds of the ingest stage (``pids``: the cluster's workers)."""
    shutil.rmtree(out, ignore_errors=True)
    cpu = _cpu_s(pids or [])
    start = time.perf_counter()
    ingest_stage(src, grid, out, client)
    return time.perf_counter() - start, _cpu_s(pids or []) - cpu


def cube_sha256(out: Path, name: str = "band") -> str:
    """SHA-256 over the stored chunk files of variable ``name`` (paths and bytes, sorted)."""
    h = hashlib.sha256()
    root = out / "cube.zarr" / name
    for f in sorted(p for p in root.rglob("*") if p.is_file() and p.name != "zarr.json"):
        h.update(str(f.relative_to(root)).encode())
        h.update(f.read_bytes())
    return h.hexdigest()


def run_gdalwarp(src: Path, grid: RegionGrid, out: Path, client: object = None,
                 pids: list[int] | None = None) -> tuple[float, float]:
    """Wall and CPU seconds of ``gdalwarp`` on one thread."""
    out.unlink(missing_ok=True)
    left, bottom, right, top = grid.bounds
    cmd = ["gdalwarp", "-q", "-overwrite", "-t_srs", CRS, "-te", str(left), str(bottom),
           str(right), str(top), "-tr", str(grid.resolution), str(grid.resolution),
           "-r", "bilinear", "-ot", "Float32", "-dstnodata", "nan",
           "-co", "TILED=YES", "-co", "BLOCKXSIZE=512", "-co", "BLOCKYSIZE=512",
           "-co", "COMPRESS=ZSTD", "-co", "ZSTD_LEVEL=3", str(src), str(out)]
    cpu = _cpu_s([])
    start = time.perf_counter()
    subprocess.run(cmd, check=True, env={"GDAL_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"})
    return time.perf_counter() - start, _cpu_s([]) - cpu


def _status_kib(key: str) -> int:
    # VmHWM is this process's own peak; ru_maxrss would carry the parent's across exec
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(key):
                return int(line.split()[1])
    raise RuntimeError(f"no {key} in /proc/self/status")


def memory_child(src: Path, size: int, out: Path, chunk: int) -> None:
    """In a fresh process: the ingest stage's peak RSS, and its RSS after the imports."""
    import pipelines.stages.ingest  # noqa: F401  (the imports are the base, not ingest)
    import prospect.config  # noqa: F401

    base = _status_kib("VmRSS")
    ingest_stage(src, target_grid(size, chunks=(chunk, chunk)), out)
    print(json.dumps({"base_kib": base, "peak_kib": _status_kib("VmHWM")}))


def peak_memory(src: Path, size: int, out: Path, chunk: int = CHUNKS[0]) -> dict[str, int]:
    shutil.rmtree(out, ignore_errors=True)
    proc = subprocess.run([sys.executable, __file__, "--memory-child", str(src), str(size),
                           str(out), str(chunk)], capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small inputs, under a minute")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--chunk-sweep", action="store_true",
                        help="also show peak RSS against chunk size on the 4x scene")
    parser.add_argument("--memory-child", nargs=4, metavar=("SRC", "SIZE", "OUT", "CHUNK"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        src, size_, out, chunk = args.memory_child
        memory_child(Path(src), int(size_), Path(out), int(chunk))
        return
    if shutil.which("gdalwarp") is None:
        sys.exit("gdalwarp not found: install Debian's gdal-bin")
    size = 1536 if args.quick else 3072
    repeats = args.repeats or (5 if args.quick else 7)
    from distributed import Client

    from pipelines.cluster import local_cluster

    with tempfile.TemporaryDirectory(prefix="bench_ingest_") as tmp_s, ExitStack() as on_cluster:
        tmp = Path(tmp_s)
        cluster = on_cluster.enter_context(local_cluster(1, threads_per_worker=1))
        client = on_cluster.enter_context(Client(cluster))
        pids = list(client.run(os.getpid).values())
        grid = target_grid(size)
        src = make_source(tmp / "src.tif", grid)
        print(f"reprojection: {src.stat().st_size / 2**20:.1f} MiB lon/lat GeoTIFF -> "
              f"{grid.shape[0]} x {grid.shape[1]} UTM grid at 10 m, bilinear, chunks {CHUNKS}")
        run_prospect(src, grid, tmp / "warm", client, pids)  # warm caches and imports
        pros, gdal, pcpu, gcpu = [], [], [], []
        hashes = set()
        for i in range(repeats):
            fresh = tmp / f"src{i}.tif"  # no GDAL block of an earlier run is reused
            shutil.copyfile(src, fresh)
            order = [("p", run_prospect), ("g", run_gdalwarp)]
            if i % 2:
                order.reverse()
            for tag, fn in order:
                target = tmp / ("cube" if tag == "p" else "warp.tif")
                wall, cpu = fn(fresh, grid, target, client, pids)
                (pros if tag == "p" else gdal).append(wall)
                (pcpu if tag == "p" else gcpu).append(cpu)
            hashes.add(cube_sha256(tmp / "cube"))
            fresh.unlink()
        if len(hashes) != 1:
            sys.exit(f"the cube differs between runs: {sorted(hashes)}")
        digest = hashes.pop()
        p_med, g_med = statistics.median(pros), statistics.median(gdal)
        pc_med, gc_med = statistics.median(pcpu), statistics.median(gcpu)
        # same values? compare a sample of the two outputs
        from prospect.io.cube import open_cube

        cube = open_cube(tmp / "cube" / "cube.zarr")["band"][:256, :256].values
        with rasterio.open(tmp / "warp.tif") as ds:
            warp = ds.read(1, window=rasterio.windows.Window(0, 0, 256, 256))
        both = np.isfinite(cube) & np.isfinite(warp)
        max_diff = float(np.abs(cube[both] - warp[both]).max()) if both.any() else float("nan")
        print(f"prospect ingest  median {p_med:7.3f} s   runs {[round(t, 3) for t in pros]}")
        print(f"gdalwarp         median {g_med:7.3f} s   runs {[round(t, 3) for t in gdal]}")
        print(f"CPU seconds      prospect {pc_med:.3f} (worker + client), gdalwarp {gc_med:.3f}")
        print(f"max |prospect - gdalwarp| on a 256 x 256 sample: {max_diff:.2e}")
        print(f"cube chunks sha256 {digest}")
        pairs = sorted(p / g for p, g in zip(pros, gdal, strict=True))
        print(f"per-repetition ratios (prospect / gdalwarp, same fresh copy, back to back): "
              f"{[round(r, 3) for r in pairs]}")
        on_cluster.close()  # the memory check runs without the idle cluster beside it

        small, large = size // 2, size
        src1 = make_source(tmp / "src1.tif", target_grid(small), seed=1)
        src4 = make_source(tmp / "src4.tif", target_grid(large), seed=4)
        m1 = peak_memory(src1, small, tmp / "m1")
        m4 = peak_memory(src4, large, tmp / "m4")
        ratio = m4["peak_kib"] / m1["peak_kib"]
        add1 = max(m1["peak_kib"] - m1["base_kib"], 1)
        add4 = max(m4["peak_kib"] - m4["base_kib"], 1)
        n1, n4 = target_grid(small).n_chunks, target_grid(large).n_chunks
        print(f"peak RSS  1x ({small}^2 cells, {n1} chunks) {m1['peak_kib'] / 1024:7.1f} MiB "
              f"(ingest adds {add1 / 1024:.1f} MiB)")
        print(f"peak RSS  4x ({large}^2 cells, {n4} chunks) {m4['peak_kib'] / 1024:7.1f} MiB "
              f"(ingest adds {add4 / 1024:.1f} MiB)")
        if args.chunk_sweep:
            for chunk in (256, 512, 1024, large):
                m = peak_memory(src4, large, tmp / f"sweep{chunk}", chunk)
                print(f"peak RSS  4x scene, chunks {chunk:5d}^2: {m['peak_kib'] / 1024:7.1f} MiB")
        print(f"source size 1x {src1.stat().st_size / 2**20:.1f} MiB, "
              f"4x {src4.stat().st_size / 2**20:.1f} MiB; "
              f"ru_maxrss self {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MiB")
    print(f"RESULT ingest vs_gdalwarp={p_med / g_med:.2f} cpu_vs_gdalwarp={pc_med / gc_med:.2f} "
          f"peak_rss_4x_over_1x={ratio:.2f} added_rss_4x_over_1x={add4 / add1:.2f} "
          f"pair_ratio_median={statistics.median(pairs):.3f} "
          f"pair_ratio_range={pairs[0]:.3f}-{pairs[-1]:.3f} "
          f"prospect_s={p_med:.3f} gdalwarp_s={g_med:.3f} cells={size * size} "
          f"cube_sha256={digest[:16]}")


if __name__ == "__main__":
    main()
