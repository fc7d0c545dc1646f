"""Round 52: survey rasters (a file overlapping the region by less than half a cell, a
band saying another unit than its CRS's heights in feet recorded in feet, a unit symbol
between words read as none).

A GeoTIFF of the region's 10 m cells lying 4 m inside the region's east edge (a sheet of
the neighbouring area; a region drawn a few metres short of the sheet it means) overlaps
the region, so ``prospect ingest`` read it, exit 0, and wrote a layer of no data: no
cell of the region has its centre in the file. The two warnings said were misleading or
vague: "every value in the cube is interpolated between the file's cells around it"
(none is; the bounds it offered put the region beside the file, touching it) and
"cube variable 'heat' has no data ... check its source's nodata value, CRS and bounds".
A file of one small cell inside the region, between two cells' centres, did the same.

A band stating no units in a compound CRS whose heights are in US survey feet
(``EPSG:32619+6360``), its description saying another unit (``Heat flow (mW/m2)``,
``Magnetics in nT, RTP``, ``Depth to basement (m)``) or its metadata item
``UNITS=mW/m2``, was recorded as ``US survey foot`` (round 46's rule for DEMs) without a
word: heat flow labelled a length, a depth in metres labelled feet, 3.28 times off for
any conversion downstream.

Found by ``plan_raster`` on the tiny region and an in-process ``prospect ingest`` on the
corpus's shared loopback cluster, of SYNTHETIC GeoTIFFs written with rasterio
(2026-12-06). Every file here is small and SYNTHETIC.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from prospect.errors import DataError

from .conftest import Sandbox
from .test_rasters_round16 import X0, Y0, _write
from .test_rasters_round31 import _read
from .test_rasters_round48 import HEAT, _plan
from .test_rasters_round49 import _described
from .test_rasters_round51 import _said_unit

# --- a file overlapping the region by less than half a cell -----------------------------------


@pytest.mark.parametrize(
    ("x", "y", "said"),
    [
        (X0 + 396, Y0 + 400, "by only 4 m along its east edge (x = 500400)"),
        (X0 - 396, Y0 + 400, "by only 4 m along its west edge (x = 500000)"),
        (X0, Y0 + 796, "by only 4 m along its north edge (y = 1350400)"),
        (X0, Y0 + 4, "by only 4 m along its south edge (y = 1350000)"),
        (
            X0 + 396,
            Y0 + 4,
            "by only 4 m along its east edge (x = 500400) and 4 m along its south edge "
            "(y = 1350000)",
        ),
    ],
    ids=["east", "west", "north", "south", "corner"],
)
def test_a_file_overlapping_by_less_than_half_a_cell_is_refused(
    tmp_path: Path, x: float, y: float, said: str
) -> None:
    """Before: a SYNTHETIC 40x40 GeoTIFF of 10 m cells lying 4 m inside one edge (or
    corner) of the region was planned, its layer read as no data everywhere, with a
    warning that every value is interpolated. Now it is refused, naming the edge, the
    overlap and the fix."""
    path = _write(tmp_path / "h.tif", HEAT, transform=from_origin(x, y, 10, 10))
    with pytest.raises(DataError) as caught:
        _plan(path)
    text = " ".join(str(caught.value).split())
    assert text.startswith(
        f"source 'heat': none of its files holds a cell of the region 'tiny': {path} "
        f"overlaps the region {said}, too little to reach the centre of any of its cells "
        "(10 m wide), so every cell read from the file is no data"
    ), text
    assert "move the region's bounds onto it" in text
    assert "interpolated" not in text


def test_a_small_file_between_two_cells_centres_is_refused(tmp_path: Path) -> None:
    """Before: a SYNTHETIC GeoTIFF of one 3 m cell lying inside the region between two
    of its cells' centres was planned and read as no data everywhere. Now it is refused,
    naming the span it covers."""
    path = _write(tmp_path / "h.tif", HEAT[:1, :1], transform=from_origin(X0 + 101, Y0 + 209, 3, 3))
    with pytest.raises(DataError) as caught:
        _plan(path)
    text = " ".join(str(caught.value).split())
    assert "by only 3 m across x = 500101 .. 500104, between two of its cells' centres" in text
    assert "3 m across y = 1350206 .. 1350209" in text, text


def test_a_file_overlapping_by_less_than_half_a_cell_is_refused_by_ingest(
    sandbox: Sandbox, cli: Any, scheduler: str
) -> None:
    """Before: ``prospect ingest`` of a SYNTHETIC sheet 4 m inside the region's east edge
    exited 0, wrote a layer of no data and warned that every value is interpolated. Now
    it exits 1 naming the overlap, and writes no cube."""
    _write(sandbox.root / "h.tif", HEAT, transform=from_origin(X0 + 396, Y0 + 400, 10, 10))
    sandbox.write_job(sources=[{"kind": "raster", "name": "heat", "path": "h.tif"}])
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    text = " ".join((result.out + result.err).split())
    assert result.code == 1, text[-3000:]
    assert "Traceback" not in text and "internal error" not in text
    assert "overlaps the region by only 4 m along its east edge (x = 500400)" in text, text
    assert "interpolated" not in text and "has no data" not in text
    assert not list(Path(sandbox.out).rglob("*.zarr"))


# --- controls ---------------------------------------------------------------------------------


def test_control_a_file_reaching_a_cells_centre_is_read_as_before(tmp_path: Path) -> None:
    """Control: a SYNTHETIC sheet 5 m inside the region's east edge reaches the last
    column's centres (on its edge): GDAL reads that column, as before."""
    path = _write(tmp_path / "h.tif", HEAT, transform=from_origin(X0 + 395, Y0 + 400, 10, 10))
    _, out = _read(path)
    assert np.isfinite(out).sum() == 40
    assert np.isfinite(out[:, -1]).all()


def test_control_a_small_file_holding_a_cells_centre_is_read(tmp_path: Path) -> None:
    """Control: a SYNTHETIC GeoTIFF of one 3 m cell holding a cell's centre is planned
    and read, as before."""
    path = _write(tmp_path / "h.tif", HEAT[:1, :1], transform=from_origin(X0 + 103, Y0 + 207, 3, 3))
    _, out = _read(path)
    assert np.isfinite(out).sum() >= 1


def test_control_a_sliver_sheet_beside_a_sheet_of_the_region_is_read(tmp_path: Path) -> None:
    """Control: a mosaic of a SYNTHETIC sheet on the region and a sheet 4 m inside its
    east edge is read whole from the first, as before; only a source none of whose
    files holds a cell is refused."""
    import warnings

    from prospect.config.sources import RasterSource
    from prospect.ingest.rasters import plan_raster

    from .test_rasters_round22 import _grid

    good = _write(tmp_path / "g.tif", HEAT)
    sliver = _write(tmp_path / "s.tif", HEAT, transform=from_origin(X0 + 396, Y0 + 400, 10, 10))
    source = RasterSource(name="heat", scenes=[{"path": str(good)}, {"path": str(sliver)}])
    grid = _grid()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        layers = plan_raster(source, grid)
    out = np.full(grid.shape, np.nan, "f4")
    for window in grid.chunk_windows():
        out[window.rows, window.cols] = layers[0].compute(grid, window)
    np.testing.assert_allclose(out, HEAT)


# --- a band saying another unit than its CRS's heights in feet ------------------------------


def _in_feet(path: Path, description: str = "", **tags: str) -> Path:
    """:data:`HEAT` (SYNTHETIC) as a float32 GeoTIFF stating no units in
    ``EPSG:32619+6360`` (heights in US survey feet), its band described ``description``
    and tagged ``tags``."""
    _write(path, HEAT, crs="EPSG:32619+6360")
    with rasterio.open(path, "r+") as dst:
        if description:
            dst.set_band_description(1, description)
        if tags:
            dst.update_tags(1, **tags)
    return path


@pytest.mark.parametrize(
    ("description", "tags", "unit"),
    [
        ("Heat flow (mW/m2)", {}, "mW/m2"),
        ("Heat flow mW m-2", {}, "mW m-2"),
        ("Magnetics in nT, RTP", {}, "nT"),
        ("Depth to basement (m)", {}, "m"),
        ("", {"units": "mW/m2"}, "mW/m2"),
    ],
    ids=["heat-flow-brackets", "heat-flow-words", "magnetics-within", "depth-metres", "tagged"],
)
def test_a_band_saying_another_unit_than_its_crss_feet_heights_is_not_recorded_in_feet(
    tmp_path: Path, description: str, tags: dict[str, str], unit: str
) -> None:
    """Before: the band was recorded as ``US survey foot``, its CRS's vertical unit,
    without a word (the description's unit never said). Now it is recorded as ``1`` and
    warned of as round 49 warns of a unit said elsewhere, naming the unit and
    ``units:``."""
    path = _in_feet(tmp_path / "h.tif", description, **tags)
    layers, said = _plan(path)
    assert layers[0].units == "1"
    assert len(said) == 1, said
    assert said[0].startswith(f"{path}: band 1 states no units, but "), said
    assert f"set 'units: {unit}' in source 'heat'" in said[0], said


@pytest.mark.parametrize(
    "description", ["", "Elevation", "Elevation (ft)", "Elevation (US survey foot)"]
)
def test_control_a_band_of_heights_is_recorded_in_its_crss_feet_as_before(
    tmp_path: Path, description: str
) -> None:
    """Control: a band of no unit, or described as heights in feet, in
    ``EPSG:32619+6360`` is recorded in ``US survey foot`` without a word, as round 46
    records it."""
    layers, said = _plan(_in_feet(tmp_path / "h.tif", description))
    assert layers[0].units == "US survey foot"
    assert said == []


def test_control_feet_heights_under_a_config_unit_are_warned_as_before(tmp_path: Path) -> None:
    """Control: a band of no unit in ``EPSG:32619+6360`` under ``units: m`` is told its
    CRS measures heights in US survey feet, as before."""
    path = _in_feet(tmp_path / "h.tif", "Heat flow (mW/m2)")
    layers, said = _plan(path, units="m")
    assert layers[0].units == "m"
    assert any("its CRS measures heights in 'US survey foot'" in w for w in said), said


# --- a prefixed unit symbol between words -------------------------------------------------------


@pytest.mark.parametrize(
    ("description", "unit"),
    [
        ("TMI nT RTP", "nT"),
        ("TMI nT", "nT"),
        ("Residual mGal terrain corrected", "mGal"),
        ("Gravity mGal, Bouguer", "mGal"),
        ("Magnetic gradient nT/m RTP", "nT/m"),
    ],
    ids=["between", "end-no-mark", "between-words", "before-comma", "gradient"],
)
def test_a_prefixed_unit_symbol_between_words_is_warned(
    tmp_path: Path, description: str, unit: str
) -> None:
    """Before: a SYNTHETIC band stating no units described ``TMI nT RTP`` was recorded
    as ``1`` without a word. Now the unit it names is warned of, as ``TMI (nT) RTP`` is."""
    path = _described(tmp_path / "h.tif", description)
    layers, said = _plan(path)
    assert layers[0].units == "1"
    assert said == [_said_unit(path, description, unit)], said


@pytest.mark.parametrize(
    "description",
    ["pH map", "mNDWI 2020", "Upward continued 500 nT", "Sample mRNA", "nT"],
    ids=["ph", "index", "quantity", "word", "alone"],
)
def test_control_words_like_a_prefixed_symbol_say_nothing(tmp_path: Path, description: str) -> None:
    """Control: a SYNTHETIC band described by a word no unit grammar knows (``pH``,
    ``mNDWI``), a prefixed symbol after a number (a quantity) or alone says nothing, as
    before. (``Layer 2 mW/m2`` was a case here; round 55 reads the layer's index 2 as no
    quantity and warns of ``mW/m2``.)"""
    layers, said = _plan(_described(tmp_path / "h.tif", description))
    assert layers[0].units == "1"
    assert said == [], said


def test_a_band_saying_another_unit_under_metre_heights_is_warned(tmp_path: Path) -> None:
    """Before: a SYNTHETIC band stating no units described ``Heat flow (mW/m2)`` in
    ``EPSG:32619+5773`` (heights in metres) was recorded as ``1`` without a word, taken
    for heights in metres. Now it is warned of as round 49 warns, still recorded ``1``."""
    path = _write(tmp_path / "h.tif", HEAT, crs="EPSG:32619+5773")
    with rasterio.open(path, "r+") as dst:
        dst.set_band_description(1, "Heat flow (mW/m2)")
    layers, said = _plan(path)
    assert layers[0].units == "1"
    assert said == [_said_unit(path, "Heat flow (mW/m2)", "mW/m2")], said
