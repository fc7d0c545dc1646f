"""Vietnamese Shapefiles that name no code page, and GeoPackage number columns holding
text (round 28).

Found by feeding ``plan_vector``, the outline reader, the point reader and the real
``prospect ingest`` geology maps written with geopandas/pyogrio and edited with GDAL's
``ogrinfo -sql`` into ``tmp_path`` (2026-12-04): a Shapefile in Windows-1258 without a
``.cpg`` (language driver 0, or 0x57, "the writer's Windows code page", as ArcGIS and
QGIS write on a Vietnamese Windows) was read as Latin-1 (``Ðá phiêìn sét`` in the code
table and the legend; a Vietnamese field name "no column"; a mask's ``names:`` matched
none), without a word; and a GeoPackage column declared INTEGER or REAL that holds text or
decimals (SQLite keeps a value of any type in any column) was read by GDAL as its type:
units ``Q1`` and ``Q2`` were one unit ``0``, ``2.5`` was unit ``2``, a grade ``<0.5``
was a grade of 0, exit 0. Every file here is small and SYNTHETIC.
"""

from __future__ import annotations

import json
import subprocess
import unicodedata
import warnings
import zipfile
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
import shapely

from prospect.config.sources import VectorSource
from prospect.grid import RegionGrid
from prospect.ingest.geology import plan_vector
from prospect.io.points import read_points
from prospect.outlines import read_outline

from .conftest import TINY_REGION, Sandbox

X0, Y0 = 500000.0, 1350000.0
CRS = "EPSG:32619"
GRID = RegionGrid(
    name="tiny", crs=CRS, resolution=10.0, bounds=(X0, Y0, X0 + 400, Y0 + 400), chunks=(20, 20)
)
""":data:`TINY_REGION` (40 x 40 cells of 10 m, chunks of 20 x 20)."""


def _strips(names: list[Any], column: str = "unit") -> gpd.GeoDataFrame:
    """SYNTHETIC units: one vertical strip of the grid per name, west to east."""
    width = 400.0 / len(names)
    squares = [
        shapely.box(X0 + i * width, Y0, X0 + (i + 1) * width, Y0 + 400) for i in range(len(names))
    ]
    return gpd.GeoDataFrame({column: names}, geometry=squares, crs=CRS)


def _planned(path: Path, **source: Any) -> tuple[dict[str, Any], list[str]]:
    """``plan_vector`` of a source on :data:`GRID`: each layer and its computed cells
    (every chunk), and every warning's text."""
    config = VectorSource(name="geology", path=str(path), **source)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        layers = plan_vector(config, GRID)
    out = {}
    for layer in layers:
        cells = np.full(GRID.shape, -99.0)
        for window in GRID.chunk_windows():
            cells[window.rows, window.cols] = layer.compute(GRID, window)
        out[layer.name] = (layer, cells)
    return out, [" ".join(str(w.message).split()) for w in caught]


def _strip_codes(layer: Any, cells: np.ndarray, n: int) -> list[str]:
    """The unit each of ``n`` strips got (the one code of its middle column, as a name)."""
    names = []
    for i in range(n):
        codes = np.unique(cells[:, int((i + 0.5) * GRID.shape[1] / n)])
        assert codes.size == 1, codes
        names.append(layer.codes[int(codes[0])])
    return names


# --- Windows-1258 Shapefiles that name no code page ----------------------------------------

NAMES = ["Đá vôi hệ tầng Bắc Sơn", "Granit phức hệ Phu Si Lung", "Đá phiến sét"]
"""SYNTHETIC Vietnamese unit names (limestone of the Bac Son formation, ...)."""


def _shapefile(
    folder: Path,
    names: list[str],
    encoding: str,
    *,
    cpg: str | None = None,
    ldid: int | None = None,
    column: str = "unit",
) -> Path:
    """A Shapefile of :func:`_strips` in ``encoding``, with ``cpg`` as its ``.cpg`` (none
    where ``None``) and ``ldid`` as its ``.dbf``'s language driver byte."""
    folder.mkdir()
    path = folder / "units.shp"
    _strips(names, column).to_file(path, encoding=encoding)
    (folder / "units.cpg").unlink(missing_ok=True)
    if cpg is not None:
        (folder / "units.cpg").write_text(cpg)
    if ldid is not None:
        dbf = bytearray((folder / "units.dbf").read_bytes())
        dbf[29] = ldid
        (folder / "units.dbf").write_bytes(bytes(dbf))
    return path


@pytest.mark.parametrize("ldid", [0x00, 0x57])
def test_a_1258_shapefile_without_cpg_is_read_as_vietnamese(tmp_path: Path, ldid: int) -> None:
    """Before: read as Latin-1, the code table held ``Ðá vôi hêò tâÌng Bãìc Sõn``, exit 0,
    no word. Now the units are named as written, each strip its own, and a warning says
    the text was read as Windows-1258 and how to say so (or otherwise) in a ``.cpg``."""
    path = _shapefile(tmp_path / "vn", NAMES, "cp1258", ldid=ldid)
    out, said = _planned(path, attribute="unit")
    layer, cells = out["geology"]
    assert layer.codes == tuple(sorted(NAMES)), layer.codes
    assert _strip_codes(layer, cells, 3) == NAMES
    found = [s for s in said if "Windows-1258" in s]
    assert found and "write 1258 in units.cpg" in found[0], said
    assert ("0x57" in found[0]) == (ldid == 0x57), found


@pytest.mark.parametrize("cpg", [None, "1258"])
def test_a_vietnamese_field_name_of_a_1258_shapefile_is_found(
    tmp_path: Path, cpg: str | None
) -> None:
    """``attribute: đơnvị`` (unit) of a 1258 ``.dbf``, without ``.cpg`` or with one of
    1258. Before: "no column 'đơnvị'" (without: the field was ``ðõnviò``, Latin-1; with:
    the name asked for was not written as 1258 writes ``ị``, a dot below after the
    ``i``); now read, contacts too."""
    path = _shapefile(tmp_path / "vn", NAMES, "cp1258", cpg=cpg, column="đơnvị")
    out, _ = _planned(path, attribute="đơnvị", distance_to_contacts=True)
    assert out["geology"][0].codes == tuple(sorted(NAMES))
    contact = out["geology_dist_contact"][1]
    # contacts at x 133.3 and 266.7 m: the cell centred at 135 m is 1.67 m from one
    assert float(contact[0, 13]) == pytest.approx(5 / 3, abs=1e-4)
    assert float(np.nanmax(contact)) == pytest.approx(128.333, abs=1e-3)


def test_a_mask_outline_in_1258_finds_its_names(tmp_path: Path) -> None:
    """A land outline Shapefile in 1258 without ``.cpg``, picked by ``names: [Côn Sơn]``.
    Before: "no feature named ['Côn Sơn']" (the name read was ``Côn Sõn``)."""
    folder = tmp_path / "land"
    folder.mkdir()
    path = folder / "islands.shp"
    islands = gpd.GeoDataFrame(
        {"name": ["Côn Sơn", "Phú Quốc"]},
        geometry=[shapely.box(106.55, 8.65, 106.7, 8.75), shapely.box(103.8, 10.0, 104.1, 10.4)],
        crs="EPSG:4326",
    )
    islands.to_file(path, encoding="cp1258")
    (folder / "islands.cpg").unlink(missing_ok=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        outline = read_outline(path, names=["Côn Sơn"])
    assert outline.bounds == pytest.approx((106.55, 8.65, 106.7, 8.75))
    assert any("Windows-1258" in str(w.message) for w in caught)


def test_a_mask_name_typed_in_another_unicode_form_is_found(tmp_path: Path) -> None:
    """``names: [Curaçao]`` (typed composed) against a GeoJSON written on a Mac, where the
    name is decomposed (``c`` and a cedilla). Before: "no feature named ['Curaçao'] ...
    did you mean 'Curaçao' for 'Curaçao'?", which no retyping fixes; now found."""
    path = tmp_path / "islands.geojson"
    gpd.GeoDataFrame(
        {"name": [unicodedata.normalize("NFD", "Curaçao"), "Aruba"]},
        geometry=[shapely.box(-69.2, 12.0, -68.7, 12.4), shapely.box(-70.1, 12.4, -69.8, 12.6)],
        crs="EPSG:4326",
    ).to_file(path)
    outline = read_outline(path, names=["Curaçao"])
    assert outline.bounds == pytest.approx((-69.2, 12.0, -68.7, 12.4))


@pytest.mark.parametrize("suffix", [".gpkg", ".shp", ".geojson"])
def test_a_unit_column_written_in_another_unicode_form_is_found(
    tmp_path: Path, suffix: str
) -> None:
    """``attribute: unité`` (composed, as typed in the config) of a file whose field is
    decomposed. Before: "has no column 'unité'; columns are ['unité'] (did you mean
    'unité'?)"; now read, in planning and every chunk."""
    path = tmp_path / f"units{suffix}"
    column = unicodedata.normalize("NFD", "unité")
    _strips(["a", "b"], column).to_file(path, encoding="utf-8" if suffix == ".shp" else None)
    out, _ = _planned(path, attribute="unité", distance_to_contacts=True)
    layer, cells = out["geology"]
    assert _strip_codes(layer, cells, 2) == ["a", "b"]
    assert float(np.nanmax(out["geology_dist_contact"][1])) == 195.0


def test_a_zipped_1258_shapefile_without_cpg_ingests_its_names(
    sandbox: Sandbox, cli, scheduler: str
) -> None:
    """The real ``prospect ingest`` of a zipped 1258 Shapefile without ``.cpg``: the cube's
    code table holds the Vietnamese names (before: Latin-1 mojibake, exit 0)."""
    import xarray as xr

    folder = sandbox.root / "vn"
    _shapefile(folder, NAMES, "cp1258", ldid=0x57)
    with zipfile.ZipFile(sandbox.root / "geology.zip", "w") as archive:
        for part in sorted(folder.iterdir()):
            archive.write(part, f"data/{part.name}")
    sandbox.write_job(
        region=dict(TINY_REGION),
        sources=[{"kind": "vector", "name": "geo", "path": "geology.zip", "attribute": "unit"}],
    )
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert result.code == 0, result.err[-3000:]
    table = json.loads(xr.open_zarr(sandbox.out / "cube.zarr")["geo"].attrs["categories"])
    assert sorted(table.values()) == sorted(NAMES), table
    assert sandbox.untouched()


@pytest.mark.parametrize(
    ("names", "encoding", "cpg"),
    [
        (["grès", "Bréda", "São Tomé"], "latin1", None),  # Western European: no tone mark
        (["Curaçao", "Müller", "così"], "latin1", None),  # letters Vietnamese has not
        (["Unit A", "Unit B", "Unit C"], "latin1", None),  # ASCII
        (NAMES, "cp1258", "1258"),  # said by its .cpg (round 27's decoding)
        (["Ðá", "Bãìc", "Sõn"], "latin1", "1252"),  # a .cpg of 1252 is read as it says
    ],
)
def test_shapefiles_of_other_text_read_as_before(
    tmp_path: Path, names: list[str], encoding: str, cpg: str | None
) -> None:
    """Controls: Latin-1 names, ASCII names, 1258 under its own ``.cpg`` and Latin-1 text
    under a ``.cpg`` of 1252 keep their names, without the Windows-1258 warning."""
    path = _shapefile(tmp_path / "units", names, encoding, cpg=cpg)
    out, said = _planned(path, attribute="unit")
    assert out["geology"][0].codes == tuple(sorted(names))
    assert not [s for s in said if "Windows-1258" in s], said


# --- GeoPackage number columns holding values of another type -------------------------------


def _sql(path: Path, *statements: str) -> None:
    """Run SQL on a GeoPackage with GDAL's ``ogrinfo`` (its triggers need GDAL's
    functions), as a user editing a table would."""
    for statement in statements:
        subprocess.run(
            ["ogrinfo", "-q", str(path), "-sql", statement], check=True, capture_output=True
        )


@pytest.mark.parametrize(
    ("values", "edits", "expected"),
    [
        ([1, 2, 3, 4], {3: "'Q1'", 4: "'Q2'"}, ["1", "2", "Q1", "Q2"]),  # text in INTEGER
        ([1, 2, 3, 4], {3: "2.5"}, ["1", "2", "2.5", "4"]),  # a decimal in INTEGER
        ([1.5, 2.5, 3.5, 4.5], {1: "'Qa'", 2: "'Qb'"}, ["Qa", "Qb", "3.5", "4.5"]),  # in REAL
    ],
)
def test_a_geopackage_number_column_holding_text_keeps_its_units(
    tmp_path: Path, values: list[Any], edits: dict[int, str], expected: list[str]
) -> None:
    """Before: GDAL read text in an INTEGER (REAL) column as 0 and 2.5 as 2: units ``Q1``
    and ``Q2`` were one unit ``0`` (``2.5`` merged with unit ``2``), exit 0, no word. Now
    each value is read as stored, in planning and in every chunk, and a warning names the
    column, its declared type and what GDAL would read."""
    path = tmp_path / "geology.gpkg"
    frame = _strips(["x"] * 4)
    frame["unit"] = values
    frame.to_file(path, layer="units")
    _sql(path, *(f"UPDATE units SET unit = {v} WHERE fid = {f}" for f, v in edits.items()))
    out, said = _planned(path, attribute="unit", distance_to_contacts=True)
    layer, cells = out["geology"]
    assert _strip_codes(layer, cells, 4) == expected
    found = [s for s in said if "stored otherwise" in s]
    assert found and "'unit' is declared" in found[0], said
    assert float(np.nanmax(out["geology_dist_contact"][1])) == 95.0  # (merged: 195)


def test_a_sqlite_number_column_holding_text_keeps_its_units(tmp_path: Path) -> None:
    """The same in a file of GDAL's SQLite driver. Before: ``Q1`` was read as 0 (units
    ``0``, ``1``, ``2``, ``4``: the strip of ``Q1`` named ``0``), exit 0, no word."""
    gpkg, path = tmp_path / "units.gpkg", tmp_path / "units.sqlite"
    frame = _strips(["x"] * 4)
    frame["unit"] = [1, 2, 3, 4]
    frame.to_file(gpkg, layer="units")
    subprocess.run(
        ["ogr2ogr", "-f", "SQLite", str(path), str(gpkg)], check=True, capture_output=True
    )
    _sql(path, "UPDATE units SET unit = 'Q1' WHERE fid = 3")
    out, said = _planned(path, attribute="unit")
    layer, cells = out["geology"]
    assert _strip_codes(layer, cells, 4) == ["1", "2", "Q1", "4"]
    assert [s for s in said if "stored otherwise" in s], said


def test_a_geopackage_grade_stored_as_text_is_no_zero(tmp_path: Path) -> None:
    """A point GeoPackage whose REAL grade column holds ``<0.5`` in one record. Before: the
    grade was 0.0 (a detection limit as a measured zero); now it is missing, as a text
    detection limit of a table is, and said so."""
    path = tmp_path / "samples.gpkg"
    gpd.GeoDataFrame(
        {"li": [12.0, 30.0, 45.0, 5.0]},
        geometry=gpd.points_from_xy([X0 + 50, X0 + 150, X0 + 250, X0 + 350], [Y0 + 50] * 4),
        crs=CRS,
    ).to_file(path, layer="samples")
    _sql(path, "UPDATE samples SET li = '<0.5' WHERE fid = 2")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = read_points(path, columns=["li"], to_crs=CRS)
    li = np.asarray(table.values["li"], dtype=float)
    assert li[[0, 2, 3]].tolist() == [12.0, 45.0, 5.0] and np.isnan(li[1]), li
    assert any("<0.5" in str(w.message) for w in caught)


def test_a_geopackage_of_text_codes_ingests_them(sandbox: Sandbox, cli, scheduler: str) -> None:
    """The real ``prospect ingest`` of a GeoPackage whose INTEGER unit column holds ``Q1``
    and ``Q2``: four units in the cube (before: three, ``Q1`` and ``Q2`` one code ``0``)."""
    import xarray as xr

    path = sandbox.root / "geology.gpkg"
    frame = _strips(["x"] * 4)
    frame["unit"] = [1, 2, 3, 4]
    frame.to_file(path, layer="units")
    _sql(
        path,
        "UPDATE units SET unit = 'Q1' WHERE fid = 3",
        "UPDATE units SET unit = 'Q2' WHERE fid = 4",
    )
    sandbox.write_job(
        region=dict(TINY_REGION),
        sources=[{"kind": "vector", "name": "geo", "path": "geology.gpkg", "attribute": "unit"}],
    )
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert result.code == 0, result.err[-3000:]
    var = xr.open_zarr(sandbox.out / "cube.zarr")["geo"]
    table = json.loads(var.attrs["categories"])
    assert sorted(table.values()) == ["1", "2", "Q1", "Q2"], table
    assert np.unique(np.asarray(var.values)).size == 4
    assert "stored otherwise" in " ".join((result.out + result.err).split())  # wrapped
    assert sandbox.untouched()


@pytest.mark.parametrize("edit", [None, "UPDATE units SET unit = 7 WHERE fid = 2"])
def test_geopackage_columns_of_their_own_type_say_nothing(tmp_path: Path, edit: str | None) -> None:
    """Controls: whole-number codes in an INTEGER column, and a number written into a TEXT
    column (SQLite stores it as text there), read as before without a warning."""
    path = tmp_path / "geology.gpkg"
    frame = _strips(["a", "b", "c", "d"])
    if edit is None:
        frame["unit"] = [4, 3, 2, 1]
    frame.to_file(path, layer="units")
    if edit is not None:
        _sql(path, edit)
    out, said = _planned(path, attribute="unit")
    layer, cells = out["geology"]
    expected = ["4", "3", "2", "1"] if edit is None else ["a", "7", "c", "d"]
    assert _strip_codes(layer, cells, 4) == expected
    assert not [s for s in said if "stored otherwise" in s], said
