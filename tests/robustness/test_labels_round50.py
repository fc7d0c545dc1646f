"""Well tables whose depth headers name a datum after the unit (``TD (ft KB)``, ``Depth (m
TVDSS)``, ``mbgl``), glue the unit on (``DepthFt``, ``TempC``) or bracket a temperature's
letter (``Temp (F)``), cells written in another length or temperature than their column's
(``3281 ft`` under ``depth_m``), status columns named by a stage or cut by a Shapefile to
``developmen``, commodity cells naming the mineral with a doubt (``Li?``, ``possible Li``),
Dutch and German well names given at two places, deviated wells' bottom holes beside their
collars, unit columns named in the partners' languages (``eenheid``), and "not detected"
in their laboratories' words (``n.n. <0,1``, ``<NG 0,1``, ``o.d.g.``).

Found by feeding the train stage's label reading (``prospect.models.training.read_labels``)
and the surfaces' point reader (``prospect.ingest.surfaces.plan_points``) tables as well
logs, NLOG- and DINO-like Dutch exports and hand-kept field sheets write them (2026-12-06),
taking round 48's "found and left". Every table is small and SYNTHETIC: round 35's eight
Great Basin places and ten Dutch wells.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from prospect.config.sources import PointSource
from prospect.errors import DataError
from prospect.ingest.layers import unit_key
from prospect.ingest.surfaces import column_units, plan_points
from prospect.registry.units import same_units

from .test_labels_round35 import DUTCH, PLACES, STATUSES, _labels, _table
from .test_labels_round36 import _plan
from .test_labels_round48 import _quoted, _shapefile_labels
from .test_vectors_round22 import _caught


def _wells(header: str, cells: list[str], sep: str = ",", name: str = "site") -> str:
    """A SYNTHETIC ``<name>, lon, lat, <header>`` table of ten Dutch wells with ``cells``."""
    rows = [
        sep.join([f"W{i}", f"{5.05 + 0.04 * i:.6f}", f"{51.95 + 0.03 * i:.6f}", c])
        for i, c in enumerate(cells)
    ]
    return sep.join([name, "lon", "lat", header]) + "\n" + "\n".join(rows) + "\n"


DEPTHS = [str(1000 + 100 * i) for i in range(10)]
"""Ten SYNTHETIC depths."""


# --- a depth's datum after its unit, and a unit glued on ------------------------------------


@pytest.mark.parametrize(
    ("header", "length"),
    [
        ("TD (ft KB)", "ft"),
        ("Depth (ft bgl)", "ft"),
        ("Depth (m TVDSS)", "m"),
        ("Depth (m MD RKB)", "m"),
        ("Top (m t.o.v. NAP)", "m"),
        ("Top (m -NAP)", "m"),
        ("Depth (mbgl)", "m"),
        ("Diepte (m-mv)", "m"),
    ],
    ids=["ft-kb", "ft-bgl", "tvdss", "md-rkb", "tov-nap", "minus-nap", "mbgl", "m-mv"],
)
def test_a_depth_header_naming_its_datum_is_its_length(
    tmp_path: Path, header: str, length: str
) -> None:
    """A log's ``TD (ft KB)``, ``Depth (m TVDSS)``, a borehole's ``Depth (mbgl)``, a Dutch
    table's ``Top (m t.o.v. NAP)`` or ``Diepte (m-mv)``: the surface records the header's
    units as written. Before: read as ``KB`` times ``ft`` (``mbgl`` a unit of its own), so
    such a surface was of other units than a ``ft`` or ``m`` one, and ``units:`` giving
    the length was warned of as another unit than the header's; now the length."""
    layers, said, error = _plan(tmp_path / "w.csv", _wells(header, DEPTHS), column=header)
    assert error is None and layers, error
    assert unit_key(layers[0].units) == unit_key(length), (layers[0].units, said)
    assert same_units(layers[0].units, length), layers[0].units
    source = PointSource(
        kind="points", name="w", path="w.csv", columns=[header], units={header: length}
    )
    _, told, _ = _caught(lambda: column_units(source, header))
    assert not any("states" in s for s in told), told


@pytest.mark.parametrize(
    ("header", "unit"),
    [
        ("DepthFt", "ft"),
        ("DepthM", "m"),
        ("depthFT", "ft"),
        ("DEPTHFT", "ft"),
        ("TempC", "degC"),
        ("TD_ftKB", "ft"),
        ("depth_mbgl", "m"),
    ],
)
def test_a_header_with_its_unit_glued_on_records_it(tmp_path: Path, header: str, unit: str) -> None:
    """A header with the unit glued on as a log export writes it (``DepthFt``, ``TempC``,
    ``TD_ftKB``, ``depth_mbgl``). Before: no unit recorded (only a word of its own was
    read), so feet from this source and metres from another were two surfaces of
    nothing said; now the unit."""
    layers, said, error = _plan(tmp_path / "w.csv", _wells(header, DEPTHS), column=header)
    assert error is None and layers, error
    assert layers[0].units == unit, (layers[0].units, said)


@pytest.mark.parametrize("header", ["TopMD", "WellDepth", "mbgl"])
def test_control_a_header_of_a_datum_or_a_word_alone_records_no_unit(
    tmp_path: Path, header: str
) -> None:
    """Control: ``TopMD`` (a datum, no unit), ``WellDepth`` and ``mbgl`` alone record no
    units, as before."""
    layers, _, error = _plan(tmp_path / "w.csv", _wells(header, DEPTHS), column=header)
    assert error is None and layers and layers[0].units == "", error


def test_control_units_that_are_no_depth_datum_keep_their_keys() -> None:
    """Control: ``mgl``, ``mV``, ``mS/m``, ``m/s``, ``m2`` are no length below a datum."""
    assert unit_key("mgl") == (("mgl", 1),)
    assert unit_key("mV") == (("mV", 1),)
    assert unit_key("m/s") == (("m", 1), ("s", -1))
    assert unit_key("m2") == (("m", 2),)
    assert unit_key("ft asl") == (("ft", 1),) and unit_key("m NAP") == (("m", 1),)


@pytest.mark.parametrize(
    ("header", "unit"),
    [("Temp (F)", "degF"), ("BHT (C)", "degC"), ("Temperatuur [C]", "degC"), ("Diepte (mtr)", "m")],
    ids=["temp-f", "bht-c", "dutch-c", "mtr"],
)
def test_a_temperature_letter_or_mtr_in_brackets_is_read(
    tmp_path: Path, header: str, unit: str
) -> None:
    """``Temp (F)``, ``BHT (C)``, ``Temperatuur [C]``: recorded ``F`` and ``C``, UDUNITS-2's
    farad and coulomb (``temp_F`` records ``degF``), so such a surface was of other units
    than a ``degF`` one; ``Diepte (mtr)`` was a unit ``mtr`` of its own. Now the degree
    (recorded so) and the metre."""
    layers, said, error = _plan(tmp_path / "w.csv", _wells(header, DEPTHS), column=header)
    assert error is None and layers, error
    assert unit_key(layers[0].units) == unit_key(unit), (layers[0].units, said)
    assert same_units(layers[0].units, unit), layers[0].units


def test_control_a_letter_in_brackets_after_another_word_is_kept(tmp_path: Path) -> None:
    """Control: ``Class (C)`` (no temperature's word) records ``C`` as written."""
    layers, _, error = _plan(tmp_path / "w.csv", _wells("Class (C)", DEPTHS), column="Class (C)")
    assert error is None and layers and layers[0].units == "C", error


# --- a cell in another length or temperature ------------------------------------------------


@pytest.mark.parametrize(
    ("header", "cell", "read", "kind"),
    [
        ("depth_m", "3281 ft", 1000.0488, "length"),
        ("elev_ft", "1000 m", 1000 / 0.3048, "length"),
        ("Depth (ft KB)", "1.2 km", 1200 / 0.3048, "length"),
        ("temp_F", "65 °C", 149.0, "temperature"),
        ("BHT (°C)", "350 K", 76.85, "temperature"),
    ],
    ids=["ft-under-m", "m-under-ft", "km-under-ft-kb", "degc-under-f", "kelvin-under-degc"],
)
def test_a_cell_in_another_length_or_temperature_is_converted(
    tmp_path: Path, header: str, cell: str, read: float, kind: str
) -> None:
    """Well 3 typed in by hand in another unit than its column's (``3281 ft`` under
    ``depth_m``, ``65 °C`` under ``temp_F``). Before: read as missing, "write numbers only
    (units belong in the header)", the well left out of the surface; now converted, as a
    concentration's ``800 µg/L`` under ``li [mg/L]`` is, said with the line."""
    cells = [*DEPTHS[:3], cell, *DEPTHS[4:]]
    layers, said, error = _plan(tmp_path / "w.csv", _wells(header, cells), column=header)
    assert error is None and layers, error
    z = np.asarray(layers[0].z, dtype=float)
    assert z.size == 10 and z[3] == pytest.approx(read, rel=1e-9), (z, said)
    told = [s for s in said if f"in another {kind} than the column's" in s]
    assert len(told) == 1 and "line 5" in told[0] and "converted" in told[0], said
    assert not any("not finite numbers" in s for s in said), said


def test_a_cell_written_with_its_columns_length_is_read(tmp_path: Path) -> None:
    """``1300 m`` among plain numbers under ``depth_m``. Before: missing; now 1300, said."""
    cells = [*DEPTHS[:3], "1300 m", *DEPTHS[4:]]
    layers, said, error = _plan(tmp_path / "w.csv", _wells("depth_m", cells), column="depth_m")
    assert error is None and layers, error
    np.testing.assert_allclose(np.asarray(layers[0].z, dtype=float), [float(d) for d in DEPTHS])
    assert any("written with the unit the column states, m" in s for s in said), said


def test_control_a_cell_of_another_quantity_stays_missing(tmp_path: Path) -> None:
    """Control: ``15 mg/kg`` under ``Li (mg/L)`` and ``3 wells`` under ``depth_m`` stay
    missing with their messages, as before."""
    cells = [*DEPTHS[:3], "15 mg/kg", *DEPTHS[4:]]
    layers, said, error = _plan(tmp_path / "w.csv", _wells("Li (mg/L)", cells), column="Li (mg/L)")
    assert error is None and layers and len(layers[0].z) == 9, error
    assert any("no size of the column's mg/L" in s for s in said), said
    cells = [*DEPTHS[:3], "3 wells", *DEPTHS[4:]]
    layers, said, error = _plan(tmp_path / "w.csv", _wells("depth_m", cells), column="depth_m")
    assert error is None and layers and len(layers[0].z) == 9, error
    assert any("not finite numbers" in s for s in said), said


# --- status columns named by a stage, or cut to 'developmen' --------------------------------


@pytest.mark.parametrize("header", ["Development stage", "dev_stage", "Deposit stage"])
def test_a_stage_column_is_read_as_a_status(tmp_path: Path, header: str) -> None:
    """A survey's ``Development stage`` (``dev_stage``, ``Deposit stage``) with round 35's
    statuses (three barren). Before: no status column, 8 positives, without a word; now
    5, said with the column."""
    labels, said, error = _labels(tmp_path / "occ.csv", _table(header, STATUSES))
    assert error is None and labels is not None, error
    assert labels.n_positive == 5, (labels.counts, said)
    assert any(f"barren by their {header!r}" in s for s in said), said


@pytest.mark.parametrize("field", ["development_status", "development_stage"])
def test_a_shapefile_field_cut_to_developmen_is_read_as_a_status(
    tmp_path: Path, field: str
) -> None:
    """``development_status`` (or ``_stage``) cut by the .dbf to ``developmen``. Before: not
    read, 8 positives; now the barren sites are left out (5), said."""
    labels, said, error = _shapefile_labels(tmp_path / "occ.shp", {field: STATUSES})
    assert error is None and labels is not None, error
    assert labels.n_positive == 5, (labels.counts, said)
    assert any("barren by their 'developmen'" in s for s in said), said


def test_control_a_stage_alone_is_no_status(tmp_path: Path) -> None:
    """Control: ``Stage`` alone (a well's or a rock's) is not read: 8 positives."""
    labels, said, error = _labels(tmp_path / "occ.csv", _table("Stage", STATUSES))
    assert error is None and labels is not None, error
    assert labels.n_positive == 8 and not any("barren" in s for s in said), said


# --- a commodity cell naming the mineral with a doubt ---------------------------------------

DOUBTED = [
    "Lithium",
    "Li?",
    "Lithium",
    "possible Li",
    "Li (possible)",
    "probable Li",
    "Li - unconfirmed",
    "Copper",
]
"""A SYNTHETIC commodity column: two lithium deposits, five doubts, one copper."""


def test_a_cell_naming_lithium_with_a_doubt_is_no_positive(tmp_path: Path) -> None:
    """``Li?``, ``possible Li``, ``Li (possible)``, ``probable Li``, ``Li - unconfirmed``.
    Before: each read as naming lithium, 7 positives (a label from a doubt), without a
    word; now left out (2), said with a count, the cells, the lines and the fix."""
    labels, said, error = _labels(
        tmp_path / "occ.csv", _table("commodity", _quoted(DOUBTED)), mineral="lithium"
    )
    assert error is None and labels is not None, error
    assert labels.n_positive == 2, (labels.counts, said)
    told = [s for s in said if "only with a doubt" in s]
    assert len(told) == 1 and "5 of 8 record(s) name lithium" in told[0], said
    assert "'Li?'" in told[0] and "lines 3, 5, 6, 7, 8" in told[0], told
    assert "without the doubt" in told[0] and "Traceback" not in told[0], told


def test_a_doubt_beside_other_commodities_and_in_mrds_columns_is_no_positive(
    tmp_path: Path,
) -> None:
    """``Cu, Li?`` in one cell, and ``?Li`` in MRDS's ``commod2``. Before: positives (4);
    now copper's and gold's (2 left)."""
    rows = [
        "Lithium,",
        '"Cu, Li?",',
        "Lithium,Tin",
        "Gold,?Li",
        "Zinc,",
        "Copper,",
        "Lead,",
        "Gold,",
    ]
    labels, said, error = _labels(
        tmp_path / "occ.csv", _table("commod1,commod2", rows), mineral="lithium"
    )
    assert error is None and labels is not None, error
    assert labels.n_positive == 2, (labels.counts, said)
    assert any("2 of 8 record(s) name lithium only with a doubt" in s for s in said), said


def test_a_table_naming_lithium_only_with_doubts_is_refused(tmp_path: Path) -> None:
    """Every record naming lithium names it with a doubt. Before: those were the
    positives; now refused, one line naming the cells and the fix."""
    cells = ["Li?", "Copper", "possible Li", "Zinc", "Gold", "Lead", "Copper", "Gold"]
    _, _, error = _labels(
        tmp_path / "occ.csv", _table("commodity", _quoted(cells)), mineral="lithium"
    )
    assert isinstance(error, DataError), error
    text = str(error)
    assert "only with a doubt" in text and "'Li?'" in text and "\n" not in text, text


def test_control_a_confirmed_cell_beside_a_doubt_and_a_reported_one_stay_positives(
    tmp_path: Path,
) -> None:
    """Control: ``Lithium, Cs?`` (lithium confirmed, caesium doubted), ``Li (reported)``,
    ``Lithium (Li2O)`` and ``Li-Cs-Ta pegmatite`` stay positives (5), nothing said of
    doubts."""
    cells = [
        "Lithium",
        "Lithium, Cs?",
        "Li (reported)",
        "Gold",
        "Lithium (Li2O)",
        "Copper",
        "Li-Cs-Ta pegmatite",
        "Zinc",
    ]
    labels, said, error = _labels(
        tmp_path / "occ.csv", _table("commodity", _quoted(cells)), mineral="lithium"
    )
    assert error is None and labels is not None, error
    assert labels.n_positive == 5 and not any("doubt" in s for s in said), said


# --- a Dutch or German well name given at two places ----------------------------------------


@pytest.mark.parametrize("name", ["Boorgat", "Putnaam", "Boornummer", "Bohrung", "Puits"])
def test_a_well_named_in_a_partners_language_at_two_places_is_said(
    tmp_path: Path, name: str
) -> None:
    """An NLOG- or DINO-like table (``;``) whose well column is ``Boorgat`` (``Putnaam``,
    ``Boornummer``, German ``Bohrung``, French ``Puits``) names W3 again at another place.
    Before: two wells, without a word (only English ID names were read); now said as
    an ID at two places, naming the column and both lines."""
    cells = [str(10 + i) for i in range(10)]
    text = _wells("li", cells, sep=";", name=name) + "W3;5.5;52.2;99\n"
    layers, said, error = _plan(tmp_path / "nlog.csv", text)
    assert error is None and layers, error
    told = [s for s in said if "given at two or more places" in s]
    assert len(told) == 1 and f"column {name!r}" in told[0], said
    assert "'W3': line 5" in told[0] and "line 12" in told[0], told


def test_control_dutch_wells_each_at_one_place_are_not_said(tmp_path: Path) -> None:
    """Control: ten wells under ``Boorgat``, each once: nothing said of IDs."""
    text = _wells("li", [str(10 + i) for i in range(10)], sep=";", name="Boorgat")
    layers, said, error = _plan(tmp_path / "nlog.csv", text)
    assert error is None and layers and not any("two or more places" in s for s in said), said


@pytest.mark.parametrize(
    ("name", "depth"),
    [
        ("Boorgat", "AH diepte (m)"),
        ("Boorgat", "Monsterdiepte (m)"),
        ("Boorgat", "Van (m)"),
        ("Bohrung", "Teufe (m)"),
    ],
    ids=["along-hole", "sample-depth", "interval-from", "teufe"],
)
def test_control_a_deviated_wells_samples_are_not_said_at_two_places(
    tmp_path: Path, name: str, depth: str
) -> None:
    """Control: W3 sampled three times down a deviated path (200 to 600 m east of its
    collar, 1500 to 2500 m down ``AH diepte``, ``Monsterdiepte``, ``Van``, German
    ``Teufe``) is one well down its path, not an ID at two places (the depth column read
    as round 32's ``MD`` is), as it went before its column was read as a well's."""
    rows = [
        f"W{i};{5.05 + 0.04 * i:.6f};{51.95 + 0.03 * i:.6f};{1000 + i};{10 + i}" for i in range(10)
    ] + [
        f"W3;{5.17 + 0.003 * (k + 1):.6f};52.040000;{d};{20 + k}"
        for k, d in enumerate((1500, 2000, 2500))
    ]
    text = f"{name};lon;lat;{depth};li\n" + "\n".join(rows) + "\n"
    layers, said, error = _plan(tmp_path / "w.csv", text)
    assert error is None and layers and len(layers[0].z) == 13, error
    assert not any("two or more places" in s for s in said), said


# --- a deviated well's bottom hole beside its collar ---------------------------------------

REACHES = [0, 0.02, 0.03, 0, 0, 0.0005, 0, 0, 0, 0]
"""How far east (degrees) each SYNTHETIC well's bottom hole lies from its collar: W1 and
W2 about 1.4 and 2.1 km (deviated), W5 about 34 m (a collar surveyed again)."""


def _deviated(x: str, y: str, reaches: list[float]) -> str:
    """Ten SYNTHETIC Dutch wells (``;``) with their bottom holes in columns ``x``, ``y``."""
    rows = [
        f"W{i};{5.05 + 0.04 * i:.6f};{51.95 + 0.03 * i:.6f};{5.05 + 0.04 * i + r:.6f};"
        f"{51.95 + 0.03 * i:.6f};{10 + i}"
        for i, r in enumerate(reaches)
    ]
    return f"Boorgat;lon;lat;{x};{y};li\n" + "\n".join(rows) + "\n"


@pytest.mark.parametrize(
    ("x", "y"),
    [
        ("lon_BH", "lat_BH"),
        ("BH Longitude", "BH Latitude"),
        ("X-eindpunt", "Y-eindpunt"),
        ("Target lon", "Target lat"),
    ],
    ids=["bh", "bh-words", "dutch-eindpunt", "target"],
)
def test_a_wells_bottom_hole_away_from_its_collar_is_said(tmp_path: Path, x: str, y: str) -> None:
    """An NLOG-like well table giving each well's bottom-hole place (``lon_BH``, Dutch
    ``X-eindpunt``) beside its collar, two wells deviated 1.4 and 2.1 km. Before: each
    well's lithium, sampled in the reservoir, was kriged at its collar without a word; now
    said, naming the columns, the lines, the farthest and the ``x:``/``y:`` to set."""
    layers, said, error = _plan(tmp_path / "w.csv", _deviated(x, y, REACHES))
    assert error is None and layers, error
    told = [s for s in said if "bottom-hole place" in s]
    assert len(told) == 1 and "2 of 10 well(s)" in told[0], said
    assert f"columns {x!r}/{y!r}" in told[0] and "up to 2.06 km" in told[0], told
    assert "lines 3, 4" in told[0] and f"'x: {x}' and 'y: {y}'" in told[0], told


def test_an_occurrence_wells_bottom_hole_away_from_its_collar_is_said(tmp_path: Path) -> None:
    """The same under the train stage's labels: an occurrence table's ``lon_bh``/``lat_bh``
    1.7 km from one well's collar. Before: nothing said; now said."""
    rows = [
        f"S{i},{px:.5f},{py:.5f},{px + (0.02 if i == 2 else 0):.5f},{py:.5f},Lithium"
        for i, (px, py) in enumerate(PLACES)
    ]
    text = "site,lon,lat,lon_bh,lat_bh,commodity\n" + "\n".join(rows) + "\n"
    labels, said, error = _labels(tmp_path / "occ.csv", text, mineral="lithium")
    assert error is None and labels is not None and labels.n_positive == 8, error
    assert any("1 of 8 well(s)" in s and "'lon_bh'/'lat_bh'" in s for s in said), said


@pytest.mark.parametrize(
    ("x", "y", "reaches"),
    [
        ("lon_BH", "lat_BH", [0.0] * 10),
        ("lon2", "lat2", REACHES),
        ("lon_BH", "lat_BH", [*REACHES[:9], 2.0]),
    ],
    ids=["vertical", "other-columns", "another-crs"],
)
def test_control_bottom_holes_at_the_collars_or_other_columns_are_not_said(
    tmp_path: Path, x: str, y: str, reaches: list[float]
) -> None:
    """Control: vertical wells (bottom holes at the collars), columns ``lon2``/``lat2``
    (no bottom-hole word), and a table one of whose bottom holes lies 137 km away (no
    well's path: another CRS's or something else) are not said."""
    layers, said, error = _plan(tmp_path / "w.csv", _deviated(x, y, reaches))
    assert error is None and layers, error
    assert not any("bottom-hole" in s for s in said), said


# --- a unit column named in a partners' language --------------------------------------------


@pytest.mark.parametrize("name", ["eenheid", "Einheit", "unité"])
def test_a_unit_column_in_a_partners_language_is_read(tmp_path: Path, name: str) -> None:
    """A Dutch (German, French) lab table's ``eenheid`` column of ``mg/L`` on most rows and
    ``mg/kg`` on four (a water's and a rock's). Before: not read, one surface of both
    with no units, without a word; now refused naming the column and both units."""
    cells = [f"{10 + i};{'mg/kg' if i % 3 == 0 else 'mg/L'}" for i in range(10)]
    text = _wells(f"li;{name}", cells, sep=";", name="Boorgat")
    _, _, error = _plan(tmp_path / "w.csv", text)
    assert isinstance(error, DataError), error
    message = str(error)
    assert f"column {name!r}" in message and "'mg/kg' on 4" in message, message


def test_one_unit_in_an_eenheid_column_is_recorded(tmp_path: Path) -> None:
    """One unit (``mg/L``) on every row of ``eenheid``. Before: not read, the surface of
    no units; now ``mg/L``, as under ``unit``."""
    cells = [f"{10 + i};mg/L" for i in range(10)]
    layers, _, error = _plan(tmp_path / "w.csv", _wells("li;eenheid", cells, sep=";"))
    assert error is None and layers and layers[0].units == "mg/L", error


def test_the_surface_of_a_glued_header_plans_through_plan_points(tmp_path: Path) -> None:
    """The ``DepthFt`` and ``Depth (m TVDSS)`` surfaces of one table both plan, each with
    its unit (one source, two columns)."""
    rows = [
        f"W{i},{5.05 + 0.04 * i:.6f},{51.95 + 0.03 * i:.6f},{3000 + 100 * i},{900 + 30 * i}"
        for i in range(10)
    ]
    path = tmp_path / "w.csv"
    path.write_text("site,lon,lat,DepthFt,Depth (m TVDSS)\n" + "\n".join(rows) + "\n", "utf-8")
    source = PointSource(
        kind="points",
        name="w",
        path=str(path),
        x="lon",
        y="lat",
        crs="EPSG:4326",
        columns=["DepthFt", "Depth (m TVDSS)"],
        interpolate=["idw"],
    )
    layers, said, error = _caught(lambda: plan_points(source, DUTCH))
    assert error is None and layers, error
    assert [unit_key(layer.units) for layer in layers] == [(("ft", 1),), (("m", 1),)], said


# --- "not detected" in the partners' laboratories' words ------------------------------------


def _dutch_table(header: str, cells: list[str]) -> str:
    """Round 35's eight SYNTHETIC places as a Dutch or German lab writes them (``;``,
    decimal commas) with ``cells`` under ``header``."""
    rows = [
        ";".join([f"S{i}", f"{x:.5f}".replace(".", ","), f"{y:.5f}".replace(".", ","), c])
        for i, ((x, y), c) in enumerate(zip(PLACES, cells, strict=False))
    ]
    return f"site;lon;lat;{header}\n" + "\n".join(rows) + "\n"


GRADES = ["35,5", "12", "40", "30", "25", "5", "50"]
"""Seven SYNTHETIC lithium grades (mg/l) after the first record's."""


@pytest.mark.parametrize(
    "cell",
    ["n.n. <0,1", "<NG 0,1", "u.d.N. (0,1)", "o.d.g. (0,1)", "<DG 0,1", "<LD 0,1", "<LQ 0,1"],
    ids=["de-nn", "de-ng", "de-udn", "nl-odg", "nl-dg", "fr-ld", "fr-lq"],
)
def test_a_limit_with_a_partners_not_detected_word_is_read(tmp_path: Path, cell: str) -> None:
    """A German, Dutch or French lab's "not detected" word with its limit (``n.n. <0,1``,
    ``<NG 0,1``, ``o.d.g. (0,1)``, ``<LD 0,1``) as the first record's lithium. Before: read
    as missing, "write numbers only", so the record was no negative under the threshold
    20 mg/l; now below 0.1, a negative, as ``ND<0,1`` is."""
    labels, said, error = _labels(
        tmp_path / "occ.csv",
        _dutch_table("Li (mg/l)", [cell, *GRADES]),
        value_column="Li (mg/l)",
        threshold=20,
    )
    assert error is None and labels is not None, error
    counts = labels.counts
    assert counts["records_below_limit_as_negative"] == 1, (counts, said)
    assert counts["records_without_grade"] == 0 and not any("Traceback" in s for s in said)


def test_a_limit_with_a_partners_word_is_half_of_it_on_a_surface(tmp_path: Path) -> None:
    """``<NG 0.1`` under ``Li (mg/l)`` of ten Dutch wells. Before: missing; now 0.05, half
    its limit, as ``<0.1`` is."""
    cells = ["<NG 0.1", *(g.replace(",", ".") for g in GRADES), "7", "8"]
    text = _wells("Li (mg/l)", cells, sep=";")
    layers, said, error = _plan(tmp_path / "w.csv", text, column="Li (mg/l)")
    assert error is None and layers, error
    z = np.asarray(layers[0].z, dtype=float)
    assert z.size == 10 and z[0] == pytest.approx(0.05), (z, said)


@pytest.mark.parametrize("cell", ["n.n.", "<NG", "o.d.g.", "<DG"])
def test_a_partners_not_detected_word_alone_is_said_as_a_limit(tmp_path: Path, cell: str) -> None:
    """``n.n.``, ``<NG``, ``o.d.g.``, ``<DG`` without their limit. Before: "write numbers
    only (units belong in the header)"; now said as a detection limit with its fix
    (leave it with its limit, ``<5``)."""
    labels, said, error = _labels(
        tmp_path / "occ.csv",
        _dutch_table("Li (mg/l)", [cell, *GRADES]),
        value_column="Li (mg/l)",
        threshold=20,
    )
    assert error is None and labels is not None, error
    told = [s for s in said if "line 2" in s and "read as missing" in s]
    assert len(told) == 1 and f"1 are detection limits ({cell!r})" in told[0], said
    assert "with its limit ('<5')" in told[0], told


def test_control_a_dutch_not_determined_cell_stays_no_limit(tmp_path: Path) -> None:
    """Control: Dutch ``n.b.`` (niet bepaald, not determined: no limit) stays missing, no
    detection limit (round 51 says it as not analysed, where it was "write numbers
    only"), and ``<0,1`` a negative, as before."""
    labels, said, error = _labels(
        tmp_path / "occ.csv",
        _dutch_table("Li (mg/l)", ["<0,1", "n.b.", *GRADES[1:]]),
        value_column="Li (mg/l)",
        threshold=20,
    )
    assert error is None and labels is not None, error
    assert labels.counts["records_below_limit_as_negative"] == 1, labels.counts
    told = [s for s in said if "line 3" in s and "read as missing" in s]
    assert len(told) == 1 and "detection limit" not in told[0].split("negative);")[-1], said
    assert labels.counts["records_without_grade"] == 1, labels.counts
