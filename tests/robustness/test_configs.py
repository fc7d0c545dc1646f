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


RASTER = {"kind": "raster", "name": "heat", "path": "heat.tif"}


@pytest.mark.parametrize(("changes", "key", "meant"), [
    ({"sorces": [RASTER]}, "sorces", "sources"),
    ({"sources": [{**RASTER, "nodta": 0}]}, "sources.0.raster.nodta", "nodata"),
    ({"sources": [{"kind": "points", "name": "w", "path": "w.csv", "column": ["li"]}]},
     "sources.0.points.column", "columns"),
    ({"indices": {"name": ["NDVI"]}}, "indices.name", "names"),
    ({"tiles": {"layers": [{"variable": "probability", "colourmap": "magma"}]}},
     "tiles.layers.0.colourmap", "colormap"),
    ({"sources": [{"kind": "raster", "name": "heat",
                   "scenes": [{"path": "heat.tif", "dat": "2020-01-01"}]}]},
     "sources.0.raster.scenes.0.dat", "date"),
], ids=["top", "raster", "points", "indices", "tiles", "scene"])
def test_a_misspelt_key_is_named_with_the_key_meant(
    sandbox: Sandbox, cli, changes: dict, key: str, meant: str,
) -> None:
    sandbox.write_job(**changes)
    result = cli("run", sandbox.job_path, "-o", sandbox.out)
    assert_clean_error(result, 2, "job.yaml", f"unknown key '{key}'", f"did you mean '{meant}'?")
    assert not sandbox.out.exists()


def test_an_unknown_key_far_from_any_lists_the_keys_allowed(sandbox: Sandbox, cli) -> None:
    sandbox.write_job(sources=[{**RASTER, "zzzzzz": 1}])
    result = cli("run", sandbox.job_path, "-o", sandbox.out)
    assert_clean_error(result, 2, "unknown key 'sources.0.raster.zzzzzz'",
                       "keys allowed here:", "nodata", "scale")


@pytest.mark.parametrize(("source", "needles"), [
    ({"kind": "rastr", "name": "heat", "path": "heat.tif"},
     ["key 'sources.0.kind' has bad value 'rastr'", "did you mean 'raster'?"]),
    ({"name": "heat", "path": "heat.tif"},
     ["missing required key 'sources.0.kind'", "raster, vector, points"]),
], ids=["misspelt", "missing"])
def test_a_source_kind_misspelt_or_missing_is_named_with_the_kinds(
    sandbox: Sandbox, cli, source: dict, needles: list[str],
) -> None:
    sandbox.write_job(sources=[source])
    result = cli("run", sandbox.job_path, "-o", sandbox.out)
    line = assert_clean_error(result, 2, "job.yaml", *needles)
    assert "discriminator" not in line and "tag" not in line


def test_a_whole_job_check_names_no_empty_key(sandbox: Sandbox, cli) -> None:
    sandbox.write_job(model={"mineral": "lithium", "labels": {"source": "heat"}})
    result = cli("run", sandbox.job_path, "-o", sandbox.out)
    line = assert_clean_error(result, 2, "job.yaml", "model.labels.source 'heat'",
                              "not a points source")
    assert "key ''" not in line


def test_an_unknown_index_is_refused_at_load_with_the_names_meant(sandbox: Sandbox,
                                                                   cli) -> None:
    # it stopped the indices stage, after ingest had run (hours on a country)
    sandbox.write_job(indices={"sensor": "sentinel2", "names": ["NDVII"]})
    result = cli("run", sandbox.job_path, "-o", sandbox.out)
    assert_clean_error(result, 2, "job.yaml", "indices.names", "unknown index 'NDVII'",
                       "did you mean 'NDVI'")
    assert not sandbox.out.exists()


@pytest.mark.parametrize("text", ["", "# only a comment\n", "---\n"])
def test_an_empty_config_is_named_as_empty(sandbox: Sandbox, cli, text: str) -> None:
    sandbox.write_job(text=text)
    result = cli("run", sandbox.job_path, "-o", sandbox.out)
    line = assert_clean_error(result, 2, "job.yaml", "the config is empty")
    assert "NoneType" not in line


@pytest.mark.parametrize(("source", "key", "needle"), [
    ({**RASTER, "crs": "EPSG:4326x"}, "sources.0.raster.crs", "unknown CRS 'EPSG:4326x'"),
    ({"kind": "points", "name": "w", "path": "w.csv", "crs": "EPSG:99999"},
     "sources.1.points.crs", "unknown CRS 'EPSG:99999'"),
    ({**RASTER, "sensor": "sentinel3"}, "sources.0.raster.sensor",
     "unknown sensor 'sentinel3'"),
], ids=["raster-crs", "unused-points-crs", "sensor"])
def test_a_source_crs_or_sensor_nobody_knows_is_refused_at_load(
    sandbox: Sandbox, cli, source: dict, key: str, needle: str,
) -> None:
    # the sensor was ignored without a word; an unused source's CRS was never looked at;
    # a raster's was an error without its key, after the cluster had started
    sources = [source] if source.get("kind") == "raster" else [RASTER, source]
    sandbox.write_job(sources=sources)
    result = cli("run", sandbox.job_path, "-o", sandbox.out)
    assert_clean_error(result, 2, "job.yaml", f"key '{key}'", needle)
    assert not sandbox.out.exists()


@pytest.mark.parametrize(("edit", "key"), [
    (("resolution: 10.0", "resolution: yes"), "region.resolution"),
    (("  - 20\n  - 20", "  - on\n  - 20"), "region.chunks.0"),
    (("units: '1'", "units: '1'\n  nodata: no"), "sources.0.raster.nodata"),
    (("units: '1'", "units: '1'\n  scale: true"), "sources.0.raster.scale"),
], ids=["resolution-yes", "chunks-on", "nodata-no", "scale-true"])
def test_true_or_false_where_a_number_goes_is_refused(
    sandbox: Sandbox, cli, edit: tuple[str, str], key: str,
) -> None:
    # pydantic read a boolean as 1 or 0: 'nodata: no' (meant: none) marked every 0 as no
    # data, 'resolution: yes' made a 1 m grid, both without a word
    text = sandbox.job_path.read_text()
    assert edit[0] in text
    sandbox.write_job(text=text.replace(edit[0], edit[1], 1))
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out)
    assert_clean_error(result, 2, "job.yaml", f"key '{key}'", "yes/no/on/off",
                       "not a number")
    assert not sandbox.out.exists() and sandbox.untouched()


def test_a_true_or_false_key_still_loads(sandbox: Sandbox, cli) -> None:
    from prospect.config.job import load_job

    sandbox.write_job(text=sandbox.job_path.read_text().replace("synthetic: true",
                                                                "synthetic: yes"))
    assert load_job(sandbox.job_path).synthetic is True


@pytest.mark.parametrize("chunks", [[10**9, 10**9], [10**30, 20]], ids=["1e9", "1e30"])
def test_chunks_no_worker_could_hold_are_refused_at_load(sandbox: Sandbox, cli,
                                                         chunks: list[int]) -> None:
    # a MemoryError (an 'internal error', exit 70) once the first chunk was allocated, or a
    # TypeError from numpy for a chunk size past 64 bits
    from .conftest import TINY_REGION

    sandbox.write_job(region={**TINY_REGION, "chunks": chunks})
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out)
    # (since round 34 the side itself is refused at its key, with the limits a side and a
    # chunk have, before the grid multiplies the two)
    assert_clean_error(result, 2, "job.yaml", "key 'region.chunks.0'", f"value {chunks[0]}:",
                       "more than any task holds", "[512, 512]")
    assert not sandbox.out.exists() and sandbox.untouched()


def _bands_job(box: Sandbox, indices: dict) -> None:
    import numpy as np

    from .conftest import write_tiny_raster

    write_tiny_raster(box.root / "nir.tif", values=(np.random.default_rng(1).random((40, 40))
                                                   * 0.5 + 0.3).astype("float32"))
    box.write_job(sources=[{"kind": "raster", "name": "s2", "sensor": "sentinel2",
                            "bands": {"B04": "heat.tif", "B08": "nir.tif"}}],
                  indices=indices)


@pytest.mark.parametrize(("indices", "needles"), [
    ({"names": ["NDVI"], "bands": {"RED": "B04"}},
     ["indices.bands.RED", "no index uses 'RED'", "did you mean 'R'?"]),
    ({"names": ["SAVI"], "constants": {"l": 0.5}},
     ["indices.constants.l", "no index uses 'l'", "did you mean 'L'?"]),
], ids=["band-RED", "constant-l"])
def test_an_indices_key_no_index_uses_is_refused(sandbox: Sandbox, cli, scheduler: str,
                                                indices: dict, needles: list[str]) -> None:
    # Before: passed over; NDVI read R from the sensor's mapping, SAVI kept L = 1. Since
    # round 38 refused when the job loads (ingest computes nothing), naming the file
    _bands_job(sandbox, indices)
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert_clean_error(result, 2, "job.yaml", *needles)
    assert not (sandbox.out / "cube.zarr").exists()


def test_an_index_named_like_a_band_of_the_cube_is_refused(sandbox: Sandbox, cli,
                                                           scheduler: str) -> None:
    # Before: 'custom: {B04: N * 2}' replaced the ingested band B04 with N * 2, exit 0.
    # The ingest stage refuses such a config before it computes (as 'prospect plan' does);
    # the indices stage still refuses it on a cube an earlier config made
    import numpy as np
    import zarr

    _bands_job(sandbox, {"custom": {"B04": "N * 2"}})
    early = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert_clean_error(early, 2, "indices.custom: ['B04'] would replace the ingested")
    assert not (sandbox.out / "cube.zarr").exists()
    _bands_job(sandbox, {"custom": {"B04x2": "N * 2"}})
    assert cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler
               ).code == 0
    before = np.asarray(zarr.open_array(sandbox.out / "cube.zarr" / "B04", mode="r")[:])
    _bands_job(sandbox, {"custom": {"B04": "N * 2"}})
    result = cli("indices", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert_clean_error(result, 2, "'B04' (continuous)", "another stage made",
                       "give the index another name")
    after = np.asarray(zarr.open_array(sandbox.out / "cube.zarr" / "B04", mode="r")[:])
    np.testing.assert_array_equal(before, after)


@pytest.mark.parametrize(("edit", "needles"), [
    (("synthetic: true", "synthetic: true\non: 3"),
     ["key 'on' at line 3 is read by YAML as true", "quote it ('on': ...)"]),
    (("name: heat", "name: no"),
     ["key 'sources.0.raster.name'", "bad value False", "quote the text, e.g. 'no'"]),
    (("units: '1'", "units: '1'\n  resampling: bicubic_spline"),
     ["job.yaml", "key 'sources.0.raster.resampling'", "unknown resampling 'bicubic_spline'",
      "cubic_spline"]),
], ids=["on-key", "no-name", "resampling"])
def test_a_word_yaml_or_gdal_reads_otherwise_is_named_at_its_key(
    sandbox: Sandbox, cli, edit: tuple[str, str], needles: list[str],
) -> None:
    # Before: "key '1' has bad value True: Keys should be strings" for 'on:', no hint for
    # 'name: no', and a resampling GDAL lacks named neither the file nor the key
    text = sandbox.job_path.read_text()
    assert edit[0] in text
    sandbox.write_job(text=text.replace(edit[0], edit[1], 1))
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out)
    assert_clean_error(result, 2, *needles)
    assert not sandbox.out.exists()


@pytest.mark.parametrize(("region", "needles"), [
    ({"crs": "EPSG:32619", "resolution": 10.0,
      "bounds": [50_000_000.0, 1_350_000.0, 50_000_400.0, 1_350_400.0]},
     ["lie outside the Earth in EPSG:32619", "lon/lat inf"]),
    ({"crs": "EPSG:4326", "resolution": 0.001, "bounds": [-69.0, 95.0, -68.9, 95.1]},
     ["lie outside the Earth in EPSG:4326", "-69.000,95.000"]),
], ids=["utm-x-50000-km", "latitude-95"])
def test_region_bounds_off_the_earth_are_refused_at_load(sandbox: Sandbox, cli, region: dict,
                                                        needles: list[str]) -> None:
    # Before: loaded; ingest then said no file overlapped "lon/lat inf,inf .. -inf,inf"
    sandbox.write_job(region={"name": "r", "chunks": [20, 20], **region})
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out)
    assert_clean_error(result, 2, "job.yaml", "key 'region'", *needles,
                       "[left, bottom, right, top]")
    assert not sandbox.out.exists()


# --- index constants that are no number, or none the index can use ------------------------

@pytest.mark.parametrize(("constants", "needles"), [
    ({"L": -1}, ["indices.constants.L", "-1 is not in 0..1", "the range of L",
                 "used by SAVI, EVI"]),
    ({"SAVI": {"L": float("nan")}}, ["indices.constants.SAVI.L", "nan is not a finite number"]),
    ({"L": "0.5"}, ["indices.constants.L", "'0.5' is text, not a number", "write it as 0.5"]),
    ({"L": True}, ["indices.constants.L", "true is no number"]),
    ({"SAVI": {"L": True}}, ["indices.constants.SAVI.L", "true is no number"]),
    ({"g": -2.5}, ["indices.constants.g", "-2.5 is not > 0", "used by EVI"]),
    ({"sigma": 0}, ["indices.constants.sigma", "0 is not > 0", "length scale"]),
], ids=["L-negative", "L-nan", "L-quoted", "L-true", "SAVI-L-true", "g-negative", "sigma-0"])
def test_an_index_constant_that_is_no_number_in_its_range_is_refused_at_load(
    sandbox: Sandbox, cli, constants: dict, needles: list[str],
) -> None:
    """Before: each loaded and ran: SAVI's L of -1 divided by zero where N + R is 1, a
    NaN made every cell NaN, true was taken for 1 and '0.5' for 0.5, without a word."""
    _bands_job(sandbox, {"names": ["SAVI", "EVI", "kNDVI"], "constants": constants})
    result = cli("run", sandbox.job_path, "-o", sandbox.out)
    assert_clean_error(result, 2, "job.yaml", *needles)
    assert not sandbox.out.exists() and sandbox.untouched()


def test_an_index_constant_that_divides_by_zero_everywhere_is_refused(
    sandbox: Sandbox, cli, scheduler: str,
) -> None:
    """Before: SAVI2 = N / (R + slb / sla) with sla = 0 was NaN or infinite in every cell."""
    _bands_job(sandbox, {"names": ["SAVI2"], "constants": {"sla": 0}})
    assert cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler
               ).code == 0
    result = cli("indices", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert_clean_error(result, 2, "index 'SAVI2'", "with sla = 0 a divisor is 0 whatever the "
                       "bands", "change indices.constants.sla")
    assert not (sandbox.out / "cube.zarr" / "SAVI2").exists()


def test_sigma_from_data_for_every_kernel_index_loads_and_runs(
    sandbox: Sandbox, cli, scheduler: str,
) -> None:
    """Before: 'sigma: data' for every index (not under one index's name) was refused at
    load ("unable to parse string as a number"), though the docs and the planner took it."""
    import numpy as np
    import zarr

    _bands_job(sandbox, {"names": ["kNDVI"], "constants": {"sigma": "data"}})
    result = cli("run", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert result.code == 0, result.err[-3000:]
    got = np.asarray(zarr.open_array(sandbox.out / "cube.zarr" / "kNDVI", mode="r")[:])
    assert np.isfinite(got).all() and (got >= 0).all() and (got < 1).all()


# --- the commodity a model is labelled with ------------------------------------------------

def _model_job(box: Sandbox, **model) -> None:
    (box.root / "wells.csv").write_text("x,y\n500105,1350105\n500305,1350305\n")
    box.write_job(sources=[{"kind": "raster", "name": "heat", "path": "heat.tif"},
                           {"kind": "points", "name": "wells", "path": "wells.csv",
                            "crs": "EPSG:32619"}],
                  model={"labels": {"source": "wells"}, **model})


@pytest.mark.parametrize(("mineral", "meant"), [("lithum", "lithium"), ("Galium", "gallium"),
                                                ("rare earth", "rare earths")])
def test_a_mineral_that_is_no_commodity_is_refused_with_the_one_meant(
    sandbox: Sandbox, cli, mineral: str, meant: str,
) -> None:
    """Before: the model, its maps and its card were labelled 'lithum', without a word."""
    _model_job(sandbox, mineral=mineral)
    result = cli("run", sandbox.job_path, "-o", sandbox.out)
    assert_clean_error(result, 2, "job.yaml", "model.mineral", f"{mineral!r} is no commodity",
                       f"did you mean {meant!r}", "lithium, lutetium, magnesium",
                       "allow_unlisted_mineral")
    assert not sandbox.out.exists() and sandbox.untouched()


@pytest.mark.parametrize("model", [{"mineral": "Li"}, {"mineral": "Rare_Earths"},
                                   {"mineral": "helium-3", "allow_unlisted_mineral": True}],
                         ids=["symbol", "spelling", "unlisted-allowed"])
def test_a_commodity_by_symbol_or_spelling_or_allowed_unlisted_loads(
    sandbox: Sandbox, model: dict,
) -> None:
    from prospect.config import load_job

    _model_job(sandbox, **model)
    job = load_job(sandbox.job_path)
    assert job.model is not None and job.model.mineral == model["mineral"]
    # the flag is kept where it is set, and adds nothing to the settings of configs without it
    assert ("allow_unlisted_mineral" in job.stage_settings("train")["model"]) == (
        "allow_unlisted_mineral" in model)


@pytest.mark.parametrize("variable", ["nope", "probability"])
def test_a_tile_layer_no_stage_makes_is_refused_before_anything_is_computed(
    sandbox: Sandbox, cli, scheduler: str, variable: str,
) -> None:
    # it failed in the tiles stage, after ingest (and train and score) had run; a job
    # without a model makes no probability either
    sandbox.write_job(tiles={"layers": [{"variable": "heat"}, {"variable": variable}]})
    result = cli("run", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert_clean_error(result, 2, "job.yaml", "tiles.layers", f"['{variable}']", "'heat'",
                       "fix 'variable'")
    assert not (sandbox.out / "cube.zarr" / "heat").exists()  # nothing computed
    assert sandbox.untouched()
    # the layer the job does make renders
    sandbox.write_job(tiles={"layers": [{"variable": "heat"}]})
    ok = cli("run", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert ok.code == 0, ok.err[-3000:]
    assert (sandbox.out / "tiles" / "heat").is_dir()
