"""Point tables with records commented out as MATLAB and C users do, depth columns of
both signs, variograms fitted to a handful of wells, GSLIB point files, and brine
screenings of a surface kriged from an ion or a figure named in words or another language.

Found by feeding the train stage's label reading (``prospect.models.training.read_labels``),
the surfaces' point reader (``prospect.ingest.surfaces.plan_points``), the screen stage's
check and report (``check_surface``, ``write_screen_report``) and the economic screening
(``prospect.screening.plan_economics``) what survey scientists keep (2026-12-05): a record
commented out with ``%`` or ``//`` was labelled a positive and kriged (round 35 read only
``#``); wells written positive down beside wells written as elevations in one ``depth``
column were interpolated to a depth of about 0 between them; five wells kriged gave a
"kriging variance" and a leave-one-out verdict from a variogram of 10 pairs without a word;
a GSLIB file (``wells.dat``: title, count, one name a line) was "no column(s) ['X', 'Y']";
a surface kriged from ``chloride``, ``natrium_mg_l``, ``Chlorid``, ``zoutgehalte`` or
``HCO3`` was screened as lithium. Every file is small and SYNTHETIC.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from pipelines.screen_report import write_screen_report
from prospect.config.economics import EconomicsConfig
from prospect.config.sources import PointSource
from prospect.errors import DataError
from prospect.ingest.surfaces import KrigingLayer, plan_points
from prospect.screening import plan_economics

from .test_labels_round31 import _surface_of_column
from .test_labels_round35 import DUTCH, WELLS, _labels, _table
from .test_screening_round27 import _cube
from .test_vectors_round22 import _caught


def _plan(path: Path, text: str, column: str = "li", *, x: str = "lon", y: str = "lat",
          interpolate: tuple[str, ...] = ("idw",), **extra: Any
          ) -> tuple[list[Any] | None, list[str], Exception | None]:
    """``plan_points`` of the SYNTHETIC table ``text`` written to ``path`` (WGS 84, the
    Dutch region): (layers or None, warnings, error)."""
    path.write_text(text, "utf-8")
    src = PointSource(kind="points", name="w", path=str(path), x=x, y=y, crs="EPSG:4326",
                      columns=[column], interpolate=list(interpolate), **extra)
    return _caught(lambda: plan_points(src, DUTCH))


# --- records commented out with '%' or '//' ---------------------------------------------------


@pytest.mark.parametrize("mark", ["%", "% ", "//"], ids=["percent", "percent-space", "slashes"])
def test_a_record_commented_out_with_percent_or_slashes_is_no_label(
        tmp_path: Path, mark: str) -> None:
    """S3 (graded 30, line 5) commented out with MATLAB's ``%`` or C's ``//``. Before: read
    as a record named ``%S3`` and labelled a positive (4 positives, nothing said; round 35
    read only ``#``); now not read (3), with a warning naming the mark and line 5."""
    text = _table("li", [str(30 if i % 2 else 5) for i in range(8)], {3: mark})
    labels, said, error = _labels(tmp_path / "occ.csv", text, value_column="li", threshold=20)
    assert error is None and labels is not None, error
    assert labels.n_positive == 3, labels.counts
    note = [s for s in said if f"commented out with {mark.strip()!r}" in s]
    assert len(note) == 1 and "(line 5;" in note[0], said


def test_a_well_commented_out_with_slashes_is_not_kriged(tmp_path: Path) -> None:
    """A well commented out as ``//W4`` (grade 30). Before: weighed by IDW as a tenth well
    (10 values, 30 among them); now 9, said."""
    rows = [("//" if i == 4 else "") + w for i, w in enumerate(WELLS)]
    layers, said, error = _plan(tmp_path / "w.csv", "site,lon,lat,li\n" + "\n".join(rows))
    assert error is None and layers, error
    assert layers[0].settings["values"] == 9, layers[0].settings
    assert 30.0 not in np.asarray(layers[0].z).tolist()
    assert any("commented out with '//'" in s and "(line 6;" in s for s in said), said


def test_control_a_record_commented_out_with_a_hash_is_said_as_before(tmp_path: Path) -> None:
    """Control: ``#`` (round 35) is still said with its own mark, and a table of no comment
    says nothing of comments."""
    text = _table("li", [str(30 if i % 2 else 5) for i in range(8)], {3: "#"})
    labels, said, _ = _labels(tmp_path / "a.csv", text, value_column="li", threshold=20)
    assert labels is not None and labels.n_positive == 3, said
    assert any("commented out with '#'" in s for s in said), said
    text = _table("li", [str(30 if i % 2 else 5) for i in range(8)])
    labels, said, _ = _labels(tmp_path / "b.csv", text, value_column="li", threshold=20)
    assert labels is not None and labels.n_positive == 4, said
    assert not any("commented out" in s for s in said), said


def test_control_a_row_of_units_starting_with_percent_is_no_comment(tmp_path: Path) -> None:
    """Control: a row of units under the header whose first cell is ``%`` (``porosity``
    first) is read as the row of units, as before, not as a line commented out."""
    rows = [w.replace(f"W{i},", f"{10 + i},", 1) for i, w in enumerate(WELLS)]
    layers, said, error = _plan(tmp_path / "u.csv", "porosity,lon,lat,li\n%,deg,deg,mg/L\n"
                                + "\n".join(rows))
    assert error is None and layers and layers[0].settings["values"] == 10, error
    assert layers[0].units == "mg/L", layers[0].units
    assert not any("commented out" in s for s in said), said


# --- depths written positive down beside elevations ----------------------------------------

DEPTHS = [(-1 if i in (2, 5, 7) else 1) * (2000 + 37 * i) for i in range(10)]
"""Ten SYNTHETIC formation tops: seven written positive down, three (lines 4, 7, 9) as
elevations, negative down."""


def _depth_rows(values: list[float]) -> str:
    return "\n".join(f"W{i},{5.05 + 0.04 * i:.6f},{51.95 + 0.03 * i:.6f},{v}"
                     for i, v in enumerate(values))


@pytest.mark.parametrize("column", ["top_depth_m", "diepte", "Depth (m)"])
def test_depths_of_both_signs_are_refused(tmp_path: Path, column: str) -> None:
    """Two operators' wells merged: depths of a formation top positive down and three
    wells written as elevations (-2074 m). Before: interpolated as one surface, 2000 beside
    -2074 read as about 0 between them, exit 0 without a word; now refused, naming the
    column, the lines of the fewer sign and both fixes."""
    _, _, error = _plan(tmp_path / "d.csv", f"site,lon,lat,\"{column}\"\n"
                        + _depth_rows(DEPTHS), column)
    assert isinstance(error, DataError), error
    text = str(error)
    assert f"depth column {column!r}" in text and "lines 4, 7, 9" in text, text
    assert "-2074" in text and "negate" in text and "TVDSS" in text, text


def test_control_depths_below_a_datum_and_of_one_sign_are_read(tmp_path: Path) -> None:
    """Control: ``TVDSS`` (below sea level: negative above it, shallow wells under hills)
    and ``depth_to_water`` (an artesian well's head above the ground) of both signs,
    depths all positive down, and a ``-999`` among depths (said as a fill, not as a sign)
    are interpolated as before."""
    layers, _, error = _plan(tmp_path / "a.csv", "site,lon,lat,TVDSS\n" + _depth_rows(DEPTHS),
                             "TVDSS")
    assert error is None and layers and layers[0].settings["values"] == 10, error
    water = [-4.5, 12.0, 30.5, -2.0, 8.0, 15.5, 22.0, 3.5, 40.0, 18.0]
    layers, _, error = _plan(tmp_path / "h.csv", "site,lon,lat,depth_to_water_m\n"
                             + _depth_rows(water), "depth_to_water_m")
    assert error is None and layers and layers[0].settings["values"] == 10, error
    ups = [abs(v) for v in DEPTHS]
    layers, _, error = _plan(tmp_path / "b.csv", "site,lon,lat,depth\n" + _depth_rows(ups),
                             "depth")
    assert error is None and layers, error
    layers, said, error = _plan(tmp_path / "c.csv", "site,lon,lat,depth\n"
                                + _depth_rows([*ups[:9], -999]), "depth")
    assert error is None and layers, error
    assert any("-999" in s and "nodata" in s for s in said), said


# --- a variogram fitted to a handful of wells ----------------------------------------------

FEW = "is fitted to only"
"""What the warning of a variogram fitted to few places says."""


def _wells(n: int, seed: int = 36) -> str:
    rng = np.random.default_rng(seed)
    return "site,lon,lat,li\n" + "\n".join(
        f"W{i},{5.05 + 0.4 * rng.random():.6f},{51.95 + 0.3 * rng.random():.6f},"
        f"{10 + 5 * rng.random():.2f}" for i in range(n))


def test_a_variogram_of_five_wells_is_said(tmp_path: Path) -> None:
    """Five wells kriged. Before: a spherical variogram fitted to 10 pairs and its
    'kriging variance' written without a word (or as "pure nugget", as if the data had
    said so); now a warning counts the places and pairs and names IDW."""
    layers, said, error = _plan(tmp_path / "w.csv", _wells(5), interpolate=("kriging",))
    assert error is None and layers, error
    few = [s for s in said if FEW in s]
    assert len(few) == 1 and "5 places (10 pairs" in few[0], said
    assert "'w_li_variance'" in few[0] and "interpolate: [idw]" in few[0], few
    assert not any("pure nugget" in s for s in said), said


def test_a_variogram_of_three_wells_is_said_to_fit_them_whatever_the_data(
        tmp_path: Path) -> None:
    """Three wells (the least kriging takes): 3 pairs in 3 distance classes for 3
    parameters, a curve through them whatever the data. Before: nothing said."""
    _, said, error = _plan(tmp_path / "w.csv", _wells(3), interpolate=("kriging",))
    assert error is None, error
    few = [s for s in said if FEW in s]
    assert len(few) == 1 and "no more than its 3 parameters" in few[0], said


def test_control_a_variogram_of_a_dozen_wells_says_nothing_of_few(tmp_path: Path) -> None:
    """Control: twelve wells kriged; nothing said of too few places."""
    layers, said, error = _plan(tmp_path / "w.csv", _wells(12), interpolate=("kriging",))
    assert error is None and layers, error
    assert not any(FEW in s for s in said), said


def test_the_screen_report_says_a_surface_of_five_wells(tmp_path: Path) -> None:
    """The screen stage's report of five wells kriged. Before: a variogram, MSDR and
    "Kriging predicts the left-out points better than IDW" as for a hundred wells; now a
    paragraph says the variogram rests on 5 places and the variance on a guessed model."""
    from pipelines.stages.screen import check_surface

    path = tmp_path / "w.csv"
    path.write_text(_wells(5), "utf-8")
    src = PointSource(kind="points", name="w", path=str(path), x="lon", y="lat",
                      crs="EPSG:4326", columns=["li"], interpolate=["kriging"])
    layers, _, error = _caught(lambda: plan_points(src, DUTCH))
    assert error is None and layers, error
    surface = next(la for la in layers if isinstance(la, KrigingLayer) and not la.variance)
    check = check_surface(src, surface, DUTCH)
    cube, _ = _cube(tmp_path / "c.zarr", 12.0, "mg/L")
    check["variable"] = "li"  # (the small cube's surface, for the report's maps)
    facts = {"job": "unit", "synthetic": True, "region": {}, "surfaces": [check]}
    text = write_screen_report(tmp_path / "screen", facts, cube=cube).read_text()
    assert "Too few points for a variogram" in text and "only 5 places" in text, text


# --- a GSLIB point file ---------------------------------------------------------------------

GSLIB = """Wells of the 1991 survey (SYNTHETIC)
4
X
Y
depth m
Li ppm
""" + "\n".join(f"{5.05 + 0.04 * i:.6f} {51.95 + 0.03 * i:.6f}  {100 + i:.1f}   {10 + 5 * i:.2f}"
                for i in range(8)) + "\n"
"""A GSLIB (Geo-EAS) file of eight SYNTHETIC wells: a title, the number of variables, one
name a line (one with a space), rows separated by blanks."""


@pytest.mark.parametrize("name", ["wells.dat", "wells.gslib"])
def test_a_gslib_point_file_is_read_by_its_variable_names(tmp_path: Path, name: str) -> None:
    """Before: ``wells.dat`` was read with its title as the header ("no column(s) ['X',
    'Y', 'Li ppm']; columns are ['Wells', 'of', 'the', ...]"), and ``wells.gslib`` was
    "cannot read as a vector file (corrupt?)"; now its names are the columns, and the
    eight wells' grades are interpolated, line numbers as in the file."""
    layers, _, error = _plan(tmp_path / name, GSLIB, "Li ppm", x="X", y="Y")
    assert error is None and layers, error
    assert np.asarray(layers[0].z).tolist() == [10.0 + 5 * i for i in range(8)]
    _, said, error = _plan(tmp_path / name, GSLIB.replace("  45.00", "  -999"), "Li ppm",
                           x="X", y="Y")
    assert error is None, error
    assert any("-999" in s and "line 14" in s for s in said), said  # (7th well, line 14)


def test_control_a_title_over_a_csv_is_still_a_title(tmp_path: Path) -> None:
    """Control: a title line over a CSV header (round 17) is skipped as before, not read as
    GSLIB's."""
    text = "Wells of the 1991 survey\n" + "site,lon,lat,li\n" + "\n".join(WELLS) + "\n"
    layers, said, error = _plan(tmp_path / "t.csv", text)
    assert error is None and layers and layers[0].settings["values"] == 10, error
    assert any("the header is line 2" in s for s in said), said


def test_control_a_blank_separated_table_whose_first_id_is_its_width_is_no_gslib(
        tmp_path: Path) -> None:
    """Control: ``id x y li`` separated by blanks, its first record's id 4 (the number of
    columns): read as the table it is (six wells), not as a GSLIB file naming its rows."""
    rows = [f"{4 + i} {5.05 + 0.04 * i:.2f} {51.95 + 0.03 * i:.2f} {3 + i}" for i in range(6)]
    layers, _, error = _plan(tmp_path / "w.txt", "id x y li\n" + "\n".join(rows) + "\n",
                             x="x", y="y")
    assert error is None and layers, error
    assert np.asarray(layers[0].z).tolist() == [3.0 + i for i in range(6)]


# --- a brine surface of an ion or a figure named in words -------------------------------------


@pytest.mark.parametrize(("column", "what"), [
    ("chloride", "a grade of Cl"), ("Chloride (mg/L)", "a grade of Cl"),
    ("natrium_mg_l", "a grade of Na"), ("Chlorid", "a grade of Cl"),
    ("zoutgehalte_g_l", "salinity"), ("HCO3", "a grade of bicarbonate"),
    ("Calcium_mg_l", "a grade of Ca"), ("salinité", "salinity"),
])
def test_a_surface_of_an_ion_in_words_is_not_screened_as_lithium(
        tmp_path: Path, column: str, what: str) -> None:
    """A brine table's other analyses named in words, in Dutch or German, or as a formula.
    Before: screened as lithium (every tonnage of chloride, exit 0; round 35 read symbols
    and English element names only); now refused, naming the column and what it is."""
    cube, grid = _surface_of_column(tmp_path, column)
    _, _, error = _caught(lambda: plan_economics(EconomicsConfig(concentration="li"), cube, grid))
    assert isinstance(error, DataError), error
    assert f"{column!r}" in str(error) and f"{what}, not a lithium" in str(error), error


@pytest.mark.parametrize("column", ["Lithium (mg/L)", "lithium", "li", "Li_mgL", "conc"])
def test_control_a_surface_of_lithium_in_words_screens(tmp_path: Path, column: str) -> None:
    """Control: lithium named in words or as its symbol, or a name that says nothing,
    screens as before."""
    cube, grid = _surface_of_column(tmp_path, column)
    layers = plan_economics(EconomicsConfig(concentration="li"), cube, grid)
    assert layers and layers[0].scale == 1.0, layers
