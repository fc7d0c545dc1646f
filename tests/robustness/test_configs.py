"""Configs that are valid YAML but ask for nothing, or for something else than meant.

Each case runs the real CLI on a tiny SYNTHETIC job and holds it to the corpus's rules:
exit code 2 for a config error, one error line naming the file, the key and the fix, no
traceback, and nothing written outside (or, for a refused job, inside) ``-o``.
"""

from __future__ import annotations

import pytest

from .conftest import Sandbox, assert_clean_error


@pytest.mark.parametrize(("stage", "needles"), [
    ("indices", ["no 'indices' section", "names: [NDVI]"]),
    ("train", ["no 'model' section", "labels"]),
    ("score", ["no 'model' section", "prospect train"]),
    ("screen", ["no kriged surface", "interpolate: [kriging]"]),
])
def test_a_stage_with_nothing_configured_is_a_config_error(
    sandbox: Sandbox, cli, stage: str, needles: list[str],
) -> None:
    sandbox.write_job()
    result = cli(stage, sandbox.job_path, "-o", sandbox.out)
    assert_clean_error(result, 2, "job.yaml", f"'prospect {stage}' has nothing to do", *needles)
    assert sandbox.untouched()
    assert not sandbox.out.exists()  # refused before anything was created


@pytest.mark.parametrize("command", ["run", "ingest"])
def test_a_job_without_sources_is_a_config_error(sandbox: Sandbox, cli, command: str) -> None:
    sandbox.write_job(sources=[])
    result = cli(command, sandbox.job_path, "-o", sandbox.out)
    assert_clean_error(result, 2, "job.yaml", "no sources", "sources: [{kind: raster")
    assert not sandbox.out.exists()


@pytest.mark.parametrize("section", [{}, {"sensor": "sentinel2"}, {"names": [], "custom": {}}])
def test_an_indices_section_naming_no_index_is_refused_at_load(
    sandbox: Sandbox, cli, section: dict,
) -> None:
    sandbox.write_job(indices=section)
    result = cli("run", sandbox.job_path, "-o", sandbox.out)
    assert_clean_error(result, 2, "job.yaml", "'indices'", "names no index", "--list")
    assert not sandbox.out.exists()
