"""Geology maps and fault layers as surveys keep them: overlapping units, class codes and
the code pages of Vietnamese Shapefiles (round 27).

Found by feeding ``plan_vector`` and the real ``prospect ingest`` geology maps written
with geopandas, pyogrio and pyarrow into ``tmp_path`` (2026-12-04): in a GeoPackage, a
cell where two units overlap took the unit of whichever feature the R-tree put last, not
of the feature later in the file as the overlap warning says; a GeoPackage's faults layer
of its own CRS was read in the config's ``crs:`` (every distance 650 or 1 440 km) without
a word; unit codes past 2**53 with one null crashed a worker (``KeyError``) or merged;
a GeoParquet's null unit was a unit named ``<NA>``; codes written ``01``, ``1`` and
``1.0`` were three units without a word; a GeoParquet folder of whole numbers in one part
and decimals in another was "a damaged file"; and GDAL read a ``.cpg`` of ``1258`` or
``TCVN`` (Vietnamese) losing the last character of every text, so ``Unit A`` and
``Unit B`` were one unit ``Unit ``. Every file here is small and SYNTHETIC.
"""

from __future__ import annotations

import json
import warnings
import zipfile
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from rasterio.features import rasterize
from shapely.geometry import LineString

from prospect.config.sources import VectorSource
from prospect.errors import InputFileError
from prospect.grid import RegionGrid
from prospect.ingest.geology import plan_vector

from .conftest import TINY_REGION, Sandbox

X0, Y0 = 500000.0, 1350000.0
CRS = "EPSG:32619"
GRID = RegionGrid(name="tiny", crs=CRS, resolution=10.0,
                  bounds=(X0, Y0, X0 + 400, Y0 + 400), chunks=(20, 20))
""":data:`TINY_REGION` (40 x 40 cells of 10 m, chunks of 20 x 20)."""


def _strips(names: list[Any], **columns: Any) -> gpd.GeoDataFrame:
    """SYNTHETIC units: one vertical strip of the grid per name, west to east."""
    width = 400.0 / len(names)
    squares = [shapely.box(X0 + i * width, Y0, X0 + (i + 1) * width, Y0 + 400)
               for i in range(len(names))]
    return gpd.GeoDataFrame({"unit": names, **columns}, geometry=squares, crs=CRS)


def _overlapping(n: int = 300) -> gpd.GeoDataFrame:
    """SYNTHETIC squares of 7 units strewn over the grid, overlapping one another."""
    rng = np.random.default_rng(1)
    squares, units = [], []
    for i in range(n):
        x, y, r = rng.uniform(X0, X0 + 400), rng.uniform(Y0, Y0 + 400), rng.uniform(20, 120)
        squares.append(shapely.box(x - r, y - r, x + r, y + r))
        units.append(f"u{i % 7}")
    return gpd.GeoDataFrame({"unit": units}, geometry=squares, crs=CRS)


def _in_file_order(path: Path) -> np.ndarray:
    """The codes a cell gets when the feature later in the file wins (the whole layer as
    GDAL reads it, in order)."""
    whole = pyogrio.read_dataframe(path)
    lookup = {u: i for i, u in enumerate(sorted(set(whole["unit"])))}
    return rasterize([(g, lookup[u]) for g, u in zip(whole.geometry, whole["unit"],
                                                     strict=True)],
                     out_shape=GRID.shape, transform=GRID.transform, fill=-1, dtype="int16")


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


def _codes(path: Path, **source: Any) -> tuple[tuple[str, ...], np.ndarray, list[str]]:
    out, said = _planned(path, attribute="unit", **source)
    layer, cells = out["geology"]
    return layer.codes, cells, said


# --- overlapping units: the feature later in the file, in every format --------------------

@pytest.mark.parametrize("form", ["gpkg", "fgb-indexed", "shp-qix", "geojson"])
def test_overlapping_units_take_the_unit_of_the_feature_later_in_the_file(
        tmp_path: Path, form: str) -> None:
    """Before (GeoPackage): a chunk's read came in the R-tree's order, so 868 of the 1 600
    cells took the unit of another feature than the one later in the file, which the
    overlap warning says wins. FlatGeobuf, an indexed Shapefile and GeoJSON are controls
    (their reads keep the file's order)."""
    suffix, options = {"gpkg": (".gpkg", {}), "fgb-indexed": (".fgb", {}),
                       "shp-qix": (".shp", {"SPATIAL_INDEX": "YES"}),
                       "geojson": (".geojson", {})}[form]
    path = tmp_path / f"units{suffix}"
    _overlapping().to_file(path, layer_options=options or None)
    _, cells, said = _codes(path)
    assert (cells == _in_file_order(path)).all(), int((cells != _in_file_order(path)).sum())
    assert any("later in the file" in s for s in said), said


def test_a_geopackage_of_overlapping_units_ingests_in_file_order(sandbox: Sandbox, cli,
                                                                 scheduler: str) -> None:
    """The real ``prospect ingest`` of the GeoPackage: its cube's codes are those of the
    feature later in the file (before: 868 cells of another unit, exit 0)."""
    import xarray as xr

    path = sandbox.root / "geology.gpkg"
    _overlapping().to_file(path)
    sandbox.write_job(region=dict(TINY_REGION), sources=[
        {"kind": "vector", "name": "geo", "path": "geology.gpkg", "attribute": "unit"}])
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert result.code == 0, result.err[-3000:]
    cube = np.asarray(xr.open_zarr(sandbox.out / "cube.zarr")["geo"].values)
    assert (cube == _in_file_order(path)).all(), int((cube != _in_file_order(path)).sum())
    assert sandbox.untouched()


# --- a faults layer of its own CRS under the config's crs: -------------------------------

@pytest.mark.parametrize("own", ["EPSG:4326", "EPSG:32620"])
def test_a_faults_layer_of_its_own_crs_replaced_by_the_configs_is_said(tmp_path: Path,
                                                                       own: str) -> None:
    """A GeoPackage of units in UTM 19N and faults in lon/lat (or UTM 20N), with ``crs:
    EPSG:32619`` restating the units' CRS. Before: the faults were read in UTM 19N too,
    every distance to a fault 1 440 km (650 km), exit 0, without a word. Now a warning
    names the faults layer, both CRSs and the fix (the config's crs still wins)."""
    path = tmp_path / "geology.gpkg"
    _strips(["a", "b"]).to_file(path, layer="units")
    fault = LineString([(X0 + 100, Y0), (X0 + 100, Y0 + 400)])
    gpd.GeoDataFrame({"id": [1]}, geometry=[fault], crs=CRS).to_crs(own).to_file(
        path, layer="faults")
    out, said = _planned(path, layer="units", faults_layer="faults", crs=CRS)
    assert float(out["geology_dist_fault"][1].min()) > 100_000  # (the config's crs is used)
    found = [s for s in said if "(layer 'faults')" in s and "replaces the CRS" in s]
    assert found and own.split(":")[1] in found[0] and "remove 'crs:'" in found[0], said


def test_a_faults_layer_in_the_units_crs_says_nothing(tmp_path: Path) -> None:
    """Control: faults in the units' CRS, with or without ``crs:`` restating it, are
    measured as drawn and nothing is said."""
    path = tmp_path / "geology.gpkg"
    _strips(["a", "b"]).to_file(path, layer="units")
    fault = LineString([(X0 + 100, Y0), (X0 + 100, Y0 + 400)])
    gpd.GeoDataFrame({"id": [1]}, geometry=[fault], crs=CRS).to_file(path, layer="faults")
    for crs in (None, CRS):
        out, said = _planned(path, layer="units", faults_layer="faults", crs=crs)
        assert float(out["geology_dist_fault"][1][0, 9]) == 5.0
        assert not [s for s in said if "replaces the CRS" in s], said


# --- unit codes: whole numbers past 2**53, nulls of nullable columns, numbers two ways ------

BIG = [9007199254740993, 9007199254740995]
"""Two codes past 2**53 that float64 rounds to 9007199254740992 and 9007199254740996."""


def _big_codes(path: Path) -> Path:
    """:data:`BIG` in two strips and a null code in a third feature outside the grid."""
    units = _strips([0, 0])
    units["unit"] = pd.array(BIG, dtype="Int64")
    extra = gpd.GeoDataFrame({"unit": pd.array([None], dtype="Int64")},
                             geometry=[shapely.box(X0 + 500, Y0, X0 + 600, Y0 + 100)], crs=CRS)
    both = pd.concat([units, extra], ignore_index=True)
    if path.suffix == ".parquet":  # as GDAL, DuckDB or Sedona write one: no pandas types
        import pyarrow.parquet as pq

        both.to_parquet(path)
        table = pq.read_table(path)
        pq.write_table(table.replace_schema_metadata(
            {k: v for k, v in table.schema.metadata.items() if k != b"pandas"}), path)
    else:
        both.to_file(path)
    return path


@pytest.mark.parametrize("suffix", [".gpkg", ".shp", ".geojson", ".fgb", ".parquet"])
def test_unit_codes_past_2_53_with_a_null_keep_their_numbers(tmp_path: Path,
                                                             suffix: str) -> None:
    """Before: the whole layer (with its null) was read as floats, which round the codes,
    and a chunk (without the null) as integers: ``KeyError: '9007199254740993'`` in every
    chunk (a worker's ``internal error``); where both had a null, two units one code."""
    path = _big_codes(tmp_path / f"units{suffix}")
    codes, cells, _ = _codes(path)
    assert codes == ("", *map(str, BIG)), codes
    assert (cells[:, :20] == 1).all() and (cells[:, 20:] == 2).all()


def test_a_null_unit_of_a_geoparquet_is_no_name(tmp_path: Path) -> None:
    """A GeoParquet written by geopandas from a nullable column (``Int64``, ``string``):
    pyarrow gives its nulls as ``pd.NA``. Before: a unit named ``'<NA>'`` with cells of
    its own, and no word that a feature had no unit."""
    units = _strips(["a", "b"])
    units["unit"] = pd.array(["a", None], dtype="string")
    path = tmp_path / "units.parquet"
    units.to_parquet(path)
    codes, _, said = _codes(path)
    assert codes == ("", "a"), codes
    assert any("have no value in 'unit'" in s for s in said), said


@pytest.mark.parametrize("written", [[1, "01"], ["1", "1.0"], ["007", "7", "7.00"]])
def test_one_code_written_as_numbers_two_ways_is_warned_of(tmp_path: Path,
                                                           written: list[Any]) -> None:
    """A map joined from a table of text codes (``01``) and one of number codes (``1``), or
    a spreadsheet's ``1.0``. Before: each spelling a unit of its own code, without a word.
    Now the twin warning names them (each keeps its code, as for ``Granite``/``granite``)."""
    path = tmp_path / "units.geojson"
    _strips(written).to_file(path)  # (GDAL makes a text field of 1 and "01")
    codes, _, said = _codes(path)
    assert len(codes) == len(written), codes
    found = [s for s in said if "how a number is written" in s]
    assert found and all(repr(str(w)) in found[0] for w in written), said


def test_one_name_typed_with_and_without_accents_is_warned_of(tmp_path: Path) -> None:
    """``Bắc Sơn`` and ``Bac Son`` (Vietnamese typed where no Unicode keyboard was at
    hand), ``grès`` and ``gres``. Before: two units each, without a word."""
    path = tmp_path / "units.gpkg"
    _strips(["Đá vôi Bắc Sơn", "Da voi Bac Son", "grès", "gres"]).to_file(path)
    codes, _, said = _codes(path)
    assert len(codes) == 4, codes
    found = [s for s in said if "differ only in letter case, accents" in s]
    assert found and "2 set(s)" in found[0], said


def test_different_numbers_and_names_are_no_twins(tmp_path: Path) -> None:
    """Control: codes 1, 2, 10 and -1, names holding numbers, and Vietnamese names that
    differ in more than their accents are different units, and nothing is said."""
    path = tmp_path / "units.gpkg"
    _strips(["1", "2", "10", "-1", "Q1", "Q01", *NAMES]).to_file(path)
    codes, _, said = _codes(path)
    assert len(codes) == 9
    assert not [s for s in said if "differ only" in s], said


# --- contacts around a feature without a unit name ---------------------------------------

@pytest.mark.parametrize("nameless", [None, float("nan"), "  "], ids=["null", "nan", "spaces"])
def test_contacts_are_drawn_around_a_feature_without_a_unit_name(tmp_path: Path,
                                                                nameless: Any) -> None:
    """Units ``a | (no name) | b``. Before: a null-named feature was dropped from the
    contacts, so ``a`` and ``b`` met nowhere and every distance to a contact was no data,
    exit 0, while the code table made the feature a unit of its own (''). Now it is that
    unit for the contacts too. A name of only spaces (the same no name in the code
    table) was a unit there already: the control ``spaces``."""
    names = [1.0, nameless, 2.0] if isinstance(nameless, float) else ["a", nameless, "b"]
    path = tmp_path / "units.gpkg"
    _strips(names).to_file(path)
    out, _ = _planned(path, attribute="unit", distance_to_contacts=True)
    assert out["geology"][0].codes[0] == ""
    contacts = out["geology_dist_contact"][1]
    assert np.isfinite(contacts).all()
    assert float(contacts[0, 13]) == pytest.approx(1.6666666, abs=1e-4)  # x=133.3 m


def test_contacts_of_named_units_stay_as_they_were(tmp_path: Path) -> None:
    """Control: a map of named units only: its contacts (strip edges at 100, 200, 300 m)."""
    path = tmp_path / "units.gpkg"
    _strips(["a", "b", "a", "c"]).to_file(path)
    out, _ = _planned(path, attribute="unit", distance_to_contacts=True)
    x = np.asarray(GRID.x, dtype=np.float64)
    expected = np.min([np.abs(x - (X0 + edge)) for edge in (100, 200, 300)], axis=0)
    np.testing.assert_array_equal(out["geology_dist_contact"][1][0], expected)


# --- a GeoParquet folder whose parts hold a column of another kind --------------------------

def _parts(folder: Path, first: list[Any], second: list[Any]) -> Path:
    """Two parts of one layer: strips of ``first`` (their column's own type), then of
    ``second``."""
    folder.mkdir()
    strips = _strips([*first, *second])
    for i, (rows, names) in enumerate([(slice(0, len(first)), first),
                                       (slice(len(first), None), second)]):
        part = gpd.GeoDataFrame({"unit": names}, geometry=strips.geometry.iloc[rows].values,
                                crs=CRS)
        part.to_parquet(folder / f"part-{i}.parquet")
    return folder


def test_parts_of_whole_numbers_and_decimals_read_as_one_layer(tmp_path: Path) -> None:
    """Codes 1, 2 in one part and 2.5 in another. Before: "cannot read the Parquet data
    (Float value 2.500000 was truncated converting to int64): a damaged file or a copy cut
    short" (pyarrow cast every part to the first's type). Now decimals, as both promote."""
    codes, cells, _ = _codes(_parts(tmp_path / "units", [1, 2], [2.5]))
    assert codes == ("1", "2", "2.5"), codes
    assert set(np.unique(cells)) == {0, 1, 2}


def test_parts_of_text_and_numbers_are_refused_naming_the_column(tmp_path: Path) -> None:
    """Codes 1, 2 as numbers in one part and ``"01"``, ``granite`` as text in another.
    Before: "a damaged file or a copy cut short" (or ``01`` cast to 1 without a word,
    where every text was a number). Now refused naming the column, both parts and types."""
    with pytest.raises(InputFileError) as caught:
        _codes(_parts(tmp_path / "units", [1, 2], ["01", "granite"]))
    text = str(caught.value)
    assert "column 'unit'" in text and "part-0.parquet" in text and "part-1.parquet" in text
    assert "damaged" not in text


# --- Vietnamese Shapefiles: .cpg of 1258 or TCVN, UTF-8 under another .cpg ----------------

NAMES = ["Đá vôi hệ tầng Bắc Sơn", "Granit phức hệ Phu Si Lung", "Đá phiến sét"]
"""SYNTHETIC Vietnamese unit names (limestone of the Bac Son formation, ...)."""


def _shapefile(folder: Path, names: list[str], encoding: str, cpg: str | None) -> Path:
    folder.mkdir()
    path = folder / "units.shp"
    _strips(names).to_file(path, encoding=encoding)
    (folder / "units.cpg").unlink(missing_ok=True)
    if cpg is not None:
        (folder / "units.cpg").write_text(cpg)
    return path


@pytest.mark.parametrize("cpg", ["1258", "ANSI 1258", "CP1258"])
def test_a_shapefile_in_windows_1258_reads_every_character(tmp_path: Path, cpg: str) -> None:
    """Before: GDAL's recoding of 1258 lost each text's last character: ``Bắc Sơ``, the
    field ``unit`` read ``uni`` ("no column 'unit' (did you mean 'uni'?)")."""
    path = _shapefile(tmp_path / "vn", NAMES, "cp1258", cpg)
    codes, _, said = _codes(path)
    assert codes == tuple(sorted(NAMES)), codes
    assert not [s for s in said if "code page" in s], said


def test_a_zipped_1258_shapefile_ingests_its_names_whole(sandbox: Sandbox, cli,
                                                         scheduler: str) -> None:
    """The real ``prospect ingest`` of a zipped Shapefile in Windows-1258: the cube's code
    table holds the names whole (before: ``Đá phiến sé``... in the cube and the legend;
    the zip's ``.cpg`` is read as a plain one's)."""
    import xarray as xr

    folder = sandbox.root / "vn"
    _shapefile(folder, NAMES, "cp1258", "1258")
    with zipfile.ZipFile(sandbox.root / "geology.zip", "w") as archive:
        for part in sorted(folder.iterdir()):
            archive.write(part, f"data/{part.name}")
    sandbox.write_job(region=dict(TINY_REGION), sources=[
        {"kind": "vector", "name": "geo", "path": "geology.zip", "attribute": "unit"}])
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert result.code == 0, result.err[-3000:]
    table = json.loads(xr.open_zarr(sandbox.out / "cube.zarr")["geo"].attrs["categories"])
    assert sorted(table.values()) == sorted(NAMES), table


@pytest.mark.parametrize("cpg", ["1258", "TCVN"])
def test_units_that_differ_in_their_last_letter_stay_apart(tmp_path: Path, cpg: str) -> None:
    """ASCII names under a ``.cpg`` of 1258 or TCVN 5712. Before: ``Unit A`` and
    ``Unit B`` were both read ``Unit ``: one unit, one code over both strips, exit 0."""
    path = _shapefile(tmp_path / "vn", ["Unit A", "Unit B"], "ascii", cpg)
    codes, cells, _ = _codes(path)
    assert codes == ("Unit A", "Unit B"), codes
    assert (cells[:, :20] == 0).all() and (cells[:, 20:] == 1).all()


def test_tcvn_text_python_cannot_read_is_refused(tmp_path: Path) -> None:
    """Accented text under a ``.cpg`` of TCVN (no codec in Python; GDAL cuts it). Before:
    read with every name's last character lost, exit 0. Now refused naming the .cpg."""
    path = _shapefile(tmp_path / "vn", ["Unit A", "Unit é"], "latin1", "TCVN")
    with pytest.raises(InputFileError) as caught:
        _codes(path)
    assert "TCVN" in str(caught.value) and "UTF-8" in str(caught.value)


@pytest.mark.parametrize("cpg", ["1252", "1258"])
def test_utf8_text_under_a_cpg_of_another_code_page_is_read_as_utf8(tmp_path: Path,
                                                                    cpg: str) -> None:
    """UTF-8 Vietnamese under a ``.cpg`` of 1252 (ArcGIS's default) or 1258. Before: 1252
    dropped the bytes it has no character for (``Đ`` is C4 90), so the texts were not
    told as UTF-8 and went into the code table as ``ÄÃ¡ phiáº¿n``; 1258 cut them. Now
    read as UTF-8 with the warning naming the ``.cpg``, as without a ``.cpg``."""
    path = _shapefile(tmp_path / "vn", NAMES, "utf-8", cpg)
    codes, _, said = _codes(path)
    assert codes == tuple(sorted(NAMES)), codes
    found = [s for s in said if "attribute text is UTF-8" in s]
    assert found and f"says '{cpg}'" in found[0] and "write UTF-8 in units.cpg" in found[0]


@pytest.mark.parametrize(("encoding", "cpg"), [("utf-8", None), ("utf-8", "UTF-8"),
                                               ("latin1", "1252"), ("latin1", None)])
def test_shapefiles_of_their_own_code_page_read_as_before(tmp_path: Path, encoding: str,
                                                          cpg: str | None) -> None:
    """Controls: UTF-8 without ``.cpg`` (read as UTF-8, warned, round 12), UTF-8 under
    ``UTF-8`` and Latin-1 under ``1252`` or none read right; only the first is warned."""
    names = ["grès", "Bréda", "IJsselmeer"] if encoding == "latin1" else NAMES
    path = _shapefile(tmp_path / "units", names, encoding, cpg)
    codes, _, said = _codes(path)
    assert codes == tuple(sorted(names)), codes
    warned = [s for s in said if "code page" in s]
    assert bool(warned) == (encoding == "utf-8" and cpg is None), said


def test_the_contacts_of_a_1258_shapefile_are_drawn(tmp_path: Path) -> None:
    """The contacts of a 1258 Shapefile. Before: "no column 'unit' (did you mean
    'uni'?)", the field's name cut as its texts were. Now drawn between its units."""
    path = _shapefile(tmp_path / "vn", NAMES, "cp1258", "1258")
    out, _ = _planned(path, attribute="unit", distance_to_contacts=True)
    contacts = out["geology_dist_contact"][1]
    assert np.isfinite(contacts).all() and float(contacts.min()) < 5.0

