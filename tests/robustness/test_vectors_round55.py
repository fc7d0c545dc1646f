"""A unit drawn wholly under a later unit's polygon leaving a map of no contact unsaid, and
every chunk of a finely drawn unit map converted to GeoJSON a vertex at a time (round 55).

Found by feeding ``plan_vector`` (every chunk of each layer computed) files written with
geopandas/pyogrio into ``tmp_path`` (2026-12-06): a unit (a box, or a bow-tie repaired to
two triangles) under a later unit's polygon that covers it whole has no contact as the
cells take it (the later unit takes every cell), so ``geology_dist_contact`` was no data in
every cell, while the no-contact check, looking at the units before they are drawn, said
nothing; and each chunk of the unit codes handed rasterio shapely polygons, whose
``__geo_interface__`` makes a Python tuple of each vertex (most of a chunk's time for a
contact of 100 000 vertices). Every file here is small and SYNTHETIC: units over the tiny
region in UTM 19N.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
import shapely
from affine import Affine
from rasterio.features import rasterize
from shapely.coords import CoordinateSequence

from prospect.errors import DataError
from prospect.grid import RegionGrid
from prospect.io.vector import burnable
from prospect.outlines import land_mask

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
YS = Y1 - 5.0 - 10.0 * np.arange(40)
"""The tiny region's cell centres (columns, rows)."""

COVER = shapely.box(X0 - 50, Y0 - 50, X1 + 50, Y1 + 50)
"""A SYNTHETIC unit polygon over the whole region (and past it)."""

BOWTIE = shapely.Polygon(
    [(X0 + 100, Y0 + 100), (X0 + 300, Y0 + 300), (X0 + 300, Y0 + 100), (X0 + 100, Y0 + 300)]
)
"""A SYNTHETIC bow-tie (its edges cross at the region's centre): two triangles once
repaired."""


def _write(path: Path, units: list[str], geoms: list[shapely.Geometry]) -> Path:
    """A SYNTHETIC unit map of ``geoms`` (in file order) named ``units``."""
    gpd.GeoDataFrame({"unit": units}, geometry=geoms, crs="EPSG:32619").to_file(path)
    return path


def _no_contact(warned: list[str]) -> list[str]:
    """The no-contact warnings among ``warned``."""
    return [w for w in warned if "so it has no contact" in w]


@pytest.mark.parametrize(
    "hidden",
    [shapely.box(X0 + 100, Y0 + 100, X0 + 200, Y0 + 200), BOWTIE],
    ids=["box-under-a-later-unit", "bow-tie-under-a-later-unit"],
)
def test_a_unit_wholly_under_a_later_unit_is_said_to_leave_no_contact(
    tmp_path: Path, hidden: shapely.Geometry
) -> None:
    """A unit ('A') under a later unit ('B') that covers it whole: as the cells take them
    only 'B' is left, so the map has no contact and every contact distance is no data. It
    was said only as an overlap; the no-contact check saw 'A' meet 'B' before they were
    drawn. SYNTHETIC map."""
    path = _write(tmp_path / "under.gpkg", ["A", "B"], [hidden, COVER])
    out, warned = plan_vector_cells(path, TINY, attribute="unit", distance_to_contacts=True)
    assert np.isnan(out["geology_dist_contact"][1]).all()
    said = _no_contact(warned)
    assert len(said) == 1, warned
    assert (
        "holds 2 units in 'unit', none of which meets another as the cells take them" in (said[0])
    )
    assert "'A' lies wholly under features of other units later in the file" in said[0]
    assert "geology_dist_contact is no data in every cell" in said[0]
    assert "QGIS's Difference" in said[0]


def test_a_feature_wholly_under_a_later_one_without_a_unit_column_is_said(
    tmp_path: Path,
) -> None:
    """The same map read without a unit column (each feature a unit): no overlap check
    runs there, so nothing at all was said of a contact layer of no data. SYNTHETIC
    map."""
    path = _write(
        tmp_path / "under.gpkg",
        ["A", "B"],
        [shapely.box(X0 + 100, Y0 + 100, X0 + 200, Y0 + 200), COVER],
    )
    out, warned = plan_vector_cells(path, TINY, distance_to_contacts=True)
    assert np.isnan(out["geology_dist_contact"][1]).all()
    said = _no_contact(warned)
    assert len(said) == 1, warned
    assert "'feature 1' lies wholly under features of other units later in the file" in said[0]


def test_control_an_inclusion_drawn_over_its_host_keeps_its_contact(tmp_path: Path) -> None:
    """Control: the inclusion ('B') later in the file over its host ('A', no hole cut):
    its edge is the contact, measured as before, and no no-contact warning. SYNTHETIC
    map."""
    inclusion = shapely.box(X0 + 100, Y0 + 100, X0 + 200, Y0 + 200)
    path = _write(tmp_path / "over.gpkg", ["A", "B"], [COVER, inclusion])
    out, warned = plan_vector_cells(path, TINY, attribute="unit", distance_to_contacts=True)
    assert _no_contact(warned) == []
    xx, yy = np.meshgrid(XS, YS)
    expected = shapely.distance(shapely.points(xx, yy), inclusion.exterior)
    np.testing.assert_array_equal(out["geology_dist_contact"][1], expected.astype(np.float32))


def test_control_a_map_of_one_unit_is_said_as_before(tmp_path: Path) -> None:
    """Control: a map of one unit keeps its no-contact warning's words. SYNTHETIC map."""
    path = _write(tmp_path / "one.gpkg", ["A"], [COVER])
    _, warned = plan_vector_cells(path, TINY, attribute="unit", distance_to_contacts=True)
    said = _no_contact(warned)
    assert len(said) == 1 and "holds one unit ('A') in 'unit', so it has no contact" in said[0]


def _fine_ring(vertices: int) -> shapely.Polygon:
    """A SYNTHETIC round intrusion of ``vertices`` vertices (a wavy edge) with a hole."""
    t = np.linspace(0.0, 2.0 * np.pi, vertices, endpoint=False)
    r = 150.0 + 5.0 * np.sin(200.0 * t)
    shell = np.c_[X0 + 200.0 + r * np.cos(t), Y0 + 200.0 + r * np.sin(t)]
    return shapely.Polygon(
        shell, [shapely.box(X0 + 180, Y0 + 180, X0 + 230, Y0 + 215).exterior.coords]
    )


def test_unit_codes_are_burnt_without_a_python_tuple_a_vertex(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A unit of 20 000 vertices: each chunk's codes are burnt from its coordinates as
    arrays, not from shapely's ``__geo_interface__`` (its coordinates walked in Python,
    a tuple of each vertex, in every chunk it reaches), and are the bytes rasterio burns
    from the polygons. SYNTHETIC map."""
    inner = _fine_ring(20_000)
    path = _write(tmp_path / "fine.gpkg", ["granite", "schist"], [inner, COVER.difference(inner)])
    made: list[int] = []
    walk = CoordinateSequence.__iter__

    def counted(self: CoordinateSequence) -> Iterator[tuple[float, ...]]:
        made.append(len(self))
        return walk(self)

    monkeypatch.setattr(CoordinateSequence, "__iter__", counted)
    out, warned = plan_vector_cells(path, TINY, attribute="unit")
    assert warned == []
    assert made == []
    monkeypatch.undo()
    expected = rasterize(
        [(inner, 0), (COVER.difference(inner), 1)],
        out_shape=TINY.shape,
        transform=TINY.transform,
        fill=-1,
        dtype="int16",
    )
    np.testing.assert_array_equal(out["geology"][1], expected)


def test_control_burnt_mappings_are_the_geo_interfaces_numbers() -> None:
    """Control: :func:`burnable` gives the type and coordinates of shapely's
    ``__geo_interface__`` (holes, Z, a multipolygon of 2D and 3D parts, empties), so
    rasterio burns the same cells; lines are left as they are. SYNTHETIC shapes."""

    def listed(x: object) -> object:
        return [listed(v) for v in x] if isinstance(x, list | tuple) else x

    shapes = [
        _fine_ring(500),
        shapely.force_3d(shapely.box(1, 2, 30, 40), 7.0),
        shapely.MultiPolygon(
            [shapely.box(0, 0, 9.5, 9.5), shapely.force_3d(shapely.box(20, 20, 50, 60), 2.0)]
        ),
        shapely.Polygon(),
        shapely.MultiPolygon(),
    ]
    for geom in shapes:
        mapped = burnable(geom)
        assert mapped["type"] == geom.geom_type
        assert listed(mapped["coordinates"]) == listed(geom.__geo_interface__["coordinates"])
    line = shapely.LineString([(0, 0), (5, 5)])
    assert burnable(line) is line
    transform = Affine(0.37, 0.0, 3.1, 0.0, -0.37, 77.7)
    for geom in shapes[1:3]:
        np.testing.assert_array_equal(
            rasterize(
                [(burnable(geom), 5)],
                out_shape=(99, 99),
                transform=transform,
                fill=-1,
                dtype="int16",
            ),
            rasterize([(geom, 5)], out_shape=(99, 99), transform=transform, fill=-1, dtype="int16"),
        )
    land = shapely.Polygon([(X0 + 0.5, Y0 + 0.5), (X1 - 0.5, Y0 + 0.5), (X0 + 200.5, Y1 - 0.5)])
    expected = rasterize(
        [(land, 1)], out_shape=TINY.shape, transform=TINY.transform, fill=0, dtype="uint8"
    ).astype(bool)
    np.testing.assert_array_equal(land_mask(land, TINY), expected)


def _binary_units(path: Path) -> Path:
    """A SYNTHETIC map of two units (west, east) whose column ``code`` is binary (a
    GeoPackage BLOB, a GeoParquet ``binary``) beside a text column ``unit``."""
    import json

    import pyarrow as pa
    import pyarrow.parquet as pq
    import pyogrio

    geoms = [
        shapely.box(X0 - 10, Y0 - 10, X0 + 200, Y1 + 10),
        shapely.box(X0 + 200, Y0 - 10, X1 + 10, Y1 + 10),
    ]
    table = pa.table(
        {
            "code": pa.array([b"ab", b"\x00\xff"], pa.binary()),
            "unit": ["W", "E"],
            "geometry": pa.array(shapely.to_wkb(geoms), pa.binary()),
        }
    )
    if path.suffix == ".parquet":
        geo = {
            "version": "1.1.0",
            "primary_column": "geometry",
            "columns": {"geometry": {"encoding": "WKB", "geometry_types": ["Polygon"]}},
        }
        pq.write_table(table.replace_schema_metadata({"geo": json.dumps(geo)}), path)
    else:
        pyogrio.write_arrow(
            table, path, geometry_name="geometry", geometry_type="Polygon", crs="EPSG:32619"
        )
    return path


@pytest.mark.parametrize("suffix", [".gpkg", ".parquet"])
def test_a_unit_column_of_binary_values_is_refused_naming_it(tmp_path: Path, suffix: str) -> None:
    """A unit column of binary values (a BLOB) was a code table of Python's ``repr``
    (``"b'ab'"``, ``"b'\\x00\\xff'"``) without a word; now refused naming the column,
    an example and the layer's other columns. SYNTHETIC map."""
    path = _binary_units(tmp_path / f"units{suffix}")
    with pytest.raises(DataError) as caught:
        plan_vector_cells(path, TINY, attribute="code", crs="EPSG:32619")
    said = " ".join(str(caught.value).split())
    assert "column 'code' of layer (first) holds binary values (a BLOB: 2 of 2 feature(s)" in said
    assert "e.g. b'ab'), not unit names" in said
    assert "the layer's other columns are ['unit']" in said


def test_ingest_of_a_map_whose_unit_column_is_binary_stops_naming_it(
    sandbox: Sandbox, cli: Any
) -> None:
    """A real ``prospect ingest`` of the GeoPackage with ``attribute: code``: exit 1 with
    the refusal, no traceback, no cube (it wrote units ``b'ab'``). SYNTHETIC map."""
    _binary_units(sandbox.root / "geology.gpkg")
    sandbox.write_job(
        region=dict(TINY_REGION),
        sources=[{"kind": "vector", "name": "geo", "path": "geology.gpkg", "attribute": "code"}],
    )
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out)
    text = " ".join((result.out + result.err).split())
    assert result.code == 1, text[-3000:]
    assert "Traceback" not in text and "internal error" not in text
    assert "holds binary values (a BLOB" in text and "not unit names" in text
    assert not (sandbox.out / "cube.zarr").exists()


def test_control_the_text_unit_column_beside_it_is_read(tmp_path: Path) -> None:
    """Control: the same map's text column codes the units as before. SYNTHETIC map."""
    path = _binary_units(tmp_path / "units.gpkg")
    out, warned = plan_vector_cells(path, TINY, attribute="unit")
    layer, cells = out["geology"]
    assert warned == [] and layer.codes == ("E", "W")
    west = np.broadcast_to(XS < X0 + 200, TINY.shape)
    assert np.array_equal(cells, np.where(west, 1, 0))
