"""Brine surface units written in words, with a method's note, in brackets or with a
capital, and drill holes whose samples carry IDs of their own.

Found by feeding the economic screening (``screening.plan_economics``), the registry's
units (``registry.units.same_units``), the train stage's label reading
(``prospect.models.training.read_labels``) and the point reader (``points.read_points``)
what a survey scientist keeps (2026-12-05): a surface in ``milligrams per litre`` (as USGS
water-quality exports write it), ``mg/L (ICP)``, ``ppm (mg/kg)``, ``[mg/L]``, ``mg/Kg`` or
``mEq/L`` was "not a lithium concentration"; an assay table's collar copied onto a wrong
row went without a word where each sample had an ID of its own beside its ``HoleID``.
Every file is small and SYNTHETIC.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from prospect.config.economics import EconomicsConfig
from prospect.config.model import LabelsConfig
from prospect.config.sources import PointSource
from prospect.errors import DataError
from prospect.grid import RegionGrid
from prospect.io.points import read_points
from prospect.models.training import read_labels
from prospect.registry.units import same_units
from prospect.screening import plan_economics

from .test_labels_round28 import RD
from .test_screening_round27 import _cube
from .test_vectors_round22 import _caught

PLACES = "two or more places"
"""What the warning of one ID at several places says."""


# --- surface units in words, with a note, in brackets or with a capital ---------------------

READ = [
    ("milligrams per litre", 1.0, 1.0),
    ("Micrograms per Liter", 1.0, 1e-3),
    ("millimoles per liter", 1.0, 6.941),
    ("mg/L (ICP)", 1.0, 1.0),
    ("mg/L (ICP-MS, dissolved)", 1.0, 1.0),
    ("ppm (mg/kg)", 1.2, 1.2),
    ("[mg/L]", 1.0, 1.0),
    ("mg/Kg", 1.2, 1.2),
    ("mEq/L", 1.0, 6.941),
    ("mcg/ltr", 1.0, 1e-3),
]
"""Units written otherwise, the brine density and the factor to mg/L each is read with."""
REFUSED = ["ug/L (ppb)", "mg/L (Na)", "mg/L (x1000)", "Mg/L (ICP)", "mg/L (mol)"]
"""Units that are no one lithium concentration."""


@pytest.fixture(scope="module")
def units_cube(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, RegionGrid]:
    """One SYNTHETIC 8 x 8 cube holding ``li<i>`` (50 everywhere, in the ``i``-th units of
    :data:`READ` then :data:`REFUSED`) and ``li<i>_variance`` (25, in their square)."""
    import numpy as np
    import xarray as xr

    from prospect.io.cube import add_variables, open_cube
    from prospect.testing.cubes import float_layer

    cube, grid = _cube(tmp_path_factory.mktemp("units") / "c.zarr", 50.0, "mg/L")
    like = open_cube(cube)
    layers = {}
    for i, units in enumerate([u for u, _, _ in READ] + REFUSED):
        for name, value, unit in (
            (f"li{i}", 50.0, units),
            (f"li{i}_variance", 25.0, f"({units})2"),
        ):
            data = np.full(grid.shape, value)
            layers[name] = float_layer(data, name=name, units=unit, long_name=name, like=like)
    add_variables(cube, xr.Dataset(layers))
    return cube, grid


@pytest.mark.parametrize(
    ("i", "density", "scale"),
    [(i, d, f) for i, (_, d, f) in enumerate(READ)],
    ids=[u for u, _, _ in READ],
)
def test_units_written_otherwise_are_read(
    units_cube: tuple[Path, RegionGrid], i: int, density: float, scale: float
) -> None:
    """A brine surface whose units are written in words (a USGS water-quality export's
    ``milligrams per litre``), with the method after them (``mg/L (ICP)``), said twice
    (``ppm (mg/kg)``), in square brackets, with a capital K or E. Before: "has units ...,
    not a lithium concentration", exit 1. Now each is read as the one unit it names, its
    variance's square too (``registry.units._ALIASES``, ``screening._noted``,
    ``_variance_units``)."""
    cube, grid = units_cube
    cfg = EconomicsConfig(concentration=f"li{i}", density_kg_per_l=density)
    layers, _, error = _caught(lambda: plan_economics(cfg, cube, grid))
    assert error is None and layers, error
    assert {(la.scale, la.variance_scale) for la in layers} == {(scale, scale**2)}


def test_units_stating_two_kinds_are_refused_naming_both(
    units_cube: tuple[Path, RegionGrid],
) -> None:
    """``ug/L (ppb)``: per litre and per kilogram, which differ by the brine's density.
    Before: "not a lithium concentration", no word of the two. Now refused naming both
    and why they differ (``screening._two_units_hint``)."""
    cube, grid = units_cube
    cfg = EconomicsConfig(concentration=f"li{len(READ)}", density_kg_per_l=1.2)
    _, _, error = _caught(lambda: plan_economics(cfg, cube, grid))
    assert isinstance(error, DataError), error
    assert "two units, ug/L and ppb" in str(error) and "density" in str(error), error


@pytest.mark.parametrize("i", range(1, len(REFUSED)), ids=REFUSED[1:])
def test_control_notes_of_another_element_scale_or_unit_stay_refused(
    units_cube: tuple[Path, RegionGrid], i: int
) -> None:
    """Control: a note naming another element, a multiplier or another unit, and megagrams
    with a method's note, are still no lithium concentration."""
    cube, grid = units_cube
    cfg = EconomicsConfig(concentration=f"li{len(READ) + i}")
    _, _, error = _caught(lambda: plan_economics(cfg, cube, grid))
    assert isinstance(error, DataError) and repr(REFUSED[i]) in str(error), error


def test_a_model_in_mg_per_l_takes_a_cube_in_words() -> None:
    """A model's schema in ``mg/L`` and a cube's layer in ``milligrams per litre`` (or
    ``mg/Kg`` and ``mg/kg``). Before: other units, refused by the schema check. Now one
    unit (``registry.units._ALIASES``); ``Mg/L`` (megagrams) stays apart."""
    assert same_units("milligrams per litre", "mg/L")
    assert same_units("mg/Kg", "mg/kg")
    assert not same_units("Mg/L", "mg/L")


@pytest.mark.parametrize(
    ("header", "units"),
    [("Li (mg/L)", "micrograms per litre"), ("Li_ug_L", "mg/L")],
    ids=["words", "header-of-two-words"],
)
def test_a_grade_stated_in_two_scales_is_refused(tmp_path: Path, header: str, units: str) -> None:
    """A grade column ``Li (mg/L)`` whose points source says ``units: {...: micrograms per
    litre}``, or ``Li_ug_L`` under ``mg/L``: two statements 1000 times apart. Before: the
    words were no unit, and ``Li_ug_L`` named none (its unit in two words), so the
    threshold was compared with the numbers without a word of which unit they are in.
    Now refused as ``Li (mg/L)`` under ``ug/L`` is (``labels.concentration_scale``,
    ``_warn_cell_units``)."""
    path = tmp_path / "occ.csv"
    rows = [f"W{i},{141_000 + 2000 * i},{451_000 + 1500 * i},{5 + 10 * i}" for i in range(6)]
    path.write_text(f"Well,x,y,{header}\n" + "\n".join(rows) + "\n", "utf-8")
    source = PointSource(
        kind="points",
        name="occ",
        path=str(path),
        x="x",
        y="y",
        crs="EPSG:28992",
        columns=[header],
        units={header: units},
    )
    config = LabelsConfig(source="occ", value_column=header, threshold=20, negatives="both")
    _, _, error = _caught(lambda: read_labels(source, RD, config))
    assert isinstance(error, DataError) and "1000 times apart" in str(error), error


# --- drill holes whose samples carry IDs of their own ---------------------------------------


def _assay(
    path: Path, far: float, sample_ids: bool = True, depths: bool = True, hole: str = "HoleID"
) -> Path:
    """Ten SYNTHETIC drill holes in RD New, each sampled at three intervals listed at its
    collar (``HoleID, SampleID, From, x, y, li``; the holes' column named ``hole``); H3's
    last interval given ``far`` metres east of its collar."""
    rows = []
    for h in range(10):
        for k in range(3):
            x = 141_000 + h * 3000 + (far if (h, k) == (3, 2) else 0.0)
            cells = [f"H{h}", f"S{3 * h + k:03d}"] if sample_ids else [f"H{h}"]
            cells += [str(k * 50)] if depths else []
            rows.append(",".join([*cells, f"{x:.0f}", "451000", str(100 + h)]))
    header = [hole, *(["SampleID"] if sample_ids else []), *(["From"] if depths else [])]
    path.write_text(",".join([*header, "x", "y", "li"]) + "\n" + "\n".join(rows) + "\n", "utf-8")
    return path


def _places_said(path: Path) -> list[str]:
    """The warnings of one ID at several places from the point reader."""
    table, said, error = _caught(
        lambda: read_points(
            path, x="x", y="y", crs="EPSG:28992", columns=["li"], to_crs="EPSG:28992"
        )
    )
    assert error is None and table is not None, error
    return [s for s in said if PLACES in s]


@pytest.mark.parametrize(
    ("hole", "sample_ids", "depths"),
    [
        ("HoleID", True, True),
        ("HoleID", False, True),
        ("HoleID", True, False),
        ("DHID", True, True),
        ("Hole_No", False, True),
    ],
    ids=["sample-ids", "intervals-only", "sample-ids-no-depth", "dhid", "hole-no"],
)
def test_a_collar_copied_in_an_assay_table_is_said(
    tmp_path: Path, hole: str, sample_ids: bool, depths: bool
) -> None:
    """An assay table of ten holes, three intervals each at the collar, H3's last given
    5 km east (a collar copied onto the wrong row). Before: no word: beside a unique
    ``SampleID`` the ``HoleID`` was a group of records (as ``Site_ID`` beside ``Ftr_ID``),
    and alone its IDs repeated on more than half the records, so it was no ID column;
    Vulcan's ``DHID`` and ``Hole_No`` were none at all. Now a column of holes or wells is
    checked either way (``points._HOLE_NAMES``)."""
    said = _places_said(_assay(tmp_path / "a.csv", 5_000.0, sample_ids, depths, hole))
    assert len(said) == 1 and f"column {hole!r}" in said[0] and "'H3'" in said[0], said


def test_control_a_collar_surveyed_again_is_one_hole(tmp_path: Path) -> None:
    """Control: H3's last interval 20 m from its collar (a collar surveyed again), no
    depth column: one hole, nothing said (``points._near_first``)."""
    said = _places_said(_assay(tmp_path / "a.csv", 20.0, depths=False))
    assert said == [], said


def test_control_a_well_sampled_twice_beside_sample_ids_is_one_well(tmp_path: Path) -> None:
    """Control: ten wells sampled once, W3 twice 20 m apart (its top surveyed again), each
    sample with an ID of its own: one well, nothing said (as beside a sample ID before)."""
    rows = [f"W{i},S{i},{141_000 + 3000 * i},451000,{10 + i}" for i in range(10)]
    rows.append(f"W3,S10,{141_000 + 9000 + 20},451000,12")
    path = tmp_path / "w.csv"
    path.write_text("Well,SampleID,x,y,li\n" + "\n".join(rows) + "\n", "utf-8")
    assert _places_said(path) == []


def test_control_a_site_of_several_features_is_a_group(tmp_path: Path) -> None:
    """Control: the USGS lithium database's ``Site_ID`` beside a unique ``Ftr_ID``, one
    site's features 3 km apart: a group, nothing said."""
    path = tmp_path / "s.csv"
    rows = [f"S{i // 2},F{i},{141_000 + 3000 * i},451000,{10 + i}" for i in range(10)]
    path.write_text("Site_ID,Ftr_ID,x,y,li\n" + "\n".join(rows) + "\n", "utf-8")
    assert _places_said(path) == []


# --- rows whose coordinates were typed the other way round ----------------------------------

DEGREES = RegionGrid(
    name="deg", crs="EPSG:4326", resolution=0.01, bounds=(5.0, 51.9, 5.5, 52.3), chunks=(40, 50)
)
"""A Dutch region in degrees."""
NEAR_DIAGONAL = RegionGrid(
    name="diag", crs="EPSG:4326", resolution=0.05, bounds=(10.0, 11.0, 12.0, 13.0)
)
"""A region whose longitudes and latitudes overlap (10-12 E, 11-13 N)."""


def _labels_said(path: Path, grid: RegionGrid, crs: str, rows: list[tuple[float, float]]) -> Any:
    """The train stage's labels of a SYNTHETIC ``Well, x, y, li`` table of ``rows`` (each
    graded 30, threshold 20, against a record graded 5): (labels, warnings)."""
    lines = [f"W{i},{x:.6f},{y:.6f},{5 if i == 0 else 30}" for i, (x, y) in enumerate(rows)]
    path.write_text("Well,x,y,li\n" + "\n".join(lines) + "\n", "utf-8")
    source = PointSource(kind="points", name="occ", path=str(path), x="x", y="y", crs=crs)
    config = LabelsConfig(source="occ", value_column="li", threshold=20, negatives="both")
    out, said, error = _caught(lambda: read_labels(source, grid, config))
    assert error is None and out is not None, error
    return out[0], [s for s in said if "swapped" in s]


@pytest.mark.parametrize(
    ("grid", "crs", "rows"),
    [
        (RD, "EPSG:28992", [(141_000 + 2000 * i, 451_000 + 1500 * i) for i in range(8)]),
        (DEGREES, "EPSG:4326", [(5.1 + 0.02 * i, 52.0 + 0.01 * i) for i in range(8)]),
    ],
    ids=["rd-new", "degrees"],
)
def test_rows_typed_northing_first_are_said(
    tmp_path: Path, grid: RegionGrid, crs: str, rows: list[tuple[float, float]]
) -> None:
    """Eight wells, the last two typed northing (latitude) first. Before: counted outside
    the region and left out of the labels without a word (two positives lost). Now said,
    naming their lines (``labels._warn_swapped_rows``, ``points.swapped_into_region``);
    they stay out."""
    rows = rows[:6] + [(y, x) for x, y in rows[6:]]
    labels, said = _labels_said(tmp_path / "occ.csv", grid, crs, rows)
    assert labels.counts["outside_grid"] == 2
    assert len(said) == 1 and "lines 8, 9" in said[0] and "x and y swapped" in said[0], said


def test_control_records_beside_a_region_of_overlapping_degrees_say_nothing(
    tmp_path: Path,
) -> None:
    """Control: a record at 11.5 E 10.5 N, just south of a region 10-12 E 11-13 N (swapped
    it would lie inside), and one 300 km east: outside, nothing said of a swap."""
    rows = [(10.5 + 0.2 * i, 11.5 + 0.1 * i) for i in range(6)] + [(11.5, 10.5), (14.8, 12.0)]
    labels, said = _labels_said(tmp_path / "occ.csv", NEAR_DIAGONAL, "EPSG:4326", rows)
    assert labels.counts["outside_grid"] == 2 and said == [], said


# --- commodities named in the partners' languages -------------------------------------------


def _commodity_labels(path: Path, cells: list[str]) -> tuple[Any, list[str]]:
    """A lithium model's labels of a SYNTHETIC ``Name, x, y, Commodity`` table of
    ``cells``, one record each in a cell of its own: (labels, warnings)."""
    rows = [f"S{i},{141_000 + 2000 * i},{451_000 + 1500 * i},{c}" for i, c in enumerate(cells)]
    path.write_text("Name,x,y,Commodity\n" + "\n".join(rows) + "\n", "utf-8")
    source = PointSource(kind="points", name="occ", path=str(path), x="x", y="y", crs="EPSG:28992")
    config = LabelsConfig(source="occ", negatives="background")
    out, said, error = _caught(lambda: read_labels(source, RD, config, mineral="lithium"))
    assert error is None and out is not None, error
    return out[0], said


@pytest.mark.parametrize(
    ("lithium", "others"),
    [
        ("Lithium", ["Wolfram", "Zinn"]),
        ("Liti", ["Vonfram", "Thiếc"]),
        ("Lithium", ["Wolfraam", "Tin"]),
        ("Litio", ["Wolframio", "Estaño"]),
    ],
    ids=["german", "vietnamese", "dutch", "spanish"],
)
def test_commodities_in_a_partners_language_are_read(
    tmp_path: Path, lithium: str, others: list[str]
) -> None:
    """A lithium model's table of four lithium sites and three each of tungsten and tin,
    named in German, Vietnamese, Dutch or Spanish. Before: ``Wolfram``, ``Zinn``,
    ``Vonfram``... named no commodity, so every record was a lithium positive (10 cells;
    7 with Dutch's ``Tin``), without a word where fewer than half the cells named one
    known. Now they are tungsten and tin, left out and said
    (``config.commodities._OTHER_LANGUAGES``)."""
    cells = [lithium] * 4 + [others[0]] * 3 + [others[1]] * 3
    labels, said = _commodity_labels(tmp_path / "occ.csv", cells)
    assert labels.counts["positive_cells"] == 4
    assert any("6 of 10 record(s) name only other commodities" in s for s in said), said


def test_control_english_commodities_read_as_before(tmp_path: Path) -> None:
    """Control: ``Lithium``, ``Tungsten`` and ``Tin``: four positives, six left out, as
    before."""
    cells = ["Lithium"] * 4 + ["Tungsten"] * 3 + ["Tin"] * 3
    labels, said = _commodity_labels(tmp_path / "occ.csv", cells)
    assert labels.counts["positive_cells"] == 4
    assert any("6 of 10 record(s) name only other commodities" in s for s in said), said


def test_control_a_world_wide_table_says_nothing_of_swaps(tmp_path: Path) -> None:
    """Control: a world-wide table (three sites in a Dutch region in degrees, six across
    the world, one of them at 52.1 E 5.2 N in the Indian Ocean, which swapped would lie
    in the region): most records lie elsewhere, nothing said of a swap."""
    rows = [(5.1 + 0.1 * i, 52.0 + 0.05 * i) for i in range(3)]
    rows += [
        (52.1, 5.2),
        (-70.0, -30.0),
        (140.0, 35.0),
        (20.0, -25.0),
        (-100.0, 40.0),
        (100.0, 5.0),
    ]
    labels, said = _labels_said(tmp_path / "occ.csv", DEGREES, "EPSG:4326", rows)
    assert labels.counts["outside_grid"] == 6 and said == [], said


def test_wells_typed_northing_first_are_said_by_the_point_reader(tmp_path: Path) -> None:
    """The point reader for a region's surfaces: eight wells in RD New, the last two typed
    northing first. Before: placed 300 km off, outside the region, their values lost from
    the surface without a word. Now said, naming their lines (``points.warn_swapped_rows``
    in ``read_points``)."""
    rows = [(141_000 + 2000 * i, 451_000 + 1500 * i) for i in range(8)]
    rows = rows[:6] + [(y, x) for x, y in rows[6:]]
    path = tmp_path / "w.csv"
    lines = [f"W{i},{x},{y},{20 + i}" for i, (x, y) in enumerate(rows)]
    path.write_text("Well,x,y,temp\n" + "\n".join(lines) + "\n", "utf-8")
    table, said, error = _caught(
        lambda: read_points(
            path, x="x", y="y", crs="EPSG:28992", columns=["temp"], to_crs="EPSG:28992", grid=RD
        )
    )
    assert error is None and table is not None and len(table.x) == 8, error
    said = [s for s in said if "x and y swapped" in s]
    assert len(said) == 1 and "lines 8, 9" in said[0], said
