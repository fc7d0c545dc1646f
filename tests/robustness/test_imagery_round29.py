"""Round 29: python-fmask's Sentinel-2 output by its colours, and a composite's gaps of
every variable.

1. python-fmask (Neil Flood's RIOS implementation) writes its Sentinel-2 cloud mask
   (``fmask_sentinel2Stacked.py``) as 0 null, 1 clear land, 2 cloud, 3 cloud shadow, 4
   snow, 5 water, with nodata 0 and its colour table (``fmask.finalizeAll``: 2 magenta,
   3 yellow, 4 cyan, 5 blue); its ``Classification`` attribute table lives in the
   GeoTIFF's ``.aux.xml``, which a copy of the ``.tif`` alone leaves behind. Under
   ``kind: scl`` (SCL's no data is 0 too) its clear land is SCL's "saturated or
   defective", always dropped, its cloud SCL's dark area and its snow vegetation, both
   kept: the clouds went in as values. SYNTHETIC files written into ``tmp_path`` as
   python-fmask's GeoTIFF output holds them, read through the plain (``bands:``)
   source's real planning and chunk reads, and a composite's (items with and without
   stated grids).
2. A composite's ``no_observation_share`` (the variables' provenance), its count layer
   and its gap warning stated the first variable's share alone: another variable with
   gaps of its own was recorded as complete, no count layer showed where, and gaps under
   :data:`~prospect.ingest.masked.GAP_SHARE` beyond the first variable's share were
   planned without a word.
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

CLOUD = [(2, 3), (2, 4), (3, 3)]
SHADOW = [(10, 10), (10, 11)]
SNOW = [(15, 2)]

FMASK = {"fill": 0, "clear": 1, "cloud": 2, "cloud_shadow": 3, "snow": 4, "water": 5}
FMASK_COLOURS = {
    0: (0, 0, 0, 0),
    1: (0, 0, 0, 255),
    2: (255, 0, 255, 255),
    3: (255, 255, 0, 255),
    4: (85, 255, 255, 255),
    5: (0, 0, 255, 255),
}
"""python-fmask's colour table (``fmask.fmask.finalizeAll``: ``rat.setColorTable``)."""
SCL = {"fill": 0, "clear": 4, "cloud": 9, "cloud_shadow": 3, "snow": 11, "water": 6}
SCL_COLOURS = {
    0: (0, 0, 0, 255),
    1: (255, 0, 0, 255),
    2: (47, 47, 47, 255),
    3: (100, 50, 0, 255),
    4: (0, 160, 0, 255),
    5: (255, 230, 90, 255),
    6: (0, 0, 255, 255),
    7: (128, 128, 128, 255),
    8: (192, 192, 192, 255),
    9: (255, 255, 255, 255),
    10: (100, 200, 255, 255),
    11: (255, 150, 255, 255),
}
"""ESA's SCL legend colours (as a user styles an SCL in QGIS and saves its palette)."""


def _write(path: Path, values: np.ndarray, nodata: float | None) -> Path:
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
    return path


def _codes(table: dict[str, int]) -> np.ndarray:
    codes = np.full((N, N), table["clear"], np.uint8)
    for where, name in ((CLOUD, "cloud"), (SHADOW, "cloud_shadow"), (SNOW, "snow")):
        for r, c in where:
            codes[r, c] = table[name]
    codes[:, -1] = table["fill"]
    return codes


def _coloured(path: Path, values: np.ndarray, colours: dict[int, tuple[int, ...]]) -> Path:
    _write(path, values, 0)
    with rasterio.open(path, "r+") as dst:
        dst.write_colormap(1, colours)
    return path


def _python_fmask(root: Path, name: str = "fmask.tif") -> Path:
    """python-fmask's Sentinel-2 output without its ``.aux.xml``: nodata 0 and its colour
    table, no class names."""
    return _coloured(root / name, _codes(FMASK), FMASK_COLOURS)


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


def _dropped(out: np.ndarray, cells: list[tuple[int, int]]) -> bool:
    return all(np.isnan(out[r, c]) for r, c in cells)


# -- 1. python-fmask's Sentinel-2 output (colour table, no attribute table) as SCL ---------


def test_python_fmask_sentinel_2_output_without_its_names_is_refused_as_scl(
    tmp_path: Path,
) -> None:
    """python-fmask's output copied without its ``.aux.xml`` under ``kind: scl``: its
    clouds (2, SCL's dark area) and snow (4, SCL's vegetation) went in as values and its
    clear land (1, SCL's saturated or defective) was dropped, exit 0 with a warning of a
    gap. Its colour table is python-fmask's own (2 magenta, 3 yellow, 4 cyan)."""
    with pytest.raises(DataError) as err:
        _plain(tmp_path, _python_fmask(tmp_path))
    text = str(err.value)
    assert "fmask.tif" in text and "python-fmask" in text, text
    assert "colour table" in text and "gdal_calc.py" in text and "kind: scl" in text, text


def _fmask_items(root: Path, masks: list[Path], stated: bool) -> Path:
    """Two items (``red`` and the cloud layer ``qa``), as rio-stac writes them for a
    user's own processed scenes (the grids stated in full, or not at all)."""
    grid = {
        "proj:shape": [N, N],
        "proj:transform": [30.0, 0.0, ORIGIN[0], 0.0, -30.0, ORIGIN[1]],
        "proj:epsg": 32631,
    }
    items = []
    for n, mask in enumerate(masks):
        red = _write(root / f"red{n}.tif", np.full((N, N), 100 * (n + 1), np.uint16), 0)
        items.append(
            {
                "type": "Feature",
                "stac_version": "1.0.0",
                "id": f"f{n}",
                "geometry": None,
                "properties": {"datetime": f"2022-03-{n + 1:02d}T10:40:21Z"},
                "assets": {
                    "red": {"href": str(red), "roles": ["data"], **(grid if stated else {})},
                    "qa": {"href": str(mask), "roles": ["cloud"], **(grid if stated else {})},
                },
                "links": [],
            }
        )
    coll = root / "items.json"
    coll.write_text(json.dumps({"type": "FeatureCollection", "features": items}))
    return coll


def _mask_composite(coll: Path, kind: str) -> dict[str, np.ndarray]:
    from prospect.ingest.composite import plan_composite

    src = RasterSource.model_validate(
        {
            "name": "st",
            "stac": str(coll),
            "assets": {"red": "red"},
            "cloud_mask": {"kind": kind, "asset": "qa"},
            "composite": {"method": "median", "count_variable": True},
        }
    )
    return {layer.name: layer.compute(GRID, WINDOW) for layer in plan_composite(src, GRID)}


@pytest.mark.parametrize("stated", [True, False], ids=["stated-grids", "headers"])
def test_python_fmask_sentinel_2_output_in_a_composite_is_refused_as_scl(
    tmp_path: Path, stated: bool
) -> None:
    """Two scenes' python-fmask output (colour table only) under ``kind: scl`` in a
    composite: each scene's clouds went into the median as values, exit 0."""
    masks = []
    for n in range(2):
        (tmp_path / f"m{n}").mkdir()
        masks.append(_python_fmask(tmp_path / f"m{n}"))
    with pytest.raises(DataError) as err:
        _mask_composite(_fmask_items(tmp_path, masks, stated), "scl")
    text = str(err.value)
    assert "m0/fmask.tif" in text and "python-fmask" in text and "gdal_calc.py" in text, text


def test_python_fmask_output_of_nodata_255_is_refused_as_cfmask(tmp_path: Path) -> None:
    """python-fmask's output whose nodata a user re-set to 255 (``gdal_edit.py
    -a_nodata 255``, to match CFmask's fill) under ``kind: cfmask``: only nodata 0 with a
    colour table was told, so its clouds (2, CFmask's shadow) were dropped as shadow and
    its null (0, CFmask's clear) kept as values, exit 0. The colours tell it."""
    path = _python_fmask(tmp_path)
    with rasterio.open(path, "r+") as dst:
        dst.nodata = 255
    with pytest.raises(DataError) as err:
        _plain(tmp_path, path, kind="cfmask")
    text = str(err.value)
    assert "python-fmask" in text and "colour table" in text and "kind: cfmask" in text, text


def test_python_fmask_sentinel_2_codes_alone_are_refused_as_scl(tmp_path: Path) -> None:
    """python-fmask's output with neither class names nor colours (converted by a tool
    that keeps the codes alone, e.g. ``gdal_calc.py`` or a numpy script): under ``kind:
    scl`` all its clear land (1) was "saturated or defective", dropped, and its clouds
    kept, exit 0 with a warning of a gap. Its codes tell it: a region mostly of class 1
    and no code above 5, which no real SCL is."""
    mask = _write(tmp_path / "fmask_codes.tif", _codes(FMASK), 0)
    with pytest.raises(DataError) as err:
        _plain(tmp_path, mask)
    text = str(err.value)
    assert "fmask_codes.tif" in text and "python-fmask" in text, text
    assert "class 1 (saturated or defective)" in text and "gdal_calc.py" in text, text


# -- controls ---------------------------------------------------------------------------


def test_an_scl_of_clear_land_with_defective_pixels_reads_as_scl(tmp_path: Path) -> None:
    """Control: an SCL of vegetation and bare soil (codes 4, 5: no code above 5) with a
    strip of saturated or defective pixels (10 %), and one whose cut is mostly defective
    beside a cloud (9): both read as SCL, the defective pixels dropped."""
    scl = np.where(np.arange(N)[None, :] % 2 == 0, 4, 5).repeat(N, axis=0).astype(np.uint8)
    scl[:2, :] = 1
    out = _plain(tmp_path, _write(tmp_path / "S2_SCL.tif", scl, 0))
    assert np.isnan(out[:2]).all() and np.isfinite(out[2:]).all()
    scl[:15, :] = 1
    scl[18, 3] = 9
    out = _plain(tmp_path, _write(tmp_path / "S2_SCL.tif", scl, 0))
    assert np.isnan(out[:15]).all() and np.isnan(out[18, 3]) and np.isfinite(out[15:18]).all()


def test_an_scl_with_esas_colours_reads_as_scl(tmp_path: Path) -> None:
    """Control: an SCL styled with ESA's legend colours and saved with its palette (nodata
    0, a colour table, no names) masks as before: clouds, shadow, snow and fill dropped."""
    mask = _coloured(tmp_path / "T31UFT_20220301T104021_SCL_20m.tif", _codes(SCL), SCL_COLOURS)
    out = _plain(tmp_path, mask)
    assert _dropped(out, CLOUD + SHADOW + SNOW)
    assert np.isnan(out[:, -1]).all()
    assert np.isfinite(out).sum() == N * (N - 1) - len(CLOUD + SHADOW + SNOW)


def test_scl_layers_with_esas_colours_composite_as_before(tmp_path: Path) -> None:
    """Control: ESA-coloured SCL layers of stated grids in a composite: each scene's
    clouds dropped, the rest the median of the two."""
    masks = [_coloured(tmp_path / f"S2_{n}_SCL.tif", _codes(SCL), SCL_COLOURS) for n in range(2)]
    out = _mask_composite(_fmask_items(tmp_path, masks, True), "scl")
    assert _dropped(out["red"], CLOUD + SHADOW + SNOW)
    assert (out["red"][np.isfinite(out["red"])] == 150).all()


# -- 2. a composite's gaps stated for its first variable alone -----------------------------

LEFT = [(r, c) for r in range(N) for c in range(N // 2)]
TOP = [(r, c) for r in range(3) for c in range(N)]
"""The first 3 of 20 rows: 15 % of the region."""
SIDE = [(r, c) for r in range(N) for c in range(6)]
"""The first 6 of 20 columns: 30 % of the region, 15 points above TOP's share."""


def _item(root: Path, n: int, *, swir_gap: list[tuple[int, int]], red_gap=()) -> dict:
    """Scene ``n`` with a ``red`` and a ``swir22`` band, each band's fill (0) at its gap."""
    files = {}
    for band, base, gaps in (("red", 100, red_gap), ("swir22", 1000, swir_gap)):
        values = np.full((N, N), base * (n + 1), np.uint16)
        for r, c in gaps:
            values[r, c] = 0
        files[band] = _write(root / f"s{n}_{band}.tif", values, 0)
    return {
        "type": "Feature",
        "stac_version": "1.0.0",
        "id": f"s{n}",
        "geometry": None,
        "properties": {"datetime": f"2022-03-{n + 1:02d}T10:40:21Z"},
        "assets": {b: {"href": str(p), "roles": ["data"]} for b, p in files.items()},
        "links": [],
    }


def _plan(root: Path, items: list[dict]) -> tuple[dict[str, Any], list[str]]:
    """The composite's layers by name (``count_variable: false``) and the warnings."""
    from prospect.ingest.composite import plan_composite

    coll = root / "items.json"
    coll.write_text(json.dumps({"type": "FeatureCollection", "features": items}))
    src = RasterSource.model_validate(
        {
            "name": "st",
            "stac": str(coll),
            "assets": {"red": "red", "swir22": "swir22"},
            "composite": {"method": "median", "count_variable": False},
        }
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        layers = plan_composite(src, GRID)
    texts = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    return {layer.name: layer for layer in layers}, texts


def test_a_variables_own_gaps_are_its_no_observation_share(tmp_path: Path) -> None:
    """``swir22`` no data over the western half in every scene, ``red`` complete: the
    provenance of ``swir22`` said ``no_observation_share: 0.0`` (the first variable's),
    and no count layer showed where (only a gap of the first variable wrote it)."""
    layers, texts = _plan(tmp_path, [_item(tmp_path, n, swir_gap=LEFT) for n in range(3)])
    assert layers["swir22"].settings["no_observation_share"] == pytest.approx(0.5, abs=0.03)
    assert layers["red"].settings["no_observation_share"] == 0.0
    assert "st_count" in layers, sorted(layers)
    assert layers["st_count"].settings["no_observation_share"] == pytest.approx(0.5, abs=0.03)
    count = layers["st_count"].compute(GRID, WINDOW)
    assert (count[:, : N // 2] == 0).all() and (count[:, N // 2 :] == 3).all()
    assert any("'swir22'" in t and "'st_count'" in t for t in texts), texts


def test_a_variables_gaps_beside_a_smaller_first_gap_are_warned_of(tmp_path: Path) -> None:
    """``red`` no data over the top 15 % (under the warning's 20 %), ``swir22`` over the
    western 30 %: another variable was warned of only 20 points beyond the first
    variable's share, so neither was told and 30 % of ``swir22`` came out no data
    without a word (a first variable of 30 % was warned of)."""
    items = [_item(tmp_path, n, swir_gap=SIDE, red_gap=TOP) for n in range(3)]
    layers, texts = _plan(tmp_path, items)
    assert any("'swir22'" in t and "30%" in t for t in texts), texts
    assert layers["swir22"].settings["no_observation_share"] == pytest.approx(0.3, abs=0.03)
    assert layers["red"].settings["no_observation_share"] == pytest.approx(0.15, abs=0.03)


def test_bands_with_the_same_gaps_record_one_share(tmp_path: Path) -> None:
    """Control: both bands no data over the same western half: one warning (the first
    variable's), each variable's share 0.5, the count written as before."""
    items = [_item(tmp_path, n, swir_gap=LEFT, red_gap=LEFT) for n in range(3)]
    layers, texts = _plan(tmp_path, items)
    assert [layers[v].settings["no_observation_share"] for v in ("red", "swir22", "st_count")] == [
        pytest.approx(0.5, abs=0.03)
    ] * 3
    assert not [t for t in texts if "'swir22'" in t], texts
    assert "st_count" in layers


def test_a_complete_composite_records_no_gap_and_no_count(tmp_path: Path) -> None:
    """Control: complete bands: share 0 for each, no count layer, no warning."""
    layers, texts = _plan(tmp_path, [_item(tmp_path, n, swir_gap=[]) for n in range(3)])
    assert sorted(layers) == ["red", "swir22"]
    assert all(layer.settings["no_observation_share"] == 0.0 for layer in layers.values())
    assert not texts, texts


# -- 3. Sentinel-2 Level-1C and Level-2A bands under one source ----------------------------


def _s2_source(root: Path, files: dict[str, str]) -> list[Any]:
    """A plain source of Sentinel-2 band files named as ESA names them (2023: baseline
    04.00 or later, so of a -1000 DN offset), given ``scale: 0.0001`` alone."""
    bands = {}
    for var, name in files.items():
        bands[var] = str(_write(root / name, np.full((N, N), 2000, np.uint16), 0))
    src = RasterSource.model_validate({"name": "s2", "bands": bands, "scale": 0.0001})
    return plan_raster(src, GRID)


def test_level_2a_and_level_1c_bands_of_one_source_are_refused(tmp_path: Path) -> None:
    """A Level-2A red (``..._B04_10m``, surface reflectance) and a Level-1C nir
    (``..._B08``, top-of-atmosphere reflectance) of one tile and date under one source:
    each variable recorded its own quantity and an NDVI of the two (of neither level)
    was computed without a word, exit 0."""
    with pytest.raises(DataError) as err:
        _s2_source(
            tmp_path,
            {"red": "T31UFT_20230301T104021_B04_10m.tif", "nir": "T31UFT_20230301T104021_B08.tif"},
        )
    text = str(err.value)
    assert "'red'" in text and "'nir'" in text and "B08.tif" in text, text
    assert "surface reflectance" in text and "toa reflectance" in text, text


@pytest.mark.parametrize(
    "files",
    [
        ("T31UFT_20230301T104021_B04_10m.tif", "T31UFT_20230301T104021_B08_10m.tif"),
        ("T31UFT_20230301T104021_B04.tif", "T31UFT_20230301T104021_B08.tif"),
    ],
    ids=["level-2a", "level-1c"],
)
def test_bands_of_one_level_read_as_before(tmp_path: Path, files: tuple[str, str]) -> None:
    """Control: two Level-2A bands, or two Level-1C bands, under one source: read as
    before (DN x 1e-4 with the baseline's -0.1), each recording its quantity."""
    layers = _s2_source(tmp_path, {"red": files[0], "nir": files[1]})
    assert len({layer.settings["quantity"] for layer in layers}) == 1
    for layer in layers:
        np.testing.assert_allclose(layer.compute(GRID, WINDOW), 0.1, atol=1e-6)


# -- 4. STAC items acquired in the future --------------------------------------------------


def _dated(root: Path, props: list[dict[str, Any]]) -> tuple[dict[str, Any], list[str]]:
    items = []
    for n, p in enumerate(props):
        item = _item(root, n, swir_gap=[])
        item["properties"] = p
        items.append(item)
    return _plan(root, items)


def test_an_item_dated_in_the_future_is_refused(tmp_path: Path) -> None:
    """A user's own catalogue with one item's year mistyped (``2204`` for ``2024``): it was
    taken as a scene of 2204, recorded among the composite's dates (and would win every
    cell of a ``most_recent`` mosaic), exit 0."""
    with pytest.raises(DataError) as err:
        _dated(
            tmp_path,
            [{"datetime": "2024-03-01T10:40:21Z"}, {"datetime": "2204-03-11T10:40:21Z"}],
        )
    text = str(err.value)
    assert "'s1'" in text and "2204-03-11" in text and "in the future" in text, text


def test_items_of_today_and_a_month_in_progress_read(tmp_path: Path) -> None:
    """Control: an item acquired an hour ago, and a monthly mosaic whose range ends after
    today (``datetime: null``, a month in progress) plan as before."""
    import datetime as dt

    now = dt.datetime.now(dt.UTC)
    hour_ago = (now - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    start = (now - dt.timedelta(days=5)).strftime("%Y-%m-%dT00:00:00Z")
    end = (now + dt.timedelta(days=25)).strftime("%Y-%m-%dT23:59:59Z")
    layers, _ = _dated(
        tmp_path,
        [
            {"datetime": "2024-03-01T10:40:21Z"},
            {"datetime": hour_ago},
            {"datetime": None, "start_datetime": start, "end_datetime": end},
        ],
    )
    assert layers["red"].settings["items"] == ["s0", "s1", "s2"]
