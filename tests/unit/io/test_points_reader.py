"""One reader of point and polygon tables: the ingest reader (``read_points``) and the
labels reader (``read_occurrences``) apply the same encoding, delimiter and CRS rules."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
from pyproj import Transformer
from shapely.geometry import Point

from prospect.config.sources import PointSource
from prospect.errors import DataError, InputFileError
from prospect.grid import RegionGrid
from prospect.io.points import read_points, read_table, source_options
from prospect.models.labels import read_occurrences

GRID = RegionGrid(crs="EPSG:32619", resolution=10.0,
                  bounds=(500_000, 1_000_000, 501_000, 1_001_000), chunks=(50, 50))
XS = np.array([500_105.0, 500_555.0, 500_905.0])
YS = np.array([1_000_105.0, 1_000_505.0, 1_000_955.0])


def _lonlat() -> tuple[np.ndarray, np.ndarray]:
    lon, lat = Transformer.from_crs(GRID.crs, "EPSG:4326", always_xy=True).transform(XS, YS)
    return np.asarray(lon), np.asarray(lat)


def _both(path: Path, **kw: Any) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates in the grid CRS as each reader gives them; they must agree."""
    table = read_points(path, to_crs=GRID.crs, **kw)
    occ = read_occurrences(path, GRID, **kw)
    np.testing.assert_allclose(table.x, occ.x, rtol=0, atol=1e-9)
    np.testing.assert_allclose(table.y, occ.y, rtol=0, atol=1e-9)
    return table.x, table.y


@pytest.mark.parametrize(("suffix", "sep", "encoding"), [
    (".csv", ",", "utf-8-sig"),  # Excel's UTF-8 with a byte-order mark
    (".csv", ";", "latin-1"),  # a European export: semicolons, Latin-1
    (".tsv", "\t", "utf-8"),
    (".txt", "\t", "utf-8"),  # a tab-separated .txt: sniffed
])
def test_text_tables_read_alike(tmp_path: Path, suffix: str, sep: str, encoding: str) -> None:
    lon, lat = _lonlat()
    rows = [sep.join(["Forage", " Longitude ", "Latitude", "Teneur"])]
    rows += [sep.join([f"Puits né {i}", f"{lo:.9f}", f"{la:.9f}", str(10 * i)])
             for i, (lo, la) in enumerate(zip(lon, lat, strict=True))]
    path = tmp_path / f"wells{suffix}"
    path.write_text("\n".join(rows) + "\n", encoding=encoding)
    frame = read_table(path)
    assert list(frame.columns) == ["Forage", "Longitude", "Latitude", "Teneur"]
    assert frame["Forage"].iloc[0] == "Puits né 0"
    x, y = _both(path, x="Longitude", y="Latitude")
    np.testing.assert_allclose(x, XS, atol=1e-3)
    np.testing.assert_allclose(y, YS, atol=1e-3)


def test_configured_crs_overrides_a_wrong_prj_for_every_reader(tmp_path: Path) -> None:
    path = tmp_path / "wells.gpkg"
    # coordinates in UTM 19N, but the file says UTM 20N (a wrong .prj)
    gpd.GeoDataFrame({"li": [1.0, 2.0, 3.0]},
                     geometry=[Point(a, b) for a, b in zip(XS, YS, strict=True)],
                     crs="EPSG:32620").to_file(path)
    given = source_options(PointSource(name="w", path=path, crs="EPSG:32619"))
    assert given["override_crs"] is True
    x, _ = _both(path, **given)
    np.testing.assert_allclose(x, XS, atol=1e-6)
    default = source_options(PointSource(name="w", path=path))
    assert default["override_crs"] is False
    x, _ = _both(path, **default)  # the file's own CRS: far from the grid
    assert np.abs(x - XS).min() > 1e5


def test_a_file_without_crs_takes_the_configured_one(tmp_path: Path) -> None:
    path = tmp_path / "wells.geojson"
    gdf = gpd.GeoDataFrame({"li": [1.0, 2.0, 3.0]},
                           geometry=[Point(a, b) for a, b in zip(XS, YS, strict=True)])
    gdf.to_file(path, driver="GeoJSON")
    # GeoJSON without a crs member is read as WGS 84; a shapefile without .prj has none
    shp = tmp_path / "wells.shp"
    gdf.to_file(shp)
    x, _ = _both(shp, **source_options(PointSource(name="w", path=shp, crs="EPSG:32619")))
    np.testing.assert_allclose(x, XS, atol=1e-6)


def test_bad_tables_are_refused_alike(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    for read in (lambda p: read_points(p, to_crs=GRID.crs), lambda p: read_occurrences(p, GRID)):
        with pytest.raises(DataError, match=r"empty\.csv: the point table is empty"):
            read(empty)
        with pytest.raises(InputFileError, match="not found"):
            read(tmp_path / "none.csv")
    text = tmp_path / "text.csv"
    text.write_text("lon,lat\nabc,def\n")
    with pytest.raises(DataError, match="'lon' holds no numbers"):
        read_occurrences(text, GRID)
