"""Tile delivery, round 47: a served cube whose time axis holds times of day (several
scenes on one day, as a cube of another tool stacks them), picked by a serve layer's
``date:``, and ``TIME=current`` asked of a layer of one date.

The cubes are SYNTHETIC zarr v3 stores written here (``X`` stacked over times, 1, 9, 17,
... per time, dims ``(time, y, x)``). ``prospect serve --check`` runs through the real
CLI in this process, and a live ``prospect serve`` (uvicorn on loopback) is asked by
httpx. Each non-control case failed before the fix; all data here are SYNTHETIC.
"""

from __future__ import annotations

import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from tests.robustness.test_serving_round44 import DATES, _config, _cube
from tests.robustness.test_serving_round45 import _get_map
from tiles.testing import live_server

from .conftest import assert_clean_error

OGC = "{http://www.opengis.net/ogc}"
TIMES = ["2020-06-01T10:30:00", "2020-06-01T14:00:00", "2021-06-01T10:30:00"]


@pytest.fixture(scope="module")
def times(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("round47times")
    _cube(root / "cube.zarr", TIMES)
    return root


def test_a_day_of_several_times_is_refused_naming_its_times(times: Path, cli: Any) -> None:
    """``date: 2020-06-01`` on a cube of two scenes that day (10:30 and 14:00): the refusal
    listed "its dates: 2020-06-01, 2020-06-01, 2021-06-01" (the two alike) and told the
    user to "write the scenes of that day to one date in the job's timeseries.dates and
    rerun the job", though the cube came from no job. Now it names the day's times and
    says how to make a cube of one map per day."""
    config = _config(times, "  - {name: x, cube: cube.zarr, variable: X, "
                            "date: 2020-06-01, public: true}\n")
    line = assert_clean_error(cli("serve", config, "--check"), 1, "cube.zarr",
                              "variable 'X'", "2 maps dated 2020-06-01", "at 10:30, 14:00",
                              ".resample(time='1D')")
    assert "timeseries.dates" not in line, line


def test_a_missing_day_lists_each_day_of_the_cube_once(times: Path, cli: Any) -> None:
    """``date: 2019-06-01`` on that cube: its days were listed once per time
    ("2020-06-01, 2020-06-01, 2021-06-01"); now each day once."""
    config = _config(times, "  - {name: x, cube: cube.zarr, variable: X, "
                            "date: 2019-06-01, public: true}\n")
    line = assert_clean_error(cli("serve", config, "--check"), 1, "no map dated 2019-06-01",
                              "(its dates: 2020-06-01, 2021-06-01)")
    assert line.count("2020-06-01") == 1, line


def test_a_day_of_one_time_beside_a_day_of_several_is_served(times: Path, cli: Any) -> None:
    """``date: 2021-06-01``, the one scene of that day (at 10:30), on the same cube: the
    server was refused at start-up with the 2020-06-01 refusal above, a day this layer
    does not serve (its colour range sampled each of the variable's days). Now it is
    served, its range over the days that have one map, and the note says which was not."""
    config = _config(times, "  - {name: x, cube: cube.zarr, variable: X, "
                            "date: 2021-06-01, public: true}\n")
    result = cli("serve", config, "--check")
    text = " ".join((result.out + result.err).split())
    assert result.code == 0, text[-2000:]
    assert "Traceback" not in text
    assert "not 2020-06-01: several times of day" in text, text[-2000:]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Any:
    root = tmp_path_factory.mktemp("round47current")
    _cube(root / "cube.zarr", DATES)
    config = _config(root, "  - {name: x2021, cube: cube.zarr, variable: X, "
                           "date: 2021-06-01, public: true}\n")
    with live_server(config) as live, live.client() as client:
        yield client


@pytest.mark.parametrize("version", ["1.3.0", "1.1.1"])
def test_time_current_on_a_dates_layer_says_it_declares_no_current(
        served: Any, version: str) -> None:
    """``TIME=current`` (WMS annex C's keyword for the newest data) on layer x2021 was
    refused as "TIME='current' is not a date (ISO 8601: YYYY-MM-DD)", as if mistyped. The
    layer declares no ``current="1"`` (it is one date's map), so it stays
    ``InvalidDimensionValue``, now saying that and what to ask."""
    r = served.get("/wms", params=_get_map(version, TIME="current"))
    assert r.status_code == 400, (r.status_code, r.text[:300])
    exc = ET.fromstring(r.content).find(f"{OGC}ServiceException" if version == "1.3.0"
                                        else "ServiceException")
    assert exc is not None and exc.attrib["code"] == "InvalidDimensionValue", r.text
    text = exc.text or ""
    for needle in ("'x2021'", "TIME='current' asks for the newest map", "no current",
                   "ask TIME=2021-06-01"):
        assert needle in text, text
    assert "is not a date" not in text, text


def test_control_time_of_the_layers_day_is_still_its_map(served: Any) -> None:
    """Control: ``TIME=2021-06-01`` is x2021's map, without a warning."""
    r = served.get("/wms", params=_get_map("1.3.0", TIME="2021-06-01"))
    assert r.status_code == 200, r.text[:300]
    assert "warning" not in r.headers


# -- WMTS REST: a date's layer declares its time, and its tile URL takes it -----------------

WMTS = "{http://www.opengis.net/wmts/1.0}"
OWS = "{http://www.opengis.net/ows/1.1}"
SCHEMAS = (Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
           / "ogc_schemas_wmts_wms")


def _rest_layer(served: Any) -> tuple[bytes, Any]:
    r = served.get("/wmts/1.0.0/WMTSCapabilities.xml")
    assert r.status_code == 200, r.text[:300]
    for layer in ET.fromstring(r.content).iter(f"{WMTS}Layer"):
        if layer.findtext(f"{OWS}Identifier") == "x2021":
            return r.content, layer
    raise AssertionError(r.text[:2000])


def test_wmts_rest_capabilities_declare_a_dates_time_in_its_template(served: Any) -> None:
    """The REST capabilities (the document QGIS and GDAL are given) declared no
    ``Dimension`` for layer x2021 and its ``ResourceURL`` had no ``{Time}``: a time-aware
    client placed it at no date. Now the ``time`` dimension (2021-06-01 its one value and
    default) and a ``{Time}`` segment after ``{Style}``, schema-valid."""
    body, layer = _rest_layer(served)
    dim = layer.find(f"{WMTS}Dimension")
    assert dim is not None and dim.findtext(f"{OWS}Identifier") == "time", body[:2000]
    assert dim.findtext(f"{WMTS}Default") == "2021-06-01"
    templates = [u.attrib["template"] for u in layer.findall(f"{WMTS}ResourceURL")]
    assert templates and all("/x2021/{Style}/{Time}/{TileMatrixSet}/" in t
                             for t in templates), templates
    if SCHEMAS.is_dir():
        from lxml import etree

        parser = etree.XMLParser(no_network=True)
        xsd = etree.XMLSchema(etree.parse(
            str(SCHEMAS / "wmts/1.0/wmtsGetCapabilities_response.xsd"), parser))
        assert xsd.validate(etree.fromstring(body, parser)), xsd.error_log.last_error


@pytest.mark.parametrize("time", ["2021-06-01", "2021-06-01T10:30:00Z"])
def test_a_rest_tile_at_the_layers_time_is_its_map(served: Any, time: str) -> None:
    """The template filled in (``.../x2021/default/2021-06-01/WebMercatorQuad/0/0/0.png``)
    was a 404 ("no such WMTS resource"). Now it is the tile, the same as without a time."""
    r = served.get(f"/wmts/1.0.0/x2021/default/{time}/WebMercatorQuad/0/0/0.png")
    assert r.status_code == 200, r.text[:300]
    assert r.headers["content-type"] == "image/png" and "warning" not in r.headers
    plain = served.get("/wmts/1.0.0/x2021/default/WebMercatorQuad/0/0/0.png")
    assert plain.status_code == 200 and plain.content == r.content


def test_a_rest_tile_at_another_time_is_refused_naming_the_layers_date(served: Any) -> None:
    """``.../x2021/default/2020-06-01/...``: an OWS exception naming the layer's date and
    the ``Time`` segment (it was a 404 naming no time)."""
    r = served.get("/wmts/1.0.0/x2021/default/2020-06-01/WebMercatorQuad/0/0/0.png")
    assert r.status_code == 400, (r.status_code, r.text[:300])
    exc = ET.fromstring(r.content).find(f"{OWS}Exception")
    assert exc is not None and exc.attrib["exceptionCode"] == "InvalidParameterValue", r.text
    assert exc.attrib.get("locator") == "Time"
    text = exc.findtext(f"{OWS}ExceptionText") or ""
    for needle in ("'x2021'", "map of 2021-06-01", "Time='2020-06-01'", "ask Time=2021-06-01"):
        assert needle in text, text


@pytest.mark.skipif(shutil.which("gdal_translate") is None,
                    reason="needs GDAL (Debian package gdal-bin)")
def test_control_gdal_wmts_driver_reads_a_dates_rest_layer(served: Any,
                                                           tmp_path: Path) -> None:
    """Control: GDAL's WMTS driver reads the date's layer from the REST capabilities
    (filling ``{Time}`` with the dimension's default), the value 17 of 2021 drawn."""
    url = str(served.base_url).rstrip("/")
    out = tmp_path / "rest.tif"
    done = subprocess.run(
        ["gdal_translate", "-q", "-outsize", "32", "32",
         f"WMTS:{url}/wmts/1.0.0/WMTSCapabilities.xml,layer=x2021,"
         "tilematrixset=WebMercatorQuad", str(out)],
        capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    import rasterio

    with rasterio.open(out) as ds:
        assert ds.read(4).any()
