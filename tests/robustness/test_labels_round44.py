"""Subtotal rows among a table's records read as wells, surfaces of ``depth_ft`` or
``temp_F`` recording no units, and metres under ``lon``/``lat`` for a region in degrees
told to find "their UTM zone or national grid" alone.

Found by feeding the surfaces' point reader (``prospect.ingest.surfaces.plan_points``) and
the train stage's label reading (``prospect.models.training.read_labels``) the tables
users give (2026-12-06), taking round 43's "found and left". Every file is small and
SYNTHETIC (round 35's ten Dutch wells, lithium 10 to 55; its Great Basin places).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pyproj import Transformer

from prospect.errors import DataError

from .test_labels_round35 import PLACES, WELLS, _labels
from .test_labels_round36 import _plan
from .test_labels_round43 import RD

LI = [10.0 + 5 * i for i in range(10)]
"""The ten wells' lithium."""


# --- subtotal rows among the records ---------------------------------------------------------


@pytest.mark.parametrize("word", ["Subtotal block A", "Sub-total (block A)", "SUBTOTAL:",
                                  "Block A Total"],
                         ids=["subtotal-block", "sub-total-brackets", "subtotal-colon",
                              "excel-group-total"])
def test_a_subtotal_row_among_the_wells_is_no_well(tmp_path: Path, word: str) -> None:
    """Each block's five wells with a subtotal row under them (Excel's Data > Subtotal,
    or typed), its mean filled across lon, lat and li. Before: both rows were kriged as
    wells at the blocks' mean places without a word (12 values; only rows below the last
    record were looked at); now left out, lines 7 and 13 said as summary rows."""
    rows = [*WELLS[:5], f"{word},5.130000,52.010000,20", *WELLS[5:],
            "Subtotal block B,5.330000,52.160000,45"]
    layers, said, error = _plan(tmp_path / "w.csv", "site,lon,lat,li\n" + "\n".join(rows) + "\n")
    assert error is None and layers, error
    np.testing.assert_allclose(np.asarray(layers[0].z, dtype=float), LI, rtol=1e-9)
    assert any("lines 7, 13 are summary rows" in s and word.strip() in s for s in said), said


def test_a_subtotal_row_with_the_group_in_its_own_column_is_no_label(tmp_path: Path) -> None:
    """An occurrence table ``block, site, lon, lat, li`` with ``A, Subtotal`` under block
    A's four sites (its summed grade 100 at their mean place). Before: labelled a fifth
    positive there; now left out (4 positives), line 6 said."""
    lines = ["block,site,lon,lat,li"]
    for i, (x, y) in enumerate(PLACES[:4]):
        lines.append(f"A,S{i},{x:.5f},{y:.5f},{30 if i % 2 else 40}")
    lines.append(f"A,Subtotal,{np.mean([p[0] for p in PLACES[:4]]):.5f},"
                 f"{np.mean([p[1] for p in PLACES[:4]]):.5f},140")
    for i, (x, y) in enumerate(PLACES[4:], start=4):
        lines.append(f"B,S{i},{x:.5f},{y:.5f},5")
    labels, said, error = _labels(tmp_path / "occ.csv", "\n".join(lines) + "\n",
                                  value_column="li", threshold=20)
    assert error is None and labels is not None, error
    assert labels.n_positive == 4, labels.counts
    assert any("line 6 is a summary row ('Subtotal')" in s for s in said), said


def test_control_a_site_named_with_a_summary_word_among_the_wells_stays_a_well(
        tmp_path: Path) -> None:
    """Control: a site named ``Max Creek`` among the records (a summary word with a name,
    no subtotal) stays a well (11 values, nothing said)."""
    rows = [*WELLS[:5], "Max Creek,5.130000,52.010000,20", *WELLS[5:]]
    layers, said, error = _plan(tmp_path / "w.csv", "site,lon,lat,li\n" + "\n".join(rows) + "\n")
    assert error is None and layers, error
    assert len(layers[0].z) == 11 and not any("summary row" in s for s in said), said


# --- a depth's or temperature's unit in its header --------------------------------------------


def _depth_table(column: str, scale: float = 1.0) -> str:
    return f"site,lon,lat,{column}\n" + "\n".join(
        f"W{i},{5.05 + 0.04 * i:.6f},{51.95 + 0.03 * i:.6f},{(100 + 20 * i) * scale:g}"
        for i in range(10)) + "\n"


@pytest.mark.parametrize(("column", "unit"), [
    ("depth_ft", "ft"), ("top_m", "m"), ("depth_m_bgl", "m"), ("temp_F", "degF"),
    ("BHT_C", "degC"), ("pressure_psi", "psi")],
    ids=["depth-ft", "top-m", "depth-m-bgl", "temp-F", "bht-C", "pressure-psi"])
def test_a_surface_of_a_depth_or_temperature_records_its_header_unit(
        tmp_path: Path, column: str, unit: str) -> None:
    """A surface of ``depth_ft`` (or ``temp_F`` ...) from a well table. Before: the cube's
    layer recorded no units (""; only a concentration's word was read from a header), so
    feet from one source and metres from another were not told apart; now the unit the
    header names."""
    layers, said, error = _plan(tmp_path / "w.csv", _depth_table(column), column)
    assert error is None and layers, error
    assert layers[0].units == unit, (layers[0].units, said)


def test_feet_in_the_header_beside_metres_in_units_is_said(tmp_path: Path) -> None:
    """``depth_ft`` given ``units: {depth_ft: m}`` in the config (a copied source). Before:
    the cube recorded metres without a word; now a warning says the header states ft."""
    layers, said, error = _plan(tmp_path / "w.csv", _depth_table("depth_ft"), "depth_ft",
                                units={"depth_ft": "m"})
    assert error is None and layers, error
    assert layers[0].units == "m"
    assert any("'depth_ft' states ft in its header" in s for s in said), said


@pytest.mark.parametrize("column", ["depth", "li_m1", "area_c", "zone_f"])
def test_control_a_header_naming_no_unit_records_none(tmp_path: Path, column: str) -> None:
    """Control: ``depth`` alone, ``li_m1``, ``area_c`` and ``zone_f`` (a letter after no
    temperature word) record no units, as before."""
    layers, said, error = _plan(tmp_path / "w.csv", _depth_table(column), column)
    assert error is None and layers, error
    assert layers[0].units == "", (layers[0].units, said)


# --- metres under lon/lat offered the CRS that places them on the region --------------------


def test_rd_new_metres_under_lon_lat_are_offered_rd_new(tmp_path: Path) -> None:
    """The ten Dutch wells in RD New metres (x 155000, y 463000) under ``lon``/``lat``, a
    region in degrees, the crs left at WGS 84. Before: "set 'crs:' ... (e.g. the EPSG code
    of their UTM zone or national grid)"; now EPSG:28992 named, as the CRS in which they
    lie on the region, with the line to write."""
    layers, _, error = _plan(tmp_path / "rd.csv", "site,lon,lat,li\n" + "\n".join(RD) + "\n")
    assert layers is None and isinstance(error, DataError), error
    text = str(error)
    assert "\n" not in text and "look like metres" in text, text
    assert "EPSG:28992 (Amersfoort / RD New)" in text and 'crs: "EPSG:28992"' in text, text


def test_utm_metres_of_occurrences_are_offered_their_utm_zone(tmp_path: Path) -> None:
    """Eight Nevada occurrences in UTM zone 11N metres under ``lon``/``lat`` (the train
    stage's labels, a region in degrees). Before: "the EPSG code of their UTM zone or
    national grid" alone; now WGS 84 / UTM zone 11N's code, the other datums' beside it."""
    to_utm = Transformer.from_crs(4326, 32611, always_xy=True)
    lines = ["site,lon,lat,li"]
    for i, (x, y) in enumerate(PLACES):
        e, n = to_utm.transform(x, y)
        lines.append(f"S{i},{e:.1f},{n:.1f},{30 if i % 2 else 5}")
    labels, _, error = _labels(tmp_path / "occ.csv", "\n".join(lines) + "\n",
                               value_column="li", threshold=20)
    assert labels is None and isinstance(error, DataError), error
    text = str(error)
    assert "EPSG:32611 (WGS 84 / UTM zone 11N" in text and 'crs: "EPSG:32611"' in text, text


def test_control_metres_falling_nowhere_near_keep_the_plain_hint(tmp_path: Path) -> None:
    """Control: metres that no projected CRS of the region places on it (x 5 000 000,
    y 9 000 000) keep the plain hint, naming no CRS."""
    rows = [f"W{i},{5_000_000 + 1000 * i},{9_000_000 + 900 * i},{10 + 5 * i}" for i in range(10)]
    layers, _, error = _plan(tmp_path / "far.csv", "site,lon,lat,li\n" + "\n".join(rows) + "\n")
    assert layers is None and isinstance(error, DataError), error
    assert "UTM zone or national grid" in str(error) and "EPSG:" not in str(error), error
