"""Occurrence tables as USGS MRDS writes them: a deposit naming the model's mineral only
among its trace commodities (``commod3``) labelled an occurrence of it, and processing
plants, smelters and refineries (``dev_stat`` ``Plant``) labelled as deposits.

Found by feeding the train stage's label reading (``prospect.models.training.read_labels``)
MRDS extracts with ``commod1`` (major), ``commod2`` (minor), ``commod3`` (trace) and
``dev_stat`` columns (2026-12-06). Every table is small and SYNTHETIC: round 35's eight
Great Basin places.
"""

from __future__ import annotations

import pytest

from .test_labels_round35 import MRDS, _labels, _table

TRACE = "only as a trace commodity"

# --- a deposit naming the mineral only as a trace commodity ---------------------------------


@pytest.mark.parametrize("header", ["commod1,commod2,commod3",
                                    "primary_commodity,secondary_commodity,tertiary_commodity"])
def test_a_deposit_naming_lithium_only_as_a_trace_commodity_is_no_positive(
        tmp_path, header: str) -> None:
    """Round 35's MRDS table: a tungsten-tin deposit (line 5) lists lithium only in its
    third, trace, column. Before: a lithium positive like the three lithium deposits (4),
    without a word; now left out (3), said with the column, the line, its major
    commodities and how to label such records too."""
    cells = [",".join(c) for c in MRDS]
    labels, said, error = _labels(tmp_path / "mrds.csv", _table(header, cells),
                                  mineral="lithium")
    assert error is None and labels is not None, error
    assert labels.n_positive == 3, (labels.counts, said)
    trace = [s for s in said if TRACE in s]
    third = header.split(",")[2]
    assert len(trace) == 1 and "1 of 8 record(s) name lithium" in trace[0], said
    assert f"in '{third}'" in trace[0] and "line 5" in trace[0], trace
    assert "tungsten 1" in trace[0] and "rename" in trace[0], trace


def test_a_table_naming_lithium_only_among_trace_commodities_is_refused(tmp_path) -> None:
    """An MRDS extract of copper, gold and zinc mines, two listing lithium as a trace
    commodity. Before: every record was read, the two were lithium positives and the rest
    left out: a lithium model trained on two copper mines; now refused, saying lithium is
    only a trace commodity there and how to label them anyway."""
    rows = [("Copper", "Gold", "Lithium"), ("Gold", "Silver", ""), ("Zinc", "Lead", ""),
            ("Copper", "", "Lithium; Tellurium"), ("Copper", "Molybdenum", ""),
            ("Gold", "", ""), ("Zinc", "", ""), ("Copper", "Silver", "")]
    labels, said, error = _labels(tmp_path / "mrds.csv",
                                  _table("commod1,commod2,commod3",
                                         [",".join(f'"{x}"' for x in r) for r in rows]),
                                  mineral="lithium")
    assert labels is None and error is not None, (labels and labels.counts, said)
    text = str(error)
    assert "names it only as a trace commodity in 'commod3'" in text, text
    assert "2 record(s)" in text and "rename 'commod3'" in text, text


def test_control_lithium_as_a_minor_commodity_stays_a_positive(tmp_path) -> None:
    """Control: a beryllium deposit listing lithium as its minor commodity (``commod2``)
    and a tungsten one listing it under ``other_commodities`` beside ``main_commodity``
    stay lithium positives; no trace is said."""
    rows = [("Beryllium", "Lithium", ""), ("Copper", "", ""), ("Lithium", "", "Cesium"),
            ("Gold", "", "")] * 2
    labels, said, error = _labels(tmp_path / "mrds.csv",
                                  _table("commod1,commod2,commod3",
                                         [",".join(r) for r in rows]), mineral="lithium")
    assert error is None and labels is not None, error
    assert labels.n_positive == 4, (labels.counts, said)
    assert not [s for s in said if TRACE in s], said
    cells = [f"{a},\"{'; '.join(x for x in (b, c) if x)}\"" for a, b, c in MRDS]
    labels, said, error = _labels(tmp_path / "occ.csv",
                                  _table("main_commodity,other_commodities", cells),
                                  mineral="lithium")
    assert error is None and labels is not None and labels.n_positive == 4, (error, said)


# --- processing plants and smelters in a status column -------------------------------------

STATUSES = ["Producer", "Plant", "Past Producer", "Occurrence", "Prospect", "Smelter",
            "Unknown", "Processing Plant"]
"""A SYNTHETIC MRDS extract's ``dev_stat``: three processing sites (lines 3, 7, 9)."""


@pytest.mark.parametrize("header", ["dev_stat", "Status"])
def test_plants_and_smelters_of_a_status_column_are_no_positives(tmp_path,
                                                                 header: str) -> None:
    """An occurrence table (no grade) whose ``dev_stat`` says three records are a plant,
    a smelter and a processing plant. Before: all eight positives, the plants too, without
    a word; now the three are left out (5), said with the column, the words and lines."""
    labels, said, error = _labels(tmp_path / "occ.csv", _table(header, STATUSES))
    assert error is None and labels is not None, error
    assert labels.n_positive == 5, (labels.counts, said)
    out = [s for s in said if "processing sites" in s]
    assert len(out) == 1 and "3 of 8 record(s)" in out[0], said
    assert f"'{header}'" in out[0] and "lines 3, 7, 9" in out[0], out
    assert "'Plant'" in out[0] and "'Smelter'" in out[0], out


def test_a_table_of_plants_only_is_refused(tmp_path) -> None:
    """A table of an MRDS county's plants, smelters and refineries given as occurrences.
    Before: eight positives; now refused, naming the column and its words."""
    cells = ["Plant", "Smelter", "Refinery", "Mill"] * 2
    labels, said, error = _labels(tmp_path / "occ.csv", _table("dev_stat", cells))
    assert labels is None and error is not None, (labels and labels.counts, said)
    text = str(error)
    assert "every record's 'dev_stat' says it is a processing site" in text, text
    assert "'Plant'" in text and "'Smelter'" in text, text


def test_control_producers_prospects_and_plant_names_stay_positives(tmp_path) -> None:
    """Control: ``Past Producer``, ``Producer``, ``Occurrence``, ``Prospect``, ``Unknown``
    and a status naming a place (``Mill Creek prospect``) stay positives, nothing said of
    processing."""
    cells = ["Past Producer", "Producer", "Occurrence", "Prospect", "Unknown",
             "Mill Creek prospect", "Raw prospect", "Producer"]
    labels, said, error = _labels(tmp_path / "occ.csv", _table("dev_stat", cells))
    assert error is None and labels is not None, error
    assert labels.n_positive == 8, (labels.counts, said)
    assert not [s for s in said if "processing" in s], said


# --- columbium's symbol and heavy mineral sands ---------------------------------------------


def test_columbium_symbol_is_niobium(tmp_path) -> None:
    """An older US table writing niobium as ``Cb`` (columbium): ``Cb-Ta`` (columbite-
    tantalite) and ``Cb`` beside copper records, for a niobium model. Before: ``Cb-Ta``
    was tantalum alone and left out as another commodity's, ``Cb`` named nothing (kept
    unsaid): 2 positives of 4 niobium records; now all 4, the copper ones left out."""
    cells = ["Cb-Ta", "Copper", "Cb", "Copper", "Cb-Ta", "Copper", "Nb", "Copper"]
    labels, said, error = _labels(tmp_path / "nb.csv", _table("commodity", cells),
                                  mineral="niobium")
    assert error is None and labels is not None, error
    assert labels.n_positive == 4, (labels.counts, said)
    out = [s for s in said if "name only other commodities than niobium" in s]
    assert len(out) == 1 and "4 of 8 record(s)" in out[0] and "'Cb-Ta'" in out[0], said


@pytest.mark.parametrize("sands", ["Heavy mineral sands", "HMS", "Mineral sand"])
def test_heavy_mineral_sands_are_titanium_and_zirconium(tmp_path, sands: str) -> None:
    """Beach placers written ``Heavy mineral sands`` or ``HMS`` among lithium records.
    Before: they named no commodity and were lithium positives (8), without a word; now
    titanium and zirconium, left out of a lithium model (4)."""
    labels, said, error = _labels(tmp_path / "occ.csv",
                                  _table("commodity", [f'"{sands}"', "Lithium"] * 4),
                                  mineral="lithium")
    assert error is None and labels is not None, error
    assert labels.n_positive == 4, (labels.counts, said)
    out = [s for s in said if "name only other commodities than lithium" in s]
    assert len(out) == 1 and "titanium 4" in out[0] and "zirconium 4" in out[0], said


# --- records naming no commodity known, none left out ---------------------------------------


def test_records_naming_no_commodity_are_said_when_none_is_left_out(tmp_path) -> None:
    """Six lithium records and two of ``Pegmatite`` and ``Unknown`` (lines 3 and 7).
    Before: all eight positives and nothing said (the two were named only when some other
    record was left out); now kept, and said with their words, lines and how to fix."""
    cells = ["Lithium", "Pegmatite", "Lithium", "Lithium", "Lithium", "Unknown", "Lithium",
             "Spodumene"]
    labels, said, error = _labels(tmp_path / "occ.csv", _table("commodity", cells),
                                  mineral="lithium")
    assert error is None and labels is not None, error
    assert labels.n_positive == 8, (labels.counts, said)
    kept = [s for s in said if "name no commodity known" in s]
    assert len(kept) == 1 and "2 of 8 record(s)" in kept[0], said
    assert "'Pegmatite', 'Unknown'" in kept[0] and "lines 3, 7" in kept[0], kept
    assert "kept as lithium occurrences" in kept[0], kept


def test_control_a_table_naming_only_the_mineral_says_nothing(tmp_path) -> None:
    """Control: every record names lithium (``Lithium``, ``Spodumene``, ``Li``): 8
    positives, no commodity warning."""
    labels, said, error = _labels(tmp_path / "occ.csv",
                                  _table("commodity", ["Lithium", "Spodumene", "Li",
                                                       "Lepidolite"] * 2),
                                  mineral="lithium")
    assert error is None and labels is not None and labels.n_positive == 8, (error, said)
    assert not [s for s in said if "commodit" in s], said
