"""Excel's ``sep=`` line typed with spaces around its ``=`` (``sep = ;``) or above a
``.tsv`` read as the header, a ``sep=`` line naming a delimiter the table does not use
read as a one-column header, and a point table this user may not read (its mode, or a
folder above it that may not be entered) called a damaged, corrupt or half-copied file.

Found by feeding the point reader (``prospect.io.points.read_points``, ``read_table``)
and the labels reader (``prospect.models.labels.read_occurrences``) what survey
scientists and their tools hand over (2026-12-07), taking round 58's "found and left".
Every table is small and SYNTHETIC: round 56's eight wells in the Netherlands, and round
58's European export of three wells.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pytest

from prospect.errors import InputFileError
from prospect.io.points import read_points

from .test_labels_round56 import GRADES, NL_PLACES
from .test_vectors_round22 import _caught

_ROWS = "lon;lat;li\n5,1;52,0;1.234,5\n5,15;52,03;12,5\n5,2;52,06;x\n"
"""SYNTHETIC wells in a European export (round 58's): semicolons, decimal commas, a
thousands dot, and an unreadable cell on the header's third row below."""


def _said(error: Exception | None) -> str:
    """The error's one line, as a user reads it."""
    return " ".join(str(error).split())


def _read(path: Path) -> tuple[Any, list[str], Exception | None]:
    """``read_points`` of ``path`` to WGS 84, its ``li`` column."""
    return _caught(lambda: read_points(path, to_crs="EPSG:4326", columns=["li"]))


# --- Excel's sep= line typed with spaces, and above a .tsv ------------------------------------


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("wells.csv", "sep = ;\n" + _ROWS),
        ("wells.csv", "sep =;\n" + _ROWS),
        ("wells.csv", "SEP= ;\n" + _ROWS),
        ("wells.csv", '"sep = ;"\n' + _ROWS),
        ("wells.tsv", "sep=\t\n" + _ROWS.replace(";", "\t")),
        ("wells.tsv", "sep=;\n" + _ROWS),
    ],
)
def test_a_sep_line_with_spaces_or_above_a_tsv_names_the_delimiter(
    tmp_path: Path, name: str, text: str
) -> None:
    """SYNTHETIC: the European export below a ``sep=`` line typed with spaces around its
    ``=`` (as a hand-edited file, or a script's ``"sep = ;"``), or a ``.tsv`` (whose
    delimiter the name fixes to a tab) below ``sep=<tab>`` or below ``sep=;`` over
    semicolon rows. Before: "line 2 has 3 values but the header names 2 columns" (the
    line read as the header); now read with the delimiter it names, its lines numbered
    as in the file."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    table, warned, error = _read(path)
    assert error is None and table is not None, error
    assert np.allclose(table.values["li"][:2], [1234.5, 12.5]), table.values
    assert np.isnan(table.values["li"][2])
    assert np.allclose(table.x, [5.1, 5.15, 5.2]), table.x
    assert len(warned) == 1 and "(line 5; e.g. 'x')" in warned[0], warned


@pytest.mark.parametrize(
    ("name", "text", "other"),
    [
        ("wells.csv", "sep=;\n" + _ROWS.replace(",", ".").replace(";", ","), "','"),
        ("wells.tsv", "sep=;\n" + _ROWS.replace(";", "\t"), "'\\t'"),
    ],
)
def test_a_sep_line_naming_a_delimiter_the_table_does_not_use_is_refused(
    tmp_path: Path, name: str, text: str, other: str
) -> None:
    """SYNTHETIC: ``sep=;`` above a table separated by commas (the line left by hand
    above a re-export), and above a ``.tsv`` of tabs. Before: the whole header read as
    one column ("no column(s) ['lon', 'lat']; columns are ['lon,lat,li']"), or the line
    read as the header; now refused naming the line, both delimiters and the fix."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    _, _, error = _read(path)
    assert isinstance(error, InputFileError), error
    said = _said(error)
    assert f"{path}: line 1 (sep=;) names ';' as the delimiter" in said, said
    assert f"separated by {other}" in said and "correct line 1 to sep=" in said, said
    assert "Traceback" not in said, said


def test_control_a_tsv_without_a_sep_line_reads_as_before(tmp_path: Path) -> None:
    """SYNTHETIC control: the European export as a ``.tsv`` without a ``sep=`` line."""
    path = tmp_path / "wells.tsv"
    path.write_text(_ROWS.replace(";", "\t"), encoding="utf-8")
    table, warned, error = _read(path)
    assert error is None and table is not None, error
    assert np.allclose(table.values["li"][:2], [1234.5, 12.5])
    assert len(warned) == 1 and "(line 4; e.g. 'x')" in warned[0], warned


# --- a table this user may not read -----------------------------------------------------------

_READER = textwrap.dedent(
    """
    import json, sys, warnings
    from prospect.io.points import read_points, read_table
    from prospect.models.labels import read_occurrences
    from tests.robustness.test_labels_round56 import NL
    warnings.simplefilter("ignore")
    said = {}
    for reader, path in json.loads(sys.argv[1]):
        try:
            if reader == "points":
                read_points(path, to_crs="EPSG:4326", columns=["li"])
            elif reader == "rd":
                read_points(path, x="x", y="y", to_crs="EPSG:4326", columns=["li"])
            elif reader == "table":
                read_table(path)
            else:
                read_occurrences(path, NL, value_column="li")
            said[path + "|" + reader] = "read"
        except Exception as exc:
            said[path + "|" + reader] = type(exc).__name__ + ": " + " ".join(str(exc).split())
    print(json.dumps(said))
    """
)


def _as_denied(asks: list[tuple[str, str]]) -> dict[str, str]:
    """Each ``(reader, path)``'s outcome, read in a child process for which file modes
    hold: this user, or root without the capabilities that pass them by (``capsh``)."""
    command = [sys.executable, "-c", _READER, json.dumps(asks)]
    if os.geteuid() == 0:
        if shutil.which("capsh") is None:
            pytest.skip("running as root, and capsh is absent to make file modes hold")
        command = ["capsh", "--drop=cap_dac_override,cap_dac_read_search", "--",
                   "-c", " ".join(map(_sh, command))]
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (os.environ.get("PYTHONPATH"), str(root)) if p)}
    done = subprocess.run(command, capture_output=True, text=True, timeout=240, env=env,
                          cwd=root)
    assert done.returncode == 0, done.stderr[-2000:]
    said: dict[str, str] = json.loads(done.stdout.strip().splitlines()[-1])
    return said


def _sh(word: str) -> str:
    """``word`` quoted for ``sh -c``."""
    import shlex

    return shlex.quote(word)


def _wells(folder: Path) -> dict[str, Path]:
    """The SYNTHETIC wells as a CSV, a gzipped CSV, a GeoPackage and a GeoParquet file."""
    folder.mkdir(parents=True, exist_ok=True)
    text = "lon,lat,li\n" + "".join(
        f"{x},{y},{g}\n" for (x, y), g in zip(NL_PLACES, GRADES, strict=True))
    paths = {"csv": folder / "wells.csv", "gz": folder / "wells.csv.gz",
             "gpkg": folder / "wells.gpkg", "parquet": folder / "wells.parquet"}
    paths["csv"].write_text(text)
    paths["gz"].write_bytes(gzip.compress(text.encode()))
    frame = gpd.GeoDataFrame({"li": GRADES}, crs="EPSG:4326", geometry=gpd.points_from_xy(
        [p[0] for p in NL_PLACES], [p[1] for p in NL_PLACES]))
    frame.to_file(paths["gpkg"], driver="GPKG")
    frame.to_parquet(paths["parquet"])
    return paths


@pytest.fixture(scope="module")
def denied(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The outcomes of reading the wells with modes that forbid it, and read back."""
    root = tmp_path_factory.mktemp("denied")
    locked = _wells(root / "locked")
    for path in locked.values():
        path.chmod(0o000)
    shut = _wells(root / "shut")
    (root / "shut").chmod(0o600)  # (readable names, but no entering it)
    fine = _wells(root / "fine")
    beside = _beside(root / "beside")
    for part in ("wells.prj", "wells_shp.dbf"):
        (root / "beside" / part).chmod(0o000)
    asks = [("points", str(p)) for p in locked.values()] + [
        ("table", str(locked["csv"])), ("labels", str(locked["csv"])),
        ("points", str(shut["csv"])), ("labels", str(shut["gpkg"])),
        ("rd", str(beside["csv"])), ("points", str(beside["shp"])),
        ("labels", str(beside["shp"]))] + [("points", str(p)) for p in fine.values()]
    try:
        said = _as_denied(asks)
    finally:
        (root / "shut").chmod(0o755)
        for path in [*locked.values(), *(root / "beside").iterdir()]:
            path.chmod(0o644)
    return {"said": said, "locked": locked, "shut": shut, "fine": fine, "root": root,
            "beside": beside}


def _beside(folder: Path) -> dict[str, Path]:
    """The SYNTHETIC wells as ``wells.csv`` of RD New metres beside ``wells.prj`` (as
    ArcGIS keeps a table's CRS), and as the Shapefile ``wells_shp.shp``."""
    from pyproj import CRS, Transformer

    folder.mkdir(parents=True, exist_ok=True)
    to_rd = Transformer.from_crs(4326, 28992, always_xy=True)
    (folder / "wells.csv").write_text("x,y,li\n" + "".join(
        "{:.2f},{:.2f},{}\n".format(*to_rd.transform(*p), g)
        for p, g in zip(NL_PLACES, GRADES, strict=True)))
    (folder / "wells.prj").write_text(CRS.from_epsg(28992).to_wkt("WKT1_ESRI"))
    gpd.GeoDataFrame({"li": GRADES}, crs="EPSG:4326", geometry=gpd.points_from_xy(
        [p[0] for p in NL_PLACES], [p[1] for p in NL_PLACES])).to_file(
        folder / "wells_shp.shp")
    return {"csv": folder / "wells.csv", "shp": folder / "wells_shp.shp"}


@pytest.mark.parametrize(("kind", "reader"), [
    ("csv", "points"), ("gz", "points"), ("gpkg", "points"), ("parquet", "points"),
    ("csv", "table"), ("csv", "labels"),
])
def test_a_table_whose_mode_forbids_reading_is_named_so(
    denied: dict[str, Any], kind: str, reader: str
) -> None:
    """SYNTHETIC wells, mode 000 (another user's file, or one copied with a mode kept).
    Before: "cannot unpack the table (Permission denied): the  file is damaged or cut
    short" (a CSV, two spaces), "... the gzip file is damaged", "cannot read as a vector
    file (corrupt?)" (a GeoPackage), "a download or copy that did not finish, or no
    Parquet file" (Parquet); now one line saying permission is denied, the file's mode
    and owner and the user the job runs as, and the fix (``chmod a+r <path>``)."""
    path = denied["locked"][kind]
    said = denied["said"][f"{path}|{reader}"]
    what = "occurrence file" if reader == "labels" else "point table"
    assert said.startswith(f"InputFileError: {path}: the {what} cannot be read: "
                           "permission denied (mode ----------, owner "), said
    assert f"chmod a+r {path}" in said, said
    for blame in ("damaged", "corrupt", "did not finish", "cut short", "  "):
        assert blame not in said, said


@pytest.mark.parametrize(("kind", "reader"), [("csv", "points"), ("gpkg", "labels")])
def test_a_table_in_a_folder_that_may_not_be_entered_names_the_folder(
    denied: dict[str, Any], kind: str, reader: str
) -> None:
    """SYNTHETIC wells in a folder of mode 600 (its names listed, but no entering it).
    Before: Python's own "PermissionError: [Errno 13] Permission denied" (a traceback: the
    look for the file, ``Path.exists``, raised it); now one line naming the folder, its
    mode and owner, and ``chmod a+x``."""
    path = denied["shut"][kind]
    said = denied["said"][f"{path}|{reader}"]
    folder = denied["root"] / "shut"
    what = "occurrence file" if reader == "labels" else "point table"
    assert said.startswith(f"InputFileError: {path}: the {what} cannot be reached: this "
                           f"user may not enter the folder {folder} (mode drw-------"), said
    assert f"chmod a+x {folder}" in said, said


@pytest.mark.parametrize(("kind", "reader", "part"), [
    ("csv", "rd", "wells.prj"), ("shp", "points", "wells_shp.dbf"),
    ("shp", "labels", "wells_shp.dbf")])
def test_a_file_beside_the_table_this_user_may_not_read_is_named(
    denied: dict[str, Any], kind: str, reader: str, part: str
) -> None:
    """SYNTHETIC wells: RD New metres in ``wells.csv`` whose ``wells.prj`` (the CRS ArcGIS
    keeps beside a table) is mode 000, and a Shapefile whose ``.dbf`` is. Before: the
    ``.prj`` was passed over without a word, the table read in WGS 84 and refused as "no
    row's coordinates x/y are valid in WGS 84 ... set 'crs:'"; the Shapefile was read
    without its columns, "no column 'li'; columns are []"; now the file that may not be
    read is named, with its mode and ``chmod a+r``."""
    path = denied["beside"][kind]
    said = denied["said"][f"{path}|{reader}"]
    blocked = path.parent / part
    assert said.startswith(f"InputFileError: {blocked}: the "), said
    assert "cannot be read: permission denied (mode ----------" in said, said
    assert f"chmod a+r {blocked}" in said and f"copy {path.name} with the files" in said, said
    assert "no column" not in said and "valid in WGS 84" not in said, said


@pytest.mark.parametrize("kind", ["csv", "gz", "gpkg", "parquet"])
def test_control_tables_this_user_may_read_are_read(denied: dict[str, Any], kind: str) -> None:
    """SYNTHETIC control: the same tables with their modes letting the user read them."""
    path = denied["fine"][kind]
    assert denied["said"][f"{path}|points"] == "read"


def test_control_a_folder_named_like_a_table_keeps_its_message(tmp_path: Path) -> None:
    """SYNTHETIC control: a folder ``wells.csv`` is named a folder, as before."""
    folder = tmp_path / "wells.csv"
    folder.mkdir()
    _, _, error = _read(folder)
    assert isinstance(error, InputFileError), error
    assert _said(error) == (f"{folder}: a folder, not a point table; give the path of the "
                            "file inside it in the config")


# --- comparison signs written as character references (&lt;5, &gt;1000) ----------------------

_PLAIN = ["<5", "12", "<=5", "20", "<5", "3", ">100", "7"]
"""SYNTHETIC grades of the eight wells: three below a detection limit, one above an upper
limit."""


def _occurrences(folder: Path, cells: list[str]) -> tuple[Any, list[str]]:
    """The labels read from the wells with ``cells`` as their ``li`` grades."""
    from prospect.models.labels import read_occurrences

    from .test_labels_round56 import NL

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "occurrences.csv"
    path.write_text("lon,lat,li\n" + "".join(
        f"{x},{y},{c}\n" for (x, y), c in zip(NL_PLACES, cells, strict=True)))
    occ, warned, error = _caught(lambda: read_occurrences(path, NL, value_column="li"))
    assert error is None and occ is not None, error
    return occ, warned


@pytest.mark.parametrize(
    "cells",
    [
        ["<5", "12", "<=5", "20", "<5", "3", "&gt;100", "7"],
        ["<5", "12", "<=5", "20", "<5", "3", "&#62;100", "7"],
        ["&lt;5", "12", "&le;5", "20", "&#60;5", "3", "&amp;gt;100", "7"],
        ["&LT;5", "12", "&lt;=5", "20", "&#x3C;5", "3", "&GT; 100", "7"],
    ],
)
def test_a_grade_whose_sign_is_a_character_reference_is_read_as_the_sign(
    tmp_path: Path, cells: list[str]
) -> None:
    """SYNTHETIC labels whose comparison signs a web page or an XML export wrote as
    character references (``&gt;100``, ``&#62;100``, ``&#60;5``, ``&le;5``, escaped twice
    ``&amp;gt;100``). Before: ``&gt;100``, the richest sample, was missing ("write numbers
    only (units belong in the header)"), never a positive, and ``&#60;5``/``&le;5`` had
    no limit; now each is read as its sign is: the same values, limits and lower bounds
    as the table written with ``<`` and ``>``."""
    plain, _ = _occurrences(tmp_path / "plain", _PLAIN)
    occ, warned = _occurrences(tmp_path / "escaped", cells)
    assert np.array_equal(occ.values, plain.values, equal_nan=True), occ.values
    assert np.array_equal(occ.limit, plain.limit, equal_nan=True), occ.limit
    assert np.array_equal(occ.floor, plain.floor), occ.floor
    assert occ.values[6] == 100.0 and bool(occ.floor[6]), (occ.values, occ.floor)
    assert not any("write numbers only" in w for w in warned), warned


def test_a_point_tables_escaped_signs_are_said_as_limits(tmp_path: Path) -> None:
    """SYNTHETIC: the wells' ``li`` with ``&lt;5`` and ``&gt;100`` read by the point reader
    (missing, as ``<5`` and ``>100`` are). Before: said as "the rest: write numbers only
    (units belong in the header)"; now counted as detection limits and a value above an
    upper limit, as the plain signs are."""
    path = tmp_path / "wells.csv"
    path.write_text("lon,lat,li\n" + "".join(
        f"{x},{y},{c}\n" for (x, y), c in zip(
            NL_PLACES, ["&lt;5", "12", "&lt;5", "20", "&#60;5", "3", "&gt;100", "7"],
            strict=True)))
    table, warned, error = _read(path)
    assert error is None and table is not None, error
    assert np.isnan(table.values["li"][[0, 2, 4, 6]]).all(), table.values
    assert len(warned) == 1, warned
    assert "1 are above an upper limit ('&gt;100')" in warned[0], warned
    assert "3 are detection limits ('&lt;5')" in warned[0], warned
    assert "write numbers only" not in warned[0], warned


def test_control_plain_signs_read_as_before(tmp_path: Path) -> None:
    """SYNTHETIC control: the labels with ``<5``, ``<=5`` and ``>100`` as written."""
    occ, _ = _occurrences(tmp_path, _PLAIN)
    assert np.array_equal(occ.values, [np.nan, 12, np.nan, 20, np.nan, 3, 100, 7],
                          equal_nan=True), occ.values
    assert occ.limit[0] == 5.0 and occ.limit[4] == 5.0, occ.limit
    assert occ.limit[2] == np.nextafter(5.0, np.inf), occ.limit
    assert occ.floor.tolist() == [False] * 6 + [True, False], occ.floor


def test_control_a_readable_prj_and_dbf_are_read_as_before(denied: dict[str, Any]) -> None:
    """SYNTHETIC control: the same ``wells.csv`` with its ``wells.prj``, and the Shapefile,
    their modes letting the user read them: the wells at their places."""
    for path, kw in ((denied["beside"]["csv"], {"x": "x", "y": "y"}),
                     (denied["beside"]["shp"], {})):
        table, _, error = _caught(
            lambda p=path, k=kw: read_points(p, to_crs="EPSG:4326", columns=["li"], **k))
        assert error is None and table is not None, error
        assert np.allclose(table.x, [p[0] for p in NL_PLACES], atol=1e-6), table.x
        assert np.allclose(table.values["li"], GRADES)
