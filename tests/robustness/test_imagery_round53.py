"""Round 53: imagery.

1. A Landsat Level-1 item listing its MTL as a local asset by a percent-encoded href (a
   folder with a space, ``my%20scenes/..._MTL.txt``, as a STAC URI writes it) or a
   ``file://localhost/`` URL: the band assets were decoded, the MTL was not, so it was
   taken for none and the item refused "add the scene's MTL to the item as a local asset"
   beside the MTL it listed.
2. A local catalog whose item links are percent-encoded (``./my%20scene/item.json``):
   refused "an item or child of the catalog cannot be read: ... does not resolve to a
   STAC object" beside the file.
3. A composite's count layer (``b_count``, valid observations per cell) listed in a time
   series as a band of one date beside another date's reflectance: stacked, the change
   a number of scenes minus a reflectance, exit 0.
4. A time series' ``date: 2021-06`` (a month) or ``2021`` (a year): "no YYYY-MM-DD date;
   ... e.g. 2014-04-19", not saying that a month was read or which day stands for it.
5. A composite or a mosaic variable named by a band number (``b4``, ``b05``) or a
   family's word (``swir``) over two sensors' files of that number: a TM ``SR_B4``
   (near infrared) with an OLI ``SR_B4`` (red), an HLS S30 ``B05`` (red edge) with an
   L30 ``B05`` (near infrared): one median or mosaic of two bands, exit 0 (the time
   series refused the same since round 51).

SYNTHETIC one-band GeoTIFFs named as USGS and NASA name their files, a SYNTHETIC Level-1
MTL (round 16's template), SYNTHETIC STAC items and catalogs, SYNTHETIC cube variables
whose provenance is a composite's, read through the plain source's and the composite's
real planning and computing (round 42's helpers), ``stack_dates``, the config models and
in-process ``prospect plan``.
"""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np
import pytest
import xarray as xr
from pydantic import ValidationError

from prospect.config.sources import RasterSource
from prospect.config.timeseries import TimeSeriesConfig
from prospect.errors import DataError
from prospect.ingest.rasters import plan_raster
from prospect.provenance import provenance_attr
from prospect.timeseries import stack_dates
from tests.robustness.conftest import Sandbox, assert_clean_error, write_tiny_raster
from tests.robustness.test_imagery_round16 import L1_ID, L1_MTL
from tests.robustness.test_imagery_round42 import GRID, WINDOW, _composite, _file

SUN = 41.27393
"""The SYNTHETIC MTL's sun elevation (degrees)."""
SR = {"scale": 2.75e-5, "offset": -0.2}
"""Collection 2's surface reflectance pair, stated with no ``unit``."""
TM = "LT05_L2SP_198024_20100301_20200825_02_T1"
OLI = "LC08_L2SP_198024_20210303_20210310_02_T1"


def _feature(
    ident: str, day: str, assets: dict[str, dict[str, Any]], **props: Any
) -> dict[str, Any]:
    return {
        "type": "Feature",
        "stac_version": "1.0.0",
        "id": ident,
        "geometry": None,
        "properties": {"datetime": f"{day}T10:40:21Z", **props},
        "links": [],
        "assets": assets,
    }


# -- 1. a Level-1 item's MTL asset by a percent-encoded href ---------------------------------


def _level1_item(root: Path, how: str) -> dict[str, Any]:
    """A SYNTHETIC Landsat 8 Level-1 item in a folder with a space: its red band (DN
    20000) and its MTL, the MTL's href written ``how``."""
    folder = root / "my scenes"
    red = _file(folder / f"{L1_ID}_B4.TIF", 20000, "uint16", 0)
    mtl = folder / f"{L1_ID}_MTL.txt"
    mtl.write_text(L1_MTL.format(sun=SUN))
    href = {
        "plain": str(mtl),
        "encoded": quote(str(mtl)),
        "file-localhost": "file://localhost" + quote(str(mtl)),
    }[how]
    return _feature(
        L1_ID,
        "2020-05-18",
        {"red": {"href": quote(str(red)), "roles": ["data"]}, "mtl": {"href": href}},
        platform="landsat-8",
        **{"landsat:correction": "L1TP"},
    )


@pytest.mark.parametrize("how", ["encoded", "file-localhost"])
def test_a_level1_items_mtl_asset_by_an_encoded_href_calibrates(tmp_path: Path, how: str) -> None:
    """SYNTHETIC: the MTL asset of a Level-1 item in ``my scenes/`` written as a URI
    (``my%20scenes``, or ``file://localhost/...``): refused "add the scene's MTL to the
    item as a local asset" beside it; now its coefficients make TOA reflectance."""
    out = _composite(tmp_path, [_level1_item(tmp_path, how)], {"red": "red"})
    want = (2e-5 * 20000 - 0.1) / math.sin(math.radians(SUN))
    np.testing.assert_allclose(out["red"], want, rtol=1e-5)


def test_a_level1_items_mtl_asset_by_its_path_calibrates_as_before(tmp_path: Path) -> None:
    """control (SYNTHETIC): the MTL asset by its plain path: the same TOA reflectance."""
    out = _composite(tmp_path, [_level1_item(tmp_path, "plain")], {"red": "red"})
    want = (2e-5 * 20000 - 0.1) / math.sin(math.radians(SUN))
    np.testing.assert_allclose(out["red"], want, rtol=1e-5)


# -- 2. a catalog whose item links are percent-encoded ---------------------------------------


def _catalog(root: Path, encoded: bool) -> Path:
    """A SYNTHETIC catalog of two Sentinel-2 items, each in a folder with a space."""
    links = []
    for day, value in (("2021-03-01", 3000), ("2021-03-17", 3400)):
        folder = root / f"scene {day}"
        stamp = day.replace("-", "")
        _file(folder / f"T31UFT_{stamp}T104021_B04_10m.tif", value, "uint16", 0)
        item = _feature(
            f"S2A_MSIL2A_{stamp}T104021_N0509_R008_T31UFT_{stamp}T150000",
            day,
            {
                "B04": {
                    "href": f"./T31UFT_{stamp}T104021_B04_10m.tif",
                    "roles": ["data"],
                    "raster:bands": [{"scale": 1e-4, "offset": -0.1, "nodata": 0}],
                }
            },
            platform="sentinel-2a",
            **{"s2:processing_baseline": "05.09"},
        )
        (folder / "item.json").write_text(json.dumps(item))
        name = f"scene {day}"
        links.append({"rel": "item", "href": f"./{quote(name) if encoded else name}/item.json"})
    catalog = root / "catalog.json"
    catalog.write_text(
        json.dumps(
            {
                "type": "Catalog",
                "stac_version": "1.0.0",
                "id": "mine",
                "description": "SYNTHETIC",
                "links": links,
            }
        )
    )
    return catalog


@pytest.mark.parametrize("encoded", [True, False], ids=["encoded", "as-written"])
def test_a_catalog_of_encoded_item_links_composites(tmp_path: Path, encoded: bool) -> None:
    """SYNTHETIC: a catalog linking its items as ``./scene%202021-03-01/item.json``:
    refused "an item or child of the catalog cannot be read ... does not resolve to a
    STAC object"; now its two items make the median (0.22), as links written with the
    space do (control)."""
    from prospect.ingest.composite import plan_composite

    catalog = _catalog(tmp_path, encoded)
    src = RasterSource.model_validate(
        {
            "name": "s",
            "stac": str(catalog),
            "assets": {"red": "B04"},
            "composite": {"method": "median"},
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        layers = {
            layer.name: np.asarray(layer.compute(GRID, WINDOW))
            for layer in plan_composite(src, GRID)
        }
    np.testing.assert_allclose(layers["red"], 0.22, rtol=1e-5)
    np.testing.assert_array_equal(layers["s_count"], 2.0)


# -- 3. a composite's count layer stacked as a band ------------------------------------------


def _var(value: float, prov: dict[str, Any]) -> xr.DataArray:
    return xr.DataArray(
        np.full((4, 4), value, np.float32),
        dims=("y", "x"),
        attrs={"units": "1", "prospect_kind": "continuous", "provenance": provenance_attr(prov)},
    )


def _median(source: str, days: list[str], band: str) -> dict[str, Any]:
    """A SYNTHETIC median composite's provenance, as ``plan_composite`` records it."""
    items = [
        f"S2A_MSIL2A_{d.replace('-', '')}T104021_N0509_R008_T31UFT_{d.replace('-', '')}T150000"
        for d in days
    ]
    prov: dict[str, Any] = {
        "band": band,
        "composite": "median",
        "dates": days,
        "items": items,
        "source": source,
    }
    if band != "count":
        prov["quantity"] = "surface_reflectance"
        prov["scenes"] = [
            {"file": f"/d/my_red_{d}.tif", "item": i} for d, i in zip(days, items, strict=True)
        ]
    return prov


def _cube() -> xr.Dataset:
    return xr.Dataset(
        {
            "red21": _var(0.2, _median("a", ["2021-03-01", "2021-03-17"], "red21")),
            "a_count": _var(2.0, _median("a", ["2021-03-01", "2021-03-17"], "count")),
            "red23": _var(0.25, _median("b", ["2023-03-01", "2023-03-17"], "red23")),
            "b_count": _var(2.0, _median("b", ["2023-03-01", "2023-03-17"], "count")),
        }
    )


@pytest.mark.parametrize(
    ("first", "second"), [("red21", "b_count"), ("a_count", "red23")], ids=["second", "first"]
)
def test_a_composites_count_stacked_as_a_band_is_refused(first: str, second: str) -> None:
    """SYNTHETIC: ``{red: red21}`` of 2021 beside ``{red: b_count}`` of 2023 (the count of
    composite ``b``, 2.0): stacked, the change 1.8 "of red", exit 0; now refused naming
    the count, its source and the band's variable to give."""
    cfg = TimeSeriesConfig.model_validate(
        {
            "dates": [
                {"date": "2021-03-01", "bands": {"red": first}},
                {"date": "2023-03-01", "bands": {"red": second}},
            ]
        }
    )
    with pytest.raises(DataError) as err:
        stack_dates(_cube(), cfg)
    message = str(err.value)
    count = first if first.endswith("_count") else second
    assert "\n" not in message, message
    assert message.startswith("timeseries: band 'red' stacks "), message
    assert f"{count!r}, the valid observations per cell of composite source '{count[0]}'" in message
    assert "a change between them is no change of the ground" in message, message


def test_counts_or_bands_of_every_date_stack_as_before() -> None:
    """control (SYNTHETIC): the counts of both dates as a band of their own, and the red
    of both dates, stack as before."""
    cfg = TimeSeriesConfig.model_validate(
        {
            "dates": [
                {"date": "2021-03-01", "bands": {"red": "red21", "obs": "a_count"}},
                {"date": "2023-03-01", "bands": {"red": "red23", "obs": "b_count"}},
            ]
        }
    )
    out = stack_dates(_cube(), cfg)
    np.testing.assert_allclose(out["red"].values[:, 0, 0], [0.2, 0.25])
    np.testing.assert_allclose(out["obs"].values[:, 0, 0], [2.0, 2.0])


# -- 4. a month or a year given as a time series' date ---------------------------------------


@pytest.mark.parametrize(
    ("date", "needle"),
    [
        ("2021-06", "'2021-06' is no date but a month"),
        ("'2021'", "'2021' is no date but a year"),
        ("2021", "2021 is no date but a year (a number would be read as seconds since 1970)"),
    ],
    ids=["month", "quoted-year", "year"],
)
def test_a_month_or_year_as_a_date_names_the_day_to_give(
    sandbox: Sandbox, cli: Any, date: str, needle: str
) -> None:
    """SYNTHETIC job: ``date: 2021-06`` refused "no YYYY-MM-DD date; ... e.g. 2014-04-19"
    (a day of no composite's); now exit 2, one line saying a month (year) was read and
    the day to give."""
    write_tiny_raster(sandbox.root / "a.tif")
    write_tiny_raster(sandbox.root / "b.tif")
    day = "2021-06-01" if "06" in date else "2021-01-01"
    sandbox.write_job(
        sources=[
            {"kind": "raster", "name": "a", "path": "a.tif"},
            {"kind": "raster", "name": "b", "path": "b.tif"},
        ]
    )
    text = sandbox.job_path.read_text() + (
        f"timeseries:\n  dates:\n  - {{date: {date}, bands: {{red: a}}}}\n"
        "  - {date: 2022-06-01, bands: {red: b}}\n"
    )
    sandbox.job_path.write_text(text)
    before = sandbox.snapshot()
    result = cli("plan", sandbox.job_path)
    line = assert_clean_error(result, 2, "timeseries.dates.0.date", needle, f"e.g. {day}")
    assert "2014-04-19" not in line, line
    assert sandbox.snapshot() == before


def test_a_day_or_another_form_is_read_or_refused_as_before() -> None:
    """control (SYNTHETIC): a day is read; ``2021-6-1`` and ``20210601`` are refused as
    before."""
    cfg = TimeSeriesConfig.model_validate(
        {
            "dates": [
                {"date": "2021-06-01", "bands": {"red": "a"}},
                {"date": "2022-06-01", "bands": {"red": "b"}},
            ]
        }
    )
    assert str(cfg.dates[0].date) == "2021-06-01"
    for date, said in (
        ("2021-6-1", "'2021-6-1' is no YYYY-MM-DD date"),
        (20210601, "20210601 is no date"),
    ):
        with pytest.raises(ValidationError) as err:
            TimeSeriesConfig.model_validate(
                {
                    "dates": [
                        {"date": date, "bands": {"red": "a"}},
                        {"date": "2022-06-01", "bands": {"red": "b"}},
                    ]
                }
            )
        assert said in str(err.value), str(err.value)


# -- 5. a band number of two sensors in one composite or mosaic ------------------------------


def _hls(root: Path) -> list[dict[str, Any]]:
    """SYNTHETIC HLS items: an S30 ``B05`` (red edge, 0.1) and an L30 ``B05`` (NIR, 0.3)."""
    items = []
    for kind, day, doy, value in (
        ("S30", "2022-03-01", "060", 1000),
        ("L30", "2022-03-03", "062", 3000),
    ):
        gid = f"HLS.{kind}.T31UFT.2022{doy}T104021.v2.0"
        path = _file(root / f"{gid}.B05.tif", value, "int16", -9999)
        items.append(_feature(gid, day, {"B05": {"href": str(path), "roles": ["data"]}}))
    return items


def _landsat(root: Path, second: str = "SR_B4") -> list[dict[str, Any]]:
    """SYNTHETIC Collection 2 items: a TM ``SR_B4`` (NIR) and an OLI ``second``."""
    items = []
    for ident, day, band, value in (
        (TM, "2010-03-01", "SR_B4", 20000),
        (OLI, "2021-03-03", second, 30000),
    ):
        path = _file(root / f"{ident}_{band}.TIF", value, "uint16", 0)
        items.append(
            _feature(
                ident,
                day,
                {"B": {"href": str(path), "roles": ["data"], "raster:bands": [dict(SR)]}},
            )
        )
    return items


def _refused(call: Any, var: str, how: str, *needles: str) -> None:
    with pytest.raises(DataError) as err:
        call()
    message = str(err.value)
    assert "\n" not in message, message
    assert f"variable {var!r} {how} " in message, message
    assert "two bands in one variable, which is of neither" in message, message
    for needle in needles:
        assert needle in message, message


@pytest.mark.parametrize(
    ("case", "var"),
    [("hls", "b05"), ("landsat", "b4"), ("landsat-swir", "swir")],
    ids=["hls-b05", "tm-oli-b4", "swir-1-and-2"],
)
def test_a_band_number_of_two_sensors_in_one_composite_is_refused(
    tmp_path: Path, case: str, var: str
) -> None:
    """SYNTHETIC: ``b05`` of an HLS S30 and an L30 item (red edge 0.1, NIR 0.3: median
    0.2), ``b4`` of a TM and an OLI ``SR_B4`` (NIR and red), ``swir`` of TM band 5 and OLI
    band 7: one median of two bands, exit 0; now refused naming both files' bands."""
    if case == "hls":
        items, key, extra = _hls(tmp_path), "B05", {"scale": 1e-4}
        needles = ("B05 of HLS S30 (rededge", "B05 of HLS L30 (OLI numbering) (nir/nir08")
    elif case == "landsat":
        items, key, extra = _landsat(tmp_path), "B", {}
        needles = ("band 4 of Landsat 5 (nir/nir08", "band 4 of Landsat 8 (red")
    else:
        items, key, extra = _landsat(tmp_path, "SR_B7"), "B", {}
        items[0]["assets"]["B"]["href"] = str(
            _file(tmp_path / f"{TM}_SR_B5.TIF", 20000, "uint16", 0)
        )
        needles = ("'swir' names a family of bands, not one",)
    _refused(lambda: _composite(tmp_path, items, {var: key}, **extra), var, "composites", *needles)


def test_a_band_number_of_two_sensors_in_one_mosaic_is_refused(tmp_path: Path) -> None:
    """SYNTHETIC: ``scenes:`` of a TM and an OLI ``SR_B4`` under ``b4``: TM's NIR with
    OLI's red filling its gaps, exit 0; now refused."""
    a = _file(tmp_path / f"{TM}_SR_B4.TIF", 20000, "uint16", 0)
    b = _file(tmp_path / f"{OLI}_SR_B4.TIF", 30000, "uint16", 0)
    scenes = [{"bands": {"b4": str(a)}}, {"bands": {"b4": str(b)}}]
    src = RasterSource.model_validate({"name": "x", "scenes": scenes, **SR})
    _refused(lambda: plan_raster(src, GRID), "b4", "mosaics", "band 4 of Landsat 8 (red")


def test_one_band_of_two_sensors_composites_as_before(tmp_path: Path) -> None:
    """control (SYNTHETIC): TM band 4 and OLI band 5 (both NIR) under ``b4``, and two OLI
    ``SR_B4`` under ``b4``: one median each, as before."""
    items = _landsat(tmp_path, "SR_B5")
    out = _composite(tmp_path, items, {"b4": "B"})
    np.testing.assert_allclose(out["b4"], (2.75e-5 * 25000 - 0.2), rtol=1e-5)
    oli = []
    for ident, value in ((OLI, 20000), (OLI.replace("20210303", "20210319"), 30000)):
        path = _file(tmp_path / "oli" / f"{ident}_SR_B4.TIF", value, "uint16", 0)
        day = f"2021-03-{ident[23:25]}"
        oli.append(
            _feature(
                ident,
                day,
                {"B": {"href": str(path), "roles": ["data"], "raster:bands": [dict(SR)]}},
            )
        )
    out = _composite(tmp_path / "oli", oli, {"b4": "B"})
    np.testing.assert_allclose(out["b4"], (2.75e-5 * 25000 - 0.2), rtol=1e-5)


# -- 6. a STAC search window of one period, or of another separator --------------------------


def _window(value: Any) -> str:
    from prospect.config.stac import StacSearch

    return StacSearch.model_validate(
        {"url": "https://stac.example", "collections": ["sentinel-2-l2a"], "datetime": value}
    ).datetime


@pytest.mark.parametrize(
    ("value", "needle"),
    [
        (
            "2021-06",
            "'2021-06' is one month, not an interval; give the search window as 'START/END', "
            "e.g. '2021-06-01/2021-06-30' for that month",
        ),
        (
            2021,
            "2021 (YAML read a number) is one year, not an interval; give the search window as "
            "'START/END', e.g. '2021-01-01/2021-12-31' for that year",
        ),
        ("2020-02", "e.g. '2020-02-01/2020-02-29' for that month"),
        (
            "2021-06-01..2021-06-30",
            "'2021-06-01..2021-06-30' joins its two ends with another separator "
            "than '/'; write the interval as 'START/END', e.g. '2021-06-01/2021-06-30'",
        ),
        ("2021-06-01 to 2021-06-30", "e.g. '2021-06-01/2021-06-30'"),
    ],
    ids=["month", "year-number", "leap-month", "dots", "to"],
)
def test_a_search_window_of_one_period_names_its_interval(value: Any, needle: str) -> None:
    """SYNTHETIC config: ``datetime: 2021-06`` (a month, which pystac-client reads) was
    told "give an interval 'START/END' ..., e.g. '2024-02-01/2024-09-30'", ``datetime:
    2021`` "Input should be a valid string", and ``2021-06-01..2021-06-30`` the first;
    now each is told what was read and the interval to write."""
    with pytest.raises(ValidationError) as err:
        _window(value)
    message = str(err.value)
    assert needle in message, message
    assert "valid string" not in message and "2024-02-01" not in message, message


def test_a_search_window_with_spaces_round_its_slash_loads() -> None:
    """SYNTHETIC config: ``2021-06-01 / 2021-06-30`` was refused "'2021-06-01 ' is no date
    the STAC search reads"; now its ends are read without the spaces."""
    assert _window("2021-06-01 / 2021-06-30") == "2021-06-01/2021-06-30"


def test_a_search_window_as_written_loads_as_before() -> None:
    """control (SYNTHETIC config): ``2021-06-01/2021-06-30`` and ``2021-06/2021-07`` load
    as written; a form of no date is refused as before."""
    assert _window("2021-06-01/2021-06-30") == "2021-06-01/2021-06-30"
    assert _window("2021-06/2021-07") == "2021-06/2021-07"
    with pytest.raises(ValidationError) as err:
        _window("20240201/20240930")
    assert "'20240201' is no date the STAC search reads" in str(err.value)


def test_cli_a_search_window_of_one_year_is_one_error_line(sandbox: Sandbox, cli: Any) -> None:
    """SYNTHETIC job: ``stac_search.datetime: 2021`` (a number in YAML): exit 2 with
    "Input should be a valid string"; now exit 2, one line naming the year's interval,
    before any request, nothing written beside the job."""
    search = {"url": "https://stac.example", "collections": ["sentinel-2-l2a"], "datetime": 2021}
    sandbox.write_job(
        sources=[
            {
                "kind": "raster",
                "name": "s2",
                "stac_search": search,
                "assets": {"red": "red"},
                "composite": {"method": "median"},
            }
        ]
    )
    before = sandbox.snapshot()
    result = cli("plan", sandbox.job_path)
    assert_clean_error(
        result,
        2,
        "stac_search.datetime",
        "2021 (YAML read a number) is one year",
        "'2021-01-01/2021-12-31'",
    )
    assert sandbox.snapshot() == before


# -- 7. an offset in DNs given where it is added to values -----------------------------------


@pytest.mark.parametrize("how", ["item", "source"])
def test_an_offset_in_dns_under_a_reflectance_scale_is_refused(tmp_path: Path, how: str) -> None:
    """SYNTHETIC: ``scale: 0.0001, offset: -1000`` (Sentinel-2's BOA_ADD_OFFSET as its XML
    writes it, in DNs) over a ``red.tif`` of DN 3000, stated by an item of the user's own
    id or by the source: read -999.7, exit 0; now refused with the offset to give."""
    path = _file(tmp_path / "red.tif", 3000, "uint16", 0)
    pair = {"scale": 1e-4, "offset": -1000}
    if how == "item":
        item = _feature(
            "mine",
            "2021-03-01",
            {"B04": {"href": str(path), "roles": ["data"], "raster:bands": [pair]}},
        )
        call, fix = (
            (lambda: _composite(tmp_path, [item], {"red": "B04"})),
            "state its offset as -0.1",
        )
    else:
        src = RasterSource.model_validate({"name": "x", "bands": {"red": str(path)}, **pair})
        call, fix = (lambda: plan_raster(src, GRID)), "give -0.1"
    with pytest.raises(DataError) as err:
        call()
    message = str(err.value)
    assert "\n" not in message, message
    assert "reads red.tif as value = 0.0001 x DN - 1000" in message, message
    assert "the offset -1000 is in DNs" in message, message
    assert fix in message, message


def test_value_offsets_and_other_units_read_as_before(tmp_path: Path) -> None:
    """control (SYNTHETIC): ``offset: -0.1`` at 0.0001 reads 0.2; a temperature pair
    (``scale: 0.001, offset: 200, units: K``) reads 203 K."""
    path = _file(tmp_path / "red.tif", 3000, "uint16", 0)
    for extra, want in (
        ({"scale": 1e-4, "offset": -0.1}, 0.2),
        ({"scale": 1e-3, "offset": 200, "units": "K"}, 203.0),
    ):
        src = RasterSource.model_validate({"name": "x", "bands": {"red": str(path)}, **extra})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            (layer,) = plan_raster(src, GRID)
            np.testing.assert_allclose(np.asarray(layer.compute(GRID, WINDOW)), want, rtol=1e-5)


# -- 8. an asset of several bands --------------------------------------------------------------


def _four_band_item(root: Path, listed: bool = True) -> dict[str, Any]:
    """A SYNTHETIC item of one 4-band asset (blue 0.1, green 0.2, red 0.3, NIR 0.4)."""
    import rasterio
    from rasterio.transform import from_origin

    from tests.robustness.test_imagery_round42 import ORIGIN

    path = root / "scene.tif"
    profile = {"driver": "GTiff", "width": 20, "height": 20, "count": 4, "dtype": "uint16"}
    with rasterio.open(
        path, "w", **profile, crs="EPSG:32631", nodata=0, transform=from_origin(*ORIGIN, 30.0, 30.0)
    ) as dst:
        for band, value in enumerate((1000, 2000, 3000, 4000), 1):
            dst.write(np.full((20, 20), value, "uint16"), band)
    names = ["blue", "green", "red", "nir"] if listed else ["red"]
    asset = {
        "href": str(path),
        "roles": ["data"],
        "eo:bands": [{"name": f"B{n}", "common_name": c} for n, c in enumerate(names, 1)],
        "raster:bands": [{"scale": 1e-4}] * len(names),
    }
    return _feature("mine", "2021-03-01", {"image": asset})


@pytest.mark.parametrize("var", ["b4", "img", "red"])
def test_an_asset_of_several_bands_is_refused(tmp_path: Path, var: str) -> None:
    """SYNTHETIC: ``{b4: image}`` of an asset listing blue, green, red and NIR read its
    first band (blue, 0.1), exit 0; ``{red: image}`` was told "the asset holds band B1
    (blue) ... bands in the wrong order"; now each is refused naming the asset's bands."""
    with pytest.raises(DataError) as err:
        _composite(tmp_path, [_four_band_item(tmp_path)], {var: "image"})
    message = str(err.value)
    assert "\n" not in message, message
    assert f"asset 'image' {var!r}, but the asset lists 4 bands (blue, green, red, nir)" in message
    assert "read the file in a plain source with 'path:' and 'band_names:'" in message


def test_an_asset_of_one_listed_band_composites_as_before(tmp_path: Path) -> None:
    """control (SYNTHETIC): the asset listing one band (``red``) over a file of that band
    (DN 3000) reads it as before (0.3). Over the 4-band file it read the file's band 1
    (0.1, blue), the item's list taken for the file's: refused since round 55
    (``test_imagery_round55.py``)."""
    item = _four_band_item(tmp_path, listed=False)
    _file(tmp_path / "scene.tif", 3000, "uint16", 0)  # the asset's file: one band
    out = _composite(tmp_path, [item], {"red": "image"})
    np.testing.assert_allclose(out["red"], 0.3, rtol=1e-5)
