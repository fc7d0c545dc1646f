"""USGS spectrographic qualifiers written after the number (``0.5N``, ``10L``,
``10000G``) or in lower case (``n0.5``, ``l10``): read as missing with "write numbers only
(units belong in the header)" in surfaces and occurrence labels, though round 45 reads
``N(0.5)``, ``L(10)`` and ``G(10000)``.

Found by feeding ``plan_points`` and the train stage's ``read_labels`` tables whose grade
cells carry the qualifier as older USGS open-file reports and hand-typed field sheets
write it (2026-12-06). Every table is small and SYNTHETIC: round 35's ten Dutch wells and
eight Great Basin places.
"""

from __future__ import annotations

import numpy as np
import pytest

from .test_labels_round35 import WELLS, _labels, _table
from .test_labels_round36 import _plan
from .test_labels_round45 import assert_qualified_limits


def _surface(tmp_path, cell: str, at: int = 0):
    """``plan_points`` of the ten wells with well ``at``'s lithium written ``cell``."""
    rows = [f"{w.rsplit(',', 1)[0]},{cell if i == at else w.rsplit(',', 1)[1]}"
            for i, w in enumerate(WELLS)]
    return _plan(tmp_path / "w.csv", "site,lon,lat,li_ppm\n" + "\n".join(rows) + "\n",
                 column="li_ppm")


@pytest.mark.parametrize(("cell", "read"), [("0.5N", 0.25), ("10L", 5.0), ("0.5n", 0.25),
                                            ("n0.5", 0.25), ("l10", 5.0), ("n(0.5)", 0.25)],
                         ids=["N-after", "L-after", "n-after", "n-lower",
                              "l-lower", "n-lower-brackets"])
def test_a_usgs_qualifier_after_the_number_or_in_lower_case_is_a_limit(
        tmp_path, cell: str, read: float) -> None:
    """A well's lithium written with the USGS qualifier ``N`` or ``L`` after its limit
    (``0.5N``) or in lower case before it (``n0.5``). Before: read as missing with "write
    numbers only (units belong in the header)" (9 values); now half its limit, as
    ``<0.5`` and ``N(0.5)`` are, said as below a detection limit."""
    layers, said, error = _surface(tmp_path, cell)
    assert error is None and layers, error
    z = np.asarray(layers[0].z, dtype=float)
    assert len(z) == 10 and z[0] == pytest.approx(read), z
    assert any("below a detection limit (line 2" in s and repr(cell) in s for s in said), said
    assert not any("write numbers only" in s for s in said), said


@pytest.mark.parametrize("cell", ["10000G", "g(10000)"], ids=["G-after", "g-lower"])
def test_a_usgs_g_after_the_number_or_in_lower_case_is_an_upper_limit(tmp_path,
                                                                       cell: str) -> None:
    """``10000G`` / ``g(10000)`` (above the upper limit of determination) in a surface's
    column. Before: "write numbers only (units belong in the header)"; now said as an
    upper limit, with that fix."""
    layers, said, error = _surface(tmp_path, cell, at=3)
    assert error is None and layers, error
    text = [s for s in said if "read as missing (line 5" in s]
    assert len(text) == 1 and f"1 are above an upper limit ({cell!r})" in text[0], said
    assert "write numbers only" not in text[0], text


def test_qualifiers_after_the_number_label_as_limits(tmp_path) -> None:
    """An occurrence table graded ``5, 10000G, 30, 0.5N, 40, 10L, 25, 8``, threshold 20.
    Before: the three qualified grades were missing (``records_without_grade`` 3), the
    richest sample never a positive; now ``10000G`` is a positive at its limit and
    ``0.5N``, ``10L`` negatives below their limits, as ``G(10000)``, ``N(0.5)``, ``L(10)``
    are."""
    assert_qualified_limits(tmp_path, ["5", "10000G", "30", "0.5N", "40", "10L", "25", "8"],
                            upper="10000G")


def test_control_units_and_words_ending_in_the_letters_are_no_qualifiers(tmp_path) -> None:
    """Control: ``0.5 mg/L`` under ``li_ppm`` (a unit of another quantity), ``Nil``,
    ``5 nL`` and ``12 N`` (EPA's inorganic "N", a detected value: no USGS qualifier after a
    space) stay missing, said as before; ``N(0.5)`` is still half its limit."""
    rows = [f"{w.rsplit(',', 1)[0]},{c}" for w, c in
            zip(WELLS, ["N(0.5)", "15", "0.5 mg/L", "20", "Nil", "40", "5 nL", "45", "12 N",
                        "55"], strict=True)]
    layers, said, error = _plan(tmp_path / "w.csv", "site,lon,lat,li_ppm\n" + "\n".join(rows)
                                + "\n", column="li_ppm")
    assert error is None and layers, error
    z = np.asarray(layers[0].z, dtype=float)
    assert len(z) == 6 and z[0] == pytest.approx(0.25), z
    assert any("read as missing" in s for s in said), said


# --- a table whose only commodity column lists trace commodities ----------------------------

TRACES = ["Lithium", "Copper", "Gold", "Lithium; Tin", "Zinc", "Copper", "Gold", "Lead"]
"""The trace commodities of eight SYNTHETIC deposits (two name lithium)."""


@pytest.mark.parametrize("header", ["trace_commodities", "trace_commodity"])
def test_a_table_whose_only_commodity_column_lists_traces_is_refused(tmp_path,
                                                                     header: str) -> None:
    """An occurrence table whose only commodity column is ``trace_commodities`` (the
    deposits' own not given), for a lithium model. Before: the column was no commodity
    column, so all eight deposits (copper, gold, zinc, lead) were lithium positives,
    without a word; now refused, naming the column and both fixes."""
    labels, said, error = _labels(tmp_path / "occ.csv", _table(header, TRACES),
                                  mineral="lithium")
    assert labels is None and error is not None, (labels and labels.counts, said)
    text = str(error)
    assert f"'{header}'" in text and "trace commodities" in text, text
    assert "major commodities" in text and "rename it" in text, text
    assert "Traceback" not in text and "\n" not in text, text


def test_control_trace_commodities_beside_the_major_column_leave_trace_only_records_out(
        tmp_path) -> None:
    """Control: ``commodity`` beside ``trace_commodities``: the lithium deposits are the
    positives (3), the copper mine naming lithium only among its traces is left out, as
    before (by ``commodity`` alone then; now said as a trace-only record)."""
    rows = ["Lithium,Tin", "Copper,Lithium", "Lithium,", "Gold,Silver", "Lithium,Cesium",
            "Zinc,Lead", "Copper,Gold", "Gold,"]
    labels, _said, error = _labels(tmp_path / "occ.csv",
                                   _table("commodity,trace_commodities", rows),
                                   mineral="lithium")
    assert error is None and labels is not None, error
    assert labels.n_positive == 3, labels.counts
