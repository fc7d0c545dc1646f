"""Degrees, minutes and seconds written with letters, wells listed at two places, units
stated beside the header and tables in another projected CRS than the source says.

Found by feeding the train stage's label reading (``prospect.models.training.read_labels``
and ``build_training_set``) the tables a survey scientist keeps (2026-12-05): coordinates
written ``5d03m00s`` (GPS exports) were refused as "numbers with a unit"; a well listed twice
at two places was two occurrences without a word (the point reader's surfaces said so); the
threshold's messages named the header's unit only, so ``Li`` under ``units: {Li: "%"}``
(or a unit column, or a row of units) was "the highest grade is 1.2" with no unit; and a
table of RD New metres under ``crs: EPSG:32631`` (or UTM 32N under 31N, LAEA under RD New)
was counted outside the region without a word, training saying "check the crs" alone.
Every file is small and SYNTHETIC.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import zarr
from pyproj import Transformer

from prospect.config.economics import EconomicsConfig
from prospect.config.model import LabelsConfig, ModelConfig
from prospect.config.sources import PointSource
from prospect.errors import DataError
from prospect.grid import RegionGrid
from prospect.io.cube import zarr_store
from prospect.io.points import read_features, read_points
from prospect.models.training import build_training_set, read_labels
from prospect.provenance import provenance_attr
from prospect.screening import plan_economics

from .test_labels_round28 import RD, _labels, _place, _table
from .test_screening_round27 import _cube
from .test_vectors_round22 import _caught

GRADES = [str(v) for v in range(10, 110, 10)]
"""Ten grades, 10 to 100."""
PERCENT = ["0.01", "0.2", "0.5", "1.2"]
"""Four grades in %, the highest 1.2."""
SITES = ["S0", "S0", "S1", "S1", "S2", "S3", "S4", "S5", "S6", "S7"]
"""Ten features' sites: two sites of two features each, each at its own place."""


def _said(said: list[str], *words: str) -> list[str]:
    """The warnings holding every one of ``words``."""
    return [s for s in said if all(w in s for w in words)]


def _dms(value: float, letter: str = "") -> str:
    """``value`` degrees written with letters for every mark (``5d03m00s``)."""
    seconds = round(value * 3600)
    return f"{seconds // 3600}d{seconds % 3600 // 60:02d}m{seconds % 60:02d}s{letter}"


def _rows(path: Path, header: str, rows: list[str]) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


# --- degrees, minutes and seconds written with letters ------------------------------------


@pytest.mark.parametrize(("east", "north"), [("", ""), ("E", "N")], ids=["plain", "hemisphere"])
def test_degrees_minutes_seconds_in_letters_are_read(tmp_path: Path, east: str, north: str) -> None:
    """``5d03m00s`` / ``52d03m00s`` (and ``5d03m00sE``): letters for every mark, as GPS
    exports write them. Before: "column 'lon' holds no numbers ...; these are numbers with
    a unit", exit 1. Now read as the decimal degrees they are: the same cells as the table
    written in decimal degrees (each place is on whole seconds here)."""
    plain, _, error = _labels(
        _table(tmp_path / "plain.csv", {"Li_ppm": GRADES}), "Li_ppm", threshold=30, negatives="both"
    )
    assert error is None and plain is not None, error
    rows = [
        f"{_dms(_place(i)[0], east)},{_dms(_place(i)[1], north)},{GRADES[i]}" for i in range(10)
    ]
    counts, _, error = _labels(
        _rows(tmp_path / "dms.csv", "lon,lat,Li_ppm", rows),
        "Li_ppm",
        threshold=30,
        negatives="both",
    )
    assert error is None, error
    assert counts == plain, (counts, plain)


@pytest.mark.parametrize(
    ("cells", "control"),
    [("5°03'00E;52°03'00S", True), ("5d03m00sE;52d03m00sS", False)],
    ids=["marks-then-S", "letters-then-S"],
)
def test_a_letter_after_the_seconds_is_the_hemisphere(
    tmp_path: Path, cells: str, control: bool
) -> None:
    """``52°03'00S`` (seconds without a mark, then S) is south, as before (a control);
    ``52d03m00sS`` (letters for every mark, then S) is south too: only after minutes
    marked ``m`` is an ``s`` the seconds' mark. Before, the second was "numbers with a
    unit"."""
    gdf = read_features(_rows(tmp_path / "s.csv", "lon;lat", [cells]), x="lon", y="lat")
    assert list(gdf.geometry.y) == pytest.approx([-52.05]), list(gdf.geometry.y)
    assert list(gdf.geometry.x) == pytest.approx([5.05]), list(gdf.geometry.x)


# --- a well listed at two places ----------------------------------------------------------


def test_a_well_listed_at_two_places_is_said(tmp_path: Path) -> None:
    """Wells ``W0`` and ``W1`` each given at two places (coordinates pasted onto the wrong
    rows). Before: four occurrences, each a cell of its own, exit 0, no word (the point
    reader of surfaces warned of the same table). Now the labels say it, naming the ID
    and its places (``points.warn_ids_at_several_places``, one check for both)."""
    rows = [f"W{i % 8},{_place(i)[0]},{_place(i)[1]},{GRADES[i]}" for i in range(10)]
    counts, said, error = _labels(
        _rows(tmp_path / "wells.csv", "well,lon,lat,Li_ppm", rows),
        "Li_ppm",
        threshold=30,
        negatives="both",
    )
    assert error is None and counts is not None, error
    assert _said(said, "wells.csv", "column 'well'", "two or more places", "'W0'"), said


def test_samples_of_one_well_at_one_place_say_nothing_of_places(tmp_path: Path) -> None:
    """Control: one well sampled at three depths at one place, beside wells named once:
    no word of an ID at several places."""
    ids = ["W0", "W0", "W0", *(f"W{i}" for i in range(1, 8))]
    places = [_place(0)] * 3 + [_place(i) for i in range(3, 10)]
    rows = [
        f"{ids[i]},{places[i][0]},{places[i][1]},{1000 + 100 * i},{GRADES[i]}" for i in range(10)
    ]
    _, said, error = _labels(
        _rows(tmp_path / "depths.csv", "well,lon,lat,depth,Li_ppm", rows),
        "Li_ppm",
        threshold=30,
        negatives="both",
    )
    assert error is None, error
    assert not _said(said, "two or more places"), said


def test_a_site_id_over_features_of_their_own_says_nothing_of_places(tmp_path: Path) -> None:
    """Control: ``Site_ID`` shared by features each with an ID of its own (``Ftr_ID``, as
    the USGS lithium database's ``Loc_Pt`` table has a site's several units) names a site,
    not each record: no word of an ID at several places (the point reader said it of that
    table too; ``points._other_record_ids``)."""
    rows = [f"{SITES[i]},F{i},{_place(i)[0]},{_place(i)[1]},{GRADES[i]}" for i in range(10)]
    _, said, error = _labels(
        _rows(tmp_path / "sites.csv", "Site_ID,Ftr_ID,lon,lat,Li_ppm", rows),
        "Li_ppm",
        threshold=30,
        negatives="both",
    )
    assert error is None, error
    assert not _said(said, "two or more places"), said


# --- the threshold's messages in the unit the table or config states ---------------------


def _row_of_units(path: Path) -> Path:
    rows = [f"{_place(i)[0]},{_place(i)[1]},{PERCENT[i]}" for i in range(4)]
    return _rows(path, "lon,lat,Li\ndeg,deg,%", rows)


@pytest.mark.parametrize(
    ("make", "source"),
    [
        (lambda p: _table(p, {"Li": PERCENT}), {"columns": ["Li"], "units": {"Li": "%"}}),
        (lambda p: _table(p, {"Li": PERCENT, "Li_unit": ["%"] * 4}), {}),
        (_row_of_units, {}),
    ],
    ids=["units", "unit-column", "row-of-units"],
)
def test_a_threshold_over_every_grade_names_the_stated_unit(
    tmp_path: Path, make: object, source: dict[str, object]
) -> None:
    """``threshold: 3000`` (meant in ppm) over ``Li`` in % stated by ``units:``, a unit
    column or a row of units. Before: "the highest grade is 1.2)" with no unit (only the
    header's was named); now "1.2 %: is the threshold in %?"."""
    path = make(tmp_path / "li.csv")  # type: ignore[operator]
    config = ModelConfig(
        mineral="lithium", labels=LabelsConfig(source="occ", value_column="Li", threshold=3000)
    )
    point_source = PointSource(kind="points", name="occ", path=str(path), **source)  # type: ignore[arg-type]
    _, _, error = _caught(
        lambda: build_training_set(None, None, grid=RD, source=point_source, cfg=config)  # type: ignore[arg-type]
    )
    assert isinstance(error, DataError), error
    text = " ".join(str(error).split())
    assert "highest grade is 1.2 %: is the threshold in %?" in text, text


def test_a_threshold_under_every_grade_names_the_stated_unit(tmp_path: Path) -> None:
    """``threshold: 0.3`` (meant in %) over ``Li`` in ppm by ``units:``. Before: "the
    lowest grade is 100)" and "give it in the column's unit" without the unit."""
    grades = [str(v) for v in range(100, 3001, 150)]
    _, said, error = _labels(
        _table(tmp_path / "li.csv", {"Li": grades}),
        "Li",
        {"columns": ["Li"], "units": {"Li": "ppm"}},
        threshold=0.3,
        negatives="both",
    )
    assert error is None, error
    assert _said(said, "every one of the 20", "lowest grade is 100 ppm", "unit (ppm)"), said


# --- a table in another projected CRS than its source says --------------------------------


def _projected(path: Path, epsg: int) -> Path:
    """The ten places in EPSG:``epsg`` metres, columns ``x, y, Li_ppm``."""
    to = Transformer.from_crs(4326, epsg, always_xy=True)
    rows = []
    for i in range(10):
        x, y = to.transform(*_place(i))
        rows.append(f"{x:.1f},{y:.1f},{GRADES[i]}")
    return _rows(path, "x,y,Li_ppm", rows)


@pytest.mark.parametrize(
    ("true", "stated"),
    [(28992, 32631), (32632, 32631), (3035, 28992)],
    ids=["rd-as-utm31", "utm32-as-utm31", "laea-as-rd"],
)
def test_a_table_in_another_projected_crs_is_said(tmp_path: Path, true: int, stated: int) -> None:
    """RD New metres under ``crs: EPSG:32631`` (and UTM 32N under 31N, LAEA under RD New).
    Before: every record counted outside the region without a word, and training's
    refusal "0 positive cell(s) ... check the coordinate columns and the crs" named no CRS.
    Now a warning and the refusal name the CRS in which they lie in the region."""
    path = _projected(tmp_path / "occ.csv", true)
    source = {"x": "x", "y": "y", "crs": f"EPSG:{stated}"}
    _, said, error = _labels(path, "Li_ppm", source, threshold=30, negatives="both")
    assert error is None, error
    assert _said(said, "10 of 10 occurrence record(s) lie outside", f'crs: "EPSG:{true}"'), said
    config = ModelConfig(
        mineral="lithium", labels=LabelsConfig(source="occ", value_column="Li_ppm", threshold=30)
    )
    point_source = PointSource(kind="points", name="occ", path=str(path), **source)  # type: ignore[arg-type]
    _, _, error = _caught(
        lambda: build_training_set(None, None, grid=RD, source=point_source, cfg=config)  # type: ignore[arg-type]
    )
    assert isinstance(error, DataError), error
    assert "0 positive cell(s)" in str(error) and f'crs: "EPSG:{true}"' in str(error), error


def test_a_table_in_its_stated_crs_says_nothing_of_another(tmp_path: Path) -> None:
    """Controls: RD New metres under ``crs: EPSG:28992`` label as the decimal-degree table
    does, and lon/lat far outside the region name no CRS (degrees are no projected CRS's
    metres)."""
    plain, _, _ = _labels(
        _table(tmp_path / "plain.csv", {"Li_ppm": GRADES}), "Li_ppm", threshold=30, negatives="both"
    )
    counts, said, error = _labels(
        _projected(tmp_path / "rd.csv", 28992),
        "Li_ppm",
        {"x": "x", "y": "y", "crs": "EPSG:28992"},
        threshold=30,
        negatives="both",
    )
    assert error is None and counts == plain, (error, counts, plain)
    assert not _said(said, "lie outside"), said
    far = [f"{10 + i},{40 + i},{GRADES[i]}" for i in range(10)]
    counts, said, error = _labels(
        _rows(tmp_path / "far.csv", "lon,lat,Li_ppm", far), "Li_ppm", threshold=30, negatives="both"
    )
    assert error is None and counts is not None and counts["outside_grid"] == 10, (error, counts)
    assert not _said(said, "would lie in region"), said


def _utm_region() -> RegionGrid:
    """A region of 100 m cells in UTM 31N over the places of :func:`_place`."""
    return RegionGrid(
        crs="EPSG:32631", resolution=100.0, bounds=(640_000.0, 5_760_000.0, 680_000.0, 5_790_000.0)
    )


def test_metres_of_another_crs_are_not_called_swapped(tmp_path: Path) -> None:
    """RD New metres under ``crs: EPSG:32631`` for a region in UTM 31N: swapped, RD New's
    (131 870, 451 352) lie in UTM 31N's area too. Before: "the coordinates look swapped
    ...; set x: 'y' and y: 'x'" (the fix put every point near the equator). Now refused
    naming RD New, in which they lie in the region."""
    source = PointSource(
        kind="points",
        name="occ",
        path=str(_projected(tmp_path / "rd.csv", 28992)),
        x="x",
        y="y",
        crs="EPSG:32631",
    )
    labels = LabelsConfig(source="occ", value_column="Li_ppm", threshold=30)
    _, _, error = _caught(lambda: read_labels(source, _utm_region(), labels))
    assert isinstance(error, DataError), error
    text = " ".join(str(error).split())
    assert "swapped" not in text.replace("nor in region", "").split("with x and y")[0], text
    assert 'crs: "EPSG:28992"' in text and "set x:" not in text, text


def test_swapped_utm_columns_are_still_called_swapped(tmp_path: Path) -> None:
    """Control: UTM 31N metres written northing first under ``x``, in the region's own
    CRS, are refused as swapped, as before."""
    to = Transformer.from_crs(4326, 32631, always_xy=True)
    rows = []
    for i in range(10):
        x, y = to.transform(*_place(i))
        rows.append(f"{y:.1f},{x:.1f},{GRADES[i]}")
    source = PointSource(
        kind="points",
        name="occ",
        path=str(_rows(tmp_path / "utm.csv", "x,y,Li_ppm", rows)),
        x="x",
        y="y",
        crs="EPSG:32631",
    )
    labels = LabelsConfig(source="occ", value_column="Li_ppm", threshold=30)
    _, _, error = _caught(lambda: read_labels(source, _utm_region(), labels))
    assert isinstance(error, DataError) and "look swapped" in str(error), error


# --- commodities written as symbols -------------------------------------------------------


def _by_commodity(tmp_path: Path, cells: list[str], mineral: str) -> int:
    """How many records of a table of ``cells`` under ``Commodity`` the labels of
    ``mineral`` leave out as naming only other commodities."""
    path = tmp_path / "occ.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["lon", "lat", "Commodity"])
        out.writerows([*_place(i), cell] for i, cell in enumerate(cells))
    source = PointSource(kind="points", name="occ", path=str(path))
    read, _, error = _caught(
        lambda: read_labels(source, RD, LabelsConfig(source="occ"), mineral=mineral)
    )
    assert error is None and read is not None, error
    return int(read[1].other_commodity)


@pytest.mark.parametrize(
    ("cells", "mineral", "left_out"),
    [
        (["lithium", "lithium", "Sn-W (Li)", "Sn-W (Li)"], "lithium", 0),
        (["tungsten", "tungsten", "Sn-W (Li)", "Sn-W (Li)"], "tungsten", 0),
        (["germanium", "germanium", "Ge in sphalerite", "Ge in sphalerite"], "germanium", 0),
        (["lithium", "lithium", "lithium", "Cu Zn Pb", "Au Ag"], "lithium", 2),
    ],
    ids=["li-in-brackets", "w-after-a-hyphen", "ge-in-sphalerite", "symbols-by-spaces"],
)
def test_commodities_written_as_symbols_are_read(
    tmp_path: Path, cells: list[str], mineral: str, left_out: int
) -> None:
    """A commodity cell naming its commodities by symbol among other words. Before:
    ``Sn-W (Li)`` was tin alone, left out of a lithium's and a tungsten's labels as
    "another commodity"; ``Ge in sphalerite`` was zinc alone, left out of germanium's;
    ``Cu Zn Pb`` and ``Au Ag`` named nothing known and were kept as lithium occurrences.
    Now every symbol in symbol case counts (``config.commodities.symbols_named``)."""
    assert _by_commodity(tmp_path, cells, mineral) == left_out


def test_words_that_are_symbols_only_in_capitals_name_nothing(tmp_path: Path) -> None:
    """Control: ``In pegmatite``, ``As veins`` and ``Type I pegmatite`` name no indium,
    arsenic or iodine (kept, as before); ``Br; Li`` still names lithium and bromine."""
    cells = ["lithium", "In pegmatite", "As veins", "Type I pegmatite", "Br; Li", "bromine"]
    assert _by_commodity(tmp_path, cells, "lithium") == 1


def test_the_point_reader_reads_a_site_id_as_a_site(tmp_path: Path) -> None:
    """The same table of sites and features as a surface's points. Before: "2 ID(s) in
    column 'Site_ID' are given at two or more places ... coordinates copied onto the wrong
    row" (so of the USGS ``Loc_Pt`` table, a valid one); now nothing."""
    rows = [f"{SITES[i]},F{i},{_place(i)[0]},{_place(i)[1]},{GRADES[i]}" for i in range(10)]
    path = _rows(tmp_path / "sites.csv", "Site_ID,Ftr_ID,lon,lat,li", rows)
    table, said, error = _caught(lambda: read_points(path, columns=["li"], to_crs="EPSG:4326"))
    assert error is None and table is not None, error
    assert not _said(said, "two or more places"), said


# --- a brine surface of a lithium compound ------------------------------------------------


def _surface_of_column(tmp_path: Path, column: str) -> tuple[Path, RegionGrid]:
    """A cube whose ``li`` surface (50 mg/L) was kriged from ``column`` of source ``w``."""
    cube, grid = _cube(tmp_path / "c.zarr", 50.0, "mg/L")
    group = zarr.open_group(zarr_store(cube, read_only=False), mode="r+")
    for name in ("li", "li_variance"):
        group[name].attrs.update({"provenance": provenance_attr({"source": "w", "column": column})})
    zarr.consolidate_metadata(zarr_store(cube, read_only=False))  # (the cube's readers read it)
    return cube, grid


@pytest.mark.parametrize("column", ["Li2O_mg_l", "LCE (mg/L)", "LiCl"])
def test_a_surface_of_a_lithium_compound_is_refused(tmp_path: Path, column: str) -> None:
    """A brine surface kriged from a grade of Li2O, LCE or LiCl. Before: screened as
    lithium, every tonnage 2.15 (Li2O), 5.3 (LCE) or 6.1 (LiCl) times too high, exit 0;
    now refused, naming the compound and lithium's share of it."""
    cube, grid = _surface_of_column(tmp_path, column)
    _, _, error = _caught(lambda: plan_economics(EconomicsConfig(concentration="li"), cube, grid))
    assert isinstance(error, DataError), error
    assert "not of lithium" in str(error) and "Li = " in str(error), error


def test_a_surface_of_lithium_screens_as_before(tmp_path: Path) -> None:
    """Control: a surface kriged from ``Li_mg_l`` (and one without provenance) plans as
    before, 50 mg/L at the default flow, hours and recovery."""
    cube, grid = _surface_of_column(tmp_path, "Li_mg_l")
    layers = plan_economics(EconomicsConfig(concentration="li"), cube, grid)
    assert layers and layers[0].scale == 1.0, layers


@pytest.mark.parametrize(
    ("units", "scale"),
    [("mg Li/L", 1.0), ("mg/L as Li", 1.0), ("ppm Li", 1.2), ("µg Li/L", 0.001)],
)
def test_units_naming_lithium_are_lithiums(tmp_path: Path, units: str, scale: float) -> None:
    """A surface in ``mg Li/L``, ``mg/L as Li``, ``ppm Li`` or ``µg Li/L``, as
    hydrochemists write the element. Before: "has units 'mg Li/L', not a lithium
    concentration", exit 1; now read as mg/L, ppm (x density) and ug/L."""
    cube, grid = _cube(tmp_path / "c.zarr", 50.0, units)
    config = EconomicsConfig(concentration="li", density_kg_per_l=1.2)
    layers, _, error = _caught(lambda: plan_economics(config, cube, grid))
    assert error is None and layers, error
    assert layers[0].scale == pytest.approx(scale), layers[0].scale


def test_units_of_a_lithium_compound_are_refused_as_such(tmp_path: Path) -> None:
    """``mg/L Li2O`` is still refused, now naming Li2O and lithium's share
    of it (it was "not a lithium concentration")."""
    cube, grid = _cube(tmp_path / "c.zarr", 50.0, "mg/L Li2O")
    _, _, error = _caught(lambda: plan_economics(EconomicsConfig(concentration="li"), cube, grid))
    assert isinstance(error, DataError) and "Li2O x 0.4646" in str(error), error
