"""Occurrence tables whose commodity column is named with spaces, a rank after the word or
in a partners' language (``Main Commodity``, ``Trace Commodities``, ``COMMOD 1``,
``Commodities (main)``, ``Rohstoff``, ``Substances``) read as no commodity column, cells
naming the mineral only as a trace (``Cu, Au (tr. Li)``) or as absent (``Cu (no Li)``)
read as its deposits, and summary rows saying what they sum in other words (``Mean of
wells``, ``Total wells: 10``, ``Gemiddelde van alle putten``) read as wells.

Found by feeding the train stage's label reading (``prospect.models.training.read_labels``)
and the surfaces' point reader (``prospect.ingest.surfaces.plan_points``) tables as
spreadsheets, BRGM, German and Dutch surveys and hand-kept field sheets write them
(2026-12-06), taking round 47's "found and left". Every table is small and SYNTHETIC:
round 35's eight Great Basin places and ten Dutch wells.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
import shapely

from prospect.config.model import LabelsConfig
from prospect.config.sources import PointSource
from prospect.errors import DataError
from prospect.models.training import read_labels

from .test_labels_round35 import NEVADA, PLACES, STATUSES, WELLS, _labels, _table
from .test_labels_round36 import _plan
from .test_vectors_round22 import _caught

OTHERS = "name only other commodities than lithium"
"""What the warning of records of other commodities says."""
TRACE = "only as a trace commodity"
"""What the warning of records naming the mineral only as a trace says."""


def _quoted(cells: list[str]) -> list[str]:
    """Each cell in double quotes (commas inside)."""
    return [f'"{c}"' for c in cells]


# --- commodity columns named otherwise ------------------------------------------------------

COMMODITIES = ["Lithium", "Copper", "Gold", "Lithium; Tin", "Zinc", "Copper", "Gold", "Lead"]
"""The commodities of eight SYNTHETIC deposits (two name lithium)."""


@pytest.mark.parametrize(
    "header",
    [
        "Main Commodity",
        "COMMOD 1",
        "Primary-Commodity",
        "Commodities (main)",
        "Mineral commodity",
        "SUBST_PRINC",
        "Substances",
        "Rohstoff",
        "Grondstof",
        "Khoáng sản",
    ],
    ids=[
        "spaced",
        "mrds-spaced",
        "hyphen",
        "rank-after",
        "mineral-of",
        "brgm",
        "french",
        "german",
        "dutch",
        "vietnamese",
    ],
)
def test_a_commodity_column_named_otherwise_is_read(tmp_path, header: str) -> None:
    """The deposits' commodity column named as a spreadsheet (``Main Commodity``), a rank
    after the word, BRGM (``SUBST_PRINC``) or a survey in its language names it. Before:
    no commodity column (matched on the name as written, English words only), so the
    copper, gold, zinc and lead deposits were all lithium positives (8), without a word;
    now the six of other commodities are left out (2), said with the column."""
    labels, said, error = _labels(
        tmp_path / "occ.csv", _table(header, COMMODITIES), mineral="lithium"
    )
    assert error is None and labels is not None, error
    assert labels.n_positive == 2, (labels.counts, said)
    told = [s for s in said if OTHERS in s]
    assert len(told) == 1 and f"column {header!r}" in told[0], said
    assert "6 of 8 record(s)" in told[0] and "Traceback" not in told[0], told


@pytest.mark.parametrize(
    "header",
    [
        "Main Commodity,Trace Commodities",
        "COMMOD 1,COMMOD 3",
        "Commodities (main),Commodities (trace)",
    ],
    ids=["spaced", "mrds-spaced", "ranks-after"],
)
def test_major_and_trace_columns_named_otherwise_are_read_together(tmp_path, header: str) -> None:
    """``Main Commodity`` beside ``Trace Commodities`` (or MRDS's ``COMMOD 1``/``COMMOD 3``
    as a spreadsheet writes them). Before: neither read, all eight deposits lithium
    positives; now the three lithium deposits are (3), the copper mine naming lithium only
    among its traces left out with round 46's warning naming the trace column."""
    rows = [
        "Lithium,Tin",
        "Copper,Lithium",
        "Lithium,",
        "Gold,Silver",
        "Lithium,Cesium",
        "Zinc,Lead",
        "Copper,Gold",
        "Gold,",
    ]
    labels, said, error = _labels(tmp_path / "occ.csv", _table(header, rows), mineral="lithium")
    assert error is None and labels is not None, error
    assert labels.n_positive == 3, (labels.counts, said)
    trace = [s for s in said if TRACE in s]
    assert len(trace) == 1 and f"in {header.split(',')[1]!r}" in trace[0], said
    assert "line 3" in trace[0] and "rename" in trace[0], trace


def test_a_trace_column_named_with_spaces_alone_is_refused(tmp_path) -> None:
    """``Trace Commodities`` as the table's only commodity column. Before: not read, all
    eight deposits lithium positives; now refused as round 47 refuses
    ``trace_commodities``, naming the column and the fixes."""
    labels, said, error = _labels(
        tmp_path / "occ.csv", _table("Trace Commodities", COMMODITIES), mineral="lithium"
    )
    assert isinstance(error, DataError), (labels and labels.counts, said)
    text = str(error)
    assert "'Trace Commodities'" in text and "trace commodities" in text, text
    assert "major commodities" in text and "\n" not in text, text


def test_other_commodities_named_with_a_space_are_the_deposits_own(tmp_path) -> None:
    """``Other Commodities`` beside ``Commodity``: the deposits' own minor commodities, as
    ``other_commodities`` is read. Before: not read, so the copper mine naming lithium
    there was left out as copper's (3); now a positive (4)."""
    rows = [
        "Lithium,Tin",
        "Copper,Lithium",
        "Lithium,",
        "Gold,Silver",
        "Lithium,Cesium",
        "Zinc,Lead",
        "Copper,Gold",
        "Gold,",
    ]
    labels, said, error = _labels(
        tmp_path / "occ.csv", _table("Commodity,Other Commodities", rows), mineral="lithium"
    )
    assert error is None and labels is not None, error
    assert labels.n_positive == 4 and not any(TRACE in s for s in said), (labels.counts, said)


def test_control_an_element_or_deposit_type_column_is_no_commodity_column(tmp_path) -> None:
    """Control: columns named ``Element`` and ``Deposit type`` are no commodity columns (an
    assay's analyte, a deposit model): all eight records stay positives, nothing said of
    other commodities, as before."""
    cells = [f"{c},Vein" for c in COMMODITIES]
    labels, said, error = _labels(
        tmp_path / "occ.csv", _table("Element,Deposit type", cells), mineral="lithium"
    )
    assert error is None and labels is not None, error
    assert labels.n_positive == 8 and not any(OTHERS in s for s in said), said


# --- status columns named in the partners' languages ----------------------------------------

BARREN_IN = {
    "Statut": [
        "Gîte",
        "Indice",
        "Stérile",
        "Indice",
        "Pas de minéralisation",
        "Gîte",
        "Indice",
        "Stérile",
    ],
    "Resultaat": [
        "Voorkomen",
        "Steriel",
        "Voorkomen",
        "Geen mineralisatie",
        "Voorkomen",
        "Voorkomen",
        "Steriel",
        "Voorkomen",
    ],
    "Estado": [
        "Yacimiento",
        "Estéril",
        "Indicio",
        "Sin mineralización",
        "Indicio",
        "Yacimiento",
        "Estéril",
        "Indicio",
    ],
    "Zustand": [
        "Vorkommen",
        "Taub",
        "Vorkommen",
        "Keine Vererzung",
        "Vorkommen",
        "Vorkommen",
        "Taub",
        "Vorkommen",
    ],
    "Situação": [
        "Jazida",
        "Estéril",
        "Ocorrência",
        "Sem mineralização",
        "Ocorrência",
        "Jazida",
        "Estéril",
        "Ocorrência",
    ],
    "Trạng thái": [
        "Mỏ",
        "Không khoáng hóa",
        "Điểm quặng",
        "Không quặng",
        "Điểm quặng",
        "Mỏ",
        "Không khoáng hóa",
        "Điểm quặng",
    ],
}
"""SYNTHETIC statuses of eight places in French, Dutch, Spanish, German, Portuguese and
Vietnamese (three barren)."""


@pytest.mark.parametrize("header", list(BARREN_IN))
def test_a_status_column_named_in_a_partners_language_is_read(tmp_path, header: str) -> None:
    """A French, Dutch, Spanish, German, Portuguese or Vietnamese survey's status column
    (``Statut``, ``Resultaat``, ``Estado``, ``Zustand``, ``Situação``, ``Trạng thái``) whose
    barren words (``Stérile``, ``Steriel``, ``Estéril``, ``Taub``) round 35 reads
    (Portuguese ``Sem mineralização`` and Vietnamese ``Không khoáng hóa``, ``Không quặng``
    it did not). Before: no status column, the three barren sites positives (8), without a
    word; now left out (5), said with the column."""
    labels, said, error = _labels(tmp_path / "occ.csv", _table(header, BARREN_IN[header]))
    assert error is None and labels is not None, error
    assert labels.n_positive == 5, (labels.counts, said)
    assert any(f"3 of 8 record(s) are barren by their {header!r}" in s for s in said), said


def test_control_a_column_of_states_named_estado_is_no_barren(tmp_path) -> None:
    """Control: ``Estado`` of Mexican states (Spanish for a state too): 8 positives,
    nothing said of barren sites."""
    cells = ["Sonora", "Chihuahua", "Durango", "Zacatecas"] * 2
    labels, said, error = _labels(tmp_path / "occ.csv", _table("Estado", cells))
    assert error is None and labels is not None, error
    assert labels.n_positive == 8 and not any("barren" in s for s in said), said


# --- a Shapefile's commodity and status fields cut to 10 characters -------------------------


def _shapefile_labels(
    path: Path, columns: dict[str, list[str]], mineral: str | None = None
) -> tuple[Any, list[str], Exception | None]:
    """The train stage's labels of the eight SYNTHETIC places written as a Shapefile with
    ``columns`` (their names cut to 10 characters by the .dbf, as GDAL writes them)."""
    gdf = gpd.GeoDataFrame(
        {"site": [f"S{i}" for i in range(8)], **columns},
        geometry=[shapely.Point(x, y) for x, y in PLACES],
        crs="EPSG:4326",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (GDAL's "Normalized/laundered field name")
        gdf.to_file(path)
    source = PointSource(kind="points", name="occ", path=str(path))
    out, said, error = _caught(
        lambda: read_labels(source, NEVADA, LabelsConfig(source="occ"), mineral=mineral)
    )
    return (out[0] if out is not None else None), said, error


@pytest.mark.parametrize(
    ("field", "cut"),
    [
        ("main_commodity", "main_commo"),
        ("commodities", "commoditie"),
        ("primary_commodity", "primary_co"),
    ],
    ids=["main", "plural", "primary"],
)
def test_a_shapefile_commodity_field_cut_to_ten_characters_is_read(
    tmp_path, field: str, cut: str
) -> None:
    """An occurrence Shapefile whose commodity field the .dbf cut to ``main_commo``,
    ``commoditie`` or ``primary_co``. Before: no commodity column, all eight deposits
    lithium positives, without a word; now the six of other commodities are left out
    (2), said with the field as the file names it."""
    labels, said, error = _shapefile_labels(
        tmp_path / "occ.shp", {field: COMMODITIES}, mineral="lithium"
    )
    assert error is None and labels is not None, error
    assert labels.n_positive == 2, (labels.counts, said)
    assert any(OTHERS in s and f"column {cut!r}" in s for s in said), said


def test_a_shapefile_trace_field_cut_to_ten_characters_alone_is_refused(tmp_path) -> None:
    """``trace_commodities`` cut to ``trace_comm``, the file's only commodity field.
    Before: not read, all eight lithium positives; now refused as round 47 refuses it."""
    _, _, error = _shapefile_labels(
        tmp_path / "occ.shp", {"trace_commodities": COMMODITIES}, mineral="lithium"
    )
    assert isinstance(error, DataError), error
    assert "'trace_comm'" in str(error) and "trace commodities" in str(error), error


def test_a_shapefile_status_field_cut_to_ten_characters_is_read(tmp_path) -> None:
    """``deposit_status`` cut to ``deposit_st`` with round 35's statuses (three barren).
    Before: not read, 8 positives; now the barren sites are left out (5), said."""
    labels, said, error = _shapefile_labels(tmp_path / "occ.shp", {"deposit_status": STATUSES})
    assert error is None and labels is not None, error
    assert labels.n_positive == 5, (labels.counts, said)
    assert any("barren by their 'deposit_st'" in s for s in said), said


def test_control_a_shapefile_field_of_ten_characters_of_another_kind_is_not_read(
    tmp_path,
) -> None:
    """Control: a 10-character field ``comments_1`` of commodity words (a note) is no
    commodity column: 8 positives, as before."""
    labels, said, error = _shapefile_labels(
        tmp_path / "occ.shp", {"comments_1": COMMODITIES}, mineral="lithium"
    )
    assert error is None and labels is not None, error
    assert labels.n_positive == 8 and not any(OTHERS in s for s in said), said


# --- a cell naming the mineral only as a trace, or as absent --------------------------------


def test_a_cell_naming_lithium_only_as_a_trace_is_no_positive(tmp_path) -> None:
    """A ``commodity`` column whose copper, gold and zinc deposits note lithium traces in the
    cell (``Cu, Au (tr. Li)``, ``Copper (Li traces)``, ``Zinc, tr Li``). Before: read as
    lithium deposits (7 positives), without a word; now left out as a trace column's
    (``commod3``) are (4), said with the cells, the lines and how to label them too."""
    cells = [
        "Lithium",
        "Cu, Au (tr. Li)",
        "Lithium; Tin",
        "Gold",
        "Lithium",
        "Copper (Li traces)",
        "Lithium, Cesium",
        "Zinc, tr Li",
    ]
    labels, said, error = _labels(
        tmp_path / "occ.csv", _table("commodity", _quoted(cells)), mineral="lithium"
    )
    assert error is None and labels is not None, error
    assert labels.n_positive == 4, (labels.counts, said)
    trace = [s for s in said if TRACE in s]
    assert len(trace) == 1 and "3 of 8 record(s) name lithium" in trace[0], said
    assert "'Cu, Au (tr. Li)'" in trace[0] and "lines 3, 7, 9" in trace[0], trace
    assert "without the trace mark" in trace[0], trace


def test_a_trace_in_a_major_column_beside_a_trace_column_is_no_positive(tmp_path) -> None:
    """MRDS-like ``commod1``, ``commod2``, ``commod3``, one deposit writing ``Lithium
    (trace)`` in ``commod2``. Before: a positive (4); now left out (3), said beside the
    ``commod3`` one."""
    rows = [
        "Copper,Gold,Lithium",
        "Lithium,Tin,",
        "Gold,Lithium (trace),",
        "Lithium,,",
        "Zinc,,",
        "Lithium,,",
        "Lead,,",
        "Copper,,",
    ]
    labels, said, error = _labels(
        tmp_path / "occ.csv", _table("commod1,commod2,commod3", rows), mineral="lithium"
    )
    assert error is None and labels is not None, error
    assert labels.n_positive == 3, (labels.counts, said)
    trace = [s for s in said if TRACE in s]
    assert len(trace) == 1 and "'Lithium (trace)'" in trace[0], said
    assert "'commod3'" in trace[0] and "lines 2, 4" in trace[0], trace


def test_a_table_naming_lithium_only_as_traces_in_its_cells_is_refused(tmp_path) -> None:
    """Every record naming lithium names it as a trace in its cell. Before: those two
    copper and gold deposits were the lithium positives; now refused, naming the cells."""
    cells = ["Cu (tr. Li)", "Copper", "Gold (Li traces)", "Zinc", "Copper", "Lead", "Gold", "Zinc"]
    _, _, error = _labels(
        tmp_path / "occ.csv", _table("commodity", _quoted(cells)), mineral="lithium"
    )
    assert isinstance(error, DataError), error
    text = str(error)
    assert TRACE in text and "'Cu (tr. Li)'" in text and "\n" not in text, text


def test_a_cell_saying_lithium_is_absent_names_no_lithium(tmp_path) -> None:
    """``Cu (no Li)`` and ``Gold, not Li`` among lithium deposits. Before: read as naming
    lithium, both positives (6); now copper's and gold's (4), said as other commodities."""
    cells = ["Lithium", "Cu (no Li)", "Lithium", "Gold, not Li", "Lithium", "Zinc", "Li", "Copper"]
    labels, said, error = _labels(
        tmp_path / "occ.csv", _table("commodity", _quoted(cells)), mineral="lithium"
    )
    assert error is None and labels is not None, error
    assert labels.n_positive == 4, (labels.counts, said)
    told = [s for s in said if OTHERS in s]
    assert len(told) == 1 and "lines 3, 5, 7, 9" in told[0], said


def test_control_symbols_in_brackets_and_pegmatites_stay_positives(tmp_path) -> None:
    """Control: ``Sn-W (Li)``, ``Li-Cs-Ta pegmatite``, ``Lithium (Li2O)`` and ``Notre Dame
    Li`` name lithium as the deposit's own (5 positives), nothing said of traces."""
    cells = [
        "Lithium",
        "Sn-W (Li)",
        "Lithium (Li2O)",
        "Gold",
        "Notre Dame Li",
        "Copper",
        "Li-Cs-Ta pegmatite",
        "Zinc",
    ]
    labels, said, error = _labels(
        tmp_path / "occ.csv", _table("commodity", _quoted(cells)), mineral="lithium"
    )
    assert error is None and labels is not None, error
    assert labels.n_positive == 5 and not any(TRACE in s for s in said), said


# --- summary rows saying what they sum in other words ---------------------------------------

MEAN_ROW = "{word},5.230000,52.085000,32.5"
"""A spreadsheet's mean row under the ten wells (``=AVERAGE`` filled across lon, lat, li)."""


@pytest.mark.parametrize(
    "word",
    [
        "Mean of wells",
        "Mean value of all wells",
        "Sum of wells 1-10",
        "Total wells: 10",
        "Mean (10)",
        "Averages",
        "Mean ± SD",
        "Gemiddelde van alle putten",
        "Moyenne des puits",
    ],
    ids=[
        "of-wells",
        "value-of-all",
        "sum-of-range",
        "wells-count",
        "bracketed-count",
        "plural",
        "plus-minus",
        "dutch",
        "french",
    ],
)
def test_a_summary_row_saying_what_it_sums_otherwise_is_no_well(tmp_path, word: str) -> None:
    """The ten wells with a mean row under them whose first cell says what it averages in
    other words than round 43's. Before: read as an eleventh well at the wells' mean place,
    its mean 32.5 kriged there, without a word; now left out, line 12 said as a summary
    row."""
    text = "site,lon,lat,li\n" + "\n".join(WELLS) + "\n" + MEAN_ROW.format(word=word) + "\n"
    layers, said, error = _plan(tmp_path / "w.csv", text)
    assert error is None and layers, error
    np.testing.assert_allclose(
        np.asarray(layers[0].z, dtype=float), [10.0 + 5 * i for i in range(10)], rtol=1e-9
    )
    assert any("line 12 is a summary row" in s and word in s for s in said), said


def test_a_summary_row_under_occurrences_is_no_positive(tmp_path) -> None:
    """An occurrence table whose last row is ``Total wells: 7`` with the mean place. Before:
    an eighth positive there; now seven, the row said."""
    places = _table("commodity", ["Lithium"] * 7).splitlines()
    text = "\n".join([*places, "Total wells: 7,-118.089,38.539,"]) + "\n"
    labels, said, error = _labels(tmp_path / "occ.csv", text, mineral="lithium")
    assert error is None and labels is not None, error
    assert labels.n_positive == 7, (labels.counts, said)
    assert any("line 9 is a summary row ('Total wells: 7')" in s for s in said), said


@pytest.mark.parametrize("word", ["Mean Creek", "Total well 3", "Max Wells", "Max de la Cruz"])
def test_control_a_last_well_named_with_a_summary_word_stays_a_well(tmp_path, word: str) -> None:
    """Control: a last well named with a summary word beside a name (``Total well 3``, a
    well of an operator named Total; ``Max Wells``, a person's) stays a well."""
    text = "site,lon,lat,li\n" + "\n".join(WELLS) + "\n" + MEAN_ROW.format(word=word) + "\n"
    layers, said, error = _plan(tmp_path / "w.csv", text)
    assert error is None and layers, error
    assert len(layers[0].z) == 11 and not any("summary row" in s for s in said), said


# --- Dutch and French coordinate headers not offered as x:/y: -------------------------------

RD_WELLS = [f"W{i};{100000 + 1000 * i};{450000 + 800 * i};{10 + 5 * i}" for i in range(10)]
"""Ten SYNTHETIC wells in RD New metres, as a Dutch table writes them (``;``)."""


@pytest.mark.parametrize(
    ("x", "y"),
    [("X-coördinaat", "Y-coördinaat"), ("Oost", "Noord"), ("X_RD", "Y_RD"), ("Est", "Nord")],
    ids=["dutch-coordinaat", "dutch-oost-noord", "rd-suffix", "french-est-nord"],
)
def test_dutch_coordinate_headers_are_offered_with_their_crs(tmp_path, x: str, y: str) -> None:
    """A Dutch well table (NLOG-like) whose coordinates are ``X-coördinaat``/
    ``Y-coördinaat``, ``Oost``/``Noord`` (or ``X_RD``/``Y_RD``, French ``Est``/``Nord``)
    given without ``x:``/``y:``. Before: "no column(s) ['lon', 'lat']" with no hint
    (``Nord`` and ``Noord`` lost their ``rd`` as RD's), or ``X_RD`` offered without a word
    of ``crs:``; now both columns are named as the ``x:``/``y:`` to set, with the
    ``crs:``."""
    text = f"Boorgat;{x};{y};li\n" + "\n".join(RD_WELLS) + "\n"
    _, _, error = _plan(tmp_path / "nlog.csv", text)
    assert isinstance(error, DataError), error
    message = str(error)
    assert f"its coordinates look like x: {x!r}, y: {y!r}" in message, message
    assert "and 'crs:'" in message and "\n" not in message, message


def test_control_longitude_latitude_headers_are_offered_without_a_crs(tmp_path) -> None:
    """Control: ``Longitude``/``Latitude`` are offered as before, with no word of
    ``crs:``."""
    text = "site,Longitude,Latitude,li\n" + "\n".join(WELLS) + "\n"
    _, _, error = _plan(tmp_path / "w.csv", text)
    assert isinstance(error, DataError), error
    assert "x: 'Longitude', y: 'Latitude'" in str(error), error
    assert "crs:" not in str(error), error


# --- depths below a national datum recording no units ---------------------------------------


@pytest.mark.parametrize("header", ["top_m_NAP", "diepte_m_mv", "Tiefe_m_NN", "depth_ft_md"])
def test_a_depth_below_a_national_datum_records_its_unit(tmp_path, header: str) -> None:
    """A Dutch well table's ``top_m_NAP`` (``m_mv``: below ground level), a German one's
    ``Tiefe_m_NN``, a log's ``depth_ft_md`` kriged as a surface. Before: the unit before
    the datum was not read (round 44 knows ``bgl``, ``kb``, ``msl`` only), so the surface
    recorded no units and a ``ft`` one from another source was not told from it; now
    ``m`` (``ft``)."""
    text = f"site,lon,lat,{header}\n" + "\n".join(WELLS) + "\n"
    layers, said, error = _plan(tmp_path / "w.csv", text, column=header)
    assert error is None and layers, error
    assert layers[0].units == ("ft" if "ft" in header else "m"), (layers[0].units, said)


def test_control_a_depth_below_ground_and_a_named_datum_alone_keep_their_units(
    tmp_path,
) -> None:
    """Control: ``depth_m_bgl`` records ``m`` as before; ``li_nap`` (a datum's word and no
    unit) records none."""
    text = (
        "site,lon,lat,depth_m_bgl,li_nap\n"
        + "\n".join(f"{w},{i}" for i, w in enumerate(WELLS))
        + "\n"
    )
    layers, _, error = _plan(tmp_path / "w.csv", text, column="depth_m_bgl")
    assert error is None and layers and layers[0].units == "m", error
    layers, _, error = _plan(tmp_path / "w.csv", text, column="li_nap")
    assert error is None and layers and layers[0].units == "", error
