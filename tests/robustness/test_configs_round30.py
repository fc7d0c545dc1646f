"""Round 30, configs and cluster settings: YAML merge keys of several mappings, one band
named in two layouts, bounds past 180 degrees in a world Mercator and SLURM worker jobs a
partition can never start.

Each case loads a real config file written into ``tmp_path`` (the job's loader, as
``prospect`` reads it), or starts real worker jobs on a single-node SLURM
(``cluster/slurm-local.sh``). All rasters here are small and SYNTHETIC.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from prospect.config import load_job, load_region
from prospect.errors import ConfigError, StageError

REPO = Path(__file__).resolve().parents[2]


def _raster(path: Path, bands: int = 1) -> Path:
    """A 10 x 10 float32 GeoTIFF (SYNTHETIC) in RD New at x 100 000, y 400 000."""
    import rasterio
    from rasterio.transform import from_origin

    data = np.arange(100 * bands, dtype="float32").reshape(bands, 10, 10)
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=10,
        height=10,
        count=bands,
        dtype="float32",
        crs="EPSG:28992",
        nodata=-9999.0,
        transform=from_origin(100000, 400100, 10, 10),
    ) as dst:
        dst.write(data)
    return path


@pytest.fixture(scope="module")
def folder() -> Iterator[Path]:
    """One folder of rasters for every config case: ``a.tif`` and the 3-band ``rgb.tif``."""
    with tempfile.TemporaryDirectory(prefix="prospect-r30-configs-") as name:
        root = Path(name)
        _raster(root / "a.tif")
        _raster(root / "rgb.tif", bands=3)
        yield root


REGION = """region:
  crs: "EPSG:28992"
  name: tiny
  resolution: 10
  bounds: [100000, 400000, 100100, 400100]
  chunks: [16, 16]
"""


def _job(folder: Path, text: str, name: str) -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _sources(*bodies: str) -> str:
    """A job of the tiny region whose sources are ``bodies`` (YAML lines of each)."""
    items = "".join(
        "  - kind: raster\n" + "".join(f"    {line}\n" for line in body.splitlines())
        for body in bodies
    )
    return f"name: t\n{REGION}sources:\n{items}"


# -- 1. merge keys of a list of mappings: the earlier one wins -----------------------------

MERGED = """name: t
x-defaults: &defaults
  crs: "EPSG:28992"
  resolution: 10
  chunks: [16, 16]
x-site: &site
  resolution: 20
region:
  <<: {merge}
  name: tiny
  bounds: [100000, 400000, 100100, 400100]
sources:
  - kind: raster
    name: dem
    path: a.tif
"""


def test_merge_of_several_mappings_takes_the_earlier_ones_value(folder: Path) -> None:
    """``<<: [*site, *defaults]`` takes ``resolution`` from ``site`` (YAML's merge type:
    keys of mappings earlier in the list override later ones). PyYAML 6.0.4 told keys of
    more than one letter apart by their string object, and the later mapping won: the
    grid was made of the defaults' 10 m cells, not the site's 20 m, without a word."""
    job = load_job(_job(folder, MERGED.format(merge="[*site, *defaults]"), "merge-list"))
    assert job.region.resolution == 20.0
    assert job.region.crs == "EPSG:28992" and job.region.chunks == (16, 16)


def test_merge_of_several_mappings_in_a_source_takes_the_earlier_ones_value(folder: Path) -> None:
    """The same for a source's settings: ``<<: [*this, *common]`` keeps this source's
    ``nodata``, where the common one's replaced it (a fill value read as data)."""
    text = f"""name: t
x-common: &common
  kind: raster
  nodata: -9999
  resampling: bilinear
x-this: &this
  nodata: 0
{REGION}sources:
  - <<: [*this, *common]
    name: dem
    path: a.tif
"""
    job = load_job(_job(folder, text, "merge-source"))
    assert job.sources[0].nodata == 0.0 and job.sources[0].resampling == "bilinear"


@pytest.mark.parametrize("merge,expected", [("*site", 20.0), ("*defaults", 10.0)])
def test_control_one_merged_mapping_and_keys_beside_it(
    folder: Path, merge: str, expected: float
) -> None:
    """Control: one merged mapping gives its keys; a key written beside ``<<`` wins."""
    text = MERGED.format(merge=merge)
    if merge == "*site":
        text = text.replace(
            "  name: tiny\n", '  name: tiny\n  crs: "EPSG:28992"\n  chunks: [16, 16]\n'
        )
    else:
        text = text.replace("  name: tiny\n", "  name: tiny\n  resolution: 10\n")
    job = load_job(_job(folder, text, f"merge-one-{merge[1:]}"))
    assert job.region.resolution == expected


# -- 2. one band named in two layouts: one layer twice -------------------------------------


@pytest.mark.parametrize(
    "bodies,words",
    [
        (
            ("name: a\npath: a.tif", "name: b\nbands: {b: a.tif}"),
            "sources 'a' and 'b' read band 1 of",
        ),
        (
            ("name: a\npath: rgb.tif\nband_names: [r, g, bl]", "name: b\nbands: {red: rgb.tif}"),
            "as 'r' and 'red'",
        ),
        (("name: a\nbands: {x: a.tif, y: ./a.tif}",), "source 'a' reads band 1 of"),
    ],
    ids=["path-beside-bands", "multiband-beside-bands", "one-file-twice-in-bands"],
)
def test_one_band_named_in_two_layouts_is_refused(
    folder: Path, bodies: tuple[str, ...], words: str
) -> None:
    """``path: a.tif`` beside ``bands: {b: a.tif}``, band 1 of a multi-band ``path:``
    beside ``bands:`` naming that file, and one file under two keys of ``bands`` loaded,
    and the cube held one layer twice under two names (a model counts its evidence
    twice; weights of evidence adds both weights). Refused, naming both names."""
    with pytest.raises(ConfigError) as caught:
        load_job(_job(folder, _sources(*bodies), "twice-" + str(abs(hash(bodies)))))
    text = str(caught.value)
    assert words in text and "one layer twice under two names" in text
    assert str(folder) in text and "\n" not in text


@pytest.mark.parametrize(
    "bodies",
    [
        ("name: a\npath: rgb.tif\nband_names: [r, g, bl]", "name: b\npath: a.tif"),
        ("name: a\npath: a.tif", "name: b\nbands: {b: a.tif}\nresampling: bilinear"),
        ("name: a\npath: a.tif", "name: b\nbands: {b: a.tif}\nvalues: categorical"),
        ("name: a\nbands: {x: a.tif, y: rgb.tif}",),
    ],
    ids=["other-files", "other-resampling", "other-values", "two-files-in-bands"],
)
def test_control_one_file_read_another_way_or_other_files(
    folder: Path, bodies: tuple[str, ...]
) -> None:
    """Control: other files, or one file read another way, load as before."""
    job = load_job(_job(folder, _sources(*bodies), "other-" + str(abs(hash(bodies)))))
    assert len(job.sources) == len(bodies)


# -- 3. bounds past 180 degrees in a world Mercator ----------------------------------------


def _region(folder: Path, crs: str, bounds: list[float], name: str) -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "kind": "region",
                "name": name,
                "crs": crs,
                "resolution": 1000,
                "bounds": bounds,
                "chunks": [64, 64],
            }
        )
    )
    return path


@pytest.mark.parametrize(
    "crs,bounds,words",
    [
        (
            "EPSG:3857",
            [19900000, 0, 20100000, 100000],
            "right 20100000 lies past 180 degrees, where x in EPSG:3857 ends",
        ),
        (
            "EPSG:3395",
            [-20100000, -2000000, -19900000, -1900000],
            "left -20100000 lies past 180 degrees",
        ),
        (
            "EPSG:3857",
            [20100000, 0, 20200000, 100000],
            "give them within its x range ([-19975016.6854, 0, -19875016.6854, 100000])",
        ),
    ],
    ids=["3857-across", "3395-across-west", "3857-wholly-past"],
)
def test_mercator_bounds_past_180_are_said_as_such(
    folder: Path, crs: str, bounds: list[float], words: str
) -> None:
    """``[19900000, 0, 20100000, 100000]`` in EPSG:3857 (a region drawn across the
    antimeridian) was refused as "written with x and y swapped", whose fix put the
    region in a strip at 85 degrees north; it is said to lie past 180 degrees, with the
    fix (a projected CRS of the area, or the x range the projection has)."""
    with pytest.raises(ConfigError) as caught:
        load_region(_region(folder, crs, bounds, "past-" + crs[5:] + str(bounds[0])))
    text = str(caught.value)
    assert words in text and "swapped" not in text


@pytest.mark.parametrize(
    "crs,bounds",
    [
        ("EPSG:3857", [19800000, 0, 20000000, 100000]),
        ("EPSG:3857", [600000, 6800000, 700000, 6900000]),
        ("EPSG:3832", [0, 0, 100000, 100000]),
    ],
    ids=["3857-by-180", "3857-netherlands", "3832-pacific"],
)
def test_control_mercator_bounds_within_the_projection(
    folder: Path, crs: str, bounds: list[float]
) -> None:
    """Control: bounds up to the projection's edge, and a Mercator centred elsewhere."""
    region = load_region(_region(folder, crs, bounds, "within-" + crs[5:] + str(bounds[0])))
    assert list(region.bounds) == [float(v) for v in bounds]


# -- 4. SLURM worker jobs the partition can never start ------------------------------------


@pytest.fixture(scope="module")
def slurm() -> Iterator[Any]:
    """A single-node SLURM (``cluster/slurm-local.sh``), stopped at the end."""
    sys.path.insert(0, str(REPO / "tests" / "cluster"))
    from slurm_helpers import start_slurm, unavailable

    reason = unavailable()
    if reason:
        pytest.skip(reason)
    root = Path(tempfile.mkdtemp(prefix="prospect-slurm-r30-"))
    cluster = start_slurm(root, "normal")
    try:
        yield cluster
    finally:
        cluster.stop()


def _slurm_settings(
    slurm: Any, root: Path, monkeypatch: pytest.MonkeyPatch, wait: float, **settings: Any
) -> Path:
    from slurm_helpers import jobqueue_dir, venv

    folder = jobqueue_dir(
        root,
        slurm,
        jobqueue={"walltime": "00:10:00", **settings},
        prospect={"jobs": 1, "wait_for_workers": 1, "wait_timeout_s": wait},
    )
    monkeypatch.setenv("SLURM_CONF", str(slurm.conf))
    monkeypatch.setenv("PROSPECT_VENV", str(venv()))
    monkeypatch.setenv("PROSPECT_CLUSTER_DIR", str(folder))
    return folder


def _start_workers() -> tuple[str, float]:
    """Start the SLURM engine in-process as a stage does; the refusal and the seconds."""
    from pipelines.cluster import dask_client

    started = time.monotonic()
    with pytest.raises(StageError) as caught, dask_client(cluster="slurm"):
        pass
    return str(caught.value), time.monotonic() - started


@pytest.mark.cluster
@pytest.mark.parametrize(
    "limit,settings,words",
    [
        ("MaxTime=00:05:00", {}, ("PENDING PartitionTimeLimit", "'jobqueue.slurm.walltime'")),
        (
            "MaxTime=INFINITE",
            {"cores": 64},
            ("PENDING PartitionConfig", "'jobqueue.slurm.cores' or 'jobqueue.slurm.memory'"),
        ),
    ],
    ids=["walltime-above-maxtime", "cores-above-the-node"],
)
def test_worker_jobs_the_partition_never_starts_stop_at_once(
    slurm: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    limit: str,
    settings: dict[str, Any],
    words: tuple[str, str],
) -> None:
    """A walltime above the partition's ``MaxTime``, or more cores than its node has:
    sbatch accepts the job (SLURM's default ``EnforcePartLimits=NO``) and it waits
    ``PENDING PartitionTimeLimit`` (``PartitionConfig``) for ever. The run waited out
    ``wait_timeout_s`` (600 s as shipped) to say only that no worker joined; it stops
    once SLURM gives such a reason, naming the setting to change."""
    slurm.cmd("scontrol", "update", "PartitionName=normal", limit)
    try:
        folder = _slurm_settings(slurm, tmp_path, monkeypatch, 40, **settings)
        text, elapsed = _start_workers()
    finally:
        slurm.cmd("scontrol", "update", "PartitionName=normal", "MaxTime=INFINITE")
    assert elapsed < 30, (elapsed, text)
    assert words[0] in text and "wait for ever" in text
    assert f"change {words[1]} in {folder / 'jobqueue.yaml'}" in text
    slurm.wait_until_empty(timeout=30)  # the worker job was cancelled


@pytest.mark.cluster
def test_control_worker_jobs_waiting_for_resources_are_waited_for(
    slurm: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Control: a job waiting for cores another job holds (``PENDING Resources``) may
    start: the run waits ``wait_timeout_s`` for it, as before."""
    cores = os.cpu_count() or 1
    blocker = slurm.cmd(
        "sbatch",
        "--parsable",
        "-c",
        str(cores),
        "-p",
        "normal",
        "-o",
        "/dev/null",
        "--wrap",
        "sleep 120",
    ).strip()
    try:
        _slurm_settings(slurm, tmp_path, monkeypatch, 6)
        text, elapsed = _start_workers()
    finally:
        slurm.cmd("scancel", blocker, check=False)
    assert elapsed >= 6, (elapsed, text)
    assert "no dask worker joined the slurm cluster within 6 s" in text
    assert "wait for ever" not in text
    slurm.wait_until_empty(timeout=30)


# -- 5. keys of a DaskCluster manifest that Kubernetes drops -------------------------------

MANIFEST = REPO / "cluster" / "kubernetes" / "daskcluster.yaml"


@pytest.mark.parametrize(
    "old,new,words",
    [
        (
            "volumeMounts:",
            "volumeMount:",
            "unknown key 'spec.worker.spec.containers[0].volumeMount'",
        ),
        ("    replicas: 4", "    replica: 4", "unknown key 'spec.worker.replica'"),
        ("limits:", "limit:", "unknown key 'spec.worker.spec.containers[0].resources.limit'"),
    ],
    ids=["volumeMount", "replica", "limit"],
)
def test_manifest_keys_kubernetes_would_drop_are_refused(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, old: str, new: str, words: str
) -> None:
    """A misspelt key of the ``DaskCluster`` manifest (``volumeMount:``, ``replica:``,
    ``limit:``) passed, and the API server drops keys its schema does not hold: workers
    writing the cube into their own containers (lost with them), one worker instead of
    four, pods without their memory limit. Refused before anything is created, with the
    key meant; checked against the operator's own CRD schema."""
    pytest.importorskip("kubernetes")
    manifest = tmp_path / "cluster" / "kubernetes" / "daskcluster.yaml"
    manifest.parent.mkdir(parents=True)
    manifest.write_text(MANIFEST.read_text().replace(old, new, 1))
    monkeypatch.setenv("PROSPECT_CLUSTER_DIR", str(tmp_path / "cluster"))
    monkeypatch.delenv("PROSPECT_DEBUG", raising=False)
    job = _job(folder, _sources("name: dem\npath: a.tif"), "k8s-job")
    from .conftest import assert_clean_error, run_in_process

    out = tmp_path / "out"
    result = run_in_process("run", job, "-o", out, "--cluster", "kubernetes")
    line = assert_clean_error(result, 2, str(manifest), words)
    assert f"did you mean '{old.strip().rstrip(':').split(':')[0]}'?" in line
    assert not out.exists()


@pytest.mark.parametrize("name", ["daskcluster.yaml", "daskjob.yaml"])
def test_control_shipped_manifests_hold_only_keys_of_the_schema(name: str) -> None:
    """Control: the shipped DaskCluster and DaskJob manifests pass as they are."""
    pytest.importorskip("kubernetes")
    from pipelines.cluster import check_kubernetes_spec

    check_kubernetes_spec(REPO / "cluster" / "kubernetes" / name)


# -- 6. a shipped region's fields replaced under 'name:' for 'base:' ------------------------


@pytest.mark.parametrize(
    "region",
    [
        "  name: limburg\n  resolution: 20\n",
        "  name: limburg\n  bounds: [180000, 310000, 190000, 320000]\n",
    ],
    ids=["resolution", "bounds"],
)
def test_a_shipped_regions_name_under_name_says_base(folder: Path, region: str) -> None:
    """``region: {name: limburg, resolution: 20}`` (the shipped region at 20 m) was
    "missing required key 'region.crs'" and "'region.bounds'": the inline form's
    errors, naming neither the form meant nor its key. It says to write ``base:``."""
    text = f"name: t\nregion:\n{region}sources:\n  - kind: raster\n    name: dem\n    path: a.tif\n"
    with pytest.raises(ConfigError) as caught:
        load_job(_job(folder, text, "override-" + region.split()[2].rstrip(":")))
    message = str(caught.value)
    assert "write 'base: limburg'" in message and "missing required key" not in message


@pytest.mark.parametrize(
    "region",
    [
        "  base: limburg\n  name: limburg-20\n  resolution: 20\n",
        '  name: limburg\n  crs: "EPSG:28992"\n  resolution: 10\n'
        "  bounds: [180000, 310000, 190000, 320000]\n",
    ],
    ids=["base", "inline-of-that-name"],
)
def test_control_base_and_inline_regions(folder: Path, region: str) -> None:
    """Control: the override form with ``base:``, and an inline region of its own crs."""
    text = f"name: t\nregion:\n{region}sources:\n  - kind: raster\n    name: dem\n    path: a.tif\n"
    job = load_job(_job(folder, text, "override-control-" + region.split()[0].rstrip(":")))
    assert job.region is not None


# -- 7. credentials in a URL written percent-encoded inside GDAL's /vsicurl?url= -----------


def test_a_secret_inside_a_percent_encoded_url_is_masked(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GDAL's ``/vsicurl?url=`` form carries the URL percent-encoded, its query's ``?``,
    ``&`` and ``=`` as ``%3F``, ``%26`` and ``%3D``: a signed URL's ``sig%3D...`` was no
    query parameter to the masking, and the error line and ``manifest.json`` of the real
    run held the signature. Both mask it now; the URL's other parts stay as written."""
    from .conftest import run_in_process

    monkeypatch.delenv("PROSPECT_DEBUG", raising=False)
    url = "https%3A%2F%2F127.0.0.1%3A9%2Fx.tif%3Fsig%3Dsecret123%26band%3D1"
    job = _job(
        folder, _sources(f'name: dem\npath: "/vsicurl?url={url}&use_head=no"'), "vsicurl-sig"
    )
    out = tmp_path / "out"
    result = run_in_process("ingest", job, "-o", out, "--workers", "1")
    assert result.code != 0 and "Traceback" not in result.err
    assert "sig%3D***%26band%3D1" in result.err
    written = "".join(p.read_text(errors="replace") for p in out.rglob("*") if p.is_file())
    assert "secret123" not in result.out + result.err + written


def test_control_plain_and_encoded_urls_keep_what_is_no_secret() -> None:
    """Control: a parameter that is no credential stays, encoded or not."""
    from prospect.redact import redact

    text = "/vsicurl?url=https%3A%2F%2Fh%2Fx.tif%3Fband%3D1%26sv%3D2022&use_head=no"
    assert redact(text) == text
    assert redact("https://h/x.tif?sig=abc&band=1") == "https://h/x.tif?sig=***&band=1"
