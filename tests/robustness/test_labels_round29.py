"""Quantiles at tied grades, cells holding both sides of a threshold, thresholds in another
unit and degrees and minutes written with a space.

Found by feeding the train stage's label reading (``prospect.models.training.read_labels``,
what ``prospect train`` and the score stage call) the well and sample tables a survey
scientist keeps (2026-12-04): a ``threshold_quantile`` at a grade many records share (a
lab's rounding) made every one of them a positive, 16 of 20 at a median, without a word;
a cell holding a well measured twice on both sides of the threshold was a positive and
its lower record in no label, counted only as merged; a ``threshold`` given in % over a
column in ppm (0.3 over 100..3000) made every record a positive and none a negative, and
one given in ppm over a column in % was "0 positive cells ... lower the threshold" with
no grade to compare it with; and coordinates in degrees and decimal minutes written with a
space (``52 07.404``, as GPS units and field sheets give them) were "no numbers". Every
file is small and SYNTHETIC.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from prospect.config.model import LabelsConfig, ModelConfig
from prospect.config.sources import PointSource
from prospect.errors import DataError, DataWarning
from prospect.models.training import build_training_set

from .test_labels_round28 import RD, _labels, _table
from .test_vectors_round22 import _caught


def _said(said: list[str], *words: str) -> list[str]:
    """The warnings holding every one of ``words``."""
    return [s for s in said if all(w in s for w in words)]


# --- a quantile at a tied grade ------------------------------------------------------------

TIED = [str(v) for v in (10, 20, 30, 40, *[50] * 11, 60, 70, 80, 90, 100)]
"""Twenty grades, eleven of them 50 (a lab's rounding to 10): the median is 50."""


def test_a_quantile_at_a_tied_grade_says_how_many_it_makes_positive(tmp_path: Path) -> None:
    """The median of twenty grades of which eleven are 50 is 50: every record at 50 is a
    positive, 16 of 20 where the median names about 10. Before: no word; now a warning
    naming the tie, the count and the fix, and ``records_tied_at_threshold``."""
    counts, said, error = _labels(
        _table(tmp_path / "li.csv", {"Li_ppm": TIED}),
        "Li_ppm",
        threshold_quantile=0.5,
        negatives="both",
    )
    assert error is None, error
    assert counts is not None
    assert counts["threshold"] == 50.0 and counts["positive_cells"] == 16, counts
    hit = _said(said, "li.csv", "0.5 quantile", "11 of its 20", "16", "threshold:")
    assert hit, said
    assert counts["records_tied_at_threshold"] == 11, counts


def test_a_quantile_at_a_tie_counts_records_not_points(tmp_path: Path) -> None:
    """The tie is counted per record: a row pasted twice at the tied grade is one record
    (a warning names 11 of 20, not 12 of 21)."""
    text = _table(tmp_path / "li.csv", {"Li_ppm": TIED}).read_text().splitlines()
    tied_row = next(line for line in text[1:] if line.endswith(",50"))
    (tmp_path / "li.csv").write_text("\n".join([*text, tied_row]) + "\n")
    _, said, error = _labels(
        tmp_path / "li.csv", "Li_ppm", threshold_quantile=0.5, negatives="both"
    )
    assert error is None, error
    assert _said(said, "0.5 quantile", "11 of its 20"), said


def test_a_quantile_between_grades_says_nothing_of_ties(tmp_path: Path) -> None:
    """Control: grades tied below the quantile (four 10s, a median of 55) and distinct
    grades are silent; nothing counted."""
    grades = ["10"] * 4 + [str(v) for v in range(20, 161, 10)] + ["10"] * 2
    counts, said, error = _labels(
        _table(tmp_path / "li.csv", {"Li_ppm": grades}),
        "Li_ppm",
        threshold_quantile=0.5,
        negatives="both",
    )
    assert error is None, error
    assert counts is not None
    assert not _said(said, "quantile"), said
    assert counts.get("records_tied_at_threshold", 0) == 0, counts
    assert counts["threshold"] == float(np.quantile(np.array(grades, float), 0.5)), counts


# --- a cell holding records on both sides of the threshold ---------------------------------


def _wells(path: Path, rows: list[tuple[float, float, str]]) -> Path:
    path.write_text("lon,lat,Li_ppm\n" + "".join(f"{x},{y},{v}\n" for x, y, v in rows))
    return path


def test_a_positive_cell_holding_a_record_below_the_threshold_is_said(tmp_path: Path) -> None:
    """A well measured twice, 66 and 79, at a threshold of 77 (as the Dutch heat flow
    records some wells): one cell, a positive, its record of 66 in no label. Before:
    counted only among the records merged into a shared cell; now a warning naming both
    records' lines and grades, and ``positive_cells_holding_negatives``."""
    path = _wells(
        tmp_path / "wells.csv",
        [
            (5.05123, 52.05123, "66"),
            (5.15123, 52.15123, "20"),
            (5.05124, 52.05124, "79"),
            (5.25123, 52.25123, "90"),
            (5.20123, 52.20123, "30"),
        ],
    )
    counts, said, error = _labels(path, "Li_ppm", threshold=77, negatives="both")
    assert error is None, error
    assert counts is not None
    assert counts["positive_cells"] == 2 and counts["negative_cells"] == 2, counts
    assert counts["positive_cells_holding_negatives"] == 1, counts
    assert _said(said, "wells.csv", "1 positive cell(s)", "line 2: 66 and line 4: 79"), said


def test_records_sharing_a_cell_on_one_side_are_not_said(tmp_path: Path) -> None:
    """Control: two records in one cell both above the threshold (and two both below)
    are merged as before, without the warning."""
    path = _wells(
        tmp_path / "wells.csv",
        [
            (5.05123, 52.05123, "80"),
            (5.05124, 52.05124, "90"),
            (5.15123, 52.15123, "20"),
            (5.15124, 52.15124, "10"),
            (5.25123, 52.25123, "95"),
        ],
    )
    counts, said, error = _labels(path, "Li_ppm", threshold=77, negatives="both")
    assert error is None, error
    assert counts is not None
    assert counts.get("positive_cells_holding_negatives", 0) == 0, counts
    assert counts["merged_into_shared_cell"] == 2, counts
    assert not _said(said, "positive cell(s)"), said


# --- a threshold in another unit than its column -------------------------------------------


def test_a_threshold_under_every_grade_is_said(tmp_path: Path) -> None:
    """``threshold: 0.3`` (meant in %) over grades of 100..2950 ppm: every record is a
    positive and none a negative. Before: silent; now a warning naming the lowest grade
    and the column's unit."""
    grades = [str(v) for v in range(100, 3001, 150)]
    counts, said, error = _labels(
        _table(tmp_path / "li.csv", {"Li_ppm": grades}), "Li_ppm", threshold=0.3, negatives="both"
    )
    assert error is None, error
    assert counts is not None and counts["positive_cells"] == 20, counts
    assert _said(said, "li.csv", "every one of the 20", "0.3", "lowest grade is 100 ppm"), said


def test_a_threshold_among_the_grades_or_below_a_limit_is_silent(tmp_path: Path) -> None:
    """Controls: a threshold among the grades, and one under every measured grade where a
    record below a detection limit is a negative, say nothing of it."""
    for name, grades, threshold in (
        ("among", ["10", "50", "90"], 30.0),
        ("limit", ["<5", "50", "90"], 30.0),
    ):
        counts, said, error = _labels(
            _table(tmp_path / f"{name}.csv", {"Li_ppm": grades}),
            "Li_ppm",
            threshold=threshold,
            negatives="both",
        )
        assert error is None, (name, error)
        assert counts is not None and counts["negative_cells"] == 1, (name, counts)
        assert not _said(said, "every one of the"), (name, said)


def test_a_threshold_over_every_grade_names_the_highest(tmp_path: Path) -> None:
    """``threshold: 3000`` (meant in ppm) over a column in % (0.01..1.2): no positive.
    Before: "0 positive cell(s) ... lower the threshold", no grade given; now the refusal
    names the highest grade and asks whether the threshold is in %."""
    path = _table(tmp_path / "li.csv", {"Li_pct": ["0.01", "0.2", "0.5", "1.2"]})
    config = ModelConfig(
        mineral="lithium",
        labels=LabelsConfig(source="occ", value_column="Li_pct", threshold=3000),
    )
    source = PointSource(kind="points", name="occ", path=str(path))
    _, _, error = _caught(
        lambda: build_training_set(None, None, grid=RD, source=source, cfg=config)  # type: ignore[arg-type]
    )
    assert isinstance(error, DataError), error
    text = " ".join(str(error).split())
    assert "0 positive cell(s)" in text and "highest grade is 1.2 pct" in text, text
    assert "threshold in pct" in text, text


# --- degrees and decimal minutes written with a space --------------------------------------


@pytest.mark.parametrize(
    ("lat", "lon", "expected"),
    [
        (["52 07.404", "52 12.000"], ["5 03.000", "5 09.000"], (1, 1)),
        (["52 07 24", "52 12 00"], ["5 03 00", "5 09 00"], (1, 1)),
    ],
    ids=["decimal-minutes", "minutes-seconds"],
)
def test_degrees_and_minutes_with_a_space_are_read(
    tmp_path: Path, lat: list[str], lon: list[str], expected: tuple[int, int]
) -> None:
    """``52 07.404`` (degrees and decimal minutes, as GPS units and field sheets write
    them) is 52.1234. Before: "column 'lat' holds no numbers (e.g. '52 07.404')"."""
    path = tmp_path / "dm.csv"
    path.write_text(
        "lat,lon,Li_ppm\n"
        + "".join(f"{a},{b},{v}\n" for a, b, v in zip(lat, lon, ("10", "50"), strict=True))
    )
    counts, _, error = _labels(path, "Li_ppm", threshold=30, negatives="both")
    assert error is None, error
    assert counts is not None
    assert (counts["positive_cells"], counts["negative_cells"]) == expected, counts
    assert counts["outside_grid"] == 0, counts


def test_digits_grouped_by_spaces_stay_numbers(tmp_path: Path) -> None:
    """Control: RD coordinates grouped by spaces (``152 070``) are metres, never degrees
    and minutes."""
    path = tmp_path / "rd.csv"
    path.write_text('x,y,Li_ppm\n"152 070","452 000",10\n"153 070","453 000",50\n')
    counts, _, error = _labels(
        path, "Li_ppm", {"crs": "EPSG:28992", "x": "x", "y": "y"}, threshold=30, negatives="both"
    )
    assert error is None, error
    assert counts is not None
    assert (counts["positive_cells"], counts["negative_cells"]) == (1, 1), counts


# --- a grade column's unit stated twice, on two scales -------------------------------------


def _units_row(path: Path, header: str, unit: str, grades: list[str]) -> Path:
    """A CSV with a second header row of units (``deg,deg,%``) above ``grades``."""
    rows = "".join(f"{5.05123 + 0.1 * i},{52.05123 + 0.1 * i},{g}\n" for i, g in enumerate(grades))
    path.write_text(f"lon,lat,{header}\ndeg,deg,{unit}\n{rows}")
    return path


PCT = ["0.01", "0.2", "0.5", "1.2"]
"""Four grades in %."""


@pytest.mark.parametrize(
    ("header", "unit_row", "units", "said"),
    [
        ("Li_ppm", "%", None, ("ppm by its header", "% by its row of units")),
        ("Li_pct", None, "ppm", ("pct by its header", "ppm by the source's 'units:'")),
        ("Li", "%", "ppm", ("% by its row of units", "ppm by the source's 'units:'")),
        ("Li (mg/L)", None, "ug/L", ("mg/L by its header", "ug/L by the source's")),
    ],
    ids=["header-ppm-row-pct", "header-pct-units-ppm", "row-pct-units-ppm", "mg-l-ug-l"],
)
def test_a_grade_unit_stated_on_two_scales_is_refused(
    tmp_path: Path,
    header: str,
    unit_row: str | None,
    units: str | None,
    said: tuple[str, str],
) -> None:
    """A grade column stated in ppm by its header and in % by the row of units below it
    (or by the source's ``units:``): the threshold is compared with the numbers as
    written, in one unit or the other, 10 000 times apart. Before: the later statement
    taken, the other dropped, without a word (every record a negative at 3000); now
    refused, naming both statements and where each is."""
    path = (
        _units_row(tmp_path / "li.csv", header, unit_row, PCT)
        if unit_row
        else _table(tmp_path / "li.csv", {header: PCT})
    )
    source = {"columns": [header], "units": {header: units}} if units else None
    _, _, error = _labels(path, header, source, threshold=3000, negatives="both")
    assert isinstance(error, DataError), error
    text = " ".join(str(error).split())
    assert "li.csv" in text and all(s in text for s in said), text
    assert "times apart" in text, text


@pytest.mark.parametrize(
    ("header", "unit_row", "units"),
    [
        ("Li_ppm", "mg/kg", None),
        ("Li_pct", None, "%"),
        ("Li (mg/L)", None, "g/m3"),
        ("Li (mg/L)", None, "ppm"),
    ],
    ids=["ppm-mg-kg", "pct-percent", "mg-l-g-m3", "mg-l-ppm-of-a-water"],
)
def test_a_grade_unit_stated_twice_on_one_scale_is_read(
    tmp_path: Path, header: str, unit_row: str | None, units: str | None
) -> None:
    """Controls: ``ppm`` and ``mg/kg``, ``pct`` and ``%``, ``mg/L`` and ``g/m3`` are one
    scale, and ``ppm`` beside ``mg/L`` (a dilute water's ppm) differs only by the
    water's density: read as before."""
    grades = ["10", "50", "90", "20"]
    path = (
        _units_row(tmp_path / "li.csv", header, unit_row, grades)
        if unit_row
        else _table(tmp_path / "li.csv", {header: grades})
    )
    source = {"columns": [header], "units": {header: units}} if units else None
    counts, _, error = _labels(path, header, source, threshold=30, negatives="both")
    assert error is None, error
    assert counts is not None
    assert (counts["positive_cells"], counts["negative_cells"]) == (2, 2), counts


def test_cells_of_another_unit_than_the_source_says_are_warned_of(tmp_path: Path) -> None:
    """``units: {Li: "%"}`` over cells written ``100 ppm``: the cells are read as written,
    in ppm. Before: nothing said (the header's unit alone was compared with the cells');
    now the warning names the source's unit, the cells' and the key to set
    (``model.labels.threshold``; it named ``min_value``, a key no config has)."""
    path = _table(tmp_path / "li.csv", {"Li": ["100 ppm", "2000 ppm", "5000 ppm", "20 ppm"]})
    counts, said, error = _labels(
        path, "Li", {"columns": ["Li"], "units": {"Li": "%"}}, threshold=1000, negatives="both"
    )
    assert error is None, error
    assert counts is not None and counts["positive_cells"] == 2, counts
    hit = _said(said, "li.csv", "% in the source's 'units:'", "ppm in its cells")
    assert hit and "model.labels.threshold" in hit[0], said


def test_no_label_warning_names_a_key_no_config_has(tmp_path: Path) -> None:
    """The warnings of a header's unit against its cells' (``Li_ppm`` over ``120 ppb``),
    of grades above an upper limit (``>1000``) and of a ratio column named
    ``min_value``, a key of no config (model.labels has ``threshold``). Before: "give
    min_value in ppb"; now "give the threshold in ppb" and the key."""
    path = _table(tmp_path / "li.csv", {"Li_ppm": ["120 ppb", "500 ppb", "40 ppb", "3000 ppb"]})
    _, said, error = _labels(path, "Li_ppm", threshold=100, negatives="both")
    above = _table(tmp_path / "above.csv", {"Li_ppm": [">1000", "50", "90", "20"]})
    _, said_above, error_above = _labels(above, "Li_ppm", threshold=30, negatives="both")
    ratio = _table(tmp_path / "ratio.csv", {"Mg_Li_ratio": ["1", "5", "9", "2"]})
    _, said_ratio, error_ratio = _labels(ratio, "Mg_Li_ratio", threshold=3, negatives="both")
    assert (error, error_above, error_ratio) == (None, None, None)
    units = _said(said, "ppb in its cells")
    limit = _said(said_above, "upper limit of determination")
    ratios = _said(said_ratio, "is a ratio")
    assert units and limit and ratios, (said, said_above, said_ratio)
    for text in (units[0], limit[0], ratios[0]):
        assert "min_value" not in text and "model.labels.threshold" in text, text


# --- records graded below the threshold where the evidence has no data ---------------------


def test_negatives_without_data_are_counted_and_said(tmp_path: Path) -> None:
    """Six sites graded at a threshold of 30, ``negatives: both``, two of the low ones in
    the sea (the east fifth of the region, no data in any layer, as a job's land mask
    leaves it). Before: the two negatives were dropped without a word (positives there
    were said); now ``negatives_without_data`` and a warning naming them."""
    import geopandas as gpd
    from shapely.geometry import Point

    from prospect.features import build_stack
    from prospect.io.cube import open_cube
    from prospect.models.training import select_features

    from .test_models_round27 import GRID, _cube

    rng = np.random.default_rng(29)
    a, b = rng.random(GRID.shape), rng.random(GRID.shape)
    a[:, 80:] = np.nan
    b[:, 80:] = np.nan  # the sea: no layer has data
    cube = _cube(tmp_path / "cube.zarr", {"a": a, "b": b})
    sites = [
        (500_105.0, 1_000_905.0, 80.0),
        (500_305.0, 1_000_505.0, 90.0),
        (500_505.0, 1_000_305.0, 70.0),
        (500_205.0, 1_000_205.0, 10.0),
        (500_905.0, 1_000_405.0, 5.0),
        (500_955.0, 1_000_705.0, 12.0),
    ]
    gpd.GeoDataFrame(
        {"li": [v for *_, v in sites]},
        geometry=[Point(x, y) for x, y, _ in sites],
        crs="EPSG:32619",
    ).to_file(tmp_path / "sites.geojson", driver="GeoJSON")
    cfg = ModelConfig(
        mineral="lithium",
        estimator="logistic_regression",
        permutation_repeats=0,
        partial_dependence=0,
        features=["a", "b"],
        cv={"n_splits": 2, "block_size": 300.0, "seeds": 1, "bootstrap": 0},
        labels={
            "source": "sites",
            "value_column": "li",
            "threshold": 30,
            "negatives": "both",
            "background_ratio": 2,
        },
    )
    ds = open_cube(cube)
    spec = select_features(ds, cfg, labels_path=tmp_path / "sites.geojson")
    source = PointSource(name="sites", path=str(tmp_path / "sites.geojson"))
    ts, said, error = _caught(
        lambda: build_training_set(build_stack(ds, spec), spec, grid=GRID, source=source, cfg=cfg)
    )
    assert error is None, error
    assert ts.counts["negatives_without_data"] == 2, ts.counts
    assert _said(said, "sites.geojson", "2 of 3 negative cells", "no data"), said


# --- a doublet's flow written per day -------------------------------------------------------


def test_a_flow_per_day_is_stated_with_its_key(tmp_path: Path) -> None:
    """``flow_m3_per_day: 3600`` (a production log's figure) is 150 m3/h exactly: the
    tonnages are the default's, silently; the report says where the flow comes from.
    Before: refused as an unknown key, and under ``flow_m3_per_h`` 3600 was refused as
    no doublet's flow while 1200 (50 m3/h) was screened 24 times high."""
    import warnings

    from prospect.config.economics import EconomicsConfig
    from prospect.economics import lce_factor

    from .test_labels_round28 import _report
    from .test_screening_round27 import _cube, _layers

    cfg = EconomicsConfig(concentration="li", flow_m3_per_day=3600)
    assert cfg.flow_m3_per_h == 150.0
    assert EconomicsConfig.model_validate(cfg.model_dump()) == cfg  # written back: same
    cube, grid = _cube(tmp_path / "c.zarr", 100.0, "mg/L", variance=1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)
        lce = _layers(cube, grid, cfg)["lce_t_per_year"]
    factor = lce_factor(flow_m3_per_h=150.0, hours_per_year=8000.0, recovery=0.8)
    assert float(lce[0, 0]) == pytest.approx(100.0 * factor, rel=1e-6)
    line = _report(tmp_path / "r", flow_m3_per_day=3600)
    assert "set in the job as 3600 m3/day (/ 24)" in line and "Den Haag" not in line, line


def test_a_flow_above_a_doublets_range_is_a_warning(tmp_path: Path) -> None:
    """``flow_m3_per_h: 1200`` (50 m3/h written per day), above the 50-600 m3/h doublets
    produce: a warning gives the flow and the key if the figure is per day. Before: every
    tonnage 24 times high without a word."""
    from prospect.config.economics import EconomicsConfig
    from prospect.screening import plan_economics

    from .test_screening_round27 import _cube

    cube, grid = _cube(tmp_path / "c.zarr", 100.0, "mg/L", variance=1.0)
    _, said, error = _caught(
        lambda: plan_economics(EconomicsConfig(concentration="li", flow_m3_per_h=1200), cube, grid)
    )
    assert error is None, error
    hit = _said(said, "flow_m3_per_h 1200", "flow_m3_per_day: 1200", "50 m3/h")
    assert hit, said


def test_a_productive_doublets_flow_is_silent(tmp_path: Path) -> None:
    """Control: 540 m3/h (150 L/s, the Bavarian Molasse's most productive wells) is not
    warned of."""
    from prospect.config.economics import EconomicsConfig
    from prospect.screening import plan_economics

    from .test_screening_round27 import _cube

    cube, grid = _cube(tmp_path / "c.zarr", 100.0, "mg/L", variance=1.0)
    _, said, error = _caught(
        lambda: plan_economics(EconomicsConfig(concentration="li", flow_m3_per_h=540), cube, grid)
    )
    assert error is None, error
    assert not _said(said, "flow_m3_per_h"), said


# --- a quantile of records outside the region ---------------------------------------------


def test_a_quantile_over_records_outside_the_region_is_said(tmp_path: Path) -> None:
    """Ten wells in the region (10..100) and ten of the same national table far outside it
    (200..2000): ``threshold_quantile: 0.5`` is 150, the whole table's median, and no well
    in the region is a positive. Before: without a word (as a European heat-flow table's
    0.9 quantile, 94 mW/m2, graded a Dutch region whose own is 92); now a warning gives
    the region's own quantile (55) and the fix."""
    rows = [f"{5.05123 + 0.011 * i},{52.05123 + 0.013 * i},{10 * (i + 1)}" for i in range(10)]
    rows += [f"{7.5 + 0.01 * i},{50.5},{200 * (i + 1)}" for i in range(10)]
    path = tmp_path / "wells.csv"
    path.write_text("lon,lat,Li_ppm\n" + "\n".join(rows) + "\n")
    counts, said, error = _labels(path, "Li_ppm", threshold_quantile=0.5, negatives="both")
    assert error is None, error
    assert counts is not None and counts["outside_grid"] == 10, counts
    assert counts["threshold"] == 150.0, counts
    hit = _said(said, "wells.csv", "10 of them outside region", "region's records alone it is 55")
    assert hit and "'threshold:' 55" in hit[0], said


def test_a_quantile_of_records_all_in_the_region_says_nothing_of_it(tmp_path: Path) -> None:
    """Control: every record in the region, nothing said of records outside it."""
    counts, said, error = _labels(
        _table(tmp_path / "li.csv", {"Li_ppm": [str(v) for v in range(10, 201, 10)]}),
        "Li_ppm",
        threshold_quantile=0.5,
        negatives="both",
    )
    assert error is None, error
    assert counts is not None and counts["threshold"] == 105.0, counts
    assert not _said(said, "outside region"), said


# --- a negative fill value in a concentration column ---------------------------------------


def test_a_negative_fill_in_a_grade_column_is_no_grade(tmp_path: Path) -> None:
    """One ``-999`` among grades in ppm, ``threshold_quantile: 0.5``: a concentration is
    never negative and no detection limit is 999 ppm, so the cell marks no data. Before:
    read as a grade of -999 (a fill warning needed two rows), the quantile's lowest
    grade (the median 35, not 50) and a negative label, without a word; now missing,
    with a warning naming it and ``nodata:``."""
    path = _table(tmp_path / "li.csv", {"Li_ppm": ["-999", "50", "90", "20", "10", "60"]})
    counts, said, error = _labels(path, "Li_ppm", threshold_quantile=0.5, negatives="both")
    assert error is None, error
    assert counts is not None
    assert counts["threshold"] == 50.0 and counts["records_without_grade"] == 1, counts
    assert (counts["positive_cells"], counts["negative_cells"]) == (3, 2), counts
    assert _said(said, "li.csv", "-999 on 1 of 6", "nodata: -999"), said


def test_a_negative_fill_in_a_surfaces_concentration_is_not_interpolated(tmp_path: Path) -> None:
    """A point table for a surface (``read_points``, what ingest interpolates) with one
    ``-9999`` under ``Li_ppm``: before, the value -9999 went to the kriging without a
    word; now it is missing, and said."""
    from prospect.io.points import read_points

    path = tmp_path / "surf.csv"
    path.write_text(
        "lon,lat,Li_ppm\n5.05123,52.05123,-9999\n5.15123,52.15123,20\n"
        "5.25123,52.25123,30\n5.35123,52.35123,40\n"
    )
    table, said, error = _caught(lambda: read_points(path, to_crs="EPSG:28992", columns=["Li_ppm"]))
    assert error is None, error
    values = table.values["Li_ppm"]
    assert np.isnan(values[0]) and np.array_equal(values[1:], [20.0, 30.0, 40.0]), values
    assert _said(said, "surf.csv", "-9999 on 1 of 4", "nodata: -9999"), said


def test_minus_a_limit_and_fills_of_other_columns_read_as_before(tmp_path: Path) -> None:
    """Controls: ``-5`` in ppm is still below a detection limit of 5 (a negative at 30),
    and ``-9999`` in a column that is no concentration (an elevation) is a value, warned
    of only where two rows hold it, as before."""
    from prospect.io.points import read_points

    counts, _, error = _labels(
        _table(tmp_path / "li.csv", {"Li_ppm": ["-5", "50", "90"]}),
        "Li_ppm",
        threshold=30,
        negatives="both",
    )
    assert error is None, error
    assert counts is not None and counts["records_below_limit_as_negative"] == 1, counts
    path = tmp_path / "elev.csv"
    path.write_text("lon,lat,elev_m\n5.05123,52.05123,-9999\n5.15123,52.15123,20\n")
    table, said, error = _caught(lambda: read_points(path, to_crs="EPSG:28992", columns=["elev_m"]))
    assert error is None, error
    assert table.values["elev_m"][0] == -9999.0, table.values
    assert not _said(said, "-9999"), said


# --- a model's units spelled another way by the cube it is reused on ------------------------


@pytest.mark.parametrize(
    ("have", "want"),
    [("mg/kg", "ppm"), ("ug/kg", "ppb"), ("g/m3", "mg/L"), ("Ω·m", "ohm m"), ("nanotesla", "nT")],
    ids=["mg-kg-ppm", "ug-kg-ppb", "g-m3-mg-l", "omega-m", "nanotesla"],
)
def test_a_cube_in_another_spelling_of_the_models_unit_is_taken(have: str, want: str) -> None:
    """A model trained on till lithium in ``ppm`` reused on a cube whose layer says
    ``mg/kg`` (or resistivity in ``Ω·m`` for ``ohm m``, a magnetic grid in ``nanotesla``
    for ``nT``): one unit on one scale. Before: "units 'mg/kg', model needs 'ppm'", the
    cube refused (as ``mg/L`` and ``g/m3``, which the screening itself takes as one)."""
    import xarray as xr

    from prospect.registry.schema import schema_differences

    cube = xr.Dataset({"v": xr.DataArray(np.zeros((2, 2)), dims=("y", "x"), attrs={"units": have})})
    diffs = schema_differences(cube, {"variables": [{"name": "v", "units": want}]})
    assert diffs == [], diffs


@pytest.mark.parametrize(
    ("have", "want"),
    [("ppb", "ppm"), ("mg/L", "ppm"), ("MW m-2", "mW m-2"), ("ug/L", "mg/L")],
    ids=["ppb-ppm", "mg-l-ppm", "mega-milli", "ug-l-mg-l"],
)
def test_a_cube_in_another_unit_is_still_refused(have: str, want: str) -> None:
    """Controls: units of another scale or quantity stay differences."""
    import xarray as xr

    from prospect.registry.schema import schema_differences

    cube = xr.Dataset({"v": xr.DataArray(np.zeros((2, 2)), dims=("y", "x"), attrs={"units": have})})
    diffs = schema_differences(cube, {"variables": [{"name": "v", "units": want}]})
    assert len(diffs) == 1 and "units" in diffs[0], diffs


# --- commodities written as hyphenated symbols after another part ---------------------------


def test_hyphenated_symbols_after_another_part_name_their_commodities(tmp_path: Path) -> None:
    """A commodity column of MRDS-style cells, ``W-Sn, Li-Ta`` (a tin-tungsten greisen
    with lithium and tantalum) beside ``Li-Be-Ta`` and ``Cu-Zn``, for ``mineral:
    lithium``. Before: the symbols of the second part were read only where the first
    named none, so ``W-Sn, Li-Ta`` was "other commodities" and left out (one of three
    lithium records lost); now two records of lithium and the copper one left out."""
    from prospect.models.training import read_labels

    path = tmp_path / "mrds.csv"
    path.write_text(
        "lon,lat,commodity\n"
        '5.05123,52.05123,"W-Sn, Li-Ta"\n5.15123,52.15123,Li-Be-Ta\n'
        "5.25123,52.25123,Cu-Zn\n"
    )
    source = PointSource(kind="points", name="occ", path=str(path))
    out, said, error = _caught(
        lambda: read_labels(source, RD, LabelsConfig(source="occ"), mineral="lithium")
    )
    assert error is None, error
    cells, occ, _ = out
    assert occ.other_commodity == 1 and cells.counts["positive_cells"] == 2, (
        occ.other_commodity,
        cells.counts,
        said,
    )
