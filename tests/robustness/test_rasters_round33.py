"""Round 33: survey grids and regions of other numbers or sizes than their inputs state: a
config's 64-bit ``nodata`` past 2**53 taken for its float neighbour, a zipped float64
grid's cells beside its fill dropped with it, a DEM of heights in feet by its vertical CRS
recorded as ``1`` (and its sheets mixed with sheets in metres), and a region in Web
Mercator whose cells are smaller on the ground than its resolution says, without a word.

Found by planning (``plan_raster``) and reading (``Layer.compute``) SYNTHETIC grids
written into ``tmp_path`` with rasterio, ``gdal_translate`` and ``zipfile`` on the tiny
UTM region, and by an in-process ``prospect run`` of a tiny job on a region in EPSG:3857
at 52 N, and comparing the layer, its units or the warnings with what the inputs hold
(2026-12-05).
"""

from __future__ import annotations

import functools
import http.server
import shutil
import subprocess
import threading
import warnings
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from .test_rasters_round16 import _write
from .test_rasters_round22 import _grid
from .test_rasters_round31 import _read

needs_gdal = pytest.mark.skipif(
    shutil.which("gdal_translate") is None, reason="gdal_translate is not installed"
)


# --- a config's nodata past 2**53 for a 64-bit band ---------------------------------------


@pytest.mark.parametrize(
    ("dtype", "fill", "value"),
    [("int64", 2**60 + 1, 2**60), ("uint64", 2**64 - 1, 2**64 - 2)],
    ids=["int64-2**60+1", "uint64-max"],
)
def test_a_config_nodata_past_2_53_drops_only_its_own_cells(
    tmp_path: Path, dtype: str, fill: int, value: int
) -> None:
    """Before: ``nodata: 1152921504606846977`` (2**60 + 1) for an Int64 band that states
    none became the float 2**60 (`RasterSource.nodata` was a float), and the band's 2**60
    cells were dropped with its fills: 1 200 of 1 600 cells no data for 200 fills, exit
    0; a UInt64 band's ``nodata: 18446744073709551615`` its 2**64 - 2 cells. Now the
    config keeps the exact integer past 2**53 (`RasterSource._nodata_exact`), compared
    in the band's own type as a file's exact nodata is (`raster.value_fits`,
    `stored_values`, `fill_neighbours_held`): the fills alone are no data."""
    data = np.full((40, 40), value, dtype=dtype)
    data[:5] = fill
    data[10:20] = 7
    layers, out = _read(_write(tmp_path / "g.tif", data), units="nT", nodata=fill)
    assert int(np.isnan(out).sum()) == 200
    np.testing.assert_array_equal(out[20:], np.float32(value))
    assert layers[0].refs[0].nodata == fill


def test_a_config_nodata_past_the_64_bit_range_is_refused(tmp_path: Path) -> None:
    """Before: ``nodata: 18446744073709551616`` (2**64, one past uint64's largest) became
    the float 2**64, which a uint64 band's 2**64 - 1 cells also read as: they were
    dropped as no data, exit 0. Now the exact number is compared with the band's range:
    refused as a nodata that cannot occur in the band, written in full
    (`rasters._said`)."""
    from prospect.errors import ConfigError

    data = np.full((40, 40), 2**64 - 1, dtype="uint64")
    with pytest.raises(
        ConfigError,
        match=r"nodata 18446744073709551616 cannot occur in .*g\.tif \(band 1 is "
        r"uint64\)",
    ):
        _read(_write(tmp_path / "g.tif", data), units="nT", nodata=2**64)


def test_control_a_config_nodata_of_a_small_whole_number_loads_as_before(
    tmp_path: Path,
) -> None:
    """Control: ``nodata: -9999`` loads as the float -9999.0 (as every config did), NaN
    as NaN, and an Int64 band of it drops its fills alone through GDAL's warp."""
    from prospect.config.sources import RasterSource

    assert RasterSource(name="a", path="a.tif", nodata=-9999).nodata == -9999.0
    assert isinstance(RasterSource(name="a", path="a.tif", nodata=-9999).nodata, float)
    assert np.isnan(RasterSource(name="a", path="a.tif", nodata=float("nan")).nodata)
    data = np.full((40, 40), 2**40, dtype="int64")
    data[:5] = -9999
    layers, out = _read(_write(tmp_path / "g.tif", data), units="nT", nodata=-9999)
    assert int(np.isnan(out).sum()) == 200
    assert not layers[0].refs[0].exact_fill


# --- a zipped float64 grid ----------------------------------------------------------------


def _zipped(tmp_path: Path, data: np.ndarray, **profile: Any) -> str:
    """``data`` as ``g.tif`` inside ``g.zip``, named as GDAL reads it."""
    plain = _write(tmp_path / "g.tif", data, **profile)
    with zipfile.ZipFile(tmp_path / "g.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(plain, "g.tif")
    return f"/vsizip/{tmp_path / 'g.zip'}/g.tif"


def test_a_zipped_float64_grids_cells_beside_its_fill_are_values(tmp_path: Path) -> None:
    """Before: a float64 survey grid of nodata -9999 inside a local ``.zip`` (a grid as
    surveys ship them) whose other cells hold -9999.0001 lost them all (1 200 of 1 600
    cells no data for 200 fills), exit 0: a member of an archive was never sampled
    (`raster.sample_band` took every ``/vsi`` name for a remote file), so the band was
    warped by GDAL, which compares the nodata after the cast to float32. Now a local
    archive's member is sampled as a plain file is (`raster._unsampled`): the band is
    read in its own type and the fills alone are no data."""
    data = np.full((40, 40), -9999.0001, "f8")
    data[:5] = -9999.0
    data[10:20] = 7.0
    layers, out = _read(_zipped(tmp_path, data, nodata=-9999.0), units="nT")
    assert int(np.isnan(out).sum()) == 200
    np.testing.assert_array_equal(out[20:], np.float32(-9999.0001))
    assert layers[0].refs[0].exact_fill


def test_control_a_zipped_float32_grid_reads_as_the_plain_file(tmp_path: Path) -> None:
    """Control: a zipped float32 grid of nodata -9999 reads to the same cells as the
    same file unzipped."""
    data = np.random.default_rng(2).uniform(-50, 50, (40, 40)).astype("f4")
    data[3:9, 4:30] = -9999.0
    _, zipped = _read(_zipped(tmp_path, data, nodata=-9999.0), units="nT")
    _, plain = _read(tmp_path / "g.tif", units="nT")
    np.testing.assert_array_equal(zipped, plain)
    assert int(np.isnan(zipped).sum()) == 6 * 26


@pytest.fixture()
def served(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A folder served over HTTP (with range requests) on localhost, and its URL."""
    from .test_imagery_round21 import _Ranges

    root = tmp_path / "www"
    root.mkdir()
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_Ranges, directory=str(root))
    )
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield root, f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_a_remote_float64_grids_cells_beside_its_fill_are_values(
    served: tuple[Path, str],
) -> None:
    """Before: the same float64 grid read over HTTP (``/vsicurl/``) was not sampled, so it
    was warped and its -9999.0001 cells dropped with its fills: 1 200 of 1 600 cells no
    data, exit 0. Now a remote float64 band whose fill float32 merges is sampled (a few
    range requests: `raster.sample_band(remote=True)` from `fill_neighbours_held`): read
    in its own type, the fills alone are no data."""
    root, url = served
    data = np.full((40, 40), -9999.0001, "f8")
    data[:5] = -9999.0
    data[10:20] = 7.0
    _write(root / "g.tif", data, nodata=-9999.0)
    layers, out = _read(f"/vsicurl/{url}/g.tif", units="nT")
    assert int(np.isnan(out).sum()) == 200
    np.testing.assert_array_equal(out[20:], np.float32(-9999.0001))
    assert layers[0].refs[0].exact_fill


def test_control_a_remote_float64_grid_of_values_far_from_its_fill_is_warped(
    served: tuple[Path, str],
) -> None:
    """Control: a remote float64 grid whose values lie far from its fill is warped by
    GDAL as before (not read in its own type), to the same cells as the local file."""
    root, url = served
    data = np.random.default_rng(4).uniform(-500, 3000, (40, 40))
    data[3:6, 7:12] = -9999.0
    _write(root / "g.tif", data, nodata=-9999.0)
    layers, remote = _read(f"/vsicurl/{url}/g.tif", units="nT")
    assert not layers[0].refs[0].exact_fill
    _, local = _read(root / "g.tif", units="nT")
    np.testing.assert_array_equal(remote, local)
    assert int(np.isnan(remote).sum()) == 15


# --- DEMs of heights in feet by their vertical CRS ----------------------------------------


def _dem(tmp_path: Path, name: str, srs: str, values: float = 100.0, transform: Any = None) -> Path:
    """A float32 DEM (SYNTHETIC) assigned the CRS ``srs`` by ``gdal_translate -a_srs``."""
    shape = (40, 40) if transform is None else (40, 20)
    bare = _write(tmp_path / f"bare_{name}", np.full(shape, values, "f4"), transform=transform)
    out = tmp_path / name
    subprocess.run(["gdal_translate", "-q", "-a_srs", srs, str(bare), str(out)], check=True)
    return out


def _plan(**source: Any) -> tuple[list[Any], list[str]]:
    from prospect.config.sources import RasterSource
    from prospect.ingest.rasters import plan_raster

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        layers = plan_raster(RasterSource(name="dem", **source), _grid())
    return layers, [" ".join(str(w.message).split()) for w in caught]


@needs_gdal
@pytest.mark.parametrize(
    ("srs", "unit"),
    [("EPSG:32619+6360", "US survey foot"), ("EPSG:32619+8228", "foot")],
    ids=["navd88-ftUS", "navd88-ft"],
)
def test_a_dem_in_feet_by_its_vertical_crs_is_recorded_in_feet(
    tmp_path: Path, srs: str, unit: str
) -> None:
    """Before: a DEM whose compound CRS measures heights in feet (NAVD88 height (ftUS)),
    whose band states no unit, under a config without ``units:`` was recorded as ``1``:
    its feet were taken as metres downstream without a word. Now the vertical CRS's unit
    is the layer's (`rasters._heights_unit`), as a unit the band states is."""
    layers, said = _plan(path=str(_dem(tmp_path, "dem.tif", srs)))
    assert layers[0].units == unit
    assert not said


@needs_gdal
def test_control_a_dem_in_metres_by_its_vertical_crs_is_recorded_as_before(
    tmp_path: Path,
) -> None:
    """Control: a DEM of NAVD88 height in metres and no ``units:`` is recorded as ``1``,
    as before (the cubes made so far keep their attributes); one in feet under
    ``units: m`` is warned of and keeps ``m``."""
    layers, said = _plan(path=str(_dem(tmp_path, "dem.tif", "EPSG:32619+5703")))
    assert layers[0].units == "1" and not said
    layers, said = _plan(path=str(_dem(tmp_path, "ft.tif", "EPSG:32619+6360")), units="m")
    assert layers[0].units == "m"
    assert any("US survey foot" in s and "units: m" in s for s in said)


@needs_gdal
def test_dem_sheets_in_feet_and_in_metres_by_their_vertical_crs_are_refused(
    tmp_path: Path,
) -> None:
    """Before: a mosaic of two DEM sheets, one in NAVD88 height (ftUS) and one in NAVD88
    height (metres), neither band stating a unit, was one layer of feet and metres side
    by side, recorded as ``1``, exit 0. Now the sheets' vertical units are compared as
    their stated units are (`rasters._check_sheet_units`): refused, naming both files
    and the conversion (its file name and units quoted for the shell)."""
    from rasterio.transform import from_origin

    from prospect.errors import DataError

    west = _dem(tmp_path, "w.tif", "EPSG:32619+6360", 300.0, from_origin(500000, 1350400, 10, 10))
    east = _dem(tmp_path, "e.tif", "EPSG:32619+5703", 90.0, from_origin(500200, 1350400, 10, 10))
    with pytest.raises(DataError) as caught:
        _plan(scenes=[{"path": str(west)}, {"path": str(east)}])
    said = " ".join(str(caught.value).split())
    assert "w.tif 'US survey foot'" in said and "e.tif 'metre'" in said
    assert "--outfile e_US_survey_foot.tif" in said and "-units 'US survey foot'" in said


# --- a region in Web Mercator -------------------------------------------------------------


def test_a_region_in_web_mercator_is_said_with_its_cells_ground_size(sandbox: Any) -> None:
    """Before: a job on a region in EPSG:3857 at 52 N of ``resolution: 10`` was ingested
    without a word, exit 0, its cells 6.2 m on the ground and every size in its metres
    1.62 times the ground's. Now the ingest stage's planning (before the cluster starts)
    warns once (`surfaces.ground_cells_note`), naming the ground size at the region's
    centre and the fix (its UTM zone's EPSG code)."""
    import rasterio
    from rasterio.transform import from_origin

    from pipelines.context import RunContext
    from pipelines.stages import ingest
    from prospect.config import load_job, resolve_grid

    x0, y0 = 558600.0, 6801600.0  # about 5.0 E, 52.0 N
    with rasterio.open(
        sandbox.root / "merc.tif",
        "w",
        driver="GTiff",
        width=40,
        height=40,
        count=1,
        dtype="float32",
        crs="EPSG:3857",
        transform=from_origin(x0, y0 + 400, 10, 10),
    ) as dst:
        dst.write(np.ones((1, 40, 40), "f4"))
    sandbox.write_job(
        region={
            "name": "merc",
            "crs": "EPSG:3857",
            "resolution": 10,
            "bounds": [x0, y0, x0 + 400, y0 + 400],
            "chunks": [40, 40],
        },
        sources=[{"kind": "raster", "name": "heat", "path": "merc.tif", "units": "1"}],
    )
    job = load_job(sandbox.job_path)
    ctx = RunContext(
        job=job, out_dir=sandbox.out, grid=resolve_grid(job), job_path=sandbox.job_path
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        made = ingest.plan(ctx)
    assert [layer.name for layer in made.layers] == ["heat"]
    said = [" ".join(str(w.message).split()) for w in caught]
    ground = [s for s in said if "whose metres are not the ground's" in s]
    assert len(ground) == 1, said
    assert "a 10 m cell is 6.16 m" in ground[0] and "EPSG:32631" in ground[0]


def test_control_a_utm_region_is_not_said_to_be_off_the_ground() -> None:
    """Control: the tiny region in UTM 19N measures on the ground (scale 0.9996): no
    region note, and its surfaces keep their own frame."""
    from prospect.ingest.surfaces import ground_frame, scale_off_ground

    assert scale_off_ground(_grid()) is None
    assert ground_frame(_grid()) is None


# --- resistivity written with the ohm's own symbol ----------------------------------------


def _sheets(tmp_path: Path, west: str, east: str) -> list[dict[str, str]]:
    """Two resistivity sheets side by side on the tiny region, stating ``west`` and
    ``east`` as their band units."""
    import rasterio
    from rasterio.transform import from_origin

    out = []
    for name, unit, left in (("w.tif", west, 500000), ("e.tif", east, 500200)):
        path = _write(
            tmp_path / name,
            np.full((40, 20), 120.0, "f4"),
            transform=from_origin(left, 1350400, 10, 10),
        )
        with rasterio.open(path, "r+") as dst:
            dst.units = (unit,)
        out.append({"path": str(path)})
    return out


def test_resistivity_sheets_in_omega_metres_and_ohm_metres_are_one_unit(tmp_path: Path) -> None:
    """Before: a mosaic of two AEM resistivity sheets, one stating ``Ω·m`` and one
    ``ohm.m``, was refused, exit 1, as files that "state other units", with "convert one
    of them to the other's units" (`layers.unit_key` took the ohm's Greek letter apart
    from ``ohm`` only as a word of its own, not as a factor of ``Ω·m``); and ``units: ohm
    m`` over a band of ``Ω·m`` was warned of as another unit. Now the Greek capital omega
    and the ohm sign are the ohm wherever they stand: one layer, no warning."""
    layers, said = _plan(scenes=_sheets(tmp_path, "Ω·m", "ohm.m"))
    assert layers[0].units == "ohm.m" and not said
    layers, said = _plan(path=str(tmp_path / "w.tif"), units="ohm m")
    assert layers[0].units == "ohm m" and not said


def test_control_resistivity_sheets_in_kilo_ohm_metres_and_ohm_metres_are_refused(
    tmp_path: Path,
) -> None:
    """Control: sheets in ``kΩ·m`` and ``ohm m`` are other units: refused, as before."""
    from prospect.errors import DataError

    with pytest.raises(DataError, match="state other units"):
        _plan(scenes=_sheets(tmp_path, "kΩ·m", "ohm m"))


# --- rasters as downloaded in a tar archive -----------------------------------------------


@pytest.mark.parametrize("mode", ["w", "w:gz"], ids=["tar", "tar.gz"])
def test_a_raster_in_a_tar_archive_is_named_as_one_with_the_name_that_reads_it(
    tmp_path: Path, mode: str
) -> None:
    """Before: a GeoTIFF as downloaded in a ``.tar.gz`` was "a gzip-compressed file, not a
    raster; decompress it first (e.g. gunzip -k grid.tar.gz) and give grid.tar as
    'path:'", and ``grid.tar`` given so was "cannot read as a raster (corrupt, truncated
    or not a raster)", exit 1: the user went looking for a damaged download. Now a tar
    archive, plain or compressed, is said to be one, listing its files, with the command
    that unpacks it and the name that reads its raster in place
    (`raster._refuse_archive`, `_tar_members`, `_in_place`), which reads it."""
    import re
    import tarfile

    from prospect.errors import InputFileError

    tif = _write(tmp_path / "grid.tif", np.full((40, 40), 5.0, "f4"))
    archive = tmp_path / ("grid.tar" if mode == "w" else "grid.tar.gz")
    with tarfile.open(archive, mode) as tar:
        tar.add(tif, "grid.tif")
    with pytest.raises(InputFileError) as caught:
        _read(archive, units="nT")
    said = " ".join(str(caught.value).split())
    assert "tar archive (grid.tif), not a raster" in said and f"tar -xf {archive.name}" in said
    assert "corrupt" not in said and "gunzip" not in said
    named = re.search(r"'path: (tar://\S+)'", said)
    assert named is not None and named.group(1) == f"tar://{archive}!grid.tif"
    _, out = _read(named.group(1), units="nT")
    assert float(np.nanmin(out)) == float(np.nanmax(out)) == 5.0


def test_control_a_zipped_or_gzipped_raster_is_named_as_before(tmp_path: Path) -> None:
    """Control: a zipped GeoTIFF is "a zip archive (grid.tif)" to unzip, a gzipped one
    "a gzip-compressed file" to gunzip into ``grid.tif``, as before (round 12)."""
    import gzip

    from prospect.errors import InputFileError

    tif = _write(tmp_path / "grid.tif", np.full((40, 40), 5.0, "f4"))
    with zipfile.ZipFile(tmp_path / "grid.zip", "w") as archive:
        archive.write(tif, "grid.tif")
    (tmp_path / "grid.tif.gz").write_bytes(gzip.compress(tif.read_bytes()))
    with pytest.raises(InputFileError, match=r"a zip archive \(grid\.tif\).*unzip grid\.zip"):
        _read(tmp_path / "grid.zip", units="nT")
    with pytest.raises(InputFileError, match=r"gzip-compressed file.*give grid\.tif as"):
        _read(tmp_path / "grid.tif.gz", units="nT")
