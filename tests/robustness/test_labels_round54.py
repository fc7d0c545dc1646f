"""A threshold no record of a column of probabilities reaches (``threshold: 1`` over an
expert's 0.1 to 0.9) labelling no record without a word at the labels, a threshold of 0.5
over probabilities in % told to mind "a grade's figure in ppm", and degrees, minutes and
seconds joined by hyphens without a hemisphere letter (``38-12-00``, ``-118-30-00``) told
"pick a numeric column" or dropped without a reason.

Found by feeding the train stage's label reading
(``prospect.models.training.read_labels``) and the point reader
(``prospect.io.points.read_points``) what survey scientists hand over (2026-12-06), taking
round 53's "found and left". Every table is small and SYNTHETIC: round 35's eight Great
Basin places.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from prospect.errors import DataError
from prospect.io.points import read_points

from .test_labels_round35 import PLACES, _labels, _table
from .test_labels_round53 import PROBABILITIES
from .test_vectors_round22 import _caught

# --- a threshold over a column of probabilities -----------------------------------------------


@pytest.mark.parametrize(
    ("header", "threshold", "said"),
    [
        ("prob", 1, "model.labels.threshold; a probability of 1 is certainty"),
        ("Li probability", 95, "a probability written 0 to 1 is at most 1"),
        ("confidence", 0.95, "no record reaches the threshold 0.95 (model.labels.threshold)"),
    ],
    ids=["one", "percent-over-fractions", "above-the-highest"],
)
def test_a_threshold_no_probability_reaches_is_refused_at_the_labels(
    tmp_path: Path, header: str, threshold: float, said: str
) -> None:
    """SYNTHETIC: an expert's probabilities 0.1 to 0.9 under ``threshold: 1`` (a 0/1
    column's), ``95`` (meant in %) or ``0.95``. Before: read as labels of no positive,
    without a word (the train stage said later "0 positive cell(s) ... lower the
    threshold"; the score stage's and the plan's readings nothing); now refused at the
    labels in one line naming the column, its range, the threshold and even odds."""
    labels, _, error = _labels(
        tmp_path / "p.csv",
        _table(f'"{header}"', PROBABILITIES),
        value_column=header,
        threshold=threshold,
    )
    assert isinstance(error, DataError) and labels is None, (error, labels)
    text = str(error)
    assert f"column {header!r} (model.labels.value_column) holds probabilities" in text, text
    assert "(8 record(s) from 0.1 to 0.9, 4 below 0.5)" in text, text
    assert said in text and "so none would be a positive" in text, text
    assert "'threshold: 0.5'" in text and "\n" not in text, text
    assert "Traceback" not in text and "internal error" not in text, text


def test_a_threshold_no_probability_in_percent_reaches_is_refused(tmp_path: Path) -> None:
    """SYNTHETIC: the probabilities as percentages (``30%``) under ``threshold: 100``.
    Before: no positive, without a word; now refused, offering ``threshold: 50``."""
    cells = [f"{round(float(p) * 100)}%" for p in PROBABILITIES]
    labels, _, error = _labels(
        tmp_path / "p.csv", _table("prob", cells), value_column="prob", threshold=100
    )
    assert isinstance(error, DataError) and labels is None, (error, labels)
    text = str(error)
    assert "holds probabilities (8 record(s) from 10 to 90 %, 4 below 50 %)" in text, text
    assert "no record reaches the threshold 100" in text, text
    assert "scale (0 to 100 %)" in text and "'threshold: 50'" in text, text


def test_a_fraction_threshold_over_probabilities_in_percent_says_their_scale(
    tmp_path: Path,
) -> None:
    """SYNTHETIC: ``threshold: 0.5`` over probabilities in % (``probability (%)``: 10 to
    90). Every record is a positive, as before and warned as before, but the fix offered
    was "give it in the column's unit (%) (a grade's figure in ppm is 10 000 times its
    figure in %)"; now the column's scale and even odds, ``threshold: 50``."""
    cells = [str(round(float(p) * 100)) for p in PROBABILITIES]
    labels, said, error = _labels(
        tmp_path / "p.csv",
        _table('"probability (%)"', cells),
        value_column="probability (%)",
        threshold=0.5,
    )
    assert error is None and labels is not None, error
    assert labels.n_positive == 8, labels.counts
    note = [s for s in said if "reaches the threshold 0.5" in s]
    assert len(note) == 1, said
    assert "it holds probabilities (8 record(s) from 10 to 90 %" in note[0], note
    assert "even odds are 'threshold: 50'" in note[0] and "ppm" not in note[0], note


def test_control_probabilities_a_threshold_reaches_and_grades_are_read(tmp_path: Path) -> None:
    """Control, SYNTHETIC: ``threshold: 0.9`` over the probabilities (one record reaches
    it: 1 positive), ``threshold: 1`` over probabilities with a 1 among them (1), and
    ``threshold: 1`` over a grade ``Li2O_pct`` of 0.1 to 0.9 % that none reaches (read,
    no positive, left to the train stage's refusal as before); a threshold under every
    grade keeps its words of ppm."""
    labels, _, error = _labels(
        tmp_path / "a.csv", _table("prob", PROBABILITIES), value_column="prob", threshold=0.9
    )
    assert error is None and labels is not None and labels.n_positive == 1, error
    certain = [*PROBABILITIES[:-1], "1"]
    labels, _, error = _labels(
        tmp_path / "b.csv", _table("prob", certain), value_column="prob", threshold=1
    )
    assert error is None and labels is not None and labels.n_positive == 1, error
    labels, said, error = _labels(
        tmp_path / "c.csv",
        _table("Li2O_pct", PROBABILITIES),
        value_column="Li2O_pct",
        threshold=1,
    )
    assert error is None and labels is not None and labels.n_positive == 0, error
    labels, said, error = _labels(
        tmp_path / "d.csv",
        _table("Li2O_pct", PROBABILITIES),
        value_column="Li2O_pct",
        threshold=0.05,
    )
    assert error is None and labels is not None and labels.n_positive == 8, error
    note = [s for s in said if "reaches the threshold 0.05" in s]
    assert len(note) == 1 and "10 000 times its figure in %" in note[0], said


# --- degrees, minutes and seconds joined by hyphens without a hemisphere letter ---------------


def _dms(value: float) -> str:
    """``value`` (degrees) as hyphen-joined degrees, minutes and seconds, signed."""
    whole = abs(value)
    degrees = int(whole)
    minutes = int((whole - degrees) * 60)
    seconds = round(((whole - degrees) * 60 - minutes) * 60)
    return f"{'-' if value < 0 else ''}{degrees}-{minutes:02d}-{seconds:02d}"


def _read(path: Path, rows: list[str]) -> tuple[object, list[str], Exception | None]:
    """``read_points`` of the SYNTHETIC ``site;lat;lon;li`` table of ``rows``."""
    path.write_text("site;lat;lon;li\n" + "\n".join(rows) + "\n", "utf-8")
    return _caught(lambda: read_points(path, x="lon", y="lat", to_crs="EPSG:4326", columns=["li"]))


@pytest.mark.parametrize("signed", [True, False], ids=["minus-sign", "unsigned"])
def test_a_column_of_hyphen_joined_degrees_says_what_to_write(tmp_path: Path, signed: bool) -> None:
    """SYNTHETIC: every latitude and longitude written ``38-12-00`` and ``-118-30-00`` (or
    ``118-30-00``), no hemisphere letter. Before: "column 'lon' holds no numbers (e.g.
    '-118-30-00'); pick a numeric column"; now (read only beside a letter, as round 53
    decided: ``38-12-05`` is as much a date) the refusal says they are degrees joined by
    hyphens and to add the letter or give decimal degrees."""
    rows = [
        f"S{i};{_dms(lat)};{_dms(lon if signed else -lon)};{i}"
        for i, (lon, lat) in enumerate(PLACES)
    ]
    table, _, error = _read(tmp_path / "h.csv", rows)
    assert isinstance(error, DataError) and table is None, (error, table)
    text = str(error)
    assert "column 'lon' holds no numbers" in text and "pick a numeric" not in text, text
    assert "degrees, minutes and seconds joined by hyphens without a hemisphere" in text
    assert "add the letter (N or S, E or W)" in text and "\n" not in text, text


def test_a_row_of_hyphen_joined_degrees_is_dropped_with_its_reason(tmp_path: Path) -> None:
    """SYNTHETIC: record S2 (line 4) written ``38-12-00;118-30-00`` among decimal degrees.
    Before: "1 of 8 row(s) without usable coordinates lon/lat dropped (line 4)", no reason;
    now the same, and why (joined by hyphens, no hemisphere letter) and the fix."""
    rows = [f"S{i};{lat:.5f};{lon:.5f};{i}" for i, (lon, lat) in enumerate(PLACES)]
    rows[2] = "S2;38-12-00;118-30-00;2"
    table, said, error = _read(tmp_path / "r.csv", rows)
    assert error is None and table is not None and len(table.x) == 7, error
    note = [s for s in said if "dropped (line 4)" in s]
    assert len(note) == 1, said
    assert "1 of them (line 4) writes degrees, minutes and seconds joined by hyphens" in note[0]
    assert "('38-12-00')" in note[0] and "add the letter" in note[0], note


def test_control_lettered_hyphens_ranges_and_dates_keep_their_reading(tmp_path: Path) -> None:
    """Control, SYNTHETIC: ``38-12-00N``/``118-30-00W`` read (as round 53 reads them); a
    value column of ranges (``10-20``) still "ranges", a coordinate column of dates
    (``2021-12-05``) still "dates", and a row dropped for an empty cell says no hyphens."""
    rows = [f"S{i};{_dms(lat)}N;{_dms(-lon)}W;{i}" for i, (lon, lat) in enumerate(PLACES)]
    table, _, error = _read(tmp_path / "n.csv", rows)
    assert error is None and table is not None and len(table.x) == 8, error
    assert abs(float(table.x[0]) - PLACES[0][0]) < 1e-3, table.x
    rows = [
        f"S{i};{lat:.5f};{lon:.5f};{10 * i}-{10 * i + 10}" for i, (lon, lat) in enumerate(PLACES)
    ]
    _, _, error = _read(tmp_path / "g.csv", rows)
    assert error is not None and "these are ranges" in str(error), error
    rows = [f"S{i};2021-12-0{i + 1};{lon:.5f};{i}" for i, (lon, _) in enumerate(PLACES)]
    _, _, error = _read(tmp_path / "d.csv", rows)
    assert error is not None and "these look like dates" in str(error), error
    rows = [f"S{i};{lat:.5f};{lon:.5f};{i}" for i, (lon, lat) in enumerate(PLACES)]
    rows[2] = "S2;;-118.2;2"
    _, said, error = _read(tmp_path / "e.csv", rows)
    note = [s for s in said if "dropped (line 4)" in s]
    assert error is None and len(note) == 1 and "joined by hyphens" not in note[0], said
