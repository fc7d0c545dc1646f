"""Commodity cells naming the mineral with a doubt written after it (``Li, possibly``,
``Li probable``, ``Cu, Li, poss.``), detection limits written with the other decimal
separator than their table's (``<0,1`` among numbers of decimal points, ``<0.1`` in a table
of decimal commas), cells saying a sample was not analysed (``n.b.``, ``k.A.``, ``not
analysed``) told to "write numbers only", and a deviated well's formation tops (``Top
(m)``, ``Bovenkant``) said as an ID given at two places.

Found by feeding the train stage's label reading (``prospect.models.training.read_labels``)
and the surfaces' point reader (``prospect.ingest.surfaces.plan_points``) tables as MRDS-
and MinDat-like exports, Dutch and German laboratories and NLOG-like well tables write them
(2026-12-06), taking round 50's "found and left". Every table is small and SYNTHETIC:
round 35's eight Great Basin places and ten Dutch wells.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from .test_labels_round35 import PLACES, _labels, _table
from .test_labels_round36 import _plan
from .test_labels_round48 import _quoted
from .test_labels_round50 import GRADES, _dutch_table, _wells

# --- a doubt written after the commodity ----------------------------------------------------


@pytest.mark.parametrize(
    "cell",
    [
        "Li, possibly",
        "Lithium, probably",
        "Li possibly",
        "Li probable",
        "Li, poss.",
        "Li (prob.)",
        "Li (poss)",
        "Lithium; maybe",
        "Li, likely",
        "Li, vermoedelijk",
        "Li (wahrscheinlich)",
    ],
    ids=[
        "comma-possibly",
        "comma-probably",
        "space-possibly",
        "space-probable",
        "poss-dot",
        "prob-bracket",
        "poss-bracket",
        "semicolon-maybe",
        "likely",
        "dutch",
        "german",
    ],
)
def test_a_doubt_written_after_lithium_is_no_positive(tmp_path: Path, cell: str) -> None:
    """SYNTHETIC: lithium named with a doubt after it (``Li, possibly``, ``Li probable``,
    ``Li, poss.``, Dutch ``vermoedelijk``) in records 2 and 4. Before: read as naming
    lithium, 4 positives (a label from a doubt), without a word; now left out (2), said
    as round 50's ``Li?`` is."""
    cells = ["Lithium", cell, "Lithium", cell, "Copper", "Gold", "Zinc", "Lead"]
    labels, said, error = _labels(
        tmp_path / "occ.csv", _table("commodity", _quoted(cells)), mineral="lithium"
    )
    assert error is None and labels is not None, error
    assert labels.n_positive == 2, (labels.counts, said)
    told = [s for s in said if "only with a doubt" in s]
    assert len(told) == 1 and "2 of 8 record(s) name lithium" in told[0], said
    assert "lines 3, 5" in told[0] and "Traceback" not in told[0], told


def test_a_doubt_after_lithium_beside_copper_keeps_the_copper(tmp_path: Path) -> None:
    """SYNTHETIC: ``Cu, Li, possibly`` (the doubt a part of its own, after lithium) under a
    copper model stays a copper positive, and under a lithium model is no positive.
    Before: lithium and copper both the deposit's own."""
    cells = ["Lithium", "Cu, Li, possibly", "Lithium", "Zinc", "Gold", "Lead", "Zinc", "Gold"]
    text = _table("commodity", _quoted(cells))
    labels, said, error = _labels(tmp_path / "occ.csv", text, mineral="lithium")
    assert error is None and labels is not None and labels.n_positive == 2, (error, said)
    labels, said, error = _labels(tmp_path / "cu.csv", text, mineral="copper")
    assert error is None and labels is not None and labels.n_positive == 1, (error, said)


def test_a_table_naming_lithium_only_with_a_doubt_after_it_is_refused(tmp_path: Path) -> None:
    """SYNTHETIC: every lithium record writes ``Li, possibly``. Before: those were the
    positives; now refused in one line naming the cells."""
    cells = ["Li, possibly", "Copper", "Li, possibly", "Zinc", "Gold", "Lead", "Copper", "Gold"]
    _, _, error = _labels(
        tmp_path / "occ.csv", _table("commodity", _quoted(cells)), mineral="lithium"
    )
    assert error is not None and "only with a doubt" in str(error), error
    assert "'Li, possibly'" in str(error) and "\n" not in str(error), error


@pytest.mark.parametrize(
    "cell",
    ["Lithium, tin", "Li, probable resource", "Probable reserves: Li", "Li pegmatite"],
    ids=["two-commodities", "resource-class", "reserve-class", "pegmatite"],
)
def test_control_lithium_beside_other_words_stays_a_positive(tmp_path: Path, cell: str) -> None:
    """Control, SYNTHETIC: ``Lithium, tin``, a resource class (``Li, probable resource``,
    ``Probable reserves: Li``) and ``Li pegmatite`` stay lithium positives (3), nothing
    said of doubts."""
    cells = ["Lithium", cell, "Lithium", "Copper", "Gold", "Zinc", "Lead", "Gold"]
    labels, said, error = _labels(
        tmp_path / "occ.csv", _table("commodity", _quoted(cells)), mineral="lithium"
    )
    assert error is None and labels is not None, error
    assert labels.n_positive == 3 and not any("doubt" in s for s in said), said


# --- a detection limit in the other decimal notation ----------------------------------------

POINT_GRADES = [g.replace(",", ".") for g in GRADES]
"""Round 50's seven SYNTHETIC grades in decimal points."""


@pytest.mark.parametrize("cell", ["<0,1", "< 0,05", "<1,5", "<0,100"])
def test_a_limit_with_a_decimal_comma_in_a_table_of_points_is_read(
    tmp_path: Path, cell: str
) -> None:
    """SYNTHETIC: a lab's limit typed with a decimal comma (``<0,1``) among grades exported
    as numbers with decimal points. Before: missing, "leave each as written with its
    limit" (as it was), so the record below 0.1 was no negative under the threshold 20;
    now its limit, a negative, said with the line and the fix."""
    labels, said, error = _labels(
        tmp_path / "occ.csv",
        _table("Li (mg/l)", _quoted([cell, *POINT_GRADES])),
        value_column="Li (mg/l)",
        threshold=20,
    )
    assert error is None and labels is not None, error
    counts = labels.counts
    assert counts["records_below_limit_as_negative"] == 1, (counts, said)
    assert counts["records_without_grade"] == 0, (counts, said)
    told = [s for s in said if "decimal comma where the table writes decimal points" in s]
    assert len(told) == 1 and "line 2" in told[0] and repr(cell) in told[0], said


def test_a_limit_with_a_decimal_point_in_a_table_of_commas_is_read(tmp_path: Path) -> None:
    """SYNTHETIC: ``<0.1`` in a Dutch table (``;``, decimal commas). Before: missing, a
    negative lost; now read as below 0.1, said."""
    labels, said, error = _labels(
        tmp_path / "occ.csv",
        _dutch_table("Li (mg/l)", ["<0.1", *GRADES]),
        value_column="Li (mg/l)",
        threshold=20,
    )
    assert error is None and labels is not None, error
    assert labels.counts["records_below_limit_as_negative"] == 1, (labels.counts, said)
    assert any("decimal point where the table writes decimal commas" in s for s in said), said


def test_a_limit_with_a_decimal_comma_is_half_of_it_on_a_surface(tmp_path: Path) -> None:
    """SYNTHETIC: ``<0,1`` under ``Li (mg/l)`` of ten Dutch wells in decimal points.
    Before: missing, the well left out of the surface; now 0.05, half its limit."""
    cells = ['"<0,1"', *POINT_GRADES, "7", "8"]
    layers, said, error = _plan(tmp_path / "w.csv", _wells("Li (mg/l)", cells), column="Li (mg/l)")
    assert error is None and layers, error
    z = np.asarray(layers[0].z, dtype=float)
    assert z.size == 10 and z[0] == pytest.approx(0.05), (z, said)


def test_control_a_limit_that_reads_either_way_is_not_read_otherwise(tmp_path: Path) -> None:
    """Control, SYNTHETIC: ``<1.000`` in a table of decimal commas is 1000 in the table's
    notation (undecided above the threshold 20), as before, and ``<0,1`` in it a negative,
    nothing said of notations."""
    for cell, counted in (
        ("<1.000", "records_below_limit_undecided"),
        ("<0,1", "records_below_limit_as_negative"),
    ):
        labels, said, error = _labels(
            tmp_path / "occ.csv",
            _dutch_table("Li (mg/l)", [cell, *GRADES]),
            value_column="Li (mg/l)",
            threshold=20,
        )
        assert error is None and labels is not None and labels.counts[counted] == 1, said
        assert not any("where the table writes" in s for s in said), said


# --- a cell saying its sample was not analysed ----------------------------------------------


@pytest.mark.parametrize(
    "cell", ["n.b.", "k.A.", "not analysed", "nicht bestimmt", "n.a.", "I.S.", "--"]
)
def test_a_cell_saying_not_analysed_is_said_so(tmp_path: Path, cell: str) -> None:
    """SYNTHETIC: Dutch and German ``n.b.`` (niet bepaald, nicht bestimmt), ``k.A.``,
    ``not analysed``, ``I.S.`` (insufficient sample), ``--`` as the second record's
    lithium. Before: missing, told "write numbers only (units belong in the header)",
    which no number fixes; now missing, said as not analysed with the fix."""
    labels, said, error = _labels(
        tmp_path / "occ.csv",
        _table("Li (mg/l)", _quoted(["35.5", cell, *POINT_GRADES[1:]])),
        value_column="Li (mg/l)",
        threshold=20,
    )
    assert error is None and labels is not None, error
    assert labels.counts["records_without_grade"] == 1, labels.counts
    told = [s for s in said if "line 3" in s and "read as missing" in s]
    assert len(told) == 1 and "1 say the sample was not analysed" in told[0], said
    assert "leave such cells empty" in told[0] and "write numbers only" not in told[0], told


def test_control_not_detected_stays_a_limit_and_words_stay_numbers_only(tmp_path: Path) -> None:
    """Control, SYNTHETIC: ``n.d.`` stays a detection limit, and ``see note`` "write
    numbers only", as before."""
    labels, said, error = _labels(
        tmp_path / "occ.csv",
        _table("Li (mg/l)", _quoted(["n.d.", "see note", *POINT_GRADES[1:]])),
        value_column="Li (mg/l)",
        threshold=20,
    )
    assert error is None and labels is not None, error
    told = [s for s in said if "read as missing" in s]
    assert len(told) == 1 and "1 are detection limits ('n.d.')" in told[0], said
    assert "the rest: write numbers only" in told[0] and "not analysed" not in told[0], told


# --- a deviated well's formation tops --------------------------------------------------------


def _tops(name: str, top: str, far: bool = False) -> str:
    """Ten SYNTHETIC Dutch wells (``;``) with one formation top each, and W3's three deeper
    tops down its deviated path (200 to 600 m east of its collar; 27 km away ``far``)."""
    rows = [
        f"W{i};{5.05 + 0.04 * i:.6f};{51.95 + 0.03 * i:.6f};F{i};{1000 + 10 * i}" for i in range(10)
    ] + [
        f"W3;{(5.5 if far else 5.17 + 0.003 * (k + 1)):.6f};{52.2 if far else 52.04:.6f};F{k};{d}"
        for k, d in enumerate((1500, 2000, 2500))
    ]
    return f"{name};lon;lat;Formation;{top}\n" + "\n".join(rows) + "\n"


@pytest.mark.parametrize(
    ("name", "top"),
    [
        ("Boorgat", "Top (m)"),
        ("well", "top_md"),
        ("well", "Formation top (m)"),
        ("Boorgat", "Bovenkant (m NAP)"),
        ("Bohrung", "Oberkante (m)"),
    ],
    ids=["top", "top-md", "formation-top", "bovenkant", "oberkante"],
)
def test_a_deviated_wells_tops_are_not_said_at_two_places(
    tmp_path: Path, name: str, top: str
) -> None:
    """SYNTHETIC: W3's formation tops listed where its deviated path crosses them, under
    ``Top (m)`` (``top_md``, Dutch ``Bovenkant``, German ``Oberkante``). Before: said as
    an ID at two or more places ("coordinates copied onto the wrong row"); now one well
    down its path, as samples under a depth column are."""
    layers, said, error = _plan(tmp_path / "tops.csv", _tops(name, top), column=top)
    assert error is None and layers and len(layers[0].z) == 13, error
    assert not any("two or more places" in s for s in said), said


def test_control_a_wells_tops_27_km_away_are_said(tmp_path: Path) -> None:
    """Control, SYNTHETIC: W3's tops given 27 km from its collar (farther than the well
    reaches) are still said as an ID at two places."""
    layers, said, error = _plan(
        tmp_path / "tops.csv", _tops("Boorgat", "Top (m)", True), column="Top (m)"
    )
    assert error is None and layers, error
    assert any("given at two or more places" in s and "'W3'" in s for s in said), said


# --- a formula written in capitals -----------------------------------------------------------

CAPITALS = ["NB2O5", "COPPER", "NB2O5, TA2O5", "GOLD", "SNO2", "ZINC", "LI2O", "LEAD"]
"""A SYNTHETIC upper-case export's commodities: oxides' formulas in capitals."""


@pytest.mark.parametrize(
    ("mineral", "positives"),
    [("niobium", 2), ("tin", 1), ("lithium", 1), ("tantalum", 1)],
)
def test_an_oxide_formula_in_capitals_names_its_metal(
    tmp_path: Path, mineral: str, positives: int
) -> None:
    """SYNTHETIC: ``NB2O5``, ``SNO2``, ``LI2O``, ``TA2O5`` in an upper-case export. Before:
    read one letter a symbol, ``NB2O5`` was boron and ``SNO2`` sulphur, ``LI2O`` and
    ``TA2O5`` named nothing: a niobium, tin, lithium or tantalum model refused the table
    or lost its deposits; now each names its metal."""
    labels, said, error = _labels(
        tmp_path / "occ.csv", _table("commodity", _quoted(CAPITALS)), mineral=mineral
    )
    assert error is None and labels is not None, error
    assert labels.n_positive == positives, (labels.counts, said)
    assert not any("boron" in s or "sulphur" in s for s in said), said


def test_a_grade_column_named_by_a_formula_in_capitals_is_its_metals(tmp_path: Path) -> None:
    """SYNTHETIC: a niobium model's grades under ``NB2O5_PCT``, and a boron model's. Before:
    the column was read as boron's grade; now niobium's: the niobium model labels by it,
    the boron model is told the column is another commodity's."""
    from prospect.config.commodities import column_commodity, grade_of_another

    assert column_commodity("NB2O5_PCT") == "niobium"
    assert column_commodity("SNO2_PPM") == "tin"
    assert grade_of_another("niobium", "NB2O5_PCT") is None
    assert grade_of_another("boron", "NB2O5_PCT") == "niobium"


def test_control_formulas_in_symbol_case_and_carbon_dioxide_keep_their_reading() -> None:
    """Control: ``Nb2O5``, ``SnO2``, ``WO3``, ``V2O5``, ``U3O8`` name their metals as before;
    ``CO2`` (carbon dioxide, not ``Co2``), ``HCO3`` (bicarbonate, not cobalt) and ``H2O``
    none; ``PPM`` and ``ID2`` are no formula."""
    from prospect.config.commodities import _formula_commodity

    for token, metal in (
        ("Nb2O5", "niobium"),
        ("SnO2", "tin"),
        ("WO3", "tungsten"),
        ("V2O5", "vanadium"),
        ("U3O8", "uranium"),
        ("CO2", None),
        ("H2O", None),
        ("HCO3", None),
    ):
        assert _formula_commodity(token) == (True, metal), token
    assert _formula_commodity("PPM") == (False, None)
    assert _formula_commodity("ID2") == (False, None)


# --- a well's path given by a directional survey ----------------------------------------------


def _surveyed(inclinations: tuple[float, float, float], name: str = "Inclination") -> str:
    """Ten SYNTHETIC vertical Dutch wells (``;``) and W3 sampled three times down its path,
    each record at W3's collar with its survey station (MD, ``name``, azimuth)."""
    rows = [
        f"W{i};{5.05 + 0.04 * i:.6f};{51.95 + 0.03 * i:.6f};{1000 + i};0;0;{10 + i}"
        for i in range(10)
    ] + [
        f"W3;5.170000;52.040000;{md};{inc:g};90;{20 + k}"
        for k, (md, inc) in enumerate(zip((1500, 2000, 2500), inclinations, strict=True))
    ]
    return f"Boorgat;lon;lat;MD (m);{name};Azimuth;li\n" + "\n".join(rows) + "\n"


@pytest.mark.parametrize("name", ["Inclination", "Incl (deg)", "Inclinatie", "Neigung"])
def test_a_wells_path_given_by_a_survey_is_said(tmp_path: Path, name: str) -> None:
    """SYNTHETIC: W3's samples given at its collar with their survey stations (inclination
    30 to 60 degrees, Dutch ``Inclinatie``, German ``Neigung``). Before: kriged at the
    collar, said only as records at one place ("keep one depth per well"); now said as
    a directional survey whose path Prospect does not compute, naming the column, the
    lines and the fix."""
    layers, said, error = _plan(tmp_path / "w.csv", _surveyed((30, 45, 60), name))
    assert error is None and layers, error
    told = [s for s in said if "directional survey" in s]
    assert len(told) == 1 and "3 of 13 record(s) lie on deviated wells" in told[0], said
    assert f"column {name!r}" in told[0] and "lines 12, 13, 14" in told[0], told
    assert "up to 60 on line 14" in told[0] and "minimum curvature" in told[0], told


def test_control_vertical_wells_surveyed_are_not_said(tmp_path: Path) -> None:
    """Control, SYNTHETIC: survey stations of 0 to 3 degrees (a vertical well's drift) are
    not said as a deviated path."""
    layers, said, error = _plan(tmp_path / "w.csv", _surveyed((1, 2, 3)))
    assert error is None and layers, error
    assert not any("directional survey" in s for s in said), said


# --- one site said both barren and an occurrence ---------------------------------------------


def _statuses(extra: str) -> str:
    """Round 35's eight SYNTHETIC places, each a ``Producer`` of ``commodity`` lithium
    (copper at the fourth), and ``extra`` records after them."""
    rows = [
        f"S{i},{x:.5f},{y:.5f},Producer,{'Copper' if i == 3 else 'Lithium'}"
        for i, (x, y) in enumerate(PLACES)
    ]
    return "site,lon,lat,status,commodity\n" + "\n".join(rows) + "\n" + extra


def test_a_barren_record_at_an_occurrences_place_is_said(tmp_path: Path) -> None:
    """SYNTHETIC: site S2 listed as a ``Producer`` and again, at the very same place, as
    ``Barren`` (``S2b``, one more decimal written). Before: the producer a positive, the
    barren record left out with the others, nothing said of the two; now said, naming
    both lines and the fix; the labels as before (7 positives)."""
    x, y = PLACES[2]
    extra = f"S2b,{x:.6f},{y:.6f},Barren,Lithium\n"
    labels, said, error = _labels(tmp_path / "occ.csv", _statuses(extra), mineral="lithium")
    assert error is None and labels is not None and labels.n_positive == 7, error
    told = [s for s in said if "very place of an occurrence" in s]
    assert len(told) == 1 and "line 10 at line 4's place" in told[0], said
    assert "remove its occurrence record" in told[0], told


def test_control_a_barren_record_elsewhere_or_at_another_commoditys_is_not_said(
    tmp_path: Path,
) -> None:
    """Control, SYNTHETIC: a barren record 1 km from an occurrence, and one at the copper
    producer's place (left out of a lithium model), are not said as at an occurrence."""
    (x, y), (cx, cy) = PLACES[2], PLACES[3]
    extra = f"S9,{x + 0.01:.5f},{y:.5f},Barren,Lithium\nS10,{cx:.5f},{cy:.5f},Barren,Lithium\n"
    labels, said, error = _labels(tmp_path / "occ.csv", _statuses(extra), mineral="lithium")
    assert error is None and labels is not None and labels.n_positive == 7, error
    assert any("are barren by their 'status'" in s for s in said), said
    assert not any("very place of an occurrence" in s for s in said), said
