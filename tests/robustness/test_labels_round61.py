"""A GeoPackage, GeoParquet file, workbook, GeoJSON, KML or FlatGeobuf on a failing disk
or a network mount gone called "corrupt?", "a download or copy that did not finish" or
"save the sheet as CSV" in GDAL's, pyarrow's or openpyxl's words; a Shapefile whose
``.dbf`` or ``.cpg`` the disk failed read without its columns or its code page without a
word; a label's grade above the upper limit written with its unit (``> 1000 ppm``) read
as no grade.

Found by feeding the point reader (``prospect.io.points.read_points``) and the labels
reader (``prospect.models.labels.read_occurrences``) tables whose read the system fails
(2026-12-07), taking round 60's "found and left" (no real failing read of a non-empty
file could be made then: ``/proc/self/mem`` is 0 bytes long). Here a real one: a sysfs
attribute (``autosuspend_delay_ms`` of a device without runtime power management), 4 096
bytes long as ``stat`` says, whose ``read`` the kernel fails with ``EIO``, as a disk's bad
sector or a share whose server went away does (skipped where no such file is found).
Tables are small and SYNTHETIC (round 56's eight wells in the Netherlands).
"""

from __future__ import annotations

import errno
import glob
import os
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pytest

from prospect.errors import InputFileError
from prospect.io.points import read_points
from prospect.models.labels import grade_occurrences, read_occurrences

from .test_labels_round56 import GRADES, NL, NL_PLACES
from .test_vectors_round22 import _caught

_CANDIDATES = ("/sys/devices/software/power/autosuspend_delay_ms",
               "/sys/devices/platform/power/autosuspend_delay_ms",
               "/sys/devices/*/power/autosuspend_delay_ms",
               "/sys/devices/*/*/power/autosuspend_delay_ms")


def _eio_file() -> Path:
    """A real file of a non-zero size whose read fails with the kernel's ``EIO``."""
    for pattern in _CANDIDATES:
        for name in sorted(glob.glob(pattern))[:50]:
            try:
                if os.stat(name).st_size <= 0:
                    continue
                with open(name, "rb") as fh:
                    fh.read(64)
            except OSError as exc:
                if exc.errno == errno.EIO:
                    return Path(name)
    pytest.skip("no file whose read fails with EIO here")


def _failing(folder: Path, name: str) -> Path:
    """``folder/name`` made a link to :func:`_eio_file`: a table on a failing disk."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if path.exists() or path.is_symlink():
        path.unlink()
    path.symlink_to(_eio_file())
    return path


def _said(error: Exception | None) -> str:
    """The error's one line, as a user reads it."""
    return " ".join(str(error).split())


def _wells() -> gpd.GeoDataFrame:
    """The SYNTHETIC wells with their lithium grades, in WGS 84."""
    return gpd.GeoDataFrame({"site": [f"S{i}" for i in range(8)], "li": GRADES},
                            geometry=gpd.points_from_xy(*zip(*NL_PLACES, strict=True)),
                            crs="EPSG:4326")


def _read(path: Path, reader: str, value: str | None = "li") -> tuple[Any, list[str],
                                                                      Exception | None]:
    """The point reader's (column ``li``) or the labels reader's read of ``path``."""
    if reader == "points":
        return _caught(lambda: read_points(path, to_crs="EPSG:4326", columns=["li"]))
    return _caught(lambda: read_occurrences(path, NL, value_column=value))


def _assert_system_said(error: Exception | None, path: Path, what: str = "point table"
                        ) -> str:
    """The one line of a read the system failed: the file, the system's words, the fix."""
    assert isinstance(error, InputFileError), error
    said = _said(error)
    assert said.startswith(f"{path}: the {what} cannot be read: the system said "
                           "'Input/output error' (EIO) while reading it: the disk"), said
    assert "not a fault of the file" in said and "dmesg" in said, said
    for wrong in ("corrupt", "damaged", "did not finish", "save the sheet", "not recognized",
                  "no column", "Errno"):
        assert wrong not in said, said
    assert "\n" not in str(error), said
    return said


# --- a table a library reads, on a failing disk ----------------------------------------------


@pytest.mark.parametrize(("name", "reader"), [
    ("wells.gpkg", "points"), ("wells.gpkg", "labels"),
    ("wells.parquet", "points"), ("wells.parquet", "labels"),
    ("wells.xlsx", "points"), ("wells.xlsx", "labels"), ("wells.ods", "labels"),
    ("wells.geojson", "labels"), ("wells.kml", "points"), ("wells.fgb", "labels"),
])
def test_a_table_a_library_reads_on_a_failing_disk_says_what_the_system_said(
    tmp_path: Path, name: str, reader: str
) -> None:
    """A GeoPackage, GeoParquet file, workbook, GeoJSON, KML or FlatGeobuf whose read fails
    with ``EIO`` (a real failing read, see :func:`_eio_file`). Before: GDAL's "cannot read
    as a vector file (corrupt?): '...' not recognized as being in a supported file
    format", pyarrow's "cannot read as Parquet ([Errno 5] Error reading bytes from file
    ...): a download or copy that did not finish", or "cannot read the spreadsheet ...;
    save the sheet as CSV (UTF-8)", each blaming a sound file for the disk; now the
    system's words, its errno and the fix, as for a text table (round 60), and nothing
    written beside it."""
    path = _failing(tmp_path / "share", name)
    _, _, error = _read(path, reader)
    _assert_system_said(error, path)
    assert sorted(p.name for p in (tmp_path / "share").iterdir()) == [name]


# --- a Shapefile's part on a failing disk ---------------------------------------------------


def _shapefile(folder: Path, failing: str) -> Path:
    """SYNTHETIC wells as a Shapefile (with a ``.cpg``) in ``folder``, its part
    ``failing`` (``.dbf``, ``.prj``...) on a failing disk."""
    folder.mkdir(parents=True)
    _wells().to_file(folder / "wells.shp", encoding="UTF-8")
    if not (folder / "wells.cpg").exists():
        (folder / "wells.cpg").write_text("UTF-8")
    _failing(folder, f"wells{failing}")
    return folder / "wells.shp"


@pytest.mark.parametrize(("part", "reader"), [
    (".shp", "labels"), (".dbf", "points"), (".dbf", "labels"), (".shx", "labels"),
    (".prj", "points"), (".prj", "labels"), (".cpg", "points"), (".cpg", "labels"),
])
def test_a_shapefiles_part_on_a_failing_disk_is_named(
    tmp_path: Path, part: str, reader: str
) -> None:
    """SYNTHETIC wells as a Shapefile whose ``.shp``, ``.dbf``, ``.shx``, ``.prj`` or
    ``.cpg`` fails to read with ``EIO``. Before: the ``.shp`` was "cannot read as a vector
    file (corrupt?)"; GDAL passed over a ``.dbf`` it could not read
    (records without columns: "no column 'li'; columns are []", "value column 'li' not
    found; columns are []"), a ``.prj`` ("the vector file has no CRS ... crs: 'EPSG:4326'
    if its coordinates ... are longitude/latitude") and a ``.cpg`` (read in GDAL's default
    code page, exit 0 without a word), and a ``.shx`` was "has 499 shape(s) but its
    wells.dbf holds 8 record(s): the files are not of one Shapefile"; now the part is
    named with the system's words and "copy wells.shp with the files beside it"."""
    path = _shapefile(tmp_path / "share", part)
    _, _, error = _read(path, reader)
    if part == ".shp":  # (the table itself)
        said = _assert_system_said(error, path)
        assert "then copy the table to a sound disk" in said, said
        return
    said = _assert_system_said(error, path.with_suffix(part), f"Shapefile's {part}")
    assert "copy wells.shp with the files beside it" in said, said


def test_labels_of_a_shapefile_whose_dbf_fails_are_not_read_without_columns(
    tmp_path: Path,
) -> None:
    """SYNTHETIC: labels without a grade column (every record a positive) of a Shapefile
    whose ``.dbf`` fails to read with ``EIO``. Before: read as eight records without
    columns, exit 0 and no word (its commodity column, its site names and any check of
    them gone); now refused naming the ``.dbf``."""
    path = _shapefile(tmp_path / "share", ".dbf")
    occ, _, error = _read(path, "labels", value=None)
    assert occ is None, occ
    _assert_system_said(error, path.with_suffix(".dbf"), "Shapefile's .dbf")


def test_a_partitioned_geoparquet_with_a_part_on_a_failing_disk_names_the_part(
    tmp_path: Path,
) -> None:
    """SYNTHETIC: a partitioned GeoParquet dataset (a folder of two files) whose second
    file fails to read with ``EIO``. Before: "cannot read as Parquet ... a damaged file or
    a copy that did not finish"; now the part, the system's words and "copy the folder"."""
    folder = tmp_path / "wells.parquet"
    folder.mkdir()
    _wells().iloc[:4].to_parquet(folder / "part-0.parquet")
    part = _failing(folder, "part-1.parquet")
    for reader in ("points", "labels"):
        _, _, error = _read(folder, reader)
        said = _assert_system_said(error, part, "part of the dataset wells.parquet")
        assert "copy the folder wells.parquet" in said, said


# --- a grade above its limit written with its unit ------------------------------------------


def _graded(folder: Path, cells: list[str], header: str = "li",
            **options: Any) -> tuple[Any, list[str], Exception | None]:
    """The labels of the SYNTHETIC wells with grade cells ``cells`` (column ``header``)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "wells.csv"
    path.write_text(f"lon,lat,{header}\n" + "".join(
        f"{x},{y},{c}\n" for (x, y), c in zip(NL_PLACES, cells, strict=True)))
    return _caught(lambda: read_occurrences(path, NL, value_column=header, **options))


_PPM = ["12 ppm", "<0.5 ppm", "15 ppm", "20 ppm", "11 ppm", "13 ppm", "14 ppm", "16 ppm"]
"""SYNTHETIC grade cells with their unit, as an assay export writes them."""


@pytest.mark.parametrize(("cell", "grade"), [
    ("> 1000 ppm", 1000.0), (">1000ppm", 1000.0), ("≥ 1 %", 10000.0), ("> 20000 ppb", 20.0),
    ("&gt;1000 ppm", 1000.0),
])
def test_a_grade_above_its_limit_written_with_its_unit_is_read_as_its_limit(
    tmp_path: Path, cell: str, grade: float
) -> None:
    """SYNTHETIC: a lithium assay export whose cells carry their unit (``12 ppm``,
    ``<0.5 ppm``) and whose richest sample is written above the upper limit with it
    (``> 1000 ppm``, ``≥ 1 %``). Before: the limit without a unit (``>1000``) was read
    as the grade's lower bound, but with its unit the richest sample was missing ("not
    finite numbers ... read as missing"), never a positive; now read as its limit in the
    column's unit (``1 %`` as 10 000 ppm, ``20000 ppb`` as 20 ppm), a positive at a
    threshold at most the limit, and said as above a limit."""
    cells = list(_PPM)
    cells[3] = cell
    occ, said, error = _graded(tmp_path, cells)
    assert error is None, error
    assert occ.values[3] == grade and bool(occ.floor[3]), (occ.values, occ.floor)
    assert occ.values[[0, 2, 4]].tolist() == [12.0, 15.0, 11.0] and occ.limit[1] == 0.5
    assert occ.unit == "ppm", occ.unit
    assert any(w.endswith("above an upper limit of determination (line 5; e.g. "
                          f"{cell!r}): each is read as its limit, the least it is, so it is "
                          "a positive wherever the threshold (model.labels.threshold) is at "
                          "most the limit (and undecided, left out, where it is above: it "
                          "may lie either side); give the re-assayed grades to tell them "
                          "apart") for w in said), said
    assert not any("not finite numbers" in w for w in said), said
    positive, _ = grade_occurrences(occ, threshold=18.0)
    assert positive.tolist() == [False, False, False, True, False, False, False, False]


@pytest.mark.parametrize(("header", "options"), [
    ("li_ppm", {}), ("li", {"units": {"li": "ppm"}}),
])
def test_a_limit_with_the_unit_the_header_or_config_states_is_read(
    tmp_path: Path, header: str, options: dict[str, Any]
) -> None:
    """SYNTHETIC: plain grades under a header in ppm (``li_ppm``) or a source's ``units:
    {li: ppm}``, the richest written ``>1000 ppm``. Before: missing; now 1000, a lower
    bound."""
    cells = ["12", "<0.5", "15", ">1000 ppm", "11", "13", "14", "16"]
    occ, _, error = _graded(tmp_path, cells, header, **options)
    assert error is None, error
    assert occ.values[3] == 1000.0 and bool(occ.floor[3]), (occ.values, occ.floor)


# --- controls -------------------------------------------------------------------------------


def test_control_limits_without_a_readable_unit_read_as_before(tmp_path: Path) -> None:
    """SYNTHETIC: ``>1000`` among plain grades is its limit as before (a lower bound);
    ``>1000 x`` (no unit) and ``>1000 ppm`` in a column stating no unit stay missing."""
    base = ["12", "<0.5", "15", "?", "11", "13", "14", "16"]
    for cell, grade, floor in ((">1000", 1000.0, True), (">1000 x", None, False),
                               (">1000 ppm", None, False)):
        cells = [cell if c == "?" else c for c in base]
        occ, _, error = _graded(tmp_path / cell.replace(" ", "_"), cells)
        assert error is None, error
        assert (occ.values[3] == grade) if grade else np.isnan(occ.values[3]), occ.values
        assert bool(occ.floor[3]) is floor and occ.values[0] == 12.0, occ.floor
        assert np.isnan(occ.values[1]) and occ.limit[1] == 0.5, occ.limit


def test_control_sound_tables_read_as_before(tmp_path: Path) -> None:
    """SYNTHETIC: the wells as GeoPackage, GeoParquet and Shapefile read to the same
    grades and places as before (nothing asked of the system on a sound read)."""
    from pyproj import Transformer

    rd = np.array([Transformer.from_crs(4326, 28992, always_xy=True).transform(*p)
                   for p in NL_PLACES])
    wells = _wells()
    wells.to_file(tmp_path / "wells.gpkg")
    wells.to_parquet(tmp_path / "wells.parquet")
    wells.to_file(tmp_path / "wells.shp")
    for name in ("wells.gpkg", "wells.parquet", "wells.shp"):
        occ, _, error = _read(tmp_path / name, "labels")
        assert error is None, error
        assert occ.values.tolist() == [float(g) for g in GRADES], name
        assert np.allclose(np.column_stack([occ.x, occ.y]), rd, rtol=0, atol=1e-6), name
        table, _, error = _read(tmp_path / name, "points")
        assert error is None, error
        assert table.values["li"].tolist() == [float(g) for g in GRADES], name


@pytest.mark.parametrize("name", ["wells.gpkg", "wells.parquet"])
def test_control_a_damaged_file_is_still_said_damaged(tmp_path: Path, name: str) -> None:
    """SYNTHETIC: a GeoPackage or GeoParquet file cut short after its first 1 000 bytes
    (a copy that did not finish) reads whole from the disk: still the library's refusal
    (the file's fault), not the system's."""
    wells = _wells()
    whole = tmp_path / f"whole_{name}"
    wells.to_file(whole) if name.endswith(".gpkg") else wells.to_parquet(whole)
    path = tmp_path / name
    path.write_bytes(whole.read_bytes()[:1000])
    _, _, error = _read(path, "labels")
    assert isinstance(error, InputFileError), error
    said = _said(error)
    assert said.startswith(f"{path}: "), said
    assert "the system said" not in said and "dmesg" not in said, said
