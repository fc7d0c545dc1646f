"""SAGA and Idrisi grids read by other numbers or places than their headers state: a SAGA
grid's ``Z_FACTOR`` and ``Z_OFFSET`` (GDAL applies neither), its no-data range (GDAL marks
its first number alone), and headers (``.sgrd``, ``.rdc``) that were no input of the layer
(a grid moved by its header kept the cube of its old place) nor checked for a data file
cut short.

Found by writing grids with rasterio's SAGA and RST drivers into ``tmp_path``, editing
their headers as SAGA and a user do, and planning (``plan_raster``) and reading
(``RasterLayer.compute``) them on the tiny region (2026-12-05). Every grid here is
SYNTHETIC.
"""

from __future__ import annotations

import os
import re
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from .conftest import Sandbox
from .test_point_tables import X0, Y0, _ingest, _notes
from .test_rasters_round16 import _write

STORED = np.arange(1600, dtype="int16").reshape(40, 40) - 100
"""The numbers the grids store (-100..1499; -99 is the SAGA grids' no data)."""


def _grid() -> object:
    from prospect.grid import RegionGrid

    return RegionGrid(
        name="tiny",
        crs="EPSG:32619",
        resolution=10.0,
        bounds=(X0, Y0, X0 + 400, Y0 + 400),
        chunks=(20, 20),
    )


def _saga(folder: Path, *, header: dict[str, str] | None = None, name: str = "dem") -> Path:
    """A SAGA grid (``.sdat`` + ``.sgrd`` + ``.prj``) of :data:`STORED` on the tiny
    region's grid, no data -99, with the ``.sgrd`` lines of ``header`` set (or added) as
    SAGA writes them (``KEY\\t= value``)."""
    path = _write(folder / f"{name}.sdat", STORED, driver="SAGA", nodata=-99)
    sgrd = path.with_suffix(".sgrd")
    text = sgrd.read_text()
    for key, value in (header or {}).items():
        line = f"{key}\t= {value}"
        text, n = re.subn(rf"^{key}\s*=.*$", line, text, flags=re.MULTILINE)
        if not n:
            text += line + "\n"
    sgrd.write_text(text)
    return path


def _plan(path: Path, **more: object) -> tuple[list, list[str]]:
    """The layers of a raster source of ``path`` on the tiny grid, and the warnings."""
    from prospect.config.sources import RasterSource
    from prospect.ingest.rasters import plan_raster

    source = RasterSource(name="dem", path=str(path), units="m", **more)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        layers = plan_raster(source, _grid())
    return layers, [" ".join(str(w.message).split()) for w in caught]


def _values(path: Path, **more: object) -> tuple[np.ndarray, list[str]]:
    """The layer of ``path`` on the whole tiny grid, and the planning's warnings."""
    layers, said = _plan(path, **more)
    grid = _grid()
    out = np.full((40, 40), np.nan, "f4")
    for window in grid.chunk_windows():
        out[window.rows, window.cols] = layers[0].compute(grid, window)
    return out, said


def _expected(scale: float, offset: float) -> np.ndarray:
    values = (STORED.astype("f8") * scale + offset).astype("f4")
    return np.where(STORED == -99, np.float32(np.nan), values)


# --- a SAGA grid's Z_FACTOR and Z_OFFSET ---------------------------------------------------


@pytest.mark.parametrize(
    ("factor", "offset"),
    [
        ("0.100000", "0.000000"),  # an int16 DEM SAGA stores in decimetres
        ("1.000000", "100.000000"),  # stored 100 m lower, SAGA's Z_OFFSET adds it back
        ("0.500000", "-10.000000"),
    ],
)
def test_a_saga_grids_z_factor_and_z_offset_are_applied(
    tmp_path: Path, factor: str, offset: str
) -> None:
    """Before: GDAL reads a SAGA grid's stored numbers, and SAGA reads a cell as
    ``Z_OFFSET + Z_FACTOR * stored``: an int16 grid of Z_FACTOR 0.1 was ingested ten
    times too large (GDAL: "does not support ZFACTORs other than 1", passed on as a
    warning), one of Z_OFFSET 100 100 m too low without a word, exit 0. Now the header's
    coefficients are the file's own scale and offset (`raster.header_coefficients`), and
    GDAL's words about a factor applied are not said."""
    path = _saga(tmp_path, header={"Z_FACTOR": factor, "Z_OFFSET": offset})
    values, said = _values(path)
    np.testing.assert_allclose(values, _expected(float(factor), float(offset)), rtol=1e-6)
    assert not [s for s in said if "ZFACTOR" in s], said


def test_a_zipped_saga_grids_z_factor_is_applied(tmp_path: Path) -> None:
    """Before: the same in a SAGA ``.sg-grd-z`` (a zip of the ``.sdat``, ``.sgrd`` and
    ``.prj``, which GDAL reads as one file): ten times too large, exit 0. Now its
    ``.sgrd`` is read inside the zip."""
    import zipfile

    path = _saga(tmp_path, header={"Z_FACTOR": "0.100000"})
    zipped = tmp_path / "dem.sg-grd-z"
    with zipfile.ZipFile(zipped, "w") as archive:
        for part in (path, path.with_suffix(".sgrd"), path.with_suffix(".prj")):
            archive.write(part, part.name)
    values, _ = _values(zipped)
    np.testing.assert_allclose(values, _expected(0.1, 0.0), rtol=1e-6)


def test_a_saga_z_factor_of_zero_is_refused(tmp_path: Path) -> None:
    """Before: ``Z_FACTOR = 0`` (SAGA reads every cell as the offset) was read as the
    stored numbers, exit 0. Now refused, naming the key and the header to fix."""
    from prospect.errors import DataError

    path = _saga(tmp_path, header={"Z_FACTOR": "0.000000"})
    with pytest.raises(DataError, match=r"Z_FACTOR = 0\.000000.*dem\.sgrd"):
        _plan(path)


def test_a_saga_no_data_range_is_refused_with_the_fix(tmp_path: Path) -> None:
    """Before: SAGA's no-data range ``NODATA_VALUE = -99;-90`` (every cell from -99 to
    -90 is no data) was read by GDAL as -99 alone: the cells of -98..-90 went into the
    cube as heights, exit 0. Now refused, naming the range and a ``gdal_calc.py`` line
    that gives it one value."""
    from prospect.errors import DataError

    path = _saga(tmp_path, header={"NODATA_VALUE": "-99.000000;-90.000000"})
    with pytest.raises(DataError) as caught:
        _plan(path)
    said = " ".join(str(caught.value).split())
    assert str(path) in said and "from -99 to -90" in said, said
    assert "gdal_calc.py -A dem.sdat" in said and "--NoDataValue=-99" in said, said


def test_a_saga_grid_as_gdal_writes_it_reads_its_stored_values(tmp_path: Path) -> None:
    """Control: a SAGA grid of ``Z_FACTOR = 1`` and ``Z_OFFSET = 0`` (as SAGA and GDAL
    write it), and one whose no-data "range" is one number (``-99;-99``), read the stored
    numbers, -99 as no data, and say nothing of ZFACTORs."""
    plain = _saga(tmp_path, header={"Z_OFFSET": "0.000000"}, name="plain")
    one = _saga(tmp_path, header={"NODATA_VALUE": "-99.000000;-99.000000"}, name="one")
    for path in (plain, one):
        values, said = _values(path)
        np.testing.assert_array_equal(values, _expected(1.0, 0.0))
        assert not [s for s in said if "ZFACTOR" in s or "SAGA" in s], said


# --- a GRASS ASCII grid's multiplier and an ENVI file's reflectance scale factor ------------


def _grass(folder: Path, multiplier: str | None) -> Path:
    """A GRASS ASCII grid of :data:`STORED` on the tiny region's grid (no data -99), its
    header stating ``multiplier`` where given."""
    path = folder / "heat.asc"
    head = [
        f"north: {Y0 + 400:.0f}",
        f"south: {Y0:.0f}",
        f"east: {X0 + 400:.0f}",
        f"west: {X0:.0f}",
        "rows: 40",
        "cols: 40",
        "type: int",
        "null: -99",
    ]
    if multiplier is not None:
        head.append(f"multiplier: {multiplier}")
    rows = [" ".join(str(v) for v in row) for row in STORED]
    path.write_text("\n".join([*head, *rows]) + "\n")
    return path


@pytest.mark.parametrize(("multiplier", "scale"), [("0.1", 0.1), ("1", 1.0)])
def test_a_grass_ascii_grids_multiplier_is_applied(
    tmp_path: Path, multiplier: str, scale: float
) -> None:
    """Before: GRASS's ``multiplier: 0.1`` (``r.in.ascii`` multiplies every value by it)
    was not read by GDAL, and the grid was ingested ten times too large, exit 0, without
    a word. Now the file's own scale (`raster.header_coefficients`). Control: a
    multiplier of 1 reads the stored numbers."""
    values, _ = _values(_grass(tmp_path, multiplier), crs="EPSG:32619")
    np.testing.assert_allclose(values, _expected(scale, 0.0), rtol=1e-6)


def test_an_envi_files_reflectance_scale_factor_is_applied(tmp_path: Path) -> None:
    """Before: an ENVI file's ``reflectance scale factor = 10000`` (its DN divided by it
    are reflectances) was left by GDAL as metadata, and DN up to 1499 were ingested as
    reflectances up to 1499, exit 0. Now read as the file's scale 1/10000."""
    path = _write(tmp_path / "refl.img", STORED, driver="ENVI", nodata=-99)
    hdr = path.with_suffix(".hdr")
    hdr.write_text(hdr.read_text() + "reflectance scale factor = 10000\n")
    values, _ = _values(path)
    np.testing.assert_allclose(values, _expected(1e-4, 0.0), rtol=1e-6)


# --- headers that place the grid: inputs of the layer ---------------------------------------


def _moved(path: Path, header: Path, patterns: tuple[str, ...], shift: float) -> tuple[str, str]:
    """The layer's fingerprint of ``path`` before and after the numbers after
    ``patterns`` in its ``header`` (its edges or origin) are moved by ``shift`` map units
    (one cell east; the cells keep their size)."""
    grid = _grid()
    before = _plan(path)[0][0].fingerprint(grid)
    text = header.read_text()
    for pattern in patterns:
        found = re.search(pattern + r"\s*([-0-9.]+)", text)
        assert found is not None, text
        moved = f"{float(found.group(1)) + shift:.7f}"
        text = text[: found.start(1)] + moved + text[found.end(1) :]
    header.write_text(text)
    return before, _plan(path)[0][0].fingerprint(grid)


def test_a_saga_grid_moved_by_its_header_is_another_layer(tmp_path: Path) -> None:
    """Before: a SAGA grid's ``.sgrd`` (its position, cell size, no data, Z_FACTOR) was no
    input of the layer: a grid moved one cell east by its header between two runs into
    the same ``-o`` (a registration fixed) kept the fingerprint of the old one, and the
    rerun kept the cube of the old place ("inputs unchanged"), exit 0. Now the header is
    an input (`raster._RAW_DRIVERS`, `RasterInfo.companions`)."""
    path = _saga(tmp_path)
    before, after = _moved(path, path.with_suffix(".sgrd"), (r"POSITION_XMIN\s*=",), 10.0)
    assert before != after


def test_an_idrisi_grid_moved_by_its_header_is_another_layer(tmp_path: Path) -> None:
    """Before: an Idrisi grid's ``.rdc`` header was no input of the layer either: its
    ``min. X``/``max. X`` moved one cell east between two runs kept the old fingerprint.
    Now an input."""
    path = _write(tmp_path / "dem.rst", STORED, driver="RST")
    before, after = _moved(path, path.with_suffix(".rdc"), (r"min\. X\s*:", r"max\. X\s*:"), 10.0)
    assert before != after


def test_a_saga_grid_cut_short_is_refused_at_planning(tmp_path: Path) -> None:
    """Before: a ``.sdat`` cut short (a copy that stopped) was planned, and failed only in
    a chunk task, "read failed while warping band 1: IReadBlock failed ... Unable to read
    block from grid file", after the run had started. Now refused at planning with the
    sizes, as every raw grid is (`raster._refuse_cut_short`)."""
    from prospect.errors import CorruptFileError

    path = _saga(tmp_path)
    os.truncate(path, path.stat().st_size // 2)
    with pytest.raises(
        CorruptFileError,
        match=r"dem\.sdat is 1600 bytes, fewer than the "
        r"3200 .* cut short",
    ):
        _plan(path)


def test_a_packed_saga_zip_is_not_taken_for_a_grid_cut_short(tmp_path: Path) -> None:
    """Control: a ``.sg-grd-z`` packed with deflate is smaller than its cells take, and
    is planned (its ``.sdat`` inside is whole)."""
    import zipfile

    path = _write(
        tmp_path / "flat.sdat",
        np.zeros((400, 400), "int16"),
        driver="SAGA",
        nodata=-99,
        transform=None,
    )
    zipped = tmp_path / "flat.sg-grd-z"
    with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as archive:
        for part in (path, path.with_suffix(".sgrd"), path.with_suffix(".prj")):
            archive.write(part, part.name)
    assert zipped.stat().st_size < 400 * 400 * 2
    (layer,) = _plan(zipped)[0]
    assert layer.name == "dem"


@pytest.mark.parametrize("driver", ["GSAG", "GS7BG"])
def test_a_surfer_grid_cut_short_is_refused_at_planning(tmp_path: Path, driver: str) -> None:
    """Before: a Surfer grid (ASCII or binary) cut short was planned, and failed in a
    chunk task ("read failed for band 1: ... Can't read portion of grid row 14"): Surfer
    keeps its rows south to north, and the check at planning read GDAL's last row, the
    file's first. Now its first row, the file's end, is read too
    (`raster._SOUTH_UP_TEXT`)."""
    from prospect.errors import CorruptFileError

    path = _write(tmp_path / "mag.grd", STORED.astype("f4"), driver=driver)
    os.truncate(path, path.stat().st_size * 2 // 3)
    with pytest.raises(CorruptFileError, match=r"mag\.grd: cannot read as a raster"):
        _plan(path, crs="EPSG:32619")


# --- the sheets of one mosaic in other units -------------------------------------------------


def _sheets(folder: Path, east_units: str) -> list[dict[str, str]]:
    """Two DEM sheets (west and east halves of the tiny region, 100 each), stating the
    units ``m`` and ``east_units``, as a mosaic's ``scenes:``."""
    import rasterio
    from rasterio.transform import from_origin

    sheets = []
    for name, left, units in (("west", X0, "m"), ("east", X0 + 200, east_units)):
        path = _write(
            folder / f"{name}.tif",
            np.full((40, 20), 100, "f4"),
            transform=from_origin(left, Y0 + 400, 10, 10),
        )
        with rasterio.open(path, "r+") as dst:
            dst.units = (units,)
        sheets.append({"path": str(path)})
    return sheets


def test_the_sheets_of_a_mosaic_in_other_units_are_refused(tmp_path: Path) -> None:
    """Before: a mosaic of two DEM sheets, one stating metres and one feet, without
    'units:' in the config, was one layer labelled ``ft`` (the last sheet's units) holding
    both sheets' numbers, exit 0, without a word. Now refused, naming both files and
    their units, and the conversion (`rasters._check_sheet_units`)."""
    from prospect.config.sources import RasterSource
    from prospect.errors import DataError
    from prospect.ingest.rasters import plan_raster

    source = RasterSource(name="dem", scenes=_sheets(tmp_path, "ft"))
    with pytest.raises(DataError) as caught:
        plan_raster(source, _grid())
    said = " ".join(str(caught.value).split())
    assert "west.tif 'm'" in said and "east.tif 'ft'" in said, said
    assert 'gdal_calc.py -A east.tif --calc "A*0.3048"' in said, said


def test_the_sheets_of_a_mosaic_in_one_unit_spelt_two_ways_are_one_layer(
    tmp_path: Path,
) -> None:
    """Control: sheets stating ``m`` and ``metre`` are one layer of metres."""
    from prospect.config.sources import RasterSource
    from prospect.ingest.rasters import plan_raster

    source = RasterSource(name="dem", scenes=_sheets(tmp_path, "metre"))
    (layer,) = plan_raster(source, _grid())
    assert layer.units in ("m", "metre")


# --- the fill check of a file larger than the region ----------------------------------------

SIDE, AT = 600, 280
"""A national grid of 600 x 600 cells of 10 m; the tiny region is its cells 280..319."""


def _national(folder: Path, *, nodata: float | None, sea: int | None, void: bool) -> Path:
    """A SYNTHETIC int16 DEM of :data:`SIDE` cells around the tiny region: heights
    500..536, a ring of ``sea`` 100 cells wide at its edges, and (``void``) the region's
    west half filled with -9999."""
    from rasterio.transform import from_origin

    values = (500 + np.arange(SIDE * SIDE).reshape(SIDE, SIDE) % 37).astype("int16")
    if sea is not None:
        ring = np.ones((SIDE, SIDE), bool)
        ring[100:-100, 100:-100] = False
        values[ring] = sea
    if void:
        values[AT : AT + 40, AT : AT + 20] = -9999
    more = {"nodata": nodata} if nodata is not None else {}
    return _write(
        folder / "dem.tif",
        values,
        tiled=True,
        blockxsize=256,
        blockysize=256,
        transform=from_origin(X0 - AT * 10, Y0 + 400 + AT * 10, 10, 10),
        **more,
    )


def _fills_said(box: Sandbox, cli: Any, scheduler: str, path: Path) -> list[str]:
    """The fill check's warnings of ``prospect ingest`` of ``path`` on the tiny region
    (from the run's manifest)."""
    source = {"kind": "raster", "name": "dem", "path": str(path), "units": "m"}
    result = _ingest(box, cli, scheduler, sources=[source])
    assert result.code == 0, result.err[-2000:]
    return [" ".join(n.split()) for n in _notes(box) if "sampled cells" in n]


@pytest.mark.parametrize(("nodata", "sea"), [(-32768, -32768), (None, None)])
def test_a_fill_under_the_region_is_warned_of_whatever_the_rest_of_the_file_holds(
    sandbox: Sandbox, cli: Any, scheduler: str, nodata: float | None, sea: int | None
) -> None:
    """Before: the fill check sampled a national DEM over the whole of it: voids filled
    with -9999 under the region, where the file states nodata -32768 (its sea, which
    occurs), or on no corner of a file stating none, went into the cube as heights of
    -9999 without a word, exit 0. Now a file larger than the region whose whole sample
    shows no fill is sampled again where it lies under the region
    (`raster.region_window`, `sample_band(within=)`, `fills.warn_fills(grid=)`)."""
    path = _national(sandbox.root, nodata=nodata, sea=sea, void=True)
    said = _fills_said(sandbox, cli, scheduler, path)
    assert len(said) == 1 and "-9999 fills 2 of 4 corners and 50%" in said[0], said
    assert "under the region" in said[0] and "'nodata: -9999'" in said[0], said


def test_a_file_of_the_regions_size_is_sampled_whole_as_before(
    sandbox: Sandbox, cli: Any, scheduler: str
) -> None:
    """Control: a file no larger than the region is sampled whole (its corners are the
    region's), and its collar of -9999 is warned of as before, once."""
    values = STORED.copy()
    values[:, :4] = -9999
    values[:4, :] = -9999
    values[-4:, :] = -9999
    path = _write(sandbox.root / "dem.tif", values, nodata=-32768)
    said = _fills_said(sandbox, cli, scheduler, path)
    assert len(said) == 1 and "-9999 fills 4 of 4 corners" in said[0], said
    assert "under the region" not in said[0], said
