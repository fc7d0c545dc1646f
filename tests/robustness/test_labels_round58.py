"""A point table named over the network (``/vsicurl/https://...``, ``https://...``,
``/vsis3/...``) read as a local file and called damaged; RD New's eastings and northings
exchanged read by the point reader without a word (the labels refused the same table);
Excel's ``sep=;`` line quoted by a CSV writer, padded by a spreadsheet (``sep=;;;``) or in
capitals, and blank lines above a table's header, refused or read with a false "title".

Found by feeding the point reader (``prospect.io.points.read_points``) and the labels
reader (``prospect.models.labels.read_occurrences``) what survey scientists and their
tools hand over (2026-12-07), taking round 57's "found and left". Every table is small
and SYNTHETIC: round 56's eight wells in the Netherlands.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pyproj import Transformer

from prospect.errors import InputFileError
from prospect.io.points import read_points
from prospect.models.labels import read_occurrences

from .test_labels_round56 import GRADES, NL, NL_PLACES
from .test_vectors_round22 import _caught

_TO_RD = Transformer.from_crs(4326, 28992, always_xy=True)
RD_PLACES = [_TO_RD.transform(*p) for p in NL_PLACES]
"""The SYNTHETIC wells in RD New metres."""


def _rd_csv(folder: Path, *, swapped: bool = False) -> Path:
    """The SYNTHETIC wells as ``wells.csv`` of RD New metres in ``x``/``y`` (each row's
    northing in ``x`` and easting in ``y`` when ``swapped``)."""
    path = folder / "wells.csv"
    rows = [(y, x) if swapped else (x, y) for x, y in RD_PLACES]
    path.write_text(
        "well,x,y,li\n"
        + "".join(
            f"W{i},{a:.2f},{b:.2f},{g}\n"
            for i, ((a, b), g) in enumerate(zip(rows, GRADES, strict=True))
        )
    )
    return path


def _rd(path: Path, to_crs: str = "EPSG:28992") -> tuple[Any, list[str], Exception | None]:
    """``read_points`` of ``path``'s RD New ``x``/``y`` (``crs: EPSG:28992`` stated)."""
    return _caught(
        lambda: read_points(
            path, x="x", y="y", crs="EPSG:28992", override_crs=True, columns=["li"], to_crs=to_crs
        )
    )


def _said(error: Exception | None) -> str:
    """The error's one line, as a user reads it."""
    return " ".join(str(error).split())


# --- a table named over the network ------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "fetch"),
    [
        ("/vsicurl/https://example.org/wells.csv", "curl -fLO https://example.org/wells.csv"),
        ("https://example.org/wells.csv", "curl -fLO https://example.org/wells.csv"),
        ("/vsis3/survey-bucket/wells.csv", "aws s3 cp s3://survey-bucket/wells.csv ."),
        ("s3://survey-bucket/wells.csv.gz", "aws s3 cp s3://survey-bucket/wells.csv.gz ."),
        ("/vsicurl/https://example.org/wells.xlsx", "curl -fLO https://example.org/wells.xlsx"),
        (
            "/vsizip/{/vsicurl/https://example.org/wells.zip}/wells.csv",
            "curl -fLO https://example.org/wells.zip",
        ),
        (
            "/vsizip//vsicurl/https://example.org/wells.zip/wells.csv",
            "curl -fLO https://example.org/wells.zip",
        ),
    ],
)
def test_a_table_named_over_the_network_is_refused_naming_how_to_fetch_it(
    name: str, fetch: str
) -> None:
    """SYNTHETIC names (no request is made): a text table, compressed table or spreadsheet
    named by a URL or GDAL's network names. Before: read as a local file, "cannot unpack
    the table (No such file or directory): the  file is damaged or cut short", or "point
    table not found" of ``https:/example.org/...`` (one slash); now refused saying remote
    tables are not read, with the command that downloads this one."""
    _, _, error = _caught(lambda: read_points(name, to_crs="EPSG:4326", columns=["li"]))
    assert isinstance(error, InputFileError), error
    said = _said(error)
    assert "is not read over the network" in said, said
    assert fetch in said, said
    assert "damaged" not in said and "not found" not in said, said
    assert "Traceback" not in said and "internal error" not in said, said


def test_the_labels_refuse_a_table_named_over_the_network_alike() -> None:
    """SYNTHETIC name: the labels reader of ``/vsicurl/https://...occurrences.csv``.
    Before: "cannot unpack the table ... damaged"; now the point reader's refusal."""
    name: Any = "/vsicurl/https://example.org/occurrences.csv"  # (as text: a Path folds '//')
    _, _, error = _caught(lambda: read_occurrences(name, NL, value_column="li"))
    assert isinstance(error, InputFileError), error
    said = _said(error)
    assert "is not read over the network" in said and "curl -fLO https://example.org/" in said
    assert "damaged" not in said, said


def test_control_a_local_table_is_read_as_before(tmp_path: Path) -> None:
    """SYNTHETIC control: the wells as a local ``wells.csv`` are read in RD New, also in a
    folder whose name holds a network file system's (``vsicurl_cache``)."""
    folder = tmp_path / "vsicurl_cache"
    folder.mkdir()
    table, _, error = _rd(_rd_csv(folder))
    assert error is None and table is not None, error
    assert np.allclose(table.x, [p[0] for p in RD_PLACES], atol=0.01)
    assert np.allclose(table.values["li"], GRADES)


# --- RD New's eastings and northings exchanged --------------------------------------------------


@pytest.mark.parametrize("to_crs", ["EPSG:28992", "EPSG:4326"])
def test_rd_new_points_with_x_and_y_exchanged_are_refused_by_the_point_reader(
    tmp_path: Path, to_crs: str
) -> None:
    """SYNTHETIC: the wells with each row's northing in ``x`` and easting in ``y``, the
    source stating ``crs: EPSG:28992``. Before: read without a word (x 445 775, y 135 277,
    in Germany read to WGS 84), while the labels refused the same table; now refused as
    the labels refuse it (none lies in the area RD New is made for, all would swapped),
    naming the fix."""
    path = _rd_csv(tmp_path, swapped=True)
    _, _, error = _rd(path, to_crs)
    said = _said(error)
    assert error is not None and "look swapped" in said, said
    assert "'Amersfoort / RD New'" in said and "set x: 'y' and y: 'x'" in said, said
    _, _, labels_error = _caught(
        lambda: read_occurrences(
            path, NL, x="x", y="y", crs="EPSG:28992", override_crs=True, value_column="li"
        )
    )
    assert "look swapped" in _said(labels_error), labels_error


def test_control_rd_new_points_the_right_way_read_to_wgs84(tmp_path: Path) -> None:
    """SYNTHETIC control: the wells the right way round, read to WGS 84, say nothing and
    lie at their places."""
    table, warned, error = _rd(_rd_csv(tmp_path), "EPSG:4326")
    assert error is None and table is not None, error
    assert not warned, warned
    assert np.allclose(table.x, [p[0] for p in NL_PLACES], atol=1e-6)
    assert np.allclose(table.y, [p[1] for p in NL_PLACES], atol=1e-6)


# --- Excel's sep= line as tools write it, and blank lines above the header ---------------------

_ROWS = "lon;lat;li\n5,1;52,0;1.234,5\n5,15;52,03;12,5\n5,2;52,06;x\n"
"""SYNTHETIC wells in a European export: semicolons, decimal commas, a thousands dot, and
an unreadable cell on the header's third row below."""


@pytest.mark.parametrize(
    ("top", "bad_line"),
    [
        ('"sep=;"\n', 5),
        ("sep=;;;\n", 5),
        ('"sep=;";;\n', 5),
        ("\ufeffSEP=;\n", 5),
        ("\n", 5),
        ("\n \n", 6),
        ("\nsep=;\n", 6),
        ("sep=;\n\n", 6),
    ],
)
def test_a_sep_line_as_tools_write_it_or_blank_lines_above_the_header_are_read(
    tmp_path: Path, top: str, bad_line: int
) -> None:
    """SYNTHETIC: the table below Excel's ``sep=;`` line quoted by a CSV writer (it holds
    the delimiter), padded to the table's width by a spreadsheet saving it again, in
    capitals after a byte-order mark, or below blank lines. Before: "line 2 has 3 values
    but the header names 1 columns", "... names 0 columns", or read with a warning that
    "'sep=' ... are read as a title"; now read with its lines numbered as in the file."""
    path = tmp_path / "wells.csv"
    path.write_text(top + _ROWS, encoding="utf-8")
    table, warned, error = _caught(lambda: read_points(path, to_crs="EPSG:4326", columns=["li"]))
    assert error is None and table is not None, error
    assert np.allclose(table.values["li"][:2], [1234.5, 12.5]), table.values
    assert np.isnan(table.values["li"][2])
    assert len(warned) == 1 and "title" not in warned[0], warned
    assert f"(line {bad_line}; e.g. 'x')" in warned[0], warned


def test_control_a_plain_sep_line_reads_as_before(tmp_path: Path) -> None:
    """SYNTHETIC control: Excel's own ``sep=;`` line above the table."""
    path = tmp_path / "wells.csv"
    path.write_text("sep=;\n" + _ROWS, encoding="utf-8")
    table, warned, error = _caught(lambda: read_points(path, to_crs="EPSG:4326", columns=["li"]))
    assert error is None and table is not None, error
    assert np.allclose(table.values["li"][:2], [1234.5, 12.5])
    assert len(warned) == 1 and "(line 5; e.g. 'x')" in warned[0], warned
