"""Round 37, faults and job configs: the SLURM batch script's worker memory on more than
one node, and files a config names miswritten (another case, the format's other ending)
said "not found" without the file beside them where the stages name it.

The jobs are the corpus's tiny SYNTHETIC raster job run through the real CLI in this
process; the batch script's own lines are run by bash with SLURM's variables as a
multi-node allocation sets them. No part of the engine is mocked. All inputs here are
small and SYNTHETIC.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from .conftest import REPO, Sandbox, assert_clean_error

# -- 1. the SLURM batch script's worker memory on more than one node ---------------------

SBATCH = REPO / "cluster" / "prospect-job.sbatch"


def _worker_memory(env: dict[str, str], script: Path = SBATCH) -> str:
    """The ``--memory-limit`` the batch script gives each dask worker under the SLURM
    variables ``env``: its own lines from ``threads=`` to the memory block's ``fi``, run
    by bash as the script runs them (``set -euo pipefail``)."""
    lines = script.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("threads="))
    auto = next(i for i in range(start, len(lines)) if lines[i].strip() == "memory=auto")
    end = next(i for i in range(auto, len(lines)) if lines[i] == "fi")
    block = "\n".join(["set -euo pipefail", *lines[start:end + 1], 'echo "$memory"'])
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SLURM_")}
    run = subprocess.run(["bash", "-c", block], env={**clean, **env}, capture_output=True,
                         text=True, timeout=30)
    assert run.returncode == 0 and not run.stderr, run.stderr
    return run.stdout.strip()


@pytest.mark.parametrize(("layout", "tasks", "wanted"), [
    ("4(x2)", "8", "16128MiB"),   # --nodes=2 --ntasks=8 --mem=64G: 4 workers a node
    ("3,2", "5", "21504MiB"),     # --nodes=2 --ntasks=5: the fuller node's share
    ("2(x3),1", "7", "32256MiB"),  # four nodes, the last with one task
])
def test_a_multi_node_jobs_workers_get_their_nodes_share_of_mem(
        layout: str, tasks: str, wanted: str) -> None:
    """``sbatch --nodes=2 --ntasks=8 --mem=64G cluster/prospect-job.sbatch ...``: ``--mem``
    is each node's, and each node runs 4 of the 8 workers, yet the script divided
    ``SLURM_MEM_PER_NODE`` by all 8 tasks: every worker was limited to 8 GiB of its 16
    (dask paused and spilled it at half its memory, and the nanny killed a task of 10 GiB
    a node had room for), without a word. Now each worker gets the memory of its node
    divided by the tasks on the node that holds the most (``SLURM_TASKS_PER_NODE``), after
    round 38's 1 GiB of the first node for the batch step (the scheduler and the run)."""
    env = {"SLURM_MEM_PER_NODE": "65536", "SLURM_NTASKS": tasks,
           "SLURM_TASKS_PER_NODE": layout, "SLURM_CPUS_PER_TASK": "2"}
    assert _worker_memory(env) == wanted


@pytest.mark.parametrize(("env", "wanted"), [
    ({"SLURM_MEM_PER_NODE": "65536", "SLURM_NTASKS": "4", "SLURM_TASKS_PER_NODE": "4"},
     "16128MiB"),
    ({"SLURM_MEM_PER_NODE": "65536", "SLURM_NTASKS": "4"}, "16128MiB"),
    ({"SLURM_MEM_PER_CPU": "4096", "SLURM_NTASKS": "8", "SLURM_TASKS_PER_NODE": "4(x2)",
      "SLURM_CPUS_PER_TASK": "2"}, "7936MiB"),
    ({"SLURM_NTASKS": "2"}, "auto"),
])
def test_control_one_nodes_and_per_cpu_memory_are_as_before(env: dict[str, str],
                                                            wanted: str) -> None:
    """control: one node (with or without ``SLURM_TASKS_PER_NODE``), ``--mem-per-cpu``
    (already each task's) and no memory asked give what they gave, less round 38's 1 GiB
    of the first node for the batch step, shared by that node's workers."""
    assert _worker_memory(env) == wanted


# -- 2. a file a config names, miswritten, said "not found" without the file beside it ---


def test_plan_strict_names_a_source_file_written_in_another_case(sandbox: Sandbox,
                                                                  cli: Any) -> None:
    """``path: HEAT.TIF`` (the config written on Windows or macOS, the file ``heat.tif``):
    ``prospect plan --strict`` exited 1 with "file(s) not found ... fix the paths", while
    its own table's note and the run's ingest both said "'heat.tif' is there, its name in
    another case". The one line a script logs now says it too."""
    job = sandbox.job()
    job["sources"][0]["path"] = "HEAT.TIF"
    sandbox.write_job(yaml.safe_dump(job, sort_keys=False))
    result = cli("plan", sandbox.job_path, "--strict")
    assert_clean_error(result, 1, "HEAT.TIF", "'heat.tif' is there", "another case",
                       "file(s) not found")
    assert sandbox.untouched()


def test_plan_strict_names_a_source_file_written_with_the_other_ending(
        sandbox: Sandbox, cli: Any) -> None:
    """``path: heat.tiff`` for ``heat.tif``: the same, with the format's other ending."""
    job = sandbox.job()
    job["sources"][0]["path"] = "heat.tiff"
    sandbox.write_job(yaml.safe_dump(job, sort_keys=False))
    result = cli("plan", sandbox.job_path, "--strict")
    assert_clean_error(result, 1, "heat.tiff", "'heat.tif' is there", "other ending")


def test_plan_strict_says_a_source_file_is_a_link_to_nothing(sandbox: Sandbox,
                                                             cli: Any) -> None:
    """``path: heat-latest.tif``, a symbolic link whose target was moved: ``--strict``
    said "file(s) not found" (the user looks for a typo, and ``ls`` shows the link); the
    run's ingest says where the link points. The plan's line says so too now."""
    (sandbox.root / "heat-latest.tif").symlink_to(sandbox.root / "moved" / "heat.tif")
    job = sandbox.job()
    job["sources"][0]["path"] = "heat-latest.tif"
    sandbox.write_job(yaml.safe_dump(job, sort_keys=False))
    result = cli("plan", sandbox.job_path, "--strict")
    assert_clean_error(result, 1, "heat-latest.tif", "a symbolic link to",
                       "moved/heat.tif", "which does not exist")


def test_control_plan_strict_of_a_file_not_there_keeps_its_line(sandbox: Sandbox,
                                                                cli: Any) -> None:
    """control: a file with no look-alike beside it is said as before, with no hint."""
    job = sandbox.job()
    job["sources"][0]["path"] = "fetched-later.tif"
    sandbox.write_job(yaml.safe_dump(job, sort_keys=False))
    result = cli("plan", sandbox.job_path, "--strict")
    line = assert_clean_error(result, 1, "fetched-later.tif", "file(s) not found")
    assert "is there" not in line


def test_a_region_file_written_in_another_case_names_the_file_there(sandbox: Sandbox,
                                                                     cli: Any) -> None:
    """``region: regions/Area.yml`` beside ``regions/area.yaml``: "region file ... not
    found" alone; now the file on disk is named with how the two names differ."""
    (sandbox.root / "regions").mkdir()
    (sandbox.root / "regions" / "area.yaml").write_text(
        yaml.safe_dump(sandbox.job()["region"], sort_keys=False))
    sandbox.write_job(yaml.safe_dump(sandbox.job(region="regions/Area.yml"), sort_keys=False))
    result = cli("plan", sandbox.job_path)
    assert_clean_error(result, 2, "'region'", "region file", "not found",
                       "'area.yaml' is there", "another case")
    assert sandbox.untouched()


def test_a_sensor_file_written_in_another_case_names_the_file_there(sandbox: Sandbox,
                                                                     cli: Any) -> None:
    """``indices.sensor: MySensor.yaml`` beside ``mysensor.yaml``: "sensor file ...: not
    found"; now the file on disk is named."""
    (sandbox.root / "mysensor.yaml").write_text(yaml.safe_dump(
        {"name": "mysensor", "bands": {"N": {"variable": "heat"}, "R": {"variable": "red"}}}))
    sandbox.write_job(yaml.safe_dump(sandbox.job(
        indices={"sensor": "MySensor.yaml", "names": ["NDVI"]}), sort_keys=False))
    result = cli("plan", sandbox.job_path)
    assert_clean_error(result, 2, "indices.sensor", "not found", "'mysensor.yaml' is there",
                       "another case")


def test_a_reference_raster_not_there_names_the_key_and_the_file_there(
        sandbox: Sandbox, cli: Any) -> None:
    """``region: {reference: Heat.TIF}`` beside ``heat.tif``: "cannot read as a raster:
    .../Heat.TIF: No such file or directory", naming neither the key nor the file that is
    there (a source's file miswritten so is named by ingest). Now both, exit 1 as before."""
    sandbox.write_job(yaml.safe_dump(sandbox.job(
        region={"reference": "Heat.TIF", "chunks": [20, 20]}), sort_keys=False))
    result = cli("plan", sandbox.job_path)
    line = assert_clean_error(result, 1, "Heat.TIF", "reference raster not found",
                              "region.reference", "'heat.tif' is there", "another case")
    assert "No such file or directory" not in line


def test_control_a_reference_raster_there_still_makes_the_grid(sandbox: Sandbox,
                                                                cli: Any) -> None:
    """control: ``reference: heat.tif`` as it is on disk plans (exit 0)."""
    sandbox.write_job(yaml.safe_dump(sandbox.job(
        region={"reference": "heat.tif", "chunks": [20, 20]}), sort_keys=False))
    result = cli("plan", sandbox.job_path)
    assert result.code == 0, result.err[-2000:]


# -- 3. a mask outline not there, planned without a word ---------------------------------

LAND = {"type": "FeatureCollection", "features": [{
    "type": "Feature", "properties": {"name": "land"},
    "geometry": {"type": "Polygon", "coordinates": [[
        [-69.01, 12.18], [-68.98, 12.18], [-68.98, 12.24], [-69.01, 12.24],
        [-69.01, 12.18]]]}}]}
"""A SYNTHETIC land polygon in longitude and latitude around the tiny region."""


def _masked(sandbox: Sandbox, path: str) -> None:
    """The sandbox's job with ``mask: {path: path}``, and ``land.geojson`` beside it."""
    import json

    (sandbox.root / "land.geojson").write_text(json.dumps(LAND))
    sandbox.write_job(yaml.safe_dump(sandbox.job(mask={"path": path}), sort_keys=False))


def test_plan_strict_refuses_a_mask_outline_not_there(sandbox: Sandbox, cli: Any) -> None:
    """``mask: {path: coast.geojson}`` before the outline was fetched: ``prospect plan
    --strict`` exited 0 (it checks the sources' files only) and the run stopped at
    ingest, "outline file not found", exit 1: a script that plans before it submits was
    told the job could run. Now ``--strict`` exits 1 naming the key and the file."""
    _masked(sandbox, "coast.geojson")
    result = cli("plan", sandbox.job_path, "--strict")
    assert_clean_error(result, 1, "'mask.path'", "coast.geojson", "file(s) not found",
                       "stops at ingest")
    assert sandbox.untouched()


def test_plan_notes_a_mask_outline_not_there_with_the_file_beside_it(
        sandbox: Sandbox, cli: Any) -> None:
    """Without ``--strict`` the plan said nothing of it (exit 0, no note, in the table or
    the JSON); now a note names the key, the file and one beside it in another case."""
    import json

    _masked(sandbox, "Land.geojson")
    result = cli("plan", sandbox.job_path, "--json")
    assert result.code == 0, result.err[-2000:]
    notes = [n for n in json.loads(result.out)["notes"] if n.startswith("mask.path")]
    assert len(notes) == 1, json.loads(result.out)["notes"]
    for needle in ("Land.geojson", "outline file not found", "'land.geojson' is there",
                   "stops at ingest"):
        assert needle in notes[0], notes[0]


def test_control_a_mask_outline_there_plans_strict(sandbox: Sandbox, cli: Any) -> None:
    """control: the outline there (``land.geojson``) plans ``--strict``, exit 0, no note."""
    _masked(sandbox, "land.geojson")
    result = cli("plan", sandbox.job_path, "--strict")
    assert result.code == 0, result.err[-2000:]
    assert "mask.path" not in result.out + result.err
