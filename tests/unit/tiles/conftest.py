"""Small synthetic COGs and a cube shared by the tile unit tests (module-scoped, real files)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def tile_fixture(tmp_path_factory: pytest.TempPathFactory):
    """Two 2 km x 2 km synthetic COGs at 10 m on Bonaire and a serve config with keys."""
    from tiles.testing import make_tile_fixture

    bounds = (566000.0, 1341000.0, 568000.0, 1343000.0)
    return make_tile_fixture(tmp_path_factory.mktemp("tiles-unit"), bounds=bounds)


@pytest.fixture(scope="session")
def tile_cube(tile_fixture, tmp_path_factory: pytest.TempPathFactory):
    """A zarr v3 cube on the fixture grid with ``probability`` equal to the COG's values."""
    import rasterio
    import xarray as xr

    from prospect.io.cube import add_variables, create_cube, open_cube
    from prospect.testing import float_layer

    path = tmp_path_factory.mktemp("tiles-cube") / "cube.zarr"
    create_cube(path, tile_fixture.grid, attrs={"synthetic": True})
    like = open_cube(path)
    with rasterio.open(tile_fixture.probability) as src:
        data = src.read(1)
    layer = float_layer(data, name="probability", units="1", long_name="probability",
                        kind="probability", like=like)
    add_variables(path, xr.Dataset({"probability": layer}))
    return path
