"""Round 57, faults: GDAL refused a worker the memory of a block (a file stored as one
strip of the whole image, a big tile, the worker's ``ulimit -v`` or batch job's limit)
and the chunk's read called it "band 1 has a damaged block ... download or copy the file
again", exit 65: the file was blamed for the worker's memory, and the job's out-of-memory
line (round 55's "rewrite it tiled") never met it (round 55 left it: "without the file's
name").

Real refusals: a child Python opens the files as the planning does, then lowers its own
address-space limit (``RLIMIT_AS``, what ``ulimit -v`` sets) and reads one chunk the way
a worker does; the error is sent through pickle as a worker's reaches the job. SYNTHETIC
data: GeoTIFFs of ones, one stored as one strip of the whole image, one in big tiles.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from .conftest import REPO

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/status").is_file(), reason="needs /proc to set the memory limit"
)

_CHILD = """
import json, pickle, resource, sys
import numpy as np, rasterio
from rasterio.enums import Resampling
from rasterio.transform import from_origin
from pipelines.faults import out_of_memory_error
from prospect.grid import ChunkWindow, RegionGrid
from prospect.io.raster import raster_info
from prospect.io.warp import read_source_block, read_warped_window

root = sys.argv[1]

def write(name, **blocks):
    path = f"{root}/{name}"
    with rasterio.open(path, "w", driver="GTiff", width=4096, height=4096, count=1,
                       dtype="float32", crs="EPSG:32619",
                       transform=from_origin(500000, 1350000, 10, 10), compress="deflate",
                       **blocks) as dst:
        dst.write(np.ones((1, 4096, 4096), "float32"))
    return raster_info(path)

files = {"strip": write("one_block.tif", blockysize=4096),
         "tiled": write("big_tiles.tif", tiled=True, blockxsize=4096, blockysize=2048)}
grid = RegionGrid(crs="EPSG:32619", resolution=20.0,
                  bounds=(500000, 1350000 - 40960, 540960, 1350000), chunks=(256, 256))
window = ChunkWindow(0, 0, slice(0, 256), slice(0, 256))
soft, hard = resource.getrlimit(resource.RLIMIT_AS)

def vm():
    for line in open("/proc/self/status"):
        if line.startswith("VmSize:"):
            return int(line.split()[1]) * 1024

def read(how, info):
    if how == "warp":
        return read_warped_window(info, 1, grid, window, resampling=Resampling.bilinear)
    return read_source_block(info, 1, grid, window)[0]

# each read's code imported and compiled before any limit (a fresh clone has no .pyc:
# compiling a module lazily imported under the limit failed there first, in Python's words)
warm = {"strip": write("warm_strip.tif", blockysize=16),
        "tiled": write("warm_tiled.tif", tiled=True, blockxsize=256, blockysize=256)}
for how in ("warp", "block"):
    for info in warm.values():
        read(how, info)

said = {}
for how in ("warp", "block"):
    for name, info in files.items():
        key = f"{how}-{name}"
        limit = vm() + 8 * 2**20  # a block of 64 or 32 MiB does not fit
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
        try:
            read(how, info)
            sent = None
        except BaseException as exc:  # what a worker sends back
            sent = pickle.dumps(exc)
        finally:
            resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
        said[key] = {"read": True}
        if sent is not None:  # as the job meets it, outside the worker's limit
            exc = pickle.loads(sent)
            line = out_of_memory_error(exc, "ingest")
            said[key] = {"type": type(exc).__name__, "error": str(exc),
                         "line": None if line is None else str(line)}
for how in ("warp", "block"):  # the controls, after every refusal (a block read whole
    for name, info in files.items():  # and cached would be given up for the next one)
        values = read(how, info)  # no limit: the same chunk reads whole
        said[f"{how}-{name}"]["after"] = [float(np.nanmin(values)), float(np.nanmax(values))]
print(json.dumps(said))
"""


@pytest.fixture(scope="module")
def refused(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """What each chunk read said under a memory limit its block does not fit, and what
    the same read gave without it (one child Python for all: about 3 s)."""
    root = tmp_path_factory.mktemp("blocks")
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_CHILD), str(root)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    said: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    said["root"] = str(root)
    return said


@pytest.mark.parametrize("how", ["warp", "block"])
def test_a_worker_refused_a_one_block_files_memory_says_rewrite_it_tiled(
    refused: dict[str, Any], how: str
) -> None:
    """SYNTHETIC: a file stored as one strip of the whole image (4096 x 4096 cells, a
    64 MiB block) read for one chunk by a worker whose memory does not hold the block
    (warped, and read in its own pixels as the cloud mask does). It was "band 1 has a
    damaged block (GDAL, while warping: ... cannot allocate 67108864 bytes) ... download
    or copy the file again" (a CorruptFileError, exit 65). Now it is a memory refusal
    naming the file, and the job's line says why smaller chunks do not help."""
    said = refused[f"{how}-strip"]
    path = f"{refused['root']}/one_block.tif"
    assert said.get("type") == "MemoryError", said
    assert said["error"] == f"GDAL reading {path}: cannot allocate 67108864 bytes", said
    line = said["line"]
    assert line is not None and line.startswith(
        f"stage ingest: out of memory (GDAL reading {path}: cannot allocate"
    ), said
    assert "one_block.tif is stored as one block of the whole image (4096 x 4096 cells)" in line
    assert "smaller chunks do not help: rewrite it tiled" in line, line
    assert "damaged" not in line and "download" not in line, line
    assert line.endswith("then run the same command again"), line


@pytest.mark.parametrize("how", ["warp", "block"])
def test_a_worker_refused_a_big_tiles_memory_says_out_of_memory_naming_the_file(
    refused: dict[str, Any], how: str
) -> None:
    """SYNTHETIC: the same refusal for a file of big tiles (2048 x 4096, 32 MiB each):
    a damaged block before; now the usual out-of-memory line ("Use smaller chunks ...,
    or give the job more memory"), naming the file GDAL was reading."""
    said = refused[f"{how}-tiled"]
    path = f"{refused['root']}/big_tiles.tif"
    assert said.get("type") == "MemoryError", said
    assert said["error"] == f"GDAL reading {path}: cannot allocate 33554432 bytes", said
    line = said["line"]
    assert line is not None and f"out of memory (GDAL reading {path}: cannot" in line, said
    assert "Use smaller chunks" in line and "give the job more memory" in line, line
    assert "damaged" not in line, line


@pytest.mark.parametrize("key", ["warp-strip", "warp-tiled", "block-strip", "block-tiled"])
def test_control_the_same_chunk_reads_whole_without_the_limit(
    refused: dict[str, Any], key: str
) -> None:
    """SYNTHETIC control: without the limit the same chunk of each file reads as its
    values (ones), in the same process after the refusal."""
    assert refused[key]["after"] == [1.0, 1.0], refused[key]


# -- a stopped batch job: the scheduler's log of a worker its clean-up killed ---------------


def _dask(*args: str, log: Path) -> subprocess.Popen[bytes]:
    """``dask ARGS`` of this environment, its output (stdout and stderr) to ``log``."""
    dask = Path(sys.executable).with_name("dask")
    with log.open("wb") as out:
        return subprocess.Popen([str(dask), *args], cwd=REPO, stdout=out, stderr=out)


def _scheduler_log_after_a_killed_worker(tmp_path: Path, *preload: str) -> str:
    """What a ``dask scheduler`` (started with ``preload``) logs when a worker it awaits
    (the removal of a worker plugin, as a stopped run's lock asks) is SIGKILLed: the batch
    script's clean-up killing the workers' step. Real processes, as the script starts
    them; the client here is the run."""
    import asyncio
    import signal
    import threading
    import time

    from distributed import Client
    from distributed.diagnostics.plugin import WorkerPlugin

    class _SlowTeardown(WorkerPlugin):
        async def teardown(self, worker: Any) -> None:
            await asyncio.sleep(30)  # the worker still answering when it is killed

    sched_file = tmp_path / "scheduler.json"
    log = tmp_path / "scheduler.log"
    common = ("--scheduler-file", str(sched_file), "--host", "127.0.0.1", "--no-dashboard")
    scheduler = _dask("scheduler", "--port", "0", *common, *preload, log=log)
    worker = None
    try:
        deadline = time.monotonic() + 60
        while not (sched_file.is_file() and sched_file.stat().st_size):
            assert scheduler.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        worker = _dask(
            "worker", "--no-nanny", "--nthreads", "1", *common, *preload,
            log=tmp_path / "worker.log",
        )  # fmt: skip
        with Client(scheduler_file=str(sched_file), timeout="60s") as client:
            client.wait_for_workers(1, timeout=60)
            client.register_plugin(_SlowTeardown(), name="slow")

            def remove() -> None:
                with contextlib.suppress(Exception):  # the worker's going, said to the run
                    client.unregister_worker_plugin("slow")

            removal = threading.Thread(target=remove, daemon=True)
            removal.start()
            time.sleep(1.0)  # the scheduler waits on the worker's teardown
            worker.send_signal(signal.SIGKILL)
            worker.wait(timeout=30)
            removal.join(timeout=30)
            time.sleep(0.5)  # the scheduler logs the reset connection
    finally:
        if worker is not None and worker.poll() is None:
            worker.kill()
        scheduler.terminate()
        scheduler.wait(timeout=30)
    return log.read_text()


def test_a_worker_killed_under_a_stopped_runs_last_request_logs_no_traceback(
    tmp_path: Path,
) -> None:
    """SYNTHETIC, no data: round 18's USR1 stop of the batch script failed in a CI under
    load with distributed's "Lost connection to ..." and a ``CommClosedError`` traceback in
    the job's output: the run's removal of its lock's worker plugin (bounded at 5 s) was
    still waiting on a worker when the script's clean-up killed the workers' step, and
    the scheduler logged the reset connection with its traceback. The script's scheduler
    and workers preload :mod:`pipelines.worker_logs` now, which keeps the line and drops
    the traceback."""
    text = _scheduler_log_after_a_killed_worker(tmp_path, "--preload", "pipelines.worker_logs")
    assert "Lost connection to" in text, text[-3000:]
    assert "Traceback" not in text, text[-3000:]


def test_the_batch_scripts_scheduler_and_workers_preload_the_log_filters() -> None:
    """The batch script starts its ``dask scheduler`` and ``dask worker`` with the filters
    (they were the embedded cluster's only)."""
    script = (REPO / "cluster" / "prospect-job.sbatch").read_text()
    for command in ("\ndask scheduler ", "dask worker "):
        start = script.index(command)
        said = script[start : script.index(" &\n", start)]
        assert "--preload pipelines.worker_logs" in said, said


@pytest.mark.parametrize("name", ["daskcluster.yaml", "daskjob.yaml"])
def test_the_kubernetes_schedulers_and_workers_preload_the_log_filters(name: str) -> None:
    """The Kubernetes manifests' scheduler and worker containers preload the filters too
    (the same traceback where a worker pod is evicted or the job's pods are deleted)."""
    import yaml

    def containers(node: Any) -> Any:
        if isinstance(node, dict):
            if isinstance(node.get("args"), list):
                yield node
            for value in node.values():
                yield from containers(value)
        elif isinstance(node, list):
            for value in node:
                yield from containers(value)

    manifest = yaml.safe_load((REPO / "cluster" / "kubernetes" / name).read_text())
    roles = []
    for container in containers(manifest):
        args = [str(arg) for arg in container["args"]]
        if args[:1] == ["dask"]:
            roles.append(args[1])
            at = args.index("--preload") if "--preload" in args else -1
            assert at > 0 and args[at + 1] == "pipelines.worker_logs", (name, args)
    assert sorted(roles) == ["scheduler", "worker"], roles


def test_control_without_the_filters_the_killed_workers_traceback_is_logged(
    tmp_path: Path,
) -> None:
    """SYNTHETIC control: without the preload the same scheduler logs the traceback (the
    case above reaches the record it filters)."""
    text = _scheduler_log_after_a_killed_worker(tmp_path)
    assert "Lost connection to" in text and "Traceback" in text, text[-3000:]
