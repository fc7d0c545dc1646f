"""Occurrence tables as mineral databases write them: records of sand and gravel, crushed
stone, clay, oil and gas or geothermal water labelled as occurrences of any model's
mineral, listed commodities under the databases' own names (``Rare Earth``, ``Potassium``,
``Columbium``) refused as "no record names" them, symbols in capitals between spaces
(``CU AU``) and ore words written as adjectives (``Argentiferous galena``) read as no or
another commodity.

Found by feeding the train stage's label reading (``prospect.models.training.read_labels``)
the commodity columns of USGS MRDS extracts (``commod1`` = ``Sand and Gravel,
Construction``, ``Stone, Crushed/Broken``) and of older surveys' tables (2026-12-06). Every
table is small and SYNTHETIC: round 35's eight Great Basin places.
"""

from __future__ import annotations

import numpy as np
import pytest

from prospect.config.model import LabelsConfig
from prospect.config.sources import PointSource
from prospect.models.training import read_labels

from .test_labels_round35 import DUTCH, WELLS, _labels, _table
from .test_labels_round36 import _plan
from .test_vectors_round22 import _caught

# --- records of commodities Prospect does not list ------------------------------------------

MRDS_OTHERS = ["Sand and Gravel, Construction", "Stone, Crushed/Broken", "Clay",
               "Petroleum; Gas, Natural", "Geothermal"]
"""The commodities of five SYNTHETIC MRDS records of a Nevada county beside three
lithium ones: none of them is listed by Prospect."""


def test_records_of_sand_gravel_stone_and_oil_are_no_lithium_occurrences(tmp_path) -> None:
    """An MRDS extract's ``commod1``: three lithium records and five of sand and gravel,
    crushed stone, clay, oil and gas and geothermal water. Before: fewer than half the
    cells named a known commodity, so the column was not read as one, and all eight were
    lithium positives, without a word; now the five are left out (3 positives), the
    warning naming them."""
    cells = ["Lithium", *MRDS_OTHERS[:3], "Lithium", *MRDS_OTHERS[3:], "Lithium"]
    quoted = [f'"{c}"' for c in cells]
    labels, said, error = _labels(tmp_path / "mrds.csv", _table("commod1", quoted),
                                  mineral="lithium")
    assert error is None and labels is not None, error
    assert labels.n_positive == 3, labels.counts
    out = [s for s in said if "name only other commodities than lithium" in s]
    assert len(out) == 1 and "5 of 8 record(s)" in out[0], said
    assert "sand and gravel" in out[0] and "oil and gas" in out[0], out


def test_a_table_of_industrial_minerals_only_is_refused_for_lithium(tmp_path) -> None:
    """A table whose commodity column names only clay, limestone, gemstones, mica,
    perlite, peat, lignite and salt (an industrial-minerals extract given by mistake).
    Before: eight lithium positives without a word; now refused, naming what it holds."""
    cells = ["Clay", "Limestone, High Calcium", "Gemstones", "Mica", "Perlite", "Peat",
             "Lignite", "Salt"]
    quoted = [f'"{c}"' for c in cells]
    labels, said, error = _labels(tmp_path / "ind.csv", _table("commodity", quoted),
                                  mineral="lithium")
    assert labels is None and error is not None, (labels and labels.counts, said)
    text = str(error)
    assert "no record's 'commodity' names lithium (it names clay 1" in text, text
    assert "clay" in text and "set model.mineral" in text, text


def test_records_of_gas_are_no_gallium_occurrences(tmp_path) -> None:
    """Gas fields beside gallium records (``Gas`` is no ``Ga``). Before: the gas records
    named nothing known and were kept as gallium positives without a word (8); now left
    out as oil and gas (4 positives)."""
    labels, said, error = _labels(tmp_path / "ga.csv",
                                  _table("commodity", ["Gas", "Gallium"] * 4),
                                  mineral="gallium")
    assert error is None and labels is not None, error
    assert labels.n_positive == 4, labels.counts
    assert any("4 of 8 record(s)" in s and "oil and gas 4" in s for s in said), said


# --- listed commodities under the databases' names ------------------------------------------


@pytest.mark.parametrize(("mineral", "written"), [
    ("rare earths", "Rare Earth"), ("rare earths", "Rare-earth"), ("potash", "Potassium"),
    ("niobium", "Columbium"), ("fluorspar", "Fluorine"),
], ids=["rare-earth", "rare-hyphen-earth", "potassium", "columbium", "fluorine"])
def test_a_listed_commodity_under_a_databases_name_is_read(tmp_path, mineral: str,
                                                           written: str) -> None:
    """Four records of ``written`` (MRDS's and older USGS tables' names: ``Potassium``
    for potash, ``Columbium`` for niobium, ``Rare Earth``) beside four of gold. Before:
    refused, "no record's 'commodity' names <mineral>"; now four positives, the
    gold ones left out."""
    cells = [written, "Gold"] * 4
    labels, said, error = _labels(tmp_path / "occ.csv", _table("commodity", cells),
                                  mineral=mineral)
    assert error is None and labels is not None, error
    assert labels.n_positive == 4, labels.counts
    assert any("4 of 8 record(s)" in s and repr(written) in s for s in said), said


def test_symbols_in_capitals_between_spaces_are_read(tmp_path) -> None:
    """A commodity column in capitals, its symbols between spaces (``CU AU``, ``PB ZN
    AG``: an old survey's export). Before: those named nothing, and were kept as lithium
    positives without a word (8); now left out as copper, gold, lead, zinc and silver
    (4 positives)."""
    cells = ["LI", "CU AU", "LI", "PB ZN AG", "LI", "CU MO", "LI", "SN W"]
    labels, said, error = _labels(tmp_path / "occ.csv", _table("commodity", cells),
                                  mineral="lithium")
    assert error is None and labels is not None, error
    assert labels.n_positive == 4, labels.counts
    out = [s for s in said if "name only other commodities than lithium" in s]
    assert len(out) == 1 and "copper 2" in out[0] and "lines 3, 5, 7, 9" in out[0], said


@pytest.mark.parametrize(("mineral", "written"), [
    ("silver", "Argentiferous galena"), ("vanadium", "Vanadiferous magnetite"),
    ("lithium", "Lithian mica"),
], ids=["argentiferous", "vanadiferous", "lithian"])
def test_a_metal_written_as_an_adjective_is_read(tmp_path, mineral: str,
                                                 written: str) -> None:
    """Records of ``Argentiferous galena`` (silver-bearing lead ore), ``Vanadiferous
    magnetite``, ``Lithian mica`` beside records naming the mineral and copper ones.
    Before: the first read as lead alone and left out of a silver model; the others
    named nothing known (kept as "naming no commodity known"); now each is read as an
    occurrence of its metal (4 positives of 6), said among the mineral's spellings."""
    cells = [mineral.capitalize(), written, mineral.capitalize(), "Copper", written,
             "Copper"]
    labels, said, error = _labels(tmp_path / "occ.csv", _table("commodity", cells),
                                  mineral=mineral)
    assert error is None and labels is not None, error
    assert labels.n_positive == 4, labels.counts
    out = [s for s in said if f"name only other commodities than {mineral}" in s]
    assert len(out) == 1 and "2 of 6 record(s)" in out[0], said
    read_as = out[0].split(f"read as {mineral}: ")[1].split("; to label")[0]
    assert repr(written) in read_as and "no commodity known" not in read_as, out


def test_control_uraniferous_lignite_stays_a_uranium_occurrence(tmp_path) -> None:
    """Control: ``Uraniferous lignite`` (a uranium ore in lignite) is a uranium
    occurrence for a uranium model, though lignite is now another commodity; ``Pegmatite``
    (no commodity) stays kept, said."""
    cells = ["Uranium", "Uraniferous lignite", "Pegmatite", "Gold", "Uranium", "Gold"]
    labels, said, error = _labels(tmp_path / "occ.csv", _table("commodity", cells),
                                  mineral="uranium")
    assert error is None and labels is not None, error
    assert labels.n_positive == 4, labels.counts
    assert any("2 of 6 record(s)" in s and "'Pegmatite'" in s for s in said), said


# --- the USGS qualifiers N, L and G -----------------------------------------------------------


@pytest.mark.parametrize(("cell", "read"), [("N(0.5)", 0.25), ("L(10)", 5.0), ("N.5", 0.25),
                                            ("L 2", 1.0)],
                         ids=["N-brackets", "L-brackets", "N-point", "L-space"])
def test_a_usgs_qualified_limit_in_a_surface_is_read_as_a_limit(tmp_path, cell: str,
                                                                read: float) -> None:
    """A well's lithium written with the USGS spectrographic qualifier ``N`` (not
    detected) or ``L`` (detected below the limit of determination) before its limit, as
    USGS open-file tables write it. Before: read as missing with "write numbers only
    (units belong in the header)" (9 values); now half its limit, as ``<0.5`` is, said."""
    rows = [f"{w.rsplit(',', 1)[0]},{cell if i == 0 else w.rsplit(',', 1)[1]}"
            for i, w in enumerate(WELLS)]
    layers, said, error = _plan(tmp_path / "w.csv", "site,lon,lat,li_ppm\n" + "\n".join(rows)
                                + "\n", column="li_ppm")
    assert error is None and layers, error
    z = np.asarray(layers[0].z, dtype=float)
    assert len(z) == 10 and z[0] == pytest.approx(read), z
    assert any("below a detection limit (line 2" in s and repr(cell) in s for s in said), said


@pytest.mark.parametrize(("cell", "what"), [("G(10000)", "are above an upper limit"),
                                            ("G5000", "are above an upper limit"),
                                            ("N", "are detection limits")],
                         ids=["G-brackets", "G-bare-number", "N-alone"])
def test_a_usgs_qualifier_in_a_surface_is_said_for_what_it_is(tmp_path, cell: str,
                                                              what: str) -> None:
    """``G(10000)`` (above the upper limit of determination) and a bare ``N`` (not
    detected, limit not given) in a surface's column. Before: "write numbers only (units
    belong in the header)", a cause they do not have; now said as an upper limit or a
    detection limit, with that fix."""
    rows = [f"{w.rsplit(',', 1)[0]},{cell if i == 3 else w.rsplit(',', 1)[1]}"
            for i, w in enumerate(WELLS)]
    layers, said, error = _plan(tmp_path / "w.csv", "site,lon,lat,li_ppm\n" + "\n".join(rows)
                                + "\n", column="li_ppm")
    assert error is None and layers, error
    text = [s for s in said if "read as missing (line 5" in s]
    assert len(text) == 1 and f"1 {what} ({cell!r})" in text[0], said
    assert "write numbers only" not in text[0], text


def test_usgs_qualified_grades_label_as_limits(tmp_path) -> None:
    """An occurrence table graded ``5, G(10000), 30, N(0.5), 40, L(10), 25, 8`` (USGS
    qualifiers), threshold 20. Before: the three qualified grades were read as missing
    (``records_without_grade`` 3), the richest sample never a positive; now
    ``G(10000)`` is a positive at its limit and ``N(0.5)``, ``L(10)`` negatives below
    their limits, as ``>10000``, ``<0.5``, ``<10`` are."""
    assert_qualified_limits(tmp_path, ["5", "G(10000)", "30", "N(0.5)", "40", "L(10)", "25",
                                       "8"], upper="G(10000)")


def assert_qualified_limits(tmp_path, cells: list[str], *, upper: str) -> None:
    """``cells`` (grades 5, 30, 40, 25, 8 among an upper limit and two lower ones), read
    with threshold 20: no grade missing, the two lower limits negatives, four positives,
    ``upper`` said as an upper limit (round 47's qualifiers after the number too)."""
    labels, said, error = _labels(tmp_path / "occ.csv", _table("li_ppm", cells),
                                  value_column="li_ppm", threshold=20)
    assert error is None and labels is not None, error
    assert labels.counts["records_without_grade"] == 0, labels.counts
    assert labels.counts["records_below_limit_as_negative"] == 2, labels.counts
    assert labels.n_positive == 4, labels.counts
    assert any("above an upper limit" in s and f"'{upper}'" in s for s in said), said


def test_control_plain_limits_and_words_beside_the_qualifiers_read_as_before(tmp_path) -> None:
    """Control: ``<0.5`` is half its limit and ``>10000`` said as an upper limit, as
    before; ``Nil`` (no qualifier and a number) stays "write numbers only"."""
    rows = [f"{w.rsplit(',', 1)[0]},{c}" for w, c in
            zip(WELLS, ["<0.5", "15", "20", ">10000", "30", "Nil", "40", "45", "50", "55"],
                strict=True)]
    layers, said, error = _plan(tmp_path / "w.csv", "site,lon,lat,li_ppm\n" + "\n".join(rows)
                                + "\n", column="li_ppm")
    assert error is None and layers, error
    z = np.asarray(layers[0].z, dtype=float)
    assert len(z) == 8 and z[0] == pytest.approx(0.25), z
    text = [s for s in said if "read as missing" in s]
    assert len(text) == 1 and "1 are above an upper limit ('>10000')" in text[0], said
    assert "the rest: write numbers only" in text[0], text


# --- Excel's subtotal rows of other functions -------------------------------------------------


def _blocks(function: str) -> str:
    """Round 35's ten Dutch wells in blocks A and B (a ``block`` column), with Excel's Data
    > Subtotal row of ``function`` (``A Max``) under each block, the function of lon, lat
    and li filled across (SYNTHETIC)."""
    rows = []
    pick = max if function == "Max" else min
    for group, wells in (("A", WELLS[:5]), ("B", WELLS[5:])):
        records = [w.split(",") for w in wells]
        rows += [f"{group},{','.join(r)}" for r in records]
        lon, lat, li = (pick(float(r[k]) for r in records) for k in (1, 2, 3))
        rows.append(f"{group} {function},,{lon:.6f},{lat:.6f},{li:g}")
    return "block,site,lon,lat,li\n" + "\n".join(rows) + "\n"


@pytest.mark.parametrize("function", ["Max", "Min"])
def test_excel_subtotal_rows_of_max_or_min_are_no_wells(tmp_path, function: str) -> None:
    """Each block's wells with Excel's ``A Max`` (or ``A Min``) row under them (Data >
    Subtotal, "Use function: Max"), the block's maxima filled across lon, lat and li.
    Before: kriged as two more wells at the blocks' far corners (12 values), without a
    word (round 44 knew ``A Total`` and ``A Average`` only); now left out, lines 7 and 13
    said as summary rows."""
    layers, said, error = _plan(tmp_path / "w.csv", _blocks(function))
    assert error is None and layers, error
    np.testing.assert_allclose(np.asarray(layers[0].z, dtype=float),
                               [10.0 + 5 * i for i in range(10)], rtol=1e-9)
    assert any("lines 7, 13 are summary rows" in s and f"'A {function}'" in s
               for s in said), said


def test_an_excel_max_row_among_occurrences_is_no_label(tmp_path) -> None:
    """The same blocks as an occurrence table graded by ``li``, threshold 30. Before: the
    ``A Max`` and ``B Max`` rows were labelled positives at the blocks' far corners (12
    records, 8 positives); now left out (10 records, 6 positives), said."""
    path = tmp_path / "occ.csv"
    path.write_text(_blocks("Max"), "utf-8")
    source = PointSource(kind="points", name="occ", path=str(path), x="lon", y="lat",
                         crs="EPSG:4326")
    config = LabelsConfig(source="occ", value_column="li", threshold=30)
    out, said, error = _caught(lambda: read_labels(source, DUTCH, config))
    assert error is None and out is not None, error
    labels = out[0]
    assert labels.counts["records"] == 10 and labels.n_positive == 6, labels.counts
    assert any("summary rows ('A Max', 'B Max')" in s for s in said), said


def test_control_a_site_named_mount_max_stays_a_well(tmp_path) -> None:
    """Control: a well named ``Mount Max`` (no ``Mount`` above it: a name, no subtotal)
    among the wells stays a well (11 values, nothing said)."""
    rows = [*WELLS[:5], "Mount Max,5.130000,52.010000,20", *WELLS[5:]]
    layers, said, error = _plan(tmp_path / "w.csv", "site,lon,lat,li\n" + "\n".join(rows)
                                + "\n")
    assert error is None and layers, error
    assert len(layers[0].z) == 11 and not any("summary row" in s for s in said), said
