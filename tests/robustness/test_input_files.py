"""Input files that are incomplete, mislabelled or not what the config says.

Each case runs the real CLI and holds it to the corpus's rules (exit code, one error line
naming the file and the fix, no traceback, nothing outside ``-o`` touched). Every file
here is small and SYNTHETIC.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import Sandbox, assert_clean_error

X0, Y0 = 500000.0, 1350000.0


def _shapefile(box: Sandbox, kind: str) -> Path:
    """A SYNTHETIC Shapefile in the tiny region: points with ``li`` or polygons with ``unit``."""
    import geopandas as gpd
    from shapely.geometry import Point
    from shapely.geometry import box as square

    if kind == "points":
        gdf = gpd.GeoDataFrame({"li": [10.0, 20.0, 30.0]},
                               geometry=[Point(X0 + 50 + 100 * i, Y0 + 60 + 90 * i)
                                         for i in range(3)], crs="EPSG:32619")
    else:
        gdf = gpd.GeoDataFrame({"unit": ["granite", "basalt"]},
                               geometry=[square(X0, Y0, X0 + 200, Y0 + 400),
                                         square(X0 + 200, Y0, X0 + 400, Y0 + 400)],
                               crs="EPSG:32619")
    folder = box.root / "shapes"
    folder.mkdir(exist_ok=True)
    path = folder / f"{kind}.shp"
    gdf.to_file(path, driver="ESRI Shapefile")
    return path


SOURCES = {
    "points": {"kind": "points", "name": "wells", "path": "shapes/points.shp",
               "columns": ["li"], "distance": True},
    "vector": {"kind": "vector", "name": "geology", "path": "shapes/vector.shp",
               "attribute": "unit"},
}


@pytest.mark.parametrize("kind", ["points", "vector"])
@pytest.mark.parametrize(("missing", "needles"), [
    (".dbf", ["points.dbf", "attribute table", "missing"]),
    (".shx", ["points.shx", "shape index", "missing"]),
    (".prj", ["points.prj is not beside it", "crs:"]),
], ids=["dbf", "shx", "prj"])
def test_a_shapefile_without_its_sidecar_names_the_missing_file(
    sandbox: Sandbox, cli, kind: str, missing: str, needles: list[str],
) -> None:
    shp = _shapefile(sandbox, kind)
    shp.with_suffix(missing).unlink()
    sandbox.write_job(sources=[SOURCES[kind]])
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out)
    needles = [n.replace("points.", f"{kind}.") for n in needles]
    assert_clean_error(result, 1, f"{kind}.shp", *needles)
    assert sandbox.untouched()
    assert not (sandbox.out / "cube.zarr").exists()


@pytest.mark.parametrize("kind", ["points", "vector"])
def test_a_shapefile_with_upper_case_sidecars_reads(sandbox: Sandbox, cli, kind: str) -> None:
    shp = _shapefile(sandbox, kind)
    for suffix in (".dbf", ".shx"):
        shp.with_suffix(suffix).rename(shp.with_suffix(suffix.upper()))
    from prospect.io.vector import read_vector

    assert len(read_vector(shp)) in (2, 3)
