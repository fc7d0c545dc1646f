"""Round 38, faults, the command line and indices configs: the demo's ``--seed`` outside
the range its model takes, ``--cluster`` written as users write batch systems' names,
a superscript power in a custom index formula told to become another band's name,
``indices.bands`` keys in the sensor's own band names told to map another band and
refused only after ingest, a shipped sensor given by its file's name said "not found", the
SLURM batch script's bash 4.3 constructs, and its batch step's memory given to the first
node's workers.

The jobs are the corpus's tiny SYNTHETIC raster job run through the real CLI in this
process; the batch script's own lines are run by bash. No part of the engine is mocked.
All inputs here are small and SYNTHETIC.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from .conftest import REPO, Sandbox, assert_clean_error
from .test_faults_round37 import _worker_memory  # the script's memory block, run by bash

# -- 1. the demo's --seed outside the range its model takes ------------------------------


@pytest.mark.parametrize("seed", ["-1", "4294967296"])
def test_a_demo_seed_its_model_cannot_take_is_named_before_anything_is_written(
        tmp_path: Path, cli: Any, seed: str) -> None:
    """``prospect demo --seed -1`` was "internal error: ValueError: expected non-negative
    integer" (numpy's words, exit 70) after ``-o`` had been made; ``--seed 4294967296``
    wrote the whole SYNTHETIC scene and then stopped on the job file the demo had written,
    "job.yaml:73: key 'model.seed' has bad value ...", a file and a key the user never
    wrote. Now one line names ``--seed`` and the range, exit 2, and ``-o`` is not made."""
    out = tmp_path / "demo"
    result = cli("demo", "-o", out, f"--seed={seed}")
    line = assert_clean_error(result, 2, f"--seed {seed}", "0 to 4294967295")
    assert "job.yaml" not in line
    assert not out.exists()


def test_control_a_demo_seed_in_range_is_not_refused(tmp_path: Path, cli: Any) -> None:
    """control: the largest seed the model takes passes the seed's check (the run then
    stops on ``--size 10``, which is checked next, before anything is written)."""
    out = tmp_path / "demo"
    result = cli("demo", "-o", out, "--seed", "4294967295", "--size", "10")
    line = assert_clean_error(result, 2, "--size 10")
    assert "--seed" not in line
    assert not out.exists()


# -- 2. --cluster written as users write batch systems' names ----------------------------


@pytest.mark.parametrize(("written", "kind", "submit"), [
    ("SLURM", "slurm", "sbatch"), ("Slurm", "slurm", "sbatch"), ("PBS", "pbs", "qsub"),
    ("torque", "pbs", "qsub"),
])
def test_a_cluster_kind_in_capitals_or_by_its_other_name_is_taken(
        sandbox: Sandbox, cli: Any, monkeypatch: pytest.MonkeyPatch, written: str,
        kind: str, submit: str) -> None:
    """``--cluster SLURM`` (the batch system's name as its documentation writes it), or
    ``--cluster torque`` (a PBS that dask-jobqueue's ``PBSCluster`` submits to), was
    "unknown --cluster 'SLURM'; choose one of ['slurm', 'pbs', 'kubernetes']". It is the
    kind now: here, on a machine without the batch system's submit command, the line is
    that command's, as for ``--cluster slurm``."""
    monkeypatch.setenv("PATH", str(Path(sys.executable).parent))  # no sbatch / qsub
    result = cli("run", sandbox.job_path, "-o", sandbox.out, "--cluster", written)
    line = assert_clean_error(result, 1, f"--cluster {kind}", f"'{submit}'",
                              "not on PATH")
    assert "unknown" not in line
    assert sandbox.untouched()


def test_cluster_local_says_the_local_cluster_is_had_by_leaving_it_out(
        sandbox: Sandbox, cli: Any) -> None:
    """``--cluster local`` (the user asking for the default) was "unknown --cluster
    'local'; choose one of [...]", not how the local cluster is had."""
    result = cli("run", sandbox.job_path, "-o", sandbox.out, "--cluster", "local")
    assert_clean_error(result, 2, "--cluster 'local'", "the default", "leave --cluster out",
                       "--workers")
    assert not sandbox.out.exists()


def test_cluster_of_a_batch_system_prospect_ships_nothing_for_says_how(
        sandbox: Sandbox, cli: Any) -> None:
    """``--cluster lsf``: "unknown ...; choose one of [...]" left an LSF site without a
    way; the line now says to start the workers there and give ``--scheduler``."""
    result = cli("run", sandbox.job_path, "-o", sandbox.out, "--cluster", "lsf")
    assert_clean_error(result, 2, "unknown --cluster 'lsf'", "LSF", "--scheduler")


# -- 3. a superscript power in a custom index formula ------------------------------------


@pytest.mark.parametrize(("formula", "fix"), [
    ("N²", "N ** 2"), ("(N - R)² / R", "(...) ** 2"), ("N⁻¹ * R", "N ** (-1)"),
    ("2 * S1³", "S1 ** 3"),
])
def test_a_superscript_power_in_a_formula_is_told_as_a_power(
        sandbox: Sandbox, cli: Any, formula: str, fix: str) -> None:
    """``custom: {MY: "N²"}`` (a formula copied from a paper) was refused with "write
    '2'", Unicode's plain form of the superscript: ``N2`` is Sentinel-2's narrow near
    infrared (B8A), so the formula the hint gave loaded and computed another band without
    a word. The fix names the power with ``**``."""
    sandbox.write_job(yaml.safe_dump(sandbox.job(indices={
        "sensor": "sentinel2", "custom": {"MY": formula}}), sort_keys=False))
    result = cli("plan", sandbox.job_path)
    line = assert_clean_error(result, 2, "indices.custom", "'MY'", "superscript", fix)
    assert "write '" not in line


def test_control_a_formula_written_with_its_power_plans(sandbox: Sandbox, cli: Any) -> None:
    """control: the formula as the hint writes it (``N ** 2``, band N mapped to the
    job's layer) plans, exit 0; a full-width letter is still told its ASCII letter."""
    sandbox.write_job(yaml.safe_dump(sandbox.job(indices={
        "sensor": "sentinel2", "custom": {"MY": "N ** 2"}, "bands": {"N": "heat"}}),
        sort_keys=False))
    assert cli("plan", sandbox.job_path).code == 0
    sandbox.write_job(yaml.safe_dump(sandbox.job(indices={
        "sensor": "sentinel2", "custom": {"MY": "\uff2e / 2"}}), sort_keys=False))
    assert_clean_error(cli("plan", sandbox.job_path), 2, "U+FF2E", "write 'N'")


# -- 3b. indices.bands keys written in the sensor's own band names -----------------------


@pytest.mark.parametrize(("key", "band"), [("B8", "B08"), ("b08", "B08"), ("B08", "B08")])
def test_a_bands_key_in_the_sensors_own_name_is_told_its_common_name(
        sandbox: Sandbox, cli: Any, key: str, band: str) -> None:
    """``indices: {names: [NDVI], bands: {B8: heat, R: heat}}`` on Sentinel-2 (the user
    mapping the near infrared by the band's name on the product) was told "no index uses
    'B8' (did you mean 'B'? ...)": B is the blue band, and the hint's fix mapped blue to
    the near infrared layer, computing every blue-reading index from it without a word.
    Now the line names the sensor's band and the common name it is read under (N)."""
    sandbox.write_job(yaml.safe_dump(sandbox.job(indices={
        "sensor": "sentinel2", "names": ["NDVI"], "bands": {key: "heat", "R": "heat"}}),
        sort_keys=False))
    result = cli("plan", sandbox.job_path)
    line = assert_clean_error(result, 2, f"indices.bands.{key}", "common band 'N'",
                              "write N: heat")
    assert "did you mean 'B'" not in line
    assert f"'{band}'" in line


@pytest.mark.parametrize(("indices", "needle"), [
    ({"names": ["NDVI"], "bands": {"NIRR": "heat", "N": "heat", "R": "heat"}},
     "indices.bands.NIRR"),
    ({"names": ["SAVI"], "bands": {"N": "heat", "R": "heat"}, "constants": {"B8": 0.5}},
     "indices.constants.B8"),
])
def test_a_key_no_catalogue_index_reads_is_refused_before_ingest(
        sandbox: Sandbox, cli: Any, indices: dict[str, Any], needle: str) -> None:
    """A key of ``indices.bands`` or ``indices.constants`` that no index reads, in a job
    of catalogue indices only: ``prospect run`` ingested every source (hours on a real
    region), then the indices stage refused the key without the config file's name, exit
    2 (custom formulas' keys were refused when the job loaded). Now the job's load
    refuses it, naming the file; ``-o`` gets no cube."""
    sandbox.write_job(yaml.safe_dump(sandbox.job(indices=indices), sort_keys=False))
    result = cli("run", sandbox.job_path, "-o", sandbox.out)
    assert_clean_error(result, 2, "job.yaml", needle, "no index uses")
    assert not (sandbox.out / "cube.zarr").exists()
    assert sandbox.untouched()


def test_control_bands_keys_a_formula_reads_still_load(sandbox: Sandbox, cli: Any) -> None:
    """control: common names (N, R) and a custom formula's own band name (X1), each
    read by an index, plan as before (exit 0)."""
    sandbox.write_job(yaml.safe_dump(sandbox.job(indices={
        "sensor": "sentinel2", "names": ["NDVI"], "custom": {"MY": "X1 * N"},
        "bands": {"N": "heat", "R": "heat", "X1": "heat"}}), sort_keys=False))
    result = cli("plan", sandbox.job_path)
    assert result.code == 0, result.err[-2000:]


# -- 3c. a shipped sensor given by its file's name -----------------------------------------


@pytest.mark.parametrize("written", ["configs/sensors/sentinel2.yaml", "Sentinel2.yml",
                                     "L8.yaml"])
def test_a_shipped_sensors_file_name_in_a_job_is_told_its_name(
        sandbox: Sandbox, cli: Any, written: str) -> None:
    """``indices.sensor: configs/sensors/sentinel2.yaml`` (the shipped file's path, copied
    from the repository) was "sensor file '.../configs/sensors/sentinel2.yaml': not found
    (...; or give a shipped sensor's name)", without saying that this is one. Now the
    line says the shipped sensor's name to write."""
    shipped = "landsat8" if written.startswith("L8") else "sentinel2"
    sandbox.write_job(yaml.safe_dump(sandbox.job(indices={
        "sensor": written, "names": ["NDVI"], "bands": {"N": "heat", "R": "heat"}}),
        sort_keys=False))
    result = cli("plan", sandbox.job_path)
    assert_clean_error(result, 2, "indices.sensor", written, "names a shipped sensor",
                       f"write sensor: {shipped}")


def test_indices_list_of_a_shipped_sensors_file_name_says_its_name(tmp_path: Path,
                                                                   cli: Any) -> None:
    """``prospect indices --list --sensor sentinel2.yaml``: "error: .../sentinel2.yaml:
    config file not found", naming neither the option nor the sensor meant."""
    result = cli("indices", "--list", "--sensor", tmp_path / "sentinel2.yaml")
    assert_clean_error(result, 2, "--sensor", "sentinel2.yaml", "names a shipped sensor",
                       "give --sensor sentinel2")


def test_control_a_sensor_file_of_another_name_not_there_keeps_its_line(
        sandbox: Sandbox, cli: Any) -> None:
    """control: ``indices.sensor: mysensor.yaml`` not there, no shipped sensor of that
    name: "not found (a relative path is taken from the job file's folder; ...)"."""
    sandbox.write_job(yaml.safe_dump(sandbox.job(indices={
        "sensor": "mysensor.yaml", "names": ["NDVI"]}), sort_keys=False))
    line = assert_clean_error(cli("plan", sandbox.job_path), 2, "mysensor.yaml",
                              "not found (a relative path is taken")
    assert "shipped sensor," not in line


# -- 4. the SLURM batch script on bash 4.2 ------------------------------------------------

SBATCH = REPO / "cluster" / "prospect-job.sbatch"


def _code_lines(script: Path) -> list[str]:
    """The script's lines without comments (a ``#`` that starts a line or follows a
    blank), and without the Python of its here-documents."""
    lines, heredoc = [], None
    for line in script.read_text().splitlines():
        if heredoc is not None:
            heredoc = None if line.strip() == heredoc else heredoc
            continue
        code = re.sub(r"(^|\s)#.*$", "", line)
        match = re.search(r"<<-?'?(\w+)'?", code)
        heredoc = match.group(1) if match else None
        lines.append(code)
    return lines


def test_the_batch_script_uses_no_construct_bash_4_2_refuses() -> None:
    """``cluster/prospect-job.sbatch`` expanded ``"${interface[@]}"`` of an empty array
    under ``set -u`` and read ``${pids[-1]}``: bash 4.2 (RHEL/CentOS 7 nodes, still on
    many survey clusters) stops at the first ("interface[@]: unbound variable", every job
    without ``PROSPECT_DASK_INTERFACE``, before its scheduler started) and refuses the
    second ("bad array subscript"). Neither construct is left in the script's code: each
    array expansion is guarded (``${a[@]+"${a[@]}"}``) and no subscript is negative."""
    code = "\n".join(_code_lines(SBATCH))
    assert not re.search(r"\$\{\w+\[\s*-\s*\d+\s*\]\}", code), "a negative subscript"
    for match in re.finditer(r"\"\$\{(\w+)\[@\]\}\"", code):
        guard = "${" + match.group(1) + "[@]+"
        before = code[max(0, match.start() - len(guard)):match.start()]
        where = code[max(0, match.start() - 40):match.end() + 10]
        assert before == guard, f"{match.group()} unguarded under set -u: {where}"


@pytest.mark.parametrize(("interface", "wanted"), [
    (None, ["scheduler", "--scheduler-file", "F", "--port", "0",
            "--preload", "pipelines.worker_logs"]),
    ("ib0", ["scheduler", "--scheduler-file", "F", "--port", "0", "--interface", "ib0",
             "--preload", "pipelines.worker_logs"]),
])
def test_control_the_batch_scripts_scheduler_gets_its_interface_or_none(
        interface: str | None, wanted: list[str]) -> None:
    """control: the script's own lines from ``interface=()`` to its ``dask scheduler``
    line, run by bash under ``set -euo pipefail`` with a ``dask`` that prints its
    arguments: no interface without ``PROSPECT_DASK_INTERFACE``, and the one it names."""
    lines = SBATCH.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("interface=()"))
    at = next(i for i, line in enumerate(lines) if line.startswith("dask scheduler"))
    line = lines[at]
    while line.endswith("\\"):  # continued (round 57's --preload on the next line)
        at += 1
        line = line[:-1] + lines[at]
    block = "\n".join(["set -euo pipefail", 'dask() { printf "%s\\n" "$@"; }',
                       lines[start], lines[start + 1], 'sched_file=F',
                       line.rstrip("&").rstrip()])
    env = {k: v for k, v in os.environ.items() if k != "PROSPECT_DASK_INTERFACE"}
    if interface is not None:
        env["PROSPECT_DASK_INTERFACE"] = interface
    run = subprocess.run(["bash", "-c", block], env=env, capture_output=True, text=True,
                         timeout=30)
    assert run.returncode == 0 and not run.stderr, run.stderr
    assert run.stdout.split("\n")[:-1] == wanted


# -- 5. the SLURM batch step's memory beside the first node's workers ---------------------




@pytest.mark.parametrize(("env", "node", "on_first", "wanted"), [
    # sbatch --ntasks=4 --mem=64G: one node, its four workers and the batch step
    ({"SLURM_MEM_PER_NODE": "65536", "SLURM_NTASKS": "4", "SLURM_TASKS_PER_NODE": "4"},
     65536, 4, "16128MiB"),
    # sbatch --ntasks=2 --mem=2G: a small node, a quarter of it for the batch step
    ({"SLURM_MEM_PER_NODE": "2048", "SLURM_NTASKS": "2", "SLURM_TASKS_PER_NODE": "2"},
     2048, 2, "768MiB"),
    # sbatch --ntasks=2 --cpus-per-task=1 --mem-per-cpu=1G (the node holds 2 CPUs)
    ({"SLURM_MEM_PER_CPU": "1024", "SLURM_NTASKS": "2", "SLURM_TASKS_PER_NODE": "2",
      "SLURM_CPUS_PER_TASK": "1", "SLURM_CPUS_ON_NODE": "2"}, 2048, 2, "768MiB"),
    # sbatch --nodes=2 --ntasks=8 --mem=64G: the first node holds 4 workers and the step
    ({"SLURM_MEM_PER_NODE": "65536", "SLURM_NTASKS": "8", "SLURM_TASKS_PER_NODE": "4(x2)",
      "SLURM_CPUS_PER_TASK": "2"}, 65536, 4, "16128MiB"),
])
def test_the_batch_step_keeps_its_memory_beside_the_first_nodes_workers(
        env: dict[str, str], node: int, on_first: int, wanted: str) -> None:
    """The batch step (the dask scheduler and ``prospect run``, about 1 GiB) runs on the
    first node in the same memory as that node's workers, yet the workers were given the
    node's whole memory (``--ntasks=2 --mem=2G``: 1024MiB each): a worker near its limit
    had the node killed for memory, the scheduler or the run with it. Now the batch
    step's share (1 GiB, a quarter of a smaller node) is kept out of the workers'."""
    memory = _worker_memory(env)
    assert memory == wanted
    assert on_first * int(memory.removesuffix("MiB")) <= node - min(1024, node // 4)


def test_control_a_first_node_with_room_keeps_the_fuller_nodes_share() -> None:
    """control: ``SLURM_TASKS_PER_NODE=2,3`` (the first node holds fewer workers than
    the other): the fuller node's share (64G / 3) fits beside the batch step, as before."""
    env = {"SLURM_MEM_PER_NODE": "65536", "SLURM_NTASKS": "5",
           "SLURM_TASKS_PER_NODE": "2,3"}
    assert _worker_memory(env) == "21845MiB"
