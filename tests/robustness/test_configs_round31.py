"""Round 31, configs and cluster settings: resolutions written with a unit, batch-system
log folders and directives written with ``$VARIABLE`` or ``~``, and ``sbatch`` refusals of
a request written in ``job-extra-directives``.

Each config case loads a real file written into ``tmp_path`` (the job's loader, as
``prospect`` reads it); the batch-system cases read a real ``jobqueue.yaml`` through
:func:`pipelines.cluster.jobqueue_cluster`, or submit real worker jobs to a single-node
SLURM (``cluster/slurm-local.sh``) as a stage does. Rasters are small and SYNTHETIC.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from prospect.config import load_job
from prospect.errors import ConfigError, StageError

REPO = Path(__file__).resolve().parents[2]
SHIPPED_JOBQUEUE = REPO / "cluster" / "jobqueue.yaml"


@pytest.fixture(scope="module")
def folder() -> Iterator[Path]:
    """One folder for every config case, with ``a.tif``: a 10 x 10 float32 GeoTIFF
    (SYNTHETIC) in RD New at x 100 000, y 400 000."""
    import rasterio
    from rasterio.transform import Affine

    with tempfile.TemporaryDirectory(prefix="prospect-r31-configs-") as name:
        root = Path(name)
        for file in ("a.tif", "scl.tif"):
            with rasterio.open(
                root / file,
                "w",
                driver="GTiff",
                width=10,
                height=10,
                count=1,
                dtype="float32",
                crs="EPSG:28992",
                nodata=-9999.0,
                transform=Affine(10, 0, 100000, 0, -10, 400100),
            ) as dst:
                dst.write(np.arange(100, dtype="float32").reshape(1, 10, 10))
        (root / "pts.csv").write_text("x,y,li\n100050,400050,5\n100020,400020,1\n")
        yield root


SOURCE = "sources:\n  - kind: raster\n    name: a\n    path: a.tif\n"


def _load(folder: Path, name: str, text: str) -> Any:
    path = folder / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return load_job(path)


def _region(crs: str, resolution: str, bounds: str) -> str:
    return (
        f'name: r31\nregion:\n  name: tiny\n  crs: "{crs}"\n  resolution: {resolution}\n'
        f"  bounds: {bounds}\n  chunks: [16, 16]\n{SOURCE}"
    )


RD = "[100000, 400000, 100100, 400100]"
CA = "[6500000, 1800000, 6503000, 1803000]"  # EPSG:2229, California zone 5, US survey feet
NL_DEGREES = "[5.0, 52.0, 5.01, 52.01]"


# -- a resolution written with its unit: the number to write is in the CRS's unit --------


@pytest.mark.parametrize(
    ("crs", "bounds", "written", "said"),
    [
        ("EPSG:28992", RD, '"10 ft"', "write 3.048 (10 ft in metres)"),
        ("EPSG:28992", RD, '"0.01 km"', "write 10 (0.01 km in metres)"),
        ("EPSG:2229", CA, '"30 m"', "write 98.425 (30 m in US survey feet)"),
        ("EPSG:2229", CA, "30m", "write 98.425 (30m in US survey feet)"),
        (
            "EPSG:4326",
            NL_DEGREES,
            '"10 m"',
            "write the resolution in degrees (10 m is about 8.98e-05 degrees of latitude)",
        ),
        ("EPSG:28992", RD, '"0.001 degrees"', "not degrees: write the cell's side in metres"),
    ],
    ids=[
        "ft-in-metres",
        "km-in-metres",
        "m-in-us-feet",
        "m-in-us-feet-unspaced",
        "m-in-degrees",
        "degrees-in-metres",
    ],
)
def test_a_resolution_with_a_unit_says_the_number_in_the_crs_unit(
    folder: Path, crs: str, bounds: str, written: str, said: str
) -> None:
    """``resolution: "10 ft"`` in RD New was refused with "write 10 alone": 10 m cells,
    3.3 times the side written; ``"0.01 km"`` the same (0.01 m cells), and ``"30 m"`` in
    a CRS in US survey feet "write 30 alone" (30 ft, 9.1 m cells). The number to write
    is now the length in the CRS's own unit."""
    with pytest.raises(ConfigError) as caught:
        _load(folder, "unit", _region(crs, written, bounds))
    text = str(caught.value)
    assert "key 'region.resolution'" in text and said in text, text
    assert "alone" not in text, text


def test_a_shipped_regions_resolution_with_a_unit_says_the_number_in_its_unit(folder: Path) -> None:
    """``region: {base: limburg, resolution: "20 ft"}`` said "write 20 alone" (20 m):
    the base region's CRS (RD New, metres) gives the number."""
    with pytest.raises(ConfigError) as caught:
        _load(
            folder,
            "override",
            f'name: r31\nregion: {{base: limburg, resolution: "20 ft"}}\n{SOURCE}',
        )
    text = str(caught.value)
    assert "resolution of region 'limburg'" in text and "write 6.096 (20 ft in metres)" in text, (
        text
    )


def test_a_length_in_km_given_to_a_key_in_metres_says_the_metres(folder: Path) -> None:
    """The generic hint, for keys whose unit it does not know from a CRS: ``buffer_m:
    "1 km"`` said "write 1 alone", a buffer of 1 m."""
    source = (
        "sources:\n  - kind: raster\n    name: s2\n    bands: {B04: a.tif, SCL: "
        'scl.tif}\n    cloud_mask: {kind: scl, asset: SCL, buffer_m: "1 km"}\n'
    )
    text = (
        f'name: r31\nregion:\n  name: tiny\n  crs: "EPSG:28992"\n  resolution: 10\n'
        f"  bounds: {RD}\n  chunks: [16, 16]\n{source}"
    )
    with pytest.raises(ConfigError) as caught:
        _load(folder, "buffer", text)
    said = str(caught.value)
    assert "cloud_mask.buffer_m" in said and "1 km is 1000 m: write 1000" in said, said


def test_a_length_with_a_unit_for_a_number_or_auto_key_says_the_metres(folder: Path) -> None:
    """``cv.block_size: "1 km"`` (a number or ``auto``) was "Input should be a valid
    number ...; or: Input should be 'auto'", without the number to write."""
    text = (
        f'name: r31\nregion:\n  name: tiny\n  crs: "EPSG:28992"\n  resolution: 10\n'
        f"  bounds: {RD}\n  chunks: [16, 16]\n{SOURCE}"
        "  - kind: points\n    name: pts\n    path: pts.csv\n    x: x\n    y: y\n"
        '    crs: "EPSG:28992"\n    columns: [li]\n'
        "model:\n  mineral: lithium\n  labels: {source: pts, value_column: li, threshold: 3}\n"
        '  cv: {block_size: "1 km"}\n'
    )
    with pytest.raises(ConfigError) as caught:
        _load(folder, "block", text)
    said = str(caught.value)
    assert "model.cv.block_size" in said and "1 km is 1000 m: write 1000" in said, said


@pytest.mark.parametrize(
    ("crs", "bounds", "resolution", "cells"),
    [
        ("EPSG:28992", RD, "10", (10, 10)),
        ("EPSG:2229", CA, "30", (100, 100)),
        ("EPSG:28992", RD, '"10"', (10, 10)),
    ],
    ids=["metres", "us-feet", "quoted-number"],
)
def test_control_a_resolution_in_the_crs_unit_loads(
    folder: Path, crs: str, bounds: str, resolution: str, cells: tuple[int, int]
) -> None:
    grid = _load(folder, "plain", _region(crs, resolution, bounds)).region.to_grid()
    assert grid.shape == cells and grid.crs == crs


def test_control_a_resolution_in_the_crs_unit_with_its_unit_says_the_same_number(
    folder: Path,
) -> None:
    """``"10 m"`` in a CRS in metres: the number written stays the number to write."""
    with pytest.raises(ConfigError) as caught:
        _load(folder, "same", _region("EPSG:28992", '"10 m"', RD))
    assert "write 10" in str(caught.value) and "write 10." not in str(caught.value)


@pytest.mark.parametrize(
    "region",
    [
        f'\n  name: tiny\n  crs: "EPSG:28992"\n  resolution: yes\n  bounds: {RD}\n',
        " {base: limburg, resolution: yes}\n",
    ],
    ids=["inline", "base"],
)
def test_control_a_resolution_of_yes_is_still_refused_as_a_boolean(
    folder: Path, region: str
) -> None:
    """The unit check sits beside the models' refusal of booleans in number fields
    (``resolution: yes`` was a 1 m grid), not in its place."""
    with pytest.raises(ConfigError) as caught:
        _load(folder, "yes", f"name: r31\nregion:{region}{SOURCE}")
    assert "bad value yes" in str(caught.value) and "booleans" in str(caught.value)


# -- batch-system paths a shell never expands ---------------------------------------------


def _jobqueue(root: Path, kind: str, **settings: Any) -> Path:
    data = yaml.safe_load(SHIPPED_JOBQUEUE.read_text(encoding="utf-8"))
    data["jobqueue"][kind].update(settings)
    path = root / "jobqueue.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("kind", "settings", "literal", "said"),
    [
        (
            "slurm",
            {"log-directory": "$PROSPECT_R31_UNSET/logs"},
            "$PROSPECT_R31_UNSET",
            "holds $PROSPECT_R31_UNSET (not set here)",
        ),
        (
            "slurm",
            {"log-directory": "${HOME}/prospect-logs"},
            "${HOME}",
            f"e.g. '{Path.home()}/prospect-logs'",
        ),
        ("pbs", {"log-directory": "~/prospect-logs"}, "~", f"e.g. '{Path.home()}/prospect-logs'"),
        (
            "slurm",
            {"job-extra-directives": ["--output=$PROSPECT_R31_UNSET/w-%j.out"]},
            None,
            "job-extra-directives '--output=$PROSPECT_R31_UNSET/w-%j.out'",
        ),
    ],
    ids=["slurm-unset-variable", "slurm-braced-variable", "pbs-tilde", "slurm-directive"],
)
def test_batch_paths_with_variables_are_refused_before_any_folder_is_made(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    kind: str,
    settings: dict[str, Any],
    literal: str | None,
    said: str,
) -> None:
    """``log-directory: $SCRATCH/logs`` went into ``#SBATCH -o $SCRATCH/logs/...``, which
    SLURM reads as written, and dask-jobqueue made a folder named ``$SCRATCH`` (or ``~``)
    in the working directory: the jobs' logs went there, not where the setting pointed,
    without a word."""
    from pipelines.cluster import jobqueue_cluster

    monkeypatch.delenv("PROSPECT_R31_UNSET", raising=False)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    path = _jobqueue(tmp_path, kind, **settings)
    made = None
    try:
        with pytest.raises(ConfigError) as caught:
            made, _ = jobqueue_cluster(kind, path=path, dashboard="127.0.0.1:0")
    finally:
        if made is not None:
            made.close()
    text = str(caught.value)
    assert str(path) in text and said in text and "write the path itself" in text, text
    if literal is not None:
        assert not (work / literal).exists()
    assert "\n" not in text


def test_control_batch_paths_written_out_pass(tmp_path: Path) -> None:
    """An absolute log folder, a relative SLURM pattern and the shipped ``$TMPDIR`` local
    directory (a worker's command line, which its shell expands) pass the checks."""
    from pipelines.cluster import check_jobqueue_section, jobqueue_settings

    for kind in ("slurm", "pbs"):
        path = _jobqueue(
            tmp_path,
            kind,
            **{
                "log-directory": str(tmp_path / "logs"),
                "job-extra-directives": ["-o", "logs/%j.out"]
                if kind == "pbs"
                else ["--output=logs/%j.out"],
            },
        )
        section, _ = jobqueue_settings(kind, path)
        check_jobqueue_section(kind, section, path)
        assert section["local-directory"] == "$TMPDIR"


# -- sbatch refusals of a request written in job-extra-directives ---------------------------


@pytest.fixture(scope="module")
def slurm() -> Iterator[Any]:
    """A single-node SLURM (``cluster/slurm-local.sh``), stopped at the end."""
    sys.path.insert(0, str(REPO / "tests" / "cluster"))
    from slurm_helpers import start_slurm, unavailable

    reason = unavailable()
    if reason:
        pytest.skip(reason)
    root = Path(tempfile.mkdtemp(prefix="prospect-slurm-r31-"))
    cluster = start_slurm(root, "normal")
    try:
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)


def _refusal(slurm: Any, root: Path, monkeypatch: pytest.MonkeyPatch, **settings: Any) -> str:
    """Start the SLURM engine in-process as a stage does; the one-line refusal."""
    from slurm_helpers import jobqueue_dir, venv

    from pipelines.cluster import dask_client

    folder = jobqueue_dir(
        root,
        slurm,
        jobqueue=settings,
        prospect={"jobs": 1, "wait_for_workers": 1, "wait_timeout_s": 20},
    )
    monkeypatch.setenv("SLURM_CONF", str(slurm.conf))
    monkeypatch.setenv("PROSPECT_VENV", str(venv()))
    monkeypatch.setenv("PROSPECT_CLUSTER_DIR", str(folder))
    with pytest.raises(StageError) as caught, dask_client(cluster="slurm"):
        pass
    return str(caught.value)


@pytest.mark.cluster
@pytest.mark.parametrize(
    ("directive", "words"),
    [
        ("--partition=nosuch", "invalid partition"),
        ("-p nosuch", "invalid partition"),
        ("--mem=900G", "Memory specification"),
        ("--constraint=nosuchfeature", "Invalid feature"),
    ],
    ids=["partition", "short-partition", "memory", "constraint"],
)
def test_a_refused_extra_directive_is_named(
    slurm: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, directive: str, words: str
) -> None:
    """``job-extra-directives: ["--partition=nosuch"]`` (or ``--mem`` over the node's)
    was refused as "change 'jobqueue.slurm.queue'", a setting left as shipped (``null``);
    a ``--constraint`` no node has as "change the 'jobqueue.slurm' settings (queue,
    account, cores, memory, walltime)", none of them the one written."""
    text = _refusal(
        slurm, tmp_path, monkeypatch, queue=None, **{"job-extra-directives": [directive]}
    )
    assert (
        words in text and f"change {directive!r} in 'jobqueue.slurm.job-extra-directives'" in text
    ), text
    assert "\n" not in text


@pytest.mark.cluster
def test_control_a_refused_setting_is_named_as_before(
    slurm: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = _refusal(
        slurm,
        tmp_path,
        monkeypatch,
        queue="nosuch",
        **{"job-extra-directives": ["--constraint=x86"]},
    )
    assert "invalid partition" in text and "change 'jobqueue.slurm.queue' in " in text, text


# -- Kubernetes: container args the API server passes on as written --------------------

MANIFEST = REPO / "cluster" / "kubernetes" / "daskcluster.yaml"
WORKER_ARGS = '            - "8788"\n'


@pytest.mark.parametrize(
    ("added", "said"),
    [
        (
            "            - --local-directory\n            - $TMPDIR/dask\n",
            "'$TMPDIR/dask' holds a shell's $TMPDIR",
        ),
        ("            - --local-directory=${SCRATCH}\n", "holds a shell's ${SCRATCH}"),
        (
            "            - --local-directory\n            - $(SCRATCH)/dask\n",
            "holds $(SCRATCH), a variable its env does not define",
        ),
        ("            - --local-directory\n            - ~/dask\n", "'~/dask' holds '~'"),
    ],
    ids=["shell-variable", "braced-variable", "undefined-reference", "tilde"],
)
def test_kubernetes_args_left_unexpanded_are_refused(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, added: str, said: str
) -> None:
    """``args: [..., --local-directory, $TMPDIR/dask]`` in the ``DaskCluster`` manifest:
    Kubernetes expands ``$(NAME)`` of the container's env alone, so the workers spilled
    into a folder named ``$TMPDIR`` in their containers' own file systems (not the
    volume), and ``$(SCRATCH)`` of no env variable stayed as written. Refused by the
    engine check of the real ``prospect run --cluster kubernetes``, before anything is
    created."""
    from .conftest import assert_clean_error, run_in_process

    manifest = tmp_path / "cluster" / "kubernetes" / "daskcluster.yaml"
    manifest.parent.mkdir(parents=True)
    manifest.write_text(
        MANIFEST.read_text(encoding="utf-8").replace(WORKER_ARGS, WORKER_ARGS + added, 1),
        encoding="utf-8",
    )
    monkeypatch.setenv("PROSPECT_CLUSTER_DIR", str(tmp_path / "cluster"))
    monkeypatch.delenv("PROSPECT_DEBUG", raising=False)
    job = folder / "k8s.yaml"
    job.write_text(_region("EPSG:28992", "10", RD), encoding="utf-8")
    out = tmp_path / "out"
    result = run_in_process("run", job, "-o", out, "--cluster", "kubernetes")
    assert_clean_error(result, 2, str(manifest), "worker container 'worker'", said)
    assert not out.exists()


@pytest.mark.parametrize(
    "env",
    [
        "          env:\n            - name: SCRATCH\n              value: /data/tmp\n",
        "          envFrom:\n            - configMapRef: {name: prospect-env}\n          env:\n",
    ],
    ids=["defined-in-env", "env-from-a-config-map"],
)
def test_control_kubernetes_references_of_the_containers_env_pass(tmp_path: Path, env: str) -> None:
    """``$(SCRATCH)`` of a variable the container defines (or may, through ``envFrom``),
    and the shipped manifests' ``$(DASK_WORKER_NAME)``, which the operator sets."""
    from pipelines.cluster import check_kubernetes_spec

    text = MANIFEST.read_text(encoding="utf-8").replace(
        WORKER_ARGS,
        WORKER_ARGS + "            - --local-directory\n            - $(SCRATCH)/dask\n",
        1,
    )
    text = text.replace("          env:\n", env, 1)
    manifest = tmp_path / "daskcluster.yaml"
    manifest.write_text(text, encoding="utf-8")
    check_kubernetes_spec(manifest)
    for name in ("daskcluster.yaml", "daskjob.yaml"):
        check_kubernetes_spec(MANIFEST.parent / name)
