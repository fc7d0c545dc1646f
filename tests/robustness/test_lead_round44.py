"""Fuzzing rounds 44 and 45: what the lead took (a flaky CI's lesson and the helpers'
hand-overs).

Every raster here is SYNTHETIC (seeded random values on the demo grid).
"""

from __future__ import annotations

import resource
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from rasterio.errors import RasterioIOError

from prospect.io.raster import write_cog
from prospect.testing.scene import demo_grid

from .conftest import process_limit


def test_a_cog_write_gdal_fails_names_the_file_and_gdals_reason(tmp_path: Path) -> None:
    """A COG write GDAL failed (here: past the file-size limit, a full disk's twin) reached
    a CI's job as rasterio's "Write failed. See previous exception for details." alone: no
    file, no cause (GDAL's reason is chained, and a dask worker's chain may not reach the
    job). Now the error names the COG and says GDAL's words, and stays an OSError without
    an errno (so the score stage's disk probes still run); nothing is left beside it."""
    grid = demo_grid("bonaire", size_m=9000, chunks=(300, 300))
    values = xr.DataArray(np.random.default_rng(0).random(grid.shape).astype("f4"),
                          dims=("y", "x"))
    target = tmp_path / "score" / "probability.tif"
    with process_limit(resource.RLIMIT_FSIZE, 20_000), \
            pytest.raises(RasterioIOError) as caught:
        write_cog(values, target, grid=grid)
    text = str(caught.value)
    assert text.startswith(f"{target}: write failed: ") and "previous exception" not in text
    assert caught.value.errno is None
    assert not list(target.parent.iterdir())


# -- a zarr store of another tool (round 44's delivery hand-over) --------------------------

def _store(path: Path, zarr_format: int) -> Path:
    """A SYNTHETIC 4 x 4 zarr store as xarray writes one, without a CRS."""
    ds = xr.Dataset({"heat": (("y", "x"), np.ones((4, 4), "f4"))},
                    coords={"y": 520_000 + 10.0 * np.arange(4)[::-1],
                            "x": 700_000 + 10.0 * np.arange(4)})
    ds.to_zarr(path, zarr_format=zarr_format)
    return path


def test_a_zarr_v2_store_is_told_how_to_rewrite_it_and_the_way_works(tmp_path: Path) -> None:
    """A zarr v2 store (xarray's default before zarr 3) given as a cube was told "not a
    zarr v3 cube (no zarr.json); run 'prospect ingest'": not what it is, nor how to make
    it one. Now the message says it is zarr v2 and gives the xarray line, which works."""
    import rioxarray  # noqa: F401 - the .rio accessor the message names

    from prospect.errors import InputFileError
    from prospect.io.cube import cube_grid, open_cube

    v2 = _store(tmp_path / "v2.zarr", 2)
    with pytest.raises(InputFileError) as caught:
        open_cube(v2)
    text = str(caught.value)
    assert "a zarr v2 store" in text and ".drop_encoding().to_zarr('cube3.zarr', " \
        "zarr_format=3)" in text and "write_crs" in text, text
    out = tmp_path / "cube3.zarr"
    xr.open_zarr(v2).drop_encoding().rio.write_crs("EPSG:32631").to_zarr(out, zarr_format=3)
    assert cube_grid(open_cube(out)).crs == "EPSG:32631"


def test_a_zarr_store_without_a_crs_is_told_how_to_give_it_one(tmp_path: Path) -> None:
    """A CF zarr v3 store without a grid mapping was "zarr store has no 'spatial_ref' grid
    mapping; not a cube", no way on; now it names rioxarray's write_crs line."""
    from prospect.errors import InputFileError
    from prospect.io.cube import open_cube

    with pytest.raises(InputFileError) as caught:
        open_cube(_store(tmp_path / "plain.zarr", 3))
    assert ".rio.write_crs('EPSG:<code>').to_zarr('cube3.zarr', zarr_format=3)" \
        in str(caught.value)


def test_control_a_folder_of_no_zarr_keeps_its_words(tmp_path: Path) -> None:
    """Control: a folder that is no zarr store at all is told to run ingest, as before."""
    from prospect.errors import InputFileError
    from prospect.io.cube import open_cube

    (tmp_path / "cube.zarr").mkdir()
    with pytest.raises(InputFileError, match=r"not a zarr v3 cube \(no zarr.json\); run "):
        open_cube(tmp_path / "cube.zarr")


# -- a table of processing sites (round 46's labels hand-over) -----------------------------

def test_too_few_positives_beside_processing_sites_names_them(tmp_path: Path) -> None:
    """An MRDS extract of six plants and smelters and one prospect: round 46 leaves the
    processing sites out of the positives, but the train stage's "too few positives"
    error called them "barren record(s)"; now it names them as processing sites."""
    from prospect.config.model import ModelConfig
    from prospect.config.sources import PointSource
    from prospect.errors import DataError
    from prospect.models.training import build_training_set

    from .test_labels_round35 import NEVADA, _table

    path = tmp_path / "occ.csv"
    path.write_text(_table("dev_stat", ["Plant", "Smelter", "Prospect", "Plant", "Refinery",
                                        "Mill", "Plant"]), "utf-8")
    source = PointSource(kind="points", name="occ", path=str(path), x="lon", y="lat",
                         crs="EPSG:4326")
    cfg = ModelConfig(mineral="lithium", features=["heat"], labels={"source": "occ"})
    with pytest.warns(Warning), pytest.raises(DataError) as caught:
        build_training_set(None, None, grid=NEVADA, source=source,
                           cfg=cfg)
    text = str(caught.value)
    assert "1 positive cell(s)" in text and "6 barren or processing-site record(s)" in text, \
        text
