"""Composite benchmark: Prospect's load-and-median against odc-stac and stackstac.

All three read the same items, found through the same STAC API (stac-fastapi-geoparquet
on loopback, in a process of its own), whose COGs are served with HTTP range requests and
read through GDAL's ``/vsicurl/``; all three put them on the same grid (the scenes' own
10 m grid; the 20 m band resampled bilinearly) and take the per-band median over time with
two threads. Each run is a fresh process that first warms up (one untimed load-and-median
of other items of the series on the same grid: the code, GDAL and the connection are warm,
but the timed items' bytes are not already in GDAL's cache, as in a job that reads each
item once) and then times one; the methods alternate and the medians are compared. Peak
RSS is the process's own (``VmHWM``), CPU time the process's too. The scenes are
SYNTHETIC (``prospect.testing.stac``). Also measured: Prospect's peak RSS with 40 scenes
over that with 10 (memory must not grow with the number of scenes beyond one chunk per
scene).

Peers: ``pip install odc-stac`` (the ``bench`` extra) and ``pip install --no-deps
stackstac`` (it pins pandas<3); a missing peer is reported and skipped.

Usage: ``python benchmarks/bench_composite.py [--quick]``. The last line is
``RESULT composite speedup_vs_odc_stac=<x> peak_rss_vs_odc_stac=<ratio> ...``.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BANDS = ["blue", "red", "nir", "swir16"]
CHUNK = 256
THREADS = 2


def _scale_offset(item: dict, band: str) -> tuple[float, float]:
    rb = item["assets"][band].get("raster:bands", [{}])[0]
    return float(rb.get("scale", 1.0)), float(rb.get("offset", 0.0))


def run_prospect(items_path: Path, bounds: tuple[float, ...], crs: str):
    from concurrent.futures import ThreadPoolExecutor

    import numpy as np

    from prospect.config.sources import RasterSource
    from prospect.grid import RegionGrid
    from prospect.ingest.composite import plan_composite

    grid = RegionGrid(crs=crs, resolution=10.0, bounds=tuple(bounds), chunks=(CHUNK, CHUNK))
    source = RasterSource(name="s2", stac=str(items_path), assets={b: b for b in BANDS},
                          composite={"method": "median", "count_variable": False})
    layers = plan_composite(source, grid)
    windows = list(grid.chunk_windows())
    out = {layer.name: np.empty(grid.shape, dtype=np.float32) for layer in layers}

    def one(job):
        layer, w = job
        out[layer.name][w.rows, w.cols] = layer.compute(grid, w)

    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(one, [(la, w) for la in layers for w in windows]))
    return out


def run_odc(items_path: Path, bounds: tuple[float, ...], crs: str):
    import odc.stac
    import pystac
    from odc.geo.geobox import GeoBox

    items = list(pystac.ItemCollection.from_file(str(items_path)))
    geobox = GeoBox.from_bbox(tuple(bounds), crs=crs, resolution=10)
    ds = odc.stac.load(items, bands=BANDS, geobox=geobox, chunks={"x": CHUNK, "y": CHUNK},
                       resampling="bilinear", dtype="float32")
    med = ds.median("time").compute(scheduler="threads", num_workers=THREADS)
    first = items[0].to_dict()
    return {b: med[b].values * _scale_offset(first, b)[0] + _scale_offset(first, b)[1]
            for b in BANDS}


def run_stackstac(items_path: Path, bounds: tuple[float, ...], crs: str):
    import numpy as np
    import pystac
    import stackstac
    from rasterio.enums import Resampling

    items = list(pystac.ItemCollection.from_file(str(items_path)))
    arr = stackstac.stack(items, assets=BANDS, epsg=int(crs.split(":")[1]), resolution=10,
                          bounds=tuple(bounds), chunksize=CHUNK,
                          resampling=Resampling.bilinear, dtype="float32",
                          fill_value=np.float32(np.nan), rescale=False)
    med = arr.median("time").compute(scheduler="threads", num_workers=THREADS)
    first = items[0].to_dict()
    return {b: med.sel(band=b).values * _scale_offset(first, b)[0]
            + _scale_offset(first, b)[1] for b in BANDS}


METHODS = {"prospect": run_prospect, "odc_stac": run_odc, "stackstac": run_stackstac}


def _peak_rss_mb() -> float:
    """This process's own peak RSS in MiB.

    ``VmHWM`` from ``/proc/self/status`` (Linux): ``ru_maxrss`` would not do, because Linux
    carries the parent's RSS at fork over into the child's ``ru_maxrss``, so every child
    would report at least the benchmark driver's memory.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(method: str, items_path: Path, bounds: list[float], crs: str, save: Path | None,
          warm: Path | None = None) -> None:
    """One process: warm up, time one load-and-median, report seconds and peak RSS.

    The warm-up reads ``warm`` (other items of the same series on the same grid: the
    code, GDAL's drivers and the HTTP connection are warm, the timed items' bytes are not
    in GDAL's cache, as in a job that reads each item once), else the timed items.
    """
    import numpy as np

    fn = METHODS[method]
    base = _peak_rss_mb()  # numpy only: before the method's own imports
    fn(warm or items_path, bounds, crs)
    start, cpu = time.perf_counter(), time.process_time()
    result = fn(items_path, bounds, crs)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    if save is not None:
        np.savez(save, **result)
    peak = _peak_rss_mb()
    print("CHILD " + json.dumps({"seconds": seconds, "cpu_s": cpu, "peak_rss_mb": peak,
                                 "added_rss_mb": peak - base}), flush=True)


def spawn(method: str, items: Path, bounds, crs, save: Path | None = None,
          warm: Path | None = None) -> dict | None:
    cmd = [sys.executable, __file__, "--child", method, "--items", str(items),
           "--bounds", json.dumps(list(bounds)), "--crs", crs]
    if warm is not None:
        cmd += ["--warm", str(warm)]
    if save is not None:
        cmd += ["--save", str(save)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    for line in proc.stdout.splitlines():
        if line.startswith("CHILD "):
            return json.loads(line[6:])
    print(f"  {method} failed: {proc.stderr.strip().splitlines()[-1:]}")
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small scene, 2 runs each")
    parser.add_argument("--child")
    parser.add_argument("--items", type=Path)
    parser.add_argument("--bounds")
    parser.add_argument("--crs")
    parser.add_argument("--save", type=Path)
    parser.add_argument("--warm", type=Path)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.items, json.loads(args.bounds), args.crs, args.save,
              args.warm)
        return

    import numpy as np
    import pystac_client

    from prospect.testing.stac import make_series

    size_m, scenes, repeats = (1280.0, 10, 2) if args.quick else (5120.0, 12, 3)
    with tempfile.TemporaryDirectory(prefix="bench-composite-") as tmp:
        root = Path(tmp)
        info = make_series(root / "series", n_scenes=40, size_m=size_m, landsat=False,
                           seed=7)
        server = subprocess.Popen(
            [sys.executable, "-c", "import sys; from prospect.testing.stac import "
             "serve_forever; serve_forever(sys.argv[1])", str(root / "series")],
            stdout=subprocess.PIPE, text=True)
        try:
            url = server.stdout.readline().strip()  # type: ignore[union-attr]
            found = pystac_client.Client.open(url).search(
                collections=["sentinel-2-l2a"], bbox=info.items["sentinel-2-l2a"][0]["bbox"],
                max_items=200)
            every = sorted((it.to_dict() for it in found.items()),
                           key=lambda d: d["properties"]["datetime"])
            paths = {}
            for n in sorted({scenes, 10, 40}):
                paths[n] = root / f"items{n}.json"
                paths[n].write_text(json.dumps({"type": "FeatureCollection",
                                                "features": every[:n]}))
            # the warm-up reads the last items of the series: the same grid and count,
            # other files (disjoint from the timed ones while scenes <= 20)
            warm = root / "warm.json"
            warm.write_text(json.dumps({"type": "FeatureCollection",
                                        "features": every[-scenes:]}))
            print(f"{len(every)} SYNTHETIC items from {url}; timing {scenes} scenes of "
                  f"{int(size_m // 10)}^2 cells, {len(BANDS)} bands, {THREADS} threads")
            methods = [m for m in METHODS if m == "prospect" or _available(m)]
            times: dict[str, list[float]] = {m: [] for m in methods}
            rss: dict[str, list[float]] = {m: [] for m in methods}
            added: dict[str, list[float]] = {m: [] for m in methods}
            cpus: dict[str, list[float]] = {m: [] for m in methods}
            for r in range(repeats):
                for m in methods:
                    got = spawn(m, paths[scenes], info.bounds, info.crs,
                                save=root / f"{m}.npz" if r == 0 else None, warm=warm)
                    if got:
                        times[m].append(got["seconds"])
                        rss[m].append(got["peak_rss_mb"])
                        added[m].append(got["added_rss_mb"])
                        cpus[m].append(got["cpu_s"])
                        print(f"  run {r + 1} {m}: {got['seconds']:.2f} s "
                              f"(CPU {got['cpu_s']:.2f} s), "
                              f"peak RSS {got['peak_rss_mb']:.0f} MiB "
                              f"(+{got['added_rss_mb']:.0f} over numpy alone)")
            ours = np.load(root / "prospect.npz")
            for m in methods[1:]:
                if (root / f"{m}.npz").exists():
                    theirs = np.load(root / f"{m}.npz")
                    diff = max(float(np.nanmax(np.abs(ours[b] - theirs[b]))) for b in BANDS)
                    print(f"  max |prospect - {m}| over the bands: {diff:.5f}")
            mem = {n: spawn("prospect", paths[n], info.bounds, info.crs, warm=warm)
                   for n in (10, 40)}
        finally:
            server.kill()
    med = {m: statistics.median(v) for m, v in times.items() if v}
    peak = {m: statistics.median(v) for m, v in rss.items() if v}
    grew = {m: statistics.median(v) for m, v in added.items() if v}
    cpu = {m: statistics.median(v) for m, v in cpus.items() if v}
    for m in med:
        print(f"median {m}: {med[m]:.2f} s (CPU {cpu[m]:.2f} s), peak RSS {peak[m]:.0f} MiB "
              f"(+{grew[m]:.0f} MiB over numpy alone)")
    scaling = (mem[40]["peak_rss_mb"] / mem[10]["peak_rss_mb"]) if all(mem.values()) \
        else float("nan")
    print(f"prospect peak RSS, 40 scenes over 10: {scaling:.2f}")
    fields = [f"speedup_vs_odc_stac={med['odc_stac'] / med['prospect']:.2f}"
              if "odc_stac" in med else "speedup_vs_odc_stac=nan",
              f"peak_rss_vs_odc_stac={peak['prospect'] / peak['odc_stac']:.2f}"
              if "odc_stac" in peak else "peak_rss_vs_odc_stac=nan"]
    if "stackstac" in med:
        fields.append(f"speedup_vs_stackstac={med['stackstac'] / med['prospect']:.2f}")
    fields += [f"rss_40_over_10_scenes={scaling:.2f}", f"quick={int(args.quick)}"]
    print("RESULT composite " + " ".join(fields))


def _available(method: str) -> bool:
    import importlib.util

    name = {"odc_stac": "odc.stac", "stackstac": "stackstac"}[method]
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


if __name__ == "__main__":
    main()
