"""Round 30: imagery.

1. python-fmask's Sentinel-2 output as codes alone (no class names, no colour table) over
   a mostly cloudy region (its clear land, 1, under half of the sample) was still read as
   SCL: its clouds (2) SCL's dark area, kept as values; its clear land (1) SCL's
   "saturated or defective", dropped. SYNTHETIC 20 x 20 files written into ``tmp_path``
   with rasterio, read through the plain (``bands:``) source's real planning and chunk
   reads.
2. A band file whose name states a unitless product quantity (an ASTER AST_07XT, ESPA
   ``sr_band*`` or Collection 2 ``SR_B*`` reflectance) given ``units:`` of a physical
   quantity (an ASTER Level-1T band's radiance beside it in one source, ``K``) was read
   as that quantity, its ``scale:`` (the Level-1T band's coefficient) applied to it; and
   the product's own scale given with other ``units:`` (``%``, ``degC``) labelled the
   product's values in those units unconverted.
3. ASTER AST_09 / AST_09XT (VNIR/SWIR surface radiance) granules, whose DNs are scaled by
   a factor of each band's own that their HDF metadata states, went in as DNs labelled
   reflectance; so did a Sentinel-2 true colour image (``TCI``, ESA's 8-bit preview of
   B04, B03 and B02) read as ``red``, ``green`` and ``blue``.
4. HLS granules in a time series: their names' dates (year and day of the year) were not
   read, so an HLS scene listed under another date stacked without a word (a Landsat,
   Sentinel-2 or ASTER file so listed was refused) and the change ran the wrong way.
5. A plain source's scene ``date:`` that contradicts its files' own acquisition (a
   Landsat product id, an HLS, ASTER or Sentinel-2 name) was taken: under ``mosaic:
   most_recent`` the older scene won every cell. The check
   (``products.scene_date_conflict``) is here; its call from the mosaic's ordering
   (``ingest/rasters._order``, not a module of this area) is handed over, so the
   end-to-end case is ``xfail(strict=True)`` until it is made.
6. A ``stac_search`` that found more items than its ``max_items`` (100 by default) kept
   the first ``max_items`` the API answered without a word: the composite was of part
   of the window. A real HTTP STAC API (a small one on loopback, ``http.server``)
   answers 5 items; ``max_items: 3``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from prospect.config.sources import RasterSource
from prospect.errors import ConfigError, DataError
from prospect.grid import ChunkWindow, RegionGrid
from prospect.ingest.rasters import plan_raster

ORIGIN = (680000.0, 5770000.0)
N = 20
GRID = RegionGrid(
    crs="EPSG:32631",
    resolution=30.0,
    bounds=(ORIGIN[0], ORIGIN[1] - 30.0 * N, ORIGIN[0] + 30.0 * N, ORIGIN[1]),
    chunks=(N, N),
    name="cut",
)
WINDOW = ChunkWindow(0, 0, slice(0, N), slice(0, N))


def _write(path: Path, values: np.ndarray, nodata: float | None, **tags: str) -> Path:
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=values.shape[1],
        height=values.shape[0],
        count=1,
        dtype=values.dtype.name,
        crs="EPSG:32631",
        nodata=nodata,
        transform=from_origin(*ORIGIN, 30.0, 30.0),
    ) as dst:
        dst.write(values[None])
        if tags:
            dst.update_tags(**tags)
    return path


def _red(root: Path) -> Path:
    values = (1000 + np.arange(N * N, dtype=np.uint16).reshape(N, N) % 500).astype(np.uint16)
    return _write(root / "red.tif", values, 0)


def _plain(root: Path, mask: Path, kind: str = "scl") -> np.ndarray:
    src = RasterSource.model_validate(
        {
            "name": "s2",
            "bands": {"red": str(_red(root)), "scl": str(mask)},
            "scale": 0.0001,
            "cloud_mask": {"kind": kind, "asset": "scl"},
        }
    )
    return plan_raster(src, GRID)[0].compute(GRID, WINDOW)


# -- 1. python-fmask's Sentinel-2 codes alone over a mostly cloudy region ------------------


def _cloudy_fmask() -> np.ndarray:
    """python-fmask's codes over a mostly cloudy region: 60 % cloud (2), 10 % cloud
    shadow (3), 30 % clear land (1), the last column null (0)."""
    codes = np.full((N, N), 2, np.uint8)
    codes[12:14, :] = 3
    codes[14:, :] = 1
    codes[:, -1] = 0
    return codes


def test_python_fmask_codes_alone_over_clouds_are_refused_as_scl(tmp_path: Path) -> None:
    """python-fmask's output of codes alone, mostly cloud (2) with 30 % clear land
    (1): read as SCL its clouds were dark area, kept as values, and its land dropped,
    exit 0. Classes 1-3 holding most of a sample without a code above 5, with class 1 on
    a share no SCL's defective pixels hold, are python-fmask's."""
    mask = _write(tmp_path / "fmask_cloudy.tif", _cloudy_fmask(), 0)
    with pytest.raises(DataError) as err:
        _plain(tmp_path, mask)
    text = str(err.value)
    assert "fmask_cloudy.tif" in text and "python-fmask" in text, text
    assert "gdal_calc.py" in text and "kind: scl" in text, text


def test_scl_of_a_burnt_or_shaded_region_reads_as_scl(tmp_path: Path) -> None:
    """Control: an SCL of a burn scar or a shaded valley (dark area, 2, on 60 % of the
    region beside vegetation, 4, a cloud's shadow and a few defective pixels, 1 %, no
    code above 5) is an SCL: its dark area kept, shadow and defective pixels dropped."""
    scl = np.full((N, N), 2, np.uint8)
    scl[12:, :] = 4
    scl[12, :5] = 3
    scl[19, :4] = 1
    out = _plain(tmp_path, _write(tmp_path / "S2_SCL.tif", scl, 0))
    assert np.isfinite(out[:12]).all()
    assert np.isnan(out[12, :5]).all() and np.isnan(out[19, :4]).all()
    assert np.isfinite(out[13:19]).all()


# -- 2. a unitless product quantity labelled in physical units ----------------------------

AST = "00306202006183523_20150101000000_12345"
ESPA_SR4 = "LC08_L1TP_198024_20140419_20170307_01_T1_sr_band4.tif"
ST_B10 = "LC08_L2SP_198024_20220301_20220308_02_T1_ST_B10.tif"


def _dn(path: Path, value: int, dtype: str = "uint16", nodata: float = 0) -> Path:
    return _write(path, np.full((N, N), value, dtype), nodata)


def _read(config: dict) -> dict[str, np.ndarray]:
    src = RasterSource.model_validate(config)
    return {layer.name: layer.compute(GRID, WINDOW) for layer in plan_raster(src, GRID)}


def test_reflectance_beside_an_aster_level_1_radiance_is_refused(tmp_path: Path) -> None:
    """An AST_07XT reflectance band beside an AST_L1T band in one source, given the
    Level-1T band's unit conversion coefficient and radiance units: the reflectance (DN
    200, 0.2) went in as "radiance" 13.45 beside the real radiance, exit 0; an index of
    the two was of neither."""
    config = {
        "name": "ast",
        "bands": {
            "red": str(_dn(tmp_path / f"AST_07XT_{AST}_B02.tif", 200)),
            "nir": str(_dn(tmp_path / f"AST_L1T_{AST}_ImageData3N.tif", 150)),
        },
        "scale": 0.0676,
        "offset": -0.0676,
        "units": "W m-2 sr-1 um-1",
    }
    with pytest.raises(ConfigError) as err:
        _read(config)
    text = str(err.value)
    assert f"AST_07XT_{AST}_B02.tif" in text and "'red'" in text, text
    assert "unitless" in text and "source of its own" in text, text


@pytest.mark.parametrize(
    ("name", "dtype", "nodata", "extra"),
    [
        (f"AST_07XT_{AST}_B02.tif", "uint16", 0, {"scale": 0.001}),
        (ESPA_SR4, "int16", -9999, {"scale": 0.0001}),
        (ESPA_SR4, "int16", -9999, {}),
    ],
)
def test_reflectance_labelled_radiance_or_temperature_is_refused(
    tmp_path: Path, name: str, dtype: str, nodata: float, extra: dict
) -> None:
    """A reflectance file by its name, given the units of radiance or temperature: DN
    2000 of an ESPA ``sr_band4`` went in as 0.2 "K", an AST_07XT band as 0.2 "W m-2
    sr-1 um-1", exit 0."""
    units = "K" if name == ESPA_SR4 else "W m-2 sr-1 um-1"
    path = _dn(tmp_path / name, 200, dtype, nodata)
    with pytest.raises(ConfigError) as err:
        _read({"name": "s", "bands": {"red": str(path)}, "units": units, **extra})
    text = str(err.value)
    assert name in text and f"'units: {units}'" in text and "unitless" in text, text


@pytest.mark.parametrize(
    ("name", "dtype", "nodata", "extra"),
    [
        (ESPA_SR4, "int16", -9999, {"scale": 0.0001, "units": "%"}),
        (ST_B10, "uint16", 0, {"scale": 0.00341802, "units": "degC"}),
        (ST_B10, "uint16", 0, {"scale": 0.00341802, "offset": 149.0, "units": "degC"}),
    ],
)
def test_a_products_own_scale_under_other_units_is_refused(
    tmp_path: Path, name: str, dtype: str, nodata: float, extra: dict
) -> None:
    """The product's own scale (and offset) restated with other ``units:`` and no
    conversion: an ESPA reflectance of 0.2 went in labelled 0.2 %, a Collection 2
    surface temperature of 300 K as 300 "degC", exit 0 (the same config on a band its
    metadata calibrates was refused)."""
    path = _dn(tmp_path / name, 2000 if dtype == "int16" else 44177, dtype, nodata)
    with pytest.raises(ConfigError) as err:
        _read({"name": "s", "bands": {"b": str(path)}, **extra})
    text = str(err.value)
    assert name in text and f"'units: {extra['units']}'" in text, text
    assert "applied once" in text, text


def test_changes_of_units_of_named_products_read_as_before(tmp_path: Path) -> None:
    """Controls: an ESPA reflectance in percent (``scale: 0.01``: 20 %), a Collection 2
    surface temperature in degrees Celsius (``offset: -273.15``), an AST_07XT
    reflectance at its own scale, and an ASTER Level-1T band given radiance units and
    its coefficient in a source of its own."""
    espa = _dn(tmp_path / ESPA_SR4, 2000, "int16", -9999)
    out = _read({"name": "s", "bands": {"red": str(espa)}, "scale": 0.01, "units": "%"})
    assert np.allclose(out["red"], 20.0)
    st = _dn(tmp_path / ST_B10, 44177)
    out = _read(
        {
            "name": "t",
            "bands": {"lst": str(st)},
            "scale": 0.00341802,
            "offset": -273.15,
            "units": "degC",
        }
    )
    assert np.allclose(out["lst"], 44177 * 0.00341802 + 149.0 - 273.15, atol=1e-3)
    refl = _dn(tmp_path / f"AST_07XT_{AST}_B02.tif", 200)
    out = _read({"name": "a", "bands": {"red": str(refl)}, "scale": 0.001})
    assert np.allclose(out["red"], 0.2)
    l1t = _dn(tmp_path / f"AST_L1T_{AST}_ImageData3N.tif", 150)
    out = _read(
        {
            "name": "r",
            "bands": {"nir": str(l1t)},
            "scale": 0.0676,
            "offset": -0.0676,
            "units": "W m-2 sr-1 um-1",
        }
    )
    assert np.allclose(out["nir"], 149 * 0.0676, atol=1e-4)


# -- 3. ASTER AST_09 / AST_09XT surface radiance DNs ---------------------------------------


@pytest.mark.parametrize("code", ["AST_09XT", "AST_09"])
def test_aster_surface_radiance_dns_without_a_scale_are_refused(tmp_path: Path, code: str) -> None:
    """An AST_09XT (or AST_09) band without a scale: DN 1500 went in as reflectance 1500
    (units '1'), exit 0."""
    path = _dn(tmp_path / f"{code}_{AST}_B3N.tif", 1500)
    with pytest.raises(ConfigError) as err:
        _read({"name": "a", "bands": {"nir": str(path)}})
    text = str(err.value)
    assert f"{code}_{AST}_B3N.tif" in text and "surface radiance" in text, text
    assert "HDF metadata" in text and "'units:'" in text, text


def test_aster_surface_radiance_with_its_stated_scale_reads(tmp_path: Path) -> None:
    """Control: an AST_09XT band given its band's scale factor and radiance units (the
    user states what the DNs are) reads as stated."""
    path = _dn(tmp_path / f"AST_09XT_{AST}_B3N.tif", 1500)
    out = _read(
        {
            "name": "a",
            "bands": {"nir": str(path)},
            "scale": 0.001,
            "units": "W m-2 sr-1 um-1",
        }
    )
    assert np.allclose(out["nir"], 1.5)


def test_reflectance_an_item_calibrates_labelled_radiance_is_refused(tmp_path: Path) -> None:
    """A Sentinel-2 STAC item whose ``raster:bands`` calibrate its reflectance (scale
    1e-4), given a Level-1 band's coefficient as ``scale:`` and radiance ``units:``: the
    reflectance (0.2) went in multiplied by it as "radiance" 0.0135, exit 0. Control: the
    same in percent (``scale: 100, units: "%"``) reads 20."""
    import json

    band = _dn(tmp_path / "B04.tif", 2000)
    item = {
        "type": "Feature",
        "stac_version": "1.0.0",
        "stac_extensions": ["https://stac-extensions.github.io/raster/v1.1.0/schema.json"],
        "id": "own-scene",
        "geometry": None,
        "properties": {
            "datetime": "2022-03-01T10:40:21Z",
            "platform": "sentinel-2a",
            "constellation": "sentinel-2",
        },
        "assets": {
            "red": {
                "href": str(band),
                "roles": ["data", "reflectance"],
                "raster:bands": [{"scale": 0.0001, "offset": 0, "nodata": 0}],
            }
        },
        "links": [],
    }
    coll = tmp_path / "items.json"
    coll.write_text(json.dumps({"type": "FeatureCollection", "features": [item]}))
    config = {
        "name": "st",
        "stac": str(coll),
        "assets": {"red": "red"},
        "scale": 0.0676,
        "units": "W m-2 sr-1 um-1",
    }
    with pytest.raises(ConfigError) as err:
        _read(config)
    text = str(err.value)
    assert "B04.tif" in text and "unitless" in text and "item 'own-scene'" in text, text
    out = _read({**config, "scale": 100, "units": "%"})
    assert np.allclose(out["red"], 20.0)


@pytest.mark.parametrize(
    "name", ["T31UFT_20220301T104021_TCI_10m.tif", "T31UFT_20220301T104021_TCI.tif"]
)
def test_a_sentinel_2_true_colour_image_read_as_bands_is_refused(tmp_path: Path, name: str) -> None:
    """ESA's TCI (Level-2A ``_TCI_10m``, Level-1C ``_TCI``) as ``red``, ``green`` and
    ``blue``: its 8-bit preview DNs (120) went in as reflectance 120, exit 0."""
    path = tmp_path / name
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=N,
        height=N,
        count=3,
        dtype="uint8",
        crs="EPSG:32631",
        nodata=0,
        transform=from_origin(*ORIGIN, 30.0, 30.0),
    ) as dst:
        dst.write(np.full((3, N, N), 120, np.uint8))
    config = {"name": "tci", "path": str(path), "band_names": ["red", "green", "blue"]}
    with pytest.raises(ConfigError) as err:
        _read(config)
    text = str(err.value)
    assert name in text and "true colour image" in text and "B04, B03" in text, text
    out = _read({**config, "units": "DN"})  # control: the preview's values, said so
    assert np.allclose(out["red"], 120.0)


# -- 4. HLS scenes listed under another date in a time series ------------------------------

HLS_2014 = "/d/HLS.L30.T31UFT.2014109T104021.v2.0.B04.tif"
HLS_2022 = "/d/HLS.S30.T31UFT.2022060T104021.v2.0.B04.tif"


def _dated(var: str, file: str):
    import xarray as xr

    from prospect.provenance import provenance_attr

    return xr.DataArray(
        np.zeros((4, 4), np.float32),
        dims=("y", "x"),
        name=var,
        attrs={
            "units": "1",
            "prospect_kind": "continuous",
            "provenance": provenance_attr(
                {"quantity": "surface_reflectance", "scenes": [{"file": file, "band": 1}]}
            ),
        },
    )


def _stack(first: str, second: str):
    import xarray as xr

    from prospect.config.timeseries import TimeSeriesConfig
    from prospect.timeseries import stack_dates

    cube = xr.Dataset({"a": _dated("a", HLS_2014), "b": _dated("b", HLS_2022)})
    cfg = TimeSeriesConfig.model_validate(
        {
            "dates": [
                {"date": first, "bands": {"red": "a"}},
                {"date": second, "bands": {"red": "b"}},
            ]
        }
    )
    return stack_dates(cube, cfg)


def test_an_hls_scene_listed_under_another_date_is_refused() -> None:
    """An HLS S30 granule of 2022-03-01 (day 060) listed under 2010-06-01, before the
    L30 granule of 2014-04-19: stacked without a word, its change (2022 minus 2014)
    said to run from 2010 to 2014, the wrong way."""
    with pytest.raises(DataError) as err:
        _stack("2014-04-19", "2010-06-01")
    text = str(err.value)
    assert "'b' is listed under 2010-06-01" in text, text
    assert "HLS.S30.T31UFT.2022060T104021.v2.0" in text and "2022-03-01" in text, text


def test_hls_scenes_under_their_own_dates_stack() -> None:
    """Control: the same granules under their own dates stack, in date order."""
    out = _stack("2014-04-19", "2022-03-01")
    assert [str(t)[:10] for t in out["red"]["time"].values] == ["2014-04-19", "2022-03-01"]


# -- 5. a scene's date: against its files' own acquisition ---------------------------------

L8_JAN = "LC08_L2SP_198024_20200127_20200823_02_T1_SR_B4.TIF"
L8_JUN = "LC08_L2SP_198024_20200601_20200823_02_T1_SR_B4.TIF"


@pytest.mark.parametrize(
    ("name", "day"),
    [
        (L8_JAN, "2020-01-27"),
        ("HLS.S30.T31UFT.2020027T104021.v2.0.B04.tif", "2020-01-27"),
        ("T31UFT_20200127T104021_B04_10m.jp2", "2020-01-27"),
        (f"AST_07XT_{AST}_B02.tif", "2006-06-20"),
    ],
)
def test_a_scene_date_other_than_its_files_is_told(name: str, day: str) -> None:
    """A scene listed as ``date: 2021-05-01`` whose file's product name states another
    acquisition: told, naming the file and its own date (a control: its own date is
    no conflict)."""
    import datetime as dt

    from prospect.ingest.products import scene_date_conflict

    why = scene_date_conflict(dt.date(2021, 5, 1), [f"/d/{name}"])
    assert why is not None and name in why and f"'date: {day}'" in why, why
    assert scene_date_conflict(dt.date.fromisoformat(day), [f"/d/{name}", "/d/red.tif"]) is None


def test_a_most_recent_mosaic_of_a_misdated_scene_is_refused(tmp_path: Path) -> None:
    """The Landsat scene of 2020-01-27 listed as ``date: 2021-05-01`` beside the scene
    of 2020-06-01: ``most_recent`` took the January scene's reflectance everywhere, exit
    0."""
    jan = _dn(tmp_path / L8_JAN, 10000)
    jun = _dn(tmp_path / L8_JUN, 20000)
    config = {
        "name": "l8",
        "mosaic": "most_recent",
        "scale": 2.75e-5,
        "scenes": [
            {"date": "2021-05-01", "bands": {"red": str(jan)}},
            {"date": "2020-06-01", "bands": {"red": str(jun)}},
        ],
    }
    with pytest.raises(ConfigError, match="2020-01-27"):
        _read(config)


# -- 6. a STAC search cut at max_items without a word ---------------------------------------


def _api_items(n: int) -> list[dict]:
    return [
        {
            "type": "Feature",
            "stac_version": "1.0.0",
            "id": f"S2_{k}",
            "bbox": [4.0, 52.0, 4.1, 52.1],
            "geometry": {
                "type": "Polygon",
                "coordinates": [[[4.0, 52.0], [4.1, 52.0], [4.1, 52.1], [4.0, 52.1], [4.0, 52.0]]],
            },
            "properties": {"datetime": f"2024-0{3 - k // 2}-{10 + k:02d}T10:40:21Z"},
            "assets": {"red": {"href": f"/d/{k}/B04.tif", "roles": ["data"]}},
            "links": [],
            "collection": "sentinel-2-l2a",
        }
        for k in range(n)
    ]


class StacApi(BaseHTTPRequestHandler):
    """A STAC API on loopback (:func:`serving`): its landing page (``GET``) names the
    item-search endpoint; a subclass answers the searches (``do_POST``)."""

    def log_message(self, *args: object) -> None:
        pass

    def _send(self, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        root = f"http://127.0.0.1:{self.server.server_port}"
        self._send(
            {
                "type": "Catalog",
                "id": "api",
                "stac_version": "1.0.0",
                "description": "loopback",
                "conformsTo": [
                    "https://api.stacspec.org/v1.0.0/core",
                    "https://api.stacspec.org/v1.0.0/item-search",
                ],
                "links": [
                    {"rel": "self", "href": root},
                    {"rel": "root", "href": root},
                    {"rel": "search", "href": f"{root}/search", "method": "POST"},
                ],
            }
        )


def serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """Serve ``handler`` on loopback until the generator is closed; yields its URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def stac_api() -> Iterator[str]:
    """A STAC API on loopback answering every search with five items, newest first, in
    pages of the ``limit`` asked (``next`` links), as stac-fastapi does."""
    items = _api_items(5)

    class Api(StacApi):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            start, limit = int(body.get("token") or 0), int(body.get("limit") or 10)
            page = items[start : start + limit]
            root = f"http://127.0.0.1:{self.server.server_port}"
            links = []
            if start + limit < len(items):
                links.append(
                    {
                        "rel": "next",
                        "href": f"{root}/search",
                        "method": "POST",
                        "body": {**body, "token": start + limit},
                    }
                )
            self._send({"type": "FeatureCollection", "features": page, "links": links})

    yield from serving(Api)


def _search_source(url: str, max_items: int) -> RasterSource:
    return RasterSource.model_validate(
        {
            "name": "s2",
            "stac_search": {
                "url": url,
                "collections": ["sentinel-2-l2a"],
                "datetime": "2024-01-01/2024-03-31",
                "max_items": max_items,
            },
            "assets": {"red": "red"},
            "composite": {"method": "median"},
        }
    )


def test_a_search_cut_at_max_items_is_warned_of(stac_api: str, tmp_path: Path) -> None:
    """Five items found, ``max_items: 3``: three kept without a word, the rerun (from
    the saved search) as silent. Now a warning names the source, the cap and the fix, on
    the search and on the rerun that reads its save."""
    import warnings

    from prospect.errors import DataWarning
    from prospect.ingest.stac_search import resolve_search

    source = _search_source(stac_api, 3)
    for _ in range(2):  # the search, then the rerun from its save
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            _, ids, _ = resolve_search(source, GRID, tmp_path)
        told = [str(w.message) for w in caught if issubclass(w.category, DataWarning)]
        assert len(ids) == 3, ids
        assert any("max_items (3)" in t and "'s2'" in t for t in told), told


def test_a_search_of_fewer_items_than_max_items_is_saved_as_before(
    stac_api: str, tmp_path: Path
) -> None:
    """Control: ``max_items: 5`` with five items (and 100): all five, no warning, and the
    save holds no more keys than before."""
    import json
    import warnings

    from prospect.errors import DataWarning
    from prospect.ingest.stac_search import resolve_search

    for cap in (5, 100):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            resolved, ids, _ = resolve_search(_search_source(stac_api, cap), GRID, tmp_path)
        assert sorted(ids) == [f"S2_{k}" for k in range(5)], ids
        assert not [w for w in caught if issubclass(w.category, DataWarning)]
        saved = json.loads(Path(resolved.stac).read_text())
        assert sorted(saved) == [
            "features",
            "prospect:search",
            "prospect:search_sha256",
            "type",
        ]
