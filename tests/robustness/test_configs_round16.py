"""Job and region configs as survey scientists write them, and the CLI as they run it.

Errors name the line of the key in the file and show a value as it was written there
(``.nan``, ``1.0e+400``, ``2024-01-01``, an empty value, ``yes``), not as Python holds it
(``nan``, ``inf``, ``datetime.date(2024, 1, 1)``, ``None``); JSON the CLI prints is strict
JSON; a region across UTM zones is a choice the override form can make; ``prospect plan
-o`` says what a run would remove. Rasters and models here are small and SYNTHETIC.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from .conftest import REPO, Sandbox, assert_clean_error

TINY = """name: tiny
synthetic: true
region:
  name: tiny
  crs: EPSG:32619
  resolution: {res}
  bounds: {bounds}
  chunks: [20, 20]
sources:
- kind: raster
  name: heat
  path: heat.tif
"""


def _job(res: str = "10.0",
         bounds: str = "[500000.0, 1350000.0, 500400.0, 1350400.0]") -> str:
    return TINY.format(res=res, bounds=bounds)


def _strict(text: str) -> Any:
    """``text`` parsed as strict JSON (RFC 8259: no NaN, Infinity)."""
    def refuse(token: str) -> Any:
        raise ValueError(f"not JSON: {token}")
    return json.loads(text, parse_constant=refuse)


# -- where, and what the user wrote --------------------------------------------------------

@pytest.mark.parametrize(("text", "needles"), [
    (_job(res=".nan"), [":6:", "'region.resolution'", "bad value .nan", "finite"]),
    (_job(res="1.0e+400"), [":6:", "bad value 1.0e+400", "read as infinity"]),
    (_job(bounds="[.inf, 1350000.0, 500400.0, 1350400.0]"),
     [":7:", "'region.bounds.0'", "bad value .inf"]),
    (_job(res="2024-01-01"), [":6:", "bad value 2024-01-01", "as a date"]),
    (_job(res="yes"), [":6:", "bad value yes", "(yes is true)", "yes/no/on/off"]),
    (_job().replace("name: tiny\nsyn", "name: 2024-01-01\nsyn"),
     [":1:", "'name'", "bad value 2024-01-01", "as a date"]),
    ("name: tiny\nregion:\n", [":2:", "'region'", "no value", "write its value"]),
    (_job() + "sourcs: []\n", [":13:", "'sourcs'", "did you mean 'sources'?"]),
    (_job() + "  scale: .inf\n", [":13:", "'sources.0.raster.scale'", "bad value .inf"]),
], ids=["nan", "1e400", "inf-bound", "date", "yes", "name-date", "empty", "typo",
        "in-a-source"])
def test_an_error_names_the_line_and_the_value_as_written(
    sandbox: Sandbox, cli: Any, text: str, needles: list[str],
) -> None:
    # Before: no line, and 'bad value nan', 'inf', 'datetime.date(2024, 1, 1)', 'None',
    # "'true (YAML reads yes/no/on/off as true/false, not a number)'"
    sandbox.write_job(text)
    line = assert_clean_error(cli("plan", sandbox.job_path), 2, str(sandbox.job_path),
                              *needles)
    assert "datetime" not in line and "None" not in line
    assert sandbox.untouched()


def test_a_merged_key_is_named_at_its_own_line(sandbox: Sandbox, cli: Any) -> None:
    # a value that came in through a merge key (<<: *grid) is named where it is written
    text = ("grid: &grid\n  crs: EPSG:32619\n  resolution: .nan\n" +
            _job().replace("  crs: EPSG:32619\n  resolution: 10.0\n", "  <<: *grid\n"))
    sandbox.write_job(text)
    assert_clean_error(cli("plan", sandbox.job_path), 2, ":3:", "bad value .nan")


def test_a_whole_number_past_python_s_digit_limit_is_a_config_error(
    sandbox: Sandbox, cli: Any,
) -> None:
    # Before: "internal error: ValueError: Exceeds the limit (4300 digits)", exit 70
    sandbox.write_job(_job(res="1" + "0" * 5000))
    assert_clean_error(cli("plan", sandbox.job_path), 2, "line 6", "5001 digits")


@pytest.mark.parametrize(("key", "what"), [("1", "a number"), ("~", "no value (null)"),
                                           ("2024-01-01", "a date")])
def test_a_key_yaml_reads_as_no_name_is_named_at_its_line(
    sandbox: Sandbox, cli: Any, key: str, what: str,
) -> None:
    # Before: "key '1' has bad value 1: Keys should be strings", "key 'None' ..."
    sandbox.write_job(_job() + f"{key}: x\n")
    line = assert_clean_error(cli("plan", sandbox.job_path), 2, f"key '{key}'", what,
                              "quote it")
    # a whole number may be a key (class_weight: {0: 1, 1: 5}), so the model names it
    assert f"key '{key}' at line 13" in line or f"job.yaml:13: key '{key}'" in line, line


@pytest.mark.parametrize("value", ["[bonaire, saba]", "5"])
def test_a_region_of_no_form_names_the_forms(sandbox: Sandbox, cli: Any, value: str) -> None:
    # Before: "Input should be a valid string" (the first form alone)
    sandbox.write_job(f"name: tiny\nregion: {value}\n")
    assert_clean_error(cli("plan", sandbox.job_path), 2, ":2:", "'region'",
                       "shipped region's name", "{base:", "{reference:")


@pytest.mark.parametrize(("region", "needles"), [
    ("job.yaml", ["is a job config", "not a region config"]),  # the job names itself
    ("area.yaml", ["cannot name a base region", "{base: ..."]),
    ("folder.yaml", ["is a folder"]),
], ids=["itself", "base-in-region-file", "folder"])
def test_a_region_file_that_is_no_region_says_what_it_is(
    sandbox: Sandbox, cli: Any, region: str, needles: list[str],
) -> None:
    # Before: "missing required key 'crs' ... unknown key 'region' (did you mean
    # 'resolution'?)", "unknown key 'base'" and "region file ... not found"
    (sandbox.root / "area.yaml").write_text("kind: region\nname: area\nbase: area.yaml\n")
    (sandbox.root / "folder.yaml").mkdir()
    sandbox.write_job(f"name: tiny\nregion: {region}\n")
    assert_clean_error(cli("plan", sandbox.job_path), 2, *needles)
    assert sandbox.untouched()


# -- regions across UTM zones, bounds from another CRS ------------------------------------

WIDE = "[303000, 2444000, 900000, 2512000]"  # lai-chau's grid stretched into zone 49


def test_a_region_override_may_choose_to_cross_its_zone(sandbox: Sandbox, cli: Any) -> None:
    # Before: the refusal asked for 'cross_zone: true', which the {base: ...} form refused
    # as an unknown key
    sandbox.write_job(f"name: tiny\nregion: {{base: lai-chau, bounds: {WIDE}}}\n")
    assert_clean_error(cli("plan", sandbox.job_path), 2, "past the UTM zone",
                       "cross_zone: true")
    sandbox.write_job(f"name: tiny\nregion: {{base: lai-chau, bounds: {WIDE}, "
                      "cross_zone: true}\n")
    result = cli("plan", sandbox.job_path)
    assert result.code == 0, result.err[-2000:]


def test_the_choice_to_cross_a_zone_leaves_the_config_hash_alone() -> None:
    from prospect.config.job import RegionOverride

    plain = RegionOverride(base="lai-chau")
    chosen = RegionOverride(base="lai-chau", cross_zone=True)
    assert chosen.cross_zone and plain.model_dump() == chosen.model_dump()


def test_bounds_from_another_crs_are_not_sent_to_cross_zone(
    sandbox: Sandbox, cli: Any,
) -> None:
    # Before: "extends 35.06 degrees past the UTM zone ... set 'cross_zone: true'", and
    # that led only to the next refusal
    sandbox.write_job(_job(bounds="[5000000.0, 1350000.0, 5000400.0, 1350400.0]"))
    line = assert_clean_error(cli("plan", sandbox.job_path), 2, "another CRS")
    assert "cross_zone" not in line


def test_a_region_across_zones_is_named_before_its_chunk_count(
    sandbox: Sandbox, cli: Any,
) -> None:
    # control: the zone is still named before the chunk count once the checks that now
    # come first (where the bounds lie) pass
    sandbox.write_job(_job(bounds="[100000.0, 1350000.0, 900000.0, 1360000.0]"))
    assert_clean_error(cli("plan", sandbox.job_path), 2, "past the UTM zone", "cross_zone")


# -- JSON the CLI prints --------------------------------------------------------------------

@pytest.fixture(scope="module")
def registry_with_nan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A registry holding one SYNTHETIC model whose card has NaN and infinite values."""
    from sklearn.ensemble import RandomForestClassifier

    from prospect.io.cube import open_cube
    from prospect.registry import ModelRegistry, save_model, schema_from_cube

    from .test_registry_round10 import FEATURES, _write_cube

    root = tmp_path_factory.mktemp("r16")
    ds = open_cube(_write_cube(root / "cube.zarr"))
    X = np.stack([ds[f].values.ravel() for f in FEATURES], axis=1)
    est = RandomForestClassifier(n_estimators=2, max_depth=2, random_state=0).fit(
        X, (X[:, 0] > 0.5).astype(int))
    card = {"mineral": "lithium", "synthetic": True, "limitations": ["SYNTHETIC model"],
            "nodata": math.nan, "metrics": {"auc": math.nan, "range": [0.0, math.inf]}}
    model = save_model(est, root / "model", card=card,
                       schema=schema_from_cube(ds, FEATURES))
    ModelRegistry(root / "reg").publish(model, "li", version="1")
    return root / "reg"


def test_model_show_json_is_strict_json(cli: Any, registry_with_nan: Path) -> None:
    # Before: the card's NaN printed as the bare token NaN, which jq and JSON.parse refuse
    result = cli("model", "show", "li", "--json", "-r", registry_with_nan)
    assert result.code == 0, result.err[-2000:]
    card = _strict(result.out)
    assert card["nodata"] == "NaN" and card["metrics"]["auc"] == "NaN"
    assert card["metrics"]["range"] == [0.0, "Infinity"]


def test_every_json_the_cli_prints_is_strict(sandbox: Sandbox, cli: Any) -> None:
    from pipelines.commands._common import json_text

    assert _strict(json_text({"a": [math.nan, -math.inf, np.float32("nan"), 1.5]})) == \
        {"a": ["NaN", "-Infinity", "NaN", 1.5]}
    listing = cli("indices", "--list", "--json")
    assert listing.code == 0 and _strict(listing.out)
    plan = cli("plan", sandbox.job_path, "--json")
    assert plan.code == 0 and _strict(plan.out)["would_remove"] == []


# -- what a run would remove ---------------------------------------------------------------

def test_plan_with_out_says_what_a_run_would_remove(two_stages: Sandbox, cli: Any) -> None:
    # Before: deleting the 'indices' section made the next run remove the CONTRAST
    # variable with no word until it was gone; 'prospect plan -o' said nothing
    box = two_stages
    job = yaml.safe_load(box.job_path.read_text())
    del job["indices"]
    box.write_job(yaml.safe_dump(job, sort_keys=False))
    result = cli("plan", box.job_path, "-o", box.out)
    assert result.code == 0, result.err[-2000:]
    text = " ".join(result.out.split())
    assert "would take away" in text and "CONTRAST" in text and "indices stage" in text
    as_json = _strict(cli("plan", box.job_path, "-o", box.out, "--json").out)
    assert any("CONTRAST" in line for line in as_json["would_remove"])
    assert (box.out / "cube.zarr" / "CONTRAST").is_dir()  # plan removes nothing


# -- narrow terminals ----------------------------------------------------------------------

def test_a_narrow_terminal_keeps_the_plan_table_readable(
    sandbox: Sandbox, cli: Any, monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Before: at 20 columns every column of the table was cut to '…'
    monkeypatch.setenv("COLUMNS", "20")
    result = cli("plan", sandbox.job_path)
    assert result.code == 0, result.err[-2000:]
    assert "per-task memory" in result.out and "ingest" in result.out


# -- the command line as a batch script writes it ------------------------------------------

@pytest.mark.parametrize("written", ["$SCRATCH/run1", "%SCRATCH%\\run1", "C:\\runs\\a"])
def test_an_out_written_for_another_shell_is_refused_not_made(
    sandbox: Sandbox, cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    written: str,
) -> None:
    # Before: '-o $SCRATCH/run1' in single quotes made a folder literally named '$SCRATCH'
    # in the working directory
    monkeypatch.delenv("SCRATCH", raising=False)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    result = cli("ingest", sandbox.job_path, "-o", written)
    assert result.code == 2 and "Traceback" not in result.err, result.err[-2000:]
    assert "--out" in result.err and written.replace("\\", "\\\\") in result.err
    assert list(work.iterdir()) == [] and sandbox.untouched()


def test_an_out_after_equals_goes_home_not_to_a_folder_named_tilde(
    sandbox: Sandbox, cli: Any, scheduler: str, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # control: '--out=~/runs/a' (the shell leaves '~' after '=') is the home folder, as
    # the runner took it; the option now expands it itself, with '$VAR' refused above
    home, work = tmp_path / "home", tmp_path / "work"
    home.mkdir()
    work.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(work)
    result = cli("ingest", sandbox.job_path, "--out=~/runs/a", "--scheduler", scheduler)
    assert result.code == 0, result.err[-2000:]
    assert (home / "runs" / "a" / "cube.zarr").is_dir()
    assert list(work.iterdir()) == []


def test_version_is_printed(cli: Any) -> None:
    # Before: "No such option: --version", exit 2
    import prospect

    result = cli("--version")
    assert result.code == 0 and f"prospect {prospect.__version__}" in result.out


def test_region_table_cuts_no_name_in_a_batch_log(cli: Any) -> None:
    # Before: in a pipe or a batch log (80 columns) titles and names ended in '…'
    result = cli("regions")
    assert result.code == 0, result.err[-2000:]
    assert "…" not in result.out and "west-netherlands-basin" in result.out
    assert "EPSG:28992" in result.out and "EPSG:32648" in result.out


@pytest.mark.parametrize(("value", "needles"), [
    (None, ["(empty)", "no value"]),
    ([1, 2], ["valid number", "or: Input should be 'auto'"]),
], ids=["empty", "list"])
def test_a_key_of_two_kinds_is_one_line_at_its_key(
    sandbox: Sandbox, cli: Any, value: Any, needles: list[str],
) -> None:
    # Before: two lines, at 'model.cv.block_size.float' and
    # "model.cv.block_size.literal['auto']" (pydantic's names of the union's members)
    job = yaml.safe_load((REPO / "configs/jobs/meuse-zinc.yaml").read_text())
    job["model"]["cv"]["block_size"] = value
    text = yaml.safe_dump(job, sort_keys=False)
    sandbox.write_job(text)
    line_no = next(i for i, line in enumerate(text.splitlines(), 1) if "block_size" in line)
    result = cli("plan", sandbox.job_path)
    line = assert_clean_error(result, 2, f":{line_no}: key 'model.cv.block_size' has bad value",
                              *needles)
    assert "literal" not in result.err and ".float" not in result.err, line


@pytest.mark.parametrize(("encoding", "needles"), [
    ("latin-1", ["byte 0xe9 at line 3", "save it as UTF-8", "iconv"]),
    ("utf-16", ["saved as UTF-16", "save it as UTF-8", "iconv"]),
])
def test_a_config_in_another_encoding_says_where_and_how_to_convert(
    sandbox: Sandbox, cli: Any, encoding: str, needles: list[str],
) -> None:
    # Before: "not a UTF-8 text file", no line, no encoding, no fix
    text = _job().replace("synthetic: true\n", "synthetic: true\ndescription: Géologie\n")
    sandbox.job_path.write_bytes(text.encode(encoding))
    assert_clean_error(cli("plan", sandbox.job_path), 2, str(sandbox.job_path), *needles)
