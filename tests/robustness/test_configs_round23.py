"""Configs, the environment and the command line as survey scientists meet them (round 23).

A sensor file whose band names contradict its wavelengths (red and near infrared swapped,
micrometres for nanometres) is refused; a sensor file ending in ``.YAML`` is named as such,
and a source's own sensor file is found beside the config as the indices section's is; a
config file of another kind given as a region or sensor is named as what it is; a key
written in the wrong section names the section it belongs to; a ``--scheduler`` that is
the dashboard's web address or no address another process can reach is a usage error at
once; a ``PROSPECT_CACHE_DIR`` where compiled kernels cannot be kept is said. Rasters and
sensor files here are small and SYNTHETIC.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from .conftest import REPO, Sandbox, assert_clean_error

S2 = REPO / "configs" / "sensors" / "sentinel2.yaml"


def _sensor(sandbox: Sandbox, name: str, **bands: dict[str, Any]) -> Path:
    """A copy of the shipped Sentinel-2 band file (SYNTHETIC edits: ``bands`` replaced)."""
    data = yaml.safe_load(S2.read_text())
    data["name"] = "mys2"
    data["bands"].update(bands)
    path = sandbox.root / name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def _plan_refused(sandbox: Sandbox, cli: Any, *needles: str, **changes: Any) -> str:
    sandbox.write_job(**changes)
    line = assert_clean_error(cli("plan", sandbox.job_path), 2, *needles)
    assert sandbox.untouched()
    return line


# -- sensor files whose band names contradict their wavelengths ------------------------------

@pytest.mark.parametrize(("bands", "needles"), [
    ({"R": {"variable": "B08", "wavelength_nm": 832.8},
      "N": {"variable": "B04", "wavelength_nm": 664.6}},
     ["band 'R'", "outside R's range", "832.8 nm is N", "band 'N'", "swapped"]),
    ({"N": {"variable": "B08", "wavelength_nm": 0.8328}},
     ["band 'N'", "no wavelength in nanometres", "micrometres? write 832.8"]),
    ({"S1": {"variable": "B12", "wavelength_nm": 2202.4}},
     ["band 'S1'", "2202.4 nm is S2"]),
])
def test_a_sensor_file_whose_names_contradict_its_wavelengths_is_refused(
        sandbox: Sandbox, cli: Any, bands: dict[str, Any], needles: list[str]) -> None:
    # Before: planned (exit 0); NDVI of a swapped file has its sign turned, lambdaN of
    # one in micrometres is 1000 times too small (SYNTHETIC copy of the shipped file)
    _sensor(sandbox, "mys2.yaml", **bands)
    _plan_refused(sandbox, cli, "mys2.yaml", *needles,
                  indices={"sensor": "mys2.yaml", "names": ["NDVI"]})


def test_every_shipped_sensor_still_loads() -> None:
    # control: the shipped files fit their names (ASTER's band 14 as T2 lies 1.6 % below
    # T2's range, within the slack)
    from prospect.indices.bands import list_sensors, load_sensor

    for name in list_sensors():
        assert load_sensor(name).bands


# -- sensor file names and paths -------------------------------------------------------------

@pytest.mark.parametrize("where", ["indices", "source"])
def test_a_sensor_file_ending_in_capitals_is_read(sandbox: Sandbox, cli: Any,
                                                  where: str) -> None:
    # Before: "unknown sensor 'S2.YAML'; shipped sensors: ..." as though it were a name (a
    # Windows editor's file name); now read as the sensor file it is
    shutil.copy(S2, sandbox.root / "S2.YAML")
    if where == "indices":  # NDVI's bands made under the sensor's names (round 36 refuses
        from .conftest import write_tiny_raster  # an index band no source makes)

        write_tiny_raster(sandbox.root / "cold.tif")
        sandbox.write_job(indices={"sensor": "S2.YAML", "names": ["NDVI"]},
                          sources=[{"kind": "raster", "name": "B08", "path": "heat.tif"},
                                   {"kind": "raster", "name": "B04", "path": "cold.tif"}])
    else:
        sandbox.write_job(sources=[{**sandbox.job()["sources"][0], "sensor": "S2.YAML"}])
    result = cli("plan", sandbox.job_path)
    if where == "indices":
        assert result.code == 0, result.err[-3000:]
    else:  # read: the sandbox's one-band 'heat' file is then no band of that sensor
        assert_clean_error(result, 2, "S2.YAML bands are B01, B02")
    assert "unknown sensor" not in result.err
    assert sandbox.untouched()


def test_a_source_s_sensor_file_is_found_beside_the_config(
        sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # Before: taken as written ('mys2.yaml') and looked up in the working directory: from
    # another folder "config file not found", or another folder's file read
    from prospect.config.job import load_job

    _sensor(sandbox, "mys2.yaml")
    source = {**sandbox.job()["sources"][0], "sensor": "mys2.yaml"}
    sandbox.write_job(sources=[source])
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    job = load_job(sandbox.job_path)
    assert Path(job.sources[0].sensor) == sandbox.root / "mys2.yaml"


def test_a_missing_source_sensor_file_is_named_beside_the_config(
        sandbox: Sandbox, cli: Any) -> None:
    # Before: "<working directory>/nope.yaml: config file not found"
    source = {**sandbox.job()["sources"][0], "sensor": "nope.yaml"}
    _plan_refused(sandbox, cli, "sources.0", str(sandbox.root / "nope.yaml"), "not found",
                  "taken from the job file's folder", sources=[source])


# -- a config file of another kind -----------------------------------------------------------

def test_a_region_file_given_as_the_sensor_is_named(sandbox: Sandbox, cli: Any) -> None:
    # Before: "missing required key 'bands'" and one "unknown key" line per region key
    region = REPO / "configs" / "regions" / "saba.yaml"
    _plan_refused(sandbox, cli, "indices.sensor", "is a region file", "not a sensor's band",
                  indices={"sensor": str(region), "names": ["NDVI"]})


def test_a_sensor_file_given_as_the_region_is_named(sandbox: Sandbox, cli: Any) -> None:
    # Before: "missing required key 'crs'", "'resolution'", "unknown key 'aliases'",
    # "unknown key 'bands' (did you mean 'bounds'?)": four lines
    _plan_refused(sandbox, cli, "sentinel2.yaml", "is a sensor's band file",
                  "not a region file", region=str(S2))


def test_a_job_key_in_a_region_file_is_named_as_a_job_s(sandbox: Sandbox, cli: Any) -> None:
    # Before: "unknown key 'sources' (remove it; keys allowed here: bounds, ...)"
    region = {**sandbox.job()["region"], "sources": sandbox.job()["sources"]}
    (sandbox.root / "area.yaml").write_text(yaml.safe_dump(region))
    _plan_refused(sandbox, cli, "area.yaml", "unknown key 'sources'",
                  "a key of a job config, not of a region file", region="area.yaml")


# -- a key written in the wrong section ------------------------------------------------------

@pytest.mark.parametrize(("key", "value", "needles"), [
    ("resolution", 10, ["unknown key 'resolution'", "a key of 'region'", "under 'region:'"]),
    ("crs", "EPSG:32619", ["unknown key 'crs'", "a key of 'region'"]),
    ("min_zoom", 5, ["unknown key 'min_zoom'", "a key of 'tiles'", "under 'tiles:'"]),
    ("custom", {"X": "N - R"}, ["unknown key 'custom'", "a key of 'indices'"]),
])
def test_a_section_s_key_at_the_top_names_its_section(
        sandbox: Sandbox, cli: Any, key: str, value: Any, needles: list[str]) -> None:
    # Before: "did you mean 'region'?" for resolution, the job's keys listed for the rest
    _plan_refused(sandbox, cli, *needles, **{key: value})


def test_a_key_in_the_section_beside_its_own_names_its_section(
        sandbox: Sandbox, cli: Any) -> None:
    # Before: "unknown key 'outputs.min_zoom' (remove it; keys allowed here: cog, cube)"
    _plan_refused(sandbox, cli, "outputs.min_zoom", "a key of 'tiles', not of 'outputs'",
                  outputs={"min_zoom": 5})


def test_a_misspelt_key_still_gets_did_you_mean(sandbox: Sandbox, cli: Any) -> None:
    # control
    _plan_refused(sandbox, cli, "unknown key 'descripton'", "did you mean 'description'?",
                  descripton="x")


# -- --scheduler values that are no scheduler's address --------------------------------------

@pytest.mark.parametrize(("address", "needles"), [
    ("http://127.0.0.1:8787/status", ["a web address", "dashboard", "tcp://127.0.0.1:8786"]),
    ("inproc://x", ["inside one process", "tcp://host:8786"]),
    ("tcp://127.0.0.1:notaport", ["'notaport' is no number", "tcp://host:8786"]),
    ("ftp://127.0.0.1:1", ["unknown scheme 'ftp://'", "tcp, tls"]),
    ("", ["an empty address", "leave --scheduler out"]),
])
def test_a_scheduler_that_is_no_address_is_a_usage_error(
        sandbox: Sandbox, cli: Any, address: str, needles: list[str]) -> None:
    # Before: exit 1 after the connection attempt ("unknown address scheme 'http'",
    # "not enough values to unpack (expected 3, got 1)"), or "no host and port" for ''
    result = cli("run", sandbox.job_path, "-o", sandbox.out, "--scheduler", address)
    text = result.out + result.err
    assert result.code == 2, text
    assert "Traceback" not in text and "--scheduler" in result.err, text
    for needle in needles:
        assert needle in result.err, (needle, text)
    assert not sandbox.out.exists() and sandbox.untouched()


def test_a_scheduler_address_with_a_port_that_is_no_number_is_named() -> None:
    import typer

    from pipelines.commands._common import scheduler_address

    for address in ("tcp://127.0.0.1:80x", "[::1]:abc"):
        with pytest.raises(typer.BadParameter, match="is no number"):
            scheduler_address(address)
    for address in ("tcp://127.0.0.1:8786", "127.0.0.1:8786", "tcp://[::1]:8786",
                    "tls://host:8786"):  # control
        assert scheduler_address(address) == address


# -- PROSPECT_CACHE_DIR where compiled kernels cannot be kept --------------------------------

@pytest.mark.parametrize(("value", "needles"), [
    ("{root}/thesis.txt", ["is a file, not a folder", "compiled again by every run"]),
    ("{root}/thesis.txt/cache", ["cannot be made", "thesis.txt is a file"]),
    ("~/cache", ["starts with '~'", "a folder named '~' in the working directory"]),
])
def test_a_cache_folder_that_cannot_be_one_is_said(
        sandbox: Sandbox, cli: Any, monkeypatch: pytest.MonkeyPatch, value: str,
        needles: list[str]) -> None:
    # Before: the kernels went to a temporary folder (or a folder named '~') without a word
    root = sandbox.precious
    monkeypatch.setenv("PROSPECT_CACHE_DIR", value.format(root=root))
    result = cli("plan", sandbox.job_path)
    assert result.code == 0, result.err
    warned = [line for line in result.err.splitlines() if "PROSPECT_CACHE_DIR" in line]
    assert warned and warned[0].startswith("warning:"), result.err
    for needle in needles:
        assert needle in result.err, (needle, result.err)
    assert sandbox.untouched()


def test_a_cache_folder_of_the_user_s_own_says_nothing(
        sandbox: Sandbox, cli: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # control: a folder made if missing
    monkeypatch.setenv("PROSPECT_CACHE_DIR", str(tmp_path / "cache" / "new"))
    result = cli("plan", sandbox.job_path)
    assert result.code == 0 and "PROSPECT_CACHE_DIR" not in result.err, result.err


# -- cube variables that differ only in case -------------------------------------------------

def test_two_sources_differing_only_in_case_are_refused(sandbox: Sandbox, cli: Any) -> None:
    # Before: planned (exit 0); on a disk that ignores case (macOS, Windows, a share) the
    # second source's chunks were written into the first's folder of the cube
    source = sandbox.job()["sources"][0]
    # the second reads the file another way: the same reading twice is refused (round 29)
    _plan_refused(sandbox, cli, "'heat' and 'Heat'", "differ only in case",
                  sources=[source, {**source, "name": "Heat", "offset": 1}])


def test_a_source_named_as_an_index_in_another_case_is_refused(
        sandbox: Sandbox, cli: Any) -> None:
    # Before: planned; the index NDVI and the source ndvi one folder on such a disk
    source = sandbox.job()["sources"][0]
    _plan_refused(sandbox, cli, "'NDVI'", "'ndvi'", "differ only in case",
                  sources=[source, {**source, "name": "ndvi", "offset": 1}],
                  indices={"sensor": "sentinel2", "names": ["NDVI"]})


# -- regions --outlines-from -----------------------------------------------------------------

def _polygon(path: Path, west: float, south: float, east: float, north: float) -> Path:
    """A one-polygon GeoJSON in lon/lat (SYNTHETIC)."""
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "x"},
         "geometry": {"type": "Polygon", "coordinates": [ring]}}]}))
    return path


@pytest.fixture()
def configs_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of configs/ with two regions (Aruba and Bonaire), as $PROSPECT_CONFIG_DIR."""
    copy = tmp_path / "configs"
    shutil.copytree(REPO / "configs", copy)
    for folder, ending in (("regions", ".yaml"), ("outlines", ".geojson")):
        for path in (copy / folder).glob(f"*{ending}"):
            if path.stem not in ("aruba", "bonaire"):
                path.unlink()
    monkeypatch.setenv("PROSPECT_CONFIG_DIR", str(copy))
    return copy


def test_outlines_from_a_file_reaching_no_region_are_refused(
        cli: Any, configs_copy: Path, tmp_path: Path) -> None:
    # Before: exit 0, the table printed, no outline rebuilt and no word of it
    before = {p.name: p.read_bytes() for p in (configs_copy / "outlines").iterdir()}
    far = _polygon(tmp_path / "far.geojson", 10.0, 10.0, 10.1, 10.1)
    result = cli("regions", "--outlines-from", far)
    assert_clean_error(result, 1, "far.geojson", "reaches a shipped region",
                       "no outline was rebuilt")
    assert {p.name: p.read_bytes() for p in (configs_copy / "outlines").iterdir()} == before


def test_outlines_from_a_file_reaching_some_regions_say_which(
        cli: Any, configs_copy: Path, tmp_path: Path) -> None:
    # Before: exit 0 without a word of which outlines were rebuilt and which kept
    kept = (configs_copy / "outlines" / "aruba.geojson").read_bytes()
    bonaire = _polygon(tmp_path / "bonaire.geojson", -68.4, 12.0, -68.2, 12.3)
    result = cli("regions", "--outlines-from", bonaire)
    assert result.code == 0, result.err
    assert "rebuilt the outlines of 1 region(s)" in result.err and ": bonaire" in result.err
    assert "warning: no polygon of" in result.err and "aruba" in result.err
    assert (configs_copy / "outlines" / "aruba.geojson").read_bytes() == kept


def test_outlines_from_a_folder_is_named_as_a_folder(
        cli: Any, configs_copy: Path, tmp_path: Path) -> None:
    # Before: "outline file not found; check the path", for a folder that is there
    assert_clean_error(cli("regions", "--outlines-from", tmp_path), 1, "a folder",
                       "not an outline file")


# -- shipped region names written another way ------------------------------------------------

@pytest.mark.parametrize(("region", "needles"), [
    ("Bonaire", ["unknown region 'Bonaire'", "did you mean 'bonaire'?"]),
    ("bonair", ["did you mean 'bonaire'?"]),
    ("bonaire.yaml", ["not found", "did you mean 'bonaire'?", "named without '.yaml'"]),
])
def test_a_shipped_region_written_another_way_is_named(
        sandbox: Sandbox, cli: Any, region: str, needles: list[str]) -> None:
    # Before: "unknown region 'Bonaire'" with the list, or "region file ... not found"
    _plan_refused(sandbox, cli, *needles, region=region)


@pytest.mark.parametrize("region", ["BONAIRE", "bonaire.yaml"])
def test_plan_on_a_shipped_region_written_another_way_names_it(
        sandbox: Sandbox, cli: Any, region: str) -> None:
    # Before: "unknown region 'BONAIRE'" with the list; "bonaire.yaml: config file not found"
    assert_clean_error(cli("plan", sandbox.job_path, "--region", region), 2,
                       "did you mean 'bonaire'?")
