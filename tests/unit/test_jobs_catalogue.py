"""``prospect jobs``: the catalogue of shipped example jobs and whether their data is here."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from prospect.config import config_dir
from prospect.config.catalogue import describe_job, job_files, list_jobs


def test_every_shipped_job_is_listed_with_region_and_datasets() -> None:
    entries = {e.name: e for e in list_jobs()}
    assert {"meuse-zinc", "nl-geothermal-heatflow", "greatbasin-lithium-brine"} <= set(entries)
    hf = entries["nl-geothermal-heatflow"]
    assert hf.region.startswith("netherlands (EPSG:28992, 1000 m)")
    assert hf.datasets == ["heatflow_europe_nl_ihfc"]
    gb = entries["greatbasin-lithium-brine"]
    assert gb.minerals == ["lithium"]
    assert set(gb.datasets) == {"geothermal_waters_li_great_basin_us", "naturalearth_world_atlas"}
    assert entries["meuse-zinc"].minerals == ["zinc"]
    bon = entries["bonaire-s2-dry-median"]  # a network job: its data is a STAC API
    assert bon.data_present and bon.datasets[-1].startswith(
        "STAC API https://earth-search.aws.element84.com/v1")


def test_a_job_whose_data_is_absent_says_so(tmp_path: Path, monkeypatch, capsys) -> None:
    from pipelines.cli import main

    configs = tmp_path / "configs"
    shutil.copytree(config_dir() / "regions", configs / "regions")
    (configs / "jobs").mkdir()
    job = yaml.safe_load((config_dir() / "jobs" / "nl-geothermal-heatflow.yaml").read_text())
    job["sources"][0]["path"] = "../../nowhere/heatflow.csv"
    (configs / "jobs" / "moved.yaml").write_text(yaml.safe_dump(job))
    entry = describe_job(configs / "jobs" / "moved.yaml")
    assert not entry.data_present
    assert entry.missing == [str(configs / "jobs" / "../../nowhere/heatflow.csv")]
    assert job_files(entry.job) == [Path(entry.missing[0])]
    monkeypatch.setenv("PROSPECT_CONFIG_DIR", str(configs))
    monkeypatch.setenv("COLUMNS", "200")
    assert main(["jobs"]) == 0
    out = capsys.readouterr().out
    assert "nl-geothermal-heatflow" in out and "no: 1 file(s) missing" in out
    assert "ingest screen tiles" in out


def test_a_network_job_is_listed_as_needing_the_network(monkeypatch, capsys) -> None:
    """``prospect jobs`` listed the STAC jobs (their scenes fetched from a catalogue) as
    "data present: yes" beside the jobs whose every file is here."""
    from pipelines.cli import main

    monkeypatch.setenv("COLUMNS", "250")
    assert main(["jobs"]) == 0
    rows = {line.split("│")[1].strip(): line for line in capsys.readouterr().out.splitlines()
            if line.count("│") > 6 and line.split("│")[1].strip()}
    assert "yes; its scenes over the network" in rows["bonaire-s2-dry-median"]
    assert "network" not in rows["nl-geothermal-heatflow"]
