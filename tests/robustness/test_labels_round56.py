"""A point table none of whose records has a place (every GeoJSON feature's geometry
``null``, every coordinate cell blank) refused as "the point table is empty", a
laboratory's names for the limit a value is below (``LDL``, ``DL``, ``LLD``, ``LOR``,
``BQL``, ``<LDL 0.5``) read as "write numbers only" in a value column and as measured
grades in a qualifier column, and a CSV's CRS in a ``.prj`` beside it never looked at.

Found by feeding the point reader (``prospect.io.points.read_points``) and the train
stage's label reading (``prospect.models.training.read_labels``) what survey scientists,
their laboratories and their GIS tools hand over (2026-12-06), taking round 55's "found
and left". Every table is small and SYNTHETIC: round 35's eight Great Basin places.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
from pyproj import CRS, Transformer

from prospect.config.model import LabelsConfig
from prospect.config.sources import PointSource
from prospect.errors import DataError
from prospect.grid import RegionGrid
from prospect.io.points import read_points
from prospect.models.training import read_labels

from .test_labels_round35 import NEVADA, PLACES, _labels, _table
from .test_vectors_round22 import _caught

GRADES = [12, 15, 0.5, 20, 11, 13, 14, 16]
"""SYNTHETIC lithium grades (ppm) of the eight places, record S2 the one below a limit."""


def _read(path: Path, **options: Any) -> tuple[Any, list[str], Exception | None]:
    """``read_points`` of ``path``'s column ``li`` in WGS 84."""
    return _caught(
        lambda: read_points(path, x="lon", y="lat", to_crs="EPSG:4326", columns=["li"], **options)
    )


def _geojson(path: Path, placed: tuple[int, ...] = ()) -> Path:
    """The SYNTHETIC places as a GeoJSON, every feature but ``placed`` with
    ``"geometry": null``."""
    features = [
        {
            "type": "Feature",
            "properties": {"site": f"S{i}", "li": GRADES[i]},
            "geometry": (
                {"type": "Point", "coordinates": list(PLACES[i])} if i in placed else None
            ),
        }
        for i in range(8)
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), "utf-8")
    return path


def _geopackage(path: Path) -> Path:
    """The SYNTHETIC records as a GeoPackage layer of NULL geometries."""
    gpd.GeoDataFrame(
        {"site": [f"S{i}" for i in range(8)], "li": GRADES}, geometry=[None] * 8, crs="EPSG:4326"
    ).to_file(path)
    return path


def _one_line(error: Exception | None) -> str:
    """The refusal's text, checked to be a data error of one line."""
    assert isinstance(error, DataError), error
    text = str(error)
    assert "\n" not in text and "Traceback" not in text and "internal error" not in text
    return text


# --- a table none of whose records has a place -----------------------------------------------


@pytest.mark.parametrize("name", ["nulls.geojson", "nulls.gpkg"], ids=["geojson", "geopackage"])
def test_a_layer_of_null_geometries_says_every_feature_has_none(tmp_path: Path, name: str) -> None:
    """SYNTHETIC: a GeoJSON whose every feature has ``"geometry": null`` (a layer saved
    without its places), and a GeoPackage of NULL geometries. Before: "the point table is
    empty (no rows with coordinates)", of a file of 8 records, without which or why; now
    it says every feature has a null geometry, which, and the fix."""
    path = _geojson(tmp_path / name) if name.endswith(".geojson") else _geopackage(tmp_path / name)
    _, _, error = _read(path)
    text = _one_line(error)
    assert "the point table is empty" in text, text
    assert (
        "every one of its 8 features (features 1, 2, 3, 4, 5, ...) has a null or empty geometry"
        in text
        and "give each feature its point" in text
    ), text


@pytest.mark.parametrize("blank", [("lon", "lat"), ("lat",)], ids=["both", "latitude"])
def test_a_table_of_blank_coordinates_says_which_columns_are_blank(
    tmp_path: Path, blank: tuple[str, ...]
) -> None:
    """SYNTHETIC: a CSV whose coordinate columns (or its latitudes alone) are blank on
    every line. Before: "the point table is empty" of a table of 8 records; now the
    blank columns, the lines and the fix."""
    path = tmp_path / "blank.csv"
    rows = [
        f"S{i},{'' if 'lon' in blank else f'{x:.5f}'},{'' if 'lat' in blank else y},{g}"
        for i, ((x, y), g) in enumerate(zip(PLACES, GRADES, strict=True))
    ]
    path.write_text("site,lon,lat,li\n" + "\n".join(rows) + "\n", "utf-8")
    _, _, error = _read(path)
    text = _one_line(error)
    columns = " and ".join(repr(c) for c in blank)
    assert "the point table is empty" in text, text
    assert (
        f"every one of its 8 lines (lines 2, 3, 4, 5, 6, ...) leaves {columns} blank" in text
        and "fill in each record's coordinates" in text
    ), text


def test_a_wkt_column_of_empty_points_only_says_so(tmp_path: Path) -> None:
    """SYNTHETIC: a QGIS CSV export whose every ``WKT`` cell is ``POINT EMPTY``. Before:
    "the point table is empty (no rows with geometry (column 'WKT', WKT))" alone; now the
    lines and that each holds an empty geometry."""
    path = tmp_path / "wkt.csv"
    path.write_text(
        "site,WKT,li\n" + "".join(f'S{i},"POINT EMPTY",{g}\n' for i, g in enumerate(GRADES)),
        "utf-8",
    )
    _, _, error = _read(path)
    text = _one_line(error)
    assert "the point table is empty" in text, text
    assert "lines 2, 3, 4, 5, 6, ... hold an empty geometry (e.g. 'POINT EMPTY')" in text, text


def test_labels_of_null_geometries_say_every_feature_has_none(tmp_path: Path) -> None:
    """SYNTHETIC: the train stage's labels of a GeoJSON whose every feature has a ``null``
    geometry. Before: "no usable occurrence geometries" alone; now which and why."""
    source = PointSource(kind="points", name="occ", path=str(_geojson(tmp_path / "o.geojson")))
    _, _, error = _caught(lambda: read_labels(source, NEVADA, LabelsConfig(source="occ")))
    text = _one_line(error)
    assert "no usable occurrence geometries" in text, text
    assert "every one of its 8 features" in text and "null or empty geometry" in text, text


def test_control_some_null_geometries_and_an_empty_table_read_as_before(tmp_path: Path) -> None:
    """Control, SYNTHETIC: a GeoJSON with three ``null`` geometries keeps its five points
    and its warning; a CSV of a header alone keeps "holds a header and no rows"."""
    table, said, error = _read(_geojson(tmp_path / "some.geojson", placed=(3, 4, 5, 6, 7)))
    assert error is None and table is not None, error
    assert list(table.values["li"]) == GRADES[3:], table
    assert any(
        "3 of 8 row(s) without usable coordinates dropped (features 1, 2, 3)" in s for s in said
    ), said
    path = tmp_path / "header.csv"
    path.write_text("site,lon,lat,li\n", "utf-8")
    _, _, error = _read(path)
    text = _one_line(error)
    assert (
        "the point table is empty (no rows with coordinates lon/lat): it holds a header and no rows"
        in text
        and "every one" not in text
    ), text


# --- a laboratory's names for the limit -------------------------------------------------------


@pytest.mark.parametrize(
    "cell",
    ["LDL", "<LDL", "DL", "LLD", "LOR", "<LOR", "BQL", "<BQL", "<PQL", "<RL", "below DL", "<"],
)
def test_a_limit_named_without_its_number_is_a_detection_limit(tmp_path: Path, cell: str) -> None:
    """SYNTHETIC: a grade column whose record S2 is a laboratory's name for the limit
    (lower detection limit, limit of reporting, below the quantitation limit) without its
    number. Before: "write numbers only (units belong in the header)", which no number
    fixes; now counted among the detection limits, with their fix."""
    path = tmp_path / "ldl.csv"
    path.write_text(_table("li", [str(g) if i != 2 else cell for i, g in enumerate(GRADES)]))
    table, said, error = _read(path)
    assert error is None and table is not None, error
    assert np.isnan(table.values["li"][2]), table
    assert any(
        f"1 are detection limits ({cell!r})" in s and "write numbers only" not in s for s in said
    ), said


@pytest.mark.parametrize(
    "cell", ["<LDL 0.5", "LDL(0.5)", "<LOR 0.5", "BLD (0.5)", "DL 0.5", "BQL 0.5"]
)
def test_a_limit_named_with_its_number_is_read_below_it(tmp_path: Path, cell: str) -> None:
    """SYNTHETIC: a surface's points, S2 a value below a limit written with the limit's
    name and number. Before: missing, "write numbers only", the low value lost to the
    surface; now half its limit (0.25), as ``<0.5`` and ``BDL (0.5)`` are."""
    path = tmp_path / "ldl.csv"
    path.write_text(_table("li", [str(g) if i != 2 else cell for i, g in enumerate(GRADES)]))
    table, said, error = _read(path, below_as_half=True)
    assert error is None and table is not None, error
    assert table.values["li"][2] == 0.25, table
    assert not any("write numbers only" in s for s in said), said


@pytest.mark.parametrize("code", ["LDL", "DL", "LLD", "LOR", "BQL"])
def test_a_qualifier_naming_the_limit_flags_the_value_below_it(tmp_path: Path, code: str) -> None:
    """SYNTHETIC: a qualifier column ``li_q`` saying ``LDL`` (or ``DL``, ``LOR``...) beside
    S2's value 0.5, the limit. Before: "other flags ..., which are no detection limit:
    read as measured", the limit taken for a measured grade of 0.5; now flagged below the
    limit, as ``<`` and ``BDL`` are."""
    rows = [
        f"S{i},{x:.5f},{y:.5f},{g},{code if i == 2 else ''}"
        for i, ((x, y), g) in enumerate(zip(PLACES, GRADES, strict=True))
    ]
    path = tmp_path / "flagged.csv"
    path.write_text("site,lon,lat,li,li_q\n" + "\n".join(rows) + "\n", "utf-8")
    table, said, error = _read(path)
    assert error is None and table is not None, error
    assert np.isnan(table.values["li"][2]), table
    assert any("flagged below the detection limit by column 'li_q'" in s for s in said), said
    assert not any("read as measured" in s for s in said), said


def test_a_label_below_a_named_limit_under_the_threshold_is_a_negative(tmp_path: Path) -> None:
    """SYNTHETIC: occurrence grades with S2 ``<LOR 5`` and a threshold of 10. Before:
    missing ("write numbers only"), S2 neither positive nor negative; now below a limit
    under the threshold: a negative, as ``<5`` is."""
    cells = [str(g) if i != 2 else "<LOR 5" for i, g in enumerate(GRADES)]
    named, _, error = _labels(
        tmp_path / "occ.csv",
        _table("li", cells),
        value_column="li",
        threshold=10,
        negatives="below_threshold",
    )
    plain, _, error_plain = _labels(
        tmp_path / "plain.csv",
        _table("li", [c.replace("LOR ", "") for c in cells]),
        value_column="li",
        threshold=10,
        negatives="below_threshold",
    )
    assert error is None and error_plain is None, (error, error_plain)
    assert sorted(named.label) == sorted(plain.label) == [0] + [1] * 7, named.label


def test_control_limits_and_flags_read_as_before(tmp_path: Path) -> None:
    """Control, SYNTHETIC: ``<0.5``, ``n.d. <0.5`` and ``BDL`` keep their reading, a
    qualifier of another kind (``J``, estimated) is still read as measured, and a value
    in litres (``10 L``) stays no detection limit."""
    path = tmp_path / "plain.csv"
    path.write_text(_table("li", ["12", "<0.5", "n.d. <0.5", "BDL", "11", "13", "14", "16"]))
    table, _, error = _read(path, below_as_half=True)
    assert error is None and table is not None, error
    values = table.values["li"]
    assert list(values[:3]) == [12, 0.25, 0.25] and np.isnan(values[3]), values
    rows = [
        f"S{i},{x:.5f},{y:.5f},{g},{'J' if i == 2 else ''}"
        for i, ((x, y), g) in enumerate(zip(PLACES, GRADES, strict=True))
    ]
    path.write_text("site,lon,lat,li,li_q\n" + "\n".join(rows) + "\n", "utf-8")
    table, said, error = _read(path)
    assert error is None and table is not None, error
    assert table.values["li"][2] == 0.5, table
    assert any("read as measured" in s for s in said), said
    path.write_text(_table("li", ["12", "15", "10 L", "20", "11", "13", "14", "16"]))
    _, said, _ = _read(path)
    assert not any("detection limits" in s for s in said), said


# --- a CSV's CRS in a .prj beside it ----------------------------------------------------------

NL_PLACES = [(5.1 + 0.05 * i, 52.0 + 0.03 * i) for i in range(8)]
"""Eight SYNTHETIC wells in the Netherlands, in degrees."""
NL = RegionGrid(
    name="nlrd", crs="EPSG:28992", resolution=1000, bounds=(100_000, 400_000, 200_000, 500_000)
)
"""A region in RD New around them."""


def _rd_table(
    folder: Path, *, degrees: bool = False, prj: int | None = 28992, shapefile: bool = False
) -> Path:
    """The SYNTHETIC wells as ``wells.csv`` (RD New metres in ``x``/``y``, or degrees),
    beside ``wells.prj`` of EPSG ``prj`` in ESRI WKT as ArcGIS writes it (and beside a
    Shapefile of that name when ``shapefile``)."""
    folder.mkdir(exist_ok=True)
    to_rd = Transformer.from_crs(4326, 28992, always_xy=True)
    places = NL_PLACES if degrees else [to_rd.transform(*p) for p in NL_PLACES]
    path = folder / "wells.csv"
    path.write_text(
        "well,x,y,li\n"
        + "".join(
            f"W{i},{x:.5f},{y:.5f},{g}\n"
            for i, ((x, y), g) in enumerate(zip(places, GRADES, strict=True))
        )
    )
    if prj is not None:
        (folder / "wells.prj").write_text(CRS.from_epsg(prj).to_wkt("WKT1_ESRI"))
    if shapefile:
        gpd.GeoDataFrame(
            {"well": ["W0"]}, geometry=gpd.points_from_xy([5.1], [52.0]), crs="EPSG:28992"
        ).to_file(folder / "wells.shp")
    return path


def test_a_csv_of_rd_new_beside_its_prj_is_read_in_it(tmp_path: Path) -> None:
    """SYNTHETIC: wells in RD New metres, ``wells.prj`` (RD New, ESRI WKT) beside
    ``wells.csv``, the points source stating no ``crs``. Before: read in WGS 84 and
    refused ("no row's coordinates x/y are valid in WGS 84"; the labels: "outside what
    WGS 84 allows"), the CRS guessed from the numbers; now read in the CRS the .prj
    states: the points and the labels."""
    path = _rd_table(tmp_path)
    table, _, error = _caught(
        lambda: read_points(path, x="x", y="y", to_crs="EPSG:28992", columns=["li"])
    )
    assert error is None and table is not None, error
    to_rd = Transformer.from_crs(4326, 28992, always_xy=True)
    assert np.allclose(table.x, [to_rd.transform(*p)[0] for p in NL_PLACES], atol=0.01)
    assert table.source_crs == "EPSG:28992", table.source_crs
    source = PointSource(kind="points", name="occ", path=str(path), x="x", y="y")
    out, _, error = _caught(lambda: read_labels(source, NL, LabelsConfig(source="occ")))
    assert error is None and out is not None, error
    assert out[0].n_positive == 8, out[0].counts


def test_degrees_beside_a_prj_of_metres_are_read_as_degrees_with_a_word(tmp_path: Path) -> None:
    """SYNTHETIC: wells in degrees beside a ``wells.prj`` of RD New (a CRS file of other
    data, copied). Read in WGS 84 as without it, now with a warning naming the file and
    the fix (before: the .prj was never looked at)."""
    path = _rd_table(tmp_path, degrees=True)
    table, said, error = _caught(
        lambda: read_points(path, x="x", y="y", to_crs="EPSG:4326", columns=["li"])
    )
    assert error is None and table is not None, error
    assert np.allclose(table.x, [p[0] for p in NL_PLACES]), table.x
    assert any(
        "wells.prj beside it states Amersfoort / RD New" in s and "remove wells.prj" in s
        for s in said
    ), said


def test_control_a_stated_crs_or_a_shapefiles_prj_comes_first(tmp_path: Path) -> None:
    """Control, SYNTHETIC: degrees beside an RD New ``.prj`` with ``crs: EPSG:4326``
    stated in the source, and degrees beside ``wells.shp`` and its ``.prj``: read in WGS
    84 without a word of the .prj, as before."""
    for folder, shapefile in ((tmp_path / "stated", False), (tmp_path / "shp", True)):
        path = _rd_table(folder, degrees=True, shapefile=shapefile)
        table, said, error = _caught(
            lambda p=path, s=not shapefile: read_points(
                p, x="x", y="y", to_crs="EPSG:4326", columns=["li"], override_crs=s
            )
        )
        assert error is None and table is not None, error
        assert np.allclose(table.x, [p[0] for p in NL_PLACES]), table.x
        assert not any(".prj" in s for s in said), said


@pytest.mark.parametrize("column", ["WKT", "geometry", "the_geom"])
def test_a_blank_wkt_column_is_said_as_no_place(tmp_path: Path, column: str) -> None:
    """SYNTHETIC: a QGIS/GDAL export whose geometry column (``WKT``, ``geometry``) is blank
    on every line was told only "no column(s) ['lon', 'lat']", not that its geometry
    column holds nothing (the lead's follow-up of round 56)."""
    path = tmp_path / "w.csv"
    path.write_text(f"id,{column},li\n1,,12\n2,,40\n3,,7\n")
    with pytest.raises(DataError) as caught:
        read_points(path, to_crs="EPSG:4326")
    text = str(caught.value)
    assert f"its column {column!r} (where a GIS writes each record's geometry" in text
    assert "is blank in all 3 row(s): no record has a place" in text


def test_control_a_wkt_column_with_blanks_reads_its_filled_rows(tmp_path: Path) -> None:
    """Control, SYNTHETIC: a WKT column blank on one line of three is read as WKT (two
    places), not told it is blank."""
    path = tmp_path / "w.csv"
    path.write_text('id,WKT,li\n1,"POINT (5.1 52.1)",12\n2,,40\n3,"POINT (5.2 52.0)",7\n')
    with pytest.warns(Warning):
        gdf = read_points(path, to_crs="EPSG:4326")
    assert len(gdf) == 2
