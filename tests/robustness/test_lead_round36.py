"""Fuzzing round 36, the lead's cases: hand-overs of the round's areas.

Each case fails on the code before this round unless its docstring says "control".
SYNTHETIC files throughout."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import pytest

from .conftest import Sandbox, assert_clean_error
from .test_rasters_round36 import silent_server

__all__ = ["silent_server"]


def test_a_presigned_url_in_an_error_keeps_the_sentences_colon(
        sandbox: Sandbox, cli: Any, scheduler: str, silent_server: int) -> None:
    """The rasters area's hand-over: a geology map given by a presigned URL
    (``?X-Amz-Credential=...&X-Amz-Signature=...``) on a server that never answers. The
    error's URL is redacted, and the redaction took the ``:`` that ends the URL in the
    sentence with the signature: ``X-Amz-Signature=*** cannot read over the network``.
    Now the mask stops before the sentence's punctuation, and no secret is shown."""
    url = (f"http://127.0.0.1:{silent_server}/g.gpkg?X-Amz-Credential=AKIAEXAMPLE"
           "&X-Amz-Signature=0123secret")
    sandbox.write_job(sources=[{"kind": "vector", "name": "geology", "path": url,
                                "attribute": "unit",
                                "remote": {"timeout_s": 1, "retries": 0}}])
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    line = assert_clean_error(result, 1, "X-Amz-Signature=***: cannot read over the network")
    assert "AKIAEXAMPLE" not in line and "0123secret" not in line


@pytest.mark.parametrize(("text", "said"), [
    ("https://h/x.tif?sig=abc.", "https://h/x.tif?sig=***."),
    ("(see https://h/x.tif?token=abc), then", "(see https://h/x.tif?token=***), then"),
    ("https://h/x.tif?sig=a:b&band=1", "https://h/x.tif?sig=***&band=1"),
], ids=["full-stop", "parenthesis", "colon-inside"])
def test_redaction_leaves_the_punctuation_after_a_url(text: str, said: str) -> None:
    """The sentence's punctuation after a secret value (a full stop, a closing
    parenthesis) stays; a colon inside the value is masked with it (control for the
    last)."""
    from prospect.redact import redact

    assert redact(text) == said


_HDF4 = b"\x0e\x03\x13\x01" + b"\0" * 4000
"""An HDF4 file's first bytes and no more: what this GDAL (no HDF4 driver) sees of a real
granule is only that it is not a format it knows. SYNTHETIC."""


def test_an_hdf4_granule_of_a_stac_item_is_said_to_need_an_hdf4_gdal(tmp_path: Path) -> None:
    """The imagery area's hand-over: an ASTER granule as LP DAAC delivers it (HDF-EOS,
    ``type: application/x-hdf``), listed as a STAC item's asset. Before: "cannot read as a
    raster (corrupt, truncated or not a raster) ... not recognized as being in a supported
    file format" of a sound file. Now it is named as HDF4, which this GDAL has no driver
    for, with the commands that convert a band of it."""
    from prospect.errors import InputFileError

    from .test_imagery_round33 import _collection, _item, _plan

    granule = tmp_path / "AST_07XT_00306202006183523_20200101000000_1234.hdf"
    granule.write_bytes(_HDF4)
    items = [_item("ast", str(granule), "2020-06-20T18:35:23Z", {"platform": "terra"})]
    with pytest.raises(InputFileError) as caught:
        _plan({"name": "ast", "stac": str(_collection(tmp_path, items)),
               "assets": {"red": "B04"}})
    said = str(caught.value)
    assert "an HDF4 file" in said and "no HDF4 driver" in said, said
    assert f"gdalinfo {granule.name}" in said and "corrupt" not in said, said


def test_an_hdf4_file_given_as_a_raster_source_is_said_so(sandbox: Sandbox, cli: Any) -> None:
    """An HDF4 file given as a survey raster's ``path:`` (a MODIS product): one line naming
    it as HDF4 and the fix, not a corrupt file."""
    path = sandbox.root / "MOD11A2.A2020001.h18v03.061.hdf"
    path.write_bytes(_HDF4)
    sandbox.write_job(sources=[{"kind": "raster", "name": "lst", "path": str(path)}])
    result = cli("plan", sandbox.job_path, "-o", sandbox.out)
    line = assert_clean_error(result, 1, "an HDF4 file", "no HDF4 driver",
                              "gdal_translate")
    assert "corrupt" not in line


@pytest.mark.parametrize("column", ["log_Li", "Li_sd", "Li_ppm_LOD"])
def test_plan_says_labels_of_a_figure_derived_from_a_grade(sandbox: Sandbox, cli: Any,
                                                           column: str) -> None:
    """Round 37's labels hand-over: ``model.labels.value_column: log_Li`` (a log10, or an
    error or a detection limit of the grade) with a threshold: plan said nothing, while
    the screening refuses a surface of such a column. Now plan warns that the column is
    no grade and its threshold is read in its terms (SYNTHETIC heat raster and wells)."""
    from .test_jobs_round12 import _model, _wells

    sandbox.write_job(sources=[{"kind": "raster", "name": "heat", "path": "heat.tif"},
                               _wells(sandbox, column)], model=_model(column, "lithium"))
    result = cli("plan", sandbox.job_path)
    assert result.code == 0, result.err[-3000:]
    line = next(ln for ln in result.err.splitlines() if "not a grade:" in ln)
    assert line.startswith("warning:") and f"value_column {column!r} is a" in line, line


def test_plan_says_nothing_of_labels_of_a_grade(sandbox: Sandbox, cli: Any) -> None:
    """Control: labels of a lithium grade column (``Li_ppm``) get no such warning."""
    from .test_jobs_round12 import _model, _wells

    sandbox.write_job(sources=[{"kind": "raster", "name": "heat", "path": "heat.tif"},
                               _wells(sandbox, "Li_ppm")], model=_model("Li_ppm", "lithium"))
    result = cli("plan", sandbox.job_path)
    assert result.code == 0, result.err[-3000:]
    assert "not a grade" not in result.err, result.err[-3000:]


@pytest.mark.parametrize(("written", "utc"), [
    ("2021-03-01T23:30:00-05:00", "2021-03-02"), ("2021-03-02T00:00:00+02:00", "2021-03-01")],
    ids=["west-of-utc", "east-of-utc"])
def test_a_mosaic_scenes_date_and_time_names_its_utc_date(written: str, utc: str) -> None:
    """Round 37's imagery hand-over: a mosaic scene's ``date:`` written as a date and time
    with an offset (YAML reads it unquoted as an aware datetime). Before: west of UTC,
    pydantic's "Datetimes provided to dates should have zero time" with no date to give;
    east of UTC at midnight, silently the local day (2021-03-02 for a scene of 03-01 in
    UTC). Now both are refused naming the UTC date, as a time series' dates are."""
    import yaml

    from prospect.config.sources import RasterSource

    scene = {"date": yaml.safe_load(f"d: {written}")["d"], "bands": {"red": "a.tif"}}
    with pytest.raises(ValueError, match=f"in UTC, .*: {utc} \\(YYYY-MM-DD\\)"):
        RasterSource.model_validate({"name": "s2", "mosaic": "most_recent",
                                     "scenes": [scene, {"date": "2021-02-20",
                                                        "bands": {"red": "b.tif"}}]})


def test_ingest_names_the_outline_written_otherwise_beside_it(
        sandbox: Sandbox, cli: Any, scheduler: str) -> None:
    """Round 37's faults hand-over: ``mask: {path: Land.geojson}`` beside
    ``land.geojson``. Plan's note names the file beside it (round 37); the run's ingest
    said "outline file not found; check the path" alone. Now its line names it too."""
    from .test_faults_round37 import _masked

    _masked(sandbox, "Land.geojson")
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert_clean_error(result, 1, "Land.geojson: outline file not found",
                       "'land.geojson' is there")


def _cube_of(units: str) -> Any:
    """A one-variable SYNTHETIC cube ``t`` of 4 x 4 cells in ``units``."""
    import numpy as np
    import xarray as xr

    return xr.Dataset({"t": (("y", "x"), np.full((4, 4), 290.0, "f4"), {"units": units})},
                      coords={"y": np.arange(4.0), "x": np.arange(4.0)})


@pytest.mark.parametrize("have", ["K", "degF"])
def test_a_layer_in_another_temperature_scale_says_the_offset(have: str) -> None:
    """Round 37's models hand-over: a layer in K (or °F) scored by a model trained in
    °C was refused as "units 'K', model needs 'degC'" with no word why a conversion is
    no factor (a scale factor's mismatch had one). Now the line says it is one
    temperature on scales with an offset and how to fix it."""
    from prospect.registry.schema import schema_differences

    lines = schema_differences(_cube_of(have), {
        "variables": [{"name": "t", "units": "degC"}], "feature_order": ["t"]})
    assert len(lines) == 1 and "model needs 'degC'" in lines[0], lines
    assert "K = °C + 273.15" in lines[0] and "ingest again" in lines[0], lines


@pytest.mark.parametrize(("have", "want"), [
    ("g/cc", "g/cm3"), ("m a.s.l.", "m"), ("m NAP", "m"), ("masl", "m")],
    ids=["density", "above-sea-level", "nap", "masl"])
def test_units_written_as_tables_write_them_are_the_models(have: str, want: str) -> None:
    """The rasters area's round 37 note: a density in ``g/cc`` (logging tables) and a
    height in ``m a.s.l.``/``m NAP`` were refused as other units than ``g/cm3`` and
    ``m``. Now they are the same units; ``kg/m3`` stays apart from ``g/cm3`` (control
    below)."""
    from prospect.registry.schema import schema_differences

    assert schema_differences(_cube_of(have), {
        "variables": [{"name": "t", "units": want}], "feature_order": ["t"]}) == []
    assert schema_differences(_cube_of("kg/m3"), {
        "variables": [{"name": "t", "units": "g/cm3"}], "feature_order": ["t"]}) != []


def test_a_remote_grid_replaced_on_its_server_is_ingested_again_without_force(
        sandbox: Sandbox, cli: Any, scheduler: str, tmp_path: Path) -> None:
    """Round 37's rasters hand-over: a heat-flow grid read by URL, republished under it
    (new values, a later ``Last-Modified``), and the same ``prospect ingest`` run again
    (no ``--force``). Before: "skipped: config and inputs unchanged", the old values kept
    (the manifest recorded local inputs only). Now the input's server version is
    recorded, and a changed one reruns the stage, saying which input changed; a rerun
    with the server's file unchanged still skips (control, first)."""
    import os
    import time

    import numpy as np

    from .test_imagery_round21 import served as _served
    from .test_rasters_round37 import HEAT, _cube, _ingest, _write

    with contextlib.contextmanager(_served.__wrapped__)(tmp_path) as (root, url):
        _write(root / "heat.tif", HEAT)
        source = {"path": f"{url}/heat.tif", "remote": {"timeout_s": 5, "retries": 0}}
        first = _ingest(sandbox, cli, scheduler, source)
        assert first.code == 0, first.err[-3000:]
        again = _ingest(sandbox, cli, scheduler, source)
        assert again.code == 0 and "skipped" in again.out + again.err, again.err[-3000:]
        _write(root / "heat.tif", HEAT + 100)
        later = time.time() + 120
        os.utime(root / "heat.tif", (later, later))
        third = _ingest(sandbox, cli, scheduler, source)
        assert third.code == 0, third.err[-3000:]
        said = third.out + third.err
        assert "heat.tif" in said and "changed" in said, said[-3000:]
        np.testing.assert_array_equal(_cube(sandbox).values, HEAT + 100)


def test_overlapping_reads_of_a_gml_map_leave_no_gfs(tmp_path: Path) -> None:
    """The final CI of round 37 (1 of 6 725): round 35's
    ``test_a_gml_geology_map_ingests_without_writing_beside_it`` found ``geo.gfs`` beside
    the map after an ingest whose chunks read it in several threads. Each read that found
    no ``.gfs`` removed the one GDAL wrote as it ended; a read begun after another had
    written one took it as the user's, and when the first had removed it and the second's
    open wrote it again, it stayed. Two overlapping reads (the second begun once the
    first has written its ``.gfs``, ended after the first) now leave none."""
    import pyogrio

    from prospect.io.vector import _no_gfs_left

    from .test_rasters_round35 import _gml

    gml = tmp_path / "geo.gml"
    _gml(gml)
    gfs = gml.with_suffix(".gfs")
    with _no_gfs_left(str(gml)):
        pyogrio.list_layers(gml)  # GDAL writes its .gfs here
        assert gfs.exists()
        second = _no_gfs_left(str(gml))
        second.__enter__()
    gfs.unlink(missing_ok=True)  # (the first read removed it before; now the last does)
    pyogrio.list_layers(gml)  # the second read's open writes it again
    second.__exit__(None, None, None)
    assert not gfs.exists()


def test_a_gfs_the_user_keeps_is_left_by_overlapping_reads(tmp_path: Path) -> None:
    """Control: a ``.gfs`` there before any read is the user's, left by every read."""
    import pyogrio

    from prospect.io.vector import _no_gfs_left

    from .test_rasters_round35 import _gml

    gml = tmp_path / "geo.gml"
    _gml(gml)
    pyogrio.list_layers(gml)  # the user's own .gfs, written before
    gfs = gml.with_suffix(".gfs")
    with _no_gfs_left(str(gml)), _no_gfs_left(str(gml)):
        pyogrio.list_layers(gml)
    assert gfs.exists()
