"""Round 33: imagery.

1. A Sentinel-2 item (or a ``.SAFE`` folder) stating a processing baseline older than
   04.00 but acquired on or after 2022-01-25, when every product ESA made carries the
   -1000 DN offset: read without the offset (reflectance 0.1 high), exit 0. Refused now.

SYNTHETIC 20 x 20 uint16 band files written into ``tmp_path`` with rasterio and listed in
item collections as a user's catalogue holds them, read through the plain sources' real
planning (``plan_raster``) and a composite's (``plan_composite``).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from prospect.config.sources import RasterSource
from prospect.errors import DataError
from tests.robustness.test_imagery_round31 import GRID, ORIGIN, WINDOW, N  # SYNTHETIC grid


def _write(path: Path, value: int = 3000, width: int = N, x0: float = ORIGIN[0]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=width,
        height=N,
        count=1,
        dtype="uint16",
        crs="EPSG:32631",
        nodata=0,
        transform=from_origin(x0, ORIGIN[1], 30.0, 30.0),
    ) as dst:
        dst.write(np.full((1, N, width), value, np.uint16))
    return path


def _item(item_id: str, href: Path, day: str, props: dict[str, Any], **asset: Any) -> dict:
    return {
        "type": "Feature",
        "stac_version": "1.1.0",
        "id": item_id,
        "geometry": None,
        "properties": {"datetime": day, **props},
        "assets": {"B04": {"href": str(href), "roles": ["data"], **asset}},
        "links": [],
    }


def _collection(root: Path, items: list[dict]) -> Path:
    coll = root / "items.json"
    coll.write_text(json.dumps({"type": "FeatureCollection", "features": items}))
    return coll


def _plan(spec: dict[str, Any]) -> dict[str, np.ndarray]:
    """Every layer of the source ``spec`` over the SYNTHETIC grid, computed."""
    from prospect.ingest.composite import plan_composite
    from prospect.ingest.rasters import plan_raster

    src = RasterSource.model_validate(spec)
    plan = plan_composite if src.composite is not None else plan_raster
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {layer.name: layer.compute(GRID, WINDOW) for layer in plan(src, GRID)}


def _stac(coll: Path, **extra: Any) -> dict[str, Any]:
    return {"name": "s2", "stac": str(coll), "assets": {"red": "B04"}, "scale": 0.0001, **extra}


# -- 1. a baseline before 04.00 stated for an acquisition of 2022-01-25 on --------------------

ESA_ID = "S2A_MSIL2A_{}T100031_N{}_R122_T31UFT_{}T120000"
S2A = {"platform": "sentinel-2a"}


def _s2(day: str, baseline: str, field: str) -> tuple[str, dict[str, Any]]:
    """An item id and properties stating ``baseline`` (``0300``) in ``field``."""
    ymd = day.replace("-", "")
    dotted = f"{baseline[:2]}.{baseline[2:]}"
    if field == "id":
        return ESA_ID.format(ymd, baseline, ymd), S2A
    return "mine", {**S2A, field: dotted}


@pytest.mark.parametrize(
    "field", ["s2:processing_baseline", "processing:version", "id"], ids=["s2", "version", "id"]
)
def test_a_baseline_before_04_00_of_an_acquisition_after_it_is_refused(
    tmp_path: Path, field: str
) -> None:
    """A 2024 item stating baseline 03.00 read DN x 1e-4 without the -1000 offset every
    product of that date carries: 0.3 for 0.2, exit 0."""
    item_id, props = _s2("2024-06-13", "0300", field)
    band = _write(tmp_path / "B04.tif")
    coll = _collection(tmp_path, [_item(item_id, band, "2024-06-13T10:00:31Z", props)])
    with pytest.raises(
        DataError, match=r"acquired 2024-06-13, states processing baseline 03\.00 .*correct"
    ):
        _plan(_stac(coll))


@pytest.mark.parametrize("offset", [0.0, -0.1], ids=["offset-0", "offset-0.1"])
def test_the_contradiction_is_refused_whatever_offset_the_item_states(
    tmp_path: Path, offset: float
) -> None:
    """The same item stating ``raster:bands`` offset 0 read 0.3 (the date says 0.2); in a
    composite as well."""
    band = _write(tmp_path / "B04.tif")
    raster = {"scale": 0.0001, "offset": offset, "nodata": 0, "data_type": "uint16"}
    props = {**S2A, "s2:processing_baseline": "03.00"}
    item = _item("mine", band, "2024-06-13T10:00:31Z", props, **{"raster:bands": [raster]})
    coll = _collection(tmp_path, [item])
    with pytest.raises(DataError, match=r"acquired 2024-06-13, states processing baseline 03"):
        _plan({**_stac(coll), "composite": {"method": "median"}})


@pytest.mark.parametrize(
    ("day", "baseline", "value"),
    [("2021-12-30", "0300", 0.3), ("2022-01-25", "0400", 0.2), ("2019-03-01", "0500", 0.2)],
    ids=["03.00-in-2021", "04.00-from-its-start", "05.00-reprocessed-2019"],
)
def test_baselines_that_fit_their_date_read_as_before(
    tmp_path: Path, day: str, baseline: str, value: float
) -> None:
    """Control: 03.00 before 2022-01-25 (no offset), 04.00 on its first day and a
    reprocessed 05.00 product of 2019 (the offset)."""
    band = _write(tmp_path / "B04.tif")
    props = {**S2A, "s2:processing_baseline": f"{baseline[:2]}.{baseline[2:]}"}
    coll = _collection(tmp_path, [_item("mine", band, f"{day}T10:00:31Z", props)])
    np.testing.assert_allclose(_plan(_stac(coll))["red"], value, rtol=1e-5)


SAFE = "S2A_MSIL2A_{d}T100031_N{b}_R122_T31UFT_{d}T120000.SAFE/GRANULE/L2A_T31UFT/IMG_DATA/R10m"


@pytest.mark.parametrize(
    ("day", "baseline", "value"),
    [("20240613", "0300", None), ("20240613", "0510", 0.2), ("20211230", "0300", 0.3)],
    ids=["N0300-2024", "N0510-2024", "N0300-2021"],
)
def test_a_safe_folder_of_a_baseline_its_date_contradicts_is_refused(
    tmp_path: Path, day: str, baseline: str, value: float | None
) -> None:
    """A band file ``T31UFT_20240613T100031_B04_10m`` in a ``..._N0300_....SAFE`` folder
    read without the offset (0.3 for 0.2), exit 0; controls: N0510 of 2024 and N0300 of
    2021 read as before."""
    folder = tmp_path / SAFE.format(d=day, b=baseline)
    band = _write(folder / f"T31UFT_{day}T100031_B04_10m.tif")
    spec = {"name": "s2", "bands": {"red": str(band)}, "scale": 0.0001}
    if value is None:
        with pytest.raises(DataError, match=r"N0300\).*acquired 2024-06-13.*04\.00 or later"):
            _plan(spec)
    else:
        np.testing.assert_allclose(_plan(spec)["red"], value, rtol=1e-5)


# -- 2. one pass, some items stating a platform and some not (two catalogues merged) ---------

PLAIN = {"scale": 0.0001, "offset": 0, "nodata": 0, "data_type": "uint16"}


def _three(root: Path, first: tuple[str, dict], second: tuple[str, dict]) -> dict:
    """A median composite of two overlapping tiles of 2021-03-01 (DN 1000, columns 0-13 and
    6-19), items ``first`` and ``second`` (id, properties), and a look of 2021-03-11 over
    the whole region (DN 3000): one pass is one look, so the overlap's median is 0.2."""
    items = []
    for n, (item_id, props) in enumerate([first, second]):
        band = _write(root / f"t{n}" / "B04.tif", 1000, 14, ORIGIN[0] + 180.0 * n)
        items.append(
            _item(item_id, band, "2021-03-01T10:40:21Z", props, **{"raster:bands": [PLAIN]})
        )
    band = _write(root / "t2" / "B04.tif", 3000)
    items.append(
        _item(
            "S2A_31UFT_20210311_0_L2A",
            band,
            "2021-03-11T10:40:21Z",
            {**S2A, "sat:relative_orbit": 122},
            **{"raster:bands": [PLAIN]},
        )
    )
    spec = {
        "name": "s2",
        "stac": str(_collection(root, items)),
        "assets": {"red": "B04"},
        "composite": {"method": "median"},
    }
    return _plan(spec)


ES = {**S2A, "sat:relative_orbit": 122}
"""Earth Search's item properties of S2A's relative orbit 122."""


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (
            ("S2A_31UFT_20210301_0_L2A", ES),
            ("S2A_MSIL2A_20210301T104021_N0500_R122_T31UGT_20230101T000000", {}),
        ),
        (
            (
                "S2A_31UFT_20210301_0_L2A",
                {**ES, "s2:datatake_id": "GS2A_20210301T104021_029713_N05.00"},
            ),
            ("T31UGT_20210301T104021_B04_10m", {}),
        ),
        (
            ("S2A_MSIL2A_20210301T104021_N0500_R122_T31UFT_20230101T000000", ES),
            ("S2A_31UGT_20210301_0_L2A", {}),
        ),
        (
            ("scene-a", {"platform": "LANDSAT_8", "landsat:wrs_path": "198"}),
            ("LC81980242021060LGN00", {}),  # a scene id: 1e-4 DNs are no C2 L2's
        ),
        (
            ("S2A_31UFT_20210301_0_L2A", {"platform": "Sentinel2A"}),
            ("S2A_31UGT_20210301_0_L2A", {"platform": "sentinel-2a", "sat:relative_orbit": 122}),
        ),
    ],
    ids=[
        "orbit-of-the-esa-id",
        "datatake",
        "satellite-of-the-id",
        "landsat-path",
        "platform-spelt-two-ways",
    ],
)
def test_one_pass_stated_two_ways_is_one_look(
    tmp_path: Path, first: tuple[str, dict], second: tuple[str, dict]
) -> None:
    """The item with a platform was keyed by its platform and orbit, the one without by
    its product name: where they overlap ``s2_count`` was 3 for 2 and the median that
    pass's 0.1 for 0.2, exit 0."""
    out = _three(tmp_path, first, second)
    assert (out["s2_count"] == 2).all(), out["s2_count"][0]
    np.testing.assert_allclose(out["red"], 0.2, rtol=1e-5)


@pytest.mark.parametrize(
    "second",
    [
        ("S2B_MSIL2A_20210301T104021_N0500_R122_T31UGT_20230101T000000", {}),
        ("S2A_MSIL2A_20210301T104021_N0500_R123_T31UGT_20230101T000000", {}),
        ("T31UGT_20210301T093031_B04_10m", {}),
    ],
    ids=["other-satellite", "other-orbit", "other-datatake"],
)
def test_two_passes_stated_two_ways_stay_two_looks(tmp_path: Path, second: tuple) -> None:
    """Control: S2B beside S2A, orbit 123 beside 122, another datatake time: three looks
    where they overlap (median 0.1)."""
    first = (
        "S2A_31UFT_20210301_0_L2A",
        {**ES, "s2:datatake_id": "GS2A_20210301T104021_029713_N05.00"},
    )
    out = _three(tmp_path, first, second)
    assert (out["s2_count"][:, 6:14] == 3).all(), out["s2_count"][0]
    np.testing.assert_allclose(out["red"][:, 6:14], 0.1, rtol=1e-5)


# -- 3. one scene listed under two ids ----------------------------------------------------------


@pytest.mark.parametrize("spelling", ["relative", "symlink", "dotdot"])
def test_one_scene_listed_under_two_ids_is_one_look(tmp_path: Path, spelling: str) -> None:
    """A user's catalogue listing one scene's file as ``scene-1`` and again as
    ``wageningen`` (by a relative href, a symbolic link or a path through ``..``), beside
    a scene of another day: ``s2_count`` 3 for 2 and the median the twice-listed 0.1 for
    0.2, exit 0."""
    band = _write(tmp_path / "a" / "B04.tif", 1000)
    other = {
        "relative": Path("a/B04.tif"),
        "dotdot": tmp_path / "a" / ".." / "a" / "B04.tif",
        "symlink": tmp_path / "link.tif",
    }[spelling]
    if spelling == "symlink":
        other.symlink_to(band)
    items = [
        _item("scene-1", band, "2021-03-01T10:40:21Z", {}, **{"raster:bands": [PLAIN]}),
        _item("wageningen", other, "2021-03-01T10:40:21Z", {}, **{"raster:bands": [PLAIN]}),
        _item(
            "scene-2",
            _write(tmp_path / "b" / "B04.tif", 3000),
            "2021-03-11T10:40:21Z",
            {},
            **{"raster:bands": [PLAIN]},
        ),
    ]
    spec = {
        "name": "s2",
        "stac": str(_collection(tmp_path, items)),
        "assets": {"red": "B04"},
        "composite": {"method": "median"},
    }
    out = _plan(spec)
    assert (out["s2_count"] == 2).all(), out["s2_count"][0]
    np.testing.assert_allclose(out["red"], 0.2, rtol=1e-5)


# -- 4. python-fmask's Landsat output of codes alone, without water, read as CFmask -------------


def _mask_source(root: Path, codes: np.ndarray, nodata: int | None) -> dict[str, Any]:
    red = _write(root / "red.tif", 1000)
    path = root / "fmask.tif"
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=N,
        height=N,
        count=1,
        dtype="uint8",
        crs="EPSG:32631",
        nodata=nodata,
        transform=from_origin(ORIGIN[0], ORIGIN[1], 30.0, 30.0),
    ) as dst:
        dst.write(codes[None])
    return {
        "name": "l8",
        "bands": {"red": str(red), "qa": str(path)},
        "scale": 0.0001,
        "cloud_mask": {"kind": "cfmask", "asset": "qa", "drop": ["cloud"]},
    }


def _fmask_codes(cloud: int) -> np.ndarray:
    """Clear land but for a cloud (rows 0-4, ``cloud``) and a shadow (rows 5-6, code 3)."""
    codes = np.ones((N, N), np.uint8) * (0 if cloud == 4 else 1)
    codes[:5] = cloud
    codes[5:7] = 3 if cloud == 2 else 2
    return codes


def test_python_fmask_codes_without_water_are_refused_as_cfmask(tmp_path: Path) -> None:
    """python-fmask's output (0 null, 1 clear, 2 cloud, 3 shadow, 4 snow, 5 water) of a
    region without water, codes alone and nodata 0 as it writes them: read as CFmask its
    cloud (2) was CFmask's shadow, kept by ``drop: [cloud]`` as values, exit 0."""
    with pytest.raises(DataError, match=r"fmask\.tif: not a cfmask .*nodata is 0.*python-fmask"):
        _plan(_mask_source(tmp_path, _fmask_codes(2), 0))


@pytest.mark.parametrize(
    ("nodata", "water"), [(255, 0), (None, 0), (0, 12)], ids=["espa-255", "no-nodata", "coast"]
)
def test_cfmask_layers_read_as_before(tmp_path: Path, nodata: int | None, water: int) -> None:
    """Control: CFmask codes (0 clear, 4 cloud, 2 shadow) of nodata 255 (ESPA's) or none,
    and a CFmask warped with ``-dstnodata 0`` of a coast (water, 1, on rows 8-19, clear
    land between the cloud and the sea): the cloud dropped, the rest kept."""
    codes = _fmask_codes(4)
    codes[N - water :] = 1
    red = _plan(_mask_source(tmp_path, codes, nodata))["red"]
    assert np.isnan(red[:5]).all() and np.allclose(red[5:], 0.1)


# -- 5. one scene under two dates of a time series (hand-over: prospect/timeseries.py) --------


def _dated(name: str, file: str) -> Any:
    import xarray as xr

    from prospect.provenance import provenance_attr

    record = {"quantity": "surface_reflectance", "scenes": [{"file": file, "band": 1}]}
    return xr.DataArray(
        np.full((4, 4), 0.2, np.float32),
        dims=("y", "x"),
        name=name,
        attrs={"units": "1", "prospect_kind": "continuous", "provenance": provenance_attr(record)},
    )


def test_one_scene_under_two_dates_of_a_time_series_is_refused() -> None:
    """Two cube variables ingested from one file (``red.tif``, a copy-paste of a source)
    listed under 2020-05-01 and 2021-05-01: stacked without a word, ``red_change`` 0
    everywhere, exit 0."""
    import xarray as xr

    from prospect.config.timeseries import TimeSeriesConfig
    from prospect.timeseries import stack_dates

    cube = xr.Dataset({n: _dated(n, "/data/scene/red.tif") for n in ("red_a", "red_b")})
    cfg = TimeSeriesConfig.model_validate(
        {
            "dates": [
                {"date": "2020-05-01", "bands": {"red": "red_a"}},
                {"date": "2021-05-01", "bands": {"red": "red_b"}},
            ],
            "difference": ["red"],
        }
    )
    with pytest.raises(DataError, match=r"red\.tif"):
        stack_dates(cube, cfg)
