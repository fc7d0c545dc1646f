"""Round 43, faults and the command line: engine options given beside ``prospect indices
--list`` (``--force``, ``--workers``, ``--scheduler``, ``--cluster``), which the listing
took without a word, and ``prospect plan job.yaml -o DIR`` of a cube far larger than the
disk holding ``DIR``, which said its size and nothing of the disk.

The jobs are the corpus's tiny SYNTHETIC raster job (a larger SYNTHETIC raster of random,
incompressible values where the cube must outgrow a disk), run through the real CLI in
this process; the small disk is a real tmpfs (``small_disk``, 40 KiB). No part of the
engine is mocked. All inputs here are small and SYNTHETIC.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from .conftest import TINY_REGION, Sandbox, SmallDisk, assert_clean_error, write_tiny_raster

# -- 1. engine options beside 'prospect indices --list' ----------------------------------


@pytest.mark.parametrize(("options", "needles"), [
    (["--force"], ["--force applies to computing a job's indices, not to --list",
                   "drop --force to list it", "prospect indices job.yaml -o out/ --force"]),
    (["--workers", "4", "--force"],
     ["--workers and --force apply to computing", "drop --workers and --force",
      "-o out/ --workers 4 --force"]),
    (["--scheduler", "tcp://127.0.0.1:8786"],
     ["--scheduler applies to computing", "--scheduler tcp://127.0.0.1:8786"]),
    (["--cluster", "SLURM"], ["--cluster applies to computing", "--cluster slurm"]),
], ids=["force", "workers-force", "scheduler", "cluster"])
def test_engine_options_beside_indices_list_are_refused(
        cli: Any, options: list[str], needles: list[str]) -> None:
    """``prospect indices --list --force`` (or ``--workers 4``, ``--scheduler ...``,
    ``--cluster slurm``) printed the catalogue, exit 0, as if the options were not there:
    a user who meant to recompute a job's indices (the job config and ``-o`` left out)
    was shown a table and believed the stage ran. ``--sensor`` or ``--json`` without
    ``--list`` were refused already; now these are too, naming them and both ways on."""
    result = cli("indices", "--list", *options)
    assert_clean_error(result, 2, *needles)
    assert "NDVI" not in result.out  # no listing printed


def test_control_indices_list_with_its_own_filters_lists(cli: Any) -> None:
    """control: ``--list --sensor landsat8 --domain mineral --json`` lists as before."""
    result = cli("indices", "--list", "--sensor", "landsat8", "--domain", "mineral",
                 "--json")
    assert result.code == 0, result.err
    assert '"name"' in result.out


# -- 2. plan --strict of a job a run's ingest stops on ---------------------------------

FAR = dict(TINY_REGION, bounds=[600000.0, 1450000.0, 600400.0, 1450400.0])
"""The tiny region moved 100 km off ``heat.tif``: no file of the job overlaps it."""


@pytest.mark.parametrize(("changes", "needles"), [
    ({"region": FAR}, ["source 'heat': none of its files overlap the region 'tiny'",
                       "check the files, their CRS or the region"]),
    ({"sources": [{"kind": "raster", "name": "heat", "path": "heat.tif",
                   "band_names": ["a", "b"]}]},
     ["heat.tif: has 1 band(s) but the config names 2 (a, b)", "list one name per band"]),
    ({"sources": [{"kind": "raster", "name": "heat", "path": "heat.tif", "variable": "t2m"}]},
     ["a GTiff file holds no variables", "remove it from the source config"]),
], ids=["region-off-the-files", "band-names-past-the-bands", "variable-of-a-geotiff"])
@pytest.mark.parametrize("as_json", [False, True], ids=["table", "json"])
def test_plan_strict_exits_1_on_a_source_a_run_stops_on(
        sandbox: Sandbox, cli: Any, changes: dict[str, Any], needles: list[str],
        as_json: bool) -> None:
    """``prospect plan job.yaml --strict`` ("exit 1, as a run would stop at ingest", so
    that a script can tell whether the job can run) warned "... a run of this job stops at
    ingest on it" of a region off every file, band names past the file's bands or a
    ``variable:`` of a GeoTIFF, and exited 0: the script went on to a run that failed at
    once (exit 1, its output folder made). Now it exits 1 after the plan, naming the
    source's fault, its place in the config and ``plan --strict``."""
    sandbox.write_job(**changes)
    result = cli("plan", sandbox.job_path, "--strict", *(["--json"] if as_json else []))
    line = assert_clean_error(result, 1, *needles, "job.yaml:", "plan --strict: exit 1")
    assert line.count("a run of this job stops at ingest") == 1
    assert ("{" in result.out) if as_json else ("plan of job tiny" in result.out)
    assert sandbox.untouched()


def test_control_plan_without_strict_warns_and_exits_0(sandbox: Sandbox, cli: Any) -> None:
    """control: the same job planned without ``--strict`` warns and exits 0 (a job planned
    before its data fit, as before), and a sound job plans ``--strict`` with exit 0."""
    sandbox.write_job(region=FAR)
    result = cli("plan", sandbox.job_path)
    assert result.code == 0, result.err
    assert "a run of this job stops at ingest" in result.err
    sandbox.write_job()
    result = cli("plan", sandbox.job_path, "--strict")
    assert result.code == 0, result.err


# -- 3. a cube far larger than the disk of -o --------------------------------------------

WIDE = dict(TINY_REGION, bounds=[500000.0, 1348400.0, 502000.0, 1350400.0], chunks=[100, 100])
"""A region of 200 x 200 cells of 10 m: one float32 layer is 156 KiB uncompressed."""


@pytest.fixture()
def wide(sandbox: Sandbox) -> Sandbox:
    """The sandbox's ``heat.tif`` made 200 x 200 random (incompressible) values covering
    :data:`WIDE`, its job on that region."""
    write_tiny_raster(sandbox.root / "heat.tif",
                      values=np.random.default_rng(43).random((200, 200)).astype("float32"))
    sandbox.write_job(region=WIDE)
    return sandbox


def test_plan_with_out_on_a_disk_too_small_for_the_cube_warns(
        wide: Sandbox, cli: Any, small_disk: SmallDisk) -> None:
    """``prospect plan job.yaml -o /small/disk/out`` printed "cube on disk: 156.2 KiB"
    and not a word of the 40 KiB free on the disk of ``-o``: the run computed until that
    disk was full and stopped there, its output half written. Now a warning names the
    cube's size, the disk's free space and what to do, and plan writes nothing."""
    out = small_disk.root / "out"
    result = cli("plan", wide.job_path, "-o", out)
    assert result.code == 0, result.err[-2000:]
    lines = [line for line in result.err.splitlines() if line.startswith("warning:")]
    said = [line for line in lines if "free" in line]
    assert len(said) == 1, result.err
    for needle in (f"{out}: the cube takes 156.2 KiB uncompressed", "about 78.1 KiB",
                   f"the disk holding {small_disk.root} has", "likely to stop on a full disk",
                   "give -o on a larger disk"):
        assert needle in said[0], said[0]
    assert "Traceback" not in result.err
    assert not out.exists()
    assert wide.untouched()


def test_a_run_onto_a_disk_too_small_for_the_cube_warns_before_it_computes(
        wide: Sandbox, cli: Any, small_disk: SmallDisk, scheduler: str) -> None:
    """``prospect run`` of the same job with ``-o`` on the 40 KiB disk computed its chunks
    and ended with "the disk is full; free space, then run the same command again", no
    word before of a cube four times the disk's free space (on a real job: hours of work
    lost to a disk that could never hold it). The run still stops on the full disk (a
    cube with cells without data may fit), now after a warning at the ingest's start
    naming the sizes."""
    out = small_disk.root / "out"
    result = cli("run", wide.job_path, "-o", out, "--scheduler", scheduler)
    assert_clean_error(result, 74, "the disk is full")
    # the warning is wrapped to the terminal, inside the path where it is long (CI's
    # pytest folders): compared without white space
    text = "".join(result.err.split())
    warned = text.find("".join(f"warning: {out}: the cube takes 156.2 KiB uncompressed"
                               .split()))
    assert warned != -1, result.err
    assert "likelytostoponafulldisk" in text[warned:]
    assert warned < text.find("error:")
    assert wide.untouched()


def test_control_plan_with_out_on_a_disk_large_enough_says_nothing_of_it(
        sandbox: Sandbox, cli: Any, small_disk: SmallDisk) -> None:
    """control: the tiny job (a 6.2 KiB cube) planned onto the same 40 KiB disk, and the
    wide one onto the sandbox's own disk, have no word of disk space."""
    result = cli("plan", sandbox.job_path, "-o", small_disk.root / "out")
    assert result.code == 0, result.err[-2000:]
    assert "free" not in result.err
    write_tiny_raster(sandbox.root / "heat.tif",
                      values=np.random.default_rng(43).random((200, 200)).astype("float32"))
    sandbox.write_job(region=WIDE)
    result = cli("plan", sandbox.job_path, "-o", sandbox.out)
    assert result.code == 0, result.err[-2000:]
    assert "free" not in result.err


def test_control_a_run_with_room_for_its_cube_says_nothing_of_the_disk(
        wide: Sandbox, cli: Any, scheduler: str) -> None:
    """control: the wide job run onto the sandbox's own disk finishes without a word of
    disk space."""
    result = cli("run", wide.job_path, "-o", wide.out, "--scheduler", scheduler)
    assert result.code == 0, result.err[-2000:]
    assert "free" not in result.err
    assert wide.untouched()
