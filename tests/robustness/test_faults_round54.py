"""Round 54, faults: a resource the system refused (a decoding buffer under ``ulimit -v``,
a new thread) read as damaged data: a resumed variable's finished chunks deleted as "do
not decode", a cube coordinate "does not read (can't start new thread); written again"
(``docs/robustness.md``, "Round 54", faults).

Real limits (``setrlimit``) in child processes, real zarr chunk files. SYNTHETIC data only.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from .conftest import REPO

needs_proc = pytest.mark.skipif(not Path("/proc/self/status").is_file(), reason="needs /proc")

_SIDE = 4096
"""A chunk's side: a float32 chunk decodes to 64 MiB, more than the limit leaves."""


def _partial_variable(tmp_path: Path, *, chunks: dict[str, bytes]) -> Path:
    """A SYNTHETIC partial variable ``v`` of ``cube.zarr`` as an interrupted ingest leaves
    it: a bytes + zstd array whose chunk files ``chunks`` are marked done."""
    import numcodecs

    array = tmp_path / ".cube.zarr.partial" / "v" / "store" / "v"
    (array / "c" / "0").mkdir(parents=True)
    meta = {
        "zarr_format": 3,
        "node_type": "array",
        "shape": [_SIDE, _SIDE * len(chunks)],
        "data_type": "float32",
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [_SIDE, _SIDE]}},
        "chunk_key_encoding": {"name": "default", "configuration": {"separator": "/"}},
        "fill_value": "NaN",
        "codecs": [
            {"name": "bytes", "configuration": {"endian": "little"}},
            {"name": "zstd", "configuration": {"level": 1, "checksum": False}},
        ],
        "attributes": {"synthetic": True},
    }
    (array / "zarr.json").write_text(json.dumps(meta))
    done = tmp_path / ".cube.zarr.partial" / "v" / "done"
    done.mkdir()
    for key, raw in chunks.items():
        (array / "c" / "0" / key).write_bytes(
            raw or numcodecs.Zstd(level=1).encode(np.zeros((_SIDE, _SIDE), "float32"))
        )
        (done / f"0.{key}").touch()
    return array


_FORGET = """
import resource, sys
from pathlib import Path
from prospect.io.cube import PartialVariable
part = PartialVariable(Path(sys.argv[1]) / "cube.zarr", "v")
size = next(int(line.split()[1]) * 1024 for line in open("/proc/self/status")
            if line.startswith("VmSize:"))
resource.setrlimit(resource.RLIMIT_AS, (size + int(sys.argv[2]) * 2**20,
                                        resource.getrlimit(resource.RLIMIT_AS)[1]))
try:
    print("forgotten", part.forget_damaged())
except MemoryError:
    print("refused")
"""
"""A resume's check of its finished chunks (:meth:`PartialVariable.forget_damaged`) with
``argv[2]`` MiB of address space left."""


def _forget(tmp_path: Path, room_mib: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_FORGET), str(tmp_path), str(room_mib)],
        capture_output=True,
        text=True,
        timeout=90,
        cwd=REPO,
    )


@needs_proc
def test_a_resumes_chunk_check_refused_memory_deletes_no_finished_chunk(
    tmp_path: Path,
) -> None:
    """An interrupted ingest resumed under ``ulimit -v``: each finished chunk file is
    decoded to see that it is whole, the decoding's 64 MiB buffer was refused, and the
    refusal ("MemoryError") was taken for a damaged chunk: every finished chunk of the
    variable was unmarked and deleted, the work done lost. Now the refusal goes on (the
    job says it as out of memory) and no chunk file or mark is touched. SYNTHETIC
    chunks."""
    array = _partial_variable(tmp_path, chunks={"0": b"", "1": b""})
    before = sorted(p.name for p in (array / "c" / "0").iterdir())
    result = _forget(tmp_path, 24)
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert "refused" in result.stdout.split(), result.stdout + result.stderr[-2000:]
    assert sorted(p.name for p in (array / "c" / "0").iterdir()) == before == ["0", "1"]
    assert len(list((array.parents[1] / "done").iterdir())) == 2


@needs_proc
def test_control_a_damaged_chunk_is_still_found_and_forgotten(tmp_path: Path) -> None:
    """Control: a chunk file whose bytes are not a zstd frame is still unmarked and
    deleted on resume, its whole neighbour kept, with memory to spare. SYNTHETIC
    chunks."""
    array = _partial_variable(tmp_path, chunks={"0": b"", "1": b"not a zstd frame"})
    result = _forget(tmp_path, 1024)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "forgotten ['c/0/1']" in result.stdout, result.stdout
    assert sorted(p.name for p in (array / "c" / "0").iterdir()) == ["0"]


_GRID = """
import os, resource, sys
from pathlib import Path
import numpy as np
import zarr
from pipelines.runner import _damaged_grid
from prospect.grid import RegionGrid
grid = RegionGrid(crs="EPSG:32631", resolution=10.0, bounds=(0, 0, 40, 40), chunks=(4, 4))
cube = Path(sys.argv[1]) / "cube.zarr"
if not cube.exists():  # written by a process of its own: zarr's thread not started here
    root = zarr.open_group(str(cube), mode="w", zarr_format=3)
    root.create_array("x", data=np.asarray(grid.x, "float64"))
    root.create_array("y", data=np.asarray(grid.y, "float64"))
    sys.exit(0)
size = next(int(line.split()[1]) * 1024 for line in open("/proc/self/status")
            if line.startswith("VmSize:"))
resource.setrlimit(resource.RLIMIT_AS, (size + int(sys.argv[2]) * 2**20,
                                        resource.getrlimit(resource.RLIMIT_AS)[1]))
try:
    print("damaged", _damaged_grid(cube, grid))
except (MemoryError, RuntimeError) as exc:
    print("refused", type(exc).__name__, exc)
sys.stdout.flush()
os._exit(0)  # zarr's own teardown joins the thread it could not start (said by the CLI's)
"""
"""The start of a run's check of the cube's grid arrays (``runner._damaged_grid``) with
``argv[2]`` MiB of address space left: zarr starts its reading thread there."""


def _grid(tmp_path: Path, room_mib: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_GRID), str(tmp_path), str(room_mib)],
        capture_output=True,
        text=True,
        timeout=90,
        cwd=REPO,
    )


@needs_proc
def test_a_cube_coordinate_read_refused_a_thread_is_not_called_damaged(
    tmp_path: Path,
) -> None:
    """``prospect score`` under ``ulimit -v 1200000`` warned "cube coordinate 'x' ...
    does not read (can't start new thread); written again from the job's grid": zarr's
    read was refused its thread (its stack) and the cube's grid was taken as damaged
    and rewritten. The refusal now goes on to the job's own line ("the system refused a
    new thread", naming the limit). SYNTHETIC cube."""
    assert _grid(tmp_path, 0).returncode == 0
    result = _grid(tmp_path, 2)
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert "does not read" not in result.stdout, result.stdout
    assert result.stdout.startswith("refused"), result.stdout + result.stderr[-2000:]


@needs_proc
def test_control_a_cube_grid_read_with_room_is_whole(tmp_path: Path) -> None:
    """Control: the same check with room to spare finds the grid whole. SYNTHETIC
    cube."""
    assert _grid(tmp_path, 0).returncode == 0
    result = _grid(tmp_path, 1024)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == "damaged None", result.stdout


@pytest.fixture(scope="module")
def empty_index_run(tmp_path_factory: pytest.TempPathFactory, scheduler: str) -> str:
    """A SYNTHETIC scene whose red (B04) covers the region's west half, near infrared (B08)
    its east half and green (B03) none of it (every cell its nodata), run through ingest
    and indices (NDVI): what the run printed, on one line."""
    import rasterio
    import yaml
    from rasterio.transform import from_origin

    from .conftest import run_in_process

    root = tmp_path_factory.mktemp("empty_index")
    left, top = 687500.0, 5752400.0
    rng = np.random.default_rng(54)
    values = {
        "B04": rng.uniform(0.03, 0.08, (40, 40)),
        "B08": rng.uniform(0.2, 0.5, (40, 40)),
        "B03": np.full((40, 40), -9999.0),
    }
    values["B04"][:, 20:] = -9999.0
    values["B08"][:, :20] = -9999.0
    for name, arr in values.items():
        with rasterio.open(
            root / f"{name}.tif",
            "w",
            driver="GTiff",
            width=40,
            height=40,
            count=1,
            dtype="float32",
            crs="EPSG:32631",
            transform=from_origin(left, top, 30.0, 30.0),
            nodata=-9999.0,
        ) as dst:
            dst.write(arr.astype("float32"), 1)
    job = {
        "name": "empty-index",
        "synthetic": True,
        "region": {
            "name": "r",
            "crs": "EPSG:32631",
            "resolution": 30,
            "bounds": [left, top - 1200, left + 1200, top],
            "chunks": [20, 20],
        },
        "sources": [{"kind": "raster", "name": n, "path": f"{n}.tif"} for n in values],
        "indices": {"sensor": "sentinel2", "names": ["NDVI"]},
    }
    (root / "job.yaml").write_text(yaml.safe_dump(job))
    result = run_in_process("run", root / "job.yaml", "-o", root / "out", "--scheduler", scheduler)
    text = " ".join((result.out + result.err).split())
    assert result.code == 0, text[-3000:]
    assert "Traceback" not in text and "internal error" not in text, text[-3000:]
    return text


def test_an_empty_index_is_said_once_by_the_indices_stage(empty_index_run: str) -> None:
    """SYNTHETIC: NDVI of a red and a near infrared that hold data together in no cell was
    said twice: the indices stage's line naming its bands, and the runner's generic
    "cube variable 'NDVI' has no data ... check its source's nodata value", of an index,
    which has no source. Now the stage's line alone."""
    assert "index 'NDVI' ((N - R)/(N + R)) is no data (NaN) in every cell" in empty_index_run
    assert "cube variable 'NDVI' has no data" not in empty_index_run, empty_index_run[-3000:]


def test_control_an_empty_source_variable_is_still_said(empty_index_run: str) -> None:
    """SYNTHETIC control: a source band that is its nodata in every cell (B03) is still
    said by the runner's line, with its fix."""
    assert "cube variable 'B03' has no data (every cell is no-data); check its source's" in (
        empty_index_run
    ), empty_index_run[-3000:]


_INFO = """
import resource, sys
from pathlib import Path
from prospect.errors import ProspectError
from prospect.io.raster import raster_info
import pandas, pyogrio  # loaded in a job: the error paths read with them
raster_info(Path(sys.argv[1]) / "small.tif")  # GDAL's drivers loaded, as in a job
size = next(int(line.split()[1]) * 1024 for line in open("/proc/self/status")
            if line.startswith("VmSize:"))
resource.setrlimit(resource.RLIMIT_AS, (size + int(sys.argv[2]) * 2**20,
                                        resource.getrlimit(resource.RLIMIT_AS)[1]))
try:
    raster_info(Path(sys.argv[1]) / "one_block.tif")
    print("read")
except MemoryError as exc:
    print("refused", exc)
except ProspectError as exc:
    print("said", exc)
"""
"""The planning's read of a raster (:func:`prospect.io.raster.raster_info`: its header and
its last block) with ``argv[2]`` MiB of address space left."""


def _one_block_file(tmp_path: Path) -> None:
    """A SYNTHETIC GeoTIFF stored as one 4096 x 4096 float32 tile (64 MiB decoded, a few
    KiB on disk), and a small one."""
    import rasterio
    from rasterio.transform import from_origin

    for name, side, block in (("one_block.tif", _SIDE, _SIDE), ("small.tif", 32, 16)):
        with rasterio.open(
            tmp_path / name,
            "w",
            driver="GTiff",
            width=side,
            height=side,
            count=1,
            dtype="float32",
            crs="EPSG:32631",
            transform=from_origin(687500.0, 5752400.0, 1.0, 1.0),
            nodata=-9999.0,
            tiled=True,
            blockxsize=block,
            blockysize=block,
            compress="deflate",
        ) as dst:
            dst.write(np.full((side, side), 0.5, "float32"), 1)


def _info(tmp_path: Path, room_mib: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_INFO), str(tmp_path), str(room_mib)],
        capture_output=True,
        text=True,
        timeout=90,
        cwd=REPO,
    )


@needs_proc
def test_a_raster_gdal_could_not_allocate_for_is_not_called_corrupt(tmp_path: Path) -> None:
    """``prospect ingest`` under ``ulimit -v 1400000`` of a GeoTIFF stored as one 550 MiB
    block: GDAL's "cannot allocate 576000000 bytes" was said as "cannot read as a raster
    (corrupt, truncated or not a raster)", a good file called damaged. Now it is a
    refusal of memory, said by the job as "out of memory (GDAL reading ...: cannot
    allocate ... bytes)" naming the limit. SYNTHETIC raster."""
    _one_block_file(tmp_path)
    result = _info(tmp_path, 24)
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert "corrupt" not in result.stdout, result.stdout
    assert result.stdout.startswith("refused GDAL reading "), result.stdout + result.stderr
    assert "one_block.tif: cannot allocate" in result.stdout, result.stdout


@needs_proc
def test_control_the_same_raster_with_room_reads(tmp_path: Path) -> None:
    """Control: the same file with memory to spare reads. SYNTHETIC raster."""
    _one_block_file(tmp_path)
    result = _info(tmp_path, 1024)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == "read", result.stdout


_OPEN = """
import os, resource, sys
from pathlib import Path
import numpy as np
import xarray as xr
from prospect.errors import ProspectError
from prospect.io.cube import open_cube
cube = Path(sys.argv[1]) / "cube.zarr"
if not cube.exists():  # written by a process of its own: zarr's thread not started here
    x = xr.DataArray(np.arange(4.0), dims="x", name="x")
    ds = xr.Dataset({"B04": (("y", "x"), np.zeros((4, 4), "float32"))},
                    coords={"x": np.arange(4.0), "y": np.arange(4.0), "spatial_ref": 0})
    ds.attrs["synthetic"] = True
    ds.to_zarr(cube, zarr_format=3, consolidated=True)
    sys.exit(0)
size = next(int(line.split()[1]) * 1024 for line in open("/proc/self/status")
            if line.startswith("VmSize:"))
resource.setrlimit(resource.RLIMIT_AS, (size + int(sys.argv[2]) * 2**20,
                                        resource.getrlimit(resource.RLIMIT_AS)[1]))
try:
    print("opened", sorted(open_cube(cube).data_vars))
except (MemoryError, RuntimeError) as exc:
    print("refused", type(exc).__name__, exc)
except ProspectError as exc:
    print("said", exc)
sys.stdout.flush()
os._exit(0)  # zarr's own teardown joins the thread it could not start (said by the CLI's)
"""
"""A stage's open of the cube (:func:`prospect.io.cube.open_cube`) with ``argv[2]`` MiB of
address space left: zarr starts its reading thread there."""


def _open(tmp_path: Path, room_mib: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_OPEN), str(tmp_path), str(room_mib)],
        capture_output=True,
        text=True,
        timeout=90,
        cwd=REPO,
    )


@needs_proc
def test_a_cube_open_refused_a_thread_is_not_called_unopenable(tmp_path: Path) -> None:
    """A cube opened with the system refusing zarr's reading thread (``ulimit -v``) was
    "cannot open cube: can't start new thread", a bad input's error, as if the store were
    corrupt. The refusal now goes on to the job's line of a refused thread. SYNTHETIC
    cube."""
    assert _open(tmp_path, 0).returncode == 0
    result = _open(tmp_path, 2)
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert "cannot open cube" not in result.stdout, result.stdout
    assert result.stdout.startswith("refused"), result.stdout + result.stderr[-2000:]
