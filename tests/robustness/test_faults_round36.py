"""Round 36, faults and job configs: indices that read a band no source makes (planned
without a word, refused by the run after the whole ingest), YAML's ``no``/``off`` where a
section or a list goes, one name where a list goes, and a manifest whose last write never
reached the disk (zeros or nothing after a power cut).

The jobs are the corpus's tiny SYNTHETIC raster job run through the real CLI in this
process; the manifest's damage is what a crash leaves (a file of its size in zeros). No
part of the engine is mocked. All inputs here are small and SYNTHETIC.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
import yaml

from .conftest import Sandbox, assert_clean_error, write_tiny_raster

# -- indices reading a band no source makes ---------------------------------------------

RED_AND_NIR = [{"kind": "raster", "name": "nir", "path": "heat.tif", "units": "1"},
               {"kind": "raster", "name": "red", "path": "cold.tif", "units": "1"}]
"""Two bands of a SYNTHETIC scene, as sources named by the user (``nir``, ``red``)."""


def _red_and_nir(sandbox: Sandbox, **indices: Any) -> None:
    """The sandbox's job with :data:`RED_AND_NIR` and an ``indices`` section."""
    write_tiny_raster(sandbox.root / "cold.tif",
                      values=np.random.default_rng(5).random((40, 40)).astype("float32"))
    sandbox.write_job(sources=RED_AND_NIR, indices={"sensor": "sentinel2", **indices})


def test_plan_names_an_index_band_no_source_makes(sandbox: Sandbox, cli: Any) -> None:
    """``bands: {N: nir}`` and ``names: [NDVI]`` with the red band a source ``red`` (its
    mapping forgotten): NDVI reads R from the sensor's own name, ``B04``, which no source
    makes. ``prospect plan`` said nothing (exit 0: its stand-in cube holds zeros for a
    band no source makes); the run found it in the indices stage, after the whole ingest.
    Now plan refuses it, naming the variable, the common name, the index and the fix."""
    _red_and_nir(sandbox, bands={"N": "nir"}, names=["NDVI"])
    result = cli("plan", sandbox.job_path)
    line = assert_clean_error(result, 2, str(sandbox.job_path), "'B04'", "B04 = R", "NDVI",
                              "no source of this job makes", "['nir', 'red']",
                              "indices.bands", "{R: <variable>}")
    assert "not in the dataset" not in line
    assert sandbox.untouched()


def test_run_refuses_an_index_band_no_source_makes_before_ingest(
        sandbox: Sandbox, cli: Any) -> None:
    """The same job run: the ingest stage computed every layer (hours on a real region)
    and the indices stage then failed, "band variable(s) ['B04'] ... not in the dataset",
    exit 1. Now the run is refused as ingest plans, before a worker starts: no cube."""
    _red_and_nir(sandbox, bands={"N": "nir"}, names=["NDVI"])
    result = cli("run", sandbox.job_path, "-o", sandbox.out, "--workers", "1")
    assert_clean_error(result, 2, "'B04'", "NDVI", "no source of this job makes")
    assert not (sandbox.out / "cube.zarr").exists()
    assert sandbox.untouched()


def test_plan_names_a_custom_index_band_no_source_makes(sandbox: Sandbox, cli: Any) -> None:
    """A custom formula reading a common name the job maps to no source (``S1``, the
    sensor's ``B11``): planned exit 0 as well."""
    _red_and_nir(sandbox, bands={"N": "nir", "R": "red"}, custom={"WET": "(N - S1) / (N + S1)"})
    result = cli("plan", sandbox.job_path)
    assert_clean_error(result, 2, "'B11'", "B11 = S1", "WET", "no source of this job makes")


def test_control_an_index_whose_bands_are_mapped_plans(sandbox: Sandbox, cli: Any) -> None:
    """control: both bands mapped to the sources plans as before (exit 0)."""
    _red_and_nir(sandbox, bands={"N": "nir", "R": "red"}, names=["NDVI"])
    result = cli("plan", sandbox.job_path)
    assert result.code == 0, result.err[-3000:]
    assert "NDVI" not in result.err and "error" not in result.err


def test_plan_names_a_band_made_in_another_case_with_its_mapping(sandbox: Sandbox,
                                                                  cli: Any) -> None:
    """A source named ``b04`` (the band's name in lower case) for Sentinel-2's ``B04``:
    planned exit 0, the run stopped in the indices stage. Now plan refuses it with the
    indices stage's hint, the mapping that reads it."""
    write_tiny_raster(sandbox.root / "cold.tif")
    sandbox.write_job(sources=[{"kind": "raster", "name": "B08", "path": "heat.tif"},
                               {"kind": "raster", "name": "b04", "path": "cold.tif"}],
                      indices={"sensor": "sentinel2", "names": ["NDVI"]})
    result = cli("plan", sandbox.job_path)
    assert_clean_error(result, 2, "'b04'", "case-sensitive", "R: b04")


# -- YAML's no/off where a section or a list goes ----------------------------------------


@pytest.mark.parametrize("section,word", [("mask", "no"), ("tiles", "off"),
                                          ("indices", "no")])
def test_a_section_switched_off_with_a_yaml_word_says_to_leave_it_out(
        sandbox: Sandbox, cli: Any, section: str, word: str) -> None:
    """``mask: no`` or ``tiles: off`` (a section switched off, as other tools' configs
    take it): "key 'mask' has bad value False (written no): Input should be a valid
    dictionary or instance of MaskConfig", a Python class no config shows, and no fix.
    Now what YAML made of the word, and to leave the key out."""
    text = yaml.safe_dump(sandbox.job(), sort_keys=False) + f"{section}: {word}\n"
    sandbox.write_job(text)
    result = cli("plan", sandbox.job_path)
    line = assert_clean_error(result, 2, f"'{section}'", f"YAML reads {word} unquoted as false",
                              "leave the key out", "comment it out")
    assert "instance of" not in line and "Config" not in line


def test_one_mask_name_no_is_said_as_yamls_false(sandbox: Sandbox, cli: Any) -> None:
    """``names: NO`` (Norway's code, one name without brackets, which round 31 reads as a
    list of it): "key 'mask.names' has bad value False (written NO): Input should be a
    valid list", nothing of YAML's reading. Now the word and how to quote it."""
    land = {"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"name": "NO"},
        "geometry": {"type": "Polygon", "coordinates": [[
            [-69.5, 11.5], [-68.0, 11.5], [-68.0, 12.9], [-69.5, 12.9], [-69.5, 11.5]]]}}]}
    (sandbox.root / "land.geojson").write_text(json.dumps(land))
    text = yaml.safe_dump(sandbox.job(), sort_keys=False) + \
        "mask:\n  path: land.geojson\n  names: NO\n"
    sandbox.write_job(text)
    result = cli("plan", sandbox.job_path)
    line = assert_clean_error(result, 2, "'mask.names'", "YAML reads NO unquoted as false",
                              "['NO']")
    assert "valid list" not in line


def test_chunks_no_is_not_told_to_be_written_in_brackets(sandbox: Sandbox, cli: Any) -> None:
    """``chunks: no`` (meant: the default chunks): "write it in brackets without quotes,
    [false (YAML reads yes/no/on/off as true/false, not a number)]", the stand-in text of
    a boolean offered as the value to write. Now the word and the fix."""
    text = yaml.safe_dump(sandbox.job(), sort_keys=False).replace(
        "  chunks:\n  - 20\n  - 20\n", "  chunks: no\n")
    sandbox.write_job(text)
    result = cli("plan", sandbox.job_path)
    line = assert_clean_error(result, 2, "'region.chunks'", "YAML reads no unquoted as false",
                              "leave the key out for its default")
    assert "[false" not in line and "(YAML reads yes/no/on/off" not in line


def test_one_index_name_where_a_list_goes_says_the_brackets(sandbox: Sandbox,
                                                            cli: Any) -> None:
    """``names: NDVI`` (one index, without brackets): "key 'indices.names' has bad value
    'NDVI': Input should be a valid list". Now the list to write."""
    _red_and_nir(sandbox, bands={"N": "nir", "R": "red"}, names="NDVI")
    result = cli("plan", sandbox.job_path)
    line = assert_clean_error(result, 2, "'indices.names'", "one value", "[NDVI]")
    assert "valid list" not in line


def test_control_a_quoted_no_in_brackets_is_a_name(sandbox: Sandbox, cli: Any) -> None:
    """control: ``names: ['NO']`` is read as the name (the feature is there: exit 0)."""
    land = {"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"name": "NO"},
        "geometry": {"type": "Polygon", "coordinates": [[
            [-69.5, 11.5], [-68.0, 11.5], [-68.0, 12.9], [-69.5, 12.9], [-69.5, 11.5]]]}}]}
    (sandbox.root / "land.geojson").write_text(json.dumps(land))
    text = yaml.safe_dump(sandbox.job(), sort_keys=False) + \
        "mask:\n  path: land.geojson\n  names: ['NO']\n"
    sandbox.write_job(text)
    result = cli("plan", sandbox.job_path)
    assert result.code == 0, result.err[-3000:]


# -- a manifest whose last write never reached the disk ---------------------------------


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory, scheduler: str) -> tuple[Sandbox, bytes]:
    """The tiny job run once (ingest) on the corpus's cluster, and its manifest's bytes."""
    from .conftest import run_in_process

    box = Sandbox(tmp_path_factory.mktemp("r36") / "box")
    result = run_in_process("run", box.job_path, "-o", box.out, "--scheduler", scheduler)
    assert result.code == 0, result.err[-3000:]
    return box, (box.out / "manifest.json").read_bytes()


@pytest.mark.parametrize("damage,said", [("zeros", "nothing but NUL bytes"),
                                         ("tail", "ends in"),
                                         ("empty", "is empty (0 bytes)")])
def test_a_manifest_a_power_cut_left_in_zeros_is_said_so(
        ran: tuple[Sandbox, bytes], cli: Any, scheduler: str, damage: str,
        said: str) -> None:
    """``manifest.json`` rewritten just before a power cut comes back its size in zeros
    (the size reached the disk, the blocks did not), or with zeros at its end, or empty:
    the rerun's warning said "does not parse as JSON ('utf-32-be' codec can't decode bytes
    in position 6628-6630: truncated data)" (JSON's guess at the encoding of a file
    starting with NULs) or "Expecting value: line 1 column 1 (char 0)". Now what the file
    holds and why; the damaged copy is kept and the stages' work is redone as before."""
    box, good = ran
    manifest = box.out / "manifest.json"
    raw = {"zeros": b"\0" * len(good), "tail": good[:len(good) // 2] + b"\0" * 4096,
           "empty": b""}[damage]
    for kept in box.out.glob("manifest.damaged*.json"):
        kept.unlink()
    manifest.write_bytes(raw)
    result = cli("run", box.job_path, "-o", box.out, "--scheduler", scheduler)
    text = " ".join(result.err.split())
    assert result.code == 0 and "Traceback" not in text, text[-3000:]
    assert said in text and "never reached the disk" in text, text[-3000:]
    assert "codec" not in text and "Expecting value" not in text, text[-3000:]
    assert (box.out / "manifest.damaged.json").read_bytes() == raw
    record = json.loads(manifest.read_text())
    assert record["stages"]["ingest"]["status"] == "done"
    assert box.untouched()


def test_control_a_manifest_cut_short_still_says_its_parse_error(
        ran: tuple[Sandbox, bytes], cli: Any, scheduler: str) -> None:
    """control: a manifest cut short without zeros is said as before ("does not parse as
    JSON")."""
    box, good = ran
    manifest = box.out / "manifest.json"
    for kept in box.out.glob("manifest.damaged*.json"):
        kept.unlink()
    manifest.write_bytes(good[:200])
    result = cli("run", box.job_path, "-o", box.out, "--scheduler", scheduler)
    text = " ".join(result.err.split())
    assert result.code == 0, text[-3000:]
    assert "does not parse as JSON" in text and "NUL" not in text, text[-3000:]


# -- bounds written in an extent's order --------------------------------------------------


def _region(sandbox: Sandbox, **region: Any) -> None:
    sandbox.write_job(region={**sandbox.job()["region"], **region})


@pytest.mark.parametrize("region,told", [
    ({"bounds": [500000, 500400, 1350000, 1350400]}, "cross_zone"),
    ({"crs": "EPSG:4326", "resolution": 0.001, "bounds": [-68.5, -68.2, 12.0, 12.3]},
     "use larger chunks"),
])
def test_bounds_in_an_extents_order_are_named_so(sandbox: Sandbox, cli: Any,
                                                 region: dict[str, Any], told: str) -> None:
    """``bounds: [xmin, xmax, ymin, ymax]`` (matplotlib's ``extent``, R's
    ``raster::extent``, copied from a notebook): read as ``[left, bottom, right, top]``
    the region reached from easting 500 000 to 1 350 000, refused as "region extends 4.79
    degrees past the UTM zone ... or set 'cross_zone: true'", and in degrees "use larger
    chunks, e.g. [768, 768], or a coarser resolution": fixes that kept the wrong region.
    Now the order is named and the bounds to write given; what the first reading met
    is kept in brackets."""
    _region(sandbox, **region)
    result = cli("plan", sandbox.job_path)
    xmin, xmax, ymin, ymax = region["bounds"]
    meant = ", ".join(f"{v:.12g}" for v in (xmin, ymin, xmax, ymax))
    line = assert_clean_error(result, 2, "extent's order", "[xmin, xmax, ymin, ymax]",
                              f"as [{meant}]", "[left, bottom, right, top]")
    assert line.index("extent's order") < line.index(told)


def test_control_bounds_past_the_zone_either_way_keep_their_message(sandbox: Sandbox,
                                                                    cli: Any) -> None:
    """control: bounds past the zone read either way (an extent's order would not fit
    either) are refused as before, without the extent's order."""
    _region(sandbox, bounds=[100000, 1350000, 1300000, 1360000])
    result = cli("plan", sandbox.job_path)
    line = assert_clean_error(result, 2, "past the UTM zone")
    assert "extent's order" not in line


# -- a job renamed in its own config -------------------------------------------------------


def test_a_job_renamed_in_its_own_config_is_told_so(sandbox: Sandbox, cli: Any,
                                                     scheduler: str) -> None:
    """The job run once, then its config's ``name: tiny`` made ``name: tiny-2026`` and run
    again into the same ``-o``: "holds the outputs of job 'tiny' (…/job.yaml), not of
    'tiny-2026'; give this job its own -o (or remove that folder to reuse it)", as if
    another job's, both fixes losing what this very config had made. Now it says the
    same config file made them under the old name, and how to go on with them."""
    first = cli("run", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert first.code == 0, first.err[-3000:]
    sandbox.write_job(name="tiny-2026")
    result = cli("run", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert_clean_error(result, 2, "this same config file", str(sandbox.job_path),
                       "'tiny-2026'", "put back 'name: tiny'")
    assert json.loads((sandbox.out / "manifest.json").read_text())["job"] == "tiny"
    assert sandbox.untouched()


def test_control_another_config_into_the_same_folder_keeps_its_message(
        sandbox: Sandbox, cli: Any, scheduler: str) -> None:
    """control: another config file (another job) into that ``-o`` is refused as before."""
    first = cli("run", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert first.code == 0, first.err[-3000:]
    other = sandbox.root / "other.yaml"
    other.write_text(yaml.safe_dump(sandbox.job(name="other"), sort_keys=False))
    result = cli("run", other, "-o", sandbox.out, "--scheduler", scheduler)
    line = assert_clean_error(result, 2, "holds the outputs of job 'tiny'",
                              "give this job its own -o")
    assert "same config file" not in line


# -- a template's placeholder left in a config ------------------------------------------


@pytest.mark.parametrize("path,slot", [("'{{ data }}/heat.tif'", "{{ data }}"),
                                       ("'{data_dir}/heat.tif'", "{data_dir}"),
                                       ("<data folder>/heat.tif", "<data folder>")])
def test_a_templates_placeholder_in_a_path_is_named(sandbox: Sandbox, cli: Any, path: str,
                                                    slot: str) -> None:
    """A job config made from a template (Jinja, Ansible, cookiecutter, a README's
    ``<data folder>``) and given unrendered: ``prospect plan`` counted the source from the
    config (exit 0) and the run said "…/{{ data }}/heat.tif: raster file not found;
    check the path in the config" after its cluster had started. Now the placeholder is
    named when the job loads, as ``$DATA`` is."""
    text = yaml.safe_dump(sandbox.job(), sort_keys=False).replace("path: heat.tif",
                                                                  f"path: {path}")
    sandbox.write_job(text)
    result = cli("plan", sandbox.job_path)
    assert_clean_error(result, 2, "'sources.0.raster.path'", f"{slot!r}",
                       "template's placeholder", "render the template")


def test_an_unquoted_jinja_placeholder_says_why_yaml_refused_it(sandbox: Sandbox,
                                                                cli: Any) -> None:
    """``path: {{ data }}/heat.tif`` unquoted: "not valid YAML at line 19, column 19:
    expected <block end>, but found '<scalar>'", nothing of the template."""
    text = yaml.safe_dump(sandbox.job(), sort_keys=False).replace(
        "path: heat.tif", "path: {{ data }}/heat.tif")
    sandbox.write_job(text)
    result = cli("plan", sandbox.job_path)
    assert_clean_error(result, 2, "not valid YAML", "{{ data }}", "template's placeholder")


def test_control_an_output_folder_named_with_braces_is_made(sandbox: Sandbox,
                                                            cli: Any) -> None:
    """control: ``-o 'runs/{v2}'``, a folder to make, is a name (no template check)."""
    out = sandbox.root / "runs" / "{v2}"
    result = cli("plan", sandbox.job_path, "-o", out)
    assert result.code == 0, result.err[-3000:]


def _rd_job(sandbox: Sandbox, bounds: list[float]) -> None:
    """A SYNTHETIC 5 x 5 km raster in the Dutch RD New (x 170-175 km, y 440-445 km) and a
    job whose region, in RD New, has ``bounds``."""
    import rasterio
    from rasterio.transform import from_origin

    profile = {"driver": "GTiff", "width": 50, "height": 50, "count": 1, "dtype": "float32",
               "crs": "EPSG:28992", "transform": from_origin(170000, 445000, 100, 100)}
    with rasterio.open(sandbox.root / "rd.tif", "w", **profile) as dst:
        dst.write(np.random.default_rng(2).random((50, 50)).astype("float32"), 1)
    sandbox.write_job(region={"name": "ede", "crs": "EPSG:28992", "resolution": 100.0,
                              "bounds": bounds},
                      sources=[{"kind": "raster", "name": "heat", "path": "rd.tif",
                                "units": "1"}])


def test_bounds_in_an_extents_order_that_make_a_valid_region_are_refused(
        sandbox: Sandbox, cli: Any) -> None:
    """``[170000, 175000, 440000, 445000]`` in RD New (x 170-175 km, y 440-445 km, as an
    extent) lies in RD's area read either way: as [left, bottom, right, top] a region of
    270 x 270 km (2 916 times the files' 5 x 5 km), planned exit 0 and run over every chunk
    of it without a word. Now refused by plan and by the run before ingest, naming the
    bounds to write."""
    _rd_job(sandbox, [170000, 175000, 440000, 445000])
    result = cli("plan", sandbox.job_path)
    assert_clean_error(result, 2, "region.bounds", "extent's order", "2916 times",
                       "as [170000, 440000, 175000, 445000]")
    result = cli("run", sandbox.job_path, "-o", sandbox.out, "--workers", "1")
    assert_clean_error(result, 2, "extent's order")
    assert not (sandbox.out / "cube.zarr").exists()
    assert sandbox.untouched()


def test_control_a_region_larger_than_its_files_plans(sandbox: Sandbox, cli: Any) -> None:
    """control: a region written [left, bottom, right, top] that is larger than its files
    (here 20 x 20 km around them) plans as before."""
    _rd_job(sandbox, [160000, 430000, 180000, 450000])
    result = cli("plan", sandbox.job_path)
    assert result.code == 0, result.err[-3000:]
    assert "extent's order" not in result.err


# -- the demo's --size and a scene half made ------------------------------------------------


@pytest.mark.parametrize("size,said", [("0", "no length"), ("nan", "no length"),
                                       ("-5", "no length"), ("10", "too small"),
                                       ("1e9", "more than a demo holds")])
def test_a_demo_size_it_cannot_make_names_the_option(tmp_path: Any, cli: Any, size: str,
                                                      said: str) -> None:
    """``prospect demo --size 0`` (or ``nan``, ``-5``) said "bounds must be (left, bottom,
    right, top) with right > left ...", bounds the user never gave; ``--size 10`` "Attempt
    to create 0x0 dataset is illegal" (GDAL's words, exit 1) and left its half-made
    ``scene/`` in ``-o``, which every later demo there refused as "holds scene, not the
    demo's"; ``--size 1e9`` "use a coarser resolution or smaller bounds". Now the option,
    why and the sizes it takes, before anything is written."""
    out = tmp_path / "demo"
    result = cli("demo", "-o", out, "--size", size, "--workers", "1")
    line = assert_clean_error(result, 2, f"--size {float(size):g}", said, "at least 100")
    assert "bounds must be" not in line and "0x0" not in line
    assert not (out / "scene").exists()


def test_a_demo_scene_cut_short_by_a_full_disk_is_said_and_removed(cli: Any,
                                                                   small_disk: Any) -> None:
    """``prospect demo -o`` on a disk that fills while the scene is made (here a 40 KiB
    tmpfs): "internal error: FeatureError: Could not add feature to layer ... no such
    table: gpkg_contents" (GDAL's GeoPackage driver), exit 70, the half-made scene left,
    and the next demo there refused: "holds scene, not the demo's". Now the full disk is
    said (exit 74) and the half-made scene removed, so the same command runs once there
    is room."""
    out = small_disk.root / "demo"
    result = cli("demo", "-o", out, "--size", "100", "--workers", "1")
    assert_clean_error(result, 74, "the disk is full")
    assert not (out / "scene").exists()
    again = cli("demo", "-o", out, "--size", "100", "--workers", "1")
    line = assert_clean_error(again, 74, "the disk is full")
    assert "not the demo's" not in line


def test_control_a_demo_size_it_takes_goes_on_to_the_folder_checks(tmp_path: Any,
                                                                    cli: Any) -> None:
    """control: ``--size 100`` (the smallest it takes) and ``6000`` pass the size check and
    meet the folder's as before (here a folder holding another job's ``job.yaml``)."""
    (tmp_path / "job.yaml").write_text("name: theirs\n")
    for size in ("100", "6000"):
        result = cli("demo", "-o", tmp_path, "--size", size, "--workers", "1")
        assert_clean_error(result, 2, "holds job.yaml, not the demo's")


def test_control_a_wide_region_past_its_zone_near_the_equator_is_said_as_it_is(
        sandbox: Sandbox, cli: Any) -> None:
    """control: a 600 x 600 km region written [left, bottom, right, top] near the equator
    (its south edge near its west edge in value), past its UTM zone: refused as past the
    zone, not as an extent's order (read so it is only 36 times smaller)."""
    _region(sandbox, resolution=1000.0, bounds=[300000, 400000, 900000, 1000000])
    result = cli("plan", sandbox.job_path)
    line = assert_clean_error(result, 2, "past the UTM zone")
    assert "extent's order" not in line


# -- a PROSPECT_* variable misspelt ---------------------------------------------------------


@pytest.mark.parametrize("name,meant", [("PROSPECT_MAX_CELL", "PROSPECT_MAX_CELLS"),
                                        ("PROSPECT_TASK_TIMOUT", "PROSPECT_TASK_TIMEOUT"),
                                        ("prospect_debug", "PROSPECT_DEBUG")])
def test_a_misspelt_prospect_variable_is_said_ignored(
        sandbox: Sandbox, cli: Any, monkeypatch: pytest.MonkeyPatch, name: str,
        meant: str) -> None:
    """``export PROSPECT_MAX_CELL=...`` (or ``PROSPECT_TASK_TIMOUT``, ``prospect_debug``)
    was ignored without a word: the job ran under the default the user meant to change.
    Now a warning names the variable set, the one read and the fix; the command runs."""
    monkeypatch.setenv(name, "1")
    result = cli("plan", sandbox.job_path)
    assert result.code == 0, result.err[-3000:]
    said = [line for line in result.err.splitlines() if line.startswith("warning:")
            and f"${name} is set" in line]
    assert said and f"${meant}" in said[0] and "ignored" in said[0], result.err[-3000:]


def test_control_prospect_variables_read_or_of_ones_own_say_nothing(
        sandbox: Sandbox, cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """control: a variable Prospect reads, the batch script's and one of the user's own
    (``PROSPECT_HOME``) draw no warning."""
    for name, value in (("PROSPECT_MAX_SOURCES", "50"), ("PROSPECT_VENV", "/opt/venv"),
                        ("PROSPECT_HOME", "/opt/prospect")):
        monkeypatch.setenv(name, value)
    result = cli("plan", sandbox.job_path)
    assert result.code == 0, result.err[-3000:]
    assert "is set, but Prospect reads" not in result.err
