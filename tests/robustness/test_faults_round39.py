"""Round 39, faults, the command line and indices configs: a sensor written as people
write it (``Landsat 8``, ``Sentinel-2 L2A``, ``LC09``, ``S2A``) refused without the one it
names, the SLURM batch step's memory fixed at 1 GiB, custom formulas written with a
bracket for a product (``2(N + R)``) told of a "function '2'", two signs written together
(``N -- R``, LaTeX's en dash) computed as a sum, and a custom index read by another
custom formula told to map a layer under its name.

The jobs are the corpus's tiny SYNTHETIC raster job run through the real CLI in this
process; the batch script's own lines are run by bash. No part of the engine is mocked.
All inputs here are small and SYNTHETIC.
"""

from __future__ import annotations

import os
import subprocess
from typing import Any

import pytest
import yaml

from .conftest import REPO, Sandbox, assert_clean_error

INDICES = {"sensor": "sentinel2", "bands": {"N": "heat", "R": "heat"}}
"""The tiny job's indices section: both bands the formulas read, on its one layer."""


def _plan(sandbox: Sandbox, cli: Any, **indices: Any) -> Any:
    """``prospect plan`` of the tiny job with the indices section ``indices``."""
    sandbox.write_job(yaml.safe_dump(sandbox.job(indices=indices), sort_keys=False))
    return cli("plan", sandbox.job_path)


# -- 1. a sensor written as people write it ---------------------------------------------


@pytest.mark.parametrize(("written", "meant", "why"), [
    ("Landsat 8", "landsat8", "without spaces"),
    ("Sentinel-2 L2A", "sentinel2", "product level or instrument ('L2A')"),
    ("LC09", "landsat8", "'LC09' is a Landsat product id's sensor and satellite (Landsat 9)"),
    ("S2A", "sentinel2", "not by one satellite"),
    ("sentinal2", "sentinel2", "Sentinel-2 MSI"),
])
def test_a_sensor_written_as_people_write_it_is_told_the_one_it_names(
        sandbox: Sandbox, cli: Any, written: str, meant: str, why: str) -> None:
    """``indices.sensor: Landsat 8`` (a space), ``Sentinel-2 L2A`` (the product level),
    ``LC09`` (a Landsat product id's first letters) or ``S2A`` (one satellite) was
    "unknown sensor ...; shipped sensors: ... (aliases: ...)", 27 names none of them said
    to be the one meant. The line now says "did you mean 'landsat8'?" and why."""
    result = _plan(sandbox, cli, **{**INDICES, "sensor": written, "names": ["NDVI"]})
    assert_clean_error(result, 2, "job.yaml", "indices.sensor", f"unknown sensor {written!r}",
                       f"did you mean {meant!r}", why)
    assert sandbox.untouched()


def test_a_sources_sensor_written_with_a_space_is_told_its_name(
        sandbox: Sandbox, cli: Any) -> None:
    """A raster source's ``sensor: Sentinel 2`` was refused the same way, at its key."""
    job = sandbox.job()
    job["sources"][0]["sensor"] = "Sentinel 2"
    sandbox.write_job(yaml.safe_dump(job, sort_keys=False))
    result = cli("plan", sandbox.job_path)
    assert_clean_error(result, 2, "sources.0", "sensor", "did you mean 'sentinel2'")


def test_indices_list_of_a_sensor_with_its_product_level_says_the_sensor(cli: Any) -> None:
    """``prospect indices --list --sensor "Landsat 9 OLI"``: the list of sensors alone."""
    result = cli("indices", "--list", "--sensor", "Landsat 9 OLI")
    assert_clean_error(result, 2, "unknown sensor 'Landsat 9 OLI'",
                       "did you mean 'landsat8', Landsat 8/9 OLI-TIRS?", "('OLI')")


@pytest.mark.parametrize("written", ["sentinel3", "landsat99", "LM05"])
def test_control_another_satellite_is_not_told_a_shipped_one(
        sandbox: Sandbox, cli: Any, written: str) -> None:
    """control: a sensor whose number differs from every shipped one (Sentinel-3, a
    typo's ``landsat99``, Landsat 5's MSS) is another instrument: the line lists the
    shipped sensors, with no "did you mean"."""
    result = _plan(sandbox, cli, **{**INDICES, "sensor": written, "names": ["NDVI"]})
    line = assert_clean_error(result, 2, f"unknown sensor {written!r}", "shipped sensors")
    assert "did you mean" not in line


# -- 2. the SLURM batch step's memory ----------------------------------------------------

SBATCH = REPO / "cluster" / "prospect-job.sbatch"


def _memory_block(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The batch script's own lines from ``threads=`` to its memory block's last ``fi``,
    run by bash under ``set -euo pipefail`` with the SLURM variables ``env``; prints the
    workers' ``--memory-limit`` and the memory kept for the batch step."""
    lines = SBATCH.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("threads="))
    auto = next(i for i in range(start, len(lines)) if lines[i].strip() == "memory=auto")
    end = next(i for i in range(auto, len(lines)) if lines[i] == "fi")
    block = "\n".join(["set -euo pipefail", *lines[start:end + 1],
                       'echo "$memory ${batch_step:-}"'])
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("SLURM_", "PROSPECT_BATCH"))}
    return subprocess.run(["bash", "-c", block], env={**clean, **env}, capture_output=True,
                          text=True, timeout=30)


NODE = {"SLURM_MEM_PER_NODE": "65536", "SLURM_NTASKS": "4", "SLURM_TASKS_PER_NODE": "4"}
"""``sbatch --ntasks=4 --mem=64G``: one node, its four workers and the batch step."""


@pytest.mark.parametrize(("kept", "wanted"), [
    ("8G", "14336MiB 8192"), ("4096", "15360MiB 4096"), ("6GB", "14848MiB 6144"),
])
def test_the_batch_steps_memory_is_set_by_an_environment_variable(
        kept: str, wanted: str) -> None:
    """The batch step's share of the first node was a fixed 1 GiB: a run whose client
    holds a large graph (a country at a fine resolution) had no way to keep more, short
    of editing the script. ``PROSPECT_BATCH_STEP_MEMORY`` (as SLURM writes memory) now
    sets it, and each worker's limit is what is left divided among the node's workers."""
    run = _memory_block({**NODE, "PROSPECT_BATCH_STEP_MEMORY": kept})
    assert run.returncode == 0 and not run.stderr, run.stderr
    assert run.stdout.strip() == wanted
    assert "PROSPECT_BATCH_STEP_MEMORY" in SBATCH.read_text().split("#SBATCH")[0]


@pytest.mark.parametrize(("kept", "needles"), [
    ("1.5G", ["'1.5G' is not memory as SLURM writes it", "1536"]),
    ("64G", ["keeps 65536MiB", "0MiB is left for its 4 worker(s)", "--mem"]),
    ("65000", ["keeps 65000MiB", "536MiB is left for its 4 worker(s), under 256MiB each"]),
])
def test_a_batch_step_memory_the_job_cannot_keep_stops_it_in_one_line(
        kept: str, needles: list[str]) -> None:
    """A value the script cannot read (``1.5G``) or one that leaves the first node's
    workers nothing, or less than a worker starts with (``0MiB`` would be dask's "no
    limit"), stops the batch job before its scheduler starts, exit 2, one line naming the
    variable and the fix (without the variable, neither could be said)."""
    run = _memory_block({**NODE, "PROSPECT_BATCH_STEP_MEMORY": kept})
    assert run.returncode == 2, (run.stdout, run.stderr)
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("prospect-job: PROSPECT_BATCH_STEP_MEMORY")
    for needle in needles:
        assert needle in lines[0]


def test_control_the_batch_step_keeps_1_gib_without_the_variable() -> None:
    """control: without the variable the batch step keeps 1 GiB, as round 38 made it."""
    run = _memory_block(NODE)
    assert run.returncode == 0 and not run.stderr, run.stderr
    assert run.stdout.strip() == "16128MiB 1024"


# -- 3. a bracket written for a product --------------------------------------------------


@pytest.mark.parametrize(("formula", "fix"), [
    ("2(N + R)", "write 2 * (N + R)"),
    ("(N - R)(N + R)", "write (N - R) * (N + R)"),
    ("N(R + 1)", "if 'N' is a band, a product is written with '*': write N * (R + 1)"),
])
def test_a_bracket_written_for_a_product_is_told_the_product(
        sandbox: Sandbox, cli: Any, formula: str, fix: str) -> None:
    """``custom: {X: "2(N + R)"}`` (a product as written on paper) was "function '2' at
    column 1 is not allowed", ``(N - R)(N + R)`` "function 'N - R'": Python reads a
    bracket after an operand as a call, and the line named a function no one wrote."""
    result = _plan(sandbox, cli, **INDICES, custom={"X": formula})
    line = assert_clean_error(result, 2, "indices.custom", "'X'", fix)
    if not formula.startswith("N"):
        assert "function" not in line


def test_control_a_function_misspelt_keeps_its_hint(sandbox: Sandbox, cli: Any) -> None:
    """control: ``sqrtt(N)`` is still a function, told the nearest one."""
    result = _plan(sandbox, cli, **INDICES, custom={"X": "sqrtt(N) + R"})
    line = assert_clean_error(result, 2, "function 'sqrtt'", "did you mean sqrt()?")
    assert "product" not in line


# -- 4. two signs written together -------------------------------------------------------


@pytest.mark.parametrize(("formula", "needles"), [
    ("(N -- R) / (N + R)", ["'--' at column 4", "reads as a plus", "en dash"]),
    ("N--R", ["'--' at column 2"]),
    ("N +- R", ["'+-' at column 3", "reads as a minus", "'±'"]),
])
def test_two_signs_written_together_are_refused(
        sandbox: Sandbox, cli: Any, formula: str, needles: list[str]) -> None:
    """``(N -- R) / (N + R)`` (LaTeX's ``--``, an en dash, or a key pressed twice) planned
    and computed ``(N + R) / (N + R)``, 1 in every cell, without a word: Python reads
    ``--R`` as ``R``. ``N +- R`` (a ``±``) computed ``N - R``."""
    result = _plan(sandbox, cli, **INDICES, custom={"X": formula})
    assert_clean_error(result, 2, "indices.custom", "'X'", *needles)


def test_control_a_negative_operand_written_apart_is_taken(
        sandbox: Sandbox, cli: Any) -> None:
    """control: a sign written apart (``N - -R``), or in brackets, or after ``*``/``**``
    is a negative operand, as written: the plan passes."""
    result = _plan(sandbox, cli, sensor="sentinel2", bands={"N": "heat", "R": "heat"},
                   custom={"X": "N * -R + R ** -2", "Y": "N - -R / 2", "Z": "N - (-R)"})
    assert result.code == 0, result.err[-2000:]


# -- 5. a custom formula that reads another index ----------------------------------------


@pytest.mark.parametrize(("custom", "names", "needles"), [
    ({"D": "N * R", "E": "D * 2"}, [],  # (N - R on one variable: a constant, round 51)
     ["'E'", "reads 'D', another index of this job (N * R)", "(N * R) * 2",
      "indices.custom.E"]),
    ({"E": "NDVI * 2"}, ["NDVI"],
     ["reads 'NDVI', a catalogue index", "((N - R) / (N + R)) * 2"]),
    ({"E": "ndvi * 2 + N"}, [],
     ["reads 'ndvi' (NDVI in another case), a catalogue index", "NDVI's formula"]),
])
def test_a_formula_reading_another_index_is_told_to_write_its_formula(
        sandbox: Sandbox, cli: Any, custom: dict[str, str], names: list[str],
        needles: list[str]) -> None:
    """``custom: {D: "N - R", E: "D * 2"}`` was "needs band 'D', which sensor 'sentinel2'
    does not map; map it with indices.bands.D: <cube variable>": a fix that maps a layer
    under the index's name, so that E reads the layer, not D. The line now says D is an
    index and gives E's formula with D's written in (a catalogue index's name in another
    case too), the mapping left as the fix for a layer a source makes under that name."""
    indices: dict[str, Any] = {**INDICES, "custom": custom}
    if names:
        indices["names"] = names
    line = assert_clean_error(_plan(sandbox, cli, **indices), 2, "job.yaml", *needles)
    assert "which sensor" not in line  # said first: the index's formula, not a mapping
    assert line.index("formula in its place") < line.index("indices.bands")


def test_control_a_band_mapped_under_an_indexs_name_is_read(
        sandbox: Sandbox, cli: Any) -> None:
    """control: a name a formula reads that ``indices.bands`` maps is a band, even where
    the catalogue has an index of that name: the plan passes."""
    result = _plan(sandbox, cli, sensor="sentinel2",
                   bands={"N": "heat", "R": "heat", "NDVI": "heat"},
                   custom={"E": "NDVI * 2 + N"})
    assert result.code == 0, result.err[-2000:]


# -- 6. constants under the name of an index the job does not compute --------------------


@pytest.mark.parametrize(("key", "needles"), [
    ("savi", ["case-sensitive", "did you mean 'SAVI'?"]),
    ("EVI", ["EVI is a catalogue index this job does not compute",
             "list it in indices.names"]),
])
def test_constants_of_an_index_the_job_does_not_compute_are_refused_at_load(
        sandbox: Sandbox, cli: Any, key: str, needles: list[str]) -> None:
    """``constants: {savi: {L: 0.5}}`` beside ``names: [SAVI]`` loaded; ``prospect plan``
    refused it without the config file, and ``prospect run`` ingested every source (hours
    on a real region) before the indices stage stopped with "constants for index 'savi',
    which is not computed (indices: SAVI)", not saying that names are case-sensitive. It
    is refused when the job loads, naming the file: nothing is written."""
    sandbox.write_job(yaml.safe_dump(sandbox.job(indices={
        **INDICES, "names": ["SAVI"], "constants": {key: {"L": 0.5}}}), sort_keys=False))
    result = cli("run", sandbox.job_path, "-o", sandbox.out)
    assert_clean_error(result, 2, "job.yaml", f"indices.constants.{key}",
                       "which this job does not compute (its indices: SAVI)", *needles)
    assert not sandbox.out.exists()
    assert sandbox.untouched()


def test_control_constants_under_a_computed_indexs_name_plan(
        sandbox: Sandbox, cli: Any) -> None:
    """control: ``{SAVI: {L: 0.5}}`` for the SAVI the job computes plans, exit 0."""
    result = _plan(sandbox, cli, **INDICES, names=["SAVI"],
                   constants={"SAVI": {"L": 0.5}})
    assert result.code == 0, result.err[-2000:]


# -- 7. `prospect indices --list --domain` in the plural or several at once ---------------


@pytest.mark.parametrize(("domain", "needle"), [
    ("minerals", "did you mean 'mineral'?"),
    ("clays", "did you mean 'clay'?"),
    ("alteration,vegetation", "one domain or tag at a time: did you mean 'alteration'?"),
])
def test_a_listing_domain_in_the_plural_or_several_names_the_one_meant(
        cli: Any, domain: str, needle: str) -> None:
    """``prospect indices --list --domain minerals`` (the plural, as the help's "mineral
    indices" reads) or ``--domain alteration,vegetation`` was "no index has the domain or
    tag ...; known: " and 31 names, none said to be the one meant."""
    result = cli("indices", "--list", "--domain", domain)
    assert_clean_error(result, 2, f"domain or tag {domain!r}", needle)


def test_control_a_domain_no_index_has_lists_the_known_ones(cli: Any) -> None:
    """control: a domain far from every known one lists them, with no "did you mean"."""
    result = cli("indices", "--list", "--domain", "astronomy")
    line = assert_clean_error(result, 2, "'astronomy'", "known: al-oh")
    assert "did you mean" not in line
