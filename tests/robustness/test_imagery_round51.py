"""Round 51: imagery.

1. Composites listed in a time series under a date of another year: a median of March
   2021 listed under 2015-06-01 and one of March 2023 under 2024-06-01 were stacked in
   order, the time axis and the change's name dated 2015 and 2024, exit 0 (the one-date
   check names a scene of one day, the order check composites swapped between two dates).
2. A time-series band named by number (``b4``) or by a family (``swir``) stacked from
   files of two bands: a TM ``sr_band4`` (near infrared) and an OLI ``sr_band4`` (red),
   Sentinel-2's ``B08`` and ``B04``, TM's SWIR 1 and OLI's SWIR 2: the change was one
   band minus another, exit 0 (only a band named by a word, ``nir``, was checked against
   its files, and ``swir`` fits either SWIR band).
3. A composite's asset variable named as its own count layer (``assets: {s2_count: B04}``
   in source ``s2``): refused at ingest as "two sources make the same variable(s)" of a
   job of one source (round 50 left it).
4. A STAC search's ``eo:cloud_cover`` (or another percentage property) bounded by a
   share of one (``lt: 0.2`` for 20 %) kept only the scenes under 0.2 % cloud, and
   ``lt: 0`` or ``gt: 100`` matched no item at all, said as "widen the dates".
5. A STAC search's property no item states (``eo:cloudcover``, ``cloud_cover``): an API
   that does not apply CQL2 ``filter`` answered every item, each kept as "not stating
   it", and scenes of 80 and 95 % cloud made the composite, exit 0.
6. One date of a time series naming one variable for two bands (``{red: tm_red, nir:
   tm_red}``): stacked as both, its NDVI 0 and the NDVI change a false one, exit 0.

SYNTHETIC 20 x 20 GeoTIFFs named as ESA names its files, SYNTHETIC STAC items and
SYNTHETIC cube variables whose provenance names real product ids, read through
``stack_dates``, the config models and in-process ``prospect ingest``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xarray as xr
from pydantic import ValidationError

from prospect.config.sources import RasterSource
from prospect.config.stac import StacSearch
from prospect.config.timeseries import TimeSeriesConfig
from prospect.errors import ConfigError, DataError
from prospect.provenance import provenance_attr
from prospect.timeseries import stack_dates
from tests.robustness.conftest import TINY_REGION, Sandbox, assert_clean_error
from tests.robustness.test_imagery_round36 import _ids, apis  # noqa: F401  (the fixture)
from tests.robustness.test_imagery_round42 import _file

S2_BAND = {"scale": 1e-4, "offset": -0.1, "nodata": 0, "data_type": "uint16"}
"""A Sentinel-2 L2A band's ``raster:bands`` (baseline 04.00 on)."""
S2_PROPS = {"platform": "sentinel-2a", "s2:processing_baseline": "05.10"}
L5_ID = "LT51980241990098KIS00"
L8_ID = "LC81970242014109LGN00"


def _var(prov: dict[str, Any]) -> xr.DataArray:
    """A SYNTHETIC 4 x 4 surface reflectance variable of provenance ``prov``."""
    return xr.DataArray(
        np.full((4, 4), 0.2, np.float32),
        dims=("y", "x"),
        attrs={
            "units": "1",
            "prospect_kind": "continuous",
            "provenance": provenance_attr({"quantity": "surface_reflectance", **prov}),
        },
    )


def _stack(band: str, dated: list[tuple[str, str, dict[str, Any]]]) -> xr.Dataset:
    """``stack_dates`` of one band over ``(date, variable, provenance)`` entries."""
    cube = xr.Dataset({name: _var(prov) for _, name, prov in dated})
    cfg = TimeSeriesConfig.model_validate(
        {"dates": [{"date": day, "bands": {band: name}} for day, name, _ in dated]}
    )
    return stack_dates(cube, cfg)


def _composite_prov(days: list[str]) -> dict[str, Any]:
    """A composite's provenance: its items' dates and ids, files named by no product."""
    return {
        "composite": "median",
        "dates": days,
        "items": [f"my-scene-{d}" for d in days],
        "scenes": [{"file": f"/d/red_{d}.tif", "item": f"my-scene-{d}"} for d in days],
    }


# -- 1. composites listed under a date of another year ---------------------------------------


@pytest.mark.parametrize(
    ("dated", "needle"),
    [
        (
            [
                ("2015-06-01", "red21", _composite_prov(["2021-03-01", "2021-03-17"])),
                ("2024-06-01", "red23", _composite_prov(["2023-03-01", "2023-03-17"])),
            ],
            "'red21' is listed under 2015-06-01, but its scenes were acquired from "
            "2021-03-01 to 2021-03-17, in 2021, not 2015",
        ),
        (
            [
                ("2021-06-01", "red21", _composite_prov(["2021-03-01", "2021-03-17"])),
                ("2025-06-01", "red23", _composite_prov(["2023-03-01", "2023-03-17"])),
            ],
            "'red23' is listed under 2025-06-01, but its scenes were acquired from "
            "2023-03-01 to 2023-03-17, in 2023, not 2025",
        ),
        (
            [
                ("2010-07-01", "a", {"scenes": [{"file": "/d/a.tif", "date": "2019-07-01"}]}),
                ("2021-07-01", "b", {"scenes": [{"file": "/d/b.tif", "date": "2021-07-01"}]}),
            ],
            "'a' is listed under 2010-07-01, but its scenes were acquired on 2019-07-01, "
            "in 2019, not 2010",
        ),
    ],
    ids=["both-off", "second-off", "mosaic-scene-date"],
)
def test_a_composite_listed_under_another_year_is_refused(
    dated: list[tuple[str, str, dict[str, Any]]], needle: str
) -> None:
    """SYNTHETIC: per-date variables whose recorded acquisitions (a composite's items, a
    mosaic's configured scene date) lie in no year of the date they are listed under were
    stacked in order, the time axis and change dated by the config, exit 0; now refused,
    naming the variable, its span and a date to give."""
    with pytest.raises(DataError) as err:
        _stack("red", dated)
    message = str(err.value)
    assert "\n" not in message, message
    assert message.startswith("timeseries: "), message
    assert needle in message, message
    assert "give each date the variables of its own scenes" in message, message


def test_composites_listed_under_a_day_of_their_years_stack_as_before() -> None:
    """control (SYNTHETIC): composites dated by a day of their scenes' years (2021-01-01
    for March 2021, 2023-12-31 for March 2023), a composite of 30 and 31 December listed
    under the next 1 January (a datatake begun before midnight), and variables recording
    no date stack as before."""
    out = _stack(
        "red",
        [
            ("2021-01-01", "red21", _composite_prov(["2021-03-01", "2021-03-17"])),
            ("2023-12-31", "red23", _composite_prov(["2023-03-01", "2023-03-17"])),
        ],
    )
    assert out["red"].sizes["time"] == 2
    assert [str(t)[:10] for t in out["time"].values] == ["2021-01-01", "2023-12-31"]
    out = _stack(
        "red",
        [
            ("2022-01-01", "a", _composite_prov(["2021-12-30", "2021-12-31"])),
            ("2023-01-01", "b", {"scenes": [{"file": "/d/b.tif"}]}),
        ],
    )
    assert out["red"].sizes["time"] == 2


def _two_composites(root: Path) -> None:
    """SYNTHETIC items of two Sentinel-2 medians (March 2021, March 2023) on the tiny grid."""
    west, _south, _east, north = TINY_REGION["bounds"]
    grid = {"crs": TINY_REGION["crs"], "origin": (west, north), "res": 20.0}
    ramp = np.arange(400).reshape(20, 20) % 7
    for tag, year, base in (("y21", 2021, 3000), ("y23", 2023, 4000)):
        items = []
        for i, day in enumerate((f"{year}-03-01", f"{year}-03-17")):
            stamp = day.replace("-", "")
            path = _file(root / tag / f"T19PEP_{stamp}T104021_B04_10m.tif", ramp + base + i, **grid)
            ident = f"S2A_MSIL2A_{stamp}T104021_N0509_R008_T19PEP_{stamp}T150000"
            items.append(
                {
                    "type": "Feature",
                    "stac_version": "1.1.0",
                    "id": ident,
                    "geometry": None,
                    "properties": {"datetime": f"{day}T10:40:21Z", **S2_PROPS},
                    "assets": {
                        "B04": {
                            "href": str(path),
                            "roles": ["data"],
                            "raster:bands": [dict(S2_BAND)],
                        }
                    },
                    "links": [],
                }
            )
        (root / f"{tag}.json").write_text(
            json.dumps({"type": "FeatureCollection", "features": items})
        )


def test_cli_composites_listed_under_other_years_is_one_error_line(
    sandbox: Sandbox, cli: Any, scheduler: str
) -> None:
    """SYNTHETIC job: ``prospect ingest`` of two Sentinel-2 medians (March 2021 and March
    2023) stacked under 2015-06-01 and 2024-06-01: ingested, the time axis 2015 and 2024,
    exit 0; now exit 1, one ``error:`` line, nothing written beside the job."""
    _two_composites(sandbox.root)
    sources = [
        {
            "kind": "raster",
            "name": "a",
            "stac": "y21.json",
            "assets": {"red21": "B04"},
            "composite": {"method": "median"},
        },
        {
            "kind": "raster",
            "name": "b",
            "stac": "y23.json",
            "assets": {"red23": "B04"},
            "composite": {"method": "median"},
        },
    ]
    series = {
        "dates": [
            {"date": "2015-06-01", "bands": {"red": "red21"}},
            {"date": "2024-06-01", "bands": {"red": "red23"}},
        ]
    }
    sandbox.write_job(sources=sources, timeseries=series)
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert_clean_error(
        result,
        1,
        "'red21' is listed under 2015-06-01",
        "acquired from 2021-03-01 to 2021-03-17, in 2021, not 2015",
    )
    assert sandbox.untouched()


# -- 2. a time-series band named by number, of two bands' files ------------------------------


@pytest.mark.parametrize(
    ("band", "first", "second", "needles"),
    [
        (
            "b4",
            ("tm_b4", f"/d/{L5_ID}_sr_band4.tif"),
            ("oli_b4", f"/d/{L8_ID}_sr_band4.tif"),
            (
                "band 4 of Landsat 5, which is nir",
                "band 4 of Landsat 8, which is red",
                "band 4 is red on Landsat 8/9, NIR on Landsat 4-7",
            ),
        ),
        (
            "band_08",
            ("s2_b08", "/d/T31UFT_20200419T104021_B08_10m.tif"),
            ("s2_b04", "/d/T31UFT_20210419T104021_B04_10m.tif"),
            ("B08 of Sentinel-2, which is nir", "B04 of Sentinel-2, which is red"),
        ),
        (
            "sr_b5",
            ("tm_b5", "/d/LT05_L2SP_198024_19900408_20200916_02_T1_SR_B5.TIF"),
            ("oli_b5", f"/d/{L8_ID}_sr_band5.tif"),
            ("band 5 of Landsat 5, which is", "band 5 of Landsat 8, which is nir"),
        ),
        (
            "swir",
            ("tm_swir", f"/d/{L5_ID}_sr_band5.tif"),
            ("oli_swir", f"/d/{L8_ID}_sr_band7.tif"),
            (
                "band 5 of Landsat 5, which is swir/swir1/swir16",
                "band 7 of Landsat 8, which is swir/swir2/swir22",
                "'swir' names a family",
            ),
        ),
    ],
    ids=["tm-oli-b4", "s2-b08-b04", "tm-oli-b5", "swir-1-and-2"],
)
def test_a_band_named_by_number_or_family_of_two_bands_files_is_refused(
    band: str, first: tuple[str, str], second: tuple[str, str], needles: tuple[str, ...]
) -> None:
    """SYNTHETIC: a time-series band named by no band word (``b4``) or by a family's
    (``swir``) stacked variables whose files' product names hold two bands (TM band 4,
    NIR, beside OLI band 4, red; TM's SWIR 1 beside OLI's SWIR 2), its change one band
    minus another, exit 0; now refused naming both files' bands."""
    with pytest.raises(DataError) as err:
        _stack(
            band,
            [
                (
                    "1990-04-08" if first[0].startswith("tm") else "2020-04-19",
                    first[0],
                    {"scenes": [{"file": first[1], "band": 1}]},
                ),
                (
                    "2014-04-19" if second[0].startswith("oli") else "2021-04-19",
                    second[0],
                    {"scenes": [{"file": second[1], "band": 1}]},
                ),
            ],
        )
    message = str(err.value)
    assert "\n" not in message, message
    assert f"timeseries: band {band!r} stacks {first[0]!r}" in message, message
    for needle in needles:
        assert needle in message, message
    assert "name the band by its own word" in message, message


def test_a_band_named_by_number_or_family_of_one_bands_files_stacks_as_before() -> None:
    """control (SYNTHETIC): ``b4`` of TM band 4 and OLI band 5 (both near infrared), and of
    files whose names state no band, ``swir`` of both sensors' band 7 and ``thermal`` of
    TM band 6 and OLI band 10, stack as before."""
    for band, first, second in (
        ("swir", f"/d/{L5_ID}_sr_band7.tif", f"/d/{L8_ID}_sr_band7.tif"),
        ("thermal", f"/d/{L5_ID}_sr_band6.tif", f"/d/{L8_ID}_sr_band10.tif"),
    ):
        out = _stack(
            band,
            [
                ("1990-04-08", "tm", {"scenes": [{"file": first}]}),
                ("2014-04-19", "oli", {"scenes": [{"file": second}]}),
            ],
        )
        assert out[band].sizes["time"] == 2
    out = _stack(
        "b4",
        [
            ("1990-04-08", "tm_b4", {"scenes": [{"file": f"/d/{L5_ID}_sr_band4.tif"}]}),
            ("2014-04-19", "oli_b5", {"scenes": [{"file": f"/d/{L8_ID}_sr_band5.tif"}]}),
        ],
    )
    assert out["b4"].sizes["time"] == 2
    out = _stack(
        "b4",
        [
            ("1990-04-08", "tm", {"scenes": [{"file": "/d/b4_1990.tif"}]}),
            ("2014-04-19", "oli", {"scenes": [{"file": f"/d/{L8_ID}_sr_band4.tif"}]}),
        ],
    )
    assert out["b4"].sizes["time"] == 2


# -- 3. a composite's asset named as its own count layer -------------------------------------


def _source(**extra: Any) -> RasterSource:
    return RasterSource.model_validate({"name": "s2", "stac": "items.json", **extra})


@pytest.mark.parametrize("variable", ["s2_count", "S2_Count"], ids=["same", "case"])
def test_an_asset_named_as_the_composites_count_is_refused(variable: str) -> None:
    """SYNTHETIC: ``assets: {s2_count: B04}`` in composite source ``s2`` was refused at
    ingest as "two sources make the same variable(s) ['s2_count']" of a job of one source;
    now refused at load, naming the count layer."""
    with pytest.raises(ValidationError) as err:
        _source(assets={variable: "B04"}, composite={"method": "median"})
    message = str(err.value)
    assert (
        f"the variable {variable!r} (asset 'B04') is named as the composite's count "
        "layer 's2_count'" in message
    ), message
    assert "give the asset's variable another name (e.g. 'B04')" in message, message


def test_assets_beside_the_count_and_a_mosaics_load_as_before() -> None:
    """control (SYNTHETIC): a composite's ``red`` and ``ls_count`` (another source's name),
    and ``s2_count`` of a mosaic (no composite, no count layer), load as before."""
    src = _source(assets={"red": "B04", "ls_count": "B08"}, composite={"method": "median"})
    assert src.assets == {"red": "B04", "ls_count": "B08"}
    assert _source(assets={"s2_count": "B04"}).assets == {"s2_count": "B04"}


def test_cli_an_asset_named_as_the_count_is_one_error_line(sandbox: Sandbox, cli: Any) -> None:
    """SYNTHETIC job: ``prospect ingest`` of composite source ``s2`` whose asset variable
    is ``s2_count``: "two sources make the same variable(s)", exit 1; now exit 2 at load,
    one ``error:`` line naming the source's key, nothing written beside the job."""
    sandbox.write_job(
        sources=[
            {
                "kind": "raster",
                "name": "s2",
                "stac": "items.json",
                "assets": {"s2_count": "B04"},
                "composite": {"method": "median"},
            }
        ]
    )
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out)
    line = assert_clean_error(result, 2, "sources.0.raster", "count layer 's2_count'")
    assert "two sources" not in line, line
    assert sandbox.untouched()


# -- 4. a percentage property bounded by a share of one, or by none a percentage reaches ----


def _search(props: dict[str, Any]) -> StacSearch:
    return StacSearch.model_validate(
        {
            "url": "https://stac.example.org/v1",
            "collections": ["sentinel-2-l2a"],
            "datetime": "2021-03-01/2021-06-30",
            "properties": props,
        }
    )


@pytest.mark.parametrize(
    ("props", "needle"),
    [
        ({"eo:cloud_cover": {"lt": 0.2}}, "eo:cloud_cover lt: 0.2 is 0.2 % (under one percent)"),
        (
            {"s2:high_proba_clouds_percentage": {"lte": 0.5}},
            "s2:high_proba_clouds_percentage lte: 0.5 is 0.5 %",
        ),
        ({"eo:cloud_cover": {"lt": 0}}, "eo:cloud_cover lt: 0 matches no item of a known cover"),
        (
            {"landsat:cloud_cover_land": {"gt": 100}},
            "landsat:cloud_cover_land gt: 100 matches no item of a known cover",
        ),
    ],
    ids=["share-lt", "s2-share-lte", "lt-0", "gt-100"],
)
def test_a_percentage_bounded_by_a_share_or_beyond_is_refused(
    props: dict[str, Any], needle: str
) -> None:
    """SYNTHETIC: ``eo:cloud_cover: {lt: 0.2}`` (20 % as a share) searched scenes under
    0.2 % cloud, and ``lt: 0`` or ``gt: 100`` none at all ("widen the dates"); now refused
    at load, with the bound to write."""
    with pytest.raises(ValidationError) as err:
        _search(props)
    message = str(err.value)
    assert needle in message, message
    assert "is a percentage" in message and "0..100" in message, message
    if "0.2 %" in needle:
        assert "write lt: 20 for 20 %" in message, message


def test_percentage_bounds_within_0_to_100_load_as_before() -> None:
    """control (SYNTHETIC): ``lt: 20``, ``lte: 0``, ``eq: 0``, ``lt: 1``, ``gte: 100``,
    ``neq: 150`` and ``view:off_nadir: {lt: 0.5}`` (degrees) load as before."""
    for props in (
        {"eo:cloud_cover": {"lt": 20}},
        {"eo:cloud_cover": {"lte": 0}},
        {"eo:cloud_cover": {"eq": 0}},
        {"eo:cloud_cover": {"lt": 1}},
        {"eo:cloud_cover": {"gte": 100}},
        {"eo:cloud_cover": {"neq": 150}},
        {"view:off_nadir": {"lt": 0.5}},
    ):
        assert _search(props).properties, props


def test_cli_a_cloud_cover_share_is_one_error_line(sandbox: Sandbox, cli: Any) -> None:
    """SYNTHETIC job: ``prospect ingest`` of a STAC search kept ``eo:cloud_cover < 0.2``
    (searched, offline "found no items"); now exit 2 at load, one ``error:`` line."""
    search = {
        "url": "https://stac.example.org/v1",
        "collections": ["sentinel-2-l2a"],
        "datetime": "2021-03-01/2021-06-30",
        "properties": {"eo:cloud_cover": {"lt": 0.2}},
    }
    sandbox.write_job(
        sources=[
            {
                "kind": "raster",
                "name": "s2",
                "stac_search": search,
                "assets": {"red": "B04"},
                "composite": {"method": "median"},
            }
        ]
    )
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out)
    assert_clean_error(result, 2, "eo:cloud_cover lt: 0.2 is 0.2 %", "write lt: 20")
    assert sandbox.untouched()


# -- 5. a search property no item states ------------------------------------------------------


@pytest.mark.parametrize(
    ("prop", "near"),
    [("eo:cloudcover", "eo:cloud_cover"), ("cloud_cover", "eo:cloud_cover")],
    ids=["eo-cloudcover", "no-prefix"],
)
def test_a_search_property_no_item_states_is_refused(
    apis: dict[str, str],  # noqa: F811
    tmp_path: Path,
    prop: str,
    near: str,
) -> None:
    """SYNTHETIC API (round 36's, answering every item whatever the ``filter``): a
    misspelt ``eo:cloudcover: {lt: 30}`` (or ``cloud_cover``) kept all five items, those of
    80 and 95 % cloud too, as "not stating it", exit 0; now refused naming the property
    and the one the items state, nothing saved."""
    with pytest.raises(ConfigError) as err:
        _ids(apis["unfiltered"], tmp_path, properties={prop: {"lt": 30}})
    message = str(err.value)
    assert "\n" not in message, message
    assert f"stac_search.properties {prop!r}: none of the 5 item(s)" in message, message
    assert f"did you mean {near!r}?" in message, message
    assert not (tmp_path / "s2.json").exists()


def test_a_search_property_the_items_state_filters_as_before(
    apis: dict[str, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    """control (SYNTHETIC): ``eo:cloud_cover: {lt: 30}`` on either API keeps the three
    clear items, as before."""
    for api in ("unfiltered", "paged"):
        ids, _ = _ids(apis[api], tmp_path / api, properties={"eo:cloud_cover": {"lt": 30}})
        assert ids == ["S2_0", "S2_2", "S2_4"], (api, ids)


# -- 6. one date naming one variable for two bands ------------------------------------------


def _series(first: dict[str, str]) -> TimeSeriesConfig:
    return TimeSeriesConfig.model_validate(
        {
            "dates": [
                {"date": "1990-04-08", "bands": first},
                {"date": "2014-04-19", "bands": {"red": "oli_red", "nir": "oli_nir"}},
            ],
            "difference": ["NDVI"],
        }
    )


def test_one_date_naming_one_variable_for_two_bands_is_refused() -> None:
    """SYNTHETIC: ``{red: tm_red, nir: tm_red}`` (a line copied, one name left) stacked
    TM red as both bands of 1990: its NDVI 0 everywhere and the NDVI change the 2014 NDVI
    itself, exit 0; now refused at load naming the date, the variable and both bands."""
    with pytest.raises(ValidationError) as err:
        _series({"red": "tm_red", "nir": "tm_red"})
    message = str(err.value)
    assert "1990-04-08 names cube variable 'tm_red' for bands 'nir' and 'red'" in message
    assert "give each band its variable" in message, message


def test_each_band_of_a_date_its_own_variable_loads_as_before() -> None:
    """control (SYNTHETIC): each band of each date its own variable loads as before."""
    cfg = _series({"red": "tm_red", "nir": "tm_nir"})
    assert [d.bands["nir"] for d in cfg.dates] == ["tm_nir", "oli_nir"]


def test_cli_one_date_naming_one_variable_for_two_bands_is_one_error_line(
    sandbox: Sandbox, cli: Any
) -> None:
    """SYNTHETIC job: ``prospect ingest`` with ``{red: heat, nir: heat}`` for one date:
    now exit 2 at load, one ``error:`` line, nothing written beside the job."""
    series = {
        "dates": [
            {"date": "1990-04-08", "bands": {"red": "heat", "nir": "heat"}},
            {"date": "2014-04-19", "bands": {"red": "cold", "nir": "warm"}},
        ]
    }
    sandbox.write_job(timeseries=series)
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out)
    assert_clean_error(result, 2, "names cube variable 'heat' for bands 'nir' and 'red'")
    assert sandbox.untouched()
