"""Round 34: imagery.

1. python-fmask's Landsat output read as CFmask over a region that reaches the scene's
   edge (its null, 0, passed for CFmask's clear land) or copied without its nodata:
   its clouds (2, CFmask's shadow) kept by ``drop: [cloud]`` as values, exit 0.
2. An Earth Search item id (its satellite, no orbit) beside items of two orbits of that
   satellite on one day (high latitudes): both passes joined into one look, counted once
   and mosaicked, the second pass's values lost, exit 0.
3. A user's own catalogue of band files in their ``.SAFE`` folders (ids of its own, no
   collection or product type): an L1C item (top of atmosphere) beside L2A ones went into
   one median without a word, and the baseline the folders state was not read (the item
   refused as stating none).

SYNTHETIC 20 x 20 uint16 band files and uint8 quality layers written into ``tmp_path``
with rasterio and listed in item collections as a user's catalogue holds them, read through
the plain sources' real planning (``plan_raster``) and a composite's (``plan_composite``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio

from prospect.errors import DataError
from tests.robustness.test_imagery_round33 import (  # SYNTHETIC bands, items, planning
    ORIGIN,
    PLAIN,
    _collection,
    _fmask_codes,
    _item,
    _mask_source,
    _plan,
    _write,
)

# -- 1. python-fmask's codes at the scene's edge, or without a nodata, read as CFmask ----------

EDGE = 6
"""Columns 0-5 lie outside the scene's footprint: python-fmask's null, the band's fill."""


def _at_edge(root: Path, codes: np.ndarray, nodata: int | None) -> dict[str, Any]:
    """The quality-layer source of ``codes`` whose first :data:`EDGE` columns are outside
    the scene: code 0 in the layer (python-fmask's null; a warped CFmask's fill) and the
    band's fill (0) there, as a region reaching a Landsat scene's edge holds them."""
    codes = codes.copy()
    codes[:, :EDGE] = 0
    spec = _mask_source(root, codes, nodata)
    with rasterio.open(root / "red.tif", "r+") as dst:
        red = dst.read(1)
        red[:, :EDGE] = 0
        dst.write(red, 1)
    return spec


def test_python_fmask_codes_at_the_scene_edge_are_refused_as_cfmask(tmp_path: Path) -> None:
    """python-fmask's output (nodata 0) over a region reaching the scene's edge: its null
    there passed for CFmask's clear land, so the layer was read as CFmask and its cloud (2,
    rows 0-4) kept by ``drop: [cloud]`` as CFmask's shadow, exit 0."""
    spec = _at_edge(tmp_path, _fmask_codes(2), 0)
    with pytest.raises(
        DataError,
        match=r"fmask\.tif: not a cfmask .*nodata is 0.*where its scene's band holds values"
        r".*python-fmask.*gdal_calc",
    ):
        _plan(spec)


@pytest.mark.parametrize("edge", [False, True], ids=["inside", "at-edge"])
def test_python_fmask_codes_without_a_nodata_are_refused_as_cfmask(
    tmp_path: Path, edge: bool
) -> None:
    """The same output copied by a tool that dropped its nodata (``gdal_translate
    -a_nodata none``): only a layer stating nodata 0 was compared, and its clouds were kept
    as values, exit 0."""
    codes = _fmask_codes(2)
    spec = _at_edge(tmp_path, codes, None) if edge else _mask_source(tmp_path, codes, None)
    with pytest.raises(DataError, match=r"fmask\.tif: not a cfmask .*states no nodata"):
        _plan(spec)


@pytest.mark.parametrize("nodata", [0, None], ids=["dstnodata-0", "no-nodata"])
def test_a_warped_cfmask_at_the_scene_edge_reads_as_before(
    tmp_path: Path, nodata: int | None
) -> None:
    """Control: a CFmask warped with ``-dstnodata 0`` (or without a nodata) over a coast
    that reaches the scene's edge (0 outside it, clear land on row 7, water on rows 8-19):
    the cloud dropped, the scene's outside no data, the rest kept."""
    codes = _fmask_codes(4)
    codes[8:] = 1
    red = _plan(_at_edge(tmp_path, codes, nodata))["red"]
    assert np.isnan(red[:5]).all() and np.isnan(red[:, :EDGE]).all()
    np.testing.assert_allclose(red[5:, EDGE:], 0.1, rtol=1e-5)


# -- 2. an item of a satellite alone beside two orbits of it on one day ----------------------

S2A_122 = {"platform": "sentinel-2a", "sat:relative_orbit": 122}
ORBIT_122 = "S2A_MSIL2A_20210301T104021_N0500_R122_T31UFT_20230101T000000"
ORBIT_123 = "S2A_MSIL2A_20210301T122021_N0500_R123_T31UFT_20230101T000000"


def _two_orbits(root: Path, when: str, second: str = ORBIT_123) -> dict[str, Any]:
    """A median composite of one day of S2A: orbit 122 at 10:40 (DN 1000, columns 0-13),
    a user's Earth Search item ``S2A_31UGT_20210301_0_L2A`` without a platform or orbit
    at ``when`` (DN 1000, columns 6-19) and ``second`` at 12:20 (DN 3000, all columns)."""
    items = [
        _item(
            ORBIT_122,
            _write(root / "a" / "B04.tif", 1000, 14),
            "2021-03-01T10:40:21Z",
            S2A_122,
            **{"raster:bands": [PLAIN]},
        ),
        _item(
            "S2A_31UGT_20210301_0_L2A",
            _write(root / "x" / "B04.tif", 1000, 14, ORIGIN[0] + 180.0),
            when,
            {},
            **{"raster:bands": [PLAIN]},
        ),
        _item(
            second,
            _write(root / "b" / "B04.tif", 3000),
            "2021-03-01T12:20:21Z",
            {"platform": "sentinel-2a", "sat:relative_orbit": int(second.split("_R")[1][:3])},
            **{"raster:bands": [PLAIN]},
        ),
    ]
    return {
        "name": "s2",
        "stac": str(_collection(root, items)),
        "assets": {"red": "B04"},
        "composite": {"method": "median"},
    }


def test_an_item_without_an_orbit_joins_the_pass_of_its_time(tmp_path: Path) -> None:
    """The item of 10:40:25 without an orbit beside orbit 122 (10:40:21) and orbit 123
    (12:20:21): the three were one look (``s2_count`` 1, the median 0.1, orbit 123's 0.3
    lost), exit 0. Now it is orbit 122's: two looks everywhere, the median 0.2."""
    out = _plan(_two_orbits(tmp_path, "2021-03-01T10:40:25Z"))
    assert (out["s2_count"] == 2).all(), out["s2_count"][0]
    np.testing.assert_allclose(out["red"], 0.2, rtol=1e-5)


def test_an_item_of_no_time_beside_two_orbits_is_refused(tmp_path: Path) -> None:
    """The same item dated by its day alone (``2021-03-01T00:00:00Z``): which of the two
    passes it is cannot be told; it joined both into one look, exit 0."""
    with pytest.raises(
        DataError,
        match=r"items\.json: item 'S2A_31UGT_20210301_0_L2A' states satellite s2a on "
        r"2021-03-01 but not its orbit .*orbit 122 .*orbit 123 .*sat:relative_orbit",
    ):
        _plan(_two_orbits(tmp_path, "2021-03-01T00:00:00Z"))


def test_an_item_of_no_time_beside_one_orbit_joins_it(tmp_path: Path) -> None:
    """Control: the item of no time beside one pass of its satellite that day (the third
    item of 2021-03-11): one look with it, as before (two looks, the median 0.2)."""
    second = ORBIT_123.replace("20210301T122021", "20210311T122021")
    spec = _two_orbits(tmp_path, "2021-03-01T00:00:00Z", second)
    items = Path(spec["stac"])
    items.write_text(items.read_text().replace("2021-03-01T12:20:21Z", "2021-03-11T12:20:21Z"))
    out = _plan(spec)
    assert (out["s2_count"] == 2).all(), out["s2_count"][0]
    np.testing.assert_allclose(out["red"], 0.2, rtol=1e-5)


# -- 3. a user's catalogue of band files in .SAFE folders ----------------------------------------

SAFE = "S2A_MSI{level}_{d}T104021_N{b}_R008_T31UFT_{d}T111111.SAFE"


def _safe_band(root: Path, level: str, day: str, baseline: str, value: int) -> Path:
    """A band file where ESA's product puts it: an L1C granule's ``T31UFT_..._B04``, an L2A
    granule's ``R10m/T31UFT_..._B04_10m``."""
    folder = root / SAFE.format(level=level, d=day, b=baseline) / "GRANULE" / "G" / "IMG_DATA"
    if level == "L2A":
        return _write(folder / "R10m" / f"T31UFT_{day}T104021_B04_10m.tif", value)
    return _write(folder / f"T31UFT_{day}T104021_B04.tif", value)


def _safe_items(root: Path, *bands: tuple[str, str, str, int], **asset: Any) -> dict:
    items = [
        _item(
            f"scene-{n}",
            _safe_band(root, level, day, baseline, value),
            f"{day[:4]}-{day[4:6]}-{day[6:]}T10:40:21Z",
            {"platform": "sentinel-2a"},
            **asset,
        )
        for n, (level, day, baseline, value) in enumerate(bands)
    ]
    return {
        "name": "s2",
        "stac": str(_collection(root, items)),
        "assets": {"red": "B04"},
        "scale": 0.0001,
        "composite": {"method": "median"},
    }


def test_l1c_and_l2a_items_by_their_folders_are_refused_in_one_composite(
    tmp_path: Path,
) -> None:
    """An L1C item (top of atmosphere, 0.1) and an L2A one (surface, 0.3) of a user's
    catalogue that states no level but in its band files' folders: one median of 0.2,
    ``s2_count`` 2, exit 0."""
    spec = _safe_items(
        tmp_path,
        ("L1C", "20210301", "0209", 1000),
        ("L2A", "20210311", "0209", 3000),
        **{"raster:bands": [PLAIN]},
    )
    with pytest.raises(
        DataError, match=r"1 of 2 STAC items are Level-1 .*'scene-0'.*Level-2 .*'scene-1'"
    ):
        _plan(spec)


@pytest.mark.parametrize(
    ("day", "baseline", "value"),
    [("20210311", "0209", 0.3), ("20220311", "0400", 0.2)],
    ids=["02.09", "04.00"],
)
def test_the_baseline_of_the_band_files_folder_is_read(
    tmp_path: Path, day: str, baseline: str, value: float
) -> None:
    """The same catalogue without ``raster:bands``: the item was refused as stating no
    processing baseline ("add the product's s2:processing_baseline") beside the ESA name
    that states it; DN 3000 reads 0.3 (02.09) and 0.2 (04.00, its -1000 offset)."""
    spec = _safe_items(tmp_path, ("L2A", day, baseline, 3000))
    np.testing.assert_allclose(_plan(spec)["red"], value, rtol=1e-5)


def test_a_folder_baseline_its_date_contradicts_is_refused(tmp_path: Path) -> None:
    """An item of 2022-03-11 in a folder of baseline 03.00 (none such exists): refused
    naming the folder, as a stated 03.00 is, not read without the offset."""
    spec = _safe_items(tmp_path, ("L2A", "20220311", "0300", 3000))
    with pytest.raises(
        DataError, match=r"acquired 2022-03-11, states processing baseline 03\.00 \(the folder"
    ):
        _plan(spec)


def test_l2a_items_of_one_level_in_folders_read_as_before(tmp_path: Path) -> None:
    """Control: two L2A items in their folders, stating ``raster:bands``: one median of
    0.1 and 0.3, 0.2, with two looks."""
    spec = _safe_items(
        tmp_path,
        ("L2A", "20210301", "0209", 1000),
        ("L2A", "20210311", "0209", 3000),
        **{"raster:bands": [PLAIN]},
    )
    out = _plan(spec)
    assert (out["s2_count"] == 2).all()
    np.testing.assert_allclose(out["red"], 0.2, rtol=1e-5)


def test_a_datatake_of_another_time_beside_an_orbit_stays_two_looks(tmp_path: Path) -> None:
    """A user's item stating only ``s2:datatake_id`` (S2A's datatake of 12:20) beside an
    item of S2A's orbit 122 at 10:40 (no datatake): neither orbit nor datatake told them
    apart, so S2A's name alone joined two passes into one look (``s2_count`` 1, the median
    0.1), exit 0."""
    items = [
        _item(
            "mine-a",
            _write(tmp_path / "a" / "B04.tif", 1000),
            "2021-03-01T10:40:21Z",
            S2A_122,
            **{"raster:bands": [PLAIN]},
        ),
        _item(
            "mine-d",
            _write(tmp_path / "d" / "B04.tif", 3000),
            "2021-03-01T12:20:21Z",
            {"s2:datatake_id": "GS2A_20210301T122021_029714_N05.00"},
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
