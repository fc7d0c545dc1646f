"""Ingest vs gdalwarp on the same reprojection, and peak memory at 1x and 4x scene area.

Both tools reproject the same lon/lat GeoTIFF onto the same UTM grid with bilinear
resampling and write a compressed, tiled result: Prospect's ingest stage
(:func:`pipelines.stages.ingest.run`, the code ``prospect ingest`` runs, without a dask
cluster) writes a zarr v3 cube (chunk by chunk, resumable, with provenance), ``gdalwarp``
(Debian's gdal-bin) writes a GeoTIFF. Both run on one thread. Runs alternate; medians are
reported with their ratio.

The memory check runs the ingest stage in a fresh process on a scene and on a scene with
4x the area (same chunk shape) and reports each process's peak RSS, and the peak minus the
RSS after imports (what ingest itself adds).

The installed ``prospect`` package is benchmarked (``pip install -e .``, or ``PYTHONPATH``).

Usage: ``python benchmarks/bench_ingest.py [--quick]``. Last line:
``RESULT ingest vs_gdalwarp=<prospect/gdalwarp time> peak_rss_4x_over_1x=<ratio> ...``
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
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


def ingest_stage(src: Path, grid: RegionGrid, out_dir: Path) -> None:
    """Run the ingest stage on a one-source job (``src`` onto ``grid``) into ``out_dir``."""
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
    run(RunContext(job=job, out_dir=out_dir, grid=grid, console=Console(quiet=True)))


def run_prospect(src: Path, grid: RegionGrid, out: Path) -> float:
    shutil.rmtree(out, ignore_errors=True)
    start = time.perf_counter()
    ingest_stage(src, grid, out)
    return time.perf_counter() - start


def run_gdalwarp(src: Path, grid: RegionGrid, out: Path) -> float:
    out.unlink(missing_ok=True)
    left, bottom, right, top = grid.bounds
    cmd = ["gdalwarp", "-q", "-overwrite", "-t_srs", CRS, "-te", str(left), str(bottom),
           str(right), str(top), "-tr", str(grid.resolution), str(grid.resolution),
           "-r", "bilinear", "-ot", "Float32", "-dstnodata", "nan",
           "-co", "TILED=YES", "-co", "BLOCKXSIZE=512", "-co", "BLOCKYSIZE=512",
           "-co", "COMPRESS=ZSTD", "-co", "ZSTD_LEVEL=3", str(src), str(out)]
    start = time.perf_counter()
    subprocess.run(cmd, check=True, env={"GDAL_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"})
    return time.perf_counter() - start


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
    with tempfile.TemporaryDirectory(prefix="bench_ingest_") as tmp_s:
        tmp = Path(tmp_s)
        grid = target_grid(size)
        src = make_source(tmp / "src.tif", grid)
        print(f"reprojection: {src.stat().st_size / 2**20:.1f} MiB lon/lat GeoTIFF -> "
              f"{grid.shape[0]} x {grid.shape[1]} UTM grid at 10 m, bilinear, chunks {CHUNKS}")
        run_prospect(src, grid, tmp / "warm")  # warm caches and imports
        pros, gdal = [], []
        for i in range(repeats):
            order = [("p", run_prospect), ("g", run_gdalwarp)]
            if i % 2:
                order.reverse()
            for tag, fn in order:
                target = tmp / ("cube" if tag == "p" else "warp.tif")
                (pros if tag == "p" else gdal).append(fn(src, grid, target))
        p_med, g_med = statistics.median(pros), statistics.median(gdal)
        # same values? compare a sample of the two outputs
        from prospect.io.cube import open_cube

        cube = open_cube(tmp / "cube" / "cube.zarr")["band"][:256, :256].values
        with rasterio.open(tmp / "warp.tif") as ds:
            warp = ds.read(1, window=rasterio.windows.Window(0, 0, 256, 256))
        both = np.isfinite(cube) & np.isfinite(warp)
        max_diff = float(np.abs(cube[both] - warp[both]).max()) if both.any() else float("nan")
        print(f"prospect ingest  median {p_med:7.3f} s   runs {[round(t, 3) for t in pros]}")
        print(f"gdalwarp         median {g_med:7.3f} s   runs {[round(t, 3) for t in gdal]}")
        print(f"max |prospect - gdalwarp| on a 256 x 256 sample: {max_diff:.2e}")

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
    print(f"RESULT ingest vs_gdalwarp={p_med / g_med:.2f} peak_rss_4x_over_1x={ratio:.2f} "
          f"added_rss_4x_over_1x={add4 / add1:.2f} prospect_s={p_med:.3f} gdalwarp_s={g_med:.3f} "
          f"cells={size * size}")


if __name__ == "__main__":
    main()
