"""Round 50, the lead's: an output folder copied (or restored, or touched) and a source file
touched read again in full by every later run that checks them.

A copy keeps its bytes but not its change times, so the stamps recorded for the cube's
chunks, the COGs, the tile pyramid and the input files never matched again: each rerun
read every byte (a country cube, a pyramid of thousands of tiles) to find them the same.
Now the bytes are read once and the record takes the new stamps.

The job is the SYNTHETIC demo scene's, run once from ingest to tiles (``finished``) and
copied for each test (``job``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pipelines import manifest as manifest_module
from pipelines import verify
from tests.robustness.conftest import assert_clean_error, run_job


def _count_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Wrap the byte reads of the resume checks (inputs' and listed outputs' SHA-256, a
    cube variable's or a pyramid's digest of bytes) to record each file or folder read."""
    reads: list[str] = []

    def counted(name: str, original: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(path: Any, *args: Any, **kwargs: Any) -> Any:
            reads.append(f"{name}:{path}")
            return original(path, *args, **kwargs)

        return wrapper

    monkeypatch.setattr(verify, "_content_digest", counted("content", verify._content_digest))
    monkeypatch.setattr(verify, "file_sha256", counted("sha256", verify.file_sha256))
    monkeypatch.setattr(
        manifest_module, "file_sha256", counted("input", manifest_module.file_sha256)
    )
    return reads


def _skipped(out: Path) -> list[str]:
    runs = json.loads((out / "manifest.json").read_text())["runs"]
    return [entry["stage"] for entry in runs[-1]["skipped"]]


def _touch(path: Path) -> None:
    """Give ``path`` a new change time, its bytes and mtime kept (as a copy or a restore
    from a backup does)."""
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


def test_a_copied_output_folder_is_read_once_then_known_by_its_stamps(
    job: tuple[dict[str, Any], Path], cli: Any, scheduler: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The copy's first rerun reads its bytes (new change times everywhere; the COGs
    copied without their mtimes, as ``cp -r`` does) and skips every stage; the second
    reads no byte of it."""
    config, out = job
    for cog in (out / "score").glob("*.tif"):
        os.utime(cog)  # now, as a copy that does not keep times
    reads = _count_reads(monkeypatch)
    first = run_job(cli, config, out, scheduler)
    assert first.code == 0, first.err[-3000:]
    stages = _skipped(out)
    assert {"ingest", "indices", "train", "score", "tiles"} <= set(stages), stages
    assert any(r.startswith("content:") for r in reads), reads  # the copy's cube, pyramid
    assert any(r.startswith("sha256:") for r in reads), reads  # its COGs
    verify._CONTENTS_READ.clear()  # a new process: nothing kept in memory
    reads.clear()
    second = run_job(cli, config, out, scheduler)
    assert second.code == 0, second.err[-3000:]
    assert _skipped(out) == stages
    assert reads == [], reads


def test_a_touched_source_file_is_hashed_once(
    job: tuple[dict[str, Any], Path], cli: Any, scheduler: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A source file given a new change time (its bytes and mtime kept) is hashed by the
    next run, found the same, and not hashed by the run after it."""
    config, out = job
    assert run_job(cli, config, out, scheduler).code == 0  # the copy's own first check
    record = json.loads((out / "manifest.json").read_text())
    inputs = record["stages"]["ingest"]["input_files"]
    label, entry = next((k, v) for k, v in inputs.items() if "version" not in v)
    source = verify.resolve(out, entry["path"])
    _touch(source)
    verify._CONTENTS_READ.clear()
    reads = _count_reads(monkeypatch)
    assert run_job(cli, config, out, scheduler).code == 0
    assert f"input:{source}" in reads, (label, reads)
    assert "ingest" in _skipped(out)
    now = json.loads((out / "manifest.json").read_text())["stages"]["ingest"]
    assert now["input_files"][label]["ctime_ns"] == source.stat().st_ctime_ns
    verify._CONTENTS_READ.clear()
    reads.clear()
    assert run_job(cli, config, out, scheduler).code == 0
    assert reads == [], reads


def test_control_a_chunk_rewritten_in_a_copy_is_still_found(
    job: tuple[dict[str, Any], Path], cli: Any, scheduler: str
) -> None:
    """Control: once the copy's stamps are taken, a chunk rewritten at its own size
    (other bytes) is found by the next run, which recomputes it."""
    config, out = job
    assert run_job(cli, config, out, scheduler).code == 0
    (cube,) = out.glob("*.zarr")
    chunk = next(
        p
        for var in sorted(cube.iterdir())
        if (var / "c").is_dir()
        for p in sorted((var / "c").rglob("*"))
        if p.is_file()
    )
    data = bytearray(chunk.read_bytes())
    data[-1] ^= 0xFF
    chunk.write_bytes(bytes(data))
    verify._CONTENTS_READ.clear()
    result = run_job(cli, config, out, scheduler)
    assert result.code == 0, result.err[-3000:]
    text = result.out + result.err
    assert "changed on disk" in text or "rewritten" in text, text[-3000:]


@pytest.mark.parametrize("turn", [360.0, 0.0], ids=["0..360", "control -180..180"])
def test_a_map_in_0_to_360_beside_the_region_is_placed_west_of_greenwich(
    sandbox: Any, cli: Any, scheduler: str, turn: float
) -> None:
    """A SYNTHETIC geology map in longitudes 0..360 lying 0.5 to 1.5 degrees east of the tiny
    region (69 W) is refused, as it misses the region, saying where it lies: it said
    "about 12.25 N, 292 E" (a place in the Indian Ocean's longitudes, for a map in the
    Caribbean); now "68 W", as the same map in -180..180 says (the control). The
    distance was right either way."""
    import geopandas as gpd
    import shapely

    mid = -68.0 + turn
    frame = gpd.GeoDataFrame(
        {"unit": ["A", "B"]},
        crs="EPSG:4326",
        geometry=[shapely.box(mid - 0.5, 12.0, mid, 12.5), shapely.box(mid, 12.0, mid + 0.5, 12.5)],
    )
    frame.to_file(sandbox.root / "geology.gpkg")
    sandbox.write_job(
        sources=[{"kind": "vector", "name": "geo", "path": "geology.gpkg", "attribute": "unit"}]
    )
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    line = assert_clean_error(result, 1, "geology.gpkg", "lies in the region")
    assert "68 W" in line, line
    assert " E)" not in line, line


def test_a_jobs_model_of_another_scikit_learn_gives_the_fixes_a_job_has(
    job: tuple[dict[str, Any], Path], cli: Any, scheduler: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The job's model saved with this scikit-learn, the environment then upgraded to
    another major version (here: the version this environment reports, set to 99.0.0):
    ``prospect score`` refused the model saying "pass --allow-version-mismatch", an option
    ``prospect score`` and ``prospect run`` do not take. Now the refusal names the job's
    own fix (train again with --force) and the command that has that option."""
    from prospect.registry import compat

    installed = compat._installed
    monkeypatch.setattr(
        compat,
        "_installed",
        lambda library: "99.0.0" if library == compat.SKLEARN else installed(library),
    )
    config, out = job
    result = run_job(cli, config, out, scheduler, "score", "--force")
    line = assert_clean_error(
        result,
        1,
        "runs 99.0.0",
        "prospect train",
        "--force",
        "prospect model score --allow-version-mismatch",
    )
    assert "pass --allow-version-mismatch" not in line, line
