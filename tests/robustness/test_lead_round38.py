"""What the lead took from fuzzing round 38's helpers' "found and left", each case failing
on the code before it (controls say so). All data here are SYNTHETIC.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.robustness.test_serving_round38 import PNG, corpus, served  # noqa: F401

# -- WMTS: other servers' names of the Web Mercator tile matrix set ------------------------

_KVP = {"SERVICE": "WMTS", "REQUEST": "GetTile", "VERSION": "1.0.0", "LAYER": "ramp",
        "STYLE": "default", "FORMAT": "image/png", "TILEMATRIX": "7", "TILEROW": "41",
        "TILECOL": "65"}
"""A WMTS KVP GetTile of the tile over 5-6 E, 52-53 N at zoom 7 (row 41, column 65)."""


@pytest.mark.parametrize("name", ["GoogleMapsCompatible", "EPSG:3857", "EPSG:900913"])
def test_wmts_tile_of_another_servers_web_mercator_set_is_the_same_tile(
        served: Any, name: str) -> None:  # noqa: F811
    """A URL template written for ArcGIS Server or MapProxy (``TILEMATRIXSET=
    GoogleMapsCompatible``, the well-known scale set WMTS names) or GeoServer's gridsets
    (``EPSG:3857``, ``EPSG:900913``) was a 404 "not served in tile matrix set": the same
    256 px Web Mercator tiles as ``WebMercatorQuad``, now served as them, byte for byte."""
    own = served.get("/wmts", params={**_KVP, "TILEMATRIXSET": "WebMercatorQuad"})
    assert own.status_code == 200 and own.content.startswith(PNG)
    other = served.get("/wmts", params={**_KVP, "TILEMATRIXSET": name})
    assert other.status_code == 200, other.text
    assert other.content == own.content


def test_wmts_rest_tile_of_google_maps_compatible_is_the_same_tile(
        served: Any) -> None:  # noqa: F811
    """The REST binding's ``.../GoogleMapsCompatible/{z}/{row}/{col}.png`` likewise."""
    own = served.get("/wmts/1.0.0/ramp/default/WebMercatorQuad/7/41/65.png")
    other = served.get("/wmts/1.0.0/ramp/default/GoogleMapsCompatible/7/41/65.png")
    assert own.status_code == 200 and other.status_code == 200, other.text
    assert other.content == own.content


def test_control_an_unknown_matrix_set_is_still_refused_naming_the_served(
        served: Any) -> None:  # noqa: F811
    """Control: a set served nowhere (``EPSG:4326`` here) is refused as before."""
    r = served.get("/wmts", params={**_KVP, "TILEMATRIXSET": "EPSG:4326"})
    assert r.status_code in (400, 404)
    assert "WebMercatorQuad" in r.text


# -- a quantile given as a percentile: its ordinal ----------------------------------------

@pytest.mark.parametrize(("given", "needle"), [
    (1, "the 1st percentile is 0.01"), (2, "the 2nd percentile is 0.02"),
    (3, "the 3rd percentile is 0.03"), (22, "the 22nd percentile is 0.22"),
])
def test_a_threshold_quantile_given_as_a_percentile_names_its_ordinal(
        given: float, needle: str) -> None:
    """``threshold_quantile: 2`` said "the 2th percentile is 0.02" (round 38's imagery
    hand-over: the composites' ``config.stac.ordinal`` now writes it)."""
    from pydantic import ValidationError

    from prospect.config.model import LabelsConfig

    config = {"source": "wells", "value_column": "li", "threshold_quantile": given}
    with pytest.raises(ValidationError, match=needle):
        LabelsConfig.model_validate(config)


# -- Landsat ids whose day is no day of the calendar -----------------------------------------

@pytest.mark.parametrize("name", [
    "LC80900802021366LGN00_B4.TIF",  # day 366 of 2021 (a common year): was 2022-01-01
    "LC80900802021000LGN00_B4.TIF",  # day 000: was 2020-12-31
    "LC08_L2SP_199024_20210230_20210301_02_T1_SR_B4.TIF",  # 30 February: a ValueError
])
def test_a_landsat_id_of_a_day_not_in_the_calendar_is_no_id(name: str) -> None:
    """Round 39's imagery "found and left": a pre-Collection scene id's day of the year was
    added to 1 January without a check (366 of a common year read as the next year's 1
    January: a look put on another date of a time series), and a product id's impossible
    date stopped the job with "internal error: ValueError: day is out of range for
    month". Such a name is no Landsat id: the file is read by what else says its date."""
    from prospect.ingest.landsat import landsat_id

    assert landsat_id(name) is None


@pytest.mark.parametrize(("name", "day"), [
    ("LC80900802020366LGN00_B4.TIF", "2020-12-31"),  # a leap year's day 366
    ("LC80900802021061LGN00_B4.TIF", "2021-03-02"),
    ("LC08_L2SP_199024_20210228_20210301_02_T1_SR_B4.TIF", "2021-02-28"),
])
def test_control_a_landsat_id_of_a_calendar_day_keeps_its_date(name: str, day: str) -> None:
    """Control: ids of real days read as before."""
    from prospect.ingest.landsat import landsat_id

    found = landsat_id(name)
    assert found is not None and found.date.isoformat() == day


@pytest.mark.parametrize(("scale", "offset", "text"), [
    (2.75e-05, -0.2, "value = 2.75e-05 x DN - 0.2"),
    (0.00341802, 149.0, "value = 0.00341802 x DN + 149"),
    (0.0001, 0.0, "value = 0.0001 x DN"),
])
def test_a_calibration_is_written_with_its_offsets_sign(scale: float, offset: float,
                                                        text: str) -> None:
    """Messages wrote Collection 2's calibration "value = 2.75e-05 x DN + -0.2" (round 39's
    imagery "found and left"): one formula for every message, the sign as the operator."""
    from prospect.ingest.products import dn_formula

    assert dn_formula(scale, offset) == text


# -- GetLegendGraphic asked with GetMap's LAYERS= ------------------------------------------

_LEGEND = {"SERVICE": "WMS", "VERSION": "1.3.0", "REQUEST": "GetLegendGraphic",
           "FORMAT": "image/png"}


def test_a_legend_asked_with_layers_of_one_layer_is_that_layers_legend(
        served: Any) -> None:  # noqa: F811
    """``LAYERS=ramp`` (GetMap's parameter, as some legend helpers copy it) was refused as
    "missing LAYER" (round 39's delivery "found and left"); one layer named so is it."""
    own = served.get("/wms", params={**_LEGEND, "LAYER": "ramp"})
    assert own.status_code == 200 and own.content.startswith(PNG)
    other = served.get("/wms", params={**_LEGEND, "LAYERS": "ramp"})
    assert other.status_code == 200, other.text
    assert other.content == own.content


def test_a_legend_asked_with_layers_of_two_says_one_legend_per_layer(
        served: Any) -> None:  # noqa: F811
    """``LAYERS=ramp,private``: one legend is drawn per layer; said, naming LAYER=."""
    r = served.get("/wms", params={**_LEGEND, "LAYERS": "ramp,private"})
    assert r.status_code == 400
    assert "LAYERS names 2" in r.text and "LAYER=name" in r.text


# -- a CRS written as people write it ------------------------------------------------------

@pytest.mark.parametrize(("given", "meant"), [
    ("UTM zone 48N", "EPSG:32648"), ("UTM48N", "EPSG:32648"), ("utm 31 n", "EPSG:32631"),
    ("UTM zone 19S", "EPSG:32719"), ("EPSG32648", "EPSG:32648"),
    ("ESPG:28992", "EPSG:28992"), ("EPSG_28992", "EPSG:28992"),
])
def test_a_crs_named_without_its_code_is_told_the_code(given: str, meant: str) -> None:
    """Round 39's faults hand-over: ``crs: "UTM zone 48N"`` (Vietnam's zone as a survey
    report names it) was "unknown CRS ...; give an EPSG code such as 'EPSG:32619'", a zone
    29 zones away offered as the example, and ``EPSG32648``/``ESPG:32648`` got the same
    line. Each now says the code meant (the UTM zone's datum said: WGS 84's)."""
    from prospect.errors import CRSError
    from prospect.grid import parse_crs

    with pytest.raises(CRSError, match=rf"did you mean '{meant}'") as caught:
        parse_crs(given)
    assert "32619" not in str(caught.value)


def test_control_a_utm_zone_out_of_range_is_told_no_code() -> None:
    """Control: zone 61 is none; told the general line, no code meant."""
    from prospect.errors import CRSError
    from prospect.grid import parse_crs

    with pytest.raises(CRSError) as caught:
        parse_crs("UTM zone 61N")
    assert "did you mean" not in str(caught.value)


# -- the fold-aware rebuild merges the places ingest merged ---------------------------------

def test_the_fold_aware_kriging_merges_a_well_written_twice_as_ingest_did(
        tmp_path: Path) -> None:
    """Round 39's labels hand-over: ingest now kriges records within a metre of each other
    as one place (their mean); the fold-aware rebuild
    (:func:`prospect.models.foldaware.surface_of`) still merged only exact coordinates, so
    inside each fold it kriged the well written 3 cm apart (10 and 60) as two points: the
    step ingest no longer makes, and surfaces per fold that were not the cube's."""
    from prospect.models.foldaware import surface_of
    from tests.robustness.test_labels_round39 import _utm_surface

    layer, _ = _utm_surface(tmp_path, 0.03)
    src, grid = _round39_source(tmp_path)
    rebuilt = surface_of({"method": "ordinary kriging (pykrige)", "column": "li",
                          "variogram": "exponential"}, src, grid, name="w_li")
    assert len(rebuilt.z) == len(layer.model.Z) == 31
    assert np.any(np.isclose(rebuilt.z, 35.0))


def _round39_source(tmp_path: Path) -> tuple[Any, Any]:
    """The points source and grid of ``test_labels_round39._utm_surface`` (its table is
    ``u.csv`` in ``tmp_path``, written there by it)."""
    from prospect.config.sources import PointSource
    from prospect.grid import RegionGrid

    grid = RegionGrid(name="utm", crs="EPSG:32631", resolution=100,
                      bounds=(600000, 5750000, 610000, 5760000))
    src = PointSource(kind="points", name="w", path=str(tmp_path / "u.csv"), x="x", y="y",
                      crs="EPSG:32631", columns=["li"], interpolate=["kriging"],
                      variogram="exponential")
    return src, grid


# -- a file whose name starts with '~' -------------------------------------------------------

def test_a_source_file_named_with_a_leading_tilde_is_read(sandbox: Any, cli: Any) -> None:
    """Round 39's rasters hand-over: ``path: '~heat.tif'`` (a file so named beside the job:
    an export's copy, an editor's lock-file pattern) was refused as "the home folder of the
    user 'heat.tif', whom this machine does not know", though the file was there. A shell
    leaves ``~name`` of no user as written; so does the config now, where the file is."""
    import shutil

    shutil.copy(sandbox.root / "heat.tif", sandbox.root / "~heat.tif")
    sandbox.write_job(sources=[{"kind": "raster", "name": "heat", "path": "~heat.tif",
                                "units": "1"}])
    result = cli("plan", sandbox.job_path)
    assert result.code == 0, result.err[-2000:]
    assert "home folder" not in result.err


def test_control_a_tilde_path_of_no_user_and_no_file_is_still_refused(
        sandbox: Any, cli: Any) -> None:
    """Control: ``~nobodyhere/heat.tif`` with no such file: refused as before, naming the
    unknown user's home folder."""
    sandbox.write_job(sources=[{"kind": "raster", "name": "heat",
                                "path": "~nobodyhere/heat.tif", "units": "1"}])
    result = cli("plan", sandbox.job_path)
    assert result.code == 2, result.err[-2000:]
    assert "the home folder of the user 'nobodyhere'" in " ".join(result.err.split())


# -- a model's schema compared in a process that has not read a cube -------------------------

def test_schema_differences_in_a_fresh_process_reads_the_cubes_grid() -> None:
    """Round 40's rasters hand-over: :func:`prospect.registry.schema.schema_differences`
    read ``cube.rio`` without importing rioxarray, so in a process that had not imported
    it yet (a script of a researcher reusing a model, or ``test_models_round18.py`` run on
    its own) it was ``AttributeError: 'Dataset' object has no attribute 'rio'``."""
    import subprocess
    import sys

    code = ("import xarray as xr, numpy as np\n"
            "from prospect.registry.schema import schema_differences\n"
            "ds = xr.Dataset({'layer': xr.DataArray(np.ones((2, 2), 'f4'), dims=('y', 'x'),"
            " attrs={'units': 'm'})})\n"
            "print(schema_differences(ds, {'variables': [{'name': 'layer', 'units': 'm'}]}))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[]"
