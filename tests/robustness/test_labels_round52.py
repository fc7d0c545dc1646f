"""Monoxides written in capitals without a digit (``CUO``, ``ZNO``, ``MNO``) naming nothing,
cobalt's oxide in capitals (``CO3O4``) read as carbon and oxygen, a drill hole's dip
(``Dip`` of ``-60``) not read as its survey, and a UTM zone column's ``S`` read as the
southern hemisphere where it is the latitude band S (``11S``: Nevada, 32 to 40 degrees
north).

Found by feeding the train stage's label reading (``prospect.models.training.read_labels``)
and the surfaces' point reader (``prospect.ingest.surfaces.plan_points``) tables as upper-
case geochemistry exports, mining packages' drill-hole tables and GPS-written well lists
write them (2026-12-06), taking round 51's "found and left". Every table is small and
SYNTHETIC: round 35's eight Great Basin places and ten Dutch wells.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pyproj import Transformer

from prospect.config.model import LabelsConfig
from prospect.config.sources import PointSource
from prospect.models.training import read_labels

from .test_labels_round35 import NEVADA, PLACES, _labels, _table
from .test_labels_round36 import _plan
from .test_labels_round48 import _quoted
from .test_vectors_round22 import _caught

# --- monoxides in capitals without a digit ----------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "mineral"),
    [("CUO", "copper"), ("ZNO", "zinc"), ("PBO", "lead"), ("MNO", "manganese"), ("NIO", "nickel")],
)
def test_a_monoxide_in_capitals_names_its_metal(tmp_path: Path, cell: str, mineral: str) -> None:
    """SYNTHETIC: records 1 and 3 of an upper-case export name ``CUO`` (``CuO``), ``ZNO``,
    ``PBO``, ``MNO``, ``NIO``. Before: no formula (no digit), naming nothing, so the model
    of that metal refused the table ("no record's 'commodity' names copper"); now each
    names its metal: 2 positives, the gold and silver records left out."""
    cells = [cell, "Gold", cell, "Silver", "Gold", "Silver", "Gold", "Silver"]
    labels, said, error = _labels(
        tmp_path / "occ.csv", _table("commodity", _quoted(cells)), mineral=mineral
    )
    assert error is None and labels is not None, error
    assert labels.n_positive == 2, (labels.counts, said)
    assert not any("Traceback" in s or "internal error" in s for s in said), said


def test_a_grade_column_named_by_a_monoxide_in_capitals_is_its_metals() -> None:
    """SYNTHETIC column names. Before: ``CUO_PCT``, ``FEO_PCT``, ``MNO_PCT`` were grades of
    no commodity (so ``FEO_PCT`` passed the screening's lithium check, a lithium model was
    not told ``CUO_PCT`` is copper's); now their metals'."""
    from prospect.config.commodities import (
        _formula_commodity,
        column_commodity,
        grade_of_another,
        symbols_named,
    )

    assert column_commodity("CUO_PCT") == "copper"
    assert column_commodity("FEO_PCT") == "iron"
    assert column_commodity("MNO (%)") == "manganese"
    assert grade_of_another("lithium", "CUO_PCT") == "copper"
    assert grade_of_another("copper", "CUO_PCT") is None
    assert _formula_commodity("CAO") == (True, None)  # calcium: no commodity
    assert _formula_commodity("MGO") == (True, "magnesium")
    assert symbols_named("ZNO, PBO") == {"zinc", "lead"}


def test_cobalts_oxide_in_capitals_names_cobalt(tmp_path: Path) -> None:
    """SYNTHETIC: ``CO3O4`` (``Co3O4``) in records 1 and 3 of a copper model's table. Before:
    read as carbon with oxygen twice, naming nothing, so kept as copper positives (4 of a
    table of 2 copper records); now cobalt's, left out (2), and a cobalt model's."""
    cells = ["CO3O4", "Copper", "CO3O4", "Copper", "Gold", "Zinc", "Lead", "Gold"]
    text = _table("commodity", _quoted(cells))
    labels, said, error = _labels(tmp_path / "cu.csv", text, mineral="copper")
    assert error is None and labels is not None, error
    assert labels.n_positive == 2, (labels.counts, said)
    labels, said, error = _labels(tmp_path / "co.csv", text, mineral="cobalt")
    assert error is None and labels is not None and labels.n_positive == 2, (error, said)
    from prospect.config.commodities import column_commodity

    assert column_commodity("CO3O4_PCT") == "cobalt"


def test_control_capital_words_and_formulas_keep_their_reading() -> None:
    """Control: ``AGO``, ``GEO``, ``CEO``, ``RHO`` (words, a log's density) stay no formula;
    ``CO2``, ``HCO3``, ``CACO3``, ``H2O`` name none; ``MOO3``, ``NB2O5``, ``CU2O``,
    ``Co3O4`` their metals as before."""
    from prospect.config.commodities import _formula_commodity, symbols_named

    for word in ("AGO", "GEO", "CEO", "RHO", "PPM", "ID"):
        assert _formula_commodity(word) == (False, None), word
    for token, metal in (
        ("CO2", None),
        ("HCO3", None),
        ("CACO3", None),
        ("H2O", None),
        ("MOO3", "molybdenum"),
        ("NB2O5", "niobium"),
        ("CU2O", "copper"),
        ("Co3O4", "cobalt"),
    ):
        assert _formula_commodity(token) == (True, metal), token
    assert symbols_named("AGO") == set() and symbols_named("CEO, GEO") == set()


# --- a drill hole's dip as its survey ---------------------------------------------------------


def _dipped(dips: tuple[float, float, float], name: str = "Dip") -> str:
    """Ten SYNTHETIC vertical Dutch wells (dip -90) and W3 sampled three times down its path,
    each record at W3's collar with its survey station (MD, ``name``, azimuth)."""
    rows = [
        f"W{i};{5.05 + 0.04 * i:.6f};{51.95 + 0.03 * i:.6f};{1000 + i};-90;0;{10 + i}"
        for i in range(10)
    ] + [
        f"W3;5.170000;52.040000;{md};{dip:g};90;{20 + k}"
        for k, (md, dip) in enumerate(zip((1500, 2000, 2500), dips, strict=True))
    ]
    return f"Boorgat;lon;lat;MD (m);{name};Azimuth;li\n" + "\n".join(rows) + "\n"


@pytest.mark.parametrize("name", ["Dip", "Dip (deg)", "Hole dip", "DIP"])
def test_a_holes_dip_is_read_as_its_survey(tmp_path: Path, name: str) -> None:
    """SYNTHETIC: W3's samples at its collar with its survey's dips (``-60``, ``-45``,
    ``-30``: 30 to 60 degrees from the vertical), as mining packages export them. Before:
    kriged at the collar, said only as records at one place (round 51 read inclinations
    alone); now said as a directional survey, naming the column, the lines and the
    shallowest dip with its inclination."""
    layers, said, error = _plan(tmp_path / "w.csv", _dipped((-60, -45, -30), name))
    assert error is None and layers, error
    told = [s for s in said if "directional survey" in s]
    assert len(told) == 1 and "3 of 13 record(s) lie on deviated wells" in told[0], said
    assert f"column {name!r}" in told[0] and "hole's dip" in told[0], told
    assert "lines 12, 13, 14" in told[0] and "up to -30, 60 from the vertical" in told[0], told
    assert "minimum curvature" in told[0] and "Traceback" not in told[0], told


@pytest.mark.parametrize("dips", [(-90, -88, -87)], ids=["vertical-holes"])
def test_control_a_rocks_dip_and_vertical_holes_are_not_said(
    tmp_path: Path, dips: tuple[float, float, float]
) -> None:
    """Control, SYNTHETIC: holes of -87 to -90 (within 5 degrees of the vertical) are said
    as no survey. (Round 53: W3's positive dips beside wells of -90, this control's
    ``a-rocks-dip`` case, are a hole's dips written with both signs, now said; a rock's
    dip's controls are round 53's.)"""
    layers, said, error = _plan(tmp_path / "w.csv", _dipped(dips))
    assert error is None and layers, error
    assert not any("directional survey" in s for s in said), said


# --- a UTM zone's latitude band S -------------------------------------------------------------

_ZONE11 = Transformer.from_crs(4326, 32611, always_xy=True)
_ZONE12 = Transformer.from_crs(4326, 32612, always_xy=True)
_CELLS = ["Lithium", "Gold", "Lithium", "Silver", "Gold", "Silver", "Lithium", "Gold"]


def _utm(path: Path, header: str, zones: list[str], crs: str = "EPSG:32611") -> tuple:
    """Labels of round 35's eight SYNTHETIC places in UTM metres (``easting``,
    ``northing``), each in the zone its ``zones`` cell gives (11 or 12): (labels or None,
    warnings, error)."""
    rows = []
    for i, ((lon, lat), zone) in enumerate(zip(PLACES, zones, strict=True)):
        e, n = (_ZONE12 if zone.startswith("12") else _ZONE11).transform(lon, lat)
        rows.append(f"S{i},{e:.1f},{n:.1f},{zone},{_CELLS[i]}")
    path.write_text(f"site,easting,northing,{header},commodity\n" + "\n".join(rows) + "\n")
    source = PointSource(
        kind="points", name="occ", path=str(path), x="easting", y="northing", crs=crs
    )
    config = LabelsConfig(source="occ")
    out, said, error = _caught(lambda: read_labels(source, NEVADA, config, mineral="lithium"))
    return (out[0] if out is not None else None), said, error


@pytest.mark.parametrize("header", ["utm_zone", "UTM Zone"])
def test_nevadas_zone_11s_is_the_latitude_band_not_the_south(tmp_path: Path, header: str) -> None:
    """SYNTHETIC: every row's zone ``11S`` (zone 11, latitude band S, as a GPS writes it in
    Nevada) read in ``crs: EPSG:32611``. Before: refused as "in the other hemisphere",
    telling the user to set a southern code; now read (3 lithium positives)."""
    labels, said, error = _utm(tmp_path / "occ.csv", header, ["11S"] * 8)
    assert error is None and labels is not None, error
    assert labels.n_positive == 3, (labels.counts, said)


@pytest.mark.parametrize(
    ("header", "zones"),
    [("Zone", ["11S"] * 5 + ["12S"] * 3), ("Zone", ["11S"] * 5 + ["12"] * 3)],
    ids=["both-banded", "one-banded"],
)
def test_rows_of_two_zones_written_with_band_s_are_refused(
    tmp_path: Path, header: str, zones: list[str]
) -> None:
    """SYNTHETIC: rows 6 to 8 in zone 12 (``12S`` or ``12``), the others ``11S``, all read in
    ``crs: EPSG:32611``. Before: the ``Zone`` column was taken for an ore zone (the crs's
    zone 11 was none of ``11S``, the south), so zone 12's rows were placed 6 degrees west
    without a word; now refused as two coordinate systems, in one line."""
    _, _, error = _utm(tmp_path / "occ.csv", header, zones)
    assert error is not None, "read"
    text = str(error)
    assert "column 'Zone' states 2 coordinate systems" in text, text
    assert "'11S' on 5 row(s)" in text and "line 7" in text and "\n" not in text, text


def test_control_a_zone_column_of_band_s_alone_stays_read(tmp_path: Path) -> None:
    """Control, SYNTHETIC: a ``Zone`` column (a name that may be an ore zone's) of ``11S``
    on every row in ``crs: EPSG:32611`` is read (3 positives), as before."""
    labels, said, error = _utm(tmp_path / "occ.csv", "Zone", ["11S"] * 8)
    assert error is None and labels is not None, error
    assert labels.n_positive == 3, (labels.counts, said)


def test_control_a_southern_zone_stays_the_south(tmp_path: Path) -> None:
    """Control, SYNTHETIC: Chilean wells (about 23 degrees south, northings near 7.4 million)
    whose ``utm_zone`` says ``19S`` read in ``crs: EPSG:32619`` (zone 19 north) are still
    refused as in the other hemisphere."""
    to19 = Transformer.from_crs(4326, 32719, always_xy=True)
    rows = []
    for i in range(6):
        e, n = to19.transform(-68.2 + 0.05 * i, -23.5 + 0.04 * i)
        rows.append(f"W{i},{e:.1f},{n:.1f},19S,{10 + i}")
    path = tmp_path / "chile.csv"
    path.write_text("site,easting,northing,utm_zone,li\n" + "\n".join(rows) + "\n")
    source = PointSource(
        kind="points", name="occ", path=str(path), x="easting", y="northing", crs="EPSG:32619"
    )
    config = LabelsConfig(source="occ")
    _, _, error = _caught(lambda: read_labels(source, NEVADA, config, mineral="lithium"))
    assert error is not None and "in the other hemisphere" in str(error), error
