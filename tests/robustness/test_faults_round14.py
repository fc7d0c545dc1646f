"""Round 14 of the fault corpus: what round 13 found and left (``docs/robustness.md``,
"Round 13: faults in train, score and tiles", "Found and left"). A stage removed from
the job config, a tiles rerun read by a static server while it publishes, a tile of a
large pyramid rewritten at its own size, a ``model import`` killed mid-copy.

The whole pipeline (ingest to tiles) runs once on a small SYNTHETIC scene; each case works
on a copy of that output folder.

All rasters and tables here are small and SYNTHETIC.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from .conftest import REPO, run_job
from .test_faults_round13 import _kill_when_running, _sha, _skipped, _text, _tree


def _manifest(out: Path) -> dict[str, Any]:
    return json.loads((out / "manifest.json").read_text())


# -- 1. a stage removed from the config: what it made is not delivered -------------------

def test_the_tiles_section_removed_removes_the_tiles_the_viewer_and_their_record(
        job, cli, scheduler: str) -> None:
    """The ``tiles`` section deleted: ``tiles/``, ``viewer/`` and the stage's ``done``
    record stayed, a partner's map of a job that no longer makes one. A user's file in
    ``tiles/`` is kept; the cube, the model and the COGs are not touched."""
    config, out = job
    note = out / "tiles" / "README.txt"
    note.write_text("for the ministry\n")
    cog, model = _sha(out / "score" / "probability.tif"), _tree(out / "model")
    config.pop("tiles")
    result = run_job(cli, config, out, scheduler)
    text = _text(result)
    assert result.code == 0 and "Traceback" not in text, text[-3000:]
    for gone in ("tiles/probability", "tiles/uncertainty", "tiles/probability.pmtiles",
                 "viewer/index.html", "viewer/static", "viewer/values.js"):
        assert not (out / gone).exists(), (gone, text[-3000:])
    assert "removed tiles/probability.pmtiles" in text, text[-3000:]
    assert note.read_text() == "for the ministry\n"
    assert _sha(out / "score" / "probability.tif") == cog and _tree(out / "model") == model
    data = _manifest(out)
    assert "tiles" not in data["stages"], sorted(data["stages"])
    run = data["runs"][-1]
    assert run["dropped"] == ["tiles"] and "tiles/probability" in run["removed"], run
    assert len(_skipped(result)) == 4, text[-3000:]
    again = run_job(cli, config, out, scheduler)  # control: a plain rerun skips every stage
    assert again.code == 0 and len(_skipped(again)) == 4, again.err[-3000:]
    assert "removed" not in _text(again)


def test_the_model_section_removed_removes_the_model_and_its_maps(
        job, cli, scheduler: str) -> None:
    """The ``model`` section (and the tiles of its maps) deleted: ``model/`` and
    ``score/*.tif`` stayed for researchers, a model of a job that no longer trains one.
    A note the user put in ``model/`` is kept, the files train wrote there are removed."""
    config, out = job
    (out / "model" / "NOTES.txt").write_text("reviewed\n")
    config.pop("model")
    config.pop("tiles")
    result = run_job(cli, config, out, scheduler)
    text = _text(result)
    assert result.code == 0 and "Traceback" not in text, text[-3000:]
    assert not list((out / "score").glob("*.tif")), text[-3000:]
    assert sorted(p.name for p in (out / "model").iterdir()) == ["NOTES.txt"], text[-3000:]
    assert "kept the files it did not write: NOTES.txt" in text, text[-3000:]
    assert (out / "cube.zarr" / "zarr.json").is_file() and (out / "manifest.json").is_file()
    data = _manifest(out)
    assert set(data["stages"]) == {"ingest", "indices"}, sorted(data["stages"])
    assert data["runs"][-1]["dropped"] == ["train", "score", "tiles"]


def test_a_stage_left_out_of_the_command_keeps_its_outputs_and_record(
        job, cli, scheduler: str) -> None:
    """Control: ``prospect ingest`` (fewer stages on the command line, the config
    unchanged) removes nothing: only the config's own removal of a section deletes."""
    config, out = job
    tiles, model = _tree(out / "tiles"), _tree(out / "model")
    result = run_job(cli, config, out, scheduler, "ingest")
    assert result.code == 0 and "removed" not in _text(result), result.err[-3000:]
    assert _tree(out / "tiles") == tiles and _tree(out / "model") == model
    assert {"train", "score", "tiles"} <= set(_manifest(out)["stages"])
    again = run_job(cli, config, out, scheduler)
    assert again.code == 0 and len(_skipped(again)) == 5, again.err[-3000:]


# -- 2. a tiles rerun is published whole: never new tiles beside an old legend -----------

def _layer_state(out: Path, old: dict[str, str], new: dict[str, str]) -> dict[str, str]:
    """Which run each part of the probability layer in ``out/tiles`` is from."""
    parts = {"tile": out / "tiles" / "probability" / old["tile_key"],
             "legend": out / "tiles" / "probability" / "legend.png",
             "tilejson": out / "tiles" / "probability" / "tilejson.json",
             "archive": out / "tiles" / "probability.pmtiles"}
    state = {}
    for part, path in parts.items():
        try:
            digest = _sha(path)
        except OSError:
            state[part] = "absent"
            continue
        state[part] = "old" if digest == old[part] else "new" if digest == new[part] else "?"
    return state


def _digests(out: Path, tile_key: str) -> dict[str, str]:
    layer = out / "tiles" / "probability"
    return {"tile_key": tile_key, "tile": _sha(layer / tile_key),
            "legend": _sha(layer / "legend.png"), "tilejson": _sha(layer / "tilejson.json"),
            "archive": _sha(out / "tiles" / "probability.pmtiles")}


def test_a_tiles_rerun_never_shows_new_tiles_beside_an_old_legend_or_archive(
        finished: tuple[Path, Path], tmp_path: Path, cli, scheduler: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The palette changed and the tiles stage run again: the new pyramid was published
    before its ``legend.png``, ``tilejson.json`` and archive, so a static server reading
    ``tiles/`` saw new tiles without a legend, or beside the old archive. Every rename
    into ``tiles/`` is watched: each state a reader could see is one run's layer whole
    (parts absent in between, never a mix, never tiles without their legend)."""
    job_path, out = finished
    config = yaml.safe_load(job_path.read_text())
    config["tiles"]["layers"][0]["colormap"] = "viridis"
    reference = tmp_path / "reference"
    shutil.copytree(out, reference, symlinks=True)
    assert run_job(cli, config, reference, scheduler, "tiles").code == 0
    layer = out / "tiles" / "probability"
    tile_key = str(sorted(layer.rglob("*.png"))[0].relative_to(layer))
    old, new = _digests(out, tile_key), _digests(reference, tile_key)
    copy = tmp_path / "out"
    shutil.copytree(out, copy, symlinks=True)
    seen: list[dict[str, str]] = []
    replace = os.replace

    def watched(src: Any, dst: Any, *args: Any, **kwargs: Any) -> None:
        replace(src, dst, *args, **kwargs)
        if str(copy / "tiles") in str(dst) or str(copy / "tiles") in str(src):
            seen.append(_layer_state(copy, old, new))

    monkeypatch.setattr(os, "replace", watched)
    result = run_job(cli, config, copy, scheduler, "tiles")
    monkeypatch.setattr(os, "replace", replace)
    assert result.code == 0, result.err[-3000:]
    assert seen and seen[-1] == dict.fromkeys(seen[-1], "new"), seen
    for state in seen:
        runs = {v for v in state.values() if v != "absent"}
        assert len(runs) <= 1, state  # never one run's tiles beside another's legend
        if state["tile"] != "absent":
            assert state["legend"] != "absent" and state["tilejson"] != "absent", state
    assert _tree(copy / "tiles") == _tree(reference / "tiles")


def test_a_tiles_rerun_killed_resumes_to_the_bytes_of_an_uninterrupted_run(
        finished: tuple[Path, Path], tmp_path: Path, cli, scheduler: str) -> None:
    """Control: ``kill -9`` 0.5 s into a tiles rerun (a new palette), then the same
    command: the tiles, archives and viewer are byte-identical to an uninterrupted run's,
    and no staging folder is left."""
    job_path, out = finished
    config = yaml.safe_load(job_path.read_text())
    config["tiles"]["layers"][0]["colormap"] = "viridis"
    reference, copy = tmp_path / "reference", tmp_path / "out"
    for folder in (reference, copy):
        shutil.copytree(out, folder, symlinks=True)
    assert run_job(cli, config, reference, scheduler).code == 0
    path = copy.parent / "job.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    _kill_when_running(["run", str(path), "-o", str(copy)], copy, "tiles", after=0.5)
    resumed = cli("run", path, "-o", copy, "--scheduler", scheduler)
    assert resumed.code == 0, resumed.err[-3000:]
    for part in ("tiles", "viewer"):
        assert _tree(copy / part) == _tree(reference / part), part
    assert not [p for p in copy.rglob(".*") if ".staging-" in p.name or ".old-" in p.name]


# -- 3. a tile of a large pyramid rewritten at its own size ------------------------------

def _large(monkeypatch: pytest.MonkeyPatch) -> None:
    """Outputs of more than 2 files recorded as a large pyramid is (a pyramid of more
    than 64 tiles, at the demo scene's size)."""
    import pipelines.verify

    monkeypatch.setattr(pipelines.verify, "LISTED_FILES", 2)


def test_a_tile_of_a_large_pyramid_rewritten_at_its_own_size_is_rendered_again(
        job, cli, scheduler: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A pyramid of more than ``LISTED_FILES`` files recorded only a digest of its names
    and its total size: one tile rewritten at its own size (its mtime set back, as ``cp
    -p`` or an archive does) was skipped as finished and delivered."""
    config, out = job
    _large(monkeypatch)
    assert run_job(cli, config, out, scheduler, "tiles", "--force").code == 0
    record = _manifest(out)["stages"]["tiles"]["files"]["probability"]
    assert "sizes" not in record and record["files"] > 2, record
    tile = sorted((out / "tiles" / "probability").rglob("*.png"))[0]
    before, st = tile.read_bytes(), tile.stat()
    data = bytearray(before)
    data[len(data) // 2] ^= 0xFF
    tile.write_bytes(bytes(data))
    os.utime(tile, ns=(st.st_atime_ns, st.st_mtime_ns))
    result = run_job(cli, config, out, scheduler)
    text = _text(result)
    assert result.code == 0 and "Traceback" not in text, text[-3000:]
    assert "was rewritten since it was written" in text, text[-3000:]
    assert tile.read_bytes() == before and len(_skipped(result)) == 4


def test_a_large_pyramid_copied_with_new_mtimes_still_skips_every_stage(
        job, tmp_path: Path, cli, scheduler: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Control: a large pyramid copied without its mtimes holds the same bytes: read once,
    every stage is still skipped; a plain rerun in place skips without reading."""
    config, out = job
    _large(monkeypatch)
    assert run_job(cli, config, out, scheduler, "tiles", "--force").code == 0
    again = run_job(cli, config, out, scheduler)
    assert again.code == 0 and len(_skipped(again)) == 5, again.err[-3000:]
    copy = tmp_path / "copy"
    shutil.copytree(out, copy, copy_function=shutil.copyfile)
    result = run_job(cli, config, copy, scheduler)
    assert result.code == 0 and len(_skipped(result)) == 5, result.err[-3000:]


def test_a_file_of_a_folder_of_a_hundred_rewritten_at_its_own_size_is_seen(
        tmp_path: Path) -> None:
    """The record of a real folder of 100 files (over ``LISTED_FILES``): a file rewritten
    at its own size with its mtime set back is seen; the same bytes copied are not."""
    from pipelines.verify import LISTED_FILES, check_files, file_inventory

    out = tmp_path / "out"
    for i in range(100):
        path = out / "pyr" / str(i % 7) / f"{i}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(bytes([i]) * (100 + i))
    assert LISTED_FILES < 100
    record = file_inventory(out, {"pyr": "pyr"})
    assert check_files(out, {"pyr": "pyr"}, record) is None
    copy = tmp_path / "copy"
    shutil.copytree(out, copy, copy_function=shutil.copyfile)
    assert check_files(copy, {"pyr": "pyr"}, record) is None
    victim = out / "pyr" / "3" / "10.png"
    st = victim.stat()
    victim.write_bytes(b"\x00" * st.st_size)
    os.utime(victim, ns=(st.st_atime_ns, st.st_mtime_ns))
    why = check_files(out, {"pyr": "pyr"}, record)
    assert why is not None and "rewritten since it was written" in why, why


# -- 4. a killed model import's staging folder ------------------------------------------

_SLOW_IMPORT = """
import pathlib, sys, time
flag = pathlib.Path(sys.argv[1])
write = pathlib.Path.write_bytes
def slow(self, data):
    n = write(self, data)
    if ".staging-" in str(self):  # mid-copy: wait to be let go (or killed)
        deadline = time.monotonic() + 60
        while not flag.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
    return n
pathlib.Path.write_bytes = slow
from pipelines.cli import main
sys.exit(main(sys.argv[2:]))
"""


def _staging(registry: Path) -> list[Path]:
    return sorted(p for p in registry.glob("*/.*") if ".staging-" in p.name)


def _import_mid_copy(model: Path, registry: Path, flag: Path, *args: str
                     ) -> subprocess.Popen[bytes]:
    """A real ``prospect model import`` process, held mid-copy (its staging folder
    written in part) until ``flag`` exists."""
    env = {k: v for k, v in os.environ.items() if k != "PROSPECT_DEBUG"}
    proc = subprocess.Popen(
        [sys.executable, "-c", _SLOW_IMPORT, str(flag), "model", "import", str(model),
         "--name", "zinc", "--registry", str(registry), *args],
        cwd=REPO, env=env, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not [p for p in _staging(registry) if any(p.iterdir())]:
        assert proc.poll() is None and time.monotonic() < deadline, proc.returncode
        time.sleep(0.05)
    return proc


def test_a_killed_model_import_leaves_no_staging_folder_after_the_next_import(
        finished: tuple[Path, Path], tmp_path: Path, cli) -> None:
    """``kill -9`` of ``prospect model import`` mid-copy: its hidden staging folder (part
    of a model) stayed in the registry for ever. The next import removes it: with the
    registry's import lock held by no one, no import is writing one."""
    _, out = finished
    registry = tmp_path / "registry"
    proc = _import_mid_copy(out / "model", registry, tmp_path / "go")
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    left = _staging(registry)
    assert left, "the killed import left no staging folder to sweep"
    result = cli("model", "import", out / "model", "--name", "zinc", "--registry", registry)
    assert result.code == 0, (result.out + result.err)[-3000:]
    assert _staging(registry) == [], _staging(registry)
    listed = cli("model", "list", "--registry", registry)
    assert listed.code == 0 and "zinc" in listed.out + listed.err


def test_a_running_model_import_keeps_its_staging_folder_while_another_imports(
        finished: tuple[Path, Path], tmp_path: Path, cli) -> None:
    """Control: an import still copying (alive, holding the lock) keeps its staging
    folder while a second import publishes, and then finishes its own version."""
    _, out = finished
    registry, flag = tmp_path / "registry", tmp_path / "go"
    proc = _import_mid_copy(out / "model", registry, flag, "--version", "1")
    try:
        live = _staging(registry)
        result = cli("model", "import", out / "model", "--name", "zinc", "--registry",
                     registry, "--version", "2")
        assert result.code == 0, (result.out + result.err)[-3000:]
        assert _staging(registry) == live
        flag.write_text("go\n")
        assert proc.wait(timeout=120) == 0
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert _staging(registry) == []
    assert sorted(p.name for p in (registry / "zinc").iterdir()
                  if not p.name.startswith(".")) == ["1", "2"]
