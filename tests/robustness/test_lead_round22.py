"""Round 22, the lead's cases: a library that takes a job's stop signals when imported
(see docs/robustness.md, "Round 22")."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]


def test_a_slurm_job_interrupted_after_dask_jobqueue_loads_stops_as_interrupted() -> None:
    """``dask_jobqueue`` sets SIGINT to ``sys.exit()`` when it is imported, which the job
    did mid-run for ``--cluster slurm``/``pbs``: Ctrl-C then ended the job as a success
    (``SystemExit``, exit code 0) and a helper thread that found the output directory taken
    could not stop it (it stopped a CI run's own test process instead). The job's handler
    now stands after the import: the interrupt is a stop, as everywhere else."""
    pytest.importorskip("dask_jobqueue")
    script = textwrap.dedent("""
        import os, signal, time
        from pipelines.cluster import jobqueue_cluster
        from pipelines.faults import Stopped, stop_signals_interrupt

        try:
            with stop_signals_interrupt():
                cluster, _ = jobqueue_cluster("slurm", dashboard=":0")
                cluster.close()
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(30)
                print("not stopped")
        except Stopped:
            print("stopped")
        except SystemExit:
            print("exited")
    """)
    run = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True,
                         text=True, timeout=120,
                         env={**os.environ, "PYTHONPATH": str(REPO)})
    assert run.stdout.strip().splitlines()[-1:] == ["stopped"], run.stdout + run.stderr


def test_the_handlers_before_an_import_stand_after_it() -> None:
    """The mechanism itself, in this process: a handler the block found is put back
    whatever the code in it set, and one set by nobody stays as it was."""
    import signal

    from pipelines.faults import signal_handlers_kept

    def mine(signum: int, frame: object) -> None:  # pragma: no cover - never sent
        pass

    before = signal.signal(signal.SIGTERM, mine)
    hangup = signal.signal(signal.SIGHUP, signal.SIG_DFL)  # as a terminal starts it (not nohup)
    try:
        with signal_handlers_kept():
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            signal.signal(signal.SIGHUP, signal.SIG_IGN)
        assert signal.getsignal(signal.SIGTERM) is mine
        assert signal.getsignal(signal.SIGHUP) is signal.SIG_DFL
    finally:
        signal.signal(signal.SIGTERM, before)
        signal.signal(signal.SIGHUP, hangup)


def test_indices_of_a_user_without_a_home_folder_compile_into_a_private_folder(
        tmp_path: Path) -> None:
    """A container's arbitrary user id without ``HOME``: ``Path.home()`` raises, and the
    numba kernels' cache folder made indices an internal error (exit 70). They now go to
    a private temporary folder, as where the cache folder is not private. Run as a user id
    without an entry in the password database (as root, with the system's Python of this
    version, as ``test_faults_round22`` does for the cluster)."""
    from .test_faults_round22 import run_as_homeless_user

    script = ("from pathlib import Path\n"
              "try:\n    Path.home(); print('has a home')\nexcept RuntimeError:\n    pass\n"
              "from prospect.indices.numba_backend import kernel_cache_dir\n"
              "print('cache', kernel_cache_dir())\n")
    run = run_as_homeless_user(script, tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "cache /tmp/prospect-kernels-" in run.stdout, run.stdout


_OPENED: list[str] | None = None


def _record_opens(event: str, args: tuple) -> None:
    if _OPENED is not None and event == "open" and isinstance(args[0], (str, Path)):
        _OPENED.append(str(args[0]))


def test_a_cogs_scratch_files_are_never_visible_beside_the_maps(tmp_path: Path) -> None:
    """rio-cogeo writes its scratch file beside its target (``tempfile`` in the target's
    folder): ``score/tmpk3j2_x.tif`` beside the maps while a COG was made, left there for
    good by a ``kill -9`` (no sweep knows the name). Every file Python opens while a COG is
    written is now inside the hidden scratch folder (the interpreter's own audit events
    list them)."""
    global _OPENED
    import numpy as np
    import xarray as xr

    from prospect.grid import RegionGrid
    from prospect.io.raster import write_cog

    grid = RegionGrid(crs="EPSG:28992", resolution=100.0,
                      bounds=(120_000.0, 440_000.0, 126_400.0, 446_400.0))
    da = xr.DataArray(np.random.default_rng(2).random((64, 64)).astype("f4"),
                      dims=("y", "x"))
    sys.addaudithook(_record_opens)  # stays for the process; records only inside the block
    _OPENED = []
    try:
        write_cog(da, tmp_path / "score" / "probability.tif", grid=grid)
        opened = list(_OPENED)
    finally:
        _OPENED = None
    beside = [p for p in opened if Path(p).parent == tmp_path / "score"
              and not Path(p).name.startswith(".")]
    assert opened and not beside, beside
    assert sorted(p.name for p in (tmp_path / "score").iterdir()) == ["probability.tif"]


def test_the_name_limits_of_a_path_too_long_to_stat_are_read_from_its_nearest_folder(
        tmp_path: Path) -> None:
    """``name_max``/``path_max`` are asked exactly of paths too long for the file system;
    ``Path.exists`` raised ENAMETOOLONG on them (a traceback wherever a caller did not
    catch it). The nearest folder that can be asked answers now."""
    from pipelines.faults import name_max, path_max

    long = tmp_path / ("a" * 300) / "b"
    assert name_max(long) == name_max(tmp_path) > 0
    assert path_max(long) == path_max(tmp_path) > 0


def test_a_cube_linked_to_another_disk_before_the_first_run_is_written_there(
        sandbox: Any, cli: Any, scheduler: str, tmp_path: Path) -> None:
    """Control: ``ln -s /bigdisk/cube.zarr out/cube.zarr`` to an empty folder before a
    first run puts the cube on another disk (docs/robustness.md, round 16); the round's
    refusal of an ``-o`` whose cube is no Prospect cube lets it through (a link to
    nothing yet stays the cube writer's one-line refusal, as since round 16)."""
    target = tmp_path / "bigdisk" / "cube.zarr"
    target.mkdir(parents=True)
    sandbox.out.mkdir()
    (sandbox.out / "cube.zarr").symlink_to(target)
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert result.code == 0, result.err[-3000:]
    assert (sandbox.out / "cube.zarr").is_symlink()
    assert (target / "zarr.json").is_file()


@pytest.mark.parametrize("url", ["https://data.example.org/wells.csv",
                                 "s3://survey-bucket/wells.csv"])
def test_a_url_where_prospect_reads_the_file_itself_is_refused_as_a_url(
        sandbox: Any, cli: Any, url: str) -> None:
    """A point table (or an outline, keys file, MTL) given as a URL was joined to the
    config's folder as a relative path (``<folder>/https:/data.example.org/wells.csv``)
    and was "not found" at the stage that read it. Refused at load now, as a URL, with
    what to do (found by serving22 for serve layers, whose fix was its own)."""
    from .conftest import assert_clean_error

    sources = sandbox.job()["sources"] + [{"kind": "points", "name": "wells", "path": url}]
    sandbox.write_job(sources=sources)
    result = cli("plan", sandbox.job_path)
    assert_clean_error(result, 2, "is a URL", "download it first")
    assert not sandbox.out.exists() and sandbox.untouched()


def test_a_serve_config_given_through_a_link_reads_its_layers_beside_the_real_file(
        tmp_path: Path) -> None:
    """Job configs take relative paths from the real file's folder, links followed (round
    22); a serve config took them from the link's folder (``path.parent.resolve()``), so
    ``serve/current.yaml -> ../bonaire/serve.yaml`` served layers that were not beside it
    ("layer COG not found"). Both follow the link now."""
    import yaml

    from prospect.config.tiles import load_serve_config

    real = tmp_path / "bonaire" / "serve.yaml"
    real.parent.mkdir()
    real.write_text(yaml.safe_dump({"title": "t", "layers": [
        {"name": "probability", "public": True, "cog": "score/probability.tif"}]}))
    link = tmp_path / "serve" / "current.yaml"
    link.parent.mkdir()
    link.symlink_to(Path("..") / "bonaire" / "serve.yaml")
    layer = load_serve_config(link).layers[0]
    assert layer.cog == real.parent / "score" / "probability.tif"
