"""Label and status columns of words, as occurrence tables hand them over.

Found by feeding the labels reader (``prospect.models.labels``) and the train stage's
label reading (``prospect.models.training.read_labels``) the columns a survey's occurrence
table, a field team's sheet and a GIS layer use to say which sites are occurrences
(2026-12-04): a ``status`` column of ``deposit``, ``prospect``, ``barren`` given as
``value_column`` was read as missing grades, with a warning that "a label without a grade
is never a positive", and (without a threshold, where every record is a positive) every
site, the barren ones too, was a positive without a word; with ``threshold: 1`` the job
stopped at "holds no numeric grade". A yes/no column in Dutch (``ja``/``nee``),
Vietnamese (``có``/``không``) or French, or of ``positive``/``negative``, read likewise,
and a ``barren`` beside 1s and 0s was left out of the negatives (a positive without a
threshold). Every file is small and SYNTHETIC.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Point

from prospect.config.model import LabelsConfig
from prospect.config.sources import PointSource
from prospect.grid import RegionGrid
from prospect.models.labels import read_occurrences
from prospect.models.training import read_labels

from .test_tables_round25 import _xlsx
from .test_vectors_round22 import _caught

RD = RegionGrid(crs="EPSG:28992", resolution=100.0,
                bounds=(120_000.0, 440_000.0, 180_000.0, 500_000.0))
"""A Dutch region of 100 m cells (the places below lie in it, each in a cell of its own)."""

PLACES = [(5.1234, 52.1234), (5.2345, 52.2345), (5.3456, 52.3456), (5.1111, 52.2222)]
"""Four SYNTHETIC places in RD's region (four decimals: not coarse)."""


def _table(path: Path, header: str, cells: list[str]) -> Path:
    """A SYNTHETIC CSV of ``lon, lat, <header>`` at :data:`PLACES`."""
    path.write_text(f"lon,lat,{header}\n" + "".join(
        f"{x},{y},{c}\n" for (x, y), c in zip(PLACES, cells, strict=True)), encoding="utf-8")
    return path


def _labels(path: Path, column: str, **labels: object) -> tuple[object, list[str],
                                                                  Exception | None]:
    """The train stage's labels of ``path`` graded by ``column`` (as ``model.labels``)."""
    source = PointSource(kind="points", name="occ", path=str(path))
    config = LabelsConfig(source="occ", value_column=column, **labels)
    return _caught(lambda: read_labels(source, RD, config))


# --- a status column of words ---------------------------------------------------------------

STATUS = ["deposit", "barren", "prospect", "past producer"]


@pytest.mark.parametrize("labels", [{}, {"threshold": 1}], ids=["no-threshold", "threshold"])
def test_a_status_column_of_words_is_refused_naming_its_words(
        tmp_path: Path, labels: dict[str, object]) -> None:
    """SYNTHETIC: ``status`` of deposit, barren, prospect, past producer. Before: without a
    threshold all 4 sites were positives (the barren one too), said only as "not finite
    numbers ... never a positive"; with ``threshold: 1``, "holds no numeric grade"."""
    path = _table(tmp_path / "occurrences.csv", "status", STATUS)
    out, _, error = _labels(path, "status", **labels)
    assert out is None and error is not None
    text = " ".join(str(error).split())
    for needle in ("occurrences.csv", "'status'", "holds words", "'barren' (1)",
                   "'past producer' (1)", "lines 2, 3, 4, ...", "'threshold: 1'",
                   "leave value_column out"):
        assert needle in text, text


def test_a_status_column_of_a_geopackage_is_refused(tmp_path: Path) -> None:
    """SYNTHETIC: a GeoPackage's text field ``status`` of the same words (a GIS layer of
    occurrences): refused naming the features, not read as 4 positives."""
    path = tmp_path / "occurrences.gpkg"
    gpd.GeoDataFrame({"status": STATUS}, geometry=[Point(p) for p in PLACES],
                     crs="EPSG:4326").to_file(path)
    out, _, error = _caught(lambda: read_occurrences(path, RD, value_column="status"))
    assert out is None and error is not None
    text = " ".join(str(error).split())
    assert "holds words" in text and "features 1, 2, 3, ..." in text, text


# --- yes/no in other languages, positive/negative, barren beside 1s and 0s ------------------

@pytest.mark.parametrize("cells", [
    ["ja", "nee", "Ja", "nee"],
    ["có", "không", "có", "không"],
    ["oui", "non", "oui", "non"],
    ["positive", "negative", "positive", "negative"],
    ["present", "absent", "present", "absent"],
    ["1", "barren", "1", "0"],
], ids=["dutch", "vietnamese", "french", "positive-negative", "present-absent",
        "barren-among-0-1"])
def test_presence_words_of_a_label_column_are_read_as_flags(
        tmp_path: Path, cells: list[str]) -> None:
    """SYNTHETIC: a label column of presence words. Before: every cell (or the
    ``barren``) missing; with ``threshold: 1`` the absences were no negatives."""
    path = _table(tmp_path / "occurrences.csv", "label", cells)
    out, said, error = _caught(lambda: read_occurrences(path, RD, value_column="label"))
    assert error is None, error
    assert out.values.tolist() == [1.0, 0.0, 1.0, 0.0], out.values
    assert not [s for s in said if "not finite numbers" in s], said


def test_a_barren_site_among_1s_is_a_negative_and_refused_without_a_threshold(
        tmp_path: Path) -> None:
    """SYNTHETIC: ``label`` of 1, 1, barren, 1. Before: without a threshold all 4 sites
    were positives; with ``threshold: 1`` the barren site was dropped ("without grade"),
    no negative. Now the missing threshold is refused (the column marks an absence), and
    with it the barren site is the one negative cell."""
    path = _table(tmp_path / "occurrences.csv", "label", ["1", "1", "barren", "1"])
    out, _, error = _labels(path, "label")
    assert out is None and error is not None and "'threshold: 1'" in str(error), error
    out, _, error = _labels(path, "label", threshold=1, negatives="both")
    assert error is None, error
    cells, _, _ = out
    counts = cells.counts
    assert (counts["records"], counts["positive_cells"], counts["negative_cells"],
            counts["records_without_grade"]) == (4, 3, 1, 0), counts


def test_a_sheets_number_cells_beside_nee_are_read_as_flags(tmp_path: Path) -> None:
    """SYNTHETIC: an ``.xlsx`` label column of number cells 1 and 0 beside text cells
    ``ja``/``nee`` (typed in by hand): the words were missing, now flags."""
    rows: list[list[object]] = [["lon", "lat", "aanwezig"]]
    rows += [[x, y, c] for (x, y), c in zip(PLACES, [1, "nee", "ja", 0], strict=True)]
    path = _xlsx(tmp_path / "vindplaatsen.xlsx", rows)
    out, _, error = _caught(lambda: read_occurrences(path, RD, value_column="aanwezig"))
    assert error is None, error
    assert out.values.tolist() == [1.0, 0.0, 1.0, 0.0], out.values


# --- controls: grades, detection limits, flags and words among numbers read as before -------

@pytest.mark.parametrize(("cells", "values"), [
    (["yes", "no", "", "Yes"], [1.0, 0.0, np.nan, 1.0]),
    (["1", "0", "1", "0"], [1.0, 0.0, 1.0, 0.0]),
    (["12", "n.d.", "<0.5", "15"], [12.0, np.nan, np.nan, 15.0]),
    (["12", "15", "prospect", "n"], [12.0, 15.0, np.nan, np.nan]),
], ids=["yes-no-blank", "numbers-0-1", "detection-limits", "a-word-among-grades"])
def test_grades_and_flags_read_as_before(tmp_path: Path, cells: list[str],
                                         values: list[float]) -> None:
    """Controls: a yes/no column with a blank, 0s and 1s, grades beside detection limits
    and a word among grades (missing, said) are read as they were."""
    path = _table(tmp_path / "occurrences.csv", "Li_ppm", cells)
    out, _, error = _caught(lambda: read_occurrences(path, RD, value_column="Li_ppm"))
    assert error is None, error
    np.testing.assert_array_equal(out.values, values)


def test_a_column_of_detection_limits_is_no_column_of_words(tmp_path: Path) -> None:
    """Control: grades all below detection (``n.d.``, ``bdl``, ``<0.5``, ``-``) are
    grades of a kind: refused by the train stage as before ("no numeric grade")."""
    path = _table(tmp_path / "occurrences.csv", "Li_ppm", ["n.d.", "bdl", "<0.5", "-"])
    out, _, error = _labels(path, "Li_ppm", threshold=100)
    assert out is None and error is not None
    assert "holds no numeric grade" in str(error) and "holds words" not in str(error)


def test_a_word_among_grades_is_said_to_be_a_positive_without_a_threshold(
        tmp_path: Path) -> None:
    """SYNTHETIC: grades 12, 15, prospect, 20 as labels without a threshold: the warning
    said "a label without a grade is never a positive", while without a threshold every
    record, the ``prospect`` too, is one (4 positive cells). Now it says so."""
    path = _table(tmp_path / "occurrences.csv", "Li_ppm", ["12", "15", "prospect", "20"])
    out, said, error = _labels(path, "Li_ppm")
    assert error is None, error
    cells, _, _ = out
    assert cells.counts["positive_cells"] == 4
    text = [s for s in said if "not finite numbers" in s]
    assert text and "without one, every record is a positive" in text[0], said
