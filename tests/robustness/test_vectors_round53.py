"""Contacts drawn far finer than a cell measured from every cell to every segment, cells
off a map of part of the region measured to the map's contacts, and a column asked of
``read_vector`` that the layer lacks said against no column (round 53).

Found by feeding ``plan_vector`` (every chunk of each layer computed) and ``read_vector``
files written with geopandas/pyogrio into ``tmp_path`` (2026-12-06): a map whose contact
is a ring of 20 000 to 100 000 vertices over the tiny region had each block of 256 cells
measured to every one of the tens of thousands of segments within its reach (10 million
point-to-segment distances for 400 cells; about 60 s for 40 x 40 cells, without a word);
a map covering a third of the region had its other cells measured to the map's nearest
contact (335 m where no geology is mapped), without a word, though the unit codes are
no data there; ``read_vector(path, columns=['unti'])`` said "no column 'unti'; columns
are []". Every file here is small and SYNTHETIC: units over the tiny region in UTM 19N.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from prospect.errors import DataError
from prospect.grid import RegionGrid
from prospect.ingest import geology
from prospect.io.vector import read_vector

from .conftest import TINY_REGION, plan_vector_cells

TINY = RegionGrid(
    **{
        **TINY_REGION,
        "bounds": tuple(TINY_REGION["bounds"]),
        "chunks": tuple(TINY_REGION["chunks"]),
    }
)
"""40 x 40 cells of 10 m in UTM 19N about 69.0 W, 12.2 N (chunks of 20 x 20)."""

X0, Y0, X1, Y1 = 500000.0, 1350000.0, 500400.0, 1350400.0
MID = 500200.0
"""The region's corners and the x where two SYNTHETIC units meet."""

XS = X0 + 5.0 + 10.0 * np.arange(40)
YS = Y1 - 5.0 - 10.0 * np.arange(40)
"""The tiny region's cell centres (columns, rows)."""


def _fine_map(path: Path, vertices: int) -> shapely.Polygon:
    """A SYNTHETIC map of a round intrusion of ``vertices`` vertices (its edge wavy, 145
    to 155 m from the region's centre) inside a host unit over the whole region; the
    intrusion is returned."""
    t = np.linspace(0.0, 2.0 * np.pi, vertices, endpoint=False)
    r = 150.0 + 5.0 * np.sin(200.0 * t)
    inner = shapely.Polygon(np.c_[MID + r * np.cos(t), 1350200.0 + r * np.sin(t)])
    outer = shapely.box(X0 - 100, Y0 - 100, X1 + 100, Y1 + 100).difference(inner)
    gpd.GeoDataFrame(
        {"unit": ["granite", "schist"]}, geometry=[inner, outer], crs="EPSG:32619"
    ).to_file(path)
    return inner


def _geos_distances(lines: shapely.Geometry) -> np.ndarray:
    """Each cell centre's distance to ``lines`` by GEOS, as float32 (the layer's type)."""
    xx, yy = np.meshgrid(XS, YS)
    return shapely.distance(shapely.points(xx, yy), lines).astype(np.float32)


def _counting(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the point-to-segment distances :func:`geology.segment_distances` computes."""
    count = [0]
    measure = geology.segment_distances

    def counted(px: np.ndarray, py: np.ndarray, seg: np.ndarray) -> np.ndarray:
        out = measure(px, py, seg)
        count[0] += int(out.size)
        return out

    monkeypatch.setattr(geology, "segment_distances", counted)
    return count


def test_a_contact_far_finer_than_a_cell_is_not_measured_to_every_segment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A contact of 20 000 vertices (a segment every 5 cm) around an intrusion: each
    cell's distance is GEOS's, found without measuring it to the thousands of segments
    in its block's reach (it was 10 million distances for 400 cells, about 25 000 a
    cell; a map of 100 000 vertices took a minute). SYNTHETIC map."""
    inner = _fine_map(tmp_path / "fine.gpkg", 20_000)
    count = _counting(monkeypatch)
    out, warned = plan_vector_cells(
        tmp_path / "fine.gpkg", TINY, attribute="unit", distance_to_contacts=True
    )
    assert warned == []
    assert count[0] <= 400 * TINY.shape[0] * TINY.shape[1], count[0]
    dist = out["geology_dist_contact"][1]
    np.testing.assert_array_equal(dist, _geos_distances(inner.exterior))


def test_control_a_contact_of_few_segments_is_measured_as_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Control: two units meeting along a line of two vertices and a fault of three are
    measured by the blocks' segments as before (each cell's distance GEOS's). SYNTHETIC
    map."""
    path = tmp_path / "two.gpkg"
    gpd.GeoDataFrame(
        {"unit": ["A", "B"]},
        geometry=[shapely.box(X0, Y0, MID, Y1), shapely.box(MID, Y0, X1, Y1)],
        crs="EPSG:32619",
    ).to_file(path, layer="units")
    fault = shapely.LineString([(X0 + 3, Y0 + 7), (MID + 11, Y1 - 90), (X1 - 1, Y1 - 3)])
    gpd.GeoDataFrame({"name": ["F1"]}, geometry=[fault], crs="EPSG:32619").to_file(
        path, layer="faults"
    )
    count = _counting(monkeypatch)
    out, warned = plan_vector_cells(
        path,
        TINY,
        layer="units",
        attribute="unit",
        distance_to_contacts=True,
        faults_layer="faults",
    )
    assert warned == []
    assert count[0] > 0  # (the blocks' path, not the tree's per cell)
    contact = shapely.LineString([(MID, Y0), (MID, Y1)])
    np.testing.assert_array_equal(out["geology_dist_contact"][1], _geos_distances(contact))
    np.testing.assert_array_equal(out["geology_dist_fault"][1], _geos_distances(fault))


def _part_map(path: Path, right: float) -> None:
    """A SYNTHETIC map of two units meeting at x = X0 + 60 and ending at ``right``."""
    gpd.GeoDataFrame(
        {"unit": ["A", "B"]},
        geometry=[shapely.box(X0, Y0, X0 + 60, Y1), shapely.box(X0 + 60, Y0, right, Y1)],
        crs="EPSG:32619",
    ).to_file(path)


def test_cells_off_a_map_of_part_of_the_region_are_no_data_in_contact_distances(
    tmp_path: Path,
) -> None:
    """A map covering the region's western 120 m of 400: the cells more than a cell past
    its edge are no data in ``_dist_contact`` as in the codes, and a warning says how
    much of the region and the map's bounds (they were measured to the map's contact,
    up to 335 m, without a word). SYNTHETIC map."""
    _part_map(tmp_path / "part.gpkg", X0 + 120)
    out, warned = plan_vector_cells(
        tmp_path / "part.gpkg", TINY, attribute="unit", distance_to_contacts=True
    )
    codes = out["geology"][1]
    dist = out["geology_dist_contact"][1]
    assert (codes[:, :12] >= 0).all() and (codes[:, 12:] == -1).all()
    # the map's cells and the first cell past its edge (5 m off) keep their distance
    expected = np.abs(XS - (X0 + 60)).astype(np.float32)
    np.testing.assert_array_equal(dist[:, :13], np.broadcast_to(expected[:13], (40, 13)))
    assert np.isnan(dist[:, 13:]).all()
    said = [w for w in warned if "more than a cell" in w]
    assert len(said) == 1, warned
    assert "70% of the region 'tiny' (1120 of 1600 cells)" in said[0]
    assert "geology_dist_contact in the 1080 cells (68%) more than a cell" in said[0]
    assert "(500000, 1350000, 500120, 1350400)" in said[0]


def test_control_a_map_with_a_gap_under_a_cell_keeps_every_distance(
    tmp_path: Path,
) -> None:
    """Control: a map over the whole region whose units lie 4 m apart (each simplified on
    its own; cell centres in the gap are no unit) keeps a distance in every cell, and
    says nothing of cells off the map. SYNTHETIC map."""
    path = tmp_path / "gap.gpkg"
    gpd.GeoDataFrame(
        {"unit": ["A", "B"]},
        geometry=[
            shapely.box(X0 - 50, Y0 - 50, X0 + 103, Y1 + 50),
            shapely.box(X0 + 107, Y0 - 50, X1 + 50, Y1 + 50),
        ],
        crs="EPSG:32619",
    ).to_file(path)
    out, warned = plan_vector_cells(path, TINY, attribute="unit", distance_to_contacts=True)
    assert (out["geology"][1][:, 10] == -1).all()  # (centres at x0 + 105: in the gap)
    assert np.isfinite(out["geology_dist_contact"][1]).all()
    assert not [w for w in warned if "more than a cell" in w], warned


@pytest.mark.parametrize("suffix", [".shp", ".gpkg", ".geojson"])
def test_a_column_the_layer_lacks_is_said_against_the_layers_columns(
    tmp_path: Path, suffix: str
) -> None:
    """``read_vector(..., columns=['unti'])`` names the layer's own columns and the one
    meant (it said "columns are []": only the columns read). SYNTHETIC map."""
    path = tmp_path / f"geo{suffix}"
    _part_map(path, X1)
    with pytest.raises(DataError) as caught:
        read_vector(path, columns=["unti"])
    said = str(caught.value)
    assert "no column 'unti'; columns are ['unit']" in said
    assert "did you mean 'unit'" in said
    assert "columns are []" not in said


def test_control_columns_the_layer_has_are_read(tmp_path: Path) -> None:
    """Control: columns the layer has are read as before. SYNTHETIC map."""
    path = tmp_path / "geo.gpkg"
    _part_map(path, X1)
    gdf = read_vector(path, columns=["unit"])
    assert list(gdf["unit"]) == ["A", "B"]
