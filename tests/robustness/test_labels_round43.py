"""Point tables in a password-protected zip, a lab's unit column of several sizes beside its
detection-limit column, and projected coordinates read as degrees told they are "rounded
to whole degrees".

Found by feeding the surfaces' point reader (``prospect.ingest.surfaces.plan_points``), the
table reader (``prospect.io.points.read_table``) and the train stage's label reading
(``prospect.models.training.read_labels``) the tables users give (2026-12-06), taking round
42's hand-over. Every file is small and SYNTHETIC (round 35's ten Dutch wells, lithium 10
to 55; its Great Basin places).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest

from prospect.config.sources import PointSource
from prospect.errors import DataError, InputFileError
from prospect.ingest.surfaces import plan_points
from prospect.io.points import read_table

from .test_labels_round35 import DUTCH, PLACES, WELLS, _labels
from .test_labels_round36 import _plan
from .test_rasters_round42 import _encrypted_zip
from .test_vectors_round22 import _caught

TABLE = ("site,lon,lat,li\n" + "\n".join(WELLS) + "\n").encode()
"""Ten SYNTHETIC Dutch wells as a CSV's bytes."""

ROUNDED = "rounded to"
"""What the warning of coordinates rounded to a coarse step of degrees says."""


# --- a table in a password-protected zip ----------------------------------------------------


def _assert_told_to_unzip(error: BaseException | None, archive: Path) -> None:
    assert isinstance(error, InputFileError), repr(error)
    text = str(error)
    assert "\n" not in text and str(archive) in text, text
    assert "encrypted" in text and "password" in text and "unzip wells.zip" in text, text
    assert "damaged" not in text and "no text table" not in text, text


@pytest.mark.parametrize("member", [None, "wells.csv"], ids=["zip-alone", "member-named"])
def test_a_table_in_a_password_protected_zip_is_told_to_unzip_it(
        tmp_path: Path, member: str | None) -> None:
    """A CSV of wells in a zip written with ``zip -P secret`` (as licensed survey data is
    shipped), read with or without its member named. Before: an internal error
    ("RuntimeError: File 'wells.csv' is encrypted, password required for extraction"), or
    "the archive holds no text table ... the zip archive is damaged or cut short"; now
    one line naming the archive, the encrypted member and ``unzip``."""
    archive = _encrypted_zip(tmp_path / "wells.zip", {"wells.csv": TABLE})
    out, _, error = _caught(lambda: read_table(archive, member=member))
    assert out is None
    _assert_told_to_unzip(error, archive)


@pytest.mark.parametrize("layer", [None, "wells"], ids=["zip-alone", "layer-named"])
def test_a_surface_of_a_table_in_a_password_protected_zip_is_told_to_unzip_it(
        tmp_path: Path, layer: str | None) -> None:
    """Control: a surface's points source given as the zip (its table named by ``layer:``,
    or not) is refused in the one line naming the encrypted table and ``unzip``, as the
    vector reader refused it before; now the table reader's words, the same."""
    archive = _encrypted_zip(tmp_path / "wells.zip", {"wells.csv": TABLE})
    src = PointSource(kind="points", name="w", path=str(archive), x="lon", y="lat",
                      crs="EPSG:4326", columns=["li"], interpolate=["idw"], layer=layer)
    layers, _, error = _caught(lambda: plan_points(src, DUTCH))
    assert layers is None
    _assert_told_to_unzip(error, archive)


def test_a_table_zipped_with_bzip2_is_read(tmp_path: Path) -> None:
    """The ten wells' CSV in a zip packed with bzip2 (7-Zip's and WinZip's option), given
    as the zip. Before: refused ("compressed with bzip2, which GDAL cannot unpack from a
    zip"), though the table is read by Python, not GDAL; now read, ten wells."""
    archive = tmp_path / "wells.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_BZIP2) as zf:
        zf.writestr("wells.csv", TABLE)
    src = PointSource(kind="points", name="w", path=str(archive), x="lon", y="lat",
                      crs="EPSG:4326", columns=["li"], interpolate=["idw"])
    layers, _, error = _caught(lambda: plan_points(src, DUTCH))
    assert error is None, error
    assert layers
    np.testing.assert_allclose(np.asarray(layers[0].z, dtype=float),
                               [10.0 + 5 * i for i in range(10)], rtol=1e-9)


def test_a_zip_holding_no_table_is_not_called_damaged(tmp_path: Path) -> None:
    """A zip holding a readme alone, read as a table. Before: "cannot unpack the table
    (... the archive holds no text table): the zip archive is damaged or cut short";
    now "the archive holds no text table" alone (the zip is whole)."""
    archive = tmp_path / "wells.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("readme.pdf", b"%PDF-1.4 SYNTHETIC")
    _, _, error = _caught(lambda: read_table(archive))
    assert isinstance(error, InputFileError), repr(error)
    assert "holds no text table" in str(error) and "damaged" not in str(error), error


def test_control_a_table_in_a_plain_zip_is_read(tmp_path: Path) -> None:
    """Control: the same table in a zip without a password is read, all ten wells."""
    archive = tmp_path / "wells.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("wells.csv", TABLE)
    frame = read_table(archive)
    assert len(frame) == 10 and list(frame.columns) == ["site", "lon", "lat", "li"]


# --- a unit column of several sizes beside a detection-limit column -------------------------


def _lab(rows: dict[int, tuple[str, str, str]]) -> str:
    """:data:`WELLS` as a lab's ``site, lon, lat, li, li_dl, unit`` export: mg/L with a
    limit of 0.5, except ``rows`` (index -> value, limit, unit)."""
    out = []
    for i, well in enumerate(WELLS):
        name, x, y, value = well.split(",")
        v, dl, unit = rows.get(i, (value, "0.5", "mg/L"))
        out.append(f"{name},{x},{y},{v},{dl},{unit}")
    return "site,lon,lat,li,li_dl,unit\n" + "\n".join(out) + "\n"


def test_a_unit_column_of_several_sizes_beside_a_limit_column_is_converted(
        tmp_path: Path) -> None:
    """W3 written ``800`` in ``ug/L`` with its limit ``500`` (ug/L), W6 ``200`` ug/L below
    its limit ``500``. Before: refused ("column 'li' is in different units row by row ...
    convert the values to one unit"), though each row states its unit; now each converted
    to mg/L with its limit: W3 0.8 mg/L (measured, above its 0.5 mg/L limit), W6 below it,
    half the limit (0.25 mg/L)."""
    text = _lab({3: ("800", "500", "ug/L"), 6: ("200", "500", "ug/L")})
    layers, said, error = _plan(tmp_path / "lab.csv", text)
    assert error is None, error
    assert layers
    expected = [10.0 + 5 * i for i in range(10)]
    expected[3], expected[6] = 0.8, 0.25
    np.testing.assert_allclose(np.asarray(layers[0].z, dtype=float), expected, rtol=1e-9)
    told = [s for s in said if "different units row by row" in s]
    assert len(told) == 1 and "converted to mg/L" in told[0], said
    assert any("line 8" in s and "half its detection limit" in s for s in said), said


def test_a_grade_in_a_smaller_unit_beside_its_limit_labels_by_its_value(tmp_path: Path) -> None:
    """An occurrence table graded in ppm with a ``li_dl`` column and a ``unit`` column,
    S2 (line 4) written ``25000`` ppb (25 ppm) with its limit ``500`` ppb, threshold 20.
    Before: refused (different units row by row); now S2 is a positive, as 25 ppm is."""
    grades = ["30", "5", "25000", "30", "5", "5", "40", "5"]
    units = ["ppm", "ppm", "ppb", "ppm", "ppm", "ppm", "ppm", "ppm"]
    limits = ["0.5", "0.5", "500", "0.5", "0.5", "0.5", "0.5", "0.5"]
    rows = [f"S{i},{x:.5f},{y:.5f},{g},{d},{u}" for i, ((x, y), g, d, u)
            in enumerate(zip(PLACES, grades, limits, units, strict=False))]
    text = "site,lon,lat,li,li_dl,unit\n" + "\n".join(rows) + "\n"
    labels, said, error = _labels(tmp_path / "occ.csv", text, value_column="li", threshold=20)
    assert error is None, error
    assert labels.counts["positive_cells"] == 4, (labels.counts, said)


def test_control_a_unit_column_of_two_quantities_beside_a_limit_column_is_refused(
        tmp_path: Path) -> None:
    """Control: ``mg/L`` on most rows and ``mg/kg`` on one (a water's and a rock's) beside
    ``li_dl`` is still refused, naming the unit column: no size converts one to the
    other."""
    layers, _, error = _plan(tmp_path / "lab.csv", _lab({3: ("25", "0.5", "mg/kg")}))
    assert layers is None and isinstance(error, DataError), error
    assert "different units row by row" in str(error) and "'unit'" in str(error), error


# --- projected coordinates read as degrees ---------------------------------------------------


RD = [f"W{i},{155000 + 1000 * i},{463000 + 900 * i},{10 + 5 * i}" for i in range(10)]
"""Ten SYNTHETIC wells in RD New metres (Amersfoort), under columns named lon/lat."""


def test_metres_read_as_degrees_are_not_called_rounded_degrees(tmp_path: Path) -> None:
    """A Dutch well table in RD New (x 155000, y 463000) under ``lon``/``lat``, read in the
    default WGS 84. Before: refused as metres (right) with a warning that every point is
    "rounded to whole degrees ... known only to +-55.7 km" (wrong: they are no degrees);
    now the refusal alone."""
    layers, said, error = _plan(tmp_path / "rd.csv", "site,lon,lat,li\n" + "\n".join(RD) + "\n")
    assert layers is None and error is not None
    assert "look like metres" in str(error), error
    assert not any(ROUNDED in s for s in said), said


def test_metres_among_degrees_are_not_called_rounded_degrees(tmp_path: Path) -> None:
    """Seven of the ten wells in RD New metres, three in degrees (a table joined from two
    sources). Before: "7 of 10 point(s) have their longitude and latitude rounded to whole
    degrees"; now the metres are dropped as no place, without that warning."""
    rows = RD[:7] + WELLS[7:]
    text = "site,lon,lat,li\n" + "\n".join(rows) + "\n"
    layers, said, error = _plan(tmp_path / "rd.csv", text)
    assert not any(ROUNDED in s for s in said), (said, error)
    assert error is None and layers, error
    np.testing.assert_allclose(np.asarray(layers[0].z, dtype=float), [45.0, 50.0, 55.0])


def test_control_degrees_rounded_to_one_decimal_are_still_said(tmp_path: Path) -> None:
    """Control: the ten wells' degrees cut to 1 decimal are still said to be rounded."""
    rows = []
    for well in WELLS:
        name, x, y, v = well.split(",")
        rows.append(f"{name},{float(x):.1f},{float(y):.1f},{v}")
    _, said, _ = _plan(tmp_path / "w.csv", "site,lon,lat,li\n" + "\n".join(rows) + "\n")
    assert any(ROUNDED in s for s in said), said


# --- a summary row whose word says what it sums ----------------------------------------------


MEAN_ROW = "{word},5.230000,52.085000,32.5"
"""A spreadsheet's mean row under the ten wells (``=AVERAGE`` filled across lon, lat, li)."""


@pytest.mark.parametrize("word", ["Mean of 10 wells", "Average (n=10)", "Mean of all samples",
                                  "Total (10 wells)"],
                         ids=["of-n-wells", "n-equals", "of-all", "total-of-n"])
def test_a_summary_row_saying_what_it_sums_is_no_well(tmp_path: Path, word: str) -> None:
    """The ten wells with a mean row under them whose first cell says what it averages.
    Before: read as an eleventh well at the wells' mean place, its mean 32.5 kriged there,
    without a word (``Mean`` alone was left out); now left out, line 12 said as a summary
    row."""
    text = "site,lon,lat,li\n" + "\n".join(WELLS) + "\n" + MEAN_ROW.format(word=word) + "\n"
    layers, said, error = _plan(tmp_path / "w.csv", text)
    assert error is None and layers, error
    np.testing.assert_allclose(np.asarray(layers[0].z, dtype=float),
                               [10.0 + 5 * i for i in range(10)], rtol=1e-9)
    assert any("line 12 is a summary row" in s and word in s for s in said), said


def test_control_a_last_well_named_with_a_summary_word_stays_a_well(tmp_path: Path) -> None:
    """Control: a last well named ``Mean Creek`` (a name beside the word) stays a well."""
    text = "site,lon,lat,li\n" + "\n".join(WELLS) + "\n" + \
        MEAN_ROW.format(word="Mean Creek") + "\n"
    layers, said, error = _plan(tmp_path / "w.csv", text)
    assert error is None and layers, error
    assert len(layers[0].z) == 11 and not any("summary row" in s for s in said), said
