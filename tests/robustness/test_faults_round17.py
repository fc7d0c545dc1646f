"""Fault round 17: what round 16 left (a manifest that was not strict JSON, outputs a
deleted config section took away for good) and two jobs on one output directory whose
file system does not share locks between hosts (``docs/robustness.md``, "Round 17").

Real processes throughout: the ``prospect`` CLI, real files, a real second process
holding (or having held) the output directory.

All rasters and tables here are small and SYNTHETIC.
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path
from typing import Any

import pytest

from .conftest import Sandbox, assert_clean_error, run_job
from .test_faults_round13 import _skipped, _text, _tree


def _strict(text: str) -> Any:
    """``text`` parsed as RFC 8259 JSON: the bare tokens ``NaN``, ``Infinity`` and
    ``-Infinity`` (which Python's reader takes, and ``jq``/``JSON.parse`` refuse) fail."""
    def refuse(token: str) -> Any:
        raise ValueError(f"not JSON: the bare token {token}")

    return json.loads(text, parse_constant=refuse)


# -- 1. manifest.json is strict JSON -------------------------------------------------------

def _nan_nodata(sandbox: Sandbox) -> None:
    """The sandbox's raster source given ``nodata: .nan``."""
    source = dict(sandbox.job()["sources"][0], nodata=math.nan)
    sandbox.write_job(sources=[source])
    assert "nodata: .nan" in sandbox.job_path.read_text()


def test_a_manifest_with_a_nan_nodata_is_strict_json_and_resumes(
        sandbox: Sandbox, cli, scheduler: str) -> None:
    """A source's ``nodata: .nan`` (the usual no-data of a float raster) reached the
    manifest's config and the ingest record's settings as the bare token ``NaN``: ``jq``,
    JavaScript and most readers outside Python refused the whole file. It is ``null``
    now, listed as a NaN (as a model card's are), and the rerun still takes its records
    as its own (every stage skipped)."""
    _nan_nodata(sandbox)
    result = cli("run", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert result.code == 0, result.err[-3000:]
    text = (sandbox.out / "manifest.json").read_text()
    data = _strict(text)
    assert data["config"]["sources"][0]["nodata"] is None
    assert data["non_finite_numbers"]["at"]["/config/sources/0/nodata"] == "NaN", data
    again = cli("run", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert again.code == 0 and len(_skipped(again)) == 1, again.err[-3000:]
    assert "damaged" not in _text(again), _text(again)[-3000:]
    _strict((sandbox.out / "manifest.json").read_text())
    assert sandbox.untouched()


def _seal_as_before(record: dict[str, Any]) -> str:
    """A stage record's seal as the manifest writer of round 16 took it (NaN as ``NaN``)."""
    body = {key: value for key, value in record.items() if key != "seal"}
    text = json.dumps(body, sort_keys=True, allow_nan=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def test_a_manifest_written_with_bare_nan_tokens_still_resumes(
        sandbox: Sandbox, cli, scheduler: str) -> None:
    """A manifest an earlier version wrote, with ``NaN`` tokens in its config and a
    stage's settings (sealed over them): read as before (no damaged record, the stage
    skipped), and written back as strict JSON."""
    _nan_nodata(sandbox)
    result = cli("run", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert result.code == 0, result.err[-3000:]
    path = sandbox.out / "manifest.json"
    data = json.loads(path.read_text())
    data["config"]["sources"][0]["nodata"] = math.nan
    record = data["stages"]["ingest"]
    for source in record["settings"]["sources"]:
        source["nodata"] = math.nan
    record["seal"] = _seal_as_before(record)
    path.write_text(json.dumps(data, indent=2, sort_keys=True))
    assert "NaN" in path.read_text()
    again = cli("run", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert again.code == 0 and len(_skipped(again)) == 1, again.err[-3000:]
    assert "damaged" not in _text(again), _text(again)[-3000:]
    assert not (sandbox.out / "manifest.damaged.json").exists()
    assert _strict(path.read_text())["config"]["sources"][0]["nodata"] is None


# -- 2. what a deleted config section made is kept, not deleted ---------------------------

def _removed_runs(out: Path) -> list[Path]:
    return sorted((out / "removed").iterdir()) if (out / "removed").is_dir() else []


def test_the_model_section_deleted_keeps_the_model_and_its_maps_in_removed(
        job, cli, scheduler: str) -> None:
    """The ``model`` and ``tiles`` sections deleted (by mistake, or to make room for
    another model): ``model/``, ``score/*.tif``, ``tiles/`` and ``viewer/`` were renamed
    aside and deleted, for good: a trained model and the maps a partner was given could
    not be got back. They are moved whole into ``removed/<time>-<run>/`` now, byte for
    byte, and the run names that folder; a plain rerun then skips every stage and leaves
    the folder alone."""
    config, out = job
    model, tiles = _tree(out / "model"), _tree(out / "tiles")
    cog = (out / "score" / "probability.tif").read_bytes()
    (out / "model" / "NOTES.txt").write_text("reviewed\n")
    config.pop("model")
    config.pop("tiles")
    result = run_job(cli, config, out, scheduler)
    text = _text(result)
    assert result.code == 0 and "Traceback" not in text, text[-3000:]
    for gone in ("tiles", "viewer"):  # left empty: removed too
        assert not (out / gone).exists(), (gone, text[-3000:])
    assert not list((out / "score").glob("*.tif")), text[-3000:]
    runs = _removed_runs(out)
    assert len(runs) == 1, runs
    kept = runs[0]
    assert f"kept in removed/{kept.name}/" in text, text[-3000:]
    assert _tree(kept / "model") == model
    assert _tree(kept / "tiles") == tiles
    assert (kept / "score" / "probability.tif").read_bytes() == cog
    assert (kept / "viewer" / "index.html").is_file()
    assert sorted(p.name for p in (out / "model").iterdir()) == ["NOTES.txt"]
    entry = json.loads((out / "manifest.json").read_text())["runs"][-1]
    assert entry["removed_to"] == f"removed/{kept.name}", entry
    snapshot = _tree(out / "removed")
    again = run_job(cli, config, out, scheduler)
    assert again.code == 0 and len(_skipped(again)) == 2, again.err[-3000:]
    assert _tree(out / "removed") == snapshot and "removed" not in _text(again)


def test_a_tile_layer_dropped_keeps_its_pyramid_and_archive_in_removed(
        job, cli, scheduler: str) -> None:
    """One tile layer dropped from ``tiles.layers`` (the stage still there): its pyramid
    and archive go into ``removed/`` the same way, the other layer is not touched."""
    config, out = job
    dropped = "uncertainty"
    config["tiles"]["layers"] = config["tiles"]["layers"][:1]
    pyramid = _tree(out / "tiles" / dropped)
    archive = (out / "tiles" / f"{dropped}.pmtiles").read_bytes()
    result = run_job(cli, config, out, scheduler)
    text = _text(result)
    assert result.code == 0 and "Traceback" not in text, text[-3000:]
    assert not (out / "tiles" / dropped).exists()
    (kept,) = _removed_runs(out)
    assert _tree(kept / "tiles" / dropped) == pyramid
    assert (kept / "tiles" / f"{dropped}.pmtiles").read_bytes() == archive
    assert (out / "tiles" / "probability").is_dir()


# -- 3. two jobs on one output directory, on hosts that do not share flock -----------------

_BEATING = """
import json, os, sys, time
path, beat = sys.argv[1], 0
while True:
    text = json.dumps({"pid": 31337, "host": "node-17.cluster.example",
                       "started": "2026-12-02T10:00:00+00:00", "beat": beat}).encode()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
    os.pwrite(fd, text, 0)
    os.ftruncate(fd, len(text))
    os.close(fd)
    beat += 1
    time.sleep(float(sys.argv[2]))
"""


def test_a_job_on_another_host_still_running_is_refused_where_flock_is_not_shared(
        sandbox: Sandbox, cli, scheduler: str) -> None:
    """Two batch jobs on two nodes, one output directory on a file system that does not
    share ``flock`` between hosts (NFS with ``local_lock``, Lustre ``localflock``): each
    got the lock and both wrote the same cube and manifest. Here the other node's job is
    a real process rewriting the lock file as a holder does, without a ``flock`` this
    host sees. Refused now (exit 75, naming the other host), nothing written; once that
    job stops beating, the same command runs."""
    import subprocess
    import sys

    first = cli("run", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert first.code == 0, first.err[-3000:]
    manifest = (sandbox.out / "manifest.json").read_bytes()
    lock = sandbox.out / ".prospect.lock"
    other = subprocess.Popen([sys.executable, "-c", _BEATING, str(lock), "0.5"])
    try:
        import time

        time.sleep(0.3)
        result = cli("run", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    finally:
        other.kill()
        other.wait()
    assert_clean_error(result, 75, "node-17.cluster.example", "pid 31337",
                       "does not share locks between hosts", "another -o")
    assert (sandbox.out / "manifest.json").read_bytes() == manifest
    again = cli("run", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    text = _text(again)
    assert again.code == 0 and "watching it" in text, text[-3000:]
    info = json.loads(lock.read_text())
    assert info["host"] != "node-17.cluster.example" and info.get("released"), info
    assert sandbox.untouched()


def test_a_released_lock_of_a_job_on_another_host_is_not_watched(
        sandbox: Sandbox, cli, scheduler: str) -> None:
    """Control: a job on another node that ended (killed or not) and marked its lock
    released costs the next job on this node nothing: no watch, no wait."""
    lock = sandbox.out / ".prospect.lock"
    sandbox.out.mkdir()
    lock.write_text(json.dumps({"pid": 31337, "host": "node-17.cluster.example",
                                "started": "2026-12-02T10:00:00+00:00", "beat": 40,
                                "released": "2026-12-02T10:01:20+00:00"}))
    result = cli("run", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert result.code == 0 and "watching" not in _text(result), _text(result)[-3000:]


# -- 4. a cube variable's metadata edited into other valid metadata -----------------------

def _edit_heat(cube: Path, edit: str, *, own: bool = True, listed: bool = True) -> None:
    """Edit variable ``heat``'s ``zarr.json`` (``own``) and its copy in the cube's
    consolidated metadata (``listed``), as a user or a tool would, leaving valid JSON."""
    def change(meta: dict[str, Any]) -> None:
        if edit == "scale_factor":
            meta["attributes"]["scale_factor"] = 1000.0
        elif edit == "fill_value":
            meta["fill_value"] = 0.0
            meta["attributes"].pop("_FillValue", None)
        else:
            meta["attributes"]["units"] = "mW m-2"

    if own:
        meta = json.loads((cube / "heat" / "zarr.json").read_text())
        change(meta)
        (cube / "heat" / "zarr.json").write_text(json.dumps(meta, indent=2))
    if listed:
        root = json.loads((cube / "zarr.json").read_text())
        change(root["consolidated_metadata"]["metadata"]["heat"])
        (cube / "zarr.json").write_text(json.dumps(root, indent=2))


@pytest.mark.parametrize(("edit", "own"), [("scale_factor", True), ("fill_value", True),
                                           ("units", True), ("scale_factor", False)])
def test_a_variables_metadata_edited_is_written_again_not_read_as_it_says(
        sandbox: Sandbox, cli, scheduler: str, edit: str, own: bool) -> None:
    """``heat/zarr.json`` (and the cube's consolidated copy) edited into other valid
    metadata: ``"scale_factor": 1000`` added, the fill value set to 0, the units changed,
    or the consolidated copy alone given a ``scale_factor``. Every chunk file kept its
    name and size, so ingest was skipped as finished and every later read took each
    value 1000 times over (or a missing chunk as 0). The change is found and the
    variable written again, its values those of the raster."""
    import rasterio

    from prospect.io.cube import open_cube

    result = cli("run", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert result.code == 0, result.err[-3000:]
    cube = sandbox.out / "cube.zarr"
    before = (cube / "heat" / "zarr.json").read_bytes()
    _edit_heat(cube, edit, own=own)
    again = cli("run", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    text = _text(again)
    assert again.code == 0 and "Traceback" not in text, text[-3000:]
    assert "running again" in text and not _skipped(again), text[-3000:]
    assert (cube / "heat" / "zarr.json").read_bytes() == before
    with rasterio.open(sandbox.root / "heat.tif") as src:
        want = src.read(1)
    import numpy as np

    with open_cube(cube) as ds:
        np.testing.assert_array_equal(ds["heat"].values, want)
        assert ds["heat"].attrs.get("units") == "1" and "scale_factor" not in ds["heat"].attrs
    third = cli("run", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert third.code == 0 and len(_skipped(third)) == 1, third.err[-3000:]


def test_outputs_on_a_volume_of_their_own_are_copied_into_removed(
        job, cli, scheduler: str, small_disk) -> None:
    """``tiles/`` a mount point of its own inside ``-o`` (a volume of its own in a
    Kubernetes pod, a bind mount to a web server's disk): the outputs of a deleted
    ``tiles`` section cannot be renamed into ``removed/``; they are copied there whole,
    then removed from the volume, byte for byte the same."""
    import shutil
    import subprocess

    config, out = job
    small_disk.remount("size=16m")
    tiles = _tree(out / "tiles")
    shutil.copytree(out / "tiles", small_disk.root / "tiles", symlinks=True)
    shutil.rmtree(out / "tiles")
    (out / "tiles").mkdir()
    bound = subprocess.run(["mount", "--bind", str(small_disk.root / "tiles"),
                            str(out / "tiles")], capture_output=True, text=True)
    if bound.returncode != 0:
        pytest.skip(f"cannot bind-mount here: {bound.stderr.strip()}")
    try:
        assert _tree(out / "tiles") == tiles
        config.pop("tiles")
        result = run_job(cli, config, out, scheduler)
        text = _text(result)
        assert result.code == 0 and "Traceback" not in text, text[-3000:]
        (kept,) = _removed_runs(out)
        assert _tree(kept / "tiles") == tiles
        assert not list((out / "tiles").iterdir()), text[-3000:]
        assert not [p for p in kept.rglob(".*") if "staging" in p.name]
    finally:
        subprocess.run(["umount", "-l", str(out / "tiles")], capture_output=True)
