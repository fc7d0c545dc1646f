"""A point table on a failing disk or a network mount gone called damaged or cut short, a
grade column named by mistake as a year or date column read as grades without a word,
and dates written with dots, hyphens or a time of day said as "write numbers only".

Found by feeding the point reader (``prospect.io.points.read_points``, ``read_table``)
and the labels reader (``prospect.models.labels.read_occurrences``) what survey
scientists, their tools and their machines hand over (2026-12-07), taking round 59's
"found and left". Tables are small and SYNTHETIC (round 56's eight wells in the
Netherlands), but for the USGS lithium database's ``Loc_Pt.csv`` of ``../shared/data``.
"""

from __future__ import annotations

import errno
import gzip
import hashlib
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from prospect.errors import DataError, InputFileError
from prospect.grid import RegionGrid
from prospect.io.points import read_points, read_table
from prospect.models.labels import read_occurrences

from .test_labels_round56 import GRADES, NL, NL_PLACES
from .test_vectors_round22 import _caught


def _said(error: Exception | None) -> str:
    """The error's one line, as a user reads it."""
    return " ".join(str(error).split())


def _wells(folder: Path, column: str, cells: list[Any], name: str = "wells.csv") -> Path:
    """The SYNTHETIC wells with their lithium grades and one more column of ``cells``."""
    path = folder / name
    path.write_text(f"lon,lat,li,{column}\n" + "".join(
        f"{x},{y},{g},{c}\n" for (x, y), g, c in zip(NL_PLACES, GRADES, cells, strict=True)))
    return path


# --- a read the system fails (a failing disk, a network mount gone) ----------------------------


def _failing(folder: Path, name: str) -> Path:
    """A table named ``name`` whose read fails with the kernel's ``EIO``: a link to this
    process's ``/proc/self/mem``, whose first page is never mapped (a real failing read,
    as a disk's bad sector or a share whose server went away gives one)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.symlink_to("/proc/self/mem")
    try:
        with open(path, "rb") as fh:
            fh.read(16)
    except OSError as exc:
        if exc.errno == errno.EIO:
            return path
    pytest.skip("/proc/self/mem gives no EIO here")


@pytest.mark.parametrize(("name", "reader"), [
    ("wells.csv", "points"), ("wells.csv.gz", "points"), ("wells.txt", "table"),
    ("wells.csv", "labels"),
])
def test_a_table_whose_read_the_system_fails_says_what_the_system_said(
    tmp_path: Path, name: str, reader: str
) -> None:
    """A table whose read fails with ``EIO`` (a real failing read, see :func:`_failing`).
    Before: "cannot unpack the table (Input/output error): the  file is damaged or cut
    short (a download that did not finish?); download or copy it again" (of a ``.csv``,
    which is not packed, and of a ``.csv.gz``), blaming a sound file for the disk; now
    the system's words, its errno and the fix, and nothing written beside it."""
    path = _failing(tmp_path / "share", name)
    calls = {"points": lambda: read_points(path, to_crs="EPSG:4326", columns=["li"]),
             "table": lambda: read_table(path),
             "labels": lambda: read_occurrences(path, NL, value_column="li")}
    _, _, error = _caught(calls[reader])
    assert isinstance(error, InputFileError), error
    said = _said(error)
    assert said.startswith(f"{path}: the point table cannot be read: the system said "
                           "'Input/output error' (EIO) while reading it"), said
    assert "not a fault of the file" in said and "dmesg" in said, said
    assert "damaged" not in said and "unpack" not in said and "\n" not in str(error), said
    assert sorted(p.name for p in (tmp_path / "share").iterdir()) == [name]


def test_a_prj_whose_read_the_system_fails_is_named(tmp_path: Path) -> None:
    """SYNTHETIC: the wells in RD New metres as ``wells.csv`` beside a ``wells.prj`` (as
    ArcGIS keeps a table's CRS) whose read fails with ``EIO`` (:func:`_failing`). Before:
    the ``.prj`` passed over without a word, the metres read as WGS 84 degrees and
    refused as "no row's coordinates ... are valid in WGS 84"; now the ``.prj`` is named
    with the system's words and "copy wells.csv with the files beside it"."""
    from pyproj import Transformer

    folder = tmp_path / "share"
    prj = _failing(folder, "wells.prj")
    to_rd = Transformer.from_crs(4326, 28992, always_xy=True)
    path = folder / "wells.csv"
    path.write_text("x,y,li\n" + "".join(
        "{:.2f},{:.2f},{}\n".format(*to_rd.transform(*p), g)
        for p, g in zip(NL_PLACES, GRADES, strict=True)))
    _, _, error = _caught(
        lambda: read_points(path, x="x", y="y", to_crs="EPSG:4326", columns=["li"]))
    assert isinstance(error, InputFileError), error
    said = _said(error)
    assert said.startswith(f"{prj}: the table's CRS file (.prj) cannot be read: the system "
                           "said 'Input/output error' (EIO)"), said
    assert "copy wells.csv with the files beside it" in said, said


@pytest.mark.parametrize(("code", "words"), [
    (errno.ESTALE, "(ESTALE) while reading it: the network file system (NFS) lost its "
                   "handle on the file"),
    (errno.ENOTCONN, "(ENOTCONN) while reading it: the file system holding it is no longer "
                     "connected"),
    (errno.EHOSTDOWN, "(EHOSTDOWN) while reading it: the server of the network share"),
], ids=["ESTALE", "ENOTCONN", "EHOSTDOWN"])
def test_a_network_mount_gone_is_said_as_such(tmp_path: Path, code: int, words: str) -> None:
    """What a read of a table on a network mount that went away raises (``ESTALE`` of
    NFS, ``ENOTCONN`` of a FUSE mount whose process died, ``EHOSTDOWN``), told by the
    reader's one wording (``points.system_read_failed``). Before: the text-table reader
    said every such error as "the file is damaged or cut short" (no such function)."""
    from prospect.io import points

    said = points.system_read_failed(tmp_path / "wells.csv", OSError(code, os.strerror(code)))
    assert said.startswith(f"{tmp_path / 'wells.csv'}: the point table cannot be read: "
                           f"the system said '{os.strerror(code)}'"), said
    assert words in said and "damaged" not in said, said


def test_control_a_truncated_or_false_gzip_is_still_said_damaged(tmp_path: Path) -> None:
    """SYNTHETIC control: a ``.csv.gz`` cut short, and one that is no gzip at all, are
    damaged files, said as before."""
    text = "lon,lat,li\n" + "".join(
        f"{x},{y},{g}\n" for (x, y), g in zip(NL_PLACES, GRADES, strict=True))
    cut = tmp_path / "cut.csv.gz"
    cut.write_bytes(gzip.compress(text.encode())[:40])
    false = tmp_path / "false.csv.gz"
    false.write_bytes(text.encode())
    for path, kind in ((cut, "gzip"), (false, "gzip")):
        _, _, error = _caught(lambda p=path: read_points(p, to_crs="EPSG:4326", columns=["li"]))
        assert isinstance(error, InputFileError), error
        said = _said(error)
        assert f"{path}: cannot unpack the table" in said, said
        assert f"the {kind} file is damaged or cut short" in said, said


# --- a grade column named as a year or date column ---------------------------------------------


@pytest.mark.parametrize(("column", "cells", "kind"), [
    ("year", list(range(1990, 1998)), "years: 8 record(s) from 1990 to 1997"),
    ("Loc_Date", [2018, 2019, 2012, "", 2018, 2021, 2016, 2010],
     "years: 7 record(s) from 2010 to 2021"),
    ("Jahr", list(range(1990, 1998)), "years: 8 record(s) from 1990 to 1997"),
    ("SpudDate", [19900301 + 100 * i for i in range(8)],
     "dates written as numbers (year, month, day): 8 record(s) from 19900301 to 19901001"),
], ids=["year", "Loc_Date", "Jahr", "SpudDate"])
def test_a_grade_column_named_as_years_or_dates_is_refused(
    tmp_path: Path, column: str, cells: list[Any], kind: str
) -> None:
    """SYNTHETIC: the wells with a column of the year each was sampled (``year``, the
    USGS database's ``Loc_Date``, German ``Jahr``) or the day drilled as one number
    (CalGEM's ``SpudDate`` as ``19900301``), named as the grade column by mistake.
    Before: read as grades (1990 to 1997, or twenty million) without a word, every record
    a positive and the latest the richest; now refused naming the column, what it holds
    and the table's columns of numbers."""
    path = _wells(tmp_path, column, cells)
    _, _, error = _caught(lambda: read_occurrences(path, NL, value_column=column))
    assert isinstance(error, DataError), error
    said = _said(error)
    assert said.startswith(f"{path}: the grade column {column!r} (model.labels.value_column) "
                           f"holds {kind}, not grades"), said
    assert "name the column of grades in model.labels.value_column (columns of numbers " \
        "here: ['lon', 'lat', 'li'])" in said, said


def test_control_grades_in_the_range_of_years_are_read_as_grades(tmp_path: Path) -> None:
    """SYNTHETIC control: a brine's lithium of 1990 to 1997 mg/L in a column named
    ``li_mg_l`` (a grade, whatever its range), and the wells' ``li`` beside a ``year``
    column, read as before."""
    path = _wells(tmp_path, "li_mg_l", list(range(1990, 1998)))
    occ, _, error = _caught(lambda: read_occurrences(path, NL, value_column="li_mg_l"))
    assert error is None and occ is not None, error
    assert np.array_equal(occ.values, np.arange(1990, 1998, dtype=float)), occ.values
    path = _wells(tmp_path, "year", list(range(1990, 1998)))
    occ, _, error = _caught(lambda: read_occurrences(path, NL, value_column="li"))
    assert error is None and occ is not None, error
    assert np.array_equal(occ.values, np.asarray(GRADES, float)), occ.values


@pytest.mark.realdata
def test_usgs_loc_date_named_as_the_grade_is_refused(shared_data: Path) -> None:
    """The USGS lithium database's ``Loc_Pt.csv`` (real: 2 of its columns are dates,
    ``Loc_Date`` the year each location was recorded) with ``value_column: Loc_Date``.
    Before: every site a grade of 1980 to 2021 without a word; now refused."""
    path = shared_data / "usgs_lithium_deposits_us" / "USGS_Lithium_US_CSV" / "Loc_Pt.csv"
    us = RegionGrid(name="conus", crs="EPSG:5070", resolution=10_000,
                    bounds=(-2_400_000, 200_000, 2_300_000, 3_200_000))
    _, _, error = _caught(lambda: read_occurrences(
        path, us, x="Long_WGS84", y="Lat_WGS84", crs="EPSG:4326", value_column="Loc_Date"))
    assert isinstance(error, DataError), error
    said = _said(error)
    assert said.startswith(f"{path}: the grade column 'Loc_Date' (model.labels.value_column) "
                           "holds years: "), said


# --- dates written in the other forms ----------------------------------------------------------

_DATES = ["1.3.2021", "12-05-1998", "2021-03-01T10:00:00Z", "5-Dec", "2021-12-05",
          "12/5/2021", "3.1.21", "2021-03-01 10:00:00.5+01:00"]
"""SYNTHETIC sampling dates in the forms survey tables hold: German and Dutch dots,
hyphens, ISO 8601 with a time and its zone (a GIS or a logger's export), a spreadsheet's
``5-Dec``, ISO, US slashes, dots with a two-digit year."""


def test_a_grade_column_of_dates_in_any_form_is_said_as_dates(tmp_path: Path) -> None:
    """SYNTHETIC: a grade column of dates in eight forms, read by the labels reader and
    the point reader. Before: 4 of 8 "look like dates" and "the rest: write numbers
    only"; now all 8, with the fix of a column of dates (name the column meant)."""
    path = _wells(tmp_path, "grade", _DATES)
    _, warned, error = _caught(lambda: read_occurrences(path, NL, value_column="grade"))
    assert error is None, error
    said = [w for w in warned if "value(s) in column 'grade'" in w]
    assert len(said) == 1 and "8 look like dates ('1.3.2021')" in said[0], warned
    assert "the rest" not in said[0] and "name the column of numbers meant" in said[0], said


@pytest.mark.parametrize("cells", [
    ["12", "1.3.2021", "15", "12-05-1998", "20", "2021-03-01T10:00:00Z", "13", "14"],
])
def test_a_point_column_with_some_dates_says_each_is_a_date(
    tmp_path: Path, cells: list[str]
) -> None:
    """SYNTHETIC: a point table's value column holding five grades and three dates in
    the forms spreadsheets did not make (``1.3.2021``, ``12-05-1998``, an ISO time).
    Before: "write numbers only (units belong in the header)"; now "3 look like dates"."""
    path = _wells(tmp_path, "grade", cells)
    table, warned, error = _caught(
        lambda: read_points(path, to_crs="EPSG:4326", columns=["grade"]))
    assert error is None and table is not None, error
    assert np.array_equal(table.values["grade"], [12, np.nan, 15, np.nan, 20, np.nan, 13, 14],
                          equal_nan=True), table.values
    said = [w for w in warned if "column 'grade'" in w]
    assert len(said) == 1 and "3 look like dates ('1.3.2021')" in said[0], warned
    assert "write numbers only" not in said[0], said


def test_a_point_column_of_only_such_dates_is_refused_as_dates(tmp_path: Path) -> None:
    """SYNTHETIC: a point table's value column of dates with dots and hyphens only.
    Before: "holds no numbers" with no word of dates; now "these look like dates"."""
    path = _wells(tmp_path, "sampled", ["1.3.2021", "12-05-1998", "2.3.2021", "13-05-1998",
                                        "3.3.2021", "14-05-1998", "4.3.2021", "15-05-1998"])
    _, _, error = _caught(lambda: read_points(path, to_crs="EPSG:4326", columns=["sampled"]))
    assert isinstance(error, DataError), error
    assert "these look like dates ('1.3.2021')" in _said(error), _said(error)


@pytest.mark.parametrize(("cells", "words"), [
    (["38-12-00", "38-12-30", "38-13-00", "38-13-30", "38-14-00", "38-14-30", "38-15-00",
      "38-15-30"], "degrees, minutes and seconds joined by hyphens"),
    (["1.234,5", "2.345,5", "3.456,5", "1.5", "2.5", "3.5", "4.5", "5.5"], None),
])
def test_control_hyphen_degrees_and_numbers_are_not_dates(
    tmp_path: Path, cells: list[str], words: str | None
) -> None:
    """SYNTHETIC control: degrees, minutes and seconds joined by hyphens (``38-12-00``:
    two digits last, never a date) keep their own words, and numbers stay numbers."""
    path = _wells(tmp_path, "v", cells)
    _, warned, error = _caught(lambda: read_points(path, to_crs="EPSG:4326", columns=["v"]))
    said = " ".join([_said(error), *warned])
    assert "look like dates" not in said, said
    if words:
        assert words in said, said


@pytest.mark.realdata
def test_control_real_tables_read_as_before(shared_data: Path) -> None:
    """Real control: the USGS ``Loc_Pt.csv`` read by the point reader with its year
    column ``Loc_Date`` as a value column (a point layer may carry years), and as labels
    without a grade column, hash as before."""
    path = shared_data / "usgs_lithium_deposits_us" / "USGS_Lithium_US_CSV" / "Loc_Pt.csv"
    table, _, error = _caught(lambda: read_points(
        path, x="Long_WGS84", y="Lat_WGS84", crs="EPSG:4326", to_crs="EPSG:4326",
        columns=["Loc_Date"]))
    assert error is None and table is not None, error
    us = RegionGrid(name="conus", crs="EPSG:5070", resolution=10_000,
                    bounds=(-2_400_000, 200_000, 2_300_000, 3_200_000))
    occ, _, error = _caught(lambda: read_occurrences(
        path, us, x="Long_WGS84", y="Lat_WGS84", crs="EPSG:4326"))
    assert error is None and occ is not None, error
    digest = hashlib.sha256(b"".join(np.ascontiguousarray(a, float).tobytes() for a in (
        table.x, table.y, table.values["Loc_Date"], occ.x, occ.y))).hexdigest()
    assert digest == _LOC_PT, digest


_LOC_PT = "809d32aebf3f4beb61342a58c7113465dfef52ab5dc6cb6266bafca854a5469d"
"""The hash of the reads above on the code before round 60."""
