"""Round 62, configs and the command line: ``prospect regions NAME`` of a shipped region
whose file is broken printing an empty "Shipped regions" table and a listing's "1 region
config(s) above are not listed" (round 61 left it), a region file's own error sent to
"list them all with prospect regions", and a ``$PROSPECT_CONFIG_DIR`` holding some of the
configs' folders but not ``regions/`` or ``jobs/`` (a survey's own ``jobs/`` alone):
empty tables, exit 0, and every shipped region "unknown region 'saba'; shipped regions: ;".

Every case runs the real CLI in this process (the ``cli`` fixture) on SYNTHETIC data: the
tiny job of :class:`~tests.robustness.conftest.Sandbox`, copies of shipped region configs
(one broken by hand) in a folder given as ``$PROSPECT_CONFIG_DIR``.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from .conftest import REPO, TINY_REGION, Sandbox, assert_clean_error

SHIPPED = REPO / "configs"


def _configs(root: Path, *, regions: bool = True, jobs: bool = True, sensors: bool = True,
             broken: str = "") -> Path:
    """A copy of the shipped configs' folders (``regions/`` with saba and bonaire, ``jobs/``
    with one shipped job, ``sensors/``), any left out; ``broken`` replaces bonaire's
    resolution line."""
    root.mkdir(parents=True)
    if sensors:
        shutil.copytree(SHIPPED / "sensors", root / "sensors")
    if regions:
        (root / "regions").mkdir()
        for name in ("saba", "bonaire"):
            shutil.copy(SHIPPED / "regions" / f"{name}.yaml", root / "regions")
        if broken:
            path = root / "regions" / "bonaire.yaml"
            text = path.read_text()
            line = next(each for each in text.splitlines() if each.startswith("resolution:"))
            path.write_text(text.replace(line, broken))
    if jobs:
        (root / "jobs").mkdir()
        shutil.copy(SHIPPED / "jobs" / "bonaire-s2-dry-median.yaml", root / "jobs")
    return root


# -- prospect regions NAME of a shipped region whose file is broken ----------------------------


@pytest.mark.parametrize(("broken", "needles"), [
    ("resolution: [1", ["not valid YAML at line"]),
    ("resolution: -10", ["key 'resolution' has bad value -10"]),
], ids=["not-yaml", "bad-value"])
def test_regions_of_a_shipped_region_whose_file_is_broken_says_its_error(
        cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, broken: str,
        needles: list[str]) -> None:
    """SYNTHETIC copy of the shipped regions, ``bonaire.yaml`` broken by hand. Before: an
    empty "Shipped regions" table on standard output, then "error: .../bonaire.yaml: ..."
    and "1 region config(s) above are not listed: fix them (or move them out of the
    folder) and list again" (a listing's words, of the one region asked for; round 61
    left it)."""
    monkeypatch.setenv("PROSPECT_CONFIG_DIR", str(_configs(tmp_path / "cfg", broken=broken)))
    result = cli("regions", "bonaire")
    line = assert_clean_error(result, 2, "prospect regions bonaire: ",
                              str(tmp_path / "cfg" / "regions" / "bonaire.yaml"), *needles)
    assert "not listed" not in result.err and "list them all" not in line, result.err
    assert "Shipped regions" not in result.out, result.out


def test_regions_of_a_broken_region_file_is_not_sent_to_the_list(
        cli: Any, tmp_path: Path) -> None:
    """SYNTHETIC region file with a bracket left open. Before: "prospect regions
    .../area.yaml: not valid YAML at line 3 ...; list them all with prospect regions"
    (the list holds no more of the file)."""
    path = tmp_path / "area.yaml"
    path.write_text("name: area\ncrs: EPSG:32619\nbounds: [500000, 1350000\n")
    line = assert_clean_error(cli("regions", path), 2, f"prospect regions {path}: ",
                              "not valid YAML at line")
    assert "list them all" not in line, line


def test_control_regions_of_a_good_shipped_region_in_a_copied_folder(
        cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Control: ``prospect regions saba`` beside the broken bonaire shows saba's row and
    its file, exit 0, as before."""
    monkeypatch.setenv("PROSPECT_CONFIG_DIR",
                       str(_configs(tmp_path / "cfg", broken="resolution: [1")))
    result = cli("regions", "saba")
    assert result.code == 0, result.err
    assert "Shipped regions" in result.out and "EPSG:32620" in result.out, result.out
    assert "saba: bounds [471000, 1945000, 479000, 1953000]" in result.out, result.out
    assert result.err == "", result.err


# -- a config folder without regions/ or jobs/ --------------------------------------------------


def _no_folder(tmp_path: Path, folder: str) -> str:
    """The needles of a refusal for a ``$PROSPECT_CONFIG_DIR`` without ``folder``."""
    held = [each for each in ("regions/", "jobs/", "sensors/") if each != f"{folder}/"]
    return (f"PROSPECT_CONFIG_DIR='{tmp_path / 'cfg'}' has no {folder}/ folder (it holds "
            f"{', '.join(held)})")


@pytest.mark.parametrize("args", [("regions",), ("regions", "saba")],
                         ids=["regions", "regions-saba"])
def test_a_config_folder_without_regions_says_so_in_prospect_regions(
        cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        args: tuple[str, ...]) -> None:
    """SYNTHETIC ``$PROSPECT_CONFIG_DIR`` holding ``jobs/`` alone (a survey's own jobs).
    Before: ``prospect regions`` printed an empty "Shipped regions" table, exit 0;
    ``prospect regions saba`` "unknown region; shipped regions: ; or give a path to a
    region YAML; list them all with prospect regions"."""
    monkeypatch.setenv("PROSPECT_CONFIG_DIR", str(_configs(tmp_path / "cfg", regions=False)))
    result = cli(*args)
    line = assert_clean_error(result, 2, f"prospect {' '.join(args)}: ",
                              _no_folder(tmp_path, "regions"),
                              "copy the repository's configs/regions/ into it",
                              "or unset it to use the shipped configs")
    assert "shipped regions: ;" not in line and "list them all" not in line, line
    assert "Shipped regions" not in result.out, result.out


def test_a_jobs_shipped_region_in_a_config_folder_without_regions_says_so(
        cli: Any, sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """SYNTHETIC tiny job on ``region: saba``, ``$PROSPECT_CONFIG_DIR`` holding ``jobs/``
    alone. Before: "key 'region' has bad value 'saba': unknown region 'saba'; shipped
    regions: ; or give a path to a region YAML" (an empty list, the variable unsaid)."""
    monkeypatch.setenv("PROSPECT_CONFIG_DIR", str(_configs(tmp_path / "cfg", regions=False)))
    sandbox.write_job(yaml.safe_dump(sandbox.job(region="saba"), sort_keys=False))
    line = assert_clean_error(cli("plan", sandbox.job_path), 2, "key 'region'",
                              "unknown region 'saba': ", _no_folder(tmp_path, "regions"),
                              "or give a path to a region YAML")
    assert "shipped regions: ;" not in line, line
    assert sandbox.untouched()


@pytest.mark.parametrize("args", [("jobs",), ("jobs", "meuse-zinc")],
                         ids=["jobs", "jobs-meuse-zinc"])
def test_a_config_folder_without_jobs_says_so_in_prospect_jobs(
        cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        args: tuple[str, ...]) -> None:
    """SYNTHETIC ``$PROSPECT_CONFIG_DIR`` holding ``regions/`` and ``sensors/``. Before:
    ``prospect jobs`` printed an empty "Shipped example jobs" table, exit 0, without a
    word; ``prospect jobs meuse-zinc`` "no shipped job of that name ...; shipped jobs:
    (list them all with prospect jobs)"."""
    monkeypatch.setenv("PROSPECT_CONFIG_DIR", str(_configs(tmp_path / "cfg", jobs=False)))
    result = cli(*args)
    line = assert_clean_error(result, 2, f"prospect {' '.join(args)}: ",
                              _no_folder(tmp_path, "jobs"),
                              "copy the repository's configs/jobs/ into it")
    assert "shipped jobs: " not in line and "list them all" not in line, line
    assert "Shipped example jobs" not in result.out, result.out


def test_a_jobs_sensor_in_a_config_folder_without_sensors_says_so(
        cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """SYNTHETIC ``$PROSPECT_CONFIG_DIR`` holding ``regions/`` and ``jobs/``, no
    ``sensors/``; the shipped Bonaire job names ``sensor: sentinel2``. Before: "unknown
    sensor 'sentinel2'; shipped sensors:  (aliases: ); or give a path to a sensor YAML"."""
    monkeypatch.setenv("PROSPECT_CONFIG_DIR", str(_configs(tmp_path / "cfg", sensors=False)))
    line = assert_clean_error(cli("jobs", "bonaire-s2-dry-median"), 2,
                              "unknown sensor 'sentinel2': ", _no_folder(tmp_path, "sensors"),
                              "copy the repository's configs/sensors/ into it")
    assert "shipped sensors:" not in line and "(aliases: )" not in line, line


def test_control_a_region_file_plans_in_a_config_folder_without_regions(
        cli: Any, sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Control: the tiny job with its region in ``region.yaml`` plans as before where
    ``$PROSPECT_CONFIG_DIR`` holds no ``regions/`` (no shipped region is asked for)."""
    monkeypatch.setenv("PROSPECT_CONFIG_DIR", str(_configs(tmp_path / "cfg", regions=False)))
    (sandbox.root / "region.yaml").write_text(yaml.safe_dump(dict(TINY_REGION)))
    sandbox.write_job(yaml.safe_dump(sandbox.job(region="region.yaml"), sort_keys=False))
    result = cli("plan", sandbox.job_path)
    assert result.code == 0, result.err[-3000:]
    assert "grid: 40 x 40 cells, chunks 20 x 20 -> 4 chunks" in result.out, result.out
    assert sandbox.untouched()


def test_control_a_copied_config_folder_lists_its_regions_and_jobs(
        cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Control: a whole copy (``regions/`` and ``jobs/``) lists both, exit 0."""
    monkeypatch.setenv("PROSPECT_CONFIG_DIR", str(_configs(tmp_path / "cfg")))
    regions = cli("regions")
    assert regions.code == 0, regions.err
    assert "bonaire" in regions.out and "saba" in regions.out, regions.out
    jobs = cli("jobs")
    assert jobs.code == 0, jobs.err
    assert "bonaire-s2-dry-median" in jobs.out, jobs.out
