"""Occurrences east of the antimeridian and on longitudes 0..360, commodity cells saying
"not determined" or naming a deposit type, brine surfaces in millimolar or ``wt %``, and a
vector file of another projected CRS read by the point reader for a region.

Found by feeding the train stage's label reading (``prospect.models.training.read_labels``),
the point reader (``points.read_points``) and the economic screening
(``screening.plan_economics``) what a survey scientist keeps (2026-12-05): in a region across
the antimeridian (Fiji) the occurrences given as -179.95 were counted outside the region
without a word, and so was every occurrence of a table on longitudes 0..360 under a region
west of Greenwich; ``ND`` (not determined) in a commodity column was neodymium and ``LCT
pegmatite`` no commodity at all; surfaces in ``mM``, ``µM``, ``wt %`` and ``ppmw`` were "not
a lithium concentration". Every file is small and SYNTHETIC.
"""

from __future__ import annotations

import csv
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from pyproj import Transformer

from prospect.config.economics import EconomicsConfig
from prospect.config.model import LabelsConfig
from prospect.config.sources import PointSource
from prospect.errors import DataError
from prospect.grid import RegionGrid
from prospect.io.points import read_points
from prospect.models.training import read_labels
from prospect.screening import plan_economics

from .test_labels_round28 import RD, _place
from .test_screening_round27 import _cube
from .test_vectors_round22 import _caught

FIJI = RegionGrid(
    name="fiji",
    crs="EPSG:4326",
    resolution=0.01,
    bounds=(179.8, -17.1, 180.2, -16.9),
    chunks=(20, 40),
)
"""A region across the antimeridian, in degrees (its longitudes pass 180)."""
WEST = RegionGrid(
    name="west",
    crs="EPSG:4326",
    resolution=0.001,
    bounds=(-5.04, 52.0, -5.0, 52.04),
    chunks=(20, 20),
)
"""A region just west of Greenwich, in degrees."""
UTM31 = RegionGrid(
    crs="EPSG:32631", resolution=100.0, bounds=(640_000.0, 5_760_000.0, 680_000.0, 5_790_000.0)
)
"""A region of 100 m cells in UTM 31N over the places of :func:`_place`."""


def _occurrences(path: Path, rows: list[tuple[float, float, float]]) -> Path:
    """A SYNTHETIC CSV ``lon, lat, li`` of ``rows``."""
    path.write_text("lon,lat,li\n" + "".join(f"{x},{y},{v}\n" for x, y, v in rows), "utf-8")
    return path


def _counts(path: Path, grid: RegionGrid) -> dict[str, object]:
    """The train stage's label counts of ``path`` graded by ``li`` at 20 in ``grid``."""
    source = PointSource(kind="points", name="occ", path=str(path))
    config = LabelsConfig(source="occ", value_column="li", threshold=20, negatives="both")
    out, _, error = _caught(lambda: read_labels(source, grid, config))
    assert error is None and out is not None, error
    return dict(out[0].counts)


# --- longitudes past 180, and 0..360 ---------------------------------------------------------


def test_occurrences_east_of_180_are_in_a_region_across_it(tmp_path: Path) -> None:
    """Fiji's region spans 179.8..180.2; two occurrences east of 180 are given as -179.95 and
    -179.85. Before: those two counted outside the region without a word (1 positive cell
    of the 3 positives), exit 0. Now each record's longitude is the one nearest the region
    (``labels._around_region``, the rule of ``surfaces.around_region``): all four in."""
    rows = [(179.85, -17.0, 10), (179.95, -16.95, 30), (-179.95, -17.05, 30), (-179.85, -16.95, 32)]
    counts = _counts(_occurrences(tmp_path / "fiji.csv", rows), FIJI)
    assert counts["outside_grid"] == 0, counts
    assert (counts["positive_cells"], counts["negative_cells"]) == (3, 1), counts


def test_a_table_on_longitudes_0_to_360_labels_a_region_west_of_0(tmp_path: Path) -> None:
    """Occurrences at 354.97..354.99 E (5.03..5.01 W, as tables on longitudes 0..360 give
    them) under a region at 5 W. Before: every one counted outside the region without a
    word, exit 0 (no label at all). Now the same cells as the table written -5.03..-5.01."""
    west = [(-5.03, 52.01, 10), (-5.02, 52.03, 30), (-5.01, 52.02, 30)]
    east = [(x + 360.0, y, v) for x, y, v in west]
    want = _counts(_occurrences(tmp_path / "w.csv", west), WEST)
    got = _counts(_occurrences(tmp_path / "e.csv", east), WEST)
    assert want["outside_grid"] == 0 and want["positive_cells"] == 2, want
    assert got == want, got


def test_a_polygon_east_of_180_keeps_its_shape(tmp_path: Path) -> None:
    """A GeoPackage of a point at 179.85 and a polygon wholly east of 180 (given in
    -179.95..-179.85). Before: the polygon was outside the region, its cells no label. Now
    it is moved a whole turn as one, so it covers the same cells as the same polygon
    written 180.05..180.15."""
    moved = shapely.box(-179.95, -17.05, -179.85, -16.95)
    wanted = shapely.box(180.05, -17.05, 180.15, -16.95)
    cells = []
    for name, poly in (("moved", moved), ("wanted", wanted)):
        path = tmp_path / f"{name}.gpkg"
        gpd.GeoDataFrame(
            {"li": [30.0, 30.0]}, geometry=[shapely.Point(179.85, -17.0), poly], crs="EPSG:4326"
        ).to_file(path)
        cells.append(_counts(path, FIJI))
    assert cells[0] == cells[1], cells
    assert cells[0]["outside_grid"] == 0 and cells[0]["positive_cells"] > 50, cells[0]


def test_control_a_projected_region_reads_0_to_360_as_before(tmp_path: Path) -> None:
    """Control: a region in UTM 30N at 3 W: a table on 0..360 (357 E) is placed by PROJ,
    as before, in the cells of the table written -3."""
    rows = [(-3.0 + 0.01 * i, 52.0 + 0.01 * i, 30) for i in range(3)]
    x, y = Transformer.from_crs(4326, 32630, always_xy=True).transform(-3.0, 52.0)
    left, bottom = round(x, -3) - 2000.0, round(y, -3) - 2000.0
    grid = RegionGrid(
        crs="EPSG:32630", resolution=100.0, bounds=(left, bottom, left + 6000, bottom + 6000)
    )
    want = _counts(_occurrences(tmp_path / "a.csv", rows), grid)
    got = _counts(_occurrences(tmp_path / "b.csv", [(x + 360, y, v) for x, y, v in rows]), grid)
    assert got == want and want["positive_cells"] == 3, (got, want)


# --- commodity cells ---------------------------------------------------------------------


def _left_out(tmp_path: Path, cells: list[str], mineral: str) -> tuple[int, list[str]]:
    """How many records of a table of ``cells`` under ``Commodity`` the labels of
    ``mineral`` leave out as naming other commodities, and the warnings."""
    path = tmp_path / "occ.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["lon", "lat", "Commodity"])
        out.writerows([*_place(i), cell] for i, cell in enumerate(cells))
    source = PointSource(kind="points", name="occ", path=str(path))
    read, said, error = _caught(
        lambda: read_labels(source, RD, LabelsConfig(source="occ"), mineral=mineral)
    )
    assert error is None and read is not None, error
    return int(read[1].other_commodity), said


@pytest.mark.parametrize("cell", ["ND", "nd"])
def test_not_determined_is_no_neodymium(tmp_path: Path, cell: str) -> None:
    """``ND`` (not determined) beside lithium and caesium records. Before: read as
    neodymium, its records left out of lithium's labels "naming neodymium". Now it names
    no commodity (``commodities.not_determined``): kept, said as naming none known."""
    left_out, said = _left_out(tmp_path, ["lithium", "lithium", cell, cell, "Cs"], "lithium")
    assert left_out == 1, said
    assert not [s for s in said if "neodymium" in s], said


@pytest.mark.parametrize("cell", ["n.d.", "N/D"])
def test_control_other_not_determined_spellings_name_nothing(tmp_path: Path, cell: str) -> None:
    """Control: ``n.d.`` and ``N/D`` named no commodity before and still name none."""
    left_out, said = _left_out(tmp_path, ["lithium", "lithium", cell, cell, "Cs"], "lithium")
    assert left_out == 1, said
    assert [s for s in said if f"naming no commodity known: {cell!r}" in s], said


def test_not_determined_is_no_rare_earth_occurrence(tmp_path: Path) -> None:
    """A rare-earth model: ``ND`` records were counted as its occurrences (neodymium is a
    rare earth), the Li and W ones left out. Now ``ND`` names nothing known, is kept and
    said; only ``Nd`` (symbol case) is neodymium."""
    _, said = _left_out(tmp_path, ["REE", "REE", "Nd", "ND", "Li", "W"], "rare earths")
    text = " ".join(said)
    assert "naming no commodity known: 'ND'" in text, said


@pytest.mark.parametrize(
    ("cells", "mineral", "left_out"),
    [
        (["tungsten", "tungsten", "Sn-W", "LCT pegmatite", "LCT pegmatite"], "tungsten", 2),
        (["niobium", "NYF pegmatite", "Li"], "lithium", 2),
    ],
    ids=["lct-under-tungsten", "nyf-under-lithium"],
)
def test_a_deposit_type_names_its_commodities(
    tmp_path: Path, cells: list[str], mineral: str, left_out: int
) -> None:
    """``LCT pegmatite`` (lithium-caesium-tantalum) and ``NYF pegmatite``. Before: they
    named no commodity and were kept as occurrences of any model's mineral (a tungsten
    model's too). Now the acronym names its commodities (``deposit_types_named``)."""
    got, said = _left_out(tmp_path, cells, mineral)
    assert got == left_out, said


def test_control_lct_pegmatite_under_caesium_is_kept(tmp_path: Path) -> None:
    """Control: under caesium ``LCT pegmatite`` is kept (as before), ``W`` left out."""
    got, said = _left_out(tmp_path, ["caesium", "caesium", "LCT pegmatite", "W"], "caesium")
    assert got == 1, said


def test_lct_pegmatite_is_lithium_without_a_word(tmp_path: Path) -> None:
    """Under lithium ``LCT pegmatite`` is kept, now as lithium: before it was kept "naming
    no commodity known", with the advice to leave such records out."""
    got, said = _left_out(tmp_path, ["lithium", "LCT pegmatite", "Nd"], "lithium")
    assert got == 1, said
    assert not [s for s in said if "naming no commodity known" in s], said


# --- surface units ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("units", "value", "scale"),
    [("mM", 5.0, 6.941), ("µM", 500.0, 0.006941), ("wt %", 0.005, 12000.0), ("ppmw", 50.0, 1.2)],
)
def test_molar_and_weight_units_are_concentrations(
    tmp_path: Path, units: str, value: float, scale: float
) -> None:
    """A brine surface in millimolar, micromolar, ``wt %`` (with a space) or ``ppmw``.
    Before: "not a lithium concentration", exit 1. Now read as mmol/L, umol/L, wt% and
    ppm (``screening.OTHER_SPELLINGS``)."""
    cube, grid = _cube(tmp_path / "c.zarr", value, units)
    config = EconomicsConfig(concentration="li", density_kg_per_l=1.2)
    layers, _, error = _caught(lambda: plan_economics(config, cube, grid))
    assert error is None and layers, error
    assert layers[0].scale == pytest.approx(scale), layers[0].scale


def test_control_millimetres_stay_refused(tmp_path: Path) -> None:
    """Control: ``mm`` (millimetres) and ``MM`` are no concentration, as before."""
    cube, grid = _cube(tmp_path / "c.zarr", 5.0, "mm")
    _, _, error = _caught(lambda: plan_economics(EconomicsConfig(concentration="li"), cube, grid))
    assert isinstance(error, DataError) and "not a lithium concentration" in str(error), error


# --- the point reader's grid ----------------------------------------------------------------


def test_the_point_reader_tells_another_crs_from_a_swap(tmp_path: Path) -> None:
    """A GeoPackage of RD New metres whose CRS says UTM 31N, read by ``read_points`` for a
    region in UTM 31N. Before: ``read_points`` took no region, and the file was "swapped"
    (swapped, RD New's metres lie in UTM 31N's area too). Now ``grid=`` reaches
    ``refuse_swapped_axes``: refused naming RD New."""
    to = Transformer.from_crs(4326, 28992, always_xy=True)
    points = [shapely.Point(*to.transform(*_place(i))) for i in range(6)]
    path = tmp_path / "rd.gpkg"
    gpd.GeoDataFrame({"li": [30.0] * 6}, geometry=points, crs="EPSG:32631").to_file(path)
    _, _, error = _caught(
        lambda: read_points(path, columns=["li"], to_crs="EPSG:32631", grid=UTM31)
    )
    assert isinstance(error, DataError), error
    assert "EPSG:28992" in str(error) and "look swapped" not in str(error), error


# --- a lone fill among a surface's values -----------------------------------------------------


def _read(path: Path, column: str) -> tuple[object, list[str]]:
    table, said, error = _caught(lambda: read_points(path, columns=[column], to_crs="EPSG:4326"))
    assert error is None and table is not None, error
    return table.values[column], said  # type: ignore[attr-defined]


def test_a_lone_fill_among_grades_is_said(tmp_path: Path) -> None:
    """A well's ``-999`` (one row) among grades of 10 to 30, under a header naming no unit.
    Before: interpolated into the surface as a grade of -999 without a word (a fill was said
    only on two rows). Now the warning names the row and ``nodata: -999``; the value is
    read as before (so a valid table's surfaces are unchanged)."""
    rows = [(5.0 + 0.01 * i, 52.0, v) for i, v in enumerate([10, 20, -999, 30, 25])]
    values, said = _read(_occurrences(tmp_path / "w.csv", rows), "li")
    assert list(values) == [10, 20, -999, 30, 25], values  # type: ignore[call-overload]
    told = [s for s in said if "holds -999 on 1 of 5 rows (line 4)" in s]
    assert told and "nodata: -999" in told[0], said


def test_control_negative_values_with_a_fill_among_them_say_nothing(tmp_path: Path) -> None:
    """Control: a column of negative values (elevations) holding -999 once says nothing of
    fills, as before."""
    rows = [(5.0 + 0.01 * i, 52.0, v) for i, v in enumerate([-10, 20, -999, -30, 25])]
    _, said = _read(_occurrences(tmp_path / "w.csv", rows), "li")
    assert not [s for s in said if "no data" in s], said


# --- samples down a deviated well -------------------------------------------------------------


def _deviated(path: Path, far: float = 0.0) -> Path:
    """Ten SYNTHETIC wells in RD New, two of them deviated and sampled at three depths
    (``MD``, ``TVD``) 180 m apart sideways; ``far`` moves W1's deepest sample east."""
    rows = []
    for w in range(10):
        depths = [(1000, 990), (2000, 1900), (3000, 2700)] if w < 2 else [(1500, 1500)]
        for k, (md, tvd) in enumerate(depths):
            x = 140_000 + w * 3000 + k * 150 + (far if (w, k) == (1, 2) else 0.0)
            rows.append(f"W{w},{md},{tvd},{x},{450_000 + k * 100},{20 + w + k}")
    path.write_text("Well,MD,TVD,x,y,temp\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def _places_said(path: Path) -> list[str]:
    table, said, error = _caught(
        lambda: read_points(
            path, x="x", y="y", crs="EPSG:28992", columns=["temp"], to_crs="EPSG:28992"
        )
    )
    assert error is None and table is not None, error
    return [s for s in said if "two or more places" in s]


def test_samples_down_a_deviated_well_are_no_copying_error(tmp_path: Path) -> None:
    """Two deviated wells listed with each sample's MD, TVD and place. Before: "2 ID(s) in
    column 'Well' are given at two or more places ... coordinates copied onto the wrong
    row". Now samples each at its own depth, no farther sideways than the well is deep,
    are one well's (``points._down_a_well``): nothing said."""
    assert _places_said(_deviated(tmp_path / "w.csv")) == []


def test_control_a_sample_farther_than_its_well_is_deep_is_said(tmp_path: Path) -> None:
    """Control: W1's deepest sample 90 km east (farther than its 3000 m MD) is still said."""
    said = _places_said(_deviated(tmp_path / "w.csv", far=90_000.0))
    assert len(said) == 1 and "'Well' are given at two or more places" in said[0], said


def test_a_polygon_drawn_across_180_covers_what_it_means(tmp_path: Path) -> None:
    """A deposit outline drawn across the antimeridian, its vertices at 180.05..180.15 given
    as -179.95..-179.85 beside 179.95 (as KML and shapefiles keep them). Before: the
    polygon spanned 179.95 to -179.85 the long way round, covering the cells west of 179.95
    in the region and none east of 180, without a word. Now each vertex is moved to the
    region's side: the cells of the same outline written 179.95..180.15."""
    ring = [(179.95, -17.05), (-179.85, -17.05), (-179.85, -16.95), (179.95, -16.95)]
    cells = []
    for name, poly in (
        ("across", shapely.Polygon(ring)),
        ("wanted", shapely.box(179.95, -17.05, 180.15, -16.95)),
    ):
        path = tmp_path / f"{name}.gpkg"
        gpd.GeoDataFrame({"li": [30.0]}, geometry=[poly], crs="EPSG:4326").to_file(path)
        cells.append(_counts(path, FIJI))
    assert cells[0] == cells[1], cells
    assert cells[0]["positive_cells"] == 200, cells[0]
