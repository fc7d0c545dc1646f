"""Tile delivery as partner agencies' clients meet it, round 31 (second pass): class maps
whose codes are past float64's whole numbers (2^53) and classes a colour table makes
transparent.

A survey's geology map keyed by 64-bit database ids (9007199254740993, ...995, ...997,
...1001: an Int64 GeoTIFF, as GDAL >= 3.5 writes one) stated by CF flags, and a Byte map
whose background code 0 is transparent in its colour table (``.aux.xml``) and set no
nodata, are written with rasterio and served by a real server (uvicorn on loopback, in
this process) to TileJSON, XYZ, ``/point`` and WMS GetFeatureInfo clients, and their start-up
checks run (``prospect serve --check``, in process). Each non-control case failed before:
the Int64 map's codes were read through a float, ...995 and ...997 one number, so its
classes were taken for one given twice and the map was served as a layer of values (one
colour, a 2-98 % range about 9.0e15), without a word. All data here are SYNTHETIC.
"""

from __future__ import annotations

import io
import json
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
import yaml
from PIL import Image
from pyproj import Transformer
from rasterio.transform import from_origin

from tests.robustness.conftest import run_in_process
from tiles.testing import live_server

ORIGIN = (566000.0, 1343000.0)  # Bonaire, UTM 19N: 40 x 40 cells of 10 m
BIG = [9007199254740993, 9007199254740995, 9007199254740997, 9007199254741001]  # past 2^53
HELD = [2**53 + 2, 2**53 + 4, 2**53 + 8]  # past 2^53, each a float64 of its own (control)
TO_LONLAT = Transformer.from_crs("EPSG:32619", "EPSG:4326", always_xy=True)
PALETTE = {0: (0, 0, 0, 0), 1: (230, 25, 75, 255), 2: (60, 180, 75, 255), 3: (255, 225, 25, 255)}


def _blocks(codes: list[int]) -> np.ndarray:
    """``codes`` in vertical bands of 10 columns, 40 x 40 cells."""
    cols = np.indices((40, 40))[1]
    return np.asarray(codes, dtype="i8")[(cols // 10) % len(codes)]


def _write_tif(
    path: Path, values: np.ndarray, dtype: str, tags: dict[str, str], nodata: float | None
) -> Path:
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=values.shape[1],
        height=values.shape[0],
        count=1,
        dtype=dtype,
        crs="EPSG:32619",
        transform=from_origin(*ORIGIN, 10.0, 10.0),
        nodata=nodata,
    ) as ds:
        ds.write(values.astype(dtype), 1)
        ds.update_tags(synthetic="true")
        ds.update_tags(1, **tags)
    return path


def _flags(codes: list[int]) -> dict[str, str]:
    return {
        "flag_values": " ".join(map(str, codes)),
        "flag_meanings": " ".join(f"unit_{i}" for i in range(len(codes))),
    }


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("round31b")
    _write_tif(root / "big.tif", _blocks(BIG), "int64", _flags(BIG), nodata=0)
    _write_tif(root / "held.tif", _blocks(HELD), "int64", _flags(HELD), nodata=0)
    _write_tif(root / "background.tif", _blocks([0, 1, 2, 3]), "uint8", {}, nodata=None)
    entries = "".join(
        '<Entry c1="{}" c2="{}" c3="{}" c4="{}"/>'.format(*PALETTE[c]) for c in range(4)
    )
    (root / "background.tif.aux.xml").write_text(
        '<PAMDataset><PAMRasterBand band="1"><ColorInterp>Palette</ColorInterp>'
        f"<ColorTable>{entries}</ColorTable></PAMRasterBand></PAMDataset>"
    )
    # units 1..4 with a no-data frame 5 cells wide in the west: in UInt64 its nodata is
    # 18446744073709551615 (GDAL's default for the type, set by gdal_edit.py), in Int64
    # -2^63 (a control)
    frame = np.where(np.indices((40, 40))[1] < 5, 0, np.indices((40, 40))[1] // 10 + 1)
    for name, dtype, nodata in (("u64", "uint64", 2**64 - 1), ("i64", "int64", -(2**63))):
        values = np.where(frame == 0, np.array(nodata, dtype=dtype), frame.astype(dtype))
        _write_tif(root / f"{name}.tif", values, dtype, _flags([1, 2, 3, 4]), nodata=None)
        subprocess.run(
            ["gdal_edit.py", "-a_nodata", str(nodata), str(root / f"{name}.tif")], check=True
        )
    names = ("big", "held", "background", "u64", "i64")
    layers = [{"name": n, "cog": f"{n}.tif", "public": True} for n in names]
    config = root / "serve.yaml"
    config.write_text(yaml.safe_dump({"title": "Round 31b (synthetic)", "layers": layers}))
    return {"root": root, "config": config}


@pytest.fixture(scope="module")
def served(corpus: dict[str, Any]):
    with live_server(corpus["config"]) as server, server.client(timeout=60) as c:
        yield c


def _centre(band: int) -> tuple[float, float]:
    """Lon/lat of the middle of vertical band ``band`` (10 columns each)."""
    return TO_LONLAT.transform(ORIGIN[0] + 100.0 * band + 50.0, ORIGIN[1] - 200.0)


# -- class codes past 2^53 ---------------------------------------------------------------


def test_an_int64_unit_map_past_2_53_is_served_as_a_class_map(served: Any) -> None:
    """The Int64 map's codes were read through a float (...995 and ...997 one number): its
    classes were dropped as given twice and it was served as a layer of values, drawn at
    a 2-98 % range about 9.0e15 (one colour) with bilinear resampling. It is a class map
    now: its ramp over its codes, and ``/point`` gives each cell's own code (it gave
    ...992 for ...993, another unit's code, read through a float)."""
    doc = served.get("/tilejson/big.json").json()
    ramp = (doc["prospect"]["vmin"], doc["prospect"]["vmax"])
    assert ramp == (float(BIG[0]), float(BIG[-1])), doc["prospect"]
    for band, code in enumerate(BIG):
        lon, lat = _centre(band)
        got = served.get("/point/big", params={"lon": lon, "lat": lat}).json()
        assert got["value"] == code, got


def test_feature_info_names_each_unit_of_an_int64_map_past_2_53(served: Any) -> None:
    """GetFeatureInfo (QGIS's identify) of the Int64 map gave a value and no class: the
    map was not known for a class map. Each unit is named now."""
    lon, lat = _centre(2)
    r = served.get(
        "/wms",
        params={
            "SERVICE": "WMS",
            "VERSION": "1.1.1",
            "REQUEST": "GetFeatureInfo",
            "LAYERS": "big",
            "QUERY_LAYERS": "big",
            "STYLES": "",
            "SRS": "EPSG:4326",
            "BBOX": f"{lon - 1e-4},{lat - 1e-4},{lon + 1e-4},{lat + 1e-4}",
            "WIDTH": 3,
            "HEIGHT": 3,
            "X": 1,
            "Y": 1,
            "INFO_FORMAT": "text/plain",
        },
    )
    assert r.status_code == 200, r.text
    assert f"{BIG[2]} (unit 2)" in r.text, r.text


def test_serve_check_says_which_codes_past_2_53_share_a_colour(corpus: dict[str, Any]) -> None:
    """``prospect serve --check`` said nothing of the Int64 map (a colour range about
    9.0e15 for a layer of values); it warns now that ...995 and ...997 are one number in
    float64 and how to renumber them, and says nothing so of the map whose codes past 2^53
    float64 holds apart (control in the same run)."""
    outcome = run_in_process("serve", corpus["config"], "--check")
    assert outcome.code == 0, outcome
    out = " ".join((outcome.out + outcome.err).split())
    assert f"layer 'big': its class codes {BIG[1]} and {BIG[2]} are one number" in out, out
    assert "renumber its classes below 2^53" in out, out
    assert "layer 'held': its class codes" not in out, out
    assert "9.0" not in out.split("layer 'big'")[1].split("layer '")[0], out


def test_held_codes_past_2_53_are_each_their_own_colour(served: Any) -> None:
    """Control: an Int64 map of codes past 2^53 that float64 holds apart (2^53 + 2, + 4,
    + 8) draws each unit in its own colour, read back by ``/point`` as its own code."""
    doc = served.get("/tilejson/held.json").json()
    w, s, e, n = doc["bounds"]
    z = doc["maxzoom"]
    import morecantile

    colours: set[tuple[int, ...]] = set()
    for tile in morecantile.tms.get("WebMercatorQuad").tiles(w, s, e, n, [z]):
        png = served.get(f"/tiles/held/{tile.z}/{tile.x}/{tile.y}.png").content
        with Image.open(io.BytesIO(png)) as img:
            rgba = np.asarray(img.convert("RGBA")).reshape(-1, 4)
        colours |= {tuple(c) for c in rgba[rgba[:, 3] == 255].tolist()}
    assert len(colours) == len(HELD), sorted(colours)
    lon, lat = _centre(1)
    assert served.get("/point/held", params={"lon": lon, "lat": lat}).json()["value"] == HELD[1]


def test_class_codes_are_read_as_the_integers_they_are() -> None:
    """The codes of CF flags and of a ``categories`` table are read exactly: digits past
    2^53 were read through a float (two codes one number, the classes dropped)."""
    from tiles.metadata import layer_classes

    assert list(layer_classes(_flags(BIG)) or {}) == BIG
    table = '{"9007199254740993": "a", "9007199254740995": "b"}'
    assert list(layer_classes({"categories": table}) or {}) == BIG[:2]
    # control: codes written as floats or in CDL keep reading as before
    assert list(layer_classes({"flag_values": "0.0 1.0 2b", "flag_meanings": "a b c"}) or {}) == [
        0,
        1,
        2,
    ]


# -- a class the colour table makes transparent ------------------------------------------


def test_a_transparent_class_is_still_a_class(served: Any) -> None:
    """Control: a background code 0 that the colour table makes transparent (no nodata) is
    drawn clear but is still a class: ``/point`` gives its code, and its legend swatch is
    clear (as QGIS lists it)."""
    from prospect.config.tiles import TileLayerConfig
    from tiles.legend import class_colours
    from tiles.metadata import class_layer, layer_colours

    lon, lat = _centre(0)
    got = served.get("/point/background", params={"lon": lon, "lat": lat}).json()
    assert (got["value"], got["inside"]) == (0, True), got
    doc = served.get("/tilejson/background.json").json()
    colours = layer_colours({"class_colours": json.dumps(doc["prospect"]["class_colours"])})
    assert colours is not None
    layer = class_layer(TileLayerConfig(variable="background"), {c: "" for c in range(4)}, colours)
    swatches = class_colours(layer, [0, 1, 2, 3])
    assert swatches[0][3] == 0 and (swatches[1:, 3] == 255).all(), swatches


# -- a UInt64 map's nodata ----------------------------------------------------------------


def _tile_indices(served: Any, name: str) -> list[np.ndarray]:
    doc = served.get(f"/tilejson/{name}.json").json()
    import morecantile

    found = []
    for tile in morecantile.tms.get("WebMercatorQuad").tiles(*doc["bounds"], [doc["maxzoom"]]):
        png = served.get(f"/tiles/{name}/{tile.z}/{tile.x}/{tile.y}.png").content
        with Image.open(io.BytesIO(png)) as img:
            found.append(np.asarray(img))
    return found


def test_a_uint64_maps_no_data_frame_is_clear(served: Any) -> None:
    """A UInt64 unit map whose nodata is 18446744073709551615 (GDAL's default for the
    type; rasterio states it as ``None``) was warped without one: its no-data frame was
    drawn as its highest unit in every tile and map, where ``/point`` said no data. It is
    clear now, the tiles those of the same map in Int64 with nodata -2^63 (a control)."""
    u64, i64 = _tile_indices(served, "u64"), _tile_indices(served, "i64")
    assert len(u64) == len(i64) > 0
    for got, want in zip(u64, i64, strict=True):
        assert np.array_equal(got, want), (np.unique(got), np.unique(want))
    lon, lat = TO_LONLAT.transform(ORIGIN[0] + 20.0, ORIGIN[1] - 200.0)
    for name in ("u64", "i64"):
        got = served.get(f"/point/{name}", params={"lon": lon, "lat": lat}).json()
        assert (got["value"], got["inside"]) == (None, True), got
