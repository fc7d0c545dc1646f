"""A fault layer's distances measured off the area its faults were mapped in (round 56).

Round 55 left it: a fault compilation of one sheet over a region of two gave every cell
of the other sheet its distance to the first sheet's faults (a fault there, not mapped,
may be nearer), exit 0, without a word; there was no way to say where the faults were
mapped. A source's ``faults_extent`` (bounds in the region's CRS, or a file of the mapped
area's polygons) now makes those cells no data, says so and records it. Found by feeding
``plan_vector`` (every chunk computed) and ``prospect ingest`` files written with
geopandas/pyogrio into ``tmp_path`` (2026-12-06). Every file here is small and
SYNTHETIC: faults over the tiny region in UTM 19N.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
import shapely
import xarray as xr
from pydantic import ValidationError

from prospect.config.catalogue import job_files
from prospect.config.job import load_job
from prospect.config.sources import VectorSource
from prospect.errors import DataError
from prospect.grid import RegionGrid

from .conftest import TINY_REGION, Sandbox, plan_vector_cells

TINY = RegionGrid(
    **{
        **TINY_REGION,
        "bounds": tuple(TINY_REGION["bounds"]),
        "chunks": tuple(TINY_REGION["chunks"]),
    }
)
"""40 x 40 cells of 10 m in UTM 19N about 69.0 W, 12.2 N (chunks of 20 x 20)."""

X0, Y0, X1, Y1 = 500000.0, 1350000.0, 500400.0, 1350400.0
"""The tiny region's corners."""

XS = X0 + 5.0 + 10.0 * np.arange(40)
"""The tiny region's cell centres' x (columns)."""

WEST = (X0 - 100, Y0 - 100, X0 + 200, Y1 + 100)
"""The SYNTHETIC mapped area: the region's west half (and past it, but not east)."""


def _faults(path: Path) -> Path:
    """A SYNTHETIC fault layer ('faults') of one line, north-south at x = X0 + 50."""
    line = shapely.LineString([(X0 + 50, Y0 - 100), (X0 + 50, Y1 + 100)])
    gpd.GeoDataFrame({"name": ["F1"]}, geometry=[line], crs="EPSG:32619").to_file(
        path, layer="faults"
    )
    return path


def _area(path: Path, geoms: list[shapely.Geometry]) -> Path:
    """A SYNTHETIC file of the faults' mapped area (``geoms``)."""
    gpd.GeoDataFrame({"sheet": ["1"] * len(geoms)}, geometry=geoms, crs="EPSG:32619").to_file(path)
    return path


def _extent_said(warned: list[str]) -> list[str]:
    """The warnings of a fault extent among ``warned``."""
    return [w for w in warned if "the faults were mapped over" in w]


@pytest.mark.parametrize("given", ["bounds", "file"])
def test_fault_distances_off_the_faults_extent_are_no_data(tmp_path: Path, given: str) -> None:
    """The faults mapped over the region's west half only: the east half's cells were
    measured to the west's fault (205 to 345 m, a fault there may be nearer), without a
    word; ``faults_extent`` was refused as an unknown key. Now those cells are no data,
    the west half's distances are as before, a warning gives the share and the settings
    record the extent. SYNTHETIC faults and extent."""
    path = _faults(tmp_path / "faults.gpkg")
    extent: Any = (
        list(WEST)
        if given == "bounds"
        else str(_area(tmp_path / "sheet.geojson", [shapely.box(*WEST)]))
    )
    out, warned = plan_vector_cells(path, TINY, faults_layer="faults", faults_extent=extent)
    layer, cells = out["geology_dist_fault"]
    east = np.broadcast_to(XS > X0 + 200, TINY.shape)
    assert np.isnan(cells[east]).all()
    west = np.broadcast_to(np.abs(XS - (X0 + 50)), TINY.shape)
    assert np.allclose(cells[~east], west[~east])
    said = _extent_said(warned)
    assert len(said) == 1, warned
    assert "the faults were mapped over 50% of the region 'tiny'" in said[0]
    assert "geology_dist_fault is no data in the cells outside that area" in said[0]
    assert layer.settings["extent"] == (
        f"bounds {[float(v) for v in WEST]} (EPSG:32619)"
        if given == "bounds"
        else f"polygons of {tmp_path / 'sheet.geojson'}"
    )
    if given == "file":
        assert str(tmp_path / "sheet.geojson") in layer.inputs


def test_a_cell_centre_on_the_extents_edge_keeps_its_distance(tmp_path: Path) -> None:
    """The extent's east edge through a column of cell centres (x = X0 + 195): that
    column is inside (measured), the next one out. SYNTHETIC faults."""
    path = _faults(tmp_path / "faults.gpkg")
    out, _ = plan_vector_cells(
        path, TINY, faults_layer="faults", faults_extent=[X0 - 100, Y0 - 100, X0 + 195, Y1 + 100]
    )
    cells = out["geology_dist_fault"][1]
    assert np.allclose(cells[:, 19], 145.0)
    assert np.isnan(cells[:, 20:]).all()


@pytest.mark.parametrize("given", ["degrees", "far-file"])
def test_a_faults_extent_that_misses_the_region_is_refused(tmp_path: Path, given: str) -> None:
    """Bounds given in degrees for a UTM region, or a sheet outline of another area: every
    distance would be no data; refused, naming the key, both bounds and the fix.
    SYNTHETIC faults and extent."""
    path = _faults(tmp_path / "faults.gpkg")
    extent: Any = (
        [-69.1, 12.1, -68.9, 12.3]
        if given == "degrees"
        else str(_area(tmp_path / "far.gpkg", [shapely.box(X1 + 1000, Y0, X1 + 2000, Y1)]))
    )
    with pytest.raises(DataError) as caught:
        plan_vector_cells(path, TINY, faults_layer="faults", faults_extent=extent)
    text = str(caught.value)
    assert "faults_extent" in text
    assert "does not cover any of the region 'tiny'" in text
    assert "[500000.0, 1350000.0, 500400.0, 1350400.0] in EPSG:32619" in text
    assert "geology_dist_fault would be no data in every cell" in text
    assert "give the area in the region's CRS, or leave 'faults_extent' out" in text


def test_a_faults_extent_file_of_no_polygon_is_refused(tmp_path: Path) -> None:
    """An extent file of lines (the sheet's edge drawn as a line) says no area: refused
    naming the file and the fix. SYNTHETIC faults and extent."""
    path = _faults(tmp_path / "faults.gpkg")
    edge = _area(tmp_path / "edge.gpkg", [shapely.LineString(shapely.box(*WEST).exterior.coords)])
    with pytest.raises(DataError) as caught:
        plan_vector_cells(path, TINY, faults_layer="faults", faults_extent=str(edge))
    text = str(caught.value)
    assert f"{edge} (faults_extent of source 'geology'): holds no polygon" in text
    assert "give a file of the mapped area's polygons, or its bounds" in text


@pytest.mark.parametrize(
    ("keys", "words"),
    [
        (
            {"attribute": "unit", "faults_extent": [0, 0, 1, 1]},
            "no 'faults_layer' is given; name the faults layer, or leave 'faults_extent' out",
        ),
        (
            {"faults_layer": "faults", "faults_extent": [X0 + 200, Y0, X0, Y1]},
            "is not [left, bottom, right, top] with left < right and bottom < top",
        ),
        (
            {"faults_layer": "faults", "faults_extent": [X0, Y0, X1]},
            "is not four numbers; give the bounds of the area the faults were mapped in",
        ),
    ],
    ids=["without-faults-layer", "bounds-out-of-order", "three-numbers"],
)
def test_a_faults_extent_the_config_cannot_mean_is_refused(
    keys: dict[str, Any], words: str
) -> None:
    """A ``faults_extent`` without a faults layer, bounds out of order, or three numbers:
    one message each, saying the fix (the three numbers were two pydantic errors, one
    of them "not a valid path"). SYNTHETIC config."""
    with pytest.raises(ValidationError) as caught:
        VectorSource(name="geology", path="geo.gpkg", **keys)
    assert len(caught.value.errors()) == 1
    assert words in str(caught.value)


def test_ingest_with_a_faults_extent_writes_no_data_off_it(sandbox: Sandbox, cli: Any) -> None:
    """A real ``prospect ingest`` of the faults with ``faults_extent`` as a file beside the
    config: exit 0, the east half no data in the cube, the extent's file among the job's
    input files and in the variable's settings. SYNTHETIC faults and extent."""
    _faults(sandbox.root / "faults.gpkg")
    _area(sandbox.root / "sheet.gpkg", [shapely.box(*WEST)])
    source = {
        "kind": "vector",
        "name": "geo",
        "path": "faults.gpkg",
        "faults_layer": "faults",
        "faults_extent": "sheet.gpkg",
    }
    sandbox.write_job(region=dict(TINY_REGION), sources=[source])
    assert sandbox.root / "sheet.gpkg" in [
        p.resolve() for p in job_files(load_job(sandbox.job_path))
    ]
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out)
    text = " ".join((result.out + result.err).split())
    assert result.code == 0, text[-3000:]
    assert "Traceback" not in text and "internal error" not in text
    assert "the faults were mapped over 50% of the region" in text
    with xr.open_zarr(sandbox.out / "cube.zarr") as cube:
        cells = cube["geo_dist_fault"].values
        attrs = dict(cube["geo_dist_fault"].attrs)
    assert np.isnan(cells[:, 20:]).all()
    assert np.isfinite(cells[:, :20]).all()
    assert "sheet.gpkg" in str(attrs)


def test_control_faults_without_an_extent_are_measured_everywhere(tmp_path: Path) -> None:
    """Control: without ``faults_extent`` every cell is measured as before, and nothing
    new is recorded or said. SYNTHETIC faults."""
    path = _faults(tmp_path / "faults.gpkg")
    out, warned = plan_vector_cells(path, TINY, faults_layer="faults")
    layer, cells = out["geology_dist_fault"]
    assert np.allclose(cells, np.broadcast_to(np.abs(XS - (X0 + 50)), TINY.shape))
    assert "extent" not in layer.settings and getattr(layer, "extent", None) is None
    assert warned == []


def test_an_extent_over_the_whole_region_changes_no_distance(tmp_path: Path) -> None:
    """An extent that covers the whole region: the same distances, no warning.
    SYNTHETIC faults."""
    path = _faults(tmp_path / "faults.gpkg")
    plain, _ = plan_vector_cells(path, TINY, faults_layer="faults")
    out, warned = plan_vector_cells(
        path, TINY, faults_layer="faults", faults_extent=[X0 - 1, Y0 - 1, X1 + 1, Y1 + 1]
    )
    assert np.array_equal(out["geology_dist_fault"][1], plain["geology_dist_fault"][1])
    assert _extent_said(warned) == []


def test_control_a_unit_map_with_its_faults_is_measured_as_before(tmp_path: Path) -> None:
    """Control: units, their contacts and their faults in one GeoPackage without
    ``faults_extent``: codes, contact and fault distances as before, nothing said.
    SYNTHETIC map."""
    path = _faults(tmp_path / "geo.gpkg")
    halves = [
        shapely.box(X0 - 50, Y0 - 50, X0 + 200, Y1 + 50),
        shapely.box(X0 + 200, Y0 - 50, X1 + 50, Y1 + 50),
    ]
    gpd.GeoDataFrame({"unit": ["W", "E"]}, geometry=halves, crs="EPSG:32619").to_file(
        path, layer="units"
    )
    out, warned = plan_vector_cells(
        path,
        TINY,
        layer="units",
        attribute="unit",
        distance_to_contacts=True,
        faults_layer="faults",
    )
    assert warned == []
    east = np.broadcast_to(XS > X0 + 200, TINY.shape)
    assert np.array_equal(out["geology"][1], np.where(east, 0, 1))
    assert np.allclose(
        out["geology_dist_contact"][1], np.abs(np.broadcast_to(XS, TINY.shape) - (X0 + 200))
    )
    assert np.allclose(
        out["geology_dist_fault"][1], np.broadcast_to(np.abs(XS - (X0 + 50)), TINY.shape)
    )


def _plan_counting_rasterize(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[list[str], list[int]]:
    """``plan_vector`` of ``path``'s units (column 'unit') on the tiny region: the warnings
    it gave, and the number of shapes of each call of the geology module's ``rasterize``."""
    import warnings

    from prospect.ingest import geology

    calls: list[int] = []
    real = geology.rasterize

    def counting(shapes: Any, *args: Any, **kwargs: Any) -> Any:
        shapes = list(shapes)
        # (the off-map count of round 66 rasterises the whole map's outline, a block of
        # rows at a time, not a unit: these cases count the units' own rasterisings)
        if sys._getframe(1).f_code.co_name != "_cells_off_map":
            calls.append(len(shapes))
        return real(shapes, *args, **kwargs)

    monkeypatch.setattr(geology, "rasterize", counting)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        geology.plan_vector(VectorSource(name="geology", path=str(path), attribute="unit"), TINY)
    return [" ".join(str(w.message).split()) for w in caught], calls


def test_units_between_cell_centres_are_found_cellless_without_rasterising_each(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """100 units of 4 m squares on the east half's cell corners (no cell centre within 3 m
    of one): each was rasterised on its own to learn it takes no cell (4 ms a unit on an
    idle machine: a map of 10 000 such units planned in 27 to 32 s instead of 5 to 7 s on
    the loaded one). A unit whose box holds no cell centre is now told apart by its box;
    the warning is as before. SYNTHETIC map."""
    squares = [
        shapely.box(X0 + 200 + 10 * i - 2, Y0 + 10 * j - 2, X0 + 200 + 10 * i + 2, Y0 + 10 * j + 2)
        for i in range(1, 11)
        for j in range(1, 11)
    ]
    big = shapely.box(X0 - 50, Y0 - 50, X0 + 195, Y1 + 50)
    units = ["Big"] + [f"S{k:03d}" for k in range(100)]
    gpd.GeoDataFrame({"unit": units}, geometry=[big, *squares], crs="EPSG:32619").to_file(
        tmp_path / "dots.gpkg"
    )
    warned, calls = _plan_counting_rasterize(tmp_path / "dots.gpkg", monkeypatch)
    said = [w for w in warned if "take no cell" in w]
    assert len(said) == 1, warned
    assert "100 unit(s) of 'unit' in the region take no cell" in said[0]
    assert "e.g. 'S000' (16 m2), 'S001' (16 m2)" in said[0]
    assert calls == []


def test_control_a_dyke_across_cell_centres_boxes_is_still_told_by_its_cells(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Control: a diagonal dyke 1 m wide whose box holds many cell centres and whose band
    holds none (rasterised, said to take no cell), and a small plug over a cell centre
    (takes it, not said). SYNTHETIC map."""
    dyke = shapely.Polygon(
        [(X0 + 5.5, Y0 + 1), (X0 + 395, Y0 + 390.5), (X0 + 394, Y0 + 390.5), (X0 + 4.5, Y0 + 1)]
    )
    plug = shapely.box(X0 + 103, Y0 + 103, X0 + 107, Y0 + 107)
    gpd.GeoDataFrame({"unit": ["Dyke", "Plug"]}, geometry=[dyke, plug], crs="EPSG:32619").to_file(
        tmp_path / "dyke.gpkg"
    )
    warned, calls = _plan_counting_rasterize(tmp_path / "dyke.gpkg", monkeypatch)
    said = [w for w in warned if "take no cell" in w]
    assert len(said) == 1, warned
    assert "1 unit(s) of 'unit' in the region take no cell" in said[0]
    assert "'Dyke'" in said[0] and "'Plug'" not in said[0]
    assert calls == [1]
