"""Quantile thresholds of censored grades, of outlines and of repeated rows.

Found by feeding the train stage's label reading (``prospect.models.training.read_labels``,
what ``prospect train`` and the score stage call) the grade columns a lab's export and a
survey's occurrence layer hand over, graded by ``threshold_quantile`` (2026-12-04): the
quantile was taken over the measured grades only, so ten samples below a detection limit
of 5 beside ten measured ones made the 0.9 quantile the measured grades' 0.9 (91, one
positive) instead of the whole sample's (81, two), without a word; one that fell among
the censored grades was computed as if they were not there. It was taken per point, so
a mine outline of many cells weighed its grade once per cell and a row pasted twice
twice. A ``<`` flag without a detection-limit column gave no limit at all, so such
samples were never negatives. And the economic screening took a flow in L/s under
``flow_m3_per_h`` (every tonnage 3.6 times low) without a word, had no way to state a flow
in L/s or a cut-off in t Li, and its report called a flow set in the job the default's
Den Haag Zuidwest figure. Every file is small and SYNTHETIC.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pydantic import ValidationError
from shapely.geometry import MultiPoint, Point

from pipelines.screen_report import write_screen_report
from pipelines.stages import screen
from prospect.config.economics import EconomicsConfig
from prospect.config.model import LabelsConfig
from prospect.config.sources import PointSource
from prospect.economics import lce_factor
from prospect.errors import DataWarning
from prospect.grid import RegionGrid
from prospect.models.training import read_labels
from prospect.screening import plan_economics

from .test_screening_round27 import _cube, _layers
from .test_vectors_round22 import _caught

RD = RegionGrid(
    crs="EPSG:28992", resolution=100.0, bounds=(120_000.0, 440_000.0, 180_000.0, 500_000.0)
)
"""A Dutch region of 100 m cells."""


def _place(i: int) -> tuple[float, float]:
    """The ``i``-th SYNTHETIC place in RD's region, each in a cell of its own."""
    return round(5.05 + 0.011 * (i % 10), 4), round(52.05 + 0.013 * (i // 10), 4)


def _table(path: Path, columns: dict[str, list[str]], sep: str = ",") -> Path:
    """A SYNTHETIC CSV of ``lon, lat`` at :func:`_place` and ``columns``."""
    n = len(next(iter(columns.values())))
    point = "," if sep == ";" else "."
    rows = [
        sep.join(
            [
                str(_place(i)[0]).replace(".", point),
                str(_place(i)[1]).replace(".", point),
                *(cells[i] for cells in columns.values()),
            ]
        )
        for i in range(n)
    ]
    path.write_text("\n".join([sep.join(["lon", "lat", *columns]), *rows]) + "\n", encoding="utf-8")
    return path


def _labels(
    path: Path, column: str, source: dict[str, object] | None = None, **labels: object
) -> tuple[dict[str, object] | None, list[str], Exception | None]:
    """The train stage's label counts of ``path`` graded by ``column``, the warnings and
    the error."""
    point_source = PointSource(kind="points", name="occ", path=str(path), **(source or {}))
    config = LabelsConfig(source="occ", value_column=column, **labels)
    out, said, error = _caught(lambda: read_labels(point_source, RD, config))
    if out is None:
        return None, said, error
    cells, _, threshold = out
    return {**cells.counts, "threshold": threshold}, said, error


def _cells(counts: dict[str, object]) -> tuple[object, ...]:
    return counts["positive_cells"], counts["negative_cells"], counts["records_without_grade"]


MEASURED = [str(v) for v in range(10, 101, 10)]
"""Ten measured grades, 10 to 100."""


# --- a quantile of censored grades ---------------------------------------------------------


@pytest.mark.parametrize(
    "columns",
    [
        {"Li_ppm": ["<5"] * 10 + MEASURED},
        {"Li_ppm": ["-5"] * 10 + MEASURED},
        {"Li_ppm": ["2"] * 10 + MEASURED, "Li_DL": ["5"] * 20},
        {"Li_ppm": ["<5"] * 10 + MEASURED[:-1] + [">100"]},
    ],
    ids=["lt-cells", "negative-ppm", "limit-column", "above-upper-limit"],
)
def test_a_quantile_ranks_the_grades_below_a_limit_lowest(
    tmp_path: Path, columns: dict[str, list[str]]
) -> None:
    """Ten samples below a limit of 5 and ten measured 10..100, ``threshold_quantile:
    0.9``: the 0.9 quantile of the 20 is 81 whatever the censored grades are (each is
    under 5, under every measured grade), two positives. Before: 91, the measured grades'
    own 0.9 quantile, one positive, without a word."""
    counts, _, error = _labels(
        _table(tmp_path / "li.csv", columns), "Li_ppm", threshold_quantile=0.9, negatives="both"
    )
    assert error is None, error
    assert counts is not None
    assert counts["threshold"] == pytest.approx(81.0), counts
    assert _cells(counts) == (2, 18, 0), counts


def test_a_quantile_of_measured_grades_only_is_as_numpy_gives_it(tmp_path: Path) -> None:
    """Control: without censored grades the threshold is numpy's quantile of the grades,
    to the bit."""
    grades = [f"{v:.3f}" for v in np.random.default_rng(28).lognormal(3, 1, 30)]
    counts, _, error = _labels(
        _table(tmp_path / "li.csv", {"Li_ppm": grades}),
        "Li_ppm",
        threshold_quantile=0.8,
        negatives="both",
    )
    assert error is None, error
    assert counts is not None
    expected = float(np.quantile(np.array(grades, float), 0.8))
    assert counts["threshold"] == expected, (counts["threshold"], expected)
    assert counts["positive_cells"] == 6, counts


def test_a_quantile_among_the_censored_grades_is_refused(tmp_path: Path) -> None:
    """Twelve samples below 50 and eight measured 10..80: the median lies under 50,
    where the censored grades are not known. Before: the median of the eight measured
    (45) graded them, the censored ones undecided, without a word; now refused, naming
    the key, the limit and the fixes."""
    grades = ["<50"] * 12 + MEASURED[:8]
    _, _, error = _labels(
        _table(tmp_path / "li.csv", {"Li_ppm": grades}),
        "Li_ppm",
        threshold_quantile=0.5,
        negatives="both",
    )
    assert error is not None
    text = " ".join(str(error).split())
    assert "li.csv" in text and "threshold_quantile" in text, text
    assert "below a detection limit" in text and "50" in text, text
    assert "threshold:" in text, text


def test_a_quantile_above_a_lower_limit_among_measured_grades_is_exact(tmp_path: Path) -> None:
    """Limits below every grade that counts (``<5`` among grades of 10..100, the 0.5
    quantile of 14): 35, every censored record a negative (the refusal does not
    over-reach). Before: 55, the median of the measured grades."""
    grades = ["<5"] * 4 + MEASURED
    counts, _, error = _labels(
        _table(tmp_path / "li.csv", {"Li_ppm": grades}),
        "Li_ppm",
        threshold_quantile=0.5,
        negatives="both",
    )
    assert error is None, error
    assert counts is not None
    # 14 records: ranks 6 and 7 (0-based) are 30 and 40
    assert counts["threshold"] == pytest.approx(35.0), counts
    assert _cells(counts) == (7, 7, 0), counts


# --- a quantile of records, not points -----------------------------------------------------


def _square(x: float, y: float, side: float) -> shapely.Polygon:
    return shapely.box(x, y, x + side, y + side)


def test_a_quantile_counts_an_outline_once(tmp_path: Path) -> None:
    """A GeoPackage of nine sampled sites (grades 10..90) and one mine outline of 100 (36
    cells of 100 m): the median of the ten records is 55, four sites and the outline
    positive. Before: each of the outline's 36 cells weighed its grade, the median was
    100 and only the outline was positive, without a word."""
    points = [Point(130_050.0 + 1_000 * i, 450_050.0) for i in range(9)]
    outline = _square(140_000.0, 460_000.0, 600.0)
    gpd.GeoDataFrame(
        {"li": [10.0 * (i + 1) for i in range(9)] + [100.0]},
        geometry=[*points, outline],
        crs="EPSG:28992",
    ).to_file(tmp_path / "occ.gpkg")
    counts, _, error = _labels(
        tmp_path / "occ.gpkg", "li", threshold_quantile=0.5, negatives="both"
    )
    assert error is None, error
    assert counts is not None
    assert counts["threshold"] == pytest.approx(55.0), counts
    assert counts["positive_cells"] == 4 + 36, counts
    assert counts["negative_cells"] == 5, counts


def test_a_quantile_counts_a_multipoint_once(tmp_path: Path) -> None:
    """A GeoJSON of nine sites (10..90) and one record of 100 with eight parts (a
    collar's eight drill holes): the median of the ten records is 55. Before: 100."""
    points = [Point(130_050.0 + 1_000 * i, 450_050.0) for i in range(9)]
    holes = MultiPoint([(150_050.0 + 200 * i, 470_050.0) for i in range(8)])
    gpd.GeoDataFrame(
        {"li": [10.0 * (i + 1) for i in range(9)] + [100.0]},
        geometry=[*points, holes],
        crs="EPSG:28992",
    ).to_file(tmp_path / "occ.geojson")
    counts, _, error = _labels(
        tmp_path / "occ.geojson", "li", threshold_quantile=0.5, negatives="both"
    )
    assert error is None, error
    assert counts is not None
    assert counts["threshold"] == pytest.approx(55.0), counts


def test_a_quantile_counts_a_pasted_row_once(tmp_path: Path) -> None:
    """Ten sites (10..100) and the richest row pasted five more times (the same place
    and grade, warned of as repeated and counted once as an occurrence): the median is
    55. Before: the pasted rows counted, 80."""
    path = _table(tmp_path / "li.csv", {"Li_ppm": MEASURED})
    last = path.read_text(encoding="utf-8").splitlines()[-1]
    path.write_text(path.read_text(encoding="utf-8") + (last + "\n") * 5, encoding="utf-8")
    counts, _, error = _labels(path, "Li_ppm", threshold_quantile=0.5, negatives="both")
    assert error is None, error
    assert counts is not None
    assert counts["duplicate_records"] == 5, counts
    assert counts["threshold"] == pytest.approx(55.0), counts
    assert _cells(counts) == (5, 5, 0), counts


# --- a `<` flag without a detection-limit column --------------------------------------------


@pytest.mark.parametrize(
    "columns,source",
    [
        ({"Li_ppm": ["500", "5", "20", "400"], "Li_ppm_Q": ["", "<", "", ""]}, None),
        ({"Li_ppm": ["500", "2.5", "20", "400"], "Li_ppm_Q": ["", "<", "", ""]}, None),
        ({"Li": ["500", "5", "20", "400"], "qual": ["", "ND", "", ""]}, {"flags": {"Li": "qual"}}),
        (
            {"Li": ["500", "5", "20", "400"], "qual": ["", "L", "", ""]},
            {"flags": {"Li": {"column": "qual", "below": ["L"]}}},
        ),
    ],
    ids=["lt-beside-limit", "lt-beside-half-limit", "named-flag", "ngdb-code"],
)
def test_a_flag_alone_bounds_its_grade_by_twice_its_number(
    tmp_path: Path, columns: dict[str, list[str]], source: dict[str, object] | None
) -> None:
    """A sample flagged below detection by a qualifier, beside 5 (the limit, as USGS NGDB
    and most lab exports write it) or 2.5 (half of it, as others do), without a limit
    column, at ``threshold: 30``: under 10 whichever convention, so a negative. Before:
    left out, undecided, and ``negatives: both`` lost the most barren sample."""
    column = next(iter(columns))
    counts, said, error = _labels(
        _table(tmp_path / "li.csv", columns), column, source, threshold=30, negatives="both"
    )
    assert error is None, error
    assert counts is not None
    assert _cells(counts) == (2, 2, 0), counts
    assert counts["records_below_limit_as_negative"] == 1, counts
    told = [s for s in said if "no column gives" in s]
    assert told and "twice" in told[0] and "_DL" in told[0], said


def test_a_quantile_ranks_flagged_grades_lowest(tmp_path: Path) -> None:
    """Ten samples flagged ``<`` beside 2 (no limit column) and ten measured 10..100:
    the 0.9 quantile is 81, as with ``<2`` cells. Before: 91."""
    columns = {"Li_ppm": ["2"] * 10 + MEASURED, "Li_ppm_Q": ["<"] * 10 + [""] * 10}
    counts, _, error = _labels(
        _table(tmp_path / "li.csv", columns), "Li_ppm", threshold_quantile=0.9, negatives="both"
    )
    assert error is None, error
    assert counts is not None
    assert counts["threshold"] == pytest.approx(81.0), counts
    assert _cells(counts) == (2, 18, 0), counts


@pytest.mark.parametrize(
    "beside,expected",
    [
        ("20", (2, 1, 1)),  # under 40, which may be over 30: undecided
        ("0", (2, 1, 1)),  # GTK writes 0 beside its flags: no bound
    ],
    ids=["bound-above-cutoff", "zero"],
)
def test_a_flag_alone_that_bounds_nothing_stays_undecided(
    tmp_path: Path, beside: str, expected: tuple[int, int, int]
) -> None:
    """Controls: a flag beside 20 at 30 (the limit may be 40) and beside 0 stay out."""
    columns = {"Li_ppm": ["500", beside, "20", "400"], "Li_ppm_Q": ["", "<", "", ""]}
    counts, _, error = _labels(
        _table(tmp_path / "li.csv", columns), "Li_ppm", threshold=30, negatives="both"
    )
    assert error is None, error
    assert counts is not None
    assert _cells(counts) == expected, counts


# --- the economic screening: flows in L/s, cut-offs in t Li --------------------------------


@pytest.mark.parametrize("litres,m3", [(42, 151.2), (20, 72.0)], ids=["42", "20"])
def test_a_flow_in_l_per_s_is_stated_with_its_key(tmp_path: Path, litres: float, m3: float) -> None:
    """``flow_l_per_s: 42`` (a doublet's flow as its operator writes it) is 151.2 m3/h:
    the tonnages are those of 151.2 m3/h; a small flow so stated (20 L/s, 72 m3/h) is
    not warned of as one in L/s. Before: refused as an unknown key, and the only way in
    was to convert by hand or to write 42 under flow_m3_per_h."""
    cube, grid = _cube(tmp_path / "c.zarr", 100.0, "mg/L", variance=1.0)
    cfg = EconomicsConfig(concentration="li", flow_l_per_s=litres)
    assert cfg.flow_m3_per_h == m3
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)
        lce = _layers(cube, grid, cfg)["lce_t_per_year"]
    factor = lce_factor(flow_m3_per_h=m3, hours_per_year=8000.0, recovery=0.8)
    assert float(lce[0, 0]) == pytest.approx(100.0 * factor, rel=1e-6)


def test_a_cutoff_in_t_li_is_stated_with_its_key() -> None:
    """``cutoff_t_li_per_year: 100`` is 532.3 t LCE/yr. Before: refused as an unknown key
    (a cut-off in t Li under cutoff_t_lce_per_year was 5.3 times low, in range)."""
    cfg = EconomicsConfig(concentration="li", cutoff_t_li_per_year=100)
    assert cfg.cutoff_t_lce_per_year == 532.3
    assert EconomicsConfig.model_validate(cfg.model_dump()) == cfg  # written back: same


def test_a_flow_given_in_both_units_must_agree() -> None:
    """``flow_l_per_s: 42`` beside ``flow_m3_per_h: 42``: refused, naming both keys and
    what 42 L/s is."""
    with pytest.raises(ValidationError) as err:
        EconomicsConfig(concentration="li", flow_l_per_s=42, flow_m3_per_h=42)
    text = str(err.value)
    assert "not both" in text and "151.2" in text and "flow_m3_per_h" in text, text


def test_a_flow_under_a_doublets_range_is_a_warning(tmp_path: Path) -> None:
    """``flow_m3_per_h: 42``, under the 100-400 m3/h geothermal doublets produce: a
    warning gives the tonnages' flow and the fix if the figure is in L/s. Before: every
    tonnage 3.6 times low without a word."""
    cube, grid = _cube(tmp_path / "c.zarr", 100.0, "mg/L", variance=1.0)
    with pytest.warns(DataWarning) as caught:
        plan_economics(EconomicsConfig(concentration="li", flow_m3_per_h=42), cube, grid)
    said = [str(w.message) for w in caught if "flow_m3_per_h" in str(w.message)]
    assert said and "flow_l_per_s: 42" in said[0] and "151.2 m3/h" in said[0], said


@pytest.mark.parametrize("economics", [{}, {"flow_m3_per_h": 250}, {"flow_m3_per_h": 100}], ids=str)
def test_a_doublets_flow_is_silent(tmp_path: Path, economics: dict[str, Any]) -> None:
    """Controls: the default flow, 250 m3/h and 100 m3/h are not warned of."""
    cube, grid = _cube(tmp_path / "c.zarr", 100.0, "mg/L", variance=1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)
        plan_economics(EconomicsConfig(concentration="li", **economics), cube, grid)


def _report(tmp_path: Path, **economics: Any) -> str:
    """The screening report's parameter table of ``economics`` on a 100 mg/L cube."""
    cube, grid = _cube(tmp_path / "c.zarr", 100.0, "mg/L", variance=1.0)
    cfg = EconomicsConfig(concentration="li", **economics)
    layers = plan_economics(cfg, cube, grid)
    ctx: Any = SimpleNamespace(job=SimpleNamespace(economics=cfg), grid=grid, cube_path=cube)
    facts = {
        "job": "unit",
        "synthetic": True,
        "region": {},
        "surfaces": [],
        "economics": screen._economics(ctx, layers),
    }
    text = write_screen_report(tmp_path / "screen", facts, cube=cube).read_text()
    return next(line for line in text.splitlines() if line.startswith("| flow rate Q"))


@pytest.mark.parametrize(
    "economics,source",
    [
        ({"flow_m3_per_h": 250}, "set in the job"),
        ({"flow_l_per_s": 42}, "set in the job as 42 L/s"),
    ],
    ids=["m3-per-h", "l-per-s"],
)
def test_a_flow_set_in_the_job_is_not_called_the_default(
    tmp_path: Path, economics: dict[str, Any], source: str
) -> None:
    """The report's parameter table said of a flow set in the job "default: production
    tested at the Den Haag Zuidwest geothermal doublet". Now it says where it comes from."""
    line = _report(tmp_path, **economics)
    assert source in line and "Den Haag" not in line, line


@pytest.mark.parametrize("economics", [{}, {"flow_m3_per_h": 150}], ids=str)
def test_the_default_flow_keeps_its_source(tmp_path: Path, economics: dict[str, Any]) -> None:
    """Control: the default flow, or its figure written in the job (the shipped Great
    Basin job), keeps the Den Haag source."""
    line = _report(tmp_path, **economics)
    assert "| 150 m3/h | default: production tested at the Den Haag Zuidwest" in line, line


@pytest.mark.parametrize(
    ("units", "value", "mg_per_l"),
    [
        ("mg/dm3", 20.0, 20.0),
        ("mg dm-3", 20.0, 20.0),
        ("µg/mL", 20.0, 20.0),
        ("ng/mL", 20_000.0, 20.0),
        ("mg/m3", 20_000.0, 20.0),
        ("meq/L", 2.0, 2.0 * 6.941),
    ],
    ids=["mg-per-dm3", "mg-dm-3", "ug-per-ml", "ng-per-ml", "mg-per-m3", "meq-per-l"],
)
def test_a_concentration_per_dm3_ml_m3_or_in_meq_is_converted(
    tmp_path: Path, units: str, value: float, mg_per_l: float
) -> None:
    """A surface in mg/dm3 (as European standards write mg/L), ug/mL, ng/mL, mg/m3 or
    meq/L (lithium's ion is monovalent: a milliequivalent is a millimole). Before:
    refused as "not a lithium concentration"."""
    cube, grid = _cube(tmp_path / "c.zarr", value, units, variance=(0.1 * value) ** 2)
    got = _layers(cube, grid, EconomicsConfig(concentration="li"))
    factor = lce_factor(flow_m3_per_h=150.0, hours_per_year=8000.0, recovery=0.8)
    assert float(got["lce_t_per_year"].max()) == pytest.approx(mg_per_l * factor, rel=1e-5)
    assert float(got["lce_t_per_year_sd"].max()) == pytest.approx(0.1 * mg_per_l * factor, rel=1e-5)


# --- a quantile at the lowest, tied, grade -------------------------------------------------


@pytest.mark.parametrize(
    ("cells", "fix"),
    [
        (["no"] * 18 + ["yes"] * 2, "threshold: 1"),
        (["0"] * 12 + [str(v) for v in range(10, 90, 10)], "threshold:' a grade above 0"),
        (["5"] * 12 + [str(v) for v in range(10, 90, 10)], "threshold:' a grade above 5"),
    ],
    ids=["yes-no", "zeros", "floor-values"],
)
def test_a_quantile_at_the_lowest_tied_grade_is_refused(
    tmp_path: Path, cells: list[str], fix: str
) -> None:
    """``threshold_quantile: 0.5`` over a yes/no column of 18 no's, or grades of which 12
    are 0 (or the lab's floor of 5): the quantile is the lowest grade, and every record
    (``>=`` it) was a positive, the barren ones too, exit 0. Now refused, naming the tie
    and the fix."""
    counts, _, error = _labels(
        _table(tmp_path / "li.csv", {"Li_ppm": cells}), "Li_ppm", threshold_quantile=0.5
    )
    assert error is not None, counts
    text = " ".join(str(error).split())
    assert "li.csv" in text and "threshold_quantile" in text, text
    assert "no record is below it" in text and fix in text, text


@pytest.mark.parametrize(
    ("cells", "threshold", "positives"),
    [
        (["0"] * 10 + ["1"] * 10, 0.5, 10),
        (["5"] * 6 + [str(v) for v in range(10, 150, 10)], 45.0, 10),
    ],
    ids=["flags-split", "floor-below-the-quantile"],
)
def test_a_quantile_above_the_lowest_grade_is_kept(
    tmp_path: Path, cells: list[str], threshold: float, positives: int
) -> None:
    """Controls: 0/1 flags split at 0.5, and tied floor values below the quantile."""
    counts, _, error = _labels(
        _table(tmp_path / "li.csv", {"Li_ppm": cells}), "Li_ppm", threshold_quantile=0.5
    )
    assert error is None, error
    assert counts is not None
    assert counts["threshold"] == pytest.approx(threshold), counts
    assert counts["positive_cells"] == positives, counts


# --- longitudes that lost their sign ---------------------------------------------------------

BONAIRE = RegionGrid(
    crs="EPSG:32619", resolution=100.0, bounds=(560_000.0, 1_330_000.0, 600_000.0, 1_370_000.0)
)
"""Bonaire's working grid (UTM 19N), 100 m cells."""

BONAIRE_SITES = [(-68.2612, 12.1501), (-68.2803, 12.2012), (-68.3101, 12.1703), (-68.2205, 12.1105)]
"""Four SYNTHETIC sites on Bonaire."""


def test_west_longitudes_written_positive_are_refused_naming_the_sign(tmp_path: Path) -> None:
    """A Caribbean occurrence table with its west longitudes written positive (68.26, the
    W dropped). Before: every record outside the region without a word from the labels
    (training then said only "0 positive cells"). Now refused, naming the column, the
    sign and the fix."""
    path = tmp_path / "bonaire.csv"
    path.write_text(
        "lon,lat,li\n"
        + "".join(
            f"{-x},{y},{v}\n" for (x, y), v in zip(BONAIRE_SITES, [40, 20, 50, 35], strict=True)
        ),
        encoding="utf-8",
    )
    source = PointSource(kind="points", name="occ", path=str(path))
    config = LabelsConfig(source="occ", value_column="li", threshold=30, negatives="both")
    _, _, error = _caught(lambda: read_labels(source, BONAIRE, config))
    assert error is not None
    text = " ".join(str(error).split())
    assert "bonaire.csv" in text and "lost their sign" in text, text
    assert "lon=68.2612 as -68.2612" in text and "'lon'" in text, text


def test_a_geojson_of_positive_west_longitudes_is_refused_by_the_point_reader(
    tmp_path: Path,
) -> None:
    """The same sites as a GeoJSON (a surface's points): before, read into UTM 19N at
    x 5.6e6, y 1.8e7 without a word."""
    from prospect.io.points import read_points

    gpd.GeoDataFrame(
        {"li": [40.0, 20.0, 50.0, 35.0]},
        geometry=[Point(-x, y) for x, y in BONAIRE_SITES],
        crs="EPSG:4326",
    ).to_file(tmp_path / "bonaire.geojson")
    _, _, error = _caught(
        lambda: read_points(tmp_path / "bonaire.geojson", columns=["li"], to_crs="EPSG:32619")
    )
    assert error is not None
    assert "lost their sign" in str(error), error


def test_bonaire_sites_with_their_signs_are_read(tmp_path: Path) -> None:
    """Control: the sites with their minus signs are four labelled cells."""
    path = tmp_path / "bonaire.csv"
    path.write_text(
        "lon,lat,li\n"
        + "".join(
            f"{x},{y},{v}\n" for (x, y), v in zip(BONAIRE_SITES, [40, 20, 50, 35], strict=True)
        ),
        encoding="utf-8",
    )
    source = PointSource(kind="points", name="occ", path=str(path))
    config = LabelsConfig(source="occ", value_column="li", threshold=30, negatives="both")
    out, _, error = _caught(lambda: read_labels(source, BONAIRE, config))
    assert error is None, error
    assert out[0].counts["positive_cells"] == 3 and out[0].counts["negative_cells"] == 1


# --- a grade above an upper limit under the cut-off --------------------------------------------


@pytest.mark.parametrize(
    "columns",
    [
        {"Li_ppm": ["500", ">10", "20", "400"]},
        {"Li_ppm": ["500", "≥ 10", "20", "400"]},
        {"Li_ppm": ["500", "10", "20", "400"], "Li_ppm_Q": ["", ">", "", ""]},
        {"Li_ppm": ["500", "10", "20", "400"], "Li_ppm_Q": ["", "G", "", ""]},
    ],
    ids=["gt-cell", "ge-sign", "flag", "ngdb-g"],
)
def test_a_grade_above_a_limit_under_the_cutoff_is_undecided(
    tmp_path: Path, columns: dict[str, list[str]]
) -> None:
    """A grade above an upper limit of 10 (``>10``, or 10 flagged ``>``/``G``) at
    ``threshold: 30``: at least 10, it may lie either side of 30. Before: read as 10, a
    negative (2 positive, 2 negative cells), exit 0; now left out, undecided, and said,
    as a ``<50`` at 30 is."""
    counts, said, error = _labels(
        _table(tmp_path / "li.csv", columns), "Li_ppm", threshold=30, negatives="both"
    )
    assert error is None, error
    assert counts is not None
    assert _cells(counts) == (2, 1, 1), counts
    assert counts["records_above_limit_undecided"] == 1, counts
    assert any("undecided" in s and "at least 10" in s for s in said), said


def test_a_grade_above_a_limit_over_the_cutoff_is_a_positive(tmp_path: Path) -> None:
    """Control: ``>100`` at 30 is a positive, as before."""
    counts, _, error = _labels(
        _table(tmp_path / "li.csv", {"Li_ppm": ["500", ">100", "20", "400"]}),
        "Li_ppm",
        threshold=30,
        negatives="both",
    )
    assert error is None, error
    assert counts is not None
    assert _cells(counts) == (3, 1, 0), counts


def test_a_quantile_among_grades_above_a_limit_is_refused(tmp_path: Path) -> None:
    """Eight ``>50`` beside ten grades of 10..100: the median lies above 50, where their
    grades are not known. Before: computed as if each were 50 (70), without a word."""
    grades = MEASURED + [">50"] * 8
    _, _, error = _labels(
        _table(tmp_path / "li.csv", {"Li_ppm": grades}),
        "Li_ppm",
        threshold_quantile=0.5,
        negatives="both",
    )
    assert error is not None
    text = " ".join(str(error).split())
    assert "above an upper limit" in text and "threshold_quantile" in text, text


def test_a_quantile_under_the_grades_above_a_limit_is_kept(tmp_path: Path) -> None:
    """Control: two ``>1000`` above ten grades of 10..100: the median, 65, as before."""
    counts, _, error = _labels(
        _table(tmp_path / "li.csv", {"Li_ppm": MEASURED + [">1000"] * 2}),
        "Li_ppm",
        threshold_quantile=0.5,
        negatives="both",
    )
    assert error is None, error
    assert counts is not None
    assert counts["threshold"] == 65.0, counts
