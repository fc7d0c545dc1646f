"""Round 40, faults, job configs and indices configs: a custom formula's name also listed
under ``indices.names`` told it is an unknown index (with ``prospect indices --list``,
which cannot show it), and ``outputs.cube: CUBE.ZARR`` told to name the cube "ending in
.zarr", which it does, in capitals.

The jobs are the corpus's tiny SYNTHETIC raster job, planned through the real CLI in this
process. No part of the engine is mocked. All inputs here are small and SYNTHETIC.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from .conftest import Sandbox, assert_clean_error

INDICES = {"sensor": "sentinel2", "bands": {"N": "heat", "R": "heat"}}
"""The tiny job's indices section: both bands the formulas read, on its one layer."""


def _plan(sandbox: Sandbox, cli: Any, **changes: Any) -> Any:
    """``prospect plan`` of the tiny job with the top-level ``changes``."""
    sandbox.write_job(yaml.safe_dump(sandbox.job(**changes), sort_keys=False))
    return cli("plan", sandbox.job_path)


# -- 1. a custom index listed under names ------------------------------------------------


@pytest.mark.parametrize(("names", "listed", "key"), [
    (["X"], "X", "X"),
    (["NDVI", "ratio"], "ratio", "ratio"),
    (["x"], "x", "X"),
])
def test_a_custom_index_listed_under_names_is_told_to_leave_it_out(
        sandbox: Sandbox, cli: Any, names: list[str], listed: str, key: str) -> None:
    """``custom: {X: N * 2}`` with ``names: [X]`` (the custom index listed, as a list of
    what to compute reads) was "unknown index 'X' in indices.names; see 'prospect indices
    --list'": a list that cannot hold it, for an index defined two lines above. The line
    now names the custom formula and the fix: leave it out of names."""
    result = _plan(sandbox, cli, indices={**INDICES, "names": names,
                                          "custom": {key: "N * 2"}})
    line = assert_clean_error(result, 2, "job.yaml", f"indices.names lists {listed!r}",
                              f"custom formula indices.custom.{key}",
                              f"remove {listed!r} from indices.names")
    assert "unknown index" not in line
    assert sandbox.untouched()


def test_control_a_custom_index_beside_catalogue_names_plans(
        sandbox: Sandbox, cli: Any) -> None:
    """control: a custom index not listed, beside a catalogue index listed, plans."""
    result = _plan(sandbox, cli, indices={**INDICES, "names": ["NDVI"],
                                          "custom": {"X": "N * 2"}})
    assert result.code == 0, result.out + result.err


def test_control_an_unknown_name_beside_custom_ones_is_still_unknown(
        sandbox: Sandbox, cli: Any) -> None:
    """control: a name neither in the catalogue nor among the custom formulas is still
    "unknown index", with the catalogue's nearest name."""
    result = _plan(sandbox, cli, indices={**INDICES, "names": ["NDVII"],
                                          "custom": {"X": "N * 2"}})
    assert_clean_error(result, 2, "unknown index 'NDVII'", "did you mean 'NDVI'")


# -- 2. the cube's suffix in capitals ----------------------------------------------------


@pytest.mark.parametrize(("written", "meant"), [
    ("CUBE.ZARR", "CUBE.zarr"), ("cube.Zarr", "cube.zarr"), ("survey.ZARR", "survey.zarr"),
])
def test_a_cube_suffix_in_capitals_is_told_the_lower_case_name(
        sandbox: Sandbox, cli: Any, written: str, meant: str) -> None:
    """``outputs.cube: CUBE.ZARR`` was "name the cube like 'cube.zarr' (a name ending in
    .zarr), not 'CUBE.ZARR'": said of a name that ends in .ZARR, without the case that
    differs. The line now says the suffix must be lower case and gives the name."""
    result = _plan(sandbox, cli, outputs={"cube": written})
    line = assert_clean_error(result, 2, "job.yaml", "outputs.cube", "lower case",
                              f"name the cube {meant!r}")
    assert "a name ending in .zarr" not in line
    assert sandbox.untouched()


@pytest.mark.parametrize("written", ["cube.zip", "cube.zarr.zip"])
def test_control_another_suffix_is_told_to_end_in_zarr(
        sandbox: Sandbox, cli: Any, written: str) -> None:
    """control: a cube named with another suffix is told the name must end in .zarr."""
    result = _plan(sandbox, cli, outputs={"cube": written})
    assert_clean_error(result, 2, "outputs.cube", "a name ending in .zarr")
