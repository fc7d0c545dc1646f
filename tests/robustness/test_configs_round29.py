"""Round 29: configs and cluster settings as users write them in other tools.

Batch-system cases write a copy of the shipped ``cluster/jobqueue.yaml`` with one setting
changed into ``tmp_path`` and let dask-jobqueue make the cluster from it (the scheduler
starts in this process; nothing is submitted), or run the real ``prospect run --cluster
slurm`` with an ``sbatch`` that records its calls in front of the real one. Kubernetes
cases write a copy of the shipped ``kubernetes/daskcluster.yaml`` and ask the engine
check every job runs before it plans. Job cases write a job YAML and a tiny SYNTHETIC
GeoTIFF into ``tmp_path`` and load them as ``prospect`` does.
"""

from __future__ import annotations

import copy
import os
import unicodedata
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
import yaml
from rasterio.transform import from_origin

from pipelines.cli import main
from pipelines.cluster import check_engine, jobqueue_cluster
from pipelines.faults import signal_handlers_kept
from prospect.config import load_job
from prospect.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]
SHIPPED = REPO / "cluster" / "jobqueue.yaml"
K8S = REPO / "cluster" / "kubernetes" / "daskcluster.yaml"


def _jobqueue() -> None:
    with signal_handlers_kept():  # its import sets SIGINT to sys.exit() in this process
        pytest.importorskip("dask_jobqueue")


def _settings(folder: Path, **changed: Any) -> Path:
    """The shipped settings with ``changed`` keys of ``jobqueue.slurm`` (``_`` for ``-``)."""
    data = yaml.safe_load(SHIPPED.read_text())
    for key, value in changed.items():
        data["jobqueue"]["slurm"][key.replace("_", "-")] = value
    path = folder / "jobqueue.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def _start(path: Path) -> str:
    """Start the cluster of ``path`` here (no job submitted); its scheduler's address."""
    _jobqueue()
    cluster, _ = jobqueue_cluster("slurm", path=path, dashboard=":0")
    try:
        return str(cluster.scheduler_address)
    finally:
        cluster.close()


def _refused(path: Path) -> str:
    with pytest.raises(ConfigError) as err:
        _start(path)
    message = str(err.value)
    assert "\n" not in message and str(path) in message
    return message


# -- scheduler-options the scheduler reads in another sense -------------------------------


@pytest.mark.parametrize(
    ("options", "said"),
    [
        # the socket took the port modulo 65536: a scheduler on 34463, without a word
        ({"port": 99999}, "port 99999 is no port (a whole number 0-65535)"),
        ({"port": 70000.5}, "would listen on 4464"),
        ({"dashboard_address": ":99999"}, "dashboard_address ':99999' is no port"),
        # was "could not start on this machine (TypeError: Server.__init__() got an
        # unexpected keyword argument ...)", exit 1, naming no setting
        ({"dashboard-address": ":0"}, "write it 'dashboard_address'"),
        ({"prot": "tcp"}, "'prot' is no option of the dask scheduler; did you mean"),
    ],
)
def test_scheduler_options_read_in_another_sense_are_refused(
    tmp_path: Path, options: dict[str, Any], said: str
) -> None:
    message = _refused(_settings(tmp_path, scheduler_options=options))
    assert said in message and "scheduler-options" in message


@pytest.mark.parametrize(
    "options",
    [{"port": 0, "dashboard_address": "127.0.0.1:0"}, {"port": "0"}, {"dashboard": False}],
)
def test_control_scheduler_options_the_scheduler_takes_start_it(
    tmp_path: Path, options: dict[str, Any]
) -> None:
    assert _start(_settings(tmp_path, scheduler_options=options)).startswith("tcp://")


# -- worker options that replace what dask-jobqueue writes -------------------------------

LIFETIME = ["--lifetime", "230m", "--lifetime-stagger", "5m"]


@pytest.mark.parametrize(
    ("extra", "said"),
    [
        # the worker takes the last one: 4 workers of 32 GiB each in a 32 GiB job
        (["--memory-limit", "32GiB"], "'--memory-limit 32GiB' replaces the --memory-limit"),
        (["--nthreads=8"], "set cores and processes instead"),  # 32 threads on 8 cores
        (["--nworkers", "8"], "set processes instead"),  # 8 x 8 GiB in a 32 GiB job
        (["--name", "w"], "each worker is named after its job"),
    ],
)
def test_worker_args_that_replace_the_settings_are_refused(
    tmp_path: Path, extra: list[str], said: str
) -> None:
    """Before: ``worker-extra-args`` came after the options dask-jobqueue writes from
    ``cores``, ``processes`` and ``memory``, and the worker took the last one given,
    without a word."""
    message = _refused(_settings(tmp_path, worker_extra_args=[*LIFETIME, *extra]))
    assert said in message and "worker-extra-args" in message


def test_control_other_worker_args_make_the_job(tmp_path: Path) -> None:
    _jobqueue()
    path = _settings(
        tmp_path, worker_extra_args=[*LIFETIME, "--no-dashboard", "--resources", "GPU=1"]
    )
    cluster, _ = jobqueue_cluster("slurm", path=path, dashboard=":0")
    try:
        assert "--no-dashboard --resources GPU=1" in cluster.job_script()
    finally:
        cluster.close()


# -- cores that processes do not divide ---------------------------------------------------


def test_cores_processes_do_not_divide_are_said_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: ``cores: 8, processes: 3`` made 3 workers of 2 threads, and 2 of the 8
    cores each batch job holds stayed idle without a word."""
    path = _settings(tmp_path, cores=8, processes=3)
    _start(path)
    _start(path)  # the engine is made more than once in a run: said once
    err = capsys.readouterr().err
    assert err.count("warning:") == 1, err
    assert "processes 3 does not divide cores 8" in err and "2 of the 8 cores" in err
    assert "[1, 2, 4, 8]" in err and str(path) in err


def test_control_cores_that_processes_divide_say_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _start(_settings(tmp_path, cores=12, processes=4))
    assert "warning" not in capsys.readouterr().err


TINY_JOB = "name: tiny\nregion: bonaire\nsources: [{kind: raster, name: dem, path: dem.tif}]\n"


def test_run_with_idle_cores_warns_before_it_submits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The real ``prospect run --cluster slurm``: the warning comes before the worker
    jobs are submitted (the recording ``sbatch`` refuses them)."""
    from prospect.testing import demo_grid

    _jobqueue()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "sbatch-calls"
    sbatch = bin_dir / "sbatch"
    sbatch.write_text(f"#!/bin/sh\necho \"$@\" >> {calls}\necho 'sbatch: error: no'\nexit 1\n")
    sbatch.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    conf = tmp_path / "conf"
    conf.mkdir()
    _settings(conf, cores=8, processes=3, scheduler_options={"dashboard": False})
    monkeypatch.setenv("PROSPECT_CLUSTER_DIR", str(conf))
    (tmp_path / "job.yaml").write_text(TINY_JOB)
    west, _, _, north = demo_grid("bonaire", size_m=1000).bounds
    _tif(tmp_path / "dem.tif", "EPSG:32619", west, north, 10)
    code = main(
        ["run", str(tmp_path / "job.yaml"), "--out", str(tmp_path / "out"), "--cluster", "slurm"]
    )
    err = " ".join(capsys.readouterr().err.split())
    assert code != 0 and calls.exists()  # submitted, and refused by the stand-in
    assert "warning: 'jobqueue.slurm'" in err and "2 of the 8 cores" in err
    assert err.index("2 of the 8 cores") < err.index("sbatch refused")


# -- Kubernetes workers of more threads than their CPU limit -----------------------------


def _manifest(folder: Path, *, threads: str | None = None, cpu: str | None = None) -> Path:
    doc = copy.deepcopy(yaml.safe_load(K8S.read_text()))
    (worker,) = doc["spec"]["worker"]["spec"]["containers"]
    if threads is not None:
        worker["args"][worker["args"].index("--nthreads") + 1] = threads
    if cpu is not None:
        worker["resources"]["limits"]["cpu"] = cpu
        worker["resources"]["requests"]["cpu"] = cpu
    (folder / "kubernetes").mkdir(parents=True, exist_ok=True)
    (folder / "kubernetes" / "daskcluster.yaml").write_text(yaml.safe_dump(doc))
    return folder


@pytest.mark.parametrize(("threads", "cpu", "times"), [("2", "500m", "4"), ("4", "2", "2")])
def test_kubernetes_worker_threads_above_its_cpu_limit_are_said(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    threads: str,
    cpu: str,
    times: str,
) -> None:
    """Before: ``--nthreads 2`` in a container of ``cpu: 500m`` was created as written;
    the kernel's CPU quota throttles the threads to half a core, without a word."""
    pytest.importorskip("kubernetes")
    monkeypatch.setenv("PROSPECT_CLUSTER_DIR", str(_manifest(tmp_path, threads=threads, cpu=cpu)))
    check_engine(cluster="kubernetes")
    err = " ".join(capsys.readouterr().err.split())
    assert f"--nthreads {threads} under resources.limits.cpu '{cpu}'" in err
    assert f"about {times} times as long" in err and "daskcluster.yaml" in err


@pytest.mark.parametrize(("threads", "cpu"), [(None, None), ("1", "2"), ("2", "2000m")])
def test_control_kubernetes_threads_within_the_cpu_limit_say_nothing(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    threads: str | None,
    cpu: str | None,
) -> None:
    pytest.importorskip("kubernetes")
    monkeypatch.setenv("PROSPECT_CLUSTER_DIR", str(_manifest(tmp_path, threads=threads, cpu=cpu)))
    check_engine(cluster="kubernetes")
    assert "warning" not in capsys.readouterr().err


# -- jobs: one tiny SYNTHETIC raster and a job YAML written as users write them ----------


def _tif(path: Path, crs: str, west: float, north: float, res: float) -> Path:
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=20,
        height=20,
        count=1,
        dtype="float32",
        crs=crs,
        transform=from_origin(west, north, res, res),
    ) as dst:
        dst.write(np.ones((1, 20, 20), "float32"))
    return path


UTM_REGION = (
    "{crs: EPSG:32631, resolution: 100, bounds: [600000, 5798000, 602000, 5800000],"
    " name: r, chunks: [16, 16]}"
)


def _job(folder: Path, sources: str, region: str = UTM_REGION) -> Path:
    path = folder / "job.yaml"
    path.write_text(f"name: j\nregion: {region}\nsources:\n{sources}")
    return path


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """``a.tif`` (SYNTHETIC), a link to it and a second file, in ``tmp_path``."""
    _tif(tmp_path / "a.tif", "EPSG:32631", 600000, 5800000, 100)
    _tif(tmp_path / "b.tif", "EPSG:32631", 600000, 5800000, 100)
    (tmp_path / "sub").mkdir()
    (tmp_path / "link.tif").symlink_to(tmp_path / "a.tif")
    return tmp_path


def _loaded_or_refused(path: Path) -> str:
    with pytest.raises(ConfigError) as err:
        load_job(path)
    return str(err.value)


# -- one file read twice under two names ---------------------------------------------------


@pytest.mark.parametrize("second", ["a.tif", "./a.tif", "sub/../a.tif", "link.tif"])
def test_one_file_read_the_same_way_under_two_names_is_refused(data: Path, second: str) -> None:
    """Before: the job loaded, the cube held one layer twice under two names and a
    model counted its evidence twice (weights of evidence adds both weights)."""
    job = _job(
        data,
        "  - {kind: raster, name: dem, path: a.tif}\n"
        f"  - {{kind: raster, name: elevation, path: {second}, units: m}}\n",
    )
    message = _loaded_or_refused(job)
    assert "sources 'dem' and 'elevation' read the same file" in message
    assert "count its evidence twice" in message


def test_one_point_table_listed_twice_is_refused(data: Path) -> None:
    (data / "wells.csv").write_text("lon,lat,li\n3.0,52.0,1.5\n3.01,52.01,2.5\n")
    row = "{{kind: points, name: {}, path: wells.csv, columns: [li], distance: true}}"
    job = _job(data, f"  - {row.format('wells')}\n  - {row.format('samples')}\n")
    assert "sources 'wells' and 'samples' read the same file" in _loaded_or_refused(job)


@pytest.mark.parametrize(
    "second",
    [
        "{kind: raster, name: elevation, path: b.tif}",  # another file
        "{kind: raster, name: dem_nearest, path: a.tif, resampling: nearest}",
        "{kind: raster, name: dem_class, path: a.tif, values: categorical}",
        "{kind: raster, name: dem_dm, path: a.tif, scale: 10}",
    ],
)
def test_control_one_file_read_another_way_loads(data: Path, second: str) -> None:
    job = load_job(_job(data, f"  - {{kind: raster, name: dem, path: a.tif}}\n  - {second}\n"))
    assert len(job.sources) == 2


# -- paths written by other tools ------------------------------------------------------------


@pytest.mark.parametrize("written", ["FILE:///{}/a.tif", "File://localhost{}/a.tif"])
def test_a_file_url_in_capitals_is_refused_as_a_url(data: Path, written: str) -> None:
    """Before: ``FILE:///data/a.tif`` was taken as a relative path (``<config
    folder>/FILE:/data/a.tif``), and the run failed later on a file no one named."""
    path = written.format(str(data).lstrip("/") if "///" in written else str(data))
    message = _loaded_or_refused(_job(data, f"  - {{kind: raster, name: a, path: '{path}'}}\n"))
    assert "a file:// URL is no path" in message


def test_a_file_name_in_another_unicode_form_is_refused_naming_it(data: Path) -> None:
    """Before: a config written on a Mac (``café.tif`` as NFD) loaded, and the run said
    "no such file: café.tif" beside a folder holding ``café.tif`` (NFC)."""
    nfc = unicodedata.normalize("NFC", "caf\u00e9.tif")
    (data / nfc).write_bytes((data / "a.tif").read_bytes())
    nfd = unicodedata.normalize("NFD", nfc)
    message = _loaded_or_refused(_job(data, f"  - {{kind: raster, name: a, path: {nfd}}}\n"))
    assert "the same name in another Unicode form" in message
    assert repr(nfc) in message and "NFD" in message


def test_control_a_file_name_in_its_own_unicode_form_loads(data: Path) -> None:
    nfd = unicodedata.normalize("NFD", "caf\u00e9.tif")
    (data / "sub" / nfd).write_bytes((data / "a.tif").read_bytes())
    job = load_job(_job(data, f"  - {{kind: raster, name: a, path: sub/{nfd}}}\n"))
    assert job.sources[0].path.exists()


# -- grids that snap off the Earth -----------------------------------------------------------


@pytest.mark.parametrize(
    ("bounds", "said"),
    [
        ("[179.5, 10, 180, 11]", "east edge to 180.1, past 180 degrees"),  # 0.5 / 0.3
        ("[10, -90, 11, -89]", "south edge to -90.2, past the South Pole"),
        ("[-180, -90, 180, 90]", "east edge to 180.5"),  # a world grid at 0.7 degrees
    ],
)
def test_a_geographic_grid_that_snaps_past_180_or_the_pole_is_refused(
    data: Path, bounds: str, said: str
) -> None:
    """Before: the grid kept the top-left corner and took whole cells, out to 180.1 or
    -90.2, without a word; GDAL wraps a raster at -179.9 onto cells past 180."""
    res = "0.7" if "-180" in bounds else "0.3"
    region = f"{{crs: EPSG:4326, resolution: {res}, bounds: {bounds}, name: r, chunks: [16, 16]}}"
    message = _loaded_or_refused(
        _job(data, "  - {kind: raster, name: a, path: a.tif}\n", region=region)
    )
    assert said in message and "a whole number of cells apart" in message


def test_a_web_mercator_grid_that_snaps_past_180_is_refused(data: Path) -> None:
    """Before: 20 037 508 m (180 degrees) at 3 km cells made a grid out to 20 039 000 m,
    which PROJ reads as -179.987 degrees, without a word."""
    region = (
        "{crs: EPSG:3857, resolution: 3000, bounds: [20000000, 0, 20037508.34, 100000], "
        "name: r, chunks: [16, 16]}"
    )
    message = _loaded_or_refused(
        _job(data, "  - {kind: raster, name: a, path: a.tif}\n", region=region)
    )
    assert "would reach [20000000.0, -2000.0, 20039000.0, 100000.0]" in message
    assert "past where EPSG:3857 maps the Earth" in message


@pytest.mark.parametrize(
    ("region", "bounds"),
    [
        # whole cells up to 180 and -90
        (
            "{crs: EPSG:4326, resolution: 0.3, bounds: [179.4, 10, 180, 11.2], name: r}",
            (179.4, 10.0, 180.0, 11.2),
        ),
        (
            "{crs: EPSG:4326, resolution: 0.25, bounds: [10, -90, 11, -89], name: r}",
            (10.0, -90.0, 11.0, -89.0),
        ),
        # off whole cells away from the edges: snapped, as before
        (
            "{crs: EPSG:4326, resolution: 0.3, bounds: [170, 10, 171, 11], name: r}",
            (170.0, 9.8, 171.2, 11.0),
        ),
        # a projected grid off whole cells: snapped, as before
        (
            "{crs: EPSG:32631, resolution: 300, bounds: [600000, 5798000, 602000, 5800000], "
            "name: r}",
            (600000.0, 5797900.0, 602100.0, 5800000.0),
        ),
        # a projected grid across 180 (UTM 60S, Fiji)
        (
            "{crs: EPSG:32760, resolution: 1000, bounds: [600000, 8100000, 800000, 8200000], "
            "name: r}",
            (600000.0, 8100000.0, 800000.0, 8200000.0),
        ),
    ],
)
def test_control_grids_on_the_earth_load_as_before(
    data: Path, region: str, bounds: tuple[float, ...]
) -> None:
    from prospect.config.job import resolve_grid

    job = load_job(_job(data, "  - {kind: raster, name: a, path: a.tif}\n", region=region))
    assert resolve_grid(job).bounds == pytest.approx(bounds)


def test_plan_of_a_grid_past_180_is_one_line_exit_2(
    data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    region = "{crs: EPSG:4326, resolution: 0.3, bounds: [179.5, 10, 180, 11], name: r}"
    job = _job(data, "  - {kind: raster, name: a, path: a.tif}\n", region=region)
    code = main(["plan", str(job)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "past 180 degrees" in " ".join(err.split()) and "Traceback" not in err


# -- credentials in URLs written as other services write them -----------------------------


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("https://gitlab.example.invalid/x.tif?private_token=hunter2", "private_token=***"),
        ("https://host.invalid/x.tif?accessToken=hunter2&band=1", "&band=1"),
        ("https://api.example.invalid/x?subscription-key=hunter2", "subscription-key=***"),
        ("https://host.invalid/x?access_key=hunter2", "access_key=***"),
        ("https://host.invalid/x?api_token=hunter2", "api_token=***"),
        ("https://host.invalid/x?jwt=hunter2", "jwt=***"),
        ("https://host.invalid/cb#access_token=hunter2&state=1", "#access_token=***&state=1"),
        # a password holding '@' (unescaped, as pasted): its tail was left
        ("https://me:pa@hunter2@host.invalid/x.tif", "https://***@host.invalid/x.tif"),
        # GDAL's /vsicurl?url= form, percent-encoded
        (
            "/vsicurl?url=https%3A%2F%2Fme%3Ahunter2%40data.invalid%2Fx.tif",
            "https%3A%2F%2F***%40data.invalid%2Fx.tif",
        ),
    ],
)
def test_credentials_under_other_names_are_masked(text: str, kept: str) -> None:
    """Before: only a fixed list of names was masked (``token`` but not
    ``private_token``), and a fragment's, an encoded URL's or an '@' password's secret
    reached messages, logs and manifests."""
    from prospect.redact import redact

    said = redact(text)
    assert "hunter2" not in said and kept in said


@pytest.mark.parametrize(
    "text",
    [
        "https://host.invalid/x?keyword=lithium&band=1&monkey=2&bbox=1,2,3,4",
        "https://host.invalid/search?collections=sentinel-2-l2a&author=me&sort=date",
        "/data/keys/a.tif",
    ],
)
def test_control_plain_query_values_are_kept(text: str) -> None:
    from prospect.redact import redact

    assert redact(text) == text


def test_run_with_a_private_token_keeps_it_out_of_the_error_and_manifest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The real ``prospect run``: a STAC catalog behind a GitLab-style ``private_token``
    that cannot be fetched (``.invalid``). Before: the token was in the error line and
    in ``manifest.json``."""
    url = "https://catalog.example.invalid/stac/catalog.json?private_token=hunter2"
    job = _job(tmp_path, f"  - {{kind: raster, name: s2, stac: '{url}', assets: {{B04: red}}}}\n")
    code = main(["run", str(job), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code != 0 and "catalog.example.invalid" in err and "Traceback" not in err
    assert "hunter2" not in err
    for path in (tmp_path / "out").rglob("*"):
        assert not path.is_file() or b"hunter2" not in path.read_bytes(), path
