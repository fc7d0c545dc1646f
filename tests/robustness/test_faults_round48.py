"""Fault round 48: sensor aliases changed in an open session read as they first were, a
site's sensor fixed between runs of a job named by its name or alias leaving the indices
of the old mapping, and cube chunks rewritten at their own size trusted by a rerun
(``docs/robustness.md``, "Round 48", faults).

Real files written here (small, SYNTHETIC): a ``$PROSPECT_CONFIG_DIR`` of sensor YAMLs,
tiny rasters and the real ``prospect`` command in this process.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xarray as xr

from .conftest import TWO_RASTERS, Sandbox, assert_clean_error, write_tiny_raster

SENSOR = """\
# SYNTHETIC: a site's own sensor mapping, in its $PROSPECT_CONFIG_DIR
name: {name}
aliases: [{aliases}]
bands:
  R: {{variable: {red}, wavelength_nm: 665}}
  N: {{variable: {nir}, wavelength_nm: 842}}
"""


def _edited(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` as an editor saving it a moment later does (its
    modification time moved on even on a file system of coarse times)."""
    before = path.stat().st_mtime_ns if path.exists() else 0
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    if path.stat().st_mtime_ns == before:
        os.utime(path, ns=(before + 1_000_000_000, before + 1_000_000_000))


def _sensor(folder: Path, name: str, aliases: str, red: str, nir: str) -> Path:
    """``folder/sensors/<name>.yaml``: a SYNTHETIC mapping of R and N."""
    path = folder / "sensors" / f"{name}.yaml"
    _edited(path, SENSOR.format(name=name, aliases=aliases, red=red, nir=nir))
    return path


def _bands() -> xr.Dataset:
    """Two SYNTHETIC reflectance bands, ``b_red`` darker than ``b_nir`` everywhere."""
    rng = np.random.default_rng(48)
    red = (0.05 + 0.05 * rng.random((8, 8))).astype("float32")
    nir = (0.40 + 0.10 * rng.random((8, 8))).astype("float32")
    return xr.Dataset({"b_red": (("y", "x"), red), "b_nir": (("y", "x"), nir)})


def _ndvi(sensor: str) -> xr.DataArray:
    from prospect.indices.api import compute_indices

    return compute_indices(_bands(), ["NDVI"], sensor=sensor, backend="reference")["NDVI"]


# -- 1. sensor aliases changed in an open session -----------------------------------------


def test_an_alias_moved_to_another_sensor_in_a_session_names_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A site's ``$PROSPECT_CONFIG_DIR/sensors``: alias ``mysat`` on ``draft.yaml`` (red
    and near infrared swapped). In an open session (a notebook) NDVI through ``mysat``
    came out below 0; the site moved the alias to the fixed ``mine.yaml``. The same cell
    run again still read ``draft``'s mapping (the aliases were read once per process):
    the same negative NDVI, without a word. Now it reads ``mine``."""
    from prospect.indices.bands import load_sensor

    monkeypatch.setenv("PROSPECT_CONFIG_DIR", str(tmp_path))
    _sensor(tmp_path, "draft", "mysat", red="b_nir", nir="b_red")
    _sensor(tmp_path, "mine", "mine-v2", red="b_red", nir="b_nir")
    assert float(_ndvi("mysat").max()) < 0
    _sensor(tmp_path, "draft", "draft-v1", red="b_nir", nir="b_red")
    _sensor(tmp_path, "mine", "mine-v2, mysat", red="b_red", nir="b_nir")
    assert load_sensor("mysat").name == "mine"
    ds = _bands()
    want = (ds.b_nir - ds.b_red) / (ds.b_nir + ds.b_red)
    np.testing.assert_allclose(_ndvi("mysat").values, want.values, rtol=1e-6)


def test_an_alias_written_in_a_session_is_known(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An alias added to a site's sensor file while the session runs was "unknown
    sensor 'l8-site'" (the list of aliases was the first reading's) until the process
    was restarted. Now the file is read again once it changed."""
    from prospect.indices.bands import load_sensor

    monkeypatch.setenv("PROSPECT_CONFIG_DIR", str(tmp_path))
    _sensor(tmp_path, "mine", "mine-v2", red="b_red", nir="b_nir")
    assert load_sensor("mine-v2").name == "mine"
    _sensor(tmp_path, "mine", "mine-v2, l8-site", red="b_red", nir="b_nir")
    assert load_sensor("l8-site").name == "mine"


def test_a_config_dir_changed_in_a_session_reads_its_aliases(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``$PROSPECT_CONFIG_DIR`` set to another folder in the session: its sensors were
    found by name, but by alias only the first folder's were known."""
    from prospect.indices.bands import load_sensor

    first, second = tmp_path / "a", tmp_path / "b"
    _sensor(first, "mine", "site-a", red="b_red", nir="b_nir")
    _sensor(second, "theirs", "site-b", red="b_red", nir="b_nir")
    monkeypatch.setenv("PROSPECT_CONFIG_DIR", str(first))
    assert load_sensor("site-a").name == "mine"
    monkeypatch.setenv("PROSPECT_CONFIG_DIR", str(second))
    assert load_sensor("site-b").name == "theirs"


def test_control_a_shipped_alias_still_names_its_sensor(monkeypatch: pytest.MonkeyPatch) -> None:
    """control: the shipped ``l9`` and ``LANDSAT-9`` are Landsat 8/9 OLI."""
    from prospect.indices.bands import load_sensor

    monkeypatch.delenv("PROSPECT_CONFIG_DIR", raising=False)
    assert load_sensor("l9").name == load_sensor("LANDSAT-9").name == "landsat8"


# -- 2. a site's sensor, named by name or alias, fixed between runs of a job --------------


@pytest.fixture(scope="module")
def site_sensor(tmp_path_factory: pytest.TempPathFactory, scheduler: str) -> dict[str, Any]:
    """A SYNTHETIC job whose index ``D = N - R`` reads two rasters through the alias
    ``mysat`` of the site's ``$PROSPECT_CONFIG_DIR/sensors/mine.yaml`` (red and near
    infrared the wrong way round), run once; then rerun with the file unchanged, then
    with the file fixed. Each run's outcome and ``D``."""
    from .conftest import run_in_process

    root = tmp_path_factory.mktemp("r48")
    configs = root / "site-configs"
    box = Sandbox(root / "box")
    write_tiny_raster(
        box.root / "cold.tif", values=np.random.default_rng(5).random((40, 40)).astype("float32")
    )
    box.write_job(sources=TWO_RASTERS, indices={"sensor": "mysat", "custom": {"D": "N - R"}})
    out: dict[str, Any] = {"box": box}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PROSPECT_CONFIG_DIR", str(configs))
        patch.delenv("PROSPECT_DEBUG", raising=False)
        _sensor(configs, "mine", "mysat", red="cold", nir="heat")
        for step in ("first", "unchanged", "fixed"):
            if step == "fixed":
                _sensor(configs, "mine", "mysat", red="heat", nir="cold")
            result = run_in_process("run", box.job_path, "-o", box.out, "--scheduler", scheduler)
            assert result.code == 0, result.err[-3000:]
            with xr.open_zarr(box.out / "cube.zarr") as cube:
                out[step] = (result, cube["D"].values.copy())
    return out


def test_a_site_sensor_fixed_between_runs_reruns_the_indices(site_sensor: dict[str, Any]) -> None:
    """The job names its sensor by the alias ``mysat`` of the site's own mapping, which
    swapped red and near infrared; the site fixed the file and the job was run again:
    "indices (skipped) ... config and inputs unchanged" (only a sensor given as a YAML
    path was an input of the stage), so ``D`` kept the swapped mapping's values, each of
    the wrong sign. Now the sensor's file is an input whichever way it is named."""
    import rasterio

    box = site_sensor["box"]
    result, values = site_sensor["fixed"]
    with rasterio.open(box.root / "heat.tif") as heat, rasterio.open(box.root / "cold.tif") as cold:
        want = cold.read(1) - heat.read(1)
    np.testing.assert_allclose(values, want, rtol=1e-5, atol=1e-6)
    text = " ".join((result.out + result.err).split())
    assert "indices (skipped)" not in text, text[-2000:]
    assert "input indices.sensor" in text and "mine.yaml) changed" in text, text[-2000:]


def test_control_a_site_sensor_unchanged_keeps_the_indices(site_sensor: dict[str, Any]) -> None:
    """control: run again with the site's sensor file as it was, the indices stage is
    skipped with the first run's values."""
    result, values = site_sensor["unchanged"]
    text = " ".join((result.out + result.err).split())
    assert "indices (skipped)" in text, text[-2000:]
    np.testing.assert_array_equal(values, site_sensor["first"][1])


# -- 3. cube chunks rewritten at their own size between runs ------------------------------


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory, scheduler: str) -> Sandbox:
    """A tiny SYNTHETIC job (one raster, ``heat``, in 2 x 2 chunks, and the index
    ``D = 2 N`` of it) run once."""
    from .conftest import run_in_process

    box = Sandbox(tmp_path_factory.mktemp("r48") / "box")
    box.write_job(indices={"custom": {"D": "N * 2"}, "bands": {"N": "heat"}})
    os.environ.pop("PROSPECT_DEBUG", None)
    result = run_in_process("run", box.job_path, "-o", box.out, "--scheduler", scheduler)
    assert result.code == 0, result.err[-3000:]
    return box


def _copy(box: Sandbox, tmp_path: Path) -> Path:
    """A copy of ``box``'s output folder (files' mtimes kept, new change times)."""
    copy = tmp_path / "out"
    shutil.copytree(box.out, copy, symlinks=True)
    return copy


def _swap_chunks(out: Path, variable: str) -> None:
    """Write the first two chunks of ``variable`` each in the other's place with zarr, as
    another tool's script that mixed up two tiles does: the same chunk files, each of
    the other's size, so the same total."""
    import zarr

    array = zarr.open_array(out / "cube.zarr" / variable, mode="r+")
    left, right = array[0:20, 0:20], array[0:20, 20:40]
    assert not np.array_equal(left, right)
    array[0:20, 0:20], array[0:20, 20:40] = right, left


def test_indices_alone_after_two_chunks_were_swapped_is_not_skipped(
    indexed: Sandbox, tmp_path: Path, cli: Any, scheduler: str
) -> None:
    """``prospect indices`` after two chunks of the ingested ``heat`` were written each in
    the other's place: skipped as "config and inputs unchanged" (names and total size as
    recorded), ``D`` kept from the data before. Now it names the variable, that its
    chunks were rewritten and the stage that rebuilds it."""
    out = _copy(indexed, tmp_path)
    _swap_chunks(out, "heat")
    result = cli("indices", indexed.job_path, "-o", out, "--scheduler", scheduler)
    assert_clean_error(result, 1, "'heat'", "rewritten", "prospect ingest")


def test_a_run_after_two_chunks_were_swapped_rebuilds_them(
    indexed: Sandbox, tmp_path: Path, cli: Any, scheduler: str
) -> None:
    """``prospect run`` after the swap: every stage was skipped and the cube kept two
    chunks in each other's place. Now the ingest stage says why it runs again and
    rebuilds ``heat`` from its raster."""
    import rasterio

    out = _copy(indexed, tmp_path)
    _swap_chunks(out, "heat")
    result = cli("run", indexed.job_path, "-o", out, "--scheduler", scheduler)
    assert result.code == 0, result.err[-3000:]
    text = " ".join((result.out + result.err).split())
    assert "running again: cube variable 'heat'" in text and "rewritten" in text, text[-2000:]
    with rasterio.open(indexed.root / "heat.tif") as src, xr.open_zarr(out / "cube.zarr") as cube:
        np.testing.assert_array_equal(cube["heat"].values, src.read(1))
        np.testing.assert_allclose(cube["D"].values, 2 * src.read(1), rtol=1e-6)


def test_control_an_output_copied_with_new_times_is_kept(
    indexed: Sandbox, tmp_path: Path, cli: Any, scheduler: str
) -> None:
    """control: the output folder copied (every chunk file of new change times, the same
    bytes) is kept: both stages skipped."""
    out = _copy(indexed, tmp_path)
    result = cli("run", indexed.job_path, "-o", out, "--scheduler", scheduler)
    assert result.code == 0, result.err[-3000:]
    text = " ".join((result.out + result.err).split())
    assert text.count("inputs unchanged") == 2, text[-2000:]


# -- 4. a stale scheduler file naming a host that does not answer -------------------------


@pytest.fixture()
def silent_port() -> Any:
    """A loopback port whose connections are neither taken nor refused: a listener whose
    one-place queue is full, so the kernel drops each new connection's first packet, as
    a host that is down (or a firewall) leaves it unanswered."""
    import socket

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    port = server.getsockname()[1]
    queued = []
    for _ in range(4):
        client = socket.socket()
        client.setblocking(False)
        client.connect_ex(("127.0.0.1", port))
        queued.append(client)
    try:
        yield port
    finally:
        for client in queued:
            client.close()
        server.close()


@pytest.mark.timeout(120)
def test_a_scheduler_file_of_a_host_that_is_down_is_refused_after_one_wait(
    sandbox: Sandbox, cli: Any, silent_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A scheduler file left by yesterday's batch job names its node, which is down: the
    job waited the connect timeout twice (the check for a silent server, then dask's
    client), 20 s, and said "Timed out trying to connect ... after 10 s", no word of a
    host that does not answer nor of the file's age. Now it is refused after one wait
    (10 s; 2 s here), saying nothing answered, how old the file is and what to check."""
    import importlib
    import json
    import time

    import pipelines.cluster as cl

    for module in ("pipelines.cli", "pipelines.runner"):  # imported before the clock starts
        importlib.import_module(module)

    monkeypatch.setattr(cl, "CONNECT_WAIT", 2.0, raising=False)
    sched = sandbox.root.parent / "sched.json"
    sched.write_text(
        json.dumps(
            {
                "type": "Scheduler",
                "id": "Scheduler-r48",
                "address": f"tcp://127.0.0.1:{silent_port}",
                "services": {"dashboard": 8787},
                "started": 0.0,
                "workers": {},
            }
        )
    )
    day_ago = time.time() - 26 * 3600
    os.utime(sched, (day_ago, day_ago))
    start = time.monotonic()
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", str(sched))
    took = time.monotonic() - start
    assert_clean_error(
        result, 1, f"scheduler file {sched}", "written 26 h ago", "nothing answered", "host is up"
    )
    assert took < 14, took
    assert not sandbox.out.exists() and sandbox.untouched()
