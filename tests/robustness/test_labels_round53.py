"""A GeoPackage's coded commodities and statuses read as their codes, depths below a well's
reference (``ft KB``, ``m TVDSS``, ``mbgl``) read as a product of units, a drill hole's dip
written positive downwards (or with both signs) not read as its survey, a table's commodity
cells read one record at a time, and a label column of probabilities taken without a
threshold.

Found by feeding the train stage's label reading (``prospect.models.training.read_labels``),
the surfaces' point reader (``prospect.ingest.surfaces.plan_points``) and the units
registry (``prospect.registry.units.canonical_units``) what survey scientists hand over
(2026-12-06), taking round 52's "found and left": an occurrence layer exported from ArcGIS
or QGIS with coded-value domains (a lookup table of commodity and status codes), a well
table's depth units, a mining package's survey table, a national occurrence table of 200 000
records and an expert's table of deposit probabilities. Every table is small and SYNTHETIC:
round 35's eight Great Basin places and ten Dutch wells.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely

from prospect.config.model import LabelsConfig
from prospect.config.sources import PointSource
from prospect.errors import DataError
from prospect.models.training import read_labels

from .test_labels_round35 import NEVADA, PLACES, _labels, _table
from .test_labels_round36 import _plan
from .test_vectors_round22 import _caught
from .test_vectors_round51 import SCHEMA

# --- coded-value domains of an occurrence layer ------------------------------------------------

COMMODITY_CODES = [1, 2, 1, 3, 2, 3, 1, 2]
"""The SYNTHETIC records' commodity codes: lithium on records 1, 3 and 7."""
STATUS_CODES = [10, 10, 20, 10, 10, 20, 10, 10]
"""Their status codes: records 3 and 6 barren."""
COMMODITIES = {1: "Lithium", 2: "Copper", 3: "Gold"}
STATUSES = {10: "Producer", 20: "Barren"}

_EXTENSIONS = (
    "CREATE TABLE IF NOT EXISTS gpkg_extensions (table_name TEXT, column_name TEXT, "
    "extension_name TEXT NOT NULL, definition TEXT NOT NULL, scope TEXT NOT NULL)"
)
"""The GeoPackage extensions table, which GDAL writes only beside a layer of geometries."""


def _with_domains(path: Path, domains: dict[str, dict[int, str]]) -> Path:
    """``path``'s layer ``occ`` given, for each column of ``domains``, the coded-value domain
    of its codes' names, as GDAL writes a field domain into a GeoPackage (SYNTHETIC)."""
    con = sqlite3.connect(path)
    try:
        con.execute(_EXTENSIONS)
        con.executescript(SCHEMA)
        for column, names in domains.items():
            con.execute(
                "INSERT INTO gpkg_data_columns VALUES ('occ', ?, NULL, NULL, NULL, NULL, ?)",
                (column, f"{column}_codes"),
            )
            for code, name in names.items():
                con.execute(
                    "INSERT INTO gpkg_data_column_constraints VALUES "
                    "(?, 'enum', ?, NULL, NULL, NULL, NULL, ?)",
                    (f"{column}_codes", code, name),
                )
        con.commit()
    finally:
        con.close()
    return path


def _layer(path: Path, columns: dict[str, list]) -> Path:
    """A SYNTHETIC GeoPackage layer ``occ`` of round 35's eight places with ``columns``."""
    gpd.GeoDataFrame(
        {"site": [f"S{i}" for i in range(8)], **columns},
        geometry=[shapely.Point(x, y) for x, y in PLACES],
        crs="EPSG:4326",
    ).to_file(path, layer="occ")
    return path


def _attribute_table(path: Path, columns: dict[str, list]) -> Path:
    """A SYNTHETIC GeoPackage attribute table ``occ`` (no geometries) of round 35's eight
    places in ``lon``/``lat`` columns with ``columns``."""
    frame = pd.DataFrame(
        {
            "site": [f"S{i}" for i in range(8)],
            "lon": [x for x, _ in PLACES],
            "lat": [y for _, y in PLACES],
            **columns,
        }
    )
    pyogrio.write_dataframe(frame, path, layer="occ", driver="GPKG")
    return path


def _read(path: Path, mineral: str, **source: str) -> tuple:
    """The train stage's labels of ``path`` for a ``mineral`` model: (labels, said, error)."""
    src = PointSource(kind="points", name="occ", path=str(path), crs="EPSG:4326", **source)
    out, said, error = _caught(
        lambda: read_labels(src, NEVADA, LabelsConfig(source="occ"), mineral=mineral)
    )
    return (out[0] if out is not None else None), said, error


@pytest.mark.parametrize(("mineral", "positives"), [("lithium", 2), ("copper", 3)])
def test_a_layers_coded_commodities_and_statuses_are_read_as_their_names(
    tmp_path: Path, mineral: str, positives: int
) -> None:
    """SYNTHETIC: a GeoPackage layer whose ``commodity`` and ``status`` columns hold codes
    that coded-value domains name (``1`` = Lithium, ``20`` = Barren), as an ArcGIS or QGIS
    export writes them. Before: the codes were read, naming no commodity and no status, so
    every record was a positive of any model (8), without a word; now the names, as QGIS
    shows them: lithium's 3 records less the barren one (2), copper's 3."""
    path = _with_domains(
        _layer(tmp_path / "occ.gpkg", {"commodity": COMMODITY_CODES, "status": STATUS_CODES}),
        {"commodity": COMMODITIES, "status": STATUSES},
    )
    labels, said, error = _read(path, mineral)
    assert error is None and labels is not None, error
    assert labels.n_positive == positives, (labels.counts, said)
    assert any("name only other commodities" in s for s in said), said
    assert not any("Traceback" in s or "internal error" in s for s in said), said


def test_an_attribute_tables_coded_commodities_are_read_as_their_names(tmp_path: Path) -> None:
    """SYNTHETIC: a GeoPackage attribute table (coordinates in ``lon``/``lat``, no
    geometries) whose ``commodity`` codes a domain names. Before: 8 lithium positives; now
    the 3 records of ``Lithium``, the copper and gold ones said and left out."""
    path = _with_domains(
        _attribute_table(tmp_path / "tab.gpkg", {"commodity": COMMODITY_CODES}),
        {"commodity": COMMODITIES},
    )
    labels, said, error = _read(path, "lithium", x="lon", y="lat")
    assert error is None and labels is not None, error
    assert labels.n_positive == 3, (labels.counts, said)
    assert any("'Lithium'" in s for s in said), said


def test_a_code_its_domain_does_not_name_is_said(tmp_path: Path) -> None:
    """SYNTHETIC: code ``4`` on record 8, which the commodity domain does not name. Before:
    nothing said (every code was read as a code); now the vector reader's warning names the
    column, the code and the fix, and the named codes are read: records 1, 3 and 7
    (``Lithium``) and record 8 (``4``, naming no commodity, kept as round 35 keeps such)."""
    codes = [*COMMODITY_CODES[:7], 4]
    path = _with_domains(
        _layer(tmp_path / "occ.gpkg", {"commodity": codes}), {"commodity": COMMODITIES}
    )
    labels, said, error = _read(path, "lithium")
    assert error is None and labels is not None, error
    told = [s for s in said if "does not name" in s]
    assert len(told) == 1 and "'commodity' holds code(s) '4'" in told[0], said
    assert labels.n_positive == 4, (labels.counts, said)  # (the code 4 names nothing: kept)


def test_control_a_layer_without_a_domain_reads_its_cells_as_before(tmp_path: Path) -> None:
    """Control, SYNTHETIC: the same layer with the names written in its cells and no domain
    (3 lithium positives), and a 0/1 label column whose domain names ``absent`` and
    ``present``, graded with ``threshold: 1`` (5 positives either way)."""
    names = [COMMODITIES[c] for c in COMMODITY_CODES]
    labels, said, error = _read(_layer(tmp_path / "occ.gpkg", {"commodity": names}), "lithium")
    assert error is None and labels is not None and labels.n_positive == 3, (error, said)
    flags = [1, 0, 1, 0, 1, 0, 1, 1]
    path = _with_domains(
        _layer(tmp_path / "lab.gpkg", {"label": flags}), {"label": {0: "absent", 1: "present"}}
    )
    src = PointSource(kind="points", name="occ", path=str(path), crs="EPSG:4326")
    config = LabelsConfig(source="occ", value_column="label", threshold=1, negatives="both")
    out, said, error = _caught(lambda: read_labels(src, NEVADA, config, mineral="lithium"))
    assert error is None and out is not None and out[0].n_positive == 5, (error, said)


# --- depths below a well's reference as their length ------------------------------------------


@pytest.mark.parametrize(
    ("units", "length"),
    [
        ("ft KB", "ft"),
        ("m TVDSS", "m"),
        ("mbgl", "m"),
        ("m bgl", "m"),
        ("ftKB", "ft"),
        ("m RT", "m"),
        ("m b.g.l.", "m"),
        ("ft MD", "ft"),
    ],
)
def test_a_depth_below_its_reference_is_its_length(units: str, length: str) -> None:
    """SYNTHETIC units strings of well logs and boreholes. Before: ``ft KB`` was ``KB``
    times ``ft``, ``mbgl`` a unit of its own, ``m b.g.l.`` metres times b, g and litres (the
    screening's direct calls saw them so); now their length, as ingest's ``unit_key``
    reads them."""
    from prospect.registry.units import canonical_units

    assert canonical_units(units) == canonical_units(length), canonical_units(units)


def test_control_other_units_keep_their_reading() -> None:
    """Control: ``mg/L``, ``m/s``, ``mS/cm``, ``m2``, ``ms``, ``m ODN`` keep their forms."""
    from prospect.registry.units import canonical_units

    assert canonical_units("mg/L") == (1.0, (("L", -1), ("mg", 1)))
    assert canonical_units("m/s") == (1.0, (("m", 1), ("s", -1)))
    assert canonical_units("mS/cm") == (1.0, (("cm", -1), ("mS", 1)))
    assert canonical_units("m2") == (1.0, (("m", 2),))
    assert canonical_units("ms") == (1.0, (("ms", 1),))
    assert canonical_units("m ODN") == (1.0, (("m", 1),))


# --- a drill hole's dip written positive downwards ---------------------------------------------


def _holes(dips: tuple[float, float, float], *, vertical: float = 90, header: str = "") -> str:
    """Ten SYNTHETIC Dutch wells (dip ``vertical``) and W3 sampled three times down its
    path, each record at W3's collar with its survey station; ``header`` replaces the
    default ``Boorgat;lon;lat;MD (m);Dip;Azimuth;li``."""
    rows = [
        f"W{i};{5.05 + 0.04 * i:.6f};{51.95 + 0.03 * i:.6f};{1000 + i};{vertical:g};0;{10 + i}"
        for i in range(10)
    ] + [
        f"W3;5.170000;52.040000;{md};{dip:g};90;{20 + k}"
        for k, (md, dip) in enumerate(zip((1500, 2000, 2500), dips, strict=True))
    ]
    return (header or "Boorgat;lon;lat;MD (m);Dip;Azimuth;li") + "\n" + "\n".join(rows) + "\n"


@pytest.mark.parametrize(
    ("text", "written", "steepest"),
    [
        (_holes((60, 45, 30)), "85 degrees or shallower", "up to 30, 60 from the vertical"),
        (
            _holes((60, 45, 30), vertical=-90),
            "85 or -85 degrees or shallower, written with both signs",
            "up to 30, 60 from the vertical",
        ),
        (
            _holes((-60, 45, -30), vertical=90),
            "85 or -85 degrees or shallower, written with both signs",
            "up to -30, 60 from the vertical",
        ),
        (
            _holes((60, 45, 30), header="Boorgat;lon;lat;Sample;Hole dip;Code;li"),
            "85 degrees or shallower",
            "up to 30, 60 from the vertical",
        ),
    ],
    ids=["positive-down", "vertical-negative", "mixed-in-a-hole", "named-a-holes"],
)
def test_a_holes_dip_written_positive_or_with_both_signs_is_its_survey(
    tmp_path: Path, text: str, written: str, steepest: str
) -> None:
    """SYNTHETIC: W3's samples at its collar with its survey's dips written positive
    downwards (``60``, ``45``, ``30``: 30 to 60 degrees from the vertical) beside its depth
    (``MD``) and azimuth, as some packages export them; the same beside vertical wells of
    ``-90``, or mixing signs; a ``Hole dip`` column without depth and azimuth. Before:
    taken for a rock's dip (or, mixed, for none), kriged at the collar with no word of the
    survey; now said as a directional survey with the dips as the column writes them."""
    layers, said, error = _plan(tmp_path / "w.csv", text)
    assert error is None and layers, error
    told = [s for s in said if "directional survey" in s]
    assert len(told) == 1 and "3 of 13 record(s) lie on deviated wells" in told[0], said
    assert f"a hole's dip of {written}" in told[0] and steepest in told[0], told
    assert "lines 12, 13, 14" in told[0] and "Traceback" not in told[0], told


@pytest.mark.parametrize(
    "text",
    [
        _holes((60, 45, 30), header="Boorgat;lon;lat;MD (m);Dip;Dip direction;li"),
        _holes((60, 45, 30), header="Boorgat;lon;lat;Sample;Dip;Azimuth;li"),
        _holes((90, 88, 87)),
    ],
    ids=["beside-a-dip-direction", "no-depth-column", "vertical-holes"],
)
def test_control_a_rocks_positive_dip_and_vertical_holes_are_not_said(
    tmp_path: Path, text: str
) -> None:
    """Control, SYNTHETIC: positive dips beside a ``Dip direction`` (a structural table's),
    or without a depth down a hole (a rock's at each site), and holes of 87 to 90 (within 5
    degrees of the vertical) are said as no survey."""
    layers, said, error = _plan(tmp_path / "w.csv", text)
    assert error is None and layers, error
    assert not any("directional survey" in s for s in said), said


# --- a table's commodity cells read once each --------------------------------------------------


def test_a_commodity_cell_is_read_once_however_many_records_repeat_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SYNTHETIC: 4 000 records naming three commodities. Before: every record's cell was
    parsed again (a national table of 200 000 records spent half of its 55 s labels there);
    now each cell's text once: the commodity lookup is called a few dozen times, not once a
    record or more."""
    import prospect.config.commodities as commodities

    calls = []
    lookup = commodities.commodity_name

    def counted(text: str) -> str | None:
        calls.append(text)
        return lookup(text)

    cells = ["Lithium, Boron", "Copper; Gold", "Sn-W greisen"]
    rows = [
        f'S{i},{-118.9 + 1.8 * (i % 97) / 97:.5f},{38.1 + 1.3 * (i % 89) / 89:.5f},"{cells[i % 3]}"'
        for i in range(4000)
    ]
    path = tmp_path / "big.csv"
    path.write_text("site,lon,lat,commodity\n" + "\n".join(rows) + "\n")
    monkeypatch.setattr(commodities, "commodity_name", counted)
    labels, _, error = _read(path, "lithium", x="lon", y="lat")
    assert error is None and labels is not None, error
    assert labels.counts["records"] == 1334, labels.counts  # (the lithium ones)
    assert len(calls) < 400, len(calls)


# --- a label column of probabilities ----------------------------------------------------------

PROBABILITIES = ["0.3", "0.7", "0.9", "0.1", "0.6", "0.2", "0.8", "0.4"]
"""An expert's SYNTHETIC probabilities of a deposit at each place: 4 below 0.5."""


@pytest.mark.parametrize("header", ["prob", "Li probability", "confidence", "kans"])
def test_a_label_column_of_probabilities_without_a_threshold_is_refused(
    tmp_path: Path, header: str
) -> None:
    """SYNTHETIC: ``value_column`` naming a column of probabilities from 0.1 to 0.9 and no
    threshold. Before: every record a positive (8), those of 0.1 too, without a word; now
    refused in one line naming the column, the range and the threshold to set."""
    labels, _, error = _labels(
        tmp_path / "p.csv", _table(header, PROBABILITIES), value_column=header
    )
    assert isinstance(error, DataError) and labels is None, (error, labels)
    text = str(error)
    assert f"column {header!r} (model.labels.value_column) holds probabilities" in text, text
    assert "8 record(s) from 0.1 to 0.9, 4 below 0.5" in text, text
    assert "'threshold: 0.5'" in text and "\n" not in text, text


@pytest.mark.parametrize(
    ("header", "suffix"), [("prob", "%"), ("probability (%)", ""), ("Li probability", "")]
)
def test_a_label_column_of_probabilities_in_percent_without_a_threshold_is_refused(
    tmp_path: Path, header: str, suffix: str
) -> None:
    """SYNTHETIC: the probabilities written as percentages (``30%``, or ``30`` under a
    header in %). Before: 8 positives, without a word; now refused, offering ``threshold:
    50``."""
    cells = [f"{round(float(p) * 100)}{suffix}" for p in PROBABILITIES]
    labels, _, error = _labels(
        tmp_path / "p.csv", _table(f'"{header}"', cells), value_column=header
    )
    assert isinstance(error, DataError) and labels is None, (error, labels)
    text = str(error)
    assert "8 record(s) from 10 to 90 %, 4 below 50 %" in text, text
    assert "'threshold: 50'" in text and "\n" not in text, text


def test_control_a_grade_in_percent_and_graded_probabilities_are_read(tmp_path: Path) -> None:
    """Control, SYNTHETIC: the same numbers as ``Li2O_pct`` (a grade of 0.1 to 0.9 %, every
    record an occurrence: 8) and the probabilities with ``threshold: 0.5`` (4)."""
    labels, said, error = _labels(
        tmp_path / "g.csv", _table("Li2O_pct", PROBABILITIES), value_column="Li2O_pct"
    )
    assert error is None and labels is not None and labels.n_positive == 8, (error, said)
    labels, said, error = _labels(
        tmp_path / "p.csv", _table("prob", PROBABILITIES), value_column="prob", threshold=0.5
    )
    assert error is None and labels is not None and labels.n_positive == 4, (error, said)


# --- degrees, minutes and seconds joined by hyphens --------------------------------------------


def _dms(value: float, letters: str) -> tuple[int, int, int, str]:
    """``value`` as whole degrees, minutes and seconds with its hemisphere letter."""
    seconds = round(abs(value) * 3600)
    return seconds // 3600, seconds // 60 % 60, seconds % 60, letters[value < 0]


@pytest.mark.parametrize(
    "form", ["{0}-{1:02d}-{2:02d}{3}", "{0}-{1:02d}-{2:02d}.0 {3}", "{3}{0}-{1:02d}-{2:02d}"]
)
def test_degrees_minutes_and_seconds_joined_by_hyphens_are_read(tmp_path: Path, form: str) -> None:
    """SYNTHETIC: round 35's eight Nevada places written ``38-12-00N``, ``118-30-00.0 W`` or
    ``N38-12-00``, as FAA and NGA lists write them. Before: "holds no numbers (e.g.
    '118-30-00W'); pick a numeric column" (no fix); now read, each place to the second."""
    from prospect.io.points import read_points

    rows = [
        f"S{i};{form.format(*_dms(lat, 'NS'))};{form.format(*_dms(lon, 'EW'))};{i}"
        for i, (lon, lat) in enumerate(PLACES)
    ]
    path = tmp_path / "dms.csv"
    path.write_text("site;lat;lon;li\n" + "\n".join(rows) + "\n")
    table, said, error = _caught(
        lambda: read_points(path, x="lon", y="lat", to_crs="EPSG:4326", columns=["li"])
    )
    assert error is None and table is not None, error
    assert len(table.x) == 8 and not said, said
    for (lon, lat), x, y in zip(PLACES, table.x, table.y, strict=True):
        assert abs(x - lon) < 1 / 3600 and abs(y - lat) < 1 / 3600, (x, y, lon, lat)


def test_control_hyphenated_numbers_without_a_hemisphere_stay_unread(tmp_path: Path) -> None:
    """Control, SYNTHETIC: ``38-12-00`` and ``118-30-00`` (no hemisphere letter: a date, a
    range or an ID as much as a place) on record 3 stay no coordinates, dropped and said
    (line 4), the others read as before."""
    from prospect.io.points import read_points

    rows = [f"S{i};{lat:.5f};{lon:.5f};{i}" for i, (lon, lat) in enumerate(PLACES)]
    rows[2] = "S2;38-12-00;118-30-00;2"
    path = tmp_path / "ids.csv"
    path.write_text("site;lat;lon;li\n" + "\n".join(rows) + "\n")
    table, said, error = _caught(
        lambda: read_points(path, x="lon", y="lat", to_crs="EPSG:4326", columns=["li"])
    )
    assert error is None and table is not None and len(table.x) == 7, error
    assert any("(line 4)" in s for s in said), said
