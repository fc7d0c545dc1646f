"""An upper limit written with its unit after the limit (``>UDL 1000 ppm``,
``G(1000) ppm``, ``UDL (1000 ppm)``) read as missing, "write numbers only", where the same
limit without its unit was read; and occurrence tables in VN-2000 provincial TM-3 metres
(``VN-2000 / TM-3 106-30``, Thái Nguyên's) given the UTM zone's CRS (a shift of 80 to
200 km) counted outside the region with no word of the CRS that fits.

Found by feeding the labels reader (``prospect.models.labels.read_occurrences``) and the
point reader (``prospect.io.points.read_points``) what laboratories and partner agencies
export (2026-12-07), taking round 61b's "found and left". Every table is small and
SYNTHETIC: round 56's eight wells in the Netherlands, and eight tungsten occurrences near
Thái Nguyên and Lai Châu (Vietnam) written in a TM-3 zone's metres with pyproj.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pyproj import Transformer

from prospect.grid import RegionGrid
from prospect.io.points import read_points
from prospect.models.labels import grade_occurrences, read_occurrences

from .test_vectors_round22 import _caught

NL_PLACES = [(5.1 + 0.05 * i, 52.0 + 0.03 * i) for i in range(8)]
"""Round 56's eight SYNTHETIC wells in the Netherlands, in degrees."""
NL = RegionGrid(
    name="nlrd", crs="EPSG:28992", resolution=1000, bounds=(100_000, 400_000, 200_000, 500_000)
)
"""A region in RD New around them."""

_PPM = ["12 ppm", "<0.5 ppm", "15 ppm", "20 ppm", "11 ppm", "13 ppm", "14 ppm", "16 ppm"]
"""SYNTHETIC grade cells with their unit, as an assay export writes them."""
_PLAIN = ["12", "<0.5", "15", "20", "11", "13", "14", "16"]
"""SYNTHETIC grade cells without a unit."""


def _table(folder: Path, cells: list[str]) -> Path:
    """The SYNTHETIC wells as a CSV with grade cells ``cells`` (column ``li``)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "wells.csv"
    path.write_text("lon,lat,li\n" + "".join(
        f'{x},{y},"{c}"\n' for (x, y), c in zip(NL_PLACES, cells, strict=True)), "utf-8")
    return path


def _labels(path: Path, **options: Any) -> tuple[Any, list[str], Exception | None]:
    """The labels reader's read of ``path``'s grade column ``li``."""
    return _caught(lambda: read_occurrences(path, NL, value_column="li", **options))


def _with(cell: str, cells: list[str] = _PPM, at: int = 3) -> list[str]:
    """``cells`` with ``cell`` at row ``at``."""
    out = list(cells)
    out[at] = cell
    return out


# --- an upper limit with its unit after the limit -----------------------------------------

_ABOVE = [">UDL 1000 ppm", "G(1000) ppm", "G(1000 ppm)", "UDL (1000 ppm)", "1000G ppm",
          "over range 1000 ppm", "ULOQ: 1000 ppm", "> UDL 1000ppm"]


@pytest.mark.parametrize("cell", _ABOVE)
def test_an_upper_limit_with_its_unit_after_the_limit_is_its_lower_bound(
    tmp_path: Path, cell: str
) -> None:
    """SYNTHETIC: grades written with their unit (``12 ppm``), one above the laboratory's
    upper limit written with its words or the USGS qualifier and the unit after the limit
    (``>UDL 1000 ppm``, ``G(1000) ppm``) or inside its brackets (``G(1000 ppm)``). Before:
    missing, "write numbers only (units belong in the header)", where ``>UDL 1000`` and
    ``>1000 ppm`` were read: the richest sample was never a positive; now read as 1000
    ppm, the grade's lower bound, and said as above a limit."""
    occ, said, error = _labels(_table(tmp_path, _with(cell)))
    assert error is None, error
    assert np.array_equal(occ.values, [12, np.nan, 15, 1000, 11, 13, 14, 16], equal_nan=True)
    assert bool(occ.floor[3]) and occ.unit == "ppm" and occ.limit[1] == 0.5
    assert not any("not finite numbers" in w for w in said), said
    (above,) = [w for w in said if "above an upper limit of determination" in w]
    assert f"(line 5; e.g. {cell!r})" in above, above
    positive, _ = grade_occurrences(occ, threshold=500.0)
    assert positive.tolist() == [False, False, False, True, False, False, False, False]


def test_an_upper_limit_with_its_unit_in_a_column_of_that_unit_is_read(
    tmp_path: Path,
) -> None:
    """SYNTHETIC: plain grades under ``units: {li: ppm}`` and one ``G(1000) ppm``. Before:
    missing ("write numbers only"); now 1000 ppm, a lower bound, as ``>1000 ppm`` is."""
    occ, said, error = _labels(_table(tmp_path, _with("G(1000) ppm", _PLAIN)),
                               units={"li": "ppm"})
    assert error is None, error
    assert np.array_equal(occ.values, [12, np.nan, 15, 1000, 11, 13, 14, 16], equal_nan=True)
    assert bool(occ.floor[3]) and occ.unit == "ppm"
    assert not any("not finite numbers" in w for w in said), said


@pytest.mark.parametrize("cell", ["G(1000) ppm", ">UDL 1000 ppm"])
def test_an_upper_limit_with_a_unit_the_column_does_not_state_names_that_unit(
    tmp_path: Path, cell: str
) -> None:
    """SYNTHETIC: plain grades stating no unit and one ``G(1000) ppm``. Still missing (the
    plain numbers' unit is not known, as for ``>1000 ppm``, round 61b); before, said as
    "write numbers only (units belong in the header)"; now as a unit the column does not
    state, with ``units: {li: ppm}`` (which reads it) as the fix."""
    occ, said, error = _labels(_table(tmp_path, _with(cell, _PLAIN)))
    assert error is None, error
    assert np.isnan(occ.values[3]) and occ.values[0] == 12.0
    (missing,) = [w for w in said if "not finite numbers" in w]
    assert (f"1 are written in ppm, a unit the column does not state ({cell!r}): state "
            "the column's unit ('units: {li: ppm}' in the points source") in missing, missing


def test_the_point_reader_says_it_as_above_a_limit(tmp_path: Path) -> None:
    """SYNTHETIC: the same column read for a surface (``read_points``), which reads no
    upper limit as a value. Before: "write numbers only (units belong in the header)";
    now said as above an upper limit, with the fix for that."""
    table, said, error = _caught(lambda: read_points(
        _table(tmp_path, _with(">UDL 1000 ppm")), x="lon", y="lat", to_crs="EPSG:4326",
        columns=["li"]))
    assert error is None, error
    assert np.isnan(table.values["li"][3]) and table.values["li"][0] == 12.0
    (missing,) = [w for w in said if "not finite numbers" in w]
    assert "1 are above an upper limit ('>UDL 1000 ppm')" in missing, missing
    assert "write numbers only" not in missing, missing


# --- a plain number among cells written with their unit -----------------------------------


@pytest.mark.parametrize(("cell", "at"), [("20", 3), ("16", 7), ("12.0", 0)])
def test_a_plain_number_among_unit_cells_is_read_in_their_unit(
    tmp_path: Path, cell: str, at: int
) -> None:
    """SYNTHETIC: a lab's grades written ``12 ppm``, one typed by hand without the unit
    (``20``). Before: every ``12 ppm`` of the column missing ("7 of 8 value(s) ... written
    in ppm, a unit the column does not state", round 30): one hand-typed grade lost the
    others, and the labels their positives; now the plain numbers (at most a quarter of
    the column's numbers) are read in the unit the others write, said with the fix."""
    occ, said, error = _labels(_table(tmp_path, _with(cell, at=at)))
    assert error is None, error
    expected = [12, np.nan, 15, 20, 11, 13, 14, 16]
    expected[at] = float(cell)
    assert np.array_equal(occ.values, expected, equal_nan=True), occ.values
    assert occ.unit == "ppm" and occ.limit[1] == 0.5
    assert not any("not finite numbers" in w for w in said), said
    (told,) = [w for w in said if "are plain numbers among" in w]
    assert (f"1 value(s) in column 'li' are plain numbers among 6 value(s) written in ppm "
            f"(line {at + 2}; e.g. {cell!r}): each is read in ppm, the unit the others "
            "write; if it is in another unit, write it with its unit") in told, told
    positive, _ = grade_occurrences(occ, threshold=14.5)
    assert positive.tolist()[2:4] == [True, True], positive


def test_the_point_reader_reads_the_plain_number_in_their_unit_too(tmp_path: Path) -> None:
    """SYNTHETIC: the same column read for a surface (``read_points``). Before: seven of
    eight wells left out of the surface; now all read, in ppm."""
    table, said, error = _caught(lambda: read_points(
        _table(tmp_path, _with("20")), x="lon", y="lat", to_crs="EPSG:4326",
        columns=["li"]))
    assert error is None, error
    values = table.values["li"]
    assert values[[0, 2, 3, 4, 5, 6, 7]].tolist() == [12.0, 15.0, 20.0, 11.0, 13.0, 14.0,
                                                      16.0], values
    assert any("are plain numbers among" in w for w in said), said


# --- VN-2000 provincial TM-3 metres given the UTM zone's CRS --------------------------------

THAI_NGUYEN = RegionGrid(name="thainguyen", crs="EPSG:3405", resolution=500,
                         bounds=(560_000, 2_380_000, 620_000, 2_430_000))
"""A SYNTHETIC region near Thái Nguyên's tungsten (about 21.7 N 105.7 E), VN-2000 / UTM 48N."""
LAI_CHAU = RegionGrid(name="laichau", crs="EPSG:3405", resolution=500,
                      bounds=(320_000, 2_450_000, 380_000, 2_500_000))
"""A SYNTHETIC region over Lai Châu's rare earths (about 22.4 N 103.4 E), VN-2000 / UTM 48N."""
_PLACES = {"thainguyen": [(105.75 + 0.04 * i, 21.62 + 0.03 * i) for i in range(8)],
           "laichau": [(103.3 + 0.04 * i, 22.2 + 0.03 * i) for i in range(8)]}
"""Eight SYNTHETIC tungsten occurrences in each region, in degrees (WGS 84)."""


def _tm3(folder: Path, grid: RegionGrid, code: str) -> Path:
    """The region's SYNTHETIC occurrences as a CSV of metres in CRS ``code``."""
    to = Transformer.from_crs("EPSG:4326", code, always_xy=True)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "occurrences.csv"
    path.write_text("x,y,commodity\n" + "".join(
        f"{x:.1f},{y:.1f},tungsten\n" for x, y in (to.transform(*p) for p in
                                                   _PLACES[grid.name])), "utf-8")
    return path


def _occurrences(path: Path, grid: RegionGrid, crs: str) -> tuple[Any, list[str],
                                                                  Exception | None]:
    """The labels reader's read of ``path`` in ``crs`` for ``grid``."""
    return _caught(lambda: read_occurrences(path, grid, x="x", y="y", crs=crs,
                                            mineral="tungsten"))


@pytest.mark.parametrize(("grid", "code", "name"), [
    (THAI_NGUYEN, "EPSG:9213", "VN-2000 / TM-3 106-30"),
    (THAI_NGUYEN, "EPSG:9210", "VN-2000 / TM-3 105-45"),
    (LAI_CHAU, "EPSG:9205", "VN-2000 / TM-3 103-00"),
], ids=["thai-nguyen-106-30", "105-45", "lai-chau-103-00"])
def test_provincial_tm3_metres_given_the_utm_zones_crs_name_the_tm3_zone(
    tmp_path: Path, grid: RegionGrid, code: str, name: str
) -> None:
    """SYNTHETIC: a province's occurrence table in its VN-2000 TM-3 metres (central
    meridian 106°30', k 0.9999), given the region's ``crs: EPSG:3405`` (VN-2000 / UTM
    48N, central meridian 105°). Before: every record outside the region, 80 to 200 km
    west or east, without a word (training's "0 positive cells ... check the crs"
    alone); now a warning names the TM-3 zone that puts them in it, and training's hint
    carries it."""
    occ, said, error = _occurrences(_tm3(tmp_path, grid, code), grid, "EPSG:3405")
    assert error is None, error
    (outside,) = [w for w in said if "lie outside region" in w]
    assert (f"8 of 8 occurrence record(s) lie outside region {grid.name!r} in the source's "
            f"CRS, VN-2000 / UTM zone 48N; read in {code} ({name}), 8 of 8 would lie in "
            f"region {grid.name!r}: set 'crs: \"{code}\"' in the points source if that is "
            "their CRS") in outside, outside
    assert f"'crs: \"{code}\"'" in occ.crs_hint, occ.crs_hint


def test_two_central_meridians_that_both_fit_are_both_named(tmp_path: Path) -> None:
    """SYNTHETIC: UTM 48N metres near Lai Châu given RD New (``crs: EPSG:28992``), for a
    region 140 km wide, where VN-2000 / UTM 48N and TM-3 104-45 (26 km apart there) both
    put them in it. Before: no CRS named; now both, with which tells them apart, and
    not WGS 84 / UTM 48N beside VN-2000's (the same places, 200 m apart)."""
    grid = RegionGrid(name="laichau", crs="EPSG:3405", resolution=500,
                      bounds=(250_000, 2_430_000, 420_000, 2_520_000))
    _, said, error = _occurrences(_tm3(tmp_path, grid, "EPSG:3405"), grid, "EPSG:28992")
    assert error is None, error
    (outside,) = [w for w in said if "lie outside region" in w]
    assert "read in EPSG:3405 (VN-2000 / UTM zone 48N) or EPSG:9208 (VN-2000 / TM-3 " \
           "104-45), 8 of 8 would lie in region 'laichau': set 'crs:' in the points " \
           "source to the one that is their CRS" in outside, outside
    assert "EPSG:32648" not in outside, outside


# --- controls -------------------------------------------------------------------------------


def test_control_limits_and_unit_cells_read_as_before(tmp_path: Path) -> None:
    """SYNTHETIC: ``>UDL 1000`` and ``G(1000)`` without a unit among plain grades (their
    limit, rounds 25-27), ``>1000 ppm`` among unit cells (its limit, round 61b), and a
    column of ``12 ppm`` cells: each value as before."""
    for name, cell, cells in (("a", ">UDL 1000", _PLAIN), ("b", "G(1000)", _PLAIN),
                              ("c", ">1000 ppm", _PPM), ("d", "20 ppm", _PPM)):
        occ, _, error = _labels(_table(tmp_path / name, _with(cell, cells)))
        assert error is None, error
        value = 20 if name == "d" else 1000
        assert np.array_equal(occ.values, [12, np.nan, 15, value, 11, 13, 14, 16],
                              equal_nan=True), (cell, occ.values)
        assert bool(occ.floor[3]) == (name != "d"), cell


def test_control_plain_numbers_that_are_many_keep_the_unit_cells_missing(
    tmp_path: Path,
) -> None:
    """SYNTHETIC: three plain numbers among five ``ppm`` cells (more than a quarter): the
    plain numbers read and the unit cells missing, said with ``units:`` as the fix, as
    round 30 decided."""
    cells = ["12 ppm", "<0.5 ppm", "15 ppm", "20", "11 ppm", "13 ppm", "14", "16"]
    occ, said, error = _labels(_table(tmp_path, cells))
    assert error is None, error
    assert np.array_equal(occ.values, [np.nan, np.nan, np.nan, 20, np.nan, np.nan, 14, 16],
                          equal_nan=True), occ.values
    assert any("a unit the column does not state" in w for w in said), said
    assert not any("are plain numbers among" in w for w in said), said


def test_control_points_in_the_regions_crs_and_rd_new_under_utm_as_before(
    tmp_path: Path,
) -> None:
    """SYNTHETIC: the occurrences in the region's own CRS (no word, all inside), and RD
    New metres of the Dutch wells under ``crs: EPSG:32631``, named as before."""
    occ, said, error = _occurrences(_tm3(tmp_path / "a", THAI_NGUYEN, "EPSG:3405"),
                                    THAI_NGUYEN, "EPSG:3405")
    assert error is None and occ.crs_hint == "", error
    assert not any("outside region" in w for w in said), said
    rd = Transformer.from_crs("EPSG:4326", "EPSG:28992", always_xy=True)
    folder = tmp_path / "b"
    folder.mkdir()
    path = folder / "wells.csv"
    path.write_text("x,y\n" + "".join(f"{x:.1f},{y:.1f}\n" for x, y in
                                      (rd.transform(*p) for p in NL_PLACES)), "utf-8")
    occ, said, error = _caught(lambda: read_occurrences(path, NL, x="x", y="y",
                                                        crs="EPSG:32631"))
    assert error is None, error
    assert occ.crs_hint == ("; read in EPSG:28992 (Amersfoort / RD New), 8 of 8 would lie "
                            "in region 'nlrd': set 'crs: \"EPSG:28992\"' in the points "
                            "source if that is their CRS"), occ.crs_hint
