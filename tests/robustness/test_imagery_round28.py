"""Round 28: python-fmask output read as CFmask, a composite's count and gaps of one band.

1. python-fmask (Neil Flood's RIOS implementation, conda's ``python-fmask``) writes its
   cloud mask as 0 null, 1 clear land, 2 cloud, 3 cloud shadow, 4 snow, 5 water, with
   nodata 0, ``LAYER_TYPE=thematic``, a colour table and a ``Classification`` attribute
   table; CFmask's (ESPA, and Fmask 4's MATLAB ``*_Fmask4.tif``) are 0 clear, 1 water,
   2 shadow, 3 snow, 4 cloud, 255 fill. Read as ``kind: cfmask`` its cloud was CFmask's
   shadow: a ``drop: [cloud]`` kept every cloud. SYNTHETIC files written into
   ``tmp_path`` as python-fmask's GeoTIFF output holds them (the attribute table in the
   ``.aux.xml`` GDAL writes beside a GeoTIFF), read through the plain (``bands:``)
   source's real planning and chunk reads, and a composite's.
2. A composite's ``<source>_count`` counted the first band's valid looks: a band with
   gaps of its own (its fill, a saturated pixel) was counted by another band's looks.
3. A composite's planning sampled the first variable's bands alone: another variable
   whose bands are no data over the region (or half of it) was planned without a word.
4. A Landsat Collection 1 ``BQA`` band under a name without ``BQA`` passed as
   Collection 2 ``QA_PIXEL``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

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
SCENE = "LC08_L1TP_198024_20220301_20220308_02_T1"

CLOUD = [(2, 3), (2, 4), (3, 3)]
SHADOW = [(10, 10), (10, 11)]
SNOW = [(15, 2)]


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
            dst.update_tags(1, **tags)
    return path


def _red(root: Path) -> Path:
    values = (1000 + np.arange(N * N, dtype=np.uint16).reshape(N, N) % 500).astype(np.uint16)
    return _write(root / "red.tif", values, 0)


def _codes(table: dict[str, int], *, water: bool = False) -> np.ndarray:
    codes = np.full((N, N), table["clear"], np.uint8)
    for where, name in ((CLOUD, "cloud"), (SHADOW, "cloud_shadow"), (SNOW, "snow")):
        for r, c in where:
            codes[r, c] = table[name]
    codes[:, -1] = table["fill"]
    if water:
        codes[18, 5] = table["water"]
    return codes


FMASK = {"fill": 0, "clear": 1, "cloud": 2, "cloud_shadow": 3, "snow": 4, "water": 5}
CFMASK = {"fill": 255, "clear": 0, "water": 1, "cloud_shadow": 2, "snow": 3, "cloud": 4}

_RAT = """<PAMDataset>
  <PAMRasterBand band="1">
    <Metadata><MDI key="LAYER_TYPE">thematic</MDI></Metadata>
    <GDALRasterAttributeTable tableType="thematic">
      <FieldDefn index="0"><Name>Histogram</Name><Type>1</Type><Usage>1</Usage></FieldDefn>
      <FieldDefn index="1"><Name>Classification</Name><Type>2</Type><Usage>0</Usage></FieldDefn>
{rows}
    </GDALRasterAttributeTable>
  </PAMRasterBand>
</PAMDataset>
"""
_NAMES = ["Null", "Valid", "Cloud", "Cloud Shadow", "Snow", "Water"]


def _python_fmask(
    root: Path,
    *,
    rat: bool = True,
    palette: bool = True,
    water: bool = False,
    name: str = "cloud.tif",
) -> Path:
    """python-fmask's output as RIOS writes a GeoTIFF of it: nodata 0 (its null), thematic,
    a colour table (2 magenta, 3 yellow, 4 cyan, 5 blue) and the ``Classification``
    attribute table (in the ``.aux.xml``)."""
    path = _write(root / name, _codes(FMASK, water=water), 0)
    if palette:
        with rasterio.open(path, "r+") as dst:
            dst.write_colormap(
                1,
                {
                    0: (0, 0, 0, 0),
                    1: (0, 0, 0, 255),
                    2: (255, 0, 255, 255),
                    3: (255, 255, 0, 255),
                    4: (85, 255, 255, 255),
                    5: (0, 0, 255, 255),
                },
            )
    if rat:
        counts = np.bincount(_codes(FMASK, water=water).ravel(), minlength=6)
        rows = "\n".join(
            f'      <Row index="{i}"><F>{counts[i]}</F><F>{n}</F></Row>'
            for i, n in enumerate(_NAMES)
        )
        Path(f"{path}.aux.xml").write_text(_RAT.format(rows=rows))
    return path


def _plain(root: Path, mask: Path, drop: list[str] | None) -> np.ndarray:
    src = RasterSource.model_validate(
        {
            "name": "ls",
            "bands": {"red": str(_red(root)), "qa": str(mask)},
            "scale": 0.0001,
            "cloud_mask": {
                "kind": "cfmask",
                "asset": "qa",
                **({"drop": drop} if drop is not None else {}),
            },
        }
    )
    layers = plan_raster(src, GRID)
    return layers[0].compute(GRID, WINDOW)


def _dropped(out: np.ndarray, cells: list[tuple[int, int]]) -> bool:
    return all(np.isnan(out[r, c]) for r, c in cells)


# -- 1. python-fmask output read as CFmask ------------------------------------------------


@pytest.mark.parametrize("rat", [True, False], ids=["attribute-table", "colour-table-only"])
@pytest.mark.parametrize("drop", [["cloud"], None], ids=["drop-cloud", "default-drop"])
def test_python_fmask_output_is_refused_as_cfmask(
    tmp_path: Path, rat: bool, drop: list[str] | None
) -> None:
    """python-fmask's output (no water in the cut) under ``kind: cfmask``: with ``drop:
    [cloud]`` its clouds (2, CFmask's shadow) were kept as values, exit 0; with the default
    drop it was masked right by chance (shadow read as snow, snow as cloud). Its
    attribute table names the classes, and without it (a GeoTIFF copied without its
    ``.aux.xml``) nodata 0 and a colour table tell it."""
    with pytest.raises(DataError) as err:
        _plain(tmp_path, _python_fmask(tmp_path, rat=rat), drop)
    text = str(err.value)
    assert "cloud.tif" in text and "python-fmask" in text, text
    assert "gdal_calc.py" in text and "kind: cfmask" in text, text


def test_python_fmask_output_with_water_says_what_it_is(tmp_path: Path) -> None:
    """Without its attribute table or colour table (written by hand, or by another tool
    that keeps only the codes), python-fmask's water (5) was refused as "code(s) 5, which
    cfmask does not have", which says nothing of what the layer is or how to read it."""
    mask = _python_fmask(tmp_path, rat=False, palette=False, water=True)
    with pytest.raises(DataError) as err:
        _plain(tmp_path, mask, ["cloud"])
    text = str(err.value)
    assert "code(s) 5" in text and "python-fmask" in text and "gdal_calc.py" in text, text


@pytest.mark.skipif(shutil.which("gdal_translate") is None, reason="GDAL's gdal_translate")
def test_python_fmask_erdas_imagine_output_is_refused_as_cfmask(tmp_path: Path) -> None:
    """python-fmask's default output format (RIOS writes ERDAS Imagine ``.img``: the
    attribute table, colour table and nodata inside the file) under ``kind: cfmask``."""
    tif = _python_fmask(tmp_path)
    img = tmp_path / "cloud.img"
    subprocess.run(
        ["gdal_translate", "-q", "-of", "HFA", str(tif), str(img)], check=True, capture_output=True
    )
    Path(f"{img}.aux.xml").unlink(missing_ok=True)
    with pytest.raises(DataError) as err:
        _plain(tmp_path, img, ["cloud"])
    text = str(err.value)
    assert "cloud.img" in text and "python-fmask" in text and "'Cloud'" in text, text


def _plain_scl(root: Path, mask: Path) -> np.ndarray:
    src = RasterSource.model_validate(
        {
            "name": "s2",
            "bands": {"red": str(_red(root)), "scl": str(mask)},
            "scale": 0.0001,
            "cloud_mask": {"kind": "scl", "asset": "scl"},
        }
    )
    return plan_raster(src, GRID)[0].compute(GRID, WINDOW)


def test_python_fmask_output_of_sentinel_2_is_refused_as_scl(tmp_path: Path) -> None:
    """python-fmask's Sentinel-2 output (``fmask_sentinel2Stacked.py``) under ``kind:
    scl``: its clear land (1) is SCL's saturated or defective, always dropped, its cloud
    (2) SCL's dark area and its snow (4) vegetation, both kept: the clouds went in as
    values and the clear land was dropped, exit 0."""
    with pytest.raises(DataError) as err:
        _plain_scl(tmp_path, _python_fmask(tmp_path))
    text = str(err.value)
    assert "python-fmask" in text and "SCL's codes" in text and "kind: scl" in text, text


# -- controls ---------------------------------------------------------------------------


def test_an_fmask4_file_of_cfmask_codes_reads_as_cfmask(tmp_path: Path) -> None:
    """Control: Fmask 4's MATLAB output (``*_Fmask4.tif``: CFmask's codes, 255 fill) with
    ``drop: [cloud]`` drops its clouds and keeps its shadow and snow."""
    mask = _write(tmp_path / "LC08_198024_20220301_Fmask4.tif", _codes(CFMASK), 255)
    out = _plain(tmp_path, mask, ["cloud"])
    assert _dropped(out, CLOUD)
    assert np.isfinite([out[r, c] for r, c in SHADOW + SNOW]).all()
    assert np.isnan(out[:, -1]).all()
    assert np.isfinite(out[:, :-1]).sum() == N * (N - 1) - len(CLOUD)


def test_a_cfmask_of_nodata_0_without_a_colour_table_still_reads(tmp_path: Path) -> None:
    """Control: a CFmask layer warped with ``-dstnodata 0`` (no colour table, no class
    names) is read as before."""
    mask = _write(tmp_path / "warped_cfmask.tif", _codes(CFMASK), 0)
    out = _plain(tmp_path, mask, None)
    assert _dropped(out, CLOUD + SHADOW + SNOW)
    assert np.isfinite(out[:, :-1]).sum() == N * (N - 1) - len(CLOUD + SHADOW + SNOW)


def test_a_cfmask_with_its_own_class_names_reads(tmp_path: Path) -> None:
    """Control: a CFmask layer whose attribute table names CFmask's own classes (as a
    user styles it in QGIS) is read as before."""
    mask = _write(tmp_path / "styled_cfmask.tif", _codes(CFMASK), 255)
    rows = "\n".join(
        f'      <Row index="{i}"><F>1</F><F>{n}</F></Row>'
        for i, n in enumerate(["Clear", "Water", "Cloud Shadow", "Snow", "Cloud"])
    )
    Path(f"{mask}.aux.xml").write_text(_RAT.format(rows=rows))
    out = _plain(tmp_path, mask, ["cloud"])
    assert _dropped(out, CLOUD)
    assert np.isfinite([out[r, c] for r, c in SHADOW + SNOW]).all()


SCL_NAMES = [
    "No Data",
    "Saturated or defective",
    "Topographic casted shadows",
    "Cloud shadows",
    "Vegetation",
    "Not vegetated",
    "Water",
    "Unclassified",
    "Cloud medium probability",
    "Cloud high probability",
    "Thin cirrus",
    "Snow or ice",
]
"""ESA's SCL class names (baseline 04.00 on: class 2 is topographic casted shadows)."""


def test_an_scl_with_esas_class_names_reads_as_scl(tmp_path: Path) -> None:
    """Control: an SCL layer whose attribute table names ESA's classes (its class 2,
    topographic casted shadows, is no cloud shadow) masks as before."""
    scl = np.full((N, N), 4, np.uint8)
    for r, c in CLOUD:
        scl[r, c] = 9
    scl[0, 0] = 2
    mask = _write(tmp_path / "T31UFT_20220301T104021_SCL_20m.tif", scl, 0)
    rows = "\n".join(
        f'      <Row index="{i}"><F>1</F><F>{n}</F></Row>' for i, n in enumerate(SCL_NAMES)
    )
    Path(f"{mask}.aux.xml").write_text(_RAT.format(rows=rows))
    src = RasterSource.model_validate(
        {
            "name": "s2",
            "bands": {"red": str(_red(tmp_path)), "scl": str(mask)},
            "scale": 0.0001,
            "cloud_mask": {"kind": "scl", "asset": "scl"},
        }
    )
    out = plan_raster(src, GRID)[0].compute(GRID, WINDOW)
    assert _dropped(out, CLOUD)
    assert np.isfinite(out).sum() == N * N - len(CLOUD)


@pytest.mark.skipif(shutil.which("gdal_calc.py") is None, reason="GDAL's gdal_calc.py")
def test_python_fmask_converted_as_the_message_says_reads_right(tmp_path: Path) -> None:
    """Control: the conversion the refusal gives (gdal_calc.py) makes python-fmask's
    output a CFmask layer that drops exactly its clouds under ``drop: [cloud]``."""
    fmask = _python_fmask(tmp_path, rat=False, palette=False)
    out_path = tmp_path / "cloud_cfmask.tif"
    subprocess.run(
        [
            "gdal_calc.py",
            "-A",
            str(fmask),
            f"--outfile={out_path}",
            "--quiet",
            "--calc=255*(A==0)+4*(A==2)+2*(A==3)+3*(A==4)+1*(A==5)",
            "--type=Byte",
            "--NoDataValue=255",
        ],
        check=True,
        capture_output=True,
    )
    with rasterio.open(out_path) as src:
        np.testing.assert_array_equal(src.read(1)[:, :-1], _codes(CFMASK)[:, :-1])
    out = _plain(tmp_path, out_path, ["cloud"])
    assert _dropped(out, CLOUD)
    assert np.isfinite([out[r, c] for r, c in SHADOW + SNOW]).all()


@pytest.mark.skipif(shutil.which("gdal_calc.py") is None, reason="GDAL's gdal_calc.py")
def test_python_fmask_converted_to_scl_as_the_message_says_reads_right(tmp_path: Path) -> None:
    """Control: the conversion to SCL's codes the refusal gives for ``kind: scl`` drops
    exactly python-fmask's clouds, shadows, snow and null under the default drop."""
    fmask = _python_fmask(tmp_path, rat=False, palette=False)
    out_path = tmp_path / "cloud_scl.tif"
    subprocess.run(
        [
            "gdal_calc.py",
            "-A",
            str(fmask),
            f"--outfile={out_path}",
            "--quiet",
            "--calc=4*(A==1)+9*(A==2)+3*(A==3)+11*(A==4)+6*(A==5)",
            "--type=Byte",
            "--NoDataValue=0",
        ],
        check=True,
        capture_output=True,
    )
    out = _plain_scl(tmp_path, out_path)
    assert _dropped(out, CLOUD + SHADOW + SNOW)
    assert np.isnan(out[:, -1]).all()
    assert np.isfinite(out).sum() == N * (N - 1) - len(CLOUD + SHADOW + SNOW)


# -- 2. a composite's count of the first band's looks -----------------------------------

SWIR_GAP = [(0, 0), (5, 7), (12, 19)]
"""Cells where two of the three scenes have no ``swir22`` value (the band's own fill)."""


def _item(root: Path, n: int, *, swir_gap: list[tuple[int, int]], red_gap=()) -> dict:
    """Scene ``n`` (values 100, 200, 300 ...) with a ``red`` and a ``swir22`` band, the
    swir band's fill (0) at ``swir_gap`` and the red band's at ``red_gap``."""
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


def _composite(
    root: Path, items: list[dict], method: str = "median", min_count: int = 1
) -> dict[str, np.ndarray]:
    from prospect.ingest.composite import plan_composite

    coll = root / "items.json"
    coll.write_text(json.dumps({"type": "FeatureCollection", "features": items}))
    src = RasterSource.model_validate(
        {
            "name": "st",
            "stac": str(coll),
            "assets": {"red": "red", "swir22": "swir22"},
            "composite": {"method": method, "min_count": min_count, "count_variable": True},
        }
    )
    layers = plan_composite(src, GRID)
    return {layer.name: layer.compute(GRID, WINDOW) for layer in layers}


@pytest.mark.parametrize("min_count", [1, 2])
def test_the_count_is_each_bands_own_looks(tmp_path: Path, min_count: int) -> None:
    """Three scenes, ``swir22`` no data in two of them at three cells: its median there is
    of one look (1000 x 3), or no data under ``min_count: 2``, while ``st_count`` said 3
    (the red band's looks), so a cell the count called a three-look median was one look,
    or no data in ``swir22`` at a count above ``min_count``."""
    items = [_item(tmp_path, n, swir_gap=SWIR_GAP if n < 2 else []) for n in range(3)]
    out = _composite(tmp_path, items, min_count=min_count)
    gap = tuple(np.array(SWIR_GAP).T)
    assert (out["st_count"][gap] == 1).all(), out["st_count"][gap]
    rest = np.ones((N, N), bool)
    rest[gap] = False
    assert (out["st_count"][rest] == 3).all()
    assert (out["red"] == 200).all()
    if min_count == 1:
        assert (out["swir22"][gap] == 3000).all()
    else:
        assert np.isnan(out["swir22"][gap]).all()
    assert ((out["st_count"] >= min_count) == np.isfinite(out["swir22"])).all()


def test_the_count_of_a_first_band_with_gaps_of_its_own_is_the_fewest(tmp_path: Path) -> None:
    """The gaps in the first band (``red``) and others in ``swir22``: each cell counts the
    fewer of its bands' looks."""
    items = [
        _item(tmp_path, n, swir_gap=[(1, 1)] if n == 0 else [], red_gap=[(2, 2)] if n < 2 else [])
        for n in range(3)
    ]
    out = _composite(tmp_path, items)
    assert out["st_count"][1, 1] == 2 and out["st_count"][2, 2] == 1
    assert out["red"][2, 2] == 300 and out["swir22"][1, 1] == 2500


# -- controls ---------------------------------------------------------------------------


def test_the_count_of_bands_with_the_same_gaps_is_as_before(tmp_path: Path) -> None:
    """Control: both bands no data at the same cells of two scenes: count 1 there, 3
    elsewhere, values as before."""
    items = [
        _item(tmp_path, n, swir_gap=SWIR_GAP if n < 2 else [], red_gap=SWIR_GAP if n < 2 else [])
        for n in range(3)
    ]
    out = _composite(tmp_path, items)
    gap = tuple(np.array(SWIR_GAP).T)
    assert (out["st_count"][gap] == 1).all()
    assert (out["st_count"] >= 1).all() and (out["st_count"] <= 3).all()
    assert (out["red"][gap] == 300).all() and (out["swir22"][gap] == 3000).all()


def test_a_geomedian_counts_the_scenes_valid_in_every_band(tmp_path: Path) -> None:
    """Control: a geometric median's count is, as before, the scenes valid in every band
    (those it reduces)."""
    pytest.importorskip("geomad")
    items = [_item(tmp_path, n, swir_gap=SWIR_GAP if n < 2 else []) for n in range(3)]
    out = _composite(tmp_path, items, method="geomedian")
    gap = tuple(np.array(SWIR_GAP).T)
    assert (out["st_count"][gap] == 1).all()
    assert out["st_count"].sum() == 3 * N * N - 2 * len(SWIR_GAP)


# -- 1b. python-fmask output in STAC items that state their grids ------------------------


def _fmask_items(root: Path, mask_of: list[Path], stated: bool) -> Path:
    """Two items (``red`` and the cloud layer ``qa``), as rio-stac writes them for a user's
    own processed scenes: the grids stated in full (``proj:shape``, ``proj:transform``,
    ``proj:epsg``), so planning reads no header."""
    grid = {
        "proj:shape": [N, N],
        "proj:transform": [30.0, 0.0, ORIGIN[0], 0.0, -30.0, ORIGIN[1]],
        "proj:epsg": 32631,
    }
    items = []
    for n, mask in enumerate(mask_of):
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


def _fmask_composite(coll: Path) -> dict[str, np.ndarray]:
    from prospect.ingest.composite import plan_composite

    src = RasterSource.model_validate(
        {
            "name": "st",
            "stac": str(coll),
            "assets": {"red": "red"},
            "cloud_mask": {"kind": "cfmask", "asset": "qa", "drop": ["cloud"]},
            "composite": {"method": "median", "count_variable": True},
        }
    )
    layers = plan_composite(src, GRID)
    return {layer.name: layer.compute(GRID, WINDOW) for layer in layers}


@pytest.mark.parametrize("stated", [True, False], ids=["stated-grids", "headers"])
@pytest.mark.parametrize("rat", [True, False], ids=["attribute-table", "colour-table-only"])
def test_python_fmask_in_a_composite_is_refused(tmp_path: Path, stated: bool, rat: bool) -> None:
    """Two scenes' python-fmask output under ``kind: cfmask, drop: [cloud]`` in a
    composite: each scene's clouds went into the median as values, exit 0; with the items
    stating their grids no header of the layer was read at all."""
    masks = []
    for n in range(2):
        (tmp_path / f"m{n}").mkdir()
        masks.append(_python_fmask(tmp_path / f"m{n}", rat=rat))
    with pytest.raises(DataError) as err:
        _fmask_composite(_fmask_items(tmp_path, masks, stated))
    text = str(err.value)
    assert "cloud.tif" in text and "python-fmask" in text, text


def test_cfmask_layers_of_stated_grids_composite_as_before(tmp_path: Path) -> None:
    """Control: CFmask layers (255 fill) in items that state their grids: the clouds of
    each scene dropped, the rest the median of the two."""
    masks = []
    for n in range(2):
        masks.append(_write(tmp_path / f"cfmask{n}.tif", _codes(CFMASK), 255))
    out = _fmask_composite(_fmask_items(tmp_path, masks, True))
    assert _dropped(out["red"], CLOUD)
    assert (out["red"][np.isfinite(out["red"])] == 150).all()
    assert np.isnan(out["red"][:, -1]).all()


# -- 3. a composite variable with no value, or gaps of its own, planned without a word ------

ALL = [(r, c) for r in range(N) for c in range(N)]
LEFT = [(r, c) for r in range(N) for c in range(N // 2)]


def test_a_variable_with_no_value_in_any_scene_is_refused(tmp_path: Path) -> None:
    """``swir22`` no data (its fill) over the whole region in every scene (a band written
    as fill, an asset of another extent): the composite's ``swir22`` came out all no
    data, exit 0, without a word (the planning sampled the first variable's bands
    alone; ``red`` so empty was refused)."""
    items = [_item(tmp_path, n, swir_gap=ALL) for n in range(3)]
    with pytest.raises(DataError) as err:
        _composite(tmp_path, items)
    text = str(err.value)
    assert "'swir22'" in text and "no value in region 'cut'" in text, text
    assert "s0, s1, s2" in text, text


def test_a_variable_with_gaps_of_its_own_is_warned_of(tmp_path: Path) -> None:
    """``swir22`` no data over the western half of the region in every scene: half of
    its cells came out no data without a word."""
    items = [_item(tmp_path, n, swir_gap=LEFT) for n in range(3)]
    with pytest.warns(UserWarning) as caught:
        out = _composite(tmp_path, items)
    texts = [str(w.message) for w in caught]
    assert any("'swir22'" in t and "50%" in t for t in texts), texts
    assert np.isnan(out["swir22"][:, : N // 2]).all()


def test_a_variable_with_a_few_gaps_is_planned_quietly(tmp_path: Path) -> None:
    """Control: a few cells without ``swir22`` in two of three scenes (still one look):
    no warning, and the first variable's own refusal is as before."""
    import warnings

    items = [_item(tmp_path, n, swir_gap=SWIR_GAP if n < 2 else []) for n in range(3)]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _composite(tmp_path, items)
    assert not [w for w in caught if "swir22" in str(w.message)]
    empty = [_item(tmp_path, n, swir_gap=[], red_gap=ALL) for n in range(3)]
    with pytest.raises(DataError, match="no value in region 'cut': the band of every"):
        _composite(tmp_path, empty)


# -- 4. a Landsat Collection 1 BQA under another name read as QA_PIXEL --------------------

C1_CLEAR, C1_CLOUD = 2720, 2800
"""Landsat 8 Collection 1 BQA: clear land (low cloud, shadow, snow and cirrus
confidences: bits 5, 7, 9, 11) and a high-confidence cloud (bit 4, bits 5-6 high)."""
C2 = {"clear": 21824, "cloud": 22280, "water": 21952, "snow": 30048, "fill": 1}
"""Collection 2 QA_PIXEL values of Landsat 8 (USGS's table): clear land, cloud (high
confidence), water, snow, fill."""


def _qa(root: Path, values: np.ndarray, name: str) -> Path:
    return _write(root / name, values.astype(np.uint16), 1)


def _plain_qa(root: Path, mask: Path, drop: list[str] | None) -> np.ndarray:
    src = RasterSource.model_validate(
        {
            "name": "ls",
            "bands": {"red": str(_red(root)), "qa": str(mask)},
            "scale": 0.0001,
            "cloud_mask": {
                "kind": "qa_pixel",
                "asset": "qa",
                **({"drop": drop} if drop is not None else {}),
            },
        }
    )
    return plan_raster(src, GRID)[0].compute(GRID, WINDOW)


@pytest.mark.parametrize("drop", [["cloud"], None], ids=["drop-cloud", "default-drop"])
def test_a_renamed_collection_1_bqa_is_refused_as_qa_pixel(
    tmp_path: Path, drop: list[str] | None
) -> None:
    """A Collection 1 BQA saved as ``qa.tif`` under ``kind: qa_pixel``: with ``drop:
    [cloud]`` (what the refusal of the default drop asked for: drop fewer classes) its
    clouds (C1 bit 4, C2's shadow) were kept, exit 0; with the default drop every pixel
    (snow, bit 5, on all) was dropped and refused as "no clear pixel ... drop fewer
    classes"."""
    values = np.full((N, N), C1_CLEAR)
    for r, c in CLOUD:
        values[r, c] = C1_CLOUD
    values[:, -1] = 1
    with pytest.raises(DataError) as err:
        _plain_qa(tmp_path, _qa(tmp_path, values, "qa.tif"), drop)
    text = str(err.value)
    assert "qa.tif" in text and "Collection 1 BQA" in text and "bit 5" in text, text


def test_collection_2_qa_pixel_values_mask_as_before(tmp_path: Path) -> None:
    """Control: Collection 2 QA_PIXEL values (clear, cloud, water, snow, fill) under the
    default drop: cloud, snow and fill dropped, clear land and water kept."""
    values = np.full((N, N), C2["clear"])
    for r, c in CLOUD:
        values[r, c] = C2["cloud"]
    for r, c in SNOW:
        values[r, c] = C2["snow"]
    for r, c in SHADOW:
        values[r, c] = C2["water"]
    values[:, -1] = C2["fill"]
    out = _plain_qa(tmp_path, _qa(tmp_path, values, "qa.tif"), None)
    assert _dropped(out, CLOUD + SNOW)
    assert np.isfinite([out[r, c] for r, c in SHADOW]).all()
    assert np.isfinite(out[:, :-1]).sum() == N * (N - 1) - len(CLOUD + SNOW)
