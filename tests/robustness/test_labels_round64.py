"""Round 64: what round 63 left of labels and point tables, and what a survey scientist's
real tables bring. A sample ID given twice at one place with two grades (a re-assay, a
copy slip) read by the labels as two records without a word; a radius column of accuracy
classes (``A``/``B``/``C``, ``exact``/``approximate``) named with ``radius_column`` read by
nothing without a word, and a bare ``precision`` named so told to be named; a detection
limit column named for no element (``lod_ppm`` beside ``li_ppm``) unread, its fix unsaid;
a grade column given twice in the header (``li`` and ``li`` after a merge) read by the
labels as its first copy, where the point reader refuses it; a header repeated mid-file
(two exports joined) told by the labels to "write numbers only (units belong in the
header)"; and a row of units naming ``‰`` alone (``,,‰``) read as a record without
coordinates, its unit lost.

Found by feeding the labels reader (``prospect.models.labels.read_occurrences``) and the
point reader (``prospect.io.points.read_points``) tables as laboratories, spreadsheets and
occurrence databases export them (2026-12-07). Every table is small and SYNTHETIC: round
56's eight wells in the Netherlands (as rounds 62b and 63).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from prospect.io.points import read_points
from prospect.models.labels import read_occurrences

from .test_labels_round62b import NL, NL_PLACES
from .test_vectors_round22 import _caught


def _write(folder: Path, head: str, cells: list[Any], extra: list[str] | None = None,
           name: str = "table.csv", encoding: str = "utf-8") -> Path:
    """A SYNTHETIC table of the eight wells: ``head`` over ``lon,lat,<cells>`` rows."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    rows = [f"{x},{y},{c}" for (x, y), c in zip(NL_PLACES, cells, strict=True)]
    path.write_bytes(("\n".join([head, *rows, *(extra or [])]) + "\n").encode(encoding))
    return path


def _labels(path: Path, column: str = "li", **options: Any
            ) -> tuple[Any, list[str], Exception | None]:
    """The labels reader's read of ``path`` onto :data:`NL`."""
    return _caught(lambda: read_occurrences(path, NL, value_column=column, **options))


def _points(path: Path, column: str = "li", **options: Any
            ) -> tuple[Any, list[str], Exception | None]:
    """A surface's read of ``path`` (the point reader, values below a limit as half)."""
    return _caught(lambda: read_points(path, to_crs="EPSG:28992", columns=[column],
                                       below_as_half=True, **options))


_GRADES = [10, 11, 12, 13, 14, 15, 16, 17]
"""SYNTHETIC lithium grades (ppm) of the eight wells."""


# --- one sample ID at one place with two grades -----------------------------------------------


def _id_table(folder: Path, column: str, again: Any, x: float, y: float) -> Path:
    """The wells with IDs ``S0``..``S7`` under ``column``, and ``S2`` again at its place
    (``x``, ``y``) with the grade ``again`` (line 10)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "assays.csv"
    rows = [f"S{i},{px},{py},{g}" for i, ((px, py), g) in enumerate(
        zip(NL_PLACES, _GRADES, strict=True))]
    path.write_text("\n".join([f"{column},lon,lat,li", *rows, f"S2,{x},{y},{again}"]) + "\n",
                    "utf-8")
    return path


@pytest.mark.parametrize("column", ["sample_id", "SampleNo", "lab_id"])
def test_a_sample_id_given_twice_at_one_place_with_other_grades_is_said(
        tmp_path: Path, column: str) -> None:
    """SYNTHETIC: sample ``S2`` given again at its place with 500 ppm where it had 12 (a
    re-assay, or a copy slip). Before: two records without a word (the cell a positive
    where either reaches the threshold), where a surface's points said it; now said with
    the ID, the values, the lines, what was done and the fix; every record read as
    before."""
    x, y = NL_PLACES[2]
    occ, said, error = _labels(_id_table(tmp_path, column, 500, x, y))
    assert error is None, error
    assert occ.values.tolist() == [*map(float, _GRADES), 500.0]
    (twice,) = [w for w in said if "sample ID" in w]
    assert twice.endswith(
        f"1 sample ID(s) in column {column!r} are given twice or more at one place with "
        "different values of 'li' (e.g. 'S2': 12, 500 at lines 4, 10): each is read as a "
        "record of its own (a cell is a positive where any of them reaches the threshold); "
        "a re-assay or a copy slip: keep one record per sample (the value to use), or give "
        "each sample its own ID"), twice


# --- a radius column of accuracy classes, and a bare name given as the radius column ---------


@pytest.mark.parametrize(("column", "classes", "max_radius", "shown", "out"), [
    ("loc_qual", "ABC", None, "'A', 'B', 'C'", "'radius_column'"),
    ("precision", ["exact", "approximate"], None, "'exact', 'approximate'",
     "'radius_column'"),
    ("loc_qual", "ABC", 100.0, "'A', 'B', 'C'", "'max_radius' and 'radius_column'"),
], ids=["abc", "exact-approximate", "abc-max-radius"])
def test_a_radius_column_of_accuracy_classes_is_refused(
        tmp_path: Path, column: str, classes: Any, max_radius: float | None, shown: str,
        out: str) -> None:
    """SYNTHETIC: a location-accuracy column of classes (``A``/``B``/``C``, a national
    database's; ``exact``/``approximate``) named with ``radius_column``. Before: read by
    nothing without a word, every record placed as if exact (with ``max_radius``: "holds
    no number", a class not said to be no radius); now refused, naming the column, its
    classes and the fix, in the labels and the point reader alike."""
    cells = [f"{g},{classes[i % len(classes)]}" for i, g in enumerate(_GRADES)]
    path = _write(tmp_path, f"lon,lat,li,{column}", cells)
    options = {"radius_column": column, "max_radius": max_radius}
    for read in (_labels, _points):
        table, _, error = read(path, **options)
        assert table is None and error is not None
        asked = (f"'max_radius' is {max_radius:g} m but " if max_radius else
                 f"'radius_column' names {column!r} but ")
        assert str(error).endswith(
            f"{asked}column {column!r} holds no radius in metres (e.g. {shown}): a class of "
            "location accuracy is no radius; give each record's radius in metres (a column "
            f"of each class's radius, e.g. A as 10, B as 100), or leave {out} out"), error


_RADII_M = [10, 5000, 20, 30, 2500, 15, 10, 10]
"""SYNTHETIC location radii in metres: lines 3 and 6 wider than :data:`NL`'s 1 km cells."""


def test_a_bare_name_given_as_radius_column_is_read(tmp_path: Path) -> None:
    """SYNTHETIC: radii in metres under a bare ``precision`` (a name that alone is as
    often a laboratory's), named with ``radius_column: precision``. Before: the name was
    passed over as unnamed, nothing said of two records known to +-5 km in 1 km cells;
    now read as named."""
    path = _write(tmp_path, "lon,lat,li,precision",
                  [f"{g},{r}" for g, r in zip(_GRADES, _RADII_M, strict=True)])
    occ, said, error = _labels(path, radius_column="precision")
    assert error is None, error
    assert occ.values.tolist() == list(map(float, _GRADES))
    assert any("2 of 8 record(s) have a location radius (column 'precision' (its name "
               "states no unit: read as metres)) larger than the region's cells (1000 m) "
               "(lines 3, 6; e.g. 5000 m)" in w for w in said), said


def test_max_radius_with_a_bare_name_given_as_radius_column(tmp_path: Path) -> None:
    """SYNTHETIC: the same table read for a surface with ``max_radius: 1000``. Before:
    "the table has no column of location radii ... name it with 'radius_column:
    <column>'", which the config had done; now the two records over 1000 m are
    dropped."""
    path = _write(tmp_path, "lon,lat,li,precision",
                  [f"{g},{r}" for g, r in zip(_GRADES, _RADII_M, strict=True)])
    table, said, error = _points(path, radius_column="precision", max_radius=1000.0)
    assert error is None, error
    assert table.lines.tolist() == [2, 4, 5, 7, 8, 9]
    assert any("2 of 8 record(s) have a location radius (column 'precision' (its name "
               "states no unit: read as metres)) over max_radius 1000 m (lines 3, 6; e.g. "
               "5000 m): dropped" in w for w in said), said


# --- a detection-limit column named for no element ---------------------------------------------


@pytest.mark.parametrize("limits", ["lod_ppm", "Detection limit (ppm)", "DL"])
@pytest.mark.parametrize("read", [_labels, _points], ids=["labels", "surface"])
def test_a_limit_column_named_for_no_element_is_named_with_the_fix(
        tmp_path: Path, limits: str, read: Any) -> None:
    """SYNTHETIC: ``<LOD`` and ``BDL`` grades under ``li_ppm`` with each row's limit in a
    column named for no element (``lod_ppm``, ``Detection limit (ppm)``, ``DL``), as a
    lab sheet of one element writes it. Such a column is no companion (it may be any
    element's), and pairing it with one grade column is no safe guess; before, the limits
    beside went unsaid; now the warning names the column and the name that has it read."""
    cells = ["12,0.5", "<LOD,0.5", "15,0.5", "20,1", "BDL,1", "13,0.5", "14,0.5", "16,0.5"]
    _, said, error = read(_write(tmp_path, f"lon,lat,li_ppm,{limits}", cells), "li_ppm")
    assert error is None, error
    (unread,) = [w for w in said if "not finite numbers" in w]
    assert unread.endswith(
        f"column {limits!r} holds detection limits but names no element, so it is read as "
        "no column's limits: rename it 'li_ppm_DL' (the grade column's name, then DL) to "
        "have each row's limit read with its grade, or name it in the points source: "
        "'limits: {li_ppm: " + limits + "}'"), unread


# --- a grade column twice, a header again, a row of per-mille units ---------------------------


def test_a_grade_column_given_twice_is_refused_by_the_labels(tmp_path: Path) -> None:
    """SYNTHETIC: ``li`` twice in the header (two sheets merged, the second a re-assay),
    as pandas reads ``li`` and ``li.1``. Before: the labels read the first copy without a
    word, where the point reader refuses the table; now both refuse it alike."""
    path = _write(tmp_path, "lon,lat,li,li", [f"{g},{g * 10}" for g in _GRADES])
    occ, _, error = _labels(path)
    assert occ is None and error is not None
    assert str(error).endswith("column(s) ['li'] appear more than once in the header; rename "
                               "or remove the extra one so the column to read is clear"), error


def test_a_header_repeated_mid_file_is_said_as_such_by_the_labels(tmp_path: Path) -> None:
    """SYNTHETIC: two exports joined one after another, the header again on line 6.
    Before: the labels said its ``li`` was "not finite numbers ... write numbers only
    (units belong in the header)"; now, as the point reader says it, the line repeats
    the header, and the eight wells are read."""
    path = _write(tmp_path, "lon,lat,li", _GRADES)
    lines = path.read_text().splitlines()
    path.write_text("\n".join([*lines[:5], "lon,lat,li", *lines[5:]]) + "\n")
    occ, said, error = _labels(path)
    assert error is None, error
    assert occ.values.tolist() == list(map(float, _GRADES))
    assert occ.numbers.tolist() == [2, 3, 4, 5, 7, 8, 9, 10]
    assert not any("not finite numbers" in w for w in said), said
    assert any(w.endswith("1 of 9 occurrence record(s) have no usable coordinates (line 6) "
                          "and are left out of the labels; line 6 repeats the header "
                          "(tables joined one after another?): check that no rows of either "
                          "table are missing") for w in said), said


@pytest.mark.parametrize("encoding", ["utf-8", "cp1252"])
def test_a_row_of_per_mille_units_alone_is_read_as_units(tmp_path: Path,
                                                         encoding: str) -> None:
    """SYNTHETIC: a second header row naming the grade's unit alone, ``,,‰`` (UTF-8, and
    Windows-1252 as Excel saves a CSV). Before: read as a record without coordinates and
    ``'‰'`` as a grade that is no number ("write numbers only"); now the row's unit is
    the column's, as ``,,ppm`` is."""
    path = _write(tmp_path, "lon,lat,li\n,,\u2030", [g / 10 for g in _GRADES],
                  encoding=encoding)
    occ, said, error = _labels(path)
    assert error is None, error
    assert occ.numbers.tolist() == [3, 4, 5, 6, 7, 8, 9, 10] and occ.unit == "\u2030"
    assert said == [f"{path}: line 2 holds units (li: \u2030), not values: read as a second "
                    "header row and skipped; its units are the columns' units where "
                    "'units:' gives none"], said


# --- controls ---------------------------------------------------------------------------------


def test_control_a_wells_samples_at_its_collar_are_not_said(tmp_path: Path) -> None:
    """SYNTHETIC control: ``hole_id`` ``S2`` twice at its collar with 12 and 500 (two
    samples of one well), and ``sample_id`` ``S2`` given again with its own grade (a row
    exported twice): no sample ID said, every record read."""
    x, y = NL_PLACES[2]
    for column, again in (("hole_id", 500), ("sample_id", 12)):
        occ, said, error = _labels(_id_table(tmp_path / column, column, again, x, y))
        assert error is None, error
        assert occ.values.size == 9
        assert not any("sample ID" in w for w in said), said


def test_control_a_radius_column_with_a_few_words_reads_its_numbers(tmp_path: Path) -> None:
    """SYNTHETIC control: radii named with ``radius_column`` with ``n/a`` on two records:
    the numbers read (line 3 said), as before."""
    radii = ["10", "5000", "n/a", "30", "n/a", "15", "10", "10"]
    path = _write(tmp_path, "lon,lat,li,genauigkeit_m",
                  [f"{g},{r}" for g, r in zip(_GRADES, radii, strict=True)])
    occ, said, error = _labels(path, radius_column="genauigkeit_m")
    assert error is None, error
    assert occ.values.size == 8
    assert any("1 of 8 record(s) have a location radius (column 'genauigkeit_m') larger "
               "than the region's cells (1000 m) (line 3; e.g. 5000 m)" in w
               for w in said), said


def test_control_a_limit_column_named_for_its_element_is_read(tmp_path: Path) -> None:
    """SYNTHETIC control: the limits under ``li_ppm_DL``: each ``<LOD`` takes its row's
    limit (0.5, 1), nothing said of a column to rename."""
    cells = ["12,0.5", "<LOD,0.5", "15,0.5", "20,1", "BDL,1", "13,0.5", "14,0.5", "16,0.5"]
    occ, said, error = _labels(_write(tmp_path, "lon,lat,li_ppm,li_ppm_DL", cells), "li_ppm")
    assert error is None, error
    assert np.array_equal(occ.limit, [np.nan, 0.5, np.nan, np.nan, 1.0] + [np.nan] * 3,
                          equal_nan=True), occ.limit
    assert not any("rename it" in w for w in said), said


_DELTAS = [-7.5, -6.2, -8.1, -5.0, -7.7, -6.9, -7.0, -6.5]
"""SYNTHETIC delta-18O values (per mille VSMOW), negative as they are."""


def test_an_isotope_ratio_under_per_mille_alone_keeps_its_unit_and_signs(
        tmp_path: Path) -> None:
    """SYNTHETIC: delta-18O under ``,,‰`` for a surface. Before: the row a record without
    coordinates, the surface's unit lost; now the unit is read, and each value as written
    (a ratio's minus is no detection limit)."""
    path = _write(tmp_path, "lon,lat,d18O\n,,\u2030", _DELTAS)
    table, said, error = _points(path, "d18O")
    assert error is None, error
    assert table.values["d18O"].tolist() == _DELTAS and table.units == {"d18O": "\u2030"}
    assert not any("below" in w or "negative" in w or "without usable" in w
                   for w in said), said


def test_control_an_isotope_ratio_in_per_mille_keeps_its_signs(tmp_path: Path) -> None:
    """SYNTHETIC control: delta-18O in per mille under a full row of units
    (``deg,deg,‰``): each value read as written, none below a limit, as before."""
    path = _write(tmp_path, "lon,lat,d18O\ndeg,deg,\u2030", _DELTAS)
    table, said, error = _points(path, "d18O")
    assert error is None, error
    assert table.values["d18O"].tolist() == _DELTAS
    assert table.units == {"d18O": "\u2030"}
    assert not any("below" in w or "negative" in w for w in said), said
